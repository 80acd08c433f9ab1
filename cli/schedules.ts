/**
 * The rituals' Temporal Schedules, created or brought up to date from the configuration by
 * `prodops temporal setup` and `npm start`, as often as they run:
 *
 * - `prodops-weekly-update` runs the launcher at the opening time on every working weekday of
 *   the rituals' calendar; the launcher starts `weekly-update:<week>` on the update's day.
 * - `prodops-metrics-monthly` starts the metrics workflow on the first of each month.
 *
 * Both skip a run while the previous one still runs and catch up a run missed by at most an
 * hour (a server restart), no more: an update that opens half a day late helps nobody. A ritual
 * switched off in the configuration pauses its schedule rather than deleting it.
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
import { ritualCalendarName, WEEKDAYS, type OrgConfig, type Weekday } from '../domain/config';
import { METRICS_SCHEDULE_ID, METRICS_WORKFLOW_TYPE } from '../workflows/metrics/messages';
import { WEEKLY_UPDATE_LAUNCHER_TYPE, WEEKLY_UPDATE_SCHEDULE_ID } from '../workflows/weekly-update/messages';

export const CATCHUP_WINDOW = '1 hour';

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
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleOptionsStartWorkflowAction<Workflow>;
  paused: boolean;
  note: string;
  /** What the schedule is, in words, for the command's output. */
  describe: string;
}

const hm = (time: string) => time.split(':').map(Number) as [number, number];

/** The schedules the configuration asks for. */
export function wantedSchedules(config: OrgConfig): WantedSchedule[] {
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
      { dayOfMonth: 1, hour: refreshHour, minute: refreshMinute, comment: 'the first of each month' },
    ],
    timezone,
  };
  const taskQueue = config.temporal.taskQueue;
  return [
    {
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
      paused: !weekly.enabled,
      note: weekly.enabled
        ? 'kept by prodops temporal setup'
        : 'paused: rituals.weeklyUpdate.enabled is false',
      describe: `${workingWeekdays.join(', ')} at ${weekly.opens} ${timezone}: starts the week's update on ${weekly.day} (or the working day before)`,
    },
    {
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
      paused: !config.rituals.metrics.monthlyPage,
      note: config.rituals.metrics.monthlyPage
        ? 'kept by prodops temporal setup'
        : 'paused: rituals.metrics.monthlyPage is false',
      describe: `the 1st of each month at ${config.rituals.metrics.refreshAt} ${timezone}: keeps the month's metrics page current`,
    },
  ];
}

export type ScheduleChange = 'created' | 'updated' | 'unchanged';

export interface ScheduleOutcome {
  scheduleId: string;
  change: ScheduleChange;
  paused: boolean;
  describe: string;
}

function options(wanted: WantedSchedule): ScheduleOptions {
  return {
    scheduleId: wanted.scheduleId,
    spec: wanted.spec,
    action: wanted.action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW },
    state: { paused: wanted.paused, note: wanted.note },
  };
}

/** Creates each schedule, or updates the one that exists when the configuration changed it. */
export async function ensureRitualSchedules(client: Client, config: OrgConfig): Promise<ScheduleOutcome[]> {
  const outcomes: ScheduleOutcome[] = [];
  for (const wanted of wantedSchedules(config)) {
    const handle = client.schedule.getHandle(wanted.scheduleId);
    let change: ScheduleChange;
    try {
      const current = await handle.describe();
      const same =
        current.action.type === 'startWorkflow' &&
        current.action.memo?.prodopsSchedule === wanted.action.memo?.prodopsSchedule &&
        current.action.workflowType === wanted.action.workflowType &&
        current.policies.overlap === ScheduleOverlapPolicy.SKIP &&
        current.policies.catchupWindow === 3_600_000;
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
    outcomes.push({
      scheduleId: wanted.scheduleId,
      change,
      paused: wanted.paused,
      describe: wanted.describe,
    });
  }
  return outcomes;
}

export function formatScheduleOutcome(outcome: ScheduleOutcome): string {
  return `schedule ${outcome.scheduleId}: ${outcome.change}${outcome.paused ? ' (paused)' : ''} — ${outcome.describe}`;
}
