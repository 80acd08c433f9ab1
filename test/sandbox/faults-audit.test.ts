/**
 * The sandbox's fault storms and its audit: storms fire at the rate asked for, repeat under a
 * seed, end when their window does and never touch the control routes; the audit counts what
 * prodops made per idempotency key from the vendors' own records, twins and unkeyed creates
 * included.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCalendarActivities } from '../../activities/calendar';
import { createGmailActivities } from '../../activities/gmail';
import { createGoogleClients } from '../../activities/google-auth';
import { createJiraActivities, createJiraClient } from '../../activities/jira';
import { createNotionActivities, createNotionClient } from '../../activities/notion';
import { mailToken } from '../../contracts/node/idempotency';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { loadExampleConfig } from '../helpers/config';
import { clearSandboxFaults, injectSandboxFault, sandboxAudit } from '../helpers/sandbox';

const config = loadExampleConfig();
const SENDER = config.integrations.google.sender!;
const releaseLog = config.integrations.notion.dataSources.releaseLog!;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ config });
});
afterAll(async () => sandbox.close());
beforeEach(() => sandbox.reset());

/** Statuses of `n` plain GETs of a Jira route, -1 for a connection that failed. */
async function statuses(n: number, path = '/rest/api/3/myself'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const status = await fetch(new URL(path, sandbox.url), {
      headers: { authorization: 'Bearer token' },
    }).then(
      (r) => r.status,
      () => -1,
    );
    out.push(status);
  }
  return out;
}

describe('fault storms', () => {
  it('answers about the share of requests asked for, picking among the statuses, Retry-After on 429s only', async () => {
    await injectSandboxFault(sandbox.url, {
      route: '*',
      vendor: 'jira',
      seed: 42,
      fault: { kind: 'status', statuses: [429, 500], retryAfterSeconds: 2, probability: 0.3 },
    });
    const seen: { status: number; retryAfter: string | null }[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await fetch(new URL('/rest/api/3/myself', sandbox.url), {
        headers: { authorization: 'Bearer token' },
      });
      seen.push({ status: r.status, retryAfter: r.headers.get('retry-after') });
    }
    const faulted = seen.filter((s) => s.status !== 200);
    expect(faulted.length).toBeGreaterThan(35);
    expect(faulted.length).toBeLessThan(85);
    expect(new Set(faulted.map((s) => s.status))).toEqual(new Set([429, 500]));
    for (const s of faulted) expect(s.retryAfter).toBe(s.status === 429 ? '2' : null);
    const [rule] = (
      (await (await fetch(new URL('/_sandbox/faults', sandbox.url))).json()) as {
        rules: { fired: number }[];
      }
    ).rules;
    expect(rule!.fired).toBe(faulted.length);
  });

  it('repeats the same draws under the same seed', async () => {
    const run = async () => {
      await clearSandboxFaults(sandbox.url);
      await injectSandboxFault(sandbox.url, {
        route: 'GET /rest/api/3/myself',
        seed: 7,
        fault: { kind: 'status', statuses: [429, 500, 503], probability: 0.5 },
      });
      return statuses(40);
    };
    const first = await run();
    expect(first.some((s) => s !== 200)).toBe(true);
    expect(await run()).toEqual(first);
  });

  it('ends with its window, and leaves the control routes and other vendors alone', async () => {
    const rule = await injectSandboxFault(sandbox.url, {
      route: '*',
      vendor: 'jira',
      fault: { kind: 'status', status: 503, forMs: 300 },
    });
    expect(rule.until).toBe(rule.injectedAt + 300);
    expect(await statuses(3)).toEqual([503, 503, 503]);
    const notion = await fetch(new URL('/v1/users', sandbox.url), {
      headers: { authorization: 'Bearer sandbox', 'notion-version': '2025-09-03' },
    });
    expect(notion.status).toBe(200);
    await new Promise((r) => setTimeout(r, 320));
    expect(await statuses(3)).toEqual([200, 200, 200]);

    await injectSandboxFault(sandbox.url, { route: '*', fault: { kind: 'drop' } });
    expect(await statuses(2)).toEqual([-1, -1]);
    expect((await sandboxAudit(sandbox.url)).duplicates).toBe(0);
  });

  it('drops connections at random, before handling or after, and a missed draw leaves the next rule its turn', async () => {
    await injectSandboxFault(sandbox.url, {
      route: '*',
      vendor: 'jira',
      seed: 3,
      fault: { kind: 'dropResponse', probability: 0.5 },
    });
    await injectSandboxFault(sandbox.url, { route: '*', vendor: 'jira', seed: 4, fault: { kind: 'drop' } });
    const before = sandbox.jira.store.issues.size;
    // Every request either never arrives or never gets its answer; about half the issues exist.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        fetch(new URL('/rest/api/3/issue', sandbox.url), {
          method: 'POST',
          headers: { authorization: 'Bearer token', 'content-type': 'application/json' },
          body: JSON.stringify({
            fields: {
              project: { key: config.integrations.jira.projectKey },
              summary: `Storm ${i}`,
              issuetype: { name: 'Task' },
            },
          }),
        }),
      ),
    );
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const made = sandbox.jira.store.issues.size - before;
    expect(made).toBeGreaterThan(2);
    expect(made).toBeLessThan(18);
    const log = sandbox.router.log.filter((r) => r.vendor === 'jira');
    expect(log.every((r) => r.status === -1)).toBe(true);
  });

  it('refuses a malformed rule, naming the field', async () => {
    const post = (body: unknown) =>
      fetch(new URL('/_sandbox/faults', sandbox.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const [body, field] of [
      [{ route: '*', fault: { kind: 'status', probability: 0.3 } }, 'status or statuses'],
      [{ route: '*', fault: { kind: 'status', statuses: [200] } }, 'fault.statuses'],
      [{ route: '*', fault: { kind: 'drop', probability: 1.5 } }, 'fault.probability'],
      [{ route: '*', fault: { kind: 'dropResponse', forMs: -1 } }, 'fault.forMs'],
      [{ route: '*', seed: 'x', fault: { kind: 'drop' } }, 'seed'],
      [{ route: '*', fault: { kind: 'explode' } }, 'fault.kind'],
    ] as const) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(field);
    }
    expect(sandbox.router.faultRules).toEqual([]);
  });
});

describe('the audit', () => {
  const jiraClient = () =>
    createJiraClient({ host: sandbox.url, email: 'prodops@sandbox.local', apiToken: 'x' });

  it('counts every artifact prodops made per key, twins and unkeyed creates included', async () => {
    const jira = createJiraActivities({ client: jiraClient(), jira: config.integrations.jira });
    const notion = createNotionActivities({
      client: createNotionClient({ auth: 'sandbox', baseUrl: sandbox.url }),
    });
    const google = createGoogleClients({ kind: 'sandbox' }, { rootUrl: sandbox.url });
    const calendar = createCalendarActivities({ calendarFor: google.calendarFor, defaultActor: SENDER });
    const gmail = createGmailActivities({ gmailFor: google.gmailFor });
    const seeded = new Set(sandbox.jira.store.issues.keys());

    const issue = await jira.createIssue({
      idempotencyKey: 'release:AUD-1:plan',
      summary: 'Plan the launch',
    });
    await jira.addComment({ idempotencyKey: 'release:AUD-1:note', issueKey: issue.key, body: 'Noted.' });
    const page = await notion.upsertPage({
      idempotencyKey: 'release:AUD-1:log',
      dataSourceId: releaseLog,
      properties: { Name: { title: 'Audit' } },
    });
    await calendar.upsertEvent({
      idempotencyKey: 'release:AUD-1:readiness',
      calendarId: SENDER,
      summary: 'Readiness',
      start: '2027-03-26T10:00',
      end: '2027-03-26T10:30',
      timeZone: 'Europe/London',
    });
    await gmail.sendMail({
      idempotencyKey: 'release:AUD-1:announce',
      from: SENDER,
      to: ['ana@northwind.example'],
      subject: 'Launch',
      text: 'It ships.',
      html: '<p>It ships.</p>',
    });

    const clean = await sandboxAudit(sandbox.url);
    expect(clean.duplicates).toBe(0);
    expect(clean.unkeyed).toBe(0);
    const byKind = (audit: typeof clean) =>
      Object.fromEntries(audit.artifacts.map((a) => [`${a.vendor} ${a.kind} ${a.key}`, a.count]));
    expect(byKind(clean)).toEqual({
      'jira issue release:AUD-1:plan': 1,
      'jira comment release:AUD-1:note': 1,
      'notion page release:AUD-1:log': 1,
      'google event release:AUD-1:readiness': 1,
      [`google mail ${mailToken('release:AUD-1:announce')}`]: 1,
    });
    expect(clean.artifacts.find((a) => a.kind === 'page')!.ids).toEqual([page.id]);
    expect(clean.artifacts.find((a) => a.kind === 'issue')!.ids).toEqual([issue.key]);

    // A twin of the page made by another writer under the same key, and an issue made with
    // prodops' credentials but no key, the way a create outside the activities would.
    await notion.upsertPage({
      idempotencyKey: 'release:AUD-1:log-2',
      dataSourceId: releaseLog,
      properties: { Name: { title: 'Audit twin' } },
    });
    const twin = [...sandbox.notion.store.pagesById.values()].find((p) => p.id !== page.id)!;
    twin.properties['prodops key'] = structuredClone(
      sandbox.notion.store.pagesById.get(page.id)!.properties['prodops key']!,
    );
    const bare = await jiraClient().issues.createIssue({
      fields: {
        project: { key: config.integrations.jira.projectKey },
        summary: 'No key',
        issuetype: { name: 'Task' },
      },
    });
    // A person's own comment is theirs, not an unkeyed one of prodops.
    const person = config.people.find((p) => p.jiraAccountId)!;
    sandbox.jira.store.addComment(issue.key, { type: 'doc', version: 1, content: [] }, person.jiraAccountId!);

    const audit = await sandboxAudit(sandbox.url);
    expect(audit.duplicates).toBe(1);
    expect(audit.unkeyed).toBe(1);
    const doubled = audit.artifacts.find((a) => a.key === 'release:AUD-1:log')!;
    expect(doubled).toMatchObject({ vendor: 'notion', kind: 'page', count: 2 });
    expect(new Set(doubled.ids)).toEqual(new Set([page.id, twin.id]));
    expect(seeded.has(bare.key)).toBe(false);

    expect(audit).toEqual(sandbox.audit());
  });
});
