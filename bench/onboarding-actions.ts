/**
 * Counts what a whole freelancer engagement costs in Temporal terms, from the recorded history of
 * the end-to-end run (test/workflows/onboarding/onboarding.e2e.test.ts: the Notion intake page,
 * every gate's Jira tasks moved to Done by their teams, day one, ramp-up, the manager letting it
 * end, every tool revoked and the final invoice approved; re-record it with
 * PRODOPS_RECORD_HISTORY=onboarding). Counted as bench/release-actions.ts counts: a workflow
 * start, each activity attempt, each timer started, signal, update and search-attribute upsert
 * is a billed action; workflow tasks and history events are shown for the load they make.
 *
 *   npm run bench:onboarding-actions [-- <history file>]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface HistoryEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
  activityTaskStartedEventAttributes?: { attempt?: number };
  workflowExecutionSignaledEventAttributes?: { signalName?: string };
  workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } };
}

const TARGET = 40;
const path =
  process.argv[2] ??
  fileURLToPath(new URL('../test/workflows/onboarding/histories/e2e-notion-to-closed.json', import.meta.url));
const history = JSON.parse(readFileSync(path, 'utf8')) as { events: HistoryEvent[] };
const events = history.events;

const count = (type: string) => events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).length;
const activityAttempts = events
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
  ['history events (not billed)', events.length, false],
];

/** How many times each name occurs, as `name ×n`, most first. */
function tally(names: (string | undefined)[]): string {
  const counts = new Map<string, number>();
  for (const name of names) if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, n]) => `${name} ×${n}`)
    .join(', ');
}

const billed = rows.filter(([, , b]) => b).reduce((sum, [, n]) => sum + n, 0);
const width = Math.max(...rows.map(([name]) => name.length), 'billable actions'.length);
console.log('A freelancer engagement, Notion intake to closed tracker row (recorded history)');
for (const [name, n] of rows) console.log(`  ${name.padEnd(width)}  ${String(n).padStart(5)}`);
console.log(`  ${'billable actions'.padEnd(width)}  ${String(billed).padStart(5)}  (target ≤ ${TARGET})`);
console.log('');
console.log(
  `  activities: ${tally(events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name))}`,
);
console.log(
  `  signals:    ${tally(events.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName))}`,
);
console.log(
  `  updates:    ${tally(events.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)) || 'none'}`,
);
