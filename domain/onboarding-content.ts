/**
 * What onboarding writes for people: Jira task summaries and descriptions, invite texts, the
 * first-week page and the notices. Pure text from the engagement's facts, so that the workflow
 * and its tests build exactly the same words.
 */
import type { CalendarDate } from './business-calendar';
import type { PageDocument } from './document';

export interface EngagementDescription {
  freelancerId: string;
  name: string;
  email: string;
  role: string;
  teamName: string;
  managerName: string;
  country: string;
  startDate: CalendarDate;
  endDate: CalendarDate;
}

export interface Notice {
  subject: string;
  text: string;
}

const roleWords = (role: string) => role.replace(/[_-]+/g, ' ');

export interface TaskText {
  summary: string;
  description: string;
}

/** The one-line summary of a task: its Jira summary and its title in the status. */
export function taskSummary(
  kind: string,
  name: string,
  details: { tool?: string; complianceCheck?: string; country?: string },
): string {
  switch (kind) {
    case 'contract':
      return `Contract and NDA: ${name}`;
    case 'compliance':
      return `${details.complianceCheck ?? 'Compliance check'} (${details.country ?? '?'}): ${name}`;
    case 'vendor':
      return `Vendor record and purchase order: ${name}`;
    case 'access-approval':
      return `Approve the access scope: ${name}`;
    case 'provision':
      return `Provision ${details.tool ?? 'a tool'}: ${name}`;
    case 'revoke':
      return `Revoke ${details.tool ?? 'a tool'}: ${name}`;
    case 'final-invoice':
      return `Approve the final invoice: ${name}`;
    default:
      return `${kind}: ${name}`;
  }
}

const TASK_WORK: Record<
  string,
  (d: { tool: string; tools: string; check: string; country: string; name: string; due: string }) => string
> = {
  contract: () =>
    'Issue the contract and the NDA and have both signed. Nothing is provisioned before the NDA is signed.',
  compliance: (d) =>
    `Run the ${d.check} for a freelancer working from ${d.country}, and record the outcome on this task.`,
  vendor: () => 'Create the vendor record and raise the purchase order for the engagement.',
  'access-approval': (d) =>
    `Approve the access scope: ${d.tools}. IT provisions each tool once this task is done.`,
  provision: (d) => `Give ${d.name} access to ${d.tool} with the approved scope.`,
  revoke: (d) =>
    `Remove ${d.name}'s access to ${d.tool}. This is a compliance deadline: an access still open after ${d.due} is escalated to Security every working day.`,
  'final-invoice': () => 'Approve the final invoice of the engagement and close the purchase order.',
};

/** The Jira task of one step: what to do, for whom, by when, and how the workflow learns it is done. */
export function taskText(
  kind: string,
  engagement: EngagementDescription,
  details: { due: CalendarDate; tool?: string; toolNames?: string[]; complianceCheck?: string },
): TaskText {
  const who = `${engagement.name} (${roleWords(engagement.role)}, ${engagement.teamName})`;
  const work = TASK_WORK[kind]?.({
    tool: details.tool ?? 'the tool',
    tools: (details.toolNames ?? []).join(', ') || 'no tools',
    check: details.complianceCheck ?? 'compliance check',
    country: engagement.country,
    name: engagement.name,
    due: details.due,
  });
  return {
    summary: taskSummary(kind, engagement.name, { ...details, country: engagement.country }).slice(0, 255),
    description: [
      work ?? kind,
      `Freelancer: ${who}, ${engagement.email}. Hiring manager: ${engagement.managerName}. Engagement ${engagement.startDate} to ${engagement.endDate}.`,
      `Due ${details.due}. Move this task to Done when it is complete: the onboarding workflow follows it.`,
    ].join('\n\n'),
  };
}

/** The text of a reminder comment on a task due on the next working day. */
export function reminderComment(due: CalendarDate): string {
  return `Reminder: this onboarding task is due on ${due} (the next working day). Move it to Done when it is complete.`;
}

export interface InviteText {
  summary: string;
  description: string;
}

export function welcomeInvite(e: EngagementDescription, buddyName: string | null): InviteText {
  return {
    summary: `Welcome session: ${e.name}`,
    description: [
      `Welcome to ${e.teamName}, ${e.name}! This session opens the engagement (${e.startDate} to ${e.endDate}).`,
      `With ${e.managerName} (hiring manager)${buddyName ? ` and ${buddyName}, your onboarding buddy for the first weeks` : ''}.`,
      'Agenda: introductions; the first week; tools and access; who to ask for what.',
    ].join('\n'),
  };
}

export function checkInInvite(e: EngagementDescription, buddyName: string | null): InviteText {
  return {
    summary: `First-week check-in: ${e.name}`,
    description: `How is the first week going? What is blocked, what is missing? With ${e.managerName}${buddyName ? ` and ${buddyName}` : ''}.`,
  };
}

export function reviewInvite(e: EngagementDescription): InviteText {
  return {
    summary: `30-day review: ${e.name}`,
    description: `Thirty days in: what is going well, what should change, and whether the engagement runs to ${e.endDate}.`,
  };
}

export function firstWeekDocument(
  e: EngagementDescription,
  buddyName: string | null,
  links: { title: string; url: string }[],
  dates: { checkIn: CalendarDate; review: CalendarDate | null },
): PageDocument {
  return [
    {
      type: 'callout',
      text: `${e.name} starts on ${e.startDate}. Hiring manager: ${e.managerName}.`,
      emoji: '👋',
    },
    { type: 'heading_2', text: 'Day one' },
    { type: 'to_do', text: `Welcome session with ${e.managerName}${buddyName ? ` and ${buddyName}` : ''}` },
    { type: 'to_do', text: 'Sign in to every tool; report anything missing to the buddy' },
    { type: 'to_do', text: 'Read the product onboarding links (mailed on the start date)' },
    { type: 'heading_2', text: 'First week' },
    { type: 'to_do', text: 'Meet the team and the people you will work with most' },
    { type: 'to_do', text: 'Agree the first piece of work and what done means for it' },
    { type: 'to_do', text: `Check-in with ${e.managerName} on ${dates.checkIn}` },
    ...(dates.review ? [{ type: 'paragraph' as const, text: `30-day review on ${dates.review}.` }] : []),
    ...(links.length > 0
      ? [
          { type: 'heading_2' as const, text: 'Product onboarding' },
          ...links.map((l) => ({ type: 'bulleted_list_item' as const, text: `${l.title}: ${l.url}` })),
        ]
      : []),
    { type: 'heading_2', text: 'Buddy' },
    {
      type: 'paragraph',
      text: buddyName
        ? `${buddyName} is the onboarding buddy: the first person to ask, for anything.`
        : 'No buddy is named yet.',
    },
  ];
}

export function linksNotice(
  e: EngagementDescription,
  buddyName: string | null,
  links: { title: string; url: string }[],
  firstWeekUrl: string | null,
): Notice {
  return {
    subject: `Welcome, ${e.name}: your first week`,
    text: [
      `Welcome to ${e.teamName}! Your welcome session is today.`,
      buddyName ? `${buddyName} is your onboarding buddy.` : '',
      firstWeekUrl ? `Your first week: ${firstWeekUrl}` : '',
      ...(links.length > 0 ? ['', 'Product onboarding:', ...links.map((l) => `• ${l.title}: ${l.url}`)] : []),
    ]
      .filter((line, i, all) => line !== '' || (i > 0 && all[i - 1] !== ''))
      .join('\n'),
  };
}

export function proposalNotice(
  e: EngagementDescription,
  blocking: { title: string; team: string; due: CalendarDate }[],
  proposed: CalendarDate,
  workflowId: string,
): Notice {
  const id = workflowId.replace(/^onboarding:/, '');
  return {
    subject: `[prodops] ${e.name} cannot start on ${e.startDate}: earliest feasible start ${proposed}`,
    text: [
      `${e.name}'s start on ${e.startDate} cannot be met: this work is still open past its due date.`,
      ...blocking.map((b) => `• ${b.title} (${b.team}, due ${b.due})`),
      '',
      `From the work still open, the earliest feasible start is ${proposed}.`,
      `Accept it: prodops onboarding accept ${id} --by <you>`,
      `Or set another: prodops onboarding shift ${id} --start YYYY-MM-DD --by <you>`,
      'Every date is re-planned: the same Jira tasks get new due dates and the same welcome session moves.',
    ].join('\n'),
  };
}

export function overdueNotice(
  e: EngagementDescription,
  tasks: { title: string; issueKey: string | null; due: CalendarDate }[],
  teamName: string,
): Notice {
  return {
    subject: `[prodops] Overdue onboarding work for ${e.name} (${teamName})`,
    text: [
      `These ${teamName} tasks for ${e.name}'s onboarding (start ${e.startDate}) are past their due date:`,
      ...tasks.map((t) => `• ${t.issueKey ?? '(no issue)'} ${t.title}, due ${t.due}`),
    ].join('\n'),
  };
}

export function revocationNotice(
  e: EngagementDescription,
  tasks: { title: string; issueKey: string | null; due: CalendarDate }[],
  day: CalendarDate,
): Notice {
  return {
    subject: `[prodops] Compliance: ${e.name}'s access not revoked (${day})`,
    text: [
      `${e.name}'s engagement ended on ${e.endDate}. These accesses were due to be revoked and are still open:`,
      ...tasks.map((t) => `• ${t.issueKey ?? '(no issue)'} ${t.title}, due ${t.due}`),
      '',
      'This notice repeats every working day until every access is revoked.',
    ].join('\n'),
  };
}

export function extensionNotice(e: EngagementDescription, workflowId: string): Notice {
  const id = workflowId.replace(/^onboarding:/, '');
  return {
    subject: `[prodops] ${e.name}'s contract ends on ${e.endDate}: extend or let it end?`,
    text: [
      `${e.name}'s engagement ends on ${e.endDate}.`,
      `Extend it: prodops onboarding extend ${id} --end YYYY-MM-DD --by <you> (every date is re-planned)`,
      `Or let it end: prodops onboarding let-end ${id} --by <you>`,
      'Without an answer it ends as planned: IT revokes every tool on the first working day after the end.',
    ].join('\n'),
  };
}

export function freelancerDeclinedNotice(e: EngagementDescription): Notice {
  return {
    subject: `[prodops] ${e.name} declined the welcome session on ${e.startDate}`,
    text: `${e.name} (${e.email}) declined the welcome session invite for ${e.startDate}. Check that the start date still holds.`,
  };
}

export function noBuddyNotice(e: EngagementDescription, declined: string[]): Notice {
  return {
    subject: `[prodops] No onboarding buddy for ${e.name}`,
    text: [
      `Nobody of ${e.teamName} with the role ${roleWords(e.role)} is left to be ${e.name}'s buddy${declined.length > 0 ? ` (declined: ${declined.join(', ')})` : ''}.`,
      'Configure a buddy for the team under onboarding.buddies, or welcome them without one.',
    ].join('\n'),
  };
}

export function cancelledNotice(e: EngagementDescription, reason: string | null, revoking: string[]): Notice {
  return {
    subject: `[prodops] Onboarding of ${e.name} cancelled`,
    text: [
      `The onboarding of ${e.name} (start ${e.startDate}) was cancelled${reason ? `: ${reason}` : ''}.`,
      'Open tasks are retired and the welcome events removed.',
      revoking.length > 0 ? `IT revokes what was already provisioned: ${revoking.join(', ')}.` : '',
    ]
      .filter((l) => l !== '')
      .join('\n'),
  };
}
