/**
 * The Google Calendar function. A push notification has no body: its headers name the channel,
 * the watched calendar (in the resource URI) and a message number, and echo the channel's token.
 * The token is an HMAC of the channel family and calendar id (see verify.ts), so checking it
 * needs no stored channel list, and a forged or unknown channel id is refused.
 *
 * A notification only says that something changed: it signals (with start) the calendar's
 * long-lived `calendar-sync:<calendarId>` workflow, which runs the incremental sync.
 */
import * as z from 'zod';
import { calendarSyncWorkflowId } from '../contracts/ids';
import type { OrgConfig } from '../domain/config';
import {
  calendarChanged,
  CALENDAR_SYNC_WORKFLOW_TYPE,
  type CalendarChanged,
  type CalendarSyncInput,
} from '../workflows/calendar-sync/messages';
import type { RecentDeliveries } from './dedup';
import {
  accepted,
  failure,
  header,
  HttpError,
  ignored,
  requirePost,
  requireSize,
  validate,
  type TriggerHandler,
} from './http';
import { verifyChannelToken } from './verify';
import type { WorkflowPort } from './workflows';

const CalendarHeaders = z.object({
  'x-goog-channel-id': z.string().regex(/^[A-Za-z0-9\-_+/=]{1,64}$/, 'must be a channel id'),
  'x-goog-resource-id': z.string().min(1).max(200),
  'x-goog-resource-state': z.enum(['sync', 'exists', 'not_exists'], {
    error: 'must be sync, exists or not_exists',
  }),
  'x-goog-resource-uri': z.string().min(1).max(2048),
  'x-goog-message-number': z.string().regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number'),
});

/** The calendar a resource URI names: `…/calendar/v3/calendars/<id>/events…`. */
export function calendarIdFromResourceUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new HttpError(400, 'x-goog-resource-uri: is not a URL');
  }
  const match = /\/calendar\/v3\/calendars\/([^/]+)\/events\/?$/.exec(url.pathname);
  if (!match) throw new HttpError(400, "x-goog-resource-uri: does not name a calendar's events");
  try {
    return decodeURIComponent(match[1]!).toLowerCase();
  } catch {
    throw new HttpError(400, 'x-goog-resource-uri: the calendar id is not validly encoded');
  }
}

export type CalendarTarget = Omit<CalendarSyncInput, 'address'>;

/** Every calendar prodops watches: each person's primary calendar, and the sender mailbox's. */
export function calendarSyncTargets(config: OrgConfig): CalendarTarget[] {
  const fallbackZone = Object.values(config.calendars)[0]?.timezone ?? 'UTC';
  const targets: CalendarTarget[] = config.people.map((person) => ({
    calendarId: person.email.toLowerCase(),
    actAs: person.email.toLowerCase(),
    personId: person.id,
    timeZone: config.calendars[person.calendar]?.timezone ?? fallbackZone,
  }));
  const sender = config.integrations.google.sender?.toLowerCase();
  // Invites prodops sends are organised there; their answers arrive on that calendar.
  if (sender && !targets.some((t) => t.calendarId === sender))
    targets.push({ calendarId: sender, actAs: sender, personId: null, timeZone: fallbackZone });
  return targets;
}

export function calendarTargetFor(config: OrgConfig, calendarId: string): CalendarTarget | undefined {
  const wanted = calendarId.toLowerCase();
  return calendarSyncTargets(config).find((t) => t.calendarId === wanted);
}

export interface CalendarTriggerDeps {
  config: OrgConfig;
  secrets: readonly string[];
  workflows: WorkflowPort;
  /** Where channels post (this function's public URL); null when Google cannot reach it. */
  address: string | null;
  recent?: RecentDeliveries;
  /** The clock channel expiry is judged by (tests set it). */
  now?: () => number;
}

export function createCalendarHandler(deps: CalendarTriggerDeps): TriggerHandler {
  return async (req) => {
    requirePost(req);
    requireSize(req);
    const token = header(req, 'x-goog-channel-token');
    if (token === undefined || token === '') return failure(401, 'missing X-Goog-Channel-Token');
    const headers = validate(
      CalendarHeaders,
      Object.fromEntries(Object.keys(CalendarHeaders.shape).map((name) => [name, header(req, name)])),
      'Calendar notification headers',
    );
    const channelId = headers['x-goog-channel-id'];
    const calendarId = calendarIdFromResourceUri(headers['x-goog-resource-uri']);
    const verdict = verifyChannelToken(token, channelId, calendarId, deps.secrets, (deps.now ?? Date.now)());
    if (verdict === 'invalid')
      return failure(401, 'X-Goog-Channel-Token does not belong to this channel and calendar');
    if (verdict === 'expired') return failure(401, `channel ${channelId} has expired`);

    const state = headers['x-goog-resource-state'];
    const messageNumber = Number(headers['x-goog-message-number']);
    const deliveryId = `${channelId}:${messageNumber}`;
    if (state === 'sync') return ignored('sync message: the channel is open', { delivery: deliveryId });
    const target = calendarTargetFor(deps.config, calendarId);
    if (!target) return ignored(`${calendarId} is not a calendar prodops watches`, { delivery: deliveryId });
    const earlier = deps.recent?.get(`calendar:${deliveryId}`);
    if (earlier) return accepted({ ...earlier, duplicate: true });

    const workflowId = calendarSyncWorkflowId(calendarId);
    const change: CalendarChanged = {
      reason: 'push',
      channelId,
      messageNumber,
      resourceState: state,
      deliveryId,
    };
    const input: CalendarSyncInput = { ...target, address: deps.address };
    const outcome = await deps.workflows.signalWithStart({
      workflowType: CALENDAR_SYNC_WORKFLOW_TYPE,
      workflowId,
      args: [input],
      signal: calendarChanged.name,
      signalArgs: [change],
    });
    const answer = { delivery: deliveryId, workflowId, outcome };
    deps.recent?.remember(`calendar:${deliveryId}`, answer);
    return accepted(answer);
  };
}
