/**
 * The routes of the insights data sources.
 *
 * - `insights`: a row a person added (a Notion form) becomes an insight of the backlog shard of
 *   its account (signal-with-start, `insightReceived`); once prodops has written the row's
 *   Insight id, an edit of its taxonomy columns is that item's tagging (`insightEditedInNotion`).
 * - `insightThemes`: a Disposition set on a routed theme's row is the PM's answer
 *   (`themeDecidedInNotion`); the theme workflow checks that the author is its PM or the Head of
 *   Product.
 *
 * Who made the change is the author the signed event names, read as their Notion email. Changes
 * made by integrations (prodops writing its own columns) go nowhere: the workflows made them.
 */
import { getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import type { NotionPage } from '../../activities/notion';
import {
  insightShardOf,
  insightsBacklogId,
  insightsThemeId,
  parseInsightId,
  parseInsightRoundId,
} from '../../contracts/ids';
import {
  INSIGHTS_BACKLOG_TYPE,
  insightEditedInNotion,
  insightReceived,
  themeDecidedInNotion,
  type InsightReceived,
} from '../../contracts/insights';
import { INSIGHT_ROW, THEME_ROW } from '../../domain/insights/notion-rows';
import type { NotionEventInput, NotionEventOutcome, NotionRouteKind } from './messages';
import { ignore, personAuthorIds, type NotionRoute, type RouteActivities } from './route';
import { NOTION_KEY_PROPERTY } from '../../contracts/stamps';

const plainId = (id: string) => id.replace(/-/g, '').toLowerCase();

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(', ') || null;
  if (value && typeof value === 'object' && 'start' in value && typeof value.start === 'string')
    return value.start;
  return null;
}

/** Changes made only by integrations are prodops' own writes. */
const byIntegrationsOnly = (input: NotionEventInput) =>
  (input.authors ?? []).length > 0 && (input.authors ?? []).every((a) => a.type === 'bot');

/** The email of the first person among the event's authors, when Notion shares it. */
async function authorEmail(input: NotionEventInput, activities: RouteActivities): Promise<string | null> {
  const people = personAuthorIds(input).map(plainId);
  if (people.length === 0) return null;
  const { users } = await activities.notion.listUsers();
  for (const id of people) {
    const email = users.find((u) => plainId(u.id) === id)?.email;
    if (email) return email.toLowerCase();
  }
  return null;
}

const signalled = (page: NotionPage, route: NotionRouteKind, detail: string): NotionEventOutcome => ({
  pageId: page.id,
  route,
  outcome: 'signalled',
  detail,
});

export const insights: NotionRoute = {
  kind: 'insights',
  async handle(page, input, activities) {
    if (byIntegrationsOnly(input))
      return ignore(page, this.kind, 'changed by an integration (prodops writes its own columns)');
    const p = page.properties;
    const R = INSIGHT_ROW;
    const by = await authorEmail(input, activities);
    const tags = {
      theme: text(p[R.theme]),
      segment: text(p[R.segment]),
      severity: text(p[R.severity]),
      area: text(p[R.area]),
      evidenceType: text(p[R.evidenceType]),
    };
    const id = text(p[R.insightId]);
    const parsed = id ? parseInsightId(id) : null;
    if (id && parsed) {
      const workflowId = insightsBacklogId(parsed.shard);
      try {
        await getExternalWorkflowHandle(workflowId).signal(insightEditedInNotion, {
          id,
          tags,
          by,
          deliveryId: `notion:${input.eventId}`,
        });
      } catch {
        return ignore(page, this.kind, `${workflowId} is not running`);
      }
      return signalled(page, this.kind, `${insightEditedInNotion.name} ${id} to ${workflowId}`);
    }

    const body = text(p[R.text]) ?? text(p[R.name]);
    if (!body) return ignore(page, this.kind, 'the row has neither Text nor Name yet');
    const account = text(p[R.account]) ?? '';
    const shard = insightShardOf(account, input.insightShards ?? 1);
    const given = text(p[R.given]);
    const arrival: InsightReceived = {
      source: 'notion',
      externalId: plainId(page.id),
      account,
      text: body.slice(0, 4_000),
      ...tags,
      link: text(p[R.link]) ?? (page.url || null),
      occurredAt:
        given && !Number.isNaN(Date.parse(given)) ? Date.parse(given) : Date.parse(page.createdTime),
      via: 'notion',
      by,
      pageId: page.id,
      deliveryId: `notion:${input.eventId}`,
    };
    const workflowId = insightsBacklogId(shard);
    await activities.dispatch.signalWithStartWorkflow({
      workflowType: INSIGHTS_BACKLOG_TYPE,
      workflowId,
      taskQueue: workflowInfo().taskQueue,
      args: [{ shard }],
      signal: insightReceived.name,
      signalArgs: [arrival],
    });
    return signalled(page, this.kind, `${insightReceived.name} notion:${plainId(page.id)} to ${workflowId}`);
  },
};

export const insightThemes: NotionRoute = {
  kind: 'insightThemes',
  async handle(page, input, activities) {
    if (byIntegrationsOnly(input))
      return ignore(page, this.kind, 'changed by an integration (prodops writes its own columns)');
    const key = text(page.properties[NOTION_KEY_PROPERTY]);
    const round = key?.startsWith('insight-round:') ? key.slice('insight-round:'.length) : null;
    const parsed = round ? parseInsightRoundId(round) : null;
    if (!round || !parsed) return ignore(page, this.kind, 'not a row prodops made for a routed theme');
    const disposition = text(page.properties[THEME_ROW.disposition]);
    if (!disposition) return ignore(page, this.kind, 'no Disposition set');
    const workflowId = insightsThemeId(parsed.area, parsed.theme);
    const by = await authorEmail(input, activities);
    try {
      await getExternalWorkflowHandle(workflowId).signal(themeDecidedInNotion, {
        round,
        disposition,
        rationale: text(page.properties[THEME_ROW.rationale]),
        by,
        deliveryId: `notion:${input.eventId}`,
        occurredAt: input.occurredAt,
      });
    } catch {
      return ignore(page, this.kind, `${workflowId} is not running`);
    }
    return signalled(page, this.kind, `${themeDecidedInNotion.name} ${round} to ${workflowId}`);
  },
};
