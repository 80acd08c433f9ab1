/**
 * What a leave request carries across continue-as-new, and every change a message makes to it.
 * The transitions are pure: the state, the message and the moment in, the state changed and the
 * answer out. They run the same on replay and are tested without Temporal.
 *
 * The field names of `LeaveWorkflowState` are carried by running workflows: renaming one breaks
 * every request in flight.
 */
import {
  calendarOf,
  LeaveInputError,
  normaliseWindow,
  sameWindow,
  type CoveragePerson,
  type CoverageRecord,
  type LeaveContext,
  type LeaveWindow,
} from '../../domain/coverage';
import type { BusinessCalendar } from '../../domain/business-calendar';
import type { Journal } from '../entity-loop';
import type { LeaveParties } from './notices';
import {
  LeaveRefusals,
  type BuddyCandidate,
  type CancelLeaveCommand,
  type ConfirmLeaveCommand,
  type InviteAnswered,
  type LeaveConfirmation,
  type LeaveEventRecord,
  type LeaveGateOne,
  type LeaveNotice,
  type LeavePhase,
  type LeaveRefusal,
  type LeaveRequestInput,
  type LeaveStatusView,
  type MoveLeaveCommand,
  type OutOfOfficeChanged,
} from './messages';

export const LOG_LIMIT = 50;
export const REFUSAL_LIMIT = 50;

/** Everything the workflow carries across continue-as-new. */
export interface LeaveWorkflowState extends Pick<Journal, 'log' | 'sent'> {
  phase: LeavePhase;
  window: LeaveWindow | null;
  round: number;
  context: LeaveContext | null;
  gate1: LeaveGateOne | null;
  /** The buddy asked in this round, and when. */
  buddy: { id: string; invitedAt: number } | null;
  candidates: BuddyCandidate[];
  managerInvitedAt: number | null;
  /** When gate 2 began in this round: escalation and expiry count from here. */
  gateTwoSince: number | null;
  confirmations: { buddy: LeaveConfirmation | null; manager: LeaveConfirmation | null };
  refusals: LeaveRefusal[];
  events: LeaveEventRecord[];
  trackerPageId: string | null;
  trackerFingerprint: string | null;
  notionUsers: Record<string, string | null>;
  /** What has been booked for the current confirmation (fingerprint), so it is booked once. */
  booked: string | null;
  /** Idempotency keys of the notices sent (the journal's send-once record). */
  sent: string[];
  notices: LeaveNotice[];
  reason: string | null;
  cancel: { by: string; reason: string } | null;
  pendingWindow: LeaveWindow | null;
  outOfOfficeEvent: { calendarId: string; eventId: string } | null;
  /** Newest `occurredAt` applied: out-of-office changes, and answers per invite. */
  lastChangeAt: number;
  lastAnswerAt: Record<string, number>;
  history: CoverageRecord[];
  log: { at: string; message: string }[];
}

export function initialState(input: LeaveRequestInput): LeaveWorkflowState {
  return {
    phase: 'checking',
    window: null,
    round: 1,
    context: null,
    gate1: null,
    buddy: null,
    candidates: [],
    managerInvitedAt: null,
    gateTwoSince: null,
    confirmations: { buddy: null, manager: null },
    refusals: [],
    events: [],
    trackerPageId: null,
    trackerFingerprint: null,
    notionUsers: {},
    booked: null,
    sent: [],
    notices: [],
    reason: null,
    cancel: null,
    pendingWindow: null,
    outOfOfficeEvent: input.outOfOfficeEvent ? { ...input.outOfOfficeEvent } : null,
    lastChangeAt: 0,
    lastAnswerAt: {},
    history: [],
    log: [],
  };
}

/** When a transition happens, and where it writes what it did (the request's log). */
export interface Moment {
  now: number;
  note: (message: string) => void;
}

/** A command refused before it is applied: the error type and the words for the caller. */
export interface Refusal {
  type: (typeof LeaveRefusals)[keyof typeof LeaveRefusals];
  message: string;
}

/** What an applied command did: refused (and recorded), or applied, waking the process or not. */
export type Applied = { refused: string } | { wake: boolean };

const iso = (now: number) => new Date(now).toISOString();

function trim<T>(list: T[], limit: number): void {
  if (list.length > limit) list.splice(0, list.length - limit);
}

// ---- Reading the state -----------------------------------------------------------------

export const isTerminal = (state: LeaveWorkflowState): boolean =>
  state.phase === 'declined' || state.phase === 'expired' || state.phase === 'cancelled';

export function contextOf(state: LeaveWorkflowState): LeaveContext {
  if (!state.context) throw new Error('leave context is not loaded');
  return state.context;
}

export function windowOf(state: LeaveWorkflowState): LeaveWindow {
  if (!state.window) throw new Error('leave window is not set');
  return state.window;
}

/** A peer of the requester's role, their manager or their manager's manager. */
export function personIn(context: LeaveContext, id: string): CoveragePerson | undefined {
  return (
    context.peers.find((p) => p.id === id) ??
    [context.manager, context.managersManager].find((p): p is CoveragePerson => p?.id === id)
  );
}

/** The requester's business calendar: working days, reminders and expiry count on it. */
export const requesterCalendar = (state: LeaveWorkflowState): BusinessCalendar =>
  calendarOf(contextOf(state), contextOf(state).requester);

export const partiesOf = (state: LeaveWorkflowState): LeaveParties => ({
  requester: contextOf(state).requester.name,
  window: windowOf(state),
});

/** The idempotency key of something made once per request. */
export const requestKey = (workflowId: string, suffix: string): string => `${workflowId}:${suffix}`;

/** The idempotency key of something made once per round of dates. */
export const roundKey = (workflowId: string, state: LeaveWorkflowState, suffix: string): string =>
  requestKey(workflowId, `r${state.round}:${suffix}`);

export const isInvite = (e: LeaveEventRecord): boolean =>
  e.kind === 'coverage-invite' || e.kind === 'approval-invite';

/** Who has not approved yet, in words. */
export function waitingFor(state: LeaveWorkflowState): string[] {
  const out: string[] = [];
  const context = contextOf(state);
  if (state.confirmations.buddy?.decision !== 'approve' && state.buddy)
    out.push(`${personIn(context, state.buddy.id)?.name ?? state.buddy.id} (cover)`);
  if (state.confirmations.manager?.decision !== 'approve')
    out.push(`${context.manager?.name ?? 'the manager'} (approval)`);
  return out;
}

// ---- Confirmations ---------------------------------------------------------------------

export function recordRefusal(
  state: LeaveWorkflowState,
  refusal: Omit<LeaveRefusal, 'at'>,
  at: Moment,
): void {
  state.refusals.push({ by: refusal.by, at: iso(at.now), via: refusal.via, reason: refusal.reason });
  trim(state.refusals, REFUSAL_LIMIT);
  at.note(`refused ${refusal.by}: ${refusal.reason}`);
}

/** Records a decision; false when it repeats the one already recorded. */
export function decide(
  state: LeaveWorkflowState,
  decision: Omit<LeaveConfirmation, 'at' | 'note'> & { note?: string | undefined },
  at: Moment,
): boolean {
  const { by, as, via, note } = decision;
  if (state.confirmations[as]?.decision === decision.decision) return false;
  state.confirmations[as] = {
    by,
    as,
    decision: decision.decision,
    at: iso(at.now),
    via,
    ...(note ? { note } : {}),
  };
  if (as === 'buddy') {
    const candidate = [...state.candidates].reverse().find((c) => c.personId === by);
    if (candidate) candidate.outcome = decision.decision === 'approve' ? 'accepted' : 'declined';
  }
  at.note(
    `${as} ${by} ${decision.decision === 'approve' ? 'confirmed' : 'declined'}${note ? `: ${note}` : ''}`,
  );
  return true;
}

/** Who `personId` is for this request's confirmation, or why they cannot confirm it. */
export function confirmerRole(
  state: LeaveWorkflowState,
  requesterId: string,
  personId: string,
): { as: 'buddy' | 'manager' } | { refused: string } {
  if (personId === requesterId) return { refused: `${personId} cannot confirm their own leave` };
  if (state.buddy?.id === personId) return { as: 'buddy' };
  const context = contextOf(state);
  if (context.manager?.id === personId) return { as: 'manager' };
  const buddy = state.buddy ? (personIn(context, state.buddy.id)?.name ?? state.buddy.id) : 'nobody yet';
  const manager = context.manager?.name ?? 'nobody';
  return {
    refused: `${personId} is neither the covering buddy (${buddy}) nor the manager (${manager}) of this request`,
  };
}

export function validateConfirm(
  state: LeaveWorkflowState,
  workflowId: string,
  command: ConfirmLeaveCommand,
): Refusal | null {
  if (typeof command?.by !== 'string' || command.by.trim() === '')
    return { type: LeaveRefusals.invalid, message: 'by must name a person (their id)' };
  if (command.decision !== 'approve' && command.decision !== 'decline')
    return {
      type: LeaveRefusals.invalid,
      message: `decision must be approve or decline, got ${JSON.stringify(command.decision)}`,
    };
  if (state.phase !== 'awaiting-confirmation' && state.phase !== 'confirmed')
    return {
      type: LeaveRefusals.notAwaiting,
      message: `${workflowId} is ${state.phase}${state.reason ? ` (${state.reason})` : ''}: there is nothing to confirm`,
    };
  return null;
}

/**
 * A confirmation by command. Anyone but the buddy and the manager is refused, and the attempt
 * kept; an approval once the leave is confirmed changes nothing, a decline still counts.
 */
export function applyConfirm(
  state: LeaveWorkflowState,
  requesterId: string,
  command: ConfirmLeaveCommand,
  at: Moment,
): Applied {
  const role = confirmerRole(state, requesterId, command.by);
  if ('refused' in role) {
    recordRefusal(state, { by: command.by, via: 'command', reason: role.refused }, at);
    return { refused: role.refused };
  }
  if (command.decision === 'approve' && state.phase !== 'awaiting-confirmation') return { wake: false };
  const wake = decide(
    state,
    { by: command.by, as: role.as, decision: command.decision, via: 'command', note: command.note },
    at,
  );
  return { wake };
}

/**
 * An answer to one of the request's invites, seen in the sender's calendar. Only the invited
 * person's answer counts; an answer from anyone else is refused and kept; an older answer than
 * one applied is ignored. Returns whether the process has something new to act on.
 */
export function applyInviteAnswer(
  state: LeaveWorkflowState,
  requesterId: string,
  answer: InviteAnswered,
  at: Moment,
): boolean {
  const invite = state.events.find((e) => isInvite(e) && e.eventId === answer.eventId && e.status === 'live');
  if (!invite || !invite.personId) {
    at.note(`ignored an answer to event ${answer.eventId}: not an open invite of this request`);
    return false;
  }
  const newest = state.lastAnswerAt[answer.eventId] ?? 0;
  if (answer.occurredAt < newest) return false;
  state.lastAnswerAt[answer.eventId] = answer.occurredAt;
  const context = contextOf(state);
  const invited = personIn(context, invite.personId);
  if (!invited) return false;
  const from = answer.attendeeEmail.toLowerCase();
  if (from !== invited.email.toLowerCase()) {
    const who = [context.requester, ...context.peers].find((p) => p.email.toLowerCase() === from);
    const reason =
      who?.id === requesterId
        ? `${who.id} cannot confirm their own leave`
        : `${answer.attendeeEmail} answered the ${invite.kind} meant for ${invited.name}`;
    recordRefusal(state, { by: who?.id ?? answer.attendeeEmail, via: 'calendar', reason }, at);
    return true;
  }
  if (answer.response !== 'accepted' && answer.response !== 'declined') {
    at.note(
      `${invited.name} answered ${answer.response} to the ${invite.kind}: still waiting for a yes or no`,
    );
    return false;
  }
  const as = invite.kind === 'coverage-invite' ? 'buddy' : 'manager';
  if (as === 'buddy' && state.buddy?.id !== invited.id) return false;
  return decide(
    state,
    { by: invited.id, as, decision: answer.response === 'accepted' ? 'approve' : 'decline', via: 'calendar' },
    at,
  );
}

// ---- Dates and cancellation ------------------------------------------------------------

/** New dates wait for the next turn, which runs both gates again; the same dates change nothing. */
export function requestWindow(state: LeaveWorkflowState, next: LeaveWindow): boolean {
  const current = state.pendingWindow ?? state.window;
  if (current && sameWindow(current, next)) return false;
  state.pendingWindow = next;
  return true;
}

/**
 * The requester moved or deleted their out-of-office event. A change older than one applied is
 * ignored (deliveries come late and out of order); a deleted event cancels the request.
 */
export function applyOutOfOfficeChange(
  state: LeaveWorkflowState,
  requesterId: string,
  event: OutOfOfficeChanged,
  at: Moment,
): boolean {
  if (event.occurredAt < state.lastChangeAt) {
    at.note('ignored an out-of-office change older than one already applied');
    return false;
  }
  state.lastChangeAt = event.occurredAt;
  state.outOfOfficeEvent = { calendarId: event.calendarId, eventId: event.eventId };
  if (isTerminal(state)) return false;
  if (event.status === 'cancelled') {
    state.cancel ??= { by: requesterId, reason: 'the out-of-office event was deleted' };
    return true;
  }
  try {
    return requestWindow(state, normaliseWindow(event));
  } catch (error) {
    if (!(error instanceof LeaveInputError)) throw error;
    at.note(`ignored an out-of-office change: ${error.message}`);
    return false;
  }
}

export function validateMove(
  state: LeaveWorkflowState,
  workflowId: string,
  command: MoveLeaveCommand,
): Refusal | null {
  if (isTerminal(state))
    return { type: LeaveRefusals.finished, message: `${workflowId} is ${state.phase}: request leave again` };
  try {
    normaliseWindow(command);
  } catch (error) {
    if (error instanceof LeaveInputError) return { type: LeaveRefusals.invalid, message: error.message };
    throw error;
  }
  return null;
}

/** New dates by command; a calendar change older than the command is ignored afterwards. */
export function applyMove(state: LeaveWorkflowState, command: MoveLeaveCommand, at: Moment): boolean {
  state.lastChangeAt = Math.max(at.now, state.lastChangeAt);
  return requestWindow(state, normaliseWindow(command));
}

export function validateCancel(
  state: LeaveWorkflowState,
  workflowId: string,
  command: CancelLeaveCommand,
): Refusal | null {
  if (typeof command?.by !== 'string' || command.by.trim() === '')
    return { type: LeaveRefusals.invalid, message: 'by must name a person (their id)' };
  if (isTerminal(state))
    return { type: LeaveRefusals.finished, message: `${workflowId} is already ${state.phase}` };
  return null;
}

/** Only the requester and their management chain may cancel; anyone else is refused and kept. */
export function applyCancel(
  state: LeaveWorkflowState,
  requesterId: string,
  command: CancelLeaveCommand,
  at: Moment,
): Applied {
  const context = contextOf(state);
  const allowed = [requesterId, context.manager?.id, context.managersManager?.id].filter(
    (id) => id !== undefined,
  );
  if (!allowed.includes(command.by)) {
    const reason = `${command.by} cannot cancel ${context.requester.name}'s leave: only they or their management chain can`;
    recordRefusal(state, { by: command.by, via: 'command', reason }, at);
    return { refused: reason };
  }
  state.cancel ??= {
    by: command.by,
    reason: command.reason ? `cancelled by ${command.by}: ${command.reason}` : `cancelled by ${command.by}`,
  };
  return { wake: true };
}

// ---- Rounds ----------------------------------------------------------------------------

/** What a past round made, sent or heard needs no remembering once its events are removed. */
export function forgetPastRounds(state: LeaveWorkflowState, workflowId: string): void {
  state.events = state.events.filter((e) => e.status === 'live');
  const liveIds = new Set(state.events.map((e) => e.eventId));
  for (const id of Object.keys(state.lastAnswerAt)) if (!liveIds.has(id)) delete state.lastAnswerAt[id];
  state.sent = state.sent.filter((k) => !/^:r\d+:/.test(k.slice(workflowId.length)));
}

/** New dates: both gates from the start, nobody asked yet. */
export function beginRound(state: LeaveWorkflowState, next: LeaveWindow): void {
  state.window = next;
  state.round++;
  state.phase = 'checking';
  state.reason = null;
  state.gate1 = null;
  state.buddy = null;
  state.candidates = [];
  state.confirmations = { buddy: null, manager: null };
  state.managerInvitedAt = null;
  state.gateTwoSince = null;
  state.booked = null;
}

/** The buddy declined: nobody covers until the next candidate is asked. */
export function releaseBuddy(state: LeaveWorkflowState, wasConfirmed: boolean, now: number): void {
  state.buddy = null;
  state.confirmations.buddy = null;
  state.booked = null;
  state.phase = 'awaiting-confirmation';
  // A buddy who withdraws from a confirmed leave starts a fresh wait, not an expired one.
  if (wasConfirmed) state.gateTwoSince = now;
}

// ---- What others see -------------------------------------------------------------------

export function status(
  state: LeaveWorkflowState,
  workflowId: string,
  input: LeaveRequestInput,
): LeaveStatusView {
  const buddy = state.buddy && state.context ? personIn(state.context, state.buddy.id) : undefined;
  const manager = state.context?.manager;
  return {
    workflowId,
    personId: input.personId,
    personName: state.context?.requester.name ?? null,
    team: state.context?.team.id ?? null,
    source: input.source,
    phase: state.phase,
    window: state.window ? { ...state.window } : null,
    round: state.round,
    gate1: state.gate1 ? (JSON.parse(JSON.stringify(state.gate1)) as LeaveGateOne) : null,
    buddy: buddy ? { id: buddy.id, name: buddy.name } : null,
    manager: manager ? { id: manager.id, name: manager.name } : null,
    candidates: state.candidates.map((x) => ({ ...x })),
    confirmations: { ...state.confirmations },
    refusals: state.refusals.map((r) => ({ ...r })),
    events: state.events.map((e) => ({ ...e })),
    trackerPageId: state.trackerPageId,
    notices: state.notices.map((n) => ({ ...n, to: [...n.to] })),
    reason: state.reason,
    log: [...state.log],
  };
}
