/**
 * PRODOPS_TRACING=otlp, end to end: a client and workers with the tracing plugin, as the gateway
 * and `prodops worker` make them, export one trace from the start of a workflow to its activity,
 * over OTLP/HTTP to the collector OTEL_EXPORTER_OTLP_ENDPOINT names.
 */
import { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../runtime/tracing';
import { createWorkers, runWorkers } from '../../workers/index';
import { delivered, type observedDelivery } from '../fixtures/observed-workflows';
import { NO_RATE_LIMITS } from '../helpers/stack';
import { createTimeSkippingEnv, uniqueId } from '../helpers/temporal';

const FIXTURE = fileURLToPath(new URL('../fixtures/observed-workflows.ts', import.meta.url));
const silentMeter = {
  createCounter: () => ({ add: () => {} }),
} as unknown as MetricMeter;

interface ExportedSpan {
  name: string;
  traceId: string;
}

let env: TestWorkflowEnvironment;
let collector: Server;
const spans: ExportedSpan[] = [];

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[];
        };
        for (const resource of body.resourceSpans)
          for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await env?.teardown();
  await new Promise((resolve) => collector?.close(resolve));
});

describe('PRODOPS_TRACING=otlp', () => {
  it('exports one trace from the start of a workflow through its activity', async () => {
    const previous = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const tracing = await startTracing('prodops-test', { PRODOPS_TRACING: 'otlp' });
    if (previous === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = previous;
    expect(tracing?.exporter).toBe('otlp');

    const taskQueue = uniqueId('tracing');
    const workers = await createWorkers({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowsPath: FIXTURE,
      activities: { jira: { lookUpIssue: async (key: string) => `issue ${key}` } },
      rateLimits: NO_RATE_LIMITS,
      telemetry: { meter: silentMeter, plugins: [tracing!.plugin] },
      overrides: { shutdownGraceTime: '1 second' },
    });
    const client = new Client({
      connection: env.connection,
      namespace: env.namespace ?? 'default',
      plugins: [tracing!.plugin],
    });
    const running = runWorkers(workers);
    try {
      const handle = await client.workflow.start<typeof observedDelivery>('observedDelivery', {
        taskQueue,
        workflowId: uniqueId('traced'),
        args: [taskQueue],
      });
      await handle.signal(delivered, { deliveryId: 'delivery-1', key: 'REL-1' });
      expect(await handle.result()).toBe('issue REL-1');
    } finally {
      workers.forEach((w) => w.shutdown());
      await running;
      await tracing!.shutdown();
    }

    const named = (prefix: string) => spans.find((s) => s.name.startsWith(prefix));
    const started = named('StartWorkflow:observedDelivery');
    const activity = named('RunActivity:lookUpIssue');
    expect(started, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(activity, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(activity!.traceId).toBe(started!.traceId);
    expect(named('RunWorkflow:observedDelivery')?.traceId).toBe(started!.traceId);
    // Bundling the workflows with the tracing interceptors takes most of it, and long on a busy machine.
  }, 240_000);
});
