/**
 * Which functions a warmup covers and how each is warmed. Pure: the config, the settings and (for a capacity
 * provider) the versions Lambda listed on it in, the targets out.
 *
 * A function the config declares gets the config's alias, scaling and warmup block; any other function (named
 * in the `functions` input or found on the capacity provider) gets the config file's defaults for alias and
 * warmup, and keeps whatever scaling config it has: gantry only applies a scaling config someone wrote down.
 */
import { lambdaNameOf } from '../aws/lambda-arn.js';
import type { EnvironmentConfig, ResolvedFunction } from '../config/load.js';
import { FunctionSchema } from '../config/schema.js';
import type { FunctionRequest, TargetSelection, WarmupOverrides } from './settings.js';

export interface ScalingTarget {
  minExecutionEnvironments: number;
  maxExecutionEnvironments: number;
}

export interface WarmupTarget {
  /** The AWS function name. */
  functionName: string;
  /** The short name in the config, when the config declares the function. */
  configName?: string;
  alias: string;
  /** The scaling config to apply to every version the alias routes to; undefined leaves it as it is. */
  scaling?: ScalingTarget;
  /** The smoke-invoke event as JSON text. */
  payload: string;
  invocations: number;
  concurrency: number;
}

/** The config file's own defaults for a function it does not declare (alias `live`, 5 invocations, 5 at once). */
const DEFAULTS = { alias: FunctionSchema.shape.alias.parse(undefined), warmup: FunctionSchema.shape.warmup.parse(undefined) };

export function planTargets(
  selection: TargetSelection,
  environment: EnvironmentConfig,
  overrides: WarmupOverrides,
  /** For a capacity-provider selection: the function ARNs ListFunctionVersionsByCapacityProvider returned. */
  providerVersionArns: readonly string[] = [],
): WarmupTarget[] {
  switch (selection.kind) {
    case 'environment':
      return environment.functions.map((fn) => fromConfig(fn, undefined, overrides));
    case 'functions':
      return selection.functions.map((request) => fromRequest(request, environment, overrides));
    case 'capacity-provider': {
      const names = [...new Set(providerVersionArns.map(lambdaNameOf))];
      return names.map((name) => fromRequest({ name }, environment, overrides));
    }
  }
}

function fromRequest(request: FunctionRequest, environment: EnvironmentConfig, overrides: WarmupOverrides): WarmupTarget {
  const declared = environment.functions.find((fn) => fn.name === request.name || fn.functionName === request.name);
  if (declared !== undefined) return fromConfig(declared, request.alias, overrides);
  return {
    functionName: request.name,
    alias: request.alias ?? DEFAULTS.alias,
    payload: overrides.payload ?? JSON.stringify(DEFAULTS.warmup.payload),
    invocations: overrides.invocations ?? DEFAULTS.warmup.invocations,
    concurrency: overrides.concurrency ?? DEFAULTS.warmup.concurrency,
  };
}

function fromConfig(fn: ResolvedFunction, alias: string | undefined, overrides: WarmupOverrides): WarmupTarget {
  return {
    functionName: fn.functionName,
    configName: fn.name,
    alias: alias ?? fn.alias,
    scaling: { ...fn.scaling },
    payload: overrides.payload ?? JSON.stringify(fn.warmup.payload),
    invocations: overrides.invocations ?? fn.warmup.invocations,
    concurrency: overrides.concurrency ?? fn.warmup.concurrency,
  };
}
