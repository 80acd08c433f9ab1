/**
 * `prodops plan onboarding` (pure, against hand-counted dates on the example's London calendar),
 * the blockers report (pure), and the `prodops onboarding …` commands against a real dev server
 * with a worker running the onboarding workflow over the shared fake integrations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockersReport } from '../../cli/onboarding-view';
import { addWorkingDays, localDateOf, type CalendarDate } from '../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../domain/holidays';
import { taskDone, type OnboardingStatus, type TaskView } from '../../workflows/onboarding/messages';
import { EXAMPLE_CONFIG_PATH, exampleConfigText, loadExampleConfig } from '../helpers/config';
import { until } from '../helpers/eventually';
import { asOperator, operatorsYaml, withOperators } from '../helpers/operators';
import { NO_RATE_LIMITS, startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/temporal';
import { OnboardingWorld } from '../workflows/onboarding/onboarding-world';
import { runCli } from '../helpers/cli';

const prodops = runCli;

const plan = (...args: string[]) => prodops(['plan', 'onboarding', ...args, '--config', EXAMPLE_CONFIG_PATH]);

describe('prodops plan onboarding', () => {
  // Counted by hand on the London calendar: weekends; bank holidays Fri 25 Dec 2026, Mon 28 Dec
  // and Fri 1 Jan 2027; company days off 24, 29, 30, 31 Dec.
  it('every date of a start on Monday 2027-01-11 and an end on Wednesday 2027-06-30', async () => {
    const run = await plan('--start', '2027-01-11', '--end', '2027-06-30', '--today', '2026-12-01', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      // Jan 8, 7, 6, 5, 4, then 23, 22, 21, 18, 17 Dec: every day from 24 Dec to 1 Jan is off.
      contractDue: '2026-12-17',
      // Jan 8, 7, 6, 5, 4.
      securityApprovalDue: '2027-01-04',
      // Jan 8, 7, 6.
      accessDue: '2027-01-06',
      buddyDue: '2027-01-06',
      welcomeSession: '2027-01-11',
      // The fifth working day, the start being the first: 11, 12, 13, 14, 15.
      firstWeekCheckIn: '2027-01-15',
      // 30 calendar days on: Wednesday 10 February.
      thirtyDayReview: '2027-02-10',
      // June 29, 28, 25, 24, 23, 22, 21, 18, 17, 16.
      extensionDecisionDue: '2027-06-16',
      accessRevokedBy: '2027-07-01',
      // July 1, 2, 5, 6, 7.
      finalInvoiceDue: '2027-07-07',
      late: false,
      // Ten working days after Tuesday 1 December: 2, 3, 4, 7, 8, 9, 10, 11, 14, 15.
      earliestStart: '2026-12-15',
    });
  });

  it('late once the Contract tasks were due before today; the earliest start skips the shutdown', async () => {
    const run = await plan('--start', '2027-01-11', '--today', '2026-12-20', '--json');
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      late: true,
      // From Monday 21 Dec: 22, 23, then 4, 5, 6, 7, 8, 11, 12, 13 January.
      earliestStart: '2027-01-13',
      extensionDecisionDue: null,
      accessRevokedBy: null,
      finalInvoiceDue: null,
    });
    const readable = await plan('--start', '2027-01-11', '--today', '2026-12-20');
    expect(readable.stdout).toContain('LATE: the Contract tasks were due 2026-12-17');
  });

  it('a start that is not a working day exits 1 with the reason and the next working day', async () => {
    const saturday = await plan('--start', '2027-01-09', '--json');
    expect(saturday.code).toBe(1);
    expect(saturday.stdout).toBe('');
    expect(saturday.stderr).toBe(
      'prodops: --start: start date 2027-01-09 is a Saturday on the london calendar, not a working day: the next working day is 2027-01-11',
    );
    const boxingDay = await plan('--start', '2026-12-28', '--json');
    expect(boxingDay.code).toBe(1);
    expect(boxingDay.stderr).toMatch(/2026-12-28 is a day off .* the next working day is 2027-01-04/);
    const badDate = await plan('--start', '2027-02-30', '--json');
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/--start must be a date that exists/);
    const endFirst = await plan('--start', '2027-01-11', '--end', '2027-01-08', '--json');
    expect(endFirst.code).toBe(1);
    expect(endFirst.stderr).toMatch(/--end: end date 2027-01-08 is before the start date 2027-01-11/);
  });
});

const task = (over: Partial<TaskView>): TaskView => ({
  id: 'contract',
  kind: 'contract',
  owner: 'legal',
  teamId: 'legal',
  title: 'Contract and NDA: X',
  due: '2027-01-04',
  status: 'done',
  issueKey: 'LEGAL-1',
  createdOn: '2026-12-01',
  doneOn: '2026-12-03',
  doneBy: { by: 'lucia', via: 'jira' },
  workingDaysToDone: 2,
  ...over,
});

describe('the blockers report', () => {
  it('names the team, task and working days late of each running engagement, and each team’s median', () => {
    const status = (id: string, tasks: TaskView[], blockers: OnboardingStatus['blockers']) =>
      ({
        freelancerId: id,
        workflowId: `onboarding:${id}`,
        phase: 'contract',
        startDate: '2027-01-11',
        tasks,
        blockers,
      }) as unknown as OnboardingStatus;
    const late = {
      taskId: 'vendor',
      title: 'Vendor record: A',
      owner: 'finance' as const,
      teamId: 'finance',
      issueKey: 'FIN-2',
      due: '2027-01-04',
      workingDaysLate: 3,
    };
    const report = blockersReport(
      [
        {
          status: status(
            'a',
            [
              task({ workingDaysToDone: 1 }),
              task({ id: 'vendor', teamId: 'finance', status: 'open', workingDaysToDone: null }),
            ],
            [late],
          ),
          running: true,
        },
        {
          status: status(
            'b',
            [task({ workingDaysToDone: 4 }), task({ teamId: 'finance', workingDaysToDone: 6 })],
            [],
          ),
          running: true,
        },
        { status: status('c', [task({ workingDaysToDone: 2 })], []), running: false },
      ],
      ['d'],
    );
    expect(report.engagements.map((e) => e.freelancerId)).toEqual(['a', 'b']);
    expect(report.engagements[0]!.blockers).toEqual([late]);
    expect(report.teams).toEqual([
      { teamId: 'finance', tasksDone: 1, medianWorkingDaysToDone: 6 },
      { teamId: 'legal', tasksDone: 3, medianWorkingDaysToDone: 2 },
    ]);
    expect(report.unreadable).toEqual(['d']);
  });
});

describe('prodops onboarding', () => {
  /** Every person an operator; Priya (Product Ops) may act for anyone in any part. */
  const operators = withOperators(loadExampleConfig(), {
    priya: ['product-ops', 'pm', 'support', 'sales', 'buddy', 'manager', 'requester'],
  });
  // The workers read the operators from the configuration, as the command line does.
  const config = operators.config;
  const taskQueue = uniqueId('cli-onboarding');
  let stack: Stack;
  let configPath: string;
  const world = new OnboardingWorld(config);

  beforeAll(async () => {
    stack = await startStack({ temporal: 'dev-server', taskQueue, config });
    await stack.startWorkers({
      activities: world.activities(),
      rateLimits: NO_RATE_LIMITS,
    });
    const dir = mkdtempSync(join(tmpdir(), 'prodops-onboarding-'));
    configPath = join(dir, 'prodops.config.yaml');
    writeFileSync(
      configPath,
      exampleConfigText()
        .replace('address: 127.0.0.1:7233', `address: ${stack.env.address}`)
        .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`) + `\n${operatorsYaml(operators)}`,
    );
  });

  afterAll(() => stack?.stop());

  // The commands that change an engagement are signed, as a configured operator signs them.
  const onboarding = (...args: string[]) =>
    asOperator(operators, 'priya', () => prodops(['onboarding', ...args, '--config', configPath]));
  const london = () => {
    const year = new Date().getUTCFullYear();
    return resolveBusinessCalendar(config, 'london', { from: year - 1, to: year + 2 });
  };
  const ahead = (n: number): CalendarDate =>
    addWorkingDays(london(), localDateOf(Date.now(), 'Europe/London'), n);

  async function statusOf(id: string): Promise<OnboardingStatus> {
    const run = await onboarding('status', id, '--json');
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout) as OnboardingStatus;
  }

  const waitFor = <T>(what: string, probe: () => Promise<T | undefined>) => until(what, probe);

  it('starts, shows, lists, refuses and changes an engagement; blockers names who holds it up', async () => {
    const id = uniqueId('jo');
    const start = ahead(20);
    const end = addWorkingDays(london(), start, 40);
    const args = [
      '--id',
      id,
      '--name',
      'Jo Park',
      '--email',
      `${id}@studio.example`,
      '--team',
      'growth',
      '--manager',
      'ana',
    ];
    const more = ['--country', 'GB', '--start', start, '--end', end, '--tools', 'figma,jira', '--by', 'tom'];
    const first = await onboarding('start', ...args, ...more);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`started onboarding:${id} on task queue ${taskQueue}`);
    expect(first.stdout).toMatch(new RegExp(`welcome session \\(start\\)\\s+${start}`));
    const again = await onboarding('start', ...args, ...more);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `prodops: ${id} is already onboarding as onboarding:${id}: see prodops onboarding status ${id}`,
    );

    const bad = await onboarding(
      'start',
      ...args.slice(0, -2),
      '--manager',
      'kim',
      ...more.slice(0, -4),
      '--tools',
      'figma,photoshop',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--manager: "kim" is not a person/);
    expect(bad.stderr).toMatch(/--tools: "photoshop" is not a tool/);

    const s = await waitFor('the contract tasks', async () => {
      const x = await statusOf(id);
      return x.tasks.length === 3 && x.tasks.every((t) => t.issueKey) ? x : undefined;
    });
    expect(s.phase).toBe('contract');
    const readable = await onboarding('status', id);
    expect(readable.stdout).toContain('Contract and NDA: Jo Park');

    const listed = await onboarding('list', '--team', 'growth', '--json');
    const rows = JSON.parse(listed.stdout) as { freelancerId: string; phase: string; startDate: string }[];
    expect(rows).toContainEqual(
      expect.objectContaining({ freelancerId: id, phase: 'contract', startDate: start }),
    );
    expect(JSON.parse((await onboarding('list', '--team', 'platform', '--json')).stdout)).not.toContainEqual(
      expect.objectContaining({ freelancerId: id }),
    );

    const refused = await onboarding(
      'shift',
      id,
      '--start',
      addWorkingDays(london(), start, 2),
      '--by',
      'ben',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('prodops: "ben" cannot move the start: only ana or hana can');
    const shifted = await onboarding(
      'shift',
      id,
      '--start',
      addWorkingDays(london(), start, 2),
      '--by',
      'ana',
      '--json',
    );
    expect(shifted.code).toBe(0);
    expect((JSON.parse(shifted.stdout) as OnboardingStatus).startDate).toBe(
      addWorkingDays(london(), start, 2),
    );
    // Priya signed both for someone else: the status names her beside whom she acted for.
    const shown = (await onboarding('status', id)).stdout;
    expect(shown).toMatch(/ana via cli \(operator priya\) +start moved from/);
    expect(shown).toMatch(/ben via cli \(operator priya\) +"ben" cannot move the start/);

    const contract = s.tasks.find((t) => t.id === 'contract')!;
    // Lucía moves it in Jira; the signal only says where to look.
    const lucia = config.people.find((p) => p.id === 'lucia')!.jiraAccountId!;
    world.fakes.jira.setIssueStatus(contract.issueKey!, 'Done', lucia);
    await stack.client.workflow
      .getHandle(`onboarding:${id}`)
      .signal(taskDone, { issueKey: contract.issueKey!, personId: 'lucia', deliveryId: 'cli-test' });
    await waitFor('the task done', async () =>
      (await statusOf(id)).tasks.find((t) => t.id === 'contract')?.status === 'done' ? true : undefined,
    );
    const blockers = await onboarding('blockers', '--json');
    expect(blockers.code).toBe(0);
    const report = JSON.parse(blockers.stdout) as ReturnType<typeof blockersReport>;
    const mine = report.engagements.find((e) => e.freelancerId === id)!;
    expect(mine.blockers.map((b) => [b.teamId, b.taskId, b.workingDaysLate])).toEqual([
      ['legal', 'compliance', 0],
      ['finance', 'vendor', 0],
    ]);
    expect(report.teams.find((t) => t.teamId === 'legal')?.medianWorkingDaysToDone).toBe(0);

    const cancelled = await onboarding('cancel', id, '--by', 'ana', '--reason', 'role filled');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`${id}: cancelled before the start: role filled`);
  });
});
