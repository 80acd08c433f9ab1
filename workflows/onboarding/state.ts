/**
 * The state an engagement carries across continue-as-new, and everything derived from it
 * without side effects: the gates, the phase, the tasks the engagement needs now, and the
 * status the query answers. Transitions (validate*, apply*) live in transitions.ts.
 *
 * Field names are part of the carried state: renaming one breaks every running engagement.
 */
import {
  addWorkingDays,
  compareDates,
  workingDaysBetween,
  type CalendarDate,
} from '../../domain/business-calendar';
import type { OnboardingOwner } from '../../domain/config';
import { taskSummary, type EngagementDescription } from '../../domain/onboarding-content';
import {
  endDates,
  gateDue,
  planOnboarding,
  type OnboardingGate,
  type OnboardingPlan,
} from '../../domain/onboarding-plan';
import type { Journal } from '../entity-loop';
import type {
  Actor,
  Blocker,
  DecisionRecord,
  OnboardingContext,
  OnboardingFlags,
  OnboardingInput,
  OnboardingPhase,
  OnboardingStatus,
  PersonRef,
  RefusalRecord,
  StartProposal,
  TaskKind,
  TaskStatus,
  TaskView,
} from './messages';

/** Continue-as-new well before Temporal's limits; a whole engagement is a few hundred events. */
import type { IdentityState } from '../operator-identity';
export const HISTORY_EVENTS_BEFORE_CONTINUE_AS_NEW = 2_000;
/** Reminders and escalations go out at this local time of the freelancer's calendar. */
export const NOTICE_TIME = '09:00';
const DECISION_LIMIT = 50;
const REFUSAL_LIMIT = 50;

export interface TaskRecord {
  id: string;
  kind: TaskKind;
  owner: OnboardingOwner;
  tool?: string;
  status: TaskStatus;
  /** A due date fixed when the task was made (a tool removed mid-engagement); else from the plan. */
  fixedDue?: CalendarDate;
  issueKey: string | null;
  /** The due date Jira has. */
  appliedDue: CalendarDate | null;
  /** True once a retired task was moved to the cancelled status in Jira. */
  retiredInJira: boolean;
  createdOn: CalendarDate | null;
  doneOn: CalendarDate | null;
  doneBy: Actor | null;
  /** The due date a reminder / an overdue escalation was sent for. */
  remindedFor: CalendarDate | null;
  escalatedFor: CalendarDate | null;
}

export interface EventsApplied {
  welcome: CalendarDate | null;
  checkIn: CalendarDate | null;
  review: CalendarDate | null;
  /** What the booked events say (dates, attendees, texts), so they are patched only on change. */
  fingerprint: string | null;
}

export interface OnboardingState extends Journal, IdentityState {
  input: OnboardingInput;
  startDate: CalendarDate;
  endDate: CalendarDate;
  tools: string[];
  context: OnboardingContext | null;
  tasks: TaskRecord[];
  /** The buddy date came: the buddy is named and the day-one artifacts are made. */
  buddyNamed: boolean;
  buddy: PersonRef | null;
  declinedBuddies: string[];
  /** The start morning came: the engagement runs. */
  started: boolean;
  proposal: StartProposal | null;
  /** The end date the manager was asked about: offboarding runs while it is the current one. */
  extensionAskedFor: CalendarDate | null;
  /** The end is decided (let end, end date reached, ended early, cancelled): revocations are wanted. */
  endSettled: boolean;
  endDecision: 'let-end' | null;
  cancelled: {
    by: string;
    via: Actor['via'];
    operator?: string;
    reason: string | null;
    at: string;
    beforeStart: boolean;
  } | null;
  closed: boolean;
  reason: string | null;
  /** The welcome session date the freelancer declined, to tell the manager once. */
  freelancerDeclined: CalendarDate | null;
  decisions: DecisionRecord[];
  refusals: RefusalRecord[];
  flags: OnboardingFlags;
  applied: {
    tracker: { pageId: string | null; values: Record<string, string> | null };
    events: EventsApplied;
    firstWeekPage: { id: string; url: string; fingerprint: string } | null;
  };
  /** Newest `occurredAt` applied: intake edits, and invite answers per attendee. */
  lastEventAt: { intake: number; invites: Record<string, number> };
}

export function initialState(input: OnboardingInput): OnboardingState {
  return {
    input,
    startDate: input.startDate,
    endDate: input.endDate,
    tools: [...new Set(input.tools)],
    context: null,
    tasks: [],
    buddyNamed: false,
    buddy: null,
    declinedBuddies: [],
    started: false,
    proposal: null,
    extensionAskedFor: null,
    endSettled: false,
    endDecision: null,
    cancelled: null,
    closed: false,
    reason: null,
    freelancerDeclined: null,
    decisions: [],
    refusals: [],
    flags: { startAtRisk: false, revocationOverdue: false, integrationError: false },
    applied: {
      tracker: {
        pageId: input.notionPageId ?? null,
        // A page someone filled in already says what they typed.
        values: input.notionPageId
          ? { Status: 'Requested', 'Start date': input.startDate, 'Contract end': input.endDate }
          : null,
      },
      events: { welcome: null, checkIn: null, review: null, fingerprint: null },
      firstWeekPage: null,
    },
    lastEventAt: { intake: 0, invites: {} },
    log: [],
    sent: [],
    deliveries: [],
  };
}

/** Keys of everything the engagement makes: one engagement of a freelancer never meets another's. */
export const engagementKey = (state: OnboardingState, suffix: string): string =>
  `onboarding:${state.input.freelancerId}:${state.input.startDate}:${suffix}`;

export function ctx(state: OnboardingState): OnboardingContext {
  if (!state.context) throw new Error('onboarding context is not loaded');
  return state.context;
}

export function planOf(state: OnboardingState, today: CalendarDate): OnboardingPlan {
  const c = ctx(state);
  return planOnboarding({ startDate: state.startDate, endDate: state.endDate, today }, c.calendar, c.rules);
}

export function describe(state: OnboardingState): EngagementDescription {
  const c = ctx(state);
  return {
    freelancerId: state.input.freelancerId,
    name: state.input.name,
    email: state.input.email,
    role: state.input.role,
    teamName: c.team.name,
    managerName: c.manager.name,
    country: state.input.country,
    startDate: state.startDate,
    endDate: state.endDate,
  };
}

export function append<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

export const recordDecision = (state: OnboardingState, decision: DecisionRecord) =>
  append(state.decisions, decision, DECISION_LIMIT);
export const recordRefusal = (state: OnboardingState, refusal: RefusalRecord) =>
  append(state.refusals, refusal, REFUSAL_LIMIT);

// ---- Gates and tasks --------------------------------------------------------------------------

const GATE_KINDS: Record<OnboardingGate, TaskKind[]> = {
  contract: ['contract', 'compliance', 'vendor'],
  security: ['access-approval'],
  access: ['provision'],
};

export const task = (state: OnboardingState, id: string): TaskRecord | undefined =>
  state.tasks.find((t) => t.id === id);

const live = (state: OnboardingState, kinds: TaskKind[]) =>
  state.tasks.filter((t) => kinds.includes(t.kind) && t.status !== 'retired');

/** A gate is met when every task it needs exists and is done. */
export function gateMet(state: OnboardingState, gate: OnboardingGate): boolean {
  if (gate === 'contract') return GATE_KINDS.contract.every((kind) => task(state, kind)?.status === 'done');
  if (state.tools.length === 0) return gateMet(state, 'contract');
  if (gate === 'security')
    return gateMet(state, 'contract') && task(state, 'access-approval')?.status === 'done';
  return (
    gateMet(state, 'security') &&
    state.tools.every((tool) => task(state, `provision:${tool}`)?.status === 'done')
  );
}

/** The first gate before the start that is not met, or null when access is complete. */
export function openGate(state: OnboardingState): OnboardingGate | null {
  for (const gate of ['contract', 'security', 'access'] as const) if (!gateMet(state, gate)) return gate;
  return null;
}

export const tasksOfGate = (state: OnboardingState, gate: OnboardingGate): TaskRecord[] =>
  live(state, GATE_KINDS[gate]).filter((t) => t.kind !== 'provision' || state.tools.includes(t.tool!));

export interface WantedTask {
  id: string;
  kind: TaskKind;
  owner: OnboardingOwner;
  tool?: string;
}

const OWNER: Record<TaskKind, OnboardingOwner> = {
  contract: 'legal',
  compliance: 'legal',
  vendor: 'finance',
  'access-approval': 'security',
  provision: 'it',
  revoke: 'it',
  'final-invoice': 'finance',
};

const wanted = (kind: TaskKind, tool?: string): WantedTask => ({
  id: tool ? `${kind}:${tool}` : kind,
  kind,
  owner: OWNER[kind],
  ...(tool ? { tool } : {}),
});

/** The tasks the engagement needs as things stand; every other open task is retired. */
export function wantedTasks(state: OnboardingState): WantedTask[] {
  const out: WantedTask[] = [];
  const beforeStartCancel = state.cancelled?.beforeStart === true;
  if (!beforeStartCancel) {
    out.push(wanted('contract'), wanted('compliance'), wanted('vendor'));
    if (gateMet(state, 'contract') && state.tools.length > 0) out.push(wanted('access-approval'));
    if (gateMet(state, 'security') && !state.endSettled)
      for (const tool of state.tools) out.push(wanted('provision', tool));
  }
  // A tool that was provisioned is revoked when the engagement ends, or as soon as it is dropped.
  for (const t of state.tasks) {
    if (t.kind !== 'provision' || t.status !== 'done') continue;
    if (state.endSettled || !state.tools.includes(t.tool!)) out.push(wanted('revoke', t.tool));
  }
  if (state.endSettled && state.started) out.push(wanted('final-invoice'));
  // Work already done stays on the record, whatever changed since.
  for (const t of state.tasks)
    if (t.status === 'done' && !out.some((w) => w.id === t.id)) out.push(wanted(t.kind, t.tool));
  return out;
}

/** The due date a task has under the current plan. */
export function dueOf(state: OnboardingState, t: Pick<TaskRecord, 'kind' | 'fixedDue'>): CalendarDate {
  if (t.fixedDue) return t.fixedDue;
  const c = ctx(state);
  const cal = c.calendar;
  switch (t.kind) {
    case 'contract':
    case 'compliance':
    case 'vendor':
      return gateDue('contract', state.startDate, cal, c.rules);
    case 'access-approval':
      return gateDue('security', state.startDate, cal, c.rules);
    case 'provision':
      return gateDue('access', state.startDate, cal, c.rules);
    case 'revoke':
      return endDates(cal, state.endDate, c.rules).accessRevokedBy;
    case 'final-invoice':
      return endDates(cal, state.endDate, c.rules).finalInvoiceDue;
  }
}

/** Open tasks that hold the engagement up, soonest due first, with how late each is. */
export function blockers(state: OnboardingState, today: CalendarDate): Blocker[] {
  if (!state.context) return [];
  const cal = state.context.calendar;
  return state.tasks
    .filter((t) => t.status === 'open' && t.issueKey !== null)
    .map((t) => {
      const due = dueOf(state, t);
      return {
        taskId: t.id,
        title: titleOf(state, t),
        owner: t.owner,
        teamId: state.context!.owners[t.owner].teamId,
        issueKey: t.issueKey,
        due,
        workingDaysLate: compareDates(today, due) > 0 ? workingDaysBetween(cal, due, today) : 0,
      };
    })
    .sort((a, b) => compareDates(a.due, b.due) || a.taskId.localeCompare(b.taskId));
}

export function titleOf(state: OnboardingState, t: Pick<TaskRecord, 'kind' | 'tool'>): string {
  return taskSummary(t.kind, state.input.name, {
    ...(t.tool ? { tool: state.context?.tools[t.tool] ?? t.tool } : {}),
    ...(state.context ? { complianceCheck: state.context.complianceCheck } : {}),
    country: state.input.country,
  });
}

// ---- Phase and status -------------------------------------------------------------------------

/** Offboarding runs once the manager was asked about the current end date, or the end is settled. */
export const inOffboarding = (state: OnboardingState): boolean =>
  state.endSettled || state.extensionAskedFor === state.endDate;

export function phaseOf(state: OnboardingState): OnboardingPhase {
  if (state.cancelled?.beforeStart) return 'cancelled';
  if (state.closed) return 'closed';
  if (inOffboarding(state) && state.started) return 'offboarding';
  const gate = state.context ? openGate(state) : 'contract';
  if (gate === 'contract') return 'contract';
  if (gate !== null) return 'access';
  return state.started ? 'ramp-up' : 'day-one';
}

export const finished = (state: OnboardingState): boolean => state.closed;

export function taskView(state: OnboardingState, t: TaskRecord): TaskView {
  const cal = state.context?.calendar;
  return {
    id: t.id,
    kind: t.kind,
    owner: t.owner,
    teamId: state.context?.owners[t.owner].teamId ?? t.owner,
    title: titleOf(state, t),
    due: state.context ? dueOf(state, t) : (t.appliedDue ?? state.startDate),
    status: t.status,
    issueKey: t.issueKey,
    createdOn: t.createdOn,
    doneOn: t.doneOn,
    doneBy: t.doneBy,
    workingDaysToDone:
      cal && t.createdOn && t.doneOn ? Math.max(0, workingDaysBetween(cal, t.createdOn, t.doneOn)) : null,
  };
}

export interface Deadlineish {
  what: string;
  date: CalendarDate;
}

export function status(
  state: OnboardingState,
  workflowId: string,
  today: CalendarDate | null,
  next: Deadlineish | null,
): OnboardingStatus {
  let plan: OnboardingPlan | null = null;
  if (state.context && today) {
    try {
      plan = planOf(state, today);
    } catch {
      plan = null;
    }
  }
  return {
    workflowId,
    freelancerId: state.input.freelancerId,
    name: state.input.name,
    email: state.input.email,
    role: state.input.role,
    team: state.input.team,
    managerId: state.context?.manager.id ?? null,
    country: state.input.country,
    phase: phaseOf(state),
    startDate: state.startDate,
    endDate: state.endDate,
    tools: [...state.tools],
    plan,
    tasks: state.tasks.map((t) => taskView(state, t)),
    blockers: today ? blockers(state, today) : [],
    buddy: state.buddy ? { id: state.buddy.id, name: state.buddy.name } : null,
    declinedBuddies: [...state.declinedBuddies],
    events: {
      welcome: state.applied.events.welcome,
      checkIn: state.applied.events.checkIn,
      review: state.applied.events.review,
    },
    proposal: state.proposal ? { ...state.proposal } : null,
    decisions: state.decisions.map((d) => ({ ...d })),
    refusals: state.refusals.map((r) => ({ ...r })),
    flags: { ...state.flags },
    endDecision: state.endDecision,
    trackerPageId: state.applied.tracker.pageId,
    firstWeekPageUrl: state.applied.firstWeekPage?.url ?? null,
    nextDeadline: next,
    reason: state.reason,
    log: state.log.map((l) => ({ ...l })),
  };
}

/** The next working day after `today`: a task made late gets one working day. */
export const nextWorkingDay = (state: OnboardingState, today: CalendarDate): CalendarDate =>
  addWorkingDays(ctx(state).calendar, today, 1);
