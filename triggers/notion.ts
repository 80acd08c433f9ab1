/**
 * The Notion function. A subscription starts with a one-time, unsigned
 * `{ "verification_token": "…" }` request: while no verification token is configured (or when
 * PRODOPS_NOTION_ACCEPT_VERIFICATION says so, to set up a second subscription) it is accepted and
 * the token is written to the log with its fingerprint, for the admin to paste back into Notion
 * and into PRODOPS_NOTION_VERIFICATION_TOKENS; never echoed in the response. Otherwise the
 * request is refused and only its fingerprint logged. Every later request is signed
 * (`X-Notion-Signature`, HMAC-SHA256 of the body keyed by that token).
 *
 * An event names a page but carries none of its content, so a page event starts a short
 * workflow that fetches the page and routes it; the workflow id is the event id, so a
 * redelivered event starts nothing new. An event whose parent names a data source that is not
 * routed is acknowledged and ignored here, with no workflow and no Notion request.
 */
import * as z from 'zod';
import { printable } from '../domain/commands';
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
  eventAgeProblem,
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
import { NOTION_ACCEPT_VERIFICATION_ENV, secretFingerprint } from './secrets';
import type { WorkflowPort } from './workflows';

export const NOTION_SIGNATURE_HEADER = 'x-notion-signature';

const NotionId = z.string().regex(/^[0-9a-fA-F-]{32,36}$/, 'must be a Notion id');

/** Notion's verification tokens: `secret_` and a run of letters and digits. */
export const NotionHandshake = z.strictObject({
  verification_token: z
    .string()
    .regex(/^secret_[A-Za-z0-9_-]{16,200}$/, 'must be a Notion verification token'),
});

/** A short fingerprint of a token, to tell tokens apart in a log without showing one. */
export function tokenFingerprint(token: string): string {
  return secretFingerprint(token);
}

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
      parent: z
        .looseObject({
          id: z.string().max(100),
          type: z.string().max(50),
          // Since API version 2025-09-03, a row's parent names its data source as well.
          data_source_id: z.string().max(100).nullish(),
        })
        .nullish(),
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

/** Notion ids are compared without their dashes and case. */
function sameNotionId(a: string, b: string): boolean {
  return a.replace(/-/g, '').toLowerCase() === b.replace(/-/g, '').toLowerCase();
}

/** Parents that never make a page a row of a data source. */
const NOT_A_ROW = new Set(['page', 'block', 'space', 'workspace', 'block_id', 'page_id']);

export interface NotionTriggerDeps {
  config: OrgConfig;
  secrets: readonly string[];
  workflows: WorkflowPort;
  recent?: RecentDeliveries;
  /** Where verification tokens are shown to the admin; the process log. */
  log: (line: string) => void;
  /** Accept a handshake although a token is configured (PRODOPS_NOTION_ACCEPT_VERIFICATION). */
  acceptVerification?: boolean;
  /** The clock event ages are judged by (tests set it). */
  now?: () => number;
}

const MAX_LOGGED_TOKENS = 10;

export function createNotionHandler(deps: NotionTriggerDeps): TriggerHandler {
  const loggedTokens = new Set<string>();

  /** Whether a handshake may be taken now: while no token is configured, or when told to. */
  const open = () => deps.secrets.length === 0 || deps.acceptVerification === true;

  function showToken(token: string): void {
    if (loggedTokens.has(token)) return;
    if (loggedTokens.size >= MAX_LOGGED_TOKENS) return;
    loggedTokens.add(token);
    const fingerprint = tokenFingerprint(token);
    const known = deps.secrets.includes(token);
    deps.log(
      known
        ? `notion: verification request for the token already in PRODOPS_NOTION_VERIFICATION_TOKENS (fingerprint ${fingerprint})`
        : `notion: verification token ${printable(token, 220)} (fingerprint ${fingerprint}) — paste it into the Notion subscription to verify it, and add it to PRODOPS_NOTION_VERIFICATION_TOKENS`,
    );
  }

  const dataSources = (): Partial<Record<NotionRouteKind, string>> => {
    const configured = deps.config.integrations.notion.dataSources;
    return {
      ...(configured.enablementBundles ? { enablementBundles: configured.enablementBundles } : {}),
      ...(configured.weeklyUpdates ? { weeklyUpdates: configured.weeklyUpdates } : {}),
      ...(configured.insights ? { insights: configured.insights } : {}),
      ...(configured.insightThemes ? { insightThemes: configured.insightThemes } : {}),
      ...(configured.freelancers ? { freelancers: configured.freelancers } : {}),
      ...(configured.subscriptions ? { subscriptions: configured.subscriptions } : {}),
      ...(configured.checkIns ? { checkIns: configured.checkIns } : {}),
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
          const token = handshake.data.verification_token;
          if (!open()) {
            deps.log(
              `notion: refused a verification request (token fingerprint ${tokenFingerprint(token)}): a token is configured; set ${NOTION_ACCEPT_VERIFICATION_ENV}=1 to add a subscription`,
            );
            return failure(401, 'verification is closed: this function already has its token');
          }
          showToken(token);
          return accepted({ verification: 'received: the token is in the prodops log' });
        }
      }
      return failure(401, 'missing X-Notion-Signature');
    }
    if (!verifyBodySignature(signature, body, deps.secrets))
      return failure(401, 'invalid X-Notion-Signature');
    requireJsonContentType(req);
    const event = validate(NotionWebhookEvent, parseJson(body), 'Notion event');
    const stale = eventAgeProblem(
      Date.parse(event.timestamp),
      (deps.now ?? Date.now)(),
      deps.config.integrations.notion.maxEventAgeMinutes,
    );
    if (stale) return ignored(stale, { delivery: event.id });
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

    // A row of a data source prodops does not route is answered here: fetching it would spend a
    // request of Notion's 3 per second on a page that can only be ignored.
    const parentSource = event.data?.parent?.data_source_id;
    if (parentSource && !Object.values(routes).some((id) => sameNotionId(id, parentSource)))
      return ignored(
        `the page's data source ${parentSource} is not one prodops routes (integrations.notion.dataSources)`,
        { delivery: event.id },
      );

    const input: NotionEventInput = {
      eventId: event.id,
      eventType: event.type,
      pageId: event.entity.id,
      occurredAt: Date.parse(event.timestamp),
      dataSources: routes,
      ...(event.authors ? { authors: event.authors.map((a) => ({ id: a.id, type: a.type })) } : {}),
      ...(routes.insights ? { insightShards: deps.config.insights.backlog.shards } : {}),
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
