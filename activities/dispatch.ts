/**
 * Starting or signalling another workflow from a workflow, where the SDK offers only signals to
 * running workflows: signal-with-start through the worker's own Temporal client. The target is
 * named by its registered type, so the caller needs none of its code.
 */
import { getClient } from '@temporalio/activity';
import {
  ApplicationFailure,
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
} from '@temporalio/common';
import { ErrorTypes } from './errors';

export interface SignalWithStartInput {
  workflowType: string;
  workflowId: string;
  /** The task queue of the target; the caller's own when it runs on the same workers. */
  taskQueue: string;
  args: unknown[];
  signal: string;
  signalArgs: unknown[];
  /**
   * Search attributes the workflow is indexed with when this call starts it (a running one keeps
   * its own), so that it shows in visibility queries before its first turn. Dates as ISO text.
   */
  searchAttributes?: { name: string; type: 'KEYWORD' | 'DATETIME' | 'INT'; value: string | number }[];
}

function typedSearchAttributes(list: SignalWithStartInput['searchAttributes']): SearchAttributePair[] {
  return (list ?? []).map((a): SearchAttributePair => {
    if (a.type === 'DATETIME')
      return {
        key: defineSearchAttributeKey(a.name, SearchAttributeType.DATETIME),
        value: new Date(String(a.value)),
      };
    if (a.type === 'INT')
      return { key: defineSearchAttributeKey(a.name, SearchAttributeType.INT), value: Number(a.value) };
    return { key: defineSearchAttributeKey(a.name, SearchAttributeType.KEYWORD), value: String(a.value) };
  });
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
        ...(input.searchAttributes
          ? { typedSearchAttributes: typedSearchAttributes(input.searchAttributes) }
          : {}),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      return { runId: handle.signaledRunId };
    },
  };
}

export type DispatchActivities = ReturnType<typeof createDispatchActivities>;
