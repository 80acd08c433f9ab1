import {
  APIResponseError,
  InvalidPathParameterError,
  LogLevel,
  RequestTimeoutError,
  type Client,
} from '@notionhq/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyError, ErrorTypes } from '../../activities/errors';
import { createNotionActivities, createNotionClient, type NotionActivities } from '../../activities/notion';
import type { PageDocument } from '../../activities/notion-blocks';
import { createNotionSandbox } from '../../sandbox/notion';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

const config = loadExampleConfig();
const BUNDLES = config.integrations.notion.dataSources.enablementBundles!;
const RELEASES = config.integrations.notion.dataSources.releaseLog!;
const LEAVE = config.integrations.notion.dataSources.leaveTracker!;
const SECRET = 'ntn_Secret0123456789abcdefXYZ';
const MISSING_PAGE = '0f0f0f0f-0000-4000-8000-000000000000';

let served: Awaited<ReturnType<typeof serveVendor<ReturnType<typeof createNotionSandbox>>>>;
let client: Client;
let notion: NotionActivities;
/** Everything the client library logged, to prove no secret reaches a log. */
const logged: string[] = [];

function clientFor(token: string, timeoutMs?: number): Client {
  return createNotionClient({
    auth: token,
    baseUrl: served.url,
    timeoutMs,
    logLevel: LogLevel.DEBUG,
    logger: (level, message, extra) => logged.push(`${level} ${message} ${JSON.stringify(extra)}`),
  });
}

beforeAll(async () => {
  served = await serveVendor(createNotionSandbox(config));
  client = clientFor(SECRET);
  notion = createNotionActivities({ client });
});
afterAll(async () => {
  await served.close();
  expect(logged.join('\n')).not.toContain(SECRET);
});
beforeEach(() => {
  served.vendor.reset();
  served.router.clearFaults();
  served.router.clearLog();
});

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

const requests = (route: string) => served.router.log.filter((r) => r.route === route);
const bundlePages = () => served.vendor.store.pages(BUNDLES);

const bundleDocument: PageDocument = [
  { type: 'callout', emoji: '📣', text: 'Tier 2 release REL-7, launching 2026-06-01.' },
  { type: 'heading_2', text: 'What changed' },
  { type: 'bulleted_list_item', text: 'Plain-language summary' },
  { type: 'to_do', text: 'Review with Support', checked: false },
  { type: 'divider' },
];

const bundleProperties = {
  Name: { title: 'Enablement bundle — Export to CSV' },
  Release: { rich_text: 'REL-7' },
  Tier: { select: 'Tier 2' },
  'Launch date': { date: { start: '2026-06-01' } },
  Due: { date: { start: '2026-05-22' } },
  Owner: { rich_text: 'Ana Costa' },
  Status: { status: 'Draft' },
} as const;

function manyParagraphs(count: number): PageDocument {
  return Array.from({ length: count }, (_, i) => ({
    type: 'paragraph' as const,
    text: `Paragraph ${i + 1}`,
  }));
}

describe('createNotionClient', () => {
  it('talks to the sandbox with API version 2025-09-03 and does not retry on its own', async () => {
    served.router.injectFault({
      route: 'GET /v1/users',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 1, times: 1 },
    });
    await expect(client.users.list({})).rejects.toBeInstanceOf(APIResponseError);
    // One request: the library's own retry would have sent a second after Retry-After.
    expect(requests('GET /v1/users')).toHaveLength(1);
    expect(() => createNotionClient({ auth: '' })).toThrow(/PRODOPS_NOTION_TOKEN/);
  });
});

describe('upsertPage', () => {
  it('creates the row with its key, properties and content', async () => {
    const result = await notion.upsertPage({
      idempotencyKey: 'release:REL-7:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
      content: bundleDocument,
    });
    expect(result.created).toBe(true);
    expect(result.url).toMatch(/^https:\/\/www\.notion\.so\//);
    const page = served.vendor.store.page(result.id)!;
    expect(page.parent).toMatchObject({ type: 'data_source_id', data_source_id: BUNDLES });
    expect(page.properties['prodops key']).toMatchObject({
      rich_text: [{ plain_text: 'release:REL-7:bundle' }],
    });
    expect(page.properties.Status).toMatchObject({ status: { name: 'Draft' } });
    expect(page.properties.Tier).toMatchObject({ select: { name: 'Tier 2' } });
    expect(served.vendor.store.blockTexts(result.id)).toEqual([
      'Tier 2 release REL-7, launching 2026-06-01.',
      'What changed',
      'Plain-language summary',
      'Review with Support',
      '',
    ]);
    expect(served.vendor.store.blocks(result.id)[0]).toMatchObject({
      type: 'callout',
      callout: { icon: { emoji: '📣' } },
    });
  });

  it('called twice with the same key gives one page, and updates only what changed', async () => {
    const first = await notion.upsertPage({
      idempotencyKey: 'release:REL-7:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
      content: bundleDocument,
    });
    const again = await notion.upsertPage({
      idempotencyKey: 'release:REL-7:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
      content: bundleDocument,
    });
    expect(again).toEqual({ id: first.id, url: first.url, created: false });
    expect(bundlePages()).toHaveLength(1);
    expect(requests('PATCH /v1/pages/:id')).toHaveLength(0);
    expect(served.vendor.store.blocks(first.id)).toHaveLength(bundleDocument.length);

    const moved = await notion.upsertPage({
      idempotencyKey: 'release:REL-7:bundle',
      dataSourceId: BUNDLES,
      properties: { ...bundleProperties, 'Launch date': { date: { start: '2026-06-08' } } },
    });
    expect(moved).toMatchObject({ id: first.id, created: false });
    expect(requests('PATCH /v1/pages/:id')).toHaveLength(1);
    expect(served.vendor.store.page(first.id)!.properties['Launch date']).toMatchObject({
      date: { start: '2026-06-08' },
    });
    expect(bundlePages()).toHaveLength(1);

    const other = await notion.upsertPage({
      idempotencyKey: 'release:REL-8:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
    });
    expect(other.id).not.toBe(first.id);
    expect(bundlePages()).toHaveLength(2);
  });

  it('with the page id in hand: one request, no look-up by key; a page gone falls back to the key', async () => {
    const first = await notion.upsertPage({
      idempotencyKey: 'release:REL-7:release-log',
      dataSourceId: RELEASES,
      properties: { Name: { title: 'Export to CSV' }, Status: { select: 'Planned' } },
    });
    served.router.clearLog();
    const updated = await notion.upsertPage({
      idempotencyKey: 'release:REL-7:release-log',
      dataSourceId: RELEASES,
      pageId: first.id,
      properties: { Name: { title: 'Export to CSV' }, Status: { select: 'At risk' } },
    });
    expect(updated).toEqual({ id: first.id, url: first.url, created: false });
    expect(served.router.log.map((r) => r.route)).toEqual(['PATCH /v1/pages/:id']);
    expect(served.vendor.store.page(first.id)!.properties.Status).toMatchObject({
      select: { name: 'At risk' },
    });

    // Someone trashed the row: the key finds no live row, so a new one is made under it.
    served.vendor.store.trashPage(first.id);
    served.router.clearLog();
    const again = await notion.upsertPage({
      idempotencyKey: 'release:REL-7:release-log',
      dataSourceId: RELEASES,
      pageId: first.id,
      properties: { Name: { title: 'Export to CSV' }, Status: { select: 'Released' } },
    });
    expect(again.created).toBe(true);
    expect(again.id).not.toBe(first.id);
    expect(served.router.log.map((r) => r.route)).toEqual([
      'PATCH /v1/pages/:id',
      'POST /v1/data_sources/:id/query',
      'POST /v1/pages',
    ]);

    await expect(
      notion.upsertPage({
        idempotencyKey: 'release:REL-7:release-log',
        dataSourceId: RELEASES,
        pageId: 'not-an-id',
        properties: {},
      }),
    ).rejects.toThrow(/pageId must be a Notion id/);
  });

  it('fails retryably on 429 with Retry-After as the next delay, then creates exactly one page', async () => {
    served.router.injectFault({
      route: 'POST /v1/pages',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 7, times: 1 },
    });
    const input = {
      idempotencyKey: 'release:REL-9:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
      content: bundleDocument,
    };
    const failure = await failureOf(notion.upsertPage(input));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe(ErrorTypes.rateLimited);
    expect(failure.nextRetryDelay).toBe('7s');
    expect(failure.message).toContain('pages.create');
    expect(failure.message).toContain('release:REL-9:bundle');
    expect(bundlePages()).toHaveLength(0);

    const result = await notion.upsertPage(input);
    expect(result.created).toBe(true);
    expect(bundlePages()).toHaveLength(1);
    expect(await notion.upsertPage(input)).toMatchObject({ id: result.id, created: false });
    expect(bundlePages()).toHaveLength(1);
  });

  it('resumes content that needed several requests when an attempt failed half-way', async () => {
    const content = manyParagraphs(230);
    const input = {
      idempotencyKey: 'release:REL-10:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
      content,
    };
    served.router.injectFault({
      route: 'PATCH /v1/blocks/:id/children',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 2, times: 1 },
    });
    const failure = await failureOf(notion.upsertPage(input));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe('2s');
    // The page exists with the first batch: the failure hit the append of the second.
    expect(bundlePages()).toHaveLength(1);
    const pageId = bundlePages()[0]!.id;
    expect(served.vendor.store.blocks(pageId)).toHaveLength(100);

    const result = await notion.upsertPage(input);
    expect(result).toMatchObject({ id: pageId, created: false });
    expect(served.vendor.store.blockTexts(pageId)).toEqual(
      content.map((b) => (b.type === 'paragraph' ? b.text : '')),
    );
    await notion.upsertPage(input);
    expect(served.vendor.store.blocks(pageId)).toHaveLength(230);
    expect(bundlePages()).toHaveLength(1);
  });

  it('splits text longer than 2,000 characters so that Notion accepts it', async () => {
    const long = `${'Launch notes. '.repeat(400)}🚀 done`;
    expect(long.length).toBeGreaterThan(5000);
    // Sent as one rich text item, the sandbox refuses it exactly as Notion does.
    const raw = client.pages.create({
      parent: { type: 'data_source_id', data_source_id: BUNDLES },
      properties: {
        Name: { title: [{ text: { content: 'raw' } }] },
        Owner: { rich_text: [{ text: { content: long } }] },
      },
    });
    await expect(raw).rejects.toMatchObject({ status: 400, code: 'validation_error' });
    const failure = await failureOf(
      notion.upsertPage({
        idempotencyKey: 'x',
        dataSourceId: BUNDLES,
        properties: { Name: { title: 'x' }, Unknown: { rich_text: 'y' } },
      }),
    );
    expect(failure.nonRetryable).toBe(true);

    const result = await notion.upsertPage({
      idempotencyKey: 'release:REL-11:bundle',
      dataSourceId: BUNDLES,
      properties: { Name: { title: 'Long' }, Owner: { rich_text: long } },
      content: [{ type: 'paragraph', text: long }],
    });
    const page = await notion.getPage({ pageId: result.id });
    expect(page.properties.Owner).toBe(long);
    expect(served.vendor.store.blockTexts(result.id)).toEqual([long]);
    const [block] = served.vendor.store.blocks(result.id) as unknown as {
      paragraph: { rich_text: unknown[] };
    }[];
    expect(block!.paragraph.rich_text.length).toBe(3);
  });

  it('refuses a key property in the input and malformed input before calling Notion', async () => {
    const keyed = await failureOf(
      notion.upsertPage({
        idempotencyKey: 'k',
        dataSourceId: BUNDLES,
        properties: { 'prodops key': { rich_text: 'other' } },
      }),
    );
    expect(keyed).toMatchObject({ type: ErrorTypes.invalidInput, nonRetryable: true });
    const badId = await failureOf(
      notion.upsertPage({ idempotencyKey: 'k', dataSourceId: '../../users', properties: {} }),
    );
    expect(badId.type).toBe(ErrorTypes.invalidInput);
    expect(badId.message).toContain('dataSourceId');
    const badValue = await failureOf(
      notion.upsertPage({
        idempotencyKey: 'k',
        dataSourceId: BUNDLES,
        properties: { Tier: { select: 'a,b' } },
      }),
    );
    expect(badValue.message).toMatch(/comma/);
    const badDate = await failureOf(
      notion.upsertPage({
        idempotencyKey: 'k',
        dataSourceId: BUNDLES,
        properties: { Due: { date: { start: 'next Friday' } } },
      }),
    );
    expect(badDate.message).toMatch(/Due\.date\.start/);
    expect(served.router.log).toHaveLength(0);
  });
});

describe('permanent errors', () => {
  it('classifies 400 validation errors as non-retryable BadRequest naming the operation and key', async () => {
    const failure = await failureOf(
      notion.upsertPage({
        idempotencyKey: 'release:REL-12:bundle',
        dataSourceId: BUNDLES,
        properties: { Status: { status: 'Shipped' } },
      }),
    );
    expect(failure).toMatchObject({ type: ErrorTypes.badRequest, nonRetryable: true });
    expect(failure.message).toContain('notion pages.create [release:REL-12:bundle]');
    expect(failure.message).toContain('Status option "Shipped" does not exist');
    expect(failure.message).not.toContain(SECRET);
  });

  it('classifies 401 as non-retryable Unauthorized without revealing the token', async () => {
    const token = `invalid-${SECRET}`;
    const refused = createNotionActivities({ client: clientFor(token) });
    const failure = await failureOf(
      refused.upsertPage({ idempotencyKey: 'release:REL-13:bundle', dataSourceId: BUNDLES, properties: {} }),
    );
    expect(failure).toMatchObject({ type: ErrorTypes.unauthorized, nonRetryable: true });
    expect(failure.message).toContain('release:REL-13:bundle');
    expect(failure.message).not.toContain(SECRET);
    expect(JSON.stringify(failure.details)).not.toContain(SECRET);
    expect(logged.join('\n')).not.toContain(SECRET);
  });

  it('classifies 403 as non-retryable Forbidden', async () => {
    served.router.injectFault({
      route: 'PATCH /v1/pages/:id',
      fault: { kind: 'status', status: 403, times: 1 },
    });
    const { id } = await notion.upsertPage({
      idempotencyKey: 'release:REL-14:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
    });
    const failure = await failureOf(
      notion.updatePage({ pageId: id, properties: { Status: { status: 'Published' } } }),
    );
    expect(failure).toMatchObject({ type: ErrorTypes.forbidden, nonRetryable: true });
    expect(failure.message).toContain(`notion pages.update [${id}]`);
  });

  it('classifies 404 as non-retryable NotFound', async () => {
    const failure = await failureOf(notion.getPage({ pageId: MISSING_PAGE }));
    expect(failure).toMatchObject({ type: ErrorTypes.notFound, nonRetryable: true });
    expect(failure.message).toContain(`notion pages.retrieve [${MISSING_PAGE}]`);
    expect(failure.message).toContain('Could not find page');
    const appended = await failureOf(
      notion.appendContent({
        idempotencyKey: 'release:REL-15:notes',
        pageId: MISSING_PAGE,
        content: bundleDocument,
      }),
    );
    expect(appended).toMatchObject({ type: ErrorTypes.notFound, nonRetryable: true });
    expect(appended.message).toContain('release:REL-15:notes');
  });

  it('retries Notion’s 409 conflict_error, which asks for the request to be sent again', async () => {
    const { id } = await notion.upsertPage({
      idempotencyKey: 'release:REL-16:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
    });
    served.router.injectFault({
      route: 'PATCH /v1/pages/:id',
      fault: { kind: 'status', status: 409, times: 1 },
    });
    const failure = await failureOf(
      notion.updatePage({ pageId: id, properties: { Owner: { rich_text: 'Ben Adeyemi' } } }),
    );
    expect(failure).toMatchObject({ type: ErrorTypes.conflict, nonRetryable: false });
    expect(
      (await notion.updatePage({ pageId: id, properties: { Owner: { rich_text: 'Ben Adeyemi' } } }))
        .properties.Owner,
    ).toBe('Ben Adeyemi');
  });

  it('treats a dropped connection, a timeout and a 5xx as retryable', async () => {
    served.router.injectFault({ route: 'GET /v1/pages/:id', fault: { kind: 'drop', times: 1 } });
    const dropped = await failureOf(notion.getPage({ pageId: MISSING_PAGE }));
    expect(dropped).toMatchObject({ type: ErrorTypes.network, nonRetryable: false });

    served.router.injectFault({ route: 'GET /v1/users', fault: { kind: 'latency', ms: 400, times: 1 } });
    const slow = createNotionActivities({ client: clientFor(SECRET, 100) });
    const timedOut = await failureOf(slow.listUsers());
    expect(timedOut).toMatchObject({ type: ErrorTypes.network, nonRetryable: false });

    served.router.injectFault({
      route: 'POST /v1/data_sources/:id/query',
      fault: { kind: 'status', status: 503, retryAfterSeconds: 4, times: 1 },
    });
    const unavailable = await failureOf(notion.queryDataSource({ dataSourceId: BUNDLES }));
    expect(unavailable).toMatchObject({
      type: ErrorTypes.unavailable,
      nonRetryable: false,
      nextRetryDelay: '4s',
    });
  });
});

describe('queryDataSource and getPage', () => {
  it('returns every matching row across pages, simplified', async () => {
    const ana = served.vendor.store.userIdFor('ana');
    const ben = served.vendor.store.userIdFor('ben');
    for (let i = 1; i <= 5; i++) {
      await notion.upsertPage({
        idempotencyKey: `leave:ana:${i}`,
        dataSourceId: LEAVE,
        properties: {
          Name: { title: `Ana leave ${i}` },
          Person: { people: [ana] },
          Buddy: { people: [ben.replace(/-/g, '')] },
          Team: { select: 'growth' },
          Dates: { date: { start: `2026-07-0${i}`, end: `2026-07-1${i}` } },
          Status: { status: i % 2 === 0 ? 'Approved' : 'Requested' },
        },
      });
    }
    served.router.clearLog();
    const { rows } = await notion.queryDataSource({
      dataSourceId: LEAVE,
      filter: { property: 'Person', people: { contains: ana } },
      sorts: [{ property: 'Dates', direction: 'ascending' }],
      pageSize: 2,
    });
    expect(requests('POST /v1/data_sources/:id/query')).toHaveLength(3);
    expect(rows.map((r) => r.properties.Name)).toEqual([
      'Ana leave 1',
      'Ana leave 2',
      'Ana leave 3',
      'Ana leave 4',
      'Ana leave 5',
    ]);
    expect(rows[1]).toMatchObject({
      properties: {
        Person: [ana],
        Buddy: [ben],
        Team: 'growth',
        Dates: { start: '2026-07-02', end: '2026-07-12' },
        Status: 'Approved',
        'prodops key': 'leave:ana:2',
      },
    });
    expect(rows[0]!.raw).toBeUndefined();

    const approved = await notion.queryDataSource({
      dataSourceId: LEAVE,
      filter: { property: 'Status', status: { equals: 'Approved' } },
      includeRaw: true,
    });
    expect(approved.rows).toHaveLength(2);
    expect(approved.rows[0]!.raw).toHaveProperty('Status');
    const badSize = await failureOf(notion.queryDataSource({ dataSourceId: LEAVE, pageSize: 500 }));
    expect(badSize.type).toBe(ErrorTypes.invalidInput);
  });

  it('reads a page with its data source and trash state', async () => {
    const { id } = await notion.upsertPage({
      idempotencyKey: 'release:REL-20:log',
      dataSourceId: RELEASES,
      properties: { Name: { title: 'Export' }, Tier: { select: 'Tier 3' } },
    });
    served.vendor.store.setProperty(id, 'Status', 'At risk', 'priya');
    const page = await notion.getPage({ pageId: id.replace(/-/g, '') });
    expect(page).toMatchObject({
      id,
      dataSourceId: RELEASES,
      inTrash: false,
      properties: { Name: 'Export', Tier: 'Tier 3', Status: 'At risk', 'Launch date': null },
    });
    expect(page.createdTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});

describe('updatePage', () => {
  it('sets properties, trashes and restores a page, and refuses an empty update', async () => {
    const { id } = await notion.upsertPage({
      idempotencyKey: 'release:REL-21:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
    });
    const published = await notion.updatePage({
      pageId: id,
      properties: { Status: { status: 'Published' } },
    });
    expect(published.properties.Status).toBe('Published');
    expect((await notion.updatePage({ pageId: id, archived: true })).inTrash).toBe(true);
    // A trashed row no longer answers to its key: the next upsert would create a fresh one.
    expect((await notion.queryDataSource({ dataSourceId: BUNDLES })).rows).toHaveLength(0);
    expect((await notion.updatePage({ pageId: id, archived: false })).inTrash).toBe(false);
    expect((await failureOf(notion.updatePage({ pageId: id }))).type).toBe(ErrorTypes.invalidInput);
    expect(
      (await failureOf(notion.updatePage({ pageId: id, properties: { 'prodops key': { rich_text: 'x' } } })))
        .type,
    ).toBe(ErrorTypes.invalidInput);
  });
});

describe('appendContent', () => {
  it('appends once: a repeat finds the content already there', async () => {
    const { id } = await notion.upsertPage({
      idempotencyKey: 'release:REL-22:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
      content: bundleDocument,
    });
    const upgrade: PageDocument = [
      { type: 'divider' },
      { type: 'callout', emoji: '⬆️', text: 'Upgraded to Tier 3' },
      { type: 'heading_2', text: 'Sales talk track' },
    ];
    expect(
      await notion.appendContent({ idempotencyKey: 'release:REL-22:tier-3', pageId: id, content: upgrade }),
    ).toEqual({ appended: 3, alreadyPresent: 0 });
    expect(
      await notion.appendContent({ idempotencyKey: 'release:REL-22:tier-3', pageId: id, content: upgrade }),
    ).toEqual({ appended: 0, alreadyPresent: 3 });
    expect(served.vendor.store.blocks(id)).toHaveLength(bundleDocument.length + 3);
  });

  it('after a 429 half-way through a long append, the retry sends only what is missing', async () => {
    const { id } = await notion.upsertPage({
      idempotencyKey: 'release:REL-23:bundle',
      dataSourceId: BUNDLES,
      properties: bundleProperties,
      content: bundleDocument,
    });
    const content = manyParagraphs(250);
    served.router.clearLog();
    // The first batch goes through (a zero-latency rule uses up the first request), the second is limited.
    served.router.injectFault({
      route: 'PATCH /v1/blocks/:id/children',
      fault: { kind: 'latency', ms: 0, times: 1 },
    });
    served.router.injectFault({
      route: 'PATCH /v1/blocks/:id/children',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 3, times: 1 },
    });
    const failure = await failureOf(
      notion.appendContent({ idempotencyKey: 'release:REL-23:notes', pageId: id, content }),
    );
    expect(requests('PATCH /v1/blocks/:id/children')).toHaveLength(2);
    expect(failure).toMatchObject({
      type: ErrorTypes.rateLimited,
      nonRetryable: false,
      nextRetryDelay: '3s',
    });
    expect(served.vendor.store.blocks(id)).toHaveLength(bundleDocument.length + 100);

    const retried = await notion.appendContent({
      idempotencyKey: 'release:REL-23:notes',
      pageId: id,
      content,
    });
    expect(retried).toEqual({ appended: 150, alreadyPresent: 100 });
    const texts = served.vendor.store.blockTexts(id);
    expect(texts).toHaveLength(bundleDocument.length + 250);
    expect(texts.slice(bundleDocument.length)).toEqual(
      content.map((b) => (b.type === 'paragraph' ? b.text : '')),
    );
  });
});

describe('getDataSource and listUsers', () => {
  it('reads a data source schema and every workspace user', async () => {
    const schema = await notion.getDataSource({ dataSourceId: BUNDLES });
    expect(schema.title).toBe('Enablement bundles');
    expect(schema.properties.Status).toMatchObject({
      type: 'status',
      options: ['Draft', 'In review', 'Published', 'Cancelled'],
    });
    expect(schema.properties['prodops key']).toMatchObject({ type: 'rich_text' });
    const { users } = await notion.listUsers();
    expect(
      users
        .filter((u) => u.type === 'person')
        .map((u) => u.email)
        .sort(),
    ).toEqual(config.people.map((p) => p.email).sort());
    expect(users.find((u) => u.email === 'ana@northwind.example')?.id).toBe(
      served.vendor.store.userIdFor('ana'),
    );
  });

  it('says so, and warns, when Notion lists people without their emails', async () => {
    const withheld = await serveVendor(createNotionSandbox(config, { withholdEmails: true }));
    const warnings: string[] = [];
    try {
      const blind = createNotionActivities({
        client: createNotionClient({ auth: SECRET, baseUrl: withheld.url }),
        warn: (m) => void warnings.push(m),
      });
      const listed = await blind.listUsers();
      expect(listed.users.filter((u) => u.type === 'person')).toHaveLength(config.people.length);
      expect(listed.users.every((u) => u.email === null)).toBe(true);
      expect(listed.emailsWithheld).toBe(true);
      expect(warnings).toEqual([expect.stringContaining('Read user information including email addresses')]);
      expect((await notion.listUsers()).emailsWithheld).toBe(false);
    } finally {
      await withheld.close();
    }
  });
});

describe('people and relations beyond 25 references', () => {
  /** The bundles data source gains a relation to the release log, as a person would add one. */
  async function bundleRelatedTo(count: number) {
    const store = served.vendor.store;
    store.addRelationProperty(BUNDLES, 'Releases', RELEASES);
    const releases = Array.from({ length: count }, (_, i) =>
      store.addPage(RELEASES, { Name: `Release ${i + 1}` }),
    );
    return releases;
  }

  it('compares the whole list, so an unchanged relation of 30 pages is not rewritten on every run', async () => {
    const releases = await bundleRelatedTo(30);
    const input = {
      idempotencyKey: 'bundle:relations',
      dataSourceId: BUNDLES,
      properties: { Name: { title: 'Bundle' }, Releases: { relation: releases } },
    };
    expect((await notion.upsertPage(input)).created).toBe(true);
    served.router.clearLog();
    expect((await notion.upsertPage(input)).created).toBe(false);
    expect(requests('PATCH /v1/pages/:id')).toHaveLength(0);
    expect(requests('GET /v1/pages/:id/properties/:propertyId')).toHaveLength(1);
    // A real change still goes through, and reads back whole.
    const changed = {
      ...input,
      properties: { ...input.properties, Releases: { relation: releases.slice(1) } },
    };
    const { id } = await notion.upsertPage(changed);
    expect(requests('PATCH /v1/pages/:id')).toHaveLength(1);
    const page = await notion.getPage({ pageId: id });
    expect(page.properties.Releases).toHaveLength(29);
  });
});

describe('classifying the Notion client’s own errors', () => {
  const ctx = { system: 'notion' as const, operation: 'pages.retrieve', key: 'k' };

  it('treats a client-side timeout as a retryable network failure', () => {
    expect(classifyError(new RequestTimeoutError(), ctx)).toMatchObject({
      type: ErrorTypes.network,
      nonRetryable: false,
    });
  });

  it('does not retry a path the client refuses as unsafe before sending it', () => {
    expect(classifyError(new InvalidPathParameterError(), ctx)).toMatchObject({
      type: ErrorTypes.invalidInput,
      nonRetryable: true,
    });
  });
});
