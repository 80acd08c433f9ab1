/**
 * The workers as `prodops worker` makes them, with telemetry: the workflow interceptors are
 * bundled with the workflows and log each signal with the delivery it carries, and every vendor
 * call is counted on the meter by system and outcome.
 */
import type { MetricMeter, MetricTags } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultSinks, type Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorTypes } from '../../activities/errors';
import { createWorkers, runWorkers } from '../../workers/index';
import { delivered, type observedDelivery } from '../fixtures/observed-workflows';
import { NO_RATE_LIMITS } from '../helpers/stack';
import { createTimeSkippingEnv, uniqueId } from '../helpers/temporal';

const FIXTURE = fileURLToPath(new URL('../fixtures/observed-workflows.ts', import.meta.url));

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

describe('a deployed worker', () => {
  it('logs each signal with its delivery id and counts each vendor call by outcome', async () => {
    const counted: { name: string; value: number; tags: MetricTags }[] = [];
    const meter = {
      createCounter: (name: string) => ({
        name,
        add: (value: number, tags: MetricTags = {}) => counted.push({ name, value, tags }),
      }),
    } as unknown as MetricMeter;
    const lines: { message: string; meta: Record<string, unknown> | undefined }[] = [];
    const capture = (message: string, meta?: Record<string, unknown>) => lines.push({ message, meta });
    const taskQueue = uniqueId('telemetry');
    const workers: Worker[] = await createWorkers({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowsPath: FIXTURE,
      activities: {
        jira: {
          lookUpIssue: async (key: string) => {
            if (key === 'REL-404')
              throw ApplicationFailure.nonRetryable('404 from Jira', ErrorTypes.notFound);
            return `issue ${key}`;
          },
        },
      },
      rateLimits: NO_RATE_LIMITS,
      telemetry: { meter },
      overrides: {
        shutdownGraceTime: '1 second',
        sinks: defaultSinks({
          log: (_level, message, meta) => capture(message, meta),
          trace: capture,
          debug: capture,
          info: capture,
          warn: capture,
          error: capture,
        }),
      },
    });
    const shutdown = () => workers.forEach((w) => w.shutdown());
    const running = runWorkers(workers);
    try {
      const run = async (key: string, deliveryId: string) => {
        const handle = await env.client.workflow.start<typeof observedDelivery>('observedDelivery', {
          taskQueue,
          workflowId: uniqueId(`observed-${key}`),
          args: [taskQueue],
        });
        await handle.signal(delivered, { deliveryId, key });
        return { handle, result: await handle.result().then(String, (e: unknown) => e) };
      };
      const ok = await run('REL-9', 'delivery-9');
      expect(ok.result).toBe('issue REL-9');
      const refused = await run('REL-404', 'delivery-404');
      expect(refused.result).toBeInstanceOf(Error);

      const signalLine = lines.find(
        (l) => l.message === 'signal delivered' && l.meta?.deliveryId === 'delivery-9',
      );
      expect(signalLine?.meta).toMatchObject({
        signal: 'delivered',
        deliveryId: 'delivery-9',
        workflowId: ok.handle.workflowId,
        runId: ok.handle.firstExecutionRunId,
      });
      expect(counted.map((c) => [c.name, c.tags.system, c.tags.activity_type, c.tags.outcome])).toEqual([
        ['prodops_vendor_calls', 'jira', 'lookUpIssue', 'ok'],
        ['prodops_vendor_calls', 'jira', 'lookUpIssue', 'non-retryable'],
      ]);
    } finally {
      shutdown();
      await running;
    }
  });
});
