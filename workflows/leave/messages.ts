/**
 * The leave workflow's messages, defined once and imported by the workflow, the calendar-sync
 * dispatcher, the CLI and the tests. One workflow per request: `leave:<personId>:<startDate>`.
 */
import { defineSignal } from '@temporalio/workflow';

export const LEAVE_WORKFLOW_TYPE = 'leaveWorkflow';

export const leaveWorkflowId = (personId: string, startDate: string): string => `leave:${personId}:${startDate}`;

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
