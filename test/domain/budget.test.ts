/**
 * The tool budget: committed spend per team and year in the base currency at fixed rates, with
 * mixed currencies, subscriptions added mid-year, renewals being cancelled, and the callout for a
 * renewal that takes its team over budget.
 */
import { describe, expect, it } from 'vitest';
import {
  budgetLines,
  computeBudget,
  formatCents,
  perYear,
  renewalCallout,
  toBaseCents,
  UnknownCurrencyError,
  type BudgetFacts,
  type FxTable,
} from '../../domain/budget';
import { budgetDocument } from '../../domain/renewal-content';

const fx: FxTable = { base: 'GBP', rates: { EUR: 0.85, USD: 0.79 } };
const teams = [
  { id: 'growth', name: 'Growth pod' },
  { id: 'platform', name: 'Platform pod' },
];

function facts(overrides: Partial<BudgetFacts> & Pick<BudgetFacts, 'subscriptionId' | 'team'>): BudgetFacts {
  return { tool: overrides.subscriptionId, vendor: null, paid: [], upcoming: null, ...overrides };
}

const figma = facts({
  subscriptionId: 'figma',
  tool: 'Figma',
  team: 'growth',
  // Renewed last March at EUR 10,000; renews again next March at EUR 12,000.
  paid: [{ date: '2026-03-01', amount: 10000, currency: 'EUR', kind: 'paid' }],
  upcoming: {
    renewalDate: '2027-03-01',
    cycleMonths: 12,
    anchorDay: 1,
    amount: 12000,
    currency: 'EUR',
    decision: null,
    autoRenews: true,
  },
});
const linear = facts({
  subscriptionId: 'linear',
  tool: 'Linear',
  team: 'platform',
  // Bought in September 2026 (added mid-year), monthly at USD 500.
  paid: [
    { date: '2026-09-15', amount: 500, currency: 'USD', kind: 'added' },
    { date: '2026-10-15', amount: 500, currency: 'USD', kind: 'paid' },
    { date: '2026-11-15', amount: 500, currency: 'USD', kind: 'paid' },
  ],
  upcoming: {
    renewalDate: '2026-12-15',
    cycleMonths: 1,
    anchorDay: 15,
    amount: 500,
    currency: 'USD',
    decision: null,
    autoRenews: true,
  },
});
const slack = facts({
  subscriptionId: 'slack',
  tool: 'Slack',
  team: 'growth',
  paid: [{ date: '2026-06-30', amount: 9000, currency: 'GBP', kind: 'paid' }],
  upcoming: {
    renewalDate: '2027-06-30',
    cycleMonths: 12,
    anchorDay: 30,
    amount: 9000,
    currency: 'GBP',
    decision: 'cancel',
    autoRenews: true,
  },
});

describe('money', () => {
  it('converts at the fixed rates into minor units, and refuses an unknown currency', () => {
    expect(toBaseCents({ amount: 12000, currency: 'EUR' }, fx)).toBe(1_020_000);
    expect(toBaseCents({ amount: 0.1, currency: 'USD' }, fx)).toBe(8);
    expect(toBaseCents({ amount: 99.99, currency: 'GBP' }, fx)).toBe(9999);
    expect(() => toBaseCents({ amount: 1, currency: 'JPY' }, fx)).toThrow(UnknownCurrencyError);
    expect(perYear(500, 1)).toBe(6000);
    expect(perYear(3000, 3)).toBe(12000);
    expect(formatCents(123_456_789, 'GBP')).toBe('GBP 1,234,567.89');
    expect(formatCents(-200_000, 'GBP')).toBe('-GBP 2,000.00');
  });
});

describe('budget lines', () => {
  it('counts every cycle started in the year and every renewal ahead in it, a monthly one each month', () => {
    expect(budgetLines(linear, 2026, fx).map((l) => [l.date, l.kind, l.baseCents])).toEqual([
      ['2026-09-15', 'added', 39_500],
      ['2026-10-15', 'paid', 39_500],
      ['2026-11-15', 'paid', 39_500],
      ['2026-12-15', 'renewal', 39_500],
    ]);
    expect(budgetLines(linear, 2027, fx)).toHaveLength(12);
    expect(budgetLines(linear, 2027, fx).at(-1)!.date).toBe('2027-12-15');
    expect(budgetLines(figma, 2026, fx).map((l) => [l.date, l.kind, l.amount, l.baseCents])).toEqual([
      ['2026-03-01', 'paid', 10000, 850_000],
    ]);
    expect(budgetLines(figma, 2027, fx).map((l) => [l.date, l.kind, l.amount, l.baseCents])).toEqual([
      ['2027-03-01', 'renewal', 12000, 1_020_000],
    ]);
  });

  it('shows a renewal being cancelled, and those after it, without counting them', () => {
    const lines = budgetLines(slack, 2027, fx);
    expect(lines).toEqual([
      expect.objectContaining({ date: '2027-06-30', counted: false, note: 'being cancelled: not counted' }),
    ]);
    expect(budgetLines(slack, 2028, fx)).toEqual([
      expect.objectContaining({ counted: false, note: 'after the cancellation: not counted' }),
    ]);
    expect(budgetLines(slack, 2026, fx)[0]).toMatchObject({ counted: true, baseCents: 900_000 });
  });

  it('keeps the contract day of a month-end renewal', () => {
    const endOfMonth = facts({
      subscriptionId: 'notion',
      team: 'growth',
      upcoming: {
        renewalDate: '2027-01-31',
        cycleMonths: 1,
        anchorDay: 31,
        amount: 10,
        currency: 'GBP',
        decision: null,
        autoRenews: true,
      },
    });
    expect(
      budgetLines(endOfMonth, 2027, fx)
        .slice(0, 4)
        .map((l) => l.date),
    ).toEqual(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']);
  });
});

describe('computeBudget', () => {
  const budgets = { growth: 17000, platform: 1000 };

  it('sums mixed currencies per team against its budget, with a mid-year addition', () => {
    const view = computeBudget({ year: 2026, subscriptions: [figma, linear, slack], budgets, fx, teams });
    expect(
      view.teams.map((t) => [t.team, t.budgetCents, t.committedCents, t.remainingCents, t.position]),
    ).toEqual([
      // EUR 10,000 at 0.85 + GBP 9,000
      ['growth', 1_700_000, 1_750_000, -50_000, 'over'],
      // USD 500 × 4 at 0.79
      ['platform', 100_000, 158_000, -58_000, 'over'],
    ]);
    expect(view.totals).toEqual({
      budgetCents: 1_800_000,
      committedCents: 1_908_000,
      remainingCents: -108_000,
    });
    expect(view.problems).toEqual([]);
  });

  it('shows a team with a budget and no subscriptions, one with subscriptions and no budget, and one team alone', () => {
    const view = computeBudget({
      year: 2027,
      subscriptions: [figma],
      budgets: { platform: 5000 },
      fx,
      teams,
    });
    expect(view.teams.map((t) => [t.team, t.position, t.committedCents])).toEqual([
      ['growth', 'no budget', 1_020_000],
      ['platform', 'under', 0],
    ]);
    const growthOnly = computeBudget({
      year: 2027,
      subscriptions: [figma, linear],
      budgets,
      fx,
      teams,
      team: 'growth',
    });
    expect(growthOnly.teams.map((t) => t.team)).toEqual(['growth']);
  });

  it('reports a currency without a rate instead of counting it at a guess', () => {
    const yen = facts({
      subscriptionId: 'miro',
      team: 'growth',
      paid: [{ date: '2026-05-01', amount: 100000, currency: 'JPY', kind: 'paid' }],
    });
    const view = computeBudget({ year: 2026, subscriptions: [yen, figma], budgets, fx, teams });
    expect(view.teams[0]!.committedCents).toBe(850_000);
    expect(view.problems).toEqual(['miro (miro): no fixed rate for JPY in renewals.fxRates']);
  });

  it('calls out the renewal that takes a team over budget, or one that was over without it', () => {
    const view = computeBudget({
      year: 2027,
      subscriptions: [figma, slack],
      budgets: { growth: 9000 },
      fx,
      teams,
    });
    expect(renewalCallout(view, 'figma', '2027-03-01')).toEqual({
      year: 2027,
      team: 'growth',
      teamName: 'Growth pod',
      renewalDate: '2027-03-01',
      budgetCents: 900_000,
      committedCents: 1_020_000,
      overByCents: 120_000,
      renewalCents: 1_020_000,
      tipsOver: true,
      baseCurrency: 'GBP',
    });
    // Within budget: nothing to call out; a cancelled renewal is never called out.
    const within = computeBudget({
      year: 2027,
      subscriptions: [figma, slack],
      budgets: { growth: 20000 },
      fx,
      teams,
    });
    expect(renewalCallout(within, 'figma', '2027-03-01')).toBeNull();
    expect(renewalCallout(view, 'slack', '2027-06-30')).toBeNull();
    // Slack alone (GBP 9,000) is over a budget of 8,000 already: Figma does not tip it.
    const already = computeBudget({
      year: 2027,
      subscriptions: [figma, { ...slack, upcoming: { ...slack.upcoming!, decision: null } }],
      budgets: { growth: 8000 },
      fx,
      teams,
    });
    expect(renewalCallout(already, 'figma', '2027-03-01')).toMatchObject({
      tipsOver: false,
      overByCents: 1_120_000,
    });
  });

  it('renders the Notion page with every team and line', () => {
    const view = computeBudget({ year: 2026, subscriptions: [figma, linear, slack], budgets, fx, teams });
    const texts = budgetDocument(view, '2026-11-27 10:00 UTC').map((b) => ('text' in b ? b.text : b.type));
    expect(texts).toContain('Growth pod: over budget by GBP 500.00');
    expect(texts).toContain('Budget GBP 17,000.00 · committed GBP 17,500.00 · remaining -GBP 500.00');
    expect(texts).toContain('2026-09-15 Linear added: USD 500.00 = GBP 395.00 — added in 2026');
    expect(texts).toContain('2026-06-30 Slack renewed: GBP 9,000.00');
  });
});
