/**
 * version-prune: deletes old Lambda function versions, keeping the newest N per function and every version
 * something still points to, at the Lambda control-plane quota. Dry run by default.
 *
 * Flow: inputs → settings (pure) → inventory → plan (pure) → printed plan → deletions → outputs, job summary.
 * A run that stopped early (a non-retryable error, a cancelled workflow) still sets every output, then fails.
 */
import { loadConfig } from './config/load.js';
import { OperationError } from './errors.js';
import type { InputSource } from './inputs.js';
import { runPrune, type PruneDeps } from './prune/run.js';
import { summaryMarkdown, type PruneReport } from './prune/report.js';
import { parsePruneInputs, resolvePruneSettings, type PruneSettings } from './prune/settings.js';
import type { ActionContext } from './run-action.js';

/** Inputs (or CLI options) → settings, reading the config file when an environment is given. */
export async function loadPruneSettings(source: InputSource, env: NodeJS.ProcessEnv): Promise<PruneSettings> {
  const inputs = parsePruneInputs(source);
  const config = inputs.environment === undefined ? undefined : await loadConfig(inputs.configFile);
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

export async function versionPruneAction(context: ActionContext, deps: Partial<PruneDeps> = {}): Promise<void> {
  const settings = await loadPruneSettings(context.inputs, context.env);
  const report = await runPrune(settings, { logger: context.logger, signal: context.cancellation(), ...deps });
  for (const [name, value] of Object.entries(pruneOutputs(report))) context.setOutput(name, value);
  await context.appendSummary(summaryMarkdown(report));
  if (report.stopped !== undefined) {
    throw new OperationError(`stopped after deleting ${report.totals.deleted} version(s), ${report.totals.notAttempted} not attempted: ${report.stopped}; run again to continue`);
  }
}
