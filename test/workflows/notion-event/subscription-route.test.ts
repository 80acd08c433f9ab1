/**
 * The Notion route of subscriptions on its own: how it names a subscription, how it reads a row,
 * and what it sends on (or not) to the subscription's workflow. The workflow's task queue is the
 * only thing it asks of the workflow context, so that is all that is stood in for here.
 */
import type * as TemporalWorkflow from '@temporalio/workflow';
import { describe, expect, it, vi } from 'vitest';
import type { NotionPage, NotionUserSummary } from '../../../activities/notion';
import type { SignalWithStartInput } from '../../../activities/dispatch';
import type { NotionEventInput } from '../../../workflows/notion-event/messages';
import type { RouteActivities } from '../../../workflows/notion-event/route';
import {
  pageEvent,
  subscriptionIdOf,
  subscriptions,
} from '../../../workflows/notion-event/subscription-route';
import { RENEWAL_WORKFLOW_TYPE, subscriptionPageChanged } from '../../../workflows/renewal/messages';

vi.mock('@temporalio/workflow', async (importOriginal) => ({
  ...(await importOriginal<typeof TemporalWorkflow>()),
  workflowInfo: () => ({ taskQueue: 'prodops' }),
}));

const PAGE_ID = '1f2e3d4c-5b6a-4789-8abc-def012345678';

const page = (properties: Record<string, unknown>): NotionPage =>
  ({
    id: PAGE_ID,
    url: 'https://notion.example/x',
    properties,
    dataSourceId: 'ds-subscriptions',
    inTrash: false,
    createdTime: '',
    lastEditedTime: '',
  }) as NotionPage;

const input = (authors: NotionEventInput['authors']): NotionEventInput => ({
  eventId: 'evt-1',
  eventType: 'page.properties_updated',
  pageId: PAGE_ID,
  occurredAt: 1_800_000_000_000,
  dataSources: { subscriptions: 'ds-subscriptions' },
  authors,
});

/** Notion users as `users.list` gives them: ids with dashes, an email only for people who share one. */
const USERS: NotionUserSummary[] = [
  { id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'Ana', email: 'ana@northwind.example', type: 'person' },
  { id: 'aaaaaaaa-0000-4000-8000-000000000002', name: 'Tom', email: 'tom@northwind.example', type: 'person' },
  { id: 'bbbbbbbb-0000-4000-8000-000000000009', name: 'prodops', email: null, type: 'bot' },
];

function activities() {
  const sent: SignalWithStartInput[] = [];
  const listUsers = vi.fn(async () => ({ users: USERS }));
  const routeActivities: RouteActivities = {
    notion: {
      listUsers,
      getPage: async () => {
        throw new Error('the route is handed the page; it reads no other');
      },
    },
    dispatch: {
      signalWithStartWorkflow: async (args) => {
        sent.push(args);
        return { runId: 'run-1' };
      },
    },
    people: {
      personForEmail: async () => {
        throw new Error('a subscription names its people by email; the workflow checks them');
      },
    },
  };
  return { sent, listUsers, routeActivities };
}

describe('the Notion route of subscriptions', () => {
  it('names the subscription by its prodops key, else by the page id', () => {
    expect(subscriptionIdOf(page({ 'prodops key': 'subscription:figma' }))).toBe('figma');
    expect(subscriptionIdOf(page({ 'prodops key': '' }))).toBe('1f2e3d4c5b6a47898abcdef012345678');
    expect(subscriptionIdOf(page({ 'prodops key': 'subscription:Not An Id' }))).toBe(
      '1f2e3d4c5b6a47898abcdef012345678',
    );
  });

  it('reads the row with people as emails and the author of the change', () => {
    const emails: Record<string, string> = { u1: 'ana@northwind.example', u2: 'tom@northwind.example' };
    const event = pageEvent(
      page({
        Name: 'Figma',
        Owner: ['u1'],
        'Cost per cycle': 12000,
        'Renewal date': { start: '2027-06-01', end: null },
        Decision: 'Renew',
        'Notice deadline': { start: '2027-04-30', end: null },
        'Annual cost': 10200,
        Status: 'Active',
      }),
      (id) => emails[id],
      { eventId: 'e1', occurredAt: 5, authorIds: ['u2'] },
    );
    expect(event).toMatchObject({
      fields: {
        tool: 'Figma',
        owner: 'ana@northwind.example',
        costPerCycle: 12000,
        renewalDate: '2027-06-01',
      },
      decision: 'Renew',
      written: { noticeDeadline: '2027-04-30', status: 'Active', annualCost: 10200, problems: null },
      author: 'tom@northwind.example',
      deliveryId: 'notion:e1',
    });
    expect(
      pageEvent(page({ Owner: ['u9'] }), () => undefined, { eventId: 'e2', occurredAt: 1, authorIds: [] })
        .fields.owner,
    ).toBe('notion user u9');
  });

  it('signals or starts the subscription’s workflow with the row, people matched with or without dashes', async () => {
    const { sent, listUsers, routeActivities } = activities();
    const outcome = await subscriptions.handle(
      page({
        'prodops key': 'subscription:figma',
        Name: 'Figma',
        Owner: ['aaaaaaaa000040008000000000000001'],
        'Renewal date': { start: '2027-06-01', end: null },
        Decision: 'Cancel',
      }),
      input([{ id: 'aaaaaaaa-0000-4000-8000-000000000002', type: 'person' }]),
      routeActivities,
    );
    expect(outcome).toEqual({
      pageId: PAGE_ID,
      route: 'subscriptions',
      outcome: 'signalled',
      detail: `${subscriptionPageChanged.name} to subscription:figma`,
    });
    expect(listUsers).toHaveBeenCalledTimes(1);
    expect(sent).toHaveLength(1);
    const [signal] = sent;
    expect(signal).toMatchObject({
      workflowType: RENEWAL_WORKFLOW_TYPE,
      workflowId: 'subscription:figma',
      taskQueue: 'prodops',
      args: [{ subscriptionId: 'figma' }],
      signal: subscriptionPageChanged.name,
    });
    expect(signal!.signalArgs).toEqual([
      expect.objectContaining({
        pageId: PAGE_ID,
        fields: expect.objectContaining({
          tool: 'Figma',
          owner: 'ana@northwind.example',
          renewalDate: '2027-06-01',
        }) as unknown,
        decision: 'Cancel',
        author: 'tom@northwind.example',
        occurredAt: 1_800_000_000_000,
        deliveryId: 'notion:evt-1',
      }),
    ]);
  });

  it('sends nothing on for a change made only by integrations: prodops writing back its own cells', async () => {
    const { sent, listUsers, routeActivities } = activities();
    const outcome = await subscriptions.handle(
      page({
        'prodops key': 'subscription:figma',
        Name: 'Figma',
        Owner: ['aaaaaaaa000040008000000000000001'],
      }),
      input([{ id: 'bbbbbbbb-0000-4000-8000-000000000009', type: 'bot' }]),
      routeActivities,
    );
    expect(outcome).toMatchObject({ route: 'subscriptions', outcome: 'ignored' });
    expect(outcome.detail).toMatch(/integration/);
    expect(listUsers).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
  });

  it('asks Notion for no users when the row names nobody, and a new row without a key is named by its page', async () => {
    const { sent, listUsers, routeActivities } = activities();
    await subscriptions.handle(page({ Name: 'Miro' }), input(undefined), routeActivities);
    expect(listUsers).not.toHaveBeenCalled();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      workflowId: 'subscription:1f2e3d4c5b6a47898abcdef012345678',
      args: [{ subscriptionId: '1f2e3d4c5b6a47898abcdef012345678' }],
    });
    expect(sent[0]!.signalArgs).toEqual([
      expect.objectContaining({
        fields: expect.objectContaining({ tool: 'Miro', owner: null }) as unknown,
        author: null,
      }),
    ]);
  });
});
