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
import { compareDates, localDateOf, type CalendarDate } from '../domain/business-calendar';
import type { OrgConfig } from '../domain/config';
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
  type GateReason,
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
import { loadConfig } from '../runtime/config';
import { TemporalUnreachableError } from '../runtime/temporal';
import { CliError } from './errors';
import type { CliIO } from './main';
import {
  parseChoice,
  parseLeaveRequestId,
  parseNote,
  parseOptionalDate,
  parsePerson,
  parseTeam,
} from './parse';
import {
  addUpdateCommand,
  CONFIG_HELP,
  listWorkflows,
  startWorkflow,
  statusWorkflow,
  withSession,
  type WorkflowCommandOptions,
  type WorkflowTarget,
} from './workflow-commands';

export type LeaveCommandOptions = WorkflowCommandOptions;

/** How long `leave request` waits to print gate 1's verdict before leaving it to `leave status`. */
const VERDICT_WAIT_MS = 10_000;
/** A dry run connects briefly: an absent server means a configuration-only answer. */
const CHECK_CONNECT_TIMEOUT_MS = 2_000;

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
    throw CliError.usage(`${FLAG_OF[error.field] ?? error.field} ${problem}`);
  }
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
      ? `${who} ${c.decision === 'approve' ? 'confirmed' : 'declined'} by ${c.by} via ${c.via}${c.operator ? ` (operator ${c.operator})` : ''}`
      : `${who} pending`;
  if (s.phase === 'awaiting-confirmation' || s.phase === 'confirmed')
    lines.push(
      `  gate 2: ${confirmation(s.confirmations.buddy, `buddy ${s.buddy?.name ?? '—'}`)}; ${confirmation(s.confirmations.manager, `manager ${s.manager?.name ?? '—'}`)}`,
    );
  for (const r of s.refusals)
    lines.push(
      `  refused: ${r.by} (${r.via}${r.operator && r.operator !== r.by ? `, operator ${r.operator}` : ''}, ${r.at}): ${r.reason}`,
    );
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

const { queryStatus, runUpdate } = statusWorkflow(
  (workflowId): WorkflowTarget => ({ workflowId, kind: 'leave request', label: workflowId }),
  leaveStatus,
);

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

/** What `leave check` found, as `--json` prints it. */
export interface LeaveCheckReport {
  person: { id: string; name: string; role: string; calendar: string };
  team: { id: string; name: string };
  window: LeaveWindow;
  /** The working days of the window on the person's calendar: the days that need cover. */
  workingDays: CalendarDate[];
  gate1: { passed: boolean; reasons: GateReason[]; alternatives: LeaveWindow[] };
  /** The first candidate on duty every working day of the window; null when nobody is. */
  buddy: { id: string; name: string; preference: string } | null;
  /** Candidates ranked before the buddy (or all of them), and why each cannot cover. */
  passedOver: { id: string; name: string; reason: string }[];
  manager: { id: string; name: string } | null;
  /** Gate 1 passes, a buddy is found and a manager can approve: a request would go ahead. */
  passed: boolean;
  /** What the check read besides the configuration. */
  source: { live: boolean; detail: string };
}

export interface CheckResult {
  lines: string[];
  passed: boolean;
  report: LeaveCheckReport;
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
  source: LeaveCheckReport['source'] = {
    live: live !== null,
    detail: live ? 'Temporal' : 'configuration only',
  },
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
  const alternatives = verdict.passed
    ? []
    : suggestAlternatives(
        window,
        calendarOf(context, context.requester),
        today,
        (candidate) => evaluateGateOne({ context, window: candidate, commitments, reservations }).passed,
      );
  const dates = request.days.map((d) => d.date);
  const passedOver: LeaveCheckReport['passedOver'] = [];
  let buddy: LeaveCheckReport['buddy'] = null;
  for (const candidate of rankCandidates(context.requester, context.peers, live?.history ?? [])) {
    const reason = offDutyReason(
      calendarOf(context, candidate.person),
      dates,
      [],
      live?.leaveOf[candidate.person.id] ?? [],
    );
    if (reason === null) {
      buddy = { id: candidate.person.id, name: candidate.person.name, preference: candidate.preference };
      break;
    }
    passedOver.push({ id: candidate.person.id, name: candidate.person.name, reason });
  }
  const { requester, manager } = context;
  const report: LeaveCheckReport = {
    person: { id: requester.id, name: requester.name, role: requester.role, calendar: requester.calendar },
    team: { id: context.team.id, name: context.team.name },
    window,
    workingDays: dates,
    gate1: { passed: verdict.passed, reasons: verdict.reasons, alternatives },
    buddy,
    passedOver,
    manager: manager ? { id: manager.id, name: manager.name } : null,
    passed: verdict.passed && buddy !== null && manager !== null,
    source,
  };
  return { lines: checkLines(report), passed: report.passed, report };
}

function checkLines(report: LeaveCheckReport): string[] {
  const { person, gate1, buddy, passedOver, manager } = report;
  const days = report.workingDays.length;
  const lines = [
    `${person.name} (${report.team.name}), ${describeWindow(report.window)}: ${days} working day${days === 1 ? '' : 's'} on the ${person.calendar} calendar`,
    `gate 1: ${gate1.passed ? 'passes' : 'refused'}`,
    ...gate1.reasons.map((r) => `  - ${r.kind}: ${r.message}`),
  ];
  if (!gate1.passed)
    lines.push(
      gate1.alternatives.length > 0
        ? `  nearby dates that pass: ${gate1.alternatives.map(describeWindow).join('; ')}`
        : '  no nearby window of the same length passes',
    );
  const tried = passedOver.map((p) => `${p.name}: ${p.reason}`);
  lines.push(
    buddy
      ? `buddy: ${buddy.name} (${buddy.preference.replace('-', ' ')})${tried.length > 0 ? `, after ${tried.join('; ')}` : ''}`
      : `buddy: nobody can cover${tried.length > 0 ? ` (${tried.join('; ')})` : ` (no other ${person.role})`}`,
    manager
      ? `approval: ${manager.name}`
      : `approval: ${person.name} has no manager in the configuration to approve leave`,
    `verdict: ${report.passed ? 'would pass gate 1 and find a buddy' : 'would not pass as requested'}`,
    `from: ${report.source.detail}`,
  );
  return lines;
}

// ---- Commands -------------------------------------------------------------------------------

interface ConfigOption {
  config?: string;
}

interface JsonOption {
  json?: boolean;
}

interface WindowOptions {
  from: string;
  to: string;
  firstDay?: string;
  lastDay?: string;
}

export function registerLeaveCommands(program: Command, io: CliIO, options: LeaveCommandOptions = {}): void {
  const leave = program.command('leave').description('request, confirm, cancel, list and check leave');

  const windowOptions = (command: Command) =>
    command
      .requiredOption('--person <id>', 'who is going on leave')
      .requiredOption('--from <YYYY-MM-DD>', 'first day of leave, in their calendar')
      .requiredOption('--to <YYYY-MM-DD>', 'last day of leave (the same as --from for one day)')
      .option('--first-day <part>', 'afternoon: the first day is off from noon only')
      .option('--last-day <part>', 'morning: the last day is off until noon only')
      .option('--config <path>', CONFIG_HELP);

  /** The request's status, as lines or with --json as one object. */
  const printStatus = (status: LeaveStatusView, json: boolean | undefined) =>
    io.out(json ? JSON.stringify(status) : formatStatus(status).join('\n'));

  windowOptions(
    leave
      .command('request')
      .description(
        'request leave: runs the availability block, finds a covering buddy, asks for both confirmations',
      ),
  )
    .option('--reason <text>', 'a note for the buddy and the manager')
    .option('--json', 'print the request’s status once gate 1 has answered, as one JSON object')
    .action(async (opts: ConfigOption & JsonOption & WindowOptions & { person: string; reason?: string }) => {
      const window = parseWindow(opts);
      const reason = parseNote(opts.reason, '--reason');
      const { config } = loadConfig(opts.config);
      const who = parsePerson(config, opts.person, '--person');
      const zone = config.calendars[who.calendar]!.timezone;
      const today = localDateOf(Date.now(), zone);
      if (compareDates(window.to, today) < 0)
        throw CliError.usage(`--to ${window.to} is in the past (today is ${today} on ${who.id}'s calendar)`);
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
        const started = await startWorkflow<typeof leaveWorkflow>(session, LEAVE_WORKFLOW_TYPE, {
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
        if (started) {
          if (!opts.json) io.out(`requested ${describeWindow(window)} for ${who.name}: ${workflowId}`);
        } else {
          // The same start date again: the request's dates change, and both gates run again.
          await runUpdate(session, workflowId, moveLeave, {
            from: window.from,
            to: window.to,
            firstDay: window.firstDay,
            lastDay: window.lastDay,
          });
          if (!opts.json) io.out(`${workflowId} already exists: its dates are now ${describeWindow(window)}`);
        }
        const deadline = Date.now() + Math.min(VERDICT_WAIT_MS, session.workerTimeoutMs);
        let status = await queryStatus(session, workflowId);
        while (status.phase === 'checking' && status.gate1 === null && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          status = await queryStatus(session, workflowId);
        }
        if (opts.json) io.out(JSON.stringify(status));
        else for (const line of verdictLines(status)) io.out(line);
      });
    });

  addUpdateCommand(leave, io, options, {
    name: 'confirm',
    description: 'confirm or decline as the covering buddy or the manager',
    argument: ['<request>', TARGET_HELP],
    options: (c) =>
      c
        .option(
          '--by <id>',
          'on behalf of the buddy or the manager (as your operator grant allows); you when absent',
        )
        .requiredOption('--decision <decision>', 'approve or decline')
        .option('--note <text>', 'why, for the requester'),
    jsonHelp: 'print the request’s status after the confirmation as one JSON object',
    parse: (raw, opts, config) => {
      const decision = parseChoice(opts.decision as string, '--decision', ['approve', 'decline']);
      const note = parseNote(opts.note as string | undefined, '--note');
      const { workflowId } = parseLeaveRequestId(config, raw);
      const by = opts.by === undefined ? undefined : parsePerson(config, opts.by as string, '--by').id;
      return { ref: workflowId, parsed: { ...(by ? { by } : {}), decision, ...(note ? { note } : {}) } };
    },
    run: async (session, workflowId, command) => {
      const status = await runUpdate(session, workflowId, confirmLeave, command);
      return { status, lines: formatStatus(status) };
    },
  });

  addUpdateCommand(leave, io, options, {
    name: 'cancel',
    description: 'cancel a request or a confirmed leave; removes every event prodops created for it',
    argument: ['<request>', TARGET_HELP],
    options: (c) =>
      c
        .option(
          '--by <id>',
          'on behalf of the requester or their management chain (as your operator grant allows); you when absent',
        )
        .option('--reason <text>', 'why'),
    jsonHelp: 'print the request’s status after the cancellation as one JSON object',
    parse: (raw, opts, config) => {
      const reason = parseNote(opts.reason as string | undefined, '--reason');
      const { workflowId } = parseLeaveRequestId(config, raw);
      const by = opts.by === undefined ? undefined : parsePerson(config, opts.by as string, '--by').id;
      return { ref: workflowId, parsed: { ...(by ? { by } : {}), ...(reason ? { reason } : {}) } };
    },
    run: async (session, workflowId, command) => {
      const status = await runUpdate(session, workflowId, cancelLeave, command);
      return { status, lines: formatStatus(status) };
    },
  });

  leave
    .command('status')
    .description('one request: gates, buddy candidates, confirmations, refusals, events')
    .argument('<request>', TARGET_HELP)
    .option('--json', 'print the status as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: ConfigOption & JsonOption) => {
      const { config } = loadConfig(opts.config);
      const target = parseLeaveRequestId(config, raw);
      await withSession(config, options, async (session) => {
        printStatus(await queryStatus(session, target.workflowId), opts.json);
      });
    });

  leave
    .command('list')
    .description('who is off and who covers (a visibility query)')
    .option('--team <id>', 'only this team')
    .option('--from <YYYY-MM-DD>', 'leave that ends on or after this date')
    .option('--to <YYYY-MM-DD>', 'leave that starts on or before this date')
    .option('--all', 'include requests that were blocked, declined, expired or cancelled')
    .option('--json', 'print a JSON array')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (
        opts: ConfigOption & JsonOption & { team?: string; from?: string; to?: string; all?: boolean },
      ) => {
        const from = parseOptionalDate(opts.from, '--from');
        const to = parseOptionalDate(opts.to, '--to');
        if (from && to && compareDates(to, from) < 0)
          throw CliError.usage(`--to (${to}) is before --from (${from})`);
        const { config } = loadConfig(opts.config);
        if (opts.team !== undefined) parseTeam(config, opts.team);
        const query = listQuery({
          ...(opts.team ? { team: opts.team } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ...(opts.all ? { all: true } : {}),
        });
        await withSession(config, options, async (session) => {
          const attributes = await import('../domain/search-attributes');
          const rows = await listWorkflows(session, query, (info) => {
            const memo = (info.memo as { leave?: LeaveMemo } | undefined)?.leave;
            if (!memo) return undefined;
            return {
              ...memo,
              workflowId: info.workflowId,
              status: info.typedSearchAttributes.get(attributes.LeaveStatus) ?? 'unknown',
            };
          });
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
      .description(
        'dry run: the availability block and the buddy match for these dates; requests nothing. Exits 1 when a request would not pass',
      ),
  )
    .option('--json', 'print what was found as one JSON object')
    .action(async (opts: ConfigOption & JsonOption & WindowOptions & { person: string }) => {
      const window = parseWindow(opts);
      const { config } = loadConfig(opts.config);
      const who = parsePerson(config, opts.person, '--person');
      const today = localDateOf(Date.now(), config.calendars[who.calendar]!.timezone);
      const leaveActivities = await import('../activities/leave');
      let live: LiveLeaveState | null = null;
      let source: LeaveCheckReport['source'];
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
        source = {
          live: true,
          detail: `running releases and the teams' leave from Temporal at ${config.temporal.address}; calendars' free/busy not read in a dry run`,
        };
      } catch (error) {
        if (!(error instanceof TemporalUnreachableError)) throw error;
        source = {
          live: false,
          detail: `configuration only: ${error.message}, so running releases and other people's leave are not counted`,
        };
      }
      const result = await dryRun(config, who.id, window, live, today, source);
      if (opts.json) io.out(JSON.stringify(result.report));
      else for (const line of result.lines) io.out(line);
      // The verdict is printed: a dry run that would not pass still exits 1, for scripts.
      if (!result.passed) throw CliError.reported(1);
    });
}
