/**
 * In-memory stand-ins for the Notion and Gmail calls of the insights workflows, with the same
 * idempotency contract as the real activities (a key makes one row, one mail), and the real
 * insights and dispatch activities bound to the test server's client.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { OrgConfig } from '../../../domain/config';
import { operatorGrants } from '../../../domain/operators';
import type { DocumentBlock } from '../../../domain/document';
import { createInsightsActivities } from '../../../activities/insights';
import type { SendMailInput } from '../../../activities/gmail';
import type { NotionPage, NotionPropertyInputs, NotionSimpleValue } from '../../../activities/notion';
import type { SignalWithStartInput } from '../../../activities/dispatch';

export interface WorldPage {
  id: string;
  idempotencyKey: string;
  dataSourceId: string;
  properties: Record<string, NotionSimpleValue>;
  content: DocumentBlock[];
  createdTime: string;
}

/** What a property input reads back as, the way the Notion activities simplify it. */
function simple(input: NotionPropertyInputs[string]): NotionSimpleValue {
  const [[type, value]] = Object.entries(input) as [[string, unknown]];
  if (type === 'date') {
    const d = value as { start: string; end?: string | null } | null;
    return d ? { start: d.start, end: d.end ?? null } : null;
  }
  return (value ?? null) as NotionSimpleValue;
}

export class InsightsWorld {
  pages: WorldPage[] = [];
  mails: (SendMailInput & { sentAt: number })[] = [];
  calls: string[] = [];
  /** Notion user ids of the configured people, and their emails. */
  readonly users: { id: string; email: string; name: string }[];

  constructor(
    readonly config: OrgConfig,
    private readonly client: Client,
  ) {
    this.users = config.people.map((p, i) => ({
      id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      email: p.email,
      name: p.name,
    }));
  }

  userOf(personId: string): string {
    const email = this.config.people.find((p) => p.id === personId)!.email;
    return this.users.find((u) => u.email === email)!.id;
  }

  mailsTo(personId: string): (SendMailInput & { sentAt: number })[] {
    const email = this.config.people.find((p) => p.id === personId)!.email;
    return this.mails.filter((m) => m.to.includes(email));
  }

  pagesIn(kind: 'insights' | 'insightThemes' | 'insightDigests'): WorldPage[] {
    const id = this.config.integrations.notion.dataSources[kind];
    return this.pages.filter((p) => p.dataSourceId === id);
  }

  /** A person adds a row, as a Notion form does; answers its id. */
  addRow(kind: 'insights' | 'insightThemes', properties: Record<string, NotionSimpleValue>): string {
    const id = `1f2e3d4c-5b6a-4789-8abc-${String(this.pages.length + 1).padStart(12, '0')}`;
    this.pages.push({
      id,
      idempotencyKey: '',
      dataSourceId: this.config.integrations.notion.dataSources[kind]!,
      properties,
      content: [],
      createdTime: new Date().toISOString(),
    });
    return id;
  }

  activities() {
    const insights = createInsightsActivities({ config: () => this.config, temporal: this.client });
    return {
      ...insights,
      loadOperators: async () => ({ operators: operatorGrants(this.config.operators) }),
      signalWithStartWorkflow: async (input: SignalWithStartInput) => {
        this.calls.push(`signalWithStart ${input.workflowId} ${input.signal}`);
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
      sendMail: async (input: SendMailInput) => {
        this.calls.push(`sendMail ${input.idempotencyKey}`);
        if (this.mails.some((m) => m.idempotencyKey === input.idempotencyKey))
          return { id: input.idempotencyKey, messageId: `<${input.idempotencyKey}>`, sent: false };
        this.mails.push({ ...input, sentAt: Date.now() });
        return { id: input.idempotencyKey, messageId: `<${input.idempotencyKey}>`, sent: true };
      },
      listUsers: async () => ({
        users: this.users.map((u) => ({ id: u.id, name: u.name, email: u.email, type: 'person' as const })),
      }),
      upsertPage: async (input: {
        idempotencyKey: string;
        dataSourceId: string;
        properties: NotionPropertyInputs;
        content?: DocumentBlock[];
      }) => {
        this.calls.push(`upsertPage ${input.idempotencyKey}`);
        const properties = Object.fromEntries(
          Object.entries(input.properties).map(([k, v]) => [k, simple(v)]),
        );
        const existing = this.pages.find((p) => p.idempotencyKey === input.idempotencyKey);
        if (existing) {
          Object.assign(existing.properties, properties);
          return { id: existing.id, url: `https://notion.example/${existing.id}`, created: false };
        }
        const id = `2a2b2c2d-0000-4000-8000-${String(this.pages.length + 1).padStart(12, '0')}`;
        this.pages.push({
          id,
          idempotencyKey: input.idempotencyKey,
          dataSourceId: input.dataSourceId,
          properties: { ...properties, 'prodops key': input.idempotencyKey },
          content: input.content ?? [],
          createdTime: new Date().toISOString(),
        });
        return { id, url: `https://notion.example/${id}`, created: true };
      },
      updatePage: async (input: { pageId: string; properties?: NotionPropertyInputs }) => {
        this.calls.push(`updatePage ${input.pageId}`);
        const page = this.pages.find((p) => p.id === input.pageId);
        if (!page) throw ApplicationFailure.nonRetryable(`no page ${input.pageId}`, 'NotFound');
        for (const [k, v] of Object.entries(input.properties ?? {})) page.properties[k] = simple(v);
        return this.notionPage(page);
      },
      getPage: async (input: { pageId: string }): Promise<NotionPage> => {
        this.calls.push(`getPage ${input.pageId}`);
        const page = this.pages.find((p) => p.id.replace(/-/g, '') === input.pageId.replace(/-/g, ''));
        if (!page) throw ApplicationFailure.nonRetryable(`no page ${input.pageId}`, 'NotFound');
        return this.notionPage(page);
      },
    };
  }

  private notionPage(page: WorldPage): NotionPage {
    return {
      id: page.id,
      url: `https://notion.example/${page.id}`,
      properties: { ...page.properties },
      dataSourceId: page.dataSourceId,
      inTrash: false,
      createdTime: page.createdTime,
      lastEditedTime: page.createdTime,
      // The world's pages are written by prodops alone.
      lastEditedBy: null,
    };
  }
}
