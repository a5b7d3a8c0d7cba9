/**
 * version-prune's work, for the action and `gantry prune`: deletes old Lambda function versions, keeping the
 * newest N per function and every version something still points to, at the Lambda control-plane quota.
 * Loaded only once the inputs have parsed.
 *
 * Flow: settings (pure) → inventory → plan (pure) → printed plan → deletions → outputs, job summary.
 * A run that stopped early (a non-retryable error, a cancelled workflow) still sets every output, then fails.
 */
import { loadWorkspaceConfig } from './config/load.js';
import type { ActionContext, CliIo } from './definition/define.js';
import { OperationError } from './errors.js';
import type { InputSource } from './inputs.js';
import { type PruneReport, summaryMarkdown } from './prune/report.js';
import { resolvePruneSettings } from './prune/resolve.js';
import { type PruneDeps, runPrune } from './prune/run.js';
import type { PruneInputs, PruneSettings } from './prune/settings.js';

/** Applies the config file, when an environment is given, to the parsed inputs. */
export async function loadPruneSettings(inputs: PruneInputs, source: Pick<InputSource, 'label'>, env: NodeJS.ProcessEnv): Promise<PruneSettings> {
  const config = inputs.environment === undefined ? undefined : await loadWorkspaceConfig(inputs.configFile, env);
  return resolvePruneSettings(inputs, source, config, env);
}

/** The action's outputs, from the report. */
export function pruneOutputs(report: PruneReport): Record<string, string> {
  return {
    deleted: String(report.totals.deleted),
    kept: String(report.totals.kept),
    skipped: String(report.totals.skipped),
    report: JSON.stringify(report),
    'dry-run': String(report.dryRun),
  };
}

function stoppedMessage(report: PruneReport): string {
  return `stopped after deleting ${report.totals.deleted} version(s), ${report.totals.notAttempted} not attempted: ${report.stopped}; run again to continue`;
}

export async function versionPruneAction(inputs: PruneInputs, context: ActionContext, deps: Partial<PruneDeps> = {}): Promise<void> {
  const settings = await loadPruneSettings(inputs, context.inputs, context.env);
  const report = await runPrune(settings, { logger: context.logger, signal: context.cancellation(), ...deps });
  for (const [name, value] of Object.entries(pruneOutputs(report))) context.setOutput(name, value);
  await context.appendSummary(summaryMarkdown(report));
  if (report.stopped !== undefined) throw new OperationError(stoppedMessage(report));
}

/** `gantry prune`: the plan and progress on stderr, the JSON report on stdout; exit 1 when it stopped early. */
export async function pruneCommand(inputs: PruneInputs, io: CliIo): Promise<number> {
  const settings = await loadPruneSettings(inputs, io.inputs, io.env);
  const report = await runPrune(settings, { logger: io.logger });
  io.stdout(JSON.stringify(report, null, 2));
  if (report.stopped === undefined) return 0;
  io.logger.error(stoppedMessage(report));
  return 1;
}
