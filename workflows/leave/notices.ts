/**
 * The words of every leave notice and invite. Pure, so the workflow builds them on replay
 * exactly as the first time.
 */
import type { Notice } from '../../domain/release-content';
import { describeWindow, type GateReason, type LeaveWindow } from '../../domain/coverage';

export interface LeaveParties {
  requester: string;
  window: LeaveWindow;
}

export interface DueIssue {
  key: string;
  summary: string;
  duedate: string | null;
  status: string;
}

export function blockedNotice(
  p: LeaveParties,
  reasons: readonly GateReason[],
  alternatives: readonly LeaveWindow[],
): Notice {
  return {
    subject: `[prodops] Leave ${describeWindow(p.window)} cannot be approved`,
    text: [
      `${p.requester}, your leave ${describeWindow(p.window)} cannot be approved as requested:`,
      ...reasons.map((r) => `- ${r.message}`),
      '',
      alternatives.length > 0
        ? `These nearby dates would pass the same checks: ${alternatives.map(describeWindow).join('; ')}.`
        : 'No nearby window of the same length passes the same checks.',
      'Move your out-of-office event (or run `prodops leave request` again) to try other dates.',
    ].join('\n'),
  };
}

export function inviteTexts(
  kind: 'coverage' | 'approval',
  p: LeaveParties,
  buddyName: string | null,
): { summary: string; description: string } {
  const when = describeWindow(p.window);
  if (kind === 'coverage')
    return {
      summary: `Cover for ${p.requester}: ${when}?`,
      description: `${p.requester} asks you to cover their work while on leave ${when}. Accept this invitation to confirm you will; decline if you cannot, and prodops will ask someone else.`,
    };
  return {
    summary: `Approve leave: ${p.requester}, ${when}`,
    description: `${p.requester} asks for leave ${when}${buddyName ? `, covered by ${buddyName}` : ''}. Accept this invitation to approve it, or decline to refuse it.`,
  };
}

export function reminderNotice(p: LeaveParties, to: string, as: 'buddy' | 'manager'): Notice {
  return {
    subject: `[prodops] Reminder: ${as === 'buddy' ? 'cover' : 'approve leave'} for ${p.requester}, ${describeWindow(p.window)}`,
    text: [
      `${to}, ${p.requester}'s leave ${describeWindow(p.window)} is waiting for your answer.`,
      as === 'buddy'
        ? 'Accept or decline the coverage invitation in your calendar.'
        : 'Accept or decline the approval invitation in your calendar, or run `prodops leave confirm`.',
    ].join('\n'),
  };
}

export function escalationNotice(
  p: LeaveParties,
  waitingFor: readonly string[],
  afterWorkingDays: number,
): Notice {
  return {
    subject: `[prodops] Leave for ${p.requester} still unconfirmed after ${afterWorkingDays} working days`,
    text: [
      `${p.requester}'s leave ${describeWindow(p.window)} is still waiting for ${waitingFor.join(' and ')}.`,
      'It expires unless both the covering buddy and the manager confirm soon.',
    ].join('\n'),
  };
}

export function expiredNotice(p: LeaveParties, waitingFor: readonly string[]): Notice {
  return {
    subject: `[prodops] Leave ${describeWindow(p.window)} expired unconfirmed`,
    text: [
      `${p.requester}'s leave ${describeWindow(p.window)} expired: ${waitingFor.join(' and ')} did not confirm in time.`,
      'Nothing was booked. Request it again to start over.',
    ].join('\n'),
  };
}

export function declinedNotice(p: LeaveParties, manager: string, note: string | undefined): Notice {
  return {
    subject: `[prodops] Leave ${describeWindow(p.window)} declined by ${manager}`,
    text: [
      `${manager} declined ${p.requester}'s leave ${describeWindow(p.window)}${note ? `: ${note}` : '.'}`,
      'Nothing was booked.',
    ].join('\n'),
  };
}

export function confirmedNotice(p: LeaveParties, buddy: string, manager: string): Notice {
  return {
    subject: `[prodops] Leave ${describeWindow(p.window)} confirmed`,
    text: [
      `${p.requester}'s leave ${describeWindow(p.window)} is confirmed: ${buddy} covers and ${manager} approved.`,
      'Calendars and the leave tracker are updated.',
    ].join('\n'),
  };
}

export function handoverNotice(
  p: LeaveParties,
  buddy: string,
  issues: readonly DueIssue[] | null,
  truncated: boolean,
): Notice {
  const lines =
    issues === null
      ? [`${p.requester} has no Jira account in the configuration, so no issues could be listed.`]
      : issues.length === 0
        ? [`${p.requester} has no Jira issues due while away.`]
        : [
            `Jira issues of ${p.requester} due while away:`,
            ...issues.map((i) => `- ${i.key} ${i.summary} (due ${i.duedate ?? 'n/a'}, ${i.status})`),
            ...(truncated ? ['(more issues are due; search Jira for the rest)'] : []),
          ];
  return {
    subject: `[prodops] You cover for ${p.requester}, ${describeWindow(p.window)}`,
    text: [
      `${buddy}, thank you for covering for ${p.requester} ${describeWindow(p.window)}.`,
      '',
      ...lines,
    ].join('\n'),
  };
}

export function cancelledNotice(p: LeaveParties, reason: string): Notice {
  return {
    subject: `[prodops] Leave ${describeWindow(p.window)} cancelled`,
    text: [
      `${p.requester}'s leave ${describeWindow(p.window)} is cancelled (${reason}).`,
      'The events prodops created for it are removed.',
    ].join('\n'),
  };
}
