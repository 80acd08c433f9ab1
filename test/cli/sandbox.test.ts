/**
 * `prodops sandbox reset`: a running sandbox is reset in place; a stopped one has its state file
 * cleared, so the next start is seeded afresh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { startSandbox } from '../../sandbox/index';
import { SANDBOX_STATE_FILE } from '../../sandbox/persist';
import { loadExampleConfig } from '../helpers/config';

const NOWHERE = 'http://127.0.0.1:9';
const config = loadExampleConfig();
const dataDir = mkdtempSync(join(tmpdir(), 'prodops-sandbox-reset-'));
const stateFile = join(dataDir, SANDBOX_STATE_FILE);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function prodops(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A sandbox on the state file holding one issue comment made through its API. */
async function sandboxWithAComment() {
  const sandbox = await startSandbox({ config, stateFile });
  const issueKey = [...sandbox.jira.store.issues.keys()][0]!;
  const response = await fetch(`${sandbox.url}/rest/api/3/issue/${issueKey}/comment`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${btoa('prodops@sandbox.local:x')}`,
    },
    body: JSON.stringify({
      body: {
        type: 'doc',
        version: 1,
        content: [{ type: 'paragraph', content: [{ type: 'text', text: 'hi' }] }],
      },
    }),
  });
  expect(response.status).toBe(201);
  return { sandbox, issueKey };
}

describe('prodops sandbox reset', () => {
  it('clears the state file of a stopped sandbox', async () => {
    const { sandbox, issueKey } = await sandboxWithAComment();
    await sandbox.close();
    const result = await prodops('sandbox', 'reset', '--sandbox-url', NOWHERE, '--data-dir', dataDir);
    expect(result).toMatchObject({
      code: 0,
      out: `sandbox state in ${stateFile} cleared: the next start seeds it afresh from the configuration`,
    });
    const restarted = await startSandbox({ config, stateFile });
    expect(restarted.jira.store.comments.get(issueKey) ?? []).toEqual([]);
    await restarted.close();
  });

  it('resets a running sandbox in place, and its file with it', async () => {
    const { sandbox, issueKey } = await sandboxWithAComment();
    const result = await prodops('sandbox', 'reset', '--sandbox-url', sandbox.url, '--data-dir', dataDir);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^sandbox at http:\/\/127\.0\.0\.1:\d+ reset/);
    expect(sandbox.jira.store.comments.get(issueKey) ?? []).toEqual([]);
    await sandbox.close();
    const restarted = await startSandbox({ config, stateFile });
    expect(restarted.jira.store.comments.get(issueKey) ?? []).toEqual([]);
    await restarted.close();
  });

  it('says so when there is nothing to reset', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'prodops-sandbox-none-'));
    const result = await prodops('sandbox', 'reset', '--sandbox-url', NOWHERE, '--data-dir', empty);
    expect(result).toMatchObject({ code: 0 });
    expect(result.out).toMatch(/nothing to reset/);
    rmSync(empty, { recursive: true, force: true });
  });
});
