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
  MAX_ENTRIES_PER_UPDATE,
  type AddInsightsCommand,
  type BacklogSnapshot,
  type BacklogStatusView,
  type InsightReceived,
  type TagInsightCommand,
  type UnmergeInsightCommand,
} from '../messages';

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
  throw error;
}

const isText = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.trim() !== '' && v.length <= max;

/** Why an arrival cannot be taken, or null. The trigger and the commands check the same first. */
export function arrivalProblem(a: Partial<InsightReceived> | undefined): string | null {
  if (!a || typeof a !== 'object') return 'an insight must be an object';
  if (!isText(a.source, 40)) return 'source must be 1 to 40 characters';
  if (!isText(a.externalId, 200)) return 'externalId must be 1 to 200 characters';
  if (typeof a.account !== 'string' || a.account.length > 200)
    return 'account must be text of at most 200 characters';
  if (!isText(a.text, 4_000)) return 'text must be 1 to 4000 characters';
  if (a.occurredAt !== undefined && a.occurredAt !== null && !Number.isFinite(a.occurredAt))
    return 'occurredAt must be milliseconds since the epoch';
  return null;
}

export function validateAdd(command: AddInsightsCommand): Refusal | null {
  if (!command || !Array.isArray(command.entries) || command.entries.length === 0)
    return { type: InsightRefusals.invalid, message: 'entries must list at least one insight' };
  if (command.entries.length > MAX_ENTRIES_PER_UPDATE)
    return {
      type: InsightRefusals.invalid,
      message: `entries lists ${command.entries.length} insights: at most ${MAX_ENTRIES_PER_UPDATE} at a time`,
    };
  // A signed addition names whom it vouches for; the signature covers that name.
  if (
    (command.auth !== undefined || (command.by !== undefined && command.by !== null)) &&
    !isText(command.by, 100)
  )
    return { type: InsightRefusals.invalid, message: 'by must name a person (their id)' };
  for (const [i, entry] of command.entries.entries()) {
    const problem = arrivalProblem(entry);
    if (problem) return { type: InsightRefusals.invalid, message: `entries[${i}]: ${problem}` };
  }
  return null;
}

export function validateTag(command: TagInsightCommand): Refusal | null {
  if (!command || !isText(command.id, 40))
    return { type: InsightRefusals.invalid, message: 'id must name an insight' };
  if (!isText(command.by, 100))
    return { type: InsightRefusals.invalid, message: 'by must name a person (their id)' };
  const fields = ['theme', 'segment', 'severity', 'area', 'evidenceType'];
  const given = Object.keys(command.changes ?? {});
  const unknown = given.filter((k) => !fields.includes(k));
  if (unknown.length > 0)
    return {
      type: InsightRefusals.invalid,
      message: `${unknown.join(', ')}: not a taxonomy field (${fields.join(', ')})`,
    };
  if (given.length === 0)
    return { type: InsightRefusals.invalid, message: 'changes must set at least one field' };
  return null;
}

export function validateUnmerge(command: UnmergeInsightCommand): Refusal | null {
  if (!command || !isText(command.id, 40))
    return { type: InsightRefusals.invalid, message: 'id must name an insight' };
  if (!isText(command.by, 100))
    return { type: InsightRefusals.invalid, message: 'by must name a person (their id)' };
  return null;
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
