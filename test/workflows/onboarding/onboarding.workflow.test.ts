/**
 * The onboarding workflow on the time-skipping server, over the shared fake integrations: each gate,
 * a late Legal task and the proposed start (accepted, and overridden), a start moved in Notion,
 * an extension, an early end, a cancellation that revokes what was provisioned, a revocation
 * escalated every working day, and a buddy who declines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { UpdateDefinition } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { uniqueId } from '../../helpers/temporal';
import { loadExampleConfig } from '../../helpers/config';
import { signAs, withOperators } from '../../helpers/operators';
import { queryUntil } from '../../helpers/eventually';
import { recordHistory } from '../../helpers/histories';
import { startStack, type Stack } from '../../helpers/stack';
import { joParkIntake, OnboardingWorld } from './onboarding-world';
import { workflowLabel } from '../../../contracts/ids';
import { onboardingWorkflow } from '../../../workflows/onboarding/workflow';
import * as m from '../../../workflows/onboarding/messages';
import {
  addCalendarDays,
  addWorkingDays,
  localDateOf,
  rollForward,
  weekdayOf,
  zonedDateTimeToInstant,
  type BusinessCalendar,
  type CalendarDate,
} from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';

/**
 * Every person an operator with their own key; commands are signed by whoever gives them. Priya
 * (Product Ops) may also act for a hiring manager or a buddy; nobody else for anyone.
 */
const operators = withOperators(loadExampleConfig(), { priya: ['product-ops', 'manager', 'buddy'] });
const config = operators.config;
let stack: Stack;
let env: TestWorkflowEnvironment;

/** Commands signed as the CLI signs them, by the person who gives them (each an operator). */
async function signed<T extends { by: string }>(
  handle: WorkflowHandle,
  update: UpdateDefinition<unknown, [T]>,
  command: T,
): Promise<T> {
  return signAs(operators.keys, command.by, handle.workflowId, update, command, await env.currentTimeMs());
}

beforeAll(async () => {
  stack = await startStack({ config });
  env = stack.env;
});
afterAll(() => stack?.stop());

const london = (): BusinessCalendar => {
  const year = new Date().getUTCFullYear();
  return resolveBusinessCalendar(config, 'london', { from: year - 1, to: year + 3 });
};

interface Run {
  world: OnboardingWorld;
  cal: BusinessCalendar;
  today: CalendarDate;
  freelancerId: string;
  start: (overrides?: Partial<m.OnboardingInput>) => Promise<WorkflowHandle<typeof onboardingWorkflow>>;
}

/**
 * Ends an engagement the test left running once it has been idle for a second: the test server
 * keeps its clock locked for every later test when a workflow is terminated moments after an
 * update, which the stack's own quicker clean-up does not wait out.
 */
async function terminateSettled(handle: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { raw, status } = await handle.describe();
    if (status.name !== 'RUNNING') return;
    if (!raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0) {
      await new Promise((r) => setTimeout(r, 1000));
      await handle.terminate('test finished');
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withEngagement(body: (run: Run) => Promise<void>): Promise<void> {
  const world = new OnboardingWorld(config);
  currentWorld = world;
  await stack.withWorkers({ activities: world.activities() }, async ({ taskQueue, track }) => {
    const cal = london();
    const today = localDateOf(await env.currentTimeMs(), cal.timezone);
    const freelancerId = uniqueId('jo');
    const started: WorkflowHandle[] = [];
    const start: Run['start'] = async (overrides = {}) => {
      const handle = await env.client.workflow.start(onboardingWorkflow, {
        taskQueue,
        workflowId: m.onboardingWorkflowId(freelancerId),
        args: [{ ...joParkIntake(freelancerId, cal, today), ...overrides }],
      });
      track(handle);
      started.push(handle);
      return handle;
    };
    try {
      await body({ world, cal, today, freelancerId, start });
    } finally {
      for (const handle of started) await terminateSettled(handle);
    }
  });
}

const statusOf = (handle: WorkflowHandle) => handle.query(m.onboardingStatus);

const waitFor = (
  handle: WorkflowHandle,
  predicate: (s: m.OnboardingStatus) => boolean,
  what: string,
): Promise<m.OnboardingStatus> => queryUntil(handle, m.onboardingStatus, predicate, what);

async function skipTo(date: CalendarDate, time = '12:00'): Promise<void> {
  const target = Date.parse(zonedDateTimeToInstant(date, time, 'Europe/London'));
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

const taskOf = (s: m.OnboardingStatus, id: string) => s.tasks.find((t) => t.id === id);
const taskIds = (s: m.OnboardingStatus) => s.tasks.map((t) => t.id).sort();

let deliveries = 0;
/** The fake integrations of the engagement running now: where a person moves a task. */
let currentWorld: OnboardingWorld | null = null;

/** A person moves the task to Done in Jira, and the Jira route signals it with their account. */
async function done(handle: WorkflowHandle, s: m.OnboardingStatus, id: string, by: string): Promise<void> {
  const issueKey = taskOf(s, id)?.issueKey;
  if (!issueKey) throw new Error(`${id} has no issue`);
  const account = config.people.find((p) => p.id === by)?.jiraAccountId ?? null;
  currentWorld!.fakes.jira.setIssueStatus(issueKey, config.integrations.jira.statuses.done, account);
  await handle.signal(m.taskDone, {
    issueKey,
    personId: by,
    occurredAt: Date.now(),
    deliveryId: `d${deliveries++}`,
  });
}

/** Contract, then Security, then IT: every gate before the start met. */
async function meetEveryGate(handle: WorkflowHandle): Promise<m.OnboardingStatus> {
  let s = await waitFor(
    handle,
    (x) => x.tasks.length === 3 && x.tasks.every((t) => t.issueKey),
    'contract tasks',
  );
  for (const [id, by] of [
    ['contract', 'lucia'],
    ['compliance', 'lucia'],
    ['vendor', 'felix'],
  ] as const)
    await done(handle, s, id, by);
  s = await waitFor(handle, (x) => taskOf(x, 'access-approval')?.issueKey != null, 'the security task');
  await done(handle, s, 'access-approval', 'sofia');
  s = await waitFor(
    handle,
    (x) => x.tasks.filter((t) => t.kind === 'provision' && t.issueKey).length === 2,
    'IT tasks',
  );
  for (const t of s.tasks.filter((x) => x.kind === 'provision')) await done(handle, s, t.id, 'kai');
  return waitFor(handle, (x) => x.phase === 'day-one', 'day one');
}

/** The messages of the workflow-task failures in the history: a bad call must never cause one. */
async function workflowTaskFailures(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.workflowTaskFailedEventAttributes ? [e.workflowTaskFailedEventAttributes.failure?.message ?? '?'] : [],
  );
}

async function expectRefused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((error as WorkflowUpdateFailedError).cause?.message).toMatch(message);
}

describe('onboarding workflow', () => {
  it('opens each gate only when the one before is met, then runs day one to the closed tracker row', async () => {
    await withEngagement(async ({ world, start, freelancerId }) => {
      const handle = await start();
      let s = await waitFor(
        handle,
        (x) => x.tasks.length === 3 && x.tasks.every((t) => t.issueKey),
        'contract tasks',
      );
      const plan = s.plan!;
      expect(s.phase).toBe('contract');
      expect(taskIds(s)).toEqual(['compliance', 'contract', 'vendor']);
      expect(world.issue('Contract and NDA').projectKey).toBe('LEGAL');
      expect(world.issue('IR35 status determination (GB)').projectKey).toBe('LEGAL');
      expect(world.issue('Vendor record').projectKey).toBe('FIN');
      expect(world.issues.every((i) => i.duedate === plan.contractDue)).toBe(true);
      expect(world.issue('Contract and NDA').assigneeAccountId).toBe(
        config.people.find((p) => p.id === 'lucia')!.jiraAccountId,
      );
      expect(world.issue('Contract and NDA').labels).toContain(
        workflowLabel(m.onboardingWorkflowId(freelancerId)),
      );

      // Two of three Contract tasks done: Access does not open; nothing is provisioned before the NDA.
      await done(handle, s, 'compliance', 'lucia');
      await done(handle, s, 'vendor', 'felix');
      await waitFor(handle, (x) => taskOf(x, 'vendor')?.status === 'done', 'vendor done');
      await new Promise((r) => setTimeout(r, 300));
      s = await statusOf(handle);
      expect(taskIds(s)).toEqual(['compliance', 'contract', 'vendor']);
      await done(handle, s, 'contract', 'lucia');
      s = await waitFor(handle, (x) => taskOf(x, 'access-approval')?.issueKey != null, 'the security task');
      expect(s.phase).toBe('access');
      expect(taskOf(s, 'contract')!.doneBy).toEqual({ by: 'lucia', via: 'jira' });
      expect(world.issue('Approve the access scope')).toMatchObject({
        projectKey: 'SEC',
        duedate: plan.securityApprovalDue,
      });
      expect(s.tasks.some((t) => t.kind === 'provision')).toBe(false);

      await done(handle, s, 'access-approval', 'sofia');
      s = await waitFor(
        handle,
        (x) => x.tasks.filter((t) => t.kind === 'provision' && t.issueKey).length === 2,
        'IT tasks',
      );
      expect(world.issue('Provision Figma')).toMatchObject({ projectKey: 'IT', duedate: plan.accessDue });
      expect(world.issue('Provision Jira')).toMatchObject({ projectKey: 'IT', duedate: plan.accessDue });
      for (const t of s.tasks.filter((x) => x.kind === 'provision')) await done(handle, s, t.id, 'kai');
      await waitFor(handle, (x) => x.phase === 'day-one', 'day one');
      expect(world.liveEvents()).toHaveLength(0);

      // The buddy date: the configured buddy of growth, three meetings booked in one batch, the first-week page.
      await skipTo(plan.buddyDue, '12:00');
      s = await waitFor(
        handle,
        (x) => x.events.welcome !== null && x.firstWeekPageUrl !== null,
        'day-one artifacts',
      );
      expect(s.buddy).toEqual({ id: 'ben', name: 'Ben Adeyemi' });
      expect(s.events).toEqual({
        welcome: plan.welcomeSession,
        checkIn: plan.firstWeekCheckIn,
        review: plan.thirtyDayReview,
      });
      const welcome = world.liveEvents().find((e) => e.summary.startsWith('Welcome session'))!;
      expect(welcome.start).toBe(`${plan.welcomeSession}T10:00`);
      expect(welcome.end).toBe(`${plan.welcomeSession}T10:45`);
      expect([...welcome.attendees].sort()).toEqual([
        'ana@northwind.example',
        'ben@northwind.example',
        'jo.park@studio.example',
      ]);
      expect(welcome.calendarId).toBe(config.integrations.google.sender);
      expect(world.batchSizes('calendar', 'upsertEvents')).toEqual([3]);

      // The start morning: the links mail, ramp-up.
      await skipTo(plan.welcomeSession, '12:00');
      s = await waitFor(handle, (x) => x.phase === 'ramp-up', 'ramp-up');
      const links = world.mailsWith('your first week');
      expect(links).toHaveLength(1);
      expect(links[0]!.to).toEqual(['jo.park@studio.example']);
      expect(links[0]!.text).toContain('Product glossary: https://northwind.example/glossary');
      expect(links[0]!.text).toContain(s.firstWeekPageUrl);

      // Ten working days before the end: the manager is asked; she lets it end.
      await skipTo(plan.extensionDecisionDue!, '12:00');
      await waitFor(handle, (x) => x.phase === 'offboarding', 'offboarding');
      expect(world.mailsWith('extend or let it end')).toHaveLength(1);
      s = await handle.executeUpdate(m.letEnd, {
        args: [await signed(handle, m.letEnd, { by: 'ana', via: 'cli' })],
      });
      expect(s.endDecision).toBe('let-end');
      await waitFor(
        handle,
        (x) =>
          x.tasks.filter((t) => t.kind === 'revoke' || t.kind === 'final-invoice').every((t) => t.issueKey) &&
          x.tasks.some((t) => t.kind === 'revoke'),
        'offboarding tasks',
      );
      expect(world.issue('Revoke Figma').duedate).toBe(plan.accessRevokedBy);
      expect(world.issue('Approve the final invoice').duedate).toBe(plan.finalInvoiceDue);
      expect(world.issue('Approve the final invoice').projectKey).toBe('FIN');

      await skipTo(plan.accessRevokedBy!, '08:00');
      s = await statusOf(handle);
      for (const t of s.tasks.filter((x) => x.kind === 'revoke')) await done(handle, s, t.id, 'kai');
      await done(handle, s, 'final-invoice', 'felix');
      const result = await handle.result();
      await recordHistory(
        handle,
        'onboarding',
        'whole-engagement',
        'every gate, day one, ramp-up, let end, offboarding to the closed row',
      );
      expect(result.phase).toBe('closed');
      expect(result.flags).toEqual({ startAtRisk: false, revocationOverdue: false, integrationError: false });
      expect(result.tasks.every((t) => t.status === 'done')).toBe(true);
      expect(result.tasks.every((t) => t.workingDaysToDone !== null)).toBe(true);
      const [tracker] = world.freelancerPages();
      expect(tracker!.properties.Status).toEqual({ status: 'Closed' });
      // Reminders went out the day before each offboarding task was due (done on the day it was due).
      expect(world.comments.map((c) => c.issueKey).sort()).toEqual(
        result.tasks
          .filter((t) => t.kind === 'revoke')
          .map((t) => t.issueKey)
          .sort(),
      );
      expect(world.issues).toHaveLength(9);
      expect(new Set(world.issues.map((i) => i.idempotencyKey)).size).toBe(9);
    });
  });

  it('proposes a later start when a Legal task is late, and the manager accepts it', async () => {
    await withEngagement(async ({ world, cal, start }) => {
      const handle = await start();
      let s = await waitFor(
        handle,
        (x) => x.tasks.length === 3 && x.tasks.every((t) => t.issueKey),
        'contract tasks',
      );
      const plan = s.plan!;
      await done(handle, s, 'compliance', 'lucia');
      await done(handle, s, 'vendor', 'felix');
      // The day before it is due, a reminder on the Jira task; the working day after, the escalation and the proposal.
      const reminderDay = addWorkingDays(cal, plan.contractDue, -1);
      await skipTo(reminderDay, '12:00');
      await waitFor(handle, () => world.comments.length === 1, 'the reminder');
      expect(world.comments[0]!.issueKey).toBe(world.issue('Contract and NDA').key);
      const overdueDay = addWorkingDays(cal, plan.contractDue, 1);
      await skipTo(overdueDay, '12:00');
      s = await waitFor(handle, (x) => x.proposal !== null, 'the proposal');
      const proposed = addWorkingDays(cal, overdueDay, 10);
      expect(s.proposal).toMatchObject({ start: proposed, instead: plan.startDate });
      expect(s.flags.startAtRisk).toBe(true);
      expect(s.blockers).toEqual([
        expect.objectContaining({ taskId: 'contract', owner: 'legal', teamId: 'legal', workingDaysLate: 1 }),
      ]);
      const overdue = world.mailsWith('Overdue onboarding work');
      expect(overdue).toHaveLength(1);
      expect(overdue[0]!.to).toEqual(['lucia@northwind.example']);
      const proposal = world.mailsWith('earliest feasible start');
      expect(proposal).toHaveLength(1);
      expect(proposal[0]!.to).toEqual(['ana@northwind.example']);
      expect(proposal[0]!.text).toContain(`prodops onboarding accept`);

      await expectRefused(
        handle.executeUpdate(m.acceptProposedStart, {
          args: [await signed(handle, m.acceptProposedStart, { by: 'ben', via: 'cli' })],
        }),
        /only ana or hana can/,
      );
      s = await handle.executeUpdate(m.acceptProposedStart, {
        args: [await signed(handle, m.acceptProposedStart, { by: 'ana', via: 'cli' })],
      });
      expect(s.startDate).toBe(proposed);
      expect(s.proposal).toBeNull();
      expect(s.decisions.at(-1)).toMatchObject({ what: 'accept-start', by: 'ana', via: 'cli' });
      const contract = world.issue('Contract and NDA');
      await waitFor(
        handle,
        () => contract.duedate === addWorkingDays(cal, proposed, -10),
        'the new due date',
      );
      expect(world.issues).toHaveLength(3);
      expect(contract.dueHistory).toEqual([plan.contractDue, addWorkingDays(cal, proposed, -10)]);
      await recordHistory(
        handle,
        'onboarding',
        'late-legal-accepted',
        'a late Legal task, the proposed start accepted, the tasks re-dated',
      );
    });
  });

  it('lets the manager set another start than the one proposed; the same welcome session moves', async () => {
    await withEngagement(async ({ world, cal, start }) => {
      const handle = await start();
      let s = await waitFor(
        handle,
        (x) => x.tasks.length === 3 && x.tasks.every((t) => t.issueKey),
        'contract tasks',
      );
      const plan = s.plan!;
      await done(handle, s, 'compliance', 'lucia');
      await done(handle, s, 'vendor', 'felix');
      await skipTo(addWorkingDays(cal, plan.contractDue, 1), '12:00');
      s = await waitFor(handle, (x) => x.proposal !== null, 'the proposal');
      // Legal catches up; the rest follows; the buddy date of the old start books the welcome.
      await done(handle, s, 'contract', 'lucia');
      s = await waitFor(handle, (x) => taskOf(x, 'access-approval')?.issueKey != null, 'security task');
      await done(handle, s, 'access-approval', 'sofia');
      s = await waitFor(
        handle,
        (x) => x.tasks.filter((t) => t.kind === 'provision' && t.issueKey).length === 2,
        'IT',
      );
      for (const t of s.tasks.filter((x) => x.kind === 'provision')) await done(handle, s, t.id, 'kai');
      await skipTo(plan.buddyDue, '12:00');
      await waitFor(handle, (x) => x.events.welcome === plan.startDate, 'the welcome');
      const welcomeKey = world.liveEvents().find((e) => e.summary.startsWith('Welcome'))!.idempotencyKey;

      const another = rollForward(cal, addCalendarDays(plan.startDate, 14));
      let saturday = plan.startDate;
      while (weekdayOf(saturday) !== 'sat') saturday = addCalendarDays(saturday, 1);
      await expectRefused(
        handle.executeUpdate(m.shiftStart, {
          args: [await signed(handle, m.shiftStart, { startDate: saturday, by: 'ana', via: 'cli' })],
        }),
        new RegExp(`${saturday} is a Saturday .* the next working day is ${rollForward(cal, saturday)}`),
      );
      s = await handle.executeUpdate(m.shiftStart, {
        args: [await signed(handle, m.shiftStart, { startDate: another, by: 'ana', via: 'cli' })],
      });
      expect(s.startDate).toBe(another);
      await waitFor(handle, (x) => x.events.welcome === another, 'the moved welcome');
      const welcomes = world.events.filter((e) => e.summary.startsWith('Welcome'));
      expect(welcomes).toHaveLength(1);
      expect(welcomes[0]!.idempotencyKey).toBe(welcomeKey);
      expect(welcomes[0]!.start).toBe(`${another}T10:00`);
      expect(world.events.find((e) => e.summary.startsWith('First-week'))!.start.slice(0, 10)).toBe(
        addWorkingDays(cal, another, 4),
      );
      expect(s.proposal).toBeNull();
      expect(s.decisions.at(-1)).toMatchObject({ what: 'shift-start', by: 'ana', via: 'cli' });
    });
  });

  it('re-plans every date when the start is moved in Notion; a weekend start is refused and kept on record', async () => {
    await withEngagement(async ({ world, cal, start }) => {
      const pageId = world.addIntakePage({ Status: { status: 'Requested' } });
      const handle = await start({ source: 'notion', notionPageId: pageId });
      let s = await waitFor(
        handle,
        (x) => x.tasks.length === 3 && x.tasks.every((t) => t.issueKey) && x.trackerPageId === pageId,
        'contract tasks',
      );
      await waitFor(
        handle,
        () =>
          world.page(pageId).properties.Status !== undefined &&
          JSON.stringify(world.page(pageId).properties.Status) === JSON.stringify({ status: 'Onboarding' }),
        'the row taken in',
      );
      const moved = addWorkingDays(cal, s.startDate, 5);
      await handle.signal(m.intakeEdited, {
        startDate: moved,
        by: 'ana',
        occurredAt: Date.now(),
        deliveryId: 'notion:e1',
      });
      s = await waitFor(handle, (x) => x.startDate === moved, 'the moved start');
      const contractDue = addWorkingDays(cal, moved, -10);
      await waitFor(handle, () => world.issues.every((i) => i.duedate === contractDue), 'the tasks re-dated');
      expect(s.decisions.at(-1)).toMatchObject({ what: 'shift-start', by: 'ana', via: 'notion' });
      expect(world.issues).toHaveLength(3);
      // The page already says the new date: only the status was ever written back.
      expect(world.calls.filter((c) => c.startsWith('notion.updatePage'))).toHaveLength(1);
      // The same delivery again changes nothing; an older edit neither.
      await handle.signal(m.intakeEdited, {
        startDate: moved,
        by: 'ana',
        occurredAt: Date.now(),
        deliveryId: 'notion:e1',
      });
      let sunday = moved;
      while (weekdayOf(sunday) !== 'sun') sunday = addCalendarDays(sunday, 1);
      await handle.signal(m.intakeEdited, {
        startDate: sunday,
        by: 'ben',
        occurredAt: Date.now(),
        deliveryId: 'notion:e2',
      });
      s = await waitFor(handle, (x) => x.refusals.length === 1, 'the refusal');
      expect(s.startDate).toBe(moved);
      expect(s.refusals[0]).toMatchObject({ by: 'ben', via: 'notion' });
      expect(s.refusals[0]!.reason).toContain(`the next working day is ${rollForward(cal, sunday)}`);
      await recordHistory(
        handle,
        'onboarding',
        'moved-from-notion',
        'the start moved in Notion, a weekend start refused',
      );
    });
  });

  it('extends the engagement: offboarding is asked again for the new end, which then comes on its own', async () => {
    await withEngagement(async ({ world, cal, start }) => {
      const handle = await start();
      let s = await meetEveryGate(handle);
      const plan = s.plan!;
      await skipTo(plan.extensionDecisionDue!, '12:00');
      await waitFor(handle, (x) => x.phase === 'offboarding', 'offboarding');
      const newEnd = addWorkingDays(cal, plan.endDate!, 20);
      await expectRefused(
        handle.executeUpdate(m.changeEnd, {
          args: [
            await signed(handle, m.changeEnd, {
              endDate: addCalendarDays(plan.startDate, -1),
              by: 'ana',
              via: 'cli',
            }),
          ],
        }),
        /is before the start date/,
      );
      s = await handle.executeUpdate(m.changeEnd, {
        args: [await signed(handle, m.changeEnd, { endDate: newEnd, by: 'ana', via: 'cli' })],
      });
      expect(s.phase).toBe('ramp-up');
      expect(s.endDate).toBe(newEnd);
      expect(s.decisions.at(-1)).toMatchObject({ what: 'change-end', by: 'ana', via: 'cli' });
      const newAsk = addWorkingDays(cal, newEnd, -10);
      expect(s.plan!.extensionDecisionDue).toBe(newAsk);
      await skipTo(newAsk, '12:00');
      await waitFor(handle, (x) => x.phase === 'offboarding', 'offboarding again');
      expect(world.mailsWith('extend or let it end').map((mail) => mail.subject)).toEqual([
        expect.stringContaining(plan.endDate!),
        expect.stringContaining(newEnd),
      ]);
      expect(world.issues.filter((i) => i.summary.startsWith('Revoke'))).toHaveLength(0);
      // No answer: the end comes as planned and IT is asked to revoke on the next working day.
      await skipTo(newEnd, '12:00');
      s = await waitFor(
        handle,
        (x) => x.tasks.filter((t) => t.kind === 'revoke' && t.issueKey).length === 2,
        'revocations',
      );
      expect(world.issue('Revoke Figma').duedate).toBe(addWorkingDays(cal, newEnd, 1));
      expect(world.issue('Approve the final invoice').duedate).toBe(addWorkingDays(cal, newEnd, 5));
      expect(s.endDecision).toBeNull();
    });
  });

  it('ends early: offboarding begins at once and meetings still ahead are removed', async () => {
    await withEngagement(async ({ world, cal, start }) => {
      const handle = await start();
      let s = await meetEveryGate(handle);
      const plan = s.plan!;
      await skipTo(plan.buddyDue, '12:00');
      await waitFor(handle, (x) => x.events.review !== null, 'meetings booked');
      const day = addWorkingDays(cal, plan.startDate, 2);
      await skipTo(day, '12:00');
      s = await handle.executeUpdate(m.cancelOnboarding, {
        args: [await signed(handle, m.cancelOnboarding, { by: 'ana', via: 'cli', reason: 'budget cut' })],
      });
      expect(s.endDate).toBe(day);
      expect(s.phase).toBe('offboarding');
      expect(s.reason).toBe(`ended early on ${day}: budget cut`);
      expect(s.decisions.at(-1)).toMatchObject({ what: 'end-early', by: 'ana', via: 'cli' });
      s = await waitFor(
        handle,
        (x) =>
          x.tasks.filter((t) => t.kind === 'revoke' && t.issueKey).length === 2 && x.events.review === null,
        'offboarding',
      );
      expect(world.issue('Revoke Jira').duedate).toBe(addWorkingDays(cal, day, 1));
      expect(world.issue('Approve the final invoice').duedate).toBe(addWorkingDays(cal, day, 5));
      expect(s.events).toEqual({ welcome: plan.startDate, checkIn: null, review: null });
      expect(world.liveEvents().map((e) => e.summary)).toEqual(['Welcome session: Jo Park']);
    });
  });

  it('cancelled before the start: open tasks retired, meetings removed, what was provisioned revoked', async () => {
    await withEngagement(async ({ world, start }) => {
      const handle = await start();
      let s = await meetEveryGate(handle);
      const plan = s.plan!;
      await skipTo(plan.buddyDue, '12:00');
      await waitFor(handle, (x) => x.events.welcome !== null, 'meetings booked');
      s = await handle.executeUpdate(m.cancelOnboarding, {
        args: [
          await signed(handle, m.cancelOnboarding, {
            by: 'tom',
            via: 'cli',
            reason: 'role filled internally',
          }),
        ],
      });
      expect(s.phase).toBe('cancelled');
      s = await waitFor(
        handle,
        (x) => x.tasks.filter((t) => t.kind === 'revoke' && t.issueKey).length === 2,
        'revocations',
      );
      expect(s.tasks.some((t) => t.kind === 'final-invoice')).toBe(false);
      // The turn removes the meetings first and tells the manager after (reconcile.ts).
      await waitFor(
        handle,
        () => world.liveEvents().length === 0 && world.mailsWith('cancelled').length > 0,
        'meetings removed and the manager told',
      );
      const cancelled = world.mailsWith('cancelled');
      expect(cancelled).toHaveLength(1);
      expect(cancelled[0]!.text).toContain('IT revokes what was already provisioned: Figma, Jira');
      for (const t of s.tasks.filter((x) => x.kind === 'revoke')) await done(handle, s, t.id, 'kai');
      const result = await handle.result();
      await recordHistory(
        handle,
        'onboarding',
        'cancelled-before-start',
        'cancelled after provisioning: meetings removed, tools revoked, closed',
      );
      expect(result.phase).toBe('cancelled');
      expect(result.reason).toContain('role filled internally');
      const [tracker] = world.freelancerPages();
      expect(tracker!.properties.Status).toEqual({ status: 'Cancelled' });
    });
  });

  it('cancelled during Contract: the open tasks are retired in Jira and nothing is revoked', async () => {
    await withEngagement(async ({ world, start }) => {
      const handle = await start();
      const s = await waitFor(
        handle,
        (x) => x.tasks.length === 3 && x.tasks.every((t) => t.issueKey),
        'contract tasks',
      );
      await done(handle, s, 'vendor', 'felix');
      await waitFor(handle, (x) => taskOf(x, 'vendor')?.status === 'done', 'vendor done');
      const result = await handle.executeUpdate(m.cancelOnboarding, {
        args: [await signed(handle, m.cancelOnboarding, { by: 'ana', via: 'cli' })],
      });
      expect(result.phase).toBe('cancelled');
      const closed = await handle.result();
      expect(closed.tasks.map((t) => [t.id, t.status]).sort()).toEqual([
        ['compliance', 'retired'],
        ['contract', 'retired'],
        ['vendor', 'done'],
      ]);
      expect(world.issue('Contract and NDA').status).toBe('Cancelled');
      expect(world.issue('Vendor record').status).toBe('Done');
      expect(world.issues).toHaveLength(3);
      await recordHistory(
        handle,
        'onboarding',
        'cancelled-during-contract',
        'cancelled with Contract tasks open: retired in Jira',
      );
    });
  });

  it('escalates an access not revoked on time to Security and the manager’s manager every working day', async () => {
    await withEngagement(async ({ world, cal, start }) => {
      const handle = await start();
      let s = await meetEveryGate(handle);
      const plan = s.plan!;
      await skipTo(plan.extensionDecisionDue!, '12:00');
      await waitFor(handle, (x) => x.phase === 'offboarding', 'offboarding');
      await handle.executeUpdate(m.letEnd, {
        args: [await signed(handle, m.letEnd, { by: 'ana', via: 'cli' })],
      });
      s = await waitFor(
        handle,
        (x) => x.tasks.filter((t) => t.kind === 'revoke' && t.issueKey).length === 2,
        'revocations',
      );
      await done(handle, s, 'final-invoice', 'felix');
      // Jira is revoked in Jira, but its webhook is lost: the workflow looks before escalating it.
      world.moveIssue('Revoke Jira', 'Done');
      const days = [1, 2, 3].map((n) => addWorkingDays(cal, plan.accessRevokedBy!, n));
      await skipTo(days[2]!, '12:00');
      s = await waitFor(
        handle,
        (x) => x.flags.revocationOverdue && world.mailsWith('Compliance').length === 3,
        'three escalations',
      );
      const escalations = world.mailsWith('Compliance');
      expect(escalations.map((mail) => /\((\d{4}-\d{2}-\d{2})\)$/.exec(mail.subject)?.[1])).toEqual(days);
      expect(days.every((d) => weekdayOf(d) !== 'sat' && weekdayOf(d) !== 'sun')).toBe(true);
      for (const mail of escalations) {
        expect([...mail.to].sort()).toEqual(['hana@northwind.example', 'sofia@northwind.example']);
        expect([...(mail.cc ?? [])].sort()).toEqual(['kai@northwind.example', 'tom@northwind.example']);
        expect(mail.text).toContain('Revoke Figma');
        expect(mail.text).not.toContain('Revoke Jira');
      }
      expect(taskOf(s, 'revoke:jira')!.doneBy).toEqual({ by: 'jira', via: 'jira' });
      await done(handle, s, 'revoke:figma', 'kai');
      const result = await handle.result();
      expect(result.phase).toBe('closed');
      expect(world.mailsWith('Compliance')).toHaveLength(3);
      await recordHistory(
        handle,
        'onboarding',
        'revocation-escalated',
        'an access not revoked on time, escalated every working day until done',
      );
    });
  });

  it('hands the buddy role on when the buddy declines, and tells the manager when nobody is left', async () => {
    await withEngagement(async ({ world, start }) => {
      const handle = await start({ role: 'product_manager' });
      let s = await meetEveryGate(handle);
      await skipTo(s.plan!.buddyDue, '12:00');
      s = await waitFor(handle, (x) => x.events.welcome !== null, 'meetings booked');
      expect(s.buddy?.id).toBe('ben');
      const welcome = () => world.liveEvents().find((e) => e.summary.startsWith('Welcome'))!;
      await handle.signal(m.inviteAnswered, {
        calendarId: config.integrations.google.sender!,
        eventId: welcome().id,
        attendeeEmail: 'ben@northwind.example',
        response: 'declined',
        occurredAt: Date.now(),
      });
      s = await waitFor(handle, (x) => x.buddy?.id === 'chloe', 'the next buddy');
      await waitFor(
        handle,
        () => welcome().attendees.includes('chloe@northwind.example'),
        'the welcome patched',
      );
      expect(welcome().attendees).not.toContain('ben@northwind.example');
      expect(world.events.filter((e) => e.summary.startsWith('Welcome'))).toHaveLength(1);
      expect(s.decisions.at(-1)).toMatchObject({ what: 'buddy-declined', by: 'ben', via: 'calendar' });
      await expectRefused(
        handle.executeUpdate(m.declineBuddy, {
          args: [await signed(handle, m.declineBuddy, { by: 'ben', via: 'cli' })],
        }),
        /only the buddy can decline/,
      );
      s = await handle.executeUpdate(m.declineBuddy, {
        args: [await signed(handle, m.declineBuddy, { by: 'chloe', via: 'cli' })],
      });
      expect(s.buddy).toBeNull();
      expect(s.declinedBuddies).toEqual(['ben', 'chloe']);
      await waitFor(handle, () => world.mailsWith('No onboarding buddy').length === 1, 'the manager told');
      await waitFor(handle, () => welcome().attendees.length === 2, 'the welcome without a buddy');
      // The freelancer declining the welcome is reported to the manager.
      await handle.signal(m.inviteAnswered, {
        calendarId: config.integrations.google.sender!,
        eventId: welcome().id,
        attendeeEmail: 'jo.park@studio.example',
        response: 'declined',
        occurredAt: Date.now(),
      });
      await waitFor(
        handle,
        () => world.mailsWith('declined the welcome session').length === 1,
        'the manager told',
      );
      expect(world.mailsWith('declined the welcome session')[0]!.to).toEqual(['ana@northwind.example']);
      await recordHistory(
        handle,
        'onboarding',
        'buddy-declined',
        'the buddy declines by invite and by command; the manager is told',
      );
    });
  });

  it('refuses bad commands naming the field, and a bad intake before anything is made', async () => {
    await withEngagement(async ({ start }) => {
      const handle = await start();
      await waitFor(handle, (x) => x.tasks.length === 3, 'contract tasks');
      await expectRefused(
        handle.executeUpdate(m.changeTools, {
          args: [
            await signed(handle, m.changeTools, { tools: ['figma', 'photoshop'], by: 'ana', via: 'cli' }),
          ],
        }),
        /tools: "photoshop" is not a tool of onboarding.tools \(jira, notion, google, slack, github, figma\)/,
      );
      await expectRefused(
        handle.executeUpdate(m.shiftStart, {
          args: [await signed(handle, m.shiftStart, { startDate: '2027-02-30', by: 'ana', via: 'cli' })],
        }),
        /^startDate: is not a date that exists$/,
      );
      await expectRefused(
        handle.executeUpdate(m.letEnd, { args: [await signed(handle, m.letEnd, { by: 'ana', via: 'cli' })] }),
        /has not started: cancel it instead/,
      );
      const s = await statusOf(handle);
      await expectRefused(
        handle.executeUpdate(m.shiftStart, {
          args: [await signed(handle, m.shiftStart, { startDate: s.startDate, by: 'ben', via: 'cli' })],
        }),
        /"ben" cannot move the start: only ana or hana can/,
      );
      expect((await statusOf(handle)).refusals.at(-1)).toMatchObject({ by: 'ben', via: 'cli' });
      // Who decides is the operator whose key signed the command, never a claimed name.
      await expectRefused(
        handle.executeUpdate(m.cancelOnboarding, { args: [{ by: 'ana', via: 'cli' }] }),
        /carries no operator signature/,
      );
      const now = await env.currentTimeMs();
      const claimed = { by: 'ana', via: 'cli' as const };
      await expectRefused(
        handle.executeUpdate(m.cancelOnboarding, {
          args: [signAs(operators.keys, 'ben', handle.workflowId, m.cancelOnboarding, claimed, now)],
        }),
        /operator ben may not act for ana as manager/,
      );
      expect((await statusOf(handle)).phase).toBe('contract');
    });
    await withEngagement(async ({ world, start }) => {
      const handle = await start({ email: 'ana@northwind.example', tools: ['figma', 'photoshop'] });
      const result = await handle.result();
      expect(result.phase).toBe('closed');
      expect(result.reason).toMatch(
        /^refused: .*manager: ana is the freelancer.*tools: "photoshop" is not a tool/,
      );
      expect(world.issues).toHaveLength(0);
      await recordHistory(
        handle,
        'onboarding',
        'refused-intake',
        'an intake refused for its manager and tools: nothing made',
      );
    });
  });
  it('takes a command for someone else only from an operator granted it, and records who signed it', async () => {
    await withEngagement(async ({ cal, start }) => {
      const handle = await start();
      const s = await waitFor(handle, (x) => x.tasks.length === 3, 'contract tasks');
      const now = await env.currentTimeMs();
      // Ben's key, Ana's name: Ben holds no grant to act for the hiring manager.
      const asBen = signAs(
        operators.keys,
        'ben',
        handle.workflowId,
        m.changeEnd,
        {
          endDate: addWorkingDays(cal, s.endDate, 5),
          by: 'ana',
          via: 'cli' as const,
        },
        now,
      );
      await expectRefused(
        handle.executeUpdate(m.changeEnd, { args: [asBen] }),
        /operator ben may not act for ana as manager/,
      );
      expect((await statusOf(handle)).refusals.at(-1)).toMatchObject({
        by: 'ana',
        via: 'cli',
        operator: 'ben',
      });
      // The same command signed by Priya, whose grant covers a hiring manager.
      const newEnd = addWorkingDays(cal, s.endDate, 5);
      const asPriya = signAs(
        operators.keys,
        'priya',
        handle.workflowId,
        m.changeEnd,
        {
          endDate: newEnd,
          by: 'ana',
          via: 'cli' as const,
        },
        await env.currentTimeMs(),
      );
      const after = await handle.executeUpdate(m.changeEnd, { args: [asPriya] });
      expect(after.endDate).toBe(newEnd);
      expect(after.decisions.at(-1)).toMatchObject({
        what: 'change-end',
        by: 'ana',
        via: 'cli',
        operator: 'priya',
      });
      expect(after.log.map((l) => l.message)).toContainEqual(
        expect.stringMatching(/extended from .* to .* \(by ana via cli \(operator priya\)\)$/),
      );
      // Acting as oneself needs no grant and names no operator beside the person.
      const own = await handle.executeUpdate(m.changeTools, {
        args: [await signed(handle, m.changeTools, { tools: ['figma'], by: 'ana', via: 'cli' })],
      });
      expect(own.decisions.at(-1)).toMatchObject({ what: 'tools', by: 'ana', via: 'cli' });
      expect(own.decisions.at(-1)).not.toHaveProperty('operator');
      expect(await workflowTaskFailures(handle)).toEqual([]);
    });
  });

  it('refuses a malformed command naming the field and ignores a malformed event, never failing a workflow task', async () => {
    await withEngagement(async ({ world, cal, start }) => {
      const handle = await start();
      const s = await waitFor(
        handle,
        (x) => x.tasks.length === 3 && x.tasks.every((t) => t.issueKey),
        'contract tasks',
      );
      // Commands come from the command line: a decision in Jira arrives as a task moved to Done.
      await expectRefused(
        handle.executeUpdate(m.letEnd, {
          args: [await signed(handle, m.letEnd, { by: 'ana', via: 'jira' as 'cli' })],
        }),
        /^via: must be cli/,
      );
      await expectRefused(
        handle.executeUpdate(m.cancelOnboarding, {
          args: [
            await signed(handle, m.cancelOnboarding, {
              by: 'ana',
              via: 'cli',
              reason: 123 as unknown as string,
            }),
          ],
        }),
        /^reason: must be text$/,
      );
      await expectRefused(
        handle.executeUpdate(m.shiftStart, {
          args: [
            signAs(
              operators.keys,
              'ana',
              handle.workflowId,
              m.shiftStart,
              { startDate: addWorkingDays(cal, s.startDate, 1), by: 'Ana Costa', via: 'cli' as const },
              await env.currentTimeMs(),
            ),
          ],
        }),
        /^by: must be a person id$/,
      );
      await expectRefused(
        handle.executeUpdate(m.changeTools, {
          args: [
            await signed(handle, m.changeTools, {
              tools: 'figma' as unknown as string[],
              by: 'ana',
              via: 'cli',
            }),
          ],
        }),
        /^tools: must be a list of tool ids$/,
      );
      await expectRefused(
        handle.executeUpdate(m.changeEnd, {
          args: [
            await signed(handle, m.changeEnd, {
              endDate: s.endDate,
              by: 'ana',
              via: 'cli',
              extra: 1,
            } as m.ChangeEndCommand),
          ],
        }),
        /^extra: is not a known field$/,
      );
      // Anyone who reaches Temporal can signal: what does not fit is noted and left alone.
      const now = await env.currentTimeMs();
      const contract = taskOf(s, 'contract')!.issueKey!;
      await handle.signal(m.inviteAnswered, {
        calendarId: 'ana@northwind.example',
        eventId: 'welcome',
        attendeeEmail: 5 as unknown as string,
        response: 'declined',
        occurredAt: now,
      });
      await handle.signal(m.taskDone, {
        issueKey: contract,
        personId: 7 as unknown as string,
        deliveryId: 'bad-1',
      });
      await handle.signal(m.intakeEdited, {
        status: 'Cancelled',
        by: 'ana@northwind.example',
        occurredAt: now + 60 * 60 * 1000,
        deliveryId: 'future-1',
      });
      const after = await waitFor(
        handle,
        (x) => x.log.filter((l) => l.message.startsWith('ignored ')).length >= 3,
        'the malformed events noted',
      );
      const ignored = after.log.map((l) => l.message).filter((l) => l.startsWith('ignored '));
      expect(ignored).toEqual([
        'ignored inviteAnswered: attendeeEmail: must be text',
        'ignored taskDone: personId: must be a person id',
        'ignored intakeEdited: occurredAt: must not be more than 5 minutes in the future',
      ]);
      expect(after.phase).toBe('contract');
      expect(taskOf(after, 'contract')?.status).toBe('open');
      // A well-formed signal for a task Jira does not show done is only where to look: not counted.
      await handle.signal(m.taskDone, { issueKey: contract, personId: 'lucia', deliveryId: 'bad-1' });
      await waitFor(
        handle,
        (x) => x.log.some((l) => l.message === `ignored ${contract} moved to Done: it is "To Do" in Jira`),
        'the forged Done ignored',
      );
      expect(taskOf(await statusOf(handle), 'contract')?.status).toBe('open');
      // Moved in Jira by Lucía: counted for her, whatever the signal claims.
      world.fakes.jira.setIssueStatus(
        contract,
        'Done',
        config.people.find((p) => p.id === 'lucia')!.jiraAccountId,
      );
      await handle.signal(m.taskDone, { issueKey: contract, personId: 'ben', deliveryId: 'good-1' });
      const counted = await waitFor(
        handle,
        (x) => taskOf(x, 'contract')?.status === 'done',
        'the contract done',
      );
      expect(taskOf(counted, 'contract')?.doneBy).toEqual({ by: 'lucia', via: 'jira' });
      expect(await workflowTaskFailures(handle)).toEqual([]);
    });
  });
});
