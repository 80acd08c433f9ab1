/**
 * `prodops plan release` and the `prodops release …` commands: plan a release without starting
 * anything, start its workflow, look at it, list releases through visibility, and change it.
 *
 * Changes go through the workflow's updates rather than its signals, so that a refusal (a
 * go/no-go from someone other than the PM, a move after launch) reaches the person who typed
 * the command with the workflow's own reason. Every option is checked before connecting, so bad
 * input never waits on a server. The Temporal client and the holiday data load only when a
 * command needs them, which keeps `config check` and `--help` quick.
 */
import type { Command } from 'commander';
import {
  addCalendarDays,
  compareDates,
  isWorkingDay,
  localDateOf,
  weekdayOf,
  WEEKDAY_NAMES,
  type CalendarDate,
} from '../domain/business-calendar';
import type { OrgConfig } from '../domain/config';
import { planRelease, releaseRulesFrom, stepsFor, type ReleasePlan, type Tier } from '../domain/release-plan';
import { TIER_NAMES } from '../domain/release-content';
import {
  cancelRelease,
  changeTier,
  answerAwareness,
  confirmReadiness,
  decideGoNoGo,
  markReleased,
  moveLaunch,
  publishBundle,
  releaseStatus,
  releaseWorkflowId,
  type EnablementStatus,
  type ReleaseInput,
  type ReleaseStatus,
} from '../workflows/release/messages';
import type { releaseWorkflow } from '../workflows/release/workflow';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import { resolveSigner } from './operator';

/** A release title becomes a mail subject and a Notion page title: one line, this long at most. */
const MAX_TITLE_LENGTH = 200;
import type { CliIO } from './main';
import {
  parseLine,
  parseNote,
  parseCalendarName,
  parseChoice,
  parseDate,
  parseIssueKey,
  parsePerson,
  parseTier,
} from './parse';
import {
  addUpdateCommand,
  CONFIG_HELP,
  listWorkflows,
  startWorkflow,
  statusWorkflow,
  withSession,
  type Session,
  type UpdateCommandSpec,
  type WorkflowCommandOptions,
  type WorkflowTarget,
} from './workflow-commands';

export type ReleaseCommandOptions = WorkflowCommandOptions;

// ---- Planning -------------------------------------------------------------------------------

export interface PlanRequest {
  tier: Tier;
  launchDate: CalendarDate;
  /** A calendar of the configuration; the PM's, else the first one, when absent. */
  calendar?: string;
  /** A person id: their calendar is used when `calendar` is absent. */
  pm?: string;
  /** The day the plan is made; today in the calendar's zone when absent. */
  today?: CalendarDate;
}

/** The plan as `plan release --json` prints it. */
export interface PlanReport extends ReleasePlan {
  today: CalendarDate;
  /** False for a launch on a weekend or a day off (allowed, but rarely meant). */
  launchIsWorkingDay: boolean;
  /** The steps the tier needs, in order, as the release workflow will keep them. */
  steps: { id: string; title: string; due: CalendarDate | null }[];
}

/** Plans a release on the configured calendars; bad input is a usage error naming the option. */
export async function planFromConfig(
  config: OrgConfig,
  request: PlanRequest,
  now: number = Date.now(),
): Promise<PlanReport> {
  const pm = request.pm === undefined ? undefined : parsePerson(config, request.pm, '--pm');
  const name =
    request.calendar !== undefined
      ? parseCalendarName(config, request.calendar, '--calendar')
      : (pm?.calendar ?? Object.keys(config.calendars)[0]!);
  const timezone = config.calendars[name]!.timezone;
  const today = request.today ?? localDateOf(now, timezone);
  const { resolveBusinessCalendar } = await import('../domain/holidays');
  const years = [today, request.launchDate].map((d) => Number(d.slice(0, 4)));
  // Counting back from an early-January launch reaches into the previous year, and the earliest
  // compliant launch can fall in the next one.
  const cal = resolveBusinessCalendar(config, name, {
    from: Math.min(...years) - 1,
    to: Math.max(...years) + 1,
  });
  const plan = planRelease(
    { tier: request.tier, launchDate: request.launchDate, today },
    cal,
    releaseRulesFrom(config.releases),
  );
  const steps = stepsFor(request.tier, plan, { launchDate: request.launchDate, launchedOn: null }, cal)
    .filter((s) => s.needed)
    .map(({ id, title, due }) => ({ id, title, due }));
  return { ...plan, today, launchIsWorkingDay: isWorkingDay(cal, request.launchDate), steps };
}

const day = (date: CalendarDate | null): string =>
  date === null ? '-' : `${date} (${WEEKDAY_NAMES[weekdayOf(date)]})`;

/** A readable, aligned rendering of a plan. */
export function formatPlan(
  plan: ReleasePlan & { steps?: PlanReport['steps'] },
  today?: CalendarDate,
): string[] {
  const rows: [string, string][] = [
    ['tier', TIER_NAMES[plan.tier]],
    ['calendar', plan.calendar],
  ];
  if (today) rows.push(['today', day(today)]);
  if (plan.bundleDueDate) rows.push(['enablement bundle due', day(plan.bundleDueDate)]);
  if (plan.readinessCheckDate) rows.push(['launch readiness check', day(plan.readinessCheckDate)]);
  rows.push(
    ['launch', day(plan.launchDate)],
    ['day-3 check-in', day(plan.dayThreeCheckIn)],
    ['day-14 retro', day(plan.dayFourteenRetro)],
  );
  const listed = plan.steps?.find((s) => s.id === 'weekly-update');
  if (listed) rows.push(['weekly product update', `lists the launch by ${day(listed.due)}, else missed`]);
  if (plan.tier === 1) rows.push(['lead time', 'none needed (Tier 1)']);
  else if (plan.late)
    rows.push([
      'lead time',
      `LATE: the bundle was due ${plan.bundleDueDate}; earliest launch that meets it: ${day(plan.earliestCompliantLaunch)}`,
    ]);
  else rows.push(['lead time', 'met']);
  return alignPairs(rows);
}

// ---- Rendering --------------------------------------------------------------------------------

function alignPairs(rows: [string, string][], indent = '  '): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`);
}

function table(header: string[], rows: string[][], indent = '  '): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) =>
    `${indent}${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd(),
  );
}

function flagList(status: ReleaseStatus): string {
  const names: [keyof ReleaseStatus['flags'], string][] = [
    ['late', 'late'],
    ['atRisk', 'at risk'],
    ['onHold', 'on hold'],
    ['launchOverdue', 'launch overdue'],
    ['integrationError', 'integration error'],
  ];
  const set = names.filter(([k]) => status.flags[k]).map(([, label]) => label);
  return set.length > 0 ? set.join(', ') : 'none';
}

export function formatStatus(status: ReleaseStatus): string[] {
  const launch = status.launchedOn
    ? `${day(status.launchedOn)}, released${status.launchedOn !== status.plan.launchDate ? ` (planned ${status.plan.launchDate})` : ''}`
    : day(status.plan.launchDate);
  const lines = [
    `${status.issueKey}${status.title !== status.issueKey ? ` — ${status.title}` : ''}`,
    ...alignPairs([
      ['phase', status.phase],
      ['tier', TIER_NAMES[status.tier]],
      ['PM', status.pmId],
      ['product area', status.productArea ?? '-'],
      ['launch', launch],
      ['calendar', status.plan.calendar || '-'],
      ['enablement', status.enablement],
      ...(status.bundlePublishedAt || status.bundlePublishedOn
        ? [
            ['bundle published', status.bundlePublishedAt ?? day(status.bundlePublishedOn ?? null)] as [
              string,
              string,
            ],
          ]
        : []),
      ...(status.weeklyUpdate
        ? [
            [
              'weekly update',
              `${status.weeklyUpdate.week}${status.weeklyUpdate.url ? ` ${status.weeklyUpdate.url}` : ''}`,
            ] as [string, string],
          ]
        : []),
      ['flags', flagList(status)],
      [
        'next deadline',
        status.nextDeadline ? `${status.nextDeadline.step} ${day(status.nextDeadline.date)}` : 'none',
      ],
    ]),
    '',
    'steps',
    ...table(
      ['STEP', 'STATUS', 'DUE', 'REF', 'NOTE'],
      status.steps.map((s) => [s.id, s.status, s.due ?? '-', s.url ?? s.ref ?? '-', s.detail ?? '']),
    ),
    '',
    'confirmations',
  ];
  for (const team of ['support', 'sales'] as const) {
    const c = status.confirmations[team];
    lines.push(`  ${team.padEnd(7)}  ${c ? `${c.by} at ${c.at} (${c.source})` : 'not yet'}`);
  }
  lines.push('', 'go/no-go');
  if (status.goNoGo.length === 0) lines.push('  none yet');
  else
    lines.push(
      ...table(
        ['AT', 'DECISION', 'BY', 'NOTE'],
        status.goNoGo.map((d) => [d.at, d.decision, d.by, d.note ?? '']),
      ),
    );
  return lines;
}

function summary(status: ReleaseStatus): string {
  const next = status.nextDeadline ? `; next: ${status.nextDeadline.step} ${status.nextDeadline.date}` : '';
  return `${status.issueKey}: ${status.phase}, ${TIER_NAMES[status.tier]}, launch ${status.launchedOn ?? status.plan.launchDate}, enablement ${status.enablement}, flags: ${flagList(status)}${next}`;
}

// ---- Temporal -------------------------------------------------------------------------------

const { queryStatus, runUpdate } = statusWorkflow(
  (key): WorkflowTarget => ({ workflowId: releaseWorkflowId(key), kind: 'release', label: key }),
  releaseStatus,
);

/** The launch date as the workflow indexes it: midnight UTC of the calendar date. */
const launchInstant = (date: CalendarDate) => new Date(`${date}T00:00:00Z`);

function initialEnablement(plan: ReleasePlan): EnablementStatus {
  if (plan.tier === 1) return 'not_required';
  return plan.late ? 'late' : 'pending';
}

// ---- Commands -------------------------------------------------------------------------------

interface ConfigOption {
  config?: string;
}

export function registerReleaseCommands(
  program: Command,
  io: CliIO,
  options: ReleaseCommandOptions = {},
): void {
  const planCommand =
    program.commands.find((c) => c.name() === 'plan') ??
    program.command('plan').description('plan work without starting anything');
  const release = program.command('release').description('start, follow and change tiered releases');

  planCommand
    .command('release')
    .description('print the dates a release of this tier and launch date must meet; starts nothing')
    .requiredOption('--tier <N>', 'release tier: 1, 2 or 3')
    .requiredOption('--launch <YYYY-MM-DD>', 'target launch date')
    .option('--calendar <name>', 'calendar to count working days on (default: the PM’s, else the first)')
    .option('--pm <id>', 'the PM owner: their calendar is used')
    .option('--today <YYYY-MM-DD>', 'plan as of this date (default: today in the calendar’s zone)')
    .option('--json', 'print one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (
        opts: ConfigOption & {
          tier: string;
          launch: string;
          calendar?: string;
          pm?: string;
          today?: string;
          json?: boolean;
        },
      ) => {
        const tier = parseTier(opts.tier);
        const launchDate = parseDate(opts.launch, '--launch');
        const today = opts.today === undefined ? undefined : parseDate(opts.today, '--today');
        const { config } = loadConfig(opts.config);
        const plan = await planFromConfig(config, {
          tier,
          launchDate,
          ...(opts.calendar !== undefined ? { calendar: opts.calendar } : {}),
          ...(opts.pm !== undefined ? { pm: opts.pm } : {}),
          ...(today !== undefined ? { today } : {}),
        });
        if (opts.json) {
          io.out(JSON.stringify(plan));
          return;
        }
        io.out(`Plan for a ${TIER_NAMES[tier]} release launching ${day(launchDate)}`);
        io.out(formatPlan(plan, plan.today).join('\n'));
        if (!plan.launchIsWorkingDay)
          io.out(`note: ${launchDate} is not a working day on the ${plan.calendar} calendar`);
      },
    );

  release
    .command('start')
    .description('start the workflow of a release (one per Jira issue)')
    .argument('<KEY>', 'the release’s Jira issue, for example REL-123')
    .requiredOption('--tier <N>', 'release tier: 1, 2 or 3')
    .requiredOption('--launch <YYYY-MM-DD>', 'target launch date')
    .requiredOption('--pm <id>', 'the PM owner, who alone takes the go/no-go')
    .option('--area <name>', 'product area')
    .option('--title <text>', 'a human name for the release (default: the key)')
    .option('--json', 'print the workflow id and the plan as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (
        rawKey: string,
        opts: ConfigOption & {
          tier: string;
          launch: string;
          pm: string;
          area?: string;
          title?: string;
          json?: boolean;
        },
      ) => {
        const key = parseIssueKey(rawKey);
        const tier = parseTier(opts.tier);
        const launchDate = parseDate(opts.launch, '--launch');
        const area = parseLine(opts.area, '--area');
        const title = parseLine(opts.title, '--title', MAX_TITLE_LENGTH);
        const { config } = loadConfig(opts.config);
        const pm = parsePerson(config, opts.pm, '--pm');
        const plan = await planFromConfig(config, { tier, launchDate, pm: pm.id });
        if (compareDates(launchDate, plan.today) < 0)
          throw CliError.usage(
            `--launch ${launchDate} is in the past (today is ${plan.today} on ${pm.id}'s ${plan.calendar} calendar)`,
          );
        const input: ReleaseInput = {
          issueKey: key,
          tier,
          launchDate,
          pmId: pm.id,
          ...(area ? { productArea: area } : {}),
          ...(title ? { title } : {}),
        };
        const attributes = await import('../domain/search-attributes');
        await withSession(config, options, async (session) => {
          const workflowId = releaseWorkflowId(key);
          const started = await startWorkflow<typeof releaseWorkflow>(session, 'releaseWorkflow', {
            workflowId,
            args: [input],
            // Indexed from the start, so that `release list` shows it before its first run.
            typedSearchAttributes: [
              { key: attributes.ReleaseTier, value: tier },
              { key: attributes.LaunchDate, value: launchInstant(launchDate) },
              { key: attributes.EnablementStatus, value: initialEnablement(plan) },
              ...(area ? [{ key: attributes.ProductArea, value: area }] : []),
            ],
          });
          if (!started)
            throw CliError.failure(
              `${key} is already running as ${workflowId}: see prodops release status ${key}`,
            );
          if (opts.json) {
            io.out(JSON.stringify({ workflowId, taskQueue: config.temporal.taskQueue, plan }));
            return;
          }
          io.out(
            `started ${workflowId} on task queue ${config.temporal.taskQueue} (namespace ${config.temporal.namespace} at ${config.temporal.address})`,
          );
          io.out(formatPlan(plan, plan.today).join('\n'));
        });
      },
    );

  release
    .command('status')
    .description('the state of a release: phase, steps, confirmations, go/no-go, next deadline')
    .argument('<KEY>', 'the release’s Jira issue')
    .option('--json', 'print the status as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (rawKey: string, opts: ConfigOption & { json?: boolean }) => {
      const key = parseIssueKey(rawKey);
      const { config } = loadConfig(opts.config);
      await withSession(config, options, async (session) => {
        const status = await queryStatus(session, key);
        io.out(opts.json ? JSON.stringify(status) : formatStatus(status).join('\n'));
      });
    });

  release
    .command('list')
    .description('releases by tier, risk and launch date (a visibility query)')
    .option('--tier <N>', 'only this tier')
    .option('--at-risk', 'only releases whose enablement is at risk or late')
    .option('--from <YYYY-MM-DD>', 'launching on or after this date')
    .option('--to <YYYY-MM-DD>', 'launching on or before this date')
    .option('--area <name>', 'only this product area')
    .option('--all', 'include finished, cancelled and terminated releases')
    .option('--json', 'print a JSON array')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (
        opts: ConfigOption & {
          tier?: string;
          atRisk?: boolean;
          from?: string;
          to?: string;
          area?: string;
          all?: boolean;
          json?: boolean;
        },
      ) => {
        const query = listQuery({
          ...(opts.tier !== undefined ? { tier: parseTier(opts.tier) } : {}),
          atRisk: opts.atRisk === true,
          ...(opts.from !== undefined ? { from: parseDate(opts.from, '--from') } : {}),
          ...(opts.to !== undefined ? { to: parseDate(opts.to, '--to') } : {}),
          ...(opts.area !== undefined ? { area: opts.area } : {}),
          all: opts.all === true,
        });
        const { config } = loadConfig(opts.config);
        await withSession(config, options, async (session) => {
          const rows = await listReleases(session, query);
          if (opts.json) {
            io.out(JSON.stringify(rows));
          } else if (rows.length === 0) {
            io.out('no releases match');
          } else {
            io.out(
              table(
                ['KEY', 'TIER', 'LAUNCH', 'ENABLEMENT', 'AREA', ...(opts.all ? ['STATUS'] : [])],
                rows.map((r) => [
                  r.key,
                  String(r.tier ?? '-'),
                  r.launchDate ?? '-',
                  r.enablement ?? '-',
                  r.productArea ?? '-',
                  ...(opts.all ? [r.status] : []),
                ]),
                '',
              ).join('\n'),
            );
          }
        });
      },
    );

  /** Registers `release <name> <KEY>`: one update, and what came of it (the status with --json). */
  /** `--by` (on behalf of someone), else the operator this command line acts as. */
  const actingFor = (config: OrgConfig, by: unknown): string =>
    by === undefined
      ? resolveSigner(config, options.env ?? process.env).operator.id
      : parsePerson(config, by as string, '--by').id;

  function updateCommand<Parsed>(
    name: string,
    description: string,
    define: (command: Command) => Command,
    parse: (opts: Record<string, unknown>, config: OrgConfig) => Parsed,
    run: UpdateCommandSpec<Parsed, ReleaseStatus>['run'],
  ): void {
    addUpdateCommand(release, io, options, {
      name,
      description,
      argument: ['<KEY>', 'the release’s Jira issue'],
      options: define,
      jsonHelp: 'print the release’s status after the change as one JSON object',
      parse: (raw, opts, config) => ({ ref: parseIssueKey(raw), parsed: parse(opts, config) }),
      run,
    });
  }

  updateCommand(
    'publish',
    'record that the enablement bundle is published',
    (c) => c,
    () => null,
    async (session, key) => {
      const status = await runUpdate(session, key, publishBundle, { occurredAt: Date.now() });
      return { status, lines: [`${key}: enablement bundle published`, summary(status)] };
    },
  );

  updateCommand(
    'confirm',
    'confirm Support or Sales readiness',
    (c) =>
      c
        .requiredOption('--team <team>', 'support or sales')
        .option('--by <id>', 'on behalf of this lead (as your operator grant allows); you when absent'),
    (opts, config) => ({
      team: parseChoice(opts.team as string, '--team', ['support', 'sales']),
      by: actingFor(config, opts.by),
    }),
    async (session, key, { team, by }) => {
      const status = await runUpdate(session, key, confirmReadiness, { team, by, occurredAt: Date.now() });
      const recorded = status.confirmations[team];
      if (!recorded)
        throw CliError.failure(
          `${key}: the ${team} readiness confirmation from "${by}" was not recorded: ${status.log.at(-1)?.message ?? 'see prodops release status'}`,
        );
      const line =
        recorded.by === by
          ? `${key}: ${team} readiness confirmed by ${by}`
          : `${key}: ${team} readiness was already confirmed by ${recorded.by} at ${recorded.at}`;
      return { status, lines: [line, summary(status)] };
    },
  );

  updateCommand(
    'aware',
    'a Support or Sales lead’s answer to the Day-3 question: were you aware of this release before it shipped?',
    (c) =>
      c
        .requiredOption('--by <id>', 'the Support or Sales lead answering (a person id)')
        .option('--yes', 'they knew before it shipped')
        .option('--no', 'they did not: the release surprised them'),
    (opts, config) => {
      const by = parsePerson(config, opts.by as string, '--by').id;
      if (opts.yes === opts.no)
        throw CliError.usage(
          'say --yes (they knew before it shipped) or --no (they did not), not both or neither',
        );
      return { by, aware: opts.yes === true };
    },
    async (session, key, { by, aware }) => {
      const status = await runUpdate(session, key, answerAwareness, { by, aware, occurredAt: Date.now() });
      const recorded = status.awareness.find((a) => a.by === by);
      if (!recorded || recorded.aware !== aware)
        throw CliError.failure(
          `${key}: the answer from "${by}" was not recorded: ${status.log.at(-1)?.message ?? 'see prodops release status'}`,
        );
      return {
        status,
        lines: [
          `${key}: ${by} (${recorded.team}) ${aware ? 'knew' : 'did not know'} about it before it shipped`,
          summary(status),
        ],
      };
    },
  );

  for (const decision of ['go', 'no-go'] as const) {
    updateCommand(
      decision,
      decision === 'go'
        ? 'the PM owner’s go for launch'
        : 'the PM owner’s no-go: the release is on hold until a go',
      (c) =>
        c
          .option('--by <id>', 'on behalf of the PM owner (as your operator grant allows); you when absent')
          .option('--note <text>', 'why'),
      (opts, config) => {
        const note = parseNote(opts.note as string | undefined, '--note');
        return { by: actingFor(config, opts.by), ...(note ? { note } : {}) };
      },
      async (session, key, parsed) => {
        const status = await runUpdate(session, key, decideGoNoGo, { ...parsed, decision });
        return {
          status,
          lines: [
            `${key}: ${decision} by ${parsed.by}${parsed.note ? ` (${parsed.note})` : ''}`,
            summary(status),
          ],
        };
      },
    );
  }

  updateCommand(
    'move',
    'move the launch date and re-plan every step',
    (c) => c.requiredOption('--launch <YYYY-MM-DD>', 'the new launch date'),
    (opts) => ({ launchDate: parseDate(opts.launch as string, '--launch') }),
    async (session, key, { launchDate }) => {
      const before = await queryStatus(session, key);
      const calendar = before.plan.calendar;
      const timezone = session.config.calendars[calendar]?.timezone;
      if (timezone && compareDates(launchDate, localDateOf(Date.now(), timezone)) < 0)
        throw CliError.usage(
          `--launch ${launchDate} is in the past (today is ${localDateOf(Date.now(), timezone)} on the ${calendar} calendar)`,
        );
      const status = await runUpdate(session, key, moveLaunch, { launchDate, occurredAt: Date.now() });
      if (status.plan.launchDate !== launchDate)
        throw CliError.failure(
          `${key}: the launch date was not moved: ${status.log.at(-1)?.message ?? 'see prodops release status'}`,
        );
      return {
        status,
        lines: [`${key}: launch moved to ${day(launchDate)}`, ...formatPlan(status.plan), summary(status)],
      };
    },
  );

  updateCommand(
    'retier',
    'change the release’s tier and add or retire the steps it needs',
    (c) => c.requiredOption('--tier <N>', 'the new tier: 1, 2 or 3'),
    (opts) => ({ tier: parseTier(opts.tier as string) }),
    async (session, key, { tier }) => {
      const status = await runUpdate(session, key, changeTier, { tier, occurredAt: Date.now() });
      if (status.tier !== tier)
        throw CliError.failure(
          `${key}: the tier was not changed: ${status.log.at(-1)?.message ?? 'see prodops release status'}`,
        );
      return {
        status,
        lines: [`${key}: now ${TIER_NAMES[tier]}`, ...formatPlan(status.plan), summary(status)],
      };
    },
  );

  updateCommand(
    'cancel',
    'cancel the release: every pending step is retired and future events removed',
    (c) => c.option('--reason <text>', 'why, for the people told'),
    (opts) => {
      const reason = parseNote(opts.reason as string | undefined, '--reason');
      return reason ? { reason } : {};
    },
    async (session, key, parsed) => {
      const status = await runUpdate(session, key, cancelRelease, { ...parsed, occurredAt: Date.now() });
      return {
        status,
        lines: [`${key}: cancelled${parsed.reason ? ` (${parsed.reason})` : ''}`, summary(status)],
      };
    },
  );

  updateCommand(
    'released',
    'record that the release has launched; post-launch steps count from that day',
    (c) => c.option('--on <YYYY-MM-DD>', 'the day it launched (default: today)'),
    (opts) => (opts.on === undefined ? {} : { releasedOn: parseDate(opts.on as string, '--on') }),
    async (session, key, parsed) => {
      const status = await runUpdate(session, key, markReleased, { ...parsed, occurredAt: Date.now() });
      if (!status.launchedOn)
        throw CliError.failure(
          `${key}: the release was not recorded: ${status.log.at(-1)?.message ?? 'see prodops release status'}`,
        );
      return { status, lines: [`${key}: released on ${day(status.launchedOn)}`, summary(status)] };
    },
  );
}

// ---- Listing ----------------------------------------------------------------------------------

export interface ListFilter {
  tier?: Tier;
  atRisk: boolean;
  from?: CalendarDate;
  to?: CalendarDate;
  area?: string;
  all: boolean;
}

/** The visibility query for `release list`; a bad filter is a usage error naming the option. */
export function listQuery(filter: ListFilter): string {
  if (filter.from && filter.to && compareDates(filter.from, filter.to) > 0)
    throw CliError.usage(`--from ${filter.from} is after --to ${filter.to}`);
  const clauses = [`WorkflowType = 'releaseWorkflow'`];
  if (!filter.all) clauses.push(`ExecutionStatus = 'Running'`);
  if (filter.tier !== undefined) clauses.push(`ReleaseTier = ${filter.tier}`);
  if (filter.atRisk) clauses.push(`EnablementStatus IN ('at_risk', 'late')`);
  // Launch dates are indexed as midnight UTC. Some stores compare the indexed text, so the bounds
  // are written as the workflow writes them, and the last day is included by a strict bound on
  // the next one (no millisecond formatting to disagree on).
  if (filter.from) clauses.push(`LaunchDate >= '${filter.from}T00:00:00Z'`);
  if (filter.to) clauses.push(`LaunchDate < '${addCalendarDays(filter.to, 1)}T00:00:00Z'`);
  if (filter.area !== undefined) {
    const area = filter.area.trim();
    if (area === '') throw CliError.usage('--area must not be empty');
    // Quoting rules differ between visibility stores; a quote or backslash has no place in a name.
    if (/['"\\]/.test(area))
      throw CliError.usage(`--area must not contain quotes or backslashes, got ${area}`);
    clauses.push(`ProductArea = '${area}'`);
  }
  return clauses.join(' AND ');
}

export interface ReleaseRow {
  key: string;
  tier: number | null;
  launchDate: CalendarDate | null;
  enablement: string | null;
  productArea: string | null;
  /** The workflow's execution status, for example RUNNING or COMPLETED. */
  status: string;
}

async function listReleases(session: Session, query: string): Promise<ReleaseRow[]> {
  const attributes = await import('../domain/search-attributes');
  const rows = await listWorkflows(session, query, (info): ReleaseRow => {
    const launch = info.typedSearchAttributes.get(attributes.LaunchDate);
    return {
      key: info.workflowId.replace(/^release:/, ''),
      tier: info.typedSearchAttributes.get(attributes.ReleaseTier) ?? null,
      launchDate: launch ? launch.toISOString().slice(0, 10) : null,
      enablement: info.typedSearchAttributes.get(attributes.EnablementStatus) ?? null,
      productArea: info.typedSearchAttributes.get(attributes.ProductArea) ?? null,
      status: info.status.name,
    };
  });
  // SQL visibility stores cannot ORDER BY: sort here, soonest launch first.
  return rows.sort(
    (a, b) => (a.launchDate ?? '9999').localeCompare(b.launchDate ?? '9999') || a.key.localeCompare(b.key),
  );
}
