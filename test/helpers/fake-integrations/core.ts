/**
 * The activities on the workflows' own queue call no vendor: they are the real ones (the
 * configuration, signal-with-start, the leave coordinators), but for what needs Temporal's
 * visibility store, which the time-skipping server lacks: the release commitments that hold a
 * person to a date come from `commitments`, and the subscriptions' memos from `memos`, as the
 * test sets them.
 */
import type { Client } from '@temporalio/client';
import { createCoreActivities } from '../../../activities/core';
import { createDispatchActivities } from '../../../activities/dispatch';
import { createLeaveActivities } from '../../../activities/leave';
import { createRenewalActivities } from '../../../activities/renewals';
import type { OrgConfig } from '../../../domain/config';
import type { ReleaseCommitment } from '../../../domain/coverage';
import type { BuiltActivities } from '../../../workers/integrations';
import type { SubscriptionMemo } from '../../../workflows/renewal/messages';
import type { CallLog } from './log';

export type CoreActivities = BuiltActivities['core'];

export class FakeCore {
  /** Release commitments by person id: what the running release workflows hold them to. */
  readonly commitments: Record<string, ReleaseCommitment[]> = {};
  /** What a listing of the visibility store holds: every subscription's memo (budgets read them). */
  memos: SubscriptionMemo[] = [];
  /** Where the renewal activities list the memos; `memos` unless a test on a dev server reads the real store. */
  listMemos: () => Promise<SubscriptionMemo[]> = async () => this.memos;

  constructor(
    private readonly config: () => OrgConfig,
    /** The client the leave coordinators are reached with; by default the worker's own. */
    private readonly temporal?: Client,
  ) {}

  activities(log: CallLog): CoreActivities {
    const leave = createLeaveActivities({
      config: this.config,
      ...(this.temporal ? { temporal: this.temporal } : {}),
    });
    return log.wrap('core', {
      ...createCoreActivities({ config: this.config }),
      ...createDispatchActivities(),
      ...leave,
      ...createRenewalActivities({ config: this.config, subscriptions: () => this.listMemos() }),
      findReleaseCommitments: async (input) => ({
        commitments: [...(this.commitments[input.personId] ?? [])],
      }),
    } satisfies CoreActivities);
  }
}
