/**
 * The Notion activities the tool budget and the subscriptions need, against the sandbox: a page's
 * content replaced (what it begins with kept, the rest deleted and written again, converging
 * after an interrupted attempt), and people given by email.
 */
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorTypes } from '../../activities/errors';
import { createNotionActivities, createNotionClient, type NotionActivities } from '../../activities/notion';
import type { PageDocument } from '../../activities/notion-blocks';
import { createNotionSandbox } from '../../sandbox/notion';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

const config = loadExampleConfig();
const BUDGETS = config.integrations.notion.dataSources.toolBudgets!;
const SUBSCRIPTIONS = config.integrations.notion.dataSources.subscriptions!;

let served: Awaited<ReturnType<typeof serveVendor<ReturnType<typeof createNotionSandbox>>>>;
let notion: NotionActivities;

beforeAll(async () => {
  served = await serveVendor(createNotionSandbox(config));
  notion = createNotionActivities({
    client: createNotionClient({ auth: 'ntn_sandbox', baseUrl: served.url }),
  });
});
afterAll(async () => {
  await served.close();
});
beforeEach(() => {
  served.vendor.reset();
  served.router.clearFaults();
  served.router.clearLog();
});

const doc = (...lines: string[]): PageDocument => lines.map((text) => ({ type: 'paragraph', text }));
const deletes = () => served.router.log.filter((r) => r.method === 'DELETE').length;

describe('replaceContent', () => {
  it('keeps the blocks the page begins with, deletes the rest and writes the new tail', async () => {
    const page = await notion.upsertPage({
      idempotencyKey: 'tool-budget:2027',
      dataSourceId: BUDGETS,
      properties: { Name: { title: 'Tool budget 2027' }, Year: { number: 2027 } },
      content: doc('intro', 'Growth pod: within budget', 'Figma renews', 'Slack renews'),
    });
    const first = await notion.replaceContent({
      idempotencyKey: 'tool-budget:2027',
      pageId: page.id,
      content: doc('intro', 'Growth pod: over budget', 'Figma renews', 'Slack renews', 'Linear added'),
    });
    expect(first).toEqual({ kept: 1, removed: 3, appended: 4 });
    expect(served.vendor.store.blockTexts(page.id)).toEqual([
      'intro',
      'Growth pod: over budget',
      'Figma renews',
      'Slack renews',
      'Linear added',
    ]);
    // The same content again changes nothing.
    served.router.clearLog();
    expect(
      await notion.replaceContent({
        idempotencyKey: 'tool-budget:2027',
        pageId: page.id,
        content: doc('intro', 'Growth pod: over budget', 'Figma renews', 'Slack renews', 'Linear added'),
      }),
    ).toEqual({ kept: 5, removed: 0, appended: 0 });
    expect(deletes()).toBe(0);
  });

  it('converges when an attempt stopped half-way, and empties a page', async () => {
    const page = await notion.upsertPage({
      idempotencyKey: 'tool-budget:2028',
      dataSourceId: BUDGETS,
      properties: { Name: { title: 'Tool budget 2028' } },
      content: doc('a', 'b', 'c'),
    });
    served.router.injectFault({
      route: 'PATCH /v1/blocks/:id/children',
      vendor: 'notion',
      fault: { kind: 'status', status: 503, times: 1 },
    });
    const interrupted = await notion
      .replaceContent({ idempotencyKey: 'k', pageId: page.id, content: doc('a', 'x', 'y') })
      .catch((error: unknown) => error);
    expect(interrupted).toBeInstanceOf(ApplicationFailure);
    expect(served.vendor.store.blockTexts(page.id)).toEqual(['a']);
    expect(
      await notion.replaceContent({ idempotencyKey: 'k', pageId: page.id, content: doc('a', 'x', 'y') }),
    ).toEqual({
      kept: 1,
      removed: 0,
      appended: 2,
    });
    expect(served.vendor.store.blockTexts(page.id)).toEqual(['a', 'x', 'y']);
    await notion.replaceContent({ idempotencyKey: 'k', pageId: page.id, content: [] });
    expect(served.vendor.store.blockTexts(page.id)).toEqual([]);
  });
});

describe('people by email', () => {
  it('writes a person given by email, and refuses an email nobody in the workspace has', async () => {
    const page = await notion.upsertPage({
      idempotencyKey: 'subscription:figma',
      dataSourceId: SUBSCRIPTIONS,
      properties: { Name: { title: 'Figma' }, Owner: { people_emails: ['Ana@Northwind.example'] } },
    });
    const read = await notion.getPage({ pageId: page.id });
    expect(read.properties.Owner).toEqual([served.vendor.store.userIdFor('ana')]);
    const failure = await notion
      .updatePage({ pageId: page.id, properties: { Owner: { people_emails: ['kim@nowhere.example'] } } })
      .catch((error: unknown) => error as ApplicationFailure);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(ErrorTypes.invalidInput);
    expect((failure as ApplicationFailure).message).toContain(
      'property "Owner": no Notion user has the email kim@nowhere.example',
    );
  });
});
