/**
 * The time-driven steps of an engagement, each at a local time of the freelancer's calendar:
 * reminders the working day before a task is due, escalations the working day after, the start
 * proposal when a gate misses its date, the buddy date, the start morning, the extension
 * question, the end, and the daily compliance escalation of an access not revoked.
 *
 * Steps due at the same instant run as one deadline, so that a gate's three tasks are reminded
 * in one batch.
 */
import {
  addCalendarDays,
  addWorkingDays,
  compareDates,
  localDateOf,
  zonedDateTimeToInstant,
  type CalendarDate,
} from '../../domain/business-calendar';
import {
  overdueNotice,
  proposalNotice,
  reminderComment,
  revocationNotice,
} from '../../domain/onboarding-content';
import { earliestFeasibleStart, gateDue } from '../../domain/onboarding-plan';
import type { Deadline, Wake } from '../entity-loop';
import type { PersonRef } from './messages';
import type { OnboardingEffects } from './reconcile';
import {
  NOTICE_TIME,
  ctx,
  describe,
  dueOf,
  engagementKey,
  inOffboarding,
  openGate,
  planOf,
  tasksOfGate,
  titleOf,
  wantedTasks,
  task,
  type Deadlineish,
  type OnboardingState,
  type TaskRecord,
} from './state';
import { chooseBuddy } from './transitions';

export const todayOf = (state: OnboardingState): CalendarDate =>
  localDateOf(Date.now(), ctx(state).calendar.timezone);

const instantOf = (state: OnboardingState, date: CalendarDate, time = NOTICE_TIME): number =>
  Date.parse(zonedDateTimeToInstant(date, time, ctx(state).calendar.timezone));

// ---- Tasks: reminders, escalations, the start proposal ----------------------------------------

interface TaskGroup {
  remind: TaskRecord[];
  overdue: TaskRecord[];
}

/** When a task is escalated next: the working day after its due date, then daily for revocations. */
function escalationDay(state: OnboardingState, t: TaskRecord, due: CalendarDate): CalendarDate | null {
  const cal = ctx(state).calendar;
  if (t.kind === 'revoke')
    return t.escalatedFor ? addWorkingDays(cal, t.escalatedFor, 1) : addWorkingDays(cal, due, 1);
  return t.escalatedFor === due ? null : addWorkingDays(cal, due, 1);
}

function taskGroups(state: OnboardingState): Map<number, TaskGroup> {
  const cal = ctx(state).calendar;
  const groups = new Map<number, TaskGroup>();
  const group = (at: number) => {
    let g = groups.get(at);
    if (!g) groups.set(at, (g = { remind: [], overdue: [] }));
    return g;
  };
  for (const t of state.tasks) {
    if (t.status !== 'open' || t.issueKey === null || t.createdOn === null) continue;
    const due = dueOf(state, t);
    const reminderDay = addWorkingDays(cal, due, -1);
    if (t.remindedFor !== due && compareDates(t.createdOn, reminderDay) < 0)
      group(instantOf(state, reminderDay)).remind.push(t);
    const escalate = escalationDay(state, t, due);
    if (escalate) group(instantOf(state, escalate)).overdue.push(t);
  }
  return groups;
}

/** Asks Jira before raising an alarm: a Done whose webhook was lost is not overdue. */
async function refreshFromJira(
  state: OnboardingState,
  fx: OnboardingEffects,
  tasks: TaskRecord[],
  today: CalendarDate,
) {
  const open = tasks.filter((t) => t.status === 'open' && t.issueKey !== null);
  if (open.length === 0) return;
  const done = ctx(state).jira.doneStatus.toLowerCase();
  const found = await fx.attempt('check the open tasks in Jira', () =>
    fx.jira.searchIssues({
      jql: `key in (${open.map((t) => t.issueKey).join(', ')})`,
      maxResults: open.length,
    }),
  );
  for (const issue of found?.issues ?? []) {
    const t = open.find((x) => x.issueKey === issue.key);
    if (!t || issue.status.toLowerCase() !== done) continue;
    t.status = 'done';
    t.doneOn = today;
    t.doneBy = { by: 'jira', via: 'jira' };
    fx.note(`${t.id} found done in Jira (${t.issueKey}) before escalating`);
  }
}

async function remind(state: OnboardingState, fx: OnboardingEffects, tasks: TaskRecord[]) {
  const open = tasks.filter((t) => t.status === 'open');
  for (const t of tasks) t.remindedFor = dueOf(state, t);
  if (open.length === 0) return;
  await fx.attempt('remind the tasks due next', () =>
    fx.jira.addComments({
      comments: open.map((t) => ({
        idempotencyKey: engagementKey(state, `remind:${t.id}:${dueOf(state, t)}`),
        issueKey: t.issueKey!,
        body: reminderComment(dueOf(state, t)),
      })),
    }),
  );
}

const asItem = (state: OnboardingState, t: TaskRecord) => ({
  title: titleOf(state, t),
  issueKey: t.issueKey,
  due: dueOf(state, t),
});

/** Overdue work goes to its team's lead; an access not revoked to Security and the manager's manager, daily. */
async function escalate(
  state: OnboardingState,
  fx: OnboardingEffects,
  tasks: TaskRecord[],
  today: CalendarDate,
) {
  const c = ctx(state);
  const e = describe(state);
  const cc = c.coordinator ? [c.coordinator] : [];
  const late = tasks.filter((t) => t.status === 'open');
  const revocations = late.filter((t) => t.kind === 'revoke');
  for (const t of tasks) t.escalatedFor = t.kind === 'revoke' ? today : dueOf(state, t);
  if (revocations.length > 0) {
    state.flags.revocationOverdue = true;
    const to: PersonRef[] = [
      c.owners.security.lead,
      ...(c.managersManager ? [c.managersManager] : [c.manager]),
    ];
    await fx.notify(
      engagementKey(state, `revocation:${today}`),
      to,
      revocationNotice(
        e,
        revocations.map((t) => asItem(state, t)),
        today,
      ),
      [c.owners.it.lead, ...cc],
    );
  }
  const byOwner = new Map<string, TaskRecord[]>();
  for (const t of late) {
    // Work made after its due date (a late intake) is the start proposal's business, not a lead's.
    if (t.kind === 'revoke' || compareDates(t.createdOn!, dueOf(state, t)) > 0) continue;
    byOwner.set(t.owner, [...(byOwner.get(t.owner) ?? []), t]);
  }
  for (const [owner, list] of byOwner) {
    const team = c.owners[owner as keyof typeof c.owners];
    await fx.notify(
      engagementKey(state, `overdue:${owner}:${dueOf(state, list[0]!)}`),
      [team.lead],
      overdueNotice(
        e,
        list.map((t) => asItem(state, t)),
        team.teamName,
      ),
      cc,
    );
  }
}

/** A gate that missed its date: the earliest start the open work allows goes to the manager. */
export async function proposeStart(state: OnboardingState, fx: OnboardingEffects, today: CalendarDate) {
  const gate = openGate(state);
  if (!gate || state.started || state.cancelled) return;
  const c = ctx(state);
  if (compareDates(gateDue(gate, state.startDate, c.calendar, c.rules), today) >= 0) return;
  const proposed = earliestFeasibleStart(gate, today, c.calendar, c.rules);
  if (state.proposal?.start === proposed && state.proposal.instead === state.startDate) return;
  const blocking = tasksOfGate(state, gate).filter((t) => t.status === 'open');
  const reason = `the ${gate} gate missed its due date ${gateDue(gate, state.startDate, c.calendar, c.rules)}`;
  state.proposal = {
    start: proposed,
    instead: state.startDate,
    reason,
    at: new Date(Date.now()).toISOString(),
  };
  state.flags.startAtRisk = true;
  fx.note(`${reason}: proposed a start on ${proposed} instead of ${state.startDate}`);
  await fx.notify(
    engagementKey(state, `proposal:${state.startDate}:${proposed}`),
    [c.manager],
    proposalNotice(
      describe(state),
      blocking.map((t) => ({ ...asItem(state, t), team: c.owners[t.owner].teamName })),
      proposed,
      fx.workflowId,
    ),
    c.coordinator ? [c.coordinator] : [],
  );
}

/** A proposal the work has since caught up with, or that the start was moved past, no longer stands. */
export function clearStaleProposal(state: OnboardingState, today: CalendarDate): void {
  if (!state.proposal) return;
  const c = ctx(state);
  const gate = openGate(state);
  const stillLate =
    gate !== null && compareDates(gateDue(gate, state.startDate, c.calendar, c.rules), today) < 0;
  if (stillLate && state.proposal.instead === state.startDate && !state.started) return;
  state.proposal = null;
  state.flags.startAtRisk = false;
}

// ---- Milestones -------------------------------------------------------------------------------

function milestones(state: OnboardingState, wake: Wake): Deadline[] {
  const list: Deadline[] = [];
  if (state.cancelled || state.closed) return list;
  const plan = planOf(state, todayOf(state));
  const run = (change: () => void) => async () => {
    change();
    wake.set();
  };
  if (!state.buddyNamed)
    list.push({
      at: instantOf(state, plan.buddyDue),
      run: run(() => {
        state.buddyNamed = true;
        state.buddy = chooseBuddy(state);
      }),
    });
  if (!state.started)
    list.push({ at: instantOf(state, state.startDate), run: run(() => (state.started = true)) });
  if (state.started && !state.endSettled && !inOffboarding(state)) {
    const ask =
      compareDates(plan.extensionDecisionDue!, state.startDate) > 0
        ? plan.extensionDecisionDue!
        : state.startDate;
    list.push({ at: instantOf(state, ask), run: run(() => (state.extensionAskedFor = state.endDate)) });
  }
  if (state.started && !state.endSettled)
    list.push({ at: instantOf(state, state.endDate), run: run(() => (state.endSettled = true)) });
  const offboardingDone =
    state.endSettled &&
    wantedTasks(state)
      .filter((w) => w.kind === 'revoke' || w.kind === 'final-invoice')
      .every((w) => task(state, w.id)?.status === 'done');
  // Offboarding finished before the end passed: the engagement closes the moment it has.
  if (offboardingDone)
    list.push({ at: instantOf(state, addCalendarDays(state.endDate, 1), '00:00'), run: run(() => {}) });
  return list;
}

export function onboardingDeadlines(state: OnboardingState, fx: OnboardingEffects, wake: Wake): Deadline[] {
  if (!state.context || state.closed) return [];
  const list = milestones(state, wake);
  for (const [at, group] of taskGroups(state)) {
    list.push({
      at,
      run: async () => {
        const today = todayOf(state);
        await refreshFromJira(state, fx, group.overdue, today);
        await remind(state, fx, group.remind);
        await escalate(state, fx, group.overdue, today);
        if (group.overdue.some((t) => t.kind !== 'revoke')) await proposeStart(state, fx, today);
        wake.set();
      },
    });
  }
  return list;
}

/** The next date something is due, for the status. */
export function nextDeadline(state: OnboardingState, today: CalendarDate): Deadlineish | null {
  if (!state.context || state.closed || state.cancelled?.beforeStart) return null;
  const plan = planOf(state, today);
  const candidates: Deadlineish[] = state.tasks
    .filter((t) => t.status === 'open')
    .map((t) => ({ what: titleOf(state, t), date: dueOf(state, t) }));
  if (!state.buddyNamed) candidates.push({ what: 'buddy named', date: plan.buddyDue });
  if (!state.started) candidates.push({ what: 'start (welcome session)', date: state.startDate });
  if (state.started && !inOffboarding(state) && plan.extensionDecisionDue)
    candidates.push({ what: 'extend or let end', date: plan.extensionDecisionDue });
  if (!state.endSettled) candidates.push({ what: 'contract end', date: state.endDate });
  const ahead = candidates
    .filter((d) => compareDates(d.date, today) >= 0)
    .sort((a, b) => compareDates(a.date, b.date));
  return ahead[0] ?? null;
}
