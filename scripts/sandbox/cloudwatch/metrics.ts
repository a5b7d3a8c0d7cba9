/**
 * CloudWatch metric storage for the sandbox: series identified as CloudWatch identifies a metric (namespace,
 * name and the exact set of dimensions: "Because dimensions are part of the unique identifier for a metric,
 * whenever you add a unique name/value pair to one of your metrics, you are creating a new variation of that
 * metric", API reference, `Dimension`), the statistics alarms and GetMetricData compute over a period, and the
 * datapoints Lambda publishes for the sandbox's invocations.
 *
 * Every datapoint carries the sandbox time it becomes readable (`visibleAt`), so that an alarm evaluated lazily
 * for a past minute sees exactly what was readable then, and a reader never sees a datapoint before Lambda has
 * sent it ("Lambda sends metric data to CloudWatch in 1-minute intervals", Lambda developer guide, "Working with
 * Lambda function metrics").
 */
import type { InvocationRecord } from '../lambda/service.js';

export interface Dimension {
  Name: string;
  Value: string;
}

/** Pre-aggregated values (PutMetricData `StatisticValues`). */
export interface StatisticSet {
  SampleCount: number;
  Sum: number;
  Minimum: number;
  Maximum: number;
}

export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
}

interface Entry {
  /** The timestamp, truncated to the datapoint's storage resolution (epoch ms). */
  t: number;
  /** Sandbox time from which a reader sees the entry. */
  visibleAt: number;
  unit: string;
  /** A raw value seen `count` times; absent for a statistic set. */
  value?: number;
  count: number;
  set?: StatisticSet;
}

/** What one period of one metric holds, as the statistics need it. */
export interface Aggregate {
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  /** Raw values with their counts, for percentiles; undefined when a statistic set contributed (no raw values). */
  values: [value: number, count: number][] | undefined;
}

/** The statistics CloudWatch names (`Statistic` enum of the SDK model). */
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;

/** `StandardUnit` of the SDK model. */
export const STANDARD_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];

/**
 * A percentile statistic, `p0`–`p100` with up to ten decimals (the `p` branch of the model's statistic
 * pattern, `(p)(\d{1,2}(\.\d{0,10})?|100)`). Other extended statistics (trimmed means, `IQM`, `PR(...)`) are
 * valid in CloudWatch; the sandbox does not compute them and says so where they are asked for.
 */
export function percentileOf(stat: string): number | undefined {
  const match = /^p(\d{1,2}(?:\.\d{0,10})?|100)$/.exec(stat);
  return match === null ? undefined : Number(match[1]);
}

/** The extended statistics CloudWatch accepts (the model's `AnomalyDetectorMetricStat` pattern, without the plain statistics). */
export function isExtendedStatistic(stat: string): boolean {
  const number = String.raw`(\d{1,2}(\.\d{0,10})?|100(\.0{0,10})?)`;
  const bound = String.raw`(\d+(\.\d{0,10})?|\d+(\.\d{0,10})?[Ee][+-]?\d+)`;
  const pattern = new RegExp(
    String.raw`^(?:(IQM|(p|tc|tm|ts|wm)(\d{1,2}(\.\d{0,10})?|100)|[ou]\d+(\.\d*)?)(_E|_L|_H)?` +
      String.raw`|(TM|TC|TS|WM)\(((${number}%)?:${number}%|${number}%:(${number}%)?)\)` +
      String.raw`|(TM|TC|TS|WM|PR)\((${bound}:(${bound})?|(${bound})?:${bound})\))$`,
  );
  return pattern.test(stat);
}

/** A statistic of an aggregate: a plain one, or a percentile; undefined when it cannot be computed. */
export function statisticValue(aggregate: Aggregate, stat: string): number | undefined {
  switch (stat) {
    case 'SampleCount':
      return aggregate.sampleCount;
    case 'Sum':
      return aggregate.sum;
    case 'Average':
      return aggregate.sum / aggregate.sampleCount;
    case 'Minimum':
      return aggregate.min;
    case 'Maximum':
      return aggregate.max;
  }
  const p = percentileOf(stat);
  if (p === undefined || aggregate.values === undefined) return undefined;
  return percentile(aggregate.values, p);
}

/** Nearest-rank percentile over value/count pairs sorted by value. */
function percentile(values: [number, number][], p: number): number | undefined {
  const total = values.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, count] of values) {
    seen += count;
    if (seen >= rank) return value;
  }
  return values.at(-1)?.[0];
}

/** The key of a metric: namespace, name and the dimension set in name order (the order given does not matter). */
export function metricKey(metric: MetricId): string {
  const dims = [...metric.dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((d) => `${d.Name}=${d.Value}`);
  return `${metric.namespace}\u0000${metric.metricName}\u0000${dims.join('\u0001')}`;
}

export interface PutDatum extends MetricId {
  /** Epoch ms. */
  timestamp: number;
  visibleAt: number;
  unit?: string;
  /** 1 (high resolution) or 60 (standard, the default): the granularity CloudWatch keeps. */
  storageResolution?: number;
  /** One or more raw values with their counts (Value; Values with Counts). */
  values?: [value: number, count: number][];
  set?: StatisticSet;
}

class Series {
  readonly entries: Entry[] = [];

  constructor(readonly id: MetricId) {}

  add(entry: Entry): void {
    const last = this.entries.at(-1);
    if (last === undefined || last.t <= entry.t) {
      // The common case (Lambda's datapoints arrive in time order): merge a repeated value into the last entry.
      if (
        last !== undefined &&
        last.t === entry.t &&
        last.visibleAt === entry.visibleAt &&
        last.unit === entry.unit &&
        last.value !== undefined &&
        last.value === entry.value
      ) {
        last.count += entry.count;
        return;
      }
      this.entries.push(entry);
      return;
    }
    this.entries.splice(upperBound(this.entries, entry.t), 0, entry);
  }

  /** Everything in [from, to) readable at `asOf`, of `unit` when given; undefined when nothing is. */
  aggregate(from: number, to: number, asOf: number, unit?: string): Aggregate | undefined {
    return this.byPeriod(from, to, to - from, asOf, unit).get(from);
  }

  /**
   * [from, to) cut into periods of `period` from `from`, keyed by their start: only the periods that hold a
   * readable datapoint, found in one pass over the stored entries.
   */
  byPeriod(from: number, to: number, period: number, asOf: number, unit?: string): Map<number, Aggregate> {
    const periods = new Map<number, Accumulator>();
    for (let i = lowerBound(this.entries, from); i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry;
      if (entry.t >= to) break;
      if (entry.visibleAt > asOf || (unit !== undefined && entry.unit !== unit)) continue;
      const start = from + Math.floor((entry.t - from) / period) * period;
      let accumulator = periods.get(start);
      if (accumulator === undefined) {
        accumulator = new Accumulator();
        periods.set(start, accumulator);
      }
      accumulator.add(entry);
    }
    return new Map([...periods].map(([start, accumulator]) => [start, accumulator.result()]));
  }
}

class Accumulator {
  #aggregate: Aggregate | undefined;
  readonly #counts = new Map<number, number>();
  #raw = true;

  add(entry: Entry): void {
    const set: StatisticSet = entry.set ?? {
      SampleCount: entry.count,
      Sum: (entry.value ?? 0) * entry.count,
      Minimum: entry.value ?? 0,
      Maximum: entry.value ?? 0,
    };
    if (entry.value === undefined) this.#raw = false;
    else this.#counts.set(entry.value, (this.#counts.get(entry.value) ?? 0) + entry.count);
    const aggregate = this.#aggregate;
    if (aggregate === undefined) this.#aggregate = { sampleCount: set.SampleCount, sum: set.Sum, min: set.Minimum, max: set.Maximum, values: undefined };
    else {
      aggregate.sampleCount += set.SampleCount;
      aggregate.sum += set.Sum;
      aggregate.min = Math.min(aggregate.min, set.Minimum);
      aggregate.max = Math.max(aggregate.max, set.Maximum);
    }
  }

  result(): Aggregate {
    const aggregate = this.#aggregate as Aggregate;
    if (this.#raw) aggregate.values = [...this.#counts.entries()].sort(([a], [b]) => a - b);
    return aggregate;
  }
}

function lowerBound(entries: Entry[], t: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as Entry).t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(entries: Entry[], t: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as Entry).t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MetricStore {
  readonly #series = new Map<string, Series>();

  put(datum: PutDatum): void {
    const key = metricKey(datum);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new Series({ namespace: datum.namespace, metricName: datum.metricName, dimensions: [...datum.dimensions] });
      this.#series.set(key, series);
    }
    const resolutionMs = (datum.storageResolution ?? 60) * 1000;
    const t = Math.floor(datum.timestamp / resolutionMs) * resolutionMs;
    const unit = datum.unit ?? 'None';
    if (datum.set !== undefined) series.add({ t, visibleAt: datum.visibleAt, unit, count: datum.set.SampleCount, set: datum.set });
    for (const [value, count] of datum.values ?? []) series.add({ t, visibleAt: datum.visibleAt, unit, value, count });
  }

  /** One metric over [from, to), as readable at `asOf`; undefined when it has no datapoint there. */
  aggregate(metric: MetricId, from: number, to: number, asOf: number, unit?: string): Aggregate | undefined {
    return this.#series.get(metricKey(metric))?.aggregate(from, to, asOf, unit);
  }

  /** One metric over [from, to) by period (see Series.byPeriod); empty when it has no datapoint there. */
  byPeriod(metric: MetricId, from: number, to: number, period: number, asOf: number, unit?: string): Map<number, Aggregate> {
    return this.#series.get(metricKey(metric))?.byPeriod(from, to, period, asOf, unit) ?? new Map();
  }

  /** The metrics stored, for listing and tests. */
  metrics(): MetricId[] {
    return [...this.#series.values()].map((series) => series.id);
  }
}

// ---- Lambda's metrics ----------------------------------------------------------------------------------------

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

/**
 * The datapoints Lambda publishes for one invocation (Lambda developer guide, "Types of metrics for Lambda
 * functions" and "Working with Lambda function metrics"):
 * - Invocations, Errors and Throttles are "binary indicators of the outcome of an invocation": an executed
 *   invocation sends Invocations 1, Errors 0 or 1 (a function error: "exceptions that your code throws and
 *   exceptions that the Lambda runtime throws") and Throttles 0; "Throttled requests and other invocation
 *   errors don't count as either Invocations or Errors", so a throttled request sends Throttles 1 only.
 * - Duration: "The amount of time that your function code spends processing an event", in milliseconds.
 * - Dimensions: across all functions (none), by function name (`FunctionName`), by resource (`FunctionName`
 *   plus `Resource`, "a version or alias of a function": `name:qualifier`, the bare name when unqualified), and
 *   by executed version (plus `ExecutedVersion`, "a combination of alias and version ... to compare error rates
 *   for two versions of a function that are both targets of a weighted alias"), the last only for an alias
 *   invocation that ran.
 * - Timestamps: "The timestamp on a metric reflects when the function was invoked"; the datapoints of a minute
 *   become readable when that minute ends ("Lambda sends metric data to CloudWatch in 1-minute intervals").
 */
export function lambdaDatapoints(invocation: InvocationRecord): PutDatum[] {
  const resource = invocation.qualifier === undefined ? invocation.functionName : `${invocation.functionName}:${invocation.qualifier}`;
  const dimensionSets: Dimension[][] = [
    [],
    [{ Name: 'FunctionName', Value: invocation.functionName }],
    [
      { Name: 'FunctionName', Value: invocation.functionName },
      { Name: 'Resource', Value: resource },
    ],
  ];
  if (invocation.viaAlias && invocation.executedVersion !== undefined) {
    dimensionSets.push([
      { Name: 'FunctionName', Value: invocation.functionName },
      { Name: 'Resource', Value: resource },
      { Name: 'ExecutedVersion', Value: invocation.executedVersion },
    ]);
  }
  const values: [string, number, string][] =
    invocation.outcome === 'throttled'
      ? [['Throttles', 1, 'Count']]
      : [
          ['Invocations', 1, 'Count'],
          ['Errors', invocation.outcome === 'function-error' ? 1 : 0, 'Count'],
          ['Throttles', 0, 'Count'],
          ['Duration', invocation.durationMs, 'Milliseconds'],
        ];
  const minute = 60_000;
  const visibleAt = Math.floor(invocation.at / minute) * minute + minute;
  return dimensionSets.flatMap((dimensions) =>
    values.map(([metricName, value, unit]) => ({
      namespace: LAMBDA_NAMESPACE,
      metricName,
      dimensions,
      timestamp: invocation.at,
      visibleAt,
      unit,
      storageResolution: 60,
      values: [[value, 1]] as [number, number][],
    })),
  );
}
