import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Most test time is waiting (bundles talking to the sandbox, SDK backoff), not CPU: run more files at once
    // than there are cores (vitest's default is cores - 1, a single file at a time on two cores).
    maxWorkers: Math.max(4, availableParallelism()),
    // Generous: a test that spawns bundles must pass on a machine four times slower than a quiet one (the suite
    // run twice at once on two cores). Tests never assert on elapsed time; a real hang still fails.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The default reporter; the slowest tests and files (SLOW_TESTS=N, 0 for none); then one plain
    // "N passed, N failed" line, last, that CI tooling reads in any language.
    reporters: ['default', './test/helpers/slow-tests-reporter.ts', './test/helpers/summary-line-reporter.ts'],
  },
});
