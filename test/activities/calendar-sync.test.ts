/**
 * The calendar sync's listing against the Google sandbox: recurring out-of-office events come as
 * instances, within a horizon that moves with the clock, cancelled instances included.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCalendarActivities } from '../../activities/calendar';
import {
  createCalendarSyncActivities,
  RECURRING_HORIZON_DAYS,
  type CalendarSyncListing,
} from '../../activities/calendar-sync';
import { createGoogleClients } from '../../activities/google-auth';
import { createGoogleSandbox, type GoogleSandbox } from '../../sandbox/google';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

const BEN = 'ben@northwind.example';
const DAY = 86_400_000;
const START = Date.UTC(2026, 2, 2, 9, 0, 0);

let clock = START;
let served: Awaited<ReturnType<typeof serveVendor<GoogleSandbox>>>;
let calendar: ReturnType<typeof createCalendarActivities>;
let sync: ReturnType<typeof createCalendarSyncActivities>;

beforeAll(async () => {
  served = await serveVendor(createGoogleSandbox(loadExampleConfig(), { now: () => clock }));
  const clients = createGoogleClients({ kind: 'sandbox' }, { rootUrl: served.url });
  calendar = createCalendarActivities({ calendarFor: clients.calendarFor });
  sync = createCalendarSyncActivities({ calendar, channelSecret: () => 'secret', now: () => clock });
});
afterAll(async () => served.close());
beforeEach(() => {
  clock = START;
  served.vendor.reset();
  served.router.clearLog();
});

/** Every Friday off, from 2026-03-06, without an end. */
function weeklyDayOff(): string {
  const created = served.vendor.store.createEventAs(BEN, {
    summary: 'Fridays off',
    eventType: 'outOfOffice',
    start: { dateTime: '2026-03-06T00:00:00', timeZone: 'Europe/London' },
    end: { dateTime: '2026-03-07T00:00:00', timeZone: 'Europe/London' },
    recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=FR'],
    outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
  });
  return created.id as string;
}

const days = (listing: CalendarSyncListing) =>
  listing.events.map((e) => [e.start?.dateTime?.slice(0, 10), e.status, e.recurringEventId]);

describe('listCalendarChanges', () => {
  it('lists each instance of a weekly out-of-office event within the horizon, and more as it moves', async () => {
    const series = weeklyDayOff();
    const first = await sync.listCalendarChanges({ calendarId: BEN, actAs: BEN });
    // 2026-03-06 to the last Friday before 2026-05-31 (90 days after 2026-03-02): 13 Fridays.
    expect(RECURRING_HORIZON_DAYS).toBe(90);
    expect(first.events).toHaveLength(13);
    expect(first.events.every((e) => e.eventType === 'outOfOffice' && e.recurringEventId === series)).toBe(
      true,
    );
    expect(days(first)[0]).toEqual(['2026-03-06', 'confirmed', series]);
    expect(days(first)[12]).toEqual(['2026-05-29', 'confirmed', series]);

    // Nothing changes in the calendar, but a week passes: the next Friday comes within reach.
    clock += 7 * DAY;
    const later = await sync.listCalendarChanges({
      calendarId: BEN,
      actAs: BEN,
      syncToken: first.nextSyncToken,
    });
    expect(later.fullResync).toBe(false);
    expect(days(later)).toEqual([['2026-06-05', 'confirmed', series]]);
    const quiet = await sync.listCalendarChanges({
      calendarId: BEN,
      actAs: BEN,
      syncToken: later.nextSyncToken,
    });
    expect(quiet.events).toEqual([]);

    // One Friday is cancelled: that instance comes as cancelled, the others stay.
    served.vendor.store.deleteEventAs(BEN, first.events[2]!.id);
    const cancelled = await sync.listCalendarChanges({
      calendarId: BEN,
      actAs: BEN,
      syncToken: quiet.nextSyncToken,
    });
    expect(cancelled.events.map((e) => [e.id, e.status])).toEqual([[first.events[2]!.id, 'cancelled']]);
  });

  it('lists again in full when handed a token from a listing of recurring events', async () => {
    weeklyDayOff();
    const legacy = await calendar.listChanges({ calendarId: BEN, actAs: BEN });
    expect(legacy.events).toHaveLength(1);
    const listing = await sync.listCalendarChanges({
      calendarId: BEN,
      actAs: BEN,
      syncToken: legacy.nextSyncToken,
    });
    expect(listing.fullResync).toBe(true);
    expect(listing.events).toHaveLength(13);
    expect(served.router.log.filter((r) => r.status === 410)).toHaveLength(0);
  });
});
