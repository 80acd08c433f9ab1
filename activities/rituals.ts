/**
 * What the rituals need that is not a single vendor call: their context from the configuration
 * (who contributes, in which order, who receives the update, when everything happens on the
 * rituals' calendar), the facts of a week read from the release and leave workflows, the
 * hand-over of late contributions between weeks, and the measurement behind the monthly page.
 * Temporal calls go through the worker's client, as activities/leave.ts does for releases.
 */
import { temporalClient } from './activity-context';
import { ApplicationFailure } from '@temporalio/common';
import { activityInfo } from '@temporalio/activity';
import { signAsWorker, workerGrant } from '../contracts/node/worker-key';
import { commandScope, type OperatorAuth, type OperatorGrant, type SignedScope } from '../domain/operators';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  addCalendarDays,
  localDateOf,
  type BusinessCalendar,
  type CalendarDate,
} from '../domain/business-calendar';
import {
  headOfProduct,
  ritualCalendarName,
  weeklyUpdateOwners,
  type OrgConfig,
  type PersonConfig,
} from '../domain/config';
import { resolveBusinessCalendar } from '../domain/holidays';
import {
  expectedWeeksSince,
  measure,
  type MeasureInput,
  type MeasurementReport,
} from '../domain/measurement';
import {
  isIsoWeek,
  monthBounds,
  mondayOf,
  neighbouringUpdate,
  weekDueOn,
  weeklyUpdateDates,
  type CalendarMonth,
  type IsoWeek,
  type WeeklyUpdateDates,
} from '../domain/rituals';
import type { WeeklyFacts } from '../domain/weekly-update-content';
import {
  handOver,
  weeklyUpdateWorkflowId,
  type Contributor,
  type Recipient,
  type Rollover,
  type WeeklyUpdateContext,
  type WeeklyUpdateStatus,
} from '../contracts/weekly-update';
import {
  readLeaveFacts,
  readReleaseRecords,
  readReleaseStatuses,
  readWeeklyUpdateRecords,
  releaseFactOf,
  type Skipped,
} from './records';

export interface RitualActivityDeps {
  /** The configuration as currently loaded; read on every call so a reload takes effect. */
  config: () => OrgConfig;
  /** A client of the workflows' namespace; the worker's own by default. */
  temporal?: Client;
  /**
   * The worker's secret (PRODOPS_WORKER_SECRET): the hand-over between weeks is signed with the
   * key derived from it, and a week takes it only so signed. Read per call.
   */
  workerSecret?: () => string | undefined;
}

const recipient = (p: PersonConfig): Recipient => ({ id: p.id, name: p.name, email: p.email });

const calendars = new WeakMap<OrgConfig, Map<number, BusinessCalendar>>();

/** The rituals' calendar with holidays for the years around a date (kept per configuration and year). */
export function ritualCalendar(config: OrgConfig, around: CalendarDate): BusinessCalendar {
  const year = Number(around.slice(0, 4));
  const byYear = calendars.get(config) ?? new Map<number, BusinessCalendar>();
  calendars.set(config, byYear);
  let calendar = byYear.get(year);
  if (!calendar) {
    calendar = resolveBusinessCalendar(config, ritualCalendarName(config), { from: year - 1, to: year + 1 });
    byYear.set(year, calendar);
  }
  return calendar;
}

export function weeklyTimes(config: OrgConfig) {
  const { day, opens, reminder, deadline, publish } = config.rituals.weeklyUpdate;
  return { day, opens, reminder, deadline, publish };
}

/** The dates of a week's update on the rituals' calendar; null for a week without one (a shutdown). */
export function datesOfWeek(config: OrgConfig, week: IsoWeek): WeeklyUpdateDates | null {
  return weeklyUpdateDates(week, ritualCalendar(config, mondayOf(week)), weeklyTimes(config));
}

/**
 * Contributors in a stable order: the PMs of the product areas as configured (a PM with several
 * areas writes one page a week, listed at their first area), then everyone else by name.
 */
export function contributorsOf(config: OrgConfig): Contributor[] {
  const roles = new Set(config.rituals.weeklyUpdate.contributorRoles);
  const people = config.people.filter((p) => roles.has(p.role));
  const areas = new Map<string, string[]>();
  for (const area of config.rituals.productAreas)
    areas.set(area.pm, [...(areas.get(area.pm) ?? []), area.name]);
  const ordered: PersonConfig[] = [];
  for (const area of config.rituals.productAreas) {
    const pm = people.find((p) => p.id === area.pm);
    if (pm && !ordered.includes(pm)) ordered.push(pm);
  }
  ordered.push(...people.filter((p) => !ordered.includes(p)).sort((a, b) => a.name.localeCompare(b.name)));
  return ordered.map((p) => ({ id: p.id, name: p.name, email: p.email, areas: areas.get(p.id) ?? [] }));
}

export function stakeholdersOf(config: OrgConfig): Recipient[] {
  const weekly = config.rituals.weeklyUpdate;
  const roles = new Set(weekly.stakeholderRoles);
  const chosen = config.people.filter((p) => roles.has(p.role) || weekly.stakeholders.includes(p.id));
  return chosen.map(recipient);
}

export function senderOf(config: OrgConfig): string {
  const hop = headOfProduct(config);
  return config.integrations.google.sender ?? `product-ops@${hop.email.split('@')[1] ?? 'localhost'}`;
}

export function buildWeeklyUpdateContext(config: OrgConfig, week: IsoWeek): WeeklyUpdateContext {
  if (!isIsoWeek(week))
    throw ApplicationFailure.nonRetryable(
      `week ${JSON.stringify(week)} is not an ISO week written YYYY-Www`,
      'InvalidInput',
    );
  const dates = datesOfWeek(config, week);
  if (!dates)
    throw ApplicationFailure.nonRetryable(
      `${week} has no Weekly Product Update: no working day on the ${ritualCalendarName(config)} calendar between last week's update day and this one's`,
      'NoUpdateThisWeek',
    );
  const before = neighbouringUpdate(week, -1, (w) => datesOfWeek(config, w));
  const after = neighbouringUpdate(week, 1, (w) => datesOfWeek(config, w));
  const notion = config.integrations.notion.dataSources;
  return {
    dates,
    since: before?.date ?? addCalendarDays(dates.date, -7),
    previousWeek: before?.week ?? null,
    // Without an update in the weeks after, the week watches for late contributions for a week.
    nextOpensAt: after?.opensAt ?? new Date(Date.parse(dates.opensAt) + 7 * 86_400_000).toISOString(),
    contributors: contributorsOf(config),
    areas: config.rituals.productAreas.map((a) => ({ id: a.id, name: a.name, pmId: a.pm })),
    stakeholders: stakeholdersOf(config),
    owners: weeklyUpdateOwners(config),
    sender: senderOf(config),
    notion: {
      weeklyUpdates: notion.weeklyUpdates ?? null,
      productUpdates: notion.productUpdates ?? notion.weeklyUpdates ?? null,
    },
  };
}

/** The facts of one update day: releases around it and leave in the two weeks after. */
export async function readWeeklyFacts(
  client: Client,
  config: OrgConfig,
  input: { date: CalendarDate; since: CalendarDate },
): Promise<WeeklyFacts> {
  const { statuses } = await readReleaseStatuses(client, {
    from: addCalendarDays(input.since, 1),
    to: addCalendarDays(input.date, 14),
    running: true,
  });
  const leave = await readLeaveFacts(client, { from: input.date, to: addCalendarDays(input.date, 14) });
  return {
    date: input.date,
    since: input.since,
    releases: statuses
      .filter((s) => s.phase !== 'cancelled')
      .map((s) => releaseFactOf(s, config, input.date)),
    leave,
  };
}

/**
 * Late contributions of an earlier week: handed over by its workflow, or read from its result.
 * The hand-over names the week that asks (`caller`) and carries the worker's signature over it.
 */
export async function collectRollovers(
  client: Client,
  fromWeek: IsoWeek,
  toWeek: IsoWeek,
  sign: (scope: SignedScope) => OperatorAuth,
): Promise<Rollover[]> {
  const handle = client.workflow.getHandle(weeklyUpdateWorkflowId(fromWeek));
  try {
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') {
      const command = { toWeek, caller: weeklyUpdateWorkflowId(toWeek) };
      const auth = sign(commandScope(weeklyUpdateWorkflowId(fromWeek), handOver.name, command));
      return (await handle.executeUpdate(handOver, { args: [{ ...command, auth }] })).rollovers;
    }
    if (description.status.name === 'COMPLETED')
      return ((await handle.result()) as WeeklyUpdateStatus).rolledOver;
    return [];
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return [];
    if (error instanceof WorkflowUpdateFailedError)
      throw ApplicationFailure.nonRetryable(
        `${fromWeek} refused the hand-over: ${error.cause?.message ?? error.message}`,
      );
    throw error;
  }
}

/** What the measurement over [from, to] reads, as of now, with the records that could not be read. */
export async function readMeasureInput(
  client: Client,
  config: OrgConfig,
  range: { from: CalendarDate; to: CalendarDate },
  now = Date.now(),
): Promise<{ input: MeasureInput; skipped: Skipped[] }> {
  const timezone = ritualCalendar(config, range.to).timezone;
  const releases = await readReleaseRecords(client, range);
  const updates = await readWeeklyUpdateRecords(client);
  const input: MeasureInput = {
    from: range.from,
    to: range.to,
    today: localDateOf(now, timezone),
    now,
    releases: releases.records,
    updates: updates.records,
    expectedWeeks: expectedWeeksSince(updates.records[0]?.week ?? null, range.to, (week) =>
      datesOfWeek(config, week),
    ),
  };
  return { input, skipped: [...releases.skipped, ...updates.skipped] };
}

/** The measurement over [from, to] as of now, with the records that could not be read. */
export async function readMeasurement(
  client: Client,
  config: OrgConfig,
  range: { from: CalendarDate; to: CalendarDate },
  now = Date.now(),
): Promise<{ report: MeasurementReport; skipped: Skipped[] }> {
  const { input, skipped } = await readMeasureInput(client, config, range, now);
  return { report: measure(input), skipped };
}

export async function measureRange(
  client: Client,
  config: OrgConfig,
  range: { from: CalendarDate; to: CalendarDate },
  now = Date.now(),
): Promise<MeasurementReport> {
  return (await readMeasurement(client, config, range, now)).report;
}

export function createRitualActivities(deps: RitualActivityDeps) {
  const client = (what: string): Client => temporalClient(deps.temporal, what);
  const secret = (): string => {
    const value = deps.workerSecret?.();
    if (!value)
      throw ApplicationFailure.nonRetryable(
        'PRODOPS_WORKER_SECRET is not set on the worker: a week takes the hand-over of late contributions only when the worker signs it',
        'MissingWorkerSecret',
      );
    return value;
  };

  return {
    async loadWeeklyUpdateContext(input: { week: IsoWeek }): Promise<WeeklyUpdateContext> {
      return buildWeeklyUpdateContext(deps.config(), input.week);
    },

    async weeklyUpdateFacts(input: { date: CalendarDate; since: CalendarDate }): Promise<WeeklyFacts> {
      return readWeeklyFacts(client('reading the week’s facts'), deps.config(), input);
    },

    async takeRollovers(input: { fromWeek: IsoWeek; toWeek: IsoWeek }): Promise<{ rollovers: Rollover[] }> {
      // Only the week that asks may take them: the activity signs for the workflow it runs for.
      const caller = activityInfo().workflowExecution?.workflowId;
      if (caller !== weeklyUpdateWorkflowId(input.toWeek))
        throw ApplicationFailure.nonRetryable(
          `the hand-over to ${input.toWeek} must run as an activity of ${weeklyUpdateWorkflowId(input.toWeek)} (it ran for ${caller ?? 'no workflow'})`,
          'NotAnActivity',
        );
      // Dated by the server's clock (when this attempt was scheduled), the clock the week checks.
      const issuedAt = activityInfo().currentAttemptScheduledTimestampMs;
      return {
        rollovers: await collectRollovers(client('the hand-over'), input.fromWeek, input.toWeek, (scope) =>
          signAsWorker(secret(), scope, issuedAt),
        ),
      };
    },

    /** The worker's public key: the one caller a week takes the hand-over from. */
    async weeklyWorkerKeys(): Promise<{ operators: OperatorGrant[] }> {
      return { operators: [workerGrant(secret())] };
    },

    /** The week whose update happens today on the rituals' calendar, if any (the launcher's question). */
    async weeklyUpdateDue(input: {
      at: number;
    }): Promise<{ today: CalendarDate; week: IsoWeek | null; enabled: boolean }> {
      const config = deps.config();
      const timezone = config.calendars[ritualCalendarName(config)]!.timezone;
      const today = localDateOf(input.at, timezone);
      const week = weekDueOn(today, ritualCalendar(config, today), weeklyTimes(config));
      return { today, week, enabled: config.rituals.weeklyUpdate.enabled };
    },

    /** The person with this email, for identities that vendors vouch for by account (Notion authors). */
    async personForEmail(input: { email: string }): Promise<{ personId: string | null }> {
      const email = input.email.trim().toLowerCase();
      return { personId: deps.config().people.find((p) => p.email.toLowerCase() === email)?.id ?? null };
    },

    /** What the monthly metrics workflow needs: where the page goes and when to refresh it. */
    async loadMetricsContext(input: { at: number }): Promise<MetricsContext> {
      const config = deps.config();
      const timezone = config.calendars[ritualCalendarName(config)]!.timezone;
      const notion = config.integrations.notion.dataSources;
      return {
        today: localDateOf(input.at, timezone),
        timezone,
        refreshAt: config.rituals.metrics.refreshAt,
        enabled: config.rituals.metrics.monthlyPage,
        dataSourceId: notion.metrics ?? notion.productUpdates ?? notion.weeklyUpdates ?? null,
      };
    },

    async measureMonth(input: { month: CalendarMonth; at: number }): Promise<MeasurementReport> {
      const { first, last } = monthBounds(input.month);
      return measureRange(client('the measurement'), deps.config(), { from: first, to: last }, input.at);
    },
  };
}

export interface MetricsContext {
  today: CalendarDate;
  timezone: string;
  refreshAt: string;
  enabled: boolean;
  dataSourceId: string | null;
}

export type RitualActivities = ReturnType<typeof createRitualActivities>;
