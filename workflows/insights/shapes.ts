/**
 * The shape of every insights message, checked before anything reads it: the commands (refused
 * by their validator, naming the field) and the signals (a malformed one is noted and ignored, so
 * that a bad webhook body or Notion row can never fail the workflow's task). Built from the
 * shared pieces of domain/commands.ts: bounded text without control characters, person ids, and
 * vendor times that are real and not from the future.
 */
import * as z from 'zod';
import {
  DeliveryId,
  FiniteNumber,
  FreeText,
  hasControlCharacters,
  LineText,
  NoteText,
  occurredAtSchema,
  PersonId,
  readMessage,
} from '../../domain/commands';
import { DISPOSITIONS } from '../../domain/insights/taxonomy';
import { OperatorAuthSchema } from '../../domain/operators';
import { MAX_ENTRIES_PER_UPDATE } from './messages';

/** Text that may be empty (an empty tag is no tag), bounded, without control characters. */
const Text = (max: number) =>
  z
    .string({ error: 'must be text' })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !hasControlCharacters(s), 'must be one line without control characters');

/** A taxonomy value as given: text, or null or absent for none. */
const TagValue = Text(100).nullable().optional();

/** Feedback as people write it: paragraphs (a carriage return too), bounded. */
const FeedbackText = z
  .string({ error: 'must be text' })
  .max(4_000, 'must be at most 4000 characters')
  .refine((s) => s.trim() !== '', 'must not be empty')
  .refine((s) => !hasControlCharacters(s.replace(/\r/g, ''), true), 'must not contain control characters');

/**
 * Feedback dated by day only is read as noon UTC of that day, up to half a day ahead of the
 * clock: such a time is today's, not the future's.
 */
const DATE_ONLY_AHEAD_MS = 12 * 60 * 60 * 1000;

/** An insight as the webhook, the Notion route or an import sends it. */
export const ArrivalShape = (now: number) =>
  z.strictObject({
    source: LineText(40),
    externalId: LineText(200),
    account: Text(200),
    text: FeedbackText,
    segment: TagValue,
    theme: TagValue,
    severity: TagValue,
    area: TagValue,
    evidenceType: TagValue,
    link: Text(2_000).nullable().optional(),
    occurredAt: occurredAtSchema(now + DATE_ONLY_AHEAD_MS)
      .nullable()
      .optional(),
    via: z.enum(['webhook', 'notion', 'cli', 'csv'], { error: 'must be webhook, notion, cli or csv' }),
    by: Text(320).nullable().optional(),
    pageId: Text(100).nullable().optional(),
    deliveryId: DeliveryId.optional(),
  });

const InsightId = LineText(40);

const TagChangesShape = z
  .strictObject(
    {
      theme: TagValue,
      segment: TagValue,
      severity: TagValue,
      area: TagValue,
      evidenceType: TagValue,
    },
    { error: 'must be an object of taxonomy fields (theme, segment, severity, area, evidenceType)' },
  )
  .refine((changes) => Object.keys(changes).length > 0, 'must set at least one field');

export const InsightShapes = {
  addInsights: (now: number) =>
    z
      .strictObject({
        entries: z
          .array(ArrivalShape(now), { error: 'must list insights' })
          .min(1, 'must list at least one insight')
          .max(MAX_ENTRIES_PER_UPDATE, `must list at most ${MAX_ENTRIES_PER_UPDATE} insights at a time`),
        by: PersonId.nullable().optional(),
        auth: OperatorAuthSchema.optional(),
      })
      // A signed addition names whom it vouches for; the signature covers that name.
      .refine((c) => c.auth === undefined || typeof c.by === 'string', {
        error: 'must name a person (their id) when the addition is signed',
        path: ['by'],
      }),
  tagInsight: () =>
    z.strictObject({
      id: InsightId,
      changes: TagChangesShape,
      by: PersonId,
      auth: OperatorAuthSchema.optional(),
    }),
  unmergeInsight: () => z.strictObject({ id: InsightId, by: PersonId, auth: OperatorAuthSchema.optional() }),
  decideTheme: () =>
    z.strictObject({
      disposition: z.enum(DISPOSITIONS, { error: `must be ${DISPOSITIONS.join(', ')}` }),
      rationale: NoteText(2_000).optional(),
      by: PersonId,
      auth: OperatorAuthSchema.optional(),
    }),
  // Signals.
  insightReceived: (now: number) => ArrivalShape(now),
  insightEditedInNotion: () =>
    z.strictObject({
      id: InsightId,
      tags: z.strictObject({
        theme: TagValue,
        segment: TagValue,
        severity: TagValue,
        area: TagValue,
        evidenceType: TagValue,
      }),
      by: Text(320).nullable(),
      deliveryId: DeliveryId,
    }),
  roundChanged: () =>
    z.strictObject({
      round: LineText(300),
      ids: z.array(InsightId).max(10_000, 'must list at most 10000 items'),
      decided: z.enum(DISPOSITIONS, { error: `must be ${DISPOSITIONS.join(', ')}` }).nullable(),
      deliveryId: DeliveryId,
    }),
  themeRouted: () =>
    z.strictObject({
      week: z.string({ error: 'must be an ISO week' }).regex(/^\d{4}-W\d{2}$/, 'must be an ISO week'),
      triageId: LineText(200),
      rank: z.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(1_000),
      counts: z.strictObject({
        high: z.number().int().min(0),
        accounts: z.number().int().min(0),
        items: z.number().int().min(0),
        evidence: z.number().int().min(0),
        newest: FiniteNumber,
      }),
      itemIds: z.array(InsightId).max(10_000, 'must list at most 10000 items'),
      deliveryId: DeliveryId,
    }),
  themeDecidedInNotion: (now: number) =>
    z.strictObject({
      round: LineText(300),
      disposition: LineText(100),
      rationale: FreeText(2_000, true).nullable(),
      by: Text(320).nullable(),
      deliveryId: DeliveryId,
      occurredAt: occurredAtSchema(now),
    }),
};

export type InsightMessage = keyof typeof InsightShapes;

/** The message's shape: the value as parsed, or the problem naming the field. */
export const readInsightMessage = <K extends InsightMessage>(kind: K, value: unknown, now: number) =>
  readMessage(InsightShapes, kind, value, now);
