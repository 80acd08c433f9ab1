/**
 * The insights pipeline's data sources as the sandbox seeds them (see
 * domain/insights/notion-rows.ts for what each property holds). Select options start with the
 * taxonomy's own labels; Notion adds an option the first time a row uses a new value.
 */
import { DIGEST_ROW, INSIGHT_ROW, THEME_ROW } from '../../domain/insights/notion-rows';
import {
  DEFAULT_EVIDENCE_TYPES,
  DEFAULT_SEGMENTS,
  DEFAULT_THEMES,
  DISPOSITIONS,
  SEVERITIES,
  labelOf,
} from '../../domain/insights/taxonomy';
import type { SeedProperty } from './schema';
import { NOTION_KEY_PROPERTY } from '../../contracts/stamps';

const labels = (ids: readonly string[]) => ids.map(labelOf);

export const INSIGHT_DATA_SOURCES: Record<string, { title: string; properties: SeedProperty[] }> = {
  insights: {
    title: 'Insights',
    properties: [
      { name: INSIGHT_ROW.name, type: 'title' },
      { name: NOTION_KEY_PROPERTY, type: 'rich_text' },
      { name: INSIGHT_ROW.text, type: 'rich_text' },
      { name: INSIGHT_ROW.account, type: 'rich_text' },
      { name: INSIGHT_ROW.source, type: 'select', options: [] },
      { name: INSIGHT_ROW.externalId, type: 'rich_text' },
      { name: INSIGHT_ROW.segment, type: 'select', options: labels(DEFAULT_SEGMENTS) },
      { name: INSIGHT_ROW.theme, type: 'select', options: labels(DEFAULT_THEMES) },
      { name: INSIGHT_ROW.severity, type: 'select', options: labels(SEVERITIES) },
      { name: INSIGHT_ROW.area, type: 'select', options: [] },
      { name: INSIGHT_ROW.evidenceType, type: 'select', options: labels(DEFAULT_EVIDENCE_TYPES) },
      { name: INSIGHT_ROW.link, type: 'url' },
      { name: INSIGHT_ROW.given, type: 'date' },
      {
        name: INSIGHT_ROW.status,
        type: 'select',
        options: ['Needs tagging', 'Open', 'Merged', 'Routed', 'Decided'],
      },
      { name: INSIGHT_ROW.insightId, type: 'rich_text' },
      { name: INSIGHT_ROW.mergedInto, type: 'rich_text' },
      { name: INSIGHT_ROW.decision, type: 'select', options: labels(DISPOSITIONS) },
      { name: INSIGHT_ROW.note, type: 'rich_text' },
    ],
  },
  insightThemes: {
    title: 'Insight themes',
    properties: [
      { name: THEME_ROW.name, type: 'title' },
      { name: NOTION_KEY_PROPERTY, type: 'rich_text' },
      { name: THEME_ROW.area, type: 'select', options: [] },
      { name: THEME_ROW.theme, type: 'select', options: labels(DEFAULT_THEMES) },
      { name: THEME_ROW.pm, type: 'people' },
      { name: THEME_ROW.weeks, type: 'rich_text' },
      { name: THEME_ROW.routed, type: 'date' },
      { name: THEME_ROW.high, type: 'number' },
      { name: THEME_ROW.accounts, type: 'number' },
      { name: THEME_ROW.items, type: 'number' },
      { name: THEME_ROW.evidence, type: 'number' },
      { name: THEME_ROW.status, type: 'select', options: ['Awaiting decision', 'Decided'] },
      { name: THEME_ROW.disposition, type: 'select', options: labels(DISPOSITIONS) },
      { name: THEME_ROW.rationale, type: 'rich_text' },
      { name: THEME_ROW.decidedBy, type: 'rich_text' },
      { name: THEME_ROW.note, type: 'rich_text' },
    ],
  },
  insightDigests: {
    title: 'Insight digests',
    properties: [
      { name: DIGEST_ROW.name, type: 'title' },
      { name: NOTION_KEY_PROPERTY, type: 'rich_text' },
      { name: DIGEST_ROW.kind, type: 'select', options: ['Weekly', 'Monthly'] },
      { name: DIGEST_ROW.area, type: 'select', options: [] },
      { name: DIGEST_ROW.period, type: 'rich_text' },
      { name: DIGEST_ROW.date, type: 'date' },
    ],
  },
};
