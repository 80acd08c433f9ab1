/**
 * Weekly triage: themes ranked per product area, by
 *   1. the count of High-severity items,
 *   2. distinct accounts,
 *   3. total items,
 *   4. the newest evidence,
 * and, where all four tie, by theme id so that the order never depends on arrival. The top N of
 * each area are routed to its PM. A theme with items in several areas (three by default) is a
 * cross-cutting pattern for the Head of Product.
 */
import type { RankableItem } from './backlog';

export interface ThemeCounts {
  /** First items whose highest severity is High. */
  high: number;
  /** Distinct accounts. */
  accounts: number;
  /** First items (near-duplicates are evidence, not items). */
  items: number;
  /** Every piece of evidence. */
  evidence: number;
  /** The newest evidence, ms since the epoch. */
  newest: number;
}

export interface RankedTheme extends ThemeCounts {
  area: string;
  theme: string;
  /** 1 for the first theme of the area. */
  rank: number;
  /** Within the area's top N: routed to its PM. */
  routed: boolean;
  /** The first items, highest severity and newest first. */
  itemIds: string[];
  /** Rounds some of its items are already routed in (awaiting a decision). */
  rounds: string[];
}

export interface AreaRanking {
  area: string;
  themes: RankedTheme[];
}

export interface CrossCuttingTheme {
  theme: string;
  /** The areas with open items of the theme, by id. */
  areas: string[];
  items: number;
  high: number;
  accounts: number;
}

const SEVERITY_ORDER = { high: 0, medium: 1, low: 2 } as const;

/** Negative when `a` ranks above `b`. */
export function compareThemes(
  a: ThemeCounts & { theme: string },
  b: ThemeCounts & { theme: string },
): number {
  return (
    b.high - a.high ||
    b.accounts - a.accounts ||
    b.items - a.items ||
    b.newest - a.newest ||
    (a.theme < b.theme ? -1 : a.theme > b.theme ? 1 : 0)
  );
}

export function countsOf(items: readonly RankableItem[]): ThemeCounts {
  return {
    high: items.filter((i) => i.severity === 'high').length,
    accounts: new Set(items.map((i) => i.account)).size,
    items: items.length,
    evidence: items.reduce((sum, i) => sum + i.evidence, 0),
    newest: items.reduce((max, i) => Math.max(max, i.newest), 0),
  };
}

/**
 * Every area's themes in rank order, the first `topN` marked routed. Areas come in the order
 * given (the configuration's), then any other area the items name, alphabetically.
 */
export function rankThemes(
  items: readonly RankableItem[],
  options: { topN: number; areas?: readonly string[] },
): AreaRanking[] {
  const byArea = new Map<string, Map<string, RankableItem[]>>();
  for (const item of items) {
    const themes = byArea.get(item.area) ?? new Map<string, RankableItem[]>();
    byArea.set(item.area, themes);
    const list = themes.get(item.theme) ?? [];
    themes.set(item.theme, list);
    list.push(item);
  }
  const order = [
    ...(options.areas ?? []).filter((a) => byArea.has(a)),
    ...[...byArea.keys()].filter((a) => !(options.areas ?? []).includes(a)).sort(),
  ];
  return order.map((area) => {
    const themes = [...byArea.get(area)!.entries()].map(([theme, list]) => ({
      theme,
      list,
      ...countsOf(list),
    }));
    themes.sort(compareThemes);
    return {
      area,
      themes: themes.map(({ theme, list, ...counts }, i) => ({
        area,
        theme,
        rank: i + 1,
        routed: i < options.topN,
        ...counts,
        itemIds: [...list]
          .sort(
            (a, b) =>
              SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
              b.newest - a.newest ||
              (a.id < b.id ? -1 : 1),
          )
          .map((i) => i.id),
        rounds: [...new Set(list.map((i) => i.round).filter((r): r is string => r !== null))].sort(),
      })),
    };
  });
}

/** Themes with open items in at least `minAreas` areas, widest first. */
export function crossCuttingThemes(items: readonly RankableItem[], minAreas: number): CrossCuttingTheme[] {
  const byTheme = new Map<string, RankableItem[]>();
  for (const item of items) {
    const list = byTheme.get(item.theme) ?? [];
    byTheme.set(item.theme, list);
    list.push(item);
  }
  const out: CrossCuttingTheme[] = [];
  for (const [theme, list] of byTheme) {
    const areas = [...new Set(list.map((i) => i.area))].sort();
    if (areas.length < minAreas) continue;
    const counts = countsOf(list);
    out.push({ theme, areas, items: counts.items, high: counts.high, accounts: counts.accounts });
  }
  return out.sort(
    (a, b) =>
      b.areas.length - a.areas.length || b.high - a.high || b.items - a.items || (a.theme < b.theme ? -1 : 1),
  );
}
