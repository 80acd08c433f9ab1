/**
 * Calendar events as requests carry them (fields, attendees, extended properties, start and end
 * in a calendar's zone), checked as Calendar checks them, and events as the API renders them to
 * a viewer.
 */
import { randomBytes } from 'node:crypto';
import { isRealDate, isRealTimeZone } from '../../domain/config';
import { asObject, fail, invalid } from './errors';
import {
  EMAIL,
  type EventTimeValue,
  type ResponseStatus,
  type SandboxAttendee,
  type SandboxCalendar,
  type SandboxEvent,
} from './model';
import { DATE, DATE_TIME, formatInZone, zonedInstant } from './time';

export const EVENT_ID = /^[a-v0-9]{5,1024}$/;
export const CREATABLE_EVENT_TYPES = new Set(['default', 'outOfOffice', 'focusTime', 'workingLocation']);
const RESPONSE_STATUSES = new Set<ResponseStatus>(['needsAction', 'declined', 'tentative', 'accepted']);
const PLAIN_FIELDS = ['summary', 'description', 'location'] as const;

export interface EventFields {
  id?: string;
  summary?: string | null;
  description?: string | null;
  location?: string | null;
  status?: 'confirmed' | 'tentative' | 'cancelled';
  transparency?: 'opaque' | 'transparent' | null;
  visibility?: string | null;
  eventType?: string;
  start?: unknown;
  end?: unknown;
  attendees?: {
    email: string;
    displayName?: string;
    optional?: boolean;
    responseStatus?: ResponseStatus;
    comment?: string;
  }[];
  privateProperties?: Record<string, string | null>;
  sharedProperties?: Record<string, string | null>;
  outOfOfficeProperties?: { autoDeclineMode?: string; declineMessage?: string };
  recurrence?: string[];
}

function optionalString(body: Record<string, unknown>, name: string): string | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') invalid(`Invalid value for: ${name} is not a string`);
  return value;
}

function oneOf<T extends string>(
  body: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T))
    invalid(`Invalid value for ${name}: ${JSON.stringify(value)}`);
  return value as T;
}

/** `oneOf`, keeping an explicit null (which clears the field). */
const nullableOneOf = <T extends string>(
  body: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
) => (body[name] === null ? null : oneOf(body, name, allowed));

function propertyMap(value: unknown, name: string): Record<string, string | null> | undefined {
  if (value === undefined || value === null) return undefined;
  const map = asObject(value, name);
  for (const [key, v] of Object.entries(map)) {
    if (v !== null && typeof v !== 'string') invalid(`Invalid value for ${name}.${key}: not a string`);
    // Calendar's documented limits on extended properties.
    if (key.length > 44) invalid(`Extended property key ${key} is longer than 44 characters.`);
    if (typeof v === 'string' && v.length > 1024)
      invalid(`Extended property value of ${key} is longer than 1024 characters.`);
  }
  return map as Record<string, string | null>;
}

function readAttendee(raw: unknown): NonNullable<EventFields['attendees']>[number] {
  const a = asObject(raw, 'attendee');
  if (typeof a.email !== 'string' || !EMAIL.test(a.email.trim())) invalid('Invalid attendee email.');
  const responseStatus = oneOf(a, 'responseStatus', [...RESPONSE_STATUSES]);
  if (a.optional !== undefined && typeof a.optional !== 'boolean')
    invalid('Invalid value for attendee optional');
  return {
    email: a.email.trim().toLowerCase(),
    ...(typeof a.displayName === 'string' ? { displayName: a.displayName } : {}),
    ...(a.optional === true ? { optional: true } : {}),
    ...(responseStatus ? { responseStatus } : {}),
    ...(typeof a.comment === 'string' ? { comment: a.comment } : {}),
  };
}

/** The fields an insert, patch or update body sets, each checked. */
export function readEventFields(body: unknown): EventFields {
  const b = asObject(body, 'event');
  const fields: EventFields = {};
  if (b.id !== undefined) {
    if (typeof b.id !== 'string') invalid('Invalid resource id value.');
    fields.id = b.id;
  }
  for (const name of PLAIN_FIELDS) {
    const value = optionalString(b, name);
    if (value !== undefined) fields[name] = value;
  }
  fields.status = oneOf(b, 'status', ['confirmed', 'tentative', 'cancelled'] as const);
  if (b.transparency !== undefined)
    fields.transparency = nullableOneOf(b, 'transparency', ['opaque', 'transparent'] as const);
  if (b.visibility !== undefined)
    fields.visibility = nullableOneOf(b, 'visibility', [
      'default',
      'public',
      'private',
      'confidential',
    ] as const);
  if (b.eventType !== undefined && b.eventType !== null) {
    if (typeof b.eventType !== 'string') invalid('Invalid value for eventType');
    fields.eventType = b.eventType;
  }
  if (b.start !== undefined && b.start !== null) fields.start = b.start;
  if (b.end !== undefined && b.end !== null) fields.end = b.end;
  if (b.attendees !== undefined && b.attendees !== null) {
    if (!Array.isArray(b.attendees)) invalid('Invalid value for attendees: expected a list');
    fields.attendees = b.attendees.map(readAttendee);
  }
  if (b.extendedProperties !== undefined && b.extendedProperties !== null) {
    const ext = asObject(b.extendedProperties, 'extendedProperties');
    fields.privateProperties = propertyMap(ext.private, 'extendedProperties.private');
    fields.sharedProperties = propertyMap(ext.shared, 'extendedProperties.shared');
  }
  if (b.recurrence !== undefined && b.recurrence !== null) {
    if (!Array.isArray(b.recurrence) || b.recurrence.some((l) => typeof l !== 'string'))
      invalid('Invalid value for recurrence: expected a list of strings.');
    fields.recurrence = b.recurrence as string[];
  }
  if (b.outOfOfficeProperties !== undefined && b.outOfOfficeProperties !== null) {
    const ooo = asObject(b.outOfOfficeProperties, 'outOfOfficeProperties');
    const autoDeclineMode = oneOf(ooo, 'autoDeclineMode', [
      'declineNone',
      'declineAllConflictingInvitations',
      'declineOnlyNewConflictingInvitations',
    ] as const);
    const declineMessage = optionalString(ooo, 'declineMessage') ?? undefined;
    fields.outOfOfficeProperties = {
      ...(autoDeclineMode ? { autoDeclineMode } : {}),
      ...(declineMessage !== undefined ? { declineMessage } : {}),
    };
  }
  return fields;
}

/** Sets the plain fields and extended properties a body gives; `merge` keeps properties it does not name. */
export function applyPlainFields(event: SandboxEvent, fields: EventFields, mode: 'replace' | 'merge'): void {
  for (const name of PLAIN_FIELDS) {
    if (fields[name] !== undefined) event[name] = fields[name] ?? undefined;
  }
  if (fields.transparency !== undefined) event.transparency = fields.transparency ?? undefined;
  if (fields.visibility !== undefined) event.visibility = fields.visibility ?? undefined;
  const mergeMap = (current: Record<string, string>, change: Record<string, string | null> | undefined) => {
    if (change === undefined) return current;
    const next = mode === 'merge' ? { ...current } : {};
    for (const [k, v] of Object.entries(change)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    return next;
  };
  event.extendedProperties = {
    private: mergeMap(event.extendedProperties.private, fields.privateProperties),
    shared: mergeMap(event.extendedProperties.shared, fields.sharedProperties),
  };
}

/** The new attendee list; people already invited keep their answer unless the request sets one. */
export function mergeAttendees(
  current: SandboxAttendee[],
  wanted: NonNullable<EventFields['attendees']>,
  organizerEmail: string,
): SandboxAttendee[] {
  const previous = new Map(current.map((a) => [a.email, a]));
  const seen = new Set<string>();
  const out: SandboxAttendee[] = [];
  for (const a of wanted) {
    if (seen.has(a.email)) continue;
    seen.add(a.email);
    const organizer = a.email === organizerEmail;
    out.push({
      email: a.email,
      ...(a.displayName ? { displayName: a.displayName } : {}),
      ...(a.optional ? { optional: true } : {}),
      ...(organizer ? { organizer: true } : {}),
      ...(a.comment ? { comment: a.comment } : {}),
      responseStatus:
        a.responseStatus ?? previous.get(a.email)?.responseStatus ?? (organizer ? 'accepted' : 'needsAction'),
    });
  }
  return out;
}

export interface ResolvedTimes {
  start: EventTimeValue;
  end: EventTimeValue;
  startMs: number;
  endMs: number;
  allDay: boolean;
}

/** Start and end as instants: all-day dates at midnight in the calendar's zone, date-times in theirs. */
export function resolveTimes(start: unknown, end: unknown, calendar: SandboxCalendar): ResolvedTimes {
  if (end === undefined) invalid('Missing end time.');
  if (start === undefined) invalid('Missing start time.');
  const s = resolveTime(start, 'start', calendar);
  const e = resolveTime(end, 'end', calendar);
  if (s.allDay !== e.allDay) invalid('Start and end times must either both be date or both be dateTime.');
  if (e.ms < s.ms || (s.allDay && e.ms === s.ms))
    fail(400, 'The specified time range is empty.', 'timeRangeEmpty');
  return { start: s.value, end: e.value, startMs: s.ms, endMs: e.ms, allDay: s.allDay };
}

function resolveTime(
  raw: unknown,
  which: 'start' | 'end',
  calendar: SandboxCalendar,
): { value: EventTimeValue; ms: number; allDay: boolean } {
  const time = asObject(raw, which);
  const date = time.date ?? undefined;
  const dateTime = time.dateTime ?? undefined;
  const timeZone = time.timeZone ?? undefined;
  if (date === undefined && dateTime === undefined) invalid(`Missing ${which} time.`);
  if (date !== undefined && dateTime !== undefined) invalid(`Invalid ${which} time.`);
  if (timeZone !== undefined && (typeof timeZone !== 'string' || !isRealTimeZone(timeZone)))
    invalid(`Invalid time zone definition for ${which} time.`);
  const zone = timeZone ?? calendar.timeZone;
  if (date !== undefined) {
    const m = typeof date === 'string' ? DATE.exec(date) : null;
    if (!m || !isRealDate(m[0])) invalid(`Invalid ${which} time.`);
    return {
      value: { date: m[0] },
      ms: zonedInstant(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0, calendar.timeZone),
      allDay: true,
    };
  }
  const m = typeof dateTime === 'string' ? DATE_TIME.exec(dateTime) : null;
  if (
    !m ||
    !isRealDate(`${m[1]}-${m[2]}-${m[3]}`) ||
    Number(m[4]) > 23 ||
    Number(m[5]) > 59 ||
    Number(m[6]) > 59
  ) {
    invalid(`Invalid ${which} time.`);
  }
  if (!m[8] && timeZone === undefined) invalid(`Missing time zone definition for ${which} time.`);
  const ms = m[8]
    ? Date.parse(dateTime as string)
    : zonedInstant(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), zone);
  return {
    value: { dateTime: formatInZone(ms, zone), ...(timeZone !== undefined ? { timeZone } : {}) },
    ms,
    allDay: false,
  };
}

export function checkSendUpdates(query: URLSearchParams): void {
  const value = query.get('sendUpdates');
  if (value !== null && !['all', 'externalOnly', 'none'].includes(value))
    invalid(`Invalid value for sendUpdates: ${value}`);
}

export function eventKey(calendarId: string, eventId: string): string {
  return `${calendarId}\u0000${eventId}`;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

export function randomEventId(): string {
  return [...randomBytes(26)].map((b) => BASE32HEX[b & 31]).join('');
}

/** An event as the API renders it to `viewer` (`self` marks the viewer among organiser, creator, attendees). */
export function renderEvent(event: SandboxEvent, viewer: string): Record<string, unknown> {
  const self = (email: string) => (email === viewer ? { self: true } : {});
  const out: Record<string, unknown> = {
    kind: 'calendar#event',
    etag: `"${event.changeSeq}"`,
    id: event.id,
    status: event.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${event.id} ${event.calendarId}`).toString('base64url')}`,
    created: event.created,
    updated: event.updated,
  };
  if (event.summary !== undefined) out.summary = event.summary;
  if (event.description !== undefined) out.description = event.description;
  if (event.location !== undefined) out.location = event.location;
  out.creator = { email: event.creator.email, ...self(event.creator.email) };
  out.organizer = { ...event.organizer, ...self(event.organizer.email) };
  out.start = { ...event.start };
  out.end = { ...event.end };
  if (event.transparency === 'transparent') out.transparency = 'transparent';
  if (event.visibility !== undefined) out.visibility = event.visibility;
  if (event.recurrenceLines) out.recurrence = [...event.recurrenceLines];
  if (event.recurringEventId) {
    out.recurringEventId = event.recurringEventId;
    out.originalStartTime = { ...event.originalStartTime };
  }
  out.iCalUID = `${event.recurringEventId ?? event.id}@google.com`;
  out.sequence = event.sequence;
  if (event.attendees.length > 0) out.attendees = event.attendees.map((a) => ({ ...a, ...self(a.email) }));
  const { private: priv, shared } = event.extendedProperties;
  if (Object.keys(priv).length > 0 || Object.keys(shared).length > 0) {
    out.extendedProperties = {
      ...(Object.keys(priv).length > 0 ? { private: { ...priv } } : {}),
      ...(Object.keys(shared).length > 0 ? { shared: { ...shared } } : {}),
    };
  }
  out.reminders = { useDefault: true };
  out.eventType = event.eventType;
  if (event.outOfOfficeProperties) out.outOfOfficeProperties = { ...event.outOfOfficeProperties };
  return out;
}

/**
 * What Calendar requires of an event of a special type. An out-of-office event carries
 * `outOfOfficeProperties`, has specific start and end times (never whole days) and invites
 * nobody; no other type may carry those properties.
 */
export function checkEventTypeRules(
  eventType: string,
  allDay: boolean,
  attendees: readonly { email: string; organizer?: boolean }[],
  fields: Pick<EventFields, 'outOfOfficeProperties'>,
): void {
  if (eventType !== 'outOfOffice') {
    if (fields.outOfOfficeProperties !== undefined)
      invalid('outOfOfficeProperties requires an event type of outOfOffice.');
    return;
  }
  if (fields.outOfOfficeProperties === undefined)
    invalid('Out of office events must have outOfOfficeProperties.');
  if (allDay) invalid('Out of office events cannot be all-day events.');
  if (attendees.some((a) => !a.organizer)) invalid('Out of office events cannot have attendees.');
}
