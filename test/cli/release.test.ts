/**
 * `prodops plan release` (pure, against hand-counted dates on the example's London calendar) and
 * the `prodops release …` commands against a real dev server, with a worker running the release
 * workflow over in-memory activities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerReleaseCommands } from '../../cli/release';
import { addWorkingDays, localDateOf, type CalendarDate } from '../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../domain/holidays';
import type { ReleaseStatus } from '../../workflows/release/messages';
import { EXAMPLE_CONFIG_PATH, exampleConfigText, loadExampleConfig } from '../helpers/config';
import { until } from '../helpers/eventually';
import { NO_RATE_LIMITS, startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/temporal';
import { FakeWorld } from '../workflows/release/fake-world';
import { asOperator, operatorsYaml, withOperators } from '../helpers/operators';
import { runCli, type CliRun, writeTempConfig } from '../helpers/cli';

const bin = fileURLToPath(new URL('../../bin/prodops.js', import.meta.url));

/** Runs the command in-process, as `npx prodops …` would, capturing what it prints. */
const prodops = runCli;

const writeConfig = (text: string): string => writeTempConfig(text, 'release');

/** Every person an operator; Priya (Product Ops) may act for anyone in any part. */
const operators = withOperators(loadExampleConfig(), {
  priya: ['product-ops', 'pm', 'support', 'sales', 'buddy', 'manager', 'requester'],
});

function withTemporal(address: string, taskQueue = 'prodops'): string {
  const text = exampleConfigText();
  const configured = text
    .replace('address: 127.0.0.1:7233', `address: ${address}`)
    .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`);
  if (configured === text) throw new Error('the example configuration no longer has a temporal section');
  return writeConfig(`${configured}\n${operatorsYaml(operators)}`);
}

const plan = async (...args: string[]) => {
  const run = await prodops(['plan', 'release', ...args, '--config', EXAMPLE_CONFIG_PATH, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
};

/** A usage error: exit 2, nothing on stdout, one line naming the option, no stack trace. */
function expectUsageError(run: CliRun, mentions: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^prodops: /);
  expect(run.stderr).toMatch(mentions);
}

describe('prodops plan release', () => {
  // Counted by hand on the London calendar: weekends; bank holidays Fri 25 Dec 2026, Mon 28 Dec
  // (Boxing Day falls on a Saturday) and Fri 1 Jan 2027; company days off 24, 29, 30, 31 Dec.
  it('Tier 3 launching Monday 2027-01-11: ten working days back crosses the year-end shutdown', async () => {
    expect(await plan('--tier', '3', '--launch', '2027-01-11', '--today', '2026-12-01')).toEqual({
      tier: 3,
      launchDate: '2027-01-11',
      calendar: 'london',
      today: '2026-12-01',
      // Jan 8, 7, 6, 5, 4 (five), then 23, 22, 21, 18, 17 Dec: every day from 24 Dec to 1 Jan is off.
      bundleDueDate: '2026-12-17',
      // Two working days before: Fri 8, Thu 7 Jan.
      readinessCheckDate: '2027-01-07',
      dayThreeCheckIn: '2027-01-14',
      dayFourteenRetro: '2027-01-25',
      late: false,
      earliestCompliantLaunch: null,
      launchIsWorkingDay: true,
      steps: [
        { id: 'release-log', title: 'Release log entry (weekly product update)', due: null },
        { id: 'plan-comment', title: 'Plan commented on the Jira issue', due: null },
        { id: 'bundle', title: 'Full enablement bundle published', due: '2026-12-17' },
        { id: 'support-readiness', title: 'Support confirms readiness', due: '2027-01-11' },
        { id: 'sales-readiness', title: 'Sales confirms readiness', due: '2027-01-11' },
        { id: 'readiness-check', title: 'Launch Readiness Check (30 minutes)', due: '2027-01-07' },
        { id: 'go-no-go', title: 'Go/no-go by the PM at the readiness check', due: '2027-01-07' },
        { id: 'launch', title: 'Launch', due: '2027-01-11' },
        { id: 'day-3-check-in', title: 'Day-3 check-in (asynchronous)', due: '2027-01-14' },
        { id: 'day-14-retro', title: 'Day-14 retro (15 minutes)', due: '2027-01-25' },
      ],
    });
  });

  it('Tier 2 on the same launch: five working days back, no readiness check', async () => {
    expect(await plan('--tier', '2', '--launch', '2027-01-11', '--today', '2026-12-01')).toMatchObject({
      tier: 2,
      bundleDueDate: '2027-01-04',
      readinessCheckDate: null,
      dayThreeCheckIn: '2027-01-14',
      dayFourteenRetro: '2027-01-25',
      late: false,
      earliestCompliantLaunch: null,
    });
  });

  it('Tier 1 needs no bundle and no readiness check, and is never late', async () => {
    expect(await plan('--tier', '1', '--launch', '2027-01-11', '--today', '2027-01-11')).toMatchObject({
      tier: 1,
      bundleDueDate: null,
      readinessCheckDate: null,
      dayThreeCheckIn: '2027-01-14',
      dayFourteenRetro: '2027-01-25',
      late: false,
      earliestCompliantLaunch: null,
      // Its one step after launch: a weekly update lists it within fourteen days (Mon 25 Jan).
      steps: [
        { id: 'release-log', title: 'Release log entry (weekly product update)', due: null },
        { id: 'plan-comment', title: 'Plan commented on the Jira issue', due: null },
        { id: 'launch', title: 'Launch', due: '2027-01-11' },
        { id: 'weekly-update', title: 'PM updates weekly product update', due: '2027-01-25' },
      ],
    });
    const table = await prodops(
      ['plan', 'release', '--tier', '1', '--launch', '2027-01-11', '--today', '2027-01-11'].concat([
        '--config',
        EXAMPLE_CONFIG_PATH,
      ]),
    );
    expect(table.stdout).toMatch(
      /weekly product update\s+lists the launch by 2027-01-25 \(Monday\), else missed/,
    );
  });

  it('a weekend launch counts back from Friday and rolls a weekend Day-14 forward to Monday', async () => {
    expect(await plan('--tier', '2', '--launch', '2027-01-10', '--today', '2026-12-01')).toMatchObject({
      launchDate: '2027-01-10',
      launchIsWorkingDay: false,
      // Fri 8, Thu 7, Wed 6, Tue 5, Mon 4 Jan.
      bundleDueDate: '2027-01-04',
      dayThreeCheckIn: '2027-01-13',
      // Sunday 24 January rolls to Monday 25.
      dayFourteenRetro: '2027-01-25',
    });
    const table = await prodops([
      'plan',
      'release',
      '--tier',
      '2',
      '--launch',
      '2027-01-10',
      '--today',
      '2026-12-01',
      '--config',
      EXAMPLE_CONFIG_PATH,
    ]);
    expect(table.stdout).toContain('note: 2027-01-10 is not a working day on the london calendar');
  });

  it('is not late on the due date itself, and late the day after with the earliest launch that complies', async () => {
    const onTheDay = await plan('--tier', '3', '--launch', '2027-01-11', '--today', '2026-12-17');
    expect(onTheDay).toMatchObject({ late: false, earliestCompliantLaunch: null });
    const dayAfter = await plan('--tier', '3', '--launch', '2027-01-11', '--today', '2026-12-18');
    // From Fri 18 Dec: ten working days back from Tue 12 Jan reach 18 Dec (11 Jan reaches 17 Dec).
    expect(dayAfter).toMatchObject({ late: true, earliestCompliantLaunch: '2027-01-12' });
  });

  it('counts on the PM’s calendar unless --calendar says otherwise, and on the first one by default', async () => {
    // New York: Thanksgiving (26 Nov) and the configured day after it are off; London works both.
    const args = ['--tier', '2', '--launch', '2026-11-30', '--today', '2026-11-02'];
    expect(await plan(...args, '--pm', 'chloe')).toMatchObject({
      calendar: 'new-york',
      bundleDueDate: '2026-11-19',
    });
    expect(await plan(...args, '--pm', 'chloe', '--calendar', 'london')).toMatchObject({
      calendar: 'london',
      bundleDueDate: '2026-11-23',
    });
    expect(await plan(...args)).toMatchObject({ calendar: 'london', bundleDueDate: '2026-11-23' });
  });

  it('plans as of today in the calendar’s zone when --today is absent', async () => {
    const before = localDateOf(Date.now(), 'Asia/Jerusalem');
    const result = await plan('--tier', '2', '--launch', '2030-06-03', '--calendar', 'tel-aviv');
    const after = localDateOf(Date.now(), 'Asia/Jerusalem');
    expect([before, after]).toContain(result.today);
  });

  it('prints an aligned table without --json', async () => {
    const run = await prodops([
      'plan',
      'release',
      '--tier',
      '3',
      '--launch',
      '2027-01-11',
      '--today',
      '2026-12-18',
      '--config',
      EXAMPLE_CONFIG_PATH,
    ]);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').slice(1);
    expect(rows.find((r) => r.includes('enablement bundle due'))).toMatch(/2026-12-17 \(Thursday\)$/);
    expect(rows.find((r) => r.includes('launch readiness check'))).toMatch(/2027-01-07 \(Thursday\)$/);
    expect(rows.find((r) => r.includes('lead time'))).toContain('LATE');
    expect(rows.find((r) => r.includes('lead time'))).toContain('2027-01-12');
    // Every value starts in the same column.
    const columns = new Set(rows.map((r) => /^ {2}\S.*?\s{2,}(?=\S)/.exec(r)?.[0].length));
    expect(columns.size).toBe(1);
  });

  it.each([
    [['--tier', '4', '--launch', '2027-01-11'], /--tier must be 1, 2 or 3, got "4"/],
    [['--tier', 'two', '--launch', '2027-01-11'], /--tier must be 1, 2 or 3/],
    [['--tier', '2', '--launch', '2026-02-30'], /--launch .*YYYY-MM-DD, got "2026-02-30"/],
    [['--tier', '2', '--launch', '11/01/2027'], /--launch .*YYYY-MM-DD/],
    [['--tier', '2', '--launch', '2027-01-11', '--today', '2026-13-01'], /--today .*"2026-13-01"/],
    [
      ['--tier', '2', '--launch', '2027-01-11', '--calendar', 'mars'],
      /--calendar "mars" is not a calendar.*london/,
    ],
    [['--tier', '2', '--launch', '2027-01-11', '--pm', 'zed'], /--pm "zed" is not a person/],
    [['--launch', '2027-01-11'], /--tier/],
  ])('refuses %j', async (args, message) => {
    expectUsageError(await prodops(['plan', 'release', ...args, '--config', EXAMPLE_CONFIG_PATH]), message);
  });

  it('as a real process: JSON on stdout with exit 0, a one-line reason with exit 2', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, [bin, 'plan', 'release', ...args, '--config', EXAMPLE_CONFIG_PATH], {
        encoding: 'utf8',
        cwd: tmpdir(),
      });
    const ok = run(['--tier', '3', '--launch', '2027-01-11', '--today', '2026-12-01', '--json']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      bundleDueDate: '2026-12-17',
      readinessCheckDate: '2027-01-07',
    });

    const bad = run(['--tier', '3', '--launch', '2026-02-30']);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim()).toBe(
      'prodops: --launch must be a date that exists, written YYYY-MM-DD, got "2026-02-30"',
    );
  });
});

describe('prodops release', () => {
  // The workers read the operators from the configuration, as the command line does.
  const config = operators.config;
  const taskQueue = uniqueId('cli-release');
  const world = new FakeWorld(config);
  let stack: Stack;
  let env: TestWorkflowEnvironment;
  let configPath: string;
  /** A new release issue in Jira, as every release has. */
  const newKey = () => world.releaseIssue();

  beforeAll(async () => {
    stack = await startStack({
      temporal: 'dev-server',
      config,
      taskQueue,
      workers: world.activities(),
      rateLimits: NO_RATE_LIMITS,
    });
    env = stack.env;
    configPath = withTemporal(env.address, taskQueue);
  });
  afterAll(() => stack?.stop());

  const release = (...args: string[]) =>
    asOperator(operators, 'priya', () => prodops(['release', ...args, '--config', configPath]));

  const london = () => {
    const year = new Date().getUTCFullYear();
    return resolveBusinessCalendar(config, 'london', { from: year - 1, to: year + 2 });
  };
  const today = () => localDateOf(Date.now(), 'Europe/London');
  const workingDaysAhead = (n: number): CalendarDate => addWorkingDays(london(), today(), n);

  async function statusOf(key: string): Promise<ReleaseStatus> {
    const run = await release('status', key, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as ReleaseStatus;
  }

  const waitFor = until;

  /** Starts a release through the CLI (ana, London, a growth PM) and waits until it is planned. */
  async function started(tier: string, launch: CalendarDate, ...extra: string[]): Promise<string> {
    const key = newKey();
    const run = await release('start', key, '--tier', tier, '--launch', launch, '--pm', 'ana', ...extra);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await waitFor('the release to be planned', async () => {
      const s = await statusOf(key);
      return s.steps.find((x) => x.id === 'release-log')?.status === 'done' ? s : undefined;
    });
    return key;
  }

  it('start: prints the workflow id and the plan, and refuses a second start while it runs', async () => {
    const key = newKey();
    const launch = workingDaysAhead(15);
    const first = await release(
      'start',
      key,
      '--tier',
      '3',
      '--launch',
      launch,
      '--pm',
      'ana',
      '--area',
      'billing',
      '--title',
      'Usage-based billing',
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`started release:${key} on task queue ${taskQueue}`);
    expect(first.stdout).toMatch(new RegExp(`launch\\s+${launch}`));
    expect(first.stdout).toMatch(
      new RegExp(`enablement bundle due\\s+${addWorkingDays(london(), launch, -10)}`),
    );

    const second = await release('start', key, '--tier', '2', '--launch', launch, '--pm', 'ana');
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `prodops: ${key} is already running as release:${key}: see prodops release status ${key}`,
    );

    const description = await env.client.workflow.getHandle(`release:${key}`).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe(taskQueue);
  });

  it('start: checks its input before connecting', async () => {
    const unreachable = withTemporal('127.0.0.1:1');
    const start = (...args: string[]) => prodops(['release', 'start', ...args, '--config', unreachable]);
    const launch = workingDaysAhead(15);
    expectUsageError(
      await start('rel-1', '--tier', '2', '--launch', launch, '--pm', 'ana'),
      /<KEY>.*REL-123/,
    );
    expectUsageError(await start('REL-1', '--tier', '5', '--launch', launch, '--pm', 'ana'), /--tier/);
    expectUsageError(await start('REL-1', '--tier', '2', '--launch', launch, '--pm', 'zed'), /--pm "zed"/);
    expectUsageError(
      await start('REL-1', '--tier', '2', '--launch', '2020-01-06', '--pm', 'ana'),
      /--launch 2020-01-06 is in the past/,
    );
    expectUsageError(await start('REL-1', '--tier', '2', '--launch', launch), /--pm/);
    // The title becomes a mail subject and the area a search attribute: one short line each.
    const ok = ['REL-1', '--tier', '2', '--launch', launch, '--pm', 'ana'];
    expectUsageError(
      await start(...ok, '--title', 'Usage alerts\nBcc: everyone@northwind.example'),
      /^prodops: --title must be one line without control characters$/,
    );
    expectUsageError(await start(...ok, '--area', 'Growth\tBilling'), /--area must be one line/);
    expectUsageError(
      await start(...ok, '--area', 'g'.repeat(101)),
      /^prodops: --area must be at most 100 characters, got 101$/,
    );
  });

  it('status: phase, tier, launch, enablement, flags, steps, confirmations, go/no-go, next deadline', async () => {
    const launch = workingDaysAhead(15);
    const key = await started('2', launch, '--area', 'search');
    const json = await statusOf(key);
    expect(json).toMatchObject({
      issueKey: key,
      tier: 2,
      phase: 'planning',
      enablement: 'pending',
      pmId: 'ana',
    });
    expect(json.plan.launchDate).toBe(launch);
    expect(json.nextDeadline).toEqual({ step: 'bundle', date: addWorkingDays(london(), launch, -5) });

    const run = await release('status', key);
    expect(run.code).toBe(0);
    const text = run.stdout;
    expect(text).toMatch(/phase\s+planning/);
    expect(text).toMatch(/tier\s+Tier 2 \(Medium\)/);
    expect(text).toMatch(new RegExp(`launch\\s+${launch}`));
    expect(text).toMatch(/enablement\s+pending/);
    expect(text).toMatch(/flags\s+none/);
    expect(text).toMatch(/product area\s+search/);
    expect(text).toMatch(new RegExp(`next deadline\\s+bundle ${addWorkingDays(london(), launch, -5)}`));
    expect(text).toMatch(/STEP\s+STATUS\s+DUE\s+REF/);
    expect(text).toMatch(/release-log\s+done\s+-\s+https:\/\/notion\.example\/page-\d+/);
    expect(text).toMatch(/support\s+not yet/);
    expect(text).toContain('go/no-go\n  none yet');
  });

  it('list: filters by tier, risk, launch window and area through visibility', async () => {
    const area = uniqueId('area');
    const soon = workingDaysAhead(3);
    const later = workingDaysAhead(25);
    const atRisk = await started('3', soon, '--area', area);
    const onTrack = await started('2', later, '--area', area);

    const list = async (...args: string[]) => {
      const run = await release('list', '--area', area, '--json', ...args);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      return (JSON.parse(run.stdout) as { key: string }[]).map((r) => r.key);
    };
    const rows = await waitFor('both releases to be visible', async () => {
      const run = await release('list', '--area', area, '--json');
      const parsed = JSON.parse(run.stdout) as Record<string, unknown>[];
      return parsed.length === 2 ? parsed : undefined;
    });
    expect(rows).toEqual([
      { key: atRisk, tier: 3, launchDate: soon, enablement: 'late', productArea: area, status: 'RUNNING' },
      {
        key: onTrack,
        tier: 2,
        launchDate: later,
        enablement: 'pending',
        productArea: area,
        status: 'RUNNING',
      },
    ]);
    expect(await list('--at-risk')).toEqual([atRisk]);
    expect(await list('--tier', '2')).toEqual([onTrack]);
    expect(await list('--tier', '1')).toEqual([]);
    expect(await list('--from', soon, '--to', soon)).toEqual([atRisk]);
    expect(await list('--from', workingDaysAhead(4))).toEqual([onTrack]);

    const table = await release('list', '--area', area);
    expect(table.stdout.split('\n')[0]).toMatch(/^KEY\s+TIER\s+LAUNCH\s+ENABLEMENT\s+AREA$/);
    expect(table.stdout).toMatch(new RegExp(`${atRisk}\\s+3\\s+${soon}\\s+late\\s+${area}`));

    // A cancelled release leaves the running list but stays in --all.
    expect((await release('cancel', onTrack)).code).toBe(0);
    await waitFor('the cancelled release to leave the running list', async () =>
      (await list()).length === 1 ? true : undefined,
    );
    expect(await list()).toEqual([atRisk]);
    expect(await list('--all')).toEqual([atRisk, onTrack]);

    expectUsageError(
      await release('list', '--from', '2027-02-01', '--to', '2027-01-01'),
      /--from 2027-02-01 is after --to/,
    );
    expectUsageError(await release('list', '--area', "it's"), /--area must not contain quotes/);
  });

  it('publish, confirm, and the go/no-go that only the PM may take', async () => {
    const key = await started('2', workingDaysAhead(15));

    const published = await release('publish', key);
    expect(published.stderr).toBe('');
    expect(published.stdout.split('\n')[0]).toBe(`${key}: enablement bundle published`);
    expect((await statusOf(key)).enablement).toBe('published');

    const confirmed = await release('confirm', key, '--team', 'support', '--by', 'maya');
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout.split('\n')[0]).toBe(`${key}: support readiness confirmed by maya`);
    expect((await statusOf(key)).confirmations.support).toMatchObject({ by: 'maya', source: 'cli' });

    const wrongPerson = await release('confirm', key, '--team', 'sales', '--by', 'ana');
    expect(wrongPerson.code).toBe(1);
    expect(wrongPerson.stderr).toBe(
      `prodops: "ana" cannot confirm sales readiness for ${key}: only nora, raj can`,
    );
    expectUsageError(
      await release('confirm', key, '--team', 'legal', '--by', 'nora'),
      /--team must be support or sales/,
    );

    const notThePm = await release('go', key, '--by', 'ben');
    expect(notThePm.code).toBe(1);
    expect(notThePm.stdout).toBe('');
    expect(notThePm.stderr).toBe(
      `prodops: only the PM owner (ana) can take the go/no-go for ${key}; "ben" cannot`,
    );

    const noGo = await release('no-go', key, '--by', 'ana', '--note', 'support docs incomplete');
    expect(noGo.code).toBe(0);
    expect((await statusOf(key)).flags.onHold).toBe(true);

    const go = await release('go', key, '--by', 'ana', '--note', 'docs fixed');
    expect(go.stdout.split('\n')[0]).toBe(`${key}: go by ana (docs fixed)`);
    const status = await statusOf(key);
    expect(status.flags.onHold).toBe(false);
    expect(status.goNoGo.map((d) => [d.decision, d.by, d.note])).toEqual([
      ['no-go', 'ana', 'support docs incomplete'],
      ['go', 'ana', 'docs fixed'],
    ]);
    const text = (await release('status', key)).stdout;
    expect(text).toMatch(/no-go\s+ana\s+support docs incomplete/);
    expect(text).toMatch(/support\s+maya at \S+ \(cli\)/);
  });

  it('move and retier re-plan the release', async () => {
    const key = await started('2', workingDaysAhead(15));
    const target = workingDaysAhead(20);

    const moved = await release('move', key, '--launch', target);
    expect(moved.stderr).toBe('');
    expect(moved.stdout).toContain(`${key}: launch moved to ${target}`);
    expect(moved.stdout).toMatch(
      new RegExp(`enablement bundle due\\s+${addWorkingDays(london(), target, -5)}`),
    );
    expect((await statusOf(key)).plan).toMatchObject({
      launchDate: target,
      bundleDueDate: addWorkingDays(london(), target, -5),
    });
    expectUsageError(
      await release('move', key, '--launch', '2020-01-06'),
      /--launch 2020-01-06 is in the past/,
    );

    const retiered = await release('retier', key, '--tier', '3');
    expect(retiered.stdout).toContain(`${key}: now Tier 3 (High)`);
    expect(retiered.stdout).toContain(`launch readiness check  ${addWorkingDays(london(), target, -2)}`);
    const status = await statusOf(key);
    expect(status.tier).toBe(3);
    expect(status.steps.find((s) => s.id === 'readiness-check')?.due).toBe(
      addWorkingDays(london(), target, -2),
    );
    expectUsageError(await release('retier', key, '--tier', '0'), /--tier must be 1, 2 or 3/);
  });

  it('released records the launch; a date in the future is refused by the workflow', async () => {
    const key = await started('2', workingDaysAhead(2));
    const future = await release('released', key, '--on', workingDaysAhead(5));
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(
      /^prodops: releasedOn ".*" must not be in the future \(today is \d{4}-\d{2}-\d{2}\)$/,
    );

    const released = await release('released', key, '--on', today());
    expect(released.stderr).toBe('');
    expect(released.stdout.split('\n')[0]).toMatch(new RegExp(`^${key}: released on ${today()}`));
    const status = await statusOf(key);
    expect(status).toMatchObject({ phase: 'launched', launchedOn: today(), enablement: 'released' });
  });

  it('aware records a lead’s Day-3 answer; --yes or --no, exactly one, from a Support or Sales lead', async () => {
    const key = await started('2', workingDaysAhead(2));
    expectUsageError(await release('aware', key, '--by', 'maya'), /--yes .* or --no/);
    expectUsageError(await release('aware', key, '--by', 'maya', '--yes', '--no'), /--yes .* or --no/);
    const early = await release('aware', key, '--by', 'maya', '--yes');
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/has not shipped yet/);

    expect((await release('released', key, '--on', today())).code).toBe(0);
    const stranger = await release('aware', key, '--by', 'ben', '--no');
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/"ben" cannot answer/);
    const answered = await release('aware', key, '--by', 'nora', '--no');
    expect(answered.stderr).toBe('');
    expect(answered.stdout.split('\n')[0]).toBe(
      `${key}: nora (sales) did not know about it before it shipped`,
    );
    const status = await statusOf(key);
    expect(status.awareness).toMatchObject([{ by: 'nora', team: 'sales', aware: false, source: 'cli' }]);
  });

  it('cancel ends the release; later changes are refused', async () => {
    const key = await started('3', workingDaysAhead(15));
    const cancelled = await release('cancel', key, '--reason', 'scope cut');
    expect(cancelled.stdout.split('\n')[0]).toBe(`${key}: cancelled (scope cut)`);
    const ended = await waitFor('the workflow to finish', async () => {
      const d = await env.client.workflow.getHandle(`release:${key}`).describe();
      return d.status.name === 'RUNNING' ? undefined : d;
    });
    expect(ended.status.name).toBe('COMPLETED');
    expect((await statusOf(key)).phase).toBe('cancelled');

    const publish = await release('publish', key);
    expect(publish.code).toBe(1);
    expect(publish.stderr).toBe(
      `prodops: ${key} has finished (workflow release:${key} is COMPLETED): it takes no more changes`,
    );
  });

  it('--json: start answers the workflow id and the plan, a change the status after it', async () => {
    const key = newKey();
    const launch = workingDaysAhead(15);
    const start = await release('start', key, '--tier', '2', '--launch', launch, '--pm', 'ana', '--json');
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout.split('\n')).toHaveLength(1);
    expect(JSON.parse(start.stdout)).toMatchObject({
      workflowId: `release:${key}`,
      taskQueue,
      plan: { tier: 2, launchDate: launch, bundleDueDate: addWorkingDays(london(), launch, -5) },
    });
    try {
      const publish = await release('publish', key, '--json');
      expect(publish.stderr).toBe('');
      expect(publish.code).toBe(0);
      expect(publish.stdout.split('\n')).toHaveLength(1);
      const status = JSON.parse(publish.stdout) as ReleaseStatus;
      expect(status).toMatchObject({ issueKey: key, enablement: 'published' });
      // The same object `release status --json` prints (the workflow goes on reconciling meanwhile).
      expect(Object.keys(status).sort()).toEqual(Object.keys(await statusOf(key)).sort());
    } finally {
      await env.client.workflow.getHandle(`release:${key}`).terminate('test finished');
    }
  });

  it('an unknown release says so', async () => {
    const key = newKey();
    for (const args of [
      ['status', key],
      ['publish', key],
      ['go', key, '--by', 'ana'],
    ]) {
      const run = await release(...args);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `prodops: no release ${key}: no workflow release:${key} in namespace default at ${env.address}`,
      );
    }
  });

  it('a server that cannot be reached is named in one line', async () => {
    const run = await prodops(['release', 'status', 'REL-1', '--config', withTemporal('127.0.0.1:1')]);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^prodops: cannot reach Temporal at 127\.0\.0\.1:1 \(namespace default\): /);
  });

  it('a release whose task queue no worker polls is reported, not waited on forever', async () => {
    const idle = uniqueId('nobody-polls');
    const path = withTemporal(env.address, idle);
    const out: string[] = [];
    const err: string[] = [];
    const program = new Command('prodops').exitOverride();
    registerReleaseCommands(
      program,
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      { workerTimeoutMs: 1_500 },
    );
    const key = newKey();
    await program.parseAsync(
      [
        'release',
        'start',
        key,
        '--tier',
        '1',
        '--launch',
        workingDaysAhead(5),
        '--pm',
        'ana',
        '--config',
        path,
      ],
      { from: 'user' },
    );
    try {
      const error = await program
        .parseAsync(['release', 'status', key, '--config', path], { from: 'user' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).not.toBeInstanceOf(CommanderError);
      expect((error as Error).message).toBe(
        `no worker answered for release:${key} within 1.5 s: is a prodops worker polling task queue ${idle} in namespace default at ${env.address}?`,
      );
    } finally {
      await env.client.workflow.getHandle(`release:${key}`).terminate('test finished');
    }
  });
});
