/**
 * The leave tests' view of the shared fake integrations (test/helpers/fake-integrations): the
 * events, mails and tracker rows a request made, the Jira work of the people involved, the busy
 * blocks of their calendars and the release commitments that hold them (the time-skipping
 * server has no visibility queries, so the test says what the running releases are). The leave
 * activities are the real ones, bound to the test server's client.
 */
import type { Client } from '@temporalio/client';
import type { OrgConfig } from '../../../domain/config';
import type { BusyInterval, ReleaseCommitment } from '../../../domain/coverage';
import {
  FakeIntegrations,
  type FakeEvent,
  type FakeMail,
  type FakePage,
  type IntegrationActivities,
  type Made,
} from '../../helpers/fake-integrations';

export { TEST_WORKER_SECRET } from '../../helpers/fake-integrations';

export type WorldEvent = Made<FakeEvent>;
export type WorldPage = Made<FakePage>;

/** A Jira issue someone is assigned, due on a date. */
export interface WorldIssue {
  key: string;
  summary: string;
  duedate: string;
  status: string;
  assigneeAccountId: string;
}

export class LeaveWorld {
  readonly fakes: FakeIntegrations;

  constructor(
    readonly config: OrgConfig,
    client: Client,
  ) {
    this.fakes = new FakeIntegrations(config, { temporal: client });
  }

  get events(): WorldEvent[] {
    return this.fakes.calendar.made();
  }
  get mails(): FakeMail[] {
    return this.fakes.gmail.mails;
  }
  get pages(): WorldPage[] {
    return this.fakes.notion.made();
  }

  /** The Jira issues people have, as they were put there. */
  get issues(): WorldIssue[] {
    return [...this.fakes.jira.issues.values()].map((i) => ({
      key: i.key,
      summary: i.summary,
      duedate: i.duedate ?? '',
      status: i.status,
      assigneeAccountId: i.assigneeAccountId ?? '',
    }));
  }
  /** Puts these issues in Jira. */
  set issues(issues: WorldIssue[]) {
    for (const issue of issues) this.fakes.jira.seedIssue(issue);
  }

  /** The JQL of every search, in order. */
  get jql(): string[] {
    return this.fakes.log.entries.filter((c) => c.name === 'searchIssues').map((c) => c.subject);
  }

  /** Release commitments by person id. */
  get commitments(): Record<string, ReleaseCommitment[]> {
    return this.fakes.core.commitments;
  }

  /** Busy blocks people put in their own calendars, by email. */
  get busy(): Record<string, BusyInterval[]> {
    return this.fakes.calendar.busy;
  }

  /** Every call, as `activity subject`. */
  get calls(): string[] {
    return this.fakes.log.entries.map((c) => `${c.name} ${c.subject}`);
  }

  /**
   * Keeps the next call matching `match` (as listed in `calls`) in flight until `release()`: a
   * slow step, during which messages reach the workflow. `reached` resolves once the call began.
   */
  hold(match: (call: string) => boolean): { reached: Promise<void>; release: () => void } {
    return this.fakes.log.hold((c) => match(`${c.name} ${c.subject}`));
  }

  /**
   * An attendee answers an invite at `at`: the organiser's copy changes, as in Google Calendar
   * (whoever the invite was forwarded to may answer too).
   */
  respond(
    eventId: string,
    email: string,
    response: 'accepted' | 'declined' | 'tentative',
    at = Date.now(),
  ): void {
    const event = this.events.find((e) => e.id === eventId);
    if (!event) throw new Error(`no event ${eventId}`);
    event.answers[email.toLowerCase()] = response;
    event.updatedAt = at;
  }

  liveEvents(): WorldEvent[] {
    return this.events.filter((e) => e.status === 'confirmed');
  }

  mailsTo(email: string): FakeMail[] {
    return this.fakes.gmail.mailsTo(email);
  }

  activities(): IntegrationActivities {
    return this.fakes.activities();
  }
}
