/**
 * Fuzzing every route of the gateway over HTTP: random bytes, random JSON, vendor payloads with
 * fields replaced by anything, correctly and wrongly signed, with random headers. Whatever
 * arrives, the answer is never a 5xx and carries no stack trace, and the process keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTriggerHandlers, startGateway, type Gateway } from '../../triggers/gateway';
import {
  calendarPush,
  jiraDelivery,
  notionDelivery,
  notionPageEvent,
  tokenForChannel,
} from '../../sandbox/simulate/vendor-events';
import { channelIdBase } from '../../contracts/node/channels';
import { signBody } from '../../triggers/verify';
import { loadExampleConfig } from '../helpers/config';
import { issueCreated, SECRETS, statusChanged, tierUpdated } from './fixtures';
import { RecordingWorkflows } from './recording-workflows';

const config = loadExampleConfig();
const RUNS = 1_000;
let gateway: Gateway;
const workflows = new RecordingWorkflows();

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    handlers: createTriggerHandlers({
      config,
      secrets: SECRETS,
      workflows,
      publicUrl: 'https://prodops.northwind.example',
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
  maxLength: 80,
});

/** Sets a value at a dotted path, creating objects on the way (arrays and scalars are replaced). */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function mutated(base: () => object, paths: string[]) {
  return fc
    .array(fc.tuple(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 })), { maxLength: 4 })
    .map((edits) => {
      const payload = structuredClone(base()) as Record<string, unknown>;
      for (const [path, value] of edits) setPath(payload, path, value);
      return JSON.stringify(payload);
    });
}

const bodies = (valid: ReturnType<typeof mutated>) =>
  fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b).toString('latin1')) },
    { weight: 1, arbitrary: printable },
  );

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  undefined,
);

async function post(
  path: string,
  headers: Record<string, string | undefined>,
  body: string,
  method = 'POST',
) {
  const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: clean,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** Statuses seen per route: the fuzzing must reach past the signature check into routing. */
const seen: Record<string, Set<number>> = { jira: new Set(), notion: new Set(), calendar: new Set() };

function expectSafe(result: { status: number; text: string }, route: string): void {
  seen[route]!.add(result.status);
  expect(result.status).toBeGreaterThanOrEqual(200);
  expect(result.status).toBeLessThan(500);
  expect(result.text).not.toMatch(/\n\s+at |\.ts:\d+/);
  expect(() => JSON.parse(result.text) as unknown).not.toThrow();
}

const signature = (secret: string) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constant((body: string) => signBody(secret, body)) },
    { weight: 1, arbitrary: fc.constant(() => undefined) },
    { weight: 1, arbitrary: printable.map((s) => () => s) },
    {
      weight: 1,
      arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => () => `sha256=${hex}`),
    },
  );

describe('fuzzed deliveries', () => {
  it(`never answers /jira with a 5xx (${RUNS} cases)`, async () => {
    const payloads = [
      () => issueCreated(config, Date.now()),
      () => tierUpdated(config, '2', '3', Date.now()),
      () => statusChanged(config, 'Released', { timestamp: Date.now() }),
    ];
    const paths = [
      'timestamp',
      'webhookEvent',
      'user',
      'user.accountId',
      'issue',
      'issue.key',
      'issue.fields',
      'issue.fields.customfield_10050',
      'issue.fields.customfield_10051',
      'issue.fields.status',
      'issue.fields.assignee',
      'issue.fields.parent',
      'issue.fields.issuetype',
      'issue.fields.labels',
      'changelog',
      'changelog.items',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...payloads).chain((base) => bodies(mutated(base, paths))),
        signature(SECRETS.jira[0]!),
        contentTypes,
        fc.option(printable),
        fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET'),
        async (body, sign, contentType, identifier, method) => {
          expectSafe(
            await post(
              '/jira',
              {
                'content-type': contentType,
                'x-hub-signature': sign(body),
                'x-atlassian-webhook-identifier': identifier ?? undefined,
              },
              body,
              method,
            ),
            'jira',
          );
        },
      ),
      { numRuns: RUNS },
    );
    expect([...seen.jira!]).toEqual(expect.arrayContaining([200, 400, 401, 405, 415]));
  });

  it(`never answers /notion with a 5xx (${RUNS} cases)`, async () => {
    const bundles = config.integrations.notion.dataSources.enablementBundles!;
    const base = () =>
      notionPageEvent({
        type: 'page.properties_updated',
        pageId: '1f2e3d4c-5b6a-4789-8abc-def012345678',
        parent: { id: bundles, type: 'database' },
      });
    const paths = [
      'id',
      'type',
      'timestamp',
      'entity',
      'entity.id',
      'entity.type',
      'data',
      'data.parent',
      'data.parent.type',
      'verification_token',
      'attempt_number',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          bodies(mutated(base, paths)),
          mutated(() => ({ verification_token: 'secret_x' }), ['verification_token', 'extra']),
        ),
        signature(SECRETS.notion[0]!),
        contentTypes,
        async (body, sign, contentType) => {
          expectSafe(
            await post('/notion', { 'content-type': contentType, 'x-notion-signature': sign(body) }, body),
            'notion',
          );
        },
      ),
      { numRuns: RUNS },
    );
    expect([...seen.notion!]).toEqual(expect.arrayContaining([200, 400, 401, 415]));
  });

  it(`never answers /calendar with a 5xx (${RUNS} cases)`, async () => {
    const secret = SECRETS.calendar[0]!;
    const family = channelIdBase(
      'calendar-sync:ana@northwind.example:channel:1',
      Math.floor(Date.now() / 1000) + 3600,
    );
    const calendarIds = fc.oneof(
      fc.constantFrom('ana@northwind.example', 'BEN@northwind.example', 'nobody@elsewhere.example'),
      printable,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(family), fc.constant(`${family}-2`), printable),
        calendarIds,
        fc.oneof(fc.integer({ min: 1, max: 1_000_000 }).map(String), printable),
        fc.oneof(fc.constantFrom('sync', 'exists', 'not_exists'), printable),
        fc.boolean(),
        fc.option(printable),
        fc.option(printable),
        async (channelId, calendarId, messageNumber, state, validToken, uri, body) => {
          const valid = calendarPush({
            channelId: family,
            calendarId: 'ana@northwind.example',
            messageNumber: 1,
            state: 'exists',
            token: 'x',
          });
          let token: string | undefined = 'not-a-token';
          try {
            if (validToken) token = tokenForChannel(secret, channelId, calendarId);
          } catch {
            token = undefined;
          }
          const headers = {
            ...valid.headers,
            'x-goog-channel-id': channelId,
            'x-goog-channel-token': token,
            'x-goog-resource-state': state,
            'x-goog-message-number': messageNumber,
            'x-goog-resource-uri':
              uri ??
              `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events?alt=json`,
          };
          expectSafe(await post('/calendar', headers, body ?? ''), 'calendar');
        },
      ),
      { numRuns: RUNS },
    );
    expect([...seen.calendar!]).toEqual(expect.arrayContaining([200, 400, 401]));
  });

  it('keeps serving after all of it, and refuses a body over 1 MiB without reading it all', async () => {
    const big = jiraDelivery(issueCreated(config), SECRETS.jira[0]!);
    const result = await post('/jira', big.headers, 'x'.repeat(2 * 1024 * 1024));
    expect(result.status).toBe(413);
    const health = await fetch(`${gateway.url}/healthz`);
    expect(health.status).toBe(200);
    const notion = notionDelivery(
      notionPageEvent({ type: 'page.created', pageId: '1f2e3d4c-5b6a-4789-8abc-def012345678' }),
      SECRETS.notion[0]!,
    );
    expect((await post('/notion', notion.headers, notion.body)).status).toBe(200);
  });
});
