import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotionSandbox, NOTION_VERSION } from '../../sandbox/notion';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

const config = loadExampleConfig();
const BUNDLES = config.integrations.notion.dataSources.enablementBundles!;
const RELEASES = config.integrations.notion.dataSources.releaseLog!;
const LEAVE = config.integrations.notion.dataSources.leaveTracker!;
const TOKEN = 'ntn_sandboxTestToken0123456789';
/** A fixed clock (Wednesday 2026-05-06, 12:00 UTC) for relative date filters. */
const NOW = Date.parse('2026-05-06T12:00:00Z');

let served: Awaited<ReturnType<typeof serveVendor<ReturnType<typeof createNotionSandbox>>>>;
let clock = NOW;

beforeAll(async () => {
  served = await serveVendor(createNotionSandbox(config, { now: () => clock }));
});
afterAll(async () => {
  await served.close();
});
beforeEach(() => {
  clock = NOW;
  served.vendor.reset();
  served.router.clearFaults();
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function notion(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${served.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'notion-version': NOTION_VERSION,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

function expectNotionError(reply: Reply, status: number, code: string, message?: RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.body).toMatchObject({ object: 'error', status, code });
  expect(typeof reply.body.message).toBe('string');
  if (message) expect(reply.body.message).toMatch(message);
}

const title = (text: string) => ({ title: [{ text: { content: text } }] });
const text = (value: string) => ({ rich_text: [{ text: { content: value } }] });

async function createBundle(
  name: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const reply = await notion('POST', '/v1/pages', {
    parent: { type: 'data_source_id', data_source_id: BUNDLES },
    properties: { Name: title(name), ...extra },
  });
  expect(reply.status).toBe(200);
  return reply.body;
}

describe('authentication and versioning', () => {
  it('refuses a request without a bearer token, and the token "invalid", with 401 unauthorized', async () => {
    expectNotionError(
      await notion('GET', '/v1/users', undefined, { authorization: '' }),
      401,
      'unauthorized',
    );
    expectNotionError(
      await notion('GET', '/v1/users', undefined, { authorization: 'Bearer invalid' }),
      401,
      'unauthorized',
    );
    expectNotionError(
      await notion('GET', '/v1/users', undefined, { authorization: `Basic ${TOKEN}` }),
      401,
      'unauthorized',
    );
  });

  it('requires the Notion-Version header and serves only 2025-09-03', async () => {
    const response = await fetch(`${served.url}/v1/users`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await response.json()) as Record<string, unknown>;
    expectNotionError(
      { status: response.status, body, headers: response.headers },
      400,
      'missing_version',
      /Notion-Version/,
    );
    expectNotionError(
      await notion('GET', '/v1/users', undefined, { 'notion-version': '2022-06-28' }),
      400,
      'validation_error',
      /2025-09-03/,
    );
  });

  it('answers unknown routes, bad JSON and injected faults in Notion’s error shape', async () => {
    expectNotionError(await notion('GET', '/v1/databases/x/query'), 404, 'invalid_request_url');
    expectNotionError(await notion('POST', '/v1/pages', '{"parent":'), 400, 'invalid_json');
    served.router.injectFault({
      route: 'GET /v1/users',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 3, times: 1 },
    });
    const limited = await notion('GET', '/v1/users');
    expectNotionError(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await notion('GET', '/v1/users')).status).toBe(200);
  });
});

describe('data sources and users', () => {
  it('seeds every configured data source with its schema', async () => {
    const reply = await notion('GET', `/v1/data_sources/${BUNDLES}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      object: 'data_source',
      id: BUNDLES,
      title: [{ plain_text: 'Enablement bundles' }],
    });
    const properties = reply.body.properties as Record<
      string,
      { type: string; id: string; status?: { options: { name: string }[] } }
    >;
    expect(Object.fromEntries(Object.entries(properties).map(([name, p]) => [name, p.type]))).toEqual({
      Name: 'title',
      'prodops key': 'rich_text',
      Status: 'status',
      Release: 'rich_text',
      Tier: 'select',
      'Launch date': 'date',
      Owner: 'rich_text',
      Due: 'date',
    });
    expect(properties.Name!.id).toBe('title');
    expect(properties.Status!.status!.options.map((o) => o.name)).toEqual([
      'Draft',
      'In review',
      'Published',
      'Cancelled',
    ]);
    for (const id of Object.values(config.integrations.notion.dataSources)) {
      expect((await notion('GET', `/v1/data_sources/${id}`)).status).toBe(200);
    }
    const subscriptions = await notion(
      'GET',
      `/v1/data_sources/${config.integrations.notion.dataSources.subscriptions}`,
    );
    expect(Object.keys(subscriptions.body.properties as object)).toEqual(
      expect.arrayContaining([
        'Vendor',
        'Owner',
        'Renewal date',
        'Notice deadline',
        'Annual cost',
        'Decision',
      ]),
    );
  });

  it('answers 404 object_not_found for an unknown data source and 400 for a malformed id', async () => {
    expectNotionError(
      await notion('GET', '/v1/data_sources/0f0f0f0f-0000-4000-8000-000000000000'),
      404,
      'object_not_found',
    );
    expectNotionError(
      await notion('POST', '/v1/data_sources/not-an-id/query', {}),
      400,
      'validation_error',
      /valid uuid/,
    );
  });

  it('lists every configured person as a user, plus the integration’s bot, a page at a time', async () => {
    const first = await notion('GET', '/v1/users?page_size=15');
    expect(first.body).toMatchObject({ object: 'list', has_more: true, type: 'user' });
    const second = await notion(
      'GET',
      `/v1/users?page_size=15&start_cursor=${first.body.next_cursor as string}`,
    );
    expect(second.body.has_more).toBe(false);
    const users = [
      ...(first.body.results as { type: string; person?: { email: string } }[]),
      ...(second.body.results as { type: string; person?: { email: string } }[]),
    ];
    expect(users).toHaveLength(config.people.length + 1);
    expect(
      users
        .filter((u) => u.type === 'person')
        .map((u) => u.person!.email)
        .sort(),
    ).toEqual(config.people.map((p) => p.email).sort());
    expectNotionError(await notion('GET', '/v1/users?page_size=101'), 400, 'validation_error');
  });
});

describe('creating and updating pages', () => {
  it('creates a row with Notion’s page shape and every schema property present', async () => {
    const page = await createBundle('Bundle A', {
      Tier: { select: { name: 'Tier 2' } },
      Due: { date: { start: '2026-05-20' } },
    });
    expect(page).toMatchObject({
      object: 'page',
      parent: { type: 'data_source_id', data_source_id: BUNDLES },
      in_trash: false,
      archived: false,
      created_time: '2026-05-06T12:00:00.000Z',
    });
    expect(page.url).toMatch(/^https:\/\/www\.notion\.so\/Bundle-A-[0-9a-f]{32}$/);
    const properties = page.properties as Record<string, Record<string, unknown>>;
    expect(properties.Name).toMatchObject({
      id: 'title',
      type: 'title',
      title: [{ plain_text: 'Bundle A', type: 'text' }],
    });
    expect(properties.Tier).toMatchObject({ type: 'select', select: { name: 'Tier 2' } });
    expect(properties.Due).toMatchObject({ type: 'date', date: { start: '2026-05-20', end: null } });
    // A new row starts at the first status, as in Notion.
    expect(properties.Status).toMatchObject({ type: 'status', status: { name: 'Draft' } });
    expect(properties.Owner).toMatchObject({ type: 'rich_text', rich_text: [] });
  });

  it('rejects rich text content longer than 2,000 characters with validation_error', async () => {
    const reply = await notion('POST', '/v1/pages', {
      parent: { data_source_id: BUNDLES },
      properties: { Name: title('x'), Owner: text('o'.repeat(2001)) },
    });
    expectNotionError(
      reply,
      400,
      'validation_error',
      /body\.properties\.Owner\.rich_text\[0\]\.text\.content\.length should be ≤ `2000`, instead was `2001`/,
    );
    const children = await notion('POST', '/v1/pages', {
      parent: { data_source_id: BUNDLES },
      properties: { Name: title('x') },
      children: [{ paragraph: { rich_text: [{ text: { content: 'p'.repeat(2001) } }] } }],
    });
    expectNotionError(
      children,
      400,
      'validation_error',
      /body\.children\[0\]\.paragraph\.rich_text\[0\]\.text\.content\.length/,
    );
    expect(served.vendor.store.pages(BUNDLES)).toHaveLength(0);
  });

  it('rejects more than 100 children or rich text items in one request', async () => {
    const paragraph = { paragraph: { rich_text: [{ text: { content: 'p' } }] } };
    const tooMany = await notion('POST', '/v1/pages', {
      parent: { data_source_id: BUNDLES },
      properties: { Name: title('x') },
      children: Array(101).fill(paragraph),
    });
    expectNotionError(
      tooMany,
      400,
      'validation_error',
      /body\.children\.length should be ≤ `100`, instead was `101`/,
    );
    const items = Array.from({ length: 101 }, () => ({ text: { content: 'a' } }));
    expectNotionError(
      await notion('POST', '/v1/pages', {
        parent: { data_source_id: BUNDLES },
        properties: { Name: { title: items } },
      }),
      400,
      'validation_error',
      /title\.length should be ≤ `100`/,
    );
  });

  it('rejects properties the schema does not have, or of the wrong type', async () => {
    expectNotionError(
      await notion('POST', '/v1/pages', {
        parent: { data_source_id: BUNDLES },
        properties: { Name: title('x'), Colour: text('red') },
      }),
      400,
      'validation_error',
      /Colour is not a property that exists/,
    );
    expectNotionError(
      await notion('POST', '/v1/pages', {
        parent: { data_source_id: BUNDLES },
        properties: { Name: title('x'), Owner: { select: { name: 'Ana' } } },
      }),
      400,
      'validation_error',
      /Owner is expected to be rich_text/,
    );
    expectNotionError(
      await notion('POST', '/v1/pages', {
        parent: { data_source_id: BUNDLES },
        properties: { Name: title('x'), Due: { date: { start: '20 May' } } },
      }),
      400,
      'validation_error',
      /Due\.date\.start should be a valid ISO 8601 date/,
    );
    expectNotionError(
      await notion('POST', '/v1/pages', {
        parent: { data_source_id: BUNDLES },
        properties: { Name: { title: 'plain string' } },
      }),
      400,
      'validation_error',
      /Name\.title should be an array/,
    );
    expectNotionError(
      await notion('POST', '/v1/pages', { properties: { Name: title('x') } }),
      400,
      'validation_error',
      /body\.parent should be defined/,
    );
  });

  it('creates select options on the fly but refuses unknown status options and commas', async () => {
    await createBundle('With area', {});
    const page = await notion('POST', '/v1/pages', {
      parent: { data_source_id: RELEASES },
      properties: { Name: title('REL-1'), 'Product area': { select: { name: 'Billing' } } },
    });
    expect(page.status).toBe(200);
    const schema = await notion('GET', `/v1/data_sources/${RELEASES}`);
    const options = (schema.body.properties as Record<string, { select?: { options: { name: string }[] } }>)[
      'Product area'
    ]!.select!.options;
    expect(options.map((o) => o.name)).toEqual(['Billing']);
    expectNotionError(
      await notion('POST', '/v1/pages', {
        parent: { data_source_id: BUNDLES },
        properties: { Name: title('x'), Status: { status: { name: 'Shipped' } } },
      }),
      400,
      'validation_error',
      /Status option "Shipped" does not exist/,
    );
    expectNotionError(
      await notion('POST', '/v1/pages', {
        parent: { data_source_id: RELEASES },
        properties: { 'Product area': { select: { name: 'a,b' } } },
      }),
      400,
      'validation_error',
      /commas/,
    );
  });

  it('accepts people who are workspace users and refuses anyone else', async () => {
    const ana = served.vendor.store.userIdFor('ana');
    const ok = await notion('POST', '/v1/pages', {
      parent: { data_source_id: LEAVE },
      properties: { Name: title('Leave'), Person: { people: [{ object: 'user', id: ana }] } },
    });
    expect((ok.body.properties as Record<string, { people: { id: string }[] }>).Person!.people[0]!.id).toBe(
      ana,
    );
    expectNotionError(
      await notion('POST', '/v1/pages', {
        parent: { data_source_id: LEAVE },
        properties: { Person: { people: [{ id: '0f0f0f0f-0000-4000-8000-000000000000' }] } },
      }),
      400,
      'validation_error',
      /valid user id/,
    );
  });

  it('updates properties, trashes a page and refuses edits to a trashed page', async () => {
    const page = await createBundle('To update');
    const id = page.id as string;
    clock += 5 * 60_000;
    const updated = await notion('PATCH', `/v1/pages/${id}`, {
      properties: { Status: { status: { name: 'Published' } } },
    });
    expect(updated.status).toBe(200);
    expect(
      (updated.body.properties as Record<string, { status: { name: string } }>).Status!.status.name,
    ).toBe('Published');
    expect(updated.body.last_edited_time).toBe('2026-05-06T12:05:00.000Z');
    const trashed = await notion('PATCH', `/v1/pages/${id}`, { in_trash: true });
    expect(trashed.body).toMatchObject({ in_trash: true, archived: true });
    expectNotionError(
      await notion('PATCH', `/v1/pages/${id}`, { properties: { Owner: text('x') } }),
      400,
      'validation_error',
      /archived/,
    );
    const restored = await notion('PATCH', `/v1/pages/${id.replace(/-/g, '')}`, { archived: false });
    expect(restored.body.in_trash).toBe(false);
    expectNotionError(
      await notion('GET', '/v1/pages/0f0f0f0f-0000-4000-8000-000000000000'),
      404,
      'object_not_found',
      /Could not find page/,
    );
  });
});

describe('the 25-reference limit and the property endpoint', () => {
  it('shows at most 25 related pages with has_more, and the whole list through the property endpoint', async () => {
    const store = served.vendor.store;
    store.addRelationProperty(BUNDLES, 'Releases', RELEASES);
    const related = Array.from({ length: 30 }, (_, i) => store.addPage(RELEASES, { Name: `R${i}` }));
    const created = await notion('POST', '/v1/pages', {
      parent: { data_source_id: BUNDLES },
      properties: { Name: title('Bundle'), Releases: { relation: related.map((id) => ({ id })) } },
    });
    expect(created.status).toBe(200);
    const properties = created.body.properties as Record<
      string,
      { id: string; relation: unknown[]; has_more: boolean }
    >;
    expect(properties.Releases!.relation).toHaveLength(25);
    expect(properties.Releases!.has_more).toBe(true);

    const path = `/v1/pages/${created.body.id as string}/properties/${encodeURIComponent(properties.Releases!.id)}`;
    const first = await notion('GET', `${path}?page_size=20`);
    expect(first.body).toMatchObject({ object: 'list', type: 'property_item', has_more: true });
    const rest = await notion('GET', `${path}?start_cursor=${first.body.next_cursor as string}`);
    const ids = [
      ...(first.body.results as { relation: { id: string } }[]),
      ...(rest.body.results as { relation: { id: string } }[]),
    ].map((r) => r.relation.id);
    expect(ids).toEqual(related);
    expect(rest.body.has_more).toBe(false);
    const name = await notion('GET', `/v1/pages/${created.body.id as string}/properties/title`);
    expect((name.body.results as { title: { plain_text: string } }[])[0]!.title.plain_text).toBe('Bundle');
    expectNotionError(
      await notion('GET', `/v1/pages/${created.body.id as string}/properties/nope`),
      404,
      'object_not_found',
    );
  });

  it('lists users without emails when the integration lacks the email capability', async () => {
    const blind = await serveVendor(createNotionSandbox(config, { withholdEmails: true }));
    try {
      const res = await fetch(`${blind.url}/v1/users`, {
        headers: { authorization: `Bearer ${TOKEN}`, 'notion-version': NOTION_VERSION },
      });
      const users = ((await res.json()) as { results: { type: string; person?: Record<string, unknown> }[] })
        .results;
      expect(users.filter((u) => u.type === 'person').every((u) => u.person && !('email' in u.person))).toBe(
        true,
      );
    } finally {
      await blind.close();
    }
  });
});

describe('querying a data source', () => {
  async function seedRows(): Promise<void> {
    const rows: [string, string, string, string, boolean?][] = [
      ['Alpha', 'release:A:bundle', 'Tier 2', '2026-05-10'],
      ['Beta', 'release:B:bundle', 'Tier 3', '2026-06-01'],
      ['Gamma', 'release:C:bundle', 'Tier 2', '2026-04-20'],
      ['Delta', 'release:D:bundle', 'Tier 3', '2026-05-06'],
    ];
    for (const [name, key, tier, launch] of rows) {
      await createBundle(name, {
        'prodops key': text(key),
        Tier: { select: { name: tier } },
        'Launch date': { date: { start: launch } },
      });
      clock += 60_000;
    }
  }

  const query = async (body: unknown) => notion('POST', `/v1/data_sources/${BUNDLES}/query`, body);
  const names = (reply: Reply) =>
    (reply.body.results as { properties: { Name: { title: { plain_text: string }[] } } }[]).map((r) =>
      r.properties.Name.title.map((t) => t.plain_text).join(''),
    );

  it('filters on rich text equals and contains, select equals, dates, and and/or groups', async () => {
    await seedRows();
    expect(
      names(await query({ filter: { property: 'prodops key', rich_text: { equals: 'release:B:bundle' } } })),
    ).toEqual(['Beta']);
    expect(
      names(await query({ filter: { property: 'prodops key', rich_text: { equals: 'release:b:bundle' } } })),
    ).toEqual([]);
    expect(
      names(
        await query({
          filter: { property: 'Name', title: { contains: 'TA' } },
          sorts: [{ property: 'Name', direction: 'ascending' }],
        }),
      ),
    ).toEqual(['Beta', 'Delta']);
    expect(
      names(
        await query({
          filter: { property: 'Tier', select: { equals: 'Tier 2' } },
          sorts: [{ property: 'Name', direction: 'ascending' }],
        }),
      ),
    ).toEqual(['Alpha', 'Gamma']);
    expect(names(await query({ filter: { property: 'Status', status: { equals: 'Draft' } } }))).toHaveLength(
      4,
    );
    expect(
      names(
        await query({
          filter: {
            and: [
              { property: 'Launch date', date: { on_or_after: 'today' } },
              { property: 'Launch date', date: { on_or_before: '2026-05-31' } },
            ],
          },
          sorts: [{ property: 'Launch date', direction: 'ascending' }],
        }),
      ),
    ).toEqual(['Delta', 'Alpha']);
    expect(
      names(
        await query({
          filter: {
            or: [
              { property: 'Name', title: { equals: 'Gamma' } },
              {
                and: [
                  { property: 'Tier', select: { equals: 'Tier 3' } },
                  { property: 'Launch date', date: { after: '2026-05-06' } },
                ],
              },
            ],
          },
          sorts: [{ property: 'Name', direction: 'descending' }],
        }),
      ),
    ).toEqual(['Gamma', 'Beta']);
  });

  it('filters on numbers, checkboxes and timestamps', async () => {
    const subscriptions = config.integrations.notion.dataSources.subscriptions!;
    served.vendor.store.addPage(subscriptions, { Name: 'Figma', 'Annual cost': 1200, 'Auto-renews': true });
    clock += 2 * 60_000;
    served.vendor.store.addPage(subscriptions, { Name: 'Slack', 'Annual cost': 900 });
    const subs = (body: unknown) => notion('POST', `/v1/data_sources/${subscriptions}/query`, body);
    expect(
      names(await subs({ filter: { property: 'Annual cost', number: { greater_than: 1000 } } })),
    ).toEqual(['Figma']);
    expect(names(await subs({ filter: { property: 'Auto-renews', checkbox: { equals: true } } }))).toEqual([
      'Figma',
    ]);
    expect(
      names(await subs({ filter: { property: 'Auto-renews', checkbox: { does_not_equal: true } } })),
    ).toEqual(['Slack']);
    expect(
      names(
        await subs({
          filter: { timestamp: 'created_time', created_time: { after: '2026-05-06T12:01:00Z' } },
        }),
      ),
    ).toEqual(['Slack']);
    expectNotionError(
      await subs({ filter: { property: 'Name', checkbox: { equals: true } } }),
      400,
      'validation_error',
      /does not match filter checkbox/,
    );
    expectNotionError(
      await subs({ filter: { property: 'Auto-renews', checkbox: { equals: 'yes' } } }),
      400,
      'validation_error',
    );
  });

  it('sorts by timestamp and pages through results with start_cursor', async () => {
    await seedRows();
    const first = await query({
      sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
      page_size: 3,
    });
    expect(first.body).toMatchObject({ object: 'list', type: 'page_or_data_source', has_more: true });
    expect(names(first)).toEqual(['Alpha', 'Beta', 'Gamma']);
    const second = await query({
      sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
      page_size: 3,
      start_cursor: first.body.next_cursor,
    });
    expect(names(second)).toEqual(['Delta']);
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    // Without sorts Notion lists the newest first.
    expect(names(await query({}))).toEqual(['Delta', 'Gamma', 'Beta', 'Alpha']);
  });

  it('leaves trashed rows out', async () => {
    await seedRows();
    const alpha = (await query({ filter: { property: 'Name', title: { equals: 'Alpha' } } })).body
      .results as { id: string }[];
    served.vendor.store.trashPage(alpha[0]!.id);
    expect(names(await query({}))).not.toContain('Alpha');
  });

  it('rejects invalid queries with validation_error', async () => {
    expectNotionError(
      await query({ page_size: 101 }),
      400,
      'validation_error',
      /page_size should be ≤ `100`/,
    );
    expectNotionError(
      await query({ filter: { property: 'Colour', rich_text: { equals: 'x' } } }),
      400,
      'validation_error',
      /Could not find property/,
    );
    expectNotionError(
      await query({ filter: { property: 'Tier', rich_text: { equals: 'x' } } }),
      400,
      'validation_error',
      /does not match filter rich_text/,
    );
    expectNotionError(
      await query({ filter: { property: 'Name', title: { equals: 5 } } }),
      400,
      'validation_error',
    );
    expectNotionError(
      await query({ filter: { property: 'Name', title: { sounds_like: 'x' } } }),
      400,
      'validation_error',
    );
    expectNotionError(
      await query({ filter: { and: [{ or: [{ and: [{ property: 'Name', title: { equals: 'x' } }] }] }] } }),
      400,
      'validation_error',
      /nest at most two levels/,
    );
    expectNotionError(
      await query({ sorts: [{ property: 'Name', direction: 'up' }] }),
      400,
      'validation_error',
    );
    expectNotionError(
      await query({ start_cursor: '0f0f0f0f-0000-4000-8000-000000000000' }),
      400,
      'validation_error',
      /start_cursor/,
    );
  });
});

describe('block children', () => {
  const paragraph = (content: string) => ({
    object: 'block',
    type: 'paragraph',
    paragraph: { rich_text: [{ type: 'text', text: { content } }] },
  });

  it('appends blocks, lists them a page at a time and supports nesting two levels deep', async () => {
    const page = await createBundle('Blocks', {});
    const id = page.id as string;
    const appended = await notion('PATCH', `/v1/blocks/${id}/children`, {
      children: [
        paragraph('one'),
        {
          bulleted_list_item: {
            rich_text: [{ text: { content: 'two' } }],
            children: [{ to_do: { rich_text: [{ text: { content: 'nested' } }], checked: true } }],
          },
        },
        { divider: {} },
      ],
    });
    expect(appended.status).toBe(200);
    expect(appended.body).toMatchObject({ object: 'list', type: 'block' });
    expect((appended.body.results as unknown[]).length).toBe(3);
    const firstPage = await notion('GET', `/v1/blocks/${id}/children?page_size=2`);
    expect(firstPage.body).toMatchObject({ has_more: true });
    const results = firstPage.body.results as {
      type: string;
      has_children: boolean;
      id: string;
      parent: unknown;
    }[];
    expect(results.map((b) => [b.type, b.has_children])).toEqual([
      ['paragraph', false],
      ['bulleted_list_item', true],
    ]);
    expect(results[0]!.parent).toEqual({ type: 'page_id', page_id: id });
    const nested = await notion('GET', `/v1/blocks/${results[1]!.id}/children`);
    expect(nested.body.results).toMatchObject([
      { type: 'to_do', to_do: { checked: true, rich_text: [{ plain_text: 'nested' }] } },
    ]);
    const rest = await notion(
      'GET',
      `/v1/blocks/${id}/children?page_size=2&start_cursor=${firstPage.body.next_cursor as string}`,
    );
    expect((rest.body.results as { type: string }[]).map((b) => b.type)).toEqual(['divider']);
    expect(served.vendor.store.blockTexts(id)).toEqual(['one', 'two', '']);
  });

  it('rejects more than 100 children, a third level of nesting, and children on a divider', async () => {
    const id = (await createBundle('Limits')).id as string;
    expectNotionError(
      await notion('PATCH', `/v1/blocks/${id}/children`, { children: Array(101).fill(paragraph('x')) }),
      400,
      'validation_error',
      /children\.length should be ≤ `100`/,
    );
    const tooDeep = {
      children: [
        {
          bulleted_list_item: {
            rich_text: [],
            children: [
              {
                bulleted_list_item: {
                  rich_text: [],
                  children: [{ paragraph: { rich_text: [], children: [paragraph('deep')] } }],
                },
              },
            ],
          },
        },
      ],
    };
    expectNotionError(
      await notion('PATCH', `/v1/blocks/${id}/children`, tooDeep),
      400,
      'validation_error',
      /children should be not present/,
    );
    expectNotionError(
      await notion('PATCH', `/v1/blocks/${id}/children`, {}),
      400,
      'validation_error',
      /body\.children should be defined/,
    );
    expectNotionError(
      await notion('PATCH', `/v1/blocks/${id}/children`, {
        children: [{ image: { external: { url: 'https://x' } } }],
      }),
      400,
      'validation_error',
    );
    const divider = await notion('PATCH', `/v1/blocks/${id}/children`, { children: [{ divider: {} }] });
    const dividerId = (divider.body.results as { id: string }[])[0]!.id;
    expectNotionError(
      await notion('PATCH', `/v1/blocks/${dividerId}/children`, { children: [paragraph('x')] }),
      400,
      'validation_error',
      /does not support children/,
    );
    expectNotionError(
      await notion('GET', '/v1/blocks/0f0f0f0f-0000-4000-8000-000000000000/children'),
      404,
      'object_not_found',
    );
  });

  it('rejects a request body over 500 KB', async () => {
    const id = (await createBundle('Big')).id as string;
    const children = Array.from({ length: 100 }, () => ({
      paragraph: { rich_text: Array.from({ length: 3 }, () => ({ text: { content: 'z'.repeat(2000) } })) },
    }));
    expectNotionError(
      await notion('PATCH', `/v1/blocks/${id}/children`, { children }),
      400,
      'validation_error',
      /500000 bytes/,
    );
  });
});

describe('store', () => {
  it('lets tests act as a person editing pages, and shows state in the snapshot', async () => {
    const page = await createBundle('Edited by hand');
    const id = page.id as string;
    served.vendor.store.setProperty(id, 'Due', { start: '2026-06-01', end: '2026-06-02' });
    served.vendor.store.setProperty(id, 'Status', 'Published', 'ana');
    const reply = await notion('GET', `/v1/pages/${id}`);
    const properties = reply.body.properties as Record<string, Record<string, unknown>>;
    expect(properties.Status).toMatchObject({ status: { name: 'Published' } });
    expect(properties.Due).toMatchObject({ date: { start: '2026-06-01', end: '2026-06-02' } });
    expect(reply.body.last_edited_by).toEqual({ object: 'user', id: served.vendor.store.userIdFor('ana') });
    expect(() => served.vendor.store.setProperty(id, 'Status', 'Shipped')).toThrow(/does not exist/);
    expect(() => served.vendor.store.setProperty(id, 'Nope', 'x')).toThrow(/not a property/);

    const leave = served.vendor.store.addPage(LEAVE, {
      Name: 'Ana — leave',
      Person: ['ana'],
      Dates: { start: '2026-07-01', end: '2026-07-10' },
    });
    expect(served.vendor.store.page(leave)).toMatchObject({
      properties: { Status: { status: { name: 'Requested' } } },
    });

    const snapshot = served.vendor.snapshot();
    expect(snapshot.dataSources).toHaveLength(Object.keys(config.integrations.notion.dataSources).length);
    expect(snapshot.pages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id,
          title: 'Edited by hand',
          status: 'Published',
          dataSource: 'Enablement bundles',
        }),
      ]),
    );
    expect(snapshot.users).toHaveLength(config.people.length + 1);

    served.vendor.reset();
    expect(served.vendor.store.pages()).toHaveLength(0);
    expect(served.vendor.store.page(id)).toBeUndefined();
  });
});
