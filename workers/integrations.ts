/**
 * Builds the activities of every system from the environment: a system whose credentials are
 * set talks to the real API; one without them talks to the local sandbox (when one is running).
 * Secrets are read here, from environment variables only, and never logged.
 */
import type { OrgConfig } from '../domain/config';
import { createHash } from 'node:crypto';
import { ACTIVITY_SYSTEMS, type ActivitySystem } from '../domain/task-queues';
import { createCoreActivities } from '../activities/core';
import { createJiraActivities, createJiraClient } from '../activities/jira';
import { createNotionActivities, createNotionClient } from '../activities/notion';
import { RequestBudget } from '../activities/request-budget';
import { createCalendarActivities } from '../activities/calendar';
import { createGmailActivities } from '../activities/gmail';
import { createGoogleClients, googleCredentialsFromEnv } from '../activities/google-auth';
import { createCalendarSyncActivities } from '../activities/calendar-sync';
import { createDispatchActivities } from '../activities/dispatch';
import { createLeaveActivities } from '../activities/leave';
import { createInsightsActivities } from '../activities/insights';
import { createTombstoneActivities } from '../activities/tombstones';
import { createRitualActivities } from '../activities/rituals';
import { createRenewalActivities } from '../activities/renewals';
import { triggerSecretsFromEnv } from '../triggers/secrets';

export const CREDENTIAL_ENV = {
  jiraEmail: 'PRODOPS_JIRA_EMAIL',
  jiraToken: 'PRODOPS_JIRA_API_TOKEN',
  notionToken: 'PRODOPS_NOTION_TOKEN',
} as const;

/**
 * The worker's own secret: invite event ids nobody can predict, and the key the worker signs
 * its calls to the team coordinators with. Never passed to a workflow.
 */
export const WORKER_SECRET_ENV = 'PRODOPS_WORKER_SECRET';
const MIN_WORKER_SECRET_LENGTH = 32;

/** The worker secret from the environment; an error naming the variable when it is too short. */
export function workerSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[WORKER_SECRET_ENV]?.trim();
  if (!value) return undefined;
  if (value.length < MIN_WORKER_SECRET_LENGTH)
    throw new MissingCredentialsError(
      `${WORKER_SECRET_ENV} must be at least ${MIN_WORKER_SECRET_LENGTH} characters (for example: openssl rand -base64 32)`,
    );
  return value;
}

export type IntegrationMode = 'live' | 'sandbox';

export interface IntegrationModes {
  jira: IntegrationMode;
  notion: IntegrationMode;
  google: IntegrationMode;
}

/** Which systems have credentials. Jira also needs `integrations.jira.baseUrl`. */
export function integrationModes(config: OrgConfig, env: NodeJS.ProcessEnv = process.env): IntegrationModes {
  return {
    jira: config.integrations.jira.baseUrl && env[CREDENTIAL_ENV.jiraToken] ? 'live' : 'sandbox',
    notion: env[CREDENTIAL_ENV.notionToken] ? 'live' : 'sandbox',
    google: googleCredentialsFromEnv(env) ? 'live' : 'sandbox',
  };
}

export interface BuiltActivities {
  modes: IntegrationModes;
  core: ReturnType<typeof createCoreActivities> &
    ReturnType<typeof createDispatchActivities> &
    ReturnType<typeof createLeaveActivities> &
    ReturnType<typeof createInsightsActivities> &
    ReturnType<typeof createTombstoneActivities> &
    ReturnType<typeof createRitualActivities> &
    ReturnType<typeof createRenewalActivities>;
  bySystem: {
    jira: ReturnType<typeof createJiraActivities>;
    notion: ReturnType<typeof createNotionActivities>;
    google: ReturnType<typeof createCalendarActivities> &
      ReturnType<typeof createGmailActivities> &
      ReturnType<typeof createCalendarSyncActivities>;
  };
}

export class MissingCredentialsError extends Error {}

/**
 * Notion's request budget for one worker process: `perSecond` on average, counted over every
 * 10-second window, with a burst of two seconds' worth after a quiet spell or a Retry-After.
 */
export function notionRequestBudget(perSecond: number): RequestBudget {
  return new RequestBudget({ perWindow: perSecond * 10, windowMs: 10_000, burst: Math.ceil(perSecond * 2) });
}

/**
 * @param sandboxUrl where the sandbox serves; required when a system has no credentials.
 */
export function buildActivities(options: {
  config: () => OrgConfig;
  env?: NodeJS.ProcessEnv;
  sandboxUrl?: string;
}): BuiltActivities {
  const env = options.env ?? process.env;
  const config = options.config();
  const modes = integrationModes(config, env);
  const sandboxFor = (system: ActivitySystem): string => {
    if (!options.sandboxUrl) {
      throw new MissingCredentialsError(
        `no credentials for ${system} and no sandbox running: set ${system === 'jira' ? `${CREDENTIAL_ENV.jiraEmail}, ${CREDENTIAL_ENV.jiraToken} and integrations.jira.baseUrl` : system === 'notion' ? CREDENTIAL_ENV.notionToken : 'PRODOPS_GOOGLE_SERVICE_ACCOUNT (or the PRODOPS_GOOGLE_CLIENT_ID/SECRET/REFRESH_TOKEN trio)'}`,
      );
    }
    return options.sandboxUrl;
  };

  const jiraClient =
    modes.jira === 'live'
      ? createJiraClient({
          host: config.integrations.jira.baseUrl!,
          email: env[CREDENTIAL_ENV.jiraEmail],
          apiToken: env[CREDENTIAL_ENV.jiraToken],
        })
      : createJiraClient({ host: sandboxFor('jira'), email: 'prodops@sandbox.local', apiToken: 'sandbox' });
  // Notion's limit is on HTTP requests, whichever activity sends them: this process keeps it.
  const budget = notionRequestBudget(config.integrations.rateLimits.notion);
  const notionClient =
    modes.notion === 'live'
      ? createNotionClient({ auth: env[CREDENTIAL_ENV.notionToken]!, budget })
      : createNotionClient({ auth: 'sandbox', baseUrl: sandboxFor('notion'), budget });
  const google =
    modes.google === 'live'
      ? createGoogleClients(googleCredentialsFromEnv(env)!)
      : createGoogleClients({ kind: 'sandbox' }, { rootUrl: sandboxFor('google') });
  // Live systems need the worker's own secret. A sandbox-only worker derives one from the
  // sandbox's address: every worker of one local stack, a worker started after another was
  // killed, and the stack after a restart must agree on invite ids and reservation tokens, or a
  // retried invite gets a twin and a held place can no longer be confirmed. Nothing live trusts it.
  const workerSecret =
    workerSecretFromEnv(env) ??
    (ACTIVITY_SYSTEMS.some((system) => modes[system] === 'live')
      ? (() => {
          throw new MissingCredentialsError(
            `${WORKER_SECRET_ENV} is not set: a worker that talks to live systems needs it (invite ids, team coordinator calls, the weekly hand-over); generate one with: openssl rand -base64 32`,
          );
        })()
      : sandboxWorkerSecret(sandboxFor('google')));
  const sender = config.integrations.google.sender;
  const calendar = createCalendarActivities({
    calendarFor: google.calendarFor,
    ...(sender ? { defaultActor: sender } : {}),
    eventIdSecret: () => workerSecret,
  });

  return {
    modes,
    core: {
      ...createCoreActivities({ config: options.config }),
      ...createDispatchActivities(),
      ...createInsightsActivities({ config: options.config }),
      ...createLeaveActivities({ config: options.config, workerSecret: () => workerSecret }),
      ...createTombstoneActivities(),
      ...createRitualActivities({ config: options.config, workerSecret: () => workerSecret }),
      ...createRenewalActivities({ config: options.config }),
    },
    bySystem: {
      jira: createJiraActivities({ client: jiraClient, jira: config.integrations.jira }),
      notion: createNotionActivities({ client: notionClient }),
      google: {
        ...calendar,
        ...createGmailActivities({ gmailFor: google.gmailFor }),
        ...createCalendarSyncActivities({
          calendar,
          // Read per call: a worker started before the secret was set picks it up without a restart.
          channelSecret: () => triggerSecretsFromEnv(env).calendar[0],
        }),
      },
    },
  };
}

/** The worker secret of a worker that talks to the sandbox only: the same for every worker of it. */
export function sandboxWorkerSecret(sandboxUrl: string): string {
  return createHash('sha256')
    .update(`prodops sandbox worker secret\n${sandboxUrl}`, 'utf8')
    .digest('base64url');
}
