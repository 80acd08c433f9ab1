/**
 * What the owner, the escalation's readers and procurement are told: every reminder carries the
 * cost per year in the base currency, the seats in use against seats, the price change (a rise
 * above the threshold called out) and the days left; the procurement task of each decision says
 * what to do and with how many seats.
 */
import { describe, expect, it } from 'vitest';
import {
  escalationNotice,
  missedNotice,
  procurementTask,
  reminderNotice,
  type RenewalDescription,
} from '../../domain/renewal-content';

const figma = (over: Partial<RenewalDescription> = {}): RenewalDescription => ({
  subscriptionId: 'figma',
  tool: 'Figma',
  vendor: 'Figma Inc.',
  ownerName: 'Ana Ortiz',
  teamName: 'Growth pod',
  cycle: 'annual',
  renewalDate: '2027-06-01',
  noticeDeadline: '2027-04-30',
  autoRenews: true,
  costPerCycle: { amount: 12000, currency: 'USD' },
  perYearCents: 948_000,
  baseCurrency: 'GBP',
  seats: 40,
  seatsInUse: 29,
  utilisationPercent: 73,
  priceChange: null,
  daysLeft: 30,
  budget: null,
  ...over,
});

describe('reminders', () => {
  it('carry the cost per year in the base currency, the seats, the price change and the days left', () => {
    const notice = reminderNotice(
      figma({
        priceChange: {
          previous: { amount: 11500, currency: 'USD' },
          percent: 4.3,
          calledOut: false,
          thresholdPercent: 10,
        },
      }),
      30,
    );
    expect(notice.subject).toBe('[prodops] Renewal: Figma — notice deadline 2027-04-30 (30 days left)');
    expect(notice.text).toContain('this is the 30-day reminder before its notice deadline');
    expect(notice.text).toContain('Cost: USD 12,000.00 per cycle, GBP 9,480.00 per year.');
    expect(notice.text).toContain('Seats: 29 in use of 40 (73% utilisation).');
    expect(notice.text).toContain('Price since the last cycle: up 4.3% (was USD 11,500.00).');
    expect(notice.text).toContain('Notice deadline: 2027-04-30 (30 days left).');
    expect(notice.text).toContain('npx prodops renewal decide figma --decision');
    expect(notice.text).not.toMatch(/PRICE RISE|OVER BUDGET/);
  });

  it('call out a rise above the threshold and a renewal that takes the team over budget, in subject and text', () => {
    const notice = reminderNotice(
      figma({
        daysLeft: 1,
        priceChange: {
          previous: { amount: 10000, currency: 'USD' },
          percent: 20,
          calledOut: true,
          thresholdPercent: 10,
        },
        budget: {
          year: 2027,
          team: 'growth',
          teamName: 'Growth pod',
          renewalDate: '2027-06-01',
          budgetCents: 4_200_000,
          committedCents: 4_500_000,
          overByCents: 300_000,
          renewalCents: 948_000,
          tipsOver: true,
          baseCurrency: 'GBP',
        },
      }),
      7,
    );
    expect(notice.subject).toBe(
      '[prodops] Renewal: Figma — notice deadline 2027-04-30 (1 day left) — price rise — over budget',
    );
    expect(notice.text).toContain(
      'PRICE RISE: up 20.0% (was USD 10,000.00). This is above the 10% threshold: check the quote before renewing.',
    );
    expect(notice.text).toContain(
      'OVER BUDGET: with this renewal (GBP 9,480.00), Growth pod has committed GBP 45,000.00 of its 2027 tool budget of GBP 42,000.00, GBP 3,000.00 over. This renewal is what takes it over.',
    );
  });

  it('say when seats or a rate are not known rather than showing a figure', () => {
    const unknown = reminderNotice(
      figma({ seatsInUse: null, utilisationPercent: null, perYearCents: null }),
      90,
    );
    expect(unknown.text).toContain('Seats: 40 bought, use not recorded.');
    expect(unknown.text).toContain('Cost: USD 12,000.00 per cycle.');
    expect(reminderNotice(figma({ seats: null, seatsInUse: null }), 90).text).toContain(
      'Seats: not recorded.',
    );
    expect(reminderNotice(figma(), 'catch-up').text).toContain('this one catches up');
  });
});

describe('escalations and missed deadlines', () => {
  it('tell the manager and the budget owner who has not decided, and that it repeats each working day', () => {
    const notice = escalationNotice(figma({ daysLeft: 0 }), ['Ana’s manager', 'the budget owner']);
    expect(notice.subject).toBe(
      '[prodops] Escalation: no decision on Figma — notice deadline 2027-04-30 (the deadline is today)',
    );
    expect(notice.text).toContain('Ana Ortiz has not decided whether to renew Figma (Figma Inc.)');
    expect(notice.text).toContain('this repeats every working day until a decision is recorded');
  });

  it('say whether a missed subscription renews or lapses on its date', () => {
    expect(missedNotice(figma({ daysLeft: -3 }), true, '2028-06-01')).toMatchObject({
      subject: '[prodops] Missed notice deadline: Figma renews on 2027-06-01',
      text: expect.stringContaining('It renews on 2027-06-01 for another cycle, to 2028-06-01.') as unknown,
    });
    const lapses = missedNotice(figma({ autoRenews: false, daysLeft: -3 }), false, '2028-06-01');
    expect(lapses.subject).toBe('[prodops] Missed notice deadline: Figma lapses on 2027-06-01');
    expect(lapses.text).toContain('No decision on Figma (Figma Inc.) was recorded by its notice deadline');
    expect(lapses.text).toContain('the deadline passed 3 days ago');
  });
});

describe('procurement tasks', () => {
  it('ask for the right thing for each decision, with the seats in use against the seats bought', () => {
    const renegotiate = procurementTask(figma(), 'renegotiate', 'Hana', false);
    expect(renegotiate.summary).toBe('Renegotiate Figma (Figma Inc.) by 2027-04-30');
    expect(renegotiate.description).toContain('Renegotiate Figma with Figma Inc. before the notice deadline');
    expect(renegotiate.description).toContain('Seats in use: 29 of 40 bought (73%).');
    expect(renegotiate.description).toContain('Notice deadline: 2027-04-30.');
    expect(renegotiate.description).toContain('Decided by Hana; owner Ana Ortiz (Growth pod).');

    const downsize = procurementTask(figma({ vendor: null }), 'downsize', 'Ana Ortiz', false);
    expect(downsize.summary).toBe('Downsize Figma by 2027-04-30');
    expect(downsize.description).toContain('Reduce Figma to the seats in use before the notice deadline');
    expect(downsize.description).toContain('Seats in use: 29 of 40 bought (73%).');

    const cancel = procurementTask(figma(), 'cancel', 'Ana Ortiz', true);
    expect(cancel.description).toContain('Give Figma Inc. notice that Figma will not renew on 2027-06-01.');
    expect(cancel.description).toContain(
      'had already passed when this was decided: ask whether late notice is accepted',
    );
  });
});
