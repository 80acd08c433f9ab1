/**
 * One typed fake of everything prodops' activities reach: Jira, Notion, Google Calendar, Gmail
 * and the core activities' answers, in memory, for workflow tests on the time-skipping server
 * and command tests on a dev server.
 *
 * Each system's activity object is declared `satisfies` the real activity type (the return of
 * `createJiraActivities` and the others, as workers/integrations.ts builds them), so a changed
 * signature, or a new activity function, fails to compile until the fake follows. Each fake hands
 * its input to the real activity first (see vendor.ts), so it refuses what the real one refuses
 * with the same non-retryable failure; it keeps the real contract of idempotency keys (the same
 * key twice is the same issue, comment, page, event or mail) and answers what only the vendor
 * could refuse (no such issue, page or event) as activities/errors.ts classifies the vendor.
 *
 * A new activity function goes in its system's file (jira.ts, notion.ts, calendar.ts, gmail.ts,
 * core.ts); a new system gets a file of its own and a place in `activities()`.
 */
import type { Client } from '@temporalio/client';
import { createCalendarSyncActivities } from '../../../activities/calendar-sync';
import type { OrgConfig } from '../../../domain/config';
import type { BuiltActivities } from '../../../workers/integrations';
import { SECRETS } from '../../triggers/fixtures';
import { FakeCalendar } from './calendar';
import { FakeCore } from './core';
import { FakeGmail } from './gmail';
import { FakeJira } from './jira';
import { CallLog } from './log';
import { FakeNotion } from './notion';

export {
  FakeCalendar,
  type FakeChannel,
  type FakeEvent,
  type PersonEvent,
  type ResponseStatus,
} from './calendar';
export { FakeCore } from './core';
export { FakeGmail, type FakeMail } from './gmail';
export { FakeJira, type FakeComment, type FakeIssue, type SeededIssue } from './jira';
export { CallLog, describeCall, type FakeCall, type FakeSystem, type VendorFailure } from './log';
export { FakeNotion, simpleValue, type FakeDataSource, type FakePage } from './notion';

/** The activities of every queue, as `buildActivities` returns them for real systems. */
export type IntegrationActivities = Pick<BuiltActivities, 'core' | 'bySystem'>;

/** What prodops made, with the key it made it under (a person's own items have none). */
export type Made<T extends { idempotencyKey?: string | null }> = T & { idempotencyKey: string };

export interface FakeIntegrationsOptions {
  /** The client the leave activities reach the coordinators with; by default the worker's own. */
  temporal?: Client;
  /** The secret new calendar channels are signed with; the tests' development secret by default. */
  channelSecret?: string;
  /** The worker's secret (invite ids, coordinator signatures); TEST_WORKER_SECRET by default. */
  workerSecret?: string;
}

/** The worker secret of the tests' workers (invite ids, coordinator signatures). */
export const TEST_WORKER_SECRET = 'test-worker-secret-0123456789abcdef';

export class FakeIntegrations {
  readonly log = new CallLog();
  readonly jira: FakeJira;
  readonly notion: FakeNotion;
  readonly calendar: FakeCalendar;
  readonly gmail: FakeGmail;
  readonly core: FakeCore;

  constructor(
    readonly config: OrgConfig,
    private readonly options: FakeIntegrationsOptions = {},
  ) {
    this.jira = new FakeJira(config);
    this.notion = new FakeNotion(config);
    const workerSecret = options.workerSecret ?? TEST_WORKER_SECRET;
    this.calendar = new FakeCalendar(config, workerSecret);
    this.gmail = new FakeGmail();
    this.core = new FakeCore(() => this.config, workerSecret, options.temporal);
  }

  /** The activities for the workers: each system's on its own queue, the core on the workflows'. */
  activities(): IntegrationActivities {
    const calendar = this.calendar.activities(this.log);
    const channelSecret = this.options.channelSecret ?? SECRETS.calendar[0];
    return {
      core: this.core.activities(this.log),
      bySystem: {
        jira: this.jira.activities(this.log),
        notion: this.notion.activities(this.log),
        google: {
          ...calendar,
          ...this.gmail.activities(this.log),
          // The real calendar-sync activities, over the fake calendar.
          ...createCalendarSyncActivities({ calendar, channelSecret: () => channelSecret }),
        } satisfies BuiltActivities['bySystem']['google'],
      },
    };
  }
}
