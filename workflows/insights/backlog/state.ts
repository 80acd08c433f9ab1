/**
 * What a backlog shard carries across continue-as-new, and every change a message makes to it.
 * The rules of what an arriving item is live in domain/insights/backlog.ts; here they meet the
 * messages: commands are validated before they are applied, and every change is noted.
 *
 * The field names of `BacklogState` are carried by running workflows: renaming one breaks them.
 */
import type { IdentityState } from '../../operator-identity';
import {
  BacklogError,
  type Backlog,
  type BacklogData,
  type IntakeOutcome,
} from '../../../domain/insights/backlog';
import type { InsightsContext } from '../../../domain/insights/settings';
import type { Journal } from '../../entity-loop';
import {
  InsightRefusals,
  type AddInsightsCommand,
  type BacklogSnapshot,
  type BacklogStatusView,
  type TagInsightCommand,
  type UnmergeInsightCommand,
} from '../messages';
import { readInsightMessage } from '../shapes';

export const LOG_LIMIT = 100;

/** The operators read and the nonces of recent signed commands (IdentityState) ride along. */
export interface BacklogState extends Journal, IdentityState {
  data: BacklogData;
  /** The context of the last run; a new run starts with it while its own loads. */
  context: InsightsContext | null;
  /** When the last sweep ran (ms). */
  sweptAt: number;
  /** Delivery ids of rounds and edits applied most recently. */
  deliveries: string[];
}

export interface Refusal {
  type: (typeof InsightRefusals)[keyof typeof InsightRefusals];
  message: string;
}

/**
 * The refusal a domain error stands for. Anything else (a bug, an input no check foresaw) is
 * refused as invalid too, never rethrown: a throw here would fail the workflow task, and the
 * task would retry forever.
 */
export function refusalOf(error: unknown): Refusal {
  if (error instanceof BacklogError)
    return {
      type:
        error.kind === 'not-found'
          ? InsightRefusals.notFound
          : error.kind === 'not-allowed'
            ? InsightRefusals.notAllowed
            : InsightRefusals.invalid,
      message: error.message,
    };
  return {
    type: InsightRefusals.invalid,
    message: `the command could not be applied: ${error instanceof Error ? error.message : String(error)}`,
  };
}

const invalid = (message: string): Refusal => ({ type: InsightRefusals.invalid, message });

/**
 * Why an arrival cannot be taken, or null: its shape (shapes.ts), bounded and typed field by
 * field, with a time that is not from the future.
 */
export function arrivalProblem(arrival: unknown, now: number): string | null {
  const read = readInsightMessage('insightReceived', arrival, now);
  return read.ok ? null : read.problem;
}

export function validateAdd(command: AddInsightsCommand, now: number): Refusal | null {
  const read = readInsightMessage('addInsights', command, now);
  return read.ok ? null : invalid(read.problem);
}

export function validateTag(command: TagInsightCommand): Refusal | null {
  const read = readInsightMessage('tagInsight', command, 0);
  return read.ok ? null : invalid(read.problem);
}

export function validateUnmerge(command: UnmergeInsightCommand): Refusal | null {
  const read = readInsightMessage('unmergeInsight', command, 0);
  return read.ok ? null : invalid(read.problem);
}

/** One line for the log about what an arrival became. */
export function describeOutcome(outcome: IntakeOutcome, via: string): string {
  switch (outcome.kind) {
    case 'new':
      return `${outcome.id} added (${via})${outcome.needsTagging.length > 0 ? `: needs tagging (${outcome.needsTagging.join(', ')})` : ''}`;
    case 'merged':
      return `${outcome.id} merged into ${outcome.into} as extra evidence (similarity ${outcome.similarity})`;
    case 'repeat':
      return `${outcome.id} arrived again (${via})${outcome.filled.length > 0 ? `: filled in ${outcome.filled.join(', ')}` : ''}`;
    case 'closed-repeat':
      return `${outcome.id} arrived again after it was closed: kept closed`;
  }
}

export function snapshotOf(backlog: Backlog): BacklogSnapshot {
  return {
    shard: backlog.data.shard,
    rankable: backlog.rankable(),
    needsTagging: backlog.needingTags().length,
  };
}

export function statusOfBacklog(
  state: BacklogState,
  backlog: Backlog,
  unpublished: number,
): BacklogStatusView {
  const items = backlog.data.items;
  const firsts = items.filter((i) => i.mergedInto === null);
  return {
    shard: backlog.data.shard,
    items: items.length,
    open: firsts.filter((i) => i.decided === null).length,
    needsTagging: backlog.needingTags().length,
    merged: items.length - firsts.length,
    routed: firsts.filter((i) => i.round !== null && i.decided === null).length,
    decided: firsts.filter((i) => i.decided !== null).length,
    closedKeys: backlog.data.closed.length,
    unpublished,
    carriedBytes: new TextEncoder().encode(JSON.stringify(state)).length,
    log: [...state.log],
  };
}
