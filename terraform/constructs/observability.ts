/**
 * Observability as code: alarms on each function's errors and throttles, on the capacity provider's CPU and
 * on its function versions nearing the hard limit of 100, the alarms that guard a traffic shift, and one
 * dashboard of all of it.
 *
 * The guarding alarms (src/config/rollout.ts, guardAlarms; only for a function with a canary or linear rollout)
 * watch the new version behind the alias: dimensions FunctionName, Resource `<function>:<alias>` and
 * ExecutedVersion. Static: their names (the naming module), metrics, thresholds, periods and the alias. Known to
 * terraform only at apply: ExecutedVersion, the version the apply publishes (the function's `version`), so each
 * apply points them at the version the traffic-shift action is about to shift to, and the action refuses to shift
 * a version they do not watch. The action creates nothing in CloudWatch: it reads these alarms' states.
 *
 * Lambda publishes no metric of versions per capacity provider. The prune build prints the count it leaves
 * (one JSON line per capacity provider, buildspecs/prune.yml); a metric filter on the build log group turns
 * that line into the `Gantry` metric the versions alarm watches. Without the prune schedule the metric only
 * moves when the prune project is run by hand, and the alarm keeps its last state meanwhile.
 */

import { CloudwatchDashboard } from '@cdktn/provider-aws/lib/cloudwatch-dashboard/index.js';
import { CloudwatchLogMetricFilter } from '@cdktn/provider-aws/lib/cloudwatch-log-metric-filter/index.js';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { Construct } from 'constructs';
import { guardAlarmDimensions, guardAlarms } from '../../src/config/rollout.js';
import type { Builds } from './builds.js';
import type { StackContext } from './context.js';
import type { Functions } from './functions.js';

export const VERSION_LIMIT = 100;

export class Observability extends Construct {
  constructor(scope: Construct, id: string, ctx: StackContext, builds: Builds, functions: Functions) {
    super(scope, id);
    const { names } = ctx;
    const { alarms, alarmActions } = ctx.env.observability;
    const notify = { alarmActions, okActions: alarmActions };
    const cp = { CapacityProviderName: names.capacityProvider };

    const alarm = (alarmId: string, config: CloudwatchMetricAlarmConfig) => new CloudwatchMetricAlarm(this, alarmId, { ...notify, ...config });

    for (const fn of names.functions) {
      alarm(`${fn.name}-errors`, {
        alarmName: fn.errorsAlarm,
        alarmDescription: `${fn.functionName}: ${alarms.errors} or more errors in 5 minutes`,
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: fn.functionName },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: alarms.errors,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
      });
      alarm(`${fn.name}-throttles`, {
        alarmName: fn.throttlesAlarm,
        alarmDescription: `${fn.functionName}: ${alarms.throttles} or more throttled invocations in 5 minutes (capacity provider full or maxExecutionEnvironments reached)`,
        namespace: 'AWS/Lambda',
        metricName: 'Throttles',
        dimensions: { FunctionName: fn.functionName },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: alarms.throttles,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
      });
    }

    for (const { settings, names: fn, function: deployed } of functions.deployed) {
      for (const guard of guardAlarms(fn, settings.rollout)) {
        alarm(`${fn.name}-shift-${guard.metricName.toLowerCase()}`, {
          alarmName: guard.name,
          alarmDescription: guard.description,
          namespace: 'AWS/Lambda',
          metricName: guard.metricName,
          dimensions: guardAlarmDimensions(fn, deployed.version),
          ...(guard.statistic === undefined ? {} : { statistic: guard.statistic }),
          ...(guard.extendedStatistic === undefined ? {} : { extendedStatistic: guard.extendedStatistic }),
          period: guard.periodSeconds,
          evaluationPeriods: guard.evaluationPeriods,
          threshold: guard.threshold,
          comparisonOperator: guard.comparisonOperator,
          // No traffic on the new version yet is no reason to roll it back.
          treatMissingData: 'notBreaching',
        });
      }
    }

    alarm('cpu', {
      alarmName: names.cpuAlarm,
      alarmDescription: `${names.capacityProvider}: average CPU above ${alarms.cpuPercent}% for 15 minutes`,
      namespace: 'AWS/Lambda',
      metricName: 'CPUUtilization',
      dimensions: cp,
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 3,
      threshold: alarms.cpuPercent,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });

    const metric = names.versionsMetric;
    new CloudwatchLogMetricFilter(this, 'versions-filter', {
      name: metric.filter,
      logGroupName: builds.logGroup.name,
      pattern: `{ $.gantryMetric = "${metric.name}" }`,
      metricTransformation: {
        namespace: metric.namespace,
        name: metric.name,
        value: '$.value',
        unit: 'Count',
        dimensions: { CapacityProviderName: '$.capacityProvider' },
      },
    });
    alarm('versions', {
      alarmName: names.versionsAlarm,
      alarmDescription: `${names.capacityProvider}: ${alarms.versions} or more function versions (the limit is ${VERSION_LIMIT}; a deploy fails at the limit); run the prune`,
      namespace: metric.namespace,
      metricName: metric.name,
      dimensions: cp,
      statistic: 'Maximum',
      period: 86400,
      evaluationPeriods: 1,
      threshold: alarms.versions,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'ignore',
    });

    new CloudwatchDashboard(this, 'dashboard', { dashboardName: names.dashboard, dashboardBody: JSON.stringify(dashboardBody(ctx)) });
  }
}

/** The dashboard: capacity first (CPU, memory, vCPU), then each function, then the versions and the alarms. */
export function dashboardBody(ctx: StackContext): { widgets: object[] } {
  const { names } = ctx;
  const region = ctx.arn.region;
  const cp = ['CapacityProviderName', names.capacityProvider];
  const widget = (title: string, metrics: unknown[][], x: number, y: number, extra: object = {}) => ({
    type: 'metric',
    x,
    y,
    width: 8,
    height: 6,
    properties: { title, region, view: 'timeSeries', stat: 'Average', period: 300, metrics, ...extra },
  });
  const widgets: object[] = [
    widget(
      `${names.capacityProvider}: CPU and memory (%)`,
      [
        ['AWS/Lambda', 'CPUUtilization', ...cp],
        ['AWS/Lambda', 'MemoryUtilization', ...cp],
      ],
      0,
      0,
    ),
    widget(
      `${names.capacityProvider}: vCPUs`,
      [
        ['AWS/Lambda', 'vCPUAllocated', ...cp],
        ['AWS/Lambda', 'vCPUAvailable', ...cp],
      ],
      8,
      0,
    ),
    widget(
      `${names.capacityProvider}: function versions (limit ${VERSION_LIMIT})`,
      [[names.versionsMetric.namespace, names.versionsMetric.name, ...cp]],
      16,
      0,
      { stat: 'Maximum', period: 3600, annotations: { horizontal: [{ label: 'limit', value: VERSION_LIMIT }] } },
    ),
  ];
  names.functions.forEach((fn, index) => {
    const y = 6 * (index + 1);
    const dims = ['FunctionName', fn.functionName];
    widgets.push(
      widget(
        `${fn.functionName}: invocations, errors, throttles`,
        [
          ['AWS/Lambda', 'Invocations', ...dims],
          ['AWS/Lambda', 'Errors', ...dims],
          ['AWS/Lambda', 'Throttles', ...dims],
        ],
        0,
        y,
        { stat: 'Sum' },
      ),
      widget(
        `${fn.functionName}: duration (ms)`,
        [
          ['AWS/Lambda', 'Duration', ...dims, { stat: 'p50' }],
          ['AWS/Lambda', 'Duration', ...dims, { stat: 'p99' }],
        ],
        8,
        y,
      ),
      widget(`${fn.functionName}: concurrency`, [['AWS/Lambda', 'ConcurrentExecutions', ...dims]], 16, y, { stat: 'Maximum' }),
    );
  });
  const guards = ctx.env.functions.flatMap((settings, index) => {
    const fn = names.functions[index];
    return fn === undefined ? [] : guardAlarms(fn, settings.rollout).map((guard) => guard.name);
  });
  const alarmArns = [names.cpuAlarm, names.versionsAlarm, ...names.functions.flatMap((fn) => [fn.errorsAlarm, fn.throttlesAlarm]), ...guards].map((name) =>
    ctx.arn.alarm(name),
  );
  widgets.push({
    type: 'alarm',
    x: 0,
    y: 6 * (names.functions.length + 1),
    width: 24,
    height: 4,
    properties: { title: `${ctx.config.project} ${ctx.env.name}: alarms`, alarms: alarmArns },
  });
  return { widgets };
}
