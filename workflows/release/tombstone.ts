/**
 * The tombstone of a finished release (`release-tombstone:<KEY>`): a workflow that stays open and
 * does nothing, so that what Temporal keeps beyond the release's retention still says the release
 * ended. The Jira trigger looks for it before a webhook may start the release again; a person
 * starts it again on purpose by terminating the tombstone first.
 */
import { condition, setHandler, upsertMemo } from '@temporalio/workflow';
import { releaseTombstone, type ReleaseTombstone } from './messages';

export async function releaseTombstoneWorkflow(tombstone: ReleaseTombstone): Promise<void> {
  setHandler(releaseTombstone, () => ({ ...tombstone }));
  // In the memo too, so that `describe` and the Web UI show how the release ended without a worker.
  upsertMemo({ releaseEnded: tombstone });
  // Nothing ever wakes it: no timer, no activity; it costs a row, not a worker.
  await condition(() => false);
}
