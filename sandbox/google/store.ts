/**
 * The Google fake's state and the operations behind its routes, put together from the calendar
 * store, listings and sync tokens, free/busy, push channels and mailboxes; its public methods
 * also drive people's actions in tests.
 *
 * Who is acting comes from `Authorization: Bearer sandbox-<email>`; the email must be a person
 * of the organisation or its sender mailbox.
 */
import { refill, savedNumber } from '../persist';
import type { OrgConfig } from '../../domain/config';
import type { SandboxRequest } from '../http';
import { CalendarStore } from './calendar';
import { PushChannels } from './channels';
import { asSimulation, fail } from './errors';
import { renderEvent } from './events';
import { freeBusy } from './freebusy';
import { Mailboxes } from './gmail';
import { EventListings } from './listing';
import type {
  AccessRole,
  GoogleSandboxOptions,
  PushDelivery,
  SandboxCalendar,
  SandboxEvent,
  SandboxMessage,
  ThrottleRule,
  WatchChannel,
} from './model';

type Listener = (calendarId: string) => void;

export class GoogleStore {
  private readonly now: () => number;
  private readonly users = new Set<string>();
  private readonly calendar: CalendarStore;
  private readonly listings: EventListings;
  private readonly pushChannels: PushChannels;
  private readonly mailboxes: Mailboxes;
  private readonly listeners = new Set<Listener>();
  private throttles: ThrottleRule[] = [];

  constructor(
    private readonly config: OrgConfig,
    options: GoogleSandboxOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.calendar = new CalendarStore(this.now, (calendarId) => this.notify(calendarId));
    this.listings = new EventListings(this.calendar, this.now);
    this.pushChannels = new PushChannels(this.now, options.pushNotifications ?? true);
    this.mailboxes = new Mailboxes(this.now, options.rewriteMessageIds ?? false);
    this.seed();
  }

  /** The organisation's sender mailbox, if configured. */
  get sender(): string | undefined {
    return this.config.integrations.google.sender?.toLowerCase();
  }

  private seed(): void {
    const sender = this.sender;
    const accounts = this.config.people.map((p) => p.email.toLowerCase());
    if (sender && !accounts.includes(sender)) accounts.push(sender);
    for (const account of accounts) this.users.add(account);
    this.calendar.seed(this.config, sender);
    this.mailboxes.seed(accounts);
  }

  /**
   * Everything a restart must keep. Push channels are not kept: they point at the gateway of the
   * run that opened them, and every calendar sync opens a fresh one when it starts.
   */
  exportState(): Record<string, unknown> {
    return {
      users: this.users,
      calendars: this.calendar.calendarsById,
      events: this.calendar.eventsByKey,
      seq: this.calendar.seq,
      listings: this.listings.exportState(),
      mailboxes: this.mailboxes.exportState(),
    };
  }

  importState(state: Record<string, unknown>): void {
    refill(this.users, state.users);
    refill(this.calendar.calendarsById, state.calendars);
    refill(this.calendar.eventsByKey, state.events);
    this.calendar.seq = savedNumber(state, 'seq');
    this.listings.importState(state.listings as Record<string, unknown>);
    this.mailboxes.importState(state.mailboxes as Record<string, unknown>);
  }

  reset(): void {
    for (const part of [this.pushChannels, this.calendar, this.listings, this.mailboxes]) part.reset();
    this.users.clear();
    this.throttles = [];
    this.seed();
  }

  // ---- observation and simulation ------------------------------------------------------------

  /** Called with the calendar id after any change to its events, for push notifications. */
  onCalendarChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get calendars(): SandboxCalendar[] {
    return [...this.calendar.calendarsById.values()];
  }

  /** Push notifications posted so far (every attempt), oldest first. */
  get pushes(): PushDelivery[] {
    return this.pushChannels.pushes;
  }

  /** Channels that have not expired or been stopped. */
  get channels(): WatchChannel[] {
    return this.pushChannels.live;
  }

  channelsFor(calendarId: string): WatchChannel[] {
    return this.channels.filter((c) => c.calendarId === calendarId.toLowerCase());
  }

  /** Events as the API would render them (to their organiser), deleted ones included. */
  events(calendarId?: string): Record<string, unknown>[] {
    return [...this.calendar.eventsByKey.values()]
      .filter((e) => !calendarId || e.calendarId === calendarId.toLowerCase())
      .map((e) => renderEvent(e, e.organizer.email));
  }

  /** Events as stored (deleted ones and stored exceptions of recurring events included), for the audit. */
  storedEvents(): SandboxEvent[] {
    return [...this.calendar.eventsByKey.values()];
  }

  event(calendarId: string, eventId: string): Record<string, unknown> | undefined {
    const found = this.calendar.lookup(calendarId.toLowerCase(), eventId);
    return found ? renderEvent(found, found.organizer.email) : undefined;
  }

  /** Every message in a mailbox (sent and received), newest first; all mailboxes when absent. */
  messages(mailbox?: string): SandboxMessage[] {
    return this.mailboxes.messages(mailbox);
  }

  /** Changes who may see or change a calendar. */
  share(calendarId: string, email: string, role: AccessRole | 'none'): void {
    this.calendar.share(calendarId, email, role);
  }

  /** Makes every sync token (of one calendar, or all) answer 410, as Google does when they expire. */
  invalidateSyncTokens(calendarId?: string): void {
    this.listings.invalidate(calendarId);
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
    const event = this.calendar.find(calendarId, eventId);
    if (!event) throw new Error(`google sandbox: no event ${eventId} on ${calendarId}`);
    const attendee = event.attendees.find((a) => a.email === attendeeEmail.toLowerCase());
    if (!attendee) throw new Error(`google sandbox: ${attendeeEmail} is not invited to ${eventId}`);
    attendee.responseStatus = response;
    this.calendar.recordChange(event);
    return renderEvent(event, attendee.email);
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
      events: [...this.calendar.eventsByKey.values()].map((e) => ({
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
    fail(rule.status === 403 ? 403 : 429, 'Rate Limit Exceeded', 'rateLimitExceeded', {}, headers);
  }

  /** After any change to a calendar's events: listeners first, then its push channels. */
  private notify(calendarId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(calendarId);
      } catch {
        // A broken listener must not turn a successful API call into a failure.
      }
    }
    this.pushChannels.calendarChanged(calendarId);
  }

  // ---- Calendar ------------------------------------------------------------------------------

  insertEvent(
    actor: string,
    calendarId: string,
    body: unknown,
    query: URLSearchParams,
  ): Record<string, unknown> {
    return this.calendar.insertEvent(actor, calendarId, body, query);
  }

  getEvent(actor: string, calendarId: string, eventId: string): Record<string, unknown> {
    return this.calendar.getEvent(actor, calendarId, eventId);
  }

  /** PATCH merges the given fields; PUT replaces the event with the body. */
  changeEvent(
    actor: string,
    calendarId: string,
    eventId: string,
    body: unknown,
    query: URLSearchParams,
    mode: 'patch' | 'update',
  ): Record<string, unknown> {
    return this.calendar.changeEvent(actor, calendarId, eventId, body, query, mode);
  }

  deleteEvent(actor: string, calendarId: string, eventId: string, query: URLSearchParams): void {
    this.calendar.deleteEvent(actor, calendarId, eventId, query);
  }

  listEvents(actor: string, calendarId: string, query: URLSearchParams): Record<string, unknown> {
    return this.listings.list(actor, this.calendar.readable(actor, calendarId), query);
  }

  listInstances(
    actor: string,
    calendarId: string,
    eventId: string,
    query: URLSearchParams,
  ): Record<string, unknown> {
    return this.listings.instances(actor, this.calendar.readable(actor, calendarId), eventId, query);
  }

  freeBusy(actor: string, body: unknown): Record<string, unknown> {
    return freeBusy(this.calendar, actor, body);
  }

  watchEvents(actor: string, calendarId: string, body: unknown): Record<string, unknown> {
    return this.pushChannels.watch(actor, this.calendar.readable(actor, calendarId), body);
  }

  stopChannel(actor: string, body: unknown): void {
    this.pushChannels.stop(actor, body);
  }

  // ---- Gmail ---------------------------------------------------------------------------------

  sendMessage(actor: string, userId: string, body: unknown): Record<string, unknown> {
    return this.mailboxes.send(actor, userId, body);
  }

  listMessages(actor: string, userId: string, query: URLSearchParams): Record<string, unknown> {
    return this.mailboxes.list(actor, userId, query);
  }

  trashMessage(actor: string, userId: string, id: string): Record<string, unknown> {
    return this.mailboxes.trash(actor, userId, id);
  }

  getMessage(actor: string, userId: string, id: string, query: URLSearchParams): Record<string, unknown> {
    return this.mailboxes.get(actor, userId, id, query);
  }
}
