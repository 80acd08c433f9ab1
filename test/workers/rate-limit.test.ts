/**
 * The per-system rate limit and Retry-After, end to end: the real Notion activities on workers
 * built by `createWorkers`, against the Temporal dev server and the sandbox's Notion API.
 *
 * The dev server is required. `maxTaskQueueActivitiesPerSecond` travels in each activity poll
 * and is enforced by the matching service; the time-skipping test server has no matching
 * service and never reads that poll metadata, so there all 30 upserts start at once. Retry-After
 * also needs real time: the test server would skip the retry timer.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityTaskQueue } from '../../domain/task-queues';
import { activityDispatchLimit } from '../../workers/index';
import type { LoggedRequest } from '../../sandbox/http';
import type { Sandbox } from '../../sandbox/index';
import type { notionBurst } from '../fixtures/notion-burst-workflows';
import { loadExampleConfig } from '../helpers/config';
import { partitionsEnforcing } from '../helpers/rate-limits';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/temporal';

const config = loadExampleConfig();
const RELEASE_LOG = config.integrations.notion.dataSources.releaseLog!;
const FIXTURE = fileURLToPath(new URL('../fixtures/notion-burst-workflows.ts', import.meta.url));

/** Every upsertPage attempt sends this request first and exactly once, so it counts attempts. */
const QUERY_ROUTE = 'POST /v1/data_sources/:id/query';
const CREATE_ROUTE = 'POST /v1/pages';

/** matching.minTaskThrottlingBurstSize, left at the server's default. */
const MIN_TASK_THROTTLING_BURST = 1;

let stack: Stack;
let env: TestWorkflowEnvironment;
let sandbox: Sandbox;

beforeAll(async () => {
  stack = await startStack({ temporal: 'dev-server', config, workflows: FIXTURE, sandbox: true });
  ({ env, sandbox } = stack);
});
afterAll(() => stack?.stop());

/**
 * Runs `body` while the workflow worker and a Notion worker whose queue the server caps at
 * `dispatchLimit` starts per second poll `taskQueue`, and stops them afterwards whatever happens.
 */
function withWorkers<T>(taskQueue: string, dispatchLimit: number, body: () => Promise<T>): Promise<T> {
  const { notion } = stack.sandboxActivities().bySystem;
  return stack.withWorkers(
    { taskQueue, activities: { bySystem: { notion: notion! } }, dispatchLimits: { notion: dispatchLimit } },
    body,
  );
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
      const partitions = await partitionsEnforcing(
        env.client,
        stack.namespace,
        activityTaskQueue(taskQueue, 'notion'),
        limit,
      );
      expect(partitions).toBeGreaterThan(0);
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

  /** Upserts one page while the next `refusals` creates are answered 429; returns Notion's log. */
  async function upsertThroughRefusals(
    refusals: number,
    retryAfterSeconds: number,
  ): Promise<LoggedRequest[]> {
    const taskQueue = uniqueId('retry-after');
    const dispatch = activityDispatchLimit('notion', config.integrations.rateLimits);
    const [result] = await withWorkers(taskQueue, dispatch, async () => {
      sandbox.router.clearLog();
      sandbox.injectFault({
        route: CREATE_ROUTE,
        fault: { kind: 'status', status: 429, retryAfterSeconds, times: refusals },
      });
      try {
        return await env.client.workflow.execute<typeof notionBurst>('notionBurst', {
          taskQueue,
          workflowId: uniqueId('retry-after'),
          // Without Retry-After the retry would come after 100 ms, plus at most one token's
          // wait on the Notion queue (0.33 s per partition at 12/s): always sooner than 2 s.
          args: [
            {
              taskQueue,
              retryIntervalMs: 100,
              pages: [
                {
                  idempotencyKey: `${taskQueue}:page`,
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
    return sandbox.router.log.filter((r) => r.vendor === 'notion');
  }

  it('sends a create refused with 429 again after its Retry-After, within the same attempt', async () => {
    const retryAfterSeconds = 2;
    const notion = await upsertThroughRefusals(1, retryAfterSeconds);
    // One look-up: the attempt did not fail, so nothing was looked up again.
    expect(notion.map((r) => `${r.route} ${r.status}`)).toEqual([
      `${QUERY_ROUTE} 200`,
      `${CREATE_ROUTE} 429`,
      `${CREATE_ROUTE} 200`,
    ]);
    expect(notion[2]!.at - notion[1]!.at).toBeGreaterThanOrEqual(retryAfterSeconds * 1000);
  });

  it('fails the attempt on the third 429 and waits for Retry-After before the next attempt', async () => {
    const retryAfterSeconds = 2;
    const notion = await upsertThroughRefusals(3, retryAfterSeconds);
    expect(notion.map((r) => `${r.route} ${r.status}`)).toEqual([
      `${QUERY_ROUTE} 200`,
      `${CREATE_ROUTE} 429`,
      `${CREATE_ROUTE} 429`,
      `${CREATE_ROUTE} 429`,
      // The next attempt looks the page up first: an earlier create may have landed unanswered.
      `${QUERY_ROUTE} 200`,
      `${CREATE_ROUTE} 200`,
    ]);
    for (const [refused, next] of [
      [1, 2],
      [2, 3],
      [3, 4],
    ] as const) {
      expect(notion[next]!.at - notion[refused]!.at).toBeGreaterThanOrEqual(retryAfterSeconds * 1000);
    }
  });
});
