import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The default reporter, plus one plain "N passed, N failed" line that CI tooling reads in any language.
    reporters: ['default', './test/helpers/summary-line-reporter.ts'],
  },
});
