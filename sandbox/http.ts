/**
 * The sandbox's HTTP core: a small router shared by the Jira, Notion and Google fakes, with
 * per-route fault injection (429 with Retry-After, 500, added latency, a dropped connection, an
 * answer lost after the work was done) and a log of every request, so tests can see exactly what
 * the real client libraries sent.
 *
 * Vendor paths do not overlap (Jira /rest/api/3, Notion /v1, Calendar /calendar/v3, Gmail
 * /gmail/v1), so one port serves them all and each client's base URL is the sandbox root.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Vendor = 'jira' | 'notion' | 'google' | 'sandbox';

export interface SandboxRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown;
  rawBody: Buffer;
}

export interface SandboxResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as-is instead of JSON (for example an HTML page). */
  text?: string;
}

export type Handler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

interface Route {
  vendor: Vendor;
  method: string;
  /** The pattern as registered, for example `/rest/api/3/issue/:issueIdOrKey`; faults name routes by it. */
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
}

/**
 * When a fault fires. `times` fires it on that many matching requests, then never again; a storm
 * instead fires on each matching request with `probability` (drawn from the rule's seeded
 * generator, so that a run repeats), for `forMs` after the rule was injected. The two combine:
 * `times` then caps how often a storm fires. With none of them, the fault fires on every request.
 */
export interface FaultFiring {
  times?: number;
  /** 0..1: the chance that a matching request gets the fault (default 1). */
  probability?: number;
  /** How long the rule stays active after injection, in ms (default: until cleared). */
  forMs?: number;
}

export type Fault = FaultFiring &
  (
    | {
        kind: 'status';
        /** One status, or `statuses` to pick from at random (e.g. [429, 500]). */
        status?: number;
        statuses?: number[];
        /** Sent as Retry-After on 429 answers. */
        retryAfterSeconds?: number;
      }
    | { kind: 'latency'; ms: number }
    /** The connection is destroyed before the request is handled. */
    | { kind: 'drop' }
    /** The request is carried out, then the connection closes before the answer: the client cannot tell. */
    | { kind: 'dropResponse' }
  );

export interface FaultRule {
  /** `METHOD pattern` (for example `POST /v1/pages`), or `*` for every vendor route (never `/_sandbox`). */
  route: string;
  vendor?: Vendor;
  fault: Fault;
  /** Seeds the rule's random draws (probability, status picks); random when absent. */
  seed?: number;
  /** How many more requests it applies to; unlimited when absent. */
  remaining?: number;
}

/** An injected rule as the sandbox keeps it. */
export interface ActiveFaultRule extends FaultRule {
  /** Epoch ms of injection. */
  injectedAt: number;
  /** Epoch ms after which it no longer fires, when `forMs` was given. */
  until?: number;
  /** How often it has fired. */
  fired: number;
}

/** A rule's fault as one request gets it: a storm's status picked. */
type FiredFault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'latency'; ms: number }
  | { kind: 'drop' }
  | { kind: 'dropResponse' };

const FAULT_KINDS = ['status', 'latency', 'drop', 'dropResponse'] as const;

/**
 * Checks a rule posted to `/_sandbox/faults`; returns the problem, naming the field, or null.
 */
export function faultRuleProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'the body must be { route, vendor?, seed?, fault: { kind, ... } }';
  if (typeof value.route !== 'string' || value.route === '') return 'route must be "METHOD /pattern" or "*"';
  if (value.vendor !== undefined && !['jira', 'notion', 'google'].includes(value.vendor as string))
    return 'vendor must be jira, notion or google';
  if (value.seed !== undefined && !Number.isInteger(value.seed)) return 'seed must be an integer';
  const fault = value.fault;
  if (!isRecord(fault)) return 'fault must be an object with a kind';
  if (!FAULT_KINDS.includes(fault.kind as (typeof FAULT_KINDS)[number]))
    return `fault.kind must be one of ${FAULT_KINDS.join(', ')}`;
  if (fault.times !== undefined && !(Number.isInteger(fault.times) && (fault.times as number) >= 0))
    return 'fault.times must be a whole number';
  if (
    fault.probability !== undefined &&
    !(typeof fault.probability === 'number' && fault.probability >= 0 && fault.probability <= 1)
  )
    return 'fault.probability must be a number from 0 to 1';
  if (fault.forMs !== undefined && !(typeof fault.forMs === 'number' && fault.forMs > 0))
    return 'fault.forMs must be a positive number of milliseconds';
  const isStatus = (s: unknown) => Number.isInteger(s) && (s as number) >= 400 && (s as number) <= 599;
  if (fault.kind === 'status') {
    if (fault.status === undefined && fault.statuses === undefined)
      return 'a status fault needs status or statuses';
    if (fault.status !== undefined && !isStatus(fault.status))
      return 'fault.status must be an HTTP error status (400–599)';
    if (
      fault.statuses !== undefined &&
      !(Array.isArray(fault.statuses) && fault.statuses.length > 0 && fault.statuses.every(isStatus))
    )
      return 'fault.statuses must be a non-empty list of HTTP error statuses (400–599)';
    if (
      fault.retryAfterSeconds !== undefined &&
      !(Number.isInteger(fault.retryAfterSeconds) && (fault.retryAfterSeconds as number) >= 0)
    )
      return 'fault.retryAfterSeconds must be a whole number of seconds';
  }
  if (fault.kind === 'latency' && !(typeof fault.ms === 'number' && fault.ms >= 0))
    return 'fault.ms must be a number of milliseconds';
  return null;
}

/** mulberry32: small, fast and good enough to draw faults repeatably from a seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LoggedRequest {
  at: number;
  vendor: Vendor;
  method: string;
  route: string;
  path: string;
  status: number;
}

/** What every vendor fake provides to the sandbox. */
export interface SandboxVendor {
  readonly name: 'jira' | 'notion' | 'google';
  register(router: SandboxRouter): void;
  /** A JSON view of the vendor's state, collections keyed by name. */
  snapshot(): Record<string, unknown[]>;
  reset(): void;
}

/** A vendor fake made of a store (state, snapshot, reset) and the routes that serve it. */
export function storeVendor<
  N extends SandboxVendor['name'],
  S extends Pick<SandboxVendor, 'snapshot' | 'reset'>,
>(
  name: N,
  store: S,
  registerRoutes: (router: SandboxRouter, store: S) => void,
): SandboxVendor & { readonly name: N; readonly store: S } {
  return {
    name,
    store,
    register: (router) => registerRoutes(router, store),
    snapshot: () => store.snapshot(),
    reset: () => store.reset(),
  };
}

/** A parsed JSON object (not an array, not null), as request bodies are checked. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Thrown by handlers to answer with a vendor-shaped error body. */
export class VendorError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export class SandboxRouter {
  private readonly routes: Route[] = [];
  private faults: ActiveFaultRule[] = [];
  private readonly randoms = new WeakMap<ActiveFaultRule, () => number>();
  readonly log: LoggedRequest[] = [];
  /** Renders the vendor's error shape for router-level failures (no route, bad JSON). */
  private readonly errorShapes = new Map<Vendor, (status: number, message: string) => unknown>();

  add(vendor: Vendor, method: string, pattern: string, handler: Handler): void {
    const keys: string[] = [];
    const regex = new RegExp(
      '^' +
        pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, key: string) => {
          keys.push(key);
          return '([^/]+)';
        }) +
        '/?$',
    );
    this.routes.push({ vendor, method: method.toUpperCase(), pattern, regex, keys, handler });
  }

  setErrorShape(vendor: Vendor, shape: (status: number, message: string) => unknown): void {
    this.errorShapes.set(vendor, shape);
  }

  injectFault(rule: FaultRule): ActiveFaultRule {
    const injectedAt = Date.now();
    const active: ActiveFaultRule = {
      ...rule,
      remaining: rule.remaining ?? rule.fault.times,
      injectedAt,
      ...(rule.fault.forMs !== undefined ? { until: injectedAt + rule.fault.forMs } : {}),
      fired: 0,
    };
    this.faults.push(active);
    this.randoms.set(active, seededRandom(rule.seed ?? Math.floor(Math.random() * 2 ** 32)));
    return active;
  }

  /** The injected rules, in the order they are tried. */
  get faultRules(): readonly ActiveFaultRule[] {
    return this.faults;
  }

  clearFaults(): void {
    this.faults = [];
  }

  clearLog(): void {
    this.log.length = 0;
  }

  /** Requests the sandbox saw per whole second for one vendor (or route); the highest is the peak rate. */
  peakRate(filter: (r: LoggedRequest) => boolean): number {
    const perSecond = new Map<number, number>();
    for (const r of this.log) {
      if (!filter(r)) continue;
      const second = Math.floor(r.at / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    return Math.max(0, ...perSecond.values());
  }

  /** The most requests in any sliding window of `windowMs` (stricter than whole seconds). */
  peakInWindow(filter: (r: LoggedRequest) => boolean, windowMs = 1000): number {
    const times = this.log
      .filter(filter)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    let peak = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while (times[end]! - times[start]! >= windowMs) start++;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }

  vendorOf(path: string): Vendor {
    if (path.startsWith('/rest/')) return 'jira';
    if (path.startsWith('/v1/')) return 'notion';
    if (path.startsWith('/calendar/') || path.startsWith('/gmail/')) return 'google';
    return 'sandbox';
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = decodeURI(url.pathname);
    let match: { route: Route; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (m) {
        const params: Record<string, string> = {};
        route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
        match = { route, params };
        break;
      }
    }
    const vendor = match?.route.vendor ?? this.vendorOf(path);
    const routeName = match ? `${method} ${match.route.pattern}` : `${method} ${path}`;
    const entry: LoggedRequest = { at: Date.now(), vendor, method, route: routeName, path, status: 0 };
    this.log.push(entry);

    const fault = this.takeFault(vendor, routeName);
    if (fault?.kind === 'drop') {
      entry.status = -1;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.ms));

    let response: SandboxResponse;
    try {
      const rawBody = await readBody(req);
      if (fault?.kind === 'status') {
        response = {
          status: fault.status,
          body: this.errorBody(
            vendor,
            fault.status,
            fault.status === 429 ? 'Rate limited (injected)' : 'Injected failure',
          ),
          headers:
            fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
        };
      } else if (!match) {
        response = { status: 404, body: this.errorBody(vendor, 404, `No route for ${method} ${path}`) };
      } else {
        let body: unknown;
        if (rawBody.length > 0) {
          try {
            body = JSON.parse(rawBody.toString('utf8'));
          } catch {
            throw new VendorError(400, this.errorBody(vendor, 400, 'Body is not valid JSON'));
          }
        }
        response = await match.route.handler({
          method,
          path,
          params: match.params,
          query: url.searchParams,
          headers: req.headers,
          body,
          rawBody,
        });
      }
    } catch (error) {
      if (error instanceof VendorError) {
        response = { status: error.status, body: error.body, headers: error.headers };
      } else if (error instanceof BodyTooLarge) {
        response = { status: 413, body: this.errorBody(vendor, 413, 'Request body too large') };
      } else {
        response = {
          status: 500,
          body: this.errorBody(vendor, 500, error instanceof Error ? error.message : String(error)),
        };
      }
    }
    entry.status = response.status;
    if (fault?.kind === 'dropResponse') {
      entry.status = -1;
      req.socket.destroy();
      return;
    }
    if (response.text !== undefined) {
      res.writeHead(response.status, { 'content-type': 'text/html; charset=utf-8', ...response.headers });
      res.end(response.text);
      return;
    }
    const payload = response.body === undefined ? '' : JSON.stringify(response.body);
    res.writeHead(response.status, {
      ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      ...response.headers,
    });
    res.end(payload);
  }

  errorBody(vendor: Vendor, status: number, message: string): unknown {
    const shape = this.errorShapes.get(vendor);
    return shape ? shape(status, message) : { error: message, status };
  }

  /**
   * The fault a request gets: the first rule that matches and fires. A storm rule that does not
   * fire for this request lets the next rule have its turn, so storms of different kinds combine.
   */
  private takeFault(vendor: Vendor, routeName: string): FiredFault | undefined {
    const now = Date.now();
    for (const rule of this.faults) {
      const applies =
        rule.route === routeName ||
        (rule.route === '*' && vendor !== 'sandbox' && (rule.vendor === undefined || rule.vendor === vendor));
      if (!applies) continue;
      if (rule.until !== undefined && now >= rule.until) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      const random = this.randoms.get(rule) ?? Math.random;
      const { probability } = rule.fault;
      if (probability !== undefined && probability < 1 && !(random() < probability)) continue;
      if (rule.remaining !== undefined) rule.remaining -= 1;
      rule.fired += 1;
      const fault = rule.fault;
      if (fault.kind !== 'status') return fault;
      const choices = fault.statuses ?? [fault.status ?? 500];
      const status = choices[Math.min(choices.length - 1, Math.floor(random() * choices.length))]!;
      return {
        kind: 'status',
        status,
        ...(fault.retryAfterSeconds !== undefined && (status === 429 || fault.statuses === undefined)
          ? { retryAfterSeconds: fault.retryAfterSeconds }
          : {}),
      };
    }
    return undefined;
  }
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Helpers for handlers. */
export const ok = (body: unknown, status = 200, headers?: Record<string, string>): SandboxResponse => ({
  status,
  body,
  headers,
});
export const noContent = (): SandboxResponse => ({ status: 204 });

export interface ServedRouter {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves a router on a loopback port (0 picks a free one). */
export async function serveRouter(
  router: SandboxRouter,
  port = 0,
  host = '127.0.0.1',
): Promise<ServedRouter> {
  const server = createServer((req, res) => {
    router.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    });
  });
  // Keep-alive sockets from client libraries must not hold close() open.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
