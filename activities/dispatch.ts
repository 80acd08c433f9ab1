/**
 * Starting or signalling another workflow from a workflow, where the SDK offers only signals to
 * running workflows: signal-with-start through the worker's own Temporal client. The target is
 * named by its registered type, so the caller needs none of its code.
 */
import { getClient } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorTypes } from './errors';

export interface SignalWithStartInput {
  workflowType: string;
  workflowId: string;
  /** The task queue of the target; the caller's own when it runs on the same workers. */
  taskQueue: string;
  args: unknown[];
  signal: string;
  signalArgs: unknown[];
}

export function createDispatchActivities() {
  return {
    async signalWithStartWorkflow(input: SignalWithStartInput): Promise<{ runId: string }> {
      for (const field of ['workflowType', 'workflowId', 'taskQueue', 'signal'] as const) {
        if (typeof input[field] !== 'string' || input[field].trim() === '') {
          throw ApplicationFailure.create({
            type: ErrorTypes.invalidInput,
            message: `signalWithStartWorkflow: ${field} must be a non-empty string`,
            nonRetryable: true,
          });
        }
      }
      // A running workflow takes the signal; otherwise one starts with the signal as its first event.
      const handle = await getClient().workflow.signalWithStart(input.workflowType, {
        workflowId: input.workflowId,
        taskQueue: input.taskQueue,
        args: input.args,
        signal: input.signal,
        signalArgs: input.signalArgs,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      return { runId: handle.signaledRunId };
    },
  };
}

export type DispatchActivities = ReturnType<typeof createDispatchActivities>;
