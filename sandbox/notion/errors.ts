/**
 * Notion's error body (`{ object: 'error', status, code, message, request_id }`) and the checks
 * of request values that answer with it, worded as Notion words them.
 */
import { randomUUID } from 'node:crypto';
import { VendorError, isRecord } from '../http';
import { MAX_ARRAY } from './model';

export class NotionError extends VendorError {
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(status, notionErrorBody(status, code, message), headers);
  }
}

export function notionErrorBody(status: number, code: string, message: string) {
  return { object: 'error', status, code, message, request_id: randomUUID() };
}

/** The error code Notion gives a status, for failures raised outside a handler (no route, bad JSON, faults). */
export function codeForStatus(status: number, message: string): string {
  if (status === 400) return /json/i.test(message) ? 'invalid_json' : 'validation_error';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'restricted_resource';
  if (status === 404) return /^No route/.test(message) ? 'invalid_request_url' : 'object_not_found';
  if (status === 409) return 'conflict_error';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'service_unavailable';
  if (status === 504) return 'gateway_timeout';
  if (status === 529) return 'service_overload';
  if (status >= 500) return 'internal_server_error';
  return 'invalid_request';
}

export const validation = (message: string) => new NotionError(400, 'validation_error', message);
export const bodyInvalid = (path: string, problem: string) =>
  validation(`body failed validation: ${path} ${problem}.`);

/** 404 for a record the integration cannot see, as Notion words it. */
export const objectNotFound = (kind: string, id: string) =>
  new NotionError(
    404,
    'object_not_found',
    `Could not find ${kind} with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
  );

/** A request value as Notion quotes it in an error: JSON, cut at 60 characters. */
export function shown(value: unknown): string {
  if (value === undefined) return 'undefined';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** `should be <what>, instead was <value>` at a path. */
export const wrongType = (path: string, what: string, value: unknown) =>
  bodyInvalid(path, `should be ${what}, instead was \`${shown(value)}\``);

export const tooLong = (path: string, limit: number, length: number) =>
  bodyInvalid(`${path}.length`, `should be ≤ \`${limit}\`, instead was \`${length}\``);

export function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) throw wrongType(path, 'an object', value);
  return value;
}

/** An array of at most `MAX_ARRAY` items. */
export function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw wrongType(path, 'an array', value);
  if (value.length > MAX_ARRAY) throw tooLong(path, MAX_ARRAY, value.length);
  return value;
}
