/**
 * The renewal workflow's message handlers: Notion changes and budget positions (signals), and
 * people's commands (updates, validated first, refused with the field or the reason named),
 * each wired to the pure transitions of state.ts and waking the loop. A change, a decision or a
 * snooze from the command line is signed by an operator (workflows/operator-identity.ts); runs that took unsigned ones before
 * signatures existed replay them as they were.
 */
import { condition, patched, setHandler } from '@temporalio/workflow';
import { describeActor, mayActFor, type OperatorAuth, type OperatorGrant } from '../../domain/operators';
import { attempt, isRepeat } from '../entity-loop';
import { authenticateOperator, scopeOf, takesUnsignedCommands, UNSIGNED_REFUSAL } from '../operator-identity';
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
import {
  applyDecision,
  applySnooze,
  decisionProblem,
  identityProblem,
  operatorRefusal,
  snoozeProblem,
  SnoozeRefused,
} from './decisions';
import { renewalMessageProblem } from './shapes';
import { ended, propose, shapeProblems } from './state';

function wireSignals(run: RenewalRun): void {
  const { state, wake } = run;
  setHandler(subscriptionPageChanged, (e) => {
    // Read before anything else: a malformed or future-dated change is noted and ignored, so it
    // neither fails the task nor shadows the changes after it.
    const problem = renewalMessageProblem('subscriptionPageChanged', e, Date.now());
    if (problem) {
      log(run, `ignored a Notion change that cannot be read: ${problem}`);
      return;
    }
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
    const problem = renewalMessageProblem('budgetPositionChanged', e, Date.now());
    if (problem) {
      log(run, `ignored a budget position that cannot be read: ${problem}`);
      return;
    }
    if (!state.cycle || e.renewalDate !== state.cycle.renewalDate) return;
    state.budgetCallout = e.callout;
    wake.set();
  });
}

/**
 * Patch: a subscription set from the command line must be signed by an operator, who sets it as
 * themselves or, with the `product-ops` grant, for the person named. Runs that took unsigned
 * changes before replay them as they were.
 */
export const SIGNED_SUBSCRIPTION_PATCH = 'subscription-change-signed';

/** Keeping the subscriptions is product ops' work: acting for someone else needs that grant. */
function refuseChangeGrant(run: RenewalRun, by: string, operator: OperatorGrant): void {
  const refused = mayActFor(operator, by, 'product-ops');
  if (!refused) return;
  log(run, `refused a change for ${by} (operator ${operator.id}): ${refused}`);
  throw refusal(refused, RenewalRefusals.notAllowed);
}

function wireSetSubscription(run: RenewalRun): void {
  const { state, wake, workflowId } = run;
  setHandler(
    setSubscription,
    async (command) => {
      // An unsigned change of an old run goes on synchronously, exactly as it ran.
      let operator: OperatorGrant | null = null;
      if (command.auth !== undefined || patched(SIGNED_SUBSCRIPTION_PATCH)) {
        if (command.auth === undefined) refuseUnsigned(run, 'a change', command.by);
        operator = await signedBy(run, setSubscription.name, 'a change', command);
        refuseChangeGrant(run, command.by, operator);
      }
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
      if (operator) log(run, `subscription set by ${describeActor(command.by, command.via, operator.id)}`);
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
        refuseShape('setSubscription', command);
        const problems = shapeProblems(command.fields);
        if (problems.length > 0)
          throw refusal(`${state.subscriptionId}: ${describeProblems(problems)}`, RenewalRefusals.invalid, {
            problems,
          });
        refuseIdentity(identityProblem(state, workflowId, setSubscription.name, command, Date.now()));
      },
    },
  );
}

/**
 * Who signed a command, and whether they may give it for `by`: the operator, or a refusal (noted
 * on the subscription's log and thrown). Only a command with `auth` gets here.
 */
async function signedBy(
  run: RenewalRun,
  update: string,
  what: string,
  command: { by: string; auth?: OperatorAuth },
): Promise<OperatorGrant> {
  const auth = command.auth!;
  const checked = await authenticateOperator(
    run.state,
    auth,
    scopeOf(run.workflowId, update, command),
    async () =>
      (
        await attempt(
          () => run.activities.core.loadOperators(),
          (cause) => log(run, `could not read the configured operators: ${cause}`),
        )
      )?.operators,
  );
  if ('refused' in checked) {
    log(run, `refused ${what} for ${command.by} (operator ${auth.operator}): ${checked.refused}`);
    throw refusal(checked.refused, RenewalRefusals.unauthenticated);
  }
  return checked.operator;
}

/** An operator acting for someone their grant does not cover: noted and refused. */
function refuseGrant(run: RenewalRun, what: string, by: string, operator: OperatorGrant | null): void {
  const refused = operator ? operatorRefusal(run.state, by, operator) : null;
  if (!refused) return;
  log(run, `refused ${what} for ${by} (operator ${operator!.id}): ${refused}`);
  throw refusal(refused, RenewalRefusals.notAllowed);
}

/** An unsigned command in a run that no longer takes them. */
function refuseUnsigned(run: RenewalRun, what: string, by: string): never {
  log(run, `refused ${what} for ${by}: ${UNSIGNED_REFUSAL}`);
  throw refusal(UNSIGNED_REFUSAL, RenewalRefusals.unauthenticated);
}

/** "ana (cli)", or "ana (cli, operator priya)" when an operator acted for her. */
const who = (by: string, via: string, operator: OperatorGrant | null): string =>
  `${by} (${via}${operator && operator.id !== by ? `, operator ${operator.id}` : ''})`;

/** A command that does not fit its shape is refused, naming the field, before anything reads it. */
function refuseShape(kind: 'setSubscription' | 'decideRenewal' | 'snoozeReminder', command: unknown): void {
  const problem = renewalMessageProblem(kind, command, Date.now());
  if (problem) throw refusal(problem, RenewalRefusals.invalid);
}

/** The validator's refusal of a command's channel or signature, if any. */
function refuseIdentity(problem: ReturnType<typeof identityProblem>): void {
  if (!problem) return;
  if ('invalid' in problem) throw refusal(problem.invalid, RenewalRefusals.invalid);
  throw refusal(problem.unauthenticated, RenewalRefusals.unauthenticated);
}

function wireDecisions(run: RenewalRun): void {
  const { state, wake, workflowId } = run;
  setHandler(
    decideRenewal,
    async (command) => {
      if (command.auth === undefined && !takesUnsignedCommands())
        refuseUnsigned(run, 'a decision', command.by);
      const operator = command.auth ? await signedBy(run, decideRenewal.name, 'a decision', command) : null;
      await condition(() => state.proposal === null && state.context !== null && !!state.cycle?.plan);
      const problem = decisionProblem(state, command);
      if (problem) throw refusal(problem, RenewalRefusals.notAllowed);
      refuseGrant(run, 'a decision', command.by, operator);
      const now = new Date();
      if (
        applyDecision(
          state,
          command.decision,
          { by: command.by, via: command.via, operator: operator?.id },
          now.toISOString(),
          now.getTime(),
          clockOf(run).today,
          command.note,
        )
      )
        log(
          run,
          `decided: ${command.decision} by ${who(command.by, command.via, operator)}${command.note ? `: ${command.note}` : ''}`,
        );
      wake.set();
      await settled(run);
      return statusView(run);
    },
    {
      validator: (command: DecideCommand) => {
        refuseShape('decideRenewal', command);
        const problem = decisionProblem(state, command);
        if (problem)
          throw refusal(
            problem,
            problem.startsWith('decision must') ? RenewalRefusals.invalid : RenewalRefusals.notAllowed,
          );
        refuseIdentity(identityProblem(state, workflowId, decideRenewal.name, command, Date.now()));
      },
    },
  );
  setHandler(
    snoozeReminder,
    async (command) => {
      if (command.auth === undefined && !takesUnsignedCommands()) refuseUnsigned(run, 'a snooze', command.by);
      const operator = command.auth ? await signedBy(run, snoozeReminder.name, 'a snooze', command) : null;
      await condition(() => state.proposal === null && state.context !== null);
      refuseGrant(run, 'a snooze', command.by, operator);
      try {
        const moved = applySnooze(
          state,
          command,
          state.context!.calendar,
          clockOf(run).today,
          new Date().toISOString(),
          operator?.id,
        );
        log(run, `snoozed by ${who(command.by, command.via, operator)}: ${moved}`);
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
        refuseShape('snoozeReminder', command);
        const problem = snoozeProblem(state, command, todayOf(run));
        if (problem) throw refusal(problem, RenewalRefusals.notAllowed);
        refuseIdentity(identityProblem(state, workflowId, snoozeReminder.name, command, Date.now()));
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
