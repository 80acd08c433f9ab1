/**
 * How messages change an engagement: `validate*` refuses a command with a reason naming the
 * field (an ApplicationFailure that fails the update, never the workflow), `apply*` changes the
 * state. Pure but for `note`, given the time: no activity runs here, the reconcile that follows
 * makes the world match.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { compareDates, isValidDate, type CalendarDate } from '../../domain/business-calendar';
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
  type Via,
} from './messages';
import { ctx, recordDecision, recordRefusal, type OnboardingState } from './state';

const VIAS: readonly Via[] = ['cli', 'jira', 'calendar', 'notion'];

const refuse = (message: string, type: string = OnboardingRefusals.invalid): never => {
  throw ApplicationFailure.nonRetryable(message, type);
};

const log = (state: OnboardingState, message: string) =>
  note(state, message, { freelancerId: state.input.freelancerId });

/** Checks every command can make before the context is loaded: who, through what, what shape. */
export function validateActor(actor: Partial<Actor> | undefined): void {
  if (typeof actor?.by !== 'string' || actor.by.trim() === '')
    refuse('by must name who decides (a person id)');
  if (!VIAS.includes(actor!.via as Via))
    refuse(`via must be one of ${VIAS.join(', ')}, got ${JSON.stringify(actor!.via)}`);
}

export function validateDateField(value: unknown, field: string): void {
  if (!isValidDate(value)) refuse(`${field} must be a date written YYYY-MM-DD, got ${JSON.stringify(value)}`);
}

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
  const reason = `"${actor.by}" cannot ${what}: only ${allowed.map((p) => p.id).join(' or ')} can`;
  recordRefusal(state, { by: actor.by, via: actor.via, at: isoNow(), reason });
  refuse(reason, OnboardingRefusals.notAllowed);
}

const isoNow = () => new Date(Date.now()).toISOString();

function decide(state: OnboardingState, what: DecisionRecord['what'], actor: Actor, detail: string): void {
  recordDecision(state, { what, by: actor.by, via: actor.via, at: isoNow(), detail });
  log(state, `${detail} (by ${actor.by} via ${actor.via})`);
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
    state.cancelled = { by: actor.by, via: actor.via, reason, at: isoNow(), beforeStart: true };
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
    const reason = `"${actor.by}" is not the buddy (${state.buddy!.id}): only the buddy can decline`;
    recordRefusal(state, { by: actor.by, via: actor.via, at: isoNow(), reason });
    refuse(reason, OnboardingRefusals.notAllowed);
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
