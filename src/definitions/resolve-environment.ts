/**
 * resolve-environment: everything a workflow needs to know about an environment before touching AWS (the OIDC
 * role to assume, the region, the project and provider names), from the config file, so no workflow spells a
 * name by hand. On the CLI: `gantry config show`.
 */
import { environmentTarget } from '../definition/common-inputs.js';
import { defineAction, type InputSpecs } from '../definition/define.js';
import { choice } from '../definition/input-types.js';

export const resolveEnvironmentInputs = {
  ...environmentTarget,
  format: {
    description: 'How to print the names; env gives GANTRY_NAME=value lines a shell can source.',
    type: choice(['json', 'env'] as const),
    default: 'json',
    only: 'cli',
  },
} as const satisfies InputSpecs;

export const resolveEnvironment = defineAction({
  name: 'resolve-environment',
  description:
    "Reads the gantry config file and outputs an environment's account, region, OIDC role and resource names, so workflows never spell them by hand.",
  branding: { icon: 'map', color: 'blue' },
  inputs: resolveEnvironmentInputs,
  outputs: {
    environment: { description: 'The environment name (also the GitHub Environment name).' },
    'previous-environment': { description: 'The environment a commit must reach first; empty for the first environment.' },
    'next-environment': { description: 'The environment after this one; empty for the last.' },
    'promotion-order': { description: 'JSON list of all environments in promotion order.' },
    account: { description: 'AWS account id.' },
    region: { description: 'AWS region.' },
    'role-arn': {
      description:
        "ARN of the deploy role, for the apply job only: AWS trusts it only for a job in the environment's GitHub Environment (aws-actions/configure-aws-credentials role-to-assume).",
    },
    'ref-role-arn': {
      description:
        "ARN of the role of jobs on the environment's apply.refs outside its GitHub Environment (deploy plan, prune): plan builds and pruning, never the apply project.",
    },
    'plan-role-arn': {
      description:
        'ARN of the plan-only role pull-request plans assume (it can start the plan project, nothing else); empty for an environment not in pullRequests.environments, which has none.',
    },
    'plan-project': { description: 'CodeBuild project that runs terraform plan.' },
    'apply-project': { description: 'CodeBuild project that runs terraform apply.' },
    'capacity-provider': { description: "Name of the environment's capacity provider." },
    'capacity-provider-arn': { description: "ARN of the environment's capacity provider." },
    'log-group': { description: 'CloudWatch log group of the CodeBuild projects.' },
    'plan-bucket': { description: 'S3 bucket holding saved plans.' },
    'state-bucket': { description: "S3 bucket of the environment's Terraform state (bootstrap creates it; no stack manages it)." },
    'state-key': { description: 'Key of the Terraform state object in the state bucket (its lock file is <key>.tflock).' },
    'working-directory': { description: 'Terraform working directory.' },
    'var-file': { description: 'Terraform variable file; empty when none.' },
    functions: { description: "JSON list of the environment's functions (name, functionName, alias)." },
  },
  async run(inputs, context) {
    const { resolveEnvironmentAction } = await import('../resolve-environment.js');
    await resolveEnvironmentAction(inputs, context);
  },
  cli: {
    name: 'config show',
    summary: "Print an environment's resolved names (what the resolve-environment action outputs).",
    async run(inputs, io) {
      const { configShowCommand } = await import('../resolve-environment.js');
      await configShowCommand(inputs, io);
    },
  },
});
