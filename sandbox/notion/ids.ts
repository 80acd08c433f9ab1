/** Notion's ids: dashed UUIDs (accepted without dashes too), and stable ones for seeded records. */
import { createHash } from 'node:crypto';
import { validation, shown } from './errors';

function hash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A stable UUID for a name, so seeded ids are the same on every run. */
export function stableUuid(name: string): string {
  const hex = hash(name).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const SHORT_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A four-character id, as Notion gives properties, options and status groups. */
export function shortId(name: string): string {
  return [...hash(name).subarray(0, 4)].map((b) => SHORT_ID_ALPHABET[b % SHORT_ID_ALPHABET.length]).join('');
}

/** Notion accepts ids with or without dashes and answers with the dashed form. */
export function normalizeNotionId(raw: string): string | undefined {
  const hex = raw.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An id from a request that may hold anything: normalised, or undefined. */
export function idOf(value: unknown): string | undefined {
  return typeof value === 'string' ? normalizeNotionId(value) : undefined;
}

/** A path parameter's id, or Notion's validation error naming the parameter. */
export function pathId(raw: string, name: string): string {
  const id = normalizeNotionId(raw);
  if (!id)
    throw validation(
      `path failed validation: path.${name} should be a valid uuid, instead was \`${shown(raw)}\`.`,
    );
  return id;
}
