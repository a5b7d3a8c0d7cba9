/**
 * version-prune's settings: the parsed inputs (src/prune/settings.ts) with the config file applied when an
 * environment is given. Kept apart from the input rules, which an action runs before it loads the config.
 */
import { pickEnvironment } from '../config/environment-input.js';
import type { EnvironmentConfig, GantryConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import type { InputSource } from '../inputs.js';
import { DEFAULT_KEEP, type PruneInputs, type PruneScope, type PruneSettings, type ScopedFunction } from './settings.js';

/** Applies the config (when an environment is given) to the inputs. */
export function resolvePruneSettings(
  inputs: PruneInputs,
  source: Pick<InputSource, 'label'>,
  config: GantryConfig | undefined,
  env: NodeJS.ProcessEnv,
): PruneSettings {
  let environment: EnvironmentConfig | undefined;
  if (inputs.environment !== undefined) {
    if (config === undefined) throw new Error('resolvePruneSettings: an environment needs the config');
    environment = pickEnvironment(config, inputs.environment, source);
  }
  const shortNames: Record<string, string> = Object.fromEntries(environment?.functions.map((fn) => [fn.functionName, fn.name]) ?? []);
  const byShortName = new Map(environment?.functions.map((fn) => [fn.name, fn.functionName]) ?? []);
  const scoped = (functionName: string): ScopedFunction => {
    const resolved = byShortName.get(functionName) ?? functionName;
    const shortName = shortNames[resolved];
    return shortName === undefined ? { functionName: resolved } : { functionName: resolved, shortName };
  };

  let scope: PruneScope;
  if (inputs.functions.length > 0) scope = { kind: 'functions', functions: dedupe(inputs.functions.map(scoped)) };
  else if (inputs.capacityProvider !== undefined) scope = { kind: 'capacity-provider', capacityProvider: inputs.capacityProvider };
  else if (environment !== undefined) scope = { kind: 'environment', functions: environment.functions.map((fn) => scoped(fn.functionName)) };
  else throw new Error('resolvePruneSettings: no scope (the input rules require environment, functions or capacity-provider)');

  const region = environment?.region ?? emptyToUndefined(env.AWS_REGION) ?? emptyToUndefined(env.AWS_DEFAULT_REGION);
  if (region === undefined) {
    throw new UserError(`no AWS region: give ${source.label('environment')} (its region comes from the config file) or set AWS_REGION`);
  }
  return {
    ...(environment === undefined ? {} : { environment: environment.name }),
    region,
    scope,
    keep: inputs.keep ?? environment?.prune.keep ?? DEFAULT_KEEP,
    force: inputs.force,
    protect: environment?.prune.protect ?? [],
    shortNames,
    standardScaling: Object.fromEntries(
      environment?.functions.map((fn) => [
        fn.functionName,
        { MinExecutionEnvironments: fn.scaling.minExecutionEnvironments, MaxExecutionEnvironments: fn.scaling.maxExecutionEnvironments },
      ]) ?? [],
    ),
    dryRun: inputs.dryRun,
    rate: inputs.rate,
  };
}

function dedupe(functions: ScopedFunction[]): ScopedFunction[] {
  const seen = new Set<string>();
  return functions.filter((fn) => !seen.has(fn.functionName) && seen.add(fn.functionName));
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
