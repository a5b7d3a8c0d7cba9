/**
 * The stack's permissions boundaries: the apply build may create and change the stack's roles, so every role it
 * may create or change carries one of these, and it may write a role's permissions (CreateRole, PutRolePolicy,
 * AttachRolePolicy, …) only while the role carries one of them (condition key `iam:PermissionsBoundary`). A role's
 * effective permissions are what its policies grant *and* its boundary allows (IAM User Guide, "Permissions
 * boundaries for IAM entities", the delegation example). The apply build cannot change a boundary (it is granted
 * no iam:CreatePolicyVersion, and no boundary allows it), nor remove one (no iam:DeleteRolePermissionsBoundary),
 * so rewriting its own policies cannot make it an administrator: it stays within the pipeline boundary.
 *
 * - pipeline (`<project>-<env>-gantry-boundary`): the build, deploy, pull-request plan and schedule roles. It allows
 *   the actions those roles are granted (collected from them, so it never lags behind), each on this environment's
 *   resources where escalation would otherwise be one step away (roles, functions, CodeBuild projects, the plan and
 *   state buckets), the others on `*` (EC2 networking, logs, rules, alarms: no way to more privileges).
 * - workload (`<project>-<env>-workload-boundary`): the functions' execution roles and the capacity provider's
 *   operator role: exactly their statements (own log streams, the config's `permissions`, the operator's AWS
 *   managed policy).
 *
 * Changing a boundary is an administrator's apply (terraform/README.md, "Permissions boundaries"): new `permissions`
 * in the config change the workload boundary, a gantry upgrade that grants a new action the pipeline boundary.
 */
import { IamPolicy } from '@cdktn/provider-aws/lib/iam-policy/index.js';
import { Lazy } from 'cdktn';
import { Construct } from 'constructs';
import type { StackContext } from './context.js';
import { MANAGED_POLICY_LIMIT, mergeStatements, policyDocument, policySize, RESOURCELESS_ACTIONS, type RoleBoundary, type Statement } from './iam.js';

/**
 * The actions that write what a role may do: granted only on roles that carry one of the stack's boundaries. The
 * Service Authorization Reference lists `iam:PermissionsBoundary` as a condition key of each.
 */
export const ROLE_PERMISSION_WRITES = [
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
];

/** Services whose actions the pipeline boundary allows on `*`: none of them leads to more privileges. */
const ANYWHERE = new Set(['ec2', 'logs', 'events', 'cloudwatch', 'codeconnections']);

/** The condition the role-permission writes carry, in the apply role's policy and in the pipeline boundary. */
export function boundaryCondition(ctx: StackContext): Record<string, Record<string, string[]>> {
  return { StringEquals: { 'iam:PermissionsBoundary': [ctx.names.boundaries.pipelineArn, ctx.names.boundaries.workloadArn] } };
}

/** One boundary: roles admit their statements while the stack is built; the document is written at synth. */
export class Boundary implements RoleBoundary {
  readonly policy: IamPolicy;
  readonly arnReference: string;
  readonly #admitted: Statement[] = [];

  constructor(scope: Construct, id: string, name: string, description: string, document: (admitted: Statement[]) => Statement[]) {
    this.policy = new IamPolicy(scope, id, {
      name,
      description,
      policy: Lazy.stringValue({
        produce: () => {
          const text = policyDocument(document(this.#admitted), { boundary: true });
          if (policySize(text) > MANAGED_POLICY_LIMIT) {
            throw new Error(`permissions boundary ${name} has ${policySize(text)} characters; IAM allows ${MANAGED_POLICY_LIMIT} for a managed policy`);
          }
          return text;
        },
      }),
    });
    this.arnReference = this.policy.arn;
  }

  admit(statements: Statement[]): void {
    this.#admitted.push(...statements.filter((statement) => (statement.Effect ?? 'Allow') === 'Allow'));
  }
}

export class Boundaries extends Construct {
  readonly pipeline: Boundary;
  readonly workload: Boundary;

  constructor(scope: Construct, id: string, ctx: StackContext) {
    super(scope, id);
    const { boundaries } = ctx.names;
    this.pipeline = new Boundary(
      this,
      'pipeline',
      boundaries.pipeline,
      `Permissions boundary of ${ctx.prefix}'s build, deploy and schedule roles; changed only by an administrator`,
      (admitted) => pipelineBoundary(ctx, admitted),
    );
    this.workload = new Boundary(
      this,
      'workload',
      boundaries.workload,
      `Permissions boundary of ${ctx.prefix}'s function execution roles and capacity provider operator role; changed only by an administrator`,
      (admitted) => workloadBoundary(ctx, admitted),
    );
  }
}

/** The Sid of an execution role's statement on its own log streams (functions.ts). */
export const OWN_LOG_GROUP_SID = 'OwnLogGroup';

/**
 * The workload boundary: the admitted statements as they are, except the execution roles' own log streams, which
 * become one statement on every function log group of the environment, so that a new function changes no boundary
 * unless it brings new `permissions`.
 */
export function workloadBoundary(ctx: StackContext, admitted: Statement[]): Statement[] {
  const { names, arn } = ctx;
  const groups = [`/aws/lambda/${ctx.prefix}-*`, ...names.functions.filter((fn) => !fn.functionName.startsWith(`${ctx.prefix}-`)).map((fn) => fn.logGroup)];
  const ownLogs: Statement = { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: groups.map((group) => arn.logStreams(group)) };
  const others = admitted.filter((statement) => statement.Sid !== OWN_LOG_GROUP_SID).map(({ Sid: _sid, ...statement }) => statement);
  return mergeStatements([ownLogs, ...others]);
}

/** The pipeline boundary: every admitted action, on this environment's resources where it matters. */
export function pipelineBoundary(ctx: StackContext, admitted: Statement[]): Statement[] {
  const { names, arn } = ctx;
  const regional = (service: string) => `arn:${arn.partition}:${service}:${arn.region}:${arn.account}`;
  const outside = (name: string) => !name.startsWith(`${ctx.prefix}-`);
  const roles = [arn.rolesOfEnvironment, ...(outside(names.deployRole) ? [names.deployRoleArn] : [])];
  const buckets: string[] = [];
  const anywhere: string[] = [];
  const lambda: string[] = [];
  const codebuild: string[] = [];
  const iam: string[] = [];
  const passRole: string[] = [];
  const roleWrites: string[] = [];
  for (const action of new Set(admitted.flatMap((statement) => statement.Action))) {
    const service = action.split(':')[0] ?? '';
    if (RESOURCELESS_ACTIONS.has(action) || ANYWHERE.has(service)) anywhere.push(action);
    else if (service === 's3') buckets.push(action);
    else if (service === 'lambda') lambda.push(action);
    else if (service === 'codebuild') codebuild.push(action);
    else if (action === 'iam:PassRole') passRole.push(action);
    else if (ROLE_PERMISSION_WRITES.includes(action)) roleWrites.push(action);
    else if (service === 'iam') iam.push(action);
    else throw new Error(`the pipeline boundary has no scope for ${action}; add its service to terraform/constructs/boundary.ts`);
  }
  const statements: Statement[] = [
    { Sid: 'Anywhere', Action: anywhere, Resource: ['*'] },
    // The plan and state buckets (`<project>-<env>-<account>-plans`, `-tfstate`) and their objects.
    { Sid: 'OwnBuckets', Action: buckets, Resource: [`arn:${arn.partition}:s3:::${ctx.prefix}-*`] },
    {
      Sid: 'OwnFunctions',
      Action: lambda,
      Resource: [
        `${regional('lambda')}:function:${ctx.prefix}-*`,
        ...names.functions.filter((fn) => outside(fn.functionName)).flatMap((fn) => [fn.functionArn, `${fn.functionArn}:*`]),
        names.capacityProviderArn,
      ],
    },
    {
      Sid: 'OwnProjects',
      Action: codebuild,
      Resource: [
        arn.codebuildProject(`${ctx.prefix}-*`),
        ...[names.planProject, names.applyProject].filter(outside).map((project) => arn.codebuildProject(project)),
      ],
    },
    // Roles, the OIDC provider, and the boundaries (`<project>-<env>-*-boundary`, which no role may change, only read).
    { Sid: 'OwnIdentities', Action: iam, Resource: [...roles, names.oidcProviderArn, `arn:${arn.partition}:iam::${arn.account}:policy/${ctx.prefix}-*`] },
    {
      Sid: 'PassOwnRoles',
      Action: passRole,
      Resource: roles,
      Condition: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'codebuild.amazonaws.com', 'events.amazonaws.com'] } },
    },
    { Sid: 'BoundedRoles', Action: roleWrites, Resource: roles, Condition: boundaryCondition(ctx) },
  ];
  // No Sids: IAM counts them against the boundary's 6,144 characters.
  return statements.filter((statement) => statement.Action.length > 0).map(({ Sid: _sid, ...statement }) => statement);
}
