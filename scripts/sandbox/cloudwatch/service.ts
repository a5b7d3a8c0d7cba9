/**
 * The sandbox's CloudWatch service: metric alarms (PutMetricAlarm, DescribeAlarms, DeleteAlarms,
 * SetAlarmState) and metrics (PutMetricData, GetMetricData) over the wire formats of wire.ts, alarms evaluated
 * on the sandbox clock (alarms.ts), and the AWS/Lambda metrics of the sandbox's own invocations (metrics.ts),
 * so a handler that starts failing drives an Errors alarm the way a failing function does.
 *
 * Test control (no HTTP, no quota): `alarm(name)` returns the alarm as DescribeAlarms would, evaluated up to
 * now; `setAlarmState(name, state, reason?)` sets a state as SetAlarmState does (it lasts until the next
 * evaluation that decides otherwise: hold the clock still to keep it); `putMetricAlarm(input)` creates or
 * updates an alarm as PutMetricAlarm does, for seeding.
 */
import type { SandboxCore } from '../frame.js';
import { SANDBOX_REGION } from '../frame.js';
import type { InvocationRecord, LambdaService } from '../lambda/service.js';
import { type SandboxRequest, type SandboxResponse, type SandboxService, ServiceError } from '../protocol.js';
import {
  type AlarmRecord,
  Constraints,
  describeAlarm,
  evaluateUntil,
  type MetricAlarm,
  notModelled,
  STATE_VALUES,
  type StateValue,
  setState,
  validatePutMetricAlarm,
} from './alarms.js';
import { type Dimension, isExtendedStatistic, lambdaDatapoints, MetricStore, percentileOf, STANDARD_UNITS, STATISTICS, statisticValue } from './metrics.js';
import { cwError, decodeBody, errorResponse, ok, operationOf, type Wire, wireOf } from './wire.js';

export type { MetricAlarm, StateValue } from './alarms.js';

/** The account the sandbox's ARNs name (as Lambda's and CloudWatch Logs' do). */
export const CLOUDWATCH_ACCOUNT = '123456789012';

export interface CloudWatchOptions {
  /** DescribeAlarms' page size when MaxRecords is absent. Default 50. */
  defaultMaxRecords?: number;
}

type Body = Record<string, unknown>;
type Handler = (body: Body, wire: Wire) => SandboxResponse;

/** CloudWatch's API rate quotas, one bucket per operation; the rates and their sources are in DEFAULT_QUOTAS (frame.ts). */
const QUOTAS: Record<string, string> = {
  DescribeAlarms: 'cloudwatch-describe-alarms',
  PutMetricAlarm: 'cloudwatch-put-metric-alarm',
  DeleteAlarms: 'cloudwatch-delete-alarms',
  SetAlarmState: 'cloudwatch-set-alarm-state',
  GetMetricData: 'cloudwatch-get-metric-data',
  PutMetricData: 'cloudwatch-put-metric-data',
};

export class CloudWatchService implements SandboxService {
  readonly name = 'cloudwatch';
  readonly metrics = new MetricStore();
  readonly #alarms = new Map<string, AlarmRecord>();
  readonly #operations: Record<string, Handler>;
  readonly #defaultMaxRecords: number;

  constructor(
    private readonly core: SandboxCore,
    options: CloudWatchOptions = {},
  ) {
    this.#defaultMaxRecords = options.defaultMaxRecords ?? 50;
    this.#operations = {
      PutMetricAlarm: (body, wire) => {
        this.putMetricAlarm(body);
        return ok(wire);
      },
      DescribeAlarms: (body, wire) => ok(wire, this.#describeAlarms(body)),
      DeleteAlarms: (body, wire) => {
        this.#deleteAlarms(body);
        return ok(wire);
      },
      SetAlarmState: (body, wire) => {
        this.#setAlarmStateRequest(body);
        return ok(wire);
      },
      PutMetricData: (body, wire) => {
        this.#putMetricData(body);
        return ok(wire);
      },
      GetMetricData: (body, wire) => ok(wire, this.#getMetricData(body)),
    };
  }

  // ---- SandboxService -------------------------------------------------------------------------------------------

  matches(request: SandboxRequest): boolean {
    return wireOf(request) !== undefined;
  }

  operation(request: SandboxRequest): string {
    return operationOf(request);
  }

  quotaFor(operation: string): string | undefined {
    return QUOTAS[operation];
  }

  async handle(operation: string, request: SandboxRequest): Promise<SandboxResponse> {
    const wire = wireOf(request) ?? 'json';
    const handler = this.#operations[operation];
    if (handler === undefined) throw cwError('UnknownOperationException', `The CloudWatch sandbox does not implement ${operation}.`);
    return handler(decodeBody(request, wire), wire);
  }

  /** The query-era throttling error, "Throttling: Rate exceeded" (HTTP 400), which the SDK retries as a throttle. */
  throttleError(): ServiceError {
    return cwError('Throttling', 'Rate exceeded');
  }

  serverError(status: number): ServiceError {
    return new ServiceError(status, 'InternalServiceFault', 'Internal service error');
  }

  accessDeniedError(operation: string): ServiceError {
    return cwError(
      'AccessDenied',
      `User: arn:aws:sts::${CLOUDWATCH_ACCOUNT}:assumed-role/sandbox-role/sandbox is not authorized to perform: cloudwatch:${operation} because no identity-based policy allows the cloudwatch:${operation} action`,
    );
  }

  errorResponse(error: ServiceError, request: SandboxRequest): SandboxResponse {
    return errorResponse(error, request);
  }

  // ---- test control and seeding (no HTTP, no quota) --------------------------------------------------------------

  /** The alarm as DescribeAlarms returns it, evaluated up to now; undefined when there is none. */
  alarm(name: string): MetricAlarm | undefined {
    const record = this.#alarms.get(name);
    if (record === undefined) return undefined;
    evaluateUntil(record, this.metrics, this.core.clock.now());
    return describeAlarm(record);
  }

  /** Every state change of an alarm so far, oldest first (evaluated up to now). */
  alarmHistory(name: string): AlarmRecord['history'] {
    const record = this.#alarms.get(name);
    if (record === undefined) return [];
    evaluateUntil(record, this.metrics, this.core.clock.now());
    return [...record.history];
  }

  /**
   * Sets an alarm's state as SetAlarmState does: it holds until the next evaluation (the next minute of sandbox
   * time, or the next Period of a high-resolution alarm) decides otherwise.
   */
  setAlarmState(name: string, state: StateValue, reason = 'Set by the sandbox (test control)'): void {
    const record = this.#alarms.get(name);
    if (record === undefined) throw new Error(`The CloudWatch sandbox has no alarm named ${name}`);
    const now = this.core.clock.now();
    evaluateUntil(record, this.metrics, now);
    setState(record, state, reason, undefined, now, 'SetAlarmState');
  }

  /**
   * PutMetricAlarm, checked as the real one checks it; creates (INSUFFICIENT_DATA) or overwrites (state kept).
   * Takes the SDK's PutMetricAlarmCommandInput (members by their API names).
   */
  putMetricAlarm(input: object): MetricAlarm {
    const { config, tags } = validatePutMetricAlarm(input as Body);
    const now = this.core.clock.now();
    const existing = this.#alarms.get(config.AlarmName);
    if (existing !== undefined) {
      evaluateUntil(existing, this.metrics, now);
      existing.config = config;
      existing.configUpdatedAt = now;
      // "If you are using this operation to update an existing alarm, any tags you specify in this parameter are ignored."
      return describeAlarm(existing);
    }
    const record: AlarmRecord = {
      config,
      arn: `arn:aws:cloudwatch:${SANDBOX_REGION}:${CLOUDWATCH_ACCOUNT}:alarm:${config.AlarmName}`,
      configUpdatedAt: now,
      tags,
      state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', updatedAt: now, transitionedAt: now },
      evaluatedAt: now,
      history: [],
    };
    this.#alarms.set(config.AlarmName, record);
    return describeAlarm(record);
  }

  /** Publishes the AWS/Lambda metrics of the Lambda sandbox's invocations from now on. */
  publishLambdaMetrics(lambda: LambdaService): void {
    lambda.onInvocation.push((invocation: InvocationRecord) => {
      for (const datum of lambdaDatapoints(invocation)) this.metrics.put(datum);
    });
  }

  // ---- alarms ---------------------------------------------------------------------------------------------------

  /**
   * DescribeAlarms: metric alarms by name, in name order (composite alarms are not modelled: asked for, there
   * are none). Filters: AlarmNames (names that do not exist are left out), AlarmNamePrefix, StateValue,
   * ActionPrefix; ChildrenOfAlarmName and ParentsOfAlarmName only name composite relations, of which the
   * sandbox has none. MaxRecords 1–100 (default 50 in the sandbox), NextToken from the previous page.
   */
  #describeAlarms(body: Body): Body {
    const c = new Constraints();
    c.strings('alarmNames', body.AlarmNames, { max: 100 }, { min: 1, max: 255 });
    c.string('alarmNamePrefix', body.AlarmNamePrefix, { min: 1, max: 255 });
    c.strings('alarmTypes', body.AlarmTypes, {}, { oneOf: ['CompositeAlarm', 'MetricAlarm'] });
    c.string('childrenOfAlarmName', body.ChildrenOfAlarmName, { min: 1, max: 255 });
    c.string('parentsOfAlarmName', body.ParentsOfAlarmName, { min: 1, max: 255 });
    c.string('stateValue', body.StateValue, { oneOf: STATE_VALUES });
    c.string('actionPrefix', body.ActionPrefix, { min: 1, max: 1024 });
    c.number('maxRecords', body.MaxRecords, { min: 1, max: 100, integer: true });
    c.check();
    if (body.AlarmNames !== undefined && body.AlarmNamePrefix !== undefined) {
      // "If this parameter is specified, you cannot specify AlarmNames." (API reference, DescribeAlarms)
      throw cwError('ValidationException', 'AlarmNamePrefix and AlarmNames cannot be specified together.');
    }
    const relation = body.ChildrenOfAlarmName !== undefined ? 'ChildrenOfAlarmName' : body.ParentsOfAlarmName !== undefined ? 'ParentsOfAlarmName' : undefined;
    if (relation !== undefined) {
      // "If you specify ChildrenOfAlarmName, you cannot specify any other parameters in the request except for
      // MaxRecords and NextToken. If you do so, you receive a validation error." (the same for ParentsOfAlarmName)
      const others = Object.keys(body).filter((key) => body[key] !== undefined && ![relation, 'MaxRecords', 'NextToken'].includes(key));
      if (others.length > 0) throw cwError('ValidationException', `${relation} cannot be specified with ${others.join(', ')}.`);
    }
    const types = (body.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
    const names = body.AlarmNames === undefined ? undefined : new Set(body.AlarmNames as string[]);
    const prefix = body.AlarmNamePrefix as string | undefined;
    const after = body.NextToken === undefined ? undefined : this.#readToken(body.NextToken);
    const now = this.core.clock.now();
    const candidates = relation === undefined && types.includes('MetricAlarm') ? [...this.#alarms.values()] : [];
    const matching = candidates
      .filter((record) => names === undefined || names.has(record.config.AlarmName))
      .filter((record) => prefix === undefined || record.config.AlarmName.startsWith(prefix))
      .filter((record) => {
        const actionPrefix = body.ActionPrefix as string | undefined;
        if (actionPrefix === undefined) return true;
        return [...record.config.OKActions, ...record.config.AlarmActions, ...record.config.InsufficientDataActions].some((action) =>
          action.startsWith(actionPrefix),
        );
      })
      .sort((a, b) => compare(a.config.AlarmName, b.config.AlarmName))
      .filter((record) => after === undefined || compare(record.config.AlarmName, after) > 0);
    const max = (body.MaxRecords as number | undefined) ?? this.#defaultMaxRecords;
    const page: AlarmRecord[] = [];
    let index = 0;
    // The state filter applies to the evaluated state: evaluate each alarm (lazily) before filtering.
    for (; index < matching.length && page.length < max; index++) {
      const record = matching[index] as AlarmRecord;
      evaluateUntil(record, this.metrics, now);
      if (body.StateValue === undefined || record.state.value === body.StateValue) page.push(record);
    }
    const more = matching.slice(index).some((record) => {
      if (body.StateValue === undefined) return true;
      evaluateUntil(record, this.metrics, now);
      return record.state.value === body.StateValue;
    });
    const last = page.at(-1);
    return {
      MetricAlarms: page.map(describeAlarm),
      ...(types.includes('CompositeAlarm') ? { CompositeAlarms: [] } : {}),
      ...(more && last !== undefined ? { NextToken: Buffer.from(JSON.stringify({ after: last.config.AlarmName })).toString('base64url') } : {}),
    };
  }

  #readToken(token: unknown): string {
    try {
      const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as { after?: unknown };
      if (typeof parsed.after === 'string') return parsed.after;
    } catch {
      // fall through
    }
    throw cwError('InvalidNextToken', 'The NextToken is invalid.');
  }

  /**
   * DeleteAlarms: up to 100 names, all or nothing. "If you specify an incorrect alarm name or make any other
   * error in the operation, no alarms are deleted" (API reference), and the model gives the operation
   * ResourceNotFound: a name that does not exist is refused with it and nothing is deleted.
   */
  #deleteAlarms(body: Body): void {
    const c = new Constraints();
    if (c.required('alarmNames', body.AlarmNames)) {
      c.strings('alarmNames', body.AlarmNames, { max: 100 }, { min: 1, max: 255 });
    }
    c.check();
    const names = body.AlarmNames as string[];
    const missing = names.filter((name) => !this.#alarms.has(name));
    if (missing.length > 0) throw cwError('ResourceNotFound', `${missing.length} of the alarms specified could not be found: ${missing.join(', ')}`);
    for (const name of names) this.#alarms.delete(name);
  }

  /**
   * SetAlarmState: AlarmName, StateValue and StateReason (at most 1023 characters) are required; StateReasonData
   * (at most 4000) must be JSON, or InvalidFormat; an alarm that does not exist is ResourceNotFound.
   */
  #setAlarmStateRequest(body: Body): void {
    const c = new Constraints();
    if (c.required('alarmName', body.AlarmName)) c.string('alarmName', body.AlarmName, { min: 1, max: 255 });
    if (c.required('stateValue', body.StateValue)) c.string('stateValue', body.StateValue, { oneOf: STATE_VALUES });
    if (c.required('stateReason', body.StateReason)) c.string('stateReason', body.StateReason, { min: 0, max: 1023 });
    c.string('stateReasonData', body.StateReasonData, { min: 0, max: 4000 });
    c.check();
    if (body.StateReasonData !== undefined) {
      try {
        JSON.parse(body.StateReasonData as string);
      } catch (error) {
        throw cwError('InvalidFormatFault', `StateReasonData is not valid JSON: ${(error as Error).message}`);
      }
    }
    const name = body.AlarmName as string;
    const record = this.#alarms.get(name);
    if (record === undefined) throw cwError('ResourceNotFound', `Alarm ${name} not found`);
    const now = this.core.clock.now();
    evaluateUntil(record, this.metrics, now);
    setState(record, body.StateValue as StateValue, body.StateReason as string, body.StateReasonData as string | undefined, now, 'SetAlarmState');
  }

  // ---- metrics --------------------------------------------------------------------------------------------------

  /**
   * PutMetricData (API reference): Namespace required, at most 1000 datums, each with MetricName and one of
   * Value, Values (with Counts of the same length, at most 150 values) or StatisticValues; timestamps up to two
   * weeks in the past and two hours in the future; StorageResolution 1 or 60. A namespace starting `AWS/` is
   * reserved for AWS ("you should not specify a namespace that begins with AWS/"). Readable at once.
   */
  #putMetricData(body: Body): void {
    const c = new Constraints();
    if (c.required('namespace', body.Namespace)) c.string('namespace', body.Namespace, { min: 1, max: 255, pattern: '[^:].*' });
    const data = c.list('metricData', body.MetricData, {});
    data.forEach((item, index) => {
      const datum = (item ?? {}) as Body;
      const at = `metricData.${index + 1}.member`;
      if (c.required(`${at}.metricName`, datum.MetricName)) c.string(`${at}.metricName`, datum.MetricName, { min: 1, max: 255 });
      c.dimensions(`${at}.dimensions`, datum.Dimensions);
      c.number(`${at}.value`, datum.Value, {});
      c.string(`${at}.unit`, datum.Unit, { oneOf: STANDARD_UNITS });
      c.number(`${at}.storageResolution`, datum.StorageResolution, { min: 1, integer: true });
    });
    c.check();
    if (body.EntityMetricData !== undefined) notModelled('EntityMetricData');
    const namespace = body.Namespace as string;
    if (namespace.startsWith('AWS/')) throw cwError('InvalidParameterValueException', `The value ${namespace} for parameter Namespace is invalid.`);
    if (data.length === 0) throw cwError('MissingRequiredParameterException', 'The parameter MetricData is required.');
    if (data.length > 1000) throw cwError('InvalidParameterValueException', `The collection MetricData must not have a size greater than 1000.`);
    const now = this.core.clock.now();
    const accepted = data.map((item, index) => {
      const datum = item as Body;
      const at = `MetricData.member.${index + 1}`;
      const given = [
        datum.Value !== undefined && 'Value',
        datum.Values !== undefined && 'Values',
        datum.StatisticValues !== undefined && 'StatisticValues',
      ].filter(Boolean);
      if (given.length > 1) {
        throw cwError(
          'InvalidParameterCombinationException',
          `The parameters ${at}.${given[0]} and ${at}.${given[1]} are mutually exclusive and you have specified both.`,
        );
      }
      const values = (datum.Values as number[] | undefined) ?? [];
      const counts = datum.Counts as number[] | undefined;
      if (values.length > 150) throw cwError('InvalidParameterValueException', `The collection ${at}.Values must not have a size greater than 150.`);
      if (counts !== undefined && counts.length !== values.length) {
        throw cwError('InvalidParameterValueException', `The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
      }
      const set = datum.StatisticValues as Body | undefined;
      if (set !== undefined && ['SampleCount', 'Sum', 'Minimum', 'Maximum'].some((member) => typeof set[member] !== 'number')) {
        throw cwError('MissingRequiredParameterException', `The parameter ${at}.StatisticValues requires SampleCount, Sum, Minimum and Maximum.`);
      }
      const timestamp = datum.Timestamp === undefined ? now : (datum.Timestamp as number) * 1000;
      if (timestamp < now - 14 * 86_400_000)
        throw cwError('InvalidParameterValueException', `The parameter ${at}.Timestamp must specify a time no more than two weeks in the past.`);
      if (timestamp > now + 2 * 3_600_000)
        throw cwError('InvalidParameterValueException', `The parameter ${at}.Timestamp must specify a time no more than two hours in the future.`);
      const resolution = (datum.StorageResolution as number | undefined) ?? 60;
      if (resolution !== 1 && resolution !== 60)
        throw cwError('InvalidParameterValueException', `The value ${resolution} for parameter ${at}.StorageResolution is invalid.`);
      const pairs: [number, number][] =
        datum.Value !== undefined ? [[datum.Value as number, 1]] : values.map((value, i) => [value, counts?.[i] ?? 1] as [number, number]);
      return {
        namespace,
        metricName: datum.MetricName as string,
        dimensions: ((datum.Dimensions as Dimension[] | undefined) ?? []).map(({ Name, Value }) => ({ Name, Value })),
        timestamp,
        visibleAt: now,
        ...(datum.Unit === undefined ? {} : { unit: datum.Unit as string }),
        storageResolution: resolution,
        ...(set === undefined ? { values: pairs } : { set: set as never }),
      };
    });
    // All or nothing: a request refused above stores none of its datums.
    for (const datum of accepted) this.metrics.put(datum);
  }

  /**
   * GetMetricData with MetricStat queries (metric math and Metrics Insights expressions are not modelled):
   * one result per query with ReturnData (default true), a datapoint per Period that has data in
   * [StartTime, EndTime), the periods counted from StartTime as CloudWatch rounds it, newest first unless ScanBy
   * is TimestampAscending; MaxDatapoints (default 100,800) across results, the rest on the next page.
   */
  #getMetricData(body: Body): Body {
    const c = new Constraints();
    const queries = c.required('metricDataQueries', body.MetricDataQueries) ? c.list('metricDataQueries', body.MetricDataQueries, { max: 500 }) : [];
    queries.forEach((item, index) => {
      const query = (item ?? {}) as Body;
      const at = `metricDataQueries.${index + 1}.member`;
      if (c.required(`${at}.id`, query.Id)) c.string(`${at}.id`, query.Id, { min: 1, max: 255, pattern: '[a-z][a-zA-Z0-9_]*' });
      const stat = query.MetricStat as Body | undefined;
      if (stat !== undefined) {
        const metric = (stat.Metric ?? {}) as Body;
        c.required(`${at}.metricStat.metric`, stat.Metric);
        c.string(`${at}.metricStat.metric.namespace`, metric.Namespace, { min: 1, max: 255, pattern: '[^:].*' });
        c.string(`${at}.metricStat.metric.metricName`, metric.MetricName, { min: 1, max: 255 });
        c.dimensions(`${at}.metricStat.metric.dimensions`, metric.Dimensions);
        if (c.required(`${at}.metricStat.period`, stat.Period)) c.number(`${at}.metricStat.period`, stat.Period, { min: 1, integer: true });
        c.required(`${at}.metricStat.stat`, stat.Stat);
        c.string(`${at}.metricStat.unit`, stat.Unit, { oneOf: STANDARD_UNITS });
      }
    });
    c.required('startTime', body.StartTime);
    c.required('endTime', body.EndTime);
    c.string('scanBy', body.ScanBy, { oneOf: ['TimestampDescending', 'TimestampAscending'] });
    c.number('maxDatapoints', body.MaxDatapoints, { min: 1, integer: true });
    c.check();
    const start = (body.StartTime as number) * 1000;
    const end = (body.EndTime as number) * 1000;
    if (!(start < end)) throw cwError('ValidationException', 'The parameter StartTime must be less than the parameter EndTime.');
    const ids = new Set<string>();
    for (const item of queries) {
      const query = item as Body;
      if (ids.has(query.Id as string))
        throw cwError('ValidationException', `The value ${String(query.Id)} for parameter MetricDataQueries.member.Id is not unique.`);
      ids.add(query.Id as string);
      if (query.Expression !== undefined) notModelled('metric math and Metrics Insights expressions in GetMetricData');
      const stat = query.MetricStat as Body | undefined;
      if (stat === undefined) throw cwError('ValidationException', `Either MetricStat or Expression must be set for the query ${String(query.Id)}.`);
      const period = stat.Period as number;
      // "the period can be 1, 5, 10, 20, 30, 60, or any multiple of 60" (API reference, MetricStat).
      if (![1, 5, 10, 20, 30].includes(period) && period % 60 !== 0)
        throw cwError('ValidationException', `The parameter MetricStat.Period of the query ${String(query.Id)} must be 1, 5, 10, 20, 30 or a multiple of 60.`);
      const name = stat.Stat as string;
      if (!(STATISTICS as readonly string[]).includes(name) && !isExtendedStatistic(name))
        throw cwError('ValidationException', `The value ${name} for parameter MetricStat.Stat is not supported.`);
      if (!(STATISTICS as readonly string[]).includes(name) && percentileOf(name) === undefined)
        notModelled(`the statistic ${name} (only percentiles, p0 to p100)`);
    }
    const now = this.core.clock.now();
    // "CloudWatch rounds the specified time as follows: Start time less than 15 days ago - Round down to the
    // nearest whole minute ... between 15 and 63 days ago - Round down to the nearest 5-minute clock interval
    // ... greater than 63 days ago - Round down to the nearest 1-hour clock interval" (API reference,
    // GetMetricData, StartTime); the periods count from there.
    const age = now - start;
    const unit = age < 15 * 86_400_000 ? 60_000 : age < 63 * 86_400_000 ? 300_000 : 3_600_000;
    const rounded = Math.floor(start / unit) * unit;
    const descending = body.ScanBy !== 'TimestampAscending';
    const results = queries
      .map((item) => item as Body)
      .filter((query) => query.ReturnData !== false)
      .map((query) => {
        const stat = query.MetricStat as Body;
        const metric = stat.Metric as Body;
        const period = (stat.Period as number) * 1000;
        const id = {
          namespace: metric.Namespace as string,
          metricName: metric.MetricName as string,
          dimensions: (metric.Dimensions as Dimension[] | undefined) ?? [],
        };
        const points: [Date, number][] = [];
        for (const [from, aggregate] of [...this.metrics.byPeriod(id, rounded, end, period, now, stat.Unit as string | undefined)].sort(([a], [b]) => a - b)) {
          const value = statisticValue(aggregate, stat.Stat as string);
          if (value !== undefined) points.push([new Date(from), value]);
        }
        if (descending) points.reverse();
        return { id: query.Id as string, label: (query.Label as string | undefined) ?? id.metricName, points };
      });
    const offset = body.NextToken === undefined ? 0 : this.#readOffset(body.NextToken);
    const max = (body.MaxDatapoints as number | undefined) ?? 100_800;
    let skip = offset;
    let room = max;
    let cut = false;
    const MetricDataResults = results.map(({ id, label, points }) => {
      const from = Math.min(skip, points.length);
      skip -= from;
      const taken = points.slice(from, from + room);
      room -= taken.length;
      const partial = from + taken.length < points.length;
      cut ||= partial;
      return {
        Id: id,
        Label: label,
        Timestamps: taken.map(([at]) => at),
        Values: taken.map(([, value]) => value),
        StatusCode: partial ? 'PartialData' : 'Complete',
      };
    });
    return { MetricDataResults, Messages: [], ...(cut ? { NextToken: Buffer.from(JSON.stringify({ offset: offset + max })).toString('base64url') } : {}) };
  }

  #readOffset(token: unknown): number {
    try {
      const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as { offset?: unknown };
      if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset;
    } catch {
      // fall through
    }
    throw cwError('InvalidNextToken', 'The NextToken is invalid.');
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
