/**
 * One workflow per release (`release:<JIRA-KEY>`), from planning through the Day-14 retro.
 *
 * The workflow keeps the desired state of the release (tier, launch date, phase) and a record of
 * what it has already made in Jira, Notion and Google Calendar. After every change and every
 * deadline it reconciles the two: a moved launch patches the same calendar events (their ids
 * derive from the release, so nothing is duplicated), a tier change adds or retires steps, a
 * cancellation retires everything. Every side effect carries an idempotency key derived from the
 * release, so retries and replays never repeat one.
 */
import { activitiesFor } from '../activity-options';
import {
  ApplicationFailure,
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createJiraActivities } from '../../activities/jira';
import type { createNotionActivities } from '../../activities/notion';
import type { createCalendarActivities } from '../../activities/calendar';
import type { createGmailActivities } from '../../activities/gmail';
import type { createCoreActivities } from '../../activities/core';
import {
  addCalendarDays,
  addWorkingDays,
  compareDates,
  localDateOf,
  zonedDateTimeToInstant,
  type CalendarDate,
} from '../../domain/business-calendar';
import {
  earliestCompliantLaunch,
  isTier,
  planRelease,
  postLaunchDates,
  type ReleasePlan,
  type Tier,
} from '../../domain/release-plan';
import {
  atRiskNotice,
  bundleDocument,
  bundleUpgradeDocument,
  cancelledNotice,
  dayThreeNotice,
  lateNotice,
  launchOverdueNotice,
  launchReadinessNotice,
  noticeHtml,
  planComment,
  retroDocument,
  TIER_NAMES,
  type Notice,
  type ReleaseDescription,
} from '../../domain/release-content';
import {
  EnablementStatus as EnablementStatusKey,
  LaunchDate,
  ProductArea,
  ReleaseTier,
} from '../../domain/search-attributes';
import {
  bundlePublished,
  cancelRelease,
  changeTier,
  confirmReadiness,
  decideGoNoGo,
  launchMoved,
  markReleased,
  moveLaunch,
  publishBundle,
  readinessConfirmed,
  releaseCancelled,
  released,
  releaseStatus,
  ReleaseRefusals,
  tierChanged,
  type BundlePublishedEvent,
  type CancelledEvent,
  type Confirmation,
  type EnablementStatus,
  type GoNoGoCommand,
  type GoNoGoDecision,
  type LaunchMovedEvent,
  type PersonRef,
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

/** Continue-as-new well before Temporal's limits (50k events / 50 MB); a re-plan costs ~10 events. */
export const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 1_000;
const LOG_LIMIT = 50;
/** Vendors redeliver within minutes to hours; the last 500 deliveries cover that many times over. */
export const DELIVERY_IDS_KEPT = 500;

type Jira = ReturnType<typeof createJiraActivities>;
type Notion = ReturnType<typeof createNotionActivities>;
type Calendar = ReturnType<typeof createCalendarActivities>;
type Gmail = ReturnType<typeof createGmailActivities>;
type Core = ReturnType<typeof createCoreActivities>;

/** Everything the workflow carries across continue-as-new. */
export interface ReleaseWorkflowState {
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
  /** Notices already sent (their idempotency keys), so that each goes out once. */
  sent: string[];
  /** Newest `occurredAt` applied per field: older, late deliveries are ignored. */
  lastEventAt: { launchDate: number; tier: number; lifecycle: number; bundle: number };
  replans: number;
  log: { at: string; message: string }[];
  /** Delivery ids of the events applied most recently (absent in states carried by older runs). */
  deliveries?: string[];
}

export async function releaseWorkflow(
  input: ReleaseInput,
  carried?: ReleaseWorkflowState,
): Promise<ReleaseStatus> {
  const jira = activitiesFor<Jira>('jira');
  const notion = activitiesFor<Notion>('notion');
  const calendar = activitiesFor<Calendar>('google');
  const gmail = activitiesFor<Gmail>('google');
  const core = activitiesFor<Core>(null);

  const state: ReleaseWorkflowState = carried ?? initialState(input);
  let dirty = true;

  /** True for a delivery already received; otherwise remembers it. */
  const isRepeat = (deliveryId: string | undefined): boolean => {
    if (deliveryId === undefined) return false;
    const seen = (state.deliveries ??= []);
    if (seen.includes(deliveryId)) return true;
    seen.push(deliveryId);
    if (seen.length > DELIVERY_IDS_KEPT) seen.splice(0, seen.length - DELIVERY_IDS_KEPT);
    return false;
  };

  const note = (message: string) => {
    state.log.push({ at: new Date().toISOString(), message });
    if (state.log.length > LOG_LIMIT) state.log.splice(0, state.log.length - LOG_LIMIT);
    log.info(message, { issueKey: input.issueKey });
  };

  const ctx = (): ReleaseContext => {
    if (!state.context) throw new Error('release context is not loaded');
    return state.context;
  };
  const today = (): CalendarDate => localDateOf(Date.now(), ctx().calendar.timezone);
  const instantOf = (date: CalendarDate, time: string): number =>
    Date.parse(zonedDateTimeToInstant(date, time, ctx().calendar.timezone));

  const description = (): ReleaseDescription => ({
    issueKey: input.issueKey,
    title: input.title ?? input.issueKey,
    tier: state.tier,
    launchDate: state.launchDate,
    pmName: ctx().pm.name,
    engLeadName: ctx().engLead?.name ?? null,
    escalationNames: ctx().escalation.map((p) => p.name),
    productArea: input.productArea ?? null,
  });

  async function ensureContext(forDate: CalendarDate): Promise<void> {
    const year = Number(forDate.slice(0, 4));
    const loaded = state.context;
    if (loaded && year >= loaded.calendarYears.from && year + 1 <= loaded.calendarYears.to) return;
    const currentYear = new Date(Date.now()).getUTCFullYear();
    state.context = await core.loadReleaseContext({
      pmId: input.pmId,
      years: { from: Math.min(currentYear, year) - 1, to: Math.max(currentYear, year) + 1 },
    });
  }

  /** Re-plans from the current tier and launch date, judging lead time as of today. */
  function replan(): void {
    state.plan = planRelease(
      { tier: state.tier, launchDate: state.launchDate, today: today() },
      ctx().calendar,
      ctx().rules,
    );
    state.flags.late = state.plan.late && !state.bundlePublished;
    // A new due date still ahead lifts an earlier at-risk flag.
    if (
      state.flags.atRisk &&
      state.plan.bundleDueDate &&
      compareDates(state.plan.bundleDueDate, today()) >= 0
    )
      state.flags.atRisk = false;
    syncSteps();
  }

  function step(id: StepId): StepState {
    const found = state.steps.find((s) => s.id === id);
    if (!found) throw new Error(`no step ${id}`);
    return found;
  }

  /** Lays out the steps the current tier needs, keeping what existing steps already recorded. */
  function syncSteps(): void {
    const plan = state.plan!;
    const tier = state.tier;
    const post = state.launchedOn ? postLaunchDates(state.launchedOn, ctx().calendar) : plan;
    const wanted: [StepId, string, CalendarDate | null, boolean][] = [
      ['release-log', 'Release log entry (weekly product update)', null, true],
      ['plan-comment', 'Plan commented on the Jira issue', null, true],
      [
        'bundle',
        tier === 3 ? 'Full enablement bundle published' : 'Enablement bundle (lite) published',
        plan.bundleDueDate,
        tier >= 2,
      ],
      ['support-readiness', 'Support confirms readiness', state.launchDate, tier >= 2],
      ['sales-readiness', 'Sales confirms readiness', state.launchDate, tier >= 2],
      ['readiness-check', 'Launch Readiness Check (30 minutes)', plan.readinessCheckDate, tier === 3],
      [
        'go-no-go',
        tier === 3 ? 'Go/no-go by the PM at the readiness check' : 'Go/no-go by the PM (asynchronous)',
        plan.readinessCheckDate ?? state.launchDate,
        tier >= 2,
      ],
      ['launch', 'Launch', state.launchDate, true],
      ['day-3-check-in', 'Day-3 check-in (asynchronous)', post.dayThreeCheckIn, tier >= 2],
      [
        'day-14-retro',
        tier === 3 ? 'Day-14 retro (15 minutes)' : 'Day-14 retro (asynchronous)',
        post.dayFourteenRetro,
        tier >= 2,
      ],
    ];
    const next: StepState[] = [];
    for (const [id, title, due, needed] of wanted) {
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

  function enablement(): EnablementStatus {
    if (state.phase === 'cancelled') return 'cancelled';
    if (state.phase === 'launched' || state.phase === 'done') return 'released';
    if (state.tier === 1) return 'not_required';
    if (state.bundlePublished) return 'published';
    if (state.flags.atRisk) return 'at_risk';
    if (state.flags.late) return 'late';
    return 'pending';
  }

  function nextDeadline(): { step: StepId; date: CalendarDate } | null {
    const t = state.context ? today() : null;
    const ahead = state.steps
      .filter((s) => s.status === 'pending' && s.due !== null && (t === null || compareDates(s.due, t) >= 0))
      .sort((a, b) => compareDates(a.due!, b.due!));
    return ahead[0] ? { step: ahead[0].id, date: ahead[0].due! } : null;
  }

  function status(): ReleaseStatus {
    return {
      issueKey: input.issueKey,
      title: input.title ?? input.issueKey,
      tier: state.tier,
      pmId: input.pmId,
      productArea: input.productArea ?? null,
      phase: state.phase,
      enablement: enablement(),
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
      nextDeadline: nextDeadline(),
      log: [...state.log],
      replans: state.replans,
    };
  }

  // ---- Applying events and commands ------------------------------------------------------

  const isStale = (
    field: keyof ReleaseWorkflowState['lastEventAt'],
    occurredAt: number | undefined,
  ): boolean => {
    if (occurredAt === undefined) return false;
    if (occurredAt < state.lastEventAt[field]) return true;
    state.lastEventAt[field] = occurredAt;
    return false;
  };

  const finished = () => state.phase === 'cancelled' || state.phase === 'done';

  function refuseIfFinished(what: string): void {
    if (finished())
      throw ApplicationFailure.nonRetryable(
        `${input.issueKey} is ${state.phase}: cannot ${what}`,
        ReleaseRefusals.finished,
      );
  }

  function validateMove(event: LaunchMovedEvent): void {
    refuseIfFinished('move its launch');
    if (state.phase !== 'planning')
      throw ApplicationFailure.nonRetryable(
        `${input.issueKey} has already launched (${state.launchedOn}): its launch date cannot move`,
        ReleaseRefusals.notAllowed,
      );
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(event.launchDate) ||
      Number.isNaN(Date.parse(`${event.launchDate}T00:00:00Z`))
    ) {
      throw ApplicationFailure.nonRetryable(
        `launchDate "${event.launchDate}" is not a date written YYYY-MM-DD`,
        ReleaseRefusals.invalid,
      );
    }
  }

  async function applyMove(event: LaunchMovedEvent): Promise<void> {
    if (state.phase !== 'planning' || isStale('launchDate', event.occurredAt)) {
      note(
        `ignored a launch date change to ${event.launchDate} (${state.phase !== 'planning' ? `release is ${state.phase}` : 'older than one already applied'})`,
      );
      return;
    }
    if (event.launchDate === state.launchDate) return;
    await ensureContext(event.launchDate);
    note(`launch moved from ${state.launchDate} to ${event.launchDate}`);
    state.launchDate = event.launchDate;
    state.replans++;
    replan();
    dirty = true;
  }

  function validateTier(event: TierChangedEvent): void {
    refuseIfFinished('change its tier');
    if (!isTier(event.tier))
      throw ApplicationFailure.nonRetryable(
        `tier must be 1, 2 or 3, got ${String(event.tier)}`,
        ReleaseRefusals.invalid,
      );
    if (state.phase !== 'planning')
      throw ApplicationFailure.nonRetryable(
        `${input.issueKey} has already launched: its tier cannot change`,
        ReleaseRefusals.notAllowed,
      );
  }

  function applyTier(event: TierChangedEvent): void {
    if (state.phase !== 'planning' || !isTier(event.tier) || isStale('tier', event.occurredAt)) {
      note(`ignored a tier change to ${String(event.tier)}`);
      return;
    }
    if (event.tier === state.tier) return;
    note(`tier changed from ${state.tier} to ${event.tier}`);
    state.tier = event.tier;
    state.replans++;
    replan();
    dirty = true;
  }

  function applyCancel(event: CancelledEvent): void {
    if (finished() || isStale('lifecycle', event.occurredAt)) return;
    note(`cancelled${event.reason ? `: ${event.reason}` : ''}`);
    state.phase = 'cancelled';
    state.cancelReason = event.reason ?? null;
    dirty = true;
  }

  function validateReleased(event: ReleasedEvent): void {
    refuseIfFinished('mark it released');
    if (state.phase === 'launched')
      throw ApplicationFailure.nonRetryable(
        `${input.issueKey} is already released (${state.launchedOn})`,
        ReleaseRefusals.notAllowed,
      );
    if (
      event.releasedOn !== undefined &&
      (!/^\d{4}-\d{2}-\d{2}$/.test(event.releasedOn) ||
        (state.context && compareDates(event.releasedOn, today()) > 0))
    ) {
      throw ApplicationFailure.nonRetryable(
        `releasedOn "${event.releasedOn}" must be a date written YYYY-MM-DD, not in the future`,
        ReleaseRefusals.invalid,
      );
    }
  }

  async function applyReleased(event: ReleasedEvent): Promise<void> {
    if (state.phase !== 'planning' || isStale('lifecycle', event.occurredAt)) return;
    const on = event.releasedOn ?? today();
    await ensureContext(on);
    note(`released on ${on}${on !== state.launchDate ? ` (planned ${state.launchDate})` : ''}`);
    state.phase = 'launched';
    state.launchedOn = on;
    state.flags.launchOverdue = false;
    markStep('launch', 'done', `released on ${on}`);
    for (const id of [
      'bundle',
      'support-readiness',
      'sales-readiness',
      'readiness-check',
      'go-no-go',
    ] as StepId[]) {
      const s = state.steps.find((x) => x.id === id);
      if (s && s.status === 'pending') s.status = 'missed';
    }
    syncSteps();
    dirty = true;
  }

  function markStep(id: StepId, status: StepState['status'], detail?: string): void {
    const s = state.steps.find((x) => x.id === id);
    if (!s) return;
    s.status = status;
    if (detail !== undefined) s.detail = detail;
  }

  function applyBundlePublished(event: BundlePublishedEvent): void {
    if (state.tier === 1 || state.bundlePublished || isStale('bundle', event.occurredAt)) return;
    state.bundlePublished = true;
    state.flags.atRisk = false;
    state.flags.late = false;
    markStep('bundle', 'done', `published ${localDateOf(Date.now(), ctx().calendar.timezone)}`);
    note('enablement bundle published');
    dirty = true;
  }

  function validateConfirmation(event: ReadinessConfirmedEvent): void {
    refuseIfFinished('confirm readiness');
    if (state.tier === 1)
      throw ApplicationFailure.nonRetryable(
        `${input.issueKey} is Tier 1: it needs no readiness confirmation`,
        ReleaseRefusals.notAllowed,
      );
    if (event.team !== 'support' && event.team !== 'sales')
      throw ApplicationFailure.nonRetryable(
        `team must be support or sales, got "${String(event.team)}"`,
        ReleaseRefusals.invalid,
      );
    if (!state.context) return; // checked again when applied, once the context is loaded
    const allowed = state.context.confirmers[event.team];
    if (!allowed.includes(event.by)) {
      throw ApplicationFailure.nonRetryable(
        `"${event.by}" cannot confirm ${event.team} readiness for ${input.issueKey}: only ${allowed.join(', ') || 'the configured lead'} can`,
        ReleaseRefusals.notAllowed,
      );
    }
  }

  function applyConfirmation(event: ReadinessConfirmedEvent, source: Confirmation['source']): void {
    if (state.tier === 1 || finished() || state.confirmations[event.team]) return;
    if (!ctx().confirmers[event.team].includes(event.by)) {
      note(
        `refused a ${event.team} readiness confirmation from "${event.by}", who is not allowed to give it`,
      );
      return;
    }
    state.confirmations[event.team] = { by: event.by, at: new Date().toISOString(), source };
    markStep(
      event.team === 'support' ? 'support-readiness' : 'sales-readiness',
      'done',
      `confirmed by ${event.by}`,
    );
    note(`${event.team} readiness confirmed by ${event.by}`);
    dirty = true;
  }

  function validateGoNoGo(command: GoNoGoCommand): void {
    refuseIfFinished('take a go/no-go');
    if (state.tier === 1)
      throw ApplicationFailure.nonRetryable(
        `${input.issueKey} is Tier 1: it has no go/no-go`,
        ReleaseRefusals.notAllowed,
      );
    if (command.decision !== 'go' && command.decision !== 'no-go')
      throw ApplicationFailure.nonRetryable(
        `decision must be "go" or "no-go", got "${String(command.decision)}"`,
        ReleaseRefusals.invalid,
      );
    if (command.by !== input.pmId) {
      throw ApplicationFailure.nonRetryable(
        `only the PM owner (${input.pmId}) can take the go/no-go for ${input.issueKey}; "${command.by}" cannot`,
        ReleaseRefusals.notPmOwner,
      );
    }
    if (state.phase !== 'planning')
      throw ApplicationFailure.nonRetryable(
        `${input.issueKey} has already launched`,
        ReleaseRefusals.notAllowed,
      );
  }

  function applyGoNoGo(command: GoNoGoCommand): void {
    state.goNoGo.push({
      decision: command.decision,
      by: command.by,
      at: new Date().toISOString(),
      ...(command.note ? { note: command.note } : {}),
    });
    state.flags.onHold = command.decision === 'no-go';
    markStep(
      'go-no-go',
      command.decision === 'go' ? 'done' : 'pending',
      `${command.decision} by ${command.by}${command.note ? `: ${command.note}` : ''}`,
    );
    note(`${command.decision} by ${command.by}${command.note ? `: ${command.note}` : ''}`);
    dirty = true;
  }

  const whenReady = () => condition(() => state.context !== null && state.plan !== null);

  setHandler(releaseStatus, status);
  setHandler(launchMoved, async (e) => {
    if (isRepeat(e.deliveryId)) return;
    await whenReady();
    await applyMove(e);
  });
  setHandler(tierChanged, async (e) => {
    if (isRepeat(e.deliveryId)) return;
    await whenReady();
    applyTier(e);
  });
  setHandler(releaseCancelled, (e) => {
    if (isRepeat(e.deliveryId)) return;
    applyCancel(e);
  });
  setHandler(released, async (e) => {
    if (isRepeat(e.deliveryId)) return;
    await whenReady();
    await applyReleased(e);
  });
  setHandler(bundlePublished, async (e) => {
    if (isRepeat(e.deliveryId)) return;
    await whenReady();
    applyBundlePublished(e);
  });
  setHandler(readinessConfirmed, async (e) => {
    if (isRepeat(e.deliveryId)) return;
    await whenReady();
    applyConfirmation(e, 'jira');
  });

  setHandler(
    moveLaunch,
    async (e) => {
      await whenReady();
      await applyMove(e);
      return status();
    },
    { validator: validateMove },
  );
  setHandler(
    changeTier,
    async (e) => {
      await whenReady();
      applyTier(e);
      return status();
    },
    { validator: validateTier },
  );
  setHandler(
    cancelRelease,
    (e) => {
      applyCancel(e);
      return status();
    },
    { validator: (_event: CancelledEvent) => refuseIfFinished('cancel it') },
  );
  setHandler(
    markReleased,
    async (e) => {
      await whenReady();
      await applyReleased(e);
      return status();
    },
    { validator: validateReleased },
  );
  setHandler(
    publishBundle,
    async (e) => {
      await whenReady();
      applyBundlePublished(e);
      return status();
    },
    {
      validator: (_event: BundlePublishedEvent) => {
        refuseIfFinished('publish its bundle');
        if (state.tier === 1)
          throw ApplicationFailure.nonRetryable(
            `${input.issueKey} is Tier 1: it has no enablement bundle`,
            ReleaseRefusals.notAllowed,
          );
      },
    },
  );
  setHandler(
    confirmReadiness,
    async (e) => {
      await whenReady();
      applyConfirmation(e, 'cli');
      return status();
    },
    { validator: validateConfirmation },
  );
  setHandler(
    decideGoNoGo,
    async (c) => {
      await whenReady();
      applyGoNoGo(c);
      return status();
    },
    { validator: validateGoNoGo },
  );

  // ---- Side effects ----------------------------------------------------------------------

  const key = (suffix: string) => `release:${input.issueKey}:${suffix}`;

  /** Runs one integration step; a failure that survived its retries is recorded, not fatal. */
  async function attempt<T>(
    id: StepId | null,
    what: string,
    action: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      const cause = error.cause instanceof Error ? error.cause.message : error.message;
      note(`could not ${what}: ${cause}`);
      state.flags.integrationError = true;
      if (id) {
        const s = state.steps.find((x) => x.id === id);
        if (s) s.detail = `could not ${what}: ${cause}`;
      }
      return undefined;
    }
  }

  async function notify(noticeKey: string, to: PersonRef[], notice: Notice): Promise<void> {
    if (state.sent.includes(noticeKey)) return;
    const recipients = [...new Set(to.map((p) => p.email))];
    if (recipients.length === 0) return;
    const sentMail = await attempt(null, `send "${notice.subject}"`, () =>
      gmail.sendMail({
        idempotencyKey: noticeKey,
        from: ctx().sender,
        to: recipients,
        subject: notice.subject,
        text: notice.text,
        html: noticeHtml(notice.text),
      }),
    );
    if (sentMail) state.sent.push(noticeKey);
  }

  function releaseLogStatus(): string {
    if (state.phase === 'cancelled') return 'Cancelled';
    if (state.phase === 'launched' || state.phase === 'done') return 'Released';
    if (state.flags.onHold) return 'On hold';
    if (state.flags.atRisk) return 'At risk';
    if (state.flags.late) return 'Late';
    return 'Planned';
  }

  async function reconcileReleaseLog(): Promise<void> {
    const dataSourceId = ctx().notion.releaseLog;
    if (!dataSourceId) {
      markStep('release-log', 'skipped', 'integrations.notion.dataSources.releaseLog is not configured');
      return;
    }
    const properties = {
      Name: { title: input.title ?? input.issueKey },
      Release: { rich_text: input.issueKey },
      Tier: { select: `Tier ${state.tier}` },
      'Launch date': { date: { start: state.launchedOn ?? state.launchDate } },
      Status: { select: releaseLogStatus() },
      ...(input.productArea ? { 'Product area': { select: input.productArea } } : {}),
    };
    const fingerprint = JSON.stringify(properties);
    if (state.applied.releaseLog === fingerprint) return;
    const page = await attempt('release-log', 'update the release log', () =>
      notion.upsertPage({ idempotencyKey: key('release-log'), dataSourceId, properties }),
    );
    if (page) {
      state.applied.releaseLog = fingerprint;
      state.applied.releaseLogPageId = page.id;
      const s = step('release-log');
      s.status = 'done';
      s.ref = page.id;
      s.url = page.url;
    }
  }

  async function reconcilePlanComment(): Promise<void> {
    const plan = state.plan!;
    const fingerprint = JSON.stringify([
      plan.tier,
      plan.launchDate,
      plan.bundleDueDate,
      plan.readinessCheckDate,
      plan.dayThreeCheckIn,
      plan.dayFourteenRetro,
      plan.late,
    ]);
    if (state.applied.planCommented === fingerprint) return;
    const revision = state.applied.planRevision + 1;
    const comment = await attempt('plan-comment', 'comment the plan on Jira', () =>
      jira.addComment({
        idempotencyKey: key(`plan:${revision}`),
        issueKey: input.issueKey,
        body: planComment(description(), plan, revision),
      }),
    );
    if (comment) {
      state.applied.planRevision = revision;
      state.applied.planCommented = fingerprint;
      const s = step('plan-comment');
      s.status = 'done';
      s.ref = comment.id;
      s.detail = `revision ${revision}`;
    }
  }

  async function reconcileBundle(): Promise<void> {
    const dataSourceId = ctx().notion.enablementBundles;
    const wanted = state.tier >= 2 && state.phase === 'planning';
    if (!dataSourceId) {
      if (state.tier >= 2)
        markStep('bundle', 'skipped', 'integrations.notion.dataSources.enablementBundles is not configured');
      return;
    }
    if (!wanted) {
      if (
        state.applied.bundlePageId &&
        !state.applied.bundleRetired &&
        state.phase !== 'launched' &&
        state.phase !== 'done'
      ) {
        const pageId = state.applied.bundlePageId;
        const done = await attempt('bundle', 'retire the enablement bundle', () =>
          notion.updatePage({ pageId, properties: { Status: { status: 'Cancelled' } } }),
        );
        if (done) state.applied.bundleRetired = true;
      }
      return;
    }
    const plan = state.plan!;
    const properties = {
      Name: { title: `Enablement bundle — ${input.title ?? input.issueKey}` },
      Release: { rich_text: input.issueKey },
      Tier: { select: `Tier ${state.tier}` },
      'Launch date': { date: { start: state.launchDate } },
      Due: { date: { start: plan.bundleDueDate! } },
      Owner: { rich_text: ctx().pm.name },
    };
    const fingerprint = JSON.stringify(properties);
    if (!state.applied.bundlePageId) {
      const page = await attempt('bundle', 'create the enablement bundle', () =>
        notion.upsertPage({
          idempotencyKey: key('bundle'),
          dataSourceId,
          properties: { ...properties, Status: { status: 'Draft' } },
          content: bundleDocument(description(), plan),
        }),
      );
      if (!page) return;
      state.applied.bundlePageId = page.id;
      state.applied.bundleUrl = page.url;
      state.applied.bundleLevel = state.tier;
      state.applied.bundleProps = fingerprint;
      const s = step('bundle');
      s.ref = page.id;
      s.url = page.url;
      return;
    }
    const pageId = state.applied.bundlePageId;
    if (state.applied.bundleRetired) {
      // Back from Tier 1: the retired page comes back as a draft.
      const revived = await attempt('bundle', 'revive the enablement bundle', () =>
        notion.updatePage({
          pageId,
          properties: { Status: { status: state.bundlePublished ? 'Published' : 'Draft' } },
        }),
      );
      if (!revived) return;
      state.applied.bundleRetired = false;
    }
    if (state.applied.bundleLevel === 2 && state.tier === 3) {
      const upgraded = await attempt('bundle', 'add the Tier 3 sections to the bundle', () =>
        notion.appendContent({
          pageId,
          content: bundleUpgradeDocument(),
          idempotencyKey: key('bundle:tier-3-sections'),
        }),
      );
      if (!upgraded) return;
      state.applied.bundleLevel = 3;
    }
    if (state.applied.bundleProps !== fingerprint) {
      const updated = await attempt('bundle', 'update the enablement bundle', () =>
        notion.updatePage({ pageId, properties }),
      );
      if (updated) state.applied.bundleProps = fingerprint;
    }
  }

  async function reconcileSubtasks(): Promise<void> {
    const wanted = state.tier >= 2 && state.phase === 'planning';
    for (const team of ['support', 'sales'] as const) {
      const id: StepId = team === 'support' ? 'support-readiness' : 'sales-readiness';
      const existing = state.applied.subtasks[team];
      if (wanted && !existing) {
        const lead = team === 'support' ? ctx().supportLead : ctx().salesLead;
        const issue = await attempt(id, `create the ${team} readiness sub-task`, () =>
          jira.createIssue({
            idempotencyKey: key(`${team}-readiness`),
            issueType: ctx().jira.subtaskIssueType,
            parentKey: input.issueKey,
            summary: `${team === 'support' ? 'Support' : 'Sales'} readiness: ${input.title ?? input.issueKey}`,
            description: `Confirm that ${team === 'support' ? 'Support' : 'Sales'} has what it needs for the launch on ${state.launchDate}: read the enablement bundle${state.applied.bundleUrl ? ` (${state.applied.bundleUrl})` : ''} and mark this sub-task done.`,
            ...(lead?.jiraAccountId ? { assigneeAccountId: lead.jiraAccountId } : {}),
            duedate: addWorkingDays(ctx().calendar, state.launchDate, -1),
          }),
        );
        if (issue) {
          state.applied.subtasks[team] = issue.key;
          const s = step(id);
          s.ref = issue.key;
        }
      }
    }
    const retire = !wanted && state.phase !== 'launched' && state.phase !== 'done';
    if (
      retire &&
      !state.applied.subtasksRetired &&
      (state.applied.subtasks.support || state.applied.subtasks.sales)
    ) {
      let all = true;
      for (const team of ['support', 'sales'] as const) {
        const issueKey = state.applied.subtasks[team];
        if (!issueKey || state.confirmations[team]) continue;
        const moved = await attempt(null, `retire the ${team} readiness sub-task`, () =>
          jira.transitionIssue({ issueKey, toStatus: ctx().jira.cancelledStatus }),
        );
        if (!moved) all = false;
      }
      state.applied.subtasksRetired = all;
    } else if (wanted && state.applied.subtasksRetired) {
      for (const team of ['support', 'sales'] as const) {
        const issueKey = state.applied.subtasks[team];
        if (issueKey && !state.confirmations[team])
          await attempt(null, `reopen the ${team} readiness sub-task`, () =>
            jira.transitionIssue({ issueKey, toStatus: 'To Do' }),
          );
      }
      state.applied.subtasksRetired = false;
    }
  }

  function attendees(): { email: string }[] {
    const c = ctx();
    return [c.engLead, c.supportLead, c.salesLead]
      .filter((p): p is PersonRef => p !== null && p.email !== c.pm.email)
      .map((p) => ({ email: p.email }));
  }

  function eventTimes(date: CalendarDate, time: string, minutes: number): { start: string; end: string } {
    const start = instantOf(date, time);
    return { start: new Date(start).toISOString(), end: new Date(start + minutes * 60_000).toISOString() };
  }

  async function reconcileEvent(
    which: 'readiness-check' | 'retro',
    date: CalendarDate | null,
  ): Promise<void> {
    const appliedField = which === 'readiness-check' ? 'readinessEvent' : 'retroEvent';
    const stepId: StepId = which === 'readiness-check' ? 'readiness-check' : 'day-14-retro';
    const current = state.applied[appliedField];
    const c = ctx();
    if (date === null) {
      if (current !== null) {
        const deleted = await attempt(null, `remove the ${which} event`, () =>
          calendar.deleteEvent({ calendarId: c.pm.email, idempotencyKey: key(which), actAs: c.pm.email }),
        );
        if (deleted !== undefined) state.applied[appliedField] = null;
      }
      return;
    }
    if (current === date) return;
    const settings = which === 'readiness-check' ? c.readinessCheck : c.retro;
    const times = eventTimes(date, settings.time, settings.durationMinutes);
    const summary =
      which === 'readiness-check'
        ? `Launch Readiness Check: ${input.title ?? input.issueKey}`
        : `Day-14 retro: ${input.title ?? input.issueKey}`;
    const descriptionText =
      which === 'readiness-check'
        ? `Go/no-go for ${input.issueKey} (${TIER_NAMES[state.tier]}), launching ${state.launchDate}. Agenda: what is changing (PM, 5 min); Support and Sales readiness (10 min); monitoring and rollback (Eng, 5 min); go/no-go (10 min).${state.applied.bundleUrl ? `\nEnablement bundle: ${state.applied.bundleUrl}` : ''}`
        : `What went well, what surprised us, what should change in the enablement process. Outcome: 1–3 action items for Product Ops.`;
    const event = await attempt(stepId, `schedule the ${which} event`, () =>
      calendar.upsertEvent({
        idempotencyKey: key(which),
        calendarId: c.pm.email,
        actAs: c.pm.email,
        summary,
        description: descriptionText,
        start: times.start,
        end: times.end,
        timeZone: c.calendar.timezone,
        attendees: attendees(),
        sendUpdates: 'all',
      }),
    );
    if (event) {
      state.applied[appliedField] = date;
      const s = state.steps.find((x) => x.id === stepId);
      if (s) {
        s.ref = event.id;
        if (event.htmlLink) s.url = event.htmlLink;
      }
    }
  }

  async function retireOnCancel(): Promise<void> {
    for (const s of state.steps) if (s.status === 'pending') s.status = 'retired';
    const bundlePageId = state.applied.bundlePageId;
    if (bundlePageId && !state.applied.bundleRetired) {
      const done = await attempt(null, 'mark the enablement bundle cancelled', () =>
        notion.updatePage({ pageId: bundlePageId, properties: { Status: { status: 'Cancelled' } } }),
      );
      if (done) state.applied.bundleRetired = true;
    }
    if (!state.applied.subtasksRetired) {
      for (const team of ['support', 'sales'] as const) {
        const issueKey = state.applied.subtasks[team];
        if (issueKey && !state.confirmations[team])
          await attempt(null, `retire the ${team} readiness sub-task`, () =>
            jira.transitionIssue({ issueKey, toStatus: ctx().jira.cancelledStatus }),
          );
      }
      state.applied.subtasksRetired = true;
    }
    // Future events go; past ones stay as the record of what happened.
    const t = today();
    if (state.applied.readinessEvent && compareDates(state.applied.readinessEvent, t) >= 0)
      await reconcileEvent('readiness-check', null);
    if (state.applied.retroEvent && compareDates(state.applied.retroEvent, t) >= 0)
      await reconcileEvent('retro', null);
    await reconcileReleaseLog();
    await notify(
      key('cancelled'),
      [ctx().pm, ...ctx().escalation],
      cancelledNotice(description(), state.cancelReason),
    );
  }

  /** Brings Jira, Notion and Calendar in line with the release's current state. */
  async function reconcile(): Promise<void> {
    if (state.phase === 'cancelled') {
      await retireOnCancel();
      updateSearchAttributes();
      return;
    }
    await reconcileReleaseLog();
    await reconcilePlanComment();
    await reconcileBundle();
    await reconcileSubtasks();
    const plan = state.plan!;
    // Once launched, past events stay as they were: only plans still ahead move.
    const inPlanning = state.phase === 'planning';
    await reconcileEvent(
      'readiness-check',
      inPlanning ? (state.tier === 3 ? plan.readinessCheckDate : null) : state.applied.readinessEvent,
    );
    const retroDate = state.launchedOn
      ? postLaunchDates(state.launchedOn, ctx().calendar).dayFourteenRetro
      : plan.dayFourteenRetro;
    await reconcileEvent(
      'retro',
      state.phase === 'done' ? state.applied.retroEvent : state.tier === 3 ? retroDate : null,
    );
    if (state.flags.late && !state.bundlePublished) {
      await notify(
        key(`late:${state.launchDate}:tier-${state.tier}`),
        [ctx().pm, ...ctx().escalation],
        lateNotice(description(), plan),
      );
    }
    updateSearchAttributes();
  }

  let indexed: string | null = null;
  function updateSearchAttributes(): void {
    const launch = state.launchedOn ?? state.launchDate;
    const fingerprint = `${state.tier}|${launch}|${enablement()}|${input.productArea ?? ''}`;
    if (fingerprint === indexed) return;
    indexed = fingerprint;
    upsertSearchAttributes([
      { key: ReleaseTier, value: state.tier },
      { key: LaunchDate, value: new Date(`${launch}T00:00:00Z`) },
      { key: EnablementStatusKey, value: enablement() },
      ...(input.productArea ? [{ key: ProductArea, value: input.productArea }] : []),
    ]);
  }

  // ---- Deadlines -------------------------------------------------------------------------

  interface Deadline {
    at: number;
    run: () => Promise<void>;
  }

  /** The time-driven steps still ahead, each at an instant in the PM's time zone. */
  function deadlines(): Deadline[] {
    const c = ctx();
    const plan = state.plan!;
    const list: Deadline[] = [];
    if (state.phase === 'planning') {
      // A release that arrived late was flagged and told so at once; it is not "missed" again.
      if (
        state.tier >= 2 &&
        plan.bundleDueDate &&
        !plan.late &&
        !state.bundlePublished &&
        !state.flags.atRisk
      ) {
        // "Published by its due date": checked when the due date is over in the PM's zone.
        list.push({
          at: instantOf(addCalendarDays(plan.bundleDueDate, 1), '00:00'),
          run: bundleDeadlinePassed,
        });
      }
      const readiness = state.steps.find((x) => x.id === 'readiness-check');
      if (
        state.tier === 3 &&
        plan.readinessCheckDate &&
        readiness?.status === 'pending' &&
        state.applied.readinessEvent === plan.readinessCheckDate
      ) {
        // The meeting is held as scheduled; its outcome is the go/no-go, recorded separately.
        list.push({
          at:
            instantOf(plan.readinessCheckDate, c.readinessCheck.time) +
            c.readinessCheck.durationMinutes * 60_000,
          run: async () => {
            markStep('readiness-check', 'done', `held ${plan.readinessCheckDate}`);
            dirty = true;
          },
        });
      }
      if (state.tier === 1) {
        // Tier 1 needs nothing after launch: the workflow ends at the end of launch day.
        list.push({ at: instantOf(addCalendarDays(state.launchDate, 1), '00:00'), run: tierOneLaunched });
      } else {
        if (!state.sent.includes(key(`launch-readiness:${state.launchDate}`))) {
          list.push({ at: instantOf(state.launchDate, '00:00'), run: launchDayCheck });
        }
        const overdueAt = instantOf(addWorkingDays(c.calendar, state.launchDate, 1), '10:00');
        if (!state.flags.launchOverdue) list.push({ at: overdueAt, run: launchOverdue });
      }
    }
    if (state.phase === 'launched' && state.launchedOn) {
      const post = postLaunchDates(state.launchedOn, c.calendar);
      if (step('day-3-check-in').status === 'pending')
        list.push({ at: instantOf(post.dayThreeCheckIn, '09:00'), run: dayThree });
      if (step('day-14-retro').status === 'pending') {
        const at =
          state.tier === 3
            ? instantOf(post.dayFourteenRetro, c.retro.time) + c.retro.durationMinutes * 60_000
            : instantOf(post.dayFourteenRetro, '09:00');
        list.push({ at, run: dayFourteen });
      }
    }
    return list;
  }

  async function bundleDeadlinePassed(): Promise<void> {
    // A lost webhook must not raise a false alarm: ask Notion before flagging.
    const pageId = state.applied.bundlePageId;
    if (pageId) {
      const page = await attempt(null, 'check the bundle status in Notion', () => notion.getPage({ pageId }));
      const pageStatus = page?.properties?.Status;
      if (pageStatus === 'Published') {
        applyBundlePublished({});
        return;
      }
    }
    state.flags.atRisk = true;
    markStep('bundle', 'missed', `not published by ${state.plan!.bundleDueDate}`);
    note(`enablement bundle not published by ${state.plan!.bundleDueDate}: at risk`);
    const earliest = earliestCompliantLaunch(state.tier, today(), ctx().calendar, ctx().rules);
    await notify(
      key(`at-risk:${state.plan!.bundleDueDate}`),
      [ctx().pm],
      atRiskNotice(description(), state.plan!, earliest),
    );
    await notify(
      key(`at-risk-escalation:${state.plan!.bundleDueDate}`),
      ctx().escalation,
      atRiskNotice(description(), state.plan!, earliest),
    );
    dirty = true;
  }

  async function launchDayCheck(): Promise<void> {
    // Confirmations may have been given in Jira while a webhook was lost: look before escalating.
    for (const team of ['support', 'sales'] as const) {
      const issueKey = state.applied.subtasks[team];
      if (state.confirmations[team] || !issueKey) continue;
      const issue = await attempt(null, `check the ${team} readiness sub-task`, () =>
        jira.getIssue({ issueKey }),
      );
      if (issue && issue.status.toLowerCase() === ctx().jira.doneStatus.toLowerCase()) {
        state.confirmations[team] = {
          by: issue.assigneeAccountId ?? 'jira',
          at: new Date().toISOString(),
          source: 'workflow-check',
        };
        markStep(team === 'support' ? 'support-readiness' : 'sales-readiness', 'done', 'done in Jira');
      }
    }
    const missing: string[] = [];
    if (!state.bundlePublished) missing.push('published enablement bundle');
    if (!state.confirmations.support) missing.push('Support readiness');
    if (!state.confirmations.sales) missing.push('Sales readiness');
    const lastDecision = state.goNoGo[state.goNoGo.length - 1];
    if (state.tier === 3 && lastDecision?.decision !== 'go')
      missing.push(lastDecision ? 'a go (the last decision was no-go)' : 'a go/no-go decision from the PM');
    const noticeKey = key(`launch-readiness:${state.launchDate}`);
    if (missing.length > 0) {
      note(`launch day with missing: ${missing.join(', ')}`);
      await notify(noticeKey, [ctx().pm, ...ctx().escalation], launchReadinessNotice(description(), missing));
    } else if (!state.sent.includes(noticeKey)) {
      state.sent.push(noticeKey);
    }
    dirty = true;
  }

  async function launchOverdue(): Promise<void> {
    state.flags.launchOverdue = true;
    note(`not marked released since ${state.launchDate}`);
    await notify(key(`launch-overdue:${state.launchDate}`), [ctx().pm], launchOverdueNotice(description()));
    dirty = true;
  }

  async function tierOneLaunched(): Promise<void> {
    state.phase = 'done';
    state.launchedOn = state.launchDate;
    markStep('launch', 'done', `launched ${state.launchDate}`);
    note(`Tier 1 release launched ${state.launchDate}`);
    await reconcileReleaseLog();
    dirty = true;
  }

  async function dayThree(): Promise<void> {
    const launchedOn = state.launchedOn!;
    const recipients = [ctx().pm, ...(ctx().supportLead ? [ctx().supportLead!] : [])];
    await notify(key('day-3-check-in'), recipients, dayThreeNotice(description(), launchedOn));
    await attempt('day-3-check-in', 'comment the Day-3 check-in', () =>
      jira.addComment({
        idempotencyKey: key('day-3-check-in'),
        issueKey: input.issueKey,
        body: dayThreeNotice(description(), launchedOn).text,
      }),
    );
    markStep('day-3-check-in', 'done');
    dirty = true;
  }

  async function dayFourteen(): Promise<void> {
    const launchedOn = state.launchedOn!;
    if (state.tier === 2) {
      const dataSourceId = ctx().notion.retros ?? ctx().notion.enablementBundles;
      if (dataSourceId) {
        const page = await attempt('day-14-retro', 'create the retro page', () =>
          notion.upsertPage({
            idempotencyKey: key('retro'),
            dataSourceId,
            properties: {
              Name: { title: `Day-14 retro — ${input.title ?? input.issueKey}` },
              Release: { rich_text: input.issueKey },
              ...(dataSourceId === ctx().notion.enablementBundles ? { Status: { status: 'Draft' } } : {}),
            },
            content: retroDocument(description(), launchedOn),
          }),
        );
        if (page) {
          state.applied.retroPageId = page.id;
          const s = step('day-14-retro');
          s.ref = page.id;
          s.url = page.url;
        }
      }
    }
    markStep('day-14-retro', 'done');
    state.phase = 'done';
    note('post-launch capture complete');
    dirty = true;
  }

  // ---- Main loop -------------------------------------------------------------------------

  if (!state.context) await ensureContext(state.launchDate);
  if (!state.plan) {
    replan();
    note(
      `planned ${TIER_NAMES[state.tier]} launch on ${state.launchDate}${state.plan!.late ? ` (late: earliest compliant ${state.plan!.earliestCompliantLaunch})` : ''}`,
    );
  }

  for (;;) {
    if (dirty) {
      dirty = false;
      await reconcile();
      if (dirty) continue;
    }
    if (finished()) break;
    const upcoming = deadlines().sort((a, b) => a.at - b.at);
    const next = upcoming[0];
    if (next && next.at <= Date.now()) {
      await next.run();
      continue;
    }
    if (
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength > HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW
    ) {
      await condition(allHandlersFinished);
      if (!dirty)
        await continueAsNew<typeof releaseWorkflow>(
          { ...input, tier: state.tier, launchDate: state.launchDate },
          state,
        );
    }
    if (next) await condition(() => dirty, next.at - Date.now());
    else await condition(() => dirty);
  }

  await condition(allHandlersFinished);
  return status();
}

function initialState(input: ReleaseInput): ReleaseWorkflowState {
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
