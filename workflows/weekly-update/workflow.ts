/**
 * One Weekly Product Update (`weekly-update:<ISO week>`), from the opening of collection to the
 * hand-over of late contributions to next week. Handlers apply pure transitions (state.ts);
 * the shared loop runs the reminder, the deadline and publication (deadlines.ts) and reconciles
 * what exists (reconcile.ts). Publication happens once: its page and mail carry keys derived
 * from the week, and the state records it before anything else can ask for it again.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
} from '@temporalio/workflow';
import type { GmailActivities } from '../../activities/gmail';
import type { NotionActivities } from '../../activities/notion';
import type { RitualActivities } from '../../activities/rituals';
import type { createCoreActivities } from '../../activities/core';
import { activitiesFor } from '../activity-options';
import {
  isRepeat,
  markSent,
  note,
  runEntityLoop,
  Wake,
  type EntityProcess,
  type Progress,
} from '../entity-loop';
import { weeklyDeadlines } from './deadlines';
import {
  precheckHandOver,
  precheckPublisher,
  publisherOf,
  verifiesHandOvers,
  verifyHandOver,
} from './callers';
import {
  contributionReady,
  handOver,
  previewUpdate,
  publishNow,
  weeklyUpdateStatus,
  weeklyUpdateWorkflowId,
  WeeklyUpdateRefusals,
  type HandOverCommand,
  type PublishCommand,
  type WeeklyUpdateInput,
  type WeeklyUpdateStatus,
} from './messages';
import {
  compose,
  ensureMailed,
  ensurePages,
  forwardLateTicks,
  loadContext,
  publish,
  type WeeklyEffects,
} from './reconcile';
import {
  applyReady,
  initialState,
  status,
  takeRollovers,
  validatePublish,
  weeklyMessageProblem,
  type WeeklyUpdateState,
} from './state';
import { includedInWeeklyUpdate, releaseWorkflowId } from '../release/messages';

/** A week with 200 contributors stays far below this; continue-as-new is a safety net. */
export const WEEKLY_EVENTS_BEFORE_CONTINUE_AS_NEW = 5_000;

export async function weeklyUpdateWorkflow(
  input: WeeklyUpdateInput,
  carried?: WeeklyUpdateState,
): Promise<WeeklyUpdateStatus> {
  const state = carried ?? initialState(input);
  const core = activitiesFor<Pick<ReturnType<typeof createCoreActivities>, 'loadOperators'>>(null);
  const wake = new Wake();
  const fields = { week: input.week };
  const fx: WeeklyEffects = {
    notion: activitiesFor<NotionActivities>('notion'),
    gmail: activitiesFor<GmailActivities>('google'),
    rituals: activitiesFor<RitualActivities>(null),
    forward: async (week, event) => {
      try {
        await getExternalWorkflowHandle(weeklyUpdateWorkflowId(week)).signal(contributionReady, event);
      } catch (error) {
        note(state, `could not forward ${event.personId}'s late update to ${week}: ${String(error)}`, fields);
      }
    },
    tellRelease: async (issueKey, event) => {
      try {
        await getExternalWorkflowHandle(releaseWorkflowId(issueKey)).signal(includedInWeeklyUpdate, event);
      } catch {
        // A release that has finished needs nothing more from the update.
      }
    },
    note: (message) => note(state, message, fields),
  };

  setHandler(weeklyUpdateStatus, () => status(state));
  setHandler(contributionReady, (event) => {
    // Read before anything else: a malformed or future-dated tick is noted and ignored.
    const problem = weeklyMessageProblem('contributionReady', event, Date.now());
    if (problem) {
      note(state, `ignored a Ready tick that cannot be read: ${problem}`, fields);
      return;
    }
    if (isRepeat(state, event.deliveryId)) return;
    note(state, applyReady(state, event, Date.now()), fields);
    wake.set();
  });
  setHandler(
    publishNow,
    async (command) => {
      const via = await publisherOf(state, command, () => core.loadOperators());
      // Reading the operators took a moment: the week may have been published meanwhile.
      if (via !== null) validatePublish(state, command);
      state.publishRequestedBy = command.by;
      if (via !== null) state.publishRequestedVia = via;
      wake.set();
      // Answered once the mail is out too (or its retry is set): the command reports both.
      await condition(
        () =>
          state.publicationProblem !== null ||
          (state.published !== null && (state.published.mailed || state.retryPublicationAt !== null)),
      );
      return status(state);
    },
    {
      validator: (command: PublishCommand) => {
        validatePublish(state, command);
        precheckPublisher(state, command);
      },
    },
  );
  const takeOver = ({ toWeek }: HandOverCommand) => {
    const rollovers = takeRollovers(state, toWeek);
    // What next week took now is not forwarded to it again.
    for (const r of rollovers)
      markSent(state, `weekly-update:${state.week}:forward:${r.fromWeek}:${r.personId}`);
    note(state, `handed ${rollovers.length} late contributions over to ${toWeek}`, fields);
    wake.set();
    return { rollovers };
  };
  setHandler(
    handOver,
    (command) => {
      if (!verifiesHandOvers()) return takeOver(command);
      return verifyHandOver(state, command, () => fx.rituals.weeklyWorkerKeys()).then(() =>
        takeOver(command),
      );
    },
    {
      // Only a later week takes this week's late contributions: anything else would lose them.
      validator: (command: HandOverCommand) => {
        const problem = weeklyMessageProblem('handOver', command, 0);
        if (problem) throw ApplicationFailure.nonRetryable(problem, WeeklyUpdateRefusals.invalid);
        const toWeek = command.toWeek;
        if (toWeek <= state.week)
          throw ApplicationFailure.nonRetryable(
            `toWeek must be an ISO week after ${state.week} (YYYY-Www), got ${JSON.stringify(toWeek ?? null)?.slice(0, 40)}`,
            WeeklyUpdateRefusals.invalid,
          );
        // Only next week's update, through prodops' worker, takes them.
        precheckHandOver(state, command);
      },
    },
  );
  setHandler(previewUpdate, async () => {
    await condition(() => state.context !== null);
    return (await compose(state, fx)).preview;
  });

  const process: EntityProcess = {
    wake,
    eventsBeforeContinueAsNew: WEEKLY_EVENTS_BEFORE_CONTINUE_AS_NEW,
    async advance(): Promise<Progress> {
      if (!wake.take() && state.context) return state.phase === 'finished' ? 'finished' : 'idle';
      if (!state.context) {
        await loadContext(state, fx);
        return 'again';
      }
      if (state.phase === 'opening') return 'idle';
      if (state.publishRequestedBy && !state.published) {
        await publish(state, fx, state.publishRequestedBy, state.publishRequestedVia ?? undefined);
        if (!state.published) {
          state.publishRequestedBy = null;
          if (state.publishRequestedVia !== undefined) state.publishRequestedVia = null;
        }
        return 'again';
      }
      await ensurePages(state, fx);
      if (state.published && !state.published.mailed && state.retryPublicationAt === null)
        await ensureMailed(state, fx);
      await forwardLateTicks(state, fx);
      if (state.published && state.handedOverTo !== null) state.phase = 'finished';
      return state.phase === 'finished' ? 'finished' : 'idle';
    },
    deadlines: () => weeklyDeadlines(state, fx),
    continueAsNew: () => continueAsNew<typeof weeklyUpdateWorkflow>(input, state),
  };

  await runEntityLoop(process);
  log.info('weekly update finished', fields);
  return status(state);
}
