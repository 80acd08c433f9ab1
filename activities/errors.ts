/**
 * Turns whatever a client library throws into an ApplicationFailure that Temporal can act on:
 * permanent failures (400, 401, 403, 404, 409, 422 …) are non-retryable; 429, 5xx and network
 * errors are retryable and carry the server's Retry-After as `nextRetryDelay`.
 * Messages name the operation and the idempotency key, never a credential.
 */
import { ApplicationFailure } from '@temporalio/common';

export type IntegrationSystem = 'jira' | 'notion' | 'google-calendar' | 'gmail';

export interface OperationContext {
  system: IntegrationSystem;
  /** What was attempted, for example `createIssue` or `pages.create`. */
  operation: string;
  /** The stable idempotency key or the resource id the operation was about. */
  key?: string;
}

/** Error types carried by the failures; workflows and tests match on these. */
export const ErrorTypes = {
  badRequest: 'BadRequest',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  notFound: 'NotFound',
  conflict: 'Conflict',
  gone: 'Gone',
  rateLimited: 'RateLimited',
  unavailable: 'Unavailable',
  network: 'NetworkError',
  invalidInput: 'InvalidInput',
  unknown: 'UnknownError',
} as const;

const PERMANENT: Record<number, string> = {
  400: ErrorTypes.badRequest,
  401: ErrorTypes.unauthorized,
  403: ErrorTypes.forbidden,
  404: ErrorTypes.notFound,
  405: ErrorTypes.badRequest,
  409: ErrorTypes.conflict,
  410: ErrorTypes.gone,
  412: ErrorTypes.conflict,
  413: ErrorTypes.badRequest,
  415: ErrorTypes.badRequest,
  422: ErrorTypes.badRequest,
};

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  // gaxios (googleapis) sets this code when its own request timeout fires.
  'TimeoutError',
]);

/** What we could learn from an error thrown by jira.js (fetch), gaxios (googleapis) or the Notion client. */
export interface HttpErrorFacts {
  status?: number;
  retryAfterSeconds?: number;
  vendorMessage?: string;
  networkCode?: string;
}

export function httpErrorFacts(error: unknown): HttpErrorFacts {
  const e = error as Record<string, unknown> | null | undefined;
  if (!e || typeof e !== 'object') return {};
  const response = (e.response ?? undefined) as Record<string, unknown> | undefined;
  const status =
    numberOf(e.status) ??
    numberOf(response?.status) ??
    numberOf(e.statusCode) ??
    numberOf((e.cause as Record<string, unknown> | undefined)?.status);
  const headers = response?.headers ?? e.headers;
  // jira.js 6 keeps no headers on its errors: a 429 carries Retry-After as retryAfterMs.
  const retryAfterMs = numberOf(e.retryAfterMs);
  const retryAfterSeconds =
    parseRetryAfter(headerValue(headers, 'retry-after')) ??
    (retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined);
  const code =
    typeof e.code === 'string'
      ? e.code
      : typeof (e.cause as { code?: unknown } | undefined)?.code === 'string'
        ? (e.cause as { code: string }).code
        : undefined;
  const networkCode =
    code && NETWORK_CODES.has(code)
      ? code
      : status === undefined && isFetchNetworkError(e)
        ? 'NETWORK'
        : undefined;
  return { status, retryAfterSeconds, vendorMessage: vendorMessageOf(e, response), networkCode };
}

function isFetchNetworkError(e: Record<string, unknown>): boolean {
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  return (
    name === 'RequestTimeoutError' ||
    /fetch failed|socket hang up|network|terminated|other side closed|ECONNRESET|ECONNREFUSED/i.test(
      message,
    ) ||
    (e.cause instanceof Error && /socket|closed|reset|refused/i.test(e.cause.message))
  );
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const v = (headers as { get(n: string): unknown }).get(name);
    if (typeof v === 'string') return v;
  }
  if (typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
      if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
    }
  }
  return undefined;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function vendorMessageOf(
  e: Record<string, unknown>,
  response: Record<string, unknown> | undefined,
): string | undefined {
  const data = (response?.data ?? e.body ?? undefined) as unknown;
  const parts: string[] = [];
  if (data && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    // Jira: { errorMessages: [], errors: { field: msg } }
    if (Array.isArray(d.errorMessages)) parts.push(...d.errorMessages.map(String));
    if (d.errors && typeof d.errors === 'object' && !Array.isArray(d.errors)) {
      parts.push(
        ...Object.entries(d.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`),
      );
    }
    // Google: { error: { code, message, errors: [...] } }
    if (d.error && typeof d.error === 'object') {
      const ge = d.error as Record<string, unknown>;
      if (typeof ge.message === 'string') parts.push(ge.message);
    }
    // Notion: { object: 'error', code, message }
    if (typeof d.message === 'string' && parts.length === 0) parts.push(d.message);
  } else if (typeof data === 'string' && data.length > 0 && data.length < 500) {
    try {
      return vendorMessageOf({ body: JSON.parse(data) as unknown }, undefined);
    } catch {
      parts.push(data);
    }
  }
  if (parts.length === 0 && typeof e.message === 'string') parts.push(e.message);
  return parts.length > 0 ? redact(parts.join('; ')) : undefined;
}

/** Bearer tokens, basic credentials and key-like query strings never leave an activity. */
export function redact(text: string): string {
  return text
    .replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]')
    .replace(
      /((?:access_token|refresh_token|api_?key|token|key|secret|password)=)[^&\s"']+/gi,
      '$1[redacted]',
    )
    .replace(/\b(secret_|ntn_)[A-Za-z0-9]{10,}/g, '[redacted]')
    .replace(/\bya29\.[A-Za-z0-9._-]+/g, '[redacted]');
}

/**
 * Classifies an error thrown by an integration call. Already-classified failures pass through
 * unchanged so that helpers can be nested.
 */
export function classifyError(error: unknown, ctx: OperationContext): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const facts = httpErrorFacts(error);
  const about = `${ctx.system} ${ctx.operation}${ctx.key ? ` [${ctx.key}]` : ''}`;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'notionhq_client_invalid_path_parameter') {
    // The Notion client refuses a malformed id before sending anything: retrying cannot help.
    return invalidInput(ctx, error instanceof Error ? redact(error.message) : 'an id is malformed');
  }
  const detail = facts.vendorMessage ? `: ${facts.vendorMessage}` : '';

  if (facts.status !== undefined) {
    // Notion answers 409 conflict_error to concurrent edits of one page and asks for a retry.
    const transientConflict = facts.status === 409 && ctx.system === 'notion' && code === 'conflict_error';
    // Google reports quota and rate limits as 403 with a reason; they pass like a 429.
    const googleRateLimit = facts.status === 403 && GOOGLE_RATE_LIMIT_REASONS.has(googleReason(error) ?? '');
    if (facts.status === 429 || facts.status >= 500 || transientConflict || googleRateLimit) {
      const type =
        facts.status === 429 || googleRateLimit
          ? ErrorTypes.rateLimited
          : transientConflict
            ? ErrorTypes.conflict
            : ErrorTypes.unavailable;
      return ApplicationFailure.create({
        type,
        message: `${about} failed with HTTP ${facts.status}${detail}; will retry`,
        nonRetryable: false,
        nextRetryDelay:
          facts.retryAfterSeconds !== undefined ? `${Math.max(1, facts.retryAfterSeconds)}s` : undefined,
        details: [{ status: facts.status, system: ctx.system, operation: ctx.operation, key: ctx.key }],
      });
    }
    const type =
      PERMANENT[facts.status] ?? (facts.status >= 400 ? ErrorTypes.badRequest : ErrorTypes.unknown);
    return ApplicationFailure.create({
      type,
      message: `${about} was refused with HTTP ${facts.status}${detail}`,
      nonRetryable: true,
      details: [{ status: facts.status, system: ctx.system, operation: ctx.operation, key: ctx.key }],
    });
  }
  if (facts.networkCode) {
    return ApplicationFailure.create({
      type: ErrorTypes.network,
      message: `${about} could not reach the server (${facts.networkCode}); will retry`,
      nonRetryable: false,
      details: [{ system: ctx.system, operation: ctx.operation, key: ctx.key }],
    });
  }
  const message = error instanceof Error ? redact(error.message) : redact(String(error));
  // Unknown errors are retried: a bug shows up as a stuck activity with a clear message, not as lost work.
  return ApplicationFailure.create({
    type: ErrorTypes.unknown,
    message: `${about} failed: ${message}`,
    nonRetryable: false,
    details: [{ system: ctx.system, operation: ctx.operation, key: ctx.key }],
  });
}

const GOOGLE_RATE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'quotaExceeded',
  'dailyLimitExceeded',
]);

/** The `reason` of a Google API error body: { error: { errors: [{ reason }] } }. */
function googleReason(error: unknown): string | undefined {
  const response = (error as { response?: { data?: unknown } } | null)?.response;
  const body = response?.data as { error?: { errors?: { reason?: unknown }[] } } | undefined;
  const reason = body?.error?.errors?.[0]?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** Runs one call and classifies what it throws. */
export async function callIntegration<T>(ctx: OperationContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyError(error, ctx);
  }
}

/** A non-retryable failure for input the activity refuses before calling anything. */
export function invalidInput(ctx: OperationContext, problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorTypes.invalidInput,
    message: `${ctx.system} ${ctx.operation}${ctx.key ? ` [${ctx.key}]` : ''}: ${problem}`,
    nonRetryable: true,
  });
}

/** One item of a batch: its result, or the permanent failure that stopped it (the others still ran). */
export type BatchOutcome<T> = { ok: true; value: T } | { ok: false; error: string; type: string };

/**
 * Runs a batch's items one after another, so that one activity (one Temporal action) does what
 * a workflow step needs. A failure Temporal may retry (429, 5xx, network) fails the batch, and
 * the retry repeats it: every item must be idempotent, so what was done is found done. A
 * permanent failure of one item is returned in its place and the others still run.
 */
export async function runBatch<I, O>(
  ctx: OperationContext,
  items: readonly I[],
  run: (item: I) => Promise<O>,
): Promise<BatchOutcome<O>[]> {
  if (!Array.isArray(items)) throw invalidInput(ctx, 'the batch must be a list');
  const out: BatchOutcome<O>[] = [];
  for (const item of items as readonly I[]) {
    try {
      out.push({ ok: true, value: await run(item) });
    } catch (error) {
      if (error instanceof ApplicationFailure && error.nonRetryable)
        out.push({ ok: false, error: error.message, type: error.type ?? ErrorTypes.unknown });
      else throw error;
    }
  }
  return out;
}
