/**
 * One workflow per subscription (`subscription:<id>`), across its renewal cycles: it continues as
 * new at each renewal, carrying the subscription's history. Changes arrive from Notion (signals)
 * and from people's commands (updates, handlers.ts); proposals are checked against the
 * configuration (proposals.ts); the shared loop reconciles (reconcile.ts), runs the reminders,
 * escalations and renewal on their days (deadlines.ts), and waits.
 */
import { allHandlersFinished, condition, makeContinueAsNewFunc, workflowInfo } from '@temporalio/workflow';
import { runEntityLoop, type Deadline, type EntityProcess } from '../entity-loop';
import { renewalSteps, runStep } from './deadlines';
import { memoFields, startAttributes } from './effects';
import { wireHandlers } from './handlers';
import type { RenewalInput, RenewalStatusView } from './messages';
import { processProposal, refreshContext } from './proposals';
import { reconcile } from './reconcile';
import { clockOf, createRun, log, statusView, type RenewalRun } from './run';
import { initialState, replan, rulesOf, type RenewalState } from './state';
import { indexOf, memoOf } from './views';

export type { RenewalState } from './state';

/** Far more than a cycle's events (a year of a monthly contract's daily escalations fits). */
export const EVENTS_BEFORE_CONTINUE_AS_NEW = 2_000;
/** A subscription that never became valid stops waiting after this long. */
const ABANDON_AFTER_MS = 30 * 86_400_000;

/** The next run starts with the search attributes and memo of the new cycle: set with its start, not upserted. */
async function continueAsNew(run: RenewalRun): Promise<never> {
  const index = indexOf(run.state);
  const memo = memoOf(run.state);
  run.state.applied.index = JSON.stringify(index);
  run.state.applied.memo = JSON.stringify(memo);
  return makeContinueAsNewFunc<typeof renewalWorkflow>({
    typedSearchAttributes: startAttributes(index),
    memo: memoFields(memo),
  })(run.input, run.state);
}

/** One turn: a change waiting, the renewal continuing as new, or reconciling what exists. */
async function advance(run: RenewalRun): Promise<'again' | 'idle' | 'finished'> {
  const { state } = run;
  run.turnsStarted++;
  run.wake.take();
  try {
    if (run.finished) return 'finished';
    if (state.proposal) {
      await processProposal(run, state.proposal);
      return 'again';
    }
    if (run.rolled) {
      // The renewal opened the next cycle: planned with the context at hand, so the next run starts indexed.
      replan(state, state.context!.calendar, rulesOf(state.context!), clockOf(run).today);
      await condition(allHandlersFinished);
      if (!run.wake.pending && !state.proposal) return await continueAsNew(run);
      return 'again';
    }
    if (state.fields && state.cycle) {
      await refreshContext(run);
      if (!state.cycle.plan && state.context)
        replan(state, state.context.calendar, rulesOf(state.context), clockOf(run).today);
    }
    await reconcile(state, run.effects, clockOf(run));
    return 'idle';
  } finally {
    run.turnsFinished++;
  }
}

function deadlines(run: RenewalRun, startedAt: number): Deadline[] {
  const { state } = run;
  if (!state.fields)
    return [
      {
        at: startedAt + ABANDON_AFTER_MS,
        run: async () => {
          log(run, 'no valid subscription arrived in 30 days: stopped waiting');
          run.finished = true;
        },
      },
    ];
  const list: Deadline[] = renewalSteps(state, clockOf(run)).map((t) => ({
    at: t.at,
    run: async () => {
      const outcome = await runStep(t.step, state, clockOf(run), run.effects);
      if (outcome.kind === 'rolled' && outcome.outcome === 'renewed') run.rolled = true;
      if (outcome.kind === 'end') run.finished = true;
    },
  }));
  if (run.retryAt !== null) list.push({ at: run.retryAt, run: async () => {} });
  return list;
}

export async function renewalWorkflow(
  input: RenewalInput,
  carried?: RenewalState,
): Promise<RenewalStatusView> {
  const { workflowId, runStartTime } = workflowInfo();
  const run = createRun(input, workflowId, carried ?? initialState(input.subscriptionId));
  wireHandlers(run);
  const process: EntityProcess = {
    wake: run.wake,
    eventsBeforeContinueAsNew: EVENTS_BEFORE_CONTINUE_AS_NEW,
    advance: () => advance(run),
    deadlines: () => deadlines(run, runStartTime.getTime()),
    continueAsNew: () => continueAsNew(run),
  };
  await runEntityLoop(process);
  return statusView(run);
}
