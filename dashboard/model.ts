/**
 * What the dashboard shows, built from prodops' own records: the launch calendar of the next
 * eight weeks, who is off in the next four and who covers them, the subscriptions' notice
 * deadlines ahead, and the measurement plan's figures with their last twelve weeks.
 * Pure: the same records give the same page, and the figures are `measure` over the range the
 * page names, exactly what `prodops report --from … --to … --json` prints.
 */
import { addCalendarDays, compareDates, type CalendarDate } from '../domain/business-calendar';
import {
  figureValues,
  measure,
  weeklyTrend,
  type FigureValues,
  type MeasureInput,
  type MeasurementReport,
} from '../domain/measurement';
import { addWeeks, isoWeekOf, mondayOf, type IsoWeek } from '../domain/rituals';
import type { LeaveFact, ReleaseFact } from '../domain/weekly-update-content';
import type { SubscriptionMemo } from '../workflows/renewal/messages';

export const LAUNCH_WEEKS = 8;
export const COVER_WEEKS = 4;
export const TREND_WEEKS = 12;

export interface LaunchRow extends ReleaseFact {
  /** True when the launch date has passed and the release is not marked released. */
  overdue: boolean;
}

export interface LaunchWeek {
  week: IsoWeek;
  monday: CalendarDate;
  releases: LaunchRow[];
}

/** A subscription's renewal, as its workflow's memo reports it. */
export interface RenewalRow {
  vendor: string;
  ownerName: string | null;
  noticeDeadline: CalendarDate;
  renewalDate: CalendarDate;
  decision: string | null;
}

export interface DashboardModel {
  organisation: string;
  generatedAt: string;
  today: CalendarDate;
  timezone: string;
  launches: { from: CalendarDate; to: CalendarDate; overdue: LaunchRow[]; weeks: LaunchWeek[] };
  cover: { from: CalendarDate; to: CalendarDate; rows: LeaveFact[] };
  /** Null when the renewals were not read (the section is left out). */
  renewals: RenewalRow[] | null;
  figures: {
    from: CalendarDate;
    to: CalendarDate;
    report: MeasurementReport;
    values: FigureValues;
    trend: { week: IsoWeek; from: CalendarDate; to: CalendarDate; values: FigureValues }[];
  };
  /** Records that could not be read (a worker that did not answer): the figures leave them out. */
  skipped: { workflowId: string; reason: string }[];
}

/**
 * The notice deadlines still ahead (today included), soonest first: subscriptions in force
 * (active) whose deadline has not passed. A missed, cancelled, lapsed or invalid one has no
 * notice left to give. Owners are named as the configuration names them.
 */
export function renewalRowsOf(
  memos: readonly SubscriptionMemo[],
  people: readonly { id: string; name: string }[],
  today: CalendarDate,
): RenewalRow[] {
  const names = new Map(people.map((p) => [p.id, p.name]));
  const rows: RenewalRow[] = [];
  for (const memo of memos) {
    if (memo.lifecycle !== 'active' || !memo.noticeDeadline || !memo.renewalDate) continue;
    if (compareDates(memo.noticeDeadline, today) < 0) continue;
    rows.push({
      vendor: memo.tool,
      ownerName: names.get(memo.ownerId) ?? null,
      noticeDeadline: memo.noticeDeadline,
      renewalDate: memo.renewalDate,
      decision: memo.decision,
    });
  }
  return rows.sort(
    (a, b) => compareDates(a.noticeDeadline, b.noticeDeadline) || a.vendor.localeCompare(b.vendor),
  );
}

/** The range the figures cover: the Monday of the first of the twelve weeks, to today. */
export function figuresRange(today: CalendarDate): {
  from: CalendarDate;
  to: CalendarDate;
  lastWeek: IsoWeek;
} {
  const lastWeek = isoWeekOf(today);
  return { from: mondayOf(addWeeks(lastWeek, -(TREND_WEEKS - 1))), to: today, lastWeek };
}

/** The launch calendar's window: this week's Monday and the seven weeks after. */
export function launchWindow(today: CalendarDate): { from: CalendarDate; to: CalendarDate } {
  const from = mondayOf(isoWeekOf(today));
  return { from, to: addCalendarDays(from, LAUNCH_WEEKS * 7 - 1) };
}

export function coverWindow(today: CalendarDate): { from: CalendarDate; to: CalendarDate } {
  return { from: today, to: addCalendarDays(today, COVER_WEEKS * 7 - 1) };
}

const byDate = (a: ReleaseFact, b: ReleaseFact) =>
  compareDates(a.launchDate, b.launchDate) || a.issueKey.localeCompare(b.issueKey);

export function buildDashboard(input: {
  organisation: string;
  generatedAt: string;
  today: CalendarDate;
  timezone: string;
  releases: readonly ReleaseFact[];
  leave: readonly LeaveFact[];
  renewals: RenewalRow[] | null;
  measureInput: MeasureInput;
  skipped: { workflowId: string; reason: string }[];
}): DashboardModel {
  const { today } = input;
  const window = launchWindow(today);
  const rows: LaunchRow[] = input.releases
    .filter((r) => r.phase !== 'cancelled')
    .map((r) => ({ ...r, overdue: r.phase === 'planning' && compareDates(r.launchDate, today) < 0 }));
  const weeks: LaunchWeek[] = [];
  for (let i = 0; i < LAUNCH_WEEKS; i++) {
    const monday = addCalendarDays(window.from, i * 7);
    const sunday = addCalendarDays(monday, 6);
    weeks.push({
      week: isoWeekOf(monday),
      monday,
      releases: rows
        .filter((r) => compareDates(r.launchDate, monday) >= 0 && compareDates(r.launchDate, sunday) <= 0)
        .sort(byDate),
    });
  }
  const cover = coverWindow(today);
  const range = figuresRange(today);
  const measured = { ...input.measureInput, from: range.from, to: range.to };
  const report = measure(measured);
  return {
    organisation: input.organisation,
    generatedAt: input.generatedAt,
    today,
    timezone: input.timezone,
    launches: {
      ...window,
      overdue: rows.filter((r) => r.overdue && compareDates(r.launchDate, window.from) < 0).sort(byDate),
      weeks,
    },
    cover: {
      ...cover,
      rows: input.leave
        .filter((l) => compareDates(l.to, cover.from) >= 0 && compareDates(l.from, cover.to) <= 0)
        .sort((a, b) => compareDates(a.from, b.from) || a.personName.localeCompare(b.personName)),
    },
    renewals: input.renewals,
    figures: {
      from: range.from,
      to: range.to,
      report,
      values: figureValues(report),
      trend: weeklyTrend(measured, range.lastWeek, TREND_WEEKS),
    },
    skipped: input.skipped,
  };
}
