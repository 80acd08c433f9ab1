/**
 * How the onboarding commands print: the plan, an engagement's status, the list, and the
 * blockers report (which team holds each engagement up, and each team's median working days
 * from task created to task done, across every engagement).
 */
import { weekdayOf, type CalendarDate } from '../domain/business-calendar';
import type { OnboardingPlan } from '../domain/onboarding-plan';
import { describeActor } from '../domain/operators';
import type { Blocker, OnboardingStatus, TaskView } from '../workflows/onboarding/messages';

const WEEKDAYS = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
} as const;

export const day = (date: CalendarDate | null): string =>
  date === null ? '-' : `${date} (${WEEKDAYS[weekdayOf(date)]})`;

export function alignPairs(rows: [string, string][], indent = '  '): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`);
}

export function table(header: string[], rows: string[][], indent = '  '): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) =>
    `${indent}${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd(),
  );
}

/** The fields of `prodops plan onboarding --json`, in this order. */
export function planJson(plan: OnboardingPlan) {
  return {
    contractDue: plan.contractDue,
    securityApprovalDue: plan.securityApprovalDue,
    accessDue: plan.accessDue,
    buddyDue: plan.buddyDue,
    welcomeSession: plan.welcomeSession,
    firstWeekCheckIn: plan.firstWeekCheckIn,
    thirtyDayReview: plan.thirtyDayReview,
    extensionDecisionDue: plan.extensionDecisionDue,
    accessRevokedBy: plan.accessRevokedBy,
    finalInvoiceDue: plan.finalInvoiceDue,
    late: plan.late,
    earliestStart: plan.earliestStart,
  };
}

export function formatPlan(plan: OnboardingPlan, today: CalendarDate): string[] {
  return alignPairs([
    ['calendar', plan.calendar],
    ['today', day(today)],
    ['contract (Legal, Finance) due', day(plan.contractDue)],
    ['security approval due', day(plan.securityApprovalDue)],
    ['access (IT) due', day(plan.accessDue)],
    ['buddy named', day(plan.buddyDue)],
    ['welcome session (start)', day(plan.welcomeSession)],
    ['first-week check-in', day(plan.firstWeekCheckIn)],
    ['30-day review', day(plan.thirtyDayReview)],
    ['extend or let end', day(plan.extensionDecisionDue)],
    ['access revoked by', day(plan.accessRevokedBy)],
    ['final invoice due', day(plan.finalInvoiceDue)],
    [
      'lead time',
      plan.late
        ? `LATE: the Contract tasks were due ${plan.contractDue}; earliest start that meets it: ${day(plan.earliestStart)}`
        : 'met',
    ],
  ]);
}

const flagList = (s: OnboardingStatus) =>
  [
    s.flags.startAtRisk ? 'start at risk' : '',
    s.flags.revocationOverdue ? 'revocation overdue' : '',
    s.flags.integrationError ? 'integration error' : '',
  ]
    .filter((f) => f !== '')
    .join(', ') || 'none';

const doneBy = (t: TaskView) => (t.doneBy ? describeActor(t.doneBy.by, t.doneBy.via, t.doneBy.operator) : '');

export function formatStatus(s: OnboardingStatus): string[] {
  const lines = [
    `${s.freelancerId} — ${s.name} <${s.email}>`,
    ...alignPairs([
      ['phase', s.phase],
      ['team', s.team],
      ['role', s.role],
      ['hiring manager', s.managerId ?? '-'],
      ['start', day(s.startDate)],
      ['end', day(s.endDate)],
      ['tools', s.tools.join(', ') || 'none'],
      ['buddy', s.buddy ? `${s.buddy.name} (${s.buddy.id})` : 'not named'],
      ['flags', flagList(s)],
      ['next', s.nextDeadline ? `${s.nextDeadline.what} ${day(s.nextDeadline.date)}` : 'nothing ahead'],
      ...(s.proposal
        ? [
            [
              'proposed start',
              `${day(s.proposal.start)} instead of ${s.proposal.instead}: ${s.proposal.reason}`,
            ] as [string, string],
          ]
        : []),
      ...(s.reason ? [['reason', s.reason] as [string, string]] : []),
    ]),
    '',
    'tasks',
    ...(s.tasks.length === 0
      ? ['  none yet']
      : table(
          ['TASK', 'TEAM', 'STATUS', 'DUE', 'ISSUE', 'DONE BY'],
          s.tasks.map((t) => [t.title, t.teamId, t.status, t.due, t.issueKey ?? '-', doneBy(t)]),
        )),
    '',
    `meetings: welcome ${s.events.welcome ?? '-'}, check-in ${s.events.checkIn ?? '-'}, review ${s.events.review ?? '-'}`,
  ];
  if (s.decisions.length > 0)
    lines.push(
      '',
      'decisions',
      ...table(
        ['AT', 'BY', 'WHAT'],
        s.decisions.map((d) => [d.at, describeActor(d.by, d.via, d.operator), d.detail]),
      ),
    );
  if (s.refusals.length > 0)
    lines.push(
      '',
      'refused',
      ...table(
        ['AT', 'BY', 'WHY'],
        s.refusals.map((r) => [r.at, describeActor(r.by, r.via, r.operator), r.reason]),
      ),
    );
  return lines;
}

export function summary(s: OnboardingStatus): string {
  return `${s.freelancerId}: ${s.phase}, start ${s.startDate}, end ${s.endDate}, flags: ${flagList(s)}${s.nextDeadline ? `; next: ${s.nextDeadline.what} ${s.nextDeadline.date}` : ''}`;
}

// ---- Blockers -----------------------------------------------------------------------------------

export interface EngagementBlockers {
  freelancerId: string;
  workflowId: string;
  phase: string;
  startDate: CalendarDate;
  /** Open tasks, the latest first: which team holds the engagement up, with which task, by how much. */
  blockers: Blocker[];
}

export interface TeamThroughput {
  teamId: string;
  tasksDone: number;
  /** Median working days from task created to task done; null when no task of the team is done. */
  medianWorkingDaysToDone: number | null;
}

export interface BlockersReport {
  engagements: EngagementBlockers[];
  teams: TeamThroughput[];
  /** Engagements whose status could not be read (named, so nothing is silently left out). */
  unreadable: string[];
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Running engagements with what holds them up; every engagement's done tasks for the medians. */
export function blockersReport(
  statuses: { status: OnboardingStatus; running: boolean }[],
  unreadable: string[],
): BlockersReport {
  const engagements = statuses
    .filter((x) => x.running && x.status.phase !== 'closed' && x.status.phase !== 'cancelled')
    .map(({ status: s }) => ({
      freelancerId: s.freelancerId,
      workflowId: s.workflowId,
      phase: s.phase,
      startDate: s.startDate,
      blockers: [...s.blockers].sort(
        (a, b) => b.workingDaysLate - a.workingDaysLate || a.due.localeCompare(b.due),
      ),
    }))
    .sort(
      (a, b) =>
        (b.blockers[0]?.workingDaysLate ?? -1) - (a.blockers[0]?.workingDaysLate ?? -1) ||
        a.startDate.localeCompare(b.startDate),
    );
  const byTeam = new Map<string, number[]>();
  for (const { status: s } of statuses)
    for (const t of s.tasks)
      if (t.status === 'done' && t.workingDaysToDone !== null)
        byTeam.set(t.teamId, [...(byTeam.get(t.teamId) ?? []), t.workingDaysToDone]);
  const teams = [...byTeam.entries()]
    .map(([teamId, days]) => ({ teamId, tasksDone: days.length, medianWorkingDaysToDone: median(days) }))
    .sort((a, b) => a.teamId.localeCompare(b.teamId));
  return { engagements, teams, unreadable };
}

export function formatBlockers(report: BlockersReport): string[] {
  const rows = report.engagements.flatMap((e) =>
    e.blockers.length === 0
      ? [[e.freelancerId, e.phase, '-', 'nothing open', '-', '-', '0']]
      : e.blockers.map((b) => [
          e.freelancerId,
          e.phase,
          b.teamId,
          b.title,
          b.issueKey ?? '-',
          b.due,
          String(b.workingDaysLate),
        ]),
  );
  const lines = [
    'held up by',
    ...(rows.length === 0
      ? ['  no running engagement']
      : table(['FREELANCER', 'PHASE', 'TEAM', 'TASK', 'ISSUE', 'DUE', 'WORKING DAYS LATE'], rows)),
    '',
    'median working days from task created to task done, every engagement',
    ...(report.teams.length === 0
      ? ['  no task done yet']
      : table(
          ['TEAM', 'TASKS DONE', 'MEDIAN'],
          report.teams.map((t) => [
            t.teamId,
            String(t.tasksDone),
            t.medianWorkingDaysToDone === null ? '-' : String(t.medianWorkingDaysToDone),
          ]),
        )),
  ];
  if (report.unreadable.length > 0) lines.push('', `could not read: ${report.unreadable.join(', ')}`);
  return lines;
}
