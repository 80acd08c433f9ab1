/**
 * Onboarding dates on the example's London calendar, counted by hand, and the rules they share
 * with release lead times; the intake checks; the configuration's onboarding section.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addWorkingDays, isWorkingDay, workingDaysBetween } from '../../domain/business-calendar';
import { ConfigError, parseOrgConfig } from '../../domain/config';
import { resolveBusinessCalendar } from '../../domain/holidays';
import { freelancerIdFromEmail, intakeProblems, type IntakeFields } from '../../domain/onboarding-intake';
import {
  DEFAULT_ONBOARDING_RULES,
  earliestFeasibleStart,
  OnboardingDateError,
  onboardingRulesFrom,
  planOnboarding,
  startDateProblem,
} from '../../domain/onboarding-plan';
import { bundleDueDate, DEFAULT_RELEASE_RULES } from '../../domain/release-plan';
import { exampleConfigText, loadExampleConfig } from '../helpers/config';

const config = loadExampleConfig();
const london = resolveBusinessCalendar(config, 'london', { from: 2025, to: 2028 });

describe('the onboarding plan', () => {
  it('counts across the year-end shutdown exactly as a Tier 3 lead time does', () => {
    const plan = planOnboarding(
      { startDate: '2027-01-11', endDate: '2027-06-30', today: '2026-12-01' },
      london,
    );
    // The Contract tasks' ten working days are a Tier 3 bundle's ten working days.
    expect(plan.contractDue).toBe(bundleDueDate(3, '2027-01-11', london, DEFAULT_RELEASE_RULES));
    expect(plan).toMatchObject({
      contractDue: '2026-12-17',
      securityApprovalDue: '2027-01-04',
      accessDue: '2027-01-06',
      buddyDue: '2027-01-06',
      welcomeSession: '2027-01-11',
      firstWeekCheckIn: '2027-01-15',
      thirtyDayReview: '2027-02-10',
      extensionDecisionDue: '2027-06-16',
      accessRevokedBy: '2027-07-01',
      finalInvoiceDue: '2027-07-07',
      late: false,
    });
  });

  it('moves a 30-day review that falls on a day off forward to the next working day', () => {
    // Friday 2027-04-23 + 30 days is Sunday 23 May: the review is on Monday 24 May.
    expect(
      planOnboarding({ startDate: '2027-04-23', endDate: null, today: '2027-01-04' }, london).thirtyDayReview,
    ).toBe('2027-05-24');
  });

  it('"N working days before the start" never counts the start, for any working-day start', () => {
    const starts = fc
      .integer({ min: 0, max: 700 })
      .map((n) => addWorkingDays(london, '2026-01-02', n))
      .filter((d) => isWorkingDay(london, d));
    fc.assert(
      fc.property(starts, (start) => {
        const plan = planOnboarding({ startDate: start, endDate: null, today: '2025-06-01' }, london);
        expect(workingDaysBetween(london, plan.contractDue, start)).toBe(10);
        expect(workingDaysBetween(london, plan.securityApprovalDue, start)).toBe(5);
        expect(workingDaysBetween(london, plan.accessDue, start)).toBe(3);
        // The check-in is the 5th working day with the start the first.
        expect(workingDaysBetween(london, start, plan.firstWeekCheckIn)).toBe(4);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a start that is not a working day, naming the next one, and an end before the start', () => {
    expect(startDateProblem(london, '2027-01-09')).toBe(
      'start date 2027-01-09 is a Saturday on the london calendar, not a working day: the next working day is 2027-01-11',
    );
    expect(startDateProblem(london, '2026-12-29')).toMatch(/is a day off .* next working day is 2027-01-04/);
    expect(() =>
      planOnboarding({ startDate: '2027-01-11', endDate: '2027-01-10', today: '2027-01-01' }, london),
    ).toThrow(new OnboardingDateError('endDate', 'end date 2027-01-10 is before the start date 2027-01-11'));
  });

  it('proposes, from the work still open, the earliest start whose open gate is due today', () => {
    const today = '2027-02-03'; // a Wednesday
    expect(earliestFeasibleStart('contract', today, london, DEFAULT_ONBOARDING_RULES)).toBe('2027-02-17');
    expect(earliestFeasibleStart('security', today, london, DEFAULT_ONBOARDING_RULES)).toBe('2027-02-10');
    expect(earliestFeasibleStart('access', today, london, DEFAULT_ONBOARDING_RULES)).toBe('2027-02-08');
    // From a Saturday, counting starts on the Monday.
    expect(earliestFeasibleStart('contract', '2027-02-06', london, DEFAULT_ONBOARDING_RULES)).toBe(
      '2027-02-22',
    );
  });

  it('reads its rules from the configuration, the defaults without an onboarding section', () => {
    expect(onboardingRulesFrom(config.onboarding)).toEqual(DEFAULT_ONBOARDING_RULES);
    expect(onboardingRulesFrom(undefined)).toEqual(DEFAULT_ONBOARDING_RULES);
  });
});

describe('an intake', () => {
  const intake: IntakeFields = {
    freelancerId: 'jo.park',
    name: 'Jo Park',
    email: 'jo.park@studio.example',
    role: 'product_designer',
    team: 'growth',
    manager: 'ana',
    country: 'GB',
    startDate: '2027-01-11',
    endDate: '2027-06-30',
    tools: ['jira', 'figma'],
  };

  it('passes when every field holds', () => {
    expect(intakeProblems(config, intake, london, '2026-12-01')).toEqual([]);
    expect(
      intakeProblems(config, { ...intake, manager: 'ANA@northwind.example' }, london, '2026-12-01'),
    ).toEqual([]);
  });

  it('names every field that does not, all at once', () => {
    const problems = intakeProblems(
      config,
      {
        ...intake,
        freelancerId: 'Jo Park',
        team: 'design',
        manager: 'ana',
        email: 'ana@northwind.example',
        country: 'Britain',
        startDate: '2027-01-09',
        endDate: '2027-01-08',
        tools: ['figma', 'photoshop'],
        dayRate: { amount: -5, currency: 'pounds' },
      },
      london,
      '2026-12-01',
    );
    expect(problems.map((p) => p.field)).toEqual([
      'freelancerId',
      'team',
      'manager',
      'country',
      'startDate',
      'endDate',
      'tools',
      'dayRate',
      'dayRate',
    ]);
    expect(problems.find((p) => p.field === 'manager')!.message).toBe(
      'ana is the freelancer: a freelancer cannot be their own hiring manager',
    );
    expect(problems.find((p) => p.field === 'startDate')!.message).toContain(
      'the next working day is 2027-01-11',
    );
    expect(problems.find((p) => p.field === 'tools')!.message).toBe(
      '"photoshop" is not a tool of onboarding.tools (jira, notion, google, slack, github, figma)',
    );
  });

  it('refuses a start in the past and an unknown manager', () => {
    const problems = intakeProblems(config, { ...intake, manager: 'kim' }, london, '2027-01-12');
    expect(problems).toEqual([
      { field: 'manager', message: '"kim" is not a person in the configuration' },
      { field: 'startDate', message: '2027-01-11 is in the past (today is 2027-01-12)' },
    ]);
  });

  it('takes the freelancer id from the email when none is given', () => {
    expect(freelancerIdFromEmail('Jo.Park+work@studio.example')).toBe('jo.park-work');
  });
});

describe('the onboarding configuration', () => {
  const problemsOf = (text: string): string[] => {
    try {
      parseOrgConfig(text);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
      throw error;
    }
    return [];
  };
  const example = exampleConfigText();

  it('names a team that owns onboarding work without a lead or a Jira project', () => {
    const text = example.replace(
      '{ id: legal, name: Legal, lead: lucia, jiraProjectKey: LEGAL }',
      '{ id: legal, name: Legal }',
    );
    expect(problemsOf(text)).toEqual([
      'teams[5].jiraProjectKey: is required: legal owns the legal tasks of onboarding (onboarding.owners.legal)',
      'teams[5].lead: is required: legal owns the legal tasks of onboarding and its lead is assigned them',
    ]);
  });

  it('names an owner that is not a team, a buddy who is not a person, a tool listed twice, lead times out of order', () => {
    const text = example
      .replace('owners: { legal: legal,', 'owners: { legal: lawyers,')
      .replace('buddies: { growth: ben,', 'buddies: { growth: kim,')
      .replace('{ id: figma, name: Figma }', '{ id: jira, name: Figma }')
      .replace('{ contract: 10, securityApproval: 5,', '{ contract: 4, securityApproval: 5,');
    expect(problemsOf(text)).toEqual([
      'onboarding.workingDaysBeforeStart: must count down: contract ≥ securityApproval ≥ access (each gate opens after the one before)',
      'onboarding.owners.legal: "lawyers" is not a team (onboarding needs a legal team)',
      'onboarding.tools[5].id: "jira" is listed twice',
      'onboarding.buddies.growth: "kim" is not a person',
    ]);
  });

  it('needs no onboarding section: without it, no engagement starts', () => {
    const minimal = `
calendars: { london: { timezone: Europe/London, weekend: [sat, sun] } }
teams: [{ id: t, name: Team }]
people: [{ id: a, name: A, email: a@x.example, role: pm, team: t, calendar: london }]
`;
    const parsed = parseOrgConfig(minimal);
    expect(parsed.onboarding).toBeUndefined();
    expect(
      intakeProblems(
        parsed,
        {
          freelancerId: 'jo',
          name: 'Jo',
          email: 'jo@y.example',
          role: 'pm',
          team: 't',
          manager: 'a',
          country: 'GB',
          startDate: '2030-01-07',
          endDate: '2030-02-07',
          tools: [],
        },
        null,
        '2029-01-01',
      ),
    ).toEqual([{ field: 'onboarding', message: 'the configuration has no onboarding section' }]);
  });
});
