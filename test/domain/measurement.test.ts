/**
 * The measurement plan over known releases and weeks, against figures counted by hand.
 */
import { describe, expect, it } from 'vitest';
import { addCalendarDays } from '../../domain/business-calendar';
import {
  expectedWeeksSince,
  measure,
  releaseRecordOf,
  weeklyTrend,
  type ReleaseStatusView,
  type WeeklyUpdateRecord,
} from '../../domain/measurement';

type Overrides = Partial<ReleaseStatusView> & { issueKey: string };

/** A release status as the workflow reports it; steps from the overrides. */
function release(o: Overrides & { checkIn?: string; asked?: boolean }): ReleaseStatusView {
  const launch = o.launchedOn ?? o.plan?.launchDate ?? '2026-03-16';
  return {
    title: o.issueKey,
    tier: 2,
    pmId: 'ana',
    productArea: null,
    phase: o.launchedOn ? 'done' : 'planning',
    enablement: 'released',
    launchedOn: null,
    flags: { late: false, atRisk: false, onHold: false, launchOverdue: false },
    awareness: [],
    ...o,
    plan: {
      launchDate: launch,
      bundleDueDate: '2026-03-09',
      dayThreeCheckIn: o.checkIn ?? launch,
      ...o.plan,
    },
    steps: [
      ...(o.steps ?? []),
      { id: 'day-3-check-in', status: o.asked ? 'done' : 'pending', due: o.checkIn ?? null },
    ],
  };
}

const releases = [
  // Launched in March with the bundle published the week before: covered, compliant.
  release({
    issueKey: 'REL-1',
    launchedOn: '2026-03-16',
    bundlePublishedOn: '2026-03-06',
    bundlePublishedBeforeLaunch: true,
    checkIn: '2026-03-19',
    asked: true,
    awareness: [
      { by: 'maya', team: 'support', aware: true, at: '' },
      { by: 'nora', team: 'sales', aware: true, at: '' },
    ],
  }),
  // Tier 3, bundle published after its due date but before launch: covered, not compliant;
  // Sales said they did not know: a surprise.
  release({
    issueKey: 'REL-2',
    tier: 3,
    launchedOn: '2026-03-20',
    plan: { launchDate: '2026-03-20', bundleDueDate: '2026-03-06', dayThreeCheckIn: '2026-03-25' },
    bundlePublishedOn: '2026-03-12',
    bundlePublishedBeforeLaunch: true,
    checkIn: '2026-03-25',
    asked: true,
    awareness: [
      { by: 'maya', team: 'support', aware: true, at: '' },
      { by: 'nora', team: 'sales', aware: false, at: '' },
    ],
  }),
  // Launched without a bundle: not covered; its due date passed unpublished: not compliant;
  // nobody answered the check-in.
  release({
    issueKey: 'REL-3',
    launchedOn: '2026-03-27',
    plan: { launchDate: '2026-03-27', bundleDueDate: '2026-03-20', dayThreeCheckIn: '2026-03-30' },
    checkIn: '2026-03-30',
    asked: true,
  }),
  // Older runs: the publication read from the bundle step's note; published on launch day, with
  // no instant to show it came before the release: not covered.
  release({
    issueKey: 'REL-4',
    launchedOn: '2026-03-10',
    plan: { launchDate: '2026-03-10', bundleDueDate: '2026-03-03', dayThreeCheckIn: '2026-03-13' },
    steps: [{ id: 'bundle', status: 'done', due: '2026-03-03', detail: 'published 2026-03-10' }],
    checkIn: '2026-03-13',
    asked: true,
    awareness: [{ by: 'sam', team: 'support', aware: true, at: '' }],
  }),
  // Tier 1: no bundle, no check-in: counts for nothing.
  release({ issueKey: 'REL-5', tier: 1, launchedOn: '2026-03-11' }),
  // Cancelled: counts for nothing.
  release({
    issueKey: 'REL-6',
    phase: 'cancelled',
    plan: { launchDate: '2026-03-25', bundleDueDate: '2026-03-18', dayThreeCheckIn: '2026-03-28' },
  }),
  // Still planned: bundle due tomorrow and unpublished (not decided yet); another due in April.
  release({
    issueKey: 'REL-7',
    plan: { launchDate: '2026-04-07', bundleDueDate: '2026-03-31', dayThreeCheckIn: '2026-04-10' },
  }),
  release({
    issueKey: 'REL-8',
    plan: { launchDate: '2026-04-20', bundleDueDate: '2026-04-13', dayThreeCheckIn: '2026-04-23' },
  }),
  // Launched in February: outside the range.
  release({
    issueKey: 'REL-9',
    launchedOn: '2026-02-20',
    plan: { launchDate: '2026-02-20', bundleDueDate: '2026-02-13', dayThreeCheckIn: '2026-02-23' },
    bundlePublishedOn: '2026-02-01',
    bundlePublishedBeforeLaunch: true,
  }),
].map(releaseRecordOf);

const contribution = (personId: string, status: string) => ({
  personId,
  name: personId.toUpperCase(),
  status,
});

const updates: WeeklyUpdateRecord[] = [
  {
    week: '2026-W10',
    date: '2026-03-05',
    publishAt: '2026-03-05T16:00:00.000Z',
    publishedAt: '2026-03-05T16:00:05.000Z',
    onTime: true,
    contributions: [
      contribution('ana', 'ready'),
      contribution('ben', 'ready'),
      contribution('erin', 'on-leave'),
    ],
  },
  {
    week: '2026-W11',
    date: '2026-03-12',
    publishAt: '2026-03-12T16:00:00.000Z',
    publishedAt: '2026-03-12T18:30:00.000Z',
    onTime: false,
    contributions: [
      contribution('ana', 'late'),
      contribution('ben', 'ready'),
      contribution('erin', 'missing'),
    ],
  },
  // W12 has no record at all: the ritual did not run that week.
  {
    week: '2026-W13',
    date: '2026-03-26',
    publishAt: '2026-03-26T16:00:00.000Z',
    publishedAt: '2026-03-26T15:00:00.000Z',
    onTime: true,
    contributions: [
      contribution('ana', 'ready'),
      contribution('ben', 'after-publication'),
      contribution('erin', 'ready'),
    ],
  },
];

/** Thursday updates at 16:00 UTC: W10's on 5 March. */
const datesOf = (week: string) => {
  const date = addCalendarDays('2026-03-05', (Number(week.slice(-2)) - 10) * 7);
  return { week, date, publishAt: `${date}T16:00:00.000Z` };
};

const input = {
  from: '2026-03-01',
  to: '2026-03-31',
  today: '2026-03-30',
  now: Date.parse('2026-03-30T12:00:00Z'),
  releases,
  updates,
  expectedWeeks: expectedWeeksSince('2026-W10', '2026-03-31', datesOf),
};

describe('measurement plan', () => {
  const report = measure(input);

  it('enablement coverage: Tier 2 and 3 launched in the range with the bundle published before launch', () => {
    // Launched in March, Tier 2/3, not cancelled: REL-1, REL-2, REL-3, REL-4. Covered: 1, 2
    // (REL-4's bundle came out on launch day, and no instant shows it came first).
    expect(report.enablementCoverage).toMatchObject({ numerator: 2, denominator: 4, share: 0.5 });
    expect(report.enablementCoverage.releases.filter((r) => !r.covered).map((r) => r.issueKey)).toEqual([
      'REL-3',
      'REL-4',
    ]);
  });

  it('lead-time compliance: bundles due in the range, decided, published by the due date', () => {
    // Due in March and decided: REL-1 (09, on 06: yes), REL-2 (06, on 12: no), REL-3 (20, never: no),
    // REL-4 (03, on 10: no). REL-7 is due on the 31st, not yet over and unpublished: not decided.
    expect(report.leadTimeCompliance).toMatchObject({ numerator: 1, denominator: 4, share: 0.25 });
    expect(report.leadTimeCompliance.releases.map((r) => r.issueKey)).toEqual([
      'REL-1',
      'REL-2',
      'REL-3',
      'REL-4',
    ]);
  });

  it('surprise score: releases with a "no", over those answered; response rate beside it', () => {
    // Asked in March: REL-1, REL-2, REL-3, REL-4. Answered: 1, 2, 4. With a "no": REL-2.
    expect(report.surpriseScore).toMatchObject({ numerator: 1, denominator: 3 });
    expect(report.surpriseScore.share).toBeCloseTo(1 / 3);
    expect(report.surpriseScore.responseRate).toMatchObject({ numerator: 3, denominator: 4, share: 0.75 });
  });

  it('ritual adoption: weeks published on time (a week without a record counts), submissions by person', () => {
    // Expected weeks with their update in March and due by now: W10, W11, W12, W13. On time: W10, W13.
    expect(report.ritualAdoption.publishedOnTime).toMatchObject({ numerator: 2, denominator: 4, share: 0.5 });
    expect(report.ritualAdoption.publishedOnTime.weeks.find((w) => w.week === '2026-W12')).toMatchObject({
      published: false,
      onTime: false,
    });
    // ana: ready, late, ready = 2/3; ben: ready, ready, after publication = 2/3; erin: leave (not asked), missing, ready = 1/2.
    expect(report.ritualAdoption.byPerson.map((p) => [p.personId, p.numerator, p.denominator])).toEqual([
      ['ana', 2, 3],
      ['ben', 2, 3],
      ['erin', 1, 2],
    ]);
    expect(report.ritualAdoption.submittedByDeadline).toMatchObject({ numerator: 5, denominator: 8 });
  });

  it('says what it does not count, and how the pack measures it instead', () => {
    expect(report.statusRequests).toMatchObject({ counted: false });
    expect(report.statusRequests.how).toMatch(/sample audit/);
    expect(report.coordinationOverhead).toMatchObject({ counted: false });
    expect(report.coordinationOverhead.how).toMatch(/pulse survey/);
  });

  it('an empty range has no data rather than zero', () => {
    const empty = measure({ ...input, from: '2025-01-01', to: '2025-01-31' });
    expect(empty.enablementCoverage).toMatchObject({ numerator: 0, denominator: 0, share: null });
    expect(empty.ritualAdoption.publishedOnTime.share).toBeNull();
  });

  it('the weekly trend splits the same records into Monday-to-Sunday weeks', () => {
    const trend = weeklyTrend(input, '2026-W13', 4);
    expect(trend.map((w) => w.week)).toEqual(['2026-W10', '2026-W11', '2026-W12', '2026-W13']);
    // REL-4 launched on Tue 10 Mar (W11, not covered); REL-1 on Mon 16 Mar and REL-2 on Fri 20 Mar
    // (W12, both covered); REL-3 on Fri 27 Mar (W13, not covered).
    expect(trend.map((w) => w.values.enablementCoverage.denominator)).toEqual([0, 1, 2, 1]);
    expect(trend.map((w) => w.values.enablementCoverage.numerator)).toEqual([0, 0, 2, 0]);
    expect(trend.map((w) => w.values.publishedOnTime.numerator)).toEqual([1, 0, 0, 1]);
  });
});

describe('enablement coverage at the edge of the launch', () => {
  // Launch on Mon 15 June 2026 by a London PM (BST, UTC+1).
  const launched = (issueKey: string, o: Partial<ReleaseStatusView>) =>
    release({
      issueKey,
      launchedOn: '2026-06-15',
      plan: { launchDate: '2026-06-15', bundleDueDate: '2026-06-08', dayThreeCheckIn: '2026-06-18' },
      ...o,
    });
  const edge = [
    // Published at 10:00 on launch day, released at 10:05: out before the release, covered.
    launched('REL-21', {
      bundlePublishedAt: '2026-06-15T09:00:00.000Z',
      bundlePublishedOn: '2026-06-15',
      releasedAt: '2026-06-15T09:05:00.000Z',
    }),
    // Published at 10:05, five minutes after the release went out: not covered.
    launched('REL-22', {
      bundlePublishedAt: '2026-06-15T09:05:00.000Z',
      bundlePublishedOn: '2026-06-15',
      releasedAt: '2026-06-15T09:00:00.000Z',
    }),
    // Marked released afterwards for launch day (the release's instant is the start of that
    // day, 00:00 London): a bundle at 23:59 the night before covers it, one at 00:01 does not.
    launched('REL-23', {
      bundlePublishedAt: '2026-06-14T22:59:00.000Z',
      bundlePublishedOn: '2026-06-14',
      releasedAt: '2026-06-14T23:00:00.000Z',
    }),
    launched('REL-24', {
      bundlePublishedAt: '2026-06-14T23:01:00.000Z',
      bundlePublishedOn: '2026-06-15',
      releasedAt: '2026-06-14T23:00:00.000Z',
    }),
    // Older runs, days only (read from the note): the day before launch is covered; launch day
    // itself cannot be shown to come first, and is not.
    launched('REL-25', {
      steps: [{ id: 'bundle', status: 'done', due: '2026-06-08', detail: 'published 2026-06-14 by ana' }],
    }),
    launched('REL-26', {
      steps: [{ id: 'bundle', status: 'done', due: '2026-06-08', detail: 'published 2026-06-15' }],
    }),
  ].map(releaseRecordOf);
  const report = measure({
    ...input,
    from: '2026-06-01',
    to: '2026-06-30',
    today: '2026-06-30',
    now: Date.parse('2026-06-30T12:00:00Z'),
    releases: edge,
    updates: [],
    expectedWeeks: [],
  });

  it('counts a bundle as covering the launch only when published before the release went out', () => {
    // Launched: 21 to 26. Covered: 21, 23 and 25.
    expect(report.enablementCoverage).toMatchObject({ numerator: 3, denominator: 6, share: 0.5 });
    expect(report.enablementCoverage.releases.map((r) => [r.issueKey, r.covered])).toEqual([
      ['REL-21', true],
      ['REL-22', false],
      ['REL-23', true],
      ['REL-24', false],
      ['REL-25', true],
      ['REL-26', false],
    ]);
  });

  it('keeps the recorded instants beside the date, and reads the date from the note for older runs', () => {
    expect(edge.map((r) => [r.bundlePublishedAt, r.bundlePublishedOn, r.releasedAt])).toEqual([
      ['2026-06-15T09:00:00.000Z', '2026-06-15', '2026-06-15T09:05:00.000Z'],
      ['2026-06-15T09:05:00.000Z', '2026-06-15', '2026-06-15T09:00:00.000Z'],
      ['2026-06-14T22:59:00.000Z', '2026-06-14', '2026-06-14T23:00:00.000Z'],
      ['2026-06-14T23:01:00.000Z', '2026-06-15', '2026-06-14T23:00:00.000Z'],
      [null, '2026-06-14', null],
      [null, '2026-06-15', null],
    ]);
  });
});
