/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   These tests read raw JSON from the wire and check its shape by assertion. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGoogleSandbox, decodeWords, parseMime, type GoogleSandbox } from '../../sandbox/google';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

const SENDER = 'product-ops@northwind.example';
const ANA = 'ana@northwind.example';
const BEN = 'ben@northwind.example';
const IVAN = 'ivan@northwind.example';
const GROWTH = 'growth-team@northwind.example';

let clock = Date.UTC(2026, 2, 2, 9, 0, 0);
let served: Awaited<ReturnType<typeof serveVendor<GoogleSandbox>>>;

beforeAll(async () => {
  served = await serveVendor(createGoogleSandbox(loadExampleConfig(), { now: () => clock }));
});
afterAll(async () => served.close());
beforeEach(() => {
  clock = Date.UTC(2026, 2, 2, 9, 0, 0);
  served.vendor.reset();
  served.router.clearFaults();
  served.router.clearLog();
});

interface CallOptions {
  as?: string | null;
  authorization?: string;
  body?: unknown;
  query?: Record<string, string | string[]>;
}

async function call(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const url = new URL(path, served.url);
  for (const [k, v] of Object.entries(options.query ?? {}))
    for (const value of [v].flat()) url.searchParams.append(k, value);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const as = options.as === undefined ? SENDER : options.as;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (as !== null) headers.authorization = `Bearer sandbox-${as}`;
  const res = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const events = (calendarId: string) => `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events`;

function timed(start: string, end: string, extra: Record<string, unknown> = {}) {
  return {
    summary: 'Meeting',
    start: { dateTime: start, timeZone: 'Europe/London' },
    end: { dateTime: end, timeZone: 'Europe/London' },
    ...extra,
  };
}

function expectGoogleError(
  res: { status: number; body: any },
  status: number,
  message: string | RegExp,
  reason?: string,
) {
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(status);
  if (typeof message === 'string') expect(res.body.error.message).toBe(message);
  else expect(res.body.error.message).toMatch(message);
  expect(res.body.error.errors).toHaveLength(1);
  expect(res.body.error.errors[0].message).toBeTypeOf('string');
  expect(res.body.error.errors[0].domain).toBeTypeOf('string');
  if (reason) expect(res.body.error.errors[0].reason).toBe(reason);
  expect(res.body.error.status).toBeTypeOf('string');
}

describe('authentication', () => {
  it('refuses a request without a token', async () => {
    const res = await call('GET', events(ANA), { as: null });
    expectGoogleError(res, 401, /^Request had invalid authentication credentials/, 'authError');
    expect(res.body.error.errors[0]).toMatchObject({
      message: 'Invalid Credentials',
      location: 'Authorization',
      locationType: 'header',
    });
    expect(res.body.error.status).toBe('UNAUTHENTICATED');
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('refuses Bearer invalid and tokens of unknown users', async () => {
    expect((await call('GET', events(ANA), { authorization: 'Bearer invalid' })).status).toBe(401);
    expect((await call('GET', events(ANA), { as: 'stranger@elsewhere.example' })).status).toBe(401);
  });

  it('resolves primary and me to the acting user', async () => {
    const inserted = await call('POST', events('primary'), {
      as: ANA,
      body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00'),
    });
    expect(inserted.status).toBe(200);
    expect(inserted.body.organizer).toEqual({ email: ANA, self: true });
    expect(served.vendor.store.events(ANA)).toHaveLength(1);
    const listed = await call('GET', '/gmail/v1/users/me/messages', { as: ANA });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ resultSizeEstimate: 0 });
  });
});

describe('events.insert', () => {
  it('stores the event with Calendar fields and attendees awaiting an answer', async () => {
    const res = await call('POST', events(ANA), {
      as: ANA,
      body: timed('2026-03-03T10:00:00', '2026-03-03T10:30:00', {
        id: 'abcdefv0123',
        attendees: [{ email: 'Ben@northwind.example' }, { email: ANA }],
        extendedProperties: { private: { prodopsKey: 'k1' } },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'calendar#event',
      id: 'abcdefv0123',
      status: 'confirmed',
      summary: 'Meeting',
      start: { dateTime: '2026-03-03T10:00:00Z', timeZone: 'Europe/London' },
      end: { dateTime: '2026-03-03T10:30:00Z', timeZone: 'Europe/London' },
      eventType: 'default',
      iCalUID: 'abcdefv0123@google.com',
      creator: { email: ANA, self: true },
      extendedProperties: { private: { prodopsKey: 'k1' } },
    });
    expect(res.body.attendees).toEqual([
      { email: BEN, responseStatus: 'needsAction' },
      { email: ANA, organizer: true, responseStatus: 'accepted', self: true },
    ]);
    expect(res.body.htmlLink).toMatch(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
  });

  it('renders date-times in the zone the event names, across daylight saving time', async () => {
    const res = await call('POST', events(ANA), {
      as: ANA,
      body: {
        summary: 'Summer',
        start: { dateTime: '2026-07-01T10:00:00', timeZone: 'Asia/Jerusalem' },
        end: { dateTime: '2026-07-01T11:00:00+03:00' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.start).toEqual({ dateTime: '2026-07-01T10:00:00+03:00', timeZone: 'Asia/Jerusalem' });
    // Without a timeZone the calendar's zone (London, BST in July) renders it.
    expect(res.body.end).toEqual({ dateTime: '2026-07-01T09:00:00+01:00' });
  });

  it('validates the client-supplied id: 5–1024 base32hex characters', async () => {
    for (const id of ['abc', 'ABCDEF', 'abcdefw', 'a'.repeat(1025), 'abc-def']) {
      const res = await call('POST', events(ANA), {
        as: ANA,
        body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', { id }),
      });
      expectGoogleError(res, 400, 'Invalid resource id value.', 'invalid');
    }
    const ok = await call('POST', events(ANA), {
      as: ANA,
      body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', { id: 'v'.repeat(1024) }),
    });
    expect(ok.status).toBe(200);
  });

  it('answers 409 for an id that exists, even once it is deleted', async () => {
    const body = timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', { id: 'dup0000001' });
    expect((await call('POST', events(ANA), { as: ANA, body })).status).toBe(200);
    expectGoogleError(
      await call('POST', events(ANA), { as: ANA, body }),
      409,
      'The requested identifier already exists.',
      'duplicate',
    );
    expect((await call('DELETE', `${events(ANA)}/dup0000001`, { as: ANA })).status).toBe(204);
    expectGoogleError(
      await call('POST', events(ANA), { as: ANA, body }),
      409,
      'The requested identifier already exists.',
      'duplicate',
    );
  });

  it('rejects impossible or missing times', async () => {
    const post = (body: unknown) => call('POST', events(ANA), { as: ANA, body });
    expectGoogleError(
      await post(timed('2026-03-03T11:00:00', '2026-03-03T10:00:00')),
      400,
      'The specified time range is empty.',
    );
    expectGoogleError(
      await post({ summary: 'x', start: { date: '2026-03-03' }, end: { date: '2026-03-03' } }),
      400,
      'The specified time range is empty.',
    );
    expectGoogleError(await post({ summary: 'x', start: { date: '2026-03-03' } }), 400, 'Missing end time.');
    expectGoogleError(await post({ summary: 'x' }), 400, 'Missing end time.');
    expectGoogleError(await post({ summary: 'x', end: { date: '2026-03-04' } }), 400, 'Missing start time.');
    expectGoogleError(
      await post({
        summary: 'x',
        start: { dateTime: '2026-03-03T10:00:00' },
        end: { dateTime: '2026-03-03T11:00:00' },
      }),
      400,
      'Missing time zone definition for start time.',
    );
    expectGoogleError(
      await post({ summary: 'x', start: { date: '2026-03-03' }, end: { dateTime: '2026-03-03T11:00:00Z' } }),
      400,
      'Start and end times must either both be date or both be dateTime.',
    );
    expectGoogleError(
      await post({ summary: 'x', start: { date: '2026-02-30' }, end: { date: '2026-03-04' } }),
      400,
      'Invalid start time.',
    );
    expectGoogleError(
      await post(timed('2026-03-03T10:00', '2026-03-03T11:00:00')),
      400,
      'Invalid start time.',
    );
    expectGoogleError(
      await post({
        summary: 'x',
        start: { dateTime: '2026-03-03T10:00:00', timeZone: 'Mars/Olympus' },
        end: { dateTime: '2026-03-03T11:00:00Z' },
      }),
      400,
      'Invalid time zone definition for start time.',
    );
  });

  it('rejects wrongly typed fields and bad attendees', async () => {
    const post = (body: unknown) => call('POST', events(ANA), { as: ANA, body });
    expect((await post(timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', { summary: 42 }))).status).toBe(
      400,
    );
    expect(
      (await post(timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', { transparency: 'see-through' })))
        .status,
    ).toBe(400);
    expectGoogleError(
      await post(
        timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', { attendees: [{ email: 'not-an-address' }] }),
      ),
      400,
      'Invalid attendee email.',
    );
    expectGoogleError(
      await post(timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', { attendees: [{}] })),
      400,
      'Invalid attendee email.',
    );
    expect(
      (
        await post(
          timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', { extendedProperties: { private: { k: 1 } } }),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await post(
          timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', {
            extendedProperties: { private: { ['k'.repeat(45)]: 'v' } },
          }),
        )
      ).status,
    ).toBe(400);
    const badJson = await fetch(new URL(events(ANA), served.url), {
      method: 'POST',
      headers: { authorization: `Bearer sandbox-${ANA}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as any).error.code).toBe(400);
  });

  it('refuses an out-of-office event without outOfOfficeProperties, over whole days, or with attendees', async () => {
    const ooo = {
      summary: 'Away',
      eventType: 'outOfOffice',
      start: { dateTime: '2026-03-03T00:00:00Z' },
      end: { dateTime: '2026-03-05T00:00:00Z' },
      outOfOfficeProperties: { autoDeclineMode: 'declineAllConflictingInvitations' },
    };
    const { outOfOfficeProperties: _omitted, ...bare } = ooo;
    expectGoogleError(
      await call('POST', events(ANA), { as: ANA, body: bare }),
      400,
      'Out of office events must have outOfOfficeProperties.',
    );
    expectGoogleError(
      await call('POST', events(ANA), {
        as: ANA,
        body: { ...ooo, start: { date: '2026-03-03' }, end: { date: '2026-03-05' } },
      }),
      400,
      'Out of office events cannot be all-day events.',
    );
    expectGoogleError(
      await call('POST', events(ANA), { as: ANA, body: { ...ooo, attendees: [{ email: BEN }] } }),
      400,
      'Out of office events cannot have attendees.',
    );
    expectGoogleError(
      await call('POST', events(ANA), {
        as: ANA,
        body: { ...timed('2026-03-03T10:00:00', '2026-03-03T11:00:00'), outOfOfficeProperties: {} },
      }),
      400,
      'outOfOfficeProperties requires an event type of outOfOffice.',
    );
    const created = await call('POST', events(ANA), { as: ANA, body: { ...ooo, id: 'ooo0000002' } });
    expect(created.status).toBe(200);
    // A change may not sneak in what an insert may not carry, and leaves the event as it was.
    expectGoogleError(
      await call('PATCH', `${events(ANA)}/ooo0000002`, { as: ANA, body: { attendees: [{ email: BEN }] } }),
      400,
      'Out of office events cannot have attendees.',
    );
    expectGoogleError(
      await call('PATCH', `${events(ANA)}/ooo0000002`, {
        as: ANA,
        body: { start: { date: '2026-03-03' }, end: { date: '2026-03-04' } },
      }),
      400,
      'Out of office events cannot be all-day events.',
    );
    const after = await call('GET', `${events(ANA)}/ooo0000002`, { as: ANA });
    expect(after.body).toMatchObject({ start: ooo.start, sequence: 0 });
    expect(after.body.attendees).toBeUndefined();
  });

  it('allows out-of-office events only on primary calendars, and never changes an event type', async () => {
    const ooo = {
      summary: 'Away',
      eventType: 'outOfOffice',
      start: { dateTime: '2026-03-03T00:00:00Z' },
      end: { dateTime: '2026-03-05T00:00:00Z' },
      outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
    };
    expect((await call('POST', events(GROWTH), { body: ooo })).status).toBe(400);
    const created = await call('POST', events('primary'), { as: ANA, body: { ...ooo, id: 'ooo0000001' } });
    expect(created.status).toBe(200);
    expect(created.body.eventType).toBe('outOfOffice');
    expect(created.body.outOfOfficeProperties).toEqual({
      autoDeclineMode: 'declineOnlyNewConflictingInvitations',
    });
    const changed = await call('PATCH', `${events(ANA)}/ooo0000001`, {
      as: ANA,
      body: { eventType: 'default' },
    });
    expectGoogleError(changed, 400, 'The event type cannot be changed.');
    expect(
      (await call('POST', events(ANA), { as: ANA, body: { ...ooo, eventType: 'birthday' } })).status,
    ).toBe(400);
  });
});

describe('access', () => {
  it('hides calendars a user cannot see (404) and refuses writes with read access (403)', async () => {
    expectGoogleError(await call('GET', events(BEN), { as: ANA }), 404, 'Not Found', 'notFound');
    expectGoogleError(await call('GET', events('nobody@northwind.example')), 404, 'Not Found', 'notFound');
    // Growth members read the team calendar; the sender writes it.
    expect((await call('GET', events(GROWTH), { as: ANA })).status).toBe(200);
    expectGoogleError(
      await call('POST', events(GROWTH), {
        as: ANA,
        body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00'),
      }),
      403,
      'You need to have writer access to this calendar.',
      'requiredAccessLevel',
    );
    expect(
      (await call('POST', events(GROWTH), { body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00') }))
        .status,
    ).toBe(200);
    // The sender may write to people's calendars.
    expect(
      (await call('POST', events(BEN), { body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00') })).status,
    ).toBe(200);
    served.vendor.store.share(BEN, ANA, 'reader');
    expect((await call('GET', events(BEN), { as: ANA })).status).toBe(200);
  });
});

describe('events.get, patch, update and delete', () => {
  const id = 'evt0000001';
  beforeEach(async () => {
    const res = await call('POST', events(ANA), {
      as: ANA,
      body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', {
        id,
        attendees: [{ email: BEN }, { email: IVAN }],
        description: 'agenda',
      }),
    });
    expect(res.status).toBe(200);
  });

  it('gets an event, and 404 for one that does not exist', async () => {
    expect((await call('GET', `${events(ANA)}/${id}`, { as: ANA })).body.summary).toBe('Meeting');
    expectGoogleError(await call('GET', `${events(ANA)}/nothere0001`, { as: ANA }), 404, 'Not Found');
  });

  it('patches only the given fields and keeps attendee answers', async () => {
    served.vendor.store.respondToEvent(ANA, id, BEN, 'accepted');
    const res = await call('PATCH', `${events(ANA)}/${id}`, {
      as: ANA,
      body: { summary: 'Renamed', attendees: [{ email: BEN }, { email: 'jade@northwind.example' }] },
    });
    expect(res.status).toBe(200);
    expect(res.body.summary).toBe('Renamed');
    expect(res.body.description).toBe('agenda');
    expect(res.body.attendees).toEqual([
      { email: BEN, responseStatus: 'accepted' },
      { email: 'jade@northwind.example', responseStatus: 'needsAction' },
    ]);
  });

  it('replaces the event on update (PUT) and requires its times', async () => {
    expectGoogleError(
      await call('PUT', `${events(ANA)}/${id}`, { as: ANA, body: { summary: 'Only a title' } }),
      400,
      'Missing end time.',
    );
    const res = await call('PUT', `${events(ANA)}/${id}`, {
      as: ANA,
      body: timed('2026-03-04T10:00:00', '2026-03-04T11:00:00', { summary: 'Moved' }),
    });
    expect(res.status).toBe(200);
    expect(res.body.description).toBeUndefined();
    expect(res.body.attendees).toBeUndefined();
    expect(res.body.sequence).toBe(1);
  });

  it('marks a deleted event cancelled, answers 410 to a second delete, and restores it on patch', async () => {
    expect((await call('DELETE', `${events(ANA)}/${id}`, { as: ANA })).status).toBe(204);
    expect((await call('GET', `${events(ANA)}/${id}`, { as: ANA })).body.status).toBe('cancelled');
    expectGoogleError(
      await call('DELETE', `${events(ANA)}/${id}`, { as: ANA }),
      410,
      'Resource has been deleted',
      'deleted',
    );
    expectGoogleError(await call('DELETE', `${events(ANA)}/nothere0001`, { as: ANA }), 404, 'Not Found');
    const restored = await call('PATCH', `${events(ANA)}/${id}`, { as: ANA, body: { status: 'confirmed' } });
    expect(restored.body.status).toBe('confirmed');
  });

  it('rejects a bad sendUpdates value', async () => {
    expect(
      (
        await call('PATCH', `${events(ANA)}/${id}`, {
          as: ANA,
          body: { summary: 'x' },
          query: { sendUpdates: 'everyone' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call('PATCH', `${events(ANA)}/${id}`, {
          as: ANA,
          body: { summary: 'x' },
          query: { sendUpdates: 'all' },
        })
      ).status,
    ).toBe(200);
  });
});

describe('events.list', () => {
  async function insert(id: string, start: string, end: string, calendarId = ANA) {
    const res = await call('POST', events(calendarId), {
      as: ANA,
      body: timed(start, end, { id, summary: `Event ${id}` }),
    });
    expect(res.status).toBe(200);
    clock += 1000;
  }

  it('returns a sync token on the last page that yields only later changes, deletions included', async () => {
    await insert('aaaaa00001', '2026-03-03T10:00:00', '2026-03-03T11:00:00');
    await insert('aaaaa00002', '2026-03-04T10:00:00', '2026-03-04T11:00:00');
    await insert('aaaaa00003', '2026-03-05T10:00:00', '2026-03-05T11:00:00');

    const full = await call('GET', events(ANA), { as: ANA });
    expect(full.body.kind).toBe('calendar#events');
    expect(full.body.items.map((e: any) => e.id)).toEqual(['aaaaa00001', 'aaaaa00002', 'aaaaa00003']);
    expect(full.body.nextPageToken).toBeUndefined();
    const token = full.body.nextSyncToken as string;
    expect(token).toBeTruthy();

    const nothing = await call('GET', events(ANA), { as: ANA, query: { syncToken: token } });
    expect(nothing.body.items).toEqual([]);

    await call('PATCH', `${events(ANA)}/aaaaa00002`, { as: ANA, body: { summary: 'Changed' } });
    await call('DELETE', `${events(ANA)}/aaaaa00003`, { as: ANA });
    await insert('aaaaa00004', '2026-03-06T10:00:00', '2026-03-06T11:00:00');
    await insert('bbbbb00001', '2026-03-06T10:00:00', '2026-03-06T11:00:00');

    const delta = await call('GET', events(ANA), { as: ANA, query: { syncToken: token } });
    expect(delta.body.items.map((e: any) => [e.id, e.status])).toEqual([
      ['aaaaa00002', 'confirmed'],
      ['aaaaa00003', 'cancelled'],
      ['aaaaa00004', 'confirmed'],
      ['bbbbb00001', 'confirmed'],
    ]);
    const next = delta.body.nextSyncToken as string;
    expect(next).not.toBe(token);

    // Changes to other calendars are not this calendar's changes.
    served.vendor.store.createEventAs(BEN, {
      summary: 'Elsewhere',
      start: { date: '2026-03-09' },
      end: { date: '2026-03-10' },
    });
    expect((await call('GET', events(ANA), { as: ANA, query: { syncToken: next } })).body.items).toEqual([]);
  });

  it('shows an attendee answer to incremental sync', async () => {
    const res = await call('POST', events(ANA), {
      as: ANA,
      body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00', {
        id: 'inv0000001',
        attendees: [{ email: BEN }],
      }),
    });
    expect(res.status).toBe(200);
    const token = (await call('GET', events(ANA), { as: ANA })).body.nextSyncToken as string;
    clock += 60_000;
    served.vendor.store.respondToEvent(ANA, 'inv0000001', BEN, 'declined');
    const delta = await call('GET', events(ANA), { as: ANA, query: { syncToken: token } });
    expect(delta.body.items).toHaveLength(1);
    expect(delta.body.items[0].attendees).toEqual([{ email: BEN, responseStatus: 'declined' }]);
    expect(Date.parse(delta.body.items[0].updated)).toBeGreaterThan(Date.parse(res.body.updated));
  });

  it('answers 410 fullSyncRequired to an unknown or expired sync token', async () => {
    await insert('aaaaa00001', '2026-03-03T10:00:00', '2026-03-03T11:00:00');
    expectGoogleError(
      await call('GET', events(ANA), { as: ANA, query: { syncToken: 'made-up' } }),
      410,
      'Sync token is no longer valid, a full sync is required.',
      'fullSyncRequired',
    );
    const token = (await call('GET', events(ANA), { as: ANA })).body.nextSyncToken as string;
    // A token belongs to its calendar.
    expect((await call('GET', events(GROWTH), { query: { syncToken: token } })).status).toBe(410);
    served.vendor.store.invalidateSyncTokens(ANA);
    expect((await call('GET', events(ANA), { as: ANA, query: { syncToken: token } })).status).toBe(410);
  });

  it('refuses a sync token combined with filters', async () => {
    const token = (await call('GET', events(ANA), { as: ANA })).body.nextSyncToken as string;
    const filters: Record<string, string>[] = [
      { timeMin: '2026-03-01T00:00:00Z' },
      { timeMax: '2026-03-01T00:00:00Z' },
      { updatedMin: '2026-03-01T00:00:00Z' },
      { q: 'x' },
      { showDeleted: 'false' },
    ];
    for (const extra of filters) {
      const res = await call('GET', events(ANA), { as: ANA, query: { syncToken: token, ...extra } });
      expect(res.status).toBe(400);
      expect(res.body.error.errors[0].reason).toBe('invalid');
    }
  });

  it('pages with maxResults and returns the sync token only on the last page', async () => {
    for (let i = 1; i <= 5; i++)
      await insert(`ccccc0000${i}`, `2026-03-0${i + 2}T10:00:00`, `2026-03-0${i + 2}T11:00:00`);
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    let syncToken: string | undefined;
    do {
      const res = await call('GET', events(ANA), {
        as: ANA,
        query: { maxResults: '2', ...(pageToken ? { pageToken } : {}) },
      });
      expect(res.status).toBe(200);
      pages += 1;
      seen.push(...res.body.items.map((e: any) => e.id));
      pageToken = res.body.nextPageToken;
      if (pageToken) expect(res.body.nextSyncToken).toBeUndefined();
      else syncToken = res.body.nextSyncToken;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(['ccccc00001', 'ccccc00002', 'ccccc00003', 'ccccc00004', 'ccccc00005']);
    expect(syncToken).toBeTruthy();
    expect((await call('GET', events(ANA), { as: ANA, query: { maxResults: '0' } })).status).toBe(400);
    expect((await call('GET', events(ANA), { as: ANA, query: { maxResults: '2501' } })).status).toBe(400);
    expect((await call('GET', events(ANA), { as: ANA, query: { pageToken: 'bogus' } })).status).toBe(400);
  });

  it('filters by time range, update time, private property and deletion', async () => {
    await insert('ddddd00001', '2026-03-03T10:00:00', '2026-03-03T11:00:00');
    await insert('ddddd00002', '2026-03-10T10:00:00', '2026-03-10T11:00:00');
    await call('DELETE', `${events(ANA)}/ddddd00002`, { as: ANA });
    await call('PATCH', `${events(ANA)}/ddddd00001`, {
      as: ANA,
      body: { extendedProperties: { private: { prodopsKey: 'leave:1' } } },
    });

    const ids = async (query: Record<string, string | string[]>) =>
      (await call('GET', events(ANA), { as: ANA, query })).body.items.map((e: any) => e.id);
    expect(await ids({})).toEqual(['ddddd00001']);
    expect(await ids({ showDeleted: 'true' })).toEqual(['ddddd00001', 'ddddd00002']);
    expect(await ids({ showDeleted: 'true', timeMin: '2026-03-04T00:00:00Z' })).toEqual(['ddddd00002']);
    expect(await ids({ timeMax: '2026-03-03T10:00:00Z' })).toEqual([]);
    expect(await ids({ timeMin: '2026-03-03T10:59:00Z', timeMax: '2026-03-03T10:59:30Z' })).toEqual([
      'ddddd00001',
    ]);
    expect(await ids({ privateExtendedProperty: 'prodopsKey=leave:1' })).toEqual(['ddddd00001']);
    expect(await ids({ updatedMin: new Date(clock - 500).toISOString() })).toEqual([
      'ddddd00001',
      'ddddd00002',
    ]);
    expect(await ids({ singleEvents: 'true', orderBy: 'startTime', showDeleted: 'true' })).toEqual([
      'ddddd00001',
      'ddddd00002',
    ]);
    expectGoogleError(
      await call('GET', events(ANA), { as: ANA, query: { orderBy: 'startTime' } }),
      400,
      'The requested ordering is not available for the particular query.',
    );
    expect(
      (await call('GET', events(ANA), { as: ANA, query: { timeMin: '2026-03-03T10:00:00' } })).status,
    ).toBe(400);
    expectGoogleError(
      await call('GET', events(ANA), {
        as: ANA,
        query: { timeMin: '2026-03-04T00:00:00Z', timeMax: '2026-03-03T00:00:00Z' },
      }),
      400,
      'The specified time range is empty.',
    );
  });
});

describe('recurring events', () => {
  // Every Friday off for four weeks, across the change to summer time on 2026-03-29.
  const fridays = {
    id: 'offfri0001',
    summary: 'Fridays off',
    eventType: 'outOfOffice',
    start: { dateTime: '2026-03-20T09:00:00', timeZone: 'Europe/London' },
    end: { dateTime: '2026-03-20T17:00:00', timeZone: 'Europe/London' },
    recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=4'],
    outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
  };
  const list = (query: Record<string, string> = {}) => call('GET', events(BEN), { as: BEN, query });

  it('lists the master alone, or its instances with singleEvents, keeping the wall-clock time', async () => {
    expect((await call('POST', events(BEN), { as: BEN, body: fridays })).status).toBe(200);
    const masters = await list();
    expect(masters.body.items.map((e: any) => [e.id, e.recurrence])).toEqual([
      ['offfri0001', ['RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=4']],
    ]);
    const single = await list({ singleEvents: 'true', orderBy: 'startTime' });
    expect(single.body.items.map((e: any) => [e.id, e.start.dateTime, e.recurringEventId])).toEqual([
      ['offfri0001_20260320T090000Z', '2026-03-20T09:00:00Z', 'offfri0001'],
      ['offfri0001_20260327T090000Z', '2026-03-27T09:00:00Z', 'offfri0001'],
      ['offfri0001_20260403T080000Z', '2026-04-03T09:00:00+01:00', 'offfri0001'],
      ['offfri0001_20260410T080000Z', '2026-04-10T09:00:00+01:00', 'offfri0001'],
    ]);
    expect(single.body.items[2]).toMatchObject({
      eventType: 'outOfOffice',
      originalStartTime: { dateTime: '2026-04-03T09:00:00+01:00', timeZone: 'Europe/London' },
    });
    expect(single.body.items[2].recurrence).toBeUndefined();
    const got = await call('GET', `${events(BEN)}/offfri0001_20260403T080000Z`, { as: BEN });
    expect(got.body).toMatchObject({
      recurringEventId: 'offfri0001',
      end: { dateTime: '2026-04-03T17:00:00+01:00' },
    });
    const busy = await call('POST', '/calendar/v3/freeBusy', {
      body: { timeMin: '2026-04-01T00:00:00Z', timeMax: '2026-04-15T00:00:00Z', items: [{ id: BEN }] },
    });
    expect(busy.body.calendars[BEN].busy).toEqual([
      { start: '2026-04-03T08:00:00Z', end: '2026-04-03T16:00:00Z' },
      { start: '2026-04-10T08:00:00Z', end: '2026-04-10T16:00:00Z' },
    ]);
  });

  it('keeps a cancelled instance as an exception: in sync, and in a listing of masters even without showDeleted', async () => {
    await call('POST', events(BEN), { as: BEN, body: fridays });
    const baseline = await list({ singleEvents: 'true' });
    const masters = await list();
    expect((await call('DELETE', `${events(BEN)}/offfri0001_20260327T090000Z`, { as: BEN })).status).toBe(
      204,
    );
    const delta = await list({ singleEvents: 'true', syncToken: baseline.body.nextSyncToken });
    expect(delta.body.items.map((e: any) => [e.id, e.status, e.recurringEventId])).toEqual([
      ['offfri0001_20260327T090000Z', 'cancelled', 'offfri0001'],
    ]);
    expect((await list({ singleEvents: 'true' })).body.items).toHaveLength(3);
    expect((await list()).body.items.map((e: any) => [e.id, e.status])).toEqual([
      ['offfri0001', 'confirmed'],
      ['offfri0001_20260327T090000Z', 'cancelled'],
    ]);
    const instances = await call('GET', `${events(BEN)}/offfri0001/instances`, {
      as: BEN,
      query: { timeMin: '2026-03-21T00:00:00Z', timeMax: '2026-04-05T00:00:00Z' },
    });
    expect(instances.body.items.map((e: any) => e.id)).toEqual(['offfri0001_20260403T080000Z']);
    // A token kept from a listing of masters is not valid for one of instances.
    expectGoogleError(
      await list({ singleEvents: 'true', syncToken: masters.body.nextSyncToken }),
      410,
      'Sync token is no longer valid, a full sync is required.',
      'fullSyncRequired',
    );
    // Deleting the series cancels every instance.
    const before = await list({ singleEvents: 'true' });
    await call('DELETE', `${events(BEN)}/offfri0001`, { as: BEN });
    const gone = await list({ singleEvents: 'true', syncToken: before.body.nextSyncToken });
    expect(gone.body.items.map((e: any) => e.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
  });

  it('expands rules without an end only so far, and refuses what it does not model', async () => {
    await call('POST', events(BEN), {
      as: BEN,
      body: { ...fridays, recurrence: ['RRULE:FREQ=DAILY;INTERVAL=7'] },
    });
    const all = await list({ singleEvents: 'true', maxResults: '2500' });
    expect(all.body.items.length).toBeGreaterThan(100);
    expect(all.body.items.length).toBeLessThan(110);
    expect(
      (
        await call('POST', events(BEN), {
          as: BEN,
          body: { ...fridays, id: 'mon00001', recurrence: ['RRULE:FREQ=MONTHLY'] },
        })
      ).status,
    ).toBe(400);
  });
});

describe('freebusy.query', () => {
  it('reports busy time from own events and accepted invitations, not declined or transparent ones', async () => {
    const post = (calendarId: string, as: string, body: unknown) =>
      call('POST', events(calendarId), { as, body });
    await post(ANA, ANA, timed('2026-03-03T09:00:00', '2026-03-03T10:00:00'));
    await post(ANA, ANA, timed('2026-03-03T09:30:00', '2026-03-03T10:30:00'));
    await post(
      ANA,
      ANA,
      timed('2026-03-03T12:00:00', '2026-03-03T13:00:00', { transparency: 'transparent' }),
    );
    await post(
      BEN,
      BEN,
      timed('2026-03-03T14:00:00', '2026-03-03T15:00:00', { id: 'benmeet001', attendees: [{ email: ANA }] }),
    );
    await post(
      BEN,
      BEN,
      timed('2026-03-03T16:00:00', '2026-03-03T17:00:00', { id: 'benmeet002', attendees: [{ email: ANA }] }),
    );
    served.vendor.store.respondToEvent(BEN, 'benmeet002', ANA, 'declined');
    const cancelled = await post(
      ANA,
      ANA,
      timed('2026-03-03T18:00:00', '2026-03-03T19:00:00', { id: 'gone000001' }),
    );
    expect(cancelled.status).toBe(200);
    await call('DELETE', `${events(ANA)}/gone000001`, { as: ANA });

    const res = await call('POST', '/calendar/v3/freeBusy', {
      as: IVAN,
      body: {
        timeMin: '2026-03-03T00:00:00Z',
        timeMax: '2026-03-04T00:00:00Z',
        items: [{ id: ANA }, { id: 'nobody@northwind.example' }],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('calendar#freeBusy');
    expect(res.body.calendars[ANA]).toEqual({
      busy: [
        { start: '2026-03-03T09:00:00Z', end: '2026-03-03T10:30:00Z' },
        { start: '2026-03-03T14:00:00Z', end: '2026-03-03T15:00:00Z' },
      ],
    });
    expect(res.body.calendars['nobody@northwind.example']).toEqual({
      errors: [{ domain: 'global', reason: 'notFound' }],
      busy: [],
    });
  });

  it('clips busy time to the window and refuses more than 50 calendars and empty ranges', async () => {
    await call('POST', events(ANA), {
      as: ANA,
      body: { summary: 'Leave', start: { date: '2026-03-02' }, end: { date: '2026-03-05' } },
    });
    const res = await call('POST', '/calendar/v3/freeBusy', {
      body: {
        timeMin: '2026-03-03T12:00:00Z',
        timeMax: '2026-03-10T00:00:00Z',
        items: Array.from({ length: 51 }, (_, i) => ({ id: i === 0 ? ANA : `x${i}@northwind.example` })),
      },
    });
    expect(res.body.calendars[ANA].busy).toEqual([
      { start: '2026-03-03T12:00:00Z', end: '2026-03-05T00:00:00Z' },
    ]);
    expect(res.body.calendars['x50@northwind.example'].errors[0].reason).toBe('tooManyCalendarsRequested');
    expectGoogleError(
      await call('POST', '/calendar/v3/freeBusy', {
        body: { timeMin: '2026-03-03T12:00:00Z', timeMax: '2026-03-03T12:00:00Z', items: [] },
      }),
      400,
      'The specified time range is empty.',
    );
    expect(
      (await call('POST', '/calendar/v3/freeBusy', { body: { timeMax: '2026-03-03T12:00:00Z' } })).status,
    ).toBe(400);
  });

  it('refuses a range longer than 90 days, as Calendar does', async () => {
    const ask = (timeMax: string) =>
      call('POST', '/calendar/v3/freeBusy', {
        body: { timeMin: '2026-03-01T00:00:00Z', timeMax, items: [{ id: ANA }] },
      });
    expect((await ask('2026-05-30T00:00:00Z')).status).toBe(200);
    expectGoogleError(
      await ask('2026-05-30T00:00:01Z'),
      400,
      'The requested time range is too long.',
      'timeRangeTooLong',
    );
  });
});

describe('events.watch and channels.stop', () => {
  const watch = (id: string, extra: Record<string, unknown> = {}) =>
    call('POST', `${events(ANA)}/watch`, {
      as: ANA,
      body: { id, type: 'web_hook', address: 'https://hooks.example/calendar', token: 'secret=1', ...extra },
    });

  it('opens a channel, refuses a duplicate active id, and stops it once', async () => {
    const changed: string[] = [];
    const unsubscribe = served.vendor.store.onCalendarChange((calendarId) => changed.push(calendarId));
    const res = await watch('channel-1', { params: { ttl: '3600' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'api#channel',
      id: 'channel-1',
      token: 'secret=1',
      expiration: String(clock + 3_600_000),
    });
    expect(res.body.resourceUri).toContain('/calendar/v3/calendars/ana%40northwind.example/events');
    expect(served.vendor.store.channels).toEqual([
      expect.objectContaining({
        id: 'channel-1',
        calendarId: ANA,
        address: 'https://hooks.example/calendar',
        token: 'secret=1',
        resourceId: res.body.resourceId,
      }),
    ]);
    expectGoogleError(await watch('channel-1'), 400, 'Channel id channel-1 not unique', 'channelIdNotUnique');
    // The resource id is the calendar's, the same for every channel on it.
    expect((await watch('channel-2')).body.resourceId).toBe(res.body.resourceId);

    await call('POST', events(ANA), { as: ANA, body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00') });
    expect(changed).toEqual([ANA]);
    unsubscribe();

    const stop = (as: string) =>
      call('POST', '/calendar/v3/channels/stop', {
        as,
        body: { id: 'channel-1', resourceId: res.body.resourceId },
      });
    expect((await stop(BEN)).status).toBe(404);
    expect((await stop(ANA)).status).toBe(204);
    expectGoogleError(
      await stop(ANA),
      404,
      `Channel 'channel-1' not found for project 'prodops-sandbox'`,
      'notFound',
    );
    expect(served.vendor.store.channels.map((c) => c.id)).toEqual(['channel-2']);
  });

  it('expires channels after their ttl (a week by default)', async () => {
    expect((await watch('channel-3')).body.expiration).toBe(String(clock + 604_800_000));
    clock += 604_800_000;
    expect(served.vendor.store.channels).toEqual([]);
    expect((await watch('channel-3')).status).toBe(200);
  });

  it('validates the channel request', async () => {
    expect((await watch('bad id!')).status).toBe(400);
    expect((await watch('c4', { type: 'email' })).status).toBe(400);
    expectGoogleError(
      await watch('c4', { address: 'http://hooks.example/calendar' }),
      400,
      'WebHook callback must be HTTPS: http://hooks.example/calendar',
    );
    expect((await watch('c4', { address: 'http://127.0.0.1:9999/hook' })).status).toBe(200);
    expect((await watch('c5', { params: { ttl: 'soon' } })).status).toBe(400);
    expect((await watch('c6', { token: 'x'.repeat(257) })).status).toBe(400);
    expect(
      (
        await call('POST', `${events(BEN)}/watch`, {
          as: ANA,
          body: { id: 'c7', type: 'web_hook', address: 'https://hooks.example' },
        })
      ).status,
    ).toBe(404);
  });
});

describe('simulating people', () => {
  it('creates and deletes events as a person, with the API checks', () => {
    const created = served.vendor.store.createEventAs(BEN, {
      summary: 'Out of office',
      eventType: 'outOfOffice',
      start: { dateTime: '2026-03-09T00:00:00', timeZone: 'Europe/London' },
      end: { dateTime: '2026-03-13T00:00:00', timeZone: 'Europe/London' },
      outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
    });
    expect(created).toMatchObject({ eventType: 'outOfOffice', organizer: { email: BEN } });
    expect(() => served.vendor.store.createEventAs(BEN, { summary: 'x' })).toThrow(/Missing end time/);
    served.vendor.store.deleteEventAs(BEN, created.id as string);
    expect(served.vendor.store.event(BEN, created.id as string)?.status).toBe('cancelled');
    expect(() => served.vendor.store.deleteEventAs(BEN, created.id as string)).toThrow(/410/);
  });
});

describe('Gmail', () => {
  function rawMail(headers: string[], body = 'hello'): string {
    return Buffer.from([...headers, '', body].join('\r\n')).toString('base64url');
  }
  const send = (raw: unknown, as = SENDER, userId = 'me') =>
    call('POST', `/gmail/v1/users/${userId}/messages/send`, { as, body: { raw } });

  it('with rewriteMessageIds, keeps a Message-ID of its own that the client cannot find the mail by', async () => {
    const rewriting = await serveVendor(
      createGoogleSandbox(loadExampleConfig(), { rewriteMessageIds: true }),
    );
    try {
      const raw = rawMail([
        `From: ${SENDER}`,
        `To: ${ANA}`,
        'Subject: Hi',
        'Message-ID: <prodops.mine@northwind.example>',
      ]);
      const sent = await fetch(new URL('/gmail/v1/users/me/messages/send', rewriting.url), {
        method: 'POST',
        headers: { authorization: `Bearer sandbox-${SENDER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ raw }),
      });
      const { id } = (await sent.json()) as { id: string };
      const read = (query: string) =>
        fetch(new URL(`/gmail/v1/users/me/messages${query}`, rewriting.url), {
          headers: { authorization: `Bearer sandbox-${SENDER}` },
        }).then((r) => r.json() as Promise<any>);
      const stored = await read(`/${id}?format=metadata&metadataHeaders=Message-ID`);
      expect(stored.payload.headers).toEqual([
        { name: 'Message-ID', value: expect.stringMatching(/@mail\.gmail\.com>$/) },
      ]);
      expect((await read('?q=rfc822msgid:prodops.mine@northwind.example')).messages).toBeUndefined();
      expect((await read(`?q=${encodeURIComponent('in:sent "hello"')}`)).messages).toEqual([
        { id, threadId: id },
      ]);
    } finally {
      await rewriting.close();
    }
  });

  it('sends a multipart message, delivers copies, and finds it by Message-ID', async () => {
    const boundary = 'b1';
    const raw = Buffer.from(
      [
        `From: "Product Ops" <${SENDER}>`,
        `To: ${ANA},\r\n =?UTF-8?B?QsOpbg==?= <${BEN}>`,
        'Subject: =?UTF-8?B?UmVsZWFzZSDinJM=?=',
        'Message-ID: <prodops.abc@northwind.example>',
        'MIME-Version: 1.0',
        `Content-Type: multipart/alternative; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        'Content-Type: text/plain; charset=UTF-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Caf=C3=A9 =',
        'ready',
        `--${boundary}`,
        'Content-Type: text/html; charset=UTF-8',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('<p>Café ready</p>').toString('base64'),
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    ).toString('base64url');
    const res = await send(raw);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      threadId: res.body.id,
      labelIds: ['SENT'],
    });

    const [sent] = served.vendor.store.messages(SENDER);
    expect(sent).toMatchObject({
      subject: 'Release ✓',
      to: [ANA, BEN],
      text: 'Café ready',
      html: '<p>Café ready</p>',
      messageId: '<prodops.abc@northwind.example>',
    });
    expect(served.vendor.store.messages(ANA)[0]?.labelIds).toEqual(['INBOX', 'UNREAD']);
    expect(served.vendor.store.messages(BEN)).toHaveLength(1);

    const found = await call('GET', '/gmail/v1/users/me/messages', {
      query: { q: 'rfc822msgid:prodops.abc@northwind.example' },
    });
    expect(found.body).toEqual({
      messages: [{ id: res.body.id, threadId: res.body.id }],
      resultSizeEstimate: 1,
    });
    const bracketed = await call('GET', `/gmail/v1/users/${SENDER}/messages`, {
      query: { q: 'rfc822msgid:<prodops.abc@northwind.example>' },
    });
    expect(bracketed.body.resultSizeEstimate).toBe(1);
    expect(
      (await call('GET', '/gmail/v1/users/me/messages', { query: { q: 'rfc822msgid:other@x' } })).body,
    ).toEqual({ resultSizeEstimate: 0 });
    expect(
      (await call('GET', '/gmail/v1/users/me/messages', { query: { q: 'in:inbox' } })).body
        .resultSizeEstimate,
    ).toBe(0);

    const metadata = await call('GET', `/gmail/v1/users/me/messages/${res.body.id}`, {
      query: { format: 'metadata', metadataHeaders: ['Message-ID', 'Subject'] },
    });
    expect(metadata.body.payload.headers).toEqual([
      { name: 'Subject', value: '=?UTF-8?B?UmVsZWFzZSDinJM=?=' },
      { name: 'Message-ID', value: '<prodops.abc@northwind.example>' },
    ]);
    const full = await call('GET', `/gmail/v1/users/me/messages/${res.body.id}`);
    expect(full.body.payload.mimeType).toBe('multipart/alternative');
    expect(full.body.payload.parts.map((p: any) => p.mimeType)).toEqual(['text/plain', 'text/html']);
    expect(Buffer.from(full.body.payload.parts[1].body.data, 'base64url').toString()).toBe(
      '<p>Café ready</p>',
    );
    expect(full.body.snippet).toBe('Café ready');
    const rawBack = await call('GET', `/gmail/v1/users/me/messages/${res.body.id}`, {
      query: { format: 'raw' },
    });
    expect(rawBack.body.raw).toBe(raw);
    expectGoogleError(
      await call('GET', '/gmail/v1/users/me/messages/ffff000000000000'),
      404,
      'Requested entity was not found.',
    );
  });

  it('sends as the authenticated user whatever From says', async () => {
    expect((await send(rawMail([`From: ${ANA}`, `To: ${BEN}`, 'Subject: hi']))).status).toBe(200);
    expect(served.vendor.store.messages(SENDER)[0]?.from).toBe(SENDER);
    expect((await send(rawMail([`To: ${BEN}`, 'Subject: no from']))).status).toBe(200);
  });

  it('rejects raw payloads that are missing, not base64url, or have no valid recipients', async () => {
    expectGoogleError(
      await send(undefined),
      400,
      "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
    );
    const standardBase64 = Buffer.from(`To: ${ANA}\r\nSubject: ??>>\r\n\r\n???`).toString('base64');
    expect(standardBase64).toMatch(/[+/]/);
    const notUrlSafe = await send(standardBase64);
    expect(notUrlSafe.status).toBe(400);
    expect(notUrlSafe.body.error.message).toMatch(
      /^Invalid value at 'message.raw' \(TYPE_BYTES\), Base64 decoding failed/,
    );
    expect((await send(42)).status).toBe(400);
    expectGoogleError(
      await send(rawMail([`From: ${SENDER}`, 'Subject: nobody'])),
      400,
      'Recipient address required',
    );
    expectGoogleError(
      await send(rawMail([`From: ${SENDER}`, 'To: not an address', 'Subject: x'])),
      400,
      'Invalid To header',
    );
    expect(served.vendor.store.messages()).toEqual([]);
  });

  it("denies access to another user's mailbox", async () => {
    expectGoogleError(
      await send(rawMail([`To: ${BEN}`]), ANA, BEN),
      403,
      `Delegation denied for ${BEN}`,
      'forbidden',
    );
    expectGoogleError(
      await call('GET', `/gmail/v1/users/${BEN}/messages`, { as: ANA }),
      403,
      `Delegation denied for ${BEN}`,
    );
  });
});

describe('router integration', () => {
  it("renders injected faults and unknown routes in Google's error shape", async () => {
    served.router.injectFault({
      route: 'POST /calendar/v3/freeBusy',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 3, times: 1 },
    });
    const limited = await call('POST', '/calendar/v3/freeBusy', { body: {} });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.body.error).toMatchObject({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }],
    });
    const unknown = await call('GET', '/calendar/v3/users/me/calendarList');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.errors[0].reason).toBe('notFound');
  });

  it('throttles with a 403 rateLimitExceeded, as Calendar also does', async () => {
    served.vendor.store.throttle({ status: 403, times: 1, retryAfterSeconds: 2 });
    const res = await call('GET', events(ANA), { as: ANA });
    expectGoogleError(res, 403, 'Rate Limit Exceeded', 'rateLimitExceeded');
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await call('GET', events(ANA), { as: ANA })).status).toBe(200);
  });

  it('shows its state in the snapshot and forgets it on reset', async () => {
    await call('POST', events(ANA), { as: ANA, body: timed('2026-03-03T10:00:00', '2026-03-03T11:00:00') });
    const snapshot = served.vendor.snapshot();
    expect(snapshot.events).toHaveLength(1);
    expect(snapshot.calendars).toHaveLength(loadExampleConfig().people.length + 1 + 2);
    served.vendor.reset();
    expect(served.vendor.snapshot().events).toEqual([]);
  });
});

describe('MIME helpers', () => {
  it('decodes adjacent encoded-words and Q encoding', () => {
    expect(decodeWords('=?UTF-8?B?Q2Fmw6k=?= =?UTF-8?Q?_au_lait?=')).toBe('Café au lait');
    expect(decodeWords('plain')).toBe('plain');
  });

  it('parses nested multiparts', () => {
    const mime = parseMime(
      [
        'Content-Type: multipart/mixed; boundary=outer',
        '',
        '--outer',
        'Content-Type: multipart/alternative; boundary=inner',
        '',
        '--inner',
        'Content-Type: text/plain',
        '',
        'hi',
        '--inner--',
        '--outer--',
        '',
      ].join('\r\n'),
    );
    expect(mime.parts[0]?.parts[0]?.body.toString()).toBe('hi');
  });
});
