/**
 * CloudWatch metric alarms in the sandbox: what PutMetricAlarm accepts and refuses, and how an alarm moves
 * between OK, ALARM and INSUFFICIENT_DATA on the sandbox clock.
 *
 * Evaluation (CloudWatch user guide, "Alarm evaluation" and "Configuring how CloudWatch alarms treat missing
 * data"; API reference, PutMetricAlarm):
 * - An alarm is evaluated every minute, a high-resolution one (Period 10, 20 or 30) every Period. The sandbox
 *   evaluates on those boundaries of sandbox time, lazily: whoever reads an alarm first replays every evaluation
 *   due since the last one, each seeing only the datapoints readable at its own time (metrics.ts), so a jump
 *   of the clock is the same to an alarm as the wait.
 * - At an evaluation at time T, datapoint k (k = 0 newest) is the alarm's statistic over
 *   [T − (k+1)·Period, T − k·Period), missing when the period has no datapoint. CloudWatch "attempts to
 *   retrieve a higher number of data points than the number specified as Evaluation Periods" (the evaluation
 *   range; the guide's worked table uses 5 for Evaluation Periods 3): the sandbox retrieves EvaluationPeriods + 2.
 * - With at least EvaluationPeriods (N) real datapoints in the range, the N most recent are evaluated and how
 *   missing data is treated does not matter; ALARM when at least DatapointsToAlarm (M, default N) of them
 *   breach, OK otherwise. With fewer, the missing ones are filled as TreatMissingData says ("CloudWatch uses
 *   missing data points only as few times as possible"): `breaching` and `notBreaching` fill with breaching or
 *   good datapoints; `ignore` keeps the current state unless the real datapoints alone decide; `missing` does
 *   the same, except that a range with no datapoint at all is INSUFFICIENT_DATA ("If all data points in the
 *   alarm evaluation range are missing, the alarm transitions to INSUFFICIENT_DATA"). The default is `missing`.
 * - A new alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"); an update keeps the state
 *   ("When you update an existing alarm, its state is left unchanged"). SetAlarmState sets a state that lasts
 *   until the next evaluation that decides otherwise ("Metric alarms returns to their actual state quickly").
 * - StateReason and StateReasonData follow the real ones' form, e.g. "Threshold Crossed: 1 out of the last 1
 *   datapoints [9.0 (26/03/21 22:44:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint
 *   for OK -> ALARM transition)." (an alarm notification quoted in AWS's Trusted Advisor documentation; the
 *   EventBridge "CloudWatch Alarm State Change" examples show StateReasonData: version, queryDate, startDate,
 *   statistic, period, recentDatapoints, threshold).
 *   StateUpdatedTimestamp moves on every state update, StateTransitionedTimestamp only when the value changes.
 *
 * Not modelled: metric math, anomaly detection and PromQL alarms (refused with a message that says so), alarm
 * actions (kept and echoed, never run), EvaluateLowSampleCountPercentile `ignore` (kept, the alarm always
 * evaluates), extended statistics other than percentiles (refused).
 */

import { type Dimension, isExtendedStatistic, type MetricStore, percentileOf, STANDARD_UNITS, STATISTICS, statisticValue } from './metrics.js';
import { cwError } from './wire.js';

export type StateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export const STATE_VALUES: StateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

const STATIC_OPERATORS = ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'];
const ANOMALY_OPERATORS = ['LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold'];
const TREAT_MISSING = ['breaching', 'notBreaching', 'ignore', 'missing'];

/** Datapoints retrieved beyond EvaluationPeriods (see the header). */
const EXTRA_RANGE = 2;
/** Evaluations replayed at most on one read (a week of minutes); older ones could not change today's state. */
const MAX_REPLAY = 7 * 24 * 60;

/** A stored alarm's configuration: PutMetricAlarm's members, defaults applied, as DescribeAlarms returns them. */
export interface AlarmConfig {
  AlarmName: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  MetricName: string;
  Namespace: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions: Dimension[];
  Period: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
}

export interface AlarmState {
  value: StateValue;
  reason: string;
  reasonData?: string;
  /** Sandbox time of the last state update (epoch ms). */
  updatedAt: number;
  /** Sandbox time the value last changed. */
  transitionedAt: number;
}

export interface AlarmTransition {
  at: number;
  from: StateValue;
  to: StateValue;
  reason: string;
  /** `evaluation` or `SetAlarmState`. */
  by: 'evaluation' | 'SetAlarmState';
}

export interface AlarmRecord {
  config: AlarmConfig;
  arn: string;
  configUpdatedAt: number;
  tags: { Key: string; Value: string }[];
  state: AlarmState;
  /** The time of the last evaluation done (or the creation time). */
  evaluatedAt: number;
  /** Every state change, oldest first. */
  history: AlarmTransition[];
}

/** DescribeAlarms' `MetricAlarm`, timestamps as Dates (the wire codec encodes them). */
export interface MetricAlarm extends AlarmConfig {
  AlarmArn: string;
  AlarmConfigurationUpdatedTimestamp: Date;
  StateValue: StateValue;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: Date;
  StateTransitionedTimestamp: Date;
}

export function describeAlarm(record: AlarmRecord): MetricAlarm {
  return {
    ...record.config,
    AlarmArn: record.arn,
    AlarmConfigurationUpdatedTimestamp: new Date(record.configUpdatedAt),
    StateValue: record.state.value,
    StateReason: record.state.reason,
    ...(record.state.reasonData === undefined ? {} : { StateReasonData: record.state.reasonData }),
    StateUpdatedTimestamp: new Date(record.state.updatedAt),
    StateTransitionedTimestamp: new Date(record.state.transitionedAt),
  };
}

// ---- request validation ---------------------------------------------------------------------------------------

type Body = Record<string, unknown>;

/**
 * The model's constraints, checked as the service's front door does and reported the way it reports them: one
 * `ValidationError` listing every violation, "1 validation error detected: Value '30' at 'period' failed to
 * satisfy constraint: Member must have value greater than or equal to 60" (captured from PutMetricAlarm in
 * ansible/ansible#29694), member paths in lower camel case, list members as `metricData.1.member.metricName`.
 */
export class Constraints {
  readonly #violations: string[] = [];

  #add(path: string, value: unknown, rule: string): void {
    this.#violations.push(`Value ${show(value)} at '${path}' failed to satisfy constraint: Member must ${rule}`);
  }

  required(path: string, value: unknown): boolean {
    if (value === undefined || value === null) {
      this.#add(path, null, 'not be null');
      return false;
    }
    return true;
  }

  string(path: string, value: unknown, rules: { min?: number; max?: number; pattern?: string; oneOf?: readonly string[] }): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string') {
      this.#add(path, value, 'be a string');
      return;
    }
    if (rules.min !== undefined && value.length < rules.min) this.#add(path, value, `have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value.length > rules.max) this.#add(path, value, `have length less than or equal to ${rules.max}`);
    if (rules.pattern !== undefined && !new RegExp(`^(?:${rules.pattern})$`, 's').test(value)) {
      this.#add(path, value, `satisfy regular expression pattern: ${rules.pattern}`);
    }
    if (rules.oneOf !== undefined && !rules.oneOf.includes(value)) this.#add(path, value, `satisfy enum value set: [${rules.oneOf.join(', ')}]`);
  }

  number(path: string, value: unknown, rules: { min?: number; max?: number; integer?: boolean }): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || (rules.integer === true && !Number.isInteger(value))) {
      this.#add(path, value, rules.integer === true ? 'be an integer' : 'be a number');
      return;
    }
    if (rules.min !== undefined && value < rules.min) this.#add(path, value, `have value greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value > rules.max) this.#add(path, value, `have value less than or equal to ${rules.max}`);
  }

  /** A list's own constraints; returns its items (none when absent or not a list). */
  list(path: string, value: unknown, rules: { min?: number; max?: number }): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.#add(path, value, 'be a list');
      return [];
    }
    if (rules.min !== undefined && value.length < rules.min) this.#add(path, value, `have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value.length > rules.max) this.#add(path, value, `have length less than or equal to ${rules.max}`);
    return value;
  }

  /** A list of strings: the list's own constraints, then each member's (`path.N.member`). */
  strings(path: string, value: unknown, list: { min?: number; max?: number }, member: Parameters<Constraints['string']>[2]): void {
    for (const [index, item] of this.list(path, value, list).entries()) this.string(`${path}.${index + 1}.member`, item, member);
  }

  dimensions(path: string, value: unknown): void {
    this.list(path, value, { max: 30 }).forEach((item, index) => {
      const dimension = (item ?? {}) as Body;
      const at = `${path}.${index + 1}.member`;
      if (this.required(`${at}.name`, dimension.Name)) this.string(`${at}.name`, dimension.Name, { min: 1, max: 255 });
      if (this.required(`${at}.value`, dimension.Value)) this.string(`${at}.value`, dimension.Value, { min: 1, max: 1024 });
    });
  }

  /** Throws the ValidationException listing every violation, if any. */
  check(): void {
    const count = this.#violations.length;
    if (count === 0) return;
    throw cwError('ValidationException', `${count} validation error${count === 1 ? '' : 's'} detected: ${this.#violations.join('; ')}`);
  }
}

function show(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `'[${value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(', ')}]'`;
  return `'${typeof value === 'object' ? JSON.stringify(value) : String(value)}'`;
}

/** A refusal of a valid request for something the sandbox does not model; says so, never pretends AWS does. */
export function notModelled(what: string): never {
  throw cwError('ValidationException', `The CloudWatch sandbox does not model ${what}.`);
}

/**
 * PutMetricAlarm's input, checked: first the model's constraints (one ValidationError listing them), then the
 * rules the API reference states, each its own ValidationError. Messages captured from CloudWatch are used as
 * they are: "MetricName must not be null" and "Statistic should not be set if list of Metrics is set."
 * (aws-cloudformation/cfn-lint#771 and #766), "DatapointsToAlarm must be less than or equal to
 * EvaluationPeriods" (hashicorp/terraform#24070), "Period must not be null" (aws/aws-cdk#7155). The others
 * state the documented rule in the same style.
 */
export function validatePutMetricAlarm(body: Body): { config: AlarmConfig; tags: { Key: string; Value: string }[] } {
  const c = new Constraints();
  if (c.required('alarmName', body.AlarmName)) c.string('alarmName', body.AlarmName, { min: 1, max: 255 });
  c.string('alarmDescription', body.AlarmDescription, { min: 0, max: 1024 });
  for (const [member, path] of [
    ['OKActions', 'oKActions'],
    ['AlarmActions', 'alarmActions'],
    ['InsufficientDataActions', 'insufficientDataActions'],
  ] as const) {
    c.strings(path, body[member], { max: 5 }, { min: 1, max: 1024 });
  }
  c.string('metricName', body.MetricName, { min: 1, max: 255 });
  c.string('namespace', body.Namespace, { min: 1, max: 255, pattern: '[^:].*' });
  c.string('statistic', body.Statistic, { oneOf: STATISTICS });
  c.dimensions('dimensions', body.Dimensions);
  c.number('period', body.Period, { min: 1, integer: true });
  c.string('unit', body.Unit, { oneOf: STANDARD_UNITS });
  c.number('evaluationPeriods', body.EvaluationPeriods, { min: 1, integer: true });
  c.number('datapointsToAlarm', body.DatapointsToAlarm, { min: 1, integer: true });
  c.number('threshold', body.Threshold, {});
  c.string('comparisonOperator', body.ComparisonOperator, { oneOf: [...STATIC_OPERATORS, ...ANOMALY_OPERATORS] });
  c.string('treatMissingData', body.TreatMissingData, { min: 1, max: 255 });
  c.string('evaluateLowSampleCountPercentile', body.EvaluateLowSampleCountPercentile, { min: 1, max: 255 });
  c.string('thresholdMetricId', body.ThresholdMetricId, { min: 1, max: 255 });
  c.list('tags', body.Tags, {}).forEach((item, index) => {
    const tag = (item ?? {}) as Body;
    const at = `tags.${index + 1}.member`;
    if (c.required(`${at}.key`, tag.Key)) c.string(`${at}.key`, tag.Key, { min: 1, max: 128 });
    if (c.required(`${at}.value`, tag.Value)) c.string(`${at}.value`, tag.Value, { min: 0, max: 256 });
  });
  c.check();

  if (body.Metrics !== undefined) {
    for (const member of ['MetricName', 'Namespace', 'Dimensions', 'Period', 'Unit', 'Statistic', 'ExtendedStatistic'] as const) {
      if (body[member] !== undefined) throw cwError('ValidationException', `${member} should not be set if list of Metrics is set.`);
    }
    notModelled('metric math alarms (Metrics)');
  }
  if (body.EvaluationCriteria !== undefined || body.EvaluationInterval !== undefined) notModelled('PromQL alarms (EvaluationCriteria, EvaluationInterval)');
  if (body.ThresholdMetricId !== undefined || ANOMALY_OPERATORS.includes(body.ComparisonOperator as string)) {
    notModelled('anomaly detection alarms (ThresholdMetricId, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold)');
  }
  for (const member of ['MetricName', 'Namespace', 'Period', 'EvaluationPeriods', 'ComparisonOperator', 'Threshold'] as const) {
    if (body[member] === undefined) throw cwError('ValidationException', `${member} must not be null`);
  }
  const statistic = body.Statistic as string | undefined;
  const extended = body.ExtendedStatistic as string | undefined;
  if (statistic === undefined && extended === undefined) throw cwError('ValidationException', 'Either Statistic or ExtendedStatistic must be set.');
  if (statistic !== undefined && extended !== undefined) throw cwError('ValidationException', 'Statistic and ExtendedStatistic cannot both be set.');
  if (extended !== undefined) {
    if (typeof extended !== 'string' || !isExtendedStatistic(extended))
      throw cwError('ValidationException', `The value ${String(extended)} for parameter ExtendedStatistic is not supported.`);
    if (percentileOf(extended) === undefined) notModelled(`the extended statistic ${extended} (only percentiles, p0 to p100)`);
  }
  const period = body.Period as number;
  // "Valid values are 10, 20, 30, and any multiple of 60" (API reference, PutMetricAlarm, Period).
  if (![10, 20, 30].includes(period) && period % 60 !== 0) throw cwError('ValidationException', 'Period must be 10, 20, 30 or a multiple of 60.');
  const evaluationPeriods = body.EvaluationPeriods as number;
  // "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of
  // less than one hour (3,600 seconds), the total evaluation period can't be longer than one day (86,400
  // seconds)" (API reference, PutMetricAlarm, Period).
  const total = period * evaluationPeriods;
  if (total > 604_800 || (period < 3600 && total > 86_400)) {
    throw cwError(
      'ValidationException',
      `The evaluation period of the alarm (Period × EvaluationPeriods = ${total} seconds) can't be longer than ${period < 3600 ? 'one day (86400 seconds) for a period of less than one hour' : 'seven days (604800 seconds)'}.`,
    );
  }
  if (body.DatapointsToAlarm !== undefined && (body.DatapointsToAlarm as number) > evaluationPeriods) {
    throw cwError('ValidationException', 'DatapointsToAlarm must be less than or equal to EvaluationPeriods');
  }
  if (body.TreatMissingData !== undefined && !TREAT_MISSING.includes(body.TreatMissingData as string)) {
    throw cwError('ValidationException', `TreatMissingData must be one of ${TREAT_MISSING.join(', ')}; got ${String(body.TreatMissingData)}.`);
  }
  if (body.EvaluateLowSampleCountPercentile !== undefined) {
    if (!['evaluate', 'ignore'].includes(body.EvaluateLowSampleCountPercentile as string)) {
      throw cwError(
        'ValidationException',
        `EvaluateLowSampleCountPercentile must be evaluate or ignore; got ${String(body.EvaluateLowSampleCountPercentile)}.`,
      );
    }
    if (extended === undefined)
      throw cwError('ValidationException', 'EvaluateLowSampleCountPercentile can only be set for an alarm on a percentile (ExtendedStatistic).');
  }
  for (const list of ['OKActions', 'AlarmActions', 'InsufficientDataActions'] as const) {
    for (const action of (body[list] as string[] | undefined) ?? []) {
      if (!/^arn:[^:]+:[^:]+:/.test(action)) throw cwError('ValidationException', `Invalid arn syntax: ${action}`);
    }
  }
  const dimensions = ((body.Dimensions as Dimension[] | undefined) ?? []).map(({ Name, Value }) => ({ Name, Value }));
  if (new Set(dimensions.map((d) => d.Name)).size !== dimensions.length) throw cwError('ValidationException', 'Dimensions must have unique names.');
  const config: AlarmConfig = {
    AlarmName: body.AlarmName as string,
    ...optional('AlarmDescription', body.AlarmDescription as string | undefined),
    ActionsEnabled: (body.ActionsEnabled as boolean | undefined) ?? true,
    OKActions: [...((body.OKActions as string[] | undefined) ?? [])],
    AlarmActions: [...((body.AlarmActions as string[] | undefined) ?? [])],
    InsufficientDataActions: [...((body.InsufficientDataActions as string[] | undefined) ?? [])],
    MetricName: body.MetricName as string,
    Namespace: body.Namespace as string,
    ...optional('Statistic', statistic),
    ...optional('ExtendedStatistic', extended),
    Dimensions: dimensions,
    Period: period,
    ...optional('Unit', body.Unit as string | undefined),
    EvaluationPeriods: evaluationPeriods,
    ...optional('DatapointsToAlarm', body.DatapointsToAlarm as number | undefined),
    Threshold: body.Threshold as number,
    ComparisonOperator: body.ComparisonOperator as string,
    ...optional('TreatMissingData', body.TreatMissingData as string | undefined),
    ...optional('EvaluateLowSampleCountPercentile', body.EvaluateLowSampleCountPercentile as string | undefined),
  };
  return { config, tags: ((body.Tags as { Key: string; Value: string }[] | undefined) ?? []).map(({ Key, Value }) => ({ Key, Value })) };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// ---- evaluation -----------------------------------------------------------------------------------------------

interface Datapoint {
  /** Start of the period (epoch ms). */
  start: number;
  value: number;
  sampleCount: number;
  breaching: boolean;
}

/** Replays every evaluation due up to `now` (see the header). */
export function evaluateUntil(record: AlarmRecord, store: MetricStore, now: number): void {
  const tick = Math.min(record.config.Period, 60) * 1000;
  let at = (Math.floor(record.evaluatedAt / tick) + 1) * tick;
  const last = Math.floor(now / tick) * tick;
  if ((last - at) / tick > MAX_REPLAY) at = last - MAX_REPLAY * tick;
  for (; at <= now; at += tick) {
    evaluateAt(record, store, at);
    record.evaluatedAt = at;
  }
}

/** Sets a state as SetAlarmState does: an update even when the value stays, a transition when it changes. */
export function setState(record: AlarmRecord, value: StateValue, reason: string, reasonData: string | undefined, at: number, by: AlarmTransition['by']): void {
  const from = record.state.value;
  record.state = {
    value,
    reason,
    ...(reasonData === undefined ? {} : { reasonData }),
    updatedAt: at,
    transitionedAt: value === from ? record.state.transitionedAt : at,
  };
  if (value !== from) record.history.push({ at, from, to: value, reason, by });
}

function evaluateAt(record: AlarmRecord, store: MetricStore, at: number): void {
  const config = record.config;
  const period = config.Period * 1000;
  const n = config.EvaluationPeriods;
  const m = config.DatapointsToAlarm ?? n;
  const stat = config.ExtendedStatistic ?? config.Statistic ?? 'Average';
  const metric = { namespace: config.Namespace, metricName: config.MetricName, dimensions: config.Dimensions };
  const range = n + EXTRA_RANGE;
  const real: Datapoint[] = [];
  for (let k = 0; k < range; k++) {
    const start = at - (k + 1) * period;
    const aggregate = store.aggregate(metric, start, start + period, at, config.Unit);
    const value = aggregate === undefined ? undefined : statisticValue(aggregate, stat);
    if (aggregate === undefined || value === undefined) continue;
    real.push({ start, value, sampleCount: aggregate.sampleCount, breaching: breaches(config.ComparisonOperator, value, config.Threshold) });
  }
  const treat = config.TreatMissingData ?? 'missing';
  const used = real.slice(0, n);
  const fills = n - used.length;
  const fillBreaching = treat === 'breaching';
  const breaching = used.filter((point) => point.breaching).length + (fillBreaching ? fills : 0);
  let next: StateValue | undefined;
  if (fills === 0 || treat === 'breaching' || treat === 'notBreaching') next = breaching >= m ? 'ALARM' : 'OK';
  else if (used.length === 0) next = treat === 'missing' ? 'INSUFFICIENT_DATA' : undefined;
  else if (breaching >= m) next = 'ALARM';
  else if (breaching + fills < m) next = 'OK';
  // Otherwise the datapoints there are cannot decide: `ignore` and `missing` keep the current state.
  if (next === undefined || next === record.state.value) return;
  const reasonData = JSON.stringify({
    version: '1.0',
    queryDate: reasonDate(at),
    ...(used.length === 0 ? {} : { startDate: reasonDate((used.at(-1) as Datapoint).start) }),
    ...(config.Statistic === undefined ? { extendedStatistic: config.ExtendedStatistic } : { statistic: config.Statistic }),
    ...(config.Unit === undefined ? {} : { unit: config.Unit }),
    period: config.Period,
    recentDatapoints: [...used].reverse().map((point) => point.value),
    threshold: config.Threshold,
    evaluatedDatapoints: used.map((point) => ({ timestamp: reasonDate(point.start), sampleCount: point.sampleCount, value: point.value })),
  });
  setState(record, next, reasonFor(next, used, fills, treat, m, n, config), reasonData, at, 'evaluation');
}

function breaches(operator: string, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      return false;
  }
}

const OPERATOR_TEXT: Record<string, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

function reasonFor(next: StateValue, used: Datapoint[], fills: number, treat: string, m: number, n: number, config: AlarmConfig): string {
  if (next === 'INSUFFICIENT_DATA') {
    const unknown = n + EXTRA_RANGE;
    return `Insufficient Data: ${unknown} datapoint${unknown === 1 ? ' was' : 's were'} unknown.`;
  }
  const toAlarm = next === 'ALARM';
  if (used.length === 0) {
    return `Threshold Crossed: no datapoints were received for ${fills} period${fills === 1 ? '' : 's'} and ${fills} missing datapoint${fills === 1 ? ' was' : 's were'} treated as [${treat === 'breaching' ? 'Breaching' : 'NonBreaching'}].`;
  }
  const counted = used.filter((point) => point.breaching === toAlarm);
  const minimum = toAlarm ? m : n - m + 1;
  const listed = counted.map((point) => `${javaDouble(point.value)} (${reasonStamp(point.start)})`).join(', ');
  const filled =
    fills === 0
      ? ''
      : ` ${fills} missing datapoint${fills === 1 ? ' was' : 's were'} treated as [${treat === 'breaching' ? 'Breaching' : treat === 'notBreaching' ? 'NonBreaching' : 'Missing'}].`;
  return (
    `Threshold Crossed: ${counted.length} out of the last ${n} datapoint${n === 1 ? '' : 's'} [${listed}] ${counted.length === 1 ? 'was' : 'were'} ` +
    `${toAlarm ? '' : 'not '}${OPERATOR_TEXT[config.ComparisonOperator] ?? config.ComparisonOperator} the threshold (${javaDouble(config.Threshold)}) ` +
    `(minimum ${minimum} datapoint${minimum === 1 ? '' : 's'} for ${toAlarm ? 'OK -> ALARM' : 'ALARM -> OK'} transition).${filled}`
  );
}

/** A double as Java prints it, as CloudWatch's reasons do: `9.0`, `75.36301625830178`. */
function javaDouble(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e7 ? value.toFixed(1) : String(value);
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `26/03/21 22:44:00`, the form of a datapoint's time in a StateReason. */
function reasonStamp(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `2019-10-01T13:56:40.985+0000`, the form of the dates in StateReasonData. */
function reasonDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
