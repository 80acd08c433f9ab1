/**
 * Attacks on a release's confirmations, on the time-skipping server: a confirmation counts only
 * with an identity its channel vouches for. A readiness confirmation from Jira counts as Jira's
 * changelog shows it, a bundle publication from Notion only for the release's own bundle page as
 * Notion shows it, a command only as its signing operator's grant allows; and a release that
 * ended leaves a tombstone that a replayed Jira event cannot get past.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadExampleConfig } from '../../helpers/config';
import { recordHistory } from '../../helpers/histories';
import { withOperators } from '../../helpers/operators';
import { startStack, type Stack } from '../../helpers/stack';
import { FakeWorld } from './fake-world';
import { createTombstoneActivities } from '../../../activities/tombstones';
import { releaseWorkflow } from '../../../workflows/release/workflow';
import type { releaseTombstoneWorkflow } from '../../../workflows/release/tombstone';
import {
  bundlePublished,
  cancelRelease,
  confirmReadiness,
  readinessConfirmed,
  releaseTombstone,
  releaseTombstoneId,
  releaseWorkflowId,
  type ReleaseStatus,
} from '../../../workflows/release/messages';
import { addWorkingDays, localDateOf } from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import { releaseHarness } from './release-harness';

/** Everyone an operator; Priya may also act for support leads, Tom only as Product Ops. */
const operators = withOperators(loadExampleConfig(), { priya: ['product-ops', 'support'] });
const config = operators.config;
const jiraAccount = (id: string) => config.people.find((p) => p.id === id)!.jiraAccountId!;

let stack: Stack;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  stack = await startStack({ config });
  env = stack.env;
});
afterAll(() => stack?.stop());

const { signed, waitFor } = releaseHarness(operators, () => stack);

const logged = (s: ReleaseStatus, text: string) => s.log.some((l) => l.message.includes(text));

async function refusedWith(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return (error as WorkflowUpdateFailedError).cause?.message ?? '';
}

/** A Tier 2 release twelve working days out, its sub-tasks and bundle made. */
async function withTier2(
  body: (run: {
    world: FakeWorld;
    handle: WorkflowHandle<typeof releaseWorkflow>;
    issueKey: string;
  }) => Promise<void>,
): Promise<void> {
  const world = new FakeWorld(config);
  const cal = resolveBusinessCalendar(config, 'london', {
    from: new Date().getUTCFullYear() - 1,
    to: new Date().getUTCFullYear() + 3,
  });
  const launch = addWorkingDays(cal, localDateOf(await env.currentTimeMs(), cal.timezone), 12);
  const issueKey = `REL-${Math.floor(Math.random() * 90_000) + 10_000}`;
  world.releaseIssue(issueKey);
  await stack.withWorkers({ activities: world.activities() }, async ({ taskQueue, track }) => {
    const handle = await env.client.workflow.start(releaseWorkflow, {
      taskQueue,
      workflowId: releaseWorkflowId(issueKey),
      args: [{ issueKey, tier: 2, launchDate: launch, pmId: 'ana', title: 'Usage-based billing' }],
    });
    track(handle);
    await waitFor(
      handle,
      (s) =>
        s.steps.find((x) => x.id === 'support-readiness')?.ref !== undefined &&
        s.steps.find((x) => x.id === 'bundle')?.ref !== undefined,
      'the sub-tasks and the bundle',
    );
    await body({ world, handle, issueKey });
  });
}

describe('release confirmations', () => {
  it('refuses confirming readiness for somebody else without a grant; a granted operator passes and is recorded', async () => {
    await withTier2(async ({ handle }) => {
      // Tom (Product Ops) claims Maya's support readiness: his grant does not cover support leads.
      expect(
        await refusedWith(
          handle.executeUpdate(confirmReadiness, {
            args: [await signed(handle, confirmReadiness, { team: 'support', by: 'maya' }, 'tom')],
          }),
        ),
      ).toBe(
        'operator tom may not act for maya as support: their grant covers product-ops (operators[].actsFor)',
      );
      // An unsigned command naming Maya, from anyone who reaches Temporal.
      expect(
        await refusedWith(
          handle.executeUpdate(confirmReadiness, { args: [{ team: 'support', by: 'maya' }] }),
        ),
      ).toMatch(/^this command carries no operator signature/);
      // Priya's grant covers support leads: she records Maya's word, and history says so.
      const confirmed = await handle.executeUpdate(confirmReadiness, {
        args: [await signed(handle, confirmReadiness, { team: 'support', by: 'maya' }, 'priya')],
      });
      expect(confirmed.confirmations.support).toMatchObject({ by: 'maya', source: 'cli', operator: 'priya' });
      expect(logged(confirmed, 'support readiness confirmed by maya via cli (operator priya)')).toBe(true);
      expect(logged(confirmed, 'refused confirmReadiness from operator tom')).toBe(true);
    });
  });

  it("counts a readiness confirmation from Jira only as the sub-task's changelog shows it", async () => {
    await withTier2(async ({ world, handle }) => {
      const subtask = [...world.issues.values()].find((i) =>
        i.idempotencyKey.endsWith(':support-readiness'),
      )!.key;
      const confirm = async (deliveryId: string) =>
        handle.signal(readinessConfirmed, {
          team: 'support',
          by: 'maya',
          occurredAt: await env.currentTimeMs(),
          deliveryId,
        });
      // Anyone who reaches Temporal signals Maya's confirmation: the sub-task is not done.
      await confirm('forged-1');
      let s = await waitFor(handle, (x) => logged(x, 'from Jira: '), 'the first refusal');
      expect(logged(s, `ignored a support readiness confirmation from Jira: ${subtask} is "To Do"`)).toBe(
        true,
      );
      // Someone outside the configuration moves it to Done and signals again.
      world.setIssueStatus(subtask, 'Done', '5f1a0000000000000intruder');
      await confirm('forged-2');
      s = await waitFor(handle, (x) => logged(x, 'who is nobody in the configuration'), 'the second refusal');
      expect(s.confirmations.support).toBeNull();
      // Maya moves it herself: it counts, as hers, via Jira.
      world.setIssueStatus(subtask, 'Done', jiraAccount('maya'));
      await confirm('real-1');
      s = await waitFor(handle, (x) => x.confirmations.support !== null, 'the confirmation');
      expect(s.confirmations.support).toMatchObject({ by: 'maya', source: 'jira' });
      expect(world.calls.filter((c) => c.startsWith('jira.readStatusChange'))).toHaveLength(3);
    });
  });

  it('counts a bundle publication from Notion only for its own bundle page, published in Notion, and leaves a tombstone', async () => {
    await withTier2(async ({ world, handle, issueKey }) => {
      const bundle = world.pages.find((p) => p.idempotencyKey === `release:${issueKey}:bundle`)!;
      const publish = async (pageId: string, deliveryId: string) =>
        handle.signal(bundlePublished, { pageId, occurredAt: await env.currentTimeMs(), deliveryId });
      // Another page whose Release property names this release.
      await publish('0a0a0a0a-0000-4000-8000-000000000001', 'notion:other-page');
      let s = await waitFor(handle, (x) => logged(x, 'not the bundle this release made'), 'the refusal');
      expect(s.enablement).not.toBe('published');
      // The right page, still a draft in Notion.
      await publish(bundle.id, 'notion:draft');
      s = await waitFor(handle, (x) => logged(x, 'Notion shows the bundle as "Draft"'), 'the draft');
      expect(s.enablement).not.toBe('published');
      // Published in Notion: it counts.
      world.setPageStatus(bundle.id, 'Published');
      await publish(bundle.id, 'notion:published');
      await waitFor(handle, (x) => x.enablement === 'published', 'the publication');

      await handle.executeUpdate(cancelRelease, {
        args: [await signed(handle, cancelRelease, { reason: 'test over' }, 'priya')],
      });
      const result = await handle.result();
      expect(result.phase).toBe('cancelled');
      expect(world.tombstones).toEqual([expect.objectContaining({ issueKey, phase: 'cancelled' })]);
      await recordHistory(
        handle,
        'release',
        'confirmations-at-source',
        'confirmations read again at the source: a forged Jira and Notion event ignored, a tombstone left',
      );
    });
  });

  it('leaves a tombstone that stays open and says how the release ended', async () => {
    const world = new FakeWorld(config);
    await stack.withWorkers({ activities: world.activities() }, async ({ taskQueue, track }) => {
      const issueKey = `REL-${Math.floor(Math.random() * 90_000) + 10_000}`;
      const tombstone = { issueKey, phase: 'done' as const, closedAt: '2027-03-01T16:00:00.000Z' };
      const activity = new MockActivityEnvironment({ taskQueue });
      const tombstones = createTombstoneActivities({ temporal: env.client });
      const record = () => activity.run((t) => tombstones.recordReleaseTombstone(t), tombstone);
      expect(await record()).toEqual({ workflowId: releaseTombstoneId(issueKey) });
      // Again (a retried activity): the same tombstone, not a second one.
      expect(await record()).toEqual({ workflowId: releaseTombstoneId(issueKey) });
      const handle = env.client.workflow.getHandle<typeof releaseTombstoneWorkflow>(
        releaseTombstoneId(issueKey),
      );
      track(handle);
      expect(await handle.query(releaseTombstone)).toEqual(tombstone);
      const described = await handle.describe();
      expect(described.status.name).toBe('RUNNING');
      expect(described.memo).toEqual({ releaseEnded: tombstone });
      await recordHistory(handle, 'release', 'tombstone', 'a finished release’s tombstone, open and queried');
    });
  });
});
