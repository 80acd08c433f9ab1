/**
 * The shape every trigger function shares, independent of what serves it (the local gateway or
 * the Cloud Functions framework): a request with its raw body, a JSON answer. Checks that all
 * functions make in the same order live here: method, size, content type, JSON syntax.
 */
import { formatPath } from '../domain/values';
import type { z } from 'zod';

/** Vendors never send more; a larger body is refused before anything reads it. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface TriggerRequest {
  method: string;
  /** Header names in lower case, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received: signatures are computed over these bytes. */
  rawBody: Buffer | undefined;
}

export interface TriggerResponse {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type TriggerHandler = (req: TriggerRequest) => Promise<TriggerResponse>;

/** A refusal with the status and the one-line reason the sender sees. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function header(req: TriggerRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export const accepted = (body: Record<string, unknown>): TriggerResponse => ({
  status: 200,
  body: { ok: true, ...body },
});

/** Well formed and authentic, but nothing to do: 2xx so that the vendor does not retry. */
export const ignored = (reason: string, extra: Record<string, unknown> = {}): TriggerResponse => ({
  status: 200,
  body: { ok: true, ignored: reason, ...extra },
});

export const failure = (
  status: number,
  message: string,
  headers?: Record<string, string>,
): TriggerResponse => ({
  status,
  body: { ok: false, error: message },
  ...(headers ? { headers } : {}),
});

export function requirePost(req: TriggerRequest): void {
  if (req.method.toUpperCase() !== 'POST')
    throw new HttpError(405, `method ${req.method} is not allowed: use POST`);
}

export function requireSize(req: TriggerRequest): Buffer {
  const body = req.rawBody ?? Buffer.alloc(0);
  if (body.length > MAX_BODY_BYTES)
    throw new HttpError(413, `body is ${body.length} bytes: at most ${MAX_BODY_BYTES} are accepted`);
  return body;
}

export function requireJsonContentType(req: TriggerRequest): void {
  const type = header(req, 'content-type');
  const mediaType = type?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json')
    throw new HttpError(
      415,
      `content-type must be application/json, got ${type === undefined ? 'none' : JSON.stringify(type.slice(0, 100))}`,
    );
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, 'body is empty: expected a JSON object');
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 120) : 'syntax error';
    throw new HttpError(400, `body is not valid JSON: ${detail}`);
  }
}

/** Validates with a schema; the 400 names the first few fields that are wrong and why. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const path = formatPath(issue.path);
    const message =
      issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return `${path || what}: ${message}`;
  });
  const more = result.error.issues.length > 5 ? ` (and ${result.error.issues.length - 5} more)` : '';
  throw new HttpError(400, `${what} is malformed: ${problems.join('; ')}${more}`);
}

/** Why an event is too old or too far ahead to act on, or null. */
export function eventAgeProblem(occurredAt: number, now: number, maxAgeMinutes: number): string | null {
  const age = now - occurredAt;
  if (age > maxAgeMinutes * 60_000)
    return `the event is ${Math.round(age / 60_000)} minutes old: older than ${maxAgeMinutes} minutes is a replay, not a delivery`;
  if (-age > MAX_CLOCK_SKEW_MS) return 'the event is dated in the future';
  return null;
}

/** Vendors' clocks and ours differ a little; an event from further ahead is not believed. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
