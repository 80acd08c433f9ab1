/**
 * What the Weekly Product Update writes for people to read: each contributor's page with the
 * pack's five headings, pre-filled with what prodops already knows about them; the published
 * page (org-wide highlights from the release workflows, one section per product area in the
 * configured order, then who sent nothing); the reminder; and the mail. Pure functions over
 * plain facts, so the same text comes out on every replay.
 */
import { addCalendarDays, compareDates, type CalendarDate } from './business-calendar';
import type { DocumentBlock, PageDocument } from './document';
import { longDate, type IsoWeek } from './rituals';

/** What a release workflow tells the update about one release. */
export interface ReleaseFact {
  issueKey: string;
  title: string;
  tier: number;
  pmId: string;
  pmName: string;
  productArea: string | null;
  phase: string;
  enablement: string;
  /** The launch date: the actual one once launched, else the planned one. */
  launchDate: CalendarDate;
  launchedOn: CalendarDate | null;
  flags: { late: boolean; atRisk: boolean; onHold: boolean; launchOverdue: boolean };
}

/** Leave held by a leave workflow (pending or confirmed). */
export interface LeaveFact {
  personId: string;
  personName: string;
  from: CalendarDate;
  to: CalendarDate;
  firstDay: 'full' | 'morning' | 'afternoon';
  lastDay: 'full' | 'morning' | 'afternoon';
  status: 'pending' | 'confirmed';
  buddyName: string | null;
}

/** The facts of one update day, read from the release and leave workflows. */
export interface WeeklyFacts {
  /** The day of the update (the window's last day). */
  date: CalendarDate;
  /** The day of the previous update: "this week" is the days after it, up to `date`. */
  since: CalendarDate;
  releases: ReleaseFact[];
  leave: LeaveFact[];
}

export const CONTRIBUTION_HEADINGS = [
  'Wins / shipped',
  'What’s next',
  'Risks / asks',
  'Metrics snapshot',
  'Links',
] as const;

/** The placeholder under a heading with nothing pre-filled; dropped at publication if left as is. */
export const PLACEHOLDER = '…';

const TIER_LABEL = (tier: number) => `Tier ${tier}`;

const ENABLEMENT_LABELS: Record<string, string> = {
  not_required: 'no bundle needed',
  pending: 'bundle pending',
  published: 'bundle published',
  late: 'late: less lead time than its tier needs',
  at_risk: 'at risk: bundle missed its due date',
  released: 'released',
  cancelled: 'cancelled',
};

const inRange = (date: CalendarDate, from: CalendarDate, to: CalendarDate) =>
  compareDates(date, from) >= 0 && compareDates(date, to) <= 0;

/** Releases that launched after the previous update, up to this one (Tier 1 included). */
export function launchedThisWeek(facts: WeeklyFacts): ReleaseFact[] {
  return facts.releases
    .filter(
      (r) => r.launchedOn !== null && inRange(r.launchedOn, addCalendarDays(facts.since, 1), facts.date),
    )
    .sort(byLaunch);
}

/** Releases still planned to launch in the two weeks after the update day. */
export function upcomingLaunches(facts: WeeklyFacts): ReleaseFact[] {
  return facts.releases
    .filter(
      (r) =>
        r.phase === 'planning' &&
        inRange(r.launchDate, addCalendarDays(facts.date, 1), addCalendarDays(facts.date, 14)),
    )
    .sort(byLaunch);
}

/** Releases flagged late, at risk, on hold or overdue: the cross-cutting risks. */
export function releasesAtRisk(facts: WeeklyFacts): ReleaseFact[] {
  return facts.releases
    .filter(
      (r) =>
        r.phase === 'planning' && (r.flags.late || r.flags.atRisk || r.flags.onHold || r.flags.launchOverdue),
    )
    .sort(byLaunch);
}

function byLaunch(a: ReleaseFact, b: ReleaseFact): number {
  return compareDates(a.launchDate, b.launchDate) || a.issueKey.localeCompare(b.issueKey);
}

function riskWords(r: ReleaseFact): string {
  const words: string[] = [];
  if (r.flags.late) words.push('late (less lead time than its tier needs)');
  if (r.flags.atRisk) words.push('at risk (bundle missed its due date)');
  if (r.flags.onHold) words.push('on hold (no-go)');
  if (r.flags.launchOverdue) words.push('launch date passed without a release');
  return words.join(', ');
}

export function describeLaunched(r: ReleaseFact, withPm = false): string {
  return `${r.title} (${r.issueKey}), ${TIER_LABEL(r.tier)}${r.productArea ? `, ${r.productArea}` : ''}${withPm ? ` — ${r.pmName}` : ''}: launched ${longDate(r.launchedOn ?? r.launchDate)}`;
}

export function describeUpcoming(r: ReleaseFact, withPm = false): string {
  return `${r.title} (${r.issueKey}), ${TIER_LABEL(r.tier)}${withPm ? ` — ${r.pmName}` : ''}: launching ${longDate(r.launchDate)}, enablement ${ENABLEMENT_LABELS[r.enablement] ?? r.enablement}`;
}

export function describeRisk(r: ReleaseFact, withPm = false): string {
  return `${r.title} (${r.issueKey}), ${TIER_LABEL(r.tier)}${withPm ? ` — ${r.pmName}` : ''}, launch ${longDate(r.launchDate)}: ${riskWords(r)}`;
}

function describeLeave(l: LeaveFact): string {
  const span = l.from === l.to ? longDate(l.from) : `${longDate(l.from)} to ${longDate(l.to)}`;
  const half = l.firstDay !== 'full' || l.lastDay !== 'full' ? ' (half days included)' : '';
  const cover = l.buddyName ? `, covered by ${l.buddyName}` : '';
  return `On leave ${span}${half}${cover}${l.status === 'pending' ? ' (awaiting confirmation)' : ''}`;
}

/** The person's leave that starts within the two weeks after the update day. */
export function leaveAhead(facts: WeeklyFacts, personId: string): LeaveFact[] {
  return facts.leave
    .filter(
      (l) =>
        l.personId === personId &&
        inRange(l.from, addCalendarDays(facts.date, 1), addCalendarDays(facts.date, 14)),
    )
    .sort((a, b) => compareDates(a.from, b.from));
}

/** True when confirmed leave keeps the person away for the whole of `date`. */
export function onLeaveAllDay(leave: readonly LeaveFact[], personId: string, date: CalendarDate): boolean {
  return leave.some((l) => {
    if (l.personId !== personId || l.status !== 'confirmed' || !inRange(date, l.from, l.to)) return false;
    if (date === l.from && l.firstDay !== 'full') return false;
    if (date === l.to && l.lastDay !== 'full') return false;
    return true;
  });
}

export interface ContributorRef {
  id: string;
  name: string;
  /** The product areas whose section this contributor writes, in the configured order. */
  areas: string[];
}

export const instructions = (deadline: string) =>
  `Edit the bullets under each heading, then tick Ready by ${deadline}. prodops filled in what it already knows from the release and leave workflows; delete what does not belong.`;

/** A contributor's page: the five headings, each pre-filled from the facts or left with a placeholder. */
export function contributionDocument(
  contributor: ContributorRef,
  facts: WeeklyFacts,
  deadlineText: string,
): PageDocument {
  const mine = (list: ReleaseFact[]) => list.filter((r) => r.pmId === contributor.id);
  const filled: Record<(typeof CONTRIBUTION_HEADINGS)[number], string[]> = {
    'Wins / shipped': mine(launchedThisWeek(facts)).map((r) => describeLaunched(r)),
    'What’s next': [
      ...mine(upcomingLaunches(facts)).map((r) => describeUpcoming(r)),
      ...leaveAhead(facts, contributor.id).map(describeLeave),
    ],
    'Risks / asks': mine(releasesAtRisk(facts)).map((r) => describeRisk(r)),
    'Metrics snapshot': [],
    Links: [],
  };
  return [
    { type: 'callout', text: instructions(deadlineText), emoji: '📝' },
    ...CONTRIBUTION_HEADINGS.flatMap((heading): DocumentBlock[] => [
      { type: 'heading_2', text: heading },
      ...(filled[heading].length > 0 ? filled[heading] : [PLACEHOLDER]).map((text): DocumentBlock => ({
        type: 'bulleted_list_item',
        text,
      })),
    ]),
  ];
}

/**
 * What a contributor wrote, as it goes into the published page: the instruction callout and
 * untouched placeholders dropped, their headings one level down under the area's heading.
 */
export function contributionBody(blocks: readonly DocumentBlock[]): PageDocument {
  const out: PageDocument = [];
  for (const block of blocks) {
    if (block.type === 'callout' && block.text.startsWith('Edit the bullets under each heading')) continue;
    if (block.type === 'divider') {
      out.push(block);
      continue;
    }
    if (block.text.trim() === PLACEHOLDER || block.text.trim() === '') continue;
    if (block.type === 'heading_1' || block.type === 'heading_2')
      out.push({ type: 'heading_3', text: block.text });
    else out.push(block);
  }
  // A heading with nothing under it says nothing.
  return out.filter(
    (block, i) =>
      block.type !== 'heading_3' || (out[i + 1] !== undefined && out[i + 1]!.type !== 'heading_3'),
  );
}

export type SectionOutcome = 'ready' | 'late' | 'missing' | 'on-leave';

export interface PublishedSection {
  contributor: ContributorRef;
  outcome: SectionOutcome;
  /** The contributor's page content (empty when missing or on leave). */
  body: PageDocument;
  /** Contributions of earlier weeks that were ready only after their update was published. */
  rolledOver: { week: IsoWeek; body: PageDocument }[];
  url: string | null;
}

export function updateTitle(date: CalendarDate): string {
  return `Weekly Product Update — ${date}`;
}

/** A product area as the published page lists it: its configured name and its PM. */
export interface ProductAreaRef {
  id: string;
  name: string;
  pmId: string;
}

/**
 * The areas of a week whose context predates areas of their own (recorded before they were
 * carried): each contributor's areas, in the contributors' order.
 */
export function areasOfContributors(contributors: readonly ContributorRef[]): ProductAreaRef[] {
  return contributors.flatMap((c) => c.areas.map((name) => ({ id: name, name, pmId: c.id })));
}

/** What stands in for a contribution that is missing or away; null when there is one. */
function outcomeLine(section: PublishedSection): DocumentBlock | null {
  if (section.outcome === 'on-leave')
    return { type: 'paragraph', text: `${section.contributor.name} is on leave.` };
  if (section.outcome === 'missing') return { type: 'paragraph', text: 'No update this week.' };
  return null;
}

/** A contributor's part: what they wrote (or why there is nothing), then what rolled in late. */
function contributionBlocks(section: PublishedSection): DocumentBlock[] {
  const blocks: DocumentBlock[] = [];
  const line = outcomeLine(section);
  if (line) blocks.push(line);
  else
    blocks.push(
      ...(section.body.length > 0
        ? section.body
        : [{ type: 'paragraph' as const, text: 'Ready, with nothing to add.' }]),
    );
  for (const earlier of section.rolledOver) {
    blocks.push({
      type: 'callout',
      text: `From ${earlier.week}: ready after that update was published.`,
      emoji: '↪️',
    });
    blocks.push(...earlier.body);
  }
  return blocks;
}

const lateMark = (section: PublishedSection) => (section.outcome === 'late' ? ' (late)' : '');

/** The section heading of the contributors without an area: "Other" beside areas, else plain. */
export const OTHER_SECTION = 'Other';
export const ALL_CONTRIBUTORS_SECTION = 'Updates';

/**
 * The published page: highlights, then one section per product area in the configured order
 * naming its PM, then a final "Other" section for contributors without an area (in the
 * contributors' order: by name), then who sent nothing. A PM writes one page a week whatever
 * their areas: it is published under the first of their areas, and each later one says where
 * it is rather than printing the same bullets twice. An area whose PM is on leave says so.
 */
export function publishedDocument(input: {
  week: IsoWeek;
  date: CalendarDate;
  facts: WeeklyFacts;
  /** One per contributor, in the contributors' order. */
  sections: PublishedSection[];
  /** The product areas in the configured order. */
  areas: readonly ProductAreaRef[];
}): PageDocument {
  const bullets = (lines: string[], none: string): DocumentBlock[] =>
    (lines.length > 0 ? lines : [none]).map((text) => ({ type: 'bulleted_list_item', text }));
  const doc: PageDocument = [
    { type: 'paragraph', text: `${input.week}, published ${longDate(input.date)}.` },
    { type: 'heading_2', text: 'Org-wide highlights' },
    { type: 'heading_3', text: 'Launches this week' },
    ...bullets(
      launchedThisWeek(input.facts).map((r) => describeLaunched(r, true)),
      'No launches this week.',
    ),
    { type: 'heading_3', text: 'Upcoming launches (next two weeks)' },
    ...bullets(
      upcomingLaunches(input.facts).map((r) => describeUpcoming(r, true)),
      'None planned.',
    ),
    { type: 'heading_3', text: 'Cross-cutting risks' },
    ...bullets(
      releasesAtRisk(input.facts).map((r) => describeRisk(r, true)),
      'None flagged by the release workflows.',
    ),
  ];
  const sectionOf = new Map(input.sections.map((s) => [s.contributor.id, s]));
  /** Where each PM's update was printed: the first of their areas. */
  const printedUnder = new Map<string, string>();
  for (const area of input.areas) {
    const section = sectionOf.get(area.pmId);
    if (!section) {
      // The configuration changed since the week opened: the area's PM has no page this week.
      doc.push({ type: 'heading_2', text: area.name });
      doc.push({ type: 'paragraph', text: 'No contributor this week.' });
      continue;
    }
    const { name } = section.contributor;
    doc.push({ type: 'heading_2', text: `${area.name} — ${name}${lateMark(section)}` });
    const first = printedUnder.get(area.pmId);
    if (first === undefined) {
      printedUnder.set(area.pmId, area.name);
      doc.push(...contributionBlocks(section));
      continue;
    }
    const line = outcomeLine(section);
    doc.push(
      line ?? { type: 'paragraph', text: `${name}’s update for ${area.name} is under ${first} above.` },
    );
  }
  const others = input.sections.filter((s) => !printedUnder.has(s.contributor.id));
  if (others.length > 0) {
    doc.push({
      type: 'heading_2',
      text: printedUnder.size > 0 || input.areas.length > 0 ? OTHER_SECTION : ALL_CONTRIBUTORS_SECTION,
    });
    for (const section of others) {
      doc.push({ type: 'heading_3', text: `${section.contributor.name}${lateMark(section)}` });
      doc.push(...contributionBlocks(section));
    }
  }
  const missing = input.sections.filter((s) => s.outcome === 'missing').map((s) => s.contributor.name);
  const away = input.sections.filter((s) => s.outcome === 'on-leave').map((s) => s.contributor.name);
  doc.push({ type: 'divider' });
  doc.push({
    type: 'paragraph',
    text: `No update from: ${missing.length > 0 ? missing.join(', ') : 'nobody'}.`,
  });
  if (away.length > 0) doc.push({ type: 'paragraph', text: `On leave: ${away.join(', ')}.` });
  return doc;
}

/** Plain text of a document, for mails and previews. */
export function documentText(doc: readonly DocumentBlock[]): string {
  const lines: string[] = [];
  for (const block of doc) {
    if (block.type === 'divider') lines.push('—');
    else if (block.type === 'heading_1' || block.type === 'heading_2')
      lines.push('', block.text.toUpperCase());
    else if (block.type === 'heading_3') lines.push('', block.text);
    else if (block.type === 'bulleted_list_item') lines.push(`  • ${block.text}`);
    else if (block.type === 'numbered_list_item') lines.push(`  - ${block.text}`);
    else if (block.type === 'to_do') lines.push(`  [${block.checked ? 'x' : ' '}] ${block.text}`);
    else lines.push(block.text);
  }
  return lines.join('\n').replace(/^\n+/, '');
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** A plain HTML rendering of a document, for the mail's HTML part; lists are grouped. */
export function documentHtml(doc: readonly DocumentBlock[], link?: { url: string; text: string }): string {
  const parts: string[] = [];
  let list: string | null = null;
  const close = () => {
    if (list) parts.push(`</${list}>`);
    list = null;
  };
  if (link) parts.push(`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.text)}</a></p>`);
  for (const block of doc) {
    const tag =
      block.type === 'bulleted_list_item' ? 'ul' : block.type === 'numbered_list_item' ? 'ol' : null;
    if (tag !== list) close();
    if (tag && !list) {
      parts.push(`<${tag}>`);
      list = tag;
    }
    if (block.type === 'divider') parts.push('<hr>');
    else if (tag) parts.push(`<li>${escapeHtml(block.text)}</li>`);
    else if (block.type === 'heading_1' || block.type === 'heading_2')
      parts.push(`<h2>${escapeHtml(block.text)}</h2>`);
    else if (block.type === 'heading_3') parts.push(`<h3>${escapeHtml(block.text)}</h3>`);
    else if (block.type === 'quote' || block.type === 'callout')
      parts.push(`<blockquote>${escapeHtml(block.text)}</blockquote>`);
    else if (block.type === 'to_do')
      parts.push(`<p>${block.checked ? '☑' : '☐'} ${escapeHtml(block.text)}</p>`);
    else parts.push(`<p>${escapeHtml(block.text)}</p>`);
  }
  close();
  return `<div style="font-family:system-ui,sans-serif;max-width:48rem">${parts.join('')}</div>`;
}

export interface PlainNotice {
  subject: string;
  text: string;
}

export function reminderNotice(input: {
  name: string;
  date: CalendarDate;
  deadline: string;
  url: string | null;
}): PlainNotice {
  return {
    subject: `[prodops] Your Weekly Product Update is due at ${input.deadline}`,
    text: [
      `Hi ${input.name.split(' ')[0]},`,
      `your part of the Weekly Product Update of ${longDate(input.date)} is not ready yet. Five bullets are enough: wins, what's next, risks and asks, a metric, links.`,
      input.url ? `Your page: ${input.url}` : '',
      `Tick Ready on the page by ${input.deadline}. After that it goes in marked late; after publication it rolls into next week.`,
    ]
      .filter((line) => line !== '')
      .join('\n'),
  };
}
