/**
 * IAM policy documents as literal JSON, and roles built from them. Every action is named in full: a wildcard
 * action (`s3:*`, `lambda:Get*`, `*`) fails the synth, so no policy of the stack can grant more than it lists.
 * Every action gantry itself names is in the allowlist of iam-actions.ts, each checked against the Service
 * Authorization Reference (a test holds every synthesized policy to it).
 *
 * Every role carries one of the stack's permissions boundaries (boundary.ts): what the apply build may grant a
 * role is capped by a boundary it cannot change.
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

/**
 * A policy document. `boundary`: a permissions boundary, which grants nothing by itself and only caps what the
 * roles carrying it are granted: it may name resources as `*` where the roles' own policies name them.
 */
export function policyDocument(statements: Statement[], options: { boundary?: boolean } = {}): string {
  for (const statement of statements) {
    for (const action of statement.Action) {
      if (action.includes('*') || action.includes('?') || !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) {
        throw new Error(`IAM action "${action}" is not one action named in full; the terraform app grants no wildcard actions`);
      }
    }
    const star = statement.Resource?.includes('*') ?? false;
    if (star && options.boundary !== true && statement.Action.some((action) => !RESOURCELESS_ACTIONS.has(action))) {
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
  /**
   * The permissions boundary the role carries; the role's statements are admitted into it, so the boundary
   * always allows what the role is granted. `managedStatements`: the statements of its AWS managed policies.
   */
  boundary: RoleBoundary;
  managedStatements?: Statement[];
}

/** What a role needs of its permissions boundary (boundary.ts). */
export interface RoleBoundary {
  /** The boundary policy's ARN, as a reference: the role waits for the policy. */
  readonly arnReference: string;
  admit(statements: Statement[]): void;
}

/**
 * IAM quotas ("IAM and AWS STS quotas", IAM User Guide), white space not counted: all inline policies of a role
 * together at most 10,240 characters, a customer managed policy at most 6,144.
 */
export const ROLE_INLINE_POLICY_LIMIT = 10_240;
export const MANAGED_POLICY_LIMIT = 6_144;

/** A policy's size as IAM counts it: the JSON without white space outside strings. */
export function policySize(document: string): number {
  return JSON.stringify(JSON.parse(document)).length;
}

/**
 * Statements with the same effect, principal, resources and condition become one, with the actions of all of
 * them (first statement's Sid): the same grants in fewer characters, which IAM's size quotas count.
 */
export function mergeStatements(statements: Statement[]): Statement[] {
  const merged = new Map<string, Statement>();
  for (const statement of statements) {
    const key = JSON.stringify([statement.Effect ?? 'Allow', statement.Principal ?? null, statement.Resource ?? null, statement.Condition ?? null]);
    const existing = merged.get(key);
    if (existing === undefined) merged.set(key, { ...statement, Action: [...new Set(statement.Action)] });
    else existing.Action = [...new Set([...existing.Action, ...statement.Action])];
  }
  return [...merged.values()];
}

/** A role with one inline policy (named after the role), optional managed policy attachments and a permissions boundary. */
export class Role extends Construct {
  readonly role: IamRole;
  /** The role and everything granting it permissions: what a resource using the role should depend on. */
  readonly grants: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id);
    props.boundary.admit([...(props.statements ?? []), ...(props.managedStatements ?? [])]);
    this.role = new IamRole(this, 'role', {
      name: props.name,
      description: props.description,
      assumeRolePolicy: props.assumeRolePolicy,
      permissionsBoundary: props.boundary.arnReference,
      ...(props.maxSessionDuration === undefined ? {} : { maxSessionDuration: props.maxSessionDuration }),
      ...(props.dependsOn === undefined || props.dependsOn.length === 0 ? {} : { dependsOn: props.dependsOn }),
    });
    this.grants.push(this.role);
    if (props.statements !== undefined && props.statements.length > 0) {
      const policy = policyDocument(mergeStatements(props.statements));
      if (policySize(policy) > ROLE_INLINE_POLICY_LIMIT) {
        throw new Error(`the inline policy of role ${props.name} has ${policySize(policy)} characters; IAM allows ${ROLE_INLINE_POLICY_LIMIT} per role`);
      }
      this.grants.push(new IamRolePolicy(this, 'policy', { name: props.name, role: this.role.id, policy }));
    }
    (props.managedPolicyArns ?? []).forEach((policyArn, index) => {
      this.grants.push(new IamRolePolicyAttachment(this, `managed-${index}`, { role: this.role.name, policyArn }));
    });
  }
}
