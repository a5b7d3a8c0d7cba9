/**
 * The role the workflows assume for one environment, through GitHub's OIDC provider.
 *
 * Trust: tokens of this repository only, for the audience sts.amazonaws.com, whose subject is a job in the
 * environment's GitHub Environment (`repo:<owner>/<name>:environment:<env>`, the apply job) or a job on one of
 * the environment's `apply.refs` (`repo:<owner>/<name>:ref:refs/heads/main`, the plan and scheduled prune
 * jobs). Pull-request jobs (`repo:…:pull_request`) are not trusted: this role can start the apply project.
 *
 * Permissions: start, read and stop builds of its own plan and apply projects; read its own build log group;
 * what warmup and prune do to its own functions (prune: delete versions, never a function) and capacity provider;
 * read its own plans. Nothing else. It carries the pipeline permissions boundary (boundary.ts).
 *
 * A second, plan-only role serves pull-request plans (`repo:…:pull_request` tokens): it can start, read and
 * stop builds of the plan project and read their log, nothing else; the plan project's own role is the one
 * that reads state.
 *
 * The OIDC provider is one per account: the first environment of each account (in promotion order) creates
 * it; the others refer to it by ARN.
 */

import { IamOpenidConnectProvider } from '@cdktn/provider-aws/lib/iam-openid-connect-provider/index.js';
import { Construct } from 'constructs';
import type { Boundaries } from './boundary.js';
import { deleteVersionsStatement } from './build-permissions.js';
import type { StackContext } from './context.js';
import { policyDocument, Role, type Statement } from './iam.js';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** The `sub` claims the role trusts. IAM's StringLike `*` also matches `/`, so `**` and `*` both become `*`. */
export function trustedSubjects(repository: string, environment: string, refs: string[]): string[] {
  const subjects = [`repo:${repository}:environment:${environment}`, ...refs.map((ref) => `repo:${repository}:ref:${ref.replace(/\*\*/g, '*')}`)];
  return [...new Set(subjects)];
}

/** Whether this environment's stack creates the account's OIDC provider: it is the account's first. */
export function ownsOidcProvider(ctx: StackContext): boolean {
  const first = ctx.config.order.find((name) => ctx.config.environments.get(name)?.account === ctx.env.account);
  return first === ctx.env.name;
}

export function deployRoleStatements(ctx: StackContext): Statement[] {
  const { names, arn } = ctx;
  const functions = names.functions.flatMap((fn) => [fn.functionArn, `${fn.functionArn}:*`]);
  return [
    {
      Sid: 'RunOwnBuilds',
      Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
      Resource: [arn.codebuildProject(names.planProject), arn.codebuildProject(names.applyProject)],
    },
    {
      Sid: 'ReadOwnBuildLogs',
      Action: ['logs:GetLogEvents', 'logs:FilterLogEvents'],
      Resource: [arn.logGroup(names.buildLogGroup), arn.logStreams(names.buildLogGroup)],
    },
    {
      Sid: 'WarmupAndPruneOwnFunctions',
      Action: [
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:GetAlias',
        'lambda:ListAliases',
        'lambda:ListVersionsByFunction',
        'lambda:ListProvisionedConcurrencyConfigs',
        'lambda:GetFunctionScalingConfig',
        'lambda:PutFunctionScalingConfig',
        'lambda:InvokeFunction',
      ],
      Resource: functions,
    },
    // Prune deletes versions, never a whole function.
    deleteVersionsStatement(ctx, 'PruneOwnVersions'),
    {
      Sid: 'ReadOwnCapacityProvider',
      Action: ['lambda:GetCapacityProvider', 'lambda:ListFunctionVersionsByCapacityProvider'],
      Resource: [names.capacityProviderArn],
    },
    // Prune checks that no event source mapping uses a version; the action has no resource type.
    {
      Sid: 'ListEventSourceMappings',
      Action: ['lambda:ListEventSourceMappings'],
      Resource: ['*'],
      Condition: { StringEquals: { 'aws:RequestedRegion': arn.region } },
    },
    {
      Sid: 'ReadOwnPlans',
      Action: ['s3:ListBucket'],
      Resource: [arn.bucket(names.planBucket)],
      Condition: { StringLike: { 's3:prefix': [`${names.planKeyPrefix}*`] } },
    },
    { Sid: 'ReadOwnPlanObjects', Action: ['s3:GetObject'], Resource: [arn.object(names.planBucket, `${names.planKeyPrefix}*`)] },
  ];
}

/** The plan-only role: pull-request plans start the plan project and follow its log, nothing else. */
export function planRoleStatements(ctx: StackContext): Statement[] {
  const { names, arn } = ctx;
  return [
    {
      Sid: 'RunOwnPlanBuilds',
      Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
      Resource: [arn.codebuildProject(names.planProject)],
    },
    {
      Sid: 'ReadOwnBuildLogs',
      Action: ['logs:GetLogEvents', 'logs:FilterLogEvents'],
      Resource: [arn.logGroup(names.buildLogGroup), arn.logStreams(names.buildLogGroup)],
    },
  ];
}

export class GithubOidc extends Construct {
  constructor(scope: Construct, id: string, ctx: StackContext, boundaries: Boundaries) {
    super(scope, id);
    const { names } = ctx;
    const provider = ownsOidcProvider(ctx)
      ? new IamOpenidConnectProvider(this, 'provider', { url: `https://${GITHUB_OIDC_HOST}`, clientIdList: [GITHUB_OIDC_AUDIENCE] })
      : undefined;
    const trust = policyDocument([
      {
        Sid: 'GitHubActions',
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Principal: { Federated: names.oidcProviderArn },
        Condition: {
          StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE },
          StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: trustedSubjects(ctx.repository, ctx.env.name, ctx.env.apply.refs) },
        },
      },
    ]);
    new Role(this, 'deploy', {
      name: names.deployRole,
      description: `GitHub Actions of ${ctx.repository} deploying ${ctx.env.name}: its own builds, logs, functions and plans`,
      assumeRolePolicy: trust,
      statements: deployRoleStatements(ctx),
      // The apply job follows a build for up to 90 minutes.
      maxSessionDuration: 7200,
      dependsOn: provider === undefined ? [] : [provider],
      boundary: boundaries.pipeline,
    });
    new Role(this, 'plan', {
      name: names.planRole,
      description: `GitHub Actions pull-request plans of ${ctx.repository} for ${ctx.env.name}: start and read plan builds only`,
      assumeRolePolicy: policyDocument([
        {
          Sid: 'GitHubActionsPlans',
          Action: ['sts:AssumeRoleWithWebIdentity'],
          Principal: { Federated: names.oidcProviderArn },
          Condition: {
            StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE },
            StringLike: {
              [`${GITHUB_OIDC_HOST}:sub`]: [`repo:${ctx.repository}:pull_request`, ...trustedSubjects(ctx.repository, ctx.env.name, ctx.env.apply.refs)],
            },
          },
        },
      ]),
      statements: planRoleStatements(ctx),
      maxSessionDuration: 3600,
      dependsOn: provider === undefined ? [] : [provider],
      boundary: boundaries.pipeline,
    });
  }
}
