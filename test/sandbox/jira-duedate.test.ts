/**
 * The Jira sandbox's due-date clauses, which the leave hand-over uses: compared as Jira does
 * (an issue without a due date matches no comparison), reached through jira.js and the Jira
 * activities, and refused loudly for date forms the sandbox does not model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJiraSandbox, parseJql } from '../../sandbox/jira';
import { createJiraActivities, createJiraClient } from '../../activities/jira';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

const config = loadExampleConfig();
const gita = config.people.find((p) => p.id === 'gita')!;

let served: Awaited<ReturnType<typeof serveVendor<ReturnType<typeof createJiraSandbox>>>>;
let jira: ReturnType<typeof createJiraActivities>;

beforeAll(async () => {
  served = await serveVendor(createJiraSandbox(config));
  jira = createJiraActivities({
    client: createJiraClient({
      host: served.url,
      email: gita.email,
      apiToken: 'sandbox',
      onSchemaMismatch: 'throw',
    }),
    jira: config.integrations.jira,
  });
  const store = served.vendor.store;
  const task = (summary: string, duedate: string | null) =>
    store.createIssue(
      {
        project: { key: 'REL' },
        issuetype: { name: 'Task' },
        summary,
        assignee: { accountId: gita.jiraAccountId },
        ...(duedate ? { duedate } : {}),
      },
      [],
      gita.jiraAccountId!,
    );
  task('before', '2027-02-26');
  task('first day', '2027-03-01');
  task('last day', '2027-03-05');
  task('after', '2027-03-08');
  task('no due date', null);
});
afterAll(async () => {
  await served.close();
});

const summaries = async (jql: string) => (await jira.searchIssues({ jql })).issues.map((i) => i.summary);

describe('Jira sandbox: due dates in JQL', () => {
  it('finds the issues due inside a window, both ends included, in due-date order', async () => {
    expect(
      await summaries(
        `assignee = "${gita.jiraAccountId}" AND duedate >= "2027-03-01" AND duedate <= "2027-03-05" ORDER BY duedate ASC`,
      ),
    ).toEqual(['first day', 'last day']);
    expect(await summaries(`assignee = "${gita.jiraAccountId}" AND due > 2027/03/05`)).toEqual(['after']);
    expect(await summaries(`assignee = "${gita.jiraAccountId}" AND duedate < "2027-03-01"`)).toEqual([
      'before',
    ]);
    expect(await summaries(`assignee = "${gita.jiraAccountId}" AND duedate = "2027-03-05"`)).toEqual([
      'last day',
    ]);
    expect(await summaries(`assignee = "${gita.jiraAccountId}" AND duedate is EMPTY`)).toEqual([
      'no due date',
    ]);
    // As in Jira, an issue without a due date is not "not on" a date either.
    expect(
      await summaries(`assignee = "${gita.jiraAccountId}" AND duedate != "2027-03-05" ORDER BY duedate ASC`),
    ).toEqual(['before', 'first day', 'after']);
  });

  it('refuses date forms and operators it does not model rather than guessing', async () => {
    expect(parseJql('duedate >= "2027-03-01"').clauses).toEqual([
      { field: 'duedate', operator: '>=', values: ['2027-03-01'], at: 1 },
    ]);
    const refusal = (jql: string) =>
      jira.searchIssues({ jql }).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    expect(await refusal('duedate >= -5d')).toMatch(
      /The relative date '-5d' is not supported by the prodops Jira sandbox/,
    );
    expect(await refusal('duedate >= "2027-13-01"')).toMatch(
      /Date value '2027-13-01' for field 'duedate' is invalid/,
    );
    expect(await refusal('labels > x')).toMatch(/The operator '>' is not supported by the 'labels' field/);
    expect(await refusal('duedate in ("2027-03-01")')).toMatch(
      /The operator 'IN' is not supported by the 'duedate' field/,
    );
  });
});
