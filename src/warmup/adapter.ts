/**
 * The thin Lambda adapter of the warmup: one method per thing the core needs, each one SDK call (or the SDK's
 * own waiter), no decisions. Retries and throttling are the clients' business (src/aws/clients.ts); a missing
 * resource becomes a {@link MissingResource} so the core can tell the user.
 *
 * One client per Lambda quota: the control plane (15 requests/s, shared by every other call), GetFunction
 * (100/s) and Invoke (no request rate, only concurrency). The first two are paced at their quota by gantry's
 * token bucket (src/aws/rate-limiter.ts, the SDK's standard retry behind it), so that a fleet's calls queue for
 * the quota instead of drawing a burst of 429s (200 functions' waiters start at once: 200 GetFunctions). Invoke
 * keeps the SDK's adaptive retry: with one client, a throttled PutFunctionScalingConfig would slow the smoke
 * invocations down and their latency would measure gantry's rate limiter instead of the function.
 */

import { setTimeout as sleep } from 'node:timers/promises';
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
import pLimit from 'p-limit';
import { createLambdaClient } from '../aws/clients.js';
import { LAMBDA_CONTROL_PLANE_RATE, limitClient, TokenBucketLimiter } from '../aws/rate-limiter.js';
import { OperationError } from '../errors.js';
import type { ScalingTarget } from './targets.js';

/** Lambda answered "not found" (function, alias, version or capacity provider); the message is Lambda's. */
export class MissingResource extends OperationError {
  static override readonly kind: string = 'MissingResource';
}

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
  /**
   * The version's scaling config. `poll`: a repeated read while waiting for the applied config to catch up,
   * which yields to every other control-plane call (see {@link PollsYield}).
   */
  getScaling(functionName: string, version: string, poll?: boolean): Promise<ScalingStatus>;
  putScaling(functionName: string, version: string, scaling: ScalingTarget): Promise<void>;
  invoke(functionName: string, alias: string, payload: string, signal?: AbortSignal): Promise<InvokeOutcome>;
  getCapacityProvider(capacityProvider: string): Promise<{ arn: string; state: string }>;
}

/** How long the SDK waiter waits between GetFunction calls (it backs off from min to max with jitter). */
export interface ActivePolling {
  minDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_ACTIVE_POLLING: ActivePolling = { minDelayMs: 1_000, maxDelayMs: 5_000 };

export interface WarmupClients {
  controlPlane: LambdaClient;
  /** The rate limiter pacing `controlPlane`, when there is one: scaling-config polls yield to calls waiting for it. */
  controlPlaneLimiter?: TokenBucketLimiter;
  getFunction: LambdaClient;
  invoke: LambdaClient;
}

/** Lambda's GetFunction quota: requests per second per account and region, apart from the control plane's. */
export const GET_FUNCTION_RATE = 100;

/** Requests per second each paced client may send: Lambda's quotas by default (a benchmark's faster clock scales them). */
export interface WarmupRates {
  controlPlane?: number;
  getFunction?: number;
}

/**
 * One client per Lambda quota. The control-plane and GetFunction clients are each paced by a token bucket as
 * version-prune's is (at their quota, the SDK's standard retry mode behind it) so that functions starting at
 * once queue for the quota instead of drawing a burst of 429s and the adaptive mode's long slowdowns.
 */
export function createWarmupClients(region: string, rates: WarmupRates = {}): WarmupClients {
  const paced = (ratePerSecond: number) => {
    const client = createLambdaClient({ region, retryMode: 'standard' });
    const limiter = new TokenBucketLimiter({ ratePerSecond });
    limitClient(client, limiter);
    return { client, limiter };
  };
  const controlPlane = paced(rates.controlPlane ?? LAMBDA_CONTROL_PLANE_RATE);
  const getFunction = paced(rates.getFunction ?? GET_FUNCTION_RATE);
  return {
    controlPlane: controlPlane.client,
    controlPlaneLimiter: controlPlane.limiter,
    getFunction: getFunction.client,
    invoke: createLambdaClient({ region }),
  };
}

/** Scaling-config polls at the control plane at once, at most: a few tokens' worth. */
const POLLS_AT_ONCE = 4;

/**
 * Polls yield to the rest of the control plane. Every control-plane call of a warmup shares one rate (15
 * requests/s for the account), served first come, first served. A fleet's scaling-config polls outnumber its
 * other calls several times, and behind them a function that has just turned Active would wait seconds for its
 * first read and its PutFunctionScalingConfig, and finish that much later (issue 18: at 200 functions, Puts
 * waited 10 s and more). So a poll is sent only when no call is waiting for a token of the control plane's
 * limiter (checked again every token's time), and at most {@link POLLS_AT_ONCE} at once: a new call waits
 * behind a few polls at most, and the polls take what the other calls leave of the rate. A call in the SDK's
 * backoff after a 429 is not waiting for a token, and does not hold the polls back. A poll that waits longer
 * sees the config later, never a wrong one.
 */
class PollsYield {
  readonly #slots = pLimit(POLLS_AT_ONCE);

  constructor(private readonly limiter: TokenBucketLimiter | undefined) {}

  poll<T>(call: () => Promise<T>): Promise<T> {
    return this.#slots(async () => {
      const { limiter } = this;
      while (limiter !== undefined && limiter.queued > 0 && !limiter.stopped) await sleep(1000 / limiter.ratePerSecond);
      return call();
    });
  }
}

export function lambdaWarmupPort(clients: WarmupClients, polling: ActivePolling = DEFAULT_ACTIVE_POLLING): WarmupPort {
  const { controlPlane: client, getFunction, invoke } = clients;
  const polls = new PollsYield(clients.controlPlaneLimiter);
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

    async getScaling(functionName, version, poll = false) {
      const read = () => client.send(new GetFunctionScalingConfigCommand({ FunctionName: functionName, Qualifier: version }));
      const response = await (poll ? polls.poll(read) : read());
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

/** A call whose ResourceNotFoundException becomes a {@link MissingResource} (the shift's adapter uses it too). */
export async function missingAsError<T>(call: () => Promise<T>): Promise<T> {
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
