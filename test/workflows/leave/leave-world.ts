/**
 * In-memory stand-ins for the Calendar, Gmail, Notion and Jira calls the leave workflow makes,
 * with the same idempotency contract as the real activities (a key makes one event, one page,
 * one mail), plus the real leave activities bound to the test server's client. Release
 * commitments come from `commitments`: the time-skipping server has no visibility queries.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { OrgConfig } from '../../../domain/config';
import { zonedDateTimeToInstant } from '../../../domain/business-calendar';
import type { BusyInterval, ReleaseCommitment } from '../../../domain/coverage';
import { createLeaveActivities } from '../../../activities/leave';
import type { UpsertEventInput } from '../../../activities/calendar';
import type { SendMailInput } from '../../../activities/gmail';
import type { NotionPropertyInputs } from '../../../activities/notion';

export interface WorldEvent {
  id: string;
  idempotencyKey: string;
  calendarId: string;
  summary: string;
  start: string;
  end: string;
  timeZone: string;
  attendees: string[];
  eventType: 'default' | 'outOfOffice';
  transparency: 'opaque' | 'transparent';
  privateProperties: Record<string, string>;
  status: 'confirmed' | 'cancelled';
}

export interface WorldPage {
  id: string;
  idempotencyKey: string;
  dataSourceId: string;
  properties: NotionPropertyInputs;
}

export interface WorldIssue {
  key: string;
  summary: string;
  duedate: string;
  status: string;
  assigneeAccountId: string;
}

export class LeaveWorld {
  events: WorldEvent[] = [];
  mails: (SendMailInput & { sentAt: number })[] = [];
  pages: WorldPage[] = [];
  issues: WorldIssue[] = [];
  jql: string[] = [];
  /** Release commitments by person id. */
  commitments: Record<string, ReleaseCommitment[]> = {};
  /** Busy blocks people put in their own calendars, by email. */
  busy: Record<string, BusyInterval[]> = {};
  calls: string[] = [];
  private holds: { match: (call: string) => boolean; reached: () => void; released: Promise<void> }[] = [];

  constructor(
    readonly config: OrgConfig,
    private readonly client: Client,
  ) {}

  /**
   * Keeps the next call matching `match` (as listed in `calls`) in flight until `release()`: a
   * slow step, during which messages reach the workflow. `reached` resolves once the call began.
   */
  hold(match: (call: string) => boolean): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const began = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ match, reached, released });
    return { reached: began, release };
  }

  /** Records a call, and waits while a hold keeps it in flight. */
  private async call(description: string): Promise<void> {
    this.calls.push(description);
    const index = this.holds.findIndex((h) => h.match(description));
    if (index < 0) return;
    const [held] = this.holds.splice(index, 1);
    held!.reached();
    await held!.released;
  }

  liveEvents(): WorldEvent[] {
    return this.events.filter((e) => e.status === 'confirmed');
  }

  mailsTo(email: string): (SendMailInput & { sentAt: number })[] {
    return this.mails.filter((m) => m.to.includes(email) || (m.cc ?? []).includes(email));
  }

  private instant(local: string, timeZone: string): string {
    return zonedDateTimeToInstant(local.slice(0, 10), local.slice(11, 16), timeZone);
  }

  activities() {
    const leave = createLeaveActivities({ config: () => this.config, temporal: this.client });
    return {
      ...leave,
      findReleaseCommitments: async (input: { personId: string }) => {
        await this.call(`findReleaseCommitments ${input.personId}`);
        return { commitments: this.commitments[input.personId] ?? [] };
      },
      upsertEvent: async (input: UpsertEventInput) => {
        await this.call(`upsertEvent ${input.idempotencyKey}`);
        const existing = this.events.find((e) => e.idempotencyKey === input.idempotencyKey);
        const fields = {
          calendarId: input.calendarId,
          summary: input.summary,
          start: input.start,
          end: input.end,
          timeZone: input.timeZone,
          attendees: (input.attendees ?? []).map((a) => a.email),
          eventType: input.eventType ?? 'default',
          transparency: input.transparency ?? 'opaque',
          privateProperties: { ...(input.privateProperties ?? {}), prodopsKey: input.idempotencyKey },
          status: 'confirmed' as const,
        };
        if (existing) {
          Object.assign(existing, fields);
          return { id: existing.id, created: false, updated: true };
        }
        const id = `evt${this.events.length + 1}`;
        this.events.push({ id, idempotencyKey: input.idempotencyKey, ...fields });
        return { id, created: true, updated: false };
      },
      deleteEvent: async (input: { calendarId: string; idempotencyKey?: string; eventId?: string }) => {
        await this.call(`deleteEvent ${input.idempotencyKey ?? input.eventId}`);
        const existing = this.events.find(
          (e) =>
            e.calendarId === input.calendarId &&
            (e.idempotencyKey === input.idempotencyKey || e.id === input.eventId),
        );
        const deleted = existing?.status === 'confirmed';
        if (existing) existing.status = 'cancelled';
        return { deleted };
      },
      freeBusy: async (input: { timeMin: string; timeMax: string; calendars: string[] }) => {
        await this.call(`freeBusy ${input.calendars.join(',')}`);
        const calendars: Record<string, { busy: BusyInterval[]; errors: string[] }> = {};
        for (const email of input.calendars) {
          const own = this.liveEvents()
            .filter((e) => e.calendarId === email && e.transparency === 'opaque')
            .map((e) => ({ start: this.instant(e.start, e.timeZone), end: this.instant(e.end, e.timeZone) }));
          calendars[email] = { busy: [...(this.busy[email] ?? []), ...own], errors: [] };
        }
        return { calendars };
      },
      sendMail: async (input: SendMailInput) => {
        await this.call(`sendMail ${input.idempotencyKey}`);
        if (this.mails.some((m) => m.idempotencyKey === input.idempotencyKey))
          return { id: input.idempotencyKey, messageId: `<${input.idempotencyKey}>`, sent: false };
        this.mails.push({ ...input, sentAt: Date.now() });
        return { id: input.idempotencyKey, messageId: `<${input.idempotencyKey}>`, sent: true };
      },
      listUsers: async () => ({
        users: this.config.people.map((p) => ({
          id: `0000000000004000800000000000${String(this.config.people.indexOf(p)).padStart(4, '0')}`,
          name: p.name,
          email: p.email,
          type: 'person' as const,
        })),
      }),
      upsertPage: async (input: {
        idempotencyKey: string;
        dataSourceId: string;
        properties: NotionPropertyInputs;
      }) => {
        await this.call(`upsertPage ${input.idempotencyKey}`);
        const existing = this.pages.find((p) => p.idempotencyKey === input.idempotencyKey);
        if (existing) {
          Object.assign(existing.properties, input.properties);
          return { id: existing.id, url: `https://notion.example/${existing.id}`, created: false };
        }
        const id = `page-${this.pages.length + 1}`;
        this.pages.push({ id, ...input, properties: { ...input.properties } });
        return { id, url: `https://notion.example/${id}`, created: true };
      },
      updatePage: async (input: { pageId: string; properties?: NotionPropertyInputs }) => {
        await this.call(`updatePage ${input.pageId}`);
        const page = this.pages.find((p) => p.id === input.pageId);
        if (!page) throw ApplicationFailure.nonRetryable(`no page ${input.pageId}`, 'NotFound');
        Object.assign(page.properties, input.properties ?? {});
        return { id: page.id, url: `https://notion.example/${page.id}` };
      },
      searchIssues: async (input: { jql: string; maxResults?: number }) => {
        await this.call(`searchIssues ${input.jql}`);
        this.jql.push(input.jql);
        const account = /assignee = "([^"]+)"/.exec(input.jql)?.[1];
        const from = /duedate >= "([^"]+)"/.exec(input.jql)?.[1] ?? '';
        const to = /duedate <= "([^"]+)"/.exec(input.jql)?.[1] ?? '';
        const issues = this.issues
          .filter((i) => i.assigneeAccountId === account && i.duedate >= from && i.duedate <= to)
          .map((i) => ({
            ...i,
            id: i.key,
            statusCategory: null,
            issueType: 'Task',
            parentKey: null,
            labels: [],
            fields: {},
            subtasks: [],
          }));
        return { issues, truncated: false };
      },
    };
  }
}
