/**
 * What renewal notices, tasks, events and the budget page say. Every reminder carries what the
 * owner needs to decide: the cost per year in the base currency, seats in use against seats,
 * the change in price since the last cycle (a rise above the threshold called out), the days
 * left, and the team's budget when this renewal takes it over.
 */
import type { CalendarDate } from './business-calendar';
import { formatCents, formatMoney, type BudgetCallout, type BudgetView, type Money } from './budget';
import type { PageDocument } from './document';
import { describeCycle, type CycleSpec } from './renewal-plan';
import type { Decision } from './subscription';

export interface Notice {
  subject: string;
  text: string;
}

export interface PriceChange {
  previous: Money;
  /** Percent change in the base currency, one decimal. */
  percent: number;
  /** A rise above the threshold. */
  calledOut: boolean;
  thresholdPercent: number;
}

/** One renewal as notices describe it. */
export interface RenewalDescription {
  subscriptionId: string;
  tool: string;
  vendor: string | null;
  ownerName: string;
  teamName: string;
  cycle: CycleSpec;
  renewalDate: CalendarDate;
  noticeDeadline: CalendarDate;
  autoRenews: boolean;
  costPerCycle: Money;
  /** Cost per year in minor units of the base currency; null without a rate. */
  perYearCents: number | null;
  baseCurrency: string;
  seats: number | null;
  seatsInUse: number | null;
  utilisationPercent: number | null;
  priceChange: PriceChange | null;
  /** Calendar days from today to the notice deadline (negative once past). */
  daysLeft: number;
  budget: BudgetCallout | null;
}

const name = (d: RenewalDescription) => (d.vendor ? `${d.tool} (${d.vendor})` : d.tool);

function daysLeftText(days: number): string {
  if (days > 1) return `${days} days left`;
  if (days === 1) return '1 day left';
  if (days === 0) return 'the deadline is today';
  return `the deadline passed ${-days} day${days === -1 ? '' : 's'} ago`;
}

export function priceChangeText(change: PriceChange | null): string {
  if (!change) return 'Price change since the last cycle: none recorded yet.';
  if (change.percent === 0) return `Price since the last cycle: unchanged (${formatMoney(change.previous)}).`;
  const direction = change.percent > 0 ? 'up' : 'down';
  const line = `Price since the last cycle: ${direction} ${Math.abs(change.percent).toFixed(1)}% (was ${formatMoney(change.previous)}).`;
  return change.calledOut
    ? `PRICE RISE: ${line.replace('Price since the last cycle: ', '')} This is above the ${change.thresholdPercent}% threshold: check the quote before renewing.`
    : line;
}

export function budgetText(callout: BudgetCallout | null): string | null {
  if (!callout) return null;
  const money = (cents: number) => formatCents(cents, callout.baseCurrency);
  return `OVER BUDGET: with this renewal (${money(callout.renewalCents)}), ${callout.teamName} has committed ${money(callout.committedCents)} of its ${callout.year} tool budget of ${money(callout.budgetCents)}, ${money(callout.overByCents)} over.${callout.tipsOver ? ' This renewal is what takes it over.' : ' It was over before this renewal.'}`;
}

/** The facts block every notice about a renewal shares. */
export function renewalFacts(d: RenewalDescription): string[] {
  const seats =
    d.seats === null
      ? 'Seats: not recorded.'
      : d.seatsInUse === null
        ? `Seats: ${d.seats} bought, use not recorded.`
        : `Seats: ${d.seatsInUse} in use of ${d.seats} (${d.utilisationPercent ?? 0}% utilisation).`;
  const budget = budgetText(d.budget);
  return [
    `Renews: ${d.renewalDate}${d.autoRenews ? ' (renews by itself unless notice is given)' : ' (lapses unless renewed)'}; cycle ${describeCycle(d.cycle)}.`,
    `Notice deadline: ${d.noticeDeadline} (${daysLeftText(d.daysLeft)}).`,
    `Cost: ${formatMoney(d.costPerCycle)} per cycle${d.perYearCents === null ? '' : `, ${formatCents(d.perYearCents, d.baseCurrency)} per year`}.`,
    seats,
    priceChangeText(d.priceChange),
    ...(budget ? [budget] : []),
    `Owner: ${d.ownerName} (${d.teamName}).`,
  ];
}

export function howToDecide(d: RenewalDescription): string[] {
  return [
    'Decide by setting Decision on the subscription in Notion (Renew, Renegotiate, Downsize or Cancel), or:',
    `  npx prodops renewal decide ${d.subscriptionId} --decision renew|renegotiate|downsize|cancel --by <you>`,
    `Not now: npx prodops renewal snooze ${d.subscriptionId} --until YYYY-MM-DD --by <you>`,
  ];
}

export function reminderNotice(d: RenewalDescription, step: number | 'catch-up'): Notice {
  const opening =
    step === 'catch-up'
      ? `${name(d)} reached prodops after some of its reminders were due: this one catches up.`
      : `${name(d)} renews soon: this is the ${step}-day reminder before its notice deadline.`;
  return {
    subject: `[prodops] Renewal: ${d.tool} — notice deadline ${d.noticeDeadline} (${daysLeftText(d.daysLeft)})${d.priceChange?.calledOut ? ' — price rise' : ''}${d.budget ? ' — over budget' : ''}`,
    text: [opening, '', ...renewalFacts(d), '', ...howToDecide(d)].join('\n'),
  };
}

export function escalationNotice(d: RenewalDescription, recipients: string[]): Notice {
  return {
    subject: `[prodops] Escalation: no decision on ${d.tool} — notice deadline ${d.noticeDeadline} (${daysLeftText(d.daysLeft)})`,
    text: [
      `${d.ownerName} has not decided whether to renew ${name(d)}, and its notice deadline is ${d.noticeDeadline}.`,
      `You are told as ${recipients.join(' and ')}; this repeats every working day until a decision is recorded.`,
      '',
      ...renewalFacts(d),
      '',
      ...howToDecide(d),
    ].join('\n'),
  };
}

/** The notice deadline passed (or had passed when the subscription arrived) without a decision. */
export function missedNotice(d: RenewalDescription, arrivedLate: boolean, nextRenewal: CalendarDate): Notice {
  const outcome = d.autoRenews
    ? `It renews on ${d.renewalDate} for another cycle, to ${nextRenewal}.`
    : `It does not renew by itself: it lapses on ${d.renewalDate} unless it is renewed.`;
  return {
    subject: `[prodops] Missed notice deadline: ${d.tool} ${d.autoRenews ? `renews on ${d.renewalDate}` : `lapses on ${d.renewalDate}`}`,
    text: [
      arrivedLate
        ? `${name(d)} was added after its notice deadline (${d.noticeDeadline}).`
        : `No decision on ${name(d)} was recorded by its notice deadline (${d.noticeDeadline}).`,
      outcome,
      `The next cycle is planned: its reminders start ahead of the deadline before ${nextRenewal}.`,
      '',
      ...renewalFacts(d),
    ].join('\n'),
  };
}

export const DECISION_LABEL: Record<Decision, string> = {
  renew: 'Renew',
  renegotiate: 'Renegotiate',
  downsize: 'Downsize',
  cancel: 'Cancel',
};

/** The Jira task for whoever gives notice or negotiates with the vendor. */
export function procurementTask(
  d: RenewalDescription,
  decision: Exclude<Decision, 'renew'>,
  decidedBy: string,
  late: boolean,
): { summary: string; description: string } {
  const seats =
    d.seats === null
      ? 'Seats: not recorded.'
      : `Seats in use: ${d.seatsInUse ?? 'not recorded'} of ${d.seats} bought${d.utilisationPercent === null ? '' : ` (${d.utilisationPercent}%)`}.`;
  const ask: Record<typeof decision, string> = {
    cancel: `Give ${d.vendor ?? 'the vendor'} notice that ${d.tool} will not renew on ${d.renewalDate}. Get the cancellation confirmed in writing.`,
    renegotiate: `Renegotiate ${d.tool} with ${d.vendor ?? 'the vendor'} before the notice deadline: price and terms for the cycle from ${d.renewalDate}.`,
    downsize: `Reduce ${d.tool} to the seats in use before the notice deadline, for the cycle from ${d.renewalDate}.`,
  };
  return {
    summary: `${DECISION_LABEL[decision]} ${d.tool}${d.vendor ? ` (${d.vendor})` : ''} by ${d.noticeDeadline}`,
    description: [
      ask[decision],
      late
        ? `The notice deadline (${d.noticeDeadline}) had already passed when this was decided: ask whether late notice is accepted.`
        : `Notice deadline: ${d.noticeDeadline}.`,
      '',
      seats,
      `Cost: ${formatMoney(d.costPerCycle)} per cycle${d.perYearCents === null ? '' : `, ${formatCents(d.perYearCents, d.baseCurrency)} per year`}.`,
      priceChangeText(d.priceChange),
      `Decided by ${decidedBy}; owner ${d.ownerName} (${d.teamName}).`,
      `Subscription: ${d.subscriptionId}`,
    ].join('\n'),
  };
}

export function exportReminder(d: RenewalDescription): { summary: string; description: string } {
  return {
    summary: `Export your data from ${d.tool} before it ends on ${d.renewalDate}`,
    description: `${name(d)} is being cancelled and ends on ${d.renewalDate}. Export what you need to keep (documents, history, integrations' settings) before then.`,
  };
}

export function deadlineEvent(d: RenewalDescription): { summary: string; description: string } {
  return {
    summary: `Notice deadline: ${d.tool}${d.vendor ? ` (${d.vendor})` : ''}`,
    description: [
      `Last day to give notice on ${d.tool}, which ${d.autoRenews ? 'renews by itself' : 'lapses unless renewed'} on ${d.renewalDate}.`,
      `Cost: ${formatMoney(d.costPerCycle)} per cycle${d.perYearCents === null ? '' : `, ${formatCents(d.perYearCents, d.baseCurrency)} per year`}.`,
      ...howToDecide(d),
    ].join('\n'),
  };
}

/** The "Tool budget YYYY" page. */
export function budgetDocument(view: BudgetView, updatedAt: string): PageDocument {
  const money = (cents: number) => formatCents(cents, view.baseCurrency);
  const rates = Object.entries(view.rates)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, rate]) => `${currency} ${rate}`)
    .join(', ');
  const doc: PageDocument = [
    {
      type: 'paragraph',
      text: `Committed tool spend for ${view.year} against each team's budget, in ${view.baseCurrency}${rates ? ` at the fixed rates of the configuration (${rates})` : ''}. Kept current by prodops after every change (last ${updatedAt}): edits here are overwritten.`,
    },
    {
      type: 'callout',
      emoji: view.totals.remainingCents < 0 ? '🔴' : '🟢',
      text: `All teams: budget ${money(view.totals.budgetCents)}, committed ${money(view.totals.committedCents)}, remaining ${money(view.totals.remainingCents)}.`,
    },
  ];
  for (const team of view.teams) {
    const position =
      team.position === 'over'
        ? `over budget by ${money(-(team.remainingCents ?? 0))}`
        : team.position === 'under'
          ? `within budget, ${money(team.remainingCents ?? 0)} left`
          : 'no budget set';
    doc.push({ type: 'heading_2', text: `${team.teamName}: ${position}` });
    doc.push({
      type: 'paragraph',
      text: `Budget ${team.budgetCents === null ? 'not set' : money(team.budgetCents)} · committed ${money(team.committedCents)} · remaining ${team.remainingCents === null ? 'n/a' : money(team.remainingCents)}`,
    });
    for (const line of team.lines)
      doc.push({ type: 'bulleted_list_item', text: budgetLineText(line, view.baseCurrency) });
  }
  for (const problem of view.problems) doc.push({ type: 'callout', emoji: '⚠️', text: problem });
  return doc;
}

export function budgetLineText(line: BudgetView['teams'][number]['lines'][number], base: string): string {
  const kind = line.kind === 'renewal' ? 'renews' : line.kind === 'added' ? 'added' : 'renewed';
  const converted =
    line.baseCents === null || line.currency === base ? '' : ` = ${formatCents(line.baseCents, base)}`;
  return `${line.date} ${line.tool}${line.vendor ? ` (${line.vendor})` : ''} ${kind}: ${formatMoney(line)}${converted}${line.note ? ` — ${line.note}` : ''}`;
}
