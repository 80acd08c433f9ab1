/**
 * One week end to end on a dev server (real schedules, real visibility) with the real
 * activities against the sandbox: the schedule runs the launcher, which starts the week; the
 * pages are pre-filled from a running release; contributors write and tick Ready in Notion,
 * delivered as signed Notion webhooks through the trigger; a tick by someone else is refused;
 * an owner publishes; one page and one mail come out. The schedule run again starts nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { bundle, createDevServerEnv, uniqueId } from '../../helpers/temporal';
import { loadExampleConfig } from '../../helpers/config';
import { recordHistory } from '../../helpers/histories';
import { updateTodayConfig } from '../../helpers/rituals';
import { signAs, withOperators } from '../../helpers/operators';
import { startSandbox, type Sandbox } from '../../../sandbox/index';
import { buildActivities } from '../../../workers/integrations';
import { createWorkers, WORKFLOWS_PATH } from '../../../workers/index';
import { createNotionActivities, createNotionClient } from '../../../activities/notion';
import { ensureRitualSchedules } from '../../../cli/schedules';
import { createNotionHandler } from '../../../triggers/notion';
import { temporalPort } from '../../../triggers/workflows';
import { notionDelivery, notionPageEvent } from '../../../sandbox/simulate/vendor-events';
import { addWorkingDays, localDateOf } from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import { isoWeekOf } from '../../../domain/rituals';
import { releaseWorkflow } from '../../../workflows/release/workflow';
import type { weeklyUpdateLauncherWorkflow } from '../../../workflows/weekly-update/launcher';
import { releaseWorkflowId } from '../../../workflows/release/messages';
import {
  publishNow,
  WEEKLY_UPDATE_SCHEDULE_ID,
  weeklyUpdateStatus,
  weeklyUpdateWorkflowId,
  type LauncherOutcome,
  type WeeklyUpdateStatus,
} from '../../../workflows/weekly-update/messages';

const taskQueue = uniqueId('weekly-e2e');
const operators = withOperators(updateTodayConfig(loadExampleConfig(), taskQueue));
const config = operators.config;
const PMS = ['ana', 'ben', 'chloe', 'dev', 'erin', 'farid', 'gita', 'hugo'];
const SECRET = 'notion-verification-token-for-tests';

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

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 300; i++) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

/** The launcher runs the schedule started most recently. */
async function lastLauncherRun(): Promise<LauncherOutcome> {
  const description = await env.client.schedule.getHandle(WEEKLY_UPDATE_SCHEDULE_ID).describe();
  const run = description.info.recentActions.at(-1)!.action;
  const handle = env.client.workflow.getHandle<typeof weeklyUpdateLauncherWorkflow>(
    run.workflow.workflowId,
    run.workflow.firstExecutionRunId,
  );
  return handle.result();
}

describe('weekly update end to end', () => {
  it('runs a week from the schedule to the published page, against the sandbox', async () => {
    const built = buildActivities({ config: () => config, env: {}, sandboxUrl: sandbox.url });
    const workers = await createWorkers({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle,
      activities: built.bySystem,
      localActivities: built.core,
      rateLimits: config.integrations.rateLimits,
    });
    const notion = createNotionActivities({
      client: createNotionClient({ auth: 'sandbox', baseUrl: sandbox.url }),
    });
    const trigger = createNotionHandler({
      config,
      secrets: [SECRET],
      workflows: temporalPort(env.client, { taskQueue }),
      log: () => undefined,
    });
    const store = sandbox.notion.store;
    const weeklyUpdates = config.integrations.notion.dataSources.weeklyUpdates!;
    const tick = async (pageId: string, authorPersonId: string) => {
      const delivery = notionDelivery(
        notionPageEvent({
          type: 'page.properties_updated',
          pageId,
          parent: { id: store.dataSource(weeklyUpdates)!.databaseId, type: 'database' },
          updatedProperties: ['Ready'],
          authorId: store.userIdFor(authorPersonId),
        }),
        SECRET,
      );
      const answer = await trigger({
        method: 'POST',
        headers: Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toLowerCase(), v])),
        rawBody: Buffer.from(delivery.body),
      });
      expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ outcome: 'started' });
      return (answer.body as { workflowId: string }).workflowId;
    };

    const [first, ...rest] = workers;
    await first!.runUntil(async () => {
      const others = rest.map((w) => w.run());
      const started: WorkflowHandle[] = [];
      try {
        // A running release of Ana's, which her page is pre-filled with.
        const london = resolveBusinessCalendar(config, 'london', { from: 2025, to: 2035 });
        const launch = addWorkingDays(london, localDateOf(Date.now(), 'Europe/London'), 7);
        const release = await env.client.workflow.start(releaseWorkflow, {
          taskQueue,
          workflowId: releaseWorkflowId('REL-501'),
          args: [{ issueKey: 'REL-501', tier: 2, launchDate: launch, pmId: 'ana', title: 'Usage alerts' }],
        });
        started.push(release);
        await eventually(
          async () => {
            const found = [];
            for await (const w of env.client.workflow.list({ query: `WorkflowId = 'release:REL-501'` }))
              found.push(w);
            return found;
          },
          (found) => found.length === 1,
          'the release to be visible',
        );

        const outcomes = await ensureRitualSchedules(env.client, config);
        expect(outcomes.map((o) => o.change)).toEqual(['created', 'created']);
        await env.client.schedule.getHandle(WEEKLY_UPDATE_SCHEDULE_ID).trigger();
        const week = isoWeekOf(localDateOf(Date.now(), config.calendars.rituals!.timezone));
        const handle = env.client.workflow.getHandle(weeklyUpdateWorkflowId(week));
        started.push(handle);
        const opened = await eventually(
          () => handle.query(weeklyUpdateStatus),
          (s: WeeklyUpdateStatus) =>
            s.phase === 'collecting' && s.contributions.every((c) => c.pageId !== null),
          'collection to open',
        );
        expect(opened.contributions.map((c) => c.personId)).toEqual(PMS);
        const launcher = await eventually(lastLauncherRun, (o) => o.outcome === 'started', 'the launcher');
        expect(launcher.week).toBe(week);

        const page = (id: string) => opened.contributions.find((c) => c.personId === id)!.pageId!;
        expect(store.blockTexts(page('ana')).join('\n')).toMatch(
          /Usage alerts \(REL-501\), Tier 2: launching .*bundle pending/,
        );

        const events: string[] = [];
        for (const id of PMS.slice(0, 7)) {
          await notion.appendContent({
            idempotencyKey: `test:${id}`,
            pageId: page(id),
            content: [{ type: 'bulleted_list_item', text: `${id}: shipped in the sandbox` }],
          });
          store.setProperty(page(id), 'Ready', true, id);
          events.push(await tick(page(id), id));
        }
        // Hugo's page ticked by Gita: refused, and kept on record.
        store.setProperty(page('hugo'), 'Ready', true, 'gita');
        await tick(page('hugo'), 'gita');
        const ready = await eventually(
          () => handle.query(weeklyUpdateStatus),
          (s: WeeklyUpdateStatus) =>
            s.contributions.filter((c) => c.status === 'ready').length === 7 && s.refusals.length === 1,
          'seven ready, one refusal',
        );
        expect(ready.refusals[0]).toMatchObject({ by: 'gita', personId: 'hugo' });
        expect(ready.contributions.find((c) => c.personId === 'hugo')!.status).toBe('awaiting');

        // An owner publishes as herself, signed as the command line signs.
        const published = await handle.executeUpdate(publishNow, {
          args: [signAs(operators.keys, 'priya', handle.workflowId, publishNow, { by: 'priya' }, Date.now())],
        });
        expect(published.published).toMatchObject({ by: 'priya', mailed: true, recipients: 10 });
        const pages = store.pages(config.integrations.notion.dataSources.productUpdates);
        expect(pages).toHaveLength(1);
        const text = store.blockTexts(pages[0]!.id);
        expect(text).toContain('Billing — Ana Costa');
        expect(text).toContain('ana: shipped in the sandbox');
        expect(text.some((t) => t.startsWith('Usage alerts (REL-501), Tier 2 — Ana Costa: launching'))).toBe(
          true,
        );
        expect(text.at(-1)).toBe('No update from: Hugo Laurent.');
        const mails = sandbox.google.store
          .messages(config.integrations.google.sender)
          .filter((m) => m.subject.startsWith('Weekly Product Update'));
        expect(mails).toHaveLength(1);
        expect(mails[0]!.to).toHaveLength(10);

        // The schedule run again (a manual trigger, a catch-up) starts no second week.
        await env.client.schedule.getHandle(WEEKLY_UPDATE_SCHEDULE_ID).trigger();
        const again = await eventually(
          lastLauncherRun,
          (o) => o.outcome === 'already-started',
          'the second launcher run',
        );
        expect(again.week).toBe(week);
        expect(store.pages(config.integrations.notion.dataSources.productUpdates)).toHaveLength(1);

        const description = await env.client.schedule.getHandle(WEEKLY_UPDATE_SCHEDULE_ID).describe();
        const launcherRun = description.info.recentActions[0]!.action.workflow;
        await recordHistory(
          env.client.workflow.getHandle(launcherRun.workflowId, launcherRun.firstExecutionRunId),
          'weekly-update',
          'launcher-started',
          'the schedule’s launcher on the update day: the week started',
        );
        const event = env.client.workflow.getHandle(events[0]!);
        expect(await event.result()).toMatchObject({ route: 'weeklyUpdates', outcome: 'signalled' });
        await recordHistory(
          event,
          'notion-event',
          'weekly-update-ready',
          'a Ready tick: the page read, its author named, the week signalled',
        );
        await recordHistory(
          handle,
          'weekly-update',
          'e2e-published-early',
          'ticks from Notion, a refused tick, published early',
        );
      } finally {
        for (const handle of started) {
          const { status } = await handle.describe();
          if (status.name === 'RUNNING') await handle.terminate('test finished');
        }
        for (const w of rest) w.shutdown();
        await Promise.all(others);
      }
    });
  });
});
