/**
 * One workflow per release (`release:<JIRA-KEY>`), from planning through the Day-14 retro.
 *
 * The workflow keeps the desired state of the release (tier, launch date, phase; state.ts) and a
 * record of what it has already made in Jira, Notion and Google Calendar. After every change and
 * every deadline (deadlines.ts) it reconciles the two (reconcile.ts): a moved launch patches the
 * same calendar events, a tier change adds or retires steps, a cancellation retires everything.
 * This module only wires the messages to the transitions and hands the rest to the shared loop.
 */
import { activitiesFor } from '../activity-options';
import { condition, continueAsNew, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createGmailActivities } from '../../activities/gmail';
import type { createCoreActivities } from '../../activities/core';
import type { CalendarDate } from '../../domain/business-calendar';
import { noticeHtml, type Notice } from '../../domain/release-content';
import { attempt, isRepeat, runEntityLoop, sendOnce, Wake } from '../entity-loop';
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
  tierChanged,
  type LaunchMovedEvent,
  type PersonRef,
  type ReleasedEvent,
  type ReleaseInput,
  type ReleaseStatus,
  type StepId,
} from './messages';
import {
  acceptMove,
  acceptReleased,
  applyBundlePublished,
  applyCancel,
  applyConfirmation,
  applyFirstPlan,
  applyGoNoGo,
  applyMove,
  applyReleased,
  applyTier,
  circumstancesOf,
  initialState,
  isFinished,
  noteFor,
  status,
  validateCancel,
  validateConfirmation,
  validateGoNoGo,
  validateMove,
  validatePublish,
  validateReleased,
  validateTier,
  type Asked,
  type ReleaseWorkflowState,
} from './state';
import {
  reconcile,
  type Calendar,
  type Jira,
  type Notion,
  type ReleaseEffects,
  type ReleaseRun,
} from './reconcile';
import { releaseDeadlines } from './deadlines';

export type { ReleaseWorkflowState } from './state';

/** Continue-as-new well before Temporal's limits (50k events / 50 MB); a re-plan costs ~10 events. */
export const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 1_000;

type Gmail = ReturnType<typeof createGmailActivities>;
type Core = ReturnType<typeof createCoreActivities>;

export async function releaseWorkflow(
  input: ReleaseInput,
  carried?: ReleaseWorkflowState,
): Promise<ReleaseStatus> {
  const core = activitiesFor<Core>(null);
  const state: ReleaseWorkflowState = carried ?? initialState(input);
  const wake = new Wake();
  const run = startRun(input, state);

  /** Loads the PM's configuration, again when a date falls outside the years its calendar holds. */
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

  setHandlers(input, state, wake, ensureContext);

  if (!state.context) await ensureContext(state.launchDate);
  if (!state.plan) applyFirstPlan(state, circumstancesOf(state, input, Date.now()));

  await runEntityLoop({
    wake,
    async advance() {
      if (wake.take()) {
        await reconcile(run);
        if (wake.pending) return 'again';
      }
      return isFinished(state) ? 'finished' : 'idle';
    },
    deadlines: () => releaseDeadlines(run),
    continueAsNew: () =>
      continueAsNew<typeof releaseWorkflow>(
        { ...input, tier: state.tier, launchDate: state.launchDate },
        state,
      ),
    eventsBeforeContinueAsNew: HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW,
  });
  return status(state, input, Date.now());
}

/** The activity proxies and the journal-keeping around them that reconciling works through. */
function startRun(input: ReleaseInput, state: ReleaseWorkflowState): ReleaseRun {
  const gmail = activitiesFor<Gmail>('google');

  /** An integration call failed for good: the release says so and the step names the cause. */
  const failed = (id: StepId | null, failure: string): void => {
    noteFor(state, input, failure);
    state.flags.integrationError = true;
    const s = id && state.steps.find((x) => x.id === id);
    if (s) s.detail = failure;
  };
  const attemptStep: ReleaseEffects['attempt'] = (id, what, action) =>
    attempt(action, (cause) => failed(id, `could not ${what}: ${cause}`));
  const mail = (key: string, to: PersonRef[], notice: Notice) => {
    const recipients = [...new Set(to.map((p) => p.email))];
    if (recipients.length === 0) return Promise.resolve(undefined);
    return attemptStep(null, `send "${notice.subject}"`, () =>
      gmail.sendMail({
        idempotencyKey: key,
        from: circumstancesOf(state, input, Date.now()).context.sender,
        to: recipients,
        subject: notice.subject,
        text: notice.text,
        html: noticeHtml(notice.text),
      }),
    );
  };

  return {
    input,
    state,
    indexed: null,
    effects: {
      jira: activitiesFor<Jira>('jira'),
      notion: activitiesFor<Notion>('notion'),
      calendar: activitiesFor<Calendar>('google'),
      attempt: attemptStep,
      notify: (key, to, notice) => sendOnce(state, key, () => mail(key, to, notice)),
      note: (message) => noteFor(state, input, message),
      upsertSearchAttributes,
    },
  };
}

/**
 * Signals apply what happened in a tool (a repeated delivery is a no-op); updates validate a
 * person's command first and answer with the new status. Anything that needs the PM's calendar
 * waits until the first plan is made; a cancellation never waits.
 */
function setHandlers(
  input: ReleaseInput,
  state: ReleaseWorkflowState,
  wake: Wake,
  ensureContext: (forDate: CalendarDate) => Promise<void>,
): void {
  const at = () => circumstancesOf(state, input, Date.now());
  const whenReady = () => condition(() => state.context !== null && state.plan !== null);
  const changed = (yes: boolean): void => {
    if (yes) wake.set();
  };
  const current = () => status(state, input, Date.now());

  async function move(event: LaunchMovedEvent): Promise<void> {
    if (!acceptMove(state, event, { input })) return;
    await ensureContext(event.launchDate);
    changed(applyMove(state, event, at()));
  }
  async function release(event: ReleasedEvent): Promise<void> {
    const on = acceptReleased(state, event, at());
    if (on === null) return;
    await ensureContext(on);
    changed(applyReleased(state, on, at()));
  }

  setHandler(releaseStatus, current);
  setHandler(launchMoved, async (e) => {
    if (isRepeat(state, e.deliveryId)) return;
    await whenReady();
    await move(e);
  });
  setHandler(tierChanged, async (e) => {
    if (isRepeat(state, e.deliveryId)) return;
    await whenReady();
    changed(applyTier(state, e, at()));
  });
  setHandler(releaseCancelled, (e) => {
    if (isRepeat(state, e.deliveryId)) return;
    changed(applyCancel(state, e, { input }));
  });
  setHandler(released, async (e) => {
    if (isRepeat(state, e.deliveryId)) return;
    await whenReady();
    await release(e);
  });
  setHandler(bundlePublished, async (e) => {
    if (isRepeat(state, e.deliveryId)) return;
    await whenReady();
    changed(applyBundlePublished(state, e, at()));
  });
  setHandler(readinessConfirmed, async (e) => {
    if (isRepeat(state, e.deliveryId)) return;
    await whenReady();
    changed(applyConfirmation(state, e, 'jira', at()));
  });

  /** Validators run before the update is written to history: a refusal leaves no trace. */
  const validating = <A>(validate: (s: ReleaseWorkflowState, a: A, asked: Asked) => void) => ({
    validator: (a: A) => validate(state, a, { input, now: Date.now() }),
  });
  setHandler(
    moveLaunch,
    async (e) => {
      await whenReady();
      await move(e);
      return current();
    },
    validating(validateMove),
  );
  setHandler(
    changeTier,
    async (e) => {
      await whenReady();
      changed(applyTier(state, e, at()));
      return current();
    },
    validating(validateTier),
  );
  setHandler(
    cancelRelease,
    (e) => {
      changed(applyCancel(state, e, { input }));
      return current();
    },
    validating(validateCancel),
  );
  setHandler(
    markReleased,
    async (e) => {
      await whenReady();
      await release(e);
      return current();
    },
    validating(validateReleased),
  );
  setHandler(
    publishBundle,
    async (e) => {
      await whenReady();
      changed(applyBundlePublished(state, e, at()));
      return current();
    },
    validating(validatePublish),
  );
  setHandler(
    confirmReadiness,
    async (e) => {
      await whenReady();
      changed(applyConfirmation(state, e, 'cli', at()));
      return current();
    },
    validating(validateConfirmation),
  );
  setHandler(
    decideGoNoGo,
    async (c) => {
      await whenReady();
      changed(applyGoNoGo(state, c, at()));
      return current();
    },
    validating(validateGoNoGo),
  );
}
