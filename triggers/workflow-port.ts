/**
 * What a trigger may ask of Temporal, as an interface: start a workflow, signal one, or
 * signal-with-start one. The handlers depend on this alone; the Temporal client behind it
 * (triggers/workflows.ts) is loaded by whoever builds the port. A deployed function loads it
 * only when a delivery has been verified and validated and has something to hand over
 * (`lazyWorkflowPort`), so a forged, malformed or ignored delivery never pays for it.
 */

export interface SignalWithStartRequest {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  signal: string;
  signalArgs: unknown[];
  /**
   * True when a finished workflow of the id must not be started again (a release that is done
   * stays done however late Jira delivers); otherwise a new run starts.
   */
  rejectIfClosed?: boolean;
}

export interface SignalRequest {
  workflowId: string;
  signal: string;
  args: unknown[];
}

export interface StartRequest {
  workflowType: string;
  workflowId: string;
  args: unknown[];
}

/**
 * - `delivered`: the signal reached a running workflow (started just now if needed);
 * - `started`: a new workflow started;
 * - `exists`: the workflow was already running or has run (a redelivery);
 * - `not-found`: no running workflow has the id;
 * - `closed`: the workflow has finished and may not start again.
 */
export type DispatchOutcome = 'delivered' | 'started' | 'exists' | 'not-found' | 'closed';

export interface WorkflowPort {
  signalWithStart(request: SignalWithStartRequest): Promise<DispatchOutcome>;
  signal(request: SignalRequest): Promise<DispatchOutcome>;
  /** Starts once per id: a running or finished workflow of the id is left alone. */
  start(request: StartRequest): Promise<DispatchOutcome>;
  /** Whether a workflow of the id exists (running, or closed and still retained). */
  exists(workflowId: string): Promise<boolean>;
}

export class TemporalUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemporalUnavailableError';
  }
}

/**
 * A port whose implementation is loaded on its first call. A load that fails is not kept: the
 * next delivery tries again.
 */
export function lazyWorkflowPort(load: () => Promise<WorkflowPort>): WorkflowPort {
  let loaded: Promise<WorkflowPort> | undefined;
  const port = (): Promise<WorkflowPort> => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
  return {
    signalWithStart: async (request) => (await port()).signalWithStart(request),
    signal: async (request) => (await port()).signal(request),
    start: async (request) => (await port()).start(request),
    exists: async (workflowId) => (await port()).exists(workflowId),
  };
}
