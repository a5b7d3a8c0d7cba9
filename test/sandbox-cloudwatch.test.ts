/**
 * The sandbox's CloudWatch service, driven by the real `@aws-sdk/client-cloudwatch` over HTTP (found through
 * AWS_ENDPOINT_URL_CLOUDWATCH, as gantry's clients find it): the wire format the client speaks (AWS JSON 1.0,
 * query-compatible errors; Smithy RPC v2 CBOR for a client built with it), alarms put, described, paged,
 * updated and deleted, what PutMetricAlarm, DeleteAlarms, SetAlarmState, DescribeAlarms and PutMetricData
 * refuse, alarm evaluation on the sandbox clock (M of N, missing data, SetAlarmState until the next
 * evaluation), metrics put and read back, and the AWS/Lambda metrics of the Lambda sandbox's own invocations
 * driving an Errors alarm on the new version of a weighted alias. The clock is held still and moved by the
 * tests: nothing waits in real time.
 */
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  PutMetricDataCommand,
  paginateDescribeAlarms,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { afterEach, describe, expect, it } from 'vitest';
import { seedLambda } from '../scripts/sandbox/lambda/seed.js';
import { type GantrySandbox, type GantrySandboxOptions, startSandbox } from '../scripts/sandbox/sandbox.js';
import { createLambdaClient } from '../src/aws/clients.js';
import { controlClock, intercept } from './helpers/sandbox-control.js';

const saved = { ...process.env };
let sandbox: GantrySandbox | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  process.env = { ...saved };
});

const MINUTE = 60_000;

/**
 * A sandbox with its clock held still 5 s past a minute boundary (`t0`), so that the alarms' evaluations (on
 * minute boundaries) fall at known times: the first at `t0 + 55 s`. The CloudWatch client makes one attempt: a
 * refusal is the answer under test, never retried.
 */
async function start(options: GantrySandboxOptions = {}) {
  const sb = await startSandbox(options);
  sandbox = sb;
  Object.assign(process.env, sb.env);
  const clock = controlClock(sb.clock);
  clock.freeze();
  const now = sb.clock.now();
  clock.advance(Math.ceil(now / MINUTE) * MINUTE + 5_000 - now);
  const cw = new CloudWatchClient({ region: 'eu-west-1', maxAttempts: 1 });
  return { sb, clock, cw, cloudwatch: sb.services.cloudwatch, t0: sb.clock.now() };
}

/** A standard static-threshold alarm on an AWS/Lambda metric. */
function lambdaAlarm(name: string, dimensions: Record<string, string>, overrides: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput {
  return {
    AlarmName: name,
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    ...overrides,
  };
}

/** The error a call is refused with. */
async function refusal(promise: Promise<unknown>): Promise<Error & { Error?: { Code?: string; Type?: string }; $metadata?: { httpStatusCode?: number } }> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the call to be refused');
  return outcome;
}

async function describeOne(cw: CloudWatchClient, name: string): Promise<MetricAlarm | undefined> {
  return (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
}

describe('sandbox CloudWatch: the wire and the alarm lifecycle', () => {
  it('speaks the client’s AWS JSON 1.0 (query-compatible): put, describe, SetAlarmState, update keeps the state, delete', async () => {
    const { sb, clock, cw, cloudwatch, t0 } = await start();
    const seen: Record<string, unknown>[] = [];
    intercept(cloudwatch, async (operation, request, answer) => {
      seen.push({ operation, target: request.headers['x-amz-target'], type: request.headers['content-type'], mode: request.headers['x-amzn-query-mode'] });
      return answer();
    });
    await cw.send(
      new PutMetricAlarmCommand(
        lambdaAlarm(
          'orders-canary-errors',
          { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '7' },
          {
            AlarmDescription: 'errors of the new version',
            AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:alerts'],
            EvaluationPeriods: 3,
            DatapointsToAlarm: 2,
            TreatMissingData: 'notBreaching',
            Tags: [{ Key: 'team', Value: 'orders' }],
          },
        ),
      ),
    );
    expect(seen[0]).toEqual({
      operation: 'PutMetricAlarm',
      target: 'GraniteServiceVersion20100801.PutMetricAlarm',
      type: 'application/x-amz-json-1.0',
      mode: 'true',
    });

    const created = await describeOne(cw, 'orders-canary-errors');
    expect(created).toEqual({
      AlarmName: 'orders-canary-errors',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-canary-errors',
      AlarmDescription: 'errors of the new version',
      AlarmConfigurationUpdatedTimestamp: new Date(t0),
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:alerts'],
      InsufficientDataActions: [],
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      StateUpdatedTimestamp: new Date(t0),
      StateTransitionedTimestamp: new Date(t0),
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Dimensions: [
        { Name: 'FunctionName', Value: 'orders' },
        { Name: 'Resource', Value: 'orders:live' },
        { Name: 'ExecutedVersion', Value: '7' },
      ],
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });

    clock.advance(2_000);
    await cw.send(
      new SetAlarmStateCommand({ AlarmName: 'orders-canary-errors', StateValue: 'ALARM', StateReason: 'drill', StateReasonData: '{"drill":true}' }),
    );
    clock.advance(2_000);
    // An update overwrites the configuration and leaves the state as it is.
    await cw.send(new PutMetricAlarmCommand(lambdaAlarm('orders-canary-errors', { FunctionName: 'orders' }, { Threshold: 5 })));
    const updated = await describeOne(cw, 'orders-canary-errors');
    expect(updated).toMatchObject({
      Threshold: 5,
      Dimensions: [{ Name: 'FunctionName', Value: 'orders' }],
      StateValue: 'ALARM',
      StateReason: 'drill',
      StateReasonData: '{"drill":true}',
      StateTransitionedTimestamp: new Date(t0 + 2_000),
      AlarmConfigurationUpdatedTimestamp: new Date(t0 + 4_000),
    });
    expect(updated).not.toHaveProperty('AlarmDescription');
    expect(updated).not.toHaveProperty('DatapointsToAlarm');

    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['orders-canary-errors'] }));
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
    expect(cloudwatch.alarm('orders-canary-errors')).toBeUndefined();
    expect(sb.server.calls('cloudwatch', 'DescribeAlarms').map((call) => call.status)).toEqual([200, 200, 200]);
    expect(sb.server.calls('cloudwatch').map((call) => call.operation)).toEqual([
      'PutMetricAlarm',
      'DescribeAlarms',
      'SetAlarmState',
      'PutMetricAlarm',
      'DescribeAlarms',
      'DeleteAlarms',
      'DescribeAlarms',
    ]);
  });

  it('answers a client built for Smithy RPC v2 CBOR too, errors included', async () => {
    const { sb, t0 } = await start();
    const cw = new CloudWatchClient({ region: 'eu-west-1', maxAttempts: 1, protocol: AwsSmithyRpcV2CborProtocol });
    await cw.send(new PutMetricAlarmCommand(lambdaAlarm('cbor-alarm', { FunctionName: 'orders' })));
    const alarm = await describeOne(cw, 'cbor-alarm');
    expect(alarm).toMatchObject({ AlarmName: 'cbor-alarm', StateValue: 'INSUFFICIENT_DATA', StateUpdatedTimestamp: new Date(t0), Threshold: 1 });
    const missing = await refusal(cw.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' })));
    expect(missing).toMatchObject({ name: 'ResourceNotFound', message: 'Alarm nope not found', $metadata: { httpStatusCode: 404 } });
    expect(sb.server.calls('cloudwatch').map((call) => call.path)).toEqual([
      '/service/GraniteServiceVersion20100801/operation/PutMetricAlarm',
      '/service/GraniteServiceVersion20100801/operation/DescribeAlarms',
      '/service/GraniteServiceVersion20100801/operation/SetAlarmState',
    ]);
  });
});

describe('sandbox CloudWatch: refusals', () => {
  it('PutMetricAlarm: the model’s constraints in one ValidationError, then the API reference’s rules', async () => {
    const { clock, cw } = await start();
    // PutMetricAlarm is limited to 3 requests per second: space the calls out in sandbox time.
    const put = (input: PutMetricAlarmCommandInput) => {
      clock.advance(400);
      return refusal(cw.send(new PutMetricAlarmCommand(input)));
    };
    const constraints = await put(lambdaAlarm('x'.repeat(256), { FunctionName: 'orders' }, { EvaluationPeriods: 0 }));
    expect(constraints).toMatchObject({ name: 'ValidationException', Error: { Code: 'ValidationError', Type: 'Sender' }, $metadata: { httpStatusCode: 400 } });
    expect(constraints.message).toBe(
      `2 validation errors detected: Value '${'x'.repeat(256)}' at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255; ` +
        "Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect((await put(lambdaAlarm('a', {}, { Namespace: ':bad' }))).message).toBe(
      "1 validation error detected: Value ':bad' at 'namespace' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:].*",
    );
    expect((await put(lambdaAlarm('a', {}, { EvaluationPeriods: 2, DatapointsToAlarm: 3 }))).message).toBe(
      'DatapointsToAlarm must be less than or equal to EvaluationPeriods',
    );
    expect((await put(lambdaAlarm('a', {}, { Period: 45 }))).message).toBe('Period must be 10, 20, 30 or a multiple of 60.');
    expect((await put(lambdaAlarm('a', {}, { Period: 60, EvaluationPeriods: 1441 }))).message).toMatch(/can't be longer than one day/);
    expect((await put(lambdaAlarm('a', {}, { Period: 3600, EvaluationPeriods: 169 }))).message).toMatch(/can't be longer than seven days/);
    expect((await put(lambdaAlarm('a', {}, { ExtendedStatistic: 'p99' }))).message).toBe('Statistic and ExtendedStatistic cannot both be set.');
    expect((await put(lambdaAlarm('a', {}, { Statistic: undefined }))).message).toBe('Either Statistic or ExtendedStatistic must be set.');
    expect((await put(lambdaAlarm('a', {}, { MetricName: undefined }))).message).toBe('MetricName must not be null');
    expect((await put(lambdaAlarm('a', {}, { TreatMissingData: 'sometimes' }))).message).toMatch(/^TreatMissingData must be one of/);
    const math = await put({
      AlarmName: 'a',
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Statistic: 'Sum',
      Metrics: [{ Id: 'e1', Expression: 'm1 * 2', ReturnData: true }],
    });
    expect(math.message).toBe('Statistic should not be set if list of Metrics is set.');
    expect(
      await put({
        AlarmName: 'a',
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: [{ Id: 'e1', Expression: 'm1 * 2' }],
      }),
    ).toMatchObject({
      name: 'ValidationException',
      message: 'The CloudWatch sandbox does not model metric math alarms (Metrics).',
    });
    // None of them was stored.
    expect((await cw.send(new DescribeAlarmsCommand({}))).MetricAlarms).toEqual([]);
  });

  it('DeleteAlarms deletes all or nothing; SetAlarmState and DescribeAlarms refuse as modelled', async () => {
    const { clock, cw, cloudwatch } = await start();
    cloudwatch.putMetricAlarm(lambdaAlarm('kept', { FunctionName: 'orders' }));
    const missing = await refusal(cw.send(new DeleteAlarmsCommand({ AlarmNames: ['kept', 'gone'] })));
    expect(missing).toMatchObject({ name: 'ResourceNotFound', Error: { Code: 'ResourceNotFound' }, $metadata: { httpStatusCode: 404 } });
    expect(missing.message).toBe('1 of the alarms specified could not be found: gone');
    expect(cloudwatch.alarm('kept')).toBeDefined();
    const tooMany = await refusal(cw.send(new DeleteAlarmsCommand({ AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`) })));
    expect(tooMany.message).toMatch(
      /^1 validation error detected: Value '\[a0, a1, .*\]' at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100$/,
    );

    clock.advance(1_000);
    expect(await refusal(cw.send(new SetAlarmStateCommand({ AlarmName: 'gone', StateValue: 'ALARM', StateReason: 'x' })))).toMatchObject({
      name: 'ResourceNotFound',
      $metadata: { httpStatusCode: 404 },
    });
    expect(
      await refusal(cw.send(new SetAlarmStateCommand({ AlarmName: 'kept', StateValue: 'ALARM', StateReason: 'x', StateReasonData: '{not json' }))),
    ).toMatchObject({
      name: 'InvalidFormatFault',
      Error: { Code: 'InvalidFormat' },
      $metadata: { httpStatusCode: 400 },
    });
    expect(cloudwatch.alarm('kept')?.StateValue).toBe('INSUFFICIENT_DATA');

    expect((await refusal(cw.send(new DescribeAlarmsCommand({ MaxRecords: 101 })))).message).toBe(
      "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    expect(await refusal(cw.send(new DescribeAlarmsCommand({ AlarmNames: ['kept'], AlarmNamePrefix: 'k' })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(cw.send(new DescribeAlarmsCommand({ NextToken: 'not-a-token' })))).toMatchObject({
      name: 'InvalidNextToken',
      Error: { Code: 'InvalidNextToken' },
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('PutMetricData refuses the AWS/ namespace, mixed or mismatched values and stale timestamps, storing none of the request', async () => {
    const { clock, cw, t0 } = await start();
    const put = (input: ConstructorParameters<typeof PutMetricDataCommand>[0]) => refusal(cw.send(new PutMetricDataCommand(input)));
    expect(await put({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'Errors', Value: 1 }] })).toMatchObject({
      name: 'InvalidParameterValueException',
      Error: { Code: 'InvalidParameterValue' },
      message: 'The value AWS/Lambda for parameter Namespace is invalid.',
    });
    expect(await put({ Namespace: 'App', MetricData: [{ MetricName: 'm', Value: 1, Values: [1, 2] }] })).toMatchObject({
      name: 'InvalidParameterCombinationException',
      message: 'The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.',
    });
    expect(
      await put({
        Namespace: 'App',
        MetricData: [
          { MetricName: 'ok', Value: 1 },
          { MetricName: 'm', Values: [1, 2], Counts: [1] },
        ],
      }),
    ).toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'The parameters MetricData.member.2.Values and MetricData.member.2.Counts must be of the same size.',
    });
    expect(await put({ Namespace: 'App', MetricData: [{ MetricName: 'm', Value: 1, Timestamp: new Date(t0 - 15 * 86_400_000) }] })).toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'The parameter MetricData.member.1.Timestamp must specify a time no more than two weeks in the past.',
    });
    clock.advance(MINUTE);
    const read = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0 - MINUTE),
        EndTime: new Date(t0 + MINUTE),
        MetricDataQueries: [{ Id: 'ok', MetricStat: { Metric: { Namespace: 'App', MetricName: 'ok' }, Period: 60, Stat: 'SampleCount' } }],
      }),
    );
    expect(read.MetricDataResults?.[0]?.Values).toEqual([]);
  });
});

describe('sandbox CloudWatch: DescribeAlarms paging and filters', () => {
  it('pages in name order with NextToken, 50 by default, and filters by prefix, names and evaluated state', async () => {
    const { clock, cw, cloudwatch } = await start();
    for (let i = 0; i < 120; i++)
      cloudwatch.putMetricAlarm(lambdaAlarm(`alarm-${String(119 - i).padStart(3, '0')}`, { FunctionName: `fn-${i}` }, { TreatMissingData: 'ignore' }));
    cloudwatch.putMetricAlarm(lambdaAlarm('other', { FunctionName: 'other' }, { TreatMissingData: 'ignore' }));
    // DescribeAlarms is limited to 9 requests per second: space the calls out in sandbox time.
    const describe = (input: DescribeAlarmsCommandInput) => {
      clock.advance(120);
      return cw.send(new DescribeAlarmsCommand(input));
    };

    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await describe({ AlarmNamePrefix: 'alarm-', NextToken: token });
      pages.push((page.MetricAlarms ?? []).map((alarm) => alarm.AlarmName!));
      token = page.NextToken;
    } while (token !== undefined);
    expect(pages.map((page) => page.length)).toEqual([50, 50, 20]);
    expect(pages.flat()).toEqual(Array.from({ length: 120 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`));

    const small: string[][] = [];
    for await (const page of paginateDescribeAlarms({ client: cw, pageSize: 7 }, { AlarmNamePrefix: 'alarm-01' })) {
      clock.advance(120);
      small.push((page.MetricAlarms ?? []).map((alarm) => alarm.AlarmName!));
    }
    expect(small.map((page) => page.length)).toEqual([7, 3]);

    expect((await describe({ AlarmNames: ['other', 'alarm-005', 'missing'] })).MetricAlarms?.map((alarm) => alarm.AlarmName)).toEqual(['alarm-005', 'other']);

    cloudwatch.setAlarmState('alarm-010', 'ALARM', 'drill');
    cloudwatch.setAlarmState('alarm-100', 'ALARM', 'drill');
    cloudwatch.setAlarmState('other', 'ALARM', 'drill');
    const first = await describe({ StateValue: 'ALARM', MaxRecords: 2 });
    expect(first.MetricAlarms?.map((alarm) => alarm.AlarmName)).toEqual(['alarm-010', 'alarm-100']);
    const second = await describe({ StateValue: 'ALARM', MaxRecords: 2, NextToken: first.NextToken });
    expect(second.MetricAlarms?.map((alarm) => alarm.AlarmName)).toEqual(['other']);
    expect(second.NextToken).toBeUndefined();
    expect((await describe({ AlarmTypes: ['CompositeAlarm'] })).MetricAlarms).toEqual([]);
  });

  it('throttles DescribeAlarms beyond 9 requests per second with the query-era Throttling error; injected faults answer in CloudWatch’s form', async () => {
    const { sb, clock, cw } = await start();
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: Error) => error.name,
      );
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) outcomes.push(await outcome(cw.send(new DescribeAlarmsCommand({}))));
    expect(outcomes).toEqual([...Array(9).fill('ok'), 'Throttling']);
    expect(sb.server.calls('cloudwatch', 'DescribeAlarms').filter((call) => call.throttled)).toHaveLength(1);

    clock.advance(1_000);
    sb.faults.add({ service: 'cloudwatch', operation: 'DescribeAlarms', kind: 'access-denied', times: 1 });
    sb.faults.add({ service: 'cloudwatch', operation: 'DescribeAlarms', kind: 'server-error', times: 1 });
    const denied = await refusal(cw.send(new DescribeAlarmsCommand({})));
    expect(denied).toMatchObject({ name: 'AccessDenied', Error: { Code: 'AccessDenied' }, $metadata: { httpStatusCode: 403 } });
    expect(denied.message).toMatch(/is not authorized to perform: cloudwatch:DescribeAlarms/);
    expect(await refusal(cw.send(new DescribeAlarmsCommand({})))).toMatchObject({
      name: 'InternalServiceFault',
      Error: { Code: 'InternalServiceError', Type: 'Receiver' },
      $metadata: { httpStatusCode: 500 },
    });
  });
});

describe('sandbox CloudWatch: alarm evaluation on the sandbox clock', () => {
  it('SetAlarmState lasts until the next evaluation, which decides from the data (none here: INSUFFICIENT_DATA)', async () => {
    const { clock, cw, cloudwatch, t0 } = await start();
    cloudwatch.putMetricAlarm(lambdaAlarm('drill', { FunctionName: 'orders' }));
    cloudwatch.putMetricAlarm(lambdaAlarm('held', { FunctionName: 'orders' }, { TreatMissingData: 'ignore' }));
    await cw.send(new SetAlarmStateCommand({ AlarmName: 'drill', StateValue: 'ALARM', StateReason: 'testing the pager' }));
    cloudwatch.setAlarmState('held', 'ALARM');
    clock.advance(54_999);
    expect(await describeOne(cw, 'drill')).toMatchObject({ StateValue: 'ALARM', StateReason: 'testing the pager', StateTransitionedTimestamp: new Date(t0) });

    // The evaluation at the next minute: no datapoint, missing data treated as missing.
    clock.advance(1);
    const drill = await describeOne(cw, 'drill');
    expect(drill).toMatchObject({
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Insufficient Data: 3 datapoints were unknown.',
      StateTransitionedTimestamp: new Date(t0 + 55_000),
    });
    expect(JSON.parse(drill!.StateReasonData!)).toMatchObject({ version: '1.0', statistic: 'Sum', period: 60, recentDatapoints: [], threshold: 1 });
    expect(cloudwatch.alarmHistory('drill').map(({ from, to, by }) => `${from}->${to} (${by})`)).toEqual([
      'INSUFFICIENT_DATA->ALARM (SetAlarmState)',
      'ALARM->INSUFFICIENT_DATA (evaluation)',
    ]);
    // Missing data ignored: the evaluation cannot decide, the state set stays.
    clock.advance(10 * MINUTE);
    expect(cloudwatch.alarm('held')).toMatchObject({ StateValue: 'ALARM', StateReason: 'Set by the sandbox (test control)' });

    // The same state again is an update, not a transition.
    cloudwatch.setAlarmState('held', 'ALARM', 'again');
    expect(cloudwatch.alarm('held')).toMatchObject({
      StateReason: 'again',
      StateUpdatedTimestamp: new Date(t0 + 655_000),
      StateTransitionedTimestamp: new Date(t0),
    });
  });

  it('treats missing data as told, and alarms on M out of N datapoints', async () => {
    const { clock, cw, cloudwatch, t0 } = await start();
    const custom = (name: string, overrides: Partial<PutMetricAlarmCommandInput>) =>
      cloudwatch.putMetricAlarm({
        ...lambdaAlarm(name, { Queue: 'orders' }),
        Namespace: 'Gantry/Test',
        MetricName: 'Depth',
        Statistic: 'Maximum',
        Threshold: 10,
        ...overrides,
      });
    custom('breaching', { TreatMissingData: 'breaching' });
    custom('not-breaching', { TreatMissingData: 'notBreaching' });
    custom('missing', {});
    custom('ignore', { TreatMissingData: 'ignore' });
    custom('two-of-three', { EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });

    clock.advance(55_000);
    expect(cloudwatch.alarm('breaching')).toMatchObject({
      StateValue: 'ALARM',
      StateReason: 'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].',
    });
    expect(cloudwatch.alarm('not-breaching')?.StateValue).toBe('OK');
    expect(cloudwatch.alarm('missing')).toMatchObject({ StateValue: 'INSUFFICIENT_DATA', StateReason: 'Unchecked: Initial alarm creation' });
    expect(cloudwatch.alarm('ignore')).toMatchObject({ StateValue: 'INSUFFICIENT_DATA', StateReason: 'Unchecked: Initial alarm creation' });

    // One value a minute, 12, 3, 15: the minute just ended and the one before the last breach.
    const depth = (value: number) =>
      cw.send(
        new PutMetricDataCommand({
          Namespace: 'Gantry/Test',
          MetricData: [{ MetricName: 'Depth', Dimensions: [{ Name: 'Queue', Value: 'orders' }], Value: value }],
        }),
      );
    await depth(12);
    clock.advance(MINUTE);
    await depth(3);
    clock.advance(MINUTE);
    await depth(15);
    const m0 = t0 - 5_000 + MINUTE;
    expect(cloudwatch.alarm('two-of-three')?.StateValue).toBe('OK');
    clock.advance(MINUTE);
    const alarm = cloudwatch.alarm('two-of-three');
    expect(alarm).toMatchObject({ StateValue: 'ALARM', StateTransitionedTimestamp: new Date(m0 + 3 * MINUTE) });
    const stamp = (ms: number) => {
      const d = new Date(ms);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:00`;
    };
    expect(alarm?.StateReason).toBe(
      `Threshold Crossed: 2 out of the last 3 datapoints [15.0 (${stamp(m0 + 2 * MINUTE)}), 12.0 (${stamp(m0)})] were greater than or equal to the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition).`,
    );
    expect(JSON.parse(alarm!.StateReasonData!)).toMatchObject({ recentDatapoints: [12, 3, 15], threshold: 10, statistic: 'Maximum' });
    // The alarm with missing data treated as missing saw real datapoints: 15 breaches its 1 of 1.
    expect(cloudwatch.alarm('missing')?.StateValue).toBe('ALARM');
  });
});

describe('sandbox CloudWatch: metrics', () => {
  it('GetMetricData computes Sum, Average, SampleCount and p99 per period, newest first by default, paged by MaxDatapoints', async () => {
    const { clock, cw, t0 } = await start();
    const m0 = t0 - 5_000;
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'App',
        MetricData: [
          { MetricName: 'Latency', Unit: 'Milliseconds', Values: [10, 20, 1000], Counts: [98, 1, 1], Timestamp: new Date(m0 + 1_000) },
          { MetricName: 'Latency', Unit: 'Milliseconds', Value: 40, Timestamp: new Date(m0 - MINUTE + 30_000) },
        ],
      }),
    );
    clock.advance(MINUTE);
    const query = (input: Partial<GetMetricDataCommandInput>) =>
      cw.send(
        new GetMetricDataCommand({
          StartTime: new Date(m0 - 5 * MINUTE),
          EndTime: new Date(m0 + 5 * MINUTE),
          MetricDataQueries: ['Sum', 'Average', 'SampleCount', 'p99', 'p50'].map((stat) => ({
            Id: stat.toLowerCase(),
            MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency' }, Period: 60, Stat: stat },
          })),
          ...input,
        }),
      );
    const all = await query({});
    expect(all.MetricDataResults?.map(({ Id, Values, Timestamps, StatusCode }) => ({ Id, Values, Timestamps, StatusCode }))).toEqual([
      { Id: 'sum', Values: [980 + 20 + 1000, 40], Timestamps: [new Date(m0), new Date(m0 - MINUTE)], StatusCode: 'Complete' },
      { Id: 'average', Values: [2000 / 100, 40], Timestamps: [new Date(m0), new Date(m0 - MINUTE)], StatusCode: 'Complete' },
      { Id: 'samplecount', Values: [100, 1], Timestamps: [new Date(m0), new Date(m0 - MINUTE)], StatusCode: 'Complete' },
      { Id: 'p99', Values: [20, 40], Timestamps: [new Date(m0), new Date(m0 - MINUTE)], StatusCode: 'Complete' },
      { Id: 'p50', Values: [10, 40], Timestamps: [new Date(m0), new Date(m0 - MINUTE)], StatusCode: 'Complete' },
    ]);
    const ascending = await query({
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [{ Id: 'sum', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency' }, Period: 60, Stat: 'Sum', Unit: 'Milliseconds' } }],
    });
    expect(ascending.MetricDataResults?.[0]).toMatchObject({ Values: [40, 2000], Timestamps: [new Date(m0 - MINUTE), new Date(m0)] });
    const otherUnit = await query({
      MetricDataQueries: [{ Id: 'sum', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Latency' }, Period: 60, Stat: 'Sum', Unit: 'Seconds' } }],
    });
    expect(otherUnit.MetricDataResults?.[0]?.Values).toEqual([]);
    const firstPage = await query({ MaxDatapoints: 3 });
    expect(firstPage.MetricDataResults?.map((result) => [result.Id, result.Values?.length, result.StatusCode])).toEqual([
      ['sum', 2, 'Complete'],
      ['average', 1, 'PartialData'],
      ['samplecount', 0, 'PartialData'],
      ['p99', 0, 'PartialData'],
      ['p50', 0, 'PartialData'],
    ]);
    const secondPage = await query({ MaxDatapoints: 3, NextToken: firstPage.NextToken });
    expect(secondPage.MetricDataResults?.map((result) => result.Values)).toEqual([[], [40], [100, 1], [], []]);
    expect(secondPage.NextToken).toBeDefined();
  });
});

describe('sandbox CloudWatch: metrics from the Lambda sandbox’s invocations', () => {
  /** A function with two Active versions behind `live`: 1 primary, 2 at a quarter of the traffic. */
  async function weightedAlias() {
    const started = await start();
    const { sb } = started;
    seedLambda(sb.services.lambda, { functions: 1, versionsPerFunction: 2, namePrefix: 'orders', aliases: [] });
    sb.services.lambda.putAlias('orders-0', 'live', { functionVersion: '1', weights: { '2': 0.25 } }, { instant: true });
    const lambda = createLambdaClient({ region: 'eu-west-1', retryMode: 'standard' });
    const invokeLive = async (times: number) => {
      const executed: Record<string, number> = {};
      for (let i = 0; i < times; i++) {
        const response = await lambda.send(new InvokeCommand({ FunctionName: 'orders-0', Qualifier: 'live', Payload: '{}' }));
        const key = `${response.ExecutedVersion}${response.FunctionError === undefined ? '' : ' failed'}`;
        executed[key] = (executed[key] ?? 0) + 1;
      }
      return executed;
    };
    return { ...started, lambda, invokeLive };
  }

  it('a failing new version drives its Errors alarm (Resource=fn:alias, ExecutedVersion) to ALARM; the stable version’s stays OK', async () => {
    const { sb, clock, cw, invokeLive, t0 } = await weightedAlias();
    sb.services.lambda.setHandler('orders-0', (_event, { version }) => {
      if (version === '2') throw new Error('new version is broken');
      return { ok: true };
    });
    const alarm = (name: string, version: string) =>
      cw.send(
        new PutMetricAlarmCommand(
          lambdaAlarm(
            name,
            { FunctionName: 'orders-0', Resource: 'orders-0:live', ExecutedVersion: version },
            { EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' },
          ),
        ),
      );
    await alarm('orders-canary-errors', '2');
    await alarm('orders-stable-errors', '1');

    const first = await invokeLive(40);
    expect(Object.keys(first).sort()).toEqual(['1', '2 failed']);
    // Nothing is readable before Lambda sends the minute's metrics, at its end.
    clock.advance(54_999);
    expect(stateOf(sb, 'orders-canary-errors')).toBe('INSUFFICIENT_DATA');
    clock.advance(1);
    // One breaching minute of the two the alarm needs.
    const afterOne = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'orders-' }));
    expect(afterOne.MetricAlarms?.map((a) => [a.AlarmName, a.StateValue])).toEqual([
      ['orders-canary-errors', 'OK'],
      ['orders-stable-errors', 'OK'],
    ]);

    clock.advance(5_000);
    const second = await invokeLive(40);
    clock.advance(55_000);
    const canary = await describeOne(cw, 'orders-canary-errors');
    expect(canary).toMatchObject({ StateValue: 'ALARM', StateTransitionedTimestamp: new Date(t0 + 115_000) });
    expect(canary?.StateReason).toMatch(
      /^Threshold Crossed: 2 out of the last 2 datapoints \[\d+\.0 \(.*\), \d+\.0 \(.*\)\] were greater than or equal to the threshold \(1\.0\) \(minimum 2 datapoints for OK -> ALARM transition\)\.$/,
    );
    expect(JSON.parse(canary!.StateReasonData!).recentDatapoints).toEqual([first['2 failed'], second['2 failed']]);
    expect((await cw.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }))).MetricAlarms?.map((a) => a.AlarmName)).toEqual(['orders-canary-errors']);
    expect(sb.services.cloudwatch.alarm('orders-stable-errors')?.StateValue).toBe('OK');

    // The timeline: invocations per minute by the version that ran, as Lambda published them.
    const byVersion = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0 - 5_000),
        EndTime: new Date(t0 + 115_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: ['1', '2'].map((version) => ({
          Id: `v${version}`,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: 'Invocations',
              Dimensions: [
                { Name: 'FunctionName', Value: 'orders-0' },
                { Name: 'Resource', Value: 'orders-0:live' },
                { Name: 'ExecutedVersion', Value: version },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
        })),
      }),
    );
    expect(byVersion.MetricDataResults?.map((result) => result.Values)).toEqual([
      [first['1'], second['1']],
      [first['2 failed'], second['2 failed']],
    ]);
  });

  it('publishes Duration (p99 per version), Invocations by function and across functions, and Throttles for a throttled invoke', async () => {
    const { sb, clock, cw, lambda, t0 } = await weightedAlias();
    // The handler's own duration in sandbox time: the new version is slow.
    sb.services.lambda.setHandler('orders-0', (_event, { version }) => {
      clock.advance(version === '2' ? 900 : 40);
      return { ok: true };
    });
    sb.services.cloudwatch.putMetricAlarm(
      lambdaAlarm(
        'orders-canary-p99',
        { FunctionName: 'orders-0', Resource: 'orders-0:live', ExecutedVersion: '2' },
        { MetricName: 'Duration', Statistic: undefined, ExtendedStatistic: 'p99', Threshold: 500, ComparisonOperator: 'GreaterThanThreshold' },
      ),
    );
    for (let i = 0; i < 12; i++) await lambda.send(new InvokeCommand({ FunctionName: 'orders-0', Qualifier: 'live' }));
    await lambda.send(new InvokeCommand({ FunctionName: 'orders-0', Qualifier: '1' }));
    // Three throttled attempts (one attempt each: no retry waits in real time), then one that gets through.
    sb.faults.add({ service: 'lambda', operation: 'Invoke', kind: 'throttle', times: 3 });
    const once = createLambdaClient({ region: 'eu-west-1', retryMode: 'standard', maxAttempts: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await refusal(once.send(new InvokeCommand({ FunctionName: 'orders-0', Qualifier: 'live' })))).toMatchObject({ name: 'TooManyRequestsException' });
    }
    await once.send(new InvokeCommand({ FunctionName: 'orders-0', Qualifier: 'live' }));
    clock.advance(MINUTE - ((sb.clock.now() - t0 + 5_000) % MINUTE));

    expect(sb.services.cloudwatch.alarm('orders-canary-p99')).toMatchObject({ StateValue: 'ALARM' });
    const metric = (id: string, metricName: string, stat: string, dimensions: Record<string, string>) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) },
        Period: 300,
        Stat: stat,
      },
    });
    const read = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(t0 - 5 * MINUTE),
        EndTime: new Date(t0 + 5 * MINUTE),
        MetricDataQueries: [
          metric('p99new', 'Duration', 'p99', { FunctionName: 'orders-0', Resource: 'orders-0:live', ExecutedVersion: '2' }),
          metric('p99stable', 'Duration', 'p99', { FunctionName: 'orders-0', Resource: 'orders-0:live', ExecutedVersion: '1' }),
          metric('byfunction', 'Invocations', 'Sum', { FunctionName: 'orders-0' }),
          metric('version1', 'Invocations', 'Sum', { FunctionName: 'orders-0', Resource: 'orders-0:1' }),
          metric('everything', 'Invocations', 'Sum', {}),
          metric('throttles', 'Throttles', 'Sum', { FunctionName: 'orders-0', Resource: 'orders-0:live' }),
          metric('errors', 'Errors', 'Sum', { FunctionName: 'orders-0' }),
        ],
      }),
    );
    expect(Object.fromEntries(read.MetricDataResults!.map((result) => [result.Id, result.Values]))).toEqual({
      p99new: [900],
      p99stable: [40],
      byfunction: [14],
      version1: [1],
      everything: [14],
      throttles: [3],
      errors: [0],
    });
  });
});

/** An alarm's state through the test control. */
function stateOf(sb: GantrySandbox, name: string): string | undefined {
  return sb.services.cloudwatch.alarm(name)?.StateValue;
}
