/**
 * The deployable artifact: a function bundled by infra/functions/build.ts, started by the
 * Functions Framework's own command exactly as the Cloud Functions runtime starts it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFunctions } from '../../infra/functions/build';
import { signBody } from '../../triggers/verify';
import { eventually } from '../triggers/eventually';

const FRAMEWORK = join(
  dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')),
  'main.js',
);
const SECRET = 'bundle-test-jira-secret-0123456789';
// Inside the repository, where the framework resolves from node_modules as the runtime's own install would.
const outDir = fileURLToPath(new URL(`../../dist/test-functions-${process.pid}`, import.meta.url));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(outDir, { recursive: true, force: true });
});

describe('the bundled jira function', () => {
  it('is one file with the configuration inside, and answers as the source does', async () => {
    const {
      functions: [built],
    } = await buildFunctions({ outDir, only: ['jira'] });
    expect(built!.name).toBe('jira');
    expect(existsSync(join(built!.dir, 'index.js'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(built!.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      type: 'module',
      main: 'index.js',
      dependencies: { '@google-cloud/functions-framework': expect.any(String) as unknown },
    });
    expect(readFileSync(join(built!.dir, 'index.js'), 'utf8')).toContain('Northwind Analytics');

    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(
      process.execPath,
      [FRAMEWORK, '--target=jira', `--source=${built!.dir}`, `--port=${port}`],
      {
        // No configuration file anywhere: the embedded one is used.
        env: {
          ...process.env,
          PRODOPS_JIRA_WEBHOOK_SECRETS: SECRET,
          PRODOPS_CONFIG: '/nonexistent/config.yaml',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const body = JSON.stringify({ timestamp: 1_767_000_000_000, webhookEvent: 'jira:worklog_updated' });
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body: payload });
    const first = await eventually(
      () =>
        post({ 'content-type': 'application/json', 'x-hub-signature': signBody(SECRET, body) }).catch(
          () => undefined,
        ),
      'the function to listen',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stderr}`);
    });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      ok: true,
      ignored: 'jira:worklog_updated events start nothing',
    });
    expect((await post({ 'content-type': 'application/json' })).status).toBe(401);
    // Not JSON at all: the framework refuses it before the function runs, without a stack trace.
    const broken = await post(
      { 'content-type': 'application/json', 'x-hub-signature': signBody(SECRET, '{') },
      '{',
    );
    expect(broken.status).toBe(400);
    expect(await broken.text()).not.toMatch(/\n\s+at /);
  });
});
