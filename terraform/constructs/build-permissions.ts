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
 * limited to the environment's region instead.
 */
import type { StackContext } from './context.js';
import type { Statement } from './iam.js';

/** Statements every build role has: its log streams in the environment's build log group. */
export function buildLogStatements(ctx: StackContext): Statement[] {
  return [
    {
      Sid: 'BuildLogs',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [ctx.arn.logGroup(ctx.names.buildLogGroup), ctx.arn.logStreams(ctx.names.buildLogGroup)],
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
    projects: [names.planProject, names.applyProject, names.pruneProject].map((project) => arn.codebuildProject(project)),
    planBucket: [arn.bucket(names.planBucket)],
    rules: [arn.rule(`${ctx.prefix}-*`)],
    alarms: [arn.alarm(`${ctx.prefix}-*`)],
    dashboard: [arn.dashboard(names.dashboard)],
    oidcProvider: [names.oidcProviderArn],
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
        'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
        'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
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
    {
      Sid: 'WriteRoles',
      Action: [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:UpdateRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:PutRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:AttachRolePolicy',
        'iam:DetachRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
      ],
      Resource: scope.roles,
    },
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
        'lambda:PutFunctionScalingConfig',
        'lambda:DeleteFunctionScalingConfig',
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

/** The scheduled prune: this environment's functions and capacity provider only. */
export function pruneStatements(ctx: StackContext): Statement[] {
  const scope = scopes(ctx);
  return [
    {
      Sid: 'PruneFunctions',
      Action: [
        'lambda:GetFunction',
        'lambda:GetAlias',
        'lambda:ListAliases',
        'lambda:ListVersionsByFunction',
        'lambda:ListProvisionedConcurrencyConfigs',
        'lambda:DeleteFunction',
      ],
      Resource: scope.functions,
    },
    { Sid: 'PruneCapacityProvider', Action: ['lambda:GetCapacityProvider', 'lambda:ListFunctionVersionsByCapacityProvider'], Resource: scope.capacityProvider },
    { Sid: 'EventSourceMappings', Action: ['lambda:ListEventSourceMappings'], Resource: ['*'], Condition: inRegion(ctx) },
  ];
}
