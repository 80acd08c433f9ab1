/**
 * What a recorded workflow history costs in Temporal terms, counted once for every
 * `bench/*-actions.ts` script. Temporal Cloud bills by the action: a workflow start, each
 * activity attempt, a local activity's marker, each timer started, signal received or sent,
 * update accepted and search-attribute upsert, and a continue-as-new (the next run's start).
 * Memo upserts, workflow tasks and history events are not billed; they are shown for the load
 * they make on the workers and the history.
 */
import { readFileSync } from 'node:fs';
import { recordedHistories } from '../test/helpers/histories';

export interface HistoryEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
  activityTaskStartedEventAttributes?: { attempt?: number };
  workflowExecutionSignaledEventAttributes?: { signalName?: string };
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } };
}

export interface ActionRow {
  name: string;
  count: number;
  billed: boolean;
}

/** The events of a history recorded under test/workflows/<process>/histories/<file>. */
export function recordedEvents(process: string, file: string): HistoryEvent[] {
  const recorded = recordedHistories().find((h) => h.process === process && h.file === file);
  if (!recorded) throw new Error(`test/workflows/${process}/histories has no ${file}: record it first`);
  return (recorded.history as { events: HistoryEvent[] }).events;
}

/** The events of a history file exported from Temporal (`temporal workflow show --output json`). */
export function eventsOfFile(path: string): HistoryEvent[] {
  return (JSON.parse(readFileSync(path, 'utf8')) as { events: HistoryEvent[] }).events;
}

export interface CountingOptions {
  /** How the start is named: the row reads "workflow started (<startedBy>)". */
  startedBy?: string;
  /**
   * A history that ends by continuing as new hands its start to the next run; when that run is
   * counted on its own (a cycle measured from one renewal to the next), the closing
   * continue-as-new is billed there, not here.
   */
  continueAsNewIsNextRun?: boolean;
}

export function actionRows(events: HistoryEvent[], options: CountingOptions = {}): ActionRow[] {
  const count = (type: string) => events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).length;
  const activityAttempts = events
    .filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_STARTED')
    .reduce((sum, e) => sum + Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
  const row = (name: string, n: number, billed = true): ActionRow => ({ name, count: n, billed });
  return [
    row(
      options.startedBy ? `workflow started (${options.startedBy})` : 'workflow started',
      count('WORKFLOW_EXECUTION_STARTED'),
    ),
    row('activities (attempts)', activityAttempts),
    row('local activities (markers)', count('MARKER_RECORDED')),
    row('timers started', count('TIMER_STARTED')),
    row('signals received', count('WORKFLOW_EXECUTION_SIGNALED')),
    row('signals sent', count('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED')),
    row('updates accepted', count('WORKFLOW_EXECUTION_UPDATE_ACCEPTED')),
    row('search attribute upserts', count('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES')),
    options.continueAsNewIsNextRun
      ? row('continue-as-new (the next run’s start)', count('WORKFLOW_EXECUTION_CONTINUED_AS_NEW'), false)
      : row('continue-as-new', count('WORKFLOW_EXECUTION_CONTINUED_AS_NEW')),
    row('memo upserts (not billed)', count('WORKFLOW_PROPERTIES_MODIFIED'), false),
    row('workflow tasks (not billed)', count('WORKFLOW_TASK_COMPLETED'), false),
    row('history events (not billed)', events.length, false),
  ];
}

export function billedActions(rows: readonly ActionRow[]): number {
  return rows.filter((r) => r.billed).reduce((sum, r) => sum + r.count, 0);
}

/** How many times each name occurs, as `name ×n`, most first; 'none' when there are none. */
export function tally(names: (string | undefined)[]): string {
  const counts = new Map<string, number>();
  for (const name of names) if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  if (counts.size === 0) return 'none';
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => `${name} ×${n}`)
    .join(', ');
}

/** Which activities, signals and updates a history holds, by name. */
export function namedMessages(events: HistoryEvent[]): {
  activities: string;
  signals: string;
  updates: string;
} {
  return {
    activities: tally(events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)),
    signals: tally(events.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)),
    updates: tally(
      events.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name),
    ),
  };
}

/**
 * Prints one table: a column per history (their rows in the same order), a total column when
 * there are several, and the billable actions under it.
 */
export function printActions(
  title: string,
  columns: { label: string; rows: ActionRow[] }[],
  options: { extraRows?: ActionRow[]; target?: number } = {},
): void {
  const first = columns[0]?.rows ?? [];
  const extra = options.extraRows ?? [];
  const names = [...extra.map((r) => r.name), ...first.map((r) => r.name), 'billable actions'];
  const width = Math.max(...names.map((n) => n.length));
  const several = columns.length > 1;
  const cell = (v: number | string) => String(v).padStart(several ? 8 : 5);
  const line = (name: string, values: (number | string)[]) =>
    console.log(`  ${name.padEnd(width)}  ${values.map(cell).join('  ')}`.trimEnd());

  console.log(title);
  if (several) line('', [...columns.map((c) => c.label), 'total']);
  for (const row of extra) {
    const values = columns.map((_, i) => (i === 0 ? row.count : 0));
    line(row.name, several ? [...values, row.count] : values);
  }
  first.forEach((row, i) => {
    const values = columns.map((c) => c.rows[i]!.count);
    line(row.name, several ? [...values, values.reduce((a, b) => a + b, 0)] : values);
  });
  const billed = billedActions(extra) + columns.reduce((sum, c) => sum + billedActions(c.rows), 0);
  const target = options.target === undefined ? '' : `  (target ≤ ${options.target})`;
  const blanks = several ? columns.map(() => cell('')) : [];
  console.log(`  ${'billable actions'.padEnd(width)}  ${[...blanks, cell(billed)].join('  ')}${target}`);
}
