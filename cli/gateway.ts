/**
 * `prodops gateway`: the trigger functions served on one port, against the configured Temporal
 * server, for self-hosting (docker-compose.yml). Secrets come from the environment only; a
 * missing one is an error rather than a generated development secret.
 */
import { dashboardPages } from '../dashboard/pages';
import { createTriggerHandlers, startGateway } from '../triggers/gateway';
import { DEFAULT_GATEWAY_PORT, PUBLIC_URL_ENV } from '../triggers/endpoints';
import { TRIGGER_SECRET_ENV, triggerSecretsFromEnv } from '../triggers/secrets';
import { temporalPort } from '../triggers/workflows';
import { loadConfig } from '../runtime/config';
import { connectTemporal } from '../runtime/temporal';
import type { CliIO } from './main';

export const DEFAULT_DASHBOARD_PORT = 8788;

export async function runGatewayProcess(options: {
  configPath?: string;
  port?: number;
  /** The dashboard's own listener; null serves no dashboard. */
  dashboard?: { port: number; host: string } | null;
  io: CliIO;
}): Promise<void> {
  const { io } = options;
  const { config, path } = loadConfig(options.configPath);
  const secrets = triggerSecretsFromEnv();
  for (const kind of Object.keys(TRIGGER_SECRET_ENV) as (keyof typeof TRIGGER_SECRET_ENV)[]) {
    if (secrets[kind].length === 0)
      io.err(
        `prodops: ${TRIGGER_SECRET_ENV[kind]} is not set: the ${kind} function will refuse every delivery (401)`,
      );
  }
  const session = await connectTemporal(config.temporal);
  const port = options.port ?? DEFAULT_GATEWAY_PORT;
  const publicUrl = process.env[PUBLIC_URL_ENV]?.trim().replace(/\/+$/, '') || null;
  try {
    const gateway = await startGateway({
      port,
      host: '0.0.0.0',
      handlers: createTriggerHandlers({
        config,
        secrets,
        workflows: temporalPort(session.client, { taskQueue: config.temporal.taskQueue }),
        publicUrl,
        log: (line) => io.out(line),
      }),
      log: (line) => io.err(line),
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
          pages: dashboardPages({ client: session.client, config, log: (line) => io.err(line) }),
          log: (line) => io.err(line),
        }).catch(async (error: unknown) => {
          await gateway.close();
          throw error;
        })
      : null;
    io.out(`config:   ${path}`);
    io.out(`temporal: ${config.temporal.address} (namespace ${config.temporal.namespace})`);
    io.out(`gateway:  ${gateway.url} — POST /jira, /notion, /calendar; GET /healthz`);
    if (!publicUrl)
      io.out(`          set ${PUBLIC_URL_ENV} to the public URL so Calendar channels can reach /calendar`);
    if (dashboard)
      io.out(`dashboard: ${dashboard.url}/dashboard — read-only; put the SSO proxy in front of it`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard?.close();
    await gateway.close();
  } finally {
    await session.close();
  }
  io.out('stopped.');
}
