/**
 * The worker processes: one worker runs the workflows on the base task queue; one worker per
 * external system runs that system's activities on a queue of its own, capped server-side at
 * the configured rate (maxTaskQueueActivitiesPerSecond), which holds however many worker
 * processes are deployed. Notion's limit is on HTTP requests, not activities: its request budget
 * is kept by the process that runs the Notion activities (workers/integrations.ts).
 */
import type { DataConverter, MetricMeter } from '@temporalio/common';
import {
  Worker,
  type NativeConnection,
  type WorkerOptions,
  type WorkerPlugin,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { activityTaskQueue, type ActivitySystem } from '../domain/task-queues';
import { vendorCallInterceptors } from './vendor-calls';
import { livenessInterceptors } from './liveness';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Workflow interceptors of a deployed worker: each signal logged with its delivery id. */
export const WORKFLOW_OBSERVABILITY_PATH = fileURLToPath(
  new URL('../workflows/observability.ts', import.meta.url),
);

/** What a deployed worker reports (cli/worker.ts); tests and the embedded stack go without. */
export interface WorkerTelemetry {
  /** The Runtime's meter: vendor calls are counted on it (workers/vendor-calls.ts). */
  meter: MetricMeter;
  /** Tracing, when PRODOPS_TRACING turns it on (runtime/tracing.ts). */
  plugins?: WorkerPlugin[];
}

export type ActivityImplementations = Record<string, (...args: never[]) => Promise<unknown>>;

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Activities that talk to each system; a system with none gets no worker. */
  activities: Partial<Record<ActivitySystem, ActivityImplementations>>;
  /** Activities that call no external system (pure computation, config look-ups). */
  localActivities?: ActivityImplementations;
  /** Requests per second per system. */
  rateLimits: Record<ActivitySystem, number>;
  workflowsPath?: string;
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  /** Extra options for every worker (tests shorten shutdown grace, for example). */
  overrides?: Partial<WorkerOptions>;
  telemetry?: WorkerTelemetry;
  /** The payload codec, when payloads are encrypted (runtime/payload-codec.ts); the same as the clients'. */
  dataConverter?: DataConverter;
}

export async function createWorkers(setup: WorkerSetup): Promise<Worker[]> {
  const telemetry = setup.telemetry;
  const common = {
    connection: setup.connection,
    namespace: setup.namespace,
    ...(setup.dataConverter ? { dataConverter: setup.dataConverter } : {}),
    ...(telemetry?.plugins?.length ? { plugins: telemetry.plugins } : {}),
    ...setup.overrides,
  };
  const workflowSource = setup.workflowBundle
    ? { workflowBundle: setup.workflowBundle }
    : { workflowsPath: setup.workflowsPath ?? WORKFLOWS_PATH };
  const workers = [
    await Worker.create({
      ...common,
      taskQueue: setup.taskQueue,
      ...workflowSource,
      // A prebuilt bundle carries the interceptors it was built with.
      interceptors: {
        ...(telemetry && !setup.workflowBundle ? { workflowModules: [WORKFLOW_OBSERVABILITY_PATH] } : {}),
        activity: [livenessInterceptors()],
      },
      activities: setup.localActivities ?? {},
    }),
  ];
  for (const [system, activities] of Object.entries(setup.activities) as [
    ActivitySystem,
    ActivityImplementations,
  ][]) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: activityTaskQueue(setup.taskQueue, system),
        activities,
        maxTaskQueueActivitiesPerSecond: setup.rateLimits[system],
        interceptors: {
          activity: [
            livenessInterceptors(),
            ...(telemetry ? [vendorCallInterceptors(system, telemetry.meter)] : []),
          ],
        },
        // Notion's activities wait for turns in the request budget inside their timeout: a few
        // at a time are enough to keep the budget busy, and none waits long.
        ...(system === 'notion'
          ? { maxConcurrentActivityTaskExecutions: Math.max(2, Math.ceil(setup.rateLimits.notion * 2)) }
          : {}),
      }),
    );
  }
  return workers;
}

/** Runs every worker until all have shut down (on SIGINT/SIGTERM, or `shutdown()`). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}
