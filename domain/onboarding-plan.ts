/**
 * Freelancer onboarding dates: every date of an engagement's plan from its start and end dates
 * and the freelancer's business calendar. Pure, and safe in workflow code.
 *
 * Counted exactly as release lead times count: "N working days before S" is the Nth working day
 * before S, S itself not counted (`addWorkingDays(cal, S, -N)`); "N working days after E" the
 * Nth working day after E. The check-in on the Nth working day counts the start as the first.
 */
import {
  addCalendarDays,
  addWorkingDays,
  compareDates,
  isValidDate,
  isWorkingDay,
  rollForward,
  weekdayOf,
  WEEKDAY_NAMES,
  type BusinessCalendar,
  type CalendarDate,
} from './business-calendar';

export interface OnboardingRules {
  /** Working days before the start: the Contract tasks (Legal, Finance) are due. */
  contractWorkingDaysBeforeStart: number;
  /** Working days before the start: Security approves the access scope. */
  securityApprovalWorkingDaysBeforeStart: number;
  /** Working days before the start: IT has provisioned every tool. */
  accessWorkingDaysBeforeStart: number;
  /** Working days before the start: the buddy is named. */
  buddyWorkingDaysBeforeStart: number;
  /** The check-in is on this working day of the engagement, the start being the first. */
  checkInWorkingDay: number;
  /** The review is this many calendar days after the start, moved forward to a working day. */
  reviewCalendarDaysAfterStart: number;
  /** Working days before the end: the manager is asked to extend or let it end. */
  extensionDecisionWorkingDaysBeforeEnd: number;
  /** Working days after the end: Finance approves the final invoice. */
  finalInvoiceWorkingDaysAfterEnd: number;
}

export const DEFAULT_ONBOARDING_RULES: OnboardingRules = {
  contractWorkingDaysBeforeStart: 10,
  securityApprovalWorkingDaysBeforeStart: 5,
  accessWorkingDaysBeforeStart: 3,
  buddyWorkingDaysBeforeStart: 3,
  checkInWorkingDay: 5,
  reviewCalendarDaysAfterStart: 30,
  extensionDecisionWorkingDaysBeforeEnd: 10,
  finalInvoiceWorkingDaysAfterEnd: 5,
};

/** The configuration's `onboarding` section as rules; the defaults when it is absent. */
export function onboardingRulesFrom(
  onboarding:
    | {
        workingDaysBeforeStart: { contract: number; securityApproval: number; access: number; buddy: number };
        checkIn: { workingDay: number };
        review: { calendarDaysAfterStart: number };
        offboarding: {
          extensionDecisionWorkingDaysBeforeEnd: number;
          finalInvoiceWorkingDaysAfterEnd: number;
        };
      }
    | undefined,
): OnboardingRules {
  if (!onboarding) return { ...DEFAULT_ONBOARDING_RULES };
  return {
    contractWorkingDaysBeforeStart: onboarding.workingDaysBeforeStart.contract,
    securityApprovalWorkingDaysBeforeStart: onboarding.workingDaysBeforeStart.securityApproval,
    accessWorkingDaysBeforeStart: onboarding.workingDaysBeforeStart.access,
    buddyWorkingDaysBeforeStart: onboarding.workingDaysBeforeStart.buddy,
    checkInWorkingDay: onboarding.checkIn.workingDay,
    reviewCalendarDaysAfterStart: onboarding.review.calendarDaysAfterStart,
    extensionDecisionWorkingDaysBeforeEnd: onboarding.offboarding.extensionDecisionWorkingDaysBeforeEnd,
    finalInvoiceWorkingDaysAfterEnd: onboarding.offboarding.finalInvoiceWorkingDaysAfterEnd,
  };
}

/** The dates of one engagement, as `prodops plan onboarding --json` prints them. */
export interface OnboardingPlan {
  /** The calendar the dates were counted on. */
  calendar: string;
  startDate: CalendarDate;
  endDate: CalendarDate | null;
  /** Contract and NDA, compliance check, vendor record: done by this day. */
  contractDue: CalendarDate;
  securityApprovalDue: CalendarDate;
  /** Every tool provisioned by this day. */
  accessDue: CalendarDate;
  buddyDue: CalendarDate;
  /** The start date: the welcome session is held on it. */
  welcomeSession: CalendarDate;
  firstWeekCheckIn: CalendarDate;
  thirtyDayReview: CalendarDate;
  /** The manager decides to extend or let it end; null without an end date. */
  extensionDecisionDue: CalendarDate | null;
  /** The first working day after the end: every tool revoked by then. */
  accessRevokedBy: CalendarDate | null;
  finalInvoiceDue: CalendarDate | null;
  /** True when the Contract tasks were due before today: the start cannot keep its lead time. */
  late: boolean;
  /** The earliest working-day start whose Contract tasks are due today or later. */
  earliestStart: CalendarDate;
}

/** A date an engagement cannot have; `field` names the input (`startDate`, `endDate`). */
export class OnboardingDateError extends Error {
  constructor(
    readonly field: 'startDate' | 'endDate',
    message: string,
  ) {
    super(message);
    this.name = 'OnboardingDateError';
  }
}

/** Why a date cannot start an engagement (naming the next working day), or null when it can. */
export function startDateProblem(cal: BusinessCalendar, start: CalendarDate): string | null {
  if (!isValidDate(start)) return `start date ${JSON.stringify(start)} is not a date written YYYY-MM-DD`;
  if (isWorkingDay(cal, start)) return null;
  const reason = cal.holidays.includes(start) ? 'a day off' : `a ${WEEKDAY_NAMES[weekdayOf(start)]}`;
  return `start date ${start} is ${reason} on the ${cal.name} calendar, not a working day: the next working day is ${rollForward(cal, start)}`;
}

/** Throws an OnboardingDateError naming the field when the dates cannot make an engagement. */
export function checkEngagementDates(
  cal: BusinessCalendar,
  startDate: CalendarDate,
  endDate: CalendarDate | null,
): void {
  const startProblem = startDateProblem(cal, startDate);
  if (startProblem) throw new OnboardingDateError('startDate', startProblem);
  if (endDate === null) return;
  if (!isValidDate(endDate))
    throw new OnboardingDateError(
      'endDate',
      `end date ${JSON.stringify(endDate)} is not a date written YYYY-MM-DD`,
    );
  if (compareDates(endDate, startDate) < 0)
    throw new OnboardingDateError('endDate', `end date ${endDate} is before the start date ${startDate}`);
}

/** The earliest working day whose `lead` working days before it fall today or later. */
export function earliestStartWithLead(
  cal: BusinessCalendar,
  today: CalendarDate,
  lead: number,
): CalendarDate {
  return addWorkingDays(cal, rollForward(cal, today), lead);
}

export function contractDueFor(
  cal: BusinessCalendar,
  start: CalendarDate,
  rules: OnboardingRules,
): CalendarDate {
  return addWorkingDays(cal, start, -rules.contractWorkingDaysBeforeStart);
}

/** The days an engagement ends by: the extension decision, revocation and final invoice. */
export function endDates(
  cal: BusinessCalendar,
  endDate: CalendarDate,
  rules: OnboardingRules,
): { extensionDecisionDue: CalendarDate; accessRevokedBy: CalendarDate; finalInvoiceDue: CalendarDate } {
  return {
    extensionDecisionDue: addWorkingDays(cal, endDate, -rules.extensionDecisionWorkingDaysBeforeEnd),
    accessRevokedBy: addWorkingDays(cal, endDate, 1),
    finalInvoiceDue: addWorkingDays(cal, endDate, rules.finalInvoiceWorkingDaysAfterEnd),
  };
}

export interface PlanOnboardingInput {
  startDate: CalendarDate;
  endDate: CalendarDate | null;
  /** The day the plan is made on, in the freelancer's calendar. */
  today: CalendarDate;
}

/** Every date of the plan. Throws an OnboardingDateError for dates no engagement can have. */
export function planOnboarding(
  input: PlanOnboardingInput,
  cal: BusinessCalendar,
  rules: OnboardingRules = DEFAULT_ONBOARDING_RULES,
): OnboardingPlan {
  checkEngagementDates(cal, input.startDate, input.endDate);
  const start = input.startDate;
  const contractDue = contractDueFor(cal, start, rules);
  const end = input.endDate === null ? null : endDates(cal, input.endDate, rules);
  return {
    calendar: cal.name,
    startDate: start,
    endDate: input.endDate,
    contractDue,
    securityApprovalDue: addWorkingDays(cal, start, -rules.securityApprovalWorkingDaysBeforeStart),
    accessDue: addWorkingDays(cal, start, -rules.accessWorkingDaysBeforeStart),
    buddyDue: addWorkingDays(cal, start, -rules.buddyWorkingDaysBeforeStart),
    welcomeSession: start,
    firstWeekCheckIn: addWorkingDays(cal, start, rules.checkInWorkingDay - 1),
    thirtyDayReview: rollForward(cal, addCalendarDays(start, rules.reviewCalendarDaysAfterStart)),
    extensionDecisionDue: end?.extensionDecisionDue ?? null,
    accessRevokedBy: end?.accessRevokedBy ?? null,
    finalInvoiceDue: end?.finalInvoiceDue ?? null,
    late: compareDates(contractDue, input.today) < 0,
    earliestStart: earliestStartWithLead(cal, input.today, rules.contractWorkingDaysBeforeStart),
  };
}

/** The gates before the start, in the order they open. */
export type OnboardingGate = 'contract' | 'security' | 'access';

export function gateLeadTime(gate: OnboardingGate, rules: OnboardingRules): number {
  if (gate === 'contract') return rules.contractWorkingDaysBeforeStart;
  if (gate === 'security') return rules.securityApprovalWorkingDaysBeforeStart;
  return rules.accessWorkingDaysBeforeStart;
}

export function gateDue(
  gate: OnboardingGate,
  start: CalendarDate,
  cal: BusinessCalendar,
  rules: OnboardingRules,
): CalendarDate {
  return addWorkingDays(cal, start, -gateLeadTime(gate, rules));
}

/**
 * The earliest start the work still open allows: the first gate still open gets until today
 * (as `earliestStart` of the plan gives the Contract tasks), and every gate after it keeps its
 * own lead time from there.
 */
export function earliestFeasibleStart(
  openGate: OnboardingGate,
  today: CalendarDate,
  cal: BusinessCalendar,
  rules: OnboardingRules,
): CalendarDate {
  return earliestStartWithLead(cal, today, gateLeadTime(openGate, rules));
}
