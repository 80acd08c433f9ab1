/**
 * `prodops update status|preview|publish` and `prodops report`: usage errors without a server,
 * then, against a real dev server with a worker over in-memory integrations, a week whose update
 * happens today (test/helpers/rituals.ts): its status as text and JSON, the page as it would be
 * published, an early publication refused without a key and without a grant, published once by
 * an owner, and weeks that have no workflow (not open yet, never run) answered in words; then the
 * measurement report's text and its default range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { DEFAULT_REPORT_DAYS } from '../../cli/report';
import { COORDINATION_OVERHEAD_HOW } from '../../domain/measurement';
import { addCalendarDays, localDateOf } from '../../domain/business-calendar';
import { parseOrgConfig } from '../../domain/config';
import type { DocumentBlock } from '../../domain/document';
import { addWeeks, isoWeekOf, longDate, type IsoWeek } from '../../domain/rituals';
import { datesOfWeek } from '../../activities/rituals';
import { createWorkers, runWorkers, WORKFLOWS_PATH } from '../../workers/index';
import { weeklyUpdateWorkflow } from '../../workflows/weekly-update/workflow';
import {
  contributionReady,
  weeklyUpdateStatus,
  weeklyUpdateWorkflowId,
  type WeeklyUpdateStatus,
} from '../../workflows/weekly-update/messages';
import { exampleConfigText, loadExampleConfig } from '../helpers/config';
import { asOperator, operatorsYaml, withOperators } from '../helpers/operators';
import { updateTodayConfig } from '../helpers/rituals';
import { bundle, createDevServerEnv, stopDevServerSuite, uniqueId } from '../helpers/temporal';
import { readUntil } from '../helpers/eventually';
import { WeeklyWorld } from '../workflows/weekly-update/weekly-world';
import { runCli, writeTempConfig } from '../helpers/cli';

const prodops = runCli;

const writeConfig = (text: string): string => writeTempConfig(text, 'update');

/**
 * The example organisation pointed at a server, its Weekly Product Update today: the same
 * calendar and times as updateTodayConfig, written into the file the command line reads.
 */
function configText(address: string, taskQueue: string): string {
  const today = updateTodayConfig(loadExampleConfig(), taskQueue);
  const { timezone } = today.calendars.rituals!;
  const { day, opens, reminder, deadline, publish } = today.rituals.weeklyUpdate;
  const replaced = exampleConfigText()
    .replace('address: 127.0.0.1:7233', `address: ${address}`)
    .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`)
    .replace(/^calendars:\n/m, `calendars:\n  rituals:\n    timezone: ${timezone}\n    weekend: []\n`)
    .replace(/^ {4}day: thu$/m, `    calendar: rituals\n    day: ${day}`)
    .replace(/opens: '09:00'/, `opens: '${opens}'`)
    .replace(/reminder: '12:00'/, `reminder: '${reminder}'`)
    .replace(/deadline: '14:00'/, `deadline: '${deadline}'`)
    .replace(/publish: '16:00'/, `publish: '${publish}'`);
  if (!replaced.includes('calendar: rituals')) throw new Error('the example configuration changed shape');
  return replaced;
}

/** Every person an operator; Ana (a PM) acts for nobody else. */
const operators = withOperators(parseOrgConfig(configText('127.0.0.1:1', 'prodops')), { ana: [] });

const STATUS_FIELDS = [
  'contributions',
  'dates',
  'handedOverTo',
  'log',
  'phase',
  'publicationProblem',
  'published',
  'refusals',
  'rolledIn',
  'rolledOver',
  'week',
].sort();

describe('prodops update and report, without a server', () => {
  const offline = writeConfig(configText('127.0.0.1:1', 'prodops'));

  it('refuses bad input before connecting, naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['update', 'status', '--week', '2026-53'], /--week must be an ISO week written YYYY-Www.*"2026-53"/],
      [['update', 'status', '--week', '2026-W54'], /--week must be an ISO week.*"2026-W54"/],
      [['update', 'preview', '--week', 'next'], /--week must be an ISO week.*"next"/],
      [['update', 'publish', '--week', '2026-W5', '--by', 'priya'], /--week must be an ISO week.*"2026-W5"/],
      [['update', 'publish', '--week', '2026-W49', '--by', 'zed'], /--by "zed" is not a person/],
      [['report', '--from', '2026-02-30'], /--from must be a date that exists/],
      [
        ['report', '--from', '2026-06-01', '--to', '2026-05-01'],
        /--from 2026-06-01 is after --to 2026-05-01/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await prodops([...args, '--config', offline]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout, args.join(' ')).toBe('');
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  });
});

describe('prodops update and report, against a dev server', () => {
  const taskQueue = uniqueId('update-cli');
  let env: TestWorkflowEnvironment;
  let workers: Worker[];
  let running: Promise<void>;
  let configPath: string;
  let world: WeeklyWorld;
  let week: IsoWeek;
  let handle: WorkflowHandle<typeof weeklyUpdateWorkflow>;

  beforeAll(async () => {
    const [devServer, workflowBundle] = await Promise.all([createDevServerEnv(), bundle(WORKFLOWS_PATH)]);
    env = devServer;
    // The workers read the operators from the configuration, as the command line does.
    const text = `${configText(env.address, taskQueue)}\n${operatorsYaml(operators)}`;
    configPath = writeConfig(text);
    const config = parseOrgConfig(text);
    world = new WeeklyWorld(config);
    const activities = world.activities();
    workers = await createWorkers({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle,
      activities: activities.bySystem,
      localActivities: activities.core,
      rateLimits: { jira: 1000, notion: 1000, google: 1000 },
      overrides: { shutdownGraceTime: '1 second' },
    });
    running = runWorkers(workers);
    week = isoWeekOf(localDateOf(Date.now(), config.calendars.rituals!.timezone));
    handle = await env.client.workflow.start(weeklyUpdateWorkflow, {
      taskQueue,
      workflowId: weeklyUpdateWorkflowId(week),
      args: [{ week, startedBy: 'test' }],
    });
  });

  afterAll(() => stopDevServerSuite(env, workers, running));

  /** The CLI run by `operator` (Priya unless said), with their key. */
  const as = (operator: string | null, ...args: string[]) =>
    asOperator(operators, operator, () => prodops([...args, '--config', configPath]));
  const cli = (...args: string[]) => as('priya', ...args);
  /** Reads until `ok` holds: every 200 ms, 30 s at the most. */
  const poll = <T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> =>
    readUntil(read, ok, what, { attempts: 150, intervalMs: 200 });
  const fiveBullets = (id: string): DocumentBlock[] => [
    { type: 'heading_2', text: 'Wins / shipped' },
    { type: 'bulleted_list_item', text: `${id} shipped something` },
    { type: 'heading_2', text: 'Risks / asks' },
    { type: 'bulleted_list_item', text: '…' },
  ];

  it('answers weeks without a workflow in words: not open yet, or never run', async () => {
    const next = addWeeks(week, 1);
    const opens = datesOfWeek(operators.config, next)!;
    for (const args of [
      ['update', 'status', '--week', next],
      ['update', 'preview', '--week', next],
      ['update', 'publish', '--week', next, '--by', 'priya'],
    ]) {
      const run = await cli(...args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `prodops: the ${next} update has not opened yet: it opens on ${longDate(opens.date)} at ${operators.config.rituals.weeklyUpdate.opens} (${opens.timezone}), ${opens.opensAt}; nothing to show or publish before then`,
      );
    }
    const never = await cli('update', 'status', '--week', '2020-W10');
    expect(never.code).toBe(1);
    expect(never.stderr).toMatch(
      /^prodops: no weekly update ran for 2020-W10 \(due .*\): was the schedule set up \(prodops temporal setup\) and a worker running\?$/,
    );
  });

  it('shows who is ready as text and JSON, previews the page, and publishes once, by an owner', async () => {
    const PMS = ['ana', 'ben', 'chloe', 'dev', 'erin', 'farid', 'gita', 'hugo'];
    await poll(
      () => handle.query(weeklyUpdateStatus),
      (s) =>
        s.phase === 'collecting' && s.contributions.length === 8 && s.contributions.every((c) => c.pageId),
      'collection to open',
    );
    for (const id of ['ana', 'ben']) {
      world.write(week, id, fiveBullets(id));
      await handle.signal(contributionReady, {
        week,
        personId: id,
        by: id,
        occurredAt: Date.now(),
        deliveryId: `cli-test:${id}`,
      });
    }
    await poll(
      () => handle.query(weeklyUpdateStatus),
      (s) => s.contributions.filter((c) => c.status === 'ready').length === 2,
      'two ready',
    );

    // The default week is this week on the rituals' calendar.
    const json = await cli('update', 'status', '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as WeeklyUpdateStatus;
    expect(Object.keys(status).sort()).toEqual(STATUS_FIELDS);
    expect(status).toMatchObject({ week, phase: 'collecting', published: null, publicationProblem: null });
    expect(status.contributions.map((c) => c.personId)).toEqual(PMS);
    expect(status.contributions.map((c) => c.status)).toEqual([
      'ready',
      'ready',
      ...PMS.slice(2).map(() => 'awaiting'),
    ]);
    expect(Object.keys(status.contributions[0]!).sort()).toEqual(
      ['name', 'pageId', 'personId', 'readyAt', 'reminded', 'status', 'url'].sort(),
    );

    const text = await cli('update', 'status', '--week', week);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${week}: collecting — `));
    expect(lines.find((l) => l.includes('Ana Costa'))).toMatch(/Ana Costa\s+ready\s/);
    expect(lines.find((l) => l.includes('Chloe Martin'))).toMatch(/Chloe Martin\s+not ready yet/);
    expect(lines).toContain('ready 2, late 0, not ready 6, on leave 0');
    expect(lines.at(-1)).toBe('not published yet');

    const preview = await cli('update', 'preview');
    expect(preview.code).toBe(0);
    const dates = status.dates!;
    expect(preview.stdout.split('\n')[0]).toBe(`Weekly Product Update — ${dates.date}`);
    const headings = preview.stdout.split('\n').filter((l) => / — [A-Z ]+$/.test(l) && l === l.toUpperCase());
    expect(headings).toEqual([
      'BILLING — ANA COSTA',
      'ONBOARDING — BEN ADEYEMI',
      'GROWTH EXPERIMENTS — CHLOE MARTIN',
      'PLATFORM API — DEV PATEL',
      'INTEGRATIONS — ERIN WALSH',
      'DATA INFRASTRUCTURE — FARID NASSER',
      'ANALYTICS — GITA SHARMA',
      'REPORTING — HUGO LAURENT',
    ]);
    expect(preview.stdout).toContain('  • ana shipped something');
    expect(preview.stdout).toContain(
      'No update from: Chloe Martin, Dev Patel, Erin Walsh, Farid Nasser, Gita Sharma, Hugo Laurent.',
    );
    const previewJson = JSON.parse((await cli('update', 'preview', '--json')).stdout) as Record<
      string,
      unknown
    >;
    expect(Object.keys(previewJson).sort()).toEqual(['document', 'text', 'title']);
    expect(previewJson.title).toBe(`Weekly Product Update — ${dates.date}`);
    // A preview publishes nothing.
    expect(world.publishedPages()).toHaveLength(0);

    // Without a key, and by a PM who may act for nobody else, nothing is published.
    const keyless = await as(null, 'update', 'publish', '--week', week, '--by', 'priya');
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(
      /this command changes a workflow and needs an operator: run `prodops operator keygen`/,
    );
    const ungranted = await as('ana', 'update', 'publish', '--week', week, '--by', 'priya');
    expect(ungranted.code).toBe(1);
    expect(ungranted.stderr).toBe(
      'prodops: operator ana may not act for priya as product-ops: their grant covers nothing beyond themselves (operators[].actsFor)',
    );
    const notOwner = await as('ana', 'update', 'publish', '--week', week, '--by', 'ana');
    expect(notOwner.code).toBe(1);
    expect(notOwner.stderr).toMatch(
      /"ana" cannot publish the weekly update: only priya, tom, lena, omar, hana can/,
    );
    expect(world.publishedPages()).toHaveLength(0);

    const published = await cli('update', 'publish', '--week', week, '--by', 'priya', '--json');
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    const after = JSON.parse(published.stdout) as WeeklyUpdateStatus;
    expect(Object.keys(after).sort()).toEqual(STATUS_FIELDS);
    expect(after.published).toMatchObject({ by: 'priya', onTime: true, mailed: true, recipients: 10 });

    const again = await cli('update', 'publish', '--week', week, '--by', 'tom');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(`the ${week} update was already published at .*: it is published once`),
    );
    expect(world.publishedPages()).toHaveLength(1);
    expect(world.mails.filter((m) => m.subject.startsWith('Weekly Product Update'))).toHaveLength(1);

    const afterPreview = await cli('update', 'preview', '--week', week);
    expect(afterPreview.code).toBe(0);
    expect(afterPreview.stdout).toMatch(
      new RegExp(`^the ${week} update was published at ${after.published!.at}`),
    );
    const finalText = (await cli('update', 'status')).stdout.split('\n');
    expect(finalText.at(-1)).toMatch(/^published .* early by priya, on time: .*; mailed to 10$/);
  });

  it('reports the figures as text over the last 90 days by default', async () => {
    const today = localDateOf(Date.now(), operators.config.calendars.rituals!.timezone);
    const run = await cli('report');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^Product Ops measurement, ${addCalendarDays(today, -(DEFAULT_REPORT_DAYS - 1))} to ${today} \\(as of .+\\)$`,
      ),
    );
    const labels = lines
      .slice(1)
      .filter((l) => /^\S/.test(l))
      .map((l) => l.slice(0, 26).trim());
    expect(labels).toEqual([
      'enablement coverage',
      'lead-time compliance',
      'stakeholder surprise score',
      'ritual adoption',
      'ad-hoc status requests',
      'coordination overhead',
    ]);
    expect(lines.at(-1)).toBe(`${'coordination overhead'.padEnd(26)}${COORDINATION_OVERHEAD_HOW}`);
    // No release ran on this server: the figures say so rather than showing 0%.
    expect(lines[2]).toBe(
      `${'enablement coverage'.padEnd(26)}no data  Tier 2 and 3 releases launched with the bundle published before launch`,
    );

    // --from alone: the 90 days from it.
    const from = await cli('report', '--from', '2026-01-01');
    expect(from.code).toBe(0);
    expect(from.stdout.split('\n')[0]).toMatch(/^Product Ops measurement, 2026-01-01 to 2026-03-31 /);
  });
});
