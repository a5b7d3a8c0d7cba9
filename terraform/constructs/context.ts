/**
 * What every construct of an environment's stack needs: the environment's config, its names (from the one
 * naming module) and the ARNs built from them. ARNs are spelled from names, not read back from resources,
 * so every policy is a literal document that tests can read and that never waits for an apply.
 */
import type { EnvironmentConfig, GantryConfig } from '../../src/config/load.js';
import type { EnvironmentNames } from '../../src/config/naming.js';

export interface StackContext {
  config: GantryConfig;
  env: EnvironmentConfig;
  names: EnvironmentNames;
  /** `owner/name` of the GitHub repository (config `github.repository`). */
  repository: string;
  /** The config file, relative to the repository root (the scheduled prune build reads it). */
  configPath: string;
  /** The buildspecs' text, by file name in buildspecs/. */
  buildspecs: { plan: string; apply: string; prune: string };
  /** How the prune build gets the gantry CLI: GANTRY_CLI, or GANTRY_CLI_URL and GANTRY_CLI_SHA256 (builds.ts, pruneCliVariables). */
  pruneCli: Record<string, string>;
  /** `<project>-<environment>`: every name the stack creates starts with it, so build roles can be scoped to it. */
  prefix: string;
  arn: Arns;
}

export interface Arns {
  partition: string;
  account: string;
  region: string;
  role(name: string): string;
  /** The role names of this environment: `<prefix>-*`. */
  rolesOfEnvironment: string;
  codebuildProject(name: string): string;
  logGroup(name: string): string;
  /** Log streams of a group (GetLogEvents and PutLogEvents take the stream's ARN). */
  logStreams(name: string): string;
  bucket(name: string): string;
  object(bucket: string, key: string): string;
  rule(name: string): string;
  alarm(name: string): string;
  dashboard(name: string): string;
  /** The AWS managed policy of that name. */
  managedPolicy(name: string): string;
}

export function arnsFor(partition: string, account: string, region: string, prefix: string): Arns {
  const regional = (service: string) => `arn:${partition}:${service}:${region}:${account}`;
  return {
    partition,
    account,
    region,
    role: (name) => `arn:${partition}:iam::${account}:role/${name}`,
    rolesOfEnvironment: `arn:${partition}:iam::${account}:role/${prefix}-*`,
    codebuildProject: (name) => `${regional('codebuild')}:project/${name}`,
    logGroup: (name) => `${regional('logs')}:log-group:${name}`,
    logStreams: (name) => `${regional('logs')}:log-group:${name}:log-stream:*`,
    bucket: (name) => `arn:${partition}:s3:::${name}`,
    object: (bucket, key) => `arn:${partition}:s3:::${bucket}/${key}`,
    rule: (name) => `${regional('events')}:rule/${name}`,
    alarm: (name) => `${regional('cloudwatch')}:alarm:${name}`,
    dashboard: (name) => `arn:${partition}:cloudwatch::${account}:dashboard/${name}`,
    managedPolicy: (name) => `arn:${partition}:iam::aws:policy/${name}`,
  };
}

export function stackContext(input: Omit<StackContext, 'names' | 'prefix' | 'arn'>): StackContext {
  const { config, env } = input;
  const prefix = `${config.project}-${env.name}`;
  return { ...input, names: env.names, prefix, arn: arnsFor(env.names.partition, env.account, env.region, prefix) };
}
