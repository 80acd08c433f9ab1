/**
 * The Calendar function with an in-memory Temporal: stateless channel tokens, header
 * validation, and the signal to the calendar's sync workflow.
 */
import { describe, expect, it } from 'vitest';
import { calendarSyncTargets, createCalendarHandler } from '../../triggers/calendar';
import { RecentDeliveries } from '../../triggers/dedup';
import { runTrigger } from '../../triggers/gateway';
import { calendarPush, tokenForChannel } from '../../sandbox/simulate/vendor-events';
import { channelIdBase } from '../../contracts/node/channels';
import { CALENDAR_SYNC_WORKFLOW_TYPE } from '../../workflows/calendar-sync/messages';
import { calendarSyncWorkflow } from '../../workflows/calendar-sync/workflow';
import { loadExampleConfig } from '../helpers/config';
import { SECRETS, toRequest } from './fixtures';
import { RecordingWorkflows } from './recording-workflows';

const config = loadExampleConfig();
const SECRET = SECRETS.calendar[0]!;
const ANA = 'ana@northwind.example';
const CHANNEL = channelIdBase(
  'calendar-sync:ana@northwind.example:channel:1',
  Math.floor(Date.now() / 1000) + 3600,
);

function setup(secrets: string[] = SECRETS.calendar) {
  const workflows = new RecordingWorkflows();
  const handler = createCalendarHandler({
    config,
    secrets,
    workflows,
    address: 'https://prodops.northwind.example/calendar',
  });
  const call = (request: ReturnType<typeof calendarPush>) =>
    runTrigger(handler, toRequest(request), () => {});
  return { workflows, call };
}

const push = (overrides: Partial<Parameters<typeof calendarPush>[0]> = {}) =>
  calendarPush({
    channelId: CHANNEL,
    calendarId: ANA,
    messageNumber: 2,
    state: 'exists',
    token: tokenForChannel(SECRET, CHANNEL, ANA),
    ...overrides,
  });

describe('Calendar channel tokens', () => {
  it('accepts a notification with the token of its channel and signals the sync workflow', async () => {
    const { workflows, call } = setup();
    const res = await call(push());
    expect(res.status).toBe(200);
    const wf = workflows.running.get('calendar-sync:ana@northwind.example')!;
    expect(wf.type).toBe(CALENDAR_SYNC_WORKFLOW_TYPE);
    expect(calendarSyncWorkflow.name).toBe(CALENDAR_SYNC_WORKFLOW_TYPE);
    expect(wf.args).toEqual([
      {
        calendarId: ANA,
        actAs: ANA,
        personId: 'ana',
        timeZone: 'Europe/London',
        address: 'https://prodops.northwind.example/calendar',
      },
    ]);
    expect(wf.signals).toEqual([
      {
        name: 'calendarChanged',
        args: [
          {
            reason: 'push',
            channelId: CHANNEL,
            messageNumber: 2,
            resourceState: 'exists',
            deliveryId: `${CHANNEL}:2`,
          },
        ],
      },
    ]);
  });

  it('accepts every generation of one watch, which share a token', async () => {
    const { call } = setup();
    const token = tokenForChannel(SECRET, CHANNEL, ANA);
    expect((await call(push({ channelId: `${CHANNEL}-1`, token }))).status).toBe(200);
  });

  it('refuses a missing token, another calendar, a made-up channel id and another secret', async () => {
    const { workflows, call } = setup();
    const missing = push();
    delete missing.headers['x-goog-channel-token'];
    expect((await call(missing)).status).toBe(401);
    // The token of ana's channel, replayed for ben's calendar.
    expect((await call(push({ calendarId: 'ben@northwind.example' }))).status).toBe(401);
    expect((await call(push({ channelId: 'attacker-chosen-channel' }))).status).toBe(401);
    const forged = channelIdBase('something else', Math.floor(Date.now() / 1000) + 3600);
    expect((await call(push({ channelId: forged }))).status).toBe(401);
    expect(
      (await call(push({ token: tokenForChannel('another-secret-0123456789', CHANNEL, ANA) }))).status,
    ).toBe(401);
    expect(workflows.calls).toBe(0);
  });

  it('refuses a channel past its expiry, and a channel whose expiry was moved', async () => {
    const { workflows, call } = setup();
    // A week-old channel, its token genuine: Google no longer sends on it, so this is a replay.
    const lapsed = channelIdBase(
      'calendar-sync:ana@northwind.example:channel:1',
      Math.floor(Date.now() / 1000) - 3600,
    );
    const res = await call(push({ channelId: lapsed, token: tokenForChannel(SECRET, lapsed, ANA) }));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe(`channel ${lapsed} has expired`);
    // The same channel with its expiry pushed a year ahead: the token no longer matches.
    const extended = lapsed.replace(/_(\d+)$/, (_m, s: string) => `_${Number(s) + 365 * 86_400}`);
    expect(
      (await call(push({ channelId: extended, token: tokenForChannel(SECRET, lapsed, ANA) }))).status,
    ).toBe(401);
    // A channel id without an expiry (as channels were opened before) is not one prodops opens.
    const legacy = lapsed.replace(/_\d+$/, '');
    expect(
      (await call(push({ channelId: legacy, token: tokenForChannel(SECRET, CHANNEL, ANA) }))).status,
    ).toBe(401);
    expect(workflows.calls).toBe(0);
  });

  it('accepts channels signed with either secret during a rotation', async () => {
    const { call } = setup(['new-calendar-secret-0123456789', SECRET]);
    expect((await call(push())).status).toBe(200);
    expect(
      (await call(push({ token: tokenForChannel('new-calendar-secret-0123456789', CHANNEL, ANA) }))).status,
    ).toBe(200);
  });
});

describe('Calendar notifications', () => {
  it('takes a sync message as the channel being open, starting nothing', async () => {
    const { workflows, call } = setup();
    const res = await call(push({ state: 'sync', messageNumber: 1 }));
    expect(res.body.ignored).toBe('sync message: the channel is open');
    expect(workflows.calls).toBe(0);
  });

  it('answers 400 naming the header that is wrong', async () => {
    const { call } = setup();
    const bad = push();
    bad.headers['x-goog-resource-state'] = 'changed';
    const res = await call(bad);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(
      'Calendar notification headers is malformed: x-goog-resource-state: must be sync, exists or not_exists',
    );
    const number = push();
    number.headers['x-goog-message-number'] = '-3';
    expect((await call(number)).body.error).toMatch(/x-goog-message-number: must be a positive whole number/);
    const uri = push();
    uri.headers['x-goog-resource-uri'] = 'https://www.googleapis.com/calendar/v3/users/me/calendarList';
    expect((await call(uri)).body.error).toBe("x-goog-resource-uri: does not name a calendar's events");
  });

  it('repeats of a message number reach Temporal once', async () => {
    const { workflows, call } = setup();
    const handler = createCalendarHandler({
      config,
      secrets: SECRETS.calendar,
      workflows,
      address: null,
      recent: new RecentDeliveries(),
    });
    for (let i = 0; i < 10; i++)
      expect((await runTrigger(handler, toRequest(push()), () => {})).status).toBe(200);
    expect(workflows.running.get('calendar-sync:ana@northwind.example')!.signals).toHaveLength(1);
    await call(push({ messageNumber: 3 }));
    expect(workflows.running.get('calendar-sync:ana@northwind.example')!.signals).toHaveLength(2);
  });

  it('watches every person and the sender mailbox', () => {
    const targets = calendarSyncTargets(config);
    expect(targets).toHaveLength(config.people.length + 1);
    expect(targets.at(-1)).toEqual({
      calendarId: 'product-ops@northwind.example',
      actAs: 'product-ops@northwind.example',
      personId: null,
      timeZone: 'Europe/London',
    });
  });
});
