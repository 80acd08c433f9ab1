/**
 * The Weekly Product Update's messages, defined once and imported by the workflow, the launcher,
 * the Notion route, the activities that hand late contributions between weeks, the commands
 * and the tests. One workflow per week: `weekly-update:<ISO week>`, started by the launcher that
 * the `prodops-weekly-update` schedule runs on working days.
 *
 * Safe inside the workflow sandbox: Temporal's message definitions and types only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PageDocument } from '../domain/document';
import type { IsoWeek, WeeklyUpdateDates } from '../domain/rituals';
import type { ContributorRef, ProductAreaRef } from '../domain/weekly-update-content';
import type { OperatorAuth } from '../domain/operators';

export { weeklyUpdateWorkflowId } from './ids';

export const WEEKLY_UPDATE_WORKFLOW_TYPE = 'weeklyUpdateWorkflow';
export const WEEKLY_UPDATE_LAUNCHER_TYPE = 'weeklyUpdateLauncherWorkflow';
/** The schedule that runs the launcher at opening time on every working day of the rituals' calendar. */
export const WEEKLY_UPDATE_SCHEDULE_ID = 'prodops-weekly-update';

export interface WeeklyUpdateInput {
  week: IsoWeek;
  startedBy: 'schedule' | 'command' | 'test';
}

export interface Contributor extends ContributorRef {
  email: string;
}

export interface Recipient {
  id: string;
  name: string;
  email: string;
}

/** What the workflow needs from the configuration, read once by an activity when collection opens. */
export interface WeeklyUpdateContext {
  dates: WeeklyUpdateDates;
  /** The day of the previous update: launches after it count as "this week". */
  since: string;
  /** The previous week that had an update (a shutdown week has none): its late contributions roll in. */
  previousWeek: IsoWeek | null;
  /** When next week's collection opens: this week hands its late contributions over then. */
  nextOpensAt: string;
  /** Contributors with areas by their first area, then the others by name. */
  contributors: Contributor[];
  /**
   * The product areas in the configured order: one published section each. Absent from
   * contexts loaded before areas were carried; the contributors' areas stand in for them.
   */
  areas?: ProductAreaRef[];
  stakeholders: Recipient[];
  /** Who may publish early. */
  owners: string[];
  sender: string;
  notion: { weeklyUpdates: string | null; productUpdates: string | null };
}

/**
 * - `awaiting`: page made, not ready yet; `ready`: ready by the deadline; `late`: ready after the
 *   deadline, before publication; `missing`: not ready at publication (until then, after the
 *   deadline, "missing so far"); `on-leave`: away all day, not asked; `after-publication`: ready
 *   once the update was out, so it rolls into next week's.
 */
export type ContributionStatus = 'awaiting' | 'ready' | 'late' | 'missing' | 'on-leave' | 'after-publication';

export interface ContributionState {
  personId: string;
  name: string;
  status: ContributionStatus;
  pageId: string | null;
  url: string | null;
  readyAt: string | null;
  reminded: boolean;
}

/** A contribution that was ready only after its week's update was published. */
export interface Rollover {
  fromWeek: IsoWeek;
  personId: string;
  pageId: string | null;
  readyAt: string;
}

export type WeeklyUpdatePhase = 'opening' | 'collecting' | 'closed' | 'published' | 'finished';

export interface PublishedRecord {
  /** The Notion page; null when no Notion data source is configured and the mail carried it alone. */
  pageId: string | null;
  url: string | null;
  at: string;
  /** A person id for an early publication from the command, else `schedule`. */
  by: string;
  /** Who published early and through what: "ana via cli", or "ana via cli (operator priya)". */
  via?: string;
  onTime: boolean;
  mailed: boolean;
  recipients: number;
}

export interface ContributionRefusal {
  /** The person id the channel vouched for, or null when it named nobody in the configuration. */
  by: string | null;
  personId: string;
  at: string;
  reason: string;
}

export interface WeeklyUpdateStatus {
  week: IsoWeek;
  phase: WeeklyUpdatePhase;
  dates: WeeklyUpdateDates | null;
  contributions: ContributionState[];
  /** Late contributions of earlier weeks that this week's update carries. */
  rolledIn: Rollover[];
  /** Contributions ready after this week's publication, for next week's update. */
  rolledOver: Rollover[];
  handedOverTo: IsoWeek | null;
  published: PublishedRecord | null;
  /** Why publication has not happened yet when it should have, if it failed. */
  publicationProblem: string | null;
  refusals: ContributionRefusal[];
  log: { at: string; message: string }[];
}

/**
 * A contributor ticked Ready on their page (the Notion route), or the command did for them.
 * `week` is the page's week: a page of an earlier week rolls in. `by` is the person the channel
 * vouched for (the Notion author of the signed event); only the page's contributor may tick it.
 */
export interface ContributionReady {
  week: IsoWeek;
  personId: string;
  by: string | null;
  pageId?: string;
  occurredAt: number;
  deliveryId?: string;
}

export interface PublishCommand {
  /** A person id among the ritual's owners. */
  by: string;
  /**
   * The operator's signature (the command line adds it): an owner publishes as themselves; an
   * operator publishes for an owner only with the `product-ops` grant.
   */
  auth?: OperatorAuth;
}

/**
 * Next week's request for this week's late contributions. Only prodops' own worker makes it:
 * the activity signs it with the worker's key, for the workflow it runs for (`caller`).
 */
export interface HandOverCommand {
  toWeek: IsoWeek;
  /** The workflow the hand-over activity runs for: next week's update. */
  caller?: string;
  auth?: OperatorAuth;
}

export interface Preview {
  title: string;
  document: PageDocument;
  text: string;
}

export const contributionReady = defineSignal<[ContributionReady]>('contributionReady');
export const publishNow = defineUpdate<WeeklyUpdateStatus, [PublishCommand]>('publishNow');
/** Next week's update takes the contributions that arrived after this one was published. */
export const handOver = defineUpdate<{ rollovers: Rollover[] }, [HandOverCommand]>('handOver');
/** The page as it would be published now; reads the contributors' pages. */
export const previewUpdate = defineUpdate<Preview, []>('previewUpdate');
export const weeklyUpdateStatus = defineQuery<WeeklyUpdateStatus>('weeklyUpdateStatus');

export const WeeklyUpdateRefusals = {
  notOwner: 'NotWeeklyUpdateOwner',
  alreadyPublished: 'AlreadyPublished',
  notOpen: 'WeeklyUpdateNotOpen',
  invalid: 'InvalidWeeklyUpdateCommand',
  unauthenticated: 'UnauthenticatedWeeklyUpdateCommand',
  notAllowed: 'WeeklyUpdateNotAllowed',
} as const;

/** What the launcher decided on one run of the schedule. */
export interface LauncherOutcome {
  today: string;
  week: IsoWeek | null;
  outcome: 'started' | 'already-started' | 'not-today';
  detail: string;
}
