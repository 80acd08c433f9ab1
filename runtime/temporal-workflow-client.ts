/**
 * The Temporal client of a trigger function: a workflow client on a lazy connection, and nothing
 * else of `@temporalio/client`.
 *
 * The package's index builds a `Client`, which constructs schedule, task-queue, activity and
 * Nexus clients beside the workflow one, and loads their modules (and `nexus-rpc`) with it. A
 * function only signals, starts and describes workflows, and every module it loads is CPU its
 * first delivery pays for, so it takes the two classes from their own modules: `WorkflowClient`
 * is the very class a `Client` holds as `client.workflow`, made with the same options (the
 * connection, the namespace, the data converter; no plugins, no interceptors).
 *
 * The connection opens on first use, so that a function starts (and answers 503, which the
 * vendors retry) while Temporal is unreachable; no GetSystemInfo call precedes the first request,
 * as `Connection.connect` would make.
 */
import { Connection } from '@temporalio/client/lib/connection';
import { WorkflowClient } from '@temporalio/client/lib/workflow-client';
import { dataConverterFromEnv } from './payload-codec';
import { temporalConnectionOptions, type TemporalSettings } from './temporal-options';

/** What a trigger needs of a client: the same two members a `Client` has. */
export interface LazyWorkflowClient {
  workflow: WorkflowClient;
  connection: Connection;
}

export function lazyWorkflowClient(
  temporal: TemporalSettings,
  env: NodeJS.ProcessEnv = process.env,
): LazyWorkflowClient {
  const connection = Connection.lazy(temporalConnectionOptions(temporal, env));
  const dataConverter = dataConverterFromEnv(env);
  const workflow = new WorkflowClient({
    connection,
    namespace: temporal.namespace,
    ...(dataConverter ? { dataConverter } : {}),
  });
  return { workflow, connection };
}
