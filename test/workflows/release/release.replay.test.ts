/**
 * Determinism guard: the recorded history of a whole Tier 3 lifecycle (see release.e2e.test.ts,
 * PRODOPS_RECORD_HISTORY=1) must replay against today's workflow code. A change that alters
 * the commands the workflow issues for the same events fails here before it breaks running
 * releases. The negative control proves a nondeterministic change is caught.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { WORKFLOWS_PATH } from '../../../workers/index';

// The JSON format of `temporal workflow show --output json`; the worker parses it.
const history = JSON.parse(
  readFileSync(fileURLToPath(new URL('./histories/tier3-lifecycle.json', import.meta.url)), 'utf8'),
) as { events: unknown[] };
const nondeterministic = fileURLToPath(
  new URL('../../fixtures/release-nondeterministic.ts', import.meta.url),
);

describe('release workflow replay', () => {
  it('replays the recorded Tier 3 lifecycle without a determinism violation', async () => {
    expect(history.events?.length).toBeGreaterThan(50);
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history, 'release:REL-1');
  });

  it('fails on a workflow that issues different commands (negative control)', async () => {
    await expect(
      Worker.runReplayHistory({ workflowsPath: nondeterministic }, history, 'release:REL-1'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
