/**
 * Release tiering rules (operating-system pack, section 6): which steps a tier needs and when
 * they fall due. Pure, and safe in workflow code: every date counts working days of the PM
 * owner's business calendar, and the launch day itself never counts.
 */
import {
  addCalendarDays,
  addWorkingDays,
  compareDates,
  rollForward,
  type BusinessCalendar,
  type CalendarDate,
} from './business-calendar';

export const TIERS = [1, 2, 3] as const;
export type Tier = (typeof TIERS)[number];

export function isTier(value: unknown): value is Tier {
  return value === 1 || value === 2 || value === 3;
}

export interface ReleaseRules {
  /** Working days before launch that the enablement bundle must be published. */
  leadTimeWorkingDays: { tier2: number; tier3: number };
  /** Working days before launch of the Tier 3 Launch Readiness Check. */
  readinessCheckWorkingDaysBeforeLaunch: number;
}

export const DEFAULT_RELEASE_RULES: ReleaseRules = {
  leadTimeWorkingDays: { tier2: 5, tier3: 10 },
  readinessCheckWorkingDaysBeforeLaunch: 2,
};

export interface ReleasePlan {
  tier: Tier;
  launchDate: CalendarDate;
  /** The calendar the dates were counted on. */
  calendar: string;
  /** The enablement bundle's publication deadline; null for Tier 1, which needs no bundle. */
  bundleDueDate: CalendarDate | null;
  /** The Tier 3 Launch Readiness Check; null for Tiers 1 and 2 (their go/no-go is asynchronous). */
  readinessCheckDate: CalendarDate | null;
  /** Three calendar days after launch, rolled forward to a working day. */
  dayThreeCheckIn: CalendarDate;
  /** Fourteen calendar days after launch, rolled forward to a working day. */
  dayFourteenRetro: CalendarDate;
  /** True when `today` is already past the bundle's due date: the tier's lead time cannot be met. */
  late: boolean;
  /** When late: the earliest launch date whose bundle deadline is still ahead. */
  earliestCompliantLaunch: CalendarDate | null;
}

export function leadTimeFor(tier: Tier, rules: ReleaseRules): number | null {
  if (tier === 1) return null;
  return tier === 2 ? rules.leadTimeWorkingDays.tier2 : rules.leadTimeWorkingDays.tier3;
}

export function bundleDueDate(
  tier: Tier,
  launchDate: CalendarDate,
  cal: BusinessCalendar,
  rules: ReleaseRules,
): CalendarDate | null {
  const lead = leadTimeFor(tier, rules);
  return lead === null ? null : addWorkingDays(cal, launchDate, -lead);
}

export function readinessCheckDate(
  tier: Tier,
  launchDate: CalendarDate,
  cal: BusinessCalendar,
  rules: ReleaseRules,
): CalendarDate | null {
  return tier === 3 ? addWorkingDays(cal, launchDate, -rules.readinessCheckWorkingDaysBeforeLaunch) : null;
}

/** Post-launch capture counts from the actual launch when it differs from the plan. */
export function postLaunchDates(
  launchedOn: CalendarDate,
  cal: BusinessCalendar,
): { dayThreeCheckIn: CalendarDate; dayFourteenRetro: CalendarDate } {
  return {
    dayThreeCheckIn: rollForward(cal, addCalendarDays(launchedOn, 3)),
    dayFourteenRetro: rollForward(cal, addCalendarDays(launchedOn, 14)),
  };
}

/**
 * The earliest working day to launch on whose bundle deadline is not before `today`: the
 * lead time counted forward from the first working day on or after today. (A weekend date can
 * share a deadline with the Monday after it, but proposing a weekend launch helps nobody.)
 */
export function earliestCompliantLaunch(
  tier: Tier,
  today: CalendarDate,
  cal: BusinessCalendar,
  rules: ReleaseRules,
): CalendarDate | null {
  const lead = leadTimeFor(tier, rules);
  if (lead === null) return null;
  return addWorkingDays(cal, rollForward(cal, today), lead);
}

export interface PlanInput {
  tier: Tier;
  launchDate: CalendarDate;
  /** The date the plan is made on, in the PM's calendar (the workflow's current date). */
  today: CalendarDate;
}

export function planRelease(input: PlanInput, cal: BusinessCalendar, rules: ReleaseRules): ReleasePlan {
  const due = bundleDueDate(input.tier, input.launchDate, cal, rules);
  const late = due !== null && compareDates(input.today, due) > 0;
  return {
    tier: input.tier,
    launchDate: input.launchDate,
    calendar: cal.name,
    bundleDueDate: due,
    readinessCheckDate: readinessCheckDate(input.tier, input.launchDate, cal, rules),
    ...postLaunchDates(input.launchDate, cal),
    late,
    earliestCompliantLaunch: late ? earliestCompliantLaunch(input.tier, input.today, cal, rules) : null,
  };
}

/** Every step a release can have, in the order they happen. */
export type ReleaseStepId =
  | 'release-log'
  | 'plan-comment'
  | 'bundle'
  | 'support-readiness'
  | 'sales-readiness'
  | 'readiness-check'
  | 'go-no-go'
  | 'launch'
  | 'weekly-update'
  | 'day-3-check-in'
  | 'day-14-retro';

export interface PlannedStep {
  id: ReleaseStepId;
  title: string;
  /** The date it falls due; null for what is done at once (the release log, the plan comment). */
  due: CalendarDate | null;
  /** Whether the tier needs it; a step the tier no longer needs is retired, not forgotten. */
  needed: boolean;
}

export const WEEKLY_UPDATE_STEP_TITLE = 'PM updates weekly product update';

/** Calendar days after launch within which a weekly update must list a Tier 1 launch. */
export const WEEKLY_UPDATE_WINDOW_DAYS = 14;

/**
 * The last day a weekly product update may list a launch: fourteen calendar days after it, rolled
 * forward to a working day. Any weekly ritual, whichever day it is held on, publishes twice in
 * those days (a holiday moves it to the working day before, still inside the window).
 */
export function weeklyUpdateWindowEnd(launchedOn: CalendarDate, cal: BusinessCalendar): CalendarDate {
  return rollForward(cal, addCalendarDays(launchedOn, WEEKLY_UPDATE_WINDOW_DAYS));
}

/**
 * The table of a release's steps for a tier and its plan: every step, needed or not, so that a
 * tier change knows what to retire. Once launched, the Day-3 and Day-14 dates count from the
 * actual launch rather than the planned one.
 */
export function stepsFor(
  tier: Tier,
  plan: ReleasePlan,
  launch: { launchDate: CalendarDate; launchedOn: CalendarDate | null },
  cal: BusinessCalendar,
): PlannedStep[] {
  const { launchDate, launchedOn } = launch;
  const post = launchedOn ? postLaunchDates(launchedOn, cal) : plan;
  const step = (
    id: ReleaseStepId,
    title: string,
    due: CalendarDate | null,
    needed: boolean,
  ): PlannedStep => ({
    id,
    title,
    due,
    needed,
  });
  return [
    step('release-log', 'Release log entry (weekly product update)', null, true),
    step('plan-comment', 'Plan commented on the Jira issue', null, true),
    step(
      'bundle',
      tier === 3 ? 'Full enablement bundle published' : 'Enablement bundle (lite) published',
      plan.bundleDueDate,
      tier >= 2,
    ),
    step('support-readiness', 'Support confirms readiness', launchDate, tier >= 2),
    step('sales-readiness', 'Sales confirms readiness', launchDate, tier >= 2),
    step('readiness-check', 'Launch Readiness Check (30 minutes)', plan.readinessCheckDate, tier === 3),
    step(
      'go-no-go',
      tier === 3 ? 'Go/no-go by the PM at the readiness check' : 'Go/no-go by the PM (asynchronous)',
      plan.readinessCheckDate ?? launchDate,
      tier >= 2,
    ),
    step('launch', 'Launch', launchDate, true),
    // Tier 1's one step of its own: closed by the weekly update that lists the launch, missed when
    // none has by the end of this window (two weekly publications, whatever the ritual's day).
    step(
      'weekly-update',
      WEEKLY_UPDATE_STEP_TITLE,
      weeklyUpdateWindowEnd(launchedOn ?? launchDate, cal),
      tier === 1,
    ),
    step('day-3-check-in', 'Day-3 check-in (asynchronous)', post.dayThreeCheckIn, tier >= 2),
    step(
      'day-14-retro',
      tier === 3 ? 'Day-14 retro (15 minutes)' : 'Day-14 retro (asynchronous)',
      post.dayFourteenRetro,
      tier >= 2,
    ),
  ];
}

export function releaseRulesFrom(releases: {
  leadTimeWorkingDays: { tier2: number; tier3: number };
  readinessCheck: { workingDaysBeforeLaunch: number };
}): ReleaseRules {
  return {
    leadTimeWorkingDays: { ...releases.leadTimeWorkingDays },
    readinessCheckWorkingDaysBeforeLaunch: releases.readinessCheck.workingDaysBeforeLaunch,
  };
}
