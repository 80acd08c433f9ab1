/**
 * A stand-in for the Notion API (version 2025-09-03: databases hold data sources, rows are
 * pages whose parent is a data source). It implements the subset prodops calls with Notion's
 * request validation, response shapes and error bodies, so a request the real API would refuse
 * is refused here too. State lives in memory, seeded from the org configuration: every person
 * is a workspace user and every data source named in `integrations.notion.dataSources` exists
 * with a schema that the workflows write to.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { OrgConfig } from '../domain/config';
import { VendorError, ok, type SandboxRequest, type SandboxResponse, type SandboxRouter } from './http';
import type { SandboxVendor } from './index';

export const NOTION_VERSION = '2025-09-03';
/** A bearer token with this value (or this value and a dash before anything) is refused, so tests can provoke a 401. */
export const INVALID_NOTION_TOKEN = 'invalid';

const MAX_TEXT_CONTENT = 2000;
const MAX_EQUATION = 1000;
const MAX_ARRAY = 100;
const MAX_URL = 2000;
const MAX_EMAIL = 200;
const MAX_PHONE = 200;
const MAX_BLOCKS_PER_REQUEST = 1000;
const MAX_BODY_BYTES = 500 * 1000;
const MAX_OPTION_NAME = 100;

export type NotionPropertyType =
  | 'title'
  | 'rich_text'
  | 'number'
  | 'select'
  | 'multi_select'
  | 'status'
  | 'date'
  | 'people'
  | 'checkbox'
  | 'url'
  | 'email'
  | 'phone_number'
  | 'relation';

const OPTION_COLORS = [
  'default',
  'gray',
  'brown',
  'orange',
  'yellow',
  'green',
  'blue',
  'purple',
  'pink',
  'red',
] as const;
const API_COLORS = new Set<string>([
  ...OPTION_COLORS,
  ...OPTION_COLORS.filter((c) => c !== 'default').map((c) => `${c}_background`),
  'default_background',
]);

export interface SelectOption {
  id: string;
  name: string;
  color: string;
  description: string | null;
}

export interface StatusGroup {
  id: string;
  name: 'To-do' | 'In progress' | 'Complete';
  color: string;
  option_ids: string[];
}

export interface PropertySchema {
  id: string;
  name: string;
  type: NotionPropertyType;
  options?: SelectOption[];
  groups?: StatusGroup[];
  numberFormat?: string;
  /** For relation properties: the data source whose pages may be linked. */
  relatedDataSourceId?: string;
}

export interface DataSourceRecord {
  id: string;
  databaseId: string;
  /** The config name it was seeded for, for example `releaseLog`. */
  kind: string;
  title: string;
  properties: PropertySchema[];
  createdTime: string;
  lastEditedTime: string;
}

type PageParent =
  | { type: 'data_source_id'; data_source_id: string; database_id: string }
  | { type: 'page_id'; page_id: string };

/** A property value exactly as Notion returns it, minus the property id. */
export type StoredValue = { type: NotionPropertyType } & Record<string, unknown>;

export interface PageRecord {
  id: string;
  parent: PageParent;
  properties: Record<string, StoredValue>;
  icon: unknown;
  createdTime: string;
  lastEditedTime: string;
  inTrash: boolean;
  createdBy: string;
  lastEditedBy: string;
}

export interface BlockRecord {
  id: string;
  parent: { type: 'page_id'; page_id: string } | { type: 'block_id'; block_id: string };
  type: string;
  /** The type-specific object as Notion returns it (rich text already in response form). */
  content: Record<string, unknown>;
  createdTime: string;
  lastEditedTime: string;
  inTrash: boolean;
}

export interface NotionUser {
  object: 'user';
  id: string;
  name: string;
  avatar_url: null;
  type: 'person' | 'bot';
  person?: { email: string };
  bot?: { owner: { type: 'workspace'; workspace: true }; workspace_name: string };
}

/** Values a person could type into a page in the Notion app, by property type. */
export type SimplePropertyInput =
  string | number | boolean | null | string[] | { start: string; end?: string | null };

export interface NotionSandboxOptions {
  /** The clock, for relative date filters and timestamps; defaults to the system clock. */
  now?: () => number;
}

class NotionError extends VendorError {
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(status, notionErrorBody(status, code, message), headers);
  }
}

function notionErrorBody(status: number, code: string, message: string) {
  return { object: 'error', status, code, message, request_id: randomUUID() };
}

function codeForStatus(status: number, message: string): string {
  if (status === 400) return /json/i.test(message) ? 'invalid_json' : 'validation_error';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'restricted_resource';
  if (status === 404) return /^No route/.test(message) ? 'invalid_request_url' : 'object_not_found';
  if (status === 409) return 'conflict_error';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'service_unavailable';
  if (status === 504) return 'gateway_timeout';
  if (status === 529) return 'service_overload';
  if (status >= 500) return 'internal_server_error';
  return 'invalid_request';
}

const validation = (message: string) => new NotionError(400, 'validation_error', message);
const bodyInvalid = (path: string, problem: string) =>
  validation(`body failed validation: ${path} ${problem}.`);

function shown(value: unknown): string {
  if (value === undefined) return 'undefined';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function hash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A stable UUID for a name, so seeded ids are the same on every run. */
function stableUuid(name: string): string {
  const hex = hash(name).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const SHORT_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function shortId(name: string): string {
  return [...hash(name).subarray(0, 4)].map((b) => SHORT_ID_ALPHABET[b % SHORT_ID_ALPHABET.length]).join('');
}

/** Notion accepts ids with or without dashes and answers with the dashed form. */
export function normalizeNotionId(raw: string): string | undefined {
  const hex = raw.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function pathId(raw: string, name: string): string {
  const id = normalizeNotionId(raw);
  if (!id)
    throw validation(
      `path failed validation: path.${name} should be a valid uuid, instead was \`${shown(raw)}\`.`,
    );
  return id;
}

interface SeedProperty {
  name: string;
  type: NotionPropertyType;
  options?: string[];
  /** For status: option names per group. */
  statusGroups?: { todo: string[]; inProgress: string[]; complete: string[] };
  numberFormat?: string;
}

const KEY_PROPERTY = 'prodops key';

const SEEDED_DATA_SOURCES: Record<string, { title: string; properties: SeedProperty[] }> = {
  releaseLog: {
    title: 'Release log',
    properties: [
      { name: 'Name', type: 'title' },
      { name: KEY_PROPERTY, type: 'rich_text' },
      { name: 'Release', type: 'rich_text' },
      { name: 'Tier', type: 'select', options: ['Tier 1', 'Tier 2', 'Tier 3'] },
      { name: 'Launch date', type: 'date' },
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
      { name: 'Name', type: 'title' },
      { name: KEY_PROPERTY, type: 'rich_text' },
      {
        name: 'Status',
        type: 'status',
        statusGroups: { todo: ['Draft'], inProgress: ['In review'], complete: ['Published', 'Cancelled'] },
      },
      { name: 'Release', type: 'rich_text' },
      { name: 'Tier', type: 'select', options: ['Tier 1', 'Tier 2', 'Tier 3'] },
      { name: 'Launch date', type: 'date' },
      { name: 'Owner', type: 'rich_text' },
      { name: 'Due', type: 'date' },
    ],
  },
  leaveTracker: {
    title: 'Leave tracker',
    properties: [
      { name: 'Name', type: 'title' },
      { name: KEY_PROPERTY, type: 'rich_text' },
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
      { name: 'Name', type: 'title' },
      { name: KEY_PROPERTY, type: 'rich_text' },
      { name: 'Vendor', type: 'rich_text' },
      { name: 'Owner', type: 'people' },
      { name: 'Renewal date', type: 'date' },
      { name: 'Notice deadline', type: 'date' },
      { name: 'Annual cost', type: 'number', numberFormat: 'dollar' },
      { name: 'Auto-renews', type: 'checkbox' },
      { name: 'Decision', type: 'select', options: ['Undecided', 'Renew', 'Renegotiate', 'Cancel'] },
    ],
  },
};

// The rituals' data sources: contributors' pages, published updates, monthly metrics, check-ins.
Object.assign(SEEDED_DATA_SOURCES, {
  weeklyUpdates: {
    title: 'Weekly updates',
    properties: [
      { name: 'Name', type: 'title' },
      { name: KEY_PROPERTY, type: 'rich_text' },
      { name: 'Week', type: 'rich_text' },
      { name: 'Person', type: 'rich_text' },
      { name: 'Product area', type: 'rich_text' },
      { name: 'Ready', type: 'checkbox' },
      { name: 'Due', type: 'date' },
    ],
  },
  productUpdates: {
    title: 'Weekly Product Updates',
    properties: [
      { name: 'Name', type: 'title' },
      { name: KEY_PROPERTY, type: 'rich_text' },
      { name: 'Week', type: 'rich_text' },
      { name: 'Date', type: 'date' },
    ],
  },
  metrics: {
    title: 'Product Ops metrics',
    properties: [
      { name: 'Name', type: 'title' },
      { name: KEY_PROPERTY, type: 'rich_text' },
      { name: 'Month', type: 'rich_text' },
      ...[
        'Enablement coverage',
        'Lead-time compliance',
        'Surprise score',
        'Surprise response rate',
        'Updates on time',
        'Submissions on time',
      ].map((name) => ({ name, type: 'number' as const, numberFormat: 'percent' })),
      { name: 'Figures', type: 'rich_text' },
      { name: 'Updated', type: 'date' },
    ],
  },
  checkIns: {
    title: 'Day-3 check-ins',
    properties: [
      { name: 'Name', type: 'title' },
      { name: KEY_PROPERTY, type: 'rich_text' },
      { name: 'Release', type: 'rich_text' },
      { name: 'Launched', type: 'date' },
      { name: 'Support aware', type: 'select', options: ['Yes', 'No'] },
      { name: 'Sales aware', type: 'select', options: ['Yes', 'No'] },
    ],
  },
} satisfies Record<string, { title: string; properties: SeedProperty[] }>);

const TEXT_BLOCK_TYPES = new Set([
  'paragraph',
  'heading_1',
  'heading_2',
  'heading_3',
  'bulleted_list_item',
  'numbered_list_item',
  'quote',
  'to_do',
  'toggle',
  'callout',
  'code',
]);
const BLOCK_TYPES = new Set([...TEXT_BLOCK_TYPES, 'divider']);
/** Block types that may hold children (headings only when toggleable). */
const PARENT_BLOCK_TYPES = new Set([
  'paragraph',
  'bulleted_list_item',
  'numbered_list_item',
  'quote',
  'to_do',
  'toggle',
  'callout',
]);

export function createNotionSandbox(config: OrgConfig, options: NotionSandboxOptions = {}) {
  const now = options.now ?? (() => Date.now());
  const botId = stableUuid('notion-bot:prodops');

  const dataSources = new Map<string, DataSourceRecord>();
  const pages = new Map<string, PageRecord>();
  const blocks = new Map<string, BlockRecord>();
  /** Ordered child block ids of every page and block. */
  const children = new Map<string, string[]>();
  const users: NotionUser[] = [];
  /** Insertion order, the tie-breaker for equal (minute-rounded) timestamps. */
  const sequence = new Map<string, number>();
  let nextSequence = 0;

  /** Notion reports page and block timestamps rounded down to the minute. */
  const timestamp = () => new Date(Math.floor(now() / 60_000) * 60_000).toISOString();

  function seed(): void {
    dataSources.clear();
    pages.clear();
    blocks.clear();
    children.clear();
    sequence.clear();
    nextSequence = 0;
    users.length = 0;
    for (const person of config.people) {
      users.push({
        object: 'user',
        id: userIdFor(person.id),
        name: person.name,
        avatar_url: null,
        type: 'person',
        person: { email: person.email },
      });
    }
    users.push({
      object: 'user',
      id: botId,
      name: 'prodops',
      avatar_url: null,
      type: 'bot',
      bot: { owner: { type: 'workspace', workspace: true }, workspace_name: config.organisation.name },
    });
    const configured = config.integrations.notion.dataSources as Record<string, string | undefined>;
    for (const [kind, seedSpec] of Object.entries(SEEDED_DATA_SOURCES)) {
      const raw = configured[kind];
      const id = raw === undefined ? undefined : normalizeNotionId(raw);
      // An id Notion could not parse is not seeded: requests naming it fail as they would for real.
      if (!id) continue;
      const created = timestamp();
      dataSources.set(id, {
        id,
        databaseId: stableUuid(`notion-database:${id}`),
        kind,
        title: seedSpec.title,
        properties: seedSpec.properties.map((p) => seedProperty(id, p)),
        createdTime: created,
        lastEditedTime: created,
      });
    }
  }

  function userIdFor(personId: string): string {
    return stableUuid(`notion-user:${personId}`);
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
      const idsOf = (names: string[]) => names.map((n) => property.options!.find((o) => o.name === n)!.id);
      property.groups = [
        { id: shortId(`${property.id}:todo`), name: 'To-do', color: 'gray', option_ids: idsOf(groups.todo) },
        {
          id: shortId(`${property.id}:progress`),
          name: 'In progress',
          color: 'blue',
          option_ids: idsOf(groups.inProgress),
        },
        {
          id: shortId(`${property.id}:complete`),
          name: 'Complete',
          color: 'green',
          option_ids: idsOf(groups.complete),
        },
      ];
    }
    if (spec.type === 'number') property.numberFormat = spec.numberFormat ?? 'number';
    return property;
  }

  function makeOption(property: PropertySchema, name: string, index: number, color?: string): SelectOption {
    return {
      id: shortId(`${property.id}:option:${name}`),
      name,
      color: color ?? OPTION_COLORS[index % OPTION_COLORS.length]!,
      description: null,
    };
  }

  function track(id: string): void {
    sequence.set(id, nextSequence++);
  }

  // ---------------------------------------------------------------- lookups

  function requireDataSource(rawId: string): DataSourceRecord {
    const id = pathId(rawId, 'data_source_id');
    const dataSource = dataSources.get(id);
    if (!dataSource) {
      throw new NotionError(
        404,
        'object_not_found',
        `Could not find data_source with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
      );
    }
    return dataSource;
  }

  function requirePage(rawId: string): PageRecord {
    const id = pathId(rawId, 'page_id');
    const page = pages.get(id);
    if (!page)
      throw new NotionError(
        404,
        'object_not_found',
        `Could not find page with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
      );
    return page;
  }

  function schemaOf(page: PageRecord): PropertySchema[] {
    if (page.parent.type === 'data_source_id')
      return dataSources.get(page.parent.data_source_id)?.properties ?? [];
    return [{ id: 'title', name: 'title', type: 'title' }];
  }

  function findProperty(schema: PropertySchema[], nameOrId: string): PropertySchema | undefined {
    return (
      schema.find((p) => p.name === nameOrId) ??
      schema.find((p) => p.id === nameOrId || decodeURIComponentSafe(p.id) === nameOrId)
    );
  }

  function decodeURIComponentSafe(value: string): string {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }

  // ---------------------------------------------------------------- rich text

  function richTextResponse(
    content: string,
    link: string | null = null,
    annotations: Record<string, unknown> = {},
  ) {
    return {
      type: 'text',
      text: { content, link: link === null ? null : { url: link } },
      annotations: {
        bold: false,
        italic: false,
        strikethrough: false,
        underline: false,
        code: false,
        color: 'default',
        ...annotations,
      },
      plain_text: content,
      href: link,
    };
  }

  function validateRichTextArray(value: unknown, path: string): Record<string, unknown>[] {
    if (!Array.isArray(value)) throw bodyInvalid(path, `should be an array, instead was \`${shown(value)}\``);
    if (value.length > MAX_ARRAY)
      throw bodyInvalid(`${path}.length`, `should be ≤ \`${MAX_ARRAY}\`, instead was \`${value.length}\``);
    return value.map((item, i) => validateRichTextItem(item, `${path}[${i}]`));
  }

  function validateRichTextItem(item: unknown, path: string): Record<string, unknown> {
    if (!isObject(item)) throw bodyInvalid(path, `should be an object, instead was \`${shown(item)}\``);
    const annotations = validateAnnotations(item.annotations, `${path}.annotations`);
    const kind =
      typeof item.type === 'string' ? item.type : ['text', 'mention', 'equation'].find((k) => k in item);
    if (kind === 'text') {
      const text = item.text;
      if (!isObject(text))
        throw bodyInvalid(`${path}.text`, `should be defined, instead was \`${shown(text)}\``);
      if (typeof text.content !== 'string')
        throw bodyInvalid(
          `${path}.text.content`,
          `should be a string, instead was \`${shown(text.content)}\``,
        );
      if (text.content.length > MAX_TEXT_CONTENT) {
        throw bodyInvalid(
          `${path}.text.content.length`,
          `should be ≤ \`${MAX_TEXT_CONTENT}\`, instead was \`${text.content.length}\``,
        );
      }
      let link: string | null = null;
      if (text.link !== undefined && text.link !== null) {
        if (!isObject(text.link) || typeof text.link.url !== 'string')
          throw bodyInvalid(
            `${path}.text.link.url`,
            `should be a string, instead was \`${shown(text.link)}\``,
          );
        if (text.link.url.length > MAX_URL)
          throw bodyInvalid(
            `${path}.text.link.url.length`,
            `should be ≤ \`${MAX_URL}\`, instead was \`${text.link.url.length}\``,
          );
        link = text.link.url;
      }
      return richTextResponse(text.content, link, annotations);
    }
    if (kind === 'equation') {
      const equation = item.equation;
      if (!isObject(equation) || typeof equation.expression !== 'string') {
        throw bodyInvalid(
          `${path}.equation.expression`,
          `should be a string, instead was \`${shown(isObject(equation) ? equation.expression : equation)}\``,
        );
      }
      if (equation.expression.length > MAX_EQUATION) {
        throw bodyInvalid(
          `${path}.equation.expression.length`,
          `should be ≤ \`${MAX_EQUATION}\`, instead was \`${equation.expression.length}\``,
        );
      }
      const { annotations: fullAnnotations } = richTextResponse('', null, annotations);
      return {
        type: 'equation',
        equation: { expression: equation.expression },
        annotations: fullAnnotations,
        plain_text: equation.expression,
        href: null,
      };
    }
    if (kind === 'mention') return validateMention(item.mention, `${path}.mention`, annotations);
    throw bodyInvalid(path, 'should be a text, mention or equation rich text object');
  }

  function validateAnnotations(value: unknown, path: string): Record<string, unknown> {
    if (value === undefined) return {};
    if (!isObject(value)) throw bodyInvalid(path, `should be an object, instead was \`${shown(value)}\``);
    const out: Record<string, unknown> = {};
    for (const [key, flag] of Object.entries(value)) {
      if (key === 'color') {
        if (typeof flag !== 'string' || !API_COLORS.has(flag))
          throw bodyInvalid(`${path}.color`, `should be a valid color, instead was \`${shown(flag)}\``);
        out.color = flag;
      } else if (['bold', 'italic', 'strikethrough', 'underline', 'code'].includes(key)) {
        if (typeof flag !== 'boolean')
          throw bodyInvalid(`${path}.${key}`, `should be a boolean, instead was \`${shown(flag)}\``);
        out[key] = flag;
      } else {
        throw bodyInvalid(`${path}.${key}`, 'should be not present');
      }
    }
    return out;
  }

  function validateMention(
    mention: unknown,
    path: string,
    annotations: Record<string, unknown>,
  ): Record<string, unknown> {
    if (!isObject(mention)) throw bodyInvalid(path, `should be an object, instead was \`${shown(mention)}\``);
    const base = (plain: string, value: Record<string, unknown>) => ({
      type: 'mention',
      mention: value,
      annotations: richTextResponse('', null, annotations).annotations,
      plain_text: plain,
      href: null,
    });
    if (isObject(mention.user)) {
      const id = typeof mention.user.id === 'string' ? normalizeNotionId(mention.user.id) : undefined;
      const user = users.find((u) => u.id === id);
      if (!user)
        throw bodyInvalid(
          `${path}.user.id`,
          `should be a valid user id, instead was \`${shown(mention.user.id)}\``,
        );
      return base(`@${user.name}`, { type: 'user', user: { object: 'user', id: user.id } });
    }
    if (isObject(mention.page)) {
      const id = typeof mention.page.id === 'string' ? normalizeNotionId(mention.page.id) : undefined;
      const page = id ? pages.get(id) : undefined;
      if (!page)
        throw bodyInvalid(
          `${path}.page.id`,
          `should be a valid page id, instead was \`${shown(mention.page.id)}\``,
        );
      return base(titleOf(page) || 'Untitled', { type: 'page', page: { id: page.id } });
    }
    if (isObject(mention.date)) {
      const date = validateDateValue(mention.date, `${path}.date`);
      return base(date.end ? `${date.start} → ${date.end}` : date.start, { type: 'date', date });
    }
    throw bodyInvalid(path, 'should be a user, page or date mention');
  }

  // ---------------------------------------------------------------- property values

  function validateDateString(value: unknown, path: string): string {
    if (typeof value !== 'string' || !isIsoDate(value)) {
      throw bodyInvalid(path, `should be a valid ISO 8601 date string, instead was \`${shown(value)}\``);
    }
    return value;
  }

  function validateDateValue(
    value: Record<string, unknown>,
    path: string,
  ): { start: string; end: string | null; time_zone: string | null } {
    const start = validateDateString(value.start, `${path}.start`);
    const end =
      value.end === undefined || value.end === null ? null : validateDateString(value.end, `${path}.end`);
    let timeZone: string | null = null;
    if (value.time_zone !== undefined && value.time_zone !== null) {
      if (typeof value.time_zone !== 'string' || !isTimeZone(value.time_zone)) {
        throw bodyInvalid(
          `${path}.time_zone`,
          `should be a valid IANA time zone, instead was \`${shown(value.time_zone)}\``,
        );
      }
      timeZone = value.time_zone;
    }
    return { start, end, time_zone: timeZone };
  }

  function resolveOption(
    property: PropertySchema,
    value: unknown,
    path: string,
    createMissing: boolean,
  ): SelectOption {
    if (!isObject(value)) throw bodyInvalid(path, `should be an object, instead was \`${shown(value)}\``);
    const options = (property.options ??= []);
    if (typeof value.id === 'string') {
      const byId = options.find((o) => o.id === value.id);
      if (!byId)
        throw validation(`Invalid ${property.type} option id "${value.id}" for property ${property.name}.`);
      return byId;
    }
    if (typeof value.name !== 'string')
      throw bodyInvalid(`${path}.name`, `should be a string, instead was \`${shown(value.name)}\``);
    const name = value.name.trim();
    if (name === '') throw bodyInvalid(`${path}.name`, 'should not be empty');
    const existing = options.find((o) => o.name === name);
    if (existing) return existing;
    if (!createMissing) {
      throw validation(
        `Invalid status option. Status option "${name}" does not exist for property ${property.name}.`,
      );
    }
    if (name.includes(',')) throw validation(`Invalid select option, commas not allowed: ${name}`);
    if (name.length > MAX_OPTION_NAME)
      throw bodyInvalid(
        `${path}.name.length`,
        `should be ≤ \`${MAX_OPTION_NAME}\`, instead was \`${name.length}\``,
      );
    const color =
      typeof value.color === 'string' && (OPTION_COLORS as readonly string[]).includes(value.color)
        ? value.color
        : undefined;
    // Notion adds an option the first time a page uses a new select value.
    const option = makeOption(property, name, options.length, color);
    options.push(option);
    return option;
  }

  function partialOption(option: SelectOption) {
    return { id: option.id, name: option.name, color: option.color };
  }

  /** Validates one property value from a create or update request and returns it as stored. */
  function normalizeValue(property: PropertySchema, raw: unknown, path: string): StoredValue {
    if (!isObject(raw)) throw bodyInvalid(path, `should be an object, instead was \`${shown(raw)}\``);
    const declared = typeof raw.type === 'string' ? raw.type : undefined;
    if ((declared !== undefined && declared !== property.type) || !(property.type in raw)) {
      throw validation(`${property.name} is expected to be ${property.type}.`);
    }
    const value = raw[property.type];
    const at = `${path}.${property.type}`;
    switch (property.type) {
      case 'title':
      case 'rich_text':
        return { type: property.type, [property.type]: validateRichTextArray(value, at) };
      case 'number':
        if (value !== null && (typeof value !== 'number' || !Number.isFinite(value)))
          throw bodyInvalid(at, `should be a number or \`null\`, instead was \`${shown(value)}\``);
        return { type: 'number', number: value };
      case 'checkbox':
        if (typeof value !== 'boolean')
          throw bodyInvalid(at, `should be a boolean, instead was \`${shown(value)}\``);
        return { type: 'checkbox', checkbox: value };
      case 'url':
      case 'email':
      case 'phone_number': {
        const limit = property.type === 'url' ? MAX_URL : property.type === 'email' ? MAX_EMAIL : MAX_PHONE;
        if (value !== null && typeof value !== 'string')
          throw bodyInvalid(at, `should be a string or \`null\`, instead was \`${shown(value)}\``);
        if (typeof value === 'string' && value.length > limit)
          throw bodyInvalid(`${at}.length`, `should be ≤ \`${limit}\`, instead was \`${value.length}\``);
        return { type: property.type, [property.type]: value === '' ? null : value };
      }
      case 'select':
        return {
          type: 'select',
          select: value === null ? null : partialOption(resolveOption(property, value, at, true)),
        };
      case 'status':
        return {
          type: 'status',
          status: value === null ? null : partialOption(resolveOption(property, value, at, false)),
        };
      case 'multi_select': {
        if (!Array.isArray(value))
          throw bodyInvalid(at, `should be an array, instead was \`${shown(value)}\``);
        if (value.length > MAX_ARRAY)
          throw bodyInvalid(`${at}.length`, `should be ≤ \`${MAX_ARRAY}\`, instead was \`${value.length}\``);
        return {
          type: 'multi_select',
          multi_select: value.map((v, i) => partialOption(resolveOption(property, v, `${at}[${i}]`, true))),
        };
      }
      case 'date':
        if (value === null) return { type: 'date', date: null };
        if (!isObject(value))
          throw bodyInvalid(at, `should be an object or \`null\`, instead was \`${shown(value)}\``);
        return { type: 'date', date: validateDateValue(value, at) };
      case 'people': {
        if (!Array.isArray(value))
          throw bodyInvalid(at, `should be an array, instead was \`${shown(value)}\``);
        if (value.length > MAX_ARRAY)
          throw bodyInvalid(`${at}.length`, `should be ≤ \`${MAX_ARRAY}\`, instead was \`${value.length}\``);
        const people = value.map((person, i) => {
          const id =
            isObject(person) && typeof person.id === 'string' ? normalizeNotionId(person.id) : undefined;
          const user = users.find((u) => u.id === id);
          if (!user)
            throw bodyInvalid(
              `${at}[${i}].id`,
              `should be a valid user id, instead was \`${shown(isObject(person) ? person.id : person)}\``,
            );
          return { object: 'user', id: user.id };
        });
        return { type: 'people', people };
      }
      case 'relation': {
        if (!Array.isArray(value))
          throw bodyInvalid(at, `should be an array, instead was \`${shown(value)}\``);
        if (value.length > MAX_ARRAY)
          throw bodyInvalid(`${at}.length`, `should be ≤ \`${MAX_ARRAY}\`, instead was \`${value.length}\``);
        const relation = value.map((item, i) => {
          const id = isObject(item) && typeof item.id === 'string' ? normalizeNotionId(item.id) : undefined;
          const target = id ? pages.get(id) : undefined;
          const allowed =
            target &&
            (property.relatedDataSourceId === undefined ||
              (target.parent.type === 'data_source_id' &&
                target.parent.data_source_id === property.relatedDataSourceId));
          if (!target || !allowed)
            throw bodyInvalid(
              `${at}[${i}].id`,
              `should be a page in the related data source, instead was \`${shown(isObject(item) ? item.id : item)}\``,
            );
          return { id: target.id };
        });
        return { type: 'relation', relation, has_more: false };
      }
    }
  }

  function emptyValue(property: PropertySchema): StoredValue {
    switch (property.type) {
      case 'title':
      case 'rich_text':
      case 'multi_select':
      case 'people':
        return { type: property.type, [property.type]: [] };
      case 'relation':
        return { type: 'relation', relation: [], has_more: false };
      case 'checkbox':
        return { type: 'checkbox', checkbox: false };
      default:
        return { type: property.type, [property.type]: null };
    }
  }

  function normalizeProperties(
    schema: PropertySchema[],
    raw: unknown,
    path: string,
  ): Record<string, StoredValue> {
    if (raw === undefined) return {};
    if (!isObject(raw)) throw bodyInvalid(path, `should be an object, instead was \`${shown(raw)}\``);
    const out: Record<string, StoredValue> = {};
    for (const [key, value] of Object.entries(raw)) {
      const property = findProperty(schema, key);
      if (!property) throw validation(`${key} is not a property that exists.`);
      out[property.name] = normalizeValue(property, value, `${path}.${key}`);
    }
    return out;
  }

  // ---------------------------------------------------------------- blocks

  interface PendingBlock {
    type: string;
    content: Record<string, unknown>;
    children: PendingBlock[];
  }

  /** Validates request children (at most two levels of nesting, 100 per array, 1000 in all). */
  function validateChildren(
    value: unknown,
    path: string,
    depth: number,
    counter: { count: number },
  ): PendingBlock[] {
    if (!Array.isArray(value)) throw bodyInvalid(path, `should be an array, instead was \`${shown(value)}\``);
    if (value.length > MAX_ARRAY)
      throw bodyInvalid(`${path}.length`, `should be ≤ \`${MAX_ARRAY}\`, instead was \`${value.length}\``);
    return value.map((block, i) => validateBlock(block, `${path}[${i}]`, depth, counter));
  }

  function validateBlock(
    raw: unknown,
    path: string,
    depth: number,
    counter: { count: number },
  ): PendingBlock {
    if (!isObject(raw)) throw bodyInvalid(path, `should be an object, instead was \`${shown(raw)}\``);
    counter.count += 1;
    if (counter.count > MAX_BLOCKS_PER_REQUEST)
      throw validation(
        `body failed validation: a request may contain at most ${MAX_BLOCKS_PER_REQUEST} blocks.`,
      );
    if (raw.object !== undefined && raw.object !== 'block')
      throw bodyInvalid(`${path}.object`, `should be \`"block"\`, instead was \`${shown(raw.object)}\``);
    const keys = Object.keys(raw).filter((k) => k !== 'object' && k !== 'type');
    const type = typeof raw.type === 'string' ? raw.type : keys[0];
    if (type === undefined || !BLOCK_TYPES.has(type) || keys.length !== 1 || keys[0] !== type) {
      throw bodyInvalid(path, `should be a single supported block object, instead had \`${shown(keys)}\``);
    }
    const body = raw[type];
    if (!isObject(body))
      throw bodyInvalid(`${path}.${type}`, `should be an object, instead was \`${shown(body)}\``);
    if (type === 'divider') {
      if (Object.keys(body).length > 0) throw bodyInvalid(`${path}.divider`, 'should be an empty object');
      return { type, content: {}, children: [] };
    }
    const at = `${path}.${type}`;
    const content: Record<string, unknown> = {
      rich_text: validateRichTextArray(body.rich_text, `${at}.rich_text`),
    };
    content.color = 'default';
    if (body.color !== undefined) {
      if (typeof body.color !== 'string' || !API_COLORS.has(body.color))
        throw bodyInvalid(`${at}.color`, `should be a valid color, instead was \`${shown(body.color)}\``);
      content.color = body.color;
    }
    if (type === 'to_do') {
      if (body.checked !== undefined && typeof body.checked !== 'boolean')
        throw bodyInvalid(`${at}.checked`, `should be a boolean, instead was \`${shown(body.checked)}\``);
      content.checked = body.checked === true;
    }
    if (type === 'callout') {
      if (body.icon !== undefined) {
        if (!isObject(body.icon) || typeof body.icon.emoji !== 'string')
          throw bodyInvalid(`${at}.icon.emoji`, `should be a string, instead was \`${shown(body.icon)}\``);
        content.icon = { type: 'emoji', emoji: body.icon.emoji };
      } else {
        content.icon = null;
      }
    }
    if (type === 'code') {
      if (typeof body.language !== 'string')
        throw bodyInvalid(`${at}.language`, `should be defined, instead was \`${shown(body.language)}\``);
      content.language = body.language;
      content.caption =
        body.caption === undefined ? [] : validateRichTextArray(body.caption, `${at}.caption`);
    }
    if (type.startsWith('heading_')) {
      if (body.is_toggleable !== undefined && typeof body.is_toggleable !== 'boolean')
        throw bodyInvalid(
          `${at}.is_toggleable`,
          `should be a boolean, instead was \`${shown(body.is_toggleable)}\``,
        );
      content.is_toggleable = body.is_toggleable === true;
    }
    let nested: PendingBlock[] = [];
    if (body.children !== undefined) {
      const canHold = PARENT_BLOCK_TYPES.has(type) || content.is_toggleable === true;
      if (depth >= 2 || !canHold) throw bodyInvalid(`${at}.children`, 'should be not present');
      nested = validateChildren(body.children, `${at}.children`, depth + 1, counter);
    }
    return { type, content, children: nested };
  }

  function insertBlocks(
    parentId: string,
    parentKind: 'page_id' | 'block_id',
    pending: PendingBlock[],
    position: number,
  ): BlockRecord[] {
    const list = children.get(parentId) ?? [];
    const created: BlockRecord[] = [];
    const at = timestamp();
    for (const block of pending) {
      const id = randomUUID();
      const record: BlockRecord = {
        id,
        parent:
          parentKind === 'page_id'
            ? { type: 'page_id', page_id: parentId }
            : { type: 'block_id', block_id: parentId },
        type: block.type,
        content: block.content,
        createdTime: at,
        lastEditedTime: at,
        inTrash: false,
      };
      blocks.set(id, record);
      track(id);
      created.push(record);
      if (block.children.length > 0) insertBlocks(id, 'block_id', block.children, 0);
    }
    list.splice(position, 0, ...created.map((b) => b.id));
    children.set(parentId, list);
    return created;
  }

  function renderBlock(block: BlockRecord) {
    const kids = (children.get(block.id) ?? []).filter((id) => !blocks.get(id)?.inTrash);
    return {
      object: 'block',
      id: block.id,
      parent: block.parent,
      created_time: block.createdTime,
      last_edited_time: block.lastEditedTime,
      created_by: { object: 'user', id: botId },
      last_edited_by: { object: 'user', id: botId },
      has_children: kids.length > 0,
      in_trash: block.inTrash,
      archived: block.inTrash,
      type: block.type,
      [block.type]: block.content,
    };
  }

  // ---------------------------------------------------------------- pages

  function titleOf(page: PageRecord): string {
    const title = Object.values(page.properties).find((v) => v.type === 'title');
    return Array.isArray(title?.title)
      ? (title.title as { plain_text: string }[]).map((t) => t.plain_text).join('')
      : '';
  }

  function pageUrl(page: PageRecord): string {
    const slug = titleOf(page)
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60);
    const hex = page.id.replace(/-/g, '');
    return `https://www.notion.so/${slug ? `${slug}-` : ''}${hex}`;
  }

  function renderPage(page: PageRecord, onlyPropertyIds?: Set<string>) {
    const properties: Record<string, unknown> = {};
    for (const property of schemaOf(page)) {
      if (
        onlyPropertyIds &&
        !onlyPropertyIds.has(property.id) &&
        !onlyPropertyIds.has(decodeURIComponentSafe(property.id))
      )
        continue;
      properties[property.name] = {
        id: property.id,
        ...(page.properties[property.name] ?? emptyValue(property)),
      };
    }
    return {
      object: 'page',
      id: page.id,
      created_time: page.createdTime,
      last_edited_time: page.lastEditedTime,
      created_by: { object: 'user', id: page.createdBy },
      last_edited_by: { object: 'user', id: page.lastEditedBy },
      cover: null,
      icon: page.icon,
      parent: page.parent,
      in_trash: page.inTrash,
      archived: page.inTrash,
      is_archived: false,
      is_locked: false,
      properties,
      url: pageUrl(page),
      public_url: null,
    };
  }

  function renderDataSource(dataSource: DataSourceRecord) {
    const properties: Record<string, unknown> = {};
    for (const property of dataSource.properties) {
      let config: unknown = {};
      if (property.type === 'select' || property.type === 'multi_select')
        config = { options: property.options ?? [] };
      if (property.type === 'status')
        config = { options: property.options ?? [], groups: property.groups ?? [] };
      if (property.type === 'number') config = { format: property.numberFormat ?? 'number' };
      if (property.type === 'relation') {
        config = {
          data_source_id: property.relatedDataSourceId ?? null,
          database_id: null,
          type: 'single_property',
          single_property: {},
        };
      }
      properties[property.name] = {
        id: property.id,
        name: property.name,
        description: null,
        type: property.type,
        [property.type]: config,
      };
    }
    return {
      object: 'data_source',
      id: dataSource.id,
      created_time: dataSource.createdTime,
      last_edited_time: dataSource.lastEditedTime,
      created_by: { object: 'user', id: botId },
      last_edited_by: { object: 'user', id: botId },
      title: [richTextResponse(dataSource.title)],
      description: [],
      icon: null,
      cover: null,
      properties,
      parent: { type: 'database_id', database_id: dataSource.databaseId },
      database_parent: { type: 'workspace', workspace: true },
      is_inline: false,
      in_trash: false,
      archived: false,
      url: `https://www.notion.so/${dataSource.databaseId.replace(/-/g, '')}`,
      public_url: null,
    };
  }

  function createPageRecord(
    parent: PageParent,
    properties: Record<string, StoredValue>,
    icon: unknown,
    by: string,
  ): PageRecord {
    const created = timestamp();
    const page: PageRecord = {
      id: randomUUID(),
      parent,
      properties,
      icon,
      createdTime: created,
      lastEditedTime: created,
      inTrash: false,
      createdBy: by,
      lastEditedBy: by,
    };
    if (parent.type === 'data_source_id') {
      // Like Notion, a new row starts at its status property's first option when none is given.
      for (const property of dataSources.get(parent.data_source_id)?.properties ?? []) {
        const first = property.options?.[0];
        if (property.type === 'status' && !(property.name in properties) && first) {
          properties[property.name] = { type: 'status', status: partialOption(first) };
        }
      }
    }
    pages.set(page.id, page);
    track(page.id);
    return page;
  }

  function touch(page: PageRecord, by = botId): void {
    page.lastEditedTime = timestamp();
    page.lastEditedBy = by;
  }

  // ---------------------------------------------------------------- query

  type Predicate = (page: PageRecord) => boolean;

  function compileFilter(filter: unknown, path: string, depth: number, schema: PropertySchema[]): Predicate {
    if (!isObject(filter)) throw bodyInvalid(path, `should be an object, instead was \`${shown(filter)}\``);
    for (const op of ['and', 'or'] as const) {
      if (op in filter) {
        const list = filter[op];
        if (depth >= 2)
          throw bodyInvalid(
            `${path}.${op}`,
            'should be not present (compound filters nest at most two levels)',
          );
        if (!Array.isArray(list))
          throw bodyInvalid(`${path}.${op}`, `should be an array, instead was \`${shown(list)}\``);
        if (list.length > MAX_ARRAY)
          throw bodyInvalid(
            `${path}.${op}.length`,
            `should be ≤ \`${MAX_ARRAY}\`, instead was \`${list.length}\``,
          );
        const parts = list.map((f, i) => compileFilter(f, `${path}.${op}[${i}]`, depth + 1, schema));
        return op === 'and' ? (page) => parts.every((p) => p(page)) : (page) => parts.some((p) => p(page));
      }
    }
    if (typeof filter.timestamp === 'string') {
      const field = filter.timestamp;
      if (field !== 'created_time' && field !== 'last_edited_time')
        throw bodyInvalid(
          `${path}.timestamp`,
          `should be one of created_time, last_edited_time, instead was \`${shown(field)}\``,
        );
      const test = dateCondition(filter[field], `${path}.${field}`);
      return (page) => test(field === 'created_time' ? page.createdTime : page.lastEditedTime);
    }
    if (typeof filter.property !== 'string')
      throw bodyInvalid(`${path}.property`, `should be defined, instead was \`${shown(filter.property)}\``);
    return compilePropertyFilter(filter, filter.property, path, schema);
  }

  function compilePropertyFilter(
    filter: Record<string, unknown>,
    name: string,
    path: string,
    schema: PropertySchema[],
  ): Predicate {
    const property = findProperty(schema, name);
    if (!property) throw validation(`Could not find property with name or id: ${name}`);
    const keys = Object.keys(filter).filter((k) => k !== 'property' && k !== 'type');
    const kind = typeof filter.type === 'string' ? filter.type : keys[0];
    if (kind === undefined || keys.length !== 1 || keys[0] !== kind)
      throw bodyInvalid(path, 'should have exactly one filter condition');
    if (kind !== property.type)
      throw validation(`database property ${property.type} does not match filter ${kind}`);
    const condition = filter[kind];
    const at = `${path}.${kind}`;
    const valueOf = (page: PageRecord): StoredValue => page.properties[property.name] ?? emptyValue(property);
    switch (property.type) {
      case 'title':
      case 'rich_text':
      case 'url':
      case 'email':
      case 'phone_number': {
        const test = textCondition(condition, at);
        return (page) => test(plainText(valueOf(page)));
      }
      case 'number': {
        const test = numberCondition(condition, at);
        return (page) => test(valueOf(page).number as number | null);
      }
      case 'checkbox': {
        const test = checkboxCondition(condition, at);
        return (page) => test(valueOf(page).checkbox === true);
      }
      case 'select':
      case 'status': {
        const test = optionCondition(condition, at);
        return (page) => test((valueOf(page)[property.type] as { name: string } | null)?.name ?? null);
      }
      case 'multi_select': {
        const test = listCondition(condition, at, false);
        return (page) => test((valueOf(page).multi_select as { name: string }[]).map((o) => o.name));
      }
      case 'people':
      case 'relation': {
        const test = listCondition(condition, at, true);
        const key = property.type;
        return (page) => test((valueOf(page)[key] as { id: string }[]).map((o) => o.id));
      }
      case 'date': {
        const test = dateCondition(condition, at);
        // Notion's date filters look at a range's start only.
        return (page) => test((valueOf(page).date as { start: string } | null)?.start ?? null);
      }
    }
  }

  function singleCondition(condition: unknown, path: string, allowed: readonly string[]): [string, unknown] {
    if (!isObject(condition))
      throw bodyInvalid(path, `should be an object, instead was \`${shown(condition)}\``);
    const entries = Object.entries(condition);
    if (entries.length !== 1 || !allowed.includes(entries[0]![0])) {
      throw bodyInvalid(
        path,
        `should have exactly one of ${allowed.join(', ')}, instead had \`${shown(Object.keys(condition))}\``,
      );
    }
    const [op, operand] = entries[0]!;
    if ((op === 'is_empty' || op === 'is_not_empty') && operand !== true)
      throw bodyInvalid(`${path}.${op}`, `should be \`true\`, instead was \`${shown(operand)}\``);
    return [op, operand];
  }

  function textCondition(condition: unknown, path: string): (value: string) => boolean {
    const [op, operand] = singleCondition(condition, path, [
      'equals',
      'does_not_equal',
      'contains',
      'does_not_contain',
      'starts_with',
      'ends_with',
      'is_empty',
      'is_not_empty',
    ]);
    if (op === 'is_empty') return (v) => v === '';
    if (op === 'is_not_empty') return (v) => v !== '';
    if (typeof operand !== 'string')
      throw bodyInvalid(`${path}.${op}`, `should be a string, instead was \`${shown(operand)}\``);
    const needle = operand.toLowerCase();
    switch (op) {
      case 'equals':
        return (v) => v === operand;
      case 'does_not_equal':
        return (v) => v !== operand;
      case 'contains':
        return (v) => v.toLowerCase().includes(needle);
      case 'does_not_contain':
        return (v) => !v.toLowerCase().includes(needle);
      case 'starts_with':
        return (v) => v.toLowerCase().startsWith(needle);
      default:
        return (v) => v.toLowerCase().endsWith(needle);
    }
  }

  function numberCondition(condition: unknown, path: string): (value: number | null) => boolean {
    const [op, operand] = singleCondition(condition, path, [
      'equals',
      'does_not_equal',
      'greater_than',
      'less_than',
      'greater_than_or_equal_to',
      'less_than_or_equal_to',
      'is_empty',
      'is_not_empty',
    ]);
    if (op === 'is_empty') return (v) => v === null;
    if (op === 'is_not_empty') return (v) => v !== null;
    if (typeof operand !== 'number')
      throw bodyInvalid(`${path}.${op}`, `should be a number, instead was \`${shown(operand)}\``);
    const compare: Record<string, (v: number) => boolean> = {
      equals: (v) => v === operand,
      does_not_equal: (v) => v !== operand,
      greater_than: (v) => v > operand,
      less_than: (v) => v < operand,
      greater_than_or_equal_to: (v) => v >= operand,
      less_than_or_equal_to: (v) => v <= operand,
    };
    const test = compare[op]!;
    return (v) => (v === null ? op === 'does_not_equal' : test(v));
  }

  function checkboxCondition(condition: unknown, path: string): (value: boolean) => boolean {
    const [op, operand] = singleCondition(condition, path, ['equals', 'does_not_equal']);
    if (typeof operand !== 'boolean')
      throw bodyInvalid(`${path}.${op}`, `should be a boolean, instead was \`${shown(operand)}\``);
    return op === 'equals' ? (v) => v === operand : (v) => v !== operand;
  }

  function optionCondition(condition: unknown, path: string): (value: string | null) => boolean {
    const [op, operand] = singleCondition(condition, path, [
      'equals',
      'does_not_equal',
      'is_empty',
      'is_not_empty',
    ]);
    if (op === 'is_empty') return (v) => v === null;
    if (op === 'is_not_empty') return (v) => v !== null;
    const names =
      typeof operand === 'string'
        ? [operand]
        : Array.isArray(operand) && operand.every((o) => typeof o === 'string')
          ? operand
          : undefined;
    if (!names)
      throw bodyInvalid(
        `${path}.${op}`,
        `should be a string or an array of strings, instead was \`${shown(operand)}\``,
      );
    return op === 'equals' ? (v) => v !== null && names.includes(v) : (v) => v === null || !names.includes(v);
  }

  function listCondition(condition: unknown, path: string, ids: boolean): (values: string[]) => boolean {
    const [op, operand] = singleCondition(condition, path, [
      'contains',
      'does_not_contain',
      'is_empty',
      'is_not_empty',
    ]);
    if (op === 'is_empty') return (v) => v.length === 0;
    if (op === 'is_not_empty') return (v) => v.length > 0;
    if (typeof operand !== 'string')
      throw bodyInvalid(`${path}.${op}`, `should be a string, instead was \`${shown(operand)}\``);
    const wanted = ids ? normalizeNotionId(operand) : operand;
    if (wanted === undefined)
      throw bodyInvalid(`${path}.${op}`, `should be a valid uuid, instead was \`${shown(operand)}\``);
    return op === 'contains' ? (v) => v.includes(wanted) : (v) => !v.includes(wanted);
  }

  function dateCondition(condition: unknown, path: string): (value: string | null) => boolean {
    const [op, operand] = singleCondition(condition, path, [
      'equals',
      'before',
      'after',
      'on_or_before',
      'on_or_after',
      'is_empty',
      'is_not_empty',
      'past_week',
      'past_month',
      'past_year',
      'this_week',
      'next_week',
      'next_month',
      'next_year',
    ]);
    if (op === 'is_empty') return (v) => v === null;
    if (op === 'is_not_empty') return (v) => v !== null;
    const today = new Date(now()).toISOString().slice(0, 10);
    const windows: Record<string, [string, string]> = {
      past_week: [addDays(today, -7), today],
      past_month: [addMonths(today, -1), today],
      past_year: [addMonths(today, -12), today],
      next_week: [today, addDays(today, 7)],
      next_month: [today, addMonths(today, 1)],
      next_year: [today, addMonths(today, 12)],
      this_week: weekOf(today),
    };
    const window = windows[op];
    if (window) {
      if (!isObject(operand) || Object.keys(operand).length > 0)
        throw bodyInvalid(`${path}.${op}`, 'should be an empty object');
      return (v) => v !== null && compareDate(v, window[0]) >= 0 && compareDate(v, window[1]) <= 0;
    }
    const target = resolveRelativeDate(operand, today);
    if (target === undefined)
      throw bodyInvalid(
        `${path}.${op}`,
        `should be a valid ISO 8601 date string or relative date, instead was \`${shown(operand)}\``,
      );
    const tests: Record<string, (c: number) => boolean> = {
      equals: (c) => c === 0,
      before: (c) => c < 0,
      after: (c) => c > 0,
      on_or_before: (c) => c <= 0,
      on_or_after: (c) => c >= 0,
    };
    const test = tests[op]!;
    return (v) => v !== null && test(compareDate(v, target));
  }

  function resolveRelativeDate(operand: unknown, today: string): string | undefined {
    if (typeof operand !== 'string') return undefined;
    const relative: Record<string, string> = {
      today,
      tomorrow: addDays(today, 1),
      yesterday: addDays(today, -1),
      one_week_ago: addDays(today, -7),
      one_week_from_now: addDays(today, 7),
      one_month_ago: addMonths(today, -1),
      one_month_from_now: addMonths(today, 1),
    };
    if (operand in relative) return relative[operand];
    return isIsoDate(operand) ? operand : undefined;
  }

  function compareSortValues(a: unknown, b: unknown): number {
    if (a === b) return 0;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
    return String(a).localeCompare(String(b));
  }

  function sortKey(page: PageRecord, property: PropertySchema): unknown {
    const value = page.properties[property.name] ?? emptyValue(property);
    switch (property.type) {
      case 'number':
        return value.number;
      case 'checkbox':
        return value.checkbox;
      case 'date':
        return (value.date as { start: string } | null)?.start ?? null;
      case 'select':
      case 'status': {
        // Notion orders select and status values by the option order in the schema.
        const name = (value[property.type] as { name: string } | null)?.name;
        const index = property.options?.findIndex((o) => o.name === name) ?? -1;
        return index < 0 ? null : index;
      }
      case 'multi_select':
      case 'people':
      case 'relation':
        return (value[property.type] as unknown[]).length || null;
      default:
        return plainText(value);
    }
  }

  function compileSorts(sorts: unknown, schema: PropertySchema[]): (a: PageRecord, b: PageRecord) => number {
    const bySequence = (a: PageRecord, b: PageRecord) =>
      (sequence.get(a.id) ?? 0) - (sequence.get(b.id) ?? 0);
    if (sorts === undefined) {
      // Without sorts Notion lists the newest rows first.
      return (a, b) => b.createdTime.localeCompare(a.createdTime) || -bySequence(a, b);
    }
    if (!Array.isArray(sorts))
      throw bodyInvalid('body.sorts', `should be an array, instead was \`${shown(sorts)}\``);
    if (sorts.length > MAX_ARRAY)
      throw bodyInvalid('body.sorts.length', `should be ≤ \`${MAX_ARRAY}\`, instead was \`${sorts.length}\``);
    const comparators = sorts.map((sort, i) => {
      const path = `body.sorts[${i}]`;
      if (!isObject(sort)) throw bodyInvalid(path, `should be an object, instead was \`${shown(sort)}\``);
      if (sort.direction !== 'ascending' && sort.direction !== 'descending') {
        throw bodyInvalid(
          `${path}.direction`,
          `should be one of ascending, descending, instead was \`${shown(sort.direction)}\``,
        );
      }
      const sign = sort.direction === 'ascending' ? 1 : -1;
      if (typeof sort.timestamp === 'string') {
        if (sort.timestamp !== 'created_time' && sort.timestamp !== 'last_edited_time') {
          throw bodyInvalid(
            `${path}.timestamp`,
            `should be one of created_time, last_edited_time, instead was \`${shown(sort.timestamp)}\``,
          );
        }
        const field = sort.timestamp === 'created_time' ? 'createdTime' : 'lastEditedTime';
        return (a: PageRecord, b: PageRecord) =>
          sign * (a[field].localeCompare(b[field]) || bySequence(a, b));
      }
      if (typeof sort.property !== 'string')
        throw bodyInvalid(`${path}.property`, `should be defined, instead was \`${shown(sort.property)}\``);
      const property = findProperty(schema, sort.property);
      if (!property) throw validation(`Could not find sort property with name or id: ${sort.property}`);
      return (a: PageRecord, b: PageRecord) => {
        const ka = sortKey(a, property);
        const kb = sortKey(b, property);
        // Empty values stay at the end whichever the direction.
        if (ka === null || ka === '') return kb === null || kb === '' ? 0 : 1;
        if (kb === null || kb === '') return -1;
        return sign * compareSortValues(ka, kb);
      };
    });
    return (a, b) => {
      for (const compare of comparators) {
        const result = compare(a, b);
        if (result !== 0) return result;
      }
      return bySequence(a, b);
    };
  }

  function pageSizeOf(raw: unknown, path: string): number {
    if (raw === undefined) return MAX_ARRAY;
    const size = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof size !== 'number' || !Number.isInteger(size))
      throw bodyInvalid(path, `should be an integer, instead was \`${shown(raw)}\``);
    if (size > MAX_ARRAY) throw bodyInvalid(path, `should be ≤ \`${MAX_ARRAY}\`, instead was \`${size}\``);
    if (size < 1) throw bodyInvalid(path, `should be ≥ \`1\`, instead was \`${size}\``);
    return size;
  }

  function paginate<T extends { id: string }>(
    items: T[],
    cursor: unknown,
    pageSize: number,
    cursorPath: string,
  ) {
    let start = 0;
    if (cursor !== undefined && cursor !== null) {
      if (typeof cursor !== 'string')
        throw bodyInvalid(cursorPath, `should be a string, instead was \`${shown(cursor)}\``);
      const id = normalizeNotionId(cursor);
      start = id ? items.findIndex((item) => item.id === id) : -1;
      if (start < 0) throw validation(`The start_cursor provided is invalid: ${cursor}`);
    }
    const slice = items.slice(start, start + pageSize);
    const next = items[start + pageSize];
    return { results: slice, next_cursor: next ? next.id : null, has_more: next !== undefined };
  }

  // ---------------------------------------------------------------- HTTP

  function header(req: SandboxRequest, name: string): string | undefined {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  /** Authentication and version checks that Notion applies to every request. */
  function guard(req: SandboxRequest): string {
    const authorization = header(req, 'authorization');
    const token = authorization?.match(/^Bearer\s+(\S+)$/)?.[1];
    if (!token || token === INVALID_NOTION_TOKEN || token.startsWith(`${INVALID_NOTION_TOKEN}-`)) {
      throw new NotionError(401, 'unauthorized', 'API token is invalid.');
    }
    const version = header(req, 'notion-version');
    if (version === undefined) {
      throw new NotionError(
        400,
        'missing_version',
        'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
      );
    }
    if (version !== NOTION_VERSION) {
      throw validation(
        `Notion-Version header failed validation: this API serves Notion-Version ${NOTION_VERSION}, instead was \`${version}\`.`,
      );
    }
    if (req.rawBody.length > MAX_BODY_BYTES)
      throw validation(
        `body failed validation: the request body must be at most ${MAX_BODY_BYTES} bytes, instead was ${req.rawBody.length}.`,
      );
    return token;
  }

  function bodyOf(req: SandboxRequest): Record<string, unknown> {
    if (req.body === undefined) return {};
    if (!isObject(req.body))
      throw new NotionError(400, 'invalid_json', 'Error parsing JSON body: the body must be a JSON object.');
    return req.body;
  }

  function route(
    handler: (req: SandboxRequest) => SandboxResponse,
  ): (req: SandboxRequest) => SandboxResponse {
    return (req) => {
      guard(req);
      return handler(req);
    };
  }

  function queryDataSource(req: SandboxRequest): SandboxResponse {
    const dataSource = requireDataSource(req.params.id!);
    const body = bodyOf(req);
    const pageSize = pageSizeOf(body.page_size, 'body.page_size');
    const predicate =
      body.filter === undefined
        ? () => true
        : compileFilter(body.filter, 'body.filter', 0, dataSource.properties);
    const order = compileSorts(body.sorts, dataSource.properties);
    if (body.in_trash !== undefined && typeof body.in_trash !== 'boolean')
      throw bodyInvalid('body.in_trash', `should be a boolean, instead was \`${shown(body.in_trash)}\``);
    const wantTrash = body.in_trash === true;
    const rows = [...pages.values()]
      .filter(
        (p) =>
          p.parent.type === 'data_source_id' &&
          p.parent.data_source_id === dataSource.id &&
          p.inTrash === wantTrash,
      )
      .filter(predicate)
      .sort(order);
    const onlyIds = req.query.getAll('filter_properties');
    const page = paginate(rows, body.start_cursor, pageSize, 'body.start_cursor');
    return ok({
      object: 'list',
      results: page.results.map((p) => renderPage(p, onlyIds.length > 0 ? new Set(onlyIds) : undefined)),
      next_cursor: page.next_cursor,
      has_more: page.has_more,
      type: 'page_or_data_source',
      page_or_data_source: {},
      request_id: randomUUID(),
    });
  }

  function createPage(req: SandboxRequest): SandboxResponse {
    const body = bodyOf(req);
    const parent = body.parent;
    if (!isObject(parent))
      throw bodyInvalid('body.parent', `should be defined, instead was \`${shown(parent)}\``);
    let pageParent: PageParent;
    let schema: PropertySchema[];
    if (typeof parent.data_source_id === 'string' || typeof parent.database_id === 'string') {
      let dataSource: DataSourceRecord | undefined;
      if (typeof parent.data_source_id === 'string') {
        dataSource = requireDataSource(parent.data_source_id);
      } else {
        const databaseId = pathId(parent.database_id as string, 'database_id');
        dataSource = [...dataSources.values()].find((d) => d.databaseId === databaseId);
        if (!dataSource)
          throw new NotionError(
            404,
            'object_not_found',
            `Could not find database with ID: ${databaseId}. Make sure the relevant pages and databases are shared with your integration.`,
          );
      }
      pageParent = {
        type: 'data_source_id',
        data_source_id: dataSource.id,
        database_id: dataSource.databaseId,
      };
      schema = dataSource.properties;
    } else if (typeof parent.page_id === 'string') {
      const parentPage = requirePage(parent.page_id);
      pageParent = { type: 'page_id', page_id: parentPage.id };
      schema = [{ id: 'title', name: 'title', type: 'title' }];
    } else {
      throw bodyInvalid('body.parent', 'should have one of data_source_id, database_id or page_id');
    }
    const properties = normalizeProperties(schema, body.properties, 'body.properties');
    const counter = { count: 0 };
    const pending =
      body.children === undefined ? [] : validateChildren(body.children, 'body.children', 0, counter);
    const page = createPageRecord(pageParent, properties, isObject(body.icon) ? body.icon : null, botId);
    if (pending.length > 0) insertBlocks(page.id, 'page_id', pending, 0);
    return ok(renderPage(page));
  }

  function updatePage(req: SandboxRequest): SandboxResponse {
    const page = requirePage(req.params.id!);
    const body = bodyOf(req);
    const trashFlag = body.in_trash ?? body.archived;
    if (trashFlag !== undefined && typeof trashFlag !== 'boolean')
      throw bodyInvalid('body.in_trash', `should be a boolean, instead was \`${shown(trashFlag)}\``);
    const inTrash = trashFlag ?? page.inTrash;
    if (page.inTrash && inTrash && (body.properties !== undefined || body.icon !== undefined)) {
      throw validation("Can't edit page that is archived. You must unarchive the page before editing.");
    }
    const properties = normalizeProperties(schemaOf(page), body.properties, 'body.properties');
    Object.assign(page.properties, properties);
    if (body.icon !== undefined) page.icon = isObject(body.icon) ? body.icon : null;
    page.inTrash = inTrash;
    touch(page);
    return ok(renderPage(page));
  }

  /** A page or a block that can hold children, by id. */
  function requireContainer(rawId: string): {
    id: string;
    kind: 'page_id' | 'block_id';
    inTrash: boolean;
    type?: string;
    content?: Record<string, unknown>;
  } {
    const id = pathId(rawId, 'block_id');
    const page = pages.get(id);
    if (page) return { id, kind: 'page_id', inTrash: page.inTrash };
    const block = blocks.get(id);
    if (block)
      return { id, kind: 'block_id', inTrash: block.inTrash, type: block.type, content: block.content };
    throw new NotionError(
      404,
      'object_not_found',
      `Could not find block with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
    );
  }

  function appendChildren(req: SandboxRequest): SandboxResponse {
    const container = requireContainer(req.params.id!);
    if (container.inTrash)
      throw validation("Can't edit block that is archived. You must unarchive the block before editing.");
    if (
      container.kind === 'block_id' &&
      !(PARENT_BLOCK_TYPES.has(container.type!) || container.content?.is_toggleable === true)
    ) {
      throw validation(`Block type ${container.type} does not support children.`);
    }
    const body = bodyOf(req);
    if (body.children === undefined)
      throw bodyInvalid('body.children', 'should be defined, instead was `undefined`');
    const depth = container.kind === 'page_id' ? 0 : 1;
    const pending = validateChildren(body.children, 'body.children', depth, { count: 0 });
    const siblings = children.get(container.id) ?? [];
    let position = siblings.length;
    const afterId =
      typeof body.after === 'string'
        ? body.after
        : isObject(body.position) &&
            body.position.type === 'after_block' &&
            isObject(body.position.after_block)
          ? body.position.after_block.id
          : undefined;
    if (afterId !== undefined) {
      const id = typeof afterId === 'string' ? normalizeNotionId(afterId) : undefined;
      const index = id ? siblings.indexOf(id) : -1;
      if (index < 0) throw validation(`Block ${shown(afterId)} is not a child of ${container.id}.`);
      position = index + 1;
    } else if (isObject(body.position) && body.position.type === 'start') {
      position = 0;
    }
    const created = insertBlocks(container.id, container.kind, pending, position);
    const page = pages.get(container.id);
    if (page) touch(page);
    return ok({
      object: 'list',
      results: created.map(renderBlock),
      next_cursor: null,
      has_more: false,
      type: 'block',
      block: {},
      request_id: randomUUID(),
    });
  }

  function listChildren(req: SandboxRequest): SandboxResponse {
    const container = requireContainer(req.params.id!);
    const pageSize = pageSizeOf(req.query.get('page_size') ?? undefined, 'query.page_size');
    const visible = (children.get(container.id) ?? []).map((id) => blocks.get(id)!).filter((b) => !b.inTrash);
    const page = paginate(
      visible,
      req.query.get('start_cursor') ?? undefined,
      pageSize,
      'query.start_cursor',
    );
    return ok({
      object: 'list',
      results: page.results.map(renderBlock),
      next_cursor: page.next_cursor,
      has_more: page.has_more,
      type: 'block',
      block: {},
      request_id: randomUUID(),
    });
  }

  function listUsers(req: SandboxRequest): SandboxResponse {
    const pageSize = pageSizeOf(req.query.get('page_size') ?? undefined, 'query.page_size');
    const page = paginate(users, req.query.get('start_cursor') ?? undefined, pageSize, 'query.start_cursor');
    return ok({
      object: 'list',
      results: page.results,
      next_cursor: page.next_cursor,
      has_more: page.has_more,
      type: 'user',
      user: {},
      request_id: randomUUID(),
    });
  }

  // ---------------------------------------------------------------- store API for tests and demos

  function simpleToRequest(property: PropertySchema, value: SimplePropertyInput): unknown {
    const text = (v: unknown) => (typeof v === 'string' ? [{ text: { content: v } }] : v);
    const ids = (v: unknown) =>
      Array.isArray(v)
        ? v.map((id: unknown) => ({
            id: typeof id === 'string' && config.people.some((p) => p.id === id) ? userIdFor(id) : id,
          }))
        : v;
    switch (property.type) {
      case 'title':
      case 'rich_text':
        return { [property.type]: text(value) };
      case 'select':
      case 'status':
        return { [property.type]: typeof value === 'string' ? { name: value } : value };
      case 'multi_select':
        return { multi_select: Array.isArray(value) ? value.map((name) => ({ name })) : value };
      case 'date':
        return { date: typeof value === 'string' ? { start: value } : value };
      case 'people':
      case 'relation':
        return { [property.type]: ids(value) };
      default:
        return { [property.type]: value };
    }
  }

  /** Applies what a person would type in the Notion app; the app is not bound by API text limits. */
  function storeValue(property: PropertySchema, value: SimplePropertyInput): StoredValue {
    if ((property.type === 'title' || property.type === 'rich_text') && typeof value === 'string') {
      return { type: property.type, [property.type]: value === '' ? [] : [richTextResponse(value)] };
    }
    try {
      return normalizeValue(property, simpleToRequest(property, value), `properties.${property.name}`);
    } catch (error) {
      if (error instanceof VendorError) {
        throw new Error(`Cannot set ${property.name}: ${(error.body as { message: string }).message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  const store = {
    /** The data source seeded for a config entry such as `enablementBundles`. */
    dataSourceId(kind: keyof OrgConfig['integrations']['notion']['dataSources']): string {
      const found = [...dataSources.values()].find((d) => d.kind === kind);
      if (!found) throw new Error(`No Notion data source is configured for ${kind}`);
      return found.id;
    },
    dataSource(id: string): DataSourceRecord | undefined {
      const normalized = normalizeNotionId(id);
      return normalized ? dataSources.get(normalized) : undefined;
    },
    /** The Notion user id of a person in the configuration. */
    userIdFor,
    users(): NotionUser[] {
      return users.map((u) => ({ ...u }));
    },
    /** A page as the API would return it, or undefined. */
    page(id: string) {
      const normalized = normalizeNotionId(id);
      const page = normalized ? pages.get(normalized) : undefined;
      return page ? renderPage(page) : undefined;
    },
    /** Every page of a data source (trashed ones included), oldest first. */
    pages(dataSourceId?: string) {
      const wanted = dataSourceId === undefined ? undefined : normalizeNotionId(dataSourceId);
      return [...pages.values()]
        .filter(
          (p) =>
            wanted === undefined ||
            (p.parent.type === 'data_source_id' && p.parent.data_source_id === wanted),
        )
        .sort((a, b) => (sequence.get(a.id) ?? 0) - (sequence.get(b.id) ?? 0))
        .map((p) => renderPage(p));
    },
    /** The top-level blocks of a page as the API would list them. */
    blocks(pageId: string) {
      const id = normalizeNotionId(pageId);
      return (id ? (children.get(id) ?? []) : [])
        .map((b) => renderBlock(blocks.get(b)!))
        .filter((b) => !b.in_trash);
    },
    /** The plain text of a page's top-level blocks, one entry per block. */
    blockTexts(pageId: string): string[] {
      return store.blocks(pageId).map((b) => {
        const content = (b as Record<string, unknown>)[b.type] as
          { rich_text?: { plain_text: string }[] } | undefined;
        return (content?.rich_text ?? []).map((t) => t.plain_text).join('');
      });
    },
    /** Simulates a person editing one property of a page in the Notion app. */
    setProperty(pageId: string, name: string, value: SimplePropertyInput, editedByPersonId?: string): void {
      const page = pages.get(normalizeNotionId(pageId) ?? '');
      if (!page) throw new Error(`No page ${pageId}`);
      const property = findProperty(schemaOf(page), name);
      if (!property) throw new Error(`${name} is not a property of page ${pageId}`);
      page.properties[property.name] = storeValue(property, value);
      touch(page, editedByPersonId ? userIdFor(editedByPersonId) : botId);
    },
    /** Simulates a person adding a row to a data source in the Notion app; returns its id. */
    addPage(
      dataSourceId: string,
      properties: Record<string, SimplePropertyInput>,
      createdByPersonId?: string,
    ): string {
      const dataSource = dataSources.get(normalizeNotionId(dataSourceId) ?? '');
      if (!dataSource) throw new Error(`No data source ${dataSourceId}`);
      const stored: Record<string, StoredValue> = {};
      for (const [name, value] of Object.entries(properties)) {
        const property = findProperty(dataSource.properties, name);
        if (!property) throw new Error(`${name} is not a property of ${dataSource.title}`);
        stored[property.name] = storeValue(property, value);
      }
      const by = createdByPersonId ? userIdFor(createdByPersonId) : botId;
      const parent: PageParent = {
        type: 'data_source_id',
        data_source_id: dataSource.id,
        database_id: dataSource.databaseId,
      };
      return createPageRecord(parent, stored, null, by).id;
    },
    /** Simulates a person moving a page to the trash (or restoring it). */
    trashPage(pageId: string, inTrash = true): void {
      const page = pages.get(normalizeNotionId(pageId) ?? '');
      if (!page) throw new Error(`No page ${pageId}`);
      page.inTrash = inTrash;
      touch(page);
    },
  };

  seed();

  function plainTextOfPage(page: PageRecord, name: string): string {
    const value = page.properties[name];
    return value ? plainText(value) : '';
  }

  const vendor: SandboxVendor & { store: typeof store } = {
    name: 'notion',
    store,
    register(router: SandboxRouter): void {
      router.setErrorShape('notion', (status, message) =>
        notionErrorBody(status, codeForStatus(status, message), message),
      );
      router.add('notion', 'POST', '/v1/data_sources/:id/query', route(queryDataSource));
      router.add(
        'notion',
        'GET',
        '/v1/data_sources/:id',
        route((req) => ok(renderDataSource(requireDataSource(req.params.id!)))),
      );
      router.add('notion', 'POST', '/v1/pages', route(createPage));
      router.add(
        'notion',
        'GET',
        '/v1/pages/:id',
        route((req) => ok(renderPage(requirePage(req.params.id!)))),
      );
      router.add('notion', 'PATCH', '/v1/pages/:id', route(updatePage));
      router.add('notion', 'PATCH', '/v1/blocks/:id/children', route(appendChildren));
      router.add('notion', 'GET', '/v1/blocks/:id/children', route(listChildren));
      router.add('notion', 'GET', '/v1/users', route(listUsers));
    },
    snapshot() {
      const kindOf = (page: PageRecord) =>
        page.parent.type === 'data_source_id'
          ? (dataSources.get(page.parent.data_source_id)?.title ?? '')
          : 'page';
      return {
        dataSources: [...dataSources.values()].map((d) => ({
          id: d.id,
          kind: d.kind,
          title: d.title,
          properties: d.properties.map((p) => `${p.name} (${p.type})`).join(', '),
        })),
        pages: [...pages.values()].map((p) => ({
          id: p.id,
          dataSource: kindOf(p),
          title: titleOf(p),
          key: plainTextOfPage(p, KEY_PROPERTY),
          status: simpleStatus(p),
          inTrash: p.inTrash,
          lastEdited: p.lastEditedTime,
          properties: Object.fromEntries(
            Object.entries(p.properties).map(([name, value]) => [name, simpleValue(value)]),
          ),
        })),
        blocks: [...blocks.values()].map((b) => ({
          id: b.id,
          parent: b.parent.type === 'page_id' ? b.parent.page_id : b.parent.block_id,
          type: b.type,
          text: Array.isArray(b.content.rich_text)
            ? (b.content.rich_text as { plain_text: string }[]).map((t) => t.plain_text).join('')
            : '',
        })),
        users: users.map((u) => ({ id: u.id, name: u.name, type: u.type, email: u.person?.email ?? null })),
      };
    },
    reset: seed,
  };
  return vendor;
}

function simpleStatus(page: PageRecord): string | null {
  const status = Object.values(page.properties).find((v) => v.type === 'status');
  return (status?.status as { name: string } | null | undefined)?.name ?? null;
}

function plainText(value: StoredValue): string {
  const items = value[value.type];
  if (Array.isArray(items))
    return (items as { plain_text?: string }[]).map((t) => t.plain_text ?? '').join('');
  return typeof items === 'string' ? items : '';
}

function simpleValue(value: StoredValue): unknown {
  const inner = value[value.type];
  switch (value.type) {
    case 'title':
    case 'rich_text':
      return plainText(value);
    case 'select':
    case 'status':
      return (inner as { name: string } | null)?.name ?? null;
    case 'multi_select':
      return (inner as { name: string }[]).map((o) => o.name);
    case 'people':
    case 'relation':
      return (inner as { id: string }[]).map((o) => o.id);
    case 'date': {
      const date = inner as { start: string; end: string | null } | null;
      return date ? (date.end ? `${date.start} → ${date.end}` : date.start) : null;
    }
    default:
      return inner;
  }
}

function isIsoDate(value: string): boolean {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
      value,
    );
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  if (
    match[4] !== undefined &&
    (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6] ?? 0) > 59)
  )
    return false;
  return true;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Compares a stored date with a filter date; a date without a time compares by calendar day. */
function compareDate(value: string, target: string): number {
  if (value.length === 10 || target.length === 10)
    return value.slice(0, 10).localeCompare(target.slice(0, 10));
  return Math.sign(Date.parse(value) - Date.parse(target));
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function addMonths(date: string, months: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

/** Sunday to Saturday around a date, as Notion's `this_week` does. */
function weekOf(date: string): [string, string] {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return [addDays(date, -day), addDays(date, 6 - day)];
}

export type NotionSandbox = ReturnType<typeof createNotionSandbox>;
