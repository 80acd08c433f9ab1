/**
 * One coordinator per team (`leave-coordinator:<teamId>`), started on first use by
 * update-with-start. It holds the team's pending and confirmed leave, so that checking the
 * minimum on duty and taking the place are one step: an Update handler runs to completion before
 * the next one starts, so two requests racing for the last place are judged one after the other.
 * It also remembers who covered and when, for choosing buddies fairly.
 *
 * Leave that ended more than a day ago is dropped; the history keeps one line per person; the
 * workflow continues as new before its history grows large.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createLeaveActivities } from '../../activities/leave';
import {
  OperatorAuthSchema,
  type OperatorAuth,
  type OperatorRegistry,
  type SeenNonce,
} from '../../domain/operators';
import { activitiesFor } from '../activity-options';
import {
  authenticateOperator,
  precheckOperator,
  scopeOf,
  takesUnsignedCommands,
  type IdentityState,
} from '../operator-identity';
import { z } from 'zod';
import { addCalendarDays, compareDates, localDateOf } from '../../domain/business-calendar';
import { CommandDate, parseCommand, PersonId } from '../../domain/commands';
import { attempt, historyIsLong } from '../entity-loop';
import { coverageShortfalls, type CoverageRecord, type TeamReservation } from '../../domain/coverage';
import {
  confirmReservation,
  coordinatorState,
  LeaveRefusals,
  releaseReservation,
  reserveLeave,
  type ConfirmReservationRequest,
  type ReleaseReservationRequest,
  type CoordinatorInput,
  type CoordinatorState,
  type ReserveLeaveRequest,
  type ReserveLeaveResult,
} from './messages';

/** Each reservation costs a few events; continue well before Temporal's limits. */
export const COORDINATOR_EVENTS_BEFORE_CONTINUE_AS_NEW = 2_000;

export interface CoordinatorCarried {
  reservations: TeamReservation[];
  history: CoverageRecord[];
  /** The worker's public key as last read, and recent nonces of its signed calls. */
  workerKeys?: OperatorRegistry | null;
  nonces?: SeenNonce[];
}

type CoordinatorActivities = Pick<ReturnType<typeof createLeaveActivities>, 'coordinatorKeys'>;

const refusal = (message: string) => ApplicationFailure.nonRetryable(message, LeaveRefusals.invalid);

/**
 * Who may call: a worker's signed call for the workflow that holds (or asks for) the place. The
 * validator's part, on the state alone; null when the call may go on to the handler.
 */
function precheckCaller(
  identity: IdentityState,
  coordinatorId: string,
  update: string,
  request: { workflowId: string; caller?: string; auth?: OperatorAuth },
): string | null {
  if (request.auth === undefined) return null;
  if (request.caller !== request.workflowId)
    return `only ${request.workflowId} itself may ${update === 'releaseReservation' ? 'release' : 'reserve or confirm'} its place (the call came from ${request.caller ?? 'nobody named'})`;
  const identityProblem = precheckOperator(
    identity,
    request.auth,
    scopeOf(coordinatorId, update, request),
    Date.now(),
  );
  return identityProblem ? `the call is not a worker's: ${identityProblem}` : null;
}

export async function leaveCoordinatorWorkflow(
  input: CoordinatorInput,
  carried?: CoordinatorCarried,
): Promise<void> {
  const coordinatorId = workflowInfo().workflowId;
  const identity: IdentityState = { operators: carried?.workerKeys ?? null, nonces: carried?.nonces ?? [] };
  const activities = activitiesFor<CoordinatorActivities>(null);
  /**
   * The handler's part of the caller check. Calls from before signatures replay as they were;
   * from then on, an unsigned call is refused.
   */
  const verified = async (
    update: string,
    request: { workflowId: string; caller?: string; auth?: OperatorAuth },
  ): Promise<void> => {
    const checked = await authenticateOperator(
      identity,
      request.auth!,
      scopeOf(coordinatorId, update, request),
      async () =>
        (
          await attempt(
            () => activities.coordinatorKeys(),
            () => undefined,
          )
        )?.operators,
    );
    if ('refused' in checked) throw refusal(`the call is not a worker's: ${checked.refused}`);
  };
  const unsigned = () => {
    throw refusal(
      "the call carries no worker signature: only a prodops worker's leave activities reach the coordinator",
    );
  };
  const validateCaller =
    (update: string) => (request: { workflowId: string; caller?: string; auth?: OperatorAuth }) => {
      const problem = precheckCaller(identity, coordinatorId, update, request);
      if (problem) throw refusal(problem);
    };
  const reservations = new Map<string, TeamReservation>(
    (carried?.reservations ?? []).map((r) => [r.workflowId, r]),
  );
  const history = new Map<string, CoverageRecord>((carried?.history ?? []).map((h) => [h.personId, h]));

  const prune = () => {
    // A day's margin: "today" differs across the team's time zones.
    const cutoff = addCalendarDays(localDateOf(Date.now(), 'UTC'), -1);
    for (const [id, r] of reservations) if (compareDates(r.to, cutoff) < 0) reservations.delete(id);
  };

  const judge = (request: Omit<ReserveLeaveRequest, 'hold'>): ReserveLeaveResult => {
    const others = [...reservations.values()].filter((r) => r.workflowId !== request.workflowId);
    const shortfalls = coverageShortfalls({
      role: request.role,
      minimum: request.minimum,
      onDuty: request.onDuty,
      requesterId: request.personId,
      requesterFullDays: request.fullDays,
      reservations: others,
    });
    return { passed: shortfalls.length === 0, shortfalls, others, history: [...history.values()] };
  };

  const reservationOf = (
    request: Omit<ReserveLeaveRequest, 'hold'>,
    status: TeamReservation['status'],
    buddyId: string | null,
  ): TeamReservation => ({
    workflowId: request.workflowId,
    personId: request.personId,
    role: request.role,
    from: request.from,
    to: request.to,
    fullDays: [...request.fullDays],
    days: [...request.days],
    status,
    buddyId,
  });

  const reserve = (request: ReserveLeaveRequest): ReserveLeaveResult => {
    prune();
    const result = judge(request);
    if (result.passed && request.hold)
      reservations.set(request.workflowId, reservationOf(request, 'pending', null));
    // Dates that no longer pass, or a check without holding, leave nothing held.
    else reservations.delete(request.workflowId);
    return result;
  };

  setHandler(
    reserveLeave,
    (request) => {
      if (request.auth === undefined) return takesUnsignedCommands() ? reserve(request) : unsigned();
      // Judging and holding stay one synchronous step after the check: one request at a time.
      return verified(reserveLeave.name, request).then(() => reserve(request));
    },
    {
      validator: (request: ReserveLeaveRequest) => {
        validateShape(ReserveRequestSchema, request, reserveLeave.name);
        validateCaller(reserveLeave.name)(request);
      },
    },
  );

  const confirm = (request: ConfirmReservationRequest): ReserveLeaveResult => {
    prune();
    const result = judge(request);
    if (!result.passed) {
      reservations.delete(request.workflowId);
      return result;
    }
    const before = reservations.get(request.workflowId);
    const repeated =
      before?.status === 'confirmed' &&
      before.buddyId === request.buddyId &&
      before.from === request.from &&
      before.to === request.to;
    reservations.set(request.workflowId, reservationOf(request, 'confirmed', request.buddyId));
    if (!repeated) {
      // A retried confirmation must not count the same cover twice.
      const previous = history.get(request.buddyId);
      history.set(request.buddyId, {
        personId: request.buddyId,
        lastCoveredOn:
          previous && compareDates(previous.lastCoveredOn, request.to) > 0
            ? previous.lastCoveredOn
            : request.to,
        times: (previous?.times ?? 0) + 1,
      });
    }
    return { ...result, history: [...history.values()] };
  };

  setHandler(
    confirmReservation,
    (request: ConfirmReservationRequest) => {
      if (request.auth === undefined) return takesUnsignedCommands() ? confirm(request) : unsigned();
      return verified(confirmReservation.name, request).then(() => confirm(request));
    },
    {
      validator: (request: ConfirmReservationRequest) => {
        validateShape(ConfirmRequestSchema, request, confirmReservation.name);
        validateCaller(confirmReservation.name)(request);
      },
    },
  );

  const release = (workflowId: string) => ({ released: reservations.delete(workflowId) });
  setHandler(
    releaseReservation,
    (request) => {
      if (request.auth === undefined)
        return takesUnsignedCommands() ? release(request.workflowId) : unsigned();
      return verified(releaseReservation.name, request).then(() => release(request.workflowId));
    },
    {
      validator: (request: ReleaseReservationRequest) => {
        validateShape(ReleaseRequestSchema, request, releaseReservation.name);
        validateCaller(releaseReservation.name)(request);
      },
    },
  );

  setHandler(coordinatorState, (): CoordinatorState => ({
    teamId: input.teamId,
    reservations: [...reservations.values()].map((r) => ({ ...r })),
    history: [...history.values()].map((h) => ({ ...h })),
  }));

  await condition(() => historyIsLong(COORDINATOR_EVENTS_BEFORE_CONTINUE_AS_NEW));
  await condition(allHandlersFinished);
  prune();
  await continueAsNew<typeof leaveCoordinatorWorkflow>(input, {
    reservations: [...reservations.values()],
    history: [...history.values()],
    workerKeys: identity.operators ?? null,
    nonces: identity.nonces ?? [],
  });
}

const RoleId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a role id');
const Dates = z.array(CommandDate).max(400, 'must list at most 400 dates');

const RequestFields = {
  workflowId: z.string().min(1, 'must not be empty').max(300, 'must be at most 300 characters'),
  personId: PersonId,
  role: RoleId,
  from: CommandDate,
  to: CommandDate,
  fullDays: Dates,
  days: Dates,
  onDuty: z
    .record(CommandDate, z.array(PersonId).max(1000, 'must list at most 1000 people'))
    .refine((o) => Object.keys(o).length <= 400, 'must map at most 400 dates'),
  minimum: z
    .number()
    .int('must be a whole number, 0 or more')
    .min(0, 'must be a whole number, 0 or more')
    .max(10_000),
  caller: z.string().max(300).optional(),
  auth: OperatorAuthSchema.optional(),
};

const withOnDuty = <T extends { fullDays: string[]; onDuty: Record<string, string[]> }>(r: T) =>
  r.fullDays.every((date) => date in r.onDuty);

export const ReserveRequestSchema = z
  .strictObject({ ...RequestFields, hold: z.boolean({ error: 'must be true or false' }) })
  .refine(withOnDuty, { message: 'onDuty must have an entry for every full day', path: ['onDuty'] });

export const ReleaseRequestSchema = z.strictObject({
  workflowId: RequestFields.workflowId,
  caller: RequestFields.caller,
  auth: RequestFields.auth,
});

export const ConfirmRequestSchema = z
  .strictObject({ ...RequestFields, buddyId: PersonId })
  .refine(withOnDuty, { message: 'onDuty must have an entry for every full day', path: ['onDuty'] });

function validateShape(schema: z.ZodType, request: unknown, what: string): void {
  const parsed = parseCommand(schema, request, what);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.problem, LeaveRefusals.invalid);
}
