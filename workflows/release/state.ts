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
import { compareDates, localDateOf, type CalendarDate } from '../../domain/business-calendar';
import { isTier, planRelease, stepsFor, type ReleasePlan, type Tier } from '../../domain/release-plan';
import { TIER_NAMES } from '../../domain/release-content';
import { note, type Journal } from '../entity-loop';
import {
  ReleaseRefusals,
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
} from './messages';

/**
 * Everything the workflow carries across continue-as-new. Its journal (`log`, `sent`,
 * `deliveries`) is kept with the helpers of entity-loop.ts.
 */
export interface ReleaseWorkflowState extends Journal {
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
  goNoGo: GoNoGoDecision[];
  flags: ReleaseFlags;
  bundlePublished: boolean;
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
  };
  /** Newest `occurredAt` applied per field: older, late deliveries are ignored. */
  lastEventAt: { launchDate: number; tier: number; lifecycle: number; bundle: number };
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
    steps: state.steps.map((s) => ({ ...s })),
    confirmations: { ...state.confirmations },
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

const isDateWritten = (value: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(value);

export function refuseIfFinished(state: State, input: ReleaseInput, what: string): void {
  if (isFinished(state))
    refuse(`${input.issueKey} is ${state.phase}: cannot ${what}`, ReleaseRefusals.finished);
}

export function validateMove(state: State, event: LaunchMovedEvent, { input }: Asked): void {
  refuseIfFinished(state, input, 'move its launch');
  if (state.phase !== 'planning')
    refuse(
      `${input.issueKey} has already launched (${state.launchedOn}): its launch date cannot move`,
      ReleaseRefusals.notAllowed,
    );
  if (!isDateWritten(event.launchDate) || Number.isNaN(Date.parse(`${event.launchDate}T00:00:00Z`)))
    refuse(`launchDate "${event.launchDate}" is not a date written YYYY-MM-DD`, ReleaseRefusals.invalid);
}

export function validateTier(state: State, event: TierChangedEvent, { input }: Asked): void {
  refuseIfFinished(state, input, 'change its tier');
  if (!isTier(event.tier))
    refuse(`tier must be 1, 2 or 3, got ${String(event.tier)}`, ReleaseRefusals.invalid);
  if (state.phase !== 'planning')
    refuse(`${input.issueKey} has already launched: its tier cannot change`, ReleaseRefusals.notAllowed);
}

export function validateCancel(state: State, _event: CancelledEvent, { input }: Asked): void {
  refuseIfFinished(state, input, 'cancel it');
}

export function validateReleased(state: State, event: ReleasedEvent, { input, now }: Asked): void {
  refuseIfFinished(state, input, 'mark it released');
  if (state.phase === 'launched')
    refuse(`${input.issueKey} is already released (${state.launchedOn})`, ReleaseRefusals.notAllowed);
  const today = todayOf(state, now);
  if (
    event.releasedOn !== undefined &&
    (!isDateWritten(event.releasedOn) || (today !== null && compareDates(event.releasedOn, today) > 0))
  )
    refuse(
      `releasedOn "${event.releasedOn}" must be a date written YYYY-MM-DD, not in the future`,
      ReleaseRefusals.invalid,
    );
}

export function validatePublish(state: State, _event: BundlePublishedEvent, { input }: Asked): void {
  refuseIfFinished(state, input, 'publish its bundle');
  if (state.tier === 1)
    refuse(`${input.issueKey} is Tier 1: it has no enablement bundle`, ReleaseRefusals.notAllowed);
}

export function validateConfirmation(state: State, event: ReadinessConfirmedEvent, { input }: Asked): void {
  refuseIfFinished(state, input, 'confirm readiness');
  if (state.tier === 1)
    refuse(`${input.issueKey} is Tier 1: it needs no readiness confirmation`, ReleaseRefusals.notAllowed);
  if (event.team !== 'support' && event.team !== 'sales')
    refuse(`team must be support or sales, got "${String(event.team)}"`, ReleaseRefusals.invalid);
  if (!state.context) return; // checked again when applied, once the context is loaded
  const allowed = state.context.confirmers[event.team];
  if (!allowed.includes(event.by))
    refuse(
      `"${event.by}" cannot confirm ${event.team} readiness for ${input.issueKey}: only ${allowed.join(', ') || 'the configured lead'} can`,
      ReleaseRefusals.notAllowed,
    );
}

export function validateGoNoGo(state: State, command: GoNoGoCommand, { input }: Asked): void {
  refuseIfFinished(state, input, 'take a go/no-go');
  if (state.tier === 1) refuse(`${input.issueKey} is Tier 1: it has no go/no-go`, ReleaseRefusals.notAllowed);
  if (command.decision !== 'go' && command.decision !== 'no-go')
    refuse(`decision must be "go" or "no-go", got "${String(command.decision)}"`, ReleaseRefusals.invalid);
  if (command.by !== input.pmId)
    refuse(
      `only the PM owner (${input.pmId}) can take the go/no-go for ${input.issueKey}; "${command.by}" cannot`,
      ReleaseRefusals.notPmOwner,
    );
  if (state.phase !== 'planning')
    refuse(`${input.issueKey} has already launched`, ReleaseRefusals.notAllowed);
}

// ---- Applying events and commands --------------------------------------------------------
// Each answers true when the state changed and the release must be reconciled.

/** True for an event older than one already applied to `field`; otherwise records its time. */
function isStale(state: State, field: keyof State['lastEventAt'], occurredAt: number | undefined): boolean {
  if (occurredAt === undefined) return false;
  if (occurredAt < state.lastEventAt[field]) return true;
  state.lastEventAt[field] = occurredAt;
  return false;
}

/**
 * The first half of a launch move: whether it moves anything (a move that does not is noted
 * when ignored). The workflow then loads the calendar the new date needs and applies it.
 */
export function acceptMove(state: State, event: LaunchMovedEvent, { input }: Known): boolean {
  if (state.phase !== 'planning' || isStale(state, 'launchDate', event.occurredAt)) {
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
  if (state.phase !== 'planning' || !isTier(event.tier) || isStale(state, 'tier', event.occurredAt)) {
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
  if (isFinished(state) || isStale(state, 'lifecycle', event.occurredAt)) return false;
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
  if (state.phase !== 'planning' || isStale(state, 'lifecycle', event.occurredAt)) return null;
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
  state.flags.launchOverdue = false;
  markStep(state, 'launch', 'done', `released on ${on}`);
  for (const id of BEFORE_LAUNCH) {
    const s = state.steps.find((x) => x.id === id);
    if (s && s.status === 'pending') s.status = 'missed';
  }
  syncSteps(state, at.context);
  return true;
}

export function applyBundlePublished(state: State, event: BundlePublishedEvent, at: Circumstances): boolean {
  if (state.tier === 1 || state.bundlePublished || isStale(state, 'bundle', event.occurredAt)) return false;
  state.bundlePublished = true;
  state.flags.atRisk = false;
  state.flags.late = false;
  markStep(state, 'bundle', 'done', `published ${at.today}`);
  noteFor(state, at.input, 'enablement bundle published');
  return true;
}

export function applyConfirmation(
  state: State,
  event: ReadinessConfirmedEvent,
  source: Confirmation['source'],
  at: Circumstances,
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
  state.confirmations[event.team] = { by: event.by, at: new Date(at.now).toISOString(), source };
  markStep(state, readinessStep(event.team), 'done', `confirmed by ${event.by}`);
  noteFor(state, at.input, `${event.team} readiness confirmed by ${event.by}`);
  return true;
}

/** Validated by `validateGoNoGo`: only the PM owner gets here. A no-go puts the release on hold. */
export function applyGoNoGo(state: State, command: GoNoGoCommand, at: Circumstances): boolean {
  state.goNoGo.push({
    decision: command.decision,
    by: command.by,
    at: new Date(at.now).toISOString(),
    ...(command.note ? { note: command.note } : {}),
  });
  state.flags.onHold = command.decision === 'no-go';
  const said = `${command.decision} by ${command.by}${command.note ? `: ${command.note}` : ''}`;
  markStep(state, 'go-no-go', command.decision === 'go' ? 'done' : 'pending', said);
  noteFor(state, at.input, said);
  return true;
}
