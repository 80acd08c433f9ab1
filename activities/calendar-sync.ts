/**
 * Google Calendar activities for the calendar-sync workflow, over the calendar activities:
 *
 * - `listCalendarChanges`: the incremental sync (a full listing when the token expired), reduced
 *   to the events a dispatcher can act on, so that a calendar with years of meetings still fits
 *   in a workflow's history;
 * - `watchCalendarChannel`: opens a push channel whose token is derived from the channel secret,
 *   which stays in the worker's environment and never enters workflow history.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { CalendarActivities, CalendarEventTime, WatchCalendarResult } from './calendar';
import { PRODOPS_KEY_PROPERTY } from './calendar';
import { ErrorTypes } from './errors';
import { PRODOPS_WORKFLOW_ID_PROPERTY } from '../contracts/ids';
import { channelFamilyForKey, channelToken } from '../contracts/node/channels';

/** An event as the dispatcher sees it: what a rule may need, nothing more. */
export interface SyncedEvent {
  id: string;
  status: string;
  eventType: string;
  summary?: string;
  start?: CalendarEventTime;
  end?: CalendarEventTime;
  updated?: string;
  attendees?: { email: string; responseStatus: string; organizer?: boolean }[];
  /** Set on events prodops made (its idempotency key). */
  prodopsKey?: string;
  /** Set on events whose answers a workflow waits for. */
  prodopsWorkflowId?: string;
}

export interface CalendarSyncListing {
  events: SyncedEvent[];
  nextSyncToken: string;
  fullResync: boolean;
  /** How many events the listing held before reduction. */
  scanned: number;
}

export interface CalendarSyncActivityDeps {
  calendar: Pick<CalendarActivities, 'listChanges' | 'watchCalendar'>;
  /** The secret new channels are signed with (the first of PRODOPS_CALENDAR_CHANNEL_SECRET). */
  channelSecret: () => string | undefined;
}

export function createCalendarSyncActivities(deps: CalendarSyncActivityDeps) {
  return {
    async listCalendarChanges(input: {
      calendarId: string;
      syncToken?: string;
      actAs?: string;
    }): Promise<CalendarSyncListing> {
      const result = await deps.calendar.listChanges(input);
      const events: SyncedEvent[] = [];
      for (const event of result.events) {
        const workflowId = event.extendedProperties.private[PRODOPS_WORKFLOW_ID_PROPERTY];
        if (event.status !== 'cancelled' && event.eventType !== 'outOfOffice' && !workflowId) continue;
        const prodopsKey = event.extendedProperties.private[PRODOPS_KEY_PROPERTY];
        events.push({
          id: event.id,
          status: event.status,
          eventType: event.eventType,
          ...(event.summary ? { summary: event.summary } : {}),
          ...(event.start ? { start: event.start } : {}),
          ...(event.end ? { end: event.end } : {}),
          ...(event.updated ? { updated: event.updated } : {}),
          ...(workflowId
            ? {
                attendees: event.attendees.map((a) => ({
                  email: a.email,
                  responseStatus: a.responseStatus,
                  ...(a.organizer ? { organizer: true } : {}),
                })),
                prodopsWorkflowId: workflowId,
              }
            : {}),
          ...(prodopsKey ? { prodopsKey } : {}),
        });
      }
      return {
        events,
        nextSyncToken: result.nextSyncToken,
        fullResync: result.fullResync,
        scanned: result.events.length,
      };
    },

    async watchCalendarChannel(input: {
      idempotencyKey: string;
      calendarId: string;
      address: string;
      ttlSeconds?: number;
      actAs?: string;
    }): Promise<WatchCalendarResult> {
      let secret: string | undefined;
      try {
        secret = deps.channelSecret();
      } catch (error) {
        throw ApplicationFailure.create({
          type: ErrorTypes.invalidInput,
          message: error instanceof Error ? error.message : String(error),
          nonRetryable: true,
        });
      }
      if (!secret) {
        throw ApplicationFailure.create({
          type: ErrorTypes.invalidInput,
          message:
            'PRODOPS_CALENDAR_CHANNEL_SECRET is not set on the worker: no channel can be opened whose notifications the calendar function would accept',
          nonRetryable: true,
        });
      }
      const token = channelToken(secret, channelFamilyForKey(input.idempotencyKey), input.calendarId);
      return deps.calendar.watchCalendar({ ...input, token });
    },
  };
}

export type CalendarSyncActivities = ReturnType<typeof createCalendarSyncActivities>;
