/**
 * Where the capacity provider's instances run: subnets of a dedicated VPC (the default) or of the account's
 * default VPC, in the region's available zones minus the zone IDs of `excludeAvailabilityZones`, at most `maxSubnets` of them;
 * and the instances' own security group, which has no inbound rule at all.
 *
 * The dedicated VPC has private subnets only, no internet route: S3 and DynamoDB through gateway endpoints
 * (free), CloudWatch Logs (function logs leave through the instances' network interfaces) through an
 * interface endpoint that only the instances' security group may reach. Functions that need anything else
 * need a NAT gateway or more endpoints, added next to this construct.
 */

import { DataAwsAvailabilityZones } from '@cdktn/provider-aws/lib/data-aws-availability-zones/index.js';
import { DataAwsSubnets } from '@cdktn/provider-aws/lib/data-aws-subnets/index.js';
import { DataAwsVpc } from '@cdktn/provider-aws/lib/data-aws-vpc/index.js';
import { RouteTable } from '@cdktn/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association/index.js';
import { SecurityGroup } from '@cdktn/provider-aws/lib/security-group/index.js';
import { Subnet } from '@cdktn/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktn/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktn/provider-aws/lib/vpc-endpoint/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktn/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Fn, ref, TerraformCount, TerraformStack, Token } from 'cdktn';
import { Construct } from 'constructs';
import type { StackContext } from './context.js';

/** The API's limit of subnets per capacity provider. */
export const MAX_SUBNETS = 16;
/** The dedicated VPC's range: sixteen /20 subnets fit in it. */
export const DEDICATED_VPC_CIDR = '10.42.0.0/16';

export class Network extends Construct {
  readonly subnetIds: string[];
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, ctx: StackContext) {
    super(scope, id);
    const settings = ctx.env.capacityProvider;
    const name = ctx.names.capacityProviderSecurityGroup;
    const cap = settings.maxSubnets ?? MAX_SUBNETS;

    // Zones in the region the account can use without opting in, minus the ones the service does not support.
    // Excluded by zone ID (use1-az3): zone names map to different physical zones in each account, IDs do not
    // (EC2 User Guide, "AZ IDs"; website/docs/d/availability_zones.html.markdown, exclude_zone_ids).
    const zones = new DataAwsAvailabilityZones(this, 'zones', {
      state: 'available',
      excludeZoneIds: settings.excludeAvailabilityZones,
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    });

    let vpcId: string;
    if (settings.vpc === 'dedicated') {
      const vpc = new Vpc(this, 'vpc', { cidrBlock: DEDICATED_VPC_CIDR, enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: name } });
      vpcId = vpc.id;
      const count = TerraformCount.of(Token.asNumber(Fn.min([cap, Fn.lengthOf(zones.names)])));
      const subnet = new Subnet(this, 'subnet', {
        count,
        vpcId,
        availabilityZone: Fn.element(zones.names, count.index),
        cidrBlock: Fn.cidrsubnet(vpc.cidrBlock, 4, count.index),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-${Fn.element(zones.names, count.index)}` },
      });
      this.subnetIds = Token.asList(ref(`${subnet.terraformResourceType}.${subnet.friendlyUniqueId}[*].id`, TerraformStack.of(this)));
      const routes = new RouteTable(this, 'routes', { vpcId, tags: { Name: name } });
      const association = TerraformCount.of(Token.asNumber(Fn.min([cap, Fn.lengthOf(zones.names)])));
      new RouteTableAssociation(this, 'subnet-routes', {
        count: association,
        subnetId: Fn.element(this.subnetIds, association.index),
        routeTableId: routes.id,
      });
      for (const service of ['s3', 'dynamodb']) {
        new VpcEndpoint(this, `endpoint-${service}`, {
          vpcId,
          vpcEndpointType: 'Gateway',
          serviceName: `com.amazonaws.${ctx.arn.region}.${service}`,
          routeTableIds: [routes.id],
          tags: { Name: `${name}-${service}` },
        });
      }
    } else {
      const vpc = new DataAwsVpc(this, 'default-vpc', { default: true });
      vpcId = vpc.id;
      const subnets = new DataAwsSubnets(this, 'default-subnets', {
        filter: [
          { name: 'vpc-id', values: [vpc.id] },
          { name: 'default-for-az', values: ['true'] },
          { name: 'availability-zone', values: zones.names },
        ],
      });
      // Sorted, so the same subnets are chosen on every plan.
      this.subnetIds = Token.asList(Fn.slice(Fn.sort(subnets.ids), 0, Fn.min([cap, Fn.lengthOf(subnets.ids)])));
    }

    // No ingress rule: nothing connects to the instances; invocations reach them through Lambda.
    const group = new SecurityGroup(this, 'instances', {
      name,
      description: `Instances of capacity provider ${ctx.names.capacityProvider}: no inbound traffic`,
      vpcId,
      tags: { Name: name },
    });
    this.securityGroupId = group.id;
    new VpcSecurityGroupEgressRule(this, 'instances-egress', {
      securityGroupId: group.id,
      description: 'Function calls to AWS services and dependencies',
      ipProtocol: '-1',
      cidrIpv4: '0.0.0.0/0',
    });

    if (settings.vpc === 'dedicated') {
      const endpoints = new SecurityGroup(this, 'endpoints', {
        name: `${name}-endpoints`,
        description: `Interface endpoints of ${name}: HTTPS from the capacity provider instances only`,
        vpcId,
        tags: { Name: `${name}-endpoints` },
      });
      new VpcSecurityGroupIngressRule(this, 'endpoints-from-instances', {
        securityGroupId: endpoints.id,
        description: 'HTTPS from the capacity provider instances',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        referencedSecurityGroupId: group.id,
      });
      new VpcEndpoint(this, 'endpoint-logs', {
        vpcId,
        vpcEndpointType: 'Interface',
        serviceName: `com.amazonaws.${ctx.arn.region}.logs`,
        subnetIds: this.subnetIds,
        securityGroupIds: [endpoints.id],
        privateDnsEnabled: true,
        tags: { Name: `${name}-logs` },
      });
    }
  }
}
