/**
 * An insight as tools and people submit it: `POST /insights`, `prodops insight add` and each row
 * of `prodops insight import`. One schema, so all three refuse the same things in the same words.
 *
 * Required: source, external id, account and text (and segment, on the webhook). Optional:
 * theme, severity, area, evidence type, link and when the feedback was given. Taxonomy values
 * are not checked here: a value the taxonomy does not know is kept as a problem and the item
 * marked "needs tagging", so nothing a sender took the trouble to send is lost.
 */
import * as z from 'zod';
import type { RawInsight } from './taxonomy';

/** The most text one insight carries; a longer one belongs behind its link. */
export const MAX_INSIGHT_TEXT = 4_000;

const trimmed = (max: number, what: string) =>
  z
    .string({ error: `must be ${what}` })
    .transform((s) => s.trim())
    .pipe(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));

const optionalTag = z
  .string({ error: 'must be text' })
  .max(100, 'must be at most 100 characters')
  .nullish()
  .transform((s) => (s === undefined || s === null || s.trim() === '' ? null : s.trim()));

export const InsightSource = z
  .string({ error: 'must be text' })
  .transform((s) => s.trim().toLowerCase())
  .pipe(
    z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]{0,39}$/,
        'must name the sending system in at most 40 lower-case letters, digits, ".", "_" or "-" (for example zendesk)',
      ),
  );

const ExternalId = z
  .union([z.string(), z.number().int().nonnegative()], { error: 'must be text or a whole number' })
  .transform((v) => String(v).trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .regex(/^[^\s:]+$/, 'must contain no spaces or colons'),
  );

const Link = z
  .string({ error: 'must be a URL' })
  .nullish()
  .transform((s) => (s === undefined || s === null || s.trim() === '' ? null : s.trim()))
  .pipe(
    z
      .string()
      .max(2_000, 'must be at most 2000 characters')
      .refine((s) => /^https?:\/\/[^\s]+$/i.test(s) && URL.canParse(s), 'must be an http(s) URL')
      .nullable(),
  );

const OccurredAt = z
  .string({ error: 'must be an ISO 8601 date-time' })
  .nullish()
  .transform((s) => (s === undefined || s === null || s.trim() === '' ? null : s.trim()))
  .pipe(
    z
      .string()
      .refine(
        (s) =>
          /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(s) &&
          !Number.isNaN(Date.parse(s)),
        'must be a date (YYYY-MM-DD) or an ISO 8601 date-time with an offset',
      )
      .nullable(),
  );

const fields = {
  source: InsightSource,
  externalId: ExternalId,
  account: trimmed(200, 'the customer account'),
  text: trimmed(MAX_INSIGHT_TEXT, 'text'),
  segment: optionalTag,
  theme: optionalTag,
  severity: optionalTag,
  area: optionalTag,
  evidenceType: optionalTag,
  link: Link,
  occurredAt: OccurredAt,
};

/** The names a sender may also use (snake case, as many help desks template them). */
const ALIASES: Record<string, keyof typeof fields> = {
  external_id: 'externalId',
  externalid: 'externalId',
  evidence_type: 'evidenceType',
  evidence: 'evidenceType',
  occurred_at: 'occurredAt',
};

function unalias(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[ALIASES[k] ?? ALIASES[k.toLowerCase()] ?? k] = v;
  return out;
}

/** The submission schema; `segmentRequired` for the webhook, where the sender always knows it. */
export function insightSubmission(options: { segmentRequired: boolean }) {
  const shape = options.segmentRequired
    ? { ...fields, segment: trimmed(100, 'the customer segment') }
    : fields;
  const known = Object.keys(fields).join(', ');
  return z.preprocess(
    unalias,
    z.strictObject(shape, {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `${issue.keys.map((k) => JSON.stringify(k)).join(', ')} ${issue.keys.length === 1 ? 'is not a field' : 'are not fields'} of an insight (${known})`
          : issue.code === 'invalid_type'
            ? 'must be a JSON object'
            : undefined,
    }),
  );
}

export const InsightWebhookBody = insightSubmission({ segmentRequired: true });
export const InsightEntry = insightSubmission({ segmentRequired: false });

export type InsightSubmission = z.infer<typeof InsightEntry>;

/** The submission as the backlog takes it. */
export function toRawInsight(s: InsightSubmission): RawInsight {
  return {
    source: s.source,
    externalId: s.externalId,
    account: s.account,
    text: s.text,
    segment: s.segment ?? null,
    theme: s.theme,
    severity: s.severity,
    area: s.area,
    evidenceType: s.evidenceType,
    link: s.link,
    occurredAt: s.occurredAt
      ? Date.parse(s.occurredAt.length === 10 ? `${s.occurredAt}T12:00:00Z` : s.occurredAt)
      : null,
  };
}
