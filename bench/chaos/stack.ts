/**
 * The stack the fault-injection run breaks and mends: a Temporal dev server on SQLite run as a
 * child process (so it can be stopped and started again on the same database), the sandbox APIs
 * with their state on disk, the trigger gateway, and `prodops worker` as a child process (so it
 * can be killed with SIGKILL mid-activity and started again from a prebuilt workflow bundle).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import type { OrgConfig } from '../../domain/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { loadConfig } from '../../runtime/config';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { registerSimulationRoutes } from '../../sandbox/simulate/simulation';
import { SANDBOX_STATE_FILE } from '../../sandbox/persist';
import type { Gateway } from '../../triggers/gateway';
import { secretsAsEnv } from '../../triggers/secrets';
import { temporalPort } from '../../triggers/workflows';
import { exampleConfigText } from '../../test/helpers/config';
import { operatorsYaml, withOperators, type TestOperators } from '../../test/helpers/operators';
import { spawnProdops, writeWorkflowBundle, type ProdopsProcess } from '../../test/helpers/processes';
import { startTestGateway } from '../../test/helpers/stack';
import { freePort, isListening } from '../../runtime/ports';
import { SECRETS } from '../../test/triggers/fixtures';

/** The CLI's name for each search attribute type, for `--search-attribute Name=Type`. */
const CLI_TYPE: Record<string, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

export interface ChaosStack {
  readonly dir: string;
  readonly configPath: string;
  readonly config: OrgConfig;
  readonly operators: TestOperators;
  readonly client: Client;
  readonly sandbox: Sandbox;
  readonly gateway: Gateway;
  readonly worker: ProdopsProcess;
  /** `kill -9` of the worker, then a new one after `downMs`. */
  crashWorker(downMs: number): Promise<void>;
  /** The dev server stopped (SIGTERM), then started again on the same database after `downMs`. */
  restartServer(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

interface ServerProcess {
  child: ChildProcess;
  exited: Promise<unknown>;
  output: string[];
}

function startServerProcess(cli: string, dbFile: string, port: number, namespace: string): ServerProcess {
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--headless',
    '--namespace',
    namespace,
    '--log-level',
    'error',
    ...ALL_SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${CLI_TYPE[a.type]}`]),
  ];
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 50) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited, output };
}

async function waitUntilServing(server: ServerProcess, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void server.exited.then(() => (ended = true));
  while (!(await isListening(port))) {
    if (ended) throw new Error(`the Temporal dev server ended while starting:\n${server.output.join('')}`);
    if (Date.now() > deadline)
      throw new Error(`the Temporal dev server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the server answers as a client sees it (the namespace is there, the frontend is up). */
async function waitUntilAnswering(client: Client, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.workflowService.getSystemInfo({});
      await client.workflow.count('WorkflowType = "releaseWorkflow"');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function startChaosStack(options: { log: (line: string) => void }): Promise<ChaosStack> {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set: run through scripts/with-tools.sh');
  const dir = mkdtempSync(join(tmpdir(), 'prodops-chaos-'));
  const dbFile = join(dir, 'temporal.db');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;

  // The example organisation, every person an operator with a key of their own (the CLI signs
  // each command with the key of whoever runs it), against this run's server.
  const example = loadConfig(undefined, { allowExample: true }).config;
  const operators = withOperators(example);
  const configText = exampleConfigText()
    .replace('address: 127.0.0.1:7233', `address: ${address}`)
    .replace(/^# operators:\n(#.*\n)*/m, operatorsYaml(operators));
  const configPath = join(dir, 'prodops.config.yaml');
  writeFileSync(configPath, configText);
  const config = loadConfig(configPath).config;
  const namespace = config.temporal.namespace;

  let server = startServerProcess(cli, dbFile, port, namespace);
  const stops: (() => Promise<unknown>)[] = [];
  const stopServer = async () => {
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
    await server.exited;
    clearTimeout(timer);
  };
  stops.unshift(() => stopServer());
  try {
    const [bundlePath] = await Promise.all([writeWorkflowBundle(dir), waitUntilServing(server, port)]);
    const connection = await Connection.connect({ address });
    stops.unshift(() => connection.close());
    const client = new Client({ connection, namespace });
    await waitUntilAnswering(client);

    const sandbox = await startSandbox({ config, port: 0, stateFile: join(dir, SANDBOX_STATE_FILE) });
    registerSimulationRoutes(sandbox);
    stops.unshift(() => sandbox.close());

    const gateway = await startTestGateway({
      config,
      secrets: SECRETS,
      workflows: temporalPort(client, { taskQueue: config.temporal.taskQueue }),
    });
    stops.unshift(() => gateway.close());

    const workerEnv = {
      ...secretsAsEnv(SECRETS),
      PRODOPS_SANDBOX_URL: sandbox.url,
      PRODOPS_WORKFLOW_BUNDLE: bundlePath,
      PRODOPS_LOG_LEVEL: 'info',
    };
    let generation = 0;
    const startWorker = async () => {
      const worker = spawnProdops(`worker-${++generation}`, ['worker', '--config', configPath], {
        env: workerEnv,
      });
      await worker.waitFor(/worker polling/, 120_000);
      return worker;
    };
    let worker = await startWorker();
    stops.unshift(() => worker.stop());

    return {
      dir,
      configPath,
      config,
      operators,
      client,
      sandbox,
      gateway,
      get worker() {
        return worker;
      },
      async crashWorker(downMs) {
        options.log(`kill -9 ${worker.name} (pid ${worker.pid})`);
        await worker.kill9();
        await new Promise((r) => setTimeout(r, downMs));
        worker = await startWorker();
        options.log(`${worker.name} polling (pid ${worker.pid})`);
      },
      async restartServer(downMs) {
        options.log('stopping the Temporal dev server');
        await stopServer();
        await new Promise((r) => setTimeout(r, downMs));
        server = startServerProcess(cli, dbFile, port, namespace);
        await waitUntilServing(server, port);
        await waitUntilAnswering(client);
        options.log('the Temporal dev server answers again, on the same database');
      },
      async stop() {
        for (const step of stops.splice(0)) await step().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const step of stops.splice(0)) await step().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
