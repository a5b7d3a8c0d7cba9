import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the slowest tests and test files at the end of a run: where the suite's time goes, so that a slow
 * test is noticed when it arrives. `SLOW_TESTS=N` shows N of each (default 10); `SLOW_TESTS=0` turns it off.
 */
export default class SlowTestsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = Number(process.env.SLOW_TESTS ?? 10);
    if (!(count > 0)) return;
    const tests: { name: string; ms: number }[] = [];
    const files: { name: string; ms: number }[] = [];
    for (const module of testModules) {
      const file = module.moduleId.replace(`${module.project.config.root}/`, '');
      files.push({ name: file, ms: module.diagnostic().duration });
      for (const test of module.children.allTests()) {
        const ms = test.diagnostic()?.duration;
        if (ms !== undefined) tests.push({ name: `${file} > ${test.fullName}`, ms });
      }
    }
    const top = (rows: { name: string; ms: number }[]) =>
      rows
        .sort((a, b) => b.ms - a.ms)
        .slice(0, count)
        .map((row) => `${(row.ms / 1000).toFixed(1).padStart(6)} s  ${row.name}`);
    process.stdout.write(['', `Slowest tests (SLOW_TESTS=${count}):`, ...top(tests), `Slowest files (wall time of each file):`, ...top(files), ''].join('\n'));
  }
}
