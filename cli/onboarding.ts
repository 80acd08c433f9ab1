/**
 * `prodops plan onboarding` and the `prodops onboarding …` commands: plan an engagement without
 * starting anything, start one, look at it, list engagements through visibility, see who holds
 * them up, and change one. Changes go through the workflow's updates, so a refusal reaches the
 * person who typed the command with the workflow's own reason; each carries `--by` and the
 * channel (`cli`), the shape a stronger operator check will key on.
 */
import type { Command } from 'commander';
import { onboardingWorkflowId } from '../contracts/ids';
import { compareDates, localDateOf, type CalendarDate } from '../domain/business-calendar';
import type { OrgConfig } from '../domain/config';
import { findPerson, intakeCalendarName, type IntakeFields } from '../domain/onboarding-intake';
import { onboardingRulesFrom, OnboardingDateError, planOnboarding } from '../domain/onboarding-plan';
import {
  acceptProposedStart,
  cancelOnboarding,
  changeEnd,
  changeTools,
  declineBuddy,
  letEnd,
  ONBOARDING_PHASES,
  ONBOARDING_WORKFLOW_TYPE,
  onboardingStatus,
  shiftStart,
  type OnboardingInput,
  type OnboardingStatus,
} from '../workflows/onboarding/messages';
import type { onboardingWorkflow } from '../workflows/onboarding/workflow';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import type { CliIO } from './main';
import {
  blockersReport,
  day,
  formatBlockers,
  formatPlan,
  formatStatus,
  planJson,
  summary,
  table,
} from './onboarding-view';
import {
  nonEmpty,
  parseCalendarName,
  parseChoice,
  parseDate,
  parseOptionalDate,
  parsePerson,
  parseTeam,
} from './parse';
import {
  addUpdateCommand,
  CONFIG_HELP,
  listWorkflows,
  queryWorkflow,
  startWorkflow,
  statusWorkflow,
  withSession,
  type Session,
  type WorkflowCommandOptions,
  type WorkflowTarget,
} from './workflow-commands';

export type OnboardingCommandOptions = WorkflowCommandOptions;

const ID_HELP = 'the engagement: its freelancer id (jo.park) or workflow id (onboarding:jo.park)';
/** Which option names each field of an intake, for refusals. */
const FLAG_OF: Record<string, string> = {
  freelancerId: '--id',
  name: '--name',
  email: '--email',
  role: '--role',
  team: '--team',
  manager: '--manager',
  country: '--country',
  calendar: '--calendar',
  startDate: '--start',
  endDate: '--end',
  tools: '--tools',
  dayRate: '--day-rate',
  onboarding: 'the configuration',
};

export function parseEngagementId(raw: string): string {
  const id = raw.trim().replace(/^onboarding:/, '');
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(id))
    throw CliError.usage(`<ID> must be a freelancer id such as jo.park or onboarding:jo.park, got "${raw}"`);
  return id;
}

const toolList = (value: string): string[] => [
  ...new Set(
    value
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
  ),
];

export function parseTools(value: string, config: OrgConfig, flag = '--tools'): string[] {
  const tools = toolList(value);
  const known = config.onboarding?.tools ?? [];
  const unknown = tools.filter((t) => !known.some((k) => k.id === t));
  if (unknown.length > 0)
    throw CliError.usage(
      `${flag}: ${unknown.map((t) => `"${t}"`).join(', ')} ${unknown.length === 1 ? 'is not a tool' : 'are not tools'} of onboarding.tools (${known.map((k) => k.id).join(', ')})`,
    );
  return tools;
}

// ---- Planning ---------------------------------------------------------------------------------

export interface OnboardingPlanRequest {
  startDate: CalendarDate;
  endDate: CalendarDate | null;
  calendar?: string;
  /** A person id: their calendar is used when `calendar` is absent. */
  manager?: string;
  today?: CalendarDate;
}

/** The plan on the configured calendar; a start that is not a working day is a failure (exit 1) naming the next. */
export async function onboardingPlanFromConfig(
  config: OrgConfig,
  request: OnboardingPlanRequest,
  now = Date.now(),
) {
  const manager =
    request.manager === undefined ? undefined : parsePerson(config, request.manager, '--manager');
  const name =
    request.calendar !== undefined
      ? parseCalendarName(config, request.calendar)
      : (manager?.calendar ?? Object.keys(config.calendars)[0]!);
  const today = request.today ?? localDateOf(now, config.calendars[name]!.timezone);
  const { resolveBusinessCalendar } = await import('../domain/holidays');
  const years = [today, request.startDate, request.endDate ?? request.startDate].map((d) =>
    Number(d.slice(0, 4)),
  );
  const cal = resolveBusinessCalendar(config, name, {
    from: Math.min(...years) - 1,
    to: Math.max(...years) + 1,
  });
  try {
    return {
      plan: planOnboarding(
        { startDate: request.startDate, endDate: request.endDate, today },
        cal,
        onboardingRulesFrom(config.onboarding),
      ),
      today,
    };
  } catch (error) {
    if (error instanceof OnboardingDateError)
      throw CliError.failure(`${error.field === 'startDate' ? '--start' : '--end'}: ${error.message}`);
    throw error;
  }
}

// ---- Temporal -----------------------------------------------------------------------------------

const { queryStatus, runUpdate } = statusWorkflow(
  (id): WorkflowTarget => ({ workflowId: onboardingWorkflowId(id), kind: 'engagement', label: id }),
  onboardingStatus,
);

const LISTED_PHASES = ONBOARDING_PHASES.filter((p) => p !== 'closed' && p !== 'cancelled');

/** The visibility query of `onboarding list`: engagements of a team or phase, overlapping a window. */
export function listQuery(filter: {
  team?: string;
  phase?: string;
  from?: CalendarDate;
  to?: CalendarDate;
  all: boolean;
}): string {
  if (filter.from && filter.to && compareDates(filter.from, filter.to) > 0)
    throw CliError.usage(`--from ${filter.from} is after --to ${filter.to}`);
  const clauses = [`WorkflowType = '${ONBOARDING_WORKFLOW_TYPE}'`];
  if (!filter.all) clauses.push(`ExecutionStatus = 'Running'`);
  if (filter.team) clauses.push(`Team = '${filter.team}'`);
  if (filter.phase) clauses.push(`OnboardingPhase = '${filter.phase}'`);
  // Dates are indexed as YYYY-MM-DD keywords, which compare in calendar order. An engagement
  // overlaps the window when it starts by the window's end and ends on or after its start.
  if (filter.to) clauses.push(`StartDate <= '${filter.to}'`);
  if (filter.from) clauses.push(`EndDate >= '${filter.from}'`);
  return clauses.join(' AND ');
}

export interface OnboardingRow {
  freelancerId: string;
  phase: string | null;
  team: string | null;
  startDate: CalendarDate | null;
  endDate: CalendarDate | null;
  status: string;
}

async function listEngagements(session: Session, query: string): Promise<OnboardingRow[]> {
  const attributes = await import('../domain/search-attributes');
  const rows = await listWorkflows(session, query, (info): OnboardingRow => ({
    freelancerId: info.workflowId.replace(/^onboarding:/, ''),
    phase: info.typedSearchAttributes.get(attributes.OnboardingPhase) ?? null,
    team: info.typedSearchAttributes.get(attributes.Team) ?? null,
    startDate: info.typedSearchAttributes.get(attributes.StartDate) ?? null,
    endDate: info.typedSearchAttributes.get(attributes.EndDate) ?? null,
    status: info.status.name,
  }));
  return rows.sort(
    (a, b) =>
      (a.startDate ?? '9999').localeCompare(b.startDate ?? '9999') ||
      a.freelancerId.localeCompare(b.freelancerId),
  );
}

// ---- Commands -----------------------------------------------------------------------------------

interface StartOptions {
  id?: string;
  name: string;
  email: string;
  role: string;
  team: string;
  manager: string;
  country: string;
  start: string;
  end: string;
  tools: string;
  calendar?: string;
  dayRate?: string;
  currency?: string;
  by?: string;
  json?: boolean;
  config?: string;
}

/** The intake a `start` describes, checked against the configuration and the calendar before anything connects. */
export async function intakeFromOptions(
  config: OrgConfig,
  opts: StartOptions,
  now = Date.now(),
): Promise<OnboardingInput> {
  const { checkIntake } = await import('../activities/core');
  const { freelancerIdFromEmail } = await import('../domain/onboarding-intake');
  const dayRate =
    opts.dayRate === undefined
      ? undefined
      : { amount: Number(opts.dayRate), currency: (opts.currency ?? '').toUpperCase() };
  const intake: IntakeFields = {
    freelancerId: opts.id ?? freelancerIdFromEmail(opts.email),
    name: opts.name.trim(),
    email: opts.email.trim(),
    role: opts.role.trim(),
    team: opts.team.trim(),
    manager: opts.manager.trim(),
    country: opts.country.trim().toUpperCase(),
    startDate: parseDate(opts.start, '--start'),
    endDate: parseDate(opts.end, '--end'),
    // Checked with every other field below, so that one run names every problem.
    tools: toolList(opts.tools),
    ...(opts.calendar !== undefined ? { calendar: opts.calendar } : {}),
    ...(dayRate ? { dayRate } : {}),
  };
  const problems = checkIntake(config, intake, now);
  if (problems.length > 0) {
    const first = problems[0]!;
    // A start on a day off is understood but impossible (exit 1, like plan); anything else is a typo (exit 2).
    const message = problems.map((p) => `${FLAG_OF[p.field] ?? p.field}: ${p.message}`).join('; ');
    throw problems.length === 1 && first.field === 'startDate' && /not a working day/.test(first.message)
      ? CliError.failure(message)
      : CliError.usage(message);
  }
  const manager = findPerson(config, intake.manager)!;
  const by = opts.by === undefined ? undefined : parsePerson(config, opts.by, '--by');
  return {
    ...intake,
    manager: manager.id,
    source: 'cli',
    ...(by ? { requestedBy: { by: by.id, via: 'cli' as const } } : {}),
  };
}

export function registerOnboardingCommands(
  program: Command,
  io: CliIO,
  options: OnboardingCommandOptions = {},
): void {
  const planCommand =
    program.commands.find((c) => c.name() === 'plan') ??
    program.command('plan').description('plan work without starting anything');
  const onboarding = program
    .command('onboarding')
    .description('start, follow and change freelancer onboarding');

  planCommand
    .command('onboarding')
    .description('print every date of an engagement from its start (and end); starts nothing')
    .requiredOption('--start <YYYY-MM-DD>', 'the first working day of the engagement')
    .option('--end <YYYY-MM-DD>', 'the contract end date')
    .option('--calendar <name>', 'calendar to count working days on (default: the manager’s, else the first)')
    .option('--manager <id>', 'the hiring manager: their calendar is used')
    .option('--today <YYYY-MM-DD>', 'plan as of this date (default: today in the calendar’s zone)')
    .option('--json', 'print one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (opts: {
        start: string;
        end?: string;
        calendar?: string;
        manager?: string;
        today?: string;
        json?: boolean;
        config?: string;
      }) => {
        const startDate = parseDate(opts.start, '--start');
        const endDate = parseOptionalDate(opts.end, '--end') ?? null;
        const today = parseOptionalDate(opts.today, '--today');
        const { config } = loadConfig(opts.config);
        const { plan, today: asOf } = await onboardingPlanFromConfig(config, {
          startDate,
          endDate,
          ...(opts.calendar !== undefined ? { calendar: opts.calendar } : {}),
          ...(opts.manager !== undefined ? { manager: opts.manager } : {}),
          ...(today !== undefined ? { today } : {}),
        });
        if (opts.json) return io.out(JSON.stringify(planJson(plan)));
        io.out(
          `Onboarding plan for a start on ${day(startDate)}${endDate ? ` and an end on ${day(endDate)}` : ''}`,
        );
        io.out(formatPlan(plan, asOf).join('\n'));
      },
    );

  onboarding
    .command('start')
    .description('start the onboarding of a freelancer (one workflow per engagement)')
    .option('--id <id>', 'the freelancer id (default: from the email, jo.park for jo.park@studio.example)')
    .requiredOption('--name <name>', 'the freelancer’s name')
    .requiredOption('--email <address>', 'the freelancer’s email: invites and the welcome mail go there')
    .option('--role <role>', 'the freelancer’s role; a buddy shares it', 'freelancer')
    .requiredOption('--team <id>', 'the team they join')
    .requiredOption('--manager <id>', 'the hiring manager (a person id)')
    .requiredOption(
      '--country <code>',
      'where they work from (ISO 3166-1, for example GB): the compliance check',
    )
    .requiredOption('--start <YYYY-MM-DD>', 'the first day, a working day of the calendar')
    .requiredOption('--end <YYYY-MM-DD>', 'the contract end date')
    .requiredOption('--tools <ids>', 'tools to provision, comma-separated ids of onboarding.tools')
    .option('--calendar <name>', 'calendar to count on (default: the hiring manager’s)')
    .option('--day-rate <amount>', 'the day rate')
    .option('--currency <code>', 'the day rate’s currency (ISO 4217)')
    .option('--by <id>', 'who asks for it (a person id)')
    .option('--json', 'print the workflow id and the plan as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: StartOptions) => {
      const { config } = loadConfig(opts.config);
      const input = await intakeFromOptions(config, opts);
      const calendar = intakeCalendarName(config, input)!;
      const { plan, today } = await onboardingPlanFromConfig(config, {
        startDate: input.startDate,
        endDate: input.endDate,
        calendar,
      });
      const attributes = await import('../domain/search-attributes');
      const workflowId = onboardingWorkflowId(input.freelancerId);
      await withSession(config, options, async (session) => {
        const started = await startWorkflow<typeof onboardingWorkflow>(session, ONBOARDING_WORKFLOW_TYPE, {
          workflowId,
          args: [input],
          typedSearchAttributes: [
            { key: attributes.OnboardingPhase, value: 'contract' },
            { key: attributes.StartDate, value: input.startDate },
            { key: attributes.EndDate, value: input.endDate },
            { key: attributes.Team, value: input.team },
          ],
        });
        if (!started)
          throw CliError.failure(
            `${input.freelancerId} is already onboarding as ${workflowId}: see prodops onboarding status ${input.freelancerId}`,
          );
        if (opts.json)
          return io.out(
            JSON.stringify({ workflowId, taskQueue: config.temporal.taskQueue, plan: planJson(plan) }),
          );
        io.out(
          `started ${workflowId} on task queue ${config.temporal.taskQueue} (namespace ${config.temporal.namespace} at ${config.temporal.address})`,
        );
        io.out(formatPlan(plan, today).join('\n'));
      });
    });

  onboarding
    .command('status')
    .description('an engagement: phase, tasks and who did them, buddy, meetings, decisions, refusals')
    .argument('<ID>', ID_HELP)
    .option('--json', 'print the status as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: { json?: boolean; config?: string }) => {
      const id = parseEngagementId(raw);
      const { config } = loadConfig(opts.config);
      await withSession(config, options, async (session) => {
        const status = await queryStatus(session, id);
        io.out(opts.json ? JSON.stringify(status) : formatStatus(status).join('\n'));
      });
    });

  onboarding
    .command('list')
    .description('engagements by team, phase and dates (a visibility query)')
    .option('--team <id>', 'only this team')
    .option('--phase <phase>', `only this phase: ${ONBOARDING_PHASES.join(', ')}`)
    .option('--from <YYYY-MM-DD>', 'engaged on or after this date')
    .option('--to <YYYY-MM-DD>', 'engaged on or before this date')
    .option('--all', 'include closed, cancelled and terminated engagements')
    .option('--json', 'print a JSON array')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (opts: {
        team?: string;
        phase?: string;
        from?: string;
        to?: string;
        all?: boolean;
        json?: boolean;
        config?: string;
      }) => {
        const { config } = loadConfig(opts.config);
        const query = listQuery({
          ...(opts.team !== undefined ? { team: parseTeam(config, opts.team).id } : {}),
          ...(opts.phase !== undefined
            ? { phase: parseChoice(opts.phase, '--phase', opts.all ? ONBOARDING_PHASES : LISTED_PHASES) }
            : {}),
          ...(opts.from !== undefined ? { from: parseDate(opts.from, '--from') } : {}),
          ...(opts.to !== undefined ? { to: parseDate(opts.to, '--to') } : {}),
          all: opts.all === true,
        });
        await withSession(config, options, async (session) => {
          const rows = await listEngagements(session, query);
          if (opts.json) return io.out(JSON.stringify(rows));
          if (rows.length === 0) return io.out('no engagements match');
          io.out(
            table(
              ['FREELANCER', 'PHASE', 'TEAM', 'START', 'END', ...(opts.all ? ['STATUS'] : [])],
              rows.map((r) => [
                r.freelancerId,
                r.phase ?? '-',
                r.team ?? '-',
                r.startDate ?? '-',
                r.endDate ?? '-',
                ...(opts.all ? [r.status] : []),
              ]),
              '',
            ).join('\n'),
          );
        });
      },
    );

  onboarding
    .command('blockers')
    .description(
      'which team holds each engagement up, with which task, by how many working days; each team’s median',
    )
    .option('--json', 'print one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: { json?: boolean; config?: string }) => {
      const { config } = loadConfig(opts.config);
      await withSession(config, options, async (session) => {
        const rows = await listEngagements(session, listQuery({ all: true }));
        const statuses: { status: OnboardingStatus; running: boolean }[] = [];
        const unreadable: string[] = [];
        for (const row of rows) {
          try {
            const target = {
              workflowId: onboardingWorkflowId(row.freelancerId),
              kind: 'engagement',
              label: row.freelancerId,
            };
            statuses.push({
              status: await queryWorkflow(session, target, onboardingStatus),
              running: row.status === 'RUNNING',
            });
          } catch {
            unreadable.push(row.freelancerId);
          }
        }
        const report = blockersReport(statuses, unreadable);
        io.out(opts.json ? JSON.stringify(report) : formatBlockers(report).join('\n'));
      });
    });

  registerChanges(onboarding, io, options);
}

/** The commands that change an engagement, each one update by `--by` through the CLI. */
function registerChanges(onboarding: Command, io: CliIO, options: OnboardingCommandOptions): void {
  const change = <Parsed>(
    name: string,
    description: string,
    define: (c: Command) => Command,
    parse: (opts: Record<string, unknown>, config: OrgConfig, by: string) => Parsed,
    run: (
      session: Session,
      id: string,
      parsed: Parsed,
    ) => Promise<{ status: OnboardingStatus; lines: string[] }>,
  ) =>
    addUpdateCommand(onboarding, io, options, {
      name,
      description,
      argument: ['<ID>', ID_HELP],
      options: (c) => define(c).requiredOption('--by <id>', 'who decides (a person id)'),
      jsonHelp: 'print the engagement’s status after the change as one JSON object',
      parse: (raw, opts, config) => ({
        ref: parseEngagementId(raw),
        parsed: parse(opts, config, parsePerson(config, opts.by as string, '--by').id),
      }),
      run,
    });
  const done = (status: OnboardingStatus, line: string) => ({ status, lines: [line, summary(status)] });

  change(
    'shift',
    'move the start date: every date is re-planned, the same tasks re-dated and the same meetings moved',
    (c) => c.requiredOption('--start <YYYY-MM-DD>', 'the new start, a working day'),
    (opts, _config, by) => ({
      startDate: parseDate(opts.start as string, '--start'),
      by,
      via: 'cli' as const,
    }),
    async (session, id, cmd) =>
      done(await runUpdate(session, id, shiftStart, cmd), `${id}: start moved to ${day(cmd.startDate)}`),
  );
  change(
    'accept',
    'accept the start the workflow proposed after a missed gate',
    (c) => c,
    (_opts, _config, by) => ({ by, via: 'cli' as const }),
    async (session, id, cmd) => {
      const status = await runUpdate(session, id, acceptProposedStart, cmd);
      return done(status, `${id}: start accepted for ${day(status.startDate)}`);
    },
  );
  change(
    'extend',
    'set a new contract end date (later to extend): offboarding is re-planned',
    (c) => c.requiredOption('--end <YYYY-MM-DD>', 'the new end date'),
    (opts, _config, by) => ({ endDate: parseDate(opts.end as string, '--end'), by, via: 'cli' as const }),
    async (session, id, cmd) =>
      done(await runUpdate(session, id, changeEnd, cmd), `${id}: ends ${day(cmd.endDate)}`),
  );
  change(
    'let-end',
    'let the engagement end on its end date: revocations and the final invoice are set up now',
    (c) => c,
    (_opts, _config, by) => ({ by, via: 'cli' as const }),
    async (session, id, cmd) => {
      const status = await runUpdate(session, id, letEnd, cmd);
      return done(status, `${id}: ends as planned on ${day(status.endDate)}`);
    },
  );
  change(
    'cancel',
    'before the start: cancel (open tasks retired, what was provisioned revoked); after it: end today',
    (c) => c.option('--reason <text>', 'why, for the people told'),
    (opts, _config, by) => {
      const reason = nonEmpty(opts.reason as string | undefined, '--reason');
      return { by, via: 'cli' as const, ...(reason ? { reason } : {}) };
    },
    async (session, id, cmd) => {
      const status = await runUpdate(session, id, cancelOnboarding, cmd);
      return done(status, `${id}: ${status.reason ?? 'cancelled'}`);
    },
  );
  change(
    'tools',
    'change the tools to provision: added ones go to IT, dropped ones are revoked',
    (c) => c.requiredOption('--tools <ids>', 'the tools, comma-separated ids of onboarding.tools'),
    (opts, config, by) => ({ tools: parseTools(opts.tools as string, config), by, via: 'cli' as const }),
    async (session, id, cmd) =>
      done(await runUpdate(session, id, changeTools, cmd), `${id}: tools ${cmd.tools.join(', ') || 'none'}`),
  );
  change(
    'decline-buddy',
    'as the named buddy, decline: the next candidate is asked',
    (c) => c,
    (_opts, _config, by) => ({ by, via: 'cli' as const }),
    async (session, id, cmd) => {
      const status = await runUpdate(session, id, declineBuddy, cmd);
      return done(status, `${id}: ${cmd.by} declined; buddy now ${status.buddy?.name ?? 'nobody'}`);
    },
  );
}
