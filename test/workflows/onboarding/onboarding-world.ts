/**
 * In-memory stand-ins for the activities the onboarding workflow calls, with the real contract:
 * a key makes one issue, one page, one event, one mail, whatever is retried or re-planned. The
 * core activities are the real ones over the configuration.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { OrgConfig } from '../../../domain/config';
import { createCoreActivities } from '../../../activities/core';
import type { CreateIssueInput } from '../../../activities/jira';
import type { UpsertEventInput } from '../../../activities/calendar';

export interface WorldIssue {
  key: string;
  project: string;
  summary: string;
  status: string;
  duedate: string | null;
  assignee: string | null;
  labels: string[];
  idempotencyKey: string;
  dueHistory: (string | null)[];
}

export interface WorldEvent {
  id: string;
  idempotencyKey: string;
  calendarId: string;
  summary: string;
  start: string;
  end: string;
  attendees: string[];
  status: 'confirmed' | 'cancelled';
  revisions: number;
}

export interface WorldMail {
  key: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
}

export interface WorldPage {
  id: string;
  url: string;
  dataSourceId: string | null;
  key: string | null;
  properties: Record<string, unknown>;
  content: unknown[];
}

export class OnboardingWorld {
  issues: WorldIssue[] = [];
  comments: { issueKey: string; key: string; body: string }[] = [];
  events: WorldEvent[] = [];
  mails: WorldMail[] = [];
  pages: WorldPage[] = [];
  calls: string[] = [];
  private next = 1;

  constructor(readonly config: OrgConfig) {}

  issue(summaryStart: string): WorldIssue {
    const found = this.issues.filter((i) => i.summary.startsWith(summaryStart));
    if (found.length !== 1) throw new Error(`${found.length} issues start with "${summaryStart}"`);
    return found[0]!;
  }

  liveEvents(): WorldEvent[] {
    return this.events.filter((e) => e.status === 'confirmed');
  }

  mailsWith(subjectPart: string): WorldMail[] {
    return this.mails.filter((m) => m.subject.includes(subjectPart));
  }

  /** A page someone typed into the freelancers data source. */
  addIntakePage(properties: Record<string, unknown>): string {
    const id = `00000000-0000-4000-8000-${String(this.next++).padStart(12, '0')}`;
    this.pages.push({
      id,
      url: `https://notion.example/${id}`,
      dataSourceId: 'freelancers',
      key: null,
      properties,
      content: [],
    });
    return id;
  }

  page(id: string): WorldPage {
    const found = this.pages.find((p) => p.id === id);
    if (!found) throw new Error(`no page ${id}`);
    return found;
  }

  activities() {
    const core = createCoreActivities({ config: () => this.config });
    const notFound = (what: string) => ApplicationFailure.nonRetryable(`${what} does not exist`, 'NotFound');
    const byKey = (issueKey: string) => {
      const issue = this.issues.find((i) => i.key === issueKey);
      if (!issue) throw notFound(issueKey);
      return issue;
    };
    const ok = <T>(value: T) => ({ ok: true as const, value });
    return {
      ...core,
      createIssues: async ({ issues }: { issues: CreateIssueInput[] }) => {
        this.calls.push(`jira.createIssues ${issues.length}`);
        return {
          results: issues.map((input) => {
            const existing = this.issues.find((i) => i.idempotencyKey === input.idempotencyKey);
            if (existing) return ok({ key: existing.key, id: existing.key, created: false });
            const key = `${input.projectKey}-${this.next++}`;
            this.issues.push({
              key,
              project: input.projectKey!,
              summary: input.summary,
              status: 'To Do',
              duedate: input.duedate ?? null,
              assignee: input.assigneeAccountId ?? null,
              labels: [
                ...(input.labels ?? []),
                ...(input.workflowId ? [`prodops-wf:${input.workflowId}`] : []),
              ],
              idempotencyKey: input.idempotencyKey,
              dueHistory: [input.duedate ?? null],
            });
            return ok({ key, id: key, created: true });
          }),
        };
      },
      updateIssues: async ({ updates }: { updates: { issueKey: string; duedate?: string | null }[] }) => {
        this.calls.push(`jira.updateIssues ${updates.length}`);
        return {
          results: updates.map((u) => {
            const issue = byKey(u.issueKey);
            const changed = u.duedate !== undefined && issue.duedate !== u.duedate;
            if (u.duedate !== undefined) {
              issue.duedate = u.duedate;
              if (changed) issue.dueHistory.push(u.duedate);
            }
            return ok({ issueKey: u.issueKey, changed });
          }),
        };
      },
      transitionIssues: async ({
        transitions,
      }: {
        transitions: { issueKey: string; toStatus: string }[];
      }) => {
        this.calls.push(`jira.transitionIssues ${transitions.length}`);
        return {
          results: transitions.map((t) => {
            const issue = byKey(t.issueKey);
            const transitioned = issue.status !== t.toStatus;
            issue.status = t.toStatus;
            return ok({ transitioned, status: t.toStatus });
          }),
        };
      },
      addComments: async ({
        comments,
      }: {
        comments: { idempotencyKey: string; issueKey: string; body: string }[];
      }) => {
        this.calls.push(`jira.addComments ${comments.length}`);
        return {
          results: comments.map((c) => {
            byKey(c.issueKey);
            const existing = this.comments.find((x) => x.key === c.idempotencyKey);
            if (!existing) this.comments.push({ issueKey: c.issueKey, key: c.idempotencyKey, body: c.body });
            return ok({ id: c.idempotencyKey, created: !existing });
          }),
        };
      },
      searchIssues: async ({ jql }: { jql: string }) => {
        this.calls.push(`jira.searchIssues`);
        const keys =
          /key in \(([^)]*)\)/
            .exec(jql)?.[1]
            ?.split(',')
            .map((k) => k.trim()) ?? [];
        const issues = this.issues
          .filter((i) => keys.includes(i.key))
          .map((i) => ({
            key: i.key,
            status: i.status,
            statusCategory: i.status === 'Done' ? 'done' : 'new',
          }));
        return { issues, truncated: false };
      },
      upsertPage: async (input: {
        idempotencyKey: string;
        dataSourceId: string;
        properties: Record<string, unknown>;
        content?: unknown[];
      }) => {
        this.calls.push(`notion.upsertPage ${input.idempotencyKey}`);
        const existing = this.pages.find((p) => p.key === input.idempotencyKey);
        if (existing) {
          Object.assign(existing.properties, input.properties);
          return { id: existing.id, url: existing.url, created: false };
        }
        const id = `00000000-0000-4000-8000-${String(this.next++).padStart(12, '0')}`;
        this.pages.push({
          id,
          url: `https://notion.example/${id}`,
          dataSourceId: input.dataSourceId,
          key: input.idempotencyKey,
          properties: { ...input.properties },
          content: [...(input.content ?? [])],
        });
        return { id, url: `https://notion.example/${id}`, created: true };
      },
      updatePage: async (input: { pageId: string; properties?: Record<string, unknown> }) => {
        this.calls.push(`notion.updatePage ${input.pageId}`);
        const page = this.pages.find((p) => p.id === input.pageId);
        if (!page) throw notFound(input.pageId);
        Object.assign(page.properties, input.properties ?? {});
        return {
          id: page.id,
          url: page.url,
          properties: {},
          dataSourceId: null,
          inTrash: false,
          createdTime: '',
          lastEditedTime: '',
        };
      },
      upsertEvents: async ({ events }: { events: UpsertEventInput[] }) => {
        this.calls.push(`calendar.upsertEvents ${events.length}`);
        return {
          results: events.map((input) => {
            const existing = this.events.find((e) => e.idempotencyKey === input.idempotencyKey);
            const fields = {
              calendarId: input.calendarId,
              summary: input.summary,
              start: input.start,
              end: input.end,
              attendees: (input.attendees ?? []).map((a) => a.email),
              status: 'confirmed' as const,
            };
            if (existing) {
              Object.assign(existing, fields);
              existing.revisions++;
              return ok({ id: existing.id, created: false, updated: true });
            }
            const id = `evt${this.next++}`;
            this.events.push({ id, idempotencyKey: input.idempotencyKey, revisions: 1, ...fields });
            return ok({ id, created: true, updated: false });
          }),
        };
      },
      deleteEvents: async ({ events }: { events: { idempotencyKey?: string }[] }) => {
        this.calls.push(`calendar.deleteEvents ${events.length}`);
        return {
          results: events.map((input) => {
            const existing = this.events.find((e) => e.idempotencyKey === input.idempotencyKey);
            if (existing) existing.status = 'cancelled';
            return ok({ deleted: existing !== undefined });
          }),
        };
      },
      sendMail: async (input: {
        idempotencyKey: string;
        to: string[];
        cc?: string[];
        subject: string;
        text: string;
      }) => {
        this.calls.push(`gmail.sendMail ${input.idempotencyKey}`);
        const existing = this.mails.find((m) => m.key === input.idempotencyKey);
        if (!existing)
          this.mails.push({
            key: input.idempotencyKey,
            to: input.to,
            cc: input.cc ?? [],
            subject: input.subject,
            text: input.text,
          });
        return { id: input.idempotencyKey, messageId: `<${input.idempotencyKey}>`, sent: !existing };
      },
    };
  }
}
