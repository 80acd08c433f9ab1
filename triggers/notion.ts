/**
 * The Notion function. A subscription starts with a one-time, unsigned
 * `{ "verification_token": "…" }` request: it is accepted and the token is written to the log
 * for the admin to paste back into Notion and into PRODOPS_NOTION_VERIFICATION_TOKENS, never
 * echoed in the response. Every later request is signed (`X-Notion-Signature`, HMAC-SHA256 of
 * the body keyed by that token).
 *
 * An event names a page but carries none of its content, so a page event starts a short
 * workflow that fetches the page and routes it; the workflow id is the event id, so a
 * redelivered event starts nothing new.
 */
import { z } from 'zod';
import { notionEventWorkflowId } from '../contracts/ids';
import type { OrgConfig } from '../domain/config';
import {
  NOTION_EVENT_WORKFLOW_TYPE,
  type NotionEventInput,
  type NotionRouteKind,
} from '../workflows/notion-event/messages';
import type { RecentDeliveries } from './dedup';
import {
  accepted,
  failure,
  header,
  ignored,
  parseJson,
  requireJsonContentType,
  requirePost,
  requireSize,
  validate,
  type TriggerHandler,
} from './http';
import { verifyBodySignature } from './verify';
import type { WorkflowPort } from './workflows';

export const NOTION_SIGNATURE_HEADER = 'x-notion-signature';

const NotionId = z.string().regex(/^[0-9a-fA-F-]{32,36}$/, 'must be a Notion id');

export const NotionHandshake = z.strictObject({
  verification_token: z.string().min(1).max(512),
});

export const NotionWebhookEvent = z.looseObject({
  id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'must be an event id'),
  type: z
    .string()
    .regex(/^[a-z_]+(\.[a-z_]+)+$/, 'must be an event type such as page.created')
    .max(100),
  timestamp: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
  entity: z.looseObject({ id: NotionId, type: z.string().max(50) }),
  data: z
    .looseObject({
      parent: z.looseObject({ id: z.string().max(100), type: z.string().max(50) }).nullish(),
      updated_properties: z.array(z.string().max(200)).max(500).nullish(),
    })
    .nullish(),
  attempt_number: z.number().int().min(0).max(1000).nullish(),
  authors: z
    .array(z.looseObject({ id: z.string().min(1).max(100), type: z.string().max(50) }))
    .max(50)
    .nullish(),
});
export type NotionWebhookEvent = z.infer<typeof NotionWebhookEvent>;

/**
 * Page events that can change what a route reads (a property, or the page appearing). Edits to
 * a page's text change no property, so they are not worth a page fetch at Notion's 3 requests/s.
 */
export const ROUTED_PAGE_EVENTS = new Set([
  'page.created',
  'page.properties_updated',
  'page.undeleted',
  'page.moved',
]);

/** Parents that never make a page a row of a data source. */
const NOT_A_ROW = new Set(['page', 'block', 'space', 'workspace', 'block_id', 'page_id']);

export interface NotionTriggerDeps {
  config: OrgConfig;
  secrets: readonly string[];
  workflows: WorkflowPort;
  recent?: RecentDeliveries;
  /** Where verification tokens are shown to the admin; the process log. */
  log: (line: string) => void;
}

const MAX_LOGGED_TOKENS = 10;

export function createNotionHandler(deps: NotionTriggerDeps): TriggerHandler {
  const loggedTokens = new Set<string>();

  function showToken(token: string): void {
    if (loggedTokens.has(token)) return;
    if (loggedTokens.size >= MAX_LOGGED_TOKENS) return;
    loggedTokens.add(token);
    const known = deps.secrets.includes(token);
    deps.log(
      known
        ? 'notion: verification request for a token already in PRODOPS_NOTION_VERIFICATION_TOKENS'
        : `notion: verification token ${token} — paste it into the Notion subscription to verify it, and add it to PRODOPS_NOTION_VERIFICATION_TOKENS`,
    );
  }

  const dataSources = (): Partial<Record<NotionRouteKind, string>> => {
    const configured = deps.config.integrations.notion.dataSources;
    return {
      ...(configured.enablementBundles ? { enablementBundles: configured.enablementBundles } : {}),
      ...(configured.freelancers ? { freelancers: configured.freelancers } : {}),
      ...(configured.subscriptions ? { subscriptions: configured.subscriptions } : {}),
    };
  };

  return async (req) => {
    requirePost(req);
    const body = requireSize(req);
    const signature = header(req, NOTION_SIGNATURE_HEADER);
    if (signature === undefined) {
      // Only the one-time handshake comes unsigned; anything else unsigned is refused unread.
      const mediaType = header(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
      if (mediaType === 'application/json' && body.length > 0 && body.length <= 2048) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        const handshake = NotionHandshake.safeParse(parsed);
        if (handshake.success) {
          showToken(handshake.data.verification_token);
          return accepted({ verification: 'received: the token is in the prodops log' });
        }
      }
      return failure(401, 'missing X-Notion-Signature');
    }
    if (!verifyBodySignature(signature, body, deps.secrets))
      return failure(401, 'invalid X-Notion-Signature');
    requireJsonContentType(req);
    const event = validate(NotionWebhookEvent, parseJson(body), 'Notion event');
    const earlier = deps.recent?.get(`notion:${event.id}`);
    if (earlier) return accepted({ ...earlier, duplicate: true });

    if (event.entity.type !== 'page' || !ROUTED_PAGE_EVENTS.has(event.type))
      return ignored(`${event.type} events on a ${event.entity.type} route nowhere`, { delivery: event.id });
    const parentType = event.data?.parent?.type;
    if (parentType && NOT_A_ROW.has(parentType))
      return ignored(`the page's parent is a ${parentType}, not a data source`, { delivery: event.id });
    const routes = dataSources();
    if (Object.keys(routes).length === 0)
      return ignored('no routed data source is configured (integrations.notion.dataSources)', {
        delivery: event.id,
      });

    const input: NotionEventInput = {
      eventId: event.id,
      eventType: event.type,
      pageId: event.entity.id,
      occurredAt: Date.parse(event.timestamp),
      dataSources: routes,
      ...(event.authors ? { authors: event.authors.map((a) => ({ id: a.id, type: a.type })) } : {}),
    };
    const workflowId = notionEventWorkflowId(event.id);
    const outcome = await deps.workflows.start({
      workflowType: NOTION_EVENT_WORKFLOW_TYPE,
      workflowId,
      args: [input],
    });
    const answer = { delivery: event.id, workflowId, outcome };
    deps.recent?.remember(`notion:${event.id}`, answer);
    return accepted(outcome === 'exists' ? { ...answer, duplicate: true } : answer);
  };
}
