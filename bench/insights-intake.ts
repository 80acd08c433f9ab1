/**
 * Intake throughput of the insights pipeline on this machine, against a dev server with the
 * worker running on the sandbox APIs and the trigger gateway:
 *
 * - `POST /insights`: distinct signed insights, 16 at a time; answered per second, and taken in
 *   per second (until every one is an item of its backlog shard);
 * - `prodops insight import`: a CSV file of as many rows, checked whole, then sent to the shards
 *   in batches; rows per second from the command's start to its last answer.
 *
 * Every insight is fully tagged and of its own account, so none needs tagging or merges.
 *
 *   npm run bench:insights-intake [-- <count>]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startStack } from '../test/helpers/stack';
import { exampleConfigText } from '../test/helpers/config';
import { SECRETS } from '../test/triggers/fixtures';
import { insightDelivery, sendVendorRequest } from '../sandbox/simulate/vendor-events';
import { main } from '../cli/main';
import { parseOrgConfig } from '../domain/config';
import type { BacklogStatusView } from '../contracts/insights';

const COUNT = Number(process.argv[2] ?? 500);
const CONCURRENCY = 16;
const THEMES = [
  'onboarding',
  'activation',
  'reliability',
  'pricing',
  'feature-gap',
  'ux-friction',
  'performance',
];
const AREAS = [
  'onboarding',
  'billing',
  'collaboration',
  'integrations',
  'api',
  'workspace',
  'dashboards',
  'reports',
];
const WORDS =
  'export slow timeout login invite seat invoice chart filter webhook token sync report admin role'.split(
    ' ',
  );

/** Distinct words per insight, so that no two texts are alike. */
function textOf(i: number): string {
  const words = Array.from(
    { length: 8 },
    (_, k) => WORDS[(i * 7 + k * 3 + Math.floor(i / 15)) % WORDS.length],
  );
  return `${words.join(' ')} (case ${i})`;
}

function insight(prefix: string, i: number) {
  return {
    source: 'zendesk',
    externalId: `${prefix}-${i}`,
    account: `${prefix} account ${i}`,
    segment: 'smb',
    text: textOf(i),
    theme: THEMES[i % THEMES.length],
    severity: ['low', 'medium', 'high'][i % 3],
    area: AREAS[i % AREAS.length],
    evidenceType: 'quote',
    link: `https://support.example/tickets/${prefix}-${i}`,
  };
}

Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });

async function run(): Promise<void> {
  const taskQueue = `bench-insights-${Date.now()}`;
  const baseConfig = parseOrgConfig(exampleConfigText());
  const stack = await startStack({
    temporal: 'dev-server',
    serverLog: 'never',
    config: baseConfig,
    sandbox: true,
    workers: 'sandbox',
    gateway: true,
    taskQueue,
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'prodops-bench-insights-'));
    const configPath = join(dir, 'prodops.config.yaml');
    writeFileSync(
      configPath,
      exampleConfigText()
        .replace('address: 127.0.0.1:7233', `address: ${stack.env.connection.options.address}`)
        .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`),
    );
    const prodops = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main([...args, '--config', configPath], {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
      });
      if (code !== 0) throw new Error(`prodops ${args.join(' ')} failed: ${err.join('\n')}`);
      return out.join('\n');
    };
    const items = async () => {
      const status = JSON.parse(await prodops('insights', 'status', '--json')) as {
        backlogs: BacklogStatusView[];
      };
      return status.backlogs.reduce((n, b) => n + b.items, 0);
    };
    const until = async (count: number) => {
      for (let i = 0; i < 1200; i++) {
        if ((await items()) >= count) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the backlogs never held ${count} items`);
    };

    // Warm-up: the shards start, the JIT warms.
    for (let i = 0; i < 8; i++)
      await sendVendorRequest(stack.gateway.url, insightDelivery(insight('warm', i), SECRETS.insights[0]!));
    await until(8);

    // POST /insights.
    const started = performance.now();
    let next = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < COUNT) {
          const i = next++;
          const answer = await sendVendorRequest(
            stack.gateway.url,
            insightDelivery(insight('hook', i), SECRETS.insights[0]!),
          );
          if (answer.status !== 200) failed++;
        }
      }),
    );
    const answered = performance.now();
    await until(8 + COUNT);
    const takenIn = performance.now();

    // prodops insight import.
    const csv = join(dir, 'insights.csv');
    const columns = Object.keys(insight('csv', 0));
    const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    writeFileSync(
      csv,
      [
        columns.join(','),
        ...Array.from({ length: COUNT }, (_, i) =>
          Object.values(insight('csv', i))
            .map((v) => quote(String(v)))
            .join(','),
        ),
      ].join('\n'),
    );
    const importStarted = performance.now();
    const summary = JSON.parse(await prodops('insight', 'import', csv, '--by', 'priya', '--json')) as Record<
      string,
      unknown
    >;
    const imported = performance.now();
    await until(8 + 2 * COUNT);
    const importTakenIn = performance.now();

    const rate = (n: number, from: number, to: number) => `${(n / ((to - from) / 1000)).toFixed(0)}/s`;
    console.log(
      `insights intake, ${COUNT} items each way, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.versions.node}`,
    );
    console.log(
      `  POST /insights (${CONCURRENCY} at a time)   answered ${rate(COUNT, started, answered)}, taken in ${rate(COUNT, started, takenIn)}, ${failed} not 200`,
    );
    console.log(
      `  prodops insight import            answered ${rate(COUNT, importStarted, imported)}, taken in ${rate(COUNT, importStarted, importTakenIn)}`,
    );
    console.log(`  import summary: ${JSON.stringify(summary).slice(0, 300)}`);
  } finally {
    await stack.stop();
  }
}

await run();
