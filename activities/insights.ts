/**
 * What the insights workflows need that is not a single vendor call: their context from the
 * configuration, which scheduled runs are due today, the ranking across every backlog shard,
 * signal-with-start of the routed themes, the evidence for an area's digest, the needs-tagging
 * roundup and the monthly report. Reading the shards and the themes goes through a Temporal
 * client (queries), because workflow code cannot query other workflows.
 *
 * The plain functions below take a client and the configuration, so that `prodops insights
 * triage --preview` and `prodops insights report` compute exactly what the workflows do.
 */
import { getClient } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { insightsBacklogId, insightsThemeId, insightsTriageId, parseInsightId } from '../contracts/ids';
import { localDateOf } from '../domain/business-calendar';
import type { OrgConfig, PersonConfig } from '../domain/config';
import { resolveBusinessCalendar, type YearRange } from '../domain/holidays';
import type { ItemView, RankableItem } from '../domain/insights/backlog';
import { dueRuns, isoWeekOf, mondayOf, type DueRuns } from '../domain/insights/cadence';
import type { AreaDigestInput, DigestTheme } from '../domain/insights/content';
import {
  crossCuttingThemes,
  rankThemes,
  type AreaRanking,
  type CrossCuttingTheme,
  type ThemeCounts,
} from '../domain/insights/ranking';
import { buildMonthlyReport, type MonthlyReport, type RoundSummary } from '../domain/insights/report';
import {
  resolveInsightsSettings,
  type InsightPerson,
  type InsightsContext,
} from '../domain/insights/settings';
import {
  backlogSnapshot,
  INSIGHTS_THEME_TYPE,
  insightDetails,
  itemsNeedingTags,
  monthFigures,
  themeRouted,
  themeStatus,
  type BacklogSnapshot,
  type MonthFigures,
  type ThemeRouted,
  type ThemeStatusView,
  type TriageMemo,
} from '../contracts/insights';

export interface InsightsActivityDeps {
  /** The configuration as currently loaded; read on every call so a reload takes effect. */
  config: () => OrgConfig;
  /** A client of the namespace the workflows run in; the worker's own by default. */
  temporal?: Client;
}

const personOf = (p: PersonConfig): InsightPerson => ({
  id: p.id,
  name: p.name,
  email: p.email,
  calendar: p.calendar,
});

/** The years a context's calendars cover around `at`. */
export function contextYears(at: number): YearRange {
  const year = new Date(at).getUTCFullYear();
  return { from: year - 1, to: year + 2 };
}

export function buildInsightsContext(config: OrgConfig, at: number): InsightsContext {
  const settings = resolveInsightsSettings(config);
  const years = contextYears(at);
  const find = (id: string) => config.people.find((p) => p.id === id);
  const involved = new Map<string, PersonConfig>();
  const add = (p: PersonConfig | null | undefined) => {
    if (p) involved.set(p.id, p);
  };
  for (const area of settings.areas) add(find(area.pm));
  add(settings.headOfProduct);
  for (const p of settings.productOps) add(p);
  add(config.releases.supportLead ? find(config.releases.supportLead) : undefined);
  add(config.releases.salesLead ? find(config.releases.salesLead) : undefined);
  const calendarNames = new Set([settings.calendar, ...[...involved.values()].map((p) => p.calendar)]);
  const calendars = Object.fromEntries(
    [...calendarNames].map((name) => [name, resolveBusinessCalendar(config, name, years)]),
  );
  const insights = config.insights;
  const notion = config.integrations.notion.dataSources;
  const recipients = [
    ...(settings.headOfProduct ? [settings.headOfProduct.id] : []),
    ...settings.productOps.map((p) => p.id),
    ...settings.areas.map((a) => a.pm),
    ...[config.releases.supportLead, config.releases.salesLead].filter(
      (id): id is string => id !== undefined,
    ),
  ];
  const sender =
    config.integrations.google.sender ??
    `product-ops@${(settings.headOfProduct?.email ?? config.people[0]!.email).split('@')[1] ?? 'localhost'}`;
  return {
    taxonomy: settings.taxonomy,
    rules: {
      threshold: insights.nearDuplicates.similarity,
      windowDays: insights.nearDuplicates.withinDays,
      closeOpenAfterDays: insights.backlog.closeOpenAfterDays,
      rememberClosedDays: insights.backlog.rememberClosedDays,
      timezone: calendars[settings.calendar]!.timezone,
    },
    shards: settings.shards,
    orgCalendar: calendars[settings.calendar]!,
    calendars,
    people: Object.fromEntries([...involved.values()].map((p) => [p.id, personOf(p)])),
    areas: settings.areas,
    headOfProduct: settings.headOfProduct?.id ?? null,
    productOps: settings.productOps.map((p) => p.id),
    digestRecipients: [...new Set(recipients)],
    triage: {
      topThemesPerArea: insights.triage.topThemesPerArea,
      remindAfterWorkingDays: insights.triage.remindAfterWorkingDays,
      crossCuttingAreas: insights.triage.crossCuttingAreas,
    },
    digest: {
      topThemes: insights.digest.topThemes,
      decidedWithinWorkingDays: insights.digest.decidedWithinWorkingDays,
    },
    notion: {
      insights: notion.insights ?? null,
      insightThemes: notion.insightThemes ?? null,
      insightDigests: notion.insightDigests ?? null,
    },
    sender,
    years,
  };
}

// ---- Reading the shards and the themes ----------------------------------------------------

/** Runs a query on every shard that has started; a shard never started has nothing to say. */
export async function queryShards<R, A extends unknown[]>(
  client: Client,
  shards: number,
  query: QueryDefinition<R, A>,
  ...args: A
): Promise<R[]> {
  const answers = await Promise.all(
    Array.from({ length: shards }, async (_, shard) => {
      try {
        return await client.workflow.getHandle(insightsBacklogId(shard)).query(query, ...args);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      }
    }),
  );
  return answers.filter((a): a is Awaited<R> => a !== undefined);
}

/** Items by id, each asked of the shard its id names. */
export async function readItems(client: Client, ids: readonly string[]): Promise<Map<string, ItemView>> {
  const byShard = new Map<number, string[]>();
  for (const id of ids) {
    const parsed = parseInsightId(id);
    if (!parsed) continue;
    const list = byShard.get(parsed.shard) ?? [];
    list.push(id);
    byShard.set(parsed.shard, list);
  }
  const out = new Map<string, ItemView>();
  await Promise.all(
    [...byShard.entries()].map(async ([shard, list]) => {
      try {
        const views = await client.workflow.getHandle(insightsBacklogId(shard)).query(insightDetails, list);
        for (const view of views) out.set(view.id, view);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }),
  );
  return out;
}

/** Every theme workflow that exists for the configured areas and themes. */
export async function readThemes(client: Client, config: OrgConfig): Promise<ThemeStatusView[]> {
  const settings = resolveInsightsSettings(config);
  const pairs = settings.areas.flatMap((a) => settings.taxonomy.themes.map((t) => [a.id, t] as const));
  const answers = await Promise.all(
    pairs.map(async ([area, theme]) => {
      try {
        return await client.workflow.getHandle(insightsThemeId(area, theme)).query(themeStatus);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      }
    }),
  );
  return answers.filter((a): a is ThemeStatusView => a !== undefined);
}

export interface TriageRanking {
  /** Per area, the themes in rank order (all of them; `routed` marks the top N). */
  areas: AreaRanking[];
  crossCutting: CrossCuttingTheme[];
  needsTagging: number;
  items: number;
}

/** The ranking a triage would route now, across every shard. */
export async function rankBacklogs(client: Client, config: OrgConfig): Promise<TriageRanking> {
  const settings = resolveInsightsSettings(config);
  const snapshots: BacklogSnapshot[] = await queryShards(client, settings.shards, backlogSnapshot);
  const items: RankableItem[] = snapshots.flatMap((s) => s.rankable);
  return {
    areas: rankThemes(items, {
      topN: config.insights.triage.topThemesPerArea,
      areas: settings.areas.map((a) => a.id),
    }),
    crossCutting: crossCuttingThemes(items, config.insights.triage.crossCuttingAreas),
    needsTagging: snapshots.reduce((s, x) => s + x.needsTagging, 0),
    items: items.length,
  };
}

/** The Monthly Insights Digest's figures for `month`, as of `now`. */
export async function gatherMonthlyReport(
  client: Client,
  config: OrgConfig,
  month: string,
  now: number,
): Promise<MonthlyReport> {
  const context = buildInsightsContext(config, now);
  const [figures, themes] = await Promise.all([
    queryShards<MonthFigures, [string]>(client, context.shards, monthFigures, month),
    readThemes(client, config),
  ]);
  const rounds: RoundSummary[] = themes.flatMap((t) => [...t.rounds, ...(t.open ? [t.open] : [])]);
  const openByArea = new Map<string, { area: string; items: number; routed: number }>();
  for (const f of figures)
    for (const o of f.open) {
      const row = openByArea.get(o.area) ?? { area: o.area, items: 0, routed: 0 };
      row.items += o.items;
      row.routed += o.routed;
      openByArea.set(o.area, row);
    }
  const calendarOf = (pm: string) => {
    const person = context.people[pm];
    return context.calendars[person?.calendar ?? ''] ?? context.orgCalendar;
  };
  return buildMonthlyReport({
    month,
    generatedAt: now,
    tallies: figures.flatMap((f) => f.tallies),
    rounds,
    highItems: figures.flatMap((f) => f.high),
    openItems: context.areas
      .map((a) => openByArea.get(a.id) ?? { area: a.id, items: 0, routed: 0 })
      .concat([...openByArea.values()].filter((o) => !context.areas.some((a) => a.id === o.area))),
    needsTagging: figures.reduce((s, f) => s + f.needsTagging, 0),
    todayOf: (pm) => localDateOf(now, calendarOf(pm).timezone),
    areaName: (id) => context.areas.find((a) => a.id === id)?.name ?? id,
    pmName: (id) => context.people[id]?.name ?? id,
    crossCuttingAreas: context.triage.crossCuttingAreas,
    topThemes: context.digest.topThemes,
    decideWithinWorkingDays: context.digest.decidedWithinWorkingDays,
  });
}

// ---- Activity inputs ----------------------------------------------------------------------

export interface ThemeRoute {
  area: string;
  theme: string;
  rank: number;
  counts: ThemeCounts;
  itemIds: string[];
}

export interface AreaDigestRequest {
  week: string;
  area: string;
  themes: (Omit<DigestTheme, 'evidence'> & { itemIds: string[] })[];
  notRouted: number;
}

export function createInsightsActivities(deps: InsightsActivityDeps) {
  const client = () => deps.temporal ?? getClient();

  return {
    async loadInsightsContext(input: { at: number }): Promise<InsightsContext> {
      const config = deps.config();
      if (config.productAreas.length === 0)
        throw ApplicationFailure.nonRetryable(
          'no product areas are configured (productAreas): insights cannot be routed to anyone',
          'InsightsNotConfigured',
        );
      return buildInsightsContext(config, input.at);
    },

    /** Which scheduled runs fall due on the organisation's calendar at `at`. */
    async insightsDue(input: { at: number }): Promise<DueRuns> {
      const config = deps.config();
      const context = buildInsightsContext(config, input.at);
      const today = localDateOf(input.at, context.orgCalendar.timezone);
      return dueRuns(context.orgCalendar, today, {
        triageDay: config.insights.triage.day,
        roundupDays: config.insights.roundup.days,
      });
    },

    async rankInsights(): Promise<TriageRanking> {
      return rankBacklogs(client(), deps.config());
    },

    /** Signal-with-start of each routed theme's workflow; a repeated delivery id is ignored there. */
    async routeThemes(input: {
      week: string;
      triageId: string;
      taskQueue: string;
      routes: ThemeRoute[];
    }): Promise<{ signalled: number }> {
      const c = client();
      await Promise.all(
        input.routes.map((route) => {
          const signal: ThemeRouted = {
            week: input.week,
            triageId: input.triageId,
            rank: route.rank,
            counts: route.counts,
            itemIds: route.itemIds,
            deliveryId: `${input.triageId}:${route.area}:${route.theme}`,
          };
          return c.workflow.signalWithStart(INSIGHTS_THEME_TYPE, {
            workflowId: insightsThemeId(route.area, route.theme),
            taskQueue: input.taskQueue,
            args: [{ area: route.area, theme: route.theme }],
            signal: themeRouted,
            signalArgs: [signal],
            workflowIdConflictPolicy: 'USE_EXISTING',
          });
        }),
      );
      return { signalled: input.routes.length };
    },

    /** The area's digest, with every piece of evidence of its routed themes read from the shards. */
    async composeAreaDigest(input: AreaDigestRequest): Promise<AreaDigestInput> {
      const config = deps.config();
      const settings = resolveInsightsSettings(config);
      const area = settings.areas.find((a) => a.id === input.area);
      if (!area)
        throw ApplicationFailure.nonRetryable(
          `"${input.area}" is not a product area`,
          'InsightsNotConfigured',
        );
      const pm = config.people.find((p) => p.id === area.pm);
      const items = await readItems(
        client(),
        input.themes.flatMap((t) => t.itemIds),
      );
      return {
        week: input.week,
        area: { id: area.id, name: area.name },
        pm: { id: area.pm, name: pm?.name ?? area.pm },
        themes: input.themes.map(({ itemIds, ...theme }) => ({
          ...theme,
          evidence: itemIds
            .map((id) => items.get(id))
            .filter((v): v is ItemView => v !== undefined)
            .map((view) => {
              const { merged, ...item } = view;
              return { item, merged };
            }),
        })),
        notRouted: input.notRouted,
        remindAfterWorkingDays: config.insights.triage.remindAfterWorkingDays,
      };
    },

    /** The cross-cutting themes last week's triage raised (its memo), or null when unknown. */
    async previousCrossCutting(input: { week: string }): Promise<CrossCuttingTheme[] | null> {
      const previous = isoWeekOf(
        new Date(Date.parse(`${mondayOf(input.week)}T12:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10),
      );
      try {
        const described = await client().workflow.getHandle(insightsTriageId(previous)).describe();
        const memo = described.memo as { triage?: TriageMemo } | undefined;
        return memo?.triage?.crossCutting ?? null;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return null;
        throw error;
      }
    },

    /** The items that need tagging, across the shards (the oldest first, at most `limit`). */
    async composeRoundup(input: { limit: number }): Promise<{ items: ItemView[]; total: number }> {
      const shards = resolveInsightsSettings(deps.config()).shards;
      const [lists, snapshots] = await Promise.all([
        queryShards(client(), shards, itemsNeedingTags, input.limit),
        queryShards(client(), shards, backlogSnapshot),
      ]);
      const oldest = lists.flat().sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : 1));
      return {
        items: oldest.slice(0, input.limit),
        total: snapshots.reduce((sum, s) => sum + s.needsTagging, 0),
      };
    },

    async composeMonthlyReport(input: { month: string; at: number }): Promise<MonthlyReport> {
      return gatherMonthlyReport(client(), deps.config(), input.month, input.at);
    },
  };
}

export type InsightsActivities = ReturnType<typeof createInsightsActivities>;
