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
import { actionRows, printActions, recordedEvents } from './history-actions';

printActions(
  'Weekly Product Update, one week with eight PMs, all ready on time (recorded histories)',
  [
    { label: 'launcher', rows: actionRows(recordedEvents('weekly-update', 'launcher-started.json')) },
    { label: 'week', rows: actionRows(recordedEvents('weekly-update', 'all-on-time.json')) },
  ],
  // The schedule's run is billed once, as it starts the launcher.
  { extraRows: [{ name: 'schedule run', count: 1, billed: true }] },
);
