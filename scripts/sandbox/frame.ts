/**
 * Starts a sandbox from service factories. `sandbox.ts` assembles the real set (Lambda, CodeBuild, Logs,
 * CloudWatch, GitHub); tests of one service may start just that one.
 */
import { SandboxClock } from './clock.js';
import { Faults } from './faults.js';
import type { SandboxService } from './protocol.js';
import { type QuotaSpec, Quotas } from './quota.js';
import { SandboxServer } from './server.js';

/**
 * Lambda's control plane quota is shared by all control-plane calls; GetFunction has its own. Capacity
 * provider operations have their own two, separate from those (Lambda developer guide, "Lambda Managed
 * Instances quotas": all capacity provider read APIs combined 15 requests per second, all write APIs combined
 * 1 request per second, neither can be increased; which operation is which: LambdaService.quotaFor). CloudWatch
 * Logs allows GetLogEvents 25/s and FilterLogEvents 5/s per account and region. StartLiveTail's bucket
 * (`logs-start-live-tail`) has no default: its limit is on concurrent sessions (logs/live-tail.ts).
 * CloudWatch's are per operation (CloudWatch user guide, "CloudWatch service quotas": DescribeAlarms 9
 * transactions per second; DeleteAlarms and SetAlarmState 3 each, "cannot be changed"; GetMetricData 50).
 * PutMetricAlarm 3 and PutMetricData 500 are the figures of the current quotas, not confirmed against a copy
 * of the page: override them in `quotas` if they differ.
 */
export const DEFAULT_QUOTAS: Record<string, QuotaSpec> = {
  'lambda-control-plane': { ratePerSecond: 15 },
  'lambda-get-function': { ratePerSecond: 100 },
  'lambda-capacity-provider-read': { ratePerSecond: 15 },
  'lambda-capacity-provider-write': { ratePerSecond: 1 },
  'logs-get-log-events': { ratePerSecond: 25 },
  'logs-filter-log-events': { ratePerSecond: 5 },
  'cloudwatch-describe-alarms': { ratePerSecond: 9 },
  'cloudwatch-put-metric-alarm': { ratePerSecond: 3 },
  'cloudwatch-delete-alarms': { ratePerSecond: 3 },
  'cloudwatch-set-alarm-state': { ratePerSecond: 3 },
  'cloudwatch-get-metric-data': { ratePerSecond: 50 },
  'cloudwatch-put-metric-data': { ratePerSecond: 500 },
};

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * Sandbox time runs this many times faster than real time (default 1). Only clients handed the sandbox
   * clock follow it: a client in another process sleeps in real time, so anything measured across processes
   * must run at 1 (see clock.ts).
   */
  clockSpeed?: number;
  /** Overrides of DEFAULT_QUOTAS, by quota name. */
  quotas?: Record<string, QuotaSpec>;
  /** Seed of the fault injector's random choices. */
  faultSeed?: number;
}

/** What every service factory gets. */
export interface SandboxCore {
  clock: SandboxClock;
  quotas: Quotas;
  faults: Faults;
}

export interface RunningSandbox<S extends Record<string, SandboxService>> extends SandboxCore {
  url: string;
  /** The variables that point the AWS SDK and Octokit here: export them, or pass them to a child process. */
  env: Record<string, string>;
  services: S;
  server: SandboxServer;
  stop(): Promise<void>;
}

export const SANDBOX_REGION = 'eu-west-1';
export const SANDBOX_GITHUB_TOKEN = 'sandbox-token';

export function sandboxEnv(url: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_LAMBDA: url,
    AWS_ENDPOINT_URL_CODEBUILD: url,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: url,
    // The SDK's variable for the service whose serviceId is "CloudWatch" (alarms and metrics).
    AWS_ENDPOINT_URL_CLOUDWATCH: url,
    GITHUB_API_URL: `${url}/github`,
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    AWS_REGION: SANDBOX_REGION,
    // The AWS CLI v1 and older SDKs read only this one.
    AWS_DEFAULT_REGION: SANDBOX_REGION,
    // No instance metadata service on loopback: stop the SDK from looking for one.
    AWS_EC2_METADATA_DISABLED: 'true',
    GITHUB_TOKEN: SANDBOX_GITHUB_TOKEN,
  };
}

export async function startSandboxWith<S extends Record<string, SandboxService>>(
  factories: (core: SandboxCore) => S,
  options: SandboxOptions = {},
): Promise<RunningSandbox<S>> {
  const clock = new SandboxClock(options.clockSpeed ?? 1);
  const quotas = new Quotas(clock);
  for (const [name, spec] of Object.entries({ ...DEFAULT_QUOTAS, ...options.quotas })) quotas.set(name, spec);
  const faults = new Faults(options.faultSeed);
  const core = { clock, quotas, faults };
  const services = factories(core);
  const server = new SandboxServer(Object.values(services), clock, quotas, faults);
  const url = await server.listen(options.port ?? 0);
  return { ...core, url, env: sandboxEnv(url), services, server, stop: () => server.close() };
}
