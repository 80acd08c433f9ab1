/**
 * The route of the `subscriptions` data source: a subscription page created or changed in Notion
 * starts or signals its workflow, `subscription:<id>`, with what the page now says. The id is the
 * one in the page's `prodops key` (a subscription added with `prodops renewal add` carries
 * `subscription:<id>`), otherwise the page's own id without dashes. People are read as their
 * emails, so the workflow checks them against the configuration; the author of the change is
 * the person the signed event names. Changes made by integrations (prodops writing back its own
 * cells) are not sent on: the workflow made them.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { NotionPage } from '../../activities/notion';
import {
  NOTION_PROPERTIES,
  NOTION_WRITTEN_PROPERTIES,
  type RawSubscription,
} from '../../domain/subscription';
import {
  RENEWAL_WORKFLOW_TYPE,
  subscriptionPageChanged,
  subscriptionWorkflowId,
  SUBSCRIPTION_ID,
  type SubscriptionPageEvent,
} from '../renewal/messages';
import type { NotionEventOutcome } from './messages';
import { ignore, type NotionRoute } from './route';
import { NOTION_KEY_PROPERTY } from '../../contracts/stamps';

const plainId = (id: string) => id.replace(/-/g, '').toLowerCase();

function dateStart(value: unknown): string | null {
  if (value && typeof value === 'object' && 'start' in value && typeof value.start === 'string')
    return value.start;
  return typeof value === 'string' ? value : null;
}

/** The subscription id a page belongs to. */
export function subscriptionIdOf(page: NotionPage): string {
  const key = page.properties[NOTION_KEY_PROPERTY];
  const match = typeof key === 'string' ? /^subscription:(.+)$/.exec(key.trim()) : null;
  if (match && SUBSCRIPTION_ID.test(match[1]!)) return match[1]!;
  return plainId(page.id);
}

/** The page as the renewal workflow reads it; people given as emails by `emailOf`. */
export function pageEvent(
  page: NotionPage,
  emailOf: (userId: string) => string | undefined,
  event: { eventId: string; occurredAt: number; authorIds: string[] },
): SubscriptionPageEvent {
  const p = page.properties;
  const P = NOTION_PROPERTIES;
  const W = NOTION_WRITTEN_PROPERTIES;
  const owners = Array.isArray(p[P.owner]) ? (p[P.owner] as string[]) : [];
  const fields: RawSubscription = {
    tool: p[P.tool],
    vendor: p[P.vendor],
    // Someone Notion knows but whose email it does not share cannot be matched: say who it was.
    owner: owners.length > 0 ? (emailOf(owners[0]!) ?? `notion user ${owners[0]}`) : null,
    team: p[P.team],
    category: p[P.category],
    costPerCycle: p[P.costPerCycle],
    currency: p[P.currency],
    cycle: p[P.cycle],
    renewalDate: dateStart(p[P.renewalDate]),
    noticeDays: p[P.noticeDays],
    autoRenews: p[P.autoRenews],
    seats: p[P.seats],
    seatsInUse: p[P.seatsInUse],
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const author = event.authorIds.map(emailOf).find((e) => e !== undefined) ?? null;
  return {
    pageId: page.id,
    fields,
    decision: text(p[P.decision]),
    written: {
      noticeDeadline: dateStart(p[W.noticeDeadline]),
      status: text(p[W.status]),
      annualCost: typeof p[W.annualCost] === 'number' ? (p[W.annualCost] as number) : null,
      problems: text(p[W.problems]),
    },
    author,
    occurredAt: event.occurredAt,
    deliveryId: `notion:${event.eventId}`,
  };
}

export const subscriptions: NotionRoute = {
  kind: 'subscriptions',
  async handle(page, input, activities): Promise<NotionEventOutcome> {
    const authors = input.authors ?? [];
    if (authors.length > 0 && authors.every((a) => a.type === 'bot'))
      return ignore(page, this.kind, 'changed by an integration (prodops writes back its own cells)');
    const subscriptionId = subscriptionIdOf(page);
    const owners = Array.isArray(page.properties[NOTION_PROPERTIES.owner])
      ? (page.properties[NOTION_PROPERTIES.owner] as string[])
      : [];
    const authorIds = authors.filter((a) => a.type === 'person').map((a) => a.id);
    const emails = new Map<string, string>();
    if (owners.length > 0 || authorIds.length > 0) {
      const { users } = await activities.notion.listUsers();
      for (const user of users) if (user.email) emails.set(plainId(user.id), user.email);
    }
    const event = pageEvent(page, (id) => emails.get(plainId(id)), {
      eventId: input.eventId,
      occurredAt: input.occurredAt,
      authorIds,
    });
    const workflowId = subscriptionWorkflowId(subscriptionId);
    await activities.dispatch.signalWithStartWorkflow({
      workflowType: RENEWAL_WORKFLOW_TYPE,
      workflowId,
      taskQueue: workflowInfo().taskQueue,
      args: [{ subscriptionId }],
      signal: subscriptionPageChanged.name,
      signalArgs: [event],
    });
    return {
      pageId: page.id,
      route: this.kind,
      outcome: 'signalled',
      detail: `${subscriptionPageChanged.name} to ${workflowId}`,
    };
  },
};
