/**
 * Google Calendar activities for the calendar-sync workflow, over the calendar activities:
 *
 * - `listCalendarChanges`: the incremental sync (a full listing when the token expired), reduced
 *   to the events a dispatcher can act on, so that a calendar with years of meetings still fits
 *   in a workflow's history. Recurring events are listed as their instances (`singleEvents`),
 *   each one its own change, cancelled instances included; instances of a recurring
 *   out-of-office event are passed on once they start within RECURRING_HORIZON_DAYS, and the
 *   ones further out are fetched as the horizon moves, so a weekly day off without an end never
 *   floods anyone with a year of requests at once;
 * - `watchCalendarChannel`: opens a push channel whose token is derived from the channel secret,
 *   which stays in the worker's environment and never enters workflow history.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { CalendarActivities, CalendarEvent, CalendarEventTime, WatchCalendarResult } from './calendar';
import { CALENDAR_KEY_PROPERTY } from '../contracts/stamps';
import { ErrorTypes } from './errors';
import { PRODOPS_WORKFLOW_ID_PROPERTY } from '../contracts/ids';
import { channelIdBase, channelToken } from '../contracts/node/channels';

/** An event as the dispatcher sees it: what a rule may need, nothing more. */
export interface SyncedEvent {
  id: string;
  status: string;
  eventType: string;
  summary?: string;
  start?: CalendarEventTime;
  end?: CalendarEventTime;
  updated?: string;
  attendees?: { email: string; responseStatus: string; organizer?: boolean }[];
  /** Set on events prodops made (its idempotency key). */
  prodopsKey?: string;
  /** Set on events whose answers a workflow waits for. */
  prodopsWorkflowId?: string;
  /** Set on an instance of a recurring event: the recurring event's id. */
  recurringEventId?: string;
  /** The organiser's email, lower case, on events whose answers a workflow waits for. */
  organizer?: string;
}

export interface CalendarSyncListing {
  events: SyncedEvent[];
  nextSyncToken: string;
  fullResync: boolean;
  /** How many events the listing held before reduction. */
  scanned: number;
}

/** Google's default life of a channel, when a watch names none. */
const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;

export interface CalendarSyncActivityDeps {
  calendar: Pick<CalendarActivities, 'listChanges' | 'listInstances' | 'watchCalendar'>;
  /** The secret new channels are signed with (the first of PRODOPS_CALENDAR_CHANNEL_SECRET). */
  channelSecret: () => string | undefined;
  /** The clock the horizon of recurring events moves with; injectable for tests. */
  now?: () => number;
}

/** How far ahead an instance of a recurring out-of-office event becomes a leave request. */
export const RECURRING_HORIZON_DAYS = 90;
/** Recurring out-of-office events followed beyond the horizon, per calendar. */
export const MAX_FOLLOWED_SERIES = 100;
const DAY_MS = 86_400_000;
/** Instances read ahead per followed series: a year of a weekly one. */
const SERIES_LOOKAHEAD = 60;
/**
 * The token handed to the workflow wraps Calendar's with what the horizon needs: its end, and
 * the recurring out-of-office events that still have instances beyond it. A token without the
 * prefix was made by a listing of recurring events rather than instances, which Calendar does
 * not promise to honour with `singleEvents`: it is answered with a full listing.
 */
const CURSOR_PREFIX = 'po1.';

interface SyncCursor {
  /** Calendar's sync token. */
  token: string;
  /** The horizon's end when the token was made, epoch ms. */
  horizon: number;
  /** Recurring out-of-office events with instances beyond it. */
  series: string[];
}

function encodeCursor(cursor: SyncCursor): string {
  return CURSOR_PREFIX + Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** The cursor a token carries, or null for a token this activity did not make. */
function decodeCursor(token: string): SyncCursor | null {
  if (!token.startsWith(CURSOR_PREFIX)) return null;
  try {
    const value = JSON.parse(
      Buffer.from(token.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8'),
    ) as Partial<SyncCursor>;
    if (
      typeof value.token === 'string' &&
      typeof value.horizon === 'number' &&
      Array.isArray(value.series) &&
      value.series.every((id) => typeof id === 'string')
    )
      return { token: value.token, horizon: value.horizon, series: value.series };
  } catch {
    // Not ours after all: listed again in full below.
  }
  return null;
}

/** When an event starts, epoch ms (an all-day event at the start of its day, UTC). */
function startOf(event: CalendarEvent): number {
  if (event.start?.dateTime) return Date.parse(event.start.dateTime);
  if (event.start?.date) return Date.parse(`${event.start.date}T00:00:00Z`);
  return Number.NaN;
}

const isFutureInstance = (event: CalendarEvent, horizon: number) =>
  event.recurringEventId !== undefined &&
  event.eventType === 'outOfOffice' &&
  event.status !== 'cancelled' &&
  startOf(event) >= horizon;

export function createCalendarSyncActivities(deps: CalendarSyncActivityDeps) {
  return {
    async listCalendarChanges(input: {
      calendarId: string;
      syncToken?: string;
      actAs?: string;
    }): Promise<CalendarSyncListing> {
      const now = deps.now?.() ?? Date.now();
      // Whole days, so that the instances further out are fetched once a day, not on every sync.
      const horizon = (Math.floor(now / DAY_MS) + RECURRING_HORIZON_DAYS) * DAY_MS;
      const cursor = input.syncToken !== undefined ? decodeCursor(input.syncToken) : null;
      const result = await deps.calendar.listChanges({
        calendarId: input.calendarId,
        ...(cursor ? { syncToken: cursor.token } : {}),
        singleEvents: true,
        ...(input.actAs !== undefined ? { actAs: input.actAs } : {}),
      });
      // A token made another way, or none, means a full listing: what it replaces is resynced.
      const fullResync = result.fullResync;
      const series = new Set(fullResync || !cursor ? [] : cursor.series);
      const listed: CalendarEvent[] = [];
      for (const event of result.events) {
        if (isFutureInstance(event, horizon)) {
          series.add(event.recurringEventId!);
          continue;
        }
        if (!event.recurringEventId && event.status === 'cancelled') series.delete(event.id);
        listed.push(event);
      }
      if (cursor && !fullResync && horizon > cursor.horizon) {
        const seen = new Set(listed.map((e) => e.id));
        for (const seriesId of [...series]) {
          // The next instances from the old horizon on: those now within it are news, and one
          // beyond it says the series still needs following.
          const instances = await deps.calendar.listInstances({
            calendarId: input.calendarId,
            eventId: seriesId,
            timeMin: new Date(cursor.horizon).toISOString(),
            limit: SERIES_LOOKAHEAD,
            ...(input.actAs !== undefined ? { actAs: input.actAs } : {}),
          });
          const ahead = instances.events.filter((e) => startOf(e) >= cursor.horizon);
          const exhausted =
            instances.events.length < SERIES_LOOKAHEAD && !ahead.some((e) => startOf(e) >= horizon);
          if (!instances.found || exhausted) series.delete(seriesId);
          for (const instance of ahead) {
            if (seen.has(instance.id) || startOf(instance) >= horizon) continue;
            if (instance.eventType !== 'outOfOffice') continue;
            listed.push(instance);
          }
        }
      }
      const followed = [...series].slice(-MAX_FOLLOWED_SERIES);
      const events: SyncedEvent[] = [];
      for (const event of listed) {
        const workflowId = event.extendedProperties.private[PRODOPS_WORKFLOW_ID_PROPERTY];
        if (event.status !== 'cancelled' && event.eventType !== 'outOfOffice' && !workflowId) continue;
        const prodopsKey = event.extendedProperties.private[CALENDAR_KEY_PROPERTY];
        events.push({
          id: event.id,
          status: event.status,
          eventType: event.eventType,
          ...(event.summary ? { summary: event.summary } : {}),
          ...(event.start ? { start: event.start } : {}),
          ...(event.end ? { end: event.end } : {}),
          ...(event.updated ? { updated: event.updated } : {}),
          ...(workflowId
            ? {
                attendees: event.attendees.map((a) => ({
                  email: a.email,
                  responseStatus: a.responseStatus,
                  ...(a.organizer ? { organizer: true } : {}),
                })),
                prodopsWorkflowId: workflowId,
                ...(event.organizer ? { organizer: event.organizer.toLowerCase() } : {}),
              }
            : {}),
          ...(prodopsKey ? { prodopsKey } : {}),
          ...(event.recurringEventId ? { recurringEventId: event.recurringEventId } : {}),
        });
      }
      return {
        events,
        nextSyncToken: encodeCursor({ token: result.nextSyncToken, horizon, series: followed }),
        fullResync,
        scanned: result.events.length,
      };
    },

    async watchCalendarChannel(input: {
      idempotencyKey: string;
      calendarId: string;
      address: string;
      ttlSeconds?: number;
      /** When the channel is meant to expire (seconds since the epoch), from workflow time. */
      expiresAtSeconds?: number;
      actAs?: string;
    }): Promise<WatchCalendarResult> {
      let secret: string | undefined;
      try {
        secret = deps.channelSecret();
      } catch (error) {
        throw ApplicationFailure.create({
          type: ErrorTypes.invalidInput,
          message: error instanceof Error ? error.message : String(error),
          nonRetryable: true,
        });
      }
      if (!secret) {
        throw ApplicationFailure.create({
          type: ErrorTypes.invalidInput,
          message:
            'PRODOPS_CALENDAR_CHANNEL_SECRET is not set on the worker: no channel can be opened whose notifications the calendar function would accept',
          nonRetryable: true,
        });
      }
      const expiresAtSeconds =
        input.expiresAtSeconds ?? Math.floor(Date.now() / 1000) + (input.ttlSeconds ?? DEFAULT_TTL_SECONDS);
      const family = channelIdBase(input.idempotencyKey, expiresAtSeconds);
      const token = channelToken(secret, family, input.calendarId);
      const opened = await deps.calendar.watchCalendar({ ...input, expiresAtSeconds, token });
      // The id's expiry bounds the channel: the trigger refuses notifications after it.
      return { ...opened, expiration: Math.min(opened.expiration, expiresAtSeconds * 1000) };
    },
  };
}

export type CalendarSyncActivities = ReturnType<typeof createCalendarSyncActivities>;
