/**
 * `gantry prune`: the version-prune action from a shell, same parser and core. Dry run unless
 * `--dry-run=false` or `--apply`. The plan and progress go to stderr; the JSON report to stdout.
 */
import { InputError } from '../../src/errors.js';
import type { InputSource } from '../../src/inputs.js';
import { DEFAULT_RATE, MAX_KEEP, PRUNE_INPUTS } from '../../src/prune/settings.js';
import { runPrune } from '../../src/prune/run.js';
import { loadPruneSettings } from '../../src/version-prune.js';
import type { CliCommand } from './command.js';
import { configOption, environmentOption } from './config-commands.js';

const APPLY = 'apply';

export const pruneCommand: CliCommand = {
  name: 'prune',
  summary: 'Delete old Lambda function versions, keeping the newest N and every protected one (dry run by default); prints the JSON report.',
  options: {
    [PRUNE_INPUTS.environment]: { ...environmentOption, description: 'Environment from the config file (required unless --functions or --capacity-provider).' },
    [PRUNE_INPUTS.config]: configOption,
    [PRUNE_INPUTS.dryRun]: { type: 'string', description: 'true prints what would be deleted; false deletes (same as --apply).', defaultText: 'true' },
    [APPLY]: { type: 'boolean', description: 'Delete for real: the same as --dry-run=false.' },
    [PRUNE_INPUTS.keep]: { type: 'string', description: `Newest versions kept per function, 1 to ${MAX_KEEP} (0 with --force).`, defaultText: 'the config\'s prune.keep, else 5' },
    [PRUNE_INPUTS.force]: { type: 'boolean', description: 'Allow --keep 0 (delete every version nothing protects).' },
    [PRUNE_INPUTS.functions]: { type: 'string', multiple: true, description: 'Functions to prune instead of the environment\'s (repeatable, or comma-separated).' },
    [PRUNE_INPUTS.capacityProvider]: { type: 'string', description: 'Prune every function version on this capacity provider (name or ARN).' },
    [PRUNE_INPUTS.rate]: { type: 'string', description: 'Lambda requests per second for the whole run.', defaultText: String(DEFAULT_RATE) },
  },
  async run(inputs, _positionals, io) {
    const settings = await loadPruneSettings(withApply(inputs), io.env);
    const report = await runPrune(settings, { logger: io.logger });
    io.stdout(JSON.stringify(report, null, 2));
    if (report.stopped !== undefined) {
      io.logger.error(`stopped after deleting ${report.totals.deleted} version(s), ${report.totals.notAttempted} not attempted: ${report.stopped}; run again to continue`);
      return 1;
    }
    return 0;
  },
};

/** `--apply` is `--dry-run=false`; the two must not disagree. */
function withApply(inputs: InputSource): InputSource {
  const apply = inputs.get(APPLY) === 'true';
  if (!apply) return inputs;
  const dryRun = inputs.get(PRUNE_INPUTS.dryRun);
  if (dryRun !== undefined && dryRun !== 'false') throw new InputError(inputs.label(APPLY), `contradicts ${inputs.label(PRUNE_INPUTS.dryRun)} ${dryRun}; pass one of them`);
  return { ...inputs, get: (name) => (name === PRUNE_INPUTS.dryRun ? 'false' : inputs.get(name)) };
}
