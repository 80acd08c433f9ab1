/**
 * The weekly update's world for time-skipping tests: the in-memory Notion and Gmail of the
 * release tests, the real context from the configuration, the week's facts set by the test
 * (the time-skipping server has no visibility to read them from), and the real hand-over
 * between weeks through the test server's client.
 */
import type { Client } from '@temporalio/client';
import type { OrgConfig } from '../../../domain/config';
import type { DocumentBlock } from '../../../domain/document';
import type { LeaveFact, ReleaseFact, WeeklyFacts } from '../../../domain/weekly-update-content';
import { buildWeeklyUpdateContext, collectRollovers } from '../../../activities/rituals';
import { FakeWorld, type FakePage } from '../release/fake-world';

export class WeeklyWorld extends FakeWorld {
  releases: ReleaseFact[] = [];
  leave: LeaveFact[] = [];
  /** Releases the update told it covered their launch. */
  told: { issueKey: string; week: string }[] = [];

  constructor(
    config: OrgConfig,
    private readonly client: Client,
  ) {
    super(config);
  }

  /** A contributor's page of a week. */
  contributionPage(week: string, personId: string): FakePage | undefined {
    return this.pages.find((p) => p.idempotencyKey === `weekly-update:${week}:page:${personId}`);
  }

  publishedPages(): FakePage[] {
    return this.pages.filter((p) => /^weekly-update:[^:]+:published$/.test(p.idempotencyKey));
  }

  /** What a contributor writes on their page in Notion. */
  write(week: string, personId: string, blocks: DocumentBlock[]): void {
    const page = this.contributionPage(week, personId);
    if (!page) throw new Error(`no page for ${personId} in ${week}`);
    page.blocks = blocks;
  }

  weeklyActivities() {
    const base = this.activities();
    return {
      ...base,
      loadWeeklyUpdateContext: async (input: { week: string }) => {
        this.calls.push(`rituals.loadWeeklyUpdateContext ${input.week}`);
        return buildWeeklyUpdateContext(this.config, input.week);
      },
      weeklyUpdateFacts: async (input: { date: string; since: string }): Promise<WeeklyFacts> => {
        this.calls.push(`rituals.weeklyUpdateFacts ${input.date}`);
        return { date: input.date, since: input.since, releases: this.releases, leave: this.leave };
      },
      takeRollovers: async (input: { fromWeek: string; toWeek: string }) => {
        this.calls.push(`rituals.takeRollovers ${input.fromWeek}`);
        return { rollovers: await collectRollovers(this.client, input.fromWeek, input.toWeek) };
      },
      readPageContent: async (input: { pageId: string }) => {
        this.calls.push(`notion.readPageContent ${input.pageId}`);
        const page = this.pages.find((p) => p.id === input.pageId);
        if (!page) throw new Error(`no page ${input.pageId}`);
        return { content: page.blocks as DocumentBlock[], truncated: false };
      },
    };
  }
}
