/**
 * An in-memory Temporal for handler tests: the start, signal and signal-with-start semantics
 * the functions rely on (a running workflow takes signals; a finished one is rejected or
 * restarted by policy), recording every call.
 */
import {
  TemporalUnavailableError,
  type DispatchOutcome,
  type SignalRequest,
  type SignalWithStartRequest,
  type StartRequest,
  type WorkflowPort,
} from '../../triggers/workflows';

export interface RecordedWorkflow {
  type: string;
  args: unknown[];
  signals: { name: string; args: unknown[] }[];
  starts: number;
}

export class RecordingWorkflows implements WorkflowPort {
  readonly running = new Map<string, RecordedWorkflow>();
  readonly closed = new Map<string, RecordedWorkflow>();
  /** When true, every call fails as an unreachable Temporal does. */
  down = false;
  calls = 0;

  /** Lookups of whether a workflow exists (not counted in `calls`). */
  lookups = 0;

  /** The workflow's history left retention: it is as if it never ran. */
  forget(workflowId: string): void {
    this.closed.delete(workflowId);
  }

  async exists(workflowId: string): Promise<boolean> {
    this.lookups++;
    if (this.down) throw new TemporalUnavailableError('Temporal did not take the event: 14 UNAVAILABLE');
    return this.running.has(workflowId) || this.closed.has(workflowId);
  }

  finish(workflowId: string): void {
    const wf = this.running.get(workflowId);
    if (!wf) throw new Error(`${workflowId} is not running`);
    this.running.delete(workflowId);
    this.closed.set(workflowId, wf);
  }

  private check(): void {
    this.calls++;
    if (this.down) throw new TemporalUnavailableError('Temporal did not take the event: 14 UNAVAILABLE');
  }

  async signalWithStart(request: SignalWithStartRequest): Promise<DispatchOutcome> {
    this.check();
    let wf = this.running.get(request.workflowId);
    if (!wf) {
      if (this.closed.has(request.workflowId) && request.rejectIfClosed) return 'closed';
      wf = { type: request.workflowType, args: request.args, signals: [], starts: 1 };
      this.running.set(request.workflowId, wf);
    }
    wf.signals.push({ name: request.signal, args: request.signalArgs });
    return 'delivered';
  }

  async signal(request: SignalRequest): Promise<DispatchOutcome> {
    this.check();
    const wf = this.running.get(request.workflowId);
    if (!wf) return 'not-found';
    wf.signals.push({ name: request.signal, args: request.args });
    return 'delivered';
  }

  async start(request: StartRequest): Promise<DispatchOutcome> {
    this.check();
    if (this.running.has(request.workflowId) || this.closed.has(request.workflowId)) return 'exists';
    this.running.set(request.workflowId, {
      type: request.workflowType,
      args: request.args,
      signals: [],
      starts: 1,
    });
    return 'started';
  }
}
