/**
 * Workflow interceptors for a deployed worker (workers/index.ts, with telemetry): every signal a
 * workflow takes is logged with the delivery it carries, so that one line joins the vendor's
 * delivery id to the workflow id and run id that the SDK's workflow logger adds. Only a log line,
 * through the logger's sink, which is silent on replay: no command, no change to any history.
 */
import {
  log,
  type Next,
  type SignalInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

/** The `deliveryId` of a signal's payload, when it carries one (every trigger's signal does). */
export function deliveryIdOf(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const id = (payload as { deliveryId?: unknown }).deliveryId;
  return typeof id === 'string' ? id : undefined;
}

class SignalLog implements WorkflowInboundCallsInterceptor {
  async handleSignal(
    input: SignalInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>,
  ): Promise<void> {
    const deliveryId = deliveryIdOf(input.args[0]);
    log.info(`signal ${input.signalName}`, {
      signal: input.signalName,
      ...(deliveryId ? { deliveryId } : {}),
    });
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new SignalLog()] });
