/**
 * The Jira activities against the sandbox and, with PRODOPS_CONTRACT=jira, against a real Jira
 * Cloud site: idempotent creates while search trails writes, sub-tasks, comment properties,
 * transition screens and closing a twin. What only a real site can tell (how long search lags,
 * whether the issue's comment listing carries properties anyway, which way a Duplicate link
 * reads) is printed as it is learned. Every issue made is deleted afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createJiraActivities,
  createJiraClient,
  type JiraActivities,
  type JiraClient,
  type JiraIntegrationConfig,
} from '../../activities/jira';
import { jiraLabel } from '../../contracts/node/idempotency';
import { createJiraSandbox, type JiraStore } from '../../sandbox/jira';
import { serveVendor } from '../helpers/sandbox';
import { Cleanup, contractConfig, contractSuite, report, RUN_TAG, within, type Target } from './targets';
import { JIRA_KEY_PROPERTY } from '../../contracts/stamps';

interface Rig {
  client: JiraClient;
  jira: JiraIntegrationConfig;
  /** Activities as a given attempt of an activity sees them. */
  onAttempt(attempt: number): JiraActivities;
  store?: JiraStore;
  close(): Promise<void>;
}

async function rigFor(target: Target): Promise<Rig> {
  const config = contractConfig();
  if (target.name === 'live') {
    const env = process.env;
    const client = createJiraClient({
      host: env.PRODOPS_CONTRACT_JIRA_URL!,
      email: env.PRODOPS_JIRA_EMAIL,
      apiToken: env.PRODOPS_JIRA_API_TOKEN,
    });
    const jira = { ...config.integrations.jira, projectKey: env.PRODOPS_CONTRACT_JIRA_PROJECT! };
    return {
      client,
      jira,
      onAttempt: (attempt) =>
        createJiraActivities({
          client,
          jira,
          attempt: () => attempt,
          searchSettle: { waitMs: 90_000, pollMs: 3_000 },
        }),
      close: async () => {},
    };
  }
  const served = await serveVendor(createJiraSandbox(config));
  const client = createJiraClient({
    host: served.url,
    email: 'contract@northwind.example',
    apiToken: 't',
    onSchemaMismatch: 'throw',
  });
  const jira = config.integrations.jira;
  return {
    client,
    jira,
    onAttempt: (attempt) =>
      createJiraActivities({
        client,
        jira,
        attempt: () => attempt,
        searchSettle: { waitMs: 10_000, pollMs: 250 },
      }),
    store: served.vendor.store,
    close: () => served.close(),
  };
}

contractSuite('jira', (target) => {
  let rig: Rig;
  const cleanup = new Cleanup();
  const key = (name: string) => `${RUN_TAG}:${name}`;
  const remember = (issueKey: string) =>
    cleanup.add(`delete ${issueKey}`, () =>
      rig.client.issues.deleteIssue({ issueIdOrKey: issueKey, deleteSubtasks: 'true' }),
    );
  const searchByLabel = async (idempotencyKey: string) => {
    const page = await rig.client.issueSearch.searchAndReconsileIssuesUsingJql({
      jql: `project = "${rig.jira.projectKey}" AND labels = "${jiraLabel(idempotencyKey)}"`,
      fields: ['key'],
    });
    return (page.issues ?? []).map((i) => i.key!);
  };

  beforeAll(async () => {
    rig = await rigFor(target);
  });
  afterAll(async () => {
    try {
      await cleanup.run();
    } finally {
      await rig?.close();
    }
  });

  it(
    'a retry right after a create finds the first issue however long search takes to show it',
    { timeout: 180_000 },
    async () => {
      // On the sandbox, search is made to trail writes by 1.5 s; a real site does so by itself.
      if (rig.store) rig.store.indexLagMs = 1_500;
      const k = key('retry');
      const first = await rig.onAttempt(1).createIssue({ idempotencyKey: k, summary: `${RUN_TAG} retry` });
      remember(first.key);
      const visibleAtOnce = (await searchByLabel(k)).length > 0;
      const started = Date.now();
      const retry = await rig.onAttempt(2).createIssue({ idempotencyKey: k, summary: `${RUN_TAG} retry` });
      if (retry.created) remember(retry.key);
      expect(retry).toEqual({ key: first.key, id: first.id, created: false });
      report(
        'jira',
        target,
        `a new issue was ${visibleAtOnce ? '' : 'not '}in search at once; the retry found it after ${Date.now() - started} ms`,
      );
      if (rig.store) rig.store.indexLagMs = 0;
    },
  );

  it('finds a sub-task through its parent at once', async () => {
    const parent = await rig
      .onAttempt(1)
      .createIssue({ idempotencyKey: key('parent'), summary: `${RUN_TAG} parent` });
    remember(parent.key);
    const input = { idempotencyKey: key('sub'), parentKey: parent.key, summary: `${RUN_TAG} sub-task` };
    const sub = await rig.onAttempt(1).createIssue(input);
    expect(sub.created).toBe(true);
    expect(await rig.onAttempt(2).createIssue(input)).toEqual({ key: sub.key, id: sub.id, created: false });
  });

  it('reads comment properties through comment/list, and a second add finds the first comment', async () => {
    const issue = await rig
      .onAttempt(1)
      .createIssue({ idempotencyKey: key('comments'), summary: `${RUN_TAG} comments` });
    remember(issue.key);
    const comment = { idempotencyKey: key('plan'), issueKey: issue.key, body: 'Plan v1' };
    const added = await rig.onAttempt(1).addComment(comment);
    expect(added.created).toBe(true);
    expect(await rig.onAttempt(2).addComment(comment)).toEqual({ id: added.id, created: false });
    const listed = await rig.client.issueComments.getCommentsByIds({
      ids: [Number(added.id)],
      expand: 'properties',
    });
    expect(listed.values?.[0]?.properties).toEqual([
      { key: JIRA_KEY_PROPERTY, value: { key: comment.idempotencyKey } },
    ]);
    const onIssue = await rig.client.issueComments.getComments({
      issueIdOrKey: issue.key,
      expand: 'properties',
    });
    expect(onIssue.comments).toHaveLength(1);
    report(
      'jira',
      target,
      `the issue's comment listing ${onIssue.comments?.[0]?.properties?.length ? 'does' : 'does not'} carry properties with expand=properties`,
    );
  });

  it('moves an issue into the done status, filling in what its screen asks for', async () => {
    const issue = await rig
      .onAttempt(1)
      .createIssue({ idempotencyKey: key('done'), summary: `${RUN_TAG} done` });
    remember(issue.key);
    const moved = await rig
      .onAttempt(1)
      .transitionIssue({ issueKey: issue.key, toStatus: rig.jira.statuses.done });
    expect(moved.status.toLowerCase()).toBe(rig.jira.statuses.done.toLowerCase());
    const read = await rig.client.issues.getIssue({
      issueIdOrKey: issue.key,
      fields: ['status', 'resolution'],
    });
    expect((read.fields?.status as { statusCategory?: { key?: string } })?.statusCategory?.key).toBe('done');
    report(
      'jira',
      target,
      `"${rig.jira.statuses.done}" was reached with resolution ${JSON.stringify((read.fields?.resolution as { name?: string } | null)?.name ?? null)}`,
    );
  });

  it(
    'closes a twin as a duplicate of the first issue made, once search shows both',
    { timeout: 240_000 },
    async () => {
      const k = key('twin');
      const make = async () => {
        const made = await rig.client.issues.createIssue({
          fields: {
            project: { key: rig.jira.projectKey },
            issuetype: { name: 'Task' },
            summary: `${RUN_TAG} twin`,
            labels: [jiraLabel(k)],
          },
          properties: [{ key: JIRA_KEY_PROPERTY, value: { key: k } }],
        });
        remember(made.key);
        return made;
      };
      const original = await make();
      const twin = await make();
      const both = await within(
        180_000,
        async () => ((await searchByLabel(k)).length >= 2 ? true : undefined),
        3_000,
      );
      expect(both.value).toBe(true);
      const found = await rig.onAttempt(1).createIssue({ idempotencyKey: k, summary: `${RUN_TAG} twin` });
      expect(found).toEqual({
        key: original.key,
        id: original.id,
        created: false,
        duplicatesClosed: [twin.key],
      });
      const originalLinks = await rig.client.issues.getIssue({
        issueIdOrKey: original.key,
        fields: ['issuelinks'],
      });
      const links = (originalLinks.fields?.issuelinks ?? []) as {
        type?: { name?: string };
        inwardIssue?: { key?: string };
      }[];
      // Seen from the original: "is duplicated by" the twin.
      expect(links.some((l) => l.type?.name === 'Duplicate' && l.inwardIssue?.key === twin.key)).toBe(true);
      const closed = await rig.client.issues.getIssue({
        issueIdOrKey: twin.key,
        fields: ['status', 'resolution'],
      });
      expect((closed.fields?.status as { statusCategory?: { key?: string } })?.statusCategory?.key).toBe(
        'done',
      );
      report(
        'jira',
        target,
        `both copies were in search after ${both.waitedMs} ms; the twin was resolved as ${JSON.stringify((closed.fields?.resolution as { name?: string } | null)?.name ?? null)}`,
      );
    },
  );
});
