/**
 * Keeping each item's row in the Notion insights data source as the backlog sees it. The row of
 * an item that came from another channel is created from it (with its full text, after which
 * the workflow keeps only the excerpt); a row a person created through a Notion form keeps what
 * they typed, and prodops writes only its own columns: Status, Insight id, Merged into,
 * Decision and its note. A row is written only when what it should show changed.
 */
import type { NotionActivities, NotionPropertyInputs } from '../../../activities/notion';
import { insightRowKey } from '../../../contracts/ids';
import { fnv1a, statusOf, type Backlog, type InsightItem } from '../../../domain/insights/backlog';
import { INSIGHT_ROW, INSIGHT_STATUS_LABELS } from '../../../domain/insights/notion-rows';
import type { InsightsContext } from '../../../domain/insights/settings';
import { labelOf } from '../../../domain/insights/taxonomy';
import { attempt } from '../../entity-loop';

export interface BacklogEffects {
  notion: Pick<NotionActivities, 'upsertPage' | 'updatePage'>;
  note: (message: string) => void;
}

/** Rows written in one turn, in parallel (the Notion queue paces them). */
export const ROWS_PER_TURN = 20;

const select = (id: string | null) => ({ select: id === null ? null : labelOf(id) });

/** What the item's row should show, and a fingerprint of it. */
export function rowOf(
  item: InsightItem,
  backlog: Backlog,
  context: InsightsContext,
): { properties: NotionPropertyInputs; fingerprint: string } {
  const R = INSIGHT_ROW;
  const primary = backlog.primaryOf(item);
  const owned: NotionPropertyInputs = {
    [R.status]: { select: INSIGHT_STATUS_LABELS[statusOf(item)] },
    [R.insightId]: { rich_text: item.id },
    [R.mergedInto]: { rich_text: item.mergedInto ?? '' },
    [R.decision]: select(item.decided?.disposition ?? null),
    [R.note]: {
      rich_text: [
        ...item.problems,
        ...(item.repeats > 0 ? [`arrived ${item.repeats + 1} times`] : []),
        ...(primary !== item ? [`extra evidence of ${primary.id}`] : []),
      ].join('; '),
    },
  };
  const areaName = (id: string | null) =>
    id === null ? null : (context.areas.find((a) => a.id === id)?.name ?? id);
  const full: NotionPropertyInputs =
    item.via === 'notion'
      ? owned
      : {
          [R.name]: { title: item.excerpt.slice(0, 200) },
          [R.account]: { rich_text: item.account },
          [R.source]: { select: item.source },
          [R.externalId]: { rich_text: item.externalId },
          [R.segment]: select(item.tags.segment),
          [R.theme]: select(item.tags.theme),
          [R.severity]: select(item.tags.severity),
          [R.area]: { select: areaName(item.tags.area) },
          [R.evidenceType]: select(item.tags.evidenceType),
          [R.link]: { url: item.link },
          [R.given]: { date: { start: new Date(item.at).toISOString() } },
          ...owned,
        };
  return { properties: full, fingerprint: fnv1a(JSON.stringify(full)).toString(16) };
}

/** Items whose row does not show what it should (or does not exist yet). */
export function unpublished(backlog: Backlog, context: InsightsContext): InsightItem[] {
  if (!context.notion.insights) return [];
  return backlog.data.items.filter((item) => item.published !== rowOf(item, backlog, context).fingerprint);
}

/**
 * Writes up to ROWS_PER_TURN rows. A row that could not be written after the activity's retries
 * is noted and left until the item changes again, so one broken row never stalls the rest.
 */
export async function publishRows(
  backlog: Backlog,
  context: InsightsContext,
  effects: BacklogEffects,
): Promise<{ written: number; remaining: number }> {
  const dataSourceId = context.notion.insights;
  const due = unpublished(backlog, context);
  if (!dataSourceId || due.length === 0) return { written: 0, remaining: 0 };
  const batch = due.slice(0, ROWS_PER_TURN);
  let written = 0;
  await Promise.all(
    batch.map(async (item) => {
      const { properties, fingerprint } = rowOf(item, backlog, context);
      const failed = (cause: string) =>
        effects.note(`could not write the Notion row of ${item.id}: ${cause}`);
      if (item.pageId === null) {
        const created = await attempt(
          () =>
            effects.notion.upsertPage({
              idempotencyKey: insightRowKey(item.key),
              dataSourceId,
              properties: {
                ...properties,
                ...(item.text ? { [INSIGHT_ROW.text]: { rich_text: item.text } } : {}),
              },
            }),
          failed,
        );
        if (created) {
          item.pageId = created.id;
          backlog.forgetText(item.id);
          written++;
        }
      } else {
        const updated = await attempt(
          () => effects.notion.updatePage({ pageId: item.pageId!, properties }),
          failed,
        );
        if (updated) {
          // The row holds the text (the person typed it there, or the create wrote it).
          backlog.forgetText(item.id);
          written++;
        }
      }
      item.published = fingerprint;
    }),
  );
  return { written, remaining: due.length - batch.length };
}
