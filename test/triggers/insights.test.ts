/**
 * `POST /insights`: the signature over the raw body (two secrets while one rotates), every
 * failure code the other functions answer with, what the backlog shard receives, the function
 * under the Functions Framework, and 1,000+ fuzzed bodies through the gateway, none answered
 * with a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createInsightsHandler } from '../../triggers/insights';
import { createTriggerHandlers, runTrigger, startGateway, type Gateway } from '../../triggers/gateway';
import { registerInsightsFunction } from '../../triggers/functions';
import { embedConfig } from '../../triggers/runtime';
import { TRIGGER_SECRET_ENV } from '../../triggers/secrets';
import { signBody } from '../../triggers/verify';
import { RecentDeliveries } from '../../triggers/dedup';
import { insightDelivery } from '../../sandbox/simulate/vendor-events';
import { insightShardOf, insightsBacklogId } from '../../contracts/ids';
import { INSIGHTS_BACKLOG_TYPE } from '../../workflows/insights/messages';
import { loadExampleConfig } from '../helpers/config';
import { SECRETS, toRequest } from './fixtures';
import { RecordingWorkflows } from './recording-workflows';

const config = loadExampleConfig();
const SECRET = SECRETS.insights[0]!;
const RUNS = 1_200;

const insight = (overrides: Record<string, unknown> = {}) => ({
  source: 'zendesk',
  externalId: '4411',
  account: 'Acme Corp',
  segment: 'enterprise',
  text: 'Exports to CSV time out for workspaces with a year of history',
  theme: 'performance',
  severity: 'high',
  area: 'reports',
  evidenceType: 'ticket-volume',
  link: 'https://acme.zendesk.example/tickets/4411',
  ...overrides,
});

function handler(workflows = new RecordingWorkflows(), secrets: readonly string[] = [SECRET]) {
  const handle = createInsightsHandler({ config, secrets, workflows, recent: new RecentDeliveries() });
  return {
    workflows,
    send: (body: string, headers: Record<string, string> = {}, method = 'POST') =>
      runTrigger(
        handle,
        toRequest(
          {
            path: '/insights',
            headers: {
              'content-type': 'application/json',
              'x-prodops-signature': signBody(SECRET, body),
              ...headers,
            },
            body,
          },
          method,
        ),
        () => {},
      ),
  };
}

describe('POST /insights', () => {
  it('signals-with-start the backlog shard of the account, and says what the item needs', async () => {
    const { send, workflows } = handler();
    const body = JSON.stringify(insight());
    const res = await send(body);
    const shard = insightShardOf('Acme Corp', config.insights.backlog.shards);
    expect(res).toEqual({
      status: 200,
      body: {
        ok: true,
        key: 'zendesk:4411',
        workflowId: insightsBacklogId(shard),
        outcome: 'delivered',
        needsTagging: [],
      },
    });
    const wf = workflows.running.get(insightsBacklogId(shard))!;
    expect(wf).toMatchObject({ type: INSIGHTS_BACKLOG_TYPE, args: [{ shard }] });
    expect(wf.signals[0]).toMatchObject({
      name: 'insightReceived',
      args: [
        {
          source: 'zendesk',
          externalId: '4411',
          account: 'Acme Corp',
          segment: 'enterprise',
          theme: 'performance',
          severity: 'high',
          area: 'reports',
          evidenceType: 'ticket-volume',
          link: 'https://acme.zendesk.example/tickets/4411',
          via: 'webhook',
          deliveryId: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) as unknown,
        },
      ],
    });
  });

  it('keeps an insight with values the taxonomy does not know, and says so', async () => {
    const { send, workflows } = handler();
    const res = await send(
      JSON.stringify(
        insight({ theme: 'billing bug', area: undefined, severity: 'HIGH', external_id: undefined }),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      needsTagging: ['theme', 'area'],
      problems: [expect.stringMatching(/^theme "billing bug" is not one of onboarding, activation/)],
    });
    expect(workflows.calls).toBe(1);
  });

  it('accepts the snake_case names help desks template', async () => {
    const { send } = handler();
    const { externalId: _e, evidenceType: _t, ...rest } = insight();
    const res = await send(
      JSON.stringify({ ...rest, external_id: 77, evidence_type: 'quote', occurred_at: '2027-01-05' }),
    );
    expect(res).toMatchObject({ status: 200, body: { key: 'zendesk:77' } });
  });

  it('answers a repeated delivery from memory; the shard dedups by source and external id anyway', async () => {
    const { send, workflows } = handler();
    const body = JSON.stringify(insight());
    await send(body);
    const again = await send(body);
    expect(again.body).toMatchObject({ duplicate: true, key: 'zendesk:4411' });
    expect(workflows.calls).toBe(1);
  });

  it('verifies the raw body against either secret while one is rotated', async () => {
    const next = 'the-next-insights-secret-0123456789';
    const { send } = handler(new RecordingWorkflows(), [next, SECRET]);
    const body = JSON.stringify(insight());
    expect((await send(body)).status).toBe(200);
    expect((await send(body, { 'x-prodops-signature': signBody(next, body) })).status).toBe(200);
    const rotated = handler(new RecordingWorkflows(), [next]);
    expect(await rotated.send(body)).toMatchObject({
      status: 401,
      body: { error: 'invalid X-Prodops-Signature' },
    });
  });

  it('answers 401, 400, 405, 413, 415 and 503 as the other functions do', async () => {
    const { send } = handler();
    const body = JSON.stringify(insight());
    expect(await send(body, { 'x-prodops-signature': '' })).toMatchObject({
      status: 401,
      body: { error: 'missing X-Prodops-Signature' },
    });
    expect(await send(`${body} `, { 'x-prodops-signature': signBody(SECRET, body) })).toMatchObject({
      status: 401,
    });
    expect(await send(body, { 'x-prodops-signature': 'sha256=zz' })).toMatchObject({ status: 401 });
    expect(await send(body, { 'content-type': 'text/plain' })).toMatchObject({ status: 415 });
    expect(await send('{"source":')).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^body is not valid JSON/) as unknown },
    });
    expect(await send(JSON.stringify(insight({ segment: undefined })))).toMatchObject({
      status: 400,
      body: { error: 'insight is malformed: segment: is required' },
    });
    expect(await send(JSON.stringify(insight({ severty: 'high' })))).toMatchObject({
      status: 400,
      body: {
        error: expect.stringMatching(
          /^insight is malformed: insight: "severty" is not a field of an insight \(source, externalId, /,
        ) as unknown,
      },
    });
    expect(await send(JSON.stringify(insight({ text: 'x'.repeat(4001) })))).toMatchObject({
      status: 400,
      body: { error: 'insight is malformed: text: must be at most 4000 characters' },
    });
    expect(await send(JSON.stringify(insight({ link: 'javascript:alert(1)' })))).toMatchObject({
      status: 400,
      body: { error: 'insight is malformed: link: must be an http(s) URL' },
    });
    expect(await send(JSON.stringify(insight({ externalId: 'a b' })))).toMatchObject({ status: 400 });
    expect(await send(body, {}, 'GET')).toMatchObject({ status: 405 });
    expect(await send('x'.repeat(1024 * 1024 + 1))).toMatchObject({ status: 413 });
    const down = new RecordingWorkflows();
    down.down = true;
    expect(await handler(down).send(body)).toMatchObject({
      status: 503,
      body: { error: 'Temporal is unreachable: deliver again later' },
    });
  });
});

describe('POST /insights as a function of its own', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // What a bundle embeds and a deployment sets; Temporal deliberately unreachable.
    embedConfig(loadExampleConfig());
    Object.assign(process.env, {
      PRODOPS_TEMPORAL_ADDRESS: '127.0.0.1:9',
      [TRIGGER_SECRET_ENV.insights]: SECRETS.insights.join(','),
    });
    registerInsightsFunction();
    server = getTestServer('insights');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies on the raw body the framework keeps, and answers 503 while Temporal is away', async () => {
    const signed = insightDelivery(insight(), SECRET);
    const post = (headers: Record<string, string>, body: string) =>
      fetch(url, { method: 'POST', headers, body }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    expect(
      (
        await post(
          { ...signed.headers, 'x-prodops-signature': signBody('wrong-secret-0123456789', signed.body) },
          signed.body,
        )
      ).status,
    ).toBe(401);
    expect((await post(signed.headers, signed.body)).status).toBe(503);
  }, 20_000);
});

describe('fuzzed deliveries to /insights', () => {
  let gateway: Gateway;
  const workflows = new RecordingWorkflows();
  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      handlers: createTriggerHandlers({
        config,
        secrets: SECRETS,
        workflows,
        publicUrl: null,
        log: () => {},
      }),
      log: () => {},
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 60,
  });
  const fields = [
    'source',
    'externalId',
    'account',
    'segment',
    'text',
    'theme',
    'severity',
    'area',
    'evidenceType',
    'link',
    'occurredAt',
    'external_id',
    'extra',
  ];
  const mutatedInsight = fc
    .array(
      fc.tuple(
        fc.constantFrom(...fields),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), printable, fc.constant(undefined)),
      ),
      { maxLength: 4 },
    )
    .map((edits) => {
      const body: Record<string, unknown> = insight({ externalId: 'fuzz' });
      for (const [field, value] of edits) body[field] = value;
      return JSON.stringify(body);
    });
  const bodies = fc.oneof(
    { weight: 5, arbitrary: mutatedInsight },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b).toString('latin1')) },
    { weight: 1, arbitrary: printable },
  );
  const signatures = fc.oneof(
    { weight: 6, arbitrary: fc.constant((body: string) => signBody(SECRET, body)) },
    { weight: 1, arbitrary: fc.constant(() => undefined) },
    { weight: 1, arbitrary: printable.map((s) => () => s) },
    { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => () => `sha256=${hex}`) },
  );
  const contentTypes = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    undefined,
  );

  it(`never answers with a 5xx (${RUNS} bodies)`, async () => {
    const seen = new Set<number>();
    let bodiesSent = 0;
    await fc.assert(
      fc.asyncProperty(
        bodies,
        signatures,
        contentTypes,
        fc.constantFrom('POST', 'POST', 'POST', 'POST', 'PUT'),
        async (body, sign, contentType, method) => {
          const headers = Object.fromEntries(
            Object.entries({ 'content-type': contentType, 'x-prodops-signature': sign(body) }).filter(
              ([, v]) => v !== undefined,
            ),
          ) as Record<string, string>;
          const response = await fetch(`${gateway.url}/insights`, { method, headers, body });
          const text = await response.text();
          bodiesSent++;
          seen.add(response.status);
          expect(response.status).toBeGreaterThanOrEqual(200);
          expect(response.status).toBeLessThan(500);
          expect(text).not.toMatch(/\n\s+at |\.ts:\d+/);
          expect(() => JSON.parse(text) as unknown).not.toThrow();
        },
      ),
      { numRuns: RUNS },
    );
    expect(bodiesSent).toBeGreaterThanOrEqual(1_000);
    // The fuzzing reaches past the signature into validation and on to the shards.
    expect([...seen]).toEqual(expect.arrayContaining([200, 400, 401, 405, 415]));
    expect([...workflows.running.keys()].some((id) => id.startsWith('insights-backlog:'))).toBe(true);
  }, 120_000);
});
