/**
 * In-memory stand-ins for the Notion, Calendar, Gmail and Jira calls of the renewal and budget
 * workflows, with the same idempotency contract as the real activities (a key makes one page,
 * one event, one issue, one mail), plus the real renewal activities over `memos`: the
 * time-skipping server has no visibility queries, so the test says what the listing holds.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { OrgConfig } from '../../../domain/config';
import type { PageDocument } from '../../../domain/document';
import { createRenewalActivities } from '../../../activities/renewals';
import type { SignalWithStartInput } from '../../../activities/dispatch';
import type { SubscriptionMemo } from '../../../workflows/renewal/messages';

export interface WorldMail {
  idempotencyKey: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  sentAt: number;
}

export interface WorldEvent {
  id: string;
  idempotencyKey: string;
  calendarId: string;
  summary: string;
  start: string;
  end: string;
  status: 'confirmed' | 'cancelled';
  revisions: number;
}

export interface WorldPage {
  id: string;
  idempotencyKey: string | null;
  dataSourceId: string;
  properties: Record<string, unknown>;
  content: PageDocument;
  writes: number;
}

export interface WorldIssue {
  key: string;
  idempotencyKey: string;
  projectKey: string;
  summary: string;
  description: string;
  duedate: string | null;
  assigneeAccountId: string | null;
  status: string;
}

export class RenewalWorld {
  mails: WorldMail[] = [];
  events: WorldEvent[] = [];
  pages: WorldPage[] = [];
  issues: WorldIssue[] = [];
  /** What a listing of the visibility store would return. */
  memos: SubscriptionMemo[] = [];
  calls: string[] = [];
  private nextIssue = 1;

  constructor(
    readonly config: OrgConfig,
    private readonly client: Client,
    private readonly now: () => number,
    /** Where the listing is read; `memos` unless given (a dev server has real visibility). */
    private readonly listing?: () => Promise<SubscriptionMemo[]>,
  ) {}

  liveEvents(): WorldEvent[] {
    return this.events.filter((e) => e.status === 'confirmed');
  }

  mailsAbout(subscriptionId: string): WorldMail[] {
    return this.mails.filter((m) => m.idempotencyKey.startsWith(`subscription:${subscriptionId}:`));
  }

  page(id: string): WorldPage | undefined {
    return this.pages.find((p) => p.id === id);
  }

  /** A row a person created in Notion (no prodops key). */
  addPersonPage(dataSourceId: string, id: string, properties: Record<string, unknown>): WorldPage {
    const page = { id, idempotencyKey: null, dataSourceId, properties, content: [], writes: 0 };
    this.pages.push(page);
    return page;
  }

  activities() {
    const renewals = createRenewalActivities({
      config: () => this.config,
      subscriptions: this.listing ?? (async () => this.memos),
    });
    const simple = (value: unknown): unknown => {
      if (value && typeof value === 'object') {
        const v = value as Record<string, unknown>;
        for (const k of ['title', 'rich_text', 'select', 'number', 'checkbox']) if (k in v) return v[k];
        if ('date' in v) return v.date === null ? null : (v.date as { start: string }).start;
        if ('people_emails' in v) return v.people_emails;
      }
      return value;
    };
    const write = (page: WorldPage, properties: Record<string, unknown>) => {
      for (const [name, value] of Object.entries(properties)) page.properties[name] = simple(value);
      page.writes++;
    };
    return {
      ...renewals,
      signalWithStartWorkflow: async (input: SignalWithStartInput) => {
        this.calls.push(`dispatch ${input.workflowId} ${input.signal}`);
        const handle = await this.client.workflow.signalWithStart(input.workflowType, {
          workflowId: input.workflowId,
          taskQueue: input.taskQueue,
          args: input.args,
          signal: input.signal,
          signalArgs: input.signalArgs,
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        return { runId: handle.signaledRunId };
      },
      // Notion
      upsertPage: async (input: {
        idempotencyKey: string;
        dataSourceId: string;
        properties: Record<string, unknown>;
      }) => {
        this.calls.push(`notion.upsertPage ${input.idempotencyKey}`);
        const existing = this.pages.find((p) => p.idempotencyKey === input.idempotencyKey);
        if (existing) {
          write(existing, input.properties);
          return { id: existing.id, url: `https://notion.example/${existing.id}`, created: false };
        }
        const id = `page${this.pages.length + 1}`;
        const page: WorldPage = {
          id,
          idempotencyKey: input.idempotencyKey,
          dataSourceId: input.dataSourceId,
          properties: {},
          content: [],
          writes: 0,
        };
        write(page, input.properties);
        this.pages.push(page);
        return { id, url: `https://notion.example/${id}`, created: true };
      },
      updatePage: async (input: { pageId: string; properties?: Record<string, unknown> }) => {
        this.calls.push(`notion.updatePage ${input.pageId}`);
        const page = this.page(input.pageId);
        if (!page) throw ApplicationFailure.nonRetryable(`no page ${input.pageId}`, 'NotFound');
        write(page, input.properties ?? {});
        return { id: page.id, url: `https://notion.example/${page.id}`, properties: page.properties };
      },
      replaceContent: async (input: { pageId: string; content: PageDocument }) => {
        this.calls.push(`notion.replaceContent ${input.pageId}`);
        const page = this.page(input.pageId);
        if (!page) throw ApplicationFailure.nonRetryable(`no page ${input.pageId}`, 'NotFound');
        page.content = input.content;
        return { kept: 0, removed: 0, appended: input.content.length };
      },
      listUsers: async () => ({
        users: this.config.people.map((p) => ({
          id: `user-${p.id}`,
          name: p.name,
          email: p.email,
          type: 'person',
        })),
      }),
      // Calendar
      upsertEvent: async (input: {
        idempotencyKey: string;
        calendarId: string;
        summary: string;
        start: string;
        end: string;
      }) => {
        this.calls.push(`calendar.upsertEvent ${input.idempotencyKey}`);
        const existing = this.events.find(
          (e) => e.idempotencyKey === input.idempotencyKey && e.calendarId === input.calendarId,
        );
        if (existing) {
          Object.assign(existing, {
            summary: input.summary,
            start: input.start,
            end: input.end,
            status: 'confirmed',
          });
          existing.revisions++;
          return { id: existing.id, created: false, updated: true };
        }
        const id = `evt${this.events.length + 1}`;
        this.events.push({
          id,
          idempotencyKey: input.idempotencyKey,
          calendarId: input.calendarId,
          summary: input.summary,
          start: input.start,
          end: input.end,
          status: 'confirmed',
          revisions: 1,
        });
        return { id, created: true, updated: false };
      },
      deleteEvent: async (input: { calendarId: string; idempotencyKey?: string }) => {
        this.calls.push(`calendar.deleteEvent ${input.idempotencyKey}`);
        const existing = this.events.find(
          (e) => e.idempotencyKey === input.idempotencyKey && e.calendarId === input.calendarId,
        );
        if (existing) existing.status = 'cancelled';
        return { deleted: existing !== undefined };
      },
      // Gmail
      sendMail: async (input: {
        idempotencyKey: string;
        to: string[];
        cc?: string[];
        subject: string;
        text: string;
      }) => {
        this.calls.push(`gmail.sendMail ${input.idempotencyKey}`);
        const existing = this.mails.find((m) => m.idempotencyKey === input.idempotencyKey);
        if (existing)
          return { id: existing.idempotencyKey, messageId: `<${existing.idempotencyKey}>`, sent: false };
        this.mails.push({
          idempotencyKey: input.idempotencyKey,
          to: input.to,
          cc: input.cc ?? [],
          subject: input.subject,
          text: input.text,
          sentAt: this.now(),
        });
        return { id: input.idempotencyKey, messageId: `<${input.idempotencyKey}>`, sent: true };
      },
      // Jira
      createIssue: async (input: {
        idempotencyKey: string;
        projectKey?: string;
        summary: string;
        description?: string;
        duedate?: string;
        assigneeAccountId?: string;
      }) => {
        this.calls.push(`jira.createIssue ${input.idempotencyKey}`);
        const existing = this.issues.find((i) => i.idempotencyKey === input.idempotencyKey);
        if (existing) return { key: existing.key, id: existing.key, created: false };
        const key = `${input.projectKey ?? 'REL'}-${this.nextIssue++}`;
        this.issues.push({
          key,
          idempotencyKey: input.idempotencyKey,
          projectKey: input.projectKey ?? 'REL',
          summary: input.summary,
          description: input.description ?? '',
          duedate: input.duedate ?? null,
          assigneeAccountId: input.assigneeAccountId ?? null,
          status: 'To Do',
        });
        return { key, id: key, created: true };
      },
      transitionIssue: async (input: { issueKey: string; toStatus: string }) => {
        this.calls.push(`jira.transitionIssue ${input.issueKey} ${input.toStatus}`);
        const issue = this.issues.find((i) => i.key === input.issueKey);
        if (!issue) throw ApplicationFailure.nonRetryable(`no issue ${input.issueKey}`, 'NotFound');
        const transitioned = issue.status !== input.toStatus;
        issue.status = input.toStatus;
        return { transitioned, status: input.toStatus };
      },
    };
  }
}
