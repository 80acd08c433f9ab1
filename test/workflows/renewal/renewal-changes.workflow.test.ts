/**
 * The renewal workflow's changes and edge cases on the time-skipping server: a renewal date moved
 * in Notion, a subscription added after its deadline, a snooze, a price rise, bad input refused
 * with the field named, a renewal that takes its team over budget, and one annual cycle with five
 * reminders recorded for the replay test and the action count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { bundle, createTimeSkippingEnv } from '../../helpers/temporal';
import { recordHistory } from '../../helpers/histories';
import { WORKFLOWS_PATH } from '../../../workers/index';
import { addCalendarDays, addWorkingDays, rollBackward } from '../../../domain/business-calendar';
import { addMonths } from '../../../domain/renewal-plan';
import {
  decideRenewal,
  snoozeReminder,
  toolBudgetWorkflowId,
  type DecideCommand,
  type SubscriptionMemo,
} from '../../../workflows/renewal/messages';
import { status, subscription, until, waitFor, withWorld } from './harness';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundle(WORKFLOWS_PATH)]);
});
afterAll(async () => {
  await env?.teardown();
});

const SUBSCRIPTIONS = '2a1f3c4d-0000-4000-8000-00000000a004';

const refusal = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return (error as WorkflowUpdateFailedError).cause?.message ?? '';
  }
  throw new Error('the update was not refused');
};

describe('changes to a subscription', () => {
  it('re-plans when the renewal date moves in Notion, and moves the same deadline event', async () => {
    await withWorld(env, workflowBundle, async ({ world, cal, today, notionChange, handle: handleOf }) => {
      const renewal = addCalendarDays(await today(), 150);
      const page = world.addPersonPage(SUBSCRIPTIONS);
      const fields = subscription({
        owner: 'ana@northwind.example',
        renewalDate: renewal,
        tool: 'Notion',
        vendor: 'Notion Labs',
      });
      await notionChange('notion-moved', {
        pageId: page.id,
        fields,
        decision: null,
        author: 'ana@northwind.example',
      });
      const handle = handleOf('notion-moved');
      const first = await waitFor(
        handle,
        (s) => !!s.cycle?.plan && s.artifacts.deadlineEvent !== null,
        'the plan and the event',
      );
      const event = world.liveEvents().find((e) => e.id === first.artifacts.deadlineEvent)!;
      expect(event.start).toBe(first.cycle!.plan!.noticeDeadline);
      // Only the cells prodops owns are written to a row a person made.
      await until(
        () => page.properties['Notice deadline'] === first.cycle!.plan!.noticeDeadline,
        'the deadline in Notion',
      );
      expect(page.properties).toMatchObject({
        Status: 'Active',
        Decision: 'Undecided',
        'Annual cost': 10200,
      });

      const moved = addCalendarDays(renewal, 45);
      await notionChange('notion-moved', {
        pageId: page.id,
        fields: { ...fields, renewalDate: moved },
        decision: null,
        author: 'hana@northwind.example',
      });
      const replanned = await waitFor(
        handle,
        (s) => s.cycle?.renewalDate === moved && s.artifacts.deadlineEvent !== null && s.cycle.plan !== null,
        'the re-plan',
      );
      const newDeadline = rollBackward(cal, addCalendarDays(moved, -30));
      expect(replanned.cycle!.plan!.noticeDeadline).toBe(newDeadline);
      expect(replanned.cycle!.reminders.map((r) => r.date)).toEqual(
        [90, 60, 30, 14, 7].map((n) => rollBackward(cal, addCalendarDays(newDeadline, -n))),
      );
      await until(() => event.start === newDeadline, 'the event moved');
      expect(replanned.artifacts.deadlineEvent).toBe(event.id);
      expect(event.revisions).toBe(2);
      expect(world.liveEvents().filter((e) => e.idempotencyKey.endsWith(':deadline'))).toHaveLength(1);
      await until(() => page.properties['Notice deadline'] === newDeadline, 'the new deadline in Notion');
      expect(replanned.log.map((l) => l.message)).toContain(`renewal date moved from ${renewal} to ${moved}`);

      // A late delivery of an older change is ignored.
      await notionChange('notion-moved', {
        pageId: page.id,
        fields,
        decision: null,
        author: 'ana@northwind.example',
        occurredAt: 1,
      });
      await new Promise((r) => setTimeout(r, 300));
      expect((await status(handle)).cycle!.renewalDate).toBe(moved);
      await recordHistory(
        handle,
        'renewal',
        'moved-in-notion',
        'started from Notion, the renewal date moved, a late delivery ignored',
      );
    });
  });

  it('marks a subscription added after its notice deadline missed, tells the owner, and plans the next cycle', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, sleepUntil, add }) => {
      const renewal = addCalendarDays(await today(), 12);
      const handle = await add(
        'zoom-missed',
        subscription({
          tool: 'Zoom',
          vendor: 'Zoom Video',
          costPerCycle: 3000,
          currency: 'USD',
          renewalDate: renewal,
        }),
      );
      const s = await waitFor(handle, (x) => x.lifecycle === 'missed', 'missed');
      expect(s.cycle!.plan!.missed).toBe(true);
      expect(s.cycle!.plan!.reminders).toEqual([]);
      expect(s.cycle!.plan!.nextRenewal).toBe(addMonths(renewal, 12));
      const mail = await until(
        () => world.mails.find((m) => m.idempotencyKey === 'subscription:zoom-missed:cycle-1:missed'),
        'the notice',
      );
      expect(mail.to).toEqual(['ana@northwind.example']);
      expect(mail.subject).toBe(`[prodops] Missed notice deadline: Zoom renews on ${renewal}`);
      expect(mail.text).toContain('was added after its notice deadline');
      expect(mail.text).toContain(`renews on ${renewal} for another cycle, to ${addMonths(renewal, 12)}`);
      // No deadline event for a deadline already past, no escalation for it.
      expect(
        world.liveEvents().filter((e) => e.idempotencyKey.startsWith('subscription:zoom-missed')),
      ).toEqual([]);
      await until(
        () =>
          world.pages.find((p) => p.idempotencyKey === 'subscription:zoom-missed')?.properties.Status ===
          'Missed',
        'Missed in Notion',
      );

      await sleepUntil(renewal, '01:00');
      const next = await waitFor(handle, (x) => x.cycle?.number === 2 && !!x.cycle.plan, 'the next cycle');
      expect(next.lifecycle).toBe('active');
      expect(next.cycle!.plan!.reminders).toHaveLength(5);
      expect(world.mailsAbout('zoom-missed').map((m) => m.idempotencyKey.split(':').pop())).toEqual([
        'missed',
      ]);
      const started = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
      await recordHistory(
        env.client.workflow.getHandle(handle.workflowId, started.continuedExecutionRunId!),
        'renewal',
        'missed-at-arrival',
        'added after its notice deadline: missed, told, renewed into the next cycle',
      );
    });
  });

  it('sends a catch-up reminder at once when reminders were already past', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, add }) => {
      const renewal = addCalendarDays(await today(), 100);
      const handle = await add('loom-catch-up', subscription({ tool: 'Loom', renewalDate: renewal }));
      const s = await waitFor(handle, (x) => !!x.cycle?.plan, 'the plan');
      expect(s.cycle!.plan!.catchUpReminder).toBe(true);
      expect(s.cycle!.plan!.dropped.map((r) => r.daysBeforeDeadline)).toEqual([90]);
      const mail = await until(
        () => world.mails.find((m) => m.idempotencyKey === 'subscription:loom-catch-up:cycle-1:catch-up-1'),
        'the catch-up',
      );
      expect(mail.text).toContain('reached prodops after some of its reminders were due');
    });
  });

  it('snoozes only the next reminder, keeps who did it, and never past the escalation', async () => {
    await withWorld(env, workflowBundle, async ({ world, cal, today, sleepUntil, add, signed }) => {
      const renewal = addCalendarDays(await today(), 200);
      const handle = await add('asana-snooze', subscription({ tool: 'Asana', renewalDate: renewal }));
      const plan = (await waitFor(handle, (s) => !!s.cycle?.plan, 'the plan')).cycle!.plan!;
      const [ninety, sixty, thirty] = plan.reminders;
      const later = addWorkingDays(cal, ninety!.date, 3);
      const snoozed = await handle.executeUpdate(snoozeReminder, {
        args: [
          await signed(handle, snoozeReminder, {
            until: later,
            by: 'ana',
            via: 'cli',
            note: 'after the offsite',
          }),
        ],
      });
      expect(snoozed.snoozes).toEqual([
        expect.objectContaining({
          step: 90,
          from: ninety!.date,
          to: later,
          by: 'ana',
          via: 'cli',
          note: 'after the offsite',
        }),
      ]);
      expect(snoozed.cycle!.reminders.find((r) => r.step === 60)!.date).toBe(sixty!.date);

      expect(
        await refusal(
          handle.executeUpdate(snoozeReminder, {
            args: [await signed(handle, snoozeReminder, { until: await today(), by: 'ana', via: 'cli' })],
          }),
        ),
      ).toMatch(/is not after today/);
      await sleepUntil(ninety!.date, '12:00');
      expect(world.mailsAbout('asana-snooze')).toEqual([]);
      await sleepUntil(later, '09:00');
      await until(
        () => world.mails.find((m) => m.idempotencyKey.endsWith(':reminder-90')),
        'the snoozed reminder',
      );

      // Snoozing the 60-day reminder past the 30-day one merges it into that one.
      const merged = await handle.executeUpdate(snoozeReminder, {
        args: [
          await signed(handle, snoozeReminder, {
            until: addCalendarDays(thirty!.date, 1),
            by: 'hana',
            via: 'cli',
          }),
        ],
      });
      expect(merged.cycle!.reminders.find((r) => r.step === 60)).toMatchObject({ status: 'merged' });
      expect(merged.log.at(-1)!.message).toBe(
        `snoozed by hana (cli): the 60-day reminder (${sixty!.date}) merges into the 30-day one on ${thirty!.date}`,
      );
      for (const step of [30, 14]) {
        await sleepUntil(plan.reminders.find((r) => r.daysBeforeDeadline === step)!.date, '09:00');
        await until(
          () => world.mails.find((m) => m.idempotencyKey.endsWith(`:reminder-${step}`)),
          `the ${step}-day reminder`,
        );
      }
      // The last reminder snoozed past the escalation stops at the working day before it.
      const clamped = await handle.executeUpdate(snoozeReminder, {
        args: [
          await signed(handle, snoozeReminder, {
            until: addCalendarDays(plan.noticeDeadline, 20),
            by: 'ana',
            via: 'cli',
          }),
        ],
      });
      const dayBefore = addWorkingDays(cal, plan.escalationDate, -1);
      expect(clamped.snoozes.at(-1)).toMatchObject({ step: 7, to: dayBefore });
      expect(clamped.log.at(-1)!.message).toContain(
        `(the last working day before the escalation on ${plan.escalationDate})`,
      );
      await sleepUntil(dayBefore, '09:00');
      await until(
        () => world.mails.find((m) => m.idempotencyKey.endsWith(':reminder-7')),
        'the 7-day reminder',
      );
      expect(world.mailsAbout('asana-snooze').map((m) => m.idempotencyKey.split(':').pop())).toEqual([
        'reminder-90',
        'reminder-30',
        'reminder-14',
        'reminder-7',
      ]);

      expect(
        await refusal(
          handle.executeUpdate(snoozeReminder, {
            args: [
              await signed(handle, snoozeReminder, {
                until: addCalendarDays(await today(), 2),
                by: 'ana',
                via: 'cli',
              }),
            ],
          }),
        ),
      ).toMatch(/has no reminder left to snooze \(the escalations are not snoozed\)/);
      await handle.executeUpdate(decideRenewal, {
        args: [await signed(handle, decideRenewal, { decision: 'renew', by: 'ana', via: 'cli' })],
      });
      expect(
        await refusal(
          handle.executeUpdate(snoozeReminder, {
            args: [
              await signed(handle, snoozeReminder, {
                until: addCalendarDays(await today(), 2),
                by: 'ana',
                via: 'cli',
              }),
            ],
          }),
        ),
      ).toMatch(/is decided \(renew\): no reminder is left to snooze/);
      await recordHistory(
        handle,
        'renewal',
        'snoozed',
        'snoozed, merged, clamped before the escalation, refused, decided',
      );
    });
  });

  it('takes decisions and snoozes only from a configured operator, for whom their grant covers', async () => {
    await withWorld(env, workflowBundle, async ({ today, add, signed }) => {
      const renewal = addCalendarDays(await today(), 200);
      const handle = await add('linear-operators', subscription({ tool: 'Linear', renewalDate: renewal }));
      const plan = (await waitFor(handle, (s) => !!s.cycle?.plan, 'the plan')).cycle!.plan!;
      const decide = (command: Parameters<typeof signed<DecideCommand>>[2], operator?: string) =>
        signed(handle, decideRenewal, command, operator);

      // Unsigned, a decision is refused: a name after --by proves nothing.
      expect(
        await refusal(
          handle.executeUpdate(decideRenewal, { args: [{ decision: 'cancel', by: 'ana', via: 'cli' }] }),
        ),
      ).toMatch(/^this command carries no operator signature/);
      // Tom has only the default grant: he may not decide for the owner, nor snooze for her.
      expect(
        await refusal(
          handle.executeUpdate(decideRenewal, {
            args: [await decide({ decision: 'cancel', by: 'ana', via: 'cli' }, 'tom')],
          }),
        ),
      ).toBe(
        'operator tom may not act for ana as subscription-owner: their grant covers product-ops (operators[].actsFor)',
      );
      expect(
        await refusal(
          handle.executeUpdate(snoozeReminder, {
            args: [
              await signed(
                handle,
                snoozeReminder,
                { until: addCalendarDays(plan.reminders[0]!.date, 2), by: 'hana', via: 'cli' },
                'tom',
              ),
            ],
          }),
        ),
      ).toBe(
        'operator tom may not act for hana as manager: their grant covers product-ops (operators[].actsFor)',
      );
      // Priya may act for owners, not for someone who holds no part in the renewal.
      expect(
        await refusal(
          handle.executeUpdate(decideRenewal, {
            args: [await decide({ decision: 'renew', by: 'nora', via: 'cli' }, 'priya')],
          }),
        ),
      ).toMatch(
        /^operator priya may not act for nora on linear-operators: .*its owner \(ana\) or the owner's manager \(hana\)$/,
      );
      // A signature moved to another operator's name does not hold; a decision in Notion is a row change.
      const toms = await decide({ decision: 'renew', by: 'tom', via: 'cli' }, 'tom');
      expect(
        await refusal(
          handle.executeUpdate(decideRenewal, {
            args: [{ ...toms, auth: { ...toms.auth!, operator: 'priya' } }],
          }),
        ),
      ).toMatch(
        /^the signature does not match priya's key for this command on subscription:linear-operators/,
      );
      expect(
        await refusal(
          handle.executeUpdate(decideRenewal, {
            args: [await decide({ decision: 'renew', by: 'ana', via: 'notion' }, 'priya')],
          }),
        ),
      ).toMatch(/^via must be cli, got "notion"/);

      const command = await decide(
        { decision: 'renegotiate', by: 'ana', via: 'cli', note: 'fewer seats' },
        'priya',
      );
      const decided = await handle.executeUpdate(decideRenewal, { args: [command] });
      expect(decided.cycle!.decision).toMatchObject({
        decision: 'renegotiate',
        by: 'ana',
        via: 'cli',
        operator: 'priya',
      });
      expect(decided.log.map((l) => l.message)).toEqual(
        expect.arrayContaining([
          'decided: renegotiate by ana (cli, operator priya): fewer seats',
          expect.stringMatching(
            /^refused a decision for ana \(operator tom\): operator tom may not act for ana/,
          ),
        ]),
      );
      // The same signed command twice is a replay.
      expect(await refusal(handle.executeUpdate(decideRenewal, { args: [command] }))).toBe(
        'the command was already received once: sign it again',
      );
      // Acting as oneself needs no grant: hana, the owner's manager.
      const byManager = await handle.executeUpdate(decideRenewal, {
        args: [await decide({ decision: 'renew', by: 'hana', via: 'cli' })],
      });
      expect(byManager.cycle!.decision).toMatchObject({ decision: 'renew', by: 'hana', via: 'cli' });
      expect(byManager.cycle!.decision).not.toHaveProperty('operator');
      await recordHistory(
        handle,
        'renewal',
        'operator-signed',
        'unsigned, ungranted, forged and replayed commands refused; decided by an operator for the owner',
      );
    });
  });

  it('calls out a price rise above the threshold in the reminders', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, sleepUntil, add, notionChange }) => {
      const renewal = addCalendarDays(await today(), 200);
      const fields = subscription({
        tool: 'Datadog',
        vendor: 'Datadog',
        costPerCycle: 20000,
        currency: 'USD',
        renewalDate: renewal,
      });
      const handle = await add('datadog-rise', fields);
      const plan = (await waitFor(handle, (s) => !!s.cycle?.plan, 'the plan')).cycle!.plan!;
      const page = await until(
        () => world.pages.find((p) => p.idempotencyKey === 'subscription:datadog-rise'),
        'the row',
      );
      // A 5% rise is shown, not called out.
      await notionChange('datadog-rise', {
        pageId: page.id,
        fields: { ...fields, owner: 'ana@northwind.example', costPerCycle: 21000 },
        decision: 'Undecided',
        author: 'tom@northwind.example',
      });
      expect((await waitFor(handle, (s) => s.priceChangePercent === 5, 'a 5% rise')).priceRiseCalledOut).toBe(
        false,
      );
      await sleepUntil(plan.reminders[0]!.date, '09:00');
      const first = await until(
        () => world.mails.find((m) => m.idempotencyKey.endsWith(':reminder-90')),
        'the 90-day reminder',
      );
      expect(first.text).toContain('Price since the last cycle: up 5.0% (was USD 20,000.00).');
      expect(first.subject).not.toContain('price rise');
      // The vendor quotes 23,000: 15%, above the 10% threshold.
      await notionChange('datadog-rise', {
        pageId: page.id,
        fields: { ...fields, owner: 'ana@northwind.example', costPerCycle: 23000 },
        decision: 'Undecided',
        author: 'tom@northwind.example',
      });
      const risen = await waitFor(handle, (s) => s.priceChangePercent === 15, 'a 15% rise');
      expect(risen.priceRiseCalledOut).toBe(true);
      await sleepUntil(plan.reminders[1]!.date, '09:00');
      const second = await until(
        () => world.mails.find((m) => m.idempotencyKey.endsWith(':reminder-60')),
        'the 60-day reminder',
      );
      expect(second.subject).toContain('— price rise');
      expect(second.text).toContain(
        'PRICE RISE: up 15.0% (was USD 20,000.00). This is above the 10% threshold',
      );
      expect(second.text).toContain('USD 23,000.00 per cycle, GBP 18,170.00 per year');
    });
  });

  it('refuses bad input with the field named, from the command line and from Notion', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, add, notionChange, handle: handleOf }) => {
      const renewal = addCalendarDays(await today(), 100);
      const start = add(
        'bad-input',
        subscription({ renewalDate: renewal, noticeDays: 400, costPerCycle: 'twelve thousand' }),
      );
      const message = await refusal(start);
      expect(message).toContain('costPerCycle "twelve thousand" is not a number');
      expect(message).toContain(`noticeDays 400 days is longer than the cycle`);
      expect(
        await refusal(add('bad-input', subscription({ renewalDate: renewal, currency: 'XYZ' }))),
      ).toContain(
        'currency XYZ is an unknown currency: renewals.fxRates has no rate for it (known: GBP, EUR, USD)',
      );
      expect(await refusal(add('bad-input', subscription({ renewalDate: renewal, owner: 'zed' })))).toContain(
        'owner "zed" is not a person in the configuration',
      );
      const handle = handleOf('bad-input');
      expect((await status(handle)).lifecycle).toBe('invalid');
      await add('bad-input', subscription({ renewalDate: renewal }));
      expect((await status(handle)).lifecycle).toBe('active');
      // A bad edit in Notion keeps the last good subscription and says what is wrong on the row.
      const page = await until(
        () => world.pages.find((p) => p.idempotencyKey === 'subscription:bad-input'),
        'the row',
      );
      await notionChange('bad-input', {
        pageId: page.id,
        fields: subscription({ owner: 'ana@northwind.example', renewalDate: renewal, currency: 'Euros' }),
        decision: null,
        author: 'ana@northwind.example',
      });
      const kept = await waitFor(handle, (s) => s.problems.length > 0, 'the problem recorded');
      expect(kept.fields!.currency).toBe('EUR');
      expect(kept.problems).toEqual([
        { field: 'currency', message: '"Euros" is not an ISO 4217 currency code such as EUR' },
      ]);
      await until(
        () => page.properties.Problems === 'Currency: "Euros" is not an ISO 4217 currency code such as EUR',
        'the problem on the row',
      );
      await recordHistory(
        handle,
        'renewal',
        'bad-input',
        'bad input refused with the field named, then a valid one, then a bad Notion edit',
      );
    });
  });

  it('calls out a renewal that takes its team over budget, and keeps the budget page current', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, sleepUntil, add }) => {
      const renewal = addCalendarDays(await today(), 200);
      const year = Number(renewal.slice(0, 4));
      // Growth already commits GBP 38,000 in that year; its budget is 42,000.
      const other: SubscriptionMemo = {
        subscriptionId: 'salesforce',
        tool: 'Salesforce',
        vendor: 'Salesforce',
        ownerId: 'ben',
        team: 'growth',
        lifecycle: 'active',
        decision: null,
        escalated: false,
        renewalDate: `${year}-02-01`,
        noticeDeadline: null,
        nextReminder: null,
        perYear: null,
        budgetCallout: null,
        budget: {
          subscriptionId: 'salesforce',
          tool: 'Salesforce',
          vendor: 'Salesforce',
          team: 'growth',
          paid: [],
          upcoming: {
            renewalDate: `${year}-02-01`,
            cycleMonths: 12,
            anchorDay: 1,
            amount: 38000,
            currency: 'GBP',
            decision: null,
            autoRenews: true,
          },
        },
      };
      world.memos = [other];
      const handle = await add(
        'hubspot-over',
        subscription({
          tool: 'HubSpot',
          vendor: 'HubSpot',
          costPerCycle: 6000,
          currency: 'GBP',
          renewalDate: renewal,
        }),
      );
      const s = await waitFor(handle, (x) => x.budget !== null, 'the budget position');
      expect(s.budget).toMatchObject({
        team: 'growth',
        year,
        budgetCents: 4_200_000,
        committedCents: 4_400_000,
        overByCents: 200_000,
        tipsOver: true,
      });
      await sleepUntil(s.cycle!.plan!.reminders[0]!.date, '09:00');
      const mail = await until(
        () => world.mails.find((m) => m.idempotencyKey.endsWith(':reminder-90')),
        'the reminder',
      );
      expect(mail.subject).toContain('— over budget');
      expect(mail.text).toContain(
        `OVER BUDGET: with this renewal (GBP 6,000.00), Growth pod has committed GBP 44,000.00 of its ${year} tool budget of GBP 42,000.00, GBP 2,000.00 over. This renewal is what takes it over.`,
      );
      // The year's budget page, written by its own workflow.
      const budgetPage = await until(
        () => world.pages.find((p) => p.idempotencyKey === toolBudgetWorkflowId(year)),
        'the budget page',
      );
      expect(budgetPage.properties).toMatchObject({ Name: `Tool budget ${year}`, Position: 'Over budget' });
      const texts = budgetPage.content.map((b) => ('text' in b ? b.text : ''));
      expect(texts).toContain('Growth pod: over budget by GBP 2,000.00');
      expect(texts.some((t) => t.startsWith(`${renewal} HubSpot (HubSpot) renews: GBP 6,000.00`))).toBe(true);
      // The budget workflow ends after an hour without changes.
      const budget = env.client.workflow.getHandle(toolBudgetWorkflowId(year));
      await env.sleep(2 * 3_600_000);
      expect((await budget.describe()).status.name).toBe('COMPLETED');
      await recordHistory(
        budget,
        'renewal',
        'tool-budget',
        'a budget page refreshed after changes, positions pushed, ended when idle',
      );
    });
  }, 180_000); // A year of the server's time: seconds alone, more than a minute on a loaded machine
});

describe('one annual cycle', () => {
  it('runs five reminders and a decision in Notion between two renewals (recorded for the action count)', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, sleepUntil, add, notionChange }) => {
      // Added 10 days before its renewal: the first cycle is missed, the second is a whole year.
      const first = addCalendarDays(await today(), 10);
      const fields = subscription({
        tool: 'GitHub',
        vendor: 'GitHub',
        costPerCycle: 21000,
        currency: 'USD',
        seats: 60,
        seatsInUse: 52,
        renewalDate: first,
      });
      const handle = await add('github-annual', fields);
      await waitFor(handle, (s) => s.lifecycle === 'missed', 'the first cycle missed');
      const page = await until(
        () => world.pages.find((p) => p.idempotencyKey === 'subscription:github-annual'),
        'the row',
      );
      await sleepUntil(first, '01:00');
      const cycle = await waitFor(handle, (s) => s.cycle?.number === 2 && !!s.cycle.plan, 'the whole cycle');
      const { runId } = await handle.describe();
      const plan = cycle.cycle!.plan!;
      expect(plan.reminders).toHaveLength(5);
      for (const r of plan.reminders) {
        await sleepUntil(r.date, '09:00');
        await until(
          () =>
            world.mails.find(
              (m) =>
                m.idempotencyKey === `subscription:github-annual:cycle-2:reminder-${r.daysBeforeDeadline}`,
            ),
          `the ${r.daysBeforeDeadline}-day reminder`,
        );
      }
      const second = addMonths(first, 12);
      await notionChange('github-annual', {
        pageId: page.id,
        fields: {
          ...fields,
          owner: 'ana@northwind.example',
          team: 'growth',
          cycle: 'Annual',
          renewalDate: second,
        },
        decision: 'Renew',
        author: 'ana@northwind.example',
      });
      await waitFor(handle, (s) => s.cycle?.decision?.decision === 'renew', 'decided in Notion');
      await sleepUntil(second, '01:00');
      await waitFor(handle, (s) => s.cycle?.number === 3, 'the third cycle');
      const whole = env.client.workflow.getHandle(handle.workflowId, runId);
      expect((await whole.describe()).status.name).toBe('CONTINUED_AS_NEW');
      await recordHistory(
        whole,
        'renewal',
        'annual-cycle',
        'one annual cycle: five reminders, a decision in Notion, the renewal',
      );
    });
  }, 180_000); // A year of the server's time: seconds alone, more than a minute on a loaded machine
});

// Last: its subscription stays open with the server's clock far ahead of the others' plans.
describe('a Notion change from the future', () => {
  it('ignores a Notion change dated far in the future, so it cannot shadow the changes after it', async () => {
    await withWorld(env, workflowBundle, async ({ world, today, add, notionChange, handle: handleOf }) => {
      const renewal = addCalendarDays(await today(), 100);
      await add('future-edit', subscription({ renewalDate: renewal }));
      const handle = handleOf('future-edit');
      const page = await until(
        () => world.pages.find((p) => p.idempotencyKey === 'subscription:future-edit'),
        'the row',
      );
      const later = addCalendarDays(renewal, 30);
      await notionChange('future-edit', {
        pageId: page.id,
        fields: subscription({ owner: 'ana@northwind.example', renewalDate: later }),
        decision: null,
        author: 'ana@northwind.example',
        occurredAt: (await env.currentTimeMs()) + 365 * 86_400_000,
      });
      const ignored = await waitFor(
        handle,
        (s) => s.log.some((l) => /ignored a Notion change that cannot be read/.test(l.message)),
        'the future change ignored',
      );
      expect(ignored.log.map((l) => l.message).join('\n')).toContain(
        'occurredAt: must not be more than 5 minutes in the future',
      );
      expect(ignored.fields!.renewalDate).toBe(renewal);
      // The next real change is applied: the ignored one left no time behind to shadow it.
      await notionChange('future-edit', {
        pageId: page.id,
        fields: subscription({ owner: 'ana@northwind.example', renewalDate: later }),
        decision: null,
        author: 'ana@northwind.example',
      });
      await waitFor(handle, (s) => s.fields?.renewalDate === later, 'the later change applied');
      const history = await handle.fetchHistory();
      expect((history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    });
  });
});
