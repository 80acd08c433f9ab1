/** What a route of the Notion event workflow is: the data source it serves and how it handles a page. */
import type { DispatchActivities } from '../../activities/dispatch';
import type { NotionActivities, NotionPage } from '../../activities/notion';
import type { NotionEventInput, NotionEventOutcome, NotionRouteKind } from './messages';

/** What a route may call: Notion (on its rate-limited queue) and signal-with-start. */
export interface RouteActivities {
  notion: Pick<NotionActivities, 'getPage' | 'listUsers'>;
  dispatch: Pick<DispatchActivities, 'signalWithStartWorkflow'>;
}

export interface NotionRoute {
  kind: NotionRouteKind;
  handle(page: NotionPage, input: NotionEventInput, activities: RouteActivities): Promise<NotionEventOutcome>;
}

export const ignore = (
  page: NotionPage,
  route: NotionRouteKind | null,
  detail: string,
): NotionEventOutcome => ({
  pageId: page.id,
  route,
  outcome: 'ignored',
  detail,
});
