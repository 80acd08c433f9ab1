/**
 * The release's state and the pure transitions over it.
 *
 * `ReleaseWorkflowState` is what a running release carries across continue-as-new: its field
 * names are a contract with every workflow already running and never change. Updates are
 * checked by the `validate*` functions (a refusal throws, before anything is written to
 * history); events and commands are applied by the `apply*` functions, which change the state
 * and answer whether there is something new to reconcile. Neither calls an activity: what must
 * exist in Jira, Notion and Calendar follows from the state in reconcile.ts.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import {
  compareDates,
  localDateOf,
  zonedDateTimeToInstant,
  type CalendarDate,
} from '../../domain/business-calendar';
import { isTier, planRelease, stepsFor, type ReleasePlan, type Tier } from '../../domain/release-plan';
import { TIER_NAMES } from '../../domain/release-content';
import { z } from 'zod';
import {
  CommandDate,
  DeliveryId,
  NoteText,
  occurredAtSchema,
  parseCommand,
  PersonId,
} from '../../domain/commands';
import { mayActFor, OperatorAuthSchema, type OperatorGrant } from '../../domain/operators';
import { note, type Journal } from '../entity-loop';
import type { IdentityState } from '../operator-identity';
import {
  ReleaseRefusals,
  type AwarenessAnswer,
  type AwarenessAnsweredEvent,
  type BundlePublishedEvent,
  type CancelledEvent,
  type Confirmation,
  type EnablementStatus,
  type GoNoGoCommand,
  type GoNoGoDecision,
  type LaunchMovedEvent,
  type ReadinessConfirmedEvent,
  type ReleaseContext,
  type ReleaseFlags,
  type ReleaseInput,
  type ReleasedEvent,
  type ReleasePhase,
  type ReleaseStatus,
  type StepId,
  type StepState,
  type TierChangedEvent,
  type IncludedInWeeklyUpdateEvent,
  type WeeklyUpdateInclusion,
} from './messages';

/**
 * Everything the workflow carries across continue-as-new. Its journal (`log`, `sent`,
 * `deliveries`) is kept with the helpers of entity-loop.ts.
 */
export interface ReleaseWorkflowState extends Journal, IdentityState {
  tier: Tier;
  launchDate: CalendarDate;
  phase: ReleasePhase;
  launchedOn: CalendarDate | null;
  cancelReason: string | null;
  context: ReleaseContext | null;
  /** The plan as of the last re-plan (its `late` is judged on the day of the re-plan). */
  plan: ReleasePlan | null;
  steps: StepState[];
  confirmations: { support: Confirmation | null; sales: Confirmation | null };
  /** Absent from the runs started before the Day-3 question was recorded. */
  awareness?: AwarenessAnswer[];
  goNoGo: GoNoGoDecision[];
  flags: ReleaseFlags;
  bundlePublished: boolean;
  /** When the bundle was published, ISO 8601; absent in states from before it was recorded. */
  bundlePublishedAt?: string | null;
  /**
   * When the release went out, ISO 8601: the instant it was marked released, or the start of the
   * day it names when that day is over. Absent in states from before it was recorded.
   */
  releasedAt?: string | null;
  /** The weekly product update that listed the launch; absent in states from before it was recorded. */
  weeklyUpdate?: WeeklyUpdateInclusion | null;
  /** What has been made, so that reconciling only does what changed. */
  applied: {
    planRevision: number;
    planCommented: string | null;
    releaseLog: string | null;
    releaseLogPageId: string | null;
    bundlePageId: string | null;
    bundleUrl: string | null;
    bundleLevel: Tier | null;
    bundleProps: string | null;
    bundleRetired: boolean;
    subtasks: { support: string | null; sales: string | null };
    subtasksRetired: boolean;
    readinessEvent: string | null;
    retroEvent: string | null;
    retroPageId: string | null;
    /** The Day-3 check-in page, where the leads answer; absent in states from before it existed. */
    checkInPageId?: string | null;
  };
  /** Newest `occurredAt` applied per field: older, late deliveries are ignored. */
  lastEventAt: { launchDate: number; tier: number; lifecycle: number; bundle: number };
  /**
   * The delivery ids applied at that newest time, per field: the same delivery again at the same
   * time is a repeat, another event of the same millisecond is not. Absent in older states.
   */
  lastEventIds?: Partial<Record<'launchDate' | 'tier' | 'lifecycle' | 'bundle', string[]>>;
  replans: number;
}

type State = ReleaseWorkflowState;

export function initialState(input: ReleaseInput): State {
  return {
    tier: input.tier,
    launchDate: input.launchDate,
    phase: 'planning',
    launchedOn: null,
    cancelReason: null,
    context: null,
    plan: null,
    steps: [],
    confirmations: { support: null, sales: null },
    goNoGo: [],
    flags: { late: false, atRisk: false, onHold: false, launchOverdue: false, integrationError: false },
    bundlePublished: false,
    bundlePublishedAt: null,
    releasedAt: null,
    weeklyUpdate: null,
    applied: {
      planRevision: 0,
      planCommented: null,
      releaseLog: null,
      releaseLogPageId: null,
      bundlePageId: null,
      bundleUrl: null,
      bundleLevel: null,
      bundleProps: null,
      bundleRetired: false,
      subtasks: { support: null, sales: null },
      subtasksRetired: false,
      readinessEvent: null,
      retroEvent: null,
      retroPageId: null,
      checkInPageId: null,
    },
    sent: [],
    lastEventAt: { launchDate: 0, tier: 0, lifecycle: 0, bundle: 0 },
    replans: 0,
    log: [],
    deliveries: [],
  };
}

/** What a transition reads besides the state and the event. */
export interface Circumstances {
  /** The release as started: its key, title, PM owner and product area never change. */
  input: ReleaseInput;
  /** The PM's side of the configuration, loaded once the release starts. */
  context: ReleaseContext;
  /** The workflow's clock, ms since epoch. */
  now: number;
  /** The date it is in the PM's time zone. */
  today: CalendarDate;
}

/** What a validator reads: the context may not be loaded yet when an update arrives. */
export type Asked = Pick<Circumstances, 'input' | 'now'>;
/** What a transition reads that may come before the context is loaded. */
type Known = Pick<Circumstances, 'input'>;

/** The date it is in the PM's time zone; null before the context is loaded. */
export function todayOf(state: State, now: number): CalendarDate | null {
  return state.context ? localDateOf(now, state.context.calendar.timezone) : null;
}

export function circumstancesOf(state: State, input: ReleaseInput, now: number): Circumstances {
  const context = state.context;
  if (!context) throw new Error('release context is not loaded');
  return { input, context, now, today: localDateOf(now, context.calendar.timezone) };
}

/** Appends to the release's log (and the worker's), naming the release. */
export function noteFor(state: State, input: ReleaseInput, message: string): void {
  note(state, message, { issueKey: input.issueKey });
}

export const readinessStep = (team: 'support' | 'sales'): StepId =>
  team === 'support' ? 'support-readiness' : 'sales-readiness';

export const isFinished = (state: State): boolean => state.phase === 'cancelled' || state.phase === 'done';

export function step(state: State, id: StepId): StepState {
  const found = state.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
}

export function markStep(state: State, id: StepId, status: StepState['status'], detail?: string): void {
  const s = state.steps.find((x) => x.id === id);
  if (!s) return;
  s.status = status;
  if (detail !== undefined) s.detail = detail;
}

/** Lays out the steps the current tier needs, keeping what existing steps already recorded. */
export function syncSteps(state: State, context: ReleaseContext): void {
  // The state carries the launch date and, once released, the actual launch.
  const wanted = stepsFor(state.tier, state.plan!, state, context.calendar);
  const next: StepState[] = [];
  for (const { id, title, due, needed } of wanted) {
    const existing = state.steps.find((s) => s.id === id);
    if (needed) {
      const status = existing && existing.status !== 'retired' ? existing.status : 'pending';
      next.push({ ...existing, id, title, due, status });
    } else if (existing && existing.status !== 'retired' && existing.status !== 'skipped') {
      next.push({ ...existing, title, due, status: existing.status === 'done' ? 'done' : 'retired' });
    } else if (existing) {
      next.push(existing);
    }
  }
  state.steps = next;
}

/** Re-plans from the current tier and launch date, judging lead time as of today. */
export function replan(state: State, at: Circumstances): void {
  state.plan = planRelease(
    { tier: state.tier, launchDate: state.launchDate, today: at.today },
    at.context.calendar,
    at.context.rules,
  );
  state.flags.late = state.plan.late && !state.bundlePublished;
  // A new due date still ahead lifts an earlier at-risk flag.
  if (state.flags.atRisk && state.plan.bundleDueDate && compareDates(state.plan.bundleDueDate, at.today) >= 0)
    state.flags.atRisk = false;
  syncSteps(state, at.context);
}

/** The first plan of a release, made once its context is loaded. */
export function applyFirstPlan(state: State, at: Circumstances): void {
  replan(state, at);
  const plan = state.plan!;
  noteFor(
    state,
    at.input,
    `planned ${TIER_NAMES[state.tier]} launch on ${state.launchDate}${plan.late ? ` (late: earliest compliant ${plan.earliestCompliantLaunch})` : ''}`,
  );
}

// ---- Status ------------------------------------------------------------------------------

export function enablement(state: State): EnablementStatus {
  if (state.phase === 'cancelled') return 'cancelled';
  if (state.phase === 'launched' || state.phase === 'done') return 'released';
  if (state.tier === 1) return 'not_required';
  if (state.bundlePublished) return 'published';
  if (state.flags.atRisk) return 'at_risk';
  if (state.flags.late) return 'late';
  return 'pending';
}

/** The earliest pending step due today or later; every pending step while `today` is unknown. */
export function nextDeadline(state: State, today: CalendarDate | null): ReleaseStatus['nextDeadline'] {
  const ahead = state.steps
    .filter(
      (s) => s.status === 'pending' && s.due !== null && (today === null || compareDates(s.due, today) >= 0),
    )
    .sort((a, b) => compareDates(a.due!, b.due!));
  return ahead[0] ? { step: ahead[0].id, date: ahead[0].due! } : null;
}

/** How the bundle step's note read before the instant was recorded: "published 2026-06-01 by …". */
const PUBLISHED_NOTE = /^published (\d{4}-\d{2}-\d{2})/;

/**
 * The date the bundle was published in the PM's time zone: from the recorded instant, or, for a
 * run from before it was recorded, from the bundle step's note (written with the PM's date).
 */
export function bundlePublishedOn(state: State): CalendarDate | null {
  if (!state.bundlePublished) return null;
  if (state.bundlePublishedAt && state.context)
    return localDateOf(Date.parse(state.bundlePublishedAt), state.context.calendar.timezone);
  const bundle = state.steps.find((s) => s.id === 'bundle');
  return (bundle?.status === 'done' && PUBLISHED_NOTE.exec(bundle.detail ?? '')?.[1]) || null;
}

export function status(state: State, input: ReleaseInput, now: number): ReleaseStatus {
  return {
    issueKey: input.issueKey,
    title: input.title ?? input.issueKey,
    tier: state.tier,
    pmId: input.pmId,
    productArea: input.productArea ?? null,
    phase: state.phase,
    enablement: enablement(state),
    plan: state.plan ?? {
      tier: state.tier,
      launchDate: state.launchDate,
      calendar: '',
      bundleDueDate: null,
      readinessCheckDate: null,
      dayThreeCheckIn: state.launchDate,
      dayFourteenRetro: state.launchDate,
      late: false,
      earliestCompliantLaunch: null,
    },
    launchedOn: state.launchedOn,
    bundlePublishedAt: state.bundlePublished ? (state.bundlePublishedAt ?? null) : null,
    bundlePublishedOn: bundlePublishedOn(state),
    releasedAt: state.releasedAt ?? null,
    weeklyUpdate: state.weeklyUpdate ? { ...state.weeklyUpdate } : null,
    steps: state.steps.map((s) => ({ ...s })),
    confirmations: { ...state.confirmations },
    awareness: (state.awareness ?? []).map((a) => ({ ...a })),
    goNoGo: [...state.goNoGo],
    flags: { ...state.flags },
    nextDeadline: nextDeadline(state, todayOf(state, now)),
    log: [...state.log],
    replans: state.replans,
  };
}

// ---- Validating commands -----------------------------------------------------------------

const refuse = (message: string, type: string): never => {
  throw ApplicationFailure.nonRetryable(message, type);
};

const NotionPageId = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
    'must be a Notion id',
  );

/** What every event and command may carry besides its own fields. */
const envelope = (now: number) => ({
  occurredAt: occurredAtSchema(now).optional(),
  deliveryId: DeliveryId.optional(),
  auth: OperatorAuthSchema.optional(),
});

/**
 * The shape of each event and command, checked before anything reads it: dates that exist,
 * bounded text, a vendor time that is a time and not from the future. The same shapes guard
 * the signals (a malformed one is ignored) and the updates (refused, naming the field).
 */
export const ReleaseSchemas = {
  move: (now: number) => z.strictObject({ launchDate: CommandDate, ...envelope(now) }),
  tier: (now: number) =>
    z.strictObject({
      tier: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: 'must be 1, 2 or 3' }),
      ...envelope(now),
    }),
  cancel: (now: number) => z.strictObject({ reason: NoteText().optional(), ...envelope(now) }),
  released: (now: number) => z.strictObject({ releasedOn: CommandDate.optional(), ...envelope(now) }),
  publish: (now: number) => z.strictObject({ pageId: NotionPageId.optional(), ...envelope(now) }),
  confirm: (now: number) =>
    z.strictObject({
      team: z.enum(['support', 'sales'], { error: 'must be support or sales' }),
      by: PersonId,
      ...envelope(now),
    }),
  goNoGo: (now: number) =>
    z.strictObject({
      by: PersonId,
      decision: z.enum(['go', 'no-go'], { error: 'must be go or no-go' }),
      note: NoteText().optional(),
      ...envelope(now),
    }),
  awareness: (now: number) =>
    z.strictObject({
      by: PersonId,
      aware: z.boolean({ error: 'must be true or false' }),
      ...envelope(now),
    }),
  weekly: (now: number) =>
    z.strictObject({
      week: z.string().regex(/^\d{4}-W\d{2}$/, 'must be an ISO week written YYYY-Www'),
      pageId: NotionPageId.nullable().optional(),
      url: z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
        .max(2_000)
        .nullable()
        .optional(),
      via: z
        .enum(['contribution-page', 'published'], { error: 'must be contribution-page or published' })
        .optional(),
      occurredAt: occurredAtSchema(now).optional(),
      deliveryId: DeliveryId.optional(),
    }),
  checkIn: (now: number) =>
    z.strictObject({
      pageId: NotionPageId,
      authors: z.array(NotionPageId).max(50),
      occurredAt: occurredAtSchema(now).optional(),
      deliveryId: DeliveryId.optional(),
    }),
};

/** The command's shape, refused by field and problem when it does not fit. */
export function checkShape(
  kind: keyof typeof ReleaseSchemas,
  command: unknown,
  update: string,
  now: number,
): void {
  const parsed = parseCommand(ReleaseSchemas[kind](now), command, update);
  if (!parsed.ok) refuse(parsed.problem, ReleaseRefusals.invalid);
}

export function refuseIfFinished(state: State, input: ReleaseInput, what: string): void {
  if (isFinished(state))
    refuse(`${input.issueKey} is ${state.phase}: cannot ${what}`, ReleaseRefusals.finished);
}

export function validateMove(state: State, event: LaunchMovedEvent, { input, now }: Asked): void {
  checkShape('move', event, 'moveLaunch', now);
  refuseIfFinished(state, input, 'move its launch');
  if (state.phase !== 'planning')
    refuse(
      `${input.issueKey} has already launched (${state.launchedOn}): its launch date cannot move`,
      ReleaseRefusals.notAllowed,
    );
}

export function validateTier(state: State, event: TierChangedEvent, { input, now }: Asked): void {
  checkShape('tier', event, 'changeTier', now);
  refuseIfFinished(state, input, 'change its tier');
  if (!isTier(event.tier))
    refuse(`tier must be 1, 2 or 3, got ${String(event.tier)}`, ReleaseRefusals.invalid);
  if (state.phase !== 'planning')
    refuse(`${input.issueKey} has already launched: its tier cannot change`, ReleaseRefusals.notAllowed);
}

export function validateCancel(state: State, event: CancelledEvent, { input, now }: Asked): void {
  checkShape('cancel', event, 'cancelRelease', now);
  refuseIfFinished(state, input, 'cancel it');
}

export function validateReleased(state: State, event: ReleasedEvent, { input, now }: Asked): void {
  checkShape('released', event, 'markReleased', now);
  refuseIfFinished(state, input, 'mark it released');
  if (state.phase === 'launched')
    refuse(`${input.issueKey} is already released (${state.launchedOn})`, ReleaseRefusals.notAllowed);
  const today = todayOf(state, now);
  if (event.releasedOn !== undefined && today !== null && compareDates(event.releasedOn, today) > 0)
    refuse(
      `releasedOn "${event.releasedOn}" must not be in the future (today is ${today})`,
      ReleaseRefusals.invalid,
    );
}

export function validatePublish(state: State, event: BundlePublishedEvent, { input, now }: Asked): void {
  checkShape('publish', event, 'publishBundle', now);
  refuseIfFinished(state, input, 'publish its bundle');
  if (state.tier === 1)
    refuse(`${input.issueKey} is Tier 1: it has no enablement bundle`, ReleaseRefusals.notAllowed);
}

export function validateConfirmation(
  state: State,
  event: ReadinessConfirmedEvent,
  { input, now }: Asked,
): void {
  checkShape('confirm', event, 'confirmReadiness', now);
  refuseIfFinished(state, input, 'confirm readiness');
  if (state.tier === 1)
    refuse(`${input.issueKey} is Tier 1: it needs no readiness confirmation`, ReleaseRefusals.notAllowed);
  if (!state.context) return; // checked again when applied, once the context is loaded
  const allowed = state.context.confirmers[event.team];
  if (!allowed.includes(event.by))
    refuse(
      `"${event.by}" cannot confirm ${event.team} readiness for ${input.issueKey}: only ${allowed.join(', ') || 'the configured lead'} can`,
      ReleaseRefusals.notAllowed,
    );
}

/** The lead's team, from the context's confirmers: the Support and Sales leads answer. */
export function awarenessTeam(state: State, by: string): 'support' | 'sales' | null {
  if (!state.context) return null;
  if (state.context.confirmers.support.includes(by)) return 'support';
  if (state.context.confirmers.sales.includes(by)) return 'sales';
  return null;
}

export function validateAwareness(state: State, event: AwarenessAnsweredEvent, { input, now }: Asked): void {
  checkShape('awareness', event, 'answerAwareness', now);
  refuseIfFinished(state, input, 'record whether it surprised anyone');
  if (state.tier === 1)
    refuse(`${input.issueKey} is Tier 1: it has no Day-3 check-in`, ReleaseRefusals.notAllowed);
  if (typeof event.aware !== 'boolean')
    refuse(`aware must be true or false, got ${JSON.stringify(event.aware)}`, ReleaseRefusals.invalid);
  if (state.phase !== 'launched')
    refuse(
      `${input.issueKey} has not shipped yet: the awareness question is asked at the Day-3 check-in`,
      ReleaseRefusals.notAllowed,
    );
  if (state.context && awarenessTeam(state, event.by) === null)
    refuse(
      `"${event.by}" cannot answer for ${input.issueKey}: the question is for the Support and Sales leads (${[...state.context.confirmers.support, ...state.context.confirmers.sales].join(', ')})`,
      ReleaseRefusals.notAllowed,
    );
}

/** Validated by `validateAwareness`. A lead who answers again corrects their answer. */
export function applyAwareness(
  state: State,
  event: AwarenessAnsweredEvent,
  source: AwarenessAnswer['source'],
  at: Circumstances,
): boolean {
  const team = awarenessTeam(state, event.by);
  if (team === null || state.phase !== 'launched') return false;
  const answers = (state.awareness ?? []).filter((a) => a.by !== event.by);
  answers.push({ by: event.by, team, aware: event.aware, at: new Date(at.now).toISOString(), source });
  state.awareness = answers;
  noteFor(
    state,
    at.input,
    `${event.by} (${team}) ${event.aware ? 'knew' : 'did not know'} about the release before it shipped`,
  );
  return true;
}

/**
 * Why an answer from the Day-3 check-in page in Notion cannot count, or null: the person the
 * change's one Notion author is (null when none is configured), who must be the Support or the
 * Sales lead, on a release that has shipped.
 */
export function refuseNotionAwareness(
  state: State,
  input: ReleaseInput,
  authors: readonly string[],
  by: string | null,
): string | null {
  if (authors.length !== 1)
    return authors.length === 0
      ? 'no person made the change (an integration, or an event without authors)'
      : `${authors.length} people changed the page at once: the answer is nobody's in particular`;
  if (by === null)
    return `Notion user ${authors[0]} is no person of the configuration (people[].notionUserId)`;
  if (awarenessTeam(state, by) === null)
    return `${by} is not the Support or the Sales lead: the question is for ${[...(state.context?.confirmers.support ?? []), ...(state.context?.confirmers.sales ?? [])].join(', ') || 'the configured leads'}`;
  if (state.tier === 1) return `${input.issueKey} is Tier 1: it has no Day-3 check-in`;
  if (state.phase !== 'launched')
    return `${input.issueKey} is ${state.phase}: the question is asked after launch`;
  return null;
}

export function validateGoNoGo(state: State, command: GoNoGoCommand, { input, now }: Asked): void {
  checkShape('goNoGo', command, 'decideGoNoGo', now);
  refuseIfFinished(state, input, 'take a go/no-go');
  if (state.tier === 1) refuse(`${input.issueKey} is Tier 1: it has no go/no-go`, ReleaseRefusals.notAllowed);
  if (command.by !== input.pmId)
    refuse(
      `only the PM owner (${input.pmId}) can take the go/no-go for ${input.issueKey}; "${command.by}" cannot`,
      ReleaseRefusals.notPmOwner,
    );
  if (state.phase !== 'planning')
    refuse(`${input.issueKey} has already launched`, ReleaseRefusals.notAllowed);
}

/**
 * Whether the operator who signed a command may give it: the release's own commands (move,
 * tier, cancel, released, publish) for the PM owner or a Product Ops grant; a readiness
 * confirmation or the go/no-go for themselves, or for someone else as their grant allows. The
 * refusal, or null.
 */
export function refuseOperator(
  update: string,
  command: { by?: string; team?: 'support' | 'sales' },
  operator: OperatorGrant,
  input: ReleaseInput,
): string | null {
  if (update === 'confirmReadiness')
    return mayActFor(operator, command.by ?? operator.id, command.team ?? 'support');
  if (update === 'decideGoNoGo') return mayActFor(operator, command.by ?? operator.id, 'pm');
  // A lead answers for themselves; answering for a lead takes a Support or a Sales grant.
  if (update === 'answerAwareness') {
    const by = command.by ?? operator.id;
    return mayActFor(operator, by, 'support') && mayActFor(operator, by, 'sales');
  }
  if (operator.id === input.pmId || operator.actsFor.includes('product-ops')) return null;
  return `operator ${operator.id} may not change ${input.issueKey}: only its PM owner (${input.pmId}) or an operator granted product-ops can`;
}

// ---- Applying events and commands --------------------------------------------------------
// Each answers true when the state changed and the release must be reconciled.

/**
 * True for an event older than one already applied to `field`, or for the very delivery applied
 * at the newest time again (one that outlived the delivery log); otherwise records its time and
 * delivery. Two different events of the same millisecond both apply.
 */
export function isStale(
  state: State,
  field: keyof State['lastEventAt'],
  occurredAt: number | undefined,
  deliveryId?: string,
): boolean {
  if (occurredAt === undefined) return false;
  const last = state.lastEventAt[field];
  if (occurredAt < last) return true;
  const ids = (state.lastEventIds ??= {});
  if (occurredAt === last && deliveryId !== undefined && (ids[field] ?? []).includes(deliveryId)) return true;
  if (occurredAt > last) ids[field] = [];
  if (deliveryId !== undefined) ids[field] = [...(ids[field] ?? []), deliveryId].slice(-20);
  state.lastEventAt[field] = occurredAt;
  return false;
}

/**
 * The first half of a launch move: whether it moves anything (a move that does not is noted
 * when ignored). The workflow then loads the calendar the new date needs and applies it.
 */
export function acceptMove(state: State, event: LaunchMovedEvent, { input }: Known): boolean {
  if (state.phase !== 'planning' || isStale(state, 'launchDate', event.occurredAt, event.deliveryId)) {
    noteFor(
      state,
      input,
      `ignored a launch date change to ${event.launchDate} (${state.phase !== 'planning' ? `release is ${state.phase}` : 'older than one already applied'})`,
    );
    return false;
  }
  return event.launchDate !== state.launchDate;
}

/** The second half of a launch move accepted by `acceptMove`: every date is re-planned. */
export function applyMove(state: State, event: LaunchMovedEvent, at: Circumstances): boolean {
  noteFor(state, at.input, `launch moved from ${state.launchDate} to ${event.launchDate}`);
  state.launchDate = event.launchDate;
  state.replans++;
  replan(state, at);
  return true;
}

export function applyTier(state: State, event: TierChangedEvent, at: Circumstances): boolean {
  if (
    state.phase !== 'planning' ||
    !isTier(event.tier) ||
    isStale(state, 'tier', event.occurredAt, event.deliveryId)
  ) {
    noteFor(state, at.input, `ignored a tier change to ${String(event.tier)}`);
    return false;
  }
  if (event.tier === state.tier) return false;
  noteFor(state, at.input, `tier changed from ${state.tier} to ${event.tier}`);
  state.tier = event.tier;
  state.replans++;
  replan(state, at);
  return true;
}

/** A cancellation may arrive before the context is loaded: it needs only the release. */
export function applyCancel(state: State, event: CancelledEvent, { input }: Known): boolean {
  if (isFinished(state) || isStale(state, 'lifecycle', event.occurredAt, event.deliveryId)) return false;
  noteFor(state, input, `cancelled${event.reason ? `: ${event.reason}` : ''}`);
  state.phase = 'cancelled';
  state.cancelReason = event.reason ?? null;
  return true;
}

/**
 * The first half of a release: the date it was released on (today when the event names none),
 * or null when it changes nothing. The workflow then loads the calendar that date needs.
 */
export function acceptReleased(
  state: State,
  event: ReleasedEvent,
  { today }: Circumstances,
): CalendarDate | null {
  if (state.phase !== 'planning' || isStale(state, 'lifecycle', event.occurredAt, event.deliveryId))
    return null;
  return event.releasedOn ?? today;
}

/** What still pending at launch is missed. */
const BEFORE_LAUNCH: StepId[] = [
  'bundle',
  'support-readiness',
  'sales-readiness',
  'readiness-check',
  'go-no-go',
];

/** The second half of a release accepted by `acceptReleased`, on the date it answered. */
export function applyReleased(state: State, on: CalendarDate, at: Circumstances): boolean {
  const planned = on !== state.launchDate ? ` (planned ${state.launchDate})` : '';
  noteFor(state, at.input, `released on ${on}${planned}`);
  state.phase = 'launched';
  state.launchedOn = on;
  // Released today: now. Released on an earlier day: the hour is unknown, so the start of that day.
  state.releasedAt =
    on === at.today
      ? new Date(at.now).toISOString()
      : zonedDateTimeToInstant(on, '00:00', at.context.calendar.timezone);
  state.flags.launchOverdue = false;
  markStep(state, 'launch', 'done', `released on ${on}`);
  for (const id of BEFORE_LAUNCH) {
    const s = state.steps.find((x) => x.id === id);
    if (s && s.status === 'pending') s.status = 'missed';
  }
  syncSteps(state, at.context);
  return true;
}

/** Notion ids with and without dashes name the same object. */
export const sameNotionId = (a: string | null | undefined, b: string | null | undefined): boolean =>
  typeof a === 'string' &&
  typeof b === 'string' &&
  a.replace(/-/g, '').toLowerCase() === b.replace(/-/g, '').toLowerCase();

/**
 * The bundle is published. An event that names a page counts only for the bundle page this
 * release made; `by` says who, as far as the channel knows (a person, or an operator's command).
 */
export function applyBundlePublished(
  state: State,
  event: BundlePublishedEvent,
  at: Circumstances,
  by?: string,
): boolean {
  if (event.pageId !== undefined && !sameNotionId(event.pageId, state.applied.bundlePageId)) {
    noteFor(
      state,
      at.input,
      `ignored a publication of Notion page ${event.pageId}: the bundle of ${at.input.issueKey} is ${state.applied.bundlePageId ?? 'not made yet'}`,
    );
    return false;
  }
  if (
    state.tier === 1 ||
    state.bundlePublished ||
    isStale(state, 'bundle', event.occurredAt, event.deliveryId)
  )
    return false;
  state.bundlePublished = true;
  state.bundlePublishedAt = new Date(at.now).toISOString();
  state.flags.atRisk = false;
  state.flags.late = false;
  markStep(state, 'bundle', 'done', `published ${at.today}${by ? ` by ${by}` : ''}`);
  noteFor(state, at.input, `enablement bundle published${by ? ` by ${by}` : ''}`);
  return true;
}

export function applyConfirmation(
  state: State,
  event: ReadinessConfirmedEvent,
  source: Confirmation['source'],
  at: Circumstances,
  operator?: string,
): boolean {
  if (state.tier === 1 || isFinished(state) || state.confirmations[event.team]) return false;
  if (!at.context.confirmers[event.team].includes(event.by)) {
    noteFor(
      state,
      at.input,
      `refused a ${event.team} readiness confirmation from "${event.by}", who is not allowed to give it`,
    );
    return false;
  }
  const onBehalf = operator !== undefined && operator !== event.by ? operator : undefined;
  state.confirmations[event.team] = {
    by: event.by,
    at: new Date(at.now).toISOString(),
    source,
    ...(onBehalf ? { operator: onBehalf } : {}),
  };
  const who = `${event.by}${onBehalf ? ` via ${source} (operator ${onBehalf})` : source === 'cli' ? '' : ` via ${source}`}`;
  markStep(state, readinessStep(event.team), 'done', `confirmed by ${who}`);
  noteFor(state, at.input, `${event.team} readiness confirmed by ${who}`);
  return true;
}

/** Validated by `validateGoNoGo`: only the PM owner gets here. A no-go puts the release on hold. */
export function applyGoNoGo(
  state: State,
  command: GoNoGoCommand,
  at: Circumstances,
  operator?: string,
): boolean {
  const onBehalf = operator !== undefined && operator !== command.by ? operator : undefined;
  state.goNoGo.push({
    decision: command.decision,
    by: command.by,
    at: new Date(at.now).toISOString(),
    ...(command.note ? { note: command.note } : {}),
    ...(onBehalf ? { operator: onBehalf } : {}),
  });
  state.flags.onHold = command.decision === 'no-go';
  const said = `${command.decision} by ${command.by}${onBehalf ? ` (operator ${onBehalf})` : ''}${command.note ? `: ${command.note}` : ''}`;
  markStep(state, 'go-no-go', command.decision === 'go' ? 'done' : 'pending', said);
  noteFor(state, at.input, said);
  return true;
}

/**
 * A weekly product update listed the launch: the first one is recorded (every tier) and closes
 * Tier 1's step; any later one, or the same one again, changes nothing. True when the step was
 * closed, which may finish the release.
 */
export function applyIncludedInWeeklyUpdate(
  state: State,
  event: IncludedInWeeklyUpdateEvent,
  at: Pick<Circumstances, 'input' | 'now'>,
): boolean {
  if (state.weeklyUpdate || state.phase === 'cancelled') return false;
  const via = event.via ?? 'published';
  state.weeklyUpdate = {
    week: event.week,
    pageId: event.pageId ?? null,
    url: event.url ?? null,
    via,
    at: new Date(at.now).toISOString(),
  };
  const where = via === 'contribution-page' ? "the PM's page of" : 'the published';
  noteFor(state, at.input, `listed in ${where} ${event.week} weekly product update`);
  const s = state.steps.find((x) => x.id === 'weekly-update');
  if (!s || s.status !== 'pending') return false;
  s.status = 'done';
  s.detail = `listed in ${where} ${event.week} weekly product update`;
  if (event.pageId) s.ref = event.pageId;
  if (event.url) s.url = event.url;
  // Tier 1 has nothing after it: the launched release is done.
  if (state.phase === 'launched') state.phase = 'done';
  return true;
}

/** No weekly update listed the launch by the end of the window: the step is missed, the release done. */
export function applyWeeklyUpdateMissed(state: State, input: ReleaseInput, windowEnd: CalendarDate): void {
  markStep(
    state,
    'weekly-update',
    'missed',
    `no weekly product update listed the launch by ${windowEnd} (two weekly publications after it)`,
  );
  noteFor(state, input, `not listed in any weekly product update by ${windowEnd}: the step is missed`);
  state.phase = 'done';
}
