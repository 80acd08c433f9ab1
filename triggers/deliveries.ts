/**
 * What became of each delivery, in one shape for the log and the metrics, whichever host runs
 * the function (the gateway or the Functions Framework): the vendor, the answer's status, an
 * outcome an on-call engineer can count, the vendor's delivery id and the workflows it reached.
 *
 * - `accepted`: handed to Temporal (started or signalled a workflow);
 * - `duplicate`: a delivery already handed over, answered from memory or found started;
 * - `ignored`: authentic and well formed, but nothing prodops follows (2xx, so no retry);
 * - `refused`: unsigned, wrongly signed, malformed, too large, not JSON (4xx);
 * - `unavailable`: Temporal could not take it (503: the vendor delivers again);
 * - `failed`: anything else (500).
 */
import type { MetricMeter } from '@temporalio/common';
import type { TriggerName } from './endpoints';
import type { TriggerResponse } from './http';

export type DeliveryOutcome = 'accepted' | 'duplicate' | 'ignored' | 'refused' | 'unavailable' | 'failed';

export interface Delivery {
  vendor: TriggerName;
  status: number;
  outcome: DeliveryOutcome;
  /** The vendor's id of the delivery, when the function got as far as reading it. */
  deliveryId?: string;
  /** The workflows it started or signalled. */
  workflowIds: string[];
  /** Why it was refused or ignored, as the answer says it. */
  reason?: string;
  durationMs: number;
}

export type DeliveryObserver = (delivery: Delivery) => void;

function workflowIdsOf(body: Record<string, unknown>): string[] {
  const ids = new Set<string>();
  if (typeof body.workflowId === 'string') ids.add(body.workflowId);
  if (Array.isArray(body.results))
    for (const result of body.results as unknown[])
      if (
        result &&
        typeof result === 'object' &&
        typeof (result as { workflowId?: unknown }).workflowId === 'string'
      )
        ids.add((result as { workflowId: string }).workflowId);
  return [...ids];
}

/** Reads a function's answer as a delivery. */
export function describeDelivery(
  vendor: TriggerName,
  response: TriggerResponse,
  durationMs: number,
): Delivery {
  const { status, body } = response;
  const workflowIds = workflowIdsOf(body);
  let outcome: DeliveryOutcome;
  if (status >= 200 && status < 300) {
    if (body.duplicate === true) outcome = 'duplicate';
    else if (workflowIds.length === 0) outcome = 'ignored';
    else outcome = 'accepted';
  } else if (status === 503) outcome = 'unavailable';
  else if (status >= 400 && status < 500) outcome = 'refused';
  else outcome = 'failed';
  const reason =
    typeof body.error === 'string' ? body.error : typeof body.ignored === 'string' ? body.ignored : undefined;
  return {
    vendor,
    status,
    outcome,
    ...(typeof body.delivery === 'string' ? { deliveryId: body.delivery } : {}),
    workflowIds,
    ...(reason !== undefined ? { reason: reason.slice(0, 300) } : {}),
    durationMs,
  };
}

/** A log line per delivery: refusals and failures stand out, the rest is the record of what came. */
export function logDeliveries(logger: {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}): DeliveryObserver {
  return (delivery) => {
    const level =
      delivery.outcome === 'failed' || delivery.outcome === 'unavailable'
        ? 'error'
        : delivery.outcome === 'refused'
          ? 'warn'
          : 'info';
    logger[level](
      { ...delivery, durationMs: Math.round(delivery.durationMs) },
      `delivery ${delivery.outcome}`,
    );
  };
}

/**
 * Counts deliveries on a Temporal Runtime's meter (runtime/telemetry.ts), served as
 * `prodops_deliveries_total{vendor,outcome,status}` and `prodops_delivery_duration_seconds{vendor,outcome}`.
 */
export function countDeliveries(meter: MetricMeter): DeliveryObserver {
  const deliveries = meter.createCounter(
    'prodops_deliveries',
    'deliveries',
    'Webhook deliveries by vendor and outcome',
  );
  const duration = meter.createHistogram(
    'prodops_delivery_duration_seconds',
    'float',
    's',
    'Time from a delivery read to its answer, by vendor and outcome',
  );
  return (delivery) => {
    const tags = { vendor: delivery.vendor, outcome: delivery.outcome };
    deliveries.add(1, { ...tags, status: String(delivery.status) });
    duration.record(delivery.durationMs / 1000, tags);
  };
}

/** Every observer, each sheltered from the others' failures: observing never fails a delivery. */
export function observeAll(...observers: (DeliveryObserver | undefined)[]): DeliveryObserver {
  const active = observers.filter((o): o is DeliveryObserver => o !== undefined);
  return (delivery) => {
    for (const observe of active) {
      try {
        observe(delivery);
      } catch {
        // A broken log or meter must not turn an answered delivery into a failure.
      }
    }
  };
}
