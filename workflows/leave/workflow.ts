/**
 * One workflow per leave request (`leave:<personId>:<startDate>`), from the request to the end
 * of the leave.
 *
 * Gate 1, the hard availability block: the requester owns no Tier 2/3 launch, readiness check
 * or retro in the window; the team keeps its minimum of the role on duty (judged and reserved at
 * the team coordinator, one request at a time); no blackout is touched. Nobody can wave it
 * through: a refusal names its reasons and the nearby dates that would pass.
 *
 * Buddy-role coverage: someone of the same role, on duty every working day of the window, not
 * the manager; the configured buddy first, then the team, then whoever covered least recently.
 *
 * Gate 2, two-party confirmation: the buddy and the manager each accept an invite (or confirm
 * by command). Reminders, escalation and expiry count working days of the requester's calendar.
 * Confirmation checks gate 1 again, then books the calendars and the leave tracker.
 *
 * Moving the dates runs both gates again; cancelling removes everything prodops created. Every
 * side effect carries an idempotency key derived from the workflow id, and every notice is sent
 * once.
 */
import { activitiesFor } from '../activity-options';
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createCalendarActivities } from '../../activities/calendar';
import type { createGmailActivities } from '../../activities/gmail';
import type { createJiraActivities } from '../../activities/jira';
import type { createNotionActivities } from '../../activities/notion';
import type { createLeaveActivities } from '../../activities/leave';
import { localDateOf, type CalendarDate } from '../../domain/business-calendar';
import {
  afterWorkingDays,
  blackoutConflicts,
  calendarOf,
  contextCovers,
  coverageReason,
  coverageRequestFor,
  describeWindow,
  dueIssuesJql,
  emptyWindowReason,
  evaluateGateOne,
  LeaveInputError,
  normaliseWindow,
  offDutyReason,
  rankCandidates,
  releaseConflicts,
  sameWindow,
  suggestAlternatives,
  windowInstants,
  windowLocalTimes,
  type CoveragePerson,
  type CoverageRecord,
  type GateReason,
  type LeaveContext,
  type LeaveWindow,
  type ReleaseCommitment,
  type TeamReservation,
} from '../../domain/coverage';
import { noticeHtml, type Notice } from '../../domain/release-content';
import { LeaveEnd, LeaveStart, LeaveStatus as LeaveStatusKey, Team } from '../../domain/search-attributes';
import {
  blockedNotice,
  cancelledNotice,
  confirmedNotice,
  declinedNotice,
  escalationNotice,
  expiredNotice,
  handoverNotice,
  inviteTexts,
  reminderNotice,
  type DueIssue,
  type LeaveParties,
} from './notices';
import {
  cancelLeave,
  confirmLeave,
  inviteAnswered,
  leaveStatus,
  LeaveRefusals,
  moveLeave,
  outOfOfficeChanged,
  type BuddyCandidate,
  type CancelLeaveCommand,
  type ConfirmLeaveCommand,
  type InviteAnswered,
  type LeaveConfirmation,
  type LeaveEventKind,
  type LeaveEventRecord,
  type LeaveGateOne,
  type LeaveMemo,
  type LeaveNotice,
  type LeavePhase,
  type LeaveRefusal,
  type LeaveRequestInput,
  type LeaveStatusView,
  type MoveLeaveCommand,
  type OutOfOfficeChanged,
} from './messages';
import { PRODOPS_WORKFLOW_ID_PROPERTY as WORKFLOW_ID_PROPERTY } from '../../contracts/ids';

/** Continue-as-new well before Temporal's limits; a round of gates costs a few dozen events. */
export const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 2_000;
const LOG_LIMIT = 50;
const REFUSAL_LIMIT = 50;
const NOTICE_LIMIT = 100;
/** Issues listed in the buddy's hand-over mail. */
const HANDOVER_ISSUE_LIMIT = 50;

type Calendar = ReturnType<typeof createCalendarActivities>;
type Gmail = ReturnType<typeof createGmailActivities>;
type Jira = ReturnType<typeof createJiraActivities>;
type Notion = ReturnType<typeof createNotionActivities>;
type Leave = ReturnType<typeof createLeaveActivities>;

type TrackerStatus = 'Requested' | 'Approved' | 'Declined' | 'Cancelled' | 'Expired';

/** Everything the workflow carries across continue-as-new. */
export interface LeaveWorkflowState {
  phase: LeavePhase;
  window: LeaveWindow | null;
  round: number;
  context: LeaveContext | null;
  gate1: LeaveGateOne | null;
  /** The buddy asked in this round, and when. */
  buddy: { id: string; invitedAt: number } | null;
  candidates: BuddyCandidate[];
  managerInvitedAt: number | null;
  /** When gate 2 began in this round: escalation and expiry count from here. */
  gateTwoSince: number | null;
  confirmations: { buddy: LeaveConfirmation | null; manager: LeaveConfirmation | null };
  refusals: LeaveRefusal[];
  events: LeaveEventRecord[];
  trackerPageId: string | null;
  trackerFingerprint: string | null;
  notionUsers: Record<string, string | null>;
  /** What has been booked for the current confirmation (fingerprint), so it is booked once. */
  booked: string | null;
  sent: string[];
  notices: LeaveNotice[];
  reason: string | null;
  cancel: { by: string; reason: string } | null;
  pendingWindow: LeaveWindow | null;
  outOfOfficeEvent: { calendarId: string; eventId: string } | null;
  /** Newest `occurredAt` applied: out-of-office changes, and answers per invite. */
  lastChangeAt: number;
  lastAnswerAt: Record<string, number>;
  history: CoverageRecord[];
  log: { at: string; message: string }[];
}

export async function leaveWorkflow(
  input: LeaveRequestInput,
  carried?: LeaveWorkflowState,
): Promise<LeaveStatusView> {
  const calendar = activitiesFor<Calendar>('google');
  const gmail = activitiesFor<Gmail>('google');
  const jira = activitiesFor<Jira>('jira');
  const notion = activitiesFor<Notion>('notion');
  const leave = activitiesFor<Leave>(null);

  const workflowId = workflowInfo().workflowId;
  const baseQueue = workflowInfo().taskQueue.replace(/-(jira|notion|google)$/, '');
  const state: LeaveWorkflowState = carried ?? initialState(input);
  let wake = false;
  /** Set when the request has nothing left to wait for. */
  let ended = false;
  // Read before any handler runs: the dispatcher's first signal repeats the input's dates.
  let invalidInput: string | null = null;
  if (!carried) {
    try {
      state.window = normaliseWindow(input);
    } catch (error) {
      if (!(error instanceof LeaveInputError)) throw error;
      invalidInput = error.message;
    }
  }

  const nowIso = () => new Date(Date.now()).toISOString();
  const note = (message: string) => {
    state.log.push({ at: nowIso(), message });
    if (state.log.length > LOG_LIMIT) state.log.splice(0, state.log.length - LOG_LIMIT);
    log.info(message, { workflowId });
  };
  const ctx = (): LeaveContext => {
    if (!state.context) throw new Error('leave context is not loaded');
    return state.context;
  };
  const win = (): LeaveWindow => {
    if (!state.window) throw new Error('leave window is not set');
    return state.window;
  };
  const requester = () => ctx().requester;
  const cal = () => calendarOf(ctx(), requester());
  const tz = () => cal().timezone;
  const today = (): CalendarDate => localDateOf(Date.now(), tz());
  const person = (id: string): CoveragePerson | undefined =>
    ctx().peers.find((p) => p.id === id) ??
    [ctx().manager, ctx().managersManager].find((p): p is CoveragePerson => p?.id === id);
  const parties = (): LeaveParties => ({ requester: requester().name, window: win() });
  const key = (suffix: string) => `${workflowId}:${suffix}`;
  const roundKey = (suffix: string) => key(`r${state.round}:${suffix}`);
  const terminal = () =>
    state.phase === 'declined' || state.phase === 'expired' || state.phase === 'cancelled';

  // ---- Side effects ----------------------------------------------------------------------

  /** Runs one integration call; a failure that outlived its retries is logged, not fatal. */
  async function attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      note(`could not ${what}: ${causeOf(error)}`);
      return undefined;
    }
  }

  async function notify(
    noticeKey: string,
    kind: string,
    to: CoveragePerson[],
    notice: Notice,
    cc: CoveragePerson[] = [],
  ) {
    if (state.sent.includes(noticeKey)) return;
    const recipients = [...new Set(to.map((p) => p.email))];
    const copies = [...new Set(cc.map((p) => p.email))].filter((e) => !recipients.includes(e));
    if (recipients.length === 0) return;
    const sent = await attempt(`send "${notice.subject}"`, () =>
      gmail.sendMail({
        idempotencyKey: noticeKey,
        from: ctx().sender,
        to: recipients,
        ...(copies.length > 0 ? { cc: copies } : {}),
        subject: notice.subject,
        text: notice.text,
        html: noticeHtml(notice.text),
      }),
    );
    if (!sent) return;
    state.sent.push(noticeKey);
    state.notices.push({ key: noticeKey, kind, to: [...recipients, ...copies], at: nowIso() });
    if (state.notices.length > NOTICE_LIMIT) state.notices.splice(0, state.notices.length - NOTICE_LIMIT);
  }

  async function upsertEvent(
    kind: LeaveEventKind,
    idempotencyKey: string,
    details: {
      calendarId: string;
      actAs: string;
      summary: string;
      description: string;
      attendee?: CoveragePerson;
      personId?: string;
      outOfOffice?: boolean;
      transparent: boolean;
      sendUpdates: 'all' | 'none';
    },
  ): Promise<boolean> {
    const times = windowLocalTimes(win());
    const made = await attempt(`create the ${kind} event`, () =>
      calendar.upsertEvent({
        idempotencyKey,
        calendarId: details.calendarId,
        actAs: details.actAs,
        summary: details.summary,
        description: details.description,
        start: times.start,
        end: times.end,
        timeZone: tz(),
        ...(details.attendee ? { attendees: [{ email: details.attendee.email }] } : {}),
        transparency: details.transparent ? 'transparent' : 'opaque',
        ...(details.outOfOffice ? { eventType: 'outOfOffice' as const } : {}),
        privateProperties: { [WORKFLOW_ID_PROPERTY]: workflowId },
        sendUpdates: details.sendUpdates,
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

  const isInvite = (e: LeaveEventRecord) => e.kind === 'coverage-invite' || e.kind === 'approval-invite';

  async function removeEvents(which: (e: LeaveEventRecord) => boolean): Promise<void> {
    for (const event of state.events) {
      if (event.status !== 'live' || !which(event)) continue;
      // Events on a person's own calendar are theirs; invites and the team calendar are the sender's.
      const ownCalendar = event.kind === 'out-of-office' || event.kind === 'covering';
      const done = await attempt(`remove the ${event.kind} event`, () =>
        calendar.deleteEvent({
          calendarId: event.calendarId,
          idempotencyKey: event.idempotencyKey,
          actAs: ownCalendar ? event.calendarId : ctx().sender,
          sendUpdates: isInvite(event) ? 'all' : 'none',
        }),
      );
      if (done) event.status = 'removed';
    }
  }

  async function notionUserId(p: CoveragePerson): Promise<string | null> {
    if (p.id in state.notionUsers) return state.notionUsers[p.id] ?? null;
    const listed = await attempt('list the Notion users', () => notion.listUsers());
    if (!listed) return null;
    const byEmail = new Map(listed.users.filter((u) => u.email).map((u) => [u.email!.toLowerCase(), u.id]));
    for (const q of [requester(), ...ctx().peers])
      state.notionUsers[q.id] = byEmail.get(q.email.toLowerCase()) ?? null;
    return state.notionUsers[p.id] ?? null;
  }

  async function syncTracker(status: TrackerStatus): Promise<void> {
    const dataSourceId = ctx().leaveTracker;
    if (!dataSourceId || !state.window) return;
    // A row appears once someone is asked to confirm; refusals by gate 1 never reach the tracker.
    if (!state.trackerPageId && status !== 'Requested' && status !== 'Approved') return;
    const buddy = state.buddy ? person(state.buddy.id) : undefined;
    const personId = await notionUserId(requester());
    const buddyId = buddy ? await notionUserId(buddy) : null;
    const w = win();
    const properties = {
      Name: { title: `${requester().name} — ${describeWindow(w)}` },
      ...(personId ? { Person: { people: [personId] } } : {}),
      Team: { select: ctx().team.name },
      Dates: { date: { start: w.from, end: w.to === w.from ? null : w.to } },
      Buddy: { people: buddyId ? [buddyId] : [] },
      Status: { status },
    };
    const fingerprint = JSON.stringify(properties);
    if (fingerprint === state.trackerFingerprint) return;
    const pageId = state.trackerPageId;
    const done = pageId
      ? await attempt('update the leave tracker', () => notion.updatePage({ pageId, properties }))
      : await attempt('add the leave to the tracker', () =>
          notion.upsertPage({ idempotencyKey: key('tracker'), dataSourceId, properties }),
        );
    if (!done) return;
    state.trackerPageId = done.id;
    state.trackerFingerprint = fingerprint;
  }

  async function releaseHold(): Promise<void> {
    await attempt('release the reservation at the team coordinator', () =>
      leave.releaseLeaveReservation({ teamId: ctx().team.id, workflowId }),
    );
  }

  // ---- Applying events and commands ------------------------------------------------------

  function recordRefusal(by: string, via: LeaveRefusal['via'], reason: string): void {
    state.refusals.push({ by, at: nowIso(), via, reason });
    if (state.refusals.length > REFUSAL_LIMIT)
      state.refusals.splice(0, state.refusals.length - REFUSAL_LIMIT);
    note(`refused ${by}: ${reason}`);
  }

  function decide(
    by: string,
    as: 'buddy' | 'manager',
    decision: 'approve' | 'decline',
    via: LeaveConfirmation['via'],
    noteText?: string,
  ): void {
    const current = state.confirmations[as];
    if (current?.decision === decision) return;
    state.confirmations[as] = {
      by,
      as,
      decision,
      at: nowIso(),
      via,
      ...(noteText ? { note: noteText } : {}),
    };
    if (as === 'buddy') {
      const candidate = [...state.candidates].reverse().find((c) => c.personId === by);
      if (candidate) candidate.outcome = decision === 'approve' ? 'accepted' : 'declined';
    }
    note(
      `${as} ${by} ${decision === 'approve' ? 'confirmed' : 'declined'}${noteText ? `: ${noteText}` : ''}`,
    );
    wake = true;
  }

  /** Who `personId` is for this request's confirmation, or why they cannot confirm it. */
  function confirmerRole(personId: string): { as: 'buddy' | 'manager' } | { refused: string } {
    if (personId === input.personId) return { refused: `${personId} cannot confirm their own leave` };
    if (state.buddy?.id === personId) return { as: 'buddy' };
    if (ctx().manager?.id === personId) return { as: 'manager' };
    const buddy = state.buddy ? (person(state.buddy.id)?.name ?? state.buddy.id) : 'nobody yet';
    const manager = ctx().manager?.name ?? 'nobody';
    return {
      refused: `${personId} is neither the covering buddy (${buddy}) nor the manager (${manager}) of this request`,
    };
  }

  function onInviteAnswered(answer: InviteAnswered): void {
    const invite = state.events.find(
      (e) => isInvite(e) && e.eventId === answer.eventId && e.status === 'live',
    );
    if (!invite || !invite.personId) {
      note(`ignored an answer to event ${answer.eventId}: not an open invite of this request`);
      return;
    }
    const newest = state.lastAnswerAt[answer.eventId] ?? 0;
    if (answer.occurredAt < newest) return;
    state.lastAnswerAt[answer.eventId] = answer.occurredAt;
    const invited = person(invite.personId);
    if (!invited) return;
    const from = answer.attendeeEmail.toLowerCase();
    if (from !== invited.email.toLowerCase()) {
      const who = [requester(), ...ctx().peers].find((p) => p.email.toLowerCase() === from);
      const reason =
        who?.id === input.personId
          ? `${who.id} cannot confirm their own leave`
          : `${answer.attendeeEmail} answered the ${invite.kind} meant for ${invited.name}`;
      recordRefusal(who?.id ?? answer.attendeeEmail, 'calendar', reason);
      wake = true;
      return;
    }
    if (answer.response !== 'accepted' && answer.response !== 'declined') {
      note(
        `${invited.name} answered ${answer.response} to the ${invite.kind}: still waiting for a yes or no`,
      );
      return;
    }
    const as = invite.kind === 'coverage-invite' ? 'buddy' : 'manager';
    if (as === 'buddy' && state.buddy?.id !== invited.id) return;
    decide(invited.id, as, answer.response === 'accepted' ? 'approve' : 'decline', 'calendar');
  }

  function requestWindow(next: LeaveWindow): void {
    const current = state.pendingWindow ?? state.window;
    if (current && sameWindow(current, next)) return;
    state.pendingWindow = next;
    wake = true;
  }

  function onOutOfOfficeChanged(event: OutOfOfficeChanged): void {
    if (event.occurredAt < state.lastChangeAt) {
      note('ignored an out-of-office change older than one already applied');
      return;
    }
    state.lastChangeAt = event.occurredAt;
    state.outOfOfficeEvent = { calendarId: event.calendarId, eventId: event.eventId };
    if (terminal()) return;
    if (event.status === 'cancelled') {
      state.cancel ??= { by: input.personId, reason: 'the out-of-office event was deleted' };
      wake = true;
      return;
    }
    try {
      requestWindow(normaliseWindow(event));
    } catch (error) {
      if (!(error instanceof LeaveInputError)) throw error;
      note(`ignored an out-of-office change: ${error.message}`);
    }
  }

  const whenLoaded = () => condition(() => state.context !== null || terminal());

  setHandler(leaveStatus, status);
  setHandler(outOfOfficeChanged, onOutOfOfficeChanged);
  setHandler(inviteAnswered, async (answer) => {
    await whenLoaded();
    if (state.context) onInviteAnswered(answer);
  });

  setHandler(
    confirmLeave,
    async (command: ConfirmLeaveCommand) => {
      await whenLoaded();
      const role = confirmerRole(command.by);
      if ('refused' in role) {
        recordRefusal(command.by, 'command', role.refused);
        throw ApplicationFailure.nonRetryable(role.refused, LeaveRefusals.notAllowed);
      }
      if (command.decision === 'approve' && state.phase !== 'awaiting-confirmation') return status();
      decide(command.by, role.as, command.decision, 'command', command.note);
      return status();
    },
    {
      validator: (command: ConfirmLeaveCommand) => {
        if (typeof command?.by !== 'string' || command.by.trim() === '')
          throw ApplicationFailure.nonRetryable('by must name a person (their id)', LeaveRefusals.invalid);
        if (command.decision !== 'approve' && command.decision !== 'decline')
          throw ApplicationFailure.nonRetryable(
            `decision must be approve or decline, got ${JSON.stringify(command.decision)}`,
            LeaveRefusals.invalid,
          );
        if (state.phase !== 'awaiting-confirmation' && state.phase !== 'confirmed')
          throw ApplicationFailure.nonRetryable(
            `${workflowId} is ${state.phase}${state.reason ? ` (${state.reason})` : ''}: there is nothing to confirm`,
            LeaveRefusals.notAwaiting,
          );
      },
    },
  );

  setHandler(
    moveLeave,
    (command: MoveLeaveCommand) => {
      state.lastChangeAt = Math.max(Date.now(), state.lastChangeAt);
      requestWindow(normaliseWindow(command));
      return status();
    },
    {
      validator: (command: MoveLeaveCommand) => {
        if (terminal())
          throw ApplicationFailure.nonRetryable(
            `${workflowId} is ${state.phase}: request leave again`,
            LeaveRefusals.finished,
          );
        try {
          normaliseWindow(command);
        } catch (error) {
          if (error instanceof LeaveInputError)
            throw ApplicationFailure.nonRetryable(error.message, LeaveRefusals.invalid);
          throw error;
        }
      },
    },
  );

  setHandler(
    cancelLeave,
    async (command: CancelLeaveCommand) => {
      await whenLoaded();
      const allowed = [input.personId, ctx().manager?.id, ctx().managersManager?.id].filter(
        (id) => id !== undefined,
      );
      if (!allowed.includes(command.by)) {
        const reason = `${command.by} cannot cancel ${requester().name}'s leave: only they or their management chain can`;
        recordRefusal(command.by, 'command', reason);
        throw ApplicationFailure.nonRetryable(reason, LeaveRefusals.notAllowed);
      }
      state.cancel ??= {
        by: command.by,
        reason: command.reason
          ? `cancelled by ${command.by}: ${command.reason}`
          : `cancelled by ${command.by}`,
      };
      wake = true;
      await condition(() => state.phase === 'cancelled' || ended);
      return status();
    },
    {
      validator: (command: CancelLeaveCommand) => {
        if (typeof command?.by !== 'string' || command.by.trim() === '')
          throw ApplicationFailure.nonRetryable('by must name a person (their id)', LeaveRefusals.invalid);
        if (terminal())
          throw ApplicationFailure.nonRetryable(
            `${workflowId} is already ${state.phase}`,
            LeaveRefusals.finished,
          );
      },
    },
  );

  // ---- The gates -------------------------------------------------------------------------

  async function ensureContext(): Promise<boolean> {
    const w = state.window;
    if (state.context && (!w || contextCovers(state.context, w))) return true;
    const first = Number((w?.from ?? localDateOf(Date.now(), 'UTC')).slice(0, 4));
    const last = Number((w?.to ?? `${first}`).slice(0, 4));
    try {
      state.context = await leave.loadLeaveContext({
        personId: input.personId,
        years: { from: first - 1, to: last + 1 },
      });
      return true;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      state.phase = 'blocked';
      state.reason = `the request cannot be read: ${causeOf(error)}`;
      note(`blocked: ${state.reason}`);
      return false;
    }
  }

  /**
   * Stops the round: nothing stays held or booked, the requester is told why. Gate 1 refusals
   * never reached anyone else, so only what gate 2 made is removed.
   */
  async function block(kind: string, reasons: GateReason[], alternatives: LeaveWindow[] = []): Promise<void> {
    state.phase = 'blocked';
    state.reason = reasons.map((r) => r.message).join('; ');
    note(`blocked: ${state.reason}`);
    await removeEvents(() => true);
    await releaseHold();
    if (state.trackerPageId) await syncTracker('Declined');
    await notify(
      roundKey(`blocked:${kind}`),
      'blocked',
      [requester()],
      blockedNotice(parties(), reasons, alternatives),
    );
  }

  /**
   * Runs a step whose look-ups must succeed. One that failed past its retries blocks the round:
   * gates that cannot be checked do not pass.
   */
  async function guarded(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      await block('unavailable', [
        { kind: 'unavailable', message: `the checks could not run: ${causeOf(error)}`, dates: [] },
      ]);
    }
  }

  async function runGateOne(): Promise<void> {
    const c = ctx();
    const w = win();
    const request = coverageRequestFor(c, w);
    const empty = emptyWindowReason(request.days);
    let commitments: ReleaseCommitment[] = [];
    let others: TeamReservation[] = [];
    let reasons: GateReason[];
    if (empty) reasons = [empty];
    else {
      commitments = (await leave.findReleaseCommitments({ personId: input.personId })).commitments;
      const releases = releaseConflicts(w, commitments);
      const blackouts = blackoutConflicts(w, c.team.id, c.blackouts);
      const result = await leave.reserveLeave({
        teamId: c.team.id,
        taskQueue: baseQueue,
        request: {
          workflowId,
          personId: input.personId,
          role: c.requester.role,
          from: w.from,
          to: w.to,
          fullDays: request.fullDays,
          days: request.days.map((d) => d.date),
          onDuty: request.onDuty,
          minimum: request.minimum,
          // Held only when nothing else refuses: a refused request must not take a place.
          hold: releases.length === 0 && blackouts.length === 0,
        },
      });
      state.history = result.history;
      others = result.others;
      const coverage = coverageReason(c.requester.role, c.team.name, result.shortfalls);
      reasons = [...releases, ...(coverage ? [coverage] : []), ...blackouts];
    }
    const passed = reasons.length === 0;
    const alternatives = passed
      ? []
      : suggestAlternatives(
          w,
          cal(),
          today(),
          (candidate) =>
            evaluateGateOne({ context: c, window: candidate, commitments, reservations: others }).passed,
        );
    state.gate1 = { passed, reasons, checkedAt: nowIso(), alternatives };
    if (passed) note(`gate 1 passed for ${describeWindow(w)}`);
    else await block('gate-1', reasons, alternatives);
  }

  /** Finds the next buddy who can cover and invites them; invites the manager once per round. */
  async function matchBuddy(): Promise<void> {
    const c = ctx();
    const w = win();
    const manager = c.manager;
    if (!manager) {
      await block('approval', [
        {
          kind: 'approval',
          message: `${requester().name} has no manager in the configuration to approve leave`,
          dates: [],
        },
      ]);
      return;
    }
    const excluded = new Set(state.candidates.filter((x) => x.outcome !== 'invited').map((x) => x.personId));
    const ranked = rankCandidates(c.requester, c.peers, state.history).filter(
      (r) => !excluded.has(r.person.id),
    );
    const dates = coverageRequestFor(c, w).days.map((d) => d.date);
    let chosen: CoveragePerson | null = null;
    if (ranked.length > 0) {
      const span = windowInstants(w, tz());
      // A day either side: a colleague's working hours may fall outside the window in their zone.
      const busy = await calendar.freeBusy({
        timeMin: new Date(span.start - 86_400_000).toISOString(),
        timeMax: new Date(span.end + 86_400_000).toISOString(),
        calendars: ranked.map((r) => r.person.email),
        actAs: c.sender,
      });
      const onLeave = await leave.leaveOfPeople({
        personIds: ranked.map((r) => r.person.id),
        from: w.from,
        to: w.to,
        excludeWorkflowId: workflowId,
      });
      for (const { person: candidate } of ranked) {
        const freeBusy = busy.calendars[candidate.email];
        const reason =
          !freeBusy || freeBusy.errors.length > 0
            ? `their free/busy could not be read (${freeBusy?.errors.join(', ') || 'missing from the answer'})`
            : offDutyReason(
                calendarOf(c, candidate),
                dates,
                freeBusy.busy,
                onLeave.byPerson[candidate.id] ?? [],
              );
        if (reason === null) {
          chosen = candidate;
          break;
        }
        state.candidates.push({
          personId: candidate.id,
          name: candidate.name,
          outcome: 'unavailable',
          reason,
          at: nowIso(),
        });
      }
    }
    if (!chosen) {
      const tried = state.candidates.map((x) => `${x.name} ${x.outcome}${x.reason ? ` (${x.reason})` : ''}`);
      await block('buddy', [
        {
          kind: 'buddy',
          message: `no other ${c.requester.role} can cover ${describeWindow(w)}${tried.length > 0 ? `: ${tried.join('; ')}` : ': nobody else has the role'}`,
          dates,
        },
      ]);
      return;
    }
    const now = Date.now();
    state.buddy = { id: chosen.id, invitedAt: now };
    state.confirmations.buddy = null;
    state.candidates.push({ personId: chosen.id, name: chosen.name, outcome: 'invited', at: nowIso() });
    state.gateTwoSince ??= now;
    state.phase = 'awaiting-confirmation';
    state.reason = null;
    note(`asked ${chosen.name} to cover`);
    // Invites are organised by the sender's calendar: an attendee can only answer someone else's event.
    const coverage = inviteTexts('coverage', parties(), null);
    await upsertEvent('coverage-invite', roundKey(`coverage-invite:${chosen.id}`), {
      calendarId: c.sender,
      actAs: c.sender,
      summary: coverage.summary,
      description: coverage.description,
      attendee: chosen,
      personId: chosen.id,
      transparent: true,
      sendUpdates: 'all',
    });
    if (state.managerInvitedAt === null) {
      const approval = inviteTexts('approval', parties(), chosen.name);
      const made = await upsertEvent('approval-invite', roundKey(`approval-invite:${manager.id}`), {
        calendarId: c.sender,
        actAs: c.sender,
        summary: approval.summary,
        description: approval.description,
        attendee: manager,
        personId: manager.id,
        transparent: true,
        sendUpdates: 'all',
      });
      if (made) state.managerInvitedAt = now;
    }
    await syncTracker('Requested');
  }

  /** Both confirmed: gate 1 once more (releases, blackouts, the team's minimum), then confirmed. */
  async function confirmBoth(): Promise<void> {
    const c = ctx();
    const w = win();
    const buddy = person(state.buddy!.id)!;
    const request = coverageRequestFor(c, w);
    const { commitments } = await leave.findReleaseCommitments({ personId: input.personId });
    const releases = releaseConflicts(w, commitments);
    const blackouts = blackoutConflicts(w, c.team.id, c.blackouts);
    let coverage: GateReason | null = null;
    if (releases.length === 0 && blackouts.length === 0) {
      const result = await leave.confirmLeaveReservation({
        teamId: c.team.id,
        taskQueue: baseQueue,
        request: {
          workflowId,
          personId: input.personId,
          role: c.requester.role,
          from: w.from,
          to: w.to,
          fullDays: request.fullDays,
          days: request.days.map((d) => d.date),
          onDuty: request.onDuty,
          minimum: request.minimum,
          buddyId: buddy.id,
        },
      });
      state.history = result.history;
      coverage = coverageReason(c.requester.role, c.team.name, result.shortfalls);
    }
    const reasons = [...releases, ...(coverage ? [coverage] : []), ...blackouts];
    state.gate1 = { passed: reasons.length === 0, reasons, checkedAt: nowIso(), alternatives: [] };
    if (reasons.length > 0) {
      await block('at-confirmation', [
        {
          kind: 'unavailable',
          message: 'both confirmed, but the check at confirmation no longer passes',
          dates: [],
        },
        ...reasons,
      ]);
      return;
    }
    state.phase = 'confirmed';
    state.reason = null;
    state.gateTwoSince = null;
    note(`confirmed: ${buddy.name} covers, ${c.manager!.name} approved`);
  }

  /** The bookings of a confirmed leave; each is idempotent and done once per confirmation. */
  async function book(): Promise<void> {
    const c = ctx();
    const w = win();
    const buddy = person(state.buddy!.id)!;
    const fingerprint = `${state.round}|${buddy.id}|${describeWindow(w)}`;
    if (state.booked === fingerprint) return;
    let complete = true;
    // Someone who blocked their own calendar already has an out-of-office event: not a second one.
    const fromOwnEvent = input.source === 'calendar' || state.outOfOfficeEvent !== null;
    if (!fromOwnEvent) {
      complete =
        (await upsertEvent('out-of-office', key('out-of-office'), {
          calendarId: requester().email,
          actAs: requester().email,
          summary: 'Out of office',
          description: `On leave ${describeWindow(w)}; ${buddy.name} covers.`,
          outOfOffice: true,
          transparent: false,
          sendUpdates: 'none',
        })) && complete;
    }
    complete =
      (await upsertEvent('covering', key(`covering:${buddy.id}`), {
        calendarId: buddy.email,
        actAs: buddy.email,
        summary: `Covering for ${requester().name}`,
        description: `${requester().name} is on leave ${describeWindow(w)}; you cover.`,
        personId: buddy.id,
        transparent: true,
        sendUpdates: 'none',
      })) && complete;
    if (c.team.sharedCalendarId) {
      complete =
        (await upsertEvent('team-calendar', key('team-calendar'), {
          calendarId: c.team.sharedCalendarId,
          actAs: c.sender,
          summary: `${requester().name} on leave (covered by ${buddy.name})`,
          description: `${requester().name} is on leave ${describeWindow(w)}; ${buddy.name} covers.`,
          transparent: true,
          sendUpdates: 'none',
        })) && complete;
    }
    await syncTracker('Approved');
    await notify(
      roundKey(`confirmed:${buddy.id}`),
      'confirmed',
      [requester()],
      confirmedNotice(parties(), buddy.name, c.manager!.name),
      [c.manager!],
    );
    let issues: DueIssue[] | null = null;
    let truncated = false;
    const accountId = requester().jiraAccountId;
    if (accountId) {
      const found = await attempt('list the Jira issues due during the leave', () =>
        jira.searchIssues({ jql: dueIssuesJql(accountId, w), maxResults: HANDOVER_ISSUE_LIMIT }),
      );
      if (found) {
        issues = found.issues.map((i) => ({
          key: i.key,
          summary: i.summary,
          duedate: i.duedate,
          status: i.status,
        }));
        truncated = found.truncated;
      } else complete = false;
    }
    if (issues !== null || !accountId)
      await notify(
        roundKey(`handover:${buddy.id}`),
        'handover',
        [buddy],
        handoverNotice(parties(), buddy.name, issues, truncated),
      );
    if (complete) state.booked = fingerprint;
  }

  async function onBuddyDeclined(): Promise<void> {
    const declined = state.buddy!;
    const wasConfirmed = state.phase === 'confirmed';
    note(`looking for another buddy: ${person(declined.id)?.name ?? declined.id} declined`);
    await removeEvents(
      (e) => (e.kind === 'coverage-invite' || e.kind === 'covering') && e.personId === declined.id,
    );
    state.buddy = null;
    state.confirmations.buddy = null;
    state.booked = null;
    state.phase = 'awaiting-confirmation';
    // A buddy who withdraws from a confirmed leave starts a fresh wait, not an expired one.
    if (wasConfirmed) state.gateTwoSince = Date.now();
    await matchBuddy();
  }

  async function finish(phase: 'declined' | 'expired' | 'cancelled', reason: string): Promise<void> {
    const c = ctx();
    const involved = [
      state.buddy ? person(state.buddy.id) : undefined,
      state.managerInvitedAt !== null ? c.manager : null,
    ].filter((p): p is CoveragePerson => !!p);
    await removeEvents(() => true);
    await releaseHold();
    if (state.window) {
      if (phase === 'declined')
        await notify(
          roundKey('declined'),
          'declined',
          [requester()],
          declinedNotice(parties(), c.manager?.name ?? 'the manager', state.confirmations.manager?.note),
        );
      else if (phase === 'expired')
        await notify(
          roundKey('expired'),
          'expired',
          [requester(), ...involved],
          expiredNotice(parties(), waitingFor()),
        );
      else
        await notify(
          key('cancelled'),
          'cancelled',
          [requester(), ...involved],
          cancelledNotice(parties(), reason),
        );
      await syncTracker(phase === 'declined' ? 'Declined' : phase === 'expired' ? 'Expired' : 'Cancelled');
    }
    state.phase = phase;
    state.reason = reason;
    note(`${phase}: ${reason}`);
  }

  async function applyMove(): Promise<void> {
    const next = state.pendingWindow!;
    state.pendingWindow = null;
    note(
      `dates changed${state.window ? ` from ${describeWindow(state.window)}` : ''} to ${describeWindow(next)}: both gates run again`,
    );
    if (state.window && state.context) {
      await removeEvents(() => true);
      // What a past round made, sent or heard needs no remembering.
      state.events = state.events.filter((e) => e.status === 'live');
      const liveIds = new Set(state.events.map((e) => e.eventId));
      for (const id of Object.keys(state.lastAnswerAt)) if (!liveIds.has(id)) delete state.lastAnswerAt[id];
      state.sent = state.sent.filter((k) => !/^:r\d+:/.test(k.slice(workflowId.length)));
    }
    state.window = next;
    state.round++;
    state.phase = 'checking';
    state.reason = null;
    state.gate1 = null;
    state.buddy = null;
    state.candidates = [];
    state.confirmations = { buddy: null, manager: null };
    state.managerInvitedAt = null;
    state.gateTwoSince = null;
    state.booked = null;
    if (state.trackerPageId && state.context) await syncTracker('Requested');
  }

  function waitingFor(): string[] {
    const out: string[] = [];
    if (state.confirmations.buddy?.decision !== 'approve' && state.buddy)
      out.push(`${person(state.buddy.id)?.name ?? state.buddy.id} (cover)`);
    if (state.confirmations.manager?.decision !== 'approve')
      out.push(`${ctx().manager?.name ?? 'the manager'} (approval)`);
    return out;
  }

  // ---- Deadlines -------------------------------------------------------------------------

  interface Deadline {
    at: number;
    run: () => Promise<void>;
  }

  function deadlines(): Deadline[] {
    const list: Deadline[] = [];
    if (!state.context || !state.window) return list;
    const c = ctx();
    const timing = c.timing;
    if (state.phase === 'awaiting-confirmation' && state.gateTwoSince !== null) {
      const buddy = state.buddy ? person(state.buddy.id) : undefined;
      if (buddy && state.buddy && state.confirmations.buddy?.decision !== 'approve') {
        const reminderKey = roundKey(`reminder:${buddy.id}`);
        if (!state.sent.includes(reminderKey))
          list.push({
            at: afterWorkingDays(cal(), state.buddy.invitedAt, timing.remindAfterWorkingDays),
            run: () =>
              notify(reminderKey, 'reminder', [buddy], reminderNotice(parties(), buddy.name, 'buddy')),
          });
      }
      const manager = c.manager;
      if (manager && state.managerInvitedAt !== null && state.confirmations.manager?.decision !== 'approve') {
        const reminderKey = roundKey(`reminder:${manager.id}`);
        if (!state.sent.includes(reminderKey))
          list.push({
            at: afterWorkingDays(cal(), state.managerInvitedAt, timing.remindAfterWorkingDays),
            run: () =>
              notify(reminderKey, 'reminder', [manager], reminderNotice(parties(), manager.name, 'manager')),
          });
      }
      const escalationKey = roundKey('escalation');
      if (!state.sent.includes(escalationKey) && manager) {
        const to = c.managersManager ?? manager;
        list.push({
          at: afterWorkingDays(cal(), state.gateTwoSince, timing.escalateAfterWorkingDays),
          run: async () => {
            if (!c.managersManager) note(`${manager.name} has no manager: the escalation goes to them`);
            await notify(
              escalationKey,
              'escalation',
              [to],
              escalationNotice(parties(), waitingFor(), timing.escalateAfterWorkingDays),
              [manager],
            );
            // Recorded even if the mail failed for good, so the deadline does not fire again and again.
            if (!state.sent.includes(escalationKey)) state.sent.push(escalationKey);
          },
        });
      }
      list.push({
        at: afterWorkingDays(cal(), state.gateTwoSince, timing.expireAfterWorkingDays),
        run: () =>
          finish(
            'expired',
            `not confirmed by ${waitingFor().join(' and ')} within ${timing.expireAfterWorkingDays} working days`,
          ),
      });
    }
    const span = windowInstants(state.window, tz());
    if (state.phase === 'blocked') list.push({ at: span.start, run: async () => void (ended = true) });
    if (state.phase === 'confirmed') list.push({ at: span.end, run: async () => void (ended = true) });
    return list;
  }

  // ---- Search attributes, memo and status --------------------------------------------------

  let indexed: string | null = null;
  function index(): void {
    if (!state.context || !state.window) return;
    const w = state.window;
    const buddy = state.buddy ? person(state.buddy.id) : undefined;
    const memo: LeaveMemo = {
      personId: input.personId,
      personName: requester().name,
      team: ctx().team.id,
      from: w.from,
      to: w.to,
      firstDay: w.firstDay,
      lastDay: w.lastDay,
      buddyId: buddy?.id ?? null,
      buddyName: buddy?.name ?? null,
    };
    const fingerprint = JSON.stringify([state.phase, memo]);
    if (fingerprint === indexed) return;
    indexed = fingerprint;
    upsertSearchAttributes([
      { key: LeaveStatusKey, value: state.phase },
      { key: Team, value: ctx().team.id },
      { key: LeaveStart, value: new Date(`${w.from}T00:00:00Z`) },
      { key: LeaveEnd, value: new Date(`${w.to}T00:00:00Z`) },
    ]);
    upsertMemo({ leave: memo });
  }

  function status(): LeaveStatusView {
    const buddy = state.buddy && state.context ? person(state.buddy.id) : undefined;
    const manager = state.context?.manager;
    return {
      workflowId,
      personId: input.personId,
      personName: state.context?.requester.name ?? null,
      team: state.context?.team.id ?? null,
      source: input.source,
      phase: state.phase,
      window: state.window ? { ...state.window } : null,
      round: state.round,
      gate1: state.gate1 ? (JSON.parse(JSON.stringify(state.gate1)) as LeaveGateOne) : null,
      buddy: buddy ? { id: buddy.id, name: buddy.name } : null,
      manager: manager ? { id: manager.id, name: manager.name } : null,
      candidates: state.candidates.map((x) => ({ ...x })),
      confirmations: { ...state.confirmations },
      refusals: state.refusals.map((r) => ({ ...r })),
      events: state.events.map((e) => ({ ...e })),
      trackerPageId: state.trackerPageId,
      notices: state.notices.map((n) => ({ ...n, to: [...n.to] })),
      reason: state.reason,
      log: [...state.log],
    };
  }

  // ---- Main loop -------------------------------------------------------------------------

  if (invalidInput !== null && !state.pendingWindow) {
    state.phase = 'blocked';
    state.reason = `the request is not valid: ${invalidInput}`;
    note(`blocked: ${state.reason}`);
    ended = true;
  }
  if (!ended && (await ensureContext())) {
    if (!carried) note(`requested ${describeWindow(win())} (${input.source})`);
  } else ended = true;

  while (!ended) {
    if (state.cancel && !terminal()) {
      await finish('cancelled', state.cancel.reason);
      index();
      break;
    }
    if (state.pendingWindow && !terminal()) {
      await applyMove();
      if (!(await ensureContext())) break;
      index();
      continue;
    }
    if (terminal()) break;
    index();
    if (state.phase === 'checking') {
      await guarded(state.gate1 === null ? runGateOne : matchBuddy);
      continue;
    }
    if (state.phase === 'awaiting-confirmation' || state.phase === 'confirmed') {
      if (state.confirmations.manager?.decision === 'decline') {
        await finish(
          'declined',
          `declined by ${ctx().manager?.name ?? 'the manager'}${state.confirmations.manager.note ? `: ${state.confirmations.manager.note}` : ''}`,
        );
        continue;
      }
      if (state.confirmations.buddy?.decision === 'decline') {
        await guarded(onBuddyDeclined);
        continue;
      }
      const both =
        state.confirmations.buddy?.decision === 'approve' &&
        state.confirmations.manager?.decision === 'approve';
      if (state.phase === 'awaiting-confirmation' && both) {
        await guarded(confirmBoth);
        continue;
      }
      if (state.phase === 'confirmed') await book();
    }
    if (state.cancel || state.pendingWindow) continue;

    const upcoming = deadlines().sort((a, b) => a.at - b.at);
    const next = upcoming[0];
    if (next && next.at <= Date.now()) {
      await next.run();
      continue;
    }
    if (
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength > HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW
    ) {
      await condition(allHandlersFinished);
      if (wake) continue;
      await continueAsNew<typeof leaveWorkflow>(input, state);
    }
    wake = false;
    if (next) await condition(() => wake, next.at - Date.now());
    else await condition(() => wake);
  }

  index();
  await condition(allHandlersFinished);
  return status();
}

function causeOf(error: ActivityFailure): string {
  return error.cause instanceof Error ? error.cause.message : error.message;
}

function initialState(input: LeaveRequestInput): LeaveWorkflowState {
  return {
    phase: 'checking',
    window: null,
    round: 1,
    context: null,
    gate1: null,
    buddy: null,
    candidates: [],
    managerInvitedAt: null,
    gateTwoSince: null,
    confirmations: { buddy: null, manager: null },
    refusals: [],
    events: [],
    trackerPageId: null,
    trackerFingerprint: null,
    notionUsers: {},
    booked: null,
    sent: [],
    notices: [],
    reason: null,
    cancel: null,
    pendingWindow: null,
    outOfOfficeEvent: input.outOfOfficeEvent ? { ...input.outOfOfficeEvent } : null,
    lastChangeAt: 0,
    lastAnswerAt: {},
    history: [],
    log: [],
  };
}
