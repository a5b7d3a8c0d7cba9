/**
 * The thin AWS adapter of the traffic shift: one method per thing the run needs, each one SDK call (or its
 * paginator), no decisions. Retries and throttling are the clients' business (src/aws/clients.ts); the smoke
 * invocations are the warmup's own (src/warmup/adapter.ts, Invoke on its own client).
 *
 * Every write carries the RevisionId the alias had when gantry last read or wrote it: Lambda refuses the write
 * (PreconditionFailedException) when someone else changed the alias in between, which becomes
 * {@link AliasChanged}.
 */
import { type CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, PreconditionFailedException, paginateListVersionsByFunction, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { createCloudWatchClient } from '../aws/clients.js';
import { EXECUTED_VERSION } from '../config/rollout.js';
import { OperationError } from '../errors.js';
import { createWarmupClients, lambdaWarmupPort, missingAsError, type WarmupClients, type WarmupPort } from '../warmup/adapter.js';
import type { AlarmState, AlarmStatus, AliasRouting } from './plan.js';

/** Lambda refused a write because the alias's RevisionId changed: someone else wrote it since gantry read it. */
export class AliasChanged extends OperationError {
  static override readonly kind: string = 'AliasChanged';
}

export interface ShiftPort {
  getAlias(functionName: string, alias: string): Promise<AliasRouting>;
  /** The highest published version number, undefined when there is none. */
  latestVersion(functionName: string): Promise<string | undefined>;
  /** UpdateAlias with this RevisionId; the alias as Lambda wrote it. Throws {@link AliasChanged}. */
  updateAlias(functionName: string, alias: string, routing: Pick<AliasRouting, 'primary' | 'weights'>, revisionId: string): Promise<AliasRouting>;
  /** The metric alarms of these names that exist (DescribeAlarms, 100 names a call). */
  describeAlarms(names: readonly string[], signal?: AbortSignal): Promise<AlarmStatus[]>;
  invoke: WarmupPort['invoke'];
}

export interface ShiftClients {
  /**
   * The warmup's clients: GetAlias, UpdateAlias and ListVersionsByFunction on its control-plane client (paced to
   * the quota), Invoke on its own.
   */
  lambda: WarmupClients;
  cloudwatch: CloudWatchClient;
}

export function createShiftClients(region: string): ShiftClients {
  return { lambda: createWarmupClients(region), cloudwatch: createCloudWatchClient({ region }) };
}

/** DescribeAlarms takes at most 100 names a call. */
const NAMES_PER_CALL = 100;

export function shiftPort(clients: ShiftClients): ShiftPort {
  const { cloudwatch } = clients;
  const lambda = clients.lambda.controlPlane;
  // The warmup's Invoke: the same call, the same reading of a FunctionError.
  const { invoke } = lambdaWarmupPort(clients.lambda);
  return {
    async getAlias(functionName, alias) {
      const response = await missingAsError(() => lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias })));
      return routingOf(response);
    },

    async latestVersion(functionName) {
      let latest: number | undefined;
      await missingAsError(async () => {
        for await (const page of paginateListVersionsByFunction({ client: lambda }, { FunctionName: functionName, MaxItems: 50 })) {
          for (const { Version } of page.Versions ?? []) {
            if (Version !== undefined && /^\d+$/.test(Version)) latest = Math.max(latest ?? 0, Number(Version));
          }
        }
      });
      return latest === undefined ? undefined : String(latest);
    },

    async updateAlias(functionName, alias, routing, revisionId) {
      try {
        const response = await lambda.send(
          new UpdateAliasCommand({
            FunctionName: functionName,
            Name: alias,
            FunctionVersion: routing.primary,
            // Always sent, {} included: weights left out would be left as they are.
            RoutingConfig: { AdditionalVersionWeights: routing.weights },
            RevisionId: revisionId,
          }),
        );
        return routingOf(response);
      } catch (error) {
        if (error instanceof PreconditionFailedException) throw new AliasChanged(error.message, { cause: error });
        throw error;
      }
    },

    async describeAlarms(names, signal) {
      const statuses: AlarmStatus[] = [];
      for (let start = 0; start < names.length; start += NAMES_PER_CALL) {
        const AlarmNames = names.slice(start, start + NAMES_PER_CALL);
        let NextToken: string | undefined;
        do {
          // Metric alarms only (the default without AlarmTypes): a DescribeAlarms permission scoped to alarm ARNs
          // cannot return composite alarms.
          const response = await cloudwatch.send(
            new DescribeAlarmsCommand({ AlarmNames, MaxRecords: NAMES_PER_CALL, ...(NextToken === undefined ? {} : { NextToken }) }),
            signal === undefined ? {} : { abortSignal: signal },
          );
          statuses.push(...(response.MetricAlarms ?? []).map(alarmStatus));
          NextToken = response.NextToken;
        } while (NextToken !== undefined && NextToken !== '');
      }
      return statuses;
    },

    invoke,
  };
}

function routingOf(alias: {
  FunctionVersion?: string | undefined;
  RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> | undefined } | undefined;
  RevisionId?: string | undefined;
}): AliasRouting {
  return { primary: alias.FunctionVersion ?? '', weights: { ...alias.RoutingConfig?.AdditionalVersionWeights }, revisionId: alias.RevisionId ?? '' };
}

const STATES: readonly string[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] satisfies AlarmState[];

function alarmStatus(alarm: MetricAlarm): AlarmStatus {
  // A metric math alarm has no Period of its own: the longest period among its metrics.
  const period = alarm.Period ?? Math.max(60, ...(alarm.Metrics ?? []).map((query) => query.MetricStat?.Period ?? query.Period ?? 0));
  const executedVersion = alarm.Dimensions?.find((dimension) => dimension.Name === EXECUTED_VERSION)?.Value;
  const state = alarm.StateValue ?? 'INSUFFICIENT_DATA';
  return {
    name: alarm.AlarmName ?? '',
    state: (STATES.includes(state) ? state : 'INSUFFICIENT_DATA') as AlarmState,
    reason: alarm.StateReason ?? '',
    windowMs: period * (alarm.EvaluationPeriods ?? 1) * 1000,
    periodMs: period * 1000,
    ...(executedVersion === undefined ? {} : { executedVersion }),
  };
}
