/**
 * The leave workflow and its team coordinator on the time-skipping server, with in-memory
 * Calendar, Gmail, Notion and Jira: each gate's outcomes, the race for the last place, buddy
 * declines, refused confirmations, working-day reminders and expiry, moves and cancellation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { loadExampleConfig } from '../../helpers/config';
import { queryUntil } from '../../helpers/eventually';
import { recordHistory } from '../../helpers/histories';
import { startStack, type Stack } from '../../helpers/stack';
import { LeaveWorld, TEST_WORKER_SECRET } from './leave-world';
import { signAsWorker } from '../../../contracts/node/worker-key';
import { commandScope } from '../../../domain/operators';
import { signAs, withOperators } from '../../helpers/operators';
import { leaveWorkflow } from '../../../workflows/leave/workflow';
import {
  cancelLeave,
  confirmLeave,
  coordinatorState,
  inviteAnswered,
  leaveCoordinatorId,
  leaveStatus,
  leaveWorkflowId,
  outOfOfficeChanged,
  releaseReservation,
  type LeaveRequestInput,
  type LeaveStatusView,
  type OutOfOfficeChanged,
} from '../../../workflows/leave/messages';
import type { OrgConfig } from '../../../domain/config';
import {
  addCalendarDays,
  addWorkingDays,
  isWorkingDay,
  localDateOf,
  weekdayOf,
  zonedDateTimeToInstant,
  type BusinessCalendar,
  type CalendarDate,
} from '../../../domain/business-calendar';
import { resolveAllCalendars } from '../../../domain/holidays';
import { evaluateGateOne, normaliseWindow } from '../../../domain/coverage';
import { buildLeaveContext } from '../../../activities/leave';

const example = loadExampleConfig();
/**
 * The example organisation without its fixed blackouts (tests place their own), everyone an
 * operator with a key of their own, Priya (Product Ops) also granted to act for buddies.
 */
const operators = withOperators(
  { ...example, leave: { ...example.leave, blackouts: [] } },
  { priya: ['product-ops', 'buddy'] },
);
const config: OrgConfig = operators.config;
const SENDER = config.integrations.google.sender!;
const email = (id: string) => config.people.find((p) => p.id === id)!.email;
const year = new Date().getUTCFullYear();
const calendars = resolveAllCalendars(config, { from: year - 1, to: year + 2 });
const london = calendars.london!;

let stack: Stack;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  stack = await startStack({ config });
  env = stack.env;
});
afterAll(() => stack?.stop());

/**
 * A Monday at least `weeks` weeks ahead whose next `days` days are working days on every
 * calendar of the organisation, so no holiday decides a test.
 */
async function quietWindow(weeks: number, days: number): Promise<{ from: CalendarDate; to: CalendarDate }> {
  const today = localDateOf(await env.currentTimeMs(), 'Europe/London');
  let from = addCalendarDays(today, weeks * 7);
  for (;;) {
    if (weekdayOf(from) === 'mon') {
      const dates = Array.from({ length: days }, (_, i) => addCalendarDays(from, i));
      if (dates.every((d) => Object.values(calendars).every((cal) => isWorkingDay(cal, d))))
        return { from, to: dates[dates.length - 1]! };
    }
    from = addCalendarDays(from, 1);
  }
}

interface Run {
  world: LeaveWorld;
  start: (
    input: Omit<LeaveRequestInput, 'source'> & { source?: LeaveRequestInput['source'] },
  ) => Promise<WorkflowHandle<typeof leaveWorkflow>>;
  /** As the calendar-sync dispatcher starts a request: signal-with-start, the signal repeating the dates. */
  startFromCalendar: (
    input: LeaveRequestInput,
    change: OutOfOfficeChanged,
  ) => Promise<WorkflowHandle<typeof leaveWorkflow>>;
}

/** The world of the test running now (tests in a file run one at a time). */
let activeWorld: LeaveWorld | undefined;

async function withLeave(body: (run: Run) => Promise<void>, organisation: OrgConfig = config): Promise<void> {
  const world = new LeaveWorld(organisation, env.client);
  activeWorld = world;
  await stack.withWorkers({ activities: world.activities() }, async ({ taskQueue, track }) => {
    // Nothing may outlive its workers, not even an activity in flight: either would hold the
    // test server's clock still for every later test. The stack ends what is tracked, once idle.
    track(...organisation.teams.map((t) => env.client.workflow.getHandle(leaveCoordinatorId(t.id))));
    await body({
      world,
      start: async (input) => {
        const handle = await env.client.workflow.start(leaveWorkflow, {
          taskQueue,
          workflowId: leaveWorkflowId(input.personId, input.from),
          args: [{ source: 'cli', ...input }],
        });
        track(handle);
        return handle;
      },
      startFromCalendar: async (input, change) => {
        const handle = await env.client.workflow.signalWithStart(leaveWorkflow, {
          taskQueue,
          workflowId: leaveWorkflowId(input.personId, input.from),
          args: [input],
          signal: outOfOfficeChanged,
          signalArgs: [change],
        });
        track(handle);
        return handle;
      },
    });
  });
}

const waitFor = (
  handle: WorkflowHandle,
  predicate: (s: LeaveStatusView) => boolean,
  what: string,
): Promise<LeaveStatusView> => queryUntil(handle, leaveStatus, predicate, what, { attempts: 300 });

/** The current buddy's and the manager's invites are out and the tracker row exists. */
const awaiting = (s: LeaveStatusView) =>
  s.phase === 'awaiting-confirmation' &&
  s.trackerPageId !== null &&
  s.events.some((e) => e.kind === 'coverage-invite' && e.personId === s.buddy?.id && e.status === 'live') &&
  s.events.some((e) => e.kind === 'approval-invite' && e.status === 'live');
const invite = (s: LeaveStatusView, kind: 'coverage-invite' | 'approval-invite', personId: string) => {
  const found = s.events.find((e) => e.kind === kind && e.personId === personId && e.status === 'live');
  if (!found) throw new Error(`no live ${kind} for ${personId}: ${JSON.stringify(s.events)}`);
  return found;
};

async function answer(
  handle: WorkflowHandle,
  s: LeaveStatusView,
  kind: 'coverage-invite' | 'approval-invite',
  personId: string,
  response: 'accepted' | 'declined',
  from = email(personId),
): Promise<void> {
  const eventId = invite(s, kind, personId).eventId;
  const at = await env.currentTimeMs();
  // The answer lands in Google Calendar first; the signal only says where to look.
  activeWorld!.respond(eventId, from, response, at);
  await handle.signal(inviteAnswered, {
    calendarId: SENDER,
    eventId,
    attendeeEmail: from,
    response,
    occurredAt: at,
  });
}

/**
 * Lets server time run to `until` (epoch ms), then the request's final status. Stepping the clock
 * with sleep, rather than awaiting the result, keeps the test server from skipping on past the
 * workflow's own timers.
 */
async function settle(handle: WorkflowHandle, until: number): Promise<LeaveStatusView> {
  const now = await env.currentTimeMs();
  if (until > now) await env.sleep(until - now);
  for (let i = 0; i < 100; i++) {
    if ((await handle.describe()).status.name === 'COMPLETED') return handle.query(leaveStatus);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${handle.workflowId} did not complete by ${new Date(until).toISOString()}`);
}

const londonInstant = (date: CalendarDate, time = '00:00') =>
  Date.parse(zonedDateTimeToInstant(date, time, 'Europe/London'));

/**
 * The command as `by` sends it from the command line: signed with their own key, dated by the
 * server's clock; `operator` signs instead when someone acts on their behalf.
 */
async function signed<T extends { by?: string }>(
  handle: WorkflowHandle,
  update: UpdateDefinition<LeaveStatusView, [T]>,
  command: T,
  operator = command.by!,
): Promise<T> {
  return signAs(operators.keys, operator, handle.workflowId, update, command, await env.currentTimeMs());
}

async function refusedWith(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return (error as WorkflowUpdateFailedError).cause?.message ?? '';
}

function localTime(instant: string, cal: BusinessCalendar): { date: CalendarDate; time: string } {
  const date = localDateOf(instant, cal.timezone);
  const midnight = Date.parse(zonedDateTimeToInstant(date, '00:00', cal.timezone));
  const minutes = Math.floor((Date.parse(instant) - midnight) / 60_000);
  return {
    date,
    time: `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`,
  };
}

describe('leave workflow', () => {
  it('books a confirmed leave: invites, both confirmations, calendars, tracker and the hand-over', async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(3, 3);
      world.issues = [
        {
          key: 'INS-1',
          summary: 'Churn dashboard',
          duedate: addCalendarDays(from, 1),
          status: 'In Progress',
          assigneeAccountId: '5f1a00000000000000000gita',
        },
        {
          key: 'INS-2',
          summary: 'Later work',
          duedate: addCalendarDays(to, 7),
          status: 'To Do',
          assigneeAccountId: '5f1a00000000000000000gita',
        },
      ];
      const handle = await start({ personId: 'gita', from, to });
      const asked = await waitFor(handle, awaiting, 'the invites');
      expect(asked.gate1).toMatchObject({ passed: true, reasons: [] });
      expect(asked.buddy).toEqual({ id: 'hugo', name: 'Hugo Laurent' });
      expect(asked.manager).toEqual({ id: 'hana', name: 'Hana Okafor' });
      const coverage = world.events.find((e) => e.id === invite(asked, 'coverage-invite', 'hugo').eventId)!;
      expect(coverage).toMatchObject({
        calendarId: SENDER,
        attendees: [email('hugo')],
        transparency: 'transparent',
      });
      expect(coverage.privateProperties).toMatchObject({ prodopsWorkflowId: handle.workflowId });
      expect(world.pages).toHaveLength(1);
      expect(world.pages[0]!.properties.Status).toEqual({ status: 'Requested' });

      await answer(handle, asked, 'coverage-invite', 'hugo', 'accepted');
      await answer(handle, asked, 'approval-invite', 'hana', 'accepted');
      const done = await waitFor(
        handle,
        (s) => s.phase === 'confirmed' && s.notices.some((n) => n.kind === 'handover'),
        'the bookings',
      );
      expect(done.confirmations.buddy).toMatchObject({
        by: 'hugo',
        as: 'buddy',
        decision: 'approve',
        via: 'calendar',
      });
      expect(done.confirmations.manager).toMatchObject({ by: 'hana', as: 'manager', decision: 'approve' });

      const live = world.liveEvents().map((e) => [e.calendarId, e.eventType, e.summary]);
      expect(live).toEqual(
        expect.arrayContaining([
          [email('gita'), 'outOfOffice', 'Out of office'],
          [email('hugo'), 'default', 'Covering for Gita Sharma'],
        ]),
      );
      expect(live).toHaveLength(4);
      const block = world.liveEvents().find((e) => e.eventType === 'outOfOffice')!;
      expect([block.start, block.end, block.timeZone]).toEqual([
        `${from}T00:00`,
        `${addCalendarDays(to, 1)}T00:00`,
        'Europe/London',
      ]);
      expect(world.pages[0]!.properties).toMatchObject({
        Status: { status: 'Approved' },
        Team: { select: 'Insights pod' },
        Dates: { date: { start: from, end: to } },
      });
      expect(world.jql).toEqual([
        `assignee = "5f1a00000000000000000gita" AND duedate >= "${from}" AND duedate <= "${to}" ORDER BY duedate ASC`,
      ]);
      const handover = world.mailsTo(email('hugo')).find((m) => m.subject.startsWith('[prodops] You cover'))!;
      expect(handover.text).toContain('INS-1 Churn dashboard');
      expect(handover.text).not.toContain('INS-2');
      expect(world.mailsTo(email('gita')).map((m) => m.subject)).toEqual([
        `[prodops] Leave ${from} to ${to} confirmed`,
      ]);
      expect(world.mailsTo(email('gita'))[0]!.cc).toEqual([email('hana')]);

      const team = await env.client.workflow
        .getHandle(leaveCoordinatorId('insights'))
        .query(coordinatorState);
      expect(team.reservations).toMatchObject([{ personId: 'gita', status: 'confirmed', buddyId: 'hugo' }]);
      expect(team.history).toEqual([{ personId: 'hugo', lastCoveredOn: to, times: 1 }]);

      // The workflow stays until the leave is over, then ends as it was: every notice went once.
      const result = await settle(handle, londonInstant(addCalendarDays(to, 1), '00:01'));
      expect(result.phase).toBe('confirmed');
      expect(new Set(world.mails.map((m) => m.idempotencyKey)).size).toBe(world.mails.length);
      expect(world.mails).toHaveLength(2);
      await recordHistory(
        handle,
        'leave',
        'booked-to-the-end',
        'confirmed by calendar answers, booked, ended after the leave',
      );
    });
  });

  it('refuses at gate 1 for a launch and a blackout, says why and which nearby dates pass', async () => {
    const { from, to } = await quietWindow(4, 3);
    const organisation: OrgConfig = {
      ...config,
      leave: { ...config.leave, blackouts: [{ from: to, to, reason: 'Board review', teams: ['insights'] }] },
    };
    await withLeave(async ({ world, start }) => {
      world.commitments.gita = [
        { issueKey: 'REL-9', title: 'Saved filters', tier: 2, kind: 'launch', date: from },
      ];
      const handle = await start({ personId: 'gita', from, to });
      const result = await settle(handle, londonInstant(from, '00:01'));
      expect(result.phase).toBe('blocked');
      expect(result.gate1!.reasons.map((r) => [r.kind, r.message])).toEqual([
        ['release', `you own the launch of Saved filters (REL-9, Tier 2) on ${from}`],
        ['blackout', `the window touches the blackout ${to} to ${to}: Board review`],
      ]);
      const context = buildLeaveContext(organisation, 'gita', { from: year - 1, to: year + 2 });
      expect(result.gate1!.alternatives.length).toBeGreaterThan(0);
      for (const alternative of result.gate1!.alternatives)
        expect(
          evaluateGateOne({
            context,
            window: alternative,
            commitments: world.commitments.gita,
            reservations: [],
          }).passed,
        ).toBe(true);
      expect(world.events).toEqual([]);
      expect(world.pages).toEqual([]);
      const [mail] = world.mailsTo(email('gita'));
      expect(mail!.subject).toBe(`[prodops] Leave ${from} to ${to} cannot be approved`);
      expect(mail!.text).toContain('Saved filters');
      expect(mail!.text).toContain('These nearby dates would pass');
      const team = await env.client.workflow
        .getHandle(leaveCoordinatorId('insights'))
        .query(coordinatorState);
      expect(team.reservations).toEqual([]);
    }, organisation);
  });

  it('moves on to the next candidate when the buddy declines, skipping anyone busy', async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(6, 3);
      const handle = await start({ personId: 'ana', from, to });
      const asked = await waitFor(handle, awaiting, 'the invites');
      expect(asked.buddy?.id).toBe('ben');
      // chloe, next in ana's team, has a week off in her calendar.
      world.busy[email('chloe')] = [
        {
          start: zonedDateTimeToInstant(from, '00:00', 'America/New_York'),
          end: zonedDateTimeToInstant(addCalendarDays(to, 1), '00:00', 'America/New_York'),
        },
      ];
      // ben declines the coverage invite in his calendar.
      await answer(handle, asked, 'coverage-invite', 'ben', 'declined');
      const next = await waitFor(
        handle,
        (s) => s.buddy?.id !== 'ben' && s.buddy !== null && awaiting(s),
        'the next buddy',
      );
      expect(next.candidates.map((c) => [c.personId, c.outcome])).toEqual([
        ['ben', 'declined'],
        ['chloe', 'unavailable'],
        ['dev', 'invited'],
      ]);
      expect(next.candidates[1]!.reason).toBe(`busy for most of ${from} on their calendar`);
      expect(world.events.find((e) => e.attendees.includes(email('ben')))?.status).toBe('cancelled');
      const live = world.liveEvents();
      expect(live.map((e) => e.attendees)).toEqual(expect.arrayContaining([[email('dev')], [email('hana')]]));
      // The manager's invite stands: asked once per round.
      expect(world.events.filter((e) => e.attendees.includes(email('hana')))).toHaveLength(1);
      await recordHistory(
        handle,
        'leave',
        'buddy-declined',
        'the buddy declines; the next candidate is invited',
      );
    });
  });

  it('refuses and records confirmations from a third party or the requester; the manager may decline', async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(7, 2);
      const handle = await start({ personId: 'gita', from, to });
      const asked = await waitFor(handle, awaiting, 'the invites');
      expect(
        await refusedWith(
          handle.executeUpdate(confirmLeave, {
            args: [await signed(handle, confirmLeave, { by: 'dev', decision: 'approve' })],
          }),
        ),
      ).toBe(
        'dev is neither the covering buddy (Hugo Laurent) nor the manager (Hana Okafor) of this request',
      );
      expect(
        await refusedWith(
          handle.executeUpdate(confirmLeave, {
            args: [await signed(handle, confirmLeave, { by: 'gita', decision: 'approve' })],
          }),
        ),
      ).toBe('gita cannot confirm their own leave');
      expect(
        await refusedWith(
          handle.executeUpdate(confirmLeave, {
            args: [await signed(handle, confirmLeave, { by: 'hana', decision: 'maybe' as never })],
          }),
        ),
      ).toBe('decision: must be approve or decline');
      // An invite forwarded to someone else does not confirm anything either.
      await answer(handle, asked, 'coverage-invite', 'hugo', 'accepted', email('ana'));
      await answer(handle, asked, 'approval-invite', 'hana', 'accepted', email('gita'));
      const refused = await waitFor(handle, (s) => s.refusals.length === 4, 'the refusals');
      expect(refused.refusals.map((r) => [r.by, r.via])).toEqual([
        ['dev', 'command'],
        ['gita', 'command'],
        ['ana', 'calendar'],
        ['gita', 'calendar'],
      ]);
      expect(refused.refusals[2]!.reason).toBe(
        `${email('ana')} answered the coverage-invite meant for Hugo Laurent`,
      );
      expect(refused.confirmations).toEqual({ buddy: null, manager: null });

      await handle.executeUpdate(confirmLeave, {
        args: [
          await signed(handle, confirmLeave, { by: 'hana', decision: 'decline', note: 'quarter close' }),
        ],
      });
      const result = await settle(handle, 0);
      expect(result.phase).toBe('declined');
      expect(result.reason).toBe('declined by Hana Okafor: quarter close');
      expect(world.liveEvents()).toEqual([]);
      expect(world.pages[0]!.properties.Status).toEqual({ status: 'Declined' });
      expect(world.mailsTo(email('gita')).map((m) => m.subject)).toEqual([
        `[prodops] Leave ${from} to ${to} declined by Hana Okafor`,
      ]);
    });
  });

  it('reminds after 1 working day, escalates after 3 and expires after 5, counted on the requester calendar', async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(8, 2);
      // tom's manager is priya, whose manager is hana: the escalation goes up the chain.
      const handle = await start({ personId: 'tom', from, to });
      const asked = await waitFor(handle, awaiting, 'the invites');
      const invitedAt = asked.candidates.find((c) => c.outcome === 'invited')!.at;
      const sent = localTime(invitedAt, london);

      const day = (n: number) => addWorkingDays(london, sent.date, n);
      const result = await settle(handle, londonInstant(day(5), '23:59'));
      expect(result.phase).toBe('expired');
      const at = (kind: string, to?: string) =>
        result.notices
          .filter((n) => n.kind === kind && (!to || n.to.includes(to)))
          .map((n) => localTime(n.at, london));
      expect(at('reminder', email(asked.buddy!.id))).toEqual([{ date: day(1), time: sent.time }]);
      expect(at('reminder', email('priya'))).toEqual([{ date: day(1), time: sent.time }]);
      expect(at('escalation')).toEqual([{ date: day(3), time: sent.time }]);
      expect(at('expired')).toEqual([{ date: day(5), time: sent.time }]);
      expect(result.notices.find((n) => n.kind === 'escalation')!.to).toEqual([
        email('hana'),
        email('priya'),
      ]);
      expect(result.reason).toMatch(/within 5 working days$/);
      expect(world.liveEvents()).toEqual([]);
      expect(world.pages[0]!.properties.Status).toEqual({ status: 'Expired' });
      await recordHistory(
        handle,
        'leave',
        'reminded-escalated-expired',
        'reminders, escalation and expiry in working days',
      );
    });
  });

  it('runs both gates again when the out-of-office event moves, and never blocks the calendar twice', async () => {
    await withLeave(async ({ world, startFromCalendar }) => {
      const { from, to } = await quietWindow(9, 3);
      const ooo = { calendarId: email('gita'), eventId: 'ooo1' };
      const handle = await startFromCalendar(
        { personId: 'gita', from, to, source: 'calendar', outOfOfficeEvent: ooo },
        { ...ooo, status: 'confirmed', from, to, occurredAt: await env.currentTimeMs() },
      );
      const first = await waitFor(handle, awaiting, 'the invites');
      // The signal that started it repeats the request's dates: still the first round.
      expect(first.round).toBe(1);
      await handle.executeUpdate(confirmLeave, {
        args: [await signed(handle, confirmLeave, { by: 'hugo', decision: 'approve' })],
      });
      await handle.executeUpdate(confirmLeave, {
        args: [await signed(handle, confirmLeave, { by: 'hana', decision: 'approve' })],
      });
      await waitFor(
        handle,
        (s) => s.phase === 'confirmed' && s.events.some((e) => e.kind === 'covering'),
        'the bookings',
      );
      expect(world.events.some((e) => e.eventType === 'outOfOffice')).toBe(false);

      const moved = { from: addCalendarDays(from, 7), to: addCalendarDays(to, 7) };
      await handle.signal(outOfOfficeChanged, {
        ...ooo,
        status: 'confirmed',
        ...moved,
        occurredAt: (await env.currentTimeMs()) + 1,
      });
      // An older delivery of the first dates arriving late changes nothing.
      await handle.signal(outOfOfficeChanged, { ...ooo, status: 'confirmed', from, to, occurredAt: 1 });
      const second = await waitFor(handle, (s) => s.round === 2 && awaiting(s), 'the second round');
      expect(second.window).toEqual(normaliseWindow(moved));
      expect(second.confirmations).toEqual({ buddy: null, manager: null });
      expect(second.events.every((e) => e.status === 'live' && e.idempotencyKey.includes(':r2:'))).toBe(true);
      const firstRound = first.events.map((e) => e.idempotencyKey);
      expect(world.events.filter((e) => firstRound.includes(e.idempotencyKey)).map((e) => e.status)).toEqual([
        'cancelled',
        'cancelled',
      ]);
      expect(world.events.find((e) => e.summary.startsWith('Covering'))?.status).toBe('cancelled');
      expect(world.pages[0]!.properties).toMatchObject({
        Status: { status: 'Requested' },
        Dates: { date: { start: moved.from, end: moved.to } },
      });
      await recordHistory(
        handle,
        'leave',
        'moved-from-calendar',
        'started from the calendar, confirmed, moved: both gates again',
      );
    });
  });

  it('removes everything prodops created when the leave is cancelled', async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(10, 2);
      const handle = await start({ personId: 'ana', from, to });
      await waitFor(handle, awaiting, 'the invites');
      await handle.executeUpdate(confirmLeave, {
        args: [await signed(handle, confirmLeave, { by: 'ben', decision: 'approve' })],
      });
      await handle.executeUpdate(confirmLeave, {
        args: [await signed(handle, confirmLeave, { by: 'hana', decision: 'approve' })],
      });
      const booked = await waitFor(
        handle,
        (s) => s.phase === 'confirmed' && s.notices.some((n) => n.kind === 'handover'),
        'the bookings',
      );
      expect(booked.events.map((e) => e.kind).sort()).toEqual([
        'approval-invite',
        'coverage-invite',
        'covering',
        'out-of-office',
        'team-calendar',
      ]);
      expect(world.liveEvents().map((e) => e.calendarId)).toContain('growth-team@northwind.example');

      expect(
        await refusedWith(
          handle.executeUpdate(cancelLeave, { args: [await signed(handle, cancelLeave, { by: 'ben' })] }),
        ),
      ).toBe("ben cannot cancel Ana Costa's leave: only they or their management chain can");
      const cancelled = await handle.executeUpdate(cancelLeave, {
        args: [await signed(handle, cancelLeave, { by: 'ana', reason: 'plans changed' })],
      });
      expect(cancelled.phase).toBe('cancelled');
      expect(cancelled.events.every((e) => e.status === 'removed')).toBe(true);
      expect(world.liveEvents()).toEqual([]);
      expect(world.events).toHaveLength(5);
      expect(world.pages[0]!.properties.Status).toEqual({ status: 'Cancelled' });
      const notice = world.mails.find((m) => m.subject === `[prodops] Leave ${from} to ${to} cancelled`)!;
      expect(notice.to.sort()).toEqual([email('ana'), email('ben'), email('hana')].sort());
      const team = await env.client.workflow.getHandle(leaveCoordinatorId('growth')).query(coordinatorState);
      expect(team.reservations).toEqual([]);
      expect((await settle(handle, 0)).phase).toBe('cancelled');
      await recordHistory(
        handle,
        'leave',
        'cancelled',
        'confirmed and booked, then cancelled: everything removed',
      );
      await recordHistory(
        env.client.workflow.getHandle(leaveCoordinatorId('growth')),
        'leave',
        'coordinator-growth',
        'the coordinator of a team: reservations held, confirmed and released',
      );
    });
  });
  it('blocks with the reason when nobody can cover or nobody can approve', async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(11, 2);
      // maya's only fellow support lead, sam, is away the same days.
      world.busy[email('sam')] = [
        {
          start: zonedDateTimeToInstant(from, '00:00', 'America/New_York'),
          end: zonedDateTimeToInstant(addCalendarDays(to, 1), '00:00', 'America/New_York'),
        },
      ];
      const noBuddy = await start({ personId: 'maya', from, to });
      // nora, head of sales, has no manager to approve her leave.
      const noManager = await start({ personId: 'nora', from, to });
      const [maya, nora] = await Promise.all([
        waitFor(noBuddy, (s) => s.phase === 'blocked' && s.notices.length === 1, 'maya blocked'),
        waitFor(noManager, (s) => s.phase === 'blocked' && s.notices.length === 1, 'nora blocked'),
      ]);
      expect(maya.gate1?.passed).toBe(true);
      expect(maya.candidates).toEqual([
        expect.objectContaining({
          personId: 'sam',
          outcome: 'unavailable',
          reason: `busy for most of ${from} on their calendar`,
        }),
      ]);
      expect(maya.reason).toBe(
        `no other support_lead can cover ${from} to ${to}: Sam Rivera unavailable (busy for most of ${from} on their calendar)`,
      );
      expect(nora.reason).toBe('Nora Fischer has no manager in the configuration to approve leave');
      expect(world.events).toEqual([]);
      expect(world.mailsTo(email('maya'))[0]!.text).toContain('no other support_lead can cover');
      const gtm = await env.client.workflow.getHandle(leaveCoordinatorId('gtm')).query(coordinatorState);
      expect(gtm.reservations).toEqual([]);
    });
  });

  // A decision that arrives while a booking call runs is acted on when the call returns. Server
  // time does not skip while the test only queries, so waiting for the next deadline (the end of
  // the leave, weeks away) would never come: the step after the call must be the decision's.
  it('replaces a buddy who withdraws while the booking is in flight, without waiting for a deadline', async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(12, 2);
      const handle = await start({ personId: 'gita', from, to });
      const asked = await waitFor(handle, awaiting, 'the invites');
      const covering = world.hold(
        (call) => call.startsWith('upsertEvent') && call.includes(':covering:hugo'),
      );
      try {
        await handle.executeUpdate(confirmLeave, {
          args: [await signed(handle, confirmLeave, { by: 'hugo', decision: 'approve' })],
        });
        await handle.executeUpdate(confirmLeave, {
          args: [await signed(handle, confirmLeave, { by: 'hana', decision: 'approve' })],
        });
        await covering.reached;
        const heldAt = await env.currentTimeMs();
        // hugo declines the coverage invite in his calendar while his covering event is being made.
        await answer(handle, asked, 'coverage-invite', 'hugo', 'declined');
        expect((await handle.query(leaveStatus)).phase).toBe('confirmed');
        covering.release();
        const next = await waitFor(
          handle,
          (s) => s.buddy !== null && s.buddy.id !== 'hugo' && awaiting(s),
          'the next buddy',
        );
        expect(next.candidates.map((c) => [c.personId, c.outcome])).toEqual([
          ['hugo', 'declined'],
          [next.buddy!.id, 'invited'],
        ]);
        expect(next.confirmations.buddy).toBeNull();
        expect(next.confirmations.manager).toMatchObject({ by: 'hana', decision: 'approve' });
        expect(world.events.find((e) => e.summary === 'Covering for Gita Sharma')?.status).toBe('cancelled');
        // No deadline ran: the first reminder is a working day away.
        expect((await env.currentTimeMs()) - heldAt).toBeLessThan(60 * 60 * 1000);
        expect(next.notices.filter((n) => n.kind === 'reminder')).toEqual([]);
      } finally {
        covering.release();
      }
    });
  });

  it('ends a leave the manager declines while the hand-over is being prepared', async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(13, 2);
      const handle = await start({ personId: 'ana', from, to });
      await waitFor(handle, awaiting, 'the invites');
      const handover = world.hold((call) => call.startsWith('searchIssues'));
      try {
        await handle.executeUpdate(confirmLeave, {
          args: [await signed(handle, confirmLeave, { by: 'ben', decision: 'approve' })],
        });
        await handle.executeUpdate(confirmLeave, {
          args: [await signed(handle, confirmLeave, { by: 'hana', decision: 'approve' })],
        });
        await handover.reached;
        await handle.executeUpdate(confirmLeave, {
          args: [
            await signed(handle, confirmLeave, { by: 'hana', decision: 'decline', note: 'release week' }),
          ],
        });
        handover.release();
        const result = await settle(handle, 0);
        expect(result.phase).toBe('declined');
        expect(result.reason).toBe('declined by Hana Okafor: release week');
        expect(world.liveEvents()).toEqual([]);
        expect(world.pages[0]!.properties.Status).toEqual({ status: 'Declined' });
      } finally {
        handover.release();
      }
    });
  });

  it("refuses an answer from a look-alike event on the requester's own calendar, and records it", async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(15, 2);
      const handle = await start({ personId: 'gita', from, to });
      const asked = await waitFor(handle, awaiting, 'the invites');
      const approval = invite(asked, 'approval-invite', 'hana');
      // Gita copies the invite's id onto an event of her own calendar and has Hana "accept" it.
      await handle.signal(inviteAnswered, {
        calendarId: email('gita'),
        eventId: approval.eventId,
        attendeeEmail: email('hana'),
        response: 'accepted',
        occurredAt: await env.currentTimeMs(),
      });
      const refused = await waitFor(handle, (s) => s.refusals.length === 1, 'the refusal');
      expect(refused.refusals[0]).toMatchObject({
        by: 'hana',
        via: 'calendar',
        reason: `an answer to the approval-invite came from an event on ${email('gita')}, not the invite prodops sent from ${SENDER}`,
      });
      expect(refused.confirmations.manager).toBeNull();
      expect(world.calls.filter((c) => c.startsWith('readInvite'))).toEqual([]);
    });
  });

  it("counts an answer only as Google Calendar shows it on prodops' own invite", async () => {
    await withLeave(async ({ world, start }) => {
      const { from, to } = await quietWindow(16, 2);
      const handle = await start({ personId: 'gita', from, to });
      const asked = await waitFor(handle, awaiting, 'the invites');
      const approval = invite(asked, 'approval-invite', 'hana');
      // A signal from anyone who reaches Temporal: right calendar, right event, no such answer.
      await handle.signal(inviteAnswered, {
        calendarId: SENDER,
        eventId: approval.eventId,
        attendeeEmail: email('hana'),
        response: 'accepted',
        occurredAt: await env.currentTimeMs(),
      });
      const refused = await waitFor(handle, (s) => s.refusals.length === 1, 'the refusal');
      expect(refused.refusals[0]).toMatchObject({
        by: 'hana',
        via: 'calendar',
        reason:
          'an answer "accepted" to the approval-invite is not what Google Calendar shows (needsAction): it does not count',
      });
      expect(refused.confirmations.manager).toBeNull();
      expect(world.calls).toContain(`readInvite ${approval.eventId}`);
      // Hana really accepts: now it counts, as Google Calendar shows it.
      await answer(handle, asked, 'approval-invite', 'hana', 'accepted');
      const approved = await waitFor(handle, (s) => s.confirmations.manager !== null, 'the approval');
      expect(approved.confirmations.manager).toMatchObject({
        by: 'hana',
        decision: 'approve',
        via: 'calendar',
      });
    });
  });

  it('refuses confirming for somebody else without a grant; a granted operator passes and is recorded', async () => {
    await withLeave(async ({ start }) => {
      const { from, to } = await quietWindow(17, 2);
      const handle = await start({ personId: 'gita', from, to });
      await waitFor(handle, awaiting, 'the invites');
      // Tom (Product Ops, the default grant) claims to confirm for Hugo, the buddy.
      expect(
        await refusedWith(
          handle.executeUpdate(confirmLeave, {
            args: [await signed(handle, confirmLeave, { by: 'hugo', decision: 'approve' }, 'tom')],
          }),
        ),
      ).toBe(
        'operator tom may not act for hugo as buddy: their grant covers product-ops (operators[].actsFor)',
      );
      // Priya's grant covers buddies: she records Hugo's answer, given to her in person.
      const confirmed = await handle.executeUpdate(confirmLeave, {
        args: [await signed(handle, confirmLeave, { by: 'hugo', decision: 'approve' }, 'priya')],
      });
      expect(confirmed.confirmations.buddy).toMatchObject({
        by: 'hugo',
        via: 'command',
        operator: 'priya',
        decision: 'approve',
      });
      expect(confirmed.refusals).toEqual([
        expect.objectContaining({ by: 'hugo', operator: 'tom', via: 'command' }),
      ]);
      expect(confirmed.log.map((l) => l.message)).toContain(
        'buddy hugo confirmed via command (operator priya)',
      );
    });
  });

  it('refuses an unsigned command, a forged or stale signature, and a signed command played twice', async () => {
    await withLeave(async ({ start }) => {
      const { from, to } = await quietWindow(18, 2);
      const handle = await start({ personId: 'gita', from, to });
      await waitFor(handle, awaiting, 'the invites');
      // Anyone who reaches Temporal, naming Hana.
      expect(
        await refusedWith(
          handle.executeUpdate(confirmLeave, { args: [{ by: 'hana', decision: 'approve' }] }),
        ),
      ).toMatch(/^this command carries no operator signature/);
      // Dev signs, but says the signature is Hana's.
      const forged = await signed(handle, confirmLeave, { by: 'hana', decision: 'approve' }, 'dev');
      forged.auth = { ...forged.auth!, operator: 'hana' };
      expect(await refusedWith(handle.executeUpdate(confirmLeave, { args: [forged] }))).toBe(
        `the signature does not match hana's key for this command on ${handle.workflowId}`,
      );
      // Hana's own command, signed ten minutes ago (captured, say) is too old.
      const stale = signAs(
        operators.keys,
        'hana',
        handle.workflowId,
        confirmLeave,
        { by: 'hana', decision: 'approve' as const },
        (await env.currentTimeMs()) - 10 * 60_000,
      );
      expect(await refusedWith(handle.executeUpdate(confirmLeave, { args: [stale] }))).toMatch(
        /^the command was signed 600 s ago/,
      );
      // Signed for another request: the signature covers the workflow id.
      const elsewhere = signAs(
        operators.keys,
        'hana',
        leaveWorkflowId('hugo', from),
        confirmLeave,
        { by: 'hana', decision: 'decline' as const },
        await env.currentTimeMs(),
      );
      expect(await refusedWith(handle.executeUpdate(confirmLeave, { args: [elsewhere] }))).toMatch(
        /^the signature does not match hana's key/,
      );
      // Hana's real command counts once; the same bytes again are refused.
      const real = await signed(handle, confirmLeave, { by: 'hana', decision: 'approve' });
      const approved = await handle.executeUpdate(confirmLeave, { args: [real] });
      expect(approved.confirmations.manager).toMatchObject({ by: 'hana', decision: 'approve' });
      expect(await refusedWith(handle.executeUpdate(confirmLeave, { args: [real] }))).toBe(
        'the command was already received once: sign it again',
      );
      const status = await handle.query(leaveStatus);
      expect(status.refusals.map((r) => r.reason)).toEqual([
        expect.stringMatching(/^this command carries no operator signature/),
        `the signature does not match hana's key for this command on ${handle.workflowId}`,
      ]);
    });
  });

  it('lets nobody but the request release or take its place at the team coordinator', async () => {
    await withLeave(async ({ start }) => {
      const { from, to } = await quietWindow(19, 2);
      const handle = await start({ personId: 'gita', from, to });
      await waitFor(handle, awaiting, 'the invites');
      const coordinator = env.client.workflow.getHandle(leaveCoordinatorId('insights'));
      const held = () =>
        coordinator.query(coordinatorState).then((s) => s.reservations.map((r) => r.workflowId));
      expect(await held()).toContain(handle.workflowId);
      // Anyone who reaches Temporal, releasing Gita's place.
      expect(
        await refusedWith(
          coordinator.executeUpdate(releaseReservation, { args: [{ workflowId: handle.workflowId }] }),
        ),
      ).toMatch(/^the call carries no worker signature/);
      // A call signed by a key that is not the worker's.
      const notTheWorker = signAs(
        operators.keys,
        'gita',
        coordinator.workflowId,
        releaseReservation,
        { workflowId: handle.workflowId, caller: handle.workflowId },
        await env.currentTimeMs(),
      );
      expect(
        await refusedWith(coordinator.executeUpdate(releaseReservation, { args: [notTheWorker] })),
      ).toMatch(/^the call is not a worker's: gita is not an operator/);
      // A worker-signed call from another request, for Gita's place.
      const otherCaller = { workflowId: handle.workflowId, caller: leaveWorkflowId('hugo', from) };
      const wrongCaller = {
        ...otherCaller,
        auth: signAsWorker(
          TEST_WORKER_SECRET,
          commandScope(coordinator.workflowId, releaseReservation.name, otherCaller),
          await env.currentTimeMs(),
        ),
      };
      expect(await refusedWith(coordinator.executeUpdate(releaseReservation, { args: [wrongCaller] }))).toBe(
        `only ${handle.workflowId} itself may release its place (the call came from ${leaveWorkflowId('hugo', from)})`,
      );
      expect(await held()).toContain(handle.workflowId);
    });
  });

  // Last: on the time-skipping server, racing requests can leave its clock unable to skip for
  // the rest of the run, and every test above needs it to.
  it('lets exactly one of two racing requests take the last place on duty', async () => {
    await withLeave(async ({ start }) => {
      const { from, to } = await quietWindow(5, 2);
      // gita and hugo are insights' only PMs; one must stay on duty.
      const [a, b] = await Promise.all([
        start({ personId: 'gita', from, to }),
        start({ personId: 'hugo', from, to }),
      ]);
      const judged = await Promise.all([a, b].map((h) => waitFor(h, (s) => s.gate1 !== null, 'gate 1')));
      expect(judged.filter((s) => s.gate1!.passed)).toHaveLength(1);
      const loser = judged.find((s) => !s.gate1!.passed)!;
      expect(loser.phase).toBe('blocked');
      expect(loser.gate1!.reasons.map((r) => r.kind)).toEqual(['coverage']);
      expect(loser.gate1!.reasons[0]!.message).toMatch(
        /^Insights pod needs at least 1 product_manager on duty/,
      );
      const team = await env.client.workflow
        .getHandle(leaveCoordinatorId('insights'))
        .query(coordinatorState);
      expect(team.reservations.map((r) => r.personId)).toEqual([
        judged.find((s) => s.gate1!.passed)!.personId,
      ]);
    });
  });
});
