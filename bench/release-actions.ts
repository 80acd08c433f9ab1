/**
 * Counts what a whole Tier 3 release costs in Temporal terms, from the recorded history of the
 * end-to-end lifecycle (test/workflows/release/release.e2e.test.ts; re-record it with
 * PRODOPS_RECORD_HISTORY=1). Temporal Cloud bills by the action: a workflow start, each
 * activity attempt, each timer, signal, update and search-attribute upsert; workflow tasks are
 * not billed but are shown because they drive worker load.
 *
 *   npm run bench:release-actions
 */
import { actionRows, printActions, recordedEvents } from './history-actions';

const events = recordedEvents('release', 'tier3-lifecycle.json');
printActions('Tier 3 release, start to Day-14 retro (recorded history)', [
  { label: 'release', rows: actionRows(events) },
]);
