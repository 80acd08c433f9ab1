/**
 * The loop every process shares, over a process that never waits: its history must still end
 * near the threshold, each piece of work done once across the runs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { busyProcess } from '../fixtures/entity-loop-workflows';
import { bundle, createTimeSkippingEnv, uniqueId } from '../helpers/temporal';

const workflowsPath = fileURLToPath(new URL('../fixtures/entity-loop-workflows.ts', import.meta.url));
let workflowBundle: WorkflowBundleWithSourceMap;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  [workflowBundle, env] = await Promise.all([bundle(workflowsPath), createTimeSkippingEnv()]);
});
afterAll(() => env?.teardown());

it('continues as new when a busy history grows long, and does every piece of work once', async () => {
  const taskQueue = uniqueId('busy');
  const asked: number[] = [];
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: { doPiece: async (piece: number) => void asked.push(piece) },
  });
  // Each piece costs six events (its activity and a workflow task): 120 pieces make ~720.
  const threshold = 100;
  const pieces = 120;
  const progress = await worker.runUntil(
    env.client.workflow.execute(busyProcess, {
      taskQueue,
      workflowId: uniqueId('busy-process'),
      args: [pieces, threshold],
    }),
  );

  expect(progress.done).toBe(pieces);
  expect(asked).toEqual(Array.from({ length: pieces }, (_, i) => i + 1));
  // Without continuing while busy, the one run would have held every piece's events.
  expect(progress.handedOverAt.length).toBeGreaterThanOrEqual(5);
  for (const length of progress.handedOverAt) {
    expect(length).toBeGreaterThan(threshold);
    expect(length).toBeLessThan(threshold + 20);
  }
});
