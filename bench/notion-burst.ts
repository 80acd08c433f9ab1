/**
 * A burst of Notion page upserts through the rate-limited Notion activity queue: how close the
 * run comes to the theoretical minimum (calls / limit), the peak rate the API saw, and what an
 * occasional 429 with Retry-After costs. Runs a Temporal dev server, the sandbox and the
 * workers in this process and stops them all at the end.
 *
 *   npm run bench:notion
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { LogLevel } from '@notionhq/client';
import { createNotionActivities, createNotionClient } from '../activities/notion';
import { activityTaskQueue } from '../domain/task-queues';
import type { LoggedRequest } from '../sandbox/http';
import type { Sandbox } from '../sandbox/index';
import type { notionBurst } from '../test/fixtures/notion-burst-workflows';
import { loadExampleConfig } from '../test/helpers/config';
import { partitionsEnforcing } from '../test/helpers/rate-limits';
import { startStack } from '../test/helpers/stack';

const WORKFLOWS = 10;
const PAGES_PER_WORKFLOW = 30;
/** One Notion request in this many is refused with 429, as a busy workspace occasionally is. */
const RATE_LIMITED_EVERY = 50;
const RETRY_AFTER_SECONDS = 2;

const QUERY_ROUTE = 'POST /v1/data_sources/:id/query';

const config = loadExampleConfig();
const limit = config.integrations.rateLimits.notion;
const releaseLog: string =
  config.integrations.notion.dataSources.releaseLog ??
  fail('the example configuration sets no integrations.notion.dataSources.releaseLog');
const calls = WORKFLOWS * PAGES_PER_WORKFLOW;
const taskQueue = `notion-burst-${Date.now()}`;

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
  const notion = createNotionActivities({
    client: createNotionClient({ auth: 'sandbox', baseUrl: sandbox.url, logLevel: LogLevel.ERROR }),
  });
  try {
    await stack.withWorkers({ taskQueue, activities: { bySystem: { notion } } }, async () => {
      const partitions = await partitionsEnforcing(
        env.client,
        stack.namespace,
        activityTaskQueue(taskQueue, 'notion'),
        limit,
      );
      sandbox.router.clearLog();
      throttleEveryNth(sandbox);

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
                  properties: { Name: { title: `Burst page ${w}.${p}` } },
                })),
              },
            ],
          }),
        ),
      );
      const elapsedSeconds = (performance.now() - started) / 1000;

      const pages = results.flat();
      const keys = new Set(
        sandbox.notion.store
          .pages(releaseLog)
          .map(
            (page) => page.properties['prodops key'] as { rich_text?: { plain_text: string }[] } | undefined,
          )
          .map((value) => (value?.rich_text ?? []).map((t) => t.plain_text).join(''))
          .filter((key) => key.startsWith(`${taskQueue}:`)),
      );
      if (pages.length !== calls || new Set(pages.map((p) => p.id)).size !== calls || keys.size !== calls) {
        throw new Error(
          `expected ${calls} distinct pages, got ${pages.length} results, ${keys.size} stored pages`,
        );
      }

      const notion = (r: LoggedRequest) => r.vendor === 'notion';
      // Each upsertPage attempt sends one data source query, first: it counts activity executions.
      const attempt = (r: LoggedRequest) => notion(r) && r.route === QUERY_ROUTE;
      const log = sandbox.router.log;
      const attempts = log.filter(attempt).length;
      const minimum = calls / limit;
      const rows: [string, string][] = [
        ['upserts', `${calls} (${WORKFLOWS} workflows x ${PAGES_PER_WORKFLOW})`],
        ['limit', `${limit}/s over ${partitions} partitions`],
        ['total time', `${elapsedSeconds.toFixed(1)} s`],
        ['theoretical minimum', `${minimum.toFixed(1)} s (calls / limit)`],
        ['ratio', (elapsedSeconds / minimum).toFixed(3)],
        ['activity executions', `${attempts} (${attempts - calls} retries)`],
        ['minimum incl. retries', `${(attempts / limit).toFixed(1)} s (executions / limit)`],
        ['peak activities in 1 s', String(sandbox.router.peakInWindow(attempt, 1000))],
        ['peak HTTP requests in 1 s', String(sandbox.router.peakInWindow(notion, 1000))],
        ['HTTP requests', String(log.filter(notion).length)],
        [
          '429s (Retry-After)',
          `${log.filter((r) => notion(r) && r.status === 429).length} (${RETRY_AFTER_SECONDS} s, every ${RATE_LIMITED_EVERY}th request)`,
        ],
        ['peak RSS (this process)', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`],
      ];
      const width = Math.max(...rows.map(([name]) => name.length));
      console.log('Notion burst through the rate-limited activity queue');
      for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
    });
  } finally {
    await stack.stop();
  }
}

await main();
