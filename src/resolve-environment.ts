/**
 * resolve-environment: everything a workflow needs to know about an environment before touching AWS
 * (the OIDC role to assume, the region, the project and provider names), taken from the config file so no
 * workflow spells a name by hand.
 */
import { loadEnvironment, parseEnvironmentTarget, type EnvironmentTarget } from './config/environment-input.js';
import type { EnvironmentConfig, GantryConfig } from './config/load.js';
import type { InputSource } from './inputs.js';
import type { ActionContext } from './run-action.js';

/** Output name → value; also what `gantry config show` prints. */
export function environmentOutputs(config: GantryConfig, environment: EnvironmentConfig): Record<string, string> {
  const { names } = environment;
  const index = config.order.indexOf(environment.name);
  return {
    environment: environment.name,
    'previous-environment': environment.previous ?? '',
    'next-environment': config.order[index + 1] ?? '',
    'promotion-order': JSON.stringify(config.order),
    account: environment.account,
    region: environment.region,
    'role-arn': names.deployRoleArn,
    'plan-role-arn': names.planRoleArn,
    'plan-project': names.planProject,
    'apply-project': names.applyProject,
    'capacity-provider': names.capacityProvider,
    'capacity-provider-arn': names.capacityProviderArn,
    'log-group': names.buildLogGroup,
    'plan-bucket': names.planBucket,
    'working-directory': environment.terraform.workingDirectory,
    'var-file': environment.terraform.varFile ?? '',
    functions: JSON.stringify(names.functions.map(({ name, functionName, alias }) => ({ name, functionName, alias }))),
  };
}

export function parseResolveEnvironmentInputs(source: InputSource): EnvironmentTarget {
  return parseEnvironmentTarget(source);
}

export async function resolveEnvironmentAction(context: ActionContext): Promise<void> {
  const target = parseResolveEnvironmentInputs(context.inputs);
  const { config, environment } = await loadEnvironment(target, context.inputs);
  const outputs = environmentOutputs(config, environment);
  for (const [name, value] of Object.entries(outputs)) context.setOutput(name, value);
  context.logger.info(
    `${environment.name}: account ${environment.account}, ${environment.region}, role ${outputs['role-arn']}` +
      (environment.previous === undefined ? ' (first environment)' : ` (after ${environment.previous})`),
  );
}
