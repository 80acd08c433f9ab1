/**
 * The state a subscription's workflow carries across continue-as-new, and the pure transitions
 * on it: proposals checked and applied, the cycle planned and re-planned, decisions, snoozes,
 * the deadline passing, the renewal rolling the cycle forward. No I/O and no clock: callers pass
 * today's date in the owner's calendar and the time of the message.
 */
import { compareDates, type BusinessCalendar, type CalendarDate } from '../../domain/business-calendar';
import type { BudgetCallout, BudgetFacts } from '../../domain/budget';
import {
  cycleMonths,
  cycleStart,
  dayOfMonth,
  firstRenewalAfter,
  nextRenewal,
  planRenewal,
  type RenewalRules,
} from '../../domain/renewal-plan';
import {
  checkSubscription,
  type Decision,
  type FieldProblem,
  type RawSubscription,
  type SubscriptionFields,
} from '../../domain/subscription';
import type { Journal } from '../entity-loop';
import type { IdentityState } from '../operator-identity';
import type {
  Actor,
  DecisionRecord,
  Lifecycle,
  PastCycle,
  RenewalContext,
  ReminderView,
  SnoozeRecord,
  WrittenProperties,
} from './messages';

/** Cycles kept on record: two years of a monthly contract, for the budget of this year and the last. */
export const HISTORY_KEPT = 26;

export interface ReminderState extends ReminderView {
  /** The ladder's own date before any snooze. */
  planned: CalendarDate;
}

export interface CycleState {
  number: number;
  renewalDate: CalendarDate;
  /** The contract's day of the month, so that a clamped month-end goes back to it. */
  anchorDay: number;
  start: CalendarDate;
  /** What this cycle cost: the baseline of the price change the renewal ahead is judged on. */
  cost: { amount: number; currency: string };
  /** The first day of the cycle's plan: reminders before it were already past. */
  plannedOn: CalendarDate | null;
  plan: ReturnType<typeof planRenewal> | null;
  reminders: ReminderState[];
  /** A catch-up reminder is due at once; how many went out this cycle (each has its own key). */
  catchUp: { pending: boolean; sent: number };
  escalations: CalendarDate[];
  decision: DecisionRecord | null;
  /** When the decision was made, ms since the epoch: an older Notion event cannot undo it. */
  decidedAtMs: number;
  /** `arrival`: added after its deadline; `deadline`: the deadline passed undecided. */
  missed: 'no' | 'arrival' | 'deadline';
}

/** A change waiting for the configuration's checks (owner, team, currency). */
export interface Proposal {
  id: number;
  fields: RawSubscription;
  actor: Actor;
  pageId: string | null;
  decision: string | null;
  written: WrittenProperties | null;
  atMs: number;
}

export interface EventMade {
  cycle: number;
  date: CalendarDate;
  key: string;
  calendarId: string;
  id: string;
}

export interface Applied {
  /** The page's prodops-owned and rolled values as last read or written, by property name. */
  page: Record<string, unknown>;
  deadlineEvent: EventMade | null;
  task: { cycle: number; decision: Decision; key: string; issueKey: string } | null;
  /** `for`: the renewal date the export reminder was planned for. */
  exportEvent: (EventMade & { for: CalendarDate }) | null;
  /** Search attributes and memo as last written. */
  index: string | null;
  memo: string | null;
  /** The budget facts the budget pages were last told of. */
  budgetFacts: BudgetFacts | null;
}

export interface RenewalState extends Journal, IdentityState {
  subscriptionId: string;
  lifecycle: Lifecycle;
  fields: SubscriptionFields | null;
  proposal: Proposal | null;
  nextProposalId: number;
  /** The proposals processed, by id, with their problems (empty when applied). */
  outcomes: { id: number; problems: FieldProblem[] }[];
  problems: FieldProblem[];
  notionPageId: string | null;
  addedOn: CalendarDate | null;
  context: RenewalContext | null;
  /** What the context was loaded for: owner, team, currency and cycle. */
  contextKey: string | null;
  cycle: CycleState | null;
  decisions: DecisionRecord[];
  snoozes: SnoozeRecord[];
  history: PastCycle[];
  budgetCallout: BudgetCallout | null;
  endedOn: CalendarDate | null;
  /** Newest Notion event applied, ms: an older one is a late delivery. */
  lastPageEventAt: number;
  applied: Applied;
}

export function initialState(subscriptionId: string): RenewalState {
  return {
    subscriptionId,
    lifecycle: 'pending',
    fields: null,
    proposal: null,
    nextProposalId: 1,
    outcomes: [],
    problems: [],
    notionPageId: null,
    addedOn: null,
    context: null,
    contextKey: null,
    cycle: null,
    decisions: [],
    snoozes: [],
    history: [],
    budgetCallout: null,
    endedOn: null,
    lastPageEventAt: 0,
    applied: {
      page: {},
      deadlineEvent: null,
      task: null,
      exportEvent: null,
      index: null,
      memo: null,
      budgetFacts: null,
    },
    log: [],
    sent: [],
    deliveries: [],
  };
}

export const ended = (s: RenewalState): boolean => s.lifecycle === 'cancelled' || s.lifecycle === 'lapsed';

export function rulesOf(context: RenewalContext): RenewalRules {
  return {
    reminderDays: context.rules.reminderDays,
    escalationWorkingDays: context.rules.escalationWorkingDays,
  };
}

// ---- Proposals ------------------------------------------------------------------------------

/** Shape checks that need no configuration; the rest happens when the proposal is processed. */
export function shapeProblems(raw: RawSubscription): FieldProblem[] {
  const checked = checkSubscription(raw);
  return checked.ok ? [] : checked.problems;
}

export function propose(s: RenewalState, change: Omit<Proposal, 'id'>): number {
  const id = s.nextProposalId++;
  // A newer change replaces one not yet processed: both describe the whole subscription.
  s.proposal = { ...change, id };
  return id;
}

export function proposalKey(owner: string, team: string | null, currency: string, cycle: number): string {
  return `${owner}|${team ?? ''}|${currency}|${cycle}`;
}

/** The years of holidays the context must hold for the cycle ending on `renewalDate`. */
export function yearsFor(renewalDate: CalendarDate, months: number): { from: number; to: number } {
  const start = cycleStart(renewalDate, months);
  const next = nextRenewal(renewalDate, months);
  return { from: Number(start.slice(0, 4)) - 1, to: Number(next.slice(0, 4)) + 1 };
}

/**
 * Applies a checked change. The first one opens cycle 1; a renewal date on or before today is
 * rolled forward by whole cycles. A changed renewal date, notice period or cycle re-plans.
 */
export function acceptFields(s: RenewalState, fields: SubscriptionFields, today: CalendarDate): string[] {
  const notes: string[] = [];
  const months = cycleMonths(fields.cycle);
  let renewalDate = fields.renewalDate;
  if (compareDates(renewalDate, today) <= 0) {
    renewalDate = firstRenewalAfter(renewalDate, months, today);
    notes.push(`renewal date ${fields.renewalDate} has passed: the next one is ${renewalDate}`);
  }
  const accepted = { ...fields, renewalDate };
  const before = s.fields;
  s.fields = accepted;
  s.problems = [];
  if (s.lifecycle === 'pending' || s.lifecycle === 'invalid') s.lifecycle = 'active';
  if (!s.cycle) {
    s.addedOn = today;
    s.cycle = openCycle(1, renewalDate, dayOfMonth(fields.renewalDate), months, {
      amount: fields.costPerCycle,
      currency: fields.currency,
    });
    notes.push(`added: ${fields.tool}, renews ${renewalDate}`);
    return notes;
  }
  const c = s.cycle;
  if (
    before &&
    (before.renewalDate !== fields.renewalDate ||
      before.noticeDays !== fields.noticeDays ||
      before.cycle !== fields.cycle) &&
    c.renewalDate !== renewalDate
  ) {
    notes.push(`renewal date moved from ${c.renewalDate} to ${renewalDate}`);
    c.renewalDate = renewalDate;
    c.anchorDay = dayOfMonth(fields.renewalDate);
    c.start = cycleStart(renewalDate, months, c.anchorDay);
    c.plan = null;
  } else if (before && (before.noticeDays !== fields.noticeDays || before.cycle !== fields.cycle)) {
    notes.push(`notice period or cycle changed: ${fields.noticeDays} days, ${fields.cycle}`);
    c.start = cycleStart(c.renewalDate, months, c.anchorDay);
    c.plan = null;
  }
  if (before && before.costPerCycle !== fields.costPerCycle)
    notes.push(`price changed from ${before.costPerCycle} to ${fields.costPerCycle} ${fields.currency}`);
  return notes;
}

function openCycle(
  number: number,
  renewalDate: CalendarDate,
  anchorDay: number,
  months: number,
  cost: { amount: number; currency: string },
): CycleState {
  return {
    number,
    renewalDate,
    anchorDay,
    start: cycleStart(renewalDate, months, anchorDay),
    cost,
    plannedOn: null,
    plan: null,
    reminders: [],
    catchUp: { pending: false, sent: 0 },
    escalations: [],
    decision: null,
    decidedAtMs: 0,
    missed: 'no',
  };
}

/**
 * Plans the cycle as of today. Reminders already sent stay sent (matched by their step); steps
 * now past are dropped, and when one was dropped and the deadline is ahead, a catch-up is due.
 */
export function replan(
  s: RenewalState,
  cal: BusinessCalendar,
  rules: RenewalRules,
  today: CalendarDate,
): void {
  const c = s.cycle!;
  const f = s.fields!;
  const plan = planRenewal(
    {
      renewalDate: c.renewalDate,
      noticeDays: f.noticeDays,
      cycleMonths: cycleMonths(f.cycle),
      anchorDay: c.anchorDay,
      today,
    },
    cal,
    rules,
  );
  const first = c.plan === null && c.plannedOn === null;
  const sentSteps = new Set(c.reminders.filter((r) => r.status === 'sent').map((r) => r.step));
  const previous = c.reminders;
  c.reminders = [
    ...previous.filter((r) => r.status === 'sent'),
    ...plan.dropped
      .filter((r) => !sentSteps.has(r.daysBeforeDeadline))
      .map((r): ReminderState => ({
        step: r.daysBeforeDeadline,
        date: r.date,
        planned: r.date,
        status: 'dropped',
        detail: 'past when planned',
      })),
    ...plan.reminders
      .filter((r) => !sentSteps.has(r.daysBeforeDeadline))
      .map((r): ReminderState => {
        // A snooze survives a re-plan when its day is still before the new escalation.
        const old = previous.find(
          (p) => p.step === r.daysBeforeDeadline && p.status === 'pending' && p.date !== p.planned,
        );
        const keep =
          old && compareDates(old.date, plan.escalationDate) < 0 && compareDates(old.date, today) >= 0;
        return {
          step: r.daysBeforeDeadline,
          date: keep ? old.date : r.date,
          planned: r.date,
          status: 'pending',
        };
      }),
  ].sort((a, b) => compareDates(a.date, b.date));
  const newlyDropped = plan.dropped.some(
    (r) =>
      !sentSteps.has(r.daysBeforeDeadline) &&
      !previous.some((p) => p.step === r.daysBeforeDeadline && p.status === 'dropped'),
  );
  if (plan.catchUpReminder && newlyDropped && c.decision === null) c.catchUp.pending = true;
  if (first) c.plannedOn = today;
  c.plan = plan;
  if (plan.missed && c.missed === 'no' && c.decision === null) {
    c.missed = first ? 'arrival' : 'deadline';
    s.lifecycle = 'missed';
  } else if (!plan.missed && c.missed !== 'no' && !ended(s)) {
    // Moved to a later deadline: the cycle is open again.
    c.missed = 'no';
    s.lifecycle = 'active';
  }
}

// ---- Time-driven transitions --------------------------------------------------------------------

/** The deadline passed without a decision. */
export function deadlinePassed(s: RenewalState): void {
  const c = s.cycle!;
  if (c.decision || c.missed !== 'no') return;
  c.missed = 'deadline';
  s.lifecycle = 'missed';
  for (const r of c.reminders)
    if (r.status === 'pending') {
      r.status = 'dropped';
      r.detail = 'deadline passed';
    }
}

export type RolloverOutcome = 'renewed' | 'cancelled' | 'lapsed';

/** The renewal date has come: the next cycle opens, or the subscription ends. */
export function rollover(s: RenewalState, atMs: number): RolloverOutcome {
  const c = s.cycle!;
  const f = s.fields!;
  const decision = c.decision?.decision ?? null;
  const decided = decision !== null && decision !== 'undecided' ? decision : null;
  const outcome: RolloverOutcome =
    decided === 'cancel' ? 'cancelled' : !f.autoRenews && decided === null ? 'lapsed' : 'renewed';
  s.history.push({
    number: c.number,
    start: c.start,
    renewalDate: c.renewalDate,
    cost: c.cost,
    decision: decided,
    outcome,
  });
  if (s.history.length > HISTORY_KEPT) s.history.splice(0, s.history.length - HISTORY_KEPT);
  if (outcome !== 'renewed') {
    s.lifecycle = outcome;
    s.endedOn = c.renewalDate;
    return outcome;
  }
  const months = cycleMonths(f.cycle);
  const renewalDate = nextRenewal(c.renewalDate, months, c.anchorDay);
  s.fields = { ...f, renewalDate };
  s.cycle = openCycle(c.number + 1, renewalDate, c.anchorDay, months, {
    amount: f.costPerCycle,
    currency: f.currency,
  });
  // A Notion event from before the renewal says nothing about the new cycle's decision.
  s.cycle.decidedAtMs = atMs;
  s.lifecycle = 'active';
  s.decisions = [];
  s.snoozes = [];
  s.budgetCallout = null;
  s.applied.deadlineEvent = null;
  s.applied.task = null;
  s.applied.exportEvent = null;
  return outcome;
}
