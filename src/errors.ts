/**
 * Error classes shared by every action and the CLI.
 *
 * Two families, because they are reported differently:
 * - {@link UserError}: the user can fix it (bad input, bad config, bad CLI usage). The message is the whole
 *   story, one line that names what to change; no stack trace is shown.
 * - {@link OperationError}: something failed while doing the work (an AWS call, a build). It carries the
 *   underlying error as `cause`, and its stack is logged at debug level.
 */

export interface GantryErrorOptions {
  cause?: unknown;
}

/** Where an error records the kinds it is (its class and each gantry class above it). */
const KINDS = Symbol.for('gantry.error.kinds');

/**
 * `instanceof` asks an error's kinds, not its prototype chain: an action's entry and the work it imports are
 * bundled apart (scripts/bundle.ts), each with its own copy of these classes, and the entry must still know a
 * user's mistake thrown by the work from a failure. Each class states its kind once, in `kind`, which is also
 * its `name` (the bundles are minified: a class's own name is not kept). Only an own, frozen record counts.
 */
export abstract class GantryError extends Error {
  static readonly kind: string = 'GantryError';

  // `this` is the class `instanceof` asks about: a subclass, not necessarily GantryError.
  // biome-ignore-start lint/complexity/noThisInStatic: see above
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass that states no kind of its own (one module's private error) is an ordinary class.
    if (!Object.hasOwn(this, 'kind')) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, KINDS)) return false;
    const kinds = (value as { [KINDS]?: unknown })[KINDS];
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }
  // biome-ignore-end lint/complexity/noThisInStatic: see above

  constructor(message: string, options?: GantryErrorOptions) {
    super(message, options);
    const kinds: string[] = [];
    for (let type: unknown = new.target; typeof type === 'function' && type !== Error; type = Object.getPrototypeOf(type)) {
      const kind = (type as { kind?: unknown }).kind;
      if (typeof kind === 'string' && Object.hasOwn(type, 'kind')) kinds.push(kind);
    }
    Object.defineProperty(this, KINDS, { value: Object.freeze(kinds) });
    this.name = Object.hasOwn(new.target, 'kind') ? (kinds[0] ?? new.target.name) : new.target.name;
  }
}

/** Something the user must change: an input, the config file, a command line. */
export class UserError extends GantryError {
  static override readonly kind: string = 'UserError';
}

/** An action input (or the CLI option standing for it) is missing or malformed. */
export class InputError extends UserError {
  static override readonly kind: string = 'InputError';

  constructor(
    /** How the input is named to the user, e.g. `input "keep"` or `option --keep`. */
    readonly input: string,
    /** What is wrong and how to fix it, without the input's name. */
    readonly problem: string,
    options?: GantryErrorOptions,
  ) {
    super(`${input}: ${problem}`, options);
  }
}

/** Where in a config file a problem is. */
export interface ConfigLocation {
  file: string;
  /** Dotted path inside the file, e.g. `environments.qa.region`; empty for the whole file. */
  path: string;
  line?: number;
  column?: number;
}

/** The deployment config file is unreadable or invalid. */
export class ConfigError extends UserError {
  static override readonly kind: string = 'ConfigError';

  constructor(
    readonly location: ConfigLocation,
    readonly problem: string,
    options?: GantryErrorOptions,
  ) {
    super(formatConfigProblem(location, problem), options);
  }
}

export function formatConfigProblem(location: ConfigLocation, problem: string): string {
  const position = location.line === undefined ? location.file : `${location.file}:${location.line}:${location.column ?? 1}`;
  return location.path === '' ? `${position}: ${problem}` : `${position}: ${location.path}: ${problem}`;
}

/** The CLI was called wrongly (unknown command or option). Exit code 2. */
export class UsageError extends UserError {
  static override readonly kind: string = 'UsageError';
}

/** The work itself failed. `cause` holds what failed underneath. */
export class OperationError extends GantryError {
  static override readonly kind: string = 'OperationError';
}

/**
 * One line for a log: the message followed by each distinct `cause` message, so an SDK error that caused an
 * OperationError is visible without a stack trace.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message !== '' && !parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.length === 0 ? 'unknown error' : parts.join(': caused by: ');
}

/**
 * An AWS SDK error as one line: its name (the service's error code, e.g. `ThrottlingException`) and message,
 * since the message alone ("Rate exceeded") often does not say what happened.
 */
export function describeAwsError(error: unknown): string {
  const text = describeError(error);
  const name = error instanceof Error ? error.name : '';
  return name === '' || name === 'Error' || text.startsWith(name) ? text : `${name}: ${text}`;
}
