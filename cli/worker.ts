/**
 * `prodops worker`: the workers alone, against a Temporal server that runs elsewhere (self-hosted
 * or Temporal Cloud), with the real APIs. A system without credentials is an error unless
 * PRODOPS_SANDBOX_URL points at a running sandbox, so that production never talks to a fake by
 * accident. Stops cleanly on SIGINT or SIGTERM, letting running activities finish.
 *
 * It logs JSON lines (runtime/logging.ts), serves Prometheus metrics at PRODOPS_METRICS_ADDRESS
 * (runtime/telemetry.ts) and traces when PRODOPS_TRACING says so (runtime/tracing.ts).
 * PRODOPS_WORKFLOW_BUNDLE names a workflow bundle built beforehand (`bundleWorkflowCode`, written
 * to a file): a restarted worker then polls within seconds instead of bundling again.
 */
import { ACTIVITY_SYSTEMS } from '../domain/task-queues';
import { loadConfig } from '../runtime/config';
import { installTelemetry } from '../runtime/telemetry';
import { startTracing } from '../runtime/tracing';
import { connectWorkerTemporal } from '../runtime/worker-connection';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createWorkers, runWorkers } from '../workers/index';
import { CliError } from './errors';
import { buildActivities } from '../workers/integrations';
import type { CliIO } from './main';

export async function runWorkerProcess(options: { configPath?: string; io: CliIO }): Promise<void> {
  const { config, path } = loadConfig(options.configPath);
  const sandboxUrl = process.env.PRODOPS_SANDBOX_URL?.trim() || undefined;
  const bundlePath = process.env.PRODOPS_WORKFLOW_BUNDLE?.trim() || undefined;
  if (bundlePath && !existsSync(bundlePath))
    throw CliError.usage(`PRODOPS_WORKFLOW_BUNDLE names ${bundlePath}, which does not exist`);
  const built = buildActivities({ config: () => config, ...(sandboxUrl ? { sandboxUrl } : {}) });
  const telemetry = installTelemetry({ service: 'prodops-worker' });
  const { logger } = telemetry;
  const tracing = await startTracing('prodops-worker');
  const { address, namespace, taskQueue } = config.temporal;
  const connection = await connectWorkerTemporal(config.temporal);
  try {
    const workers = await createWorkers({
      connection,
      namespace,
      taskQueue,
      activities: built.bySystem,
      localActivities: built.core,
      rateLimits: config.integrations.rateLimits,
      telemetry: { meter: telemetry.meter, ...(tracing ? { plugins: [tracing.plugin] } : {}) },
      ...(bundlePath ? { workflowBundle: { codePath: resolve(bundlePath) } } : {}),
    });
    logger.info(
      {
        config: path,
        temporal: { address, namespace },
        systems: built.modes,
        taskQueues: [taskQueue, ...ACTIVITY_SYSTEMS.map((s) => `${taskQueue}-${s}`)],
        metrics: telemetry.metricsAddress ? `http://${telemetry.metricsAddress}/metrics` : 'off',
        tracing: tracing?.exporter ?? 'off',
      },
      `worker polling ${taskQueue} and its ${ACTIVITY_SYSTEMS.join(', ')} queues`,
    );
    // The Runtime stops the workers on SIGINT/SIGTERM; run() resolves once they have drained.
    await runWorkers(workers);
  } finally {
    await connection.close();
    await tracing?.shutdown();
  }
  logger.info('worker stopped');
}
