/**
 * The route of the `checkIns` data source: an edit of a release's Day-3 check-in page tells that
 * release, with the people the signed event names as its authors. The release reads the page
 * itself and counts the answer only for the Support or the Sales lead who made the change, in
 * their own team's property; anyone else is refused there and kept on its record.
 */
import { getExternalWorkflowHandle, log } from '@temporalio/workflow';
import { checkInEdited, releaseWorkflowId } from '../release/messages';
import { RELEASE_KEY } from './release-key';
import { ignore, personAuthorIds, type NotionRoute } from './route';

export const checkIns: NotionRoute = {
  kind: 'checkIns',
  async handle(page, input) {
    const authors = personAuthorIds(input);
    // prodops making the page, or an integration writing to it, answers nothing.
    if (authors.length === 0) return ignore(page, this.kind, 'no person made the change');
    const key = typeof page.properties.Release === 'string' ? page.properties.Release.trim() : '';
    if (!RELEASE_KEY.test(key))
      return ignore(page, this.kind, `Release is ${JSON.stringify(key)}, not a Jira issue key`);
    const workflowId = releaseWorkflowId(key);
    try {
      await getExternalWorkflowHandle(workflowId).signal(checkInEdited, {
        pageId: page.id,
        authors,
        occurredAt: input.occurredAt,
        deliveryId: `notion:${input.eventId}`,
      });
    } catch (error) {
      log.info('check-in edited for a release that is not running', { workflowId, error: String(error) });
      return ignore(page, this.kind, `${workflowId} is not running`);
    }
    return {
      pageId: page.id,
      route: this.kind,
      outcome: 'signalled',
      detail: `checkInEdited to ${workflowId} by Notion user ${authors.join(', ')}`,
    };
  },
};
