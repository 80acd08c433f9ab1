/**
 * The events and the tracker row a request makes, and what a confirmed leave books: the
 * requester's out-of-office block, the buddy's "Covering for" event, the team calendar's entry,
 * the leave tracker's row and the buddy's hand-over mail. Each is idempotent (a key derived from
 * the workflow id) and booked once per confirmation; removing them removes only what prodops made.
 */
import { describeWindow, dueIssuesJql, windowLocalTimes, type CoveragePerson } from '../../domain/coverage';
import { PRODOPS_WORKFLOW_ID_PROPERTY } from '../../contracts/ids';
import type { LeaveEventKind, LeaveEventRecord } from './messages';
import { confirmedNotice, handoverNotice, type DueIssue } from './notices';
import { notify, tryTo, type LeaveRun } from './effects';
import {
  contextOf,
  isInvite,
  partiesOf,
  personIn,
  requesterCalendar,
  requestKey,
  roundKey,
  windowOf,
} from './state';

/** Issues listed in the buddy's hand-over mail. */
export const HANDOVER_ISSUE_LIMIT = 50;

export type TrackerStatus = 'Requested' | 'Approved' | 'Declined' | 'Cancelled' | 'Expired';

export interface EventDetails {
  calendarId: string;
  actAs: string;
  summary: string;
  description: string;
  attendee?: CoveragePerson;
  personId?: string;
  outOfOffice?: boolean;
  transparent: boolean;
  sendUpdates: 'all' | 'none';
  /** An invite whose answers count: an id nobody can predict, on an event prodops organises. */
  secretId?: boolean;
}

/** Creates (or updates) one event over the leave's window and records it; false if it failed. */
export async function upsertEvent(
  run: LeaveRun,
  kind: LeaveEventKind,
  idempotencyKey: string,
  details: EventDetails,
): Promise<boolean> {
  const { state } = run;
  const times = windowLocalTimes(windowOf(state));
  const made = await tryTo(run, `create the ${kind} event`, () =>
    run.effects.calendar.upsertEvent({
      idempotencyKey,
      calendarId: details.calendarId,
      actAs: details.actAs,
      summary: details.summary,
      description: details.description,
      start: times.start,
      end: times.end,
      timeZone: requesterCalendar(state).timezone,
      ...(details.attendee ? { attendees: [{ email: details.attendee.email }] } : {}),
      transparency: details.transparent ? 'transparent' : 'opaque',
      ...(details.outOfOffice ? { eventType: 'outOfOffice' as const } : {}),
      privateProperties: { [PRODOPS_WORKFLOW_ID_PROPERTY]: run.workflowId },
      sendUpdates: details.sendUpdates,
      ...(details.secretId ? { secretId: true } : {}),
    }),
  );
  if (!made) return false;
  const existing = state.events.find((e) => e.idempotencyKey === idempotencyKey);
  if (existing) {
    existing.status = 'live';
    existing.eventId = made.id;
  } else {
    state.events.push({
      kind,
      calendarId: details.calendarId,
      eventId: made.id,
      idempotencyKey,
      ...(details.personId ? { personId: details.personId } : {}),
      status: 'live',
    });
  }
  return true;
}

export async function removeEvents(run: LeaveRun, which: (e: LeaveEventRecord) => boolean): Promise<void> {
  for (const event of run.state.events) {
    if (event.status !== 'live' || !which(event)) continue;
    // Events on a person's own calendar are theirs; invites and the team calendar are the sender's.
    const ownCalendar = event.kind === 'out-of-office' || event.kind === 'covering';
    const done = await tryTo(run, `remove the ${event.kind} event`, () =>
      run.effects.calendar.deleteEvent({
        calendarId: event.calendarId,
        // The id made, not only the key: an invite's id is derived with a secret the key alone lacks.
        eventId: event.eventId,
        idempotencyKey: event.idempotencyKey,
        actAs: ownCalendar ? event.calendarId : contextOf(run.state).sender,
        sendUpdates: isInvite(event) ? 'all' : 'none',
      }),
    );
    if (done) event.status = 'removed';
  }
}

/** The Notion user of a person, read once for the requester and every peer. */
async function notionUserId(run: LeaveRun, person: CoveragePerson): Promise<string | null> {
  const { state } = run;
  if (person.id in state.notionUsers) return state.notionUsers[person.id] ?? null;
  const listed = await tryTo(run, 'list the Notion users', () => run.effects.notion.listUsers());
  if (!listed) return null;
  if (listed.emailsWithheld)
    run.effects.note(
      'Notion lists no emails to the integration (it lacks the email capability): the tracker row names nobody',
    );
  const byEmail = new Map(listed.users.filter((u) => u.email).map((u) => [u.email!.toLowerCase(), u.id]));
  const context = contextOf(state);
  for (const q of [context.requester, ...context.peers])
    state.notionUsers[q.id] = byEmail.get(q.email.toLowerCase()) ?? null;
  return state.notionUsers[person.id] ?? null;
}

/** Writes the request's row in the leave tracker when what it shows changed. */
export async function syncTracker(run: LeaveRun, status: TrackerStatus): Promise<void> {
  const { state } = run;
  const context = contextOf(state);
  const dataSourceId = context.leaveTracker;
  if (!dataSourceId || !state.window) return;
  // A row appears once someone is asked to confirm; refusals by gate 1 never reach the tracker.
  if (!state.trackerPageId && status !== 'Requested' && status !== 'Approved') return;
  const buddy = state.buddy ? personIn(context, state.buddy.id) : undefined;
  const personId = await notionUserId(run, context.requester);
  const buddyId = buddy ? await notionUserId(run, buddy) : null;
  const w = windowOf(state);
  const properties = {
    Name: { title: `${context.requester.name} — ${describeWindow(w)}` },
    ...(personId ? { Person: { people: [personId] } } : {}),
    Team: { select: context.team.name },
    Dates: { date: { start: w.from, end: w.to === w.from ? null : w.to } },
    Buddy: { people: buddyId ? [buddyId] : [] },
    Status: { status },
  };
  const fingerprint = JSON.stringify(properties);
  if (fingerprint === state.trackerFingerprint) return;
  const pageId = state.trackerPageId;
  const done = pageId
    ? await tryTo(run, 'update the leave tracker', () =>
        run.effects.notion.updatePage({ pageId, properties }),
      )
    : await tryTo(run, 'add the leave to the tracker', () =>
        run.effects.notion.upsertPage({
          idempotencyKey: requestKey(run.workflowId, 'tracker'),
          dataSourceId,
          properties,
        }),
      );
  if (!done) return;
  state.trackerPageId = done.id;
  state.trackerFingerprint = fingerprint;
}

/**
 * The calendar events of a confirmed leave; true when all were made. Someone who blocked their
 * own calendar already has an out-of-office event: not a second one.
 */
async function bookCalendars(run: LeaveRun, buddy: CoveragePerson): Promise<boolean> {
  const { state, input } = run;
  const context = contextOf(state);
  const requester = context.requester;
  const when = describeWindow(windowOf(state));
  const key = (suffix: string) => requestKey(run.workflowId, suffix);
  let complete = true;
  const fromOwnEvent = input.source === 'calendar' || state.outOfOfficeEvent !== null;
  if (!fromOwnEvent) {
    complete =
      (await upsertEvent(run, 'out-of-office', key('out-of-office'), {
        calendarId: requester.email,
        actAs: requester.email,
        summary: 'Out of office',
        description: `On leave ${when}; ${buddy.name} covers.`,
        outOfOffice: true,
        transparent: false,
        sendUpdates: 'none',
      })) && complete;
  }
  complete =
    (await upsertEvent(run, 'covering', key(`covering:${buddy.id}`), {
      calendarId: buddy.email,
      actAs: buddy.email,
      summary: `Covering for ${requester.name}`,
      description: `${requester.name} is on leave ${when}; you cover.`,
      personId: buddy.id,
      transparent: true,
      sendUpdates: 'none',
    })) && complete;
  if (context.team.sharedCalendarId) {
    complete =
      (await upsertEvent(run, 'team-calendar', key('team-calendar'), {
        calendarId: context.team.sharedCalendarId,
        actAs: context.sender,
        summary: `${requester.name} on leave (covered by ${buddy.name})`,
        description: `${requester.name} is on leave ${when}; ${buddy.name} covers.`,
        transparent: true,
        sendUpdates: 'none',
      })) && complete;
  }
  return complete;
}

/**
 * Mails the buddy the requester's Jira issues due while away; false when the issues could not be
 * listed (the mail waits for the next try). Without a Jira account, the mail says so.
 */
async function handOver(run: LeaveRun, buddy: CoveragePerson): Promise<boolean> {
  const { state } = run;
  let issues: DueIssue[] | null = null;
  let truncated = false;
  const accountId = contextOf(state).requester.jiraAccountId;
  if (accountId) {
    const found = await tryTo(run, 'list the Jira issues due during the leave', () =>
      run.effects.jira.searchIssues({
        jql: dueIssuesJql(accountId, windowOf(state)),
        maxResults: HANDOVER_ISSUE_LIMIT,
      }),
    );
    if (!found) return false;
    issues = found.issues.map((i) => ({
      key: i.key,
      summary: i.summary,
      duedate: i.duedate,
      status: i.status,
    }));
    truncated = found.truncated;
  }
  await notify(
    run,
    roundKey(run.workflowId, state, `handover:${buddy.id}`),
    'handover',
    [buddy],
    handoverNotice(partiesOf(state), buddy.name, issues, truncated),
  );
  return true;
}

/** The bookings of a confirmed leave; each is idempotent and done once per confirmation. */
export async function book(run: LeaveRun): Promise<void> {
  const { state } = run;
  const context = contextOf(state);
  const buddy = personIn(context, state.buddy!.id)!;
  const fingerprint = `${state.round}|${buddy.id}|${describeWindow(windowOf(state))}`;
  if (state.booked === fingerprint) return;
  let complete = await bookCalendars(run, buddy);
  await syncTracker(run, 'Approved');
  await notify(
    run,
    roundKey(run.workflowId, state, `confirmed:${buddy.id}`),
    'confirmed',
    [context.requester],
    confirmedNotice(partiesOf(state), buddy.name, context.manager!.name),
    [context.manager!],
  );
  complete = (await handOver(run, buddy)) && complete;
  if (complete) state.booked = fingerprint;
}
