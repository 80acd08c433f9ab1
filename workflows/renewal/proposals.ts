/**
 * A change to the subscription (from Notion or `prodops renewal add`) is a proposal: checked for
 * shape, then against the configuration (owner, team, currency) by the context activity, then
 * applied and planned again; or refused, with every field named, keeping the last good version.
 * A new cycle loads the context again too, so configuration changes reach running subscriptions.
 */
import { localDateOf, type CalendarDate } from '../../domain/business-calendar';
import { cycleMonths, firstRenewalAfter } from '../../domain/renewal-plan';
import {
  checkSubscription,
  readDecision,
  type FieldProblem,
  type SubscriptionFields,
} from '../../domain/subscription';
import { attempt } from '../entity-loop';
import type { LoadRenewalContextResult } from './messages';
import { clockOf, describeProblems, log, type RenewalRun } from './run';
import { applyDecision } from './decisions';
import {
  acceptFields,
  proposalKey,
  replan,
  rulesOf,
  yearsFor,
  type Proposal,
  type RenewalState,
} from './state';
import { budgetFacts } from './views';

/** A change that replaced one not yet processed answers that one's command too. */
export function supersede(state: RenewalState, id: number): void {
  for (let older = id - 1; older > 0 && !state.outcomes.some((o) => o.id === older); older--) {
    if (older < id - 50) break;
    state.outcomes.push({ id: older, problems: [] });
  }
  if (state.outcomes.length > 50) state.outcomes.splice(0, state.outcomes.length - 50);
}

/**
 * The context a change needs: the one at hand when the owner, team and currency stay the same
 * (a price, a date or a decision changed), else loaded and checked against the configuration.
 */
async function contextFor(
  run: RenewalRun,
  f: SubscriptionFields,
  renewal: CalendarDate,
  draft: RenewalState,
): Promise<LoadRenewalContextResult | FieldProblem[]> {
  const { state } = run;
  const years = yearsFor(renewal, cycleMonths(f.cycle));
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
      run.activities.core.loadRenewalContext({
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

export async function processProposal(run: RenewalRun, p: Proposal): Promise<void> {
  const { state } = run;
  state.proposal = null;
  const shape = checkSubscription(p.fields);
  if (!shape.ok) return refuseProposal(run, p, shape.problems);
  const f = shape.fields;
  const roughToday = localDateOf(Date.now(), state.context?.calendar.timezone ?? 'UTC');
  const renewal =
    f.renewalDate > roughToday
      ? f.renewalDate
      : firstRenewalAfter(f.renewalDate, cycleMonths(f.cycle), roughToday);
  const draft = JSON.parse(JSON.stringify(state)) as RenewalState;
  acceptFields(draft, f, roughToday);
  const loaded = await contextFor(run, f, renewal, draft);
  if (Array.isArray(loaded)) return refuseProposal(run, p, loaded);
  if (!loaded.ok) return refuseProposal(run, p, loaded.problems);
  const reloaded = loaded.context !== state.context;
  state.context = loaded.context;
  state.contextKey = proposalKey(loaded.ownerId, loaded.team, f.currency, state.cycle?.number ?? 1);
  const day = clockOf(run).today;
  for (const line of acceptFields(state, { ...f, ownerId: loaded.ownerId, team: loaded.team }, day))
    log(run, line);
  if (p.pageId) state.notionPageId ??= p.pageId;
  if (reloaded && loaded.context.budget) state.budgetCallout = loaded.context.budget.callout;
  // Planned again after every change: the owner's calendar or the rules may differ; sent reminders stay sent.
  replan(state, loaded.context.calendar, rulesOf(loaded.context), day);
  applyPageDecision(run, p, day);
  state.outcomes.push({ id: p.id, problems: [] });
  run.settlesAt.set(p.id, run.turnsStarted + 1);
}

/** The Decision cell of a Notion change, made by the event's author; an older event cannot undo a newer decision. */
function applyPageDecision(run: RenewalRun, p: Proposal, day: CalendarDate): void {
  const { state } = run;
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
    log(run, `decided in Notion: ${read} by ${p.actor.by}`);
}

function refuseProposal(run: RenewalRun, p: Proposal, problems: FieldProblem[]): void {
  const { state } = run;
  state.problems = problems;
  if (!state.fields) state.lifecycle = 'invalid';
  if (p.pageId) state.notionPageId ??= p.pageId;
  state.outcomes.push({ id: p.id, problems });
  log(run, `refused a change from ${p.actor.by} (${p.actor.via}): ${describeProblems(problems)}`);
}

/** A new cycle, or a changed owner, team or currency, loads the context again (the configuration may have changed). */
export async function refreshContext(run: RenewalRun): Promise<void> {
  const { state } = run;
  const f = state.fields!;
  const c = state.cycle!;
  const key = proposalKey(f.ownerId, f.team, f.currency, c.number);
  if (state.contextKey === key || (run.retryAt !== null && Date.now() < run.retryAt)) return;
  const loaded = await attempt(
    () =>
      run.activities.core.loadRenewalContext({
        subscriptionId: state.subscriptionId,
        owner: f.ownerId,
        team: f.team,
        currency: f.currency,
        years: yearsFor(c.renewalDate, cycleMonths(f.cycle)),
        facts: budgetFacts(state),
      }),
    (cause) => log(run, `could not load the configuration: ${cause}`),
  );
  if (!loaded) {
    run.retryAt = Date.now() + 3_600_000;
    return;
  }
  run.retryAt = null;
  state.contextKey = key;
  if (!loaded.ok) {
    state.problems = loaded.problems;
    log(run, `the configuration no longer fits: ${describeProblems(loaded.problems)}`);
    return;
  }
  state.context = loaded.context;
  if (loaded.context.budget) state.budgetCallout = loaded.context.budget.callout;
  replan(state, loaded.context.calendar, rulesOf(loaded.context), clockOf(run).today);
}
