/**
 * The insights section of the configuration with every default resolved: the organisation's
 * calendar, the Head of Product, Product Ops, the product areas and their PMs, the taxonomy.
 * Shared by the activities, the trigger and the commands, so that all read it alike.
 */
import type { BusinessCalendar } from '../business-calendar';
import type { OrgConfig, PersonConfig } from '../config';
import type { BacklogRules } from './backlog';
import type { InsightTaxonomy, ProductAreaRef } from './taxonomy';

export interface ResolvedInsightsSettings {
  /** The calendar the scheduled runs keep (a name in `calendars`). */
  calendar: string;
  headOfProduct: PersonConfig | null;
  productOps: PersonConfig[];
  areas: ProductAreaRef[];
  taxonomy: InsightTaxonomy;
  shards: number;
}

export function resolveInsightsSettings(config: OrgConfig): ResolvedInsightsSettings {
  const insights = config.insights;
  const person = (id: string | undefined) =>
    id === undefined ? undefined : config.people.find((p) => p.id === id);
  const headOfProduct =
    person(insights.headOfProduct) ?? config.people.find((p) => p.role === 'head_of_product') ?? null;
  const productOps = insights.productOps
    ? insights.productOps.map((id) => person(id)).filter((p): p is PersonConfig => p !== undefined)
    : config.people.filter((p) => p.role === 'product_ops');
  const calendar = insights.calendar ?? headOfProduct?.calendar ?? Object.keys(config.calendars)[0]!;
  const areas = config.productAreas.map((a) => ({ id: a.id, name: a.name, pm: a.pm }));
  return {
    calendar,
    headOfProduct,
    productOps,
    areas,
    taxonomy: {
      themes: insights.taxonomy.themes,
      segments: insights.taxonomy.segments,
      evidenceTypes: insights.taxonomy.evidenceTypes,
      areas,
    },
    shards: insights.backlog.shards,
  };
}

// ---- What workflows are handed -----------------------------------------------------------

export interface InsightPerson {
  id: string;
  name: string;
  email: string;
  /** The name of the person's calendar (a key of `calendars`). */
  calendar: string;
}

/** Everything the insights workflows need from the configuration, with calendars resolved. */
export interface InsightsContext {
  taxonomy: InsightTaxonomy;
  rules: BacklogRules;
  shards: number;
  /** The organisation's calendar: scheduled runs keep it. */
  orgCalendar: BusinessCalendar;
  /** The calendars of the people below, by name: reminders count on the PM's own. */
  calendars: Record<string, BusinessCalendar>;
  /** PMs of the areas, the Head of Product, Product Ops, the Support and Sales leads. */
  people: Record<string, InsightPerson>;
  areas: ProductAreaRef[];
  headOfProduct: string | null;
  productOps: string[];
  /** Who receives the Monthly Insights Digest (the review's attendees). */
  digestRecipients: string[];
  triage: { topThemesPerArea: number; remindAfterWorkingDays: number; crossCuttingAreas: number };
  digest: { topThemes: number; decidedWithinWorkingDays: number };
  notion: { insights: string | null; insightThemes: string | null; insightDigests: string | null };
  sender: string;
  /** The years the calendars hold holidays for. */
  years: { from: number; to: number };
}
