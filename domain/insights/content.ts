/**
 * What the insights pipeline writes for people: the weekly digest of an area (a Notion page and
 * a mail to its PM, with every piece of evidence and its link), the reminder, the cross-cutting
 * note to the Head of Product, the needs-tagging roundup for Product Ops and the Monthly
 * Insights Digest. Pure, so the same words come out on every replay.
 */
import type { PageDocument } from '../document';
import type { Notice } from '../release-content';
import type { EvidenceView, ItemView } from './backlog';
import { monthName } from './cadence';
import type { CrossCuttingTheme, ThemeCounts } from './ranking';
import type { MonthlyReport } from './report';
import { DISPOSITIONS, labelOf } from './taxonomy';

/** Pieces of evidence listed per theme; the rest are counted, and one command away. */
export const EVIDENCE_LISTED_PER_THEME = 150;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function describeCounts(c: Pick<ThemeCounts, 'high' | 'accounts' | 'items' | 'evidence'>): string {
  return `${c.high} High, ${plural(c.accounts, 'account')}, ${plural(c.items, 'item')}${c.evidence !== c.items ? ` (${plural(c.evidence, 'piece')} of evidence)` : ''}`;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** One line per piece of evidence: severity, account, segment, type, the words, the link, where it came from. */
export function evidenceLine(e: EvidenceView): string {
  const tags = [
    e.severity ? labelOf(e.severity) : 'severity?',
    e.account,
    e.segment ? labelOf(e.segment) : null,
    e.evidenceType ? labelOf(e.evidenceType) : null,
  ].filter((x): x is string => x !== null);
  return `${tags.join(' · ')} — “${e.excerpt}” — ${e.link ?? 'no link'} (${e.source} ${e.externalId}, ${day(e.at)}, ${e.id})`;
}

export const decideCommand = (area: string, theme: string, pm: string) =>
  `prodops insight decide ${area}/${theme} --disposition ${DISPOSITIONS.join('|')} [--rationale "…"] --by ${pm}`;

export interface DigestTheme {
  theme: string;
  rank: number;
  counts: ThemeCounts;
  round: string;
  /** The week the theme was first routed in this round; the digest's own week when new. */
  since: string;
  routedOn: string;
  remindOn: string;
  /** The theme's row in Notion, where the PM sets the Disposition. */
  url: string | null;
  evidence: { item: EvidenceView; merged: EvidenceView[] }[];
}

export interface AreaDigestInput {
  week: string;
  area: { id: string; name: string };
  pm: { id: string; name: string };
  themes: DigestTheme[];
  /** Themes ranked below the area's top N this week. */
  notRouted: number;
  remindAfterWorkingDays: number;
}

function themeEvidence(t: DigestTheme): string[] {
  const lines: string[] = [];
  let listed = 0;
  let total = 0;
  for (const { item, merged } of t.evidence) {
    for (const [i, piece] of [item, ...merged].entries()) {
      total++;
      if (listed >= EVIDENCE_LISTED_PER_THEME) continue;
      lines.push(i === 0 ? evidenceLine(piece) : `  also: ${evidenceLine(piece)}`);
      listed++;
    }
  }
  if (total > listed)
    lines.push(
      `…and ${total - listed} more: prodops insights triage --preview --json lists every item id; prodops insight show <id> shows each.`,
    );
  return lines;
}

function themeHeading(t: DigestTheme): string {
  return `${t.rank}. ${labelOf(t.theme)} — ${describeCounts(t.counts)}`;
}

function themeStanding(input: AreaDigestInput, t: DigestTheme): string {
  const carried =
    t.since !== input.week
      ? ` First routed in ${t.since} (${t.routedOn}) and still awaiting a decision.`
      : '';
  return `A reminder follows on ${t.remindOn} without a decision (${input.remindAfterWorkingDays} working days).${carried}`;
}

/** The area's weekly digest page: each routed theme, its counts and every piece of evidence. */
export function areaDigestDocument(input: AreaDigestInput): PageDocument {
  const doc: PageDocument = [
    {
      type: 'paragraph',
      text: `${input.area.name}'s top insight themes for ${input.week}, routed to ${input.pm.name}. Ranked by High items, then distinct accounts, then items, then the newest evidence.`,
    },
    {
      type: 'callout',
      emoji: '🧭',
      text: `For each theme, answer backlog, research, addressed or won't do (with a rationale): set Disposition (and Rationale) on the theme's row in Notion, or run ${decideCommand(input.area.id, '<theme>', input.pm.id)}.`,
    },
  ];
  for (const t of input.themes) {
    doc.push({ type: 'heading_2', text: themeHeading(t) });
    doc.push({
      type: 'paragraph',
      text: `${themeStanding(input, t)}${t.url ? ` Decide here: ${t.url}` : ''}`,
    });
    for (const line of themeEvidence(t)) doc.push({ type: 'bulleted_list_item', text: line });
  }
  if (input.notRouted > 0)
    doc.push({
      type: 'paragraph',
      text: `${plural(input.notRouted, 'more theme')} ranked below this week's cut: prodops insights triage --preview shows them.`,
    });
  return doc;
}

export function areaDigestNotice(input: AreaDigestInput, pageUrl: string | null): Notice {
  const lines = [
    `${input.pm.name}, here are ${input.area.name}'s top insight themes for ${input.week}.`,
    `For each, answer backlog, research, addressed or won't do (with a rationale), in Notion${pageUrl ? ` (${pageUrl})` : ''} or with`,
    `  ${decideCommand(input.area.id, '<theme>', input.pm.id)}`,
    '',
  ];
  for (const t of input.themes) {
    lines.push(themeHeading(t));
    lines.push(themeStanding(input, t));
    if (t.url) lines.push(`Decide: ${t.url}`);
    for (const line of themeEvidence(t)) lines.push(`- ${line}`);
    lines.push('');
  }
  return {
    subject: `[prodops] ${input.area.name} insights, ${input.week}: ${plural(input.themes.length, 'theme')} to decide`,
    text: lines.join('\n').trimEnd(),
  };
}

export function reminderNotice(r: {
  pmName: string;
  areaName: string;
  area: string;
  theme: string;
  pm: string;
  routedOn: string;
  counts: ThemeCounts;
  url: string | null;
}): Notice {
  return {
    subject: `[prodops] Waiting for your decision: ${r.areaName} · ${labelOf(r.theme)}`,
    text: [
      `${r.pmName}, ${r.areaName}'s insight theme "${labelOf(r.theme)}" (${describeCounts(r.counts)}) was routed to you on ${r.routedOn} and has no disposition yet.`,
      `Answer backlog, research, addressed or won't do (with a rationale)${r.url ? ` on its row in Notion: ${r.url}` : ''}, or run`,
      `  ${decideCommand(r.area, r.theme, r.pm)}`,
      'High items still open at the Monthly Insights Review are escalated into it.',
    ].join('\n'),
  };
}

export function crossCuttingNotice(input: {
  headName: string;
  week: string;
  themes: (CrossCuttingTheme & { isNew: boolean })[];
  areaName: (id: string) => string;
}): Notice {
  const lines = [
    `${input.headName}, these insight themes have open items in several product areas (${input.week}):`,
    '',
  ];
  for (const t of input.themes)
    lines.push(
      `- ${labelOf(t.theme)}${t.isNew ? ' (new this week)' : ' (wider than last week)'}: ${t.areas.map(input.areaName).join(', ')} — ${t.high} High, ${plural(t.items, 'item')}, ${plural(t.accounts, 'account')}`,
    );
  lines.push(
    '',
    'Each area PM has its part in their weekly digest. A pattern across areas is yours to place.',
  );
  return {
    subject: `[prodops] Cross-cutting insight patterns, ${input.week}: ${input.themes.map((t) => labelOf(t.theme)).join(', ')}`,
    text: lines.join('\n'),
  };
}

export function roundupNotice(input: {
  date: string;
  items: ItemView[];
  total: number;
  areas: string[];
  example: string;
}): Notice {
  const lines = [
    `${plural(input.total, 'insight')} ${input.total === 1 ? 'needs' : 'need'} tagging before ${input.total === 1 ? 'it' : 'they'} can be ranked and routed${input.total > input.items.length ? ` (the ${input.items.length} oldest below)` : ''}:`,
    '',
  ];
  for (const item of input.items) {
    lines.push(
      `- ${item.id}: ${item.account} — “${item.excerpt}” — missing ${item.needsTagging.join(', ')}${item.problems.length > 0 ? `; ${item.problems.join('; ')}` : ''} (${item.source} ${item.externalId}${item.link ? `, ${item.link}` : ''})`,
    );
  }
  lines.push(
    '',
    'Tag them on their rows in the Notion insights data source, or with',
    `  prodops insight tag <id> --theme … --segment … --severity low|medium|high --area ${input.areas.join('|') || '…'} --by ${input.example}`,
  );
  return {
    subject: `[prodops] ${plural(input.total, 'insight')} to tag (${input.date})`,
    text: lines.join('\n'),
  };
}

const pct = (share: number | null) => (share === null ? 'not measurable yet' : `${Math.round(share * 100)}%`);

export function inTimeSentence(r: MonthlyReport): string {
  const f = r.decidedInTime;
  return `${pct(f.share)} of the themes routed in ${monthName(r.month)} had a disposition within ${f.withinWorkingDays} working days (${f.inTime} in time, ${f.late} late, ${f.overdue} still undecided past it; ${f.pending} still inside the window).`;
}

export interface DigestNames {
  areaName: (id: string) => string;
  pmName: (id: string) => string;
}

/** "Insights Digest — March 2027". */
export const monthlyDigestTitle = (month: string) => `Insights Digest — ${monthName(month)}`;

export function monthlyDigestDocument(r: MonthlyReport, names: DigestNames): PageDocument {
  const doc: PageDocument = [
    {
      type: 'paragraph',
      text: `${plural(r.received.items, 'item')} arrived in ${monthName(r.month)} (${plural(r.received.evidence, 'piece')} of evidence) from ${plural(r.received.accounts, 'account')}; ${r.received.high} High.`,
    },
    { type: 'callout', emoji: '⏱️', text: inTimeSentence(r) },
    { type: 'heading_2', text: 'Top themes' },
  ];
  if (r.topThemes.length === 0) doc.push({ type: 'paragraph', text: 'No tagged items arrived this month.' });
  for (const t of r.topThemes)
    doc.push({
      type: 'numbered_list_item',
      text: `${t.areaName} · ${labelOf(t.theme)}: ${describeCounts(t)}`,
    });

  doc.push({ type: 'heading_2', text: 'Evidence by area' });
  for (const a of r.byArea)
    doc.push({
      type: 'bulleted_list_item',
      text: `${a.areaName}: ${plural(a.items, 'item')}, ${plural(a.evidence, 'piece')} of evidence, ${a.high} High`,
    });

  doc.push({ type: 'heading_2', text: 'Dispositions by PM' });
  if (r.dispositionsByPm.length === 0)
    doc.push({ type: 'paragraph', text: 'No themes were routed or decided.' });
  for (const p of r.dispositionsByPm) {
    const decided = DISPOSITIONS.filter((d) => p.decided[d] > 0).map(
      (d) => `${p.decided[d]} ${labelOf(d).toLowerCase()}`,
    );
    doc.push({
      type: 'bulleted_list_item',
      text: `${p.name} (${p.areas.map(names.areaName).join(', ')}): ${decided.length > 0 ? decided.join(', ') : 'no decisions'}; ${p.open} still open`,
    });
  }
  for (const d of r.decisions)
    doc.push({
      type: 'bulleted_list_item',
      text: `${names.areaName(d.area)} · ${labelOf(d.theme)}: ${labelOf(d.disposition)} (${names.pmName(d.pm)}, ${d.on}, via ${d.via})${d.rationale ? ` — ${d.rationale}` : ''}`,
    });

  doc.push({ type: 'heading_2', text: 'Still open' });
  for (const o of r.stillOpen.rounds)
    doc.push({
      type: 'to_do',
      text: `${names.areaName(o.area)} · ${labelOf(o.theme)} — ${names.pmName(o.pm)}, routed ${o.routedOn}${o.overdue ? `, overdue since ${o.decideBy}` : `, decide by ${o.decideBy}`}`,
    });
  for (const o of r.stillOpen.items)
    doc.push({
      type: 'bulleted_list_item',
      text: `${names.areaName(o.area)}: ${plural(o.items, 'open item')} (${o.routed} routed)`,
    });
  if (r.stillOpen.needsTagging > 0)
    doc.push({
      type: 'bulleted_list_item',
      text: `${plural(r.stillOpen.needsTagging, 'item')} still need tagging`,
    });

  doc.push({ type: 'heading_2', text: 'Escalated to this review: High items still unresolved' });
  if (r.escalated.length === 0) doc.push({ type: 'paragraph', text: 'None.' });
  for (const e of r.escalated)
    doc.push({
      type: 'bulleted_list_item',
      text: `${e.area ? names.areaName(e.area) : 'no area yet'} · ${e.theme ? labelOf(e.theme) : 'no theme yet'} — ${e.account} — “${e.excerpt}” — ${e.link ?? 'no link'} (${e.id}, ${day(e.at)}, ${e.round ? 'routed, awaiting a decision' : 'not routed'})`,
    });

  doc.push({ type: 'heading_2', text: 'Cross-cutting patterns' });
  if (r.crossCutting.length === 0) doc.push({ type: 'paragraph', text: 'None this month.' });
  for (const c of r.crossCutting)
    doc.push({
      type: 'bulleted_list_item',
      text: `${labelOf(c.theme)}: ${c.areas.map(names.areaName).join(', ')} — ${c.high} High, ${plural(c.items, 'item')}`,
    });
  return doc;
}

export function monthlyDigestNotice(r: MonthlyReport, names: DigestNames, pageUrl: string | null): Notice {
  const lines = [
    `${monthlyDigestTitle(r.month)}${pageUrl ? `: ${pageUrl}` : ''}`,
    '',
    `${plural(r.received.items, 'item')} (${plural(r.received.evidence, 'piece')} of evidence) from ${plural(r.received.accounts, 'account')}; ${r.received.high} High.`,
    inTimeSentence(r),
    '',
    'Top themes:',
    ...r.topThemes.map((t, i) => `${i + 1}. ${t.areaName} · ${labelOf(t.theme)}: ${describeCounts(t)}`),
    '',
    `Still open: ${plural(r.stillOpen.rounds.length, 'routed theme')} awaiting a decision${r.stillOpen.rounds.some((o) => o.overdue) ? ` (${r.stillOpen.rounds.filter((o) => o.overdue).length} overdue)` : ''}.`,
    `Escalated into the review: ${plural(r.escalated.length, 'High item')} still unresolved.`,
  ];
  if (r.crossCutting.length > 0)
    lines.push(
      `Cross-cutting: ${r.crossCutting.map((c) => `${labelOf(c.theme)} (${c.areas.map(names.areaName).join(', ')})`).join('; ')}.`,
    );
  return { subject: `[prodops] ${monthlyDigestTitle(r.month)}`, text: lines.join('\n') };
}
