/**
 * Who may call the weekly update's commands. Publishing early comes from the command line and
 * is signed by a configured operator (workflows/operator-identity.ts): an owner publishes as
 * themselves, an operator publishes for an owner only with the `product-ops` grant. The
 * hand-over comes from next week's update alone: its activity signs the call with the worker's
 * key, for the workflow it runs for, and anything else is refused before it enters history.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import {
  describeActor,
  mayActFor,
  OperatorAuthSchema,
  WORKER_OPERATOR_ID,
  type OperatorGrant,
} from '../../domain/operators';
import { attempt, note } from '../entity-loop';
import {
  authenticateOperator,
  precheckOperator,
  scopeOf,
  takesUnsignedCommands,
  UNSIGNED_REFUSAL,
} from '../operator-identity';
import {
  handOver,
  publishNow,
  weeklyUpdateWorkflowId,
  WeeklyUpdateRefusals,
  type HandOverCommand,
  type PublishCommand,
} from './messages';
import type { WeeklyUpdateState } from './state';

/**
 * Patch: a hand-over is taken only when the worker signed it. Runs that took unsigned hand-overs
 * before replay them as they were.
 */
export const SIGNED_HAND_OVER_PATCH = 'weekly-hand-over-signed-by-worker';

/** Reads a configuration's operators, or the worker's key (activities). */
export type LoadGrants = () => Promise<{ operators: OperatorGrant[] }>;

const refusal = (message: string, type: string) => ApplicationFailure.nonRetryable(message, type);

/** A signature that is not even shaped like one is refused with the field named. */
function requireAuthShape(auth: unknown): void {
  if (auth === undefined) return;
  const shaped = OperatorAuthSchema.safeParse(auth);
  if (!shaped.success)
    throw refusal(
      `auth must be a signature (operator, issuedAt, nonce, signature): ${shaped.error.issues[0]?.path.join('.') || 'auth'} ${shaped.error.issues[0]?.message ?? 'is malformed'}`,
      WeeklyUpdateRefusals.invalid,
    );
}

/** The validator's part of an early publication: a forged or replayed signature never enters history. */
export function precheckPublisher(state: WeeklyUpdateState, command: PublishCommand): void {
  requireAuthShape(command.auth);
  const problem = precheckOperator(
    state,
    command.auth,
    scopeOf(weeklyUpdateWorkflowId(state.week), publishNow.name, command),
    Date.now(),
  );
  if (problem) throw refusal(problem, WeeklyUpdateRefusals.unauthenticated);
}

/**
 * The handler's part: who publishes, in the words the log and status use ("ana via cli
 * (operator priya)"); null for an unsigned command of a run from before signatures, replayed as
 * it was. A refusal is noted in the week's log and thrown.
 */
export async function publisherOf(
  state: WeeklyUpdateState,
  command: PublishCommand,
  loadOperators: LoadGrants,
): Promise<string | null> {
  const refused = (who: string, message: string, type: string): never => {
    note(state, `refused to publish early for ${command.by} (${who}): ${message}`, { week: state.week });
    throw refusal(message, type);
  };
  if (command.auth === undefined) {
    if (takesUnsignedCommands()) return null;
    return refused('unsigned', UNSIGNED_REFUSAL, WeeklyUpdateRefusals.unauthenticated);
  }
  const auth = command.auth;
  const checked = await authenticateOperator(
    state,
    auth,
    scopeOf(weeklyUpdateWorkflowId(state.week), publishNow.name, command),
    async () =>
      (
        await attempt(loadOperators, (cause) =>
          note(state, `could not read the configured operators: ${cause}`, { week: state.week }),
        )
      )?.operators,
  );
  if ('refused' in checked)
    return refused(`operator ${auth.operator}`, checked.refused, WeeklyUpdateRefusals.unauthenticated);
  // Publishing is product ops' work: an owner publishes as themselves, anyone else needs the grant.
  const notGranted = mayActFor(checked.operator, command.by, 'product-ops');
  if (notGranted)
    return refused(`operator ${checked.operator.id}`, notGranted, WeeklyUpdateRefusals.notAllowed);
  return describeActor(command.by, 'cli', checked.operator.id);
}

const HAND_OVER_UNSIGNED =
  "the hand-over carries no worker signature: only next week's update, through a prodops worker, takes this week's late contributions";

/**
 * The validator's part of a hand-over: signed by a worker, for the later week's workflow that
 * asks. An unsigned call, one for another workflow, one signed by anyone but the worker, or a
 * replayed one is refused here and never enters history; a signature under the worker's id that
 * the week cannot judge yet (it has not read the worker's key within the hour) goes on to the
 * handler, which reads the key and refuses a forgery in the week's log.
 */
export function precheckHandOver(state: WeeklyUpdateState, command: HandOverCommand): void {
  requireAuthShape(command.auth);
  if (command.auth === undefined) throw refusal(HAND_OVER_UNSIGNED, WeeklyUpdateRefusals.unauthenticated);
  const expected = weeklyUpdateWorkflowId(command.toWeek);
  if (command.caller !== expected)
    throw refusal(
      `only ${expected} takes ${state.week}'s late contributions for ${command.toWeek} (the call came from ${typeof command.caller === 'string' ? command.caller.slice(0, 80) : 'nobody named'})`,
      WeeklyUpdateRefusals.unauthenticated,
    );
  if (command.auth.operator !== WORKER_OPERATOR_ID)
    throw refusal(
      `the call is not a worker's: it is signed by ${command.auth.operator}, and only a prodops worker hands late contributions over`,
      WeeklyUpdateRefusals.unauthenticated,
    );
  const problem = precheckOperator(
    state.worker ?? {},
    command.auth,
    scopeOf(weeklyUpdateWorkflowId(state.week), handOver.name, command),
    Date.now(),
  );
  if (problem) throw refusal(`the call is not a worker's: ${problem}`, WeeklyUpdateRefusals.unauthenticated);
}

/**
 * Whether this run verifies hand-overs: a run from before signatures replays its unsigned
 * hand-over as it was, synchronously. Synchronous itself, so the old path runs exactly as it did.
 */
export const verifiesHandOvers = (): boolean => patched(SIGNED_HAND_OVER_PATCH);

/** The handler's part of a hand-over: verified against the worker's key, or noted and refused. */
export async function verifyHandOver(
  state: WeeklyUpdateState,
  command: HandOverCommand,
  loadWorkerKeys: LoadGrants,
): Promise<void> {
  const refused = (message: string): never => {
    note(state, `refused a hand-over to ${command.toWeek}: ${message}`, { week: state.week });
    throw refusal(message, WeeklyUpdateRefusals.unauthenticated);
  };
  if (command.auth === undefined) return refused(HAND_OVER_UNSIGNED);
  const worker = (state.worker ??= {});
  const checked = await authenticateOperator(
    worker,
    command.auth,
    scopeOf(weeklyUpdateWorkflowId(state.week), handOver.name, command),
    async () =>
      (
        await attempt(loadWorkerKeys, (cause) =>
          note(state, `could not read the worker's key: ${cause}`, { week: state.week }),
        )
      )?.operators,
  );
  if ('refused' in checked) refused(`the call is not a worker's: ${checked.refused}`);
}
