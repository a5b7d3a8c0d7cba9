/**
 * capacity-warmup inputs → typed settings. Pure: every problem is an InputError naming the input and the fix,
 * raised before any AWS call.
 */
import { InputError } from '../errors.js';
import { parseEnvironmentTarget, type EnvironmentTarget } from '../config/environment-input.js';
import { booleanInput, integerInput, jsonInput, listInput, optionalString, secondsInput, type InputSource } from '../inputs.js';

export const FUNCTIONS_INPUT = 'functions';
export const CAPACITY_PROVIDER_INPUT = 'capacity-provider';
export const PAYLOAD_INPUT = 'payload';
export const INVOCATIONS_INPUT = 'invocations';
export const CONCURRENCY_INPUT = 'concurrency';
export const TIMEOUT_INPUT = 'timeout-seconds';
export const CHECK_PROVIDER_INPUT = 'check-provider';

/** The same ranges as the config file's `warmup` block. */
export const INVOCATIONS_RANGE = { min: 1, max: 1000 };
export const CONCURRENCY_RANGE = { min: 1, max: 100 };
/** Versions on Managed Instances take minutes to get their execution environments; an hour is the ceiling. */
export const TIMEOUT_RANGE = { min: 1, max: 3600 };
export const DEFAULT_TIMEOUT_SECONDS = 600;

/** A function named in the `functions` input: a config short name or an AWS function name, maybe with `:alias`. */
export interface FunctionRequest {
  name: string;
  alias?: string;
}

/** Which functions to warm. */
export type TargetSelection =
  | { kind: 'environment' }
  | { kind: 'functions'; functions: FunctionRequest[] }
  | { kind: 'capacity-provider'; capacityProvider: string };

export interface WarmupOverrides {
  /** The smoke-invoke event, as JSON text. */
  payload?: string;
  invocations?: number;
  concurrency?: number;
}

export interface WarmupSettings {
  target: EnvironmentTarget;
  selection: TargetSelection;
  overrides: WarmupOverrides;
  /** Per function: how long its versions may take to be Active and its scaling config to be applied. */
  timeoutSeconds: number;
  checkProvider: boolean;
}

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ALIAS_NAME = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;
const PROVIDER = /^([A-Za-z0-9_-]{1,64}|arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:capacity-provider:[A-Za-z0-9_-]{1,64})$/;

export function parseWarmupInputs(source: InputSource): WarmupSettings {
  const target = parseEnvironmentTarget(source);
  const fail = (name: string, problem: string): never => {
    throw new InputError(source.label(name), problem);
  };

  const functions = listInput(source, FUNCTIONS_INPUT).map((item) => parseFunctionRequest(item, (problem) => fail(FUNCTIONS_INPUT, problem)));
  const capacityProvider = optionalString(source, CAPACITY_PROVIDER_INPUT);
  if (capacityProvider !== undefined && functions.length > 0) {
    fail(CAPACITY_PROVIDER_INPUT, `cannot be combined with ${source.label(FUNCTIONS_INPUT)}: warm either an explicit list or everything on a capacity provider`);
  }
  if (capacityProvider !== undefined && !PROVIDER.test(capacityProvider)) {
    fail(CAPACITY_PROVIDER_INPUT, `must be a capacity provider name or ARN, got "${capacityProvider}"`);
  }
  const selection: TargetSelection =
    functions.length > 0
      ? { kind: 'functions', functions: dedupe(functions) }
      : capacityProvider !== undefined
        ? { kind: 'capacity-provider', capacityProvider }
        : { kind: 'environment' };

  const payload = jsonInput(source, PAYLOAD_INPUT);
  const invocations = integerInput(source, INVOCATIONS_INPUT, INVOCATIONS_RANGE);
  const concurrency = integerInput(source, CONCURRENCY_INPUT, CONCURRENCY_RANGE);
  return {
    target,
    selection,
    overrides: {
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      ...(invocations === undefined ? {} : { invocations }),
      ...(concurrency === undefined ? {} : { concurrency }),
    },
    timeoutSeconds: secondsInput(source, TIMEOUT_INPUT, TIMEOUT_RANGE, DEFAULT_TIMEOUT_SECONDS),
    checkProvider: booleanInput(source, CHECK_PROVIDER_INPUT, false),
  };
}

function parseFunctionRequest(item: string, fail: (problem: string) => never): FunctionRequest {
  const [name, alias, ...rest] = item.split(':');
  if (name === undefined || !FUNCTION_NAME.test(name) || rest.length > 0) {
    fail(`"${item}" is not a function: give a short name from the config (router) or a Lambda function name, optionally with ":alias"`);
  }
  if (alias !== undefined && !ALIAS_NAME.test(alias)) fail(`"${item}": "${alias}" is not an alias name (letters, digits, "-" or "_", not all digits)`);
  return alias === undefined ? { name: name! } : { name: name!, alias };
}

function dedupe(functions: FunctionRequest[]): FunctionRequest[] {
  const seen = new Set<string>();
  return functions.filter((fn) => {
    const key = `${fn.name}:${fn.alias ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
