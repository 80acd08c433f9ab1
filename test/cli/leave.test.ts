/**
 * `prodops leave …`: usage errors and the configuration-only dry run without a server, then a
 * request through both gates, a refused confirmation, the list and the dry run against a real
 * dev server, with a worker running the leave workflows over in-memory integrations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addCalendarDays,
  isWorkingDay,
  localDateOf,
  weekdayOf,
  type CalendarDate,
} from '../../domain/business-calendar';
import { parseOrgConfig } from '../../domain/config';
import { resolveAllCalendars } from '../../domain/holidays';
import type { LeaveStatusView } from '../../workflows/leave/messages';
import { exampleConfigText } from '../helpers/config';
import { until } from '../helpers/eventually';
import { NO_RATE_LIMITS, startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/temporal';
import { LeaveWorld } from '../workflows/leave/leave-world';
import { asOperator, operatorsYaml, withOperators, type TestOperators } from '../helpers/operators';
import { runCli, type CliRun, writeTempConfig } from '../helpers/cli';

const prodops = runCli;

const writeConfig = (text: string): string => writeTempConfig(text, 'leave');

/** The example organisation pointed at a server, optionally without its fixed blackouts. */
function configText(address: string, taskQueue = 'prodops', blackouts = true): string {
  let text = exampleConfigText()
    .replace('address: 127.0.0.1:7233', `address: ${address}`)
    .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`);
  if (!blackouts) text = text.replace(/ {2}blackouts:\n( {4}- .*\n)+/, '  blackouts: []\n');
  return text;
}

function expectUsageError(run: CliRun, mentions: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^prodops: /);
  expect(run.stderr).toMatch(mentions);
}

describe('prodops leave, without a server', () => {
  const unreachable = writeConfig(configText('127.0.0.1:1'));
  const leave = (...args: string[]) => prodops(['leave', ...args, '--config', unreachable]);

  it('refuses bad input with one line naming the option, before connecting', async () => {
    expectUsageError(
      await leave('request', '--person', 'nobody', '--from', '2027-03-01', '--to', '2027-03-02'),
      /--person "nobody" is not a person in the configuration/,
    );
    expectUsageError(
      await leave('request', '--person', 'gita', '--from', '2027-02-30', '--to', '2027-03-02'),
      /^prodops: --from must be a date written YYYY-MM-DD, got "2027-02-30"$/,
    );
    expectUsageError(
      await leave(
        'check',
        '--person',
        'gita',
        '--from',
        '2027-03-01',
        '--to',
        '2027-03-03',
        '--first-day',
        'morning',
      ),
      /^prodops: --first-day cannot be morning on a leave of several days/,
    );
    expectUsageError(
      await leave('request', '--person', 'gita', '--from', '2020-03-02', '--to', '2020-03-03'),
      /--to 2020-03-03 is in the past/,
    );
    expectUsageError(
      await leave('confirm', 'gita-2027-03-01', '--by', 'hugo', '--decision', 'approve'),
      /"gita-2027-03-01" does not name a leave request/,
    );
    expectUsageError(
      await leave('confirm', 'gita+2027-03-01', '--by', 'hugo', '--decision', 'maybe'),
      /--decision must be approve or decline, got "maybe"/,
    );
    expectUsageError(
      await leave('list', '--team', 'nope'),
      /--team "nope" is not a team in the configuration/,
    );
    expectUsageError(
      await leave('list', '--from', '2027-03-05', '--to', '2027-03-01'),
      /--to \(2027-03-01\) is before --from/,
    );
  });

  it('checks dates from the configuration alone when Temporal is not there, and says so', async () => {
    const run = await leave('check', '--person', 'gita', '--from', '2026-12-08', '--to', '2026-12-09');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('gate 1: refused');
    expect(lines).toContain(
      '  - blackout: the window touches the blackout 2026-12-07 to 2026-12-11: Annual planning week',
    );
    expect(lines).toContain('buddy: Hugo Laurent (configured buddy)');
    expect(lines).toContain('approval: Hana Okafor');
    expect(lines).toContain('verdict: would not pass as requested');
    expect(lines.at(-1)).toMatch(/^from: configuration only: cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('check --json: one object with the verdict; exit 0 when a request would pass, 1 when not', async () => {
    const refused = await leave(
      'check',
      '--person',
      'gita',
      '--from',
      '2026-12-08',
      '--to',
      '2026-12-09',
      '--json',
    );
    expect(refused.stderr).toBe('');
    expect(refused.code).toBe(1);
    expect(refused.stdout.split('\n')).toHaveLength(1);
    const report = JSON.parse(refused.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      person: { id: 'gita', name: 'Gita Sharma' },
      window: { from: '2026-12-08', to: '2026-12-09', firstDay: 'full', lastDay: 'full' },
      workingDays: ['2026-12-08', '2026-12-09'],
      gate1: { passed: false, reasons: [{ kind: 'blackout' }] },
      buddy: { id: 'hugo', preference: 'configured-buddy' },
      manager: { id: 'hana' },
      passed: false,
      source: { live: false },
    });

    // A Monday and Tuesday in March, outside every blackout: gate 1 passes and Hugo covers.
    const passes = await leave('check', '--person', 'gita', '--from', '2027-03-01', '--to', '2027-03-02');
    expect(passes.stderr).toBe('');
    expect(passes.code).toBe(0);
    expect(passes.stdout.split('\n')).toContain('verdict: would pass gate 1 and find a buddy');
  });
});

describe('prodops leave, against a dev server', () => {
  const taskQueue = uniqueId('leave-cli');
  let stack: Stack;
  let configPath: string;
  let operators: TestOperators;

  beforeAll(async () => {
    // The organisation names the server, so the workers start once it is up.
    stack = await startStack({ temporal: 'dev-server', taskQueue });
    const base = configText(stack.env.address, taskQueue, false);
    operators = withOperators(parseOrgConfig(base), { priya: ['product-ops', 'manager'] });
    const text = `${base}
${operatorsYaml(operators)}`;
    configPath = writeConfig(text);
    const organisation = parseOrgConfig(text);
    const world = new LeaveWorld(organisation, stack.client);
    await stack.startWorkers({ activities: world.activities(), rateLimits: NO_RATE_LIMITS });
  });
  afterAll(() => stack?.stop());

  const leave = (...args: string[]) => prodops(['leave', ...args, '--config', configPath]);
  /** The CLI run by `operator`, with their key. */
  const as = (operator: string | null, ...args: string[]) =>
    asOperator(operators, operator, () => leave(...args));

  /** Two days, three weeks or more ahead, that are working days on every calendar. */
  function quietWindow(): { from: CalendarDate; to: CalendarDate } {
    const year = new Date().getUTCFullYear();
    const calendars = Object.values(
      resolveAllCalendars(parseOrgConfig(exampleConfigText()), { from: year, to: year + 2 }),
    );
    let from = addCalendarDays(localDateOf(Date.now(), 'Europe/London'), 21);
    for (;;) {
      const to = addCalendarDays(from, 1);
      if (weekdayOf(from) === 'mon' && calendars.every((c) => isWorkingDay(c, from) && isWorkingDay(c, to)))
        return { from, to };
      from = addCalendarDays(from, 1);
    }
  }

  async function status(target: string): Promise<LeaveStatusView> {
    const run = await leave('status', target, '--json');
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout) as LeaveStatusView;
  }

  const eventually = until;

  it('requests, refuses a third party, confirms, lists who covers, checks against live leave and cancels', async () => {
    const { from, to } = quietWindow();
    const target = `gita+${from}`;
    const requested = await leave('request', '--person', 'gita', '--from', from, '--to', to);
    expect(requested.stderr).toBe('');
    expect(requested.code).toBe(0);
    expect(requested.stdout.split('\n')).toEqual([
      `requested ${from} to ${to} for Gita Sharma: leave:gita:${from}`,
      'gate 1: passed',
      expect.stringMatching(new RegExp(`^leave:gita:${from}: (checking|awaiting-confirmation)`)),
    ]);
    await eventually('the invites', async () => {
      const s = await status(target);
      return s.phase === 'awaiting-confirmation' && s.trackerPageId ? s : undefined;
    });

    const refused = await as('dev', 'confirm', target, '--decision', 'approve');
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'prodops: dev is neither the covering buddy (Hugo Laurent) nor the manager (Hana Okafor) of this request',
    });
    // Nobody may confirm as Hugo by typing his name: Tom's grant does not cover buddies.
    const claimed = await as('tom', 'confirm', target, '--by', 'hugo', '--decision', 'approve');
    expect(claimed.code).toBe(1);
    expect(claimed.stderr).toBe(
      'prodops: operator tom may not act for hugo as buddy: their grant covers product-ops (operators[].actsFor)',
    );
    // Without an operator key the command does not even connect.
    const anonymous = await as(null, 'confirm', target, '--by', 'hugo', '--decision', 'approve');
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/^prodops: this command changes a workflow and needs an operator/);
    expect((await as('hugo', 'confirm', target, '--decision', 'approve')).code).toBe(0);
    // Priya records Hana's approval, given to her by phone: her grant covers managers.
    const approved = await as(
      'priya',
      'confirm',
      `leave:gita:${from}`,
      '--by',
      'hana',
      '--decision',
      'approve',
      '--note',
      'enjoy',
    );
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(
      'gate 2: buddy Hugo Laurent confirmed by hugo via command; manager Hana Okafor confirmed by hana via command (operator priya)',
    );
    expect(approved.stdout).toContain('refused: dev (command');
    expect(approved.stdout).toContain('refused: hugo (command, operator tom');
    await eventually('the confirmation', async () =>
      (await status(target)).phase === 'confirmed' ? true : undefined,
    );

    const listed = await eventually('the list', async () => {
      const run = await leave('list', '--team', 'insights', '--from', from, '--to', to);
      return run.stdout.includes('confirmed') ? run : undefined;
    });
    expect(listed.stdout).toBe(
      `${from} to ${to}  Gita Sharma (insights)  confirmed  covered by Hugo Laurent  leave:gita:${from}`,
    );
    expect((await leave('list', '--team', 'growth')).stdout).toBe('no leave matches');
    expect((await leave('list', '--team', 'insights', '--from', addCalendarDays(to, 1))).stdout).toBe(
      'no leave matches',
    );

    const check = await leave('check', '--person', 'hugo', '--from', from, '--to', to);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('gate 1: refused');
    expect(check.stdout).toContain('  - coverage: Insights pod needs at least 1 product_manager on duty');
    // gita, hugo's buddy, is on leave then; hugo has no one else in his team, so another team's PM covers.
    expect(check.stdout).toContain(`buddy: Ana Costa (other team), after Gita Sharma: on leave on ${from}`);
    expect(check.stdout.split('\n').at(-1)).toMatch(
      /^from: running releases and the teams' leave from Temporal/,
    );

    const notAllowed = await as('hugo', 'cancel', target);
    expect(notAllowed.code).toBe(1);
    expect(notAllowed.stderr).toBe(
      "prodops: hugo cannot cancel Gita Sharma's leave: only they or their management chain can",
    );
    const cancelled = await as('gita', 'cancel', target, '--reason', 'plans changed');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout.split('\n')[0]).toBe(
      `leave:gita:${from}: cancelled — cancelled by gita: plans changed`,
    );
    const gone = await as('hana', 'confirm', target, '--decision', 'approve');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^prodops: leave:gita:\S+ (has finished \(COMPLETED\)|is cancelled)/);
  });
});
