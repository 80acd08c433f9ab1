/**
 * One Notion webhook event: read the page it names and route it by the data source the page is
 * a row of. Routes live in one table, so a new data source (subscriptions, for renewals) is one
 * more entry. The workflow's id is the event id: a redelivered event finds it already run.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { DispatchActivities } from '../../activities/dispatch';
import type { NotionActivities, NotionPage } from '../../activities/notion';
import type { RitualActivities } from '../../activities/rituals';
import { activityTaskQueue } from '../../domain/task-queues';
import { bundlePublished, releaseWorkflowId } from '../release/messages';
import type { NotionEventInput, NotionEventOutcome } from './messages';
import { ignore, sameNotionId, type NotionRoute } from './route';
import { insightThemes, insights } from './insight-routes';
import { freelancers } from './freelancer-route';
import { subscriptions } from './subscription-route';
import { weeklyUpdates } from './weekly-update-route';
import { checkIns } from './check-in-route';
import { RELEASE_KEY } from './release-key';

/** An enablement bundle set to Published tells its release, named by the page's Release property. */
const enablementBundles: NotionRoute = {
  kind: 'enablementBundles',
  async handle(page, input) {
    const status = page.properties.Status;
    if (status !== 'Published')
      return ignore(
        page,
        this.kind,
        `Status is ${status === null || status === undefined ? 'empty' : JSON.stringify(status)}, not Published`,
      );
    const title = typeof page.properties.Name === 'string' ? page.properties.Name : '';
    // Without a retros data source the release writes its Day-14 retro page here too.
    if (title.startsWith('Day-14 retro')) return ignore(page, this.kind, 'a retro page, not a bundle');
    const key = typeof page.properties.Release === 'string' ? page.properties.Release.trim() : '';
    if (!RELEASE_KEY.test(key))
      return ignore(page, this.kind, `Release is ${JSON.stringify(key)}, not a Jira issue key`);
    const workflowId = releaseWorkflowId(key);
    try {
      // The page id: the release counts it only for its own bundle page, read again in Notion.
      await getExternalWorkflowHandle(workflowId).signal(bundlePublished, {
        occurredAt: input.occurredAt,
        deliveryId: `notion:${input.eventId}`,
        pageId: page.id,
      });
    } catch (error) {
      log.info('bundle published for a release that is not running', { workflowId, error: String(error) });
      return ignore(page, this.kind, `${workflowId} is not running`);
    }
    return {
      pageId: page.id,
      route: this.kind,
      outcome: 'signalled',
      detail: `bundlePublished to ${workflowId}`,
    };
  },
};

/** Extend here: the first route whose data source holds the page handles it. */
export const NOTION_ROUTES: readonly NotionRoute[] = [
  weeklyUpdates,
  enablementBundles,
  insights,
  insightThemes,
  subscriptions,
  freelancers,
  checkIns,
];

const GONE = new Set(['NotFound', 'Forbidden', 'Unauthorized', 'InvalidInput', 'Gone']);

export async function notionEventWorkflow(input: NotionEventInput): Promise<NotionEventOutcome> {
  const base = workflowInfo().taskQueue;
  const options = {
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 hour',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  } as const;
  const notion = proxyActivities<Pick<NotionActivities, 'getPage' | 'listUsers'>>({
    taskQueue: activityTaskQueue(base, 'notion'),
    ...options,
  });
  const dispatch = proxyActivities<Pick<DispatchActivities, 'signalWithStartWorkflow'>>({
    taskQueue: base,
    ...options,
  });
  const people = proxyActivities<Pick<RitualActivities, 'personForEmail'>>({ taskQueue: base, ...options });

  let page: NotionPage;
  try {
    page = await notion.getPage({ pageId: input.pageId });
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type && GONE.has(cause.type)) {
      return {
        pageId: input.pageId,
        route: null,
        outcome: 'ignored',
        detail: `the page cannot be read (${cause.type}): deleted, or not shared with the integration`,
      };
    }
    throw error;
  }
  if (page.inTrash) return ignore(page, null, 'the page is in the trash');
  const route = NOTION_ROUTES.find((r) => sameNotionId(input.dataSources[r.kind], page.dataSourceId));
  if (!route) return ignore(page, null, 'the page is in no data source prodops routes');
  return route.handle(page, input, { notion, dispatch, people });
}
