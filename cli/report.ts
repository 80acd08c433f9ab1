/**
 * `prodops report`: the operating-system pack's measurement plan from prodops' own records,
 * each figure with its numerator, its denominator and the releases or weeks behind it, and
 * what prodops does not count said plainly. The monthly metrics page and the dashboard compute
 * the same figures the same way (domain/measurement.ts).
 */
import type { Command } from 'commander';
import { addCalendarDays, compareDates, localDateOf, type CalendarDate } from '../domain/business-calendar';
import { ritualCalendarName, type OrgConfig } from '../domain/config';
import { formatRatio, type MeasurementReport, type Ratio } from '../domain/measurement';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import type { CliIO } from './main';
import { parseOptionalDate } from './parse';
import { asServiceError, CONFIG_HELP, withSession, type WorkflowCommandOptions } from './workflow-commands';

/** The pack's horizon: 90 days ending today, unless told otherwise. */
export const DEFAULT_REPORT_DAYS = 90;

export function reportRange(
  config: OrgConfig,
  from: CalendarDate | undefined,
  to: CalendarDate | undefined,
  now = Date.now(),
): { from: CalendarDate; to: CalendarDate } {
  const today = localDateOf(now, config.calendars[ritualCalendarName(config)]!.timezone);
  const end = to ?? (from ? addCalendarDays(from, DEFAULT_REPORT_DAYS - 1) : today);
  const start = from ?? addCalendarDays(end, -(DEFAULT_REPORT_DAYS - 1));
  if (compareDates(start, end) > 0) throw CliError.usage(`--from ${start} is after --to ${end}`);
  if (compareDates(end, addCalendarDays(start, 3660)) > 0)
    throw CliError.usage('--from and --to are more than ten years apart');
  return { from: start, to: end };
}

const pad = (label: string) => label.padEnd(26);
const share = (r: Ratio) => formatRatio(r);

export function formatReport(
  report: MeasurementReport,
  skipped: { workflowId: string; reason: string }[],
): string[] {
  const lines = [`Product Ops measurement, ${report.from} to ${report.to} (as of ${report.asOf})`, ''];
  lines.push(
    `${pad('enablement coverage')}${share(report.enablementCoverage)}  Tier 2 and 3 releases launched with the bundle published before launch`,
  );
  for (const r of report.enablementCoverage.releases)
    lines.push(
      `    ${r.issueKey} launched ${r.launchedOn}: ${r.covered ? 'bundle published before launch' : 'launched without a published bundle'}`,
    );
  lines.push(
    `${pad('lead-time compliance')}${share(report.leadTimeCompliance)}  bundles published by their due date`,
  );
  for (const r of report.leadTimeCompliance.releases)
    lines.push(
      `    ${r.issueKey} due ${r.dueDate}: ${r.publishedOn ? `published ${r.publishedOn}` : 'not published'}${r.compliant ? '' : ' (late)'}`,
    );
  const surprise = report.surpriseScore;
  lines.push(
    `${pad('stakeholder surprise score')}${share(surprise)}  releases with a "no" to "Were you aware of this release before it shipped?", over those answered; response rate ${share(surprise.responseRate)}`,
  );
  for (const r of surprise.releases)
    lines.push(
      `    ${r.issueKey} checked in ${r.checkIn}: ${r.answers.length === 0 ? 'no answer' : r.answers.map((a) => `${a.by} (${a.team}) ${a.aware ? 'yes' : 'no'}`).join(', ')}`,
    );
  const adoption = report.ritualAdoption;
  lines.push(
    `${pad('ritual adoption')}weekly updates published on time ${share(adoption.publishedOnTime)}; PM submissions by the deadline ${share(adoption.submittedByDeadline)}`,
  );
  for (const w of adoption.publishedOnTime.weeks)
    lines.push(
      `    ${w.week} (${w.date}): ${w.published ? (w.onTime ? 'published on time' : 'published late') : 'not published'}`,
    );
  for (const p of adoption.byPerson) lines.push(`    ${p.name}: ${share(p)}`);
  lines.push(`${pad('ad-hoc status requests')}${report.statusRequests.how}`);
  lines.push(`${pad('coordination overhead')}${report.coordinationOverhead.how}`);
  if (skipped.length > 0) {
    lines.push(
      '',
      `not counted: ${skipped.length} record${skipped.length === 1 ? '' : 's'} could not be read:`,
    );
    for (const s of skipped) lines.push(`    ${s.workflowId}: ${s.reason}`);
  }
  return lines;
}

export function registerReportCommand(
  program: Command,
  io: CliIO,
  options: WorkflowCommandOptions = {},
): void {
  program
    .command('report')
    .description('the measurement plan from prodops’ own records: coverage, lead time, surprise, adoption')
    .option('--from <YYYY-MM-DD>', `the first day (default: ${DEFAULT_REPORT_DAYS} days before --to)`)
    .option('--to <YYYY-MM-DD>', 'the last day (default: today on the rituals’ calendar)')
    .option('--json', 'print the figures, their numerators, denominators and records as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: { from?: string; to?: string; json?: boolean; config?: string }) => {
      const from = parseOptionalDate(opts.from, '--from');
      const to = parseOptionalDate(opts.to, '--to');
      const { config } = loadConfig(opts.config);
      const range = reportRange(config, from, to);
      const { readMeasurement } = await import('../activities/rituals');
      await withSession(config, options, async (session) => {
        let measured: Awaited<ReturnType<typeof readMeasurement>>;
        try {
          measured = await readMeasurement(session.client, config, range);
        } catch (error) {
          throw asServiceError(error);
        }
        if (opts.json) io.out(JSON.stringify({ ...measured.report, skipped: measured.skipped }));
        else for (const line of formatReport(measured.report, measured.skipped)) io.out(line);
      });
    });
}
