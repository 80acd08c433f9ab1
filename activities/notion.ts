/**
 * Notion activities (API version 2025-09-03): rows live in data sources, found with
 * `dataSources.query` and created with a data source parent. Each row prodops owns carries its
 * idempotency key in a rich text property (`prodops key` by default), so a retried create finds
 * the row the first attempt made instead of adding a twin; long content that needs several
 * requests resumes where an interrupted attempt stopped.
 *
 * Inputs and outputs are plain JSON: they cross Temporal's data converter.
 */
import {
  APIErrorCode,
  APIResponseError,
  Client,
  isFullBlock,
  isFullDataSource,
  isFullPage,
  isFullUser,
  LogLevel,
  type CreatePageParameters,
  type Logger,
  type PageObjectResponse,
  type QueryDataSourceParameters,
  type UpdatePageParameters,
} from '@notionhq/client';
import { warnFromActivity } from './activity-context';
import { ApplicationFailure } from '@temporalio/common';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { TEXT_BLOCK_TYPES } from '../domain/document';
import { callIntegration, ErrorTypes, invalidInput, type OperationContext } from './errors';
import type { RequestBudget } from './request-budget';
import {
  MAX_ARRAY_ITEMS,
  blockFingerprint,
  fromBlock,
  requestBatches,
  richText,
  toBlocks,
  type PageDocument,
  type TemplateBlock,
} from './notion-blocks';
import { NOTION_KEY_PROPERTY } from '../contracts/stamps';

export const NOTION_API_VERSION = '2025-09-03';
/** The environment variable the worker reads the integration token from. */
export const NOTION_TOKEN_ENV = 'PRODOPS_NOTION_TOKEN';

export interface NotionClientOptions {
  /** The integration token (from PRODOPS_NOTION_TOKEN); never logged. */
  auth: string;
  /** The API origin without `/v1`, for example the sandbox URL; defaults to https://api.notion.com. */
  baseUrl?: string;
  timeoutMs?: number;
  logLevel?: LogLevel;
  logger?: Logger;
  /**
   * The integration's request budget (Notion: 3 requests per second on average). Every request,
   * a refused one included, takes its turn; a 429 pauses the budget for its Retry-After.
   */
  budget?: RequestBudget;
  /** The fetch the client sends with; tests count requests through it. */
  fetch?: NonNullable<ConstructorParameters<typeof Client>[0]>['fetch'];
}

export function createNotionClient(options: NotionClientOptions): Client {
  if (!options.auth) throw new Error(`A Notion integration token is required (set ${NOTION_TOKEN_ENV})`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const budget = options.budget;
  return new Client({
    auth: options.auth,
    baseUrl: options.baseUrl,
    notionVersion: NOTION_API_VERSION,
    // With a budget, the wait for a turn and the request have timeouts of their own (so that a
    // request given up on never goes out later); the client's covers both, and a little more.
    ...(budget
      ? {
          fetch: budget.wrapFetch(
            (options.fetch as typeof globalThis.fetch | undefined) ?? globalThis.fetch.bind(globalThis),
            timeoutMs,
          ),
          timeoutMs: timeoutMs + budget.maxWaitMs + 1_000,
        }
      : { timeoutMs, ...(options.fetch ? { fetch: options.fetch } : {}) }),
    // Temporal's retry policy governs retries (with Retry-After as nextRetryDelay), not the client.
    retry: false,
    logLevel: options.logLevel ?? LogLevel.WARN,
    logger: options.logger,
  });
}

// ------------------------------------------------------------------ property values

/** A property value as workflows write it; converted to Notion's shapes here. */
export type NotionPropertyInput =
  | { title: string }
  | { rich_text: string }
  | { select: string | null }
  | { status: string | null }
  | { multi_select: string[] }
  | { date: { start: string; end?: string | null } | null }
  | { checkbox: boolean }
  | { number: number | null }
  | { url: string | null }
  | { email: string | null }
  | { phone_number: string | null }
  /** Notion user ids. */
  | { people: string[] }
  /** People by email, looked up among the workspace's users (an unknown email is invalid input). */
  | { people_emails: string[] }
  /** Page ids. */
  | { relation: string[] };

export type NotionPropertyInputs = Record<string, NotionPropertyInput>;

/** A property value as activities return it. */
export type NotionSimpleValue =
  string | number | boolean | null | string[] | { start: string; end: string | null };

export interface NotionRow {
  id: string;
  url: string;
  properties: Record<string, NotionSimpleValue>;
  /** Notion's own property values, when asked for with `includeRaw`. */
  raw?: Record<string, unknown>;
}

export interface NotionPage extends NotionRow {
  /** The data source the page is a row of, or null for a page under a page. */
  dataSourceId: string | null;
  inTrash: boolean;
  createdTime: string;
  lastEditedTime: string;
  /** The Notion user who last edited the page (a person, or an integration). */
  lastEditedBy: string | null;
}

export type NotionFilter = QueryDataSourceParameters['filter'];
export type NotionSorts = QueryDataSourceParameters['sorts'];

type RequestPropertyValue = NonNullable<CreatePageParameters['properties']>[string];
type ResponsePropertyValue = PageObjectResponse['properties'][string];

const notionId = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
    'must be a Notion id (32 hexadecimal digits)',
  );
const isoDate = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/,
    'must be an ISO 8601 date such as 2026-05-04',
  );
const optionName = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((name) => !name.includes(','), 'must not contain a comma (Notion refuses it)');

const PropertyInputSchema = z.union([
  z.strictObject({ title: z.string() }),
  z.strictObject({ rich_text: z.string() }),
  z.strictObject({ select: optionName.nullable() }),
  z.strictObject({ status: z.string().min(1).nullable() }),
  z.strictObject({ multi_select: z.array(optionName).max(MAX_ARRAY_ITEMS) }),
  z.strictObject({ date: z.strictObject({ start: isoDate, end: isoDate.nullable().optional() }).nullable() }),
  z.strictObject({ checkbox: z.boolean() }),
  z.strictObject({ number: z.number().finite().nullable() }),
  z.strictObject({ url: z.string().max(2000).nullable() }),
  z.strictObject({ email: z.string().max(200).nullable() }),
  z.strictObject({ phone_number: z.string().max(200).nullable() }),
  z.strictObject({ people: z.array(notionId).max(MAX_ARRAY_ITEMS) }),
  z.strictObject({ people_emails: z.array(z.string().min(3).max(320)).max(MAX_ARRAY_ITEMS) }),
  z.strictObject({ relation: z.array(notionId).max(MAX_ARRAY_ITEMS) }),
]);
const PropertiesSchema = z.record(z.string().min(1), PropertyInputSchema);

const DocumentSchema = z.array(
  z.union([
    z.strictObject({
      type: z.enum(TEXT_BLOCK_TYPES),
      text: z.string(),
    }),
    z.strictObject({ type: z.literal('to_do'), text: z.string(), checked: z.boolean().optional() }),
    z.strictObject({ type: z.literal('callout'), text: z.string(), emoji: z.string().min(1).optional() }),
    z.strictObject({ type: z.literal('divider') }),
  ]),
);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')} ` : ''}${issue.message}`)
    .join('; ');
}

/** Notion answers with dashed lower-case ids; inputs may be written either way. */
export function normalizeId(id: string): string {
  const hex = id.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function textValue(ctx: OperationContext, name: string, text: string) {
  const items = richText(text);
  if (items.length > MAX_ARRAY_ITEMS) {
    throw invalidInput(
      ctx,
      `property "${name}" is ${text.length} characters long; Notion stores at most ${MAX_ARRAY_ITEMS * 2000} in one property`,
    );
  }
  return items;
}

/** Converts the simple property map to Notion's property value objects. */
export function toNotionProperties(
  ctx: OperationContext,
  properties: NotionPropertyInputs,
): Record<string, RequestPropertyValue> {
  const out: Record<string, RequestPropertyValue> = {};
  for (const [name, value] of Object.entries(properties)) {
    if ('title' in value) out[name] = { title: textValue(ctx, name, value.title) };
    else if ('rich_text' in value) out[name] = { rich_text: textValue(ctx, name, value.rich_text) };
    else if ('select' in value) out[name] = { select: value.select === null ? null : { name: value.select } };
    else if ('status' in value) out[name] = { status: value.status === null ? null : { name: value.status } };
    else if ('multi_select' in value)
      out[name] = { multi_select: value.multi_select.map((option) => ({ name: option })) };
    else if ('date' in value)
      out[name] = {
        date: value.date === null ? null : { start: value.date.start, end: value.date.end ?? null },
      };
    else if ('checkbox' in value) out[name] = { checkbox: value.checkbox };
    else if ('number' in value) out[name] = { number: value.number };
    else if ('url' in value) out[name] = { url: value.url };
    else if ('email' in value) out[name] = { email: value.email };
    else if ('phone_number' in value) out[name] = { phone_number: value.phone_number };
    else if ('people' in value)
      out[name] = { people: value.people.map((id) => ({ object: 'user' as const, id: normalizeId(id) })) };
    else if ('people_emails' in value)
      throw invalidInput(ctx, `property "${name}": people given by email must be looked up first`);
    else out[name] = { relation: value.relation.map((id) => ({ id: normalizeId(id) })) };
  }
  return out;
}

/** The value a property input stands for, in the form `simplifyProperty` reads back. */
function expectedSimpleValue(value: NotionPropertyInput): NotionSimpleValue {
  if ('title' in value) return value.title;
  if ('rich_text' in value) return value.rich_text;
  if ('select' in value) return value.select;
  if ('status' in value) return value.status;
  if ('multi_select' in value) return value.multi_select;
  if ('date' in value)
    return value.date === null ? null : { start: value.date.start, end: value.date.end ?? null };
  if ('checkbox' in value) return value.checkbox;
  if ('number' in value) return value.number;
  if ('url' in value) return value.url === '' ? null : value.url;
  if ('email' in value) return value.email === '' ? null : value.email;
  if ('phone_number' in value) return value.phone_number === '' ? null : value.phone_number;
  if ('people' in value) return value.people.map(normalizeId).sort();
  if ('people_emails' in value) return value.people_emails;
  return value.relation.map(normalizeId).sort();
}

function plainText(items: { plain_text: string }[]): string {
  return items.map((item) => item.plain_text).join('');
}

/** Reads a Notion property value as a plain JSON value. */
export function simplifyProperty(value: ResponsePropertyValue): NotionSimpleValue {
  switch (value.type) {
    case 'title':
      return plainText(value.title);
    case 'rich_text':
      return plainText(value.rich_text);
    case 'select':
      return value.select?.name ?? null;
    case 'status':
      return value.status?.name ?? null;
    case 'multi_select':
      return value.multi_select.map((option) => option.name);
    case 'date':
      return value.date ? { start: value.date.start, end: value.date.end } : null;
    case 'checkbox':
      return value.checkbox;
    case 'number':
      return value.number;
    case 'url':
      return value.url;
    case 'email':
      return value.email;
    case 'phone_number':
      return value.phone_number;
    case 'people':
      return value.people.map((person) => person.id);
    case 'relation':
      return value.relation.map((page) => page.id);
    case 'created_time':
      return value.created_time;
    case 'last_edited_time':
      return value.last_edited_time;
    case 'created_by':
      return value.created_by.id;
    case 'last_edited_by':
      return value.last_edited_by.id;
    case 'unique_id':
      return value.unique_id.number === null
        ? null
        : `${value.unique_id.prefix ? `${value.unique_id.prefix}-` : ''}${value.unique_id.number}`;
    case 'files':
      return value.files.map((file) => file.name);
    case 'formula': {
      const formula = value.formula;
      if (formula.type === 'string') return formula.string;
      if (formula.type === 'number') return formula.number;
      if (formula.type === 'boolean') return formula.boolean;
      if (formula.type === 'date')
        return formula.date ? { start: formula.date.start, end: formula.date.end } : null;
      return null;
    }
    case 'rollup': {
      const rollup = value.rollup;
      if (rollup.type === 'number') return rollup.number;
      if (rollup.type === 'date')
        return rollup.date ? { start: rollup.date.start, end: rollup.date.end } : null;
      return null;
    }
    default:
      return null;
  }
}

function simplifyRow(page: PageObjectResponse, includeRaw: boolean): NotionRow {
  const properties: Record<string, NotionSimpleValue> = {};
  for (const [name, value] of Object.entries(page.properties)) properties[name] = simplifyProperty(value);
  return { id: page.id, url: page.url, properties, ...(includeRaw ? { raw: page.properties } : {}) };
}

function simplifyPage(page: PageObjectResponse, includeRaw = false): NotionPage {
  return {
    ...simplifyRow(page, includeRaw),
    dataSourceId: page.parent.type === 'data_source_id' ? page.parent.data_source_id : null,
    inTrash: page.in_trash || page.archived,
    createdTime: page.created_time,
    lastEditedTime: page.last_edited_time,
    lastEditedBy: page.last_edited_by?.id ?? null,
  };
}

/** Compares what a row holds with what is wanted, ignoring the order of people and relations. */
function currentSimpleValue(value: ResponsePropertyValue | undefined): NotionSimpleValue | undefined {
  if (value === undefined) return undefined;
  const simple = simplifyProperty(value);
  return value.type === 'people' || value.type === 'relation' ? [...(simple as string[])].sort() : simple;
}

// ------------------------------------------------------------------ activity inputs

export interface QueryDataSourceInput {
  dataSourceId: string;
  filter?: NotionFilter;
  sorts?: NotionSorts;
  /** Rows per request (1–100); every row is returned whatever the size. */
  pageSize?: number;
  includeRaw?: boolean;
}

export interface UpsertPageInput {
  idempotencyKey: string;
  dataSourceId: string;
  properties: NotionPropertyInputs;
  /** The page body; written only when the page is created. */
  content?: PageDocument;
  /**
   * The row's page id, when the caller already holds it (an earlier upsert answered it): the
   * properties are written to that page in one request, retried or not, with no look-up by key.
   * A page that is gone (deleted, or in the trash) is looked up by its key instead.
   */
  pageId?: string;
}

export interface UpsertPageResult {
  id: string;
  url: string;
  created: boolean;
}

export interface UpdatePageInput {
  pageId: string;
  properties?: NotionPropertyInputs;
  /** Moves the page to the trash (true) or restores it (false). */
  archived?: boolean;
}

export interface ReplaceContentInput {
  /** Names the replacement in errors; the page's own content is what makes a retry safe. */
  idempotencyKey: string;
  pageId: string;
  content: PageDocument;
}

export interface ReplaceContentResult {
  /** Blocks kept because the page already began with them. */
  kept: number;
  removed: number;
  appended: number;
}

export interface AppendContentInput {
  /** Names the append in errors; the page's own content is what makes a retry safe. */
  idempotencyKey: string;
  pageId: string;
  content: PageDocument;
}

export interface AppendContentResult {
  /** Blocks written by this call. */
  appended: number;
  /** Blocks an earlier attempt had already written. */
  alreadyPresent: number;
}

export interface NotionUserSummary {
  id: string;
  name: string | null;
  email: string | null;
  type: 'person' | 'bot';
}

export interface DataSourceSchema {
  id: string;
  title: string;
  properties: Record<string, { id: string; type: string; options?: string[] }>;
}

/** A contribution longer than this is not an update: the rest is left out and said so. */
const MAX_READ_BLOCKS = 500;
const NESTING_TYPES = new Set(['bulleted_list_item', 'numbered_list_item', 'to_do', 'toggle']);

export interface NotionActivityDeps {
  client: Client;
  /** The rich text property holding each row's idempotency key. */
  keyProperty?: string;
  /** Where a problem that does not fail the call is reported; by default the activity's log. */
  warn?: (message: string) => void;
}

/**
 * A page object shows at most 25 people or related pages per property (a relation says
 * `has_more`); the whole list comes from the page property endpoint. A list of exactly 25 is read
 * there too: Notion flags nothing for people.
 */
export const PAGE_REFERENCE_LIMIT = 25;

export interface ListUsersResult {
  users: NotionUserSummary[];
  /**
   * True when people are listed but none with an email: the integration lacks the "Read user
   * information including email addresses" capability, and no person can be matched by email.
   */
  emailsWithheld?: boolean;
}

/** Whether a people or relation value in a page object may be cut at the 25-reference limit. */
function mayBeTruncated(value: ResponsePropertyValue | undefined): boolean {
  if (value?.type === 'relation')
    return (
      (value as { has_more?: boolean }).has_more === true || value.relation.length >= PAGE_REFERENCE_LIMIT
    );
  if (value?.type === 'people') return value.people.length >= PAGE_REFERENCE_LIMIT;
  return false;
}

/** Notion's answer for a page that was deleted, is not shared, or sits in the trash. */
function pageIsGone(error: unknown): boolean {
  if (!(error instanceof ApplicationFailure)) return false;
  if (error.type === ErrorTypes.notFound) return true;
  return error.type === ErrorTypes.badRequest && /\barchived\b|in the trash/i.test(error.message);
}

export function createNotionActivities(deps: NotionActivityDeps) {
  const { client } = deps;
  const keyProperty = deps.keyProperty ?? NOTION_KEY_PROPERTY;
  const warn = deps.warn ?? warnFromActivity;

  /**
   * Runs one Notion call. Notion's 409 `conflict_error` means a concurrent edit collided and
   * asks for the request to be sent again, so it is retried rather than treated as permanent.
   */
  function call<T>(ctx: OperationContext, fn: () => Promise<T>): Promise<T> {
    return callIntegration(ctx, async () => {
      try {
        return await fn();
      } catch (error) {
        if (APIResponseError.isAPIResponseError(error) && error.code === APIErrorCode.ConflictError) {
          throw ApplicationFailure.create({
            type: ErrorTypes.conflict,
            message: `notion ${ctx.operation}${ctx.key ? ` [${ctx.key}]` : ''} collided with a concurrent edit (HTTP 409); will retry`,
            nonRetryable: false,
            details: [{ status: 409, system: 'notion', operation: ctx.operation, key: ctx.key }],
          });
        }
        throw error;
      }
    });
  }

  function requireId(ctx: OperationContext, field: string, value: unknown): string {
    const parsed = notionId.safeParse(value);
    if (!parsed.success) throw invalidInput(ctx, `${field} ${describeIssues(parsed.error)}`);
    return normalizeId(parsed.data);
  }

  function parseProperties(ctx: OperationContext, properties: unknown): NotionPropertyInputs {
    const parsed = PropertiesSchema.safeParse(properties ?? {});
    if (!parsed.success) throw invalidInput(ctx, `properties: ${describeIssues(parsed.error)}`);
    return parsed.data;
  }

  function parseContent(ctx: OperationContext, content: unknown): TemplateBlock[] {
    const parsed = DocumentSchema.safeParse(content ?? []);
    if (!parsed.success) throw invalidInput(ctx, `content: ${describeIssues(parsed.error)}`);
    return toBlocks(parsed.data);
  }

  /**
   * Replaces people and relation values a page object may have cut at 25 references with their
   * whole lists from the page property endpoint (only `names`, when given).
   */
  async function withAllReferences(
    ctx: OperationContext,
    page: PageObjectResponse,
    names?: readonly string[],
  ): Promise<PageObjectResponse> {
    const cut = Object.entries(page.properties).filter(
      ([name, value]) => (!names || names.includes(name)) && mayBeTruncated(value),
    );
    if (cut.length === 0) return page;
    const properties = { ...page.properties };
    for (const [name, value] of cut) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const response = await call({ ...ctx, operation: 'pages.properties.retrieve' }, () =>
          client.pages.properties.retrieve({
            page_id: page.id,
            property_id: value.id,
            start_cursor: cursor,
            page_size: 100,
          }),
        );
        if (response.object !== 'list') break;
        for (const item of response.results) {
          if (item.type === 'relation') ids.push(item.relation.id);
          else if (item.type === 'people') ids.push(item.people.id);
        }
        cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
      } while (cursor);
      properties[name] =
        value.type === 'relation'
          ? ({ ...value, relation: ids.map((id) => ({ id })), has_more: false } as ResponsePropertyValue)
          : ({
              ...value,
              people: ids.map((id) => ({ object: 'user' as const, id })),
            } as ResponsePropertyValue);
    }
    return { ...page, properties };
  }

  async function retrievePage(ctx: OperationContext, pageId: string): Promise<PageObjectResponse> {
    const page = await call(ctx, () => client.pages.retrieve({ page_id: pageId }));
    if (!isFullPage(page))
      throw invalidInput(ctx, `page ${pageId} is not shared with the integration in full`);
    return page;
  }

  async function listChildFingerprints(ctx: OperationContext, blockId: string): Promise<string[]> {
    const fingerprints: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await call(ctx, () =>
        client.blocks.children.list({ block_id: blockId, start_cursor: cursor, page_size: 100 }),
      );
      for (const block of response.results)
        fingerprints.push(isFullBlock(block) ? blockFingerprint(block) : 'unknown');
      cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
    } while (cursor);
    return fingerprints;
  }

  async function appendBatches(
    ctx: OperationContext,
    blockId: string,
    batches: TemplateBlock[][],
  ): Promise<number> {
    let appended = 0;
    for (const batch of batches) {
      await call(ctx, () => client.blocks.children.append({ block_id: blockId, children: batch }));
      appended += batch.length;
    }
    return appended;
  }

  /**
   * How many of the wanted blocks an interrupted attempt already wrote. Appends happen a whole
   * batch at a time, so only batch boundaries count, and only when the blocks there match.
   */
  function blocksAlreadyWritten(
    existing: string[],
    wanted: string[],
    batches: TemplateBlock[][],
    mode: 'whole-page' | 'tail',
  ): number {
    const boundaries: number[] = [];
    let total = 0;
    for (const batch of batches) boundaries.push((total += batch.length));
    for (const boundary of boundaries.reverse()) {
      if (mode === 'whole-page' && existing.length !== boundary) continue;
      if (existing.length < boundary) continue;
      const tail = existing.slice(existing.length - boundary);
      if (tail.every((fingerprint, i) => fingerprint === wanted[i])) return boundary;
    }
    return 0;
  }

  function batchesAfter(batches: TemplateBlock[][], written: number): TemplateBlock[][] {
    let skipped = 0;
    return batches.filter((batch) => {
      const keep = skipped >= written;
      skipped += batch.length;
      return keep;
    });
  }

  /** Replaces `{ people_emails }` with the workspace users' ids; an unknown email is invalid input. */
  async function resolvePeople(
    ctx: OperationContext,
    properties: NotionPropertyInputs,
  ): Promise<NotionPropertyInputs> {
    const byEmail = Object.entries(properties).filter(([, value]) => 'people_emails' in value);
    if (byEmail.length === 0) return properties;
    const ids = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const response = await call({ ...ctx, operation: 'users.list' }, () =>
        client.users.list({ start_cursor: cursor, page_size: 100 }),
      );
      for (const user of response.results)
        if (isFullUser(user) && user.type === 'person' && user.person.email)
          ids.set(user.person.email.toLowerCase(), user.id);
      cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
    } while (cursor);
    const out: NotionPropertyInputs = { ...properties };
    for (const [name, value] of byEmail) {
      const emails = (value as { people_emails: string[] }).people_emails;
      const missing = emails.filter((email) => !ids.has(email.toLowerCase()));
      if (missing.length > 0)
        throw invalidInput(ctx, `property "${name}": no Notion user has the email ${missing.join(', ')}`);
      out[name] = { people: emails.map((email) => ids.get(email.toLowerCase())!) };
    }
    return out;
  }

  async function listChildBlocks(
    ctx: OperationContext,
    blockId: string,
  ): Promise<{ id: string; fingerprint: string }[]> {
    const found: { id: string; fingerprint: string }[] = [];
    let cursor: string | undefined;
    do {
      const response = await call(ctx, () =>
        client.blocks.children.list({ block_id: blockId, start_cursor: cursor, page_size: 100 }),
      );
      for (const block of response.results)
        found.push({ id: block.id, fingerprint: isFullBlock(block) ? blockFingerprint(block) : 'unknown' });
      cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
    } while (cursor);
    return found;
  }

  async function findByKey(
    ctx: OperationContext,
    dataSourceId: string,
    key: string,
  ): Promise<PageObjectResponse | undefined> {
    const response = await call(ctx, () =>
      client.dataSources.query({
        data_source_id: dataSourceId,
        filter: { property: keyProperty, rich_text: { equals: key } },
        // Should two rows ever carry one key, the oldest is the one every attempt picks.
        sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
        page_size: 10,
      }),
    );
    return response.results.filter(isFullPage).find((page) => {
      const value = page.properties[keyProperty];
      return value?.type === 'rich_text' && plainText(value.rich_text) === key;
    });
  }

  return {
    /** Every row of a data source matching the filter, following Notion's pagination. */
    async queryDataSource(input: QueryDataSourceInput): Promise<{ rows: NotionRow[] }> {
      const ctx: OperationContext = {
        system: 'notion',
        operation: 'dataSources.query',
        key: input.dataSourceId,
      };
      const dataSourceId = requireId(ctx, 'dataSourceId', input.dataSourceId);
      const pageSize = input.pageSize ?? 100;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
        throw invalidInput(ctx, 'pageSize must be a whole number from 1 to 100');
      const rows: NotionRow[] = [];
      let cursor: string | undefined;
      do {
        const response = await call(ctx, () =>
          client.dataSources.query({
            data_source_id: dataSourceId,
            filter: input.filter,
            sorts: input.sorts,
            page_size: pageSize,
            start_cursor: cursor,
          }),
        );
        for (const result of response.results) {
          if (result.object === 'page' && isFullPage(result))
            rows.push(simplifyRow(await withAllReferences(ctx, result), input.includeRaw === true));
        }
        if (response.request_status?.type === 'incomplete') {
          // Returning a silently truncated list would let a workflow act on half the rows.
          throw invalidInput(
            ctx,
            `the query matched more rows than Notion returns for one query (${rows.length} read); narrow the filter`,
          );
        }
        cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
      } while (cursor);
      return { rows };
    },

    async getPage(input: { pageId: string; includeRaw?: boolean }): Promise<NotionPage> {
      const ctx: OperationContext = { system: 'notion', operation: 'pages.retrieve', key: input.pageId };
      const pageId = requireId(ctx, 'pageId', input.pageId);
      return simplifyPage(
        await withAllReferences(ctx, await retrievePage(ctx, pageId)),
        input.includeRaw === true,
      );
    },

    /**
     * Finds the row whose key property equals the idempotency key and brings its properties up
     * to date, or creates it (with its content) when there is none.
     */
    async upsertPage(input: UpsertPageInput): Promise<UpsertPageResult> {
      const key = input.idempotencyKey;
      const ctx: OperationContext = { system: 'notion', operation: 'upsertPage', key };
      if (typeof key !== 'string' || key.trim() === '' || key.length > 2000)
        throw invalidInput(ctx, 'idempotencyKey must be 1 to 2,000 characters');
      const dataSourceId = requireId(ctx, 'dataSourceId', input.dataSourceId);
      const properties = await resolvePeople(ctx, parseProperties(ctx, input.properties));
      if (keyProperty in properties)
        throw invalidInput(ctx, `"${keyProperty}" holds the idempotency key and cannot be set directly`);
      const blocks = parseContent(ctx, input.content);
      const batches = requestBatches(blocks);
      const notionProperties = toNotionProperties(ctx, properties);

      if (input.pageId !== undefined && input.pageId !== null) {
        const pageId = requireId(ctx, 'pageId', input.pageId);
        const updated = await call({ ...ctx, operation: 'pages.update' }, () =>
          client.pages.update({ page_id: pageId, properties: notionProperties }),
        ).catch((error: unknown) => {
          if (pageIsGone(error)) return null;
          throw error;
        });
        if (updated) return { id: updated.id, url: isFullPage(updated) ? updated.url : '', created: false };
      }

      // Without the page id, or on a retry that may follow a create whose answer was lost, the
      // key is looked up first: one row per key, however many attempts it takes.
      const found = await findByKey({ ...ctx, operation: 'dataSources.query' }, dataSourceId, key);
      // People and relations of more than 25 would look changed on every run if read from the page object.
      const existing = found ? await withAllReferences(ctx, found, Object.keys(properties)) : undefined;
      if (existing) {
        const changed = Object.entries(properties).filter(
          ([name, value]) =>
            !isDeepStrictEqual(currentSimpleValue(existing.properties[name]), expectedSimpleValue(value)),
        );
        let url = existing.url;
        if (changed.length > 0) {
          const update: UpdatePageParameters = {
            page_id: existing.id,
            properties: Object.fromEntries(changed.map(([name]) => [name, notionProperties[name]!])),
          };
          const updated = await call({ ...ctx, operation: 'pages.update' }, () =>
            client.pages.update(update),
          );
          if (isFullPage(updated)) url = updated.url;
        }
        // A create that was interrupted between its content batches left a prefix of the content.
        if (batches.length > 1) {
          const listCtx = { ...ctx, operation: 'blocks.children.list' };
          const present = await listChildFingerprints(listCtx, existing.id);
          const written = blocksAlreadyWritten(present, blocks.map(blockFingerprint), batches, 'whole-page');
          if (written > 0 && written < blocks.length) {
            await appendBatches(
              { ...ctx, operation: 'blocks.children.append' },
              existing.id,
              batchesAfter(batches, written),
            );
          }
        }
        return { id: existing.id, url, created: false };
      }

      const create: CreatePageParameters = {
        parent: { type: 'data_source_id', data_source_id: dataSourceId },
        properties: { ...notionProperties, [keyProperty]: { rich_text: richText(key) } },
        ...(batches[0] ? { children: batches[0] } : {}),
      };
      const page = await call({ ...ctx, operation: 'pages.create' }, () => client.pages.create(create));
      await appendBatches({ ...ctx, operation: 'blocks.children.append' }, page.id, batches.slice(1));
      return { id: page.id, url: isFullPage(page) ? page.url : '', created: true };
    },

    /** Sets properties and/or moves the page to or from the trash; repeating it changes nothing more. */
    async updatePage(input: UpdatePageInput): Promise<NotionPage> {
      const ctx: OperationContext = { system: 'notion', operation: 'pages.update', key: input.pageId };
      const pageId = requireId(ctx, 'pageId', input.pageId);
      const properties = await resolvePeople(ctx, parseProperties(ctx, input.properties));
      if (input.archived !== undefined && typeof input.archived !== 'boolean')
        throw invalidInput(ctx, 'archived must be true or false');
      if (Object.keys(properties).length === 0 && input.archived === undefined)
        throw invalidInput(ctx, 'nothing to update: give properties or archived');
      if (keyProperty in properties)
        throw invalidInput(ctx, `"${keyProperty}" holds the idempotency key and cannot be changed`);
      const update: UpdatePageParameters = {
        page_id: pageId,
        ...(Object.keys(properties).length > 0 ? { properties: toNotionProperties(ctx, properties) } : {}),
        ...(input.archived !== undefined ? { in_trash: input.archived } : {}),
      };
      const updated = await call(ctx, () => client.pages.update(update));
      return simplifyPage(
        isFullPage(updated) ? updated : await retrievePage({ ...ctx, operation: 'pages.retrieve' }, pageId),
      );
    },

    /**
     * Makes a page's content exactly the document: blocks the page already begins with are kept,
     * the rest are deleted and the remainder appended. Repeating it, or retrying after a crash
     * half-way, converges on the same page.
     */
    async replaceContent(input: ReplaceContentInput): Promise<ReplaceContentResult> {
      const ctx: OperationContext = {
        system: 'notion',
        operation: 'replaceContent',
        key: input.idempotencyKey,
      };
      const pageId = requireId(ctx, 'pageId', input.pageId);
      const blocks = parseContent(ctx, input.content);
      const wanted = blocks.map(blockFingerprint);
      const present = await listChildBlocks({ ...ctx, operation: 'blocks.children.list' }, pageId);
      let kept = 0;
      while (kept < present.length && kept < wanted.length && present[kept]!.fingerprint === wanted[kept])
        kept++;
      for (const block of present.slice(kept))
        await call({ ...ctx, operation: 'blocks.delete' }, () =>
          client.blocks.delete({ block_id: block.id }),
        );
      const appended = await appendBatches(
        { ...ctx, operation: 'blocks.children.append' },
        pageId,
        requestBatches(blocks.slice(kept)),
      );
      return { kept, removed: present.length - kept, appended };
    },

    /**
     * Appends a document to a page. Content the page already ends with counts as written, so a
     * retry after a crash neither duplicates it nor loses the batches not yet sent.
     */
    async appendContent(input: AppendContentInput): Promise<AppendContentResult> {
      const ctx: OperationContext = {
        system: 'notion',
        operation: 'appendContent',
        key: input.idempotencyKey,
      };
      const pageId = requireId(ctx, 'pageId', input.pageId);
      const blocks = parseContent(ctx, input.content);
      if (blocks.length === 0) return { appended: 0, alreadyPresent: 0 };
      const batches = requestBatches(blocks);
      const present = await listChildFingerprints({ ...ctx, operation: 'blocks.children.list' }, pageId);
      const written = blocksAlreadyWritten(present, blocks.map(blockFingerprint), batches, 'tail');
      const appended = await appendBatches(
        { ...ctx, operation: 'blocks.children.append' },
        pageId,
        batchesAfter(batches, written),
      );
      return { appended, alreadyPresent: written };
    },

    /**
     * A page's content as a document: its blocks in order, with the children of list items,
     * to-dos and toggles one level down read after their parent (people nest bullets).
     */
    async readPageContent(input: { pageId: string }): Promise<{ content: PageDocument; truncated: boolean }> {
      const ctx: OperationContext = {
        system: 'notion',
        operation: 'blocks.children.list',
        key: input.pageId,
      };
      const pageId = requireId(ctx, 'pageId', input.pageId);
      const content: PageDocument = [];
      let truncated = false;
      const list = async (blockId: string, depth: number): Promise<void> => {
        let cursor: string | undefined;
        do {
          const response = await call(ctx, () =>
            client.blocks.children.list({ block_id: blockId, start_cursor: cursor, page_size: 100 }),
          );
          for (const block of response.results) {
            if (!isFullBlock(block) || block.in_trash) continue;
            if (content.length >= MAX_READ_BLOCKS) {
              truncated = true;
              return;
            }
            const read = fromBlock(block);
            if (read) content.push(read);
            if (block.has_children && depth === 0 && NESTING_TYPES.has(block.type)) await list(block.id, 1);
          }
          cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
        } while (cursor);
      };
      await list(pageId, 0);
      return { content, truncated };
    },

    /** The property names, types and options of a data source. */
    async getDataSource(input: { dataSourceId: string }): Promise<DataSourceSchema> {
      const ctx: OperationContext = {
        system: 'notion',
        operation: 'dataSources.retrieve',
        key: input.dataSourceId,
      };
      const dataSourceId = requireId(ctx, 'dataSourceId', input.dataSourceId);
      const dataSource = await call(ctx, () => client.dataSources.retrieve({ data_source_id: dataSourceId }));
      const properties: DataSourceSchema['properties'] = {};
      for (const [name, property] of Object.entries(dataSource.properties)) {
        const options =
          property.type === 'select'
            ? property.select.options
            : property.type === 'status'
              ? property.status.options
              : property.type === 'multi_select'
                ? property.multi_select.options
                : undefined;
        properties[name] = {
          id: property.id,
          type: property.type,
          ...(options ? { options: options.map((o) => o.name) } : {}),
        };
      }
      return {
        id: dataSource.id,
        title: isFullDataSource(dataSource) ? plainText(dataSource.title) : '',
        properties,
      };
    },

    /**
     * The workspace's users, to map people's emails to Notion user ids. Notion lists emails only
     * to an integration with the email capability; without it, this says so (and warns) rather
     * than letting every look-up by email quietly miss.
     */
    async listUsers(): Promise<ListUsersResult> {
      const ctx: OperationContext = { system: 'notion', operation: 'users.list' };
      const users: NotionUserSummary[] = [];
      let cursor: string | undefined;
      do {
        const response = await call(ctx, () => client.users.list({ start_cursor: cursor, page_size: 100 }));
        for (const user of response.results) {
          if (!isFullUser(user)) continue;
          users.push({
            id: user.id,
            name: user.name,
            email: user.type === 'person' ? (user.person.email ?? null) : null,
            type: user.type,
          });
        }
        cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
      } while (cursor);
      const people = users.filter((u) => u.type === 'person');
      const emailsWithheld = people.length > 0 && people.every((u) => u.email === null);
      if (emailsWithheld)
        warn(
          `notion users.list: ${people.length} people listed, none with an email: give the integration the "Read user information including email addresses" capability, or nobody can be matched by email`,
        );
      return { users, emailsWithheld };
    },
  };
}

export type NotionActivities = ReturnType<typeof createNotionActivities>;
