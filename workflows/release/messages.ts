/**
 * The release workflow's messages, defined once and imported by the workflow, the CLI, the
 * triggers and the tests.
 *
 * Signals are events that happened in a tool (a Jira field changed, a Notion page was
 * published): fire-and-forget, possibly late or repeated, each carrying when it happened so
 * that an older event never overrides a newer one. Updates are commands from a person (the
 * CLI): validated first, refused with a clear error, answered with the new status.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BusinessCalendar, CalendarDate } from '../../domain/business-calendar';
import type { ReleasePlan, ReleaseRules, ReleaseStepId, Tier } from '../../domain/release-plan';

export { releaseWorkflowId } from '../../contracts/ids';

export interface ReleaseInput {
  /** The Jira issue that represents the release, for example REL-123. */
  issueKey: string;
  tier: Tier;
  launchDate: CalendarDate;
  /** The PM owner (a person id); the only one who may take the go/no-go. */
  pmId: string;
  productArea?: string;
  /** A human name for the release; the issue key when absent. */
  title?: string;
}

export interface PersonRef {
  id: string;
  name: string;
  email: string;
  jiraAccountId?: string;
}

/** What the workflow needs from the configuration, read once by an activity and carried along. */
export interface ReleaseContext {
  pm: PersonRef;
  engLead: PersonRef | null;
  supportLead: PersonRef | null;
  salesLead: PersonRef | null;
  /** People allowed to confirm each readiness, besides the named leads. */
  confirmers: { support: string[]; sales: string[] };
  escalation: PersonRef[];
  calendar: BusinessCalendar;
  /** The years whose holidays `calendar` holds; a launch moved outside them reloads it. */
  calendarYears: { from: number; to: number };
  rules: ReleaseRules;
  readinessCheck: { durationMinutes: number; time: string };
  retro: { durationMinutes: number; time: string };
  notion: { releaseLog: string | null; enablementBundles: string | null; retros: string | null };
  jira: { projectKey: string; subtaskIssueType: string; cancelledStatus: string; doneStatus: string };
  /** The mailbox notices are sent from. */
  sender: string;
}

export type StepId = ReleaseStepId;

export type StepStatus = 'pending' | 'done' | 'missed' | 'retired' | 'failed' | 'skipped';

export interface StepState {
  id: StepId;
  title: string;
  due: CalendarDate | null;
  status: StepStatus;
  /** What was created for it: a Notion page id, a Jira issue key, a Calendar event id. */
  ref?: string;
  url?: string;
  detail?: string;
}

export type ReleasePhase = 'planning' | 'launched' | 'done' | 'cancelled';

export type EnablementStatus =
  'not_required' | 'pending' | 'published' | 'late' | 'at_risk' | 'released' | 'cancelled';

export interface Confirmation {
  by: string;
  at: string;
  source: 'cli' | 'jira' | 'workflow-check';
}

export interface GoNoGoDecision {
  decision: 'go' | 'no-go';
  by: string;
  at: string;
  note?: string;
}

export interface ReleaseFlags {
  /** Arrived with less lead time than the tier needs. */
  late: boolean;
  /** The bundle missed its due date. */
  atRisk: boolean;
  /** The PM's last decision was no-go. */
  onHold: boolean;
  /** The launch date passed without the release being marked released. */
  launchOverdue: boolean;
  /** An integration step failed for good; see the step's detail. */
  integrationError: boolean;
}

export interface ReleaseStatus {
  issueKey: string;
  title: string;
  tier: Tier;
  pmId: string;
  productArea: string | null;
  phase: ReleasePhase;
  enablement: EnablementStatus;
  plan: ReleasePlan;
  /** The actual launch date, once released. */
  launchedOn: CalendarDate | null;
  steps: StepState[];
  confirmations: { support: Confirmation | null; sales: Confirmation | null };
  goNoGo: GoNoGoDecision[];
  flags: ReleaseFlags;
  /** The next deadline still ahead, if any. */
  nextDeadline: { step: StepId; date: CalendarDate } | null;
  /** A bounded log of what happened, newest last. */
  log: { at: string; message: string }[];
  /** How many times this release was re-planned (launch moved, tier changed). */
  replans: number;
}

/**
 * Events from tools. `occurredAt` (ms since epoch) orders late and repeated deliveries;
 * `deliveryId` (the vendor's delivery identifier) makes a repeated delivery a no-op.
 */
export interface LaunchMovedEvent {
  launchDate: CalendarDate;
  occurredAt?: number;
  deliveryId?: string;
}
export interface TierChangedEvent {
  tier: Tier;
  occurredAt?: number;
  deliveryId?: string;
}
export interface CancelledEvent {
  reason?: string;
  occurredAt?: number;
  deliveryId?: string;
}
export interface ReleasedEvent {
  /** The actual launch date; the workflow's current date when absent. */
  releasedOn?: CalendarDate;
  occurredAt?: number;
  deliveryId?: string;
}
export interface BundlePublishedEvent {
  occurredAt?: number;
  deliveryId?: string;
}
export interface ReadinessConfirmedEvent {
  team: 'support' | 'sales';
  /** A person id. */
  by: string;
  occurredAt?: number;
  deliveryId?: string;
}

export const launchMoved = defineSignal<[LaunchMovedEvent]>('launchMoved');
export const tierChanged = defineSignal<[TierChangedEvent]>('tierChanged');
export const releaseCancelled = defineSignal<[CancelledEvent]>('releaseCancelled');
export const released = defineSignal<[ReleasedEvent]>('released');
export const bundlePublished = defineSignal<[BundlePublishedEvent]>('bundlePublished');
export const readinessConfirmed = defineSignal<[ReadinessConfirmedEvent]>('readinessConfirmed');

/** Commands from people: validated, refused with a reason, answered with the new status. */
export interface GoNoGoCommand {
  by: string;
  decision: 'go' | 'no-go';
  note?: string;
}
export const moveLaunch = defineUpdate<ReleaseStatus, [LaunchMovedEvent]>('moveLaunch');
export const changeTier = defineUpdate<ReleaseStatus, [TierChangedEvent]>('changeTier');
export const cancelRelease = defineUpdate<ReleaseStatus, [CancelledEvent]>('cancelRelease');
export const markReleased = defineUpdate<ReleaseStatus, [ReleasedEvent]>('markReleased');
export const publishBundle = defineUpdate<ReleaseStatus, [BundlePublishedEvent]>('publishBundle');
export const confirmReadiness = defineUpdate<ReleaseStatus, [ReadinessConfirmedEvent]>('confirmReadiness');
export const decideGoNoGo = defineUpdate<ReleaseStatus, [GoNoGoCommand]>('decideGoNoGo');

export const releaseStatus = defineQuery<ReleaseStatus>('releaseStatus');

/** Error types an update is refused with. */
export const ReleaseRefusals = {
  notPmOwner: 'NotPmOwner',
  notAllowed: 'NotAllowed',
  finished: 'ReleaseFinished',
  invalid: 'InvalidReleaseCommand',
} as const;
