/**
 * The deployable artifact: a function bundled by infra/functions/build.ts, started by the
 * Functions Framework's own command exactly as the Cloud Functions runtime starts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { buildFunctions, type BundleFile } from '../../infra/functions/build';
import { COMPILE_CACHE_DIR } from '../../infra/functions/compile-cache';
import { limitFrameworkBodies } from '../../infra/functions/body-limit';
import { signBody } from '../../triggers/verify';
import { eventually } from '../triggers/eventually';
import { createDevServerEnv, uniqueId } from '../helpers/temporal';
import { freePort } from '../../runtime/ports';

const FRAMEWORK = join(
  dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')),
  'main.js',
);
const SECRET = 'bundle-test-jira-secret-0123456789';
// Inside the repository, where the framework resolves from node_modules as the runtime's own install would.
/** Jira's body for a new Tier 2 release issue of Ana's, launching 2027-06-01. */
function issueCreatedBody(key: string): string {
  return JSON.stringify({
    timestamp: Date.now(),
    webhookEvent: 'jira:issue_created',
    user: { accountId: '5f1a00000000000000000ana' },
    issue: {
      key,
      fields: {
        project: { key: 'REL' },
        issuetype: { name: 'Task', subtask: false },
        assignee: { accountId: '5f1a00000000000000000ana' },
        customfield_10050: { value: '2' },
        customfield_10051: '2027-06-01',
      },
    },
  });
}

const outDir = fileURLToPath(new URL(`../../dist/test-functions-${process.pid}`, import.meta.url));
const children: ChildProcess[] = [];

/** The environment of a deployed function: no NODE_ENV of the test runner's (the bundle sets production). */
function runtimeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_ENV;
  return env;
}

/**
 * A module hook that names every file of the bundle the process loads (on stderr), so that a test
 * sees when the Temporal client's files are loaded.
 */
function loadTracer(): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'trace-loads.mjs');
  writeFileSync(
    file,
    [
      "import { registerHooks } from 'node:module';",
      'registerHooks({',
      '  load(url, context, nextLoad) {',
      `    if (url.startsWith(${JSON.stringify(pathToFileURL(outDir).href)})) process.stderr.write('loaded ' + url.slice(url.lastIndexOf('/') + 1) + '\\n');`,
      '    return nextLoad(url, context);',
      '  },',
      '});',
    ].join('\n'),
  );
  return pathToFileURL(file).href;
}

afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
  rmSync(outDir, { recursive: true, force: true });
});

describe('the bundled jira function', () => {
  it('carries the configuration, answers as the source does, and loads the Temporal client only to dispatch', async () => {
    const {
      functions: [built],
    } = await buildFunctions({ outDir, only: ['jira'] });
    expect(built!.name).toBe('jira');
    expect(existsSync(join(built!.dir, 'index.js'))).toBe(true);
    const clientFiles = built!.files.filter((f: BundleFile) => f.loaded === 'temporal').map((f) => f.name);
    expect(clientFiles.length).toBeGreaterThan(0);
    const pkg = JSON.parse(readFileSync(join(built!.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      type: 'module',
      main: 'index.js',
      dependencies: { '@google-cloud/functions-framework': expect.any(String) as unknown },
    });
    const startFiles = built!.files.filter((f) => f.loaded === 'start').map((f) => f.name);
    const atStart = startFiles.map((name) => readFileSync(join(built!.dir, name), 'utf8')).join('\n');
    expect(atStart).toContain('Northwind Analytics');
    // Neither the schema nor the YAML parser: the configuration was validated when it was built.
    expect(atStart).not.toContain('is not a person');

    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', loadTracer(), FRAMEWORK, '--target=jira', `--source=${built!.dir}`, `--port=${port}`],
      {
        // No configuration file anywhere: the embedded one is used. Temporal is not there.
        env: runtimeEnv({
          PRODOPS_JIRA_WEBHOOK_SECRETS: SECRET,
          PRODOPS_CONFIG: '/nonexistent/config.yaml',
          PRODOPS_TEMPORAL_ADDRESS: '127.0.0.1:9',
        }),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const body = JSON.stringify({ timestamp: Date.now(), webhookEvent: 'jira:worklog_updated' });
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
      timestamp: Date.now(),
      webhookEvent: 'jira:worklog_updated',
      pad: 'x'.repeat(1000 * 1000),
    });
    const fits = await post(
      { 'content-type': 'application/json', 'x-hub-signature': signBody(SECRET, large) },
      large,
    );
    expect(fits.status).toBe(200);

    // Answered without the client: a forged delivery, a malformed one, an ignored one.
    const loadedSoFar = () => [...stderr.matchAll(/^loaded (.+)$/gm)].map((m) => m[1]!);
    expect(loadedSoFar()).toEqual(expect.arrayContaining(['index.js', ...startFiles]));
    for (const name of clientFiles) expect(loadedSoFar()).not.toContain(name);
    // A delivery that reaches a release loads it (and, Temporal being away, answers 503).
    const created = issueCreatedBody('REL-41');
    const dispatched = await post(
      { 'content-type': 'application/json', 'x-hub-signature': signBody(SECRET, created) },
      created,
    );
    expect(dispatched.status).toBe(503);
    expect(loadedSoFar()).toEqual(expect.arrayContaining(clientFiles));
  });

  it('is at most 1 MB, with nothing of the Temporal client loaded at start', async () => {
    const { functions } = await buildFunctions({ outDir });
    for (const fn of functions) {
      expect(fn.bytes, fn.name).toBeLessThanOrEqual(1_000_000);
      const start = fn.files.filter((f) => f.loaded === 'start');
      const startCode = start.map((f) => readFileSync(join(fn.dir, f.name), 'utf8')).join('\n');
      // grpc-js and the Temporal API definitions are only in the files loaded to dispatch.
      expect(startCode, fn.name).not.toContain('grpc.max_receive_message_length');
      expect(startCode, fn.name).not.toContain('WorkflowService');
    }
  });

  it("makes its compile cache with the runtime's build step", async () => {
    const {
      functions: [built],
    } = await buildFunctions({ outDir, only: ['calendar'] });
    const pkg = JSON.parse(readFileSync(join(built!.dir, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const script = pkg.scripts['gcp-build']!;
    const run = spawnSync('sh', ['-c', script], { cwd: built!.dir, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^compile cache: \d+ files compiled for Node v24/);
    const [versioned] = readdirSync(join(built!.dir, COMPILE_CACHE_DIR));
    expect(versioned).toMatch(new RegExp(`^v${process.versions.node}-${process.arch}-`));
    expect(readdirSync(join(built!.dir, COMPILE_CACHE_DIR, versioned!)).length).toBeGreaterThan(0);
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

describe('the bundled jira function against a real Temporal server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createDevServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  // The bundle's client carries only the WorkflowService methods a trigger calls, and only the
  // messages they reach (infra/functions/temporal-definitions.ts): this is the proof that what it
  // carries is enough, with every outcome a Jira delivery can have.
  it('signals-with-start a release that does not exist yet, signals it again, and refuses a closed one', async () => {
    const {
      functions: [built],
    } = await buildFunctions({ outDir, only: ['jira'] });
    const taskQueue = uniqueId('bundle');
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [FRAMEWORK, '--target=jira', `--source=${built!.dir}`, `--port=${port}`],
      {
        env: runtimeEnv({
          PRODOPS_JIRA_WEBHOOK_SECRETS: SECRET,
          PRODOPS_TEMPORAL_ADDRESS: env.address,
          PRODOPS_TEMPORAL_NAMESPACE: env.namespace ?? 'default',
          PRODOPS_TEMPORAL_TASK_QUEUE: taskQueue,
        }),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const issueKey = `REL-${Math.floor(Math.random() * 1e6)}`;
    const workflowId = `release:${issueKey}`;
    const deliver = async (identifier: string) => {
      const body = issueCreatedBody(issueKey);
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature': signBody(SECRET, body),
          'x-atlassian-webhook-identifier': identifier,
        },
        body,
      });
      return {
        status: response.status,
        body: (await response.json()) as {
          results?: { workflowId: string; signal: string; outcome: string }[];
        },
      };
    };
    const signalsOf = async (runId: string) => {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      return (history.events ?? [])
        .map((event) => event.workflowExecutionSignaledEventAttributes?.signalName)
        .filter((name): name is string => typeof name === 'string');
    };

    // No workflow of the id exists: the delivery starts it, with its signals.
    const first = await eventually(
      () => deliver('first').catch(() => undefined),
      'the function to listen',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stderr}`);
    });
    expect(first.status, stderr).toBe(200);
    const signals = first.body.results!.map((r) => r.signal);
    expect(signals.length).toBeGreaterThan(0);
    expect(first.body.results!.every((r) => r.workflowId === workflowId && r.outcome === 'delivered')).toBe(
      true,
    );
    const started = await env.client.workflow.getHandle(workflowId).describe();
    expect(started.status.name).toBe('RUNNING');
    expect(started.type).toBe('releaseWorkflow');
    expect(started.taskQueue).toBe(taskQueue);
    expect(await signalsOf(started.runId)).toEqual(signals);

    // Another delivery signals the same run.
    const second = await deliver('second');
    expect(second.status).toBe(200);
    expect(second.body.results!.every((r) => r.outcome === 'delivered')).toBe(true);
    expect((await env.client.workflow.getHandle(workflowId).describe()).runId).toBe(started.runId);
    expect(await signalsOf(started.runId)).toEqual([...signals, ...signals]);

    // A release that has ended is not started again, however late Jira delivers.
    await env.client.workflow.getHandle(workflowId).terminate('ended for the test');
    const late = await deliver('late');
    expect(late.status).toBe(200);
    expect(late.body.results!.every((r) => r.outcome === 'closed')).toBe(true);
    expect((await env.client.workflow.getHandle(workflowId).describe()).runId).toBe(started.runId);
  });
});

describe('limitFrameworkBodies', () => {
  it('answers false where no Functions Framework is installed', () => {
    expect(limitFrameworkBodies(1024, pathToFileURL('/nonexistent/index.js').href)).toBe(false);
  });
});
