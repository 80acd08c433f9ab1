/**
 * A local stand-in for the Jira Cloud, Notion and Google (Calendar, Gmail) APIs that prodops
 * uses, served on one port. The real client libraries talk to it through their base-URL
 * options, so a bug cannot hide behind a mock. State lives in memory, seeded from the org
 * configuration.
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
import { createJiraSandbox } from './jira';
import { createNotionSandbox } from './notion';
import { createGoogleSandbox } from './google';
import { renderSandboxPage } from './page';

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
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const router = new SandboxRouter();
  const jira = createJiraSandbox(options.config);
  const notion = createNotionSandbox(options.config);
  const google = createGoogleSandbox(options.config);
  const vendors: SandboxVendor[] = [jira, notion, google];
  for (const vendor of vendors) vendor.register(router);

  const snapshot = () => Object.fromEntries(vendors.map((v) => [v.name, v.snapshot()]));
  const reset = () => {
    for (const vendor of vendors) vendor.reset();
    router.clearFaults();
    router.clearLog();
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
    close: () => served.close(),
  };
}
