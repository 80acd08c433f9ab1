import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { main, type CliIO } from '../../cli/main';
import { ALL_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { exampleConfigText } from '../helpers/config';

let env: TestWorkflowEnvironment;
let configPath: string;

beforeAll(async () => {
  // A dev server with none of prodops' search attributes, as a new namespace would be.
  const cli = process.env.TEMPORAL_CLI_PATH;
  env = await TestWorkflowEnvironment.createLocal(
    cli ? { server: { executable: { type: 'existing-path', path: cli } } } : {},
  );
  const address = env.connection.options.address;
  configPath = join(mkdtempSync(join(tmpdir(), 'prodops-setup-')), 'prodops.config.yaml');
  writeFileSync(configPath, exampleConfigText().replace('address: 127.0.0.1:7233', `address: ${address}`));
});
afterAll(async () => {
  await env?.teardown();
});

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

describe('prodops temporal setup', () => {
  it('registers the search attributes once and is harmless to repeat', async () => {
    const first = capture();
    expect(await main(['temporal', 'setup', '--config', configPath], first)).toBe(0);
    expect(first.lines.join('\n')).toMatch(
      new RegExp(`${ALL_SEARCH_ATTRIBUTES.length} search attributes added, 0 already there`),
    );
    // The first setup creates every schedule, the insights pipeline's among them, and starts the
    // month's metrics run at once.
    expect(first.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^schedule prodops-metrics-monthly: created, run started now — daily at 06:00/),
        expect.stringMatching(/^schedule prodops-insights-weekly: created — daily at 09:00 Europe\/London/),
        expect.stringMatching(/^schedule prodops-insights-monthly: created — daily at 09:00 Europe\/London/),
      ]),
    );
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    expect(Object.keys(customAttributes ?? {})).toEqual(
      expect.arrayContaining([
        'ReleaseTier',
        'LaunchDate',
        'EnablementStatus',
        'ProductArea',
        'LeaveStatus',
        'Team',
        'LeaveStart',
        'LeaveEnd',
        'OnboardingPhase',
        'StartDate',
        'EndDate',
        'RenewalStatus',
        'NoticeDeadline',
      ]),
    );

    const second = capture();
    expect(await main(['temporal', 'setup', '--config', configPath], second)).toBe(0);
    expect(second.lines.join('\n')).toMatch(
      new RegExp(`0 search attributes added, ${ALL_SEARCH_ATTRIBUTES.length} already there`),
    );
  });

  it("creates the rituals' and the insights schedules, leaves them alone when unchanged, updates them after a change", async () => {
    const first = capture();
    expect(await main(['temporal', 'setup', '--config', configPath], first)).toBe(0);
    const weekly = await env.client.schedule.getHandle('prodops-weekly-update').describe();
    expect(weekly.spec.timezone).toBe('Europe/London');
    expect(weekly.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 9, end: 9, step: 1 }] });
    expect(weekly.spec.calendars?.[0]?.dayOfWeek.map((r) => r.start)).toEqual([
      'MONDAY',
      'TUESDAY',
      'WEDNESDAY',
      'THURSDAY',
      'FRIDAY',
    ]);
    expect(weekly.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 3_600_000 });
    expect(weekly.action).toMatchObject({
      workflowType: 'weeklyUpdateLauncherWorkflow',
      taskQueue: 'prodops',
    });
    const metrics = await env.client.schedule.getHandle('prodops-metrics-monthly').describe();
    expect(metrics.action).toMatchObject({ workflowType: 'productOpsMetricsWorkflow' });
    // Daily, so a missed first of the month is made good the next day; skipped while a run goes.
    expect(metrics.spec.calendars?.[0]).toMatchObject({
      dayOfMonth: [{ start: 1, end: 31, step: 1 }],
      hour: [{ start: 6, end: 6, step: 1 }],
    });
    expect(metrics.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 86_400_000 });
    // The first setup started the month's run at once; it waits for a worker, so none was started since.
    expect(metrics.info.numActionsTaken).toBe(1);
    // The insights pipeline's: daily, and the launcher keeps the working days.
    const insightsWeekly = await env.client.schedule.getHandle('prodops-insights-weekly').describe();
    expect(insightsWeekly.action).toMatchObject({
      workflowType: 'insightsLauncherWorkflow',
      args: [{ kind: 'weekly' }],
    });
    expect(insightsWeekly.spec.timezone).toBe('Europe/London');
    expect(insightsWeekly.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 86_400_000 });
    expect(insightsWeekly.state.paused).toBe(false);
    const insightsMonthly = await env.client.schedule.getHandle('prodops-insights-monthly').describe();
    expect(insightsMonthly.action).toMatchObject({ args: [{ kind: 'monthly' }] });

    const again = capture();
    expect(await main(['temporal', 'setup', '--config', configPath], again)).toBe(0);
    expect(again.lines.filter((l) => l.startsWith('schedule '))).toEqual([
      expect.stringMatching(/^schedule prodops-weekly-update: unchanged/),
      expect.stringMatching(/^schedule prodops-metrics-monthly: unchanged/),
      expect.stringMatching(/^schedule prodops-insights-weekly: unchanged/),
      expect.stringMatching(/^schedule prodops-insights-monthly: unchanged/),
    ]);

    const changed = join(mkdtempSync(join(tmpdir(), 'prodops-setup-')), 'prodops.config.yaml');
    writeFileSync(
      changed,
      readFileSync(configPath, 'utf8')
        .replace("opens: '09:00'", "opens: '08:30'")
        .replace('monthlyPage: true', 'monthlyPage: false')
        .replace(/^(\s*)time: '09:00'(.*)$/m, "$1time: '10:30'$2"),
    );
    const third = capture();
    expect(await main(['temporal', 'setup', '--config', changed], third)).toBe(0);
    expect(third.lines.filter((l) => l.startsWith('schedule '))).toEqual([
      expect.stringMatching(/^schedule prodops-weekly-update: updated/),
      expect.stringMatching(/^schedule prodops-metrics-monthly: updated \(paused\)/),
      expect.stringMatching(/^schedule prodops-insights-weekly: updated — daily at 10:30/),
      expect.stringMatching(/^schedule prodops-insights-monthly: updated — daily at 10:30/),
    ]);
    const moved = await env.client.schedule.getHandle('prodops-weekly-update').describe();
    expect(moved.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 8, end: 8, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
    });
    expect((await env.client.schedule.getHandle('prodops-metrics-monthly').describe()).state.paused).toBe(
      true,
    );
  });
});
