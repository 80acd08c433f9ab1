/**
 * A local stand-in for the Jira Cloud, Notion and Google (Calendar, Gmail) APIs that prodops
 * uses, served on one port. The real client libraries talk to it through their base-URL
 * options, so a bug cannot hide behind a mock. State lives in memory, seeded from the org
 * configuration, and, given a state file, is kept there after every request that may change it
 * and read back at the next start (sandbox/persist.ts).
 *
 * Control routes (not part of any vendor API):
 *   GET  /_sandbox            an HTML view of the issues, pages, events and mail
 *   GET  /_sandbox/state      the same as JSON
 *   GET  /_sandbox/requests   the request log (?vendor=notion)
 *   POST /_sandbox/faults     inject a fault: { route: "POST /v1/pages" | "*", vendor?, fault: {...} }
 *   DELETE /_sandbox/faults   clear faults
 *   POST /_sandbox/reset      clear state, faults and the log
 */
import type { OrgConfig } from '../domain/config';
import { SandboxRouter, VendorError, ok, serveRouter, type FaultRule, type SandboxVendor } from './http';
import { createJiraSandbox, type JiraSandboxOptions } from './jira';
import { createNotionSandbox, type NotionSandboxOptions } from './notion';
import { createGoogleSandbox, type GoogleSandboxOptions } from './google';
import { renderSandboxPage } from './page';
import { SandboxStateFile, type PersistentStore } from './persist';

export type { SandboxVendor } from './http';

export interface Sandbox {
  readonly url: string;
  readonly port: number;
  readonly router: SandboxRouter;
  readonly jira: ReturnType<typeof createJiraSandbox>;
  readonly notion: ReturnType<typeof createNotionSandbox>;
  readonly google: ReturnType<typeof createGoogleSandbox>;
  snapshot(): Record<string, Record<string, unknown[]>>;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  reset(): void;
  close(): Promise<void>;
}

export interface SandboxOptions {
  config: OrgConfig;
  port?: number;
  host?: string;
  /** Where the state is kept across restarts (`<data dir>/sandbox.sqlite`); in memory only without. */
  stateFile?: string;
  /** Vendor behaviours beyond the defaults: Jira's index lag, Gmail rewriting Message-IDs, Notion withholding emails … */
  jira?: JiraSandboxOptions;
  notion?: NotionSandboxOptions;
  google?: GoogleSandboxOptions;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const router = new SandboxRouter();
  const jira = createJiraSandbox(options.config, options.jira);
  const notion = createNotionSandbox(options.config, options.notion);
  const google = createGoogleSandbox(options.config, options.google);
  const vendors: SandboxVendor[] = [jira, notion, google];
  for (const vendor of vendors) vendor.register(router);

  const stores: Record<string, PersistentStore> = {
    jira: jira.store,
    notion: notion.store,
    google: google.store,
  };
  const stateFile = options.stateFile ? new SandboxStateFile(options.stateFile) : null;
  if (stateFile) {
    for (const [vendor, state] of stateFile.load()) stores[vendor]?.importState(state);
  }
  const save = () =>
    stateFile?.save(Object.fromEntries(Object.entries(stores).map(([name, s]) => [name, s.exportState()])));
  if (stateFile) {
    // Saved once the request is answered; only reads leave the state as it was.
    const handle = router.handle.bind(router);
    router.handle = async (req, res) => {
      try {
        await handle(req, res);
      } finally {
        if ((req.method ?? 'GET').toUpperCase() !== 'GET') save();
      }
    };
  }

  const snapshot = () => Object.fromEntries(vendors.map((v) => [v.name, v.snapshot()]));
  const reset = () => {
    for (const vendor of vendors) vendor.reset();
    router.clearFaults();
    router.clearLog();
    save();
  };

  router.add('sandbox', 'GET', '/_sandbox', () => ({ status: 200, text: renderSandboxPage(snapshot()) }));
  router.add('sandbox', 'GET', '/_sandbox/state', () => ok(snapshot()));
  router.add('sandbox', 'GET', '/_sandbox/requests', (req) => {
    const vendor = req.query.get('vendor');
    return ok(router.log.filter((r) => !vendor || r.vendor === vendor));
  });
  router.add('sandbox', 'POST', '/_sandbox/faults', (req) => {
    const rule = req.body as FaultRule | undefined;
    if (!rule || typeof rule.route !== 'string' || !rule.fault || typeof rule.fault !== 'object') {
      throw new VendorError(400, { error: 'expected { route, fault: { kind, ... } }' });
    }
    router.injectFault(rule);
    return ok({ injected: rule }, 201);
  });
  router.add('sandbox', 'DELETE', '/_sandbox/faults', () => {
    router.clearFaults();
    return ok({ cleared: true });
  });
  router.add('sandbox', 'POST', '/_sandbox/reset', () => {
    reset();
    return ok({ reset: true });
  });

  const served = await serveRouter(router, options.port ?? 0, options.host ?? '127.0.0.1');

  return {
    url: served.url,
    port: served.port,
    router,
    jira,
    notion,
    google,
    snapshot,
    injectFault: (rule) => router.injectFault(rule),
    clearFaults: () => router.clearFaults(),
    reset,
    close: async () => {
      await served.close();
      save();
      stateFile?.close();
    },
  };
}
