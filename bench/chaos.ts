/**
 * Faults, each in turn and then all together, against a realistic mix of releases, leave
 * requests, onboardings and renewals on a dev server with SQLite and the sandbox. Prints per
 * fault the workflows lost and stuck, the artifacts duplicated and missing, and the notices sent
 * twice; every count must be 0, and the script exits 1 otherwise.
 *
 *   npm run chaos                 # the full run (about ten minutes)
 *   npm run chaos -- --quick      # fewer workflows, shorter windows
 *   npm run chaos -- --only worker-crash,server-restart --verbose
 */
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { FAULT_TITLES, FAULTS, runChaos, type FaultName, type FaultRow } from './chaos/run';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const only = values.only?.split(',').map((name) => name.trim()) as FaultName[] | undefined;
for (const name of only ?? [])
  if (!FAULTS.includes(name)) {
    console.error(`--only: ${name} is not a fault; choose from ${FAULTS.join(', ')}`);
    process.exit(2);
  }

const startLoad = loadavg()[0]!;
const result = await runChaos({
  quick: values.quick,
  ...(only ? { only } : {}),
  log: (line) => {
    if (values.verbose) console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
  },
});

const COLUMNS: [string, (row: FaultRow) => string][] = [
  ['workflows', (r) => String(r.workflows)],
  ['lost', (r) => String(r.lost.length)],
  ['stuck', (r) => String(r.stuck.length)],
  ['duplicated', (r) => String(r.duplicated.length)],
  ['missing', (r) => String(r.missing.length)],
  ['notices twice', (r) => String(r.noticesTwice.length)],
  ['recovery s', (r) => r.recoverySeconds.toFixed(0)],
];
const width = Math.max(...Object.values(FAULT_TITLES).map((t) => t.length));
console.log(
  `fault injection${values.quick ? ' (quick)' : ''}: ${result.seconds.toFixed(0)} s, ${availableParallelism()} cores, load ${startLoad.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  [`${'fault'.padEnd(width)}`, ...COLUMNS.map(([name]) => name.padStart(Math.max(5, name.length)))].join(
    '  ',
  ),
);
for (const row of result.rows)
  console.log(
    [
      FAULT_TITLES[row.fault].padEnd(width),
      ...COLUMNS.map(([name, value]) => value(row).padStart(Math.max(5, name.length))),
    ].join('  '),
  );

const failed = result.rows.filter(
  (r) => r.lost.length + r.stuck.length + r.duplicated.length + r.missing.length + r.noticesTwice.length > 0,
);
for (const row of failed)
  for (const [what, list] of [
    ['lost', row.lost],
    ['stuck', row.stuck],
    ['duplicated', row.duplicated],
    ['missing', row.missing],
    ['sent twice', row.noticesTwice],
  ] as const)
    for (const item of list) console.log(`${row.fault}: ${what}: ${item}`);
for (const problem of result.problems) console.log(`problem: ${problem}`);
process.exitCode = failed.length > 0 ? 1 : 0;
