/**
 * The per-team leave coordinator's messages (workflows/leave/coordinator.ts): it holds every
 * pending and confirmed leave of a team, so that the minimum-on-duty check and the reservation
 * happen as one step (an Update runs to completion before the next is handled), and remembers
 * who covered recently. Leave workflows reach it through the leave activities, which call it
 * with the worker's client; both sides import these definitions from here.
 *
 * Safe inside the workflow sandbox: Temporal's message definitions and types only.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CoverageRecord, Shortfall, TeamReservation } from '../domain/coverage';
import type { OperatorAuth } from '../domain/operators';

export { leaveCoordinatorId } from './ids';

export const LEAVE_COORDINATOR_TYPE = 'leaveCoordinatorWorkflow';

export interface CoordinatorInput {
  teamId: string;
}

export interface ReserveLeaveRequest {
  workflowId: string;
  personId: string;
  role: string;
  from: string;
  to: string;
  fullDays: string[];
  days: string[];
  /** Who of the role would be on duty on each full day without any leave. */
  onDuty: Record<string, string[]>;
  minimum: number;
  /** False to check without holding a place (gate 1 already failed for another reason). */
  hold: boolean;
  /**
   * The workflow that called, as the worker's activity knows it (never from the workflow's own
   * input): a request reserves, confirms and releases only its own place.
   */
  caller?: string;
  /** The worker's signature over the call (contracts/node/worker-key.ts). */
  auth?: OperatorAuth;
}

export interface ReleaseReservationRequest {
  workflowId: string;
  caller?: string;
  auth?: OperatorAuth;
}

export interface ReserveLeaveResult {
  passed: boolean;
  shortfalls: Shortfall[];
  /** The team's other requests, for suggesting nearby dates. */
  others: TeamReservation[];
  history: CoverageRecord[];
}

export interface ConfirmReservationRequest extends Omit<ReserveLeaveRequest, 'hold'> {
  buddyId: string;
}

export interface CoordinatorState {
  teamId: string;
  reservations: TeamReservation[];
  history: CoverageRecord[];
}

export const reserveLeave = defineUpdate<ReserveLeaveResult, [ReserveLeaveRequest]>('reserveLeave');
export const confirmReservation = defineUpdate<ReserveLeaveResult, [ConfirmReservationRequest]>(
  'confirmReservation',
);
export const releaseReservation = defineUpdate<{ released: boolean }, [ReleaseReservationRequest]>(
  'releaseReservation',
);
export const coordinatorState = defineQuery<CoordinatorState>('coordinatorState');
