/**
 * The insights pipeline end to end with the real activities, through the real client libraries,
 * against the sandbox APIs, the trigger gateway and a dev server (Schedules and visibility work
 * there): a Notion form row and signed POST /insights deliveries through the gateway, a CSV
 * import and the triage preview through the command line, Product Ops tagging the form row in
 * Notion, the weekly schedule's launcher starting the triage and the roundup, the PM's
 * Disposition set in Notion, and the Monthly Insights Digest page and mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundle, createDevServerEnv, uniqueId } from '../../helpers/temporal';
import { exampleConfigText } from '../../helpers/config';
import { asOperator, operatorsYaml, withOperators, type TestOperators } from '../../helpers/operators';
import { recordHistory } from '../../helpers/histories';
import { startSandbox, type Sandbox } from '../../../sandbox/index';
import {
  insightDelivery,
  notionDelivery,
  notionPageEvent,
  sendVendorRequest,
} from '../../../sandbox/simulate/vendor-events';
import { buildActivities } from '../../../workers/integrations';
import { createWorkers, runWorkers, WORKFLOWS_PATH } from '../../../workers/index';
import { createTriggerHandlers, startGateway, type Gateway } from '../../../triggers/gateway';
import { temporalPort } from '../../../triggers/workflows';
import { main, type CliIO } from '../../../cli/main';
import { ensureInsightsSchedules, INSIGHTS_SCHEDULES } from '../../../cli/schedules';
import { parseOrgConfig, type OrgConfig } from '../../../domain/config';
import { localDateOf, weekdayOf } from '../../../domain/business-calendar';
import { isoWeekOf } from '../../../domain/insights/cadence';
import { INSIGHT_ROW, THEME_ROW } from '../../../domain/insights/notion-rows';
import {
  insightsDigestId,
  insightsThemeId,
  insightsTriageId,
  themeStatus,
  type DigestResult,
  type LauncherOutcome,
  type TriageResult,
} from '../../../workflows/insights/messages';
import { insightsDigestWorkflow } from '../../../workflows/insights/digest';
import type { TriggerSecrets } from '../../../triggers/secrets';

const SECRETS: TriggerSecrets = {
  jira: ['e2e-jira-secret-0123456789'],
  notion: ['secret_e2enotiontoken0123456789'],
  calendar: ['e2e-calendar-secret-0123456789'],
  insights: ['e2e-insights-secret-0123456789'],
};

let env: TestWorkflowEnvironment;
let sandbox: Sandbox;
let workflowBundle: WorkflowBundleWithSourceMap;
let gateway: Gateway;
let config: OrgConfig;
let configPath: string;
const taskQueue = uniqueId('insights-e2e');
// Every day a working day, in UTC: today's scheduled run is the week's triage and a roundup.
const today = localDateOf(Date.now(), 'UTC');

function configText(address: string): string {
  return exampleConfigText()
    .replace('address: 127.0.0.1:7233', `address: ${address}`)
    .replace('taskQueue: prodops', `taskQueue: ${taskQueue}`)
    .replace('calendars:\n', 'calendars:\n  everyday:\n    timezone: UTC\n    weekend: []\n')
    .replace(/ {2}calendar: london #.*\n/, '  calendar: everyday\n')
    .replace(/triage: \{ day: mon,/, `triage: { day: ${weekdayOf(today)},`)
    .replace('roundup: { days: [mon, thu] }', `roundup: { days: [${weekdayOf(today)}] }`)
    .replace(
      'rateLimits: { notion: 3, jira: 10, google: 10 }',
      'rateLimits: { notion: 50, jira: 50, google: 50 }',
    );
}

/** Every person an operator with their own key: the CLI signs each command as its `--by`. */
let operators: TestOperators;

async function prodops(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const byAt = args.indexOf('--by');
  const operator = byAt >= 0 ? args[byAt + 1]! : 'priya';
  const code = await asOperator(operators, operator, () => main([...args, '--config', configPath], io));
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

async function eventually<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  what: string,
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 400; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last, null, 2)?.slice(0, 3000)}`);
}

let stopWorkers: () => Promise<void> = async () => {};

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createDevServerEnv(), bundle(WORKFLOWS_PATH)]);
  const plain = configText(env.connection.options.address);
  operators = withOperators(parseOrgConfig(plain));
  const text = `${plain}\n${operatorsYaml(operators)}`;
  config = parseOrgConfig(text);
  configPath = join(mkdtempSync(join(tmpdir(), 'prodops-insights-')), 'prodops.config.yaml');
  writeFileSync(configPath, text);
  sandbox = await startSandbox({ config });
  const built = buildActivities({ config: () => config, env: {}, sandboxUrl: sandbox.url });
  const workers = await createWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle,
    activities: built.bySystem,
    localActivities: built.core,
    rateLimits: config.integrations.rateLimits,
    overrides: { shutdownGraceTime: '1 second' },
  });
  const running = runWorkers(workers);
  stopWorkers = async () => {
    for (const w of workers) w.shutdown();
    await running;
  };
  gateway = await startGateway({
    port: 0,
    handlers: createTriggerHandlers({
      config,
      secrets: SECRETS,
      workflows: temporalPort(env.client, { taskQueue }),
      publicUrl: null,
      log: () => {},
    }),
    log: () => {},
  });
});
afterAll(async () => {
  await gateway?.close();
  await stopWorkers();
  await env?.teardown();
  await sandbox?.close();
});

describe('the insights pipeline end to end', () => {
  it('goes from a Notion form page and webhooks to routed themes, a decision in Notion and the monthly digest', async () => {
    const notion = sandbox.notion.store;
    const insightsDs = config.integrations.notion.dataSources.insights!;
    const themesDs = config.integrations.notion.dataSources.insightThemes!;
    const digestsDs = config.integrations.notion.dataSources.insightDigests!;
    const notionEvent = (pageId: string, type: string, by: string) =>
      sendVendorRequest(
        gateway.url,
        notionDelivery(
          notionPageEvent({
            type,
            pageId,
            parent: { id: insightsDs, type: 'data_source' },
            authorId: notion.userIdFor(by),
          }),
          SECRETS.notion[0]!,
        ),
      );

    // 1. A CSM fills in the Notion form: a row in the insights data source, without an area.
    const formRow = notion.addPage(
      insightsDs,
      {
        Name: 'Seat pricing blocks the renewal',
        [INSIGHT_ROW.text]:
          'Procurement will not renew while we pay for forty seats that only read one report a month',
        [INSIGHT_ROW.account]: 'Acme Corp',
        [INSIGHT_ROW.segment]: 'Enterprise',
        [INSIGHT_ROW.theme]: 'Pricing',
        [INSIGHT_ROW.severity]: 'High',
        [INSIGHT_ROW.link]: 'https://northwind.example/calls/acme-qbr',
      },
      'maya',
    );
    expect((await notionEvent(formRow, 'page.created', 'maya')).status).toBe(200);
    const written = await eventually(
      () => notion.page(formRow)!,
      (p) =>
        (p.properties[INSIGHT_ROW.status] as { select?: { name?: string } })?.select?.name ===
        'Needs tagging',
      'the form row marked as needing tagging',
    );
    const insightId = (written.properties[INSIGHT_ROW.insightId] as { rich_text: { plain_text: string }[] })
      .rich_text[0]!.plain_text;
    expect(insightId).toMatch(/^ins-\d-1$/);

    // 2. Product Ops sets its area on the row.
    notion.setProperty(formRow, INSIGHT_ROW.area, 'Billing', 'priya');
    expect((await notionEvent(formRow, 'page.properties_updated', 'priya')).status).toBe(200);
    const shown = await eventually(
      () => prodops(['insight', 'show', insightId, '--json']),
      (r) => r.code === 0 && (JSON.parse(r.stdout) as { status: string }).status === 'open',
      'the form item tagged',
    );
    expect(JSON.parse(shown.stdout)).toMatchObject({
      via: 'notion',
      area: 'billing',
      taggedBy: { by: 'priya@northwind.example' },
    });

    // 3. A help desk posts insights to the gateway, signed; one of them twice.
    const post = (insight: Record<string, unknown>, secret = SECRETS.insights[0]!) =>
      sendVendorRequest(gateway.url, insightDelivery(insight, secret));
    const ticket = (
      id: string,
      account: string,
      theme: string,
      severity: string,
      area: string,
      text: string,
    ) => ({
      source: 'zendesk',
      externalId: id,
      account,
      segment: 'mid-market',
      theme,
      severity,
      area,
      evidenceType: 'ticket-volume',
      link: `https://northwind.zendesk.example/tickets/${id}`,
      text,
    });
    const first = await post(
      ticket(
        '5001',
        'Globex',
        'pricing',
        'high',
        'billing',
        'Usage based billing makes the annual cost impossible to forecast',
      ),
    );
    expect(first).toMatchObject({ status: 200, body: { ok: true, key: 'zendesk:5001', needsTagging: [] } });
    expect(
      (
        await post(
          ticket(
            '5001',
            'Globex',
            'pricing',
            'high',
            'billing',
            'Usage based billing makes the annual cost impossible to forecast',
          ),
        )
      ).body,
    ).toMatchObject({ duplicate: true });
    await post(
      ticket(
        '5002',
        'Hooli',
        'reliability',
        'medium',
        'reports',
        'Scheduled exports failed silently three times this week',
      ),
    );
    await post(
      ticket(
        '5003',
        'Initech',
        'onboarding',
        'low',
        'billing',
        'The billing step of the setup wizard asks for a VAT number first',
      ),
    );
    const unsigned = await post(
      ticket('5004', 'Hooli', 'pricing', 'low', 'billing', 'x'),
      'not-the-secret-0123456789',
    );
    expect(unsigned.status).toBe(401);

    // 4. An import from a spreadsheet, through the command line, with progress.
    const csv = join(mkdtempSync(join(tmpdir(), 'prodops-csv-')), 'feedback.csv');
    writeFileSync(
      csv,
      [
        'Source,External id,Account,Text,Segment,Theme,Severity,Area,Evidence type,Link',
        'gong,c-1,Stark Logistics,"Opening the funnel report takes forty seconds, every time",enterprise,performance,high,reports,quote,https://gong.example/c-1',
        'gong,c-2,Umbrella Health,The API returns 502 for a minute every night,enterprise,reliability,high,api,quote,',
        'gong,c-3,Wayne Retail,Invoices fail to generate overnight and nobody is told,smb,reliability,medium,billing,quote,',
      ].join('\n'),
    );
    const imported = await prodops(['insight', 'import', csv, '--by', 'priya']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(
      /3 rows in [\d.]+ s — 3 new, 0 merged as extra evidence, 0 already in the backlog; 0 need tagging/,
    );
    expect(imported.stderr).toMatch(/imported \d\/3 rows/);

    // 5. The preview: what a triage would route, touching nothing.
    const preview = await eventually(
      () => prodops(['insights', 'triage', '--preview', '--json']),
      (r) =>
        r.code === 0 &&
        (JSON.parse(r.stdout) as { areas: { themes: unknown[] }[] }).areas.flatMap((a) => a.themes).length ===
          6,
      'six ranked themes',
    );
    const ranking = JSON.parse(preview.stdout) as {
      areas: {
        area: string;
        pm: string;
        themes: { theme: string; high: number; accounts: number; items: number }[];
      }[];
      crossCutting: { theme: string; areas: string[] }[];
    };
    expect(ranking.areas.find((a) => a.area === 'billing')).toMatchObject({
      pm: 'ana',
      themes: [
        { theme: 'pricing', high: 2, accounts: 2, items: 2 },
        { theme: 'reliability', high: 0, accounts: 1, items: 1 },
        { theme: 'onboarding', high: 0, accounts: 1, items: 1 },
      ],
    });
    expect(ranking.crossCutting).toEqual([
      expect.objectContaining({ theme: 'reliability', areas: ['api', 'billing', 'reports'] }),
    ]);

    // Product Ops tags an item by hand; the status shows the shards.
    const initech = (
      JSON.parse(preview.stdout) as {
        areas: { area: string; themes: { theme: string; itemIds: string[] }[] }[];
      }
    ).areas
      .find((a) => a.area === 'billing')!
      .themes.find((t) => t.theme === 'onboarding')!.itemIds[0]!;
    const tagged = await prodops([
      'insight',
      'tag',
      initech,
      '--evidence',
      'quote',
      '--by',
      'priya',
      '--json',
    ]);
    expect(tagged.code).toBe(0);
    expect(JSON.parse(tagged.stdout)).toMatchObject({ evidenceType: 'quote', taggedBy: { by: 'priya' } });
    const status = JSON.parse((await prodops(['insights', 'status', '--json'])).stdout) as {
      backlogs: { open: number }[];
    };
    expect(status.backlogs.reduce((n, b) => n + b.open, 0)).toBe(7);

    // 6. The weekly schedule fires: its launcher starts this week's triage once and sends the roundup.
    await ensureInsightsSchedules(env.client, config);
    const schedule = env.client.schedule.getHandle(INSIGHTS_SCHEDULES.weekly);
    await schedule.trigger();
    const week = isoWeekOf(today);
    const triage = env.client.workflow.getHandle(insightsTriageId(week));
    const result = (await eventually(
      () => triage.result().catch(() => null),
      (r) => r !== null,
      'the triage',
    )) as TriageResult;
    expect(result.problems).toEqual([]);
    expect(result.routed.map((r) => `${r.area}/${r.theme}`).sort()).toEqual([
      'api/reliability',
      'billing/onboarding',
      'billing/pricing',
      'billing/reliability',
      'reports/performance',
      'reports/reliability',
    ]);
    const launched = await eventually(
      async () => (await schedule.describe()).info.recentActions,
      (actions) => actions.length > 0,
      'the schedule’s run',
    );
    const launcher = env.client.workflow.getHandle(launched[0]!.action.workflow.workflowId);
    const outcome = (await launcher.result()) as LauncherOutcome;
    expect(outcome).toMatchObject({
      started: [insightsTriageId(week)],
      roundup: { items: 0, mailed: false },
    });

    // The area's digest page in Notion and the PM's mail hold every piece of evidence and its link.
    const digestPages = notion.pages(digestsDs);
    const billing = digestPages.find((p) =>
      JSON.stringify(p.properties).includes(`Insights — Billing — ${week}`),
    )!;
    const billingText = notion.blockTexts(billing.id).join('\n');
    expect(billingText).toContain('https://northwind.zendesk.example/tickets/5001');
    expect(billingText).toContain('https://northwind.example/calls/acme-qbr');
    expect(billingText).toContain('1. Pricing — 2 High, 2 accounts, 2 items');
    const anaMail = sandbox.google.store
      .messages('ana@northwind.example')
      .find((m) => m.subject.includes('Billing insights'))!;
    expect(anaMail.text).toContain('https://northwind.zendesk.example/tickets/5001');
    expect(
      sandbox.google.store
        .messages('hana@northwind.example')
        .some((m) => m.subject.includes('Cross-cutting')),
    ).toBe(true);

    // 7. Ana answers in Notion, on the theme's row.
    const pricingRow = await eventually(
      () =>
        notion
          .pages(themesDs)
          .find(
            (p) =>
              p.properties['prodops key'] &&
              JSON.stringify(p.properties['prodops key']).includes(`billing:pricing:${week}`),
          ),
      (p) => p !== undefined,
      'the pricing row',
    );
    notion.setProperty(pricingRow!.id, THEME_ROW.rationale, 'Seat tiers are planned for Q2', 'ana');
    notion.setProperty(pricingRow!.id, THEME_ROW.disposition, 'Backlog', 'ana');
    await sendVendorRequest(
      gateway.url,
      notionDelivery(
        notionPageEvent({
          type: 'page.properties_updated',
          pageId: pricingRow!.id,
          parent: { id: themesDs, type: 'data_source' },
          authorId: notion.userIdFor('ana'),
        }),
        SECRETS.notion[0]!,
      ),
    );
    const decided = await eventually(
      () => env.client.workflow.getHandle(insightsThemeId('billing', 'pricing')).query(themeStatus),
      (s) => s.rounds.length === 1,
      'the decision',
    );
    expect(decided.rounds[0]!.decision).toMatchObject({
      disposition: 'backlog',
      by: 'ana',
      via: 'notion',
      rationale: 'Seat tiers are planned for Q2',
    });
    // Hugo decides his by command; Ben may not decide Ana's.
    expect(
      (await prodops(['insight', 'decide', 'billing/onboarding', '--disposition', 'research', '--by', 'ben']))
        .stderr,
    ).toMatch(/ben cannot decide billing\/onboarding: only Ana Costa \(ana\) or Hana Okafor \(hana\) can/);
    const byCommand = await prodops([
      'insight',
      'decide',
      'reports/performance',
      '--disposition',
      'addressed',
      '--by',
      'hugo',
      '--json',
    ]);
    expect(byCommand.code).toBe(0);

    // 8. The Monthly Insights Digest (its schedule starts it on the first working day of the month).
    const month = today.slice(0, 7);
    const digest: DigestResult = await env.client.workflow.execute(insightsDigestWorkflow, {
      taskQueue,
      workflowId: insightsDigestId(month),
      args: [{ month, startedBy: 'test' }],
    });
    expect(digest.problems).toEqual([]);
    expect(digest.report.decidedInTime).toMatchObject({ routed: 6, inTime: 2 });
    expect(digest.report.escalated.map((e) => e.account)).toEqual(['Umbrella Health']);
    const monthly = notion
      .pages(digestsDs)
      .find((p) => JSON.stringify(p.properties).includes('Insights Digest — '))!;
    const monthlyText = notion.blockTexts(monthly.id).join('\n');
    expect(monthlyText).toContain('Billing · Pricing: Backlog (Ana Costa');
    expect(monthlyText).toContain('Umbrella Health');
    expect(
      sandbox.google.store
        .messages('hana@northwind.example')
        .some((m) => m.subject.startsWith('[prodops] Insights Digest')),
    ).toBe(true);

    // The command prints the same report.
    const report = await prodops(['insights', 'report', '--month', month, '--json']);
    expect(report.code).toBe(0);
    const printed = JSON.parse(report.stdout) as typeof digest.report;
    expect(printed.decidedInTime).toEqual(digest.report.decidedInTime);
    expect(printed.topThemes).toEqual(digest.report.topThemes);

    // A near-duplicate merged by mistake is undone from the command line.
    const near = await post(
      ticket(
        '5005',
        'Hooli',
        'reliability',
        'low',
        'reports',
        'Scheduled exports failed silently three times this week!',
      ),
    );
    expect(near.status).toBe(200);
    const merged = await eventually(
      async () =>
        JSON.parse((await prodops(['insights', 'triage', '--preview', '--json'])).stdout) as {
          areas: { area: string; themes: { theme: string; evidence: number; itemIds: string[] }[] }[];
        },
      (r) =>
        r.areas.find((a) => a.area === 'reports')!.themes.find((t) => t.theme === 'reliability')!.evidence ===
        2,
      'the near-duplicate merged',
    );
    const mergedInto = merged.areas
      .find((a) => a.area === 'reports')!
      .themes.find((t) => t.theme === 'reliability')!.itemIds[0]!;
    const shownFirst = JSON.parse((await prodops(['insight', 'show', mergedInto, '--json'])).stdout) as {
      merged: { id: string }[];
    };
    const unmerged = await prodops(['insight', 'unmerge', shownFirst.merged[0]!.id, '--by', 'priya']);
    expect(unmerged.stdout).toBe(
      `${shownFirst.merged[0]!.id} is an item of its own again, apart from ${mergedInto} for good`,
    );

    await recordHistory(
      launcher,
      'insights',
      'launcher-weekly',
      'the weekly schedule’s run: starts the week’s triage, the roundup finds nothing to tag',
    );
  });
});
