/**
 * A release re-planned 100 times, each re-plan settled before the next: the first run hands
 * over to a new one before its history nears Temporal's limits, and the next stays well under.
 * It keeps the time-skipping server busy for minutes on a loaded machine, so it runs after the
 * other suites (vitest.config.ts), not beside them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addWorkingDays } from '../../../domain/business-calendar';
import {
  cancelRelease,
  launchMoved,
  moveLaunch,
  releaseWorkflowId,
} from '../../../workflows/release/messages';
import { HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW } from '../../../workflows/release/workflow';
import { loadExampleConfig } from '../../helpers/config';
import { withOperators } from '../../helpers/operators';
import { startStack, type Stack } from '../../helpers/stack';
import { releaseHarness } from './release-harness';

/** Priya (Product Ops) signs the re-plans and the cancellation. */
const operators = withOperators(loadExampleConfig());
const config = operators.config;
let stack: Stack;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  stack = await startStack({ config });
  env = stack.env;
});
afterAll(() => stack?.stop());

const { signed, waitFor, withRelease } = releaseHarness(operators, () => stack);

it('stays far from the history limits when re-planned 100 times', async () => {
  await withRelease(async ({ world, cal, today, start, issueKey }) => {
    const launch = addWorkingDays(cal, today, 30);
    const handle = await start(3, launch);
    await waitFor(
      handle,
      (s) => s.steps.find((x) => x.id === 'day-14-retro')?.ref !== undefined,
      'the artifacts',
    );
    for (let i = 1; i <= 100; i++) {
      await handle.executeUpdate(moveLaunch, {
        args: [
          await signed(handle, moveLaunch, {
            launchDate: addWorkingDays(cal, launch, i % 2 === 0 ? 0 : 1),
          }),
        ],
      });
      // Each re-plan settles before the next, so that every one costs its full history.
      await waitFor(handle, () => world.comments.length === i + 1, `re-plan ${i} to settle`);
    }
    const status = await waitFor(
      handle,
      (s) => s.replans === 100 && world.comments.length === 101,
      'all re-plans to settle',
    );
    expect(status.plan.launchDate).toBe(launch);
    expect(world.events).toHaveLength(2);
    expect(world.issues.size).toBe(2);

    // The first run hands over to a new one on a workflow task that sees its history past the
    // threshold. An event the workflow ignores (older than the last move) is such a task.
    for (let i = 0; i < 600; i++) {
      const { runId } = await env.client.workflow.getHandle(releaseWorkflowId(issueKey)).describe();
      if (runId !== handle.firstExecutionRunId) break;
      if (i % 20 === 0) await handle.signal(launchMoved, { launchDate: launch, occurredAt: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
    const firstRun = env.client.workflow.getHandle(releaseWorkflowId(issueKey), handle.firstExecutionRunId);
    const first = await firstRun.describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    expect(first.historyLength).toBeLessThan(HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW + 500);
    const latest = await env.client.workflow.getHandle(releaseWorkflowId(issueKey)).describe();
    expect(latest.runId).not.toBe(handle.firstExecutionRunId);
    expect(latest.historyLength).toBeLessThan(HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW + 500);

    await handle.executeUpdate(cancelRelease, { args: [await signed(handle, cancelRelease, {})] });
    await env.client.workflow.getHandle(releaseWorkflowId(issueKey)).result();
  });
}, 600_000); // 100 settled re-plans take minutes, even alone
