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
import type { OperatorAuth } from '../../domain/operators';

export { releaseTombstoneId, releaseWorkflowId } from '../../contracts/ids';

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
  /** `checkIns` is absent in contexts loaded before the Day-3 check-in had a page. */
  notion: {
    releaseLog: string | null;
    enablementBundles: string | null;
    retros: string | null;
    checkIns?: string | null;
  };
  jira: { projectKey: string; subtaskIssueType: string; cancelledStatus: string; doneStatus: string };
  /** The mailbox notices are sent from. */
  sender: string;
  /**
   * Who a vendor account is, by person id: the Jira account that moved a readiness sub-task,
   * the Notion user who published the bundle. Absent in contexts loaded before it existed.
   */
  accounts?: { jira: Record<string, string>; notion: Record<string, string> };
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
  /** The operator whose signed command recorded it, when someone other than `by`. */
  operator?: string;
}

/**
 * A Support or Sales lead's answer to the Day-3 check-in's question, "Were you aware of this
 * release before it shipped?": the stakeholder surprise score counts the releases with a "no".
 */
export interface AwarenessAnswer {
  by: string;
  team: 'support' | 'sales';
  aware: boolean;
  at: string;
  source: 'cli' | 'notion';
}

export interface GoNoGoDecision {
  decision: 'go' | 'no-go';
  by: string;
  at: string;
  note?: string;
  /** The operator whose signed command recorded it, when someone other than `by`. */
  operator?: string;
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
  /**
   * When the enablement bundle was published (ISO 8601), as the workflow learnt it; null when it
   * is not, or was published in a run that did not record the instant.
   */
  bundlePublishedAt: string | null;
  /** The date of `bundlePublishedAt` in the PM's time zone (read from the bundle step for older runs). */
  bundlePublishedOn: CalendarDate | null;
  /**
   * When the release went out (ISO 8601): the instant it was marked released, or the start of
   * the day it names when marked released after that day. Null before, and for runs from before
   * it was recorded.
   */
  releasedAt: string | null;
  /** The weekly product update that listed the launch (Tier 1's own step), once one has. */
  weeklyUpdate: WeeklyUpdateInclusion | null;
  steps: StepState[];
  confirmations: { support: Confirmation | null; sales: Confirmation | null };
  /** The Day-3 awareness answers, one per lead (the latest answer of each). */
  awareness: AwarenessAnswer[];
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
 * `deliveryId` (the vendor's delivery identifier) makes a repeated delivery a no-op. The same
 * shapes are the updates' commands, which carry the signature of the operator who sent them
 * (`auth`, domain/operators.ts) instead of a delivery id.
 */
export interface LaunchMovedEvent {
  launchDate: CalendarDate;
  occurredAt?: number;
  deliveryId?: string;
  auth?: OperatorAuth;
}
export interface TierChangedEvent {
  tier: Tier;
  occurredAt?: number;
  deliveryId?: string;
  auth?: OperatorAuth;
}
export interface CancelledEvent {
  reason?: string;
  occurredAt?: number;
  deliveryId?: string;
  auth?: OperatorAuth;
}
export interface ReleasedEvent {
  /** The actual launch date; the workflow's current date when absent. */
  releasedOn?: CalendarDate;
  occurredAt?: number;
  deliveryId?: string;
  auth?: OperatorAuth;
}
export interface BundlePublishedEvent {
  occurredAt?: number;
  deliveryId?: string;
  /**
   * The Notion page that was published (from a Notion event): it counts only if it is the bundle
   * page this release made, and only as Notion shows it.
   */
  pageId?: string;
  auth?: OperatorAuth;
}
export interface ReadinessConfirmedEvent {
  team: 'support' | 'sales';
  /**
   * A person id: who confirms (the operator when a command leaves it out). From Jira, who the
   * webhook says moved the sub-task; what counts is who the sub-task's changelog says did.
   */
  by: string;
  occurredAt?: number;
  deliveryId?: string;
  auth?: OperatorAuth;
}

/**
 * A weekly product update listed this release's launch: the PM's contribution page was
 * pre-filled with it when collection opened (`contribution-page`), or, when the PM had no page
 * that week, the published update did (`published`). Sent by the weekly update workflow; the
 * first one closes Tier 1's "PM updates weekly product update" step, any later one changes nothing.
 */
export interface IncludedInWeeklyUpdateEvent {
  /** The ISO week of the update, for example 2026-W23. */
  week: string;
  /** The Notion page the launch went into; null when the update went out by mail alone. */
  pageId?: string | null;
  url?: string | null;
  via?: 'contribution-page' | 'published';
  occurredAt?: number;
  deliveryId?: string;
}

/** Where Tier 1's weekly update step was closed. */
export interface WeeklyUpdateInclusion {
  week: string;
  pageId: string | null;
  url: string | null;
  via: 'contribution-page' | 'published';
  /** When the release learnt it, ISO 8601. */
  at: string;
}

export const launchMoved = defineSignal<[LaunchMovedEvent]>('launchMoved');
export const tierChanged = defineSignal<[TierChangedEvent]>('tierChanged');
export const releaseCancelled = defineSignal<[CancelledEvent]>('releaseCancelled');
export const released = defineSignal<[ReleasedEvent]>('released');
export const bundlePublished = defineSignal<[BundlePublishedEvent]>('bundlePublished');
export const readinessConfirmed = defineSignal<[ReadinessConfirmedEvent]>('readinessConfirmed');
export const includedInWeeklyUpdate = defineSignal<[IncludedInWeeklyUpdateEvent]>('includedInWeeklyUpdate');

/** "Were you aware of this release before it shipped?", answered by a Support or Sales lead. */
export interface AwarenessAnsweredEvent {
  /** A person id. */
  by: string;
  aware: boolean;
  occurredAt?: number;
  /** The operator's signature, when the command line sent it (see domain/operators.ts). */
  auth?: OperatorAuth;
}

/**
 * The Day-3 check-in page changed in Notion: whoever changed it may have answered "Were you
 * aware…?". The event only says where to look; the answer counts as the page shows it, for the
 * one Notion user who made the change, if that user is the Support or the Sales lead.
 */
export interface CheckInEditedEvent {
  pageId: string;
  /** The Notion user ids of the people the signed event names as its authors. */
  authors: string[];
  occurredAt?: number;
  deliveryId?: string;
}
export const checkInEdited = defineSignal<[CheckInEditedEvent]>('checkInEdited');

/** Commands from people: validated, refused with a reason, answered with the new status. */
export interface GoNoGoCommand {
  /** The PM owner, or whom the operator acts for; the operator when absent. */
  by: string;
  decision: 'go' | 'no-go';
  note?: string;
  auth?: OperatorAuth;
}
export const moveLaunch = defineUpdate<ReleaseStatus, [LaunchMovedEvent]>('moveLaunch');
export const changeTier = defineUpdate<ReleaseStatus, [TierChangedEvent]>('changeTier');
export const cancelRelease = defineUpdate<ReleaseStatus, [CancelledEvent]>('cancelRelease');
export const markReleased = defineUpdate<ReleaseStatus, [ReleasedEvent]>('markReleased');
export const publishBundle = defineUpdate<ReleaseStatus, [BundlePublishedEvent]>('publishBundle');
export const confirmReadiness = defineUpdate<ReleaseStatus, [ReadinessConfirmedEvent]>('confirmReadiness');
export const decideGoNoGo = defineUpdate<ReleaseStatus, [GoNoGoCommand]>('decideGoNoGo');
export const answerAwareness = defineUpdate<ReleaseStatus, [AwarenessAnsweredEvent]>('answerAwareness');

export const releaseStatus = defineQuery<ReleaseStatus>('releaseStatus');

/** Error types an update is refused with. */
export const ReleaseRefusals = {
  notPmOwner: 'NotPmOwner',
  notAllowed: 'NotAllowed',
  finished: 'ReleaseFinished',
  invalid: 'InvalidReleaseCommand',
  /** The command is not signed by a configured operator, or the signature does not hold. */
  unauthenticated: 'ReleaseCommandNotAuthenticated',
} as const;

/** The update names commands are signed for. */
export const RELEASE_UPDATES = {
  move: 'moveLaunch',
  tier: 'changeTier',
  cancel: 'cancelRelease',
  released: 'markReleased',
  publish: 'publishBundle',
  confirm: 'confirmReadiness',
  goNoGo: 'decideGoNoGo',
  awareness: 'answerAwareness',
} as const;

// ---- Tombstones ---------------------------------------------------------------------------

export { RELEASE_TOMBSTONE_TYPE } from '../../contracts/ids';

/** What a finished release leaves behind (see `releaseTombstoneId`). */
export interface ReleaseTombstone {
  issueKey: string;
  phase: 'cancelled' | 'done';
  /** When it ended, ISO 8601. */
  closedAt: string;
}

export const releaseTombstone = defineQuery<ReleaseTombstone>('releaseTombstone');
