/**
 * `prodops start`: the whole stack in one process, for a laptop or a trial. A Temporal dev
 * server persisted under the data directory, the sandbox APIs for every system without
 * credentials, and the workers. Ctrl-C stops everything and leaves no process behind.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ACTIVITY_SYSTEMS } from '../domain/task-queues';
import { startSandbox, type Sandbox } from '../sandbox/index';
import { SANDBOX_STATE_FILE } from '../sandbox/persist';
import { join } from 'node:path';
import { createWorkers, runWorkers } from '../workers/index';
import { buildActivities, integrationModes } from '../workers/integrations';
import { calendarSyncTargets } from '../triggers/calendar';
import { calendarAddress, DEFAULT_GATEWAY_PORT, PUBLIC_URL_ENV } from '../triggers/endpoints';
import { dashboardPages } from '../dashboard/pages';
import { createTriggerHandlers, startGateway, type Gateway } from '../triggers/gateway';
import {
  loadOrCreateDevSecrets,
  secretsAsEnv,
  TRIGGER_SECRET_ENV,
  type TriggerSecretKind,
} from '../triggers/secrets';
import { registerSimulationRoutes } from '../sandbox/simulate/simulation';
import { temporalPort } from '../triggers/workflows';
import { watchCalendars } from './calendar';
import { loadConfig } from '../runtime/config';
import { ensureRitualSchedules, formatScheduleOutcome } from './schedules';
import { startDevServer, type DevServer } from './dev-server';
import { CliError } from './errors';
import type { CliIO } from './main';

export interface EmbeddedStackOptions {
  configPath?: string;
  dataDir: string;
  temporalPort: number;
  uiPort: number;
  sandboxPort: number;
  /** The trigger gateway's port (8787 when absent). */
  gatewayPort?: number;
  io: CliIO;
  /** Resolves when the stack should stop; SIGINT/SIGTERM otherwise. */
  until?: Promise<void>;
  /** Called once everything is up (tests use it to reach the stack). */
  onReady?: (stack: {
    devServer: DevServer;
    sandbox: Sandbox | null;
    taskQueue: string;
    gatewayUrl?: string;
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
      // Kept under the data directory beside Temporal's, so that a restart finds what the running
      // workflows made (`prodops sandbox reset` starts clean).
      sandbox = await startSandbox({
        config,
        port: options.sandboxPort,
        stateFile: join(options.dataDir, SANDBOX_STATE_FILE),
      });
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

    // Trigger secrets: the environment's, else development ones kept beside the database.
    const dev = loadOrCreateDevSecrets(options.dataDir);
    const devKinds: TriggerSecretKind[] = [...dev.generated, ...dev.fromFile];
    if (devKinds.length > 0) {
      io.out(
        `secrets:  development trigger secrets (${dev.generated.length > 0 ? 'generated now, ' : ''}kept in ${dev.file}):`,
      );
      for (const kind of devKinds)
        io.out(`            ${TRIGGER_SECRET_ENV[kind]}=${dev.secrets[kind].join(',')}`);
    }

    const built = buildActivities({
      config: () => config,
      env: { ...process.env, ...secretsAsEnv(dev.secrets) },
      ...(sandbox ? { sandboxUrl: sandbox.url } : {}),
    });
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

    const gatewayPort = options.gatewayPort ?? DEFAULT_GATEWAY_PORT;
    const publicUrl = (process.env[PUBLIC_URL_ENV]?.trim() || `http://127.0.0.1:${gatewayPort}`).replace(
      /\/+$/,
      '',
    );
    let gateway: Gateway;
    try {
      gateway = await startGateway({
        port: gatewayPort,
        handlers: createTriggerHandlers({
          config,
          secrets: dev.secrets,
          workflows: temporalPort(devServer.env.client, { taskQueue: config.temporal.taskQueue }),
          publicUrl,
          log: (line) => io.out(line),
        }),
        pages: dashboardPages({ client: devServer.env.client, config, log: (line) => io.err(line) }),
        log: (line) => io.err(line),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw CliError.usage(
          `port ${gatewayPort} is already in use: stop what holds it or choose another --gateway-port`,
        );
      throw error;
    }
    stops.unshift(() => gateway.close());
    if (sandbox) registerSimulationRoutes(sandbox);
    io.out(
      `gateway:  ${gateway.url} — POST /jira, /notion, /calendar (try: npx prodops simulate jira-issue --key REL-9 --tier 3 --launch 2027-01-20 --pm ana)`,
    );
    io.out(`dashboard: ${gateway.url}/dashboard (read-only; the same figures as prodops report)`);
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
    // Every calendar's sync runs, with a fresh channel: the sandbox keeps no channels across restarts.
    const address = calendarAddress(publicUrl);
    void watchCalendars(devServer.env.client, calendarSyncTargets(config), {
      taskQueue: config.temporal.taskQueue,
      address,
      renewChannel: true,
    }).then(
      (ids) => io.out(`calendar: watching ${ids.length} calendars; channels post to ${address}`),
      (error: unknown) =>
        io.err(
          `calendar: could not start the calendar syncs: ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
    // The rituals' schedules, as configured (created on a first start, updated after a change).
    try {
      for (const outcome of await ensureRitualSchedules(devServer.env.client, config))
        io.out(`rituals:  ${formatScheduleOutcome(outcome)}`);
    } catch (error) {
      io.err(
        `rituals:  could not set up the schedules: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    await options.onReady?.({
      devServer,
      sandbox,
      taskQueue: config.temporal.taskQueue,
      gatewayUrl: gateway.url,
    });
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
