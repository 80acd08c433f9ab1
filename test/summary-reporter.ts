/**
 * Ends a run with one plain line, `N passed, N failed, N skipped`, that any CI system can read,
 * after a line naming the contract tests against real accounts that were not run.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const liveSkipped = new Map<string, number>();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
        // The contract suites name their skipped live blocks `<vendor> contract [live] skipped: …`.
        const live = /^(\w+) contract \[live\] skipped/.exec(test.fullName);
        if (live && state !== 'passed' && state !== 'failed')
          liveSkipped.set(live[1]!, (liveSkipped.get(live[1]!) ?? 0) + 1);
      }
      // A file that failed to load has no tests to count, but it is a failure all the same.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    if (liveSkipped.size > 0) {
      const counts = [...liveSkipped].map(([vendor, n]) => `${n} ${vendor}`).join(', ');
      process.stdout.write(
        `\ncontract tests against real accounts not run (${counts}): set PRODOPS_CONTRACT=${[...liveSkipped.keys()].join(',')} with their credentials (README, Development)\n`,
      );
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
