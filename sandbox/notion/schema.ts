/**
 * The data sources the sandbox seeds for the data sources named in
 * `integrations.notion.dataSources`, with the properties the workflows write to, and how a
 * property and its options get their (stable) ids.
 */
import { shortId, stableUuid } from './ids';
import { INSIGHT_DATA_SOURCES } from './insights';
import {
  OPTION_COLORS,
  type DataSourceRecord,
  type NotionPropertyType,
  type PropertySchema,
  type SelectOption,
  type StatusGroup,
} from './model';
import { NOTION_KEY_PROPERTY } from '../../contracts/stamps';

export interface SeedProperty {
  name: string;
  type: NotionPropertyType;
  options?: string[];
  /** For status: option names per group. */
  statusGroups?: { todo: string[]; inProgress: string[]; complete: string[] };
  numberFormat?: string;
}

/** What every prodops row has: a title, and the key prodops finds the row by. */
const ROW: SeedProperty[] = [
  { name: 'Name', type: 'title' },
  { name: NOTION_KEY_PROPERTY, type: 'rich_text' },
];
/** The release a row belongs to, with its tier and launch date. */
const RELEASE: SeedProperty[] = [
  { name: 'Release', type: 'rich_text' },
  { name: 'Tier', type: 'select', options: ['Tier 1', 'Tier 2', 'Tier 3'] },
  { name: 'Launch date', type: 'date' },
];

export const SEEDED_DATA_SOURCES: Record<string, { title: string; properties: SeedProperty[] }> = {
  releaseLog: {
    title: 'Release log',
    properties: [
      ...ROW,
      ...RELEASE,
      {
        name: 'Status',
        type: 'select',
        options: ['Planned', 'Late', 'At risk', 'On hold', 'Released', 'Cancelled'],
      },
      { name: 'Product area', type: 'select', options: [] },
    ],
  },
  enablementBundles: {
    title: 'Enablement bundles',
    properties: [
      ...ROW,
      {
        name: 'Status',
        type: 'status',
        statusGroups: { todo: ['Draft'], inProgress: ['In review'], complete: ['Published', 'Cancelled'] },
      },
      ...RELEASE,
      { name: 'Owner', type: 'rich_text' },
      { name: 'Due', type: 'date' },
    ],
  },
  leaveTracker: {
    title: 'Leave tracker',
    properties: [
      ...ROW,
      { name: 'Person', type: 'people' },
      { name: 'Team', type: 'select', options: [] },
      { name: 'Dates', type: 'date' },
      { name: 'Buddy', type: 'people' },
      {
        name: 'Status',
        type: 'status',
        statusGroups: {
          todo: ['Requested'],
          inProgress: [],
          complete: ['Approved', 'Declined', 'Cancelled', 'Expired'],
        },
      },
    ],
  },
  subscriptions: {
    title: 'Subscriptions',
    properties: [
      ...ROW,
      { name: 'Vendor', type: 'rich_text' },
      { name: 'Owner', type: 'people' },
      { name: 'Renewal date', type: 'date' },
      { name: 'Notice deadline', type: 'date' },
      { name: 'Annual cost', type: 'number', numberFormat: 'dollar' },
      { name: 'Auto-renews', type: 'checkbox' },
      {
        name: 'Decision',
        type: 'select',
        options: ['Undecided', 'Renew', 'Renegotiate', 'Cancel', 'Downsize'],
      },
      { name: 'Team', type: 'select', options: [] },
      { name: 'Category', type: 'select', options: [] },
      { name: 'Cost per cycle', type: 'number' },
      { name: 'Currency', type: 'select', options: ['USD', 'EUR', 'GBP'] },
      { name: 'Cycle', type: 'select', options: ['Monthly', 'Quarterly', 'Annual'] },
      { name: 'Notice period (days)', type: 'number' },
      { name: 'Seats', type: 'number' },
      { name: 'Seats in use', type: 'number' },
      { name: 'Status', type: 'select', options: ['Active', 'Missed', 'Cancelled', 'Lapsed', 'Invalid'] },
      { name: 'Problems', type: 'rich_text' },
    ],
  },
  toolBudgets: {
    title: 'Tool budgets',
    properties: [
      ...ROW,
      { name: 'Year', type: 'number' },
      { name: 'Budget', type: 'number' },
      { name: 'Committed', type: 'number' },
      { name: 'Remaining', type: 'number' },
      { name: 'Position', type: 'select', options: ['Within budget', 'Over budget'] },
    ],
  },
  freelancers: {
    title: 'Freelancers',
    properties: [
      ...ROW,
      { name: 'ID', type: 'rich_text' },
      { name: 'Email', type: 'email' },
      { name: 'Role', type: 'select', options: [] },
      { name: 'Team', type: 'select', options: [] },
      { name: 'Hiring manager', type: 'people' },
      { name: 'Country', type: 'select', options: [] },
      { name: 'Calendar', type: 'select', options: [] },
      { name: 'Start date', type: 'date' },
      { name: 'Contract end', type: 'date' },
      { name: 'Tools', type: 'multi_select', options: [] },
      { name: 'Day rate', type: 'number', numberFormat: 'number' },
      { name: 'Currency', type: 'select', options: ['GBP', 'EUR', 'USD'] },
      {
        name: 'Status',
        type: 'status',
        statusGroups: {
          // A new row is a request (the first option is the default); Draft holds one back.
          todo: ['Requested', 'Draft'],
          inProgress: ['Onboarding', 'Active', 'Offboarding'],
          complete: ['Closed', 'Cancelled'],
        },
      },
      { name: 'Note', type: 'rich_text' },
    ],
  },
  firstWeekPages: {
    title: 'First-week pages',
    properties: [
      ...ROW,
      { name: 'Freelancer', type: 'rich_text' },
      { name: 'Start date', type: 'date' },
      { name: 'Buddy', type: 'rich_text' },
      { name: 'Manager', type: 'rich_text' },
    ],
  },
  checkIns: {
    title: 'Day-3 check-ins',
    properties: [
      ...ROW,
      { name: 'Release', type: 'rich_text' },
      { name: 'Launched', type: 'date' },
      { name: 'Support aware', type: 'select', options: ['Yes', 'No'] },
      { name: 'Sales aware', type: 'select', options: ['Yes', 'No'] },
    ],
  },
  weeklyUpdates: {
    title: 'Weekly updates',
    properties: [
      ...ROW,
      { name: 'Week', type: 'rich_text' },
      { name: 'Person', type: 'rich_text' },
      { name: 'Product area', type: 'rich_text' },
      { name: 'Ready', type: 'checkbox' },
      { name: 'Due', type: 'date' },
    ],
  },
  productUpdates: {
    title: 'Weekly Product Updates',
    properties: [...ROW, { name: 'Week', type: 'rich_text' }, { name: 'Date', type: 'date' }],
  },
  metrics: {
    title: 'Product Ops metrics',
    properties: [
      ...ROW,
      { name: 'Month', type: 'rich_text' },
      ...[
        'Enablement coverage',
        'Lead-time compliance',
        'Surprise score',
        'Surprise response rate',
        'Updates on time',
        'Submissions on time',
      ].map((name): SeedProperty => ({ name, type: 'number', numberFormat: 'percent' })),
      { name: 'Figures', type: 'rich_text' },
      { name: 'Updated', type: 'date' },
    ],
  },
  ...INSIGHT_DATA_SOURCES,
};

/** A data source as seeded under `id` for the configuration entry `kind`. */
export function seedDataSource(
  id: string,
  kind: string,
  spec: { title: string; properties: SeedProperty[] },
  created: string,
): DataSourceRecord {
  return {
    id,
    databaseId: stableUuid(`notion-database:${id}`),
    kind,
    title: spec.title,
    properties: spec.properties.map((p) => seedProperty(id, p)),
    createdTime: created,
    lastEditedTime: created,
  };
}

function seedProperty(dataSourceId: string, spec: SeedProperty): PropertySchema {
  const property: PropertySchema = {
    id: spec.type === 'title' ? 'title' : shortId(`${dataSourceId}:${spec.name}`),
    name: spec.name,
    type: spec.type,
  };
  if (spec.type === 'select' || spec.type === 'multi_select') {
    property.options = (spec.options ?? []).map((name, i) => makeOption(property, name, i));
  }
  if (spec.type === 'status' && spec.statusGroups) {
    const groups = spec.statusGroups;
    const all = [...groups.todo, ...groups.inProgress, ...groups.complete];
    property.options = all.map((name, i) => makeOption(property, name, i));
    const group = (key: string, name: StatusGroup['name'], color: string, names: string[]): StatusGroup => ({
      id: shortId(`${property.id}:${key}`),
      name,
      color,
      option_ids: names.map((n) => property.options!.find((o) => o.name === n)!.id),
    });
    property.groups = [
      group('todo', 'To-do', 'gray', groups.todo),
      group('progress', 'In progress', 'blue', groups.inProgress),
      group('complete', 'Complete', 'green', groups.complete),
    ];
  }
  if (spec.type === 'number') property.numberFormat = spec.numberFormat ?? 'number';
  return property;
}

/** An option of a select, multi-select or status property; colours go round unless one is given. */
export function makeOption(
  property: PropertySchema,
  name: string,
  index: number,
  color?: string,
): SelectOption {
  return {
    id: shortId(`${property.id}:option:${name}`),
    name,
    color: color ?? OPTION_COLORS[index % OPTION_COLORS.length]!,
    description: null,
  };
}
