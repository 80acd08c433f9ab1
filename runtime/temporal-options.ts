/**
 * Where Temporal is and how to reach it, from the configuration's `temporal` section and the
 * environment: the address, namespace and task queue (PRODOPS_TEMPORAL_* override the file), and
 * the credentials for Temporal Cloud (TEMPORAL_API_KEY, or TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY).
 * No Temporal client is loaded here (only its option types), so that a trigger function can check
 * its settings at start and load the client itself only once a verified delivery needs it.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
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

/**
 * Where Temporal runs is a property of the deployment, not of the organisation: containers and
 * CI set it through the environment without editing the file.
 */
export function withEnvironmentOverrides(config: OrgConfig, env: NodeJS.ProcessEnv = process.env): OrgConfig {
  const address = env.PRODOPS_TEMPORAL_ADDRESS?.trim();
  const namespace = env.PRODOPS_TEMPORAL_NAMESPACE?.trim();
  const taskQueue = env.PRODOPS_TEMPORAL_TASK_QUEUE?.trim();
  if (!address && !namespace && !taskQueue) return config;
  return {
    ...config,
    temporal: {
      address: address || config.temporal.address,
      namespace: namespace || config.temporal.namespace,
      taskQueue: taskQueue || config.temporal.taskQueue,
    },
  };
}
