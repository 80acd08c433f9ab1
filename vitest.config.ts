import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Suites that run long on the server's clock or on a schedule's, and stalled past their timeouts
 * beside the others on 2 cores, run after every other suite: a release re-planned 100 times, a
 * year of renewals, and the metrics schedule. The fault-injection run comes last, alone: it
 * starts a whole stack of its own (dev server, workers, gateway, sandbox).
 */
const LONG_HISTORY_SUITES = [
  'test/workflows/release/long-history.workflow.test.ts',
  'test/workflows/renewal/renewal-changes.workflow.test.ts',
  'test/workflows/metrics/metrics.schedule.test.ts',
];
const WHOLE_STACK_SUITES = ['test/bench/chaos.test.ts'];

export default defineConfig({
  test: {
    // Temporal environments are heavy: suites run in separate forks, a few at a time on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
    setupFiles: ['test/setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suites',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...LONG_HISTORY_SUITES, ...WHOLE_STACK_SUITES],
        },
      },
      {
        extends: true,
        test: { name: 'long-history', include: LONG_HISTORY_SUITES, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'whole-stack', include: WHOLE_STACK_SUITES, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
