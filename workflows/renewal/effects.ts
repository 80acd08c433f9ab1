/**
 * The renewal workflow's effects on the outside world, through activities: every call carries an
 * idempotency key from the subscription and cycle, and a call that failed for good is noted on
 * the subscription's log instead of failing a workflow that runs for years.
 */
import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { createCalendarActivities } from '../../activities/calendar';
import type { createCoreActivities } from '../../activities/core';
import type { createDispatchActivities } from '../../activities/dispatch';
import type { createGmailActivities } from '../../activities/gmail';
import type { createJiraActivities } from '../../activities/jira';
import type { createNotionActivities } from '../../activities/notion';
import type { RenewalActivities } from '../../activities/renewals';
import { noticeHtml } from '../../domain/release-content';
import { NoticeDeadline, RenewalStatus, Team } from '../../domain/search-attributes';
import { SUBSCRIPTION_MEMO_KEY } from '../../contracts/renewals';
import { activitiesFor } from '../activity-options';
import { attempt, note, sendOnce } from '../entity-loop';
import {
  budgetFactsChanged,
  TOOL_BUDGET_WORKFLOW_TYPE,
  toolBudgetWorkflowId,
  type SubscriptionMemo,
} from './messages';
import type { RenewalEffects } from './reconcile';
import type { RenewalState } from './state';
import type { RenewalIndex } from './views';

type Core = RenewalActivities &
  ReturnType<typeof createDispatchActivities> &
  Pick<ReturnType<typeof createCoreActivities>, 'loadOperators'>;
type Notion = ReturnType<typeof createNotionActivities>;
type Google = ReturnType<typeof createCalendarActivities> & ReturnType<typeof createGmailActivities>;
type Jira = ReturnType<typeof createJiraActivities>;

export function renewalActivities() {
  return {
    core: activitiesFor<Core>(null),
    notion: activitiesFor<Notion>('notion'),
    google: activitiesFor<Google>('google'),
    jira: activitiesFor<Jira>('jira'),
  };
}

/** The search attributes of an index; a cleared one is removed. */
export function searchAttributePairs(index: RenewalIndex) {
  return [
    { key: RenewalStatus, value: index.status },
    { key: Team, value: index.team },
    { key: NoticeDeadline, value: index.noticeDeadline },
  ];
}

/** The search attributes a new run starts with (free: set with the start, not upserted). */
export function startAttributes(index: RenewalIndex): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: RenewalStatus, value: index.status }];
  if (index.team) pairs.push({ key: Team, value: index.team });
  if (index.noticeDeadline) pairs.push({ key: NoticeDeadline, value: index.noticeDeadline });
  return pairs;
}

export function memoFields(memo: SubscriptionMemo): Record<string, unknown> {
  return { [SUBSCRIPTION_MEMO_KEY]: memo };
}

export function renewalEffects(state: RenewalState, activities = renewalActivities()): RenewalEffects {
  const { core, notion, google, jira } = activities;
  const log = (message: string) => note(state, message, { subscriptionId: state.subscriptionId });
  const tried = <T>(what: string, action: () => Promise<T>) =>
    attempt(action, (cause) => log(`could not ${what}: ${cause}`));
  const ctx = () => {
    if (!state.context) throw new Error('the renewal context is not loaded');
    return state.context;
  };

  return {
    note: log,

    async sendMail(key, to, cc, notice) {
      const recipients = [...new Set(to.map((p) => p.email))];
      const copies = [...new Set(cc.map((p) => p.email))].filter((e) => !recipients.includes(e));
      if (recipients.length === 0) return false;
      if (state.sent.includes(key)) return true;
      return sendOnce(state, key, () =>
        tried(`send "${notice.subject}"`, () =>
          google.sendMail({
            idempotencyKey: key,
            from: ctx().sender,
            to: recipients,
            ...(copies.length > 0 ? { cc: copies } : {}),
            subject: notice.subject,
            text: notice.text,
            html: noticeHtml(notice.text),
          }),
        ),
      );
    },

    async writePage({ pageId, key, dataSourceId, properties }) {
      if (pageId) {
        const page = await tried('update the subscription in Notion', () =>
          notion.updatePage({ pageId, properties }),
        );
        return page ? { id: page.id } : undefined;
      }
      const page = await tried('add the subscription to Notion', () =>
        notion.upsertPage({ idempotencyKey: key, dataSourceId, properties }),
      );
      return page ? { id: page.id } : undefined;
    },

    async upsertEvent(input) {
      const event = await tried(`put "${input.summary}" on ${input.calendarId}'s calendar`, () =>
        google.upsertEvent({
          idempotencyKey: input.key,
          calendarId: input.calendarId,
          actAs: input.calendarId,
          summary: input.summary,
          description: input.description,
          start: input.start,
          end: input.end,
          timeZone: input.timeZone,
          transparency: 'transparent',
          sendUpdates: 'none',
        }),
      );
      return event ? { id: event.id } : undefined;
    },

    async deleteEvent({ key, calendarId }) {
      const done = await tried(`remove an event from ${calendarId}'s calendar`, () =>
        google.deleteEvent({ calendarId, idempotencyKey: key, actAs: calendarId }),
      );
      return done !== undefined;
    },

    async createIssue(input) {
      const issue = await tried(`open the Jira task "${input.summary}"`, () =>
        jira.createIssue({
          idempotencyKey: input.key,
          projectKey: input.projectKey,
          issueType: 'Task',
          summary: input.summary,
          description: input.description,
          labels: ['prodops-renewal'],
          duedate: input.duedate,
          ...(input.assignee?.jiraAccountId ? { assigneeAccountId: input.assignee.jiraAccountId } : {}),
        }),
      );
      return issue ? { key: issue.key } : undefined;
    },

    async retireIssue({ issueKey, toStatus }) {
      const done = await tried(`move ${issueKey} to ${toStatus}`, () =>
        jira.transitionIssue({ issueKey, toStatus }),
      );
      return done !== undefined;
    },

    async signalBudget(year, change) {
      const done = await tried(`ask for the ${year} budget page to be refreshed`, () =>
        core.signalWithStartWorkflow({
          workflowType: TOOL_BUDGET_WORKFLOW_TYPE,
          workflowId: toolBudgetWorkflowId(year),
          taskQueue: workflowInfo().taskQueue,
          args: [{ year }],
          signal: budgetFactsChanged.name,
          signalArgs: [change],
        }),
      );
      return done !== undefined;
    },

    index(index, memo) {
      if (index) upsertSearchAttributes(searchAttributePairs(index));
      if (memo) upsertMemo(memoFields(memo));
    },
  };
}
