/**
 * What must exist for an engagement against what does: the Jira tasks of each team (created,
 * re-dated, retired in one batch each), the welcome session, check-in and review (one calendar
 * batch), the first-week page, the tracker row in Notion and the notices. Every artifact has a
 * key derived from the engagement, and what was made is recorded, so a turn with nothing new
 * costs no activity at all.
 */
import { compareDates, type CalendarDate } from '../../domain/business-calendar';
import {
  cancelledNotice,
  checkInInvite,
  firstWeekDocument,
  freelancerDeclinedNotice,
  linksNotice,
  noBuddyNotice,
  reviewInvite,
  taskText,
  welcomeInvite,
  extensionNotice,
  type Notice,
} from '../../domain/onboarding-content';
import type { CalendarActivities, UpsertEventInput } from '../../activities/calendar';
import type { GmailActivities } from '../../activities/gmail';
import type { CreateIssueInput, JiraActivities } from '../../activities/jira';
import type { NotionActivities, NotionPropertyInputs } from '../../activities/notion';
import type { PersonRef } from './messages';
import {
  ctx,
  describe,
  dueOf,
  engagementKey,
  nextWorkingDay,
  phaseOf,
  planOf,
  task,
  wantedTasks,
  type OnboardingState,
  type TaskRecord,
  type WantedTask,
} from './state';

/** The activities and journal helpers reconcile and deadlines act through. */
export interface OnboardingEffects {
  jira: Pick<
    JiraActivities,
    'createIssues' | 'updateIssues' | 'transitionIssues' | 'addComments' | 'searchIssues' | 'readStatusChange'
  >;
  notion: Pick<NotionActivities, 'upsertPage' | 'updatePage'>;
  calendar: Pick<CalendarActivities, 'upsertEvents' | 'deleteEvents'>;
  gmail: Pick<GmailActivities, 'sendMail'>;
  /** Runs one integration call; a failure that outlived its retries is noted and answered undefined. */
  attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined>;
  /** Sends a notice once per key; true when it went out (now or before). */
  notify(key: string, to: PersonRef[], notice: Notice, cc?: PersonRef[]): Promise<boolean>;
  note(message: string): void;
  workflowId: string;
}

// ---- Tasks ------------------------------------------------------------------------------------

function newRecord(state: OnboardingState, w: WantedTask, today: CalendarDate): TaskRecord {
  const record: TaskRecord = {
    id: w.id,
    kind: w.kind,
    owner: w.owner,
    ...(w.tool ? { tool: w.tool } : {}),
    status: 'open',
    issueKey: null,
    appliedDue: null,
    retiredInJira: false,
    createdOn: null,
    doneOn: null,
    doneBy: null,
    remindedFor: null,
    escalatedFor: null,
  };
  // A tool dropped mid-engagement, or an engagement cancelled before it started, is revoked at once.
  if (w.kind === 'revoke' && (!state.endSettled || state.cancelled?.beforeStart))
    record.fixedDue = nextWorkingDay(state, today);
  return record;
}

/** Brings the records in line with the tasks wanted now: new ones open, unwanted open ones retired. */
export function syncTaskRecords(state: OnboardingState, today: CalendarDate): void {
  const wanted = wantedTasks(state);
  for (const w of wanted) {
    const existing = task(state, w.id);
    if (!existing) state.tasks.push(newRecord(state, w, today));
    else if (existing.status === 'retired') existing.status = 'open';
  }
  for (const t of state.tasks)
    if (t.status === 'open' && !wanted.some((w) => w.id === t.id)) t.status = 'retired';
}

function issueInput(state: OnboardingState, t: TaskRecord, workflowId: string): CreateIssueInput {
  const c = ctx(state);
  const owner = c.owners[t.owner];
  const due = dueOf(state, t);
  const text = taskText(t.kind, describe(state), {
    due,
    ...(t.tool ? { tool: c.tools[t.tool] ?? t.tool } : {}),
    toolNames: state.tools.map((id) => c.tools[id] ?? id),
    complianceCheck: c.complianceCheck,
  });
  return {
    idempotencyKey: engagementKey(state, `task:${t.id}`),
    projectKey: owner.projectKey,
    issueType: 'Task',
    summary: text.summary,
    description: text.description,
    labels: ['onboarding'],
    ...(owner.lead.jiraAccountId ? { assigneeAccountId: owner.lead.jiraAccountId } : {}),
    duedate: due,
    workflowId,
  };
}

/** Creates, re-dates, retires and reopens tasks in Jira: at most one batch of each. */
export async function reconcileTasks(state: OnboardingState, fx: OnboardingEffects, today: CalendarDate) {
  syncTaskRecords(state, today);
  const c = ctx(state);
  const toCreate = state.tasks.filter((t) => t.status === 'open' && t.issueKey === null);
  if (toCreate.length > 0) {
    const made = await fx.attempt(`create ${toCreate.map((t) => t.id).join(', ')} in Jira`, () =>
      fx.jira.createIssues({ issues: toCreate.map((t) => issueInput(state, t, fx.workflowId)) }),
    );
    made?.results.forEach((result, i) => {
      const t = toCreate[i]!;
      if (!result.ok) return fx.note(`could not create ${t.id} in Jira: ${result.error}`);
      t.issueKey = result.value.key;
      t.appliedDue = dueOf(state, t);
      t.createdOn = today;
    });
  }
  const redate = state.tasks.filter(
    (t) => t.status === 'open' && t.issueKey !== null && t.appliedDue !== dueOf(state, t),
  );
  if (redate.length > 0) {
    const updated = await fx.attempt('move due dates in Jira', () =>
      fx.jira.updateIssues({
        updates: redate.map((t) => ({ issueKey: t.issueKey!, duedate: dueOf(state, t) })),
      }),
    );
    updated?.results.forEach((result, i) => {
      const t = redate[i]!;
      if (result.ok) t.appliedDue = dueOf(state, t);
      else fx.note(`could not move the due date of ${t.issueKey}: ${result.error}`);
    });
  }
  const moves = state.tasks.filter(
    (t) =>
      t.issueKey !== null &&
      ((t.status === 'retired' && !t.retiredInJira) || (t.status === 'open' && t.retiredInJira)),
  );
  if (moves.length > 0) {
    const moved = await fx.attempt('retire or reopen tasks in Jira', () =>
      fx.jira.transitionIssues({
        transitions: moves.map((t) => ({
          issueKey: t.issueKey!,
          toStatus: t.status === 'retired' ? c.jira.cancelledStatus : 'To Do',
        })),
      }),
    );
    moved?.results.forEach((result, i) => {
      const t = moves[i]!;
      if (result.ok) t.retiredInJira = t.status === 'retired';
      else fx.note(`could not move ${t.issueKey}: ${result.error}`);
    });
  }
}

/** Closes the engagement once the end has passed (or it was cancelled) and offboarding is done. */
export function closeIfDone(state: OnboardingState, today: CalendarDate): boolean {
  if (state.closed || !state.endSettled) return false;
  const offboarding = wantedTasks(state).filter((w) => w.kind === 'revoke' || w.kind === 'final-invoice');
  if (!offboarding.every((w) => task(state, w.id)?.status === 'done')) return false;
  if (!state.cancelled && compareDates(today, state.endDate) <= 0) return false;
  state.closed = true;
  state.reason ??= 'closed: every access revoked and the final invoice approved';
  if (state.cancelled) state.reason = `${state.reason}; closed`;
  for (const t of state.tasks) if (t.status === 'open') t.status = 'retired';
  return true;
}

// ---- Calendar -----------------------------------------------------------------------------------

type MeetingKind = 'welcome' | 'checkIn' | 'review';
const MEETINGS: MeetingKind[] = ['welcome', 'checkIn', 'review'];

/** The meetings wanted now: none before the buddy date or after a cancellation; past ones stay. */
function wantedMeetings(
  state: OnboardingState,
  today: CalendarDate,
): Record<MeetingKind, CalendarDate | null> {
  const applied = state.applied.events;
  const keepPast = (kind: MeetingKind, wantedDate: CalendarDate | null) => {
    const booked = applied[kind];
    return booked !== null && compareDates(booked, today) < 0 ? booked : wantedDate;
  };
  if (!state.buddyNamed || state.closed || state.cancelled?.beforeStart)
    return {
      welcome: keepPast('welcome', null),
      checkIn: keepPast('checkIn', null),
      review: keepPast('review', null),
    };
  const plan = planOf(state, today);
  const beforeEnd = (d: CalendarDate) => (compareDates(d, state.endDate) <= 0 ? d : null);
  const wanted = {
    welcome: plan.welcomeSession,
    checkIn: beforeEnd(plan.firstWeekCheckIn),
    review: beforeEnd(plan.thirtyDayReview),
  };
  return {
    welcome: keepPast('welcome', wanted.welcome),
    checkIn: keepPast('checkIn', wanted.checkIn),
    review: keepPast('review', wanted.review),
  };
}

function meetingInput(
  state: OnboardingState,
  kind: MeetingKind,
  date: CalendarDate,
  workflowId: string,
): UpsertEventInput {
  const c = ctx(state);
  const e = describe(state);
  const buddy = state.buddy;
  const settings = c.meetings[kind];
  const text =
    kind === 'welcome'
      ? welcomeInvite(e, buddy?.name ?? null)
      : kind === 'checkIn'
        ? checkInInvite(e, buddy?.name ?? null)
        : reviewInvite(e);
  const attendees = [
    state.input.email,
    c.manager.email,
    ...(buddy && kind !== 'review' ? [buddy.email] : []),
  ];
  const [h, m] = settings.time.split(':').map(Number) as [number, number];
  const endMinutes = h * 60 + m + settings.durationMinutes;
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    idempotencyKey: engagementKey(state, kind),
    calendarId: c.sender,
    actAs: c.sender,
    summary: text.summary,
    description: text.description,
    start: `${date}T${settings.time}`,
    end: `${date}T${pad(Math.floor(endMinutes / 60))}:${pad(endMinutes % 60)}`,
    timeZone: c.calendar.timezone,
    attendees: [...new Set(attendees.map((a) => a.toLowerCase()))].map((email) => ({ email })),
    privateProperties: { prodopsWorkflowId: workflowId },
    sendUpdates: 'all',
  };
}

/** Books, moves and removes the meetings in one batch each; events in the past are left as they were. */
export async function reconcileEvents(state: OnboardingState, fx: OnboardingEffects, today: CalendarDate) {
  const wanted = wantedMeetings(state, today);
  const applied = state.applied.events;
  const future = MEETINGS.filter((k) => wanted[k] !== null && compareDates(wanted[k], today) >= 0);
  const inputs = future.map((k) => meetingInput(state, k, wanted[k]!, fx.workflowId));
  const fingerprint = JSON.stringify(
    inputs.map((i) => [i.idempotencyKey, i.start, i.attendees, i.summary, i.description]),
  );
  const removed = MEETINGS.filter((k) => wanted[k] === null && applied[k] !== null);
  if (fingerprint !== applied.fingerprint && inputs.length > 0) {
    const booked = await fx.attempt('book the onboarding meetings', () =>
      fx.calendar.upsertEvents({ events: inputs }),
    );
    if (booked) {
      future.forEach((k, i) => {
        const result = booked.results[i]!;
        if (result.ok) applied[k] = wanted[k];
        else fx.note(`could not book the ${k} meeting: ${result.error}`);
      });
      if (booked.results.every((r) => r.ok)) applied.fingerprint = fingerprint;
    }
  }
  if (removed.length > 0) {
    const c = ctx(state);
    const deleted = await fx.attempt('remove onboarding meetings', () =>
      fx.calendar.deleteEvents({
        events: removed.map((k) => ({
          calendarId: c.sender,
          actAs: c.sender,
          idempotencyKey: engagementKey(state, k),
          sendUpdates: 'all' as const,
        })),
      }),
    );
    deleted?.results.forEach((result, i) => {
      if (result.ok) applied[removed[i]!] = null;
    });
    if (inputs.length === 0) applied.fingerprint = null;
  }
}

// ---- Notion -----------------------------------------------------------------------------------

/** The first-week page, made from the template once the buddy is named, and kept in step. */
export async function reconcileFirstWeekPage(
  state: OnboardingState,
  fx: OnboardingEffects,
  today: CalendarDate,
) {
  const c = ctx(state);
  const dataSourceId = c.notion.firstWeekPages;
  if (!dataSourceId || !state.buddyNamed || state.cancelled?.beforeStart || state.closed) return;
  const properties: NotionPropertyInputs = {
    Name: { title: `First week: ${state.input.name}` },
    Freelancer: { rich_text: `${state.input.name} <${state.input.email}>` },
    'Start date': { date: { start: state.startDate } },
    Buddy: { rich_text: state.buddy?.name ?? '' },
    Manager: { rich_text: c.manager.name },
  };
  const fingerprint = JSON.stringify(properties);
  if (state.applied.firstWeekPage?.fingerprint === fingerprint) return;
  const plan = planOf(state, today);
  const page = await fx.attempt('make the first-week page', () =>
    fx.notion.upsertPage({
      idempotencyKey: engagementKey(state, 'first-week'),
      dataSourceId,
      properties,
      content: firstWeekDocument(describe(state), state.buddy?.name ?? null, c.links, {
        checkIn: plan.firstWeekCheckIn,
        review: compareDates(plan.thirtyDayReview, state.endDate) <= 0 ? plan.thirtyDayReview : null,
      }),
    }),
  );
  if (page) state.applied.firstWeekPage = { id: page.id, url: page.url, fingerprint };
}

const TRACKER_STATUS = {
  contract: 'Onboarding',
  access: 'Onboarding',
  'day-one': 'Onboarding',
  'ramp-up': 'Active',
  offboarding: 'Offboarding',
  closed: 'Closed',
  cancelled: 'Cancelled',
} as const;

/** The tracker row: the intake page itself, or a row prodops keeps for an engagement started elsewhere. */
export async function reconcileTracker(state: OnboardingState, fx: OnboardingEffects) {
  const c = ctx(state);
  const tracker = state.applied.tracker;
  const wanted: Record<string, string> = {
    Status: TRACKER_STATUS[phaseOf(state)],
    'Start date': state.startDate,
    'Contract end': state.endDate,
  };
  const changed = Object.keys(wanted).filter((k) => tracker.values?.[k] !== wanted[k]);
  if (changed.length === 0) return;
  const asProperty = (k: string) =>
    k === 'Status' ? { status: wanted[k]! } : { date: { start: wanted[k]! } };
  if (tracker.pageId) {
    const pageId = tracker.pageId;
    const done = await fx.attempt('update the tracker row', () =>
      fx.notion.updatePage({
        pageId,
        properties: Object.fromEntries(changed.map((k) => [k, asProperty(k)])),
      }),
    );
    if (done) tracker.values = { ...tracker.values, ...wanted };
    return;
  }
  const dataSourceId = c.notion.freelancers;
  if (!dataSourceId) return;
  const page = await fx.attempt('add the tracker row', () =>
    fx.notion.upsertPage({
      idempotencyKey: engagementKey(state, 'tracker'),
      dataSourceId,
      properties: {
        Name: { title: state.input.name },
        ID: { rich_text: state.input.freelancerId },
        Email: { email: state.input.email },
        Role: { select: state.input.role },
        Team: { select: state.input.team },
        Country: { select: state.input.country },
        Tools: { multi_select: state.tools.map((t) => t) },
        ...Object.fromEntries(Object.keys(wanted).map((k) => [k, asProperty(k)])),
      },
    }),
  );
  if (page) {
    tracker.pageId = page.id;
    tracker.values = { ...wanted };
  }
}

// ---- Notices ----------------------------------------------------------------------------------

/** Notices that follow from the state: each goes out once, keyed by what it is about. */
export async function reconcileNotices(state: OnboardingState, fx: OnboardingEffects) {
  const c = ctx(state);
  const e = describe(state);
  const cc = c.coordinator ? [c.coordinator] : [];
  if (state.cancelled?.beforeStart) {
    const revoking = state.tasks.filter((t) => t.kind === 'revoke').map((t) => c.tools[t.tool!] ?? t.tool!);
    await fx.notify(
      engagementKey(state, 'cancelled'),
      [c.manager],
      cancelledNotice(e, state.cancelled.reason, revoking),
      cc,
    );
    return;
  }
  if (state.closed) return;
  if (state.freelancerDeclined)
    await fx.notify(
      engagementKey(state, `freelancer-declined:${state.freelancerDeclined}`),
      [c.manager],
      freelancerDeclinedNotice(e),
      cc,
    );
  if (state.buddyNamed && !state.buddy && !state.started)
    await fx.notify(
      engagementKey(state, `no-buddy:${state.declinedBuddies.length}`),
      [c.manager],
      noBuddyNotice(e, state.declinedBuddies),
      cc,
    );
  if (state.started)
    await fx.notify(
      engagementKey(state, 'links'),
      [{ id: state.input.freelancerId, name: state.input.name, email: state.input.email }],
      linksNotice(e, state.buddy?.name ?? null, c.links, state.applied.firstWeekPage?.url ?? null),
      [c.manager, ...(state.buddy ? [state.buddy] : []), ...cc],
    );
  if (state.extensionAskedFor === state.endDate && !state.endSettled)
    await fx.notify(
      engagementKey(state, `extension:${state.endDate}`),
      [c.manager],
      extensionNotice(e, fx.workflowId),
      cc,
    );
}

/** One turn of reconciling, in the order the artifacts depend on each other. */
export async function reconcile(
  state: OnboardingState,
  fx: OnboardingEffects,
  today: CalendarDate,
): Promise<void> {
  closeIfDone(state, today);
  await reconcileTasks(state, fx, today);
  if (closeIfDone(state, today)) await reconcileTasks(state, fx, today);
  await reconcileEvents(state, fx, today);
  await reconcileFirstWeekPage(state, fx, today);
  await reconcileNotices(state, fx);
  await reconcileTracker(state, fx);
}
