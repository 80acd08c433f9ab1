/**
 * The dates of a subscription's renewal cycle: the notice deadline, the reminder ladder, the
 * escalation date and the next renewal. Pure and deterministic (workflow code calls it on every
 * replay): dates are calendar dates of the owner's business calendar, with no clock.
 *
 * - The notice deadline is the renewal date minus the notice period in calendar days, moved back
 *   to the previous working day: a notice must go out before the deadline, never after it.
 * - Each reminder is that many calendar days before the deadline, moved back to a working day.
 *   Only reminders inside the current cycle belong to it (a monthly contract gets the ones that
 *   fit in its month); reminders already past when the plan is made are dropped, and when at
 *   least one was dropped and the deadline is still ahead, one catch-up reminder goes out at once.
 *   A reminder on or after the escalation date gives way to the escalation.
 * - Cycles are whole calendar months. A day that does not exist in the month is clamped to its
 *   end (31 January plus one month is 28 February, 29 in a leap year), and the next month goes
 *   back to the contract's own day of the month (28 February plus one month is 31 March for a
 *   contract that began on the 31st).
 */
import {
  addCalendarDays,
  addWorkingDays,
  compareDates,
  isValidDate,
  rollBackward,
  type BusinessCalendar,
  type CalendarDate,
} from './business-calendar';

export const CYCLE_NAMES = ['monthly', 'quarterly', 'annual'] as const;
/** `monthly`, `quarterly`, `annual`, or every N months written `Nm` (for example `6m`). */
export type CycleSpec = (typeof CYCLE_NAMES)[number] | `${number}m`;

/** Longer than any contract a tool is bought on; a longer one is almost certainly a typo. */
export const MAX_CYCLE_MONTHS = 60;

/** A value that is not a cycle; the message says what is accepted. */
export class CycleError extends Error {}

/** Reads `monthly`, `quarterly`, `annual` (or `yearly`), `semi-annual`, `6m`, `every 6 months`. */
export function parseCycle(text: string): CycleSpec {
  const value = text.trim().toLowerCase();
  if (value === 'monthly' || value === '1m' || value === 'every month') return 'monthly';
  if (value === 'quarterly' || value === '3m' || value === 'every 3 months') return 'quarterly';
  if (value === 'annual' || value === 'annually' || value === 'yearly' || value === '12m') return 'annual';
  if (value === 'semi-annual' || value === 'semiannual' || value === 'half-yearly') return '6m';
  const match = /^(?:every\s+)?(\d{1,3})\s*(?:m|months?)$/.exec(value);
  if (match) {
    const months = Number(match[1]);
    if (months >= 1 && months <= MAX_CYCLE_MONTHS) {
      if (months === 1) return 'monthly';
      if (months === 3) return 'quarterly';
      if (months === 12) return 'annual';
      return `${months}m`;
    }
  }
  throw new CycleError(
    `"${text}" is not a cycle: write monthly, quarterly, annual, or every N months as Nm (1 to ${MAX_CYCLE_MONTHS})`,
  );
}

export function cycleMonths(cycle: CycleSpec): number {
  if (cycle === 'monthly') return 1;
  if (cycle === 'quarterly') return 3;
  if (cycle === 'annual') return 12;
  return Number(cycle.slice(0, -1));
}

export function describeCycle(cycle: CycleSpec): string {
  if (cycle === 'monthly' || cycle === 'quarterly' || cycle === 'annual') return cycle;
  return `every ${cycleMonths(cycle)} months`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function parts(date: CalendarDate): [number, number, number] {
  if (!isValidDate(date)) throw new RangeError(`${JSON.stringify(date)} is not a date written YYYY-MM-DD`);
  return date.split('-').map(Number) as [number, number, number];
}

export function dayOfMonth(date: CalendarDate): number {
  return parts(date)[2];
}

/**
 * `date` plus `months` calendar months (minus, when negative), on `anchorDay` of the month
 * (the date's own day by default), clamped to the month's last day.
 */
export function addMonths(date: CalendarDate, months: number, anchorDay?: number): CalendarDate {
  if (!Number.isInteger(months)) throw new RangeError(`a number of months must be whole, not ${months}`);
  const [year, month, day] = parts(date);
  const index = year * 12 + (month - 1) + months;
  const newYear = Math.floor(index / 12);
  const newMonth = index - newYear * 12 + 1;
  const wanted = anchorDay ?? day;
  const newDay = Math.min(wanted, daysInMonth(newYear, newMonth));
  return `${String(newYear).padStart(4, '0')}-${String(newMonth).padStart(2, '0')}-${String(newDay).padStart(2, '0')}`;
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  const utc = (d: CalendarDate) => {
    const [y, m, day] = parts(d);
    return Date.UTC(y, m - 1, day);
  };
  return Math.round((utc(to) - utc(from)) / 86_400_000);
}

/** The first day of the cycle that ends on `renewalDate`. */
export function cycleStart(renewalDate: CalendarDate, months: number, anchorDay?: number): CalendarDate {
  return addMonths(renewalDate, -months, anchorDay ?? dayOfMonth(renewalDate));
}

/** The renewal after `renewalDate`. */
export function nextRenewal(renewalDate: CalendarDate, months: number, anchorDay?: number): CalendarDate {
  return addMonths(renewalDate, months, anchorDay ?? dayOfMonth(renewalDate));
}

/**
 * A renewal date on or before `today` has passed: the first renewal after today, counting whole
 * cycles from it (the renewals in between are taken as having happened).
 */
export function firstRenewalAfter(
  renewalDate: CalendarDate,
  months: number,
  today: CalendarDate,
  anchorDay?: number,
): CalendarDate {
  let date = renewalDate;
  const anchor = anchorDay ?? dayOfMonth(renewalDate);
  for (let i = 0; compareDates(date, today) <= 0; i++) {
    if (i > 12 * 200) throw new RangeError(`${renewalDate} is too far in the past`);
    date = addMonths(date, months, anchor);
  }
  return date;
}

export function noticeDeadline(
  cal: BusinessCalendar,
  renewalDate: CalendarDate,
  noticeDays: number,
): CalendarDate {
  return rollBackward(cal, addCalendarDays(renewalDate, -noticeDays));
}

export interface RenewalRules {
  /** Calendar days before the notice deadline, any order. */
  reminderDays: number[];
  escalationWorkingDays: number;
}

export interface PlannedReminder {
  date: CalendarDate;
  /** The step of the ladder (90, 60, …): calendar days before the deadline before moving back. */
  daysBeforeDeadline: number;
}

export interface RenewalPlanInput {
  renewalDate: CalendarDate;
  noticeDays: number;
  cycleMonths: number;
  /** The contract's day of the month; the renewal date's own day by default. */
  anchorDay?: number;
  /** The day the plan is made: reminders before it are past. */
  today: CalendarDate;
}

export interface RenewalPlan {
  renewalDate: CalendarDate;
  cycleStart: CalendarDate;
  noticeDeadline: CalendarDate;
  /** This cycle's ladder less the past ones, in date order. */
  reminders: PlannedReminder[];
  /** Steps of this cycle's ladder already past when the plan was made. */
  dropped: PlannedReminder[];
  /** At least one reminder was dropped as past and the deadline is still ahead. */
  catchUpReminder: boolean;
  escalationDate: CalendarDate;
  /** The notice deadline is before today. */
  missed: boolean;
  nextRenewal: CalendarDate;
}

/** Every step of the ladder that falls inside the cycle and before the escalation, in date order. */
export function reminderLadder(
  cal: BusinessCalendar,
  deadline: CalendarDate,
  start: CalendarDate,
  escalationDate: CalendarDate,
  reminderDays: number[],
): PlannedReminder[] {
  const steps = [...new Set(reminderDays)].sort((a, b) => b - a);
  const out: PlannedReminder[] = [];
  for (const step of steps) {
    const date = rollBackward(cal, addCalendarDays(deadline, -step));
    if (compareDates(date, start) < 0) continue;
    if (compareDates(date, escalationDate) >= 0) continue;
    // Two steps moved back onto one day make one reminder, the earlier step's.
    if (out.some((r) => r.date === date)) continue;
    out.push({ date, daysBeforeDeadline: step });
  }
  return out.sort((a, b) => compareDates(a.date, b.date));
}

export function planRenewal(
  input: RenewalPlanInput,
  cal: BusinessCalendar,
  rules: RenewalRules,
): RenewalPlan {
  const anchor = input.anchorDay ?? dayOfMonth(input.renewalDate);
  const start = cycleStart(input.renewalDate, input.cycleMonths, anchor);
  const deadline = noticeDeadline(cal, input.renewalDate, input.noticeDays);
  const escalationDate = addWorkingDays(cal, deadline, -rules.escalationWorkingDays);
  const ladder = reminderLadder(cal, deadline, start, escalationDate, rules.reminderDays);
  const reminders = ladder.filter((r) => compareDates(r.date, input.today) >= 0);
  const dropped = ladder.filter((r) => compareDates(r.date, input.today) < 0);
  const missed = compareDates(deadline, input.today) < 0;
  return {
    renewalDate: input.renewalDate,
    cycleStart: start,
    noticeDeadline: deadline,
    reminders,
    dropped,
    catchUpReminder: dropped.length > 0 && !missed,
    escalationDate,
    missed,
    nextRenewal: nextRenewal(input.renewalDate, input.cycleMonths, anchor),
  };
}

/** The calendar days of the cycle that ends on `renewalDate`: a notice period may not exceed it. */
export function cycleLengthDays(renewalDate: CalendarDate, months: number, anchorDay?: number): number {
  return daysBetween(cycleStart(renewalDate, months, anchorDay), renewalDate);
}
