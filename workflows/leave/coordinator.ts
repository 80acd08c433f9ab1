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
} from '@temporalio/workflow';
import { addCalendarDays, compareDates, isValidDate, localDateOf } from '../../domain/business-calendar';
import { historyIsLong } from '../entity-loop';
import { coverageShortfalls, type CoverageRecord, type TeamReservation } from '../../domain/coverage';
import {
  confirmReservation,
  coordinatorState,
  LeaveRefusals,
  releaseReservation,
  reserveLeave,
  type ConfirmReservationRequest,
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
}

export async function leaveCoordinatorWorkflow(
  input: CoordinatorInput,
  carried?: CoordinatorCarried,
): Promise<void> {
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

  setHandler(
    reserveLeave,
    (request) => {
      prune();
      const result = judge(request);
      if (result.passed && request.hold)
        reservations.set(request.workflowId, reservationOf(request, 'pending', null));
      // Dates that no longer pass, or a check without holding, leave nothing held.
      else reservations.delete(request.workflowId);
      return result;
    },
    { validator: validateRequest },
  );

  setHandler(
    confirmReservation,
    (request: ConfirmReservationRequest) => {
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
    },
    {
      validator: (request: ConfirmReservationRequest) => {
        validateRequest({ ...request, hold: true });
        if (typeof request.buddyId !== 'string' || request.buddyId === '')
          throw ApplicationFailure.nonRetryable('buddyId must name a person', LeaveRefusals.invalid);
      },
    },
  );

  setHandler(releaseReservation, ({ workflowId }) => ({ released: reservations.delete(workflowId) }));

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
  });
}

function validateRequest(request: ReserveLeaveRequest): void {
  const refuse = (problem: string) => {
    throw ApplicationFailure.nonRetryable(problem, LeaveRefusals.invalid);
  };
  for (const field of ['workflowId', 'personId', 'role'] as const) {
    if (typeof request[field] !== 'string' || request[field] === '')
      refuse(`${field} must be a non-empty string`);
  }
  for (const field of ['from', 'to'] as const) {
    if (!isValidDate(request[field])) refuse(`${field} must be a date written YYYY-MM-DD`);
  }
  const dates = (field: 'fullDays' | 'days') => {
    const value = request[field] as unknown;
    if (!Array.isArray(value) || value.some((d) => !isValidDate(d)))
      refuse(`${field} must list dates written YYYY-MM-DD`);
  };
  dates('fullDays');
  dates('days');
  if (!Number.isInteger(request.minimum) || request.minimum < 0)
    refuse('minimum must be a whole number, 0 or more');
  const onDuty = request.onDuty as unknown;
  if (
    typeof onDuty !== 'object' ||
    onDuty === null ||
    Object.values(onDuty).some((ids) => !Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
  )
    refuse('onDuty must map dates to lists of person ids');
  for (const date of request.fullDays)
    if (!(date in (onDuty as Record<string, unknown>))) refuse(`onDuty has no entry for ${date}`);
}
