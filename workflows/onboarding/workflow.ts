/**
 * One workflow per freelancer engagement (`onboarding:<freelancerId>`), from the intake to the
 * closed tracker row: Contract (Legal, Finance), Access (Security, then IT), Day one (buddy,
 * welcome session, first-week page, links), Ramp-up (check-in, 30-day review), Offboarding
 * (extend or let end, every tool revoked on time, the final invoice).
 *
 * Handlers turn messages into transitions (transitions.ts); the shared loop reconciles what
 * exists with what the state needs (reconcile.ts) and runs the time-driven steps (deadlines.ts).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { mayActFor, type OperatorCapacity } from '../../domain/operators';
import type { createCalendarActivities } from '../../activities/calendar';
import type { createCoreActivities } from '../../activities/core';
import type { createGmailActivities } from '../../activities/gmail';
import type { createJiraActivities } from '../../activities/jira';
import type { createNotionActivities } from '../../activities/notion';
import { localDateOf } from '../../domain/business-calendar';
import { noticeHtml } from '../../domain/release-content';
import { checkEngagementDates, OnboardingDateError } from '../../domain/onboarding-plan';
import { EndDate, OnboardingPhase, StartDate, Team } from '../../domain/search-attributes';
import { activitiesFor } from '../activity-options';
import {
  authenticateOperator,
  precheckOperator,
  scopeOf,
  takesUnsignedCommands,
  UNSIGNED_REFUSAL,
} from '../operator-identity';
import { attempt, isRepeat, note, runEntityLoop, sendOnce, Wake, type Progress } from '../entity-loop';
import { clearStaleProposal, nextDeadline, onboardingDeadlines, todayOf } from './deadlines';
import * as m from './messages';
import { reconcile, type OnboardingEffects } from './reconcile';
import {
  HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW,
  initialState,
  phaseOf,
  status,
  type OnboardingState,
} from './state';
import * as t from './transitions';

type Core = ReturnType<typeof createCoreActivities>;

function effectsFor(state: OnboardingState, workflowId: string): OnboardingEffects {
  const gmail = activitiesFor<ReturnType<typeof createGmailActivities>>('google');
  const fields = { workflowId };
  const fx: OnboardingEffects = {
    jira: activitiesFor<ReturnType<typeof createJiraActivities>>('jira'),
    notion: activitiesFor<ReturnType<typeof createNotionActivities>>('notion'),
    calendar: activitiesFor<ReturnType<typeof createCalendarActivities>>('google'),
    gmail,
    workflowId,
    note: (message) => note(state, message, fields),
    attempt: (what, action) =>
      attempt(action, (cause) => {
        state.flags.integrationError = true;
        note(state, `could not ${what}: ${cause}`, fields);
      }),
    notify: (key, to, notice, cc = []) => {
      const recipients = [...new Set(to.map((p) => p.email))];
      const copies = [...new Set(cc.map((p) => p.email))].filter((e) => !recipients.includes(e));
      return sendOnce(state, key, () =>
        fx.attempt(`send "${notice.subject}"`, () =>
          gmail.sendMail({
            idempotencyKey: key,
            from: state.context!.sender,
            to: recipients,
            ...(copies.length > 0 ? { cc: copies } : {}),
            subject: notice.subject,
            text: notice.text,
            html: noticeHtml(notice.text),
          }),
        ),
      );
    },
  };
  return fx;
}

/** The years of holidays the engagement's dates need, a year either side. */
function yearsFor(state: OnboardingState): { from: number; to: number } {
  const year = (d: string) => Number(d.slice(0, 4));
  const now = new Date(Date.now()).getUTCFullYear();
  return { from: Math.min(now, year(state.startDate)) - 1, to: Math.max(now, year(state.endDate)) + 1 };
}

/** Loads the context (again, when the dates left its years); false when the intake is refused. */
async function ensureContext(state: OnboardingState, core: Core): Promise<boolean> {
  const years = yearsFor(state);
  const loaded = state.context?.calendarYears;
  if (loaded && loaded.from <= years.from && loaded.to >= years.to) return true;
  try {
    state.context = await core.loadOnboardingContext({ intake: state.input, years });
    if (!loaded) checkEngagementDates(state.context.calendar, state.startDate, state.endDate);
    return true;
  } catch (error) {
    const cause =
      error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : null;
    if (!(error instanceof OnboardingDateError) && cause?.type !== 'InvalidOnboarding') throw error;
    state.closed = true;
    state.reason = `refused: ${error instanceof OnboardingDateError ? `${error.field}: ${error.message}` : cause!.message}`;
    note(state, state.reason, { freelancerId: state.input.freelancerId });
    return false;
  }
}

function searchAttributes(state: OnboardingState): SearchAttributePair[] {
  return [
    { key: OnboardingPhase, value: phaseOf(state) },
    { key: StartDate, value: state.startDate },
    { key: EndDate, value: state.endDate },
    { key: Team, value: state.input.team },
  ];
}

const fingerprintOf = (pairs: SearchAttributePair[]) =>
  JSON.stringify(pairs.map((p) => [p.key.name, p.value]));

/** Messages become transitions; each command waits for the context, is checked in full, then applied. */
function registerHandlers(
  state: OnboardingState,
  wake: Wake,
  today: () => string,
  view: () => m.OnboardingStatus,
  workflowId: string,
  core: Core,
): void {
  const ready = () => condition(() => state.context !== null || state.closed);
  /**
   * The operator who signed a command, and whether their grant lets them decide for `by`: as the
   * hiring manager's side (a buddy's side for a buddy declining). Commands from before signatures
   * replay as they were; after the change an unsigned one is refused and noted.
   */
  async function checkOperator(update: string, command: m.Actor): Promise<void> {
    const refused = (message: string): never => {
      note(state, `refused ${update} from ${command.auth?.operator ?? command.by}: ${message}`, {
        freelancerId: state.input.freelancerId,
      });
      throw ApplicationFailure.nonRetryable(message, m.OnboardingRefusals.notAllowed);
    };
    if (command.auth === undefined) {
      if (takesUnsignedCommands()) return;
      return refused(UNSIGNED_REFUSAL);
    }
    const checked = await authenticateOperator(
      state,
      command.auth,
      scopeOf(workflowId, update, command),
      async () =>
        (
          await attempt(
            () => core.loadOperators(),
            () => undefined,
          )
        )?.operators,
    );
    if ('refused' in checked) return refused(checked.refused);
    const capacity: OperatorCapacity = update === m.declineBuddy.name ? 'buddy' : 'manager';
    const grant = mayActFor(checked.operator, command.by, capacity);
    if (grant) refused(grant);
  }
  /** Runs a command once the context is loaded: the full check, the change, a turn of reconciling. */
  const command =
    <A extends m.Actor>(update: string, check: (a: A) => void, change: (a: A) => void) =>
    async (a: A): Promise<m.OnboardingStatus> => {
      await ready();
      if (state.closed)
        throw ApplicationFailure.nonRetryable('the engagement is closed', m.OnboardingRefusals.finished);
      await checkOperator(update, a);
      check(a);
      change(a);
      wake.set();
      return view();
    };
  const event =
    <E>(apply: (e: E) => void, deliveryOf: (e: E) => string | undefined) =>
    async (e: E): Promise<void> => {
      if (isRepeat(state, deliveryOf(e))) return;
      await ready();
      if (state.closed) return;
      apply(e);
      wake.set();
    };

  setHandler(m.onboardingStatus, view);
  const delivery = (e: { deliveryId?: string }) => e.deliveryId;
  setHandler(
    m.taskDone,
    event((e: m.TaskDoneEvent) => t.applyTaskDone(state, e, today()), delivery),
  );
  setHandler(
    m.intakeEdited,
    event((e: m.IntakeEditedEvent) => t.applyIntakeEdit(state, e, today()), delivery),
  );
  // Answers come from the calendar sync without a delivery id: their `occurredAt` orders them.
  setHandler(
    m.inviteAnswered,
    event(
      (e: m.InviteAnswered) => t.applyInviteAnswer(state, e),
      () => undefined,
    ),
  );

  /** Before history: the shape, then the signature as far as the state can tell (operator-identity.ts). */
  const validating = <A extends m.Actor>(update: string, validate: (a: A) => void = t.validateActor) => ({
    validator: (a: A) => {
      validate(a);
      const problem = precheckOperator(state, a.auth, scopeOf(workflowId, update, a), Date.now());
      if (problem) throw ApplicationFailure.nonRetryable(problem, m.OnboardingRefusals.notAllowed);
    },
  });
  setHandler(
    m.shiftStart,
    command(
      m.shiftStart.name,
      (c: m.ShiftStartCommand) => t.validateShift(state, c, today()),
      (c) => t.applyShift(state, c.startDate, c, 'shift-start'),
    ),
    validating(m.shiftStart.name, (c: m.ShiftStartCommand) => {
      t.validateActor(c);
      t.validateDateField(c.startDate, 'startDate');
    }),
  );
  setHandler(
    m.acceptProposedStart,
    command(
      m.acceptProposedStart.name,
      (c: m.AcceptStartCommand) => t.validateAccept(state, c),
      (c) => t.applyShift(state, state.proposal!.start, c, 'accept-start'),
    ),
    validating(m.acceptProposedStart.name),
  );
  setHandler(
    m.changeEnd,
    command(
      m.changeEnd.name,
      (c: m.ChangeEndCommand) => t.validateChangeEnd(state, c, today()),
      (c) => t.applyChangeEnd(state, c.endDate, c),
    ),
    validating(m.changeEnd.name, (c: m.ChangeEndCommand) => {
      t.validateActor(c);
      t.validateDateField(c.endDate, 'endDate');
    }),
  );
  setHandler(
    m.letEnd,
    command(
      m.letEnd.name,
      (c: m.LetEndCommand) => t.validateLetEnd(state, c),
      (c) => t.applyLetEnd(state, c),
    ),
    validating(m.letEnd.name),
  );
  setHandler(
    m.cancelOnboarding,
    command(
      m.cancelOnboarding.name,
      (c: m.CancelOnboardingCommand) => t.validateCancel(state, c),
      (c) => t.applyCancel(state, c, c.reason?.trim() || null, today()),
    ),
    validating(m.cancelOnboarding.name),
  );
  setHandler(
    m.changeTools,
    command(
      m.changeTools.name,
      (c: m.ChangeToolsCommand) => t.validateTools(state, c),
      (c) => t.applyTools(state, c.tools, c),
    ),
    validating(m.changeTools.name),
  );
  setHandler(
    m.declineBuddy,
    command(
      m.declineBuddy.name,
      (c: m.BuddyDeclineCommand) => t.validateBuddyDecline(state, c),
      (c) => t.applyBuddyDeclined(state, c),
    ),
    validating(m.declineBuddy.name),
  );
}

export async function onboardingWorkflow(
  input: m.OnboardingInput,
  carried?: OnboardingState,
): Promise<m.OnboardingStatus> {
  const workflowId = workflowInfo().workflowId;
  const state = carried ?? initialState(input);
  const wake = new Wake();
  const fx = effectsFor(state, workflowId);
  const core = activitiesFor<Core>(null);
  const today = () => (state.context ? todayOf(state) : localDateOf(Date.now(), 'UTC'));
  const view = () =>
    status(
      state,
      workflowId,
      state.context ? today() : null,
      state.context ? nextDeadline(state, today()) : null,
    );
  // What the starter indexed already (the CLI and the Notion route index at start) is not upserted again.
  let indexed: string | null = fingerprintOf(
    searchAttributes(state).map(
      (p) => ({ ...p, value: workflowInfo().typedSearchAttributes.get(p.key) }) as SearchAttributePair,
    ),
  );

  async function advance(): Promise<Progress> {
    wake.take();
    if (!(await ensureContext(state, core))) return 'finished';
    clearStaleProposal(state, today());
    await reconcile(state, fx, today());
    const pairs = searchAttributes(state);
    if (fingerprintOf(pairs) !== indexed) {
      indexed = fingerprintOf(pairs);
      upsertSearchAttributes(pairs);
    }
    if (state.closed) return 'finished';
    return wake.pending ? 'again' : 'idle';
  }

  registerHandlers(state, wake, today, view, workflowId, core);

  await runEntityLoop({
    wake,
    advance,
    deadlines: () => onboardingDeadlines(state, fx, wake),
    continueAsNew: () => continueAsNew<typeof onboardingWorkflow>(input, state),
    eventsBeforeContinueAsNew: HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW,
    keepTimers: true,
  });
  return view();
}
