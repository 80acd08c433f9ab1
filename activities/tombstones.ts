/**
 * Leaves a finished release's tombstone (workflows/release/tombstone.ts), through the worker's
 * Temporal client: workflow code cannot start a workflow that outlives it without becoming its
 * parent.
 */
import { activityInfo, getClient } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { RELEASE_TOMBSTONE_TYPE, releaseTombstoneId } from '../contracts/ids';
import type { ReleaseTombstone } from '../workflows/release/messages';

export interface TombstoneActivityDeps {
  /** A client of the namespace; the worker's own by default. */
  temporal?: Client;
}

export function createTombstoneActivities(deps: TombstoneActivityDeps = {}) {
  return {
    /** Starts the tombstone once; a tombstone already there is left as it is. */
    async recordReleaseTombstone(tombstone: ReleaseTombstone): Promise<{ workflowId: string }> {
      const client = deps.temporal ?? getClient();
      const workflowId = releaseTombstoneId(tombstone.issueKey);
      await client.workflow.start(RELEASE_TOMBSTONE_TYPE, {
        workflowId,
        taskQueue: activityInfo().taskQueue,
        args: [tombstone],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      return { workflowId };
    },
  };
}
