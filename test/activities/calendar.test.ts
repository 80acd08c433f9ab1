import { ApplicationFailure } from '@temporalio/common';
import { OAuth2Client } from 'google-auth-library';
import { google } from 'googleapis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCalendarActivities, instantOf } from '../../activities/calendar';
import { classifyError, ErrorTypes } from '../../activities/errors';
import { createGoogleClients } from '../../activities/google-auth';
import { calendarEventId, secretCalendarEventId } from '../../contracts/node/idempotency';
import { createGoogleSandbox, type GoogleSandbox } from '../../sandbox/google';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';
import { CALENDAR_KEY_PROPERTY } from '../../contracts/stamps';

const SENDER = 'product-ops@northwind.example';
const ANA = 'ana@northwind.example';
const BEN = 'ben@northwind.example';
const GROWTH = 'growth-team@northwind.example';

let served: Awaited<ReturnType<typeof serveVendor<GoogleSandbox>>>;
let activities: ReturnType<typeof createCalendarActivities>;

beforeAll(async () => {
  served = await serveVendor(createGoogleSandbox(loadExampleConfig()));
  const clients = createGoogleClients({ kind: 'sandbox' }, { rootUrl: served.url });
  activities = createCalendarActivities({ calendarFor: clients.calendarFor, defaultActor: SENDER });
});
afterAll(async () => served.close());
beforeEach(() => {
  served.vendor.reset();
  served.router.clearFaults();
  served.router.clearLog();
});

const store = () => served.vendor.store;
const impatientActivities = () =>
  createCalendarActivities({
    calendarFor: createGoogleClients({ kind: 'sandbox' }, { rootUrl: served.url, timeoutMs: 300 })
      .calendarFor,
    defaultActor: SENDER,
  });
const requests = (route: string) => served.router.log.filter((r) => r.route === route);

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

const readiness = {
  idempotencyKey: 'release:REL-42:readiness',
  calendarId: SENDER,
  summary: 'Readiness check: REL-42',
  description: 'Go/no-go for the launch',
  start: '2026-03-26T10:00',
  end: '2026-03-26T10:30',
  timeZone: 'Europe/London',
  attendees: [{ email: ANA }, { email: BEN, optional: true }],
};

describe('upsertEvent', () => {
  it('creates the event under the id derived from the key', async () => {
    const result = await activities.upsertEvent(readiness);
    const id = calendarEventId(readiness.idempotencyKey);
    expect(result).toMatchObject({ id, created: true, updated: false });
    expect(result.htmlLink).toMatch(/^https:\/\/www\.google\.com\/calendar\/event/);
    const event = store().event(SENDER, id)!;
    expect(event).toMatchObject({
      status: 'confirmed',
      summary: 'Readiness check: REL-42',
      // 26 March 2026 is before the clocks change in London.
      start: { dateTime: '2026-03-26T10:00:00Z', timeZone: 'Europe/London' },
      end: { dateTime: '2026-03-26T10:30:00Z', timeZone: 'Europe/London' },
      attendees: [
        { email: ANA, responseStatus: 'needsAction' },
        { email: BEN, optional: true, responseStatus: 'needsAction' },
      ],
      extendedProperties: { private: { [CALENDAR_KEY_PROPERTY]: readiness.idempotencyKey } },
    });
  });

  it('called twice with the same key makes one event and changes nothing the second time', async () => {
    await activities.upsertEvent(readiness);
    const again = await activities.upsertEvent(readiness);
    expect(again).toMatchObject({
      id: calendarEventId(readiness.idempotencyKey),
      created: false,
      updated: false,
    });
    expect(store().events(SENDER)).toHaveLength(1);
    expect(requests('PATCH /calendar/v3/calendars/:calendarId/events/:eventId')).toHaveLength(0);
  });

  it('accepts instants with an offset (as workflows compute them) and sees no change on a re-run', async () => {
    const input = { ...readiness, start: '2026-07-02T09:00:00.000Z', end: '2026-07-02T09:30:00.000Z' };
    const first = await activities.upsertEvent(input);
    expect(store().event(SENDER, first.id)?.start).toEqual({
      dateTime: '2026-07-02T10:00:00+01:00',
      timeZone: 'Europe/London',
    });
    expect(await activities.upsertEvent(input)).toMatchObject({ created: false, updated: false });
  });

  it('finds an event an earlier attempt made, and brings it up to date keeping attendee answers', async () => {
    await activities.upsertEvent(readiness);
    store().respondToEvent(SENDER, calendarEventId(readiness.idempotencyKey), ANA, 'accepted');
    const moved = await activities.upsertEvent({
      ...readiness,
      start: '2026-03-30T10:00',
      end: '2026-03-30T10:30',
      attendees: [{ email: ANA }],
    });
    expect(moved).toMatchObject({ created: false, updated: true });
    const event = store().event(SENDER, moved.id)!;
    // After the change to summer time, 10:00 in London is 09:00 UTC, shown in London's offset.
    expect(event.start).toEqual({ dateTime: '2026-03-30T10:00:00+01:00', timeZone: 'Europe/London' });
    expect(event.attendees).toEqual([{ email: ANA, responseStatus: 'accepted' }]);
    expect(store().events(SENDER)).toHaveLength(1);
  });

  it('restores an event that was deleted', async () => {
    const first = await activities.upsertEvent(readiness);
    await activities.deleteEvent({ calendarId: SENDER, eventId: first.id });
    expect(store().event(SENDER, first.id)?.status).toBe('cancelled');
    const again = await activities.upsertEvent(readiness);
    expect(again).toMatchObject({ created: false, updated: true });
    expect(store().event(SENDER, first.id)?.status).toBe('confirmed');
  });

  it('creates all-day events, and out-of-office blocks over times, acting as the person', async () => {
    const offsite = await activities.upsertEvent({
      idempotencyKey: 'team:offsite',
      calendarId: 'primary',
      actAs: BEN,
      summary: 'Team offsite',
      start: '2026-04-06',
      end: '2026-04-08',
      timeZone: 'Europe/London',
    });
    expect(store().event(BEN, offsite.id)).toMatchObject({
      start: { date: '2026-04-06' },
      end: { date: '2026-04-08' },
    });
    const leave = await activities.upsertEvent({
      idempotencyKey: 'leave:L-7:ooo',
      calendarId: 'primary',
      actAs: BEN,
      summary: 'Out of office',
      start: '2026-04-06T00:00',
      end: '2026-04-11T00:00',
      timeZone: 'Europe/London',
      eventType: 'outOfOffice',
    });
    expect(store().event(BEN, leave.id)).toMatchObject({
      eventType: 'outOfOffice',
      start: { dateTime: '2026-04-06T00:00:00+01:00', timeZone: 'Europe/London' },
      end: { dateTime: '2026-04-11T00:00:00+01:00', timeZone: 'Europe/London' },
      creator: { email: BEN },
      // Calendar refuses an out-of-office event without them; new invitations are declined.
      outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
    });
    const again = await activities.upsertEvent({
      idempotencyKey: 'leave:L-7:ooo',
      calendarId: 'primary',
      actAs: BEN,
      summary: 'Out of office',
      start: '2026-04-06T00:00',
      end: '2026-04-11T00:00',
      timeZone: 'Europe/London',
      eventType: 'outOfOffice',
      outOfOffice: { autoDeclineMode: 'declineAllConflictingInvitations', declineMessage: 'On leave' },
    });
    expect(again).toMatchObject({ created: false, updated: true });
    expect(store().event(BEN, leave.id)?.outOfOfficeProperties).toEqual({
      autoDeclineMode: 'declineAllConflictingInvitations',
      declineMessage: 'On leave',
    });
  });

  it('refuses an out-of-office block over whole days or with attendees, before calling Calendar', async () => {
    const ooo = {
      idempotencyKey: 'leave:L-8:ooo',
      calendarId: BEN,
      actAs: BEN,
      summary: 'Out of office',
      timeZone: 'Europe/London',
      eventType: 'outOfOffice' as const,
    };
    const allDay = await failureOf(
      activities.upsertEvent({ ...ooo, start: '2026-04-06', end: '2026-04-11' }),
    );
    expect(allDay).toMatchObject({ type: ErrorTypes.invalidInput, nonRetryable: true });
    expect(allDay.message).toMatch(/out-of-office event.*times/);
    const invited = await failureOf(
      activities.upsertEvent({
        ...ooo,
        start: '2026-04-06T00:00',
        end: '2026-04-11T00:00',
        attendees: [{ email: ANA }],
      }),
    );
    expect(invited.type).toBe(ErrorTypes.invalidInput);
    expect(served.router.log).toHaveLength(0);
  });

  it('refuses to turn an event into another type', async () => {
    await activities.upsertEvent({ ...readiness, calendarId: ANA, actAs: ANA });
    const failure = await failureOf(
      activities.upsertEvent({
        ...readiness,
        calendarId: ANA,
        actAs: ANA,
        attendees: [],
        eventType: 'outOfOffice',
      }),
    );
    expect(failure.type).toBe(ErrorTypes.conflict);
    expect(failure.nonRetryable).toBe(true);
  });

  it('refuses bad input before calling Calendar', async () => {
    for (const change of [
      { start: '2026-03-26T10:30', end: '2026-03-26T10:00' },
      { start: '2026-03-26', end: '2026-03-26T10:00' },
      { start: '2026-02-30', end: '2026-03-01' },
      { timeZone: 'Mars/Olympus' },
      { attendees: [{ email: 'nope' }] },
      { summary: '' },
    ]) {
      const failure = await failureOf(activities.upsertEvent({ ...readiness, ...change }));
      expect(failure.type).toBe(ErrorTypes.invalidInput);
      expect(failure.nonRetryable).toBe(true);
    }
    expect(served.router.log).toHaveLength(0);
    const noActor = createCalendarActivities({ calendarFor: () => google.calendar({ version: 'v3' }) });
    expect((await failureOf(noActor.upsertEvent(readiness))).message).toMatch(/no user to act as/);
  });

  it('turns a 429 with Retry-After into a retryable failure, then succeeds with one event', async () => {
    served.router.injectFault({
      route: 'POST /calendar/v3/calendars/:calendarId/events',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 7, times: 1 },
    });
    const failure = await failureOf(activities.upsertEvent(readiness));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe(ErrorTypes.rateLimited);
    expect(failure.nextRetryDelay).toBe('7s');
    expect(failure.message).toContain(readiness.idempotencyKey);
    // gaxios must not have retried on its own.
    expect(requests('POST /calendar/v3/calendars/:calendarId/events')).toHaveLength(1);
    expect(await activities.upsertEvent(readiness)).toMatchObject({ created: true });
    expect(store().events(SENDER)).toHaveLength(1);
  });

  it("treats Calendar's 403 rateLimitExceeded as retryable, with its Retry-After", async () => {
    store().throttle({ status: 403, times: 1, retryAfterSeconds: 4 });
    const failure = await failureOf(activities.upsertEvent(readiness));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe(ErrorTypes.rateLimited);
    expect(failure.nextRetryDelay).toBe('4s');
    expect(await activities.upsertEvent(readiness)).toMatchObject({ created: true });
    expect(store().events(SENDER)).toHaveLength(1);
  });

  // Calendar and Gmail also throttle with 403 and reason rateLimitExceeded / quotaExceeded.
  it("classifyError alone retries Google's 403 rateLimitExceeded", async () => {
    store().throttle({ status: 403, times: 1 });
    const calendar = createGoogleClients({ kind: 'sandbox' }, { rootUrl: served.url }).calendarFor(SENDER);
    const raw = await calendar.events.list({ calendarId: SENDER }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(raw).toBeDefined();
    const classified = classifyError(raw, { system: 'google-calendar', operation: 'events.list' });
    expect(classified.nonRetryable).toBe(false);
  });

  it('does not retry a 503 inside gaxios; Temporal retries it', async () => {
    served.router.injectFault({
      route: 'POST /calendar/v3/calendars/:calendarId/events',
      fault: { kind: 'status', status: 503, times: 1 },
    });
    const failure = await failureOf(activities.upsertEvent(readiness));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe(ErrorTypes.unavailable);
    expect(requests('POST /calendar/v3/calendars/:calendarId/events')).toHaveLength(1);
  });

  it('treats a dropped connection as a retryable network error', async () => {
    served.router.injectFault({
      route: 'POST /calendar/v3/calendars/:calendarId/events',
      fault: { kind: 'drop', times: 1 },
    });
    const dropped = await failureOf(activities.upsertEvent(readiness));
    expect(dropped.nonRetryable).toBe(false);
    expect(dropped.type).toBe(ErrorTypes.network);
    expect(await activities.upsertEvent(readiness)).toMatchObject({ created: true });
  });

  it('treats a timeout as retryable', async () => {
    served.router.injectFault({
      route: 'POST /calendar/v3/calendars/:calendarId/events',
      fault: { kind: 'latency', ms: 600, times: 1 },
    });
    const slow = await failureOf(impatientActivities().upsertEvent(readiness));
    expect(slow.nonRetryable).toBe(false);
    expect(slow.message).toContain(readiness.idempotencyKey);
  });

  // gaxios marks a timed-out request with code "TimeoutError".
  it('classifies a timeout as a network error', async () => {
    served.router.injectFault({
      route: 'POST /calendar/v3/calendars/:calendarId/events',
      fault: { kind: 'latency', ms: 600, times: 1 },
    });
    const slow = await failureOf(impatientActivities().upsertEvent(readiness));
    expect(slow.type).toBe(ErrorTypes.network);
  });

  describe('classifies permanent errors as non-retryable, naming the operation and key and no token', () => {
    const expectPermanent = (failure: ApplicationFailure, type: string, status: number) => {
      expect(failure.nonRetryable).toBe(true);
      expect(failure.type).toBe(type);
      expect(failure.message).toContain('google-calendar events.insert');
      expect(failure.message).toContain(readiness.idempotencyKey);
      expect(failure.message).toContain(`HTTP ${status}`);
      expect(failure.message).not.toMatch(/sandbox-|Bearer|ya29/);
    };

    it('400: Calendar refuses an out-of-office event on a shared calendar', async () => {
      const failure = await failureOf(
        activities.upsertEvent({ ...readiness, calendarId: GROWTH, attendees: [], eventType: 'outOfOffice' }),
      );
      expectPermanent(failure, ErrorTypes.badRequest, 400);
      expect(failure.message).toContain('primary calendar');
    });

    it('401: a token Calendar does not accept', async () => {
      const secret = 'ya29.a0AfB_secret-access-token';
      const auth = new OAuth2Client();
      auth.setCredentials({ access_token: secret, expiry_date: Date.now() + 3_600_000 });
      const calendar = google.calendar({ version: 'v3', auth, rootUrl: served.url, retry: false });
      const rejected = createCalendarActivities({ calendarFor: () => calendar, defaultActor: SENDER });
      const failure = await failureOf(rejected.upsertEvent(readiness));
      expectPermanent(failure, ErrorTypes.unauthorized, 401);
      expect(JSON.stringify(failure)).not.toContain(secret);
    });

    it('403: a team member writing to the team calendar they can only read', async () => {
      expectPermanent(
        await failureOf(activities.upsertEvent({ ...readiness, calendarId: GROWTH, actAs: ANA })),
        ErrorTypes.forbidden,
        403,
      );
    });

    it('404: a calendar that does not exist', async () => {
      expectPermanent(
        await failureOf(activities.upsertEvent({ ...readiness, calendarId: 'nobody@northwind.example' })),
        ErrorTypes.notFound,
        404,
      );
    });
  });
});

describe('getEvent, patchEvent and deleteEvent', () => {
  it('reads an event by key, and null when there is none', async () => {
    expect(
      await activities.getEvent({ calendarId: SENDER, idempotencyKey: readiness.idempotencyKey }),
    ).toEqual({ event: null });
    await activities.upsertEvent(readiness);
    const { event } = await activities.getEvent({
      calendarId: SENDER,
      idempotencyKey: readiness.idempotencyKey,
    });
    expect(event).toMatchObject({
      id: calendarEventId(readiness.idempotencyKey),
      status: 'confirmed',
      summary: readiness.summary,
      eventType: 'default',
      organizer: SENDER,
      creator: SENDER,
      transparency: 'opaque',
      attendees: [
        { email: ANA, responseStatus: 'needsAction' },
        { email: BEN, responseStatus: 'needsAction', optional: true },
      ],
      extendedProperties: { private: { [CALENDAR_KEY_PROPERTY]: readiness.idempotencyKey } },
    });
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
    const mismatched = await failureOf(
      activities.getEvent({
        calendarId: SENDER,
        eventId: 'abcdef12345',
        idempotencyKey: readiness.idempotencyKey,
      }),
    );
    expect(mismatched.type).toBe(ErrorTypes.invalidInput);
  });

  it('patches the given fields', async () => {
    await activities.upsertEvent(readiness);
    const patched = await activities.patchEvent({
      calendarId: SENDER,
      idempotencyKey: readiness.idempotencyKey,
      summary: 'Readiness check (moved)',
      start: '2026-03-27T09:00',
      end: '2026-03-27T09:30',
      timeZone: 'Europe/London',
      sendUpdates: 'all',
    });
    expect(patched).toMatchObject({
      summary: 'Readiness check (moved)',
      description: readiness.description,
      start: { dateTime: '2026-03-27T09:00:00Z' },
    });
    store().respondToEvent(SENDER, patched.id, ANA, 'tentative');
    const reinvited = await activities.patchEvent({
      calendarId: SENDER,
      idempotencyKey: readiness.idempotencyKey,
      attendees: [{ email: ANA }, { email: 'jade@northwind.example' }],
    });
    expect(reinvited.attendees).toEqual([
      { email: ANA, responseStatus: 'tentative' },
      { email: 'jade@northwind.example', responseStatus: 'needsAction' },
    ]);
    expect(
      (
        await failureOf(
          activities.patchEvent({ calendarId: SENDER, idempotencyKey: readiness.idempotencyKey }),
        )
      ).type,
    ).toBe(ErrorTypes.invalidInput);
    const missing = await failureOf(
      activities.patchEvent({ calendarId: SENDER, idempotencyKey: 'release:none', summary: 'x' }),
    );
    expect(missing.type).toBe(ErrorTypes.notFound);
    expect(missing.nonRetryable).toBe(true);
  });

  it('deletes once and treats an event already gone as success', async () => {
    await activities.upsertEvent(readiness);
    const ref = { calendarId: SENDER, idempotencyKey: readiness.idempotencyKey };
    expect(await activities.deleteEvent(ref)).toEqual({ deleted: true });
    expect(await activities.deleteEvent(ref)).toEqual({ deleted: false });
    expect(await activities.deleteEvent({ calendarId: SENDER, idempotencyKey: 'release:never' })).toEqual({
      deleted: false,
    });
  });
});

describe('listChanges', () => {
  it('lists everything first, then only later changes including deletions and answers', async () => {
    const a = await activities.upsertEvent({ ...readiness, idempotencyKey: 'k:a' });
    const b = await activities.upsertEvent({ ...readiness, idempotencyKey: 'k:b' });
    const c = await activities.upsertEvent({ ...readiness, idempotencyKey: 'k:c' });
    const full = await activities.listChanges({ calendarId: SENDER });
    expect(full.fullResync).toBe(true);
    expect(full.events.map((e) => e.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(full.nextSyncToken).toBeTruthy();

    const quiet = await activities.listChanges({ calendarId: SENDER, syncToken: full.nextSyncToken });
    expect(quiet).toMatchObject({ events: [], fullResync: false });

    await activities.deleteEvent({ calendarId: SENDER, eventId: b.id });
    store().respondToEvent(SENDER, c.id, ANA, 'declined');
    const d = await activities.upsertEvent({ ...readiness, idempotencyKey: 'k:d' });
    const delta = await activities.listChanges({ calendarId: SENDER, syncToken: quiet.nextSyncToken });
    expect(delta.fullResync).toBe(false);
    expect(delta.events.map((e) => [e.id, e.status])).toEqual([
      [b.id, 'cancelled'],
      [c.id, 'confirmed'],
      [d.id, 'confirmed'],
    ]);
    expect(delta.events[1]?.attendees.find((x) => x.email === ANA)?.responseStatus).toBe('declined');
    expect(delta.events[1]?.extendedProperties.private[CALENDAR_KEY_PROPERTY]).toBe('k:c');
  });

  it('does a full resync when Calendar answers 410 to the sync token', async () => {
    const a = await activities.upsertEvent({ ...readiness, idempotencyKey: 'k:a' });
    const b = await activities.upsertEvent({ ...readiness, idempotencyKey: 'k:b' });
    const { nextSyncToken } = await activities.listChanges({ calendarId: SENDER });
    await activities.deleteEvent({ calendarId: SENDER, eventId: b.id });
    store().invalidateSyncTokens();
    served.router.clearLog();

    const resync = await activities.listChanges({ calendarId: SENDER, syncToken: nextSyncToken });
    expect(resync.fullResync).toBe(true);
    // A full listing leaves out deleted events: the caller replaces what it knew.
    expect(resync.events.map((e) => e.id)).toEqual([a.id]);
    expect(served.router.log.map((r) => r.status)).toEqual([410, 200]);
    expect(
      await activities.listChanges({ calendarId: SENDER, syncToken: resync.nextSyncToken }),
    ).toMatchObject({ events: [], fullResync: false });
  });

  it('follows every page', async () => {
    for (let i = 0; i < 260; i++) {
      store().createEventAs(ANA, {
        summary: `Focus ${i}`,
        start: { date: '2026-05-04' },
        end: { date: '2026-05-05' },
      });
    }
    const all = await activities.listChanges({ calendarId: ANA, actAs: ANA });
    expect(all.events).toHaveLength(260);
    expect(new Set(all.events.map((e) => e.id)).size).toBe(260);
    expect(requests('GET /calendar/v3/calendars/:calendarId/events')).toHaveLength(2);
  });
});

describe('freeBusy', () => {
  it('returns busy intervals and per-calendar errors, 50 calendars per query', async () => {
    await activities.upsertEvent({ ...readiness, calendarId: ANA, actAs: ANA, attendees: [] });
    const others = Array.from({ length: 55 }, (_, i) => `ghost${i}@northwind.example`);
    const result = await activities.freeBusy({
      timeMin: '2026-03-26T00:00:00Z',
      timeMax: '2026-03-27T00:00:00Z',
      calendars: [ANA, ...others],
    });
    expect(result.calendars[ANA]).toEqual({
      busy: [{ start: '2026-03-26T10:00:00Z', end: '2026-03-26T10:30:00Z' }],
      errors: [],
    });
    expect(result.calendars['ghost54@northwind.example']).toEqual({ busy: [], errors: ['notFound'] });
    expect(requests('POST /calendar/v3/freeBusy')).toHaveLength(2);
    expect(
      (
        await failureOf(
          activities.freeBusy({ timeMin: '2026-03-26', timeMax: '2026-03-27T00:00:00Z', calendars: [ANA] }),
        )
      ).type,
    ).toBe(ErrorTypes.invalidInput);
  });
});

describe('freeBusy over a long range', () => {
  it('asks in windows of at most 60 days and merges what spans their edges', async () => {
    const block = (key: string, start: string, end: string) =>
      activities.upsertEvent({
        ...readiness,
        idempotencyKey: key,
        calendarId: ANA,
        actAs: ANA,
        attendees: [],
        start,
        end,
      });
    // The first window ends 60 days after 2026-01-01, at 2026-03-02T00:00Z: this event spans it.
    await block('k:edge', '2026-03-01T22:00', '2026-03-02T02:00');
    await block('k:late', '2026-11-20T09:00', '2026-11-20T17:00');
    const year = await activities.freeBusy({
      timeMin: '2026-01-01T00:00:00Z',
      timeMax: '2027-01-01T00:00:00Z',
      calendars: [ANA, 'ghost@northwind.example'],
    });
    expect(year.calendars[ANA]).toEqual({
      busy: [
        { start: '2026-03-01T22:00:00Z', end: '2026-03-02T02:00:00Z' },
        { start: '2026-11-20T09:00:00Z', end: '2026-11-20T17:00:00Z' },
      ],
      errors: [],
    });
    expect(year.calendars['ghost@northwind.example']).toEqual({ busy: [], errors: ['notFound'] });
    const calls = requests('POST /calendar/v3/freeBusy');
    expect(calls).toHaveLength(7);
    expect(calls.every((r) => r.status === 200)).toBe(true);
  });
});

describe('watchCalendar and stopChannel', () => {
  const watch = {
    idempotencyKey: 'watch:ana',
    calendarId: ANA,
    actAs: ANA,
    address: 'https://hooks.example/calendar',
    token: 'channel-secret',
    ttlSeconds: 3600,
    expiresAtSeconds: Math.floor(Date.now() / 1000) + 3600,
  };

  it('opens a channel whose id comes from the key and carries its expiry', async () => {
    const channel = await activities.watchCalendar(watch);
    expect(channel.channelId).toBe(`prodops-${channel.channelId.slice(8, 40)}_${watch.expiresAtSeconds}`);
    expect(channel.channelId).toMatch(/^prodops-[0-9a-f]{32}_\d{10}$/);
    expect(channel.expiration).toBeGreaterThan(Date.now() + 3_500_000);
    expect(store().channels).toEqual([
      expect.objectContaining({
        id: channel.channelId,
        resourceId: channel.resourceId,
        token: 'channel-secret',
        calendarId: ANA,
      }),
    ]);
  });

  it('called again with the same key leaves exactly one channel', async () => {
    const first = await activities.watchCalendar(watch);
    const second = await activities.watchCalendar(watch);
    expect(second.resourceId).toBe(first.resourceId);
    expect(store().channels.map((c) => c.id)).toEqual([second.channelId]);
    const third = await activities.watchCalendar(watch);
    expect(store().channels.map((c) => c.id)).toEqual([third.channelId]);
  });

  it('stops a channel once, and reports one already gone', async () => {
    const channel = await activities.watchCalendar(watch);
    expect(
      await activities.stopChannel({
        channelId: channel.channelId,
        resourceId: channel.resourceId,
        actAs: ANA,
      }),
    ).toEqual({ stopped: true });
    expect(
      await activities.stopChannel({
        channelId: channel.channelId,
        resourceId: channel.resourceId,
        actAs: ANA,
      }),
    ).toEqual({ stopped: false });
    expect(store().channels).toEqual([]);
  });

  it('classifies Calendar refusing a plain-HTTP address as permanent', async () => {
    const failure = await failureOf(
      activities.watchCalendar({ ...watch, address: 'http://hooks.example/calendar' }),
    );
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('HTTPS');
    expect(failure.message).toContain('watch:ana');
  });
});

describe('instantOf', () => {
  it('reads wall-clock times in their zone across daylight saving changes', () => {
    expect(new Date(instantOf('2026-03-29T00:30:00', 'Europe/London')).toISOString()).toBe(
      '2026-03-29T00:30:00.000Z',
    );
    expect(new Date(instantOf('2026-03-29T02:30:00', 'Europe/London')).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    expect(new Date(instantOf('2026-07-01T10:00:00', 'America/New_York')).toISOString()).toBe(
      '2026-07-01T14:00:00.000Z',
    );
    expect(new Date(instantOf('2026-07-01T10:00:00+03:00', undefined)).toISOString()).toBe(
      '2026-07-01T07:00:00.000Z',
    );
  });
});

describe('invites whose answers count', () => {
  const WORKER_SECRET = 'worker-secret-0123456789abcdef0123456789';
  const invite = {
    idempotencyKey: 'leave:gita:2027-03-01:r1:approval-invite:hana',
    calendarId: SENDER,
    actAs: SENDER,
    summary: 'Approve leave for Gita',
    start: '2027-03-01',
    end: '2027-03-02',
    timeZone: 'Europe/London',
    attendees: [{ email: 'hana@northwind.example' }],
    secretId: true,
  };
  const withSecret = (secret: string | undefined) =>
    createCalendarActivities({
      calendarFor: createGoogleClients({ kind: 'sandbox' }, { rootUrl: served.url }).calendarFor,
      defaultActor: SENDER,
      eventIdSecret: () => secret,
    });

  it('get an id nobody can derive from the request, and the same one on every attempt', async () => {
    const made = await withSecret(WORKER_SECRET).upsertEvent(invite);
    expect(made.id).toBe(secretCalendarEventId(invite.idempotencyKey, WORKER_SECRET));
    expect(made.id).not.toBe(calendarEventId(invite.idempotencyKey));
    expect(await withSecret(WORKER_SECRET).upsertEvent(invite)).toMatchObject({
      id: made.id,
      created: false,
    });
    // Read back as its organiser's calendar holds it: what the attendee answered counts.
    store().respondToEvent(SENDER, made.id, 'hana@northwind.example', 'accepted');
    expect(
      await activities.readInvite({ calendarId: SENDER, eventId: made.id, actAs: SENDER }),
    ).toMatchObject({
      found: true,
      organizer: SENDER,
      prodopsKey: invite.idempotencyKey,
      attendees: [{ email: 'hana@northwind.example', responseStatus: 'accepted' }],
    });
    // Removed by the id it was made under.
    expect(
      await withSecret(WORKER_SECRET).deleteEvent({
        calendarId: SENDER,
        eventId: made.id,
        idempotencyKey: invite.idempotencyKey,
        actAs: SENDER,
      }),
    ).toEqual({ deleted: true });
  });

  it('are refused without the worker secret, and over an event someone else organises', async () => {
    const missing = await failureOf(withSecret(undefined).upsertEvent(invite));
    expect(missing.nonRetryable).toBe(true);
    expect(missing.message).toMatch(/PRODOPS_WORKER_SECRET is not set on the worker/);
    // Someone who guessed the id invited the sender mailbox to an event of their own first.
    const squatted = createCalendarActivities({
      calendarFor: () =>
        ({
          events: {
            insert: () => Promise.reject(Object.assign(new Error('duplicate'), { code: 409, status: 409 })),
            get: () =>
              Promise.resolve({
                data: {
                  id: 'x',
                  status: 'confirmed',
                  organizer: { email: 'gita@northwind.example' },
                  attendees: [{ email: 'hana@northwind.example', responseStatus: 'accepted' }],
                },
              }),
          },
        }) as never,
      defaultActor: SENDER,
      eventIdSecret: () => WORKER_SECRET,
    });
    const taken = await failureOf(squatted.upsertEvent(invite));
    expect(taken.nonRetryable).toBe(true);
    expect(taken.message).toMatch(
      /is organised by gita@northwind\.example, not product-ops@northwind\.example/,
    );
  });
});
