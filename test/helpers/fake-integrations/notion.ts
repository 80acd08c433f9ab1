/**
 * Notion in memory: the configured data sources, their rows (made by prodops under an
 * idempotency key kept in the `prodops key` property, or edited by a person), page content and
 * the workspace's users. The activity object satisfies the real `NotionActivities`.
 *
 * Property values are kept as prodops wrote them (`{ status: 'Draft' }`), so tests read them in
 * the workflows' own terms. The fake knows no data source schemas: a property name the real
 * workspace lacks is caught by the end-to-end tests against the sandbox, not here.
 */
import type { Client, PageObjectResponse } from '@notionhq/client';
import { invalidInput, type OperationContext } from '../../../activities/errors';
import { blockFingerprint, toBlocks, type PageDocument } from '../../../activities/notion-blocks';
import {
  createNotionActivities,
  normalizeId,
  type DataSourceSchema,
  type NotionActivities,
  type NotionFilter,
  type NotionPage,
  type NotionPropertyInput,
  type NotionPropertyInputs,
  type NotionRow,
  type NotionSimpleValue,
  type NotionSorts,
  simplifyProperty,
} from '../../../activities/notion';
import type { OrgConfig } from '../../../domain/config';
import type { CallLog } from './log';
import { asTheRealActivity, clientAtTheDoor, vendorAnswered } from './vendor';
import { NOTION_KEY_PROPERTY } from '../../../contracts/stamps';

export interface FakePage {
  id: string;
  url: string;
  dataSourceId: string;
  /** The key prodops made it under; null for a page a person made. */
  idempotencyKey: string | null;
  /** As written: `{ Status: { status: 'Draft' } }`. */
  properties: NotionPropertyInputs;
  /** The page's content, as written. */
  blocks: PageDocument;
  archived: boolean;
  createdTime: string;
  lastEditedTime: string;
  /** The Notion user who last edited it; null for prodops' own integration. */
  lastEditedBy: string | null;
}

export interface FakeDataSource {
  id: string;
  /** The configuration's name for it, for example `releaseLog`. */
  title: string;
}

/** Notion's page ids: dashed lower-case UUIDs; these count up so that a failing test reads well. */
const pageId = (n: number) => `fa4e0000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** A page's address: the fake's own host, so that nobody mistakes it for a real page. */
const pageUrl = (n: number) => `https://notion.example/page-${n}`;
/** The workspace user of the configuration's n-th person. */
const userId = (n: number) => `00000000-0000-4000-8000-0000000${String(n).padStart(5, '0')}`;

type ResponsePropertyValue = PageObjectResponse['properties'][string];

const kindOf = (value: NotionPropertyInput): string => Object.keys(value)[0]!;

/** What Notion stores for a written value, in the shape of its answers. */
function storedValue(value: NotionPropertyInput): unknown {
  const text = (content: string) => [
    { type: 'text', text: { content, link: null }, plain_text: content, href: null },
  ];
  const option = (name: string | null) => (name === null ? null : { name });
  const orNull = (v: string | null) => (v === '' ? null : v);
  if ('title' in value) return text(value.title);
  if ('rich_text' in value) return text(value.rich_text);
  if ('select' in value) return option(value.select);
  if ('status' in value) return option(value.status);
  if ('multi_select' in value) return value.multi_select.map((name) => ({ name }));
  if ('date' in value)
    return value.date && { start: value.date.start, end: value.date.end ?? null, time_zone: null };
  if ('people' in value) return value.people.map((id) => ({ object: 'user', id: normalizeId(id) }));
  if ('relation' in value) return value.relation.map((id) => ({ id: normalizeId(id) }));
  if ('url' in value) return orNull(value.url);
  if ('email' in value) return orNull(value.email);
  if ('phone_number' in value) return orNull(value.phone_number);
  if ('checkbox' in value) return value.checkbox;
  if ('people_emails' in value) throw new Error('people given by email are looked up before they are stored');
  return value.number;
}

/** The value as Notion answers it (what `includeRaw` returns). */
function rawValue(value: NotionPropertyInput): ResponsePropertyValue {
  const kind = kindOf(value);
  return { id: kind, type: kind, [kind]: storedValue(value) } as unknown as ResponsePropertyValue;
}

/** The value a property input stands for, read back as the real activity reads Notion's answer. */
export const simpleValue = (value: NotionPropertyInput): NotionSimpleValue =>
  simplifyProperty(rawValue(value));

export class FakeNotion {
  readonly pages: FakePage[] = [];
  readonly dataSources = new Map<string, FakeDataSource>();

  constructor(private readonly config: OrgConfig) {
    for (const [title, id] of Object.entries(config.integrations.notion.dataSources))
      if (id) this.dataSources.set(normalizeId(id), { id: normalizeId(id), title });
  }

  /** The pages prodops made (under an idempotency key). */
  made(): (FakePage & { idempotencyKey: string })[] {
    return this.pages.filter((p): p is FakePage & { idempotencyKey: string } => p.idempotencyKey !== null);
  }

  /** A person (a Notion user id, when the test names one) adds a row to one of the configured data sources. */
  createPageAs(dataSourceId: string, properties: NotionPropertyInputs, by: string | null = null): FakePage {
    const source = this.dataSources.get(normalizeId(dataSourceId));
    if (!source) throw new Error(`the fake Notion has no data source ${dataSourceId}`);
    const now = new Date().toISOString();
    const page: FakePage = {
      id: pageId(this.pages.length + 1),
      url: pageUrl(this.pages.length + 1),
      dataSourceId: source.id,
      idempotencyKey: null,
      properties: structuredClone(properties),
      blocks: [],
      archived: false,
      createdTime: now,
      lastEditedTime: now,
      lastEditedBy: by,
    };
    this.pages.push(page);
    return page;
  }

  /** A person (a Notion user id, when the test names one) edits a row in Notion. */
  editPage(id: string, properties: NotionPropertyInputs, by: string | null = null): void {
    const page = this.pages.find((p) => p.id === normalizeId(id));
    if (!page) throw new Error(`the fake Notion has no page ${id}`);
    Object.assign(page.properties, properties);
    page.lastEditedTime = new Date().toISOString();
    page.lastEditedBy = by;
  }

  /** A person adds a row to a data source in Notion (no prodops key). */
  addPage(dataSourceId: string, properties: NotionPropertyInputs = {}): FakePage {
    const source = this.dataSources.get(normalizeId(dataSourceId));
    if (!source) throw new Error(`the fake Notion has no data source ${dataSourceId}`);
    const n = this.pages.length + 1;
    const now = new Date().toISOString();
    const page: FakePage = {
      id: pageId(n),
      url: pageUrl(n),
      dataSourceId: source.id,
      idempotencyKey: null,
      properties: structuredClone(properties),
      blocks: [],
      archived: false,
      createdTime: now,
      lastEditedTime: now,
      lastEditedBy: null,
    };
    this.pages.push(page);
    return page;
  }

  /** A person sets a row's Status (`Published`, …). */
  setPageStatus(id: string, status: string, by: string | null = null): void {
    this.editPage(id, { Status: { status } }, by);
  }

  /** The workspace's people, one for each person of the configuration. */
  users(): { id: string; name: string; email: string; type: 'person' }[] {
    return this.config.people.map((p, i) => ({
      id: userId(i),
      name: p.name,
      email: p.email,
      type: 'person',
    }));
  }

  activities(log: CallLog): NotionActivities {
    const real = createNotionActivities({ client: clientAtTheDoor<Client>() });
    /** Notion's answer for an id it does not know, or one not shared with the integration. */
    const found = <T>(ctx: OperationContext, what: string, id: string, it: T | undefined): T => {
      if (it) return it;
      throw vendorAnswered(
        ctx,
        404,
        `Could not find ${what} with ID: ${id}. Make sure it is shared with the integration.`,
      );
    };
    const page = (ctx: OperationContext, id: string): FakePage =>
      found(
        ctx,
        'page',
        id,
        this.pages.find((p) => p.id === normalizeId(id)),
      );
    const dataSource = (ctx: OperationContext, id: string): FakeDataSource =>
      found(ctx, 'data_source', id, this.dataSources.get(normalizeId(id)));
    const editable = (ctx: OperationContext, target: FakePage, restoring = false): void => {
      if (target.archived && !restoring)
        throw vendorAnswered(
          ctx,
          400,
          `Can't edit block that is archived. You must unarchive the block before editing.`,
        );
    };
    const rows = (id: string) => this.pages.filter((p) => p.dataSourceId === id && !p.archived);
    const about = (operation: string, key: string): OperationContext => ({
      system: 'notion',
      operation,
      key,
    });

    return log.wrap('notion', {
      queryDataSource: async (input) => {
        const ctx = about('dataSources.query', input.dataSourceId);
        await asTheRealActivity(() => real.queryDataSource(input));
        const source = dataSource(ctx, input.dataSourceId);
        const matching = rows(source.id).filter((p) => matchesFilter(ctx, p, input.filter));
        return {
          rows: sortRows(ctx, matching, input.sorts).map((p) => this.row(p, input.includeRaw === true)),
        };
      },

      getPage: async (input) => {
        const ctx = about('pages.retrieve', input.pageId);
        await asTheRealActivity(() => real.getPage(input));
        return this.view(page(ctx, input.pageId), input.includeRaw === true);
      },

      upsertPage: async (given) => {
        const ctx = about('upsertPage', given.idempotencyKey);
        await asTheRealActivity(() => real.upsertPage(given));
        const input = { ...given, properties: this.resolvePeople(ctx, given.properties) };
        const held =
          input.pageId === undefined
            ? undefined
            : this.pages.find((p) => p.id === normalizeId(input.pageId!) && !p.archived);
        if (held) {
          // The page the caller holds, written by id: no look-up by key.
          Object.assign(held.properties, structuredClone(input.properties));
          held.lastEditedTime = new Date().toISOString();
          return { id: held.id, url: held.url, created: false };
        }
        const source = dataSource({ ...ctx, operation: 'dataSources.query' }, input.dataSourceId);
        const made = rows(source.id).find((p) => p.idempotencyKey === input.idempotencyKey);
        if (made) {
          Object.assign(made.properties, structuredClone(input.properties));
          made.lastEditedTime = new Date().toISOString();
          made.lastEditedBy = null;
          return { id: made.id, url: made.url, created: false };
        }
        const id = pageId(this.pages.length + 1);
        const now = new Date().toISOString();
        this.pages.push({
          id,
          url: pageUrl(this.pages.length + 1),
          dataSourceId: source.id,
          idempotencyKey: input.idempotencyKey,
          properties: structuredClone(input.properties),
          blocks: structuredClone(input.content ?? []),
          archived: false,
          createdTime: now,
          lastEditedTime: now,
          lastEditedBy: null,
        });
        return { id, url: this.pages.at(-1)!.url, created: true };
      },

      updatePage: async (given) => {
        const ctx = about('pages.update', given.pageId);
        await asTheRealActivity(() => real.updatePage(given));
        const input = { ...given, properties: this.resolvePeople(ctx, given.properties ?? {}) };
        const target = page(ctx, input.pageId);
        editable(ctx, target, input.archived === false);
        Object.assign(target.properties, structuredClone(input.properties ?? {}));
        if (input.archived !== undefined) target.archived = input.archived;
        target.lastEditedTime = new Date().toISOString();
        target.lastEditedBy = null;
        return this.view(target);
      },

      readPageContent: async (input) => {
        const ctx = about('blocks.children.list', input.pageId);
        await asTheRealActivity(() => real.readPageContent(input));
        // What a person wrote on the page, archived pages included (Notion lists their blocks).
        const target = found(
          ctx,
          'page',
          input.pageId,
          this.pages.find((p) => p.id === normalizeId(input.pageId)),
        );
        return { content: structuredClone(target.blocks), truncated: false };
      },

      appendContent: async (input) => {
        const ctx = about('appendContent', input.idempotencyKey);
        const answered = await asTheRealActivity(() => real.appendContent(input));
        if (answered) return answered;
        const target = page(ctx, input.pageId);
        editable(ctx, target);
        // The real activity counts Notion blocks (long text splits) and finds content a retry
        // already wrote at the end of the page.
        const wanted = toBlocks(input.content).map(blockFingerprint);
        const present = toBlocks(target.blocks).map(blockFingerprint);
        const tail = present.slice(present.length - wanted.length);
        if (present.length >= wanted.length && tail.every((f, i) => f === wanted[i]))
          return { appended: 0, alreadyPresent: wanted.length };
        target.blocks.push(...structuredClone(input.content));
        target.lastEditedTime = new Date().toISOString();
        return { appended: wanted.length, alreadyPresent: 0 };
      },

      replaceContent: async (input) => {
        const ctx = about('replaceContent', input.idempotencyKey);
        const answered = await asTheRealActivity(() => real.replaceContent(input));
        if (answered) return answered;
        const target = page(ctx, input.pageId);
        editable(ctx, target);
        // The real activity keeps the blocks the page already begins with and rewrites the rest.
        const wanted = toBlocks(input.content).map(blockFingerprint);
        const present = toBlocks(target.blocks).map(blockFingerprint);
        let kept = 0;
        while (kept < present.length && kept < wanted.length && present[kept] === wanted[kept]) kept++;
        target.blocks = structuredClone(input.content);
        target.lastEditedTime = new Date().toISOString();
        return { kept, removed: present.length - kept, appended: wanted.length - kept };
      },

      getDataSource: async (input) => {
        const ctx = about('dataSources.retrieve', input.dataSourceId);
        await asTheRealActivity(() => real.getDataSource(input));
        return this.schema(dataSource(ctx, input.dataSourceId));
      },

      listUsers: async () => {
        await asTheRealActivity(() => real.listUsers());
        // Every person is listed with an email, as to an integration with the email capability.
        return { users: this.users(), emailsWithheld: false };
      },
    } satisfies NotionActivities);
  }

  /** People given by email become the workspace users' ids, as the real activity looks them up. */
  private resolvePeople(ctx: OperationContext, properties: NotionPropertyInputs): NotionPropertyInputs {
    const users = this.users();
    return Object.fromEntries(
      Object.entries(properties).map(([name, value]) => {
        if (!('people_emails' in value)) return [name, value];
        const ids = value.people_emails.map((email) => {
          const user = users.find((u) => u.email.toLowerCase() === email.toLowerCase());
          if (!user) throw invalidInput(ctx, `property "${name}": no Notion user has the email ${email}`);
          return user.id;
        });
        return [name, { people: ids }];
      }),
    );
  }

  private row(page: FakePage, includeRaw = false): NotionRow {
    const written = Object.entries(page.properties);
    return {
      id: page.id,
      url: page.url,
      properties: {
        ...Object.fromEntries(written.map(([name, value]) => [name, simpleValue(value)])),
        ...(page.idempotencyKey === null ? {} : { [NOTION_KEY_PROPERTY]: page.idempotencyKey }),
      },
      ...(includeRaw
        ? { raw: Object.fromEntries(written.map(([name, value]) => [name, rawValue(value)])) }
        : {}),
    };
  }

  private view(page: FakePage, includeRaw = false): NotionPage {
    return {
      ...this.row(page, includeRaw),
      dataSourceId: page.dataSourceId,
      inTrash: page.archived,
      createdTime: page.createdTime,
      lastEditedTime: page.lastEditedTime,
      lastEditedBy: page.lastEditedBy,
    };
  }

  /** The schema as far as the fake knows it: every property written to the data source's rows. */
  private schema(source: FakeDataSource): DataSourceSchema {
    const properties: DataSourceSchema['properties'] = {
      [NOTION_KEY_PROPERTY]: { id: 'prodops-key', type: 'rich_text' },
    };
    for (const page of this.pages.filter((p) => p.dataSourceId === source.id)) {
      for (const [name, value] of Object.entries(page.properties)) {
        const type = kindOf(value);
        const option = 'select' in value ? value.select : 'status' in value ? value.status : null;
        const options = 'multi_select' in value ? value.multi_select : option === null ? [] : [option];
        const known = properties[name] ?? { id: name.toLowerCase().replace(/\W+/g, '-'), type };
        if (['select', 'status', 'multi_select'].includes(type))
          known.options = [...new Set([...(known.options ?? []), ...options])];
        properties[name] = known;
      }
    }
    return { id: source.id, title: source.title, properties };
  }
}

// ------------------------------------------------------------------ filters and sorts

type FilterObject = Record<string, unknown>;

function valueOf(page: FakePage, name: string): { kind: string | null; value: NotionSimpleValue } {
  if (name === NOTION_KEY_PROPERTY) return { kind: 'rich_text', value: page.idempotencyKey ?? '' };
  const written = page.properties[name];
  return written ? { kind: kindOf(written), value: simpleValue(written) } : { kind: null, value: null };
}

function isEmpty(value: NotionSimpleValue): boolean {
  return value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

/** Notion's property filter conditions, on the value as prodops wrote it. */
function matchesCondition(
  ctx: OperationContext,
  value: NotionSimpleValue,
  condition: Record<string, unknown>,
): boolean {
  const [[operator, operand]] = Object.entries(condition) as [[string, unknown]];
  const date = value !== null && typeof value === 'object' && !Array.isArray(value) ? value.start : null;
  const scalar = date ?? value;
  const text = typeof scalar === 'string' ? scalar : null;
  switch (operator) {
    case 'is_empty':
      return isEmpty(value);
    case 'is_not_empty':
      return !isEmpty(value);
    case 'equals':
      return scalar === operand;
    case 'does_not_equal':
      return scalar !== operand;
    case 'contains':
      return Array.isArray(value)
        ? value.includes(operand as string)
        : text !== null && text.includes(operand as string);
    case 'does_not_contain':
      return Array.isArray(value)
        ? !value.includes(operand as string)
        : text === null || !text.includes(operand as string);
    case 'starts_with':
      return text !== null && text.startsWith(operand as string);
    case 'ends_with':
      return text !== null && text.endsWith(operand as string);
    case 'before':
    case 'less_than':
      return scalar !== null && (scalar as string | number) < (operand as string | number);
    case 'after':
    case 'greater_than':
      return scalar !== null && (scalar as string | number) > (operand as string | number);
    case 'on_or_before':
    case 'less_than_or_equal_to':
      return scalar !== null && (scalar as string | number) <= (operand as string | number);
    case 'on_or_after':
    case 'greater_than_or_equal_to':
      return scalar !== null && (scalar as string | number) >= (operand as string | number);
    default:
      throw vendorAnswered(
        ctx,
        400,
        `body.filter: the fake Notion does not know the condition "${operator}"`,
      );
  }
}

function matchesFilter(ctx: OperationContext, page: FakePage, filter: NotionFilter | undefined): boolean {
  if (filter === undefined) return true;
  const f = filter as FilterObject;
  if (Array.isArray(f.and)) return f.and.every((sub) => matchesFilter(ctx, page, sub as NotionFilter));
  if (Array.isArray(f.or)) return f.or.some((sub) => matchesFilter(ctx, page, sub as NotionFilter));
  if (f.timestamp === 'created_time' || f.timestamp === 'last_edited_time') {
    const at = f.timestamp === 'created_time' ? page.createdTime : page.lastEditedTime;
    return matchesCondition(ctx, at, f[f.timestamp] as Record<string, unknown>);
  }
  if (typeof f.property !== 'string')
    throw vendorAnswered(ctx, 400, 'body.filter should be a property, timestamp or compound filter');
  const kind = Object.keys(f).find((k) => k !== 'property')!;
  const { kind: written, value } = valueOf(page, f.property);
  if (written !== null && written !== kind)
    throw vendorAnswered(ctx, 400, `body.filter: "${f.property}" is a ${written} property, not ${kind}`);
  return matchesCondition(ctx, value, f[kind] as Record<string, unknown>);
}

function sortRows(ctx: OperationContext, pages: FakePage[], sorts: NotionSorts | undefined): FakePage[] {
  const order = (sorts ?? []) as { property?: string; timestamp?: string; direction: string }[];
  const key = (page: FakePage, sort: (typeof order)[number]): unknown => {
    if (sort.timestamp === 'created_time') return page.createdTime;
    if (sort.timestamp === 'last_edited_time') return page.lastEditedTime;
    if (sort.property === undefined)
      throw vendorAnswered(ctx, 400, 'body.sorts: each sort names a property or timestamp');
    const { value } = valueOf(page, sort.property);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value.start : value;
  };
  return [...pages].sort((a, b) => {
    for (const sort of order) {
      const [x, y] = [key(a, sort), key(b, sort)] as [string | number | null, string | number | null];
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (sort.direction === 'descending' ? -1 : 1);
    }
    return 0;
  });
}
