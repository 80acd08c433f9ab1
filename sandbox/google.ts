/**
 * A stand-in for the Google Calendar v3 and Gmail v1 subset prodops uses, driven by the real
 * googleapis client through its `rootUrl`.
 *
 * Who is acting comes from `Authorization: Bearer sandbox-<email>`; the email must be a person
 * of the organisation or its sender mailbox. Every person has a primary calendar (id = email)
 * and a mailbox; teams with a `sharedCalendarId` have a shared calendar. Access follows a simple
 * ACL: a person owns their calendar and the sender mailbox may write to it (the organisation
 * shares calendars with prodops); a team calendar is owned by the sender and readable by its
 * members. Outside that the sandbox answers as Google does: 404 for a calendar one cannot see,
 * 403 for writing with read access only.
 *
 * Modelled simplifications: only the organiser's copy of an event exists (free/busy still counts
 * invitations for attendees), recurrence is not expanded, and every sync token stays valid until
 * `invalidateSyncTokens` is called.
 *
 * Push notifications work as Google's do: opening a channel posts a `sync` message to its
 * address, and every change to a calendar's events posts an `exists` message to each live
 * channel of that calendar (POST, no body, `X-Goog-*` headers, a message number per channel),
 * retried with backoff when the receiver answers 5xx or cannot be reached.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { OrgConfig } from '../domain/config';
import {
  VendorError,
  noContent,
  ok,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxRouter,
} from './http';
import type { SandboxVendor } from './index';

// ---------------------------------------------------------------------------------------------
// Google's error shape

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  410: 'FAILED_PRECONDITION',
  412: 'FAILED_PRECONDITION',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_REASONS: Record<number, string> = {
  400: 'badRequest',
  401: 'authError',
  403: 'forbidden',
  404: 'notFound',
  409: 'duplicate',
  410: 'deleted',
  413: 'uploadTooLarge',
  429: 'rateLimitExceeded',
  500: 'backendError',
  503: 'backendError',
};

export interface GoogleErrorDetail {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

export interface GoogleErrorBody {
  error: { code: number; message: string; errors: GoogleErrorDetail[]; status: string };
}

export function googleErrorBody(
  status: number,
  message: string,
  reason?: string,
  extra: Partial<GoogleErrorDetail> = {},
): GoogleErrorBody {
  const detail: GoogleErrorDetail = {
    domain:
      status === 429 || reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded'
        ? 'usageLimits'
        : 'global',
    reason: reason ?? DEFAULT_REASONS[status] ?? (status >= 500 ? 'backendError' : 'badRequest'),
    message,
    ...extra,
  };
  return { error: { code: status, message, errors: [detail], status: STATUS_NAMES[status] ?? 'UNKNOWN' } };
}

function fail(
  status: number,
  message: string,
  reason?: string,
  extra?: Partial<GoogleErrorDetail>,
  headers?: Record<string, string>,
): never {
  throw new VendorError(status, googleErrorBody(status, message, reason, extra), headers);
}

function invalid(message: string): never {
  fail(400, message, 'invalid');
}

// ---------------------------------------------------------------------------------------------
// Time

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/i;

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

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
function zonedInstant(
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
function formatInZone(instant: number, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  const pad = (n: number, l = 2) => String(n).padStart(l, '0');
  const offset = Math.round(offsetMs(instant, timeZone) / 60000);
  const zone =
    offset === 0
      ? 'Z'
      : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${pad(w.y, 4)}-${pad(w.m)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}${zone}`;
}

function utcSeconds(instant: number): string {
  return new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An RFC 3339 timestamp with a mandatory offset, as list and free/busy parameters require. */
function parseInstant(value: string, name: string): number {
  const m = DATE_TIME.exec(value);
  const at = Date.parse(value);
  if (!m || !m[8] || Number.isNaN(at))
    fail(400, `Bad Request: ${name} must be an RFC3339 timestamp with a time zone offset`, 'badRequest');
  return at;
}

// ---------------------------------------------------------------------------------------------
// State

export type AccessRole = 'owner' | 'writer' | 'reader';
export type ResponseStatus = 'needsAction' | 'declined' | 'tentative' | 'accepted';

export interface SandboxCalendar {
  id: string;
  summary: string;
  timeZone: string;
  /** The user whose primary calendar this is. */
  primaryOf?: string;
  acl: Map<string, AccessRole>;
}

export interface EventTimeValue {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface SandboxAttendee {
  email: string;
  displayName?: string;
  optional?: boolean;
  organizer?: boolean;
  responseStatus: ResponseStatus;
  comment?: string;
}

export interface SandboxEvent {
  calendarId: string;
  id: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  summary?: string;
  description?: string;
  location?: string;
  start: EventTimeValue;
  end: EventTimeValue;
  startMs: number;
  endMs: number;
  allDay: boolean;
  attendees: SandboxAttendee[];
  organizer: { email: string; displayName?: string };
  creator: { email: string };
  transparency?: 'opaque' | 'transparent';
  visibility?: string;
  eventType: string;
  extendedProperties: { private: Record<string, string>; shared: Record<string, string> };
  outOfOfficeProperties?: { autoDeclineMode?: string; declineMessage?: string };
  created: string;
  updated: string;
  sequence: number;
  /** Position in the sandbox-wide change order; sync tokens remember the last one seen. */
  changeSeq: number;
}

export interface WatchChannel {
  id: string;
  resourceId: string;
  resourceUri: string;
  calendarId: string;
  address: string;
  token?: string;
  /** Epoch milliseconds. */
  expiration: number;
  createdBy: string;
  /** The number of the last notification posted to the channel (the `sync` message is 1). */
  messageNumber: number;
}

/** One push notification attempt, for tests and the sandbox page. */
export interface PushDelivery {
  channelId: string;
  calendarId: string;
  address: string;
  state: 'sync' | 'exists' | 'not_exists';
  messageNumber: number;
  /** The receiver's HTTP status, or -1 when it could not be reached. */
  status: number;
  attempt: number;
  at: number;
}

export interface MimePart {
  headers: [string, string][];
  mimeType: string;
  body: Buffer;
  parts: MimePart[];
}

export interface SandboxMessage {
  mailbox: string;
  id: string;
  threadId: string;
  labelIds: string[];
  raw: Buffer;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  messageId: string;
  text?: string;
  html?: string;
  internalDate: number;
  mime: MimePart;
}

export interface ThrottleRule {
  /** 429, or 403 with `rateLimitExceeded` as Calendar and Gmail also answer. */
  status: 429 | 403;
  times: number;
  retryAfterSeconds?: number;
}

type Listener = (calendarId: string) => void;

const EVENT_ID = /^[a-v0-9]{5,1024}$/;
const CHANNEL_ID = /^[A-Za-z0-9\-_+/=]{1,64}$/;
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const DEFAULT_CHANNEL_TTL_SECONDS = 604_800;
const FREEBUSY_MAX_CALENDARS = 50;
const CREATABLE_EVENT_TYPES = new Set(['default', 'outOfOffice', 'focusTime', 'workingLocation']);
const RESPONSE_STATUSES = new Set<ResponseStatus>(['needsAction', 'declined', 'tentative', 'accepted']);
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

export interface GoogleSandboxOptions {
  now?: () => number;
  /** Post push notifications to channel addresses (default true). */
  pushNotifications?: boolean;
}

/** Google retries a notification the receiver failed with exponential backoff; a few tries here. */
const PUSH_RETRY_DELAYS_MS = [500, 2_000, 8_000];
const PUSH_TIMEOUT_MS = 5_000;
const PUSH_LOG_LIMIT = 500;

/** The Google fake's state and the operations behind its routes; also drives people's actions in tests. */
export class GoogleStore {
  private readonly now: () => number;
  private readonly users = new Set<string>();
  private readonly calendarsById = new Map<string, SandboxCalendar>();
  private readonly eventsByKey = new Map<string, SandboxEvent>();
  private readonly channelsById = new Map<string, WatchChannel>();
  private readonly mailboxes = new Map<string, SandboxMessage[]>();
  private readonly syncTokens = new Map<string, { calendarId: string; seq: number }>();
  private readonly pageCursors = new Map<string, PageCursor>();
  private readonly listeners = new Set<Listener>();
  private throttles: ThrottleRule[] = [];
  private seq = 0;
  private messageCounter = 0;
  private readonly pushEnabled: boolean;
  /** Notifications of one channel go out in order, each after the previous one settled. */
  private readonly pushQueues = new Map<string, Promise<void>>();
  private readonly pushLog: PushDelivery[] = [];

  constructor(
    private readonly config: OrgConfig,
    options: GoogleSandboxOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.pushEnabled = options.pushNotifications ?? true;
    this.seed();
  }

  /** The organisation's sender mailbox, if configured. */
  get sender(): string | undefined {
    return this.config.integrations.google.sender?.toLowerCase();
  }

  private seed(): void {
    const defaultZone = Object.values(this.config.calendars)[0]?.timezone ?? 'UTC';
    const sender = this.sender;
    for (const person of this.config.people) {
      const email = person.email.toLowerCase();
      this.users.add(email);
      const acl = new Map<string, AccessRole>([[email, 'owner']]);
      if (sender && sender !== email) acl.set(sender, 'writer');
      this.calendarsById.set(email, {
        id: email,
        summary: email,
        timeZone: this.config.calendars[person.calendar]?.timezone ?? defaultZone,
        primaryOf: email,
        acl,
      });
      this.mailboxes.set(email, []);
    }
    if (sender && !this.calendarsById.has(sender)) {
      this.users.add(sender);
      this.calendarsById.set(sender, {
        id: sender,
        summary: sender,
        timeZone: defaultZone,
        primaryOf: sender,
        acl: new Map([[sender, 'owner']]),
      });
      this.mailboxes.set(sender, []);
    }
    for (const team of this.config.teams) {
      if (!team.sharedCalendarId) continue;
      const id = team.sharedCalendarId.toLowerCase();
      const members = this.config.people.filter((p) => p.team === team.id);
      const zone = members[0]
        ? (this.config.calendars[members[0].calendar]?.timezone ?? defaultZone)
        : defaultZone;
      const acl = new Map<string, AccessRole>();
      for (const member of members) acl.set(member.email.toLowerCase(), sender ? 'reader' : 'writer');
      if (sender) acl.set(sender, 'owner');
      this.calendarsById.set(id, { id, summary: team.name, timeZone: zone, acl });
    }
  }

  reset(): void {
    this.pushLog.length = 0;
    this.users.clear();
    this.calendarsById.clear();
    this.eventsByKey.clear();
    this.channelsById.clear();
    this.mailboxes.clear();
    this.syncTokens.clear();
    this.pageCursors.clear();
    this.throttles = [];
    this.seq = 0;
    this.messageCounter = 0;
    this.seed();
  }

  // ---- observation and simulation ------------------------------------------------------------

  /** Called with the calendar id after any change to its events, for push notifications. */
  onCalendarChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get calendars(): SandboxCalendar[] {
    return [...this.calendarsById.values()];
  }

  /** Push notifications posted so far (every attempt), oldest first. */
  get pushes(): PushDelivery[] {
    return this.pushLog.map((p) => ({ ...p }));
  }

  /** Channels that have not expired or been stopped. */
  get channels(): WatchChannel[] {
    const now = this.now();
    return [...this.channelsById.values()].filter((c) => c.expiration > now).map((c) => ({ ...c }));
  }

  channelsFor(calendarId: string): WatchChannel[] {
    return this.channels.filter((c) => c.calendarId === calendarId.toLowerCase());
  }

  /** Events as the API would render them (to their organiser), deleted ones included. */
  events(calendarId?: string): Record<string, unknown>[] {
    return [...this.eventsByKey.values()]
      .filter((e) => !calendarId || e.calendarId === calendarId.toLowerCase())
      .map((e) => this.render(e, e.organizer.email));
  }

  event(calendarId: string, eventId: string): Record<string, unknown> | undefined {
    const found = this.eventsByKey.get(eventKey(calendarId.toLowerCase(), eventId));
    return found ? this.render(found, found.organizer.email) : undefined;
  }

  /** Every message in a mailbox (sent and received), newest first; all mailboxes when absent. */
  messages(mailbox?: string): SandboxMessage[] {
    const boxes = mailbox ? [this.mailboxes.get(mailbox.toLowerCase()) ?? []] : [...this.mailboxes.values()];
    return boxes.flat().sort((a, b) => b.internalDate - a.internalDate || b.id.localeCompare(a.id));
  }

  /** Changes who may see or change a calendar. */
  share(calendarId: string, email: string, role: AccessRole | 'none'): void {
    const calendar = this.calendarsById.get(calendarId.toLowerCase());
    if (!calendar) throw new Error(`google sandbox: no calendar ${calendarId}`);
    if (role === 'none') calendar.acl.delete(email.toLowerCase());
    else calendar.acl.set(email.toLowerCase(), role);
  }

  /** Makes every sync token (of one calendar, or all) answer 410, as Google does when they expire. */
  invalidateSyncTokens(calendarId?: string): void {
    for (const [token, entry] of this.syncTokens) {
      if (!calendarId || entry.calendarId === calendarId.toLowerCase()) this.syncTokens.delete(token);
    }
  }

  /** Answers the next requests with Google's rate-limit error. */
  throttle(rule: ThrottleRule): void {
    this.throttles.push({ ...rule });
  }

  /** An attendee answers an invitation: the organiser's copy changes, so incremental sync sees it. */
  respondToEvent(
    calendarId: string,
    eventId: string,
    attendeeEmail: string,
    response: 'accepted' | 'declined' | 'tentative',
  ): Record<string, unknown> {
    const event = this.eventsByKey.get(eventKey(calendarId.toLowerCase(), eventId));
    if (!event) throw new Error(`google sandbox: no event ${eventId} on ${calendarId}`);
    const attendee = event.attendees.find((a) => a.email === attendeeEmail.toLowerCase());
    if (!attendee) throw new Error(`google sandbox: ${attendeeEmail} is not invited to ${eventId}`);
    attendee.responseStatus = response;
    this.touch(event);
    this.notify(event.calendarId);
    return this.render(event, attendee.email);
  }

  /** A person creates an event themselves (for example an out-of-office block), on their primary calendar unless `calendarId` says otherwise. */
  createEventAs(
    email: string,
    event: Record<string, unknown> & { calendarId?: string },
  ): Record<string, unknown> {
    const { calendarId, ...body } = event;
    return asSimulation(() =>
      this.insertEvent(email.toLowerCase(), calendarId ?? 'primary', body, new URLSearchParams()),
    );
  }

  deleteEventAs(email: string, eventId: string, calendarId = 'primary'): void {
    asSimulation(() => this.deleteEvent(email.toLowerCase(), calendarId, eventId, new URLSearchParams()));
  }

  snapshot(): Record<string, unknown[]> {
    return {
      calendars: this.calendars.map((c) => ({
        id: c.id,
        summary: c.summary,
        timeZone: c.timeZone,
        acl: [...c.acl].map(([email, role]) => `${email}:${role}`).join(', '),
      })),
      events: [...this.eventsByKey.values()].map((e) => ({
        calendarId: e.calendarId,
        id: e.id,
        status: e.status,
        eventType: e.eventType,
        summary: e.summary,
        start: e.start.date ?? e.start.dateTime,
        end: e.end.date ?? e.end.dateTime,
        attendees: e.attendees.map((a) => `${a.email} (${a.responseStatus})`).join(', '),
        updated: e.updated,
      })),
      channels: this.channels.map((c) => ({
        id: c.id,
        calendarId: c.calendarId,
        address: c.address,
        resourceId: c.resourceId,
        expiration: new Date(c.expiration).toISOString(),
      })),
      messages: this.messages().map((m) => ({
        mailbox: m.mailbox,
        id: m.id,
        labels: m.labelIds.join(', '),
        from: m.from,
        to: [...m.to, ...m.cc].join(', '),
        subject: m.subject,
        messageId: m.messageId,
        date: new Date(m.internalDate).toISOString(),
      })),
    };
  }

  // ---- request plumbing ----------------------------------------------------------------------

  /** Who is acting: `Bearer sandbox-<email>` of a known user, else 401 as Google answers it. */
  authenticate(req: SandboxRequest): string {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer sandbox-(.+)$/.exec(header.trim()) : null;
    const email = match?.[1]?.toLowerCase();
    if (!email || !this.users.has(email)) {
      fail(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        'authError',
        { message: 'Invalid Credentials', location: 'Authorization', locationType: 'header' },
        { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
      );
    }
    return email;
  }

  takeThrottle(): void {
    const rule = this.throttles.find((r) => r.times > 0);
    if (!rule) return;
    rule.times -= 1;
    const headers =
      rule.retryAfterSeconds !== undefined ? { 'retry-after': String(rule.retryAfterSeconds) } : undefined;
    if (rule.status === 403) fail(403, 'Rate Limit Exceeded', 'rateLimitExceeded', {}, headers);
    fail(429, 'Rate Limit Exceeded', 'rateLimitExceeded', {}, headers);
  }

  private notify(calendarId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(calendarId);
      } catch {
        // A broken listener must not turn a successful API call into a failure.
      }
    }
    const now = this.now();
    for (const channel of this.channelsById.values()) {
      if (channel.calendarId === calendarId && channel.expiration > now) this.push(channel, 'exists');
    }
  }

  /** Posts a notification to the channel's address after the ones before it, as Google does. */
  private push(channel: WatchChannel, state: PushDelivery['state']): void {
    if (!this.pushEnabled) return;
    channel.messageNumber += 1;
    const messageNumber = channel.messageNumber;
    const headers: Record<string, string> = {
      'x-goog-channel-id': channel.id,
      'x-goog-channel-expiration': new Date(channel.expiration).toUTCString(),
      'x-goog-resource-id': channel.resourceId,
      'x-goog-resource-state': state,
      'x-goog-resource-uri': channel.resourceUri,
      'x-goog-message-number': String(messageNumber),
      ...(channel.token !== undefined ? { 'x-goog-channel-token': channel.token } : {}),
    };
    const previous = this.pushQueues.get(channel.id) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(channel, state, messageNumber, headers));
    this.pushQueues.set(channel.id, next);
    void next.finally(() => {
      if (this.pushQueues.get(channel.id) === next) this.pushQueues.delete(channel.id);
    });
  }

  private async deliver(
    channel: WatchChannel,
    state: PushDelivery['state'],
    messageNumber: number,
    headers: Record<string, string>,
  ): Promise<void> {
    for (let attempt = 1; attempt <= PUSH_RETRY_DELAYS_MS.length + 1; attempt++) {
      // A channel stopped (or the sandbox reset) meanwhile gets nothing more.
      if (this.channelsById.get(channel.id) !== channel) return;
      let status: number;
      try {
        const response = await fetch(channel.address, {
          method: 'POST',
          headers,
          signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
        });
        status = response.status;
        await response.body?.cancel();
      } catch {
        status = -1;
      }
      this.pushLog.push({
        channelId: channel.id,
        calendarId: channel.calendarId,
        address: channel.address,
        state,
        messageNumber,
        status,
        attempt,
        at: Date.now(),
      });
      if (this.pushLog.length > PUSH_LOG_LIMIT) this.pushLog.splice(0, this.pushLog.length - PUSH_LOG_LIMIT);
      if (status !== -1 && status < 500) return;
      const delay = PUSH_RETRY_DELAYS_MS[attempt - 1];
      if (delay === undefined) return;
      await new Promise<void>((resolve) => setTimeout(resolve, delay).unref());
    }
  }

  private touch(event: SandboxEvent): void {
    event.changeSeq = ++this.seq;
    event.updated = new Date(this.now()).toISOString();
  }

  private resolveCalendar(actor: string, calendarIdParam: string): SandboxCalendar | undefined {
    const id = calendarIdParam.toLowerCase() === 'primary' ? actor : calendarIdParam.toLowerCase();
    return this.calendarsById.get(id);
  }

  private readable(actor: string, calendarIdParam: string): SandboxCalendar {
    const calendar = this.resolveCalendar(actor, calendarIdParam);
    if (!calendar || !calendar.acl.has(actor)) fail(404, 'Not Found', 'notFound');
    return calendar;
  }

  private writable(actor: string, calendarIdParam: string): SandboxCalendar {
    const calendar = this.readable(actor, calendarIdParam);
    if (calendar.acl.get(actor) === 'reader')
      fail(403, 'You need to have writer access to this calendar.', 'requiredAccessLevel');
    return calendar;
  }

  private findEvent(calendar: SandboxCalendar, eventId: string): SandboxEvent {
    const event = this.eventsByKey.get(eventKey(calendar.id, eventId));
    if (!event) fail(404, 'Not Found', 'notFound');
    return event;
  }

  // ---- Calendar: events ----------------------------------------------------------------------

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
    applyPlainFields(event, fields, 'replace');
    if (eventType === 'outOfOffice') event.outOfOfficeProperties = fields.outOfOfficeProperties ?? {};
    this.touch(event);
    this.eventsByKey.set(eventKey(calendar.id, id), event);
    this.notify(calendar.id);
    return this.render(event, actor);
  }

  getEvent(actor: string, calendarIdParam: string, eventId: string): Record<string, unknown> {
    const calendar = this.readable(actor, calendarIdParam);
    return this.render(this.findEvent(calendar, eventId), actor);
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
    if (fields.attendees !== undefined || mode === 'update')
      event.attendees = mergeAttendees(event.attendees, fields.attendees ?? [], event.organizer.email);
    if (fields.status !== undefined) event.status = fields.status;
    applyPlainFields(event, fields, mode === 'update' ? 'replace' : 'merge');
    if (event.eventType === 'outOfOffice' && fields.outOfOfficeProperties !== undefined)
      event.outOfOfficeProperties = fields.outOfOfficeProperties;
    this.touch(event);
    this.notify(calendar.id);
    return this.render(event, actor);
  }

  deleteEvent(actor: string, calendarIdParam: string, eventId: string, query: URLSearchParams): void {
    const calendar = this.writable(actor, calendarIdParam);
    checkSendUpdates(query);
    const event = this.findEvent(calendar, eventId);
    if (event.status === 'cancelled') fail(410, 'Resource has been deleted', 'deleted');
    event.status = 'cancelled';
    this.touch(event);
    this.notify(calendar.id);
  }

  listEvents(actor: string, calendarIdParam: string, query: URLSearchParams): Record<string, unknown> {
    const calendar = this.readable(actor, calendarIdParam);
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
        ids: this.selectEvents(calendar, query),
        offset: 0,
        pageSize: maxResults,
        seqAtStart: this.seq,
      };
    }
    const ids = cursor.ids.slice(cursor.offset, cursor.offset + cursor.pageSize);
    const items = ids.flatMap((id) => {
      const event = this.eventsByKey.get(eventKey(calendar.id, id));
      return event ? [this.render(event, actor)] : [];
    });
    const response: Record<string, unknown> = {
      kind: 'calendar#events',
      etag: `"${this.seq}"`,
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
  private selectEvents(calendar: SandboxCalendar, query: URLSearchParams): string[] {
    const bool = (name: string): boolean | undefined => {
      const value = query.get(name);
      if (value === null) return undefined;
      if (value !== 'true' && value !== 'false') invalid(`Invalid boolean value: '${value}' for ${name}.`);
      return value === 'true';
    };
    const showDeleted = bool('showDeleted');
    const singleEvents = bool('singleEvents');
    const eventTypes = query.getAll('eventTypes');
    const inCalendar = [...this.eventsByKey.values()].filter(
      (e) => e.calendarId === calendar.id && (eventTypes.length === 0 || eventTypes.includes(e.eventType)),
    );

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
    const timeMin = query.has('timeMin') ? parseInstant(query.get('timeMin')!, 'timeMin') : undefined;
    const timeMax = query.has('timeMax') ? parseInstant(query.get('timeMax')!, 'timeMax') : undefined;
    if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin)
      fail(400, 'The specified time range is empty.', 'timeRangeEmpty');
    const updatedMin = query.has('updatedMin')
      ? parseInstant(query.get('updatedMin')!, 'updatedMin')
      : undefined;
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

  // ---- Calendar: free/busy and channels ------------------------------------------------------

  freeBusy(actor: string, body: unknown): Record<string, unknown> {
    const request = asObject(body, 'request body');
    if (typeof request.timeMin !== 'string') fail(400, 'Missing timeMin parameter.', 'required');
    if (typeof request.timeMax !== 'string') fail(400, 'Missing timeMax parameter.', 'required');
    const timeMin = parseInstant(request.timeMin, 'timeMin');
    const timeMax = parseInstant(request.timeMax, 'timeMax');
    if (timeMax <= timeMin) fail(400, 'The specified time range is empty.', 'timeRangeEmpty');
    if (request.items !== undefined && !Array.isArray(request.items)) invalid('Invalid value for: items');
    const items = (request.items as unknown[] | undefined) ?? [];
    const calendars: Record<string, unknown> = {};
    items.forEach((item, index) => {
      const id = (item as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || id === '') invalid('Invalid value for: items.id');
      if (index >= FREEBUSY_MAX_CALENDARS) {
        calendars[id] = { errors: [{ domain: 'global', reason: 'tooManyCalendarsRequested' }], busy: [] };
        return;
      }
      const calendar = this.resolveCalendar(actor, id);
      // Within the organisation every calendar shares its free/busy information.
      if (!calendar) {
        calendars[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
        return;
      }
      calendars[id] = {
        busy: this.busyIntervals(calendar, timeMin, timeMax).map(([s, e]) => ({
          start: utcSeconds(s),
          end: utcSeconds(e),
        })),
      };
    });
    return {
      kind: 'calendar#freeBusy',
      timeMin: utcSeconds(timeMin),
      timeMax: utcSeconds(timeMax),
      calendars,
    };
  }

  private busyIntervals(calendar: SandboxCalendar, from: number, to: number): [number, number][] {
    const blocking = (e: SandboxEvent) =>
      e.status !== 'cancelled' && e.transparency !== 'transparent' && e.startMs < to && e.endMs > from;
    const intervals: [number, number][] = [];
    for (const event of this.eventsByKey.values()) {
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

  watchEvents(actor: string, calendarIdParam: string, body: unknown): Record<string, unknown> {
    const calendar = this.readable(actor, calendarIdParam);
    const request = asObject(body, 'request body');
    if (typeof request.id !== 'string' || request.id === '')
      fail(400, 'Required', 'required', { location: 'id' });
    if (!CHANNEL_ID.test(request.id)) invalid(`Invalid channel id: ${request.id}`);
    if (request.type !== 'web_hook' && request.type !== 'webhook')
      invalid(`Invalid value for type: ${String(request.type)}`);
    if (typeof request.address !== 'string' || request.address === '')
      fail(400, 'Required', 'required', { location: 'address' });
    let address: URL;
    try {
      address = new URL(request.address);
    } catch {
      invalid(`Invalid address: ${request.address}`);
    }
    // Google insists on HTTPS; plain HTTP is allowed to loopback only, for a local receiver.
    const loopback =
      address.hostname === '127.0.0.1' || address.hostname === 'localhost' || address.hostname === '[::1]';
    if (address.protocol !== 'https:' && !(address.protocol === 'http:' && loopback)) {
      fail(400, `WebHook callback must be HTTPS: ${request.address}`, 'push.webhookUrlNotHttps', {
        domain: 'push',
      });
    }
    if (request.token !== undefined && (typeof request.token !== 'string' || request.token.length > 256))
      invalid('Invalid value for: token');
    let ttlSeconds = DEFAULT_CHANNEL_TTL_SECONDS;
    const params = request.params as { ttl?: unknown } | undefined;
    if (params?.ttl !== undefined) {
      const ttl =
        typeof params.ttl === 'string' && /^\d+$/.test(params.ttl) ? Number(params.ttl) : Number.NaN;
      if (!Number.isSafeInteger(ttl) || ttl <= 0) invalid(`Invalid ttl value: ${JSON.stringify(params.ttl)}`);
      ttlSeconds = ttl;
    }
    const existing = this.channelsById.get(request.id);
    if (existing && existing.expiration > this.now())
      fail(400, `Channel id ${request.id} not unique`, 'channelIdNotUnique');
    const channel: WatchChannel = {
      id: request.id,
      resourceId: resourceIdOf(calendar.id),
      resourceUri: `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(calendar.id)}/events?alt=json`,
      calendarId: calendar.id,
      address: request.address,
      token: request.token,
      expiration: this.now() + ttlSeconds * 1000,
      createdBy: actor,
      messageNumber: 0,
    };
    this.channelsById.set(channel.id, channel);
    this.push(channel, 'sync');
    return {
      kind: 'api#channel',
      id: channel.id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
      ...(channel.token !== undefined ? { token: channel.token } : {}),
      expiration: String(channel.expiration),
    };
  }

  stopChannel(actor: string, body: unknown): void {
    const request = asObject(body, 'request body');
    if (typeof request.id !== 'string' || typeof request.resourceId !== 'string')
      fail(400, 'Required', 'required');
    const channel = this.channelsById.get(request.id);
    // Only the user who opened a channel can see it.
    if (
      !channel ||
      channel.resourceId !== request.resourceId ||
      channel.createdBy !== actor ||
      channel.expiration <= this.now()
    ) {
      fail(404, `Channel '${request.id}' not found for project 'prodops-sandbox'`, 'notFound');
    }
    this.channelsById.delete(channel.id);
  }

  // ---- Gmail ---------------------------------------------------------------------------------

  private mailboxOf(actor: string, userId: string): string {
    if (userId === 'me' || userId.toLowerCase() === actor) return actor;
    fail(403, `Delegation denied for ${userId}`, 'forbidden');
  }

  sendMessage(actor: string, userId: string, body: unknown): Record<string, unknown> {
    const mailbox = this.mailboxOf(actor, userId);
    const request = body === undefined ? {} : asObject(body, 'message');
    if (request.raw === undefined || request.raw === '') {
      invalid("'raw' RFC822 payload message string or uploading message via /upload/* URL required");
    }
    if (typeof request.raw !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(request.raw)) {
      const shown = (typeof request.raw === 'string' ? request.raw : JSON.stringify(request.raw)).slice(
        0,
        40,
      );
      invalid(`Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for "${shown}"`);
    }
    const raw = Buffer.from(request.raw, 'base64url');
    const mime = parseMime(raw);
    const header = (name: string) => headerOf(mime.headers, name);
    const to = parseAddressList(header('to'), 'To');
    const cc = parseAddressList(header('cc'), 'Cc');
    const bcc = parseAddressList(header('bcc'), 'Bcc');
    if (to.length + cc.length + bcc.length === 0) invalid('Recipient address required');
    // Gmail sends as the authenticated user, whatever From says (no send-as aliases here).
    const fromHeader = header('from');
    const fromAddresses = fromHeader ? parseAddressList(fromHeader, 'From') : [];
    const from = fromAddresses[0] === mailbox ? fromHeader! : mailbox;
    const messageId = header('message-id')?.trim() || `<${randomBytes(12).toString('hex')}@mail.gmail.com>`;
    const { text, html } = bodiesOf(mime);
    const base = {
      raw,
      from,
      to,
      cc,
      subject: decodeWords(header('subject') ?? ''),
      messageId,
      text,
      html,
      internalDate: this.now(),
      mime,
    };

    let threadId: string | undefined;
    if (request.threadId !== undefined) {
      if (
        typeof request.threadId !== 'string' ||
        !this.mailboxMessages(mailbox).some((m) => m.threadId === request.threadId)
      ) {
        fail(404, 'Requested entity was not found.', 'notFound');
      }
      threadId = request.threadId;
    }
    const sentId = this.nextMessageId();
    const sent: SandboxMessage = {
      ...base,
      mailbox,
      id: sentId,
      threadId: threadId ?? sentId,
      labelIds: ['SENT'],
    };
    this.mailboxMessages(mailbox).push(sent);
    for (const recipient of new Set([...to, ...cc, ...bcc])) {
      if (!this.mailboxes.has(recipient)) continue;
      const id = this.nextMessageId();
      const copy: SandboxMessage = {
        ...base,
        mailbox: recipient,
        id,
        threadId: id,
        labelIds: ['INBOX', 'UNREAD'],
      };
      // Bcc never shows in delivered copies.
      this.mailboxMessages(recipient).push(copy);
    }
    return { id: sent.id, threadId: sent.threadId, labelIds: sent.labelIds };
  }

  listMessages(actor: string, userId: string, query: URLSearchParams): Record<string, unknown> {
    const mailbox = this.mailboxOf(actor, userId);
    const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : 100;
    if (!Number.isInteger(maxResults) || maxResults < 1)
      invalid(`Invalid maxResults: ${query.get('maxResults')}`);
    const includeSpamTrash = query.get('includeSpamTrash') === 'true';
    const labelIds = query.getAll('labelIds');
    const terms = parseSearch(query.get('q') ?? '');
    const everywhere =
      includeSpamTrash || terms.some((t) => t.op === 'in' && ['anywhere', 'trash', 'spam'].includes(t.value));
    const matches = this.messages(mailbox).filter(
      (m) =>
        (everywhere || !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH')) &&
        labelIds.every((l) => m.labelIds.includes(l)) &&
        terms.every((t) => matchesTerm(m, t) !== t.negated),
    );
    const offset = query.has('pageToken') ? Number(query.get('pageToken')) : 0;
    if (!Number.isInteger(offset) || offset < 0) invalid('Invalid pageToken');
    const page = matches.slice(offset, offset + Math.min(maxResults, 500));
    const response: Record<string, unknown> = { resultSizeEstimate: matches.length };
    if (page.length > 0) response.messages = page.map((m) => ({ id: m.id, threadId: m.threadId }));
    if (offset + page.length < matches.length) response.nextPageToken = String(offset + page.length);
    return response;
  }

  getMessage(actor: string, userId: string, id: string, query: URLSearchParams): Record<string, unknown> {
    const mailbox = this.mailboxOf(actor, userId);
    const message = this.mailboxMessages(mailbox).find((m) => m.id === id);
    if (!message) fail(404, 'Requested entity was not found.', 'notFound');
    const format = query.get('format') ?? 'full';
    if (!['full', 'metadata', 'minimal', 'raw'].includes(format))
      invalid(`Invalid value at 'format' (${format})`);
    const out: Record<string, unknown> = {
      id: message.id,
      threadId: message.threadId,
      labelIds: message.labelIds,
      snippet: (message.text ?? '').replace(/\s+/g, ' ').trim().slice(0, 100),
      historyId: String(message.internalDate),
      internalDate: String(message.internalDate),
      sizeEstimate: message.raw.length,
    };
    if (format === 'raw') out.raw = message.raw.toString('base64url');
    if (format === 'full') out.payload = payloadOf(message.mime, '');
    if (format === 'metadata') {
      const wanted = query.getAll('metadataHeaders').map((h) => h.toLowerCase());
      const headers = message.mime.headers.filter(
        ([name]) => wanted.length === 0 || wanted.includes(name.toLowerCase()),
      );
      out.payload = {
        mimeType: message.mime.mimeType,
        headers: headers.map(([name, value]) => ({ name, value })),
      };
    }
    return out;
  }

  private mailboxMessages(mailbox: string): SandboxMessage[] {
    let box = this.mailboxes.get(mailbox);
    if (!box) {
      box = [];
      this.mailboxes.set(mailbox, box);
    }
    return box;
  }

  private nextMessageId(): string {
    this.messageCounter += 1;
    return `${this.now().toString(16)}${this.messageCounter.toString(16).padStart(4, '0')}`
      .slice(-16)
      .padStart(16, '0');
  }

  // ---- rendering -----------------------------------------------------------------------------

  private render(event: SandboxEvent, viewer: string): Record<string, unknown> {
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
    out.iCalUID = `${event.id}@google.com`;
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
}

// ---------------------------------------------------------------------------------------------
// Event bodies

interface EventFields {
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
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    invalid(`Invalid value for ${what}: expected an object`);
  return value as Record<string, unknown>;
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

function readEventFields(body: unknown): EventFields {
  const b = asObject(body, 'event');
  const fields: EventFields = {};
  if (b.id !== undefined) {
    if (typeof b.id !== 'string') invalid('Invalid resource id value.');
    fields.id = b.id;
  }
  for (const name of ['summary', 'description', 'location'] as const) {
    const value = optionalString(b, name);
    if (value !== undefined) fields[name] = value;
  }
  fields.status = oneOf(b, 'status', ['confirmed', 'tentative', 'cancelled'] as const);
  if (b.transparency !== undefined)
    fields.transparency =
      b.transparency === null ? null : oneOf(b, 'transparency', ['opaque', 'transparent'] as const);
  if (b.visibility !== undefined)
    fields.visibility =
      b.visibility === null
        ? null
        : oneOf(b, 'visibility', ['default', 'public', 'private', 'confidential'] as const);
  if (b.eventType !== undefined && b.eventType !== null) {
    if (typeof b.eventType !== 'string') invalid('Invalid value for eventType');
    fields.eventType = b.eventType;
  }
  if (b.start !== undefined && b.start !== null) fields.start = b.start;
  if (b.end !== undefined && b.end !== null) fields.end = b.end;
  if (b.attendees !== undefined && b.attendees !== null) {
    if (!Array.isArray(b.attendees)) invalid('Invalid value for attendees: expected a list');
    fields.attendees = b.attendees.map((raw: unknown) => {
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
    });
  }
  if (b.extendedProperties !== undefined && b.extendedProperties !== null) {
    const ext = asObject(b.extendedProperties, 'extendedProperties');
    fields.privateProperties = propertyMap(ext.private, 'extendedProperties.private');
    fields.sharedProperties = propertyMap(ext.shared, 'extendedProperties.shared');
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

function applyPlainFields(event: SandboxEvent, fields: EventFields, mode: 'replace' | 'merge'): void {
  for (const name of ['summary', 'description', 'location'] as const) {
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
function mergeAttendees(
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

interface ResolvedTimes {
  start: EventTimeValue;
  end: EventTimeValue;
  startMs: number;
  endMs: number;
  allDay: boolean;
}

function resolveTimes(start: unknown, end: unknown, calendar: SandboxCalendar): ResolvedTimes {
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
  if (timeZone !== undefined && (typeof timeZone !== 'string' || !isTimeZone(timeZone)))
    invalid(`Invalid time zone definition for ${which} time.`);
  const zone = timeZone ?? calendar.timeZone;
  if (date !== undefined) {
    const m = typeof date === 'string' ? DATE.exec(date) : null;
    if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) invalid(`Invalid ${which} time.`);
    return {
      value: { date: m[0] },
      ms: zonedInstant(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0, calendar.timeZone),
      allDay: true,
    };
  }
  const m = typeof dateTime === 'string' ? DATE_TIME.exec(dateTime) : null;
  if (
    !m ||
    !isRealDate(Number(m[1]), Number(m[2]), Number(m[3])) ||
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

function checkSendUpdates(query: URLSearchParams): void {
  const value = query.get('sendUpdates');
  if (value !== null && !['all', 'externalOnly', 'none'].includes(value))
    invalid(`Invalid value for sendUpdates: ${value}`);
}

function eventKey(calendarId: string, eventId: string): string {
  return `${calendarId}\u0000${eventId}`;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

function randomEventId(): string {
  return [...randomBytes(26)].map((b) => BASE32HEX[b & 31]).join('');
}

function opaqueToken(): string {
  return randomBytes(18).toString('base64url');
}

/** Stable per watched resource, as Google's resourceId is. */
function resourceIdOf(calendarId: string): string {
  return createHash('sha256').update(`events:${calendarId}`).digest('base64url').slice(0, 27);
}

function asSimulation<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof VendorError) {
      const body = error.body as GoogleErrorBody;
      throw new Error(`google sandbox: HTTP ${error.status} ${body.error?.message ?? ''}`.trim(), {
        cause: error,
      });
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// MIME

function splitHeaderBlock(text: string): { headerText: string; bodyText: string } {
  const match = /\r?\n\r?\n/.exec(text);
  if (!match) return { headerText: text, bodyText: '' };
  return { headerText: text.slice(0, match.index), bodyText: text.slice(match.index + match[0].length) };
}

function parseHeaders(headerText: string): [string, string][] {
  const unfolded = headerText.replace(/\r?\n[ \t]+/g, ' ');
  const headers: [string, string][] = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return headers;
}

function headerOf(headers: [string, string][], name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function contentTypeOf(headers: [string, string][]): { mimeType: string; params: Record<string, string> } {
  const value = headerOf(headers, 'content-type') ?? 'text/plain; charset=us-ascii';
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    params[param.slice(0, eq).trim().toLowerCase()] = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { mimeType: (type ?? 'text/plain').trim().toLowerCase(), params };
}

function decodeTransfer(bodyText: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(bodyText.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable': {
      const soft = bodyText.replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < soft.length; i++) {
        const hex = soft.slice(i + 1, i + 3);
        if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else {
          bytes.push(soft.charCodeAt(i) & 0xff);
        }
      }
      return Buffer.from(bytes);
    }
    default:
      return Buffer.from(bodyText, 'latin1');
  }
}

/** Parses a message (or part) from its raw bytes; bodies are transfer-decoded. */
export function parseMime(raw: Buffer | string): MimePart {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const { headerText, bodyText } = splitHeaderBlock(text);
  const headers = parseHeaders(headerText);
  const { mimeType, params } = contentTypeOf(headers);
  if (mimeType.startsWith('multipart/') && params.boundary) {
    const delimiter = `--${params.boundary}`;
    const parts: MimePart[] = [];
    const lines = bodyText.split(/\r?\n/);
    let current: string[] | undefined;
    for (const line of lines) {
      if (line === `${delimiter}--` || line.trimEnd() === `${delimiter}--`) {
        if (current) parts.push(parseMime(current.join('\r\n')));
        current = undefined;
        break;
      }
      if (line.trimEnd() === delimiter) {
        if (current) parts.push(parseMime(current.join('\r\n')));
        current = [];
        continue;
      }
      current?.push(line);
    }
    if (current) parts.push(parseMime(current.join('\r\n')));
    return { headers, mimeType, body: Buffer.alloc(0), parts };
  }
  return {
    headers,
    mimeType,
    body: decodeTransfer(bodyText, headerOf(headers, 'content-transfer-encoding')),
    parts: [],
  };
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function bodiesOf(part: MimePart): { text?: string; html?: string } {
  if (part.parts.length > 0) {
    const found: { text?: string; html?: string } = {};
    for (const child of part.parts) {
      const inner = bodiesOf(child);
      found.text ??= inner.text;
      found.html ??= inner.html;
    }
    return found;
  }
  const charset = contentTypeOf(part.headers).params.charset;
  if (part.mimeType === 'text/plain') return { text: decodeCharset(part.body, charset) };
  if (part.mimeType === 'text/html') return { html: decodeCharset(part.body, charset) };
  return {};
}

/** Decodes RFC 2047 encoded-words; whitespace between adjacent encoded-words is dropped. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, encoding: string, data: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return decodeCharset(bytes, charset.split('*')[0]);
    });
}

/** The addresses of an address-list header; an entry that is not an address makes it invalid. */
function parseAddressList(value: string | undefined, header: string): string[] {
  if (value === undefined || value.trim() === '') return [];
  const entries: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    else if (char === '<' && !quoted) angle = true;
    else if (char === '>' && !quoted) angle = false;
    if (char === ',' && !quoted && !angle) {
      entries.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  entries.push(current);
  return entries
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((entry) => {
      const address = (/<([^<>]*)>\s*$/.exec(entry)?.[1] ?? entry).trim().toLowerCase();
      if (!EMAIL.test(address)) invalid(`Invalid ${header} header`);
      return address;
    });
}

interface SearchTerm {
  op?: string;
  value: string;
  negated: boolean;
}

function parseSearch(q: string): SearchTerm[] {
  const tokens = q.match(/-?[A-Za-z0-9]+:"[^"]*"|-?"[^"]*"|\S+/g) ?? [];
  return tokens.map((token) => {
    const negated = token.startsWith('-');
    const body = negated ? token.slice(1) : token;
    const m = /^([A-Za-z0-9]+):(.*)$/.exec(body);
    const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1');
    if (m && ['rfc822msgid', 'in', 'label', 'from', 'to', 'subject', 'cc'].includes(m[1]!.toLowerCase())) {
      return { op: m[1]!.toLowerCase(), value: unquote(m[2]!).toLowerCase(), negated };
    }
    return { value: unquote(body).toLowerCase(), negated };
  });
}

function matchesTerm(message: SandboxMessage, term: SearchTerm): boolean {
  const bare = (id: string) => id.trim().replace(/^<|>$/g, '').toLowerCase();
  switch (term.op) {
    case 'rfc822msgid':
      return bare(message.messageId) === bare(term.value);
    case 'in':
      if (term.value === 'anywhere') return true;
      return message.labelIds.includes(term.value.toUpperCase());
    case 'label':
      return message.labelIds.some((l) => l.toLowerCase() === term.value);
    case 'from':
      return message.from.toLowerCase().includes(term.value);
    case 'to':
      return message.to.some((a) => a.includes(term.value));
    case 'cc':
      return message.cc.some((a) => a.includes(term.value));
    case 'subject':
      return message.subject.toLowerCase().includes(term.value);
    default:
      return [message.subject, message.text ?? '', message.html ?? '', message.from, ...message.to].some(
        (f) => f.toLowerCase().includes(term.value),
      );
  }
}

function payloadOf(part: MimePart, partId: string): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    partId,
    mimeType: part.mimeType,
    filename: '',
    headers: part.headers.map(([name, value]) => ({ name, value })),
    body:
      part.parts.length > 0 ? { size: 0 } : { size: part.body.length, data: part.body.toString('base64url') },
  };
  if (part.parts.length > 0)
    payload.parts = part.parts.map((child, i) =>
      payloadOf(child, partId === '' ? String(i) : `${partId}.${i}`),
    );
  return payload;
}

// ---------------------------------------------------------------------------------------------
// The vendor

export function createGoogleSandbox(config: OrgConfig, options: GoogleSandboxOptions = {}) {
  const store = new GoogleStore(config, options);

  function register(router: SandboxRouter): void {
    router.setErrorShape('google', (status, message) => googleErrorBody(status, message));
    const route = (
      method: string,
      pattern: string,
      handle: (req: SandboxRequest, actor: string) => SandboxResponse,
    ) =>
      router.add('google', method, pattern, (req) => {
        const actor = store.authenticate(req);
        store.takeThrottle();
        return handle(req, actor);
      });
    const events = '/calendar/v3/calendars/:calendarId/events';

    route('POST', `${events}/watch`, (req, actor) =>
      ok(store.watchEvents(actor, req.params.calendarId!, req.body)),
    );
    route('POST', events, (req, actor) =>
      ok(store.insertEvent(actor, req.params.calendarId!, req.body, req.query)),
    );
    route('GET', events, (req, actor) => ok(store.listEvents(actor, req.params.calendarId!, req.query)));
    route('GET', `${events}/:eventId`, (req, actor) =>
      ok(store.getEvent(actor, req.params.calendarId!, req.params.eventId!)),
    );
    route('PATCH', `${events}/:eventId`, (req, actor) =>
      ok(store.changeEvent(actor, req.params.calendarId!, req.params.eventId!, req.body, req.query, 'patch')),
    );
    route('PUT', `${events}/:eventId`, (req, actor) =>
      ok(
        store.changeEvent(actor, req.params.calendarId!, req.params.eventId!, req.body, req.query, 'update'),
      ),
    );
    route('DELETE', `${events}/:eventId`, (req, actor) => {
      store.deleteEvent(actor, req.params.calendarId!, req.params.eventId!, req.query);
      return noContent();
    });
    route('POST', '/calendar/v3/freeBusy', (req, actor) => ok(store.freeBusy(actor, req.body)));
    route('POST', '/calendar/v3/channels/stop', (req, actor) => {
      store.stopChannel(actor, req.body);
      return noContent();
    });

    const messages = '/gmail/v1/users/:userId/messages';
    route('POST', `${messages}/send`, (req, actor) =>
      ok(store.sendMessage(actor, req.params.userId!, req.body)),
    );
    route('GET', messages, (req, actor) => ok(store.listMessages(actor, req.params.userId!, req.query)));
    route('GET', `${messages}/:id`, (req, actor) =>
      ok(store.getMessage(actor, req.params.userId!, req.params.id!, req.query)),
    );
  }

  return {
    name: 'google' as const,
    store,
    register,
    snapshot: () => store.snapshot(),
    reset: () => store.reset(),
  } satisfies SandboxVendor & { store: GoogleStore };
}

export type GoogleSandbox = ReturnType<typeof createGoogleSandbox>;
