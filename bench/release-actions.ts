/**
 * Counts what a whole Tier 3 release costs in Temporal terms, from the recorded history of the
 * end-to-end lifecycle (test/workflows/release/release.e2e.test.ts; re-record it with
 * PRODOPS_RECORD_HISTORY=1). Temporal Cloud bills by the action: a workflow start, each
 * activity attempt, each timer, signal, update and search-attribute upsert; workflow tasks are
 * not billed but are shown because they drive worker load.
 *
 *   npm run bench:release-actions
 */
import { recordedHistories } from '../test/helpers/histories';

interface HistoryEvent {
  eventType: string;
  activityTaskStartedEventAttributes?: { attempt?: number };
}

const recorded = recordedHistories().find(
  (h) => h.process === 'release' && h.file === 'tier3-lifecycle.json',
);
if (!recorded)
  throw new Error('test/workflows/release/histories has no tier3-lifecycle.json: record it first');
const history = recorded.history as { events: HistoryEvent[] };

const count = (type: string) => history.events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).length;
const activityAttempts = history.events
  .filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_STARTED')
  .reduce((sum, e) => sum + Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1), 0);

const rows: [string, number, boolean][] = [
  ['workflow started', count('WORKFLOW_EXECUTION_STARTED'), true],
  ['activities (attempts)', activityAttempts, true],
  ['timers started', count('TIMER_STARTED'), true],
  ['signals received', count('WORKFLOW_EXECUTION_SIGNALED'), true],
  ['updates accepted', count('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'), true],
  ['search attribute upserts', count('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'), true],
  ['continue-as-new', count('WORKFLOW_EXECUTION_CONTINUED_AS_NEW'), true],
  ['workflow tasks (not billed)', count('WORKFLOW_TASK_COMPLETED'), false],
  ['history events (not billed)', history.events.length, false],
];

const billed = rows.filter(([, , b]) => b).reduce((sum, [, n]) => sum + n, 0);
const width = Math.max(...rows.map(([name]) => name.length));
console.log('Tier 3 release, start to Day-14 retro (recorded history)');
for (const [name, n] of rows) console.log(`  ${name.padEnd(width)}  ${String(n).padStart(5)}`);
console.log(`  ${'billable actions'.padEnd(width)}  ${String(billed).padStart(5)}`);
