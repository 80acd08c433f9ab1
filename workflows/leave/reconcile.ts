/**
 * One turn of a leave request: from what the messages changed in its state to what must exist.
 * A cancellation ends it; new dates start a round with both gates; then gate 1 and the buddy
 * while checking; a manager's decline ends it, a buddy's finds the next one; both confirmations
 * run gate 1 once more; a confirmed leave is booked.
 *
 * The order of the steps, and where the search attributes are published, is the order of the
 * commands running workflows recorded: keep it.
 */
import { describeWindow, type CoveragePerson } from '../../domain/coverage';
import type { Progress } from '../entity-loop';
import { cancelledNotice, declinedNotice, expiredNotice } from './notices';
import { notify, releaseHold, type LeaveRun } from './effects';
import { book, removeEvents, syncTracker } from './booking';
import { confirmBoth, guarded, loadContext, matchBuddy, runGateOne } from './gates';
import {
  beginRound,
  contextOf,
  forgetPastRounds,
  isTerminal,
  partiesOf,
  personIn,
  releaseBuddy,
  requestKey,
  roundKey,
  waitingFor,
} from './state';

/** Ends the request: everything prodops made removed, the place given back, everyone involved told. */
export async function finish(
  run: LeaveRun,
  phase: 'declined' | 'expired' | 'cancelled',
  reason: string,
): Promise<void> {
  const { state, workflowId } = run;
  const context = contextOf(state);
  const requester = context.requester;
  const involved = [
    state.buddy ? personIn(context, state.buddy.id) : undefined,
    state.managerInvitedAt !== null ? context.manager : null,
  ].filter((p): p is CoveragePerson => !!p);
  await removeEvents(run, () => true);
  await releaseHold(run);
  if (state.window) {
    if (phase === 'declined')
      await notify(
        run,
        roundKey(workflowId, state, 'declined'),
        'declined',
        [requester],
        declinedNotice(
          partiesOf(state),
          context.manager?.name ?? 'the manager',
          state.confirmations.manager?.note,
        ),
      );
    else if (phase === 'expired')
      await notify(
        run,
        roundKey(workflowId, state, 'expired'),
        'expired',
        [requester, ...involved],
        expiredNotice(partiesOf(state), waitingFor(state)),
      );
    else
      await notify(
        run,
        requestKey(workflowId, 'cancelled'),
        'cancelled',
        [requester, ...involved],
        cancelledNotice(partiesOf(state), reason),
      );
    await syncTracker(run, phase === 'declined' ? 'Declined' : phase === 'expired' ? 'Expired' : 'Cancelled');
  }
  state.phase = phase;
  state.reason = reason;
  run.effects.note(`${phase}: ${reason}`);
}

/** New dates: what the last round made is removed, and both gates run again. */
async function startNextRound(run: LeaveRun): Promise<void> {
  const { state } = run;
  const next = state.pendingWindow!;
  state.pendingWindow = null;
  run.effects.note(
    `dates changed${state.window ? ` from ${describeWindow(state.window)}` : ''} to ${describeWindow(next)}: both gates run again`,
  );
  if (state.window && state.context) {
    await removeEvents(run, () => true);
    forgetPastRounds(state, run.workflowId);
  }
  beginRound(state, next);
  if (state.trackerPageId && state.context) await syncTracker(run, 'Requested');
}

/** The buddy declined (before or after confirming): their events go, the next candidate is asked. */
async function replaceBuddy(run: LeaveRun): Promise<void> {
  const { state } = run;
  const declined = state.buddy!;
  const wasConfirmed = state.phase === 'confirmed';
  run.effects.note(
    `looking for another buddy: ${personIn(contextOf(state), declined.id)?.name ?? declined.id} declined`,
  );
  await removeEvents(
    run,
    (e) => (e.kind === 'coverage-invite' || e.kind === 'covering') && e.personId === declined.id,
  );
  releaseBuddy(state, wasConfirmed, Date.now());
  await matchBuddy(run);
}

/** Gate 2: a decline ends the request or replaces the buddy; two approvals confirm; confirmed books. */
async function gateTwo(run: LeaveRun): Promise<'again' | 'settled'> {
  const { state } = run;
  const { buddy, manager } = state.confirmations;
  if (manager?.decision === 'decline') {
    const by = contextOf(state).manager?.name ?? 'the manager';
    await finish(run, 'declined', `declined by ${by}${manager.note ? `: ${manager.note}` : ''}`);
    return 'again';
  }
  if (buddy?.decision === 'decline') {
    await guarded(run, replaceBuddy);
    return 'again';
  }
  if (
    state.phase === 'awaiting-confirmation' &&
    buddy?.decision === 'approve' &&
    manager?.decision === 'approve'
  ) {
    await guarded(run, confirmBoth);
    return 'again';
  }
  if (state.phase === 'confirmed') await book(run);
  return 'settled';
}

/**
 * One turn: 'again' when it changed something that needs another turn before waiting,
 * 'finished' when the request has nothing left to wait for, 'idle' when only a message or a
 * deadline can move it.
 */
export async function reconcile(run: LeaveRun): Promise<Progress> {
  const { state, effects } = run;
  if (run.ended) return 'finished';
  if (state.cancel && !isTerminal(state)) {
    await finish(run, 'cancelled', state.cancel.reason);
    effects.index();
    return 'finished';
  }
  if (state.pendingWindow && !isTerminal(state)) {
    await startNextRound(run);
    if (!(await loadContext(run))) return 'finished';
    effects.index();
    return 'again';
  }
  if (isTerminal(state)) return 'finished';
  effects.index();
  if (state.phase === 'checking') {
    await guarded(run, state.gate1 === null ? runGateOne : matchBuddy);
    return 'again';
  }
  if (state.phase === 'awaiting-confirmation' || state.phase === 'confirmed') {
    if ((await gateTwo(run)) === 'again') return 'again';
  }
  // Dates or a cancellation that arrived while this turn's calls ran come first.
  return state.cancel || state.pendingWindow ? 'again' : 'idle';
}
