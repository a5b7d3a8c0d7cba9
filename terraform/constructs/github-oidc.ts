/**
 * The roles the workflows assume for one environment, through GitHub's OIDC provider; all trust tokens of this
 * repository only, for the audience sts.amazonaws.com. Which job may assume which is decided by the token's
 * `sub` claim alone, so each role trusts exactly the subjects of the jobs it is for (README, "Security model"):
 *
 * - deploy (the apply path): only `repo:<owner>/<name>:environment:<env>`, a job in the environment's GitHub
 *   Environment, so AWS itself requires what the environment enforces (required reviewers, deployment branch
 *   policy) before anyone can start the apply project. No `ref:` subject, no `pull_request`: a job on main or on
 *   a pushed tag outside the environment cannot assume it. It starts, reads and stops apply builds, follows
 *   their log (Live Tail on the build log group, GetLogEvents), warms up, shifts traffic on and prunes its own
 *   functions and reads its own plans.
 * - ref (`repo:…:ref:<apply.refs>`): the jobs on the allowed refs outside the environment (the deploy workflow's
 *   plan job, the prune workflow). It starts plan builds and prunes versions; it cannot start the apply project.
 * - plan (`repo:…:pull_request` only): pull-request plans; it starts builds of the read-only pull-request plan
 *   project (builds.ts: a role that cannot write state, lock or stored plans) and follows their log. Only in
 *   the environments of `pullRequests.environments` (default: all but the last): elsewhere no role trusts a
 *   pull-request token.
 *
 * Every role that may start a build is denied every override of the project (buildspec, source location, image,
 * privileged mode, service role: build-permissions.ts, startBuildStatements): a build runs its project's own
 * buildspec, set by terraform from buildspecs/. All carry the pipeline permissions boundary (boundary.ts).
 *
 * The OIDC provider is one per account: the first environment of each account (in promotion order) creates
 * it; the others refer to it by ARN.
 */

import { IamOpenidConnectProvider } from '@cdktn/provider-aws/lib/iam-openid-connect-provider/index.js';
import { Construct } from 'constructs';
import { guardAlarms, isProgressive } from '../../src/config/rollout.js';
import type { Boundaries } from './boundary.js';
import { deleteVersionsStatement, pruneStatements, startBuildStatements } from './build-permissions.js';
import type { StackContext } from './context.js';
import { policyDocument, Role, type Statement } from './iam.js';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** The one `sub` claim the deploy role trusts: a job in the environment's GitHub Environment. */
export function environmentSubject(repository: string, environment: string): string {
  return `repo:${repository}:environment:${environment}`;
}

/** The `sub` claims the ref role trusts. IAM's StringLike `*` also matches `/`, so `**` and `*` both become `*`. */
export function refSubjects(repository: string, refs: string[]): string[] {
  return [...new Set(refs.map((ref) => `repo:${repository}:ref:${ref.replace(/\*\*/g, '*')}`))];
}

/** The one `sub` claim the plan-only role trusts: a pull-request job of this repository. */
export function pullRequestSubject(repository: string): string {
  return `repo:${repository}:pull_request`;
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
    ...startBuildStatements('RunOwnApplyBuilds', [arn.codebuildProject(names.applyProject)]),
    ...followBuildLogStatements(ctx),
    ...shiftStatements(ctx),
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

/**
 * The traffic-shift action, in the apply job after the warmup, for the functions with a canary or linear rollout:
 * UpdateAlias on exactly their aliases (GetAlias, ListVersionsByFunction and InvokeFunction of the new version are
 * the warmup's and prune's grants above), and DescribeAlarms on exactly their guarding alarms: the action asks
 * for metric alarms only, which a DescribeAlarms scoped to alarm ARNs may return (API Reference, DescribeAlarms:
 * only composite alarms need it on "*"). None in an environment that deploys everything all at once.
 */
export function shiftStatements(ctx: StackContext): Statement[] {
  const { names, arn } = ctx;
  const shifted = ctx.env.functions.flatMap((settings, index) => {
    const fn = names.functions[index];
    return fn === undefined || !isProgressive(settings.rollout) ? [] : [{ fn, alarms: guardAlarms(fn, settings.rollout) }];
  });
  if (shifted.length === 0) return [];
  return [
    { Sid: 'ShiftOwnAliases', Action: ['lambda:GetAlias', 'lambda:UpdateAlias'], Resource: shifted.map(({ fn }) => fn.aliasArn) },
    {
      Sid: 'WatchOwnShiftAlarms',
      Action: ['cloudwatch:DescribeAlarms'],
      Resource: shifted.flatMap(({ alarms }) => alarms.map((alarm) => arn.alarm(alarm.name))),
    },
  ];
}

/** The plan-only role: pull-request plans start the read-only pull-request plan project and follow its log, nothing else. */
export function planRoleStatements(ctx: StackContext): Statement[] {
  return planBuildStatements(ctx, ctx.names.prPlanProject);
}

/** Start, read and stop builds of one plan project, and follow their log (Live Tail, GetLogEvents). */
function planBuildStatements(ctx: StackContext, project: string): Statement[] {
  const { arn } = ctx;
  return [...startBuildStatements('RunOwnPlanBuilds', [arn.codebuildProject(project)]), ...followBuildLogStatements(ctx)];
}

/**
 * Following a build's log (the codebuild-run action): Live Tail on the build log group, and GetLogEvents /
 * FilterLogEvents to fall back and to close gaps. `logs:StartLiveTail` authorizes against the `log-group`
 * resource type only (required; Service Authorization Reference, "Actions, resources, and condition keys for
 * Amazon CloudWatch Logs", StartLiveTail row: resource type `log-group*`, access level Read), whose ARN is
 * `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}`, without `:*` (same page, "Resource
 * types defined by Amazon CloudWatch Logs"). It is granted on that ARN and on its `:*` form too: several
 * CloudWatch Logs actions are evaluated against `log-group:<name>:*`, and this one has not been tried against
 * IAM here; `:*` only reaches this group's own streams. No other group.
 */
function followBuildLogStatements(ctx: StackContext): Statement[] {
  const { names, arn } = ctx;
  return [
    {
      Sid: 'ReadOwnBuildLogs',
      Action: ['logs:GetLogEvents', 'logs:FilterLogEvents'],
      Resource: [arn.logGroup(names.buildLogGroup), arn.logStreams(names.buildLogGroup)],
    },
    {
      Sid: 'TailOwnBuildLog',
      Action: ['logs:StartLiveTail'],
      Resource: [arn.logGroup(names.buildLogGroup), `${arn.logGroup(names.buildLogGroup)}:*`],
    },
  ];
}

/**
 * The ref role, for jobs on `apply.refs` outside the GitHub Environment: plan builds (the deploy workflow's plan
 * job) and the prune workflow (versions only, never a function). Never the apply project.
 */
export function refRoleStatements(ctx: StackContext): Statement[] {
  return [...planBuildStatements(ctx, ctx.names.planProject), ...pruneStatements(ctx)];
}

/** A web-identity trust policy for tokens of this repository, for sts.amazonaws.com, with one of these subjects. */
function githubTrust(ctx: StackContext, sid: string, subjects: string[]): string {
  const exact = subjects.every((subject) => !subject.includes('*'));
  return policyDocument([
    {
      Sid: sid,
      Action: ['sts:AssumeRoleWithWebIdentity'],
      Principal: { Federated: ctx.names.oidcProviderArn },
      Condition: exact
        ? { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE, [`${GITHUB_OIDC_HOST}:sub`]: subjects } }
        : { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE }, StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: subjects } },
    },
  ]);
}

export class GithubOidc extends Construct {
  constructor(scope: Construct, id: string, ctx: StackContext, boundaries: Boundaries) {
    super(scope, id);
    const { names } = ctx;
    const provider = ownsOidcProvider(ctx)
      ? new IamOpenidConnectProvider(this, 'provider', { url: `https://${GITHUB_OIDC_HOST}`, clientIdList: [GITHUB_OIDC_AUDIENCE] })
      : undefined;
    const dependsOn = provider === undefined ? [] : [provider];
    new Role(this, 'deploy', {
      name: names.deployRole,
      description: `GitHub Actions of ${ctx.repository}, apply job in the ${ctx.env.name} GitHub Environment: apply builds, functions, plans`,
      assumeRolePolicy: githubTrust(ctx, 'GitHubActionsEnvironment', [environmentSubject(ctx.repository, ctx.env.name)]),
      statements: deployRoleStatements(ctx),
      // The apply job follows a build for up to 90 minutes, then a traffic shift may take up to 120 (the config
      // refuses a longer rollout), warmup and prune included: four hours.
      maxSessionDuration: 14_400,
      dependsOn,
      boundary: boundaries.pipeline,
    });
    new Role(this, 'ref', {
      name: names.refRole,
      description: `GitHub Actions of ${ctx.repository} on ${ctx.env.name}'s apply refs outside its environment: plan builds and prune`,
      assumeRolePolicy: githubTrust(ctx, 'GitHubActionsRefs', refSubjects(ctx.repository, ctx.env.apply.refs)),
      statements: refRoleStatements(ctx),
      maxSessionDuration: 3600,
      dependsOn,
      boundary: boundaries.pipeline,
    });
    // Pull requests may plan only the environments of pullRequests.environments (not the last by default):
    // elsewhere no role trusts a pull_request token at all.
    if (!ctx.config.pullRequestEnvironments.includes(ctx.env.name)) return;
    new Role(this, 'plan', {
      name: names.planRole,
      description: `GitHub Actions pull-request plans of ${ctx.repository} for ${ctx.env.name}: start and read plan builds only`,
      assumeRolePolicy: githubTrust(ctx, 'GitHubActionsPullRequests', [pullRequestSubject(ctx.repository)]),
      statements: planRoleStatements(ctx),
      maxSessionDuration: 3600,
      dependsOn,
      boundary: boundaries.pipeline,
    });
  }
}
