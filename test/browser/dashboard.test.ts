/**
 * The dashboard in a real browser: the system Chromium, driven by playwright-core, loads
 * /dashboard from a gateway over a dev server on which prodops' own workflows ran, over the
 * in-memory integrations: releases started, published and marked released through the command
 * line by signed operators, a leave request through both gates, a subscription added. Nothing the
 * page shows is typed in: the late flag, the enablement status, the cover and the notice deadline
 * are what the workflows computed. It checks the launches shown, the late one marked late, the
 * person on leave with their buddy, the renewal's deadline, that the page runs no script and
 * fetches nothing else, that the figures are those of `prodops report --json` over the same range,
 * and the figures counted by hand. Without Chromium the suite is skipped and says so.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { readSubscriptionMemos } from '../../activities/renewals';
import { dashboardPages } from '../../dashboard/pages';
import type { DashboardModel } from '../../dashboard/model';
import {
  addCalendarDays,
  addWorkingDays,
  isWorkingDay,
  localDateOf,
  weekdayOf,
  type CalendarDate,
} from '../../domain/business-calendar';
import { parseOrgConfig } from '../../domain/config';
import { resolveAllCalendars } from '../../domain/holidays';
import { longDate } from '../../domain/rituals';
import { startGateway, type Gateway } from '../../triggers/gateway';
import type { LeaveStatusView } from '../../workflows/leave/messages';
import type { ReleaseStatus } from '../../workflows/release/messages';
import { describeChromium, findChromium } from '../helpers/chromium';
import { exampleConfigText } from '../helpers/config';
import { until } from '../helpers/eventually';
import { FakeIntegrations } from '../helpers/fake-integrations';
import { asOperator, operatorsYaml, withOperators } from '../helpers/operators';
import { childProcesses, cpuSecondsOf } from '../helpers/processes';
import { NO_RATE_LIMITS, startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/temporal';
import { runCli } from '../helpers/cli';

const chromiumLookup = findChromium();
if (!chromiumLookup.found) console.warn(describeChromium(chromiumLookup));
const CHROMIUM = chromiumLookup.found ? chromiumLookup.path : undefined;

/** What the page's elements are read for (the project compiles without the DOM's types). */
interface Attributed {
  getAttribute(name: string): string | null;
}

const YEAR = new Date().getUTCFullYear();
const taskQueue = uniqueId('dashboard');

/**
 * The example organisation on a server: its leave blackouts are fixed dates that the next four
 * weeks may fall in, so they go; budgets cover the years a renewal may fall in.
 */
function configText(address: string): string {
  const budgets = (year: number) =>
    `    ${year}: { product-ops: 12000, growth: 42000, platform: 58000, insights: 20000, gtm: 32000 }`;
  const text = exampleConfigText();
  const configured = text
    .replace('address: 127.0.0.1:7233', `address: ${address}`)
    .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`)
    .replace(/ {2}blackouts:\n( {4}- .*\n)+/, '  blackouts: []\n')
    .replace(
      / {2}budgets:\n( {4}\d{4}: .*\n)+/,
      `  budgets:\n${[YEAR, YEAR + 1, YEAR + 2].map(budgets).join('\n')}\n`,
    );
  if (configured.split('\n').length !== text.split('\n').length - 1)
    throw new Error('the example configuration no longer has the sections this test rewrites');
  return configured;
}

/** Every person an operator with their own key; Priya (Product Ops) may act for anyone on a release or a subscription. */
const operators = withOperators(parseOrgConfig(configText('127.0.0.1:7233')), {
  priya: ['product-ops', 'pm', 'support', 'sales', 'subscription-owner'],
});
const config = operators.config;
const calendars = resolveAllCalendars(config, { from: YEAR - 1, to: YEAR + 2 });
const london = calendars.london!;
const today = localDateOf(Date.now(), london.timezone);

const prodops = runCli;

/** The seed, as the workflows planned it. */
interface Seed {
  late: string;
  upcoming: string;
  shippedToday: string;
  shippedLastWeek: string;
  leave: { from: CalendarDate; to: CalendarDate };
  renewal: { renews: CalendarDate; noticeDeadline: CalendarDate };
}

let stack: Stack;
let fakes: FakeIntegrations;
let configPath: string;
let gateway: Gateway;
let browser: Browser;
let seed: Seed;

/** The command line run by `operator` with their key, against the stack. */
async function as(operator: string, ...args: string[]) {
  const run = await asOperator(operators, operator, () => prodops([...args, '--config', configPath]));
  expect(run.stderr, `prodops ${args.join(' ')}`).toBe('');
  expect(run.code, `prodops ${args.join(' ')}`).toBe(0);
  return run;
}

async function releaseStatus(key: string): Promise<ReleaseStatus> {
  return JSON.parse((await as('priya', 'release', 'status', key, '--json')).stdout) as ReleaseStatus;
}

const stepDone = (status: ReleaseStatus, id: string) =>
  status.steps.find((s) => s.id === id)?.status === 'done';

/** A release issue in Jira, then `prodops release start` by Priya, waited for until it is planned. */
async function startRelease(o: {
  title: string;
  tier: 2 | 3;
  launch: CalendarDate;
  pm: string;
  area: string;
}): Promise<string> {
  const key = fakes.jira.seedIssue({ summary: o.title, status: 'In Progress' }).key;
  await as(
    'priya',
    'release',
    'start',
    key,
    '--tier',
    String(o.tier),
    '--launch',
    o.launch,
    '--pm',
    o.pm,
    '--area',
    o.area,
    '--title',
    o.title,
  );
  await until(`${key} to be planned`, async () =>
    stepDone(await releaseStatus(key), 'release-log') ? true : undefined,
  );
  return key;
}

/** Two working days on every calendar, a Monday one to three weeks ahead: inside the cover window. */
function leaveWindow(): { from: CalendarDate; to: CalendarDate } {
  for (
    let from = addCalendarDays(today, 7);
    from <= addCalendarDays(today, 20);
    from = addCalendarDays(from, 1)
  ) {
    const to = addCalendarDays(from, 1);
    if (
      weekdayOf(from) === 'mon' &&
      Object.values(calendars).every((c) => isWorkingDay(c, from) && isWorkingDay(c, to))
    )
      return { from, to };
  }
  throw new Error(`no Monday and Tuesday working everywhere in the three weeks after ${today}`);
}

/** A renewal about two months out whose 30-day notice falls on a working day (not moved). */
function renewalDates(): { renews: CalendarDate; noticeDeadline: CalendarDate } {
  for (let renews = addCalendarDays(today, 60); ; renews = addCalendarDays(renews, 1)) {
    const noticeDeadline = addCalendarDays(renews, -30);
    if (isWorkingDay(london, noticeDeadline)) return { renews, noticeDeadline };
  }
}

async function seedStack(): Promise<Seed> {
  // A Tier 2 launching in three working days: its five working days of lead time are gone.
  const late = await startRelease({
    title: 'Bulk export',
    tier: 2,
    launch: addWorkingDays(london, today, 3),
    pm: 'ben',
    area: 'Onboarding',
  });
  // A Tier 3 twelve working days out, its bundle already published.
  const upcoming = await startRelease({
    title: 'Usage alerts',
    tier: 3,
    launch: addWorkingDays(london, today, 12),
    pm: 'ana',
    area: 'Billing',
  });
  await as('priya', 'release', 'publish', upcoming);
  // A Tier 2 planned for next week, its bundle published, shipped early today.
  const shippedToday = await startRelease({
    title: 'Dark mode',
    tier: 2,
    launch: addWorkingDays(london, today, 5),
    pm: 'ana',
    area: 'Billing',
  });
  await as('priya', 'release', 'publish', shippedToday);
  await as('priya', 'release', 'released', shippedToday, '--on', today);
  // A Tier 2 that shipped a week ago without its bundle: its Day-3 check-in has gone out, and
  // Maya (Support) did not know about it while Nora (Sales) did.
  const shippedLastWeek = await startRelease({
    title: 'Saved filters',
    tier: 2,
    launch: addWorkingDays(london, today, 5),
    pm: 'gita',
    area: 'Dashboards',
  });
  await as('priya', 'release', 'released', shippedLastWeek, '--on', addCalendarDays(today, -7));
  await until('the Day-3 check-in', async () =>
    stepDone(await releaseStatus(shippedLastWeek), 'day-3-check-in') ? true : undefined,
  );
  await as('priya', 'release', 'aware', shippedLastWeek, '--by', 'maya', '--no');
  await as('priya', 'release', 'aware', shippedLastWeek, '--by', 'nora', '--yes');

  // Gita asks for two days off; Hugo, her buddy, and Hana, her manager, each confirm with their own key.
  const leave = leaveWindow();
  await as('gita', 'leave', 'request', '--person', 'gita', '--from', leave.from, '--to', leave.to);
  const target = `leave:gita:${leave.from}`;
  const leaveStatus = async () =>
    JSON.parse((await as('priya', 'leave', 'status', target, '--json')).stdout) as LeaveStatusView;
  await until('the leave invites', async () => {
    const s = await leaveStatus();
    return s.phase === 'awaiting-confirmation' && s.trackerPageId ? true : undefined;
  });
  await as('hugo', 'leave', 'confirm', target, '--decision', 'approve');
  await as('hana', 'leave', 'confirm', target, '--decision', 'approve');
  await until('the leave to be confirmed', async () =>
    (await leaveStatus()).phase === 'confirmed' ? true : undefined,
  );

  // Figma, renewing in about two months on 30 days' notice.
  const renewal = renewalDates();
  await as(
    'priya',
    'renewal',
    'add',
    'figma',
    '--tool',
    'Figma',
    '--renews',
    renewal.renews,
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
    '--by',
    'priya',
  );

  // Visibility is eventually consistent: wait until every record is listed with its last state.
  await until(
    'the seeded records to be visible',
    async () => {
      let count = 0;
      for await (const _ of stack.client.workflow.list({
        query: `WorkflowType IN ('releaseWorkflow', 'leaveWorkflow', 'renewalWorkflow') AND ExecutionStatus = 'Running'`,
      }))
        count++;
      const memos = await readSubscriptionMemos(stack.client);
      return count >= 6 && memos.some((m) => m.noticeDeadline === renewal.noticeDeadline) ? true : undefined;
    },
    { attempts: 150 },
  );
  return { late, upcoming, shippedToday, shippedLastWeek, leave, renewal };
}

describe.skipIf(!CHROMIUM)('the dashboard in Chromium', () => {
  beforeAll(async () => {
    const cpuBefore = process.cpuUsage();
    const startedAt = Date.now();
    stack = await startStack({ temporal: 'dev-server', config, taskQueue });
    configPath = join(mkdtempSync(join(tmpdir(), 'prodops-dashboard-')), 'prodops.config.yaml');
    writeFileSync(configPath, `${configText(stack.env.address)}\n${operatorsYaml(operators)}`);
    fakes = new FakeIntegrations(config, { temporal: stack.client });
    fakes.core.listMemos = () => readSubscriptionMemos(stack.client);
    await stack.startWorkers({ activities: fakes.activities(), rateLimits: NO_RATE_LIMITS });
    seed = await seedStack();
    gateway = await startGateway({
      port: 0,
      pages: dashboardPages({ client: stack.client, config, cacheMs: 0 }),
      log: () => undefined,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const cpu = process.cpuUsage(cpuBefore);
    const server = cpuSecondsOf(childProcesses(process.pid, 'start-dev')[0] ?? Number.NaN);
    console.info(
      `dashboard seed: ${((Date.now() - startedAt) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU-s in the test process${Number.isNaN(server) ? '' : `, ${server.toFixed(1)} CPU-s in the dev server`}`,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await stack?.stop();
  });

  it('shows the launches, the late one marked late, who covers the person on leave, and the notice deadline', async () => {
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

    // In launch order; the release that shipped a week ago is before this week and not shown.
    const launches = page.locator('#launches tbody tr[data-issue]');
    expect(
      await launches.evaluateAll((rows: Attributed[]) => rows.map((r) => r.getAttribute('data-issue'))),
    ).toEqual([seed.shippedToday, seed.late, seed.upcoming]);
    const late = page.locator(`#launches tr[data-issue="${seed.late}"]`);
    expect(await late.getAttribute('data-flags')).toBe('late');
    expect(await late.locator('.flag-late').innerText()).toMatch(/late/i);
    expect(await late.innerText()).toMatch(/Bulk export[\s\S]*Tier 2[\s\S]*Ben Adeyemi/);
    const upcoming = page.locator(`#launches tr[data-issue="${seed.upcoming}"]`);
    expect(await upcoming.innerText()).toMatch(/Usage alerts[\s\S]*Tier 3[\s\S]*bundle published/);
    expect(await upcoming.getAttribute('data-flags')).toBe('');
    const shipped = page.locator(`#launches tr[data-issue="${seed.shippedToday}"]`);
    expect(await shipped.innerText()).toContain(`${longDate(today)} (launched)`);
    expect(await shipped.getAttribute('data-flags')).toBe('');

    const cover = page.locator('#cover tbody tr[data-person]');
    expect(await cover.count()).toBe(1);
    const gita = page.locator('#cover tr[data-person="gita"]');
    expect(await gita.locator('th').innerText()).toBe('Gita Sharma');
    expect(await gita.innerText()).toContain(`${longDate(seed.leave.from)} to ${longDate(seed.leave.to)}`);
    expect(await gita.innerText()).toContain('Hugo Laurent');
    expect(await gita.innerText()).toContain('confirmed');
    expect(await gita.innerText()).not.toContain('awaiting');

    const renewals = page.locator('#renewals tbody tr');
    expect(await renewals.count()).toBe(1);
    const figma = await renewals.first().innerText();
    expect(figma).toMatch(
      new RegExp(
        `^Figma\\s+${longDate(seed.renewal.noticeDeadline)}\\s+${longDate(seed.renewal.renews)}\\s+Ana Costa\\s+undecided$`,
      ),
    );

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

  it('shows the figures of prodops report --json over the same range, and those counted by hand', async () => {
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

    const report = JSON.parse(
      (await as('priya', 'report', '--from', from, '--to', to, '--json')).stdout,
    ) as DashboardModel['figures']['report'];

    const model = (await (await fetch(`${gateway.url}/dashboard.json`)).json()) as DashboardModel;
    expect(model.skipped).toEqual([]);
    expect(model.figures.report).toEqual(stripSkipped(report));
    for (const key of Object.keys(model.figures.values) as (keyof DashboardModel['figures']['values'])[]) {
      const { numerator, denominator } = model.figures.values[key];
      expect(shown[key], key).toEqual({ numerator, denominator });
    }

    // Counted by hand. Launched in range, Tier 2 or 3: the release shipped today, its bundle
    // published first (covered), and the one shipped a week ago without one (not covered).
    expect(shown.enablementCoverage).toEqual({ numerator: 1, denominator: 2 });
    expect(
      report.enablementCoverage.releases
        .map((r) => [r.issueKey, r.covered])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual(
      [
        [seed.shippedToday, true],
        [seed.shippedLastWeek, false],
      ].sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
    // One release was asked the Day-3 question and answered; Maya's "no" makes it a surprise.
    expect(shown.surpriseScore).toEqual({ numerator: 1, denominator: 1 });
    expect(shown.responseRate).toEqual({ numerator: 1, denominator: 1 });
    expect(report.surpriseScore.releases.map((r) => [r.issueKey, r.surprised])).toEqual([
      [seed.shippedLastWeek, true],
    ]);
  });
});

function stripSkipped<T extends object>(report: T): Omit<T, 'skipped'> {
  const { skipped: _, ...rest } = report as T & { skipped?: unknown };
  return rest;
}
