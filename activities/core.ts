/**
 * Activities that call no external system: they read the organisation configuration the worker
 * was started with and prepare what a workflow needs, such as a business calendar with its
 * public holidays expanded (the holiday data is too heavy for workflow code).
 */
import { ApplicationFailure } from '@temporalio/common';
import { localDateOf } from '../domain/business-calendar';
import { ONBOARDING_OWNERS, type OrgConfig, type PersonConfig } from '../domain/config';
import { resolveBusinessCalendar, type YearRange } from '../domain/holidays';
import {
  findPerson,
  formatIntakeProblems,
  intakeCalendarName,
  intakeProblems,
  type IntakeFields,
  type IntakeProblem,
} from '../domain/onboarding-intake';
import { onboardingRulesFrom } from '../domain/onboarding-plan';
import { releaseRulesFrom } from '../domain/release-plan';
import { operatorGrants, type OperatorGrant } from '../domain/operators';
import type { PersonRef, ReleaseContext } from '../workflows/release/messages';
import type { OnboardingContext, OwnerTeam } from '../workflows/onboarding/messages';

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

/** The problems of an intake, judged on its calendar as of now. */
export function checkIntake(config: OrgConfig, input: IntakeFields, now = Date.now()): IntakeProblem[] {
  const name = intakeCalendarName(config, input);
  const zone = name ? config.calendars[name]!.timezone : 'UTC';
  const today = localDateOf(now, zone);
  const year = Number(today.slice(0, 4));
  const startYear = /^\d{4}/.test(input.startDate) ? Number(input.startDate.slice(0, 4)) : year;
  const cal = name
    ? resolveBusinessCalendar(config, name, {
        from: Math.min(year, startYear) - 1,
        to: Math.max(year, startYear) + 1,
      })
    : null;
  return intakeProblems(config, input, cal, today);
}

/** Everything an engagement needs from the configuration; throws naming the fields of a bad intake. */
export function buildOnboardingContext(
  config: OrgConfig,
  input: IntakeFields,
  years: YearRange,
): OnboardingContext {
  const onboarding = config.onboarding;
  const manager = findPerson(config, input.manager);
  const calendarName = intakeCalendarName(config, input);
  const problems = intakeProblems(config, input, null, '0000-01-01').filter(
    (p) => p.field !== 'startDate' && p.field !== 'endDate',
  );
  if (!onboarding || !manager || !calendarName || problems.length > 0)
    throw ApplicationFailure.nonRetryable(
      `the intake of ${input.freelancerId} cannot start: ${formatIntakeProblems(problems)}`,
      'InvalidOnboarding',
    );
  const find = (id: string | undefined) =>
    id === undefined ? undefined : config.people.find((p) => p.id === id);
  const owners = Object.fromEntries(
    ONBOARDING_OWNERS.map((owner): [string, OwnerTeam] => {
      const team = config.teams.find((t) => t.id === onboarding.owners[owner])!;
      return [
        owner,
        {
          owner,
          teamId: team.id,
          teamName: team.name,
          projectKey: team.jiraProjectKey!,
          lead: personRef(find(team.lead)!),
        },
      ];
    }),
  ) as OnboardingContext['owners'];
  const configured = find(onboarding.buddies[input.team]);
  const sameRole = config.people.filter(
    (p) => p.team === input.team && p.role === input.role && p.id !== manager.id && p.id !== configured?.id,
  );
  const team = config.teams.find((t) => t.id === input.team)!;
  const coordinator = find(onboarding.coordinator);
  const notion = config.integrations.notion.dataSources;
  const managersManager = find(manager.manager);
  return {
    manager: personRef(manager),
    managersManager: managersManager ? personRef(managersManager) : null,
    coordinator: coordinator ? personRef(coordinator) : null,
    team: { id: team.id, name: team.name },
    calendar: resolveBusinessCalendar(config, calendarName, years),
    calendarYears: years,
    owners,
    buddyCandidates: [...(configured && configured.id !== manager.id ? [configured] : []), ...sameRole].map(
      personRef,
    ),
    tools: Object.fromEntries(onboarding.tools.map((t) => [t.id, t.name])),
    complianceCheck: onboarding.complianceChecks[input.country] ?? onboarding.defaultComplianceCheck,
    rules: onboardingRulesFrom(onboarding),
    meetings: {
      welcome: { ...onboarding.welcome },
      checkIn: { time: onboarding.checkIn.time, durationMinutes: onboarding.checkIn.durationMinutes },
      review: { time: onboarding.review.time, durationMinutes: onboarding.review.durationMinutes },
    },
    links: onboarding.links.map((l) => ({ ...l })),
    notion: { freelancers: notion.freelancers ?? null, firstWeekPages: notion.firstWeekPages ?? null },
    jira: {
      doneStatus: config.integrations.jira.statuses.done,
      cancelledStatus: config.integrations.jira.statuses.cancelled,
    },
    sender: config.integrations.google.sender ?? `product-ops@${manager.email.split('@')[1] ?? 'localhost'}`,
  };
}

export function createCoreActivities(deps: CoreDeps) {
  const find = (config: OrgConfig, id: string | undefined): PersonConfig | undefined =>
    id === undefined ? undefined : config.people.find((p) => p.id === id);

  return {
    /** Everything an engagement needs from the configuration, holidays for `years`. */
    async loadOnboardingContext(input: {
      intake: IntakeFields;
      years: YearRange;
    }): Promise<OnboardingContext> {
      return buildOnboardingContext(deps.config(), input.intake, input.years);
    },

    /** Every problem of an intake, as of now; empty when it can start. */
    async checkOnboardingIntake(input: { intake: IntakeFields }): Promise<{ problems: IntakeProblem[] }> {
      return { problems: checkIntake(deps.config(), input.intake) };
    },

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
          checkIns: notion.checkIns ?? null,
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
