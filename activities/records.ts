/**
 * prodops' own records, read back from Temporal: releases, leave and weekly updates, running or
 * closed (within the namespace's retention). Visibility finds the workflows; each one's status
 * comes from its result when it has completed (no worker needed) and from its status query
 * otherwise. The weekly update's activities, `prodops report`, the monthly metrics page and the
 * dashboard all read through here, so they count the same things.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { addCalendarDays, compareDates, type CalendarDate } from '../domain/business-calendar';
import type { OrgConfig } from '../domain/config';
import { releaseRecordOf, type ReleaseRecord, type WeeklyUpdateRecord } from '../domain/measurement';
import { LeaveStatus } from '../domain/search-attributes';
import type { LeaveFact, ReleaseFact } from '../domain/weekly-update-content';
import type { LeaveMemo } from '../workflows/leave/messages';
import type { ReleaseStatus } from '../workflows/release/messages';
import {
  WEEKLY_UPDATE_WORKFLOW_TYPE,
  weeklyUpdateStatus,
  type WeeklyUpdateStatus,
} from '../contracts/weekly-update';

export interface RecordReadOptions {
  /** How long one status query may wait for a worker before the record is skipped. */
  queryTimeoutMs?: number;
}

export interface Skipped {
  workflowId: string;
  reason: string;
}

const QUERY_TIMEOUT_MS = 10_000;
/** The release and leave workflows' names, as their messages define them. */
const RELEASE_STATUS_QUERY = { name: 'releaseStatus' };
const LEAVE_WORKFLOW_TYPE = 'leaveWorkflow';

/** Midnight UTC of a date, as the workflows index their dates. */
const indexed = (date: CalendarDate) => `${date}T00:00:00Z`;

async function workflowIds(client: Client, query: string): Promise<string[]> {
  const ids = new Set<string>();
  for await (const info of client.workflow.list({ query })) ids.add(info.workflowId);
  return [...ids].sort();
}

/**
 * The latest run's status: its result when completed, else its query. A run that failed or
 * was terminated answers its query by being replayed, which needs a worker; when none answers
 * in time the record is skipped and said so.
 */
async function statusOf<T>(
  client: Client,
  workflowId: string,
  query: { name: string },
  options: RecordReadOptions,
  skipped: Skipped[],
): Promise<T | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    if (description.status.name === 'COMPLETED') return (await handle.result()) as T;
    return await client.connection.withDeadline(
      Date.now() + (options.queryTimeoutMs ?? QUERY_TIMEOUT_MS),
      () => handle.query<T>(query.name),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    skipped.push({
      workflowId,
      reason: error instanceof Error ? error.message.split('\n')[0]! : String(error),
    });
    return undefined;
  }
}

async function readAll<T>(
  client: Client,
  queries: string[],
  query: { name: string },
  options: RecordReadOptions,
): Promise<{ statuses: T[]; skipped: Skipped[] }> {
  const ids = new Set<string>();
  for (const q of queries) for (const id of await workflowIds(client, q)) ids.add(id);
  const skipped: Skipped[] = [];
  const statuses: T[] = [];
  for (const id of [...ids].sort()) {
    const status = await statusOf<T>(client, id, query, options, skipped);
    if (status !== undefined) statuses.push(status);
  }
  return { statuses, skipped };
}

/**
 * Releases whose launch date (the actual one once launched) falls in [from, to], running or
 * not, plus every running release when `running` is set (whatever its date: a risk is a risk).
 */
export async function readReleaseStatuses(
  client: Client,
  window: { from: CalendarDate; to: CalendarDate; running?: boolean },
  options: RecordReadOptions = {},
): Promise<{ statuses: ReleaseStatus[]; skipped: Skipped[] }> {
  const base = `WorkflowType = 'releaseWorkflow'`;
  const queries = [
    `${base} AND LaunchDate >= '${indexed(window.from)}' AND LaunchDate < '${indexed(addCalendarDays(window.to, 1))}'`,
  ];
  if (window.running) queries.push(`${base} AND ExecutionStatus = 'Running'`);
  return readAll<ReleaseStatus>(client, queries, RELEASE_STATUS_QUERY, options);
}

/** The release records a report over [from, to] needs: due dates and check-ins fall near launch. */
export async function readReleaseRecords(
  client: Client,
  range: { from: CalendarDate; to: CalendarDate },
  options: RecordReadOptions = {},
): Promise<{ records: ReleaseRecord[]; skipped: Skipped[] }> {
  // A bundle is due at most ~3 weeks before launch; the Day-3 check-in is at most ~a week after.
  const { statuses, skipped } = await readReleaseStatuses(
    client,
    { from: addCalendarDays(range.from, -14), to: addCalendarDays(range.to, 35) },
    options,
  );
  return { records: statuses.map(releaseRecordOf), skipped };
}

export function releaseFactOf(status: ReleaseStatus, config: OrgConfig, asOf?: CalendarDate): ReleaseFact {
  // A Tier 1 release has nothing to check before it ships, and its workflow records the launch
  // at the end of launch day: on the day itself (an update day, say) it counts as launched.
  const launchedOn =
    status.launchedOn ??
    (asOf !== undefined &&
    status.tier === 1 &&
    status.phase === 'planning' &&
    compareDates(status.plan.launchDate, asOf) <= 0
      ? status.plan.launchDate
      : null);
  return {
    issueKey: status.issueKey,
    title: status.title,
    tier: status.tier,
    pmId: status.pmId,
    pmName: config.people.find((p) => p.id === status.pmId)?.name ?? status.pmId,
    productArea: status.productArea,
    phase: status.phase,
    enablement: status.enablement,
    launchDate: launchedOn ?? status.plan.launchDate,
    launchedOn,
    flags: {
      late: status.flags.late,
      atRisk: status.flags.atRisk,
      onHold: status.flags.onHold,
      launchOverdue: status.flags.launchOverdue,
    },
  };
}

/** Pending and confirmed leave that overlaps [from, to], from the leave workflows' memos. */
export async function readLeaveFacts(
  client: Client,
  window: { from: CalendarDate; to: CalendarDate },
): Promise<LeaveFact[]> {
  const query = [
    `WorkflowType = '${LEAVE_WORKFLOW_TYPE}'`,
    `LeaveStatus IN ('confirmed', 'awaiting-confirmation')`,
    `LeaveStart <= '${indexed(window.to)}'`,
    `LeaveEnd >= '${indexed(window.from)}'`,
  ].join(' AND ');
  const facts: LeaveFact[] = [];
  const seen = new Set<string>();
  for await (const info of client.workflow.list({ query })) {
    const memo = (info.memo as { leave?: LeaveMemo } | undefined)?.leave;
    if (!memo || seen.has(info.workflowId)) continue;
    seen.add(info.workflowId);
    facts.push({
      personId: memo.personId,
      personName: memo.personName,
      from: memo.from,
      to: memo.to,
      firstDay: memo.firstDay,
      lastDay: memo.lastDay,
      status: info.typedSearchAttributes.get(LeaveStatus) === 'confirmed' ? 'confirmed' : 'pending',
      buddyName: memo.buddyName,
    });
  }
  return facts.sort((a, b) => a.from.localeCompare(b.from) || a.personName.localeCompare(b.personName));
}

export function weeklyUpdateRecordOf(status: WeeklyUpdateStatus): WeeklyUpdateRecord | null {
  if (!status.dates) return null;
  return {
    week: status.week,
    date: status.dates.date,
    publishAt: status.dates.publishAt,
    publishedAt: status.published?.at ?? null,
    onTime: status.published?.onTime === true,
    contributions: status.contributions.map((c) => ({
      personId: c.personId,
      name: c.name,
      status: c.status,
    })),
  };
}

/** Every weekly update on record (one a week: a few dozen a year), oldest first. */
export async function readWeeklyUpdateRecords(
  client: Client,
  options: RecordReadOptions = {},
): Promise<{ records: WeeklyUpdateRecord[]; skipped: Skipped[] }> {
  const { statuses, skipped } = await readAll<WeeklyUpdateStatus>(
    client,
    [`WorkflowType = '${WEEKLY_UPDATE_WORKFLOW_TYPE}'`],
    weeklyUpdateStatus,
    options,
  );
  const records = statuses
    .map(weeklyUpdateRecordOf)
    .filter((r): r is WeeklyUpdateRecord => r !== null)
    .sort((a, b) => a.week.localeCompare(b.week));
  return { records, skipped };
}
