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
 *   POST /_sandbox/faults     inject a fault rule (below); answers 201 with the rule as kept
 *   GET  /_sandbox/faults     the rules injected, with how often each has fired
 *   DELETE /_sandbox/faults   clear faults
 *   GET  /_sandbox/audit      what prodops made, counted from the vendors' records (below)
 *   POST /_sandbox/reset      clear state, faults and the log
 *
 * A fault rule: `{ route, vendor?, seed?, fault }`. `route` is `METHOD pattern` as registered
 * (`POST /v1/pages`, `POST /rest/api/3/issue`, `POST /calendar/v3/calendars/:calendarId/events`,
 * `POST /gmail/v1/users/:userId/messages/send`) or `*` for every vendor route (control routes
 * never fail), narrowed by `vendor` (jira | notion | google). `fault.kind` is one of
 *   status        answer an error: `status: 503`, or `statuses: [429, 500]` picked at random;
 *                 `retryAfterSeconds` goes out as Retry-After (on the 429s of a `statuses` list)
 *   latency       wait `ms` before handling
 *   drop          destroy the connection before the request is handled
 *   dropResponse  handle the request, then destroy the connection: the vendor-timeout fault
 * and fires on `times` requests, or as a storm on each matching request with `probability`
 * (0..1) for `forMs` after injection; `seed` makes the draws repeat. Rules are tried in the
 * order injected; a storm that does not fire for a request leaves it to the next rule.
 *
 *   { "route": "*", "vendor": "notion", "seed": 7,
 *     "fault": { "kind": "status", "statuses": [429, 500], "retryAfterSeconds": 1,
 *                "probability": 0.3, "forMs": 60000 } }
 *
 * The audit (sandbox/audit.ts) answers
 *   { "artifacts": [{ "vendor", "kind": "issue"|"comment"|"page"|"event"|"mail", "key", "count", "ids" }],
 *     "duplicates": <sum over keys of count - 1>, "unkeyed": <made with prodops' credentials, no key> }
 */
import type { OrgConfig } from '../domain/config';
import { auditSandbox, type SandboxAudit } from './audit';
import {
  SandboxRouter,
  VendorError,
  faultRuleProblem,
  ok,
  serveRouter,
  type ActiveFaultRule,
  type FaultRule,
  type SandboxVendor,
} from './http';
import { createJiraSandbox, type JiraSandboxOptions } from './jira';
import { createNotionSandbox, type NotionSandboxOptions } from './notion';
import { createGoogleSandbox, type GoogleSandboxOptions } from './google';
import { renderSandboxPage } from './page';
import { SandboxStateFile, type PersistentStore } from './persist';

export type { ActiveFaultRule, Fault, FaultRule, SandboxVendor } from './http';
export type { AuditArtifact, AuditKind, AuditVendor, SandboxAudit } from './audit';

export interface Sandbox {
  readonly url: string;
  readonly port: number;
  readonly router: SandboxRouter;
  readonly jira: ReturnType<typeof createJiraSandbox>;
  readonly notion: ReturnType<typeof createNotionSandbox>;
  readonly google: ReturnType<typeof createGoogleSandbox>;
  snapshot(): Record<string, Record<string, unknown[]>>;
  /** What prodops made, per idempotency key, from the vendors' own records. */
  audit(): SandboxAudit;
  injectFault(rule: FaultRule): ActiveFaultRule;
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
    const problem = faultRuleProblem(req.body);
    if (problem) throw new VendorError(400, { error: problem });
    return ok({ injected: router.injectFault(req.body as FaultRule) }, 201);
  });
  router.add('sandbox', 'GET', '/_sandbox/faults', () => ok({ rules: router.faultRules }));
  const audit = () =>
    auditSandbox({ config: options.config, jira: jira.store, notion: notion.store, google: google.store });
  router.add('sandbox', 'GET', '/_sandbox/audit', () => ok(audit()));
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
    audit,
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
