/**
 * The Notion event workflow's contract. A Notion webhook names a page, not what changed, so the
 * function starts one short workflow per event (its id is the event id, which makes a
 * redelivery a no-op); the workflow reads the page and routes it by the data source it is a
 * row of.
 */
export const NOTION_EVENT_WORKFLOW_TYPE = 'notionEventWorkflow';

export { notionEventWorkflowId } from '../../contracts/ids';

/** The data sources that have a route, by their name under `integrations.notion.dataSources`. */
export type NotionRouteKind =
  | 'enablementBundles'
  | 'weeklyUpdates'
  | 'insights'
  | 'insightThemes'
  | 'subscriptions'
  | 'freelancers'
  | 'checkIns';

/** Who made the change, as the signed event names them: Notion users (`person`) or integrations (`bot`). */
export interface NotionEventAuthor {
  id: string;
  type: string;
}

export interface NotionEventInput {
  /** Notion's event id: also the delivery id of the signals it leads to. */
  eventId: string;
  /** For example `page.properties_updated`. */
  eventType: string;
  pageId: string;
  /** The event's `timestamp`, ms since the epoch. */
  occurredAt: number;
  /** The configured data source ids, so the workflow needs no configuration of its own. */
  dataSources: Partial<Record<NotionRouteKind, string>>;
  /**
   * The event's authors: the identity behind a confirmation made in Notion, such as a Ready
   * tick. Absent in events recorded before they were carried; events recorded while they were
   * carried as bare person ids hold strings (routes read them with `personAuthorIds`).
   */
  authors?: NotionEventAuthor[];
  /** How many backlog shards the insights route spreads accounts over (insights.backlog.shards). */
  insightShards?: number;
}

export interface NotionEventOutcome {
  pageId: string;
  /** The route taken, or null when the page is in no routed data source. */
  route: NotionRouteKind | null;
  outcome: 'signalled' | 'ignored';
  /** What was signalled, or why nothing was. */
  detail: string;
}
