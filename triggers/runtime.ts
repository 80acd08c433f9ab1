/**
 * What a deployed function needs, built once per instance on its first request: the
 * organisation configuration, the trigger secrets and a Temporal client. Everything comes from
 * the environment (and the configuration embedded at build time), never from the request.
 *
 *   PRODOPS_CONFIG                     a configuration file, when none was embedded at build time
 *   PRODOPS_TEMPORAL_ADDRESS, …_NAMESPACE, …_TASK_QUEUE   override the configuration's `temporal`
 *   TEMPORAL_API_KEY (Temporal Cloud), or TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (mTLS)
 *   PRODOPS_JIRA_WEBHOOK_SECRETS, PRODOPS_NOTION_VERIFICATION_TOKENS, PRODOPS_CALENDAR_CHANNEL_SECRET
 *   PRODOPS_PUBLIC_URL                 the functions' base URL, where calendar channels post
 */
import type { OrgConfig } from '../domain/config';
import { loadDeployedConfig } from '../runtime/config';
import { lazyTemporalClient } from '../runtime/temporal';
import { calendarAddress, PUBLIC_URL_ENV } from './endpoints';
import { RecentDeliveries } from './dedup';
import { triggerSecretsFromEnv, type TriggerSecrets } from './secrets';
import { temporalPort, type WorkflowPort } from './workflows';

/** The configuration file's text, put into the bundle by infra/functions/build.ts. */
declare const PRODOPS_EMBEDDED_CONFIG: string | undefined;

export interface FunctionRuntime {
  config: OrgConfig;
  secrets: TriggerSecrets;
  workflows: WorkflowPort;
  calendarAddress: string | null;
  recent: RecentDeliveries;
  log: (line: string) => void;
}

let runtime: Promise<FunctionRuntime> | undefined;

/** The instance's runtime; a failure to build it is not cached, so the next request tries again. */
export function functionRuntime(env: NodeJS.ProcessEnv = process.env): Promise<FunctionRuntime> {
  runtime ??= build(env).catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  return runtime;
}

async function build(env: NodeJS.ProcessEnv): Promise<FunctionRuntime> {
  const embedded = typeof PRODOPS_EMBEDDED_CONFIG === 'string' ? PRODOPS_EMBEDDED_CONFIG : undefined;
  const config = loadDeployedConfig(embedded, env);
  const secrets = triggerSecretsFromEnv(env);
  // Lazy: the instance answers 503 (and the vendor retries) while Temporal is unreachable.
  const client = lazyTemporalClient(config.temporal, env);
  const publicUrl = env[PUBLIC_URL_ENV]?.trim() || null;
  return {
    config,
    secrets,
    workflows: temporalPort(client, { taskQueue: config.temporal.taskQueue }),
    calendarAddress: calendarAddress(publicUrl),
    recent: new RecentDeliveries(),
    log: (line) => console.log(line),
  };
}
