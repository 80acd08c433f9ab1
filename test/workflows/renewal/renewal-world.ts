/**
 * The renewal tests' view of the shared fake integrations (test/helpers/fake-integrations): the
 * mails, events, rows, pages and issues a subscription made, each exactly once whatever was
 * retried, with Notion rows read as people see them (a date, an email, an option's name), and the
 * subscriptions' memos a visibility listing would hold (the time-skipping server has none).
 */
import type { Client } from '@temporalio/client';
import type { OrgConfig } from '../../../domain/config';
import type { PageDocument } from '../../../domain/document';
import type { NotionPropertyInputs } from '../../../activities/notion';
import type { SubscriptionMemo } from '../../../workflows/renewal/messages';
import {
  FakeIntegrations,
  simpleValue,
  type FakeEvent,
  type FakeIssue,
  type FakePage,
  type IntegrationActivities,
  type Made,
} from '../../helpers/fake-integrations';

export interface WorldMail {
  idempotencyKey: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  sentAt: number;
}

/** A row as people read it: live, so that a test can wait for a change. */
export interface WorldPage {
  readonly id: string;
  readonly idempotencyKey: string | null;
  readonly dataSourceId: string;
  readonly properties: Record<string, unknown>;
  readonly content: PageDocument;
}

export class RenewalWorld {
  readonly fakes: FakeIntegrations;

  constructor(
    readonly config: OrgConfig,
    client?: Client,
    /** Where the listing is read; `memos` unless given (a dev server has real visibility). */
    listing?: () => Promise<SubscriptionMemo[]>,
  ) {
    this.fakes = new FakeIntegrations(config, client ? { temporal: client } : {});
    if (listing) this.fakes.core.listMemos = listing;
  }

  get memos(): SubscriptionMemo[] {
    return this.fakes.core.memos;
  }
  set memos(memos: SubscriptionMemo[]) {
    this.fakes.core.memos = memos;
  }

  get mails(): WorldMail[] {
    return this.fakes.gmail.mails.map((m) => ({
      idempotencyKey: m.idempotencyKey,
      to: m.to,
      cc: m.cc ?? [],
      subject: m.subject,
      text: m.text,
      sentAt: m.sentAt,
    }));
  }

  mailsAbout(subscriptionId: string): WorldMail[] {
    return this.mails.filter((m) => m.idempotencyKey.startsWith(`subscription:${subscriptionId}:`));
  }

  get events(): Made<FakeEvent>[] {
    return this.fakes.calendar.made();
  }

  liveEvents(): Made<FakeEvent>[] {
    return this.events.filter((e) => e.status === 'confirmed');
  }

  get issues(): FakeIssue[] {
    return [...this.fakes.jira.made().values()];
  }

  get pages(): WorldPage[] {
    return this.fakes.notion.pages.map((p) => this.view(p));
  }

  page(id: string): WorldPage | undefined {
    return this.pages.find((p) => p.id === id);
  }

  /** A row a person adds in Notion. */
  addPersonPage(dataSourceId: string, properties: NotionPropertyInputs = {}): WorldPage {
    return this.view(this.fakes.notion.addPage(dataSourceId, properties));
  }

  get calls(): string[] {
    return this.fakes.log.calls;
  }

  activities(): IntegrationActivities {
    return this.fakes.activities();
  }

  private view(page: FakePage): WorldPage {
    const emails = new Map(this.fakes.notion.users().map((u) => [u.id, u.email]));
    const readable = (value: NotionPropertyInputs[string]): unknown => {
      if ('people' in value) return value.people.map((id) => emails.get(id) ?? id);
      const simple = simpleValue(value);
      return simple !== null && typeof simple === 'object' && !Array.isArray(simple) ? simple.start : simple;
    };
    return {
      id: page.id,
      idempotencyKey: page.idempotencyKey,
      dataSourceId: page.dataSourceId,
      get properties() {
        return Object.fromEntries(
          Object.entries(page.properties).map(([name, value]) => [name, readable(value)]),
        );
      },
      get content() {
        return page.blocks;
      },
    };
  }
}
