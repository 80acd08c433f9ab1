/**
 * The weekly ranking (High items, distinct accounts, items, newest evidence) on crafted ties and
 * on the 200-item fixture, cross-cutting themes, the cadence of the scheduled runs on the
 * organisation's calendar, and the monthly report's figures.
 */
import { describe, expect, it } from 'vitest';
import type { RankableItem } from '../../../domain/insights/backlog';
import { dueRuns, isoWeekOf, mondayOf, previousMonth } from '../../../domain/insights/cadence';
import { compareThemes, crossCuttingThemes, rankThemes } from '../../../domain/insights/ranking';
import { buildMonthlyReport, type RoundSummary } from '../../../domain/insights/report';
import type { BusinessCalendar } from '../../../domain/business-calendar';
import { FIXTURE_AREAS, runFixture } from './fixture';

let seq = 0;
function item(area: string, theme: string, overrides: Partial<RankableItem> = {}): RankableItem {
  seq++;
  return {
    id: `ins-0-${seq}`,
    area,
    theme,
    account: `account ${seq}`,
    severity: 'medium',
    evidence: 1,
    newest: 1_000,
    round: null,
    ...overrides,
  };
}

describe('ranking themes per area', () => {
  it('ranks by High items, then distinct accounts, then items, then the newest evidence', () => {
    const items = [
      // pricing: 1 High; 1 account; 3 items
      item('billing', 'pricing', { severity: 'high', account: 'a' }),
      item('billing', 'pricing', { account: 'a' }),
      item('billing', 'pricing', { account: 'a' }),
      // onboarding: 1 High; 2 accounts
      item('billing', 'onboarding', { severity: 'high', account: 'a' }),
      item('billing', 'onboarding', { account: 'b' }),
      // reliability: no High, 3 accounts
      item('billing', 'reliability', { account: 'a' }),
      item('billing', 'reliability', { account: 'b' }),
      item('billing', 'reliability', { account: 'c' }),
      // performance and activation: 2 accounts, 2 items each, activation newer
      item('billing', 'performance', { account: 'a', newest: 5_000 }),
      item('billing', 'performance', { account: 'b', newest: 1_000 }),
      item('billing', 'activation', { account: 'a', newest: 6_000 }),
      item('billing', 'activation', { account: 'b', newest: 2_000 }),
    ];
    const [billing] = rankThemes(items, { topN: 3 });
    expect(billing!.themes.map((t) => [t.theme, t.rank, t.routed])).toEqual([
      ['onboarding', 1, true],
      ['pricing', 2, true],
      ['reliability', 3, true],
      ['activation', 4, false],
      ['performance', 5, false],
    ]);
    expect(billing!.themes[0]).toMatchObject({ high: 1, accounts: 2, items: 2, evidence: 2 });
  });

  it('lists a theme’s items High first, then newest, and the rounds they wait in', () => {
    const a = item('billing', 'pricing', { newest: 10 });
    const b = item('billing', 'pricing', { severity: 'high', newest: 5, round: 'billing:pricing:2027-W05' });
    const c = item('billing', 'pricing', { newest: 20 });
    const [area] = rankThemes([a, b, c], { topN: 10 });
    expect(area!.themes[0]!.itemIds).toEqual([b.id, c.id, a.id]);
    expect(area!.themes[0]!.rounds).toEqual(['billing:pricing:2027-W05']);
  });

  it('keeps the configured order of areas, then any other alphabetically', () => {
    const ranked = rankThemes(
      [item('zeta', 'pricing'), item('billing', 'pricing'), item('alpha', 'pricing')],
      {
        topN: 1,
        areas: ['billing'],
      },
    );
    expect(ranked.map((r) => r.area)).toEqual(['billing', 'alpha', 'zeta']);
  });

  it('breaks a full tie by theme id, never by arrival', () => {
    const counts = { high: 0, accounts: 1, items: 1, evidence: 1, newest: 1 };
    expect(
      compareThemes({ theme: 'pricing', ...counts }, { theme: 'activation', ...counts }),
    ).toBeGreaterThan(0);
  });

  it('ranks the fixture’s backlog: every area sorted, at most N routed', () => {
    const { backlog } = runFixture();
    const ranked = rankThemes(backlog.rankable(), { topN: 3, areas: FIXTURE_AREAS });
    expect(ranked.map((r) => r.area)).toEqual(FIXTURE_AREAS);
    for (const area of ranked) {
      expect(area.themes.filter((t) => t.routed).length).toBe(Math.min(3, area.themes.length));
      for (let i = 1; i < area.themes.length; i++)
        expect(compareThemes(area.themes[i - 1]!, area.themes[i]!)).toBeLessThan(0);
      // Items of merged near-duplicates count once, as evidence.
      for (const t of area.themes) expect(t.evidence).toBeGreaterThanOrEqual(t.items);
    }
    const total = ranked.flatMap((a) => a.themes).reduce((s, t) => s + t.items, 0);
    expect(total).toBe(backlog.rankable().length);
  });

  it('raises a theme with items in three areas or more as cross-cutting', () => {
    const items = [
      item('billing', 'pricing', { severity: 'high' }),
      item('reports', 'pricing'),
      item('api', 'pricing'),
      item('billing', 'onboarding'),
      item('reports', 'onboarding'),
    ];
    expect(crossCuttingThemes(items, 3)).toEqual([
      { theme: 'pricing', areas: ['api', 'billing', 'reports'], items: 3, high: 1, accounts: 3 },
    ]);
    expect(crossCuttingThemes(items, 2).map((t) => t.theme)).toEqual(['pricing', 'onboarding']);
  });
});

const london: BusinessCalendar = {
  name: 'london',
  timezone: 'Europe/London',
  weekend: ['sat', 'sun'],
  holidays: ['2027-01-01', '2027-03-29', '2027-04-02', '2027-04-05', '2027-05-03'],
};

describe('the cadence on the organisation’s calendar', () => {
  it('names ISO weeks', () => {
    expect(isoWeekOf('2027-01-01')).toBe('2026-W53');
    expect(isoWeekOf('2027-01-04')).toBe('2027-W01');
    expect(isoWeekOf('2026-12-31')).toBe('2026-W53');
    expect(mondayOf('2027-W05')).toBe('2027-02-01');
    expect(() => mondayOf('2027-W54')).toThrow();
    expect(previousMonth('2027-01')).toBe('2026-12');
  });

  it('triages on the first working day of the week and digests on the first working day of the month', () => {
    const settings = { triageDay: 'mon' as const, roundupDays: ['mon', 'thu'] as const };
    expect(dueRuns(london, '2027-03-01', settings)).toEqual({
      today: '2027-03-01',
      triage: '2027-W09',
      digest: '2027-02',
      roundup: true,
    });
    expect(dueRuns(london, '2027-03-02', settings)).toMatchObject({
      triage: null,
      digest: null,
      roundup: false,
    });
    expect(dueRuns(london, '2027-03-04', settings)).toMatchObject({ triage: null, roundup: true });
    // Easter Monday 2027-03-29 is off: Tuesday takes the triage and the roundup.
    expect(dueRuns(london, '2027-03-29', settings)).toMatchObject({ triage: null, roundup: false });
    expect(dueRuns(london, '2027-03-30', settings)).toMatchObject({ triage: '2027-W13', roundup: true });
    // 1 January is off and the 2nd and 3rd are a weekend: the December digest waits for Monday the 4th.
    expect(dueRuns(london, '2027-01-01', settings).digest).toBeNull();
    expect(dueRuns(london, '2027-01-04', settings)).toMatchObject({ digest: '2026-12', triage: '2027-W01' });
    // A weekend day runs nothing.
    expect(dueRuns(london, '2027-03-06', settings)).toMatchObject({
      triage: null,
      digest: null,
      roundup: false,
    });
  });

  it('skips a week whose days from the triage day on are all off', () => {
    const shutdown: BusinessCalendar = {
      ...london,
      holidays: ['2027-12-27', '2027-12-28', '2027-12-29', '2027-12-30', '2027-12-31'],
    };
    for (const day of ['2027-12-27', '2027-12-28', '2027-12-29', '2027-12-30', '2027-12-31'])
      expect(dueRuns(shutdown, day, { triageDay: 'mon', roundupDays: [] }).triage).toBeNull();
  });
});

describe('the monthly report', () => {
  const round = (overrides: Partial<RoundSummary>): RoundSummary => ({
    round: 'billing:pricing:2027-W10',
    area: 'billing',
    theme: 'pricing',
    pm: 'ana',
    routedAt: 0,
    routedOn: '2027-03-08',
    decideBy: '2027-03-22',
    remindOn: '2027-03-15',
    url: null,
    weeks: ['2027-W10'],
    counts: { high: 1, accounts: 1, items: 1, evidence: 1, newest: 0 },
    decision: null,
    remindedAt: null,
    ...overrides,
  });
  const decision = (on: string) => ({
    disposition: 'backlog' as const,
    rationale: null,
    by: 'ana',
    at: 0,
    on,
    via: 'command' as const,
  });

  it('gives the share of routed themes decided within the working days, leaving those still inside the window aside', () => {
    const report = buildMonthlyReport({
      month: '2027-03',
      generatedAt: Date.parse('2027-04-01T09:00:00Z'),
      tallies: [
        {
          month: '2027-03',
          area: 'billing',
          theme: 'pricing',
          items: 4,
          evidence: 6,
          high: 2,
          accounts: ['a', 'b'],
          newest: 5,
        },
        {
          month: '2027-03',
          area: 'billing',
          theme: 'pricing',
          items: 1,
          evidence: 1,
          high: 0,
          accounts: ['c'],
          newest: 9,
        },
        {
          month: '2027-03',
          area: 'reports',
          theme: 'pricing',
          items: 1,
          evidence: 1,
          high: 1,
          accounts: ['d'],
          newest: 1,
        },
        {
          month: '2027-03',
          area: 'api',
          theme: 'pricing',
          items: 1,
          evidence: 1,
          high: 0,
          accounts: ['e'],
          newest: 1,
        },
        {
          month: '2027-02',
          area: 'api',
          theme: 'onboarding',
          items: 9,
          evidence: 9,
          high: 9,
          accounts: ['f'],
          newest: 1,
        },
      ],
      rounds: [
        round({ round: 'a', decision: decision('2027-03-19') }),
        round({ round: 'b', decision: decision('2027-03-25') }),
        round({ round: 'c', pm: 'erin' }),
        round({ round: 'd', routedOn: '2027-03-29', decideBy: '2027-04-12', pm: 'erin' }),
        round({
          round: 'e',
          routedOn: '2027-02-22',
          decideBy: '2027-03-08',
          decision: decision('2027-03-02'),
        }),
      ],
      highItems: [],
      openItems: [{ area: 'billing', items: 3, routed: 1 }],
      needsTagging: 2,
      todayOf: () => '2027-04-01',
      areaName: (id) => id.toUpperCase(),
      pmName: (id) => id,
      crossCuttingAreas: 3,
      topThemes: 2,
      decideWithinWorkingDays: 10,
    });
    // Routed in March: a (in time), b (late), c (overdue), d (still inside its window).
    expect(report.decidedInTime).toEqual({
      withinWorkingDays: 10,
      routed: 4,
      inTime: 1,
      late: 1,
      overdue: 1,
      pending: 1,
      share: 0.333,
    });
    expect(report.received).toEqual({ items: 7, evidence: 9, high: 3, accounts: 5 });
    expect(report.topThemes.map((t) => `${t.area}/${t.theme}`)).toEqual([
      'billing/pricing',
      'reports/pricing',
    ]);
    expect(report.topThemes[0]).toMatchObject({ items: 5, evidence: 7, high: 2, accounts: 3 });
    expect(report.crossCutting).toEqual([
      { theme: 'pricing', areas: ['api', 'billing', 'reports'], items: 7, high: 3 },
    ]);
    expect(report.dispositionsByPm.find((p) => p.pm === 'ana')).toMatchObject({
      decided: { backlog: 3, research: 0, addressed: 0, 'wont-do': 0 },
      open: 0,
    });
    expect(report.stillOpen.rounds.map((r) => [r.round, r.overdue])).toEqual([
      ['c', true],
      ['d', false],
    ]);
  });
});
