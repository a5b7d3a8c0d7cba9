/**
 * IAM policy documents as literal JSON, and roles built from them. Every action is named in full: a wildcard
 * action (`s3:*`, `lambda:Get*`, `*`) fails the synth, so no policy of the stack can grant more than it lists.
 */

import { IamRole } from '@cdktn/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy/index.js';
import { IamRolePolicyAttachment } from '@cdktn/provider-aws/lib/iam-role-policy-attachment/index.js';
import type { ITerraformDependable } from 'cdktn';
import { Construct } from 'constructs';

export type Condition = Record<string, Record<string, string | string[]>>;

export interface Statement {
  Sid?: string;
  Effect?: 'Allow' | 'Deny';
  Action: string[];
  Resource?: string[];
  Principal?: Record<string, string | string[]>;
  Condition?: Condition;
}

/** Actions whose IAM definition has no resource type: they can only be granted on `*`. */
export const RESOURCELESS_ACTIONS = new Set([
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeVpcs',
  'ec2:DescribeVpcAttribute',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeRouteTables',
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribePrefixLists',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeTags',
  'ec2:DescribeVpcEndpointServices',
  'lambda:ListEventSourceMappings',
  'cloudwatch:DescribeAlarms',
  'logs:DescribeLogGroups',
  'logs:DescribeMetricFilters',
]);

export function policyDocument(statements: Statement[]): string {
  for (const statement of statements) {
    for (const action of statement.Action) {
      if (action.includes('*') || action.includes('?') || !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) {
        throw new Error(`IAM action "${action}" is not one action named in full; the terraform app grants no wildcard actions`);
      }
    }
    const star = statement.Resource?.includes('*') ?? false;
    if (star && statement.Action.some((action) => !RESOURCELESS_ACTIONS.has(action))) {
      const scoped = statement.Action.filter((action) => !RESOURCELESS_ACTIONS.has(action));
      throw new Error(`IAM actions ${scoped.join(', ')} granted on "*"; name their resources (only actions without a resource type may use "*")`);
    }
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements.map((statement) => ({ Effect: 'Allow', ...statement })) });
}

/** Trust policy for an AWS service principal (`lambda.amazonaws.com`), optionally limited to this account. */
export function serviceTrust(service: string, account?: string): string {
  return policyDocument([
    {
      Action: ['sts:AssumeRole'],
      Principal: { Service: service },
      ...(account === undefined ? {} : { Condition: { StringEquals: { 'aws:SourceAccount': account } } }),
    },
  ]);
}

export interface RoleProps {
  name: string;
  description: string;
  assumeRolePolicy: string;
  /** Inline policy; omitted when there is nothing to grant. */
  statements?: Statement[];
  managedPolicyArns?: string[];
  maxSessionDuration?: number;
  /** What must exist before the role (the OIDC provider its trust policy names). */
  dependsOn?: ITerraformDependable[];
}

/** A role with one inline policy (named after the role) and optional managed policy attachments. */
export class Role extends Construct {
  readonly role: IamRole;
  /** The role and everything granting it permissions: what a resource using the role should depend on. */
  readonly grants: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.name,
      description: props.description,
      assumeRolePolicy: props.assumeRolePolicy,
      ...(props.maxSessionDuration === undefined ? {} : { maxSessionDuration: props.maxSessionDuration }),
      ...(props.dependsOn === undefined || props.dependsOn.length === 0 ? {} : { dependsOn: props.dependsOn }),
    });
    this.grants.push(this.role);
    if (props.statements !== undefined && props.statements.length > 0) {
      this.grants.push(new IamRolePolicy(this, 'policy', { name: props.name, role: this.role.id, policy: policyDocument(props.statements) }));
    }
    (props.managedPolicyArns ?? []).forEach((policyArn, index) => {
      this.grants.push(new IamRolePolicyAttachment(this, `managed-${index}`, { role: this.role.name, policyArn }));
    });
  }
}
