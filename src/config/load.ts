/**
 * Reads and validates the deployment config file, through the shared YAML reader ({@link parseYamlFile}).
 *
 * Every problem becomes one {@link ConfigError} line: `file:line:col: path.in.file: what is expected`.
 */

/** Where the actions and the CLI look for the config unless told otherwise. */
import { DEFAULT_CONFIG_FILE } from '../definition/common-inputs.js';
import { ConfigError } from '../errors.js';
import { isInside, type PackageBuild, packageBuild, sameBuild } from '../package/settings.js';
import { readUserFile, type UserFileOptions, workspaceRoot } from '../read-user-file.js';
import { type Locate, parseYamlFile } from '../yaml-file.js';
import { deriveEnvironmentNames, type EnvironmentNames } from './naming.js';
import { promotionOrder } from './promotion-order.js';
import { type Rollout, resolveRollout, rolloutProblem } from './rollout.js';
import { ConfigSchema, type FunctionSettings, type RawConfig, type RawEnvironment } from './schema.js';

export { DEFAULT_CONFIG_FILE };

export type ResolvedFunction = Omit<FunctionSettings, 'rollout'> & {
  functionName: string;
  functionArn: string;
  aliasArn: string;
  /** The environment's rollout with the function's own keys over it (rollout.ts). */
  rollout: Rollout;
};

export interface EnvironmentConfig extends Omit<RawEnvironment, 'names' | 'after' | 'functions' | 'rollout'> {
  name: string;
  /** The environment's rollout, defaults resolved (rollout.ts); each function's own is on the function. */
  rollout: Rollout;
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
  /** Environments pull requests may plan, in promotion order (default: all but the last). */
  pullRequestEnvironments: string[];
  environments: ReadonlyMap<string, EnvironmentConfig>;
}

/** The largest config file gantry reads: far above any real one (a few KiB), small enough that a hostile one costs little. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const CONFIG_FILE: UserFileOptions = {
  ifMissing: 'create it, or give its path as the config input (--config on the CLI)',
  maxBytes: MAX_CONFIG_BYTES,
  kind: 'a config file',
};

/**
 * The config an action input or a CLI option names: a file of the workspace (GITHUB_WORKSPACE in a workflow,
 * else the current directory), also once symbolic links are followed, of at most {@link MAX_CONFIG_BYTES}.
 * Every action and CLI command reads its config this way.
 */
export async function loadWorkspaceConfig(file: string = DEFAULT_CONFIG_FILE, env: NodeJS.ProcessEnv = process.env): Promise<GantryConfig> {
  return parseConfig(await readUserFile(file, { ...CONFIG_FILE, workspace: workspaceRoot(env) }), file);
}

/**
 * The config a repository tool points at (the terraform app, the workflow lint, the demo, the sandbox), wherever
 * it is; the same size cap. Not for a path from an action input or a CLI option: that is {@link loadWorkspaceConfig}.
 */
export async function loadConfig(file: string = DEFAULT_CONFIG_FILE): Promise<GantryConfig> {
  return parseConfig(await readUserFile(file, CONFIG_FILE), file);
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
  for (const name of Object.keys(raw.github.environments)) {
    if (!order.includes(name)) fail(['github', 'environments', name], `unknown environment "${name}"; expected one of ${order.join(', ')}`, true);
  }
  const prNames = raw.pullRequests.environments ?? order.slice(0, -1);
  prNames.forEach((name, index) => {
    if (!order.includes(name)) fail(['pullRequests', 'environments', index], `unknown environment "${name}"; expected one of ${order.join(', ')}`);
  });
  const pullRequestEnvironments = order.filter((name) => prNames.includes(name));

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
    checkPackages(env, name, fail);
    const names = deriveEnvironmentNames(raw.project, name, env);
    const base = ['environments', name];
    claim(env, 'capacity provider', names.capacityProvider, [...base, 'names', 'capacityProvider']);
    claim(env, 'CodeBuild project', names.planProject, [...base, 'names', 'planProject']);
    claim(env, 'CodeBuild project', names.applyProject, [...base, 'names', 'applyProject']);
    claim(env, 'IAM role', names.deployRole, [...base, 'names', 'deployRole']);
    for (const [index, fn] of names.functions.entries()) claim(env, 'function', fn.functionName, [...base, 'functions', index, 'name']);

    const first = name === order[0];
    const rollout = resolveRollout(env.rollout, undefined, first);
    const rolloutIssue = rolloutProblem(rollout);
    if (rolloutIssue !== undefined) fail([...base, 'rollout'], rolloutIssue);

    const { after, names: _overrides, functions, rollout: _rollout, ...settings } = env;
    environments.set(name, {
      ...settings,
      name,
      previous: after,
      names,
      rollout,
      functions: functions.map(({ rollout: own, ...fn }, index) => {
        const derived = names.functions[index];
        if (derived === undefined) throw new Error(`no derived names for function "${fn.name}" of environment "${name}"`);
        const fnRollout = resolveRollout(env.rollout, own, first);
        const problem = own === undefined ? undefined : rolloutProblem(fnRollout);
        if (problem !== undefined) fail([...base, 'functions', index, 'rollout'], problem);
        return { ...fn, functionName: derived.functionName, functionArn: derived.functionArn, aliasArn: derived.aliasArn, rollout: fnRollout };
      }),
    });
  }
  return { file, project: raw.project, github: raw.github, order, pullRequestEnvironments, environments };
}

/**
 * Each package is built once per environment: functions may share one only if they build it the same way, and
 * a package never lies inside the directory it is zipped from (a second build would zip the first one).
 */
function checkPackages(env: RawEnvironment, name: string, fail: (path: PropertyKey[], problem: string) => never): void {
  const builds = new Map<string, { function: string; build: PackageBuild }>();
  env.functions.forEach((fn, index) => {
    const build = packageBuild(fn);
    const path = ['environments', name, 'functions', index, fn.package !== undefined ? 'package' : fn.build !== undefined ? 'build' : 'name'];
    if (isInside(build.output, build.directory))
      fail(path, `package ${build.output} is inside ${build.directory}, the directory it is zipped from; put the zip elsewhere`);
    const other = builds.get(build.output);
    if (other !== undefined && !sameBuild(other.build, build))
      fail(path, `package ${build.output} is also function "${other.function}"'s, built from other settings; give each function its own package`);
    builds.set(build.output, { function: fn.name, build });
  });
}
