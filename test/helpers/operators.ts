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

/** The `operators:` section of a configuration file for these test operators. */
export function operatorsYaml(operators: TestOperators): string {
  const lines = operators.config.operators.map(
    (o) => `  - { id: ${o.id}, publicKey: '${o.publicKey}', actsFor: [${o.actsFor.join(', ')}] }`,
  );
  return `operators:\n${lines.join('\n')}\n`;
}

/** Runs `body` with the CLI acting as `operator` (its key in PRODOPS_OPERATOR_KEY). */
export async function asOperator<T>(
  operators: TestOperators,
  operator: string | null,
  body: () => Promise<T>,
): Promise<T> {
  const before = process.env.PRODOPS_OPERATOR_KEY;
  const beforeFile = process.env.PRODOPS_OPERATOR_KEY_FILE;
  const beforeConfigHome = process.env.XDG_CONFIG_HOME;
  if (operator === null) delete process.env.PRODOPS_OPERATOR_KEY;
  else process.env.PRODOPS_OPERATOR_KEY = operators.keys[operator];
  delete process.env.PRODOPS_OPERATOR_KEY_FILE;
  // No key file of the machine running the tests is picked up by accident.
  process.env.XDG_CONFIG_HOME = '/nonexistent-prodops-test-config';
  try {
    return await body();
  } finally {
    const restore = (name: string, value: string | undefined) => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    restore('PRODOPS_OPERATOR_KEY', before);
    restore('PRODOPS_OPERATOR_KEY_FILE', beforeFile);
    restore('XDG_CONFIG_HOME', beforeConfigHome);
  }
}
