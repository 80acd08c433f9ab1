/**
 * The fault-injection run in its quick form (`npm run chaos -- --quick`): every fault in turn
 * and then all together, against a small mix, and every count 0. The full run is the bench
 * script; this keeps the runner itself from rotting.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../bench/chaos/run';

const CLI = process.env.TEMPORAL_CLI_PATH;

describe.skipIf(!CLI)('the fault-injection run (quick)', () => {
  it('loses, strands, doubles and misses nothing under any fault', { timeout: 600_000 }, async () => {
    const log: string[] = [];
    const result = await runChaos({ quick: true, log: (line) => log.push(line) });
    const counts = result.rows.map((row) => ({
      fault: row.fault,
      lost: row.lost,
      stuck: row.stuck,
      duplicated: row.duplicated,
      missing: row.missing,
      noticesTwice: row.noticesTwice,
    }));
    const clean = counts.map((row) => ({
      fault: row.fault,
      lost: [],
      stuck: [],
      duplicated: [],
      missing: [],
      noticesTwice: [],
    }));
    expect(counts, log.join('\n')).toEqual(clean);
    expect(result.rows.map((row) => row.fault)).toEqual([
      'worker-crash',
      'server-restart',
      'vendor-storm',
      'duplicate-deliveries',
      'vendor-timeouts',
      'all-together',
    ]);
    // Work was done under every fault: each wave added workflows.
    expect(result.rows.every((row, i) => i === 0 || row.workflows > result.rows[i - 1]!.workflows)).toBe(
      true,
    );
    expect(result.problems, result.problems.join('\n')).toEqual([]);
  });
});

if (!CLI)
  describe('the fault-injection run (quick)', () => {
    it.skip('needs the Temporal CLI: TEMPORAL_CLI_PATH is not set (run through scripts/with-tools.sh)', () => {});
  });
