/**
 * Every update of every workflow, fed random and malformed arguments: each call is refused with
 * a message (only a read-only update may answer), no workflow task ever fails, and what each
 * workflow holds is the same afterwards. A bad update must be refused by its validator or its
 * handler with a failure, never by a TypeError or a RangeError that would leave the workflow
 * retrying its task. The updates are read from every process's messages, so a new update without
 * a workflow to fuzz it on fails this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { queryUntil } from '../helpers/eventually';
import { withOperators } from '../helpers/operators';
import { startStack, type Stack } from '../helpers/stack';
import { LeaveWorld } from './leave/leave-world';
import { releaseWorkflow } from '../../workflows/release/workflow';
import { leaveWorkflow } from '../../workflows/leave/workflow';
import { onboardingWorkflow } from '../../workflows/onboarding/workflow';
import { weeklyUpdateWorkflow } from '../../workflows/weekly-update/workflow';
import { insightsBacklogWorkflow } from '../../workflows/insights/backlog/workflow';
import { insightsThemeWorkflow } from '../../workflows/insights/theme/workflow';
import * as releaseMessages from '../../workflows/release/messages';
import * as leaveMessages from '../../workflows/leave/messages';
import * as coordinatorMessages from '../../contracts/leave-coordinator';
import * as renewalMessages from '../../workflows/renewal/messages';
import * as onboardingMessages from '../../workflows/onboarding/messages';
import * as weeklyMessages from '../../workflows/weekly-update/messages';
import * as insightsMessages from '../../workflows/insights/messages';
import * as metricsMessages from '../../workflows/metrics/messages';
import * as notionEventMessages from '../../workflows/notion-event/messages';
import * as calendarSyncMessages from '../../workflows/calendar-sync/messages';
import { RENEWAL_WORKFLOW_TYPE, subscriptionWorkflowId } from '../../contracts/renewals';
import { isoWeekOf } from '../../domain/insights/cadence';
import { signAs } from '../helpers/operators';
import { renewalsConfig, subscription } from './renewal/harness';
import { addCalendarDays, addWorkingDays, localDateOf } from '../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../domain/holidays';

const { config, keys } = withOperators(renewalsConfig());
/** Calls per update. */
const CALLS_PER_UPDATE = 60;

/** Every process's messages: each update they define is fuzzed on the workflow that handles it. */
const MESSAGE_MODULES: Record<string, Record<string, unknown>> = {
  release: releaseMessages,
  leave: leaveMessages,
  coordinator: coordinatorMessages,
  renewal: renewalMessages,
  onboarding: onboardingMessages,
  weeklyUpdate: weeklyMessages,
  insights: insightsMessages,
  metrics: metricsMessages,
  notionEvent: notionEventMessages,
  calendarSync: calendarSyncMessages,
};

type Target = 'release' | 'leave' | 'coordinator' | 'renewal' | 'onboarding' | 'weekly' | 'backlog' | 'theme';

/** The workflow each update is sent to. An update missing here fails the first test. */
const TARGET_OF: Record<string, Target> = {
  moveLaunch: 'release',
  changeTier: 'release',
  cancelRelease: 'release',
  markReleased: 'release',
  publishBundle: 'release',
  confirmReadiness: 'release',
  decideGoNoGo: 'release',
  answerAwareness: 'release',
  confirmLeave: 'leave',
  moveLeave: 'leave',
  cancelLeave: 'leave',
  reserveLeave: 'coordinator',
  confirmReservation: 'coordinator',
  releaseReservation: 'coordinator',
  setSubscription: 'renewal',
  decideRenewal: 'renewal',
  snoozeReminder: 'renewal',
  shiftStart: 'onboarding',
  acceptProposedStart: 'onboarding',
  changeEnd: 'onboarding',
  letEnd: 'onboarding',
  cancelOnboarding: 'onboarding',
  changeTools: 'onboarding',
  declineBuddy: 'onboarding',
  publishNow: 'weekly',
  handOver: 'weekly',
  previewUpdate: 'weekly',
  addInsights: 'backlog',
  tagInsight: 'backlog',
  unmergeInsight: 'backlog',
  decideTheme: 'theme',
};

/** Updates that only read: they may answer any arguments (they take none), and change nothing. */
const READ_ONLY = new Set(['previewUpdate']);

const isUpdate = (value: unknown): value is UpdateDefinition<unknown, [never]> =>
  typeof value === 'object' &&
  value !== null &&
  (value as { type?: unknown }).type === 'update' &&
  typeof (value as { name?: unknown }).name === 'string';

/** Each update once, however many modules re-export it. */
function definedUpdates(): UpdateDefinition<unknown, [never]>[] {
  const byName = new Map<string, UpdateDefinition<unknown, [never]>>();
  for (const module of Object.values(MESSAGE_MODULES))
    for (const value of Object.values(module)) if (isUpdate(value)) byName.set(value.name, value);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

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
  'entries',
  'id',
  'changes',
  'fields',
  'until',
  'startDate',
  'endDate',
  'tools',
  'toWeek',
  'disposition',
  'rationale',
  'via',
  'round',
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

/** A refusal a person can act on says what is wrong, not where the code tripped. */
const CODE_TRIPPED =
  /TypeError|RangeError|Cannot read propert|is not a function|is not iterable|undefined is not|^$/;

/**
 * Sends the update random arguments; answers what went wrong (an acceptance that should have been
 * a refusal, or a refusal that reads like a crash), so that one run lists every weak validator.
 */
async function fuzz(
  handle: WorkflowHandle,
  update: UpdateDefinition<unknown, [never]>,
  random: () => number,
  tally: Tally,
): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < CALLS_PER_UPDATE; i++) {
    tally.calls++;
    const args = randomArgs(random);
    const shown = JSON.stringify(args).slice(0, 200);
    try {
      // A workflow task that fails leaves the update unanswered: give up on it after a while.
      let timer: NodeJS.Timeout | undefined;
      const unanswered = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 20 s')), 20_000);
      });
      try {
        await Promise.race([handle.executeUpdate(update.name, { args: args as [unknown] }), unanswered]);
      } finally {
        clearTimeout(timer);
      }
      tally.accepted++;
      if (!READ_ONLY.has(update.name)) problems.push(`${update.name} accepted ${shown}`);
    } catch (error) {
      tally.refused++;
      if (!(error instanceof WorkflowUpdateFailedError)) {
        problems.push(`${update.name} of ${shown} failed with ${String(error)}`);
        continue;
      }
      const message = error.cause?.message ?? '';
      if (CODE_TRIPPED.test(message)) problems.push(`${update.name} of ${shown}: ${message}`);
    }
  }
  return problems;
}

async function workflowTaskFailures(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.workflowTaskFailedEventAttributes ? [e.workflowTaskFailedEventAttributes.failure?.message ?? '?'] : [],
  );
}

/** Waits until the workflow has nothing in flight: no workflow task, no activity. */
async function settle(handle: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { raw } = await handle.describe();
    if (!raw.pendingWorkflowTask && (raw.pendingActivities ?? []).length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${handle.workflowId} did not settle`);
}

/** What a workflow holds, without its running log (a refusal in a handler is noted there). */
function held(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(held);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !['log', 'refusals', 'carriedBytes'].includes(key))
      .map(([key, v]) => [key, held(v)]),
  );
}

describe('update fuzz', () => {
  it('has a workflow to fuzz every update of every process on', () => {
    const names = definedUpdates().map((u) => u.name);
    expect(names.length).toBeGreaterThanOrEqual(30);
    expect(names.filter((name) => !(name in TARGET_OF))).toEqual([]);
    expect(Object.keys(TARGET_OF).filter((name) => !names.includes(name))).toEqual([]);
  });

  it('refuses every random and malformed update of every workflow, with no workflow-task failure and nothing changed', async () => {
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
        workflowId: releaseMessages.releaseWorkflowId(issueKey),
        args: [{ issueKey, tier: 3, launchDate: addWorkingDays(cal, today, 20), pmId: 'ana' }],
      });
      const from = addCalendarDays(today, 60);
      const leave = await env.client.workflow.start(leaveWorkflow, {
        taskQueue,
        workflowId: leaveMessages.leaveWorkflowId('gita', from),
        args: [{ source: 'cli', personId: 'gita', from, to: addCalendarDays(from, 1) }],
      });
      const coordinator = env.client.workflow.getHandle(coordinatorMessages.leaveCoordinatorId('insights'));
      // A subscription set by its operator, so that decisions and snoozes reach their checks.
      const renewalId = subscriptionWorkflowId('fuzzboard');
      const renewal = await env.client.workflow.start(RENEWAL_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: renewalId,
        args: [{ subscriptionId: 'fuzzboard' }],
      });
      const set = {
        fields: subscription({ renewalDate: addCalendarDays(today, 200) }),
        by: 'priya',
        via: 'cli' as const,
      };
      await renewal.executeUpdate(renewalMessages.setSubscription, {
        args: [
          signAs(keys, 'priya', renewalId, renewalMessages.setSubscription, set, await env.currentTimeMs()),
        ],
      });
      const startDate = addWorkingDays(cal, today, 20);
      const onboarding = await env.client.workflow.start(onboardingWorkflow, {
        taskQueue,
        workflowId: onboardingMessages.onboardingWorkflowId('fuzz-jo'),
        args: [
          {
            freelancerId: 'fuzz-jo',
            name: 'Jo Park',
            email: 'jo.park@studio.example',
            role: 'product_designer',
            team: 'growth',
            manager: 'ana',
            country: 'GB',
            startDate,
            endDate: addWorkingDays(cal, startDate, 45),
            tools: ['figma', 'jira'],
            source: 'test',
          },
        ],
      });
      const week = isoWeekOf(addCalendarDays(today, 14));
      const weekly = await env.client.workflow.start(weeklyUpdateWorkflow, {
        taskQueue,
        workflowId: weeklyMessages.weeklyUpdateWorkflowId(week),
        args: [{ week, startedBy: 'test' }],
      });
      const backlog = await env.client.workflow.start(insightsBacklogWorkflow, {
        taskQueue,
        workflowId: insightsMessages.insightsBacklogId(0),
        args: [{ shard: 0 }],
      });
      const theme = await env.client.workflow.start(insightsThemeWorkflow, {
        taskQueue,
        workflowId: insightsMessages.insightsThemeId('billing', 'pricing'),
        args: [{ area: 'billing', theme: 'pricing' }],
      });
      track(coordinator, release, leave, renewal, onboarding, weekly, backlog, theme);
      await queryUntil(release, releaseMessages.releaseStatus, (s) => s.plan !== null, 'the release plan');
      await queryUntil(leave, leaveMessages.leaveStatus, (s) => s.gate1 !== null, 'gate 1');
      // The leave's own work done (its invites and tracker row), so that what it holds stays put.
      await queryUntil(
        leave,
        leaveMessages.leaveStatus,
        (s) => s.trackerPageId !== null && s.events.length >= 2,
        'the invites and the tracker row',
      );

      const targets: Record<Target, { handle: WorkflowHandle; status: () => Promise<unknown> }> = {
        release: { handle: release, status: () => release.query(releaseMessages.releaseStatus) },
        leave: { handle: leave, status: () => leave.query(leaveMessages.leaveStatus) },
        coordinator: {
          handle: coordinator,
          status: () => coordinator.query(coordinatorMessages.coordinatorState),
        },
        renewal: { handle: renewal, status: () => renewal.query(renewalMessages.renewalStatus) },
        onboarding: {
          handle: onboarding,
          status: () => onboarding.query(onboardingMessages.onboardingStatus),
        },
        weekly: { handle: weekly, status: () => weekly.query(weeklyMessages.weeklyUpdateStatus) },
        backlog: { handle: backlog, status: () => backlog.query(insightsMessages.backlogStatus) },
        theme: { handle: theme, status: () => theme.query(insightsMessages.themeStatus) },
      };
      const before = new Map<Target, unknown>();
      for (const [name, target] of Object.entries(targets) as [Target, (typeof targets)[Target]][]) {
        await settle(target.handle);
        before.set(name, held(await target.status()));
      }

      const updates = definedUpdates();
      const problems: string[] = [];
      for (const update of updates)
        problems.push(...(await fuzz(targets[TARGET_OF[update.name]!].handle, update, random, tally)));
      expect(problems).toEqual([]);

      const failures: string[] = [];
      for (const [name, target] of Object.entries(targets) as [Target, (typeof targets)[Target]][]) {
        failures.push(...(await workflowTaskFailures(target.handle)).map((f) => `${name}: ${f}`));
        await settle(target.handle);
        expect(held(await target.status()), `what ${name} holds`).toEqual(before.get(name));
        expect((await target.handle.describe()).status.name, name).toBe('RUNNING');
      }
      console.log(
        `update fuzz: ${tally.calls} random calls over ${updates.length} updates of ${Object.keys(targets).length} workflows, ${tally.refused} refused, ${tally.accepted} answered (read-only), ${failures.length} workflow-task failures`,
      );
      expect(failures).toEqual([]);
      expect(tally.calls).toBe(updates.length * CALLS_PER_UPDATE);
      // Nothing random is signed: every call that would change something is refused.
      expect(tally.accepted).toBeLessThanOrEqual(READ_ONLY.size * CALLS_PER_UPDATE);
    });
  }, 600_000);
});
