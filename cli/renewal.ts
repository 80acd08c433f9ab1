/**
 * `prodops plan renewal` and the `prodops renewal …` commands: plan a renewal's dates without
 * starting anything, add a subscription (or change one) as its Notion row would, look at one,
 * list them through visibility, decide and snooze.
 *
 * Every option is checked against the configuration before connecting, each problem naming its
 * flag. Adding goes through the workflow's update (started with it when new), so the workflow's
 * own checks answer too; decisions and snoozes carry `--by` and `via: cli`, signed by the operator
 * the command line acts as (cli/operator.ts): `--by` someone else needs their grant.
 */
import type { Command } from 'commander';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { compareDates, type CalendarDate } from '../domain/business-calendar';
import type { OrgConfig } from '../domain/config';
import { formatCents, formatMoney } from '../domain/budget';
import { budgetText } from '../domain/renewal-content';
import { describeCycle } from '../domain/renewal-plan';
import {
  checkSubscription,
  DECISIONS,
  type Decision,
  subscriptionDirectory,
  type RawSubscription,
} from '../domain/subscription';
import { RENEWAL_WORKFLOW_TYPE, SUBSCRIPTION_ID, subscriptionWorkflowId } from '../contracts/renewals';
import {
  decideRenewal,
  renewalStatus,
  setSubscription,
  snoozeReminder,
  type RenewalStatusView,
  type SetSubscriptionCommand,
  type SubscriptionMemo,
} from '../workflows/renewal/messages';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import type { CliIO } from './main';
import { resolveSigner } from './operator';
import { FLAG_OF, registerRenewalPlan } from './renewal-plan';
import { nonEmpty, parseChoice, parseDate, parseOptionalDate, parsePerson, parseTeam } from './parse';
import {
  addUpdateCommand,
  CONFIG_HELP,
  explain,
  listWorkflows,
  statusWorkflow,
  withSession,
  type WorkflowCommandOptions,
  type WorkflowTarget,
} from './workflow-commands';

export type RenewalCommandOptions = WorkflowCommandOptions;

const TARGET_HELP = 'the subscription: its id (figma) or workflow id (subscription:figma)';

/** `figma` or `subscription:figma`. */
export function parseSubscriptionId(raw: string): string {
  const id = raw.trim().replace(/^subscription:/, '');
  if (!SUBSCRIPTION_ID.test(id))
    throw CliError.usage(
      `"${raw}" is not a subscription id: lower-case letters, digits, ".", "_" or "-", at most 64 (for example figma)`,
    );
  return id;
}

const target = (id: string): WorkflowTarget => ({
  workflowId: subscriptionWorkflowId(id),
  kind: 'subscription',
  label: id,
});
const { queryStatus, runUpdate } = statusWorkflow(target, renewalStatus);

// ---- Output ---------------------------------------------------------------------------------

export function formatStatus(s: RenewalStatusView): string[] {
  const f = s.fields;
  if (!f || !s.cycle) {
    return [
      `${s.workflowId}: ${s.lifecycle}`,
      ...s.problems.map((p) => `  ${FLAG_OF[p.field]} (${p.field}) ${p.message}`),
    ];
  }
  const c = s.cycle;
  const plan = c.plan;
  const lines = [
    `${s.workflowId}: ${f.tool}${f.vendor ? ` (${f.vendor})` : ''}, ${s.lifecycle}, cycle ${c.number}`,
    `  owner ${f.ownerId}, team ${f.team}${f.category ? `, ${f.category}` : ''}; ${formatMoney({ amount: f.costPerCycle, currency: f.currency })} ${describeCycle(f.cycle)}${s.perYear ? `, ${formatCents(s.perYear.cents, s.perYear.currency)} per year` : ''}`,
    `  seats ${f.seats === null ? 'not recorded' : `${f.seatsInUse ?? '?'} in use of ${f.seats}${s.utilisationPercent === null ? '' : ` (${s.utilisationPercent}%)`}`}`,
    `  renews ${c.renewalDate} (${f.autoRenews ? 'renews by itself' : 'lapses unless renewed'}); cycle began ${c.start}`,
  ];
  if (plan) {
    lines.push(
      `  notice deadline ${plan.noticeDeadline}${s.daysLeft === null ? '' : ` (${s.daysLeft} days left)`}; escalation from ${plan.escalationDate}${c.missed ? '; MISSED' : ''}`,
    );
    const reminders = c.reminders.map(
      (r) => `${r.step === 'catch-up' ? 'catch-up' : `${r.step}d`} ${r.date} ${r.status}`,
    );
    if (reminders.length > 0) lines.push(`  reminders: ${reminders.join('; ')}`);
    if (c.escalations.length > 0) lines.push(`  escalated: ${c.escalations.join(', ')}`);
  }
  lines.push(
    c.decision
      ? `  decision: ${c.decision.decision} by ${c.decision.by} (${c.decision.via}${c.decision.operator ? `, operator ${c.decision.operator}` : ''}, ${c.decision.at})${c.decision.late ? ', after the deadline' : ''}${c.decision.note ? `: ${c.decision.note}` : ''}`
      : '  decision: none yet',
  );
  if (s.priceChangePercent !== null && s.priceChangePercent !== 0)
    lines.push(
      `  price: ${s.priceChangePercent > 0 ? '+' : ''}${s.priceChangePercent.toFixed(1)}% since the last cycle${s.priceRiseCalledOut ? ' — PRICE RISE above the threshold' : ''}`,
    );
  const budget = budgetText(s.budget);
  if (budget) lines.push(`  ${budget}`);
  for (const snooze of s.snoozes)
    lines.push(
      `  snoozed: ${snooze.step}d ${snooze.from} → ${snooze.to} by ${snooze.by} (${snooze.via}${snooze.operator ? `, operator ${snooze.operator}` : ''})`,
    );
  const made = [
    s.artifacts.jiraTask ? `Jira ${s.artifacts.jiraTask}` : null,
    s.artifacts.deadlineEvent ? 'deadline event' : null,
    s.artifacts.exportEvent ? 'export reminder' : null,
    s.notionPageId ? `Notion ${s.notionPageId}` : null,
  ].filter((x) => x !== null);
  if (made.length > 0) lines.push(`  made: ${made.join('; ')}`);
  for (const p of s.problems) lines.push(`  problem: ${FLAG_OF[p.field]} (${p.field}) ${p.message}`);
  if (s.endedOn) lines.push(`  ended ${s.endedOn}`);
  return lines;
}

/** The visibility query behind `renewal list`. */
export function listQuery(filter: {
  team?: string;
  status?: string;
  dueBefore?: CalendarDate;
  all?: boolean;
}): string {
  const clauses = [`WorkflowType = '${RENEWAL_WORKFLOW_TYPE}'`, `ExecutionStatus = 'Running'`];
  if (filter.status) clauses.push(`RenewalStatus = '${filter.status}'`);
  else if (!filter.all) clauses.push(`RenewalStatus IN ('active', 'missed', 'invalid')`);
  if (filter.team) clauses.push(`Team = '${filter.team}'`);
  // Deadlines are indexed as YYYY-MM-DD keywords, which compare in date order.
  if (filter.dueBefore) clauses.push(`NoticeDeadline <= '${filter.dueBefore}'`);
  return clauses.join(' AND ');
}

// ---- Commands -------------------------------------------------------------------------------

interface AddOptions {
  tool: string;
  renews: string;
  noticeDays: string;
  cost: string;
  currency: string;
  cycle: string;
  owner: string;
  by: string;
  vendor?: string;
  team?: string;
  category?: string;
  seats?: string;
  seatsInUse?: string;
  autoRenews: boolean;
  config?: string;
  json?: boolean;
}

/** The subscription `renewal add` describes, checked against the configuration; problems name flags. */
export function parseAdd(config: OrgConfig, opts: AddOptions): RawSubscription {
  const raw: RawSubscription = {
    tool: opts.tool,
    vendor: nonEmpty(opts.vendor, '--vendor') ?? null,
    owner: opts.owner,
    team: nonEmpty(opts.team, '--team') ?? null,
    category: nonEmpty(opts.category, '--category') ?? null,
    costPerCycle: opts.cost,
    currency: opts.currency,
    cycle: opts.cycle,
    renewalDate: opts.renews,
    noticeDays: opts.noticeDays,
    autoRenews: opts.autoRenews,
    seats: opts.seats ?? null,
    seatsInUse: opts.seatsInUse ?? null,
  };
  const checked = checkSubscription(raw, subscriptionDirectory(config));
  if (!checked.ok)
    throw CliError.usage(checked.problems.map((p) => `${FLAG_OF[p.field]} ${p.message}`).join('; '));
  return {
    ...raw,
    owner: checked.fields.ownerId,
    team: checked.fields.team,
    costPerCycle: checked.fields.costPerCycle,
    seats: checked.fields.seats,
    seatsInUse: checked.fields.seatsInUse,
    noticeDays: checked.fields.noticeDays,
    cycle: checked.fields.cycle,
  };
}

function registerAdd(renewal: Command, io: CliIO, options: RenewalCommandOptions): void {
  renewal
    .command('add')
    .description('add a subscription (or change one), as a row of the Notion data source subscriptions would')
    .argument('<id>', 'the subscription’s id, for example figma')
    .requiredOption('--tool <name>', 'the tool')
    .requiredOption('--renews <YYYY-MM-DD>', 'the next renewal date')
    .requiredOption('--notice-days <N>', 'the notice period in calendar days (0 for none)')
    .requiredOption('--cost <amount>', 'what one cycle costs')
    .requiredOption('--currency <code>', 'ISO 4217: the base currency or one of renewals.fxRates')
    .requiredOption('--cycle <cycle>', 'monthly, quarterly, annual or every N months (Nm)')
    .requiredOption('--owner <id>', 'who decides on the renewal')
    .requiredOption('--by <id>', 'who adds it: the operator, or someone their product-ops grant covers')
    .option('--vendor <name>', 'the vendor')
    .option('--team <id>', 'the team whose budget pays (default: the owner’s)')
    .option('--category <name>', 'for example Design, Engineering')
    .option('--seats <N>', 'seats bought')
    .option('--seats-in-use <N>', 'seats in use')
    .option('--no-auto-renews', 'the contract ends unless renewed (by default it renews by itself)')
    .option('--json', 'print the subscription’s status as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (rawId: string, opts: AddOptions) => {
      const id = parseSubscriptionId(rawId);
      const { config } = loadConfig(opts.config);
      const fields = parseAdd(config, opts);
      const by = parsePerson(config, opts.by, '--by').id;
      // Who signs, before connecting: a missing operator key is a usage error, not a refusal.
      const signer = options.signer ?? resolveSigner(config, options.env ?? process.env);
      const attributes = await import('../domain/search-attributes');
      await withSession(config, { ...options, signer }, async (session) => {
        const workflowId = subscriptionWorkflowId(id);
        const command: SetSubscriptionCommand = { fields, by, via: 'cli' };
        let status: RenewalStatusView;
        try {
          status = await session.connection.withDeadline(Date.now() + session.workerTimeoutMs, () =>
            session.client.workflow.executeUpdateWithStart(setSubscription, {
              args: [{ ...command, auth: signer.sign(workflowId, setSubscription.name, command) }],
              startWorkflowOperation: new WithStartWorkflowOperation(RENEWAL_WORKFLOW_TYPE, {
                workflowId,
                taskQueue: config.temporal.taskQueue,
                args: [{ subscriptionId: id }],
                workflowIdConflictPolicy: 'USE_EXISTING',
                // Listed from the start, before its first run has indexed it.
                typedSearchAttributes: [
                  { key: attributes.RenewalStatus, value: 'pending' },
                  { key: attributes.Team, value: fields.team as string },
                ],
              }),
            }),
          );
        } catch (error) {
          throw await explain(error, session, target(id));
        }
        if (opts.json) io.out(JSON.stringify(status));
        else for (const line of formatStatus(status)) io.out(line);
      });
    });
}

function registerReads(renewal: Command, io: CliIO, options: RenewalCommandOptions): void {
  renewal
    .command('status')
    .description('one subscription: its cycle, reminders, escalations, decision, budget and what was made')
    .argument('<id>', TARGET_HELP)
    .option('--json', 'print the status as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: { json?: boolean; config?: string }) => {
      const id = parseSubscriptionId(raw);
      const { config } = loadConfig(opts.config);
      await withSession(config, options, async (session) => {
        const status = await queryStatus(session, id);
        if (opts.json) io.out(JSON.stringify(status));
        else for (const line of formatStatus(status)) io.out(line);
      });
    });

  renewal
    .command('list')
    .description('subscriptions by notice deadline (a visibility query)')
    .option('--team <id>', 'only this team')
    .option('--status <status>', 'active, missed, invalid, cancelled or lapsed')
    .option('--due-before <YYYY-MM-DD>', 'notice deadlines on or before this date')
    .option('--undecided', 'only those without a decision')
    .option('--all', 'include cancelled and lapsed subscriptions still on record')
    .option('--json', 'print a JSON array')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (opts: {
        team?: string;
        status?: string;
        dueBefore?: string;
        undecided?: boolean;
        all?: boolean;
        json?: boolean;
        config?: string;
      }) => {
        const status =
          opts.status === undefined
            ? undefined
            : parseChoice(opts.status, '--status', ['active', 'missed', 'invalid', 'cancelled', 'lapsed']);
        const dueBefore = parseOptionalDate(opts.dueBefore, '--due-before');
        const { config } = loadConfig(opts.config);
        if (opts.team !== undefined) parseTeam(config, opts.team);
        const query = listQuery({
          ...(opts.team ? { team: opts.team } : {}),
          ...(status ? { status } : {}),
          ...(dueBefore ? { dueBefore } : {}),
          ...(opts.all ? { all: true } : {}),
        });
        await withSession(config, options, async (session) => {
          const rows = (
            await listWorkflows(session, query, (info) => {
              const memo = (info.memo as { subscription?: SubscriptionMemo } | undefined)?.subscription;
              return memo ? { ...memo, workflowId: info.workflowId } : undefined;
            })
          ).filter((r) => !opts.undecided || r.decision === null);
          rows.sort(
            (a, b) =>
              compareDates(a.noticeDeadline ?? '9999-12-31', b.noticeDeadline ?? '9999-12-31') ||
              a.tool.localeCompare(b.tool),
          );
          if (opts.json) {
            io.out(JSON.stringify(rows.map(({ budget: _budget, ...row }) => row)));
            return;
          }
          if (rows.length === 0) {
            io.out('no subscription matches');
            return;
          }
          for (const r of rows)
            io.out(
              `${r.noticeDeadline ?? '—'}  ${r.tool} (${r.team})  ${r.lifecycle}  ${r.decision ?? (r.escalated ? 'undecided, escalated' : 'undecided')}  ${r.perYear ? `${formatCents(r.perYear.cents, r.perYear.currency)}/yr` : ''}  renews ${r.renewalDate ?? '—'}${r.nextReminder ? `  next reminder ${r.nextReminder}` : ''}${r.budgetCallout ? '  over budget' : ''}  ${r.workflowId}`,
            );
        });
      },
    );
}

function registerChanges(renewal: Command, io: CliIO, options: RenewalCommandOptions): void {
  addUpdateCommand(renewal, io, options, {
    name: 'decide',
    description: 'record the decision on the renewal ahead: renew, renegotiate, downsize or cancel',
    argument: ['<id>', TARGET_HELP],
    options: (c) =>
      c
        .requiredOption('--decision <decision>', DECISIONS.join(', '))
        .requiredOption('--by <id>', 'who decides')
        .option('--note <text>', 'why, for the record and the procurement task'),
    jsonHelp: 'print the subscription’s status after the decision as one JSON object',
    parse: (raw, opts, config) => {
      const id = parseSubscriptionId(raw);
      const decision: Decision = parseChoice(opts.decision as string, '--decision', DECISIONS);
      const note = nonEmpty(opts.note as string | undefined, '--note');
      const by = parsePerson(config, opts.by as string, '--by').id;
      return { ref: id, parsed: { decision, by, via: 'cli' as const, ...(note ? { note } : {}) } };
    },
    run: async (session, id, command) => {
      const status = await runUpdate(session, id, decideRenewal, command);
      return { status, lines: formatStatus(status) };
    },
  });

  addUpdateCommand(renewal, io, options, {
    name: 'snooze',
    description: 'move the next reminder to a later day (never past the escalation)',
    argument: ['<id>', TARGET_HELP],
    options: (c) =>
      c
        .requiredOption('--until <YYYY-MM-DD>', 'the day the next reminder moves to')
        .requiredOption('--by <id>', 'who snoozes')
        .option('--note <text>', 'why'),
    jsonHelp: 'print the subscription’s status after the snooze as one JSON object',
    parse: (raw, opts, config) => {
      const id = parseSubscriptionId(raw);
      const until = parseDate(opts.until as string, '--until');
      const note = nonEmpty(opts.note as string | undefined, '--note');
      const by = parsePerson(config, opts.by as string, '--by').id;
      return { ref: id, parsed: { until, by, via: 'cli' as const, ...(note ? { note } : {}) } };
    },
    run: async (session, id, command) => {
      const status = await runUpdate(session, id, snoozeReminder, command);
      return { status, lines: formatStatus(status) };
    },
  });
}

export function registerRenewalCommands(
  program: Command,
  io: CliIO,
  options: RenewalCommandOptions = {},
): void {
  registerRenewalPlan(program, io);
  const renewal = program
    .command('renewal')
    .description('add, follow, decide and snooze subscription renewals');
  registerAdd(renewal, io, options);
  registerReads(renewal, io, options);
  registerChanges(renewal, io, options);
}
