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

export function createLogsClient(options: AwsClientOptions): CloudWatchLogsClient {
  return new CloudWatchLogsClient(awsClientConfig(options));
}
