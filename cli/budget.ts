/**
 * `prodops budget --year YYYY [--team X] [--json]`: each team's committed tool spend for the year
 * against its budget in `renewals.budgets`, in the base currency at the configuration's fixed
 * rates, and the subscriptions behind it. The figures come from every running subscription's
 * memo in one visibility listing; `--publish` also asks the year's budget workflow to rewrite the
 * Notion page "Tool budget YYYY" now (after an edit of `renewals.budgets`, for example).
 */
import type { Command } from 'commander';
import { formatCents, type BudgetView } from '../domain/budget';
import { budgetLineText } from '../domain/renewal-content';
import { TOOL_BUDGET_WORKFLOW_TYPE, toolBudgetWorkflowId } from '../contracts/renewals';
import { refreshBudget } from '../workflows/renewal/messages';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import type { CliIO } from './main';
import { parsePerson, parseTeam } from './parse';
import { asServiceError, CONFIG_HELP, withSession, type WorkflowCommandOptions } from './workflow-commands';

const amount = (cents: number | null) => (cents === null ? null : Math.round(cents) / 100);

/** The view as `budget --json` prints it: amounts in units of the base currency. */
export function budgetJson(view: BudgetView) {
  return {
    year: view.year,
    baseCurrency: view.baseCurrency,
    rates: view.rates,
    totals: {
      budget: amount(view.totals.budgetCents),
      committed: amount(view.totals.committedCents),
      remaining: amount(view.totals.remainingCents),
    },
    teams: view.teams.map((t) => ({
      team: t.team,
      name: t.teamName,
      budget: amount(t.budgetCents),
      committed: amount(t.committedCents),
      remaining: amount(t.remainingCents),
      position: t.position,
      lines: t.lines.map((l) => ({
        subscriptionId: l.subscriptionId,
        tool: l.tool,
        vendor: l.vendor,
        date: l.date,
        kind: l.kind,
        amount: l.amount,
        currency: l.currency,
        base: amount(l.baseCents),
        counted: l.counted,
        note: l.note,
      })),
    })),
    problems: view.problems,
  };
}

export function formatBudget(view: BudgetView): string[] {
  const money = (cents: number | null) => (cents === null ? '—' : formatCents(cents, view.baseCurrency));
  const rates = Object.entries(view.rates)
    .map(([currency, rate]) => `${currency} ${rate}`)
    .join(', ');
  const lines = [
    `Tool budget ${view.year} in ${view.baseCurrency}${rates ? ` (fixed rates: ${rates})` : ''}`,
    `${'team'.padEnd(22)}${'budget'.padStart(16)}${'committed'.padStart(16)}${'remaining'.padStart(16)}  position`,
  ];
  for (const t of view.teams)
    lines.push(
      `${t.teamName.slice(0, 21).padEnd(22)}${money(t.budgetCents).padStart(16)}${money(t.committedCents).padStart(16)}${money(t.remainingCents).padStart(16)}  ${t.position === 'over' ? 'OVER' : t.position}`,
    );
  lines.push(
    `${'all teams'.padEnd(22)}${money(view.totals.budgetCents).padStart(16)}${money(view.totals.committedCents).padStart(16)}${money(view.totals.remainingCents).padStart(16)}`,
  );
  for (const t of view.teams) {
    if (t.lines.length === 0) continue;
    lines.push('', `${t.teamName}:`);
    for (const l of t.lines) lines.push(`  ${budgetLineText(l, view.baseCurrency)}`);
  }
  for (const p of view.problems) lines.push(`problem: ${p}`);
  return lines;
}

export function registerBudgetCommand(
  program: Command,
  io: CliIO,
  options: WorkflowCommandOptions = {},
): void {
  program
    .command('budget')
    .description('committed tool spend of each team for a year against its budget (renewals.budgets)')
    .requiredOption('--year <YYYY>', 'the budget year')
    .option('--team <id>', 'only this team')
    .option('--json', 'print one JSON object')
    .option('--publish', 'also rewrite the Notion page "Tool budget YYYY" now')
    .option('--by <id>', 'who asks for the page to be rewritten (with --publish)')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (opts: {
        year: string;
        team?: string;
        json?: boolean;
        publish?: boolean;
        by?: string;
        config?: string;
      }) => {
        if (!/^\d{4}$/.test(opts.year.trim()))
          throw CliError.usage(`--year must be a year such as 2027, got "${opts.year}"`);
        const year = Number(opts.year);
        const { config } = loadConfig(opts.config);
        if (opts.team !== undefined) parseTeam(config, opts.team);
        if (opts.publish && opts.by === undefined)
          throw CliError.usage('--publish needs --by: who asks for it');
        const by = opts.by === undefined ? undefined : parsePerson(config, opts.by, '--by').id;
        const { budgetViewFor, readSubscriptionMemos, overlayFacts } = await import('../activities/renewals');
        await withSession(config, options, async (session) => {
          let memos;
          try {
            memos = await readSubscriptionMemos(session.client);
          } catch (error) {
            throw asServiceError(error);
          }
          const view = budgetViewFor(config, year, overlayFacts(memos, []), opts.team);
          if (opts.json) io.out(JSON.stringify(budgetJson(view)));
          else for (const line of formatBudget(view)) io.out(line);
          if (opts.publish && by) {
            try {
              await session.client.workflow.signalWithStart(TOOL_BUDGET_WORKFLOW_TYPE, {
                workflowId: toolBudgetWorkflowId(year),
                taskQueue: config.temporal.taskQueue,
                args: [{ year }],
                signal: refreshBudget,
                signalArgs: [{ by, via: 'cli' }],
                workflowIdConflictPolicy: 'USE_EXISTING',
              });
            } catch (error) {
              throw asServiceError(error);
            }
            if (!opts.json)
              io.out(`asked ${toolBudgetWorkflowId(year)} to rewrite "Tool budget ${year}" in Notion`);
          }
        });
      },
    );
}
