/**
 * One Weekly Product Update on the time-skipping server, started directly (the test server has
 * no schedules; test/cli/temporal-setup.test.ts covers those on the dev server):
 * everyone on time, a late contribution, one after publication rolling into next week, a PM on
 * leave, a holiday Thursday, and a worker restart between the deadline and publication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap, Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { bundle, createTimeSkippingEnv, uniqueId } from '../../helpers/temporal';
import { loadExampleConfig } from '../../helpers/config';
import { signAs, withOperators } from '../../helpers/operators';
import { TEST_WORKER_SECRET } from '../../helpers/fake-integrations/index';
import { recordHistory } from '../../helpers/histories';
import { createWorkers, WORKFLOWS_PATH } from '../../../workers/index';
import { addCalendarDays, localDateOf } from '../../../domain/business-calendar';
import type { OrgConfig } from '../../../domain/config';
import type { DocumentBlock } from '../../../domain/document';
import { isoWeekOf, neighbouringUpdate, type IsoWeek, type WeeklyUpdateDates } from '../../../domain/rituals';
import { datesOfWeek as maybeDatesOfWeek } from '../../../activities/rituals';
import { weeklyUpdateWorkflow } from '../../../workflows/weekly-update/workflow';
import { releaseWorkflow } from '../../../workflows/release/workflow';
import { includedInWeeklyUpdate, releaseWorkflowId } from '../../../workflows/release/messages';
import { signAsWorker } from '../../../contracts/node/worker-key';
import { commandScope } from '../../../domain/operators';
import {
  contributionReady,
  handOver,
  publishNow,
  weeklyUpdateStatus,
  weeklyUpdateWorkflowId,
  type WeeklyUpdateStatus,
} from '../../../workflows/weekly-update/messages';
import { WeeklyWorld } from './weekly-world';

// Everyone an operator with their own key; Ana (a PM) has no grant to act for anyone else.
const operators = withOperators(loadExampleConfig(), { ana: [] });
const config = operators.config;
const PMS = ['ana', 'ben', 'chloe', 'dev', 'erin', 'farid', 'gita', 'hugo'];
let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundle(WORKFLOWS_PATH)]);
});
afterAll(async () => {
  await env?.teardown();
});

/** A week's dates; the weeks tests use always have an update. */
function datesOfWeek(cfg: OrgConfig, week: IsoWeek): WeeklyUpdateDates {
  const dates = maybeDatesOfWeek(cfg, week);
  if (!dates) throw new Error(`${week} has no update on the configured calendar`);
  return dates;
}

/** The first week after the server's current week that has an update (not a shutdown week). */
async function nextWeekWithUpdate(cfg: OrgConfig, after?: IsoWeek): Promise<IsoWeek> {
  const from = after ?? isoWeekOf(localDateOf(await env.currentTimeMs(), 'Europe/London'));
  return neighbouringUpdate(from, 1, (week) => maybeDatesOfWeek(cfg, week))!.week;
}

interface Week {
  world: WeeklyWorld;
  week: IsoWeek;
  taskQueue: string;
  config: OrgConfig;
  start(week?: IsoWeek): Promise<WorkflowHandle<typeof weeklyUpdateWorkflow>>;
  /** Skips server time to an instant (ISO) plus some minutes. */
  skipTo(iso: string, minutesAfter?: number): Promise<void>;
}

async function workersFor(world: WeeklyWorld, taskQueue: string, cached = true): Promise<Worker[]> {
  const activities = world.activities();
  return createWorkers({
    // Without a cache every workflow task replays the whole history, as after a restart, and
    // none waits on the sticky queue of a worker that is gone.
    ...(cached ? {} : { overrides: { maxCachedWorkflows: 0 } }),
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: activities.bySystem,
    localActivities: activities.core,
    rateLimits: { jira: 1000, notion: 1000, google: 1000 },
  });
}

/** Next week (its opening is always ahead of the server's clock), with a worker running. */
async function withWeek(body: (w: Week) => Promise<void>, cfg: OrgConfig = config): Promise<void> {
  const world = new WeeklyWorld(cfg);
  const taskQueue = uniqueId('weekly');
  const week = await nextWeekWithUpdate(cfg);
  const started: WorkflowHandle[] = [];
  const w: Week = {
    world,
    week,
    taskQueue,
    config: cfg,
    start: async (which = week) => {
      const handle = await env.client.workflow.start(weeklyUpdateWorkflow, {
        taskQueue,
        workflowId: weeklyUpdateWorkflowId(which),
        args: [{ week: which, startedBy: 'test' }],
        workflowIdReusePolicy: 'TERMINATE_IF_RUNNING',
      });
      started.push(handle);
      return handle;
    },
    skipTo: async (iso, minutesAfter = 1) => {
      const target = Date.parse(iso) + minutesAfter * 60_000;
      const current = await env.currentTimeMs();
      if (target > current) await env.sleep(target - current);
    },
  };
  const [first, ...rest] = await workersFor(world, taskQueue);
  await first!.runUntil(async () => {
    const others = rest.map((x) => x.run());
    try {
      await body(w);
    } finally {
      for (const handle of started) await settleAndTerminate(handle);
      for (const x of rest) x.shutdown();
      await Promise.all(others);
    }
  });
}

/**
 * Terminates a workflow once no workflow task is in flight: the time-skipping server keeps time
 * still for a task that was started and never completed, which would stall every later test.
 */
async function settleAndTerminate(handle: WorkflowHandle): Promise<void> {
  if (await settle(handle)) await handle.terminate('test finished');
}

/** Waits until the workflow has no workflow task in flight; false when it is no longer running. */
async function settle(handle: WorkflowHandle): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return false;
    if (!description.raw.pendingWorkflowTask && (description.raw.pendingActivities ?? []).length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function waitFor(
  handle: WorkflowHandle,
  predicate: (s: WeeklyUpdateStatus) => boolean,
  what: string,
): Promise<WeeklyUpdateStatus> {
  let last: WeeklyUpdateStatus | undefined;
  for (let i = 0; i < 300; i++) {
    last = await handle.query(weeklyUpdateStatus);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last, null, 2)}`);
}

const ready = (week: IsoWeek, personId: string, by = personId, at = Date.now()) => ({
  week,
  personId,
  by,
  occurredAt: at,
  deliveryId: `test:${week}:${personId}:${by}`,
});

function fiveBullets(personId: string): DocumentBlock[] {
  return [
    { type: 'heading_2', text: 'Wins / shipped' },
    { type: 'bulleted_list_item', text: `${personId} shipped something` },
    { type: 'heading_2', text: 'What’s next' },
    { type: 'bulleted_list_item', text: `${personId} plans the next thing` },
    { type: 'heading_2', text: 'Risks / asks' },
    { type: 'bulleted_list_item', text: '…' },
    { type: 'heading_2', text: 'Metrics snapshot' },
    { type: 'bulleted_list_item', text: `${personId}: activation 41%` },
    { type: 'heading_2', text: 'Links' },
    { type: 'bulleted_list_item', text: '…' },
  ];
}

/** An early publication for `by`, signed by `operator` as the command line signs it. */
async function signedPublish(handle: WorkflowHandle, operator: string, by: string) {
  return signAs(operators.keys, operator, handle.workflowId, publishNow, { by }, await env.currentTimeMs());
}

const texts = (blocks: unknown[]) => (blocks as DocumentBlock[]).map((b) => ('text' in b ? b.text : '—'));

async function openAndWrite(w: Week, handle: WorkflowHandle, who: string[]): Promise<WeeklyUpdateStatus> {
  const dates = datesOfWeek(w.config, w.week);
  await w.skipTo(dates.opensAt);
  const opened = await waitFor(
    handle,
    (s) =>
      s.phase === 'collecting' &&
      s.contributions.length > 0 &&
      s.contributions.filter((c) => c.status === 'awaiting').every((c) => c.pageId),
    'collection to open',
  );
  for (const id of who) w.world.write(w.week, id, fiveBullets(id));
  return opened;
}

describe('weekly update workflow', () => {
  it('all ready on time: one page with every area in order, one mail, no reminder', async () => {
    await withWeek(async (w) => {
      const dates = datesOfWeek(config, w.week);
      w.world.releases = [
        {
          issueKey: 'REL-7',
          title: 'CSV export',
          tier: 1,
          pmId: 'ana',
          pmName: 'Ana Costa',
          productArea: 'Billing',
          phase: 'done',
          enablement: 'released',
          launchDate: addCalendarDays(dates.date, -1),
          launchedOn: addCalendarDays(dates.date, -1),
          flags: { late: false, atRisk: false, onHold: false, launchOverdue: false },
        },
        {
          issueKey: 'REL-8',
          title: 'Usage-based billing',
          tier: 3,
          pmId: 'dev',
          pmName: 'Dev Patel',
          productArea: 'Platform API',
          phase: 'planning',
          enablement: 'at_risk',
          launchDate: addCalendarDays(dates.date, 6),
          launchedOn: null,
          flags: { late: false, atRisk: true, onHold: false, launchOverdue: false },
        },
      ];
      const handle = await w.start();
      await openAndWrite(w, handle, []);
      const anaPage = w.world.contributionPage(w.week, 'ana')!;
      expect(texts(anaPage.blocks).join('\n')).toContain('CSV export (REL-7), Tier 1, Billing: launched');
      expect(texts(w.world.contributionPage(w.week, 'dev')!.blocks).join('\n')).toContain('at risk');
      expect(anaPage.properties).toMatchObject({ Week: { rich_text: w.week }, Person: { rich_text: 'ana' } });
      expect(anaPage.properties).not.toHaveProperty('Ready');
      for (const id of PMS) w.world.write(w.week, id, fiveBullets(id));

      for (const id of PMS) await handle.signal(contributionReady, ready(w.week, id));
      await waitFor(handle, (s) => s.contributions.every((c) => c.status === 'ready'), 'everyone ready');
      await w.skipTo(dates.publishAt, 5);
      const published = await waitFor(handle, (s) => s.published?.mailed === true, 'publication');
      expect(published.published).toMatchObject({ by: 'schedule', onTime: true, recipients: 10 });

      const [page, ...more] = w.world.publishedPages();
      expect(more).toHaveLength(0);
      expect(page!.properties.Name).toEqual({ title: `Weekly Product Update — ${dates.date}` });
      const body = texts(page!.blocks);
      const areaHeadings = page!.blocks
        .filter((b) => b.type === 'heading_2')
        .map((b) => ('text' in b ? b.text : ''));
      expect(areaHeadings).toEqual([
        'Org-wide highlights',
        'Billing — Ana Costa',
        'Onboarding — Ben Adeyemi',
        'Growth experiments — Chloe Martin',
        'Platform API — Dev Patel',
        'Integrations — Erin Walsh',
        'Data infrastructure — Farid Nasser',
        'Analytics — Gita Sharma',
        'Reporting — Hugo Laurent',
      ]);
      expect(body).toContain('hugo shipped something');
      expect(body).not.toContain('…');
      expect(
        body.some((t) => t.startsWith('CSV export (REL-7), Tier 1, Billing — Ana Costa: launched')),
      ).toBe(true);
      expect(body.some((t) => t.includes('REL-8') && t.includes('at risk'))).toBe(true);
      expect(body.at(-1)).toBe('No update from: nobody.');

      const mails = w.world.mails;
      expect(mails.map((m) => m.subject)).toEqual([`Weekly Product Update — ${dates.date}`]);
      expect(mails[0]!.to).toHaveLength(10);
      expect(mails[0]!.text).toContain('Billing — Ana Costa');

      await expectRefused(handle.executeUpdate(publishNow, { args: [{ by: 'priya' }] }), /already published/);
      await recordHistory(
        handle,
        'weekly-update',
        'all-on-time',
        'eight PMs ready on time: one page, one mail',
      );
    });
  });

  it('pre-filling a PM’s page with their Tier 1 launch closes the release’s step, once', async () => {
    await withWeek(async (w) => {
      const dates = datesOfWeek(config, w.week);
      // A real Tier 1 release of Ana's, launching on the Monday of the update's week.
      const launch = addCalendarDays(dates.date, -3);
      const issueKey = w.world.releaseIssue();
      const release = await env.client.workflow.start(releaseWorkflow, {
        taskQueue: w.taskQueue,
        workflowId: releaseWorkflowId(issueKey),
        args: [
          { issueKey, tier: 1, launchDate: launch, pmId: 'ana', title: 'CSV export', productArea: 'Billing' },
        ],
      });
      try {
        // The facts the release workflow reports once launched (the test server has no visibility).
        w.world.releases = [
          {
            issueKey,
            title: 'CSV export',
            tier: 1,
            pmId: 'ana',
            pmName: 'Ana Costa',
            productArea: 'Billing',
            phase: 'launched',
            enablement: 'released',
            launchDate: launch,
            launchedOn: launch,
            flags: { late: false, atRisk: false, onHold: false, launchOverdue: false },
          },
        ];
        const handle = await w.start();
        await openAndWrite(w, handle, []);
        const anaPage = w.world.contributionPage(w.week, 'ana')!;
        expect(texts(anaPage.blocks).join('\n')).toContain(
          `CSV export (${issueKey}), Tier 1, Billing: launched`,
        );

        const ended = await release.result();
        expect(ended.phase).toBe('done');
        expect(ended.launchedOn).toBe(launch);
        expect(ended.steps.find((s) => s.id === 'weekly-update')).toMatchObject({
          title: 'PM updates weekly product update',
          status: 'done',
          ref: anaPage.id,
          url: anaPage.url,
          detail: `listed in the PM's page of ${w.week} weekly product update`,
        });
        expect(ended.weeklyUpdate).toMatchObject({
          week: w.week,
          pageId: anaPage.id,
          via: 'contribution-page',
        });

        // Publication lists it too, but the release was told once: no second signal.
        await w.skipTo(dates.publishAt, 5);
        await waitFor(handle, (s) => s.published?.mailed === true, 'publication');
        const told = ((await handle.fetchHistory()).events ?? []).filter(
          (e) =>
            e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ===
            includedInWeeklyUpdate.name,
        );
        expect(told).toHaveLength(1);
        await recordHistory(
          handle,
          'weekly-update',
          'release-told-at-prefill',
          "a Tier 1 launch pre-filled on its PM's page: the release told then, once, not again at publication",
        );
      } finally {
        await settleAndTerminate(release);
      }
    });
  });

  it('one late before publication, one after: the late one marked, the other rolls into next week', async () => {
    await withWeek(async (w) => {
      const dates = datesOfWeek(config, w.week);
      const handle = await w.start();
      await openAndWrite(w, handle, PMS);
      const onTime = PMS.filter((id) => id !== 'ben' && id !== 'chloe');
      for (const id of onTime) await handle.signal(contributionReady, ready(w.week, id));
      await w.skipTo(dates.reminderAt, 5);
      await waitFor(handle, (s) => s.contributions.filter((c) => c.reminded).length === 2, 'the reminders');
      expect(w.world.mails.map((m) => m.to[0]).sort()).toEqual([
        'ben@northwind.example',
        'chloe@northwind.example',
      ]);

      await w.skipTo(dates.deadlineAt, 30);
      const closed = await waitFor(handle, (s) => s.phase === 'closed', 'the deadline');
      expect(closed.contributions.find((c) => c.personId === 'ben')!.status).toBe('missing');
      // A tick by someone else than the page's person is refused and kept on record.
      await handle.signal(contributionReady, ready(w.week, 'ben', 'ana'));
      await handle.signal(contributionReady, ready(w.week, 'ben'));
      const late = await waitFor(
        handle,
        (s) => s.contributions.find((c) => c.personId === 'ben')!.status === 'late',
        'ben late',
      );
      expect(late.refusals).toEqual([expect.objectContaining({ by: 'ana', personId: 'ben' })]);

      await w.skipTo(dates.publishAt, 5);
      await waitFor(handle, (s) => s.published?.mailed === true, 'publication');
      const body = texts(w.world.publishedPages()[0]!.blocks);
      expect(body).toContain('Onboarding — Ben Adeyemi (late)');
      expect(body).toContain('ben shipped something');
      expect(body.at(-1)).toBe('No update from: Chloe Martin.');
      expect(w.world.mails.filter((m) => m.subject.startsWith('[prodops]'))).toHaveLength(2);

      await w.skipTo(dates.publishAt, 60);
      await handle.signal(contributionReady, ready(w.week, 'chloe'));
      const after = await waitFor(handle, (s) => s.rolledOver.length === 1, 'the roll-over');
      expect(after.contributions.find((c) => c.personId === 'chloe')!.status).toBe('after-publication');
      expect(w.world.publishedPages()).toHaveLength(1);

      // Next week takes it over at its opening and publishes it under Chloe's section.
      const next = await nextWeekWithUpdate(config, w.week);
      const nextDates = datesOfWeek(config, next);
      const nextHandle = await w.start(next);
      await w.skipTo(nextDates.opensAt);
      const opened = await waitFor(nextHandle, (s) => s.phase === 'collecting', 'next week to open');
      expect(opened.rolledIn).toEqual([expect.objectContaining({ fromWeek: w.week, personId: 'chloe' })]);
      const finished = await handle.result();
      expect(finished.handedOverTo).toBe(next);
      await recordHistory(
        handle,
        'weekly-update',
        'late-and-after-publication',
        'a late contribution, one after publication handed to next week',
      );

      await nextHandle.executeUpdate(publishNow, {
        args: [await signedPublish(nextHandle, 'priya', 'priya')],
      });
      const nextPage = w.world.publishedPages().find((p) => p.idempotencyKey.includes(next))!;
      const nextBody = texts(nextPage.blocks);
      const chloe = nextBody.indexOf('Growth experiments — Chloe Martin');
      expect(nextBody[chloe + 2]).toBe(`From ${w.week}: ready after that update was published.`);
      expect(nextBody).toContain('chloe shipped something');
      await expectRefused(
        nextHandle.executeUpdate(publishNow, { args: [{ by: 'ana' }] }),
        /cannot publish|already/,
      );
    });
  });

  it('a PM on leave is skipped and listed as on leave; nobody is chased for them', async () => {
    await withWeek(async (w) => {
      const dates = datesOfWeek(config, w.week);
      w.world.leave = [
        {
          personId: 'erin',
          personName: 'Erin Walsh',
          from: addCalendarDays(dates.date, -2),
          to: addCalendarDays(dates.date, 3),
          firstDay: 'full',
          lastDay: 'full',
          status: 'confirmed',
          buddyName: 'Dev Patel',
        },
      ];
      const handle = await w.start();
      const opened = await openAndWrite(
        w,
        handle,
        PMS.filter((id) => id !== 'erin'),
      );
      expect(opened.contributions.find((c) => c.personId === 'erin')).toMatchObject({
        status: 'on-leave',
        pageId: null,
      });
      expect(w.world.contributionPage(w.week, 'erin')).toBeUndefined();
      for (const id of PMS.filter((x) => x !== 'erin' && x !== 'gita'))
        await handle.signal(contributionReady, ready(w.week, id));
      await w.skipTo(dates.publishAt, 5);
      await waitFor(handle, (s) => s.published?.mailed === true, 'publication');
      const reminders = w.world.mails.filter((m) => m.subject.startsWith('[prodops]'));
      expect(reminders.map((m) => m.to)).toEqual([['gita@northwind.example']]);
      const body = texts(w.world.publishedPages()[0]!.blocks);
      expect(body).toContain('Erin Walsh is on leave.');
      expect(body).toContain('No update from: Gita Sharma.');
      expect(body).toContain('On leave: Erin Walsh.');
      await recordHistory(handle, 'weekly-update', 'pm-on-leave', 'a PM on leave skipped, one missing');
    });
  });

  it('one section per area in the configured order: a PM with two areas, one on leave, one without an area', async () => {
    // Hugo also owns Invoicing, configured first; Zoe is a PM without an area.
    const areasConfig: OrgConfig = structuredClone(config);
    areasConfig.rituals.productAreas = [
      { id: 'invoicing', name: 'Invoicing', pm: 'hugo' },
      ...areasConfig.rituals.productAreas,
    ];
    const hugo = areasConfig.people.find((p) => p.id === 'hugo')!;
    areasConfig.people.push({ ...hugo, id: 'zoe', name: 'Zoe Adler', email: 'zoe@northwind.example' });
    await withWeek(async (w) => {
      const dates = datesOfWeek(areasConfig, w.week);
      w.world.leave = [
        {
          personId: 'ben',
          personName: 'Ben Adeyemi',
          from: dates.date,
          to: dates.date,
          firstDay: 'full',
          lastDay: 'full',
          status: 'confirmed',
          buddyName: 'Ana Costa',
        },
      ];
      const handle = await w.start();
      const writers = ['hugo', ...PMS.filter((id) => id !== 'hugo' && id !== 'ben'), 'zoe'];
      const opened = await openAndWrite(w, handle, writers);
      expect(opened.contributions.map((c) => c.personId)).toEqual([
        'hugo',
        ...PMS.filter((id) => id !== 'hugo'),
        'zoe',
      ]);
      for (const id of writers) await handle.signal(contributionReady, ready(w.week, id));
      await w.skipTo(dates.publishAt, 5);
      await waitFor(handle, (s) => s.published?.mailed === true, 'publication');
      const blocks = w.world.publishedPages()[0]!.blocks;
      const body = texts(blocks);
      expect(blocks.filter((b) => b.type === 'heading_2').map((b) => ('text' in b ? b.text : ''))).toEqual([
        'Org-wide highlights',
        'Invoicing — Hugo Laurent',
        'Billing — Ana Costa',
        'Onboarding — Ben Adeyemi',
        'Growth experiments — Chloe Martin',
        'Platform API — Dev Patel',
        'Integrations — Erin Walsh',
        'Data infrastructure — Farid Nasser',
        'Analytics — Gita Sharma',
        'Reporting — Hugo Laurent',
        'Other',
      ]);
      const after = (heading: string) => body[body.indexOf(heading) + 1];
      expect(after('Invoicing — Hugo Laurent')).toBe('Wins / shipped');
      expect(body.filter((t) => t === 'hugo shipped something')).toHaveLength(1);
      expect(after('Reporting — Hugo Laurent')).toBe(
        'Hugo Laurent’s update for Reporting is under Invoicing above.',
      );
      expect(after('Onboarding — Ben Adeyemi')).toBe('Ben Adeyemi is on leave.');
      expect(body.slice(body.indexOf('Other'), body.indexOf('Other') + 4)).toEqual([
        'Other',
        'Zoe Adler',
        'Wins / shipped',
        'zoe shipped something',
      ]);
      expect(body.slice(-2)).toEqual(['No update from: nobody.', 'On leave: Ben Adeyemi.']);
    }, areasConfig);
  });

  it('a holiday Thursday moves everything to the Wednesday before', async () => {
    const probe = await nextWeekWithUpdate(config);
    const thursday = datesOfWeek(config, probe).scheduledDate;
    const holidayConfig: OrgConfig = structuredClone(config);
    holidayConfig.calendars.london!.holidays = [...holidayConfig.calendars.london!.holidays, thursday];
    await withWeek(async (w) => {
      expect(w.week).toBe(probe);
      const dates = datesOfWeek(holidayConfig, w.week);
      expect(dates.date).toBe(addCalendarDays(thursday, -1));
      const handle = await w.start();
      await openAndWrite(w, handle, PMS);
      for (const id of PMS) await handle.signal(contributionReady, ready(w.week, id));
      await w.skipTo(dates.publishAt, 5);
      const published = await waitFor(handle, (s) => s.published?.mailed === true, 'publication');
      expect(published.dates!.date).toBe(dates.date);
      expect(localDateOf(Date.parse(published.published!.at), 'Europe/London')).toBe(dates.date);
      expect(w.world.publishedPages()[0]!.properties.Name).toEqual({
        title: `Weekly Product Update — ${dates.date}`,
      });
    }, holidayConfig);
  });

  it('a worker restart between the deadline and publication still gives one page and one mail', async () => {
    const world = new WeeklyWorld(config);
    const taskQueue = uniqueId('weekly-restart');
    const week = await nextWeekWithUpdate(config);
    const dates = datesOfWeek(config, week);
    const skipTo = async (iso: string, minutes: number) => {
      const target = Date.parse(iso) + minutes * 60_000;
      const current = await env.currentTimeMs();
      if (target > current) await env.sleep(target - current);
    };
    const handle = await env.client.workflow.start(weeklyUpdateWorkflow, {
      taskQueue,
      workflowId: weeklyUpdateWorkflowId(week),
      args: [{ week, startedBy: 'test' }],
      workflowIdReusePolicy: 'TERMINATE_IF_RUNNING',
    });
    const runFor = async (body: () => Promise<void>) => {
      const [first, ...rest] = await workersFor(world, taskQueue, false);
      await first!.runUntil(async () => {
        const others = rest.map((x) => x.run());
        try {
          await body();
          await settle(handle);
        } finally {
          for (const x of rest) x.shutdown();
          await Promise.all(others);
        }
      });
    };
    await runFor(async () => {
      await skipTo(dates.opensAt, 1);
      await waitFor(
        handle,
        (s) =>
          s.phase === 'collecting' && s.contributions.length === 8 && s.contributions.every((c) => c.pageId),
        'pages',
      );
      for (const id of PMS.slice(0, 6)) await handle.signal(contributionReady, ready(week, id));
      await skipTo(dates.deadlineAt, 10);
      await waitFor(handle, (s) => s.phase === 'closed', 'the deadline');
    });
    // A fresh worker (a redeploy: no cached state, the history replayed) takes the week on.
    await runFor(async () => {
      await skipTo(dates.publishAt, 20);
      const done = await waitFor(
        handle,
        (s) => s.published?.mailed === true,
        'publication after the restart',
      );
      expect(done.published!.onTime).toBe(true);
      await handle.signal(contributionReady, ready(week, 'gita'));
      await waitFor(handle, (s) => s.rolledOver.length === 1, 'a tick after publication');
    });
    await runFor(async () => {
      await skipTo(dates.publishAt, 90);
      const status = await handle.query(weeklyUpdateStatus);
      expect(status.phase).toBe('published');
    });
    await handle.terminate('test finished');
    expect(world.publishedPages()).toHaveLength(1);
    const updateMails = world.mails.filter((m) => m.subject.startsWith('Weekly Product Update'));
    expect(updateMails).toHaveLength(1);
    expect(world.calls.filter((c) => c === `notion.upsertPage weekly-update:${week}:published`)).toHaveLength(
      1,
    );
    expect(world.calls.filter((c) => c === `gmail.sendMail weekly-update:${week}:mail`)).toHaveLength(1);
  });
});

describe('who may publish early and take the hand-over', () => {
  it('publishing early needs an operator signature; acting for an owner needs the grant, and is recorded', async () => {
    await withWeek(async (w) => {
      const handle = await w.start();
      await openAndWrite(w, handle, []);

      // An owner's name alone is a claim: refused, and the refusal is in the week's log.
      await expectRefused(
        handle.executeUpdate(publishNow, { args: [{ by: 'priya' }] }),
        /no operator signature/,
      );
      // Ana signs, but her grant does not cover publishing for Priya.
      await expectRefused(
        handle.executeUpdate(publishNow, { args: [await signedPublish(handle, 'ana', 'priya')] }),
        /operator ana may not act for priya as product-ops/,
      );
      // A signature over another command does not carry over to this one.
      const signedForTom = await signedPublish(handle, 'priya', 'tom');
      await expectRefused(
        handle.executeUpdate(publishNow, { args: [{ ...signedForTom, by: 'priya' }] }),
        /signature/,
      );
      const refused = await handle.query(weeklyUpdateStatus);
      expect(refused.published).toBeNull();
      expect(w.world.publishedPages()).toHaveLength(0);
      const logged = refused.log.map((l) => l.message);
      expect(logged.some((m) => m.startsWith('refused to publish early for priya (unsigned)'))).toBe(true);
      expect(logged.some((m) => m.startsWith('refused to publish early for priya (operator ana)'))).toBe(
        true,
      );

      // Tom, an operator with the product-ops grant, publishes for Priya: recorded as such.
      const published = await handle.executeUpdate(publishNow, {
        args: [await signedPublish(handle, 'tom', 'priya')],
      });
      expect(published.published).toMatchObject({
        by: 'priya',
        via: 'priya via cli (operator tom)',
        mailed: true,
      });
      expect(
        published.log.some((l) => l.message.startsWith('published early by priya via cli (operator tom)')),
      ).toBe(true);
      expect(w.world.publishedPages()).toHaveLength(1);
      await settle(handle);
      await recordHistory(
        handle,
        'weekly-update',
        'signed-early-publication',
        'an unsigned and an ungranted early publication refused, a granted operator publishes for an owner',
      );
    });
  });

  it('only next week, through the worker, takes the late contributions: unsigned and forged hand-overs are refused', async () => {
    await withWeek(async (w) => {
      const handle = await w.start();
      await openAndWrite(w, handle, ['chloe']);
      const published = await handle.executeUpdate(publishNow, {
        args: [await signedPublish(handle, 'priya', 'priya')],
      });
      expect(published.published).toMatchObject({ by: 'priya', via: 'priya via cli' });
      await handle.signal(contributionReady, ready(w.week, 'chloe'));
      await waitFor(handle, (s) => s.rolledOver.length === 1, 'the roll-over');

      const next = await nextWeekWithUpdate(config, w.week);
      const command = { toWeek: next, caller: weeklyUpdateWorkflowId(next) };
      const now = await env.currentTimeMs();
      const scope = (c: object) => commandScope(handle.workflowId, handOver.name, c);
      // Anyone who reaches Temporal, without the worker's key.
      await expectRefused(
        handle.executeUpdate(handOver, { args: [{ toWeek: next }] }),
        /no worker signature/,
      );
      // An operator's own signature is not the worker's.
      await expectRefused(
        handle.executeUpdate(handOver, {
          args: [signAs(operators.keys, 'priya', handle.workflowId, handOver, command, now)],
        }),
        /not a worker's: it is signed by priya/,
      );
      // The worker's key, but for a workflow that is not next week's update.
      const elsewhere = { toWeek: next, caller: 'leave:ana:2027-01-04' };
      await expectRefused(
        handle.executeUpdate(handOver, {
          args: [{ ...elsewhere, auth: signAsWorker(TEST_WORKER_SECRET, scope(elsewhere), now) }],
        }),
        /only weekly-update:.* takes/,
      );
      // A signature under the worker's name with another secret: a forgery.
      await expectRefused(
        handle.executeUpdate(handOver, {
          args: [{ ...command, auth: signAsWorker('not-the-worker-secret-at-all', scope(command), now) }],
        }),
        /not a worker's/,
      );
      const kept = await handle.query(weeklyUpdateStatus);
      expect(kept.rolledOver).toEqual([expect.objectContaining({ fromWeek: w.week, personId: 'chloe' })]);
      expect(kept.handedOverTo).toBeNull();
      expect(kept.log.some((l) => l.message.startsWith(`refused a hand-over to ${next}`))).toBe(true);

      // Next week's own hand-over, signed by the worker, still takes them.
      const nextHandle = await w.start(next);
      await w.skipTo(datesOfWeek(config, next).opensAt);
      const opened = await waitFor(nextHandle, (s) => s.phase === 'collecting', 'next week to open');
      expect(opened.rolledIn).toEqual([expect.objectContaining({ fromWeek: w.week, personId: 'chloe' })]);
      expect((await handle.result()).handedOverTo).toBe(next);
      await recordHistory(
        handle,
        'weekly-update',
        'hand-over-signed-by-worker',
        'a forged hand-over refused, the late contribution kept and handed over on the worker-signed call',
      );
    });
  });
});

async function expectRefused(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((error as WorkflowUpdateFailedError).cause?.message).toMatch(message);
}
