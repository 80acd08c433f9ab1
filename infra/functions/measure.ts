/**
 * Cold start of each bundled function: from spawning a Functions Framework process on the
 * bundle to its first 2xx answer. Two kinds of first request: one the function answers without
 * Temporal (a Jira event it ignores, a Notion handshake, a Calendar sync message), and one that
 * reaches Temporal (a local dev server) with a signal-with-start or start.
 *
 *   npx tsx infra/functions/measure.ts [--runs N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseOrgConfig, type OrgConfig } from '../../domain/config';
import { buildFunctions, type BuiltFunction } from './build';
import type { TriggerName } from '../../triggers/endpoints';
import { channelFamilyForKey } from '../../contracts/node/channels';
import {
  calendarPush,
  jiraDelivery,
  notionDelivery,
  notionPageEvent,
  tokenForChannel,
  type VendorRequest,
} from '../../sandbox/simulate/vendor-events';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The framework's command (its package exports only the library entry point, beside which it lives).
const FRAMEWORK = join(
  dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')),
  'main.js',
);
const SECRETS = {
  PRODOPS_JIRA_WEBHOOK_SECRETS: 'measure-jira-secret-0123456789',
  PRODOPS_NOTION_VERIFICATION_TOKENS: 'secret_measurenotiontoken0123456789',
  PRODOPS_CALENDAR_CHANNEL_SECRET: 'measure-calendar-secret-0123456789',
};

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

let example: OrgConfig | undefined;
const exampleConfig = (): OrgConfig =>
  (example ??= parseOrgConfig(readFileSync(join(ROOT, 'prodops.config.example.yaml'), 'utf8')));

/** A first request per function: `local` needs no Temporal, `temporal` reaches it. */
function request(name: TriggerName, kind: 'local' | 'temporal', n: number): VendorRequest {
  const config = exampleConfig();
  if (name === 'jira') {
    const fields = config.integrations.jira.fields;
    return jiraDelivery(
      {
        timestamp: Date.now(),
        webhookEvent: kind === 'local' ? ('comment_created' as never) : 'jira:issue_created',
        issue_event_type_name: 'issue_created',
        user: { accountId: '5f1a00000000000000000ana' },
        issue: {
          id: String(10_000 + n),
          key: `REL-${1000 + n}`,
          fields: {
            summary: 'Cold start',
            project: { key: 'REL' },
            issuetype: { name: 'Task', subtask: false },
            assignee: { accountId: '5f1a00000000000000000ana' },
            [fields.tier!]: { value: '2' },
            [fields.launchDate!]: '2027-06-01',
          },
        },
      },
      SECRETS.PRODOPS_JIRA_WEBHOOK_SECRETS,
    );
  }
  if (name === 'notion') {
    if (kind === 'local')
      return {
        path: '/notion',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ verification_token: 'secret_coldstart' }),
      };
    const event = notionPageEvent({
      type: 'page.properties_updated',
      pageId: '1f2e3d4c-5b6a-4789-8abc-def012345678',
      parent: { id: config.integrations.notion.dataSources.enablementBundles!, type: 'database' },
    });
    return notionDelivery(event, SECRETS.PRODOPS_NOTION_VERIFICATION_TOKENS);
  }
  const channelId = channelFamilyForKey(`measure:${n}`);
  return calendarPush({
    channelId,
    calendarId: 'ana@northwind.example',
    messageNumber: kind === 'local' ? 1 : 2,
    state: kind === 'local' ? 'sync' : 'exists',
    token: tokenForChannel(SECRETS.PRODOPS_CALENDAR_CHANNEL_SECRET, channelId, 'ana@northwind.example'),
  });
}

/** A function that answers at once: what the framework and Node cost before any prodops code. */
function baselineFunction(): BuiltFunction {
  const dir = join(ROOT, 'dist/functions/_baseline');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.js'),
    "import { http } from '@google-cloud/functions-framework';\nhttp('baseline', (req, res) => res.status(200).send('{}'));\n",
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', main: 'index.js' }));
  return { name: 'baseline' as TriggerName, dir, bytes: 0, gzipBytes: 0 };
}

async function coldStart(
  fn: BuiltFunction,
  kind: 'local' | 'temporal',
  n: number,
  temporalAddress: string,
): Promise<number> {
  const port = await freePort();
  const sample: VendorRequest =
    (fn.name as string) === 'baseline' ? { path: '/jira', headers: {}, body: '' } : request(fn.name, kind, n);
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [FRAMEWORK, `--target=${fn.name}`, `--source=${fn.dir}`, `--port=${port}`],
    {
      env: { ...process.env, ...SECRETS, PRODOPS_TEMPORAL_ADDRESS: temporalAddress, NODE_ENV: 'production' },
      stdio: 'ignore',
    },
  );
  try {
    for (;;) {
      let status: number | undefined;
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`, {
          method: 'POST',
          headers: sample.headers,
          ...(sample.body ? { body: sample.body } : {}),
        });
        await response.body?.cancel();
        status = response.status;
      } catch (error) {
        // Not listening yet: try again shortly.
        if (performance.now() - started > 30_000)
          throw new Error(`${fn.name} did not answer within 30 s`, { cause: error });
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      if (status >= 200 && status < 300) return performance.now() - started;
      throw new Error(`${fn.name} answered ${status}`);
    }
  } finally {
    child.kill('SIGTERM');
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 5;
  const { functions: built } = await buildFunctions({ outDir: join(ROOT, 'dist/functions') });
  const executable = process.env.TEMPORAL_CLI_PATH;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(executable ? { executable: { type: 'existing-path' as const, path: executable } } : {}),
      log: { format: 'pretty', level: 'error' },
    },
  });
  try {
    console.log(
      `cold start, process spawn to first 2xx (median of ${runs}, ${process.platform} ${process.arch}, Node ${process.versions.node})`,
    );
    console.log('function   bundle            no Temporal call   with signal-with-start/start');
    const baseline: number[] = [];
    for (let i = 0; i < runs; i++)
      baseline.push(await coldStart(baselineFunction(), 'local', i, env.address));
    console.log(
      `${'(empty)'.padEnd(10)} ${'-'.padEnd(17)} ${`${median(baseline).toFixed(0)} ms`.padEnd(18)} -   (the framework alone)`,
    );
    for (const fn of built) {
      const local: number[] = [];
      const remote: number[] = [];
      for (let i = 0; i < runs; i++) {
        local.push(await coldStart(fn, 'local', i, env.address));
        remote.push(await coldStart(fn, 'temporal', i, env.address));
      }
      console.log(
        `${fn.name.padEnd(10)} ${`${(fn.bytes / 1024).toFixed(0)} KiB (${(fn.gzipBytes / 1024).toFixed(0)} gz)`.padEnd(17)} ${`${median(local).toFixed(0)} ms`.padEnd(18)} ${median(remote).toFixed(0)} ms`,
      );
    }
  } finally {
    await env.teardown();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
