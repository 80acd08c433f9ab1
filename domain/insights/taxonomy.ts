/**
 * The insights taxonomy (operating-system pack, section 5): theme, segment, severity, evidence
 * type and product area. Values are ids (`ux-friction`, `mid-market`); people may write them as
 * the pack does ("UX-friction", "Mid-market", "NPS verbatim") and they are read the same.
 *
 * Pure and free of zod: workflow code reads items with it on every replay.
 */

export const DEFAULT_THEMES = [
  'onboarding',
  'activation',
  'reliability',
  'pricing',
  'feature-gap',
  'ux-friction',
  'performance',
] as const;

export const DEFAULT_SEGMENTS = ['smb', 'mid-market', 'enterprise', 'new-user', 'power-user'] as const;

export const DEFAULT_EVIDENCE_TYPES = [
  'quote',
  'ticket-volume',
  'metric-change',
  'churned-account',
  'nps-verbatim',
] as const;

/** Low: nice to have; Medium: a workaround exists; High: blocking or churning. */
export const SEVERITIES = ['low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What the PM answers for a routed theme. `wont-do` needs a rationale. */
export const DISPOSITIONS = ['backlog', 'research', 'addressed', 'wont-do'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** The taxonomy fields an item must carry before it is ranked and routed. */
export const TAGGING_FIELDS = ['theme', 'segment', 'severity', 'area'] as const;
export type TaggingField = (typeof TAGGING_FIELDS)[number];

export interface ProductAreaRef {
  id: string;
  name: string;
  /** The PM who owns the area (a person id). */
  pm: string;
}

/** The organisation's taxonomy, as configured (`insights.taxonomy`, `productAreas`). */
export interface InsightTaxonomy {
  themes: readonly string[];
  segments: readonly string[];
  evidenceTypes: readonly string[];
  areas: readonly ProductAreaRef[];
}

/** The words people see for the pack's own values; other ids are shown with their dashes as spaces. */
const LABELS: Record<string, string> = {
  'feature-gap': 'Feature gap',
  'ux-friction': 'UX friction',
  smb: 'SMB',
  'mid-market': 'Mid-market',
  enterprise: 'Enterprise',
  'new-user': 'New user',
  'power-user': 'Power user',
  'ticket-volume': 'Ticket volume',
  'metric-change': 'Metric change',
  'churned-account': 'Churned account',
  'nps-verbatim': 'NPS verbatim',
  'wont-do': "Won't do",
};

/** "UX friction" for `ux-friction`, "High" for `high`. */
export function labelOf(id: string): string {
  const known = LABELS[id];
  if (known) return known;
  const spaced = id.replace(/[-_]+/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** How a taxonomy value is compared: case, spaces, underscores, dashes and apostrophes do not matter. */
export function comparable(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[\s_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The id among `ids` that `value` names (by id or by label), or undefined. */
export function matchValue(value: string, ids: readonly string[]): string | undefined {
  const wanted = comparable(value);
  if (wanted === '') return undefined;
  return ids.find((id) => comparable(id) === wanted || comparable(labelOf(id)) === wanted);
}

/** The area a value names: its id or its configured name. */
export function matchArea(value: string, areas: readonly ProductAreaRef[]): ProductAreaRef | undefined {
  const wanted = comparable(value);
  if (wanted === '') return undefined;
  return areas.find((a) => comparable(a.id) === wanted || comparable(a.name) === wanted);
}

/** Accounts compare without case and surrounding or repeated spaces ("ACME  Corp" is "acme corp"). */
export function normaliseAccount(account: string): string {
  return account.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

export const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

export function higherSeverity(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/** An insight as it arrives from any channel: strings as people and tools wrote them. */
export interface RawInsight {
  source: string;
  externalId: string;
  account: string;
  text: string;
  segment?: string | null;
  theme?: string | null;
  severity?: string | null;
  area?: string | null;
  evidenceType?: string | null;
  link?: string | null;
  /** When the feedback was given, ms since the epoch; when it arrived otherwise. */
  occurredAt?: number | null;
}

/** The taxonomy fields of an item, read against the configured taxonomy. */
export interface InsightTags {
  theme: string | null;
  segment: string | null;
  severity: Severity | null;
  area: string | null;
  evidenceType: string | null;
}

export interface ReadTags {
  tags: InsightTags;
  /** Values that name nothing in the taxonomy, in words: the item keeps them as problems. */
  problems: string[];
}

const listed = (ids: readonly string[]) => ids.join(', ');

/**
 * Reads the taxonomy fields of a raw insight. A field left empty stays null; a value that names
 * nothing in the taxonomy stays null too and is reported as a problem (the item is kept and
 * marked "needs tagging", never dropped).
 */
export function readTags(
  raw: Partial<Record<keyof InsightTags, string | null | undefined>>,
  taxonomy: InsightTaxonomy,
): ReadTags {
  const problems: string[] = [];
  const read = (field: string, value: string | null | undefined, ids: readonly string[]): string | null => {
    if (value === undefined || value === null || value.trim() === '') return null;
    const id = matchValue(value, ids);
    if (id === undefined)
      problems.push(`${field} ${JSON.stringify(value.trim().slice(0, 100))} is not one of ${listed(ids)}`);
    return id ?? null;
  };
  let area: string | null = null;
  if (raw.area !== undefined && raw.area !== null && raw.area.trim() !== '') {
    const found = matchArea(raw.area, taxonomy.areas);
    if (found) area = found.id;
    else
      problems.push(
        `area ${JSON.stringify(raw.area.trim().slice(0, 100))} is not a product area (${taxonomy.areas.length > 0 ? listed(taxonomy.areas.map((a) => a.id)) : 'none are configured under productAreas'})`,
      );
  }
  return {
    tags: {
      theme: read('theme', raw.theme, taxonomy.themes),
      segment: read('segment', raw.segment, taxonomy.segments),
      severity: read('severity', raw.severity, SEVERITIES) as Severity | null,
      area,
      evidenceType: read('evidence type', raw.evidenceType, taxonomy.evidenceTypes),
    },
    problems,
  };
}

/** The taxonomy fields still missing before the item can be ranked: "needs tagging" when any. */
export function missingTags(tags: InsightTags): TaggingField[] {
  return TAGGING_FIELDS.filter((field) => tags[field] === null);
}

/** A one-line title for an item: the first line of its text, shortened at a word. */
export function excerptOf(text: string, limit = 280): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= limit) return flat;
  const cut = flat.slice(0, limit - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > limit / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
