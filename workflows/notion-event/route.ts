/** What a route of the Notion event workflow is: the data source it serves and how it handles a page. */
import type { DispatchActivities } from '../../activities/dispatch';
import type { NotionActivities, NotionPage } from '../../activities/notion';
import type { RitualActivities } from '../../activities/rituals';
import type { NotionEventInput, NotionEventOutcome, NotionRouteKind } from './messages';

/** What a route may call: Notion (on its rate-limited queue), signal-with-start, and who a person is. */
export interface RouteActivities {
  notion: Pick<NotionActivities, 'getPage' | 'listUsers'>;
  dispatch: Pick<DispatchActivities, 'signalWithStartWorkflow'>;
  people: Pick<RitualActivities, 'personForEmail'>;
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

/** Notion ids with and without dashes name the same object. */
export const sameNotionId = (a: string | null | undefined, b: string | null | undefined): boolean =>
  typeof a === 'string' &&
  typeof b === 'string' &&
  a.replace(/-/g, '').toLowerCase() === b.replace(/-/g, '').toLowerCase();

/**
 * The ids of the people among the event's authors. Events recorded while authors were carried
 * as bare ids (people only, bots already left out) hold strings: a string is a person's id; an
 * object counts only when its type is `person`.
 */
export function personAuthorIds(input: NotionEventInput): string[] {
  const authors: readonly unknown[] = input.authors ?? [];
  const ids: string[] = [];
  for (const author of authors) {
    if (typeof author === 'string') ids.push(author);
    else if (
      author !== null &&
      typeof author === 'object' &&
      'type' in author &&
      author.type === 'person' &&
      'id' in author &&
      typeof author.id === 'string'
    )
      ids.push(author.id);
  }
  return ids;
}
