/**
 * Every activity that calls a vendor, counted by system and outcome; a permanent refusal is also
 * logged as an error with the workflow it belongs to (the SDK logs every failed attempt as a
 * warning already). An activity throws what activities/errors.ts made of the
 * vendor's answer, so the outcome is read from that:
 *
 * - `ok`: it returned;
 * - `rate-limited`: the vendor answered 429 (`RateLimited`), retried after its Retry-After;
 * - `non-retryable`: a permanent refusal (400, 401, 403, 404, 409, 422 …): the workflow decides;
 * - `retryable`: a 5xx, a network error, anything else Temporal retries.
 *
 * Served as `prodops_vendor_calls_total{system,outcome,activity_type,task_queue,namespace}`. A
 * cancelled activity is not a vendor's answer and is not counted.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, type MetricMeter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ErrorTypes } from '../activities/errors';
import type { ActivitySystem } from '../domain/task-queues';

export type VendorCallOutcome = 'ok' | 'retryable' | 'non-retryable' | 'rate-limited';

/** The outcome of a failed attempt; undefined when it was cancelled rather than answered. */
export function vendorCallOutcome(error: unknown): Exclude<VendorCallOutcome, 'ok'> | undefined {
  if (error instanceof CancelledFailure) return undefined;
  if (error instanceof ApplicationFailure) {
    if (error.type === ErrorTypes.rateLimited) return 'rate-limited';
    if (error.nonRetryable) return 'non-retryable';
  }
  return 'retryable';
}

/** The interceptor for the activities of one system's worker. */
export function vendorCallInterceptors(
  system: ActivitySystem,
  meter: MetricMeter,
): ActivityInterceptorsFactory {
  const calls = meter.createCounter(
    'prodops_vendor_calls',
    'calls',
    'Activity attempts that call a vendor, by system and outcome',
  );
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const tags = {
          system,
          activity_type: info.activityType,
          task_queue: info.taskQueue,
          namespace: info.activityNamespace,
        };
        try {
          const result = await next(input);
          calls.add(1, { ...tags, outcome: 'ok' });
          return result;
        } catch (error) {
          const outcome = vendorCallOutcome(error);
          if (outcome) calls.add(1, { ...tags, outcome });
          // A permanent refusal is the workflow's to handle, and someone's to look at.
          if (outcome === 'non-retryable')
            ctx.log.error(
              `${system} refused ${info.activityType}: ${error instanceof Error ? error.message : String(error)}`,
              {
                system,
                outcome,
                attempt: info.attempt,
                errorType: error instanceof ApplicationFailure ? error.type : undefined,
              },
            );
          throw error;
        }
      },
    },
  });
}
