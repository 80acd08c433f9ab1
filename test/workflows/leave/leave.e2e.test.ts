/**
 * A leave request end to end with the real activities, through the real client libraries,
 * against the sandbox APIs and a dev server (real visibility, so the running release of the
 * requester is found as in production). From the out-of-office event, delivered as the
 * calendar-sync dispatcher delivers it, through a refusal for a launch, a move, both invites
 * accepted in Google Calendar, to the leave tracker row, the buddy's calendar and mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { loadExampleConfig } from '../../helpers/config';
import { queryUntil } from '../../helpers/eventually';
import { recordHistory } from '../../helpers/histories';
import { startStack, type Stack } from '../../helpers/stack';
import { startLeaveFromOutOfOffice } from '../../helpers/leave-from-calendar';
import type { Sandbox } from '../../../sandbox/index';
import { releaseWorkflow } from '../../../workflows/release/workflow';
import { releaseWorkflowId } from '../../../workflows/release/messages';
import {
  inviteAnswered,
  leaveCoordinatorId,
  leaveStatus,
  leaveWorkflowId,
  outOfOfficeChanged,
  type LeaveStatusView,
} from '../../../workflows/leave/messages';
import { RUNNING_RELEASES_QUERY } from '../../../activities/leave';
import type { OrgConfig } from '../../../domain/config';
import {
  addCalendarDays,
  isWorkingDay,
  localDateOf,
  weekdayOf,
  type CalendarDate,
} from '../../../domain/business-calendar';
import { resolveAllCalendars } from '../../../domain/holidays';

const example = loadExampleConfig();
const config: OrgConfig = {
  ...example,
  leave: { ...example.leave, blackouts: [] },
  integrations: { ...example.integrations, rateLimits: { notion: 50, jira: 50, google: 50 } },
};
const SENDER = config.integrations.google.sender!;
const person = (id: string) => config.people.find((p) => p.id === id)!;

let stack: Stack;
let env: TestWorkflowEnvironment;
let sandbox: Sandbox;

beforeAll(async () => {
  stack = await startStack({ temporal: 'dev-server', config, sandbox: true });
  ({ env, sandbox } = stack);
});
afterAll(() => stack?.stop());

/** A Monday three weeks or more ahead; it and the next day, a week later too, are working days everywhere. */
function twoQuietWeeks(): CalendarDate {
  const year = new Date().getUTCFullYear();
  const calendars = Object.values(resolveAllCalendars(config, { from: year, to: year + 2 }));
  const quiet = (d: CalendarDate) => calendars.every((c) => isWorkingDay(c, d));
  let monday = addCalendarDays(localDateOf(Date.now(), 'Europe/London'), 21);
  for (;;) {
    const days = [0, 1, 7, 8].map((n) => addCalendarDays(monday, n));
    if (weekdayOf(monday) === 'mon' && days.every(quiet)) return monday;
    monday = addCalendarDays(monday, 1);
  }
}

const waitFor = (
  handle: WorkflowHandle,
  predicate: (s: LeaveStatusView) => boolean,
  what: string,
): Promise<LeaveStatusView> =>
  queryUntil(handle, leaveStatus, predicate, what, { attempts: 300, intervalMs: 100 });

describe('leave workflow end to end', () => {
  it('goes from an out-of-office event to a confirmed leave in the tracker, the calendars and the mail', async () => {
    const gita = person('gita');
    const hugo = person('hugo');
    const hana = person('hana');
    const first = twoQuietWeeks();
    const moved = { from: addCalendarDays(first, 7), to: addCalendarDays(first, 8) };
    const workflowId = leaveWorkflowId('gita', first);
    const google = sandbox.google.store;

    // gita owns a Tier 2 launch on the Tuesday of the first week she asks for.
    const issue = sandbox.jira.store.issue('REL-2')!;
    // Her Jira work due while away in the week she moves to, and some due later.
    const reporter = gita.jiraAccountId!;
    const due = sandbox.jira.store.createIssue(
      {
        project: { key: 'REL' },
        issuetype: { name: 'Task' },
        summary: 'Churn dashboard review',
        assignee: { accountId: gita.jiraAccountId },
        duedate: moved.to,
      },
      [],
      reporter,
    );
    const later = sandbox.jira.store.createIssue(
      {
        project: { key: 'REL' },
        issuetype: { name: 'Task' },
        summary: 'Quarterly metrics',
        assignee: { accountId: gita.jiraAccountId },
        duedate: addCalendarDays(moved.to, 10),
      },
      [],
      reporter,
    );

    await stack.withWorkers({ activities: 'sandbox' }, async ({ taskQueue, track }) => {
      track(...config.teams.map((t) => env.client.workflow.getHandle(leaveCoordinatorId(t.id))));
      track(
        await env.client.workflow.start(releaseWorkflow, {
          taskQueue,
          workflowId: releaseWorkflowId(issue.key),
          args: [
            {
              issueKey: issue.key,
              tier: 2,
              launchDate: addCalendarDays(first, 1),
              pmId: 'gita',
              title: 'Saved filters',
            },
          ],
        }),
      );
      // Visibility trails the start by a moment; the leave's release look-up reads it.
      for (let i = 0; i < 100; i++) {
        const running = [];
        for await (const w of env.client.workflow.list({ query: RUNNING_RELEASES_QUERY }))
          running.push(w.workflowId);
        if (running.includes(releaseWorkflowId(issue.key))) break;
        await new Promise((r) => setTimeout(r, 100));
      }

      // gita blocks her calendar; the dispatcher turns it into a request and its first signal.
      const { handle, event: ooo } = await startLeaveFromOutOfOffice({
        client: env.client,
        taskQueue,
        google,
        person: { id: 'gita', email: gita.email },
        first,
      });
      track(handle);

      const blocked = await waitFor(handle, (s) => s.phase === 'blocked' && s.notices.length > 0, 'gate 1');
      expect(blocked.gate1!.reasons.map((r) => r.message)).toEqual([
        `you own the launch of Saved filters (${issue.key}, Tier 2) on ${addCalendarDays(first, 1)}`,
      ]);
      const refusal = google.messages(gita.email).find((m) => m.subject.includes('cannot be approved'));
      expect(refusal?.text).toContain('These nearby dates would pass');

      // She moves the event a week later.
      await handle.signal(outOfOfficeChanged, {
        calendarId: gita.email,
        eventId: ooo.id,
        status: 'confirmed',
        ...moved,
        occurredAt: Date.parse(ooo.updated) + 60_000,
      });
      const asked = await waitFor(
        handle,
        (s) => s.round === 2 && s.phase === 'awaiting-confirmation' && s.trackerPageId !== null,
        'the invites',
      );
      expect(asked.gate1?.passed).toBe(true);
      expect(asked.buddy?.id).toBe('hugo');

      // Both accept in Google Calendar; the dispatcher passes the answers on.
      const invites = google
        .events(SENDER)
        .filter(
          (e) =>
            (e.extendedProperties as { private: Record<string, string> }).private.prodopsWorkflowId ===
              workflowId && e.status === 'confirmed',
        ) as { id: string; attendees: { email: string }[] }[];
      for (const who of [hugo, hana]) {
        const invite = invites.find((e) => e.attendees.some((a) => a.email === who.email));
        expect(invite, `an invite for ${who.id}`).toBeDefined();
        const answered = google.respondToEvent(SENDER, invite!.id, who.email, 'accepted') as {
          updated: string;
        };
        await handle.signal(inviteAnswered, {
          calendarId: SENDER,
          eventId: invite!.id,
          attendeeEmail: who.email,
          response: 'accepted',
          occurredAt: Date.parse(answered.updated),
        });
      }
      const done = await waitFor(
        handle,
        (s) => s.phase === 'confirmed' && s.notices.some((n) => n.kind === 'handover'),
        'the bookings',
      );
      expect(done.confirmations.buddy).toMatchObject({ by: 'hugo', via: 'calendar' });
      expect(done.confirmations.manager).toMatchObject({ by: 'hana', via: 'calendar' });

      // The tracker row, as Notion holds it.
      const tracker = sandbox.notion.store.pages(
        sandbox.notion.store.dataSourceId('leaveTracker'),
      ) as unknown as {
        properties: Record<string, Record<string, unknown>>;
      }[];
      expect(tracker).toHaveLength(1);
      const row = tracker[0]!.properties;
      expect((row.Status!.status as { name: string }).name).toBe('Approved');
      expect(row.Dates!.date).toMatchObject({ start: moved.from, end: moved.to });
      expect((row.Team!.select as { name: string }).name).toBe('Insights pod');
      expect((row.Person!.people as { id: string }[]).map((p) => p.id)).toEqual([
        sandbox.notion.store.userIdFor('gita'),
      ]);
      expect((row.Buddy!.people as { id: string }[]).map((p) => p.id)).toEqual([
        sandbox.notion.store.userIdFor('hugo'),
      ]);

      // Calendars: hugo's covering event; gita keeps her own out-of-office event, and only it.
      const covering = google.events(hugo.email).filter((e) => e.status === 'confirmed');
      expect(covering.map((e) => e.summary)).toEqual(['Covering for Gita Sharma']);
      expect(google.events(gita.email).filter((e) => e.eventType === 'outOfOffice')).toHaveLength(1);

      // Mail: the hand-over lists what falls due while she is away, and nothing later.
      const handover = google.messages(hugo.email).find((m) => m.subject.startsWith('[prodops] You cover'));
      expect(handover?.text).toContain(`${due.key} Churn dashboard review`);
      expect(handover?.text).not.toContain(later.key);
      expect(google.messages(gita.email).some((m) => m.subject.endsWith('confirmed'))).toBe(true);
      await recordHistory(
        handle,
        'leave',
        'e2e-blocked-moved-confirmed',
        'refused for a launch, moved, both invites accepted in Calendar, booked (real activities)',
      );
      await recordHistory(
        env.client.workflow.getHandle(leaveCoordinatorId(gita.team)),
        'leave',
        'coordinator-e2e',
        'the team coordinator: a reservation refused, one held, then confirmed',
      );
    });
  });
});
