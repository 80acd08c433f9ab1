/**
 * The monthly metrics workflow on the time-skipping server: started as the schedule starts it,
 * it closes last month's page once and keeps this month's current every day until the month
 * ends, always the same page per month (one upsert key), with the figures of the measurement.
 * Each run starts at a set London time (the server's clock is moved there first), so that what
 * it does on its first day does not depend on when the suite runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundle, createTimeSkippingEnv, uniqueId } from '../../helpers/temporal';
import { loadExampleConfig } from '../../helpers/config';
import { recordHistory } from '../../helpers/histories';
import { createWorkers, WORKFLOWS_PATH } from '../../../workers/index';
import {
  addCalendarDays,
  datesInRange,
  localDateOf,
  zonedDateTimeToInstant,
} from '../../../domain/business-calendar';
import { measure, type ReleaseRecord } from '../../../domain/measurement';
import { monthBounds, monthOf, previousMonth } from '../../../domain/rituals';
import { metricsTitle } from '../../../domain/metrics-content';
import { productOpsMetricsWorkflow } from '../../../workflows/metrics/workflow';
import { FakeWorld } from '../release/fake-world';

const config = loadExampleConfig();
let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundle(WORKFLOWS_PATH)]);
});
afterAll(async () => {
  await env?.teardown();
});

const covered: ReleaseRecord = {
  issueKey: 'REL-1',
  title: 'One',
  tier: 2,
  pmId: 'ana',
  productArea: null,
  phase: 'done',
  cancelled: false,
  plannedLaunch: '2026-01-10',
  launchedOn: '2026-01-10',
  bundleDueDate: '2026-01-02',
  bundlePublishedOn: '2026-01-01',
  publishedBeforeLaunch: true,
  dayThreeCheckIn: '2026-01-13',
  dayThreeAsked: true,
  awareness: [{ by: 'maya', team: 'support', aware: true }],
};

/** Moves the server's clock to the next `time` in London; answers that day. */
async function skipTo(time: string): Promise<string> {
  const now = await env.currentTimeMs();
  let day = localDateOf(now, 'Europe/London');
  let at = Date.parse(zonedDateTimeToInstant(day, time, 'Europe/London'));
  if (at <= now) {
    day = addCalendarDays(day, 1);
    at = Date.parse(zonedDateTimeToInstant(day, time, 'Europe/London'));
  }
  await env.sleep(at - now);
  return day;
}

/** Runs one month's metrics workflow, started at `time` in London, with its refresh at 06:00. */
async function runMonth(time: string, history: { name: string; what: string }) {
  const world = new FakeWorld(config);
  const taskQueue = uniqueId('metrics');
  const dataSourceId = config.integrations.notion.dataSources.metrics!;
  const measured: string[] = [];
  const base = world.activities();
  const activities = {
    ...base.core,
    loadMetricsContext: async (input: { at: number }) => ({
      today: localDateOf(input.at, 'Europe/London'),
      timezone: 'Europe/London',
      refreshAt: '06:00',
      enabled: true,
      dataSourceId,
    }),
    measureMonth: async (input: { month: string; at: number }) => {
      measured.push(input.month);
      const { first, last } = monthBounds(input.month);
      return measure({
        from: first,
        to: last,
        today: localDateOf(input.at, 'Europe/London'),
        now: input.at,
        releases: [{ ...covered, launchedOn: first }],
        updates: [],
      });
    },
  };
  const workers = await createWorkers({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle,
    activities: base.bySystem,
    localActivities: activities,
    rateLimits: { jira: 1000, notion: 1000, google: 1000 },
  });
  const today = await skipTo(time);
  const [first, ...rest] = workers;
  const result = await first!.runUntil(async () => {
    const others = rest.map((w) => w.run());
    try {
      const handle = await env.client.workflow.start(productOpsMetricsWorkflow, {
        taskQueue,
        workflowId: uniqueId('product-ops-metrics'),
        args: [{}],
      });
      const finished = await handle.result();
      await recordHistory(handle, 'metrics', history.name, history.what);
      return finished;
    } finally {
      for (const w of rest) w.shutdown();
      await Promise.all(others);
    }
  });
  const month = monthOf(today);
  const pages = world.pages.filter((p) => p.dataSourceId === dataSourceId);
  const upserts = world.calls.filter((c) => c === `notion.upsertPage metrics:${month}`).length;
  return {
    today,
    month,
    days: datesInRange(today, monthBounds(month).last).length,
    measured,
    result,
    pages,
    upserts,
  };
}

/** Last month's page closed and this month's kept open, each one page (one upsert key). */
function expectOnePagePerMonth({ month, result, pages }: Awaited<ReturnType<typeof runMonth>>): void {
  expect(result.pages.map((p) => [p.month, p.final])).toEqual([
    [previousMonth(month), true],
    [month, false],
  ]);
  expect(pages.map((p) => p.idempotencyKey)).toEqual([`metrics:${previousMonth(month)}`, `metrics:${month}`]);
}

describe('monthly metrics workflow', () => {
  it('closes last month once and refreshes this month every day until it ends', async () => {
    const run = await runMonth('07:00', {
      name: 'month-to-its-end',
      what: 'last month closed, this month refreshed daily to its end',
    });
    const { month, days, measured, pages, upserts } = run;

    // Started after the day's refresh time: this month's page at once, then once a day.
    expect(measured).toEqual([previousMonth(month), ...Array<string>(days).fill(month)]);
    expectOnePagePerMonth(run);
    const current = pages[1]!;
    expect(current.properties.Name).toEqual({ title: metricsTitle(month) });
    expect(current.properties['Enablement coverage']).toEqual({ number: 1 });
    expect(current.properties['Lead-time compliance']).toEqual({ number: null });
    expect(String((current.properties.Figures as { rich_text: string }).rich_text)).toContain(
      'PM coordination overhead: Not counted by prodops',
    );
    expect(upserts).toBe(days);
  });

  it("makes this month's page at once when started before the refresh time, and still refreshes it then", async () => {
    const run = await runMonth('01:30', {
      name: 'started-before-refresh-time',
      what: "started at night: this month's page at once, then refreshed daily at 06:00 to its end",
    });
    const { month, days, measured, upserts } = run;

    expect(measured).toEqual([previousMonth(month), month, ...Array<string>(days).fill(month)]);
    // Still one page per month: the early refresh and the daily ones upsert the same key.
    expectOnePagePerMonth(run);
    expect(upserts).toBe(days + 1);
  });
});
