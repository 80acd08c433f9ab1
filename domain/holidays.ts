/**
 * Turns a calendar of the org config into the plain `BusinessCalendar` that workflows take:
 * public holidays of its country (and region) from the maintained date-holidays data, plus the
 * company days off listed in the config. Runs in clients and activities only: the holiday data
 * is far too heavy for the workflow bundle, and the result is a small JSON value that a
 * workflow receives as input, so a replay never depends on the library version installed.
 */
import Holidays, { type HolidaysTypes } from 'date-holidays';
import { addCalendarDays, type BusinessCalendar, type CalendarDate } from './business-calendar';
import { WEEKDAYS, type CalendarConfig, type OrgConfig } from './config';

/** Calendar years, both included. */
export interface YearRange {
  from: number;
  to: number;
}

/** A calendar that cannot be resolved; `calendar` names it as the config does. */
export class CalendarResolutionError extends Error {
  constructor(
    readonly calendar: string,
    message: string,
  ) {
    super(`calendar "${calendar}": ${message}`);
    this.name = 'CalendarResolutionError';
  }
}

/** Enough for any planning horizon; more is almost certainly a typo in a year. */
export const MAX_RESOLVED_YEARS = 50;

// date-holidays writes dates as local wall times: "2026-12-25 00:00:00", "2026-03-08 12:00:00"
// for an afternoon off, and "2026-04-02 00:00:00 -0600" for Hebrew and Hijri holidays, which
// begin at sunset the evening before the day they are named for.
const HOLIDAY_DATE = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})(?: [+-]\d{4})?$/;
// Start and end are instants, so a holiday spanning a clock change lasts an hour more or less.
const CLOCK_CHANGE_TOLERANCE_HOURS = 1.5;

/**
 * The calendar `calendarName` of the config, with every public holiday and configured day off
 * from 1 January of `years.from` to 31 December of `years.to`. Pick years that cover every date
 * the workflow will count across (counting back from an early-January launch needs the year before): dates
 * outside the range are treated as having no holidays.
 *
 * Only holidays date-holidays types `public` make days off; `bank`, `optional`, `school` and
 * `observance` ones do not (in the data, UK bank holidays are typed `public`, while the US
 * "day after Thanksgiving" and Christmas Eve are not, so a company that closes then lists them
 * under `holidays`). Substitute days, such as Boxing Day on a Saturday observed on the Monday,
 * are public holidays of their own and are included; the weekend day itself stays listed too.
 * A holiday makes a day off only where it covers the whole day: a multi-day one (Eid al-Fitr
 * for three days) gives every day, an afternoon-only one (Christmas Eve from 13:00 in Iceland)
 * leaves the day a working day, and one that begins at sunset counts from the day it is named for.
 */
export function resolveBusinessCalendar(
  config: OrgConfig,
  calendarName: string,
  years: YearRange,
): BusinessCalendar {
  requireYearRange(years);
  const calendar = Object.hasOwn(config.calendars, calendarName) ? config.calendars[calendarName] : undefined;
  if (!calendar) {
    const known = Object.keys(config.calendars).join(', ');
    throw new CalendarResolutionError(
      calendarName,
      `is not a calendar in the configuration (it has ${known})`,
    );
  }

  const first = `${pad(years.from, 4)}-01-01`;
  const last = `${pad(years.to, 4)}-12-31`;
  const inRange = (date: CalendarDate) => date >= first && date <= last;

  const daysOff = new Set<CalendarDate>(calendar.holidays.filter(inRange));
  for (const date of publicHolidayDates(calendarName, calendar, years)) {
    if (inRange(date)) daysOff.add(date);
  }

  return {
    name: calendarName,
    timezone: calendar.timezone,
    weekend: WEEKDAYS.filter((day) => calendar.weekend.includes(day)),
    holidays: [...daysOff].sort(),
  };
}

/** Every calendar of the config, resolved for the same years, by name. */
export function resolveAllCalendars(config: OrgConfig, years: YearRange): Record<string, BusinessCalendar> {
  return Object.fromEntries(
    Object.keys(config.calendars).map((name) => [name, resolveBusinessCalendar(config, name, years)]),
  );
}

function requireYearRange(years: YearRange): void {
  const { from, to } = years;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to > 9998) {
    throw new RangeError(`years must be whole numbers from 1 to 9998, not ${from} to ${to}`);
  }
  if (to < from) throw new RangeError(`years end (${to}) before they start (${from})`);
  if (to - from + 1 > MAX_RESOLVED_YEARS) {
    throw new RangeError(
      `${from} to ${to} is ${to - from + 1} years; resolve at most ${MAX_RESOLVED_YEARS} at a time`,
    );
  }
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function publicHolidayDates(
  calendarName: string,
  calendar: CalendarConfig,
  years: YearRange,
): CalendarDate[] {
  if (calendar.country === undefined) {
    if (calendar.region !== undefined) {
      throw new CalendarResolutionError(calendarName, `names region "${calendar.region}" but no country`);
    }
    return [];
  }
  const place = `${calendar.country}/${calendar.region ?? ''}`;
  let holidays: Holidays | undefined;
  const dates: CalendarDate[] = [];
  // Each year lists the holidays that start in it, and some run into the next (Incwala in
  // Eswatini lasts six days from 28 December), so the year before is read too; the caller
  // drops what falls outside the range.
  for (let year = years.from - 1; year <= years.to; year++) {
    const key = `${place}/${year}`;
    let ofYear = daysOffByPlaceAndYear.get(key);
    if (!ofYear) {
      holidays ??= holidaysFor(calendarName, calendar.country, calendar.region);
      ofYear = holidays
        .getHolidays(year)
        .filter((holiday) => holiday.type === 'public')
        .flatMap(wholeDaysOff);
      remember(key, ofYear);
    }
    dates.push(...ofYear);
  }
  return dates;
}

/**
 * The public days off of a country (and region) in a year, as read from date-holidays, kept per
 * process: the data never changes while it runs, and working them out again is by far the
 * largest cost of loading a release's context (every new release loads one).
 */
const daysOffByPlaceAndYear = new Map<string, readonly CalendarDate[]>();
/** Some 40 years for each of 50 places; the oldest entry makes room beyond that. */
const MAX_REMEMBERED_YEARS = 2_000;

function remember(key: string, dates: readonly CalendarDate[]): void {
  if (daysOffByPlaceAndYear.size >= MAX_REMEMBERED_YEARS) {
    const oldest = daysOffByPlaceAndYear.keys().next().value;
    if (oldest !== undefined) daysOffByPlaceAndYear.delete(oldest);
  }
  daysOffByPlaceAndYear.set(key, Object.freeze(dates));
}

function holidaysFor(calendarName: string, country: string, region: string | undefined): Holidays {
  const library = new Holidays();
  if (!Object.hasOwn(library.getCountries('en'), country)) {
    throw new CalendarResolutionError(
      calendarName,
      `date-holidays has no public holidays for country "${country}"`,
    );
  }
  if (region === undefined) return new Holidays(country);

  const states = library.getStates(country, 'en') ?? {};
  const state = Object.keys(states).find((code) => code.toUpperCase() === region.toUpperCase());
  if (state === undefined) {
    const supported = Object.keys(states);
    throw new CalendarResolutionError(
      calendarName,
      supported.length > 0
        ? `date-holidays has no region "${region}" in ${country} (it knows ${supported.join(', ')})`
        : `date-holidays has no regions for ${country}: remove region "${region}"`,
    );
  }
  return new Holidays(country, state);
}

/**
 * The days a holiday of date-holidays takes off completely, read from its local `date` and its
 * length. A holiday that starts after midnight leaves the start of its first day as working time.
 */
export function wholeDaysOff(
  holiday: Pick<HolidaysTypes.Holiday, 'name' | 'date' | 'start' | 'end'>,
): CalendarDate[] {
  const match = HOLIDAY_DATE.exec(holiday.date);
  if (!match) throw new Error(`date-holidays gave "${holiday.name}" an unreadable date "${holiday.date}"`);
  const date = match[1]!;
  const startHour = Number(match[2]) + Number(match[3]) / 60 + Number(match[4]) / 3600;
  const durationHours = (holiday.end.getTime() - holiday.start.getTime()) / 3_600_000;
  const firstWholeDay = startHour > 0 ? 1 : 0;
  const hoursOnFirstPartialDay = startHour > 0 ? 24 - startHour : 0;
  const wholeDays = Math.floor((durationHours - hoursOnFirstPartialDay + CLOCK_CHANGE_TOLERANCE_HOURS) / 24);
  return Array.from({ length: Math.max(0, wholeDays) }, (_, i) => addCalendarDays(date, firstWholeDay + i));
}
