/**
 * What a routed theme carries across continue-as-new, and every change a message makes to it.
 *
 * A round opens when a weekly triage first routes the theme to its area's PM, and stays open,
 * collecting the items of later weeks' routings, until the PM answers backlog, research,
 * addressed or won't do (with a rationale). Only the area's PM or the Head of Product can
 * answer; anyone else is refused and the attempt kept. The next routing after an answer opens a
 * new round. Pure: the state, the message and the moment in; the state changed and the answer out.
 *
 * The field names of `ThemeState` are carried by running workflows: renaming one breaks them.
 */
import { addWorkingDays, localDateOf, type BusinessCalendar } from '../../../domain/business-calendar';
import type { RoundSummary } from '../../../domain/insights/report';
import type { InsightPerson, InsightsContext } from '../../../domain/insights/settings';
import { DISPOSITIONS, labelOf, matchValue, type Disposition } from '../../../domain/insights/taxonomy';
import { describeActor, mayActFor, type OperatorGrant } from '../../../domain/operators';
import type { Journal } from '../../entity-loop';
import { readInsightMessage } from '../shapes';
import type { IdentityState } from '../../operator-identity';
import {
  insightRoundId,
  InsightRefusals,
  type DecideThemeCommand,
  type ThemeDecidedInNotion,
  type ThemeInput,
  type ThemeRefusal,
  type ThemeRouted,
  type ThemeStatusView,
} from '../messages';

export const LOG_LIMIT = 50;
/** Decided rounds kept: a year of weekly routings and more. */
export const ROUNDS_KEPT = 60;
const REFUSAL_LIMIT = 30;

export interface ThemeRound extends RoundSummary {
  itemIds: string[];
  /** The theme's row in Notion for this round. */
  pageId: string | null;
  /** What the row was last written with (a fingerprint). */
  published: string | null;
  /** Item ids the backlog has been told are routed in the round. */
  told: string[];
  /** True once the backlog has been told of the decision. */
  toldDecision: boolean;
  /** Triages waiting to hear the row's link before they write their digests. */
  answering: string[];
}

/** The operators read and the nonces of recent signed commands (IdentityState) ride along. */
export interface ThemeState extends Journal, IdentityState {
  context: InsightsContext | null;
  open: ThemeRound | null;
  rounds: ThemeRound[];
  refusals: ThemeRefusal[];
  /** Notion user ids by email, for the PM column; null until read. */
  notionUsers: Record<string, string> | null;
  deliveries: string[];
}

export function initialThemeState(): ThemeState {
  return {
    context: null,
    open: null,
    rounds: [],
    refusals: [],
    notionUsers: null,
    log: [],
    sent: [],
    deliveries: [],
  };
}

export interface Moment {
  now: number;
  note: (message: string) => void;
}

export interface Refusal {
  type: (typeof InsightRefusals)[keyof typeof InsightRefusals];
  message: string;
}

const iso = (now: number) => new Date(now).toISOString();

export function areaOf(context: InsightsContext, input: ThemeInput) {
  return context.areas.find((a) => a.id === input.area) ?? null;
}

export function pmOf(context: InsightsContext, input: ThemeInput): InsightPerson | null {
  const area = areaOf(context, input);
  return area ? (context.people[area.pm] ?? null) : null;
}

export function pmCalendar(context: InsightsContext, pm: string): BusinessCalendar {
  const person = context.people[pm];
  return (person && context.calendars[person.calendar]) || context.orgCalendar;
}

/** A triage routed the theme: a new round, or the open one carried into this week. */
export function applyRouted(state: ThemeState, input: ThemeInput, routed: ThemeRouted, at: Moment): boolean {
  const context = state.context!;
  const open = state.open;
  if (open) {
    if (!open.weeks.includes(routed.week)) open.weeks.push(routed.week);
    open.counts = { ...routed.counts };
    for (const id of routed.itemIds) if (!open.itemIds.includes(id)) open.itemIds.push(id);
    if (!open.answering.includes(routed.triageId)) open.answering.push(routed.triageId);
    at.note(
      `still awaiting a decision in ${routed.week}: ${open.itemIds.length} items (rank ${routed.rank})`,
    );
    return true;
  }
  const area = areaOf(context, input);
  const pm = area?.pm ?? 'nobody';
  const calendar = pmCalendar(context, pm);
  const routedOn = localDateOf(at.now, calendar.timezone);
  let round = insightRoundId(input.area, input.theme, routed.week);
  // The same week twice (decided, then routed again by a late triage): a round of its own.
  for (let n = 2; state.rounds.some((r) => r.round === round); n++)
    round = `${insightRoundId(input.area, input.theme, routed.week)}.${n}`;
  state.open = {
    round,
    area: input.area,
    theme: input.theme,
    pm,
    routedAt: at.now,
    routedOn,
    remindOn: addWorkingDays(calendar, routedOn, context.triage.remindAfterWorkingDays),
    decideBy: addWorkingDays(calendar, routedOn, context.digest.decidedWithinWorkingDays),
    url: null,
    weeks: [routed.week],
    counts: { ...routed.counts },
    decision: null,
    remindedAt: null,
    itemIds: [...routed.itemIds],
    pageId: null,
    published: null,
    told: [],
    toldDecision: false,
    answering: [routed.triageId],
  };
  at.note(
    `routed to ${context.people[pm]?.name ?? pm} in ${routed.week} (rank ${routed.rank}): ${routed.itemIds.length} items, ${routed.counts.high} High`,
  );
  return true;
}

/** Who may answer for the theme: its area's PM, and the Head of Product. */
export function deciders(context: InsightsContext, input: ThemeInput): InsightPerson[] {
  const pm = pmOf(context, input);
  const head = context.headOfProduct ? context.people[context.headOfProduct] : undefined;
  return [pm, head]
    .filter((p): p is InsightPerson => !!p && !!p.id)
    .filter((p, i, all) => all.findIndex((q) => q.id === p.id) === i);
}

export function recordRefusal(state: ThemeState, refusal: Omit<ThemeRefusal, 'at'>, at: Moment): void {
  state.refusals.push({ ...refusal, at: iso(at.now) });
  if (state.refusals.length > REFUSAL_LIMIT) state.refusals.splice(0, state.refusals.length - REFUSAL_LIMIT);
  at.note(`refused ${refusal.by}: ${refusal.reason}`);
}

/** The command's own problems, before anyone is asked who they are. */
export function validateDecide(
  state: ThemeState,
  workflowId: string,
  command: DecideThemeCommand,
): Refusal | null {
  const read = readInsightMessage('decideTheme', command, 0);
  if (!read.ok) return { type: InsightRefusals.invalid, message: read.problem };
  if (command.disposition === 'wont-do' && !(command.rationale ?? '').trim())
    return { type: InsightRefusals.invalid, message: "won't do needs a rationale: say why" };
  if (!state.open) {
    const last = state.rounds.at(-1);
    return {
      type: InsightRefusals.nothingToDecide,
      message: last?.decision
        ? `${workflowId} has no round awaiting a decision: ${last.round} was decided ${labelOf(last.decision.disposition)} on ${last.decision.on}`
        : `${workflowId} has not been routed to anyone yet`,
    };
  }
  return null;
}

/** Records the decision on the open round, which closes it. */
export function decide(
  state: ThemeState,
  decision: {
    disposition: Disposition;
    rationale: string | null;
    by: string;
    via: 'notion' | 'command';
    operator?: string;
  },
  at: Moment,
): void {
  const open = state.open!;
  const calendar = pmCalendar(state.context!, open.pm);
  open.decision = { ...decision, at: at.now, on: localDateOf(at.now, calendar.timezone) };
  state.rounds.push(open);
  if (state.rounds.length > ROUNDS_KEPT) state.rounds.splice(0, state.rounds.length - ROUNDS_KEPT);
  state.open = null;
  const who =
    decision.operator === undefined
      ? `${decision.by} (${decision.via})`
      : describeActor(decision.by, decision.via, decision.operator);
  at.note(
    `decided ${labelOf(decision.disposition)} by ${who}${decision.rationale ? `: ${decision.rationale}` : ''}`,
  );
}

/**
 * Whether the operator who signed a decision may give it for `by`: themselves always; the area's
 * PM with the `pm` grant, the Head of Product with `head-of-product`.
 */
export function decideGrantRefusal(
  context: InsightsContext,
  input: ThemeInput,
  by: string,
  operator: OperatorGrant,
): string | null {
  if (operator.id === by) return null;
  if (by === pmOf(context, input)?.id) return mayActFor(operator, by, 'pm');
  if (by === context.headOfProduct) return mayActFor(operator, by, 'head-of-product');
  return `operator ${operator.id} may not decide for ${by}`;
}

/**
 * A decision by command, from a configured person: the PM or the Head of Product, in person or
 * through an operator whose grant covers them (`operator`, null for a command recorded before
 * commands were signed).
 */
export function applyDecide(
  state: ThemeState,
  input: ThemeInput,
  command: DecideThemeCommand,
  at: Moment,
  operator: OperatorGrant | null = null,
): { refused: string } | { decided: true } {
  const allowed = deciders(state.context!, input);
  // The refusal names the person and, when someone else signed, the operator.
  const by = operator && operator.id !== command.by ? `${command.by} (operator ${operator.id})` : command.by;
  if (!allowed.some((p) => p.id === command.by)) {
    const reason = `${command.by} cannot decide ${input.area}/${input.theme}: only ${allowed.map((p) => `${p.name} (${p.id})`).join(' or ') || 'the area PM'} can`;
    recordRefusal(state, { by, via: 'command', reason }, at);
    return { refused: reason };
  }
  const refusedGrant = operator ? decideGrantRefusal(state.context!, input, command.by, operator) : null;
  if (refusedGrant) {
    recordRefusal(state, { by, via: 'command', reason: refusedGrant }, at);
    return { refused: refusedGrant };
  }
  decide(
    state,
    {
      disposition: command.disposition,
      rationale: command.rationale?.trim() || null,
      by: command.by,
      via: 'command',
      ...(operator && operator.id !== command.by ? { operator: operator.id } : {}),
    },
    at,
  );
  return { decided: true };
}

/**
 * A Disposition set on the theme's row in Notion. It counts when the row is the open round's,
 * the value is a disposition (won't do with a rationale), and the signed event's author is the
 * PM or the Head of Product. Otherwise it is refused and kept, and the row is put back.
 * Returns whether the row must be written again.
 */
export function applyNotionDecision(
  state: ThemeState,
  input: ThemeInput,
  change: ThemeDecidedInNotion,
  at: Moment,
): boolean {
  const open = state.open;
  const decided = state.rounds.find((r) => r.round === change.round);
  if (!open || open.round !== change.round) {
    if (decided) {
      const same = matchValue(change.disposition, DISPOSITIONS) === decided.decision?.disposition;
      if (same) return false;
      at.note(`the row of ${change.round} was changed after its decision: it is put back`);
      decided.published = null;
      return true;
    }
    at.note(`ignored a Notion decision for ${change.round}: not a round of this theme`);
    return false;
  }
  const by = change.by?.toLowerCase() ?? null;
  const person = deciders(state.context!, input).find((p) => p.email.toLowerCase() === by);
  const disposition = matchValue(change.disposition, DISPOSITIONS) as Disposition | undefined;
  const refuse = (reason: string) => {
    recordRefusal(state, { by: change.by ?? 'someone in Notion', via: 'notion', reason }, at);
    open.published = null;
    return true;
  };
  if (!person)
    return refuse(
      `${change.by ?? 'an unknown Notion user'} set the Disposition of ${change.round}: only ${deciders(
        state.context!,
        input,
      )
        .map((p) => p.name)
        .join(' or ')} can decide it`,
    );
  if (!disposition)
    return refuse(`"${change.disposition}" is not a disposition (${DISPOSITIONS.map(labelOf).join(', ')})`);
  const rationale = change.rationale?.trim() || null;
  if (disposition === 'wont-do' && !rationale)
    return refuse(
      `${person.name} chose won't do for ${change.round} without a rationale: fill in Rationale first`,
    );
  decide(state, { disposition, rationale, by: person.id, via: 'notion' }, at);
  return true;
}

export function summaryOf(round: ThemeRound): RoundSummary {
  return {
    round: round.round,
    area: round.area,
    theme: round.theme,
    pm: round.pm,
    routedAt: round.routedAt,
    routedOn: round.routedOn,
    decideBy: round.decideBy,
    remindOn: round.remindOn,
    url: round.url,
    weeks: [...round.weeks],
    counts: { ...round.counts },
    decision: round.decision ? { ...round.decision } : null,
    remindedAt: round.remindedAt,
  };
}

export function themeStatusOf(state: ThemeState, workflowId: string, input: ThemeInput): ThemeStatusView {
  return {
    workflowId,
    area: input.area,
    theme: input.theme,
    pm: state.context ? (areaOf(state.context, input)?.pm ?? null) : null,
    open: state.open ? summaryOf(state.open) : null,
    rounds: state.rounds.map(summaryOf),
    refusals: state.refusals.map((r) => ({ ...r })),
    log: [...state.log],
  };
}
