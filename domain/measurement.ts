/**
 * The operating-system pack's measurement plan, computed from prodops' own records: what the
 * release workflows and the weekly updates say happened, never a figure typed in by hand. Each
 * figure carries its numerator and denominator and the records behind them, so anyone can
 * recount it; what prodops has no record of (status pings in chat, how PMs feel about
 * coordination) is reported as not counted, with how the pack measures it instead.
 *
 * Pure functions over plain records: `prodops report`, the monthly metrics page and the
 * dashboard all call `measure` and so always agree.
 */
import { addCalendarDays, compareDates, type CalendarDate } from './business-calendar';
import { addWeeks, isoWeekOf, mondayOf, type IsoWeek } from './rituals';

/** The part of a release workflow's status the measurement reads (a structural view). */
export interface ReleaseStatusView {
  issueKey: string;
  title: string;
  tier: number;
  pmId: string;
  productArea: string | null;
  phase: string;
  enablement: string;
  plan: { launchDate: CalendarDate; bundleDueDate: CalendarDate | null; dayThreeCheckIn: CalendarDate };
  launchedOn: CalendarDate | null;
  steps: { id: string; status: string; due: CalendarDate | null; detail?: string }[];
  flags: { late: boolean; atRisk: boolean; onHold: boolean; launchOverdue: boolean };
  /**
   * When the bundle was published (ISO 8601) and that instant's date in the PM's time zone, as the
   * release workflow records them; for runs from before, the date is read from the bundle step's
   * note ("published YYYY-MM-DD", also the PM's date).
   */
  bundlePublishedAt?: string | null;
  bundlePublishedOn?: CalendarDate | null;
  /** When the release went out (ISO 8601), as the release workflow records it. */
  releasedAt?: string | null;
  bundlePublishedBeforeLaunch?: boolean | null;
  awareness?: { by: string; team: string; aware: boolean; at: string }[];
}

export interface AwarenessAnswer {
  by: string;
  team: string;
  aware: boolean;
}

/** One release as the measurement sees it. */
export interface ReleaseRecord {
  issueKey: string;
  title: string;
  tier: number;
  pmId: string;
  productArea: string | null;
  phase: string;
  cancelled: boolean;
  plannedLaunch: CalendarDate;
  launchedOn: CalendarDate | null;
  bundleDueDate: CalendarDate | null;
  /** When the bundle was published, ISO 8601; null when unknown or for runs from before it was recorded. */
  bundlePublishedAt?: string | null;
  bundlePublishedOn: CalendarDate | null;
  /** When the release went out, ISO 8601; null when unknown (see `publishedBeforeLaunch`). */
  releasedAt?: string | null;
  /**
   * True when the bundle was published before the release went out: its instant before the
   * release's when both are recorded; otherwise (runs from before they were) on an earlier date
   * of the PM's calendar than the launch, since on launch day itself the order is unknown.
   */
  publishedBeforeLaunch: boolean;
  dayThreeCheckIn: CalendarDate | null;
  /** The Day-3 check-in went out, asking Support and Sales whether they knew. */
  dayThreeAsked: boolean;
  awareness: AwarenessAnswer[];
}

const PUBLISHED_NOTE = /^published (\d{4}-\d{2}-\d{2})/;

export function releaseRecordOf(status: ReleaseStatusView): ReleaseRecord {
  const step = (id: string) => status.steps.find((s) => s.id === id);
  const bundle = step('bundle');
  const noted = bundle?.status === 'done' ? PUBLISHED_NOTE.exec(bundle.detail ?? '')?.[1] : undefined;
  const publishedOn = status.bundlePublishedOn ?? noted ?? null;
  const launchedOn = status.launchedOn;
  const publishedAt = status.bundlePublishedAt ?? null;
  const releasedAt = status.releasedAt ?? null;
  // Both instants recorded: their order. Otherwise only days are known (the note of an older
  // run is the PM's date too): a bundle of launch day itself cannot be shown to come first.
  const before =
    status.bundlePublishedBeforeLaunch ??
    (publishedAt !== null && releasedAt !== null
      ? Date.parse(publishedAt) < Date.parse(releasedAt)
      : publishedOn !== null && launchedOn !== null && compareDates(publishedOn, launchedOn) < 0);
  const dayThree = step('day-3-check-in');
  return {
    issueKey: status.issueKey,
    title: status.title,
    tier: status.tier,
    pmId: status.pmId,
    productArea: status.productArea,
    phase: status.phase,
    cancelled: status.phase === 'cancelled',
    plannedLaunch: status.plan.launchDate,
    launchedOn,
    bundleDueDate: status.tier >= 2 ? status.plan.bundleDueDate : null,
    bundlePublishedAt: publishedAt,
    releasedAt,
    bundlePublishedOn: publishedOn,
    publishedBeforeLaunch: before === true,
    dayThreeCheckIn: dayThree?.due ?? (status.tier >= 2 ? status.plan.dayThreeCheckIn : null),
    dayThreeAsked: dayThree?.status === 'done',
    awareness: (status.awareness ?? []).map((a) => ({ by: a.by, team: a.team, aware: a.aware })),
  };
}

/** One week of the Weekly Product Update as the measurement sees it. */
export interface WeeklyUpdateRecord {
  week: IsoWeek;
  date: CalendarDate;
  publishAt: string;
  publishedAt: string | null;
  onTime: boolean;
  contributions: { personId: string; name: string; status: string }[];
}

export interface Ratio {
  numerator: number;
  denominator: number;
  /** numerator / denominator, or null when nothing was counted. */
  share: number | null;
}

export const ratio = (numerator: number, denominator: number): Ratio => ({
  numerator,
  denominator,
  share: denominator === 0 ? null : numerator / denominator,
});

export interface NotCounted {
  counted: false;
  how: string;
}

export interface MeasurementReport {
  from: CalendarDate;
  to: CalendarDate;
  /** Days after this one were not over when the figures were taken. */
  asOf: CalendarDate;
  enablementCoverage: Ratio & {
    releases: { issueKey: string; launchedOn: CalendarDate; covered: boolean }[];
  };
  leadTimeCompliance: Ratio & {
    releases: {
      issueKey: string;
      dueDate: CalendarDate;
      publishedOn: CalendarDate | null;
      compliant: boolean;
    }[];
  };
  surpriseScore: Ratio & {
    responseRate: Ratio;
    releases: {
      issueKey: string;
      checkIn: CalendarDate;
      answers: AwarenessAnswer[];
      surprised: boolean | null;
    }[];
  };
  ritualAdoption: {
    publishedOnTime: Ratio & {
      weeks: { week: IsoWeek; date: CalendarDate; published: boolean; onTime: boolean }[];
    };
    submittedByDeadline: Ratio;
    byPerson: ({ personId: string; name: string } & Ratio)[];
  };
  statusRequests: NotCounted;
  coordinationOverhead: NotCounted;
}

export const STATUS_REQUESTS_HOW =
  'Not counted by prodops: it sees no chat. The pack measures it by a sample audit of "what is the status of X?" messages in the key Slack channels, week 1 against week 10.';
export const COORDINATION_OVERHEAD_HOW =
  'Not counted by prodops: it is how PMs feel. The pack measures it by a quarterly pulse survey: "Product Ops has reduced the time I spend on coordination and status updates" (target: more than 70% agree).';

const within = (date: CalendarDate | null, from: CalendarDate, to: CalendarDate): date is CalendarDate =>
  date !== null && compareDates(date, from) >= 0 && compareDates(date, to) <= 0;

export interface MeasureInput {
  from: CalendarDate;
  to: CalendarDate;
  /** Today: a bundle due today is not late yet, an update due later today is not missed yet. */
  today: CalendarDate;
  /** Now, to tell an update whose publication time has passed. */
  now: number;
  releases: readonly ReleaseRecord[];
  updates: readonly WeeklyUpdateRecord[];
  /**
   * The weeks the Weekly Product Update was expected: a week with no record among them counts
   * as not published. Those from the first update on record up to today, by default.
   */
  expectedWeeks?: readonly { week: IsoWeek; date: CalendarDate; publishAt: string }[];
}

/**
 * - Enablement coverage: Tier 2 and 3 releases launched in the range whose bundle was published
 *   before launch, over those launched.
 * - Lead-time compliance: Tier 2 and 3 bundles due in the range (due date over, or published)
 *   published by their due date, over those due. A release that arrived with less lead time than
 *   its tier needs counts as not compliant: the promise was broken before it started.
 * - Surprise score: releases whose Day-3 check-in (in the range) got at least one "no" to "Were
 *   you aware of this release before it shipped?", over the releases answered; the response rate
 *   is the answered over those asked.
 * - Ritual adoption: weekly updates published on time over the weeks expected, and contributions
 *   ready by the deadline over those asked for (people on leave are not asked), by person too.
 */
export function measure(input: MeasureInput): MeasurementReport {
  const { from, to } = input;
  const live = input.releases.filter((r) => r.tier >= 2 && !r.cancelled);

  const launched = live.filter((r) => within(r.launchedOn, from, to));
  const coverage = launched.map((r) => ({
    issueKey: r.issueKey,
    launchedOn: r.launchedOn!,
    covered: r.publishedBeforeLaunch,
  }));

  const due = live.filter(
    (r) =>
      within(r.bundleDueDate, from, to) &&
      (r.bundlePublishedOn !== null || compareDates(r.bundleDueDate, input.today) < 0),
  );
  const lead = due.map((r) => ({
    issueKey: r.issueKey,
    dueDate: r.bundleDueDate!,
    publishedOn: r.bundlePublishedOn,
    compliant: r.bundlePublishedOn !== null && compareDates(r.bundlePublishedOn, r.bundleDueDate!) <= 0,
  }));

  const asked = live.filter((r) => r.dayThreeAsked && within(r.dayThreeCheckIn, from, to));
  const surprise = asked.map((r) => ({
    issueKey: r.issueKey,
    checkIn: r.dayThreeCheckIn!,
    answers: r.awareness,
    surprised: r.awareness.length === 0 ? null : r.awareness.some((a) => !a.aware),
  }));
  const answered = surprise.filter((s) => s.surprised !== null);

  return {
    from,
    to,
    asOf: input.today,
    enablementCoverage: {
      ...ratio(coverage.filter((c) => c.covered).length, coverage.length),
      releases: coverage,
    },
    leadTimeCompliance: { ...ratio(lead.filter((l) => l.compliant).length, lead.length), releases: lead },
    surpriseScore: {
      ...ratio(answered.filter((s) => s.surprised).length, answered.length),
      responseRate: ratio(answered.length, asked.length),
      releases: surprise,
    },
    ritualAdoption: adoption(input),
    statusRequests: { counted: false, how: STATUS_REQUESTS_HOW },
    coordinationOverhead: { counted: false, how: COORDINATION_OVERHEAD_HOW },
  };
}

function adoption(input: MeasureInput): MeasurementReport['ritualAdoption'] {
  const { from, to } = input;
  const recorded = new Map(input.updates.map((u) => [u.week, u]));
  const expected = (input.expectedWeeks ?? input.updates).filter(
    (w) => within(w.date, from, to) && Date.parse(w.publishAt) <= input.now,
  );
  const weeks = expected
    .map((w) => {
      const record = recorded.get(w.week);
      return {
        week: w.week,
        date: w.date,
        published: !!record?.publishedAt,
        onTime: record?.onTime === true,
      };
    })
    .sort((a, b) => a.week.localeCompare(b.week));
  const people = new Map<
    string,
    { personId: string; name: string; numerator: number; denominator: number }
  >();
  for (const w of weeks) {
    const record = recorded.get(w.week);
    for (const c of record?.contributions ?? []) {
      if (c.status === 'on-leave') continue;
      const entry = people.get(c.personId) ?? {
        personId: c.personId,
        name: c.name,
        numerator: 0,
        denominator: 0,
      };
      entry.denominator++;
      if (c.status === 'ready') entry.numerator++;
      people.set(c.personId, entry);
    }
  }
  const byPerson = [...people.values()]
    .map((p) => ({ personId: p.personId, name: p.name, ...ratio(p.numerator, p.denominator) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const sum = (key: 'numerator' | 'denominator') => byPerson.reduce((n, p) => n + p[key], 0);
  return {
    publishedOnTime: { ...ratio(weeks.filter((w) => w.onTime).length, weeks.length), weeks },
    submittedByDeadline: ratio(sum('numerator'), sum('denominator')),
    byPerson,
  };
}

/** Every ISO week from the first update on record through `to`, with the dates of its update. */
export function expectedWeeksSince<T extends { week: IsoWeek; date: CalendarDate; publishAt: string }>(
  first: IsoWeek | null,
  to: CalendarDate,
  datesOf: (week: IsoWeek) => T | null,
): T[] {
  if (first === null) return [];
  const out: T[] = [];
  const last = isoWeekOf(addCalendarDays(to, 7));
  for (let week = first, n = 0; week <= last && n < 1000; week = addWeeks(week, 1), n++) {
    // A week without an update (a shutdown) is not expected to have one.
    const dates = datesOf(week);
    if (dates) out.push(dates);
  }
  return out;
}

/** The headline share of each figure, as the dashboard's trends plot it. */
export interface FigureValues {
  enablementCoverage: Ratio;
  leadTimeCompliance: Ratio;
  surpriseScore: Ratio;
  responseRate: Ratio;
  publishedOnTime: Ratio;
  submittedByDeadline: Ratio;
}

export function figureValues(report: MeasurementReport): FigureValues {
  const plain = (r: Ratio): Ratio => ratio(r.numerator, r.denominator);
  return {
    enablementCoverage: plain(report.enablementCoverage),
    leadTimeCompliance: plain(report.leadTimeCompliance),
    surpriseScore: plain(report.surpriseScore),
    responseRate: plain(report.surpriseScore.responseRate),
    publishedOnTime: plain(report.ritualAdoption.publishedOnTime),
    submittedByDeadline: plain(report.ritualAdoption.submittedByDeadline),
  };
}

/** The figures week by week (Monday to Sunday) over the `weeks` ISO weeks ending with `lastWeek`. */
export function weeklyTrend(
  input: Omit<MeasureInput, 'from' | 'to'>,
  lastWeek: IsoWeek,
  weeks: number,
): { week: IsoWeek; from: CalendarDate; to: CalendarDate; values: FigureValues }[] {
  const out = [];
  for (let i = weeks - 1; i >= 0; i--) {
    const week = addWeeks(lastWeek, -i);
    const from = mondayOf(week);
    const to = addCalendarDays(from, 6);
    out.push({ week, from, to, values: figureValues(measure({ ...input, from, to })) });
  }
  return out;
}

export const FIGURE_LABELS: Record<keyof FigureValues, string> = {
  enablementCoverage: 'Enablement coverage (Tier 2 and 3)',
  leadTimeCompliance: 'Lead-time compliance',
  surpriseScore: 'Stakeholder surprise score',
  responseRate: 'Surprise question response rate',
  publishedOnTime: 'Weekly updates published on time',
  submittedByDeadline: 'PM submissions by the deadline',
};

export const FIGURE_TARGETS: Partial<Record<keyof FigureValues, string>> = {
  enablementCoverage: 'target 100%',
  surpriseScore: 'target below 10%',
  publishedOnTime: 'target above 80%',
  submittedByDeadline: 'target above 80%',
};

export function formatRatio(r: Ratio): string {
  return r.share === null ? 'no data' : `${Math.round(r.share * 100)}% (${r.numerator} of ${r.denominator})`;
}
