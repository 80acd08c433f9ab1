/**
 * Recurring events: the `RRULE` subset a person sets in the Calendar app (daily or weekly, an
 * interval, weekdays, a count or an end), expanded into instances as Calendar does. An instance's
 * id is the master's id and its original start (`<id>_20270305T090000Z`, `<id>_20270305` for
 * all-day events); a changed or cancelled instance is an exception stored under that id, with
 * `recurringEventId` and `originalStartTime`. Rules without an end are expanded up to two years
 * after the sandbox's clock (Google stops somewhere too, and does not say where).
 */
import { invalid } from './errors';
import type { EventTimeValue, SandboxEvent } from './model';
import { formatInZone, zonedInstant } from './time';

export const OPEN_ENDED_HORIZON_MS = 2 * 366 * 86_400_000;
const MAX_INSTANCES = 1_000;
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

export interface RecurrenceRule {
  freq: 'DAILY' | 'WEEKLY';
  interval: number;
  count?: number;
  /** Epoch ms, inclusive. */
  until?: number;
  /** Weekdays for a weekly rule, 0 = Monday. */
  byDay?: number[];
}

/** Reads `recurrence` lines as Calendar accepts them; anything outside the subset is refused by name. */
export function parseRecurrence(lines: unknown): RecurrenceRule {
  if (!Array.isArray(lines) || lines.length === 0 || lines.some((l) => typeof l !== 'string'))
    invalid('Invalid value for recurrence: expected a list of RRULE lines.');
  const rules = (lines as string[]).filter((l) => /^RRULE:/i.test(l));
  const other = (lines as string[]).find((l) => !/^RRULE:/i.test(l));
  if (other !== undefined)
    invalid(`The prodops Google sandbox supports RRULE lines only in recurrence, not "${other}".`);
  if (rules.length !== 1) invalid('Invalid recurrence rule: exactly one RRULE is expected.');
  const parts = new Map<string, string>();
  for (const part of rules[0]!.slice(6).split(';')) {
    const [name, value] = part.split('=');
    if (!name || value === undefined) invalid(`Invalid recurrence rule: ${rules[0]}`);
    parts.set(name.toUpperCase(), value.toUpperCase());
  }
  const freq = parts.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY')
    invalid(`The prodops Google sandbox supports FREQ=DAILY and FREQ=WEEKLY, not ${freq ?? 'none'}.`);
  const rule: RecurrenceRule = { freq, interval: 1 };
  for (const [name, value] of parts) {
    if (name === 'FREQ') continue;
    if (name === 'INTERVAL' || name === 'COUNT') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) invalid(`Invalid recurrence rule: ${name}=${value}`);
      if (name === 'INTERVAL') rule.interval = n;
      else rule.count = n;
    } else if (name === 'UNTIL') {
      const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?$/.exec(value);
      if (!m) invalid(`Invalid recurrence rule: UNTIL=${value}`);
      rule.until = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 23), +(m[5] ?? 59), +(m[6] ?? 59));
    } else if (name === 'BYDAY' && freq === 'WEEKLY') {
      const days = value.split(',').map((d) => WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]));
      if (days.some((d) => d < 0)) invalid(`Invalid recurrence rule: BYDAY=${value}`);
      rule.byDay = [...new Set(days)].sort();
    } else if (name !== 'WKST') {
      invalid(`The prodops Google sandbox does not support ${name} in a recurrence rule.`);
    }
  }
  if (rule.count !== undefined && rule.until !== undefined)
    invalid('Invalid recurrence rule: COUNT and UNTIL cannot both be set.');
  return rule;
}

export interface Occurrence {
  /** The instance id: the master's id and the original start. */
  id: string;
  originalStart: EventTimeValue;
  start: EventTimeValue;
  end: EventTimeValue;
  startMs: number;
  endMs: number;
}

const pad = (n: number, l = 2) => String(n).padStart(l, '0');

/** `<id>_20270305T090000Z` for a timed instance (its original start in UTC), `<id>_20270305` for an all-day one. */
export function instanceId(masterId: string, startMs: number, allDay: boolean, date?: string): string {
  if (allDay) return `${masterId}_${date!.replace(/-/g, '')}`;
  const d = new Date(startMs);
  return `${masterId}_${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}

/** The master id an instance id names, or undefined for an id that is not an instance's. */
export function masterIdOf(id: string): string | undefined {
  const m = /^([a-v0-9]{5,1024})_\d{8}(?:T\d{6}Z)?$/.exec(id);
  return m?.[1];
}

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function dayStart(date: string, zone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return zonedInstant(y, m, d, 0, 0, 0, zone);
}

/** Monday-based weekday of a calendar date. */
function weekdayOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

/** The local date and time of the master's start in its zone. */
function wallStart(master: SandboxEvent, zone: string): { date: string; time: [number, number, number] } {
  if (master.allDay) return { date: master.start.date!, time: [0, 0, 0] };
  const local = formatInZone(master.startMs, zone);
  return {
    date: local.slice(0, 10),
    time: [Number(local.slice(11, 13)), Number(local.slice(14, 16)), Number(local.slice(17, 19))],
  };
}

/**
 * Every occurrence of a recurring master that starts before `until` (epoch ms), in order, with
 * wall-clock times kept in the event's zone across daylight-saving changes.
 */
export function occurrences(master: SandboxEvent, zone: string, until: number): Occurrence[] {
  const rule = master.recurrence!;
  const eventZone = master.start.timeZone ?? zone;
  const duration = master.endMs - master.startMs;
  const spanDays = master.allDay ? daysBetween(master.start.date!, master.end.date!) : 0;
  const first = wallStart(master, eventZone);
  const out: Occurrence[] = [];
  const days = rule.freq === 'WEEKLY' ? (rule.byDay ?? [weekdayOf(first.date)]) : [0];
  const stop = Math.min(until, rule.until ?? Number.POSITIVE_INFINITY);
  for (let period = 0; out.length < (rule.count ?? MAX_INSTANCES) && out.length < MAX_INSTANCES; period++) {
    const base =
      rule.freq === 'DAILY'
        ? addDays(first.date, period * rule.interval)
        : addDays(first.date, period * 7 * rule.interval - weekdayOf(first.date));
    let past = false;
    for (const day of days) {
      const date = rule.freq === 'DAILY' ? base : addDays(base, day);
      if (date < first.date) continue;
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      const startMs = master.allDay ? dayStart(date, zone) : zonedInstant(y, m, d, ...first.time, eventZone);
      if (startMs > stop) {
        past = true;
        break;
      }
      const endDate = addDays(date, spanDays);
      const endMs = master.allDay ? dayStart(endDate, zone) : startMs + duration;
      const time = (ms: number, dateValue: string): EventTimeValue =>
        master.allDay
          ? { date: dateValue }
          : {
              dateTime: formatInZone(ms, eventZone),
              ...(master.start.timeZone ? { timeZone: master.start.timeZone } : {}),
            };
      out.push({
        id: instanceId(master.id, startMs, master.allDay, date),
        originalStart: time(startMs, date),
        start: time(startMs, date),
        end: time(endMs, endDate),
        startMs,
        endMs,
      });
      if (rule.count !== undefined && out.length >= rule.count) break;
    }
    if (past) break;
  }
  return out;
}

/** An unchanged instance of a master, as a record the renderer and free/busy read (never stored). */
export function virtualInstance(master: SandboxEvent, occurrence: Occurrence): SandboxEvent {
  return {
    ...master,
    id: occurrence.id,
    start: occurrence.start,
    end: occurrence.end,
    startMs: occurrence.startMs,
    endMs: occurrence.endMs,
    attendees: master.attendees.map((a) => ({ ...a })),
    extendedProperties: {
      private: { ...master.extendedProperties.private },
      shared: { ...master.extendedProperties.shared },
    },
    recurrence: undefined,
    recurrenceLines: undefined,
    recurringEventId: master.id,
    originalStartTime: occurrence.originalStart,
  };
}
