/**
 * The Temporal Schedules of the insights pipeline, created or brought up to date by
 * `prodops temporal setup` and `npm start`:
 *
 * - `prodops-insights-weekly`: every day at `insights.time` in the organisation calendar's zone,
 *   the launcher starts the week's triage on its first working day (from `insights.triage.day`)
 *   and sends the needs-tagging roundup on `insights.roundup.days`;
 * - `prodops-insights-monthly`: every day at the same time, the launcher starts the digest of last
 *   month on the first working day of this one.
 *
 * The schedules fire daily and the launcher decides, because "the first working day" depends on
 * holidays a cron expression cannot know. A run that has nothing to do costs one short workflow.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import { INSIGHTS_LAUNCHER_TYPE, type LauncherInput } from '../contracts/insights';
import type { OrgConfig } from '../domain/config';
import { resolveInsightsSettings } from '../domain/insights/settings';

export const INSIGHTS_SCHEDULES = {
  weekly: 'prodops-insights-weekly',
  monthly: 'prodops-insights-monthly',
} as const;

export interface ScheduleOutcome {
  scheduleId: string;
  outcome: 'created' | 'updated' | 'skipped';
  detail: string;
}

function optionsFor(config: OrgConfig, kind: LauncherInput['kind']): ScheduleOptions {
  const settings = resolveInsightsSettings(config);
  const [hour, minute] = config.insights.time.split(':').map(Number) as [number, number];
  const timezone = config.calendars[settings.calendar]!.timezone;
  return {
    scheduleId: INSIGHTS_SCHEDULES[kind],
    spec: {
      calendars: [
        {
          hour,
          minute,
          comment: `every day at ${config.insights.time}; the launcher keeps the working days`,
        },
      ],
      timezone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: INSIGHTS_LAUNCHER_TYPE,
      workflowId: `insights-launcher-${kind}`,
      taskQueue: config.temporal.taskQueue,
      args: [{ kind } satisfies LauncherInput],
    },
    // A day the worker was down is caught up once; two runs never overlap.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
}

/** Creates the insights schedules, or updates them to the configuration; none without product areas. */
export async function ensureInsightsSchedules(client: Client, config: OrgConfig): Promise<ScheduleOutcome[]> {
  const out: ScheduleOutcome[] = [];
  for (const kind of ['weekly', 'monthly'] as const) {
    const options = optionsFor(config, kind);
    const scheduleId = options.scheduleId;
    if (config.productAreas.length === 0) {
      out.push({ scheduleId, outcome: 'skipped', detail: 'no productAreas are configured' });
      continue;
    }
    const when = `daily at ${config.insights.time} ${options.spec.timezone}`;
    try {
      await client.schedule.create(options);
      out.push({ scheduleId, outcome: 'created', detail: when });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
      }));
      out.push({ scheduleId, outcome: 'updated', detail: when });
    }
  }
  return out;
}
