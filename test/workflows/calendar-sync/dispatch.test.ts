/**
 * The calendar dispatcher's rules on their own: which changes reach which workflow, once.
 */
import { describe, expect, it } from 'vitest';
import type { SyncedEvent } from '../../../activities/calendar-sync';
import {
  emptyKnownEvents,
  FORGET_AFTER_DAYS,
  outOfOfficeWindow,
  planDispatches,
  type SyncContext,
} from '../../../workflows/calendar-sync/dispatch';

const ctx = (mode: SyncContext['mode'], overrides: Partial<SyncContext> = {}): SyncContext => ({
  calendarId: 'ana@northwind.example',
  personId: 'ana',
  timeZone: 'Europe/London',
  mode,
  today: '2027-02-15',
  now: Date.parse('2027-02-15T12:00:00Z'),
  ...overrides,
});

const ooo = (id: string, start: string, end: string, extra: Partial<SyncedEvent> = {}): SyncedEvent => ({
  id,
  status: 'confirmed',
  eventType: 'outOfOffice',
  summary: 'Away',
  start: { dateTime: start, timeZone: 'Europe/London' },
  end: { dateTime: end, timeZone: 'Europe/London' },
  updated: '2027-02-15T10:00:00.000Z',
  ...extra,
});

describe('out-of-office windows', () => {
  it('reads whole days, afternoons and mornings in the person’s zone', () => {
    expect(
      outOfOfficeWindow(ooo('a', '2027-03-01T00:00:00', '2027-03-06T00:00:00'), 'Europe/London'),
    ).toEqual({
      from: '2027-03-01',
      to: '2027-03-05',
      firstDay: 'full',
      lastDay: 'full',
    });
    expect(
      outOfOfficeWindow(ooo('b', '2027-03-01T13:00:00', '2027-03-03T12:00:00'), 'Europe/London'),
    ).toEqual({
      from: '2027-03-01',
      to: '2027-03-03',
      firstDay: 'afternoon',
      lastDay: 'morning',
    });
    // An offset instead of a zone name; 23:00Z on 31 March is already 1 April in London (BST).
    expect(
      outOfOfficeWindow(
        { start: { dateTime: '2027-03-31T23:00:00Z' }, end: { dateTime: '2027-04-02T23:00:00Z' } },
        'Europe/London',
      ),
    ).toEqual({ from: '2027-04-01', to: '2027-04-02', firstDay: 'full', lastDay: 'full' });
    expect(
      outOfOfficeWindow({ start: { date: '2027-03-01' }, end: { date: '2027-03-02' } }, 'Europe/London'),
    ).toEqual({
      from: '2027-03-01',
      to: '2027-03-01',
      firstDay: 'full',
      lastDay: 'full',
    });
    expect(
      outOfOfficeWindow({ start: { dateTime: 'soon' }, end: { dateTime: 'later' } }, 'Europe/London'),
    ).toBeNull();
  });
});

describe('the out-of-office rule', () => {
  it('takes the first listing as it is, then signals-with-start a new one once', () => {
    const known = emptyKnownEvents();
    expect(
      planDispatches([ooo('old', '2027-02-01T00:00:00', '2027-02-03T00:00:00')], known, ctx('baseline')),
    ).toEqual([]);

    const created = ooo('e1', '2027-03-01T00:00:00', '2027-03-06T00:00:00');
    const [dispatch] = planDispatches([created], known, ctx('incremental'));
    expect(dispatch).toMatchObject({
      kind: 'signalWithStart',
      workflowType: 'leaveWorkflow',
      workflowId: 'leave:ana:2027-03-01',
      signal: 'outOfOfficeChanged',
      args: [{ personId: 'ana', from: '2027-03-01', to: '2027-03-05', source: 'calendar', reason: 'Away' }],
      signalArgs: [
        { status: 'confirmed', eventId: 'e1', occurredAt: Date.parse('2027-02-15T10:00:00.000Z') },
      ],
    });
    // Listed again unchanged (a repeated push, a poll): nothing new.
    expect(planDispatches([created], known, ctx('incremental'))).toEqual([]);
  });

  it('keeps the workflow id when the event moves, and only signals a deletion', () => {
    const known = emptyKnownEvents();
    planDispatches([ooo('e1', '2027-03-01T00:00:00', '2027-03-06T00:00:00')], known, ctx('incremental'));
    const [moved] = planDispatches(
      [ooo('e1', '2027-03-02T00:00:00', '2027-03-06T00:00:00')],
      known,
      ctx('incremental'),
    );
    expect(moved).toMatchObject({
      kind: 'signalWithStart',
      workflowId: 'leave:ana:2027-03-01',
      signalArgs: [{ from: '2027-03-02' }],
    });
    const [deleted] = planDispatches(
      [{ id: 'e1', status: 'cancelled', eventType: 'default' }],
      known,
      ctx('incremental'),
    );
    expect(deleted).toMatchObject({
      kind: 'signal',
      workflowId: 'leave:ana:2027-03-01',
      args: [{ status: 'cancelled', from: '2027-03-02', to: '2027-03-05' }],
    });
    expect(
      planDispatches([{ id: 'e1', status: 'cancelled', eventType: 'default' }], known, ctx('incremental')),
    ).toEqual([]);
  });

  it('ignores prodops’ own blocks, other event types and calendars of no person', () => {
    const known = emptyKnownEvents();
    const own = ooo('p1', '2027-03-01T00:00:00', '2027-03-06T00:00:00', {
      prodopsKey: 'leave:ana:2027-03-01:out-of-office',
    });
    const meeting = ooo('m1', '2027-03-01T09:00:00', '2027-03-01T10:00:00', { eventType: 'default' });
    expect(planDispatches([own, meeting], known, ctx('incremental'))).toEqual([]);
    expect(
      planDispatches(
        [ooo('x', '2027-03-01T00:00:00', '2027-03-02T00:00:00')],
        known,
        ctx('incremental', { personId: null }),
      ),
    ).toEqual([]);
  });

  it('after a full resync cancels what vanished and starts only leave still ahead', () => {
    const known = emptyKnownEvents();
    planDispatches(
      [
        ooo('gone', '2027-03-01T00:00:00', '2027-03-03T00:00:00'),
        ooo('kept', '2027-04-01T00:00:00', '2027-04-03T00:00:00'),
      ],
      known,
      ctx('incremental'),
    );
    const listing = [
      ooo('kept', '2027-04-01T00:00:00', '2027-04-03T00:00:00'),
      ooo('past', '2027-01-04T00:00:00', '2027-01-06T00:00:00'),
      ooo('new', '2027-05-03T00:00:00', '2027-05-04T00:00:00'),
    ];
    const dispatches = planDispatches(listing, known, ctx('resync'));
    expect(dispatches.map((d) => [d.kind, d.workflowId])).toEqual([
      ['signalWithStart', 'leave:ana:2027-05-03'],
      ['signal', 'leave:ana:2027-03-01'],
    ]);
  });

  it('makes each instance of a recurring out-of-office event a request, and cancels one instance alone', () => {
    const known = emptyKnownEvents();
    const friday = (day: string) =>
      ooo(
        `s1_202703${day}T000000Z`,
        `2027-03-${day}T00:00:00`,
        `2027-03-${String(Number(day) + 1).padStart(2, '0')}T00:00:00`,
        {
          recurringEventId: 's1',
        },
      );
    const started = planDispatches([friday('05'), friday('12'), friday('19')], known, ctx('incremental'));
    expect(started.map((d) => [d.kind, d.workflowId])).toEqual([
      ['signalWithStart', 'leave:ana:2027-03-05'],
      ['signalWithStart', 'leave:ana:2027-03-12'],
      ['signalWithStart', 'leave:ana:2027-03-19'],
    ]);
    const [cancelled, ...rest] = planDispatches(
      [{ id: 's1_20270312T000000Z', status: 'cancelled', eventType: 'outOfOffice', recurringEventId: 's1' }],
      known,
      ctx('incremental'),
    );
    expect(rest).toEqual([]);
    expect(cancelled).toMatchObject({
      kind: 'signal',
      workflowId: 'leave:ana:2027-03-12',
      args: [{ status: 'cancelled' }],
    });
    // The whole series deleted, reported by its own id: every request of its instances still on.
    const series = planDispatches(
      [{ id: 's1', status: 'cancelled', eventType: 'outOfOffice' }],
      known,
      ctx('incremental'),
    );
    expect(series.map((d) => [d.kind, d.workflowId])).toEqual([
      ['signal', 'leave:ana:2027-03-05'],
      ['signal', 'leave:ana:2027-03-19'],
    ]);
  });

  it('hands the request of a series known as one event to its instance on the same day', () => {
    const known = emptyKnownEvents();
    // Listed before instances were: the series as one event, read as its first day.
    planDispatches([ooo('s2', '2027-03-05T00:00:00', '2027-03-06T00:00:00')], known, ctx('incremental'));
    const dispatches = planDispatches(
      [
        ooo('s2_20270305T000000Z', '2027-03-05T00:00:00', '2027-03-06T00:00:00', { recurringEventId: 's2' }),
        ooo('s2_20270312T000000Z', '2027-03-12T00:00:00', '2027-03-13T00:00:00', { recurringEventId: 's2' }),
      ],
      known,
      ctx('resync'),
    );
    // The first day's request goes on untouched (not cancelled as vanished); the next one starts.
    expect(dispatches.map((d) => [d.kind, d.workflowId])).toEqual([
      ['signalWithStart', 'leave:ana:2027-03-12'],
    ]);
    expect(known.outOfOffice['s2']).toBeUndefined();
    expect(known.outOfOffice['s2_20270305T000000Z']).toMatchObject({
      workflowId: 'leave:ana:2027-03-05',
      recurringEventId: 's2',
    });
  });

  it(`forgets leave that ended more than ${FORGET_AFTER_DAYS} days ago`, () => {
    const known = emptyKnownEvents();
    planDispatches([ooo('e1', '2027-03-01T00:00:00', '2027-03-06T00:00:00')], known, ctx('incremental'));
    planDispatches([], known, ctx('incremental', { today: '2027-05-04' }));
    expect(Object.keys(known.outOfOffice)).toEqual(['e1']);
    planDispatches([], known, ctx('incremental', { today: '2027-05-05' }));
    expect(known.outOfOffice).toEqual({});
  });
});

describe('the invite answer rule', () => {
  const invite = (answer: string): SyncedEvent => ({
    id: 'i1',
    status: 'confirmed',
    eventType: 'default',
    start: { dateTime: '2027-03-01T09:00:00Z' },
    end: { dateTime: '2027-03-01T09:15:00Z' },
    updated: '2027-02-15T11:00:00.000Z',
    attendees: [
      { email: 'product-ops@northwind.example', responseStatus: 'accepted', organizer: true },
      { email: 'Ben@northwind.example', responseStatus: answer },
    ],
    prodopsKey: 'leave:ana:2027-03-01:coverage-invite:ben',
    prodopsWorkflowId: 'leave:ana:2027-03-01',
  });

  it('signals each change of an answer to the workflow named on the event, once', () => {
    const known = emptyKnownEvents();
    expect(planDispatches([invite('needsAction')], known, ctx('baseline'))).toEqual([]);
    const [accepted] = planDispatches([invite('accepted')], known, ctx('incremental'));
    expect(accepted).toEqual({
      kind: 'signal',
      workflowId: 'leave:ana:2027-03-01',
      signal: 'inviteAnswered',
      args: [
        {
          calendarId: 'ana@northwind.example',
          eventId: 'i1',
          attendeeEmail: 'ben@northwind.example',
          response: 'accepted',
          occurredAt: Date.parse('2027-02-15T11:00:00.000Z'),
        },
      ],
      describe: 'ben@northwind.example accepted i1: inviteAnswered to leave:ana:2027-03-01',
    });
    expect(planDispatches([invite('accepted')], known, ctx('incremental'))).toEqual([]);
    expect(planDispatches([invite('declined')], known, ctx('incremental'))).toHaveLength(1);
  });
});
