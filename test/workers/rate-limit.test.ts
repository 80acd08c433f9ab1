/**
 * The per-system rate limit and Retry-After, end to end: the real Notion activities on workers
 * built by `createWorkers`, against the Temporal dev server and the sandbox's Notion API.
 *
 * The dev server is required. `maxTaskQueueActivitiesPerSecond` travels in each activity poll
 * and is enforced by the matching service; the time-skipping test server has no matching
 * service and never reads that poll metadata, so there all 30 upserts start at once. Retry-After
 * also needs real time: the test server would skip the retry timer.
 */
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotionActivities, createNotionClient } from '../../activities/notion';
import { activityTaskQueue, type ActivitySystem } from '../../domain/task-queues';
import type { LoggedRequest } from '../../sandbox/http';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { createWorkers, runWorkers } from '../../workers/index';
import type { notionBurst } from '../fixtures/notion-burst-workflows';
import { loadExampleConfig } from '../helpers/config';
import { bundle, createDevServerEnv, uniqueId } from '../helpers/temporal';

const config = loadExampleConfig();
const RELEASE_LOG = config.integrations.notion.dataSources.releaseLog!;
const FIXTURE = fileURLToPath(new URL('../fixtures/notion-burst-workflows.ts', import.meta.url));

/** Every upsertPage attempt sends this request first and exactly once, so it counts attempts. */
const QUERY_ROUTE = 'POST /v1/data_sources/:id/query';
const CREATE_ROUTE = 'POST /v1/pages';

// temporal.api.enums.v1 values, by name.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;
/** matching.minTaskThrottlingBurstSize, left at the server's default. */
const MIN_TASK_THROTTLING_BURST = 1;

let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, sandbox, workflowBundle] = await Promise.all([
    createDevServerEnv(),
    startSandbox({ config }),
    bundle(FIXTURE),
  ]);
});
afterAll(async () => {
  await sandbox?.close();
  await env?.teardown();
});

function namespace(): string {
  return env.namespace ?? 'default';
}

/**
 * Runs `body` while the workflow worker and a Notion worker with the given limit poll
 * `taskQueue`, and stops them afterwards whatever happens.
 */
async function withWorkers<T>(taskQueue: string, notionLimit: number, body: () => Promise<T>): Promise<T> {
  const notion = createNotionActivities({
    client: createNotionClient({ auth: 'sandbox', baseUrl: sandbox.url }),
  });
  const workers = await createWorkers({
    connection: env.nativeConnection,
    namespace: namespace(),
    taskQueue,
    activities: { notion },
    rateLimits: { ...config.integrations.rateLimits, notion: notionLimit },
    workflowBundle,
    overrides: { shutdownGraceTime: '1 second' },
  });
  const running = runWorkers(workers);
  try {
    return await body();
  } finally {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  }
}

/**
 * Waits until every partition of a system's activity queue enforces `limit`, and returns how
 * many partitions the queue has.
 *
 * Each partition learns the limit from the first poll it receives; until then it dispatches at
 * the server's default (100,000/s). Tasks added to a partition no worker has polled yet would
 * escape the limit, so the burst starts only once every partition reports it.
 */
async function partitionsEnforcing(
  client: Client,
  taskQueue: string,
  system: ActivitySystem,
  limit: number,
): Promise<number> {
  const name = activityTaskQueue(taskQueue, system);
  const { activityTaskQueuePartitions } = await client.workflowService.listTaskQueuePartitions({
    namespace: namespace(),
    taskQueue: { name, kind: TASK_QUEUE_KIND_NORMAL },
  });
  const partitions = activityTaskQueuePartitions.map((partition) => partition.key ?? name);
  expect(partitions.length).toBeGreaterThan(0);
  const deadline = Date.now() + 30_000;
  for (;;) {
    // The legacy describe reports one partition's limit, scaled back up to the whole queue.
    const rates = await Promise.all(
      partitions.map(async (partition) => {
        const described = await client.workflowService.describeTaskQueue({
          namespace: namespace(),
          taskQueue: { name: partition, kind: TASK_QUEUE_KIND_NORMAL },
          taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
          includeTaskQueueStatus: true,
        });
        return described.taskQueueStatus?.ratePerSecond;
      }),
    );
    if (rates.every((rate) => rate === limit)) return partitions.length;
    if (Date.now() > deadline) {
      throw new Error(`${name}: partitions still report ${rates.join(', ')} tasks/s instead of ${limit}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function notionRequests(route: string): LoggedRequest[] {
  return sandbox.router.log.filter((r) => r.vendor === 'notion' && r.route === route);
}

describe('Notion activity queue', () => {
  it('never dispatches upserts faster than its token buckets allow, and completes every one once', async () => {
    const limit = 3;
    const calls = 30;
    const taskQueue = uniqueId('rate-limit');
    const keys = Array.from({ length: calls }, (_, i) => `${taskQueue}:page-${i}`);

    const { results, partitions } = await withWorkers(taskQueue, limit, async () => {
      const partitions = await partitionsEnforcing(env.client, taskQueue, 'notion', limit);
      sandbox.router.clearLog();
      const results = await env.client.workflow.execute<typeof notionBurst>('notionBurst', {
        taskQueue,
        workflowId: uniqueId('notion-burst'),
        args: [
          {
            taskQueue,
            pages: keys.map((idempotencyKey, i) => ({
              idempotencyKey,
              dataSourceId: RELEASE_LOG,
              properties: { Name: { title: `Burst page ${i}` } },
            })),
          },
        ],
      });
      return { results, partitions };
    });

    // All the work happened, each page once.
    expect(results.every((r) => r.created)).toBe(true);
    expect(new Set(results.map((r) => r.id)).size).toBe(calls);
    const stored = sandbox.notion.store
      .pages(RELEASE_LOG)
      .map((page) => page.properties['prodops key'] as { rich_text?: { plain_text: string }[] } | undefined)
      .map((value) => (value?.rich_text ?? []).map((t) => t.plain_text).join(''))
      .filter((key) => key.startsWith(`${taskQueue}:`))
      .sort();
    expect(stored).toEqual([...keys].sort());

    // What the limit governs is activity dispatch, not HTTP requests: one upsert sends a query
    // and then a create. Counting the query alone counts activity executions exactly (every
    // attempt sends one, first), whereas all Notion requests would count each upsert twice.
    const attempts = notionRequests(QUERY_ROUTE);
    expect(attempts).toHaveLength(calls);
    expect(notionRequests(CREATE_ROUTE)).toHaveLength(calls);

    // The matching service splits the limit across the queue's partitions, each a token bucket
    // (service/matching/ratelimit_manager.go) of rate r = limit/partitions and burst
    // b = max(ceil(r), minTaskThrottlingBurstSize); a task takes a token of the partition it
    // was added to, never again when forwarded. A token bucket admits at most b + r·W tasks in
    // any window W, so the whole queue admits at most partitions·b + limit·W: with 3/s over 4
    // partitions, 4 + 3 = 7 in one second and 4 + 15 = 19 in five, where the sustained rate
    // dominates. (The dispatches themselves never put more than 4 in a second, a partition's
    // next token being 1.33 s away, but the requests trail them by a variable delay, which the
    // looser bound absorbs.) Unlimited, all 30 start within a fraction of a second.
    const burstPerPartition = Math.max(Math.ceil(limit / partitions), MIN_TASK_THROTTLING_BURST);
    const isAttempt = (r: LoggedRequest) => r.vendor === 'notion' && r.route === QUERY_ROUTE;
    for (const windowSeconds of [1, 5]) {
      const ceiling = partitions * burstPerPartition + limit * windowSeconds;
      expect(ceiling).toBeLessThan(calls);
      expect(sandbox.router.peakInWindow(isAttempt, windowSeconds * 1000)).toBeLessThanOrEqual(ceiling);
    }
  });

  it('waits for Retry-After before the next attempt', async () => {
    const taskQueue = uniqueId('retry-after');
    const key = `${taskQueue}:page`;
    const retryAfterSeconds = 2;

    const [result] = await withWorkers(taskQueue, config.integrations.rateLimits.notion, async () => {
      sandbox.router.clearLog();
      sandbox.injectFault({
        route: CREATE_ROUTE,
        fault: { kind: 'status', status: 429, retryAfterSeconds, times: 1 },
      });
      try {
        return await env.client.workflow.execute<typeof notionBurst>('notionBurst', {
          taskQueue,
          workflowId: uniqueId('retry-after'),
          // Without Retry-After the retry would come after 100 ms, plus at most one token's
          // wait on the 3/s queue (1.33 s per partition): always sooner than 2 s.
          args: [
            {
              taskQueue,
              retryIntervalMs: 100,
              pages: [
                {
                  idempotencyKey: key,
                  dataSourceId: RELEASE_LOG,
                  properties: { Name: { title: 'Retried' } },
                },
              ],
            },
          ],
        });
      } finally {
        sandbox.clearFaults();
      }
    });
    expect(result?.created).toBe(true);

    const notion = sandbox.router.log.filter((r) => r.vendor === 'notion');
    expect(notion.map((r) => `${r.route} ${r.status}`)).toEqual([
      `${QUERY_ROUTE} 200`,
      `${CREATE_ROUTE} 429`,
      `${QUERY_ROUTE} 200`,
      `${CREATE_ROUTE} 200`,
    ]);
    const refused = notion[1]!;
    const secondAttempt = notion[2]!;
    expect(secondAttempt.at - refused.at).toBeGreaterThanOrEqual(retryAfterSeconds * 1000);
  });
});
