/**
 * What a deployed function needs, built once per instance on its first request: the
 * organisation configuration, the trigger secrets and a port to Temporal. Everything comes from
 * the environment (and the configuration embedded at build time), never from the request.
 *
 *   PRODOPS_TEMPORAL_ADDRESS, …_NAMESPACE, …_TASK_QUEUE   override the configuration's `temporal`
 *   TEMPORAL_API_KEY (Temporal Cloud), or TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (mTLS)
 *   PRODOPS_JIRA_WEBHOOK_SECRETS, PRODOPS_NOTION_VERIFICATION_TOKENS, PRODOPS_CALENDAR_CHANNEL_SECRET
 *   PRODOPS_PUBLIC_URL                 the functions' base URL, where calendar channels post
 *
 * Cold start is the price of every first delivery, so nothing here loads what a delivery may not
 * need: the configuration a bundle embeds was validated when it was built (no schema, no YAML at
 * run time), and the Temporal client is loaded by the first delivery that has verified,
 * validated and found something to hand over (`lazyWorkflowPort`).
 */
import type { OrgConfig } from '../domain/config';
import { temporalConnectionOptions, withEnvironmentOverrides } from '../runtime/temporal-options';
import { calendarAddress, publicUrlFromEnv } from './endpoints';
import { RecentDeliveries } from './dedup';
import { acceptNotionVerificationFrom, triggerSecretsFromEnv, type TriggerSecrets } from './secrets';
import { lazyWorkflowPort, type WorkflowPort } from './workflow-port';

export interface FunctionRuntime {
  config: OrgConfig;
  secrets: TriggerSecrets;
  workflows: WorkflowPort;
  calendarAddress: string | null;
  recent: RecentDeliveries;
  /** PRODOPS_NOTION_ACCEPT_VERIFICATION: take a handshake although a token is configured. */
  acceptNotionVerification: boolean;
}

let embedded: OrgConfig | undefined;

/**
 * The configuration a bundle carries, validated when the bundle was built (infra/functions/build.ts).
 * Called by the bundle's entry before any request. A function never reads a configuration file:
 * that would put the YAML parser and the schema back into every cold start.
 */
export function embedConfig(config: OrgConfig): void {
  embedded = config;
  runtime = undefined;
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
  if (!embedded)
    throw new Error('no configuration embedded: build the function with infra/functions/build.ts');
  const config = withEnvironmentOverrides(embedded, env);
  const secrets = triggerSecretsFromEnv(env);
  // Checked now, so that a half-configured mTLS pair is reported at once, not on the first event.
  temporalConnectionOptions(config.temporal, env);
  const publicUrl = publicUrlFromEnv(env);
  return {
    config,
    secrets,
    // The client, gRPC and Temporal's API definitions: most of the bundle, loaded when first used.
    // Its connection opens lazily too: the instance answers 503 (and the vendor retries) while
    // Temporal is unreachable.
    workflows: lazyWorkflowPort(async () => {
      const { temporalWorkflowPort } = await import('./workflows');
      return temporalWorkflowPort(config.temporal, env);
    }),
    calendarAddress: calendarAddress(publicUrl),
    recent: new RecentDeliveries(),
    acceptNotionVerification: acceptNotionVerificationFrom(env),
  };
}
