/**
 * The dashboard in a real browser: the system Chromium, driven by playwright-core, loads
 * /dashboard from a gateway over a dev server seeded with known releases and leave. It checks
 * the launches shown, a late release marked late, a person on leave with their buddy, that the
 * page runs no script and fetches nothing else, and that the figures it shows are those of
 * `prodops report --json` over the same range. Without Chromium the suite is skipped and says so.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { chromium, type Browser } from 'playwright-core';
import { main, type CliIO } from '../../cli/main';
import { dashboardPages } from '../../dashboard/pages';
import type { DashboardModel } from '../../dashboard/model';
import { addCalendarDays, localDateOf, type CalendarDate } from '../../domain/business-calendar';
import type { ReleaseStatusView } from '../../domain/measurement';
import { isoWeekOf, mondayOf } from '../../domain/rituals';
import { LaunchDate, LeaveEnd, LeaveStart, LeaveStatus } from '../../domain/search-attributes';
import { startGateway, type Gateway } from '../../triggers/gateway';
import type { LeaveMemo } from '../../workflows/leave/messages';
import type { leaveWorkflow, releaseWorkflow } from '../fixtures/dashboard-workflows';
import { exampleConfigText, loadExampleConfig } from '../helpers/config';
import { until } from '../helpers/eventually';
import { bundle, createDevServerEnv, uniqueId } from '../helpers/temporal';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path): path is string => !!path && existsSync(path),
);
if (!CHROMIUM)
  console.warn(
    'dashboard browser test skipped: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)',
  );

/** What the page's elements are read for (the project compiles without the DOM's types). */
interface Attributed {
  getAttribute(name: string): string | null;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/dashboard-workflows.ts', import.meta.url));
const config = loadExampleConfig();
const taskQueue = uniqueId('dashboard');
const today = localDateOf(Date.now(), config.calendars.london!.timezone);
const monday = mondayOf(isoWeekOf(today));
const midnight = (date: CalendarDate) => new Date(`${date}T00:00:00Z`);

function release(
  o: Partial<ReleaseStatusView> & { issueKey: string; launch: CalendarDate },
): ReleaseStatusView {
  const { launch, ...rest } = o;
  return {
    title: o.issueKey,
    tier: 2,
    pmId: 'ana',
    productArea: 'Growth',
    phase: 'planning',
    enablement: 'pending',
    launchedOn: null,
    steps: [],
    flags: { late: false, atRisk: false, onHold: false, launchOverdue: false },
    awareness: [],
    ...rest,
    plan: {
      launchDate: launch,
      bundleDueDate: addCalendarDays(launch, -7),
      dayThreeCheckIn: addCalendarDays(launch, 3),
    },
  };
}

const RELEASES = [
  release({
    issueKey: 'REL-701',
    title: 'Usage alerts',
    tier: 3,
    launch: addCalendarDays(monday, 14),
    enablement: 'published',
    bundlePublishedOn: monday,
    bundlePublishedBeforeLaunch: null,
  }),
  release({
    issueKey: 'REL-702',
    title: 'Bulk export',
    pmId: 'ben',
    launch: addCalendarDays(monday, 9),
    enablement: 'late',
    flags: { late: true, atRisk: false, onHold: false, launchOverdue: false },
  }),
  // Launched this Monday with its bundle published the Friday before: covered, on time.
  release({
    issueKey: 'REL-703',
    title: 'Dark mode',
    launch: monday,
    phase: 'done',
    enablement: 'released',
    launchedOn: monday,
    bundlePublishedOn: addCalendarDays(monday, -10),
    bundlePublishedBeforeLaunch: true,
  }),
];

const LEAVE: LeaveMemo = {
  personId: 'ana',
  personName: 'Ana Costa',
  team: 'growth',
  from: addCalendarDays(today, 3),
  to: addCalendarDays(today, 7),
  firstDay: 'full',
  lastDay: 'full',
  buddyId: 'ben',
  buddyName: 'Ben Adeyemi',
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let gateway: Gateway;
let browser: Browser;

describe.skipIf(!CHROMIUM)('the dashboard in Chromium', () => {
  beforeAll(async () => {
    const [started, workflowBundle] = await Promise.all([createDevServerEnv(), bundle(FIXTURES)]);
    env = started;
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
    });
    running = worker.run();
    for (const status of RELEASES)
      await env.client.workflow.start<typeof releaseWorkflow>('releaseWorkflow', {
        taskQueue,
        workflowId: `release:${status.issueKey}`,
        args: [status],
        typedSearchAttributes: [
          { key: LaunchDate, value: midnight(status.launchedOn ?? status.plan.launchDate) },
        ],
      });
    await env.client.workflow.start<typeof leaveWorkflow>('leaveWorkflow', {
      taskQueue,
      workflowId: uniqueId('leave:ana'),
      memo: { leave: LEAVE },
      typedSearchAttributes: [
        { key: LeaveStatus, value: 'confirmed' },
        { key: LeaveStart, value: midnight(LEAVE.from) },
        { key: LeaveEnd, value: midnight(LEAVE.to) },
      ],
    });
    await until('the seeded workflows to be visible', async () => {
      let count = 0;
      for await (const _ of env.client.workflow.list({
        query: `WorkflowType IN ('releaseWorkflow', 'leaveWorkflow') AND ExecutionStatus = 'Running'`,
      }))
        count++;
      return count === RELEASES.length + 1 ? count : undefined;
    });
    gateway = await startGateway({
      port: 0,
      pages: dashboardPages({ client: env.client, config, cacheMs: 0 }),
      log: () => undefined,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('shows the launches, the late one marked late, and who covers the person on leave', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const response = await page.goto(`${gateway.url}/dashboard`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toContain(config.organisation.name);

    const launches = page.locator('#launches tbody tr[data-issue]');
    expect(
      await launches.evaluateAll((rows: Attributed[]) => rows.map((r) => r.getAttribute('data-issue'))),
    ).toEqual(['REL-703', 'REL-702', 'REL-701']);
    const late = page.locator('#launches tr[data-issue="REL-702"]');
    expect(await late.getAttribute('data-flags')).toBe('late');
    expect(await late.locator('.flag-late').innerText()).toMatch(/late/i);
    expect(await late.innerText()).toContain('Ben Adeyemi');
    const alerts = page.locator('#launches tr[data-issue="REL-701"]');
    expect(await alerts.innerText()).toMatch(/Usage alerts[\s\S]*Tier 3[\s\S]*bundle published/);
    expect(await alerts.getAttribute('data-flags')).toBe('');

    const cover = page.locator('#cover tr[data-person="ana"]');
    expect(await cover.locator('th').innerText()).toBe('Ana Costa');
    expect(await cover.innerText()).toContain('Ben Adeyemi');
    expect(await cover.innerText()).toContain('confirmed');

    // Every chart has its table, and the page ran nothing and fetched nothing else.
    const figures = page.locator('#figures figure');
    expect(await figures.count()).toBeGreaterThan(0);
    expect(await page.locator('#figures figure svg[role="img"]').count()).toBe(await figures.count());
    expect(await page.locator('#figures figure table').count()).toBe(await figures.count());
    expect(await page.locator('script').count()).toBe(0);
    expect(requests).toEqual([`${gateway.url}/dashboard`]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the figures of prodops report --json over the same range', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/dashboard`);
    const section = page.locator('#figures');
    const from = (await section.getAttribute('data-from'))!;
    const to = (await section.getAttribute('data-to'))!;
    const shown = await page
      .locator('#figures figure[data-figure]')
      .evaluateAll((cards: Attributed[]): Record<string, { numerator: number; denominator: number }> =>
        Object.fromEntries(
          cards.map((c): [string, { numerator: number; denominator: number }] => [
            c.getAttribute('data-figure') ?? '',
            {
              numerator: Number(c.getAttribute('data-numerator')),
              denominator: Number(c.getAttribute('data-denominator')),
            },
          ]),
        ),
      );
    await page.close();

    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { out: (line) => out.push(line), err: (line) => err.push(line) };
    const code = await main(
      ['report', '--from', from, '--to', to, '--json', '--config', configFor(env.address)],
      io,
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n')) as DashboardModel['figures']['report'];

    const model = (await (await fetch(`${gateway.url}/dashboard.json`)).json()) as DashboardModel;
    expect(model.figures.report).toEqual(stripSkipped(report));
    for (const key of Object.keys(model.figures.values) as (keyof DashboardModel['figures']['values'])[]) {
      const { numerator, denominator } = model.figures.values[key];
      expect(shown[key], key).toEqual({ numerator, denominator });
    }
    // Counted by hand: REL-703 is the one Tier 2/3 launch in range, its bundle published before it.
    expect(shown.enablementCoverage).toEqual({ numerator: 1, denominator: 1 });
  });
});

function configFor(address: string): string {
  const text = exampleConfigText().replace('address: 127.0.0.1:7233', `address: ${address}`);
  const dir = mkdtempSync(join(tmpdir(), 'prodops-dashboard-'));
  const path = join(dir, 'prodops.config.yaml');
  writeFileSync(path, text);
  return path;
}

function stripSkipped<T extends object>(report: T): Omit<T, 'skipped'> {
  const { skipped: _, ...rest } = report as T & { skipped?: unknown };
  return rest;
}
