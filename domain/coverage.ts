/**
 * Leave coverage rules: the hard availability block (gate 1) and the matching of a covering
 * buddy. Pure and deterministic, so the leave workflow, its per-team coordinator and the CLI's
 * dry run share one definition; holidays arrive already expanded in `BusinessCalendar`s.
 *
 * Rules this module fixes (and the README repeats):
 * - Dates are calendar dates of each person's own business calendar. A window runs from `from`
 *   to `to`, both included; its first day may start at noon (`afternoon`) and its last day may
 *   end at noon (`morning`). Noon is `HALF_DAY_BOUNDARY` local time.
 * - Only working days of the requester's calendar need approval and coverage. A half day still
 *   needs a buddy, but it does not count as "off" for the team's minimum on duty: the person is
 *   there for half of it.
 * - Someone is on duty on a date when it is a working day of their calendar, they have no leave
 *   reserved for it, and their calendar's free/busy shows them busy for less than half of
 *   `WORKING_HOURS` (an out-of-office block or a day of training makes them unavailable; a few
 *   meetings do not).
 * - Nearby dates offered when gate 1 refuses keep the same number of working days and the same
 *   half days, shifted by whole working days.
 */
import {
  addCalendarDays,
  addWorkingDays,
  compareDates,
  datesInRange,
  isValidDate,
  isWorkingDay,
  localDateOf,
  rollForward,
  zonedDateTimeToInstant,
  type BusinessCalendar,
  type CalendarDate,
} from './business-calendar';

export type LeaveDayPart = 'full' | 'morning' | 'afternoon';

export const LEAVE_DAY_PARTS: readonly LeaveDayPart[] = ['full', 'morning', 'afternoon'];
/** Where a half day splits, local time: a morning off ends here, an afternoon off starts here. */
export const HALF_DAY_BOUNDARY = '13:00';
/** The hours a person is expected on duty, local time, for reading free/busy. */
export const WORKING_HOURS = { start: '09:00', end: '17:00' } as const;
/** Busy for at least this share of `WORKING_HOURS` on a day: not on duty that day. */
export const OFF_DUTY_BUSY_SHARE = 0.5;
/** A leave request covers at most this many calendar days. */
export const MAX_LEAVE_DAYS = 366;
/** How far, in working days, nearby windows are searched each way. */
export const ALTERNATIVE_SEARCH_WORKING_DAYS = 20;
export const MAX_ALTERNATIVES = 3;

// ---------------------------------------------------------------------------------------------
// Windows

export interface LeaveWindowInput {
  from: string;
  to: string;
  firstDay?: LeaveDayPart;
  lastDay?: LeaveDayPart;
}

/** A validated window: on a one-day leave `firstDay` and `lastDay` are the same part. */
export interface LeaveWindow {
  from: CalendarDate;
  to: CalendarDate;
  firstDay: LeaveDayPart;
  lastDay: LeaveDayPart;
}

/** Bad input for a leave request; `field` names what is wrong. */
export class LeaveInputError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'LeaveInputError';
  }
}

/** Checks a requested window and fills in the day parts; throws LeaveInputError naming the field. */
export function normaliseWindow(input: LeaveWindowInput): LeaveWindow {
  for (const field of ['from', 'to'] as const) {
    if (!isValidDate(input[field]))
      throw new LeaveInputError(
        field,
        `must be a date written YYYY-MM-DD, got ${JSON.stringify(input[field])}`,
      );
  }
  for (const field of ['firstDay', 'lastDay'] as const) {
    const part = input[field];
    if (part !== undefined && !LEAVE_DAY_PARTS.includes(part))
      throw new LeaveInputError(field, `must be full, morning or afternoon, got ${JSON.stringify(part)}`);
  }
  const { from, to } = input;
  if (compareDates(to, from) < 0) throw new LeaveInputError('to', `(${to}) is before from (${from})`);
  const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (span > MAX_LEAVE_DAYS)
    throw new LeaveInputError(
      'to',
      `is ${span} days after from; one request covers at most ${MAX_LEAVE_DAYS} days`,
    );
  if (from === to) {
    if (input.firstDay !== undefined && input.lastDay !== undefined && input.firstDay !== input.lastDay)
      throw new LeaveInputError(
        'lastDay',
        `must match firstDay on a one-day leave (got ${input.firstDay} and ${input.lastDay})`,
      );
    const part = input.firstDay ?? input.lastDay ?? 'full';
    return { from, to, firstDay: part, lastDay: part };
  }
  const firstDay = input.firstDay ?? 'full';
  const lastDay = input.lastDay ?? 'full';
  if (firstDay === 'morning')
    throw new LeaveInputError(
      'firstDay',
      `cannot be morning on a leave of several days: the afternoon of ${from} would be worked between days off (use afternoon or full)`,
    );
  if (lastDay === 'afternoon')
    throw new LeaveInputError(
      'lastDay',
      `cannot be afternoon on a leave of several days: the morning of ${to} would be worked between days off (use morning or full)`,
    );
  return { from, to, firstDay, lastDay };
}

export function sameWindow(a: LeaveWindow, b: LeaveWindow): boolean {
  return a.from === b.from && a.to === b.to && a.firstDay === b.firstDay && a.lastDay === b.lastDay;
}

/** The part of `date` that is off; `null` outside the window. */
export function partOn(window: LeaveWindow, date: CalendarDate): LeaveDayPart | null {
  if (compareDates(date, window.from) < 0 || compareDates(date, window.to) > 0) return null;
  if (date === window.from) return window.firstDay;
  if (date === window.to) return window.lastDay;
  return 'full';
}

export interface LeaveDay {
  date: CalendarDate;
  part: LeaveDayPart;
}

/** The working days of the window in the requester's calendar, each with the part that is off. */
export function leaveDays(window: LeaveWindow, cal: BusinessCalendar): LeaveDay[] {
  return datesInRange(window.from, window.to)
    .filter((date) => isWorkingDay(cal, date))
    .map((date) => ({ date, part: partOn(window, date)! }));
}

/** The days that count as off for the team's minimum on duty: full days only. */
export function fullDaysOf(days: readonly LeaveDay[]): CalendarDate[] {
  return days.filter((d) => d.part === 'full').map((d) => d.date);
}

/** Local wall-clock bounds of the window, `YYYY-MM-DDTHH:MM`, for calendar events. */
export function windowLocalTimes(window: LeaveWindow): { start: string; end: string } {
  return {
    start: `${window.from}T${window.firstDay === 'afternoon' ? HALF_DAY_BOUNDARY : '00:00'}`,
    end:
      window.lastDay === 'morning'
        ? `${window.to}T${HALF_DAY_BOUNDARY}`
        : `${addCalendarDays(window.to, 1)}T00:00`,
  };
}

/** The instants (ms) the window starts and ends in a time zone. */
export function windowInstants(window: LeaveWindow, timezone: string): { start: number; end: number } {
  const local = windowLocalTimes(window);
  const instant = (value: string) =>
    Date.parse(zonedDateTimeToInstant(value.slice(0, 10), value.slice(11), timezone));
  return { start: instant(local.start), end: instant(local.end) };
}

export function describeWindow(window: LeaveWindow): string {
  const part = (p: LeaveDayPart) => (p === 'full' ? '' : ` (${p})`);
  if (window.from === window.to) return `${window.from}${part(window.firstDay)}`;
  return `${window.from}${part(window.firstDay)} to ${window.to}${part(window.lastDay)}`;
}

// ---------------------------------------------------------------------------------------------
// Who is involved

/** A person as leave coverage sees them; plain JSON, carried by the workflow. */
export interface CoveragePerson {
  id: string;
  name: string;
  email: string;
  role: string;
  team: string;
  /** The name of their business calendar in the configuration. */
  calendar: string;
  managerId: string | null;
  buddyId: string | null;
  jiraAccountId: string | null;
}

export interface Blackout {
  from: CalendarDate;
  to: CalendarDate;
  reason: string;
  teams?: string[];
}

/** What a leave request needs from the configuration, read once by an activity. */
export interface LeaveContext {
  requester: CoveragePerson;
  manager: CoveragePerson | null;
  managersManager: CoveragePerson | null;
  team: {
    id: string;
    name: string;
    /** The fewest people of the requester's role who must be on duty; 0 when none is set. */
    minimumOnDuty: number;
    sharedCalendarId: string | null;
  };
  /** Everyone who shares the requester's role, in any team, the requester included. */
  peers: CoveragePerson[];
  /** The business calendars of the requester and the peers, by name. */
  calendars: Record<string, BusinessCalendar>;
  /** The years the calendars hold holidays for; a window outside them needs a reload. */
  calendarYears: { from: number; to: number };
  /** Blackouts that apply to the requester's team. */
  blackouts: Blackout[];
  timing: {
    remindAfterWorkingDays: number;
    escalateAfterWorkingDays: number;
    expireAfterWorkingDays: number;
  };
  /** The Notion data source of the leave tracker, when configured. */
  leaveTracker: string | null;
  /** The mailbox notices are sent from and the organiser of the events prodops makes. */
  sender: string;
}

export function calendarOf(context: LeaveContext, person: CoveragePerson): BusinessCalendar {
  const cal = context.calendars[person.calendar];
  if (!cal) throw new Error(`calendar "${person.calendar}" of ${person.id} is not in the leave context`);
  return cal;
}

/** True when the context's calendars hold holidays for every date of the window. */
export function contextCovers(context: LeaveContext, window: LeaveWindow): boolean {
  const first = Number(window.from.slice(0, 4));
  const last = Number(window.to.slice(0, 4));
  return first >= context.calendarYears.from && last <= context.calendarYears.to;
}

// ---------------------------------------------------------------------------------------------
// Gate 1: the hard availability block

/**
 * Gate 1 refuses for a release, coverage or blackout reason (or a window with nothing to
 * approve); `buddy`, `approval` and `unavailable` explain a request blocked after gate 1.
 */
export type GateReasonKind =
  'release' | 'coverage' | 'blackout' | 'window' | 'buddy' | 'approval' | 'unavailable';

export interface GateReason {
  kind: GateReasonKind;
  message: string;
  /** The dates of the window the reason is about. */
  dates: CalendarDate[];
}

export interface GateOneResult {
  passed: boolean;
  reasons: GateReason[];
}

export type CommitmentKind = 'launch' | 'readiness-check' | 'retro';

/** A dated obligation of a PM from a running release workflow. */
export interface ReleaseCommitment {
  issueKey: string;
  title: string;
  tier: number;
  kind: CommitmentKind;
  date: CalendarDate;
}

/** The part of a release workflow's `releaseStatus` that tells its PM's commitments. */
export interface ReleaseStatusFacts {
  issueKey: string;
  title: string;
  tier: number;
  pmId: string;
  phase: string;
  plan: { launchDate: CalendarDate; readinessCheckDate: CalendarDate | null; dayFourteenRetro: CalendarDate };
  steps: { id: string; due: CalendarDate | null; status: string }[];
}

/**
 * The launch (Tier 2 and 3), readiness check and Day-14 retro a release still holds its PM to.
 * After launch only the retro is ahead, on the date its step carries (counted from the actual
 * launch); steps already done or retired hold nobody.
 */
export function releaseCommitments(status: ReleaseStatusFacts): ReleaseCommitment[] {
  if (status.tier < 2) return [];
  const step = (id: string) => status.steps.find((s) => s.id === id);
  const stillDue = (id: string) => {
    const s = step(id);
    return s === undefined || s.status === 'pending';
  };
  const base = { issueKey: status.issueKey, title: status.title, tier: status.tier };
  const out: ReleaseCommitment[] = [];
  if (status.phase === 'planning') {
    out.push({ ...base, kind: 'launch', date: status.plan.launchDate });
    if (status.plan.readinessCheckDate && stillDue('readiness-check'))
      out.push({ ...base, kind: 'readiness-check', date: status.plan.readinessCheckDate });
  }
  if ((status.phase === 'planning' || status.phase === 'launched') && stillDue('day-14-retro')) {
    out.push({ ...base, kind: 'retro', date: step('day-14-retro')?.due ?? status.plan.dayFourteenRetro });
  }
  return out;
}

const COMMITMENT_NAMES: Record<CommitmentKind, string> = {
  launch: 'launch',
  'readiness-check': 'Launch Readiness Check',
  retro: 'Day-14 retro',
};

function inWindow(window: LeaveWindow, date: CalendarDate): boolean {
  return compareDates(date, window.from) >= 0 && compareDates(date, window.to) <= 0;
}

/** Reason (a): the requester owns a launch, readiness check or retro inside the window. */
export function releaseConflicts(
  window: LeaveWindow,
  commitments: readonly ReleaseCommitment[],
): GateReason[] {
  return commitments
    .filter((c) => inWindow(window, c.date))
    .sort((a, b) => compareDates(a.date, b.date) || a.issueKey.localeCompare(b.issueKey))
    .map((c) => ({
      kind: 'release',
      message: `you own the ${COMMITMENT_NAMES[c.kind]} of ${c.title} (${c.issueKey}, Tier ${c.tier}) on ${c.date}`,
      dates: [c.date],
    }));
}

/** Reason (c): the window touches a blackout that applies to the team. */
export function blackoutConflicts(
  window: LeaveWindow,
  teamId: string,
  blackouts: readonly Blackout[],
): GateReason[] {
  return blackouts
    .filter((b) => !b.teams || b.teams.includes(teamId))
    .filter((b) => compareDates(b.from, window.to) <= 0 && compareDates(b.to, window.from) >= 0)
    .map((b) => {
      const first = compareDates(b.from, window.from) > 0 ? b.from : window.from;
      const last = compareDates(b.to, window.to) < 0 ? b.to : window.to;
      return {
        kind: 'blackout',
        message: `the window touches the blackout ${b.from} to ${b.to}: ${b.reason}`,
        dates: datesInRange(first, last),
      };
    });
}

/** Leave held against a team's minimum on duty: pending or confirmed requests. */
export interface TeamReservation {
  workflowId: string;
  personId: string;
  role: string;
  from: CalendarDate;
  to: CalendarDate;
  /** Dates the person is off for the whole day: these count against the minimum. */
  fullDays: CalendarDate[];
  /** Every working date the person is off, half days included. */
  days: CalendarDate[];
  status: 'pending' | 'confirmed';
  buddyId: string | null;
}

export interface RoleMember {
  id: string;
  calendar: BusinessCalendar;
}

/** For each date, the members for whom it is a working day: who would be on duty without leave. */
export function onDutyBaseline(
  dates: readonly CalendarDate[],
  members: readonly RoleMember[],
): Record<CalendarDate, string[]> {
  const out: Record<CalendarDate, string[]> = {};
  for (const date of dates)
    out[date] = members.filter((m) => isWorkingDay(m.calendar, date)).map((m) => m.id);
  return out;
}

export interface CoverageCheck {
  role: string;
  minimum: number;
  /** `onDutyBaseline` of the requester's full days. */
  onDuty: Record<CalendarDate, string[]>;
  requesterId: string;
  requesterFullDays: readonly CalendarDate[];
  /** Other requests of the team (the requester's own excluded). */
  reservations: readonly TeamReservation[];
}

export interface Shortfall {
  date: CalendarDate;
  /** Who would still be on duty. */
  onDuty: string[];
  minimum: number;
}

/** Reason (b): the dates on which approving would leave fewer of the role on duty than required. */
export function coverageShortfalls(check: CoverageCheck): Shortfall[] {
  if (check.minimum <= 0) return [];
  const out: Shortfall[] = [];
  for (const date of check.requesterFullDays) {
    const off = new Set<string>([check.requesterId]);
    for (const r of check.reservations) {
      if (r.role === check.role && r.fullDays.includes(date)) off.add(r.personId);
    }
    const remaining = (check.onDuty[date] ?? []).filter((id) => !off.has(id));
    if (remaining.length < check.minimum) out.push({ date, onDuty: remaining, minimum: check.minimum });
  }
  return out;
}

export function coverageReason(
  role: string,
  teamName: string,
  shortfalls: readonly Shortfall[],
): GateReason | null {
  const first = shortfalls[0];
  if (!first) return null;
  const dates = shortfalls.map((s) => s.date);
  const fewest = Math.min(...shortfalls.map((s) => s.onDuty.length));
  return {
    kind: 'coverage',
    message: `${teamName} needs at least ${first.minimum} ${role} on duty; with this leave it would have ${fewest} on ${summariseDates(dates)}, counting leave already confirmed or pending`,
    dates,
  };
}

function summariseDates(dates: readonly CalendarDate[]): string {
  if (dates.length <= 3) return dates.join(', ');
  return `${dates.slice(0, 3).join(', ')} and ${dates.length - 3} more working day${dates.length === 4 ? '' : 's'}`;
}

/** The members of the requester's team who share the role, with their calendars. */
export function teamRoleMembers(context: LeaveContext): RoleMember[] {
  return context.peers
    .filter((p) => p.team === context.team.id)
    .map((p) => ({ id: p.id, calendar: calendarOf(context, p) }));
}

/** What the team coordinator needs to judge the minimum on duty for a window. */
export interface CoverageRequest {
  days: LeaveDay[];
  fullDays: CalendarDate[];
  onDuty: Record<CalendarDate, string[]>;
  minimum: number;
}

export function coverageRequestFor(context: LeaveContext, window: LeaveWindow): CoverageRequest {
  const days = leaveDays(window, calendarOf(context, context.requester));
  const fullDays = fullDaysOf(days);
  return {
    days,
    fullDays,
    onDuty: onDutyBaseline(fullDays, teamRoleMembers(context)),
    minimum: context.team.minimumOnDuty,
  };
}

/** A window with no working day needs no approval, and cannot be given one either. */
export function emptyWindowReason(days: readonly LeaveDay[]): GateReason | null {
  return days.length > 0
    ? null
    : {
        kind: 'window',
        message: 'the window has no working day on your calendar: there is nothing to approve',
        dates: [],
      };
}

/** Gate 1 in one call, against a snapshot of the team's reservations (the CLI and nearby-date search). */
export function evaluateGateOne(input: {
  context: LeaveContext;
  window: LeaveWindow;
  commitments: readonly ReleaseCommitment[];
  reservations: readonly TeamReservation[];
}): GateOneResult {
  const { context, window } = input;
  const request = coverageRequestFor(context, window);
  const empty = emptyWindowReason(request.days);
  if (empty) return { passed: false, reasons: [empty] };
  const coverage = coverageReason(
    context.requester.role,
    context.team.name,
    coverageShortfalls({
      role: context.requester.role,
      minimum: request.minimum,
      onDuty: request.onDuty,
      requesterId: context.requester.id,
      requesterFullDays: request.fullDays,
      reservations: input.reservations.filter((r) => r.personId !== context.requester.id),
    }),
  );
  const reasons = [
    ...releaseConflicts(window, input.commitments),
    ...(coverage ? [coverage] : []),
    ...blackoutConflicts(window, context.team.id, context.blackouts),
  ];
  return { passed: reasons.length === 0, reasons };
}

/**
 * Windows near `window` that `passes` accepts: the same number of working days and the same half
 * days, starting a whole number of working days earlier or later, never before `today`. Nearest
 * first; an earlier one before a later one at the same distance.
 */
export function suggestAlternatives(
  window: LeaveWindow,
  cal: BusinessCalendar,
  today: CalendarDate,
  passes: (candidate: LeaveWindow) => boolean,
  options: { maxResults?: number; searchWorkingDays?: number } = {},
): LeaveWindow[] {
  const length = leaveDays(window, cal).length;
  if (length === 0) return [];
  const maxResults = options.maxResults ?? MAX_ALTERNATIVES;
  const reach = options.searchWorkingDays ?? ALTERNATIVE_SEARCH_WORKING_DAYS;
  const start = rollForward(cal, window.from);
  const shaped = (from: CalendarDate): LeaveWindow => {
    const to = length === 1 ? from : addWorkingDays(cal, from, length - 1);
    return from === to
      ? { from, to, firstDay: window.firstDay, lastDay: window.firstDay }
      : { from, to, firstDay: window.firstDay, lastDay: window.lastDay };
  };
  const found: LeaveWindow[] = [];
  for (let shift = 1; shift <= reach && found.length < maxResults; shift++) {
    for (const direction of [-1, 1]) {
      if (found.length >= maxResults) break;
      const candidate = shaped(addWorkingDays(cal, start, direction * shift));
      if (compareDates(candidate.from, today) < 0) continue;
      if (passes(candidate)) found.push(candidate);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Buddy-role coverage

export interface CoverageRecord {
  personId: string;
  /** The last day of the most recent leave they covered. */
  lastCoveredOn: CalendarDate;
  times: number;
}

export type CandidatePreference = 'configured-buddy' | 'same-team' | 'other-team';

export interface RankedCandidate {
  person: CoveragePerson;
  preference: CandidatePreference;
  lastCoveredOn: CalendarDate | null;
}

/**
 * Everyone who may cover, best first: the same role, not the requester, not their manager.
 * The configured buddy leads; then the requester's team before other teams; within each, whoever
 * covered least recently (never first), then by id so the order is stable.
 */
export function rankCandidates(
  requester: CoveragePerson,
  peers: readonly CoveragePerson[],
  history: readonly CoverageRecord[],
): RankedCandidate[] {
  const last = new Map(history.map((h) => [h.personId, h.lastCoveredOn]));
  const rank: Record<CandidatePreference, number> = {
    'configured-buddy': 0,
    'same-team': 1,
    'other-team': 2,
  };
  return peers
    .filter((p) => p.role === requester.role && p.id !== requester.id && p.id !== requester.managerId)
    .map((person): RankedCandidate => ({
      person,
      preference:
        person.id === requester.buddyId
          ? 'configured-buddy'
          : person.team === requester.team
            ? 'same-team'
            : 'other-team',
      lastCoveredOn: last.get(person.id) ?? null,
    }))
    .sort((a, b) => {
      const byPreference = rank[a.preference] - rank[b.preference];
      if (byPreference !== 0) return byPreference;
      if (a.lastCoveredOn !== b.lastCoveredOn) {
        if (a.lastCoveredOn === null) return -1;
        if (b.lastCoveredOn === null) return 1;
        return compareDates(a.lastCoveredOn, b.lastCoveredOn);
      }
      return a.person.id.localeCompare(b.person.id);
    });
}

export interface BusyInterval {
  /** RFC 3339 instants with an offset. */
  start: string;
  end: string;
}

/** The share of `WORKING_HOURS` on `date` (local to `timezone`) that the intervals cover. */
export function busyShare(busy: readonly BusyInterval[], date: CalendarDate, timezone: string): number {
  const dayStart = Date.parse(zonedDateTimeToInstant(date, WORKING_HOURS.start, timezone));
  const dayEnd = Date.parse(zonedDateTimeToInstant(date, WORKING_HOURS.end, timezone));
  const clipped = busy
    .map((b) => [Math.max(Date.parse(b.start), dayStart), Math.min(Date.parse(b.end), dayEnd)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let reached = dayStart;
  for (const [s, e] of clipped) {
    if (e <= reached) continue;
    covered += e - Math.max(s, reached);
    reached = e;
  }
  return covered / (dayEnd - dayStart);
}

/**
 * Why a candidate cannot cover the dates, or null when they are on duty on every one: a day off
 * on their own calendar, leave of their own, or a calendar busy for most of the working day.
 */
export function offDutyReason(
  cal: BusinessCalendar,
  dates: readonly CalendarDate[],
  busy: readonly BusyInterval[],
  leaveDates: readonly CalendarDate[],
): string | null {
  const onLeave = new Set(leaveDates);
  for (const date of dates) {
    if (!isWorkingDay(cal, date)) return `${date} is not a working day on the ${cal.name} calendar`;
    if (onLeave.has(date)) return `on leave on ${date}`;
    if (busyShare(busy, date, cal.timezone) >= OFF_DUTY_BUSY_SHARE)
      return `busy for most of ${date} on their calendar`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Gate 2 timing and the hand-over

/** The local time of day of an instant, HH:MM. */
function localTimeOf(instant: number, timezone: string): string {
  const date = localDateOf(instant, timezone);
  const midnight = Date.parse(zonedDateTimeToInstant(date, '00:00', timezone));
  const minutes = Math.min(23 * 60 + 59, Math.max(0, Math.floor((instant - midnight) / 60_000)));
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The instant `n` working days after `from`, at the same local time of day, in `cal`'s zone. */
export function afterWorkingDays(cal: BusinessCalendar, from: number, n: number): number {
  const date = localDateOf(from, cal.timezone);
  return Date.parse(
    zonedDateTimeToInstant(addWorkingDays(cal, date, n), localTimeOf(from, cal.timezone), cal.timezone),
  );
}

/** JQL for the issues assigned to `accountId` that fall due inside the window. */
export function dueIssuesJql(accountId: string, window: LeaveWindow): string {
  const quoted = `"${accountId.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return `assignee = ${quoted} AND duedate >= "${window.from}" AND duedate <= "${window.to}" ORDER BY duedate ASC`;
}
