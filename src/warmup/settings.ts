/**
 * capacity-warmup's inputs → typed settings: the cross-input rules the definition
 * (src/definitions/capacity-warmup.ts) cannot express per input. Pure: every problem is an InputError naming
 * the input and the fix, raised before any AWS call.
 */
import type { EnvironmentTarget } from '../definition/common-inputs.js';
import type { InputValues, SettingsContext } from '../definition/define.js';
import { quote } from '../definition/input-types.js';
import type { capacityWarmupInputs } from '../definitions/capacity-warmup.js';

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

export function toWarmupSettings(values: InputValues<typeof capacityWarmupInputs>, context: SettingsContext): WarmupSettings {
  const functions = (values.functions ?? []).map((item) => parseFunctionRequest(item, (problem) => context.fail('functions', problem)));
  const capacityProvider = values['capacity-provider'];
  if (capacityProvider !== undefined && functions.length > 0) {
    context.fail(
      'capacity-provider',
      `cannot be combined with ${context.label('functions')}: warm either an explicit list or everything on a capacity provider`,
    );
  }
  const selection: TargetSelection =
    functions.length > 0
      ? { kind: 'functions', functions: dedupe(functions) }
      : capacityProvider !== undefined
        ? { kind: 'capacity-provider', capacityProvider }
        : { kind: 'environment' };
  const { payload, invocations, concurrency } = values;
  return {
    target: { configFile: values.config, environment: values.environment },
    selection,
    overrides: {
      ...(payload === undefined ? {} : { payload }),
      ...(invocations === undefined ? {} : { invocations }),
      ...(concurrency === undefined ? {} : { concurrency }),
    },
    timeoutSeconds: values['timeout-seconds'],
    checkProvider: values['check-provider'],
  };
}

function parseFunctionRequest(item: string, fail: (problem: string) => never): FunctionRequest {
  const [name, alias, ...rest] = item.split(':');
  if (name === undefined || !FUNCTION_NAME.test(name) || rest.length > 0) {
    fail(`${quote(item)} is not a function: give a short name from the config (router) or a Lambda function name, optionally with ":alias"`);
  }
  if (alias !== undefined && !ALIAS_NAME.test(alias))
    fail(`${quote(item)}: ${quote(alias)} is not an alias name (letters, digits, "-" or "_", not all digits)`);
  return alias === undefined ? { name } : { name, alias };
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
