/**
 * A subscription end to end with the real activities, through the real client libraries,
 * against the sandbox APIs and a dev server (real visibility, which the budget reads): a person
 * adds a row to the Notion data source subscriptions; the Notion event workflow routes it; the
 * subscription's workflow writes the deadline back to the row, puts the deadline on the owner's
 * calendar and sends the catch-up reminder by mail; the year's budget page appears in Notion.
 * Then the owner sets Decision to Cancel in Notion: the procurement task lands in Jira and the
 * export reminder on the owner's calendar. PRODOPS_RECORD_HISTORY=renewal,notion-event records it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundle, createDevServerEnv, uniqueId } from '../../helpers/temporal';
import { recordHistory } from '../../helpers/histories';
import { startSandbox, type Sandbox } from '../../../sandbox/index';
import { buildActivities } from '../../../workers/integrations';
import { createWorkers, WORKFLOWS_PATH } from '../../../workers/index';
import {
  addCalendarDays,
  addWorkingDays,
  localDateOf,
  rollBackward,
} from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import { notionEventWorkflowId } from '../../../contracts/ids';
import { NOTION_EVENT_WORKFLOW_TYPE, type NotionEventInput } from '../../../workflows/notion-event/messages';
import {
  renewalStatus,
  subscriptionWorkflowId,
  toolBudgetWorkflowId,
  type RenewalStatusView,
} from '../../../workflows/renewal/messages';
import { renewalsConfig } from './harness';

const config = {
  ...renewalsConfig(),
  integrations: { ...renewalsConfig().integrations, rateLimits: { notion: 50, jira: 50, google: 50 } },
};
const SENDER = config.integrations.google.sender!;
const SUBSCRIPTIONS = config.integrations.notion.dataSources.subscriptions!;

let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, sandbox, workflowBundle] = await Promise.all([
    createDevServerEnv(),
    startSandbox({ config }),
    bundle(WORKFLOWS_PATH),
  ]);
});
afterAll(async () => {
  await env?.teardown();
  await sandbox?.close();
});

async function eventually<T>(read: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface SnapshotPage {
  id: string;
  dataSource: string;
  title: string;
  key: string;
  properties: Record<string, unknown>;
}

describe('renewals end to end', () => {
  it('goes from a Notion row to the reminder mail, the calendar, the budget page and the Jira task', async () => {
    const built = buildActivities({ config: () => config, env: {}, sandboxUrl: sandbox.url });
    const taskQueue = uniqueId('renewal-e2e');
    const workers = await createWorkers({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle,
      activities: built.bySystem,
      localActivities: built.core,
      rateLimits: config.integrations.rateLimits,
      overrides: { shutdownGraceTime: '1 second' },
    });
    const year = new Date().getUTCFullYear();
    const cal = resolveBusinessCalendar(config, 'london', { from: year - 1, to: year + 2 });
    const today = localDateOf(Date.now(), cal.timezone);
    // 75 days ahead with 30 days' notice: the 90-day reminder is already past, so one catch-up goes now.
    const renewal = addCalendarDays(today, 75);
    const deadline = rollBackward(cal, addCalendarDays(renewal, -30));
    const notion = sandbox.notion.store;

    const [first, ...rest] = workers;
    await first!.runUntil(async () => {
      const others = rest.map((w) => w.run());
      try {
        // Priya adds the row in Notion; the webhook's event names the page and its author.
        const pageId = notion.addPage(
          SUBSCRIPTIONS,
          {
            Name: 'Figma',
            Vendor: 'Figma Inc.',
            Owner: ['ana'],
            Team: 'growth',
            Category: 'Design',
            'Cost per cycle': 12000,
            Currency: 'EUR',
            Cycle: 'Annual',
            'Renewal date': renewal,
            'Notice period (days)': 30,
            'Auto-renews': true,
            Seats: 40,
            'Seats in use': 31,
          },
          'priya',
        );
        const deliver = async (eventId: string, author: string, type = 'person') => {
          const input: NotionEventInput = {
            eventId,
            eventType: 'page.properties_updated',
            pageId,
            occurredAt: Date.now(),
            dataSources: {
              enablementBundles: config.integrations.notion.dataSources.enablementBundles!,
              subscriptions: SUBSCRIPTIONS,
            },
            authors: [{ id: type === 'person' ? notion.userIdFor(author) : author, type }],
          };
          const handle = await env.client.workflow.start(NOTION_EVENT_WORKFLOW_TYPE, {
            taskQueue,
            workflowId: notionEventWorkflowId(eventId),
            args: [input],
          });
          return { handle, outcome: (await handle.result()) as { outcome: string; detail: string } };
        };
        const created = await deliver('5b8c2d10-1111-4aaa-8bbb-000000000001', 'priya');
        const subscriptionId = pageId.replace(/-/g, '');
        expect(created.outcome).toMatchObject({
          outcome: 'signalled',
          detail: `subscriptionPageChanged to subscription:${subscriptionId}`,
        });

        const handle = env.client.workflow.getHandle(subscriptionWorkflowId(subscriptionId));
        const status = await eventually(async () => {
          const s = await handle.query(renewalStatus).catch(() => undefined);
          return s?.artifacts.deadlineEvent && s.log.some((l) => l.message === 'catch-up reminder sent')
            ? s
            : undefined;
        }, 'the catch-up reminder');
        expect(status.lifecycle).toBe('active');
        expect(status.fields).toMatchObject({
          ownerId: 'ana',
          team: 'growth',
          costPerCycle: 12000,
          currency: 'EUR',
        });
        expect(status.cycle!.plan!.noticeDeadline).toBe(deadline);

        // The mail, from the sender's mailbox, to ana.
        const mails = await eventually(() => {
          const found = sandbox.google.store
            .messages(SENDER)
            .filter((m) => m.subject.startsWith('[prodops] Renewal: Figma'));
          return found.length > 0 ? found : undefined;
        }, 'the mail');
        expect(mails).toHaveLength(1);
        expect(mails[0]!.to).toEqual(['ana@northwind.example']);
        expect(mails[0]!.subject).toBe(
          `[prodops] Renewal: Figma — notice deadline ${deadline} (${Math.round((Date.parse(deadline) - Date.parse(today)) / 86_400_000)} days left)`,
        );

        // The row carries the deadline, the status and the cost per year in the base currency.
        const row = await eventually(() => {
          const page = (sandbox.snapshot().notion!.pages as SnapshotPage[]).find((p) => p.id === pageId);
          return page?.properties['Notice deadline'] === deadline ? page : undefined;
        }, 'the row written back');
        expect(row.properties).toMatchObject({
          Status: 'Active',
          'Annual cost': 10200,
          Decision: 'Undecided',
        });

        // The deadline on ana's calendar.
        const events = () =>
          (
            sandbox.snapshot().google!.events as {
              calendarId: string;
              summary: string;
              start: string;
              status: string;
            }[]
          ).filter((e) => e.calendarId === 'ana@northwind.example' && e.status !== 'cancelled');
        expect(events().map((e) => [e.summary, e.start])).toEqual([
          ['Notice deadline: Figma (Figma Inc.)', deadline],
        ]);

        // The budget page of this year (the cycle began last year or this one) and of the renewal's year.
        const budgetYear = Number(renewal.slice(0, 4));
        const budgetPage = await eventually(() => {
          const page = (sandbox.snapshot().notion!.pages as SnapshotPage[]).find(
            (p) => p.key === toolBudgetWorkflowId(budgetYear),
          );
          return page && notion.blockTexts(page.id).length > 0 ? page : undefined;
        }, 'the budget page');
        expect(budgetPage.dataSource).toBe('Tool budgets');
        expect(budgetPage.title).toBe(`Tool budget ${budgetYear}`);
        const texts = notion.blockTexts(budgetPage.id);
        expect(texts).toContain(`${renewal} Figma (Figma Inc.) renews: EUR 12,000.00 = GBP 10,200.00`);
        expect(texts.some((t) => t.startsWith('Growth pod: within budget'))).toBe(true);

        // ana cancels in Notion: the task for tom, due on the deadline, and her export reminder.
        notion.setProperty(pageId, 'Decision', 'Cancel', 'ana');
        await deliver('5b8c2d10-1111-4aaa-8bbb-000000000002', 'ana');
        const cancelled = await eventually(async () => {
          const s: RenewalStatusView = await handle.query(renewalStatus);
          return s.artifacts.jiraTask && s.artifacts.exportEvent ? s : undefined;
        }, 'the procurement task');
        expect(cancelled.cycle!.decision).toMatchObject({
          decision: 'cancel',
          by: 'ana@northwind.example',
          via: 'notion',
        });
        const issues = sandbox.snapshot().jira!.issues as {
          key: string;
          summary: string;
          assignee: string | null;
          duedate: string | null;
          type: string;
        }[];
        expect(issues.find((i) => i.key === cancelled.artifacts.jiraTask)).toMatchObject({
          summary: `Cancel Figma (Figma Inc.) by ${deadline}`,
          assignee: 'Tom Becker',
          duedate: deadline,
          type: 'Task',
        });
        expect(
          events()
            .map((e) => e.summary)
            .sort(),
        ).toEqual([
          `Export your data from Figma before it ends on ${renewal}`,
          'Notice deadline: Figma (Figma Inc.)',
        ]);
        expect(
          events()
            .find((e) => e.summary.startsWith('Export'))!
            .start.slice(0, 10),
        ).toBe(addWorkingDays(cal, renewal, -5));
        // A change made by an integration (prodops writing back its own cells) is not sent back.
        const echo = await deliver(
          '5b8c2d10-1111-4aaa-8bbb-000000000003',
          'a1b2c3d4-0000-4000-8000-00000000b0b0',
          'bot',
        );
        expect(echo.outcome).toMatchObject({
          outcome: 'ignored',
          detail: 'changed by an integration (prodops writes back its own cells)',
        });

        await recordHistory(
          created.handle,
          'notion-event',
          'subscription-created',
          'a subscription row created: routed to its workflow',
        );
        await recordHistory(
          handle,
          'renewal',
          'e2e-notion-to-jira',
          'from a Notion row to the mail, the calendar and the budget page; cancelled in Notion',
        );
        await handle.terminate('end of the end-to-end run');
        for await (const info of env.client.workflow.list({ query: "ExecutionStatus = 'Running'" }))
          await env.client.workflow.getHandle(info.workflowId).terminate('test finished');
      } finally {
        for (const w of rest) w.shutdown();
        await Promise.all(others);
      }
    });
  });
});
