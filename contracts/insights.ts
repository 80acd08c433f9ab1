/**
 * The insights pipeline's messages, defined once and imported by the workflows, the trigger,
 * the Notion routes, the activities (which query the backlogs and start the themes with the
 * worker's client), the commands and the tests. Safe inside the workflow sandbox: Temporal's
 * message definitions and types only.
 *
 * - `insights-backlog:<shard>`: the items of the accounts hashed to the shard (intake, dedup,
 *   tagging, unmerge); long-lived, continues as new;
 * - `insights-theme:<area>:<theme>`: a product area's theme as routed to its PM, round after
 *   round: the disposition, the reminder; long-lived;
 * - `insights-triage:<ISO week>`: the weekly ranking and routing; short;
 * - `insights-digest:<YYYY-MM>`: the Monthly Insights Digest; short;
 * - the scheduled launcher that starts the last two on the organisation's working days.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Arrival, IntakeOutcome, ItemView, MonthTally, RankableItem } from '../domain/insights/backlog';
import type { DueRuns } from '../domain/insights/cadence';
import type { ThemeCounts, CrossCuttingTheme } from '../domain/insights/ranking';
import type { EscalatedItem, MonthlyReport, RoundSummary } from '../domain/insights/report';
import type { Disposition, InsightTags } from '../domain/insights/taxonomy';
import type { OperatorAuth } from '../domain/operators';

export {
  insightsBacklogId,
  insightsDigestId,
  insightsThemeId,
  insightsTriageId,
  insightRoundId,
  parseInsightRoundId,
} from './ids';

export const INSIGHTS_BACKLOG_TYPE = 'insightsBacklogWorkflow';
export const INSIGHTS_THEME_TYPE = 'insightsThemeWorkflow';
export const INSIGHTS_TRIAGE_TYPE = 'insightsTriageWorkflow';
export const INSIGHTS_DIGEST_TYPE = 'insightsDigestWorkflow';
export const INSIGHTS_LAUNCHER_TYPE = 'insightsLauncherWorkflow';

/** Error types a command is refused with. */
export const InsightRefusals = {
  invalid: 'InvalidInsightCommand',
  notFound: 'InsightNotFound',
  notAllowed: 'InsightNotAllowed',
  nothingToDecide: 'NothingToDecide',
  /** The command is not signed by a configured operator, or the signature does not hold. */
  unauthenticated: 'InsightCommandNotAuthenticated',
} as const;

// ---- Backlog ----------------------------------------------------------------------------------

export interface BacklogInput {
  shard: number;
}

/** An insight arriving by webhook or from the Notion route: one item, however often it comes. */
export interface InsightReceived extends Arrival {
  /** The delivery (a body hash, a Notion event id): a repeat is not even counted. */
  deliveryId?: string;
}

export interface AddInsightsCommand {
  entries: Arrival[];
  /**
   * Whom the items are recorded as from (a person id): the operator, or someone their grant
   * covers (`product-ops`). Absent in a signed command: the operator themselves.
   */
  by?: string;
  /** The operator's signature over the command (the command line adds it). */
  auth?: OperatorAuth;
}

export interface AddInsightsResult {
  shard: number;
  outcomes: IntakeOutcome[];
}

export type TagChanges = Partial<Record<keyof InsightTags, string | null>>;

export interface TagInsightCommand {
  id: string;
  changes: TagChanges;
  /** A person id (command line): the operator, or someone their grant covers (`product-ops`). */
  by: string;
  /** The operator's signature over the command (the command line adds it). */
  auth?: OperatorAuth;
}

/** Someone edited an item's row in Notion: the row's taxonomy fields as they stand now. */
export interface InsightEditedInNotion {
  id: string;
  tags: Record<keyof InsightTags, string | null>;
  /** The author's email, as the signed event and Notion's users name them. */
  by: string | null;
  deliveryId: string;
}

export interface UnmergeInsightCommand {
  id: string;
  /** A person id: the operator, or someone their grant covers (`product-ops`). */
  by: string;
  /** The operator's signature over the command (the command line adds it). */
  auth?: OperatorAuth;
}

export interface UnmergeResult {
  item: ItemView;
  from: ItemView;
}

/** A theme workflow routed these items in a round, or its PM decided it. */
export interface RoundChanged {
  round: string;
  ids: string[];
  decided: Disposition | null;
  deliveryId: string;
}

export interface BacklogSnapshot {
  shard: number;
  rankable: RankableItem[];
  needsTagging: number;
}

export interface BacklogStatusView {
  shard: number;
  items: number;
  open: number;
  needsTagging: number;
  merged: number;
  routed: number;
  decided: number;
  closedKeys: number;
  /** Items whose Notion row is not yet written as it should be. */
  unpublished: number;
  /** Bytes of JSON the workflow carries across continue-as-new; Temporal refuses above 2 MB. */
  carriedBytes: number;
  log: { at: string; message: string }[];
}

export interface MonthFigures {
  shard: number;
  tallies: MonthTally[];
  high: EscalatedItem[];
  open: { area: string; items: number; routed: number }[];
  needsTagging: number;
}

export const insightReceived = defineSignal<[InsightReceived]>('insightReceived');
export const insightEditedInNotion = defineSignal<[InsightEditedInNotion]>('insightEditedInNotion');
export const roundChanged = defineSignal<[RoundChanged]>('roundChanged');
export const addInsights = defineUpdate<AddInsightsResult, [AddInsightsCommand]>('addInsights');
export const tagInsight = defineUpdate<ItemView, [TagInsightCommand]>('tagInsight');
export const unmergeInsight = defineUpdate<UnmergeResult, [UnmergeInsightCommand]>('unmergeInsight');
export const backlogSnapshot = defineQuery<BacklogSnapshot>('backlogSnapshot');
export const backlogStatus = defineQuery<BacklogStatusView>('backlogStatus');
export const insightDetails = defineQuery<ItemView[], [string[]]>('insightDetails');
export const itemsNeedingTags = defineQuery<ItemView[], [number]>('itemsNeedingTags');
export const monthFigures = defineQuery<MonthFigures, [string]>('monthFigures');

/** Entries one `addInsights` takes: an import sends its rows in batches of this many. */
export const MAX_ENTRIES_PER_UPDATE = 200;

// ---- Themes ----------------------------------------------------------------------------------

export interface ThemeInput {
  area: string;
  theme: string;
}

/** A weekly triage put the theme in its area's top N. */
export interface ThemeRouted {
  week: string;
  /** The triage's workflow id: told when the theme's row is ready. */
  triageId: string;
  rank: number;
  counts: ThemeCounts;
  itemIds: string[];
  deliveryId: string;
}

export interface DecideThemeCommand {
  disposition: Disposition;
  rationale?: string;
  /**
   * A person id: the area's PM, or the Head of Product. An operator decides as themselves, or
   * for the PM with the `pm` grant and for the Head of Product with `head-of-product`.
   */
  by: string;
  /** The operator's signature over the command (the command line adds it). */
  auth?: OperatorAuth;
}

/** Someone set the Disposition on the theme's row in Notion. */
export interface ThemeDecidedInNotion {
  round: string;
  /** The value as the row shows it ("Won't do"). */
  disposition: string;
  rationale: string | null;
  /** The author's email, as the signed event and Notion's users name them; null when unknown. */
  by: string | null;
  deliveryId: string;
  occurredAt: number;
}

export interface ThemeRefusal {
  by: string;
  at: string;
  via: 'notion' | 'command';
  reason: string;
}

export interface ThemeStatusView {
  workflowId: string;
  area: string;
  theme: string;
  pm: string | null;
  /** The round awaiting a decision, if any. */
  open: RoundSummary | null;
  /** Decided rounds, newest last. */
  rounds: RoundSummary[];
  refusals: ThemeRefusal[];
  log: { at: string; message: string }[];
}

export const themeRouted = defineSignal<[ThemeRouted]>('themeRouted');
export const themeDecidedInNotion = defineSignal<[ThemeDecidedInNotion]>('themeDecidedInNotion');
export const decideTheme = defineUpdate<ThemeStatusView, [DecideThemeCommand]>('decideTheme');
export const themeStatus = defineQuery<ThemeStatusView>('themeStatus');

// ---- Triage and digest -------------------------------------------------------------------

export interface TriageInput {
  week: string;
  startedBy: 'schedule' | 'command' | 'test';
}

/** A routed theme answering its triage: its row (for the digest's links) and its standing. */
export interface ThemeReady {
  area: string;
  theme: string;
  round: string;
  since: string;
  routedOn: string;
  remindOn: string;
  url: string | null;
}

export interface TriageResult {
  week: string;
  outcome: 'routed' | 'nothing-to-route';
  routed: { area: string; theme: string; rank: number; round: string | null; url: string | null }[];
  digests: { area: string; pageUrl: string | null; mailed: boolean }[];
  crossCutting: CrossCuttingTheme[];
  needsTagging: number;
  /** What could not be done after its retries (a page, a mail), in words. */
  problems: string[];
}

export const themeReady = defineSignal<[ThemeReady]>('themeReady');
export const triageStatus = defineQuery<TriageResult>('triageStatus');

export interface DigestInput {
  month: string;
  startedBy: 'schedule' | 'command' | 'test';
}

export interface DigestResult {
  month: string;
  pageUrl: string | null;
  mailed: boolean;
  report: MonthlyReport;
  problems: string[];
}

export interface LauncherInput {
  /** `weekly`: the triage and the needs-tagging roundup; `monthly`: the digest. */
  kind: 'weekly' | 'monthly';
}

export interface LauncherOutcome {
  due: DueRuns;
  started: string[];
  already: string[];
  roundup: { items: number; mailed: boolean } | null;
  problems: string[];
}

/** What the memo of a triage carries, so that next week's can tell what is new. */
export interface TriageMemo {
  crossCutting: CrossCuttingTheme[];
}
