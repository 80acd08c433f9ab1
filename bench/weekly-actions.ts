/**
 * Counts what one week of the Weekly Product Update with eight PMs costs in Temporal terms, from
 * recorded histories: the schedule's launcher on the update day (launcher-started.json) and the
 * week itself, eight PMs ready on time, one page and one mail (all-on-time.json; both recorded
 * by test/workflows/weekly-update with PRODOPS_RECORD_HISTORY=weekly-update). Temporal Cloud
 * bills by the action: the schedule's run, a workflow start, each activity attempt (a local
 * activity's marker too), each timer, signal received or sent, update and search-attribute upsert; workflow tasks
 * are not billed but are shown because they drive worker load.
 *
 *   npm run bench:weekly-actions
 */
import { recordedHistories } from '../test/helpers/histories';

interface HistoryEvent {
  eventType: string;
  activityTaskStartedEventAttributes?: { attempt?: number };
}

function history(file: string): HistoryEvent[] {
  const recorded = recordedHistories().find((h) => h.process === 'weekly-update' && h.file === file);
  if (!recorded) throw new Error(`test/workflows/weekly-update/histories has no ${file}: record it first`);
  return (recorded.history as { events: HistoryEvent[] }).events;
}

const weeks = { launcher: history('launcher-started.json'), week: history('all-on-time.json') };

function rowsOf(events: HistoryEvent[]): [string, number, boolean][] {
  const count = (type: string) => events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).length;
  const activityAttempts = events
    .filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_STARTED')
    .reduce((sum, e) => sum + Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
  return [
    ['workflow started', count('WORKFLOW_EXECUTION_STARTED'), true],
    ['activities (attempts)', activityAttempts, true],
    ['local activities (markers)', count('MARKER_RECORDED'), true],
    ['timers started', count('TIMER_STARTED'), true],
    ['signals received', count('WORKFLOW_EXECUTION_SIGNALED'), true],
    ['signals sent', count('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED'), true],
    ['updates accepted', count('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'), true],
    ['search attribute upserts', count('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'), true],
    ['continue-as-new', count('WORKFLOW_EXECUTION_CONTINUED_AS_NEW'), true],
    ['workflow tasks (not billed)', count('WORKFLOW_TASK_COMPLETED'), false],
    ['history events (not billed)', events.length, false],
  ];
}

const launcher = rowsOf(weeks.launcher);
const week = rowsOf(weeks.week);
const rows: [string, number, number, boolean][] = [
  ['schedule run', 1, 0, true],
  ...launcher.map(([name, n, billed], i): [string, number, number, boolean] => [
    name,
    n,
    week[i]![1],
    billed,
  ]),
];
const width = Math.max(...rows.map(([name]) => name.length));
console.log('Weekly Product Update, one week with eight PMs, all ready on time (recorded histories)');
console.log(`  ${''.padEnd(width)}  launcher      week     total`);
for (const [name, a, b] of rows)
  console.log(
    `  ${name.padEnd(width)}  ${String(a).padStart(8)}  ${String(b).padStart(8)}  ${String(a + b).padStart(8)}`,
  );
const billed = rows.filter(([, , , b]) => b).reduce((sum, [, a, b]) => sum + a + b, 0);
console.log(
  `  ${'billable actions'.padEnd(width)}  ${''.padStart(8)}  ${''.padStart(8)}  ${String(billed).padStart(8)}`,
);
