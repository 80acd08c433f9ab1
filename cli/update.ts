/**
 * `prodops update …`: the Weekly Product Update of a week. `status` says who is ready, late,
 * missing or on leave; `preview` prints the page as it would be published now (it reads the
 * contributors' pages); `publish` publishes early, once, by one of the ritual's owners.
 */
import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { localDateOf, localTimeOf } from '../domain/business-calendar';
import { ritualCalendarName, type OrgConfig } from '../domain/config';
import { isIsoWeek, isoWeekOf, longDate, type IsoWeek } from '../domain/rituals';
import {
  previewUpdate,
  publishNow,
  weeklyUpdateStatus,
  weeklyUpdateWorkflowId,
  type Preview,
  type WeeklyUpdateStatus,
} from '../workflows/weekly-update/messages';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import type { CliIO } from './main';
import { parsePerson } from './parse';
import {
  asServiceError,
  CONFIG_HELP,
  explain,
  queryWorkflow,
  updateWorkflow,
  withSession,
  type Session,
  type WorkflowCommandOptions,
  type WorkflowTarget,
} from './workflow-commands';

const WEEK_HELP = 'the ISO week, YYYY-Www (default: this week on the rituals’ calendar)';

export function parseWeek(config: OrgConfig, raw: string | undefined, now = Date.now()): IsoWeek {
  if (raw === undefined) {
    const timezone = config.calendars[ritualCalendarName(config)]!.timezone;
    return isoWeekOf(localDateOf(now, timezone));
  }
  const week = raw
    .trim()
    .toUpperCase()
    .replace(/^(\d{4})W/, '$1-W');
  if (!isIsoWeek(week))
    throw CliError.usage(`--week must be an ISO week written YYYY-Www such as 2026-W23, got "${raw}"`);
  return week;
}

const target = (week: IsoWeek): WorkflowTarget => ({
  workflowId: weeklyUpdateWorkflowId(week),
  kind: 'weekly update',
  label: week,
});

/** Why a week has no workflow: not open yet, a week without an update, or never run. */
async function notStarted(config: OrgConfig, week: IsoWeek): Promise<CliError> {
  // The holiday data loads only when a command needs it.
  const { datesOfWeek } = await import('../activities/rituals');
  const dates = datesOfWeek(config, week);
  if (!dates)
    return CliError.failure(
      `${week} has no Weekly Product Update (no working day for it on the ${ritualCalendarName(config)} calendar)`,
    );
  if (Date.parse(dates.opensAt) > Date.now())
    return CliError.failure(
      `the ${week} update has not opened yet: it opens on ${longDate(dates.date)} at ${localTimeOf(dates.opensAt, dates.timezone)} (${dates.timezone}), ${dates.opensAt}; nothing to show or publish before then`,
    );
  return CliError.failure(
    `no weekly update ran for ${week} (due ${longDate(dates.date)}): was the schedule set up (prodops temporal setup) and a worker running?`,
  );
}

/** The week's workflow exists (running or not); else why it does not, as readWeekStatus says. */
async function requireWeek(session: Session, week: IsoWeek): Promise<void> {
  try {
    await session.client.workflow.getHandle(weeklyUpdateWorkflowId(week)).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw await notStarted(session.config, week);
    throw asServiceError(error);
  }
}

/** The week's status: the running workflow's query, or a finished one's result. */
export async function readWeekStatus(session: Session, week: IsoWeek): Promise<WeeklyUpdateStatus> {
  const handle = session.client.workflow.getHandle(weeklyUpdateWorkflowId(week));
  let running: boolean;
  try {
    running = (await handle.describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw await notStarted(session.config, week);
    throw asServiceError(error);
  }
  if (running) return queryWorkflow(session, target(week), weeklyUpdateStatus);
  try {
    return (await handle.result()) as WeeklyUpdateStatus;
  } catch (error) {
    throw CliError.failure(
      `the ${week} update ended without a result: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

const STATUS_WORDS: Record<string, string> = {
  awaiting: 'not ready yet',
  ready: 'ready',
  late: 'ready, late',
  missing: 'missing',
  'on-leave': 'on leave',
  'after-publication': 'ready after publication (rolls into next week)',
};

export function formatWeekStatus(status: WeeklyUpdateStatus): string[] {
  const d = status.dates;
  const lines = [
    `${status.week}: ${status.phase}${d ? ` — ${longDate(d.date)} (${d.timezone}): opens ${d.opensAt}, reminder ${d.reminderAt}, deadline ${d.deadlineAt}, publish ${d.publishAt}` : ''}`,
  ];
  const width = Math.max(6, ...status.contributions.map((c) => c.name.length));
  for (const c of status.contributions)
    lines.push(
      `  ${c.name.padEnd(width)}  ${(STATUS_WORDS[c.status] ?? c.status).padEnd(22)}  ${c.readyAt ?? ''}${c.url ? `  ${c.url}` : ''}`,
    );
  const count = (s: string) => status.contributions.filter((c) => c.status === s).length;
  lines.push(
    `ready ${count('ready')}, late ${count('late')}, ${status.published ? 'missing' : 'not ready'} ${count('missing') + count('awaiting')}, on leave ${count('on-leave')}${count('after-publication') ? `, after publication ${count('after-publication')}` : ''}`,
  );
  for (const r of status.rolledIn) lines.push(`carried from ${r.fromWeek}: ${r.personId}`);
  for (const r of status.refusals)
    lines.push(`refused: a tick for ${r.personId} by ${r.by ?? 'nobody in the configuration'} (${r.reason})`);
  if (status.published)
    lines.push(
      `published ${status.published.at}${status.published.by === 'schedule' ? '' : ` early by ${status.published.by}`}${status.published.onTime ? ', on time' : ', late'}${status.published.url ? `: ${status.published.url}` : ''}; ${status.published.mailed ? `mailed to ${status.published.recipients}` : 'mail not sent yet'}`,
    );
  else
    lines.push(
      status.publicationProblem ? `not published: ${status.publicationProblem}` : 'not published yet',
    );
  return lines;
}

async function runPreview(session: Session, week: IsoWeek): Promise<Preview> {
  try {
    return await session.connection.withDeadline(Date.now() + session.workerTimeoutMs, () =>
      session.client.workflow.getHandle(weeklyUpdateWorkflowId(week)).executeUpdate(previewUpdate),
    );
  } catch (error) {
    throw await explain(error, session, target(week));
  }
}

export function registerUpdateCommands(
  program: Command,
  io: CliIO,
  options: WorkflowCommandOptions = {},
): void {
  const update = program
    .command('update')
    .description('the Weekly Product Update: who is ready, a preview, an early publication');

  update
    .command('status')
    .description('who is ready, late, missing or on leave this week (or --week)')
    .option('--week <YYYY-Www>', WEEK_HELP)
    .option('--json', 'print the week’s status as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: { week?: string; json?: boolean; config?: string }) => {
      const { config } = loadConfig(opts.config);
      const week = parseWeek(config, opts.week);
      await withSession(config, options, async (session) => {
        const status = await readWeekStatus(session, week);
        io.out(opts.json ? JSON.stringify(status) : formatWeekStatus(status).join('\n'));
      });
    });

  update
    .command('preview')
    .description('print the page as it would be published now (reads the contributors’ pages)')
    .option('--week <YYYY-Www>', WEEK_HELP)
    .option('--json', 'print the title and the page’s blocks as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: { week?: string; json?: boolean; config?: string }) => {
      const { config } = loadConfig(opts.config);
      const week = parseWeek(config, opts.week);
      await withSession(config, options, async (session) => {
        const status = await readWeekStatus(session, week);
        if (status.phase === 'finished' || status.published) {
          if (!status.published) throw CliError.failure(`the ${week} update has ended unpublished`);
          io.out(
            `the ${week} update was published at ${status.published.at}${status.published.url ? `: ${status.published.url}` : ''}`,
          );
          return;
        }
        const preview = await runPreview(session, week);
        io.out(opts.json ? JSON.stringify(preview) : preview.text);
      });
    });

  update
    .command('publish')
    .description('publish the week’s update now, before its time; it is published once')
    .option('--week <YYYY-Www>', WEEK_HELP)
    .requiredOption('--by <id>', 'who publishes (one of rituals.weeklyUpdate.owners)')
    .option('--json', 'print the week’s status after publication as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: { week?: string; by: string; json?: boolean; config?: string }) => {
      const { config } = loadConfig(opts.config);
      const week = parseWeek(config, opts.week);
      const by = parsePerson(config, opts.by, '--by').id;
      await withSession(config, options, async (session) => {
        // Before its opening a week has no workflow: say when it opens, not "not found".
        await requireWeek(session, week);
        const status = await updateWorkflow(session, target(week), publishNow, { by });
        if (!status.published)
          throw CliError.failure(
            `the ${week} update was not published: ${status.publicationProblem ?? 'see prodops update status'}`,
          );
        if (opts.json) io.out(JSON.stringify(status));
        else io.out(formatWeekStatus(status).join('\n'));
      });
    });
}
