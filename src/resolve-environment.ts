/**
 * resolve-environment: everything a workflow needs to know about an environment before touching AWS
 * (the OIDC role to assume, the region, the project and provider names), taken from the config file so no
 * workflow spells a name by hand.
 */
import { loadEnvironment } from './config/environment-input.js';
import type { EnvironmentConfig, GantryConfig } from './config/load.js';
import type { ActionContext, CliIo, InputValues } from './definition/define.js';
import type { resolveEnvironmentInputs } from './definitions/resolve-environment.js';

type Inputs = InputValues<typeof resolveEnvironmentInputs>;

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
    'ref-role-arn': names.refRoleArn,
    'plan-role-arn': config.pullRequestEnvironments.includes(environment.name) ? names.planRoleArn : '',
    'plan-project': names.planProject,
    'apply-project': names.applyProject,
    'capacity-provider': names.capacityProvider,
    'capacity-provider-arn': names.capacityProviderArn,
    'log-group': names.buildLogGroup,
    'plan-bucket': names.planBucket,
    'state-bucket': names.stateBucket,
    'state-key': names.stateKey,
    'working-directory': environment.terraform.workingDirectory,
    'var-file': environment.terraform.varFile ?? '',
    functions: JSON.stringify(names.functions.map(({ name, functionName, alias }) => ({ name, functionName, alias }))),
  };
}

export async function resolveEnvironmentAction(inputs: Inputs, context: ActionContext): Promise<void> {
  const { config, environment } = await loadEnvironment({ configFile: inputs.config, environment: inputs.environment }, context.inputs);
  const outputs = environmentOutputs(config, environment);
  for (const [name, value] of Object.entries(outputs)) context.setOutput(name, value);
  context.logger.info(
    `${environment.name}: account ${environment.account}, ${environment.region}, role ${outputs['role-arn']}` +
      (environment.previous === undefined ? ' (first environment)' : ` (after ${environment.previous})`),
  );
}

/** `gantry config show`: the same names as JSON, or as GANTRY_NAME=value lines a shell can source. */
export async function configShowCommand(inputs: Inputs, io: CliIo): Promise<void> {
  const { config, environment } = await loadEnvironment({ configFile: inputs.config, environment: inputs.environment }, io.inputs);
  const outputs = environmentOutputs(config, environment);
  if (inputs.format !== 'env') {
    io.stdout(JSON.stringify(outputs, null, 2));
    return;
  }
  for (const [name, value] of Object.entries(outputs)) io.stdout(`GANTRY_${name.toUpperCase().replace(/-/g, '_')}=${shellQuote(value)}`);
}

function shellQuote(value: string): string {
  return /^[\w./:@,+-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
