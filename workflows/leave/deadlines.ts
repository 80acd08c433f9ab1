/**
 * The time-driven steps of a leave request, counted in working days of the requester's calendar
 * from the invites: a reminder to each party who has not approved, an escalation to the
 * manager's manager, expiry; and the end of the request (the first day of a blocked one, the end
 * of a confirmed leave).
 */
import { afterWorkingDays, windowInstants, type CoveragePerson } from '../../domain/coverage';
import { markSent, wasSent, type Deadline } from '../entity-loop';
import { escalationNotice, reminderNotice } from './notices';
import { notify, type LeaveRun } from './effects';
import { finish } from './reconcile';
import { contextOf, partiesOf, personIn, requesterCalendar, roundKey, waitingFor } from './state';

function reminder(
  run: LeaveRun,
  to: CoveragePerson,
  as: 'buddy' | 'manager',
  invitedAt: number,
): Deadline | null {
  const { state } = run;
  const key = roundKey(run.workflowId, state, `reminder:${to.id}`);
  if (wasSent(state, key)) return null;
  return {
    at: afterWorkingDays(requesterCalendar(state), invitedAt, contextOf(state).timing.remindAfterWorkingDays),
    run: () => notify(run, key, 'reminder', [to], reminderNotice(partiesOf(state), to.name, as)),
  };
}

function escalation(run: LeaveRun, manager: CoveragePerson, since: number): Deadline | null {
  const { state } = run;
  const context = contextOf(state);
  const key = roundKey(run.workflowId, state, 'escalation');
  if (wasSent(state, key)) return null;
  const after = context.timing.escalateAfterWorkingDays;
  return {
    at: afterWorkingDays(requesterCalendar(state), since, after),
    run: async () => {
      if (!context.managersManager)
        run.effects.note(`${manager.name} has no manager: the escalation goes to them`);
      await notify(
        run,
        key,
        'escalation',
        [context.managersManager ?? manager],
        escalationNotice(partiesOf(state), waitingFor(state), after),
        [manager],
      );
      // Recorded even if the mail failed for good, so the deadline does not fire again and again.
      markSent(state, key);
    },
  };
}

/** Gate 2's deadlines: reminders, escalation, expiry. */
function awaitingDeadlines(run: LeaveRun, since: number): Deadline[] {
  const { state } = run;
  const context = contextOf(state);
  const list: (Deadline | null)[] = [];
  const buddy = state.buddy ? personIn(context, state.buddy.id) : undefined;
  if (buddy && state.buddy && state.confirmations.buddy?.decision !== 'approve')
    list.push(reminder(run, buddy, 'buddy', state.buddy.invitedAt));
  const manager = context.manager;
  if (manager && state.managerInvitedAt !== null && state.confirmations.manager?.decision !== 'approve')
    list.push(reminder(run, manager, 'manager', state.managerInvitedAt));
  if (manager) list.push(escalation(run, manager, since));
  const expireAfter = context.timing.expireAfterWorkingDays;
  list.push({
    at: afterWorkingDays(requesterCalendar(state), since, expireAfter),
    run: () =>
      finish(
        run,
        'expired',
        `not confirmed by ${waitingFor(state).join(' and ')} within ${expireAfter} working days`,
      ),
  });
  return list.filter((d): d is Deadline => d !== null);
}

export function leaveDeadlines(run: LeaveRun): Deadline[] {
  const { state } = run;
  if (!state.context || !state.window) return [];
  const list: Deadline[] = [];
  if (state.phase === 'awaiting-confirmation' && state.gateTwoSince !== null)
    list.push(...awaitingDeadlines(run, state.gateTwoSince));
  const span = windowInstants(state.window, requesterCalendar(state).timezone);
  const end = () => {
    run.ended = true;
    return Promise.resolve();
  };
  if (state.phase === 'blocked') list.push({ at: span.start, run: end });
  if (state.phase === 'confirmed') list.push({ at: span.end, run: end });
  return list;
}
