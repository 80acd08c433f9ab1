/**
 * Calendars and their events. Every person has a primary calendar (id = email) and teams with a
 * `sharedCalendarId` have a shared one. Access follows a simple ACL: a person owns their
 * calendar and the sender mailbox may write to it (the organisation shares calendars with
 * prodops); a team calendar is owned by the sender and readable by its members. Outside that
 * the sandbox answers as Google does: 404 for a calendar one cannot see, 403 for writing with
 * read access only.
 *
 * Only the organiser's copy of an event exists (free/busy still counts invitations for
 * attendees). A recurring event is stored once, with its rule; its instances are expanded when
 * read, and an instance that is changed or cancelled becomes an exception stored on its own.
 */
import type { OrgConfig } from '../../domain/config';
import { fail, invalid } from './errors';
import {
  CREATABLE_EVENT_TYPES,
  EVENT_ID,
  applyPlainFields,
  checkEventTypeRules,
  checkSendUpdates,
  eventKey,
  mergeAttendees,
  randomEventId,
  readEventFields,
  renderEvent,
  resolveTimes,
} from './events';
import type { AccessRole, SandboxCalendar, SandboxEvent } from './model';
import {
  OPEN_ENDED_HORIZON_MS,
  masterIdOf,
  occurrences,
  parseRecurrence,
  virtualInstance,
} from './recurrence';

export class CalendarStore {
  readonly calendarsById = new Map<string, SandboxCalendar>();
  readonly eventsByKey = new Map<string, SandboxEvent>();
  /** The sandbox-wide change counter; every change to an event takes the next number. */
  seq = 0;

  constructor(
    private readonly now: () => number,
    /** Called with the calendar id after any change to its events. */
    private readonly changed: (calendarId: string) => void,
  ) {}

  /** The calendars of the organisation: each person's, the sender's, and the teams' shared ones. */
  seed(config: OrgConfig, sender: string | undefined): void {
    const defaultZone = Object.values(config.calendars)[0]?.timezone ?? 'UTC';
    for (const person of config.people) {
      const email = person.email.toLowerCase();
      const acl = new Map<string, AccessRole>([[email, 'owner']]);
      if (sender && sender !== email) acl.set(sender, 'writer');
      this.calendarsById.set(email, {
        id: email,
        summary: email,
        timeZone: config.calendars[person.calendar]?.timezone ?? defaultZone,
        primaryOf: email,
        acl,
      });
    }
    if (sender && !this.calendarsById.has(sender)) {
      this.calendarsById.set(sender, {
        id: sender,
        summary: sender,
        timeZone: defaultZone,
        primaryOf: sender,
        acl: new Map([[sender, 'owner']]),
      });
    }
    for (const team of config.teams) {
      if (!team.sharedCalendarId) continue;
      const id = team.sharedCalendarId.toLowerCase();
      const members = config.people.filter((p) => p.team === team.id);
      const zone = members[0]
        ? (config.calendars[members[0].calendar]?.timezone ?? defaultZone)
        : defaultZone;
      const acl = new Map<string, AccessRole>();
      for (const member of members) acl.set(member.email.toLowerCase(), sender ? 'reader' : 'writer');
      if (sender) acl.set(sender, 'owner');
      this.calendarsById.set(id, { id, summary: team.name, timeZone: zone, acl });
    }
  }

  reset(): void {
    this.calendarsById.clear();
    this.eventsByKey.clear();
    this.seq = 0;
  }

  // ---- access --------------------------------------------------------------------------------

  /** The calendar a path names (`primary` is the actor's own), whether or not the actor may see it. */
  resolve(actor: string, calendarIdParam: string): SandboxCalendar | undefined {
    const id = calendarIdParam.toLowerCase() === 'primary' ? actor : calendarIdParam.toLowerCase();
    return this.calendarsById.get(id);
  }

  readable(actor: string, calendarIdParam: string): SandboxCalendar {
    const calendar = this.resolve(actor, calendarIdParam);
    if (!calendar || !calendar.acl.has(actor)) fail(404, 'Not Found', 'notFound');
    return calendar;
  }

  writable(actor: string, calendarIdParam: string): SandboxCalendar {
    const calendar = this.readable(actor, calendarIdParam);
    if (calendar.acl.get(actor) === 'reader')
      fail(403, 'You need to have writer access to this calendar.', 'requiredAccessLevel');
    return calendar;
  }

  /** Changes who may see or change a calendar. */
  share(calendarId: string, email: string, role: AccessRole | 'none'): void {
    const calendar = this.calendarsById.get(calendarId.toLowerCase());
    if (!calendar) throw new Error(`google sandbox: no calendar ${calendarId}`);
    if (role === 'none') calendar.acl.delete(email.toLowerCase());
    else calendar.acl.set(email.toLowerCase(), role);
  }

  // ---- events --------------------------------------------------------------------------------

  /** An event by calendar and id (any case of the calendar id), or undefined. */
  find(calendarId: string, eventId: string): SandboxEvent | undefined {
    return this.eventsByKey.get(eventKey(calendarId.toLowerCase(), eventId));
  }

  /** A stored event, or an instance of a recurring one that was never changed (built, not stored). */
  lookup(calendarId: string, eventId: string): SandboxEvent | undefined {
    const stored = this.find(calendarId, eventId);
    if (stored) return stored;
    const masterId = masterIdOf(eventId);
    const master = masterId ? this.find(calendarId, masterId) : undefined;
    if (!master?.recurrence) return undefined;
    return this.instancesOf(master, Number.POSITIVE_INFINITY).find((e) => e.id === eventId);
  }

  /**
   * A recurring master's instances that start before `until` (epoch ms; open-ended rules stop two
   * years after the clock), exceptions in place of the instances they replace, cancelled ones
   * included. A cancelled master cancels every instance.
   */
  instancesOf(master: SandboxEvent, until: number): SandboxEvent[] {
    const zone = this.calendarsById.get(master.calendarId)?.timeZone ?? 'UTC';
    const limit = Math.min(until, this.now() + OPEN_ENDED_HORIZON_MS);
    return occurrences(master, zone, limit).map((occurrence) => {
      const exception = this.find(master.calendarId, occurrence.id);
      if (exception && master.status !== 'cancelled') return exception;
      const instance = virtualInstance(master, occurrence);
      if (exception) instance.changeSeq = Math.max(instance.changeSeq, exception.changeSeq);
      return instance;
    });
  }

  /** Every event with recurring masters replaced by their instances that start before `until`. */
  expanded(until: number): SandboxEvent[] {
    return [...this.eventsByKey.values()].flatMap((e) => {
      if (e.recurrence) return this.instancesOf(e, until);
      if (e.recurringEventId && this.find(e.calendarId, e.recurringEventId)?.recurrence) return [];
      return [e];
    });
  }

  /** For a change: a stored event, or an instance that becomes an exception once `keep` stores it. */
  private findEvent(calendar: SandboxCalendar, eventId: string): SandboxEvent {
    const event = this.lookup(calendar.id, eventId);
    if (!event) fail(404, 'Not Found', 'notFound');
    return event;
  }

  /** Stores a changed instance as an exception (a stored event is already kept), then stamps it. */
  private keep(event: SandboxEvent): void {
    this.eventsByKey.set(eventKey(event.calendarId, event.id), event);
    this.touch(event);
  }

  /** The events of one calendar (any order). */
  eventsOf(calendarId: string): SandboxEvent[] {
    return [...this.eventsByKey.values()].filter((e) => e.calendarId === calendarId);
  }

  /** Records a change to an event: the next change number and a new `updated` stamp. */
  private touch(event: SandboxEvent): void {
    event.changeSeq = ++this.seq;
    event.updated = new Date(this.now()).toISOString();
  }

  /** A change made outside the API (a person answering an invitation): stamped, and announced. */
  recordChange(event: SandboxEvent): void {
    this.touch(event);
    this.changed(event.calendarId);
  }

  insertEvent(
    actor: string,
    calendarIdParam: string,
    body: unknown,
    query: URLSearchParams,
  ): Record<string, unknown> {
    const calendar = this.writable(actor, calendarIdParam);
    checkSendUpdates(query);
    const fields = readEventFields(body);
    const id = fields.id ?? randomEventId();
    if (!EVENT_ID.test(id)) invalid('Invalid resource id value.');
    if (this.eventsByKey.has(eventKey(calendar.id, id)))
      fail(409, 'The requested identifier already exists.', 'duplicate');
    const eventType = fields.eventType ?? 'default';
    if (!CREATABLE_EVENT_TYPES.has(eventType)) invalid(`Event type "${eventType}" cannot be created.`);
    if (eventType !== 'default' && !calendar.primaryOf)
      invalid(`${eventType} events can only be created on a primary calendar.`);
    const times = resolveTimes(fields.start, fields.end, calendar);
    const nowIso = new Date(this.now()).toISOString();
    const organizerEmail = calendar.id;
    const event: SandboxEvent = {
      calendarId: calendar.id,
      id,
      status: fields.status ?? 'confirmed',
      start: times.start,
      end: times.end,
      startMs: times.startMs,
      endMs: times.endMs,
      allDay: times.allDay,
      attendees: mergeAttendees([], fields.attendees ?? [], organizerEmail),
      organizer: calendar.primaryOf
        ? { email: organizerEmail }
        : { email: organizerEmail, displayName: calendar.summary },
      creator: { email: actor },
      eventType,
      extendedProperties: { private: {}, shared: {} },
      created: nowIso,
      updated: nowIso,
      sequence: 0,
      changeSeq: 0,
    };
    checkEventTypeRules(eventType, times.allDay, event.attendees, fields);
    if (fields.recurrence !== undefined) {
      event.recurrence = parseRecurrence(fields.recurrence);
      event.recurrenceLines = [...fields.recurrence];
    }
    applyPlainFields(event, fields, 'replace');
    if (eventType === 'outOfOffice') event.outOfOfficeProperties = fields.outOfOfficeProperties;
    this.touch(event);
    this.eventsByKey.set(eventKey(calendar.id, id), event);
    this.changed(calendar.id);
    return renderEvent(event, actor);
  }

  getEvent(actor: string, calendarIdParam: string, eventId: string): Record<string, unknown> {
    const calendar = this.readable(actor, calendarIdParam);
    const event = this.lookup(calendar.id, eventId);
    if (!event) fail(404, 'Not Found', 'notFound');
    return renderEvent(event, actor);
  }

  /** PATCH merges the given fields; PUT replaces the event with the body. */
  changeEvent(
    actor: string,
    calendarIdParam: string,
    eventId: string,
    body: unknown,
    query: URLSearchParams,
    mode: 'patch' | 'update',
  ): Record<string, unknown> {
    const calendar = this.writable(actor, calendarIdParam);
    checkSendUpdates(query);
    const event = this.findEvent(calendar, eventId);
    const fields = readEventFields(body);
    if (fields.eventType !== undefined && fields.eventType !== event.eventType)
      invalid('The event type cannot be changed.');
    const times =
      mode === 'update' || fields.start !== undefined || fields.end !== undefined
        ? resolveTimes(
            mode === 'update' ? fields.start : (fields.start ?? event.start),
            mode === 'update' ? fields.end : (fields.end ?? event.end),
            calendar,
          )
        : undefined;
    // Checked before anything changes: a refused request leaves the event as it was.
    if (fields.recurrence !== undefined && event.recurringEventId)
      invalid('An instance of a recurring event cannot have a recurrence of its own.');
    const recurrence = fields.recurrence !== undefined ? parseRecurrence(fields.recurrence) : undefined;
    const attendees =
      fields.attendees !== undefined || mode === 'update'
        ? mergeAttendees(event.attendees, fields.attendees ?? [], event.organizer.email)
        : event.attendees;
    checkEventTypeRules(
      event.eventType,
      times?.allDay ?? event.allDay,
      attendees,
      mode === 'update'
        ? fields
        : { ...fields, outOfOfficeProperties: fields.outOfOfficeProperties ?? event.outOfOfficeProperties },
    );
    if (mode === 'update') {
      event.summary = undefined;
      event.description = undefined;
      event.location = undefined;
      event.transparency = undefined;
      event.visibility = undefined;
      event.extendedProperties = { private: {}, shared: {} };
      event.status = fields.status ?? 'confirmed';
    }
    if (times) {
      const moved = times.startMs !== event.startMs || times.endMs !== event.endMs;
      Object.assign(event, times);
      if (moved) event.sequence += 1;
    }
    event.attendees = attendees;
    if (fields.status !== undefined) event.status = fields.status;
    applyPlainFields(event, fields, mode === 'update' ? 'replace' : 'merge');
    if (event.eventType === 'outOfOffice' && fields.outOfOfficeProperties !== undefined)
      event.outOfOfficeProperties = fields.outOfOfficeProperties;
    if (fields.recurrence !== undefined) {
      event.recurrence = recurrence;
      event.recurrenceLines = [...fields.recurrence];
    }
    this.keep(event);
    this.changed(calendar.id);
    return renderEvent(event, actor);
  }

  deleteEvent(actor: string, calendarIdParam: string, eventId: string, query: URLSearchParams): void {
    const calendar = this.writable(actor, calendarIdParam);
    checkSendUpdates(query);
    const event = this.findEvent(calendar, eventId);
    if (event.status === 'cancelled') fail(410, 'Resource has been deleted', 'deleted');
    event.status = 'cancelled';
    this.keep(event);
    this.changed(calendar.id);
  }
}
