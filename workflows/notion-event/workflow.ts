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
import type { NotionActivities, NotionPage } from '../../activities/notion';
import type { RitualActivities } from '../../activities/rituals';
import { addWeeks, isIsoWeek } from '../../domain/rituals';
import { activityTaskQueue } from '../../domain/task-queues';
import { bundlePublished, releaseWorkflowId } from '../release/messages';
import { contributionReady, weeklyUpdateWorkflowId } from '../weekly-update/messages';
import type { NotionEventInput, NotionEventOutcome, NotionRouteKind } from './messages';

interface NotionRoute {
  kind: NotionRouteKind;
  handle(page: NotionPage, input: NotionEventInput): Promise<NotionEventOutcome>;
}

const RELEASE_KEY = /^[A-Z][A-Z0-9_]{0,49}-[1-9]\d{0,9}$/;

const ignore = (page: NotionPage, route: NotionRouteKind | null, detail: string): NotionEventOutcome => ({
  pageId: page.id,
  route,
  outcome: 'ignored',
  detail,
});

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
      await getExternalWorkflowHandle(workflowId).signal(bundlePublished, {
        occurredAt: input.occurredAt,
        deliveryId: `notion:${input.eventId}`,
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

/**
 * The person the event's author is, by their Notion account's email; null (with why) when the
 * event names no single person of the configuration.
 */
async function authorOf(input: NotionEventInput): Promise<{ personId: string | null; why: string }> {
  const authors = input.authors ?? [];
  if (authors.length !== 1)
    return {
      personId: null,
      why: authors.length === 0 ? 'no person authored the change' : 'several people edited the page at once',
    };
  const { users } = await notionActivities().listUsers();
  const user = users.find((u) => sameNotionId(u.id, authors[0]));
  if (!user?.email) return { personId: null, why: 'the author has no email in Notion' };
  const { personId } = await coreActivities().personForEmail({ email: user.email });
  return personId
    ? { personId, why: '' }
    : { personId: null, why: `${user.email} is not a person in the configuration` };
}

/**
 * A contributor's weekly update page ticked Ready tells that week's update, with the author
 * the signed event vouches for (the workflow refuses a tick by anyone but the page's person).
 * A week already over hands the tick to the week after, where it rolls in.
 */
const weeklyUpdates: NotionRoute = {
  kind: 'weeklyUpdates',
  async handle(page, input) {
    if (page.properties.Ready !== true) return ignore(page, this.kind, 'Ready is not ticked');
    const week = typeof page.properties.Week === 'string' ? page.properties.Week.trim() : '';
    const personId = typeof page.properties.Person === 'string' ? page.properties.Person.trim() : '';
    if (!isIsoWeek(week)) return ignore(page, this.kind, `Week is ${JSON.stringify(week)}, not an ISO week`);
    if (personId === '') return ignore(page, this.kind, 'the page names no Person');
    const author = await authorOf(input);
    const event = {
      week,
      personId,
      by: author.personId,
      pageId: page.id,
      occurredAt: input.occurredAt,
      deliveryId: `notion:${input.eventId}`,
    };
    for (const target of [week, addWeeks(week, 1)]) {
      const workflowId = weeklyUpdateWorkflowId(target);
      try {
        await getExternalWorkflowHandle(workflowId).signal(contributionReady, event);
      } catch (error) {
        log.info('weekly update not running', { workflowId, error: String(error) });
        continue;
      }
      return {
        pageId: page.id,
        route: this.kind,
        outcome: 'signalled',
        detail: `contributionReady to ${workflowId}${author.personId ? ` by ${author.personId}` : `, authored by nobody it can name (${author.why})`}`,
      };
    }
    return ignore(page, this.kind, `neither ${week} nor the week after has a running weekly update`);
  },
};

/** Extend here: the first route whose data source holds the page handles it. */
export const NOTION_ROUTES: readonly NotionRoute[] = [weeklyUpdates, enablementBundles];

const notionActivities = () =>
  proxyActivities<Pick<NotionActivities, 'getPage' | 'listUsers'>>({
    taskQueue: activityTaskQueue(workflowInfo().taskQueue, 'notion'),
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 hour',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

const coreActivities = () =>
  proxyActivities<Pick<RitualActivities, 'personForEmail'>>({
    taskQueue: workflowInfo().taskQueue,
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 hour',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

/** Notion ids with and without dashes name the same object. */
const sameNotionId = (a: string | null | undefined, b: string | null | undefined): boolean =>
  typeof a === 'string' &&
  typeof b === 'string' &&
  a.replace(/-/g, '').toLowerCase() === b.replace(/-/g, '').toLowerCase();

const GONE = new Set(['NotFound', 'Forbidden', 'Unauthorized', 'InvalidInput', 'Gone']);

export async function notionEventWorkflow(input: NotionEventInput): Promise<NotionEventOutcome> {
  const base = workflowInfo().taskQueue;
  const notion = proxyActivities<Pick<NotionActivities, 'getPage'>>({
    taskQueue: activityTaskQueue(base, 'notion'),
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 hour',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

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
  return route.handle(page, input);
}
