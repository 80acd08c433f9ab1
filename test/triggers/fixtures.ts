/**
 * Vendor-shaped deliveries for the trigger tests, written out as Jira and Notion send them.
 */
import type { OrgConfig } from '../../domain/config';
import type { TriggerRequest } from '../../triggers/http';
import type { TriggerSecrets } from '../../triggers/secrets';
import type { JiraWebhookPayload, VendorRequest } from '../../sandbox/simulate/vendor-events';

export const SECRETS: TriggerSecrets = {
  jira: ['jira-webhook-secret-0123456789'],
  notion: ['secret_notionverificationtoken0123456789'],
  calendar: ['calendar-channel-secret-0123456789'],
};

export const ANA = '5f1a00000000000000000ana';
export const HANA = '5f1a0000000000000000hana';
export const MAYA = '5f1a00000000000000000maya';

export function toRequest(request: VendorRequest, method = 'POST'): TriggerRequest {
  return {
    method,
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
    rawBody: Buffer.from(request.body, 'utf8'),
  };
}

const user = (accountId: string, displayName: string) => ({
  self: `https://northwind.atlassian.net/rest/api/2/user?accountId=${accountId}`,
  accountId,
  displayName,
  active: true,
  timeZone: 'Europe/London',
  accountType: 'atlassian',
});

/** A release issue as Jira renders it in a webhook, with the example organisation's fields. */
export function releaseIssue(
  config: OrgConfig,
  overrides: {
    key?: string;
    tier?: string | null;
    launch?: string | null;
    status?: string;
    assignee?: string | null;
  } = {},
): JiraWebhookPayload['issue'] {
  const f = config.integrations.jira.fields;
  const tier = overrides.tier === undefined ? '3' : overrides.tier;
  return {
    id: '10042',
    self: 'https://northwind.atlassian.net/rest/api/2/issue/10042',
    key: overrides.key ?? 'REL-9',
    fields: {
      summary: 'Usage-based billing',
      issuetype: { id: '10001', name: 'Task', subtask: false, hierarchyLevel: 0 },
      project: { id: '10000', key: 'REL', name: 'Releases', projectTypeKey: 'software' },
      status: {
        name: overrides.status ?? 'In Progress',
        id: '3',
        statusCategory: { id: 4, key: 'indeterminate', name: 'In Progress' },
      },
      labels: ['release'],
      assignee: overrides.assignee === null ? null : user(overrides.assignee ?? ANA, 'Ana Costa'),
      reporter: user(HANA, 'Hana Okafor'),
      [f.tier!]:
        tier === null
          ? null
          : {
              self: 'https://northwind.atlassian.net/rest/api/2/customFieldOption/10602',
              value: tier,
              id: '10602',
            },
      [f.launchDate!]: overrides.launch === undefined ? '2027-01-20' : overrides.launch,
      [f.productArea!]: 'Billing',
      created: '2026-11-02T09:12:44.120+0000',
      updated: '2026-11-03T10:01:02.000+0000',
    },
  };
}

export function issueCreated(config: OrgConfig, timestamp = 1_767_000_000_000): JiraWebhookPayload {
  return {
    timestamp,
    webhookEvent: 'jira:issue_created',
    issue_event_type_name: 'issue_created',
    user: user(ANA, 'Ana Costa'),
    issue: releaseIssue(config),
  };
}

export function tierUpdated(
  config: OrgConfig,
  from: string,
  to: string,
  timestamp = 1_767_000_100_000,
  key = 'REL-9',
): JiraWebhookPayload {
  return {
    timestamp,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: user(ANA, 'Ana Costa'),
    issue: releaseIssue(config, { key, tier: to.replace(/^Tier /, '') }),
    changelog: {
      id: '10101',
      items: [
        {
          field: 'Tier',
          fieldtype: 'custom',
          fieldId: config.integrations.jira.fields.tier!,
          from: '10601',
          fromString: from,
          to: '10602',
          toString: to,
        },
      ],
    },
  };
}

export function statusChanged(
  config: OrgConfig,
  to: string,
  options: {
    key?: string;
    timestamp?: number;
    actor?: string;
    subtaskOf?: string;
    labels?: string[];
    summary?: string;
  } = {},
): JiraWebhookPayload {
  const issue = releaseIssue(config, { key: options.key ?? 'REL-9', status: to });
  if (options.subtaskOf) {
    issue.fields.issuetype = { id: '10003', name: 'Sub-task', subtask: true, hierarchyLevel: -1 };
    issue.fields.parent = { id: '10042', key: options.subtaskOf, fields: { summary: 'Usage-based billing' } };
    issue.fields.labels = options.labels ?? [];
    issue.fields.summary = options.summary ?? 'Support readiness: Usage-based billing';
    issue.fields.assignee = user(MAYA, 'Maya Lindqvist');
  }
  return {
    timestamp: options.timestamp ?? 1_767_000_200_000,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    user: user(options.actor ?? ANA, 'Someone'),
    issue,
    changelog: {
      id: '10102',
      items: [
        {
          field: 'status',
          fieldtype: 'jira',
          fieldId: 'status',
          from: '3',
          fromString: 'In Progress',
          to: '10002',
          toString: to,
        },
      ],
    },
  };
}
