/**
 * The trigger gateway under load: signed Jira webhooks through the gateway into a local
 * Temporal dev server, with the worker running on the sandbox APIs (so the started workflows
 * compete for the same two cores, as they would on a small instance).
 *
 *   0. the same, to a task queue no worker polls: the gateway and Temporal alone;
 *   1. updates of 1,000 distinct issues: each one a new release workflow (signal-with-start);
 *   2. 1,000 updates of one issue: each a signal to the same running workflow;
 *   3. one delivery repeated 1,000 times: answered by the gateway's delivery cache.
 *
 * Prints requests per second, p50 and p99 latency and failures, and compares the workflow
 * starts per second with n8n's published 220 executions per second (one instance, 2 vCPUs).
 *
 *   npm run bench:gateway
 */
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { jiraDelivery, type JiraWebhookPayload } from '../sandbox/simulate/vendor-events';
import { loadExampleConfig } from '../test/helpers/config';
import { startStack } from '../test/helpers/stack';
import { SECRETS } from '../test/triggers/fixtures';

const N8N_EXECUTIONS_PER_SECOND = 220;
const REQUESTS = 1_000;
const CONNECTIONS = 16;

interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
interface AutocannonResult {
  duration: number;
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

/** A tier change of one issue, as Jira sends it. */
function tierUpdate(key: string, at: number): JiraWebhookPayload {
  return {
    timestamp: at,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: { accountId: '5f1a00000000000000000ana', displayName: 'Ana Costa' },
    issue: {
      id: key.replace(/\D/g, ''),
      key,
      fields: {
        summary: `Benchmark release ${key}`,
        project: { key: 'REL' },
        issuetype: { name: 'Task', subtask: false },
        status: { name: 'In Progress' },
        assignee: { accountId: '5f1a00000000000000000ana' },
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

interface Row {
  phase: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function run(url: string, phase: string, next: () => AutocannonRequest): Promise<Row> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount: REQUESTS,
    requests: [{ method: 'POST', path: '/jira', setupRequest: () => next() }],
  });
  return {
    phase,
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  // The worker runs on the sandbox APIs, on the same cores as the gateway and Temporal.
  const stack = await startStack({
    temporal: 'dev-server',
    // The server complains about writes cut short when it stops under load; the table says what failed.
    serverLog: 'never',
    config,
    sandbox: true,
    workers: 'sandbox',
    gateway: true,
    gatewayLog: (line) => console.error(line),
    taskQueue,
  });
  const { env, gateway } = stack;
  try {
    // The same gateway, but starting workflows on a queue nobody polls: what the ingress costs alone.
    const unpolled = await stack.startGateway({ taskQueue: `${taskQueue}-unpolled` });

    // Warm-up (JIT, connection pools), on the unpolled queue so that the worker stays idle for phase 0.
    let warm = 0;
    await run(unpolled.url, 'warm-up', () => request(tierUpdate(`REL-${90_000 + warm++}`, Date.now())));

    let alone = 0;
    const rows: Row[] = [];
    rows.push(
      await run(unpolled.url, `${REQUESTS} distinct issues, no worker polling`, () =>
        request(tierUpdate(`REL-${400_000 + alone++}`, Date.now())),
      ),
    );
    let distinct = 0;
    rows.push(
      await run(gateway.url, `${REQUESTS} distinct issues (signal-with-start)`, () =>
        request(tierUpdate(`REL-${100_000 + distinct++}`, Date.now())),
      ),
    );
    rows.push(
      await run(gateway.url, `one issue, ${REQUESTS} updates (signal)`, () =>
        request(tierUpdate('REL-200000', Date.now())),
      ),
    );
    const repeated = request(tierUpdate('REL-300000', Date.now()), 'the-same-delivery');
    rows.push(await run(gateway.url, `one delivery ${REQUESTS} times (dedup)`, () => repeated));

    // Visibility trails the starts by a moment.
    const query = 'WorkflowType = "releaseWorkflow" AND WorkflowId STARTS_WITH "release:REL-1"';
    let started = await env.client.workflow.count(query);
    for (let i = 0; i < 50 && started.count < REQUESTS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      started = await env.client.workflow.count(query);
    }

    const cores = availableParallelism();
    console.log(
      `trigger gateway, ${CONNECTIONS} connections, ${cores} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.versions.node}`,
    );
    console.log(
      `${'phase'.padEnd(42)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)} ${'non-2xx'.padStart(8)}`,
    );
    for (const row of rows)
      console.log(
        `${row.phase.padEnd(42)} ${row.rps.toFixed(0).padStart(7)} ${row.p50.toFixed(0).padStart(7)} ${row.p99.toFixed(0).padStart(7)} ${String(row.errors).padStart(7)} ${String(row.non2xx).padStart(8)}`,
      );
    const ours = rows[1]!.rps;
    console.log(`release workflows started by phase 1 (and run by the worker meanwhile): ${started.count}`);
    console.log(
      `workflow executions started per second with the worker running: ${ours.toFixed(0)} here vs n8n's published ${N8N_EXECUTIONS_PER_SECOND} (single instance, 2 vCPUs): ${(ours / N8N_EXECUTIONS_PER_SECOND).toFixed(2)}×`,
    );
  } finally {
    await stack.stop();
  }
}

await main();
