/**
 * The trigger gateway end to end: signed Jira and Notion deliveries, made from changes in the
 * sandbox the way `prodops simulate` makes them, start and move a release workflow that runs
 * on a real worker against the sandbox APIs. Also: repeated deliveries, a repeated delivery
 * after a newer one, and an unreachable Temporal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, Connection } from '@temporalio/client';
import { localDateOf } from '../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../domain/holidays';
import { planRelease, releaseRulesFrom } from '../../domain/release-plan';
import type { Sandbox } from '../../sandbox/index';
import type { Gateway } from '../../triggers/gateway';
import {
  findReadinessSubtask,
  registerSimulationRoutes,
  simulateJiraIssue,
  simulateJiraStatus,
  simulateNotionPublish,
} from '../../sandbox/simulate/simulation';
import {
  jiraDelivery,
  notionDelivery,
  sendVendorRequest,
  type JiraWebhookPayload,
} from '../../sandbox/simulate/vendor-events';
import { temporalPort } from '../../triggers/workflows';
import { releaseStatus, releaseWorkflowId, type ReleaseStatus } from '../../workflows/release/messages';
import { main } from '../../cli/main';
import { EXAMPLE_CONFIG_PATH, loadExampleConfig } from '../helpers/config';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { startStack, type Stack } from '../helpers/stack';
import { SECRETS } from './fixtures';

const config = loadExampleConfig();
const KEY = 'REL-9';
const BUNDLES = config.integrations.notion.dataSources.enablementBundles!;

let stack: Stack;
let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let gateway: Gateway;
let taskQueue: string;

beforeAll(async () => {
  stack = await startStack({
    config,
    sandbox: true,
    workers: 'sandbox',
    gateway: true,
  });
  ({ env, sandbox, gateway, taskQueue } = stack);
  registerSimulationRoutes(sandbox);
});
afterAll(() => stack?.stop());

const status = () => env.client.workflow.getHandle(releaseWorkflowId(KEY)).query(releaseStatus);

function statusWhere(test: (s: ReleaseStatus) => boolean, what: string): Promise<ReleaseStatus> {
  return eventually(async () => {
    const s = await status();
    return test(s) ? s : undefined;
  }, what);
}

const sendJira = (payload: JiraWebhookPayload, identifier?: string) =>
  sendVendorRequest(gateway.url, jiraDelivery(payload, SECRETS.jira[0]!, identifier));

const settled = (s: ReleaseStatus) =>
  ['plan-comment', 'support-readiness', 'sales-readiness', 'bundle', 'release-log'].every((id) => {
    const step = s.steps.find((x) => x.id === id);
    return step !== undefined && step.ref !== undefined;
  });

describe('a release started from Jira', () => {
  it('starts from a signed issue_created, with the tier and dates of the issue, once however often it is delivered', async () => {
    const created = await simulateJiraIssue(sandbox.url, config, {
      key: KEY,
      tier: 3,
      launch: '2027-01-20',
      pm: 'ana',
      title: 'Usage-based billing',
      area: 'Billing',
    });
    expect(created!.webhookEvent).toBe('jira:issue_created');
    expect(created!.issue.key).toBe(KEY);

    // Ten copies of one delivery at once, as a retrying Jira might send them.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => sendJira(created!, 'created-delivery')),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));

    const started = await statusWhere(settled, 'the release to make its artifacts');
    const year = new Date().getUTCFullYear();
    const london = resolveBusinessCalendar(config, 'london', { from: year - 1, to: 2028 });
    const expected = planRelease(
      { tier: 3, launchDate: '2027-01-20', today: localDateOf(Date.now(), 'Europe/London') },
      london,
      releaseRulesFrom(config.releases),
    );
    expect(started).toMatchObject({
      issueKey: KEY,
      tier: 3,
      pmId: 'ana',
      productArea: 'Billing',
      title: 'Usage-based billing',
    });
    expect(started.plan.launchDate).toBe('2027-01-20');
    expect(started.plan.bundleDueDate).toBe(expected.bundleDueDate);
    expect(started.plan.readinessCheckDate).toBe(expected.readinessCheckDate);

    // One workflow, one set of side effects.
    const history = await env.client.workflow.getHandle(releaseWorkflowId(KEY)).fetchHistory();
    expect(history.events!.filter((e) => e.workflowExecutionStartedEventAttributes).length).toBe(1);
    expect(started.log.filter((l) => l.message.startsWith('planned')).length).toBe(1);
    expect(sandbox.jira.store.commentsOf(KEY)).toHaveLength(1);
    expect(sandbox.jira.store.subtasksOf(KEY)).toHaveLength(2);
    const bundles = sandbox.notion.store.pages(BUNDLES).filter((p) => JSON.stringify(p).includes(KEY));
    expect(bundles).toHaveLength(1);
  });

  it('is what `prodops release status` shows', async () => {
    const lines: string[] = [];
    const previous = process.env.PRODOPS_TEMPORAL_ADDRESS;
    process.env.PRODOPS_TEMPORAL_ADDRESS = env.address;
    try {
      const code = await main(['release', 'status', KEY, '--json', '--config', EXAMPLE_CONFIG_PATH], {
        out: (line) => lines.push(line),
        err: (line) => lines.push(line),
      });
      expect(code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.PRODOPS_TEMPORAL_ADDRESS;
      else process.env.PRODOPS_TEMPORAL_ADDRESS = previous;
    }
    const shown = JSON.parse(lines.join('\n')) as ReleaseStatus;
    expect(shown).toMatchObject({ issueKey: KEY, tier: 3, plan: { launchDate: '2027-01-20' } });
  });

  it('ignores a repeated delivery that arrives after a newer change of the same instant', async () => {
    const field = config.integrations.jira.fields.launchDate!;
    const at = Date.now();
    const move = (to: string): JiraWebhookPayload => ({
      timestamp: at,
      webhookEvent: 'jira:issue_updated',
      issue_event_type_name: 'issue_generic',
      user: { accountId: '5f1a00000000000000000ana', displayName: 'Ana Costa' },
      issue: {
        id: '1',
        key: KEY,
        fields: { project: { key: 'REL' }, issuetype: { name: 'Task', subtask: false }, [field]: to },
      },
      changelog: {
        id: '1',
        items: [
          {
            field: 'Launch date',
            fieldtype: 'custom',
            fieldId: field,
            from: null,
            fromString: null,
            to,
            toString: to,
          },
        ],
      },
    });
    expect((await sendJira(move('2027-02-03'), 'move-a')).status).toBe(200);
    expect((await sendJira(move('2027-02-10'), 'move-b')).status).toBe(200);
    await statusWhere((s) => s.plan.launchDate === '2027-02-10', 'the second move');
    // The first delivery again, to another instance of the function (which has not seen it):
    // it has the timestamp of the second, so only its delivery id tells the workflow it is old.
    const other = await stack.startGateway();
    try {
      const repeat = await sendVendorRequest(
        other.url,
        jiraDelivery(move('2027-02-03'), SECRETS.jira[0]!, 'move-a'),
      );
      expect(repeat.status).toBe(200);
      expect(repeat.body.duplicate).toBeUndefined();
    } finally {
      await other.close();
    }
    // A later change, to know the repeat has been handled before looking.
    expect((await sendJira(move('2027-02-17'), 'move-c')).status).toBe(200);
    const after = await statusWhere((s) => s.plan.launchDate === '2027-02-17', 'the third move');
    expect(after.log.map((l) => l.message).filter((m) => m.startsWith('launch moved'))).toEqual([
      'launch moved from 2027-01-20 to 2027-02-03',
      'launch moved from 2027-02-03 to 2027-02-10',
      'launch moved from 2027-02-10 to 2027-02-17',
    ]);
  });

  it('confirms Support readiness when its lead moves the sub-task to Done in Jira', async () => {
    const subtask = await findReadinessSubtask(sandbox.url, KEY, 'support');
    expect(subtask).not.toBeNull();
    const deliveries = await simulateJiraStatus(sandbox.url, config, {
      key: subtask!,
      status: 'Done',
      as: 'maya',
    });
    for (const delivery of deliveries) expect((await sendJira(delivery)).status).toBe(200);
    const confirmed = await statusWhere((s) => s.confirmations.support !== null, 'the support confirmation');
    expect(confirmed.confirmations.support).toMatchObject({ by: 'maya', source: 'jira' });
  });

  it('marks the bundle published from a signed Notion event', async () => {
    const event = await simulateNotionPublish(sandbox.url, config, { key: KEY, waitMs: 10_000 });
    const answer = await sendVendorRequest(gateway.url, notionDelivery(event, SECRETS.notion[0]!));
    expect(answer.status).toBe(200);
    expect(answer.body.workflowId).toBe(`notion-event:${event.id}`);
    const published = await statusWhere((s) => s.enablement === 'published', 'the bundle to be published');
    expect(published.steps.find((s) => s.id === 'bundle')!.status).toBe('done');
    await recordHistory(
      env.client.workflow.getHandle(`notion-event:${event.id}`),
      'notion-event',
      'bundle-published',
      'a signed page event: the page read, its release signalled',
    );
    // Delivered again: the event's workflow already ran, nothing new starts.
    const again = await sendVendorRequest(gateway.url, notionDelivery(event, SECRETS.notion[0]!));
    expect(again.body.duplicate).toBe(true);
  });

  it('follows the issue to Released', async () => {
    const deliveries = await simulateJiraStatus(sandbox.url, config, {
      key: KEY,
      status: 'Released',
      as: 'ana',
    });
    for (const delivery of deliveries) expect((await sendJira(delivery)).status).toBe(200);
    const launched = await statusWhere((s) => s.phase === 'launched', 'the release to launch');
    expect(launched.launchedOn).toBe(localDateOf(Date.now(), 'Europe/London'));
  });
});

describe('Temporal down', () => {
  it('answers 503 and starts nothing', async () => {
    const unreachable = new Client({
      connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1 second' }),
    });
    const down = await stack.startGateway({
      workflows: temporalPort(unreachable, { taskQueue, deadlineMs: 2_000 }),
    });
    try {
      const created = await simulateJiraIssue(sandbox.url, config, {
        tier: 2,
        launch: '2027-03-01',
        pm: 'ben',
      });
      const answer = await sendVendorRequest(down.url, jiraDelivery(created!, SECRETS.jira[0]!));
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ ok: false, error: 'Temporal is unreachable: deliver again later' });
      await expect(
        env.client.workflow.getHandle(releaseWorkflowId(created!.issue.key)).describe(),
      ).rejects.toThrow(/not found/i);
    } finally {
      await down.close();
      await unreachable.connection.close();
    }
  });
});
