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
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { mayActFor, type OperatorCapacity, type OperatorGrant } from '../../domain/operators';
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
  recordRefusal,
  status,
  type OnboardingState,
} from './state';
import * as t from './transitions';

/** Patch: a task moved to Done counts as Jira shows it, for whom its changelog names. */
export const TASK_DONE_AT_SOURCE_PATCH = 'onboarding-task-done-at-source';

/** Patch: events are parsed before use, a malformed one noted and ignored; runs from before replay as they were. */
export const ONBOARDING_INPUT_PATCH = 'onboarding-input-checks';

/** A signal's event as its schema reads it. */
type SignalOf<K extends t.OnboardingSignalName> = Exclude<
  ReturnType<typeof t.parseSignal<K>>,
  { ok: false }
>['value'];

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
  fx: OnboardingEffects,
): void {
  const ready = () => condition(() => state.context !== null || state.closed);
  const fields = { freelancerId: state.input.freelancerId };
  /**
   * The operator who signed a command, once their grant lets them decide for `by`: as the hiring
   * manager's side (a buddy's side for a buddy declining). Null only for a command from before
   * signatures, which replays as it was; after the change an unsigned one is refused. A refusal
   * is kept on the record with who tried.
   */
  async function checkOperator(update: string, command: m.CommandActor): Promise<OperatorGrant | null> {
    const refused = (message: string): never => {
      const operator = command.auth?.operator;
      note(state, `refused ${update} from ${operator ?? command.by}: ${message}`, fields);
      recordRefusal(state, {
        by: command.by,
        via: 'cli',
        ...t.withOperator(command.by, operator),
        at: new Date(Date.now()).toISOString(),
        reason: message,
      });
      throw ApplicationFailure.nonRetryable(message, m.OnboardingRefusals.notAllowed);
    };
    if (command.auth === undefined) {
      if (takesUnsignedCommands()) return null;
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
    if (grant) return refused(grant);
    return checked.operator;
  }
  /** A command as the transitions see it: for `by`, through the CLI, by the operator who signed it. */
  type Acting<A> = A & { operator?: string };
  /** Runs a command once the context is loaded: the full check, the change, a turn of reconciling. */
  const command =
    <A extends m.CommandActor>(
      update: t.OnboardingUpdateName,
      check: (a: Acting<A>) => void,
      change: (a: Acting<A>) => void,
    ) =>
    async (a: A): Promise<m.OnboardingStatus> => {
      await ready();
      if (state.closed)
        throw ApplicationFailure.nonRetryable('the engagement is closed', m.OnboardingRefusals.finished);
      const operator = await checkOperator(update, a);
      const acting: Acting<A> = { ...a, ...t.withOperator(a.by, operator?.id) };
      check(acting);
      change(acting);
      wake.set();
      return view();
    };
  /**
   * An event from a tool: parsed first (a malformed or future-dated one is noted and ignored,
   * never a failed workflow task), then applied once per delivery. Runs from before the check
   * replay as they were.
   */
  const event =
    <K extends t.OnboardingSignalName>(signal: K, apply: (e: SignalOf<K>) => void | Promise<void>) =>
    async (raw: unknown): Promise<void> => {
      let e = raw as SignalOf<K>;
      if (patched(ONBOARDING_INPUT_PATCH)) {
        const parsed = t.parseSignal(signal, raw, Date.now());
        if (!parsed.ok) return note(state, `ignored ${signal}: ${parsed.problem}`, fields);
        e = parsed.value;
      }
      if (isRepeat(state, (e as { deliveryId?: string }).deliveryId)) return;
      await ready();
      if (state.closed) return;
      const applying = apply(e);
      if (applying) await applying;
      wake.set();
    };
  /**
   * A task moved to Done counts when Jira shows it done, for the person whose Jira account the
   * changelog names: the signal only says where to look, so a forged one cannot mark a Legal or
   * Security task done. Runs from before replay as they were.
   */
  async function taskDoneInJira(e: SignalOf<'taskDone'>): Promise<void> {
    const task = state.tasks.find((x) => x.issueKey === e.issueKey);
    if (!task || task.status !== 'open' || !patched(TASK_DONE_AT_SOURCE_PATCH)) {
      t.applyTaskDone(state, e, today());
      return;
    }
    const done = state.context!.jira.doneStatus;
    const read = await fx.attempt(`read ${e.issueKey} in Jira`, () =>
      fx.jira.readStatusChange({ issueKey: e.issueKey, toStatus: done }),
    );
    if (!read) return;
    if (read.status.toLowerCase() !== done.toLowerCase())
      return note(state, `ignored ${e.issueKey} moved to ${done}: it is "${read.status}" in Jira`, fields);
    const person = t.personWithJiraAccount(state, read.movedBy);
    t.applyTaskDone(
      state,
      {
        issueKey: e.issueKey,
        ...(person ? { personId: person.id } : {}),
        ...(read.movedBy !== null ? { jiraAccountId: read.movedBy } : {}),
      },
      today(),
    );
  }

  setHandler(m.onboardingStatus, view);
  setHandler(
    m.taskDone,
    event('taskDone', (e) => taskDoneInJira(e)),
  );
  setHandler(
    m.intakeEdited,
    event('intakeEdited', (e) => t.applyIntakeEdit(state, e, today())),
  );
  // Answers come from the calendar sync without a delivery id: their `occurredAt` orders them.
  setHandler(
    m.inviteAnswered,
    event('inviteAnswered', (e) => t.applyInviteAnswer(state, e)),
  );

  /**
   * Before history: the shape (schemas in transitions.ts, naming the field), then the signature
   * as far as the state can tell (operator-identity.ts). Validators do not run on replay.
   */
  const validating = <A extends m.CommandActor>(update: t.OnboardingUpdateName) => ({
    validator: (a: A) => {
      t.validateShape(update, a);
      const problem = precheckOperator(state, a.auth, scopeOf(workflowId, update, a), Date.now());
      if (problem) throw ApplicationFailure.nonRetryable(problem, m.OnboardingRefusals.notAllowed);
    },
  });
  setHandler(
    m.shiftStart,
    command(
      'shiftStart',
      (c: Acting<m.ShiftStartCommand>) => t.validateShift(state, c, today()),
      (c) => t.applyShift(state, c.startDate, c, 'shift-start'),
    ),
    validating('shiftStart'),
  );
  setHandler(
    m.acceptProposedStart,
    command(
      'acceptProposedStart',
      (c: Acting<m.AcceptStartCommand>) => t.validateAccept(state, c),
      (c) => t.applyShift(state, state.proposal!.start, c, 'accept-start'),
    ),
    validating('acceptProposedStart'),
  );
  setHandler(
    m.changeEnd,
    command(
      'changeEnd',
      (c: Acting<m.ChangeEndCommand>) => t.validateChangeEnd(state, c, today()),
      (c) => t.applyChangeEnd(state, c.endDate, c),
    ),
    validating('changeEnd'),
  );
  setHandler(
    m.letEnd,
    command(
      'letEnd',
      (c: Acting<m.LetEndCommand>) => t.validateLetEnd(state, c),
      (c) => t.applyLetEnd(state, c),
    ),
    validating('letEnd'),
  );
  setHandler(
    m.cancelOnboarding,
    command(
      'cancelOnboarding',
      (c: Acting<m.CancelOnboardingCommand>) => t.validateCancel(state, c),
      (c) => t.applyCancel(state, c, c.reason?.trim() || null, today()),
    ),
    validating('cancelOnboarding'),
  );
  setHandler(
    m.changeTools,
    command(
      'changeTools',
      (c: Acting<m.ChangeToolsCommand>) => t.validateTools(state, c),
      (c) => t.applyTools(state, c.tools, c),
    ),
    validating('changeTools'),
  );
  setHandler(
    m.declineBuddy,
    command(
      'declineBuddy',
      (c: Acting<m.BuddyDeclineCommand>) => t.validateBuddyDecline(state, c),
      (c) => t.applyBuddyDeclined(state, c),
    ),
    validating('declineBuddy'),
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

  registerHandlers(state, wake, today, view, workflowId, core, fx);

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
