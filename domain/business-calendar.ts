/**
 * Working-day arithmetic over a resolved business calendar.
 *
 * Workflow code calls this on every replay, so it must give the same answer on any machine at
 * any time: calendar dates are `YYYY-MM-DD` strings turned into day numbers with integer
 * arithmetic (no clock, no host time zone, no `Date` parsing), and the only time-zone look-ups go
 * through `Intl.DateTimeFormat`, which the workflow sandbox provides. Public holidays are expanded
 * outside workflows (domain/holidays.ts) and handed in as plain dates.
 *
 * Conventions, shared by every function here:
 * - The date you count from is never counted: `addWorkingDays(cal, d, 5)` is the fifth working
 *   day after `d`, whether `d` itself is a working day or not.
 * - `workingDaysBetween(cal, from, to)` counts the working days you land on when stepping from
 *   `from` to `to`: the origin never counts, the destination counts if it is a working day. So
 *   it counts (from, to] going forward and, negated, [to, from) going back, and
 *   `workingDaysBetween(cal, d, addWorkingDays(cal, d, n)) === n` for every n ≠ 0.
 */
import type { Weekday } from './config';

/** A calendar date written YYYY-MM-DD: a day, not an instant, so it has no time and no zone. */
export type CalendarDate = string;

export interface BusinessCalendar {
  /** The calendar's name in the org config, for messages. */
  readonly name: string;
  /** IANA zone where this calendar's days begin and end. */
  readonly timezone: string;
  /** Days of the week nobody works; at least one day of the week must stay a working day. */
  readonly weekend: readonly Weekday[];
  /** Days off besides the weekend, YYYY-MM-DD, sorted and unique. */
  readonly holidays: readonly CalendarDate[];
}

/** About fourteen years of working days: far beyond any lead time, small enough to fail fast. */
export const MAX_WORKING_DAY_OFFSET = 3660;
/** About ten years of calendar days, so a swapped year cannot allocate millions of dates. */
export const MAX_RANGE_DAYS = 3660;

// Kept here rather than imported from config.ts: that module pulls zod and yaml, which have no
// place in the workflow bundle.
const WEEK = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const satisfies readonly Weekday[];

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
// RFC 3339 with a mandatory offset (an instant without one would be read in the host's zone),
// also accepting the colon-less offset Jira writes (2026-03-05T19:30:00.000+0000).
const INSTANT_PATTERN =
  /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})$/;

// ---------------------------------------------------------------------------------------------
// Calendar dates as day numbers (days since 1970-01-01, proleptic Gregorian).

function daysFromCivil(year: number, month: number, day: number): number {
  // Howard Hinnant's days_from_civil: exact for every year, unlike Date.UTC, which maps 0–99 to 1900s.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(dayNumber: number): { year: number; month: number; day: number } {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

const FIRST_DAY = daysFromCivil(0, 1, 1);
const LAST_DAY = daysFromCivil(9999, 12, 31);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function parseDayNumber(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DATE_PATTERN.exec(value);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day);
}

function toDayNumber(date: CalendarDate, what = 'date'): number {
  const dayNumber = parseDayNumber(date);
  if (dayNumber === undefined) {
    throw new RangeError(`${what} ${JSON.stringify(date)} is not a calendar date written YYYY-MM-DD`);
  }
  return dayNumber;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function fromDayNumber(dayNumber: number): CalendarDate {
  if (dayNumber < FIRST_DAY || dayNumber > LAST_DAY) {
    throw new RangeError(`day ${dayNumber} after 1970-01-01 falls outside the years 0000–9999`);
  }
  const { year, month, day } = civilFromDays(dayNumber);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

function weekdayIndex(dayNumber: number): number {
  // 1970-01-01 was a Thursday.
  return (((dayNumber + 4) % 7) + 7) % 7;
}

function requireWholeNumber(n: number, what: string, bound: number): void {
  if (!Number.isInteger(n)) throw new RangeError(`${what} must be a whole number, not ${n}`);
  if (Math.abs(n) > bound) throw new RangeError(`${what} ${n} is beyond ±${bound}`);
}

// ---------------------------------------------------------------------------------------------
// Plain calendar dates.

export function isValidDate(value: unknown): value is CalendarDate {
  return parseDayNumber(value) !== undefined;
}

/** Negative when a is before b, positive when after, 0 on the same day. */
export function compareDates(a: CalendarDate, b: CalendarDate): number {
  return Math.sign(toDayNumber(a) - toDayNumber(b));
}

export function addCalendarDays(date: CalendarDate, n: number): CalendarDate {
  if (!Number.isInteger(n)) throw new RangeError(`a number of days must be a whole number, not ${n}`);
  return fromDayNumber(toDayNumber(date) + n);
}

/** A weekday's full English name: "a Saturday", "(Monday)". */
export const WEEKDAY_NAMES: Readonly<Record<Weekday, string>> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

export function weekdayOf(date: CalendarDate): Weekday {
  return WEEK[weekdayIndex(toDayNumber(date))]!;
}

/** Every date from `from` to `to`, both included; empty when `to` is before `from`. */
export function datesInRange(from: CalendarDate, to: CalendarDate): CalendarDate[] {
  const first = toDayNumber(from, 'from');
  const last = toDayNumber(to, 'to');
  if (last - first + 1 > MAX_RANGE_DAYS) {
    throw new RangeError(`${from} to ${to} spans ${last - first + 1} days, more than ${MAX_RANGE_DAYS}`);
  }
  const dates: CalendarDate[] = [];
  for (let day = first; day <= last; day++) dates.push(fromDayNumber(day));
  return dates;
}

// ---------------------------------------------------------------------------------------------
// Working days.

interface PreparedCalendar {
  readonly offWeekday: readonly boolean[];
  readonly workingWeekdaysPerWeek: number;
  readonly holidays: ReadonlySet<number>;
  /** Holidays that fall on working weekdays, sorted: the ones that change a count. */
  readonly holidaysOnWorkingWeekdays: readonly number[];
}

// Calendars are read-only values; preparing one once per object keeps look-ups O(1) without
// asking callers to hold a second representation.
const preparedCalendars = new WeakMap<BusinessCalendar, PreparedCalendar>();

function prepare(cal: BusinessCalendar): PreparedCalendar {
  const cached = preparedCalendars.get(cal);
  if (cached) return cached;

  const offWeekday = WEEK.map(() => false);
  for (const day of cal.weekend) {
    const index = (WEEK as readonly string[]).indexOf(day);
    if (index < 0) {
      throw new RangeError(
        `calendar "${cal.name}": weekend day ${JSON.stringify(day)} is not one of ${WEEK.join(', ')}`,
      );
    }
    offWeekday[index] = true;
  }
  const workingWeekdaysPerWeek = offWeekday.filter((off) => !off).length;
  if (workingWeekdaysPerWeek === 0) {
    throw new RangeError(
      `calendar "${cal.name}" has no working days: its weekend covers all seven days of the week`,
    );
  }

  const holidays = new Set<number>();
  for (const date of cal.holidays) holidays.add(toDayNumber(date, `calendar "${cal.name}" holiday`));
  const holidaysOnWorkingWeekdays = [...holidays]
    .filter((day) => !offWeekday[weekdayIndex(day)])
    .sort((a, b) => a - b);

  const result: PreparedCalendar = {
    offWeekday,
    workingWeekdaysPerWeek,
    holidays,
    holidaysOnWorkingWeekdays,
  };
  preparedCalendars.set(cal, result);
  return result;
}

function isWorkingDayNumber(cal: PreparedCalendar, dayNumber: number): boolean {
  return !cal.offWeekday[weekdayIndex(dayNumber)] && !cal.holidays.has(dayNumber);
}

/** The index of the first element of `sorted` that is >= value. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Working days in [first, last], both included, without walking the range day by day. */
function countWorkingDays(cal: PreparedCalendar, first: number, last: number): number {
  if (last < first) return 0;
  const weeks = Math.floor((last - first + 1) / 7);
  let count = weeks * cal.workingWeekdaysPerWeek;
  for (let day = first + weeks * 7; day <= last; day++) {
    if (!cal.offWeekday[weekdayIndex(day)]) count++;
  }
  const sorted = cal.holidaysOnWorkingWeekdays;
  return count - (lowerBound(sorted, last + 1) - lowerBound(sorted, first));
}

export function isWorkingDay(cal: BusinessCalendar, date: CalendarDate): boolean {
  return isWorkingDayNumber(prepare(cal), toDayNumber(date));
}

function rollDayNumber(cal: PreparedCalendar, dayNumber: number, step: 1 | -1): number {
  // Ends because at least one weekday is a working day and the holidays are finite.
  let day = dayNumber;
  while (!isWorkingDayNumber(cal, day)) day += step;
  return day;
}

/** The date itself if it is a working day, otherwise the next working day after it. */
export function rollForward(cal: BusinessCalendar, date: CalendarDate): CalendarDate {
  return fromDayNumber(rollDayNumber(prepare(cal), toDayNumber(date), 1));
}

/** The date itself if it is a working day, otherwise the last working day before it. */
export function rollBackward(cal: BusinessCalendar, date: CalendarDate): CalendarDate {
  return fromDayNumber(rollDayNumber(prepare(cal), toDayNumber(date), -1));
}

/**
 * The nth working day after `date` (n > 0) or before it (n < 0); `date` itself never counts,
 * so the 5th working day before a Saturday launch is the Monday of that week. n = 0 gives
 * `rollForward(cal, date)`.
 *
 * Going n forward then n back lands on `rollBackward(cal, date)`; going n back then n forward
 * lands on `rollForward(cal, date)`. Both are `date` itself when it is a working day.
 */
export function addWorkingDays(cal: BusinessCalendar, date: CalendarDate, n: number): CalendarDate {
  requireWholeNumber(n, 'a number of working days', MAX_WORKING_DAY_OFFSET);
  const prepared = prepare(cal);
  let day = toDayNumber(date);
  if (n === 0) return fromDayNumber(rollDayNumber(prepared, day, 1));
  const step = n > 0 ? 1 : -1;
  for (let remaining = Math.abs(n); remaining > 0;) {
    day += step;
    if (isWorkingDayNumber(prepared, day)) remaining--;
  }
  return fromDayNumber(day);
}

/**
 * The number of working-day steps from `from` to `to`: the working days in (from, to] when `to`
 * is on or after `from`, and minus the working days in [to, from) when it is before. The origin
 * never counts and the destination counts when it is a working day, which is exactly what
 * `addWorkingDays` steps over: `workingDaysBetween(cal, d, addWorkingDays(cal, d, n)) === n`
 * for every n ≠ 0 and any d (and for n = 0 when d is a working day).
 */
export function workingDaysBetween(cal: BusinessCalendar, from: CalendarDate, to: CalendarDate): number {
  const prepared = prepare(cal);
  const first = toDayNumber(from, 'from');
  const last = toDayNumber(to, 'to');
  if (last >= first) return countWorkingDays(prepared, first + 1, last);
  // 0 - x rather than -x: a count of zero stays 0, not -0.
  return 0 - countWorkingDays(prepared, last, first - 1);
}

/** The working days from `from` to `to`, both included; empty when `to` is before `from`. */
export function workingDatesInRange(
  cal: BusinessCalendar,
  from: CalendarDate,
  to: CalendarDate,
): CalendarDate[] {
  const prepared = prepare(cal);
  return datesInRange(from, to).filter((date) => isWorkingDayNumber(prepared, toDayNumber(date)));
}

// ---------------------------------------------------------------------------------------------
// Instants and wall-clock times in a time zone.

// One formatter per zone: building them is the expensive part of Intl, and they are stateless.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        calendar: 'gregory',
        numberingSystem: 'latn',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        hourCycle: 'h23',
      });
    } catch {
      throw new RangeError(
        `${JSON.stringify(timezone)} is not an IANA time zone (for example Europe/London)`,
      );
    }
    formatters.set(timezone, formatter);
  }
  return formatter;
}

interface WallClock {
  dayNumber: number;
  secondOfDay: number;
}

function wallClockAt(epochMs: number, timezone: string): WallClock {
  const fields: Record<string, string> = {};
  for (const part of formatterFor(timezone).formatToParts(epochMs)) fields[part.type] = part.value;
  const yearOfEra = Number(fields.year);
  const year = fields.era === 'BC' || fields.era === 'B' ? 1 - yearOfEra : yearOfEra;
  return {
    dayNumber: daysFromCivil(year, Number(fields.month), Number(fields.day)),
    secondOfDay: Number(fields.hour) * 3600 + Number(fields.minute) * 60 + Number(fields.second),
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (positive east of Greenwich). */
function offsetAt(epochMs: number, timezone: string): number {
  const wall = wallClockAt(epochMs, timezone);
  const wholeSecond = epochMs - (((epochMs % 1000) + 1000) % 1000);
  return wall.dayNumber * DAY_MS + wall.secondOfDay * 1000 - wholeSecond;
}

const MIN_INSTANT_MS = (FIRST_DAY + 1) * DAY_MS;
const MAX_INSTANT_MS = LAST_DAY * DAY_MS;

function instantToEpochMs(instant: string | number): number {
  let epochMs: number;
  if (typeof instant === 'number') {
    if (!Number.isFinite(instant))
      throw new RangeError(`instant ${instant} is not a finite number of milliseconds`);
    epochMs = Math.floor(instant);
  } else {
    const match = typeof instant === 'string' ? INSTANT_PATTERN.exec(instant) : null;
    const dayNumber = match ? parseDayNumber(match[1]) : undefined;
    const [hour, minute, second] = match
      ? [Number(match[2]), Number(match[3]), Number(match[4] ?? '0')]
      : [0, 0, 0];
    if (!match || dayNumber === undefined || hour > 23 || minute > 59 || second > 59) {
      throw new RangeError(
        `instant ${JSON.stringify(instant)} is not an ISO 8601 date-time with an offset (for example 2026-03-05T19:30:00Z)`,
      );
    }
    const millisecond = Number((match[5] ?? '').padEnd(3, '0').slice(0, 3));
    const zone = match[6]!;
    let offsetMs = 0;
    if (zone !== 'Z' && zone !== 'z') {
      const digits = zone.replace(':', '');
      const offsetHours = Number(digits.slice(1, 3));
      const offsetMinutes = Number(digits.slice(3, 5));
      if (offsetHours > 23 || offsetMinutes > 59) {
        throw new RangeError(`instant ${JSON.stringify(instant)} has an impossible UTC offset ${zone}`);
      }
      offsetMs = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
    }
    epochMs = dayNumber * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + millisecond - offsetMs;
  }
  if (epochMs < MIN_INSTANT_MS || epochMs > MAX_INSTANT_MS) {
    throw new RangeError(`instant ${JSON.stringify(instant)} falls outside the years 0000–9999`);
  }
  return epochMs;
}

/**
 * The calendar date an instant falls on in a time zone: 2026-03-05T19:30:00Z is 23:30 on
 * 2026-03-05 in Asia/Dubai, and 2026-03-05T20:30:00Z is already 2026-03-06 there. Takes epoch
 * milliseconds or an ISO 8601 string with an explicit offset.
 */
export function localDateOf(instant: string | number, timezone: string): CalendarDate {
  return fromDayNumber(wallClockAt(instantToEpochMs(instant), timezone).dayNumber);
}

/**
 * The wall time (HH:MM, 24-hour) an instant shows in a time zone: 2026-03-05T19:30:00Z is 23:30
 * in Asia/Dubai. Takes what `localDateOf` takes.
 */
export function localTimeOf(instant: string | number, timezone: string): string {
  const second = wallClockAt(instantToEpochMs(instant), timezone).secondOfDay;
  const two = (n: number) => String(Math.floor(n)).padStart(2, '0');
  return `${two(second / 3600)}:${two((second % 3600) / 60)}`;
}

/**
 * The UTC instant (ISO 8601, `...Z`) at which the clocks in `timezone` show `time` (HH:MM) on
 * `date`. Where daylight saving makes that wall time ambiguous it resolves the way RFC 5545 and
 * JavaScript Temporal's default ("compatible") do, so a recurring 01:30 meeting stays sensible:
 * - in a gap (clocks jump forward over it) the time moves forward by the length of the gap:
 *   01:30 on 2027-03-28 in Europe/London does not exist and becomes 02:30 BST (01:30Z);
 * - in an overlap (clocks fall back and show it twice) the earlier of the two is taken:
 *   01:30 on 2026-10-25 in Europe/London is 01:30 BST (00:30Z), not 01:30 GMT.
 */
export function zonedDateTimeToInstant(date: CalendarDate, time: string, timezone: string): string {
  const dayNumber = toDayNumber(date);
  const match = TIME_PATTERN.exec(time);
  if (!match)
    throw new RangeError(`time ${JSON.stringify(time)} is not a time of day written HH:MM (00:00–23:59)`);
  const wallMs = dayNumber * DAY_MS + (Number(match[1]) * 60 + Number(match[2])) * 60_000;
  if (wallMs - DAY_MS < MIN_INSTANT_MS || wallMs + DAY_MS > MAX_INSTANT_MS) {
    throw new RangeError(`${date} is too close to the edge of the years 0000–9999 to place in a time zone`);
  }

  // Offsets a day either side bracket any transition that could affect this wall time; each
  // candidate offset is kept only if the zone really uses it at the instant it implies.
  const offsetBefore = offsetAt(wallMs - DAY_MS, timezone);
  const candidates = new Set([offsetBefore, offsetAt(wallMs, timezone), offsetAt(wallMs + DAY_MS, timezone)]);
  const matching = [...candidates]
    .map((offset) => wallMs - offset)
    .filter((utc) => offsetAt(utc, timezone) === wallMs - utc);
  const utc = matching.length > 0 ? Math.min(...matching) : wallMs - offsetBefore;
  return new Date(utc).toISOString();
}
