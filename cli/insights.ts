/**
 * The `prodops insight …` commands (one item: add, import a CSV file, show, tag, unmerge, and a
 * routed theme's disposition) and the `prodops insights …` commands (the pipeline: the triage
 * preview or a run now, the monthly report, the state of the backlogs and themes).
 *
 * Every option is checked against the configuration before connecting; changes go through the
 * workflows' updates, so a refusal (a disposition from someone who is not the area's PM) comes
 * back with the workflow's own reason.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  gatherMonthlyReport,
  queryShards,
  rankBacklogs,
  readItems,
  readThemes,
} from '../activities/insights';
import {
  insightShardOf,
  insightsBacklogId,
  insightsThemeId,
  insightsTriageId,
  parseInsightId,
} from '../contracts/ids';
import {
  backlogStatus,
  decideTheme,
  INSIGHTS_TRIAGE_TYPE,
  tagInsight,
  unmergeInsight,
  type BacklogStatusView,
  type TagChanges,
  type ThemeStatusView,
  type TriageInput,
  type TriageResult,
  type UnmergeResult,
} from '../contracts/insights';
import { localDateOf } from '../domain/business-calendar';
import type { OrgConfig } from '../domain/config';
import type { IntakeOutcome, ItemView } from '../domain/insights/backlog';
import { isoWeekOf, MONTH } from '../domain/insights/cadence';
import { describeCounts, evidenceLine, inTimeSentence, monthlyDigestTitle } from '../domain/insights/content';
import type { MonthlyReport } from '../domain/insights/report';
import { resolveInsightsSettings } from '../domain/insights/settings';
import { DISPOSITIONS, labelOf, matchValue, type Disposition } from '../domain/insights/taxonomy';
import { loadConfig } from '../runtime/config';
import { CliError } from './errors';
import {
  countOutcomes,
  describeProblem,
  readEntry,
  readInsightsCsv,
  sendEntries,
  type EntryProblem,
} from './insight-intake';
import type { CliIO } from './main';
import { resolveSigner } from './operator';
import { nonEmpty, parsePerson } from './parse';
import {
  asServiceError,
  CONFIG_HELP,
  explain,
  updateWorkflow,
  withSession,
  type WorkflowCommandOptions,
} from './workflow-commands';

type ConfigOption = { config?: string };
type JsonOption = { json?: boolean };

/** Problems listed before "and N more". */
const PROBLEMS_SHOWN = 20;

// ---- Option checks ----------------------------------------------------------------------------

export function parseInsightRef(value: string, config: OrgConfig): { id: string; shard: number } {
  const parsed = parseInsightId(value);
  if (!parsed) throw CliError.usage(`"${value}" is not an insight id: they look like ins-2-17`);
  const shards = resolveInsightsSettings(config).shards;
  if (parsed.shard >= shards)
    throw CliError.usage(`${value} names shard ${parsed.shard}, but insights.backlog.shards is ${shards}`);
  return { id: value.trim().toLowerCase(), shard: parsed.shard };
}

/** `billing/pricing`: a product area and a theme of the configuration. */
export function parseThemeRef(value: string, config: OrgConfig): { area: string; theme: string } {
  const settings = resolveInsightsSettings(config);
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value.trim());
  if (!match)
    throw CliError.usage(
      `"${value}" does not name a routed theme: write <area>/<theme>, for example billing/pricing`,
    );
  const area = settings.areas.find((a) => a.id === match[1]);
  if (!area)
    throw CliError.usage(
      `"${match[1]}" is not a product area (it has ${settings.areas.map((a) => a.id).join(', ') || 'none: add productAreas'})`,
    );
  const theme = matchValue(match[2]!, settings.taxonomy.themes);
  if (!theme) throw CliError.usage(`"${match[2]}" is not a theme (${settings.taxonomy.themes.join(', ')})`);
  return { area: area.id, theme };
}

/** A backlog shard whose carried state is above this is said to be near Temporal's 2 MB payload limit. */
const CARRIED_BYTES_WARNING = 1_500_000;

function parseDisposition(value: string): Disposition {
  const found = matchValue(value, DISPOSITIONS) as Disposition | undefined;
  if (!found) throw CliError.usage(`--disposition must be ${DISPOSITIONS.join(', ')}, got "${value}"`);
  return found;
}

function failOnProblems(problems: EntryProblem[], what: string): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, PROBLEMS_SHOWN).map(describeProblem);
  const more = problems.length > PROBLEMS_SHOWN ? `; and ${problems.length - PROBLEMS_SHOWN} more` : '';
  throw CliError.usage(`${what}: ${shown.join('; ')}${more}`);
}

// ---- Output -----------------------------------------------------------------------------------

export function describeIntake(outcome: IntakeOutcome): string {
  switch (outcome.kind) {
    case 'new':
      return `${outcome.id} added${outcome.needsTagging.length > 0 ? `: needs tagging (${outcome.needsTagging.join(', ')}); Product Ops will see it` : ''}`;
    case 'merged':
      return `${outcome.id} merged into ${outcome.into} as extra evidence (similarity ${outcome.similarity}); undo with prodops insight unmerge ${outcome.id}`;
    case 'repeat':
      return `${outcome.id} is already in the backlog: counted as a repeat${outcome.filled.length > 0 ? `, filled in ${outcome.filled.join(', ')}` : ''}`;
    case 'closed-repeat':
      return `${outcome.id} is already in the backlog and closed: nothing changed`;
  }
}

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function itemLines(item: ItemView): string[] {
  const lines = [
    `${item.id} (${item.key}): ${item.status}${item.needsTagging.length > 0 ? `, needs ${item.needsTagging.join(', ')}` : ''}`,
    `  ${item.account}${item.segment ? ` (${labelOf(item.segment)})` : ''} — ${item.area ?? 'no area'} · ${item.theme ? labelOf(item.theme) : 'no theme'} · ${item.severity ? labelOf(item.severity) : 'no severity'}${item.evidenceType ? ` · ${labelOf(item.evidenceType)}` : ''}`,
    `  “${item.excerpt}”`,
    `  ${item.link ?? 'no link'}; given ${when(item.at)}, received ${when(item.receivedAt)} via ${item.via}${item.by ? ` from ${item.by}` : ''}${item.repeats > 0 ? `; arrived ${item.repeats + 1} times` : ''}`,
  ];
  for (const p of item.problems) lines.push(`  problem: ${p}`);
  if (item.taggedBy) lines.push(`  tagged by ${item.taggedBy.by} on ${when(item.taggedBy.at)}`);
  if (item.mergedInto) lines.push(`  extra evidence of ${item.mergedInto}`);
  for (const m of item.merged) lines.push(`  also: ${evidenceLine(m)}`);
  if (item.round) lines.push(`  routed in ${item.round}`);
  if (item.decided) lines.push(`  decided ${labelOf(item.decided.disposition)} on ${when(item.decided.at)}`);
  return lines;
}

function themeLines(s: ThemeStatusView): string[] {
  const lines = [
    `${s.workflowId}: ${s.open ? `awaiting a decision since ${s.open.routedOn}` : 'nothing awaiting a decision'}`,
  ];
  if (s.open)
    lines.push(
      `  round ${s.open.round} (${s.open.weeks.join(', ')}): ${describeCounts(s.open.counts)}; reminder ${s.open.remindedAt ? 'sent' : `on ${s.open.remindOn}`}${s.open.url ? `; ${s.open.url}` : ''}`,
    );
  for (const r of s.rounds.slice(-5))
    lines.push(
      `  ${r.round}: ${labelOf(r.decision!.disposition)} by ${r.decision!.by} on ${r.decision!.on} via ${r.decision!.via}${r.decision!.rationale ? ` — ${r.decision!.rationale}` : ''}`,
    );
  for (const r of s.refusals.slice(-3)) lines.push(`  refused ${r.by} (${r.via}, ${r.at}): ${r.reason}`);
  return lines;
}

export function reportLines(r: MonthlyReport, config: OrgConfig): string[] {
  const settings = resolveInsightsSettings(config);
  const areaName = (id: string | null) =>
    id === null ? 'no area' : (settings.areas.find((a) => a.id === id)?.name ?? id);
  const pmName = (id: string) => config.people.find((p) => p.id === id)?.name ?? id;
  const lines = [
    monthlyDigestTitle(r.month),
    `  ${r.received.items} items (${r.received.evidence} pieces of evidence) from ${r.received.accounts} accounts; ${r.received.high} High`,
    `  ${inTimeSentence(r)}`,
    'Top themes:',
    ...r.topThemes.map((t, i) => `  ${i + 1}. ${t.areaName} · ${labelOf(t.theme)}: ${describeCounts(t)}`),
    'Dispositions by PM:',
    ...r.dispositionsByPm.map(
      (p) =>
        `  ${p.name}: ${
          DISPOSITIONS.filter((d) => p.decided[d] > 0)
            .map((d) => `${p.decided[d]} ${labelOf(d).toLowerCase()}`)
            .join(', ') || 'no decisions'
        }; ${p.open} still open`,
    ),
    'Still open:',
    ...r.stillOpen.rounds.map(
      (o) =>
        `  ${areaName(o.area)} · ${labelOf(o.theme)} — ${pmName(o.pm)}, routed ${o.routedOn}${o.overdue ? `, overdue since ${o.decideBy}` : ''}`,
    ),
    `  ${r.stillOpen.needsTagging} items need tagging`,
    'Escalated to the review (High, unresolved):',
    ...r.escalated.map((e) =>
      `  ${e.id} ${areaName(e.area)} · ${e.theme ? labelOf(e.theme) : 'no theme'} — ${e.account}: “${e.excerpt}” ${e.link ?? ''}`.trimEnd(),
    ),
    'Cross-cutting:',
    ...r.crossCutting.map((c) => `  ${labelOf(c.theme)}: ${c.areas.map(areaName).join(', ')}`),
  ];
  return lines;
}

// ---- Commands ---------------------------------------------------------------------------------

interface EntryOptions extends ConfigOption, JsonOption {
  source: string;
  externalId?: string;
  account: string;
  text: string;
  segment?: string;
  theme?: string;
  severity?: string;
  area?: string;
  evidence?: string;
  link?: string;
  at?: string;
  by?: string;
  lenient?: boolean;
}

const FLAG: Record<string, string> = {
  source: '--source',
  externalId: '--external-id',
  account: '--account',
  text: '--text',
  segment: '--segment',
  theme: '--theme',
  severity: '--severity',
  area: '--area',
  evidenceType: '--evidence',
  link: '--link',
  occurredAt: '--at',
};

export function registerInsightCommands(
  program: Command,
  io: CliIO,
  options: WorkflowCommandOptions = {},
): void {
  const insight = program
    .command('insight')
    .description('add, import, show, tag, unmerge and decide insights');

  insight
    .command('add')
    .description('add one insight to the backlog (a repeat of the same source and external id is one item)')
    .requiredOption('--source <id>', 'where it comes from: zendesk, hubspot, interview, …')
    .option('--external-id <id>', 'its id there (default: derived from source, account and text)')
    .requiredOption('--account <name>', 'the customer account')
    .requiredOption('--text <text>', 'what they said or what was seen (at most 4000 characters)')
    .option('--segment <segment>', 'smb, mid-market, enterprise, new-user, power-user (insights.taxonomy)')
    .option(
      '--theme <theme>',
      'onboarding, activation, reliability, pricing, feature-gap, ux-friction, performance',
    )
    .option('--severity <severity>', 'low, medium or high')
    .option('--area <area>', 'a product area (productAreas)')
    .option('--evidence <type>', 'quote, ticket-volume, metric-change, churned-account, nps-verbatim')
    .option('--link <url>', 'where the evidence is')
    .option('--at <date>', 'when it was given: YYYY-MM-DD or an ISO 8601 date-time (default: now)')
    .option(
      '--by <person>',
      'whom it is from (a person id): the operator (default), or someone their grant covers',
    )
    .option(
      '--lenient',
      'keep values the taxonomy does not know (the item then needs tagging) instead of refusing',
    )
    .option('--json', 'print what the item became, as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: EntryOptions) => {
      const { config } = loadConfig(opts.config);
      const claimed = opts.by === undefined ? undefined : parsePerson(config, opts.by, '--by').id;
      const { entry, problems } = readEntry(
        {
          source: opts.source,
          ...(opts.externalId !== undefined ? { externalId: opts.externalId } : {}),
          account: opts.account,
          text: opts.text,
          segment: opts.segment,
          theme: opts.theme,
          severity: opts.severity,
          area: opts.area,
          evidenceType: opts.evidence,
          link: opts.link,
          occurredAt: opts.at,
        },
        config,
        { via: 'cli', lenient: opts.lenient === true, line: 0, ...(claimed ? { by: claimed } : {}) },
      );
      if (!entry) {
        const p = problems[0]!;
        throw CliError.usage(`${FLAG[p.field] ?? p.field} ${p.message}`);
      }
      // Who signs, before connecting: a missing operator key is a usage error, not a refusal.
      const signer = options.signer ?? resolveSigner(config, options.env ?? process.env);
      const by = claimed ?? signer.operator.id;
      await withSession(config, { ...options, signer }, async (session) => {
        let outcome: IntakeOutcome;
        try {
          [outcome] = (await sendEntries(session.client, config, [entry], { by, signer })) as [IntakeOutcome];
        } catch (error) {
          const shard = insightShardOf(entry.account, resolveInsightsSettings(config).shards);
          throw await explain(error, session, {
            workflowId: insightsBacklogId(shard),
            kind: 'backlog',
            label: insightsBacklogId(shard),
          });
        }
        io.out(opts.json ? JSON.stringify(outcome) : describeIntake(outcome));
      });
    });

  insight
    .command('import')
    .description(
      'import a CSV file, one insight a row (columns: source, external id, account, text, segment, theme, severity, area, evidence type, link, occurred at)',
    )
    .argument('<file>', 'the CSV file; its first line names the columns')
    .option('--source <id>', 'the source of rows without a source column or value')
    .option(
      '--by <person>',
      'whom the rows are from (a person id): the operator (default), or someone their grant covers',
    )
    .option(
      '--lenient',
      'keep values the taxonomy does not know (those items then need tagging) instead of refusing the file',
    )
    .option('--json', 'print the summary and each row’s outcome as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (
        file: string,
        opts: ConfigOption & JsonOption & { source?: string; by?: string; lenient?: boolean },
      ) => {
        const { config } = loadConfig(opts.config);
        const claimed = opts.by === undefined ? undefined : parsePerson(config, opts.by, '--by').id;
        const source = nonEmpty(opts.source, '--source');
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw CliError.usage(
            `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        const read = readInsightsCsv(text, config, {
          lenient: opts.lenient === true,
          ...(source ? { source } : {}),
          ...(claimed ? { by: claimed } : {}),
        });
        failOnProblems(read.problems, `${file} was not imported (nothing was sent)`);
        if (read.ignoredColumns.length > 0)
          io.err(`prodops: ignoring columns ${read.ignoredColumns.map((c) => JSON.stringify(c)).join(', ')}`);
        if (read.entries.length === 0) throw CliError.usage(`${file} holds no rows under its header`);
        const signer = options.signer ?? resolveSigner(config, options.env ?? process.env);
        const by = claimed ?? signer.operator.id;
        const started = Date.now();
        await withSession(config, { ...options, signer }, async (session) => {
          let outcomes: IntakeOutcome[];
          try {
            outcomes = await sendEntries(
              session.client,
              config,
              read.entries.map((e) => e.entry),
              {
                by,
                signer,
                onProgress: (p) =>
                  io.err(
                    `imported ${p.sent}/${p.total} rows (${p.counts.new} new, ${p.counts.merged} merged, ${p.counts.repeats} repeats, ${p.counts.needsTagging} need tagging)`,
                  ),
              },
            );
          } catch (error) {
            throw asServiceError(error);
          }
          const counts = countOutcomes(outcomes);
          const seconds = (Date.now() - started) / 1000;
          if (opts.json)
            io.out(
              JSON.stringify({
                file,
                rows: outcomes.length,
                ...counts,
                seconds,
                outcomes: outcomes.map((o, i) => ({ line: read.entries[i]!.line, ...o })),
              }),
            );
          else
            io.out(
              `${file}: ${outcomes.length} rows in ${seconds.toFixed(1)} s — ${counts.new} new, ${counts.merged} merged as extra evidence, ${counts.repeats} already in the backlog; ${counts.needsTagging} need tagging`,
            );
        });
      },
    );

  insight
    .command('show')
    .description('an item: its tags, status, evidence, links and where it was routed')
    .argument('<id>', 'the insight id, for example ins-2-17')
    .option('--json', 'print the item as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: ConfigOption & JsonOption) => {
      const { config } = loadConfig(opts.config);
      const { id, shard } = parseInsightRef(raw, config);
      await withSession(config, options, async (session) => {
        let found: ItemView | undefined;
        try {
          found = (await readItems(session.client, [id])).get(id);
        } catch (error) {
          throw await explain(error, session, {
            workflowId: insightsBacklogId(shard),
            kind: 'backlog',
            label: id,
          });
        }
        if (!found)
          throw CliError.failure(
            `there is no open or recent insight ${id} (a closed one keeps only its Notion row)`,
          );
        io.out(opts.json ? JSON.stringify(found) : itemLines(found).join('\n'));
      });
    });

  insight
    .command('tag')
    .description(
      'set taxonomy fields by hand (give a field "" to clear it); the item may then merge or be ranked',
    )
    .argument('<id>', 'the insight id')
    .option('--theme <theme>', 'a theme of insights.taxonomy')
    .option('--segment <segment>', 'a segment of insights.taxonomy')
    .option('--severity <severity>', 'low, medium or high')
    .option('--area <area>', 'a product area')
    .option('--evidence <type>', 'an evidence type of insights.taxonomy')
    .requiredOption('--by <person>', 'who is tagging (a person id)')
    .option('--json', 'print the item after it, as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (
        raw: string,
        opts: ConfigOption &
          JsonOption & {
            theme?: string;
            segment?: string;
            severity?: string;
            area?: string;
            evidence?: string;
            by: string;
          },
      ) => {
        const { config } = loadConfig(opts.config);
        const { id, shard } = parseInsightRef(raw, config);
        const by = parsePerson(config, opts.by, '--by').id;
        const changes: TagChanges = {};
        for (const [field, value] of [
          ['theme', opts.theme],
          ['segment', opts.segment],
          ['severity', opts.severity],
          ['area', opts.area],
          ['evidenceType', opts.evidence],
        ] as const)
          if (value !== undefined) changes[field] = value.trim() === '' ? null : value;
        if (Object.keys(changes).length === 0)
          throw CliError.usage('give at least one of --theme, --segment, --severity, --area, --evidence');
        // Checked here too, so that a typo never reaches the workflow.
        const settings = resolveInsightsSettings(config);
        const check: [keyof TagChanges, readonly string[]][] = [
          ['theme', settings.taxonomy.themes],
          ['segment', settings.taxonomy.segments],
          ['severity', ['low', 'medium', 'high']],
          ['evidenceType', settings.taxonomy.evidenceTypes],
        ];
        for (const [field, ids] of check) {
          const value = changes[field];
          if (value && !matchValue(value, ids))
            throw CliError.usage(`${FLAG[field]} "${value}" is not one of ${ids.join(', ')}`);
        }
        if (
          changes.area &&
          !settings.areas.some(
            (a) => a.id === changes.area || a.name.toLowerCase() === changes.area!.toLowerCase(),
          )
        )
          throw CliError.usage(
            `--area "${changes.area}" is not a product area (${settings.areas.map((a) => a.id).join(', ')})`,
          );
        await withSession(config, options, async (session) => {
          const item = await updateWorkflow(
            session,
            { workflowId: insightsBacklogId(shard), kind: 'insight', label: id },
            tagInsight,
            { id, changes, by },
          );
          io.out(opts.json ? JSON.stringify(item) : itemLines(item).join('\n'));
        });
      },
    );

  insight
    .command('unmerge')
    .description(
      'undo a wrong merge: the merged item becomes an item of its own, and the two never merge again',
    )
    .argument('<id>', 'the id of the merged item (not the first one)')
    .requiredOption('--by <person>', 'who is unmerging (a person id)')
    .option('--json', 'print both items after it, as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (raw: string, opts: ConfigOption & JsonOption & { by: string }) => {
      const { config } = loadConfig(opts.config);
      const { id, shard } = parseInsightRef(raw, config);
      const by = parsePerson(config, opts.by, '--by').id;
      await withSession(config, options, async (session) => {
        const result: UnmergeResult = await updateWorkflow(
          session,
          { workflowId: insightsBacklogId(shard), kind: 'insight', label: id },
          unmergeInsight,
          { id, by },
        );
        io.out(
          opts.json
            ? JSON.stringify(result)
            : `${result.item.id} is an item of its own again, apart from ${result.from.id} for good`,
        );
      });
    });

  insight
    .command('decide')
    .description(
      'the PM’s disposition of a routed theme: backlog, research, addressed, or wont-do with a rationale',
    )
    .argument('<area/theme>', 'the routed theme, for example billing/pricing')
    .requiredOption('--disposition <disposition>', DISPOSITIONS.join(', '))
    .option('--rationale <text>', 'why (required for wont-do)')
    .requiredOption('--by <person>', 'the area’s PM, or the Head of Product (a person id)')
    .option('--json', 'print the theme’s status after it, as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(
      async (
        raw: string,
        opts: ConfigOption & JsonOption & { disposition: string; rationale?: string; by: string },
      ) => {
        const { config } = loadConfig(opts.config);
        const { area, theme } = parseThemeRef(raw, config);
        const disposition = parseDisposition(opts.disposition);
        const rationale = nonEmpty(opts.rationale, '--rationale');
        if (disposition === 'wont-do' && !rationale)
          throw CliError.usage('--rationale is required with --disposition wont-do: say why');
        const by = parsePerson(config, opts.by, '--by').id;
        const workflowId = insightsThemeId(area, theme);
        await withSession(config, options, async (session) => {
          const status = await updateWorkflow(
            session,
            { workflowId, kind: 'routed theme', label: `${area}/${theme}` },
            decideTheme,
            {
              disposition,
              ...(rationale ? { rationale } : {}),
              by,
            },
          );
          const decided = status.rounds.at(-1)?.decision;
          io.out(
            opts.json
              ? JSON.stringify(status)
              : `${area}/${theme}: ${decided ? `${labelOf(decided.disposition)}, recorded for ${status.rounds.at(-1)!.round}` : 'recorded'}`,
          );
        });
      },
    );

  const insights = program
    .command('insights')
    .description('the insights pipeline: triage, the monthly report, status');

  insights
    .command('triage')
    .description('the ranking a triage would route now (--preview), or run this week’s triage now (--run)')
    .option('--preview', 'print the ranking as it stands, routing nothing')
    .option('--run', 'start this week’s triage now, if it has not run')
    .option('--json', 'print one JSON object: per area, the ranked themes with their counts')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: ConfigOption & JsonOption & { preview?: boolean; run?: boolean }) => {
      if (!!opts.preview === !!opts.run)
        throw CliError.usage('give --preview (nothing is routed) or --run (routes this week’s themes)');
      const { config } = loadConfig(opts.config);
      const settings = resolveInsightsSettings(config);
      await withSession(config, options, async (session) => {
        if (opts.run) {
          const week = isoWeekOf(localDateOf(Date.now(), config.calendars[settings.calendar]!.timezone));
          const workflowId = insightsTriageId(week);
          let result: TriageResult;
          try {
            const handle = await session.client.workflow.start(INSIGHTS_TRIAGE_TYPE, {
              workflowId,
              taskQueue: config.temporal.taskQueue,
              args: [{ week, startedBy: 'command' } satisfies TriageInput],
              workflowIdReusePolicy: 'REJECT_DUPLICATE',
            });
            result = (await handle.result()) as TriageResult;
          } catch (error) {
            if (error instanceof Error && error.name === 'WorkflowExecutionAlreadyStartedError')
              throw CliError.failure(`${workflowId} has run already: the week is triaged once`);
            throw asServiceError(error);
          }
          io.out(
            opts.json
              ? JSON.stringify(result)
              : `${workflowId}: ${result.routed.length} themes routed, ${result.digests.length} area digests${result.problems.length > 0 ? `; ${result.problems.join('; ')}` : ''}`,
          );
          return;
        }
        let ranking;
        try {
          ranking = await rankBacklogs(session.client, config);
        } catch (error) {
          throw asServiceError(error);
        }
        const areaOf = (id: string) => settings.areas.find((a) => a.id === id);
        if (opts.json) {
          io.out(
            JSON.stringify({
              areas: ranking.areas.map((a) => ({
                area: a.area,
                name: areaOf(a.area)?.name ?? a.area,
                pm: areaOf(a.area)?.pm ?? null,
                themes: a.themes.map((t) => ({
                  theme: t.theme,
                  rank: t.rank,
                  routed: t.routed,
                  high: t.high,
                  accounts: t.accounts,
                  items: t.items,
                  evidence: t.evidence,
                  newest: new Date(t.newest).toISOString(),
                  awaiting: t.rounds,
                  itemIds: t.itemIds,
                })),
              })),
              crossCutting: ranking.crossCutting,
              needsTagging: ranking.needsTagging,
            }),
          );
          return;
        }
        if (ranking.areas.length === 0) io.out('nothing to rank: no tagged open items');
        for (const a of ranking.areas) {
          const area = areaOf(a.area);
          io.out(
            `${area?.name ?? a.area} (${a.area}, ${area ? (config.people.find((p) => p.id === area.pm)?.name ?? area.pm) : 'no PM'}):`,
          );
          for (const t of a.themes)
            io.out(
              `  ${t.routed ? `${t.rank}.` : `(${t.rank})`} ${labelOf(t.theme)} — ${describeCounts(t)}${t.rounds.length > 0 ? `; awaiting a decision in ${t.rounds.join(', ')}` : ''}`,
            );
        }
        for (const c of ranking.crossCutting)
          io.out(`cross-cutting: ${labelOf(c.theme)} in ${c.areas.join(', ')}`);
        io.out(`${ranking.needsTagging} items need tagging`);
      });
    });

  insights
    .command('report')
    .description('the Monthly Insights Digest of a month, as it stands now')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .option('--json', 'print the report as one JSON object')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: ConfigOption & JsonOption & { month: string }) => {
      if (!MONTH.test(opts.month))
        throw CliError.usage(`--month must be a month written YYYY-MM, got "${opts.month}"`);
      const { config } = loadConfig(opts.config);
      await withSession(config, options, async (session) => {
        let report: MonthlyReport;
        try {
          report = await gatherMonthlyReport(session.client, config, opts.month, Date.now());
        } catch (error) {
          throw asServiceError(error);
        }
        io.out(opts.json ? JSON.stringify(report) : reportLines(report, config).join('\n'));
      });
    });

  insights
    .command('status')
    .description('each backlog shard and every routed theme awaiting a decision')
    .option('--json', 'print one JSON object: shards and themes')
    .option('--config <path>', CONFIG_HELP)
    .action(async (opts: ConfigOption & JsonOption) => {
      const { config } = loadConfig(opts.config);
      const shards = resolveInsightsSettings(config).shards;
      await withSession(config, options, async (session) => {
        let backlogs: BacklogStatusView[];
        let themes: ThemeStatusView[];
        try {
          [backlogs, themes] = await Promise.all([
            queryShards(session.client, shards, backlogStatus),
            readThemes(session.client, config),
          ]);
        } catch (error) {
          throw asServiceError(error);
        }
        if (opts.json) {
          io.out(
            JSON.stringify({
              backlogs: backlogs.map(({ log: _log, ...b }) => b),
              themes: themes.map(({ log: _log, ...t }) => t),
            }),
          );
          return;
        }
        for (const b of backlogs)
          io.out(
            `${insightsBacklogId(b.shard)}: ${b.open} open (${b.needsTagging} need tagging, ${b.routed} routed), ${b.merged} merged, ${b.decided} decided, ${b.closedKeys} closed keys kept, ${Math.ceil(b.carriedBytes / 1000)} kB carried${b.unpublished > 0 ? `, ${b.unpublished} rows to write` : ''}`,
          );
        for (const b of backlogs.filter((s) => s.carriedBytes > CARRIED_BYTES_WARNING))
          io.err(
            `prodops: ${insightsBacklogId(b.shard)} carries ${(b.carriedBytes / 1e6).toFixed(1)} MB across continue-as-new, near Temporal's 2 MB limit: lower insights.backlog.closeOpenAfterDays, or decide its routed themes`,
          );
        for (const t of themes.filter((s) => s.open)) for (const line of themeLines(t)) io.out(line);
        if (backlogs.length === 0) io.out('no backlog has started: nothing has arrived yet');
      });
    });
}
