/**
 * When the rituals happen: ISO weeks, the day and times of the Weekly Product Update in the
 * rituals' calendar, moved to the previous working day when the configured day is not one.
 * Pure and deterministic, so that workflows, the launcher and the commands agree on every date.
 */
import {
  addCalendarDays,
  compareDates,
  datesInRange,
  isValidDate,
  isWorkingDay,
  rollBackward,
  weekdayOf,
  zonedDateTimeToInstant,
  type BusinessCalendar,
  type CalendarDate,
} from './business-calendar';
import type { Weekday } from './config';

/** An ISO 8601 week, written YYYY-Www (2026-W23): weeks start on Monday, week 1 holds the first Thursday. */
export type IsoWeek = string;

const WEEK_PATTERN = /^(\d{4})-W(\d{2})$/;
const ISO_DAY_INDEX: Record<Weekday, number> = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };

function isoWeekday(date: CalendarDate): number {
  return ISO_DAY_INDEX[weekdayOf(date)];
}

/** The Monday of week 1 of an ISO year: the week that holds 4 January. */
function firstMonday(year: number): CalendarDate {
  const fourth = `${String(year).padStart(4, '0')}-01-04`;
  return addCalendarDays(fourth, -isoWeekday(fourth));
}

export function isoWeekOf(date: CalendarDate): IsoWeek {
  const thursday = addCalendarDays(date, 3 - isoWeekday(date));
  const year = Number(thursday.slice(0, 4));
  // Days from the year's first Monday to this week's Thursday: at most 370.
  const days = datesInRange(firstMonday(year), thursday).length - 1;
  return `${String(year).padStart(4, '0')}-W${String(Math.floor(days / 7) + 1).padStart(2, '0')}`;
}

export function isIsoWeek(value: unknown): value is IsoWeek {
  if (typeof value !== 'string') return false;
  const match = WEEK_PATTERN.exec(value);
  if (!match) return false;
  const week = Number(match[2]);
  if (week < 1 || week > 53) return false;
  return isoWeekOf(mondayOf(value)) === value;
}

/** The Monday that starts an ISO week. */
export function mondayOf(week: IsoWeek): CalendarDate {
  const match = WEEK_PATTERN.exec(week);
  if (!match) throw new RangeError(`${JSON.stringify(week)} is not an ISO week written YYYY-Www`);
  return addCalendarDays(firstMonday(Number(match[1])), (Number(match[2]) - 1) * 7);
}

export function addWeeks(week: IsoWeek, n: number): IsoWeek {
  return isoWeekOf(addCalendarDays(mondayOf(week), n * 7));
}

/** The date of a weekday in an ISO week. */
export function dayInWeek(week: IsoWeek, day: Weekday): CalendarDate {
  return addCalendarDays(mondayOf(week), ISO_DAY_INDEX[day]);
}

export interface WeeklyUpdateTimes {
  day: Weekday;
  /** Local times HH:MM on the rituals' calendar. */
  opens: string;
  reminder: string;
  deadline: string;
  publish: string;
}

/** One week's Weekly Product Update: its day and its four moments, as UTC instants. */
export interface WeeklyUpdateDates {
  week: IsoWeek;
  /** The day it happens: the configured weekday, or the working day before it. */
  date: CalendarDate;
  /** The configured weekday of the week, even when it is not a working day. */
  scheduledDate: CalendarDate;
  timezone: string;
  opensAt: string;
  reminderAt: string;
  deadlineAt: string;
  publishAt: string;
}

/**
 * A week's update: on the configured weekday, or the last working day before it that comes
 * after the previous week's configured day (a Monday update moves back to the Friday before).
 * A week with no working day in that span (a shutdown) has no update: null.
 */
export function weeklyUpdateDates(
  week: IsoWeek,
  cal: BusinessCalendar,
  times: WeeklyUpdateTimes,
): WeeklyUpdateDates | null {
  const scheduledDate = dayInWeek(week, times.day);
  const date = isWorkingDay(cal, scheduledDate) ? scheduledDate : rollBackward(cal, scheduledDate);
  if (compareDates(date, addCalendarDays(scheduledDate, -7)) <= 0) return null;
  const at = (time: string) => zonedDateTimeToInstant(date, time, cal.timezone);
  return {
    week,
    date,
    scheduledDate,
    timezone: cal.timezone,
    opensAt: at(times.opens),
    reminderAt: at(times.reminder),
    deadlineAt: at(times.deadline),
    publishAt: at(times.publish),
  };
}

/** How far to look for the neighbouring week that has an update (shutdowns last a week or two). */
export const NEIGHBOUR_WEEKS = 8;

/** The nearest week before (`-1`) or after (`1`) that has an update, with its dates. */
export function neighbouringUpdate(
  week: IsoWeek,
  direction: 1 | -1,
  datesOf: (week: IsoWeek) => WeeklyUpdateDates | null,
): WeeklyUpdateDates | null {
  for (let i = 1; i <= NEIGHBOUR_WEEKS; i++) {
    const found = datesOf(addWeeks(week, i * direction));
    if (found) return found;
  }
  return null;
}

/**
 * The week whose update happens on `today`, if any. The week of `today` and the next one are
 * both candidates: a Monday update moved back for a holiday lands on the Friday before.
 */
export function weekDueOn(
  today: CalendarDate,
  cal: BusinessCalendar,
  times: WeeklyUpdateTimes,
): IsoWeek | null {
  if (!isValidDate(today)) throw new RangeError(`${JSON.stringify(today)} is not a date written YYYY-MM-DD`);
  const week = isoWeekOf(today);
  for (const candidate of [week, addWeeks(week, 1)])
    if (weeklyUpdateDates(candidate, cal, times)?.date === today) return candidate;
  return null;
}

/** A calendar month written YYYY-MM. */
export type CalendarMonth = string;

export function monthOf(date: CalendarDate): CalendarMonth {
  return date.slice(0, 7);
}

export function monthBounds(month: CalendarMonth): { first: CalendarDate; last: CalendarDate } {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
    throw new RangeError(`${JSON.stringify(month)} is not a month written YYYY-MM`);
  const first = `${month}-01`;
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next =
    m === 12
      ? `${String(y + 1).padStart(4, '0')}-01-01`
      : `${month.slice(0, 5)}${String(m + 1).padStart(2, '0')}-01`;
  return { first, last: addCalendarDays(next, -1) };
}

export function previousMonth(month: CalendarMonth): CalendarMonth {
  return monthOf(addCalendarDays(monthBounds(month).first, -1));
}

/** "Thu 4 Jun 2026": dates as people read them in pages and mails. */
export function longDate(date: CalendarDate): string {
  const names = {
    mon: 'Mon',
    tue: 'Tue',
    wed: 'Wed',
    thu: 'Thu',
    fri: 'Fri',
    sat: 'Sat',
    sun: 'Sun',
  } as const;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return `${names[weekdayOf(date)]} ${d} ${months[m - 1]} ${y}`;
}
