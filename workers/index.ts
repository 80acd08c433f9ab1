/**
 * The worker processes: one worker runs the workflows on the base task queue; one worker per
 * external system runs that system's activities on a queue of its own, capped server-side at
 * the configured rate (maxTaskQueueActivitiesPerSecond), which holds however many worker
 * processes are deployed. Notion's limit is on HTTP requests, not activities: its request budget
 * is kept by the process that runs the Notion activities (workers/integrations.ts), and the
 * server's cap on its queue is only a backstop (see NOTION_DISPATCH_HEADROOM).
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
import { WORKFLOW_BUNDLER_OPTIONS } from './workflow-bundle';

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

/**
 * How many times its configured rate the server may start Notion activities. Notion's request
 * budget paces the requests themselves, and an activity sends at least one, so a cap at the
 * rate would add nothing while the budget holds, except at the tail of a burst: the server
 * splits a queue's cap over its partitions (4 by default), each a token bucket at a quarter of
 * the rate, and the last few activities, sitting on one partition, then start at a quarter of
 * the rate while the budget has turns to spare (`npm run bench:notion`: 1.08-1.10 times the
 * minimum at the rate, 0.99 with this headroom). Four times the rate gives every default
 * partition the whole average, and still bounds dispatch if the budget were bypassed (a second
 * worker process running Notion activities).
 */
export const NOTION_DISPATCH_HEADROOM = 4;

/** The server-side cap on a system's activity queue, in activity starts per second. */
export function activityDispatchLimit(
  system: ActivitySystem,
  rateLimits: Record<ActivitySystem, number>,
): number {
  return system === 'notion' ? rateLimits.notion * NOTION_DISPATCH_HEADROOM : rateLimits[system];
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
  /**
   * The server-side cap on each system's activity queue, in starts per second, where it should
   * differ from `activityDispatchLimit` (tests of the cap itself).
   */
  dispatchLimits?: Partial<Record<ActivitySystem, number>>;
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
    : { workflowsPath: setup.workflowsPath ?? WORKFLOWS_PATH, bundlerOptions: WORKFLOW_BUNDLER_OPTIONS };
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
        maxTaskQueueActivitiesPerSecond:
          setup.dispatchLimits?.[system] ?? activityDispatchLimit(system, setup.rateLimits),
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
