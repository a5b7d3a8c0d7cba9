/**
 * version-prune inputs → typed settings. Pure: every problem is an InputError naming the input, raised
 * before any AWS call.
 *
 * Scope, in order of precedence: `functions` (an explicit list), else `capacity-provider` (every function
 * version on it, in one paginated listing), else the environment's functions from the config file. One of
 * `environment`, `functions` or `capacity-provider` is required; with `environment` the config file also
 * gives the region, `keep` and the protect list (the inputs may override `keep`). Without it the region
 * comes from AWS_REGION and `keep` defaults to 5. `time-budget` bounds the run's time (src/prune/run.ts).
 */
import { LAMBDA_CONTROL_PLANE_RATE } from '../aws/rate-limiter.js';
import type { InputValues, SettingsContext } from '../definition/define.js';
import type { versionPruneInputs } from '../definitions/version-prune.js';

/** Lambda's control-plane quota: requests per second per account and region. */
export const DEFAULT_RATE = LAMBDA_CONTROL_PLANE_RATE;
export const MAX_RATE = 10_000;
/** The schema's default for `prune.keep`, used when no environment is given. */
export const DEFAULT_KEEP = 5;
export const MAX_KEEP = 99;
/**
 * How long a run may take by default: 20 minutes, inside the 30 minutes the prune workflow's job and the
 * scheduled prune's CodeBuild project are given, with room for what comes before and after.
 */
export const DEFAULT_TIME_BUDGET_SECONDS = 1200;
/** Six hours: the longest a GitHub-hosted job runs. */
export const MAX_TIME_BUDGET_SECONDS = 21_600;

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
  /** Seconds the run may take before it stops sending calls and reports what is left. */
  timeBudgetSeconds: number;
}

const ARN_NAME = /:(?:function|capacity-provider):([A-Za-z0-9_-]{1,64})$/;
/** A name or an unqualified ARN (the definition checked which) → the name. */
const nameOf = (value: string): string => ARN_NAME.exec(value)?.[1] ?? value;

/** The cross-input rules of version-prune's inputs (each input was checked on its own by the definition). */
export function toPruneInputs(values: InputValues<typeof versionPruneInputs>, context: SettingsContext): PruneInputs {
  const { environment, force, keep } = values;
  const functions = [...new Set((values.functions ?? []).map(nameOf))];
  const capacityProvider = values['capacity-provider'] === undefined ? undefined : nameOf(values['capacity-provider']);
  if (environment === undefined && functions.length === 0 && capacityProvider === undefined) {
    context.fail(
      'environment',
      `is required: ${context.howToSet('environment')} (for example dev), or give ${context.label('functions')} or ${context.label('capacity-provider')}`,
    );
  }
  if (functions.length > 0 && capacityProvider !== undefined) {
    context.fail('capacity-provider', `cannot be combined with ${context.label('functions')}: give one scope`);
  }
  if (keep === 0 && !force) {
    context.fail('keep', `must be at least 1; to delete every unprotected version, keep 0 together with ${context.label('force')} set to true`);
  }
  // On the CLI, --apply is --dry-run=false; the two must not disagree.
  const given = values['dry-run'];
  if (values.apply === true && given === true) {
    context.fail('apply', `contradicts ${context.label('dry-run')} true; pass one of them`);
  }
  const dryRun = values.apply === true ? false : (given ?? true);
  return {
    configFile: values.config,
    ...(environment === undefined ? {} : { environment }),
    functions,
    ...(capacityProvider === undefined ? {} : { capacityProvider }),
    ...(keep === undefined ? {} : { keep }),
    force,
    dryRun,
    rate: values.rate,
    timeBudgetSeconds: values['time-budget'],
  };
}

export interface ScopedFunction {
  functionName: string;
  shortName?: string;
}

export type PruneScope =
  | { kind: 'environment'; functions: ScopedFunction[] }
  | { kind: 'functions'; functions: ScopedFunction[] }
  | { kind: 'capacity-provider'; capacityProvider: string };

export interface PruneSettings {
  environment?: string;
  region: string;
  scope: PruneScope;
  keep: number;
  force: boolean;
  /** `<function>:<version>` entries (short or AWS function names). */
  protect: string[];
  /** Where the protect list is written, for messages: `.github/gantry.yml: environments.dev.prune.protect`. */
  protectSource?: string;
  /** AWS function name → short name from the config, for reports and the protect list. */
  shortNames: Record<string, string>;
  dryRun: boolean;
  rate: number;
  /** Seconds the run may take (the `time-budget` input). */
  timeBudgetSeconds: number;
}
