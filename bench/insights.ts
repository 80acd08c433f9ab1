/**
 * Figures of the insights pipeline that need no running stack:
 *
 * - deduplication on the 200-item fixture (test/fixtures/insights/items-200.json, exact and near
 *   duplicates labelled): precision and recall at the configured similarity and around it;
 * - what the backlog's carried state costs per item, right after intake and once the items'
 *   Notion rows hold their text (what continue-as-new carries);
 * - Temporal actions, from the recorded histories of test/workflows/insights (re-record them with
 *   PRODOPS_RECORD_HISTORY=insights): per item through a backlog shard, and per weekly triage.
 *   Temporal Cloud bills by the action: a workflow start, each activity attempt, timer, signal
 *   received or sent, update, child start and search-attribute upsert; workflow tasks are not
 *   billed and are shown because they drive worker load.
 *
 *   npm run bench:insights
 */
import { recordedHistories } from '../test/helpers/histories';
import { runFixture } from '../test/domain/insights/fixture';

interface HistoryEvent {
  eventType: string;
  activityTaskStartedEventAttributes?: { attempt?: number };
  workflowExecutionSignaledEventAttributes?: { signalName?: string };
}

const BILLED = [
  'WORKFLOW_EXECUTION_STARTED',
  'TIMER_STARTED',
  'WORKFLOW_EXECUTION_SIGNALED',
  'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
  'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
  'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
  'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  'WORKFLOW_PROPERTIES_MODIFIED',
  'WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
];

interface Actions {
  file: string;
  what: string;
  billed: number;
  activities: number;
  timers: number;
  signals: Record<string, number>;
  workflowTasks: number;
  events: number;
}

function actionsOf(file: string): Actions {
  const recorded = recordedHistories().find((h) => h.process === 'insights' && h.file === `${file}.json`);
  if (!recorded) throw new Error(`test/workflows/insights/histories has no ${file}.json: record it first`);
  const events = (recorded.history as { events: HistoryEvent[] }).events;
  const count = (type: string) => events.filter((e) => e.eventType === `EVENT_TYPE_${type}`).length;
  const activities = events
    .filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_STARTED')
    .reduce((sum, e) => sum + Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
  const signals: Record<string, number> = {};
  for (const e of events) {
    const name = e.workflowExecutionSignaledEventAttributes?.signalName;
    if (name) signals[name] = (signals[name] ?? 0) + 1;
  }
  return {
    file,
    what: recorded.what,
    billed: activities + BILLED.reduce((sum, type) => sum + count(type), 0),
    activities,
    timers: count('TIMER_STARTED'),
    signals,
    workflowTasks: count('WORKFLOW_TASK_COMPLETED'),
    events: events.length,
  };
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

// ---- Deduplication on the fixture ----------------------------------------------------------------
console.log('Deduplication, 200-item fixture (word-trigram Jaccard, same account and theme, 30 days)');
console.log(
  `  ${'similarity'.padEnd(18)} ${'exact P'.padStart(8)} ${'exact R'.padStart(8)} ${'near P'.padStart(8)} ${'near R'.padStart(8)}  near tp/fp/fn`,
);
for (const threshold of [0.9, 0.8, 0.7, 0.6]) {
  const { exact, near } = runFixture(threshold);
  const mark = threshold === 0.8 ? ' (configured)' : '';
  console.log(
    `  ${`${threshold}${mark}`.padEnd(18)} ${pct(exact.precision).padStart(8)} ${pct(exact.recall).padStart(8)} ${pct(near.precision).padStart(8)} ${pct(near.recall).padStart(8)}  ${near.tp}/${near.fp}/${near.fn}`,
  );
}

// ---- What an item costs the carried state -----------------------------------------------------------
const started = performance.now();
const { backlog, outcomes } = runFixture(0.8);
const intakeMs = performance.now() - started;
const bytes = () => Buffer.byteLength(JSON.stringify(backlog.data));
const afterIntake = bytes();
for (const { outcome } of outcomes)
  if ('id' in outcome && backlog.item(outcome.id)) backlog.forgetText(outcome.id);
const afterRows = bytes();
console.log('');
console.log(
  `Backlog state carried across continue-as-new, ${outcomes.length} arrivals, ${backlog.size} items kept`,
);
console.log(
  `  right after intake        ${afterIntake.toLocaleString('en')} bytes (${Math.round(afterIntake / outcomes.length)} per arrival)`,
);
console.log(
  `  once rows hold the text   ${afterRows.toLocaleString('en')} bytes (${Math.round(afterRows / outcomes.length)} per arrival)`,
);
console.log(
  `  intake rules alone        ${Math.round(outcomes.length / (intakeMs / 1000)).toLocaleString('en')} arrivals a second (read, dedup, score; one core)`,
);

// ---- Temporal actions ----------------------------------------------------------------------------
const table = [
  'backlog-routed-decided',
  'triage-week',
  'theme-reminded',
  'theme-carried',
  'launcher-weekly',
  'monthly-digest',
].map(actionsOf);
console.log('');
console.log('Temporal actions by recorded history');
console.log(
  `  ${'history'.padEnd(24)} ${'billed'.padStart(6)} ${'activ.'.padStart(6)} ${'timers'.padStart(6)} ${'wf tasks'.padStart(8)}  signals received`,
);
for (const a of table)
  console.log(
    `  ${a.file.padEnd(24)} ${String(a.billed).padStart(6)} ${String(a.activities).padStart(6)} ${String(a.timers).padStart(6)} ${String(a.workflowTasks).padStart(8)}  ${Object.entries(
      a.signals,
    )
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}`,
  );

const byFile = Object.fromEntries(table.map((a) => [a.file, a]));
const backlogRun = byFile['backlog-routed-decided']!;
const arrivals = backlogRun.signals.insightReceived ?? 0;
// The backlog's own share per item: its history less the start, over the arrivals it took
// (including the routing and decision signals, which every item's round brings).
const perItem = (backlogRun.billed - 1) / arrivals;
const triage = byFile['triage-week']!;
const routed = triage.signals.themeReady ?? 0;
const round = byFile['theme-reminded']!;
const launcher = byFile['launcher-weekly']!;
const week = launcher.billed + triage.billed + routed * round.billed;
console.log('');
console.log(
  `per item through a backlog shard: ${perItem.toFixed(1)} actions (${backlogRun.billed - 1} over ${arrivals} arrivals, routing and decision included), plus 1 for the start of a shard's first item`,
);
console.log(
  `per weekly triage routing ${routed} themes: ${week} actions = launcher ${launcher.billed} + triage ${triage.billed} + ${routed} × a theme's round with its reminder ${round.billed}`,
);
