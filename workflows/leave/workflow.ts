/**
 * One workflow per leave request (`leave:<personId>:<startDate>`), from the request to the end
 * of the leave: gate 1 and the covering buddy (gates.ts), two-party confirmation with reminders,
 * escalation and expiry (deadlines.ts), the bookings of a confirmed leave (booking.ts). Moving the
 * dates runs both gates again; cancelling removes everything prodops created.
 *
 * Here: the activity proxies, the message handlers wired to the pure transitions of state.ts,
 * and the shared loop, whose every turn is `reconcile`.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { describeWindow, LeaveInputError, normaliseWindow } from '../../domain/coverage';
import { LeaveEnd, LeaveStart, LeaveStatus as LeaveStatusKey, Team } from '../../domain/search-attributes';
import { parseCommand } from '../../domain/commands';
import type { OperatorAuth, OperatorGrant } from '../../domain/operators';
import { activitiesFor } from '../activity-options';
import { note, runEntityLoop, Wake } from '../entity-loop';
import { authenticateOperator, scopeOf, takesUnsignedCommands, UNSIGNED_REFUSAL } from '../operator-identity';
import {
  cancelLeave,
  confirmLeave,
  inviteAnswered,
  leaveStatus,
  LeaveRefusals,
  moveLeave,
  outOfOfficeChanged,
  type CancelLeaveCommand,
  type ConfirmLeaveCommand,
  type LeaveMemo,
  type LeaveRequestInput,
  type LeaveStatusView,
  type MoveLeaveCommand,
} from './messages';
import { momentOf, tryTo, type LeaveEffects, type LeaveRun } from './effects';
import { loadContext } from './gates';
import { reconcile } from './reconcile';
import { leaveDeadlines } from './deadlines';
import {
  applyCancel,
  applyConfirm,
  applyInviteAnswer,
  applyMove,
  applyOutOfOfficeChange,
  contextOf,
  initialState,
  InviteAnsweredSchema,
  isInvite,
  isTerminal,
  LEAVE_UPDATES,
  LOG_LIMIT,
  OutOfOfficeChangedSchema,
  personIn,
  recordRefusal,
  refuseMove,
  status,
  validateCancel,
  validateConfirm,
  validateMove,
  windowOf,
  type InviteTruth,
  type LeaveWorkflowState,
  type Refusal,
} from './state';

export type { LeaveWorkflowState } from './state';

/** Patch: an invite answer counts only as Google Calendar shows it on prodops' own event. */
export const VERIFY_INVITE_ANSWERS_PATCH = 'leave-invite-answers-read-at-source';

/** Continue-as-new well before Temporal's limits; a round of gates costs a few dozen events. */
export const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 2_000;

function refuse(refusal: Refusal | null): void {
  if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
}

/** What `prodops leave list` reads without asking the workflow; null until the request is loaded. */
function memoOf(state: LeaveWorkflowState, personId: string): LeaveMemo | null {
  if (!state.context || !state.window) return null;
  const w = state.window;
  const buddy = state.buddy ? personIn(state.context, state.buddy.id) : undefined;
  return {
    personId,
    personName: state.context.requester.name,
    team: state.context.team.id,
    from: w.from,
    to: w.to,
    firstDay: w.firstDay,
    lastDay: w.lastDay,
    buddyId: buddy?.id ?? null,
    buddyName: buddy?.name ?? null,
  };
}

/** Publishes the `LeaveStatus`, `Team`, `LeaveStart` and `LeaveEnd` attributes and the memo when they changed. */
function indexer(state: LeaveWorkflowState, personId: string): () => void {
  let indexed: string | null = null;
  return () => {
    const memo = memoOf(state, personId);
    if (!memo) return;
    const fingerprint = JSON.stringify([state.phase, memo]);
    if (fingerprint === indexed) return;
    indexed = fingerprint;
    upsertSearchAttributes([
      { key: LeaveStatusKey, value: state.phase },
      { key: Team, value: memo.team },
      { key: LeaveStart, value: new Date(`${memo.from}T00:00:00Z`) },
      { key: LeaveEnd, value: new Date(`${memo.to}T00:00:00Z`) },
    ]);
    upsertMemo({ leave: memo });
  };
}

function effectsFor(state: LeaveWorkflowState, input: LeaveRequestInput, workflowId: string): LeaveEffects {
  return {
    calendar: activitiesFor<LeaveEffects['calendar']>('google'),
    gmail: activitiesFor<LeaveEffects['gmail']>('google'),
    jira: activitiesFor<LeaveEffects['jira']>('jira'),
    notion: activitiesFor<LeaveEffects['notion']>('notion'),
    leave: activitiesFor<LeaveEffects['leave']>(null),
    core: activitiesFor<LeaveEffects['core']>(null),
    note: (message) => note(state, message, { workflowId }, LOG_LIMIT),
    index: indexer(state, input.personId),
  };
}

/**
 * Who signed a command: the operator, or a refusal (recorded in the request and thrown). Only a
 * command with `auth` gets here; the unsigned path is decided synchronously by the caller.
 */
async function signedBy(
  run: LeaveRun,
  update: string,
  command: { by?: string; auth?: OperatorAuth },
): Promise<OperatorGrant> {
  const auth = command.auth!;
  const checked = await authenticateOperator(
    run.state,
    auth,
    scopeOf(run.workflowId, update, command),
    async () =>
      (await tryTo(run, 'read the configured operators', () => run.effects.core.loadOperators()))?.operators,
  );
  if ('operator' in checked) return checked.operator;
  if (run.state.context)
    recordRefusal(
      run.state,
      { by: command.by ?? auth.operator, via: 'command', reason: checked.refused, operator: auth.operator },
      momentOf(run),
    );
  throw ApplicationFailure.nonRetryable(checked.refused, LeaveRefusals.unauthenticated);
}

/** An unsigned command in a run that no longer takes them: recorded and refused. */
function refuseUnsigned(run: LeaveRun, by: string | undefined): never {
  if (run.state.context)
    recordRefusal(
      run.state,
      { by: by ?? 'unknown', via: 'command', reason: UNSIGNED_REFUSAL },
      momentOf(run),
    );
  throw ApplicationFailure.nonRetryable(UNSIGNED_REFUSAL, LeaveRefusals.unauthenticated);
}

/** Signals and updates change the state through state.ts; each one that matters wakes the loop. */
function wireHandlers(run: LeaveRun, wake: Wake): void {
  const { state, input, workflowId } = run;
  const view = () => status(state, workflowId, input);
  const whenLoaded = () => condition(() => state.context !== null || isTerminal(state));
  const woke = (yes: boolean) => {
    if (yes) wake.set();
  };

  setHandler(leaveStatus, view);
  setHandler(outOfOfficeChanged, (raw) => {
    // Anyone who reaches Temporal can signal: a malformed or future-dated change is not applied.
    const parsed = parseCommand(OutOfOfficeChangedSchema(Date.now()), raw, 'outOfOfficeChanged');
    if (!parsed.ok) return run.effects.note(`ignored an out-of-office change: ${parsed.problem}`);
    woke(applyOutOfOfficeChange(state, input.personId, parsed.value, momentOf(run)));
  });
  setHandler(inviteAnswered, async (raw) => {
    const parsed = parseCommand(InviteAnsweredSchema(Date.now()), raw, 'inviteAnswered');
    if (!parsed.ok) return run.effects.note(`ignored an invite answer: ${parsed.problem}`);
    const answer = parsed.value;
    await whenLoaded();
    if (!state.context) return;
    const invite = state.events.find(
      (e) => isInvite(e) && e.eventId === answer.eventId && e.status === 'live',
    );
    let truth: InviteTruth | undefined;
    // The signal says where to look; what counts is the invite as Google Calendar holds it.
    if (
      invite &&
      answer.calendarId.toLowerCase() === invite.calendarId.toLowerCase() &&
      patched(VERIFY_INVITE_ANSWERS_PATCH)
    ) {
      truth = await tryTo(run, `read the ${invite.kind} in Google Calendar`, () =>
        run.effects.calendar.readInvite({
          calendarId: invite.calendarId,
          eventId: invite.eventId,
          actAs: contextOf(state).sender,
        }),
      );
      if (!truth) return;
    }
    woke(applyInviteAnswer(state, input.personId, answer, momentOf(run), truth));
  });
  setHandler(
    confirmLeave,
    async (command) => {
      if (command.auth === undefined && !takesUnsignedCommands()) {
        await whenLoaded();
        refuseUnsigned(run, command.by);
      }
      await whenLoaded();
      const operator = command.auth ? await signedBy(run, LEAVE_UPDATES.confirm, command) : null;
      const applied = applyConfirm(state, input.personId, command, momentOf(run), operator);
      if ('refused' in applied) refuse({ type: LeaveRefusals.notAllowed, message: applied.refused });
      else woke(applied.wake);
      return view();
    },
    { validator: (command: ConfirmLeaveCommand) => refuse(validateConfirm(state, workflowId, command)) },
  );
  setHandler(
    moveLeave,
    (command) => {
      if (command.auth === undefined) {
        if (!takesUnsignedCommands()) refuseUnsigned(run, command.by);
        woke(applyMove(state, command, momentOf(run)));
        return view();
      }
      return (async () => {
        const operator = await signedBy(run, LEAVE_UPDATES.move, command);
        await whenLoaded();
        const refused = state.context
          ? refuseMove(state, input.personId, command, momentOf(run), operator)
          : null;
        if (refused) refuse({ type: LeaveRefusals.notAllowed, message: refused });
        woke(applyMove(state, command, momentOf(run)));
        return view();
      })();
    },
    { validator: (command: MoveLeaveCommand) => refuse(validateMove(state, workflowId, command)) },
  );
  setHandler(
    cancelLeave,
    async (command) => {
      if (command.auth === undefined && !takesUnsignedCommands()) {
        await whenLoaded();
        refuseUnsigned(run, command.by);
      }
      await whenLoaded();
      const operator = command.auth ? await signedBy(run, LEAVE_UPDATES.cancel, command) : null;
      const applied = applyCancel(state, input.personId, command, momentOf(run), operator);
      if ('refused' in applied) refuse({ type: LeaveRefusals.notAllowed, message: applied.refused });
      else woke(applied.wake);
      await condition(() => state.phase === 'cancelled' || run.ended);
      return view();
    },
    { validator: (command: CancelLeaveCommand) => refuse(validateCancel(state, workflowId, command)) },
  );
}

export async function leaveWorkflow(
  input: LeaveRequestInput,
  carried?: LeaveWorkflowState,
): Promise<LeaveStatusView> {
  const { workflowId, taskQueue } = workflowInfo();
  const state: LeaveWorkflowState = carried ?? initialState(input);
  const run: LeaveRun = {
    input,
    workflowId,
    baseQueue: taskQueue.replace(/-(jira|notion|google)$/, ''),
    state,
    effects: effectsFor(state, input, workflowId),
    ended: false,
  };
  // Read before any handler runs: the dispatcher's first signal repeats the input's dates.
  let invalidInput: string | null = null;
  if (!carried) {
    try {
      state.window = normaliseWindow(input);
    } catch (error) {
      if (!(error instanceof LeaveInputError)) throw error;
      invalidInput = error.message;
    }
  }
  const wake = new Wake();
  wireHandlers(run, wake);

  if (invalidInput !== null && !state.pendingWindow) {
    state.phase = 'blocked';
    state.reason = `the request is not valid: ${invalidInput}`;
    run.effects.note(`blocked: ${state.reason}`);
    run.ended = true;
  }
  if (!run.ended && (await loadContext(run))) {
    if (!carried) run.effects.note(`requested ${describeWindow(windowOf(state))} (${input.source})`);
  } else run.ended = true;

  await runEntityLoop({
    wake,
    // A message that arrived while the last turn's calls ran is acted on in this one.
    advance: async () => {
      wake.take();
      const progress = await reconcile(run);
      if (progress === 'finished') {
        run.ended = true;
        run.effects.index();
      }
      return progress;
    },
    deadlines: () => leaveDeadlines(run),
    continueAsNew: () => continueAsNew<typeof leaveWorkflow>(input, state),
    eventsBeforeContinueAsNew: HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW,
  });
  return status(state, workflowId, input);
}
