/**
 * Google Calendar in memory: events on each calendar (made by prodops under an idempotency key,
 * whose event id derives from the key as the real activity derives it, or made by a person),
 * attendees' answers, free/busy, the incremental change feed with its sync tokens, and push
 * channels. The activity object satisfies the real `CalendarActivities`.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { calendar_v3 } from 'googleapis';
import {
  createCalendarActivities,
  instantOf,
  type CalendarActivities,
  type CalendarEvent,
  type EventAttendeeInput,
} from '../../../activities/calendar';
import { ErrorTypes, runBatch, type OperationContext } from '../../../activities/errors';
import { calendarEventId, fingerprint, secretCalendarEventId } from '../../../contracts/node/idempotency';
import { zonedDateTimeToInstant } from '../../../domain/business-calendar';
import type { OrgConfig } from '../../../domain/config';
import type { BusyInterval } from '../../../domain/coverage';
// Calendar writes an event's times back in the zone's own offset, as the sandbox renders them.
import { formatInZone, utcSeconds } from '../../../sandbox/google/time';
import type { CallLog } from './log';
import { asTheRealActivity, clientAtTheDoor, vendorAnswered } from './vendor';
import { CALENDAR_KEY_PROPERTY } from '../../../contracts/stamps';

export type ResponseStatus = 'needsAction' | 'accepted' | 'declined' | 'tentative';

export interface FakeEvent {
  id: string;
  calendarId: string;
  /** The key prodops made it under; null for an event a person made. */
  idempotencyKey: string | null;
  summary: string;
  description: string;
  /** As written: `YYYY-MM-DD` (all day, end exclusive) or a date-time read in `timeZone`. */
  start: string;
  end: string;
  timeZone: string;
  /** Attendees' addresses, lower-case, in the order written. */
  attendees: string[];
  /** Attendees invited as optional. */
  optional: string[];
  /** Each attendee's answer, as the organiser's copy shows it; absent means needsAction. */
  answers: Record<string, ResponseStatus>;
  /** The calendar it was made on. */
  organizer: string;
  eventType: 'default' | 'outOfOffice';
  transparency: 'opaque' | 'transparent';
  privateProperties: Record<string, string>;
  status: 'confirmed' | 'tentative' | 'cancelled';
  /** Versions prodops wrote: 1 when made, one more for each write that changed it. */
  revisions: number;
  /** When it last changed, epoch ms. */
  updatedAt: number;
  /** Its place in the calendar's change feed. */
  changed: number;
}

export interface FakeChannel {
  channelId: string;
  resourceId: string;
  calendarId: string;
  address: string;
  token: string;
  expiration: number;
  stopped: boolean;
}

/** An event a person puts in their own calendar. */
export interface PersonEvent {
  summary: string;
  start: string;
  end: string;
  timeZone: string;
  eventType?: 'default' | 'outOfOffice';
  transparency?: 'opaque' | 'transparent';
  attendees?: string[];
  privateProperties?: Record<string, string>;
}

const SYSTEM = 'google-calendar' as const;
/** Calendar's default channel lifetime when the watch asks for none: a week. */
const DEFAULT_CHANNEL_SECONDS = 7 * 24 * 3600;
/** As activities/calendar.ts: the ids a key's channel may take. */
const MAX_CHANNEL_GENERATIONS = 5;
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

const isAllDay = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);

/** Epoch ms of an event's start or end. */
function instant(value: string, timeZone: string): number {
  return isAllDay(value)
    ? Date.parse(zonedDateTimeToInstant(value, '00:00', timeZone))
    : instantOf(value, timeZone);
}

function attendeeList(attendees: EventAttendeeInput[] = []): { attendees: string[]; optional: string[] } {
  const emails = [...new Set(attendees.map((a) => a.email.trim().toLowerCase()))];
  const optional = attendees.filter((a) => a.optional).map((a) => a.email.trim().toLowerCase());
  return { attendees: emails, optional: [...new Set(optional)] };
}

export class FakeCalendar {
  readonly events: FakeEvent[] = [];
  /** Busy blocks people keep in their own calendars (outside what prodops sees), by address. */
  readonly busy: Record<string, BusyInterval[]> = {};
  readonly channels = new Map<string, FakeChannel>();
  private feed = 0;
  /** Sync tokens issued before this point of a calendar's feed have expired. */
  private readonly expiredBefore = new Map<string, number>();

  constructor(
    private readonly config: OrgConfig,
    /** The worker's secret, for the ids of invites whose answers count (`secretId`). */
    private readonly eventIdSecret?: string,
  ) {}

  /** The events prodops made (under an idempotency key). */
  made(): (FakeEvent & { idempotencyKey: string })[] {
    return this.events.filter((e): e is FakeEvent & { idempotencyKey: string } => e.idempotencyKey !== null);
  }

  /** A person puts an event in their calendar. */
  createEventAs(calendarId: string, event: PersonEvent): FakeEvent {
    const made: FakeEvent = {
      id: [...randomBytes(26)].map((b) => BASE32HEX[b & 31]).join(''),
      calendarId,
      idempotencyKey: null,
      summary: event.summary,
      description: '',
      start: event.start,
      end: event.end,
      timeZone: event.timeZone,
      attendees: (event.attendees ?? []).map((a) => a.toLowerCase()),
      optional: [],
      answers: {},
      organizer: calendarId,
      eventType: event.eventType ?? 'default',
      transparency: event.transparency ?? 'opaque',
      privateProperties: { ...(event.privateProperties ?? {}) },
      status: 'confirmed',
      revisions: 1,
      updatedAt: Date.now(),
      changed: ++this.feed,
    };
    this.events.push(made);
    return made;
  }

  /** An attendee answers an invite: the organiser's copy changes, as in Google Calendar. */
  respond(calendarId: string, eventId: string, email: string, response: ResponseStatus): FakeEvent {
    const event = this.find(calendarId, eventId);
    if (!event) throw new Error(`the fake Calendar has no event ${eventId} on ${calendarId}`);
    const attendee = email.toLowerCase();
    if (!event.attendees.includes(attendee)) throw new Error(`${email} is not invited to ${eventId}`);
    event.answers[attendee] = response;
    this.touch(event);
    return event;
  }

  /** A person deletes an event from their calendar. */
  deleteEventAs(calendarId: string, eventId: string): void {
    const event = this.find(calendarId, eventId);
    if (!event) throw new Error(`the fake Calendar has no event ${eventId} on ${calendarId}`);
    event.status = 'cancelled';
    this.touch(event);
  }

  /** Calendar forgets the calendar's sync tokens: the next incremental listing answers 410. */
  invalidateSyncTokens(calendarId: string): void {
    this.expiredBefore.set(calendarId, this.feed + 1);
  }

  liveChannels(calendarId: string): FakeChannel[] {
    return [...this.channels.values()].filter((c) => c.calendarId === calendarId && !c.stopped);
  }

  activities(log: CallLog): CalendarActivities {
    const sender = this.config.integrations.google.sender;
    const secret = this.eventIdSecret;
    const real = createCalendarActivities({
      calendarFor: () => clientAtTheDoor<calendar_v3.Calendar>(),
      ...(sender ? { defaultActor: sender } : {}),
      eventIdSecret: () => secret,
    });
    const idOf = (ref: { eventId?: string; idempotencyKey?: string }) =>
      ref.eventId ?? calendarEventId(ref.idempotencyKey!);

    const single = {
      upsertEvent: async (input) => {
        await asTheRealActivity(() => real.upsertEvent(input));
        const id =
          input.secretId && secret !== undefined
            ? secretCalendarEventId(input.idempotencyKey, secret)
            : calendarEventId(input.idempotencyKey);
        const { attendees, optional } = attendeeList(input.attendees);
        const desired = {
          summary: input.summary,
          description: input.description ?? '',
          start: input.start,
          end: input.end,
          timeZone: input.timeZone,
          transparency: input.transparency ?? 'opaque',
          privateProperties: {
            ...(input.privateProperties ?? {}),
            [CALENDAR_KEY_PROPERTY]: input.idempotencyKey,
          },
        };
        const existing = this.find(input.calendarId, id);
        if (!existing) {
          this.events.push({
            id,
            calendarId: input.calendarId,
            idempotencyKey: input.idempotencyKey,
            ...desired,
            attendees,
            optional,
            answers: {},
            organizer: input.calendarId,
            eventType: input.eventType ?? 'default',
            status: 'confirmed',
            revisions: 1,
            updatedAt: Date.now(),
            changed: ++this.feed,
          });
          return { id, created: true, updated: false };
        }
        if (existing.eventType !== (input.eventType ?? 'default')) {
          throw ApplicationFailure.create({
            type: ErrorTypes.conflict,
            message: `${SYSTEM} events.upsert [${input.idempotencyKey}]: event ${id} exists as a ${existing.eventType} event; an event's type cannot change`,
            nonRetryable: true,
          });
        }
        const sameTimes =
          isAllDay(existing.start) === isAllDay(desired.start) &&
          instant(existing.start, existing.timeZone) === instant(desired.start, desired.timeZone) &&
          instant(existing.end, existing.timeZone) === instant(desired.end, desired.timeZone) &&
          (isAllDay(desired.start) || existing.timeZone === desired.timeZone);
        const sameAttendees =
          existing.attendees.length === attendees.length &&
          attendees.every(
            (a) => existing.attendees.includes(a) && existing.optional.includes(a) === optional.includes(a),
          );
        const sameProperties = Object.entries(desired.privateProperties).every(
          ([k, v]) => existing.privateProperties[k] === v,
        );
        const unchanged =
          existing.status === 'confirmed' &&
          existing.summary === desired.summary &&
          existing.description === desired.description &&
          existing.transparency === desired.transparency &&
          sameTimes &&
          sameAttendees &&
          sameProperties;
        if (unchanged) return { id, created: false, updated: false };
        Object.assign(existing, desired, {
          attendees,
          optional,
          status: 'confirmed',
          // Attendees who stay keep the answers they gave.
          answers: Object.fromEntries(
            Object.entries(existing.answers).filter(([a]) => attendees.includes(a)),
          ),
          privateProperties: sameProperties ? existing.privateProperties : desired.privateProperties,
          revisions: existing.revisions + 1,
        });
        this.touch(existing);
        return { id, created: false, updated: true };
      },

      readInvite: async (input) => {
        await asTheRealActivity(() => real.readInvite(input));
        const event = this.find(input.calendarId, input.eventId);
        if (!event)
          return {
            found: false,
            status: 'cancelled',
            organizer: null,
            prodopsKey: null,
            updated: null,
            attendees: [],
          };
        return {
          found: true,
          status: event.status,
          organizer: event.organizer.toLowerCase(),
          prodopsKey: event.privateProperties[CALENDAR_KEY_PROPERTY] ?? null,
          updated: event.updatedAt,
          // Whoever the invite was forwarded to and answered shows as an attendee too.
          attendees: [...new Set([...event.attendees, ...Object.keys(event.answers)])].map((email) => ({
            email,
            responseStatus: event.answers[email] ?? 'needsAction',
          })),
        };
      },

      getEvent: async (input) => {
        await asTheRealActivity(() => real.getEvent(input));
        const event = this.find(input.calendarId, idOf(input));
        return { event: event ? render(event) : null };
      },

      patchEvent: async (input) => {
        await asTheRealActivity(() => real.patchEvent(input));
        const id = idOf(input);
        const ctx: OperationContext = {
          system: SYSTEM,
          operation: 'events.patch',
          key: input.idempotencyKey ?? id,
        };
        const event = this.find(input.calendarId, id);
        if (!event) throw vendorAnswered(ctx, 404, 'Not Found');
        if (input.summary !== undefined) event.summary = input.summary;
        if (input.description !== undefined) event.description = input.description;
        if (input.transparency !== undefined) event.transparency = input.transparency;
        if (input.status !== undefined) event.status = input.status;
        if (input.privateProperties !== undefined)
          Object.assign(event.privateProperties, input.privateProperties);
        if (input.start !== undefined && input.end !== undefined) {
          Object.assign(event, {
            start: input.start,
            end: input.end,
            timeZone: input.timeZone ?? event.timeZone,
          });
        }
        if (input.attendees !== undefined) {
          const { attendees, optional } = attendeeList(input.attendees);
          Object.assign(event, {
            attendees,
            optional,
            answers: Object.fromEntries(Object.entries(event.answers).filter(([a]) => attendees.includes(a))),
          });
        }
        event.revisions++;
        this.touch(event);
        return render(event);
      },

      deleteEvent: async (input) => {
        await asTheRealActivity(() => real.deleteEvent(input));
        const event = this.find(input.calendarId, idOf(input));
        // Never there: 404; deleted already: 410. Either way the goal holds.
        if (!event || event.status === 'cancelled') return { deleted: false };
        event.status = 'cancelled';
        this.touch(event);
        return { deleted: true };
      },

      listChanges: async (input) => {
        await asTheRealActivity(() => real.listChanges(input));
        const since =
          input.syncToken === undefined ? undefined : this.feedPosition(input.calendarId, input.syncToken);
        const mine = this.events.filter((e) => e.calendarId === input.calendarId);
        // A full listing includes nothing deleted; an incremental one includes deletions.
        const events =
          since === undefined
            ? mine.filter((e) => e.status !== 'cancelled')
            : mine.filter((e) => e.changed > since);
        return {
          events: events.sort((a, b) => a.changed - b.changed).map(render),
          nextSyncToken: `fake-sync:${this.feed}:${input.calendarId}`,
          fullResync: since === undefined,
        };
      },

      // The fake keeps no recurring events: as Calendar lists a single event's instances, the
      // event is its own only instance (none once cancelled, or outside the window); an id
      // Calendar never knew is not found.
      listInstances: async (input) => {
        await asTheRealActivity(() => real.listInstances(input));
        const event = this.find(input.calendarId, input.eventId);
        if (!event) return { events: [], found: false };
        const from = input.timeMin === undefined ? -Infinity : Date.parse(input.timeMin);
        const to = input.timeMax === undefined ? Infinity : Date.parse(input.timeMax);
        const within =
          event.status !== 'cancelled' &&
          instant(event.end, event.timeZone) > from &&
          instant(event.start, event.timeZone) < to;
        return { events: within ? [render(event)] : [], found: true };
      },

      freeBusy: async (input) => {
        await asTheRealActivity(() => real.freeBusy(input));
        const [from, to] = [Date.parse(input.timeMin), Date.parse(input.timeMax)];
        const calendars: Record<string, { busy: { start: string; end: string }[]; errors: string[] }> = {};
        for (const calendarId of new Set(input.calendars)) {
          const own = this.events
            .filter(
              (e) => e.calendarId === calendarId && e.status === 'confirmed' && e.transparency === 'opaque',
            )
            .map((e) => ({ start: instant(e.start, e.timeZone), end: instant(e.end, e.timeZone) }));
          const kept = (this.busy[calendarId] ?? []).map((b) => ({
            start: Date.parse(b.start),
            end: Date.parse(b.end),
          }));
          // As Calendar answers: the busy time within the window, overlapping blocks merged.
          const clipped = [...kept, ...own]
            .map((b) => ({ start: Math.max(b.start, from), end: Math.min(b.end, to) }))
            .filter((b) => b.start < b.end)
            .sort((a, b) => a.start - b.start);
          const merged: { start: number; end: number }[] = [];
          for (const block of clipped) {
            const last = merged.at(-1);
            if (last && block.start <= last.end) last.end = Math.max(last.end, block.end);
            else merged.push({ ...block });
          }
          calendars[calendarId] = {
            busy: merged.map((b) => ({ start: utcSeconds(b.start), end: utcSeconds(b.end) })),
            errors: [],
          };
        }
        return { calendars };
      },

      watchCalendar: async (input) => {
        const ctx: OperationContext = {
          system: SYSTEM,
          operation: 'events.watch',
          key: input.idempotencyKey,
        };
        await asTheRealActivity(() => real.watchCalendar(input));
        // As the real activity: the key's ids in turn, the first Calendar does not refuse as
        // still in use; the key's other channels are stopped, leaving exactly one.
        const base = `prodops-${fingerprint(input.idempotencyKey, 32)}`;
        const idOfGeneration = (g: number) => (g === 0 ? base : `${base}-${g}`);
        const resourceId = `fake-resource-${fingerprint(input.calendarId, 16)}`;
        for (let generation = 0; generation < MAX_CHANNEL_GENERATIONS; generation++) {
          const channelId = idOfGeneration(generation);
          if (this.channels.get(channelId)?.stopped === false) continue;
          const expiration = Date.now() + (input.ttlSeconds ?? DEFAULT_CHANNEL_SECONDS) * 1000;
          this.channels.set(channelId, {
            channelId,
            resourceId,
            calendarId: input.calendarId,
            address: input.address,
            token: input.token,
            expiration,
            stopped: false,
          });
          for (let other = 0; other < MAX_CHANNEL_GENERATIONS; other++) {
            const stale = this.channels.get(idOfGeneration(other));
            if (other !== generation && stale) stale.stopped = true;
          }
          return { channelId, resourceId, expiration };
        }
        throw ApplicationFailure.create({
          type: ErrorTypes.conflict,
          message: `${ctx.system} events.watch [${input.idempotencyKey}]: all ${MAX_CHANNEL_GENERATIONS} channel ids of this key are in use; stop them or use a new key`,
          nonRetryable: true,
        });
      },

      stopChannel: async (input) => {
        await asTheRealActivity(() => real.stopChannel(input));
        const channel = this.channels.get(input.channelId);
        if (!channel || channel.stopped || channel.resourceId !== input.resourceId) return { stopped: false };
        channel.stopped = true;
        return { stopped: true };
      },
    } satisfies Omit<CalendarActivities, 'upsertEvents' | 'deleteEvents'>;

    // As the real activity: several events in one call, each settled on its own.
    return log.wrap('calendar', {
      ...single,
      upsertEvents: async (input) => ({
        results: await runBatch(
          { system: SYSTEM, operation: 'events.upsertMany' },
          input.events,
          single.upsertEvent,
        ),
      }),
      deleteEvents: async (input) => ({
        results: await runBatch(
          { system: SYSTEM, operation: 'events.deleteMany' },
          input.events,
          single.deleteEvent,
        ),
      }),
    } satisfies CalendarActivities);
  }

  private find(calendarId: string, eventId: string): FakeEvent | undefined {
    return this.events.find((e) => e.calendarId === calendarId && e.id === eventId);
  }

  private touch(event: FakeEvent): void {
    event.updatedAt = Date.now();
    event.changed = ++this.feed;
  }

  /** Where a sync token left the feed; undefined (a full listing) once it has expired. */
  private feedPosition(calendarId: string, token: string): number | undefined {
    const match = /^fake-sync:(\d+):(.*)$/.exec(token);
    if (!match || match[2] !== calendarId) return undefined;
    const position = Number(match[1]);
    return position < (this.expiredBefore.get(calendarId) ?? 0) ? undefined : position;
  }
}

/** The event as the activities return it (activities/calendar.ts `simplifyEvent`). */
function render(event: FakeEvent): CalendarEvent {
  const time = (value: string) =>
    isAllDay(value)
      ? { date: value }
      : { dateTime: formatInZone(instant(value, event.timeZone), event.timeZone), timeZone: event.timeZone };
  return {
    id: event.id,
    status: event.status,
    ...(event.summary ? { summary: event.summary } : {}),
    ...(event.description ? { description: event.description } : {}),
    eventType: event.eventType,
    start: time(event.start),
    end: time(event.end),
    organizer: event.organizer,
    creator: event.organizer,
    attendees: event.attendees.map((email) => ({
      email,
      responseStatus: event.answers[email] ?? 'needsAction',
      ...(event.optional.includes(email) ? { optional: true } : {}),
    })),
    transparency: event.transparency,
    updated: new Date(event.updatedAt).toISOString(),
    htmlLink: `https://www.google.com/calendar/event?eid=${event.id}`,
    extendedProperties: { private: { ...event.privateProperties } },
  };
}
