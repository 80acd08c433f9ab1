/**
 * The Temporal connection, from the configuration's `temporal` section, for commands and the
 * trigger functions (the workers' native connection is built from the same options in
 * runtime/worker-connection.ts). A local or self-hosted server needs only the address and
 * namespace; Temporal Cloud takes an API key (TEMPORAL_API_KEY) or a client certificate
 * (TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, paths to PEM files), which stay in the environment
 * like every other secret. Every client encrypts payloads when PRODOPS_PAYLOAD_KEY is set
 * (runtime/payload-codec.ts). A trigger function's client is runtime/temporal-workflow-client.ts.
 */
import { Client, Connection, ServiceError } from '@temporalio/client';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  temporalConnectionOptions,
  TemporalUnreachableError,
  type TemporalSettings,
} from './temporal-options';
import { dataConverterFromEnv } from './payload-codec';

export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  temporalConnectionOptions,
  TemporalUnreachableError,
  type TemporalSettings,
};

export interface TemporalSession {
  client: Client;
  connection: Connection;
  temporal: TemporalSettings;
  close(): Promise<void>;
}

/** Connects and checks that the server answers; an unreachable server is one line naming it. */
export async function connectTemporal(
  temporal: TemporalSettings,
  options: { env?: NodeJS.ProcessEnv; connectTimeoutMs?: number } = {},
): Promise<TemporalSession> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const connectionOptions = temporalConnectionOptions(temporal, options.env, timeoutMs);
  let connection: Connection;
  try {
    connection = await Connection.connect(connectionOptions);
  } catch (error) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${temporal.address} (namespace ${temporal.namespace}): ${describeConnectError(error, timeoutMs)}`,
    );
  }
  const dataConverter = dataConverterFromEnv(options.env);
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    ...(dataConverter ? { dataConverter } : {}),
  });
  return { client, connection, temporal, close: () => connection.close() };
}

/** Runs `body` with a connected client and always closes the connection afterwards. */
export async function withTemporal<T>(
  temporal: TemporalSettings,
  body: (session: TemporalSession) => Promise<T>,
  options: { env?: NodeJS.ProcessEnv; connectTimeoutMs?: number } = {},
): Promise<T> {
  const session = await connectTemporal(temporal, options);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

function describeConnectError(error: unknown, timeoutMs: number): string {
  const cause = error instanceof ServiceError && error.cause instanceof Error ? error.cause : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/before the deadline/i.test(message))
    return `no answer within ${timeoutMs / 1000} s (is the server running, and the address right?)`;
  // gRPC prefixes its code ("14 UNAVAILABLE: ..."); the reason after it is what a person needs.
  return message.replace(/^\d+ [A-Z_]+: /, '').split('\n')[0] ?? message;
}
