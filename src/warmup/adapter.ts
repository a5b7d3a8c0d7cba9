/**
 * The thin Lambda adapter of the warmup: one method per thing the core needs, each one SDK call (or the SDK's
 * own waiter), no decisions. Retries and throttling are the clients' business (adaptive retry, see
 * src/aws/clients.ts); a missing resource becomes a {@link MissingResource} so the core can tell the user.
 *
 * One client per Lambda quota: the control plane (15 requests/s, shared by every other call), GetFunction
 * (100/s) and Invoke (no request rate, only concurrency). The adaptive retry mode rate-limits a client after it
 * was throttled; with one client, a throttled PutFunctionScalingConfig would slow the smoke invocations down and
 * their latency would measure gantry's rate limiter instead of the function.
 */

import {
  GetAliasCommand,
  GetCapacityProviderCommand,
  GetFunctionCommand,
  GetFunctionScalingConfigCommand,
  InvokeCommand,
  type LambdaClient,
  PutFunctionScalingConfigCommand,
  paginateListFunctionVersionsByCapacityProvider,
  ResourceNotFoundException,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { createLambdaClient } from '../aws/clients.js';
import { LAMBDA_CONTROL_PLANE_RATE, limitClient, TokenBucketLimiter } from '../aws/rate-limiter.js';
import { OperationError } from '../errors.js';
import type { ScalingTarget } from './targets.js';

/** Lambda answered "not found" (function, alias, version or capacity provider); the message is Lambda's. */
export class MissingResource extends OperationError {}

export interface VersionStatus {
  version: string;
  /** Pending, Active, Failed or Inactive. */
  state: string;
  reasonCode?: string;
  reason?: string;
  /** Undefined for a function that does not run on a capacity provider. */
  capacityProviderArn?: string;
}

export interface AliasRouting {
  primary: string;
  /** RoutingConfig.AdditionalVersionWeights: version → share of traffic. */
  weights: Record<string, number>;
}

export interface ScalingStatus {
  requested?: ScalingTarget;
  applied?: ScalingTarget;
}

export interface InvokeOutcome {
  executedVersion?: string;
  /** `Unhandled: TypeError: bad input` when the function threw. */
  functionError?: string;
  /** SDK attempts; more than 1 when a throttled or failed call was retried. */
  attempts: number;
}

/** What the core does to Lambda; the SDK adapter below, or a fake. */
export interface WarmupPort {
  /** Function version ARNs on the provider, every page. */
  listProviderVersions(capacityProvider: string): Promise<string[]>;
  getAlias(functionName: string, alias: string): Promise<AliasRouting>;
  getVersion(functionName: string, version: string): Promise<VersionStatus>;
  /**
   * Waits until the version is Active, at most `timeoutMs`; returns the status it ended on (Active, Failed, or
   * whatever it was when the time ran out).
   */
  waitActive(functionName: string, version: string, timeoutMs: number, signal?: AbortSignal): Promise<VersionStatus>;
  getScaling(functionName: string, version: string): Promise<ScalingStatus>;
  putScaling(functionName: string, version: string, scaling: ScalingTarget): Promise<void>;
  invoke(functionName: string, alias: string, payload: string, signal?: AbortSignal): Promise<InvokeOutcome>;
  getCapacityProvider(capacityProvider: string): Promise<{ arn: string; state: string }>;
}

/** How long the SDK waiter waits between GetFunction calls (it backs off from min to max with jitter). */
export interface ActivePolling {
  minDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_ACTIVE_POLLING: ActivePolling = { minDelayMs: 1_000, maxDelayMs: 10_000 };

export interface WarmupClients {
  controlPlane: LambdaClient;
  getFunction: LambdaClient;
  invoke: LambdaClient;
}

/**
 * One client per Lambda quota. The control-plane client is paced by the same token bucket as version-prune
 * (at `controlPlaneRate` requests/s, the SDK's standard retry mode behind it) so that fifty functions starting
 * at once queue for the quota instead of drawing a burst of 429s and the adaptive mode's long slowdowns.
 */
export function createWarmupClients(region: string, controlPlaneRate: number = LAMBDA_CONTROL_PLANE_RATE): WarmupClients {
  const controlPlane = createLambdaClient({ region, retryMode: 'standard' });
  limitClient(controlPlane, new TokenBucketLimiter({ ratePerSecond: controlPlaneRate }));
  return { controlPlane, getFunction: createLambdaClient({ region }), invoke: createLambdaClient({ region }) };
}

export function lambdaWarmupPort(clients: WarmupClients, polling: ActivePolling = DEFAULT_ACTIVE_POLLING): WarmupPort {
  const { controlPlane: client, getFunction, invoke } = clients;
  const port: WarmupPort = {
    async listProviderVersions(capacityProvider) {
      const arns: string[] = [];
      await missingAsError(async () => {
        for await (const page of paginateListFunctionVersionsByCapacityProvider({ client }, { CapacityProviderName: capacityProvider })) {
          for (const version of page.FunctionVersions ?? []) if (version.FunctionArn !== undefined) arns.push(version.FunctionArn);
        }
      });
      return arns;
    },

    async getAlias(functionName, alias) {
      const response = await missingAsError(() => client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias })));
      return { primary: response.FunctionVersion ?? '', weights: { ...response.RoutingConfig?.AdditionalVersionWeights } };
    },

    async getVersion(functionName, version) {
      const response = await missingAsError(() => getFunction.send(new GetFunctionCommand({ FunctionName: functionName, Qualifier: version })));
      return versionStatus(version, response.Configuration);
    },

    async waitActive(functionName, version, timeoutMs, signal) {
      // GetFunction (the V2 waiter) has its own 100 requests/s quota; GetFunctionConfiguration would share the
      // control plane's 15 with every other call of the warmup.
      const maxWaitTime = timeoutMs / 1000;
      const maxDelay = Math.min(polling.maxDelayMs / 1000, maxWaitTime / 2);
      const minDelay = Math.min(polling.minDelayMs / 1000, maxDelay);
      try {
        const result = await waitUntilFunctionActiveV2(
          { client: getFunction, maxWaitTime, minDelay, maxDelay, ...(signal === undefined ? {} : { abortSignal: signal }) },
          { FunctionName: functionName, Qualifier: version },
        );
        return versionStatus(version, (result.reason as { Configuration?: ConfigurationShape } | undefined)?.Configuration);
      } catch (error) {
        if (signal?.aborted === true) throw signal.reason ?? error;
        // The waiter ended on Failed or ran out of time: one more read says what the version is now.
        return port.getVersion(functionName, version);
      }
    },

    async getScaling(functionName, version) {
      const response = await client.send(new GetFunctionScalingConfigCommand({ FunctionName: functionName, Qualifier: version }));
      return {
        ...(response.RequestedFunctionScalingConfig === undefined ? {} : { requested: scalingOf(response.RequestedFunctionScalingConfig) }),
        ...(response.AppliedFunctionScalingConfig === undefined ? {} : { applied: scalingOf(response.AppliedFunctionScalingConfig) }),
      };
    },

    async putScaling(functionName, version, scaling) {
      await client.send(
        new PutFunctionScalingConfigCommand({
          FunctionName: functionName,
          Qualifier: version,
          FunctionScalingConfig: { MinExecutionEnvironments: scaling.minExecutionEnvironments, MaxExecutionEnvironments: scaling.maxExecutionEnvironments },
        }),
      );
    },

    async invoke(functionName, alias, payload, signal) {
      const response = await invoke.send(
        new InvokeCommand({ FunctionName: functionName, Qualifier: alias, Payload: new TextEncoder().encode(payload) }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      const functionError = response.FunctionError === undefined ? undefined : `${response.FunctionError}: ${errorPayload(response.Payload)}`;
      return {
        ...(response.ExecutedVersion === undefined ? {} : { executedVersion: response.ExecutedVersion }),
        ...(functionError === undefined ? {} : { functionError }),
        attempts: response.$metadata.attempts ?? 1,
      };
    },

    async getCapacityProvider(capacityProvider) {
      const response = await missingAsError(() => client.send(new GetCapacityProviderCommand({ CapacityProviderName: capacityProvider })));
      return { arn: response.CapacityProvider?.CapacityProviderArn ?? capacityProvider, state: response.CapacityProvider?.State ?? 'unknown' };
    },
  };
  return port;
}

async function missingAsError<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw new MissingResource(error.message, { cause: error });
    throw error;
  }
}

interface ConfigurationShape {
  State?: string | undefined;
  StateReason?: string | undefined;
  StateReasonCode?: string | undefined;
  CapacityProviderConfig?: { LambdaManagedInstancesCapacityProviderConfig?: { CapacityProviderArn?: string | undefined } | undefined } | undefined;
}

function versionStatus(version: string, configuration: ConfigurationShape | undefined): VersionStatus {
  const providerArn = configuration?.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig?.CapacityProviderArn;
  return {
    version,
    state: configuration?.State ?? 'unknown',
    ...(configuration?.StateReasonCode === undefined ? {} : { reasonCode: configuration.StateReasonCode }),
    ...(configuration?.StateReason === undefined ? {} : { reason: configuration.StateReason }),
    ...(providerArn === undefined ? {} : { capacityProviderArn: providerArn }),
  };
}

function scalingOf(config: { MinExecutionEnvironments?: number | undefined; MaxExecutionEnvironments?: number | undefined }): ScalingTarget {
  return { minExecutionEnvironments: config.MinExecutionEnvironments ?? 0, maxExecutionEnvironments: config.MaxExecutionEnvironments ?? 0 };
}

/** `TypeError: bad input` from a function error's payload, or the payload itself when it is not the usual shape. */
function errorPayload(payload: Uint8Array | undefined): string {
  const text = payload === undefined ? '' : new TextDecoder().decode(payload);
  try {
    const parsed = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string')
      return typeof parsed.errorType === 'string' ? `${parsed.errorType}: ${parsed.errorMessage}` : parsed.errorMessage;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
