/**
 * The route of the `weeklyUpdates` data source: a contributor's weekly update page ticked Ready
 * tells that week's update, with the author the signed event vouches for (the workflow refuses
 * a tick by anyone but the page's person). A week already over hands the tick to the week
 * after, where it rolls in.
 */
import { getExternalWorkflowHandle, log } from '@temporalio/workflow';
import { addWeeks, isIsoWeek } from '../../domain/rituals';
import { contributionReady, weeklyUpdateWorkflowId } from '../weekly-update/messages';
import type { NotionEventInput } from './messages';
import { ignore, personAuthorIds, sameNotionId, type NotionRoute, type RouteActivities } from './route';

/**
 * The person the event's author is, by their Notion account's email; null (with why) when the
 * event names no single person of the configuration.
 */
async function authorOf(
  input: NotionEventInput,
  activities: RouteActivities,
): Promise<{ personId: string | null; why: string }> {
  const authors = personAuthorIds(input);
  if (authors.length !== 1)
    return {
      personId: null,
      why: authors.length === 0 ? 'no person authored the change' : 'several people edited the page at once',
    };
  const { users } = await activities.notion.listUsers();
  const user = users.find((u) => sameNotionId(u.id, authors[0]));
  if (!user?.email) return { personId: null, why: 'the author has no email in Notion' };
  const { personId } = await activities.people.personForEmail({ email: user.email });
  return personId
    ? { personId, why: '' }
    : { personId: null, why: `${user.email} is not a person in the configuration` };
}

export const weeklyUpdates: NotionRoute = {
  kind: 'weeklyUpdates',
  async handle(page, input, activities) {
    if (page.properties.Ready !== true) return ignore(page, this.kind, 'Ready is not ticked');
    const week = typeof page.properties.Week === 'string' ? page.properties.Week.trim() : '';
    const personId = typeof page.properties.Person === 'string' ? page.properties.Person.trim() : '';
    if (!isIsoWeek(week)) return ignore(page, this.kind, `Week is ${JSON.stringify(week)}, not an ISO week`);
    if (personId === '') return ignore(page, this.kind, 'the page names no Person');
    const author = await authorOf(input, activities);
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
