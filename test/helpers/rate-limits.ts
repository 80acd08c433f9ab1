/**
 * The server-side rate limit of an activity queue, as the matching service holds it per
 * partition.
 */
import type { Client } from '@temporalio/client';

// temporal.api.enums.v1 values, by name.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/**
 * Waits until every partition of the activity queue `queue` enforces `limit`, and returns how
 * many partitions it has.
 *
 * Each partition learns the limit from the first poll it receives; until then it dispatches at
 * the server's default (100,000/s). Tasks added to a partition no worker has polled yet would
 * escape the limit, so a burst should start only once every partition reports it.
 */
export async function partitionsEnforcing(
  client: Client,
  namespace: string,
  queue: string,
  limit: number,
  timeoutMs = 30_000,
): Promise<number> {
  const { activityTaskQueuePartitions } = await client.workflowService.listTaskQueuePartitions({
    namespace,
    taskQueue: { name: queue, kind: TASK_QUEUE_KIND_NORMAL },
  });
  const partitions = activityTaskQueuePartitions.map((partition) => partition.key ?? queue);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The legacy describe reports one partition's limit, scaled back up to the whole queue.
    const rates = await Promise.all(
      partitions.map(async (partition) => {
        const described = await client.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: partition, kind: TASK_QUEUE_KIND_NORMAL },
          taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
          includeTaskQueueStatus: true,
        });
        return described.taskQueueStatus?.ratePerSecond;
      }),
    );
    if (rates.every((rate) => rate === limit)) return partitions.length;
    if (Date.now() > deadline) {
      throw new Error(`${queue}: partitions still report ${rates.join(', ')} tasks/s instead of ${limit}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
