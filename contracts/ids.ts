/**
 * The names every side agrees on: workflow ids, the idempotency keys that more than one layer
 * derives, and the private event property that routes calendar answers back to a workflow.
 *
 * Pure strings, no imports: workflow code imports this file, so it must stay safe inside the
 * workflow sandbox. Derivations that need hashing live in contracts/node/.
 */

/** One workflow per release: `release:<JIRA-KEY>`. */
export const releaseWorkflowId = (issueKey: string): string => `release:${issueKey}`;

/**
 * A release that has ended leaves a tombstone, `release-tombstone:<JIRA-KEY>`: a workflow that
 * stays open, so that a late or replayed Jira event does not start the release again after the
 * release's own history has left retention.
 */
export const releaseTombstoneId = (issueKey: string): string => `release-tombstone:${issueKey}`;

/** The tombstone's workflow type (workflows/release/tombstone.ts). */
export const RELEASE_TOMBSTONE_TYPE = 'releaseTombstoneWorkflow';

/** One workflow per leave request: `leave:<personId>:<first day>`. */
export const leaveWorkflowId = (personId: string, startDate: string): string =>
  `leave:${personId}:${startDate}`;

/** One coordinator per team, holding the team's reservations: `leave-coordinator:<teamId>`. */
export const leaveCoordinatorId = (teamId: string): string => `leave-coordinator:${teamId}`;

/** One sync per watched calendar: `calendar-sync:<calendarId>` (calendar ids compare without case). */
export const calendarSyncWorkflowId = (calendarId: string): string =>
  `calendar-sync:${calendarId.toLowerCase()}`;

/** One workflow per freelancer engagement: `onboarding:<freelancerId>`. */
export const onboardingWorkflowId = (freelancerId: string): string => `onboarding:${freelancerId}`;

/** One short workflow per Notion event, so that a redelivery is a no-op: `notion-event:<event id>`. */
export const notionEventWorkflowId = (eventId: string): string => `notion-event:${eventId}`;

/** One Weekly Product Update per ISO week: `weekly-update:2026-W23`. */
export const weeklyUpdateWorkflowId = (week: string): string => `weekly-update:${week}`;

/**
 * The private extended property of a calendar event naming the workflow that answers to it
 * should reach. The leave workflow sets it on its invites; the calendar sync reads it.
 */
export const PRODOPS_WORKFLOW_ID_PROPERTY = 'prodopsWorkflowId';

/** The teams whose readiness a Tier 2 or 3 release waits for. */
export type ReadinessTeam = 'support' | 'sales';

/**
 * The idempotency key of a release's readiness sub-task for a team. The release workflow creates
 * the sub-task under it; the Jira trigger recognises the sub-task by the label derived from it
 * (`jiraLabel`), and so does the simulation that marks it done.
 */
export const readinessSubtaskKey = (issueKey: string, team: ReadinessTeam): string =>
  `${releaseWorkflowId(issueKey)}:${team}-readiness`;

// ---- Insights ------------------------------------------------------------------------------

export { formatInsightId, insightKeyOf, insightShardOf, parseInsightId } from '../domain/insights/backlog';

/** One backlog per shard of accounts: `insights-backlog:<shard>` (see `insightShardOf`). */
export const insightsBacklogId = (shard: number): string => `insights-backlog:${shard}`;

/** One workflow per product area and theme, holding its routed rounds: `insights-theme:<area>:<theme>`. */
export const insightsThemeId = (area: string, theme: string): string => `insights-theme:${area}:${theme}`;

/** One triage per ISO week: `insights-triage:2027-W05`. */
export const insightsTriageId = (week: string): string => `insights-triage:${week}`;

/** One Monthly Insights Digest per month: `insights-digest:2027-03`. */
export const insightsDigestId = (month: string): string => `insights-digest:${month}`;

/** A routed theme's round, named by the week it was first routed in: `<area>:<theme>:<week>`. */
export const insightRoundId = (area: string, theme: string, week: string): string =>
  `${area}:${theme}:${week}`;

export function parseInsightRoundId(round: string): { area: string; theme: string; week: string } | null {
  const match = /^([a-z0-9][a-z0-9._-]*):([a-z0-9][a-z0-9._-]*):(\d{4}-W\d{2})(?:\.\d+)?$/.exec(round);
  return match ? { area: match[1]!, theme: match[2]!, week: match[3]! } : null;
}

/** The idempotency key of an item's row in the Notion insights data source. */
export const insightRowKey = (key: string): string => `insight:${key}`;
const WORKFLOW_LABEL_PREFIX = 'prodops-wf:';

/**
 * The Jira label naming the workflow an issue belongs to, so that a webhook about the issue can
 * be routed to it whichever project the issue is in (labels travel in every issue webhook; issue
 * properties do not). The onboarding workflow labels its tasks with it; the Jira trigger reads it.
 * Workflow ids of prodops carry no spaces, which labels refuse.
 */
export function workflowLabel(workflowId: string): string {
  if (/\s/.test(workflowId) || workflowId === '')
    throw new RangeError(`workflow id ${JSON.stringify(workflowId)} cannot be a label`);
  return `${WORKFLOW_LABEL_PREFIX}${workflowId}`;
}

/** The workflow id a `workflowLabel` names, or undefined for any other label. */
export function workflowIdOfLabel(label: string): string | undefined {
  return label.startsWith(WORKFLOW_LABEL_PREFIX) && label.length > WORKFLOW_LABEL_PREFIX.length
    ? label.slice(WORKFLOW_LABEL_PREFIX.length)
    : undefined;
}
/** One workflow per subscription, across its renewal cycles: `subscription:<id>`. */
export const subscriptionWorkflowId = (subscriptionId: string): string => `subscription:${subscriptionId}`;

/** One short-lived workflow per budget year keeps its Notion page current: `tool-budget:<year>`. */
export const toolBudgetWorkflowId = (year: number): string => `tool-budget:${year}`;
