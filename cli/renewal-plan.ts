/**
 * `prodops plan renewal`: a renewal's notice deadline, reminders, escalation and next renewal
 * on a calendar of the configuration, as of today (or `--today`). Nothing starts.
 */
import type { Command } from 'commander';
import type { CalendarDate } from '../domain/business-calendar';
import { localDateOf } from '../domain/business-calendar';
import type { OrgConfig } from '../domain/config';
import {
  CycleError,
  cycleMonths,
  describeCycle,
  parseCycle,
  planRenewal,
  type CycleSpec,
} from '../domain/renewal-plan';
import { checkSubscription, type FieldProblem } from '../domain/subscription';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import type { CliIO } from './main';
import { parseCalendarName, parseDate, parseOptionalDate } from './parse';
import { CONFIG_HELP } from './workflow-commands';

/** The flag of each field, for problems found before anything connects. */
export const FLAG_OF: Record<FieldProblem['field'], string> = {
  tool: '--tool',
  vendor: '--vendor',
  owner: '--owner',
  team: '--team',
  category: '--category',
  costPerCycle: '--cost',
  currency: '--currency',
  cycle: '--cycle',
  renewalDate: '--renews',
  noticeDays: '--notice-days',
  autoRenews: '--auto-renews',
  seats: '--seats',
  seatsInUse: '--seats-in-use',
  decision: '--decision',
  until: '--until',
};

// ---- Planning -------------------------------------------------------------------------------

export interface RenewalPlanRequest {
  renews: CalendarDate;
  noticeDays: number;
  cycle: CycleSpec;
  /** A calendar of the configuration; the first one when absent. */
  calendar?: string;
  today?: CalendarDate;
}

/** What `plan renewal --json` prints: these fields and no others. */
export interface RenewalPlanReport {
  noticeDeadline: CalendarDate;
  reminders: { date: CalendarDate; daysBeforeDeadline: number }[];
  catchUpReminder: boolean;
  escalationDate: CalendarDate;
  missed: boolean;
  nextRenewal: CalendarDate;
}

export async function planRenewalFromConfig(
  config: OrgConfig,
  request: RenewalPlanRequest,
  now = Date.now(),
): Promise<RenewalPlanReport & { calendar: string; today: CalendarDate; cycleStart: CalendarDate }> {
  const name =
    request.calendar !== undefined
      ? parseCalendarName(config, request.calendar)
      : Object.keys(config.calendars)[0]!;
  const today = request.today ?? localDateOf(now, config.calendars[name]!.timezone);
  const { resolveBusinessCalendar } = await import('../domain/holidays');
  const years = [today, request.renews].map((d) => Number(d.slice(0, 4)));
  const cal = resolveBusinessCalendar(config, name, {
    from: Math.min(...years) - 2,
    to: Math.max(...years) + 1,
  });
  const r = config.renewals;
  const plan = planRenewal(
    {
      renewalDate: request.renews,
      noticeDays: request.noticeDays,
      cycleMonths: cycleMonths(request.cycle),
      today,
    },
    cal,
    {
      reminderDays: r.reminderDaysBeforeDeadline,
      escalationWorkingDays: r.escalationWorkingDaysBeforeDeadline,
    },
  );
  return {
    noticeDeadline: plan.noticeDeadline,
    reminders: plan.reminders.map(({ date, daysBeforeDeadline }) => ({ date, daysBeforeDeadline })),
    catchUpReminder: plan.catchUpReminder,
    escalationDate: plan.escalationDate,
    missed: plan.missed,
    nextRenewal: plan.nextRenewal,
    calendar: name,
    today,
    cycleStart: plan.cycleStart,
  };
}

function parseCycleFlag(value: string): CycleSpec {
  try {
    return parseCycle(value);
  } catch (error) {
    if (error instanceof CycleError) throw CliError.usage(`--cycle ${error.message}`);
    throw error;
  }
}

function parseWholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) throw CliError.usage(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

export function registerRenewalPlan(program: Command, io: CliIO): void {
  const planCommand =
    program.commands.find((c) => c.name() === 'plan') ??
    program.command('plan').description('plan work without starting anything');
  planCommand
    .command('renewal')
    .description('print a renewal’s notice deadline, reminders, escalation and next renewal; starts nothing')
    .requiredOption('--renews <YYYY-MM-DD>', 'the renewal date')
    .requiredOption('--notice-days <N>', 'the notice period in calendar days')
    .option('--cycle <cycle>', 'monthly, quarterly, annual or every N months (Nm)', 'annual')
    .option('--calendar <name>', 'the calendar to count working days on (default: the first)')
    .option('--today <YYYY-MM-DD>', 'plan as of this date (default: today in the calendar’s zone)')
    .option('--json', 'print one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (opts: {
        renews: string;
        noticeDays: string;
        cycle: string;
        calendar?: string;
        today?: string;
        json?: boolean;
        config?: string;
      }) => {
        const renews = parseDate(opts.renews, '--renews');
        const noticeDays = parseWholeNumber(opts.noticeDays, '--notice-days');
        const cycle = parseCycleFlag(opts.cycle);
        const today = parseOptionalDate(opts.today, '--today');
        const checked = checkSubscription({
          tool: 'plan',
          owner: 'plan',
          costPerCycle: 0,
          currency: 'USD',
          cycle,
          renewalDate: renews,
          noticeDays,
        });
        if (!checked.ok)
          throw CliError.usage(checked.problems.map((p) => `${FLAG_OF[p.field]} ${p.message}`).join('; '));
        const { config } = loadConfig(opts.config);
        const plan = await planRenewalFromConfig(config, {
          renews,
          noticeDays,
          cycle,
          ...(opts.calendar !== undefined ? { calendar: opts.calendar } : {}),
          ...(today !== undefined ? { today } : {}),
        });
        if (opts.json) {
          const { noticeDeadline, reminders, catchUpReminder, escalationDate, missed, nextRenewal } = plan;
          io.out(
            JSON.stringify({
              noticeDeadline,
              reminders,
              catchUpReminder,
              escalationDate,
              missed,
              nextRenewal,
            }),
          );
          return;
        }
        io.out(
          `Renewal on ${renews} (${describeCycle(cycle)}, ${noticeDays} days' notice) on the ${plan.calendar} calendar, as of ${plan.today}`,
        );
        io.out(`  cycle began      ${plan.cycleStart}`);
        io.out(`  notice deadline  ${plan.noticeDeadline}${plan.missed ? ' — already passed: missed' : ''}`);
        for (const r of plan.reminders)
          io.out(`  reminder         ${r.date} (${r.daysBeforeDeadline} days before)`);
        if (plan.catchUpReminder) io.out('  catch-up         at once: earlier reminders are already past');
        io.out(`  escalation       ${plan.escalationDate}`);
        io.out(`  next renewal     ${plan.nextRenewal}`);
      },
    );
}
