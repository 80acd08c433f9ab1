/**
 * The metrics page's schedule on a dev server (the time-skipping server has no Schedules), with a
 * worker running the real metrics workflow over the in-memory integrations. A namespace set up
 * mid-month has the month's page at once, and last month's; the daily firing is skipped while
 * the month's run is going, so one run keeps the page; setup again starts nothing; a run that
 * was lost is replaced at the next firing, which refreshes the same page, not a second one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { main, type CliIO } from '../../../cli/main';
import { localDateOf } from '../../../domain/business-calendar';
import { parseOrgConfig } from '../../../domain/config';
import { monthOf, previousMonth } from '../../../domain/rituals';
import { METRICS_SCHEDULE_ID } from '../../../workflows/metrics/messages';
import { exampleConfigText } from '../../helpers/config';
import { until } from '../../helpers/eventually';
import { FakeIntegrations } from '../../helpers/fake-integrations';
import { NO_RATE_LIMITS, startStack, type Stack } from '../../helpers/stack';
import { uniqueId } from '../../helpers/temporal';

const taskQueue = uniqueId('metrics-schedule');
const configText = (address: string) =>
  exampleConfigText()
    .replace('address: 127.0.0.1:7233', `address: ${address}`)
    .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`);
const config = parseOrgConfig(configText('127.0.0.1:7233'));

let stack: Stack;
let fakes: FakeIntegrations;
let configPath: string;

beforeAll(async () => {
  stack = await startStack({ temporal: 'dev-server', config, taskQueue });
  fakes = new FakeIntegrations(config);
  await stack.startWorkers({ activities: fakes.activities(), rateLimits: NO_RATE_LIMITS });
  configPath = join(mkdtempSync(join(tmpdir(), 'prodops-metrics-')), 'prodops.config.yaml');
  writeFileSync(configPath, configText(stack.env.address));
});
afterAll(async () => {
  // The month's run sleeps until tomorrow: end it with the server.
  const handle = stack?.client.schedule.getHandle(METRICS_SCHEDULE_ID);
  for (const run of (await handle?.describe().catch(() => null))?.info.runningActions ?? [])
    await stack.client.workflow
      .getHandle(run.workflow.workflowId)
      .terminate('test finished')
      .catch(() => undefined);
  await stack?.stop();
});

async function setup(): Promise<string> {
  const lines: string[] = [];
  const errors: string[] = [];
  const io: CliIO = { out: (l) => lines.push(l), err: (l) => errors.push(l) };
  expect(await main(['temporal', 'setup', '--config', configPath], io)).toBe(0);
  expect(errors).toEqual([]);
  return lines.find((l) => l.startsWith(`schedule ${METRICS_SCHEDULE_ID}:`))!;
}

const upserts = (month: string) =>
  fakes.log.calls.filter((c) => c === `notion.upsertPage metrics:${month}`).length;
/**
 * The runs the schedule has going, by run id: the schedule names a run's workflow after the
 * second it fired, so a replacement fired within the same second has the same workflow id.
 */
const runningRuns = async (handle: ScheduleHandle) =>
  (await handle.describe()).info.runningActions.map((a) => a.workflow);

describe('the metrics schedule', () => {
  it('gives a namespace set up mid-month its page at once, keeps one run going, and replaces a lost one', async () => {
    const month = monthOf(localDateOf(Date.now(), 'Europe/London'));
    const metrics = config.integrations.notion.dataSources.metrics!;
    const pages = () =>
      fakes.notion
        .made()
        .filter((p) => p.dataSourceId === metrics)
        .map((p) => p.idempotencyKey)
        .sort();

    expect(await setup()).toMatch(
      new RegExp(
        `^schedule ${METRICS_SCHEDULE_ID}: created, run started now — daily at 06:00 Europe/London: starts the month's metrics run unless it is going`,
      ),
    );
    const handle = stack.client.schedule.getHandle(METRICS_SCHEDULE_ID);
    const described = await handle.describe();
    // Every day of every month at 06:00, a missed firing caught up within a day, never two runs.
    expect(described.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 6, end: 6, step: 1 }],
      minute: [{ start: 0, end: 0, step: 1 }],
      dayOfMonth: [{ start: 1, end: 31, step: 1 }],
    });
    expect(described.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 86_400_000 });

    // The month's page, and last month's closed, without waiting for the first of next month.
    await until('the pages', async () =>
      upserts(month) === 1 && upserts(previousMonth(month)) === 1 ? true : undefined,
    );
    expect(pages()).toEqual([`metrics:${previousMonth(month)}`, `metrics:${month}`].sort());
    const [first] = await runningRuns(handle);
    expect(first!.workflowId).toMatch(/^product-ops-metrics-/);

    // Tomorrow's firing (a trigger under the schedule's own policy) while the month's run is going: skipped; and setup again starts nothing.
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    await until('the firing to be skipped', async () =>
      (await handle.describe()).info.numActionsSkippedOverlap === 1 ? true : undefined,
    );
    expect(await setup()).toMatch(new RegExp(`^schedule ${METRICS_SCHEDULE_ID}: unchanged — `));
    expect(await runningRuns(handle)).toEqual([first]);
    expect((await handle.describe()).info.numActionsTaken).toBe(1);

    // The run lost (terminated by hand, a namespace restored without it): the next firing starts
    // another, which refreshes the same pages.
    await stack.client.workflow.getHandle(first!.workflowId, first!.firstExecutionRunId).terminate('lost');
    // The schedule learns of the run's end on its own time; a firing before that is skipped.
    await until(
      'the schedule to see the run gone',
      async () => ((await runningRuns(handle)).length === 0 ? true : undefined),
      { attempts: 300 },
    );
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    const [second] = await until('a new run', async () => {
      const running = await runningRuns(handle);
      return running.length === 1 && running[0]!.firstExecutionRunId !== first!.firstExecutionRunId
        ? running
        : undefined;
    });
    expect(second!.workflowId).toMatch(/^product-ops-metrics-/);
    await until('the page refreshed', async () => (upserts(month) === 2 ? true : undefined));
    expect(pages()).toEqual([`metrics:${previousMonth(month)}`, `metrics:${month}`].sort());
    expect((await handle.describe()).info.numActionsTaken).toBe(2);
  }, 180_000); // two waits on the schedule's own time, a minute each at the most
});
