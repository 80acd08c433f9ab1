/**
 * `prodops gateway` as it is deployed: a process of its own against a Temporal server, writing
 * JSON lines and serving Prometheus metrics at PRODOPS_METRICS_ADDRESS, prodops' delivery
 * counters beside the Temporal Runtime's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jiraDelivery, sendVendorRequest, type VendorRequest } from '../../sandbox/simulate/vendor-events';
import { secretsAsEnv } from '../../triggers/secrets';
import { EXAMPLE_CONFIG_PATH, loadExampleConfig } from '../helpers/config';
import { eventually } from '../helpers/eventually';
import { freePort } from '../../runtime/ports';
import { createDevServerEnv, uniqueId } from '../helpers/temporal';
import { ANA, SECRETS } from '../triggers/fixtures';

const bin = fileURLToPath(new URL('../../bin/prodops.js', import.meta.url));

function issueCreated(key: string, secret: string): VendorRequest {
  const fields = loadExampleConfig().integrations.jira.fields;
  return jiraDelivery(
    {
      timestamp: Date.now(),
      webhookEvent: 'jira:issue_created',
      issue_event_type_name: 'issue_created',
      user: { accountId: ANA },
      issue: {
        id: String(Math.floor(Math.random() * 1e9)),
        key,
        fields: {
          summary: 'Metrics',
          project: { key: 'REL' },
          issuetype: { name: 'Task', subtask: false },
          assignee: { accountId: ANA },
          [fields.tier!]: { value: '2' },
          [fields.launchDate!]: '2027-06-01',
        },
      },
    },
    secret,
  );
}

/** The value of a Prometheus sample whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const present = Object.entries(labels).every(([k, v]) => line.slice(0, close).includes(`${k}="${v}"`));
    if (present) return Number(line.slice(close + 1).trim());
  }
  return undefined;
}

let env: TestWorkflowEnvironment;
let gateway: ChildProcess;
let lines: Record<string, unknown>[] = [];
let gatewayUrl: string;
let metricsUrl: string;

beforeAll(async () => {
  env = await createDevServerEnv();
  const [port, metricsPort] = [await freePort(), await freePort()];
  gatewayUrl = `http://127.0.0.1:${port}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  gateway = spawn(
    process.execPath,
    [bin, 'gateway', '--config', EXAMPLE_CONFIG_PATH, '--port', String(port)],
    {
      env: {
        ...process.env,
        ...secretsAsEnv(SECRETS),
        PRODOPS_TEMPORAL_ADDRESS: env.address,
        PRODOPS_TEMPORAL_NAMESPACE: env.namespace ?? 'default',
        PRODOPS_TEMPORAL_TASK_QUEUE: uniqueId('gateway-telemetry'),
        PRODOPS_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        PRODOPS_PUBLIC_URL: 'https://prodops.example',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let pending = '';
  gateway.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete.filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  await eventually(
    async () => lines.some((l) => String(l.message).startsWith('gateway at')),
    'the gateway to listen',
    60_000,
  );
});

afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once('exit', resolve));
    gateway.kill('SIGTERM');
    await exited;
  }
  await env?.teardown();
});

describe('prodops gateway', () => {
  it('counts deliveries per vendor and outcome beside the Runtime metrics, and logs each with its delivery id', async () => {
    lines = lines.filter((l) => !('outcome' in l));
    const key = `REL-${Math.floor(Math.random() * 90_000) + 10_000}`;
    const delivery = issueCreated(key, SECRETS.jira[0]!);
    expect((await sendVendorRequest(gatewayUrl, delivery)).status).toBe(200);
    expect((await sendVendorRequest(gatewayUrl, delivery)).status).toBe(200);
    expect((await sendVendorRequest(gatewayUrl, issueCreated(key, 'not-the-secret-0123456789'))).status).toBe(
      401,
    );

    const text = await eventually(async () => {
      const scraped = await (await fetch(metricsUrl)).text();
      return sample(scraped, 'prodops_deliveries_total', { outcome: 'refused' }) === 1 && scraped;
    }, 'the refusal to be counted');
    expect(sample(text, 'prodops_deliveries_total', { vendor: 'jira', outcome: 'accepted' })).toBe(1);
    expect(sample(text, 'prodops_deliveries_total', { vendor: 'jira', outcome: 'duplicate' })).toBe(1);
    expect(
      sample(text, 'prodops_deliveries_total', { vendor: 'jira', outcome: 'refused', status: '401' }),
    ).toBe(1);
    expect(
      sample(text, 'prodops_delivery_duration_seconds_count', { vendor: 'jira', outcome: 'accepted' }),
    ).toBe(1);
    // The client's own requests to Temporal, measured by the Runtime.
    expect(
      sample(text, 'temporal_request_total', { operation: 'SignalWithStartWorkflowExecution' }),
    ).toBeGreaterThanOrEqual(1);

    const outcomes = lines.filter((l) => 'outcome' in l);
    expect(outcomes.map((l) => [l.severity, l.vendor, l.outcome])).toEqual([
      ['INFO', 'jira', 'accepted'],
      ['INFO', 'jira', 'duplicate'],
      ['WARNING', 'jira', 'refused'],
    ]);
    const accepted = outcomes[0]!;
    expect(accepted).toMatchObject({
      service: 'prodops-gateway',
      status: 200,
      workflowIds: [`release:${key}`],
    });
    expect(typeof accepted.deliveryId).toBe('string');
    expect(outcomes[1]!.deliveryId).toBe(accepted.deliveryId);
  });
});
