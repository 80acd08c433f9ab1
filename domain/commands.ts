/**
 * The shapes every command and event from outside a workflow is checked against before it
 * changes anything: dates that exist (the same check as the configuration's), bounded text
 * without control characters, vendor times that are real and not from the future. A refusal
 * names the field and the problem in one line.
 *
 * Pure zod; workflow validators and handlers use it, so must the CLI and the triggers.
 */
import * as z from 'zod';
import { isValidDate } from './business-calendar';

/** `people[3].manager`, as the configuration's problems name a field. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A command's free text (a note, a reason): a short paragraph. */
export const MAX_NOTE_LENGTH = 500;
/** A label that becomes a search attribute, a Notion select or part of a mail subject. */
export const MAX_LABEL_LENGTH = 100;
/** A vendor time may run ahead of the workflow's clock by this much (clock skew), no more. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

// C0 controls but tab and newline, DEL, C1 controls, and the Unicode line/paragraph separators
// and bidi overrides that make a line read differently from what it holds.
// eslint-disable-next-line no-control-regex
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const CONTROL_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export function hasControlCharacters(text: string, allowNewlines = false): boolean {
  return (allowNewlines ? CONTROL_IN_TEXT : CONTROL_IN_LINE).test(text);
}

/** Strips what a log line must not carry (control characters), keeping at most `max` characters. */
export function printable(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}

/** Free text of a command: trimmed, non-empty, at most `max` characters, newlines allowed. */
export const NoteText = (max = MAX_NOTE_LENGTH) =>
  z
    .string({ error: 'must be text' })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => s.trim() !== '', 'must not be empty')
    .refine((s) => !hasControlCharacters(s, true), 'must not contain control characters');

/**
 * Text from a vendor or a person that may be empty, bounded, without control characters: one line
 * unless `lines`. A carriage return is let through either way (pasted text and Notion values carry
 * them).
 */
export const FreeText = (max: number, lines = false) =>
  z
    .string({ error: 'must be text' })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !hasControlCharacters(s.replace(/\r/g, ''), lines), 'must not contain control characters');

/** A number that is one: not NaN, not infinite. */
export const FiniteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

/** One line of text (a title, a product area): no newlines or control characters. */
export const LineText = (max = MAX_LABEL_LENGTH) =>
  z
    .string({ error: 'must be text' })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => s.trim() !== '', 'must not be empty')
    .refine((s) => !hasControlCharacters(s), 'must be one line without control characters');

/** A calendar date that exists, written YYYY-MM-DD (2027-02-30 does not). */
export const CommandDate = z
  .string({ error: 'must be a date written YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .refine((d) => isValidDate(d), 'is not a date that exists');

/** A person id as the configuration writes them. */
export const PersonId = z
  .string({ error: 'must be a person id' })
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a person id');

/** A vendor's time (ms since the epoch): a real instant, not more than a few minutes ahead of `now`. */
export const occurredAtSchema = (now: number) =>
  z
    .number({ error: 'must be milliseconds since the epoch' })
    .refine(Number.isFinite, 'must be a finite number of milliseconds')
    .refine((t) => t >= 0, 'must not be before 1970')
    .refine((t) => t <= now + MAX_FUTURE_SKEW_MS, {
      error: `must not be more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes in the future`,
    });

/** A delivery id: short, printable. */
export const DeliveryId = z
  .string({ error: 'must be text' })
  .min(1, 'must not be empty')
  .max(300, 'must be at most 300 characters')
  .refine((s) => !hasControlCharacters(s), 'must not contain control characters');

/** The first problem of a failed parse, as `field: problem` (the command's name when at the root). */
export function describeIssues(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  if (!issue) return `${what} is not valid`;
  const path = formatPath(issue.path);
  let message = issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  if (issue.code === 'unrecognized_keys')
    return `${path ? `${path}.` : ''}${issue.keys.join(', ')}: is not a known field`;
  return `${path || what}: ${message}`;
}

/** Parses `value`; the problem in one line when it does not fit. */
export function parseCommand<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): { ok: true; value: z.infer<S> } | { ok: false; problem: string } {
  // With the input on each issue, a field of the wrong type reads "must be text", not "is required".
  const result = schema.safeParse(value, { reportInput: true });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problem: describeIssues(result.error, what) };
}

/** The shape of each message of a process, by its name; some depend on the time (`occurredAt`). */
export type MessageShapes = Record<string, (now: number) => z.ZodType>;

/** A message read by the shape its kind has: the value as parsed, or the problem naming the field. */
export function readMessage<Shapes extends MessageShapes, K extends keyof Shapes & string>(
  shapes: Shapes,
  kind: K,
  value: unknown,
  now: number,
): { ok: true; value: z.infer<ReturnType<Shapes[K]>> } | { ok: false; problem: string } {
  return parseCommand(shapes[kind]!(now), value, kind) as
    { ok: true; value: z.infer<ReturnType<Shapes[K]>> } | { ok: false; problem: string };
}

/** The problem of a message that does not fit its shape, naming the field; null when it fits. */
export function messageProblem<Shapes extends MessageShapes>(
  shapes: Shapes,
  kind: keyof Shapes & string,
  value: unknown,
  now: number,
): string | null {
  const read = readMessage(shapes, kind, value, now);
  return read.ok ? null : read.problem;
}

/**
 * Text from outside made safe to show on one line (a search attribute, a Notion select, a mail
 * subject): control characters become spaces, runs of spaces one, at most `max` characters.
 * Undefined when nothing is left.
 */
export function oneLine(text: string | undefined, max = MAX_LABEL_LENGTH): string | undefined {
  if (text === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ');
  const collapsed = cleaned.replace(/\s+/g, ' ').trim().slice(0, max).trim();
  return collapsed === '' ? undefined : collapsed;
}
