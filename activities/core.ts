/**
 * Activities that call no external system: they read the organisation configuration the worker
 * was started with and prepare what a workflow needs, such as a business calendar with its
 * public holidays expanded (the holiday data is too heavy for workflow code).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { OrgConfig, PersonConfig } from '../domain/config';
import { resolveBusinessCalendar, type YearRange } from '../domain/holidays';
import { releaseRulesFrom } from '../domain/release-plan';
import { operatorGrants, type OperatorGrant } from '../domain/operators';
import type { PersonRef, ReleaseContext } from '../workflows/release/messages';

export interface CoreDeps {
  /** The configuration as currently loaded; read on every call so a reload takes effect. */
  config: () => OrgConfig;
}

export function personRef(person: PersonConfig): PersonRef {
  return {
    id: person.id,
    name: person.name,
    email: person.email,
    ...(person.jiraAccountId ? { jiraAccountId: person.jiraAccountId } : {}),
  };
}

export function createCoreActivities(deps: CoreDeps) {
  const find = (config: OrgConfig, id: string | undefined): PersonConfig | undefined =>
    id === undefined ? undefined : config.people.find((p) => p.id === id);

  return {
    /**
     * The configured operators: who may sign commands, with which public key, and for whom. A
     * workflow reads them when a signed command arrives and its copy is older than an hour.
     */
    async loadOperators(): Promise<{ operators: OperatorGrant[] }> {
      return { operators: operatorGrants(deps.config().operators) };
    },

    /** Everything the release workflow needs from the configuration about one PM's release. */
    async loadReleaseContext(input: { pmId: string; years: YearRange }): Promise<ReleaseContext> {
      const config = deps.config();
      const pm = find(config, input.pmId);
      if (!pm) {
        throw ApplicationFailure.nonRetryable(
          `pmId "${input.pmId}" is not a person in the configuration`,
          'UnknownPerson',
        );
      }
      const releases = config.releases;
      const engLead = config.people.find((p) => p.team === pm.team && p.role === 'eng_lead');
      const supportLead =
        find(config, releases.supportLead) ?? config.people.find((p) => p.role === 'support_lead');
      const salesLead =
        find(config, releases.salesLead) ?? config.people.find((p) => p.role === 'sales_lead');
      const byRole = (role: string, lead: PersonConfig | undefined) => [
        ...new Set([
          ...(lead ? [lead.id] : []),
          ...config.people.filter((p) => p.role === role).map((p) => p.id),
        ]),
      ];
      const notion = config.integrations.notion.dataSources;
      const jira = config.integrations.jira;
      return {
        pm: personRef(pm),
        engLead: engLead ? personRef(engLead) : null,
        supportLead: supportLead ? personRef(supportLead) : null,
        salesLead: salesLead ? personRef(salesLead) : null,
        confirmers: { support: byRole('support_lead', supportLead), sales: byRole('sales_lead', salesLead) },
        escalation: releases.escalationContacts
          .map((id) => find(config, id))
          .filter((p): p is PersonConfig => p !== undefined)
          .map(personRef),
        calendar: resolveBusinessCalendar(config, pm.calendar, input.years),
        calendarYears: input.years,
        rules: releaseRulesFrom(releases),
        readinessCheck: {
          durationMinutes: releases.readinessCheck.durationMinutes,
          time: releases.readinessCheck.time,
        },
        retro: { durationMinutes: releases.retro.durationMinutes, time: releases.retro.time },
        notion: {
          releaseLog: notion.releaseLog ?? null,
          enablementBundles: notion.enablementBundles ?? null,
          retros: notion.retros ?? null,
        },
        jira: {
          projectKey: jira.projectKey,
          subtaskIssueType: jira.subtaskIssueType,
          cancelledStatus: jira.statuses.cancelled,
          doneStatus: jira.statuses.done,
        },
        sender: config.integrations.google.sender ?? `product-ops@${pm.email.split('@')[1] ?? 'localhost'}`,
        accounts: {
          jira: Object.fromEntries(
            config.people.flatMap((p) => (p.jiraAccountId ? [[p.jiraAccountId, p.id]] : [])),
          ),
          notion: Object.fromEntries(
            config.people.flatMap((p) =>
              p.notionUserId ? [[p.notionUserId.replace(/-/g, '').toLowerCase(), p.id]] : [],
            ),
          ),
        },
      };
    },
  };
}
