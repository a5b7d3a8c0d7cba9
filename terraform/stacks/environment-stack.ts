/**
 * One environment's stack: everything gantry runs on in that account and region, with its state in S3
 * (native lock file, no DynamoDB table) under the names of the naming module.
 */

import { AwsProvider } from '@cdktn/provider-aws/lib/provider/index.js';
import { S3Backend, TerraformOutput } from 'cdktn';
import type { Construct } from 'constructs';
import { TERRAFORM_PIN } from '../../src/terraform/pin.js';
import { Boundaries } from '../constructs/boundary.js';
import { Builds } from '../constructs/builds.js';
import { CapacityProvider } from '../constructs/capacity-provider.js';
import type { StackContext } from '../constructs/context.js';
import { Functions } from '../constructs/functions.js';
import { GithubOidc } from '../constructs/github-oidc.js';
import { Network } from '../constructs/network.js';
import { Observability } from '../constructs/observability.js';
import { Schedules } from '../constructs/schedules.js';
import { EscapingStack } from '../escape.js';

/** Cost allocation tags on every resource (the provider's default_tags); the config's `tags` add to them. */
export function costTags(ctx: StackContext): Record<string, string> {
  return { project: ctx.config.project, environment: ctx.env.name, 'managed-by': 'gantry', ...ctx.env.tags };
}

/** The Terraform versions the stack accepts: the buildspecs' pin and newer 1.x. */
export const REQUIRED_TERRAFORM = `>= ${TERRAFORM_PIN.version}, < 2.0.0`;

/** Its literal strings are escaped for Terraform's template syntax in one place, {@link EscapingStack}. */
export class EnvironmentStack extends EscapingStack {
  constructor(scope: Construct, ctx: StackContext) {
    super(scope, ctx.env.name);
    const { env, names } = ctx;

    new AwsProvider(this, 'aws', {
      region: env.region,
      // A plan with credentials of another account fails before it reads anything.
      allowedAccountIds: [env.account],
      defaultTags: [{ tags: costTags(ctx) }],
    });
    // The state bucket is bootstrap (terraform/README.md): a stack never manages the bucket holding its own state.
    new S3Backend(this, { bucket: names.stateBucket, key: names.stateKey, region: env.region, encrypt: true, useLockfile: true });
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM);

    // Every role of the stack carries one of these permissions boundaries (constructs/boundary.ts).
    const boundaries = new Boundaries(this, 'boundaries', ctx);
    const network = new Network(this, 'network', ctx);
    const capacity = new CapacityProvider(this, 'capacity-provider', ctx, network, boundaries);
    const functions = new Functions(this, 'functions', ctx, capacity, boundaries);
    const builds = new Builds(this, 'builds', ctx, boundaries);
    new GithubOidc(this, 'github', ctx, boundaries);
    new Schedules(this, 'schedules', ctx, functions, builds, boundaries);
    new Observability(this, 'observability', ctx, builds, functions);

    new TerraformOutput(this, 'capacity_provider_arn', { value: capacity.provider.arn });
    new TerraformOutput(this, 'deploy_role_arn', { value: names.deployRoleArn });
    new TerraformOutput(this, 'function_aliases', { value: Object.fromEntries(functions.deployed.map(({ names: fn, alias }) => [fn.name, alias.arn])) });
  }
}
