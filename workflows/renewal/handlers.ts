/**
 * The renewal workflow's message handlers: Notion changes and budget positions (signals), and
 * people's commands (updates, validated first, refused with the field or the reason named),
 * each wired to the pure transitions of state.ts and waking the loop.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { isRepeat } from '../entity-loop';
import {
  budgetPositionChanged,
  decideRenewal,
  renewalStatus,
  RenewalRefusals,
  setSubscription,
  snoozeReminder,
  subscriptionPageChanged,
  type DecideCommand,
  type SetSubscriptionCommand,
  type SnoozeCommand,
} from './messages';
import { supersede } from './proposals';
import { rowAsRead } from './reconcile';
import {
  clockOf,
  describeProblems,
  log,
  refusal,
  settled,
  statusView,
  todayOf,
  type RenewalRun,
} from './run';
import { applyDecision, applySnooze, decisionProblem, snoozeProblem, SnoozeRefused } from './decisions';
import { ended, propose, shapeProblems } from './state';

function wireSignals(run: RenewalRun): void {
  const { state, wake } = run;
  setHandler(subscriptionPageChanged, (e) => {
    if (isRepeat(state, e.deliveryId)) return;
    if (e.occurredAt < state.lastPageEventAt) {
      log(run, `ignored a Notion change of ${new Date(e.occurredAt).toISOString()}: a newer one was applied`);
      return;
    }
    state.lastPageEventAt = e.occurredAt;
    state.notionPageId ??= e.pageId;
    state.applied.page = rowAsRead(e.fields as Record<string, unknown>, e.decision, e.written);
    const id = propose(state, {
      fields: e.fields,
      actor: { by: e.author ?? 'notion', via: 'notion' },
      pageId: e.pageId,
      decision: e.decision,
      written: e.written,
      atMs: e.occurredAt,
    });
    supersede(state, id);
    wake.set();
  });
  setHandler(budgetPositionChanged, (e) => {
    if (!state.cycle || e.renewalDate !== state.cycle.renewalDate) return;
    state.budgetCallout = e.callout;
    wake.set();
  });
}

function wireSetSubscription(run: RenewalRun): void {
  const { state, wake } = run;
  setHandler(
    setSubscription,
    async (command) => {
      const id = propose(state, {
        fields: command.fields,
        actor: { by: command.by, via: command.via },
        pageId: null,
        decision: null,
        written: null,
        atMs: Date.now(),
      });
      supersede(state, id);
      wake.set();
      await condition(() => state.outcomes.some((o) => o.id === id));
      const outcome = state.outcomes.find((o) => o.id === id)!;
      if (outcome.problems.length > 0)
        throw refusal(
          `${state.subscriptionId}: ${describeProblems(outcome.problems)}`,
          RenewalRefusals.invalid,
          {
            problems: outcome.problems,
          },
        );
      const target = run.settlesAt.get(id);
      run.settlesAt.delete(id);
      // Superseded by a newer change before it was processed: the turn after now settles both.
      if (target === undefined) wake.set();
      await settled(run, target);
      return statusView(run);
    },
    {
      validator: (command: SetSubscriptionCommand) => {
        if (ended(state))
          throw refusal(
            `${state.subscriptionId} has ended (${state.lifecycle} on ${state.endedOn})`,
            RenewalRefusals.ended,
          );
        const problems = shapeProblems(command.fields);
        if (problems.length > 0)
          throw refusal(`${state.subscriptionId}: ${describeProblems(problems)}`, RenewalRefusals.invalid, {
            problems,
          });
      },
    },
  );
}

function wireDecisions(run: RenewalRun): void {
  const { state, wake } = run;
  setHandler(
    decideRenewal,
    async (command) => {
      await condition(() => state.proposal === null && state.context !== null && !!state.cycle?.plan);
      const problem = decisionProblem(state, command);
      if (problem) throw refusal(problem, RenewalRefusals.notAllowed);
      const now = new Date();
      if (
        applyDecision(
          state,
          command.decision,
          command,
          now.toISOString(),
          now.getTime(),
          clockOf(run).today,
          command.note,
        )
      )
        log(
          run,
          `decided: ${command.decision} by ${command.by} (${command.via})${command.note ? `: ${command.note}` : ''}`,
        );
      wake.set();
      await settled(run);
      return statusView(run);
    },
    {
      validator: (command: DecideCommand) => {
        const problem = decisionProblem(state, command);
        if (problem)
          throw refusal(
            problem,
            problem.startsWith('decision must') ? RenewalRefusals.invalid : RenewalRefusals.notAllowed,
          );
      },
    },
  );
  setHandler(
    snoozeReminder,
    async (command) => {
      await condition(() => state.proposal === null && state.context !== null);
      try {
        const moved = applySnooze(
          state,
          command,
          state.context!.calendar,
          clockOf(run).today,
          new Date().toISOString(),
        );
        log(run, `snoozed by ${command.by} (${command.via}): ${moved}`);
      } catch (error) {
        if (error instanceof SnoozeRefused) throw refusal(error.message, RenewalRefusals.notAllowed);
        throw error;
      }
      wake.set();
      await settled(run);
      return statusView(run);
    },
    {
      validator: (command: SnoozeCommand) => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(command.until))
          throw refusal(`until "${command.until}" is not a date written YYYY-MM-DD`);
        const problem = snoozeProblem(state, command, todayOf(run));
        if (problem) throw refusal(problem, RenewalRefusals.notAllowed);
      },
    },
  );
}

export function wireHandlers(run: RenewalRun): void {
  setHandler(renewalStatus, () => statusView(run));
  wireSignals(run);
  wireSetSubscription(run);
  wireDecisions(run);
}
