/**
 * `prodops gateway`: the trigger functions served on one port, against the configured Temporal
 * server, for self-hosting (docker-compose.yml). Secrets come from the environment only; a
 * missing one is an error rather than a generated development secret.
 *
 * It logs a JSON line per delivery (triggers/deliveries.ts), counts deliveries on the Temporal
 * Runtime's meter and serves them at PRODOPS_METRICS_ADDRESS beside the Runtime's own metrics:
 * its client reaches Temporal through the Runtime (a NativeConnection), so every request to the
 * server is measured there by operation and status. PRODOPS_TRACING starts a trace at each start
 * or signal (runtime/tracing.ts).
 */
import { Client } from '@temporalio/client';
import { countDeliveries, logDeliveries, observeAll } from '../triggers/deliveries';
import { dashboardPages } from '../dashboard/pages';
import { createTriggerHandlers, startGateway } from '../triggers/gateway';
import {
  DEFAULT_GATEWAY_PORT,
  PUBLIC_URL_ENV,
  PublicUrlError,
  publicUrlFromEnv,
} from '../triggers/endpoints';
import { CliError } from './errors';

function publicUrlOrUsage(): string | null {
  try {
    return publicUrlFromEnv();
  } catch (error) {
    if (error instanceof PublicUrlError) throw CliError.usage(error.message);
    throw error;
  }
}
import { acceptNotionVerificationFrom, TRIGGER_SECRET_ENV, triggerSecretsFromEnv } from '../triggers/secrets';
import { temporalPort } from '../triggers/workflows';
import { loadConfig } from '../runtime/config';
import { installTelemetry } from '../runtime/telemetry';
import { startTracing } from '../runtime/tracing';
import { connectWorkerTemporal } from '../runtime/worker-connection';
import type { CliIO } from './main';

export const DEFAULT_DASHBOARD_PORT = 8788;

export async function runGatewayProcess(options: {
  configPath?: string;
  port?: number;
  /** Where to listen; this machine only unless given (behind a proxy, or in a container). */
  host?: string;
  /** The dashboard's own listener; null serves no dashboard. */
  dashboard?: { port: number; host: string } | null;
  io: CliIO;
}): Promise<void> {
  const { config, path } = loadConfig(options.configPath);
  const secrets = triggerSecretsFromEnv();
  // The gateway stops itself on SIGINT and SIGTERM (below); the Runtime has no workers to stop.
  const telemetry = installTelemetry({ service: 'prodops-gateway', shutdownSignals: [] });
  const { logger } = telemetry;
  for (const kind of Object.keys(TRIGGER_SECRET_ENV) as (keyof typeof TRIGGER_SECRET_ENV)[]) {
    if (secrets[kind].length === 0)
      logger.warn(
        { vendor: kind },
        `${TRIGGER_SECRET_ENV[kind]} is not set: the ${kind} function will refuse every delivery (401)`,
      );
  }
  const tracing = await startTracing('prodops-gateway');
  const connection = await connectWorkerTemporal(config.temporal);
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    ...(tracing ? { plugins: [tracing.plugin] } : {}),
  });
  const port = options.port ?? DEFAULT_GATEWAY_PORT;
  const publicUrl = publicUrlOrUsage();
  try {
    const gateway = await startGateway({
      port,
      host: options.host ?? '127.0.0.1',
      handlers: createTriggerHandlers({
        config,
        secrets,
        workflows: temporalPort(client, { taskQueue: config.temporal.taskQueue }),
        publicUrl,
        log: (line) => logger.info(line),
        acceptNotionVerification: acceptNotionVerificationFrom(),
      }),
      log: (line) => logger.error(line),
      observe: observeAll(logDeliveries(logger), countDeliveries(telemetry.meter)),
    });
    // The dashboard answers on its own listener, loopback unless told otherwise, so that only the
    // organisation's SSO proxy reaches it while the trigger functions stay public.
    const dashboardAt =
      options.dashboard === null
        ? null
        : (options.dashboard ?? { port: DEFAULT_DASHBOARD_PORT, host: '127.0.0.1' });
    const dashboard = dashboardAt
      ? await startGateway({
          port: dashboardAt.port,
          host: dashboardAt.host,
          pages: dashboardPages({ client, config, log: (line) => logger.warn(line) }),
          log: (line) => logger.error(line),
        }).catch(async (error: unknown) => {
          await gateway.close();
          throw error;
        })
      : null;
    logger.info(
      {
        config: path,
        temporal: { address: config.temporal.address, namespace: config.temporal.namespace },
        url: gateway.url,
        publicUrl,
        metrics: telemetry.metricsAddress ? `http://${telemetry.metricsAddress}/metrics` : 'off',
        tracing: tracing?.exporter ?? 'off',
        dashboard: dashboard ? `${dashboard.url}/dashboard` : 'off',
      },
      `gateway at ${gateway.url}: POST /jira, /notion, /calendar; GET /healthz`,
    );
    if (!publicUrl)
      logger.warn(`set ${PUBLIC_URL_ENV} to the public URL so Calendar channels can reach /calendar`);
    if (dashboard)
      logger.info(`dashboard at ${dashboard.url}/dashboard: read-only; put the SSO proxy in front of it`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard?.close();
    await gateway.close();
  } finally {
    await connection.close();
    await tracing?.shutdown();
  }
  logger.info('gateway stopped');
}
