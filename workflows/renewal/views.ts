/**
 * Views of a subscription's state: what notices say about it, its status for queries, its memo
 * and search attributes for listings, and its budget facts for the tool budget. Pure.
 */
import { compareDates, type CalendarDate } from '../../domain/business-calendar';
import {
  perYear,
  toBaseCents,
  UnknownCurrencyError,
  type BudgetFacts,
  type FxTable,
  type Payment,
} from '../../domain/budget';
import type { RenewalDescription } from '../../domain/renewal-content';
import { cycleMonths, daysBetween } from '../../domain/renewal-plan';
import { utilisationPercent } from '../../domain/subscription';
import type { RenewalStatusView, SubscriptionMemo } from './messages';
import { nextPendingReminder } from './decisions';
import { ended, type RenewalState } from './state';

function cents(amount: number, currency: string, fx: FxTable | null): number | null {
  if (!fx) return null;
  try {
    return toBaseCents({ amount, currency }, fx);
  } catch (error) {
    if (error instanceof UnknownCurrencyError) return null;
    throw error;
  }
}

const fxOf = (s: RenewalState): FxTable | null => s.context?.fx ?? null;

/** What the renewal ahead costs per year, in minor units of the base currency. */
export function perYearCents(s: RenewalState): number | null {
  const f = s.fields;
  if (!f) return null;
  return cents(perYear(f.costPerCycle, cycleMonths(f.cycle)), f.currency, fxOf(s));
}

/** The renewal ahead against the cycle being paid now, in the base currency; null without a baseline. */
export function priceChangePercent(s: RenewalState): number | null {
  const f = s.fields;
  const c = s.cycle;
  if (!f || !c) return null;
  const before = cents(c.cost.amount, c.cost.currency, fxOf(s));
  const now = cents(f.costPerCycle, f.currency, fxOf(s));
  if (before === null || now === null || before === 0) return null;
  return Math.round(((now - before) / before) * 1000) / 10;
}

export function priceRiseCalledOut(s: RenewalState): boolean {
  const change = priceChangePercent(s);
  return change !== null && s.context !== null && change > s.context.rules.priceRiseThresholdPercent;
}

/** The renewal as notices describe it; needs the fields, the context and a plan. */
export function describe(s: RenewalState, today: CalendarDate): RenewalDescription {
  const f = s.fields!;
  const c = s.cycle!;
  const ctx = s.context!;
  const change = priceChangePercent(s);
  const callout = s.budgetCallout && s.budgetCallout.renewalDate === c.renewalDate ? s.budgetCallout : null;
  return {
    subscriptionId: s.subscriptionId,
    tool: f.tool,
    vendor: f.vendor,
    ownerName: ctx.owner.name,
    teamName: ctx.team.name,
    cycle: f.cycle,
    renewalDate: c.renewalDate,
    noticeDeadline: c.plan!.noticeDeadline,
    autoRenews: f.autoRenews,
    costPerCycle: { amount: f.costPerCycle, currency: f.currency },
    perYearCents: perYearCents(s),
    baseCurrency: ctx.fx.base,
    seats: f.seats,
    seatsInUse: f.seatsInUse,
    utilisationPercent: utilisationPercent(f),
    priceChange:
      change === null
        ? null
        : {
            previous: c.cost,
            percent: change,
            calledOut: change > ctx.rules.priceRiseThresholdPercent,
            thresholdPercent: ctx.rules.priceRiseThresholdPercent,
          },
    daysLeft: daysBetween(today, c.plan!.noticeDeadline),
    budget: callout,
  };
}

/** What the tool budget needs from this subscription. */
export function budgetFacts(s: RenewalState): BudgetFacts | null {
  const f = s.fields;
  const c = s.cycle;
  if (!f || !c) return null;
  const addedYear = s.addedOn?.slice(0, 4);
  const payment = (
    number: number,
    start: CalendarDate,
    cost: { amount: number; currency: string },
  ): Payment => ({
    date: start,
    amount: cost.amount,
    currency: cost.currency,
    kind: number === 1 && start.slice(0, 4) === addedYear ? 'added' : 'paid',
  });
  const paid = [
    ...s.history.map((h) => payment(h.number, h.start, h.cost)),
    ...(ended(s) ? [] : [payment(c.number, c.start, c.cost)]),
  ];
  const decision = c.decision && c.decision.decision !== 'undecided' ? c.decision.decision : null;
  return {
    subscriptionId: s.subscriptionId,
    tool: f.tool,
    vendor: f.vendor,
    team: f.team,
    paid,
    upcoming: ended(s)
      ? null
      : {
          renewalDate: c.renewalDate,
          cycleMonths: cycleMonths(f.cycle),
          anchorDay: c.anchorDay,
          amount: f.costPerCycle,
          currency: f.currency,
          decision,
          autoRenews: f.autoRenews,
        },
  };
}

export function memoOf(s: RenewalState): SubscriptionMemo {
  const f = s.fields;
  const c = s.cycle;
  const decision = c?.decision && c.decision.decision !== 'undecided' ? c.decision.decision : null;
  const perYearValue = perYearCents(s);
  return {
    subscriptionId: s.subscriptionId,
    tool: f?.tool ?? s.subscriptionId,
    vendor: f?.vendor ?? null,
    ownerId: f?.ownerId ?? '',
    team: f?.team ?? '',
    lifecycle: s.lifecycle,
    decision,
    escalated: (c?.escalations.length ?? 0) > 0 && decision === null,
    renewalDate: c?.renewalDate ?? null,
    noticeDeadline: c?.plan?.noticeDeadline ?? null,
    nextReminder: nextPendingReminder(s)?.date ?? null,
    perYear:
      perYearValue === null || !s.context ? null : { cents: perYearValue, currency: s.context.fx.base },
    budgetCallout: s.budgetCallout,
    budget: budgetFacts(s),
  };
}

export interface RenewalIndex {
  status: string;
  team: string | null;
  noticeDeadline: CalendarDate | null;
}

export function indexOf(s: RenewalState): RenewalIndex {
  return {
    status: s.lifecycle,
    team: s.fields?.team ?? null,
    noticeDeadline: s.cycle?.plan?.noticeDeadline ?? null,
  };
}

export function statusOf(s: RenewalState, workflowId: string, today: CalendarDate | null): RenewalStatusView {
  const c = s.cycle;
  const change = priceChangePercent(s);
  const perYearValue = perYearCents(s);
  return {
    workflowId,
    subscriptionId: s.subscriptionId,
    lifecycle: s.lifecycle,
    fields: s.fields ? { ...s.fields } : null,
    notionPageId: s.notionPageId,
    problems: s.problems.map((p) => ({ ...p })),
    cycle: c
      ? {
          number: c.number,
          start: c.start,
          renewalDate: c.renewalDate,
          plan: c.plan,
          reminders: c.reminders.map(({ step, date, status, detail }) => ({
            step,
            date,
            status,
            ...(detail ? { detail } : {}),
          })),
          escalations: [...c.escalations],
          decision: c.decision,
          missed: c.missed !== 'no',
        }
      : null,
    perYear:
      perYearValue === null || !s.context ? null : { cents: perYearValue, currency: s.context.fx.base },
    priceChangePercent: change,
    priceRiseCalledOut: priceRiseCalledOut(s),
    utilisationPercent: s.fields ? utilisationPercent(s.fields) : null,
    daysLeft:
      today && c?.plan && !ended(s) && compareDates(c.plan.noticeDeadline, today) >= 0
        ? daysBetween(today, c.plan.noticeDeadline)
        : null,
    budget: s.budgetCallout,
    decisions: s.decisions.map((d) => ({ ...d })),
    snoozes: s.snoozes.map((x) => ({ ...x })),
    history: s.history.map((h) => ({ ...h })),
    artifacts: {
      deadlineEvent: s.applied.deadlineEvent?.id ?? null,
      jiraTask: s.applied.task?.issueKey ?? null,
      exportEvent: s.applied.exportEvent?.id ?? null,
    },
    endedOn: s.endedOn,
    log: s.log.map((l) => ({ ...l })),
  };
}
