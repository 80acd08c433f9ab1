/**
 * `prodops operator keygen` and `whoami`, and how the command line finds the operator it acts
 * as: its key's public half listed in the configuration, a key file only its owner can read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { main, type CliIO } from '../../cli/main';
import { resolveSigner } from '../../cli/operator';
import { CliError } from '../../cli/errors';
import { commandScope, verifyOperator, operatorGrants } from '../../domain/operators';
import { exampleConfigText, loadExampleConfig } from '../helpers/config';
import { withOperators } from '../helpers/operators';

async function prodops(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = await main(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const saved: Record<string, string | undefined> = {};
const VARS = ['PRODOPS_OPERATOR_KEY', 'PRODOPS_OPERATOR_KEY_FILE', 'XDG_CONFIG_HOME'];
let dir: string;

beforeEach(() => {
  for (const name of VARS) saved[name] = process.env[name];
  for (const name of VARS) delete process.env[name];
  dir = mkdtempSync(join(tmpdir(), 'prodops-operator-'));
  process.env.XDG_CONFIG_HOME = dir;
});
afterEach(() => {
  for (const name of VARS) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('prodops operator', () => {
  it('keygen writes a private key only its owner can read and prints the public key to configure', async () => {
    const run = await prodops(['operator', 'keygen', '--json']);
    expect(run.code).toBe(0);
    const { keyFile, publicKey } = JSON.parse(run.stdout) as { keyFile: string; publicKey: string };
    expect(keyFile).toBe(join(dir, 'prodops', 'operator.key'));
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'prodops')).mode & 0o777).toBe(0o700);
    expect(publicKey).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(keyFile, 'utf8')).not.toContain(publicKey.slice(8));
    // Never over an existing key by accident.
    const again = await prodops(['operator', 'keygen']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists: pass --force/);

    // Listed in the configuration, the key is who the command line is.
    const config = loadExampleConfig();
    const configPath = join(dir, 'prodops.config.yaml');
    writeFileSync(
      configPath,
      `${exampleConfigText()}\noperators:\n  - { id: priya, publicKey: '${publicKey}' }\n`,
    );
    const whoami = await prodops(['operator', 'whoami', '--config', configPath, '--json']);
    expect(JSON.parse(whoami.stdout)).toEqual({
      operator: 'priya',
      method: 'ed25519',
      source: keyFile,
      actsFor: ['product-ops'],
    });
    // What it signs, the workflow verifies; changed by a byte, it does not.
    const signer = resolveSigner({
      ...config,
      operators: [{ id: 'priya', publicKey, actsFor: ['product-ops'] }],
    });
    const command = { by: 'hana', decision: 'approve' };
    const auth = signer.sign('leave:gita:2027-03-01', 'confirmLeave', command);
    const registry = operatorGrants([{ id: 'priya', publicKey, actsFor: ['product-ops'] }]);
    expect(
      verifyOperator(registry, auth, commandScope('leave:gita:2027-03-01', 'confirmLeave', command)),
    ).toEqual({
      operator: registry[0],
    });
    expect(
      verifyOperator(
        registry,
        auth,
        commandScope('leave:gita:2027-03-01', 'confirmLeave', { ...command, by: 'hanа' }),
      ),
    ).toMatchObject({
      refused: expect.stringMatching(/^the signature does not match priya's key/) as string,
    });
  });

  it('refuses a key file others can read, a key nobody configured, and no operator at all', async () => {
    const { config, keys } = withOperators(loadExampleConfig());
    const file = join(dir, 'key');
    writeFileSync(file, keys.tom!, { mode: 0o644 });
    chmodSync(file, 0o644);
    process.env.PRODOPS_OPERATOR_KEY_FILE = file;
    expect(() => resolveSigner(config)).toThrow(/is readable by others \(mode 644\): chmod 600/);
    chmodSync(file, 0o600);
    expect(resolveSigner(config).operator.id).toBe('tom');
    // The same key, but the configuration does not list it.
    expect(() =>
      resolveSigner({ ...config, operators: config.operators.filter((o) => o.id !== 'tom') }),
    ).toThrow(/is not listed under operators: in the configuration/);
    delete process.env.PRODOPS_OPERATOR_KEY_FILE;
    const error = (() => {
      try {
        resolveSigner(config);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toMatch(/needs an operator: run `prodops operator keygen`/);
  });

  it('takes an OS user at its word only for an operator configured with osUser', () => {
    const config = loadExampleConfig();
    const me = userInfo().username;
    const claimed = resolveSigner({
      ...config,
      operators: [{ id: 'lena', osUser: me, actsFor: ['product-ops'] }],
    });
    expect(claimed.method).toBe('os-user');
    const auth = claimed.sign('release:REL-1', 'publishBundle', {});
    expect(auth).toMatchObject({ operator: 'lena', method: 'os-user', osUser: me });
    expect(auth.signature).toBeUndefined();
    // The workflow takes a claim only for an operator configured for it.
    const keyed = withOperators(config).config.operators.filter((o) => o.id === 'lena');
    expect(
      verifyOperator(operatorGrants(keyed), auth, commandScope('release:REL-1', 'publishBundle', {})),
    ).toEqual({
      refused: 'lena signs commands with a key: an OS-user claim is not accepted for them',
    });
  });
});
