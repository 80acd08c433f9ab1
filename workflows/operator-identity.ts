/**
 * Who sent a command from the command line, as every process checks it: the operator whose key
 * signed it (domain/operators.ts), never a claimed name. A validator does the checks that need
 * nothing but the state (shape, freshness, a nonce not seen before, the signature against the
 * operators the process read within the hour), so a forged command is refused before it enters
 * history; the handler reads the operators again when they are older than that or the signer is
 * new to it, remembers the nonce, and verifies once more.
 *
 * Commands from before signatures existed carry no `auth`: running workflows replay them as they
 * were (`patched`); from the first unsigned command after the change, such a command is refused.
 */
import { patched } from '@temporalio/workflow';
import {
  checkFreshness,
  commandScope,
  REGISTRY_FRESH_MS,
  rememberNonce,
  verifyOperator,
  type OperatorAuth,
  type OperatorGrant,
  type OperatorRegistry,
  type SeenNonce,
  type SignedScope,
} from '../domain/operators';

/** Patch: commands must be signed by a configured operator. */
export const OPERATOR_IDENTITY_PATCH = 'operator-identity';

/** The part of a process's state that identity needs; carried across continue-as-new. */
export interface IdentityState {
  /** The operators as last read from the configuration; absent until the first signed command. */
  operators?: OperatorRegistry | null;
  /** Nonces of recent signed commands. */
  nonces?: SeenNonce[];
}

export const UNSIGNED_REFUSAL =
  'this command carries no operator signature: run it with the prodops command line as a configured operator (operators:, `prodops operator keygen`)';

/** The arguments a signature covers: the command without its `auth`. */
export const scopeOf = commandScope;

const isFresh = (
  state: IdentityState,
  now: number,
): state is IdentityState & { operators: OperatorRegistry } =>
  !!state.operators && now - state.operators.loadedAt < REGISTRY_FRESH_MS;

/**
 * The validator's part: null when the command may go on to the handler. An unsigned command
 * passes here (the handler decides, by the patch, whether this run still takes them).
 */
export function precheckOperator(
  state: IdentityState,
  auth: OperatorAuth | undefined,
  scope: SignedScope,
  now: number,
): string | null {
  if (auth === undefined) return null;
  const stale = checkFreshness(auth, now, state.nonces ?? []);
  if (stale) return stale;
  if (!isFresh(state, now)) return null;
  const known = state.operators.operators.some((o) => o.id === auth.operator);
  // Read within the hour and the signer is not among them: no reason to read them again.
  if (!known) return `${auth.operator} is not an operator of the configuration (operators:)`;
  const checked = verifyOperator(state.operators.operators, auth, scope);
  return 'refused' in checked ? checked.refused : null;
}

/**
 * Whether this run still takes an unsigned command at its word: only while replaying what it
 * did before signatures existed. Synchronous, so the old path runs exactly as it did.
 */
export function takesUnsignedCommands(): boolean {
  return !patched(OPERATOR_IDENTITY_PATCH);
}

export type Authenticated = { operator: OperatorGrant } | { refused: string };

/**
 * The handler's part for a signed command. `load` reads the configured operators (an activity);
 * it runs only when the process's copy is older than an hour or does not know the signer.
 */
export async function authenticateOperator(
  state: IdentityState,
  auth: OperatorAuth,
  scope: SignedScope,
  load: () => Promise<OperatorGrant[] | undefined>,
): Promise<Authenticated> {
  const now = Date.now();
  // Before anything awaits: a second copy of the command arriving meanwhile is refused.
  const stale = checkFreshness(auth, now, state.nonces ?? []);
  if (stale) return { refused: stale };
  rememberNonce((state.nonces ??= []), auth.nonce, now);
  if (!isFresh(state, now) || !state.operators.operators.some((o) => o.id === auth.operator)) {
    const loaded = await load();
    if (loaded === undefined) return { refused: 'the configured operators could not be read: try again' };
    state.operators = { operators: loaded, loadedAt: Date.now() };
  }
  return verifyOperator(state.operators!.operators, auth, scope);
}
