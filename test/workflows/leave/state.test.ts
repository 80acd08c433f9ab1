/**
 * The leave request's transitions without Temporal: who may confirm, what a refused confirmation
 * leaves behind, invite answers from the wrong attendee, late out-of-office changes, moves and
 * who may cancel. Each takes the state, the message and the moment, and says whether the process
 * has something new to act on.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { buildLeaveContext } from '../../../activities/leave';
import { normaliseWindow } from '../../../domain/coverage';
import {
  LeaveRefusals,
  type InviteAnswered,
  type LeaveRequestInput,
} from '../../../workflows/leave/messages';
import {
  applyCancel,
  applyConfirm,
  applyInviteAnswer,
  applyMove,
  applyOutOfOfficeChange,
  beginRound,
  forgetPastRounds,
  initialState,
  status,
  validateCancel,
  validateConfirm,
  validateMove,
  waitingFor,
  type LeaveWorkflowState,
  type Moment,
} from '../../../workflows/leave/state';
import { loadExampleConfig } from '../../helpers/config';

const config = loadExampleConfig();
const NOW = Date.parse('2027-02-15T10:00:00Z');
const WORKFLOW_ID = 'leave:gita:2027-03-01';
const email = (id: string) => config.people.find((p) => p.id === id)!.email;

let notes: string[];
const at = (now = NOW): Moment => ({ now, note: (message) => notes.push(message) });

/**
 * A request of `personId` for 1 to 5 March 2027 waiting for `buddyId` and the manager, with both
 * invites out (`evt-cover`, `evt-approve`).
 */
function awaiting(
  personId = 'gita',
  buddyId = 'hugo',
): { state: LeaveWorkflowState; input: LeaveRequestInput } {
  const input: LeaveRequestInput = { personId, from: '2027-03-01', to: '2027-03-05', source: 'cli' };
  const state = initialState(input);
  state.context = buildLeaveContext(config, personId, { from: 2026, to: 2028 });
  state.window = normaliseWindow(input);
  state.phase = 'awaiting-confirmation';
  state.buddy = { id: buddyId, invitedAt: NOW - 3_600_000 };
  state.gateTwoSince = NOW - 3_600_000;
  state.managerInvitedAt = NOW - 3_600_000;
  state.candidates = [
    { personId: buddyId, name: buddyId, outcome: 'invited', at: '2027-02-15T09:00:00.000Z' },
  ];
  const manager = state.context.manager!.id;
  state.events = [
    {
      kind: 'coverage-invite',
      calendarId: 'prodops@northwind.example',
      eventId: 'evt-cover',
      idempotencyKey: `${WORKFLOW_ID}:r1:coverage-invite:${buddyId}`,
      personId: buddyId,
      status: 'live',
    },
    {
      kind: 'approval-invite',
      calendarId: 'prodops@northwind.example',
      eventId: 'evt-approve',
      idempotencyKey: `${WORKFLOW_ID}:r1:approval-invite:${manager}`,
      personId: manager,
      status: 'live',
    },
  ];
  return { state, input };
}

const answer = (eventId: string, from: string, response: InviteAnswered['response'], occurredAt = NOW) => ({
  calendarId: 'prodops@northwind.example',
  eventId,
  attendeeEmail: from,
  response,
  occurredAt,
});

beforeEach(() => {
  notes = [];
});

describe('who may confirm', () => {
  it('takes the buddy and the manager, each in their own role', () => {
    const { state } = awaiting();
    expect(applyConfirm(state, 'gita', { by: 'hugo', decision: 'approve' }, at())).toEqual({ wake: true });
    expect(applyConfirm(state, 'gita', { by: 'hana', decision: 'approve', note: 'enjoy' }, at())).toEqual({
      wake: true,
    });
    expect(state.confirmations).toEqual({
      buddy: {
        by: 'hugo',
        as: 'buddy',
        decision: 'approve',
        at: new Date(NOW).toISOString(),
        via: 'command',
      },
      manager: {
        by: 'hana',
        as: 'manager',
        decision: 'approve',
        at: new Date(NOW).toISOString(),
        via: 'command',
        note: 'enjoy',
      },
    });
    expect(state.candidates[0]!.outcome).toBe('accepted');
    expect(state.refusals).toEqual([]);
    expect(notes).toEqual(['buddy hugo confirmed via command', 'manager hana confirmed via command: enjoy']);
    expect(waitingFor(state)).toEqual([]);
  });

  it('refuses the requester and records the attempt', () => {
    const { state } = awaiting();
    expect(applyConfirm(state, 'gita', { by: 'gita', decision: 'approve' }, at())).toEqual({
      refused: 'gita cannot confirm their own leave',
    });
    expect(state.confirmations).toEqual({ buddy: null, manager: null });
    expect(state.refusals).toEqual([
      {
        by: 'gita',
        at: new Date(NOW).toISOString(),
        via: 'command',
        reason: 'gita cannot confirm their own leave',
      },
    ]);
  });

  it('refuses a third party, naming who may confirm, and records the attempt', () => {
    const { state } = awaiting();
    const refused = applyConfirm(state, 'gita', { by: 'dev', decision: 'approve' }, at());
    expect(refused).toEqual({
      refused:
        'dev is neither the covering buddy (Hugo Laurent) nor the manager (Hana Okafor) of this request',
    });
    expect(state.refusals.map((r) => [r.by, r.via])).toEqual([['dev', 'command']]);
    expect(notes).toEqual([`refused dev: ${(refused as { refused: string }).refused}`]);
    expect(state.confirmations).toEqual({ buddy: null, manager: null });
  });

  it('refuses a buddy candidate who is not the one asked this round', () => {
    const { state } = awaiting();
    state.buddy = null;
    expect(applyConfirm(state, 'gita', { by: 'hugo', decision: 'approve' }, at())).toEqual({
      refused:
        'hugo is neither the covering buddy (nobody yet) nor the manager (Hana Okafor) of this request',
    });
  });

  it('does not wake the process for a decision it already has', () => {
    const { state } = awaiting();
    applyConfirm(state, 'gita', { by: 'hugo', decision: 'approve' }, at());
    expect(applyConfirm(state, 'gita', { by: 'hugo', decision: 'approve' }, at(NOW + 1000))).toEqual({
      wake: false,
    });
    expect(state.confirmations.buddy!.at).toBe(new Date(NOW).toISOString());
  });

  it('ignores an approval once confirmed, but a decline still counts', () => {
    const { state } = awaiting();
    state.phase = 'confirmed';
    expect(applyConfirm(state, 'gita', { by: 'hana', decision: 'approve' }, at())).toEqual({ wake: false });
    expect(state.confirmations.manager).toBeNull();
    expect(applyConfirm(state, 'gita', { by: 'hugo', decision: 'decline' }, at())).toEqual({ wake: true });
    expect(state.confirmations.buddy).toMatchObject({ by: 'hugo', decision: 'decline' });
    expect(state.candidates[0]!.outcome).toBe('declined');
  });

  it('validates a command before it is admitted', () => {
    const { state } = awaiting();
    expect(validateConfirm(state, WORKFLOW_ID, { by: ' ', decision: 'approve' })).toEqual({
      type: LeaveRefusals.invalid,
      message: 'by: must be a person id',
    });
    expect(validateConfirm(state, WORKFLOW_ID, { by: 'hana', decision: 'maybe' as never })).toEqual({
      type: LeaveRefusals.invalid,
      message: 'decision: must be approve or decline',
    });
    expect(validateConfirm(state, WORKFLOW_ID, { by: 'hana', decision: 'approve' })).toBeNull();
    state.phase = 'blocked';
    state.reason = 'no other product_manager can cover';
    expect(validateConfirm(state, WORKFLOW_ID, { by: 'hana', decision: 'approve' })).toEqual({
      type: LeaveRefusals.notAwaiting,
      message: `${WORKFLOW_ID} is blocked (no other product_manager can cover): there is nothing to confirm`,
    });
  });
});

describe('invite answers', () => {
  it('takes the invited attendee’s yes or no in the invite’s role', () => {
    const { state } = awaiting();
    expect(applyInviteAnswer(state, 'gita', answer('evt-cover', email('hugo'), 'accepted'), at())).toBe(true);
    expect(
      applyInviteAnswer(state, 'gita', answer('evt-approve', 'HANA@northwind.example', 'declined'), at()),
    ).toBe(true);
    expect(state.confirmations.buddy).toMatchObject({ by: 'hugo', decision: 'approve', via: 'calendar' });
    expect(state.confirmations.manager).toMatchObject({ by: 'hana', decision: 'decline', via: 'calendar' });
  });

  it('refuses an answer from the wrong attendee and records who it came from', () => {
    const { state } = awaiting();
    expect(applyInviteAnswer(state, 'gita', answer('evt-cover', email('ana'), 'accepted'), at())).toBe(true);
    expect(applyInviteAnswer(state, 'gita', answer('evt-approve', email('gita'), 'accepted'), at())).toBe(
      true,
    );
    expect(
      applyInviteAnswer(state, 'gita', answer('evt-approve', 'someone@elsewhere.example', 'accepted'), at()),
    ).toBe(true);
    expect(state.refusals.map((r) => [r.by, r.via, r.reason])).toEqual([
      ['ana', 'calendar', `${email('ana')} answered the coverage-invite meant for Hugo Laurent`],
      ['gita', 'calendar', 'gita cannot confirm their own leave'],
      [
        'someone@elsewhere.example',
        'calendar',
        'someone@elsewhere.example answered the approval-invite meant for Hana Okafor',
      ],
    ]);
    expect(state.confirmations).toEqual({ buddy: null, manager: null });
  });

  it('waits on a tentative answer and ignores one older than an answer applied', () => {
    const { state } = awaiting();
    expect(applyInviteAnswer(state, 'gita', answer('evt-cover', email('hugo'), 'tentative', NOW), at())).toBe(
      false,
    );
    expect(notes).toEqual([
      'Hugo Laurent answered tentative to the coverage-invite: still waiting for a yes or no',
    ]);
    expect(
      applyInviteAnswer(state, 'gita', answer('evt-cover', email('hugo'), 'accepted', NOW - 1), at()),
    ).toBe(false);
    expect(state.confirmations.buddy).toBeNull();
    expect(state.lastAnswerAt).toEqual({ 'evt-cover': NOW });
  });

  it('ignores answers to events that are not open invites of this request', () => {
    const { state } = awaiting();
    state.events[0]!.status = 'removed';
    expect(applyInviteAnswer(state, 'gita', answer('evt-cover', email('hugo'), 'accepted'), at())).toBe(
      false,
    );
    expect(applyInviteAnswer(state, 'gita', answer('evt-unknown', email('hugo'), 'accepted'), at())).toBe(
      false,
    );
    expect(notes).toEqual([
      'ignored an answer to event evt-cover: not an open invite of this request',
      'ignored an answer to event evt-unknown: not an open invite of this request',
    ]);
    expect(state.confirmations.buddy).toBeNull();
  });

  it('ignores a coverage answer from someone no longer the buddy', () => {
    const { state } = awaiting();
    state.buddy = { id: 'dev', invitedAt: NOW };
    expect(applyInviteAnswer(state, 'gita', answer('evt-cover', email('hugo'), 'accepted'), at())).toBe(
      false,
    );
    expect(state.confirmations.buddy).toBeNull();
  });
});

describe('out-of-office changes', () => {
  const change = (over: Partial<Parameters<typeof applyOutOfOfficeChange>[2]> = {}) => ({
    calendarId: email('gita'),
    eventId: 'ooo1',
    status: 'confirmed' as const,
    from: '2027-03-08',
    to: '2027-03-12',
    occurredAt: NOW,
    ...over,
  });

  it('asks for new dates, once', () => {
    const { state } = awaiting();
    expect(applyOutOfOfficeChange(state, 'gita', change(), at())).toBe(true);
    expect(state.pendingWindow).toEqual(normaliseWindow({ from: '2027-03-08', to: '2027-03-12' }));
    expect(state.outOfOfficeEvent).toEqual({ calendarId: email('gita'), eventId: 'ooo1' });
    expect(applyOutOfOfficeChange(state, 'gita', change({ occurredAt: NOW + 1 }), at())).toBe(false);
  });

  it('changes nothing for the dates the request already has', () => {
    const { state } = awaiting();
    expect(
      applyOutOfOfficeChange(state, 'gita', change({ from: '2027-03-01', to: '2027-03-05' }), at()),
    ).toBe(false);
    expect(state.pendingWindow).toBeNull();
  });

  it('ignores a change older than one applied', () => {
    const { state } = awaiting();
    applyOutOfOfficeChange(state, 'gita', change(), at());
    expect(
      applyOutOfOfficeChange(
        state,
        'gita',
        change({ from: '2027-03-01', to: '2027-03-02', occurredAt: NOW - 1 }),
        at(),
      ),
    ).toBe(false);
    expect(state.pendingWindow!.from).toBe('2027-03-08');
    expect(notes).toEqual(['ignored an out-of-office change older than one already applied']);
  });

  it('cancels when the event is deleted, on behalf of the requester', () => {
    const { state } = awaiting();
    expect(applyOutOfOfficeChange(state, 'gita', change({ status: 'cancelled' }), at())).toBe(true);
    expect(state.cancel).toEqual({ by: 'gita', reason: 'the out-of-office event was deleted' });
  });

  it('ignores dates that are not a leave, and any change once the request is over', () => {
    const { state } = awaiting();
    expect(
      applyOutOfOfficeChange(state, 'gita', change({ from: '2027-03-12', to: '2027-03-08' }), at()),
    ).toBe(false);
    expect(notes).toEqual(['ignored an out-of-office change: to (2027-03-08) is before from (2027-03-12)']);
    state.phase = 'expired';
    expect(
      applyOutOfOfficeChange(state, 'gita', change({ status: 'cancelled', occurredAt: NOW + 5 }), at()),
    ).toBe(false);
    expect(state.cancel).toBeNull();
    expect(state.lastChangeAt).toBe(NOW + 5);
  });
});

describe('moves', () => {
  it('takes new dates and makes older calendar changes stale', () => {
    const { state } = awaiting();
    expect(validateMove(state, WORKFLOW_ID, { from: '2027-03-15', to: '2027-03-16' })).toBeNull();
    expect(applyMove(state, { from: '2027-03-15', to: '2027-03-16', lastDay: 'morning' }, at())).toBe(true);
    expect(state.pendingWindow).toMatchObject({ from: '2027-03-15', to: '2027-03-16', lastDay: 'morning' });
    expect(state.lastChangeAt).toBe(NOW);
    expect(
      applyOutOfOfficeChange(
        state,
        'gita',
        {
          calendarId: email('gita'),
          eventId: 'ooo1',
          status: 'confirmed',
          from: '2027-04-01',
          to: '2027-04-02',
          occurredAt: NOW - 1,
        },
        at(),
      ),
    ).toBe(false);
  });

  it('refuses bad dates by field, and a request that is over', () => {
    const { state } = awaiting();
    expect(validateMove(state, WORKFLOW_ID, { from: '2027-03-16', to: '2027-03-15' })).toEqual({
      type: LeaveRefusals.invalid,
      message: 'to (2027-03-15) is before from (2027-03-16)',
    });
    expect(
      validateMove(state, WORKFLOW_ID, { from: '2027-03-15', to: '2027-03-16', firstDay: 'morning' }),
    ).toEqual({
      type: LeaveRefusals.invalid,
      message: expect.stringMatching(/^firstDay cannot be morning on a leave of several days/) as string,
    });
    state.phase = 'cancelled';
    expect(validateMove(state, WORKFLOW_ID, { from: '2027-03-15', to: '2027-03-16' })).toEqual({
      type: LeaveRefusals.finished,
      message: `${WORKFLOW_ID} is cancelled: request leave again`,
    });
  });

  it('starts the next round with nothing of the last one but what is still live', () => {
    const { state } = awaiting();
    state.events[0]!.status = 'removed';
    state.lastAnswerAt = { 'evt-cover': NOW, 'evt-approve': NOW };
    state.sent = [`${WORKFLOW_ID}:r1:reminder:hugo`, `${WORKFLOW_ID}:cancelled`];
    forgetPastRounds(state, WORKFLOW_ID);
    beginRound(state, normaliseWindow({ from: '2027-03-15', to: '2027-03-16' }));
    expect(state.events.map((e) => e.eventId)).toEqual(['evt-approve']);
    expect(state.lastAnswerAt).toEqual({ 'evt-approve': NOW });
    expect(state.sent).toEqual([`${WORKFLOW_ID}:cancelled`]);
    expect(state).toMatchObject({
      round: 2,
      phase: 'checking',
      gate1: null,
      buddy: null,
      candidates: [],
      confirmations: { buddy: null, manager: null },
      managerInvitedAt: null,
      gateTwoSince: null,
      booked: null,
    });
  });
});

describe('cancel', () => {
  it('lets the requester and their management chain cancel, keeping the first reason', () => {
    const { state } = awaiting('tom', 'omar');
    expect(validateCancel(state, WORKFLOW_ID, { by: 'hana' })).toBeNull();
    expect(applyCancel(state, 'tom', { by: 'hana' }, at())).toEqual({ wake: true });
    expect(applyCancel(state, 'tom', { by: 'tom', reason: 'plans changed' }, at())).toEqual({ wake: true });
    expect(state.cancel).toEqual({ by: 'hana', reason: 'cancelled by hana' });
    for (const by of ['tom', 'priya']) {
      const other = awaiting('tom', 'omar').state;
      expect(applyCancel(other, 'tom', { by, reason: 'plans changed' }, at())).toEqual({ wake: true });
      expect(other.cancel).toEqual({ by, reason: `cancelled by ${by}: plans changed` });
    }
  });

  it('refuses the buddy and anyone else, and records the attempt', () => {
    const { state } = awaiting('tom', 'omar');
    expect(applyCancel(state, 'tom', { by: 'omar' }, at())).toEqual({
      refused: "omar cannot cancel Tom Becker's leave: only they or their management chain can",
    });
    expect(state.cancel).toBeNull();
    expect(state.refusals.map((r) => [r.by, r.via])).toEqual([['omar', 'command']]);
  });

  it('refuses a command without a person, and a request that is over', () => {
    const { state } = awaiting();
    expect(validateCancel(state, WORKFLOW_ID, { by: '' })).toEqual({
      type: LeaveRefusals.invalid,
      message: 'by: must be a person id',
    });
    state.phase = 'declined';
    expect(validateCancel(state, WORKFLOW_ID, { by: 'gita' })).toEqual({
      type: LeaveRefusals.finished,
      message: `${WORKFLOW_ID} is already declined`,
    });
  });
});

describe('status', () => {
  it('is a copy: changing it changes nothing in the state', () => {
    const { state, input } = awaiting();
    const view = status(state, WORKFLOW_ID, input);
    expect(view).toMatchObject({
      workflowId: WORKFLOW_ID,
      personId: 'gita',
      personName: 'Gita Sharma',
      team: 'insights',
      phase: 'awaiting-confirmation',
      buddy: { id: 'hugo', name: 'Hugo Laurent' },
      manager: { id: 'hana', name: 'Hana Okafor' },
    });
    view.events[0]!.status = 'removed';
    view.candidates.pop();
    expect(state.events[0]!.status).toBe('live');
    expect(state.candidates).toHaveLength(1);
    expect(waitingFor(state)).toEqual(['Hugo Laurent (cover)', 'Hana Okafor (approval)']);
  });
});
