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
import { z } from 'zod';
import { CommandDate, NoteText, parseCommand, PersonId, occurredAtSchema } from '../../domain/commands';
import {
  mayActFor,
  OperatorAuthSchema,
  type OperatorCapacity,
  type OperatorGrant,
} from '../../domain/operators';
import type { Journal } from '../entity-loop';
import { precheckOperator, scopeOf, type IdentityState } from '../operator-identity';
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
export interface LeaveWorkflowState extends Pick<Journal, 'log' | 'sent'>, IdentityState {
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
  state.refusals.push({
    by: refusal.by,
    at: iso(at.now),
    via: refusal.via,
    reason: refusal.reason,
    ...(refusal.operator !== undefined ? { operator: refusal.operator } : {}),
  });
  trim(state.refusals, REFUSAL_LIMIT);
  at.note(
    `refused ${refusal.by}${refusal.operator !== undefined && refusal.operator !== refusal.by ? ` (operator ${refusal.operator})` : ''}: ${refusal.reason}`,
  );
}

/** Records a decision; false when it repeats the one already recorded. */
export function decide(
  state: LeaveWorkflowState,
  decision: Omit<LeaveConfirmation, 'at' | 'note' | 'operator'> & {
    note?: string | undefined;
    operator?: string | undefined;
  },
  at: Moment,
): boolean {
  const { by, as, via, note, operator } = decision;
  if (state.confirmations[as]?.decision === decision.decision) return false;
  state.confirmations[as] = {
    by,
    as,
    decision: decision.decision,
    at: iso(at.now),
    via,
    ...(note ? { note } : {}),
    ...(operator !== undefined && operator !== by ? { operator } : {}),
  };
  if (as === 'buddy') {
    const candidate = [...state.candidates].reverse().find((c) => c.personId === by);
    if (candidate) candidate.outcome = decision.decision === 'approve' ? 'accepted' : 'declined';
  }
  const actor =
    operator !== undefined && operator !== by ? ` via ${via} (operator ${operator})` : ` via ${via}`;
  at.note(
    `${as} ${by} ${decision.decision === 'approve' ? 'confirmed' : 'declined'}${actor}${note ? `: ${note}` : ''}`,
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

// ---- Commands: their shape, who sent them ----------------------------------------------

const DayPartSchema = z.enum(['full', 'morning', 'afternoon'], {
  error: 'must be full, morning or afternoon',
});

export const ConfirmLeaveSchema = z.strictObject({
  by: PersonId.optional(),
  decision: z.enum(['approve', 'decline'], { error: 'must be approve or decline' }),
  note: NoteText().optional(),
  auth: OperatorAuthSchema.optional(),
});

export const MoveLeaveSchema = z.strictObject({
  from: CommandDate,
  to: CommandDate,
  firstDay: DayPartSchema.optional(),
  lastDay: DayPartSchema.optional(),
  by: PersonId.optional(),
  auth: OperatorAuthSchema.optional(),
});

export const CancelLeaveSchema = z.strictObject({
  by: PersonId.optional(),
  reason: NoteText().optional(),
  auth: OperatorAuthSchema.optional(),
});

/** The update names commands are signed for. */
export const LEAVE_UPDATES = { confirm: 'confirmLeave', move: 'moveLeave', cancel: 'cancelLeave' } as const;

/**
 * A command's shape, and who signed it as far as the state can tell; null when it may go on to
 * the handler (which decides whether this run still takes unsigned commands at all).
 */
function validateCommand(
  state: LeaveWorkflowState,
  workflowId: string,
  update: string,
  schema: z.ZodType,
  command: unknown,
  now: number,
): Refusal | null {
  const parsed = parseCommand(schema, command, update);
  if (!parsed.ok) return { type: LeaveRefusals.invalid, message: parsed.problem };
  const value = parsed.value as { by?: string; auth?: z.infer<typeof OperatorAuthSchema> };
  const identity = precheckOperator(state, value.auth, scopeOf(workflowId, update, value), now);
  return identity ? { type: LeaveRefusals.unauthenticated, message: identity } : null;
}

export function validateConfirm(
  state: LeaveWorkflowState,
  workflowId: string,
  command: ConfirmLeaveCommand,
  now: number = Date.now(),
): Refusal | null {
  const invalid = validateCommand(state, workflowId, LEAVE_UPDATES.confirm, ConfirmLeaveSchema, command, now);
  if (invalid) return invalid;
  if (state.phase !== 'awaiting-confirmation' && state.phase !== 'confirmed')
    return {
      type: LeaveRefusals.notAwaiting,
      message: `${workflowId} is ${state.phase}${state.reason ? ` (${state.reason})` : ''}: there is nothing to confirm`,
    };
  return null;
}

/**
 * Who a command speaks for (`by`, else the operator), and whether the operator may: themselves
 * always, anyone else in the capacity their grant names. `operator` is null for a command from
 * before signatures, which was taken at its word.
 */
function actingFor(
  command: { by?: string | undefined },
  operator: OperatorGrant | null,
  capacity: OperatorCapacity,
): { by: string } | { refused: string; by: string } {
  const by = command.by ?? operator?.id ?? '';
  if (!operator) return { by };
  const refused = mayActFor(operator, by, capacity);
  return refused ? { refused, by } : { by };
}

/**
 * A confirmation by command. Anyone but the buddy and the manager is refused, and the attempt
 * kept, as is an operator acting for one of them without the grant; an approval once the leave
 * is confirmed changes nothing, a decline still counts.
 */
export function applyConfirm(
  state: LeaveWorkflowState,
  requesterId: string,
  command: ConfirmLeaveCommand,
  at: Moment,
  operator: OperatorGrant | null = null,
): Applied {
  const by = command.by ?? operator?.id ?? '';
  const refuse = (reason: string): Applied => {
    recordRefusal(state, { by, via: 'command', reason, ...(operator ? { operator: operator.id } : {}) }, at);
    return { refused: reason };
  };
  const role = confirmerRole(state, requesterId, by);
  if ('refused' in role) return refuse(role.refused);
  const acting = actingFor(command, operator, role.as);
  if ('refused' in acting) return refuse(acting.refused);
  if (command.decision === 'approve' && state.phase !== 'awaiting-confirmation') return { wake: false };
  const wake = decide(
    state,
    {
      by,
      as: role.as,
      decision: command.decision,
      via: 'command',
      note: command.note,
      ...(operator ? { operator: operator.id } : {}),
    },
    at,
  );
  return { wake };
}

/** What Google Calendar holds for an invite, read on the sender's calendar (the vendor's truth). */
export interface InviteTruth {
  found: boolean;
  status: string;
  organizer: string | null;
  prodopsKey: string | null;
  updated: number | null;
  attendees: { email: string; responseStatus: string }[];
}

/** A signal's shape; a malformed one is ignored with a note, never a failed workflow task. */
export const InviteAnsweredSchema = (now: number) =>
  z.strictObject({
    calendarId: z.string().min(1).max(320),
    eventId: z.string().min(1).max(1024),
    attendeeEmail: z.string().min(3).max(320),
    response: z.enum(['accepted', 'declined', 'tentative', 'needsAction']),
    occurredAt: occurredAtSchema(now),
  });

export const OutOfOfficeChangedSchema = (now: number) =>
  z.strictObject({
    calendarId: z.string().min(1).max(320),
    eventId: z.string().min(1).max(1024),
    status: z.enum(['confirmed', 'cancelled']),
    from: CommandDate,
    to: CommandDate,
    firstDay: DayPartSchema.optional(),
    lastDay: DayPartSchema.optional(),
    occurredAt: occurredAtSchema(now),
  });

/** The open invite an answer names, when it came from the calendar that invite is on. */
export function inviteFor(
  state: LeaveWorkflowState,
  answer: InviteAnswered,
  at: Moment,
): LeaveEventRecord | { refused: string } | null {
  const invite = state.events.find((e) => isInvite(e) && e.eventId === answer.eventId && e.status === 'live');
  if (!invite || !invite.personId) {
    at.note(`ignored an answer to event ${answer.eventId}: not an open invite of this request`);
    return null;
  }
  // The invite lives on the sender's calendar: the same id anywhere else is somebody's look-alike.
  if (answer.calendarId.toLowerCase() !== invite.calendarId.toLowerCase())
    return {
      refused: `an answer to the ${invite.kind} came from an event on ${answer.calendarId}, not the invite prodops sent from ${invite.calendarId}`,
    };
  return invite;
}

/**
 * An answer to one of the request's invites, seen in the sender's calendar. Only the invited
 * person's answer counts; an answer from anyone else is refused and kept; an older answer than
 * one applied is ignored. Returns whether the process has something new to act on.
 *
 * `truth` is the invite as Google Calendar holds it, read again by the workflow: what counts is
 * the invited person's answer there, on prodops' own event. Without it (a run from before that
 * check) the signal is taken as it came, from the right calendar only.
 */
export function applyInviteAnswer(
  state: LeaveWorkflowState,
  requesterId: string,
  answer: InviteAnswered,
  at: Moment,
  truth?: InviteTruth,
): boolean {
  const found = inviteFor(state, answer, at);
  if (found === null) return false;
  const context = contextOf(state);
  const who = (email: string) =>
    [context.requester, ...context.peers, context.manager, context.managersManager].find(
      (p) => p?.email.toLowerCase() === email.toLowerCase(),
    ) ?? undefined;
  const refuse = (by: string, reason: string): boolean => {
    recordRefusal(state, { by, via: 'calendar', reason }, at);
    return true;
  };
  if ('refused' in found) return refuse(who(answer.attendeeEmail)?.id ?? answer.attendeeEmail, found.refused);
  const invite = found;
  const invited = personIn(context, invite.personId!);
  if (!invited) return false;

  let response: InviteAnswered['response'] = answer.response;
  let occurredAt = answer.occurredAt;
  if (truth) {
    const own =
      truth.found &&
      truth.status !== 'cancelled' &&
      truth.prodopsKey === invite.idempotencyKey &&
      truth.organizer === invite.calendarId.toLowerCase();
    if (!own)
      return refuse(
        who(answer.attendeeEmail)?.id ?? answer.attendeeEmail,
        `Google Calendar does not hold the ${invite.kind} prodops sent as event ${invite.eventId} on ${invite.calendarId}: the answer does not count`,
      );
    const claimed = truth.attendees.find((a) => a.email === answer.attendeeEmail.toLowerCase());
    const mine = truth.attendees.find((a) => a.email === invited.email.toLowerCase());
    if (answer.attendeeEmail.toLowerCase() !== invited.email.toLowerCase()) {
      // Someone else on the invite (forwarded to them) answered it: kept, never counted.
      if (!claimed || claimed.responseStatus === 'needsAction') {
        at.note(`ignored an answer from ${answer.attendeeEmail}: Google Calendar shows none`);
        return false;
      }
    } else {
      const actual = (mine?.responseStatus ?? 'needsAction') as InviteAnswered['response'];
      if (actual !== answer.response && (answer.response === 'accepted' || answer.response === 'declined')) {
        if (actual !== 'accepted' && actual !== 'declined')
          return refuse(
            invited.id,
            `an answer "${answer.response}" to the ${invite.kind} is not what Google Calendar shows (${actual}): it does not count`,
          );
        at.note(
          `${invited.name}'s answer is ${actual} in Google Calendar, not ${answer.response}: ${actual} counts`,
        );
      }
      response = actual;
    }
    occurredAt = truth.updated ?? answer.occurredAt;
  }

  const newest = state.lastAnswerAt[invite.eventId] ?? 0;
  if (occurredAt < newest) return false;
  state.lastAnswerAt[invite.eventId] = occurredAt;
  const from = answer.attendeeEmail.toLowerCase();
  if (from !== invited.email.toLowerCase()) {
    const other = who(from);
    const reason =
      other?.id === requesterId
        ? `${other.id} cannot confirm their own leave`
        : `${answer.attendeeEmail} answered the ${invite.kind} meant for ${invited.name}`;
    return refuse(other?.id ?? answer.attendeeEmail, reason);
  }
  if (response !== 'accepted' && response !== 'declined') {
    at.note(`${invited.name} answered ${response} to the ${invite.kind}: still waiting for a yes or no`);
    return false;
  }
  const as = invite.kind === 'coverage-invite' ? 'buddy' : 'manager';
  if (as === 'buddy' && state.buddy?.id !== invited.id) return false;
  return decide(
    state,
    { by: invited.id, as, decision: response === 'accepted' ? 'approve' : 'decline', via: 'calendar' },
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
  now: number = Date.now(),
): Refusal | null {
  const invalid = validateCommand(state, workflowId, LEAVE_UPDATES.move, MoveLeaveSchema, command, now);
  if (invalid) return invalid;
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

/**
 * Whether the operator may move the request: the requester, or an operator granted to act for
 * them. Null for a command from before signatures. Needs the context (the requester).
 */
export function refuseMove(
  state: LeaveWorkflowState,
  requesterId: string,
  command: MoveLeaveCommand,
  at: Moment,
  operator: OperatorGrant | null,
): string | null {
  if (!operator) return null;
  const acting = actingFor(command, operator, 'requester');
  const reason =
    'refused' in acting
      ? acting.refused
      : acting.by !== requesterId
        ? `${acting.by} cannot move ${contextOf(state).requester.name}'s leave: only they can (or an operator acting for them)`
        : null;
  if (reason) recordRefusal(state, { by: acting.by, via: 'command', reason, operator: operator.id }, at);
  return reason;
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
  now: number = Date.now(),
): Refusal | null {
  const invalid = validateCommand(state, workflowId, LEAVE_UPDATES.cancel, CancelLeaveSchema, command, now);
  if (invalid) return invalid;
  if (isTerminal(state))
    return { type: LeaveRefusals.finished, message: `${workflowId} is already ${state.phase}` };
  return null;
}

/**
 * Only the requester and their management chain may cancel, or an operator acting for them as
 * their grant allows; anyone else is refused and kept.
 */
export function applyCancel(
  state: LeaveWorkflowState,
  requesterId: string,
  command: CancelLeaveCommand,
  at: Moment,
  operator: OperatorGrant | null = null,
): Applied {
  const context = contextOf(state);
  const by = command.by ?? operator?.id ?? '';
  const refuse = (reason: string): Applied => {
    recordRefusal(state, { by, via: 'command', reason, ...(operator ? { operator: operator.id } : {}) }, at);
    return { refused: reason };
  };
  const chain = [context.manager?.id, context.managersManager?.id].filter((id) => id !== undefined);
  if (by !== requesterId && !chain.includes(by))
    return refuse(
      `${by} cannot cancel ${context.requester.name}'s leave: only they or their management chain can`,
    );
  const acting = actingFor(command, operator, by === requesterId ? 'requester' : 'manager');
  if ('refused' in acting) return refuse(acting.refused);
  const actor = operator && operator.id !== by ? ` (operator ${operator.id})` : '';
  state.cancel ??= {
    by,
    reason: command.reason ? `cancelled by ${by}${actor}: ${command.reason}` : `cancelled by ${by}${actor}`,
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
