/**
 * In-memory stand-ins for the Jira, Notion, Calendar and Gmail activities, with the same
 * idempotency contract as the real ones (a key makes one resource), so that workflow tests can
 * assert that every artifact exists exactly once whatever was retried or re-planned.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { OrgConfig } from '../../../domain/config';
import { createCoreActivities } from '../../../activities/core';

export interface FakeIssue {
  key: string;
  parentKey?: string;
  summary: string;
  status: string;
  idempotencyKey: string;
  assigneeAccountId?: string;
  /** The Jira account that last changed the status, as the changelog shows it. */
  movedBy?: string;
}
export interface FakeComment {
  id: string;
  issueKey: string;
  body: string;
  idempotencyKey: string;
}
export interface FakePage {
  id: string;
  url: string;
  dataSourceId: string;
  idempotencyKey: string;
  properties: Record<string, unknown>;
  blocks: unknown[];
  /** The Notion user who last edited the page. */
  lastEditedBy?: string;
}
export interface FakeEvent {
  id: string;
  calendarId: string;
  idempotencyKey: string;
  summary: string;
  start: string;
  end: string;
  attendees: string[];
  status: 'confirmed' | 'cancelled';
  revisions: number;
}
export interface FakeMail {
  idempotencyKey: string;
  to: string[];
  subject: string;
  text: string;
}

export class FakeWorld {
  issues = new Map<string, FakeIssue>();
  comments: FakeComment[] = [];
  pages: FakePage[] = [];
  events: FakeEvent[] = [];
  mails: FakeMail[] = [];
  calls: string[] = [];
  private nextIssue = 100;

  constructor(readonly config: OrgConfig) {}

  /** Simulates a person (a Notion user id) publishing the bundle in Notion. */
  setPageStatus(pageId: string, status: string, by?: string): void {
    const page = this.pages.find((p) => p.id === pageId);
    if (!page) throw new Error(`no page ${pageId}`);
    page.properties.Status = { status };
    if (by !== undefined) page.lastEditedBy = by;
  }

  /** Simulates a person (a Jira account) moving an issue. */
  setIssueStatus(key: string, status: string, by?: string): void {
    const issue = this.issues.get(key);
    if (!issue) throw new Error(`no issue ${key}`);
    issue.status = status;
    if (by !== undefined) issue.movedBy = by;
  }

  /** Tombstones left by finished releases. */
  tombstones: { issueKey: string; phase: string }[] = [];

  liveEvents(): FakeEvent[] {
    return this.events.filter((e) => e.status === 'confirmed');
  }

  activities() {
    const core = createCoreActivities({ config: () => this.config });
    const simple = (value: unknown): unknown => {
      if (value && typeof value === 'object') {
        const v = value as Record<string, unknown>;
        for (const k of ['title', 'rich_text', 'select', 'status']) if (k in v) return v[k];
        if ('date' in v) return (v.date as { start: string }).start;
      }
      return value;
    };
    return {
      ...core,
      // Jira
      createIssue: async (input: {
        idempotencyKey: string;
        summary: string;
        parentKey?: string;
        assigneeAccountId?: string;
      }) => {
        this.calls.push(`jira.createIssue ${input.idempotencyKey}`);
        const existing = [...this.issues.values()].find((i) => i.idempotencyKey === input.idempotencyKey);
        if (existing) return { key: existing.key, id: existing.key, created: false };
        const key = `REL-${this.nextIssue++}`;
        this.issues.set(key, {
          key,
          summary: input.summary,
          status: 'To Do',
          idempotencyKey: input.idempotencyKey,
          ...(input.parentKey ? { parentKey: input.parentKey } : {}),
          ...(input.assigneeAccountId ? { assigneeAccountId: input.assigneeAccountId } : {}),
        });
        return { key, id: key, created: true };
      },
      addComment: async (input: { idempotencyKey: string; issueKey: string; body: string }) => {
        this.calls.push(`jira.addComment ${input.idempotencyKey}`);
        const existing = this.comments.find((c) => c.idempotencyKey === input.idempotencyKey);
        if (existing) return { id: existing.id, created: false };
        const id = String(this.comments.length + 1);
        this.comments.push({ id, ...input });
        return { id, created: true };
      },
      transitionIssue: async (input: { issueKey: string; toStatus: string }) => {
        this.calls.push(`jira.transitionIssue ${input.issueKey} ${input.toStatus}`);
        const issue = this.issues.get(input.issueKey);
        if (!issue) throw ApplicationFailure.nonRetryable(`no issue ${input.issueKey}`, 'NotFound');
        const transitioned = issue.status !== input.toStatus;
        issue.status = input.toStatus;
        return { transitioned, status: input.toStatus };
      },
      getIssue: async (input: { issueKey: string }) => {
        this.calls.push(`jira.getIssue ${input.issueKey}`);
        const issue = this.issues.get(input.issueKey);
        if (!issue) throw ApplicationFailure.nonRetryable(`no issue ${input.issueKey}`, 'NotFound');
        return { key: issue.key, status: issue.status, assigneeAccountId: issue.assigneeAccountId ?? null };
      },
      // Notion
      upsertPage: async (input: {
        idempotencyKey: string;
        dataSourceId: string;
        properties: Record<string, unknown>;
        content?: unknown[];
      }) => {
        this.calls.push(`notion.upsertPage ${input.idempotencyKey}`);
        const existing = this.pages.find((p) => p.idempotencyKey === input.idempotencyKey);
        if (existing) {
          Object.assign(existing.properties, input.properties);
          return { id: existing.id, url: existing.url, created: false };
        }
        const id = `page-${this.pages.length + 1}`;
        const page = {
          id,
          url: `https://notion.example/${id}`,
          dataSourceId: input.dataSourceId,
          idempotencyKey: input.idempotencyKey,
          properties: { ...input.properties },
          blocks: [...(input.content ?? [])],
        };
        this.pages.push(page);
        return { id, url: page.url, created: true };
      },
      updatePage: async (input: { pageId: string; properties?: Record<string, unknown> }) => {
        this.calls.push(`notion.updatePage ${input.pageId}`);
        const page = this.pages.find((p) => p.id === input.pageId);
        if (!page) throw ApplicationFailure.nonRetryable(`no page ${input.pageId}`, 'NotFound');
        Object.assign(page.properties, input.properties ?? {});
        return { id: page.id, url: page.url };
      },
      appendContent: async (input: { pageId: string; content: unknown[]; idempotencyKey?: string }) => {
        this.calls.push(`notion.appendContent ${input.pageId}`);
        const page = this.pages.find((p) => p.id === input.pageId);
        if (!page) throw ApplicationFailure.nonRetryable(`no page ${input.pageId}`, 'NotFound');
        page.blocks.push(...input.content);
        return { appended: input.content.length };
      },
      getPage: async (input: { pageId: string }) => {
        this.calls.push(`notion.getPage ${input.pageId}`);
        const page = this.pages.find((p) => p.id === input.pageId);
        if (!page) throw ApplicationFailure.nonRetryable(`no page ${input.pageId}`, 'NotFound');
        return {
          id: page.id,
          url: page.url,
          properties: Object.fromEntries(Object.entries(page.properties).map(([k, v]) => [k, simple(v)])),
          dataSourceId: page.dataSourceId,
          inTrash: false,
          lastEditedBy: page.lastEditedBy ?? null,
        };
      },
      readStatusChange: async (input: { issueKey: string; toStatus: string }) => {
        this.calls.push(`jira.readStatusChange ${input.issueKey}`);
        const issue = this.issues.get(input.issueKey);
        if (!issue) throw ApplicationFailure.nonRetryable(`no issue ${input.issueKey}`, 'NotFound');
        const moved = issue.status.toLowerCase() === input.toStatus.toLowerCase();
        return { status: issue.status, movedBy: moved ? (issue.movedBy ?? null) : null, movedAt: null };
      },
      recordReleaseTombstone: async (input: { issueKey: string; phase: string }) => {
        this.calls.push(`core.recordReleaseTombstone ${input.issueKey}`);
        if (!this.tombstones.some((t) => t.issueKey === input.issueKey)) this.tombstones.push({ ...input });
        return { workflowId: `release-tombstone:${input.issueKey}` };
      },
      // Calendar
      upsertEvent: async (input: {
        idempotencyKey: string;
        calendarId: string;
        summary: string;
        start: string;
        end: string;
        attendees?: { email: string }[];
      }) => {
        this.calls.push(`calendar.upsertEvent ${input.idempotencyKey}`);
        const existing = this.events.find((e) => e.idempotencyKey === input.idempotencyKey);
        if (existing) {
          Object.assign(existing, {
            summary: input.summary,
            start: input.start,
            end: input.end,
            attendees: (input.attendees ?? []).map((a) => a.email),
            status: 'confirmed',
          });
          existing.revisions++;
          return { id: existing.id, created: false, updated: true };
        }
        const id = `evt${this.events.length + 1}`;
        this.events.push({
          id,
          calendarId: input.calendarId,
          idempotencyKey: input.idempotencyKey,
          summary: input.summary,
          start: input.start,
          end: input.end,
          attendees: (input.attendees ?? []).map((a) => a.email),
          status: 'confirmed',
          revisions: 1,
        });
        return { id, created: true, updated: false };
      },
      deleteEvent: async (input: { calendarId: string; idempotencyKey?: string; eventId?: string }) => {
        this.calls.push(`calendar.deleteEvent ${input.idempotencyKey ?? input.eventId}`);
        const existing = this.events.find(
          (e) => e.idempotencyKey === input.idempotencyKey || e.id === input.eventId,
        );
        if (existing) existing.status = 'cancelled';
        return { deleted: existing !== undefined };
      },
      // Gmail
      sendMail: async (input: { idempotencyKey: string; to: string[]; subject: string; text: string }) => {
        this.calls.push(`gmail.sendMail ${input.idempotencyKey}`);
        const existing = this.mails.find((m) => m.idempotencyKey === input.idempotencyKey);
        if (existing)
          return { id: existing.idempotencyKey, messageId: `<${existing.idempotencyKey}>`, sent: false };
        this.mails.push({
          idempotencyKey: input.idempotencyKey,
          to: input.to,
          subject: input.subject,
          text: input.text,
        });
        return { id: input.idempotencyKey, messageId: `<${input.idempotencyKey}>`, sent: true };
      },
    };
  }
}
