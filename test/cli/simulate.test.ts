/**
 * `prodops simulate` and `prodops calendar` on their own: input checks before anything is
 * contacted, and a simulated Jira change delivered, signed, to a gateway without a sandbox.
 * (With the sandbox, the same deliveries drive a real release in test/triggers/gateway.e2e.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import type { Gateway } from '../../triggers/gateway';
import { TRIGGER_SECRET_ENV } from '../../triggers/secrets';
import { EXAMPLE_CONFIG_PATH, loadExampleConfig } from '../helpers/config';
import { startTestGateway } from '../helpers/stack';
import { SECRETS } from '../triggers/fixtures';
import { RecordingWorkflows } from '../triggers/recording-workflows';

const NOWHERE = 'http://127.0.0.1:9';
const workflows = new RecordingWorkflows();
let gateway: Gateway;
const dataDir = mkdtempSync(join(tmpdir(), 'prodops-simulate-'));

beforeAll(async () => {
  gateway = await startTestGateway({ config: loadExampleConfig(), workflows });
});
afterAll(async () => {
  await gateway?.close();
});
afterEach(() => {
  delete process.env[TRIGGER_SECRET_ENV.jira];
});

async function prodops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args, '--config', EXAMPLE_CONFIG_PATH], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('prodops simulate', () => {
  it('refuses a bad tier or key before contacting anything', async () => {
    const tier = await prodops(
      'simulate',
      'jira-issue',
      '--key',
      'REL-9',
      '--tier',
      '7',
      '--sandbox-url',
      NOWHERE,
    );
    expect(tier).toMatchObject({ code: 2, err: 'prodops: --tier must be 1, 2 or 3, got "7"' });
    const key = await prodops('simulate', 'jira-status', '--key', 'release nine', '--status', 'Released');
    expect(key).toMatchObject({
      code: 2,
      err: 'prodops: --key must be a Jira issue key such as REL-9, got "release nine"',
    });
  });

  it('says where secrets come from when it has none to sign with', async () => {
    const result = await prodops(
      'simulate',
      'jira-issue',
      '--key',
      'REL-9',
      '--tier',
      '3',
      '--sandbox-url',
      NOWHERE,
      '--gateway-url',
      gateway.url,
      '--data-dir',
      dataDir,
    );
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      `prodops: no jira secret to sign with: set PRODOPS_JIRA_WEBHOOK_SECRETS, or run prodops start first (it keeps development secrets in ${dataDir})`,
    );
  });

  it('without a sandbox sends the webhook alone, signed, and the gateway starts the release', async () => {
    process.env[TRIGGER_SECRET_ENV.jira] = SECRETS.jira[0]!;
    const result = await prodops(
      'simulate',
      'jira-issue',
      '--key',
      'REL-77',
      '--tier',
      '2',
      '--launch',
      '2027-04-05',
      '--pm',
      'ben',
      '--sandbox-url',
      NOWHERE,
      '--gateway-url',
      gateway.url,
      '--data-dir',
      dataDir,
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('tierChanged → release:REL-77 (delivered)');
    expect(workflows.running.get('release:REL-77')!.args).toEqual([
      { issueKey: 'REL-77', tier: 2, launchDate: '2027-04-05', pmId: 'ben', title: 'REL-77' },
    ]);
  });

  it('reports a gateway that is not there in one line', async () => {
    process.env[TRIGGER_SECRET_ENV.jira] = SECRETS.jira[0]!;
    const result = await prodops(
      'simulate',
      'jira-issue',
      '--key',
      'REL-9',
      '--tier',
      '3',
      '--sandbox-url',
      NOWHERE,
      '--gateway-url',
      NOWHERE,
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /^prodops: cannot reach the gateway at http:\/\/127\.0\.0\.1:9 \(.*\): is prodops start running\?$/,
    );
  });
});

describe('prodops calendar watch', () => {
  it('needs --all or --person, and an http(s) public URL', async () => {
    expect(await prodops('calendar', 'watch')).toMatchObject({
      code: 2,
      err: 'prodops: pass --all, or --person ID for one calendar',
    });
    expect(await prodops('calendar', 'watch', '--person', 'zed')).toMatchObject({
      code: 2,
      err: 'prodops: --person "zed" is not a person in the configuration',
    });
    const url = await prodops('calendar', 'watch', '--all', '--public-url', 'ftp://example.com');
    expect(url.code).toBe(2);
    expect(url.err).toMatch(/the public URL must be an http\(s\) URL, got "ftp:\/\/example.com"/);
  });
});
