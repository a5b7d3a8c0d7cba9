/**
 * The naming module: the only place that spells an AWS resource name.
 *
 * Every action, the CLI, the buildspecs (through the env vars the runner passes) and the terraform app take
 * names from here, so the capacity provider or a CodeBuild project can never be spelled two ways (the
 * reference platform's sanity workflow looked for a project that did not exist).
 */
import { createHash } from 'node:crypto';
import { formatLambdaArn } from '../aws/lambda-arn.js';
import type { FunctionSettings, RawEnvironment } from './schema.js';

export interface FunctionNames {
  /** Short name from the config (`router`). */
  name: string;
  /** AWS function name (`orders-dev-router`). */
  functionName: string;
  functionArn: string;
  alias: string;
  aliasArn: string;
  /** The function's own log group (`/aws/lambda/<function name>`). */
  logGroup: string;
  /** IAM role the function runs as. */
  executionRole: string;
  /** EventBridge rule of the keep-alive schedule (when enabled). */
  keepAliveRule: string;
  errorsAlarm: string;
  throttlesAlarm: string;
  /**
   * The alarms that guard a traffic shift (src/config/rollout.ts says which exist): each watches the new version
   * behind the alias (ExecutedVersion), not the function as a whole like the two above.
   */
  shiftAlarms: { errors: string; throttles: string; p99Duration: string };
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
  /**
   * The role pull-request plans assume: it may only start and read the plan project's builds. Pull-request
   * tokens are never trusted by the deploy role, which can start the apply project.
   */
  planRole: string;
  planRoleArn: string;
  /**
   * The role of jobs on the environment's `apply.refs` outside its GitHub Environment (the deploy workflow's
   * plan job, the prune workflow): it may start the plan project and prune versions, never start the apply project.
   */
  refRole: string;
  refRoleArn: string;
  /** Bucket holding saved plans between the plan and the apply build. */
  planBucket: string;
  /** Key prefix of this environment's plans in any plan store: a plan lives at `<store>/<prefix><commit>/`. */
  planKeyPrefix: string;
  /** Remote state bucket and key (S3 backend with native lock files). */
  stateBucket: string;
  stateKey: string;
  /** CodeBuild project of the scheduled `gantry prune` (writes to the same log group). */
  pruneProject: string;
  /**
   * CodeBuild project of pull-request plans: read-only (`-lock=false`, the plan not stored); its role cannot
   * write the state, its lock or stored plans. Only in the environments pull requests may plan.
   */
  prPlanProject: string;
  /** Roles of the CodeBuild projects. */
  planBuildRole: string;
  prPlanBuildRole: string;
  applyBuildRole: string;
  pruneBuildRole: string;
  /** Role Lambda assumes to run the capacity provider's instances (AWSLambdaManagedEC2ResourceOperator). */
  capacityProviderOperatorRole: string;
  /** Security group (and VPC name) of the capacity provider's instances. */
  capacityProviderSecurityGroup: string;
  /** The account's GitHub OIDC identity provider (one per account; the first environment of an account creates it). */
  oidcProviderArn: string;
  /** Role EventBridge assumes to start the scheduled prune build. */
  schedulesRole: string;
  /**
   * Permissions boundaries (customer managed policies) the stack defines: every role the apply build may create
   * or change carries one, so no role of the stack can grant more than its boundary allows. `pipeline` bounds the
   * build, deploy and schedule roles; `workload` the functions' execution roles and the capacity provider's
   * operator role.
   */
  boundaries: { pipeline: string; pipelineArn: string; workload: string; workloadArn: string };
  pruneScheduleRule: string;
  dashboard: string;
  cpuAlarm: string;
  versionsAlarm: string;
  /** Custom metric the prune build reports (through a log metric filter): function versions on the capacity provider. */
  versionsMetric: { namespace: string; name: string; filter: string };
  functions: FunctionNames[];
}

/** Cuts a name to `max` characters, keeping it unique with a hash of the whole name (IAM role names: 64). */
export function boundedName(name: string, max: number): string {
  if (name.length <= max) return name;
  return `${name.slice(0, max - 9)}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
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
  const lambda = { partition, region: env.region, account: env.account };
  const capacityProvider = env.names.capacityProvider ?? `${prefix}-cp`;
  const deployRole = env.names.deployRole ?? `${prefix}-gantry-deploy`;
  return {
    environment,
    partition,
    capacityProvider,
    capacityProviderArn: formatLambdaArn({ ...lambda, resource: 'capacity-provider', name: capacityProvider }),
    planProject: env.names.planProject ?? `${prefix}-plan`,
    applyProject: env.names.applyProject ?? `${prefix}-apply`,
    buildLogGroup: `/aws/codebuild/${prefix}`,
    deployRole,
    deployRoleArn: `arn:${partition}:iam::${env.account}:role/${deployRole}`,
    planRole: `${prefix}-gantry-plan`,
    planRoleArn: `arn:${partition}:iam::${env.account}:role/${prefix}-gantry-plan`,
    refRole: `${prefix}-gantry-ref`,
    refRoleArn: `arn:${partition}:iam::${env.account}:role/${prefix}-gantry-ref`,
    // Account id in bucket names: bucket names are global, and the schema's length limits keep this <= 63.
    planBucket: `${prefix}-${env.account}-plans`,
    planKeyPrefix: `${environment}/`,
    stateBucket: `${prefix}-${env.account}-tfstate`,
    stateKey: `${project}/${environment}/terraform.tfstate`,
    pruneProject: `${prefix}-prune`,
    prPlanProject: `${prefix}-pr-plan`,
    planBuildRole: `${prefix}-plan-build`,
    prPlanBuildRole: `${prefix}-pr-plan-build`,
    applyBuildRole: `${prefix}-apply-build`,
    pruneBuildRole: `${prefix}-prune-build`,
    capacityProviderOperatorRole: `${prefix}-cp-operator`,
    capacityProviderSecurityGroup: capacityProvider,
    oidcProviderArn: `arn:${partition}:iam::${env.account}:oidc-provider/token.actions.githubusercontent.com`,
    schedulesRole: `${prefix}-schedules`,
    boundaries: {
      pipeline: `${prefix}-gantry-boundary`,
      pipelineArn: `arn:${partition}:iam::${env.account}:policy/${prefix}-gantry-boundary`,
      workload: `${prefix}-workload-boundary`,
      workloadArn: `arn:${partition}:iam::${env.account}:policy/${prefix}-workload-boundary`,
    },
    pruneScheduleRule: `${prefix}-prune`,
    dashboard: prefix,
    cpuAlarm: `${prefix}-cp-cpu`,
    versionsAlarm: `${prefix}-cp-versions`,
    versionsMetric: { namespace: 'Gantry', name: 'CapacityProviderFunctionVersions', filter: `${prefix}-cp-versions` },
    functions: env.functions.map((fn) => {
      const functionName = deriveFunctionName(project, environment, fn);
      return {
        name: fn.name,
        functionName,
        functionArn: formatLambdaArn({ ...lambda, resource: 'function', name: functionName }),
        alias: fn.alias,
        aliasArn: formatLambdaArn({ ...lambda, resource: 'function', name: functionName, qualifier: fn.alias }),
        logGroup: `/aws/lambda/${functionName}`,
        // Rule and role names are limited to 64 characters; the prefix keeps them inside the build roles' scope.
        executionRole: boundedName(`${prefix}-${fn.name}-exec`, 64),
        keepAliveRule: boundedName(`${prefix}-${fn.name}-keepalive`, 64),
        errorsAlarm: `${prefix}-${fn.name}-errors`,
        throttlesAlarm: `${prefix}-${fn.name}-throttles`,
        shiftAlarms: {
          errors: `${prefix}-${fn.name}-shift-errors`,
          throttles: `${prefix}-${fn.name}-shift-throttles`,
          p99Duration: `${prefix}-${fn.name}-shift-p99`,
        },
      };
    }),
  };
}
