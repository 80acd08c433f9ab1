/**
 * `prodops simulate …`: a person's change in Jira, Notion or Google Calendar, made in the local
 * sandbox and delivered to the trigger gateway as the vendor would deliver it (same shape, same
 * signature), so that a release starts from a Jira edit with nothing but `npm start` running.
 *
 * Signing secrets are the environment's, else the development ones `npm start` generated in its
 * data directory.
 */
import type { Command } from 'commander';
import type { OrgConfig } from '../domain/config';
import { readSigningSecrets, TRIGGER_SECRET_ENV, type TriggerSecretKind } from '../triggers/secrets';
import {
  findReadinessSubtask,
  sandboxRunning,
  simulateJiraIssue,
  simulateJiraStatus,
  simulateFreelancerIntake,
  simulateNotionPublish,
  simulateOutOfOffice,
  syntheticJiraIssue,
  type JiraIssueChange,
} from '../sandbox/simulate/simulation';
import {
  jiraDelivery,
  notionDelivery,
  sendVendorRequest,
  type JiraWebhookPayload,
  type VendorRequest,
} from '../sandbox/simulate/vendor-events';
import { SANDBOX_STATE_FILE, SandboxStateFile } from '../sandbox/persist';
import { DEFAULT_GATEWAY_PORT } from '../triggers/endpoints';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import type { CliIO } from './main';
import { parseChoice, parseIssueKey, parseSeconds, parseTier } from './parse';

export const GATEWAY_URL_ENV = 'PRODOPS_GATEWAY_URL';
export const SANDBOX_URL_ENV = 'PRODOPS_SANDBOX_URL';

interface CommonOptions {
  gatewayUrl?: string;
  sandboxUrl?: string;
  dataDir: string;
  config?: string;
}

interface Context {
  config: OrgConfig;
  gatewayUrl: string;
  sandboxUrl: string;
  dataDir: string;
  io: CliIO;
}

function common(command: Command): Command {
  return command
    .option(
      '--gateway-url <url>',
      `the trigger gateway (default: $${GATEWAY_URL_ENV} or http://127.0.0.1:${DEFAULT_GATEWAY_PORT})`,
    )
    .option('--sandbox-url <url>', `the sandbox (default: $${SANDBOX_URL_ENV} or http://127.0.0.1:8789)`)
    .option('--data-dir <dir>', 'where npm start keeps its development secrets', '.prodops')
    .option(
      '--config <path>',
      'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml, else the example)',
    );
}

function context(options: CommonOptions, io: CliIO): Context {
  const { config } = loadConfig(options.config, { allowExample: true });
  return {
    config,
    gatewayUrl: (
      options.gatewayUrl ??
      process.env[GATEWAY_URL_ENV] ??
      `http://127.0.0.1:${DEFAULT_GATEWAY_PORT}`
    ).replace(/\/+$/, ''),
    sandboxUrl: (options.sandboxUrl ?? process.env[SANDBOX_URL_ENV] ?? 'http://127.0.0.1:8789').replace(
      /\/+$/,
      '',
    ),
    dataDir: options.dataDir,
    io,
  };
}

function secretFor(ctx: Context, kind: TriggerSecretKind): string {
  const secrets = readSigningSecrets(ctx.dataDir);
  const secret = secrets[kind][0];
  if (!secret)
    throw CliError.usage(
      `no ${kind} secret to sign with: set ${TRIGGER_SECRET_ENV[kind]}, or run prodops start first (it keeps development secrets in ${ctx.dataDir})`,
    );
  return secret;
}

/** A Jira issue key given with --key, as Jira writes it. */
const parseKey = (value: string) => parseIssueKey(value, '--key', 'REL-9');

/** The changes are made in the sandbox first: it must be running. */
async function requireSandbox(ctx: Context): Promise<void> {
  if (!(await sandboxRunning(ctx.sandboxUrl)))
    throw CliError.usage(`no sandbox at ${ctx.sandboxUrl}: start prodops first`);
}

async function deliver(ctx: Context, request: VendorRequest, label: string): Promise<void> {
  let answer;
  try {
    answer = await sendVendorRequest(ctx.gatewayUrl, request);
  } catch (error) {
    throw CliError.failure(
      `cannot reach the gateway at ${ctx.gatewayUrl} (${error instanceof Error ? error.message : String(error)}): is prodops start running?`,
    );
  }
  const { status, body } = answer;
  if (status < 200 || status >= 300)
    throw CliError.failure(
      `${label}: the gateway answered ${status}: ${typeof body.error === 'string' ? body.error : JSON.stringify(body)}`,
    );
  const results = Array.isArray(body.results)
    ? (body.results as { workflowId: string; signal: string; outcome: string }[])
        .map((r) => `${r.signal} → ${r.workflowId} (${r.outcome})`)
        .join(', ')
    : typeof body.workflowId === 'string'
      ? `${body.workflowId} (${String(body.outcome)})`
      : '';
  ctx.io.out(
    `${label}: ${status}${results ? ` — ${results}` : ''}${typeof body.ignored === 'string' ? ` — ignored: ${body.ignored}` : ''}`,
  );
}

async function sendJira(ctx: Context, payload: JiraWebhookPayload): Promise<void> {
  const what = payload.changelog?.items.map((i) => `${i.field} → ${i.toString ?? '∅'}`).join(', ');
  await deliver(
    ctx,
    jiraDelivery(payload, secretFor(ctx, 'jira')),
    `${payload.webhookEvent} ${payload.issue.key}${what ? ` (${what})` : ''}`,
  );
}

/**
 * `prodops sandbox reset`: the sandbox starts clean. A running sandbox is reset in place (its
 * memory and its state file); otherwise the state file in the data directory is cleared, so the
 * next `npm start` seeds the sandbox afresh.
 */
export function registerSandboxCommands(program: Command, io: CliIO): void {
  program
    .command('sandbox')
    .description('work with the local sandbox of Jira, Notion and Google')
    .command('reset')
    .description('forget every issue, page, event and mail the sandbox holds, running or not')
    .option('--sandbox-url <url>', `the sandbox (default: $${SANDBOX_URL_ENV} or http://127.0.0.1:8789)`)
    .option('--data-dir <dir>', 'where npm start keeps the sandbox state', '.prodops')
    .action(async (options: { sandboxUrl?: string; dataDir: string }) => {
      const sandboxUrl = (
        options.sandboxUrl ??
        process.env[SANDBOX_URL_ENV] ??
        'http://127.0.0.1:8789'
      ).replace(/\/+$/, '');
      if (await sandboxRunning(sandboxUrl)) {
        const response = await fetch(`${sandboxUrl}/_sandbox/reset`, {
          method: 'POST',
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok)
          throw new CliError(`the sandbox at ${sandboxUrl} answered ${response.status} to the reset`);
        io.out(`sandbox at ${sandboxUrl} reset: seeded afresh from the configuration, and saved so`);
        return;
      }
      const path = join(options.dataDir, SANDBOX_STATE_FILE);
      if (!existsSync(path)) {
        io.out(`no sandbox is running at ${sandboxUrl} and ${path} does not exist: nothing to reset`);
        return;
      }
      const stateFile = new SandboxStateFile(path);
      try {
        stateFile.clear();
      } finally {
        stateFile.close();
      }
      io.out(`sandbox state in ${path} cleared: the next start seeds it afresh from the configuration`);
    });
}

export function registerSimulateCommands(program: Command, cliIO: CliIO): void {
  const simulate = program
    .command('simulate')
    .description(
      'make a change in the sandbox as a person would, and send the vendor’s webhook to the gateway',
    );

  common(
    simulate
      .command('jira-issue')
      .description(
        'create or edit a release issue (tier, launch date, PM) and send issue_created/issue_updated',
      )
      .option('--key <KEY>', 'the issue, for example REL-9 (created when the sandbox has none)')
      .option('--tier <N>', 'tier 1, 2 or 3')
      .option('--launch <YYYY-MM-DD>', 'launch date')
      .option('--pm <id>', 'the PM owner (a person id), made the assignee')
      .option('--title <text>', 'the issue summary')
      .option('--area <name>', 'product area')
      .option('--as <id>', 'who makes the change (default: the PM)'),
  ).action(
    async (
      options: CommonOptions & {
        key?: string;
        tier?: string;
        launch?: string;
        pm?: string;
        title?: string;
        area?: string;
        as?: string;
      },
    ) => {
      const ctx = context(options, cliIO);
      const change: JiraIssueChange = {
        ...(options.key !== undefined ? { key: parseKey(options.key) } : {}),
        ...(options.tier !== undefined ? { tier: parseTier(options.tier) } : {}),
        ...(options.launch !== undefined ? { launch: options.launch } : {}),
        ...(options.pm !== undefined ? { pm: options.pm } : {}),
        ...(options.title !== undefined ? { title: options.title } : {}),
        ...(options.area !== undefined ? { area: options.area } : {}),
        ...(options.as !== undefined ? { as: options.as } : {}),
      };
      if (!(await sandboxRunning(ctx.sandboxUrl))) {
        if (!change.key)
          throw CliError.usage(`no sandbox at ${ctx.sandboxUrl}: pass --key of an issue in your Jira`);
        ctx.io.out(`no sandbox at ${ctx.sandboxUrl}: sending the webhook only`);
        await sendJira(ctx, syntheticJiraIssue(ctx.config, { ...change, key: change.key }));
        return;
      }
      const payload = await simulateJiraIssue(ctx.sandboxUrl, ctx.config, change);
      if (!payload) {
        ctx.io.out(`nothing changed on ${change.key}: no webhook sent`);
        return;
      }
      await sendJira(ctx, payload);
    },
  );

  common(
    simulate
      .command('jira-status')
      .description('move an issue to a status (Released, Cancelled, Done …) and send issue_updated')
      .requiredOption('--key <KEY>', 'the issue')
      .requiredOption('--status <name>', 'the status to move to')
      .option('--as <id>', 'who moves it (a person id)'),
  ).action(async (options: CommonOptions & { key: string; status: string; as?: string }) => {
    const ctx = context(options, cliIO);
    const key = parseKey(options.key);
    await requireSandbox(ctx);
    const payloads = await simulateJiraStatus(ctx.sandboxUrl, ctx.config, {
      key,
      status: options.status,
      ...(options.as ? { as: options.as } : {}),
    });
    for (const payload of payloads) await sendJira(ctx, payload);
  });

  common(
    simulate
      .command('jira-readiness')
      .description('mark the Support or Sales readiness sub-task of a release done, as its lead')
      .requiredOption('--key <KEY>', 'the release issue')
      .requiredOption('--team <team>', 'support or sales')
      .option('--by <id>', 'who confirms (default: the configured lead)'),
  ).action(async (options: CommonOptions & { key: string; team: string; by?: string }) => {
    const ctx = context(options, cliIO);
    const key = parseKey(options.key);
    const team = parseChoice(options.team, '--team', ['support', 'sales']);
    const by =
      options.by ?? (team === 'support' ? ctx.config.releases.supportLead : ctx.config.releases.salesLead);
    if (!by) throw CliError.usage(`no ${team} lead is configured: pass --by`);
    await requireSandbox(ctx);
    const subtask = await findReadinessSubtask(ctx.sandboxUrl, key, team);
    if (!subtask)
      throw CliError.failure(`${key} has no ${team} readiness sub-task yet (Tier 2 and 3 releases get one)`);
    const payloads = await simulateJiraStatus(ctx.sandboxUrl, ctx.config, {
      key: subtask,
      status: ctx.config.integrations.jira.statuses.done,
      as: by,
    });
    for (const payload of payloads) await sendJira(ctx, payload);
  });

  common(
    simulate
      .command('notion-publish')
      .description('set the release’s enablement bundle to Published and send the Notion event')
      .requiredOption('--key <KEY>', 'the release issue')
      .option('--wait <seconds>', 'how long to wait for the release workflow to make the bundle', '30'),
  ).action(async (options: CommonOptions & { key: string; wait: string }) => {
    const ctx = context(options, cliIO);
    const key = parseKey(options.key);
    const wait = parseSeconds(options.wait, '--wait');
    await requireSandbox(ctx);
    const event = await simulateNotionPublish(ctx.sandboxUrl, ctx.config, { key, waitMs: wait * 1000 });
    await deliver(
      ctx,
      notionDelivery(event, secretFor(ctx, 'notion')),
      `${event.type} (bundle of ${key} Published)`,
    );
  });

  common(
    simulate
      .command('notion-freelancer')
      .description('add a freelancer intake page in Notion, as the hiring manager, and send page.created')
      .requiredOption('--name <name>', 'the freelancer’s name')
      .requiredOption('--email <address>', 'the freelancer’s email')
      .requiredOption('--team <id>', 'the team they join')
      .requiredOption('--manager <id>', 'the hiring manager (a person id)')
      .requiredOption('--start <YYYY-MM-DD>', 'the start date')
      .requiredOption('--end <YYYY-MM-DD>', 'the contract end date')
      .option('--tools <ids>', 'tools, comma-separated', 'jira,notion,google')
      .option('--country <code>', 'where they work from', 'GB')
      .option('--role <role>', 'their role', 'freelancer')
      .option('--as <id>', 'who adds the page (default: the manager)'),
  ).action(
    async (
      options: CommonOptions & {
        name: string;
        email: string;
        team: string;
        manager: string;
        start: string;
        end: string;
        tools: string;
        country: string;
        role: string;
        as?: string;
      },
    ) => {
      const ctx = context(options, cliIO);
      await requireSandbox(ctx);
      const event = await simulateFreelancerIntake(ctx.sandboxUrl, ctx.config, {
        ...options,
        tools: options.tools
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== ''),
        ...(options.as ? { as: options.as } : {}),
      });
      await deliver(
        ctx,
        notionDelivery(event, secretFor(ctx, 'notion')),
        `${event.type} (intake of ${options.name})`,
      );
    },
  );

  common(
    simulate
      .command('calendar-ooo')
      .description(
        'create an out-of-office event on a person’s calendar (the sandbox pushes to its channels)',
      )
      .requiredOption('--person <id>', 'whose calendar')
      .requiredOption('--from <YYYY-MM-DD>', 'first day off')
      .requiredOption('--to <YYYY-MM-DD>', 'last day off')
      .option('--summary <text>', 'the event title', 'Out of office'),
  ).action(async (options: CommonOptions & { person: string; from: string; to: string; summary: string }) => {
    const ctx = context(options, cliIO);
    await requireSandbox(ctx);
    const created = await simulateOutOfOffice(ctx.sandboxUrl, ctx.config, options);
    ctx.io.out(
      `out-of-office ${created.eventId} on ${created.calendarId}: the sandbox notifies the calendar's channels (prodops calendar status --person ${options.person})`,
    );
  });
}
