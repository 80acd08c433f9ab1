/**
 * A renewal cycle's dates: the notice deadline moved back to a working day, the reminder ladder
 * inside the cycle with past steps dropped and one catch-up, the escalation, months added with
 * the month end clamped, and the checks on a subscription's fields.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addCalendarDays,
  compareDates,
  isWorkingDay,
  type BusinessCalendar,
} from '../../domain/business-calendar';
import {
  addMonths,
  cycleLengthDays,
  cycleMonths,
  firstRenewalAfter,
  nextRenewal,
  noticeDeadline,
  parseCycle,
  planRenewal,
} from '../../domain/renewal-plan';
import { checkSubscription, subscriptionDirectory, utilisationPercent } from '../../domain/subscription';
import { loadExampleConfig } from '../helpers/config';

/** Weekends and 2027-04-30 (a Friday) off. */
const cal: BusinessCalendar = {
  name: 'test',
  timezone: 'Europe/London',
  weekend: ['sat', 'sun'],
  holidays: ['2027-04-30'],
};
const rules = { reminderDays: [90, 60, 30, 14, 7], escalationWorkingDays: 2 };

describe('months', () => {
  it('adds calendar months, clamping a day the month does not have and returning to the contract day', () => {
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2027-02-28', 1, 31)).toBe('2027-03-31');
    expect(addMonths('2027-03-31', -1)).toBe('2027-02-28');
    expect(addMonths('2026-11-30', 3)).toBe('2027-02-28');
    expect(addMonths('2027-12-15', 1)).toBe('2028-01-15');
    expect(nextRenewal('2027-01-31', 1)).toBe('2027-02-28');
    expect(nextRenewal('2024-02-29', 12)).toBe('2025-02-28');
    expect(firstRenewalAfter('2025-01-31', 1, '2025-03-10')).toBe('2025-03-31');
    expect(firstRenewalAfter('2025-06-01', 12, '2025-06-01')).toBe('2026-06-01');
  });

  it('going forward a cycle and back lands on the same day for a contract day every month has', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 1, max: 24 }),
        (offset, day, months) => {
          const date = addCalendarDays('2026-01-01', offset).slice(0, 8) + String(day).padStart(2, '0');
          expect(addMonths(addMonths(date, months), -months)).toBe(date);
        },
      ),
    );
  });

  it('reads cycles as people write them, and refuses the rest', () => {
    expect(
      ['monthly', 'Quarterly', 'ANNUAL', 'yearly', '6m', 'every 6 months', 'semi-annual', '12m', '1m'].map(
        parseCycle,
      ),
    ).toEqual(['monthly', 'quarterly', 'annual', 'annual', '6m', '6m', '6m', 'annual', 'monthly']);
    expect(cycleMonths('18m')).toBe(18);
    expect(() => parseCycle('weekly')).toThrow(/"weekly" is not a cycle/);
    expect(() => parseCycle('0m')).toThrow(/is not a cycle/);
    expect(() => parseCycle('61m')).toThrow(/is not a cycle/);
  });
});

describe('planRenewal', () => {
  it('moves the notice deadline back to the previous working day, never after it', () => {
    // 2027-06-01 minus 30 days is 2027-05-02, a Sunday: the Friday before, 2027-04-30, is a holiday.
    expect(noticeDeadline(cal, '2027-06-01', 30)).toBe('2027-04-29');
    expect(noticeDeadline(cal, '2027-06-03', 30)).toBe('2027-05-04');
  });

  it('lays the ladder on working days of this cycle, in date order, with the escalation 2 working days before', () => {
    const plan = planRenewal(
      { renewalDate: '2027-06-03', noticeDays: 30, cycleMonths: 12, today: '2026-11-27' },
      cal,
      rules,
    );
    expect(plan).toMatchObject({
      cycleStart: '2026-06-03',
      noticeDeadline: '2027-05-04',
      escalationDate: '2027-04-29',
      missed: false,
      catchUpReminder: false,
      nextRenewal: '2028-06-03',
    });
    expect(plan.reminders).toEqual([
      { date: '2027-02-03', daysBeforeDeadline: 90 },
      { date: '2027-03-05', daysBeforeDeadline: 60 },
      { date: '2027-04-02', daysBeforeDeadline: 30 }, // 2027-04-04 is a Sunday
      { date: '2027-04-20', daysBeforeDeadline: 14 },
      { date: '2027-04-27', daysBeforeDeadline: 7 },
    ]);
    for (const r of plan.reminders) expect(isWorkingDay(cal, r.date)).toBe(true);
  });

  it('keeps only the reminders inside the cycle: a monthly contract gets what fits in its month', () => {
    const plan = planRenewal(
      { renewalDate: '2027-03-15', noticeDays: 5, cycleMonths: 1, today: '2026-11-27' },
      cal,
      rules,
    );
    expect(plan.cycleStart).toBe('2027-02-15');
    expect(plan.reminders.map((r) => r.daysBeforeDeadline)).toEqual([14, 7]);
    expect(plan.dropped).toEqual([]);
    expect(plan.catchUpReminder).toBe(false);
  });

  it('drops reminders already past and catches up once while the deadline is ahead; none once it has passed', () => {
    const late = planRenewal(
      { renewalDate: '2027-06-03', noticeDays: 30, cycleMonths: 12, today: '2027-03-20' },
      cal,
      rules,
    );
    expect(late.dropped.map((r) => r.daysBeforeDeadline)).toEqual([90, 60]);
    expect(late.reminders.map((r) => r.daysBeforeDeadline)).toEqual([30, 14, 7]);
    expect(late.catchUpReminder).toBe(true);
    const onTheDay = planRenewal(
      { renewalDate: '2027-06-03', noticeDays: 30, cycleMonths: 12, today: '2027-04-02' },
      cal,
      rules,
    );
    expect(onTheDay.reminders[0]).toEqual({ date: '2027-04-02', daysBeforeDeadline: 30 });
    const missed = planRenewal(
      { renewalDate: '2027-06-03', noticeDays: 30, cycleMonths: 12, today: '2027-05-05' },
      cal,
      rules,
    );
    expect(missed).toMatchObject({ missed: true, catchUpReminder: false, reminders: [] });
  });

  it('lets a reminder on or after the escalation date give way to it, and merges steps moved onto one day', () => {
    const plan = planRenewal(
      { renewalDate: '2027-06-03', noticeDays: 30, cycleMonths: 12, today: '2026-11-27' },
      cal,
      { reminderDays: [8, 7, 6, 1], escalationWorkingDays: 2 },
    );
    // 8, 7 and 6 days before 2027-05-04 are Monday 26, Tuesday 27 and Wednesday 28 April.
    expect(plan.reminders).toEqual([
      { date: '2027-04-26', daysBeforeDeadline: 8 },
      { date: '2027-04-27', daysBeforeDeadline: 7 },
      { date: '2027-04-28', daysBeforeDeadline: 6 },
    ]);
    const weekend = planRenewal(
      { renewalDate: '2027-06-03', noticeDays: 30, cycleMonths: 12, today: '2026-11-27' },
      cal,
      { reminderDays: [9, 10, 11], escalationWorkingDays: 2 },
    );
    // 9 and 10 days before fall on the weekend of 24–25 April: with 11 (Friday 23) they make one reminder.
    expect(weekend.reminders).toEqual([{ date: '2027-04-23', daysBeforeDeadline: 11 }]);
  });

  it('always puts the deadline on a working day on or before the renewal date less the notice', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 120 }), (offset, notice) => {
        const renewal = addCalendarDays('2026-01-01', offset);
        const deadline = noticeDeadline(cal, renewal, notice);
        expect(isWorkingDay(cal, deadline)).toBe(true);
        expect(compareDates(deadline, addCalendarDays(renewal, -notice))).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe('checkSubscription', () => {
  const directory = subscriptionDirectory(loadExampleConfig());
  const valid = {
    tool: 'Figma',
    owner: 'ana@northwind.example',
    costPerCycle: '1,200.50',
    currency: 'eur',
    cycle: 'Annual',
    renewalDate: '2027-06-01',
    noticeDays: 30,
    seats: 10,
    seatsInUse: 7,
  };

  it('reads a subscription as Notion or the command line write it', () => {
    const checked = checkSubscription(valid, directory);
    expect(checked.ok).toBe(true);
    expect(checked.ok && checked.fields).toMatchObject({
      ownerId: 'ana',
      team: 'growth',
      costPerCycle: 1200.5,
      currency: 'EUR',
      cycle: 'annual',
      autoRenews: true,
    });
    expect(utilisationPercent({ seats: 10, seatsInUse: 7 })).toBe(70);
    expect(utilisationPercent({ seats: 10, seatsInUse: null })).toBeNull();
  });

  it('names every field with a problem at once', () => {
    const checked = checkSubscription(
      {
        ...valid,
        tool: ' ',
        owner: 'kim',
        team: 'sales',
        costPerCycle: 'a lot',
        currency: 'JPY',
        cycle: 'weekly',
        renewalDate: '2027-02-30',
        noticeDays: 2.5,
        seats: -1,
        autoRenews: 'perhaps',
      },
      directory,
    );
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problems.map((p) => p.field)).toEqual([
      'tool',
      'owner',
      'team',
      'costPerCycle',
      'currency',
      'cycle',
      'renewalDate',
      'noticeDays',
      'autoRenews',
      'seats',
    ]);
    expect(!checked.ok && checked.problems.find((p) => p.field === 'currency')!.message).toBe(
      'JPY is an unknown currency: renewals.fxRates has no rate for it (known: GBP, EUR, USD)',
    );
  });

  it('refuses a notice period longer than the cycle', () => {
    expect(cycleLengthDays('2027-03-31', 1)).toBe(31);
    expect(cycleLengthDays('2027-02-28', 1, 31)).toBe(28);
    const monthly = checkSubscription(
      { ...valid, cycle: 'monthly', renewalDate: '2027-03-01', noticeDays: 30 },
      directory,
    );
    expect(!monthly.ok && monthly.problems).toEqual([
      {
        field: 'noticeDays',
        message:
          '30 days is longer than the cycle (28 days up to 2027-03-01): the notice would fall in the cycle before',
      },
    ]);
    expect(
      checkSubscription({ ...valid, cycle: 'monthly', renewalDate: '2027-04-01', noticeDays: 31 }, directory)
        .ok,
    ).toBe(true);
  });
});
