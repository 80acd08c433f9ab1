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
import { actionRows, namedMessages, printActions, recordedEvents } from './history-actions';

const events = recordedEvents('renewal', 'annual-cycle.json');
// The closing continue-as-new is the next cycle's start: it is billed there, once.
printActions('One annual renewal cycle with five reminders (recorded history)', [
  {
    label: 'cycle',
    rows: actionRows(events, { startedBy: 'by the last renewal', continueAsNewIsNextRun: true }),
  },
]);
console.log(`  activities: ${namedMessages(events).activities}`);
