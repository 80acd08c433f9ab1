/**
 * The insights function, `POST /insights`: any tool that can send a webhook (a help desk
 * trigger, a CRM workflow, a script) hands an insight to the backlog. The sender signs the raw
 * body with a shared secret, as Jira does: `X-Prodops-Signature: sha256=<HMAC-SHA256 of the
 * body>`, with a secret from `PRODOPS_INSIGHTS_SECRETS` (two at once while one is rotated).
 *
 * The body is one insight: source, externalId, account, segment and text, and optionally theme,
 * severity, area, evidenceType, link and occurredAt (domain/insights/submission.ts). A value the
 * taxonomy does not know is accepted and said in the answer: the item is kept, marked "needs
 * tagging", and goes to Product Ops. The answer comes as soon as the backlog shard of the
 * account has the signal; deduplication happens there (the same source and external id is one
 * item however often it arrives).
 */
import { createHash } from 'node:crypto';
import { insightShardOf, insightsBacklogId } from '../contracts/ids';
import { INSIGHTS_BACKLOG_TYPE, insightReceived, type InsightReceived } from '../contracts/insights';
import type { OrgConfig } from '../domain/config';
import { resolveInsightsSettings } from '../domain/insights/settings';
import { InsightWebhookBody, toRawInsight } from '../domain/insights/submission';
import { insightKeyOf } from '../domain/insights/backlog';
import { missingTags, readTags } from '../domain/insights/taxonomy';
import type { RecentDeliveries } from './dedup';
import {
  accepted,
  failure,
  header,
  parseJson,
  requireJsonContentType,
  requirePost,
  requireSize,
  validate,
  type TriggerHandler,
} from './http';
import { verifyBodySignature } from './verify';
import type { WorkflowPort } from './workflows';

export const INSIGHTS_SIGNATURE_HEADER = 'x-prodops-signature';

export interface InsightsTriggerDeps {
  config: OrgConfig;
  secrets: readonly string[];
  workflows: WorkflowPort;
  recent?: RecentDeliveries;
}

export function createInsightsHandler(deps: InsightsTriggerDeps): TriggerHandler {
  const settings = resolveInsightsSettings(deps.config);
  return async (req) => {
    requirePost(req);
    const body = requireSize(req);
    const signature = header(req, INSIGHTS_SIGNATURE_HEADER);
    if (signature === undefined || signature === '') return failure(401, 'missing X-Prodops-Signature');
    if (!verifyBodySignature(signature, body, deps.secrets))
      return failure(401, 'invalid X-Prodops-Signature');
    requireJsonContentType(req);
    const submission = validate(InsightWebhookBody, parseJson(body), 'insight');

    // The same body twice is one delivery: the second is answered from memory, and ignored by the shard.
    const deliveryId = createHash('sha256').update(body).digest('base64url').slice(0, 32);
    const earlier = deps.recent?.get(`insights:${deliveryId}`);
    if (earlier) return accepted({ ...earlier, duplicate: true });

    const raw = toRawInsight(submission);
    const { tags, problems } = readTags(raw, settings.taxonomy);
    const shard = insightShardOf(raw.account, settings.shards);
    const workflowId = insightsBacklogId(shard);
    const arrival: InsightReceived = { ...raw, via: 'webhook', deliveryId };
    const outcome = await deps.workflows.signalWithStart({
      workflowType: INSIGHTS_BACKLOG_TYPE,
      workflowId,
      args: [{ shard }],
      signal: insightReceived.name,
      signalArgs: [arrival],
    });
    const answer = {
      key: insightKeyOf(raw.source, raw.externalId),
      workflowId,
      outcome,
      needsTagging: missingTags(tags),
      ...(problems.length > 0 ? { problems } : {}),
    };
    deps.recent?.remember(`insights:${deliveryId}`, answer);
    return accepted(answer);
  };
}
