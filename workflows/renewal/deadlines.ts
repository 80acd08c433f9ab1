/**
 * The time-driven steps of a renewal cycle and what each does. Reminders and escalations go out
 * at the configured notice time on the owner's calendar; the deadline is over at the end of its
 * day; the cycle rolls over at the start of the renewal date. Each notice has a key, so it goes
 * out once whatever is retried or replayed.
 */
import {
  addCalendarDays,
  compareDates,
  isWorkingDay,
  type CalendarDate,
} from '../../domain/business-calendar';
import { escalationNotice, missedNotice, reminderNotice, type Notice } from '../../domain/renewal-content';
import type { PersonRef } from './messages';
import { deadlinePassed, ended, rollover, type RenewalState, type RolloverOutcome } from './state';
import { describe } from './views';

export type RenewalStep =
  | { kind: 'catch-up' }
  | { kind: 'reminder'; step: number; date: CalendarDate }
  | { kind: 'escalation'; day: CalendarDate }
  | { kind: 'deadline-passed' }
  | { kind: 'missed-notice' }
  | { kind: 'rollover' }
  | { kind: 'end' };

export interface TimedStep {
  at: number;
  step: RenewalStep;
}

export interface Clock {
  now: number;
  today: CalendarDate;
  /** The instant (ms) at which the owner's clocks show `time` on `date`. */
  instant(date: CalendarDate, time: string): number;
}

/** An ended subscription stays on record while its spend still counts: to the end of the next year. */
export function recordKeptUntil(endedOn: CalendarDate): CalendarDate {
  return `${String(Number(endedOn.slice(0, 4)) + 2).padStart(4, '0')}-01-01`;
}

export const noticeKey = (s: RenewalState, suffix: string): string =>
  `subscription:${s.subscriptionId}:cycle-${s.cycle!.number}:${suffix}`;

/** The next working day from `from` up to the deadline without an escalation yet. */
export function nextEscalationDay(s: RenewalState, from: CalendarDate): CalendarDate | null {
  const c = s.cycle!;
  const plan = c.plan!;
  const cal = s.context!.calendar;
  let day = compareDates(from, plan.escalationDate) > 0 ? from : plan.escalationDate;
  for (let i = 0; compareDates(day, plan.noticeDeadline) <= 0 && i < 400; i++) {
    if (isWorkingDay(cal, day) && !c.escalations.includes(day)) return day;
    day = addCalendarDays(day, 1);
  }
  return null;
}

/** Every step still ahead (or due now), for the loop to wait on the earliest. */
export function renewalSteps(s: RenewalState, clock: Clock): TimedStep[] {
  const c = s.cycle;
  const ctx = s.context;
  if (!c || !ctx || !c.plan || !s.fields) return [];
  if (ended(s))
    return s.endedOn
      ? [{ at: clock.instant(recordKeptUntil(s.endedOn), '00:00'), step: { kind: 'end' } }]
      : [];
  const time = ctx.rules.noticeTime;
  const steps: TimedStep[] = [];
  const undecided = c.decision === null;
  if (undecided && c.catchUp.pending) steps.push({ at: clock.now, step: { kind: 'catch-up' } });
  if (undecided) {
    for (const r of c.reminders)
      if (r.status === 'pending' && typeof r.step === 'number')
        steps.push({
          at: clock.instant(r.date, time),
          step: { kind: 'reminder', step: r.step, date: r.date },
        });
  }
  if (undecided && c.missed === 'no') {
    const day = nextEscalationDay(s, clock.today);
    if (day) steps.push({ at: clock.instant(day, time), step: { kind: 'escalation', day } });
    steps.push({
      at: clock.instant(addCalendarDays(c.plan.noticeDeadline, 1), '00:00'),
      step: { kind: 'deadline-passed' },
    });
  }
  if (undecided && c.missed !== 'no' && !s.sent.includes(noticeKey(s, 'missed')))
    steps.push({ at: clock.now, step: { kind: 'missed-notice' } });
  steps.push({ at: clock.instant(c.renewalDate, '00:00'), step: { kind: 'rollover' } });
  return steps;
}

export interface NoticeEffects {
  /** Sends once per key; true when it went out now or before. */
  sendMail(key: string, to: PersonRef[], cc: PersonRef[], notice: Notice): Promise<boolean>;
  note(message: string): void;
}

export type StepOutcome =
  { kind: 'continue' } | { kind: 'rolled'; outcome: RolloverOutcome } | { kind: 'end' };

/** Runs one due step. */
export async function runStep(
  step: RenewalStep,
  s: RenewalState,
  clock: Clock,
  effects: NoticeEffects,
): Promise<StepOutcome> {
  const c = s.cycle!;
  const ctx = s.context!;
  const owner = ctx.owner;
  switch (step.kind) {
    case 'catch-up': {
      c.catchUp.pending = false;
      const key = noticeKey(s, `catch-up-${c.catchUp.sent + 1}`);
      c.catchUp.sent++;
      const ok = await effects.sendMail(
        key,
        [owner],
        [],
        reminderNotice(describe(s, clock.today), 'catch-up'),
      );
      effects.note(ok ? 'catch-up reminder sent' : 'catch-up reminder could not be sent');
      return { kind: 'continue' };
    }
    case 'reminder': {
      const reminder = c.reminders.find((r) => r.step === step.step && r.status === 'pending')!;
      const ok = await effects.sendMail(
        noticeKey(s, `reminder-${step.step}`),
        [owner],
        [],
        reminderNotice(describe(s, clock.today), step.step),
      );
      reminder.status = ok ? 'sent' : 'failed';
      effects.note(ok ? `${step.step}-day reminder sent` : `${step.step}-day reminder could not be sent`);
      return { kind: 'continue' };
    }
    case 'escalation': {
      c.escalations.push(step.day);
      const to = [ctx.manager, ctx.budgetOwner].filter(
        (p): p is PersonRef => p !== null && p.id !== owner.id,
      );
      const roles = [
        ...(ctx.manager ? [`${ctx.owner.name}'s manager`] : []),
        ...(ctx.budgetOwner ? ['the budget owner'] : []),
      ];
      const ok = await effects.sendMail(
        noticeKey(s, `escalation-${step.day}`),
        to.length > 0 ? to : [owner],
        to.length > 0 ? [owner] : [],
        escalationNotice(describe(s, clock.today), roles.length > 0 ? roles : ['the owner']),
      );
      effects.note(`${ok ? 'escalated' : 'could not escalate'} on ${step.day}: no decision yet`);
      return { kind: 'continue' };
    }
    case 'deadline-passed': {
      deadlinePassed(s);
      effects.note(`notice deadline ${c.plan!.noticeDeadline} passed without a decision`);
      return { kind: 'continue' };
    }
    case 'missed-notice': {
      const arrival = c.missed === 'arrival';
      const to = arrival
        ? [owner]
        : [owner, ctx.manager, ctx.budgetOwner].filter((p): p is PersonRef => p !== null);
      const ok = await effects.sendMail(
        noticeKey(s, 'missed'),
        dedupe(to),
        [],
        missedNotice(describe(s, clock.today), arrival, c.plan!.nextRenewal),
      );
      if (!ok) s.sent.push(noticeKey(s, 'missed'));
      effects.note(
        `${arrival ? 'added after its notice deadline' : 'missed its notice deadline'}: ${s.fields!.autoRenews ? 'renews' : 'lapses'} on ${c.renewalDate}`,
      );
      return { kind: 'continue' };
    }
    case 'rollover': {
      const renewalDate = c.renewalDate;
      const outcome = rollover(s, clock.now);
      effects.note(
        outcome === 'renewed'
          ? `renewed on ${renewalDate}; next renewal ${s.cycle!.renewalDate}`
          : `${outcome} on ${renewalDate}`,
      );
      return { kind: 'rolled', outcome };
    }
    case 'end':
      effects.note('no longer counted in any budget: the record ends');
      return { kind: 'end' };
  }
}

function dedupe(people: PersonRef[]): PersonRef[] {
  return people.filter((p, i) => people.findIndex((q) => q.id === p.id) === i);
}
