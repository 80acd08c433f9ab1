/**
 * `prodops start`: the whole stack in one process, for a laptop or a trial. A Temporal dev
 * server persisted under the data directory, the sandbox APIs for every system without
 * credentials, and the workers. Ctrl-C stops everything and leaves no process behind.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ACTIVITY_SYSTEMS } from '../domain/task-queues';
import { startSandbox, type Sandbox } from '../sandbox/index';
import { createWorkers, runWorkers } from '../workers/index';
import { buildActivities, integrationModes } from '../workers/integrations';
import { loadConfig } from './config-file';
import { startDevServer, type DevServer } from './dev-server';
import type { CliIO } from './main';

export interface EmbeddedStackOptions {
  configPath?: string;
  dataDir: string;
  temporalPort: number;
  uiPort: number;
  sandboxPort: number;
  io: CliIO;
  /** Resolves when the stack should stop; SIGINT/SIGTERM otherwise. */
  until?: Promise<void>;
  /** Called once everything is up (tests use it to reach the stack). */
  onReady?: (stack: {
    devServer: DevServer;
    sandbox: Sandbox | null;
    taskQueue: string;
  }) => void | Promise<void>;
}

/**
 * Warnings and errors only, less the notice that an activity-only worker polls no workflows:
 * that is how the per-system queues are meant to work.
 */
function quietLogger(): DefaultLogger {
  return new DefaultLogger('WARN', (entry) => {
    if (entry.message.startsWith('No workflows registered')) return;
    const meta = entry.meta && Object.keys(entry.meta).length > 0 ? ` ${JSON.stringify(entry.meta)}` : '';
    process.stderr.write(
      `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${meta}\n`,
    );
  });
}

export async function runEmbeddedStack(options: EmbeddedStackOptions): Promise<void> {
  const { io } = options;
  const loaded = loadConfig(options.configPath, { allowExample: true });
  const config = loaded.config;
  if (loaded.isExample) {
    io.out(`config:   no prodops.config.yaml found: running with the example organisation (${loaded.path})`);
  } else {
    io.out(`config:   ${loaded.path}`);
  }

  try {
    Runtime.install({ logger: quietLogger(), shutdownSignals: [] });
  } catch {
    // Installed already (a second stack in the same process, as in tests).
  }

  const modes = integrationModes(config);
  const sandboxed = ACTIVITY_SYSTEMS.filter((system) => modes[system] === 'sandbox');
  let sandbox: Sandbox | null = null;
  let devServer: DevServer | null = null;
  const stops: (() => Promise<void>)[] = [];
  try {
    if (sandboxed.length > 0) {
      sandbox = await startSandbox({ config, port: options.sandboxPort });
      stops.push(() => sandbox!.close());
      io.out(
        `sandbox:  ${sandbox.url}/_sandbox — no credentials for ${sandboxed.join(', ')}, so ${sandboxed.length === 3 ? 'all three are' : 'these are'} served locally`,
      );
    }
    const live = ACTIVITY_SYSTEMS.filter((system) => modes[system] === 'live');
    if (live.length > 0) io.out(`live:     ${live.join(', ')} (credentials from the environment)`);

    devServer = await startDevServer({
      dataDir: options.dataDir,
      port: options.temporalPort,
      uiPort: options.uiPort,
      namespace: config.temporal.namespace,
    });
    stops.unshift(() => devServer!.stop());
    io.out(`temporal: ${devServer.address} (data in ${devServer.dbFile})`);
    io.out(`ui:       ${devServer.uiUrl}`);

    const built = buildActivities({ config: () => config, ...(sandbox ? { sandboxUrl: sandbox.url } : {}) });
    const workers = await createWorkers({
      connection: devServer.env.nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: built.bySystem,
      localActivities: built.core,
      rateLimits: config.integrations.rateLimits,
      overrides: { shutdownGraceTime: '5 seconds' },
    });
    io.out(
      `worker:   polling ${config.temporal.taskQueue} and its ${ACTIVITY_SYSTEMS.map((s) => `${config.temporal.taskQueue}-${s}`).join(', ')} queues`,
    );
    io.out('ready. Press Ctrl-C to stop.');

    const stopSignal =
      options.until ??
      new Promise<void>((resolve) => {
        const stop = () => {
          io.out('stopping…');
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    const running = runWorkers(workers);
    await options.onReady?.({ devServer, sandbox, taskQueue: config.temporal.taskQueue });
    await Promise.race([stopSignal, running]);
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  } finally {
    for (const stop of stops) {
      await stop().catch((error: unknown) =>
        io.err(`while stopping: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  }
  io.out('stopped.');
}
