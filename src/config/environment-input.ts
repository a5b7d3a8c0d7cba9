/**
 * The two inputs every action and CLI command shares: the config file and the target environment.
 */
import { InputError } from '../errors.js';
import { optionalString, requiredString, type InputSource } from '../inputs.js';
import { DEFAULT_CONFIG_FILE, loadConfig, type EnvironmentConfig, type GantryConfig } from './load.js';

export interface EnvironmentTarget {
  configFile: string;
  environment: string;
}

export const CONFIG_INPUT = 'config';
export const ENVIRONMENT_INPUT = 'environment';

export function parseEnvironmentTarget(source: InputSource): EnvironmentTarget {
  return {
    configFile: optionalString(source, CONFIG_INPUT) ?? DEFAULT_CONFIG_FILE,
    environment: requiredString(source, ENVIRONMENT_INPUT, 'dev'),
  };
}

/** Loads the config and picks the environment; an unknown environment is an error naming the input. */
export async function loadEnvironment(
  target: EnvironmentTarget,
  source: InputSource,
): Promise<{ config: GantryConfig; environment: EnvironmentConfig }> {
  const config = await loadConfig(target.configFile);
  return { config, environment: pickEnvironment(config, target.environment, source) };
}

export function pickEnvironment(config: GantryConfig, name: string, source: InputSource): EnvironmentConfig {
  const environment = config.environments.get(name);
  if (environment === undefined) {
    throw new InputError(
      source.label(ENVIRONMENT_INPUT),
      `"${name}" is not an environment in ${config.file}; expected one of ${config.order.join(', ')}`,
    );
  }
  return environment;
}
