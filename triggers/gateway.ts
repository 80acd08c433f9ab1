/**
 * Every trigger function on one port, for `npm start` and for hosts other than Cloud Functions:
 *
 *   POST /jira       Jira admin webhooks
 *   POST /notion     Notion webhook subscriptions
 *   POST /calendar   Google Calendar push notifications
 *   GET  /healthz    liveness
 *
 * and any read-only pages handed in by the command that starts it (the dashboard), which are
 * answered to GET and HEAD only. A gateway started with pages and no handlers serves only those.
 *
 * Bad input is answered 4xx with one line saying what is wrong; an unreachable Temporal is 503
 * (Jira and Google deliver again); nothing ever answers with a stack trace.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrgConfig } from '../domain/config';
import { createCalendarHandler } from './calendar';
import { RecentDeliveries } from './dedup';
import { describeDelivery, type Delivery, type DeliveryObserver } from './deliveries';
import { calendarAddress, DEFAULT_GATEWAY_PORT, TRIGGER_PATHS, type TriggerName } from './endpoints';
import {
  failure,
  HttpError,
  MAX_BODY_BYTES,
  type TriggerHandler,
  type TriggerRequest,
  type TriggerResponse,
} from './http';
import { createJiraHandler } from './jira';
import { createNotionHandler } from './notion';
import type { TriggerSecrets } from './secrets';
import { TemporalUnavailableError, type WorkflowPort } from './workflow-port';

export type TriggerHandlers = Record<TriggerName, TriggerHandler>;

export interface TriggerSetup {
  config: OrgConfig;
  secrets: TriggerSecrets;
  workflows: WorkflowPort;
  /** The public base URL of the functions; Calendar channels post to `<publicUrl>/calendar`. */
  publicUrl: string | null;
  log?: (line: string) => void;
  /** The clock event ages and channel expiries are judged by; the system's by default. */
  now?: () => number;
  /** Take a Notion handshake although a verification token is configured. */
  acceptNotionVerification?: boolean;
}

export function createTriggerHandlers(setup: TriggerSetup): TriggerHandlers {
  const recent = new RecentDeliveries();
  const log = setup.log ?? ((line: string) => console.log(line));
  return {
    jira: createJiraHandler({
      config: setup.config,
      secrets: setup.secrets.jira,
      workflows: setup.workflows,
      recent,
      ...(setup.now ? { now: setup.now } : {}),
    }),
    notion: createNotionHandler({
      config: setup.config,
      secrets: setup.secrets.notion,
      workflows: setup.workflows,
      recent,
      log,
      ...(setup.now ? { now: setup.now } : {}),
      ...(setup.acceptNotionVerification ? { acceptVerification: true } : {}),
    }),
    calendar: createCalendarHandler({
      config: setup.config,
      secrets: setup.secrets.calendar,
      workflows: setup.workflows,
      address: calendarAddress(setup.publicUrl),
      recent,
      ...(setup.now ? { now: setup.now } : {}),
    }),
  };
}

/** Runs a handler and turns every way it can fail into an answer without internals. */
export async function runTrigger(
  handler: TriggerHandler,
  req: TriggerRequest,
  log: (line: string) => void = (line) => console.error(line),
): Promise<TriggerResponse> {
  try {
    return await handler(req);
  } catch (error) {
    if (error instanceof HttpError) return failure(error.status, error.message);
    if (error instanceof TemporalUnavailableError) {
      log(`triggers: ${error.message}`);
      return failure(503, 'Temporal is unreachable: deliver again later', { 'retry-after': '30' });
    }
    log(`triggers: unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
    return failure(500, 'internal error');
  }
}

export interface Gateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A read-only page: answered to GET and HEAD, with its own content type. */
export type PageHandler = (req: { query: URLSearchParams; headers: IncomingMessage['headers'] }) => Promise<{
  status: number;
  headers: Record<string, string>;
  body: string;
}>;

export interface GatewayOptions {
  /** The trigger functions; absent for a server of pages only. */
  handlers?: TriggerHandlers;
  /** Read-only pages by path, for example `/dashboard`. */
  pages?: Record<string, PageHandler>;
  port?: number;
  /** The address to listen on: this machine only (127.0.0.1) unless told otherwise. */
  host?: string;
  log?: (line: string) => void;
  /** Told of every delivery once it is answered: the log line and the counters of a deployment. */
  observe?: DeliveryObserver;
  limits?: Partial<GatewayLimits>;
}

/**
 * What one client may hold of the gateway. Vendors send one small request and wait for the
 * answer; anything slower than this is a client holding a connection open on purpose.
 */
export interface GatewayLimits {
  /** The whole request, headers and body, must arrive within this. */
  requestTimeoutMs: number;
  /** The headers must arrive within this. */
  headersTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections open at once; more are refused until one closes. */
  maxConnections: number;
  /** How often open connections are checked against the timeouts. */
  checkIntervalMs: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  checkIntervalMs: 1_000,
};

const ROUTES: Record<string, TriggerName> = Object.fromEntries(
  Object.entries(TRIGGER_PATHS).map(([name, path]) => [path, name as TriggerName]),
);

function send(res: ServerResponse, response: TriggerResponse, close = false): void {
  const payload = JSON.stringify(response.body);
  res.writeHead(response.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...(close ? { connection: 'close' } : {}),
    ...response.headers,
  });
  res.end(payload);
}

/** Reads the body up to the limit; undefined when it is larger (the answer is then 413). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function servePage(page: PageHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, failure(405, 'read-only: GET or HEAD', { allow: 'GET, HEAD' }));
    return;
  }
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  const answer = await page({ query: url.searchParams, headers: req.headers });
  res.writeHead(answer.status, { 'content-length': Buffer.byteLength(answer.body), ...answer.headers });
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? ((line: string) => console.error(line));
  const observe = (delivery: Delivery) => {
    try {
      options.observe?.(delivery);
    } catch (error) {
      // The delivery is answered already: a broken log or meter must not touch it.
      log(`triggers: observing a delivery failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const limits = { ...DEFAULT_GATEWAY_LIMITS, ...options.limits };
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      void (async () => {
        const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
        if (path === '/healthz') {
          send(res, {
            status: 200,
            body: {
              ok: true,
              functions: options.handlers ? Object.values(ROUTES) : [],
              pages: Object.keys(options.pages ?? {}),
            },
          });
          return;
        }
        const page = options.pages?.[path];
        if (page) {
          await servePage(page, req, res);
          return;
        }
        const name = options.handlers ? ROUTES[path] : undefined;
        if (!name || !options.handlers) {
          const known = [
            ...(options.handlers ? ['/jira', '/notion', '/calendar'] : []),
            ...Object.keys(options.pages ?? {}),
          ];
          send(res, failure(404, `nothing at ${path.slice(0, 100)}: use ${known.join(', ')}`));
          return;
        }
        const started = performance.now();
        const body = await readBody(req);
        if (body === undefined) {
          // Stop reading: the rest of an oversized body is not worth receiving.
          const tooLarge = failure(413, `body is larger than ${MAX_BODY_BYTES} bytes`);
          send(res, tooLarge, true);
          res.once('finish', () => req.destroy());
          observe(describeDelivery(name, tooLarge, performance.now() - started));
          return;
        }
        const response = await runTrigger(
          options.handlers[name],
          { method: req.method ?? 'GET', headers: req.headers, rawBody: body },
          log,
        );
        send(res, response);
        observe(describeDelivery(name, response, performance.now() - started));
      })().catch((error: unknown) => {
        log(`triggers: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) send(res, failure(500, 'internal error'), true);
        else res.destroy();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = 100;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_GATEWAY_PORT, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
