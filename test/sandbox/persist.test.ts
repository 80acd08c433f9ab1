/**
 * The sandbox's state file: a stopped and restarted sandbox serves the pages, comments, events
 * and sync tokens it had made, with the same ids, and a reset starts it clean.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createJiraActivities, createJiraClient } from '../../activities/jira';
import { createNotionActivities, createNotionClient } from '../../activities/notion';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { SANDBOX_STATE_FILE, SandboxStateFile } from '../../sandbox/persist';
import { simulateOutOfOffice } from '../../sandbox/simulate/simulation';
import { loadExampleConfig } from '../helpers/config';

const config = loadExampleConfig();
const releaseLog = config.integrations.notion.dataSources.releaseLog!;
const dir = mkdtempSync(join(tmpdir(), 'prodops-sandbox-state-'));
const stateFile = join(dir, SANDBOX_STATE_FILE);
const running: Sandbox[] = [];

afterAll(async () => {
  for (const sandbox of running) await sandbox.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<Sandbox> {
  const sandbox = await startSandbox({ config, stateFile });
  running.push(sandbox);
  return sandbox;
}

function activities(sandbox: Sandbox) {
  return {
    notion: createNotionActivities({ client: createNotionClient({ auth: 'sandbox', baseUrl: sandbox.url }) }),
    jira: createJiraActivities({
      client: createJiraClient({ host: sandbox.url, email: 'prodops@sandbox.local', apiToken: 'sandbox' }),
      jira: config.integrations.jira,
    }),
  };
}

describe('the sandbox state file', () => {
  it('keeps pages, comments and events across a restart, with their ids, until a reset', async () => {
    const first = await start();
    const issueKey = [...first.jira.store.issues.keys()][0]!;
    const before = activities(first);
    const page = await before.notion.upsertPage({
      idempotencyKey: 'release:REL-9:release-log',
      dataSourceId: releaseLog,
      properties: { Name: { title: 'Saved views' }, Status: { select: 'Planned' } },
    });
    await before.jira.addComment({ idempotencyKey: 'release:REL-9:plan', issueKey, body: 'The plan.' });
    const event = await simulateOutOfOffice(first.url, config, {
      person: config.people[0]!.id,
      from: '2027-03-01',
      to: '2027-03-05',
    });
    const snapshot = first.snapshot();
    await first.close();

    const second = await start();
    expect(second.snapshot()).toEqual(snapshot);
    expect(second.notion.store.page(page.id)?.properties.Status).toMatchObject({
      select: { name: 'Planned' },
    });
    const after = activities(second);
    // The same key finds the same page: nothing is made twice after a restart.
    const again = await after.notion.upsertPage({
      idempotencyKey: 'release:REL-9:release-log',
      dataSourceId: releaseLog,
      properties: { Name: { title: 'Saved views' }, Status: { select: 'At risk' } },
    });
    expect(again).toMatchObject({ id: page.id, created: false });
    const comment = await after.jira.addComment({
      idempotencyKey: 'release:REL-9:plan',
      issueKey,
      body: 'The plan.',
    });
    expect(comment.created).toBe(false);
    expect(second.google.store.events(event.calendarId).map((e) => e.id)).toContain(event.eventId);

    // A later page takes the next place in the order: counters were kept, not restarted.
    const next = await after.notion.upsertPage({
      idempotencyKey: 'release:REL-10:release-log',
      dataSourceId: releaseLog,
      properties: { Name: { title: 'Bulk export' } },
    });
    expect(next.id).not.toBe(page.id);
    second.reset();
    expect(second.notion.store.page(page.id)).toBeUndefined();
    await second.close();

    const third = await start();
    expect(third.notion.store.pages(releaseLog)).toEqual([]);
    await third.close();
  });

  it('names the file and the way out when the saved state cannot be read', () => {
    const path = join(dir, 'broken.sqlite');
    const file = new SandboxStateFile(path);
    file.save({ notion: { pages: new Map() } });
    file.close();
    // Overwrite the saved blob with bytes V8 cannot read.
    const raw = new SandboxStateFile(path);
    (raw as unknown as { db: { prepare(sql: string): { run(...args: unknown[]): void } } }).db
      .prepare('UPDATE vendor_state SET state = ?')
      .run(new Uint8Array([0xff, 0x00, 0x13]));
    expect(() => raw.load()).toThrow(/broken\.sqlite \(notion\) cannot be read.*prodops sandbox reset/);
    raw.close();
  });
});
