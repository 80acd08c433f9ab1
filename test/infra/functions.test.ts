/**
 * The deployable artifact: a function bundled by infra/functions/build.ts, started by the
 * Functions Framework's own command exactly as the Cloud Functions runtime starts it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { buildFunctions } from '../../infra/functions/build';
import { limitFrameworkBodies } from '../../infra/functions/body-limit';
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

/** The environment of a deployed function: no NODE_ENV of the test runner's (the bundle sets production). */
function runtimeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_ENV;
  return env;
}

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
        env: runtimeEnv({
          PRODOPS_JIRA_WEBHOOK_SECRETS: SECRET,
          PRODOPS_CONFIG: '/nonexistent/config.yaml',
        }),
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
    expect(await broken.text()).not.toMatch(/\bat \S+ \(/);

    // Oversized: refused by the framework's own parser at 1 MiB, before the function runs (a
    // correctly signed body would otherwise be accepted by the handler: it is the size that fails).
    const huge = JSON.stringify({
      timestamp: 1,
      webhookEvent: 'jira:worklog_updated',
      pad: 'x'.repeat(2 << 20),
    });
    const declared = await post(
      { 'content-type': 'application/json', 'x-hub-signature': signBody(SECRET, huge) },
      huge,
    );
    expect(declared.status).toBe(413);
    // The framework's answer, not the handler's JSON one: the function never saw the body.
    expect(declared.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await declared.text()).toContain('Payload Too Large');
    // Without a Content-Length (chunked), the parser stops at the limit all the same.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 3; i++)
          controller.enqueue(new TextEncoder().encode(huge.slice(i * 1e6, (i + 1) * 1e6)));
        controller.enqueue(new TextEncoder().encode(huge.slice(3e6)));
        controller.close();
      },
    });
    const chunked = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature': signBody(SECRET, huge) },
      body: chunks,
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
    expect(await chunked.text()).toContain('Payload Too Large');
    // Just under the limit still reaches the handler.
    const large = JSON.stringify({
      timestamp: 1,
      webhookEvent: 'jira:worklog_updated',
      pad: 'x'.repeat(1000 * 1000),
    });
    const fits = await post(
      { 'content-type': 'application/json', 'x-hub-signature': signBody(SECRET, large) },
      large,
    );
    expect(fits.status).toBe(200);
  });

  it('records the configuration it embeds', async () => {
    const {
      configPath,
      functions: [built],
    } = await buildFunctions({ outDir, only: ['notion'] });
    const info = JSON.parse(readFileSync(join(built!.dir, 'build-info.json'), 'utf8')) as {
      configSha256: string;
    };
    expect(info.configSha256).toBe(createHash('sha256').update(readFileSync(configPath)).digest('hex'));
  });
});

describe('limitFrameworkBodies', () => {
  it('answers false where no Functions Framework is installed', () => {
    expect(limitFrameworkBodies(1024, pathToFileURL('/nonexistent/index.js').href)).toBe(false);
  });
});
