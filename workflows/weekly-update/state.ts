/**
 * The Weekly Product Update's state, carried across continue-as-new, and its pure transitions:
 * a Ready tick (on time, late, after publication, of an earlier week), the deadline closing
 * collection, publication, and the hand-over to next week. No I/O here: reconcile.ts does that.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import * as z from 'zod';
import { DeliveryId, LineText, messageProblem, occurredAtSchema, PersonId } from '../../domain/commands';
import { OperatorAuthSchema } from '../../domain/operators';
import type { Journal } from '../entity-loop';
import type { IdentityState } from '../operator-identity';
import type { IsoWeek } from '../../domain/rituals';
import type { LeaveFact } from '../../domain/weekly-update-content';
import {
  WeeklyUpdateRefusals,
  type ContributionReady,
  type ContributionRefusal,
  type ContributionState,
  type PublishCommand,
  type PublishedRecord,
  type Rollover,
  type WeeklyUpdateContext,
  type WeeklyUpdateInput,
  type WeeklyUpdatePhase,
  type WeeklyUpdateStatus,
} from './messages';

const IsoWeekText = z
  .string({ error: 'must be an ISO week (YYYY-Www)' })
  .regex(/^\d{4}-W\d{2}$/, 'must be an ISO week (YYYY-Www)');

/**
 * The shape of each message, checked before anything reads it: a command that does not fit is
 * refused naming the field, a signal that does not fit is noted and ignored (never a task
 * failure), and a tick dated in the future is not taken.
 */
export const WeeklyUpdateShapes = {
  publishNow: () => z.strictObject({ by: PersonId, auth: OperatorAuthSchema.optional() }),
  handOver: () =>
    z.strictObject({
      toWeek: IsoWeekText,
      caller: LineText(200).optional(),
      auth: OperatorAuthSchema.optional(),
    }),
  contributionReady: (now: number) =>
    z.strictObject({
      week: IsoWeekText,
      // As the page names them: someone who is not a contributor is refused on the record.
      personId: LineText(100),
      by: LineText(100).nullable(),
      pageId: LineText(100).nullable().optional(),
      occurredAt: occurredAtSchema(now),
      deliveryId: DeliveryId.optional(),
    }),
};

/** The problem of a message that does not fit its shape, naming the field; null when it fits. */
export const weeklyMessageProblem = (
  kind: keyof typeof WeeklyUpdateShapes,
  value: unknown,
  now: number,
): string | null => messageProblem(WeeklyUpdateShapes, kind, value, now);

/** A published update counts as on time within the hour after the publication time. */
export const ON_TIME_GRACE_MS = 60 * 60_000;
/** Refusals kept in the record; a flood of stray ticks must not grow the state without bound. */
const REFUSALS_KEPT = 50;

export interface WeeklyUpdateState extends Journal, IdentityState {
  week: IsoWeek;
  phase: WeeklyUpdatePhase;
  context: WeeklyUpdateContext | null;
  /** Leave read when collection opened, for the published page. */
  leave: LeaveFact[];
  contributions: ContributionState[];
  rolledIn: Rollover[];
  rolledOver: Rollover[];
  handedOverTo: IsoWeek | null;
  /** An early publication asked for by an owner, not yet done. */
  publishRequestedBy: string | null;
  /** Who asked for it and through what ("ana via cli (operator priya)"); absent for old runs. */
  publishRequestedVia?: string | null;
  /** The worker's public key as last read and its recent nonces: who may take the hand-over. */
  worker?: IdentityState;
  published: PublishedRecord | null;
  publicationProblem: string | null;
  /** When to try a failed publication again (ms since epoch). */
  retryPublicationAt: number | null;
  refusals: ContributionRefusal[];
}

export function initialState(input: WeeklyUpdateInput): WeeklyUpdateState {
  return {
    week: input.week,
    phase: 'opening',
    context: null,
    leave: [],
    contributions: [],
    rolledIn: [],
    rolledOver: [],
    handedOverTo: null,
    publishRequestedBy: null,
    published: null,
    publicationProblem: null,
    retryPublicationAt: null,
    refusals: [],
    log: [],
    sent: [],
    deliveries: [],
  };
}

export const instant = (iso: string): number => Date.parse(iso);

export function contribution(state: WeeklyUpdateState, personId: string): ContributionState | undefined {
  return state.contributions.find((c) => c.personId === personId);
}

function refuse(state: WeeklyUpdateState, event: ContributionReady, reason: string, now: number): string {
  state.refusals.push({ by: event.by, personId: event.personId, at: new Date(now).toISOString(), reason });
  if (state.refusals.length > REFUSALS_KEPT) state.refusals.splice(0, state.refusals.length - REFUSALS_KEPT);
  return `refused a Ready tick for ${event.personId}: ${reason}`;
}

/**
 * Applies a Ready tick and says what happened, in words for the log. Only the page's own
 * contributor may tick it: the channel vouches for `by`, and anyone else is refused and recorded.
 */
export function applyReady(state: WeeklyUpdateState, event: ContributionReady, now: number): string {
  if (event.by === null) return refuse(state, event, 'the tick came from nobody in the configuration', now);
  if (event.by !== event.personId)
    return refuse(
      state,
      event,
      `only ${event.personId} can mark their own update ready, not ${event.by}`,
      now,
    );
  const at = new Date(now).toISOString();
  if (event.week !== state.week) {
    if (event.week > state.week) return `ignored a tick for ${event.week}, a later week`;
    const list = state.published ? state.rolledOver : state.rolledIn;
    if (list.some((r) => r.fromWeek === event.week && r.personId === event.personId))
      return `${event.personId}'s ${event.week} update was already carried`;
    list.push({ fromWeek: event.week, personId: event.personId, pageId: event.pageId ?? null, readyAt: at });
    return `${event.personId}'s ${event.week} update, ready after that week's publication, ${state.published ? 'rolls into next week' : 'goes into this one'}`;
  }
  const entry = contribution(state, event.personId);
  if (!entry) return refuse(state, event, `${event.personId} is not a contributor this week`, now);
  if (entry.readyAt !== null) return `${event.personId} was already ready`;
  if (event.pageId && entry.pageId === null) entry.pageId = event.pageId;
  entry.readyAt = at;
  if (state.published) {
    entry.status = 'after-publication';
    state.rolledOver.push({
      fromWeek: state.week,
      personId: entry.personId,
      pageId: entry.pageId,
      readyAt: at,
    });
    return `${entry.personId} ready after publication: rolls into next week`;
  }
  entry.status = state.phase === 'closed' ? 'late' : 'ready';
  return `${entry.personId} ready${entry.status === 'late' ? ' (late)' : ''}`;
}

/** The deadline: collection closes; who is not ready is missing so far. */
export function closeCollection(state: WeeklyUpdateState): string[] {
  if (state.phase !== 'collecting') return [];
  state.phase = 'closed';
  const missing = state.contributions.filter((c) => c.status === 'awaiting');
  for (const c of missing) c.status = 'missing';
  return missing.map((c) => c.personId);
}

export function validatePublish(state: WeeklyUpdateState, command: PublishCommand): void {
  const problem = weeklyMessageProblem('publishNow', command, 0);
  if (problem) throw ApplicationFailure.nonRetryable(problem, WeeklyUpdateRefusals.invalid);
  if (!state.context)
    throw ApplicationFailure.nonRetryable(
      `the ${state.week} update is still opening: try again in a moment`,
      WeeklyUpdateRefusals.notOpen,
    );
  if (state.phase === 'opening')
    throw ApplicationFailure.nonRetryable(
      `the ${state.week} update opens at ${state.context.dates.opensAt}: there is nothing to publish yet`,
      WeeklyUpdateRefusals.notOpen,
    );
  if (!state.context.owners.includes(command.by))
    throw ApplicationFailure.nonRetryable(
      `"${command.by}" cannot publish the weekly update: only ${state.context.owners.join(', ')} can`,
      WeeklyUpdateRefusals.notOwner,
    );
  if (state.published)
    throw ApplicationFailure.nonRetryable(
      `the ${state.week} update was already published at ${state.published.at}${state.published.url ? ` (${state.published.url})` : ''}: it is published once`,
      WeeklyUpdateRefusals.alreadyPublished,
    );
}

/** Records the published page; whoever is not ready by now is missing from it. */
export function recordPublished(
  state: WeeklyUpdateState,
  page: { id: string; url: string } | null,
  by: string,
  now: number,
  via?: string,
): void {
  for (const c of state.contributions) if (c.status === 'awaiting') c.status = 'missing';
  state.phase = 'published';
  state.publishRequestedBy = null;
  if (state.publishRequestedVia !== undefined) state.publishRequestedVia = null;
  state.publicationProblem = null;
  state.retryPublicationAt = null;
  state.published = {
    pageId: page?.id ?? null,
    url: page?.url ?? null,
    at: new Date(now).toISOString(),
    by,
    ...(via !== undefined ? { via } : {}),
    onTime: state.context ? now <= instant(state.context.dates.publishAt) + ON_TIME_GRACE_MS : false,
    mailed: false,
    recipients: 0,
  };
}

/** Next week takes what arrived after publication; later ticks are forwarded to it. */
export function takeRollovers(state: WeeklyUpdateState, toWeek: IsoWeek): Rollover[] {
  if (state.handedOverTo === null) state.handedOverTo = toWeek;
  return state.rolledOver.map((r) => ({ ...r }));
}

export function status(state: WeeklyUpdateState): WeeklyUpdateStatus {
  return {
    week: state.week,
    phase: state.phase,
    dates: state.context?.dates ?? null,
    contributions: state.contributions.map((c) => ({ ...c })),
    rolledIn: state.rolledIn.map((r) => ({ ...r })),
    rolledOver: state.rolledOver.map((r) => ({ ...r })),
    handedOverTo: state.handedOverTo,
    published: state.published ? { ...state.published } : null,
    publicationProblem: state.publicationProblem,
    refusals: state.refusals.map((r) => ({ ...r })),
    log: state.log.map((l) => ({ ...l })),
  };
}
