/**
 * What every long-running prodops process shares: the loop that reconciles, runs deadlines and
 * continues as new; the bounded log and delivery log carried across runs; notices sent once;
 * integration attempts whose failure is recorded instead of failing the workflow.
 *
 * A process (release, leave, onboarding, renewal) keeps its state in a plain object (`state.ts`),
 * says what must exist (`reconcile.ts`) and when time-driven steps fall due (`deadlines.ts`); its
 * `workflow.ts` wires message handlers to pure transitions and hands the rest to `runEntityLoop`.
 *
 * The field names of `Journal` are part of the state carried by continue-as-new: renaming one
 * breaks every running workflow that carries it.
 */
import {
  ActivityFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  inWorkflowContext,
  isCancellation,
  log,
  patched,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';

export interface LogEntry {
  at: string;
  message: string;
}

/** The bookkeeping every process keeps in its state. */
export interface Journal {
  /** A bounded log of what happened, newest last. */
  log: LogEntry[];
  /** Idempotency keys of the notices already sent: each goes out once. */
  sent: string[];
  /** Delivery ids of the vendor events applied most recently (absent in older carried states). */
  deliveries?: string[];
}

export interface JournalLimits {
  log: number;
  deliveries: number;
}

/** Vendors redeliver within minutes to hours; the last 500 deliveries cover that many times over. */
export const DEFAULT_JOURNAL_LIMITS: JournalLimits = { log: 50, deliveries: 500 };

const trim = <T>(list: T[], limit: number): void => {
  if (list.length > limit) list.splice(0, list.length - limit);
};

/**
 * Appends to the bounded log and to the worker's log, with the fields that identify the entity.
 * Outside a workflow (a unit test of a pure transition) only the bounded log is kept.
 */
export function note(
  journal: Pick<Journal, 'log'>,
  message: string,
  fields: Record<string, unknown>,
  limit = DEFAULT_JOURNAL_LIMITS.log,
): void {
  journal.log.push({ at: new Date(Date.now()).toISOString(), message });
  trim(journal.log, limit);
  if (inWorkflowContext()) log.info(message, fields);
}

/** True for a delivery already received; otherwise remembers it. Events without an id are never repeats. */
export function isRepeat(
  journal: Pick<Journal, 'deliveries'>,
  deliveryId: string | undefined,
  kept = DEFAULT_JOURNAL_LIMITS.deliveries,
): boolean {
  if (deliveryId === undefined) return false;
  const seen = (journal.deliveries ??= []);
  if (seen.includes(deliveryId)) return true;
  seen.push(deliveryId);
  trim(seen, kept);
  return false;
}

export const wasSent = (journal: Pick<Journal, 'sent'>, key: string): boolean => journal.sent.includes(key);

export function markSent(journal: Pick<Journal, 'sent'>, key: string): void {
  if (!journal.sent.includes(key)) journal.sent.push(key);
}

/**
 * Sends a notice unless its key was sent before; the key is recorded only when `send` returns a
 * value (an attempt that failed for good returns undefined and may be tried again later).
 */
export async function sendOnce(
  journal: Pick<Journal, 'sent'>,
  key: string,
  send: () => Promise<unknown>,
): Promise<boolean> {
  if (wasSent(journal, key)) return false;
  const sent = await send();
  if (sent === undefined) return false;
  markSent(journal, key);
  return true;
}

/** The message of the error behind an activity failure. */
export function failureCause(error: ActivityFailure): string {
  return error.cause instanceof Error ? error.cause.message : error.message;
}

/**
 * Runs one integration call. A failure that outlived its retries is handed to `onFailure` and
 * answered with undefined: one system being down must not fail a process that runs for weeks.
 * Anything else (a bug in workflow code) still fails the workflow task, as it should.
 */
export async function attempt<T>(
  action: () => Promise<T>,
  onFailure: (cause: string) => void,
): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    onFailure(failureCause(error));
    return undefined;
  }
}

/** A time-driven step: due at `at` (ms since epoch). */
export interface Deadline {
  at: number;
  run: () => Promise<void>;
}

/** Set by message handlers when the process has something new to act on. */
export class Wake {
  pending = true;

  set(): void {
    this.pending = true;
  }

  /** Clears the flag and says whether it was set. */
  take(): boolean {
    const was = this.pending;
    this.pending = false;
    return was;
  }
}

/**
 * `again`: the process changed something and wants another turn before waiting; `idle`: nothing
 * to do until a message or a deadline; `finished`: the loop ends.
 */
export type Progress = 'again' | 'idle' | 'finished';

export interface EntityProcess {
  wake: Wake;
  /**
   * One turn towards the desired state: transitions, then reconciling what exists. It takes the
   * wake (`wake.take()`) at the start of the turn, so a message that arrives while the turn's
   * activities run sets it again and earns the next turn; a process that never takes it would
   * never wait.
   */
  advance(): Promise<Progress>;
  /** The time-driven steps still ahead. */
  deadlines(): Deadline[];
  /** Continues as new with the state carried; called only once every handler has finished. */
  continueAsNew(): Promise<never>;
  /** History length past which the process continues as new (or earlier, when Temporal suggests). */
  eventsBeforeContinueAsNew: number;
  /**
   * Keep the timer of the next deadline running while messages come and go, instead of a new
   * timer for every wait (each started timer is a billed Temporal action). Off by default: it
   * changes the commands a process issues, so a process that recorded histories without it
   * keeps replaying only without it.
   */
  keepTimers?: boolean;
}

/**
 * One durable timer per deadline instant: waiting again for the same instant reuses the timer
 * already running; a different instant cancels it (a cancelled timer is not billed) and starts
 * one for the new instant.
 */
export class KeptTimer {
  private at: number | null = null;
  private fired = false;
  private scope: CancellationScope | null = null;

  /** Waits until `wake` is set or the instant `at` (ms since epoch) has come; forever when undefined. */
  async wait(at: number | undefined, wake: Wake): Promise<void> {
    if (at === undefined) {
      this.cancel();
      await condition(() => wake.pending);
      return;
    }
    if (this.at !== at) this.arm(at);
    await condition(() => wake.pending || this.fired);
  }

  private arm(at: number): void {
    this.cancel();
    this.at = at;
    this.fired = false;
    const scope = new CancellationScope();
    this.scope = scope;
    scope
      .run(() => sleep(Math.max(1, at - Date.now())))
      .then(
        () => {
          if (this.scope === scope) this.fired = true;
        },
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
  }

  private cancel(): void {
    if (this.scope) this.scope.cancel();
    this.scope = null;
    this.at = null;
    this.fired = false;
  }
}

export function earliest(deadlines: Deadline[]): Deadline | undefined {
  let first: Deadline | undefined;
  for (const d of deadlines) if (!first || d.at < first.at) first = d;
  return first;
}

export function historyIsLong(limit: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > limit;
}

/**
 * Patch: a process kept busy (every turn ends with a message already waiting, so it never waits)
 * continues as new once its history is long, instead of only when it next waits. Runs that took
 * such turns past the threshold without it replay without it.
 */
export const CONTINUE_WHEN_BUSY_PATCH = 'entity-loop-continue-when-busy';

/**
 * The loop of every process: take a turn; run the deadline that is due; continue as new when the
 * history is long and nothing is in flight; otherwise wait for a message or the next deadline.
 * A deadline that ran always earns a reconciling turn. A run continued as new starts with its
 * wake set (`Wake`), so the turn a pending message asked for is taken by the next run.
 */
export async function runEntityLoop(process: EntityProcess): Promise<void> {
  const timer = process.keepTimers ? new KeptTimer() : null;
  for (;;) {
    const progress = await process.advance();
    if (progress === 'finished') break;
    if (progress === 'again') {
      // A steady stream of messages (a re-plan arriving before the last one's turn ends) would
      // otherwise grow one history without bound.
      if (historyIsLong(process.eventsBeforeContinueAsNew) && patched(CONTINUE_WHEN_BUSY_PATCH)) {
        await condition(allHandlersFinished);
        await process.continueAsNew();
      }
      continue;
    }
    const next = earliest(process.deadlines());
    if (next && next.at <= Date.now()) {
      await next.run();
      process.wake.set();
      continue;
    }
    if (historyIsLong(process.eventsBeforeContinueAsNew)) {
      await condition(allHandlersFinished);
      if (!process.wake.pending) await process.continueAsNew();
      continue;
    }
    if (timer) await timer.wait(next?.at, process.wake);
    else if (next) await condition(() => process.wake.pending, next.at - Date.now());
    else await condition(() => process.wake.pending);
  }
  await condition(allHandlersFinished);
}
