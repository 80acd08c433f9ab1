/**
 * `events.list`: filtered and ordered listings in pages, and incremental sync. A listing's last
 * page carries a sync token; listing with it later returns every event changed since, deleted
 * ones included. Every sync token stays valid until `invalidate` is called (Google answers 410
 * for an expired one, and a client must then list everything again).
 */
import { randomBytes } from 'node:crypto';
import type { CalendarStore } from './calendar';
import { fail, invalid } from './errors';
import { renderEvent } from './events';
import type { SandboxCalendar } from './model';
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
  ids: string[];
  offset: number;
  pageSize: number;
  seqAtStart: number;
}

function opaqueToken(): string {
  return randomBytes(18).toString('base64url');
}

export class EventListings {
  private readonly syncTokens = new Map<string, { calendarId: string; seq: number }>();
  private readonly pageCursors = new Map<string, PageCursor>();

  constructor(
    private readonly calendars: CalendarStore,
    private readonly now: () => number,
  ) {}

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
        ids: this.select(calendar, query),
        offset: 0,
        pageSize: maxResults,
        seqAtStart: this.calendars.seq,
      };
    }
    const ids = cursor.ids.slice(cursor.offset, cursor.offset + cursor.pageSize);
    const items = ids.flatMap((id) => {
      const event = this.calendars.find(calendar.id, id);
      return event ? [renderEvent(event, actor)] : [];
    });
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
    if (cursor.offset + cursor.pageSize < cursor.ids.length) {
      const next = opaqueToken();
      this.pageCursors.set(next, { ...cursor, offset: cursor.offset + cursor.pageSize });
      response.nextPageToken = next;
    } else {
      const syncToken = opaqueToken();
      this.syncTokens.set(syncToken, { calendarId: calendar.id, seq: cursor.seqAtStart });
      response.nextSyncToken = syncToken;
    }
    if (pageToken !== null) this.pageCursors.delete(pageToken);
    return response;
  }

  /** The ids a listing returns, in order, after checking the parameters as Calendar does. */
  private select(calendar: SandboxCalendar, query: URLSearchParams): string[] {
    const bool = (name: string): boolean | undefined => {
      const value = query.get(name);
      if (value === null) return undefined;
      if (value !== 'true' && value !== 'false') invalid(`Invalid boolean value: '${value}' for ${name}.`);
      return value === 'true';
    };
    const showDeleted = bool('showDeleted');
    const singleEvents = bool('singleEvents');
    const eventTypes = query.getAll('eventTypes');
    const inCalendar = this.calendars
      .eventsOf(calendar.id)
      .filter((e) => eventTypes.length === 0 || eventTypes.includes(e.eventType));

    const syncToken = query.get('syncToken');
    if (syncToken !== null) {
      const conflicting = SYNC_EXCLUSIVE_PARAMS.filter((name) => query.has(name));
      if (conflicting.length > 0)
        invalid(`The syncToken parameter cannot be combined with ${conflicting.join(', ')}.`);
      if (showDeleted === false)
        invalid('The syncToken parameter cannot be combined with showDeleted=false.');
      const entry = this.syncTokens.get(syncToken);
      if (!entry || entry.calendarId !== calendar.id)
        fail(410, 'Sync token is no longer valid, a full sync is required.', 'fullSyncRequired');
      return inCalendar
        .filter((e) => e.changeSeq > entry.seq)
        .sort((a, b) => a.changeSeq - b.changeSeq)
        .map((e) => e.id);
    }

    const orderBy = query.get('orderBy');
    if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated')
      invalid(`Invalid value for orderBy: ${orderBy}`);
    if (orderBy === 'startTime' && singleEvents !== true)
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

    const selected = inCalendar.filter((e) => {
      // Deleted events show when asked for, or when listing changes since updatedMin.
      if (e.status === 'cancelled' && showDeleted !== true && updatedMin === undefined) return false;
      if (timeMin !== undefined && e.endMs <= timeMin) return false;
      if (timeMax !== undefined && e.startMs >= timeMax) return false;
      if (updatedMin !== undefined && Date.parse(e.updated) < updatedMin) return false;
      if (privateFilters.some(([k, v]) => e.extendedProperties.private[k] !== v)) return false;
      if (iCalUID !== null && `${e.id}@google.com` !== iCalUID) return false;
      if (text && ![e.summary, e.description, e.location].some((f) => f?.toLowerCase().includes(text)))
        return false;
      return true;
    });
    if (orderBy === 'startTime') selected.sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
    else if (orderBy === 'updated') selected.sort((a, b) => a.changeSeq - b.changeSeq);
    else selected.sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
    return selected.map((e) => e.id);
  }
}
