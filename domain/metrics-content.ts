/**
 * The monthly "Product Ops metrics" page: the figures as number properties (Notion can chart a
 * data source of them) and, in words, each figure with its numerator and denominator and what
 * prodops does not count. Pure, so the page says the same as `prodops report` for the month.
 */
import type { PageDocument } from './document';
import { formatRatio, type MeasurementReport, type Ratio } from './measurement';
import type { CalendarMonth } from './rituals';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export function monthName(month: CalendarMonth): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return `${MONTHS[m - 1]} ${year}`;
}

export function metricsTitle(month: CalendarMonth): string {
  return `Product Ops metrics — ${monthName(month)}`;
}

const share = (r: Ratio) => ({ number: r.share === null ? null : Math.round(r.share * 1000) / 1000 });

/** The figures as lines, with numerators, denominators and what is not counted. */
export function reportLines(report: MeasurementReport): string[] {
  const adoption = report.ritualAdoption;
  return [
    `Enablement coverage (Tier 2 and 3 launched with the bundle published before launch): ${formatRatio(report.enablementCoverage)}`,
    `Lead-time compliance (bundles published by their due date): ${formatRatio(report.leadTimeCompliance)}`,
    `Stakeholder surprise score (releases with at least one "no" to "Were you aware of this release before it shipped?", over those answered): ${formatRatio(report.surpriseScore)}; response rate ${formatRatio(report.surpriseScore.responseRate)}`,
    `Weekly updates published on time: ${formatRatio(adoption.publishedOnTime)}`,
    `PM submissions ready by the deadline: ${formatRatio(adoption.submittedByDeadline)}${adoption.byPerson.length ? ` — ${adoption.byPerson.map((p) => `${p.name} ${p.numerator}/${p.denominator}`).join(', ')}` : ''}`,
    `Ad-hoc status requests: ${report.statusRequests.how}`,
    `PM coordination overhead: ${report.coordinationOverhead.how}`,
  ];
}

export function metricsProperties(month: CalendarMonth, report: MeasurementReport, refreshedOn: string) {
  return {
    Name: { title: metricsTitle(month) },
    Month: { rich_text: month },
    'Enablement coverage': share(report.enablementCoverage),
    'Lead-time compliance': share(report.leadTimeCompliance),
    'Surprise score': share(report.surpriseScore),
    'Surprise response rate': share(report.surpriseScore.responseRate),
    'Updates on time': share(report.ritualAdoption.publishedOnTime),
    'Submissions on time': share(report.ritualAdoption.submittedByDeadline),
    Figures: { rich_text: reportLines(report).join('\n') },
    Updated: { date: { start: refreshedOn } },
  };
}

/** The page's body, written once: how each figure is counted (the properties carry the figures). */
export function metricsDocument(month: CalendarMonth): PageDocument {
  return [
    {
      type: 'callout',
      text: `prodops keeps this page's properties current every day of ${monthName(month)} from the release workflows and the weekly updates; \`prodops report --from … --to …\` prints the same figures with every release behind them.`,
      emoji: '📊',
    },
    { type: 'heading_2', text: 'How each figure is counted' },
    {
      type: 'bulleted_list_item',
      text: 'Enablement coverage: Tier 2 and 3 releases launched this month whose enablement bundle was published before launch, over those launched.',
    },
    {
      type: 'bulleted_list_item',
      text: 'Lead-time compliance: bundles due this month published by their due date (5 working days before launch for Tier 2, 10 for Tier 3), over those due.',
    },
    {
      type: 'bulleted_list_item',
      text: 'Stakeholder surprise score: releases whose Day-3 check-in got at least one "no" from Support or Sales to "Were you aware of this release before it shipped?", over the releases answered; the response rate is answered over asked.',
    },
    {
      type: 'bulleted_list_item',
      text: 'Ritual adoption: weekly updates published within the hour after the publication time, over the weeks; contributions ready by the deadline, over those asked (people on leave are not asked).',
    },
    {
      type: 'bulleted_list_item',
      text: 'Ad-hoc status requests and PM coordination overhead are not counted: prodops sees no chat and no survey. The pack measures them by a sample audit of Slack and a quarterly pulse survey.',
    },
  ];
}
