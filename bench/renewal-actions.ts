/**
 * Counts what one annual renewal cycle costs in Temporal terms, from the recorded history of one
 * run of a subscription's workflow: from the renewal that started it (continue-as-new) through
 * five reminders and a decision made in Notion to the next renewal, which continues it as new
 * again (test/workflows/renewal/renewal-changes.workflow.test.ts; re-record it with
 * PRODOPS_RECORD_HISTORY=renewal). Temporal Cloud bills by the action: a workflow start
 * (continue-as-new included), each activity attempt, each timer, signal, update and
 * search-attribute upsert. A memo upsert is not an action; workflow tasks are not billed but
 * are shown because they drive worker load.
 *
 *   npm run bench:renewal-actions
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface HistoryEvent {
  eventType: string;
  activityTaskStartedEventAttributes?: { attempt?: number };
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
}

const path = fileURLToPath(new URL('../test/workflows/renewal/histories/annual-cycle.json', import.meta.url));
const history = JSON.parse(readFileSync(path, 'utf8')) as { events: HistoryEvent[] };

const count = (type: string) => history.events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).length;
const activityAttempts = history.events
  .filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_STARTED')
  .reduce((sum, e) => sum + Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
const activities = history.events
  .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
  .filter((name): name is string => name !== undefined);
const byActivity = [...new Set(activities)].map(
  (name) => `${name} ×${activities.filter((a) => a === name).length}`,
);

// The closing continue-as-new is the next cycle's start: it is billed there, once.
const rows: [string, number, boolean][] = [
  ['workflow started (by the last renewal)', count('WORKFLOW_EXECUTION_STARTED'), true],
  ['activities (attempts)', activityAttempts, true],
  ['timers started', count('TIMER_STARTED'), true],
  ['signals received', count('WORKFLOW_EXECUTION_SIGNALED'), true],
  ['updates accepted', count('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'), true],
  ['search attribute upserts', count('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'), true],
  ['continue-as-new (the next cycle’s start)', count('WORKFLOW_EXECUTION_CONTINUED_AS_NEW'), false],
  ['memo upserts (not billed)', count('WORKFLOW_PROPERTIES_MODIFIED'), false],
  ['workflow tasks (not billed)', count('WORKFLOW_TASK_COMPLETED'), false],
  ['history events (not billed)', history.events.length, false],
];

const billed = rows.filter(([, , b]) => b).reduce((sum, [, n]) => sum + n, 0);
const width = Math.max(...rows.map(([name]) => name.length));
console.log('One annual renewal cycle with five reminders (recorded history)');
for (const [name, n] of rows) console.log(`  ${name.padEnd(width)}  ${String(n).padStart(5)}`);
console.log(`  ${'billable actions'.padEnd(width)}  ${String(billed).padStart(5)}`);
console.log(`  activities: ${byActivity.join(', ')}`);
