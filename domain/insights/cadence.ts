/**
 * When the pipeline's scheduled runs fall, on the organisation's calendar: the weekly triage on
 * the first working day of the week (from the configured day on), the needs-tagging roundup on
 * its days (each moved forward to a working day within its week), and the monthly digest of a
 * month on the first working day of the next. Weeks are ISO weeks (Monday to Sunday, `2027-W05`).
 */
import {
  addCalendarDays,
  isWorkingDay,
  rollForward,
  type BusinessCalendar,
  type CalendarDate,
} from '../business-calendar';
import type { Weekday } from '../config';

const ISO_DAY: Record<Weekday, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };
const DAY_MS = 86_400_000;

function utcDay(date: CalendarDate): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** 1 for Monday to 7 for Sunday. */
export function isoWeekday(date: CalendarDate): number {
  // 1970-01-01 was a Thursday (4).
  return ((((utcDay(date) + 3) % 7) + 7) % 7) + 1;
}

/** The ISO week a date falls in, `YYYY-Www`. */
export function isoWeekOf(date: CalendarDate): string {
  const thursday = addCalendarDays(date, 4 - isoWeekday(date));
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor((utcDay(thursday) - utcDay(`${thursday.slice(0, 4)}-01-01`)) / 7) + 1;
  return `${String(year).padStart(4, '0')}-W${String(week).padStart(2, '0')}`;
}

export const ISO_WEEK = /^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$/;
export const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The Monday of an ISO week. */
export function mondayOf(week: string): CalendarDate {
  const match = ISO_WEEK.exec(week);
  if (!match) throw new RangeError(`${JSON.stringify(week)} is not an ISO week written YYYY-Www`);
  const year = Number(match[1]);
  const jan4 = `${match[1]}-01-04`;
  const firstMonday = addCalendarDays(jan4, 1 - isoWeekday(jan4));
  const monday = addCalendarDays(firstMonday, (Number(match[2]) - 1) * 7);
  if (isoWeekOf(monday) !== week) throw new RangeError(`${year} has no week ${match[2]}`);
  return monday;
}

/** The date of a weekday in the week of `date`. */
export function dayOfWeek(date: CalendarDate, day: Weekday): CalendarDate {
  return addCalendarDays(date, ISO_DAY[day] - isoWeekday(date));
}

/** The working day on or after `day` in the same ISO week, or null when the rest of the week is off. */
export function workingDayFrom(cal: BusinessCalendar, date: CalendarDate, day: Weekday): CalendarDate | null {
  const start = dayOfWeek(date, day);
  const rolled = rollForward(cal, start);
  return isoWeekOf(rolled) === isoWeekOf(start) ? rolled : null;
}

export function monthOf(date: CalendarDate): string {
  return date.slice(0, 7);
}

export function previousMonth(month: string): string {
  if (!MONTH.test(month)) throw new RangeError(`${JSON.stringify(month)} is not a month written YYYY-MM`);
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1
    ? `${String(y - 1).padStart(4, '0')}-12`
    : `${String(y).padStart(4, '0')}-${String(m - 1).padStart(2, '0')}`;
}

export function nextMonth(month: string): string {
  if (!MONTH.test(month)) throw new RangeError(`${JSON.stringify(month)} is not a month written YYYY-MM`);
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12
    ? `${String(y + 1).padStart(4, '0')}-01`
    : `${String(y).padStart(4, '0')}-${String(m + 1).padStart(2, '0')}`;
}

/** The first working day of a month on the calendar. */
export function firstWorkingDayOfMonth(cal: BusinessCalendar, month: string): CalendarDate {
  return rollForward(cal, `${month}-01`);
}

/** "March 2027" for 2027-03. */
export { monthName } from '../metrics-content';

export interface CadenceSettings {
  triageDay: Weekday;
  roundupDays: readonly Weekday[];
}

export interface DueRuns {
  today: CalendarDate;
  /** The ISO week whose triage runs today, or null. */
  triage: string | null;
  /** The month whose digest is written today (the month before), or null. */
  digest: string | null;
  /** Whether the needs-tagging roundup goes out today. */
  roundup: boolean;
}

/** What the scheduled runs should do on `today`, a date of the organisation's calendar. */
export function dueRuns(cal: BusinessCalendar, today: CalendarDate, settings: CadenceSettings): DueRuns {
  if (!isWorkingDay(cal, today)) return { today, triage: null, digest: null, roundup: false };
  const triage = workingDayFrom(cal, today, settings.triageDay) === today ? isoWeekOf(today) : null;
  const digest = firstWorkingDayOfMonth(cal, monthOf(today)) === today ? previousMonth(monthOf(today)) : null;
  const roundup = settings.roundupDays.some((day) => workingDayFrom(cal, today, day) === today);
  return { today, triage, digest, roundup };
}
