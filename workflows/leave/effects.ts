/**
 * What a turn of a leave request may do beyond changing its state: the integration calls (in the
 * workflow, activity proxies), its log and its search attributes. Gates, bookings, deadlines and
 * the reconciling turn all receive one `LeaveRun`, so each can be read, and replaced in a test,
 * on its own.
 */
import type { createCalendarActivities } from '../../activities/calendar';
import type { createGmailActivities } from '../../activities/gmail';
import type { createJiraActivities } from '../../activities/jira';
import type { createNotionActivities } from '../../activities/notion';
import type { createLeaveActivities } from '../../activities/leave';
import type { createCoreActivities } from '../../activities/core';
import type { CoveragePerson } from '../../domain/coverage';
import { noticeHtml, type Notice } from '../../domain/release-content';
import { attempt, sendOnce } from '../entity-loop';
import type { LeaveNotice, LeaveRequestInput } from './messages';
import { contextOf, type LeaveWorkflowState, type Moment } from './state';

/** Notices kept in the request's record (the send-once keys are kept apart, in `sent`). */
export const NOTICE_LIMIT = 100;

type Calendar = ReturnType<typeof createCalendarActivities>;
type Gmail = ReturnType<typeof createGmailActivities>;
type Jira = ReturnType<typeof createJiraActivities>;
type Notion = ReturnType<typeof createNotionActivities>;
type Leave = ReturnType<typeof createLeaveActivities>;
type Core = ReturnType<typeof createCoreActivities>;

export interface LeaveEffects {
  calendar: Pick<Calendar, 'upsertEvent' | 'deleteEvent' | 'freeBusy' | 'readInvite'>;
  gmail: Pick<Gmail, 'sendMail'>;
  jira: Pick<Jira, 'searchIssues'>;
  notion: Pick<Notion, 'listUsers' | 'upsertPage' | 'updatePage'>;
  leave: Pick<
    Leave,
    | 'loadLeaveContext'
    | 'findReleaseCommitments'
    | 'reserveLeave'
    | 'confirmLeaveReservation'
    | 'releaseLeaveReservation'
    | 'leaveOfPeople'
  >;
  core: Pick<Core, 'loadOperators'>;
  /** Appends to the request's log and the worker's. */
  note: (message: string) => void;
  /** Publishes the search attributes and memo, when they changed. */
  index: () => void;
}

export interface LeaveRun {
  readonly input: LeaveRequestInput;
  readonly workflowId: string;
  /** The workflow's own task queue, where the team coordinators run. */
  readonly baseQueue: string;
  readonly state: LeaveWorkflowState;
  readonly effects: LeaveEffects;
  /** Set when the request has nothing left to wait for; not carried (a carried run is not over). */
  ended: boolean;
}

/** Now, for a transition of the run's state. */
export const momentOf = (run: LeaveRun): Moment => ({ now: Date.now(), note: run.effects.note });

/** One integration call; a failure that outlived its retries is logged, not fatal. */
export function tryTo<T>(run: LeaveRun, what: string, action: () => Promise<T>): Promise<T | undefined> {
  return attempt(action, (cause) => run.effects.note(`could not ${what}: ${cause}`));
}

/** Mails a notice once per key; a mail that failed for good may be tried again later. */
export async function notify(
  run: LeaveRun,
  key: string,
  kind: string,
  to: CoveragePerson[],
  notice: Notice,
  cc: CoveragePerson[] = [],
): Promise<void> {
  const recipients = [...new Set(to.map((p) => p.email))];
  const copies = [...new Set(cc.map((p) => p.email))].filter((e) => !recipients.includes(e));
  const sent = await sendOnce(run.state, key, async () => {
    if (recipients.length === 0) return undefined;
    return tryTo(run, `send "${notice.subject}"`, () =>
      run.effects.gmail.sendMail({
        idempotencyKey: key,
        from: contextOf(run.state).sender,
        to: recipients,
        ...(copies.length > 0 ? { cc: copies } : {}),
        subject: notice.subject,
        text: notice.text,
        html: noticeHtml(notice.text),
      }),
    );
  });
  if (sent) recordNotice(run.state, { key, kind, to: [...recipients, ...copies] });
}

function recordNotice(state: LeaveWorkflowState, notice: Omit<LeaveNotice, 'at'>): void {
  state.notices.push({ ...notice, at: new Date(Date.now()).toISOString() });
  if (state.notices.length > NOTICE_LIMIT) state.notices.splice(0, state.notices.length - NOTICE_LIMIT);
}

/** Gives the request's place back at the team coordinator. */
export async function releaseHold(run: LeaveRun): Promise<void> {
  await tryTo(run, 'release the reservation at the team coordinator', () =>
    run.effects.leave.releaseLeaveReservation({
      teamId: contextOf(run.state).team.id,
      workflowId: run.workflowId,
    }),
  );
}
