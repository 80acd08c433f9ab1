/**
 * The Notion data sources of the insights pipeline, by property name. The workflows write these
 * properties, the Notion routes read them, the sandbox seeds them: one list for all three.
 *
 * - `insights`: one row per item. A Notion form adds rows with Name, Text, Account and whatever
 *   taxonomy fields it asks; prodops adds rows for items from other channels, and writes Status,
 *   Insight id, Merged into, Decision and its note on every row.
 * - `insightThemes`: one row per routed theme and round; the PM sets Disposition (and Rationale).
 * - `insightDigests`: the weekly area digests and the Monthly Insights Digest.
 */

export const INSIGHT_ROW = {
  name: 'Name',
  text: 'Text',
  account: 'Account',
  source: 'Source',
  externalId: 'External id',
  segment: 'Segment',
  theme: 'Theme',
  severity: 'Severity',
  area: 'Area',
  evidenceType: 'Evidence type',
  link: 'Link',
  given: 'Given',
  status: 'Status',
  insightId: 'Insight id',
  mergedInto: 'Merged into',
  decision: 'Decision',
  note: 'prodops note',
} as const;

/** The Status values prodops writes on item rows. */
export const INSIGHT_STATUS_LABELS = {
  'needs-tagging': 'Needs tagging',
  open: 'Open',
  merged: 'Merged',
  routed: 'Routed',
  decided: 'Decided',
} as const;

export const THEME_ROW = {
  name: 'Name',
  area: 'Area',
  theme: 'Theme',
  pm: 'PM',
  weeks: 'Weeks',
  routed: 'Routed',
  high: 'High',
  accounts: 'Accounts',
  items: 'Items',
  evidence: 'Evidence',
  status: 'Status',
  disposition: 'Disposition',
  rationale: 'Rationale',
  decidedBy: 'Decided by',
  note: 'prodops note',
} as const;

export const THEME_STATUS_LABELS = { open: 'Awaiting decision', decided: 'Decided' } as const;

export const DIGEST_ROW = {
  name: 'Name',
  kind: 'Kind',
  area: 'Area',
  period: 'Period',
  date: 'Date',
} as const;
