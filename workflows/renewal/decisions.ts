/**
 * Decisions and snoozes: pure transitions on a subscription's state. A decision stops the
 * cycle's remaining reminders (and withdrawing it in Notion brings back those still ahead); a
 * snooze moves only the next reminder, never past the escalation, and merges it into the
 * following one when it would land on or after it. A command from the command line names the
 * operator who signed it; they act for themselves, or for the owner or the owner's manager as
 * their grant allows.
 */
import {
  addWorkingDays,
  compareDates,
  type BusinessCalendar,
  type CalendarDate,
} from '../../domain/business-calendar';
import { mayActFor, OperatorAuthSchema, type OperatorGrant } from '../../domain/operators';
import type { Decision } from '../../domain/subscription';
import { precheckOperator, scopeOf } from '../operator-identity';
import type { Actor, DecideCommand, DecisionRecord, SnoozeCommand } from './messages';
import { ended, type ReminderState, type RenewalState } from './state';

/** Who recorded a decision or snooze: the person, and the operator when someone else. */
export interface Recorder extends Actor {
  operator?: string | undefined;
}

const onBehalf = (actor: Recorder): { operator: string } | Record<string, never> =>
  actor.operator !== undefined && actor.operator !== actor.by ? { operator: actor.operator } : {};

/**
 * A command's channel and signature as far as the state can tell, for the validator: null when
 * it may go on to the handler (which decides whether this run still takes unsigned commands).
 */
export function identityProblem(
  s: RenewalState,
  workflowId: string,
  update: string,
  command: { via?: unknown; auth?: unknown },
  now: number,
): { invalid: string } | { unauthenticated: string } | null {
  if (command.via !== 'cli')
    return {
      invalid: `via must be cli, got "${String(command.via)}": a decision in Notion arrives as a change of the subscription's row`,
    };
  const auth = OperatorAuthSchema.optional().safeParse(command.auth);
  if (!auth.success) {
    const issue = auth.error.issues[0]!;
    return { invalid: `auth${issue.path.length > 0 ? `.${issue.path.join('.')}` : ''} ${issue.message}` };
  }
  const problem = precheckOperator(s, auth.data, scopeOf(workflowId, update, command), now);
  return problem ? { unauthenticated: problem } : null;
}

/**
 * Whether the operator who signed a command may give it for `by`: themselves always; the
 * subscription's owner with the `subscription-owner` grant, the owner's manager with `manager`;
 * nobody else, since nobody else holds a part in the renewal.
 */
export function operatorRefusal(s: RenewalState, by: string, operator: OperatorGrant): string | null {
  if (operator.id === by) return null;
  const owner = s.context?.owner.id ?? s.fields?.ownerId;
  const manager = s.context?.manager?.id;
  if (by === owner) return mayActFor(operator, by, 'subscription-owner');
  if (manager !== undefined && by === manager) return mayActFor(operator, by, 'manager');
  return `operator ${operator.id} may not act for ${by} on ${s.subscriptionId}: an operator acts for themselves, its owner (${owner ?? 'unknown'}) or the owner's manager (${manager ?? 'none configured'})`;
}

export function decisionProblem(
  s: RenewalState,
  command: Pick<DecideCommand, 'decision' | 'by'>,
): string | null {
  if (ended(s)) return `${s.subscriptionId} has ended (${s.lifecycle} on ${s.endedOn ?? 'its renewal date'})`;
  if (!s.fields || !s.cycle) return `${s.subscriptionId} has no valid subscription yet`;
  if (!['renew', 'renegotiate', 'downsize', 'cancel'].includes(command.decision))
    return `decision must be renew, renegotiate, downsize or cancel, got "${String(command.decision)}"`;
  if (typeof command.by !== 'string' || command.by.trim() === '') return 'by must name who decides';
  return null;
}

export function applyDecision(
  s: RenewalState,
  decision: Decision | 'undecided',
  actor: Recorder,
  atIso: string,
  atMs: number,
  today: CalendarDate,
  note?: string,
): boolean {
  const c = s.cycle!;
  const current = c.decision?.decision ?? 'undecided';
  if (current === decision) return false;
  const late = c.plan !== null && compareDates(c.plan.noticeDeadline, today) < 0;
  const record: DecisionRecord = {
    decision,
    by: actor.by,
    via: actor.via,
    at: atIso,
    late,
    ...(note ? { note } : {}),
    ...onBehalf(actor),
  };
  s.decisions.push(record);
  c.decision = decision === 'undecided' ? null : record;
  c.decidedAtMs = atMs;
  if (decision !== 'undecided') {
    c.catchUp.pending = false;
    for (const r of c.reminders)
      if (r.status === 'pending') {
        r.status = 'dropped';
        r.detail = `decided: ${decision}`;
      }
  } else {
    for (const r of c.reminders)
      if (r.status === 'dropped' && r.detail?.startsWith('decided') && compareDates(r.date, today) >= 0) {
        r.status = 'pending';
        delete r.detail;
      }
  }
  return true;
}

/** The reminder a snooze would move: the next one still to go out. */
export function nextPendingReminder(s: RenewalState): ReminderState | undefined {
  return s.cycle?.reminders
    .filter((r) => r.status === 'pending')
    .sort((a, b) => compareDates(a.date, b.date))[0];
}

export function snoozeProblem(
  s: RenewalState,
  command: SnoozeCommand,
  today: CalendarDate | null,
): string | null {
  if (ended(s)) return `${s.subscriptionId} has ended (${s.lifecycle})`;
  if (!s.cycle || !s.fields) return `${s.subscriptionId} has no valid subscription yet`;
  if (s.cycle.decision)
    return `${s.subscriptionId} is decided (${s.cycle.decision.decision}): no reminder is left to snooze`;
  if (!nextPendingReminder(s))
    return `${s.subscriptionId} has no reminder left to snooze (the escalations are not snoozed)`;
  if (typeof command.by !== 'string' || command.by.trim() === '') return 'by must name who snoozes';
  if (today !== null && compareDates(command.until, today) <= 0)
    return `until ${command.until} is not after today (${today})`;
  return null;
}

/**
 * Moves the next reminder to `until`, or to the last working day before the escalation when
 * `until` reaches it. A reminder moved onto or past the following one merges into it.
 */
export function applySnooze(
  s: RenewalState,
  command: SnoozeCommand,
  cal: BusinessCalendar,
  today: CalendarDate,
  atIso: string,
  operator?: string,
): string {
  const c = s.cycle!;
  const reminder = nextPendingReminder(s)!;
  const escalation = c.plan!.escalationDate;
  let to = command.until;
  let clamped = false;
  if (compareDates(to, escalation) >= 0) {
    to = addWorkingDays(cal, escalation, -1);
    clamped = true;
  }
  if (compareDates(to, today) <= 0)
    throw new SnoozeRefused(`no working day is left before the escalation on ${escalation}`);
  const from = reminder.date;
  s.snoozes.push({
    step: reminder.step as number,
    from,
    to,
    by: command.by,
    via: command.via,
    at: atIso,
    ...(command.note ? { note: command.note } : {}),
    ...onBehalf({ by: command.by, via: command.via, operator }),
  });
  const following = c.reminders.find(
    (r) => r !== reminder && r.status === 'pending' && compareDates(r.date, from) >= 0,
  );
  if (following && compareDates(to, following.date) >= 0) {
    reminder.status = 'merged';
    reminder.detail = `snoozed past the ${String(following.step)}-day reminder on ${following.date}`;
    return `the ${String(reminder.step)}-day reminder (${from}) merges into the ${String(following.step)}-day one on ${following.date}`;
  }
  reminder.date = to;
  c.reminders.sort((a, b) => compareDates(a.date, b.date));
  return `the ${String(reminder.step)}-day reminder moves from ${from} to ${to}${clamped ? ` (the last working day before the escalation on ${escalation})` : ''}`;
}

export class SnoozeRefused extends Error {}
