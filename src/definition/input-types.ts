/**
 * The types an action input (or the CLI option standing for it) can have: each is a zod schema over the raw
 * text, plus what the CLI and the docs need to know about it.
 *
 * zod/mini rather than zod: an action parses its inputs before it loads anything else, so that a bad input
 * fails fast; zod/mini tree-shakes to a few KB where the full `zod` export is ~450 KB minified. It is imported
 * as `zod-inputs` (package.json: the same zod release under a second name) because the bundler splits code
 * by file: the config file's schema (src/config/schema.ts, full zod, loaded once the inputs are valid) shares
 * zod's core files, and the chunk holding them would be 320 KB that every action loads before it can say that
 * an input is missing. Each schema is built on first use, so a definition costs nothing until it parses.
 *
 * Every error message is the problem without the input's name ("must be a whole number from 1 to 10, got
 * "x""); the parser puts the name in front. Values are echoed cut short (see {@link quote}), so a 100 KB input
 * never lands whole in a log.
 */
import * as z from 'zod-inputs/mini';

export interface InputType<T> {
  /** Parses the raw text: trimmed, never empty (an empty input counts as unset). Built on first use. */
  readonly schema: z.ZodMiniType<T, string>;
  /** How the CLI takes it: `--name value`, or a `--name` flag. */
  readonly cli: 'string' | 'boolean';
  /** The CLI option may be repeated (each occurrence is one item of a list). */
  readonly multiple?: boolean;
  /** What a valid value looks like, for the generated docs: "a whole number from 1 to 1000". */
  readonly format: string;
}

const MAX_ECHO = 80;

/**
 * A value as an error message shows it: quoted with control characters escaped (so a message stays one line),
 * and cut to 80 characters.
 */
export function quote(value: unknown): string {
  const text = String(value);
  return text.length <= MAX_ECHO ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, MAX_ECHO))}… (${text.length} characters)`;
}

/** A number as the user typed it, unquoted, cut like {@link quote}. */
function asTyped(value: unknown): string {
  const text = String(value);
  return text.length <= MAX_ECHO ? text : `${text.slice(0, MAX_ECHO)}… (${text.length} characters)`;
}

function type<T>(build: () => z.ZodMiniType<T, string>, format: string, cli: 'string' | 'boolean' = 'string', multiple = false): InputType<T> {
  let schema: z.ZodMiniType<T, string> | undefined;
  return {
    get schema() {
      schema ??= build();
      return schema;
    },
    cli,
    format,
    ...(multiple ? { multiple } : {}),
  };
}

/** Free text, at most `maxLength` characters. */
export function text(maxLength = 4096): InputType<string> {
  return type(
    () => z.string().check(z.maxLength(maxLength, { error: (issue) => `must be at most ${maxLength} characters, got ${String(issue.input).length}` })),
    maxLength === 4096 ? 'text' : `text of at most ${maxLength} characters`,
  );
}

/** Text that must match a pattern; `what` names the expected form: "a full 40-character commit SHA". */
export function pattern(regex: RegExp, what: string): InputType<string> {
  return type(() => z.string().check(z.regex(regex, { error: (issue) => `must be ${what}, got ${quote(issue.input)}` })), what);
}

/** A whole number within bounds; the error echoes what was typed, not what it converted to. */
export function integer(min: number, max: number): InputType<number> {
  const range = `a whole number from ${min} to ${max}`;
  const inRange = (value: string) => {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) && parsed >= min && parsed <= max;
  };
  return type(
    () =>
      z.pipe(
        z
          .string()
          .check(
            z.regex(/^-?\d+$/, { error: (issue) => `must be ${range}, got ${quote(issue.input)}`, abort: true }),
            z.refine(inRange, { error: (issue) => `must be ${range}, got ${asTyped(issue.input)}` }),
          ),
        z.transform(Number),
      ),
    range,
  );
}

/** A number (whole or decimal, not negative) within bounds: `unit` says what it counts. */
export function decimal(min: number, max: number, unit: string, options: { exclusiveMin?: boolean } = {}): InputType<number> {
  const lower = options.exclusiveMin === true ? `above ${min}` : `from ${min}`;
  const range = `${unit}, a number ${lower} and at most ${max}`;
  const problem = (issue: { input?: unknown }) => `must be ${range}, got ${quote(issue.input)}`;
  const minimum = () => (options.exclusiveMin === true ? z.gt(min, { error: problem }) : z.gte(min, { error: problem }));
  return type(
    () =>
      z.pipe(
        z.string().check(z.regex(/^\d+(\.\d+)?$/, { error: problem })),
        z.pipe(z.transform(Number), z.number().check(minimum(), z.lte(max, { error: problem }))),
      ),
    range,
  );
}

/** A duration in seconds, whole or decimal. */
export function seconds(min: number, max: number): InputType<number> {
  const range = `a number of seconds from ${min} to ${max}`;
  const problem = (issue: { input?: unknown }) => `must be ${range}, got ${quote(issue.input)}`;
  return type(
    () =>
      z.pipe(
        z.string().check(z.regex(/^\d+(\.\d+)?$/, { error: problem })),
        z.pipe(z.transform(Number), z.number().check(z.gte(min, { error: problem }), z.lte(max, { error: problem }))),
      ),
    range,
  );
}

// The values @actions/core's getBooleanInput accepts (the YAML 1.2 core schema's booleans).
const TRUE_VALUES = ['true', 'True', 'TRUE'];
const FALSE_VALUES = ['false', 'False', 'FALSE'];

/** true or false, as the YAML 1.2 core schema spells them; on the CLI a flag (`--force`, `--force=false`). */
export function boolean(): InputType<boolean> {
  return type(
    () =>
      z.pipe(
        z.string().check(
          z.refine((value) => TRUE_VALUES.includes(value) || FALSE_VALUES.includes(value), {
            error: (issue) => `must be true or false, got ${quote(issue.input)}`,
          }),
        ),
        z.transform((value: string) => TRUE_VALUES.includes(value)),
      ),
    'true or false',
    'boolean',
  );
}

/** One of a fixed set of words. */
export function choice<const T extends string>(values: readonly T[]): InputType<T> {
  const list = values.join(', ');
  return type(() => {
    const words = values as unknown as readonly [T, ...T[]];
    return z.enum(words, { error: (issue) => `must be one of ${list}, got ${quote(issue.input)}` }) as unknown as z.ZodMiniType<T, string>;
  }, `one of ${list}`);
}

/**
 * A list, one item per line or separated by commas (on the CLI the option may also be repeated); blank items
 * are dropped, duplicates kept once, and each item is checked against `item` when given. Items that may hold
 * commas themselves (NAME=VALUE pairs) are split on lines only.
 */
export function list(item?: { regex: RegExp; what: string; linesOnly?: boolean }): InputType<string[]> {
  const separator = item?.linesOnly === true ? /\n/ : /[\n,]/;
  return type(
    () => {
      const split = z.transform((value: string) => [
        ...new Set(
          value
            .split(separator)
            .map((entry) => entry.trim())
            .filter((entry) => entry !== ''),
        ),
      ]);
      const items =
        item === undefined
          ? z.array(z.string())
          : z.array(z.string().check(z.regex(item.regex, { error: (issue) => `must list ${item.what}, got ${quote(issue.input)}` })));
      return z.pipe(z.string(), z.pipe(split, items));
    },
    `a list${item === undefined ? '' : ` of ${item.what}`}, one per line${item?.linesOnly === true ? '' : ' or comma-separated'}`,
    'string',
    true,
  );
}

/** A JSON document, returned as its text re-serialised (so it is known to parse). */
export function json(): InputType<string> {
  return type(
    () =>
      z.pipe(
        z.string(),
        z.transform((value: string, context) => {
          try {
            return JSON.stringify(JSON.parse(value));
          } catch (error) {
            context.issues.push({ code: 'custom', input: value, message: `must be valid JSON (${error instanceof Error ? error.message : String(error)})` });
            return z.NEVER;
          }
        }),
      ),
    'a JSON document',
  );
}

/** An http(s) URL. */
export function httpUrl(): InputType<string> {
  return pattern(/^https?:\/\/\S+$/, 'an http(s) URL');
}
