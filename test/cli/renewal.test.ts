/**
 * `prodops plan renewal`, `prodops renewal …` and `prodops budget`: plans and usage errors without
 * a server, then subscriptions added, listed, decided and snoozed by an operator (decisions and
 * snoozes are signed), and the budget read from the visibility store, against a real dev server
 * with a worker over in-memory integrations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { addCalendarDays, localDateOf } from '../../domain/business-calendar';
import { parseOrgConfig } from '../../domain/config';
import { readSubscriptionMemos } from '../../activities/renewals';
import type { RenewalStatusView } from '../../workflows/renewal/messages';
import { createWorkers, runWorkers, WORKFLOWS_PATH } from '../../workers/index';
import { exampleConfigText } from '../helpers/config';
import { asOperator, operatorsYaml, withOperators } from '../helpers/operators';
import { bundle, createDevServerEnv, stopDevServerSuite, uniqueId } from '../helpers/temporal';
import { readUntil } from '../helpers/eventually';
import { RenewalWorld } from '../workflows/renewal/renewal-world';
import { runCli, writeTempConfig } from '../helpers/cli';

const prodops = runCli;

const writeConfig = (text: string): string => writeTempConfig(text, 'renewal');

const YEAR = new Date().getUTCFullYear();

/** The example organisation pointed at a server, with budgets for this year and the next two. */
function configText(address: string, taskQueue: string): string {
  const budgets = (year: number) =>
    `    ${year}: { product-ops: 12000, growth: 42000, platform: 58000, insights: 20000, gtm: 32000 }`;
  return exampleConfigText()
    .replace('address: 127.0.0.1:7233', `address: ${address}`)
    .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`)
    .replace(
      / {2}budgets:\n( {4}\d{4}: .*\n)+/,
      `  budgets:\n${[YEAR, YEAR + 1, YEAR + 2].map(budgets).join('\n')}\n`,
    );
}

/**
 * Every person an operator; Priya (Product Ops) may also act for a subscription's owner; Kofi's
 * grant covers only a PM's go/no-go, so he acts for nobody on a subscription.
 */
const operators = withOperators(parseOrgConfig(configText('127.0.0.1:1', 'prodops')), {
  priya: ['product-ops', 'subscription-owner'],
  kofi: ['pm'],
});

describe('prodops plan renewal and usage errors, without a server', () => {
  const offline = writeConfig(configText('127.0.0.1:1', 'prodops'));

  it('prints the plan as one JSON object with exactly the promised fields', async () => {
    const run = await prodops([
      'plan',
      'renewal',
      '--renews',
      '2027-06-01',
      '--notice-days',
      '30',
      '--calendar',
      'london',
      '--today',
      '2026-11-27',
      '--json',
      '--config',
      offline,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      noticeDeadline: '2027-04-30',
      reminders: [
        { date: '2027-01-29', daysBeforeDeadline: 90 },
        { date: '2027-03-01', daysBeforeDeadline: 60 },
        { date: '2027-03-31', daysBeforeDeadline: 30 },
        { date: '2027-04-16', daysBeforeDeadline: 14 },
        { date: '2027-04-23', daysBeforeDeadline: 7 },
      ],
      catchUpReminder: false,
      escalationDate: '2027-04-28',
      missed: false,
      nextRenewal: '2028-06-01',
    });
  });

  it('keeps a monthly contract to the reminders inside its month and clamps the next renewal', async () => {
    const run = await prodops([
      'plan',
      'renewal',
      '--renews',
      '2027-01-31',
      '--notice-days',
      '7',
      '--cycle',
      'monthly',
      '--today',
      '2026-11-27',
      '--json',
      '--config',
      offline,
    ]);
    expect(JSON.parse(run.stdout)).toEqual({
      noticeDeadline: '2027-01-22',
      reminders: [
        { date: '2027-01-08', daysBeforeDeadline: 14 },
        { date: '2027-01-15', daysBeforeDeadline: 7 },
      ],
      catchUpReminder: false,
      escalationDate: '2027-01-20',
      missed: false,
      nextRenewal: '2027-02-28',
    });
  });

  it('drops past reminders with one catch-up, and says when the deadline is missed', async () => {
    const late = JSON.parse(
      (
        await prodops([
          'plan',
          'renewal',
          '--renews',
          '2027-01-15',
          '--notice-days',
          '30',
          '--today',
          '2026-11-27',
          '--json',
          '--config',
          offline,
        ])
      ).stdout,
    ) as { reminders: unknown[]; catchUpReminder: boolean; missed: boolean };
    expect(late.reminders).toEqual([
      { date: '2026-12-02', daysBeforeDeadline: 14 },
      { date: '2026-12-09', daysBeforeDeadline: 7 },
    ]);
    expect(late.catchUpReminder).toBe(true);
    const missed = JSON.parse(
      (
        await prodops([
          'plan',
          'renewal',
          '--renews',
          '2026-12-10',
          '--notice-days',
          '30',
          '--today',
          '2026-11-27',
          '--json',
          '--config',
          offline,
        ])
      ).stdout,
    ) as { reminders: unknown[]; catchUpReminder: boolean; missed: boolean };
    expect(missed).toMatchObject({ reminders: [], catchUpReminder: false, missed: true });
  });

  it('refuses bad input before connecting, naming each flag', async () => {
    const add = await prodops([
      'renewal',
      'add',
      'figma',
      '--tool',
      'Figma',
      '--renews',
      '2027-06-01',
      '--notice-days',
      '400',
      '--cost',
      'abc',
      '--currency',
      'XYZ',
      '--cycle',
      'annual',
      '--owner',
      'zed',
      '--by',
      'priya',
      '--config',
      offline,
    ]);
    expect(add.code).toBe(2);
    expect(add.stdout).toBe('');
    expect(add.stderr).toBe(
      'prodops: --owner "zed" is not a person in the configuration; --cost "abc" is not a number; --currency XYZ is an unknown currency: renewals.fxRates has no rate for it (known: GBP, EUR, USD); --notice-days 400 days is longer than the cycle (365 days up to 2027-06-01): the notice would fall in the cycle before',
    );
    const cases: [string[], RegExp][] = [
      [
        [
          'renewal',
          'add',
          'Figma!',
          '--tool',
          'x',
          '--renews',
          '2027-06-01',
          '--notice-days',
          '1',
          '--cost',
          '1',
          '--currency',
          'GBP',
          '--cycle',
          'annual',
          '--owner',
          'ana',
          '--by',
          'ana',
        ],
        /"Figma!" is not a subscription id/,
      ],
      [
        ['plan', 'renewal', '--renews', '2027-02-30', '--notice-days', '1'],
        /--renews must be a date that exists/,
      ],
      [
        ['plan', 'renewal', '--renews', '2027-02-01', '--notice-days', 'ten'],
        /--notice-days must be a whole number/,
      ],
      [
        ['plan', 'renewal', '--renews', '2027-02-01', '--notice-days', '10', '--cycle', 'weekly'],
        /--cycle "weekly" is not a cycle/,
      ],
      [
        ['renewal', 'decide', 'figma', '--decision', 'maybe', '--by', 'ana'],
        /--decision must be renew, renegotiate, downsize or cancel/,
      ],
      [['renewal', 'snooze', 'figma', '--until', 'soon', '--by', 'ana'], /--until must be a date/],
      [['renewal', 'decide', 'figma', '--decision', 'renew', '--by', 'zed'], /--by "zed" is not a person/],
      [
        ['renewal', 'list', '--status', 'sleeping'],
        /--status must be active, missed, invalid, cancelled or lapsed/,
      ],
      [['budget', '--year', '27'], /--year must be a year such as 2027/],
      [['budget', '--year', '2027', '--team', 'nope'], /--team "nope" is not a team/],
      [['budget', '--year', '2027', '--publish'], /--publish needs --by/],
    ];
    for (const [args, message] of cases) {
      const run = await prodops([...args, '--config', offline]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});

describe('prodops renewal and budget, against a dev server', () => {
  const taskQueue = uniqueId('renewal-cli');
  let env: TestWorkflowEnvironment;
  let workers: Worker[];
  let running: Promise<void>;
  let configPath: string;
  let world: RenewalWorld;

  beforeAll(async () => {
    const [devServer, workflowBundle] = await Promise.all([createDevServerEnv(), bundle(WORKFLOWS_PATH)]);
    env = devServer;
    // The workers read the operators from the configuration, as the command line does.
    const text = `${configText(env.address, taskQueue)}\n${operatorsYaml(operators)}`;
    configPath = writeConfig(text);
    world = new RenewalWorld(parseOrgConfig(text), env.client, () => readSubscriptionMemos(env.client));
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
  });

  afterAll(() => stopDevServerSuite(env, workers, running));

  /** The CLI run by `operator` (Priya unless said), with their key. */
  const as = (operator: string | null, ...args: string[]) =>
    asOperator(operators, operator, () => prodops([...args, '--config', configPath]));
  const cli = (...args: string[]) => as('priya', ...args);
  /** Reads until `ok` holds: every 200 ms, 20 s at the most. */
  const poll = <T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> =>
    readUntil(read, ok, what, { attempts: 100, intervalMs: 200 });

  it('adds, lists, decides, snoozes, and reads the budget', async () => {
    const today = localDateOf(Date.now(), 'Europe/London');
    const figmaRenews = addCalendarDays(today, 200);
    const slackRenews = addCalendarDays(today, 230);
    const year = figmaRenews.slice(0, 4);

    const added = await cli(
      'renewal',
      'add',
      'figma',
      '--tool',
      'Figma',
      '--vendor',
      'Figma Inc.',
      '--renews',
      figmaRenews,
      '--notice-days',
      '30',
      '--cost',
      '12000',
      '--currency',
      'EUR',
      '--cycle',
      'annual',
      '--owner',
      'ana',
      '--seats',
      '40',
      '--seats-in-use',
      '31',
      '--by',
      'priya',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const lines = added.stdout.split('\n');
    expect(lines[0]).toBe('subscription:figma: Figma (Figma Inc.), active, cycle 1');
    expect(lines).toContain('  owner ana, team growth; EUR 12,000.00 annual, GBP 10,200.00 per year');
    expect(lines).toContain('  seats 31 in use of 40 (78%)');
    expect(lines.some((l) => l.startsWith('  reminders: 90d '))).toBe(true);

    const slack = await cli(
      'renewal',
      'add',
      'slack',
      '--tool',
      'Slack',
      '--renews',
      slackRenews,
      '--notice-days',
      '60',
      '--cost',
      '800',
      '--currency',
      'GBP',
      '--cycle',
      'monthly',
      '--owner',
      'dev',
      '--by',
      'priya',
      '--json',
    );
    // A 60-day notice is longer than a monthly cycle: refused before anything starts.
    expect(slack.code).toBe(2);
    expect(slack.stderr).toMatch(/^prodops: --notice-days 60 days is longer than the cycle/);
    const slackOk = await cli(
      'renewal',
      'add',
      'slack',
      '--tool',
      'Slack',
      '--renews',
      slackRenews,
      '--notice-days',
      '14',
      '--cost',
      '800',
      '--currency',
      'GBP',
      '--cycle',
      'monthly',
      '--owner',
      'dev',
      '--by',
      'priya',
      '--json',
    );
    expect(slackOk.code).toBe(0);
    const slackStatus = JSON.parse(slackOk.stdout) as RenewalStatusView;
    expect(slackStatus).toMatchObject({
      subscriptionId: 'slack',
      lifecycle: 'active',
      fields: { team: 'platform', cycle: 'monthly' },
    });

    const status = JSON.parse(
      (await cli('renewal', 'status', 'subscription:figma', '--json')).stdout,
    ) as RenewalStatusView;
    expect(status.cycle!.plan!.reminders).toHaveLength(5);

    const listed = await poll(
      async () =>
        JSON.parse((await cli('renewal', 'list', '--json')).stdout) as {
          subscriptionId: string;
          lifecycle: string;
          decision: string | null;
        }[],
      (rows) => rows.length === 2,
      'both subscriptions listed',
    );
    expect(listed.map((r) => r.subscriptionId)).toEqual(['figma', 'slack']);
    const growth = JSON.parse((await cli('renewal', 'list', '--team', 'growth', '--json')).stdout) as {
      subscriptionId: string;
    }[];
    expect(growth.map((r) => r.subscriptionId)).toEqual(['figma']);

    const decided = await cli(
      'renewal',
      'decide',
      'figma',
      '--decision',
      'cancel',
      '--by',
      'ana',
      '--note',
      'moving to Penpot',
    );
    expect(decided.stderr).toBe('');
    expect(decided.code).toBe(0);
    expect(decided.stdout).toMatch(/decision: cancel by ana \(cli, operator priya, .*\): moving to Penpot/);
    expect(world.issues.map((i) => i.summary)).toEqual([
      expect.stringMatching(/^Cancel Figma \(Figma Inc\.\) by \d{4}-\d{2}-\d{2}$/),
    ]);

    const plan = slackStatus.cycle!.plan!;
    const snoozeTo = addCalendarDays(plan.reminders[0]!.date, 1);
    const snoozed = await cli('renewal', 'snooze', 'slack', '--until', snoozeTo, '--by', 'dev', '--json');
    expect(snoozed.stderr).toBe('');
    expect(snoozed.code).toBe(0);
    expect((JSON.parse(snoozed.stdout) as RenewalStatusView).snoozes[0]).toMatchObject({
      by: 'dev',
      via: 'cli',
      operator: 'priya',
    });

    const undecided = await poll(
      async () =>
        JSON.parse((await cli('renewal', 'list', '--undecided', '--json')).stdout) as {
          subscriptionId: string;
        }[],
      (rows) => rows.length === 1,
      'only slack undecided',
    );
    expect(undecided.map((r) => r.subscriptionId)).toEqual(['slack']);

    // The budget of the renewal year: Figma's renewal is being cancelled, so it is shown but not counted.
    const budget = JSON.parse((await cli('budget', '--year', year, '--json')).stdout) as {
      baseCurrency: string;
      teams: {
        team: string;
        budget: number | null;
        committed: number;
        lines: { tool: string; counted: boolean; note: string | null }[];
      }[];
    };
    expect(budget.baseCurrency).toBe('GBP');
    const growthBudget = budget.teams.find((t) => t.team === 'growth')!;
    expect(growthBudget.budget).toBe(42000);
    expect(growthBudget.lines.find((l) => l.tool === 'Figma')).toMatchObject({
      counted: false,
      note: 'being cancelled: not counted',
    });
    const platform = budget.teams.find((t) => t.team === 'platform')!;
    expect(platform.lines.filter((l) => l.tool === 'Slack' && l.counted).length).toBeGreaterThan(0);
    const text = await cli('budget', '--year', year, '--team', 'platform');
    expect(text.stdout.split('\n')[0]).toBe(`Tool budget ${year} in GBP (fixed rates: EUR 0.85, USD 0.79)`);
    expect(text.stdout).toContain('Platform pod');

    const published = await cli('budget', '--year', year, '--publish', '--by', 'priya');
    expect(published.code).toBe(0);
    expect(published.stdout).toContain(
      `asked tool-budget:${year} to rewrite "Tool budget ${year}" in Notion`,
    );
    await poll(
      async () => world.pages.find((p) => p.idempotencyKey === `tool-budget:${year}`)?.content.length ?? 0,
      (n) => n > 0,
      'the budget page',
    );

    const missing = await cli('renewal', 'status', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^prodops: no subscription nope: no workflow subscription:nope in namespace/,
    );
  });

  it('refuses a decision or snooze for someone the operator has no grant for', async () => {
    const renews = addCalendarDays(localDateOf(Date.now(), 'Europe/London'), 210);
    const added = await cli(
      'renewal',
      'add',
      'linear',
      '--tool',
      'Linear',
      '--renews',
      renews,
      '--notice-days',
      '30',
      '--cost',
      '3000',
      '--currency',
      'GBP',
      '--cycle',
      'annual',
      '--owner',
      'erin',
      '--by',
      'priya',
      '--json',
    );
    expect(added.code).toBe(0);
    const plan = (JSON.parse(added.stdout) as RenewalStatusView).cycle!.plan!;

    // Tom has the default grant only: he may not decide for the owner, nor snooze for her manager.
    const decided = await as('tom', 'renewal', 'decide', 'linear', '--decision', 'cancel', '--by', 'erin');
    expect(decided).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'prodops: operator tom may not act for erin as subscription-owner: their grant covers product-ops (operators[].actsFor)',
    });
    const until = addCalendarDays(plan.reminders[0]!.date, 1);
    const snoozed = await as('tom', 'renewal', 'snooze', 'linear', '--until', until, '--by', 'hana');
    expect(snoozed.code).toBe(1);
    expect(snoozed.stderr).toBe(
      'prodops: operator tom may not act for hana as manager: their grant covers product-ops (operators[].actsFor)',
    );
    // Without an operator key the command does not even connect.
    const anonymous = await as(null, 'renewal', 'decide', 'linear', '--decision', 'cancel', '--by', 'erin');
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/^prodops: this command changes a workflow and needs an operator/);

    // Nothing was recorded; Erin deciding for herself needs no grant.
    const status = JSON.parse(
      (await cli('renewal', 'status', 'linear', '--json')).stdout,
    ) as RenewalStatusView;
    expect(status.decisions).toEqual([]);
    expect(status.snoozes).toEqual([]);
    expect(status.log.map((l) => l.message)).toContain(
      'refused a decision for erin (operator tom): operator tom may not act for erin as subscription-owner: their grant covers product-ops (operators[].actsFor)',
    );
    const own = await as('erin', 'renewal', 'decide', 'linear', '--decision', 'renew', '--by', 'erin');
    expect(own.stderr).toBe('');
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/decision: renew by erin \(cli, \d{4}-/);
  });

  it('sets a subscription only as the operator, or for someone their product-ops grant covers', async () => {
    const renews = addCalendarDays(localDateOf(Date.now(), 'Europe/London'), 220);
    const add = (operator: string | null, by: string) =>
      as(
        operator,
        'renewal',
        'add',
        'miro',
        '--tool',
        'Miro',
        '--renews',
        renews,
        '--notice-days',
        '30',
        '--cost',
        '2400',
        '--currency',
        'GBP',
        '--cycle',
        'annual',
        '--owner',
        'dev',
        '--by',
        by,
        '--json',
      );
    // Kofi claims to be Priya: his grant does not cover it, and nothing is set.
    const claimed = await add('kofi', 'priya');
    expect(claimed).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'prodops: operator kofi may not act for priya as product-ops: their grant covers pm (operators[].actsFor)',
    });
    const refusedStatus = JSON.parse(
      (await cli('renewal', 'status', 'miro', '--json')).stdout,
    ) as RenewalStatusView;
    expect(refusedStatus.fields).toBeNull();
    expect(refusedStatus.log.map((l) => l.message)).toContain(
      'refused a change for priya (operator kofi): operator kofi may not act for priya as product-ops: their grant covers pm (operators[].actsFor)',
    );
    // Tom (product-ops) adds it for Erin: it is set, and recorded as Erin's by Tom's command.
    const granted = await add('tom', 'erin');
    expect(granted.stderr).toBe('');
    expect(granted.code).toBe(0);
    const status = JSON.parse(granted.stdout) as RenewalStatusView;
    expect(status.fields?.tool).toBe('Miro');
    expect(status.log.map((l) => l.message)).toContain('subscription set by erin via cli (operator tom)');
    // Without an operator key nothing connects.
    const anonymous = await add(null, 'erin');
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/^prodops: this command changes a workflow and needs an operator/);
  });
});
