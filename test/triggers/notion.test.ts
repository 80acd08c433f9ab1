/**
 * The Notion function with an in-memory Temporal: the verification handshake, signatures and
 * the one-workflow-per-event routing.
 */
import { describe, expect, it } from 'vitest';
import { runTrigger } from '../../triggers/gateway';
import { tokenFingerprint, createNotionHandler } from '../../triggers/notion';
import { notionDelivery, notionPageEvent } from '../../sandbox/simulate/vendor-events';
import { signBody } from '../../triggers/verify';
import { NOTION_EVENT_WORKFLOW_TYPE } from '../../workflows/notion-event/messages';
import { notionEventWorkflow } from '../../workflows/notion-event/workflow';
import { loadExampleConfig } from '../helpers/config';
import { SECRETS, toRequest } from './fixtures';
import { RecordingWorkflows } from './recording-workflows';

const config = loadExampleConfig();
const TOKEN = SECRETS.notion[0]!;
const BUNDLES = config.integrations.notion.dataSources.enablementBundles!;
const FREELANCERS = config.integrations.notion.dataSources.freelancers!;
const PAGE = '1f2e3d4c-5b6a-4789-8abc-def012345678';

function setup(secrets: string[] = SECRETS.notion) {
  const workflows = new RecordingWorkflows();
  const logged: string[] = [];
  const handler = createNotionHandler({ config, secrets, workflows, log: (line) => logged.push(line) });
  const call = (request: { path: string; headers: Record<string, string>; body: string }) =>
    runTrigger(handler, toRequest(request as never), () => {});
  return { workflows, logged, call };
}

const published = (id?: string) =>
  notionPageEvent({
    type: 'page.properties_updated',
    pageId: PAGE,
    parent: { id: BUNDLES, type: 'database' },
    updatedProperties: ['Fh%3Dm'],
    ...(id ? { id } : {}),
  });

describe('Notion verification handshake', () => {
  it('accepts the unsigned one-time request and logs the token once, never answering with it', async () => {
    const { logged, call } = setup([]);
    const body = JSON.stringify({ verification_token: 'secret_abcdefghijklmnopqrstuvwxyz0123456789' });
    const request = { path: '/notion', headers: { 'content-type': 'application/json' }, body };
    const first = await call(request);
    const second = await call(request);
    expect(first.status).toBe(200);
    expect(JSON.stringify(first.body)).not.toContain('secret_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(second.status).toBe(200);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('secret_abcdefghijklmnopqrstuvwxyz0123456789');
  });

  it('takes a handshake only while no token is configured, or when told to; logs only a fingerprint otherwise', async () => {
    const token = 'secret_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210';
    const handshake = {
      path: '/notion',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verification_token: token }),
    };
    // A token is configured: anyone could otherwise plant their own subscription's token in the log.
    const closed = setup();
    const refused = await closed.call(handshake);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('verification is closed: this function already has its token');
    expect(closed.logged).toEqual([
      `notion: refused a verification request (token fingerprint ${tokenFingerprint(token)}): a token is configured; set PRODOPS_NOTION_ACCEPT_VERIFICATION=1 to add a subscription`,
    ]);
    expect(closed.logged.join('\n')).not.toContain(token);
    // Told to, for a second subscription: accepted and shown with its fingerprint.
    const workflows = new RecordingWorkflows();
    const logged: string[] = [];
    const opened = createNotionHandler({
      config,
      secrets: SECRETS.notion,
      workflows,
      log: (l) => logged.push(l),
      acceptVerification: true,
    });
    expect((await runTrigger(opened, toRequest(handshake as never), () => {})).status).toBe(200);
    expect(logged[0]).toContain(`(fingerprint ${tokenFingerprint(token)})`);
  });

  it("refuses a handshake whose token is not shaped like Notion's, logging nothing", async () => {
    const { logged, call } = setup([]);
    for (const verification_token of [
      'secret_\u001b[2Jfake\nnotion: all good',
      'x'.repeat(40),
      'secret_short',
    ])
      expect(
        (
          await call({
            path: '/notion',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ verification_token }),
          })
        ).status,
      ).toBe(401);
    expect(logged).toEqual([]);
  });

  it('does not act on an event older than the configured age (a replay)', async () => {
    const { workflows, call } = setup();
    const old = notionPageEvent({
      type: 'page.properties_updated',
      pageId: PAGE,
      parent: { id: BUNDLES, type: 'database' },
      updatedProperties: ['Fh%3Dm'],
      id: '7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a',
      at: new Date(Date.now() - 3 * 3600_000),
    });
    const res = await call(notionDelivery(old, TOKEN));
    expect(res.status).toBe(200);
    expect(res.body.ignored).toMatch(/^the event is 180 minutes old: older than 90 minutes is a replay/);
    expect(workflows.calls).toBe(0);
  });

  it('refuses any other unsigned request', async () => {
    const { workflows, call } = setup();
    const unsigned = notionDelivery(published(), TOKEN);
    delete unsigned.headers['x-notion-signature'];
    expect((await call(unsigned)).status).toBe(401);
    expect(workflows.calls).toBe(0);
  });
});

describe('Notion signatures', () => {
  it('accepts a signed page event and starts one workflow for it', async () => {
    const { workflows, call } = setup();
    const event = published('0b7e0a4f-7a6b-4b8e-9d8c-6f1e2d3c4b5a');
    const res = await call(notionDelivery(event, TOKEN));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      workflowId: 'notion-event:0b7e0a4f-7a6b-4b8e-9d8c-6f1e2d3c4b5a',
      outcome: 'started',
    });
    const wf = workflows.running.get('notion-event:0b7e0a4f-7a6b-4b8e-9d8c-6f1e2d3c4b5a')!;
    expect(wf.type).toBe(NOTION_EVENT_WORKFLOW_TYPE);
    expect(wf.args).toEqual([
      {
        eventId: event.id,
        eventType: 'page.properties_updated',
        pageId: PAGE,
        occurredAt: Date.parse(event.timestamp),
        dataSources: {
          enablementBundles: BUNDLES,
          weeklyUpdates: config.integrations.notion.dataSources.weeklyUpdates,
          insights: config.integrations.notion.dataSources.insights,
          insightThemes: config.integrations.notion.dataSources.insightThemes,
          subscriptions: config.integrations.notion.dataSources.subscriptions,
          freelancers: FREELANCERS,
          checkIns: config.integrations.notion.dataSources.checkIns,
        },
        // The signed event's authors: who ticked a box is what a route may need to know.
        authors: event.authors,
        insightShards: config.insights.backlog.shards,
      },
    ]);
    expect(notionEventWorkflow.name).toBe(NOTION_EVENT_WORKFLOW_TYPE);
  });

  it('refuses a tampered body, a wrong token and a malformed signature', async () => {
    const { workflows, call } = setup();
    const tampered = notionDelivery(published(), TOKEN);
    tampered.body = tampered.body.replace('page.properties_updated', 'page.created');
    expect((await call(tampered)).status).toBe(401);
    expect((await call(notionDelivery(published(), 'secret_someoneelsestoken00000000'))).status).toBe(401);
    const malformed = notionDelivery(published(), TOKEN);
    malformed.headers['x-notion-signature'] = 'sha256=zz';
    expect((await call(malformed)).status).toBe(401);
    expect(workflows.calls).toBe(0);
  });

  it('accepts both verification tokens of a subscription being replaced', async () => {
    const { workflows, call } = setup(['secret_newtoken0000000000000000', 'secret_oldtoken0000000000000000']);
    expect((await call(notionDelivery(published(), 'secret_oldtoken0000000000000000'))).status).toBe(200);
    expect((await call(notionDelivery(published(), 'secret_newtoken0000000000000000'))).status).toBe(200);
    expect(workflows.running.size).toBe(2);
  });
});

describe('Notion events', () => {
  it('starts nothing new when an event is delivered again', async () => {
    const { workflows, call } = setup();
    const request = notionDelivery(published('5c7e0a4f-7a6b-4b8e-9d8c-6f1e2d3c4b5a'), TOKEN);
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await call(request));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.slice(1).every((a) => a.body.duplicate === true)).toBe(true);
    expect(workflows.running.size).toBe(1);
  });

  it('routes no content edits, comments or pages under pages', async () => {
    const { workflows, call } = setup();
    const content = notionPageEvent({
      type: 'page.content_updated',
      pageId: PAGE,
      parent: { id: BUNDLES, type: 'database' },
    });
    expect((await call(notionDelivery(content, TOKEN))).body.ignored).toBe(
      'page.content_updated events on a page route nowhere',
    );
    const subpage = notionPageEvent({
      type: 'page.created',
      pageId: PAGE,
      parent: { id: PAGE, type: 'page' },
    });
    expect((await call(notionDelivery(subpage, TOKEN))).body.ignored).toBe(
      "the page's parent is a page, not a data source",
    );
    expect(workflows.calls).toBe(0);
  });

  it('acknowledges a row of a data source it does not route, starting nothing', async () => {
    const { workflows, call } = setup();
    const elsewhere = notionPageEvent({
      type: 'page.properties_updated',
      pageId: PAGE,
      parent: { id: BUNDLES, type: 'database', data_source_id: '1b2c3d4e-0000-4000-8000-00000000ffff' },
      updatedProperties: ['Status'],
    });
    const answer = await call(notionDelivery(elsewhere, TOKEN));
    expect(answer.status).toBe(200);
    expect(answer.body.ignored).toBe(
      "the page's data source 1b2c3d4e-0000-4000-8000-00000000ffff is not one prodops routes (integrations.notion.dataSources)",
    );
    expect(workflows.calls).toBe(0);

    // The routed data source, written without dashes and in capitals, is the same id.
    const routed = notionPageEvent({
      type: 'page.properties_updated',
      pageId: PAGE,
      parent: { id: BUNDLES, type: 'database', data_source_id: BUNDLES.replace(/-/g, '').toUpperCase() },
      updatedProperties: ['Status'],
    });
    expect((await call(notionDelivery(routed, TOKEN))).body.outcome).toBe('started');
    expect(workflows.running.size).toBe(1);
  });

  it('answers 400 naming what is wrong, and 415 for another content type', async () => {
    const { call } = setup();
    const event = published() as unknown as Record<string, unknown>;
    event.timestamp = 'yesterday';
    const res = await call(notionDelivery(event as never, TOKEN));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('Notion event is malformed: timestamp: must be an ISO 8601 date-time');
    const body = JSON.stringify(published());
    const form = await call({
      path: '/notion',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-notion-signature': signBody(TOKEN, body),
      },
      body,
    });
    expect(form.status).toBe(415);
  });

  it('answers 503 when Temporal cannot be reached', async () => {
    const { workflows, call } = setup();
    workflows.down = true;
    expect((await call(notionDelivery(published(), TOKEN))).status).toBe(503);
  });
});
