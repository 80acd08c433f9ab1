/**
 * The functions as the Functions Framework serves them (its own Express server, `req.rawBody`),
 * configured from the environment only, as on Cloud Functions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import {
  registerCalendarFunction,
  registerJiraFunction,
  registerNotionFunction,
} from '../../triggers/functions';
import { embedConfig } from '../../triggers/runtime';
import { TRIGGER_SECRET_ENV } from '../../triggers/secrets';
import {
  calendarPush,
  jiraDelivery,
  notionDelivery,
  notionPageEvent,
  tokenForChannel,
  type VendorRequest,
} from '../../sandbox/simulate/vendor-events';
import { channelIdBase } from '../../contracts/node/channels';
import { signBody } from '../../triggers/verify';
import { loadExampleConfig } from '../helpers/config';
import { issueCreated, SECRETS } from './fixtures';

const config = loadExampleConfig();
const servers: Record<string, { server: Server; url: string }> = {};

beforeAll(async () => {
  // What a bundle embeds and a deployment sets; Temporal deliberately unreachable.
  embedConfig(config);
  Object.assign(process.env, {
    PRODOPS_TEMPORAL_ADDRESS: '127.0.0.1:9',
    [TRIGGER_SECRET_ENV.jira]: SECRETS.jira.join(','),
    [TRIGGER_SECRET_ENV.notion]: SECRETS.notion.join(','),
    [TRIGGER_SECRET_ENV.calendar]: SECRETS.calendar.join(','),
  });
  registerJiraFunction();
  registerNotionFunction();
  registerCalendarFunction();
  for (const name of ['jira', 'notion', 'calendar']) {
    const server = getTestServer(name);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers[name] = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
});

afterAll(async () => {
  for (const { server } of Object.values(servers)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function send(name: string, request: VendorRequest) {
  const response = await fetch(servers[name]!.url, {
    method: 'POST',
    headers: request.headers,
    ...(request.body !== '' ? { body: request.body } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the functions under the Functions Framework', () => {
  it('verifies Jira on the raw body the framework keeps', async () => {
    const ignoredEvent = JSON.stringify({ timestamp: Date.now(), webhookEvent: 'comment_created' });
    // Spacing that a parse-and-serialise round trip would lose: the signature covers these bytes.
    const body = ignoredEvent.replace(':', ' : ');
    const signed = {
      path: '/jira' as const,
      headers: { 'content-type': 'application/json', 'x-hub-signature': signBody(SECRETS.jira[0]!, body) },
      body,
    };
    expect(await send('jira', signed)).toEqual({
      status: 200,
      body: {
        ok: true,
        ignored: 'comment_created events start nothing',
        delivery: expect.any(String) as unknown,
      },
    });
    const unsigned = { ...signed, headers: { 'content-type': 'application/json' } };
    expect((await send('jira', unsigned)).status).toBe(401);
  });

  it('answers 503 when Temporal cannot be reached', async () => {
    const res = await send('jira', jiraDelivery(issueCreated(config, Date.now()), SECRETS.jira[0]!));
    expect(res).toEqual({
      status: 503,
      body: { ok: false, error: 'Temporal is unreachable: deliver again later' },
    });
  }, 20_000);

  it('serves Notion and Calendar with their own checks', async () => {
    const event = notionPageEvent({
      type: 'page.content_updated',
      pageId: '1f2e3d4c-5b6a-4789-8abc-def012345678',
    });
    expect((await send('notion', notionDelivery(event, SECRETS.notion[0]!))).status).toBe(200);
    expect((await send('notion', notionDelivery(event, 'secret_wrongtoken00000000000000'))).status).toBe(401);
    const channelId = channelIdBase(
      'calendar-sync:ana@northwind.example:channel:1',
      Math.floor(Date.now() / 1000) + 3600,
    );
    const push = calendarPush({
      channelId,
      calendarId: 'ana@northwind.example',
      messageNumber: 1,
      state: 'sync',
      token: tokenForChannel(SECRETS.calendar[0]!, channelId, 'ana@northwind.example'),
    });
    expect(await send('calendar', push)).toMatchObject({
      status: 200,
      body: { ignored: 'sync message: the channel is open' },
    });
    expect(
      (await send('calendar', { ...push, headers: { ...push.headers, 'x-goog-channel-token': 'forged' } }))
        .status,
    ).toBe(401);
  });
});
