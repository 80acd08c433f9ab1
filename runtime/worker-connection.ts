/**
 * The workers' native connection to Temporal, from the same settings and credentials as the
 * client connection (runtime/temporal.ts). Kept apart because @temporalio/worker is heavy and
 * native: the trigger functions, which only need a client, never load it.
 */
import { NativeConnection } from '@temporalio/worker';
import { temporalConnectionOptions, TemporalUnreachableError, type TemporalSettings } from './temporal';

export async function connectWorkerTemporal(
  temporal: TemporalSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NativeConnection> {
  const { address, tls, apiKey } = temporalConnectionOptions(temporal, env);
  try {
    return await NativeConnection.connect({
      address,
      ...(tls !== undefined ? { tls } : {}),
      ...(apiKey ? { apiKey: apiKey as string } : {}),
    });
  } catch (error) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${address}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
