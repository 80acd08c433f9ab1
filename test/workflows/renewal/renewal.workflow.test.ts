/**
 * The renewal workflow on the time-skipping server, with in-memory integrations: a whole annual
 * cycle without a decision (every reminder, then the escalations), a decision that stops the
 * rest, a cancel with its Jira task and export reminder, and a monthly contract rolling over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundle, createTimeSkippingEnv } from '../../helpers/temporal';
import { recordHistory } from '../../helpers/histories';
import { WORKFLOWS_PATH } from '../../../workers/index';
import {
  addCalendarDays,
  addWorkingDays,
  isWorkingDay,
  rollBackward,
} from '../../../domain/business-calendar';
import { addMonths } from '../../../domain/renewal-plan';
import { decideRenewal, type RenewalStatusView } from '../../../workflows/renewal/messages';
import { status, subscription, until, waitFor, withWorld } from './harness';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundle(WORKFLOWS_PATH)]);
});
afterAll(async () => {
  await env?.teardown();
});

describe('a renewal cycle', () => {
  it('sends every reminder of an annual cycle, then escalates each working day, then rolls over', async () => {
    await withWorld(env, workflowBundle, async ({ world, cal, today, sleepUntil, add }) => {
      const start = await today();
      const renewal = addCalendarDays(start, 200);
      const deadline = rollBackward(cal, addCalendarDays(renewal, -30));
      const handle = await add('figma-annual', subscription({ renewalDate: renewal }));

      const planned = await waitFor(
        handle,
        (s) => s.cycle?.plan !== null && s.lifecycle === 'active',
        'the plan',
      );
      const plan = planned.cycle!.plan!;
      expect(plan.noticeDeadline).toBe(deadline);
      expect(plan.reminders.map((r) => r.daysBeforeDeadline)).toEqual([90, 60, 30, 14, 7]);
      expect(plan.reminders.map((r) => r.date)).toEqual(
        [90, 60, 30, 14, 7].map((n) => rollBackward(cal, addCalendarDays(deadline, -n))),
      );
      expect(plan.catchUpReminder).toBe(false);
      expect(plan.escalationDate).toBe(addWorkingDays(cal, deadline, -2));
      expect(planned.perYear).toEqual({ cents: 1_020_000, currency: 'GBP' });
      expect(planned.utilisationPercent).toBe(78);

      // The row in Notion, and the deadline on ana's calendar.
      const page = await until(
        () => world.pages.find((p) => p.idempotencyKey === 'subscription:figma-annual'),
        'the Notion row',
      );
      expect(page.properties).toMatchObject({
        Name: 'Figma',
        Owner: ['ana@northwind.example'],
        'Renewal date': renewal,
        'Notice deadline': deadline,
        'Annual cost': 10200,
        Status: 'Active',
        Decision: 'Undecided',
        Team: 'growth',
      });
      const event = await until(
        () => world.liveEvents().find((e) => e.idempotencyKey.endsWith(':deadline')),
        'the deadline event',
      );
      expect(event).toMatchObject({
        calendarId: 'ana@northwind.example',
        start: deadline,
        summary: 'Notice deadline: Figma (Figma Inc.)',
      });

      for (const r of plan.reminders) {
        await sleepUntil(r.date, '09:00');
        const key = `subscription:figma-annual:cycle-1:reminder-${r.daysBeforeDeadline}`;
        const mail = await until(
          () => world.mails.find((m) => m.idempotencyKey === key),
          `the ${r.daysBeforeDeadline}-day reminder`,
        );
        expect(mail.to).toEqual(['ana@northwind.example']);
        expect(mail.subject).toContain(`notice deadline ${deadline}`);
        expect(mail.text).toContain('EUR 12,000.00 per cycle, GBP 10,200.00 per year');
        expect(mail.text).toContain('Seats: 31 in use of 40 (78% utilisation)');
        expect(mail.text).toMatch(/\d+ days left/);
      }
      expect(world.mailsAbout('figma-annual').map((m) => m.idempotencyKey.split(':').pop())).toEqual([
        'reminder-90',
        'reminder-60',
        'reminder-30',
        'reminder-14',
        'reminder-7',
      ]);

      // No decision: the manager and the budget owner (both hana) are told from 2 working days before.
      const escalationDays = [plan.escalationDate, addWorkingDays(cal, plan.escalationDate, 1), deadline];
      for (const day of escalationDays) {
        expect(isWorkingDay(cal, day)).toBe(true);
        await sleepUntil(day, '09:00');
        const mail = await until(
          () =>
            world.mails.find(
              (m) => m.idempotencyKey === `subscription:figma-annual:cycle-1:escalation-${day}`,
            ),
          `the escalation on ${day}`,
        );
        expect(mail.to).toEqual(['hana@northwind.example']);
        expect(mail.cc).toEqual(['ana@northwind.example']);
        expect(mail.subject).toContain('Escalation: no decision on Figma');
      }
      expect((await status(handle)).cycle!.escalations).toEqual(escalationDays);

      // The deadline passes: missed, and it renews by itself.
      await sleepUntil(addCalendarDays(deadline, 1), '08:00');
      const missed = await until(
        () => world.mails.find((m) => m.idempotencyKey === 'subscription:figma-annual:cycle-1:missed'),
        'the missed-deadline notice',
      );
      expect(missed.subject).toBe(`[prodops] Missed notice deadline: Figma renews on ${renewal}`);
      expect(missed.to.sort()).toEqual(['ana@northwind.example', 'hana@northwind.example']);
      expect((await status(handle)).lifecycle).toBe('missed');

      // The renewal date: the next cycle, one year on, in a new run.
      await sleepUntil(renewal, '01:00');
      const next = await waitFor(
        handle,
        (s) => s.cycle?.number === 2 && s.cycle.plan !== null,
        'the next cycle',
      );
      expect(next.lifecycle).toBe('active');
      expect(next.cycle!.renewalDate).toBe(addMonths(renewal, 12));
      expect(next.history).toEqual([
        expect.objectContaining({ number: 1, renewalDate: renewal, outcome: 'renewed', decision: null }),
      ]);
      await until(
        () =>
          page.properties['Renewal date'] === addMonths(renewal, 12) && page.properties.Status === 'Active',
        'the row rolled forward',
      );
      // The renewal continued as new: the current run was started by the first one.
      const started = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
      expect(started.continuedExecutionRunId).toBeTruthy();
      await recordHistory(
        env.client.workflow.getHandle(handle.workflowId, started.continuedExecutionRunId!),
        'renewal',
        'no-decision-escalated',
        'an annual cycle without a decision: five reminders, three escalations, missed, renewed',
      );
      // Every notice went out exactly once.
      const keys = world.mails.map((m) => m.idempotencyKey);
      expect(new Set(keys).size).toBe(keys.length);
    });
  });

  it('stops the remaining reminders once decided after the 30-day one', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, sleepUntil, add, signed }) => {
      const renewal = addCalendarDays(await today(), 200);
      const handle = await add(
        'slack-decided',
        subscription({
          tool: 'Slack',
          vendor: 'Salesforce',
          costPerCycle: 9000,
          currency: 'GBP',
          renewalDate: renewal,
        }),
      );
      const plan = (await waitFor(handle, (s) => !!s.cycle?.plan, 'the plan')).cycle!.plan!;
      const thirty = plan.reminders.find((r) => r.daysBeforeDeadline === 30)!;
      await sleepUntil(thirty.date, '09:00');
      await until(
        () => world.mails.find((m) => m.idempotencyKey.endsWith(':reminder-30')),
        'the 30-day reminder',
      );

      const decided = await handle.executeUpdate(decideRenewal, {
        args: [await signed(handle, decideRenewal, { decision: 'renew', by: 'ana', via: 'cli' })],
      });
      expect(decided.cycle!.decision).toMatchObject({
        decision: 'renew',
        by: 'ana',
        via: 'cli',
        late: false,
      });
      expect(decided.cycle!.reminders.filter((r) => r.status === 'pending')).toEqual([]);
      await until(
        () =>
          world.pages.find((p) => p.idempotencyKey === 'subscription:slack-decided')?.properties.Decision ===
          'Renew',
        'the decision in Notion',
      );

      await sleepUntil(addCalendarDays(renewal, -1), '12:00');
      expect(world.mailsAbout('slack-decided').map((m) => m.idempotencyKey.split(':').pop())).toEqual([
        'reminder-90',
        'reminder-60',
        'reminder-30',
      ]);
      // A renewal decision needs no procurement task.
      expect(world.issues).toEqual([]);
      await sleepUntil(renewal, '01:00');
      const next = await waitFor(handle, (s) => s.cycle?.number === 2, 'the next cycle');
      expect(next.history[0]).toMatchObject({ decision: 'renew', outcome: 'renewed' });
      expect(next.cycle!.decision).toBeNull();
    });
  });

  it('opens a Jira task and an export reminder on cancel, and ends the subscription on its renewal date', async () => {
    await withWorld(
      env,
      workflowBundle,
      async ({ world, cal, today, sleepUntil, add, handle: handleOf, signed }) => {
        const renewal = addCalendarDays(await today(), 160);
        const handle = await add(
          'miro-cancel',
          subscription({
            tool: 'Miro',
            vendor: 'RealtimeBoard',
            costPerCycle: 4000,
            currency: 'USD',
            seats: 25,
            seatsInUse: 6,
            renewalDate: renewal,
          }),
        );
        const plan = (await waitFor(handle, (s) => !!s.cycle?.plan, 'the plan')).cycle!.plan!;

        const decided = await handle.executeUpdate(decideRenewal, {
          args: [
            await signed(handle, decideRenewal, {
              decision: 'cancel',
              by: 'ana',
              via: 'cli',
              note: 'six seats used',
            }),
          ],
        });
        expect(decided.artifacts.jiraTask).toMatch(/^REL-\d+$/);
        const issue = world.issues.find((i) => i.key === decided.artifacts.jiraTask)!;
        expect(issue).toMatchObject({
          projectKey: 'REL',
          summary: `Cancel Miro (RealtimeBoard) by ${plan.noticeDeadline}`,
          duedate: plan.noticeDeadline,
          assigneeAccountId: '5f1a000000000000000000tom',
        });
        expect(issue.description).toContain('Give RealtimeBoard notice that Miro will not renew on');
        expect(issue.description).toContain('Seats in use: 6 of 25 bought (24%)');
        const exportDay = addWorkingDays(cal, renewal, -5);
        const exportEvent = world
          .liveEvents()
          .find((e) => e.idempotencyKey === 'subscription:miro-cancel:cycle-1:export')!;
        expect(exportEvent).toMatchObject({
          calendarId: 'ana@northwind.example',
          summary: `Export your data from Miro before it ends on ${renewal}`,
          start: `${exportDay}T09:00:00`,
        });

        // Changing the decision closes the task for the old one; deciding cancel again opens a new one.
        const renegotiated = await handle.executeUpdate(decideRenewal, {
          args: [await signed(handle, decideRenewal, { decision: 'renegotiate', by: 'hana', via: 'cli' })],
        });
        expect(issue.status).toBe('Cancelled');
        expect(world.liveEvents().some((e) => e.idempotencyKey.endsWith(':export'))).toBe(false);
        expect(world.issues.find((i) => i.key === renegotiated.artifacts.jiraTask)!.summary).toContain(
          'Renegotiate Miro',
        );
        await handle.executeUpdate(decideRenewal, {
          args: [await signed(handle, decideRenewal, { decision: 'cancel', by: 'ana', via: 'cli' })],
        });
        expect(world.liveEvents().filter((e) => e.idempotencyKey.endsWith(':export'))).toHaveLength(1);

        // After the renewal date the subscription is cancelled and stays on record for the budget.
        await sleepUntil(renewal, '02:00');
        const cancelled = await waitFor(
          handleOf('miro-cancel'),
          (s) => s.lifecycle === 'cancelled',
          'cancelled',
        );
        expect(cancelled.endedOn).toBe(renewal);
        expect(cancelled.history[0]).toMatchObject({ decision: 'cancel', outcome: 'cancelled' });
        await until(
          () =>
            world.pages.find((p) => p.idempotencyKey === 'subscription:miro-cancel')?.properties.Status ===
            'Cancelled',
          'Cancelled in Notion',
        );
        expect((await handle.describe()).status.name).toBe('RUNNING');
        // No reminder went out after the decision.
        expect(world.mailsAbout('miro-cancel').filter((m) => m.idempotencyKey.includes('reminder'))).toEqual(
          [],
        );
        await sleepUntil(`${Number(renewal.slice(0, 4)) + 2}-01-01`, '01:00');
        const ended = (await handle.result()) as RenewalStatusView;
        expect(ended.lifecycle).toBe('cancelled');
        await recordHistory(
          handle,
          'renewal',
          'cancelled',
          'cancel, renegotiate, cancel again; ended on the renewal date',
        );
      },
    );
  });

  it('rolls a monthly contract over three cycles, clamping the month end', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, sleepUntil, add, notionChange }) => {
      // The next 31st at least three weeks ahead: its cycles end on the 31st or the month's last day.
      let first = addCalendarDays(await today(), 21);
      while (!first.endsWith('-31')) first = addCalendarDays(first, 1);
      const fields = subscription({
        tool: 'Linear',
        vendor: 'Linear Orbit',
        costPerCycle: 800,
        currency: 'USD',
        cycle: 'monthly',
        noticeDays: 5,
        renewalDate: first,
      });
      const handle = await add('linear-monthly', fields);
      const page = await until(
        () => world.pages.find((p) => p.idempotencyKey === 'subscription:linear-monthly'),
        'the row',
      );
      const renewals = [first, addMonths(first, 1, 31), addMonths(first, 2, 31), addMonths(first, 3, 31)];
      for (let cycle = 1; cycle <= 3; cycle++) {
        const s = await waitFor(handle, (x) => x.cycle?.number === cycle && !!x.cycle.plan, `cycle ${cycle}`);
        expect(s.cycle!.renewalDate).toBe(renewals[cycle - 1]);
        const plan = s.cycle!.plan!;
        // Only the reminders that fit inside the month.
        expect(plan.reminders.map((r) => r.daysBeforeDeadline)).toEqual([14, 7]);
        expect(plan.reminders.every((r) => r.date >= plan.cycleStart)).toBe(true);
        await sleepUntil(plan.reminders[0]!.date, '09:00');
        await until(
          () =>
            world.mails.find(
              (m) => m.idempotencyKey === `subscription:linear-monthly:cycle-${cycle}:reminder-14`,
            ),
          `cycle ${cycle}'s reminder`,
        );
        // Renewed in Notion by ana.
        await notionChange('linear-monthly', {
          pageId: page.id,
          fields: {
            ...fields,
            owner: 'ana@northwind.example',
            team: 'growth',
            cycle: 'Monthly',
            renewalDate: renewals[cycle - 1],
          },
          decision: 'Renew',
          author: 'ana@northwind.example',
        });
        await waitFor(handle, (x) => x.cycle?.decision?.decision === 'renew', `cycle ${cycle} decided`);
        await sleepUntil(renewals[cycle - 1]!, '03:00');
      }
      const fourth = await waitFor(handle, (x) => x.cycle?.number === 4, 'cycle 4');
      expect(fourth.cycle!.renewalDate).toBe(renewals[3]);
      expect(fourth.history.map((h) => [h.renewalDate, h.outcome, h.decision])).toEqual(
        renewals.slice(0, 3).map((r) => [r, 'renewed', 'renew']),
      );
      expect(fourth.history.every((h, i) => i === 0 || h.start === renewals[i - 1])).toBe(true);
      await until(
        () => page.properties['Renewal date'] === renewals[3],
        'the row on the fourth renewal date',
      );
      const firstRun = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
      expect(firstRun.continuedExecutionRunId).toBeTruthy();
      // Each renewal is its month's last day: the 31st where there is one, clamped where not.
      for (const r of renewals) expect(addCalendarDays(r, 1).endsWith('-01')).toBe(true);
    });
  });
});
