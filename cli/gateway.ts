/**
 * `prodops gateway`: the trigger functions served on one port, against the configured Temporal
 * server, for self-hosting (docker-compose.yml). Secrets come from the environment only; a
 * missing one is an error rather than a generated development secret.
 */
import { createTriggerHandlers, startGateway } from '../triggers/gateway';
import { DEFAULT_GATEWAY_PORT, PUBLIC_URL_ENV } from '../triggers/endpoints';
import { TRIGGER_SECRET_ENV, triggerSecretsFromEnv } from '../triggers/secrets';
import { temporalPort } from '../triggers/workflows';
import { loadConfig } from '../runtime/config';
import { connectTemporal } from '../runtime/temporal';
import type { CliIO } from './main';

export async function runGatewayProcess(options: {
  configPath?: string;
  port?: number;
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
    io.out(`config:   ${path}`);
    io.out(`temporal: ${config.temporal.address} (namespace ${config.temporal.namespace})`);
    io.out(`gateway:  ${gateway.url} — POST /jira, /notion, /calendar; GET /healthz`);
    if (!publicUrl)
      io.out(`          set ${PUBLIC_URL_ENV} to the public URL so Calendar channels can reach /calendar`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await gateway.close();
  } finally {
    await session.close();
  }
  io.out('stopped.');
}
