/**
 * The activities on the workflows' own queue call no vendor: they are the real ones (the
 * configuration, signal-with-start, the leave coordinators, the rituals' hand-over between
 * weeks, the insights backlogs' queries), but for what needs Temporal's visibility store, which
 * the time-skipping server lacks: the release commitments that hold a person to a date come from
 * `commitments`, a week's facts from `weeklyFacts`, the records a measurement counts from
 * `measured`, and the subscriptions' memos from `memos`, as the test sets them.
 */
import type { Client } from '@temporalio/client';
import { createCoreActivities } from '../../../activities/core';
import { createDispatchActivities } from '../../../activities/dispatch';
import { createInsightsActivities } from '../../../activities/insights';
import { createLeaveActivities } from '../../../activities/leave';
import { createRenewalActivities } from '../../../activities/renewals';
import { createRitualActivities } from '../../../activities/rituals';
import { localDateOf } from '../../../domain/business-calendar';
import { ritualCalendarName, type OrgConfig } from '../../../domain/config';
import type { ReleaseCommitment } from '../../../domain/coverage';
import { measure, type ReleaseRecord, type WeeklyUpdateRecord } from '../../../domain/measurement';
import { monthBounds } from '../../../domain/rituals';
import type { LeaveFact, ReleaseFact } from '../../../domain/weekly-update-content';
import type { BuiltActivities } from '../../../workers/integrations';
import type { SubscriptionMemo } from '../../../workflows/renewal/messages';
import type { CallLog } from './log';
import { releaseTombstoneId } from '../../../contracts/ids';
import type { ReleaseTombstone } from '../../../workflows/release/messages';

export type CoreActivities = BuiltActivities['core'];

export class FakeCore {
  /** Release commitments by person id: what the running release workflows hold them to. */
  readonly commitments: Record<string, ReleaseCommitment[]> = {};
  /** The tombstones finished releases left. */
  readonly tombstones: ReleaseTombstone[] = [];
  /** What the release and leave workflows would say about a week. */
  weeklyFacts: { releases: ReleaseFact[]; leave: LeaveFact[] } = { releases: [], leave: [] };
  /** The records a month's measurement counts. */
  measured: { releases: ReleaseRecord[]; updates: WeeklyUpdateRecord[] } = { releases: [], updates: [] };
  /** What a listing of the visibility store holds: every subscription's memo (budgets read them). */
  memos: SubscriptionMemo[] = [];
  /** Where the renewal activities list the memos; `memos` unless a test on a dev server reads the real store. */
  listMemos: () => Promise<SubscriptionMemo[]> = async () => this.memos;

  constructor(
    private readonly config: () => OrgConfig,
    /** The worker's secret: invite ids, and the signatures of calls to the coordinators. */
    private readonly workerSecret: string,
    /** The client the leave coordinators are reached with; by default the worker's own. */
    private readonly temporal?: Client,
  ) {}

  activities(log: CallLog): CoreActivities {
    const temporal = this.temporal ? { temporal: this.temporal } : {};
    const leave = createLeaveActivities({
      config: this.config,
      workerSecret: () => this.workerSecret,
      ...temporal,
    });
    return log.wrap('core', {
      ...createCoreActivities({ config: this.config }),
      ...createDispatchActivities(),
      ...leave,
      ...createInsightsActivities({ config: this.config, ...temporal }),
      ...createRitualActivities({ config: this.config, workerSecret: () => this.workerSecret, ...temporal }),
      ...createRenewalActivities({ config: this.config, subscriptions: () => this.listMemos() }),
      findReleaseCommitments: async (input) => ({
        commitments: [...(this.commitments[input.personId] ?? [])],
      }),
      // A tombstone is a workflow of its own; the tests that need one run the real activity.
      recordReleaseTombstone: async (input) => {
        if (!this.tombstones.some((t) => t.issueKey === input.issueKey)) this.tombstones.push({ ...input });
        return { workflowId: releaseTombstoneId(input.issueKey) };
      },
      weeklyUpdateFacts: async (input) => ({
        date: input.date,
        since: input.since,
        ...structuredClone(this.weeklyFacts),
      }),
      measureMonth: async (input) => {
        const { first, last } = monthBounds(input.month);
        const config = this.config();
        const timezone = config.calendars[ritualCalendarName(config)]!.timezone;
        return measure({
          from: first,
          to: last,
          today: localDateOf(input.at, timezone),
          now: input.at,
          ...structuredClone(this.measured),
        });
      },
    } satisfies CoreActivities);
  }
}
