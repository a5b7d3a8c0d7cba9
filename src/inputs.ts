/**
 * Input parsing shared by every action and the CLI.
 *
 * An action reads `INPUT_<NAME>` variables; the CLI reads `--name` options. Both go through an
 * {@link InputSource}, so one parser per action serves both and every error names the input the way the
 * user wrote it. Empty strings count as unset (GitHub passes '' for an input the step did not set).
 */
import { InputError } from './errors.js';

export interface InputSource {
  /** The trimmed value, or undefined when unset or empty. */
  get(name: string): string | undefined;
  /** The input as the user names it: `input "keep"` or `option --keep`. */
  label(name: string): string;
  /** How to set it: `set "keep" in the step's with: block` or `pass --keep`. */
  howToSet(name: string): string;
}

/** Inputs of a GitHub Action, read the way `@actions/core` does (`INPUT_` + upper case, spaces to `_`). */
export function actionInputSource(env: NodeJS.ProcessEnv = process.env): InputSource {
  return {
    get: (name) => emptyToUndefined(env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]),
    label: (name) => `input "${name}"`,
    howToSet: (name) => `set "${name}" in the step's with: block`,
  };
}

/** Options of a CLI command, as returned by `util.parseArgs`. */
export function cliInputSource(values: Record<string, string | boolean | string[] | undefined>): InputSource {
  return {
    get: (name) => {
      const value = values[name];
      if (value === undefined) return undefined;
      if (typeof value === 'boolean') return String(value);
      if (Array.isArray(value)) return emptyToUndefined(value.join('\n'));
      return emptyToUndefined(value);
    },
    label: (name) => `option --${name}`,
    howToSet: (name) => `pass --${name}`,
  };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function fail(source: InputSource, name: string, problem: string): never {
  throw new InputError(source.label(name), problem);
}

export function optionalString(source: InputSource, name: string): string | undefined {
  return source.get(name);
}

export function requiredString(source: InputSource, name: string, example?: string): string {
  const value = source.get(name);
  if (value === undefined) {
    const hint = example === undefined ? '' : ` (for example ${example})`;
    fail(source, name, `is required: ${source.howToSet(name)}${hint}`);
  }
  return value;
}

// The values @actions/core's getBooleanInput accepts (YAML 1.2 core schema).
const TRUE_VALUES = new Set(['true', 'True', 'TRUE']);
const FALSE_VALUES = new Set(['false', 'False', 'FALSE']);

export function booleanInput(source: InputSource, name: string, fallback: boolean): boolean {
  const value = source.get(name);
  if (value === undefined) return fallback;
  if (TRUE_VALUES.has(value)) return true;
  if (FALSE_VALUES.has(value)) return false;
  return fail(source, name, `must be true or false, got "${value}"`);
}

export interface IntegerBounds {
  min: number;
  max: number;
}

export function integerInput(
  source: InputSource,
  name: string,
  bounds: IntegerBounds,
  fallback: number,
): number;
export function integerInput(
  source: InputSource,
  name: string,
  bounds: IntegerBounds,
  fallback?: undefined,
): number | undefined;
export function integerInput(
  source: InputSource,
  name: string,
  bounds: IntegerBounds,
  fallback?: number,
): number | undefined {
  const value = source.get(name);
  if (value === undefined) return fallback;
  const range = `a whole number from ${bounds.min} to ${bounds.max}`;
  if (!/^-?\d+$/.test(value)) fail(source, name, `must be ${range}, got "${value}"`);
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < bounds.min || parsed > bounds.max) {
    fail(source, name, `must be ${range}, got ${value}`);
  }
  return parsed;
}

/** A duration in seconds: whole or decimal, within bounds. */
export function secondsInput(source: InputSource, name: string, bounds: IntegerBounds, fallback: number): number {
  const value = source.get(name);
  if (value === undefined) return fallback;
  const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(parsed) || parsed < bounds.min || parsed > bounds.max) {
    fail(source, name, `must be a number of seconds from ${bounds.min} to ${bounds.max}, got "${value}"`);
  }
  return parsed;
}

export function choiceInput<const T extends string>(
  source: InputSource,
  name: string,
  choices: readonly T[],
  fallback?: T,
): T {
  const value = source.get(name);
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    fail(source, name, `is required: ${source.howToSet(name)} to one of ${choices.join(', ')}`);
  }
  if (!(choices as readonly string[]).includes(value)) {
    fail(source, name, `must be one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** A list given one item per line or separated by commas; blank items are dropped. */
export function listInput(source: InputSource, name: string): string[] {
  const value = source.get(name);
  if (value === undefined) return [];
  return value
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A JSON document; the error says where the JSON is broken. */
export function jsonInput(source: InputSource, name: string): unknown {
  const value = source.get(name);
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(source, name, `must be valid JSON (${reason})`);
  }
}
