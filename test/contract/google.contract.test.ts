/**
 * The Google Calendar and Gmail activities against the sandbox and, with PRODOPS_CONTRACT=google,
 * against a real Workspace user: what Calendar refuses of an out-of-office event, how long a
 * free/busy range may be, recurring events read instance by instance with a sync token, and a
 * mail found again by the token in its body whatever Message-ID Gmail kept. Every event made is
 * deleted and every mail moved to the trash afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { calendar_v3, gmail_v1 } from 'googleapis';
import { createCalendarActivities } from '../../activities/calendar';
import { createCalendarSyncActivities } from '../../activities/calendar-sync';
import { createGmailActivities } from '../../activities/gmail';
import {
  createGoogleClients,
  googleCredentialsFromEnv,
  googleErrorStatus,
} from '../../activities/google-auth';
import { mailToken } from '../../contracts/node/idempotency';
import { createGoogleSandbox } from '../../sandbox/google';
import { serveVendor } from '../helpers/sandbox';
import { Cleanup, contractConfig, contractSuite, report, RUN_TAG, type Target } from './targets';

const DAY = 86_400_000;

interface Rig {
  user: string;
  calendar: calendar_v3.Calendar;
  gmail: gmail_v1.Gmail;
  activities: ReturnType<typeof createCalendarActivities>;
  sync: ReturnType<typeof createCalendarSyncActivities>;
  mail: ReturnType<typeof createGmailActivities>;
  close(): Promise<void>;
}

async function rigFor(target: Target): Promise<Rig> {
  const live = target.name === 'live';
  const served = live ? undefined : await serveVendor(createGoogleSandbox(contractConfig()));
  const clients = live
    ? createGoogleClients(googleCredentialsFromEnv(process.env)!)
    : createGoogleClients({ kind: 'sandbox' }, { rootUrl: served!.url });
  const user = live ? process.env.PRODOPS_CONTRACT_GOOGLE_USER!.toLowerCase() : 'ben@northwind.example';
  const activities = createCalendarActivities({ calendarFor: clients.calendarFor, defaultActor: user });
  return {
    user,
    calendar: clients.calendarFor(user),
    gmail: clients.gmailFor(user),
    activities,
    sync: createCalendarSyncActivities({ calendar: activities, channelSecret: () => undefined }),
    mail: createGmailActivities({ gmailFor: clients.gmailFor, warn: (m) => report('google', target, m) }),
    close: async () => served?.close(),
  };
}

/** The HTTP status Calendar answered a raw call with (200 when it succeeded). */
async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (error) {
    const status = googleErrorStatus(error);
    if (status === undefined) throw error;
    return status;
  }
}

/** Midnight UTC `days` from today, as RFC 3339. */
const dayAhead = (days: number) => new Date((Math.floor(Date.now() / DAY) + days) * DAY).toISOString();

contractSuite('google', (target) => {
  let rig: Rig;
  const cleanup = new Cleanup();
  const forget = (eventId: string) =>
    cleanup.add(`delete event ${eventId}`, async () => {
      const status = await statusOf(() => rig.calendar.events.delete({ calendarId: rig.user, eventId }));
      if (status !== 200 && status !== 204 && status !== 404 && status !== 410)
        throw new Error(`HTTP ${status}`);
    });
  /** Inserts an event as it stands; anything Calendar accepted is deleted afterwards. */
  const insertRaw = async (body: calendar_v3.Schema$Event) =>
    statusOf(async () => {
      const made = await rig.calendar.events.insert({ calendarId: rig.user, requestBody: body });
      if (made.data.id) forget(made.data.id);
    });

  beforeAll(async () => {
    rig = await rigFor(target);
  });
  afterAll(async () => {
    try {
      await cleanup.run();
    } finally {
      await rig?.close();
    }
  });

  it('makes an out-of-office block with its properties; Calendar refuses one without them, over whole days, or with attendees', async () => {
    const start = dayAhead(40);
    const end = dayAhead(41);
    const made = await rig.activities.upsertEvent({
      idempotencyKey: `${RUN_TAG}:ooo`,
      calendarId: rig.user,
      summary: `${RUN_TAG} out of office`,
      start,
      end,
      timeZone: 'UTC',
      eventType: 'outOfOffice',
    });
    forget(made.id);
    const read = await rig.calendar.events.get({ calendarId: rig.user, eventId: made.id });
    expect(read.data.eventType).toBe('outOfOffice');
    expect(read.data.outOfOfficeProperties?.autoDeclineMode).toBe('declineOnlyNewConflictingInvitations');

    const ooo = {
      summary: `${RUN_TAG} refused`,
      eventType: 'outOfOffice',
      start: { dateTime: dayAhead(42) },
      end: { dateTime: dayAhead(43) },
      outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
    };
    const { outOfOfficeProperties: _omitted, ...bare } = ooo;
    const refusals = {
      'no outOfOfficeProperties': await insertRaw(bare),
      'whole days': await insertRaw({
        ...ooo,
        start: { date: dayAhead(42).slice(0, 10) },
        end: { date: dayAhead(43).slice(0, 10) },
      }),
      attendees: await insertRaw({ ...ooo, attendees: [{ email: `nobody+${RUN_TAG}@example.com` }] }),
    };
    report('google', target, `an out-of-office event was answered ${JSON.stringify(refusals)}`);
    expect(refusals).toEqual({ 'no outOfOfficeProperties': 400, 'whole days': 400, attendees: 400 });
  });

  it('answers free/busy for a year in windows, and refuses one query over more than 90 days', async () => {
    const year = await rig.activities.freeBusy({
      timeMin: dayAhead(1),
      timeMax: dayAhead(366),
      calendars: [rig.user],
    });
    expect(year.calendars[rig.user]?.errors).toEqual([]);
    const status = await statusOf(() =>
      rig.calendar.freebusy.query({
        requestBody: { timeMin: dayAhead(1), timeMax: dayAhead(121), items: [{ id: rig.user }] },
      }),
    );
    report('google', target, `a 120-day free/busy query was answered HTTP ${status}`);
    expect(status).toBe(400);
  });

  it(
    'lists a weekly out-of-office event as instances with a sync token, a cancelled one included',
    { timeout: 120_000 },
    async () => {
      const first = await rig.sync.listCalendarChanges({ calendarId: rig.user, actAs: rig.user });
      const series = await rig.calendar.events.insert({
        calendarId: rig.user,
        requestBody: {
          summary: `${RUN_TAG} weekly`,
          eventType: 'outOfOffice',
          start: { dateTime: dayAhead(14), timeZone: 'UTC' },
          end: {
            dateTime: new Date(Date.parse(dayAhead(14)) + 8 * 3_600_000).toISOString(),
            timeZone: 'UTC',
          },
          recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
          outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
        },
      });
      const seriesId = series.data.id!;
      forget(seriesId);
      const added = await rig.sync.listCalendarChanges({
        calendarId: rig.user,
        actAs: rig.user,
        syncToken: first.nextSyncToken,
      });
      const instances = added.events.filter((e) => e.recurringEventId === seriesId);
      expect(instances).toHaveLength(3);
      expect(instances.every((e) => e.status === 'confirmed' && e.eventType === 'outOfOffice')).toBe(true);

      await rig.activities.deleteEvent({ calendarId: rig.user, eventId: instances[1]!.id });
      const removed = await rig.sync.listCalendarChanges({
        calendarId: rig.user,
        actAs: rig.user,
        syncToken: added.nextSyncToken,
      });
      expect(
        removed.events.filter((e) => e.recurringEventId === seriesId || e.id === instances[1]!.id),
      ).toEqual([expect.objectContaining({ id: instances[1]!.id, status: 'cancelled' })]);
    },
  );

  it(
    'finds a sent mail again by the token in its body, whatever Message-ID Gmail kept',
    { timeout: 120_000 },
    async () => {
      const key = `${RUN_TAG}:mail`;
      cleanup.add('trash the mail', async () => {
        const found = await rig.gmail.users.messages.list({
          userId: 'me',
          q: `"${mailToken(key)}"`,
          includeSpamTrash: true,
        });
        for (const message of found.data.messages ?? [])
          await rig.gmail.users.messages.trash({ userId: 'me', id: message.id! });
      });
      const mail = {
        idempotencyKey: key,
        from: rig.user,
        to: [rig.user],
        subject: `${RUN_TAG} contract`,
        text: 'A mail the prodops contract suite sends to itself.',
        html: '<p>A mail the prodops contract suite sends to itself.</p>',
      };
      const sent = await rig.mail.sendMail(mail);
      expect(sent.sent).toBe(true);
      report(
        'google',
        target,
        sent.requestedMessageId
          ? `Gmail replaced the Message-ID ${sent.requestedMessageId} with ${sent.messageId}`
          : `Gmail kept the Message-ID ${sent.messageId}`,
      );
      // A retry comes a few seconds after the first attempt at the earliest.
      if (target.name === 'live') await new Promise((resolve) => setTimeout(resolve, 5_000));
      const again = await rig.mail.sendMail(mail);
      expect(again).toMatchObject({ id: sent.id, messageId: sent.messageId, sent: false });
    },
  );
});
