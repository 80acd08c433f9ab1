/**
 * The Temporal connection, from the configuration's `temporal` section, for commands and the
 * trigger functions (the workers' native connection is built from the same options in
 * runtime/worker-connection.ts). A local or self-hosted server needs only the address and
 * namespace; Temporal Cloud takes an API key (TEMPORAL_API_KEY) or a client certificate
 * (TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, paths to PEM files), which stay in the environment
 * like every other secret.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, ServiceError, type ConnectionOptions } from '@temporalio/client';
import type { OrgConfig } from '../domain/config';
import { SettingsError } from './errors';

export type TemporalSettings = OrgConfig['temporal'];

/**
 * Long enough for a Cloud endpoint across an ocean, short enough that a server that is not there
 * is reported before the user gives up on the command.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** The server could not be reached; the message names the address. */
export class TemporalUnreachableError extends Error {}

/** Connection options for the configured server, with credentials from the environment when set. */
export function temporalConnectionOptions(
  temporal: TemporalSettings,
  env: NodeJS.ProcessEnv = process.env,
  connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): ConnectionOptions {
  const options: ConnectionOptions = { address: temporal.address, connectTimeout: connectTimeoutMs };
  const apiKey = env.TEMPORAL_API_KEY?.trim();
  if (apiKey) options.apiKey = apiKey;
  const certPath = env.TEMPORAL_TLS_CERT?.trim();
  const keyPath = env.TEMPORAL_TLS_KEY?.trim();
  if (certPath || keyPath) {
    if (!certPath)
      throw new SettingsError('TEMPORAL_TLS_KEY is set but TEMPORAL_TLS_CERT is not: mTLS needs both');
    if (!keyPath)
      throw new SettingsError('TEMPORAL_TLS_CERT is set but TEMPORAL_TLS_KEY is not: mTLS needs both');
    options.tls = {
      clientCertPair: {
        crt: readPem(certPath, 'TEMPORAL_TLS_CERT'),
        key: readPem(keyPath, 'TEMPORAL_TLS_KEY'),
      },
    };
  } else if (apiKey) {
    // API keys are only accepted over TLS; the SDK would infer it, but say so rather than rely on it.
    options.tls = true;
  }
  return options;
}

function readPem(path: string, variable: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new SettingsError(`${variable}: cannot read ${path} (${reason})`);
  }
  if (!content.toString('utf8').includes('-----BEGIN ')) {
    throw new SettingsError(`${variable}: ${path} is not a PEM file`);
  }
  return content;
}

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
  const client = new Client({ connection, namespace: temporal.namespace });
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

/**
 * A client whose connection opens on first use, for a process that must start (and answer 503)
 * while Temporal is unreachable, such as a deployed trigger function.
 */
export function lazyTemporalClient(temporal: TemporalSettings, env: NodeJS.ProcessEnv = process.env): Client {
  const connection = Connection.lazy(temporalConnectionOptions(temporal, env));
  return new Client({ connection, namespace: temporal.namespace });
}

function describeConnectError(error: unknown, timeoutMs: number): string {
  const cause = error instanceof ServiceError && error.cause instanceof Error ? error.cause : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/before the deadline/i.test(message))
    return `no answer within ${timeoutMs / 1000} s (is the server running, and the address right?)`;
  // gRPC prefixes its code ("14 UNAVAILABLE: ..."); the reason after it is what a person needs.
  return message.replace(/^\d+ [A-Z_]+: /, '').split('\n')[0] ?? message;
}
