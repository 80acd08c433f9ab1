/**
 * Insights from the command line: one (`prodops insight add`) or a CSV file of them (`prodops
 * insight import`), checked whole before anything is sent, then handed to the backlog shards in
 * batches, each shard's batches in order, the shards side by side. Each batch is an Update that
 * answers what every item became (new, a repeat, merged as extra evidence), which is what the
 * progress line and the summary count.
 */
import { createHash } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { insightShardOf, insightsBacklogId } from '../contracts/ids';
import {
  addInsights,
  INSIGHTS_BACKLOG_TYPE,
  MAX_ENTRIES_PER_UPDATE,
  type AddInsightsCommand,
  type AddInsightsResult,
  type BacklogInput,
} from '../contracts/insights';
import type { OrgConfig } from '../domain/config';
import { formatPath } from '../domain/config';
import { CsvError, parseCsv } from '../domain/csv';
import type { Arrival, IntakeChannel, IntakeOutcome } from '../domain/insights/backlog';
import { resolveInsightsSettings } from '../domain/insights/settings';
import { InsightEntry, toRawInsight } from '../domain/insights/submission';
import { readTags } from '../domain/insights/taxonomy';
import type { Signer } from './operator';

/** Batches of a few hundred kilobytes at most, whatever the rows hold. */
const MAX_BATCH_BYTES = 512 * 1024;

export interface EntryProblem {
  /** The line of the CSV file, or 0 for a command's flags. */
  line: number;
  field: string;
  message: string;
}

const asText = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** A stable external id for an entry that has none, so that sending it again is a repeat. */
export function derivedExternalId(entry: { source: string; account: string; text: string }): string {
  const hash = createHash('sha256').update(`${entry.source}\n${entry.account}\n${entry.text}`).digest('hex');
  return `h${hash.slice(0, 20)}`;
}

/**
 * Reads one entry (field names as the webhook names them). Values the taxonomy does not know
 * are problems unless `lenient`, in which case they are kept and the item needs tagging.
 */
export function readEntry(
  raw: Record<string, unknown>,
  config: OrgConfig,
  options: { via: IntakeChannel; lenient: boolean; line: number; by?: string },
): { entry: Arrival | null; problems: EntryProblem[] } {
  const settings = resolveInsightsSettings(config);
  const withId =
    raw.externalId === undefined || raw.externalId === ''
      ? {
          ...raw,
          externalId: derivedExternalId({
            source: asText(raw.source).toLowerCase(),
            account: asText(raw.account),
            text: asText(raw.text),
          }),
        }
      : raw;
  const parsed = InsightEntry.safeParse(withId);
  if (!parsed.success)
    return {
      entry: null,
      problems: parsed.error.issues.map((issue) => ({
        line: options.line,
        field: formatPath(issue.path) || '(row)',
        message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
      })),
    };
  const rawInsight = toRawInsight(parsed.data);
  const { problems } = readTags(rawInsight, settings.taxonomy);
  if (problems.length > 0 && !options.lenient)
    return {
      entry: null,
      problems: problems.map((message) => ({
        line: options.line,
        field: message.split(' ')[0] === 'evidence' ? 'evidenceType' : message.split(' ')[0]!,
        message: message.replace(/^(evidence type|\w+) /, ''),
      })),
    };
  return {
    entry: { ...rawInsight, via: options.via, ...(options.by ? { by: options.by } : {}) },
    problems: [],
  };
}

/** CSV column names as people write them, to the fields of an insight. */
const COLUMNS: Record<string, string> = {
  source: 'source',
  externalid: 'externalId',
  id: 'externalId',
  ticketid: 'externalId',
  account: 'account',
  customer: 'account',
  company: 'account',
  text: 'text',
  feedback: 'text',
  description: 'text',
  segment: 'segment',
  theme: 'theme',
  severity: 'severity',
  area: 'area',
  productarea: 'area',
  evidencetype: 'evidenceType',
  evidence: 'evidenceType',
  link: 'link',
  url: 'link',
  occurredat: 'occurredAt',
  date: 'occurredAt',
  createdat: 'occurredAt',
};

export interface ReadCsv {
  entries: { line: number; entry: Arrival }[];
  problems: EntryProblem[];
  /** Columns that name no field of an insight: left out, and said so. */
  ignoredColumns: string[];
}

export function readInsightsCsv(
  text: string,
  config: OrgConfig,
  options: { source?: string; lenient: boolean; by?: string },
): ReadCsv {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return {
      entries: [],
      problems: [{ line: error.line, field: '(file)', message: error.message.replace(/^line \d+: /, '') }],
      ignoredColumns: [],
    };
  }
  const [header, ...rows] = records;
  if (!header)
    return {
      entries: [],
      problems: [{ line: 1, field: '(file)', message: 'the file is empty' }],
      ignoredColumns: [],
    };
  const columns = header.fields.map((name) => COLUMNS[name.toLowerCase().replace(/[^a-z0-9]/g, '')]);
  const ignoredColumns = header.fields.filter((_, i) => columns[i] === undefined);
  const problems: EntryProblem[] = [];
  for (const needed of ['account', 'text', ...(options.source ? [] : ['source'])])
    if (!columns.includes(needed))
      problems.push({
        line: header.line,
        field: needed,
        message: `no column for it${needed === 'source' ? ' (or pass --source)' : ''}`,
      });
  if (problems.length > 0) return { entries: [], problems, ignoredColumns };
  const entries: ReadCsv['entries'] = [];
  const keys = new Map<string, number>();
  for (const row of rows) {
    if (row.fields.length !== header.fields.length) {
      problems.push({
        line: row.line,
        field: '(row)',
        message: `has ${row.fields.length} fields, the header ${header.fields.length}`,
      });
      continue;
    }
    const raw: Record<string, unknown> = options.source ? { source: options.source } : {};
    row.fields.forEach((value, i) => {
      const field = columns[i];
      if (field && !(field === 'source' && options.source && value.trim() === '')) raw[field] = value;
    });
    const read = readEntry(raw, config, {
      via: 'csv',
      lenient: options.lenient,
      line: row.line,
      ...(options.by ? { by: options.by } : {}),
    });
    problems.push(...read.problems);
    if (!read.entry) continue;
    const key = `${read.entry.source}:${read.entry.externalId}`;
    // The same row twice in one file is one item; said so, since it is more likely a mistake.
    if (keys.has(key)) {
      problems.push({
        line: row.line,
        field: 'externalId',
        message: `repeats line ${keys.get(key)} (${key})`,
      });
      continue;
    }
    keys.set(key, row.line);
    entries.push({ line: row.line, entry: read.entry });
  }
  return { entries, problems, ignoredColumns };
}

export interface SendProgress {
  sent: number;
  total: number;
  counts: IntakeCounts;
}

export interface IntakeCounts {
  new: number;
  merged: number;
  repeats: number;
  needsTagging: number;
}

export function countOutcomes(outcomes: readonly IntakeOutcome[]): IntakeCounts {
  return {
    new: outcomes.filter((o) => o.kind === 'new').length,
    merged: outcomes.filter((o) => o.kind === 'merged').length,
    repeats: outcomes.filter((o) => o.kind === 'repeat' || o.kind === 'closed-repeat').length,
    needsTagging: outcomes.filter(
      (o) => (o.kind === 'new' || o.kind === 'repeat') && o.needsTagging.length > 0,
    ).length,
  };
}

/**
 * Sends entries to their shards (update-with-start, so a shard that never ran starts) and
 * answers each entry's outcome, in the entries' order.
 */
export async function sendEntries(
  client: Client,
  config: OrgConfig,
  entries: readonly Arrival[],
  options: {
    /** Whom the items are from: the operator, or someone their grant covers. */
    by: string;
    /** Signs each batch as the operator (cli/operator.ts); the workflow refuses unsigned ones. */
    signer: Pick<Signer, 'sign'>;
    onProgress?: (progress: SendProgress) => void;
  },
): Promise<IntakeOutcome[]> {
  const shards = resolveInsightsSettings(config).shards;
  const outcomes: IntakeOutcome[] = new Array<IntakeOutcome>(entries.length);
  const byShard = new Map<number, number[]>();
  entries.forEach((entry, i) => {
    const shard = insightShardOf(entry.account, shards);
    byShard.set(shard, [...(byShard.get(shard) ?? []), i]);
  });
  let sent = 0;
  const done: IntakeOutcome[] = [];
  await Promise.all(
    [...byShard.entries()].map(async ([shard, indexes]) => {
      let start = 0;
      while (start < indexes.length) {
        let end = start;
        let bytes = 0;
        while (end < indexes.length && end - start < MAX_ENTRIES_PER_UPDATE) {
          bytes += JSON.stringify(entries[indexes[end]!]).length;
          if (bytes > MAX_BATCH_BYTES && end > start) break;
          end++;
        }
        const batch = indexes.slice(start, end);
        const workflowId = insightsBacklogId(shard);
        const command: AddInsightsCommand = { entries: batch.map((i) => entries[i]!), by: options.by };
        const result: AddInsightsResult = await client.workflow.executeUpdateWithStart(addInsights, {
          args: [{ ...command, auth: options.signer.sign(workflowId, addInsights.name, command) }],
          startWorkflowOperation: new WithStartWorkflowOperation(INSIGHTS_BACKLOG_TYPE, {
            workflowId,
            taskQueue: config.temporal.taskQueue,
            args: [{ shard } satisfies BacklogInput],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        });
        result.outcomes.forEach((outcome, j) => {
          outcomes[batch[j]!] = outcome;
          done.push(outcome);
        });
        sent += batch.length;
        options.onProgress?.({ sent, total: entries.length, counts: countOutcomes(done) });
        start = end;
      }
    }),
  );
  return outcomes;
}

export function describeProblem(p: EntryProblem): string {
  return `${p.line > 0 ? `line ${p.line}: ` : ''}${p.field}: ${p.message}`;
}
