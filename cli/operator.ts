/**
 * The operator the command line acts as, and `prodops operator …`.
 *
 * A command that changes a workflow is signed with the operator's private key (Ed25519): from
 * PRODOPS_OPERATOR_KEY (the key itself), PRODOPS_OPERATOR_KEY_FILE, or the file
 * `prodops operator keygen` wrote (~/.config/prodops/operator.key). The key's public half must be
 * listed under `operators:` in the configuration; that entry is who the CLI is. Without a key,
 * an operator configured with `osUser` matching the account the CLI runs as is taken at its word:
 * a claim for a machine one person uses, never for a shared host.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { OrgConfig } from '../domain/config';
import {
  claimCommand,
  commandScope,
  generateOperatorKey,
  parsePrivateKey,
  publicKeyOf,
  signCommand,
  type OperatorAuth,
  type OperatorConfig,
} from '../domain/operators';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import type { CliIO } from './main';

export const OPERATOR_KEY_ENV = 'PRODOPS_OPERATOR_KEY';
export const OPERATOR_KEY_FILE_ENV = 'PRODOPS_OPERATOR_KEY_FILE';

export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config');
  return join(base, 'prodops', 'operator.key');
}

/** Signs the commands of one run of the CLI. */
export interface Signer {
  operator: OperatorConfig;
  method: 'ed25519' | 'os-user';
  /** Where the identity came from, in words (for `operator whoami`). */
  source: string;
  sign(workflowId: string, update: string, command: object): OperatorAuth;
}

/** A key file readable by anyone but its owner is not a secret any more. */
function readKeyFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw CliError.usage(`the operator key file ${path} does not exist (${OPERATOR_KEY_FILE_ENV})`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw CliError.usage(
      `the operator key file ${path} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 ${path}`,
    );
  return readFileSync(path, 'utf8');
}

function keyText(env: NodeJS.ProcessEnv): { text: string; source: string } | null {
  const inline = env[OPERATOR_KEY_ENV]?.trim();
  if (inline) return { text: inline, source: OPERATOR_KEY_ENV };
  const file = env[OPERATOR_KEY_FILE_ENV]?.trim();
  if (file) return { text: readKeyFile(resolve(file)), source: resolve(file) };
  const fallback = defaultKeyFile(env);
  if (existsSync(fallback)) return { text: readKeyFile(fallback), source: fallback };
  return null;
}

/**
 * Who this CLI acts as, proven by its key (or, for an `osUser` operator, claimed by the OS
 * account); a usage error saying how to become an operator otherwise.
 */
export function resolveSigner(config: OrgConfig, env: NodeJS.ProcessEnv = process.env): Signer {
  const key = keyText(env);
  if (key) {
    const privateKey = parsePrivateKey(key.text);
    if (!privateKey)
      throw CliError.usage(
        `${key.source} does not hold an Ed25519 private key (prodops operator keygen makes one)`,
      );
    const publicKey = publicKeyOf(privateKey);
    const operator = config.operators.find((o) => o.publicKey === publicKey);
    if (!operator)
      throw CliError.usage(
        `the operator key from ${key.source} (public key ${publicKey}) is not listed under operators: in the configuration`,
      );
    return {
      operator,
      method: 'ed25519',
      source: key.source,
      sign: (workflowId, update, command) =>
        signCommand(
          commandScope(workflowId, update, command),
          operator.id,
          privateKey,
          Date.now(),
          randomBytes(16),
        ),
    };
  }
  const account = userInfo().username;
  const claimed = config.operators.find((o) => o.osUser !== undefined && o.osUser === account);
  if (claimed)
    return {
      operator: claimed,
      method: 'os-user',
      source: `the OS user ${account} (an unsigned claim: operators[].osUser)`,
      sign: () => claimCommand(claimed.id, account, Date.now(), randomBytes(16)),
    };
  throw CliError.usage(
    `this command changes a workflow and needs an operator: run \`prodops operator keygen\`, list the public key it prints under operators: in the configuration, and keep the key in ${defaultKeyFile(env)} or ${OPERATOR_KEY_FILE_ENV}`,
  );
}

export function registerOperatorCommands(program: Command, io: CliIO): void {
  const operator = program.command('operator').description('who the command line acts as');

  operator
    .command('keygen')
    .description(
      'make an Ed25519 key pair: the private key stays in a file, the public key goes in the configuration',
    )
    .option('--out <path>', `where to write the private key (default: ${defaultKeyFile()})`)
    .option('--force', 'replace a key file that exists')
    .option('--json', 'print one JSON object: the key file and the public key')
    .action((opts: { out?: string; force?: boolean; json?: boolean }) => {
      const path = resolve(opts.out ?? defaultKeyFile());
      if (existsSync(path) && !opts.force)
        throw CliError.usage(
          `${path} exists: pass --force to replace it (the old key stops working once replaced in the configuration)`,
        );
      const key = generateOperatorKey(new Uint8Array(randomBytes(32)));
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, `${key.privateKey}\n`, { mode: 0o600 });
      chmodSync(path, 0o600);
      if (opts.json) {
        io.out(JSON.stringify({ keyFile: path, publicKey: key.publicKey }));
        return;
      }
      io.out(`private key: ${path} (mode 600; keep it to yourself)`);
      io.out(`public key:  ${key.publicKey}`);
      io.out('add it to the configuration, under your person id:');
      io.out('  operators:');
      io.out(`    - { id: <your person id>, publicKey: ${key.publicKey} }`);
    });

  operator
    .command('whoami')
    .description('the operator this command line acts as, and how it proves it')
    .option('--config <path>', 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)')
    .option('--json', 'print one JSON object')
    .action((opts: { config?: string; json?: boolean }) => {
      const { config } = loadConfig(opts.config);
      const signer = resolveSigner(config);
      const grant = signer.operator.actsFor.length > 0 ? signer.operator.actsFor.join(', ') : 'nothing';
      if (opts.json) {
        io.out(
          JSON.stringify({
            operator: signer.operator.id,
            method: signer.method,
            source: signer.source,
            actsFor: signer.operator.actsFor,
          }),
        );
        return;
      }
      io.out(
        `${signer.operator.id} (${signer.method === 'ed25519' ? 'signed with' : 'claimed by'} ${signer.source})`,
      );
      io.out(`acts for others as: ${grant}`);
    });
}
