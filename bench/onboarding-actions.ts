/**
 * Counts what a whole freelancer engagement costs in Temporal terms, from the recorded history of
 * the end-to-end run (test/workflows/onboarding/onboarding.e2e.test.ts: the Notion intake page,
 * every gate's Jira tasks moved to Done by their teams, day one, ramp-up, the manager letting it
 * end, every tool revoked and the final invoice approved; each task done read back from Jira;
 * re-record it with PRODOPS_RECORD_HISTORY=onboarding). Counted by bench/history-actions.ts.
 *
 *   npm run bench:onboarding-actions [-- <history file>]
 */
import { fileURLToPath } from 'node:url';
import { actionRows, eventsOfFile, namedMessages, printActions } from './history-actions';

const TARGET = 40;
const path =
  process.argv[2] ??
  fileURLToPath(
    new URL('../test/workflows/onboarding/histories/e2e-notion-to-closed-checked.json', import.meta.url),
  );
const events = eventsOfFile(path);

printActions(
  'A freelancer engagement, Notion intake to closed tracker row (recorded history)',
  [{ label: 'engagement', rows: actionRows(events) }],
  { target: TARGET },
);
const named = namedMessages(events);
console.log('');
console.log(`  activities: ${named.activities}`);
console.log(`  signals:    ${named.signals}`);
console.log(`  updates:    ${named.updates}`);
