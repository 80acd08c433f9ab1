/**
 * The Notion activities against the sandbox and, with PRODOPS_CONTRACT=notion, against a real
 * workspace: idempotent upserts, a relation of more than 25 pages compared whole (no rewrite on
 * every run), appends that resume, and the user listing with or without emails. Every page made
 * is moved to the trash afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createNotionActivities,
  createNotionClient,
  type NotionActivities,
  type NotionPropertyInputs,
} from '../../activities/notion';
import { createNotionSandbox } from '../../sandbox/notion';
import { serveVendor } from '../helpers/sandbox';
import { Cleanup, contractConfig, contractSuite, report, RUN_TAG, type Target } from './targets';

interface Rig {
  notion: NotionActivities;
  dataSourceId: string;
  /** Requests sent since the last reset, as `METHOD path`. */
  sent: string[];
  close(): Promise<void>;
}

async function rigFor(target: Target): Promise<Rig> {
  const sent: string[] = [];
  const counting: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    sent.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
    return fetch(input, init);
  };
  if (target.name === 'live') {
    const client = createNotionClient({ auth: process.env.PRODOPS_NOTION_TOKEN!, fetch: counting });
    return {
      notion: createNotionActivities({ client, warn: (m) => report('notion', target, m) }),
      dataSourceId: process.env.PRODOPS_CONTRACT_NOTION_DATA_SOURCE!,
      sent,
      close: async () => {},
    };
  }
  const config = contractConfig();
  const served = await serveVendor(createNotionSandbox(config));
  const dataSourceId = config.integrations.notion.dataSources.enablementBundles!;
  // The data source a team points the live run at has a relation to itself; so does this one.
  served.vendor.store.addRelationProperty(dataSourceId, 'Related', dataSourceId);
  const client = createNotionClient({ auth: 'contract', baseUrl: served.url, fetch: counting });
  return {
    notion: createNotionActivities({ client, warn: (m) => report('notion', target, m) }),
    dataSourceId,
    sent,
    close: () => served.close(),
  };
}

contractSuite('notion', (target) => {
  let rig: Rig;
  const cleanup = new Cleanup();
  const upsert = async (name: string, properties: NotionPropertyInputs = {}) => {
    const result = await rig.notion.upsertPage({
      idempotencyKey: `${RUN_TAG}:${name}`,
      dataSourceId: rig.dataSourceId,
      properties: { Name: { title: `${RUN_TAG} ${name}` }, ...properties },
    });
    if (result.created)
      cleanup.add(`trash ${result.id}`, () => rig.notion.updatePage({ pageId: result.id, archived: true }));
    return result;
  };

  beforeAll(async () => {
    rig = await rigFor(target);
  });
  afterAll(async () => {
    try {
      await cleanup.run();
    } finally {
      await rig?.close();
    }
  });

  it('upserts a row once, and finds it by its key afterwards without changing it', async () => {
    const first = await upsert('row');
    expect(first.created).toBe(true);
    rig.sent.length = 0;
    const again = await upsert('row');
    expect(again).toMatchObject({ id: first.id, created: false });
    expect(rig.sent.filter((r) => r.startsWith('PATCH'))).toEqual([]);
  });

  it(
    'compares a relation of 27 pages whole, so an unchanged one is not written again',
    { timeout: 180_000 },
    async () => {
      const related: string[] = [];
      for (let i = 0; i < 27; i++) related.push((await upsert(`related-${i}`)).id);
      const hub = await upsert('hub', { Related: { relation: related } });
      rig.sent.length = 0;
      await upsert('hub', { Related: { relation: related } });
      expect(rig.sent.filter((r) => r.startsWith('PATCH'))).toEqual([]);
      const read = await rig.notion.getPage({ pageId: hub.id });
      expect([...(read.properties.Related as string[])].sort()).toEqual([...related].sort());
      const readThrough = rig.sent.filter((r) => r.includes('/properties/')).length;
      report(
        'notion',
        target,
        `a relation of 27 was read whole through the property endpoint (${readThrough} requests)`,
      );
      expect(readThrough).toBeGreaterThan(0);
    },
  );

  it('appends content once, however often the append is repeated', async () => {
    const page = await upsert('content');
    const content = [
      { type: 'heading_2' as const, text: 'Contract' },
      { type: 'paragraph' as const, text: RUN_TAG },
    ];
    const input = { idempotencyKey: `${RUN_TAG}:append`, pageId: page.id, content };
    expect(await rig.notion.appendContent(input)).toEqual({ appended: 2, alreadyPresent: 0 });
    expect(await rig.notion.appendContent(input)).toEqual({ appended: 0, alreadyPresent: 2 });
  });

  it('lists the workspace users, and says whether their emails are withheld', async () => {
    const listed = await rig.notion.listUsers();
    const people = listed.users.filter((u) => u.type === 'person');
    expect(listed.users.some((u) => u.type === 'bot')).toBe(true);
    expect(listed.emailsWithheld).toBe(people.length > 0 && people.every((u) => u.email === null));
    report(
      'notion',
      target,
      `${people.length} people listed, emails ${listed.emailsWithheld ? 'withheld' : 'listed'}`,
    );
  });
});
