/**
 * What many suites and the benchmarks set up around prodops: a Temporal environment
 * (time-skipping, or the dev server with real visibility and rate limits), the workflow bundle,
 * the sandbox APIs, workers for a task queue running the real activities against the sandbox or
 * the fakes, and the trigger gateway with the development secrets. `stop()` tears down whatever
 * was started, in reverse, even after a failure, and so does a failed start.
 *
 *   let stack: Stack;
 *   beforeAll(async () => (stack = await startStack({ sandbox: true, workers: 'sandbox', gateway: true })));
 *   afterAll(() => stack?.stop());
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { OrgConfig } from '../../domain/config';
import type { ActivitySystem } from '../../domain/task-queues';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { createTriggerHandlers, startGateway, type Gateway } from '../../triggers/gateway';
import { secretsAsEnv, type TriggerSecrets } from '../../triggers/secrets';
import { temporalPort, type WorkflowPort } from '../../triggers/workflows';
import { createWorkers, runWorkers, WORKFLOWS_PATH, type ActivityImplementations } from '../../workers/index';
import { buildActivities } from '../../workers/integrations';
import { SECRETS } from '../triggers/fixtures';
import { loadExampleConfig } from './config';
import { bundle, createDevServerEnv, createTimeSkippingEnv, uniqueId } from './temporal';

/** What the workers of a task queue run: each system's activities on its own queue, the core on the base. */
export interface WorkerActivities {
  core?: ActivityImplementations;
  bySystem: Partial<Record<ActivitySystem, ActivityImplementations>>;
}

/** For fakes on a dev server: no rate limit worth the name. */
export const NO_RATE_LIMITS: Record<ActivitySystem, number> = { jira: 1000, notion: 1000, google: 1000 };

export interface StackOptions {
  /** The time-skipping test server (the default) or the dev server. */
  temporal?: 'time-skipping' | 'dev-server';
  /** For the dev server: `'never'` silences it (a benchmark stops it under load). */
  serverLog?: 'error' | 'never';
  /** The module the workers bundle: the project's workflows by default; `false` for no workers at all. */
  workflows?: string | false;
  /** The organisation of the sandbox, the workers and the gateway: the example by default. */
  config?: OrgConfig;
  /** The trigger secrets of the gateway and the workers: the development ones by default. */
  secrets?: TriggerSecrets;
  /** Starts the sandbox APIs. */
  sandbox?: boolean;
  /**
   * Starts workers on `taskQueue` for the whole stack: the real activities against the sandbox
   * ('sandbox'), or the activities given (the fakes').
   */
  workers?: 'sandbox' | WorkerActivities;
  /** Per system; the configuration's by default. */
  rateLimits?: Record<ActivitySystem, number>;
  /** Starts the trigger gateway, signalling and starting workflows on `taskQueue`. */
  gateway?: boolean;
  /** Where the gateway logs; nowhere by default. */
  gatewayLog?: (line: string) => void;
  /** The suite's task queue: a new one by default. */
  taskQueue?: string;
}

export interface WorkersOptions {
  /** 'sandbox' for the real activities against the sandbox. */
  activities: 'sandbox' | WorkerActivities;
  /** By default a new queue for `withWorkers`, the stack's own for `startWorkers`. */
  taskQueue?: string;
  /** The stack's by default. */
  rateLimits?: Record<ActivitySystem, number>;
  /** Server-side caps per system's queue, where they should differ from the rates' (workers/index.ts). */
  dispatchLimits?: Partial<Record<ActivitySystem, number>>;
}

export interface RunningWorkers {
  readonly taskQueue: string;
  /**
   * Workflows to end with the workers: those still running when the body is done are
   * terminated once idle (no activity or workflow task in flight), the last tracked first, so
   * nothing outlives its workers; on the time-skipping server a workflow without workers holds
   * the clock still for every later test. Track a workflow that others call (a coordinator)
   * before them: it ends after them.
   */
  track: (...handles: WorkflowHandle[]) => void;
}

export interface Stack {
  readonly env: TestWorkflowEnvironment;
  readonly client: Client;
  readonly namespace: string;
  readonly config: OrgConfig;
  readonly secrets: TriggerSecrets;
  readonly taskQueue: string;
  readonly workflowBundle: WorkflowBundleWithSourceMap;
  /** Started with `sandbox: true`. */
  readonly sandbox: Sandbox;
  /** Started with `gateway: true`. */
  readonly gateway: Gateway;
  /** The real activities against the sandbox, as a worker without credentials builds them. */
  sandboxActivities(): WorkerActivities;
  /** Workers on the stack's queue (unless told) until the stack stops, for activities made after it started. */
  startWorkers(options: WorkersOptions): Promise<void>;
  /** Runs `body` while workers serve a task queue, and stops them (and what was tracked) after it. */
  withWorkers<T>(options: WorkersOptions, body: (workers: RunningWorkers) => Promise<T>): Promise<T>;
  /** Another gateway, on the stack's queue unless told; closed with the stack. */
  startGateway(options?: { taskQueue?: string; workflows?: WorkflowPort }): Promise<Gateway>;
  stop(): Promise<void>;
}

/** A gateway in front of `workflows` with the development secrets, closed by the caller. */
export function startTestGateway(options: {
  config: OrgConfig;
  workflows: WorkflowPort;
  secrets?: TriggerSecrets;
  log?: (line: string) => void;
}): Promise<Gateway> {
  const log = options.log ?? (() => {});
  return startGateway({
    port: 0,
    handlers: createTriggerHandlers({
      config: options.config,
      secrets: options.secrets ?? SECRETS,
      workflows: options.workflows,
      publicUrl: null,
      log,
    }),
    log,
  });
}

/**
 * Ends `handles` that are still running, each once it is idle twice in a row (no activity and
 * no workflow task in flight), or after about ten seconds whatever it is doing.
 */
export async function terminateWhenIdle(handles: WorkflowHandle[]): Promise<void> {
  for (const handle of handles) {
    for (let i = 0, idle = 0; ; i++) {
      const described = await handle.describe().catch(() => null);
      if (described?.status.name !== 'RUNNING') break;
      const busy = (described.raw.pendingActivities ?? []).length > 0 || !!described.raw.pendingWorkflowTask;
      idle = busy ? 0 : idle + 1;
      if (idle === 2 || i === 200) {
        await handle.terminate('test finished').catch(() => undefined);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function present<T>(value: T | undefined, problem: string): T {
  if (value === undefined) throw new Error(problem);
  return value;
}

/** Runs workers until `body` settles (or a worker fails), then shuts them down and waits. */
async function whileRunning<T>(workers: Worker[], body: () => Promise<T>): Promise<T> {
  const running = runWorkers(workers);
  const stoppedEarly = running.then(() => {
    throw new Error('the workers stopped before the test was done');
  });
  // Once the body is done the workers stop on purpose: that is no failure.
  stoppedEarly.catch(() => undefined);
  try {
    return await Promise.race([body(), stoppedEarly]);
  } finally {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  }
}

/** Like Promise.all, but settles only once every promise has, so nothing started is left behind. */
async function allStarted<T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed)
    throw failed.reason instanceof Error
      ? failed.reason
      : new Error('could not start the stack', { cause: failed.reason });
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const config = options.config ?? loadExampleConfig();
  const secrets = options.secrets ?? SECRETS;
  const taskQueue = options.taskQueue ?? uniqueId('stack');
  const rateLimits = options.rateLimits ?? config.integrations.rateLimits;
  // Teardown steps, last started first.
  const stops: (() => Promise<unknown>)[] = [];
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      let first: Error | undefined;
      for (const step of stops.splice(0)) {
        try {
          await step();
        } catch (error) {
          first ??= error instanceof Error ? error : new Error('a teardown step failed', { cause: error });
        }
      }
      if (first) throw first;
    })());
  const started = <T>(thing: Promise<T>, teardown: (it: T) => Promise<unknown>): Promise<T> =>
    thing.then((it) => {
      stops.unshift(() => teardown(it));
      return it;
    });

  try {
    // All three start at once; should one fail, the others are still waited for, to be torn down.
    const [env, workflowBundle, sandbox] = await allStarted([
      started(
        options.temporal === 'dev-server'
          ? createDevServerEnv({ logLevel: options.serverLog ?? 'error' })
          : createTimeSkippingEnv(),
        (env) => env.teardown(),
      ),
      options.workflows === false ? undefined : bundle(options.workflows ?? WORKFLOWS_PATH),
      options.sandbox ? started(startSandbox({ config, port: 0 }), (sandbox) => sandbox.close()) : undefined,
    ] as const);
    const namespace = env.namespace ?? 'default';
    const theSandbox = () => present(sandbox, 'the stack has no sandbox: start it with `sandbox: true`');
    const theBundle = () => present(workflowBundle, 'the stack bundles no workflows (`workflows: false`)');

    const sandboxActivities = (): WorkerActivities => {
      const built = buildActivities({
        config: () => config,
        sandboxUrl: theSandbox().url,
        env: secretsAsEnv(secrets),
      });
      return { core: built.core, bySystem: built.bySystem };
    };
    const makeWorkers = (
      activities: 'sandbox' | WorkerActivities,
      queue: string,
      limits = rateLimits,
      dispatchLimits?: Partial<Record<ActivitySystem, number>>,
    ) => {
      const chosen = activities === 'sandbox' ? sandboxActivities() : activities;
      return createWorkers({
        connection: env.nativeConnection,
        namespace,
        taskQueue: queue,
        workflowBundle: theBundle(),
        activities: chosen.bySystem,
        ...(chosen.core ? { localActivities: chosen.core } : {}),
        rateLimits: limits,
        ...(dispatchLimits ? { dispatchLimits } : {}),
        overrides: { shutdownGraceTime: '1 second' },
      });
    };
    const startAnotherGateway = (choice: { taskQueue?: string; workflows?: WorkflowPort } = {}) =>
      started(
        startTestGateway({
          config,
          secrets,
          workflows:
            choice.workflows ?? temporalPort(env.client, { taskQueue: choice.taskQueue ?? taskQueue }),
          ...(options.gatewayLog ? { log: options.gatewayLog } : {}),
        }),
        (gateway) => gateway.close(),
      );

    const startWorkers = async (run: WorkersOptions): Promise<void> => {
      const workers = await makeWorkers(
        run.activities,
        run.taskQueue ?? taskQueue,
        run.rateLimits,
        run.dispatchLimits,
      );
      const running = runWorkers(workers);
      stops.unshift(async () => {
        for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
    };
    if (options.workers) await startWorkers({ activities: options.workers });
    const gateway = options.gateway ? await startAnotherGateway() : undefined;

    return {
      env,
      client: env.client,
      namespace,
      config,
      secrets,
      taskQueue,
      get workflowBundle() {
        return theBundle();
      },
      get sandbox() {
        return theSandbox();
      },
      get gateway() {
        return present(gateway, 'the stack has no gateway: start it with `gateway: true`');
      },
      sandboxActivities,
      startWorkers,
      async withWorkers(run, body) {
        const queue = run.taskQueue ?? uniqueId('workers');
        const workers = await makeWorkers(run.activities, queue, run.rateLimits, run.dispatchLimits);
        const tracked: WorkflowHandle[] = [];
        return whileRunning(workers, async () => {
          try {
            return await body({ taskQueue: queue, track: (...handles) => void tracked.push(...handles) });
          } finally {
            await terminateWhenIdle([...tracked].reverse());
          }
        });
      },
      startGateway: startAnotherGateway,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
