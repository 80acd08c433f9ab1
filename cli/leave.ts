/**
 * The `prodops leave …` commands: request leave, confirm or cancel it, see one request or list
 * who is off and who covers, and check dates without requesting anything.
 *
 * Every option is checked against the configuration before connecting, so bad input never waits
 * on a server. Confirmations and cancellations go through the workflow's updates, so a refusal
 * (a confirmation from someone who is neither the buddy nor the manager) reaches the person who
 * typed the command with the workflow's own reason.
 */
import type { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { compareDates, isValidDate, localDateOf, type CalendarDate } from '../domain/business-calendar';
import type { OrgConfig, PersonConfig } from '../domain/config';
import {
  calendarOf,
  coverageRequestFor,
  describeWindow,
  evaluateGateOne,
  LeaveInputError,
  normaliseWindow,
  offDutyReason,
  rankCandidates,
  suggestAlternatives,
  type LeaveDayPart,
  type LeaveWindow,
  type ReleaseCommitment,
  type TeamReservation,
  type CoverageRecord,
} from '../domain/coverage';
import {
  cancelLeave,
  confirmLeave,
  LEAVE_WORKFLOW_TYPE,
  leaveStatus,
  leaveWorkflowId,
  moveLeave,
  type LeaveMemo,
  type LeaveRequestInput,
  type LeaveStatusView,
} from '../workflows/leave/messages';
import type { leaveWorkflow } from '../workflows/leave/workflow';
import { loadConfig } from './config-file';
import { UsageError } from './errors';
import type { CliIO } from './main';
import { isWorkerTimeout, serviceErrorMessage, type TemporalSession } from './temporal-client';

export interface LeaveCommandOptions {
  /** How long to wait for the server to answer at all. */
  connectTimeoutMs?: number;
  /** How long to wait for a worker to answer a query or an update. */
  workerTimeoutMs?: number;
  /** Where Temporal credentials are read from. */
  env?: NodeJS.ProcessEnv;
}

/** A worker answers in well under a second; this long means none is polling. */
export const DEFAULT_WORKER_TIMEOUT_MS = 30_000;
/** How long `leave request` waits to print gate 1's verdict before leaving it to `leave status`. */
const VERDICT_WAIT_MS = 10_000;
/** A dry run connects briefly: an absent server means a configuration-only answer. */
const CHECK_CONNECT_TIMEOUT_MS = 2_000;

/** A command that was understood but could not be carried out: one line, exit 1. */
export class LeaveCommandError extends Error {}

const CONFIG_HELP = 'configuration file (default: $PRODOPS_CONFIG or ./prodops.config.yaml)';
const TARGET_HELP = 'the request: its workflow id (leave:ana:2027-03-01) or person+date (ana+2027-03-01)';
/** What `leave list` shows unless --all: leave that is pending or confirmed. */
const LISTED_PHASES = ['awaiting-confirmation', 'confirmed'] as const;

// ---- Option checks ------------------------------------------------------------------------

const FLAG_OF: Record<string, string> = {
  from: '--from',
  to: '--to',
  firstDay: '--first-day',
  lastDay: '--last-day',
};

export function parseWindow(options: {
  from: string;
  to: string;
  firstDay?: string;
  lastDay?: string;
}): LeaveWindow {
  try {
    return normaliseWindow({
      from: options.from,
      to: options.to,
      ...(options.firstDay !== undefined ? { firstDay: options.firstDay as LeaveDayPart } : {}),
      ...(options.lastDay !== undefined ? { lastDay: options.lastDay as LeaveDayPart } : {}),
    });
  } catch (error) {
    if (!(error instanceof LeaveInputError)) throw error;
    const problem = error.message.slice(error.field.length + 1);
    throw new UsageError(`${FLAG_OF[error.field] ?? error.field} ${problem}`);
  }
}

function person(config: OrgConfig, id: string, flag: string): PersonConfig {
  const found = config.people.find((p) => p.id === id);
  if (!found) throw new UsageError(`${flag} "${id}" is not a person in the configuration`);
  return found;
}

function parseDate(value: string, flag: string): CalendarDate {
  if (isValidDate(value)) return value;
  throw new UsageError(`${flag} must be a date written YYYY-MM-DD, got "${String(value)}"`);
}

/** `leave:ana:2027-03-01`, `ana:2027-03-01` or `ana+2027-03-01`, for a person of the configuration. */
export function parseTarget(
  config: OrgConfig,
  raw: string,
): { workflowId: string; personId: string; from: string } {
  const match = /^(?:leave:)?([^:+\s]+)[:+](\d{4}-\d{2}-\d{2})$/.exec(raw.trim());
  if (!match)
    throw new UsageError(
      `"${raw}" does not name a leave request: write leave:<person>:<date> or <person>+<date>`,
    );
  const [, personId, from] = match as unknown as [string, string, string];
  person(config, personId, 'the request’s person');
  parseDate(from, 'the request’s date');
  return { workflowId: leaveWorkflowId(personId, from), personId, from };
}

function nonEmpty(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`${flag} must not be empty`);
  return value.trim();
}

// ---- Output -------------------------------------------------------------------------------

function formatStatus(s: LeaveStatusView): string[] {
  const lines = [
    `${s.workflowId}: ${s.phase}${s.reason ? ` — ${s.reason}` : ''}`,
    `  who: ${s.personName ?? s.personId} (${s.team ?? 'unknown team'}), ${s.window ? describeWindow(s.window) : 'no valid dates'}, round ${s.round}`,
  ];
  if (s.gate1) {
    lines.push(`  gate 1: ${s.gate1.passed ? 'passed' : 'refused'} (${s.gate1.checkedAt})`);
    for (const r of s.gate1.reasons) lines.push(`    - ${r.kind}: ${r.message}`);
    if (s.gate1.alternatives.length > 0)
      lines.push(`    nearby dates that pass: ${s.gate1.alternatives.map(describeWindow).join('; ')}`);
  }
  if (s.candidates.length > 0)
    lines.push(
      `  buddy candidates: ${s.candidates.map((c) => `${c.name} ${c.outcome}${c.reason ? ` (${c.reason})` : ''}`).join('; ')}`,
    );
  const confirmation = (c: LeaveStatusView['confirmations']['buddy'], who: string) =>
    c
      ? `${who} ${c.decision === 'approve' ? 'confirmed' : 'declined'} by ${c.by} via ${c.via}`
      : `${who} pending`;
  if (s.phase === 'awaiting-confirmation' || s.phase === 'confirmed')
    lines.push(
      `  gate 2: ${confirmation(s.confirmations.buddy, `buddy ${s.buddy?.name ?? '—'}`)}; ${confirmation(s.confirmations.manager, `manager ${s.manager?.name ?? '—'}`)}`,
    );
  for (const r of s.refusals) lines.push(`  refused: ${r.by} (${r.via}, ${r.at}): ${r.reason}`);
  const live = s.events.filter((e) => e.status === 'live');
  if (live.length > 0) lines.push(`  events: ${live.map((e) => `${e.kind} on ${e.calendarId}`).join('; ')}`);
  if (s.trackerPageId) lines.push(`  leave tracker: ${s.trackerPageId}`);
  return lines;
}

/** What `leave request` can say right away: gate 1's verdict, or that it is still running. */
function verdictLines(s: LeaveStatusView): string[] {
  if (!s.gate1) return [`${s.workflowId}: still checking; see prodops leave status ${s.workflowId}`];
  const lines = [
    `gate 1: ${s.gate1.passed ? 'passed' : 'refused'}`,
    ...s.gate1.reasons.map((r) => `  - ${r.kind}: ${r.message}`),
  ];
  if (s.gate1.alternatives.length > 0)
    lines.push(`  nearby dates that pass: ${s.gate1.alternatives.map(describeWindow).join('; ')}`);
  lines.push(`${s.workflowId}: ${s.phase}${s.buddy ? `, asking ${s.buddy.name} to cover` : ''}`);
  return lines;
}

// ---- Temporal -------------------------------------------------------------------------------

interface Session extends TemporalSession {
  workerTimeoutMs: number;
  config: OrgConfig;
}

async function withSession<T>(
  config: OrgConfig,
  options: LeaveCommandOptions,
  body: (session: Session) => Promise<T>,
  connectTimeoutMs = options.connectTimeoutMs,
): Promise<T> {
  const { withTemporal } = await import('./temporal-client');
  return withTemporal(
    config.temporal,
    (session) =>
      body({ ...session, config, workerTimeoutMs: options.workerTimeoutMs ?? DEFAULT_WORKER_TIMEOUT_MS }),
    {
      ...(options.env ? { env: options.env } : {}),
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    },
  );
}

function handleFor(session: Session, workflowId: string): WorkflowHandle<typeof leaveWorkflow> {
  return session.client.workflow.getHandle<typeof leaveWorkflow>(workflowId);
}

/** Turns what Temporal threw into one line a person can act on. */
async function explain(error: unknown, session: Session, workflowId: string): Promise<Error> {
  const temporal = await import('@temporalio/client');
  const where = `namespace ${session.temporal.namespace} at ${session.temporal.address}`;
  if (error instanceof temporal.WorkflowUpdateFailedError)
    return new LeaveCommandError(error.cause?.message ?? error.message);
  if (error instanceof temporal.WorkflowNotFoundError) {
    try {
      const description = await handleFor(session, workflowId).describe();
      return new LeaveCommandError(
        `${workflowId} has finished (${description.status.name}): it takes no more changes`,
      );
    } catch (describeError) {
      if (describeError instanceof temporal.WorkflowNotFoundError)
        return new LeaveCommandError(`no leave request ${workflowId} in ${where}`);
      return asServiceError(describeError);
    }
  }
  if (isWorkerTimeout(error))
    return new LeaveCommandError(
      `no worker answered for ${workflowId} within ${session.workerTimeoutMs / 1000} s: is a prodops worker polling task queue ${session.temporal.taskQueue} in ${where}?`,
    );
  return asServiceError(error);
}

function asServiceError(error: unknown): Error {
  const message = serviceErrorMessage(error);
  if (message !== undefined) return new LeaveCommandError(message);
  return error instanceof Error ? error : new Error(String(error));
}

async function queryStatus(session: Session, workflowId: string): Promise<LeaveStatusView> {
  try {
    return await session.connection.withDeadline(Date.now() + session.workerTimeoutMs, () =>
      handleFor(session, workflowId).query(leaveStatus),
    );
  } catch (error) {
    throw await explain(error, session, workflowId);
  }
}

async function runUpdate<Arg>(
  session: Session,
  workflowId: string,
  update: UpdateDefinition<LeaveStatusView, [Arg]>,
  arg: Arg,
): Promise<LeaveStatusView> {
  try {
    return await session.connection.withDeadline(Date.now() + session.workerTimeoutMs, () =>
      handleFor(session, workflowId).executeUpdate(update, { args: [arg] }),
    );
  } catch (error) {
    throw await explain(error, session, workflowId);
  }
}

/** The visibility query behind `leave list`. */
export function listQuery(filter: {
  team?: string;
  from?: CalendarDate;
  to?: CalendarDate;
  all?: boolean;
}): string {
  const clauses = [`WorkflowType = '${LEAVE_WORKFLOW_TYPE}'`];
  if (!filter.all) clauses.push(`LeaveStatus IN (${LISTED_PHASES.map((p) => `'${p}'`).join(', ')})`);
  if (filter.team) clauses.push(`Team = '${filter.team}'`);
  // Dates are indexed as midnight UTC: leave overlapping [from, to] starts by `to` and ends from `from`.
  if (filter.to) clauses.push(`LeaveStart <= '${filter.to}T00:00:00Z'`);
  if (filter.from) clauses.push(`LeaveEnd >= '${filter.from}T00:00:00Z'`);
  return clauses.join(' AND ');
}

// ---- The dry run ----------------------------------------------------------------------------

export interface CheckResult {
  lines: string[];
  passed: boolean;
}

/** Gate 1 and the buddy match for a window, from the configuration and, when given, live state. */
export interface LiveLeaveState {
  commitments: ReleaseCommitment[];
  reservations: TeamReservation[];
  history: CoverageRecord[];
  leaveOf: Record<string, CalendarDate[]>;
}

export async function dryRun(
  config: OrgConfig,
  personId: string,
  window: LeaveWindow,
  live: LiveLeaveState | null,
  today: CalendarDate,
): Promise<CheckResult> {
  // The holiday data is heavy: loaded only by the commands that count working days.
  const { buildLeaveContext } = await import('../activities/leave');
  const first = Number(window.from.slice(0, 4));
  const context = buildLeaveContext(config, personId, {
    from: first - 1,
    to: Number(window.to.slice(0, 4)) + 1,
  });
  const commitments = live?.commitments ?? [];
  const reservations = (live?.reservations ?? []).filter((r) => r.personId !== personId);
  const verdict = evaluateGateOne({ context, window, commitments, reservations });
  const request = coverageRequestFor(context, window);
  const lines = [
    `${context.requester.name} (${context.team.name}), ${describeWindow(window)}: ${request.days.length} working day${request.days.length === 1 ? '' : 's'} on the ${context.requester.calendar} calendar`,
    `gate 1: ${verdict.passed ? 'passes' : 'refused'}`,
    ...verdict.reasons.map((r) => `  - ${r.kind}: ${r.message}`),
  ];
  if (!verdict.passed) {
    const alternatives = suggestAlternatives(
      window,
      calendarOf(context, context.requester),
      today,
      (candidate) => evaluateGateOne({ context, window: candidate, commitments, reservations }).passed,
    );
    lines.push(
      alternatives.length > 0
        ? `  nearby dates that pass: ${alternatives.map(describeWindow).join('; ')}`
        : '  no nearby window of the same length passes',
    );
  }
  const dates = request.days.map((d) => d.date);
  const ranked = rankCandidates(context.requester, context.peers, live?.history ?? []);
  const tried: string[] = [];
  let buddy: string | null = null;
  for (const candidate of ranked) {
    const reason = offDutyReason(
      calendarOf(context, candidate.person),
      dates,
      [],
      live?.leaveOf[candidate.person.id] ?? [],
    );
    if (reason === null) {
      buddy = `${candidate.person.name} (${candidate.preference.replace('-', ' ')})`;
      break;
    }
    tried.push(`${candidate.person.name}: ${reason}`);
  }
  lines.push(
    buddy
      ? `buddy: ${buddy}${tried.length > 0 ? `, after ${tried.join('; ')}` : ''}`
      : `buddy: nobody can cover${tried.length > 0 ? ` (${tried.join('; ')})` : ` (no other ${context.requester.role})`}`,
  );
  if (!context.manager)
    lines.push(`approval: ${context.requester.name} has no manager in the configuration to approve leave`);
  else lines.push(`approval: ${context.manager.name}`);
  return { lines, passed: verdict.passed && buddy !== null && context.manager !== null };
}

// ---- Commands -------------------------------------------------------------------------------

interface ConfigOption {
  config?: string;
}

interface WindowOptions {
  from: string;
  to: string;
  firstDay?: string;
  lastDay?: string;
}

export function registerLeaveCommands(program: Command, io: CliIO, options: LeaveCommandOptions = {}): void {
  const leave = program.command('leave').description('request, confirm, cancel, list and check leave');
  // commander reports its own errors as "error: …"; these commands report as the rest of prodops.
  const prodopsErrors = {
    outputError: (text: string, write: (s: string) => void) => write(text.replace(/^error: /, 'prodops: ')),
  };
  leave.configureOutput(prodopsErrors);

  const windowOptions = (command: Command) =>
    command
      .requiredOption('--person <id>', 'who is going on leave')
      .requiredOption('--from <YYYY-MM-DD>', 'first day of leave, in their calendar')
      .requiredOption('--to <YYYY-MM-DD>', 'last day of leave (the same as --from for one day)')
      .option('--first-day <part>', 'afternoon: the first day is off from noon only')
      .option('--last-day <part>', 'morning: the last day is off until noon only')
      .option('--config <path>', CONFIG_HELP);

  windowOptions(
    leave
      .command('request')
      .description(
        'request leave: runs the availability block, finds a covering buddy, asks for both confirmations',
      )
      .configureOutput(prodopsErrors),
  )
    .option('--reason <text>', 'a note for the buddy and the manager')
    .action(async (opts: ConfigOption & WindowOptions & { person: string; reason?: string }) => {
      const window = parseWindow(opts);
      const reason = nonEmpty(opts.reason, '--reason');
      const { config } = loadConfig(opts.config);
      const who = person(config, opts.person, '--person');
      const zone = config.calendars[who.calendar]!.timezone;
      const today = localDateOf(Date.now(), zone);
      if (compareDates(window.to, today) < 0)
        throw new UsageError(`--to ${window.to} is in the past (today is ${today} on ${who.id}'s calendar)`);
      const workflowId = leaveWorkflowId(who.id, window.from);
      const input: LeaveRequestInput = {
        personId: who.id,
        from: window.from,
        to: window.to,
        firstDay: window.firstDay,
        lastDay: window.lastDay,
        ...(reason ? { reason } : {}),
        source: 'cli',
      };
      const attributes = await import('../domain/search-attributes');
      await withSession(config, options, async (session) => {
        const temporal = await import('@temporalio/client');
        try {
          await session.client.workflow.start<typeof leaveWorkflow>(LEAVE_WORKFLOW_TYPE, {
            taskQueue: config.temporal.taskQueue,
            workflowId,
            args: [input],
            // Indexed from the start, so that `leave list --all` shows it before its first run.
            typedSearchAttributes: [
              { key: attributes.LeaveStatus, value: 'checking' },
              { key: attributes.Team, value: who.team },
              { key: attributes.LeaveStart, value: new Date(`${window.from}T00:00:00Z`) },
              { key: attributes.LeaveEnd, value: new Date(`${window.to}T00:00:00Z`) },
            ],
          });
          io.out(`requested ${describeWindow(window)} for ${who.name}: ${workflowId}`);
        } catch (error) {
          if (!(error instanceof temporal.WorkflowExecutionAlreadyStartedError)) throw asServiceError(error);
          // The same start date again: the request's dates change, and both gates run again.
          await runUpdate(session, workflowId, moveLeave, {
            from: window.from,
            to: window.to,
            firstDay: window.firstDay,
            lastDay: window.lastDay,
          });
          io.out(`${workflowId} already exists: its dates are now ${describeWindow(window)}`);
        }
        const deadline = Date.now() + Math.min(VERDICT_WAIT_MS, session.workerTimeoutMs);
        let status = await queryStatus(session, workflowId);
        while (status.phase === 'checking' && status.gate1 === null && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          status = await queryStatus(session, workflowId);
        }
        for (const line of verdictLines(status)) io.out(line);
      });
    });

  leave
    .command('confirm')
    .description('confirm or decline as the covering buddy or the manager')
    .configureOutput(prodopsErrors)
    .argument('<request>', TARGET_HELP)
    .requiredOption('--by <id>', 'who confirms: the buddy or the requester’s manager')
    .requiredOption('--decision <decision>', 'approve or decline')
    .option('--note <text>', 'why, for the requester')
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: ConfigOption & { by: string; decision: string; note?: string }) => {
      if (opts.decision !== 'approve' && opts.decision !== 'decline')
        throw new UsageError(`--decision must be approve or decline, got "${opts.decision}"`);
      const note = nonEmpty(opts.note, '--note');
      const { config } = loadConfig(opts.config);
      const target = parseTarget(config, raw);
      person(config, opts.by, '--by');
      await withSession(config, options, async (session) => {
        const status = await runUpdate(session, target.workflowId, confirmLeave, {
          by: opts.by,
          decision: opts.decision as 'approve' | 'decline',
          ...(note ? { note } : {}),
        });
        io.out(formatStatus(status).join('\n'));
      });
    });

  leave
    .command('cancel')
    .description('cancel a request or a confirmed leave; removes every event prodops created for it')
    .configureOutput(prodopsErrors)
    .argument('<request>', TARGET_HELP)
    .requiredOption('--by <id>', 'who cancels: the requester or their management chain')
    .option('--reason <text>', 'why')
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: ConfigOption & { by: string; reason?: string }) => {
      const reason = nonEmpty(opts.reason, '--reason');
      const { config } = loadConfig(opts.config);
      const target = parseTarget(config, raw);
      person(config, opts.by, '--by');
      await withSession(config, options, async (session) => {
        const status = await runUpdate(session, target.workflowId, cancelLeave, {
          by: opts.by,
          ...(reason ? { reason } : {}),
        });
        io.out(formatStatus(status).join('\n'));
      });
    });

  leave
    .command('status')
    .description('one request: gates, buddy candidates, confirmations, refusals, events')
    .configureOutput(prodopsErrors)
    .argument('<request>', TARGET_HELP)
    .option('--json', 'print the status as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: ConfigOption & { json?: boolean }) => {
      const { config } = loadConfig(opts.config);
      const target = parseTarget(config, raw);
      await withSession(config, options, async (session) => {
        const status = await queryStatus(session, target.workflowId);
        io.out(opts.json ? JSON.stringify(status) : formatStatus(status).join('\n'));
      });
    });

  leave
    .command('list')
    .description('who is off and who covers (a visibility query)')
    .configureOutput(prodopsErrors)
    .option('--team <id>', 'only this team')
    .option('--from <YYYY-MM-DD>', 'leave that ends on or after this date')
    .option('--to <YYYY-MM-DD>', 'leave that starts on or before this date')
    .option('--all', 'include requests that were blocked, declined, expired or cancelled')
    .option('--json', 'print a JSON array')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (
        opts: ConfigOption & { team?: string; from?: string; to?: string; all?: boolean; json?: boolean },
      ) => {
        const from = opts.from === undefined ? undefined : parseDate(opts.from, '--from');
        const to = opts.to === undefined ? undefined : parseDate(opts.to, '--to');
        if (from && to && compareDates(to, from) < 0)
          throw new UsageError(`--to (${to}) is before --from (${from})`);
        const { config } = loadConfig(opts.config);
        if (opts.team !== undefined && !config.teams.some((t) => t.id === opts.team))
          throw new UsageError(
            `--team "${opts.team}" is not a team in the configuration (it has ${config.teams.map((t) => t.id).join(', ')})`,
          );
        const query = listQuery({
          ...(opts.team ? { team: opts.team } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ...(opts.all ? { all: true } : {}),
        });
        await withSession(config, options, async (session) => {
          const attributes = await import('../domain/search-attributes');
          const rows: (LeaveMemo & { workflowId: string; status: string })[] = [];
          try {
            for await (const info of session.client.workflow.list({ query })) {
              const memo = (info.memo as { leave?: LeaveMemo } | undefined)?.leave;
              if (!memo) continue;
              rows.push({
                ...memo,
                workflowId: info.workflowId,
                status: info.typedSearchAttributes.get(attributes.LeaveStatus) ?? 'unknown',
              });
            }
          } catch (error) {
            throw asServiceError(error);
          }
          rows.sort((a, b) => compareDates(a.from, b.from) || a.personId.localeCompare(b.personId));
          if (opts.json) {
            io.out(JSON.stringify(rows));
            return;
          }
          if (rows.length === 0) {
            io.out('no leave matches');
            return;
          }
          for (const r of rows) {
            const window = describeWindow({
              from: r.from,
              to: r.to,
              firstDay: r.firstDay,
              lastDay: r.lastDay,
            });
            const cover = r.buddyName
              ? `${r.status === 'confirmed' ? 'covered by' : 'asked'} ${r.buddyName}`
              : 'no buddy yet';
            io.out(`${window}  ${r.personName} (${r.team})  ${r.status}  ${cover}  ${r.workflowId}`);
          }
        });
      },
    );

  windowOptions(
    leave
      .command('check')
      .description('dry run: the availability block and the buddy match for these dates; requests nothing')
      .configureOutput(prodopsErrors),
  ).action(async (opts: ConfigOption & WindowOptions & { person: string }) => {
    const window = parseWindow(opts);
    const { config } = loadConfig(opts.config);
    const who = person(config, opts.person, '--person');
    const today = localDateOf(Date.now(), config.calendars[who.calendar]!.timezone);
    const leaveActivities = await import('../activities/leave');
    const { TemporalUnreachableError } = await import('./temporal-client');
    let live: LiveLeaveState | null = null;
    let source: string;
    try {
      live = await withSession(
        config,
        options,
        async (session) => {
          const within = <T>(call: () => Promise<T>) =>
            session.connection.withDeadline(Date.now() + session.workerTimeoutMs, call);
          const state = await within(() => leaveActivities.readCoordinatorState(session.client, who.team));
          return {
            commitments: await within(() => leaveActivities.readReleaseCommitments(session.client, who.id)),
            reservations: state?.reservations ?? [],
            history: state?.history ?? [],
            leaveOf: await within(() =>
              leaveActivities.readLeaveOfPeople(session.client, config, {
                personIds: config.people
                  .filter((p) => p.role === who.role && p.id !== who.id)
                  .map((p) => p.id),
                from: window.from,
                to: window.to,
              }),
            ),
          };
        },
        options.connectTimeoutMs ?? CHECK_CONNECT_TIMEOUT_MS,
      );
      source = `running releases and the teams' leave from Temporal at ${config.temporal.address}; calendars' free/busy not read in a dry run`;
    } catch (error) {
      if (!(error instanceof TemporalUnreachableError)) throw error;
      source = `configuration only: ${error.message}, so running releases and other people's leave are not counted`;
    }
    const result = await dryRun(config, who.id, window, live, today);
    for (const line of result.lines) io.out(line);
    io.out(
      `verdict: ${result.passed ? 'would pass gate 1 and find a buddy' : 'would not pass as requested'}`,
    );
    io.out(`from: ${source}`);
  });
}
