import { ApplicationFailure, msToNumber } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCloudClient, isRateLimitError } from 'jira.js';
import { createClient, type Client } from 'jira.js/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createJiraActivities,
  CREATE_RESERVE_MS,
  createJiraClient,
  plainTextToAdf,
  type JiraActivities,
} from '../../activities/jira';
import { classifyError, ErrorTypes } from '../../activities/errors';
import { jiraLabel } from '../../contracts/node/idempotency';
import { createJiraSandbox } from '../../sandbox/jira';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';
import { JIRA_KEY_PROPERTY } from '../../contracts/stamps';

const config = loadExampleConfig();
const jiraConfig = config.integrations.jira;
const { tier, launchDate } = jiraConfig.fields as Required<typeof jiraConfig.fields>;
const maya = config.people.find((p) => p.id === 'maya')!;
const hana = config.people.find((p) => p.id === 'hana')!;
const EMAIL = 'product-ops@northwind.example';
const TOKEN = 'tok-7f3a9c2e51d84b06';
const CREDENTIAL = Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64');

let served: Awaited<ReturnType<typeof serveVendor<ReturnType<typeof createJiraSandbox>>>>;
let jira: JiraActivities;
const store = () => served.vendor.store;

function activitiesWith(apiToken = TOKEN): JiraActivities {
  return createJiraActivities({
    client: createJiraClient({ host: served.url, email: EMAIL, apiToken, onSchemaMismatch: 'throw' }),
    jira: jiraConfig,
  });
}

beforeAll(async () => {
  served = await serveVendor(createJiraSandbox(config));
});
beforeEach(() => {
  served.vendor.reset();
  served.router.clearFaults();
  served.router.clearLog();
  jira = activitiesWith();
});
afterAll(async () => {
  await served.close();
});

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

function expectNoSecret(failure: ApplicationFailure): void {
  for (const secret of [TOKEN, CREDENTIAL, 'Basic ']) expect(failure.message).not.toContain(secret);
}

const requests = (route: string) => served.router.log.filter((r) => r.route === route).length;
const issuesLabelled = (idempotencyKey: string) =>
  [...store().issues.values()].filter((i) => i.labels.includes(jiraLabel(idempotencyKey)));

describe('createJiraClient', () => {
  it('sends basic credentials with email and token, and no retries of its own', async () => {
    served.router.injectFault({
      route: 'GET /rest/api/3/myself',
      fault: { kind: 'status', status: 503, times: 1 },
    });
    const client = createJiraClient({ host: served.url, email: EMAIL, apiToken: TOKEN });
    await expect(client.myself.getCurrentUser()).rejects.toMatchObject({ status: 503 });
    expect(requests('GET /rest/api/3/myself')).toBe(1);
    await expect(client.myself.getCurrentUser()).resolves.toMatchObject({ emailAddress: EMAIL });
  });

  it('sends a lone token as a bearer token', async () => {
    const client = createJiraClient({ host: served.url, apiToken: 'oauth-access-token' });
    await expect(client.myself.getCurrentUser()).resolves.toMatchObject({ accountType: 'app' });
  });
});

describe('plainTextToAdf', () => {
  it('makes a paragraph per block and a hard break per single newline', () => {
    expect(plainTextToAdf('Plan v2\nfor REL-1\r\n\r\n\n  \nSecond paragraph\n')).toEqual({
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Plan v2' },
            { type: 'hardBreak' },
            { type: 'text', text: 'for REL-1' },
          ],
        },
        { type: 'paragraph', content: [{ type: 'text', text: 'Second paragraph' }] },
      ],
    });
    expect(plainTextToAdf('  \n\n ').content).toEqual([]);
  });
});

describe('getIssue', () => {
  it('returns the issue with its status, type, assignee, requested custom fields and sub-tasks', async () => {
    const sub = await jira.createIssue({
      idempotencyKey: 'release:REL-1:support-readiness',
      parentKey: 'REL-1',
      summary: 'Support readiness',
    });
    const issue = await jira.getIssue({ issueKey: 'REL-1', fields: [tier, launchDate] });
    expect(issue).toEqual({
      id: '10000',
      key: 'REL-1',
      summary: 'Usage-based billing',
      status: 'To Do',
      statusCategory: 'new',
      issueType: 'Task',
      parentKey: null,
      labels: ['release'],
      assigneeAccountId: config.people.find((p) => p.id === 'ana')!.jiraAccountId,
      duedate: null,
      fields: {
        [tier]: {
          self: `${served.url}/rest/api/3/customFieldOption/${store().customFields[0]!.options[2]!.id}`,
          value: '3',
          id: store().customFields[0]!.options[2]!.id,
        },
        [launchDate]: '2027-02-15',
      },
      subtasks: [{ key: sub.key, status: 'To Do' }],
    });
    const child = await jira.getIssue({ issueKey: sub.key });
    expect(child).toMatchObject({ parentKey: 'REL-1', issueType: 'Sub-task', fields: {} });
  });

  it('refuses a malformed key or field id before calling Jira', async () => {
    const badKey = await failureOf(jira.getIssue({ issueKey: 'rel 1' }));
    expect(badKey).toMatchObject({ type: ErrorTypes.invalidInput, nonRetryable: true });
    const badField = await failureOf(jira.getIssue({ issueKey: 'REL-1', fields: ['x,y'] }));
    expect(badField.type).toBe(ErrorTypes.invalidInput);
    expect(served.router.log).toHaveLength(0);
  });

  it('classifies an unknown issue as NotFound with Jira’s message', async () => {
    const failure = await failureOf(jira.getIssue({ issueKey: 'REL-404' }));
    expect(failure).toMatchObject({ type: ErrorTypes.notFound, nonRetryable: true });
    expect(failure.message).toBe(
      'jira getIssue [REL-404] was refused with HTTP 404: Issue does not exist or you do not have permission to see it.',
    );
  });
});

describe('searchIssues', () => {
  it('follows nextPageToken through every page', async () => {
    for (let i = 0; i < 230; i++)
      store().createIssue(
        { project: { key: 'REL' }, issuetype: { name: 'Task' }, summary: `Bulk ${i}`, labels: ['bulk'] },
        [],
        hana.jiraAccountId!,
      );
    const result = await jira.searchIssues({ jql: 'labels = bulk ORDER BY key ASC', fields: [tier] });
    expect(result.truncated).toBe(false);
    expect(result.issues).toHaveLength(230);
    expect(result.issues.map((i) => i.summary)).toEqual(Array.from({ length: 230 }, (_, i) => `Bulk ${i}`));
    expect(result.issues[0]).toMatchObject({ status: 'To Do', issueType: 'Task', fields: { [tier]: null } });
    expect(requests('GET /rest/api/3/search/jql')).toBe(3);
  });

  it('stops at maxResults and says the result is truncated', async () => {
    for (let i = 0; i < 30; i++)
      store().createIssue(
        { project: { key: 'REL' }, issuetype: { name: 'Task' }, summary: `Bulk ${i}`, labels: ['bulk'] },
        [],
        hana.jiraAccountId!,
      );
    const capped = await jira.searchIssues({ jql: 'labels = bulk', maxResults: 10 });
    expect(capped).toMatchObject({ truncated: true });
    expect(capped.issues).toHaveLength(10);
    const exact = await jira.searchIssues({ jql: 'labels = bulk', maxResults: 30 });
    expect(exact.truncated).toBe(false);
    expect(exact.issues).toHaveLength(30);
  });

  it("classifies JQL Jira refuses as BadRequest with Jira's message", async () => {
    const failure = await failureOf(jira.searchIssues({ jql: 'status = Shipped' }));
    expect(failure).toMatchObject({ type: ErrorTypes.badRequest, nonRetryable: true });
    expect(failure.message).toContain("The value 'Shipped' does not exist for the field 'status'.");
    expect((await failureOf(jira.searchIssues({ jql: 'x', maxResults: 0 }))).type).toBe(
      ErrorTypes.invalidInput,
    );
  });
});

describe('createIssue', () => {
  const bundleKey = 'release:REL-1:bundle';

  it('creates a task with its marker label and property, description, custom fields and assignee', async () => {
    const result = await jira.createIssue({
      idempotencyKey: bundleKey,
      issueType: 'Task',
      summary: 'Enablement bundle for usage-based billing',
      description: 'What ships.\n\nWho needs to know.',
      labels: ['release'],
      assigneeAccountId: maya.jiraAccountId,
      duedate: '2027-02-10',
      fields: { [tier]: { value: '2' }, [launchDate]: '2027-02-15' },
    });
    expect(result).toEqual({ key: 'REL-4', id: '10003', created: true });
    const issue = store().issue('REL-4')!;
    expect(issue).toMatchObject({
      summary: 'Enablement bundle for usage-based billing',
      assigneeAccountId: maya.jiraAccountId,
      duedate: '2027-02-10',
      labels: ['release', jiraLabel(bundleKey)],
    });
    expect(issue.description?.content).toHaveLength(2);
    expect(issue.customFields[launchDate]).toBe('2027-02-15');
    expect(store().properties.get('REL-4')?.get(JIRA_KEY_PROPERTY)).toEqual({ key: bundleKey });
  });

  it('returns the issue made by an earlier attempt instead of creating a second', async () => {
    const first = await jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' });
    const second = await jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' });
    expect(second).toEqual({ key: first.key, id: first.id, created: false });
    expect(issuesLabelled(bundleKey)).toHaveLength(1);
    expect(requests('POST /rest/api/3/issue')).toBe(1);
  });

  it('is not fooled by a clone that copied the marker label but not the property', async () => {
    const first = await jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' });
    store().createIssue(
      {
        project: { key: 'REL' },
        issuetype: { name: 'Task' },
        summary: 'CLONE - Bundle',
        labels: [jiraLabel(bundleKey)],
      },
      [],
      hana.jiraAccountId!,
    );
    const again = await jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' });
    expect(again).toEqual({ key: first.key, id: first.id, created: false });

    const otherKey = 'release:REL-2:bundle';
    store().createIssue(
      {
        project: { key: 'REL' },
        issuetype: { name: 'Task' },
        summary: 'CLONE',
        labels: [jiraLabel(otherKey)],
      },
      [],
      hana.jiraAccountId!,
    );
    expect((await jira.createIssue({ idempotencyKey: otherKey, summary: 'Bundle 2' })).created).toBe(true);
  });

  it('creates sub-tasks of the configured type and finds them again through the parent, not search', async () => {
    const support = await jira.createIssue({
      idempotencyKey: 'release:REL-1:support-readiness',
      issueType: 'Sub-task',
      parentKey: 'REL-1',
      summary: 'Support readiness',
      assigneeAccountId: maya.jiraAccountId,
    });
    const sales = await jira.createIssue({
      idempotencyKey: 'release:REL-1:sales-readiness',
      parentKey: 'REL-1',
      summary: 'Sales readiness',
    });
    served.router.clearLog();
    const supportAgain = await jira.createIssue({
      idempotencyKey: 'release:REL-1:support-readiness',
      parentKey: 'REL-1',
      summary: 'Support readiness',
    });
    const salesAgain = await jira.createIssue({
      idempotencyKey: 'release:REL-1:sales-readiness',
      parentKey: 'REL-1',
      summary: 'Sales readiness',
    });
    expect([support.created, sales.created, supportAgain.created, salesAgain.created]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect([supportAgain.key, salesAgain.key]).toEqual([support.key, sales.key]);
    expect(
      store()
        .subtasksOf('REL-1')
        .map((s) => [s.key, store().issueTypeById(s.issueTypeId).name]),
    ).toEqual([
      [support.key, 'Sub-task'],
      [sales.key, 'Sub-task'],
    ]);
    expect(requests('GET /rest/api/3/search/jql')).toBe(0);
    expect(requests('POST /rest/api/3/issue/bulkfetch')).toBe(2);
  });

  it('refuses bad input before calling Jira', async () => {
    const cases = [
      { idempotencyKey: '', summary: 'x' },
      { idempotencyKey: 'k', summary: '' },
      { idempotencyKey: 'k', summary: 'two\nlines' },
      { idempotencyKey: 'k', summary: 'x', parentKey: 'REL-1', issueType: 'Task' },
      { idempotencyKey: 'k', summary: 'x', parentKey: 'OPS-1', projectKey: 'REL' },
      { idempotencyKey: 'k', summary: 'x', duedate: '2027-02-30' },
      { idempotencyKey: 'k', summary: 'x', labels: ['with space'] },
      { idempotencyKey: 'k', summary: 'x', fields: { summary: 'again' } },
      { idempotencyKey: 'k', summary: 'x', projectKey: 'rel' },
    ];
    for (const input of cases) {
      const failure = await failureOf(jira.createIssue(input));
      expect(failure.type, JSON.stringify(input)).toBe(ErrorTypes.invalidInput);
      expect(failure.nonRetryable).toBe(true);
    }
    expect(served.router.log).toHaveLength(0);
  });

  it('after a 429 on the look-up, retries after Retry-After and creates exactly one issue', async () => {
    served.router.injectFault({
      route: 'GET /rest/api/3/search/jql',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 7, times: 1 },
    });
    const failure = await failureOf(jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' }));
    expect(failure).toMatchObject({ type: ErrorTypes.rateLimited, nonRetryable: false });
    expect(msToNumber(failure.nextRetryDelay)).toBe(7000);
    expect(failure.message).toContain(`jira createIssue [${bundleKey}]`);
    expect((await jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' })).created).toBe(true);
    expect(issuesLabelled(bundleKey)).toHaveLength(1);
  });

  it('after a 429 on the create itself, the next attempt creates exactly one issue', async () => {
    served.router.injectFault({
      route: 'POST /rest/api/3/issue',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 2, times: 1 },
    });
    const failure = await failureOf(jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' }));
    expect(failure.nonRetryable).toBe(false);
    expect(msToNumber(failure.nextRetryDelay)).toBe(2000);
    expect(issuesLabelled(bundleKey)).toHaveLength(0);
    expect((await jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' })).created).toBe(true);
    expect((await jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle' })).created).toBe(false);
    expect(issuesLabelled(bundleKey)).toHaveLength(1);
  });

  it("classifies a field Jira refuses as BadRequest, naming the operation, key and Jira's reason", async () => {
    const failure = await failureOf(
      jira.createIssue({ idempotencyKey: bundleKey, summary: 'Bundle', fields: { [tier]: { value: '7' } } }),
    );
    expect(failure).toMatchObject({ type: ErrorTypes.badRequest, nonRetryable: true });
    expect(failure.message).toBe(
      `jira createIssue [${bundleKey}] was refused with HTTP 400: ${tier}: Option value '7' is not valid`,
    );
    expectNoSecret(failure);
  });

  it('classifies a missing parent as NotFound', async () => {
    const failure = await failureOf(
      jira.createIssue({
        idempotencyKey: 'release:REL-404:support',
        parentKey: 'REL-404',
        summary: 'Support readiness',
      }),
    );
    expect(failure).toMatchObject({ type: ErrorTypes.notFound, nonRetryable: true });
    expect(failure.message).toContain('jira createIssue [release:REL-404:support]');
  });
});

describe('createIssue while Jira search trails writes', () => {
  const key = 'onboarding:ines:laptop';
  const LAG_MS = 20_000;
  let clock = Date.UTC(2026, 5, 1, 9, 0, 0);
  let lagging: Awaited<ReturnType<typeof serveVendor<ReturnType<typeof createJiraSandbox>>>>;
  const lagStore = () => lagging.vendor.store;
  /** Activities as the given attempt sees them; waiting moves the sandbox's clock instead of the test's. */
  const onAttempt = (
    attempt: number,
    settle = { waitMs: 40_000, pollMs: 4_000 },
    timeLeftMs = () => Number.POSITIVE_INFINITY,
  ) =>
    createJiraActivities({
      client: createJiraClient({
        host: lagging.url,
        email: EMAIL,
        apiToken: TOKEN,
        onSchemaMismatch: 'throw',
      }),
      jira: jiraConfig,
      attempt: () => attempt,
      searchSettle: settle,
      timeLeftMs,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
      warn: () => {},
    });
  const made = () => [...lagStore().issues.values()].filter((i) => i.labels.includes(jiraLabel(key)));
  const loseCreateAnswer = () =>
    lagging.router.injectFault({
      route: 'POST /rest/api/3/issue',
      fault: { kind: 'dropResponse', times: 1 },
    });

  beforeAll(async () => {
    lagging = await serveVendor(
      createJiraSandbox(config, { now: () => new Date(clock), indexLagMs: LAG_MS }),
    );
  });
  afterAll(async () => lagging.close());
  beforeEach(() => {
    clock = Date.UTC(2026, 5, 1, 9, 0, 0);
    lagging.vendor.reset();
    lagging.router.clearFaults();
    lagging.router.clearLog();
  });

  it('a retry after a lost answer keeps looking until search shows the first issue, and makes no second', async () => {
    loseCreateAnswer();
    const lost = await failureOf(
      onAttempt(1).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' }),
    );
    expect(lost.nonRetryable).toBe(false);
    expect(made()).toHaveLength(1);
    const retry = await onAttempt(2).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' });
    expect(retry).toEqual({ key: made()[0]!.key, id: made()[0]!.id, created: false });
    expect(made()).toHaveLength(1);
    // The first attempt looked once; the retry looked at once, then every 4 s until the 20 s lag had passed.
    expect(lagging.router.log.filter((r) => r.route === 'GET /rest/api/3/search/jql')).toHaveLength(7);
  });

  it('stops looking in time to create before the attempt times out', async () => {
    lagStore().indexLagMs = 120_000;
    loseCreateAnswer();
    await failureOf(onAttempt(1).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' }));
    // The retry starts with 30 s left: it looks while a wait still leaves 15 s to create.
    const deadline = clock + 30_000;
    const started = clock;
    const retry = await onAttempt(2, undefined, () => deadline - clock).createIssue({
      idempotencyKey: key,
      summary: 'Laptop for Ines',
    });
    expect(retry.created).toBe(true);
    expect(clock - started).toBe(12_000);
    expect(deadline - clock).toBeGreaterThan(CREATE_RESERVE_MS);
    // One look by the first attempt; the retry's first look and three more.
    expect(lagging.router.log.filter((r) => r.route === 'GET /rest/api/3/search/jql')).toHaveLength(5);
  });

  it('reads the attempt and its time left from Temporal when running as an activity', async () => {
    lagStore().indexLagMs = 120_000;
    loseCreateAnswer();
    await failureOf(onAttempt(1).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' }));
    const activities = createJiraActivities({
      client: createJiraClient({
        host: lagging.url,
        email: EMAIL,
        apiToken: TOKEN,
        onSchemaMismatch: 'throw',
      }),
      jira: jiraConfig,
      sleep: () => Promise.reject(new Error('no time to wait: 18 s are left and 15 s are kept to create')),
      warn: () => {},
    });
    // The second attempt, scheduled 42 s into its one minute.
    const env = new MockActivityEnvironment({
      attempt: 2,
      startToCloseTimeoutMs: 60_000,
      currentAttemptScheduledTimestampMs: Date.now() - 42_000,
    });
    type Created = Awaited<ReturnType<JiraActivities['createIssue']>>;
    const retry = await env.run<[], Created, () => Promise<Created>>(() =>
      activities.createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' }),
    );
    expect(retry.created).toBe(true);
    expect(lagging.router.log.filter((r) => r.route === 'GET /rest/api/3/search/jql')).toHaveLength(2);
  });

  it('a first attempt does not wait: nothing can have been made before it', async () => {
    await onAttempt(1).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' });
    expect(lagging.router.log.filter((r) => r.route === 'GET /rest/api/3/search/jql')).toHaveLength(1);
  });

  it('closes a twin as a duplicate of the original once search shows both, leaving the original alone', async () => {
    // Search lags longer than the retry is willing to wait: the retry makes a twin.
    lagStore().indexLagMs = 120_000;
    loseCreateAnswer();
    await failureOf(onAttempt(1).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' }));
    const twinMade = await onAttempt(2).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' });
    expect(twinMade.created).toBe(true);
    const [original, twin] = made().sort((a, b) => Number(a.id) - Number(b.id));
    expect(twin!.key).toBe(twinMade.key);

    clock += 120_000;
    const found = await onAttempt(1).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' });
    expect(found).toEqual({
      key: original!.key,
      id: original!.id,
      created: false,
      duplicatesClosed: [twin!.key],
    });
    const closed = lagStore().issue(twin!.key)!;
    expect(lagStore().statusById(closed.statusId).name).toBe('Done');
    expect(lagStore().resolutionById(closed.resolutionId!)?.name).toBe('Duplicate');
    expect(lagStore().links).toEqual([
      expect.objectContaining({ inwardKey: twin!.key, outwardKey: original!.key }),
    ]);
    expect(lagStore().commentsOf(twin!.key)).toHaveLength(1);
    expect(lagStore().properties.get(twin!.key)?.get(JIRA_KEY_PROPERTY)).toEqual({
      key,
      duplicateOf: original!.key,
    });
    // The original keeps its own history: no change, no comment.
    expect(lagStore().issue(original!.key)!.changelog).toEqual([]);
    expect(lagStore().commentsOf(original!.key)).toEqual([]);

    lagging.router.clearLog();
    expect(await onAttempt(1).createIssue({ idempotencyKey: key, summary: 'Laptop for Ines' })).toEqual({
      key: original!.key,
      id: original!.id,
      created: false,
    });
    expect(lagging.router.log.map((r) => r.route)).toEqual(['GET /rest/api/3/search/jql']);
  });
});

describe('addComment', () => {
  const planKey = 'release:REL-1:plan:1';

  it('posts plain text as ADF with the idempotency property', async () => {
    const result = await jira.addComment({
      idempotencyKey: planKey,
      issueKey: 'REL-1',
      body: 'Plan v1\nTier 3\n\nBundle due 2027-02-01',
    });
    expect(result).toEqual({ id: '10000', created: true });
    const [comment] = store().commentsOf('REL-1');
    expect(comment?.body).toEqual(plainTextToAdf('Plan v1\nTier 3\n\nBundle due 2027-02-01'));
    expect(comment?.properties.get(JIRA_KEY_PROPERTY)).toEqual({ key: planKey });
  });

  it('finds the comment of an earlier attempt, even pages deep, instead of posting twice', async () => {
    const first = await jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: 'Plan v1' });
    for (let i = 0; i < 150; i++)
      store().addComment('REL-1', plainTextToAdf(`chatter ${i}`), hana.jiraAccountId!);
    const late = await jira.addComment({
      idempotencyKey: 'release:REL-1:plan:2',
      issueKey: 'REL-1',
      body: 'Plan v2',
    });
    served.router.clearLog();
    expect(await jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: 'Plan v1' })).toEqual({
      id: first.id,
      created: false,
    });
    expect(
      await jira.addComment({ idempotencyKey: 'release:REL-1:plan:2', issueKey: 'REL-1', body: 'Plan v2' }),
    ).toEqual({ id: late.id, created: false });
    expect(store().commentsOf('REL-1')).toHaveLength(152);
    expect(requests('GET /rest/api/3/issue/:issueIdOrKey/comment')).toBe(3);
    // The properties come from comment/list, a page of ids at a time.
    expect(requests('POST /rest/api/3/comment/list')).toBe(3);
    expect(requests('POST /rest/api/3/issue/:issueIdOrKey/comment')).toBe(0);
  });

  it('after a 429 on the post, the next attempt posts exactly one comment', async () => {
    served.router.injectFault({
      route: 'POST /rest/api/3/issue/:issueIdOrKey/comment',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 4, times: 1 },
    });
    const failure = await failureOf(
      jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: 'Plan v1' }),
    );
    expect(failure).toMatchObject({ type: ErrorTypes.rateLimited, nonRetryable: false });
    expect(msToNumber(failure.nextRetryDelay)).toBe(4000);
    await jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: 'Plan v1' });
    await jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: 'Plan v1' });
    expect(store().commentsOf('REL-1')).toHaveLength(1);
  });

  it('after the answer to its post was lost, the retry finds the comment by its property', async () => {
    served.router.injectFault({
      route: 'POST /rest/api/3/issue/:issueIdOrKey/comment',
      fault: { kind: 'dropResponse', times: 1 },
    });
    const lost = await failureOf(
      jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: 'Plan v1' }),
    );
    expect(lost.nonRetryable).toBe(false);
    expect(store().commentsOf('REL-1')).toHaveLength(1);
    const retried = await jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: 'Plan v1' });
    expect(retried).toEqual({ id: store().commentsOf('REL-1')[0]!.id, created: false });
    expect(store().commentsOf('REL-1')).toHaveLength(1);
  });

  it('refuses an empty or over-long body before calling Jira', async () => {
    expect(
      (await failureOf(jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: ' \n ' }))).type,
    ).toBe(ErrorTypes.invalidInput);
    expect(
      (
        await failureOf(
          jira.addComment({ idempotencyKey: planKey, issueKey: 'REL-1', body: 'x'.repeat(32768) }),
        )
      ).type,
    ).toBe(ErrorTypes.invalidInput);
    expect(served.router.log).toHaveLength(0);
  });
});

describe('transitionIssue', () => {
  it('moves the issue by target status name, whatever its case', async () => {
    expect(await jira.transitionIssue({ issueKey: 'REL-1', toStatus: 'in progress' })).toEqual({
      transitioned: true,
      status: 'In Progress',
    });
    expect(store().statusById(store().issue('REL-1')!.statusId).name).toBe('In Progress');
  });

  it('does nothing when the issue is already there (a retry after success)', async () => {
    await jira.transitionIssue({ issueKey: 'REL-2', toStatus: 'Done' });
    served.router.clearLog();
    expect(await jira.transitionIssue({ issueKey: 'REL-2', toStatus: 'done' })).toEqual({
      transitioned: false,
      status: 'Done',
    });
    expect(requests('POST /rest/api/3/issue/:issueIdOrKey/transitions')).toBe(0);
    expect(store().issue('REL-2')!.changelog).toHaveLength(1);
  });

  it('fails for good, listing the transitions on offer, when none leads to the status', async () => {
    const failure = await failureOf(jira.transitionIssue({ issueKey: 'REL-1', toStatus: 'Released' }));
    expect(failure).toMatchObject({ type: ErrorTypes.conflict, nonRetryable: true });
    expect(failure.message).toBe(
      'jira transitionIssue [REL-1]: no transition leads from "To Do" to "Released"; available: "Start progress" → In Progress, "Done" → Done, "Cancel" → Cancelled',
    );
  });

  it('counts a person moving the issue there first as success', async () => {
    const base = createClient({
      host: served.url,
      auth: { type: 'basic', email: EMAIL, apiToken: TOKEN },
      retry: { maxAttempts: 1 },
      onSchemaMismatch: 'throw',
    });
    const racing: Client = {
      sendRequest(options) {
        if (options.method === 'POST' && options.url.endsWith('/transitions'))
          store().transition('REL-1', 'Cancelled', hana.jiraAccountId);
        return base.sendRequest(options);
      },
    };
    const raced = createJiraActivities({ client: createCloudClient(racing), jira: jiraConfig });
    expect(await raced.transitionIssue({ issueKey: 'REL-1', toStatus: 'Cancelled' })).toEqual({
      transitioned: false,
      status: 'Cancelled',
    });
  });

  const resolutionOf = (key: string) => {
    const id = store().issue(key)!.resolutionId;
    return id ? store().resolutionById(id)!.name : null;
  };

  it('fills in the resolution a transition into a done status requires, from the configuration', async () => {
    expect(await jira.transitionIssue({ issueKey: 'REL-1', toStatus: 'Done' })).toEqual({
      transitioned: true,
      status: 'Done',
    });
    expect(resolutionOf('REL-1')).toBe('Done');
    await jira.transitionIssue({ issueKey: 'REL-2', toStatus: 'cancelled' });
    expect(resolutionOf('REL-2')).toBe("Won't Do");
    // Back to To Do: a transition without a screen sends no fields, and the resolution goes.
    await jira.transitionIssue({ issueKey: 'REL-1', toStatus: 'To Do' });
    expect(resolutionOf('REL-1')).toBeNull();
    // A resolution given by the caller wins over the configured one.
    await jira.transitionIssue({ issueKey: 'REL-1', toStatus: 'Cancelled', resolution: 'Duplicate' });
    expect(resolutionOf('REL-1')).toBe('Duplicate');
  });

  it('fails for good, naming the setting, when a required resolution is not configured', async () => {
    const unconfigured = createJiraActivities({
      client: createJiraClient({
        host: served.url,
        email: EMAIL,
        apiToken: TOKEN,
        onSchemaMismatch: 'throw',
      }),
      jira: { ...jiraConfig, resolutions: {} },
    });
    const failure = await failureOf(unconfigured.transitionIssue({ issueKey: 'REL-1', toStatus: 'Done' }));
    expect(failure).toMatchObject({ type: ErrorTypes.invalidInput, nonRetryable: true });
    expect(failure.message).toBe(
      'jira transitionIssue [REL-1]: the "Done" transition to "Done" requires a resolution: set integrations.jira.resolutions.Done to one of "Done", "Won\'t Do", "Duplicate", "Cannot Reproduce"',
    );
    const misnamed = createJiraActivities({
      client: createJiraClient({
        host: served.url,
        email: EMAIL,
        apiToken: TOKEN,
        onSchemaMismatch: 'throw',
      }),
      jira: { ...jiraConfig, resolutions: { Done: 'Shipped' } },
    });
    expect(
      (await failureOf(misnamed.transitionIssue({ issueKey: 'REL-1', toStatus: 'Done' }))).message,
    ).toContain('offers no resolution "Shipped" (integrations.jira.resolutions.Done)');
    expect(requests('POST /rest/api/3/issue/:issueIdOrKey/transitions')).toBe(0);
    expect(store().statusById(store().issue('REL-1')!.statusId).name).toBe('To Do');
  });

  it('after a 429 on the move, the next attempt moves it once', async () => {
    served.router.injectFault({
      route: 'POST /rest/api/3/issue/:issueIdOrKey/transitions',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 5, times: 1 },
    });
    const failure = await failureOf(jira.transitionIssue({ issueKey: 'REL-1', toStatus: 'Cancelled' }));
    expect(failure).toMatchObject({ type: ErrorTypes.rateLimited, nonRetryable: false });
    expect(msToNumber(failure.nextRetryDelay)).toBe(5000);
    expect((await jira.transitionIssue({ issueKey: 'REL-1', toStatus: 'Cancelled' })).transitioned).toBe(
      true,
    );
    expect((await jira.transitionIssue({ issueKey: 'REL-1', toStatus: 'Cancelled' })).transitioned).toBe(
      false,
    );
    expect(store().transitionLog.filter((t) => t.issueKey === 'REL-1')).toHaveLength(1);
  });
});

describe('issue properties', () => {
  const state = { issueKey: 'REL-1', propertyKey: 'prodops.state' };

  it('sets a value, reads it back, and reads a missing one as not found', async () => {
    expect(await jira.getIssueProperty(state)).toEqual({ found: false, value: null });
    expect(await jira.setIssueProperty({ ...state, value: { phase: 'planning', tier: 3 } })).toEqual(state);
    expect(await jira.setIssueProperty({ ...state, value: { phase: 'planning', tier: 3 } })).toEqual(state);
    expect(await jira.getIssueProperty(state)).toEqual({
      found: true,
      value: { phase: 'planning', tier: 3 },
    });
    await jira.setIssueProperty({ ...state, value: ['a', 1, null] });
    expect((await jira.getIssueProperty(state)).value).toEqual(['a', 1, null]);
    expect(store().properties.get('REL-1')?.size).toBe(1);
  });

  it('keeps a missing issue a NotFound failure rather than a missing property', async () => {
    const failure = await failureOf(
      jira.getIssueProperty({ issueKey: 'REL-404', propertyKey: 'prodops.state' }),
    );
    expect(failure).toMatchObject({ type: ErrorTypes.notFound, nonRetryable: true });
    expect(failure.message).toContain('jira getIssueProperty [REL-404/prodops.state]');
  });

  it('refuses a key that cannot travel in a URL and a value over 32768 characters', async () => {
    expect((await failureOf(jira.getIssueProperty({ issueKey: 'REL-1', propertyKey: 'a/b' }))).type).toBe(
      ErrorTypes.invalidInput,
    );
    expect((await failureOf(jira.setIssueProperty({ ...state, value: 'x'.repeat(40000) }))).type).toBe(
      ErrorTypes.invalidInput,
    );
    expect(served.router.log).toHaveLength(0);
  });
});

/** Every activity, with a route it calls and a way to count what it makes. */
const operations: {
  name: string;
  key: string;
  route: string;
  run: (activities: JiraActivities) => Promise<unknown>;
  made?: () => number;
}[] = [
  {
    name: 'getIssue',
    key: 'REL-1',
    route: 'GET /rest/api/3/issue/:issueIdOrKey',
    run: (a) => a.getIssue({ issueKey: 'REL-1' }),
  },
  {
    name: 'searchIssues',
    key: 'project = REL',
    route: 'GET /rest/api/3/search/jql',
    run: (a) => a.searchIssues({ jql: 'project = REL' }),
  },
  {
    name: 'createIssue',
    key: 'release:REL-1:bundle',
    route: 'GET /rest/api/3/search/jql',
    run: (a) => a.createIssue({ idempotencyKey: 'release:REL-1:bundle', summary: 'Bundle' }),
    made: () => issuesLabelled('release:REL-1:bundle').length,
  },
  {
    name: 'createIssue',
    key: 'release:REL-1:support',
    route: 'GET /rest/api/3/issue/:issueIdOrKey',
    run: (a) =>
      a.createIssue({
        idempotencyKey: 'release:REL-1:support',
        parentKey: 'REL-1',
        summary: 'Support readiness',
      }),
    made: () => store().subtasksOf('REL-1').length,
  },
  {
    name: 'addComment',
    key: 'release:REL-1:plan:1',
    route: 'GET /rest/api/3/issue/:issueIdOrKey/comment',
    run: (a) => a.addComment({ idempotencyKey: 'release:REL-1:plan:1', issueKey: 'REL-1', body: 'Plan v1' }),
    made: () => store().commentsOf('REL-1').length,
  },
  {
    name: 'transitionIssue',
    key: 'REL-1',
    route: 'GET /rest/api/3/issue/:issueIdOrKey/transitions',
    run: (a) => a.transitionIssue({ issueKey: 'REL-1', toStatus: 'In Progress' }),
    made: () => store().transitionLog.length,
  },
  {
    name: 'getIssueProperty',
    key: 'REL-1/prodops.state',
    route: 'GET /rest/api/3/issue/:issueIdOrKey',
    run: (a) => a.getIssueProperty({ issueKey: 'REL-1', propertyKey: 'prodops.state' }),
  },
  {
    name: 'setIssueProperty',
    key: 'REL-1/prodops.state',
    route: 'PUT /rest/api/3/issue/:issueIdOrKey/properties/:propertyKey',
    run: (a) =>
      a.setIssueProperty({ issueKey: 'REL-1', propertyKey: 'prodops.state', value: { phase: 'planning' } }),
    made: () => store().properties.get('REL-1')?.size ?? 0,
  },
];

describe.each(operations)('$name [$key] against failures', (operation) => {
  it('turns a 429 into a retryable failure carrying Retry-After, then succeeds once', async () => {
    served.router.injectFault({
      route: operation.route,
      fault: { kind: 'status', status: 429, retryAfterSeconds: 3, times: 1 },
    });
    const failure = await failureOf(operation.run(jira));
    expect(failure).toMatchObject({ type: ErrorTypes.rateLimited, nonRetryable: false });
    expect(msToNumber(failure.nextRetryDelay)).toBe(3000);
    expect(failure.message).toContain(`jira ${operation.name} [${operation.key}]`);
    if (operation.made) expect(operation.made()).toBe(0);
    await operation.run(jira);
    await operation.run(jira);
    if (operation.made) expect(operation.made()).toBe(1);
  });

  it.each([
    [400, ErrorTypes.badRequest],
    [403, ErrorTypes.forbidden],
    [404, ErrorTypes.notFound],
  ])(
    'classifies %i as non-retryable %s, naming the operation and key, without the token',
    async (status, type) => {
      served.router.injectFault({ route: operation.route, fault: { kind: 'status', status } });
      const failure = await failureOf(operation.run(jira));
      expect(failure).toMatchObject({ type, nonRetryable: true });
      expect(failure.message).toContain(
        `jira ${operation.name} [${operation.key}] was refused with HTTP ${status}: Injected failure`,
      );
      expectNoSecret(failure);
    },
  );

  it('classifies rejected credentials (401) as non-retryable Unauthorized, without the credentials', async () => {
    const failure = await failureOf(operation.run(activitiesWith('invalid')));
    expect(failure).toMatchObject({ type: ErrorTypes.unauthorized, nonRetryable: true });
    expect(failure.message).toContain(`jira ${operation.name} [${operation.key}] was refused with HTTP 401`);
    expect(failure.message).not.toContain(Buffer.from(`${EMAIL}:invalid`).toString('base64'));
    expectNoSecret(failure);
  });

  it('turns a dropped connection into a retryable network failure', async () => {
    served.router.injectFault({ route: operation.route, fault: { kind: 'drop', times: 1 } });
    const failure = await failureOf(operation.run(jira));
    expect(failure).toMatchObject({ type: ErrorTypes.network, nonRetryable: false });
    expect(failure.message).toContain(`jira ${operation.name} [${operation.key}]`);
  });
});

describe('classifyError and jira.js errors', () => {
  it('reads the status and Jira’s messages from a jira.js ApiError as it is', async () => {
    const client = createJiraClient({ host: served.url, email: EMAIL, apiToken: TOKEN });
    const raw: unknown = await client.issues
      .getIssue({ issueIdOrKey: 'REL-404' })
      .catch((error: unknown) => error);
    const failure = classifyError(raw, { system: 'jira', operation: 'getIssue', key: 'REL-404' });
    expect(failure).toMatchObject({ type: ErrorTypes.notFound, nonRetryable: true });
    expect(failure.message).toContain('Issue does not exist or you do not have permission to see it.');
  });

  // jira.js 6 keeps Retry-After only as RateLimitError.retryAfterMs (no response headers).
  it('reads Retry-After from a raw jira.js RateLimitError', async () => {
    served.router.injectFault({
      route: 'GET /rest/api/3/issue/:issueIdOrKey',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 9, times: 1 },
    });
    const client = createJiraClient({ host: served.url, email: EMAIL, apiToken: TOKEN });
    const raw: unknown = await client.issues
      .getIssue({ issueIdOrKey: 'REL-1' })
      .catch((error: unknown) => error);
    expect(isRateLimitError(raw) && raw.retryAfterMs).toBe(9000);
    expect(classifyError(raw, { system: 'jira', operation: 'getIssue', key: 'REL-1' })).toMatchObject({
      nonRetryable: false,
      nextRetryDelay: '9s',
    });
  });
});
