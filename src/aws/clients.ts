/**
 * AWS client construction: the only place gantry creates SDK clients.
 *
 * - Retries: the SDK's adaptive retry mode (client-side rate limiting plus backoff on throttling), so no
 *   caller writes a retry loop of its own.
 * - Endpoints: the SDK itself honours the standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`
 *   variables (e.g. `AWS_ENDPOINT_URL_LAMBDA`), which is how the local sandbox is selected. Nothing here
 *   special-cases it.
 * - Credentials: the SDK's default chain (in Actions, the OIDC role set up by configure-aws-credentials).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GANTRY_VERSION } from '../version.js';

export interface AwsClientOptions {
  region: string;
  /** Attempts per call including the first; the adaptive strategy spaces them out. */
  maxAttempts?: number;
  /**
   * `adaptive` (default): backoff plus the SDK's client-side rate limiter. `standard`: backoff only, for a
   * caller that paces every call itself (version prune's token bucket); two client-side limiters fight.
   */
  retryMode?: 'adaptive' | 'standard';
}

export const DEFAULT_MAX_ATTEMPTS = 8;

/** The configuration every gantry client shares. */
export function awsClientConfig(options: AwsClientOptions) {
  return {
    region: options.region,
    retryMode: options.retryMode ?? 'adaptive',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    customUserAgent: [['gantry', GANTRY_VERSION]] as [string, string][],
  };
}

export function createLambdaClient(options: AwsClientOptions): LambdaClient {
  return new LambdaClient(awsClientConfig(options));
}

export function createCodeBuildClient(options: AwsClientOptions): CodeBuildClient {
  return new CodeBuildClient(awsClientConfig(options));
}

/** CloudWatch (alarms): the traffic shift reads its guarding alarms' states. */
export function createCloudWatchClient(options: AwsClientOptions): CloudWatchClient {
  return new CloudWatchClient(awsClientConfig(options));
}

export function createLogsClient(options: AwsClientOptions, env: NodeJS.ProcessEnv = process.env): CloudWatchLogsClient {
  // StartLiveTail's endpoint carries a host prefix (`stream-logs.<region>`; `streaming-` in SDKs before
  // April 2026). Against a configured endpoint URL (a proxy, a VPC endpoint's DNS name, a local stand-in)
  // the SDK would put the prefix on that host (`stream-127.0.0.1`), which does not resolve: the configured
  // endpoint is used as given instead. The SDK has no variable for this, only the `disableHostPrefix` setting.
  return new CloudWatchLogsClient({ ...awsClientConfig(options), ...(endpointConfigured(env, 'CLOUDWATCH_LOGS') ? { disableHostPrefix: true } : {}) });
}

/** `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL` is set, and not switched off (the SDK's own rules). */
function endpointConfigured(env: NodeJS.ProcessEnv, service: string): boolean {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return false;
  return (env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL ?? '') !== '';
}

/**
 * The SDK found no credentials in its default chain (environment, shared files, web identity, container or
 * instance metadata): its `CredentialsProviderError`, "Could not load credentials from any providers". Told
 * by name, so that no caller imports the SDK's internals.
 */
export function isMissingCredentials(error: unknown): boolean {
  return error instanceof Error && error.name === 'CredentialsProviderError';
}
