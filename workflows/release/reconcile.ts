/**
 * What must exist in Jira, Notion, Calendar and Temporal's visibility for a release in its
 * current state, against what already does (`state.applied`). Each reconcile does only what
 * changed: the same calendar events move, steps a tier no longer needs are retired, and every
 * side effect carries an idempotency key derived from the release, so retries and replays
 * never repeat one.
 *
 * The order of the calls below is the order of the commands in every running release's
 * history: a change to it goes behind `patched()`.
 */
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { createJiraActivities } from '../../activities/jira';
import type { createNotionActivities } from '../../activities/notion';
import type { createCalendarActivities } from '../../activities/calendar';
import {
  addWorkingDays,
  compareDates,
  localDateOf,
  zonedDateTimeToInstant,
  type CalendarDate,
} from '../../domain/business-calendar';
import { postLaunchDates } from '../../domain/release-plan';
import {
  bundleDocument,
  bundleUpgradeDocument,
  cancelledNotice,
  lateNotice,
  planComment,
  TIER_NAMES,
  type Notice,
  type ReleaseDescription,
} from '../../domain/release-content';
import {
  EnablementStatus as EnablementStatusKey,
  LaunchDate,
  ProductArea,
  ReleaseTier,
} from '../../domain/search-attributes';
import { readinessSubtaskKey } from '../../contracts/ids';
import type { PersonRef, ReleaseContext, ReleaseInput, StepId } from './messages';
import { enablement, markStep, readinessStep, step, type ReleaseWorkflowState } from './state';

export type Jira = ReturnType<typeof createJiraActivities>;
export type Notion = ReturnType<typeof createNotionActivities>;
export type Calendar = ReturnType<typeof createCalendarActivities>;

/** Everything reconciling does to the world, built by workflow.ts. */
export interface ReleaseEffects {
  jira: ActivityInterfaceFor<Jira>;
  notion: ActivityInterfaceFor<Notion>;
  calendar: ActivityInterfaceFor<Calendar>;
  /**
   * Runs one integration call; a failure that outlived its retries is recorded (on the step, when
   * there is one) and answered with undefined.
   */
  attempt<T>(step: StepId | null, what: string, action: () => Promise<T>): Promise<T | undefined>;
  /** Mails a notice once per key. */
  notify(key: string, to: PersonRef[], notice: Notice): Promise<unknown>;
  note(message: string): void;
  upsertSearchAttributes(attributes: SearchAttributeUpdatePair[]): void;
}

/** One run of one release, as reconciling and the deadlines see it. */
export interface ReleaseRun {
  readonly input: ReleaseInput;
  readonly state: ReleaseWorkflowState;
  readonly effects: ReleaseEffects;
  /** The search attributes upserted by this run (not carried: a new run upserts them again). */
  indexed: string | null;
}

export function contextOf({ state }: ReleaseRun): ReleaseContext {
  if (!state.context) throw new Error('release context is not loaded');
  return state.context;
}

/** The idempotency key of one side effect of this release. */
export const keyFor = ({ input }: ReleaseRun, suffix: string): string =>
  `release:${input.issueKey}:${suffix}`;

export const titleOf = (input: ReleaseInput): string => input.title ?? input.issueKey;

/** The date it is now in the PM's time zone. */
export const todayIn = (run: ReleaseRun): CalendarDate =>
  localDateOf(Date.now(), contextOf(run).calendar.timezone);

/** An instant at a wall time of a date in the PM's time zone, ms since epoch. */
export const instantOf = (run: ReleaseRun, date: CalendarDate, time: string): number =>
  Date.parse(zonedDateTimeToInstant(date, time, contextOf(run).calendar.timezone));

export function descriptionOf(run: ReleaseRun): ReleaseDescription {
  const { input, state } = run;
  const c = contextOf(run);
  return {
    issueKey: input.issueKey,
    title: titleOf(input),
    tier: state.tier,
    launchDate: state.launchDate,
    pmName: c.pm.name,
    engLeadName: c.engLead?.name ?? null,
    escalationNames: c.escalation.map((p) => p.name),
    productArea: input.productArea ?? null,
  };
}

function releaseLogStatus(state: ReleaseWorkflowState): string {
  if (state.phase === 'cancelled') return 'Cancelled';
  if (state.phase === 'launched' || state.phase === 'done') return 'Released';
  if (state.flags.onHold) return 'On hold';
  if (state.flags.atRisk) return 'At risk';
  if (state.flags.late) return 'Late';
  return 'Planned';
}

export async function reconcileReleaseLog(run: ReleaseRun): Promise<void> {
  const { input, state, effects } = run;
  const dataSourceId = contextOf(run).notion.releaseLog;
  if (!dataSourceId) {
    markStep(state, 'release-log', 'skipped', 'integrations.notion.dataSources.releaseLog is not configured');
    return;
  }
  const properties = {
    Name: { title: titleOf(input) },
    Release: { rich_text: input.issueKey },
    Tier: { select: `Tier ${state.tier}` },
    'Launch date': { date: { start: state.launchedOn ?? state.launchDate } },
    Status: { select: releaseLogStatus(state) },
    ...(input.productArea ? { 'Product area': { select: input.productArea } } : {}),
  };
  const fingerprint = JSON.stringify(properties);
  if (state.applied.releaseLog === fingerprint) return;
  const page = await effects.attempt('release-log', 'update the release log', () =>
    effects.notion.upsertPage({
      idempotencyKey: keyFor(run, 'release-log'),
      dataSourceId,
      properties,
      // The page the first upsert answered: later ones write it in one request, with no look-up.
      ...(state.applied.releaseLogPageId ? { pageId: state.applied.releaseLogPageId } : {}),
    }),
  );
  if (page) {
    state.applied.releaseLog = fingerprint;
    state.applied.releaseLogPageId = page.id;
    const s = step(state, 'release-log');
    s.status = 'done';
    s.ref = page.id;
    s.url = page.url;
  }
}

async function reconcilePlanComment(run: ReleaseRun): Promise<void> {
  const { input, state, effects } = run;
  const plan = state.plan!;
  const fingerprint = JSON.stringify([
    plan.tier,
    plan.launchDate,
    plan.bundleDueDate,
    plan.readinessCheckDate,
    plan.dayThreeCheckIn,
    plan.dayFourteenRetro,
    plan.late,
  ]);
  if (state.applied.planCommented === fingerprint) return;
  const revision = state.applied.planRevision + 1;
  const comment = await effects.attempt('plan-comment', 'comment the plan on Jira', () =>
    effects.jira.addComment({
      idempotencyKey: keyFor(run, `plan:${revision}`),
      issueKey: input.issueKey,
      body: planComment(descriptionOf(run), plan, revision),
    }),
  );
  if (comment) {
    state.applied.planRevision = revision;
    state.applied.planCommented = fingerprint;
    const s = step(state, 'plan-comment');
    s.status = 'done';
    s.ref = comment.id;
    s.detail = `revision ${revision}`;
  }
}

function bundleProperties(run: ReleaseRun) {
  const { input, state } = run;
  return {
    Name: { title: `Enablement bundle — ${titleOf(input)}` },
    Release: { rich_text: input.issueKey },
    Tier: { select: `Tier ${state.tier}` },
    'Launch date': { date: { start: state.launchDate } },
    Due: { date: { start: state.plan!.bundleDueDate! } },
    Owner: { rich_text: contextOf(run).pm.name },
  };
}

/**
 * Tiers 2 and 3 have a bundle page while planning: created as a draft, given the Tier 3
 * sections when the tier goes up, cancelled when the tier drops to 1, revived when it comes back.
 */
async function reconcileBundle(run: ReleaseRun): Promise<void> {
  const { state, effects } = run;
  const { applied } = state;
  const dataSourceId = contextOf(run).notion.enablementBundles;
  const wanted = state.tier >= 2 && state.phase === 'planning';
  if (!dataSourceId) {
    if (state.tier >= 2)
      markStep(
        state,
        'bundle',
        'skipped',
        'integrations.notion.dataSources.enablementBundles is not configured',
      );
    return;
  }
  if (!wanted) {
    if (
      applied.bundlePageId &&
      !applied.bundleRetired &&
      state.phase !== 'launched' &&
      state.phase !== 'done'
    ) {
      const pageId = applied.bundlePageId;
      const done = await effects.attempt('bundle', 'retire the enablement bundle', () =>
        effects.notion.updatePage({ pageId, properties: { Status: { status: 'Cancelled' } } }),
      );
      if (done) applied.bundleRetired = true;
    }
    return;
  }
  const properties = bundleProperties(run);
  const fingerprint = JSON.stringify(properties);
  if (!applied.bundlePageId) {
    const page = await effects.attempt('bundle', 'create the enablement bundle', () =>
      effects.notion.upsertPage({
        idempotencyKey: keyFor(run, 'bundle'),
        dataSourceId,
        properties: { ...properties, Status: { status: 'Draft' } },
        content: bundleDocument(descriptionOf(run), state.plan!),
      }),
    );
    if (!page) return;
    applied.bundlePageId = page.id;
    applied.bundleUrl = page.url;
    applied.bundleLevel = state.tier;
    applied.bundleProps = fingerprint;
    const s = step(state, 'bundle');
    s.ref = page.id;
    s.url = page.url;
    return;
  }
  const pageId = applied.bundlePageId;
  if (applied.bundleRetired) {
    // Back from Tier 1: the retired page comes back as a draft.
    const revived = await effects.attempt('bundle', 'revive the enablement bundle', () =>
      effects.notion.updatePage({
        pageId,
        properties: { Status: { status: state.bundlePublished ? 'Published' : 'Draft' } },
      }),
    );
    if (!revived) return;
    applied.bundleRetired = false;
  }
  if (applied.bundleLevel === 2 && state.tier === 3) {
    const upgraded = await effects.attempt('bundle', 'add the Tier 3 sections to the bundle', () =>
      effects.notion.appendContent({
        pageId,
        content: bundleUpgradeDocument(),
        idempotencyKey: keyFor(run, 'bundle:tier-3-sections'),
      }),
    );
    if (!upgraded) return;
    applied.bundleLevel = 3;
  }
  if (applied.bundleProps !== fingerprint) {
    const updated = await effects.attempt('bundle', 'update the enablement bundle', () =>
      effects.notion.updatePage({ pageId, properties }),
    );
    if (updated) applied.bundleProps = fingerprint;
  }
}

const TEAMS = ['support', 'sales'] as const;
type Team = (typeof TEAMS)[number];
const teamName = (team: Team): string => (team === 'support' ? 'Support' : 'Sales');

/**
 * Tiers 2 and 3 have a readiness sub-task per team while planning, retired (unless already
 * confirmed) when the tier drops to 1 and reopened when it comes back.
 */
async function reconcileSubtasks(run: ReleaseRun): Promise<void> {
  const { input, state, effects } = run;
  const { applied } = state;
  const c = contextOf(run);
  const wanted = state.tier >= 2 && state.phase === 'planning';
  for (const team of TEAMS) {
    const id = readinessStep(team);
    const existing = applied.subtasks[team];
    if (wanted && !existing) {
      const lead = team === 'support' ? c.supportLead : c.salesLead;
      const issue = await effects.attempt(id, `create the ${team} readiness sub-task`, () =>
        effects.jira.createIssue({
          idempotencyKey: readinessSubtaskKey(input.issueKey, team),
          issueType: c.jira.subtaskIssueType,
          parentKey: input.issueKey,
          summary: `${teamName(team)} readiness: ${titleOf(input)}`,
          description: `Confirm that ${teamName(team)} has what it needs for the launch on ${state.launchDate}: read the enablement bundle${applied.bundleUrl ? ` (${applied.bundleUrl})` : ''} and mark this sub-task done.`,
          ...(lead?.jiraAccountId ? { assigneeAccountId: lead.jiraAccountId } : {}),
          duedate: addWorkingDays(c.calendar, state.launchDate, -1),
        }),
      );
      if (issue) {
        applied.subtasks[team] = issue.key;
        step(state, id).ref = issue.key;
      }
    }
  }
  const retire = !wanted && state.phase !== 'launched' && state.phase !== 'done';
  if (retire && !applied.subtasksRetired && (applied.subtasks.support || applied.subtasks.sales)) {
    let all = true;
    for (const team of TEAMS) {
      const issueKey = applied.subtasks[team];
      if (!issueKey || state.confirmations[team]) continue;
      const moved = await effects.attempt(null, `retire the ${team} readiness sub-task`, () =>
        effects.jira.transitionIssue({ issueKey, toStatus: c.jira.cancelledStatus }),
      );
      if (!moved) all = false;
    }
    applied.subtasksRetired = all;
  } else if (wanted && applied.subtasksRetired) {
    for (const team of TEAMS) {
      const issueKey = applied.subtasks[team];
      if (issueKey && !state.confirmations[team])
        await effects.attempt(null, `reopen the ${team} readiness sub-task`, () =>
          effects.jira.transitionIssue({ issueKey, toStatus: 'To Do' }),
        );
    }
    applied.subtasksRetired = false;
  }
}

type MeetingKind = 'readiness-check' | 'retro';

function attendees(c: ReleaseContext): { email: string }[] {
  return [c.engLead, c.supportLead, c.salesLead]
    .filter((p): p is PersonRef => p !== null && p.email !== c.pm.email)
    .map((p) => ({ email: p.email }));
}

function meetingText(run: ReleaseRun, which: MeetingKind): { summary: string; description: string } {
  const { input, state } = run;
  if (which === 'retro')
    return {
      summary: `Day-14 retro: ${titleOf(input)}`,
      description: `What went well, what surprised us, what should change in the enablement process. Outcome: 1–3 action items for Product Ops.`,
    };
  return {
    summary: `Launch Readiness Check: ${titleOf(input)}`,
    description: `Go/no-go for ${input.issueKey} (${TIER_NAMES[state.tier]}), launching ${state.launchDate}. Agenda: what is changing (PM, 5 min); Support and Sales readiness (10 min); monitoring and rollback (Eng, 5 min); go/no-go (10 min).${state.applied.bundleUrl ? `\nEnablement bundle: ${state.applied.bundleUrl}` : ''}`,
  };
}

/** The meeting on the PM's calendar on `date`, or no meeting when `date` is null. */
async function reconcileEvent(run: ReleaseRun, which: MeetingKind, date: CalendarDate | null): Promise<void> {
  const { state, effects } = run;
  const appliedField = which === 'readiness-check' ? 'readinessEvent' : 'retroEvent';
  const stepId: StepId = which === 'readiness-check' ? 'readiness-check' : 'day-14-retro';
  const current = state.applied[appliedField];
  const c = contextOf(run);
  if (date === null) {
    if (current !== null) {
      const deleted = await effects.attempt(null, `remove the ${which} event`, () =>
        effects.calendar.deleteEvent({
          calendarId: c.pm.email,
          idempotencyKey: keyFor(run, which),
          actAs: c.pm.email,
        }),
      );
      if (deleted !== undefined) state.applied[appliedField] = null;
    }
    return;
  }
  if (current === date) return;
  const settings = which === 'readiness-check' ? c.readinessCheck : c.retro;
  const start = instantOf(run, date, settings.time);
  const { summary, description } = meetingText(run, which);
  const event = await effects.attempt(stepId, `schedule the ${which} event`, () =>
    effects.calendar.upsertEvent({
      idempotencyKey: keyFor(run, which),
      calendarId: c.pm.email,
      actAs: c.pm.email,
      summary,
      description,
      start: new Date(start).toISOString(),
      end: new Date(start + settings.durationMinutes * 60_000).toISOString(),
      timeZone: c.calendar.timezone,
      attendees: attendees(c),
      sendUpdates: 'all',
    }),
  );
  if (event) {
    state.applied[appliedField] = date;
    const s = state.steps.find((x) => x.id === stepId);
    if (s) {
      s.ref = event.id;
      if (event.htmlLink) s.url = event.htmlLink;
    }
  }
}

/** A cancelled release: open steps retired, what was made marked cancelled, future meetings gone. */
async function retireOnCancel(run: ReleaseRun): Promise<void> {
  const { state, effects } = run;
  const { applied } = state;
  const c = contextOf(run);
  for (const s of state.steps) if (s.status === 'pending') s.status = 'retired';
  const bundlePageId = applied.bundlePageId;
  if (bundlePageId && !applied.bundleRetired) {
    const done = await effects.attempt(null, 'mark the enablement bundle cancelled', () =>
      effects.notion.updatePage({ pageId: bundlePageId, properties: { Status: { status: 'Cancelled' } } }),
    );
    if (done) applied.bundleRetired = true;
  }
  if (!applied.subtasksRetired) {
    for (const team of TEAMS) {
      const issueKey = applied.subtasks[team];
      if (issueKey && !state.confirmations[team])
        await effects.attempt(null, `retire the ${team} readiness sub-task`, () =>
          effects.jira.transitionIssue({ issueKey, toStatus: c.jira.cancelledStatus }),
        );
    }
    applied.subtasksRetired = true;
  }
  // Future events go; past ones stay as the record of what happened.
  const today = todayIn(run);
  if (applied.readinessEvent && compareDates(applied.readinessEvent, today) >= 0)
    await reconcileEvent(run, 'readiness-check', null);
  if (applied.retroEvent && compareDates(applied.retroEvent, today) >= 0)
    await reconcileEvent(run, 'retro', null);
  await reconcileReleaseLog(run);
  await effects.notify(
    keyFor(run, 'cancelled'),
    [c.pm, ...c.escalation],
    cancelledNotice(descriptionOf(run), state.cancelReason),
  );
}

/** `ReleaseTier`, `LaunchDate`, `EnablementStatus` and `ProductArea`, upserted when they change. */
function indexSearchAttributes(run: ReleaseRun): void {
  const { input, state } = run;
  const launch = state.launchedOn ?? state.launchDate;
  const fingerprint = `${state.tier}|${launch}|${enablement(state)}|${input.productArea ?? ''}`;
  if (fingerprint === run.indexed) return;
  run.indexed = fingerprint;
  run.effects.upsertSearchAttributes([
    { key: ReleaseTier, value: state.tier },
    { key: LaunchDate, value: new Date(`${launch}T00:00:00Z`) },
    { key: EnablementStatusKey, value: enablement(state) },
    ...(input.productArea ? [{ key: ProductArea, value: input.productArea }] : []),
  ]);
}

/** Brings Jira, Notion, Calendar and visibility in line with the release's current state. */
export async function reconcile(run: ReleaseRun): Promise<void> {
  const { state, effects } = run;
  if (state.phase === 'cancelled') {
    await retireOnCancel(run);
    indexSearchAttributes(run);
    return;
  }
  await reconcileReleaseLog(run);
  await reconcilePlanComment(run);
  await reconcileBundle(run);
  await reconcileSubtasks(run);
  const plan = state.plan!;
  // Once launched, past events stay as they were: only plans still ahead move.
  const inPlanning = state.phase === 'planning';
  await reconcileEvent(
    run,
    'readiness-check',
    inPlanning ? (state.tier === 3 ? plan.readinessCheckDate : null) : state.applied.readinessEvent,
  );
  const retroDate = state.launchedOn
    ? postLaunchDates(state.launchedOn, contextOf(run).calendar).dayFourteenRetro
    : plan.dayFourteenRetro;
  await reconcileEvent(
    run,
    'retro',
    state.phase === 'done' ? state.applied.retroEvent : state.tier === 3 ? retroDate : null,
  );
  if (state.flags.late && !state.bundlePublished) {
    const c = contextOf(run);
    await effects.notify(
      keyFor(run, `late:${state.launchDate}:tier-${state.tier}`),
      [c.pm, ...c.escalation],
      lateNotice(descriptionOf(run), plan),
    );
  }
  indexSearchAttributes(run);
}
