/**
 * Builds the activities of every system from the environment: a system whose credentials are
 * set talks to the real API; one without them talks to the local sandbox (when one is running).
 * Secrets are read here, from environment variables only, and never logged.
 */
import type { OrgConfig } from '../domain/config';
import type { ActivitySystem } from '../domain/task-queues';
import { createCoreActivities } from '../activities/core';
import { createJiraActivities, createJiraClient } from '../activities/jira';
import { createNotionActivities, createNotionClient } from '../activities/notion';
import { createCalendarActivities } from '../activities/calendar';
import { createGmailActivities } from '../activities/gmail';
import { createGoogleClients, googleCredentialsFromEnv } from '../activities/google-auth';
import { createCalendarSyncActivities } from '../activities/calendar-sync';
import { createDispatchActivities } from '../activities/dispatch';
import { createLeaveActivities } from '../activities/leave';
import { createRenewalActivities } from '../activities/renewals';
import { triggerSecretsFromEnv } from '../triggers/secrets';

export const CREDENTIAL_ENV = {
  jiraEmail: 'PRODOPS_JIRA_EMAIL',
  jiraToken: 'PRODOPS_JIRA_API_TOKEN',
  notionToken: 'PRODOPS_NOTION_TOKEN',
} as const;

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
  const notionClient =
    modes.notion === 'live'
      ? createNotionClient({ auth: env[CREDENTIAL_ENV.notionToken]! })
      : createNotionClient({ auth: 'sandbox', baseUrl: sandboxFor('notion') });
  const google =
    modes.google === 'live'
      ? createGoogleClients(googleCredentialsFromEnv(env)!)
      : createGoogleClients({ kind: 'sandbox' }, { rootUrl: sandboxFor('google') });
  const sender = config.integrations.google.sender;
  const calendar = createCalendarActivities({
    calendarFor: google.calendarFor,
    ...(sender ? { defaultActor: sender } : {}),
  });

  return {
    modes,
    core: {
      ...createCoreActivities({ config: options.config }),
      ...createDispatchActivities(),
      ...createLeaveActivities({ config: options.config }),
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
