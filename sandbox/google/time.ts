/**
 * Time as Calendar handles it: RFC 3339 instants, wall-clock times in a calendar's zone, and
 * rendering an instant in a zone (`2026-03-02T10:00:00+02:00`).
 */
import { fail } from './errors';

export const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/i;

const formats = new Map<string, Intl.DateTimeFormat>();

function wallClock(
  instant: number,
  timeZone: string,
): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(new Date(instant)).map((x) => [x.type, Number(x.value)]));
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

function offsetMs(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(instant / 1000) * 1000;
}

/** The instant a wall-clock time in a zone names. */
export function zonedInstant(
  y: number,
  m: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  timeZone: string,
): number {
  const wall = Date.UTC(y, m - 1, d, h, mi, s);
  return wall - offsetMs(wall - offsetMs(wall, timeZone), timeZone);
}

/** RFC 3339 in a zone, as Calendar renders date-times: `2026-03-02T10:00:00+02:00` or `…Z`. */
export function formatInZone(instant: number, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  const pad = (n: number, l = 2) => String(n).padStart(l, '0');
  const offset = Math.round(offsetMs(instant, timeZone) / 60000);
  const zone =
    offset === 0
      ? 'Z'
      : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${pad(w.y, 4)}-${pad(w.m)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}${zone}`;
}

export function utcSeconds(instant: number): string {
  return new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An RFC 3339 timestamp with a mandatory offset, as list and free/busy parameters require. */
export function parseInstant(value: string, name: string): number {
  const m = DATE_TIME.exec(value);
  const at = Date.parse(value);
  if (!m || !m[8] || Number.isNaN(at))
    fail(400, `Bad Request: ${name} must be an RFC3339 timestamp with a time zone offset`, 'badRequest');
  return at;
}
