/**
 * What the insights schedules run every day at `insights.time` on the organisation's calendar.
 * A schedule gives each run an id of its own, while a week's triage and a month's digest must
 * each run once: the launcher asks which runs are due today (the triage on the first working day
 * of the week from `insights.triage.day`, the digest of last month on the first working day of
 * this one, the needs-tagging roundup on its days) and starts `insights-triage:<week>` and
 * `insights-digest:<month>` once. A second run the same day, a re-run of the schedule or a
 * manual trigger finds them started. The roundup is one mail, sent once per day by its key.
 */
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { GmailActivities } from '../../activities/gmail';
import type { createInsightsActivities } from '../../activities/insights';
import { roundupNotice } from '../../domain/insights/content';
import { noticeHtml } from '../../domain/release-content';
import { activitiesFor } from '../activity-options';
import { attempt } from '../entity-loop';
import { insightsDigestWorkflow } from './digest';
import { insightsDigestId, insightsTriageId, type LauncherInput, type LauncherOutcome } from './messages';
import { insightsTriageWorkflow } from './triage';

type InsightsCore = ReturnType<typeof createInsightsActivities>;

/** Items listed in one roundup; the rest are counted. */
export const ROUNDUP_LIMIT = 100;

export async function insightsLauncherWorkflow(input: LauncherInput): Promise<LauncherOutcome> {
  const core = activitiesFor<InsightsCore>(null);
  const gmail = activitiesFor<Pick<GmailActivities, 'sendMail'>>('google');
  const due = await core.insightsDue({ at: Date.now() });
  const outcome: LauncherOutcome = { due, started: [], already: [], roundup: null, problems: [] };
  const once = async (workflowId: string, start: () => Promise<unknown>) => {
    try {
      await start();
      outcome.started.push(workflowId);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      outcome.already.push(workflowId);
    }
  };
  // The week and the month outlive the launcher, and run once whatever re-runs the schedule.
  const options = {
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  } as const;

  if (input.kind === 'weekly' && due.triage) {
    const week = due.triage;
    await once(insightsTriageId(week), () =>
      startChild(insightsTriageWorkflow, {
        workflowId: insightsTriageId(week),
        args: [{ week, startedBy: 'schedule' }],
        ...options,
      }),
    );
  }
  if (input.kind === 'monthly' && due.digest) {
    const month = due.digest;
    await once(insightsDigestId(month), () =>
      startChild(insightsDigestWorkflow, {
        workflowId: insightsDigestId(month),
        args: [{ month, startedBy: 'schedule' }],
        ...options,
      }),
    );
  }
  if (input.kind === 'weekly' && due.roundup) {
    const context = await core.loadInsightsContext({ at: Date.now() });
    const { items, total } = await core.composeRoundup({ limit: ROUNDUP_LIMIT });
    const recipients = context.productOps
      .map((id) => context.people[id]?.email)
      .filter((e): e is string => !!e);
    let mailed = false;
    if (items.length > 0 && recipients.length > 0) {
      const notice = roundupNotice({
        date: due.today,
        items,
        total,
        areas: context.areas.map((a) => a.id),
        example: context.productOps[0] ?? 'you',
      });
      const result = await attempt(
        () =>
          gmail.sendMail({
            idempotencyKey: `insights-roundup:${due.today}`,
            from: context.sender,
            to: recipients,
            subject: notice.subject,
            text: notice.text,
            html: noticeHtml(notice.text),
          }),
        (cause) => outcome.problems.push(`could not mail the roundup: ${cause}`),
      );
      mailed = result !== undefined;
    }
    outcome.roundup = { items: total, mailed };
  }
  return outcome;
}
