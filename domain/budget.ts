/**
 * The tool budget: each team's committed spend for a year against its budget, in the base
 * currency at the fixed rates of the configuration (no network call, so the same facts always
 * give the same figures).
 *
 * Spend is counted on the day it is committed: the first day of each paid cycle. A year's
 * committed spend is every cycle that started in it (a subscription added mid-year counts its
 * first cycle; one renewed in March counts that renewal) plus every renewal still ahead in it at
 * the current price, unless the subscription is being cancelled. Amounts are summed in minor
 * units (cents) so that totals never drift.
 */
import { compareDates, type CalendarDate } from './business-calendar';
import { addMonths } from './renewal-plan';
import type { Decision } from './subscription';

export interface Money {
  amount: number;
  currency: string;
}

/** Units of `base` per unit of each other currency. */
export interface FxTable {
  base: string;
  rates: Record<string, number>;
}

export class UnknownCurrencyError extends Error {
  constructor(readonly currency: string) {
    super(`no fixed rate for ${currency} in renewals.fxRates`);
    this.name = 'UnknownCurrencyError';
  }
}

export function rateOf(currency: string, fx: FxTable): number {
  if (currency === fx.base) return 1;
  const rate = Object.hasOwn(fx.rates, currency) ? fx.rates[currency] : undefined;
  if (rate === undefined) throw new UnknownCurrencyError(currency);
  return rate;
}

/** An amount in minor units (cents) of the base currency. */
export function toBaseCents(money: Money, fx: FxTable): number {
  return Math.round(money.amount * rateOf(money.currency, fx) * 100);
}

/** What a cycle's cost comes to over twelve months. */
export function perYear(costPerCycle: number, cycleMonths: number): number {
  return (costPerCycle * 12) / cycleMonths;
}

function groupThousands(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `GBP 12,345.60`, `-GBP 1,200.00`: the same text on every machine. */
export function formatCents(cents: number, currency: string): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  return `${sign}${currency} ${groupThousands(String(Math.floor(abs / 100)))}.${String(abs % 100).padStart(2, '0')}`;
}

export function formatMoney(money: Money): string {
  return formatCents(Math.round(money.amount * 100), money.currency);
}

/** A cycle that has been paid (or is paid on its first day). */
export interface Payment {
  date: CalendarDate;
  amount: number;
  currency: string;
  /** `added`: the first cycle prodops saw, started when the subscription was added. */
  kind: 'paid' | 'added';
}

/** What the budget needs from one subscription; each subscription's workflow keeps it current. */
export interface BudgetFacts {
  subscriptionId: string;
  tool: string;
  vendor: string | null;
  team: string;
  /** Cycles paid, newest last (the current cycle's start included). */
  paid: Payment[];
  /** The renewals ahead, every `cycleMonths` from `renewalDate`, at the current price; null once ended. */
  upcoming: {
    renewalDate: CalendarDate;
    cycleMonths: number;
    anchorDay: number;
    amount: number;
    currency: string;
    /** The decision on the renewal at `renewalDate`; a cancel stops it and every one after. */
    decision: Decision | null;
    autoRenews: boolean;
  } | null;
}

export interface BudgetLine {
  subscriptionId: string;
  tool: string;
  vendor: string | null;
  team: string;
  date: CalendarDate;
  kind: 'paid' | 'added' | 'renewal';
  amount: number;
  currency: string;
  /** In the base currency; null when the currency has no rate. */
  baseCents: number | null;
  /** False for a renewal being cancelled (shown, not counted) or one without a rate. */
  counted: boolean;
  note: string | null;
}

const yearOf = (date: CalendarDate): number => Number(date.slice(0, 4));

/** Every line of one subscription that falls in `year`, in date order. */
export function budgetLines(facts: BudgetFacts, year: number, fx: FxTable): BudgetLine[] {
  const lines: BudgetLine[] = [];
  const line = (
    date: CalendarDate,
    kind: BudgetLine['kind'],
    money: Money,
    counted: boolean,
    note: string | null,
  ) => {
    let baseCents: number | null = null;
    let why = note;
    try {
      baseCents = toBaseCents(money, fx);
    } catch (error) {
      if (!(error instanceof UnknownCurrencyError)) throw error;
      why = error.message;
    }
    lines.push({
      subscriptionId: facts.subscriptionId,
      tool: facts.tool,
      vendor: facts.vendor,
      team: facts.team,
      date,
      kind,
      amount: money.amount,
      currency: money.currency,
      baseCents,
      counted: counted && baseCents !== null,
      note: why,
    });
  };
  for (const p of facts.paid) {
    if (yearOf(p.date) === year)
      line(p.date, p.kind, p, true, p.kind === 'added' ? `added in ${year}` : null);
  }
  const up = facts.upcoming;
  if (up) {
    const cancelled = up.decision === 'cancel';
    let date = up.renewalDate;
    for (let i = 0; yearOf(date) <= year && i < 1000; i++) {
      if (yearOf(date) === year) {
        const first = i === 0;
        const note = cancelled
          ? first
            ? 'being cancelled: not counted'
            : 'after the cancellation: not counted'
          : first && !up.autoRenews && up.decision === null
            ? 'does not renew by itself: counted until decided'
            : null;
        line(date, 'renewal', up, !cancelled, note);
      }
      date = addMonths(date, up.cycleMonths, up.anchorDay);
    }
  }
  return lines.sort((a, b) => compareDates(a.date, b.date) || a.tool.localeCompare(b.tool));
}

export interface TeamBudget {
  team: string;
  teamName: string;
  /** Null when `renewals.budgets` has none for this team and year. */
  budgetCents: number | null;
  committedCents: number;
  /** Budget minus committed; negative when over. Null without a budget. */
  remainingCents: number | null;
  position: 'over' | 'under' | 'no budget';
  lines: BudgetLine[];
}

export interface BudgetView {
  year: number;
  baseCurrency: string;
  rates: Record<string, number>;
  teams: TeamBudget[];
  totals: { budgetCents: number; committedCents: number; remainingCents: number };
  /** Lines that could not be counted because their currency has no rate. */
  problems: string[];
}

export interface BudgetInput {
  year: number;
  subscriptions: BudgetFacts[];
  /** The year's budgets by team id, in the base currency. */
  budgets: Record<string, number>;
  fx: FxTable;
  /** Team names by id, in the order to show them. */
  teams: { id: string; name: string }[];
  /** Only this team. */
  team?: string;
}

export function computeBudget(input: BudgetInput): BudgetView {
  const byTeam = new Map<string, BudgetLine[]>();
  for (const facts of input.subscriptions) {
    if (input.team !== undefined && facts.team !== input.team) continue;
    for (const line of budgetLines(facts, input.year, input.fx)) {
      const list = byTeam.get(line.team) ?? [];
      list.push(line);
      byTeam.set(line.team, list);
    }
  }
  const teamIds = [
    ...input.teams.map((t) => t.id),
    ...[...byTeam.keys()].filter((id) => !input.teams.some((t) => t.id === id)).sort(),
  ].filter(
    (id) =>
      (input.team === undefined || id === input.team) && (byTeam.has(id) || Object.hasOwn(input.budgets, id)),
  );
  const teams = teamIds.map((id): TeamBudget => {
    const lines = (byTeam.get(id) ?? []).sort(
      (a, b) => compareDates(a.date, b.date) || a.tool.localeCompare(b.tool),
    );
    const committedCents = lines.reduce((sum, l) => sum + (l.counted ? l.baseCents! : 0), 0);
    const budget = Object.hasOwn(input.budgets, id) ? input.budgets[id] : undefined;
    const budgetCents = budget === undefined ? null : Math.round(budget * 100);
    const remainingCents = budgetCents === null ? null : budgetCents - committedCents;
    return {
      team: id,
      teamName: input.teams.find((t) => t.id === id)?.name ?? id,
      budgetCents,
      committedCents,
      remainingCents,
      position: remainingCents === null ? 'no budget' : remainingCents < 0 ? 'over' : 'under',
      lines,
    };
  });
  const budgetCents = teams.reduce((sum, t) => sum + (t.budgetCents ?? 0), 0);
  const committedCents = teams.reduce((sum, t) => sum + t.committedCents, 0);
  const problems = [
    ...new Set(
      teams.flatMap((t) =>
        t.lines.filter((l) => l.baseCents === null).map((l) => `${l.tool} (${l.subscriptionId}): ${l.note}`),
      ),
    ),
  ];
  return {
    year: input.year,
    baseCurrency: input.fx.base,
    rates: { ...input.fx.rates },
    teams,
    totals: { budgetCents, committedCents, remainingCents: budgetCents - committedCents },
    problems,
  };
}

/** A renewal that takes (or keeps) its team over budget, as its reminders call it out. */
export interface BudgetCallout {
  year: number;
  team: string;
  teamName: string;
  renewalDate: CalendarDate;
  budgetCents: number;
  committedCents: number;
  overByCents: number;
  renewalCents: number;
  /** True when this renewal alone takes the team over; false when it was over without it. */
  tipsOver: boolean;
  baseCurrency: string;
}

/** The callout for the renewal of `subscriptionId` on `renewalDate`, or null when the team is within budget. */
export function renewalCallout(
  view: BudgetView,
  subscriptionId: string,
  renewalDate: CalendarDate,
): BudgetCallout | null {
  for (const team of view.teams) {
    const line = team.lines.find(
      (l) => l.subscriptionId === subscriptionId && l.kind === 'renewal' && l.date === renewalDate,
    );
    if (!line) continue;
    if (
      !line.counted ||
      team.budgetCents === null ||
      team.remainingCents === null ||
      team.remainingCents >= 0
    )
      return null;
    const renewalCents = line.baseCents!;
    return {
      year: view.year,
      team: team.team,
      teamName: team.teamName,
      renewalDate,
      budgetCents: team.budgetCents,
      committedCents: team.committedCents,
      overByCents: -team.remainingCents,
      renewalCents,
      tipsOver: team.committedCents - renewalCents <= team.budgetCents,
      baseCurrency: view.baseCurrency,
    };
  }
  return null;
}
