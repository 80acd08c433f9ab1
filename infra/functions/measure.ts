/**
 * Size and cold start of each bundled function, beside the Functions Framework alone.
 *
 * Cold start is the time from spawning a Functions Framework process on the bundle to its first
 * 2xx answer, for two kinds of first request: one the function answers without Temporal (a Jira
 * event it ignores, a Notion event about a data source it does not route, a Calendar sync message) and one that reaches Temporal
 * (a local dev server) with a signal-with-start or start. The bare framework (a function that
 * answers at once) is measured in the same rounds, interleaved with the functions, so that a busy
 * machine slows both alike; the ratio is what the figures are for. Beside each wall time, the CPU
 * time the process used until then (from /proc), which a busy machine disturbs much less.
 *
 * The bundles are built as they deploy, and their compile cache made as the runtime's build
 * makes it (`npm run gcp-build` in each bundle: see compile-cache.ts).
 *
 *   npx tsx infra/functions/measure.ts [--runs N] [--steps]
 *
 * --steps  also measures the jira function built each way from the first bundles to today's, one
 *          change at a time (infra/functions/build.ts, BundleShape), and today's unminified.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseOrgConfig, type OrgConfig } from '../../domain/config';
import { buildFunctions, DEPLOYED_SHAPE, type BuiltFunction, type BundleShape } from './build';
import { COMPILE_CACHE_DIR } from './compile-cache';
import { freePort } from '../../runtime/ports';
import type { TriggerName } from '../../triggers/endpoints';
import { channelIdBase } from '../../contracts/node/channels';
import {
  calendarPush,
  jiraDelivery,
  notionDelivery,
  notionPageEvent,
  insightDelivery,
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
  PRODOPS_INSIGHTS_SECRETS: 'measure-insights-secret-0123456789',
};
const CLOCK_TICKS_PER_SECOND = 100;

type RequestKind = 'local' | 'temporal';

interface Sample {
  wallMs: number;
  /** User and system CPU of the process until its first 2xx; undefined where /proc is not there. */
  cpuMs: number | undefined;
}

interface Candidate {
  label: string;
  /** The function the request is for; the bare framework answers anything. */
  trigger: TriggerName | 'baseline';
  dir: string;
  bytes?: number;
  gzipBytes?: number;
  startBytes?: number;
  files?: number;
}

let example: OrgConfig | undefined;
const exampleConfig = (): OrgConfig =>
  (example ??= parseOrgConfig(readFileSync(join(ROOT, 'prodops.config.example.yaml'), 'utf8')));

/** A first request per function: `local` needs no Temporal, `temporal` reaches it. */
function request(name: TriggerName, kind: RequestKind, n: number): VendorRequest {
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
    // Signed, about a row of a data source prodops does not route: answered without Temporal.
    // (The handshake is no longer one: it is refused once a token is configured.)
    if (kind === 'local')
      return notionDelivery(
        notionPageEvent({
          type: 'page.properties_updated',
          pageId: '1f2e3d4c-5b6a-4789-8abc-def012345678',
          parent: {
            id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
            type: 'data_source_id',
            data_source_id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
          },
        }),
        SECRETS.PRODOPS_NOTION_VERIFICATION_TOKENS,
      );
    const event = notionPageEvent({
      type: 'page.properties_updated',
      pageId: '1f2e3d4c-5b6a-4789-8abc-def012345678',
      parent: { id: config.integrations.notion.dataSources.enablementBundles!, type: 'database' },
    });
    return notionDelivery(event, SECRETS.PRODOPS_NOTION_VERIFICATION_TOKENS);
  }
  if (name === 'insights') {
    const insight = {
      source: 'measure',
      externalId: `cold-${n}`,
      account: 'Acme Corp',
      segment: 'enterprise',
      text: 'Cold start of the insights function',
    };
    // Every signed insight reaches the backlog: this function has no first 2xx without Temporal.
    if (kind === 'local') throw new Error('the insights function answers no delivery without Temporal');
    return insightDelivery(insight, SECRETS.PRODOPS_INSIGHTS_SECRETS);
  }
  const channelId = channelIdBase(`measure:${n}:${Math.random()}`, Math.floor(Date.now() / 1000) + 3600);
  return calendarPush({
    channelId,
    calendarId: 'ana@northwind.example',
    messageNumber: kind === 'local' ? 1 : 2,
    state: kind === 'local' ? 'sync' : 'exists',
    token: tokenForChannel(SECRETS.PRODOPS_CALENDAR_CHANNEL_SECRET, channelId, 'ana@northwind.example'),
  });
}

/** A function that answers at once: what the framework and Node cost before any prodops code. */
function baselineFunction(): Candidate {
  const dir = join(ROOT, 'dist/functions/_baseline');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.js'),
    "import { http } from '@google-cloud/functions-framework';\nhttp('baseline', (req, res) => res.status(200).send('{}'));\n",
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', main: 'index.js' }));
  return { label: 'Functions Framework alone', trigger: 'baseline', dir };
}

function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function coldStart(
  candidate: Candidate,
  kind: RequestKind,
  n: number,
  temporalAddress: string,
): Promise<Sample> {
  const port = await freePort();
  const sample: VendorRequest =
    candidate.trigger === 'baseline'
      ? { path: '/jira', headers: {}, body: '' }
      : request(candidate.trigger, kind, n);
  const target = candidate.trigger === 'baseline' ? 'baseline' : candidate.trigger;
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [FRAMEWORK, `--target=${target}`, `--source=${candidate.dir}`, `--port=${port}`],
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
          throw new Error(`${candidate.label} did not answer within 30 s`, { cause: error });
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      if (status >= 200 && status < 300)
        return { wallMs: performance.now() - started, cpuMs: cpuMsOf(child.pid) };
      throw new Error(`${candidate.label} answered ${status}`);
    }
  } finally {
    // SIGKILL: a process that exits normally writes to its compile cache, and every run must
    // start from the cache the runtime's build made, as every new instance does.
    child.kill('SIGKILL');
  }
}

/** What `npm run gcp-build` does in the bundle on Google Cloud: see compile-cache.ts. */
function makeCompileCache(dir: string): void {
  rmSync(join(dir, COMPILE_CACHE_DIR), { recursive: true, force: true });
  const run = spawnSync(process.execPath, ['compile-cache.mjs'], { cwd: dir, encoding: 'utf8' });
  if (run.status !== 0 || !run.stdout.startsWith('compile cache: '))
    throw new Error(`compile-cache.mjs in ${dir}: ${run.stdout}${run.stderr}`);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

interface Measured {
  candidate: Candidate;
  local: Sample[];
  temporal: Sample[];
}

/** Every candidate, `runs` rounds, the bare framework first in each round. */
async function measure(candidates: Candidate[], runs: number, address: string): Promise<Measured[]> {
  const results = candidates.map((candidate) => ({
    candidate,
    local: [] as Sample[],
    temporal: [] as Sample[],
  }));
  for (let i = 0; i < runs; i++) {
    for (const result of results) {
      if (result.candidate.trigger !== 'insights')
        result.local.push(await coldStart(result.candidate, 'local', i, address));
      if (result.candidate.trigger !== 'baseline')
        result.temporal.push(await coldStart(result.candidate, 'temporal', i, address));
    }
  }
  return results;
}

const kib = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en')} KiB`;

function describe(samples: Sample[], baseline: Sample[]): string {
  if (samples.length === 0) return '-';
  const wall = median(samples.map((s) => s.wallMs));
  const ratio = wall / median(baseline.map((s) => s.wallMs));
  const cpus = samples.map((s) => s.cpuMs).filter((c): c is number => c !== undefined);
  const baseCpus = baseline.map((s) => s.cpuMs).filter((c): c is number => c !== undefined);
  const cpu =
    cpus.length > 0 && baseCpus.length > 0
      ? `, CPU ${median(cpus).toFixed(0)} ms ${(median(cpus) / median(baseCpus)).toFixed(2)}×`
      : '';
  return `${wall.toFixed(0)} ms ${ratio.toFixed(2)}×${cpu}`;
}

function print(results: Measured[]): void {
  const baseline = results.find((r) => r.candidate.trigger === 'baseline')!;
  const rows = results.map((r) => {
    const c = r.candidate;
    const size =
      c.bytes === undefined
        ? '-'
        : `${kib(c.bytes)} in ${c.files} files (${kib(c.gzipBytes!)} gz), ${kib(c.startBytes!)} at start`;
    return [
      c.label,
      size,
      describe(r.local, baseline.local),
      c.trigger === 'baseline' ? '-' : describe(r.temporal, baseline.local),
    ];
  });
  const header = ['', 'bundle', 'first 2xx, no Temporal call', 'first 2xx, signal-with-start or start'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

const candidateOf = (label: string, fn: BuiltFunction): Candidate => ({
  label,
  trigger: fn.name,
  dir: fn.dir,
  bytes: fn.bytes,
  gzipBytes: fn.gzipBytes,
  startBytes: fn.startBytes,
  files: fn.files.length,
});

/** From the bundles as first made to today's, one change at a time; the last rows are today's. */
const FIRST_SHAPE: BundleShape = {
  minify: true,
  configSnapshot: false,
  trimTemporal: false,
  triggerMethodsOnly: false,
  leanClient: false,
  lazyTemporal: false,
};
const STEPS: { label: string; shape: BundleShape; compileCache: boolean }[] = [
  { label: 'as first bundled', shape: FIRST_SHAPE, compileCache: false },
  {
    label: '+ configuration as data',
    shape: { ...FIRST_SHAPE, configSnapshot: true },
    compileCache: false,
  },
  {
    label: '+ Temporal definitions trimmed',
    shape: { ...FIRST_SHAPE, configSnapshot: true, trimTemporal: true },
    compileCache: false,
  },
  {
    label: '+ client after verification',
    shape: { ...FIRST_SHAPE, configSnapshot: true, trimTemporal: true, lazyTemporal: true },
    compileCache: false,
  },
  {
    label: '+ compile cache',
    shape: { ...FIRST_SHAPE, configSnapshot: true, trimTemporal: true, lazyTemporal: true },
    compileCache: true,
  },
  {
    label: "+ only the triggers' methods",
    shape: { ...DEPLOYED_SHAPE, leanClient: false },
    compileCache: true,
  },
  { label: '+ workflow client alone (deployed)', shape: DEPLOYED_SHAPE, compileCache: true },
  { label: 'deployed, not minified', shape: { ...DEPLOYED_SHAPE, minify: false }, compileCache: true },
];

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 5;
  const steps = process.argv.includes('--steps');
  const { functions: built } = await buildFunctions({ outDir: join(ROOT, 'dist/functions') });
  for (const fn of built) makeCompileCache(fn.dir);
  const candidates: Candidate[] = [baselineFunction(), ...built.map((fn) => candidateOf(fn.name, fn))];
  const stepCandidates: Candidate[] = [baselineFunction()];
  if (steps) {
    for (const [i, step] of STEPS.entries()) {
      const {
        functions: [fn],
      } = await buildFunctions({
        outDir: join(ROOT, `dist/functions-steps/${i}`),
        only: ['jira'],
        shape: step.shape,
      });
      if (step.compileCache) makeCompileCache(fn!.dir);
      stepCandidates.push(candidateOf(`jira ${step.label}`, fn!));
    }
  }
  const executable = process.env.TEMPORAL_CLI_PATH;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(executable ? { executable: { type: 'existing-path' as const, path: executable } } : {}),
      log: { format: 'pretty', level: 'error' },
    },
  });
  try {
    const where = `${process.platform} ${process.arch}, Node ${process.versions.node}`;
    console.log(`cold start, process spawn to first 2xx: median of ${runs} (${where});`);
    console.log('× is the ratio to the Functions Framework alone, measured in the same rounds\n');
    print(await measure(candidates, runs, env.address));
    if (steps) {
      console.log('\nthe jira function, one change at a time:\n');
      print(await measure(stepCandidates, runs, env.address));
    }
  } finally {
    await env.teardown();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
