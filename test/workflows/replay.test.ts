/**
 * Determinism guard for every process: each recorded history (test/helpers/histories.ts) must
 * replay against today's workflow code. A change that alters the commands a workflow issues for
 * the same events fails here before it breaks running workflows; such a change goes behind
 * `patched()`. The negative control replays each history against the same workflows with one
 * extra timer, which must fail, proving that each replay can.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOWS_PATH } from '../../workers/index';
import { bundle } from '../helpers/temporal';
import { recordedHistories } from '../helpers/histories';
import * as workflows from '../../workflows/index';

const NONDETERMINISTIC = fileURLToPath(new URL('../fixtures/nondeterministic-workflows.ts', import.meta.url));
const histories = recordedHistories();

let current: WorkflowBundleWithSourceMap;
let broken: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [current, broken] = await Promise.all([bundle(WORKFLOWS_PATH), bundle(NONDETERMINISTIC)]);
});

describe('recorded histories', () => {
  it('cover every workflow the worker runs', () => {
    const recorded = new Set(histories.map((h) => h.workflowType));
    for (const workflowType of Object.keys(workflows))
      expect(recorded, `a recorded history of ${workflowType}`).toContain(workflowType);
  });

  describe.each(histories.map((h) => [`${h.process}/${h.file}`, h] as const))('%s', (_name, recorded) => {
    it(`replays: ${recorded.what}`, async () => {
      expect(recorded.history.events.length).toBeGreaterThan(5);
      await Worker.runReplayHistory({ workflowBundle: current }, recorded.history, recorded.workflowId);
    });

    it('fails against a workflow that issues different commands (negative control)', async () => {
      await expect(
        Worker.runReplayHistory({ workflowBundle: broken }, recorded.history, recorded.workflowId),
      ).rejects.toBeInstanceOf(DeterminismViolationError);
    });
  });
});
