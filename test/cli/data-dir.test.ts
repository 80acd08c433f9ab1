import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensurePrivateDataDir } from '../../cli/data-dir';
import {
  DEV_SECRETS_FILE,
  describeDevSecrets,
  loadOrCreateDevSecrets,
  readSigningSecrets,
  secretFingerprint,
  TriggerSecretError,
} from '../../triggers/secrets';

const modeOf = (path: string) => statSync(path).mode & 0o777;
const roots: string[] = [];
function scratch(): string {
  const root = mkdtempSync(join(tmpdir(), 'prodops-data-'));
  roots.push(root);
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('the local data directory', () => {
  it('is created with mode 0700', () => {
    const dir = join(scratch(), '.prodops');
    const result = ensurePrivateDataDir(dir);
    expect(result).toMatchObject({ path: dir, created: true });
    expect(result.previousMode).toBeUndefined();
    expect(modeOf(dir)).toBe(0o700);
  });

  it('brings an existing open directory to 0700 and says what it was', () => {
    const dir = scratch();
    chmodSync(dir, 0o755);
    expect(ensurePrivateDataDir(dir)).toMatchObject({ created: false, previousMode: '755' });
    expect(modeOf(dir)).toBe(0o700);
    expect(ensurePrivateDataDir(dir).previousMode).toBeUndefined();
  });

  it('keeps generated secrets in an owner-only file inside an owner-only directory', () => {
    const dir = join(scratch(), 'fresh');
    const dev = loadOrCreateDevSecrets(dir, {});
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(dev.file)).toBe(0o600);
    expect(loadOrCreateDevSecrets(dir, {}).secrets).toEqual(dev.secrets);
  });

  it('refuses a secrets file others can read, naming the file and its mode', () => {
    const dir = scratch();
    const dev = loadOrCreateDevSecrets(dir, {});
    chmodSync(dev.file, 0o644);
    const expected = `${join(dir, DEV_SECRETS_FILE)} has mode 644: it must be readable by its owner only`;
    expect(() => loadOrCreateDevSecrets(dir, {})).toThrow(TriggerSecretError);
    expect(() => loadOrCreateDevSecrets(dir, {})).toThrow(expected);
    expect(() => readSigningSecrets(dir, {})).toThrow(expected);
    chmodSync(dev.file, 0o620);
    expect(() => readSigningSecrets(dir, {})).toThrow('has mode 620');
    chmodSync(dev.file, 0o600);
    expect(readSigningSecrets(dir, {}).jira).toEqual(dev.secrets.jira);
  });

  it('describes the secrets by where they are and their fingerprints, never their values', () => {
    const dir = scratch();
    writeFileSync(join(dir, DEV_SECRETS_FILE), JSON.stringify({ jira: 'jira-secret-from-the-file' }), {
      mode: 0o600,
    });
    const calendar = 'calendar-secret-from-the-environment';
    const dev = loadOrCreateDevSecrets(dir, { PRODOPS_CALENDAR_CHANNEL_SECRET: calendar });
    const text = describeDevSecrets(dev).join('\n');
    for (const kind of ['jira', 'notion', 'calendar'] as const)
      for (const value of dev.secrets[kind]) {
        expect(text).not.toContain(value);
        expect(text).toContain(secretFingerprint(value));
      }
    expect(text).toContain(dev.file);
    expect(text).toMatch(/PRODOPS_JIRA_WEBHOOK_SECRETS {2}[0-9a-f]{12} {2}\(from the file\)/);
    expect(text).toMatch(/PRODOPS_NOTION_VERIFICATION_TOKENS {2}[0-9a-f]{12} {2}\(generated now\)/);
    expect(text).toMatch(/PRODOPS_CALENDAR_CHANNEL_SECRET {2}[0-9a-f]{12} {2}\(from the environment\)/);
    expect(secretFingerprint(calendar)).toBe(
      createHash('sha256').update(calendar).digest('hex').slice(0, 12),
    );
  });
});
