/**
 * The embedded Temporal dev server: the Temporal CLI's SQLite-backed server with the UI,
 * persisted under the data directory so that nothing is lost across restarts. The binary is
 * TEMPORAL_CLI_PATH when set (scripts/tools.sh builds it offline), else the SDK's download.
 */
import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { isListening } from '../runtime/ports';
import { CliError } from './errors';

export interface DevServerOptions {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The clients' payload codec, when payloads are encrypted (runtime/payload-codec.ts). */
  dataConverter?: DataConverter;
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  address: string;
  uiUrl: string;
  dbFile: string;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  for (const [port, flag] of [
    [options.port, '--temporal-port'],
    [options.uiPort, '--ui-port'],
  ] as const) {
    if (await isListening(port)) {
      throw CliError.usage(
        `port ${port} is already in use (another Temporal server?): stop it or choose another ${flag}`,
      );
    }
  }
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const dbFile = join(dataDir, 'temporal.db');
  const cliPath = process.env.TEMPORAL_CLI_PATH || offlineCli();
  const env = await TestWorkflowEnvironment.createLocal({
    ...(options.dataConverter ? { client: { dataConverter: options.dataConverter } } : {}),
    server: {
      ...(cliPath ? { executable: { type: 'existing-path', path: cliPath } as const } : {}),
      dbFilename: dbFile,
      ip: '127.0.0.1',
      port: options.port,
      ui: true,
      uiPort: options.uiPort,
      namespace: options.namespace,
      searchAttributes: [...ALL_SEARCH_ATTRIBUTES],
      log: { format: 'pretty', level: 'error' },
    },
  });
  return {
    env,
    address: `127.0.0.1:${options.port}`,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    dbFile,
    stop: () => env.teardown(),
  };
}

/**
 * The Temporal CLI from the offline tool cache (built from the Go module proxy on first use);
 * undefined where Go is missing, so that the SDK downloads its own instead.
 */
function offlineCli(): string | undefined {
  const script = fileURLToPath(new URL('../scripts/tools.sh', import.meta.url));
  try {
    const path = execFileSync('bash', [script, 'cli'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    return path || undefined;
  } catch {
    return undefined;
  }
}
