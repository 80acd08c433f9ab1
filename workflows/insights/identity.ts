/**
 * Who sent an insights command from the command line (`tag`, `unmerge`, `decide`): the operator
 * whose key signed it (workflows/operator-identity.ts), never the name after `--by`. An operator
 * acts for themselves, or for someone else as their grant allows (`operators[].actsFor`). Runs
 * that took unsigned commands before signatures existed replay them as they were.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { OperatorAuthSchema, type OperatorAuth, type OperatorGrant } from '../../domain/operators';
import {
  authenticateOperator,
  precheckOperator,
  scopeOf,
  takesUnsignedCommands,
  UNSIGNED_REFUSAL,
  type IdentityState,
} from '../operator-identity';
import { attempt } from '../entity-loop';
import { InsightRefusals } from './messages';

/** What a signed insights command needs from its workflow. */
export interface CommandIdentity {
  state: IdentityState;
  workflowId: string;
  note: (message: string) => void;
  /** Reads the configured operators (the core activity); undefined when it could not. */
  loadOperators: () => Promise<OperatorGrant[] | undefined>;
}

/**
 * `loadOperators` for a workflow: the core activity's answer, or undefined (and a note) when it
 * could not be read, so that a command is refused rather than the workflow task failed.
 */
export function configuredOperators(
  core: { loadOperators(): Promise<{ operators: OperatorGrant[] }> },
  note: (message: string) => void,
): () => Promise<OperatorGrant[] | undefined> {
  return async () =>
    (
      await attempt(
        () => core.loadOperators(),
        (cause) => note(`could not read the configured operators: ${cause}`),
      )
    )?.operators;
}

const refusal = (message: string, type: string): ApplicationFailure =>
  ApplicationFailure.nonRetryable(message, type);

/**
 * The validator's part: the shape of `auth`, freshness, a nonce not seen before, and the
 * signature when the operators were read within the hour. Throws the refusal, if any.
 */
export function checkCommandIdentity(
  state: IdentityState,
  workflowId: string,
  update: string,
  command: { auth?: unknown },
  now: number,
): void {
  const auth = OperatorAuthSchema.optional().safeParse(command?.auth);
  if (!auth.success) {
    const issue = auth.error.issues[0]!;
    throw refusal(
      `auth${issue.path.length > 0 ? `.${issue.path.join('.')}` : ''} ${issue.message}`,
      InsightRefusals.invalid,
    );
  }
  const problem = precheckOperator(state, auth.data, scopeOf(workflowId, update, command), now);
  if (problem) throw refusal(problem, InsightRefusals.unauthenticated);
}

/**
 * The handler's part: the operator who signed the command, or null for an unsigned command in a
 * run that still takes them (recorded before signatures existed). A refusal is noted and thrown.
 */
export async function commandOperator(
  identity: CommandIdentity,
  update: string,
  what: string,
  command: { by: string; auth?: OperatorAuth },
): Promise<OperatorGrant | null> {
  if (command.auth === undefined) {
    if (takesUnsignedCommands()) return null;
    identity.note(`refused ${what} for ${command.by}: ${UNSIGNED_REFUSAL}`);
    throw refusal(UNSIGNED_REFUSAL, InsightRefusals.unauthenticated);
  }
  const auth = command.auth;
  const checked = await authenticateOperator(
    identity.state,
    auth,
    scopeOf(identity.workflowId, update, command),
    identity.loadOperators,
  );
  if ('refused' in checked) {
    identity.note(`refused ${what} for ${command.by} (operator ${auth.operator}): ${checked.refused}`);
    throw refusal(checked.refused, InsightRefusals.unauthenticated);
  }
  return checked.operator;
}
