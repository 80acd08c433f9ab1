/**
 * One run of a subscription's workflow: its state, effects, wake flag and turn counters, and the
 * clock on the owner's calendar. Handlers, proposals and the loop all work on this.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { localDateOf, zonedDateTimeToInstant, type CalendarDate } from '../../domain/business-calendar';
import type { FieldProblem } from '../../domain/subscription';
import { note, Wake } from '../entity-loop';
import type { Clock } from './deadlines';
import { renewalActivities, renewalEffects } from './effects';
import { RenewalRefusals, type RenewalInput, type RenewalStatusView } from './messages';
import type { RenewalEffects } from './reconcile';
import type { RenewalState } from './state';
import { statusOf } from './views';

export interface RenewalRun {
  input: RenewalInput;
  workflowId: string;
  state: RenewalState;
  activities: ReturnType<typeof renewalActivities>;
  effects: RenewalEffects;
  wake: Wake;
  turnsStarted: number;
  turnsFinished: number;
  /** The turn after the one that processed each proposal: it reconciles the change. */
  settlesAt: Map<number, number>;
  finished: boolean;
  /** The renewal opened the next cycle: the run continues as new. */
  rolled: boolean;
  /** A context load that failed for good is tried again then. */
  retryAt: number | null;
}

export function createRun(input: RenewalInput, workflowId: string, state: RenewalState): RenewalRun {
  const activities = renewalActivities();
  return {
    input,
    workflowId,
    state,
    activities,
    effects: renewalEffects(state, activities),
    wake: new Wake(),
    turnsStarted: 0,
    turnsFinished: 0,
    settlesAt: new Map(),
    finished: false,
    rolled: false,
    retryAt: null,
  };
}

export const log = (run: RenewalRun, message: string): void =>
  note(run.state, message, { subscriptionId: run.state.subscriptionId });

export function clockOf(run: RenewalRun): Clock {
  const zone = run.state.context?.calendar.timezone ?? 'UTC';
  return {
    now: Date.now(),
    today: localDateOf(Date.now(), zone),
    instant: (date, time) => Date.parse(zonedDateTimeToInstant(date, time, zone)),
  };
}

/** Today on the owner's calendar, once the context is loaded. */
export const todayOf = (run: RenewalRun): CalendarDate | null =>
  run.state.context ? clockOf(run).today : null;

export const statusView = (run: RenewalRun): RenewalStatusView =>
  statusOf(run.state, run.workflowId, todayOf(run));

/** Waits until the turn `target` (counted from 1) has finished: by default the next to start. */
export async function settled(run: RenewalRun, target = run.turnsStarted + 1): Promise<void> {
  await condition(() => run.turnsFinished >= target || run.finished);
}

export const refusal = (message: string, type: string = RenewalRefusals.invalid, details?: unknown) =>
  ApplicationFailure.create({
    message,
    type,
    nonRetryable: true,
    ...(details ? { details: [details] } : {}),
  });

export const describeProblems = (problems: FieldProblem[]): string =>
  problems.map((p) => `${p.field} ${p.message}`).join('; ');
