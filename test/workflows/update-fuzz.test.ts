/**
 * Every update of every workflow, fed random and malformed arguments: each call is answered
 * (accepted, or refused with a message), and no workflow task ever fails. A bad update must be
 * refused by its validator or its handler with a failure, never by a TypeError or a RangeError
 * that would leave the workflow retrying its task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadExampleConfig } from '../helpers/config';
import { queryUntil } from '../helpers/eventually';
import { withOperators } from '../helpers/operators';
import { startStack, type Stack } from '../helpers/stack';
import { LeaveWorld } from './leave/leave-world';
import { releaseWorkflow } from '../../workflows/release/workflow';
import { leaveWorkflow } from '../../workflows/leave/workflow';
import {
  cancelRelease,
  changeTier,
  confirmReadiness,
  decideGoNoGo,
  markReleased,
  moveLaunch,
  publishBundle,
  releaseStatus,
  releaseWorkflowId,
} from '../../workflows/release/messages';
import {
  cancelLeave,
  confirmLeave,
  leaveStatus,
  leaveWorkflowId,
  moveLeave,
} from '../../workflows/leave/messages';
import {
  confirmReservation,
  leaveCoordinatorId,
  releaseReservation,
  reserveLeave,
} from '../../contracts/leave-coordinator';
import { addCalendarDays, addWorkingDays, localDateOf } from '../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../domain/holidays';

const config = withOperators(loadExampleConfig()).config;
/** Calls per update; 13 updates in all. */
const CALLS_PER_UPDATE = 60;

let stack: Stack;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  stack = await startStack({ config });
  env = stack.env;
});
afterAll(() => stack?.stop());

/** A small deterministic generator, so that a failing run can be repeated. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const NASTY_STRINGS = [
  '',
  ' ',
  '2027-02-30',
  '2027-13-01',
  '0000-00-00',
  '99999-01-01',
  'tomorrow',
  'x'.repeat(100_000),
  'line\nbreak',
  '\u0000\u0007\u001b[31m',
  '\u202eevil',
  'ana',
  'nobody',
  'support',
  'go',
  'approve',
  '__proto__',
  'constructor',
  '1e309',
];
const NASTY_NUMBERS = [0, -1, 1, 2, 3, 4, 1.5, -0, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER];
const FIELDS = [
  'launchDate',
  'tier',
  'reason',
  'releasedOn',
  'pageId',
  'team',
  'by',
  'decision',
  'note',
  'occurredAt',
  'deliveryId',
  'auth',
  'from',
  'to',
  'firstDay',
  'lastDay',
  'workflowId',
  'caller',
  'personId',
  'teamId',
  'token',
];

function randomValue(random: () => number, depth = 0): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  switch (Math.floor(random() * (depth > 1 ? 6 : 8))) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick(NASTY_NUMBERS);
    case 3:
    case 4:
      return pick(NASTY_STRINGS);
    case 5:
      return Math.floor(random() * 1e13);
    case 6:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
    default:
      return randomObject(random, depth + 1);
  }
}

function randomObject(random: () => number, depth = 0): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const fields = Math.floor(random() * 6);
  for (let i = 0; i < fields; i++)
    object[FIELDS[Math.floor(random() * FIELDS.length)]!] = randomValue(random, depth + 1);
  return object;
}

/** Arguments: nothing, too many, a value that is no object, or an object of wrong fields. */
function randomArgs(random: () => number): unknown[] {
  const roll = random();
  if (roll < 0.08) return [];
  if (roll < 0.16) return [randomObject(random), randomObject(random)];
  if (roll < 0.3) return [randomValue(random)];
  return [randomObject(random)];
}

interface Tally {
  calls: number;
  accepted: number;
  refused: number;
}

async function fuzz(
  handle: WorkflowHandle,
  update: UpdateDefinition<unknown, [never]>,
  random: () => number,
  tally: Tally,
): Promise<void> {
  for (let i = 0; i < CALLS_PER_UPDATE; i++) {
    tally.calls++;
    try {
      await handle.executeUpdate(update.name, { args: randomArgs(random) as [unknown] });
      tally.accepted++;
    } catch (error) {
      expect(error, `${update.name} refused with an update failure`).toBeInstanceOf(
        WorkflowUpdateFailedError,
      );
      expect((error as WorkflowUpdateFailedError).cause?.message ?? '').not.toMatch(/TypeError|RangeError/);
      tally.refused++;
    }
  }
}

async function workflowTaskFailures(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.workflowTaskFailedEventAttributes ? [e.workflowTaskFailedEventAttributes.failure?.message ?? '?'] : [],
  );
}

describe('update fuzz', () => {
  it('answers every random and malformed update of every workflow, with no workflow-task failure', async () => {
    const random = generator(20_270_301);
    const tally: Tally = { calls: 0, accepted: 0, refused: 0 };
    const cal = resolveBusinessCalendar(config, 'london', {
      from: new Date().getUTCFullYear() - 1,
      to: new Date().getUTCFullYear() + 3,
    });
    const today = localDateOf(await env.currentTimeMs(), cal.timezone);

    const world = new LeaveWorld(config, env.client);
    const issueKey = 'REL-77001';
    world.fakes.jira.seedIssue({ key: issueKey, summary: 'Usage-based billing', status: 'In Progress' });
    await stack.withWorkers({ activities: world.activities() }, async ({ taskQueue, track }) => {
      const release = await env.client.workflow.start(releaseWorkflow, {
        taskQueue,
        workflowId: releaseWorkflowId(issueKey),
        args: [{ issueKey, tier: 3, launchDate: addWorkingDays(cal, today, 20), pmId: 'ana' }],
      });
      const from = addCalendarDays(today, 60);
      const leave = await env.client.workflow.start(leaveWorkflow, {
        taskQueue,
        workflowId: leaveWorkflowId('gita', from),
        args: [{ source: 'cli', personId: 'gita', from, to: addCalendarDays(from, 1) }],
      });
      const coordinator = env.client.workflow.getHandle(leaveCoordinatorId('insights'));
      track(coordinator, release, leave);
      await queryUntil(release, releaseStatus, (s) => s.plan !== null, 'the release plan');
      await queryUntil(leave, leaveStatus, (s) => s.gate1 !== null, 'gate 1');

      for (const update of [
        moveLaunch,
        changeTier,
        cancelRelease,
        markReleased,
        publishBundle,
        confirmReadiness,
        decideGoNoGo,
      ])
        await fuzz(release, update as UpdateDefinition<unknown, [never]>, random, tally);
      for (const update of [confirmLeave, moveLeave, cancelLeave])
        await fuzz(leave, update as UpdateDefinition<unknown, [never]>, random, tally);
      for (const update of [reserveLeave, confirmReservation, releaseReservation])
        await fuzz(coordinator, update as UpdateDefinition<unknown, [never]>, random, tally);

      const failures = [
        ...(await workflowTaskFailures(release)),
        ...(await workflowTaskFailures(leave)),
        ...(await workflowTaskFailures(coordinator)),
      ];
      console.log(
        `update fuzz: ${tally.calls} random calls over 13 updates, ${tally.refused} refused, ${tally.accepted} accepted, ${failures.length} workflow-task failures`,
      );
      expect(failures).toEqual([]);
      expect(tally.calls).toBe(13 * CALLS_PER_UPDATE);
      // Nothing random is signed: every call is refused.
      expect(tally.accepted).toBe(0);
      expect((await release.describe()).status.name).toBe('RUNNING');
      expect((await leave.describe()).status.name).toBe('RUNNING');
    });
  }, 300_000);
});
