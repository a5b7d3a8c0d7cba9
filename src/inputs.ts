/**
 * Where input values come from. An action reads `INPUT_<NAME>` variables; the CLI reads `--name` options.
 * Both go through an {@link InputSource}, so one definition per action (src/definition/define.ts) serves
 * both and every error names the input the way the user wrote it. Empty strings count as unset (GitHub
 * passes '' for an input the step did not set).
 */

export interface InputSource {
  /** The trimmed value, or undefined when unset or empty. */
  get(name: string): string | undefined;
  /** The input as the user names it: `input "keep"` or `option --keep`. */
  label(name: string): string;
  /** How to set it: `set "keep" in the step's with: block` or `pass --keep`. */
  howToSet(name: string): string;
}

/** Inputs of a GitHub Action, read the way the runner passes them (`INPUT_` + upper case, spaces to `_`). */
export function actionInputSource(env: NodeJS.ProcessEnv = process.env): InputSource {
  return {
    get: (name) => emptyToUndefined(env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]),
    label: (name) => `input "${name}"`,
    howToSet: (name) => `set "${name}" in the step's with: block`,
  };
}

/** Options of a CLI command, as returned by `util.parseArgs`; a repeated option's values become lines. */
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
