/**
 * The Jira function with an in-memory Temporal: signatures, validation, routing of vendor-shaped
 * webhooks to release workflows, and repeated deliveries.
 */
import { describe, expect, it } from 'vitest';
import { jiraLabel } from '../../contracts/node/idempotency';
import { workflowLabel } from '../../contracts/ids';
import { RecentDeliveries, RecentlyWithoutTombstone } from '../../triggers/dedup';
import { runTrigger } from '../../triggers/gateway';
import { createJiraHandler, planJiraEvent, parseTier, RELEASE_WORKFLOW_TYPE } from '../../triggers/jira';
import { jiraDelivery } from '../../sandbox/simulate/vendor-events';
import { signBody } from '../../triggers/verify';
import { releaseWorkflow } from '../../workflows/release/workflow';
import { loadExampleConfig } from '../helpers/config';
import { ANA, issueCreated, MAYA, SECRETS, statusChanged, tierUpdated, toRequest } from './fixtures';
import { RecordingWorkflows } from './recording-workflows';

const config = loadExampleConfig();
const SECRET = SECRETS.jira[0]!;
const FIXTURE_NOW = 1_767_000_600_000;

function setup(
  secrets: string[] = SECRETS.jira,
  recent?: RecentDeliveries,
  now = FIXTURE_NOW,
  withoutTombstone?: RecentlyWithoutTombstone,
) {
  const workflows = new RecordingWorkflows();
  const handler = createJiraHandler({
    config,
    secrets,
    workflows,
    // The fixtures' events happened a few minutes before this.
    now: () => now,
    ...(recent ? { recent } : {}),
    ...(withoutTombstone ? { withoutTombstone } : {}),
  });
  const call = (request: ReturnType<typeof jiraDelivery>, method?: string) =>
    runTrigger(handler, toRequest(request, method), () => {});
  return { workflows, call };
}

describe('Jira signatures', () => {
  it('accepts a correctly signed delivery and starts the release', async () => {
    const { workflows, call } = setup();
    const res = await call(jiraDelivery(issueCreated(config), SECRET));
    expect(res.status).toBe(200);
    expect(workflows.running.has('release:REL-9')).toBe(true);
  });

  it('refuses a tampered body, starting nothing', async () => {
    const { workflows, call } = setup();
    const request = jiraDelivery(issueCreated(config), SECRET);
    request.body = request.body.replace('"2027-01-20"', '"2027-01-21"');
    const res = await call(request);
    expect(res.status).toBe(401);
    expect(workflows.calls).toBe(0);
  });

  it('refuses a signature made with another secret', async () => {
    const { workflows, call } = setup();
    const res = await call(jiraDelivery(issueCreated(config), 'not-the-configured-secret-000'));
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/X-Hub-Signature/);
    expect(workflows.calls).toBe(0);
  });

  it('refuses a delivery without a signature, or with a malformed one', async () => {
    const { workflows, call } = setup();
    const unsigned = jiraDelivery(issueCreated(config), SECRET);
    delete unsigned.headers['x-hub-signature'];
    expect((await call(unsigned)).status).toBe(401);
    const sha1 = jiraDelivery(issueCreated(config), SECRET);
    sha1.headers['x-hub-signature'] = sha1.headers['x-hub-signature']!.replace('sha256=', 'sha1=');
    expect((await call(sha1)).status).toBe(401);
    const short = jiraDelivery(issueCreated(config), SECRET);
    short.headers['x-hub-signature'] = 'sha256=abcdef';
    expect((await call(short)).status).toBe(401);
    expect(workflows.calls).toBe(0);
  });

  it('accepts the old and the new secret while one is being rotated', async () => {
    const oldSecret = 'old-jira-secret-0123456789';
    const newSecret = 'new-jira-secret-0123456789';
    const { workflows, call } = setup([newSecret, oldSecret]);
    expect((await call(jiraDelivery(tierUpdated(config, '2', '3'), oldSecret))).status).toBe(200);
    expect(
      (await call(jiraDelivery(tierUpdated(config, '3', '2', 1_767_000_300_000), newSecret))).status,
    ).toBe(200);
    expect(
      (await call(jiraDelivery(tierUpdated(config, '2', '1'), 'retired-secret-0123456789'))).status,
    ).toBe(401);
    expect(workflows.running.get('release:REL-9')!.signals).toHaveLength(2);
  });
});

describe('Jira validation', () => {
  it('answers 415 for a body that is not JSON by its content type', async () => {
    const { call } = setup();
    const request = jiraDelivery(issueCreated(config), SECRET);
    request.headers['content-type'] = 'text/plain';
    const res = await call(request);
    expect(res.status).toBe(415);
    expect(res.body.error).toMatch(/content-type must be application\/json/);
  });

  it('answers 400 naming the field for a malformed event', async () => {
    const { call } = setup();
    const payload = issueCreated(config) as unknown as Record<string, unknown>;
    delete payload.timestamp;
    const res = await call(jiraDelivery(payload as never, SECRET));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('Jira webhook is malformed: timestamp: is required');

    const badKey = issueCreated(config);
    badKey.issue.key = 'not a key';
    expect((await call(jiraDelivery(badKey, SECRET))).body.error).toMatch(/issue\.key: must be an issue key/);
  });

  it('answers 400 for a signed body that is not JSON at all', async () => {
    const { call } = setup();
    const body = '{"timestamp": 1,';
    const res = await call({
      path: '/jira',
      headers: { 'content-type': 'application/json', 'x-hub-signature': signBody(SECRET, body) },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^body is not valid JSON/);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts/);
  });

  it('answers 413 for a body over 1 MiB and 405 for another method', async () => {
    const { call } = setup();
    const big = issueCreated(config);
    big.issue.fields.description = 'x'.repeat(1024 * 1024);
    expect((await call(jiraDelivery(big, SECRET))).status).toBe(413);
    expect((await call(jiraDelivery(issueCreated(config), SECRET), 'GET')).status).toBe(405);
  });

  it('answers 503 when Temporal cannot be reached, so that Jira delivers again', async () => {
    const { workflows, call } = setup();
    workflows.down = true;
    const res = await call(jiraDelivery(issueCreated(config), SECRET));
    expect(res.status).toBe(503);
    expect(res.headers?.['retry-after']).toBe('30');
    expect(res.body).toEqual({ ok: false, error: 'Temporal is unreachable: deliver again later' });
  });
});

describe('Jira routing', () => {
  it('starts the release from a created issue with its tier, launch date, PM and product area', async () => {
    const { workflows, call } = setup();
    const res = await call(jiraDelivery(issueCreated(config), SECRET, 'delivery-1'));
    expect(res.status).toBe(200);
    const wf = workflows.running.get('release:REL-9')!;
    expect(wf.type).toBe(RELEASE_WORKFLOW_TYPE);
    expect(wf.args).toEqual([
      {
        issueKey: 'REL-9',
        tier: 3,
        launchDate: '2027-01-20',
        pmId: 'ana',
        productArea: 'Billing',
        title: 'Usage-based billing',
      },
    ]);
    expect(wf.signals).toEqual([
      {
        name: 'tierChanged',
        args: [{ tier: 3, occurredAt: 1_767_000_000_000, deliveryId: 'jira:delivery-1:tierChanged' }],
      },
      {
        name: 'launchMoved',
        args: [
          {
            launchDate: '2027-01-20',
            occurredAt: 1_767_000_000_000,
            deliveryId: 'jira:delivery-1:launchMoved',
          },
        ],
      },
    ]);
  });

  it('names the workflow type the worker registers', () => {
    expect(releaseWorkflow.name).toBe(RELEASE_WORKFLOW_TYPE);
  });

  it('reads the tier from the changelog, as a number or a "Tier N" option', async () => {
    const { workflows, call } = setup();
    await call(jiraDelivery(tierUpdated(config, 'Tier 3', 'Tier 2'), SECRET));
    expect(workflows.running.get('release:REL-9')!.signals[0]!.args[0]).toMatchObject({
      tier: 2,
      occurredAt: 1_767_000_100_000,
    });
    expect(parseTier({ value: 'Tier 1' })).toBe(1);
    expect(parseTier('7')).toBeUndefined();
    expect(parseTier(null)).toBeNull();
  });

  it('moves the launch date from a changelog item', () => {
    const payload = tierUpdated(config, '2', '3');
    payload.changelog!.items = [
      {
        field: 'Launch date',
        fieldtype: 'custom',
        fieldId: 'customfield_10051',
        from: '2027-01-20',
        fromString: '20/Jan/27',
        to: '2027-02-03',
        toString: '3/Feb/27',
      },
    ];
    const plan = planJiraEvent(payload as never, config, 'd');
    expect(plan.signals.map((s) => [s.signal, s.payload.launchDate])).toEqual([
      ['launchMoved', '2027-02-03'],
    ]);
    expect(plan.signals[0]!.start?.launchDate).toBe('2027-01-20');
  });

  it('ignores a change it does not follow, with a reason', async () => {
    const { workflows, call } = setup();
    const payload = tierUpdated(config, '2', '3');
    payload.changelog!.items = [
      {
        field: 'summary',
        fieldtype: 'jira',
        fieldId: 'summary',
        from: null,
        fromString: 'a',
        to: null,
        toString: 'b',
      },
    ];
    const res = await call(jiraDelivery(payload, SECRET));
    expect(res.status).toBe(200);
    expect(res.body.ignored).toBe('nothing prodops follows changed on REL-9');
    expect(workflows.calls).toBe(0);
  });

  it('starts nothing for an assignee and reporter nobody knows, and says so', async () => {
    const { workflows, call } = setup();
    const payload = issueCreated(config);
    payload.issue.fields.assignee = { accountId: '712020:unknown' };
    payload.issue.fields.reporter = { accountId: '712020:unknown-too' };
    const res = await call(jiraDelivery(payload, SECRET));
    expect(res.status).toBe(200);
    expect(String(res.body.ignored)).toMatch(
      /^nobody in the configuration has the Jira account of the assignee \(712020:unknown\)/,
    );
    expect(workflows.running.size).toBe(0);
  });

  it('follows a release issue that sits under an epic', () => {
    const payload = tierUpdated(config, '2', '3');
    payload.issue.fields.parent = { id: '10001', key: 'REL-1', fields: { summary: 'Q1 launches' } };
    const plan = planJiraEvent(payload as never, config, 'd');
    expect(plan.signals.map((s) => [s.workflowId, s.signal])).toEqual([['release:REL-9', 'tierChanged']]);
  });

  it('ignores issues of other projects', async () => {
    const { workflows, call } = setup();
    const payload = issueCreated(config);
    payload.issue.key = 'OPS-4';
    payload.issue.fields.project = { key: 'OPS' };
    const res = await call(jiraDelivery(payload, SECRET));
    expect(res.body.ignored).toBe('OPS-4 is not in the REL project');
    expect(workflows.calls).toBe(0);
  });

  it('signals released and cancelled to a running release, and starts none for them', async () => {
    const at = Date.parse('2027-01-21T23:30:00Z');
    const { workflows, call } = setup(SECRETS.jira, undefined, at + 120_000);
    const none = await call(jiraDelivery(statusChanged(config, 'Released', { timestamp: at }), SECRET));
    expect(none.body.ignored).toBe('release:REL-9 is not running: released went nowhere');
    expect(workflows.running.size).toBe(0);

    await call(jiraDelivery(issueCreated(config, at - 60_000), SECRET));
    await call(jiraDelivery(statusChanged(config, 'Released', { timestamp: at }), SECRET));
    await call(jiraDelivery(statusChanged(config, 'Cancelled', { timestamp: at + 60_000 }), SECRET));
    const signals = workflows.running.get('release:REL-9')!.signals.slice(2);
    // The release date is the day in the PM's zone: London is on GMT in January.
    expect(signals[0]).toMatchObject({ name: 'released', args: [{ releasedOn: '2027-01-21' }] });
    expect(signals[1]).toMatchObject({
      name: 'releaseCancelled',
      args: [{ reason: 'moved to Cancelled in Jira by Ana Costa' }],
    });
  });

  it('does not act on a signed delivery older than the configured age (a replay)', async () => {
    const { workflows, call } = setup();
    // An issue_created captured two days ago and sent again: its signature still holds.
    const replay = await call(jiraDelivery(issueCreated(config, FIXTURE_NOW - 2 * 86_400_000), SECRET));
    expect(replay.status).toBe(200);
    expect(replay.body.ignored).toMatch(/^the event is 2880 minutes old: older than 90 minutes is a replay/);
    expect(workflows.running.size).toBe(0);
    // Nor one dated ahead of our clock.
    const ahead = await call(jiraDelivery(issueCreated(config, FIXTURE_NOW + 3_600_000), SECRET));
    expect(ahead.body.ignored).toBe('the event is dated in the future');
    expect(workflows.calls).toBe(0);
  });

  it('does not start a release again once it has ended, even after its history has left retention', async () => {
    let clock = Date.now();
    const { workflows, call } = setup(
      SECRETS.jira,
      undefined,
      FIXTURE_NOW,
      new RecentlyWithoutTombstone(60_000, 100, () => clock),
    );
    await call(jiraDelivery(issueCreated(config, FIXTURE_NOW - 120_000), SECRET));
    // The release ends and leaves its tombstone; its own history is gone days later.
    workflows.finish('release:REL-9');
    clock += 2 * 86_400_000;
    await workflows.start({
      workflowType: 'releaseTombstoneWorkflow',
      workflowId: 'release-tombstone:REL-9',
      args: [],
    });
    workflows.forget('release:REL-9');
    const res = await call(jiraDelivery(issueCreated(config, FIXTURE_NOW - 60_000), SECRET));
    expect(res.status).toBe(200);
    expect(res.body.ignored).toContain(
      'release:REL-9 has ended (release-tombstone:REL-9): tierChanged starts nothing',
    );
    expect(workflows.running.has('release:REL-9')).toBe(false);
  });

  it('asks Temporal about a tombstone once a minute for a release updated again and again', async () => {
    let clock = Date.now();
    const { workflows, call } = setup(
      SECRETS.jira,
      undefined,
      FIXTURE_NOW,
      new RecentlyWithoutTombstone(60_000, 100, () => clock),
    );
    for (let i = 0; i < 5; i++) {
      const res = await call(
        jiraDelivery(issueCreated(config, FIXTURE_NOW - 60_000 + i), SECRET, `delivery-${i}`),
      );
      expect(res.status).toBe(200);
    }
    expect(workflows.lookups).toBe(1);
    clock += 61_000;
    await call(jiraDelivery(issueCreated(config, FIXTURE_NOW - 30_000), SECRET, 'delivery-later'));
    expect(workflows.lookups).toBe(2);
  });

  it('asks again every time once a tombstone was found, so that one removed on purpose is gone at once', async () => {
    const { workflows, call } = setup();
    await workflows.start({
      workflowType: 'releaseTombstoneWorkflow',
      workflowId: 'release-tombstone:REL-9',
      args: [],
    });
    const first = await call(jiraDelivery(issueCreated(config, FIXTURE_NOW - 60_000), SECRET, 'first'));
    expect(first.body.ignored).toContain('has ended (release-tombstone:REL-9)');
    workflows.running.delete('release-tombstone:REL-9');
    await call(jiraDelivery(issueCreated(config, FIXTURE_NOW - 30_000), SECRET, 'second'));
    expect(workflows.running.has('release:REL-9')).toBe(true);
    expect(workflows.lookups).toBe(2);
  });

  it('starts a release without a product area that is not one short line', async () => {
    const { workflows, call } = setup();
    const event = issueCreated(config);
    const fields = event.issue.fields;
    fields[config.integrations.jira.fields.productArea!] = { value: 'Billing\nSubject: urgent' };
    fields.summary = 'Usage-based\r\nbilling';
    const res = await call(jiraDelivery(event, SECRET));
    expect(res.status).toBe(200);
    expect(res.body.ignored).toContain('the product area is not one line of at most 100 characters');
    const start = workflows.running.get('release:REL-9')!.args[0] as { productArea?: string; title?: string };
    expect(start.productArea).toBeUndefined();
    expect(start.title).toBe('Usage-based billing');
  });

  it('does not start a release that has finished when a late change arrives', async () => {
    const { workflows, call } = setup();
    await call(jiraDelivery(issueCreated(config), SECRET));
    workflows.finish('release:REL-9');
    const res = await call(jiraDelivery(tierUpdated(config, '3', '2'), SECRET));
    expect(res.status).toBe(200);
    expect(res.body.ignored).toBe('release:REL-9 has finished: tierChanged went nowhere');
    expect(workflows.running.size).toBe(0);
  });

  it('confirms readiness from a readiness sub-task moved to Done, by who moved it', async () => {
    const { workflows, call } = setup();
    await call(jiraDelivery(issueCreated(config), SECRET));
    const subtask = statusChanged(config, 'Done', {
      key: 'REL-31',
      subtaskOf: 'REL-9',
      actor: MAYA,
      labels: [jiraLabel('release:REL-9:support-readiness')],
      summary: 'Readiness for the launch',
    });
    const res = await call(jiraDelivery(subtask, SECRET, 'delivery-7'));
    expect(res.status).toBe(200);
    expect(workflows.running.get('release:REL-9')!.signals.at(-1)).toEqual({
      name: 'readinessConfirmed',
      args: [
        {
          team: 'support',
          by: 'maya',
          occurredAt: 1_767_000_200_000,
          deliveryId: 'jira:delivery-7:readinessConfirmed',
        },
      ],
    });
    const sales = statusChanged(config, 'Done', {
      key: 'REL-32',
      subtaskOf: 'REL-9',
      actor: ANA,
      summary: 'Sales readiness: Usage-based billing',
    });
    expect(planJiraEvent(sales as never, config, 'x').signals[0]!.payload).toMatchObject({
      team: 'sales',
      by: 'ana',
    });
    const stranger = statusChanged(config, 'Done', {
      key: 'REL-33',
      subtaskOf: 'REL-9',
      actor: '712020:stranger',
    });
    expect(planJiraEvent(stranger as never, config, 'x').ignored[0]).toMatch(
      /who is nobody in the configuration/,
    );
  });
});

describe('onboarding tasks in the teams’ projects', () => {
  const KAI = config.people.find((p) => p.id === 'kai')!.jiraAccountId!;
  const task = (to: string, options: { labels?: string[]; actor?: string; key?: string } = {}) => {
    const event = statusChanged(config, to, { key: options.key ?? 'IT-14', actor: options.actor ?? KAI });
    event.issue.fields.project = { id: '10004', key: 'IT', name: 'IT' };
    event.issue.fields.labels = options.labels ?? ['onboarding', workflowLabel('onboarding:jo.park')];
    event.issue.fields.summary = 'Provision Figma: Jo Park';
    return event;
  };

  it('signals taskDone to the engagement its label names, with the Jira account that moved it', async () => {
    const { workflows, call } = setup();
    workflows.running.set('onboarding:jo.park', {
      type: 'onboardingWorkflow',
      args: [],
      signals: [],
      starts: 1,
    });
    const res = await call(jiraDelivery(task('Done'), SECRET, 'delivery-21'));
    expect(res.status).toBe(200);
    expect(workflows.running.get('onboarding:jo.park')!.signals).toEqual([
      {
        name: 'taskDone',
        args: [
          {
            issueKey: 'IT-14',
            personId: 'kai',
            jiraAccountId: KAI,
            occurredAt: 1_767_000_200_000,
            deliveryId: 'jira:delivery-21:taskDone',
          },
        ],
      },
    ]);
    // Not a release: nothing starts in the release project's name.
    expect([...workflows.running.keys()]).toEqual(['onboarding:jo.park']);
  });

  it('carries the account of someone Jira knows and prodops does not; ignores other moves and other workflows', () => {
    const stranger = planJiraEvent(task('Done', { actor: '712020:contractor' }) as never, config, 'x');
    expect(stranger.signals[0]!.payload).toEqual(
      expect.objectContaining({ issueKey: 'IT-14', jiraAccountId: '712020:contractor' }),
    );
    expect(stranger.signals[0]!.payload).not.toHaveProperty('personId');
    expect(planJiraEvent(task('In Progress') as never, config, 'x')).toEqual({
      signals: [],
      ignored: ['IT-14 moved to "In Progress", not Done'],
    });
    const other = planJiraEvent(
      task('Done', { labels: [workflowLabel('leave:ana:2027-03-01')] }) as never,
      config,
      'x',
    );
    expect(other.ignored).toEqual(['IT-14 belongs to leave:ana:2027-03-01, which follows no Jira task']);
    const unlabelled = planJiraEvent(task('Done', { labels: ['onboarding'] }) as never, config, 'x');
    expect(unlabelled.ignored).toEqual(['IT-14 is not in the REL project']);
  });

  it('says so when the engagement is not running', async () => {
    const { call } = setup();
    const res = await call(jiraDelivery(task('Done'), SECRET));
    expect(res.body.ignored).toBe('onboarding:jo.park is not running: taskDone went nowhere');
  });
});

describe('repeated Jira deliveries', () => {
  it('hands the same delivery to Temporal once, however often it comes', async () => {
    const recent = new RecentDeliveries();
    const { workflows, call } = setup(SECRETS.jira, recent);
    const request = jiraDelivery(tierUpdated(config, '2', '3'), SECRET, 'retried-delivery');
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await call(request));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.slice(1).every((a) => a.body.duplicate === true)).toBe(true);
    expect(workflows.running.size).toBe(1);
    expect(workflows.running.get('release:REL-9')!.signals).toHaveLength(1);
  });

  it('gives every copy the same delivery id, so the workflow can ignore repeats', async () => {
    const { workflows, call } = setup();
    const request = jiraDelivery(tierUpdated(config, '2', '3'), SECRET, 'retried-delivery');
    for (let i = 0; i < 3; i++) await call(request);
    const ids = workflows.running
      .get('release:REL-9')!
      .signals.map((s) => (s.args[0] as { deliveryId: string }).deliveryId);
    expect(new Set(ids)).toEqual(new Set(['jira:retried-delivery:tierChanged']));
  });
});
