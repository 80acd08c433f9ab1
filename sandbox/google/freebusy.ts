/**
 * `freeBusy.query`: the busy intervals of up to 50 calendars over at most 90 days. A calendar is busy during its own
 * events and, for a person's primary calendar, the events they are invited to and have not
 * declined; transparent and cancelled events never count. Within the organisation every
 * calendar shares its free/busy information.
 */
import type { CalendarStore } from './calendar';
import { asObject, fail, invalid } from './errors';
import type { SandboxCalendar, SandboxEvent } from './model';
import { parseInstant, utcSeconds } from './time';

const FREEBUSY_MAX_CALENDARS = 50;
/**
 * The longest range one query may ask about. Google does not document it; field reports put it
 * at about three months (`timeRangeTooLong` beyond), so the sandbox refuses anything longer.
 */
export const FREEBUSY_MAX_RANGE_MS = 90 * 86_400_000;

export function freeBusy(calendars: CalendarStore, actor: string, body: unknown): Record<string, unknown> {
  const request = asObject(body, 'request body');
  if (typeof request.timeMin !== 'string') fail(400, 'Missing timeMin parameter.', 'required');
  if (typeof request.timeMax !== 'string') fail(400, 'Missing timeMax parameter.', 'required');
  const timeMin = parseInstant(request.timeMin, 'timeMin');
  const timeMax = parseInstant(request.timeMax, 'timeMax');
  if (timeMax <= timeMin) fail(400, 'The specified time range is empty.', 'timeRangeEmpty');
  if (timeMax - timeMin > FREEBUSY_MAX_RANGE_MS)
    fail(400, 'The requested time range is too long.', 'timeRangeTooLong');
  if (request.items !== undefined && !Array.isArray(request.items)) invalid('Invalid value for: items');
  const items = (request.items as unknown[] | undefined) ?? [];
  const answer: Record<string, unknown> = {};
  const unavailable = (reason: string) => ({ errors: [{ domain: 'global', reason }], busy: [] });
  items.forEach((item, index) => {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id === '') invalid('Invalid value for: items.id');
    if (index >= FREEBUSY_MAX_CALENDARS) {
      answer[id] = unavailable('tooManyCalendarsRequested');
      return;
    }
    const calendar = calendars.resolve(actor, id);
    if (!calendar) {
      answer[id] = unavailable('notFound');
      return;
    }
    answer[id] = {
      busy: busyIntervals(calendars.expanded(timeMax), calendar, timeMin, timeMax).map(([s, e]) => ({
        start: utcSeconds(s),
        end: utcSeconds(e),
      })),
    };
  });
  return {
    kind: 'calendar#freeBusy',
    timeMin: utcSeconds(timeMin),
    timeMax: utcSeconds(timeMax),
    calendars: answer,
  };
}

/** The merged busy intervals of a calendar between two instants. */
function busyIntervals(
  events: Iterable<SandboxEvent>,
  calendar: SandboxCalendar,
  from: number,
  to: number,
): [number, number][] {
  const blocking = (e: SandboxEvent) =>
    e.status !== 'cancelled' && e.transparency !== 'transparent' && e.startMs < to && e.endMs > from;
  const intervals: [number, number][] = [];
  for (const event of events) {
    if (!blocking(event)) continue;
    const own = event.calendarId === calendar.id;
    const invited =
      calendar.primaryOf !== undefined &&
      event.attendees.some((a) => a.email === calendar.primaryOf && a.responseStatus !== 'declined');
    if (own && calendar.primaryOf !== undefined) {
      const self = event.attendees.find((a) => a.email === calendar.primaryOf);
      if (self?.responseStatus === 'declined') continue;
    }
    if (own || invited) intervals.push([Math.max(event.startMs, from), Math.min(event.endMs, to)]);
  }
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const interval of intervals) {
    const last = merged[merged.length - 1];
    if (last && interval[0] <= last[1]) last[1] = Math.max(last[1], interval[1]);
    else merged.push([...interval]);
  }
  return merged;
}
