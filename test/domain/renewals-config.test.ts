/** The `renewals:` section of the configuration: defaults, and every mistake named by its path. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseOrgConfig } from '../../domain/config';
import { exampleConfigText, loadExampleConfig } from '../helpers/config';

function problemsOf(text: string): string[] {
  try {
    parseOrgConfig(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

const example = exampleConfigText();
const replaced = (from: string, to: string) => {
  expect(example).toContain(from);
  return example.replace(from, to);
};

describe('renewals configuration', () => {
  it('reads the example, and defaults every setting when the section is absent', () => {
    const config = loadExampleConfig();
    expect(config.renewals).toMatchObject({
      reminderDaysBeforeDeadline: [90, 60, 30, 14, 7],
      escalationWorkingDaysBeforeDeadline: 2,
      priceRiseThresholdPercent: 10,
      procurementContact: 'tom',
      budgetOwner: 'hana',
      baseCurrency: 'GBP',
      fxRates: { EUR: 0.85, USD: 0.79 },
    });
    expect(config.renewals.budgets['2027']!.growth).toBe(42000);
    expect(config.integrations.notion.dataSources.toolBudgets).toBe('2a1f3c4d-0000-4000-8000-00000000a009');
    const minimal = parseOrgConfig(`
calendars: { london: { timezone: Europe/London, weekend: [sat, sun] } }
teams: [{ id: t, name: Team }]
people: [{ id: a, name: A, email: a@x.example, role: pm, team: t, calendar: london }]
`);
    expect(minimal.renewals).toEqual({
      reminderDaysBeforeDeadline: [90, 60, 30, 14, 7],
      escalationWorkingDaysBeforeDeadline: 2,
      priceRiseThresholdPercent: 10,
      noticeTime: '09:00',
      exportReminderWorkingDays: 5,
      baseCurrency: 'USD',
      fxRates: {},
      budgets: {},
    });
  });

  const mistakes: [string, string, string][] = [
    [
      'an unknown procurement contact',
      replaced('procurementContact: tom', 'procurementContact: zed'),
      'renewals.procurementContact: "zed" is not a person',
    ],
    [
      'an unknown budget owner',
      replaced('budgetOwner: hana', 'budgetOwner: kim'),
      'renewals.budgetOwner: "kim" is not a person',
    ],
    [
      'a budget for a team that does not exist',
      replaced('2027: { product-ops: 12000,', '2027: { sales: 5, product-ops: 12000,'),
      'renewals.budgets.2027.sales: "sales" is not a team',
    ],
    [
      'a budget that is not a number',
      replaced('growth: 42000', 'growth: lots'),
      'renewals.budgets.2027.growth: must be a number',
    ],
    [
      'a year that is not a year',
      replaced('    2027: {', '    27: {'),
      'renewals.budgets.27: must be a year such as 2027',
    ],
    [
      'a currency code that is not one',
      replaced('fxRates: { EUR: 0.85', 'fxRates: { euro: 0.85'),
      'renewals.fxRates.euro: must be an ISO 4217 currency code such as EUR',
    ],
    ['a rate of zero', replaced('USD: 0.79', 'USD: 0'), 'renewals.fxRates.USD: must be above zero'],
    [
      'the base currency given a rate',
      replaced('fxRates: { EUR: 0.85', 'fxRates: { GBP: 1.1, EUR: 0.85'),
      'renewals.fxRates: the base currency is worth 1 of itself: leave it out of fxRates',
    ],
    [
      'a reminder listed twice',
      replaced('[90, 60, 30, 14, 7]', '[90, 30, 30]'),
      'renewals.reminderDaysBeforeDeadline: lists a day twice',
    ],
    [
      'a reminder on the deadline',
      replaced('[90, 60, 30, 14, 7]', '[90, 0]'),
      'renewals.reminderDaysBeforeDeadline[1]: must be at least 1',
    ],
    [
      'a negative threshold',
      replaced('priceRiseThresholdPercent: 10', 'priceRiseThresholdPercent: -5'),
      'renewals.priceRiseThresholdPercent: must not be negative',
    ],
    [
      'a typo in a setting',
      replaced('budgetOwner: hana', 'budgetOwnr: hana'),
      'renewals.budgetOwnr: is not a known field',
    ],
  ];

  it.each(mistakes)('names %s', (_what, text, problem) => {
    expect(problemsOf(text)).toContain(problem);
  });
});
