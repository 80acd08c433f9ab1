/**
 * How messages change an engagement: `validate*` refuses a command with a reason naming the
 * field (an ApplicationFailure that fails the update, never the workflow), `apply*` changes the
 * state. Pure but for `note`, given the time: no activity runs here, the reconcile that follows
 * makes the world match.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';
import { compareDates, isValidDate, type CalendarDate } from '../../domain/business-calendar';
import {
  CommandDate,
  DeliveryId,
  LineText,
  NoteText,
  occurredAtSchema,
  parseCommand,
  PersonId,
  readMessage,
} from '../../domain/commands';
import { describeActor, OperatorAuthSchema } from '../../domain/operators';
import { startDateProblem } from '../../domain/onboarding-plan';
import { note } from '../entity-loop';
import {
  OnboardingRefusals,
  type Actor,
  type DecisionRecord,
  type IntakeEditedEvent,
  type InviteAnswered,
  type PersonRef,
  type TaskDoneEvent,
} from './messages';
import { ctx, recordDecision, recordRefusal, type OnboardingState } from './state';

const refuse = (message: string, type: string = OnboardingRefusals.invalid): never => {
  throw ApplicationFailure.nonRetryable(message, type);
};

const log = (state: OnboardingState, message: string) =>
  note(state, message, { freelancerId: state.input.freelancerId });

// ---- Shapes -----------------------------------------------------------------------------------

/** A tool id of `onboarding.tools`; which ones exist is checked against the configuration later. */
const ToolIds = z
  .array(LineText(64), { error: 'must be a list of tool ids' })
  .max(50, 'must name at most 50 tools');

/** Who gives a command: a person id, through the command line only, signed by an operator. */
const commandActor = {
  by: PersonId,
  via: z.literal('cli', {
    error:
      'must be cli: a change in Notion arrives as an edit of the intake page, a task done as its move in Jira, a buddy declining as an answer in Google Calendar',
  }),
  auth: OperatorAuthSchema.optional(),
};

/**
 * The shape of each command, checked by the update's validator before it enters history: a
 * person id, the command line, dates that exist, bounded text, no field it does not know.
 */
export const OnboardingCommandSchemas = {
  shiftStart: z.strictObject({ startDate: CommandDate, ...commandActor }),
  acceptProposedStart: z.strictObject(commandActor),
  changeEnd: z.strictObject({ endDate: CommandDate, ...commandActor }),
  letEnd: z.strictObject(commandActor),
  cancelOnboarding: z.strictObject({ reason: NoteText().optional(), ...commandActor }),
  changeTools: z.strictObject({ tools: ToolIds, ...commandActor }),
  declineBuddy: z.strictObject(commandActor),
};
export type OnboardingUpdateName = keyof typeof OnboardingCommandSchemas;

/** Refuses a command whose shape does not fit, naming the field and the problem. */
export function validateShape(update: OnboardingUpdateName, command: unknown): void {
  const parsed = parseCommand(OnboardingCommandSchemas[update], command, update);
  if (!parsed.ok) refuse(parsed.problem);
}

/** What every event from a tool may carry: when it happened (not from the future) and its delivery. */
const delivered = (now: number) => ({
  occurredAt: occurredAtSchema(now).optional(),
  deliveryId: DeliveryId.optional(),
});

/** An intake date as the Notion route reads it: a date, or empty when the page's field was cleared. */
const IntakeDate = z.union([CommandDate, z.literal('')], { error: 'must be a date written YYYY-MM-DD' });

/**
 * The shape of each signal, checked before the handler reads it: anyone who reaches Temporal can
 * signal, so a malformed or future-dated event is noted and ignored, never applied.
 */
export const OnboardingSignalSchemas = {
  taskDone: (now: number) =>
    z.strictObject({
      issueKey: z
        .string({ error: 'must be a Jira issue key' })
        .regex(/^[A-Z][A-Z0-9_]{0,49}-[1-9]\d{0,9}$/, 'must be a Jira issue key'),
      personId: PersonId.optional(),
      jiraAccountId: LineText(128).optional(),
      ...delivered(now),
    }),
  intakeEdited: (now: number) =>
    z.strictObject({
      startDate: IntakeDate.optional(),
      endDate: IntakeDate.optional(),
      tools: z.array(LineText(100), { error: 'must be a list of tool names' }).max(50).optional(),
      status: LineText(100).optional(),
      by: LineText(320),
      ...delivered(now),
    }),
  inviteAnswered: (now: number) =>
    z.strictObject({
      calendarId: LineText(320),
      eventId: LineText(1024),
      attendeeEmail: LineText(320),
      response: z.enum(['accepted', 'declined', 'tentative', 'needsAction'], {
        error: 'must be accepted, declined, tentative or needsAction',
      }),
      occurredAt: occurredAtSchema(now),
    }),
};
export type OnboardingSignalName = keyof typeof OnboardingSignalSchemas;

/** The signal as its schema reads it, or the problem in one line. */
export const parseSignal = <K extends OnboardingSignalName>(signal: K, event: unknown, now: number) =>
  readMessage(OnboardingSignalSchemas, signal, event, now);

/** "ana via cli (operator priya)": who decided, as the log, the status and the CLI name them. */
export const describe = (actor: Actor): string => describeActor(actor.by, actor.via, actor.operator);

/** The operator to record beside `by`: only one who signed for someone else. */
export const withOperator = (by: string, operator: string | undefined): { operator?: string } =>
  operator !== undefined && operator !== by ? { operator } : {};

function refuseIfOver(state: OnboardingState, what: string): void {
  if (state.closed) refuse(`the engagement is closed: cannot ${what}`, OnboardingRefusals.finished);
  if (state.cancelled) refuse(`the engagement was cancelled: cannot ${what}`, OnboardingRefusals.finished);
}

/** The hiring manager and the manager above them decide; the coordinator may too where `coordinator`. */
function refuseUnlessDecider(state: OnboardingState, actor: Actor, what: string, coordinator = false): void {
  const c = ctx(state);
  const allowed: PersonRef[] = [c.manager, ...(c.managersManager ? [c.managersManager] : [])];
  if (coordinator && c.coordinator) allowed.push(c.coordinator);
  if (allowed.some((p) => p.id === actor.by)) return;
  refuseOnRecord(
    state,
    actor,
    `"${actor.by}" cannot ${what}: only ${allowed.map((p) => p.id).join(' or ')} can`,
  );
}

/** Refuses what `actor` asked, keeping the refusal on the record with who tried. */
function refuseOnRecord(state: OnboardingState, actor: Actor, reason: string): never {
  recordRefusal(state, {
    by: actor.by,
    via: actor.via,
    ...withOperator(actor.by, actor.operator),
    at: isoNow(),
    reason,
  });
  return refuse(reason, OnboardingRefusals.notAllowed);
}

const isoNow = () => new Date(Date.now()).toISOString();

function decide(state: OnboardingState, what: DecisionRecord['what'], actor: Actor, detail: string): void {
  recordDecision(state, {
    what,
    by: actor.by,
    via: actor.via,
    ...withOperator(actor.by, actor.operator),
    at: isoNow(),
    detail,
  });
  log(state, `${detail} (by ${describe(actor)})`);
}

// ---- The start date -------------------------------------------------------------------------

/** Why `startDate` cannot be the new start, or null. */
export function startShiftProblem(
  state: OnboardingState,
  startDate: CalendarDate,
  today: CalendarDate,
): string | null {
  if (state.started) return `the engagement started on ${state.startDate}: its start cannot move`;
  const problem = startDateProblem(ctx(state).calendar, startDate);
  if (problem) return problem;
  if (compareDates(startDate, today) < 0) return `start date ${startDate} is in the past (today is ${today})`;
  if (compareDates(startDate, state.endDate) > 0)
    return `start date ${startDate} is after the contract end ${state.endDate}: extend the end first`;
  return null;
}

export function validateShift(
  state: OnboardingState,
  command: { startDate: CalendarDate } & Actor,
  today: CalendarDate,
): void {
  refuseIfOver(state, 'move its start');
  refuseUnlessDecider(state, command, 'move the start');
  const problem = startShiftProblem(state, command.startDate, today);
  if (problem) refuse(problem);
}

/** Moves the start; every date is re-planned from it, and what exists is patched by reconcile. */
export function applyShift(
  state: OnboardingState,
  startDate: CalendarDate,
  actor: Actor,
  what: 'shift-start' | 'accept-start',
): void {
  if (startDate === state.startDate) {
    state.proposal = null;
    state.flags.startAtRisk = false;
    return;
  }
  const from = state.startDate;
  state.startDate = startDate;
  state.proposal = null;
  state.flags.startAtRisk = false;
  // The buddy date may now lie ahead again; a named buddy stays, their events move.
  decide(
    state,
    what,
    actor,
    what === 'accept-start'
      ? `accepted the proposed start ${startDate} (was ${from})`
      : `start moved from ${from} to ${startDate}`,
  );
}

export function validateAccept(state: OnboardingState, actor: Actor): void {
  refuseIfOver(state, 'accept a proposed start');
  refuseUnlessDecider(state, actor, 'accept a proposed start');
  if (!state.proposal) refuse('there is no proposed start to accept', OnboardingRefusals.notAllowed);
}

// ---- The end date ---------------------------------------------------------------------------

export function endChangeProblem(
  state: OnboardingState,
  endDate: CalendarDate,
  today: CalendarDate,
): string | null {
  if (state.endSettled && compareDates(today, state.endDate) > 0)
    return `the engagement ended on ${state.endDate}: its end cannot move`;
  if (!isValidDate(endDate)) return `end date ${JSON.stringify(endDate)} is not a date written YYYY-MM-DD`;
  if (compareDates(endDate, state.startDate) < 0)
    return `end date ${endDate} is before the start date ${state.startDate}`;
  if (compareDates(endDate, today) < 0) return `end date ${endDate} is in the past (today is ${today})`;
  return null;
}

export function validateChangeEnd(
  state: OnboardingState,
  command: { endDate: CalendarDate } & Actor,
  today: CalendarDate,
): void {
  refuseIfOver(state, 'change its end');
  refuseUnlessDecider(state, command, 'extend the engagement');
  const problem = endChangeProblem(state, command.endDate, today);
  if (problem) refuse(problem);
}

/** A new end date re-plans offboarding; an end already let go is open again. */
export function applyChangeEnd(state: OnboardingState, endDate: CalendarDate, actor: Actor): void {
  if (endDate === state.endDate) return;
  const from = state.endDate;
  state.endDate = endDate;
  state.endSettled = false;
  state.endDecision = null;
  decide(
    state,
    'change-end',
    actor,
    compareDates(endDate, from) > 0
      ? `extended from ${from} to ${endDate}`
      : `end moved from ${from} to ${endDate}`,
  );
}

export function validateLetEnd(state: OnboardingState, actor: Actor): void {
  refuseIfOver(state, 'let it end');
  refuseUnlessDecider(state, actor, 'let the engagement end');
  if (!state.started)
    refuse('the engagement has not started: cancel it instead', OnboardingRefusals.notAllowed);
}

export function applyLetEnd(state: OnboardingState, actor: Actor): void {
  if (state.endSettled) return;
  state.endSettled = true;
  state.endDecision = 'let-end';
  state.extensionAskedFor = state.endDate;
  decide(state, 'let-end', actor, `let the engagement end on ${state.endDate}`);
}

// ---- Cancellation and early end -------------------------------------------------------------

export function validateCancel(state: OnboardingState, actor: Actor): void {
  refuseIfOver(state, 'cancel it');
  refuseUnlessDecider(state, actor, 'cancel the engagement', true);
}

/** Before the start: cancelled. After it: ended early, offboarding at once. */
export function applyCancel(
  state: OnboardingState,
  actor: Actor,
  reason: string | null,
  today: CalendarDate,
): void {
  if (state.cancelled || state.closed) return;
  if (!state.started) {
    state.cancelled = {
      by: actor.by,
      via: actor.via,
      ...withOperator(actor.by, actor.operator),
      reason,
      at: isoNow(),
      beforeStart: true,
    };
    state.endSettled = true;
    state.proposal = null;
    state.flags.startAtRisk = false;
    state.reason = `cancelled before the start${reason ? `: ${reason}` : ''}`;
    decide(state, 'cancel', actor, state.reason);
    return;
  }
  if (compareDates(today, state.endDate) < 0) state.endDate = today;
  state.endSettled = true;
  state.extensionAskedFor = state.endDate;
  state.reason = `ended early on ${state.endDate}${reason ? `: ${reason}` : ''}`;
  decide(state, 'end-early', actor, state.reason);
}

// ---- Tools ----------------------------------------------------------------------------------

export function toolsProblem(state: OnboardingState, tools: unknown): string | null {
  if (!Array.isArray(tools) || tools.some((t) => typeof t !== 'string'))
    return 'tools must be a list of tool ids';
  const known = ctx(state).tools;
  const unknown = (tools as string[]).filter((t) => !Object.hasOwn(known, t));
  if (unknown.length > 0)
    return `tools: ${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length === 1 ? 'is not a tool' : 'are not tools'} of onboarding.tools (${Object.keys(known).join(', ')})`;
  return null;
}

export function validateTools(state: OnboardingState, command: { tools: string[] } & Actor): void {
  refuseIfOver(state, 'change its tools');
  if (state.endSettled)
    refuse('the engagement is ending: its tools no longer change', OnboardingRefusals.notAllowed);
  refuseUnlessDecider(state, command, 'change the tools', true);
  const problem = toolsProblem(state, command.tools);
  if (problem) refuse(problem);
}

export function applyTools(state: OnboardingState, tools: string[], actor: Actor): void {
  const next = [...new Set(tools)].sort();
  if (next.join(',') === [...state.tools].sort().join(',')) return;
  const added = next.filter((t) => !state.tools.includes(t));
  const dropped = state.tools.filter((t) => !next.includes(t));
  state.tools = next;
  decide(
    state,
    'tools',
    actor,
    `tools changed${added.length ? `, added ${added.join(', ')}` : ''}${dropped.length ? `, dropped ${dropped.join(', ')}` : ''}`,
  );
}

// ---- Events from tools ----------------------------------------------------------------------

/** A task moved to Done in Jira: the dependency is met, by the account the webhook names. */
export function applyTaskDone(state: OnboardingState, event: TaskDoneEvent, today: CalendarDate): boolean {
  const t = state.tasks.find((x) => x.issueKey === event.issueKey);
  if (!t) {
    log(state, `ignored ${event.issueKey} moved to Done: not a task of this engagement`);
    return false;
  }
  if (t.status !== 'open') return false;
  t.status = 'done';
  t.doneOn = today;
  t.doneBy = { by: event.personId ?? `jira:${event.jiraAccountId ?? 'unknown'}`, via: 'jira' };
  log(state, `${t.id} done in Jira (${t.issueKey}) by ${t.doneBy.by}`);
  return true;
}

/** The configured person of the engagement's context with this Jira account, if any. */
export function personWithJiraAccount(
  state: OnboardingState,
  accountId: string | null,
): PersonRef | undefined {
  if (accountId === null) return undefined;
  const c = ctx(state);
  const known: (PersonRef | null)[] = [
    c.manager,
    c.managersManager,
    c.coordinator,
    ...Object.values(c.owners).map((o) => o.lead),
    ...c.buddyCandidates,
  ];
  return known.find((p): p is PersonRef => p !== null && p.jiraAccountId === accountId);
}

/**
 * The intake page as it now is: a moved start or end, changed tools or a Cancelled status are
 * applied as the commands would be, by the page's author. What cannot be applied is refused and
 * kept on the record.
 */
export function applyIntakeEdit(state: OnboardingState, event: IntakeEditedEvent, today: CalendarDate): void {
  if (event.occurredAt !== undefined) {
    if (event.occurredAt < state.lastEventAt.intake) return;
    state.lastEventAt.intake = event.occurredAt;
  }
  if (state.closed || state.cancelled) return;
  const actor: Actor = { by: event.by, via: 'notion' };
  const pageValues = state.applied.tracker.values;
  const refused = (reason: string) => {
    recordRefusal(state, { by: event.by, via: 'notion', at: isoNow(), reason });
    log(state, `refused a Notion edit by ${event.by}: ${reason}`);
  };
  if (event.status === 'Cancelled') {
    applyCancel(state, actor, 'the intake page was set to Cancelled', today);
    if (pageValues) pageValues.Status = 'Cancelled';
    return;
  }
  if (event.startDate !== undefined && event.startDate !== state.startDate) {
    const problem = startShiftProblem(state, event.startDate, today);
    if (problem) refused(problem);
    else applyShift(state, event.startDate, actor, 'shift-start');
    if (pageValues) pageValues['Start date'] = event.startDate;
  }
  if (event.endDate !== undefined && event.endDate !== state.endDate) {
    const problem = endChangeProblem(state, event.endDate, today);
    if (problem) refused(problem);
    else applyChangeEnd(state, event.endDate, actor);
    if (pageValues) pageValues['Contract end'] = event.endDate;
  }
  if (event.tools !== undefined && !state.endSettled) {
    const problem = toolsProblem(state, event.tools);
    if (problem) refused(problem);
    else applyTools(state, event.tools, actor);
  }
}

/**
 * An answer to the welcome session: the freelancer declining is reported to the manager; the
 * buddy declining hands the role to the next candidate.
 */
export function applyInviteAnswer(state: OnboardingState, answer: InviteAnswered): void {
  const email = answer.attendeeEmail.toLowerCase();
  const seen = state.lastEventAt.invites[`${answer.eventId}:${email}`] ?? 0;
  if (answer.occurredAt < seen) return;
  state.lastEventAt.invites[`${answer.eventId}:${email}`] = answer.occurredAt;
  if (answer.response !== 'declined' || state.closed || state.cancelled) return;
  if (email === state.input.email.toLowerCase()) {
    state.freelancerDeclined = state.applied.events.welcome ?? state.startDate;
    log(state, `${state.input.name} declined the welcome session`);
    return;
  }
  if (state.buddy && email === state.buddy.email.toLowerCase())
    applyBuddyDeclined(state, { by: state.buddy.id, via: 'calendar' });
}

export function validateBuddyDecline(state: OnboardingState, actor: Actor): void {
  refuseIfOver(state, 'decline the buddy role');
  if (!state.buddy) refuse('no buddy is named yet', OnboardingRefusals.notAllowed);
  if (state.buddy!.id !== actor.by) {
    refuseOnRecord(
      state,
      actor,
      `"${actor.by}" is not the buddy (${state.buddy!.id}): only the buddy can decline`,
    );
  }
}

export function applyBuddyDeclined(state: OnboardingState, actor: Actor): void {
  const buddy = state.buddy;
  if (!buddy) return;
  state.declinedBuddies.push(buddy.id);
  state.buddy = chooseBuddy(state);
  decide(
    state,
    'buddy-declined',
    actor,
    `${buddy.name} declined to be the buddy${state.buddy ? `: ${state.buddy.name} is asked instead` : ': nobody is left to ask'}`,
  );
}

/** The first candidate who has not declined and is not the manager; null when none is left. */
export function chooseBuddy(state: OnboardingState): PersonRef | null {
  const c = ctx(state);
  return (
    c.buddyCandidates.find((p) => p.id !== c.manager.id && !state.declinedBuddies.includes(p.id)) ?? null
  );
}
