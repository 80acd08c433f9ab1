/**
 * The calendar-sync workflow end to end on the time-skipping server: the Google sandbox pushes
 * to the trigger gateway when a person's calendar changes, the gateway signals the sync, the
 * sync reads the changes from the sandbox and the dispatcher signals-with-start the leave
 * workflow (a recording stand-in under its type name). Also: channel renewal before expiry, and
 * a full resync after the sync token expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../../sandbox/index';
import { calendarSyncTargets } from '../../../triggers/calendar';
import type { Gateway } from '../../../triggers/gateway';
import { watchCalendars } from '../../../cli/calendar';
import {
  calendarChanged,
  calendarSyncStatus,
  CALENDAR_SYNC_WORKFLOW_TYPE,
  calendarSyncWorkflowId,
  stopCalendarSync,
  type CalendarSyncInput,
  type CalendarSyncStatus,
} from '../../../workflows/calendar-sync/messages';
import { leaveWorkflowId } from '../../../workflows/leave/messages';
import { leaveRecording, type LeaveRecording } from '../../fixtures/calendar-sync-workflows';
import { loadExampleConfig } from '../../helpers/config';
import { eventually } from '../../helpers/eventually';
import { recordHistory } from '../../helpers/histories';
import { startStack, type Stack } from '../../helpers/stack';

const config = loadExampleConfig();
const FIXTURE = fileURLToPath(new URL('../../fixtures/calendar-sync-workflows.ts', import.meta.url));
const ANA = 'ana@northwind.example';
const BEN = 'ben@northwind.example';
const HANA = 'hana@northwind.example';
const SENDER = config.integrations.google.sender!;

let stack: Stack;
let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let gateway: Gateway;
let taskQueue: string;

beforeAll(async () => {
  stack = await startStack({
    config,
    workflows: FIXTURE,
    sandbox: true,
    workers: 'sandbox',
    gateway: true,
  });
  ({ env, sandbox, gateway, taskQueue } = stack);
});
afterAll(() => stack?.stop());

const syncStatus = (calendarId: string) =>
  env.client.workflow.getHandle(calendarSyncWorkflowId(calendarId)).query(calendarSyncStatus);
const recording = (workflowId: string) => env.client.workflow.getHandle(workflowId).query(leaveRecording);

async function statusWhere(calendarId: string, test: (s: CalendarSyncStatus) => boolean, what: string) {
  return eventually(async () => {
    const status = await syncStatus(calendarId);
    return test(status) ? status : undefined;
  }, what);
}

async function recordingWhere(workflowId: string, test: (r: LeaveRecording) => boolean, what: string) {
  return eventually(async () => {
    const r = await recording(workflowId);
    return test(r) ? r : undefined;
  }, what);
}

describe('calendar-sync', () => {
  it('opens a channel, renews it a day before it expires and stops the old one', async () => {
    const target = calendarSyncTargets(config).find((t) => t.calendarId === BEN)!;
    const input: CalendarSyncInput = {
      ...target,
      address: `${gateway.url}/calendar`,
      pollIntervalSeconds: 2 * 24 * 3600,
    };
    await env.client.workflow.signalWithStart(CALENDAR_SYNC_WORKFLOW_TYPE, {
      workflowId: calendarSyncWorkflowId(BEN),
      taskQueue,
      args: [input],
      signal: calendarChanged,
      signalArgs: [{ reason: 'watch' }],
    });
    const first = await statusWhere(BEN, (s) => s.channel !== null && s.hasSyncToken, 'the first channel');
    expect(first.channel!.generation).toBe(1);
    expect(sandbox.google.store.channelsFor(BEN).map((c) => c.id)).toEqual([first.channel!.channelId]);
    // The sandbox told the gateway the channel is live, with the token the workflow derived.
    await eventually(
      async () =>
        sandbox.google.store.pushes.some(
          (p) => p.channelId === first.channel!.channelId && p.state === 'sync' && p.status === 200,
        ),
      'the sync message accepted by the gateway',
    );

    // Five days on (two backstop syncs later) the week-long channel is still the first one.
    await env.sleep('5 days');
    const fiveDays = await statusWhere(BEN, (s) => s.syncs >= 3, 'the backstop syncs of five days');
    expect(fiveDays.channel!.channelId).toBe(first.channel!.channelId);

    // A day before it expires, the next one opens and the first is stopped.
    await env.sleep('25 hours');
    const renewed = await statusWhere(BEN, (s) => s.channel?.generation === 2, 'the renewed channel');
    expect(renewed.channel!.channelId).not.toBe(first.channel!.channelId);
    await eventually(
      async () =>
        sandbox.google.store
          .channelsFor(BEN)
          .map((c) => c.id)
          .join() === renewed.channel!.channelId,
      'the old channel stopped',
    );

    await env.client.workflow
      .getHandle(calendarSyncWorkflowId(BEN))
      .signal(stopCalendarSync, { reason: 'test done' });
    await eventually(
      async () => sandbox.google.store.channelsFor(BEN).length === 0,
      'the channel stopped on stop',
    );
    await recordHistory(
      env.client.workflow.getHandle(calendarSyncWorkflowId(BEN)),
      'calendar-sync',
      'channel-renewed-and-stopped',
      'a channel opened, backstop syncs, renewed a day before expiry, stopped on request',
    );
  });

  it('starts the leave workflow from an out-of-office event pushed by Google, and moves it', async () => {
    await watchCalendars(
      env.client,
      calendarSyncTargets(config).filter((t) => t.calendarId === ANA),
      {
        taskQueue,
        address: `${gateway.url}/calendar`,
        renewChannel: true,
      },
    );
    await statusWhere(ANA, (s) => s.channel !== null && s.hasSyncToken, 'the baseline sync of ana');

    const event = sandbox.google.store.createEventAs(ANA, {
      summary: 'Holiday in Lisbon',
      eventType: 'outOfOffice',
      start: { dateTime: '2027-03-01T00:00:00', timeZone: 'Europe/London' },
      end: { dateTime: '2027-03-06T00:00:00', timeZone: 'Europe/London' },
      outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
    });
    const leaveId = leaveWorkflowId('ana', '2027-03-01');
    const first = await recordingWhere(
      leaveId,
      (r) => r.changes.length >= 1,
      'the leave workflow to hear of it',
    );
    expect(first.input).toEqual({
      personId: 'ana',
      from: '2027-03-01',
      to: '2027-03-05',
      firstDay: 'full',
      lastDay: 'full',
      reason: 'Holiday in Lisbon',
      source: 'calendar',
      outOfOfficeEvent: { calendarId: ANA, eventId: event.id },
    });
    expect(first.changes[0]).toMatchObject({
      status: 'confirmed',
      from: '2027-03-01',
      to: '2027-03-05',
      eventId: event.id,
    });
    expect(
      sandbox.google.store.pushes.some(
        (p) => p.calendarId === ANA && p.state === 'exists' && p.status === 200,
      ),
    ).toBe(true);

    // Moved to end at noon on Tuesday: same request, new dates, the last day a morning.
    sandbox.google.store.changeEvent(
      ANA,
      ANA,
      event.id as string,
      { end: { dateTime: '2027-03-09T12:00:00', timeZone: 'Europe/London' } },
      new URLSearchParams(),
      'patch',
    );
    const moved = await recordingWhere(
      leaveId,
      (r) => r.changes.length >= 2,
      'the move to reach the same request',
    );
    expect(moved.changes[1]).toMatchObject({
      status: 'confirmed',
      from: '2027-03-01',
      to: '2027-03-09',
      lastDay: 'morning',
    });
  });

  it('after a 410 on the sync token lists everything again and cancels the deleted leave', async () => {
    const leaveId = leaveWorkflowId('ana', '2027-03-01');
    const before = await syncStatus(ANA);
    const [event] = sandbox.google.store
      .events(ANA)
      .filter((e) => e.eventType === 'outOfOffice' && e.status === 'confirmed');
    sandbox.google.store.invalidateSyncTokens(ANA);
    sandbox.google.store.deleteEventAs(ANA, event!.id as string);

    const cancelled = await recordingWhere(
      leaveId,
      (r) => r.changes.some((c) => c.status === 'cancelled'),
      'the cancellation',
    );
    expect(cancelled.changes.at(-1)).toMatchObject({
      status: 'cancelled',
      from: '2027-03-01',
      to: '2027-03-09',
      eventId: event!.id,
    });
    const after = await syncStatus(ANA);
    expect(after.fullResyncs).toBe(before.fullResyncs + 1);
    expect(after.following.outOfOffice).toBe(0);
  });

  it('continues as new before its history grows large, keeping its token, channel and what it follows', async () => {
    const CHLOE = 'chloe@northwind.example';
    const target = calendarSyncTargets(config).find((t) => t.calendarId === CHLOE)!;
    const handle = await env.client.workflow.signalWithStart(CALENDAR_SYNC_WORKFLOW_TYPE, {
      workflowId: calendarSyncWorkflowId(CHLOE),
      taskQueue,
      args: [{ ...target, address: `${gateway.url}/calendar`, pollIntervalSeconds: 60 }],
      signal: calendarChanged,
      signalArgs: [{ reason: 'watch' }],
    });
    const first = await statusWhere(
      CHLOE,
      (s) => s.channel !== null && s.hasSyncToken,
      'the first sync of chloe',
    );
    sandbox.google.store.createEventAs(CHLOE, {
      summary: 'Conference',
      eventType: 'outOfOffice',
      start: { dateTime: '2027-05-03T00:00:00', timeZone: 'America/New_York' },
      end: { dateTime: '2027-05-05T00:00:00', timeZone: 'America/New_York' },
      outOfOfficeProperties: { autoDeclineMode: 'declineOnlyNewConflictingInvitations' },
    });
    await statusWhere(CHLOE, (s) => s.following.outOfOffice === 1, 'the out-of-office event followed');

    // A sync a minute for three hours is far more history than one run keeps.
    await env.sleep('3 hours');
    const later = await statusWhere(CHLOE, (s) => s.syncs > 150, 'three hours of syncs');
    const description = await handle.describe();
    expect(description.runId).not.toBe(handle.signaledRunId);
    expect(later).toMatchObject({ hasSyncToken: true, fullResyncs: 0, following: { outOfOffice: 1 } });
    expect(later.channel!.channelId).toBe(first.channel!.channelId);
    expect(await recording(leaveWorkflowId('chloe', '2027-05-03'))).toMatchObject({
      changes: [{ status: 'confirmed' }],
    });
  });

  it("does not hear a look-alike invite on a person's own calendar, even one naming a workflow", async () => {
    const leaveId = leaveWorkflowId('ana', '2027-03-08');
    // Ana makes an event on her own calendar that looks like prodops' approval invite to her
    // manager, names her request, and has Hana "accept" it.
    const fake = sandbox.google.store.createEventAs(ANA, {
      summary: 'Approve leave for Ana Costa',
      start: { dateTime: '2027-03-08T09:00:00', timeZone: 'Europe/London' },
      end: { dateTime: '2027-03-08T09:15:00', timeZone: 'Europe/London' },
      attendees: [{ email: HANA }],
      extendedProperties: {
        private: { prodopsKey: `${leaveId}:r1:approval-invite:hana`, prodopsWorkflowId: leaveId },
      },
    });
    sandbox.google.store.respondToEvent(ANA, fake.id as string, HANA, 'accepted');
    const before = await syncStatus(ANA);
    await env.client.workflow
      .getHandle(calendarSyncWorkflowId(ANA))
      .signal(calendarChanged, { reason: 'push' });
    await statusWhere(ANA, (s) => s.syncs > before.syncs, 'a sync of ana after the look-alike');
    const after = await syncStatus(ANA);
    expect(after.dispatched).toBe(before.dispatched);
    expect(after.log.map((l) => l.message).join('\n')).not.toContain('inviteAnswered');
  });

  it('tells the workflow named on an invite the sender organises when an attendee answers it', async () => {
    const leaveId = leaveWorkflowId('ana', '2027-03-01');
    const target = calendarSyncTargets(config).find((t) => t.calendarId === SENDER)!;
    await env.client.workflow.signalWithStart(CALENDAR_SYNC_WORKFLOW_TYPE, {
      workflowId: calendarSyncWorkflowId(SENDER),
      taskQueue,
      args: [{ ...target, address: `${gateway.url}/calendar` }],
      signal: calendarChanged,
      signalArgs: [{ reason: 'watch' }],
    });
    await statusWhere(SENDER, (s) => s.hasSyncToken, 'the first sync of the sender');
    const invite = sandbox.google.store.createEventAs(SENDER, {
      summary: 'Can you cover for Ana?',
      start: { dateTime: '2027-03-01T09:00:00', timeZone: 'Europe/London' },
      end: { dateTime: '2027-03-01T09:15:00', timeZone: 'Europe/London' },
      attendees: [{ email: BEN }],
      extendedProperties: {
        private: { prodopsKey: `${leaveId}:r1:coverage-invite:ben`, prodopsWorkflowId: leaveId },
      },
    });
    sandbox.google.store.respondToEvent(SENDER, invite.id as string, BEN, 'accepted');
    // Push delivery is not guaranteed (that is why the workflow also syncs on a timer); what is
    // under test here is the dispatch, so a sync is asked for as the backstop would.
    await env.client.workflow
      .getHandle(calendarSyncWorkflowId(SENDER))
      .signal(calendarChanged, { reason: 'push' });
    const answered = await recordingWhere(leaveId, (r) => r.answers.length >= 1, 'the answer');
    expect(answered.answers).toEqual([
      expect.objectContaining({
        calendarId: SENDER,
        eventId: invite.id,
        attendeeEmail: BEN,
        response: 'accepted',
      }),
    ]);
    await env.client.workflow.getHandle(calendarSyncWorkflowId(SENDER)).signal(stopCalendarSync, {});
    await recordHistory(
      env.client.workflow.getHandle(calendarSyncWorkflowId(SENDER)),
      'calendar-sync',
      'invite-answer-on-sender-calendar',
      'an answer to an invite the sender mailbox organises reaches the workflow it names; the sync stops',
    );
  });
});
