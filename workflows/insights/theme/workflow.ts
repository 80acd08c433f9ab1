/**
 * One workflow per product area and theme (`insights-theme:<area>:<theme>`), started by the
 * first triage that routes it and kept for as long as the theme gets routed. Each round waits
 * for the PM's disposition (the Disposition on the theme's row in Notion, or `prodops insight
 * decide`); a reminder goes out after `insights.triage.remindAfterWorkingDays` working days of
 * the PM's own calendar. Deciding closes the round's items in the backlog. A decision by command
 * is signed by an operator (workflows/insights/identity.ts), who decides as themselves or, as
 * their grant allows, for the PM (`pm`) or the Head of Product (`head-of-product`).
 *
 * Here: the handlers wired to the pure transitions of state.ts, the reminder, and the shared loop
 * whose every turn is `reconcile`.
 */
import { ApplicationFailure, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createCoreActivities } from '../../../activities/core';
import type { createInsightsActivities } from '../../../activities/insights';
import { afterWorkingDays } from '../../../domain/coverage';
import { reminderNotice } from '../../../domain/insights/content';
import { activitiesFor } from '../../activity-options';
import { isRepeat, markSent, note, runEntityLoop, wasSent, Wake, type Deadline } from '../../entity-loop';
import {
  checkCommandIdentity,
  commandOperator,
  configuredOperators,
  type CommandIdentity,
} from '../identity';
import {
  decideTheme,
  InsightRefusals,
  themeDecidedInNotion,
  themeRouted,
  themeStatus,
  type DecideThemeCommand,
  type ThemeInput,
  type ThemeStatusView,
} from '../messages';
import { readInsightMessage } from '../shapes';
import { notify, reconcile, type ThemeEffects, type ThemeRun } from './reconcile';
import {
  applyDecide,
  applyNotionDecision,
  applyRouted,
  areaOf,
  initialThemeState,
  LOG_LIMIT,
  pmCalendar,
  themeStatusOf,
  validateDecide,
  type Moment,
  type Refusal,
  type ThemeState,
} from './state';

/** A round costs a few dozen events; a theme routed weekly continues as new about twice a year. */
export const THEME_EVENTS_BEFORE_CONTINUE_AS_NEW = 2_000;

type InsightsCore = ReturnType<typeof createInsightsActivities>;
type Core = ReturnType<typeof createCoreActivities>;

function refuse(refusal: Refusal | null): void {
  if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
}

function reminder(run: ThemeRun): Deadline | null {
  const { state } = run;
  const open = state.open;
  const context = state.context;
  if (!open || !context) return null;
  const key = `${open.round}:reminder`;
  if (wasSent(state, key)) return null;
  const calendar = pmCalendar(context, open.pm);
  return {
    at: afterWorkingDays(calendar, open.routedAt, context.triage.remindAfterWorkingDays),
    run: async () => {
      const pm = context.people[open.pm];
      const sent = await notify(
        run,
        key,
        [open.pm],
        reminderNotice({
          pmName: pm?.name ?? open.pm,
          areaName: areaOf(context, run.input)?.name ?? open.area,
          area: open.area,
          theme: open.theme,
          pm: open.pm,
          routedOn: open.routedOn,
          counts: open.counts,
          url: open.url,
        }),
      );
      if (sent) open.remindedAt = Date.now();
      // Recorded even when the mail failed for good, so the reminder does not fire again and again.
      markSent(state, key);
      run.effects.note(sent ? `reminded ${pm?.name ?? open.pm}` : 'the reminder could not be sent');
    },
  };
}

export async function insightsThemeWorkflow(input: ThemeInput, carried?: ThemeState): Promise<void> {
  const { workflowId } = workflowInfo();
  const state: ThemeState = carried ?? initialThemeState();
  const effects: ThemeEffects = {
    notion: activitiesFor<ThemeEffects['notion']>('notion'),
    gmail: activitiesFor<ThemeEffects['gmail']>('google'),
    note: (message) => note(state, message, { workflowId }, LOG_LIMIT),
  };
  const run: ThemeRun = { input, workflowId, state, effects };
  const core = activitiesFor<Pick<InsightsCore, 'loadInsightsContext'> & Pick<Core, 'loadOperators'>>(null);
  const identity: CommandIdentity = {
    state,
    workflowId,
    note: effects.note,
    loadOperators: configuredOperators(core, effects.note),
  };
  const wake = new Wake();
  const moment = (): Moment => ({ now: Date.now(), note: effects.note });
  const loaded = () => condition(() => state.context !== null);
  const view = (): ThemeStatusView => themeStatusOf(state, workflowId, input);

  setHandler(themeStatus, view);
  // A signal that cannot be read is noted and ignored: it never fails the workflow's task.
  const readable = (kind: 'themeRouted' | 'themeDecidedInNotion', value: unknown): boolean => {
    const read = readInsightMessage(kind, value, Date.now());
    if (!read.ok) effects.note(`ignored ${kind} that cannot be read: ${read.problem}`);
    return read.ok;
  };
  setHandler(themeRouted, async (routed) => {
    await loaded();
    if (!readable('themeRouted', routed)) return;
    if (isRepeat(state, routed.deliveryId)) return;
    if (applyRouted(state, input, routed, moment())) wake.set();
  });
  setHandler(themeDecidedInNotion, async (change) => {
    await loaded();
    if (!readable('themeDecidedInNotion', change)) return;
    if (isRepeat(state, change.deliveryId)) return;
    if (applyNotionDecision(state, input, change, moment())) wake.set();
  });
  setHandler(
    decideTheme,
    async (command: DecideThemeCommand) => {
      const operator = await commandOperator(identity, decideTheme.name, 'a decision', command);
      await loaded();
      refuse(validateDecide(state, workflowId, command));
      const applied = applyDecide(state, input, command, moment(), operator);
      if ('refused' in applied) refuse({ type: InsightRefusals.notAllowed, message: applied.refused });
      wake.set();
      return view();
    },
    {
      validator: (command: DecideThemeCommand) => {
        refuse(validateDecide(state, workflowId, command));
        checkCommandIdentity(state, workflowId, decideTheme.name, command, Date.now());
      },
    },
  );

  const context = await core.loadInsightsContext({ at: Date.now() });
  state.context = context;
  if (!areaOf(context, input)) effects.note(`${input.area} is no longer a product area of the configuration`);

  await runEntityLoop({
    wake,
    advance: async () => {
      wake.take();
      return reconcile(run);
    },
    deadlines: () => [reminder(run)].filter((d): d is Deadline => d !== null),
    continueAsNew: () => continueAsNew<typeof insightsThemeWorkflow>(input, state),
    eventsBeforeContinueAsNew: THEME_EVENTS_BEFORE_CONTINUE_AS_NEW,
  });
}
