/**
 * The traffic shift's decisions, apart from any I/O: the steps of a strategy, where a run starts (or resumes)
 * given the alias as it finds it, whether the guarding alarms may be trusted yet and what they say, and whether
 * they allow the shift to start at all. Pure: the run (run.ts) reads Lambda and CloudWatch, asks these, and
 * does what they answer.
 *
 * How the alias looks while gantry shifts it: the stable version stays its primary version and the new one gets
 * `RoutingConfig.AdditionalVersionWeights { <new>: share }`, step by step; the step to 100% makes the new version
 * the primary and leaves no weights. So an alias with weights on the new version alone is a shift gantry left
 * part-way, and its weight says which step it reached.
 */
import { type Rollout, stepMinutes, stepPercents } from '../config/rollout.js';

export interface Step {
  /** 1-based, as the messages count. */
  number: number;
  /** The new version's share of the traffic, in percent. */
  percent: number;
  /** How long the step is held once written (the alarms' window may hold it longer: {@link holdUntil}). */
  holdMs: number;
  /** The step to 100%, held for the bake time. */
  final: boolean;
}

const MINUTE = 60_000;

/** The steps of a rollout: each share below 100% held its time, then 100% held the bake time (none all at once). */
export function planSteps(rollout: Rollout): Step[] {
  const percents = stepPercents(rollout.strategy);
  const progressive = rollout.strategy.kind !== 'all-at-once';
  return percents.map((percent, index) => {
    const final = index === percents.length - 1;
    const minutes = final ? (progressive ? rollout.bakeMinutes : 0) : stepMinutes(rollout.strategy);
    return { number: index + 1, percent, holdMs: minutes * MINUTE, final };
  });
}

/** An alias as Lambda reports it: its primary version, its additional version weights, its revision. */
export interface AliasRouting {
  primary: string;
  /** Version → share of the traffic (0 to 1). */
  weights: Record<string, number>;
  revisionId: string;
}

/** What an alias should route: `percent` of the traffic to `target`, the rest to `stable`. */
export function routingFor(stable: string, target: string, percent: number): Pick<AliasRouting, 'primary' | 'weights'> {
  return percent >= 100 ? { primary: target, weights: {} } : { primary: stable, weights: { [target]: percent / 100 } };
}

/** The share of a weight, in percent, to two decimals (weights are doubles: 0.1 is 10). */
export function percentOf(weight: number): number {
  return Math.round(weight * 10_000) / 100;
}

/** Where a run starts, given the alias as it finds it. */
export type Start =
  /** The alias already routes everything to the new version: nothing to shift. */
  | { kind: 'done' }
  /** Shift from step `from` (an index into the steps); `resumedAt` when a previous run left the alias at that share. */
  | { kind: 'shift'; stable: string; from: number; resumedAt?: number }
  /** A previous run left the alias part-way and the run was asked to roll back: back to `stable`. */
  | { kind: 'roll-back'; stable: string; percent: number }
  /** Gantry cannot tell what the alias is doing; the problem says what to do. Nothing is changed. */
  | { kind: 'refuse'; problem: string };

export type ResumeMode = 'continue' | 'rollback';

/**
 * Pure. The alias's primary version is the stable one; a shift that a previous run left part-way (weights on the
 * new version alone) continues from the first step at or above its share, which is held again in full (nobody
 * knows how long it was held before), or rolls back when `resume` says so. Weights on any other version are
 * someone else's routing: refused.
 */
export function startingPoint(alias: Pick<AliasRouting, 'primary' | 'weights'>, target: string, steps: Step[], resume: ResumeMode): Start {
  const weighted = Object.entries(alias.weights).filter(([, weight]) => weight > 0);
  const describe = () => describeRouting(alias);
  if (!NUMBERED.test(alias.primary)) {
    return {
      kind: 'refuse',
      problem: `routes to ${alias.primary || 'no version'}, not a published version; point it at one (aws lambda update-alias) and run again`,
    };
  }
  if (alias.primary === target) {
    if (weighted.length === 0) return { kind: 'done' };
    return {
      kind: 'refuse',
      problem: `routes ${describe()}: version ${target} is already its primary, with weights gantry never writes; set it to one version (aws lambda update-alias) and run again`,
    };
  }
  const others = weighted.filter(([version]) => version !== target);
  if (others.length > 0) {
    return {
      kind: 'refuse',
      problem: `routes ${describe()}: weight on version ${others.map(([version]) => version).join(', ')}, not on ${target}, the version to shift to; finish or undo that routing (aws lambda update-alias) and run again`,
    };
  }
  const shifted = weighted[0];
  if (shifted === undefined) return { kind: 'shift', stable: alias.primary, from: 0 };
  const percent = percentOf(shifted[1]);
  if (resume === 'rollback') return { kind: 'roll-back', stable: alias.primary, percent };
  // The first step at or above the share found; the 100% step when the share is above every other.
  const from = steps.findIndex((step) => step.percent >= percent - 1e-9);
  return { kind: 'shift', stable: alias.primary, from: from === -1 ? steps.length - 1 : from, resumedAt: percent };
}

const NUMBERED = /^\d+$/;

/** `6 (90%), 7 (10%)` or `6`. */
export function describeRouting(alias: Pick<AliasRouting, 'primary' | 'weights'>): string {
  const weighted = Object.entries(alias.weights).filter(([, weight]) => weight > 0);
  if (weighted.length === 0) return alias.primary;
  const rest = 100 - weighted.reduce((sum, [, weight]) => sum + percentOf(weight), 0);
  return [`${alias.primary} (${round(rest)}%)`, ...weighted.map(([version, weight]) => `${version} (${percentOf(weight)}%)`)].join(', ');
}

// ---- alarms ---------------------------------------------------------------------------------------------------

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A guarding alarm as DescribeAlarms reports it. */
export interface AlarmStatus {
  name: string;
  state: AlarmState;
  /** CloudWatch's StateReason. */
  reason: string;
  /** Period × evaluation periods, in ms: how long after a change before the alarm's OK covers it. */
  windowMs: number;
  /**
   * The period, in ms. CloudWatch's periods are aligned to the clock (a 60 s period is a whole minute), so the
   * window counts from the first period that starts after a change ({@link holdUntil}); undefined: from the change.
   */
  periodMs?: number;
  /** The ExecutedVersion dimension: the version the alarm watches (undefined for an alarm without it). */
  executedVersion?: string;
}

/** Alarm states read at one moment: `at` is when the request was sent, so every state is at least that fresh. */
export interface AlarmSnapshot {
  at: number;
  alarms: AlarmStatus[];
}

/**
 * Pure. Why the alarms do not allow a shift to `target` to start: one that does not exist, one that watches
 * another version (terraform sets the version on apply), one already in ALARM (unless `resuming`: the run then
 * rolls back instead, see {@link alarmsInAlarm}). Empty when they do.
 */
export function alarmProblems(expected: readonly string[], found: readonly AlarmStatus[], target: string, resuming: boolean): string[] {
  const byName = new Map(found.map((alarm) => [alarm.name, alarm]));
  const problems: string[] = [];
  for (const name of expected) {
    const alarm = byName.get(name);
    if (alarm === undefined) {
      problems.push(`alarm ${name} does not exist: apply the environment's stack first (terraform/ creates the guarding alarms)`);
    } else if (alarm.executedVersion !== undefined && alarm.executedVersion !== target) {
      problems.push(`alarm ${name} watches version ${alarm.executedVersion}, not ${target}: apply the stack that published version ${target} first`);
    } else if (alarm.state === 'ALARM' && !resuming) {
      problems.push(`alarm ${name} is already ALARM (${alarm.reason}): wait until it is OK, or fix what it reports`);
    }
  }
  return problems;
}

/** The names among `names` that no alarm answers to (deleted during a shift: it can no longer be watched). */
export function missingAlarms(names: readonly string[], alarms: readonly AlarmStatus[]): string[] {
  return names.filter((name) => !alarms.some((alarm) => alarm.name === name));
}

export function alarmsInAlarm(names: readonly string[], alarms: readonly AlarmStatus[]): AlarmStatus[] {
  return alarms.filter((alarm) => names.includes(alarm.name) && alarm.state === 'ALARM');
}

/**
 * When a step written at `writtenAt` may be judged: after its hold, and after each alarm's window, since until
 * then an OK may still describe the time before the step (CloudWatch evaluates an alarm over its last
 * `EvaluationPeriods` periods). The window counts from the first period that starts after the write: periods are
 * aligned to the clock, and the one the write falls in holds time before it (a 1-minute step written at 12:00:50
 * would otherwise be judged at 12:01:50 on the minute 12:00–12:01, 10 s of it after the write).
 */
export function holdUntil(step: Step, writtenAt: number, alarms: readonly AlarmStatus[]): number {
  const firstWholePeriod = (periodMs: number | undefined) => (periodMs === undefined || periodMs <= 0 ? writtenAt : Math.ceil(writtenAt / periodMs) * periodMs);
  return Math.max(writtenAt + step.holdMs, ...alarms.map((alarm) => firstWholePeriod(alarm.periodMs) + alarm.windowMs));
}

export type Verdict =
  /** An alarm is in ALARM: back to the stable version at once. */
  | { kind: 'roll-back'; alarm: AlarmStatus }
  /** Keep watching until `until`. */
  | { kind: 'hold'; until: number }
  /** Held long enough and no alarm fired; `noData` names the alarms that had no data (no traffic reached the version). */
  | { kind: 'pass'; noData: string[] };

/** Pure. An ALARM rolls back whenever it is seen; an OK counts only from a snapshot taken after {@link holdUntil}. */
export function judge(step: Step, writtenAt: number, names: readonly string[], snapshot: AlarmSnapshot): Verdict {
  const watched = snapshot.alarms.filter((alarm) => names.includes(alarm.name));
  const [firing] = watched.filter((alarm) => alarm.state === 'ALARM');
  if (firing !== undefined) return { kind: 'roll-back', alarm: firing };
  const until = holdUntil(step, writtenAt, watched);
  if (snapshot.at < until) return { kind: 'hold', until };
  return { kind: 'pass', noData: watched.filter((alarm) => alarm.state === 'INSUFFICIENT_DATA').map((alarm) => alarm.name) };
}

const round = (value: number) => Math.round(value * 100) / 100;
