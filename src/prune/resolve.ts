/**
 * version-prune's settings: the parsed inputs (src/prune/settings.ts) with the config file applied when an
 * environment is given. Kept apart from the input rules, which an action runs before it loads the config.
 */
import { pickEnvironment } from '../config/environment-input.js';
import type { EnvironmentConfig, GantryConfig } from '../config/load.js';
import { ConfigError, UserError } from '../errors.js';
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
  const protect = environment?.prune.protect ?? [];
  const protectSource = config === undefined || environment === undefined ? undefined : `${config.file}: environments.${environment.name}.prune.protect`;
  if (environment !== undefined && config !== undefined) checkProtectNames(protect, environment, config.file);
  return {
    ...(environment === undefined ? {} : { environment: environment.name }),
    region,
    scope,
    keep: inputs.keep ?? environment?.prune.keep ?? DEFAULT_KEEP,
    force: inputs.force,
    protect,
    ...(protectSource === undefined ? {} : { protectSource }),
    shortNames,
    dryRun: inputs.dryRun,
    rate: inputs.rate,
    timeBudgetSeconds: inputs.timeBudgetSeconds,
  };
}

/**
 * Every protect-list entry must name one of the environment's functions (by short or AWS name): a typo would
 * otherwise protect nothing. Checked before any call; whether the version exists is checked after the listing.
 */
function checkProtectNames(protect: readonly string[], environment: EnvironmentConfig, file: string): void {
  const names = new Set(environment.functions.flatMap((fn) => [fn.name, fn.functionName]));
  protect.forEach((entry, index) => {
    const name = entry.slice(0, Math.max(0, entry.lastIndexOf(':')));
    if (names.has(name)) return;
    const known = environment.functions.map((fn) => fn.name).join(', ');
    throw new ConfigError(
      { file, path: `environments.${environment.name}.prune.protect.${index}` },
      `"${entry}" names no function of ${environment.name}; write "<function>:<version>" with one of its functions (${known}) or its Lambda function name`,
    );
  });
}

function dedupe(functions: ScopedFunction[]): ScopedFunction[] {
  const seen = new Set<string>();
  return functions.filter((fn) => !seen.has(fn.functionName) && seen.add(fn.functionName));
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
