/**
 * The environment's functions on its capacity provider: arm64, memory GiB per vCPU and per-environment
 * concurrency from the config, a version published on every change, the alias (`live` unless configured)
 * on that version, and the function scaling config of that version. Each runs as its own role, which may
 * write its own log group and do exactly what the config's `permissions` grant.
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
import type { CapacityProvider } from './capacity-provider.js';
import type { StackContext } from './context.js';
import { Role, type Statement, serviceTrust } from './iam.js';

/** Where a function's deployment package is, relative to the repository root, unless `package` says. */
export function packagePath(fn: Pick<ResolvedFunction, 'name' | 'package'>): string {
  return fn.package ?? `dist/functions/${fn.name}.zip`;
}

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

export class Functions extends Construct {
  readonly deployed: DeployedFunction[] = [];

  constructor(scope: Construct, id: string, ctx: StackContext, capacity: CapacityProvider) {
    super(scope, id);
    ctx.env.functions.forEach((settings, index) => {
      const names = ctx.names.functions[index];
      if (names === undefined) throw new Error(`no derived names for function ${settings.name}`);
      const logGroup = new CloudwatchLogGroup(this, `${settings.name}-logs`, {
        name: names.logGroup,
        retentionInDays: ctx.env.observability.logRetentionDays,
      });
      const statements: Statement[] = [
        { Sid: 'OwnLogGroup', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [ctx.arn.logStreams(names.logGroup)] },
        ...settings.permissions.map((permission, statement) => ({ Sid: `Config${statement}`, Action: permission.actions, Resource: permission.resources })),
      ];
      const role = new Role(this, `${settings.name}-role`, {
        name: names.executionRole,
        description: `Execution role of ${names.functionName}: its log group and the config's permissions`,
        assumeRolePolicy: serviceTrust('lambda.amazonaws.com', ctx.arn.account),
        statements,
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
        dependsOn: [logGroup, ...role.grants],
      });
      const alias = new LambdaAlias(this, `${settings.name}-alias`, {
        name: names.alias,
        functionName: fn.functionName,
        functionVersion: fn.version,
      });
      new LambdaFunctionScalingConfig(this, `${settings.name}-scaling`, {
        functionName: fn.functionName,
        qualifier: fn.version,
        functionScalingConfig: [
          { minExecutionEnvironments: settings.scaling.minExecutionEnvironments, maxExecutionEnvironments: settings.scaling.maxExecutionEnvironments },
        ],
      });
      this.deployed.push({ settings, names, function: fn, alias });
    });
  }
}
