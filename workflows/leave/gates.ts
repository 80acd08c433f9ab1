/**
 * Gate 1, the hard availability block, and the covering buddy.
 *
 * Gate 1: the requester owns no Tier 2/3 launch, readiness check or retro in the window; the team
 * keeps its minimum of the role on duty (judged and reserved at the team coordinator, one
 * request at a time); no blackout is touched. Nobody can wave it through: a refusal names every
 * reason and the nearby windows that would pass. It runs again when both have confirmed.
 *
 * The buddy shares the role, is not the manager and is on duty every working day of the window;
 * the configured buddy first, then the team, then whoever covered least recently.
 */
import { localDateOf } from '../../domain/business-calendar';
import {
  blackoutConflicts,
  calendarOf,
  coverageReason,
  coverageRequestFor,
  contextCovers,
  describeWindow,
  emptyWindowReason,
  evaluateGateOne,
  offDutyReason,
  rankCandidates,
  releaseConflicts,
  suggestAlternatives,
  windowInstants,
  type CoveragePerson,
  type GateReason,
  type LeaveWindow,
  type RankedCandidate,
  type ReleaseCommitment,
  type TeamReservation,
} from '../../domain/coverage';
import { attempt } from '../entity-loop';
import { blockedNotice, inviteTexts } from './notices';
import { notify, releaseHold, type LeaveRun } from './effects';
import { removeEvents, syncTracker, upsertEvent } from './booking';
import { contextOf, partiesOf, personIn, requesterCalendar, roundKey, windowOf } from './state';

/**
 * Loads who the requester is, their team and calendars, again when new dates fall outside the
 * years it holds. A request that cannot be read is blocked.
 */
export async function loadContext(run: LeaveRun): Promise<boolean> {
  const { state } = run;
  const w = state.window;
  if (state.context && (!w || contextCovers(state.context, w))) return true;
  const first = Number((w?.from ?? localDateOf(Date.now(), 'UTC')).slice(0, 4));
  const last = Number((w?.to ?? `${first}`).slice(0, 4));
  const loaded = await attempt(
    () =>
      run.effects.leave.loadLeaveContext({
        personId: run.input.personId,
        years: { from: first - 1, to: last + 1 },
      }),
    (cause) => {
      state.phase = 'blocked';
      state.reason = `the request cannot be read: ${cause}`;
      run.effects.note(`blocked: ${state.reason}`);
    },
  );
  if (!loaded) return false;
  state.context = loaded;
  return true;
}

/**
 * Stops the round: nothing stays held or booked, the requester is told why. Gate 1 refusals
 * never reached anyone else, so only what gate 2 made is removed.
 */
export async function block(
  run: LeaveRun,
  kind: string,
  reasons: GateReason[],
  alternatives: LeaveWindow[] = [],
): Promise<void> {
  const { state } = run;
  state.phase = 'blocked';
  state.reason = reasons.map((r) => r.message).join('; ');
  run.effects.note(`blocked: ${state.reason}`);
  await removeEvents(run, () => true);
  await releaseHold(run);
  if (state.trackerPageId) await syncTracker(run, 'Declined');
  await notify(
    run,
    roundKey(run.workflowId, state, `blocked:${kind}`),
    'blocked',
    [contextOf(state).requester],
    blockedNotice(partiesOf(state), reasons, alternatives),
  );
}

/**
 * Runs a step whose look-ups must succeed. One that failed past its retries blocks the round:
 * gates that cannot be checked do not pass.
 */
export async function guarded(run: LeaveRun, step: (run: LeaveRun) => Promise<void>): Promise<void> {
  let failed: string | undefined;
  await attempt(
    () => step(run),
    (cause) => {
      failed = cause;
    },
  );
  if (failed !== undefined)
    await block(run, 'unavailable', [
      { kind: 'unavailable', message: `the checks could not run: ${failed}`, dates: [] },
    ]);
}

/** The coordinator's view of this request: who of the role is on duty, and the team's minimum. */
function reservationRequest(run: LeaveRun) {
  const context = contextOf(run.state);
  const w = windowOf(run.state);
  const request = coverageRequestFor(context, w);
  return {
    workflowId: run.workflowId,
    personId: run.input.personId,
    role: context.requester.role,
    from: w.from,
    to: w.to,
    fullDays: request.fullDays,
    days: request.days.map((d) => d.date),
    onDuty: request.onDuty,
    minimum: request.minimum,
  };
}

export async function runGateOne(run: LeaveRun): Promise<void> {
  const { state, effects } = run;
  const context = contextOf(state);
  const w = windowOf(state);
  const empty = emptyWindowReason(coverageRequestFor(context, w).days);
  let commitments: ReleaseCommitment[] = [];
  let others: TeamReservation[] = [];
  let reasons: GateReason[];
  if (empty) reasons = [empty];
  else {
    commitments = (await effects.leave.findReleaseCommitments({ personId: run.input.personId })).commitments;
    const releases = releaseConflicts(w, commitments);
    const blackouts = blackoutConflicts(w, context.team.id, context.blackouts);
    const result = await effects.leave.reserveLeave({
      teamId: context.team.id,
      taskQueue: run.baseQueue,
      request: {
        ...reservationRequest(run),
        // Held only when nothing else refuses: a refused request must not take a place.
        hold: releases.length === 0 && blackouts.length === 0,
      },
    });
    state.history = result.history;
    others = result.others;
    const coverage = coverageReason(context.requester.role, context.team.name, result.shortfalls);
    reasons = [...releases, ...(coverage ? [coverage] : []), ...blackouts];
  }
  const passed = reasons.length === 0;
  const cal = requesterCalendar(state);
  const alternatives = passed
    ? []
    : suggestAlternatives(
        w,
        cal,
        localDateOf(Date.now(), cal.timezone),
        (candidate) =>
          evaluateGateOne({ context, window: candidate, commitments, reservations: others }).passed,
      );
  state.gate1 = { passed, reasons, checkedAt: new Date(Date.now()).toISOString(), alternatives };
  if (passed) effects.note(`gate 1 passed for ${describeWindow(w)}`);
  else await block(run, 'gate-1', reasons, alternatives);
}

/**
 * The first ranked candidate on duty every working day of the window (their calendar, their own
 * leave, their free/busy); each one passed over is recorded with the reason.
 */
async function firstAvailable(run: LeaveRun, ranked: RankedCandidate[]): Promise<CoveragePerson | null> {
  if (ranked.length === 0) return null;
  const { state, effects } = run;
  const context = contextOf(state);
  const w = windowOf(state);
  const dates = coverageRequestFor(context, w).days.map((d) => d.date);
  const span = windowInstants(w, requesterCalendar(state).timezone);
  // A day either side: a colleague's working hours may fall outside the window in their zone.
  const busy = await effects.calendar.freeBusy({
    timeMin: new Date(span.start - 86_400_000).toISOString(),
    timeMax: new Date(span.end + 86_400_000).toISOString(),
    calendars: ranked.map((r) => r.person.email),
    actAs: context.sender,
  });
  const onLeave = await effects.leave.leaveOfPeople({
    personIds: ranked.map((r) => r.person.id),
    from: w.from,
    to: w.to,
    excludeWorkflowId: run.workflowId,
  });
  for (const { person: candidate } of ranked) {
    const freeBusy = busy.calendars[candidate.email];
    const reason =
      !freeBusy || freeBusy.errors.length > 0
        ? `their free/busy could not be read (${freeBusy?.errors.join(', ') || 'missing from the answer'})`
        : offDutyReason(
            calendarOf(context, candidate),
            dates,
            freeBusy.busy,
            onLeave.byPerson[candidate.id] ?? [],
          );
    if (reason === null) return candidate;
    state.candidates.push({
      personId: candidate.id,
      name: candidate.name,
      outcome: 'unavailable',
      reason,
      at: new Date(Date.now()).toISOString(),
    });
  }
  return null;
}

/** Finds the next buddy who can cover and invites them; invites the manager once per round. */
export async function matchBuddy(run: LeaveRun): Promise<void> {
  const { state } = run;
  const context = contextOf(state);
  const manager = context.manager;
  if (!manager) {
    await block(run, 'approval', [
      {
        kind: 'approval',
        message: `${context.requester.name} has no manager in the configuration to approve leave`,
        dates: [],
      },
    ]);
    return;
  }
  const excluded = new Set(state.candidates.filter((x) => x.outcome !== 'invited').map((x) => x.personId));
  const ranked = rankCandidates(context.requester, context.peers, state.history).filter(
    (r) => !excluded.has(r.person.id),
  );
  const chosen = await firstAvailable(run, ranked);
  if (!chosen) {
    const w = windowOf(state);
    const tried = state.candidates.map((x) => `${x.name} ${x.outcome}${x.reason ? ` (${x.reason})` : ''}`);
    await block(run, 'buddy', [
      {
        kind: 'buddy',
        message: `no other ${context.requester.role} can cover ${describeWindow(w)}${tried.length > 0 ? `: ${tried.join('; ')}` : ': nobody else has the role'}`,
        dates: coverageRequestFor(context, w).days.map((d) => d.date),
      },
    ]);
    return;
  }
  await invite(run, chosen, manager);
}

/** Asks the chosen buddy, and the manager if not asked yet this round; gate 2 starts waiting. */
async function invite(run: LeaveRun, chosen: CoveragePerson, manager: CoveragePerson): Promise<void> {
  const { state } = run;
  const sender = contextOf(state).sender;
  const now = Date.now();
  state.buddy = { id: chosen.id, invitedAt: now };
  state.confirmations.buddy = null;
  state.candidates.push({
    personId: chosen.id,
    name: chosen.name,
    outcome: 'invited',
    at: new Date(now).toISOString(),
  });
  state.gateTwoSince ??= now;
  state.phase = 'awaiting-confirmation';
  state.reason = null;
  run.effects.note(`asked ${chosen.name} to cover`);
  // Invites are organised by the sender's calendar: an attendee can only answer someone else's event.
  const coverage = inviteTexts('coverage', partiesOf(state), null);
  await upsertEvent(run, 'coverage-invite', roundKey(run.workflowId, state, `coverage-invite:${chosen.id}`), {
    calendarId: sender,
    actAs: sender,
    summary: coverage.summary,
    description: coverage.description,
    attendee: chosen,
    personId: chosen.id,
    transparent: true,
    sendUpdates: 'all',
    secretId: true,
  });
  if (state.managerInvitedAt === null) {
    const approval = inviteTexts('approval', partiesOf(state), chosen.name);
    const made = await upsertEvent(
      run,
      'approval-invite',
      roundKey(run.workflowId, state, `approval-invite:${manager.id}`),
      {
        calendarId: sender,
        actAs: sender,
        summary: approval.summary,
        description: approval.description,
        attendee: manager,
        personId: manager.id,
        transparent: true,
        sendUpdates: 'all',
        secretId: true,
      },
    );
    if (made) state.managerInvitedAt = now;
  }
  await syncTracker(run, 'Requested');
}

/**
 * Both confirmed: gate 1 once more (releases, blackouts, the team's minimum, now confirmed at the
 * coordinator), then the leave is confirmed.
 */
export async function confirmBoth(run: LeaveRun): Promise<void> {
  const { state, effects } = run;
  const context = contextOf(state);
  const w = windowOf(state);
  const buddy = personIn(context, state.buddy!.id)!;
  const { commitments } = await effects.leave.findReleaseCommitments({ personId: run.input.personId });
  const releases = releaseConflicts(w, commitments);
  const blackouts = blackoutConflicts(w, context.team.id, context.blackouts);
  let coverage: GateReason | null = null;
  if (releases.length === 0 && blackouts.length === 0) {
    const result = await effects.leave.confirmLeaveReservation({
      teamId: context.team.id,
      taskQueue: run.baseQueue,
      request: { ...reservationRequest(run), buddyId: buddy.id },
    });
    state.history = result.history;
    coverage = coverageReason(context.requester.role, context.team.name, result.shortfalls);
  }
  const reasons = [...releases, ...(coverage ? [coverage] : []), ...blackouts];
  state.gate1 = {
    passed: reasons.length === 0,
    reasons,
    checkedAt: new Date(Date.now()).toISOString(),
    alternatives: [],
  };
  if (reasons.length > 0) {
    await block(run, 'at-confirmation', [
      {
        kind: 'unavailable',
        message: 'both confirmed, but the check at confirmation no longer passes',
        dates: [],
      },
      ...reasons,
    ]);
    return;
  }
  state.phase = 'confirmed';
  state.reason = null;
  state.gateTwoSince = null;
  effects.note(`confirmed: ${buddy.name} covers, ${context.manager!.name} approved`);
}
