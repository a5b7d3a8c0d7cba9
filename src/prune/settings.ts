/**
 * version-prune inputs → typed settings. Pure: every problem is an InputError naming the input, raised
 * before any AWS call.
 *
 * Scope, in order of precedence: `functions` (an explicit list), else `capacity-provider` (every function
 * version on it, in one paginated listing), else the environment's functions from the config file. One of
 * `environment`, `functions` or `capacity-provider` is required; with `environment` the config file also
 * gives the region, `keep` and the protect list (the inputs may override `keep`). Without it the region
 * comes from AWS_REGION and `keep` defaults to 5.
 */
import { LAMBDA_CONTROL_PLANE_RATE } from '../aws/rate-limiter.js';
import { InputError, UserError } from '../errors.js';
import { CONFIG_INPUT, ENVIRONMENT_INPUT, pickEnvironment } from '../config/environment-input.js';
import { DEFAULT_CONFIG_FILE, type EnvironmentConfig, type GantryConfig } from '../config/load.js';
import { booleanInput, integerInput, listInput, optionalString, type InputSource } from '../inputs.js';

export const PRUNE_INPUTS = {
  environment: ENVIRONMENT_INPUT,
  config: CONFIG_INPUT,
  dryRun: 'dry-run',
  keep: 'keep',
  force: 'force',
  functions: 'functions',
  capacityProvider: 'capacity-provider',
  rate: 'rate',
} as const;

/** Lambda's control-plane quota: requests per second per account and region. */
export const DEFAULT_RATE = LAMBDA_CONTROL_PLANE_RATE;
export const MAX_RATE = 10_000;
/** The schema's default for `prune.keep`, used when no environment is given. */
export const DEFAULT_KEEP = 5;
export const MAX_KEEP = 99;

export interface PruneInputs {
  configFile: string;
  environment?: string;
  /** AWS function names (or short names, resolved against the environment when one is given). */
  functions: string[];
  capacityProvider?: string;
  keep?: number;
  force: boolean;
  dryRun: boolean;
  rate: number;
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})$/;
const PROVIDER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PROVIDER_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:capacity-provider:([A-Za-z0-9_-]{1,64})$/;

export function parsePruneInputs(source: InputSource): PruneInputs {
  const fail = (name: string, problem: string): never => {
    throw new InputError(source.label(name), problem);
  };
  const environment = optionalString(source, PRUNE_INPUTS.environment);
  const functions = listInput(source, PRUNE_INPUTS.functions).map((item) => {
    const arn = FUNCTION_ARN.exec(item);
    if (arn !== null) return arn[1]!;
    if (!FUNCTION_NAME.test(item)) fail(PRUNE_INPUTS.functions, `must list function names or unqualified function ARNs, got "${item}"`);
    return item;
  });
  let capacityProvider = optionalString(source, PRUNE_INPUTS.capacityProvider);
  if (capacityProvider !== undefined) {
    const arn = PROVIDER_ARN.exec(capacityProvider);
    if (arn !== null) capacityProvider = arn[1]!;
    else if (!PROVIDER_NAME.test(capacityProvider)) fail(PRUNE_INPUTS.capacityProvider, `must be a capacity provider name or ARN, got "${capacityProvider}"`);
  }
  if (environment === undefined && functions.length === 0 && capacityProvider === undefined) {
    fail(PRUNE_INPUTS.environment, `is required: ${source.howToSet(PRUNE_INPUTS.environment)} (for example dev), or give ${source.label(PRUNE_INPUTS.functions)} or ${source.label(PRUNE_INPUTS.capacityProvider)}`);
  }
  if (functions.length > 0 && capacityProvider !== undefined) {
    fail(PRUNE_INPUTS.capacityProvider, `cannot be combined with ${source.label(PRUNE_INPUTS.functions)}: give one scope`);
  }

  const force = booleanInput(source, PRUNE_INPUTS.force, false);
  const keep = integerInput(source, PRUNE_INPUTS.keep, { min: 0, max: MAX_KEEP });
  if (keep === 0 && !force) {
    fail(PRUNE_INPUTS.keep, `must be at least 1; to delete every unprotected version, keep 0 together with ${source.label(PRUNE_INPUTS.force)} set to true`);
  }
  return {
    configFile: optionalString(source, PRUNE_INPUTS.config) ?? DEFAULT_CONFIG_FILE,
    ...(environment === undefined ? {} : { environment }),
    functions: [...new Set(functions)],
    ...(capacityProvider === undefined ? {} : { capacityProvider }),
    ...(keep === undefined ? {} : { keep }),
    force,
    dryRun: booleanInput(source, PRUNE_INPUTS.dryRun, true),
    rate: rateInput(source),
  };
}

function rateInput(source: InputSource): number {
  const value = source.get(PRUNE_INPUTS.rate);
  if (value === undefined) return DEFAULT_RATE;
  const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed > 0 && parsed <= MAX_RATE)) {
    throw new InputError(source.label(PRUNE_INPUTS.rate), `must be requests per second, a number above 0 and at most ${MAX_RATE}, got "${value}"`);
  }
  return parsed;
}

export interface ScopedFunction {
  functionName: string;
  shortName?: string;
}

export type PruneScope =
  | { kind: 'environment'; functions: ScopedFunction[] }
  | { kind: 'functions'; functions: ScopedFunction[] }
  | { kind: 'capacity-provider'; capacityProvider: string };

/** Min/max execution environments, as PutFunctionScalingConfig takes them. */
export interface ScalingValues {
  MinExecutionEnvironments: number;
  MaxExecutionEnvironments: number;
}

export interface PruneSettings {
  environment?: string;
  region: string;
  scope: PruneScope;
  keep: number;
  force: boolean;
  /** `<function>:<version>` entries (short or AWS function names). */
  protect: string[];
  /** AWS function name → short name from the config, for reports and the protect list. */
  shortNames: Record<string, string>;
  /**
   * AWS function name → the scaling the config gives it, which warmup applies to every new version. A
   * version whose scaling config is exactly this is not protected by it; any other one is its own.
   */
  standardScaling: Record<string, ScalingValues>;
  dryRun: boolean;
  rate: number;
}

/** Applies the config (when an environment is given) to the inputs. */
export function resolvePruneSettings(inputs: PruneInputs, source: InputSource, config: GantryConfig | undefined, env: NodeJS.ProcessEnv): PruneSettings {
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
  else scope = { kind: 'environment', functions: environment!.functions.map((fn) => scoped(fn.functionName)) };

  const region = environment?.region ?? emptyToUndefined(env['AWS_REGION']) ?? emptyToUndefined(env['AWS_DEFAULT_REGION']);
  if (region === undefined) {
    throw new UserError(`no AWS region: give ${source.label(PRUNE_INPUTS.environment)} (its region comes from the config file) or set AWS_REGION`);
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
      environment?.functions.map((fn) => [fn.functionName, { MinExecutionEnvironments: fn.scaling.minExecutionEnvironments, MaxExecutionEnvironments: fn.scaling.maxExecutionEnvironments }]) ?? [],
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
