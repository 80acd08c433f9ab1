/**
 * prodops' Temporal Schedules, created or brought up to date from the configuration by
 * `prodops temporal setup` and `npm start`, as often as they run:
 *
 * - `prodops-weekly-update` runs the launcher at the opening time on every working weekday of
 *   the rituals' calendar; the launcher starts `weekly-update:<week>` on the update's day.
 * - `prodops-metrics-monthly` fires every day at `rituals.metrics.refreshAt` and starts the
 *   month's metrics run unless one is going (overlap: skip). The run closes last month's page and
 *   keeps this month's current to its end, so on most days the firing is skipped; a first of the
 *   month the server missed, or a run that was lost, is made good the next day at the latest.
 *   Setup also starts a run at once when none is going, so a namespace set up mid-month has its
 *   page the same minute rather than next month.
 * - `prodops-insights-weekly`: every day at `insights.time` in the insights calendar's zone, the
 *   insights launcher starts the week's triage on its first working day (from
 *   `insights.triage.day`) and sends the needs-tagging roundup on `insights.roundup.days`.
 * - `prodops-insights-monthly`: every day at the same time, the insights launcher starts the
 *   digest of last month on the first working day of this one.
 *
 * The insights schedules fire daily and the launcher decides, because "the first working day"
 * depends on holidays a cron expression cannot know; a run with nothing to do costs one short
 * workflow. They, and the metrics schedule, catch up a day the server was down, once. The weekly
 * update's schedule catches up a run missed by at most an hour (a server restart), no more: an
 * update that opens half a day late helps nobody. No schedule ever runs twice at once. A process switched off in the configuration
 * (or insights without product areas) pauses its schedule rather than deleting it.
 */
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { INSIGHTS_LAUNCHER_TYPE, type LauncherInput } from '../contracts/insights';
import { ritualCalendarName, WEEKDAYS, type OrgConfig, type Weekday } from '../domain/config';
import { resolveInsightsSettings } from '../domain/insights/settings';
import { METRICS_SCHEDULE_ID, METRICS_WORKFLOW_TYPE } from '../workflows/metrics/messages';
import { WEEKLY_UPDATE_LAUNCHER_TYPE, WEEKLY_UPDATE_SCHEDULE_ID } from '../workflows/weekly-update/messages';

/** How late a ritual's run may still start (a server restart), in the schedule's words and in ms. */
export const CATCHUP_WINDOW = '1 hour';
const CATCHUP_WINDOW_MS = 3_600_000;
/** How late a daily run (insights, metrics) may still start: a day the server was down is caught up once. */
export const INSIGHTS_CATCHUP_WINDOW = '1 day';
const INSIGHTS_CATCHUP_WINDOW_MS = 86_400_000;

export const INSIGHTS_SCHEDULES = {
  weekly: 'prodops-insights-weekly',
  monthly: 'prodops-insights-monthly',
} as const;

/** Which process a schedule belongs to. */
export type ScheduleProcess = 'rituals' | 'insights';

const DAY_NAMES: Record<
  Weekday,
  'SUNDAY' | 'MONDAY' | 'TUESDAY' | 'WEDNESDAY' | 'THURSDAY' | 'FRIDAY' | 'SATURDAY'
> = {
  sun: 'SUNDAY',
  mon: 'MONDAY',
  tue: 'TUESDAY',
  wed: 'WEDNESDAY',
  thu: 'THURSDAY',
  fri: 'FRIDAY',
  sat: 'SATURDAY',
};

export interface WantedSchedule {
  process: ScheduleProcess;
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleOptionsStartWorkflowAction<Workflow>;
  /** How late a missed run may still start, in the schedule's words and in ms (as described). */
  catchupWindow: { text: string; ms: number };
  paused: boolean;
  note: string;
  /** What the schedule is, in words, for the command's output. */
  describe: string;
  /**
   * Setup starts a run at once when the schedule is not paused and none of its runs is going:
   * for a process whose absence until the next firing would be noticed (the month's page).
   */
  runAtOnce?: boolean;
}

const hm = (time: string) => time.split(':').map(Number) as [number, number];

/** The schedules the configuration asks for: the rituals', then the insights pipeline's. */
export function wantedSchedules(config: OrgConfig): WantedSchedule[] {
  return [...ritualSchedules(config), ...insightsSchedules(config)];
}

function ritualSchedules(config: OrgConfig): WantedSchedule[] {
  const calendarName = ritualCalendarName(config);
  const calendar = config.calendars[calendarName]!;
  const timezone = calendar.timezone;
  const weekly = config.rituals.weeklyUpdate;
  const workingWeekdays = WEEKDAYS.filter((d) => !calendar.weekend.includes(d));
  const [openHour, openMinute] = hm(weekly.opens);
  const [refreshHour, refreshMinute] = hm(config.rituals.metrics.refreshAt);
  const fingerprint = (value: unknown) => JSON.stringify(value);
  const weeklySpec: ScheduleSpec = {
    calendars: [
      {
        dayOfWeek: workingWeekdays.map((d) => DAY_NAMES[d]),
        hour: openHour,
        minute: openMinute,
        comment: `opening time of the Weekly Product Update on the ${calendarName} calendar`,
      },
    ],
    timezone,
  };
  const metricsSpec: ScheduleSpec = {
    calendars: [
      {
        hour: refreshHour,
        minute: refreshMinute,
        comment: "every day; skipped while the month's run is going",
      },
    ],
    timezone,
  };
  const taskQueue = config.temporal.taskQueue;
  return [
    {
      process: 'rituals',
      scheduleId: WEEKLY_UPDATE_SCHEDULE_ID,
      spec: weeklySpec,
      action: {
        type: 'startWorkflow',
        workflowType: WEEKLY_UPDATE_LAUNCHER_TYPE,
        workflowId: 'weekly-update-launcher',
        taskQueue,
        args: [],
        memo: { prodopsSchedule: fingerprint([weeklySpec, taskQueue]) },
      },
      catchupWindow: { text: CATCHUP_WINDOW, ms: CATCHUP_WINDOW_MS },
      paused: !weekly.enabled,
      note: weekly.enabled
        ? 'kept by prodops temporal setup'
        : 'paused: rituals.weeklyUpdate.enabled is false',
      describe: `${workingWeekdays.join(', ')} at ${weekly.opens} ${timezone}: starts the week's update on ${weekly.day} (or the working day before)`,
    },
    {
      process: 'rituals',
      scheduleId: METRICS_SCHEDULE_ID,
      spec: metricsSpec,
      action: {
        type: 'startWorkflow',
        workflowType: METRICS_WORKFLOW_TYPE,
        workflowId: 'product-ops-metrics',
        taskQueue,
        args: [{}],
        memo: { prodopsSchedule: fingerprint([metricsSpec, taskQueue]) },
      },
      catchupWindow: { text: INSIGHTS_CATCHUP_WINDOW, ms: INSIGHTS_CATCHUP_WINDOW_MS },
      paused: !config.rituals.metrics.monthlyPage,
      note: config.rituals.metrics.monthlyPage
        ? 'kept by prodops temporal setup'
        : 'paused: rituals.metrics.monthlyPage is false',
      describe: `daily at ${config.rituals.metrics.refreshAt} ${timezone}: starts the month's metrics run unless it is going (it closes last month's page and keeps this month's current)`,
      runAtOnce: true,
    },
  ];
}

function insightsSchedules(config: OrgConfig): WantedSchedule[] {
  const settings = resolveInsightsSettings(config);
  const timezone = config.calendars[settings.calendar]!.timezone;
  const [hour, minute] = hm(config.insights.time);
  const spec: ScheduleSpec = {
    calendars: [
      { hour, minute, comment: `every day at ${config.insights.time}; the launcher keeps the working days` },
    ],
    timezone,
  };
  const taskQueue = config.temporal.taskQueue;
  const noAreas = config.productAreas.length === 0;
  const does: Record<LauncherInput['kind'], string> = {
    weekly: "starts the week's triage on its first working day and sends the needs-tagging roundup",
    monthly: "starts last month's digest on the month's first working day",
  };
  return (['weekly', 'monthly'] as const).map((kind) => ({
    process: 'insights',
    scheduleId: INSIGHTS_SCHEDULES[kind],
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: INSIGHTS_LAUNCHER_TYPE,
      workflowId: `insights-launcher-${kind}`,
      taskQueue,
      args: [{ kind } satisfies LauncherInput],
      memo: { prodopsSchedule: JSON.stringify([spec, taskQueue, kind]) },
    },
    catchupWindow: { text: INSIGHTS_CATCHUP_WINDOW, ms: INSIGHTS_CATCHUP_WINDOW_MS },
    paused: noAreas,
    note: noAreas ? 'paused: no productAreas are configured' : 'kept by prodops temporal setup',
    describe: `daily at ${config.insights.time} ${timezone}: ${does[kind]}`,
  }));
}

export type ScheduleChange = 'created' | 'updated' | 'unchanged';

export interface ScheduleOutcome {
  scheduleId: string;
  change: ScheduleChange;
  paused: boolean;
  describe: string;
  /** Setup started a run at once: none was going (see `WantedSchedule.runAtOnce`). */
  startedNow: boolean;
}

function options(wanted: WantedSchedule): ScheduleOptions {
  return {
    scheduleId: wanted.scheduleId,
    spec: wanted.spec,
    action: wanted.action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: wanted.catchupWindow.text },
    state: { paused: wanted.paused, note: wanted.note },
  };
}

/**
 * Creates each schedule the configuration asks for (of the given processes, all by default), or
 * updates the one that exists when the configuration changed it.
 */
export async function ensureSchedules(
  client: Client,
  config: OrgConfig,
  processes: readonly ScheduleProcess[] = ['rituals', 'insights'],
): Promise<ScheduleOutcome[]> {
  const outcomes: ScheduleOutcome[] = [];
  for (const wanted of wantedSchedules(config).filter((w) => processes.includes(w.process))) {
    const handle = client.schedule.getHandle(wanted.scheduleId);
    let change: ScheduleChange;
    try {
      const current = await handle.describe();
      const same =
        current.action.type === 'startWorkflow' &&
        current.action.memo?.prodopsSchedule === wanted.action.memo?.prodopsSchedule &&
        current.action.workflowType === wanted.action.workflowType &&
        current.policies.overlap === ScheduleOverlapPolicy.SKIP &&
        current.policies.catchupWindow === wanted.catchupWindow.ms;
      if (!same) {
        await handle.update(() => {
          const { scheduleId: _id, ...rest } = options(wanted);
          return { ...rest, state: { paused: wanted.paused, note: wanted.note } };
        });
        change = 'updated';
      } else {
        change = 'unchanged';
        if (current.state.paused !== wanted.paused) {
          if (wanted.paused) await handle.pause(wanted.note);
          else await handle.unpause(wanted.note);
          change = 'updated';
        }
      }
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
      await client.schedule.create(options(wanted));
      change = 'created';
    }
    let startedNow = false;
    if (wanted.runAtOnce && !wanted.paused) {
      const { info } = await handle.describe();
      if (info.runningActions.length === 0) {
        // Under the schedule's policy, so that a run started in between is not doubled (a
        // trigger's default is to allow all).
        await handle.trigger(ScheduleOverlapPolicy.SKIP);
        startedNow = true;
      }
    }
    outcomes.push({
      scheduleId: wanted.scheduleId,
      change,
      paused: wanted.paused,
      describe: wanted.describe,
      startedNow,
    });
  }
  return outcomes;
}

/** The rituals' schedules only (the weekly update and the metrics page). */
export const ensureRitualSchedules = (client: Client, config: OrgConfig) =>
  ensureSchedules(client, config, ['rituals']);

/** The insights pipeline's schedules only (the weekly triage and roundup, the monthly digest). */
export const ensureInsightsSchedules = (client: Client, config: OrgConfig) =>
  ensureSchedules(client, config, ['insights']);

export function formatScheduleOutcome(outcome: ScheduleOutcome): string {
  return `schedule ${outcome.scheduleId}: ${outcome.change}${outcome.paused ? ' (paused)' : ''}${outcome.startedNow ? ', run started now' : ''} — ${outcome.describe}`;
}
