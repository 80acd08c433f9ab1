/**
 * Google Calendar activities: idempotent event upserts keyed by the workflow's idempotency key,
 * incremental change sync, free/busy look-ups and push-notification channels.
 *
 * Event ids are derived from the idempotency key (`calendarEventId`), so a retried insert meets
 * a 409 and the activity converges the existing event instead of creating a twin. Google keeps a
 * deleted event's id reserved, so the same path also restores an event that was cancelled.
 */
import { zonedDateTimeToInstant } from '../domain/business-calendar';
import { ApplicationFailure } from '@temporalio/common';
import type { calendar_v3 } from 'googleapis';
import { isRealDate, isRealTimeZone } from '../domain/config';
import { ErrorTypes, invalidInput, runBatch, type BatchOutcome, type OperationContext } from './errors';
import { callGoogle, googleErrorReason, googleErrorStatus } from './google-auth';
import { calendarEventId, isEventIdOf, secretCalendarEventId } from '../contracts/node/idempotency';
import { channelIdBase } from '../contracts/node/channels';
import { CALENDAR_KEY_PROPERTY } from '../contracts/stamps';

export interface CalendarActivityDeps {
  /** A Calendar client acting as the given user (impersonated through domain-wide delegation). */
  calendarFor(userEmail: string): calendar_v3.Calendar;
  /** Who acts when an input names nobody: the organisation's sender mailbox. */
  defaultActor?: string;
  /**
   * The worker's secret (PRODOPS_WORKER_SECRET), for the ids of events whose answers count
   * (`secretId`); read per call. Never passed through a workflow.
   */
  eventIdSecret?: () => string | undefined;
}

export type SendUpdates = 'all' | 'externalOnly' | 'none';

export interface EventAttendeeInput {
  email: string;
  optional?: boolean;
}

export interface UpsertEventInput {
  idempotencyKey: string;
  calendarId: string;
  /** The user whose credentials are used; defaults to the sender mailbox. */
  actAs?: string;
  summary: string;
  description?: string;
  /**
   * `YYYY-MM-DD` for an all-day event (then `end` is the exclusive day after), or a date-time
   * `YYYY-MM-DDTHH:MM[:SS]` read in `timeZone` (an explicit offset is also accepted).
   */
  start: string;
  end: string;
  /** IANA zone of the event, for example Europe/London. */
  timeZone: string;
  attendees?: EventAttendeeInput[];
  transparency?: 'opaque' | 'transparent';
  eventType?: 'default' | 'outOfOffice';
  /**
   * How an out-of-office block answers invitations that overlap it. Calendar refuses an
   * out-of-office event without these properties; by default only new invitations are declined.
   */
  outOfOffice?: OutOfOfficeOptions;
  /** Extra private extended properties, for example the workflow id that owns the event. */
  privateProperties?: Record<string, string>;
  sendUpdates?: SendUpdates;
  /**
   * An event whose answers count (an invite to confirm leave): its id is an HMAC of the key with
   * the worker's secret, so nobody can predict it, and an event found under it counts as this
   * one only when `actAs` organises it.
   */
  secretId?: boolean;
}

/** An invite as its organiser's calendar holds it: what its attendees answered. */
export interface InviteReading {
  /** False when the event is not on the calendar (never made, or purged). */
  found: boolean;
  status: string;
  /** The organiser's email, lower case. */
  organizer: string | null;
  /** The idempotency key prodops made it under (its private property), if it carries one. */
  prodopsKey: string | null;
  /** When the event last changed (an answer changes it), ms since the epoch; null if unknown. */
  updated: number | null;
  attendees: { email: string; responseStatus: string }[];
}

export type AutoDeclineMode =
  'declineNone' | 'declineAllConflictingInvitations' | 'declineOnlyNewConflictingInvitations';

export interface OutOfOfficeOptions {
  autoDeclineMode?: AutoDeclineMode;
  /** Sent with each invitation Calendar declines. */
  declineMessage?: string;
}

/** What an out-of-office block does unless told otherwise: existing meetings stay, new ones are declined. */
export const DEFAULT_AUTO_DECLINE_MODE: AutoDeclineMode = 'declineOnlyNewConflictingInvitations';
const AUTO_DECLINE_MODES = new Set<string>([
  'declineNone',
  'declineAllConflictingInvitations',
  'declineOnlyNewConflictingInvitations',
]);

export interface UpsertEventResult {
  id: string;
  htmlLink?: string;
  /** False when the event already existed (a retry, or a re-run) and was brought up to date. */
  created: boolean;
  /** True when an existing event had to be changed (or restored from cancelled). */
  updated: boolean;
}

export interface EventRef {
  calendarId: string;
  /** The event id, or the idempotency key that produced it. */
  eventId?: string;
  idempotencyKey?: string;
  actAs?: string;
}

export interface CalendarEventTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface CalendarEventAttendee {
  email: string;
  responseStatus: string;
  optional?: boolean;
  organizer?: boolean;
}

/** A calendar event reduced to what workflows use; plain JSON. */
export interface CalendarEvent {
  id: string;
  status: string;
  summary?: string;
  description?: string;
  eventType: string;
  start?: CalendarEventTime;
  end?: CalendarEventTime;
  organizer?: string;
  creator?: string;
  attendees: CalendarEventAttendee[];
  transparency: 'opaque' | 'transparent';
  updated?: string;
  htmlLink?: string;
  extendedProperties: { private: Record<string, string> };
  /** Set on an instance of a recurring event: the recurring event's id. */
  recurringEventId?: string;
  /** An instance's start as the recurrence placed it (before any change to the instance). */
  originalStartTime?: CalendarEventTime;
}

export interface PatchEventInput extends EventRef {
  summary?: string;
  description?: string;
  start?: string;
  end?: string;
  /** Required when `start` or `end` is a date-time without an offset. */
  timeZone?: string;
  attendees?: EventAttendeeInput[];
  transparency?: 'opaque' | 'transparent';
  status?: 'confirmed' | 'tentative';
  privateProperties?: Record<string, string>;
  sendUpdates?: SendUpdates;
}

export interface DeleteEventInput extends EventRef {
  sendUpdates?: SendUpdates;
}

export interface ListChangesInput {
  calendarId: string;
  /** The `nextSyncToken` of the previous call; absent for the first, full, listing. */
  syncToken?: string;
  /**
   * List each instance of a recurring event rather than the recurring event (Calendar's
   * `singleEvents`). A sync token only serves listings made with the same value.
   */
  singleEvents?: boolean;
  actAs?: string;
}

export interface ListInstancesInput {
  calendarId: string;
  /** The recurring event. */
  eventId: string;
  /** Instances ending after this instant (RFC 3339 with an offset). */
  timeMin?: string;
  /** Instances starting before this instant. */
  timeMax?: string;
  /** Stop after this many (the earliest first); every instance when absent. */
  limit?: number;
  actAs?: string;
}

export interface ListInstancesResult {
  /** Its instances, cancelled ones left out; empty when the recurring event no longer exists. */
  events: CalendarEvent[];
  /** False when Calendar no longer knows the recurring event (deleted, or never existed). */
  found: boolean;
}

export interface ListChangesResult {
  /** Changed events since the token (deleted ones with status `cancelled`), or every event. */
  events: CalendarEvent[];
  nextSyncToken: string;
  /** True when `events` is a complete listing that replaces what the caller knew: no token was given, or it had expired. */
  fullResync: boolean;
}

export interface FreeBusyInput {
  /** RFC 3339 instants with an offset. */
  timeMin: string;
  timeMax: string;
  calendars: string[];
  actAs?: string;
}

export interface FreeBusyResult {
  calendars: Record<string, { busy: { start: string; end: string }[]; errors: string[] }>;
}

export interface WatchCalendarInput {
  idempotencyKey: string;
  calendarId: string;
  /** The HTTPS address notifications are posted to. */
  address: string;
  /** Echoed in `X-Goog-Channel-Token` with every notification, so the receiver can verify it. */
  token: string;
  ttlSeconds?: number;
  /**
   * When the channel is meant to expire, whole seconds since the epoch: part of the channel id
   * (and of the token), so a notification on an expired channel is refused without any stored
   * state. The same for every attempt of one watch.
   */
  expiresAtSeconds: number;
  actAs?: string;
}

export interface WatchCalendarResult {
  channelId: string;
  resourceId: string;
  /** When the channel stops delivering, epoch milliseconds. */
  expiration: number;
}

export interface StopChannelInput {
  channelId: string;
  resourceId: string;
  actAs?: string;
}

const SYSTEM = 'google-calendar' as const;
const PAGE_SIZE = 250;
/** A runaway pagination loop fails loudly instead of spinning. */
const MAX_PAGES = 400;
/** Calendar answers free/busy for at most 50 calendars per query. */
const FREEBUSY_BATCH = 50;
/**
 * Calendar refuses a free/busy range longer than about 90 days (`timeRangeTooLong`, reported
 * by users, not documented); longer ranges are asked in windows of 60 days, well inside it.
 */
export const FREEBUSY_WINDOW_MS = 60 * 86_400_000;
/** Watch ids that a retry may already have used; see `watchCalendar`. */
const MAX_CHANNEL_GENERATIONS = 5;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

export function createCalendarActivities(deps: CalendarActivityDeps) {
  const actorFor = (ctx: OperationContext, actAs: string | undefined): string => {
    const actor = actAs ?? deps.defaultActor;
    if (!actor)
      throw invalidInput(ctx, 'no user to act as: pass actAs or configure integrations.google.sender');
    return actor;
  };
  const clientFor = (ctx: OperationContext, actAs: string | undefined) =>
    deps.calendarFor(actorFor(ctx, actAs));
  const requireSecret = (ctx: OperationContext): string => {
    const secret = deps.eventIdSecret?.();
    if (!secret)
      throw ApplicationFailure.create({
        type: ErrorTypes.invalidInput,
        message: `${ctx.system} ${ctx.operation} [${ctx.key ?? ''}]: PRODOPS_WORKER_SECRET is not set on the worker: an invite whose answers count needs an id nobody can predict`,
        nonRetryable: true,
      });
    return secret;
  };
  const resolveId = (ref: EventRef, operation: string) =>
    resolveEventId(ref, operation, deps.eventIdSecret?.());

  async function upsertEvent(input: UpsertEventInput): Promise<UpsertEventResult> {
    const ctx: OperationContext = { system: SYSTEM, operation: 'events.upsert', key: input.idempotencyKey };
    const desired = desiredEvent(ctx, input, input.secretId ? requireSecret(ctx) : undefined);
    const actor = actorFor(ctx, input.actAs).toLowerCase();
    const calendar = clientFor(ctx, input.actAs);
    const calendarId = requireText(ctx, input.calendarId, 'calendarId');
    const eventId = desired.id!;
    const sendUpdates = input.sendUpdates;

    const inserted = await callGoogle({ ...ctx, operation: 'events.insert' }, async () => {
      try {
        const res = await calendar.events.insert({ calendarId, sendUpdates, requestBody: desired });
        return res.data;
      } catch (error) {
        // 409: an earlier attempt (or an earlier run) already made this id.
        if (googleErrorStatus(error) === 409) return undefined;
        throw error;
      }
    });
    if (inserted)
      return {
        id: inserted.id ?? eventId,
        htmlLink: inserted.htmlLink ?? undefined,
        created: true,
        updated: false,
      };

    const existing = await callGoogle({ ...ctx, operation: 'events.get' }, async () => {
      try {
        return (await calendar.events.get({ calendarId, eventId })).data;
      } catch (error) {
        if (googleErrorStatus(error) === 404) return undefined;
        throw error;
      }
    });
    if (!existing) {
      throw ApplicationFailure.create({
        type: ErrorTypes.conflict,
        message: `${SYSTEM} events.upsert [${input.idempotencyKey}]: event id ${eventId} is taken but the event is not visible on ${calendarId}`,
        nonRetryable: true,
      });
    }
    const organizer = existing.organizer?.email?.toLowerCase();
    if (
      input.secretId &&
      organizer !== undefined &&
      organizer !== actor &&
      organizer !== calendarId.toLowerCase()
    ) {
      throw ApplicationFailure.create({
        type: ErrorTypes.conflict,
        message: `${SYSTEM} events.upsert [${input.idempotencyKey}]: event ${eventId} on ${calendarId} is organised by ${organizer}, not ${actor}: it is not prodops' and its answers will not count`,
        nonRetryable: true,
      });
    }
    const existingType = existing.eventType ?? 'default';
    if (existingType !== (desired.eventType ?? 'default')) {
      throw ApplicationFailure.create({
        type: ErrorTypes.conflict,
        message: `${SYSTEM} events.upsert [${input.idempotencyKey}]: event ${eventId} exists as a ${existingType} event; an event's type cannot change`,
        nonRetryable: true,
      });
    }
    const changes = differences(existing, desired);
    if (!changes)
      return { id: eventId, htmlLink: existing.htmlLink ?? undefined, created: false, updated: false };

    const patched = await callGoogle({ ...ctx, operation: 'events.patch' }, async () => {
      const res = await calendar.events.patch({ calendarId, eventId, sendUpdates, requestBody: changes });
      return res.data;
    });
    return {
      id: eventId,
      htmlLink: patched.htmlLink ?? existing.htmlLink ?? undefined,
      created: false,
      updated: true,
    };
  }

  async function getEvent(input: EventRef): Promise<{ event: CalendarEvent | null }> {
    const eventId = resolveId(input, 'events.get');
    const ctx: OperationContext = {
      system: SYSTEM,
      operation: 'events.get',
      key: input.idempotencyKey ?? eventId,
    };
    const calendar = clientFor(ctx, input.actAs);
    const found = await callGoogle(ctx, async () => {
      try {
        return (await calendar.events.get({ calendarId: input.calendarId, eventId })).data;
      } catch (error) {
        if (googleErrorStatus(error) === 404) return undefined;
        throw error;
      }
    });
    return { event: found ? simplifyEvent(found) : null };
  }

  /**
   * What the attendees of an event answered, read from its organiser's calendar: the truth a
   * workflow checks an answer against before it counts (a signal only says where to look).
   */
  async function readInvite(input: {
    calendarId: string;
    eventId: string;
    actAs?: string;
  }): Promise<InviteReading> {
    const ctx: OperationContext = { system: SYSTEM, operation: 'events.get', key: input.eventId };
    requireText(ctx, input.calendarId, 'calendarId');
    requireText(ctx, input.eventId, 'eventId');
    const calendar = clientFor(ctx, input.actAs);
    const found = await callGoogle(ctx, async () => {
      try {
        return (await calendar.events.get({ calendarId: input.calendarId, eventId: input.eventId })).data;
      } catch (error) {
        const status = googleErrorStatus(error);
        if (status === 404 || status === 410) return undefined;
        throw error;
      }
    });
    if (!found)
      return {
        found: false,
        status: 'cancelled',
        organizer: null,
        prodopsKey: null,
        updated: null,
        attendees: [],
      };
    const updated = found.updated ? Date.parse(found.updated) : Number.NaN;
    return {
      found: true,
      status: found.status ?? 'confirmed',
      organizer: found.organizer?.email?.toLowerCase() ?? null,
      prodopsKey: found.extendedProperties?.private?.[CALENDAR_KEY_PROPERTY] ?? null,
      updated: Number.isFinite(updated) ? updated : null,
      attendees: (found.attendees ?? []).flatMap((a) =>
        a.email && !a.organizer
          ? [{ email: a.email.toLowerCase(), responseStatus: a.responseStatus ?? 'needsAction' }]
          : [],
      ),
    };
  }

  async function patchEvent(input: PatchEventInput): Promise<CalendarEvent> {
    const eventId = resolveId(input, 'events.patch');
    const ctx: OperationContext = {
      system: SYSTEM,
      operation: 'events.patch',
      key: input.idempotencyKey ?? eventId,
    };
    const requestBody: calendar_v3.Schema$Event = {};
    if (input.summary !== undefined) requestBody.summary = input.summary;
    if (input.description !== undefined) requestBody.description = input.description;
    if (input.transparency !== undefined) requestBody.transparency = input.transparency;
    if (input.status !== undefined) requestBody.status = input.status;
    if (input.attendees !== undefined) requestBody.attendees = attendeesOf(ctx, input.attendees);
    if (input.privateProperties !== undefined)
      requestBody.extendedProperties = { private: checkedProperties(ctx, input.privateProperties) };
    if (input.start !== undefined || input.end !== undefined) {
      if (input.start === undefined || input.end === undefined)
        throw invalidInput(ctx, 'start and end must change together');
      const { start, end } = eventTimes(ctx, input.start, input.end, input.timeZone);
      requestBody.start = start;
      requestBody.end = end;
    }
    if (Object.keys(requestBody).length === 0) throw invalidInput(ctx, 'nothing to change');
    const calendar = clientFor(ctx, input.actAs);
    if (requestBody.attendees) {
      // A replaced attendee list must not reset the answers people already gave.
      const current = await callGoogle({ ...ctx, operation: 'events.get' }, async () => {
        const res = await calendar.events.get({ calendarId: input.calendarId, eventId });
        return res.data;
      });
      const answers = new Map(
        (current.attendees ?? []).map((a) => [a.email?.toLowerCase(), a.responseStatus]),
      );
      requestBody.attendees = requestBody.attendees.map((a) => {
        const answer = answers.get(a.email ?? undefined);
        return answer ? { ...a, responseStatus: answer } : a;
      });
    }
    const patched = await callGoogle(ctx, async () => {
      const res = await calendar.events.patch({
        calendarId: input.calendarId,
        eventId,
        sendUpdates: input.sendUpdates,
        requestBody,
      });
      return res.data;
    });
    return simplifyEvent(patched);
  }

  async function deleteEvent(input: DeleteEventInput): Promise<{ deleted: boolean }> {
    const eventId = resolveId(input, 'events.delete');
    const ctx: OperationContext = {
      system: SYSTEM,
      operation: 'events.delete',
      key: input.idempotencyKey ?? eventId,
    };
    const calendar = clientFor(ctx, input.actAs);
    return callGoogle(ctx, async () => {
      try {
        await calendar.events.delete({
          calendarId: input.calendarId,
          eventId,
          sendUpdates: input.sendUpdates,
        });
        return { deleted: true };
      } catch (error) {
        // 404: never existed or purged; 410: already deleted. Either way the goal holds.
        const status = googleErrorStatus(error);
        if (status === 404 || status === 410) return { deleted: false };
        throw error;
      }
    });
  }

  async function listChanges(input: ListChangesInput): Promise<ListChangesResult> {
    const ctx: OperationContext = { system: SYSTEM, operation: 'events.list', key: input.calendarId };
    const calendar = clientFor(ctx, input.actAs);
    const single = input.singleEvents === true;
    if (input.syncToken !== undefined) {
      const incremental = await listAllPages(ctx, calendar, input.calendarId, input.syncToken, single);
      if (incremental !== 'expired') return { ...incremental, fullResync: false };
    }
    const full = await listAllPages(ctx, calendar, input.calendarId, undefined, single);
    return { ...full, fullResync: true };
  }

  async function listInstances(input: ListInstancesInput): Promise<ListInstancesResult> {
    const ctx: OperationContext = { system: SYSTEM, operation: 'events.instances', key: input.eventId };
    requireText(ctx, input.calendarId, 'calendarId');
    requireText(ctx, input.eventId, 'eventId');
    if (input.timeMin !== undefined) requireInstant(ctx, input.timeMin, 'timeMin');
    if (input.timeMax !== undefined) requireInstant(ctx, input.timeMax, 'timeMax');
    const limit = input.limit ?? Number.POSITIVE_INFINITY;
    if (input.limit !== undefined && (!Number.isInteger(input.limit) || input.limit < 1))
      throw invalidInput(ctx, 'limit must be a whole number above zero');
    const calendar = clientFor(ctx, input.actAs);
    const events: CalendarEvent[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await callGoogle(ctx, async () => {
        try {
          const res = await calendar.events.instances({
            calendarId: input.calendarId,
            eventId: input.eventId,
            timeMin: input.timeMin,
            timeMax: input.timeMax,
            pageToken,
            maxResults: Math.min(PAGE_SIZE, limit),
          });
          return res.data;
        } catch (error) {
          const status = googleErrorStatus(error);
          if (status === 404 || status === 410) return 'gone' as const;
          throw error;
        }
      });
      if (data === 'gone') return { events: [], found: false };
      for (const item of data.items ?? []) if (item.status !== 'cancelled') events.push(simplifyEvent(item));
      if (!data.nextPageToken || events.length >= limit)
        return { events: events.slice(0, limit), found: true };
      pageToken = data.nextPageToken;
    }
    throw ApplicationFailure.create({
      type: ErrorTypes.unknown,
      message: `${SYSTEM} events.instances [${input.eventId}]: more than ${MAX_PAGES} pages`,
      nonRetryable: false,
    });
  }

  async function freeBusy(input: FreeBusyInput): Promise<FreeBusyResult> {
    const ctx: OperationContext = {
      system: SYSTEM,
      operation: 'freebusy.query',
      key: input.calendars.join(',').slice(0, 200),
    };
    const timeMin = requireInstant(ctx, input.timeMin, 'timeMin');
    const timeMax = requireInstant(ctx, input.timeMax, 'timeMax');
    if (Date.parse(timeMax) <= Date.parse(timeMin)) throw invalidInput(ctx, 'timeMax must be after timeMin');
    const calendar = clientFor(ctx, input.actAs);
    const ids = [...new Set(input.calendars)];
    const busy = new Map<string, [number, number][]>(ids.map((id) => [id, []]));
    const errors = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
    const from = Date.parse(timeMin);
    const to = Date.parse(timeMax);
    for (let windowStart = from; windowStart < to; windowStart += FREEBUSY_WINDOW_MS) {
      const windowEnd = Math.min(windowStart + FREEBUSY_WINDOW_MS, to);
      // The caller's own strings when one window covers everything, so its offsets reach Calendar as given.
      const single = windowStart === from && windowEnd === to;
      const min = single ? timeMin : new Date(windowStart).toISOString();
      const max = single ? timeMax : new Date(windowEnd).toISOString();
      for (let i = 0; i < ids.length; i += FREEBUSY_BATCH) {
        const batch = ids.slice(i, i + FREEBUSY_BATCH);
        const data = await callGoogle(ctx, async () => {
          const res = await calendar.freebusy.query({
            requestBody: { timeMin: min, timeMax: max, items: batch.map((id) => ({ id })) },
          });
          return res.data;
        });
        for (const id of batch) {
          const entry = data.calendars?.[id];
          if (!entry) {
            errors.get(id)!.add('missingFromResponse');
            continue;
          }
          for (const reason of entry.errors ?? []) errors.get(id)!.add(reason.reason ?? 'unknown');
          for (const b of entry.busy ?? []) {
            const start = b.start ? Date.parse(b.start) : Number.NaN;
            const end = b.end ? Date.parse(b.end) : Number.NaN;
            if (Number.isFinite(start) && Number.isFinite(end)) busy.get(id)!.push([start, end]);
          }
        }
      }
    }
    const result: FreeBusyResult = { calendars: {} };
    for (const id of ids) {
      result.calendars[id] = {
        busy: mergeIntervals(busy.get(id)!).map(([start, end]) => ({
          start: rfc3339Utc(start),
          end: rfc3339Utc(end),
        })),
        errors: [...errors.get(id)!],
      };
    }
    return result;
  }

  /**
   * Channel ids come from the key, so a retry reuses the id. Calendar refuses a second watch with
   * an id that is still active (`channelIdNotUnique`), which tells us an earlier attempt made the
   * channel but its answer was lost: the next id in the key's sequence is used and the key's
   * other channels (same resource, so the same resourceId) are stopped, leaving exactly one.
   */
  async function watchCalendar(input: WatchCalendarInput): Promise<WatchCalendarResult> {
    const ctx: OperationContext = { system: SYSTEM, operation: 'events.watch', key: input.idempotencyKey };
    requireText(ctx, input.calendarId, 'calendarId');
    if (!/^https?:\/\/\S+$/.test(input.address))
      throw invalidInput(ctx, 'address must be an http(s) URL (Calendar itself insists on HTTPS)');
    if (input.token.length > 256) throw invalidInput(ctx, 'token must be at most 256 characters');
    if (input.ttlSeconds !== undefined && (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds <= 0)) {
      throw invalidInput(ctx, 'ttlSeconds must be a positive whole number');
    }
    if (!Number.isInteger(input.expiresAtSeconds) || input.expiresAtSeconds <= 0)
      throw invalidInput(ctx, 'expiresAtSeconds must be a positive whole number of seconds since the epoch');
    const calendar = clientFor(ctx, input.actAs);
    const base = channelIdBase(input.idempotencyKey, input.expiresAtSeconds);
    const idOf = (generation: number) => (generation === 0 ? base : `${base}-${generation}`);

    for (let generation = 0; generation < MAX_CHANNEL_GENERATIONS; generation++) {
      const channelId = idOf(generation);
      const channel = await callGoogle(ctx, async () => {
        try {
          const res = await calendar.events.watch({
            calendarId: input.calendarId,
            requestBody: {
              id: channelId,
              type: 'web_hook',
              address: input.address,
              token: input.token,
              params: input.ttlSeconds !== undefined ? { ttl: String(input.ttlSeconds) } : undefined,
            },
          });
          return res.data;
        } catch (error) {
          if (googleErrorStatus(error) === 400 && googleErrorReason(error) === 'channelIdNotUnique')
            return undefined;
          throw error;
        }
      });
      if (!channel) continue;
      if (!channel.resourceId || !channel.expiration) {
        throw ApplicationFailure.create({
          type: ErrorTypes.unknown,
          message: `${SYSTEM} events.watch [${input.idempotencyKey}]: the channel came back without a resourceId or expiration`,
          nonRetryable: false,
        });
      }
      // Any other id of the key may be live: refused just now, or left by an earlier run whose
      // first id had been stopped and so was free again. Stopping a missing channel is a no-op.
      for (let other = 0; other < MAX_CHANNEL_GENERATIONS; other++) {
        if (other !== generation) await stopQuietly(ctx, calendar, idOf(other), channel.resourceId);
      }
      return { channelId, resourceId: channel.resourceId, expiration: Number(channel.expiration) };
    }
    throw ApplicationFailure.create({
      type: ErrorTypes.conflict,
      message: `${SYSTEM} events.watch [${input.idempotencyKey}]: all ${MAX_CHANNEL_GENERATIONS} channel ids of this key are in use; stop them or use a new key`,
      nonRetryable: true,
    });
  }

  async function stopChannel(input: StopChannelInput): Promise<{ stopped: boolean }> {
    const ctx: OperationContext = { system: SYSTEM, operation: 'channels.stop', key: input.channelId };
    const calendar = clientFor(ctx, input.actAs);
    return { stopped: await stopQuietly(ctx, calendar, input.channelId, input.resourceId) };
  }

  /** Several events in one activity (one Temporal action), each idempotent by its key. */
  async function upsertEvents(input: { events: UpsertEventInput[] }): Promise<{
    results: BatchOutcome<UpsertEventResult>[];
  }> {
    return {
      results: await runBatch({ system: SYSTEM, operation: 'events.upsertMany' }, input.events, upsertEvent),
    };
  }

  async function deleteEvents(input: { events: DeleteEventInput[] }): Promise<{
    results: BatchOutcome<{ deleted: boolean }>[];
  }> {
    return {
      results: await runBatch({ system: SYSTEM, operation: 'events.deleteMany' }, input.events, deleteEvent),
    };
  }

  return {
    upsertEvent,
    upsertEvents,
    getEvent,
    readInvite,
    patchEvent,
    deleteEvent,
    deleteEvents,
    listChanges,
    listInstances,
    freeBusy,
    watchCalendar,
    stopChannel,
  };
}

export type CalendarActivities = ReturnType<typeof createCalendarActivities>;

async function stopQuietly(
  ctx: OperationContext,
  calendar: calendar_v3.Calendar,
  id: string,
  resourceId: string,
): Promise<boolean> {
  return callGoogle({ ...ctx, operation: 'channels.stop', key: id }, async () => {
    try {
      await calendar.channels.stop({ requestBody: { id, resourceId } });
      return true;
    } catch (error) {
      // Already stopped or expired.
      if (googleErrorStatus(error) === 404) return false;
      throw error;
    }
  });
}

interface ListedPages {
  events: CalendarEvent[];
  nextSyncToken: string;
}

/** Follows every page; with a sync token, `'expired'` means Calendar answered 410 and a full listing is due. */
async function listAllPages(
  ctx: OperationContext,
  calendar: calendar_v3.Calendar,
  calendarId: string,
  syncToken: string,
  singleEvents: boolean,
): Promise<ListedPages | 'expired'>;
async function listAllPages(
  ctx: OperationContext,
  calendar: calendar_v3.Calendar,
  calendarId: string,
  syncToken: undefined,
  singleEvents: boolean,
): Promise<ListedPages>;
async function listAllPages(
  ctx: OperationContext,
  calendar: calendar_v3.Calendar,
  calendarId: string,
  syncToken: string | undefined,
  singleEvents: boolean,
): Promise<ListedPages | 'expired'> {
  const events: CalendarEvent[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const data = await callGoogle(ctx, async () => {
      try {
        // A full listing includes nothing deleted; an incremental one always includes deletions.
        const res = await calendar.events.list({
          calendarId,
          syncToken,
          pageToken,
          maxResults: PAGE_SIZE,
          ...(singleEvents ? { singleEvents: true } : {}),
        });
        return res.data;
      } catch (error) {
        if (syncToken !== undefined && googleErrorStatus(error) === 410) return 'expired' as const;
        throw error;
      }
    });
    if (data === 'expired') return 'expired';
    for (const item of data.items ?? []) events.push(simplifyEvent(item));
    if (data.nextPageToken) {
      pageToken = data.nextPageToken;
      continue;
    }
    if (!data.nextSyncToken) {
      throw ApplicationFailure.create({
        type: ErrorTypes.unknown,
        message: `${SYSTEM} events.list [${calendarId}]: the last page carried no nextSyncToken`,
        nonRetryable: false,
      });
    }
    return { events, nextSyncToken: data.nextSyncToken };
  }
  throw ApplicationFailure.create({
    type: ErrorTypes.unknown,
    message: `${SYSTEM} events.list [${calendarId}]: more than ${MAX_PAGES} pages`,
    nonRetryable: false,
  });
}

/** Sorted, with touching or overlapping intervals joined (an event across a window edge comes back in two). */
function mergeIntervals(intervals: [number, number][]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [start, end] of [...intervals].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** `2026-03-26T10:00:00Z`, as Calendar writes free/busy instants. */
function rfc3339Utc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

function resolveEventId(ref: EventRef, operation: string, secret: string | undefined): string {
  const ctx: OperationContext = { system: SYSTEM, operation, key: ref.idempotencyKey ?? ref.eventId };
  requireText(ctx, ref.calendarId, 'calendarId');
  if (
    ref.eventId !== undefined &&
    ref.idempotencyKey !== undefined &&
    !isEventIdOf(ref.eventId, ref.idempotencyKey, secret)
  ) {
    throw invalidInput(ctx, 'eventId and idempotencyKey name different events');
  }
  if (ref.eventId !== undefined) return requireText(ctx, ref.eventId, 'eventId');
  if (ref.idempotencyKey !== undefined)
    return calendarEventId(requireText(ctx, ref.idempotencyKey, 'idempotencyKey'));
  throw invalidInput(ctx, 'pass eventId or idempotencyKey');
}

function requireText(ctx: OperationContext, value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalidInput(ctx, `${name} must be a non-empty string`);
  return value;
}

function requireInstant(ctx: OperationContext, value: string, name: string): string {
  const m = DATE_TIME.exec(value);
  if (!m || !m[8] || Number.isNaN(Date.parse(value)))
    throw invalidInput(ctx, `${name} must be an RFC 3339 date-time with an offset`);
  return value;
}

function desiredEvent(
  ctx: OperationContext,
  input: UpsertEventInput,
  secret: string | undefined,
): calendar_v3.Schema$Event {
  requireText(ctx, input.idempotencyKey, 'idempotencyKey');
  if (input.idempotencyKey.length > 1024)
    throw invalidInput(ctx, 'idempotencyKey must be at most 1024 characters');
  requireText(ctx, input.summary, 'summary');
  const { start, end } = eventTimes(ctx, input.start, input.end, input.timeZone);
  const eventType = input.eventType ?? 'default';
  if (eventType === 'outOfOffice' && input.attendees && input.attendees.length > 0) {
    throw invalidInput(ctx, 'an out-of-office event has no attendees');
  }
  // Calendar answers 400 to an all-day out-of-office event: a whole day is midnight to midnight.
  if (eventType === 'outOfOffice' && start.date !== undefined)
    throw invalidInput(
      ctx,
      'an out-of-office event has start and end times (YYYY-MM-DDTHH:MM), not whole dates: use 00:00 to 00:00 for whole days',
    );
  if (eventType !== 'outOfOffice' && input.outOfOffice !== undefined)
    throw invalidInput(ctx, 'outOfOffice applies to an out-of-office event only');
  return {
    id:
      secret !== undefined
        ? secretCalendarEventId(input.idempotencyKey, secret)
        : calendarEventId(input.idempotencyKey),
    summary: input.summary,
    description: input.description ?? '',
    start,
    end,
    attendees: attendeesOf(ctx, input.attendees ?? []),
    transparency: input.transparency ?? 'opaque',
    eventType,
    ...(eventType === 'outOfOffice'
      ? { outOfOfficeProperties: outOfOfficePropertiesOf(ctx, input.outOfOffice) }
      : {}),
    status: 'confirmed',
    extendedProperties: {
      private: {
        ...checkedProperties(ctx, input.privateProperties ?? {}),
        [CALENDAR_KEY_PROPERTY]: input.idempotencyKey,
      },
    },
  };
}

function outOfOfficePropertiesOf(
  ctx: OperationContext,
  options: OutOfOfficeOptions | undefined,
): calendar_v3.Schema$EventOutOfOfficeProperties {
  const mode = options?.autoDeclineMode ?? DEFAULT_AUTO_DECLINE_MODE;
  if (!AUTO_DECLINE_MODES.has(mode))
    throw invalidInput(
      ctx,
      `outOfOffice.autoDeclineMode must be one of ${[...AUTO_DECLINE_MODES].join(', ')}`,
    );
  const message = options?.declineMessage;
  if (message !== undefined && (typeof message !== 'string' || message.length > 1024))
    throw invalidInput(ctx, 'outOfOffice.declineMessage must be text of at most 1024 characters');
  return { autoDeclineMode: mode, ...(message ? { declineMessage: message } : {}) };
}

function checkedProperties(
  ctx: OperationContext,
  properties: Record<string, string>,
): Record<string, string> {
  for (const [key, value] of Object.entries(properties)) {
    // Calendar's limits on extended properties.
    if (key.length === 0 || key.length > 44)
      throw invalidInput(ctx, `private property "${key}" must have a 1–44 character name`);
    if (typeof value !== 'string' || value.length > 1024)
      throw invalidInput(ctx, `private property "${key}" must be a string of at most 1024 characters`);
  }
  return { ...properties };
}

function attendeesOf(
  ctx: OperationContext,
  attendees: EventAttendeeInput[],
): calendar_v3.Schema$EventAttendee[] {
  const seen = new Set<string>();
  const out: calendar_v3.Schema$EventAttendee[] = [];
  for (const attendee of attendees) {
    const email = attendee.email?.trim().toLowerCase();
    if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      throw invalidInput(ctx, `attendee "${String(attendee.email)}" is not an email address`);
    if (seen.has(email)) continue;
    seen.add(email);
    out.push(attendee.optional ? { email, optional: true } : { email });
  }
  return out;
}

/** Both ends as Calendar's EventDateTime: all-day dates, or date-times read in `timeZone`. */
function eventTimes(
  ctx: OperationContext,
  start: string,
  end: string,
  timeZone: string | undefined,
): { start: calendar_v3.Schema$EventDateTime; end: calendar_v3.Schema$EventDateTime } {
  const startAllDay = DATE.test(start);
  const endAllDay = DATE.test(end);
  if (startAllDay !== endAllDay)
    throw invalidInput(ctx, 'start and end must both be dates or both be date-times');
  if (startAllDay) {
    if (!isRealDate(start) || !isRealDate(end)) throw invalidInput(ctx, 'start and end must be real dates');
    if (end <= start)
      throw invalidInput(ctx, 'an all-day event ends on a later date than it starts (end is exclusive)');
    return { start: { date: start }, end: { date: end } };
  }
  if (timeZone !== undefined && !isRealTimeZone(timeZone))
    throw invalidInput(ctx, `"${timeZone}" is not an IANA time zone`);
  const s = normaliseDateTime(ctx, start, 'start', timeZone);
  const e = normaliseDateTime(ctx, end, 'end', timeZone);
  if (instantOf(e.dateTime!, timeZone) < instantOf(s.dateTime!, timeZone))
    throw invalidInput(ctx, 'end is before start');
  return { start: s, end: e };
}

function normaliseDateTime(
  ctx: OperationContext,
  value: string,
  name: string,
  timeZone: string | undefined,
): calendar_v3.Schema$EventDateTime {
  const m = DATE_TIME.exec(value);
  if (
    !m ||
    !isRealDate(`${m[1]}-${m[2]}-${m[3]}`) ||
    Number(m[4]) > 23 ||
    Number(m[5]) > 59 ||
    Number(m[6] ?? 0) > 59
  ) {
    throw invalidInput(ctx, `${name} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]`);
  }
  if (!m[8] && timeZone === undefined)
    throw invalidInput(ctx, `${name} has no offset, so timeZone is needed`);
  // Calendar wants seconds; milliseconds are ignored by it anyway.
  const dateTime = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[8] ?? ''}`;
  return timeZone !== undefined ? { dateTime, timeZone } : { dateTime };
}

/** Epoch milliseconds of an RFC 3339 date-time, reading an offset-less one in `timeZone`. */
export function instantOf(dateTime: string, timeZone: string | undefined): number {
  const m = DATE_TIME.exec(dateTime);
  if (!m) return Number.NaN;
  if (m[8]) return Date.parse(dateTime);
  if (!timeZone) return Number.NaN;
  try {
    const local = zonedDateTimeToInstant(`${m[1]}-${m[2]}-${m[3]}`, `${m[4]}:${m[5]}`, timeZone);
    return Date.parse(local) + Number(m[6] ?? 0) * 1000;
  } catch {
    return Number.NaN;
  }
}

function sameTime(
  existing: calendar_v3.Schema$EventDateTime | undefined,
  desired: calendar_v3.Schema$EventDateTime,
): boolean {
  if (!existing) return false;
  if (desired.date) return existing.date === desired.date && !existing.dateTime;
  if (!existing.dateTime || existing.date) return false;
  if ((existing.timeZone ?? undefined) !== (desired.timeZone ?? undefined)) return false;
  return (
    instantOf(existing.dateTime, existing.timeZone ?? undefined) ===
    instantOf(desired.dateTime!, desired.timeZone ?? undefined)
  );
}

/**
 * What must change on an existing event to match the desired one, or undefined when nothing
 * does. Attendees keep the answers they already gave.
 */
function differences(
  existing: calendar_v3.Schema$Event,
  desired: calendar_v3.Schema$Event,
): calendar_v3.Schema$Event | undefined {
  const patch: calendar_v3.Schema$Event = {};
  if (existing.status !== 'confirmed') patch.status = 'confirmed';
  if ((existing.summary ?? '') !== (desired.summary ?? '')) patch.summary = desired.summary;
  if ((existing.description ?? '') !== (desired.description ?? '')) patch.description = desired.description;
  if ((existing.transparency ?? 'opaque') !== (desired.transparency ?? 'opaque'))
    patch.transparency = desired.transparency;
  if (!sameTime(existing.start, desired.start!) || !sameTime(existing.end, desired.end!)) {
    patch.start = desired.start;
    patch.end = desired.end;
  }
  const current = new Map((existing.attendees ?? []).map((a) => [a.email?.toLowerCase() ?? '', a]));
  const wanted = desired.attendees ?? [];
  const attendeesMatch =
    current.size === wanted.length &&
    wanted.every((a) => {
      const have = current.get(a.email!);
      return have !== undefined && Boolean(have.optional) === Boolean(a.optional);
    });
  if (!attendeesMatch) {
    patch.attendees = wanted.map((a) => {
      const have = current.get(a.email!);
      return have?.responseStatus ? { ...a, responseStatus: have.responseStatus } : a;
    });
  }
  if (desired.outOfOfficeProperties) {
    const have = existing.outOfOfficeProperties ?? {};
    const want = desired.outOfOfficeProperties;
    if (
      have.autoDeclineMode !== want.autoDeclineMode ||
      (have.declineMessage ?? '') !== (want.declineMessage ?? '')
    )
      patch.outOfOfficeProperties = want;
  }
  const wantedProps = desired.extendedProperties?.private ?? {};
  const haveProps = existing.extendedProperties?.private ?? {};
  if (Object.entries(wantedProps).some(([k, v]) => haveProps[k] !== v))
    patch.extendedProperties = { private: wantedProps };
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function timeOf(value: calendar_v3.Schema$EventDateTime | undefined): CalendarEventTime | undefined {
  if (!value) return undefined;
  if (value.date) return { date: value.date };
  if (value.dateTime)
    return value.timeZone
      ? { dateTime: value.dateTime, timeZone: value.timeZone }
      : { dateTime: value.dateTime };
  return undefined;
}

/** Reduces a Calendar event to plain JSON; deleted events may carry little more than their id. */
export function simplifyEvent(event: calendar_v3.Schema$Event): CalendarEvent {
  const out: CalendarEvent = {
    id: event.id ?? '',
    status: event.status ?? 'confirmed',
    eventType: event.eventType ?? 'default',
    attendees: (event.attendees ?? []).map((a) => ({
      email: a.email ?? '',
      responseStatus: a.responseStatus ?? 'needsAction',
      ...(a.optional ? { optional: true } : {}),
      ...(a.organizer ? { organizer: true } : {}),
    })),
    transparency: event.transparency === 'transparent' ? 'transparent' : 'opaque',
    extendedProperties: { private: { ...(event.extendedProperties?.private ?? {}) } },
  };
  if (event.summary) out.summary = event.summary;
  if (event.description) out.description = event.description;
  const start = timeOf(event.start);
  const end = timeOf(event.end);
  if (start) out.start = start;
  if (end) out.end = end;
  if (event.organizer?.email) out.organizer = event.organizer.email;
  if (event.creator?.email) out.creator = event.creator.email;
  if (event.updated) out.updated = event.updated;
  if (event.htmlLink) out.htmlLink = event.htmlLink;
  if (event.recurringEventId) out.recurringEventId = event.recurringEventId;
  const originalStart = timeOf(event.originalStartTime);
  if (originalStart) out.originalStartTime = originalStart;
  return out;
}
