/**
 * Proves that both Temporal servers start here (offline tools or the SDK's download) and do
 * what the rest of the suite relies on: time skipping, and visibility over our search attributes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { fileURLToPath } from 'node:url';
import { bundle, createDevServerEnv, createTimeSkippingEnv, uniqueId } from '../helpers/temporal';
import { finish, tagged, waitThirtyDays } from '../fixtures/proof-workflows';

const workflowsPath = fileURLToPath(new URL('../fixtures/proof-workflows.ts', import.meta.url));
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundle(workflowsPath);
});

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that waits 30 days to completion', async () => {
    const taskQueue = uniqueId('proof');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    const result = await worker.runUntil(
      env.client.workflow.execute(waitThirtyDays, { taskQueue, workflowId: uniqueId('thirty-days') }),
    );
    const elapsedDays = (result.finishedAt - result.startedAt) / 86_400_000;
    expect(elapsedDays).toBeGreaterThanOrEqual(30);
    expect(elapsedDays).toBeLessThan(31);
  });
});

describe('dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createDevServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('registers the search attributes and answers a visibility query over them', async () => {
    const taskQueue = uniqueId('proof');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    await worker.runUntil(async () => {
      const marker = uniqueId('status');
      const atRisk = await env.client.workflow.start(tagged, {
        taskQueue,
        workflowId: uniqueId('t3'),
        args: [3, marker],
      });
      const onTrack = await env.client.workflow.start(tagged, {
        taskQueue,
        workflowId: uniqueId('t2'),
        args: [2, marker],
      });

      // Visibility is eventually consistent: poll until the upserts are indexed.
      const query = `ReleaseTier = 3 AND EnablementStatus = '${marker}'`;
      let found: string[] = [];
      for (let attempt = 0; attempt < 100 && found.length === 0; attempt++) {
        found = [];
        for await (const wf of env.client.workflow.list({ query })) found.push(wf.workflowId);
        if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(found).toEqual([atRisk.workflowId]);

      await Promise.all([atRisk.signal(finish), onTrack.signal(finish)]);
      await Promise.all([atRisk.result(), onTrack.result()]);
    });
  });
});
