/**
 * The trigger gateway under load, as deployed: `prodops gateway` and `prodops worker` as
 * processes of their own against a local Temporal dev server, the worker on the sandbox APIs,
 * all on the same cores (as on a small instance). Signed Jira webhooks are sent by autocannon
 * from this process, which also serves the sandbox.
 *
 *   0. the same, to a task queue no worker polls: the gateway and Temporal alone;
 *   1. updates of 1,000 distinct issues: each one a new release workflow (signal-with-start);
 *   2. 1,000 updates of one issue: each a signal to the same running workflow;
 *   3. one delivery repeated 1,000 times: answered by the gateway's delivery cache;
 *   4. the 1,300 releases started on the unpolled queue (warm-up and phase 0) run to their first
 *      deadline by a worker of their own whose vendor rate limits are lifted: the configured
 *      limits spread a release's first calls over minutes in phase 1, so this is where the whole
 *      cost of running a new release is counted.
 *
 * Every issue a delivery names exists in the sandbox's Jira first, as it would in Jira: a release
 * for an issue Jira does not know is refused at its first call, and logging that would be counted
 * as the worker's cost of a release.
 *
 * Prints requests per second, p50 and p99 latency and failures per phase, and where the CPU went:
 * CPU seconds per 1,000 requests (phase 4: per 1,000 releases) of the dev server, the worker, the
 * gateway and this process (sandbox and load generator), read from /proc, so that runs on a busy
 * machine still compare; then the sum per new release (phase 0's ingress plus phase 4), and what
 * a new release puts in Temporal's history until its first deadline timer. The load average is
 * printed with the figures.
 *
 *   npm run bench:gateway
 *   PRODOPS_BENCH_CPU_PROF=/tmp/prof npm run bench:gateway   # V8 CPU profiles of the worker and the gateway
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { jiraDelivery, type JiraWebhookPayload } from '../sandbox/simulate/vendor-events';
import { secretsAsEnv } from '../triggers/secrets';
import { EXAMPLE_CONFIG_PATH, loadExampleConfig } from '../test/helpers/config';
import { childProcesses, cpuSecondsOf, spawnProdops, type ProdopsProcess } from '../test/helpers/processes';
import { startStack } from '../test/helpers/stack';
import { freePort } from '../runtime/ports';
import type { Sandbox } from '../sandbox/index';
import { SECRETS } from '../test/triggers/fixtures';

/** n8n 2.41.1, webhook to NoOp on SQLite with its legacy expression engine, measured on this machine. */
const N8N_BEST_HERE = 109;
const GOAL_STARTS_PER_SECOND = 220;
const GOAL_P99_MS = 250;
const REQUESTS = 1_000;
const WARM_UP_REQUESTS = 300;
/** How long phase 4 may take before the bench gives up on it (a busy machine). */
const PHASE_4_LIMIT_MS = 600_000;
const CONNECTIONS = 16;

interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
interface AutocannonResult {
  latency: Histogram;
  requests: Histogram & { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  amount: number;
  requests: (AutocannonRequest & { setupRequest?: (req: AutocannonRequest) => AutocannonRequest })[];
}) => Promise<AutocannonResult>;

// autocannon ships no type declarations; the shape used here is its documented API.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const config = loadExampleConfig();
const fields = config.integrations.jira.fields;
const taskQueue = `bench-gateway-${Date.now()}`;

Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });

/** Ana, a PM of the example organisation, who makes the benchmark's issues and changes their tier. */
const PM_ACCOUNT = '5f1a00000000000000000ana';

/** A tier change of one issue, as Jira sends it. */
function tierUpdate(key: string, at: number): JiraWebhookPayload {
  return {
    timestamp: at,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: { accountId: PM_ACCOUNT, displayName: 'Ana Costa' },
    issue: {
      id: key.replace(/\D/g, ''),
      key,
      fields: {
        summary: `Benchmark release ${key}`,
        project: { key: 'REL' },
        issuetype: { name: 'Task', subtask: false },
        status: { name: 'In Progress' },
        assignee: { accountId: PM_ACCOUNT },
        [fields.tier!]: { value: '3' },
        [fields.launchDate!]: '2027-06-01',
      },
    },
    changelog: {
      id: String(at),
      items: [
        {
          field: 'Tier',
          fieldtype: 'custom',
          fieldId: fields.tier!,
          from: '10601',
          fromString: '2',
          to: '10602',
          toString: '3',
        },
      ],
    },
  };
}

/** Signed with the development secret the stack's gateway verifies. */
function request(payload: JiraWebhookPayload, identifier?: string): AutocannonRequest {
  const delivery = jiraDelivery(payload, SECRETS.jira[0]!, identifier);
  return { method: 'POST', path: delivery.path, headers: delivery.headers, body: delivery.body };
}

/** CPU seconds so far of each process the figures are split by. */
type Split = Record<'server' | 'worker' | 'gateway' | 'bench', number>;

interface Row {
  phase: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** CPU seconds per 1,000 answered requests, by process. */
  cpu: Split;
}

async function run(
  url: string,
  phase: string,
  next: () => AutocannonRequest,
  amount = REQUESTS,
): Promise<Omit<Row, 'cpu'> & { answered: number }> {
  const began = performance.now();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    requests: [{ method: 'POST', path: '/jira', setupRequest: () => next() }],
  });
  // autocannon's own duration is in whole seconds: 1,000 requests in 7.4 s would read 143/s.
  const seconds = (performance.now() - began) / 1000;
  return {
    phase,
    rps: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    answered: result['2xx'] + result.non2xx,
  };
}

const PROFILE_DIR = process.env.PRODOPS_BENCH_CPU_PROF?.trim() || undefined;

/** `prodops <command>` against the dev server, as the compose file runs it, profiled when asked. */
async function startProcess(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  configPath = EXAMPLE_CONFIG_PATH,
): Promise<ProdopsProcess> {
  const profile: Record<string, string> = PROFILE_DIR
    ? // One file per thread (the worker runs workflows in threads of their own), named by process.
      { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${resolve(PROFILE_DIR, name)}` }
    : {};
  const child = spawnProdops(name, [...args, '--config', configPath], {
    env: { ...env, ...profile },
    log: (line) => {
      // JSON lines at INFO are the processes' normal output; only problems are shown.
      const text = line.slice(name.length + 2);
      if (!text.startsWith('{') || !/"severity":"(INFO|DEBUG)"/.test(text)) console.error(line);
    },
  });
  await child.waitFor(ready, 180_000);
  return child;
}

async function main(): Promise<void> {
  // The dev server and the sandbox run here; prodops' own processes are started as deployed.
  const stack = await startStack({
    temporal: 'dev-server',
    // The server complains about writes cut short when it stops under load; the table says what failed.
    serverLog: 'never',
    config,
    sandbox: true,
    workflows: false,
    taskQueue,
  });
  const { env } = stack;
  const children: ProdopsProcess[] = [];
  try {
    const serverPid = childProcesses(process.pid, 'start-dev')[0];
    if (serverPid === undefined) throw new Error('could not find the dev server among the child processes');
    if (PROFILE_DIR)
      for (const name of ['worker', 'gateway', 'gateway-unpolled', 'worker-unlimited'])
        mkdirSync(resolve(PROFILE_DIR, name), { recursive: true });
    const common = {
      ...secretsAsEnv(SECRETS),
      PRODOPS_TEMPORAL_ADDRESS: env.address,
      PRODOPS_TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      PRODOPS_SANDBOX_URL: stack.sandbox.url,
    };
    const [gatewayPort, unpolledPort] = [await freePort(), await freePort()];
    const gatewayArgs = (port: number) => ['gateway', '--port', String(port), '--no-dashboard'];
    const gatewayReady = /gateway at http/;
    const [worker, gateway, unpolled] = await Promise.all([
      startProcess(
        'worker',
        ['worker'],
        { ...common, PRODOPS_TEMPORAL_TASK_QUEUE: taskQueue },
        /worker polling/,
      ),
      startProcess(
        'gateway',
        gatewayArgs(gatewayPort),
        { ...common, PRODOPS_TEMPORAL_TASK_QUEUE: taskQueue },
        gatewayReady,
      ),
      // The same gateway, but starting workflows on a queue nobody polls: what the ingress costs alone.
      startProcess(
        'gateway-unpolled',
        gatewayArgs(unpolledPort),
        { ...common, PRODOPS_TEMPORAL_TASK_QUEUE: `${taskQueue}-unpolled` },
        gatewayReady,
      ),
    ]);
    children.push(worker, gateway, unpolled);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const unpolledUrl = `http://127.0.0.1:${unpolledPort}`;

    const split = (front: ProdopsProcess): Split => ({
      server: cpuSecondsOf(serverPid),
      worker: worker.cpuSeconds(),
      gateway: front.cpuSeconds(),
      bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    });
    const perThousand = (before: Split, after: Split, count: number): Split => {
      const per = (key: keyof Split) => ((after[key] - before[key]) * 1000) / Math.max(1, count);
      return { server: per('server'), worker: per('worker'), gateway: per('gateway'), bench: per('bench') };
    };
    const measured = async (
      url: string,
      front: ProdopsProcess,
      phase: string,
      next: () => AutocannonRequest,
    ) => {
      const before = split(front);
      const result = await run(url, phase, next);
      return { ...result, cpu: perThousand(before, split(front), result.answered) };
    };

    const issues = releaseIssues(stack.sandbox, WARM_UP_REQUESTS + 2 * REQUESTS + 2);
    const next = (count: number) => issues.splice(0, count);
    const [warmKeys, aloneKeys, distinctKeys] = [next(WARM_UP_REQUESTS), next(REQUESTS), next(REQUESTS)];
    const [oneIssue, repeatedIssue] = next(2) as [string, string];

    // Warm-up (JIT, connection pools), on the unpolled queue so that the worker stays idle for phase 0.
    let warm = 0;
    await run(
      unpolledUrl,
      'warm-up',
      () => request(tierUpdate(warmKeys[warm++ % warmKeys.length]!, Date.now())),
      WARM_UP_REQUESTS,
    );
    // The worker bundles and warms up on start; let it settle first.
    await untilIdle(worker, 10_000);

    let alone = 0;
    const rows: Row[] = [];
    rows.push(
      await measured(unpolledUrl, unpolled, `${REQUESTS} distinct issues, no worker polling`, () =>
        request(tierUpdate(aloneKeys[alone++ % aloneKeys.length]!, Date.now())),
      ),
    );
    let distinct = 0;
    const loadDuringStarts = loadavg()[0]!;
    rows.push(
      await measured(gatewayUrl, gateway, `${REQUESTS} distinct issues (signal-with-start)`, () =>
        request(tierUpdate(distinctKeys[distinct++ % distinctKeys.length]!, Date.now())),
      ),
    );
    rows.push(
      await measured(gatewayUrl, gateway, `one issue, ${REQUESTS} updates (signal)`, () =>
        request(tierUpdate(oneIssue, Date.now())),
      ),
    );
    const repeated = request(tierUpdate(repeatedIssue, Date.now()), 'the-same-delivery');
    rows.push(await measured(gatewayUrl, gateway, `one delivery ${REQUESTS} times (dedup)`, () => repeated));

    // Visibility trails the starts by a moment.
    const query = `WorkflowType = "releaseWorkflow" AND TaskQueue = "${taskQueue}"`;
    let started = await env.client.workflow.count(query);
    // Phase 1's releases, and the one issue of phases 2 and 3 each.
    for (let i = 0; i < 50 && started.count < REQUESTS + 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      started = await env.client.workflow.count(query);
    }

    // Phase 4: what running a new release costs, all of it. The vendors' rate limits spread a
    // release's first calls over minutes above, so the workflows started on the unpolled queue
    // (warm-up and phase 0) are now run to their first deadline by a worker whose limits are
    // lifted (the sandbox does not need them), with the first worker stopped.
    await worker.stop(20_000);
    const pendingStarts = WARM_UP_REQUESTS + REQUESTS;
    const unlimitedConfig = join(mkdtempSync(join(tmpdir(), 'prodops-bench-')), 'prodops.config.yaml');
    const configText = parseDocument(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'));
    configText.setIn(['integrations', 'rateLimits'], { jira: 1000, notion: 1000, google: 1000 });
    writeFileSync(unlimitedConfig, configText.toString());
    const unlimited = await startProcess(
      'worker-unlimited',
      ['worker'],
      { ...common, PRODOPS_TEMPORAL_TASK_QUEUE: `${taskQueue}-unpolled` },
      /worker polling/,
      unlimitedConfig,
    );
    children.push(unlimited);
    const runSplit = (): Split => ({
      server: cpuSecondsOf(serverPid),
      worker: unlimited.cpuSeconds(),
      gateway: 0,
      bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    });
    const beforeRun = runSplit();
    // A release indexes its search attributes at the end of its first reconcile, right before it
    // waits for its first deadline: counted in visibility, that is how many got there.
    const settledQuery = `WorkflowType = "releaseWorkflow" AND TaskQueue = "${taskQueue}-unpolled" AND ReleaseTier IS NOT NULL`;
    const began = Date.now();
    let settled = 0;
    while (Date.now() - began < PHASE_4_LIMIT_MS) {
      await new Promise((r) => setTimeout(r, 1000));
      settled = (await env.client.workflow.count(settledQuery)).count;
      if (settled >= pendingStarts) break;
    }
    // The last ones' final workflow tasks finish after their attributes are indexed.
    await untilIdle(unlimited, 10_000);
    const ranFor = Date.now() - began;
    const running = perThousand(beforeRun, runSplit(), Math.max(1, settled));
    const cost = await startCost(
      env.client,
      aloneKeys.slice(0, 20).map((key) => `release:${key}`),
    );

    const cores = availableParallelism();
    const [one, five, fifteen] = loadavg().map((l) => l.toFixed(2));
    console.log(
      `trigger gateway, ${CONNECTIONS} connections, ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.versions.node}`,
    );
    console.log(
      `load average ${one} ${five} ${fifteen} at the end, ${loadDuringStarts.toFixed(2)} when phase 1 began: rates compare only between runs on an equally quiet machine, CPU seconds per 1,000 across runs`,
    );
    const cpuHeader = ['server', 'worker', 'gateway', 'bench', 'prodops'].map((h) => h.padStart(8)).join('');
    console.log(
      `${'phase'.padEnd(42)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)} ${'non-2xx'.padStart(8)}  CPU s per 1,000:${cpuHeader}`,
    );
    const cpuCells = (cpu: Split) =>
      [cpu.server, cpu.worker, cpu.gateway, cpu.bench, cpu.server + cpu.worker + cpu.gateway]
        .map((v) => v.toFixed(2).padStart(8))
        .join('');
    for (const row of rows)
      console.log(
        `${row.phase.padEnd(42)} ${row.rps.toFixed(0).padStart(7)} ${row.p50.toFixed(0).padStart(7)} ${row.p99.toFixed(0).padStart(7)} ${String(row.errors).padStart(7)} ${String(row.non2xx).padStart(8)}  ${''.padEnd(16)}${cpuCells(row.cpu)}`,
      );
    console.log(
      `${`${settled} of ${pendingStarts} from phase 0/warm-up, run`.padEnd(42)} ${`in ${(ranFor / 1000).toFixed(1)} s`.padStart(31)} ${' '.repeat(8)}  ${''.padEnd(16)}${cpuCells(running)}`,
    );
    const ingress = rows[0]!.cpu;
    const whole = ingress.server + ingress.gateway + running.server + running.worker;
    console.log(
      `prodops CPU per 1,000 new releases, ingress (phase 0) plus running them to their first deadline (phase 4): ${whole.toFixed(2)} s = server ${(ingress.server + running.server).toFixed(2)}, worker ${running.worker.toFixed(2)}, gateway ${ingress.gateway.toFixed(2)}`,
    );
    console.log(
      '(server: the Temporal dev server; bench: this process, i.e. the sandbox APIs and autocannon; prodops: server + worker + gateway; phase 4: a worker without vendor rate limits)',
    );
    const per = (total: number) => (total / Math.max(1, cost.settled)).toFixed(1);
    console.log(
      `a new release until its first deadline timer (${cost.settled} of ${cost.sampled} sampled from phase 0 got there): ${per(cost.events)} history events, ${per(cost.workflowTasks)} workflow tasks, ${per(cost.activities)} activities, ${per(cost.localActivities)} local activities, ${per(cost.payloadBytes)} payload bytes`,
    );
    const ours = rows[1]!.rps;
    console.log(
      `release workflows started by phases 1 to 3 (and run by the worker meanwhile): ${started.count} of ${REQUESTS + 2}`,
    );
    if (settled < pendingStarts)
      console.log(
        `phase 4 was cut short after ${PHASE_4_LIMIT_MS / 1000} s with ${settled} of ${pendingStarts} releases at their first deadline: its figures per release are too high (the others had started)`,
      );
    console.log(
      `new releases per second end to end with the worker running: ${ours.toFixed(0)}, p99 ${rows[1]!.p99.toFixed(0)} ms (goal: ${GOAL_STARTS_PER_SECOND}/s, p99 ≤ ${GOAL_P99_MS} ms); n8n's best here was ${N8N_BEST_HERE}/s: ${(ours / N8N_BEST_HERE).toFixed(2)}×`,
    );
  } finally {
    // Stopped gently, so that a profiled process writes its profile.
    await Promise.all(children.map((child) => child.stop(20_000)));
    await stack.stop();
    if (PROFILE_DIR)
      console.log(`CPU profiles in ${resolve(PROFILE_DIR)} (open in Chrome DevTools or speedscope)`);
  }
}

/**
 * `count` release issues made in the sandbox's Jira as a PM would make them (no webhook: the
 * bench sends its own), in the example's release project; their keys.
 */
function releaseIssues(sandbox: Sandbox, count: number): string[] {
  const { store } = sandbox.jira;
  return Array.from(
    { length: count },
    (_, i) =>
      store.createIssue(
        { project: { key: 'REL' }, issuetype: { name: 'Task' }, summary: `Benchmark release ${i + 1}` },
        [],
        PM_ACCOUNT,
        { silent: true },
      ).key,
  );
}

interface StartCost {
  sampled: number;
  settled: number;
  events: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  payloadBytes: number;
}

/** Bytes of every payload in a history event (inputs, results, markers, signals, memo). */
function payloadBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + payloadBytes(item), 0);
  if (value && typeof value === 'object')
    return Object.values(value).reduce((sum: number, item) => sum + payloadBytes(item), 0);
  return 0;
}

/**
 * What a new release costs Temporal until it first waits for a deadline (its first timer), from
 * the histories of `ids`: events, workflow tasks, activities and payload bytes, averaged over
 * those that got there.
 */
async function startCost(client: Client, ids: string[]): Promise<StartCost> {
  const cost: StartCost = {
    sampled: ids.length,
    settled: 0,
    events: 0,
    workflowTasks: 0,
    activities: 0,
    localActivities: 0,
    payloadBytes: 0,
  };
  for (const id of ids) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const events = history.events ?? [];
    const firstTimer = events.findIndex((e) => e.timerStartedEventAttributes);
    if (firstTimer < 0) continue;
    const upToTimer = events.slice(0, firstTimer + 1);
    cost.settled++;
    cost.events += upToTimer.length;
    cost.workflowTasks += upToTimer.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    cost.activities += upToTimer.filter((e) => e.activityTaskScheduledEventAttributes).length;
    cost.localActivities += upToTimer.filter(
      (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    ).length;
    cost.payloadBytes += payloadBytes(upToTimer);
  }
  return cost;
}

/** Waits until `child` uses under 5% of a core over half a second, or `maxMs`; returns the time waited. */
async function untilIdle(child: ProdopsProcess, maxMs: number): Promise<number> {
  const began = Date.now();
  let last = child.cpuSeconds();
  while (Date.now() - began < maxMs) {
    await new Promise((r) => setTimeout(r, 500));
    const now = child.cpuSeconds();
    if (now - last < 0.025) break;
    last = now;
  }
  return Date.now() - began;
}

await main();
