/**
 * Temporal environments for tests. Where scripts/tools.sh supplied the servers (no internet,
 * corporate CI), TEMPORAL_TEST_SERVER_PATH and TEMPORAL_CLI_PATH point at them; elsewhere the
 * SDK downloads its own, as usual.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

const quietLogger = new DefaultLogger('WARN');
import { randomUUID } from 'node:crypto';
import { ALL_SEARCH_ATTRIBUTES, INDEXED_VALUE_TYPE } from '../../domain/search-attributes';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../workers/workflow-bundle';

function existing(pathVariable: string) {
  const path = process.env[pathVariable];
  return path ? ({ type: 'existing-path', path } as const) : undefined;
}

/**
 * The time-skipping test server: timers of days finish in milliseconds. It starts with no custom
 * search attributes, so the project's are registered as on any real namespace.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const executable = existing('TEMPORAL_TEST_SERVER_PATH');
  const env = await TestWorkflowEnvironment.createTimeSkipping(executable ? { server: { executable } } : {});
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]]),
    ),
  });
  return env;
}

/**
 * The Temporal CLI dev server with the project's search attributes registered (real visibility).
 * `logLevel: 'never'` silences it, for a benchmark that stops it under load.
 */
export function createDevServerEnv(
  options: { logLevel?: 'error' | 'never' } = {},
): Promise<TestWorkflowEnvironment> {
  const executable = existing('TEMPORAL_CLI_PATH');
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(executable ? { executable } : {}),
      searchAttributes: [...ALL_SEARCH_ATTRIBUTES],
      log: { format: 'pretty', level: options.logLevel ?? 'error' },
    },
  });
}

/**
 * Ends a suite that ran its own workers on a dev server: every workflow still running is
 * terminated, the workers shut down (and their run awaited), the server stopped.
 */
export async function stopDevServerSuite(
  env: TestWorkflowEnvironment | undefined,
  workers: Worker[] | undefined,
  running: Promise<void> | undefined,
): Promise<void> {
  if (env)
    for await (const info of env.client.workflow.list({ query: "ExecutionStatus = 'Running'" }))
      await env.client.workflow.getHandle(info.workflowId).terminate('test finished');
  for (const worker of workers ?? []) if (worker.getState() === 'RUNNING') worker.shutdown();
  await running;
  await env?.teardown();
}

/** Bundles workflow code once per suite; every worker of the suite reuses it. */
export function bundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger, ...WORKFLOW_BUNDLER_OPTIONS });
}

/** Unique per test, so that runs never collide on workflow ids or task queues. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
