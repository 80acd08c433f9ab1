/**
 * Keeps the month's "Product Ops metrics" page current: started by the daily schedule when no run
 * is going (normally on the first; the next day when the first was missed; at once by setup), it
 * refreshes last month's page once more (its last day is over now), then this month's every day
 * at the configured time until the month ends; a run started before that time on its first day
 * (setup at night) makes this month's page at once too. Each refresh is one measurement and one upsert
 * keyed by the month, so a re-run, a late start or a retry updates the same page.
 */
import { log, patched, setHandler, sleep } from '@temporalio/workflow';
import type { NotionActivities } from '../../activities/notion';
import type { RitualActivities } from '../../activities/rituals';
import { addCalendarDays, zonedDateTimeToInstant } from '../../domain/business-calendar';
import { metricsDocument, metricsProperties } from '../../domain/metrics-content';
import { monthOf, previousMonth } from '../../domain/rituals';
import { activitiesFor } from '../activity-options';
import { attempt, note } from '../entity-loop';
import { metricsStatus, type MetricsInput, type MetricsStatus } from './messages';

/** Patch: a run started before the day's refresh time makes this month's page at once. */
export const PAGE_AT_ONCE_PATCH = 'metrics-page-at-once';

export async function productOpsMetricsWorkflow(input: MetricsInput = {}): Promise<MetricsStatus> {
  const rituals = activitiesFor<RitualActivities>(null);
  const notion = activitiesFor<NotionActivities>('notion');
  const state: MetricsStatus = { month: input.month ?? null, pages: [], log: [] };
  setHandler(metricsStatus, () => ({ ...state, pages: state.pages.map((p) => ({ ...p })) }));

  const context = await rituals.loadMetricsContext({ at: Date.now() });
  const dataSourceId = context.dataSourceId;
  if (!context.enabled || !dataSourceId) {
    note(
      state,
      context.enabled
        ? 'no metrics data source is configured (integrations.notion.dataSources.metrics)'
        : 'rituals.metrics.monthlyPage is false',
      {},
    );
    return state;
  }
  const month = input.month ?? monthOf(context.today);
  state.month = month;

  async function refresh(which: string, final: boolean): Promise<void> {
    const report = await rituals.measureMonth({ month: which, at: Date.now() });
    const refreshedAt = new Date(Date.now()).toISOString();
    const page = await attempt(
      () =>
        notion.upsertPage({
          idempotencyKey: `metrics:${which}`,
          dataSourceId: dataSourceId!,
          properties: metricsProperties(which, report, refreshedAt),
          content: metricsDocument(which),
        }),
      (cause) => note(state, `could not refresh the ${which} page: ${cause}`, { month: which }),
    );
    if (!page) return;
    const record = { month: which, pageId: page.id, url: page.url, refreshedAt, final };
    state.pages = [...state.pages.filter((p) => p.month !== which), record];
  }

  if (!input.month) await refresh(previousMonth(month), true);
  for (let day = context.today; monthOf(day) === month; day = addCalendarDays(day, 1)) {
    const at = Date.parse(zonedDateTimeToInstant(day, context.refreshAt, context.timezone));
    if (at > Date.now()) {
      // A namespace set up at night has its page straight away, not at the first refresh time.
      const pageMissing = !state.pages.some((p) => p.month === month);
      if (day === context.today && pageMissing && patched(PAGE_AT_ONCE_PATCH)) await refresh(month, false);
      await sleep(at - Date.now());
    }
    await refresh(month, false);
  }
  log.info('metrics month closed', { month });
  return state;
}
