/**
 * Operators for tests: a key pair per person, the configuration listing them, and signing as the
 * CLI signs (domain/operators.ts), dated by the test server's clock so that a command signed
 * after time was skipped is fresh.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { UpdateDefinition } from '@temporalio/common';
import type { OrgConfig } from '../../domain/config';
import {
  commandScope,
  generateOperatorKey,
  parsePrivateKey,
  signCommand,
  type OperatorAuth,
  type OperatorCapacity,
} from '../../domain/operators';

export interface TestOperators {
  config: OrgConfig;
  /** Private keys (`ed25519:…`) by person id. */
  keys: Record<string, string>;
}

/** A stable key per person, so recorded histories and re-runs agree. */
function seedFor(personId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`prodops-test-operator:${personId}`).digest());
}

/**
 * Every person of `config` an operator with their own key; `grants` adds what some may do for
 * others (every operator has `product-ops` unless `grants` names theirs).
 */
export function withOperators(
  config: OrgConfig,
  grants: Record<string, OperatorCapacity[]> = {},
): TestOperators {
  const keys: Record<string, string> = {};
  const operators = config.people.map((person) => {
    const key = generateOperatorKey(seedFor(person.id));
    keys[person.id] = key.privateKey;
    return {
      id: person.id,
      publicKey: key.publicKey,
      actsFor: grants[person.id] ?? ['product-ops' as const],
    };
  });
  return { config: { ...config, operators }, keys };
}

/** The command with `auth`: signed by `operator` for `update` on `workflowId`, dated `now`. */
export function signAs<T extends object>(
  keys: Record<string, string>,
  operator: string,
  workflowId: string,
  update: UpdateDefinition<unknown, [T]> | string,
  command: T,
  now: number,
): T & { auth: OperatorAuth } {
  const name = typeof update === 'string' ? update : update.name;
  const privateKey = parsePrivateKey(keys[operator] ?? '');
  if (!privateKey) throw new Error(`no test key for ${operator}`);
  const auth = signCommand(
    commandScope(workflowId, name, command),
    operator,
    privateKey,
    now,
    randomBytes(16),
  );
  return { ...command, auth };
}
