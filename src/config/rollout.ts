/**
 * Rollout settings, resolved: the strategy, bake time and alarm thresholds a function's traffic shift runs with
 * (environment keys, then the function's own, then the defaults), and the alarms that guard it. Pure.
 *
 * The alarms are defined here once: terraform creates them (terraform/constructs/observability.ts) and the
 * traffic-shift action watches them by the names of the naming module, so the two cannot disagree on what guards
 * a shift.
 */
import type { FunctionNames } from './naming.js';
import type { RawRollout, RolloutStrategy } from './schema.js';

export type Strategy =
  | { kind: 'all-at-once' }
  | { kind: 'canary'; percent: number; minutes: number }
  | { kind: 'linear'; percent: number; everyMinutes: number };

export interface RolloutAlarmThresholds {
  errors: number;
  throttles: number;
  /** No duration alarm when undefined. */
  p99DurationMs?: number;
  periodSeconds: number;
  evaluationPeriods: number;
}

export interface Rollout {
  strategy: Strategy;
  /** Minutes the alarms are still watched at 100% before the shift succeeds. */
  bakeMinutes: number;
  alarms: RolloutAlarmThresholds;
}

export const DEFAULT_CANARY: Strategy = { kind: 'canary', percent: 10, minutes: 5 };
export const ROLLOUT_DEFAULTS = { bakeMinutes: 5, alarms: { errors: 1, throttles: 1, periodSeconds: 60, evaluationPeriods: 1 } } as const;

/**
 * The longest a shift may take, steps and bake together: the deploy job's role session lasts two hours
 * (github-oidc.ts, maxSessionDuration 7200), and a shift that outlived its credentials could not roll back.
 */
export const MAX_ROLLOUT_MINUTES = 120;

/**
 * The default strategy: all at once in the first environment of the promotion order (dev: fast feedback, and
 * terraform keeps moving the alias there), a 10% canary for 5 minutes in every later one: the last (prod), and
 * those between, which rehearse the rollout prod will get.
 */
export function defaultStrategy(first: boolean): Strategy {
  return first ? { kind: 'all-at-once' } : DEFAULT_CANARY;
}

/** Environment keys, then the function's own over them, then the defaults. */
export function resolveRollout(environment: RawRollout | undefined, fn: RawRollout | undefined, first: boolean): Rollout {
  const strategy = fn?.strategy ?? environment?.strategy;
  const { p99DurationMs, ...alarms } = { ...ROLLOUT_DEFAULTS.alarms, ...definedOnly(environment?.alarms), ...definedOnly(fn?.alarms) };
  return {
    strategy: strategy === undefined ? defaultStrategy(first) : strategyOf(strategy),
    bakeMinutes: fn?.bakeMinutes ?? environment?.bakeMinutes ?? ROLLOUT_DEFAULTS.bakeMinutes,
    alarms: { ...alarms, ...(p99DurationMs === undefined ? {} : { p99DurationMs }) },
  };
}

function strategyOf(raw: RolloutStrategy): Strategy {
  if (raw === 'all-at-once') return { kind: 'all-at-once' };
  if (raw.canary !== undefined) return { kind: 'canary', ...raw.canary };
  if (raw.linear !== undefined) return { kind: 'linear', ...raw.linear };
  throw new Error('a rollout strategy is all-at-once, canary or linear (the schema checks it)');
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, item]) => item !== undefined)) as Partial<T>;
}

/** Whether the traffic-shift action moves the alias (canary, linear) rather than terraform (all at once). */
export function isProgressive(rollout: Pick<Rollout, 'strategy'>): boolean {
  return rollout.strategy.kind !== 'all-at-once';
}

/** The shares of traffic the new version gets, step by step, in percent; the last is always 100. */
export function stepPercents(strategy: Strategy): number[] {
  switch (strategy.kind) {
    case 'all-at-once':
      return [100];
    case 'canary':
      return [strategy.percent, 100];
    case 'linear': {
      const steps: number[] = [];
      for (let share = strategy.percent; share < 100; share += strategy.percent) steps.push(share);
      return [...steps, 100];
    }
  }
}

/** How long each step below 100% is held, as configured (the alarms' window may hold it longer: {@link alarmWindowMinutes}). */
export function stepMinutes(strategy: Strategy): number {
  return strategy.kind === 'canary' ? strategy.minutes : strategy.kind === 'linear' ? strategy.everyMinutes : 0;
}

/** The time an alarm needs after a change before its OK says anything about it: its period times its evaluation periods. */
export function alarmWindowMinutes(alarms: RolloutAlarmThresholds): number {
  return (alarms.periodSeconds * alarms.evaluationPeriods) / 60;
}

/**
 * The least time a shift takes, near enough: every step held its time or the alarms' window, whichever is longer,
 * then the bake. The window counts from the alarms' first whole period after the write (src/shift/plan.ts,
 * `holdUntil`): a step held for the window ends on a period boundary, the next is written just after it and held
 * the window and nearly a period more, counted here as a whole period more.
 */
export function rolloutMinutes(rollout: Rollout): number {
  if (!isProgressive(rollout)) return 0;
  const window = alarmWindowMinutes(rollout.alarms) + rollout.alarms.periodSeconds / 60;
  const below100 = stepPercents(rollout.strategy).length - 1;
  return below100 * Math.max(stepMinutes(rollout.strategy), window) + Math.max(rollout.bakeMinutes, window);
}

/** Why the rollout cannot run, in the config file's words; undefined when it can. */
export function rolloutProblem(rollout: Rollout): string | undefined {
  const minutes = rolloutMinutes(rollout);
  if (minutes <= MAX_ROLLOUT_MINUTES) return undefined;
  return `${describeStrategy(rollout.strategy)} with ${rollout.bakeMinutes} minutes' bake takes at least ${formatMinutes(minutes)}; a shift must end within ${MAX_ROLLOUT_MINUTES} minutes (the deploy role's session): take bigger or shorter steps, or bake less`;
}

/** `canary 10% for 5 min`, `linear +10% every 1 min`, `all at once`. */
export function describeStrategy(strategy: Strategy): string {
  switch (strategy.kind) {
    case 'all-at-once':
      return 'all at once';
    case 'canary':
      return `canary ${strategy.percent}% for ${formatMinutes(strategy.minutes)}`;
    case 'linear':
      return `linear +${strategy.percent}% every ${formatMinutes(strategy.everyMinutes)}`;
  }
}

function formatMinutes(minutes: number): string {
  return `${Math.round(minutes * 10) / 10} min`;
}

// ---- the guarding alarms -------------------------------------------------------------------------------------

export interface GuardAlarm {
  name: string;
  description: string;
  metricName: 'Errors' | 'Throttles' | 'Duration';
  /** `Sum` for counts; the duration alarm uses the extended statistic p99. */
  statistic?: 'Sum';
  extendedStatistic?: 'p99';
  threshold: number;
  comparisonOperator: 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';
  periodSeconds: number;
  evaluationPeriods: number;
}

/**
 * The alarms that guard a function's shift, none for a function deployed all at once: errors, throttles and,
 * when configured, p99 duration of the new version behind the alias ({@link guardAlarmDimensions}). Missing data
 * (no traffic yet) is not breaching.
 */
export function guardAlarms(fn: FunctionNames, rollout: Rollout): GuardAlarm[] {
  if (!isProgressive(rollout)) return [];
  const { alarms } = rollout;
  const period = alarms.evaluationPeriods === 1 ? `${alarms.periodSeconds} s` : `${alarms.evaluationPeriods} periods of ${alarms.periodSeconds} s`;
  const base = { periodSeconds: alarms.periodSeconds, evaluationPeriods: alarms.evaluationPeriods };
  const guards: GuardAlarm[] = [
    {
      ...base,
      name: fn.shiftAlarms.errors,
      description: `${fn.functionName}:${fn.alias}, new version: ${alarms.errors} or more errors in ${period}; rolls a traffic shift back`,
      metricName: 'Errors',
      statistic: 'Sum',
      threshold: alarms.errors,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
    },
    {
      ...base,
      name: fn.shiftAlarms.throttles,
      description: `${fn.functionName}:${fn.alias}, new version: ${alarms.throttles} or more throttled invocations in ${period}; rolls a traffic shift back`,
      metricName: 'Throttles',
      statistic: 'Sum',
      threshold: alarms.throttles,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
    },
  ];
  if (alarms.p99DurationMs !== undefined) {
    guards.push({
      ...base,
      name: fn.shiftAlarms.p99Duration,
      description: `${fn.functionName}:${fn.alias}, new version: p99 duration above ${alarms.p99DurationMs} ms in ${period}; rolls a traffic shift back`,
      metricName: 'Duration',
      extendedStatistic: 'p99',
      threshold: alarms.p99DurationMs,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }
  return guards;
}

/** The dimension of the guarding alarms that names the version they watch. */
export const EXECUTED_VERSION = 'ExecutedVersion';

/**
 * Lambda's metrics of invocations through an alias, per version that ran them: FunctionName, Resource
 * `<function>:<alias>` and ExecutedVersion (Lambda developer guide, "Types of metrics for Lambda functions",
 * dimensions; the alarms of AWS SAM's safe deployments use the same three).
 */
export function guardAlarmDimensions(fn: Pick<FunctionNames, 'functionName' | 'alias'>, version: string): Record<string, string> {
  return { FunctionName: fn.functionName, Resource: `${fn.functionName}:${fn.alias}`, [EXECUTED_VERSION]: version };
}
