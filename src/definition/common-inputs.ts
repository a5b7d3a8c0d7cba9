/**
 * The inputs most actions and CLI commands share: the config file and the target environment. Spelled once
 * here; each definition spreads them into its inputs.
 */
import type { InputSpec } from './define.js';
import { pattern, text } from './input-types.js';

/** Where the actions and the CLI look for the config unless told otherwise. */
export const DEFAULT_CONFIG_FILE = '.github/gantry.yml';

/**
 * The shape of an environment name in the config file (src/config/schema.ts `label`): lower-case letters,
 * digits and single "-" between them, starting with a letter, at most 20 characters.
 */
export const ENVIRONMENT_NAME_PATTERN = /^(?=.{1,20}$)[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const ENVIRONMENT_NAME_FORMAT = 'an environment name: lower-case letters, digits and single "-", starting with a letter, at most 20 characters';

export const configInput = {
  description: 'Path of the gantry config file, relative to the workspace.',
  type: text(1024),
  default: DEFAULT_CONFIG_FILE,
} as const satisfies InputSpec<string>;

export const environmentInput = {
  description: 'Environment name from the config file (for example dev).',
  type: pattern(ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_FORMAT),
  required: true,
  hint: 'for example dev',
} as const satisfies InputSpec<string>;

export const githubTokenInput = {
  description: "Token for the GitHub API (usually the workflow's github.token).",
  type: text(),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, written as is into action.yml for the runner to evaluate
  actionDefault: '${{ github.token }}',
  only: 'action',
} as const satisfies InputSpec<string>;

/** The config file and environment, as most actions name them. */
export const environmentTarget = { environment: environmentInput, config: configInput } as const;

/** The environment and config file an action or command targets. */
export interface EnvironmentTarget {
  configFile: string;
  environment: string;
}
