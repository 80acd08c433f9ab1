/**
 * A burst of Notion page upserts through the Notion worker and its request budget, as a release
 * log sees them: every page created (a look-up by key, then the create), then updated once with
 * the page id the create answered (one request). Notion's limit is on HTTP requests, 3 per second
 * on average, so the figures are about requests as the API received them: the count in every
 * 10-second window (the bound is 30), and the total time against the minimum, requests ÷ 3.
 * An occasional 429 with Retry-After is part of the run. Runs a Temporal dev server, the sandbox
 * and the workers in this process and stops them all at the end.
 *
 *   npm run bench:notion
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { LogLevel } from '@notionhq/client';
import { createNotionActivities, createNotionClient } from '../activities/notion';
import { activityDispatchLimit } from '../workers/index';
import { notionRequestBudget } from '../workers/integrations';
import { activityTaskQueue } from '../domain/task-queues';
import type { LoggedRequest } from '../sandbox/http';
import type { Sandbox } from '../sandbox/index';
import type { notionBurst } from '../test/fixtures/notion-burst-workflows';
import { loadExampleConfig } from '../test/helpers/config';
import { partitionsEnforcing } from '../test/helpers/rate-limits';
import { startStack } from '../test/helpers/stack';

const WORKFLOWS = 10;
const PAGES_PER_WORKFLOW = 10;
const WINDOW_MS = 10_000;
/** The goal: the run takes at most this many times the minimum (requests ÷ limit). */
const GOAL_RATIO = 1.05;
/** One Notion request in this many is refused with 429, as a busy workspace occasionally is. */
const RATE_LIMITED_EVERY = 50;
const RETRY_AFTER_SECONDS = 2;

const QUERY_ROUTE = 'POST /v1/data_sources/:id/query';
const CREATE_ROUTE = 'POST /v1/pages';
const UPDATE_ROUTE = 'PATCH /v1/pages/:id';

const config = loadExampleConfig();
const limit = config.integrations.rateLimits.notion;
/** The server-side cap on the Notion queue, as `prodops worker` sets it: a backstop above the budget. */
const dispatchLimit = activityDispatchLimit('notion', config.integrations.rateLimits);
const releaseLog: string =
  config.integrations.notion.dataSources.releaseLog ??
  fail('the example configuration sets no integrations.notion.dataSources.releaseLog');
const pagesInAll = WORKFLOWS * PAGES_PER_WORKFLOW;
const taskQueue = `notion-burst-${Date.now()}`;

/** The idempotency key a page carries in its key property. */
function keyOf(properties: Record<string, unknown>): string {
  const value = properties['prodops key'] as { rich_text?: { plain_text: string }[] } | undefined;
  return (value?.rich_text ?? []).map((t) => t.plain_text).join('');
}

function fail(message: string): never {
  throw new Error(message);
}

// The injected 429s are expected; the activity failure warnings they cause would bury the table.
Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });

/** Refuses every RATE_LIMITED_EVERY-th Notion request with a 429 carrying Retry-After. */
function throttleEveryNth(sandbox: Sandbox): void {
  const router = sandbox.router;
  const handle = router.handle.bind(router);
  let notionRequests = 0;
  router.handle = (req, res) => {
    if (req.url?.startsWith('/v1/') && ++notionRequests % RATE_LIMITED_EVERY === 0) {
      // Armed for one request and taken synchronously by the request that armed it.
      router.injectFault({
        route: '*',
        vendor: 'notion',
        fault: { kind: 'status', status: 429, retryAfterSeconds: RETRY_AFTER_SECONDS, times: 1 },
      });
    }
    return handle(req, res);
  };
}

async function main(): Promise<void> {
  const stack = await startStack({
    temporal: 'dev-server',
    config,
    workflows: fileURLToPath(new URL('../test/fixtures/notion-burst-workflows.ts', import.meta.url)),
    sandbox: true,
    taskQueue,
  });
  const { env, sandbox } = stack;
  // The budget the worker process keeps (workers/integrations.ts), as `prodops worker` builds it.
  const budget = notionRequestBudget(limit);
  const notion = createNotionActivities({
    client: createNotionClient({ auth: 'sandbox', baseUrl: sandbox.url, logLevel: LogLevel.ERROR, budget }),
  });
  try {
    await stack.withWorkers({ taskQueue, activities: { bySystem: { notion } } }, async () => {
      const partitions = await partitionsEnforcing(
        env.client,
        stack.namespace,
        activityTaskQueue(taskQueue, 'notion'),
        dispatchLimit,
      );
      sandbox.router.clearLog();
      throttleEveryNth(sandbox);

      const startedAt = Date.now();
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: WORKFLOWS }, (_, w) =>
          env.client.workflow.execute<typeof notionBurst>('notionBurst', {
            taskQueue,
            workflowId: `${taskQueue}-${w}`,
            args: [
              {
                taskQueue,
                pages: Array.from({ length: PAGES_PER_WORKFLOW }, (_, p) => ({
                  idempotencyKey: `${taskQueue}:${w}:${p}`,
                  dataSourceId: releaseLog,
                  properties: { Name: { title: `Burst page ${w}.${p}` }, Status: { select: 'Planned' } },
                })),
                thenUpdate: { Status: { select: 'Released' } },
              },
            ],
          }),
        ),
      );
      const elapsedSeconds = (performance.now() - started) / 1000;
      const endedAt = Date.now();

      const pages = results.flat();
      const stored = sandbox.notion.store
        .pages(releaseLog)
        .filter((page) => keyOf(page.properties).startsWith(`${taskQueue}:`));
      const keys = new Set(stored.map((page) => keyOf(page.properties)));
      const released = stored.filter(
        (page) =>
          (page.properties.Status as { select?: { name: string } } | undefined)?.select?.name === 'Released',
      );
      if (
        pages.length !== pagesInAll ||
        new Set(pages.map((p) => p.id)).size !== pagesInAll ||
        stored.length !== pagesInAll ||
        keys.size !== pagesInAll ||
        released.length !== pagesInAll
      ) {
        throw new Error(
          `expected ${pagesInAll} distinct pages, all Released; got ${pages.length} results, ${stored.length} stored pages, ${keys.size} keys, ${released.length} Released`,
        );
      }

      const notion = (r: LoggedRequest) => r.vendor === 'notion';
      const log = sandbox.router.log.filter(notion);
      const requests = log.length;
      const on = (route: string) => log.filter((r) => r.route === route).length;
      const refused = log.filter((r) => r.status === 429).length;
      const minimum = requests / limit;
      const ratio = elapsedSeconds / minimum;
      const peak = sandbox.router.peakInWindow(notion, WINDOW_MS);
      const first = Math.min(...log.map((r) => r.at));
      const last = Math.max(...log.map((r) => r.at));
      const windows: number[] = [];
      for (const r of log) {
        const at = Math.floor((r.at - first) / WINDOW_MS);
        windows[at] = (windows[at] ?? 0) + 1;
      }
      const upserts = pagesInAll * 2;
      const rows: [string, string][] = [
        [
          'upserts',
          `${upserts} (${WORKFLOWS} workflows x ${PAGES_PER_WORKFLOW} pages, each created, then updated by page id)`,
        ],
        [
          'limit',
          `${limit} requests/s on average, ${limit * 10} in any ${WINDOW_MS / 1000} s (one budget per worker)`,
        ],
        [
          'activity queue limit',
          `${dispatchLimit} starts/s over ${partitions} partitions (server-side backstop; the budget paces)`,
        ],
        ['HTTP requests', `${requests} (${(requests / upserts).toFixed(2)} per upsert, 429s included)`],
        [
          '  by route',
          `${on(QUERY_ROUTE)} look-ups, ${on(CREATE_ROUTE)} creates, ${on(UPDATE_ROUTE)} updates by id`,
        ],
        [
          `max requests in ${WINDOW_MS / 1000} s`,
          `${peak} (sliding; bound ${limit * 10}: ${peak <= limit * 10 ? 'kept' : 'EXCEEDED'})`,
        ],
        [`requests per ${WINDOW_MS / 1000} s`, Array.from(windows, (n) => n ?? 0).join(' ')],
        ['total time', `${elapsedSeconds.toFixed(1)} s`],
        [
          '  outside requests',
          `${((first - startedAt) / 1000).toFixed(1)} s before the first, ${((endedAt - last) / 1000).toFixed(1)} s after the last`,
        ],
        ['minimum', `${minimum.toFixed(1)} s (requests / ${limit})`],
        ['ratio', `${ratio.toFixed(3)} (goal <= ${GOAL_RATIO}: ${ratio <= GOAL_RATIO ? 'met' : 'MISSED'})`],
        [
          '429s (Retry-After)',
          `${refused} (${RETRY_AFTER_SECONDS} s, every ${RATE_LIMITED_EVERY}th request)`,
        ],
        ['budget paused by Retry-After', `${(budget.stats.pausedMs / 1000).toFixed(1)} s`],
        ['peak RSS (this process)', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`],
      ];
      const width = Math.max(...rows.map(([name]) => name.length));
      console.log('Notion burst through the request budget');
      for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
    });
  } finally {
    await stack.stop();
  }
}

await main();
