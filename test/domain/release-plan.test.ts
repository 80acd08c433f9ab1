/**
 * Release tiering rules: lead times in working days of the PM's calendar with the launch day
 * never counted, weekends and holidays skipped, the Day-3 and Day-14 dates rolled forward, and
 * the table of steps each tier needs. Expected dates are worked out by hand on a wall calendar.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addCalendarDays,
  addWorkingDays,
  isWorkingDay,
  type BusinessCalendar,
} from '../../domain/business-calendar';
import {
  DEFAULT_RELEASE_RULES,
  earliestCompliantLaunch,
  planRelease,
  postLaunchDates,
  stepsFor,
  type ReleaseStepId,
  type Tier,
} from '../../domain/release-plan';

/** Monday to Friday, no holidays. March 2027 starts on a Monday. */
const plain: BusinessCalendar = { name: 'plain', timezone: 'UTC', weekend: ['sat', 'sun'], holidays: [] };
/** The same week with Wednesday 10 March 2027 off. */
const withHoliday: BusinessCalendar = { ...plain, name: 'with-holiday', holidays: ['2027-03-10'] };
/** A Friday–Saturday weekend. */
const sundayToThursday: BusinessCalendar = { ...plain, name: 'sun-thu', weekend: ['fri', 'sat'] };

const rules = DEFAULT_RELEASE_RULES;
const plan = (tier: Tier, launchDate: string, today: string, cal = plain) =>
  planRelease({ tier, launchDate, today }, cal, rules);

describe('planRelease', () => {
  it('Tier 2: the bundle 5 working days before a Monday launch, the launch day not counted', () => {
    expect(plan(2, '2027-03-15', '2027-03-01')).toEqual({
      tier: 2,
      launchDate: '2027-03-15',
      calendar: 'plain',
      bundleDueDate: '2027-03-08', // Fri 12, Thu 11, Wed 10, Tue 9, Mon 8
      readinessCheckDate: null,
      dayThreeCheckIn: '2027-03-18',
      dayFourteenRetro: '2027-03-29',
      late: false,
      earliestCompliantLaunch: null,
    });
  });

  it('Tier 3: the bundle 10 working days before, the readiness check 2 working days before', () => {
    const p = plan(3, '2027-03-15', '2027-03-01');
    expect(p.bundleDueDate).toBe('2027-03-01');
    expect(p.readinessCheckDate).toBe('2027-03-11'); // Fri 12, Thu 11
    expect(p.late).toBe(false);
  });

  it('skips a holiday when counting back', () => {
    // Fri 12, Thu 11, (Wed 10 off), Tue 9, Mon 8, Fri 5.
    expect(plan(2, '2027-03-15', '2027-03-01', withHoliday).bundleDueDate).toBe('2027-03-05');
    expect(plan(3, '2027-03-12', '2027-03-01', withHoliday).readinessCheckDate).toBe('2027-03-09');
  });

  it('a Saturday launch counts back from the Friday before and rolls a weekend Day-14 to Monday', () => {
    const p = plan(3, '2027-03-13', '2027-02-01');
    expect(p.bundleDueDate).toBe('2027-03-01'); // Fri 12 is the first working day counted
    expect(p.readinessCheckDate).toBe('2027-03-11');
    expect(p.dayThreeCheckIn).toBe('2027-03-16');
    expect(p.dayFourteenRetro).toBe('2027-03-29'); // Saturday 27 rolls to Monday 29
    expect(plan(2, '2027-03-13', '2027-02-01').bundleDueDate).toBe('2027-03-08');
  });

  it('counts on the calendar’s own weekend', () => {
    // Launch Sunday 14: Sat 13 and Fri 12 are weekend; Thu 11, Wed 10, Tue 9, Mon 8, Sun 7.
    expect(plan(2, '2027-03-14', '2027-03-01', sundayToThursday).bundleDueDate).toBe('2027-03-07');
  });

  it('is not late on the due date itself, and late the day after with the earliest launch that complies', () => {
    expect(plan(3, '2027-03-15', '2027-03-01')).toMatchObject({ late: false, earliestCompliantLaunch: null });
    // From Tuesday 2 March, ten working days forward: 3, 4, 5, 8, 9, 10, 11, 12, 15, 16.
    expect(plan(3, '2027-03-15', '2027-03-02')).toMatchObject({
      late: true,
      earliestCompliantLaunch: '2027-03-16',
    });
  });

  it('Tier 1 has no bundle, no readiness check, and is never late', () => {
    const p = plan(1, '2027-03-15', '2027-03-14');
    expect(p).toMatchObject({
      bundleDueDate: null,
      readinessCheckDate: null,
      late: false,
      earliestCompliantLaunch: null,
    });
    expect(p.dayThreeCheckIn).toBe('2027-03-18');
    expect(plan(1, '2027-03-15', '2027-04-30').late).toBe(false);
  });
});

describe('earliestCompliantLaunch', () => {
  it('counts from the first working day on or after today', () => {
    // Saturday 6 March: counting starts on Monday 8; five working days forward is Monday 15.
    expect(earliestCompliantLaunch(2, '2027-03-06', plain, rules)).toBe('2027-03-15');
    expect(earliestCompliantLaunch(2, '2027-03-08', plain, rules)).toBe('2027-03-15');
    expect(earliestCompliantLaunch(2, '2027-03-08', withHoliday, rules)).toBe('2027-03-16');
    expect(earliestCompliantLaunch(1, '2027-03-08', plain, rules)).toBeNull();
  });

  it('is the first working-day launch that is not late: the working day before it would be', () => {
    const calendars = [plain, withHoliday, sundayToThursday];
    fc.assert(
      fc.property(
        fc.constantFrom<Tier>(2, 3),
        fc.integer({ min: 0, max: 400 }),
        fc.constantFrom(...calendars),
        (tier, offset, cal) => {
          const today = addCalendarDays('2027-01-01', offset);
          const launch = earliestCompliantLaunch(tier, today, cal, rules)!;
          expect(isWorkingDay(cal, launch)).toBe(true);
          expect(plan(tier, launch, today, cal).late).toBe(false);
          expect(plan(tier, addWorkingDays(cal, launch, -1), today, cal).late).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('postLaunchDates', () => {
  it('three and fourteen calendar days after the actual launch, rolled forward to a working day', () => {
    expect(postLaunchDates('2027-03-12', plain)).toEqual({
      dayThreeCheckIn: '2027-03-15', // Monday 15
      dayFourteenRetro: '2027-03-26',
    });
    // Day 3 of a Sunday 7 March launch is Wednesday 10, a holiday: Thursday 11.
    expect(postLaunchDates('2027-03-07', withHoliday).dayThreeCheckIn).toBe('2027-03-11');
  });
});

describe('stepsFor', () => {
  const ids = (tier: Tier, needed: boolean) =>
    stepsFor(
      tier,
      plan(tier, '2027-03-15', '2027-03-01'),
      { launchDate: '2027-03-15', launchedOn: null },
      plain,
    )
      .filter((s) => s.needed === needed)
      .map((s) => s.id);
  const ALL: ReleaseStepId[] = [
    'release-log',
    'plan-comment',
    'bundle',
    'support-readiness',
    'sales-readiness',
    'readiness-check',
    'go-no-go',
    'launch',
    'weekly-update',
    'day-3-check-in',
    'day-14-retro',
  ];

  it('lists every step in order, each tier needing its own', () => {
    for (const tier of [1, 2, 3] as const)
      expect([...ids(tier, true), ...ids(tier, false)].sort()).toEqual([...ALL].sort());
    expect(ids(1, true)).toEqual(['release-log', 'plan-comment', 'launch', 'weekly-update']);
    expect(ids(2, false)).toEqual(['readiness-check', 'weekly-update']);
    expect(ids(3, false)).toEqual(['weekly-update']);
    expect(
      stepsFor(
        3,
        plan(3, '2027-03-15', '2027-03-01'),
        { launchDate: '2027-03-15', launchedOn: null },
        plain,
      ).map((s) => s.id),
    ).toEqual(ALL);
  });

  it('Tier 1: the weekly update that lists the launch is due within fourteen days, on a working day', () => {
    const due = (launchedOn: string | null) =>
      stepsFor(1, plan(1, '2027-03-15', '2027-03-01'), { launchDate: '2027-03-15', launchedOn }, plain).find(
        (s) => s.id === 'weekly-update',
      );
    // Mon 15 March + 14 = Mon 29 March; launched on Fri 19 March instead: + 14 = Fri 2 April.
    expect(due(null)).toMatchObject({
      title: 'PM updates weekly product update',
      due: '2027-03-29',
      needed: true,
    });
    expect(due('2027-03-19')?.due).toBe('2027-04-02');
    // Launched on Sat 20 March: + 14 = Sat 3 April, rolled forward to Mon 5 April.
    expect(due('2027-03-20')?.due).toBe('2027-04-05');
  });

  it('Tier 2: a lite bundle and an asynchronous go/no-go due on launch day', () => {
    const steps = stepsFor(
      2,
      plan(2, '2027-03-15', '2027-03-01'),
      { launchDate: '2027-03-15', launchedOn: null },
      plain,
    );
    const byId = Object.fromEntries(steps.map((s) => [s.id, s]));
    expect(byId.bundle).toMatchObject({ title: 'Enablement bundle (lite) published', due: '2027-03-08' });
    expect(byId['go-no-go']).toMatchObject({ title: 'Go/no-go by the PM (asynchronous)', due: '2027-03-15' });
    expect(byId['support-readiness']!.due).toBe('2027-03-15');
    expect(byId['day-14-retro']).toMatchObject({ title: 'Day-14 retro (asynchronous)', due: '2027-03-29' });
    expect(byId['release-log']!.due).toBeNull();
  });

  it('Tier 3: the full bundle, the go/no-go at the readiness check, a 15-minute retro', () => {
    const steps = stepsFor(
      3,
      plan(3, '2027-03-15', '2027-03-01'),
      { launchDate: '2027-03-15', launchedOn: null },
      plain,
    );
    const byId = Object.fromEntries(steps.map((s) => [s.id, s]));
    expect(byId.bundle).toMatchObject({ title: 'Full enablement bundle published', due: '2027-03-01' });
    expect(byId['readiness-check']).toMatchObject({ due: '2027-03-11', needed: true });
    expect(byId['go-no-go']).toMatchObject({
      title: 'Go/no-go by the PM at the readiness check',
      due: '2027-03-11',
    });
    expect(byId['day-14-retro']!.title).toBe('Day-14 retro (15 minutes)');
  });

  it('once launched, Day-3 and Day-14 count from the actual launch', () => {
    const steps = stepsFor(
      2,
      plan(2, '2027-03-15', '2027-03-01'),
      { launchDate: '2027-03-15', launchedOn: '2027-03-17' },
      plain,
    );
    const byId = Object.fromEntries(steps.map((s) => [s.id, s]));
    expect(byId['day-3-check-in']!.due).toBe('2027-03-22'); // Saturday 20 rolls to Monday 22
    expect(byId['day-14-retro']!.due).toBe('2027-03-31');
    expect(byId.launch!.due).toBe('2027-03-15');
  });
});
