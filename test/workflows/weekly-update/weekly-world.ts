/**
 * The weekly update's world for time-skipping tests, over the shared fake integrations: the
 * in-memory Notion and Gmail, the real context from the configuration, the week's facts set by
 * the test (the time-skipping server has no visibility to read them from), and the real
 * hand-over between weeks through the worker's client.
 */
import type { DocumentBlock } from '../../../domain/document';
import type { LeaveFact, ReleaseFact } from '../../../domain/weekly-update-content';
import { FakeWorld, type FakePage } from '../release/fake-world';

export class WeeklyWorld extends FakeWorld {
  /** The releases the week's facts hold, as the release workflows would report them. */
  get releases(): ReleaseFact[] {
    return this.fakes.core.weeklyFacts.releases;
  }
  set releases(releases: ReleaseFact[]) {
    this.fakes.core.weeklyFacts.releases = releases;
  }
  /** The leave the week's facts hold, as the leave workflows would report it. */
  get leave(): LeaveFact[] {
    return this.fakes.core.weeklyFacts.leave;
  }
  set leave(leave: LeaveFact[]) {
    this.fakes.core.weeklyFacts.leave = leave;
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
}
