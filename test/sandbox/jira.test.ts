import { createCloudClient } from 'jira.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createJiraSandbox,
  ISSUE_NOT_FOUND,
  JiraFieldErrors,
  parseJql,
  type AdfDocument,
  type JiraSandboxEvent,
} from '../../sandbox/jira';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

const config = loadExampleConfig();
const ana = config.people.find((p) => p.id === 'ana')!;
const hana = config.people.find((p) => p.id === 'hana')!;
const { tier, launchDate, productArea } = config.integrations.jira.fields as Required<
  typeof config.integrations.jira.fields
>;

let served: Awaited<ReturnType<typeof serveVendor<ReturnType<typeof createJiraSandbox>>>>;
const store = () => served.vendor.store;

beforeAll(async () => {
  served = await serveVendor(createJiraSandbox(config));
});
beforeEach(() => {
  served.vendor.reset();
  served.router.clearFaults();
});
afterAll(async () => {
  await served.close();
});

const basic = (email: string, token: string) =>
  `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
const AS_ANA = basic(ana.email, 'sandbox-token');

/** A parsed JSON body, open to inspection at any depth; leaves are compared with expect. */
interface Body {
  readonly [key: string]: Body | undefined;
}

/** Reads a part of a body as the shape Jira documents for it. */
const as = <T>(value: Body | undefined): T => value as unknown as T;

interface Answer {
  status: number;
  body: Body;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  authorization: string | null = AS_ANA,
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (authorization !== null) headers.authorization = authorization;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${served.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body, headers: response.headers };
}

const createPath = '/rest/api/3/issue';
const validTask = (extra: Record<string, unknown> = {}) => ({
  fields: { project: { key: 'REL' }, issuetype: { name: 'Task' }, summary: 'Launch the thing', ...extra },
});
const adf = (text: string): AdfDocument => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

async function createTask(extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const answer = await call('POST', createPath, validTask(extra));
  expect(answer.status).toBe(201);
  return as<{ id: string; key: string }>(answer.body);
}

describe('authentication', () => {
  it('answers 401 in Jira shape without an Authorization header', async () => {
    const answer = await call('GET', '/rest/api/3/myself', undefined, null);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      errorMessages: ['Client must be authenticated to access this resource.'],
      errors: {},
    });
  });

  it('answers 401 to the token "invalid", to basic credentials without a token and to unknown schemes', async () => {
    for (const header of [
      basic(ana.email, 'invalid'),
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      basic(ana.email, ''),
      'Token abc',
      'Bearer invalid',
    ]) {
      const answer = await call('GET', '/rest/api/3/myself', undefined, header);
      expect(answer.status, header).toBe(401);
    }
  });

  it('knows the person behind basic credentials by email, and anyone else as a user of their own', async () => {
    const me = await call('GET', '/rest/api/3/myself');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      accountId: ana.jiraAccountId,
      displayName: 'Ana Costa',
      emailAddress: ana.email,
      accountType: 'atlassian',
    });

    const stranger = await call('GET', '/rest/api/3/myself', undefined, basic('bot@northwind.example', 't'));
    expect(stranger.body.emailAddress).toBe('bot@northwind.example');
    expect(stranger.body.accountId).toMatch(/^712020:/);

    const app = await call('GET', '/rest/api/3/myself', undefined, 'Bearer some-oauth-token');
    expect(app.body.accountType).toBe('app');
  });
});

describe('seeded state', () => {
  it('has users for the people with Jira accounts, and the configured custom fields', async () => {
    expect(store().users.get(hana.jiraAccountId!)?.displayName).toBe('Hana Okafor');
    expect(
      config.people.filter((p) => p.jiraAccountId).every((p) => store().users.has(p.jiraAccountId!)),
    ).toBe(true);

    const fields = await call('GET', '/rest/api/3/field');
    const custom = as<{ id: string; name: string; custom: boolean; schema: { type: string } }[]>(
      fields.body,
    ).filter((f) => f.custom);
    expect(custom.map((f) => [f.id, f.name, f.schema.type])).toEqual([
      [tier, 'Tier', 'option'],
      [launchDate, 'Launch date', 'date'],
      [productArea, 'Product area', 'string'],
    ]);
  });

  it('seeds release issues in the configured project with custom field values', async () => {
    const answer = await call('GET', '/rest/api/3/issue/REL-1');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      key: 'REL-1',
      id: '10000',
      self: `${served.url}/rest/api/3/issue/10000`,
    });
    expect(answer.body.fields).toMatchObject({
      summary: 'Usage-based billing',
      status: { name: 'To Do', statusCategory: { key: 'new' } },
      issuetype: { name: 'Task', subtask: false },
      project: { key: 'REL' },
      labels: ['release'],
      [tier]: { value: '3' },
      [launchDate]: '2027-02-15',
      [productArea]: 'Billing',
      subtasks: [],
    });
    expect(store().issue('REL-3')?.statusId).toBe(store().statusByName('Released')!.id);
  });

  it('offers the workflow from the configuration, including Released and Cancelled', async () => {
    const answer = await call('GET', '/rest/api/3/issue/REL-2/transitions');
    expect(answer.status).toBe(200);
    const names = as<{ name: string; to: { name: string } }[]>(answer.body.transitions).map(
      (t) => `${t.name}->${t.to.name}`,
    );
    expect(names.sort()).toEqual([
      'Cancel->Cancelled',
      'Done->Done',
      'Release->Released',
      'Stop progress->To Do',
    ]);
  });
});

describe('POST /rest/api/3/issue', () => {
  it('refuses a request without summary, project and issue type with each field named', async () => {
    const answer = await call('POST', createPath, { fields: {} });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      errorMessages: [],
      errors: {
        summary: 'You must specify a summary of the issue.',
        project: 'Specify a valid project ID or key',
        issuetype: 'Specify an issue type',
      },
    });
    const blank = await call('POST', createPath, validTask({ summary: '   ' }));
    expect(blank.body.errors).toEqual({ summary: 'You must specify a summary of the issue.' });
  });

  it('refuses an unknown project, issue type and field', async () => {
    const answer = await call(
      'POST',
      createPath,
      validTask({ project: { key: 'NOPE' }, issuetype: { name: 'Epic' }, priority: { name: 'High' } }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual({
      project: 'Specify a valid project ID or key',
      issuetype: 'The issue type selected is invalid.',
      priority: "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown.",
    });
  });

  it('refuses a sub-task without a parent, a parent for a task, and a parent that does not exist', async () => {
    const orphan = await call('POST', createPath, validTask({ issuetype: { name: 'Sub-task' } }));
    expect(orphan.status).toBe(400);
    expect(orphan.body.errors).toEqual({
      issuetype: 'Issue type is a sub-task but parent issue key or id not specified.',
    });

    const taskWithParent = await call('POST', createPath, validTask({ parent: { key: 'REL-1' } }));
    expect(taskWithParent.body.errors).toEqual({
      parent: 'Given parent issue does not belong to appropriate hierarchy.',
    });

    const missingParent = await call(
      'POST',
      createPath,
      validTask({ issuetype: { name: 'Sub-task' }, parent: { key: 'REL-999' } }),
    );
    expect(missingParent.body.errors).toEqual({ parent: 'Could not find issue by id or key.' });
  });

  it('refuses a sub-task of a sub-task', async () => {
    const child = await createTask({ issuetype: { name: 'Sub-task' }, parent: { key: 'REL-1' } });
    const grandchild = await call(
      'POST',
      createPath,
      validTask({ issuetype: { name: 'Sub-task' }, parent: { key: child.key } }),
    );
    expect(grandchild.status).toBe(400);
    expect(grandchild.body.errors?.parent).toBe(
      'Given parent issue does not belong to appropriate hierarchy.',
    );
  });

  it('refuses values of the wrong shape field by field', async () => {
    const answer = await call(
      'POST',
      createPath,
      validTask({
        summary: 'two\nlines',
        description: 'plain text is v2, not v3',
        labels: ['has space'],
        assignee: { accountId: 'nobody' },
        duedate: '2026-02-30',
        [tier]: { value: '4' },
        [launchDate]: 'next week',
        [productArea]: 42,
      }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual({
      summary: 'The summary is invalid because it contains newline characters.',
      description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)',
      labels: "The label 'has space' contains spaces which is invalid.",
      assignee: 'Specified user does not exist or you do not have required permissions',
      duedate: 'Error parsing date string: 2026-02-30',
      [tier]: "Option value '4' is not valid",
      [launchDate]: 'Error parsing date string: next week',
      [productArea]: 'Operation value must be a string',
    });
    expect(store().issues.size).toBe(3);
  });

  it('refuses a summary over 255 characters, text over 255 characters and invalid ADF', async () => {
    const answer = await call(
      'POST',
      createPath,
      validTask({
        summary: 'x'.repeat(256),
        [productArea]: 'y'.repeat(256),
        description: {
          type: 'doc',
          version: 1,
          content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }],
        },
      }),
    );
    expect(answer.body.errors).toMatchObject({
      summary: 'Summary must be less than 255 characters.',
      [productArea]: 'The entered text is too long. It exceeds the allowed limit of 255 characters.',
      description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)',
    });
  });

  it('refuses malformed properties and unsupported update operations', async () => {
    const tooLong = await call('POST', createPath, {
      ...validTask(),
      properties: [{ key: 'p', value: 'x'.repeat(40000) }],
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errorMessages?.[0]).toMatch(/too long/);
    const noKey = await call('POST', createPath, { ...validTask(), properties: [{ value: 1 }] });
    expect(noKey.body.errorMessages).toEqual(['The property key cannot be empty.']);
    const update = await call('POST', createPath, { ...validTask(), update: { labels: [{ add: 'x' }] } });
    expect(update.status).toBe(400);
    const notJson = await call('POST', createPath, '{"fields":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errorMessages).toEqual(['Body is not valid JSON']);
  });

  it('creates an issue with its fields and properties and answers { id, key, self }', async () => {
    const answer = await call('POST', createPath, {
      ...validTask({
        description: adf('Why we ship'),
        labels: ['a', 'b', 'a'],
        assignee: { accountId: ana.jiraAccountId },
        duedate: '2027-01-10',
        [tier]: { value: '2' },
      }),
      properties: [{ key: 'prodops.idempotency', value: { key: 'release:REL-1:x' } }],
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ id: '10003', key: 'REL-4', self: `${served.url}/rest/api/3/issue/10003` });
    const issue = store().issue('REL-4')!;
    expect(issue).toMatchObject({
      labels: ['a', 'b'],
      assigneeAccountId: ana.jiraAccountId,
      duedate: '2027-01-10',
      reporterAccountId: ana.jiraAccountId,
    });
    const twoOption = store()
      .customFields.find((f) => f.id === tier)
      ?.options.find((o) => o.value === '2');
    expect(issue.customFields[tier]).toEqual(twoOption);
    expect(store().properties.get('REL-4')?.get('prodops.idempotency')).toEqual({ key: 'release:REL-1:x' });
  });

  it("lists a sub-task among its parent's subtasks", async () => {
    const child = await createTask({
      issuetype: { id: '10003' },
      parent: { id: '10000' },
      summary: 'Support readiness',
    });
    const parent = await call('GET', '/rest/api/3/issue/REL-1?fields=subtasks');
    expect(Object.keys(parent.body.fields ?? {})).toEqual(['subtasks']);
    expect(parent.body.fields).toMatchObject({
      subtasks: [
        {
          id: child.id,
          key: child.key,
          self: `${served.url}/rest/api/3/issue/${child.id}`,
          fields: { summary: 'Support readiness', status: { name: 'To Do' } },
        },
      ],
    });
    const got = await call('GET', `/rest/api/3/issue/${child.key}?fields=parent,issuetype`);
    expect(got.body.fields?.parent).toMatchObject({
      key: 'REL-1',
      fields: { summary: 'Usage-based billing' },
    });
    expect(got.body.fields?.issuetype).toMatchObject({ name: 'Sub-task', subtask: true });
  });
});

describe('GET /rest/api/3/issue/{issueIdOrKey}', () => {
  it("answers 404 in Jira's words for an unknown issue", async () => {
    const answer = await call('GET', '/rest/api/3/issue/REL-404');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ errorMessages: [ISSUE_NOT_FOUND], errors: {} });
  });

  it('resolves ids and lower-case keys, returns only the requested fields and the requested properties', async () => {
    store().propertiesOf('REL-2').set('team', { name: 'insights' });
    const answer = await call(
      'GET',
      '/rest/api/3/issue/rel-2?fields=summary&fields=status&properties=team,absent',
    );
    expect(answer.body.key).toBe('REL-2');
    expect(Object.keys(answer.body.fields ?? {}).sort()).toEqual(['status', 'summary']);
    expect(answer.body.properties).toEqual({ team: { name: 'insights' } });
    const byId = await call('GET', '/rest/api/3/issue/10001?fields=-summary,*all');
    expect(byId.body.key).toBe('REL-2');
    expect(byId.body.fields?.summary).toBeUndefined();
    expect(byId.body.fields?.status?.name).toBe('In Progress');
  });
});

describe('GET and POST /rest/api/3/search/jql', () => {
  const search = (params: Record<string, string | string[]>) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const item of [v].flat()) query.append(k, item);
    return call('GET', `/rest/api/3/search/jql?${query.toString()}`);
  };

  it('returns only issue ids unless fields are asked for', async () => {
    const answer = await search({ jql: 'project = REL' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      issues: [{ id: '10002' }, { id: '10001' }, { id: '10000' }],
      isLast: true,
    });
  });

  it('pages with nextPageToken until isLast', async () => {
    for (let i = 0; i < 7; i++) await createTask({ labels: ['batch'], summary: `Batch ${i}` });
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const answer = await search({
        jql: 'labels = batch ORDER BY created ASC',
        fields: 'summary',
        maxResults: '3',
        ...(token ? { nextPageToken: token } : {}),
      });
      expect(answer.status).toBe(200);
      keys.push(...as<{ key: string }[]>(answer.body.issues).map((i) => i.key));
      token = as<string | undefined>(answer.body.nextPageToken);
      expect(answer.body.isLast).toBe(token === undefined);
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(keys).toEqual(['REL-4', 'REL-5', 'REL-6', 'REL-7', 'REL-8', 'REL-9', 'REL-10']);
  });

  it('caps a page at 100 issues with fields and 5000 with ids only', async () => {
    for (let i = 0; i < 120; i++)
      store().createIssue(validTask({ labels: ['bulk'] }).fields, [], hana.jiraAccountId!);
    const withFields = await search({ jql: 'labels = bulk', fields: 'summary', maxResults: '500' });
    expect(withFields.body.issues).toHaveLength(100);
    expect(withFields.body.isLast).toBe(false);
    const idsOnly = await search({ jql: 'labels = bulk', fields: 'key', maxResults: '500' });
    expect(idsOnly.body.issues).toHaveLength(120);
    expect(idsOnly.body.isLast).toBe(true);
  });

  it('answers the supported clauses: project, key, parent, labels, status, issuetype, assignee, IN, !=, IS EMPTY', async () => {
    const child = await createTask({
      issuetype: { name: 'Sub-task' },
      parent: { key: 'REL-1' },
      labels: ['readiness'],
    });
    const keysOf = async (jql: string) => {
      const answer = await call('POST', '/rest/api/3/search/jql', { jql, fields: ['key'], maxResults: 50 });
      expect(answer.status, jql).toBe(200);
      return as<{ key: string }[]>(answer.body.issues)
        .map((i) => i.key)
        .sort();
    };
    expect(await keysOf('project = "REL" AND status = "in progress"')).toEqual(['REL-2']);
    expect(await keysOf('key in (REL-1, REL-3)')).toEqual(['REL-1', 'REL-3']);
    expect(await keysOf('parent = REL-1')).toEqual([child.key]);
    expect(await keysOf('labels = readiness')).toEqual([child.key]);
    expect(await keysOf('issuetype = Sub-task')).toEqual([child.key]);
    expect(await keysOf('project = REL AND labels != readiness')).toEqual(['REL-1', 'REL-2', 'REL-3']);
    expect(await keysOf('project = REL AND assignee is EMPTY')).toEqual([child.key]);
    expect(await keysOf(`assignee = "${ana.jiraAccountId}"`)).toEqual(['REL-1']);
    expect(await keysOf('status not in ("To Do", Released) AND project = REL')).toEqual(['REL-2']);
  });

  it("refuses JQL it cannot answer with Jira's error shape instead of returning everything", async () => {
    const refusals: [string, RegExp][] = [
      ['', /Unbounded JQL queries are not allowed/],
      ['ORDER BY created', /Unbounded JQL queries are not allowed/],
      ['project = REL OR labels = x', /'OR' is not supported/],
      ['summary ~ "billing"', /The field 'summary' is not supported/],
      ['flavour = vanilla', /^Field 'flavour' does not exist or you do not have permission to view it\.$/],
      ['status = Shipped', /^The value 'Shipped' does not exist for the field 'status'\.$/],
      ['project = NOPE', /^The value 'NOPE' does not exist for the field 'project'\.$/],
      ['key = REL-999', /^An issue with key 'REL-999' does not exist for field 'key'\.$/],
      ['issue.property[prodops.idempotency].key = "x"', /Searching issue properties/],
      ['labels ~ x', /The operator '~' is not supported by the 'labels' field/],
      ['project = "REL', /has not been completed/],
      ['project = REL labels = x', /Expecting either 'OR' or 'AND' but got 'labels'/],
      ['assignee = currentUser()', /function 'currentUser\(\)'/],
      ['project = REL ORDER BY rank', /Ordering by 'rank'/],
    ];
    for (const [jql, message] of refusals) {
      const answer = await search(jql === '' ? {} : { jql });
      expect(answer.status, jql).toBe(400);
      expect(answer.body.errors, jql).toEqual({});
      expect(answer.body.errorMessages?.[0], jql).toMatch(message);
    }
  });

  it('refuses a foreign or garbled nextPageToken and a maxResults below 1', async () => {
    const first = await search({ jql: 'project = REL', maxResults: '1' });
    const token = as<string>(first.body.nextPageToken);
    expect((await search({ jql: 'labels = other', nextPageToken: token })).body.errorMessages).toEqual([
      'The provided next page token is invalid or expired.',
    ]);
    expect((await search({ jql: 'project = REL', nextPageToken: 'garbage' })).status).toBe(400);
    expect((await search({ jql: 'project = REL', maxResults: '0' })).status).toBe(400);
    expect(
      (await call('POST', '/rest/api/3/search/jql', { jql: 'project = REL', fields: 'summary' })).status,
    ).toBe(400);
  });

  it('parses quoted values with escapes', () => {
    expect(parseJql('labels = "a \\"b\\"" ORDER BY key DESC, created')).toEqual({
      clauses: [{ field: 'labels', operator: '=', values: ['a "b"'], at: 1 }],
      order: [
        { field: 'key', descending: true },
        { field: 'created', descending: false },
      ],
    });
  });
});

describe('transitions', () => {
  it('moves an issue with an offered transition and records the change', async () => {
    const answer = await call('POST', '/rest/api/3/issue/REL-1/transitions', { transition: { id: '11' } });
    expect(answer.status).toBe(204);
    const issue = store().issue('REL-1')!;
    expect(store().statusById(issue.statusId).name).toBe('In Progress');
    expect(issue.changelog.at(-1)?.items).toEqual([
      {
        field: 'status',
        fieldtype: 'jira',
        fieldId: 'status',
        from: '10000',
        fromString: 'To Do',
        to: '3',
        toString: 'In Progress',
      },
    ]);
    expect(store().transitionLog.at(-1)).toMatchObject({
      issueKey: 'REL-1',
      transitionId: '11',
      fromStatus: 'To Do',
      toStatus: 'In Progress',
      byAccountId: ana.jiraAccountId,
    });
  });

  it('refuses an unknown transition, one not offered from the current status, and a missing id', async () => {
    const unknown = await call('POST', '/rest/api/3/issue/REL-1/transitions', { transition: { id: '999' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      errorMessages: ["Transition id '999' is not valid for this issue."],
      errors: {},
    });
    const notOffered = await call('POST', '/rest/api/3/issue/REL-1/transitions', {
      transition: { id: '41' },
    });
    expect(notOffered.body.errorMessages).toEqual(["Transition id '41' is not valid for this issue."]);
    const missing = await call('POST', '/rest/api/3/issue/REL-1/transitions', {});
    expect(missing.body.errorMessages).toEqual(["Missing 'transition' identifier"]);
    const gone = await call('POST', '/rest/api/3/issue/REL-77/transitions', { transition: { id: '11' } });
    expect(gone.status).toBe(404);
  });

  it('shows a screen asking for a resolution on the way to done statuses, and refuses the move without one', async () => {
    const plain = await call('GET', '/rest/api/3/issue/REL-1/transitions');
    const done = as<{ id: string; hasScreen: boolean; fields?: unknown }[]>(plain.body.transitions).find(
      (t) => t.id === '31',
    )!;
    expect(done).toMatchObject({ hasScreen: true });
    expect(done.fields).toBeUndefined();
    const expanded = await call('GET', '/rest/api/3/issue/REL-1/transitions?expand=transitions.fields');
    const fields = as<{ id: string; fields: Record<string, Body> }[]>(expanded.body.transitions);
    expect(fields.find((t) => t.id === '11')!.fields).toEqual({});
    expect(fields.find((t) => t.id === '31')!.fields.resolution).toMatchObject({
      required: true,
      key: 'resolution',
      allowedValues: [
        expect.objectContaining({ name: 'Done' }),
        expect.objectContaining({ name: "Won't Do" }),
        expect.objectContaining({ name: 'Duplicate' }),
        expect.objectContaining({ name: 'Cannot Reproduce' }),
      ],
    });

    const bare = await call('POST', '/rest/api/3/issue/REL-1/transitions', { transition: { id: '31' } });
    expect(bare).toMatchObject({ status: 400, body: { errors: { resolution: 'Resolution is required.' } } });
    const unknown = await call('POST', '/rest/api/3/issue/REL-1/transitions', {
      transition: { id: '31' },
      fields: { resolution: { name: 'Shipped' } },
    });
    expect(unknown.body.errors?.resolution).toMatch(/valid resolution/);
    const offScreen = await call('POST', '/rest/api/3/issue/REL-1/transitions', {
      transition: { id: '11' },
      fields: { resolution: { name: 'Done' } },
    });
    expect(offScreen.body.errors?.resolution).toMatch(/not on the appropriate screen/);
    expect(store().issue('REL-1')!.changelog).toHaveLength(0);

    const moved = await call('POST', '/rest/api/3/issue/REL-1/transitions', {
      transition: { id: '31' },
      fields: { resolution: { name: "won't do" } },
    });
    expect(moved.status).toBe(204);
    const read = await call('GET', '/rest/api/3/issue/REL-1?fields=resolution,status');
    expect(read.body.fields?.resolution).toMatchObject({ name: "Won't Do" });
    expect(
      store()
        .issue('REL-1')!
        .changelog.at(-1)
        ?.items.map((i) => [i.field, i.toString]),
    ).toEqual([
      ['status', 'Done'],
      ['resolution', "Won't Do"],
    ]);
    // Reopening clears it.
    await call('POST', '/rest/api/3/issue/REL-1/transitions', { transition: { id: '61' } });
    expect(
      (await call('GET', '/rest/api/3/issue/REL-1?fields=resolution')).body.fields?.resolution,
    ).toBeNull();
  });
});

describe('issue links', () => {
  it('links two issues one way, shows the link from both ends and keeps a repeated link once', async () => {
    const link = {
      type: { name: 'Duplicate' },
      inwardIssue: { key: 'REL-2' },
      outwardIssue: { key: 'REL-1' },
    };
    expect((await call('POST', '/rest/api/3/issueLink', link)).status).toBe(201);
    expect((await call('POST', '/rest/api/3/issueLink', link)).status).toBe(201);
    const original = await call('GET', '/rest/api/3/issue/REL-1?fields=issuelinks');
    expect(original.body.fields?.issuelinks).toHaveLength(1);
    expect(original.body.fields?.issuelinks).toMatchObject([
      { type: { name: 'Duplicate', inward: 'is duplicated by' }, inwardIssue: { key: 'REL-2' } },
    ]);
    const twin = await call('GET', '/rest/api/3/issue/REL-2?fields=issuelinks');
    expect(twin.body.fields?.issuelinks).toMatchObject([{ outwardIssue: { key: 'REL-1' } }]);
    expect(
      (await call('POST', '/rest/api/3/issueLink', { ...link, type: { name: 'Supersedes' } })).status,
    ).toBe(404);
    expect(
      (await call('POST', '/rest/api/3/issueLink', { ...link, inwardIssue: { key: 'REL-99' } })).status,
    ).toBe(404);
    const types = await call('GET', '/rest/api/3/issueLinkType');
    expect(as<{ name: string }[]>(types.body.issueLinkTypes).map((t) => t.name)).toContain('Duplicate');
  });
});

describe('search index lag', () => {
  it('leaves a new issue out of search until the lag has passed, while reads by key see it at once', async () => {
    let now = Date.UTC(2026, 5, 1, 9, 0, 0);
    const lagging = await serveVendor(
      createJiraSandbox(config, { now: () => new Date(now), indexLagMs: 30_000 }),
    );
    try {
      const created = await fetch(`${lagging.url}/rest/api/3/issue`, {
        method: 'POST',
        headers: { authorization: AS_ANA, 'content-type': 'application/json' },
        body: JSON.stringify({
          fields: {
            project: { key: 'REL' },
            issuetype: { name: 'Task' },
            summary: 'Fresh',
            labels: ['fresh'],
          },
        }),
      });
      const { key } = (await created.json()) as { key: string };
      const search = async () => {
        const res = await fetch(`${lagging.url}/rest/api/3/search/jql?jql=labels%20%3D%20fresh&fields=key`, {
          headers: { authorization: AS_ANA },
        });
        return ((await res.json()) as { issues: unknown[] }).issues.length;
      };
      expect(await search()).toBe(0);
      const byKey = await fetch(`${lagging.url}/rest/api/3/issue/${key}`, {
        headers: { authorization: AS_ANA },
      });
      expect(byKey.status).toBe(200);
      now += 30_000;
      expect(await search()).toBe(1);
    } finally {
      await lagging.close();
    }
  });
});

describe('comments', () => {
  it('refuses an empty, plain-text, malformed or over-long body', async () => {
    const path = '/rest/api/3/issue/REL-1/comment';
    expect((await call('POST', path, {})).body).toEqual({
      errorMessages: [],
      errors: { comment: 'Comment body can not be empty!' },
    });
    expect((await call('POST', path, { body: 'plain' })).body.errors).toEqual({
      comment: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)',
    });
    expect(
      (
        await call('POST', path, {
          body: { type: 'doc', version: 1, content: [{ type: 'text', text: 'loose' }] },
        })
      ).status,
    ).toBe(400);
    expect((await call('POST', path, { body: adf('x'.repeat(32768)) })).body.errors?.comment).toMatch(
      /32,767/,
    );
    expect(store().commentsOf('REL-1')).toHaveLength(0);
  });

  it('stores properties given on create and shows them with expand=properties', async () => {
    const created = await call('POST', '/rest/api/3/issue/REL-1/comment', {
      body: adf('Plan v1'),
      properties: [{ key: 'prodops.idempotency', value: { key: 'k1' } }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: '10000',
      body: adf('Plan v1'),
      author: { accountId: ana.jiraAccountId },
    });
    expect(created.body.properties).toBeUndefined();

    // The issue's listing expands renderedBody only: properties are documented on comment/list.
    const listed = await call('GET', '/rest/api/3/issue/REL-1/comment?expand=properties');
    expect(listed.body).toMatchObject({ startAt: 0, total: 1, comments: [{ id: '10000' }] });
    expect(as<Body[]>(listed.body.comments)[0]!.properties).toBeUndefined();
    const byIds = await call('POST', '/rest/api/3/comment/list?expand=properties', { ids: [10000, 4242] });
    expect(byIds.body).toMatchObject({
      total: 1,
      isLast: true,
      values: [{ id: '10000', properties: [{ key: 'prodops.idempotency', value: { key: 'k1' } }] }],
    });
    expect((await call('POST', '/rest/api/3/comment/list', { ids: [] })).status).toBe(400);
    const one = await call('GET', '/rest/api/3/issue/REL-1/comment/10000');
    expect(one.body.id).toBe('10000');
    expect((await call('GET', '/rest/api/3/issue/REL-1/comment/99')).status).toBe(404);
  });

  it('pages comments at most 100 at a time', async () => {
    for (let i = 0; i < 130; i++) store().addComment('REL-2', adf(`c${i}`), hana.jiraAccountId!);
    const first = await call('GET', '/rest/api/3/issue/REL-2/comment?maxResults=500');
    expect(first.body).toMatchObject({ startAt: 0, maxResults: 100, total: 130 });
    expect(first.body.comments).toHaveLength(100);
    const second = await call(
      'GET',
      '/rest/api/3/issue/REL-2/comment?startAt=100&maxResults=100&orderBy=-created',
    );
    expect(second.body.comments).toHaveLength(30);
    expect(second.body.comments?.[0]?.body?.content?.[0]?.content?.[0]?.text).toBe('c29');
    expect((await call('GET', '/rest/api/3/issue/REL-2/comment?orderBy=author')).status).toBe(400);
  });
});

describe('issue properties', () => {
  const path = '/rest/api/3/issue/REL-1/properties/prodops.state';

  it('creates with 201, replaces with 200, reads, lists and deletes', async () => {
    expect((await call('GET', path)).body).toEqual({
      errorMessages: ["The property with key 'prodops.state' does not exist."],
      errors: {},
    });
    expect((await call('PUT', path, { phase: 'planning' })).status).toBe(201);
    expect((await call('PUT', path, { phase: 'launched' })).status).toBe(200);
    expect((await call('GET', path)).body).toEqual({ key: 'prodops.state', value: { phase: 'launched' } });
    expect((await call('GET', '/rest/api/3/issue/REL-1/properties')).body.keys).toEqual([
      { key: 'prodops.state', self: `${served.url}/rest/api/3/issue/10000/properties/prodops.state` },
    ]);
    expect((await call('DELETE', path)).status).toBe(204);
    expect((await call('GET', path)).status).toBe(404);
  });

  it('refuses an empty or over-long value, and properties of a missing issue', async () => {
    expect((await call('PUT', path)).status).toBe(400);
    const long = await call('PUT', path, { text: 'x'.repeat(33000) });
    expect(long.status).toBe(400);
    expect(long.body.errorMessages?.[0]).toMatch(/too long/);
    expect((await call('PUT', '/rest/api/3/issue/REL-404/properties/x', { a: 1 })).status).toBe(404);
  });
});

describe('bulk fetch', () => {
  it('returns the issues it knows with their properties and refuses an empty or oversized list', async () => {
    store().propertiesOf('REL-2').set('prodops.idempotency', { key: 'k' });
    const answer = await call('POST', '/rest/api/3/issue/bulkfetch', {
      issueIdsOrKeys: ['REL-2', 'REL-404'],
      fields: ['labels'],
      properties: ['prodops.idempotency'],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      issues: [
        {
          key: 'REL-2',
          fields: { labels: ['release'] },
          properties: { 'prodops.idempotency': { key: 'k' } },
        },
      ],
      issueErrors: [],
    });
    expect((await call('POST', '/rest/api/3/issue/bulkfetch', { issueIdsOrKeys: [] })).status).toBe(400);
    expect(
      (
        await call('POST', '/rest/api/3/issue/bulkfetch', {
          issueIdsOrKeys: Array.from({ length: 101 }, (_, i) => `REL-${i + 1}`),
        })
      ).status,
    ).toBe(400);
  });
});

describe('changes made as a person would (store)', () => {
  it('records a changelog entry per edit and tells listeners', async () => {
    const events: JiraSandboxEvent[] = [];
    const stop = store().onEvent((e) => events.push(e));
    const options = store().customFields.find((f) => f.id === tier)!.options;
    const entry = store().updateIssue(
      'REL-1',
      {
        [tier]: { value: '2' },
        [launchDate]: '2027-03-01',
        duedate: '2027-02-28',
        assignee: { accountId: hana.jiraAccountId },
        labels: ['release', 'moved'],
      },
      hana.jiraAccountId,
    );
    stop();
    expect(entry?.items).toEqual([
      {
        field: 'labels',
        fieldtype: 'jira',
        fieldId: 'labels',
        from: null,
        fromString: 'release',
        to: null,
        toString: 'release moved',
      },
      {
        field: 'assignee',
        fieldtype: 'jira',
        fieldId: 'assignee',
        from: ana.jiraAccountId,
        fromString: 'Ana Costa',
        to: hana.jiraAccountId,
        toString: 'Hana Okafor',
      },
      {
        field: 'duedate',
        fieldtype: 'jira',
        fieldId: 'duedate',
        from: null,
        fromString: null,
        to: '2027-02-28',
        toString: '2027-02-28',
      },
      {
        field: 'Tier',
        fieldtype: 'custom',
        fieldId: tier,
        from: options[2]!.id,
        fromString: '3',
        to: options[1]!.id,
        toString: '2',
      },
      {
        field: 'Launch date',
        fieldtype: 'custom',
        fieldId: launchDate,
        from: '2027-02-15',
        fromString: '2027-02-15',
        to: '2027-03-01',
        toString: '2027-03-01',
      },
    ]);
    expect(events).toEqual([
      {
        webhookEvent: 'jira:issue_updated',
        issueKey: 'REL-1',
        timestamp: entry!.created,
        accountId: hana.jiraAccountId,
        changelog: entry,
      },
    ]);
    expect(store().updateIssue('REL-1', { [launchDate]: '2027-03-01' })).toBeNull();

    const shown = await call('GET', '/rest/api/3/issue/REL-1?fields=status&expand=changelog');
    expect(shown.body.changelog).toMatchObject({
      total: 1,
      histories: [{ id: entry!.id, author: { accountId: hana.jiraAccountId }, items: entry!.items }],
    });
  });

  it('refuses edits Jira would refuse', () => {
    expect(() => store().updateIssue('REL-1', { [tier]: { value: '9' } })).toThrow(JiraFieldErrors);
    expect(() => store().updateIssue('REL-1', { project: { key: 'REL' } })).toThrow(/cannot be set/);
    expect(() => store().updateIssue('REL-404', { summary: 'x' })).toThrow(ISSUE_NOT_FOUND);
  });

  it('transitions by status name along the workflow only', () => {
    const entry = store().transition('REL-1', 'done');
    expect(entry.items[0]).toMatchObject({ field: 'status', fromString: 'To Do', toString: 'Done' });
    expect(() => store().transition('REL-1', 'In Progress')).toThrow(/no such transition/);
    expect(() => store().transition('REL-1', 'Shipped')).toThrow(/not a status/);
    expect(store().transition('REL-1', 'Released').items[0]?.toString).toBe('Released');
  });
});

describe('router-level errors and the state view', () => {
  it("answers unknown routes and injected faults in Jira's error shape", async () => {
    const unknown = await call('GET', '/rest/api/3/dashboard');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ errorMessages: ['No route for GET /rest/api/3/dashboard'], errors: {} });
    served.router.injectFault({
      route: 'GET /rest/api/3/issue/:issueIdOrKey',
      fault: { kind: 'status', status: 429, retryAfterSeconds: 3, times: 1 },
    });
    const limited = await call('GET', '/rest/api/3/issue/REL-1');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.body).toEqual({ errorMessages: ['Rate limited (injected)'], errors: {} });
  });

  it('shows issues, comments, properties and changes in the snapshot', () => {
    store().addComment('REL-1', adf('hello'), hana.jiraAccountId!, [{ key: 'p', value: 1 }]);
    store().transition('REL-1', 'In Progress');
    const snapshot = served.vendor.snapshot();
    expect(snapshot.issues?.[0]).toMatchObject({
      key: 'REL-1',
      status: 'In Progress',
      Tier: '3',
      'Launch date': '2027-02-15',
      assignee: 'Ana Costa',
    });
    expect(snapshot.comments).toEqual([
      expect.objectContaining({ issue: 'REL-1', text: 'hello', properties: 'p' }),
    ]);
    expect(snapshot.changelog).toEqual([
      expect.objectContaining({ issue: 'REL-1', changes: 'status: To Do → In Progress' }),
    ]);
  });
});

describe('responses match the shapes jira.js validates', () => {
  it('parses every endpoint prodops uses without a schema mismatch', async () => {
    const jira = createCloudClient({
      host: served.url,
      auth: { type: 'basic', email: ana.email, apiToken: 't' },
      onSchemaMismatch: 'throw',
      retry: { maxAttempts: 1 },
    });
    await jira.issueComments.addComment({
      issueIdOrKey: 'REL-1',
      body: adf('hi'),
      properties: [{ key: 'a', value: 1 }],
    });
    store().transition('REL-1', 'In Progress');
    await expect(jira.myself.getCurrentUser()).resolves.toMatchObject({ accountId: ana.jiraAccountId });
    await expect(jira.issueFields.getFields()).resolves.toEqual(
      expect.arrayContaining([expect.objectContaining({ id: tier })]),
    );
    await expect(jira.issues.getIssue({ issueIdOrKey: 'REL-1', expand: 'changelog' })).resolves.toMatchObject(
      { key: 'REL-1' },
    );
    expect(
      (await jira.issues.getTransitions({ issueIdOrKey: 'REL-1' })).transitions?.map((t) => t.to?.name),
    ).toContain('To Do');
    await expect(
      jira.issueComments.getComments({ issueIdOrKey: 'REL-1', expand: 'properties' }),
    ).resolves.toMatchObject({ total: 1 });
    await expect(
      jira.issueComments.getCommentsByIds({ ids: [10000], expand: 'properties' }),
    ).resolves.toMatchObject({ values: [expect.objectContaining({ properties: [{ key: 'a', value: 1 }] })] });
    await expect(
      jira.issues.getTransitions({ issueIdOrKey: 'REL-1', expand: 'transitions.fields' }),
    ).resolves.toSatisfy((answer: { transitions?: { hasScreen?: boolean }[] }) =>
      (answer.transitions ?? []).some((t) => t.hasScreen === true),
    );
    await jira.issues.doTransition({
      issueIdOrKey: 'REL-1',
      transition: { id: '31' },
      fields: { resolution: { name: 'Done' } },
    });
    await jira.issueLinks.linkIssues({
      type: { name: 'Duplicate' },
      inwardIssue: { key: 'REL-2' },
      outwardIssue: { key: 'REL-1' },
    });
    await expect(
      jira.issues.getIssue({ issueIdOrKey: 'REL-1', fields: ['issuelinks', 'resolution'] }),
    ).resolves.toMatchObject({ fields: { resolution: { name: 'Done' } } });
    await expect(
      jira.issueSearch.searchAndReconsileIssuesUsingJql({ jql: 'project = REL', fields: ['*all'] }),
    ).resolves.toMatchObject({ isLast: true });
    await expect(jira.issues.bulkFetchIssues({ issueIdsOrKeys: ['REL-1'] })).resolves.toMatchObject({
      issues: [expect.objectContaining({ key: 'REL-1' })],
    });
    await expect(jira.issueProperties.getIssuePropertyKeys({ issueIdOrKey: 'REL-1' })).resolves.toEqual({
      keys: [],
    });
  });
});
