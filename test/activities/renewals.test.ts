/**
 * The renewal core activities over the configuration and the memos a listing would hold: a
 * subscription's context checked field by field, with its team's budget position; the year's
 * budget with the subscriptions whose position changed; newer facts laid over the listing.
 */
import { describe, expect, it } from 'vitest';
import { createRenewalActivities, overlayFacts } from '../../activities/renewals';
import type { BudgetFacts } from '../../domain/budget';
import type { SubscriptionMemo } from '../../workflows/renewal/messages';
import { renewalsConfig, YEAR } from '../workflows/renewal/harness';

const config = renewalsConfig();

function memo(
  id: string,
  team: string,
  amount: number,
  renewalDate: string,
  callout: SubscriptionMemo['budgetCallout'] = null,
): SubscriptionMemo {
  const budget: BudgetFacts = {
    subscriptionId: id,
    tool: id,
    vendor: null,
    team,
    paid: [],
    upcoming: {
      renewalDate,
      cycleMonths: 12,
      anchorDay: Number(renewalDate.slice(8)),
      amount,
      currency: 'GBP',
      decision: null,
      autoRenews: true,
    },
  };
  return {
    subscriptionId: id,
    tool: id,
    vendor: null,
    ownerId: 'ana',
    team,
    lifecycle: 'active',
    decision: null,
    escalated: false,
    renewalDate,
    noticeDeadline: null,
    nextReminder: null,
    perYear: null,
    budgetCallout: callout,
    budget,
  };
}

describe('loadRenewalContext', () => {
  const activities = createRenewalActivities({
    config: () => config,
    subscriptions: async () => [memo('salesforce', 'growth', 40000, `${YEAR + 1}-02-01`)],
  });
  const years = { from: YEAR - 1, to: YEAR + 2 };

  it('names every field the configuration refuses', async () => {
    expect(
      await activities.loadRenewalContext({
        subscriptionId: 'x',
        owner: 'kim',
        team: 'sales',
        currency: 'JPY',
        years,
        facts: null,
      }),
    ).toEqual({
      ok: false,
      problems: [
        { field: 'owner', message: '"kim" is not a person in the configuration' },
        {
          field: 'team',
          message:
            '"sales" is not a team in the configuration (it has product-ops, growth, platform, insights, gtm, legal, finance, security, it)',
        },
        {
          field: 'currency',
          message: 'JPY is an unknown currency: renewals.fxRates has no rate for it (known: GBP, EUR, USD)',
        },
      ],
    });
  });

  it('resolves the owner by email, their manager, the budget owner, procurement and the calendar', async () => {
    const loaded = await activities.loadRenewalContext({
      subscriptionId: 'figma',
      owner: 'ana@northwind.example',
      team: null,
      currency: 'EUR',
      years,
      facts: null,
    });
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.ownerId).toBe('ana');
    expect(loaded.team).toBe('growth');
    expect(loaded.context).toMatchObject({
      owner: { id: 'ana', calendar: 'london', team: 'growth' },
      manager: { id: 'hana' },
      budgetOwner: { id: 'hana' },
      procurement: { id: 'tom', jiraAccountId: '5f1a000000000000000000tom' },
      team: { id: 'growth', name: 'Growth pod' },
      fx: { base: 'GBP', rates: { EUR: 0.85, USD: 0.79 } },
      jira: { projectKey: 'REL', cancelledStatus: 'Cancelled' },
      budget: null,
    });
    expect(loaded.context.calendar.holidays).toContain(`${YEAR + 1}-12-25`);
  });

  it('reads the team’s budget position for the renewal ahead, with this change laid over the listing', async () => {
    const renewalDate = `${YEAR + 1}-06-01`;
    const facts = memo('figma', 'growth', 5000, renewalDate).budget!;
    const loaded = await activities.loadRenewalContext({
      subscriptionId: 'figma',
      owner: 'ana',
      team: 'growth',
      currency: 'GBP',
      years,
      facts,
    });
    expect(loaded.ok && loaded.context.budget).toEqual({
      renewalDate,
      callout: expect.objectContaining({
        team: 'growth',
        budgetCents: 4_200_000,
        committedCents: 4_500_000,
        overByCents: 300_000,
        tipsOver: true,
      }) as unknown,
    });
  });
});

describe('computeToolBudget', () => {
  it('computes the year, its page, and the subscriptions whose position changed', async () => {
    const renewal = `${YEAR + 1}-03-01`;
    const figma = memo('figma', 'growth', 30000, renewal);
    const stale = memo('slack', 'growth', 1000, `${YEAR + 1}-04-01`, null);
    const activities = createRenewalActivities({
      config: () => config,
      subscriptions: async () => [figma, stale],
    });
    // A newer change to Figma, not yet in the listing, takes growth over its 42,000.
    const result = await activities.computeToolBudget({
      year: YEAR + 1,
      overlay: [{ subscriptionId: 'figma', facts: memo('figma', 'growth', 45000, renewal).budget, at: 2 }],
      at: '2026-11-27 10:00 UTC',
    });
    expect(result.dataSourceId).toBe(config.integrations.notion.dataSources.toolBudgets);
    expect(result.properties).toMatchObject({
      Name: { title: `Tool budget ${YEAR + 1}` },
      Committed: { number: 46000 },
      Position: { select: 'Over budget' },
    });
    expect(result.positions.map((p) => [p.subscriptionId, p.position.callout?.overByCents])).toEqual([
      ['figma', 400_000],
      ['slack', 400_000],
    ]);
    expect(
      result.document.some((b) => 'text' in b && b.text === 'Growth pod: over budget by GBP 4,000.00'),
    ).toBe(true);
  });

  it('lays the newest facts over the listing, and drops a subscription whose facts are gone', () => {
    const listed = [memo('a', 'growth', 1, `${YEAR}-12-01`), memo('b', 'growth', 2, `${YEAR}-12-01`)];
    const facts = overlayFacts(listed, [
      { subscriptionId: 'a', facts: memo('a', 'growth', 10, `${YEAR}-12-01`).budget, at: 5 },
      { subscriptionId: 'a', facts: memo('a', 'growth', 9, `${YEAR}-12-01`).budget, at: 4 },
      { subscriptionId: 'b', facts: null, at: 1 },
    ]);
    expect(facts.map((f) => [f.subscriptionId, f.upcoming!.amount])).toEqual([['a', 10]]);
  });
});
