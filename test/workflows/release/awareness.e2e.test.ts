/**
 * The Day-3 question answered in Notion, end to end on a dev server (real visibility) with the
 * real activities against the sandbox: a Tier 2 release shipped a week ago makes its check-in
 * page; the Support and Sales leads answer on it, each edit delivered as a signed Notion webhook
 * through the trigger; an answer changed later replaces the earlier one; an edit by someone
 * who is not a lead, or by a Notion user who is nobody in the configuration, is refused and kept
 * on the release's record; `prodops report --json` counts the answers with the command line's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../../cli/main';
import { addCalendarDays, addWorkingDays, localDateOf } from '../../../domain/business-calendar';
import { resolveBusinessCalendar } from '../../../domain/holidays';
import type { MeasurementReport } from '../../../domain/measurement';
import { createNotionHandler } from '../../../triggers/notion';
import { temporalPort } from '../../../triggers/workflows';
import { notionDelivery, notionPageEvent } from '../../../sandbox/simulate/vendor-events';
import { releaseWorkflow } from '../../../workflows/release/workflow';
import {
  answerAwareness,
  markReleased,
  releaseStatus,
  releaseWorkflowId,
  type ReleaseStatus,
} from '../../../workflows/release/messages';
import type { NotionEventOutcome } from '../../../workflows/notion-event/messages';
import { exampleConfigText, loadExampleConfig } from '../../helpers/config';
import { recordHistory } from '../../helpers/histories';
import { signAs, withOperators } from '../../helpers/operators';
import { startStack, type Stack } from '../../helpers/stack';

const SECRET = 'notion-verification-token-for-tests';
/** Ana (a PM, not a lead) has a Notion account of her own; Hugo's is nobody's in the configuration. */
const ANA_NOTION = '0b5c2f44-1d2e-4c3b-9a8f-3e2d1c0b9a87';
const example = loadExampleConfig();
const operators = withOperators({
  ...example,
  people: example.people.map((p) => (p.id === 'ana' ? { ...p, notionUserId: ANA_NOTION } : p)),
});
const config = operators.config;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ config, sandbox: true, temporal: 'dev-server', workers: 'sandbox' });
});
afterAll(() => stack?.stop());

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 300; i++) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 3000)}`);
}

/** The configuration file the command line reads: the example's, on the dev server, with Ana's account. */
function configFile(address: string): string {
  const text = exampleConfigText().replace('address: 127.0.0.1:7233', `address: ${address}`);
  const dir = mkdtempSync(join(tmpdir(), 'prodops-aware-'));
  const path = join(dir, 'prodops.config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('the Day-3 question answered in Notion', () => {
  it('counts the leads’ answers from the check-in page in the report, and refuses anyone else', async () => {
    const { env, sandbox, taskQueue } = stack;
    const client = env.client;
    const store = sandbox.notion.store;
    const checkIns = config.integrations.notion.dataSources.checkIns!;
    const trigger = createNotionHandler({
      config,
      secrets: [SECRET],
      workflows: temporalPort(client, { taskQueue }),
      log: () => undefined,
    });
    const outcomes: string[] = [];
    /** A person's edit of the page in Notion, and the signed webhook Notion sends for it. */
    const edit = async (pageId: string, property: string, value: string, personId: string) => {
      store.setProperty(pageId, property, value, personId);
      const delivery = notionDelivery(
        notionPageEvent({
          type: 'page.properties_updated',
          pageId,
          parent: { id: store.dataSource(checkIns)!.databaseId, type: 'database', data_source_id: checkIns },
          updatedProperties: [property],
          authorId: store.userIdFor(personId),
        }),
        SECRET,
      );
      const answer = await trigger({
        method: 'POST',
        headers: Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toLowerCase(), v])),
        rawBody: Buffer.from(delivery.body),
      });
      expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ outcome: 'started' });
      const workflowId = (answer.body as { workflowId: string }).workflowId;
      outcomes.push(workflowId);
      return client.workflow.getHandle(workflowId).result() as Promise<NotionEventOutcome>;
    };

    const cal = resolveBusinessCalendar(config, 'london', { from: 2025, to: 2035 });
    const today = localDateOf(Date.now(), cal.timezone);
    // The sandbox's own Tier 2 issue, so that its comments land.
    const issueKey = 'REL-2';
    const handle = await client.workflow.start(releaseWorkflow, {
      taskQueue,
      workflowId: releaseWorkflowId(issueKey),
      args: [
        {
          issueKey,
          tier: 2,
          launchDate: addWorkingDays(cal, today, 10),
          pmId: 'ana',
          title: 'Saved dashboard filters',
          productArea: 'Insights',
        },
      ],
    });
    try {
      await eventually(
        () => handle.query(releaseStatus),
        (s) => s.steps.length > 0,
        'the first plan',
      );
      // Shipped a week ago: its Day-3 check-in is due at once, its Day-14 retro a week ahead.
      const releasedOn = addCalendarDays(today, -7);
      const command = { releasedOn };
      await handle.executeUpdate(markReleased, {
        args: [signAs(operators.keys, 'priya', handle.workflowId, markReleased, command, Date.now())],
      });
      const asked = await eventually(
        () => handle.query(releaseStatus),
        (s) => s.steps.find((x) => x.id === 'day-3-check-in')?.status === 'done',
        'the Day-3 check-in',
      );
      const checkIn = asked.steps.find((x) => x.id === 'day-3-check-in')!;
      const pageId = checkIn.ref!;
      expect(store.pages(checkIns).map((p) => p.id)).toEqual([pageId]);
      expect(store.blockTexts(pageId)).toContain('Were you aware of this release before it shipped?');
      const mail = sandbox.google.store
        .messages(config.integrations.google.sender)
        .find((m) => m.subject.includes(`Day-3 check-in: Saved dashboard filters (${issueKey})`))!;
      expect(mail.to.sort()).toEqual([
        'ana@northwind.example',
        'maya@northwind.example',
        'nora@northwind.example',
      ]);
      expect(mail.text).toContain(checkIn.url!);
      expect(asked.flags.integrationError).toBe(false);

      const status = () => handle.query(releaseStatus);
      const answerOf = (s: ReleaseStatus, by: string) => s.awareness.find((a) => a.by === by)?.aware;
      const refusalsIn = (s: ReleaseStatus) =>
        s.log.filter((l) => l.message.startsWith('refused an awareness answer from Notion')).length;

      // Maya (Support) did not know; Nora (Sales) did not know; Maya corrects herself later.
      expect(await edit(pageId, 'Support aware', 'No', 'maya')).toMatchObject({
        route: 'checkIns',
        outcome: 'signalled',
      });
      await eventually(status, (s) => answerOf(s, 'maya') === false, 'Maya’s answer');
      await edit(pageId, 'Sales aware', 'No', 'nora');
      await eventually(status, (s) => answerOf(s, 'nora') === false, 'Nora’s answer');
      await edit(pageId, 'Support aware', 'Yes', 'maya');
      await eventually(status, (s) => answerOf(s, 'maya') === true, 'Maya’s corrected answer');
      // Ana is no lead; Hugo's Notion account is nobody's in the configuration.
      await edit(pageId, 'Sales aware', 'Yes', 'ana');
      await eventually(status, (s) => refusalsIn(s) === 1, 'Ana refused');
      await edit(pageId, 'Support aware', 'No', 'hugo');
      const answered = await eventually(status, (s) => refusalsIn(s) === 2, 'Hugo refused');
      expect(answered.awareness.map(({ by, team, aware, source }) => ({ by, team, aware, source }))).toEqual([
        { by: 'nora', team: 'sales', aware: false, source: 'notion' },
        { by: 'maya', team: 'support', aware: true, source: 'notion' },
      ]);
      const refusals = answered.log
        .map((l) => l.message)
        .filter((m) => m.startsWith('refused an awareness answer from Notion'));
      expect(refusals[0]).toContain('ana is not the Support or the Sales lead');
      expect(refusals[1]).toContain(
        `Notion user ${store.userIdFor('hugo')} is no person of the configuration`,
      );

      // Sam (Support) answers on the command line: the same record, counted the same way.
      const sam = { by: 'sam', aware: true, occurredAt: Date.now() };
      await handle.executeUpdate(answerAwareness, {
        args: [signAs(operators.keys, 'sam', handle.workflowId, answerAwareness, sam, Date.now())],
      });

      const file = configFile(env.address);
      const report = await eventually(
        async () => {
          const out: string[] = [];
          const err: string[] = [];
          const io: CliIO = { out: (line) => out.push(line), err: (line) => err.push(line) };
          const from = addCalendarDays(today, -30);
          const code = await main(['report', '--from', from, '--to', today, '--json', '--config', file], io);
          if (code !== 0) throw new Error(err.join('\n'));
          return JSON.parse(out.join('\n')) as MeasurementReport;
        },
        (r) => r.surpriseScore.releases.some((x) => x.issueKey === issueKey),
        'the release in the report',
      );
      const mine = report.surpriseScore.releases.find((r) => r.issueKey === issueKey)!;
      expect(mine.answers.map((a) => [a.by, a.aware]).sort()).toEqual([
        ['maya', true],
        ['nora', false],
        ['sam', true],
      ]);
      expect(mine.surprised).toBe(true);
      expect(report.surpriseScore).toMatchObject({ numerator: 1, denominator: 1 });

      await recordHistory(
        client.workflow.getHandle(outcomes[0]!),
        'notion-event',
        'check-in-edited',
        'a lead’s edit of a Day-3 check-in page: the page read, the release told with the event’s author',
      );
      await recordHistory(
        handle,
        'release',
        'check-in-answered',
        'shipped a week ago: the Day-3 check-in page made, answers from Notion and the CLI, two refusals',
      );
    } finally {
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') await handle.terminate('test finished');
    }
  });
});
