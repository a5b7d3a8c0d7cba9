/**
 * Loads the config and picks the environment an action or command targets (the inputs themselves are
 * defined in src/definition/common-inputs.ts).
 */
import type { EnvironmentTarget } from '../definition/common-inputs.js';
import { InputError } from '../errors.js';
import type { InputSource } from '../inputs.js';
import { type EnvironmentConfig, type GantryConfig, loadWorkspaceConfig } from './load.js';

export type { EnvironmentTarget } from '../definition/common-inputs.js';

type Labels = Pick<InputSource, 'label'>;

/**
 * Loads the config (a file of the workspace: {@link loadWorkspaceConfig}) and picks the environment; an unknown
 * environment is an error naming the input.
 */
export async function loadEnvironment(
  target: EnvironmentTarget,
  source: Labels,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ config: GantryConfig; environment: EnvironmentConfig }> {
  const config = await loadWorkspaceConfig(target.configFile, env);
  return { config, environment: pickEnvironment(config, target.environment, source) };
}

export function pickEnvironment(config: GantryConfig, name: string, source: Labels): EnvironmentConfig {
  const environment = config.environments.get(name);
  if (environment === undefined) {
    throw new InputError(source.label('environment'), `"${name}" is not an environment in ${config.file}; expected one of ${config.order.join(', ')}`);
  }
  return environment;
}
