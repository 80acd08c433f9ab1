import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JWT, OAuth2Client } from 'google-auth-library';
import { describe, expect, it } from 'vitest';
import {
  createGoogleClients,
  createSandboxAuthClient,
  GOOGLE_SCOPES,
  googleCredentialsFromEnv,
  parseServiceAccountKey,
} from '../../activities/google-auth';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const keyJson = JSON.stringify({
  type: 'service_account',
  project_id: 'northwind',
  private_key_id: 'key-1',
  private_key: privateKey,
  client_email: 'prodops@northwind.iam.gserviceaccount.com',
});

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('googleCredentialsFromEnv', () => {
  it('prefers the service account, else needs all three OAuth variables', () => {
    expect(googleCredentialsFromEnv({})).toBeUndefined();
    expect(
      googleCredentialsFromEnv({
        PRODOPS_GOOGLE_SERVICE_ACCOUNT: ' /etc/key.json ',
        PRODOPS_GOOGLE_CLIENT_ID: 'id',
      }),
    ).toEqual({
      kind: 'service-account',
      serviceAccount: '/etc/key.json',
    });
    expect(
      googleCredentialsFromEnv({
        PRODOPS_GOOGLE_CLIENT_ID: 'id',
        PRODOPS_GOOGLE_CLIENT_SECRET: 'shh',
        PRODOPS_GOOGLE_REFRESH_TOKEN: '1//refresh',
      }),
    ).toEqual({
      kind: 'oauth-refresh-token',
      clientId: 'id',
      clientSecret: 'shh',
      refreshToken: '1//refresh',
    });
    const partial = errorOf(() =>
      googleCredentialsFromEnv({
        PRODOPS_GOOGLE_CLIENT_ID: 'id',
        PRODOPS_GOOGLE_CLIENT_SECRET: 'very-secret-value',
      }),
    );
    expect(partial.message).toContain('PRODOPS_GOOGLE_REFRESH_TOKEN');
    expect(partial.message).not.toContain('very-secret-value');
  });
});

describe('parseServiceAccountKey', () => {
  it('reads the key from JSON or from a file', () => {
    expect(parseServiceAccountKey(keyJson)).toEqual({
      client_email: 'prodops@northwind.iam.gserviceaccount.com',
      private_key: privateKey,
      private_key_id: 'key-1',
    });
    const path = join(mkdtempSync(join(tmpdir(), 'prodops-key-')), 'key.json');
    writeFileSync(path, keyJson);
    expect(parseServiceAccountKey(path).client_email).toBe('prodops@northwind.iam.gserviceaccount.com');
  });

  it('explains a broken key without quoting it', () => {
    const secretish = privateKey.split('\n')[1]!;
    const cases = [
      `{"type": "service_account", "private_key": "${secretish}`,
      JSON.stringify({ type: 'authorized_user', private_key: secretish }),
      JSON.stringify({
        type: 'service_account',
        client_email: 'x@y.z',
        private_key: `-----BEGIN PRIVATE KEY-----\n${secretish}\n-----END PRIVATE KEY-----\n`,
      }),
      secretish,
    ];
    for (const value of cases) {
      const error = errorOf(() => parseServiceAccountKey(value));
      expect(error.message).toContain('PRODOPS_GOOGLE_SERVICE_ACCOUNT');
      expect(error.message).not.toContain(secretish.slice(0, 20));
      expect(error.cause).toBeUndefined();
    }
  });
});

describe('createGoogleClients', () => {
  it('impersonates each user with its own cached JWT client and the needed scopes', () => {
    const clients = createGoogleClients({ kind: 'service-account', serviceAccount: keyJson });
    const ana = clients.authFor('Ana@northwind.example');
    expect(ana).toBeInstanceOf(JWT);
    expect((ana as JWT).subject).toBe('ana@northwind.example');
    expect((ana as JWT).email).toBe('prodops@northwind.iam.gserviceaccount.com');
    expect((ana as JWT).scopes).toEqual([...GOOGLE_SCOPES]);
    expect(clients.authFor('ana@northwind.example')).toBe(ana);
    expect(clients.authFor('ben@northwind.example')).not.toBe(ana);
    expect(clients.calendarFor('ana@northwind.example')).toBe(clients.calendarFor('ANA@northwind.example'));
    expect(() => clients.calendarFor('not an email')).toThrow(/not an email address/);
  });

  it('builds the API clients without gaxios retries, pointed at rootUrl', () => {
    const clients = createGoogleClients({ kind: 'sandbox' }, { rootUrl: 'http://127.0.0.1:9/' });
    for (const api of [
      clients.calendarFor('ana@northwind.example'),
      clients.gmailFor('ana@northwind.example'),
    ]) {
      expect(api.context._options).toMatchObject({
        retry: false,
        rootUrl: 'http://127.0.0.1:9/',
        timeout: 30_000,
      });
    }
    expect(() => createGoogleClients({ kind: 'sandbox' })).toThrow(/rootUrl/);
  });

  it("acts as the refresh token's owner whoever is asked for", () => {
    const clients = createGoogleClients({
      kind: 'oauth-refresh-token',
      clientId: 'id',
      clientSecret: 'shh',
      refreshToken: '1//refresh',
    });
    const auth = clients.authFor('ana@northwind.example');
    expect(auth).toBeInstanceOf(OAuth2Client);
    expect(auth.credentials.refresh_token).toBe('1//refresh');
    expect(clients.authFor('ben@northwind.example')).toBe(auth);
  });

  it('gives the sandbox a bearer token naming the user, without any network', async () => {
    const headers = await createSandboxAuthClient('ana@northwind.example').getRequestHeaders();
    expect(headers.get('authorization')).toBe('Bearer sandbox-ana@northwind.example');
    const viaClients = await createGoogleClients({ kind: 'sandbox' }, { rootUrl: 'http://127.0.0.1:9/' })
      .authFor('Ben@Northwind.example')
      .getRequestHeaders();
    expect(viaClients.get('authorization')).toBe('Bearer sandbox-ben@northwind.example');
  });
});
