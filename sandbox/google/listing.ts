/**
 * `events.list`: filtered and ordered listings in pages, and incremental sync. A listing's last
 * page carries a sync token; listing with it later returns every event changed since, deleted
 * ones included. Every sync token stays valid until `invalidate` is called (Google answers 410
 * for an expired one, and a client must then list everything again).
 *
 * Recurring events list as their master (and its changed or cancelled instances, which Calendar
 * includes even without showDeleted) or, with `singleEvents=true`, as instances. A sync token
 * remembers which: Calendar leaves a token used with other parameters undefined, so the sandbox
 * answers 410 and the client lists again.
 */
import { refill } from '../persist';
import { randomBytes } from 'node:crypto';
import type { CalendarStore } from './calendar';
import { fail, invalid } from './errors';
import { renderEvent } from './events';
import type { SandboxCalendar, SandboxEvent } from './model';
import { parseInstant } from './time';

const SYNC_EXCLUSIVE_PARAMS = [
  'iCalUID',
  'orderBy',
  'privateExtendedProperty',
  'q',
  'sharedExtendedProperty',
  'timeMin',
  'timeMax',
  'updatedMin',
];

interface PageCursor {
  calendarId: string;
  events: SandboxEvent[];
  offset: number;
  pageSize: number;
  seqAtStart: number;
  singleEvents: boolean;
}

function opaqueToken(): string {
  return randomBytes(18).toString('base64url');
}

export class EventListings {
  private readonly syncTokens = new Map<string, { calendarId: string; seq: number; singleEvents: boolean }>();
  private readonly pageCursors = new Map<string, PageCursor>();

  constructor(
    private readonly calendars: CalendarStore,
    private readonly now: () => number,
  ) {}

  exportState(): Record<string, unknown> {
    return { syncTokens: this.syncTokens, pageCursors: this.pageCursors };
  }

  importState(state: Record<string, unknown>): void {
    refill(this.syncTokens, state.syncTokens);
    refill(this.pageCursors, state.pageCursors);
  }

  reset(): void {
    this.syncTokens.clear();
    this.pageCursors.clear();
  }

  /** Makes every sync token (of one calendar, or all) answer 410, as Google does when they expire. */
  invalidate(calendarId?: string): void {
    for (const [token, entry] of this.syncTokens) {
      if (!calendarId || entry.calendarId === calendarId.toLowerCase()) this.syncTokens.delete(token);
    }
  }

  list(actor: string, calendar: SandboxCalendar, query: URLSearchParams): Record<string, unknown> {
    const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : 250;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 2500) {
      invalid(`Invalid value '${query.get('maxResults')}'. Values must be within the range: [1, 2500]`);
    }
    const pageToken = query.get('pageToken');
    let cursor: PageCursor;
    if (pageToken !== null) {
      const found = this.pageCursors.get(pageToken);
      if (!found || found.calendarId !== calendar.id) invalid('Invalid page token value.');
      cursor = found;
    } else {
      cursor = {
        calendarId: calendar.id,
        events: this.select(calendar, query),
        offset: 0,
        pageSize: maxResults,
        seqAtStart: this.calendars.seq,
        singleEvents: query.get('singleEvents') === 'true',
      };
    }
    const items = cursor.events
      .slice(cursor.offset, cursor.offset + cursor.pageSize)
      .map((event) => renderEvent(event, actor));
    const response: Record<string, unknown> = {
      kind: 'calendar#events',
      etag: `"${this.calendars.seq}"`,
      summary: calendar.summary,
      description: '',
      updated: new Date(this.now()).toISOString(),
      timeZone: calendar.timeZone,
      accessRole: calendar.acl.get(actor),
      defaultReminders: [],
      items,
    };
    if (cursor.offset + cursor.pageSize < cursor.events.length) {
      const next = opaqueToken();
      this.pageCursors.set(next, { ...cursor, offset: cursor.offset + cursor.pageSize });
      response.nextPageToken = next;
    } else {
      const syncToken = opaqueToken();
      this.syncTokens.set(syncToken, {
        calendarId: calendar.id,
        seq: cursor.seqAtStart,
        singleEvents: cursor.singleEvents,
      });
      response.nextSyncToken = syncToken;
    }
    if (pageToken !== null) this.pageCursors.delete(pageToken);
    return response;
  }

  /** Instances of a recurring event (`events.instances`), cancelled ones only with showDeleted. */
  instances(
    actor: string,
    calendar: SandboxCalendar,
    eventId: string,
    query: URLSearchParams,
  ): Record<string, unknown> {
    const master = this.calendars.find(calendar.id, eventId);
    if (!master || master.recurringEventId) fail(404, 'Not Found', 'notFound');
    const instant = (name: string) => (query.has(name) ? parseInstant(query.get(name)!, name) : undefined);
    const timeMin = instant('timeMin');
    const timeMax = instant('timeMax');
    const showDeleted = query.get('showDeleted') === 'true';
    const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : 250;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 2500)
      invalid(`Invalid value '${query.get('maxResults')}'. Values must be within the range: [1, 2500]`);
    const offset = query.has('pageToken') ? Number(query.get('pageToken')) : 0;
    if (!Number.isInteger(offset) || offset < 0) invalid('Invalid page token value.');
    const all = (
      master.recurrence ? this.calendars.instancesOf(master, timeMax ?? Infinity) : [master]
    ).filter(
      (e) =>
        (showDeleted || e.status !== 'cancelled') &&
        (timeMin === undefined || e.endMs > timeMin) &&
        (timeMax === undefined || e.startMs < timeMax),
    );
    const page = all.slice(offset, offset + maxResults);
    return {
      kind: 'calendar#events',
      etag: `"${this.calendars.seq}"`,
      summary: calendar.summary,
      updated: new Date(this.now()).toISOString(),
      timeZone: calendar.timeZone,
      accessRole: calendar.acl.get(actor),
      defaultReminders: [],
      items: page.map((e) => renderEvent(e, actor)),
      ...(offset + page.length < all.length ? { nextPageToken: String(offset + page.length) } : {}),
    };
  }

  /**
   * What a listing holds: with `singleEvents`, single events and every instance of recurring
   * ones; otherwise single events, masters and the instances that became exceptions.
   */
  private candidates(calendar: SandboxCalendar, singleEvents: boolean, timeMax: number | undefined) {
    const stored = this.calendars.eventsOf(calendar.id);
    if (!singleEvents) return stored;
    return stored.flatMap((e) => {
      if (e.recurringEventId) return [];
      return e.recurrence ? this.calendars.instancesOf(e, timeMax ?? Infinity) : [e];
    });
  }

  /** The events a listing returns, in order, after checking the parameters as Calendar does. */
  private select(calendar: SandboxCalendar, query: URLSearchParams): SandboxEvent[] {
    const bool = (name: string): boolean | undefined => {
      const value = query.get(name);
      if (value === null) return undefined;
      if (value !== 'true' && value !== 'false') invalid(`Invalid boolean value: '${value}' for ${name}.`);
      return value === 'true';
    };
    const showDeleted = bool('showDeleted');
    const singleEvents = bool('singleEvents') === true;
    const eventTypes = query.getAll('eventTypes');
    const ofType = (e: SandboxEvent) => eventTypes.length === 0 || eventTypes.includes(e.eventType);

    const syncToken = query.get('syncToken');
    if (syncToken !== null) {
      const conflicting = SYNC_EXCLUSIVE_PARAMS.filter((name) => query.has(name));
      if (conflicting.length > 0)
        invalid(`The syncToken parameter cannot be combined with ${conflicting.join(', ')}.`);
      if (showDeleted === false)
        invalid('The syncToken parameter cannot be combined with showDeleted=false.');
      const entry = this.syncTokens.get(syncToken);
      if (!entry || entry.calendarId !== calendar.id || entry.singleEvents !== singleEvents)
        fail(410, 'Sync token is no longer valid, a full sync is required.', 'fullSyncRequired');
      return this.candidates(calendar, singleEvents, undefined)
        .filter((e) => ofType(e) && e.changeSeq > entry.seq)
        .sort((a, b) => a.changeSeq - b.changeSeq || a.startMs - b.startMs);
    }

    const orderBy = query.get('orderBy');
    if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated')
      invalid(`Invalid value for orderBy: ${orderBy}`);
    if (orderBy === 'startTime' && !singleEvents)
      invalid('The requested ordering is not available for the particular query.');
    const instant = (name: string) => (query.has(name) ? parseInstant(query.get(name)!, name) : undefined);
    const timeMin = instant('timeMin');
    const timeMax = instant('timeMax');
    if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin)
      fail(400, 'The specified time range is empty.', 'timeRangeEmpty');
    const updatedMin = instant('updatedMin');
    const privateFilters = query.getAll('privateExtendedProperty').map((f) => {
      const at = f.indexOf('=');
      if (at <= 0) invalid(`Invalid privateExtendedProperty filter: ${f}`);
      return [f.slice(0, at), f.slice(at + 1)] as const;
    });
    const text = query.get('q')?.toLowerCase();
    const iCalUID = query.get('iCalUID');

    const selected = this.candidates(calendar, singleEvents, timeMax).filter((e) => {
      if (!ofType(e)) return false;
      // Deleted events show when asked for, or when listing changes since updatedMin; a
      // cancelled instance of a recurring event shows in a listing of masters all the same.
      const cancelledInstance = !singleEvents && e.recurringEventId !== undefined;
      if (e.status === 'cancelled' && showDeleted !== true && updatedMin === undefined && !cancelledInstance)
        return false;
      if (!e.recurrence || singleEvents) {
        if (timeMin !== undefined && e.endMs <= timeMin) return false;
        if (timeMax !== undefined && e.startMs >= timeMax) return false;
      }
      if (updatedMin !== undefined && Date.parse(e.updated) < updatedMin) return false;
      if (privateFilters.some(([k, v]) => e.extendedProperties.private[k] !== v)) return false;
      if (iCalUID !== null && `${e.recurringEventId ?? e.id}@google.com` !== iCalUID) return false;
      if (text && ![e.summary, e.description, e.location].some((f) => f?.toLowerCase().includes(text)))
        return false;
      return true;
    });
    if (orderBy === 'startTime') selected.sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
    else if (orderBy === 'updated') selected.sort((a, b) => a.changeSeq - b.changeSeq);
    else
      selected.sort(
        (a, b) => a.created.localeCompare(b.created) || a.startMs - b.startMs || a.id.localeCompare(b.id),
      );
    return selected;
  }
}
