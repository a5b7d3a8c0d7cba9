/**
 * The traffic shift's pure parts: the rollout config (defaults by place in the promotion order, overrides,
 * one-line errors), the steps of each strategy, where a run starts or resumes, when the guarding alarms may be
 * trusted, the alarms' definitions, the inputs, and the report (summary, timeline chart, failure line).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { guardAlarmDimensions, guardAlarms, MAX_ROLLOUT_MINUTES, type Rollout, rolloutMinutes } from '../src/config/rollout.js';
import { parseInputs } from '../src/definition/define.js';
import { trafficShift } from '../src/definitions/traffic-shift.js';
import { cliInputSource } from '../src/inputs.js';
import {
  type AlarmStatus,
  alarmProblems,
  describeRouting,
  holdUntil,
  judge,
  missingAlarms,
  planSteps,
  routingFor,
  type Step,
  startingPoint,
} from '../src/shift/plan.js';
import { failureMessage, renderShiftMarkdown, type ShiftReport, stepsOutput } from '../src/shift/report.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';

const MINUTE = 60_000;
const parse = (text: string) => parseConfig(text, EXAMPLE_CONFIG_FILE);
const rolloutOf = (text: string, env: string, fn?: string) => {
  const environment = parse(text).environments.get(env)!;
  return fn === undefined ? environment.rollout : environment.functions.find((candidate) => candidate.name === fn)!.rollout;
};
const canary = (percent: number, minutes: number, bakeMinutes = 5): Rollout => ({
  strategy: { kind: 'canary', percent, minutes },
  bakeMinutes,
  alarms: { errors: 1, throttles: 1, periodSeconds: 60, evaluationPeriods: 1 },
});

describe('rollout config', () => {
  it('defaults to all at once in the first environment and a 10% canary for 5 minutes in every later one', () => {
    const config = parse(EXAMPLE_CONFIG);
    const defaults = { bakeMinutes: 5, alarms: { errors: 1, throttles: 1, periodSeconds: 60, evaluationPeriods: 1 } };
    expect(config.environments.get('dev')!.rollout).toEqual({ strategy: { kind: 'all-at-once' }, ...defaults });
    // qa sits between dev and prod: it rehearses the rollout prod gets.
    expect(config.environments.get('qa')!.rollout).toEqual({ strategy: { kind: 'canary', percent: 10, minutes: 5 }, ...defaults });
    expect(config.environments.get('prod')!.rollout).toEqual({ strategy: { kind: 'canary', percent: 10, minutes: 5 }, ...defaults });
    // Each function inherits its environment's.
    expect(config.environments.get('prod')!.functions.map((fn) => fn.rollout)).toEqual([
      config.environments.get('prod')!.rollout,
      config.environments.get('prod')!.rollout,
    ]);
  });

  it("takes the environment's keys, and a function's own keys over them", () => {
    const text = exampleWith(
      '    tags:\n      cost-center: platform',
      [
        '    tags:',
        '      cost-center: platform',
        '    rollout:',
        '      strategy: { linear: { percent: 20, everyMinutes: 2 } }',
        '      bakeMinutes: 10',
        '      alarms: { errors: 3, p99DurationMs: 800, evaluationPeriods: 2 }',
      ].join('\n'),
    ).replace(
      '      - *worker\n    prune: { keep: 10 }',
      '      - <<: *worker\n        rollout: { strategy: { canary: {} }, alarms: { errors: 5 } }\n    prune: { keep: 10 }',
    );
    expect(rolloutOf(text, 'prod')).toEqual({
      strategy: { kind: 'linear', percent: 20, everyMinutes: 2 },
      bakeMinutes: 10,
      alarms: { errors: 3, throttles: 1, p99DurationMs: 800, periodSeconds: 60, evaluationPeriods: 2 },
    });
    expect(rolloutOf(text, 'prod', 'router')).toEqual(rolloutOf(text, 'prod'));
    expect(rolloutOf(text, 'prod', 'worker')).toEqual({
      strategy: { kind: 'canary', percent: 10, minutes: 5 },
      bakeMinutes: 10,
      alarms: { errors: 5, throttles: 1, p99DurationMs: 800, periodSeconds: 60, evaluationPeriods: 2 },
    });
    // An explicit all-at-once in a later environment, and a progressive one in the first.
    expect(rolloutOf(exampleWith('    prune: { keep: 5 }', '    prune: { keep: 5 }\n    rollout: { strategy: all-at-once }'), 'qa').strategy).toEqual({
      kind: 'all-at-once',
    });
    expect(
      rolloutOf(exampleWith('    prune: { keep: 3 }', '    prune: { keep: 3 }\n    rollout: { strategy: { canary: { percent: 50 } } }'), 'dev'),
    ).toMatchObject({
      strategy: { kind: 'canary', percent: 50, minutes: 5 },
    });
  });

  const inProd = (rollout: string) => exampleWith('    prune: { keep: 10 }', `    prune: { keep: 10 }\n    rollout: ${rollout}`);
  it.each([
    [
      inProd('{ strategy: canry }'),
      'environments.prod.rollout.strategy: expected all-at-once, { canary: { percent: 10, minutes: 5 } } or { linear: { percent: 10, everyMinutes: 1 } }',
    ],
    [
      inProd('{ strategy: { canary: { percent: 10 }, linear: { percent: 10 } } }'),
      'environments.prod.rollout.strategy: expected exactly one of canary or linear',
    ],
    [inProd('{ strategy: { canary: { percent: 100, minutes: 5 } } }'), 'environments.prod.rollout.strategy.canary.percent: expected at most 99, got 100'],
    [inProd('{ strategy: { linear: { percent: 0 } } }'), 'environments.prod.rollout.strategy.linear.percent: expected at least 1, got 0'],
    [inProd('{ strategy: { blue: {} } }'), 'environments.prod.rollout.strategy'],
    [inProd('{ bakeMinutes: -1 }'), 'environments.prod.rollout.bakeMinutes: expected at least 0, got -1'],
    [inProd('{ alarms: { periodSeconds: 90 } }'), 'environments.prod.rollout.alarms.periodSeconds: expected a multiple of 60 seconds'],
    [inProd('{ alarms: { errors: 0 } }'), 'environments.prod.rollout.alarms.errors: expected at least 1, got 0'],
    [
      inProd('{ alarms: { p99: 100 } }'),
      'environments.prod.rollout.alarms.p99: unknown key "p99"; expected one of errors, throttles, p99DurationMs, periodSeconds, evaluationPeriods',
    ],
    [
      inProd('{ strategy: { linear: { percent: 1, everyMinutes: 5 } } }'),
      `environments.prod.rollout: linear +1% every 5 min with 5 minutes' bake takes at least 500 min; a shift must end within ${MAX_ROLLOUT_MINUTES} minutes (the deploy role's session): take bigger or shorter steps, or bake less`,
    ],
    [
      exampleWith('      - *worker\n    prune: { keep: 10 }', '      - <<: *worker\n        rollout: { bakeMinutes: 120 }\n    prune: { keep: 10 }'),
      "environments.prod.functions.1.rollout: canary 10% for 5 min with 120 minutes' bake takes at least 125 min",
    ],
  ])('refuses a bad rollout with one line naming the key (%#)', (text, message) => {
    let error: Error | undefined;
    try {
      parse(text);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toContain(message);
    expect(error?.message).toMatch(/^\S+gantry\.yml:\d+:\d+: /);
    expect(error?.message.split('\n')).toHaveLength(1);
  });

  it("counts each step's time or the alarms' window, whichever is longer, and the bake", () => {
    expect(rolloutMinutes(canary(10, 5))).toBe(10);
    // The window (3 periods of 60 s) counts from the first whole period after the write: one period more.
    expect(rolloutMinutes({ ...canary(10, 1, 0), alarms: { ...canary(10, 1).alarms, evaluationPeriods: 3 } })).toBe(8);
    expect(rolloutMinutes({ ...canary(10, 5), strategy: { kind: 'linear', percent: 25, everyMinutes: 2 } })).toBe(3 * 2 + 5);
    expect(rolloutMinutes({ ...canary(10, 5), strategy: { kind: 'all-at-once' } })).toBe(0);
  });
});

describe('guarding alarms', () => {
  const prod = parse(EXAMPLE_CONFIG).environments.get('prod')!;
  const router = prod.names.functions[0]!;

  it('errors and throttles of the new version behind the alias, p99 duration when configured, none all at once', () => {
    expect(guardAlarms(router, canary(10, 5))).toEqual([
      {
        name: 'orders-prod-router-shift-errors',
        description: 'orders-prod-router:live, new version: 1 or more errors in 60 s; rolls a traffic shift back',
        metricName: 'Errors',
        statistic: 'Sum',
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        periodSeconds: 60,
        evaluationPeriods: 1,
      },
      expect.objectContaining({ name: 'orders-prod-router-shift-throttles', metricName: 'Throttles', statistic: 'Sum' }),
    ]);
    const p99 = guardAlarms(router, { ...canary(10, 5), alarms: { ...canary(10, 5).alarms, p99DurationMs: 900, evaluationPeriods: 2 } });
    expect(p99.at(-1)).toEqual(
      expect.objectContaining({
        name: 'orders-prod-router-shift-p99',
        metricName: 'Duration',
        extendedStatistic: 'p99',
        threshold: 900,
        comparisonOperator: 'GreaterThanThreshold',
        evaluationPeriods: 2,
        description: 'orders-prod-router:live, new version: p99 duration above 900 ms in 2 periods of 60 s; rolls a traffic shift back',
      }),
    );
    expect(guardAlarms(router, { ...canary(10, 5), strategy: { kind: 'all-at-once' } })).toEqual([]);
    expect(guardAlarmDimensions(router, '7')).toEqual({ FunctionName: 'orders-prod-router', Resource: 'orders-prod-router:live', ExecutedVersion: '7' });
  });
});

describe('steps', () => {
  it('canary: the share for its minutes, then 100% for the bake', () => {
    expect(planSteps(canary(10, 5))).toEqual([
      { number: 1, percent: 10, holdMs: 5 * MINUTE, final: false },
      { number: 2, percent: 100, holdMs: 5 * MINUTE, final: true },
    ]);
  });

  it('linear: the share added every step below 100%, then 100% for the bake', () => {
    const linear = (percent: number) => planSteps({ ...canary(10, 5, 3), strategy: { kind: 'linear', percent, everyMinutes: 2 } });
    expect(linear(10).map((step) => step.percent)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(linear(30).map((step) => [step.percent, step.holdMs])).toEqual([
      [30, 2 * MINUTE],
      [60, 2 * MINUTE],
      [90, 2 * MINUTE],
      [100, 3 * MINUTE],
    ]);
    expect(linear(50).map((step) => step.percent)).toEqual([50, 100]);
  });

  it('all at once: one step to 100%, no bake', () => {
    expect(planSteps({ ...canary(10, 5), strategy: { kind: 'all-at-once' } })).toEqual([{ number: 1, percent: 100, holdMs: 0, final: true }]);
  });

  it('writes the new version as additional weight until 100%, then as the primary with no weights', () => {
    expect(routingFor('6', '7', 10)).toEqual({ primary: '6', weights: { '7': 0.1 } });
    expect(routingFor('6', '7', 100)).toEqual({ primary: '7', weights: {} });
    expect(describeRouting({ primary: '6', weights: { '7': 0.1 } })).toBe('6 (90%), 7 (10%)');
  });
});

describe('where a run starts', () => {
  const steps = planSteps({ ...canary(10, 5), strategy: { kind: 'linear', percent: 20, everyMinutes: 1 } }); // 20 40 60 80 100
  const start = (primary: string, weights: Record<string, number> = {}, resume: 'continue' | 'rollback' = 'continue') =>
    startingPoint({ primary, weights }, '7', steps, resume);

  it('from the first step, with the alias on the stable version', () => {
    expect(start('6')).toEqual({ kind: 'shift', stable: '6', from: 0 });
  });

  it('nowhere when the alias already routes everything to the new version', () => {
    expect(start('7')).toEqual({ kind: 'done' });
    expect(start('7', { '6': 0 })).toEqual({ kind: 'done' });
  });

  it('at the step an earlier run reached, held again in full; or rolled back when asked', () => {
    expect(start('6', { '7': 0.4 })).toEqual({ kind: 'shift', stable: '6', from: 1, resumedAt: 40 });
    // Between two steps: the next one up, never a step below the share found.
    expect(start('6', { '7': 0.5 })).toEqual({ kind: 'shift', stable: '6', from: 2, resumedAt: 50 });
    expect(start('6', { '7': 0.95 })).toEqual({ kind: 'shift', stable: '6', from: 4, resumedAt: 95 });
    expect(start('6', { '7': 0.4 }, 'rollback')).toEqual({ kind: 'roll-back', stable: '6', percent: 40 });
  });

  it('refuses routing gantry did not write, saying what to do, and changes nothing', () => {
    expect(start('6', { '5': 0.1 })).toEqual({
      kind: 'refuse',
      problem:
        'routes 6 (90%), 5 (10%): weight on version 5, not on 7, the version to shift to; finish or undo that routing (aws lambda update-alias) and run again',
    });
    expect(start('7', { '6': 0.3 })).toMatchObject({ kind: 'refuse', problem: expect.stringContaining('version 7 is already its primary') });
    expect(start('$LATEST')).toMatchObject({ kind: 'refuse', problem: expect.stringContaining('routes to $LATEST, not a published version') });
  });
});

describe('alarms', () => {
  const step: Step = { number: 1, percent: 10, holdMs: 5 * MINUTE, final: false };
  const alarm = (name: string, state: AlarmStatus['state'], windowMs = MINUTE, executedVersion = '7'): AlarmStatus => ({
    name,
    state,
    reason: `${name} is ${state}`,
    windowMs,
    executedVersion,
  });
  const names = ['errors', 'throttles'];

  it('roll back as soon as one is ALARM, whatever the time', () => {
    const verdict = judge(step, 0, names, { at: 1, alarms: [alarm('errors', 'OK'), alarm('throttles', 'ALARM')] });
    expect(verdict).toEqual({ kind: 'roll-back', alarm: alarm('throttles', 'ALARM') });
  });

  it("trust an OK only after the step's hold and each alarm's window (period × evaluation periods)", () => {
    const ok = [alarm('errors', 'OK'), alarm('throttles', 'OK')];
    expect(judge(step, 1000, names, { at: 1000 + 5 * MINUTE - 1, alarms: ok })).toEqual({ kind: 'hold', until: 1000 + 5 * MINUTE });
    expect(judge(step, 1000, names, { at: 1000 + 5 * MINUTE, alarms: ok })).toEqual({ kind: 'pass', noData: [] });
    const slow = [alarm('errors', 'OK', 10 * MINUTE), alarm('throttles', 'INSUFFICIENT_DATA')];
    expect(holdUntil(step, 0, slow)).toBe(10 * MINUTE);
    expect(judge(step, 0, names, { at: 6 * MINUTE, alarms: slow })).toEqual({ kind: 'hold', until: 10 * MINUTE });
    expect(judge(step, 0, names, { at: 10 * MINUTE, alarms: slow })).toEqual({ kind: 'pass', noData: ['throttles'] });
    // Only the function's own alarms count.
    expect(judge(step, 0, ['errors'], { at: 10 * MINUTE, alarms: [alarm('errors', 'OK'), alarm('other', 'ALARM')] })).toEqual({ kind: 'pass', noData: [] });
  });

  it('must exist, watch the version to shift to and not be ALARM already, or nothing starts', () => {
    expect(alarmProblems(names, [alarm('errors', 'OK'), alarm('throttles', 'OK')], '7', false)).toEqual([]);
    expect(alarmProblems(names, [alarm('errors', 'ALARM'), alarm('throttles', 'OK', MINUTE, '6')], '7', false)).toEqual([
      'alarm errors is already ALARM (errors is ALARM): wait until it is OK, or fix what it reports',
      'alarm throttles watches version 6, not 7: apply the stack that published version 7 first',
    ]);
    expect(alarmProblems(names, [alarm('errors', 'OK')], '7', false)).toEqual([
      "alarm throttles does not exist: apply the environment's stack first (terraform/ creates the guarding alarms)",
    ]);
    // A run that resumes rolls back on an ALARM instead (run.ts).
    expect(alarmProblems(names, [alarm('errors', 'ALARM'), alarm('throttles', 'OK')], '7', true)).toEqual([]);
  });

  it('one deleted during a shift is missing: the shift can no longer be watched (run.ts rolls back)', () => {
    expect(missingAlarms(names, [alarm('errors', 'OK')])).toEqual(['throttles']);
    expect(missingAlarms(names, [alarm('errors', 'OK'), alarm('throttles', 'OK')])).toEqual([]);
  });
});

describe('traffic-shift inputs', () => {
  const parseShift = (values: Record<string, string>) => parseInputs(trafficShift, cliInputSource(values), {}, 'cli');

  it('shifts every function of the environment, continues a shift left part-way, reads the alarms every 10 s', () => {
    expect(parseShift({ environment: 'prod' })).toEqual({
      target: { configFile: '.github/gantry.yml', environment: 'prod' },
      functions: [],
      resume: 'continue',
      pollMs: 10_000,
    });
    expect(parseShift({ environment: 'prod', functions: 'router, router\norders-prod-worker', resume: 'rollback', 'poll-seconds': '2.5' })).toEqual({
      target: { configFile: '.github/gantry.yml', environment: 'prod' },
      functions: ['router', 'orders-prod-worker'],
      resume: 'rollback',
      pollMs: 2_500,
    });
  });

  it.each([
    [{}, 'option --environment: is required'],
    [{ environment: 'prod', resume: 'restart' }, 'option --resume: must be one of continue, rollback, got "restart"'],
    [{ environment: 'prod', 'poll-seconds': '0' }, 'option --poll-seconds: must be a number of seconds from 1 to 60, got "0"'],
    [{ environment: 'prod', 'poll-seconds': '61' }, 'option --poll-seconds: must be a number of seconds from 1 to 60, got "61"'],
    [{ environment: 'prod', functions: 'router:live' }, 'option --functions: "router:live" is not a function'],
  ])('refuses %j with one line naming the input', (values, message) => {
    expect(() => parseShift(values as Record<string, string>)).toThrow(message);
  });
});

describe('report', () => {
  const report: ShiftReport = {
    environment: 'prod',
    outcome: 'rolled-back',
    reason: 'alarm orders-prod-router-shift-errors is ALARM at step 1 of 2 of orders-prod-router (10% on version 7): Threshold Crossed | 1 datapoint',
    totalMs: 95_000,
    functions: [
      {
        function: 'orders-prod-router',
        name: 'router',
        alias: 'live',
        stable: '6',
        version: '7',
        strategy: 'canary 10% for 5 min',
        steps: [10, 100],
        stepReached: 1,
        percent: 0,
        outcome: 'rolled-back',
        alarms: ['orders-prod-router-shift-errors'],
        smoke: { invocations: 5, failed: 0 },
        decisions: [
          { atMs: 1_000, step: 1, percent: 10, decision: 'shift', detail: '10% to version 7; hold 5 min' },
          { atMs: 95_000, step: 1, percent: 0, decision: 'roll back', detail: 'from 10% back to version 6' },
        ],
        timeline: [
          { atMs: 0, percent: 0, errors: 0 },
          { atMs: 1_000, percent: 10, errors: 0 },
          { atMs: 94_000, percent: 10, errors: 1 },
          { atMs: 95_000, percent: 0, errors: 1 },
        ],
      },
      {
        function: 'orders-prod-worker',
        name: 'worker',
        alias: 'live',
        version: '7',
        strategy: 'canary 10% for 5 min',
        steps: [10, 100],
        stepReached: 0,
        percent: 100,
        outcome: 'already-complete',
        alarms: [],
        smoke: { invocations: 0, failed: 0 },
        decisions: [{ atMs: 0, step: 0, percent: 100, decision: 'unchanged', detail: 'already on version 7' }],
        timeline: [{ atMs: 0, percent: 100, errors: 0 }],
      },
    ],
  };

  it('one failure line naming the reason and where each alias is', () => {
    expect(failureMessage(report)).toBe(
      'traffic shift rolled back in prod: alarm orders-prod-router-shift-errors is ALARM at step 1 of 2 of orders-prod-router (10% on version 7): Threshold Crossed | 1 datapoint; on the stable versions again: orders-prod-router 6',
    );
  });

  it('the summary: a table, the decision at each step, a timeline of traffic and errors', () => {
    const markdown = renderShiftMarkdown(report);
    expect(markdown).toContain('### Traffic shift: prod');
    expect(markdown).toContain(':x: rolled back after 1.6 min: alarm orders-prod-router-shift-errors is ALARM at step 1 of 2');
    expect(markdown).toContain('| `orders-prod-router` | live | 6 → 7 | canary 10% for 5 min | 1 of 2 | 0% | rolled-back | 5/5 |');
    expect(markdown).toContain('| `orders-prod-worker` | live | 7 | canary 10% for 5 min | 0 of 2 | 100% | already-complete | — |');
    expect(markdown).toContain('| 0:01 | 1 | 10% | shift | 10% to version 7; hold 5 min |');
    expect(markdown).toContain('| 1:35 | 1 | 0% | roll back | from 10% back to version 6 |');
    expect(markdown).toContain(
      [
        '```mermaid',
        'xychart-beta',
        '  title "router: traffic to version 7 (line, %) and errors (bars: failed smoke invocations, alarms in ALARM)"',
        '  x-axis "time (m:ss)" ["0:00", "0:01", "1:34", "1:35"]',
        '  y-axis "% / errors" 0 --> 100',
        '  bar [0, 0, 1, 1]',
        '  line [0, 10, 10, 0]',
        '```',
      ].join('\n'),
    );
    // The function already on its new version gets no section of its own.
    expect(markdown).not.toContain('#### worker');
    // The steps output: per function, without the timeline.
    const steps = JSON.parse(stepsOutput(report)) as Array<Record<string, unknown>>;
    expect(steps.map((fn) => [fn.function, fn.stepReached, fn.outcome])).toEqual([
      ['orders-prod-router', 1, 'rolled-back'],
      ['orders-prod-worker', 0, 'already-complete'],
    ]);
    expect(steps[0]).not.toHaveProperty('timeline');
  });
});
