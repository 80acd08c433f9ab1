import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The fault-injection run starts a whole stack of its own (dev server, workers, gateway,
 * sandbox) and keeps both cores busy for minutes: it runs alone, after every other suite, so
 * that neither slows the other past its timeouts.
 */
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
          exclude: [...configDefaults.exclude, ...WHOLE_STACK_SUITES],
        },
      },
      {
        extends: true,
        test: { name: 'whole-stack', include: WHOLE_STACK_SUITES, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
