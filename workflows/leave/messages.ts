/**
 * The leave workflow's messages, defined once and imported by the workflow, the calendar-sync
 * dispatcher, the CLI and the tests. One workflow per request: `leave:<personId>:<startDate>`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { GateReason, LeaveWindow } from '../../domain/coverage';
import type { OperatorAuth } from '../../domain/operators';

export const LEAVE_WORKFLOW_TYPE = 'leaveWorkflow';

export { leaveCoordinatorId, leaveWorkflowId } from '../../contracts/ids';

/** Half days: a window may start in the afternoon or end at noon. */
export type DayPart = 'full' | 'morning' | 'afternoon';

export interface LeaveRequestInput {
  personId: string;
  /** First and last day of leave (inclusive), YYYY-MM-DD in the person's calendar. */
  from: string;
  to: string;
  /** Part of the first and of the last day that is off; `full` when absent. */
  firstDay?: DayPart;
  lastDay?: DayPart;
  reason?: string;
  /** Where the request came from. */
  source: 'calendar' | 'cli' | 'test';
  /** The out-of-office event the person created, when the request came from Google Calendar. */
  outOfOfficeEvent?: { calendarId: string; eventId: string };
}

/**
 * The person moved or deleted their out-of-office event (seen by the calendar-sync workflow).
 * `occurredAt` (ms since epoch, the event's `updated`) orders late deliveries.
 */
export interface OutOfOfficeChanged {
  calendarId: string;
  eventId: string;
  status: 'confirmed' | 'cancelled';
  from: string;
  to: string;
  firstDay?: DayPart;
  lastDay?: DayPart;
  occurredAt: number;
}

/** An attendee answered an invite that prodops sent (coverage or approval invite). */
export interface InviteAnswered {
  calendarId: string;
  eventId: string;
  attendeeEmail: string;
  response: 'accepted' | 'declined' | 'tentative' | 'needsAction';
  occurredAt: number;
}

export const outOfOfficeChanged = defineSignal<[OutOfOfficeChanged]>('outOfOfficeChanged');
export const inviteAnswered = defineSignal<[InviteAnswered]>('inviteAnswered');

// ---- Commands, state and the team coordinator --------------------------------------------

/** Where a request stands; also the `LeaveStatus` search attribute. */
export type LeavePhase =
  'checking' | 'awaiting-confirmation' | 'confirmed' | 'blocked' | 'declined' | 'expired' | 'cancelled';

export interface LeaveConfirmation {
  /** A person id. */
  by: string;
  as: 'buddy' | 'manager';
  decision: 'approve' | 'decline';
  at: string;
  via: 'calendar' | 'command';
  note?: string;
  /** The operator whose signed command recorded it, when that was someone other than `by`. */
  operator?: string;
}

/** A confirmation that was not accepted, kept as the record of who tried. */
export interface LeaveRefusal {
  /** A person id, or the email address an invite answer came from. */
  by: string;
  at: string;
  via: 'calendar' | 'command';
  reason: string;
  /** The operator who signed the refused command, if it was signed. */
  operator?: string;
}

export interface BuddyCandidate {
  personId: string;
  name: string;
  outcome: 'invited' | 'accepted' | 'declined' | 'unavailable' | 'withdrawn';
  reason?: string;
  at: string;
}

export type LeaveEventKind =
  'coverage-invite' | 'approval-invite' | 'out-of-office' | 'covering' | 'team-calendar';

export interface LeaveEventRecord {
  kind: LeaveEventKind;
  calendarId: string;
  eventId: string;
  idempotencyKey: string;
  /** The person the event is for (the buddy or the manager of an invite). */
  personId?: string;
  status: 'live' | 'removed';
}

export interface LeaveGateOne {
  passed: boolean;
  reasons: GateReason[];
  checkedAt: string;
  /** Nearby windows that would pass, when it did not. */
  alternatives: LeaveWindow[];
}

export interface LeaveNotice {
  key: string;
  kind: string;
  to: string[];
  at: string;
}

export interface LeaveStatusView {
  workflowId: string;
  personId: string;
  personName: string | null;
  team: string | null;
  source: LeaveRequestInput['source'];
  phase: LeavePhase;
  window: LeaveWindow | null;
  /** Bumped each time the dates change: every round runs both gates again. */
  round: number;
  gate1: LeaveGateOne | null;
  buddy: { id: string; name: string } | null;
  manager: { id: string; name: string } | null;
  candidates: BuddyCandidate[];
  confirmations: { buddy: LeaveConfirmation | null; manager: LeaveConfirmation | null };
  refusals: LeaveRefusal[];
  events: LeaveEventRecord[];
  trackerPageId: string | null;
  notices: LeaveNotice[];
  /** Why the request stopped (blocked, declined, expired, cancelled), in words. */
  reason: string | null;
  log: { at: string; message: string }[];
}

/**
 * Commands carry the signature of the operator who sent them (`auth`, domain/operators.ts);
 * `by` is whom the operator acts for, themselves when absent, someone else only as their grant
 * allows (`operators[].actsFor`).
 */
export interface ConfirmLeaveCommand {
  /** A person id: the buddy or the requester's manager; the operator when absent. */
  by?: string;
  decision: 'approve' | 'decline';
  note?: string;
  auth?: OperatorAuth;
}

export interface MoveLeaveCommand {
  from: string;
  to: string;
  firstDay?: DayPart;
  lastDay?: DayPart;
  /** The requester (or someone their grant covers); the operator when absent. */
  by?: string;
  auth?: OperatorAuth;
}

export interface CancelLeaveCommand {
  /** A person id: the requester or someone in their management chain; the operator when absent. */
  by?: string;
  reason?: string;
  auth?: OperatorAuth;
}

export const confirmLeave = defineUpdate<LeaveStatusView, [ConfirmLeaveCommand]>('confirmLeave');
export const moveLeave = defineUpdate<LeaveStatusView, [MoveLeaveCommand]>('moveLeave');
export const cancelLeave = defineUpdate<LeaveStatusView, [CancelLeaveCommand]>('cancelLeave');
export const leaveStatus = defineQuery<LeaveStatusView>('leaveStatus');

/** Error types a command is refused with. */
export const LeaveRefusals = {
  notAllowed: 'LeaveNotAllowed',
  notAwaiting: 'LeaveNotAwaitingConfirmation',
  finished: 'LeaveFinished',
  invalid: 'InvalidLeaveCommand',
  /** The command is not signed by a configured operator, or the signature does not hold. */
  unauthenticated: 'LeaveCommandNotAuthenticated',
} as const;

/** What `prodops leave list` reads without asking the workflow (its memo). */
export interface LeaveMemo {
  personId: string;
  personName: string;
  team: string;
  from: string;
  to: string;
  firstDay: DayPart;
  lastDay: DayPart;
  buddyId: string | null;
  buddyName: string | null;
}

// The per-team coordinator's messages live in contracts/, where the leave activities, which call
// it through the worker's client, import them too.
export {
  LEAVE_COORDINATOR_TYPE,
  confirmReservation,
  coordinatorState,
  releaseReservation,
  reserveLeave,
  type ConfirmReservationRequest,
  type ReleaseReservationRequest,
  type CoordinatorInput,
  type CoordinatorState,
  type ReserveLeaveRequest,
  type ReserveLeaveResult,
} from '../../contracts/leave-coordinator';
