/**
 * Vendor-shaped requests, as Jira, Notion and Google send them, signed with the given secrets.
 * `prodops simulate`, the gateway benchmark and the tests build their deliveries here, so that
 * what they send is what the functions will meet in production.
 */
import { randomUUID } from 'node:crypto';
import { channelToken, parseChannelId } from '../../contracts/node/channels';
import { signBody } from '../../triggers/verify';
import type { ChangelogItem } from '../jira/model';

export interface VendorRequest {
  path: '/jira' | '/notion' | '/calendar';
  headers: Record<string, string>;
  body: string;
}

/** One field change, as Jira's changelog and webhooks carry it. */
export type JiraChangelogItem = ChangelogItem;

export interface JiraWebhookPayload {
  timestamp: number;
  webhookEvent: 'jira:issue_created' | 'jira:issue_updated' | 'jira:issue_deleted';
  issue_event_type_name: string;
  user: { accountId: string; displayName?: string; accountType?: string };
  issue: { id: string; key: string; self?: string; fields: Record<string, unknown> };
  changelog?: { id: string; items: JiraChangelogItem[] };
}

/** A Jira admin webhook delivery: `X-Hub-Signature` over the exact body, and the retry-stable identifier. */
export function jiraDelivery(
  payload: JiraWebhookPayload,
  secret: string,
  identifier: string = randomUUID(),
): VendorRequest {
  const body = JSON.stringify(payload);
  return {
    path: '/jira',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-atlassian-webhook-identifier': identifier,
      'x-hub-signature': signBody(secret, body),
      'user-agent': 'Atlassian Webhook HTTP Client',
    },
    body,
  };
}

export interface NotionEventPayload {
  id: string;
  timestamp: string;
  workspace_id: string;
  workspace_name?: string;
  subscription_id: string;
  integration_id: string;
  type: string;
  authors: { id: string; type: 'person' | 'bot' | 'agent' }[];
  attempt_number: number;
  entity: { id: string; type: 'page' | 'database' | 'data_source' | 'comment' | 'block' };
  data: { parent?: { id: string; type: string }; updated_properties?: string[] };
}

/** A page event as a Notion webhook subscription delivers it. */
export function notionPageEvent(options: {
  type: string;
  pageId: string;
  parent?: { id: string; type: string; data_source_id?: string };
  updatedProperties?: string[];
  authorId?: string;
  id?: string;
  at?: Date;
}): NotionEventPayload {
  return {
    id: options.id ?? randomUUID(),
    timestamp: (options.at ?? new Date()).toISOString(),
    workspace_id: '13950b26-c203-4f3b-b97d-93ec06319565',
    workspace_name: 'prodops',
    subscription_id: '29d75c0d-5546-4414-8459-7b7a92f1fc4b',
    integration_id: '0ef2e755-4912-8096-91c1-00376a88a5ca',
    type: options.type,
    authors: [{ id: options.authorId ?? 'c7c11cca-1d73-471d-9b6e-bdef51470190', type: 'person' }],
    attempt_number: 1,
    entity: { id: options.pageId, type: 'page' },
    data: {
      ...(options.parent ? { parent: options.parent } : {}),
      ...(options.updatedProperties ? { updated_properties: options.updatedProperties } : {}),
    },
  };
}

export function notionDelivery(payload: NotionEventPayload, verificationToken: string): VendorRequest {
  const body = JSON.stringify(payload);
  return {
    path: '/notion',
    headers: {
      'content-type': 'application/json',
      'x-notion-signature': signBody(verificationToken, body),
      'user-agent': 'notion-api',
    },
    body,
  };
}

/** Google Calendar's push notification: headers only, the token the channel was opened with. */
export function calendarPush(options: {
  channelId: string;
  calendarId: string;
  messageNumber: number;
  state: 'sync' | 'exists' | 'not_exists';
  token: string;
  resourceId?: string;
  expiration?: number;
}): VendorRequest {
  return {
    path: '/calendar',
    headers: {
      'x-goog-channel-id': options.channelId,
      'x-goog-channel-token': options.token,
      'x-goog-channel-expiration': new Date(options.expiration ?? Date.now() + 86_400_000).toUTCString(),
      'x-goog-resource-id': options.resourceId ?? 'ret08u3rv24htgh289g',
      'x-goog-resource-state': options.state,
      'x-goog-resource-uri': `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(options.calendarId)}/events?alt=json`,
      'x-goog-message-number': String(options.messageNumber),
    },
    body: '',
  };
}

/** The token a channel of this id on this calendar carries under the secret. */
export function tokenForChannel(secret: string, channelId: string, calendarId: string): string {
  const parsed = parseChannelId(channelId);
  if (parsed === null) throw new Error(`${channelId} is not a prodops channel id`);
  return channelToken(secret, parsed.family, calendarId);
}

/** Sends a request to the gateway (or a function) at `baseUrl`; answers with the status and JSON body. */
export async function sendVendorRequest(
  baseUrl: string,
  request: VendorRequest,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl.replace(/\/+$/, '')}${request.path}`, {
    method: 'POST',
    headers: request.headers,
    ...(request.body !== '' ? { body: request.body } : {}),
  });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}
