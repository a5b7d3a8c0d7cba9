/**
 * Every IAM action gantry names in a policy of the stack (identity policies, trust policies, the plan bucket's
 * policy, the permissions boundaries), by service prefix, each checked against that service's page of the
 * Service Authorization Reference (SAR) cited with it. The actions of a function's `permissions` are the
 * config's, not gantry's, and are not listed. test/terraform-synth.test.ts fails on any other action in a
 * synthesized policy, and on any wildcard.
 *
 * How they were checked: each name against the "Actions defined by …" table of the SAR page; cross-checked with
 * the action lists generated from the SAR (cloudtools/awacs, awacs/<service>.py). Where a name is missing from
 * both, the note says what confirmed it. Not in any list, on purpose: lambda:DeleteFunctionScalingConfig (no
 * such action: the scaling config is reset with PutFunctionScalingConfig), iam:DeleteRolePermissionsBoundary and
 * the iam policy writes (CreatePolicyVersion, SetDefaultPolicyVersion, DeletePolicy: the boundaries are an
 * administrator's), ec2:UpdateSecurityGroupRuleDescriptions* (only aws_security_group_rule, not declared).
 */

const SAR = 'https://docs.aws.amazon.com/service-authorization/latest/reference';

export interface ServiceActions {
  /** The service's page of the Service Authorization Reference. */
  reference: string;
  actions: readonly string[];
  note?: string;
}

export const IAM_ACTIONS: Readonly<Record<string, ServiceActions>> = {
  lambda: {
    reference: `${SAR}/list_awslambda.html`,
    note: 'GetAlias and UpdateAlias: the traffic-shift action, on the aliases of the functions it shifts (deploy role); UpdateAlias also terraform (apply build).',
    actions: [
      'AddPermission',
      'CreateAlias',
      'CreateCapacityProvider',
      'CreateFunction',
      'DeleteAlias',
      'DeleteCapacityProvider',
      'DeleteFunction',
      'GetAlias',
      'GetCapacityProvider',
      'GetFunction',
      'GetFunctionCodeSigningConfig',
      'GetFunctionConfiguration',
      'GetFunctionScalingConfig',
      'GetPolicy',
      'InvokeFunction',
      'ListAliases',
      'ListEventSourceMappings',
      'ListFunctionVersionsByCapacityProvider',
      'ListProvisionedConcurrencyConfigs',
      'ListTags',
      'ListVersionsByFunction',
      'PassCapacityProvider',
      'PublishVersion',
      'PutFunctionScalingConfig',
      'RemovePermission',
      'TagResource',
      'UntagResource',
      'UpdateAlias',
      'UpdateCapacityProvider',
      'UpdateFunctionCode',
      'UpdateFunctionConfiguration',
    ],
  },
  iam: {
    reference: `${SAR}/list_awsidentityandaccessmanagementiam.html`,
    actions: [
      'AddClientIDToOpenIDConnectProvider',
      'AttachRolePolicy',
      'CreateOpenIDConnectProvider',
      'CreateRole',
      'DeleteOpenIDConnectProvider',
      'DeleteRole',
      'DeleteRolePolicy',
      'DetachRolePolicy',
      'GetOpenIDConnectProvider',
      'GetPolicy',
      'GetPolicyVersion',
      'GetRole',
      'GetRolePolicy',
      'ListAttachedRolePolicies',
      'ListInstanceProfilesForRole',
      'ListRolePolicies',
      'PassRole',
      'PutRolePermissionsBoundary',
      'PutRolePolicy',
      'RemoveClientIDFromOpenIDConnectProvider',
      'TagOpenIDConnectProvider',
      'TagRole',
      'UntagOpenIDConnectProvider',
      'UntagRole',
      'UpdateAssumeRolePolicy',
      'UpdateOpenIDConnectProviderThumbprint',
      'UpdateRole',
    ],
    note: 'TagOpenIDConnectProvider and UntagOpenIDConnectProvider are newer than the awacs list stored here; the IAM API Reference documents both operations, and IAM actions carry the operation names.',
  },
  sts: {
    reference: `${SAR}/list_awssecuritytokenservice.html`,
    actions: ['AssumeRole', 'AssumeRoleWithWebIdentity'],
  },
  ec2: {
    reference: `${SAR}/list_amazonec2.html`,
    actions: [
      'AssociateRouteTable',
      'AttachNetworkInterface',
      'AuthorizeSecurityGroupEgress',
      'AuthorizeSecurityGroupIngress',
      'CreateNetworkInterface',
      'CreateRouteTable',
      'CreateSecurityGroup',
      'CreateSubnet',
      'CreateTags',
      'CreateVpc',
      'CreateVpcEndpoint',
      'DeleteRouteTable',
      'DeleteSecurityGroup',
      'DeleteSubnet',
      'DeleteTags',
      'DeleteVpc',
      'DeleteVpcEndpoints',
      'DescribeAvailabilityZones',
      'DescribeCapacityReservations',
      'DescribeInstanceStatus',
      'DescribeInstanceTypeOfferings',
      'DescribeInstanceTypes',
      'DescribeInstances',
      'DescribeNetworkInterfaces',
      'DescribePrefixLists',
      'DescribeRouteTables',
      'DescribeSecurityGroupRules',
      'DescribeSecurityGroups',
      'DescribeSubnets',
      'DescribeTags',
      'DescribeVpcAttribute',
      'DescribeVpcEndpointServices',
      'DescribeVpcEndpoints',
      'DescribeVpcs',
      'DisassociateRouteTable',
      'ModifySecurityGroupRules',
      'ModifySubnetAttribute',
      'ModifyVpcAttribute',
      'ModifyVpcEndpoint',
      'RevokeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
      'RunInstances',
    ],
    note: "AttachNetworkInterface, CreateNetworkInterface, RunInstances and the Describe*Instance* actions are the operator role AWS managed policy's (workload boundary).",
  },
  s3: {
    reference: `${SAR}/list_amazons3.html`,
    actions: [
      'CreateBucket',
      'DeleteBucket',
      'DeleteBucketPolicy',
      'DeleteObject',
      'DeleteObjectVersion',
      'GetAccelerateConfiguration',
      'GetBucketAcl',
      'GetBucketCORS',
      'GetBucketLogging',
      'GetBucketObjectLockConfiguration',
      'GetBucketOwnershipControls',
      'GetBucketPolicy',
      'GetBucketPublicAccessBlock',
      'GetBucketRequestPayment',
      'GetBucketTagging',
      'GetBucketVersioning',
      'GetBucketWebsite',
      'GetEncryptionConfiguration',
      'GetLifecycleConfiguration',
      'GetObject',
      'GetObjectVersion',
      'GetReplicationConfiguration',
      'ListBucket',
      'ListBucketVersions',
      'PutBucketOwnershipControls',
      'PutBucketPolicy',
      'PutBucketPublicAccessBlock',
      'PutBucketTagging',
      'PutBucketVersioning',
      'PutEncryptionConfiguration',
      'PutLifecycleConfiguration',
      'PutObject',
    ],
    note: "DeleteObjectVersion, GetObjectVersion and ListBucketVersions appear only in the plan bucket policy's TLS-only Deny.",
  },
  logs: {
    reference: `${SAR}/list_amazoncloudwatchlogs.html`,
    actions: [
      'CreateLogGroup',
      'CreateLogStream',
      'DeleteLogGroup',
      'DeleteMetricFilter',
      'DeleteRetentionPolicy',
      'DescribeLogGroups',
      'DescribeMetricFilters',
      'FilterLogEvents',
      'GetLogEvents',
      'ListTagsForResource',
      'ListTagsLogGroup',
      'PutLogEvents',
      'PutMetricFilter',
      'PutRetentionPolicy',
      'StartLiveTail',
      'TagLogGroup',
      'TagResource',
      'UntagLogGroup',
      'UntagResource',
    ],
    note: 'StartLiveTail: checked against the StartLiveTail row of the SAR page (resource type log-group, required; access level Read) and its resource table (log-group ARN without `:*`), not against awacs.',
  },
  cloudwatch: {
    reference: `${SAR}/list_amazoncloudwatch.html`,
    actions: [
      'DeleteAlarms',
      'DeleteDashboards',
      'DescribeAlarms',
      'GetDashboard',
      'ListTagsForResource',
      'PutDashboard',
      'PutMetricAlarm',
      'TagResource',
      'UntagResource',
    ],
    note: 'DescribeAlarms: on "*" for the build roles (terraform reads the stack\'s alarms), on the guarding alarms\' ARNs for the deploy role (the traffic-shift action; the API Reference\'s DescribeAlarms says only composite alarms need it on "*", and the action asks for metric alarms only).',
  },
  events: {
    reference: `${SAR}/list_amazoneventbridge.html`,
    actions: [
      'DeleteRule',
      'DescribeRule',
      'DisableRule',
      'EnableRule',
      'ListTagsForResource',
      'ListTargetsByRule',
      'PutRule',
      'PutTargets',
      'RemoveTargets',
      'TagResource',
      'UntagResource',
    ],
  },
  codebuild: {
    reference: `${SAR}/list_awscodebuild.html`,
    actions: ['BatchGetBuilds', 'BatchGetProjects', 'CreateProject', 'DeleteProject', 'StartBuild', 'StopBuild', 'UpdateProject'],
  },
  codeconnections: {
    reference: `${SAR}/list_awscodeconnections.html`,
    actions: ['GetConnection', 'GetConnectionToken'],
    note: 'Also the two actions the CodeBuild User Guide has a project role grant ("GitHub App connections for GitHub and GitHub Enterprise Server", step 2); awacs lists them under codestar-connections, the prefix of the service before its rename.',
  },
};

/** `prefix:Action` of every action in {@link IAM_ACTIONS}. */
export const ALLOWED_IAM_ACTIONS: ReadonlySet<string> = new Set(
  Object.entries(IAM_ACTIONS).flatMap(([prefix, service]) => service.actions.map((action) => `${prefix}:${action}`)),
);

/**
 * The CodeBuild condition keys of StartBuild that gantry's policies deny when present (`Null: false`): each is
 * set only when the request overrides that setting of the project (buildspecOverride, imageOverride,
 * privilegedModeOverride, serviceRoleOverride, sourceLocationOverride, …). Names from the StartBuild row of
 * the Service Authorization Reference's CodeBuild page (`${SAR}/list_awscodebuild.html`); the CodeBuild User
 * Guide ("AWS CodeBuild condition keys", "Prevent unauthorized modifications to project buildspec") denies
 * StartBuild on `Null: {"codebuild:source.buildspec": "false"}`: the key supports only the Null operator.
 * One Deny statement per key: keys of one Null condition are ANDed, and any one override must be refused.
 */
export const CODEBUILD_OVERRIDE_CONDITION_KEYS = [
  'codebuild:source.buildspec',
  'codebuild:source.location',
  'codebuild:secondarySources',
  'codebuild:environment.image',
  'codebuild:environment.privilegedMode',
  'codebuild:environment.type',
  'codebuild:environment.imagePullCredentialsType',
  'codebuild:environment.registryCredential',
  'codebuild:environment.certificate',
  'codebuild:serviceRole',
] as const;

/**
 * The multivalued condition key of StartBuild naming the variables an `environmentVariablesOverride` sets
 * (Service Authorization Reference, CodeBuild: `codebuild:environment.environmentVariables.name`; CodeBuild User
 * Guide, "AWS CodeBuild condition keys", "Control environment variable settings", which denies overriding a
 * variable by name).
 */
export const CODEBUILD_VARIABLE_NAMES_CONDITION_KEY = 'codebuild:environment.environmentVariables.name';

/**
 * Variables a StartBuild may not override: what the project owns so that whoever starts a build runs what the
 * platform pins (the Terraform version, checksums and release mirror, the gantry CLI, the pull-request plan's
 * read-only mode), and what would run code before the buildspec's own checks (BASH_ENV, ENV, PATH, Terraform's
 * CLI configuration and plugin cache). The action sends none of them.
 */
export const CODEBUILD_PROTECTED_VARIABLES = [
  'GANTRY_TERRAFORM_VERSION',
  'GANTRY_TERRAFORM_SHA256_LINUX_AMD64',
  'GANTRY_TERRAFORM_SHA256_LINUX_ARM64',
  'GANTRY_TERRAFORM_RELEASES_URL',
  'GANTRY_CLI',
  'GANTRY_PLAN_READ_ONLY',
  'BASH_ENV',
  'ENV',
  'PATH',
  'TF_CLI_CONFIG_FILE',
  'TF_PLUGIN_CACHE_DIR',
] as const;
