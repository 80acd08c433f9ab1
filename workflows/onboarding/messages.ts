/**
 * The onboarding workflow's messages, defined once and imported by the workflow, the Notion and
 * Jira routes, the CLI and the tests. One workflow per engagement: `onboarding:<freelancerId>`.
 *
 * Signals are events that happened in a tool (a Jira task moved to Done, the intake page edited
 * in Notion, an invite answered in Google Calendar): fire-and-forget, possibly late or repeated,
 * each carrying when it happened (`occurredAt`) and the vendor's delivery id (`deliveryId`).
 * Updates are people's commands: validated first, refused with a reason naming the field,
 * answered with the new status. Every decision carries who took it and through which channel.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BusinessCalendar, CalendarDate } from '../../domain/business-calendar';
import type { OnboardingOwner } from '../../domain/config';
import type { OnboardingPlan, OnboardingRules } from '../../domain/onboarding-plan';
import type { InviteAnswered } from '../leave/messages';

export const ONBOARDING_WORKFLOW_TYPE = 'onboardingWorkflow';

import type { OperatorAuth } from '../../domain/operators';
export { onboardingWorkflowId } from '../../contracts/ids';

/**
 * The channel a decision came through. Commands (updates) come only from the command line, signed
 * by a configured operator; Jira, Calendar and Notion reach the workflow as signals from their own
 * routes, each carrying the identity that channel vouches for.
 */
export type Via = 'cli' | 'jira' | 'calendar' | 'notion';

/** Who took a decision and how we know: a person id, or the vendor account when it is nobody configured. */
export interface Actor {
  by: string;
  via: Via;
  /** The operator whose signed command it was, when someone other than `by`. */
  operator?: string;
}

/** Who gives a command: the person it is for, the command line, the operator's signature. */
export interface CommandActor {
  /** A person id: the operator, or whom their grant lets them act for (`operators[].actsFor`). */
  by: string;
  via: 'cli';
  /** The operator's signature of the command (domain/operators.ts). */
  auth?: OperatorAuth;
}

export interface OnboardingInput {
  freelancerId: string;
  name: string;
  email: string;
  /** The freelancer's role, for example product_designer: a buddy shares it. */
  role: string;
  /** A team id of the configuration. */
  team: string;
  /** The hiring manager: a person id of the configuration, or their email. */
  manager: string;
  /** ISO 3166-1 alpha-2: which compliance check Legal runs. */
  country: string;
  startDate: CalendarDate;
  endDate: CalendarDate;
  /** Tool ids of `onboarding.tools`. */
  tools: string[];
  /** A calendar of the configuration; the hiring manager's when absent. */
  calendar?: string;
  dayRate?: { amount: number; currency: string };
  /** Where the request came from. */
  source: 'cli' | 'notion' | 'test';
  /** The intake page in the `freelancers` data source, when the request came from Notion. */
  notionPageId?: string;
  requestedBy?: Actor;
}

export type OnboardingPhase =
  'contract' | 'access' | 'day-one' | 'ramp-up' | 'offboarding' | 'closed' | 'cancelled';

export const ONBOARDING_PHASES: readonly OnboardingPhase[] = [
  'contract',
  'access',
  'day-one',
  'ramp-up',
  'offboarding',
  'closed',
  'cancelled',
];

export interface PersonRef {
  id: string;
  name: string;
  email: string;
  jiraAccountId?: string;
}

export interface OwnerTeam {
  owner: OnboardingOwner;
  teamId: string;
  teamName: string;
  projectKey: string;
  lead: PersonRef;
}

/** What the workflow needs from the configuration, read once by an activity and carried along. */
export interface OnboardingContext {
  manager: PersonRef;
  managersManager: PersonRef | null;
  coordinator: PersonRef | null;
  team: { id: string; name: string };
  calendar: BusinessCalendar;
  /** The years whose holidays `calendar` holds; dates moved outside them reload it. */
  calendarYears: { from: number; to: number };
  owners: Record<OnboardingOwner, OwnerTeam>;
  /** Who may be the buddy, in order: the team's configured buddy, then the same team and role. */
  buddyCandidates: PersonRef[];
  /** Every tool of the configuration, by id. */
  tools: Record<string, string>;
  complianceCheck: string;
  rules: OnboardingRules;
  meetings: {
    welcome: { time: string; durationMinutes: number };
    checkIn: { time: string; durationMinutes: number };
    review: { time: string; durationMinutes: number };
  };
  links: { title: string; url: string }[];
  notion: { freelancers: string | null; firstWeekPages: string | null };
  jira: { doneStatus: string; cancelledStatus: string };
  /** The mailbox notices are sent from and invites organised by. */
  sender: string;
}

export type TaskKind =
  'contract' | 'compliance' | 'vendor' | 'access-approval' | 'provision' | 'revoke' | 'final-invoice';

export type TaskStatus = 'open' | 'done' | 'retired';

export interface TaskView {
  /** `contract`, `provision:jira`, `revoke:notion`, … */
  id: string;
  kind: TaskKind;
  owner: OnboardingOwner;
  teamId: string;
  title: string;
  due: CalendarDate;
  status: TaskStatus;
  issueKey: string | null;
  createdOn: CalendarDate | null;
  doneOn: CalendarDate | null;
  doneBy: Actor | null;
  /** Working days from created to done, on the freelancer's calendar. */
  workingDaysToDone: number | null;
  detail?: string;
}

/** An open task that holds the engagement up: its team, and by how many working days it is late. */
export interface Blocker {
  taskId: string;
  title: string;
  owner: OnboardingOwner;
  teamId: string;
  issueKey: string | null;
  due: CalendarDate;
  /** Working days past the due date; 0 when not yet late. */
  workingDaysLate: number;
}

export interface DecisionRecord extends Actor {
  what:
    | 'accept-start'
    | 'shift-start'
    | 'change-end'
    | 'let-end'
    | 'cancel'
    | 'end-early'
    | 'tools'
    | 'buddy-declined';
  at: string;
  detail: string;
}

/** A command or event that was not applied, kept as the record of who tried. */
export interface RefusalRecord {
  by: string;
  via: Via;
  /** The operator who signed the refused command, when someone other than `by`. */
  operator?: string;
  at: string;
  reason: string;
}

export interface StartProposal {
  start: CalendarDate;
  /** The start it would replace. */
  instead: CalendarDate;
  /** Which gate cannot be met, in words. */
  reason: string;
  at: string;
}

export interface OnboardingFlags {
  /** A gate before the start missed its due date. */
  startAtRisk: boolean;
  /** A tool was not revoked by the first working day after the end. */
  revocationOverdue: boolean;
  /** An integration step failed for good; see the log. */
  integrationError: boolean;
}

export interface OnboardingStatus {
  workflowId: string;
  freelancerId: string;
  name: string;
  email: string;
  role: string;
  team: string;
  managerId: string | null;
  country: string;
  phase: OnboardingPhase;
  startDate: CalendarDate;
  endDate: CalendarDate;
  tools: string[];
  plan: OnboardingPlan | null;
  tasks: TaskView[];
  blockers: Blocker[];
  buddy: { id: string; name: string } | null;
  declinedBuddies: string[];
  events: { welcome: CalendarDate | null; checkIn: CalendarDate | null; review: CalendarDate | null };
  proposal: StartProposal | null;
  decisions: DecisionRecord[];
  refusals: RefusalRecord[];
  flags: OnboardingFlags;
  /** How the engagement ends, once decided: extended to a new date, or let end. */
  endDecision: 'let-end' | null;
  trackerPageId: string | null;
  firstWeekPageUrl: string | null;
  nextDeadline: { what: string; date: CalendarDate } | null;
  reason: string | null;
  log: { at: string; message: string }[];
}

// ---- Signals: events from tools ---------------------------------------------------------------

interface Delivered {
  /** When it happened in the tool, ms since the epoch: an older event never overrides a newer one. */
  occurredAt?: number;
  /** The vendor's delivery id: a repeated delivery is a no-op. */
  deliveryId?: string;
}

/** A task moved to Done in Jira, by the Jira account the signed webhook names. */
export interface TaskDoneEvent extends Delivered {
  issueKey: string;
  /** The configured person with that Jira account, if any. */
  personId?: string;
  jiraAccountId?: string;
}

/** The intake page was edited in Notion: its fields as they now are. */
export interface IntakeEditedEvent extends Delivered {
  startDate?: CalendarDate;
  endDate?: CalendarDate;
  tools?: string[];
  status?: string;
  /** The person the signed event names as its author (a person id, or `notion:<user id>`). */
  by: string;
}

export const taskDone = defineSignal<[TaskDoneEvent]>('taskDone');
export const intakeEdited = defineSignal<[IntakeEditedEvent]>('intakeEdited');
/** The calendar-sync dispatcher's signal for answers to prodops' invites (same name as leave's). */
export const inviteAnswered = defineSignal<[InviteAnswered]>('inviteAnswered');
export type { InviteAnswered };

// ---- Updates: commands from people --------------------------------------------------------------

export interface ShiftStartCommand extends CommandActor {
  startDate: CalendarDate;
}
export type AcceptStartCommand = CommandActor;
export interface ChangeEndCommand extends CommandActor {
  endDate: CalendarDate;
}
export type LetEndCommand = CommandActor;
export interface CancelOnboardingCommand extends CommandActor {
  reason?: string;
}
export interface ChangeToolsCommand extends CommandActor {
  tools: string[];
}
export type BuddyDeclineCommand = CommandActor;

export const shiftStart = defineUpdate<OnboardingStatus, [ShiftStartCommand]>('shiftStart');
export const acceptProposedStart = defineUpdate<OnboardingStatus, [AcceptStartCommand]>(
  'acceptProposedStart',
);
export const changeEnd = defineUpdate<OnboardingStatus, [ChangeEndCommand]>('changeEnd');
export const letEnd = defineUpdate<OnboardingStatus, [LetEndCommand]>('letEnd');
export const cancelOnboarding = defineUpdate<OnboardingStatus, [CancelOnboardingCommand]>('cancelOnboarding');
export const changeTools = defineUpdate<OnboardingStatus, [ChangeToolsCommand]>('changeTools');
export const declineBuddy = defineUpdate<OnboardingStatus, [BuddyDeclineCommand]>('declineBuddy');

export const onboardingStatus = defineQuery<OnboardingStatus>('onboardingStatus');

/** Error types a command is refused with. */
export const OnboardingRefusals = {
  notAllowed: 'OnboardingNotAllowed',
  invalid: 'InvalidOnboardingCommand',
  finished: 'OnboardingFinished',
} as const;
