/**
 * Scheduled jobs, each off until the config enables it (`schedules.<job>.enabled`):
 * - keep-alive: an EventBridge rule per function invokes its alias with the warmup payload (the reference
 *   platform's rate(5 minutes)). On Managed Instances it keeps the invoke path and the function's own caches
 *   exercised; it does not create or hold capacity (the scaling config's minimum execution environments does);
 * - prune: an EventBridge rule starts the prune CodeBuild project (`gantry prune --dry-run=false`), so version
 *   hygiene does not depend on deploys and the versions metric stays current.
 */

import { CloudwatchEventRule } from '@cdktn/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktn/provider-aws/lib/cloudwatch-event-target/index.js';
import { LambdaPermission } from '@cdktn/provider-aws/lib/lambda-permission/index.js';
import { Construct } from 'constructs';
import type { Boundaries } from './boundary.js';
import { startBuildStatements } from './build-permissions.js';
import type { Builds } from './builds.js';
import type { StackContext } from './context.js';
import type { Functions } from './functions.js';
import { Role, serviceTrust } from './iam.js';

export class Schedules extends Construct {
  constructor(scope: Construct, id: string, ctx: StackContext, functions: Functions, builds: Builds, boundaries: Boundaries) {
    super(scope, id);
    const { keepAlive, prune } = ctx.env.schedules;

    if (keepAlive.enabled) {
      for (const { settings, names, alias } of functions.deployed) {
        const rule = new CloudwatchEventRule(this, `${settings.name}-keepalive`, {
          name: names.keepAliveRule,
          description: `Keep-alive: invokes ${names.aliasArn} with its warmup payload`,
          scheduleExpression: keepAlive.expression,
        });
        new CloudwatchEventTarget(this, `${settings.name}-keepalive-target`, {
          rule: rule.name,
          targetId: 'alias',
          arn: alias.arn,
          input: JSON.stringify(settings.warmup.payload),
        });
        // Lambda targets need no role: the function's resource policy lets this rule, and only it, invoke the alias.
        new LambdaPermission(this, `${settings.name}-keepalive-permission`, {
          statementId: 'gantry-keepalive',
          action: 'lambda:InvokeFunction',
          functionName: names.functionName,
          qualifier: names.alias,
          principal: 'events.amazonaws.com',
          sourceArn: rule.arn,
          dependsOn: [alias],
        });
      }
    }

    if (prune.enabled) {
      const rule = new CloudwatchEventRule(this, 'prune', {
        name: ctx.names.pruneScheduleRule,
        description: `Scheduled gantry prune of ${ctx.env.name}: starts ${ctx.names.pruneProject}`,
        scheduleExpression: prune.expression,
      });
      const role = new Role(this, 'role', {
        name: ctx.names.schedulesRole,
        description: `EventBridge starts ${ctx.names.pruneProject} on schedule`,
        assumeRolePolicy: serviceTrust('events.amazonaws.com', ctx.arn.account),
        statements: startBuildStatements('StartPrune', [ctx.arn.codebuildProject(ctx.names.pruneProject)], ['codebuild:StartBuild']),
        boundary: boundaries.pipeline,
      });
      new CloudwatchEventTarget(this, 'prune-target', {
        rule: rule.name,
        targetId: 'prune',
        arn: builds.pruneProject.arn,
        roleArn: role.role.arn,
        dependsOn: role.grants,
      });
    }
  }
}
