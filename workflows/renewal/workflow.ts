/**
 * One workflow per subscription (`subscription:<id>`), across its renewal cycles: it continues as
 * new at each renewal, carrying the subscription's history. Changes arrive from Notion (signals)
 * and from people's commands (updates); the shared loop reconciles, runs the reminders,
 * escalations and renewal on their days, and waits.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { localDateOf, zonedDateTimeToInstant, type CalendarDate } from '../../domain/business-calendar';
import { cycleMonths, firstRenewalAfter } from '../../domain/renewal-plan';
import {
  checkSubscription,
  readDecision,
  type FieldProblem,
  type SubscriptionFields,
} from '../../domain/subscription';
import {
  attempt,
  isRepeat,
  note,
  runEntityLoop,
  Wake,
  type Deadline,
  type EntityProcess,
} from '../entity-loop';
import { renewalSteps, runStep, type Clock } from './deadlines';
import { memoFields, renewalActivities, renewalEffects, startAttributes } from './effects';
import {
  budgetPositionChanged,
  decideRenewal,
  renewalStatus,
  RenewalRefusals,
  setSubscription,
  snoozeReminder,
  subscriptionPageChanged,
  type DecideCommand,
  type LoadRenewalContextResult,
  type RenewalInput,
  type RenewalStatusView,
  type SetSubscriptionCommand,
  type SnoozeCommand,
} from './messages';
import { reconcile, rowAsRead } from './reconcile';
import {
  acceptFields,
  applyDecision,
  applySnooze,
  decisionProblem,
  initialState,
  proposalKey,
  propose,
  replan,
  rulesOf,
  shapeProblems,
  snoozeProblem,
  SnoozeRefused,
  yearsFor,
  type Proposal,
  type RenewalState,
} from './state';
import { budgetFacts, indexOf, memoOf, statusOf } from './views';

/** Far more than a cycle's events (a year of a monthly contract's daily escalations fits). */
export const EVENTS_BEFORE_CONTINUE_AS_NEW = 2_000;
/** A subscription that never became valid stops waiting after this long. */
const ABANDON_AFTER_MS = 30 * 86_400_000;
/** A context load that failed for good is tried again after this long. */
const RETRY_MS = 3_600_000;

const refuse = (message: string, type: string = RenewalRefusals.invalid, details?: unknown) =>
  ApplicationFailure.create({
    message,
    type,
    nonRetryable: true,
    ...(details ? { details: [details] } : {}),
  });

const describeProblems = (problems: FieldProblem[]) =>
  problems.map((p) => `${p.field} ${p.message}`).join('; ');

export async function renewalWorkflow(
  input: RenewalInput,
  carried?: RenewalState,
): Promise<RenewalStatusView> {
  const { workflowId, runStartTime } = workflowInfo();
  const state = carried ?? initialState(input.subscriptionId);
  const activities = renewalActivities();
  const effects = renewalEffects(state, activities);
  const wake = new Wake();
  const log = (message: string) => note(state, message, { subscriptionId: state.subscriptionId });
  let turnsStarted = 0;
  let turnsFinished = 0;
  /** The turn after the one that processed each proposal: it reconciles the change. */
  const settlesAt = new Map<number, number>();
  let finished = false;
  let rolled = false;
  let retryAt: number | null = null;

  const zone = () => state.context?.calendar.timezone ?? 'UTC';
  const clock = (): Clock => ({
    now: Date.now(),
    today: localDateOf(Date.now(), zone()),
    instant: (date, time) => Date.parse(zonedDateTimeToInstant(date, time, zone())),
  });
  const today = (): CalendarDate | null => (state.context ? clock().today : null);
  const status = () => statusOf(state, workflowId, today());
  /** Waits until the turn `target` (counted from 1) has finished: the first to start after a change. */
  const settled = async (target = turnsStarted + 1) => {
    await condition(() => turnsFinished >= target || finished);
  };

  // ---- Messages --------------------------------------------------------------------------------

  setHandler(renewalStatus, status);

  setHandler(subscriptionPageChanged, (e) => {
    if (isRepeat(state, e.deliveryId)) return;
    if (e.occurredAt < state.lastPageEventAt) {
      log(`ignored a Notion change of ${new Date(e.occurredAt).toISOString()}: a newer one was applied`);
      return;
    }
    state.lastPageEventAt = e.occurredAt;
    state.notionPageId ??= e.pageId;
    state.applied.page = rowAsRead(e.fields as Record<string, unknown>, e.decision, e.written);
    supersede(
      propose(state, {
        fields: e.fields,
        actor: { by: e.author ?? 'notion', via: 'notion' },
        pageId: e.pageId,
        decision: e.decision,
        written: e.written,
        atMs: e.occurredAt,
      }),
    );
    wake.set();
  });

  setHandler(budgetPositionChanged, (e) => {
    if (!state.cycle || e.renewalDate !== state.cycle.renewalDate) return;
    state.budgetCallout = e.callout;
    wake.set();
  });

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
      supersede(id);
      wake.set();
      await condition(() => state.outcomes.some((o) => o.id === id));
      const outcome = state.outcomes.find((o) => o.id === id)!;
      if (outcome.problems.length > 0)
        throw refuse(
          `${state.subscriptionId}: ${describeProblems(outcome.problems)}`,
          RenewalRefusals.invalid,
          { problems: outcome.problems },
        );
      const target = settlesAt.get(id);
      settlesAt.delete(id);
      // Superseded by a newer change before it was processed: the turn after now settles both.
      if (target === undefined) wake.set();
      await settled(target);
      return status();
    },
    {
      validator: (command: SetSubscriptionCommand) => {
        if (state.lifecycle === 'cancelled' || state.lifecycle === 'lapsed')
          throw refuse(
            `${state.subscriptionId} has ended (${state.lifecycle} on ${state.endedOn})`,
            RenewalRefusals.ended,
          );
        const problems = shapeProblems(command.fields);
        if (problems.length > 0)
          throw refuse(`${state.subscriptionId}: ${describeProblems(problems)}`, RenewalRefusals.invalid, {
            problems,
          });
      },
    },
  );

  setHandler(
    decideRenewal,
    async (command) => {
      await condition(() => state.proposal === null && state.context !== null && !!state.cycle?.plan);
      const problem = decisionProblem(state, command);
      if (problem) throw refuse(problem, RenewalRefusals.notAllowed);
      if (
        applyDecision(
          state,
          command.decision,
          command,
          new Date().toISOString(),
          Date.now(),
          clock().today,
          command.note,
        )
      )
        log(
          `decided: ${command.decision} by ${command.by} (${command.via})${command.note ? `: ${command.note}` : ''}`,
        );
      wake.set();
      await settled();
      return status();
    },
    {
      validator: (command: DecideCommand) => {
        const problem = decisionProblem(state, command);
        if (problem)
          throw refuse(
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
        log(
          `snoozed by ${command.by} (${command.via}): ${applySnooze(state, command, state.context!.calendar, clock().today, new Date().toISOString())}`,
        );
      } catch (error) {
        if (error instanceof SnoozeRefused) throw refuse(error.message, RenewalRefusals.notAllowed);
        throw error;
      }
      wake.set();
      await settled();
      return status();
    },
    {
      validator: (command: SnoozeCommand) => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(command.until))
          throw refuse(`until "${command.until}" is not a date written YYYY-MM-DD`);
        const problem = snoozeProblem(state, command, today());
        if (problem) throw refuse(problem, RenewalRefusals.notAllowed);
      },
    },
  );

  /** A change that replaced one not yet processed answers that one's command too. */
  function supersede(id: number) {
    for (let older = id - 1; older > 0 && !state.outcomes.some((o) => o.id === older); older--) {
      if (older < id - 50) break;
      state.outcomes.push({ id: older, problems: [] });
    }
    if (state.outcomes.length > 50) state.outcomes.splice(0, state.outcomes.length - 50);
  }

  // ---- Turns -----------------------------------------------------------------------------------

  /**
   * The context a change needs: the one at hand when the owner, team and currency stay the same
   * (a price, a date or a decision changed), else loaded and checked against the configuration.
   */
  async function contextFor(
    f: SubscriptionFields,
    renewal: CalendarDate,
    draft: RenewalState,
  ): Promise<LoadRenewalContextResult | FieldProblem[]> {
    const months = cycleMonths(f.cycle);
    const years = yearsFor(renewal, months);
    const ctx = state.context;
    const held = state.fields;
    if (ctx && held && state.cycle) {
      const owner = f.ownerId === ctx.owner.id || f.ownerId.toLowerCase() === ctx.owner.email.toLowerCase();
      const team = (f.team || ctx.owner.team) === held.team;
      const covered = years.from >= ctx.calendarYears.from && years.to <= ctx.calendarYears.to;
      const current =
        state.contextKey === proposalKey(held.ownerId, held.team, held.currency, state.cycle.number);
      if (owner && team && covered && current && f.currency === held.currency)
        return { ok: true, context: ctx, ownerId: ctx.owner.id, team: held.team };
    }
    let failure = '';
    const loaded = await attempt(
      () =>
        activities.core.loadRenewalContext({
          subscriptionId: state.subscriptionId,
          owner: f.ownerId,
          team: f.team || null,
          currency: f.currency,
          years,
          facts: budgetFacts(draft),
        }),
      (cause) => (failure = cause),
    );
    if (!loaded)
      return [{ field: 'owner', message: `could not be checked against the configuration: ${failure}` }];
    return loaded;
  }

  async function processProposal(p: Proposal): Promise<void> {
    state.proposal = null;
    const shape = checkSubscription(p.fields);
    if (!shape.ok) return refuseProposal(p, shape.problems);
    const f = shape.fields;
    const roughToday = localDateOf(Date.now(), zone());
    const renewal =
      f.renewalDate > roughToday
        ? f.renewalDate
        : firstRenewalAfter(f.renewalDate, cycleMonths(f.cycle), roughToday);
    const draft = JSON.parse(JSON.stringify(state)) as RenewalState;
    acceptFields(draft, f, roughToday);
    const loaded = await contextFor(f, renewal, draft);
    if (Array.isArray(loaded)) return refuseProposal(p, loaded);
    if (!loaded.ok) return refuseProposal(p, loaded.problems);
    const reloaded = loaded.context !== state.context;
    state.context = loaded.context;
    state.contextKey = proposalKey(loaded.ownerId, loaded.team, f.currency, state.cycle?.number ?? 1);
    const day = clock().today;
    for (const line of acceptFields(state, { ...f, ownerId: loaded.ownerId, team: loaded.team }, day))
      log(line);
    if (p.pageId) state.notionPageId ??= p.pageId;
    if (reloaded && loaded.context.budget) state.budgetCallout = loaded.context.budget.callout;
    // Planned again after every change: the owner's calendar or the rules may differ; sent reminders stay sent.
    replan(state, loaded.context.calendar, rulesOf(loaded.context), day);
    applyPageDecision(p, day);
    state.outcomes.push({ id: p.id, problems: [] });
    settlesAt.set(p.id, turnsStarted + 1);
  }

  function applyPageDecision(p: Proposal, day: CalendarDate): void {
    if (p.actor.via !== 'notion' || !state.cycle) return;
    const read = readDecision(p.decision);
    if (read === undefined) {
      state.problems = [
        {
          field: 'decision',
          message: `"${String(p.decision)}" is not a decision (Undecided, Renew, Renegotiate, Downsize or Cancel)`,
        },
      ];
      return;
    }
    if (read === null || p.atMs <= state.cycle.decidedAtMs) return;
    if (applyDecision(state, read, p.actor, new Date().toISOString(), p.atMs, day))
      log(`decided in Notion: ${read} by ${p.actor.by}`);
  }

  function refuseProposal(p: Proposal, problems: FieldProblem[]): void {
    state.problems = problems;
    if (!state.fields) state.lifecycle = 'invalid';
    if (p.pageId) state.notionPageId ??= p.pageId;
    state.outcomes.push({ id: p.id, problems });
    log(`refused a change from ${p.actor.by} (${p.actor.via}): ${describeProblems(problems)}`);
  }

  /** A new cycle, or a changed owner, team or currency, loads the context again (the configuration may have changed). */
  async function refreshContext(): Promise<void> {
    const f = state.fields!;
    const c = state.cycle!;
    const key = proposalKey(f.ownerId, f.team, f.currency, c.number);
    if (state.contextKey === key || (retryAt !== null && Date.now() < retryAt)) return;
    const loaded = await attempt(
      () =>
        activities.core.loadRenewalContext({
          subscriptionId: state.subscriptionId,
          owner: f.ownerId,
          team: f.team,
          currency: f.currency,
          years: yearsFor(c.renewalDate, cycleMonths(f.cycle)),
          facts: budgetFacts(state),
        }),
      (cause) => log(`could not load the configuration: ${cause}`),
    );
    if (!loaded) {
      retryAt = Date.now() + RETRY_MS;
      return;
    }
    retryAt = null;
    state.contextKey = key;
    if (!loaded.ok) {
      state.problems = loaded.problems;
      log(`the configuration no longer fits: ${describeProblems(loaded.problems)}`);
      return;
    }
    state.context = loaded.context;
    if (loaded.context.budget) state.budgetCallout = loaded.context.budget.callout;
    replan(state, loaded.context.calendar, rulesOf(loaded.context), clock().today);
  }

  async function continueAsNew(): Promise<never> {
    const index = indexOf(state);
    const memo = memoOf(state);
    state.applied.index = JSON.stringify(index);
    state.applied.memo = JSON.stringify(memo);
    return makeContinueAsNewFunc<typeof renewalWorkflow>({
      typedSearchAttributes: startAttributes(index),
      memo: memoFields(memo),
    })(input, state);
  }

  const process: EntityProcess = {
    wake,
    eventsBeforeContinueAsNew: EVENTS_BEFORE_CONTINUE_AS_NEW,
    async advance() {
      turnsStarted++;
      wake.take();
      try {
        if (finished) return 'finished';
        if (state.proposal) {
          await processProposal(state.proposal);
          return 'again';
        }
        if (rolled) {
          // The renewal opened the next cycle: planned with the context at hand, so the next run starts indexed.
          replan(state, state.context!.calendar, rulesOf(state.context!), clock().today);
          await condition(allHandlersFinished);
          if (!wake.pending && !state.proposal) return await continueAsNew();
          return 'again';
        }
        if (state.fields && state.cycle) {
          await refreshContext();
          if (!state.cycle.plan && state.context)
            replan(state, state.context.calendar, rulesOf(state.context), clock().today);
        }
        await reconcile(state, effects, clock());
        return 'idle';
      } finally {
        turnsFinished++;
      }
    },
    deadlines(): Deadline[] {
      if (!state.fields)
        return [{ at: runStartTime.getTime() + ABANDON_AFTER_MS, run: async () => abandon() }];
      const list: Deadline[] = renewalSteps(state, clock()).map((t) => ({
        at: t.at,
        run: async () => {
          const outcome = await runStep(t.step, state, clock(), effects);
          if (outcome.kind === 'rolled' && outcome.outcome === 'renewed') rolled = true;
          if (outcome.kind === 'end') finished = true;
        },
      }));
      if (retryAt !== null) list.push({ at: retryAt, run: async () => {} });
      return list;
    },
    continueAsNew,
  };

  function abandon(): void {
    log('no valid subscription arrived in 30 days: stopped waiting');
    finished = true;
  }

  await runEntityLoop(process);
  return status();
}
