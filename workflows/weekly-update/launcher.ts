/**
 * What the `prodops-weekly-update` schedule runs at opening time on every working day of the
 * rituals' calendar. A schedule gives each run an id of its own; the week's update must have
 * one id per week, so the launcher asks whether today is the update's day (the configured day,
 * or the working day before it when that is a day off) and starts `weekly-update:<week>` once.
 * A second run the same day, a re-run of the schedule or a manual trigger finds it started.
 */
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { RitualActivities } from '../../activities/rituals';
import { activitiesFor } from '../activity-options';
import { weeklyUpdateWorkflowId, type LauncherOutcome } from './messages';
import { weeklyUpdateWorkflow } from './workflow';

export async function weeklyUpdateLauncherWorkflow(): Promise<LauncherOutcome> {
  const rituals = activitiesFor<RitualActivities>(null);
  const due = await rituals.weeklyUpdateDue({ at: Date.now() });
  if (!due.enabled)
    return {
      today: due.today,
      week: null,
      outcome: 'not-today',
      detail: 'rituals.weeklyUpdate.enabled is false',
    };
  if (due.week === null)
    return { today: due.today, week: null, outcome: 'not-today', detail: 'today is not the update day' };
  try {
    await startChild(weeklyUpdateWorkflow, {
      workflowId: weeklyUpdateWorkflowId(due.week),
      args: [{ week: due.week, startedBy: 'schedule' }],
      // The week outlives the launcher, and a week runs once whatever re-runs the schedule.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return {
      today: due.today,
      week: due.week,
      outcome: 'already-started',
      detail: `${weeklyUpdateWorkflowId(due.week)} has run already`,
    };
  }
  return {
    today: due.today,
    week: due.week,
    outcome: 'started',
    detail: `started ${weeklyUpdateWorkflowId(due.week)}`,
  };
}
