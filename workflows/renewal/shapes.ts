/**
 * The shape of every renewal message, checked before anything reads it: the commands (refused by
 * their validator, naming the field) and the signals (a malformed one is noted and ignored, so
 * that a bad Notion row or a future-dated event can never fail the workflow's task or shadow the
 * changes after it). Built from the shared pieces of domain/commands.ts. What the fields of a
 * subscription mean is checked after, by `shapeProblems` (state.ts), field by field.
 */
import * as z from 'zod';
import {
  CommandDate,
  DeliveryId,
  FiniteNumber,
  FreeText,
  messageProblem,
  NoteText,
  occurredAtSchema,
  PersonId,
} from '../../domain/commands';
import { OperatorAuthSchema } from '../../domain/operators';
import { DECISIONS } from '../../domain/subscription';

/** A raw field: what a command line or a Notion property can hold, bounded. */
const RawValue = z.union([FreeText(2_000), FiniteNumber, z.boolean(), z.null()], {
  error: 'must be text, a number, true or false',
});

const RAW_FIELDS = [
  'tool',
  'vendor',
  'owner',
  'team',
  'category',
  'costPerCycle',
  'currency',
  'cycle',
  'renewalDate',
  'noticeDays',
  'autoRenews',
  'seats',
  'seatsInUse',
] as const;

const RawFields = z.strictObject(
  Object.fromEntries(RAW_FIELDS.map((f) => [f, RawValue.optional()])) as Record<
    (typeof RAW_FIELDS)[number],
    z.ZodOptional<typeof RawValue>
  >,
  { error: "must be an object of the subscription's fields" },
);

/**
 * The fields as a Notion page holds them: any value (shapeProblems reads each as the field it is
 * and names what does not fit), but only the fields a subscription has.
 */
const PageFields = z.strictObject(
  Object.fromEntries(RAW_FIELDS.map((f) => [f, z.unknown().optional()])) as Record<
    (typeof RAW_FIELDS)[number],
    z.ZodOptional<z.ZodUnknown>
  >,
  { error: "must be an object of the subscription's fields" },
);

const Via = z.enum(['cli', 'notion'], { error: 'must be cli or notion' });

export const RenewalShapes = {
  setSubscription: () =>
    z.strictObject({
      fields: RawFields,
      by: PersonId,
      via: Via,
      auth: OperatorAuthSchema.optional(),
    }),
  decideRenewal: () =>
    z.strictObject({
      decision: z.enum(DECISIONS, { error: `must be ${DECISIONS.join(', ')}` }),
      note: NoteText(2_000).optional(),
      by: PersonId,
      via: Via,
      auth: OperatorAuthSchema.optional(),
    }),
  snoozeReminder: () =>
    z.strictObject({
      until: CommandDate,
      note: NoteText(2_000).optional(),
      by: PersonId,
      via: Via,
      auth: OperatorAuthSchema.optional(),
    }),
  // Signals.
  subscriptionPageChanged: (now: number) =>
    z.strictObject({
      pageId: FreeText(100),
      fields: PageFields,
      decision: FreeText(100).nullable(),
      written: z.strictObject({
        noticeDeadline: FreeText(100).nullable().optional(),
        status: FreeText(200).nullable().optional(),
        annualCost: FiniteNumber.nullable().optional(),
        problems: FreeText(10_000, true).nullable().optional(),
      }),
      author: FreeText(320).nullable(),
      occurredAt: occurredAtSchema(now),
      deliveryId: DeliveryId,
    }),
  budgetPositionChanged: () =>
    z.strictObject({
      renewalDate: CommandDate,
      callout: z
        .strictObject({
          year: z.number().int(),
          team: FreeText(100),
          teamName: FreeText(200),
          renewalDate: CommandDate,
          budgetCents: FiniteNumber,
          committedCents: FiniteNumber,
          overByCents: FiniteNumber,
          renewalCents: FiniteNumber,
          tipsOver: z.boolean(),
          baseCurrency: FreeText(10),
        })
        .nullable(),
    }),
  // The tool budget's signals: a subscription's facts (its renewal workflow sends them; the
  // budget activity reads them in full), and a refresh asked for from the command line.
  budgetFactsChanged: () =>
    z.strictObject({
      subscriptionId: FreeText(100),
      facts: z
        .looseObject({ subscriptionId: FreeText(100) }, { error: 'must be the facts of a subscription' })
        .nullable(),
      at: z
        .number({ error: 'must be milliseconds since the epoch' })
        .refine(Number.isFinite, 'must be a finite number'),
    }),
  refreshBudget: () => z.strictObject({ by: FreeText(100), via: Via }),
};

export type RenewalMessage = keyof typeof RenewalShapes;

/** The problem of a message that does not fit its shape, naming the field; null when it fits. */
export const renewalMessageProblem = (kind: RenewalMessage, value: unknown, now: number): string | null =>
  messageProblem(RenewalShapes, kind, value, now);
