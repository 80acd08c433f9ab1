/**
 * The release workflow on the time-skipping server, with in-memory activities: whole lifecycles
 * per tier, lead-time flags, changes in flight and the go/no-go rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { loadExampleConfig } from '../../helpers/config';
import { withOperators } from '../../helpers/operators';
import { recordHistory } from '../../helpers/histories';
import { startStack, type Stack } from '../../helpers/stack';
import { releaseHarness, RELEASE_PM } from './release-harness';
import {
  answerAwareness,
  cancelRelease,
  changeTier,
  confirmReadiness,
  decideGoNoGo,
  includedInWeeklyUpdate,
  launchMoved,
  markReleased,
  moveLaunch,
  publishBundle,
  releaseStatus,
  type ReleaseStatus,
} from '../../../workflows/release/messages';
import {
  addCalendarDays,
  addWorkingDays,
  isWorkingDay,
  localDateOf,
  weekdayOf,
  rollForward,
  zonedDateTimeToInstant,
  type BusinessCalendar,
  type CalendarDate,
} from '../../../domain/business-calendar';
import { planRelease, releaseRulesFrom } from '../../../domain/release-plan';
import { releaseRecordOf } from '../../../domain/measurement';
import { isoWeekOf } from '../../../domain/rituals';

/** Every person an operator with a key of their own; Priya (Product Ops) runs the release commands. */
const operators = withOperators(loadExampleConfig());
const config = operators.config;

let stack: Stack;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  stack = await startStack({ config });
  env = stack.env;
});
afterAll(() => stack?.stop());

const { signed, waitFor, withRelease } = releaseHarness(operators, () => stack);
const PM = RELEASE_PM;

/** Skips server time to a local time on a date in the PM's calendar. */
async function skipTo(date: CalendarDate, time = '12:00'): Promise<void> {
  const target = Date.parse(zonedDateTimeToInstant(date, time, 'Europe/London'));
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

/** The date in the PM's calendar on which the workflow closed. */
async function closedOn(handle: WorkflowHandle, cal: BusinessCalendar): Promise<CalendarDate> {
  const closed = (await handle.describe()).closeTime;
  if (!closed) throw new Error(`${handle.workflowId} has not closed`);
  return localDateOf(closed.getTime(), cal.timezone);
}

const stepStatus = (s: ReleaseStatus, id: string) => s.steps.find((x) => x.id === id)?.status;

async function expectRefused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause?.message).toMatch(message);
}

describe('release workflow', () => {
  it('Tier 1: logs the release, comments the plan, launches and ends when no weekly update lists it', async () => {
    await withRelease(async ({ world, cal, today, start, issueKey }) => {
      const launch = addWorkingDays(cal, today, 3);
      const handle = await start(1, launch);
      const planned = await waitFor(
        handle,
        (s) => stepStatus(s, 'plan-comment') === 'done' && stepStatus(s, 'release-log') === 'done',
        'the plan',
      );
      expect(planned.plan.bundleDueDate).toBeNull();
      expect(planned.steps.map((s) => s.id)).toEqual([
        'release-log',
        'plan-comment',
        'launch',
        'weekly-update',
      ]);
      expect(planned.enablement).toBe('not_required');
      const windowEnd = rollForward(cal, addCalendarDays(launch, 14));
      expect(planned.steps.find((s) => s.id === 'weekly-update')).toMatchObject({
        title: 'PM updates weekly product update',
        status: 'pending',
        due: windowEnd,
      });

      // Launched at the end of launch day, then open while no weekly update has listed it.
      await skipTo(addCalendarDays(launch, 1), '09:00');
      const open = await waitFor(handle, (s) => s.phase === 'launched', 'the launch');
      expect(stepStatus(open, 'launch')).toBe('done');
      expect(stepStatus(open, 'weekly-update')).toBe('pending');

      const result = await handle.result();
      await recordHistory(
        handle,
        'release',
        'tier1-weekly-update-missed',
        'Tier 1: logged, planned, launched, no weekly update listed it: the step missed, the release done',
      );
      expect(result.phase).toBe('done');
      expect(result.launchedOn).toBe(launch);
      expect(result.steps.find((s) => s.id === 'weekly-update')).toMatchObject({
        status: 'missed',
        detail: `no weekly product update listed the launch by ${windowEnd} (two weekly publications after it)`,
      });
      expect(result.weeklyUpdate).toBeNull();
      // It ended when the window closed, at midnight after its last day in the PM's zone.
      expect(await closedOn(handle, cal)).toBe(addCalendarDays(windowEnd, 1));
      expect(world.pages).toHaveLength(1);
      expect(world.pages[0]!.properties.Status).toEqual({ select: 'Released' });
      expect(world.comments.map((c) => c.issueKey)).toEqual([issueKey]);
      expect(world.issues.size).toBe(0);
      expect(world.events).toHaveLength(0);
      expect(world.mails).toHaveLength(0);
    });
  });

  it('Tier 1 launched on a Monday: that week’s update lists it, the step is done and the release ends', async () => {
    await withRelease(async ({ world, cal, today, start }) => {
      let monday = addWorkingDays(cal, today, 3);
      while (weekdayOf(monday) !== 'mon' || !isWorkingDay(cal, monday)) monday = addCalendarDays(monday, 1);
      const handle = await start(1, monday);
      await waitFor(handle, (s) => stepStatus(s, 'plan-comment') === 'done', 'the plan');
      await skipTo(addCalendarDays(monday, 1), '09:00');
      await waitFor(handle, (s) => s.phase === 'launched', 'the launch');

      // Thursday's update opens: the PM's page is pre-filled with the launch.
      const thursday = addCalendarDays(monday, 3);
      await skipTo(thursday, '09:00');
      const week = isoWeekOf(thursday);
      const page = { pageId: '0123456789abcdef0123456789abcdef', url: 'https://www.notion.so/ana-weekly' };
      await handle.signal(includedInWeeklyUpdate, {
        week,
        ...page,
        via: 'contribution-page',
        deliveryId: `weekly-update:${week}:release:${handle.workflowId}`,
      });
      const result = await handle.result();
      await recordHistory(
        handle,
        'release',
        'tier1-listed-in-weekly-update',
        'Tier 1 launched on a Monday, listed on the PM’s page of that week’s update: the step done, the release ended',
      );
      expect(result.phase).toBe('done');
      expect(result.steps.find((s) => s.id === 'weekly-update')).toMatchObject({
        status: 'done',
        ref: page.pageId,
        url: page.url,
        detail: `listed in the PM's page of ${week} weekly product update`,
      });
      expect(result.weeklyUpdate).toMatchObject({ week, ...page, via: 'contribution-page' });
      // Ended that Thursday, not at the end of the window.
      expect(await closedOn(handle, cal)).toBe(thursday);
      expect(world.mails).toHaveLength(0);
    });
  });

  it('Tier 1 listed on launch day: a repeated listing changes nothing, and the release ends with its launch', async () => {
    await withRelease(async ({ cal, today, start }) => {
      const launch = addWorkingDays(cal, today, 2);
      const handle = await start(1, launch);
      await waitFor(handle, (s) => stepStatus(s, 'plan-comment') === 'done', 'the plan');
      await skipTo(launch, '09:00');
      const week = isoWeekOf(launch);
      const listed = { week, url: 'https://www.notion.so/weekly-update', via: 'published' as const };
      await handle.signal(includedInWeeklyUpdate, { ...listed, deliveryId: 'delivery-1' });
      const first = await waitFor(handle, (s) => stepStatus(s, 'weekly-update') === 'done', 'the listing');
      expect(first.phase).toBe('planning');
      // The same delivery again, the same listing without an id, a later week: nothing changes.
      await handle.signal(includedInWeeklyUpdate, { ...listed, deliveryId: 'delivery-1' });
      await handle.signal(includedInWeeklyUpdate, listed);
      await handle.signal(includedInWeeklyUpdate, { ...listed, week: isoWeekOf(addCalendarDays(launch, 7)) });
      const again = await handle.query(releaseStatus);
      expect(again.weeklyUpdate).toEqual(first.weeklyUpdate);
      expect(again.steps).toEqual(first.steps);
      expect(again.log).toEqual(first.log);
      const result = await handle.result();
      expect(result.phase).toBe('done');
      expect(result.weeklyUpdate).toEqual(first.weeklyUpdate);
      // Nothing awaited after launch day: it ended that night.
      expect(await closedOn(handle, cal)).toBe(addCalendarDays(launch, 1));
    });
  });

  it('Tier 1 marked released early: launched that day, its window counted from it, then listed', async () => {
    await withRelease(async ({ cal, today, start }) => {
      const handle = await start(1, addWorkingDays(cal, today, 3));
      await waitFor(handle, (s) => stepStatus(s, 'plan-comment') === 'done', 'the plan');
      const launched = await handle.executeUpdate(markReleased, {
        args: [await signed(handle, markReleased, {})],
      });
      expect(launched).toMatchObject({ phase: 'launched', launchedOn: today });
      expect(launched.steps.find((s) => s.id === 'weekly-update')).toMatchObject({
        status: 'pending',
        due: rollForward(cal, addCalendarDays(today, 14)),
      });
      await handle.signal(includedInWeeklyUpdate, { week: isoWeekOf(today), via: 'published' });
      const result = await handle.result();
      expect(result.phase).toBe('done');
      expect(stepStatus(result, 'weekly-update')).toBe('done');
    });
  });

  it('loads the release context in the worker that runs it: a local activity, no activity task', async () => {
    await withRelease(async ({ cal, today, start }) => {
      const handle = await start(1, addWorkingDays(cal, today, 3));
      await waitFor(handle, (s) => stepStatus(s, 'plan-comment') === 'done', 'the plan');
      const result = await handle.result();
      await recordHistory(
        handle,
        'release',
        'context-local',
        'Tier 1 whose context is loaded by a local activity (release-context-local)',
      );
      expect(result.phase).toBe('done');
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
      expect(scheduled).not.toContain('loadReleaseContext');
      const markers = events.map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean);
      expect(markers).toContain('core_local_activity');
      expect(markers).toContain('core_patch');
    });
  });

  it('Tier 2: bundle, readiness sub-tasks, async go/no-go, Day-3 check-in and an async retro page', async () => {
    await withRelease(async ({ world, cal, today, start, issueKey }) => {
      const launch = addWorkingDays(cal, today, 12);
      const handle = await start(2, launch);
      const planned = await waitFor(
        handle,
        (s) =>
          s.steps.find((x) => x.id === 'sales-readiness')?.ref !== undefined &&
          s.steps.find((x) => x.id === 'bundle')?.ref !== undefined,
        'the Tier 2 artifacts',
      );
      expect(planned.plan.bundleDueDate).toBe(addWorkingDays(cal, launch, -5));
      expect(planned.plan.readinessCheckDate).toBeNull();
      expect(planned.flags.late).toBe(false);
      const bundlePage = world.pages.find((p) => p.idempotencyKey === `release:${issueKey}:bundle`)!;
      expect(bundlePage.properties.Status).toEqual({ status: 'Draft' });
      const headings = bundlePage.blocks
        .filter((b) => (b as { type: string }).type === 'heading_2')
        .map((b) => (b as { text: string }).text);
      expect(headings).toContain('Support macros and troubleshooting');
      expect(headings).not.toContain('Rollback and mitigation');
      expect([...world.issues.values()].map((i) => i.parentKey)).toEqual([issueKey, issueKey]);

      await handle.executeUpdate(publishBundle, { args: [await signed(handle, publishBundle, {})] });
      await handle.executeUpdate(confirmReadiness, {
        args: [await signed(handle, confirmReadiness, { team: 'support', by: 'maya' })],
      });
      await handle.executeUpdate(confirmReadiness, {
        args: [await signed(handle, confirmReadiness, { team: 'sales', by: 'nora' })],
      });
      const ready = await handle.executeUpdate(decideGoNoGo, {
        args: [await signed(handle, decideGoNoGo, { by: PM, decision: 'go' })],
      });
      expect(ready.enablement).toBe('published');
      expect(ready.confirmations.support?.by).toBe('maya');

      await skipTo(launch, '15:00');
      await handle.executeUpdate(markReleased, { args: [await signed(handle, markReleased, {})] });
      const result = await handle.result();
      await recordHistory(
        handle,
        'release',
        'tier2',
        'Tier 2: bundle, sub-tasks, async go/no-go, Day-3 and an async retro',
      );
      expect(result.phase).toBe('done');
      expect(stepStatus(result, 'day-3-check-in')).toBe('done');
      expect(stepStatus(result, 'day-14-retro')).toBe('done');
      expect(world.pages.filter((p) => p.idempotencyKey === `release:${issueKey}:retro`)).toHaveLength(1);
      expect(world.events).toHaveLength(0);
      expect(world.mails.map((m) => m.idempotencyKey)).toEqual([`release:${issueKey}:day-3-check-in`]);
      // The Day-3 question goes to the Support and the Sales lead, answered on the check-in page.
      expect(world.mails[0]!.to).toEqual([
        'ana@northwind.example',
        'maya@northwind.example',
        'nora@northwind.example',
      ]);
      const checkIn = world.pages.filter((p) => p.idempotencyKey === `release:${issueKey}:check-in`);
      expect(checkIn).toHaveLength(1);
      expect(world.mails[0]!.text).toContain('Were you aware of this release before it shipped?');
    });
  });

  it('Day 3: the Support and Sales leads say whether they knew before it shipped, once each', async () => {
    await withRelease(async ({ cal, today, start }) => {
      const launch = addWorkingDays(cal, today, 12);
      const handle = await start(2, launch);
      await waitFor(handle, (s) => s.plan.bundleDueDate !== null, 'the plan');
      await expectRefused(
        handle.executeUpdate(answerAwareness, {
          args: [await signed(handle, answerAwareness, { by: 'maya', aware: true })],
        }),
        /has not shipped yet/,
      );
      await skipTo(launch, '15:00');
      await handle.executeUpdate(markReleased, { args: [await signed(handle, markReleased, {})] });
      await expectRefused(
        handle.executeUpdate(answerAwareness, {
          args: [await signed(handle, answerAwareness, { by: 'ben', aware: false })],
        }),
        /"ben" cannot answer .*the Support and Sales leads/,
      );
      await handle.executeUpdate(answerAwareness, {
        args: [await signed(handle, answerAwareness, { by: 'maya', aware: true })],
      });
      await handle.executeUpdate(answerAwareness, {
        args: [await signed(handle, answerAwareness, { by: 'nora', aware: true })],
      });
      // Nora corrects her answer: one answer each, the latest.
      const answered = await handle.executeUpdate(answerAwareness, {
        args: [await signed(handle, answerAwareness, { by: 'nora', aware: false })],
      });
      expect(answered.awareness.map(({ by, team, aware, source }) => ({ by, team, aware, source }))).toEqual([
        { by: 'maya', team: 'support', aware: true, source: 'cli' },
        { by: 'nora', team: 'sales', aware: false, source: 'cli' },
      ]);
      const result = await handle.result();
      expect(result.phase).toBe('done');
      expect(result.awareness).toHaveLength(2);
      // The measurement reads them: one release answered, surprised by Sales' "no".
      const record = releaseRecordOf(result);
      expect(record.awareness).toEqual([
        { by: 'maya', team: 'support', aware: true },
        { by: 'nora', team: 'sales', aware: false },
      ]);
    });
  });

  it('Tier 3: readiness check and retro events, PM-only go/no-go held then given, full lifecycle', async () => {
    await withRelease(async ({ world, cal, today, start, issueKey }) => {
      const launch = addWorkingDays(cal, today, 15);
      const handle = await start(3, launch);
      const planned = await waitFor(
        handle,
        (s) => s.steps.find((x) => x.id === 'day-14-retro')?.ref !== undefined,
        'the Tier 3 artifacts',
      );
      const plan = planRelease(
        { tier: 3, launchDate: launch, today },
        cal,
        releaseRulesFrom(config.releases),
      );
      expect(planned.plan).toEqual(plan);
      expect(planned.nextDeadline).toEqual({ step: 'bundle', date: plan.bundleDueDate });

      const [readiness, retro] = [
        world.events.find((e) => e.idempotencyKey.endsWith(':readiness-check'))!,
        world.events.find((e) => e.idempotencyKey.endsWith(':retro'))!,
      ];
      expect(readiness.start).toBe(
        zonedDateTimeToInstant(plan.readinessCheckDate!, '10:00', 'Europe/London'),
      );
      expect(retro.start).toBe(zonedDateTimeToInstant(plan.dayFourteenRetro, '15:00', 'Europe/London'));
      expect(readiness.attendees.sort()).toEqual([
        'ivan@northwind.example',
        'maya@northwind.example',
        'nora@northwind.example',
      ]);
      expect(Date.parse(readiness.end) - Date.parse(readiness.start)).toBe(30 * 60_000);
      expect(Date.parse(retro.end) - Date.parse(retro.start)).toBe(15 * 60_000);
      const bundlePage = world.pages.find((p) => p.idempotencyKey === `release:${issueKey}:bundle`)!;
      expect(bundlePage.blocks.some((b) => (b as { text?: string }).text === 'Rollback and mitigation')).toBe(
        true,
      );

      // Someone other than the PM is refused, with the reason.
      await expectRefused(
        handle.executeUpdate(decideGoNoGo, {
          args: [await signed(handle, decideGoNoGo, { by: 'ivan', decision: 'go' })],
        }),
        /only the PM owner \(ana\) can take the go\/no-go/,
      );
      await expectRefused(
        handle.executeUpdate(confirmReadiness, {
          args: [await signed(handle, confirmReadiness, { team: 'support', by: 'ben' })],
        }),
        /"ben" cannot confirm support readiness/,
      );

      await handle.executeUpdate(publishBundle, { args: [await signed(handle, publishBundle, {})] });
      await handle.executeUpdate(confirmReadiness, {
        args: [await signed(handle, confirmReadiness, { team: 'support', by: 'maya' })],
      });
      await handle.executeUpdate(confirmReadiness, {
        args: [await signed(handle, confirmReadiness, { team: 'sales', by: 'raj' })],
      });
      const held = await handle.executeUpdate(decideGoNoGo, {
        args: [
          await signed(handle, decideGoNoGo, {
            by: PM,
            decision: 'no-go',
            note: 'waiting for the billing migration',
          }),
        ],
      });
      expect(held.flags.onHold).toBe(true);
      expect(stepStatus(held, 'go-no-go')).toBe('pending');
      const given = await handle.executeUpdate(decideGoNoGo, {
        args: [await signed(handle, decideGoNoGo, { by: PM, decision: 'go' })],
      });
      expect(given.flags.onHold).toBe(false);
      expect(given.goNoGo.map((d) => d.decision)).toEqual(['no-go', 'go']);
      expect(stepStatus(given, 'go-no-go')).toBe('done');

      await skipTo(launch, '16:00');
      await handle.executeUpdate(markReleased, { args: [await signed(handle, markReleased, {})] });
      const result = await handle.result();
      await recordHistory(
        handle,
        'release',
        'tier3-held-then-go',
        'Tier 3: readiness check and retro events, no-go then go, full lifecycle',
      );
      expect(result.phase).toBe('done');
      expect(result.launchedOn).toBe(launch);
      // Each artifact exactly once.
      expect(world.pages.map((p) => p.idempotencyKey).sort()).toEqual([
        `release:${issueKey}:bundle`,
        `release:${issueKey}:check-in`,
        `release:${issueKey}:release-log`,
      ]);
      expect(world.issues.size).toBe(2);
      expect(
        world
          .liveEvents()
          .map((e) => e.idempotencyKey)
          .sort(),
      ).toEqual([`release:${issueKey}:readiness-check`, `release:${issueKey}:retro`]);
      expect(world.comments.map((c) => c.idempotencyKey)).toEqual([
        `release:${issueKey}:plan:1`,
        `release:${issueKey}:day-3-check-in`,
      ]);
      // Nothing was missing on launch day, so no notice but the Day-3 check-in.
      expect(world.mails.map((m) => m.idempotencyKey)).toEqual([`release:${issueKey}:day-3-check-in`]);
    });
  });

  it('flags a late request at once and tells the PM and escalation contacts the earliest compliant date, once', async () => {
    await withRelease(async ({ world, cal, today, start }) => {
      const launch = addWorkingDays(cal, today, 3);
      const handle = await start(3, launch);
      const status = await waitFor(
        handle,
        (s) => world.mails.length > 0 && s.steps.some((x) => x.id === 'bundle' && x.ref),
        'the late notice',
      );
      expect(status.flags.late).toBe(true);
      expect(status.enablement).toBe('late');
      const earliest = addWorkingDays(cal, rollForward(cal, today), 10);
      expect(status.plan.earliestCompliantLaunch).toBe(earliest);
      const late = world.mails.filter((m) => m.idempotencyKey.includes(':late:'));
      expect(late).toHaveLength(1);
      expect(late[0]!.to.sort()).toEqual([
        'ana@northwind.example',
        'hana@northwind.example',
        'priya@northwind.example',
      ]);
      expect(late[0]!.text).toContain(earliest);
      expect(world.comments[0]!.body).toContain(`earliest launch date that complies is ${earliest}`);
      // A new event re-plans but the notice for this date is not sent again.
      await handle.signal(launchMoved, { launchDate: launch, occurredAt: Date.now() });
      await handle.executeUpdate(changeTier, { args: [await signed(handle, changeTier, { tier: 3 })] });
      expect(world.mails.filter((m) => m.idempotencyKey.includes(':late:'))).toHaveLength(1);
      await handle.executeUpdate(cancelRelease, {
        args: [await signed(handle, cancelRelease, { reason: 'test over' })],
      });
      await handle.result();
      await recordHistory(
        handle,
        'release',
        'late-request',
        'a late request flagged at once, the earliest compliant date told once',
      );
    });
  });

  it('flags a missed bundle deadline as at risk, reminds the PM and escalates with a compliant date', async () => {
    await withRelease(async ({ world, cal, today, start, issueKey }) => {
      const launch = addWorkingDays(cal, today, 8);
      const handle = await start(2, launch);
      const planned = await waitFor(
        handle,
        (s) => s.steps.some((x) => x.id === 'bundle' && x.ref),
        'the bundle',
      );
      const due = planned.plan.bundleDueDate!;
      await skipTo(addWorkingDays(cal, due, 1), '08:00');
      const risky = await waitFor(handle, (s) => s.flags.atRisk, 'the at-risk flag');
      expect(risky.enablement).toBe('at_risk');
      expect(stepStatus(risky, 'bundle')).toBe('missed');
      const reminders = world.mails.filter((m) => m.idempotencyKey.includes(':at-risk'));
      expect(reminders.map((m) => m.to)).toEqual([
        ['ana@northwind.example'],
        ['hana@northwind.example', 'priya@northwind.example'],
      ]);
      expect(reminders[0]!.subject).toContain(`not published by ${due}`);
      expect(reminders[0]!.text).toMatch(/earliest launch date that complies would be \d{4}-\d{2}-\d{2}/);
      // Publishing late lifts the flag.
      const published = await handle.executeUpdate(publishBundle, {
        args: [await signed(handle, publishBundle, {})],
      });
      expect(published.flags.atRisk).toBe(false);
      expect(published.enablement).toBe('published');
      await handle.executeUpdate(cancelRelease, { args: [await signed(handle, cancelRelease, {})] });
      await handle.result();
      await recordHistory(
        handle,
        'release',
        'missed-bundle-deadline',
        'a missed bundle deadline: at risk, reminder and escalation',
      );
      expect(
        world.mails.filter((m) => m.idempotencyKey === `release:${issueKey}:at-risk:${due}`),
      ).toHaveLength(1);
    });
  });

  it('does not flag a bundle published in Notion whose webhook was lost', async () => {
    await withRelease(async ({ world, cal, today, start }) => {
      const launch = addWorkingDays(cal, today, 8);
      const handle = await start(2, launch);
      const planned = await waitFor(
        handle,
        (s) => s.steps.some((x) => x.id === 'bundle' && x.ref),
        'the bundle',
      );
      world.setPageStatus(planned.steps.find((s) => s.id === 'bundle')!.ref!, 'Published');
      await skipTo(addWorkingDays(cal, planned.plan.bundleDueDate!, 1), '08:00');
      const status = await waitFor(
        handle,
        (s) => s.enablement === 'published',
        'the bundle to be seen as published',
      );
      expect(status.flags.atRisk).toBe(false);
      expect(world.mails).toHaveLength(0);
      await handle.executeUpdate(cancelRelease, { args: [await signed(handle, cancelRelease, {})] });
      await handle.result();
      await recordHistory(
        handle,
        'release',
        'lost-webhook',
        'a bundle published in Notion whose webhook was lost',
      );
    });
  });

  it('moves a date twice: deadlines re-planned, the same events moved, nothing duplicated', async () => {
    await withRelease(async ({ world, cal, today, start, issueKey }) => {
      const first = addWorkingDays(cal, today, 15);
      const handle = await start(3, first);
      await waitFor(
        handle,
        (s) => s.steps.find((x) => x.id === 'day-14-retro')?.ref !== undefined,
        'the events',
      );
      const second = addWorkingDays(cal, first, 5);
      const third = addWorkingDays(cal, first, 8);
      await handle.executeUpdate(moveLaunch, {
        args: [await signed(handle, moveLaunch, { launchDate: second })],
      });
      await waitFor(
        handle,
        () => world.comments.length === 2 && world.events.every((e) => e.revisions === 2),
        'the first move to settle',
      );
      const moved = await handle.executeUpdate(moveLaunch, {
        args: [await signed(handle, moveLaunch, { launchDate: third })],
      });
      expect(moved.replans).toBe(2);
      expect(moved.plan.launchDate).toBe(third);
      expect(moved.plan.bundleDueDate).toBe(addWorkingDays(cal, third, -10));
      const settled = await waitFor(
        handle,
        () => world.comments.length === 3 && world.events.every((e) => e.revisions === 3),
        'the events to move twice',
      );
      expect(settled.replans).toBe(2);
      expect(world.events).toHaveLength(2);
      const readiness = world.events.find((e) => e.idempotencyKey.endsWith(':readiness-check'))!;
      expect(readiness.start.slice(0, 10)).toBe(addWorkingDays(cal, third, -2));
      expect(world.comments.map((c) => c.idempotencyKey)).toEqual(
        [1, 2, 3].map((n) => `release:${issueKey}:plan:${n}`),
      );
      expect(world.pages.filter((p) => p.idempotencyKey.endsWith(':bundle'))).toHaveLength(1);
      expect(world.pages.find((p) => p.idempotencyKey.endsWith(':bundle'))!.properties.Due).toEqual({
        date: { start: addWorkingDays(cal, third, -10) },
      });
      expect(world.issues.size).toBe(2);
      // An older event delivered late is ignored.
      await handle.signal(launchMoved, { launchDate: first, occurredAt: 1 });
      await handle.signal(launchMoved, { launchDate: second, occurredAt: Date.now() });
      await handle.signal(launchMoved, { launchDate: first, occurredAt: Date.now() - 60_000 });
      const final = await waitFor(handle, (s) => s.plan.launchDate === second, 'the newest move');
      expect(final.log.some((l) => l.message.includes('older than one already applied'))).toBe(true);
      await handle.executeUpdate(cancelRelease, { args: [await signed(handle, cancelRelease, {})] });
      await handle.result();
      await recordHistory(handle, 'release', 'moved-twice', 'the launch moved twice: the same events moved');
    });
  });

  it('Tier 2 to 3 adds the readiness check and the full bundle; 3 to 1 retires them', async () => {
    await withRelease(async ({ world, cal, today, start, issueKey }) => {
      const launch = addWorkingDays(cal, today, 15);
      const handle = await start(2, launch);
      await waitFor(
        handle,
        (s) => s.steps.find((x) => x.id === 'sales-readiness')?.ref !== undefined,
        'the Tier 2 artifacts',
      );
      expect(world.events).toHaveLength(0);

      const upgraded = await handle.executeUpdate(changeTier, {
        args: [await signed(handle, changeTier, { tier: 3 })],
      });
      expect(upgraded.plan.readinessCheckDate).toBe(addWorkingDays(cal, launch, -2));
      expect(upgraded.plan.bundleDueDate).toBe(addWorkingDays(cal, launch, -10));
      await waitFor(
        handle,
        () =>
          world.liveEvents().length === 2 && world.calls.some((c) => c.startsWith('notion.appendContent')),
        'the Tier 3 additions',
      );
      const bundlePage = world.pages.find((p) => p.idempotencyKey === `release:${issueKey}:bundle`)!;
      expect(bundlePage.blocks.some((b) => (b as { text?: string }).text === 'Rollback and mitigation')).toBe(
        true,
      );

      const downgraded = await handle.executeUpdate(changeTier, {
        args: [await signed(handle, changeTier, { tier: 1 })],
      });
      expect(downgraded.enablement).toBe('not_required');
      const retired = await waitFor(
        handle,
        () =>
          world.liveEvents().length === 0 &&
          bundlePage.properties.Status !== undefined &&
          (bundlePage.properties.Status as { status: string }).status === 'Cancelled',
        'the Tier 3 steps to retire',
      );
      expect(
        retired.steps
          .filter((s) => s.status === 'retired')
          .map((s) => s.id)
          .sort(),
      ).toEqual(
        [
          'bundle',
          'day-14-retro',
          'day-3-check-in',
          'go-no-go',
          'readiness-check',
          'sales-readiness',
          'support-readiness',
        ].sort(),
      );
      await waitFor(
        handle,
        () => [...world.issues.values()].every((i) => i.status === 'Cancelled'),
        'the sub-tasks to be cancelled',
      );
      expect(world.issues.size).toBe(2);
      await handle.executeUpdate(cancelRelease, { args: [await signed(handle, cancelRelease, {})] });
      await handle.result();
      await recordHistory(
        handle,
        'release',
        'tier-2-to-3-to-1',
        'Tier 2 to 3 then 3 to 1: steps added, then retired',
      );
    });
  });

  it('cancelled midway: open steps retired, future events deleted, Notion marked cancelled, then refuses commands', async () => {
    await withRelease(async ({ world, cal, today, start, issueKey }) => {
      const launch = addWorkingDays(cal, today, 15);
      const handle = await start(3, launch);
      await waitFor(
        handle,
        (s) => s.steps.find((x) => x.id === 'day-14-retro')?.ref !== undefined,
        'the artifacts',
      );
      await handle.executeUpdate(confirmReadiness, {
        args: [await signed(handle, confirmReadiness, { team: 'support', by: 'maya' })],
      });
      await handle.executeUpdate(cancelRelease, {
        args: [await signed(handle, cancelRelease, { reason: 'descoped' })],
      });
      const result = await handle.result();
      await recordHistory(
        handle,
        'release',
        'cancelled-midway',
        'cancelled midway: open steps retired, future events deleted',
      );
      expect(result.phase).toBe('cancelled');
      expect(result.enablement).toBe('cancelled');
      expect(stepStatus(result, 'support-readiness')).toBe('done');
      expect(result.steps.filter((s) => s.status === 'pending')).toEqual([]);
      expect(world.liveEvents()).toEqual([]);
      const bundlePage = world.pages.find((p) => p.idempotencyKey === `release:${issueKey}:bundle`)!;
      expect(bundlePage.properties.Status).toEqual({ status: 'Cancelled' });
      expect(world.pages.find((p) => p.idempotencyKey.endsWith(':release-log'))!.properties.Status).toEqual({
        select: 'Cancelled',
      });
      const subtasks = [...world.issues.values()];
      expect(subtasks.find((i) => i.idempotencyKey.endsWith(':sales-readiness'))!.status).toBe('Cancelled');
      expect(subtasks.find((i) => i.idempotencyKey.endsWith(':support-readiness'))!.status).toBe('To Do');
      expect(world.mails.map((m) => m.idempotencyKey)).toEqual([`release:${issueKey}:cancelled`]);
    });
  });
});
