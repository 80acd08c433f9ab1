/**
 * The renewal workflow's messages, defined once and imported by the workflow, the Notion route,
 * the CLI, the activities and the tests.
 *
 * One workflow per subscription, `subscription:<id>`, lives across renewal cycles (it continues
 * as new at each renewal). Signals are changes made in Notion: late or repeated deliveries are
 * ordered by `occurredAt` and recognised by `deliveryId`. Updates are commands from people:
 * validated first, refused with the field named, answered with the new status. Decisions and
 * snoozes carry whom they are for (`by`) and the signature of the operator who sent them (`auth`,
 * domain/operators.ts): an operator acts for themselves, or for the subscription's owner or the
 * owner's manager as their grant allows (`operators[].actsFor`). A decision made in Notion arrives
 * as a change of the row, from the author of the signed event.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CalendarDate, BusinessCalendar } from '../../domain/business-calendar';
import type { BudgetCallout, BudgetFacts, BudgetView } from '../../domain/budget';
import type { PageDocument } from '../../domain/document';
import type { OperatorAuth } from '../../domain/operators';
import type { RenewalPlan } from '../../domain/renewal-plan';
import type { Decision, FieldProblem, RawSubscription, SubscriptionFields } from '../../domain/subscription';

export {
  RENEWAL_WORKFLOW_TYPE,
  SUBSCRIPTION_ID,
  subscriptionWorkflowId,
  TOOL_BUDGET_WORKFLOW_TYPE,
  toolBudgetWorkflowId,
} from '../../contracts/renewals';

export interface RenewalInput {
  subscriptionId: string;
}

export type Channel = 'cli' | 'notion';

/** Who acted and through which channel; for Notion, the author of the signed event. */
export interface Actor {
  by: string;
  via: Channel;
}

/** The values prodops writes on the subscription's page, as last read or written. */
export interface WrittenProperties {
  noticeDeadline?: string | null;
  status?: string | null;
  annualCost?: number | null;
  problems?: string | null;
}

/** A subscription page created or changed in Notion, read by the Notion route. */
export interface SubscriptionPageEvent {
  pageId: string;
  fields: RawSubscription;
  /** The Decision property as written: `Undecided`, `Renew`, … or null when empty. */
  decision: string | null;
  /** The values of the properties prodops writes, so that it writes only what differs. */
  written: WrittenProperties;
  /** The email of the person who made the change (the signed event's author), when known. */
  author: string | null;
  /** Notion's time of the event, ms since the epoch. */
  occurredAt: number;
  deliveryId: string;
}

export interface SetSubscriptionCommand extends Actor {
  fields: RawSubscription;
  /** The operator's signature over the command (the command line adds it). */
  auth?: OperatorAuth;
}
export interface DecideCommand extends Actor {
  decision: Decision;
  note?: string;
  /** The operator's signature over the command (the command line adds it). */
  auth?: OperatorAuth;
}
export interface SnoozeCommand extends Actor {
  /** The day the next reminder moves to. */
  until: CalendarDate;
  note?: string;
  /** The operator's signature over the command (the command line adds it). */
  auth?: OperatorAuth;
}

/** The team's budget position for the renewal ahead, pushed by the budget workflow when it changes. */
export interface BudgetPositionEvent {
  renewalDate: CalendarDate;
  callout: BudgetCallout | null;
}

export const subscriptionPageChanged = defineSignal<[SubscriptionPageEvent]>('subscriptionPageChanged');
export const budgetPositionChanged = defineSignal<[BudgetPositionEvent]>('budgetPositionChanged');
export const setSubscription = defineUpdate<RenewalStatusView, [SetSubscriptionCommand]>('setSubscription');
export const decideRenewal = defineUpdate<RenewalStatusView, [DecideCommand]>('decideRenewal');
export const snoozeReminder = defineUpdate<RenewalStatusView, [SnoozeCommand]>('snoozeReminder');
export const renewalStatus = defineQuery<RenewalStatusView>('renewalStatus');

/** Error types a command is refused with. */
export const RenewalRefusals = {
  invalid: 'InvalidSubscription',
  notAllowed: 'RenewalNotAllowed',
  ended: 'SubscriptionEnded',
  /** The command is not signed by a configured operator, or the signature does not hold. */
  unauthenticated: 'RenewalCommandNotAuthenticated',
} as const;

export interface PersonRef {
  id: string;
  name: string;
  email: string;
  jiraAccountId?: string;
}

export interface RenewalRulesView {
  reminderDays: number[];
  escalationWorkingDays: number;
  priceRiseThresholdPercent: number;
  noticeTime: string;
  exportReminderWorkingDays: number;
}

/** What the workflow needs from the configuration, loaded by an activity once per cycle. */
export interface RenewalContext {
  owner: PersonRef & { calendar: string; team: string };
  manager: PersonRef | null;
  budgetOwner: PersonRef | null;
  procurement: PersonRef | null;
  team: { id: string; name: string };
  calendar: BusinessCalendar;
  calendarYears: { from: number; to: number };
  rules: RenewalRulesView;
  fx: { base: string; rates: Record<string, number> };
  notion: { subscriptions: string | null };
  jira: { projectKey: string; cancelledStatus: string };
  sender: string;
  /** The team's budget position for the renewal ahead, when the load could read it. */
  budget: BudgetPositionEvent | null;
}

export interface LoadRenewalContextInput {
  subscriptionId: string;
  /** A person id or email. */
  owner: string;
  team: string | null;
  currency: string;
  years: { from: number; to: number };
  /** The subscription's own budget facts as they will be once this change is applied. */
  facts: BudgetFacts | null;
}

export type LoadRenewalContextResult =
  | { ok: true; context: RenewalContext; ownerId: string; team: string }
  | { ok: false; problems: FieldProblem[] };

export type Lifecycle = 'pending' | 'invalid' | 'active' | 'missed' | 'cancelled' | 'lapsed';

export interface ReminderView {
  step: number | 'catch-up';
  date: CalendarDate;
  status: 'pending' | 'sent' | 'failed' | 'dropped' | 'merged';
  detail?: string;
}

export interface DecisionRecord extends Actor {
  decision: Decision | 'undecided';
  at: string;
  note?: string;
  /** Made after the notice deadline. */
  late: boolean;
  /** The operator whose signed command recorded it, when someone other than `by`. */
  operator?: string;
}

export interface SnoozeRecord extends Actor {
  step: number;
  from: CalendarDate;
  to: CalendarDate;
  at: string;
  note?: string;
  /** The operator whose signed command recorded it, when someone other than `by`. */
  operator?: string;
}

export interface PastCycle {
  number: number;
  start: CalendarDate;
  renewalDate: CalendarDate;
  /** What the cycle cost, paid on its first day. */
  cost: { amount: number; currency: string };
  decision: Decision | null;
  outcome: 'renewed' | 'cancelled' | 'lapsed';
}

/** What `renewal list` and `budget` read from the visibility store, without asking each workflow. */
export interface SubscriptionMemo {
  subscriptionId: string;
  tool: string;
  vendor: string | null;
  ownerId: string;
  team: string;
  lifecycle: Lifecycle;
  decision: Decision | null;
  escalated: boolean;
  renewalDate: CalendarDate | null;
  noticeDeadline: CalendarDate | null;
  nextReminder: CalendarDate | null;
  perYear: { cents: number; currency: string } | null;
  /** The budget position the renewal ahead holds (the budget workflow compares before pushing). */
  budgetCallout: BudgetCallout | null;
  budget: BudgetFacts | null;
}

export interface RenewalStatusView {
  workflowId: string;
  subscriptionId: string;
  lifecycle: Lifecycle;
  fields: SubscriptionFields | null;
  notionPageId: string | null;
  /** The last change refused, with the fields named; empty once a valid change is applied. */
  problems: FieldProblem[];
  cycle: {
    number: number;
    start: CalendarDate;
    renewalDate: CalendarDate;
    plan: RenewalPlan | null;
    reminders: ReminderView[];
    escalations: CalendarDate[];
    decision: DecisionRecord | null;
    missed: boolean;
  } | null;
  /** What the renewal ahead costs per year in the base currency, and the change since the last cycle. */
  perYear: { cents: number; currency: string } | null;
  priceChangePercent: number | null;
  priceRiseCalledOut: boolean;
  utilisationPercent: number | null;
  daysLeft: number | null;
  budget: BudgetCallout | null;
  decisions: DecisionRecord[];
  snoozes: SnoozeRecord[];
  history: PastCycle[];
  artifacts: {
    deadlineEvent: string | null;
    jiraTask: string | null;
    exportEvent: string | null;
  };
  endedOn: CalendarDate | null;
  log: { at: string; message: string }[];
}

// ---- The tool budget workflow -----------------------------------------------------------------

export interface ToolBudgetInput {
  year: number;
}

/** A subscription's budget facts changed; carried so a refresh never waits on the visibility store. */
export interface BudgetFactsChanged {
  subscriptionId: string;
  facts: BudgetFacts | null;
  /** The sender's time of the change, ms since the epoch: the newest wins. */
  at: number;
}

export const budgetFactsChanged = defineSignal<[BudgetFactsChanged]>('budgetFactsChanged');
export const refreshBudget = defineSignal<[Actor]>('refreshBudget');
export const toolBudgetStatus = defineQuery<ToolBudgetStatus>('toolBudgetStatus');

export interface ToolBudgetStatus {
  year: number;
  refreshes: number;
  lastRefresh: { at: string; pageId: string | null; committedCents: number; teamsOver: string[] } | null;
  log: { at: string; message: string }[];
}

export interface ComputeToolBudgetInput {
  year: number;
  overlay: BudgetFactsChanged[];
  /** When the page says it was updated; the workflow's time. */
  at: string;
}

export interface BudgetPositionChange {
  subscriptionId: string;
  position: BudgetPositionEvent;
}

export interface ComputeToolBudgetResult {
  view: BudgetView;
  /** Where the page goes; null when `integrations.notion.dataSources.toolBudgets` is not set. */
  dataSourceId: string | null;
  title: string;
  properties: Record<string, { title: string } | { number: number | null } | { select: string | null }>;
  document: PageDocument;
  /** Subscriptions whose budget position differs from what they hold. */
  positions: BudgetPositionChange[];
}
