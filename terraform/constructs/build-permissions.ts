/**
 * What each CodeBuild project's role may do, action by action (no wildcard actions):
 * - plan: read every kind of resource the stack declares (terraform refreshes them), read the state and hold
 *   its lock file, write the plan to `s3://<plan bucket>/<environment>/`;
 * - apply: the same reads, plus create, change and delete exactly those kinds of resources, scoped to this
 *   environment's names (`<project>-<environment>-*`) wherever the service allows it, and write the state;
 * - prune: list and delete versions of this environment's functions, read its capacity provider.
 *
 * Derived from the resources the stack declares; a plan or apply failing with AccessDenied names the action
 * to add here. EC2 networking and the read-only describe calls have no resource-level scoping in IAM: those are
 * limited to the environment's region instead. Every action is in iam-actions.ts, checked against the Service
 * Authorization Reference.
 *
 * The apply role writes a role's permissions only while the role carries one of the stack's permissions
 * boundaries (boundary.ts), and cannot change those boundaries: it cannot make itself an administrator.
 */
import { boundaryCondition, ROLE_PERMISSION_WRITES } from './boundary.js';
import type { StackContext } from './context.js';
import type { Statement } from './iam.js';
import { CODEBUILD_OVERRIDE_CONDITION_KEYS, CODEBUILD_PROTECTED_VARIABLES, CODEBUILD_VARIABLE_NAMES_CONDITION_KEY } from './iam-actions.js';

/**
 * Starting (and following, stopping) builds of the given projects, as each project is defined: every override
 * of what the build runs or runs as (buildspec, source location, image, privileged mode, service role, …) is
 * denied, one Deny per condition key (the keys of one Null condition are ANDed); so is overriding a variable the
 * project owns (the Terraform pin, the CLI, read-only mode; CODEBUILD_PROTECTED_VARIABLES). So a role that may
 * start a project runs that project's own buildspec and toolchain, set by terraform, and nothing else.
 */
export function startBuildStatements(
  sid: string,
  projects: string[],
  actions: string[] = ['codebuild:StartBuild', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
): Statement[] {
  return [
    { Sid: sid, Action: actions, Resource: projects },
    ...CODEBUILD_OVERRIDE_CONDITION_KEYS.map(
      (key): Statement => ({
        Sid: `NoOverride${key
          .replace(/^codebuild:/, '')
          .split(/[.]/)
          .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
          .join('')}`,
        Effect: 'Deny',
        Action: ['codebuild:StartBuild'],
        Resource: projects,
        Condition: { Null: { [key]: 'false' } },
      }),
    ),
    {
      Sid: 'NoOverrideOfPinnedVariables',
      Effect: 'Deny',
      Action: ['codebuild:StartBuild'],
      Resource: projects,
      Condition: { 'ForAnyValue:StringEquals': { [CODEBUILD_VARIABLE_NAMES_CONDITION_KEY]: [...CODEBUILD_PROTECTED_VARIABLES] } },
    },
  ];
}

/**
 * Statements every build role has: its log streams in the environment's build log group, and the CodeConnections
 * connection CodeBuild checks the GitHub source out through (bootstrap step 2 of the README: the account's source
 * credential is a connection). CodeBuild User Guide, "GitHub App connections for GitHub and GitHub Enterprise
 * Server", step 2: the project's role needs codeconnections:GetConnectionToken and codeconnections:GetConnection on
 * the connection. The connection is the account's (its ID is not in the config) and may be in another region
 * ("You can use cross-region connections in CodeBuild"): any connection of the account.
 */
export function buildLogStatements(ctx: StackContext): Statement[] {
  return [
    {
      Sid: 'BuildLogs',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [ctx.arn.logGroup(ctx.names.buildLogGroup), ctx.arn.logStreams(ctx.names.buildLogGroup)],
    },
    {
      Sid: 'SourceConnection',
      Action: ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection'],
      Resource: [`arn:${ctx.arn.partition}:codeconnections:*:${ctx.arn.account}:connection/*`],
    },
  ];
}

interface Scopes {
  roles: string[];
  functions: string[];
  capacityProvider: string[];
  logGroups: string[];
  projects: string[];
  planBucket: string[];
  rules: string[];
  alarms: string[];
  dashboard: string[];
  oidcProvider: string[];
  boundaries: string[];
}

function scopes(ctx: StackContext): Scopes {
  const { names, arn } = ctx;
  const logGroups = [names.buildLogGroup, ...names.functions.map((fn) => fn.logGroup)];
  return {
    // Overridable names (deploy role, functions) are listed by name: they need not start with the prefix.
    roles: [arn.rolesOfEnvironment, names.deployRoleArn],
    functions: names.functions.flatMap((fn) => [fn.functionArn, `${fn.functionArn}:*`]),
    capacityProvider: [names.capacityProviderArn],
    logGroups: logGroups.flatMap((group) => [arn.logGroup(group), `${arn.logGroup(group)}:*`]),
    projects: [names.planProject, names.prPlanProject, names.applyProject, names.pruneProject].map((project) => arn.codebuildProject(project)),
    planBucket: [arn.bucket(names.planBucket)],
    rules: [arn.rule(`${ctx.prefix}-*`)],
    alarms: [arn.alarm(`${ctx.prefix}-*`)],
    dashboard: [arn.dashboard(names.dashboard)],
    oidcProvider: [names.oidcProviderArn],
    boundaries: [names.boundaries.pipelineArn, names.boundaries.workloadArn],
  };
}

const inRegion = (ctx: StackContext) => ({ StringEquals: { 'aws:RequestedRegion': ctx.arn.region } });

/** Reads terraform makes while refreshing the stack's resources (plan and apply). */
export function readStatements(ctx: StackContext): Statement[] {
  const scope = scopes(ctx);
  return [
    {
      Sid: 'ReadNetwork',
      Action: [
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeVpcs',
        'ec2:DescribeVpcAttribute',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSecurityGroupRules',
        'ec2:DescribeRouteTables',
        'ec2:DescribeVpcEndpoints',
        'ec2:DescribeVpcEndpointServices',
        'ec2:DescribePrefixLists',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeTags',
      ],
      Resource: ['*'],
      Condition: inRegion(ctx),
    },
    {
      Sid: 'ReadRoles',
      Action: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:ListInstanceProfilesForRole'],
      Resource: scope.roles,
    },
    { Sid: 'ReadOidcProvider', Action: ['iam:GetOpenIDConnectProvider'], Resource: scope.oidcProvider },
    // aws_iam_policy's read: GetPolicy, then GetPolicyVersion of the default version (internal/service/iam/policy.go).
    { Sid: 'ReadBoundaries', Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'], Resource: scope.boundaries },
    {
      Sid: 'ReadFunctions',
      Action: [
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:GetFunctionCodeSigningConfig',
        'lambda:GetFunctionScalingConfig',
        'lambda:GetAlias',
        'lambda:GetPolicy',
        'lambda:ListVersionsByFunction',
        'lambda:ListTags',
      ],
      Resource: scope.functions,
    },
    { Sid: 'ReadCapacityProvider', Action: ['lambda:GetCapacityProvider', 'lambda:ListTags'], Resource: scope.capacityProvider },
    { Sid: 'DescribeLogs', Action: ['logs:DescribeLogGroups', 'logs:DescribeMetricFilters'], Resource: ['*'], Condition: inRegion(ctx) },
    { Sid: 'ReadLogGroups', Action: ['logs:ListTagsForResource', 'logs:ListTagsLogGroup'], Resource: scope.logGroups },
    { Sid: 'ReadProjects', Action: ['codebuild:BatchGetProjects'], Resource: scope.projects },
    {
      Sid: 'ReadPlanBucket',
      Action: [
        's3:ListBucket',
        's3:GetBucketPolicy',
        's3:GetBucketAcl',
        's3:GetBucketCORS',
        's3:GetBucketWebsite',
        's3:GetBucketVersioning',
        's3:GetBucketLogging',
        's3:GetBucketTagging',
        's3:GetBucketObjectLockConfiguration',
        's3:GetBucketRequestPayment',
        's3:GetBucketOwnershipControls',
        's3:GetBucketPublicAccessBlock',
        's3:GetEncryptionConfiguration',
        's3:GetLifecycleConfiguration',
        's3:GetReplicationConfiguration',
        's3:GetAccelerateConfiguration',
      ],
      Resource: scope.planBucket,
    },
    { Sid: 'ReadRules', Action: ['events:DescribeRule', 'events:ListTargetsByRule', 'events:ListTagsForResource'], Resource: scope.rules },
    { Sid: 'DescribeAlarms', Action: ['cloudwatch:DescribeAlarms'], Resource: ['*'], Condition: inRegion(ctx) },
    { Sid: 'ReadAlarms', Action: ['cloudwatch:ListTagsForResource'], Resource: scope.alarms },
    { Sid: 'ReadDashboard', Action: ['cloudwatch:GetDashboard'], Resource: scope.dashboard },
    { Sid: 'ReadEventSourceMappings', Action: ['lambda:ListEventSourceMappings'], Resource: ['*'], Condition: inRegion(ctx) },
  ];
}

/** The remote state: read by plan, written by apply; both hold the native lock file while they run. */
export function stateStatements(ctx: StackContext, write: boolean): Statement[] {
  const { names, arn } = ctx;
  return [
    { Sid: 'StateList', Action: ['s3:ListBucket'], Resource: [arn.bucket(names.stateBucket)] },
    { Sid: 'State', Action: write ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'], Resource: [arn.object(names.stateBucket, names.stateKey)] },
    {
      Sid: 'StateLock',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: [arn.object(names.stateBucket, `${names.stateKey}.tflock`)],
    },
  ];
}

/** The remote state, read only: no write of the state or its lock file (pull-request plans, `-lock=false`). */
export function stateReadStatements(ctx: StackContext): Statement[] {
  const { names, arn } = ctx;
  return [
    { Sid: 'StateList', Action: ['s3:ListBucket'], Resource: [arn.bucket(names.stateBucket)] },
    { Sid: 'StateRead', Action: ['s3:GetObject'], Resource: [arn.object(names.stateBucket, names.stateKey)] },
  ];
}

/** Creating, changing and deleting the stack's resources (apply only). */
export function writeStatements(ctx: StackContext): Statement[] {
  const scope = scopes(ctx);
  return [
    {
      Sid: 'WriteNetwork',
      Action: [
        'ec2:CreateVpc',
        'ec2:DeleteVpc',
        'ec2:ModifyVpcAttribute',
        'ec2:CreateSubnet',
        'ec2:DeleteSubnet',
        'ec2:ModifySubnetAttribute',
        'ec2:CreateRouteTable',
        'ec2:DeleteRouteTable',
        'ec2:AssociateRouteTable',
        'ec2:DisassociateRouteTable',
        'ec2:CreateSecurityGroup',
        'ec2:DeleteSecurityGroup',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupEgress',
        // Rule descriptions change through ModifySecurityGroupRules (aws_vpc_security_group_*_rule); the
        // UpdateSecurityGroupRuleDescriptions* actions serve aws_security_group_rule only
        // (internal/service/ec2/vpc_security_group_rule.go), which the stack does not declare.
        'ec2:ModifySecurityGroupRules',
        'ec2:CreateVpcEndpoint',
        'ec2:DeleteVpcEndpoints',
        'ec2:ModifyVpcEndpoint',
        'ec2:CreateTags',
        'ec2:DeleteTags',
      ],
      // EC2 networking cannot be scoped by name before the resource exists: limited to the region.
      Resource: [
        `arn:${ctx.arn.partition}:ec2:${ctx.arn.region}:${ctx.arn.account}:vpc/*`,
        `arn:${ctx.arn.partition}:ec2:${ctx.arn.region}:${ctx.arn.account}:subnet/*`,
        `arn:${ctx.arn.partition}:ec2:${ctx.arn.region}:${ctx.arn.account}:route-table/*`,
        `arn:${ctx.arn.partition}:ec2:${ctx.arn.region}:${ctx.arn.account}:security-group/*`,
        `arn:${ctx.arn.partition}:ec2:${ctx.arn.region}:${ctx.arn.account}:security-group-rule/*`,
        `arn:${ctx.arn.partition}:ec2:${ctx.arn.region}:${ctx.arn.account}:vpc-endpoint/*`,
      ],
    },
    { Sid: 'WriteRoles', Action: ['iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole'], Resource: scope.roles },
    // What a role may do is written only to roles carrying one of the stack's boundaries (a new role: the one it
    // is created with), so no role the apply build touches can exceed them. No iam:DeleteRolePermissionsBoundary,
    // and nothing on the boundary policies but reading them.
    { Sid: 'WriteBoundedRoles', Action: ROLE_PERMISSION_WRITES, Resource: scope.roles, Condition: boundaryCondition(ctx) },
    {
      Sid: 'PassRoles',
      Action: ['iam:PassRole'],
      Resource: scope.roles,
      Condition: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'codebuild.amazonaws.com', 'events.amazonaws.com'] } },
    },
    {
      Sid: 'WriteOidcProvider',
      Action: [
        'iam:CreateOpenIDConnectProvider',
        'iam:DeleteOpenIDConnectProvider',
        'iam:UpdateOpenIDConnectProviderThumbprint',
        'iam:AddClientIDToOpenIDConnectProvider',
        'iam:RemoveClientIDFromOpenIDConnectProvider',
        'iam:TagOpenIDConnectProvider',
        'iam:UntagOpenIDConnectProvider',
      ],
      Resource: scope.oidcProvider,
    },
    {
      Sid: 'WriteFunctions',
      Action: [
        'lambda:CreateFunction',
        'lambda:DeleteFunction',
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
        'lambda:PublishVersion',
        'lambda:CreateAlias',
        'lambda:UpdateAlias',
        'lambda:DeleteAlias',
        // Also what aws_lambda_function_scaling_config's delete calls: there is no DeleteFunctionScalingConfig
        // (internal/service/lambda/function_scaling_config.go, Delete).
        'lambda:PutFunctionScalingConfig',
        'lambda:AddPermission',
        'lambda:RemovePermission',
        'lambda:TagResource',
        'lambda:UntagResource',
      ],
      Resource: scope.functions,
    },
    {
      Sid: 'WriteCapacityProvider',
      Action: ['lambda:CreateCapacityProvider', 'lambda:UpdateCapacityProvider', 'lambda:DeleteCapacityProvider', 'lambda:TagResource', 'lambda:UntagResource'],
      Resource: scope.capacityProvider,
    },
    // CreateFunction and UpdateFunctionConfiguration with a capacity provider config need it on the provider
    // (Lambda Developer Guide, lambda-managed-instances-core-concepts, security and permissions: besides the
    // operator role, users need lambda:PassCapacityProvider to assign functions to a capacity provider).
    { Sid: 'PassCapacityProvider', Action: ['lambda:PassCapacityProvider'], Resource: scope.capacityProvider },
    {
      Sid: 'WriteLogGroups',
      Action: [
        'logs:CreateLogGroup',
        'logs:DeleteLogGroup',
        'logs:PutRetentionPolicy',
        'logs:DeleteRetentionPolicy',
        'logs:PutMetricFilter',
        'logs:DeleteMetricFilter',
        'logs:TagResource',
        'logs:UntagResource',
        'logs:TagLogGroup',
        'logs:UntagLogGroup',
      ],
      Resource: scope.logGroups,
    },
    {
      Sid: 'WriteProjects',
      Action: ['codebuild:CreateProject', 'codebuild:UpdateProject', 'codebuild:DeleteProject'],
      Resource: scope.projects,
    },
    {
      Sid: 'WritePlanBucket',
      Action: [
        's3:CreateBucket',
        's3:DeleteBucket',
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:PutBucketVersioning',
        's3:PutBucketTagging',
        's3:PutBucketOwnershipControls',
        's3:PutBucketPublicAccessBlock',
        's3:PutEncryptionConfiguration',
        's3:PutLifecycleConfiguration',
      ],
      Resource: scope.planBucket,
    },
    {
      Sid: 'WriteRules',
      Action: [
        'events:PutRule',
        'events:DeleteRule',
        'events:PutTargets',
        'events:RemoveTargets',
        'events:EnableRule',
        'events:DisableRule',
        'events:TagResource',
        'events:UntagResource',
      ],
      Resource: scope.rules,
    },
    {
      Sid: 'WriteAlarms',
      Action: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:TagResource', 'cloudwatch:UntagResource'],
      Resource: scope.alarms,
    },
    { Sid: 'WriteDashboard', Action: ['cloudwatch:PutDashboard', 'cloudwatch:DeleteDashboards'], Resource: scope.dashboard },
  ];
}

/**
 * Function versions only, never a whole function: lambda:DeleteFunction on the qualified ARNs (`<function ARN>:*`),
 * which a DeleteFunction with a Qualifier is authorized against; a DeleteFunction without one is authorized against
 * the unqualified ARN, which `:*` does not match (Lambda Developer Guide, "Fine-tuning the Resources and Conditions
 * sections of policies": functions are scoped by function, version or alias ARN).
 */
export function deleteVersionsStatement(ctx: StackContext, sid: string): Statement {
  return { Sid: sid, Action: ['lambda:DeleteFunction'], Resource: ctx.names.functions.map((fn) => `${fn.functionArn}:*`) };
}

/** The scheduled prune: this environment's functions and capacity provider only; it deletes versions, never functions. */
export function pruneStatements(ctx: StackContext): Statement[] {
  const scope = scopes(ctx);
  return [
    {
      Sid: 'PruneFunctions',
      Action: ['lambda:GetFunction', 'lambda:GetAlias', 'lambda:ListAliases', 'lambda:ListVersionsByFunction', 'lambda:ListProvisionedConcurrencyConfigs'],
      Resource: scope.functions,
    },
    deleteVersionsStatement(ctx, 'PruneVersions'),
    { Sid: 'PruneCapacityProvider', Action: ['lambda:GetCapacityProvider', 'lambda:ListFunctionVersionsByCapacityProvider'], Resource: scope.capacityProvider },
    { Sid: 'EventSourceMappings', Action: ['lambda:ListEventSourceMappings'], Resource: ['*'], Condition: inRegion(ctx) },
  ];
}
