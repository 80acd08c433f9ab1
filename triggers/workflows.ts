/**
 * What a trigger may do with Temporal: start a workflow, signal one, or signal-with-start one.
 * Nothing else, so that a function answers in milliseconds and every slow or failing step
 * happens inside a workflow, where it is retried.
 *
 * Outcomes that are normal for webhooks (the workflow is gone, it finished long ago) come back
 * as values; an unreachable or refusing Temporal is a TemporalUnavailableError, which the
 * function answers with 503 so that Jira and Google deliver again later.
 */
import type { Client } from '@temporalio/client';
// From its own module, not the package's index: see runtime/temporal-workflow-client.ts.
import { ServiceError } from '@temporalio/client/lib/errors';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { lazyWorkflowClient } from '../runtime/temporal-workflow-client';
import type { TemporalSettings } from '../runtime/temporal-options';
import { TemporalUnavailableError, type WorkflowPort } from './workflow-port';

export {
  TemporalUnavailableError,
  type DispatchOutcome,
  type SignalRequest,
  type SignalWithStartRequest,
  type StartRequest,
  type WorkflowPort,
} from './workflow-port';

export interface TemporalPortOptions {
  taskQueue: string;
  /** How long one call may take before the function gives up and answers 503. */
  deadlineMs?: number;
}

function unavailable(error: unknown): TemporalUnavailableError {
  const cause = error instanceof ServiceError && error.cause instanceof Error ? error.cause : error;
  const detail = cause instanceof Error ? cause.message.split('\n')[0]!.slice(0, 160) : String(cause);
  return new TemporalUnavailableError(`Temporal did not take the event: ${detail}`, { cause: error });
}

/** A `Client`, or the lean workflow client of a deployed function (lazyWorkflowClient). */
export type TemporalClientLike = Pick<Client, 'workflow' | 'connection'>;

export function temporalPort(client: TemporalClientLike, options: TemporalPortOptions): WorkflowPort {
  const deadlineMs = options.deadlineMs ?? 5_000;
  const bounded = <T>(call: () => Promise<T>): Promise<T> =>
    client.connection.withDeadline(Date.now() + deadlineMs, call);

  return {
    async signalWithStart(request) {
      try {
        await bounded(() =>
          client.workflow.signalWithStart(request.workflowType, {
            workflowId: request.workflowId,
            taskQueue: options.taskQueue,
            args: request.args,
            signal: request.signal,
            signalArgs: request.signalArgs,
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: request.rejectIfClosed ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
          }),
        );
        return 'delivered';
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return 'closed';
        throw unavailable(error);
      }
    },

    async signal(request) {
      try {
        await bounded(() =>
          client.workflow.getHandle(request.workflowId).signal(request.signal, ...request.args),
        );
        return 'delivered';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'not-found';
        throw unavailable(error);
      }
    },

    async exists(workflowId) {
      try {
        await bounded(() => client.workflow.getHandle(workflowId).describe());
        return true;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw unavailable(error);
      }
    },

    async start(request) {
      try {
        await bounded(() =>
          client.workflow.start(request.workflowType, {
            workflowId: request.workflowId,
            taskQueue: options.taskQueue,
            args: request.args,
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          }),
        );
        return 'started';
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return 'exists';
        throw unavailable(error);
      }
    },
  };
}

/**
 * The port of a deployed function: a client whose connection opens on first use, so that the
 * function starts (and answers 503, which the vendors retry) while Temporal is unreachable.
 */
export function temporalWorkflowPort(
  temporal: TemporalSettings,
  env: NodeJS.ProcessEnv = process.env,
): WorkflowPort {
  return temporalPort(lazyWorkflowClient(temporal, env), { taskQueue: temporal.taskQueue });
}
