/**
 * Dates as Notion takes them: ISO 8601 dates and date-times, date values with an end and a time
 * zone, relative dates (`today`, `one_week_ago` …) and the calendar windows of date filters.
 */
import { isRealDate, isRealTimeZone } from '../../domain/config';
import { bodyInvalid, shown, wrongType } from './errors';

export function isIsoDate(value: string): boolean {
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  if (!match || !isRealDate(match[1]!)) return false;
  return (
    match[2] === undefined ||
    (Number(match[2]) <= 23 && Number(match[3]) <= 59 && Number(match[4] ?? 0) <= 59)
  );
}

function validateDateString(value: unknown, path: string): string {
  if (typeof value !== 'string' || !isIsoDate(value))
    throw wrongType(path, 'a valid ISO 8601 date string', value);
  return value;
}

/** A date value (`{ start, end?, time_zone? }`) from a request, as Notion stores it. */
export function validateDateValue(
  value: Record<string, unknown>,
  path: string,
): { start: string; end: string | null; time_zone: string | null } {
  const start = validateDateString(value.start, `${path}.start`);
  const end =
    value.end === undefined || value.end === null ? null : validateDateString(value.end, `${path}.end`);
  let timeZone: string | null = null;
  if (value.time_zone !== undefined && value.time_zone !== null) {
    if (typeof value.time_zone !== 'string' || !isRealTimeZone(value.time_zone)) {
      throw bodyInvalid(
        `${path}.time_zone`,
        `should be a valid IANA time zone, instead was \`${shown(value.time_zone)}\``,
      );
    }
    timeZone = value.time_zone;
  }
  return { start, end, time_zone: timeZone };
}

/** Compares a stored date with a filter date; a date without a time compares by calendar day. */
export function compareDate(value: string, target: string): number {
  if (value.length === 10 || target.length === 10)
    return value.slice(0, 10).localeCompare(target.slice(0, 10));
  return Math.sign(Date.parse(value) - Date.parse(target));
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function addMonths(date: string, months: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

/** Sunday to Saturday around a date, as Notion's `this_week` does. */
export function weekOf(date: string): [string, string] {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return [addDays(date, -day), addDays(date, 6 - day)];
}

/** A filter's date operand: an ISO date or a relative date resolved against `today`. */
export function resolveRelativeDate(operand: unknown, today: string): string | undefined {
  if (typeof operand !== 'string') return undefined;
  const relative: Record<string, string> = {
    today,
    tomorrow: addDays(today, 1),
    yesterday: addDays(today, -1),
    one_week_ago: addDays(today, -7),
    one_week_from_now: addDays(today, 7),
    one_month_ago: addMonths(today, -1),
    one_month_from_now: addMonths(today, 1),
  };
  if (operand in relative) return relative[operand];
  return isIsoDate(operand) ? operand : undefined;
}
