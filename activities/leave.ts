/**
 * What the leave workflow needs that is not a single vendor call: its context from the
 * configuration, the release commitments of the requester (read from the running release
 * workflows), and the team coordinators that hold everyone's leave. The coordinator calls go
 * through the worker's Temporal client, because workflow code can only signal other workflows,
 * and the reservation must be an Update that answers.
 *
 * The plain functions below are also what `prodops leave check` uses for its dry run.
 */
import { activityInfo } from '@temporalio/activity';
import { temporalClient } from './activity-context';
import { ApplicationFailure } from '@temporalio/common';
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { OrgConfig, PersonConfig } from '../domain/config';
import { compareDates, type CalendarDate } from '../domain/business-calendar';
import { resolveBusinessCalendar, type YearRange } from '../domain/holidays';
import {
  releaseCommitments,
  type CoveragePerson,
  type LeaveContext,
  type ReleaseCommitment,
  type ReleaseStatusFacts,
} from '../domain/coverage';
import {
  confirmReservation,
  coordinatorState,
  LEAVE_COORDINATOR_TYPE,
  leaveCoordinatorId,
  releaseReservation,
  reserveLeave,
  type ConfirmReservationRequest,
  type CoordinatorInput,
  type CoordinatorState,
  type ReserveLeaveRequest,
  type ReserveLeaveResult,
} from '../contracts/leave-coordinator';
import { signAsWorker, workerGrant } from '../contracts/node/worker-key';
import { commandScope, type OperatorGrant } from '../domain/operators';

export interface LeaveActivityDeps {
  /** The configuration as currently loaded; read on every call so a reload takes effect. */
  config: () => OrgConfig;
  /**
   * A client of the namespace the workflows run in; by default the worker's own (the client of
   * the activity's context), which is what a deployed worker wants.
   */
  temporal?: Client;
  /**
   * The worker's secret (PRODOPS_WORKER_SECRET): the coordinator calls are signed with the key
   * derived from it. Read per call.
   */
  workerSecret: () => string | undefined;
}

/** The visibility query for the releases that can still hold a PM to a date. */
export const RUNNING_RELEASES_QUERY = "WorkflowType = 'releaseWorkflow' AND ExecutionStatus = 'Running'";

export function coveragePerson(person: PersonConfig): CoveragePerson {
  return {
    id: person.id,
    name: person.name,
    email: person.email,
    role: person.role,
    team: person.team,
    calendar: person.calendar,
    managerId: person.manager ?? null,
    buddyId: person.buddy ?? null,
    jiraAccountId: person.jiraAccountId ?? null,
  };
}

/** Everything a leave request of `personId` needs from the configuration; holidays for `years`. */
export function buildLeaveContext(config: OrgConfig, personId: string, years: YearRange): LeaveContext {
  const person = config.people.find((p) => p.id === personId);
  if (!person) {
    throw ApplicationFailure.nonRetryable(
      `personId "${personId}" is not a person in the configuration`,
      'UnknownPerson',
    );
  }
  const find = (id: string | undefined) =>
    id === undefined ? undefined : config.people.find((p) => p.id === id);
  const manager = find(person.manager);
  const managersManager = find(manager?.manager);
  const team = config.teams.find((t) => t.id === person.team)!;
  const peers = config.people.filter((p) => p.role === person.role);
  const calendarNames = [...new Set(peers.map((p) => p.calendar))];
  return {
    requester: coveragePerson(person),
    manager: manager ? coveragePerson(manager) : null,
    managersManager: managersManager ? coveragePerson(managersManager) : null,
    team: {
      id: team.id,
      name: team.name,
      minimumOnDuty: team.minimumOnDuty[person.role] ?? 0,
      sharedCalendarId: team.sharedCalendarId ?? null,
    },
    peers: peers.map(coveragePerson),
    calendars: Object.fromEntries(
      calendarNames.map((name) => [name, resolveBusinessCalendar(config, name, years)]),
    ),
    calendarYears: years,
    blackouts: config.leave.blackouts
      .filter((b) => !b.teams || b.teams.includes(team.id))
      .map((b) => ({
        from: b.from,
        to: b.to,
        reason: b.reason,
        ...(b.teams ? { teams: [...b.teams] } : {}),
      })),
    timing: {
      remindAfterWorkingDays: config.leave.remindAfterWorkingDays,
      escalateAfterWorkingDays: config.leave.escalateAfterWorkingDays,
      expireAfterWorkingDays: config.leave.expireAfterWorkingDays,
    },
    leaveTracker: config.integrations.notion.dataSources.leaveTracker ?? null,
    sender: config.integrations.google.sender ?? `product-ops@${person.email.split('@')[1] ?? 'localhost'}`,
  };
}

/** The launches, readiness checks and retros that running release workflows hold `personId` to. */
export async function readReleaseCommitments(client: Client, personId: string): Promise<ReleaseCommitment[]> {
  const out: ReleaseCommitment[] = [];
  const seen = new Set<string>();
  for await (const info of client.workflow.list({ query: RUNNING_RELEASES_QUERY })) {
    if (seen.has(info.workflowId)) continue;
    seen.add(info.workflowId);
    let status: ReleaseStatusFacts;
    try {
      // The latest run: a release that continued as new since the listing answers from its new run.
      status = await client.workflow.getHandle(info.workflowId).query<ReleaseStatusFacts>('releaseStatus');
    } catch (error) {
      // Finished between the listing and the query: it holds nobody to anything any more.
      if (error instanceof WorkflowNotFoundError) continue;
      throw error;
    }
    if (status.pmId === personId) out.push(...releaseCommitments(status));
  }
  return out;
}

/** A team coordinator's reservations and coverage history; null when the team has none yet. */
export async function readCoordinatorState(client: Client, teamId: string): Promise<CoordinatorState | null> {
  const handle = client.workflow.getHandle(leaveCoordinatorId(teamId));
  try {
    // A coordinator that was stopped holds nothing, and a query to it would wait for a worker.
    if ((await handle.describe()).status.name !== 'RUNNING') return null;
    return await handle.query(coordinatorState);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** Leave held for each person between two dates (the working dates they are off), by person id. */
export async function readLeaveOfPeople(
  client: Client,
  config: OrgConfig,
  input: { personIds: string[]; from: CalendarDate; to: CalendarDate; excludeWorkflowId?: string },
): Promise<Record<string, CalendarDate[]>> {
  const teams = new Set(
    input.personIds.map((id) => config.people.find((p) => p.id === id)?.team).filter((t): t is string => !!t),
  );
  const wanted = new Set(input.personIds);
  const out: Record<string, CalendarDate[]> = {};
  for (const team of teams) {
    const state = await readCoordinatorState(client, team);
    for (const r of state?.reservations ?? []) {
      if (!wanted.has(r.personId) || r.workflowId === input.excludeWorkflowId) continue;
      const days = r.days.filter((d) => compareDates(d, input.from) >= 0 && compareDates(d, input.to) <= 0);
      if (days.length > 0) out[r.personId] = [...(out[r.personId] ?? []), ...days].sort();
    }
  }
  return out;
}

export function createLeaveActivities(deps: LeaveActivityDeps) {
  const client = (what: string): Client => temporalClient(deps.temporal, what);

  /** Runs a coordinator update; a refusal by its validator is permanent, anything else is retried. */
  async function coordinatorUpdate<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        throw ApplicationFailure.nonRetryable(
          `the leave coordinator refused to ${what}: ${error.cause?.message ?? error.message}`,
          'CoordinatorRefused',
        );
      }
      throw error;
    }
  }

  const secret = (): string => {
    const value = deps.workerSecret();
    if (!value)
      throw ApplicationFailure.nonRetryable(
        'PRODOPS_WORKER_SECRET is not set on the worker: the team coordinators take only calls the worker signs',
        'MissingWorkerSecret',
      );
    return value;
  };

  /** The workflow this activity runs for: the only place its call may touch. */
  const caller = (): string => {
    try {
      const id = activityInfo().workflowExecution?.workflowId;
      if (id) return id;
      throw new Error('no workflow');
    } catch {
      throw ApplicationFailure.nonRetryable(
        'a leave coordinator call must run as an activity of the leave request it is for',
        'NotAnActivity',
      );
    }
  };

  /** The request as the workflow that called sends it, signed by the worker. */
  function signed<R extends { workflowId: string }>(teamId: string, update: string, request: R) {
    const withCaller = { ...request, caller: caller() };
    const { auth: _ignored, ...args } = withCaller as R & { caller: string; auth?: unknown };
    // Dated by the server's clock (when this attempt was scheduled), the clock the coordinator
    // checks freshness against.
    const issuedAt = activityInfo().currentAttemptScheduledTimestampMs;
    return {
      ...args,
      auth: signAsWorker(secret(), commandScope(leaveCoordinatorId(teamId), update, args), issuedAt),
    };
  }

  const startCoordinator = (teamId: string, taskQueue: string) =>
    new WithStartWorkflowOperation(LEAVE_COORDINATOR_TYPE, {
      workflowId: leaveCoordinatorId(teamId),
      taskQueue,
      args: [{ teamId } satisfies CoordinatorInput],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });

  return {
    /** The worker's public key, the one operator a team coordinator takes calls from. */
    async coordinatorKeys(): Promise<{ operators: OperatorGrant[] }> {
      return { operators: [workerGrant(secret())] };
    },

    async loadLeaveContext(input: { personId: string; years: YearRange }): Promise<LeaveContext> {
      return buildLeaveContext(deps.config(), input.personId, input.years);
    },

    async findReleaseCommitments(input: { personId: string }): Promise<{ commitments: ReleaseCommitment[] }> {
      return { commitments: await readReleaseCommitments(client('the release look-up'), input.personId) };
    },

    /** Gate 1's minimum-on-duty check at the team coordinator, holding a place when asked and passed. */
    async reserveLeave(input: {
      teamId: string;
      taskQueue: string;
      request: ReserveLeaveRequest;
    }): Promise<ReserveLeaveResult> {
      const temporal = client('reserving leave');
      return coordinatorUpdate('reserve leave', () =>
        temporal.workflow.executeUpdateWithStart(reserveLeave, {
          args: [signed(input.teamId, reserveLeave.name, input.request)],
          startWorkflowOperation: startCoordinator(input.teamId, input.taskQueue),
        }),
      );
    },

    /** The check again at confirmation; records the buddy's cover when it passes. */
    async confirmLeaveReservation(input: {
      teamId: string;
      taskQueue: string;
      request: ConfirmReservationRequest;
    }): Promise<ReserveLeaveResult> {
      const temporal = client('confirming leave');
      return coordinatorUpdate('confirm leave', () =>
        temporal.workflow.executeUpdateWithStart(confirmReservation, {
          args: [signed(input.teamId, confirmReservation.name, input.request)],
          startWorkflowOperation: startCoordinator(input.teamId, input.taskQueue),
        }),
      );
    },

    async releaseLeaveReservation(input: {
      teamId: string;
      workflowId: string;
    }): Promise<{ released: boolean }> {
      const temporal = client('releasing leave');
      try {
        return await coordinatorUpdate('release leave', () =>
          temporal.workflow.getHandle(leaveCoordinatorId(input.teamId)).executeUpdate(releaseReservation, {
            args: [signed(input.teamId, releaseReservation.name, { workflowId: input.workflowId })],
          }),
        );
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return { released: false };
        throw error;
      }
    },

    async leaveOfPeople(input: {
      personIds: string[];
      from: CalendarDate;
      to: CalendarDate;
      excludeWorkflowId?: string;
    }): Promise<{ byPerson: Record<string, CalendarDate[]> }> {
      return { byPerson: await readLeaveOfPeople(client('the leave look-up'), deps.config(), input) };
    },
  };
}

export type LeaveActivities = ReturnType<typeof createLeaveActivities>;
