/**
 * The Monthly Insights Digest in figures: what arrived in the month and its top themes, the
 * evidence counts, dispositions by PM, what is still open, High items escalated into the
 * Monthly Insights Review, cross-cutting patterns, and the share of routed themes that got a
 * disposition within 10 working days of being routed.
 *
 * Pure: the activity that writes the digest and `prodops insights report` gather the same
 * inputs (the backlog shards' month counts and open items, the themes' rounds) and build the
 * same report from them.
 */
import type { MonthTally } from './backlog';
import { compareThemes, type ThemeCounts } from './ranking';
import type { Disposition, Severity } from './taxonomy';

/** A routed theme's round as its workflow reports it, with the working-day figure worked out. */
export interface RoundSummary {
  /** `<area>:<theme>:<week first routed>`. */
  round: string;
  area: string;
  theme: string;
  pm: string;
  routedAt: number;
  /** The routing date on the PM's calendar, and the last day a decision counts as in time. */
  routedOn: string;
  decideBy: string;
  /** When the reminder goes out without a decision. */
  remindOn: string;
  /** The theme's row in Notion, where the PM decides. */
  url: string | null;
  /** Weeks it was routed in (carried over while undecided). */
  weeks: string[];
  counts: ThemeCounts;
  decision: {
    disposition: Disposition;
    rationale: string | null;
    by: string;
    /** The operator whose signed command recorded it, when someone other than `by`. */
    operator?: string;
    at: number;
    on: string;
    via: 'notion' | 'command';
  } | null;
  remindedAt: number | null;
}

export interface EscalatedItem {
  id: string;
  /** Null while the item still needs tagging. */
  area: string | null;
  theme: string | null;
  account: string;
  severity: Severity;
  excerpt: string;
  link: string | null;
  at: number;
  /** The round it waits in, or null when it was never in an area's top themes. */
  round: string | null;
}

export interface OpenItemsCount {
  area: string;
  items: number;
  routed: number;
}

export interface ReportInputs {
  month: string;
  generatedAt: number;
  /** Month counts from every shard (several rows per area and theme are added up). */
  tallies: readonly MonthTally[];
  /** Every round routed in the month or still awaiting a decision, and those decided in the month. */
  rounds: readonly RoundSummary[];
  /** Open High items received up to the end of the month. */
  highItems: readonly EscalatedItem[];
  openItems: readonly OpenItemsCount[];
  needsTagging: number;
  /** The working-day deadline counts as met on `decideBy`; the report's "today" on each PM's calendar. */
  todayOf: (pm: string) => string;
  areaName: (area: string) => string;
  pmName: (pm: string) => string;
  /** Themes in this many areas or more are cross-cutting. */
  crossCuttingAreas: number;
  topThemes: number;
  decideWithinWorkingDays: number;
}

export interface TopTheme extends ThemeCounts {
  area: string;
  areaName: string;
  theme: string;
}

export interface PmDispositions {
  pm: string;
  name: string;
  areas: string[];
  decided: Record<Disposition, number>;
  open: number;
}

export interface MonthlyReport {
  month: string;
  generatedAt: string;
  received: { items: number; evidence: number; high: number; accounts: number };
  byArea: { area: string; areaName: string; items: number; evidence: number; high: number }[];
  topThemes: TopTheme[];
  decisions: {
    round: string;
    area: string;
    theme: string;
    pm: string;
    disposition: Disposition;
    rationale: string | null;
    on: string;
    via: 'notion' | 'command';
  }[];
  dispositionsByPm: PmDispositions[];
  stillOpen: {
    rounds: {
      round: string;
      area: string;
      theme: string;
      pm: string;
      routedOn: string;
      decideBy: string;
      overdue: boolean;
    }[];
    items: OpenItemsCount[];
    needsTagging: number;
  };
  escalated: EscalatedItem[];
  crossCutting: { theme: string; areas: string[]; items: number; high: number }[];
  /** Themes routed in the month, and how many got a disposition within the working days. */
  decidedInTime: {
    withinWorkingDays: number;
    routed: number;
    inTime: number;
    late: number;
    overdue: number;
    /** Routed, undecided, and still inside the window: not counted either way yet. */
    pending: number;
    /** inTime / (inTime + late + overdue), or null when none can be judged yet. */
    share: number | null;
  };
}

const inMonth = (month: string, date: string) => date.slice(0, 7) === month;

export function emptyDispositions(): Record<Disposition, number> {
  return { backlog: 0, research: 0, addressed: 0, 'wont-do': 0 };
}

export function buildMonthlyReport(input: ReportInputs): MonthlyReport {
  const { month } = input;
  const tallies = input.tallies.filter((t) => t.month === month);

  // Tallies from different shards of the same theme add up; accounts never span shards.
  const themes = new Map<string, TopTheme>();
  for (const t of tallies) {
    const key = `${t.area}:${t.theme}`;
    const row = themes.get(key) ?? {
      area: t.area,
      areaName: input.areaName(t.area),
      theme: t.theme,
      high: 0,
      accounts: 0,
      items: 0,
      evidence: 0,
      newest: 0,
    };
    row.high += t.high;
    row.accounts += t.accounts.length;
    row.items += t.items;
    row.evidence += t.evidence;
    row.newest = Math.max(row.newest, t.newest);
    themes.set(key, row);
  }
  const ranked = [...themes.values()].sort(compareThemes);

  const areas = new Map<string, MonthlyReport['byArea'][number]>();
  for (const row of ranked) {
    const a = areas.get(row.area) ?? {
      area: row.area,
      areaName: row.areaName,
      items: 0,
      evidence: 0,
      high: 0,
    };
    a.items += row.items;
    a.evidence += row.evidence;
    a.high += row.high;
    areas.set(row.area, a);
  }
  const accounts = new Set(tallies.flatMap((t) => t.accounts)).size;

  const byTheme = new Map<string, Set<string>>();
  for (const row of ranked) {
    if (row.items + row.evidence === 0) continue;
    const set = byTheme.get(row.theme) ?? new Set<string>();
    set.add(row.area);
    byTheme.set(row.theme, set);
  }
  const crossCutting = [...byTheme.entries()]
    .filter(([, set]) => set.size >= input.crossCuttingAreas)
    .map(([theme, set]) => {
      const rows = ranked.filter((r) => r.theme === theme);
      return {
        theme,
        areas: [...set].sort(),
        items: rows.reduce((s, r) => s + r.items, 0),
        high: rows.reduce((s, r) => s + r.high, 0),
      };
    })
    .sort((a, b) => b.areas.length - a.areas.length || b.high - a.high || b.items - a.items);

  const decidedInMonth = input.rounds.filter((r) => r.decision && inMonth(month, r.decision.on));
  const decisions = decidedInMonth
    .map((r) => ({
      round: r.round,
      area: r.area,
      theme: r.theme,
      pm: r.pm,
      disposition: r.decision!.disposition,
      rationale: r.decision!.rationale,
      on: r.decision!.on,
      via: r.decision!.via,
    }))
    .sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : a.round < b.round ? -1 : 1));

  const open = input.rounds.filter((r) => !r.decision);
  const pms = new Map<string, PmDispositions>();
  const pmRow = (r: RoundSummary) => {
    const row = pms.get(r.pm) ?? {
      pm: r.pm,
      name: input.pmName(r.pm),
      areas: [],
      decided: emptyDispositions(),
      open: 0,
    };
    if (!row.areas.includes(r.area)) row.areas.push(r.area);
    pms.set(r.pm, row);
    return row;
  };
  for (const r of decidedInMonth) pmRow(r).decided[r.decision!.disposition]++;
  for (const r of open) pmRow(r).open++;

  const routedInMonth = input.rounds.filter((r) => inMonth(month, r.routedOn));
  let inTime = 0;
  let late = 0;
  let overdue = 0;
  let pending = 0;
  for (const r of routedInMonth) {
    if (r.decision) {
      if (r.decision.on <= r.decideBy) inTime++;
      else late++;
    } else if (input.todayOf(r.pm) > r.decideBy) overdue++;
    else pending++;
  }
  const judged = inTime + late + overdue;

  return {
    month,
    generatedAt: new Date(input.generatedAt).toISOString(),
    received: {
      items: ranked.reduce((s, r) => s + r.items, 0),
      evidence: ranked.reduce((s, r) => s + r.evidence, 0),
      high: ranked.reduce((s, r) => s + r.high, 0),
      accounts,
    },
    byArea: [...areas.values()],
    topThemes: ranked.filter((r) => r.items > 0).slice(0, input.topThemes),
    decisions,
    dispositionsByPm: [...pms.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    stillOpen: {
      rounds: open
        .map((r) => ({
          round: r.round,
          area: r.area,
          theme: r.theme,
          pm: r.pm,
          routedOn: r.routedOn,
          decideBy: r.decideBy,
          overdue: input.todayOf(r.pm) > r.decideBy,
        }))
        .sort((a, b) =>
          a.routedOn < b.routedOn ? -1 : a.routedOn > b.routedOn ? 1 : a.round < b.round ? -1 : 1,
        ),
      items: input.openItems.filter((o) => o.items > 0),
      needsTagging: input.needsTagging,
    },
    escalated: [...input.highItems].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1)),
    crossCutting,
    decidedInTime: {
      withinWorkingDays: input.decideWithinWorkingDays,
      routed: routedInMonth.length,
      inTime,
      late,
      overdue,
      pending,
      share: judged === 0 ? null : Math.round((inTime / judged) * 1000) / 1000,
    },
  };
}
