/**
 * version-prune: deletes old Lambda function versions, keeping the newest N per function and every version
 * something still points to, at the Lambda control-plane quota. Dry run by default.
 */
import { configInput, ENVIRONMENT_NAME_FORMAT, ENVIRONMENT_NAME_PATTERN } from '../definition/common-inputs.js';
import { defineAction, type InputSpecs } from '../definition/define.js';
import { boolean, decimal, integer, list, pattern, seconds } from '../definition/input-types.js';
import { DEFAULT_RATE, DEFAULT_TIME_BUDGET_SECONDS, MAX_KEEP, MAX_RATE, MAX_TIME_BUDGET_SECONDS, toPruneInputs } from '../prune/settings.js';

export const versionPruneInputs = {
  environment: {
    description: 'Environment from the config file: its functions, region, prune.keep and protect list. Without it, the region comes from AWS_REGION.',
    type: pattern(ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_FORMAT),
    requiredUnless: ['functions', 'capacity-provider'],
    hint: 'for example dev',
  },
  config: configInput,
  'dry-run': { description: 'true prints what would be deleted and deletes nothing; false deletes.', type: boolean(), defaultText: 'true' },
  apply: { description: 'Delete for real: the same as --dry-run=false.', type: boolean(), only: 'cli' },
  keep: {
    description: 'Newest versions kept per function besides the protected ones (0 only together with force).',
    type: integer(0, MAX_KEEP),
    defaultText: "the environment's prune.keep, else 5",
  },
  force: { description: 'Allow keep 0: delete every version that nothing protects.', type: boolean(), default: 'false' },
  functions: {
    description: "Functions to prune instead of the environment's: short names from the config, Lambda function names or unqualified ARNs.",
    type: list({
      regex: /^([A-Za-z0-9_-]{1,64}|arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64})$/,
      what: 'function names or unqualified function ARNs',
    }),
  },
  'capacity-provider': {
    description: "Prune every function version on this capacity provider (name or ARN) instead of the environment's functions.",
    type: pattern(/^([A-Za-z0-9_-]{1,64}|arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:capacity-provider:[A-Za-z0-9_-]{1,64})$/, 'a capacity provider name or ARN'),
  },
  rate: {
    description: "Lambda requests per second for the whole run (Lambda's control-plane quota is 15).",
    type: decimal(0, MAX_RATE, 'requests per second', { exclusiveMin: true }),
    default: String(DEFAULT_RATE),
  },
  'time-budget': {
    description:
      'Seconds the run may take. Under throttling it slows down and keeps going until the budget is used; then it sends nothing more and reports what it did and what is left for a later run. Stopping early fails the step only when nothing could be done.',
    type: seconds(1, MAX_TIME_BUDGET_SECONDS),
    default: String(DEFAULT_TIME_BUDGET_SECONDS),
  },
} as const satisfies InputSpecs;

export const versionPrune = defineAction({
  name: 'version-prune',
  description:
    'Deletes old Lambda function versions, keeping the newest N per function and every version something can still send traffic to: $LATEST, $LATEST.PUBLISHED, alias targets (weighted routing included), provisioned concurrency, event source mappings and the protect list. Dry run by default; runs at the Lambda control-plane quota, within a time budget.',
  branding: { icon: 'scissors', color: 'purple' },
  inputs: versionPruneInputs,
  outputs: {
    deleted: { description: 'Number of versions deleted (in a dry run, the number that would be deleted).' },
    kept: { description: 'Number of versions kept, each for a reason listed in the report.' },
    skipped: { description: 'Number of planned deletions skipped because the version became protected or is gone.' },
    left: {
      description:
        'Number of planned deletions left for a later run: not attempted (the run stopped, its time budget used, say) or failed after the retries of the SDK.',
    },
    report: { description: 'JSON report per function (kept and why, deleted, skipped, left), totals and versions left per capacity provider.' },
    'dry-run': { description: 'true when nothing was deleted because the run was a dry run.' },
  },
  settings: toPruneInputs,
  async run(inputs, context) {
    const { versionPruneAction } = await import('../version-prune.js');
    await versionPruneAction(inputs, context);
  },
  cli: {
    name: 'prune',
    summary: 'Delete old Lambda function versions, keeping the newest N and every protected one (dry run by default); prints the JSON report.',
    async run(inputs, io) {
      const { pruneCommand } = await import('../version-prune.js');
      return pruneCommand(inputs, io);
    },
  },
});
