/**
 * The route of the `freelancers` data source: an intake page created (or moved to Requested)
 * starts the engagement's onboarding workflow by signal-with-start; later edits of its dates,
 * tools or status reach the running workflow as `intakeEdited`, by the person Notion names as
 * the event's author. A refused intake says why on the page itself (its Note), where the person
 * who filled it in looks.
 */
import { getExternalWorkflowHandle, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createCoreActivities } from '../../activities/core';
import type { DispatchActivities } from '../../activities/dispatch';
import type { NotionActivities, NotionPage, NotionSimpleValue } from '../../activities/notion';
import {
  freelancerIdFromEmail,
  formatIntakeProblems,
  type IntakeFields,
} from '../../domain/onboarding-intake';
import {
  intakeEdited,
  ONBOARDING_WORKFLOW_TYPE,
  onboardingWorkflowId,
  type IntakeEditedEvent,
  type OnboardingInput,
} from '../onboarding/messages';
import { activityTaskQueue } from '../../domain/task-queues';
import type { NotionEventInput, NotionEventOutcome } from './messages';
import type { NotionRoute, RouteActivities } from './route';

export interface FreelancerRouteActivities {
  notion: Pick<NotionActivities, 'listUsers' | 'updatePage'>;
  core: Pick<ReturnType<typeof createCoreActivities>, 'checkOnboardingIntake'> &
    Pick<DispatchActivities, 'signalWithStartWorkflow'>;
}

/** Statuses of an intake page that are not yet a request, or that take no more edits. */
const NOT_YET = new Set(['Draft']);
const START = new Set(['Requested', '']);

const text = (value: NotionSimpleValue | undefined): string =>
  typeof value === 'string' ? value.trim() : '';
const date = (value: NotionSimpleValue | undefined): string =>
  value && typeof value === 'object' && !Array.isArray(value) ? value.start.slice(0, 10) : '';
const list = (value: NotionSimpleValue | undefined): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const outcome = (page: NotionPage, result: 'signalled' | 'ignored', detail: string): NotionEventOutcome => ({
  pageId: page.id,
  route: 'freelancers',
  outcome: result,
  detail,
});

/** The intake as the page holds it; people are Notion user ids until resolved. */
function intakeOf(page: NotionPage, managerEmail: string): IntakeFields {
  const p = page.properties;
  const email = text(p.Email);
  const amount = p['Day rate'];
  const currency = text(p.Currency);
  const calendar = text(p.Calendar);
  return {
    freelancerId: text(p.ID) || freelancerIdFromEmail(email),
    name: text(p.Name),
    email,
    role: text(p.Role),
    team: text(p.Team),
    manager: managerEmail,
    country: text(p.Country),
    startDate: date(p['Start date']),
    endDate: date(p['Contract end']),
    tools: list(p.Tools),
    ...(calendar ? { calendar } : {}),
    ...(typeof amount === 'number' ? { dayRate: { amount, currency } } : {}),
  };
}

export async function routeFreelancer(
  page: NotionPage,
  input: NotionEventInput,
  activities: FreelancerRouteActivities,
): Promise<NotionEventOutcome> {
  const authors = input.authors ?? [];
  // prodops (or another integration) wrote the page: nothing a person changed.
  if (authors.length > 0 && authors.every((a) => a.type !== 'person'))
    return outcome(page, 'ignored', 'an edit made by an integration, not a person');
  const status = text(page.properties.Status);
  if (NOT_YET.has(status)) return outcome(page, 'ignored', `Status is ${status}: not requested yet`);

  const { users } = await activities.notion.listUsers();
  const emailOf = (id: string) => users.find((u) => u.id === id)?.email ?? null;
  const managerId = list(page.properties['Hiring manager'])[0];
  const intake = intakeOf(page, managerId ? (emailOf(managerId) ?? '') : '');
  const author = authors.find((a) => a.type === 'person');
  const by = (author && emailOf(author.id)) ?? (author ? `notion:${author.id}` : 'notion');
  const event: IntakeEditedEvent = {
    startDate: intake.startDate,
    endDate: intake.endDate,
    tools: intake.tools,
    status,
    by,
    occurredAt: input.occurredAt,
    deliveryId: `notion:${input.eventId}`,
  };
  const workflowId = onboardingWorkflowId(intake.freelancerId);

  if (!START.has(status)) {
    try {
      await getExternalWorkflowHandle(workflowId).signal(intakeEdited, event);
    } catch (error) {
      log.info('intake edited for an engagement that is not running', { workflowId, error: String(error) });
      return outcome(page, 'ignored', `${workflowId} is not running`);
    }
    return outcome(page, 'signalled', `intakeEdited to ${workflowId}`);
  }

  const { problems } = await activities.core.checkOnboardingIntake({ intake });
  if (problems.length > 0) {
    const note = `Not started: ${formatIntakeProblems(problems)}`.slice(0, 1900);
    await activities.notion.updatePage({ pageId: page.id, properties: { Note: { rich_text: note } } });
    return outcome(page, 'ignored', note);
  }
  // The page said what was missing before; it no longer applies.
  if (text(page.properties.Note).startsWith('Not started:'))
    await activities.notion.updatePage({ pageId: page.id, properties: { Note: { rich_text: '' } } });
  const start: OnboardingInput = {
    ...intake,
    source: 'notion',
    notionPageId: page.id,
    requestedBy: { by, via: 'notion' },
  };
  await activities.core.signalWithStartWorkflow({
    workflowType: ONBOARDING_WORKFLOW_TYPE,
    workflowId,
    taskQueue: workflowInfo().taskQueue,
    args: [start],
    signal: intakeEdited.name,
    signalArgs: [event],
    searchAttributes: [
      { name: 'OnboardingPhase', type: 'KEYWORD', value: 'contract' },
      { name: 'StartDate', type: 'KEYWORD', value: intake.startDate },
      { name: 'EndDate', type: 'KEYWORD', value: intake.endDate },
      { name: 'Team', type: 'KEYWORD', value: intake.team },
    ],
  });
  return outcome(page, 'signalled', `intakeEdited (with start) to ${workflowId}`);
}

const ACTIVITY_OPTIONS = {
  startToCloseTimeout: '1 minute',
  // A dead worker is noticed by its missing heartbeats (workers/liveness.ts).
  heartbeatTimeout: '20 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
} as const;

/** The route's activities: the workflow's own, and the two only this route calls, proxied here. */
function freelancerActivities(shared: RouteActivities): FreelancerRouteActivities {
  const base = workflowInfo().taskQueue;
  const notion = proxyActivities<Pick<NotionActivities, 'updatePage'>>({
    taskQueue: activityTaskQueue(base, 'notion'),
    ...ACTIVITY_OPTIONS,
  });
  const core = proxyActivities<Pick<FreelancerRouteActivities['core'], 'checkOnboardingIntake'>>({
    taskQueue: base,
    ...ACTIVITY_OPTIONS,
  });
  return {
    notion: { listUsers: shared.notion.listUsers, updatePage: notion.updatePage },
    core: {
      checkOnboardingIntake: core.checkOnboardingIntake,
      signalWithStartWorkflow: shared.dispatch.signalWithStartWorkflow,
    },
  };
}

/** A freelancer intake page starts or changes the engagement's onboarding. */
export const freelancers: NotionRoute = {
  kind: 'freelancers',
  handle: (page, input, activities) => routeFreelancer(page, input, freelancerActivities(activities)),
};
