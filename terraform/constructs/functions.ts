/**
 * The environment's functions on its capacity provider: arm64, memory GiB per vCPU and per-environment
 * concurrency from the config, a version published on every change, the alias (`live` unless configured)
 * on that version, and the function scaling config of that version. Each runs as its own role, which may
 * write its own log group and do exactly what the config's `permissions` grant (within the workload
 * permissions boundary, boundary.ts).
 *
 * On a publish the scaling config of the new version is created before the old version's is deleted, and the
 * alias moves in between: the running version keeps its scaling until the alias has left it (see
 * {@link SCALING_CONFIG_LIFECYCLE}). With a canary or linear rollout the alias stays where it is and the
 * traffic-shift action moves it ({@link SHIFTED_ALIAS_LIFECYCLE}).
 */
import { posix } from 'node:path';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js';
import { LambdaAlias } from '@cdktn/provider-aws/lib/lambda-alias/index.js';
import { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function/index.js';
import { LambdaFunctionScalingConfig } from '@cdktn/provider-aws/lib/lambda-function-scaling-config/index.js';
import { Fn, ref, Token } from 'cdktn';
import { Construct } from 'constructs';
import type { ResolvedFunction } from '../../src/config/load.js';
import type { FunctionNames } from '../../src/config/naming.js';
import { isProgressive } from '../../src/config/rollout.js';
import { packagePath } from '../../src/package/settings.js';
import { type Boundaries, OWN_LOG_GROUP_SID } from './boundary.js';
import type { CapacityProvider } from './capacity-provider.js';
import type { StackContext } from './context.js';
import { Role, type Statement, serviceTrust } from './iam.js';

/** Where a function's deployment package is (built by `gantry package` in the plan build): src/package/settings.ts. */
export { packagePath };

/**
 * The package relative to the environment's `terraform.workingDirectory`, where terraform runs (the stack
 * prefixes it with `${path.module}`): the path climbs from there to the repository root.
 */
export function packageFromWorkingDirectory(workingDirectory: string, fn: Pick<ResolvedFunction, 'name' | 'package'>): string {
  const depth = posix
    .normalize(workingDirectory)
    .split('/')
    .filter((part) => part !== '' && part !== '.').length;
  return [...Array<string>(depth).fill('..'), packagePath(fn)].join('/');
}

export interface DeployedFunction {
  settings: ResolvedFunction;
  names: FunctionNames;
  function: LambdaFunction;
  alias: LambdaAlias;
}

/**
 * Function creation and publishing on a capacity provider wait for execution environments on its instances: the
 * provider's own acceptance tests give aws_lambda_function `timeouts { create = "30m" }` on a capacity provider
 * (internal/service/lambda/function_scaling_config_test.go). An update publishes a version and waits for it with
 * the update timeout (function.go, resourceFunctionUpdate → waitFunctionConfigurationUpdated): the same 30m.
 */
export const FUNCTION_TIMEOUTS = { create: '30m', update: '30m' };

/**
 * aws_lambda_function_scaling_config is replaced on every publish (its `qualifier` is the version, RequiresReplace),
 * and its delete is not a no-op: it calls PutFunctionScalingConfig without a config, which resets the version to
 * the service's defaults (internal/service/lambda/function_scaling_config.go, Delete: "There is no dedicated
 * DeleteFunctionScalingConfig API"). Replaced destroy-then-create, the version the alias still points to would be
 * reset before the new version had its scaling or the alias had moved. With create_before_destroy the new
 * version's config is created first, the alias (which depends on it) moves next, and the old version's config is
 * reset last. Terraform applies create_before_destroy to the config's dependencies too (the function, its role,
 * the capacity provider): each of them that is replaced is created before the old one is destroyed.
 */
export const SCALING_CONFIG_LIFECYCLE = { createBeforeDestroy: true };

/**
 * The alias of a function with a canary or linear rollout (src/config/rollout.ts) is the traffic-shift action's to
 * move: terraform creates it on the first version, publishes every later one, and leaves the alias's version and
 * weights as the action set them (docs/traffic-shift.md). Deployed all at once, the alias follows each publish, as
 * before. Either way the new version gets its scaling config from the apply; the stable one's is reset (see
 * {@link SCALING_CONFIG_LIFECYCLE}) and capacity-warmup, which runs before the shift, applies it again to every
 * version the alias routes to.
 */
export const SHIFTED_ALIAS_LIFECYCLE = { ignoreChanges: ['function_version', 'routing_config'] };

export class Functions extends Construct {
  readonly deployed: DeployedFunction[] = [];

  constructor(scope: Construct, id: string, ctx: StackContext, capacity: CapacityProvider, boundaries: Boundaries) {
    super(scope, id);
    ctx.env.functions.forEach((settings, index) => {
      const names = ctx.names.functions[index];
      if (names === undefined) throw new Error(`no derived names for function ${settings.name}`);
      const logGroup = new CloudwatchLogGroup(this, `${settings.name}-logs`, {
        name: names.logGroup,
        retentionInDays: ctx.env.observability.logRetentionDays,
      });
      const statements: Statement[] = [
        { Sid: OWN_LOG_GROUP_SID, Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [ctx.arn.logStreams(names.logGroup)] },
        ...settings.permissions.map((permission, statement) => ({ Sid: `Config${statement}`, Action: permission.actions, Resource: permission.resources })),
      ];
      const role = new Role(this, `${settings.name}-role`, {
        name: names.executionRole,
        description: `Execution role of ${names.functionName}: its log group and the config's permissions`,
        assumeRolePolicy: serviceTrust('lambda.amazonaws.com', ctx.arn.account),
        statements,
        boundary: boundaries.workload,
      });
      const source = `${Token.asString(ref('path.module'))}/${packageFromWorkingDirectory(ctx.env.terraform.workingDirectory, settings)}`;
      const fn = new LambdaFunction(this, settings.name, {
        functionName: names.functionName,
        role: role.role.arn,
        runtime: settings.runtime,
        handler: settings.handler,
        memorySize: settings.memoryMb,
        architectures: ['arm64'],
        filename: source,
        sourceCodeHash: Fn.filebase64sha256(source),
        // Every change publishes a version; the alias and the scaling config follow it.
        publish: true,
        capacityProviderConfig: {
          lambdaManagedInstancesCapacityProviderConfig: {
            capacityProviderArn: capacity.provider.arn,
            executionEnvironmentMemoryGibPerVcpu: settings.memoryGiBPerVcpu,
            perExecutionEnvironmentMaxConcurrency: settings.maxConcurrency,
          },
        },
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
        timeouts: FUNCTION_TIMEOUTS,
        dependsOn: [logGroup, ...role.grants],
      });
      const scaling = new LambdaFunctionScalingConfig(this, `${settings.name}-scaling`, {
        functionName: fn.functionName,
        qualifier: fn.version,
        functionScalingConfig: [
          { minExecutionEnvironments: settings.scaling.minExecutionEnvironments, maxExecutionEnvironments: settings.scaling.maxExecutionEnvironments },
        ],
        lifecycle: SCALING_CONFIG_LIFECYCLE,
      });
      // After the new version's scaling config, before the old one's is reset (SCALING_CONFIG_LIFECYCLE).
      const alias = new LambdaAlias(this, `${settings.name}-alias`, {
        name: names.alias,
        functionName: fn.functionName,
        functionVersion: fn.version,
        dependsOn: [scaling],
        ...(isProgressive(settings.rollout) ? { lifecycle: SHIFTED_ALIAS_LIFECYCLE } : {}),
      });
      this.deployed.push({ settings, names, function: fn, alias });
    });
  }
}
