/**
 * The calendar-sync workflow's contract: one long-lived workflow per watched calendar,
 * `calendar-sync:<calendarId>`. A Google push only says "something changed"; the workflow runs
 * the incremental sync and dispatches what changed to the workflows that care.
 *
 * For workflows that send invites and want the answers: give the event the private extended
 * property `prodopsWorkflowId` (PRODOPS_WORKFLOW_ID_PROPERTY) naming your workflow id, on a
 * calendar that is watched (the organiser's: a person's primary calendar or the sender
 * mailbox's). Every change of an attendee's answer is then signalled to that workflow as
 * `inviteAnswered` (workflows/leave/messages.ts). Out-of-office events that carry `prodopsKey`
 * (made by prodops itself) are never taken for a person's leave request.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const CALENDAR_SYNC_WORKFLOW_TYPE = 'calendarSyncWorkflow';

export { calendarSyncWorkflowId, PRODOPS_WORKFLOW_ID_PROPERTY } from '../../contracts/ids';

export const DEFAULT_CHANNEL_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_RENEW_BEFORE_SECONDS = 24 * 3600;
/** Push delivery is not guaranteed: a sync runs at least this often anyway. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 15 * 60;

export interface CalendarSyncInput {
  calendarId: string;
  /** The user whose credentials read the calendar (its owner, impersonated). */
  actAs: string;
  /** The person whose calendar it is, for their out-of-office events; null for a mailbox like the sender's. */
  personId: string | null;
  /** The person's calendar time zone: out-of-office times are read in it. */
  timeZone: string;
  /** Where Google posts notifications (the calendar function's public URL); null to only poll. */
  address: string | null;
  channelTtlSeconds?: number;
  renewBeforeSeconds?: number;
  pollIntervalSeconds?: number;
}

/** Something may have changed: a push, or a person asking (`prodops calendar watch`). */
export interface CalendarChanged {
  reason: 'push' | 'watch';
  channelId?: string;
  messageNumber?: number;
  resourceState?: 'sync' | 'exists' | 'not_exists';
  /** `<channel id>:<message number>` for a push: a repeated one is ignored. */
  deliveryId?: string;
  /** A new address for the channel (the gateway moved); the channel is re-opened there. */
  address?: string | null;
  /** Open a new channel now, for example after the receiving side lost its channels. */
  renewChannel?: boolean;
}

export interface CalendarChannel {
  channelId: string;
  resourceId: string;
  /** Epoch milliseconds. */
  expiration: number;
  address: string;
  /** Which watch of this calendar it is (its idempotency key's number). */
  generation: number;
  /** When it was opened, epoch milliseconds (workflow time). */
  openedAt: number;
}

export interface CalendarSyncStatus {
  calendarId: string;
  personId: string | null;
  channel: CalendarChannel | null;
  hasSyncToken: boolean;
  syncs: number;
  fullResyncs: number;
  lastSyncAt: string | null;
  /** Signals and starts sent to other workflows. */
  dispatched: number;
  /** Out-of-office events and prodops invites being followed. */
  following: { outOfOffice: number; invites: number };
  log: { at: string; message: string }[];
}

export const calendarChanged = defineSignal<[CalendarChanged]>('calendarChanged');
/** Stops the channel and ends the workflow (the person left, or the calendar is no longer watched). */
export const stopCalendarSync = defineSignal<[{ reason?: string }]>('stopCalendarSync');
export const calendarSyncStatus = defineQuery<CalendarSyncStatus>('calendarSyncStatus');
