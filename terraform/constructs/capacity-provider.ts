/**
 * The environment's capacity provider: arm64 instances of the allowed types, the scaling mode and vCPU ceiling
 * from the config, launched by Lambda with the provider's own operator role into the network's subnets.
 */

import { LambdaCapacityProvider } from '@cdktn/provider-aws/lib/lambda-capacity-provider/index.js';
import { Construct } from 'constructs';
import type { StackContext } from './context.js';
import { Role, serviceTrust } from './iam.js';
import type { Network } from './network.js';

export const OPERATOR_POLICY = 'AWSLambdaManagedEC2ResourceOperator';

export class CapacityProvider extends Construct {
  readonly provider: LambdaCapacityProvider;

  constructor(scope: Construct, id: string, ctx: StackContext, network: Network) {
    super(scope, id);
    const settings = ctx.env.capacityProvider;
    const operator = new Role(this, 'operator', {
      name: ctx.names.capacityProviderOperatorRole,
      description: `Lambda manages the EC2 instances of capacity provider ${ctx.names.capacityProvider} with this role`,
      assumeRolePolicy: serviceTrust('lambda.amazonaws.com', ctx.arn.account),
      managedPolicyArns: [ctx.arn.managedPolicy(OPERATOR_POLICY)],
    });
    this.provider = new LambdaCapacityProvider(this, 'provider', {
      name: ctx.names.capacityProvider,
      permissionsConfig: [{ capacityProviderOperatorRoleArn: operator.role.arn }],
      instanceRequirements: [{ architectures: ['arm64'], allowedInstanceTypes: settings.instanceTypes }],
      capacityProviderScalingConfig: [{ scalingMode: settings.scalingMode, maxVcpuCount: settings.maxVcpu }],
      vpcConfig: [{ subnetIds: network.subnetIds, securityGroupIds: [network.securityGroupId] }],
      dependsOn: operator.grants,
    });
  }
}
