import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Commands report a SettingsError as they do bad input: one line, exit 2.
import { SettingsError as UsageError } from '../../runtime/errors';
import { temporalConnectionOptions } from '../../runtime/temporal';

const temporal = {
  address: 'prodops.a1b2c.tmprl.cloud:7233',
  namespace: 'prodops.a1b2c',
  taskQueue: 'prodops',
};
const dir = mkdtempSync(join(tmpdir(), 'prodops-tls-'));
const certPath = join(dir, 'client.pem');
const keyPath = join(dir, 'client.key');
const notPem = join(dir, 'client.txt');
writeFileSync(certPath, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
writeFileSync(keyPath, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
writeFileSync(notPem, 'hello');

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    temporalConnectionOptions(temporal, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected the environment to be refused');
}

describe('temporalConnectionOptions', () => {
  it('uses the configured address in plain text when no credentials are set', () => {
    const options = temporalConnectionOptions(temporal, {}, 1_234);
    expect(options).toEqual({ address: temporal.address, connectTimeout: 1_234 });
  });

  it('sends TEMPORAL_API_KEY over TLS', () => {
    const options = temporalConnectionOptions(temporal, { TEMPORAL_API_KEY: ' secret-key ' });
    expect(options.apiKey).toBe('secret-key');
    expect(options.tls).toBe(true);
  });

  it('reads the mTLS certificate and key from the paths in TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY', () => {
    const options = temporalConnectionOptions(temporal, {
      TEMPORAL_TLS_CERT: certPath,
      TEMPORAL_TLS_KEY: keyPath,
    });
    const pair = (options.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array } }).clientCertPair;
    expect(Buffer.from(pair.crt).toString()).toContain('BEGIN CERTIFICATE');
    expect(Buffer.from(pair.key).toString()).toContain('BEGIN PRIVATE KEY');
    expect(options.apiKey).toBeUndefined();
  });

  it('refuses half an mTLS pair, a missing file and a file that is not PEM, naming the variable', () => {
    expect(refusal({ TEMPORAL_TLS_CERT: certPath })).toBe(
      'TEMPORAL_TLS_CERT is set but TEMPORAL_TLS_KEY is not: mTLS needs both',
    );
    expect(refusal({ TEMPORAL_TLS_KEY: keyPath })).toBe(
      'TEMPORAL_TLS_KEY is set but TEMPORAL_TLS_CERT is not: mTLS needs both',
    );
    expect(refusal({ TEMPORAL_TLS_CERT: join(dir, 'absent.pem'), TEMPORAL_TLS_KEY: keyPath })).toBe(
      `TEMPORAL_TLS_CERT: cannot read ${join(dir, 'absent.pem')} (ENOENT)`,
    );
    expect(refusal({ TEMPORAL_TLS_CERT: certPath, TEMPORAL_TLS_KEY: notPem })).toBe(
      `TEMPORAL_TLS_KEY: ${notPem} is not a PEM file`,
    );
  });
});
