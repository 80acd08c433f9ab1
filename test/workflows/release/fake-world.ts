/**
 * The release tests' view of the shared fake integrations (test/helpers/fake-integrations):
 * what a release made in Jira, Notion, Calendar and Gmail, each exactly once whatever was
 * retried or re-planned, and the changes a person makes there.
 */
import type { OrgConfig } from '../../../domain/config';
import {
  FakeIntegrations,
  type FakeComment,
  type FakeEvent as SharedEvent,
  type FakeIssue as SharedIssue,
  type FakeMail,
  type FakePage as SharedPage,
  type IntegrationActivities,
  type Made,
} from '../../helpers/fake-integrations';

export type FakeIssue = Made<SharedIssue>;
export type FakePage = Made<SharedPage>;
export type FakeEvent = Made<SharedEvent>;
export type { FakeComment, FakeMail };

export class FakeWorld {
  readonly fakes: FakeIntegrations;

  constructor(readonly config: OrgConfig) {
    this.fakes = new FakeIntegrations(config);
  }

  /** The sub-tasks the release created, by key. */
  get issues(): Map<string, FakeIssue> {
    return this.fakes.jira.made();
  }
  get comments(): FakeComment[] {
    return this.fakes.jira.comments;
  }
  get pages(): FakePage[] {
    return this.fakes.notion.made();
  }
  get events(): FakeEvent[] {
    return this.fakes.calendar.made();
  }
  get mails(): FakeMail[] {
    return this.fakes.gmail.mails;
  }
  /** Every call, as `system.activity subject`. */
  get calls(): string[] {
    return this.fakes.log.calls;
  }

  /** The release's own issue, in Jira before prodops hears of it: under `key`, or the next key. */
  releaseIssue(key?: string, summary = 'Usage-based billing'): string {
    return this.fakes.jira.seedIssue({ ...(key ? { key } : {}), summary, status: 'In Progress' }).key;
  }

  /** Simulates a person (a Notion user id) publishing the bundle in Notion. */
  setPageStatus(pageId: string, status: string, by?: string): void {
    this.fakes.notion.setPageStatus(pageId, status, by ?? null);
  }

  /** Simulates a person (a Jira account) moving an issue. */
  setIssueStatus(key: string, status: string, by?: string): void {
    this.fakes.jira.setIssueStatus(key, status, by ?? null);
  }

  /** Tombstones left by finished releases. */
  get tombstones(): { issueKey: string; phase: string }[] {
    return this.fakes.core.tombstones;
  }

  liveEvents(): FakeEvent[] {
    return this.events.filter((e) => e.status === 'confirmed');
  }

  activities(): IntegrationActivities {
    return this.fakes.activities();
  }
}
