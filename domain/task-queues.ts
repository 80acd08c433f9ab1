/**
 * Task queues: workflows run on the base queue; each external system's activities run on a
 * queue of their own, so that the server can cap requests per second per system for every
 * worker at once (maxTaskQueueActivitiesPerSecond).
 */
export type ActivitySystem = 'jira' | 'notion' | 'google';

export const ACTIVITY_SYSTEMS: readonly ActivitySystem[] = ['jira', 'notion', 'google'];

export function activityTaskQueue(base: string, system: ActivitySystem): string {
  return `${base}-${system}`;
}
