/**
 * `prodops worker`: the workers alone, against a Temporal server that runs elsewhere (self-hosted
 * or Temporal Cloud), with the real APIs. A system without credentials is an error unless
 * PRODOPS_SANDBOX_URL points at a running sandbox, so that production never talks to a fake by
 * accident. Stops cleanly on SIGINT or SIGTERM, letting running activities finish.
 */
import { ACTIVITY_SYSTEMS } from '../domain/task-queues';
import { loadConfig } from '../runtime/config';
import { connectWorkerTemporal } from '../runtime/worker-connection';
import { createWorkers, runWorkers } from '../workers/index';
import { buildActivities } from '../workers/integrations';
import type { CliIO } from './main';

export async function runWorkerProcess(options: { configPath?: string; io: CliIO }): Promise<void> {
  const { io } = options;
  const { config, path } = loadConfig(options.configPath);
  const sandboxUrl = process.env.PRODOPS_SANDBOX_URL?.trim() || undefined;
  const built = buildActivities({ config: () => config, ...(sandboxUrl ? { sandboxUrl } : {}) });
  const { address } = config.temporal;
  const connection = await connectWorkerTemporal(config.temporal);
  try {
    const workers = await createWorkers({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: built.bySystem,
      localActivities: built.core,
      rateLimits: config.integrations.rateLimits,
    });
    io.out(`config:   ${path}`);
    io.out(`temporal: ${address} (namespace ${config.temporal.namespace})`);
    io.out(`systems:  ${ACTIVITY_SYSTEMS.map((s) => `${s} ${built.modes[s]}`).join(', ')}`);
    io.out(
      `worker:   polling ${config.temporal.taskQueue} and ${ACTIVITY_SYSTEMS.map((s) => `${config.temporal.taskQueue}-${s}`).join(', ')}`,
    );
    // The Runtime stops the workers on SIGINT/SIGTERM; run() resolves once they have drained.
    await runWorkers(workers);
  } finally {
    await connection.close();
  }
  io.out('stopped.');
}
