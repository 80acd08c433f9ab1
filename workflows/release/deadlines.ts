/**
 * The release's time-driven steps, each at an instant in the PM's time zone: the bundle's due
 * date, the readiness check being held, launch day, a launch not marked released, the end of a
 * Tier 1 launch day, the Day-3 check-in and the Day-14 retro. The shared loop runs the earliest
 * one that is due and reconciles after it.
 */
import { patched } from '@temporalio/workflow';
import { addCalendarDays, addWorkingDays, type CalendarDate } from '../../domain/business-calendar';
import { earliestCompliantLaunch, postLaunchDates, weeklyUpdateWindowEnd } from '../../domain/release-plan';
import {
  atRiskNotice,
  checkInDocument,
  dayThreeNotice,
  launchOverdueNotice,
  launchReadinessNotice,
  retroDocument,
} from '../../domain/release-content';
import { markSent, wasSent, type Deadline } from '../entity-loop';
import {
  applyBundlePublished,
  applyWeeklyUpdateMissed,
  circumstancesOf,
  markStep,
  readinessStep,
  step,
  syncSteps,
} from './state';
import {
  contextOf,
  descriptionOf,
  instantOf,
  keyFor,
  reconcileReleaseLog,
  titleOf,
  type ReleaseRun,
} from './reconcile';

/** The time-driven steps still ahead. */
export function releaseDeadlines(run: ReleaseRun): Deadline[] {
  const { state } = run;
  const c = contextOf(run);
  const plan = state.plan!;
  const list: Deadline[] = [];
  if (state.phase === 'planning') {
    // A release that arrived late was flagged and told so at once; it is not "missed" again.
    if (
      state.tier >= 2 &&
      plan.bundleDueDate &&
      !plan.late &&
      !state.bundlePublished &&
      !state.flags.atRisk
    ) {
      // "Published by its due date": checked when the due date is over in the PM's zone.
      list.push({
        at: instantOf(run, addCalendarDays(plan.bundleDueDate, 1), '00:00'),
        run: () => bundleDeadlinePassed(run),
      });
    }
    const readiness = state.steps.find((x) => x.id === 'readiness-check');
    if (
      state.tier === 3 &&
      plan.readinessCheckDate &&
      readiness?.status === 'pending' &&
      state.applied.readinessEvent === plan.readinessCheckDate
    ) {
      // The meeting is held as scheduled; its outcome is the go/no-go, recorded separately.
      const held = plan.readinessCheckDate;
      list.push({
        at: instantOf(run, held, c.readinessCheck.time) + c.readinessCheck.durationMinutes * 60_000,
        run: async () => markStep(state, 'readiness-check', 'done', `held ${held}`),
      });
    }
    if (state.tier === 1) {
      // Tier 1 has nothing to check before it ships: it counts as launched at the end of launch day.
      list.push({
        at: instantOf(run, addCalendarDays(state.launchDate, 1), '00:00'),
        run: () => tierOneLaunched(run),
      });
    } else {
      if (!wasSent(state, keyFor(run, `launch-readiness:${state.launchDate}`)))
        list.push({ at: instantOf(run, state.launchDate, '00:00'), run: () => launchDayCheck(run) });
      const overdueAt = instantOf(run, addWorkingDays(c.calendar, state.launchDate, 1), '10:00');
      if (!state.flags.launchOverdue) list.push({ at: overdueAt, run: () => launchOverdue(run) });
    }
  }
  if (state.phase === 'launched' && state.launchedOn && state.tier === 1) {
    // Open until a weekly product update lists the launch, and no longer than its window.
    const listed = state.steps.find((x) => x.id === 'weekly-update');
    if (listed?.status === 'pending') {
      const windowEnd = listed.due ?? weeklyUpdateWindowEnd(state.launchedOn, c.calendar);
      list.push({
        at: instantOf(run, addCalendarDays(windowEnd, 1), '00:00'),
        run: () => weeklyUpdateMissed(run, windowEnd),
      });
    }
  } else if (state.phase === 'launched' && state.launchedOn) {
    const post = postLaunchDates(state.launchedOn, c.calendar);
    if (step(state, 'day-3-check-in').status === 'pending')
      list.push({ at: instantOf(run, post.dayThreeCheckIn, '09:00'), run: () => dayThree(run) });
    if (step(state, 'day-14-retro').status === 'pending') {
      const at =
        state.tier === 3
          ? instantOf(run, post.dayFourteenRetro, c.retro.time) + c.retro.durationMinutes * 60_000
          : instantOf(run, post.dayFourteenRetro, '09:00');
      list.push({ at, run: () => dayFourteen(run) });
    }
  }
  return list;
}

async function bundleDeadlinePassed(run: ReleaseRun): Promise<void> {
  const { input, state, effects } = run;
  // A lost webhook must not raise a false alarm: ask Notion before flagging.
  const pageId = state.applied.bundlePageId;
  if (pageId) {
    const page = await effects.attempt(null, 'check the bundle status in Notion', () =>
      effects.notion.getPage({ pageId }),
    );
    if (page?.properties?.Status === 'Published') {
      applyBundlePublished(state, {}, circumstancesOf(state, input, Date.now()));
      return;
    }
  }
  const plan = state.plan!;
  const c = contextOf(run);
  state.flags.atRisk = true;
  markStep(state, 'bundle', 'missed', `not published by ${plan.bundleDueDate}`);
  effects.note(`enablement bundle not published by ${plan.bundleDueDate}: at risk`);
  const { today } = circumstancesOf(state, input, Date.now());
  const earliest = earliestCompliantLaunch(state.tier, today, c.calendar, c.rules);
  await effects.notify(
    keyFor(run, `at-risk:${plan.bundleDueDate}`),
    [c.pm],
    atRiskNotice(descriptionOf(run), plan, earliest),
  );
  await effects.notify(
    keyFor(run, `at-risk-escalation:${plan.bundleDueDate}`),
    c.escalation,
    atRiskNotice(descriptionOf(run), plan, earliest),
  );
}

async function launchDayCheck(run: ReleaseRun): Promise<void> {
  const { state, effects } = run;
  const c = contextOf(run);
  // Confirmations may have been given in Jira while a webhook was lost: look before escalating.
  for (const team of ['support', 'sales'] as const) {
    const issueKey = state.applied.subtasks[team];
    if (state.confirmations[team] || !issueKey) continue;
    const issue = await effects.attempt(null, `check the ${team} readiness sub-task`, () =>
      effects.jira.getIssue({ issueKey }),
    );
    if (issue && issue.status.toLowerCase() === c.jira.doneStatus.toLowerCase()) {
      state.confirmations[team] = {
        by: issue.assigneeAccountId ?? 'jira',
        at: new Date(Date.now()).toISOString(),
        source: 'workflow-check',
      };
      markStep(state, readinessStep(team), 'done', 'done in Jira');
    }
  }
  const missing: string[] = [];
  if (!state.bundlePublished) missing.push('published enablement bundle');
  if (!state.confirmations.support) missing.push('Support readiness');
  if (!state.confirmations.sales) missing.push('Sales readiness');
  const lastDecision = state.goNoGo[state.goNoGo.length - 1];
  if (state.tier === 3 && lastDecision?.decision !== 'go')
    missing.push(lastDecision ? 'a go (the last decision was no-go)' : 'a go/no-go decision from the PM');
  const noticeKey = keyFor(run, `launch-readiness:${state.launchDate}`);
  if (missing.length > 0) {
    effects.note(`launch day with missing: ${missing.join(', ')}`);
    await effects.notify(
      noticeKey,
      [c.pm, ...c.escalation],
      launchReadinessNotice(descriptionOf(run), missing),
    );
  } else {
    markSent(state, noticeKey);
  }
}

async function launchOverdue(run: ReleaseRun): Promise<void> {
  const { state, effects } = run;
  state.flags.launchOverdue = true;
  effects.note(`not marked released since ${state.launchDate}`);
  await effects.notify(
    keyFor(run, `launch-overdue:${state.launchDate}`),
    [contextOf(run).pm],
    launchOverdueNotice(descriptionOf(run)),
  );
}

/**
 * Patch: a launched Tier 1 release stays open until a weekly product update lists it (its
 * "PM updates weekly product update" step), within a window; runs from before ended at launch day.
 */
export const TIER_ONE_WEEKLY_UPDATE_PATCH = 'release-tier1-weekly-update-step';

/**
 * Tier 1 is launched at the end of launch day. Its one remaining step is the weekly product
 * update that lists it: done already when the update day was launch day, else awaited.
 */
async function tierOneLaunched(run: ReleaseRun): Promise<void> {
  const { state, effects } = run;
  const awaitsUpdate = patched(TIER_ONE_WEEKLY_UPDATE_PATCH);
  state.launchedOn = state.launchDate;
  markStep(state, 'launch', 'done', `launched ${state.launchDate}`);
  if (awaitsUpdate) {
    // A release planned before the step existed gets it now.
    syncSteps(state, contextOf(run));
    const listed = state.steps.find((x) => x.id === 'weekly-update');
    state.phase = listed?.status === 'pending' ? 'launched' : 'done';
  } else {
    state.phase = 'done';
    markStep(state, 'weekly-update', 'skipped', 'this run ended at launch day, before the step was kept');
  }
  effects.note(`Tier 1 release launched ${state.launchDate}`);
  await reconcileReleaseLog(run);
}

/** No weekly update listed the Tier 1 launch within its window: missed, and the release ends. */
async function weeklyUpdateMissed(run: ReleaseRun, windowEnd: CalendarDate): Promise<void> {
  const { input, state } = run;
  applyWeeklyUpdateMissed(state, input, windowEnd);
  await reconcileReleaseLog(run);
}

/**
 * Patch: the Day-3 check-in makes a page in the `checkIns` data source, where the Support and
 * Sales leads answer "Were you aware…?", and the notice reaches the Sales lead too.
 */
export const CHECK_IN_PAGE_PATCH = 'release-check-in-page';

async function dayThree(run: ReleaseRun): Promise<void> {
  const { input, state, effects } = run;
  const c = contextOf(run);
  const launchedOn = state.launchedOn!;
  if (!patched(CHECK_IN_PAGE_PATCH)) {
    const recipients = [c.pm, ...(c.supportLead ? [c.supportLead] : [])];
    await effects.notify(
      keyFor(run, 'day-3-check-in'),
      recipients,
      dayThreeNotice(descriptionOf(run), launchedOn),
    );
  } else {
    const page = await checkInPage(run, launchedOn);
    const recipients = [
      c.pm,
      ...(c.supportLead ? [c.supportLead] : []),
      ...(c.salesLead ? [c.salesLead] : []),
    ];
    await effects.notify(
      keyFor(run, 'day-3-check-in'),
      recipients,
      dayThreeNotice(descriptionOf(run), launchedOn, page ?? undefined),
    );
  }
  await effects.attempt('day-3-check-in', 'comment the Day-3 check-in', () =>
    effects.jira.addComment({
      idempotencyKey: keyFor(run, 'day-3-check-in'),
      issueKey: input.issueKey,
      body: dayThreeNotice(descriptionOf(run), launchedOn).text,
    }),
  );
  markStep(state, 'day-3-check-in', 'done');
}

/**
 * The check-in page the leads answer on, when a `checkIns` data source is configured; null
 * (the step says why) when it is not or the page could not be made.
 */
async function checkInPage(run: ReleaseRun, launchedOn: CalendarDate): Promise<{ url: string } | null> {
  const { input, state, effects } = run;
  const c = contextOf(run);
  const dataSourceId = c.notion.checkIns ?? null;
  const s = step(state, 'day-3-check-in');
  if (!dataSourceId) {
    s.detail =
      'no check-in page: integrations.notion.dataSources.checkIns is not configured (answers come from prodops release aware)';
    return null;
  }
  const page = await effects.attempt('day-3-check-in', 'create the Day-3 check-in page', () =>
    effects.notion.upsertPage({
      idempotencyKey: keyFor(run, 'check-in'),
      dataSourceId,
      properties: {
        Name: { title: `Day-3 check-in — ${titleOf(input)}` },
        Release: { rich_text: input.issueKey },
        Launched: { date: { start: launchedOn } },
      },
      content: checkInDocument(descriptionOf(run), launchedOn, {
        support: c.supportLead?.name ?? null,
        sales: c.salesLead?.name ?? null,
      }),
    }),
  );
  if (!page) return null;
  state.applied.checkInPageId = page.id;
  s.ref = page.id;
  s.url = page.url;
  return { url: page.url };
}

/** Tier 2 gets an asynchronous retro page; Tier 3's retro was the meeting. Either way, done. */
async function dayFourteen(run: ReleaseRun): Promise<void> {
  const { input, state, effects } = run;
  const c = contextOf(run);
  const launchedOn = state.launchedOn!;
  const dataSourceId = c.notion.retros ?? c.notion.enablementBundles;
  if (state.tier === 2 && dataSourceId) {
    const page = await effects.attempt('day-14-retro', 'create the retro page', () =>
      effects.notion.upsertPage({
        idempotencyKey: keyFor(run, 'retro'),
        dataSourceId,
        properties: {
          Name: { title: `Day-14 retro — ${titleOf(input)}` },
          Release: { rich_text: input.issueKey },
          ...(dataSourceId === c.notion.enablementBundles ? { Status: { status: 'Draft' } } : {}),
        },
        content: retroDocument(descriptionOf(run), launchedOn),
      }),
    );
    if (page) {
      state.applied.retroPageId = page.id;
      const s = step(state, 'day-14-retro');
      s.ref = page.id;
      s.url = page.url;
    }
  }
  markStep(state, 'day-14-retro', 'done');
  state.phase = 'done';
  effects.note('post-launch capture complete');
}
