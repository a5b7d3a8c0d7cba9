/**
 * The traffic-shift benchmark's figures (scripts/bench/traffic-shift.ts), apart from any run: calls by operation,
 * the worst rollback the check takes, the target it is checked against, and the detail it prints. No timing: the
 * figures are given.
 */
import { describe, expect, it } from 'vitest';
import { checkFigures, formatCheck, formatTarget, target } from '../scripts/bench/targets.js';
import { describeCalls, formatShiftFigures, type RollbackFigures, type ShiftCallFigures, totalCalls, worstRollback } from '../scripts/bench/traffic-shift.js';

const rollback = (ratio: number, speed = 20): RollbackFigures => ({
  speed,
  pollMs: 10_000,
  outcome: 'rolled-back',
  reason: 'alarm bench-prod-f-0-shift-errors is ALARM at step 1 of 2 of bench-prod-f-0 (10% on version 4): Threshold Crossed',
  alarm: 'bench-prod-f-0-shift-errors',
  latencyMs: ratio * 10_100,
  waitMs: ratio * 10_100 - 100,
  readMs: 50,
  decideMs: 10,
  updateAliasMs: 40,
  boundMs: 10_090,
  ratio,
  rollbackWrites: 1,
  users: { requests: 120, toNew: 12, failed: 12 },
  aliasAfter: { primary: '3', weights: {} },
  stable: '3',
  calls: { GetAlias: 1, ListVersionsByFunction: 1, DescribeAlarms: 4, Invoke: 5, UpdateAlias: 2 },
  realMs: 2_000,
  problems: [],
});

const canary: ShiftCallFigures = {
  name: 'canary 10% for 5 min, 5 min baked',
  functions: 2,
  speed: 60,
  steps: 2,
  outcome: 'complete',
  totalMs: 601_000,
  calls: { GetAlias: 2, ListVersionsByFunction: 2, DescribeAlarms: 61, Invoke: 30, UpdateAlias: 4 },
  throttled: 0,
  realMs: 10_000,
  problems: [],
};

describe('bench: traffic-shift figures', () => {
  it('lists the calls of a shift by operation, the shift’s own first, and adds them up', () => {
    expect(describeCalls(canary.calls)).toBe('UpdateAlias 4, GetAlias 2, ListVersionsByFunction 2, DescribeAlarms 61, Invoke 30');
    expect(describeCalls({ UpdateAlias: 1, GetFunction: 3 })).toBe(
      'UpdateAlias 1, GetAlias 0, ListVersionsByFunction 0, DescribeAlarms 0, Invoke 0, GetFunction 3',
    );
    expect(totalCalls(canary.calls)).toBe(99);
  });

  it('checks the worst rollback of a clock, a NaN (not measured) worst of all', () => {
    expect(worstRollback([rollback(0.4), rollback(0.93), rollback(0.1)])?.ratio).toBe(0.93);
    expect(worstRollback([rollback(0.4), rollback(Number.NaN)])?.ratio).toBeNaN();
    expect(worstRollback([rollback(Number.NaN), rollback(0.4)])?.ratio).toBeNaN();
    expect(worstRollback([])).toBeUndefined();
  });

  it('is held to one poll plus one UpdateAlias: a rollback later than that misses, named with its clock', () => {
    expect(formatTarget(target('shift.alarm-to-rollback'))).toBe('≤ ×1.00');
    expect(target('shift.alarm-to-rollback').source).toBe('issue 19');
    const result = checkFigures([
      { id: 'shift.alarm-to-rollback', run: 'F=1, poll 10 s, worst of 3', clock: 20, value: 0.62 },
      { id: 'shift.alarm-to-rollback', run: 'F=1, poll 10 s', clock: 1, value: 1.31 },
    ]);
    expect(result.missed.map((verdict) => verdict.figure.clock)).toEqual([1]);
    expect(formatCheck(result).text).toContain(
      'shift.alarm-to-rollback (traffic-shift: guarding alarm to rollback answered ÷ (one poll + one UpdateAlias); F=1, poll 10 s, clock ×1): ×1.31, target ≤ ×1.00',
    );
  });

  it('prints a row per shift and per rollback, and names a run that did not do what it should', () => {
    const text = formatShiftFigures({ complete: [canary], rollback: [rollback(0.5), { ...rollback(0.7, 1), problems: ['the alias routes 4'] }] });
    expect(text).toContain('| canary 10% for 5 min, 5 min baked | 2 | ×60 | 2 | complete | 10.0 min | 4 | 2 | 2 | 61 | 30 | 99 | 0 | 10.0 s |');
    expect(text).toContain('| ×20 | 5.05 s | 4.95 s | 0.05 s | 0.01 s | 0.04 s | 10.09 s | **×0.50** | 1 | 120 / 12 / 12 | 3 | 2.0 s |');
    expect(text).toContain('| ×1 | 7.07 s |');
    expect(text).toContain('**Runs that did not do what they should:** the alias routes 4');
  });
});
