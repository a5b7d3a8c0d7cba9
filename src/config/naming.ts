/**
 * The naming module: the only place that spells an AWS resource name.
 *
 * Every action, the CLI, the buildspecs (through the env vars the runner passes) and the terraform app take
 * names from here, so the capacity provider or a CodeBuild project can never be spelled two ways (the
 * reference platform's sanity workflow looked for a project that did not exist).
 */
import type { FunctionSettings, RawEnvironment } from './schema.js';

export interface FunctionNames {
  /** Short name from the config (`router`). */
  name: string;
  /** AWS function name (`orders-dev-router`). */
  functionName: string;
  functionArn: string;
  alias: string;
  aliasArn: string;
}

export interface EnvironmentNames {
  /** The environment name; also the GitHub Environment and deployment environment name. */
  environment: string;
  partition: string;
  capacityProvider: string;
  capacityProviderArn: string;
  planProject: string;
  applyProject: string;
  /** The one CloudWatch log group both CodeBuild projects write to. */
  buildLogGroup: string;
  deployRole: string;
  deployRoleArn: string;
  /** Bucket holding saved plans between the plan and the apply build. */
  planBucket: string;
  /** Remote state bucket and key (S3 backend with native lock files). */
  stateBucket: string;
  stateKey: string;
  functions: FunctionNames[];
}

/** The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`, ...). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

export function deriveFunctionName(project: string, environment: string, fn: Pick<FunctionSettings, 'name' | 'functionName'>): string {
  return fn.functionName ?? `${project}-${environment}-${fn.name}`;
}

export function deriveEnvironmentNames(project: string, environment: string, env: RawEnvironment): EnvironmentNames {
  const partition = partitionOf(env.region);
  const prefix = `${project}-${environment}`;
  const lambdaArn = `arn:${partition}:lambda:${env.region}:${env.account}`;
  const capacityProvider = env.names.capacityProvider ?? `${prefix}-cp`;
  const deployRole = env.names.deployRole ?? `${prefix}-gantry-deploy`;
  return {
    environment,
    partition,
    capacityProvider,
    capacityProviderArn: `${lambdaArn}:capacity-provider:${capacityProvider}`,
    planProject: env.names.planProject ?? `${prefix}-plan`,
    applyProject: env.names.applyProject ?? `${prefix}-apply`,
    buildLogGroup: `/aws/codebuild/${prefix}`,
    deployRole,
    deployRoleArn: `arn:${partition}:iam::${env.account}:role/${deployRole}`,
    // Account id in bucket names: bucket names are global, and the schema's length limits keep this <= 63.
    planBucket: `${prefix}-${env.account}-plans`,
    stateBucket: `${prefix}-${env.account}-tfstate`,
    stateKey: `${project}/${environment}/terraform.tfstate`,
    functions: env.functions.map((fn) => {
      const functionName = deriveFunctionName(project, environment, fn);
      const functionArn = `${lambdaArn}:function:${functionName}`;
      return { name: fn.name, functionName, functionArn, alias: fn.alias, aliasArn: `${functionArn}:${fn.alias}` };
    }),
  };
}
