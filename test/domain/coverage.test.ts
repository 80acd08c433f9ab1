/**
 * The pure leave rules: windows and half days, gate 1 (releases, minimum on duty, blackouts),
 * nearby dates, buddy ranking and availability, and working-day deadlines.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadExampleConfig } from '../helpers/config';
import { buildLeaveContext } from '../../activities/leave';
import {
  addWorkingDays,
  isWorkingDay,
  weekdayOf,
  zonedDateTimeToInstant,
  type BusinessCalendar,
} from '../../domain/business-calendar';
import {
  afterWorkingDays,
  blackoutConflicts,
  busyShare,
  coverageRequestFor,
  coverageShortfalls,
  dueIssuesJql,
  evaluateGateOne,
  fullDaysOf,
  leaveDays,
  LeaveInputError,
  normaliseWindow,
  offDutyReason,
  rankCandidates,
  releaseCommitments,
  releaseConflicts,
  suggestAlternatives,
  windowInstants,
  windowLocalTimes,
  type CoveragePerson,
  type LeaveWindow,
  type ReleaseStatusFacts,
  type TeamReservation,
} from '../../domain/coverage';

const config = loadExampleConfig();
const YEARS = { from: 2026, to: 2028 };
/** gita and hugo are insights' two PMs; insights needs one PM on duty. */
const gita = buildLeaveContext(config, 'gita', YEARS);
const london = gita.calendars.london!;

const full = (from: string, to: string): LeaveWindow => normaliseWindow({ from, to });

function refusal(input: Parameters<typeof normaliseWindow>[0]): LeaveInputError {
  try {
    normaliseWindow(input);
  } catch (error) {
    if (error instanceof LeaveInputError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

function release(overrides: Partial<ReleaseStatusFacts> = {}): ReleaseStatusFacts {
  return {
    issueKey: 'REL-7',
    title: 'Usage-based billing',
    tier: 3,
    pmId: 'gita',
    phase: 'planning',
    plan: { launchDate: '2027-03-10', readinessCheckDate: '2027-03-08', dayFourteenRetro: '2027-03-24' },
    steps: [
      { id: 'readiness-check', due: '2027-03-08', status: 'pending' },
      { id: 'day-14-retro', due: '2027-03-24', status: 'pending' },
    ],
    ...overrides,
  };
}

function reservation(personId: string, fullDays: string[], role = 'product_manager'): TeamReservation {
  return {
    workflowId: `leave:${personId}:${fullDays[0]}`,
    personId,
    role,
    from: fullDays[0]!,
    to: fullDays[fullDays.length - 1]!,
    fullDays,
    days: fullDays,
    status: 'pending',
    buddyId: null,
  };
}

describe('leave windows', () => {
  it('fills in full days and keeps half days at the ends', () => {
    expect(normaliseWindow({ from: '2027-03-01', to: '2027-03-05' })).toEqual({
      from: '2027-03-01',
      to: '2027-03-05',
      firstDay: 'full',
      lastDay: 'full',
    });
    expect(
      normaliseWindow({ from: '2027-03-01', to: '2027-03-03', firstDay: 'afternoon', lastDay: 'morning' }),
    ).toEqual({
      from: '2027-03-01',
      to: '2027-03-03',
      firstDay: 'afternoon',
      lastDay: 'morning',
    });
    expect(normaliseWindow({ from: '2027-03-01', to: '2027-03-01', lastDay: 'morning' })).toEqual({
      from: '2027-03-01',
      to: '2027-03-01',
      firstDay: 'morning',
      lastDay: 'morning',
    });
  });

  it('refuses bad windows, naming the field and the problem', () => {
    expect(refusal({ from: '2027-02-30', to: '2027-03-01' }).message).toBe(
      'from must be a date written YYYY-MM-DD, got "2027-02-30"',
    );
    expect(refusal({ from: '2027-03-05', to: '2027-03-01' }).field).toBe('to');
    expect(refusal({ from: '2027-03-05', to: '2027-03-01' }).message).toMatch(/before from/);
    expect(refusal({ from: '2027-03-01', to: '2027-03-05', firstDay: 'morning' }).message).toMatch(
      /^firstDay cannot be morning on a leave of several days/,
    );
    expect(refusal({ from: '2027-03-01', to: '2027-03-05', lastDay: 'afternoon' }).field).toBe('lastDay');
    expect(
      refusal({ from: '2027-03-01', to: '2027-03-01', firstDay: 'morning', lastDay: 'afternoon' }).field,
    ).toBe('lastDay');
    expect(refusal({ from: '2027-03-01', to: '2027-03-02', firstDay: 'evening' as never }).message).toBe(
      'firstDay must be full, morning or afternoon, got "evening"',
    );
    expect(refusal({ from: '2027-01-01', to: '2029-01-01' }).message).toMatch(/at most 366 days/);
  });

  it('needs coverage on working days only, and counts only full days against the minimum', () => {
    // Friday afternoon to the Tuesday morning after: the weekend needs nobody.
    const window = normaliseWindow({
      from: '2027-03-05',
      to: '2027-03-09',
      firstDay: 'afternoon',
      lastDay: 'morning',
    });
    expect(weekdayOf('2027-03-05')).toBe('fri');
    const days = leaveDays(window, london);
    expect(days).toEqual([
      { date: '2027-03-05', part: 'afternoon' },
      { date: '2027-03-08', part: 'full' },
      { date: '2027-03-09', part: 'morning' },
    ]);
    expect(fullDaysOf(days)).toEqual(['2027-03-08']);
    // Christmas week: the company shutdown days are not leave.
    expect(leaveDays(full('2026-12-21', '2026-12-31'), london).map((d) => d.date)).toEqual([
      '2026-12-21',
      '2026-12-22',
      '2026-12-23',
    ]);
  });

  it('turns half days into event times at the noon boundary of the requester zone', () => {
    const window = normaliseWindow({
      from: '2027-03-05',
      to: '2027-03-09',
      firstDay: 'afternoon',
      lastDay: 'morning',
    });
    expect(windowLocalTimes(window)).toEqual({ start: '2027-03-05T13:00', end: '2027-03-09T13:00' });
    expect(windowLocalTimes(full('2027-03-01', '2027-03-01'))).toEqual({
      start: '2027-03-01T00:00',
      end: '2027-03-02T00:00',
    });
    expect(windowInstants(window, 'America/New_York')).toEqual({
      start: Date.parse('2027-03-05T18:00:00Z'),
      end: Date.parse('2027-03-09T18:00:00Z'),
    });
  });
});

describe('gate 1', () => {
  it('reads the launch, readiness check and retro a release holds its PM to', () => {
    expect(releaseCommitments(release()).map((c) => [c.kind, c.date])).toEqual([
      ['launch', '2027-03-10'],
      ['readiness-check', '2027-03-08'],
      ['retro', '2027-03-24'],
    ]);
    expect(releaseCommitments(release({ tier: 1 }))).toEqual([]);
    expect(releaseCommitments(release({ phase: 'done' }))).toEqual([]);
    const launched = release({
      phase: 'launched',
      steps: [
        { id: 'readiness-check', due: '2027-03-08', status: 'done' },
        { id: 'day-14-retro', due: '2027-03-29', status: 'pending' },
      ],
    });
    expect(releaseCommitments(launched).map((c) => [c.kind, c.date])).toEqual([['retro', '2027-03-29']]);
    const retroHeld = release({
      phase: 'launched',
      steps: [{ id: 'day-14-retro', due: '2027-03-24', status: 'done' }],
    });
    expect(releaseCommitments(retroHeld)).toEqual([]);
  });

  it('refuses a window holding a launch, readiness check or retro of the requester, and nothing else', () => {
    const commitments = releaseCommitments(release());
    expect(releaseConflicts(full('2027-03-09', '2027-03-12'), commitments).map((r) => r.message)).toEqual([
      'you own the launch of Usage-based billing (REL-7, Tier 3) on 2027-03-10',
    ]);
    expect(releaseConflicts(full('2027-03-01', '2027-03-08'), commitments).map((r) => r.dates)).toEqual([
      ['2027-03-08'],
    ]);
    expect(releaseConflicts(full('2027-03-11', '2027-03-23'), commitments)).toEqual([]);
  });

  it('applies a blackout to its teams only, and to any window that touches it', () => {
    const blackouts = config.leave.blackouts;
    const touching = full('2027-03-25', '2027-03-29');
    expect(blackoutConflicts(touching, 'growth', blackouts)).toEqual([
      {
        kind: 'blackout',
        message: 'the window touches the blackout 2027-03-29 to 2027-04-02: Q2 launch train',
        dates: ['2027-03-29'],
      },
    ]);
    expect(blackoutConflicts(touching, 'insights', blackouts)).toEqual([]);
    expect(blackoutConflicts(full('2026-12-11', '2026-12-14'), 'insights', blackouts)).toHaveLength(1);
    expect(blackoutConflicts(full('2026-12-12', '2026-12-14'), 'insights', blackouts)).toEqual([]);
  });

  it('counts who is left on duty: falls short exactly when fewer than the minimum remain', () => {
    const people = ['a', 'b', 'c', 'd', 'e'];
    const dates = ['2027-03-01', '2027-03-02', '2027-03-03'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.tuple(fc.constantFrom(...people.slice(1)), fc.subarray(dates)), { maxLength: 6 }),
        (minimum, held) => {
          const onDuty = Object.fromEntries(dates.map((d) => [d, people]));
          const reservations = held.map(([id, days]) =>
            reservation(id, days.length > 0 ? days : [dates[0]!]),
          );
          const shortfalls = coverageShortfalls({
            role: 'product_manager',
            minimum,
            onDuty,
            requesterId: 'a',
            requesterFullDays: dates,
            reservations,
          });
          for (const date of dates) {
            const off = new Set([
              'a',
              ...reservations.filter((r) => r.fullDays.includes(date)).map((r) => r.personId),
            ]);
            const left = people.filter((p) => !off.has(p)).length;
            expect(shortfalls.some((s) => s.date === date)).toBe(minimum > 0 && left < minimum);
          }
        },
      ),
    );
  });

  it('passes one insights PM and refuses the second for the same days, naming the dates', () => {
    const window = full('2027-03-01', '2027-03-03');
    expect(evaluateGateOne({ context: gita, window, commitments: [], reservations: [] })).toEqual({
      passed: true,
      reasons: [],
    });
    const hugoOff = reservation('hugo', ['2027-03-02', '2027-03-03', '2027-03-04']);
    const refused = evaluateGateOne({ context: gita, window, commitments: [], reservations: [hugoOff] });
    expect(refused.passed).toBe(false);
    expect(refused.reasons).toEqual([
      {
        kind: 'coverage',
        message:
          'Insights pod needs at least 1 product_manager on duty; with this leave it would have 0 on 2027-03-02, 2027-03-03, counting leave already confirmed or pending',
        dates: ['2027-03-02', '2027-03-03'],
      },
    ]);
    // A half day on the shared dates leaves gita there for half of it: not a shortfall.
    const halfDay = normaliseWindow({ from: '2027-03-01', to: '2027-03-02', lastDay: 'morning' });
    expect(
      evaluateGateOne({ context: gita, window: halfDay, commitments: [], reservations: [hugoOff] }).passed,
    ).toBe(true);
    expect(coverageRequestFor(gita, halfDay).fullDays).toEqual(['2027-03-01']);
  });

  it('gathers every reason at once and refuses a window without working days', () => {
    const ana = buildLeaveContext(config, 'ana', YEARS);
    const window = full('2027-03-29', '2027-04-01');
    const result = evaluateGateOne({
      context: ana,
      window,
      commitments: releaseCommitments(
        release({
          pmId: 'ana',
          plan: { launchDate: '2027-03-30', readinessCheckDate: null, dayFourteenRetro: '2027-04-13' },
          tier: 2,
          steps: [],
        }),
      ),
      // Easter Monday (29 March) is a bank holiday in London: the shortfall falls on the Tuesday.
      reservations: [reservation('ben', ['2027-03-30']), reservation('chloe', ['2027-03-30'])],
    });
    expect(result.reasons.map((r) => r.kind)).toEqual(['release', 'coverage', 'blackout']);
    expect(
      evaluateGateOne({
        context: ana,
        window: full('2027-03-06', '2027-03-07'),
        commitments: [],
        reservations: [],
      }).reasons[0]?.kind,
    ).toBe('window');
  });

  it('suggests the nearest windows of the same shape that pass, never in the past', () => {
    const window = full('2027-03-02', '2027-03-03');
    const hugoOff = reservation('hugo', ['2027-03-01', '2027-03-02', '2027-03-03', '2027-03-04']);
    const passes = (w: LeaveWindow) =>
      evaluateGateOne({ context: gita, window: w, commitments: [], reservations: [hugoOff] }).passed;
    expect(suggestAlternatives(window, london, '2027-02-20', passes)).toEqual([
      full('2027-02-25', '2027-02-26'),
      full('2027-03-05', '2027-03-08'),
      full('2027-02-24', '2027-02-25'),
    ]);
    expect(suggestAlternatives(window, london, '2027-03-01', passes)[0]).toEqual(
      full('2027-03-05', '2027-03-08'),
    );
  });

  it('only ever suggests passing windows with as many working days and the same half days', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom('full', 'afternoon'),
        fc.constantFrom('full', 'morning'),
        fc.integer({ min: 0, max: 3 }),
        (offset, length, firstDay, lastDay, seed) => {
          const from = addWorkingDays(london, '2027-01-04', offset);
          const window = normaliseWindow({
            from,
            to: addWorkingDays(london, from, length),
            ...(length > 0 ? { firstDay: firstDay, lastDay: lastDay } : {}),
          });
          const passes = (w: LeaveWindow) => (Number(w.from.slice(8)) + seed) % 3 === 0;
          const found = suggestAlternatives(window, london, '2027-01-04', passes);
          expect(found.length).toBeLessThanOrEqual(3);
          for (const w of found) {
            expect(passes(w)).toBe(true);
            expect(leaveDays(w, london)).toHaveLength(leaveDays(window, london).length);
            expect(w.firstDay).toBe(window.firstDay);
            expect(w.from >= '2027-01-04').toBe(true);
          }
        },
      ),
    );
  });
});

describe('buddy matching', () => {
  const peer = (id: string, team: string, extra: Partial<CoveragePerson> = {}): CoveragePerson => ({
    id,
    name: id,
    email: `${id}@x.example`,
    role: 'pm',
    team,
    calendar: 'london',
    managerId: 'boss',
    buddyId: null,
    jiraAccountId: null,
    ...extra,
  });

  it('prefers the configured buddy, then the team, then whoever covered least recently', () => {
    const requester = peer('ana', 'growth', { buddyId: 'zed' });
    const peers = [
      requester,
      peer('boss', 'growth'),
      peer('ben', 'growth'),
      peer('cat', 'growth'),
      peer('dan', 'platform'),
      peer('eve', 'platform'),
      peer('zed', 'platform'),
      peer('sam', 'growth', { role: 'support' }),
    ];
    const ranked = rankCandidates(requester, peers, [
      { personId: 'ben', lastCoveredOn: '2027-02-01', times: 3 },
      { personId: 'dan', lastCoveredOn: '2027-01-01', times: 1 },
      { personId: 'zed', lastCoveredOn: '2027-02-20', times: 5 },
    ]);
    expect(ranked.map((r) => [r.person.id, r.preference])).toEqual([
      ['zed', 'configured-buddy'],
      ['cat', 'same-team'],
      ['ben', 'same-team'],
      ['eve', 'other-team'],
      ['dan', 'other-team'],
    ]);
  });

  it('never offers the requester, their manager or another role, in any organisation', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            team: fc.constantFrom('t1', 't2'),
            role: fc.constantFrom('pm', 'eng'),
            covered: fc.option(fc.integer({ min: 1, max: 28 }), { nil: null }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.nat(),
        (shape, pick) => {
          const peers = shape.map((s, i) =>
            peer(`p${i}`, s.team, { role: s.role, managerId: `p${(i + 1) % shape.length}` }),
          );
          const requester = peers[pick % peers.length]!;
          const history = shape.flatMap((s, i) =>
            s.covered
              ? [
                  {
                    personId: `p${i}`,
                    lastCoveredOn: `2027-02-${String(s.covered).padStart(2, '0')}`,
                    times: 1,
                  },
                ]
              : [],
          );
          const ranked = rankCandidates(requester, peers, history);
          for (const r of ranked) {
            expect(r.person.id).not.toBe(requester.id);
            expect(r.person.id).not.toBe(requester.managerId);
            expect(r.person.role).toBe(requester.role);
          }
          const eligible = peers.filter(
            (p) => p.role === requester.role && p.id !== requester.id && p.id !== requester.managerId,
          );
          expect(ranked).toHaveLength(eligible.length);
          // Same team first.
          const teams = ranked.map((r) => (r.person.team === requester.team ? 0 : 1));
          expect([...teams].sort((a, b) => a - b)).toEqual(teams);
        },
      ),
    );
  });

  it('reads free/busy as the share of working hours taken', () => {
    const at = (time: string) => zonedDateTimeToInstant('2027-03-02', time, 'Europe/London');
    expect(busyShare([{ start: at('09:00'), end: at('13:00') }], '2027-03-02', 'Europe/London')).toBe(0.5);
    expect(
      busyShare(
        [
          { start: at('08:00'), end: at('10:00') },
          { start: at('09:30'), end: at('11:00') },
          { start: at('16:00'), end: at('23:00') },
        ],
        '2027-03-02',
        'Europe/London',
      ),
    ).toBe(3 / 8);
  });

  it('says why someone cannot cover: a day off of their own, leave, or a full calendar', () => {
    const telAviv: BusinessCalendar = buildLeaveContext(config, 'omar', YEARS).calendars['tel-aviv']!;
    expect(isWorkingDay(telAviv, '2027-03-05')).toBe(false);
    expect(offDutyReason(telAviv, ['2027-03-04', '2027-03-05'], [], [])).toBe(
      '2027-03-05 is not a working day on the tel-aviv calendar',
    );
    expect(offDutyReason(london, ['2027-03-02'], [], ['2027-03-02'])).toBe('on leave on 2027-03-02');
    const allDay = {
      start: zonedDateTimeToInstant('2027-03-02', '00:00', 'Europe/London'),
      end: zonedDateTimeToInstant('2027-03-03', '00:00', 'Europe/London'),
    };
    expect(offDutyReason(london, ['2027-03-01', '2027-03-02'], [allDay], [])).toBe(
      'busy for most of 2027-03-02 on their calendar',
    );
    expect(offDutyReason(london, ['2027-03-01'], [allDay], [])).toBeNull();
  });
});

describe('gate 2 timing and hand-over', () => {
  it('counts reminders in working days at the same local time', () => {
    const friday = Date.parse(zonedDateTimeToInstant('2027-03-05', '10:30', 'Europe/London'));
    expect(new Date(afterWorkingDays(london, friday, 1)).toISOString()).toBe(
      zonedDateTimeToInstant('2027-03-08', '10:30', 'Europe/London'),
    );
    // Good Friday and Easter Monday 2027 are English bank holidays.
    const thursday = Date.parse(zonedDateTimeToInstant('2027-03-25', '16:00', 'Europe/London'));
    expect(new Date(afterWorkingDays(london, thursday, 1)).toISOString()).toBe(
      zonedDateTimeToInstant('2027-03-30', '16:00', 'Europe/London'),
    );
  });

  it('asks Jira for the requester issues due inside the window, quoting the account id', () => {
    expect(dueIssuesJql('5f1a"x', full('2027-03-01', '2027-03-05'))).toBe(
      'assignee = "5f1a\\"x" AND duedate >= "2027-03-01" AND duedate <= "2027-03-05" ORDER BY duedate ASC',
    );
  });
});
