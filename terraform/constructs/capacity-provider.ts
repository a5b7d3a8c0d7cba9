/**
 * The environment's capacity provider: arm64 instances of the allowed types, the scaling mode and vCPU ceiling
 * from the config, launched by Lambda with the provider's own operator role into the network's subnets.
 *
 * Changing the instance requirements replaces the capacity provider (`instance_requirements` is
 * RequiresReplaceIfConfigured), which fails while functions are attached to it: the plan summary warns, and
 * terraform/README.md describes the migration (a second provider, move the functions, delete the first).
 */

import { LambdaCapacityProvider } from '@cdktn/provider-aws/lib/lambda-capacity-provider/index.js';
import { Construct } from 'constructs';
import type { Boundaries } from './boundary.js';
import type { StackContext } from './context.js';
import { Role, type Statement, serviceTrust } from './iam.js';
import type { Network } from './network.js';

export const OPERATOR_POLICY = 'AWSLambdaManagedEC2ResourceOperator';

/**
 * The statements of {@link OPERATOR_POLICY} (version v1), as the Lambda Developer Guide prints them ("Lambda
 * operator role for Lambda Managed Instances"; AWS Managed Policy Reference, AWSLambdaManagedEC2ResourceOperator):
 * the workload permissions boundary must allow them, or the boundary would cut the operator role's managed policy.
 * If AWS publishes a new version of the policy, update these.
 */
export function operatorPolicyStatements(partition: string): Statement[] {
  const ec2 = (resource: string) => `arn:${partition}:ec2:*:*:${resource}`;
  return [
    {
      Action: ['ec2:RunInstances', 'ec2:CreateTags', 'ec2:AttachNetworkInterface'],
      Resource: [ec2('instance/*'), ec2('network-interface/*'), ec2('volume/*')],
      Condition: { StringEquals: { 'ec2:ManagedResourceOperator': 'scaler.lambda.amazonaws.com' } },
    },
    {
      Action: [
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeCapacityReservations',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
      ],
      Resource: ['*'],
    },
    { Action: ['ec2:RunInstances', 'ec2:CreateNetworkInterface'], Resource: [ec2('subnet/*'), ec2('security-group/*')] },
    { Action: ['ec2:RunInstances'], Resource: [ec2('image/*')], Condition: { StringEquals: { 'ec2:Owner': 'amazon' } } },
  ];
}

/**
 * The keys of the capacity provider's object-typed attributes. In provider 6.x (internal/service/lambda/
 * capacity_provider.go at v6.66.0) `instance_requirements` and `capacity_provider_scaling_config` are attributes
 * (framework.ResourceOptionalComputedListOfObjectsAttribute: a schema.ListAttribute whose elements are a
 * types.ObjectType), not blocks like `vpc_config` and `permissions_config`; `scaling_policies` is such a list
 * inside the scaling config. An object type has no optional attributes: in JSON syntax Terraform requires every
 * key, `null` for the unset ones. The bindings treat these as blocks and drop unset keys, so the stack writes
 * them whole, as overrides.
 */
export const CAPACITY_PROVIDER_OBJECT_ATTRIBUTES = {
  instance_requirements: ['allowed_instance_types', 'architectures', 'excluded_instance_types'],
  capacity_provider_scaling_config: ['max_vcpu_count', 'scaling_mode', 'scaling_policies'],
  'capacity_provider_scaling_config.scaling_policies': ['predefined_metric_type', 'target_value'],
} as const;

export class CapacityProvider extends Construct {
  readonly provider: LambdaCapacityProvider;

  constructor(scope: Construct, id: string, ctx: StackContext, network: Network, boundaries: Boundaries) {
    super(scope, id);
    const settings = ctx.env.capacityProvider;
    const operator = new Role(this, 'operator', {
      name: ctx.names.capacityProviderOperatorRole,
      description: `Lambda manages the EC2 instances of capacity provider ${ctx.names.capacityProvider} with this role`,
      assumeRolePolicy: serviceTrust('lambda.amazonaws.com', ctx.arn.account),
      managedPolicyArns: [ctx.arn.managedPolicy(OPERATOR_POLICY)],
      managedStatements: operatorPolicyStatements(ctx.arn.partition),
      boundary: boundaries.workload,
    });
    this.provider = new LambdaCapacityProvider(this, 'provider', {
      name: ctx.names.capacityProvider,
      permissionsConfig: [{ capacityProviderOperatorRoleArn: operator.role.arn }],
      vpcConfig: [{ subnetIds: network.subnetIds, securityGroupIds: [network.securityGroupId] }],
      dependsOn: operator.grants,
    });
    // Whole objects, with null for what is not set (see CAPACITY_PROVIDER_OBJECT_ATTRIBUTES).
    this.provider.addOverride('instance_requirements', [
      { allowed_instance_types: settings.instanceTypes, architectures: ['arm64'], excluded_instance_types: null },
    ]);
    this.provider.addOverride('capacity_provider_scaling_config', [
      {
        max_vcpu_count: settings.maxVcpu,
        scaling_mode: settings.scalingMode,
        scaling_policies:
          settings.scalingMode === 'Manual'
            ? settings.scalingPolicies.map((policy) => ({ predefined_metric_type: policy.metric, target_value: policy.targetValue }))
            : null,
      },
    ]);
  }
}
