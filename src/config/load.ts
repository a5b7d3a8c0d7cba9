/**
 * Reads and validates the deployment config file, through the shared YAML reader ({@link parseYamlFile}).
 *
 * Every problem becomes one {@link ConfigError} line: `file:line:col: path.in.file: what is expected`.
 */

/** Where the actions and the CLI look for the config unless told otherwise. */
import { DEFAULT_CONFIG_FILE } from '../definition/common-inputs.js';
import { ConfigError } from '../errors.js';
import { readUserFile } from '../read-user-file.js';
import { type Locate, parseYamlFile } from '../yaml-file.js';
import { deriveEnvironmentNames, type EnvironmentNames } from './naming.js';
import { promotionOrder } from './promotion-order.js';
import { ConfigSchema, type FunctionSettings, type RawConfig, type RawEnvironment } from './schema.js';

export { DEFAULT_CONFIG_FILE };

export type ResolvedFunction = FunctionSettings & { functionName: string; functionArn: string; aliasArn: string };

export interface EnvironmentConfig extends Omit<RawEnvironment, 'names' | 'after' | 'functions'> {
  name: string;
  /** The environment a commit must reach first; undefined for the first environment. */
  previous: string | undefined;
  names: EnvironmentNames;
  functions: ResolvedFunction[];
}

export interface GantryConfig {
  file: string;
  project: string;
  github: RawConfig['github'];
  /** Environment names in promotion order. */
  order: string[];
  environments: ReadonlyMap<string, EnvironmentConfig>;
}

export async function loadConfig(file: string = DEFAULT_CONFIG_FILE): Promise<GantryConfig> {
  return parseConfig(await readUserFile(file, { ifMissing: 'create it or point the config input at it' }), file);
}

/** Pure: config text in, validated and resolved config out (or a ConfigError). */
export function parseConfig(text: string, file: string): GantryConfig {
  const { data, locate } = parseYamlFile(text, file, ConfigSchema, {
    duplicateKey: (key) => `duplicate key ${JSON.stringify(key)}; each key (and each environment) may appear once`,
  });
  return resolveConfig(data, file, locate);
}

function resolveConfig(raw: RawConfig, file: string, locate: Locate): GantryConfig {
  const fail = (path: PropertyKey[], problem: string, keyItself = false): never => {
    throw new ConfigError(locate(path, keyItself), problem);
  };

  const result = promotionOrder(new Map(Object.entries(raw.environments).map(([name, env]) => [name, env.after])));
  if ('problem' in result) fail(result.path, result.problem);
  const { order } = result as { order: string[] };

  const environments = new Map<string, EnvironmentConfig>();
  // Names must be unique within an account and region: two environments sharing a project or provider
  // would deploy over each other.
  const claimed = new Map<string, string>();
  const claim = (env: RawEnvironment, kind: string, name: string, path: PropertyKey[]) => {
    const key = `${env.account}/${env.region}/${kind}/${name}`;
    const owner = claimed.get(key);
    if (owner !== undefined)
      fail(path, `${kind} name "${name}" is already used by ${owner} in account ${env.account} ${env.region}; names must be unique per account and region`);
    claimed.set(key, path.join('.'));
  };

  for (const name of order) {
    const env = raw.environments[name];
    if (env === undefined) throw new Error(`promotion order names environment "${name}", which the config does not define`);
    const seen = new Set<string>();
    env.functions.forEach((fn, index) => {
      if (seen.has(fn.name))
        fail(['environments', name, 'functions', index, 'name'], `duplicate function "${fn.name}"; each function appears once per environment`);
      seen.add(fn.name);
    });
    const names = deriveEnvironmentNames(raw.project, name, env);
    const base = ['environments', name];
    claim(env, 'capacity provider', names.capacityProvider, [...base, 'names', 'capacityProvider']);
    claim(env, 'CodeBuild project', names.planProject, [...base, 'names', 'planProject']);
    claim(env, 'CodeBuild project', names.applyProject, [...base, 'names', 'applyProject']);
    claim(env, 'IAM role', names.deployRole, [...base, 'names', 'deployRole']);
    for (const [index, fn] of names.functions.entries()) claim(env, 'function', fn.functionName, [...base, 'functions', index, 'name']);

    const { after, names: _overrides, functions, ...settings } = env;
    environments.set(name, {
      ...settings,
      name,
      previous: after,
      names,
      functions: functions.map((fn, index) => {
        const derived = names.functions[index];
        if (derived === undefined) throw new Error(`no derived names for function "${fn.name}" of environment "${name}"`);
        return { ...fn, functionName: derived.functionName, functionArn: derived.functionArn, aliasArn: derived.aliasArn };
      }),
    });
  }
  return { file, project: raw.project, github: raw.github, order, environments };
}
