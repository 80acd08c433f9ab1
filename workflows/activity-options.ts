/**
 * How workflows reach activities: each external system's activities on its own rate-limited
 * task queue beside the workflow's (`<queue>-jira`, …), core activities on the workflow's own.
 */
import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import { activityTaskQueue, type ActivitySystem } from '../domain/task-queues';

/**
 * An outage of hours must not break a promise made weeks ago; a day of retries then stops. The
 * same for activities on a queue and local ones.
 */
const PATIENCE = {
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
} as const;

export function activitiesFor<T>(system: ActivitySystem | null) {
  const base = workflowInfo().taskQueue.replace(/-(jira|notion|google)$/, '');
  return proxyActivities<T>({
    taskQueue: system ? activityTaskQueue(base, system) : base,
    startToCloseTimeout: '1 minute',
    // Every attempt heartbeats while it runs (workers/liveness.ts): a worker that dies mid-call
    // is noticed within 20 s and the call retried elsewhere, not after the whole minute.
    heartbeatTimeout: '20 seconds',
    ...PATIENCE,
  });
}

/**
 * Core activities run as local activities, in the worker that runs the workflow: for a quick
 * look-up in the worker's own configuration, which needs no task queue of its own, no round trip
 * through the server and no workflow task to take the result (a marker in the history instead).
 */
export function localActivitiesFor<T>() {
  return proxyLocalActivities<T>({
    startToCloseTimeout: '1 minute',
    ...PATIENCE,
  });
}
