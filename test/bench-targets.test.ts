/**
 * The bench's check (scripts/bench/targets.ts): figures in, verdicts out. `npm run bench -- --check` exits 1
 * naming each figure that misses its target; these tests feed it figures, missed and met, and read what it says.
 * No timing: the figures are given.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FOLLOW_TARGETS } from '../scripts/bench/codebuild-follow.js';
import { checkFigures, type Figure, formatCheck, formatTarget, formatTargets, meets, TARGETS, target } from '../scripts/bench/targets.js';

const figure = (id: Figure['id'], value: number | undefined, clock = 1, run = 'run'): Figure => ({ id, run, clock, value });

describe('bench targets: one table', () => {
  it('states each target once, with how to read it and who set it', () => {
    const ids = TARGETS.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of TARGETS) {
      expect(t.description).not.toBe('');
      expect(t.read).not.toBe('');
      expect(t.source).toMatch(/^issue \d+/);
    }
    expect(formatTargets().split('\n')).toHaveLength(TARGETS.length + 2);
  });

  it('is the table docs/benchmarks.md prints', () => {
    expect(readFileSync(new URL('../docs/benchmarks.md', import.meta.url), 'utf8')).toContain(formatTargets());
  });

  it("is what the follow benchmark compares against (issue 15's targets, not moved)", () => {
    expect(FOLLOW_TARGETS).toEqual({ p95Ms: 1_500, logCalls: 2, finishLagMs: 1_000 });
    expect(formatTarget(target('follow.p95'))).toBe('≤ 1.50 s');
    expect(formatTarget(target('warmup.fleet'))).toBe('≤ ×1.10');
    expect(formatTarget(target('prune.protected-deleted'))).toBe('= 0 versions');
  });

  it('compares as the comparator says, the limit itself included only where it should be', () => {
    expect(meets(1.5, { comparator: '<=', limit: 1.5 })).toBe(true);
    expect(meets(1.51, { comparator: '<=', limit: 1.5 })).toBe(false);
    expect(meets(1, { comparator: '<', limit: 1 })).toBe(false);
    expect(meets(0.99, { comparator: '<', limit: 1 })).toBe(true);
    expect(meets(0, { comparator: '==', limit: 0 })).toBe(true);
    expect(meets(1, { comparator: '==', limit: 0 })).toBe(false);
  });
});

describe('bench --check', () => {
  it('passes, exit 0, when every figure meets its target', () => {
    const result = checkFigures([figure('prune.quota', 1.04, 20, '40×60'), figure('prune.quota', 1.01, 1, '8×40'), figure('prune.protected-deleted', 0)]);
    expect(result.missed).toEqual([]);
    const { text, exitCode } = formatCheck(result);
    expect(exitCode).toBe(0);
    expect(text.split('\n')[0]).toBe('bench --check: 3 of 3 figures meet their targets; 0 missed.');
  });

  it('fails, exit 1, naming each missed figure with its clock, its value and its target', () => {
    // The follow rows as a normal run measures them (issue 15's targets are not met yet), and a prune that missed.
    const result = checkFigures([
      figure('follow.p95', 1.94, 20, '5-min build'),
      figure('follow.p95', 1.9, 1, '1-min build'),
      figure('follow.log-calls', 3, 1, '1-min build'),
      figure('follow.finish-lag', 0.4, 1, '1-min build'),
      figure('prune.quota', 1.87, 20, '40×60'),
      figure('warmup.fleet', 1.05, 1, 'F=200'),
    ]);
    expect(result.missed.map((verdict) => [verdict.target.id, verdict.figure.clock])).toEqual([
      ['follow.p95', 20],
      ['follow.p95', 1],
      ['follow.log-calls', 1],
      ['prune.quota', 20],
    ]);
    const { text, exitCode } = formatCheck(result);
    expect(exitCode).toBe(1);
    expect(text.split('\n')).toEqual([
      'bench --check: 2 of 6 figures meet their targets; 4 missed.',
      'Missed:',
      '  follow.p95 (codebuild-run Live Tail: log latency p95 from ingestion, build time; 5-min build, clock ×20 (fast)): 1.94 s, target ≤ 1.50 s',
      '  follow.p95 (codebuild-run Live Tail: log latency p95 from ingestion, build time; 1-min build, clock ×1): 1.90 s, target ≤ 1.50 s',
      '  follow.log-calls (codebuild-run Live Tail: log calls per build, reconnects aside; 1-min build, clock ×1): 3 calls, target ≤ 2 calls',
      '  prune.quota (version-prune: wall ÷ quota bound; 40×60, clock ×20 (fast)): ×1.87, target ≤ ×1.10',
      `Not run: ${TARGETS.map((t) => t.id)
        .filter((id) => !['follow.p95', 'follow.log-calls', 'follow.finish-lag', 'prune.quota', 'warmup.fleet'].includes(id))
        .join(', ')}`,
    ]);
  });

  it('reports a figure it could not measure without failing on it, and a figure that is NaN as not measured', () => {
    const result = checkFigures([
      { id: 'cold-start.wall', run: 'slowest action', clock: 1, value: undefined, why: 'GANTRY_BENCH_OFFICIAL_BUNDLE is not set' },
      figure('warmup.slowest', Number.NaN, 20, 'F=1'),
    ]);
    expect(result.missed).toEqual([]);
    const { text, exitCode } = formatCheck(result);
    expect(exitCode).toBe(0);
    expect(text).toContain(
      '  cold-start.wall (actions: cold start to the missing-input error, slowest action ÷ official CodeBuild action; slowest action, clock ×1): not measured: GANTRY_BENCH_OFFICIAL_BUNDLE is not set',
    );
    expect(text).toContain('2 not measured');
  });

  it('refuses a figure for a target the table does not have', () => {
    expect(() => checkFigures([{ id: 'no.such' as Figure['id'], run: 'x', clock: 1, value: 1 }])).toThrow('figure for an unknown target: no.such');
  });
});
