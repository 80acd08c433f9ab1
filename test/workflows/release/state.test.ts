/**
 * The release's pure transitions, without Temporal: what each command and event does to the
 * state carried across continue-as-new, which commands are refused and why, and how late and
 * repeated deliveries are ignored. The context is the example organisation's, loaded by the
 * same code the worker runs; ana (a London PM) owns the release, maya and sam may confirm
 * Support readiness, nora and raj Sales.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { createCoreActivities } from '../../../activities/core';
import { DEFAULT_JOURNAL_LIMITS, isRepeat } from '../../../workflows/entity-loop';
import {
  ReleaseRefusals,
  type ReleaseContext,
  type ReleaseInput,
  type StepId,
} from '../../../workflows/release/messages';
import {
  acceptMove,
  acceptReleased,
  applyAwareness,
  applyBundlePublished,
  applyCancel,
  applyConfirmation,
  applyFirstPlan,
  applyGoNoGo,
  applyIncludedInWeeklyUpdate,
  applyMove,
  applyReleased,
  applyTier,
  applyWeeklyUpdateMissed,
  bundlePublishedOn,
  circumstancesOf,
  enablement,
  initialState,
  nextDeadline,
  refuseNotionAwareness,
  status,
  validateCancel,
  validateConfirmation,
  validateGoNoGo,
  validateMove,
  validatePublish,
  validateReleased,
  validateTier,
  type ReleaseWorkflowState,
} from '../../../workflows/release/state';
import type { Tier } from '../../../domain/release-plan';
import { loadExampleConfig } from '../../helpers/config';

let context: ReleaseContext;
beforeAll(async () => {
  const config = loadExampleConfig();
  context = await createCoreActivities({ config: () => config }).loadReleaseContext({
    pmId: 'ana',
    years: { from: 2026, to: 2028 },
  });
});

/** Noon on Monday 4 January 2027 in London. */
const NOW = Date.parse('2027-01-04T12:00:00Z');
const input: ReleaseInput = {
  issueKey: 'REL-7',
  tier: 3,
  launchDate: '2027-02-01',
  pmId: 'ana',
  productArea: 'billing',
  title: 'Usage-based billing',
};

const at = (state: ReleaseWorkflowState, now = NOW) => circumstancesOf(state, input, now);
const asked = (now = NOW) => ({ input, now });

/** A release planned on NOW, as the workflow leaves it before its first reconcile. */
function planned(tier: Tier = 3, launchDate = '2027-02-01'): ReleaseWorkflowState {
  const state = initialState({ ...input, tier, launchDate });
  state.context = context;
  applyFirstPlan(state, at(state));
  return state;
}

const stepOf = (state: ReleaseWorkflowState, id: StepId) => state.steps.find((s) => s.id === id);
const statuses = (state: ReleaseWorkflowState) =>
  Object.fromEntries(state.steps.map((s) => [s.id, s.status]));
const lastLog = (state: ReleaseWorkflowState) => state.log[state.log.length - 1]?.message;

function refusal(run: () => void): {
  type: string | null | undefined;
  message: string;
  nonRetryable: boolean;
} {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    const failure = error as ApplicationFailure;
    return { type: failure.type, message: failure.message, nonRetryable: failure.nonRetryable === true };
  }
  throw new Error('the command was not refused');
}

/** A launch move as the workflow runs it: accepted, then applied once the calendar is loaded. */
function move(state: ReleaseWorkflowState, launchDate: string, occurredAt?: number): boolean {
  const event = { launchDate, ...(occurredAt !== undefined ? { occurredAt } : {}) };
  return acceptMove(state, event, { input }) && applyMove(state, event, at(state));
}

function release(state: ReleaseWorkflowState, releasedOn?: string, occurredAt?: number): boolean {
  const event = {
    ...(releasedOn ? { releasedOn } : {}),
    ...(occurredAt !== undefined ? { occurredAt } : {}),
  };
  const on = acceptReleased(state, event, at(state));
  return on !== null && applyReleased(state, on, at(state));
}

describe('the first plan', () => {
  it('lays out every step of Tier 3 with its due date, on the PM’s working days', () => {
    const state = planned(3, '2027-02-01');
    expect(state.plan).toMatchObject({
      bundleDueDate: '2027-01-18',
      readinessCheckDate: '2027-01-28',
      late: false,
    });
    expect(state.steps.map((s) => [s.id, s.due])).toEqual([
      ['release-log', null],
      ['plan-comment', null],
      ['bundle', '2027-01-18'],
      ['support-readiness', '2027-02-01'],
      ['sales-readiness', '2027-02-01'],
      ['readiness-check', '2027-01-28'],
      ['go-no-go', '2027-01-28'],
      ['launch', '2027-02-01'],
      ['day-3-check-in', '2027-02-04'],
      ['day-14-retro', '2027-02-15'],
    ]);
    expect(new Set(Object.values(statuses(state)))).toEqual(new Set(['pending']));
    expect(lastLog(state)).toBe('planned Tier 3 (High) launch on 2027-02-01');
    expect(enablement(state)).toBe('pending');
    expect(nextDeadline(state, '2027-01-04')).toEqual({ step: 'bundle', date: '2027-01-18' });
  });

  it('flags a release late when its bundle was due before today, across the year-end shutdown', () => {
    // Ten working days before Monday 11 January skip New Year's Day, the company shutdown and
    // the Boxing Day substitute: Thursday 17 December 2026.
    const state = planned(3, '2027-01-11');
    expect(state.plan).toMatchObject({
      bundleDueDate: '2026-12-17',
      late: true,
      earliestCompliantLaunch: '2027-01-18',
    });
    expect(state.flags.late).toBe(true);
    expect(enablement(state)).toBe('late');
    expect(lastLog(state)).toBe(
      'planned Tier 3 (High) launch on 2027-01-11 (late: earliest compliant 2027-01-18)',
    );
  });

  it('Tier 1 needs no bundle, readiness or go/no-go', () => {
    const state = planned(1, '2027-02-01');
    expect(state.steps.map((s) => s.id)).toEqual(['release-log', 'plan-comment', 'launch', 'weekly-update']);
    expect(stepOf(state, 'weekly-update')).toMatchObject({
      title: 'PM updates weekly product update',
      status: 'pending',
    });
    expect(enablement(state)).toBe('not_required');
  });

  it('a status before the context is loaded falls back to the dates it was started with', () => {
    const state = initialState(input);
    const s = status(state, input, NOW);
    expect(s).toMatchObject({
      issueKey: 'REL-7',
      phase: 'planning',
      enablement: 'pending',
      nextDeadline: null,
    });
    expect(s.plan).toMatchObject({ launchDate: '2027-02-01', bundleDueDate: null, late: false });
  });
});

describe('moving the launch', () => {
  it('re-plans every date and keeps what steps recorded', () => {
    const state = planned(3, '2027-02-01');
    stepOf(state, 'bundle')!.ref = 'page-1';
    expect(move(state, '2027-02-08')).toBe(true);
    expect(state.launchDate).toBe('2027-02-08');
    expect(state.replans).toBe(1);
    expect(state.plan).toMatchObject({ launchDate: '2027-02-08', bundleDueDate: '2027-01-25' });
    expect(stepOf(state, 'bundle')).toMatchObject({ due: '2027-01-25', ref: 'page-1', status: 'pending' });
    expect(stepOf(state, 'launch')!.due).toBe('2027-02-08');
    expect(lastLog(state)).toBe('launch moved from 2027-02-01 to 2027-02-08');
  });

  it('a move to the same date changes nothing', () => {
    const state = planned();
    expect(move(state, '2027-02-01')).toBe(false);
    expect(state.replans).toBe(0);
  });

  it('a new due date still ahead lifts an earlier at-risk flag', () => {
    const state = planned(3, '2027-02-01');
    state.flags.atRisk = true;
    move(state, '2027-02-15');
    expect(state.flags.atRisk).toBe(false);
  });

  it('ignores a move older than one already applied', () => {
    const state = planned();
    expect(move(state, '2027-02-08', 2_000)).toBe(true);
    expect(move(state, '2027-02-15', 1_000)).toBe(false);
    expect(state.launchDate).toBe('2027-02-08');
    expect(state.lastEventAt.launchDate).toBe(2_000);
    expect(lastLog(state)).toBe(
      'ignored a launch date change to 2027-02-15 (older than one already applied)',
    );
    expect(move(state, '2027-02-15', 2_000)).toBe(true); // the same instant is not older
  });

  it('ignores a move once launched, and refuses the command', () => {
    const state = planned();
    release(state, '2027-01-04');
    expect(move(state, '2027-02-08')).toBe(false);
    expect(lastLog(state)).toBe('ignored a launch date change to 2027-02-08 (release is launched)');
    expect(refusal(() => validateMove(state, { launchDate: '2027-02-08' }, asked()))).toEqual({
      type: ReleaseRefusals.notAllowed,
      message: 'REL-7 has already launched (2027-01-04): its launch date cannot move',
      nonRetryable: true,
    });
  });

  it('refuses a date that is not written YYYY-MM-DD or does not exist', () => {
    const state = planned();
    expect(refusal(() => validateMove(state, { launchDate: '1 Feb 2027' }, asked()))).toMatchObject({
      type: ReleaseRefusals.invalid,
      message: 'launchDate: must be a date written YYYY-MM-DD',
    });
    // Date.parse rolls 30 February over to 2 March; the domain's own check does not.
    for (const launchDate of ['2027-13-45', '2027-02-30', '2027-02-29'])
      expect(refusal(() => validateMove(state, { launchDate }, asked()))).toMatchObject({
        type: ReleaseRefusals.invalid,
        message: 'launchDate: is not a date that exists',
      });
    expect(() => validateMove(state, { launchDate: '2027-02-08' }, asked())).not.toThrow();
  });
});

describe('changing the tier', () => {
  it('up from 2 to 3 adds the readiness check and the full bundle, due earlier', () => {
    const state = planned(2, '2027-02-01');
    expect(stepOf(state, 'readiness-check')).toBeUndefined();
    expect(stepOf(state, 'bundle')!.due).toBe('2027-01-25');
    expect(applyTier(state, { tier: 3 }, at(state))).toBe(true);
    expect(stepOf(state, 'readiness-check')).toMatchObject({ status: 'pending', due: '2027-01-28' });
    expect(stepOf(state, 'bundle')).toMatchObject({
      title: 'Full enablement bundle published',
      due: '2027-01-18',
    });
    expect(state.replans).toBe(1);
    expect(lastLog(state)).toBe('tier changed from 2 to 3');
  });

  it('down from 3 to 1 retires what Tier 1 does not need, keeping what was done', () => {
    const state = planned(3, '2027-02-01');
    applyConfirmation(state, { team: 'support', by: 'maya' }, 'cli', at(state));
    applyTier(state, { tier: 1 }, at(state));
    expect(statuses(state)).toMatchObject({
      'release-log': 'pending',
      'plan-comment': 'pending',
      bundle: 'retired',
      'support-readiness': 'done',
      'sales-readiness': 'retired',
      'readiness-check': 'retired',
      'go-no-go': 'retired',
      launch: 'pending',
      'day-14-retro': 'retired',
    });
    expect(state.plan).toMatchObject({ tier: 1, bundleDueDate: null });
    expect(enablement(state)).toBe('not_required');

    // Back to Tier 2: the retired steps are pending again; the readiness check stays retired.
    applyTier(state, { tier: 2 }, at(state));
    expect(statuses(state)).toMatchObject({
      bundle: 'pending',
      'support-readiness': 'done',
      'sales-readiness': 'pending',
      'readiness-check': 'retired',
    });
    expect(state.replans).toBe(2);
  });

  it('the same tier, an unknown tier or an older change is ignored', () => {
    const state = planned(3);
    expect(applyTier(state, { tier: 3 }, at(state))).toBe(false);
    expect(applyTier(state, { tier: 4 as Tier }, at(state))).toBe(false);
    expect(lastLog(state)).toBe('ignored a tier change to 4');
    expect(applyTier(state, { tier: 2, occurredAt: 500 }, at(state))).toBe(true);
    expect(applyTier(state, { tier: 1, occurredAt: 400 }, at(state))).toBe(false);
    expect(state.tier).toBe(2);
    expect(state.replans).toBe(1);
  });

  it('refuses an unknown tier and a change after launch', () => {
    const state = planned();
    expect(refusal(() => validateTier(state, { tier: 4 as Tier }, asked()))).toMatchObject({
      type: ReleaseRefusals.invalid,
      message: 'tier: must be 1, 2 or 3',
    });
    release(state);
    expect(refusal(() => validateTier(state, { tier: 2 }, asked()))).toMatchObject({
      type: ReleaseRefusals.notAllowed,
      message: 'REL-7 has already launched: its tier cannot change',
    });
  });
});

describe('cancelling', () => {
  it('ends the release, even before its context is loaded, and refuses what follows', () => {
    const state = initialState(input);
    expect(applyCancel(state, { reason: 'scope cut' }, { input })).toBe(true);
    expect(state).toMatchObject({ phase: 'cancelled', cancelReason: 'scope cut' });
    expect(lastLog(state)).toBe('cancelled: scope cut');
    expect(enablement(state)).toBe('cancelled');
    expect(applyCancel(state, {}, { input })).toBe(false);
    expect(refusal(() => validateCancel(state, {}, asked()))).toEqual({
      type: ReleaseRefusals.finished,
      message: 'REL-7 is cancelled: cannot cancel it',
      nonRetryable: true,
    });
    expect(refusal(() => validateMove(state, { launchDate: '2027-02-08' }, asked())).message).toBe(
      'REL-7 is cancelled: cannot move its launch',
    );
    expect(refusal(() => validateGoNoGo(state, { by: 'ana', decision: 'go' }, asked())).type).toBe(
      ReleaseRefusals.finished,
    );
  });

  it('a cancellation older than the release it follows is ignored', () => {
    const state = planned();
    release(state, '2027-01-04', 500);
    expect(applyCancel(state, { occurredAt: 400 }, { input })).toBe(false);
    expect(state.phase).toBe('launched');
  });
});

describe('releasing', () => {
  it('records the actual launch; steps still open before launch are missed; post-launch dates follow it', () => {
    const state = planned(2, '2027-01-11');
    applyConfirmation(state, { team: 'support', by: 'maya' }, 'jira', at(state));
    state.flags.launchOverdue = true;
    expect(release(state, '2027-01-04')).toBe(true);
    expect(state).toMatchObject({ phase: 'launched', launchedOn: '2027-01-04' });
    expect(state.flags.launchOverdue).toBe(false);
    expect(statuses(state)).toMatchObject({
      bundle: 'missed',
      'support-readiness': 'done',
      'sales-readiness': 'missed',
      'go-no-go': 'missed',
      launch: 'done',
      'day-3-check-in': 'pending',
    });
    expect(stepOf(state, 'launch')!.detail).toBe('released on 2027-01-04');
    expect(stepOf(state, 'day-3-check-in')!.due).toBe('2027-01-07');
    expect(stepOf(state, 'day-14-retro')!.due).toBe('2027-01-18');
    expect(lastLog(state)).toBe('released on 2027-01-04 (planned 2027-01-11)');
    expect(enablement(state)).toBe('released');
  });

  it('without a date, released today in the PM’s zone', () => {
    const state = planned(1, '2027-01-04');
    // 23:30 UTC on Sunday 3 January is still Sunday in London.
    const sunday = Date.parse('2027-01-03T23:30:00Z');
    expect(acceptReleased(state, {}, at(state, sunday))).toBe('2027-01-03');
    expect(release(state)).toBe(true);
    expect(state.launchedOn).toBe('2027-01-04');
    expect(lastLog(state)).toBe('released on 2027-01-04');
    expect(release(state, '2027-01-04')).toBe(false);
  });

  it('refuses a date in the future and a second release', () => {
    const state = planned();
    expect(refusal(() => validateReleased(state, { releasedOn: '2027-01-05' }, asked()))).toMatchObject({
      type: ReleaseRefusals.invalid,
      message: 'releasedOn "2027-01-05" must not be in the future (today is 2027-01-04)',
    });
    expect(() => validateReleased(state, { releasedOn: '2027-01-04' }, asked())).not.toThrow();
    release(state, '2027-01-04');
    expect(refusal(() => validateReleased(state, {}, asked()))).toMatchObject({
      type: ReleaseRefusals.notAllowed,
      message: 'REL-7 is already released (2027-01-04)',
    });
  });
});

describe('the enablement bundle', () => {
  it('published: the bundle step is done and the late and at-risk flags lift', () => {
    const state = planned(3, '2027-01-11');
    state.flags.atRisk = true;
    expect(applyBundlePublished(state, {}, at(state))).toBe(true);
    expect(state.bundlePublished).toBe(true);
    expect(state.flags).toMatchObject({ late: false, atRisk: false });
    expect(stepOf(state, 'bundle')).toMatchObject({ status: 'done', detail: 'published 2027-01-04' });
    expect(lastLog(state)).toBe('enablement bundle published');
    expect(enablement(state)).toBe('published');
    expect(applyBundlePublished(state, {}, at(state))).toBe(false);
  });

  it('records the instant, and its date in the PM’s zone: 00:01 in London is still the day before in UTC', () => {
    const state = planned(3, '2027-06-21');
    const justAfterMidnight = Date.parse('2027-06-13T23:01:00Z');
    applyBundlePublished(state, {}, at(state, justAfterMidnight));
    expect(state.bundlePublishedAt).toBe('2027-06-13T23:01:00.000Z');
    expect(status(state, input, justAfterMidnight)).toMatchObject({
      bundlePublishedAt: '2027-06-13T23:01:00.000Z',
      bundlePublishedOn: '2027-06-14',
    });
    const other = planned(3, '2027-06-21');
    applyBundlePublished(other, {}, at(other, Date.parse('2027-06-13T22:59:00Z')));
    expect(bundlePublishedOn(other)).toBe('2027-06-13');
  });

  it('records when the release went out: now when released today, the start of an earlier day named', () => {
    const today = planned(2, '2027-06-21');
    const now = Date.parse('2027-06-14T09:05:00Z');
    applyReleased(today, '2027-06-14', at(today, now));
    expect(status(today, input, now).releasedAt).toBe('2027-06-14T09:05:00.000Z');
    const backDated = planned(2, '2027-06-21');
    applyReleased(backDated, '2027-06-11', at(backDated, now));
    // Midnight in London (BST) on Friday 11 June.
    expect(status(backDated, input, now).releasedAt).toBe('2027-06-10T23:00:00.000Z');
  });

  it('a run from before the instant was recorded reads the date from the step’s note', () => {
    const state = planned(3, '2027-01-11');
    applyBundlePublished(state, {}, at(state));
    delete state.bundlePublishedAt;
    expect(status(state, input, NOW)).toMatchObject({
      bundlePublishedAt: null,
      bundlePublishedOn: '2027-01-04',
    });
    expect(status(planned(3), input, NOW)).toMatchObject({
      bundlePublishedAt: null,
      bundlePublishedOn: null,
    });
  });

  it('a re-plan after publication never flags the release late again', () => {
    const state = planned(3, '2027-02-01');
    applyBundlePublished(state, {}, at(state));
    move(state, '2027-01-11');
    expect(state.plan!.late).toBe(true);
    expect(state.flags.late).toBe(false);
  });

  it('Tier 1 has none: the event is ignored and the command refused', () => {
    const state = planned(1);
    expect(applyBundlePublished(state, {}, at(state))).toBe(false);
    expect(refusal(() => validatePublish(state, {}, asked()))).toMatchObject({
      type: ReleaseRefusals.notAllowed,
      message: 'REL-7 is Tier 1: it has no enablement bundle',
    });
  });

  it('an event older than the last one applied is ignored', () => {
    const state = planned(3);
    state.lastEventAt.bundle = 900;
    expect(applyBundlePublished(state, { occurredAt: 800 }, at(state))).toBe(false);
    expect(state.bundlePublished).toBe(false);
  });
});

describe('readiness confirmations', () => {
  it('a configured confirmer confirms once; the first confirmation stays', () => {
    const state = planned(2);
    expect(applyConfirmation(state, { team: 'support', by: 'sam' }, 'cli', at(state))).toBe(true);
    expect(state.confirmations.support).toEqual({
      by: 'sam',
      at: new Date(NOW).toISOString(),
      source: 'cli',
    });
    expect(stepOf(state, 'support-readiness')).toMatchObject({ status: 'done', detail: 'confirmed by sam' });
    expect(lastLog(state)).toBe('support readiness confirmed by sam');
    expect(applyConfirmation(state, { team: 'support', by: 'maya' }, 'jira', at(state))).toBe(false);
    expect(state.confirmations.support!.by).toBe('sam');
    expect(state.confirmations.sales).toBeNull();
  });

  it('anyone else is refused: the command at once, an event with a note in the log', () => {
    const state = planned(2);
    expect(refusal(() => validateConfirmation(state, { team: 'sales', by: 'ben' }, asked()))).toEqual({
      type: ReleaseRefusals.notAllowed,
      message: '"ben" cannot confirm sales readiness for REL-7: only nora, raj can',
      nonRetryable: true,
    });
    expect(() => validateConfirmation(state, { team: 'sales', by: 'raj' }, asked())).not.toThrow();
    expect(applyConfirmation(state, { team: 'sales', by: 'ben' }, 'jira', at(state))).toBe(false);
    expect(state.confirmations.sales).toBeNull();
    expect(lastLog(state)).toBe(
      'refused a sales readiness confirmation from "ben", who is not allowed to give it',
    );
  });

  it('before the context is loaded the confirmer is checked when the confirmation is applied', () => {
    const state = initialState({ ...input, tier: 2 });
    expect(() => validateConfirmation(state, { team: 'support', by: 'ben' }, asked())).not.toThrow();
  });

  it('refuses an unknown team and any confirmation for Tier 1', () => {
    expect(
      refusal(() => validateConfirmation(planned(2), { team: 'legal' as 'sales', by: 'nora' }, asked())),
    ).toMatchObject({ type: ReleaseRefusals.invalid, message: 'team: must be support or sales' });
    expect(
      refusal(() => validateConfirmation(planned(1), { team: 'sales', by: 'nora' }, asked())),
    ).toMatchObject({
      type: ReleaseRefusals.notAllowed,
      message: 'REL-7 is Tier 1: it needs no readiness confirmation',
    });
  });
});

describe('the go/no-go', () => {
  it('only the PM owner may take it', () => {
    const state = planned(3);
    expect(() => validateGoNoGo(state, { by: 'ana', decision: 'go' }, asked())).not.toThrow();
    expect(refusal(() => validateGoNoGo(state, { by: 'ivan', decision: 'go' }, asked()))).toEqual({
      type: ReleaseRefusals.notPmOwner,
      message: 'only the PM owner (ana) can take the go/no-go for REL-7; "ivan" cannot',
      nonRetryable: true,
    });
    expect(
      refusal(() => validateGoNoGo(state, { by: 'ana', decision: 'maybe' as 'go' }, asked())),
    ).toMatchObject({
      type: ReleaseRefusals.invalid,
      message: 'decision: must be go or no-go',
    });
    expect(refusal(() => validateGoNoGo(planned(1), { by: 'ana', decision: 'go' }, asked()))).toMatchObject({
      type: ReleaseRefusals.notAllowed,
      message: 'REL-7 is Tier 1: it has no go/no-go',
    });
    release(state);
    expect(refusal(() => validateGoNoGo(state, { by: 'ana', decision: 'go' }, asked()))).toMatchObject({
      type: ReleaseRefusals.notAllowed,
      message: 'REL-7 has already launched',
    });
  });

  it('a no-go holds the release; a later go releases the hold and completes the step', () => {
    const state = planned(3);
    applyGoNoGo(state, { by: 'ana', decision: 'no-go', note: 'rollback plan missing' }, at(state));
    expect(state.flags.onHold).toBe(true);
    expect(stepOf(state, 'go-no-go')).toMatchObject({
      status: 'pending',
      detail: 'no-go by ana: rollback plan missing',
    });
    expect(lastLog(state)).toBe('no-go by ana: rollback plan missing');
    const later = NOW + 3_600_000;
    applyGoNoGo(state, { by: 'ana', decision: 'go' }, at(state, later));
    expect(state.flags.onHold).toBe(false);
    expect(stepOf(state, 'go-no-go')).toMatchObject({ status: 'done', detail: 'go by ana' });
    expect(state.goNoGo).toEqual([
      { decision: 'no-go', by: 'ana', at: new Date(NOW).toISOString(), note: 'rollback plan missing' },
      { decision: 'go', by: 'ana', at: new Date(later).toISOString() },
    ]);
  });
});

describe('repeated deliveries', () => {
  it('a delivery id is applied once; events without one are never repeats', () => {
    const state = planned();
    expect(isRepeat(state, 'jira-1')).toBe(false);
    expect(isRepeat(state, 'jira-1')).toBe(true);
    expect(isRepeat(state, 'jira-2')).toBe(false);
    expect(isRepeat(state, undefined)).toBe(false);
    expect(isRepeat(state, undefined)).toBe(false);
    expect(state.deliveries).toEqual(['jira-1', 'jira-2']);
  });

  it('a state carried by an older run without delivery ids starts remembering them', () => {
    const { deliveries: _absent, ...older } = planned();
    const state: ReleaseWorkflowState = older;
    expect(isRepeat(state, 'notion-1')).toBe(false);
    expect(isRepeat(state, 'notion-1')).toBe(true);
  });

  it('remembers the most recent deliveries only', () => {
    const state = planned();
    const kept = DEFAULT_JOURNAL_LIMITS.deliveries;
    for (let i = 0; i <= kept; i++) isRepeat(state, `d-${i}`);
    expect(state.deliveries).toHaveLength(kept);
    expect(isRepeat(state, `d-${kept}`)).toBe(true);
    expect(isRepeat(state, 'd-0')).toBe(false);
  });
});

describe('the Day-3 answer from the check-in page', () => {
  const MAYA = 'c31e448b-9552-4f11-8aa0-7d552feae57d';
  function shipped(): ReleaseWorkflowState {
    const state = planned(2);
    applyReleased(state, '2027-01-04', at(state));
    return state;
  }

  it('takes a lead’s answer as the command line’s, a later one replacing it', () => {
    const state = shipped();
    expect(refuseNotionAwareness(state, input, [MAYA], 'maya')).toBeNull();
    applyAwareness(state, { by: 'maya', aware: false }, 'notion', at(state));
    applyAwareness(state, { by: 'maya', aware: true }, 'cli', at(state, NOW + 60_000));
    expect(status(state, input, NOW).awareness).toEqual([
      { by: 'maya', team: 'support', aware: true, at: new Date(NOW + 60_000).toISOString(), source: 'cli' },
    ]);
  });

  it('refuses a change by nobody, by several people, by an unknown account or by someone not a lead', () => {
    const state = shipped();
    expect(refuseNotionAwareness(state, input, [], null)).toMatch(/no person made the change/);
    expect(refuseNotionAwareness(state, input, [MAYA, MAYA], null)).toMatch(/2 people changed the page/);
    expect(refuseNotionAwareness(state, input, [MAYA], null)).toMatch(
      /Notion user c31e448b-.* is no person of the configuration \(people\[\]\.notionUserId\)/,
    );
    expect(refuseNotionAwareness(state, input, [MAYA], 'ana')).toMatch(
      /ana is not the Support or the Sales lead: the question is for maya, sam, nora, raj/,
    );
  });

  it('refuses an answer before the release has shipped', () => {
    expect(refuseNotionAwareness(planned(2), input, [MAYA], 'maya')).toMatch(/is planning/);
  });
});

describe('the weekly product update step', () => {
  const listed = {
    week: '2027-W02',
    pageId: '0123456789abcdef0123456789abcdef',
    url: 'https://www.notion.so/ana-2027-W02',
    via: 'contribution-page' as const,
  };
  const launched = (tier: Tier) => {
    const state = planned(tier, '2027-01-04');
    applyReleased(state, '2027-01-04', at(state));
    return state;
  };

  it('is Tier 1’s, due fourteen days after launch, and closed by the first update that lists it', () => {
    const state = launched(1);
    expect(stepOf(state, 'weekly-update')).toMatchObject({ status: 'pending', due: '2027-01-18' });
    expect(applyIncludedInWeeklyUpdate(state, listed, asked())).toBe(true);
    expect(stepOf(state, 'weekly-update')).toMatchObject({
      status: 'done',
      ref: listed.pageId,
      url: listed.url,
      detail: "listed in the PM's page of 2027-W02 weekly product update",
    });
    expect(state.phase).toBe('done');
    expect(status(state, input, NOW).weeklyUpdate).toEqual({
      week: '2027-W02',
      pageId: listed.pageId,
      url: listed.url,
      via: 'contribution-page',
      at: new Date(NOW).toISOString(),
    });
  });

  it('a repeat, or a later week, changes nothing', () => {
    const state = launched(1);
    applyIncludedInWeeklyUpdate(state, listed, asked());
    const before = JSON.stringify(state);
    expect(applyIncludedInWeeklyUpdate(state, listed, asked(NOW + 60_000))).toBe(false);
    expect(applyIncludedInWeeklyUpdate(state, { week: '2027-W03', via: 'published' }, asked())).toBe(false);
    expect(JSON.stringify(state)).toBe(before);
  });

  it('before the end of launch day, it closes the step and leaves the release to launch', () => {
    const state = planned(1, '2027-01-04');
    expect(applyIncludedInWeeklyUpdate(state, listed, asked())).toBe(true);
    expect(state.phase).toBe('planning');
    expect(stepOf(state, 'weekly-update')?.status).toBe('done');
  });

  it('Tier 2 and 3 record the update that listed them, with no step to close', () => {
    const state = launched(2);
    expect(applyIncludedInWeeklyUpdate(state, { week: '2027-W02', via: 'published' }, asked())).toBe(false);
    expect(state.weeklyUpdate).toMatchObject({ week: '2027-W02', pageId: null, url: null, via: 'published' });
    expect(stepOf(state, 'weekly-update')).toBeUndefined();
    expect(state.phase).toBe('launched');
  });

  it('missed when no update listed it by the end of its window: the release is done', () => {
    const state = launched(1);
    applyWeeklyUpdateMissed(state, input, '2027-01-18');
    expect(stepOf(state, 'weekly-update')).toMatchObject({
      status: 'missed',
      detail: 'no weekly product update listed the launch by 2027-01-18 (two weekly publications after it)',
    });
    expect(state.phase).toBe('done');
  });
});
