/**
 * The onboarding tests' view of the shared fake integrations (test/helpers/fake-integrations):
 * the Jira tasks an engagement made in each team's project, the meetings, the mails and the
 * tracker row, read in the workflow's own terms. The core activities are the real ones over the
 * configuration.
 */
import { addWorkingDays, type BusinessCalendar, type CalendarDate } from '../../../domain/business-calendar';
import type { OrgConfig } from '../../../domain/config';
import type { OnboardingInput } from '../../../workflows/onboarding/messages';
import { normalizeId } from '../../../activities/notion';
import {
  FakeIntegrations,
  type FakeEvent,
  type FakeIssue,
  type FakeMail,
  type FakePage,
  type IntegrationActivities,
  type Made,
} from '../../helpers/fake-integrations';

/**
 * Jo Park, a product designer for Ana's growth team, as the intake starts her: four working
 * weeks from `today`, for nine weeks, with Figma and Jira.
 */
export function joParkIntake(
  freelancerId: string,
  cal: BusinessCalendar,
  today: CalendarDate,
): OnboardingInput {
  const startDate = addWorkingDays(cal, today, 20);
  return {
    freelancerId,
    name: 'Jo Park',
    email: 'jo.park@studio.example',
    role: 'product_designer',
    team: 'growth',
    manager: 'ana',
    country: 'GB',
    startDate,
    endDate: addWorkingDays(cal, startDate, 45),
    tools: ['figma', 'jira'],
    source: 'test',
  };
}

export type WorldIssue = Made<FakeIssue>;
export type WorldEvent = Made<FakeEvent>;

export class OnboardingWorld {
  readonly fakes: FakeIntegrations;

  constructor(readonly config: OrgConfig) {
    this.fakes = new FakeIntegrations(config);
  }

  /** The issues prodops made, in the order it made them; each is the live issue. */
  get issues(): WorldIssue[] {
    return [...this.fakes.jira.made().values()];
  }
  get comments() {
    return this.fakes.jira.comments;
  }
  /** Every event prodops made, deleted ones included. */
  get events(): WorldEvent[] {
    return this.fakes.calendar.made();
  }
  get mails(): FakeMail[] {
    return this.fakes.gmail.mails;
  }
  get pages(): FakePage[] {
    return this.fakes.notion.pages;
  }
  /** Every call as `system.name subject`. */
  get calls(): string[] {
    return this.fakes.log.calls;
  }

  /** The one issue whose summary starts so. */
  issue(summaryStart: string): WorldIssue {
    const found = this.issues.filter((i) => i.summary.startsWith(summaryStart));
    if (found.length !== 1) throw new Error(`${found.length} issues start with "${summaryStart}"`);
    return found[0]!;
  }

  /** A person moves the issue in Jira (no webhook follows unless the test sends one). */
  moveIssue(summaryStart: string, status: string): void {
    this.fakes.jira.setIssueStatus(this.issue(summaryStart).key, status);
  }

  /** Calls of one activity, each with the number of items it carried (a batch) or 1. */
  batchSizes(system: string, name: string): number[] {
    return this.fakes.log.entries
      .filter((c) => c.system === system && c.name === name)
      .map((c) => (c.subject === '' ? 0 : c.subject.split(',').length));
  }

  liveEvents(): WorldEvent[] {
    return this.events.filter((e) => e.status === 'confirmed');
  }

  mailsWith(subjectPart: string): FakeMail[] {
    return this.mails.filter((m) => m.subject.includes(subjectPart));
  }

  /** The tracker rows and intake pages of the freelancers data source. */
  freelancerPages(): FakePage[] {
    const source = normalizeId(this.config.integrations.notion.dataSources.freelancers!);
    return this.pages.filter((p) => p.dataSourceId === source);
  }

  /** A page someone typed into the freelancers data source; its id. */
  addIntakePage(properties: FakePage['properties']): string {
    const source = this.config.integrations.notion.dataSources.freelancers!;
    return this.fakes.notion.createPageAs(source, properties).id;
  }

  page(id: string): FakePage {
    const found = this.pages.find((p) => p.id === normalizeId(id));
    if (!found) throw new Error(`no page ${id}`);
    return found;
  }

  activities(): IntegrationActivities {
    return this.fakes.activities();
  }
}
