/**
 * The insights workflows on the time-skipping server, with in-memory Notion and Gmail: items
 * arriving at the backlog shards as the webhook sends them, a weekly triage that routes each
 * area's top themes with one digest page and one mail per area, the reminder after 5 working
 * days, dispositions by command and by Notion (and who may not give one), the High items still
 * unresolved escalated into the monthly digest, and a round carried into the next week.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { bundle, createTimeSkippingEnv, uniqueId } from '../../helpers/temporal';
import { loadExampleConfig } from '../../helpers/config';
import { recordHistory } from '../../helpers/histories';
import { signAs, withOperators } from '../../helpers/operators';
import { InsightsWorld } from './insights-world';
import { createWorkers, WORKFLOWS_PATH } from '../../../workers/index';
import { insightsBacklogWorkflow } from '../../../workflows/insights/backlog/workflow';
import { insightsTriageWorkflow } from '../../../workflows/insights/triage';
import { insightsDigestWorkflow } from '../../../workflows/insights/digest';
import { notionEventWorkflow } from '../../../workflows/notion-event/workflow';
import {
  addInsights,
  backlogStatus,
  decideTheme,
  insightDetails,
  insightReceived,
  insightsBacklogId,
  insightsDigestId,
  insightsThemeId,
  insightsTriageId,
  tagInsight,
  themeDecidedInNotion,
  themeStatus,
  unmergeInsight,
  type DecideThemeCommand,
  type InsightReceived,
  type ThemeStatusView,
} from '../../../workflows/insights/messages';
import { insightShardOf } from '../../../contracts/ids';
import type { OrgConfig } from '../../../domain/config';
import { localDateOf } from '../../../domain/business-calendar';
import { isoWeekOf } from '../../../domain/insights/cadence';
import { INSIGHT_ROW, THEME_ROW } from '../../../domain/insights/notion-rows';

const example = loadExampleConfig();
const SHARDS = 2;
/** Every person an operator with their own key; sam's grant covers nobody but himself. */
const { config, keys } = withOperators(
  {
    ...example,
    insights: {
      ...example.insights,
      triage: { ...example.insights.triage, topThemesPerArea: 2 },
      backlog: { ...example.insights.backlog, shards: SHARDS },
    },
  } satisfies OrgConfig,
  { sam: [], priya: ['product-ops', 'pm'] },
);
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;
/** The world of the test running now: the file's one set of workers calls into it. */
let current: InsightsWorld;
const taskQueue = uniqueId('insights');
let stopWorkers: () => Promise<void> = async () => {};

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundle(WORKFLOWS_PATH)]);
  current = new InsightsWorld(config, env.client);
  // One set of workers for the file, so that a closed run of a test before still answers queries.
  const activities = Object.fromEntries(
    Object.keys(current.activities()).map((name) => [
      name,
      (...args: unknown[]) =>
        (current.activities() as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(
          ...args,
        ),
    ]),
  );
  const workers = await createWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: { jira: activities, notion: activities, google: activities },
    localActivities: activities,
    rateLimits: { jira: 1000, notion: 1000, google: 1000 },
  });
  const running = workers.map((w) => w.run());
  stopWorkers = async () => {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
  };
});
afterAll(async () => {
  await stopWorkers();
  await env?.teardown();
});

interface Run {
  world: InsightsWorld;
  taskQueue: string;
  send: (arrival: Omit<InsightReceived, 'via'>) => Promise<void>;
}

/** Everything long-lived these tests may have started: backlogs and themes. */
function longLived(): string[] {
  return [
    ...Array.from({ length: SHARDS }, (_, s) => insightsBacklogId(s)),
    ...config.productAreas.flatMap((a) =>
      config.insights.taxonomy.themes.map((t) => insightsThemeId(a.id, t)),
    ),
  ];
}

async function withInsights(body: (run: Run) => Promise<void>): Promise<void> {
  const world = new InsightsWorld(config, env.client);
  current = world;
  // Fresh, empty shards: the closed runs of a test before must not answer for this one.
  for (let shard = 0; shard < SHARDS; shard++)
    await env.client.workflow.start(insightsBacklogWorkflow, {
      taskQueue,
      workflowId: insightsBacklogId(shard),
      args: [{ shard }],
    });
  const run: Run = {
    world,
    taskQueue,
    send: async (arrival) => {
      const shard = insightShardOf(arrival.account, SHARDS);
      await env.client.workflow.signalWithStart(insightsBacklogWorkflow, {
        taskQueue,
        workflowId: insightsBacklogId(shard),
        args: [{ shard }],
        signal: insightReceived,
        signalArgs: [{ ...arrival, via: 'webhook' }],
      });
    },
  };
  try {
    await body(run);
  } finally {
    // Each test starts from empty backlogs and themes. Nothing may be terminated with an activity
    // in flight: it would hold the test server's clock still for every later test.
    for (const id of longLived()) {
      const handle = env.client.workflow.getHandle(id);
      for (let i = 0, idle = 0; ; i++) {
        const described = await handle.describe().catch(() => null);
        if (described?.status.name !== 'RUNNING') break;
        const busy =
          (described.raw.pendingActivities ?? []).length > 0 || !!described.raw.pendingWorkflowTask;
        idle = busy ? 0 : idle + 1;
        if (idle === 2 || i === 200) {
          await handle.terminate('test finished').catch(() => undefined);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 300; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last, null, 2)}`);
}

/** Waits until the shards hold `count` items between them, with their Notion rows written. */
async function settled(count: number): Promise<void> {
  await eventually(
    async () =>
      Promise.all(
        Array.from({ length: SHARDS }, (_, s) =>
          env.client.workflow
            .getHandle(insightsBacklogId(s))
            .query(backlogStatus)
            .catch(() => ({ items: 0, unpublished: 0 })),
        ),
      ),
    (all) => all.reduce((n, s) => n + s.items, 0) === count && all.every((s) => s.unpublished === 0),
    `${count} items written`,
  );
}

const theme = (area: string, t: string) => env.client.workflow.getHandle(insightsThemeId(area, t));
const status = (area: string, t: string) => theme(area, t).query(themeStatus);

describe('insights workflows', () => {
  it('routes a week, reminds, takes dispositions, and escalates High items into the monthly digest', async () => {
    await withInsights(async ({ world, send }) => {
      const now = await env.currentTimeMs();
      const at = (daysAgo: number) => now - daysAgo * DAY;
      const link = (id: string) => `https://acme.zendesk.example/tickets/${id}`;
      const base = { source: 'zendesk', segment: 'enterprise', evidenceType: 'quote' } as const;
      // Billing: pricing has two High items from two accounts, and a near-duplicate of one.
      await send({
        ...base,
        externalId: '101',
        account: 'Acme Corp',
        theme: 'pricing',
        severity: 'high',
        area: 'billing',
        link: link('101'),
        occurredAt: at(6),
        text: 'We are charged for forty seats although half of them are viewers who read one report a month',
      });
      await send({
        ...base,
        externalId: '102',
        account: 'Globex',
        theme: 'pricing',
        severity: 'high',
        area: 'billing',
        link: link('102'),
        occurredAt: at(5),
        text: 'Procurement cannot approve the renewal because usage based billing makes the annual cost impossible to forecast',
      });
      await send({
        ...base,
        externalId: '103',
        account: 'ACME corp ',
        theme: 'pricing',
        severity: 'medium',
        area: 'billing',
        link: link('103'),
        occurredAt: at(4),
        text: 'We are charged for forty seats although half of them are viewers who read one report a month!',
      });
      await send({
        ...base,
        externalId: '104',
        account: 'Initech',
        theme: 'onboarding',
        severity: 'medium',
        area: 'billing',
        link: link('104'),
        occurredAt: at(3),
        text: 'The billing step of the setup wizard asks for a VAT number before anyone can invite a colleague',
      });
      // Reliability in three areas: a cross-cutting pattern.
      await send({
        ...base,
        externalId: '105',
        account: 'Hooli',
        theme: 'reliability',
        severity: 'low',
        area: 'billing',
        link: link('105'),
        occurredAt: at(9),
        text: 'Invoices sometimes fail to generate overnight and nobody is told',
      });
      await send({
        ...base,
        externalId: '106',
        account: 'Hooli',
        theme: 'reliability',
        severity: 'medium',
        area: 'reports',
        link: link('106'),
        occurredAt: at(2),
        text: 'Scheduled exports failed silently three times this week',
      });
      await send({
        ...base,
        externalId: '107',
        account: 'Umbrella Health',
        theme: 'reliability',
        severity: 'high',
        area: 'api',
        link: link('107'),
        occurredAt: at(1),
        text: 'The API returns 502 for a minute every night at the same time',
      });
      // Reports: one High performance item nobody will decide.
      await send({
        ...base,
        externalId: '108',
        account: 'Stark Logistics',
        theme: 'performance',
        severity: 'high',
        area: 'reports',
        link: link('108'),
        occurredAt: at(2),
        text: 'Opening the funnel report takes forty seconds for a year of history',
      });
      // One that needs tagging: no area, an unknown theme.
      await send({
        ...base,
        externalId: '109',
        account: 'Soylent Foods',
        theme: 'billing bug',
        severity: 'low',
        area: null,
        link: null,
        occurredAt: at(1),
        text: 'The invoice PDF shows last month’s logo',
      });
      // The same delivery twice is one item.
      await send({
        ...base,
        externalId: '101',
        account: 'Acme Corp',
        theme: 'pricing',
        severity: 'high',
        area: 'billing',
        link: link('101'),
        occurredAt: at(6),
        text: 'We are charged for forty seats although half of them are viewers who read one report a month',
      });
      await settled(9);

      // Every item has its row; the needs-tagging one says why.
      const rows = world.pagesIn('insights');
      expect(rows).toHaveLength(9);
      const untagged = rows.find((r) => r.properties[INSIGHT_ROW.externalId] === '109')!;
      expect(untagged.properties[INSIGHT_ROW.status]).toBe('Needs tagging');
      expect(untagged.properties[INSIGHT_ROW.note]).toMatch(/theme "billing bug" is not one of onboarding/);
      const merged = rows.find((r) => r.properties[INSIGHT_ROW.externalId] === '103')!;
      expect(merged.properties[INSIGHT_ROW.status]).toBe('Merged');
      expect(
        rows.find((r) => r.properties[INSIGHT_ROW.externalId] === '101')!.properties[INSIGHT_ROW.note],
      ).toBe('arrived 2 times');

      const week = isoWeekOf(localDateOf(now, 'Europe/London'));
      const triage = await env.client.workflow.start(insightsTriageWorkflow, {
        taskQueue,
        workflowId: insightsTriageId(week),
        args: [{ week, startedBy: 'test' }],
      });
      const result = await triage.result();
      expect(result.outcome).toBe('routed');
      expect(result.problems).toEqual([]);
      expect(result.needsTagging).toBe(1);
      // Billing's top 2 of 3 themes; reports' 2; api's 1.
      expect(result.routed.filter((r) => r.area === 'billing').map((r) => r.theme)).toEqual([
        'pricing',
        'onboarding',
      ]);
      expect(result.routed.filter((r) => r.area === 'reports').map((r) => r.theme)).toEqual([
        'performance',
        'reliability',
      ]);
      expect(result.routed.every((r) => r.url?.startsWith('https://notion.example/'))).toBe(true);
      expect(result.crossCutting).toEqual([
        expect.objectContaining({ theme: 'reliability', areas: ['api', 'billing', 'reports'] }),
      ]);

      // One digest page and one mail per area, with every piece of evidence and its link.
      const digests = world.pagesIn('insightDigests');
      expect(digests.map((d) => d.properties.Name).sort()).toEqual([
        `Insights — API and platform — ${week}`,
        `Insights — Billing — ${week}`,
        `Insights — Reports and exports — ${week}`,
      ]);
      const billingPage = digests.find((d) => d.properties.Area === 'Billing')!;
      const text = billingPage.content.map((b) => ('text' in b ? b.text : '')).join('\n');
      for (const id of ['101', '102', '103', '104']) expect(text).toContain(link(id));
      expect(text).toMatch(/1\. Pricing — 2 High, 2 accounts, 2 items \(3 pieces of evidence\)/);
      expect(text).toContain('also: Medium · ACME corp');
      expect(text).toContain('1 more theme ranked below');
      const anaMail = world.mailsTo('ana');
      expect(anaMail).toHaveLength(1);
      expect(anaMail[0]!.subject).toBe(`[prodops] Billing insights, ${week}: 2 themes to decide`);
      expect(anaMail[0]!.text).toContain(link('102'));
      expect(anaMail[0]!.text).toContain('prodops insight decide billing/<theme>');
      expect(world.mailsTo('hugo')).toHaveLength(1);
      expect(world.mailsTo('erin')).toHaveLength(1);
      const head = world.mailsTo('hana');
      expect(head).toHaveLength(1);
      expect(head[0]!.subject).toContain('Cross-cutting insight patterns');
      expect(head[0]!.text).toMatch(
        /Reliability \(new this week\): Billing, Reports and exports, API and platform|Reliability \(new this week\): API and platform, Billing, Reports and exports/,
      );

      // Each routed theme opened a round; the backlog knows its items are routed.
      const pricing = await eventually(
        () => status('billing', 'pricing'),
        (s) => s.open !== null,
        'billing/pricing open',
      );
      expect(pricing.open).toMatchObject({
        round: `billing:pricing:${week}`,
        pm: 'ana',
        weeks: [week],
        counts: { high: 2, accounts: 2, items: 2, evidence: 3 },
      });
      const themeRows = world.pagesIn('insightThemes');
      expect(themeRows).toHaveLength(5);
      const pricingRow = themeRows.find((r) => r.idempotencyKey === `insight-round:billing:pricing:${week}`)!;
      expect(pricingRow.properties).toMatchObject({
        [THEME_ROW.status]: 'Awaiting decision',
        [THEME_ROW.pm]: [world.userOf('ana')],
        [THEME_ROW.high]: 2,
        [THEME_ROW.disposition]: null,
      });
      const shardOf = (account: string) => insightShardOf(account, SHARDS);
      const acme = await env.client.workflow
        .getHandle(insightsBacklogId(shardOf('Acme Corp')))
        .query(insightDetails, ['ins-' + shardOf('Acme Corp') + '-1']);
      expect(acme[0]).toMatchObject({ status: 'routed', round: `billing:pricing:${week}` });

      // Dispositions: only the PM or the Head of Product; won't do needs a rationale.
      const refused = (e: unknown) => (e instanceof WorkflowUpdateFailedError ? e.cause?.message : String(e));
      // Each command is signed by an operator: themselves, or someone their grant covers.
      const pricingId = insightsThemeId('billing', 'pricing');
      const decideAs = async (operator: string, command: DecideThemeCommand) =>
        theme('billing', 'pricing').executeUpdate(decideTheme, {
          args: [signAs(keys, operator, pricingId, decideTheme, command, await env.currentTimeMs())],
        });
      await expect(decideAs('ben', { disposition: 'backlog', by: 'ben' })).rejects.toSatisfy((e: unknown) =>
        /ben cannot decide billing\/pricing: only Ana Costa \(ana\) or Hana Okafor \(hana\) can/.test(
          refused(e) ?? '',
        ),
      );
      await expect(decideAs('ana', { disposition: 'wont-do', by: 'ana' })).rejects.toSatisfy((e: unknown) =>
        /won't do needs a rationale/.test(refused(e) ?? ''),
      );
      // An operator without the pm grant may not decide for the PM; an unsigned claim is refused.
      await expect(decideAs('sam', { disposition: 'backlog', by: 'ana' })).rejects.toSatisfy((e: unknown) =>
        /operator sam may not act for ana as pm: their grant covers nothing beyond themselves/.test(
          refused(e) ?? '',
        ),
      );
      await expect(
        theme('billing', 'pricing').executeUpdate(decideTheme, {
          args: [{ disposition: 'backlog', by: 'ana' }],
        }),
      ).rejects.toSatisfy((e: unknown) => /carries no operator signature/.test(refused(e) ?? ''));
      expect((await status('billing', 'pricing')).open).not.toBeNull();
      // priya decides for Ana with the pm grant: recorded as Ana's, through priya.
      const decided = await decideAs('priya', {
        disposition: 'backlog',
        rationale: 'Seat tiers in Q2',
        by: 'ana',
      });
      expect(decided.open).toBeNull();
      expect(decided.rounds.at(-1)!.decision).toMatchObject({
        disposition: 'backlog',
        by: 'ana',
        operator: 'priya',
        via: 'command',
        rationale: 'Seat tiers in Q2',
      });
      expect(decided.refusals.map((r) => r.by)).toEqual(['ben', 'ana (operator sam)']);
      expect(decided.log.map((l) => l.message)).toContain(
        'decided Backlog by ana via command (operator priya): Seat tiers in Q2',
      );

      // In Notion: someone else's Disposition is refused and put back; the PM's counts.
      const onboarding = await status('billing', 'onboarding');
      await theme('billing', 'onboarding').signal(themeDecidedInNotion, {
        round: onboarding.open!.round,
        disposition: "Won't do",
        rationale: 'not ours',
        by: 'sam@northwind.example',
        deliveryId: 'notion:evt-1',
        occurredAt: now,
      });
      const afterRefusal = await eventually(
        () => status('billing', 'onboarding'),
        (s) => s.refusals.length === 1,
        'refusal',
      );
      expect(afterRefusal.open).not.toBeNull();
      await theme('billing', 'onboarding').signal(themeDecidedInNotion, {
        round: onboarding.open!.round,
        disposition: 'Research',
        rationale: null,
        by: 'ANA@northwind.example',
        deliveryId: 'notion:evt-2',
        occurredAt: now,
      });
      await eventually(
        () => status('billing', 'onboarding'),
        (s) => s.rounds.at(-1)?.decision?.disposition === 'research',
        'research',
      );
      const onboardingRow = await eventually(
        async () =>
          world
            .pagesIn('insightThemes')
            .find((r) => r.idempotencyKey === `insight-round:${onboarding.open!.round}`)!,
        (r) => r.properties[THEME_ROW.status] === 'Decided',
        'onboarding row decided',
      );
      expect(onboardingRow.properties).toMatchObject({
        [THEME_ROW.disposition]: 'Research',
        [THEME_ROW.decidedBy]: 'Ana Costa',
      });

      // The decided items close in the backlog (and in their rows).
      await eventually(
        () =>
          env.client.workflow
            .getHandle(insightsBacklogId(shardOf('Acme Corp')))
            .query(insightDetails, ['ins-' + shardOf('Acme Corp') + '-1']),
        (v) => v[0]?.status === 'decided',
        'Acme decided',
      );

      // Five working days on: the undecided themes' PMs get one reminder each, the decided none.
      const before = world.mails.length;
      await env.sleep(9 * DAY);
      await eventually(
        async () => world.mails.filter((m) => m.subject.startsWith('[prodops] Waiting for your decision')),
        (m) => m.length === 3,
        'three reminders',
      );
      const reminders = world.mails.slice(before).filter((m) => m.subject.startsWith('[prodops] Waiting'));
      expect(reminders.map((m) => m.subject).sort()).toEqual([
        '[prodops] Waiting for your decision: API and platform · Reliability',
        '[prodops] Waiting for your decision: Reports and exports · Performance',
        '[prodops] Waiting for your decision: Reports and exports · Reliability',
      ]);
      await env.sleep(7 * DAY);
      expect(world.mails.filter((m) => m.subject.startsWith('[prodops] Waiting'))).toHaveLength(3);

      // The monthly digest escalates the High items still unresolved, and gives the figure.
      const month = localDateOf(now, 'Europe/London').slice(0, 7);
      const digest = await env.client.workflow.execute(insightsDigestWorkflow, {
        taskQueue,
        workflowId: insightsDigestId(month),
        args: [{ month, startedBy: 'test' }],
      });
      expect(digest.problems).toEqual([]);
      expect(digest.report.escalated.map((e) => e.account).sort()).toEqual([
        'Stark Logistics',
        'Umbrella Health',
      ]);
      expect(digest.report.decidedInTime).toMatchObject({ routed: 5, inTime: 2 });
      expect(digest.report.received).toMatchObject({ items: 7, evidence: 8, high: 4 });
      expect(digest.report.crossCutting.map((c) => c.theme)).toEqual(['reliability']);
      expect(digest.report.dispositionsByPm.find((p) => p.pm === 'ana')).toMatchObject({
        decided: { backlog: 1, research: 1 },
        open: 0,
      });
      const monthlyPage = world.pagesIn('insightDigests').find((p) => p.properties.Kind === 'Monthly')!;
      expect(monthlyPage.properties.Name).toMatch(/^Insights Digest — /);
      const monthly = monthlyPage.content.map((b) => ('text' in b ? b.text : '')).join('\n');
      expect(monthly).toContain('Escalated to this review: High items still unresolved');
      expect(monthly).toContain('Stark Logistics');
      expect(world.mails.find((m) => m.subject.startsWith('[prodops] Insights Digest'))!.to).toEqual(
        expect.arrayContaining([
          'hana@northwind.example',
          'priya@northwind.example',
          'ana@northwind.example',
          'hugo@northwind.example',
        ]),
      );

      await recordHistory(
        env.client.workflow.getHandle(insightsBacklogId(shardOf('Acme Corp'))),
        'insights',
        'backlog-routed-decided',
        'items arrive, repeat and merge; rows written; routed, then decided',
      );
      await recordHistory(
        theme('billing', 'onboarding'),
        'insights',
        'theme-refused-then-decided-in-notion',
        'routed; a Notion disposition from someone else refused and put back; the PM decides in Notion',
      );
      await recordHistory(
        theme('billing', 'pricing'),
        'insights',
        'theme-decided-signed',
        'routed; refused from someone not a decider, from an operator without the pm grant and unsigned; decided for the PM by a signed command',
      );
      await recordHistory(
        theme('reports', 'performance'),
        'insights',
        'theme-reminded',
        'routed, reminded after 5 working days, still undecided',
      );
      await recordHistory(
        triage,
        'insights',
        'triage-week',
        'ranks across two shards, routes 5 themes, 3 area digests, cross-cutting to the Head of Product',
      );
      await recordHistory(
        env.client.workflow.getHandle(insightsDigestId(month)),
        'insights',
        'monthly-digest',
        'the monthly digest with escalated High items',
      );
    });
  });

  it('carries an undecided theme into next week’s round, and unmerges a wrong merge', async () => {
    await withInsights(async ({ send }) => {
      const now = await env.currentTimeMs();
      const base = {
        source: 'intercom',
        segment: 'smb',
        evidenceType: 'quote',
        theme: 'ux-friction',
        area: 'dashboards',
        severity: 'medium',
      } as const;
      await send({
        ...base,
        externalId: 'a',
        account: 'Wonka Sweets',
        occurredAt: now - DAY,
        text: 'The date picker resets to last week every time we switch tabs on the KPI board',
        link: null,
      });
      await send({
        ...base,
        externalId: 'b',
        account: 'Wonka Sweets',
        occurredAt: now - DAY / 2,
        text: 'The date picker resets to last week every time we switch tabs on the KPI board.',
        link: null,
      });
      await settled(2);
      const shard = insightShardOf('Wonka Sweets', SHARDS);
      const backlog = env.client.workflow.getHandle(insightsBacklogId(shard));
      const [second] = await backlog.query(insightDetails, [`ins-${shard}-2`]);
      expect(second).toMatchObject({ status: 'merged', mergedInto: `ins-${shard}-1` });
      // sam may not unmerge for priya (no product-ops grant); priya unmerges as herself.
      const unmerge = { id: `ins-${shard}-2`, by: 'priya' };
      await expect(
        backlog.executeUpdate(unmergeInsight, {
          args: [signAs(keys, 'sam', backlog.workflowId, unmergeInsight, unmerge, await env.currentTimeMs())],
        }),
      ).rejects.toSatisfy(
        (e: unknown) =>
          e instanceof WorkflowUpdateFailedError &&
          /operator sam may not act for priya as product-ops/.test(e.cause?.message ?? ''),
      );
      const unmerged = await backlog.executeUpdate(unmergeInsight, {
        args: [signAs(keys, 'priya', backlog.workflowId, unmergeInsight, unmerge, await env.currentTimeMs())],
      });
      expect(unmerged.item).toMatchObject({ status: 'open', mergedInto: null });
      expect(unmerged.from.merged).toEqual([]);

      const week1 = isoWeekOf(localDateOf(now, 'Europe/London'));
      await env.client.workflow.execute(insightsTriageWorkflow, {
        taskQueue,
        workflowId: insightsTriageId(week1),
        args: [{ week: week1, startedBy: 'test' }],
      });
      const first: ThemeStatusView = await eventually(
        () => status('dashboards', 'ux-friction'),
        (s) => s.open !== null,
        'open',
      );
      expect(first.open!.counts).toMatchObject({ items: 2, evidence: 2, accounts: 1 });

      // A week later, one more item; the round is carried, not reopened.
      await env.sleep(7 * DAY);
      const later = await env.currentTimeMs();
      const addition = {
        entries: [
          {
            ...base,
            source: 'csv',
            externalId: 'c',
            account: 'Wonka Sweets',
            text: 'Filters are not kept in the link we share',
            occurredAt: later,
            via: 'csv' as const,
            // A name an entry claims is not whom the signature vouches for.
            by: 'hana',
          },
        ],
        by: 'priya',
      };
      const refusedWith = (pattern: RegExp) => (e: unknown) =>
        e instanceof WorkflowUpdateFailedError && pattern.test(e.cause?.message ?? '');
      // Unsigned, or signed by sam claiming to add for priya (no product-ops grant): refused.
      await expect(backlog.executeUpdate(addInsights, { args: [addition] })).rejects.toSatisfy(
        refusedWith(/carries no operator signature/),
      );
      await expect(
        backlog.executeUpdate(addInsights, {
          args: [signAs(keys, 'sam', backlog.workflowId, addInsights, addition, later)],
        }),
      ).rejects.toSatisfy(refusedWith(/operator sam may not act for priya as product-ops/));
      // Tom (product-ops) adds it for priya: taken, and recorded as hers by his command.
      const added = await backlog.executeUpdate(addInsights, {
        args: [signAs(keys, 'tom', backlog.workflowId, addInsights, addition, later)],
      });
      expect(added.outcomes).toEqual([expect.objectContaining({ kind: 'new' })]);
      const third = added.outcomes[0]!.id;
      expect((await backlog.query(insightDetails, [third]))[0]).toMatchObject({ by: 'priya', via: 'csv' });
      const log = (await backlog.query(backlogStatus)).log.map((l) => l.message);
      expect(log).toContain(`${third} added (csv) by priya via cli (operator tom)`);
      expect(log.some((m) => /refused an addition for priya \(operator sam\)/.test(m))).toBe(true);
      const week2 = isoWeekOf(localDateOf(later, 'Europe/London'));
      expect(week2).not.toBe(week1);
      await env.client.workflow.execute(insightsTriageWorkflow, {
        taskQueue,
        workflowId: insightsTriageId(week2),
        args: [{ week: week2, startedBy: 'test' }],
      });
      const carried = await eventually(
        () => status('dashboards', 'ux-friction'),
        (s) => s.open?.weeks.length === 2,
        'carried',
      );
      expect(carried.open).toMatchObject({
        round: `dashboards:ux-friction:${week1}`,
        weeks: [week1, week2],
        counts: { items: 3 },
      });
      expect(carried.rounds).toEqual([]);
      await recordHistory(
        theme('dashboards', 'ux-friction'),
        'insights',
        'theme-carried',
        'routed in one week, carried into the next with a new item',
      );
    });
  });

  it('takes a Notion form row into the backlog, and a Product Ops edit of its row as tagging', async () => {
    await withInsights(async ({ world }) => {
      const pageId = world.addRow('insights', {
        Name: 'Export to Excel is missing',
        [INSIGHT_ROW.text]: 'Our board pack is built in Excel and we copy every number by hand',
        [INSIGHT_ROW.account]: 'Massive Dynamic',
        [INSIGHT_ROW.theme]: 'Feature gap',
        [INSIGHT_ROW.severity]: 'High',
      });
      const event = (id: string, authorId: string, type: 'person' | 'bot' = 'person') => ({
        eventId: id,
        eventType: 'page.created',
        pageId,
        occurredAt: Date.now(),
        dataSources: {
          insights: config.integrations.notion.dataSources.insights!,
          insightThemes: config.integrations.notion.dataSources.insightThemes!,
        },
        authors: [{ id: authorId, type }],
        insightShards: SHARDS,
      });
      const created = await env.client.workflow.execute(notionEventWorkflow, {
        taskQueue,
        workflowId: `notion-event:${uniqueId('evt')}`,
        args: [event('evt-1', world.userOf('maya'))],
      });
      expect(created).toMatchObject({ route: 'insights', outcome: 'signalled' });
      const shard = insightShardOf('Massive Dynamic', SHARDS);
      await settled(1);
      const row = world.pages.find((p) => p.id === pageId)!;
      expect(row.properties).toMatchObject({
        [INSIGHT_ROW.insightId]: `ins-${shard}-1`,
        [INSIGHT_ROW.status]: 'Needs tagging',
        // What the person typed stays as they typed it.
        [INSIGHT_ROW.theme]: 'Feature gap',
      });
      const [item] = await env.client.workflow
        .getHandle(insightsBacklogId(shard))
        .query(insightDetails, [`ins-${shard}-1`]);
      expect(item).toMatchObject({
        via: 'notion',
        by: 'maya@northwind.example',
        needsTagging: ['segment', 'area'],
        key: `notion:${pageId.replace(/-/g, '')}`,
      });

      // Product Ops fills in segment and area on the row.
      row.properties[INSIGHT_ROW.segment] = 'Enterprise';
      row.properties[INSIGHT_ROW.area] = 'Reports and exports';
      const edited = await env.client.workflow.execute(notionEventWorkflow, {
        taskQueue,
        workflowId: `notion-event:${uniqueId('evt')}`,
        args: [{ ...event('evt-2', world.userOf('priya')), eventType: 'page.properties_updated' }],
      });
      expect(edited.detail).toBe(`insightEditedInNotion ins-${shard}-1 to ${insightsBacklogId(shard)}`);
      const tagged = await eventually(
        () =>
          env.client.workflow.getHandle(insightsBacklogId(shard)).query(insightDetails, [`ins-${shard}-1`]),
        (v) => v[0]?.status === 'open',
        'tagged',
      );
      expect(tagged[0]!.taggedBy?.by).toBe('priya@northwind.example');
      // prodops' own write-back is no one's edit.
      const own = await env.client.workflow.execute(notionEventWorkflow, {
        taskQueue,
        workflowId: `notion-event:${uniqueId('evt')}`,
        args: [event('evt-3', 'bot-id', 'bot')],
      });
      expect(own).toMatchObject({
        outcome: 'ignored',
        detail: 'changed by an integration (prodops writes its own columns)',
      });
    });
  });

  it('refuses a malformed arrival, addition or tag naming the field, and never fails the backlog task', async () => {
    await withInsights(async ({ send }) => {
      const now = await env.currentTimeMs();
      const valid = {
        source: 'intercom',
        externalId: 'fine',
        account: 'Wonka Sweets',
        text: 'Exports time out on large boards',
        segment: 'smb',
        evidenceType: 'quote',
        theme: 'performance',
        area: 'dashboards',
        severity: 'high',
        occurredAt: now - DAY,
        link: null,
      };
      // An unsigned webhook arrival whose area is a number: ignored on the record, not a crash.
      await send({ ...valid, externalId: 'bad-area', area: 5 as unknown as string });
      await send(valid);
      await settled(1);
      const backlog = env.client.workflow.getHandle(
        insightsBacklogId(insightShardOf('Wonka Sweets', SHARDS)),
      );
      const log = (await backlog.query(backlogStatus)).log.map((l) => l.message);
      expect(log.join('\n')).toContain(
        'ignored an insight that cannot be read (intercom:bad-area): area: must be text',
      );
      const refusedWith = (pattern: RegExp) => (e: unknown) =>
        e instanceof WorkflowUpdateFailedError && pattern.test(e.cause?.message ?? '');
      const at = await env.currentTimeMs();
      // A signed addition whose entry's link is a number.
      const addition = {
        entries: [{ ...valid, externalId: 'bad-link', link: 5 as unknown as string, via: 'cli' as const }],
        by: 'tom',
      };
      await expect(
        backlog.executeUpdate(addInsights, {
          args: [signAs(keys, 'tom', backlog.workflowId, addInsights, addition, at)],
        }),
      ).rejects.toSatisfy(refusedWith(/^entries\[0\]\.link: must be text$/));
      // Signed tags whose changes are no object, or hold a number.
      const item = `ins-${insightShardOf('Wonka Sweets', SHARDS)}-1`;
      for (const [changes, pattern] of [
        ['severity high', /^changes: must be an object of taxonomy fields/],
        [{ theme: 5 }, /^changes\.theme: must be text$/],
        [{ urgency: 'high' }, /^changes\.urgency: is not a known field$/],
      ] as const) {
        const tag = { id: item, changes: changes as unknown as Record<string, string>, by: 'tom' };
        await expect(
          backlog.executeUpdate(tagInsight, {
            args: [signAs(keys, 'tom', backlog.workflowId, tagInsight, tag, await env.currentTimeMs())],
          }),
        ).rejects.toSatisfy(refusedWith(pattern));
      }
      // The backlog still takes a valid tag, and no workflow task ever failed.
      const tagged = await backlog.executeUpdate(tagInsight, {
        args: [
          signAs(
            keys,
            'tom',
            backlog.workflowId,
            tagInsight,
            { id: item, changes: { severity: 'medium' }, by: 'tom' },
            await env.currentTimeMs(),
          ),
        ],
      });
      expect(tagged.severity).toBe('medium');
      const history = await backlog.fetchHistory();
      expect((history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    });
  });
});
