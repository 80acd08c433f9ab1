/**
 * What the release workflow writes for people to read: the enablement bundle (template from
 * the operating-system pack, section 4), the plan comment, the retro page and the notices.
 * Pure functions, so the same text comes out on every replay.
 */
import type { CalendarDate } from './business-calendar';
import type { PageDocument } from './document';
import type { ReleasePlan, Tier } from './release-plan';

export const TIER_NAMES: Record<Tier, string> = {
  1: 'Tier 1 (Low)',
  2: 'Tier 2 (Medium)',
  3: 'Tier 3 (High)',
};

export interface ReleaseDescription {
  issueKey: string;
  title: string;
  tier: Tier;
  launchDate: CalendarDate;
  pmName: string;
  engLeadName: string | null;
  escalationNames: string[];
  productArea: string | null;
}

/** Sections every bundle has; Tier 3's full bundle adds the rest. */
const LITE_SECTIONS: [string, string[]][] = [
  ['What changed', ['Plain-language summary of the change and why it matters.']],
  ['Who is impacted', ['Customer segments:', 'Internal teams:']],
  ['How it works', ['1.', '2.', '3.']],
  ['FAQs and edge cases', ['Q: … A: …']],
  ['Support macros and troubleshooting', ['Scenario: … Resolution: …']],
];

const FULL_ONLY_SECTIONS: [string, string[]][] = [
  ['Sales talk track', ['Positioning:', 'Key objection handling:']],
  ['Monitoring and guardrails', ['Key metrics to watch:', 'Alert thresholds:', 'Dashboard link:']],
  ['Rollback and mitigation', ['Rollback procedure:', 'Rollback owner:', 'Decision criteria for rollback:']],
];

function sections(list: [string, string[]][]): PageDocument {
  return list.flatMap(([heading, prompts]) => [
    { type: 'heading_2' as const, text: heading },
    ...prompts.map((text) => ({ type: 'bulleted_list_item' as const, text })),
  ]);
}

function ownerSection(release: ReleaseDescription): PageDocument {
  return [
    { type: 'heading_2', text: 'Owner and escalation' },
    { type: 'bulleted_list_item', text: `PM: ${release.pmName}` },
    { type: 'bulleted_list_item', text: `Eng: ${release.engLeadName ?? '(to be named)'}` },
    {
      type: 'bulleted_list_item',
      text: `Escalation: ${release.escalationNames.join(', ') || '(none configured)'}`,
    },
  ];
}

export function bundleDocument(release: ReleaseDescription, plan: ReleasePlan): PageDocument {
  const full = release.tier === 3;
  return [
    {
      type: 'callout',
      emoji: '📣',
      text: `${TIER_NAMES[release.tier]} release ${release.issueKey}, launching ${plan.launchDate}. Publish this bundle (set Status to Published) by ${plan.bundleDueDate ?? 'launch'}.`,
    },
    {
      type: 'paragraph',
      text: `Release tier: ${TIER_NAMES[release.tier]}. Target launch date: ${plan.launchDate}. PM owner: ${release.pmName}.`,
    },
    ...sections(LITE_SECTIONS),
    ...(full ? sections(FULL_ONLY_SECTIONS) : []),
    ...ownerSection(release),
  ];
}

/** What a bundle gains when its release moves from Tier 2 to Tier 3. */
export function bundleUpgradeDocument(): PageDocument {
  return [
    { type: 'divider' },
    { type: 'callout', emoji: '⬆️', text: 'Upgraded to Tier 3: the full bundle adds these sections.' },
    ...sections(FULL_ONLY_SECTIONS),
  ];
}

export function retroDocument(release: ReleaseDescription, launchedOn: CalendarDate): PageDocument {
  return [
    {
      type: 'paragraph',
      text: `Day-14 retro for ${release.title} (${release.issueKey}), launched ${launchedOn}. Asynchronous: add your notes below.`,
    },
    { type: 'heading_2', text: 'What went well in the launch process?' },
    { type: 'bulleted_list_item', text: '' },
    { type: 'heading_2', text: 'What surprised us (customers, Support, Sales)?' },
    { type: 'bulleted_list_item', text: '' },
    { type: 'heading_2', text: 'What should we change in the enablement process?' },
    { type: 'bulleted_list_item', text: '' },
    { type: 'heading_2', text: 'Action items for Product Ops (1–3)' },
    { type: 'to_do', text: '' },
  ];
}

/** The Day-3 check-in's question to the Support and Sales leads; the surprise score counts its "no"s. */
export const AWARENESS_QUESTION = 'Were you aware of this release before it shipped?';

/**
 * The check-in page's answer properties, one select per team (Yes / No, empty until answered):
 * each lead fills in their own team's, and the change counts for the Notion user who made it.
 */
export const AWARENESS_PROPERTIES = { support: 'Support aware', sales: 'Sales aware' } as const;
export const AWARENESS_OPTIONS = { yes: 'Yes', no: 'No' } as const;

/** The answer a property's value holds: true for Yes, false for No, null when not answered. */
export function awarenessOf(value: unknown): boolean | null {
  if (value === AWARENESS_OPTIONS.yes) return true;
  if (value === AWARENESS_OPTIONS.no) return false;
  return null;
}

export function checkInDocument(
  release: ReleaseDescription,
  launchedOn: CalendarDate,
  leads: { support: string | null; sales: string | null },
): PageDocument {
  const who = (team: 'support' | 'sales', lead: string | null) =>
    `${lead ?? `the ${team === 'support' ? 'Support' : 'Sales'} lead`}: set ${AWARENESS_PROPERTIES[team]} to ${AWARENESS_OPTIONS.yes} or ${AWARENESS_OPTIONS.no}`;
  return [
    {
      type: 'paragraph',
      text: `Day-3 check-in for ${release.title} (${release.issueKey}), launched ${launchedOn}.`,
    },
    { type: 'heading_2', text: AWARENESS_QUESTION },
    { type: 'bulleted_list_item', text: who('support', leads.support) },
    { type: 'bulleted_list_item', text: who('sales', leads.sales) },
    { type: 'heading_2', text: 'Any early issues?' },
    {
      type: 'paragraph',
      text: 'Support ticket spikes, unexpected behaviour, customer confusion: add them below.',
    },
    { type: 'bulleted_list_item', text: '' },
  ];
}

export function planComment(release: ReleaseDescription, plan: ReleasePlan, revision: number): string {
  const lines = [
    `prodops release plan${revision > 1 ? ` (revision ${revision})` : ''}: ${TIER_NAMES[release.tier]}, launch ${plan.launchDate} (working days on the ${plan.calendar} calendar).`,
    '',
  ];
  if (plan.bundleDueDate) lines.push(`• Enablement bundle published by ${plan.bundleDueDate}`);
  if (release.tier >= 2) lines.push('• Support and Sales confirm readiness before launch (sub-tasks)');
  if (plan.readinessCheckDate)
    lines.push(`• Launch Readiness Check (go/no-go by the PM) on ${plan.readinessCheckDate}`);
  if (release.tier === 2) lines.push('• Go/no-go: asynchronous, by the PM');
  if (release.tier >= 2) {
    lines.push(`• Day-3 check-in on ${plan.dayThreeCheckIn}`);
    lines.push(
      `• Day-14 retro on ${plan.dayFourteenRetro}${release.tier === 3 ? ' (15 minutes)' : ' (asynchronous)'}`,
    );
  }
  if (plan.late && plan.earliestCompliantLaunch) {
    lines.push(
      '',
      `⚠ Late: this launch leaves less lead time than ${TIER_NAMES[release.tier]} needs. The earliest launch date that complies is ${plan.earliestCompliantLaunch}.`,
    );
  }
  return lines.join('\n');
}

export interface Notice {
  subject: string;
  text: string;
}

export function lateNotice(release: ReleaseDescription, plan: ReleasePlan): Notice {
  return {
    subject: `[prodops] ${release.issueKey} is late for ${TIER_NAMES[release.tier]}: earliest compliant launch ${plan.earliestCompliantLaunch ?? 'n/a'}`,
    text: [
      `${release.title} (${release.issueKey}) is planned to launch on ${plan.launchDate}.`,
      `${TIER_NAMES[release.tier]} needs its enablement bundle published by ${plan.bundleDueDate ?? 'n/a'}, which has already passed.`,
      `The earliest launch date that leaves the required lead time is ${plan.earliestCompliantLaunch ?? 'n/a'}.`,
      '',
      `PM owner: ${release.pmName}. Move the launch date in Jira, or proceed knowingly.`,
    ].join('\n'),
  };
}

export function atRiskNotice(
  release: ReleaseDescription,
  plan: ReleasePlan,
  earliest: CalendarDate | null,
): Notice {
  return {
    subject: `[prodops] ${release.issueKey} at risk: enablement bundle not published by ${plan.bundleDueDate ?? 'its due date'}`,
    text: [
      `The enablement bundle for ${release.title} (${release.issueKey}) was due on ${plan.bundleDueDate ?? 'n/a'} and is not published.`,
      `Launch is planned for ${plan.launchDate}.`,
      earliest ? `Publishing today, the earliest launch date that complies would be ${earliest}.` : '',
      '',
      `PM owner: ${release.pmName}. Publish the bundle, or move the launch date.`,
    ]
      .filter((line, i, all) => line !== '' || all[i - 1] !== '')
      .join('\n'),
  };
}

export function launchReadinessNotice(release: ReleaseDescription, missing: string[]): Notice {
  return {
    subject: `[prodops] ${release.issueKey} launches today without: ${missing.join(', ')}`,
    text: [
      `${release.title} (${release.issueKey}) launches today (${release.launchDate}), and these are still missing:`,
      ...missing.map((m) => `• ${m}`),
      '',
      `PM owner: ${release.pmName}.`,
    ].join('\n'),
  };
}

export function launchOverdueNotice(release: ReleaseDescription): Notice {
  return {
    subject: `[prodops] ${release.issueKey}: was it released on ${release.launchDate}?`,
    text: [
      `${release.title} (${release.issueKey}) was planned to launch on ${release.launchDate} and is not marked released.`,
      'Move its status to released in Jira (or run `prodops release released`), or move the launch date.',
      'The post-launch check-in and retro start from the actual launch.',
    ].join('\n'),
  };
}

export function dayThreeNotice(
  release: ReleaseDescription,
  launchedOn: CalendarDate,
  checkInPage?: { url: string },
): Notice {
  return {
    subject: `[prodops] Day-3 check-in: ${release.title} (${release.issueKey})`,
    text: [
      `${release.title} launched on ${launchedOn}. Any early issues: support ticket spikes, unexpected behaviour, customer confusion?`,
      ...(checkInPage
        ? [
            `Support and Sales leads: ${AWARENESS_QUESTION} Answer Yes or No in ${AWARENESS_PROPERTIES.support} or ${AWARENESS_PROPERTIES.sales} on the check-in page: ${checkInPage.url}`,
          ]
        : []),
      `Reply on ${release.issueKey} or in #product-ops.`,
    ].join('\n'),
  };
}

export function cancelledNotice(release: ReleaseDescription, reason: string | null): Notice {
  return {
    subject: `[prodops] ${release.issueKey} cancelled`,
    text: `${release.title} (${release.issueKey}), planned for ${release.launchDate}, was cancelled${reason ? `: ${reason}` : ''}. Its open steps are retired and its future events removed.`,
  };
}

/** A minimal HTML rendering of a plain-text notice, for the mail's HTML part. */
export function noticeHtml(text: string): string {
  const escaped = text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );
  return `<div style="font-family:system-ui,sans-serif">${escaped
    .split('\n')
    .map((line) => (line === '' ? '<br>' : `<p style="margin:0 0 4px">${line}</p>`))
    .join('')}</div>`;
}
