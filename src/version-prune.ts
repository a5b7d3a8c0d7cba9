/**
 * version-prune's work, for the action and `gantry prune`: deletes old Lambda function versions, keeping the
 * newest N per function and every version something still points to, at the Lambda control-plane quota.
 * Loaded only once the inputs have parsed.
 *
 * Flow: settings (pure) → inventory → plan (pure) → printed plan → deletions → outputs, job summary.
 * A run that stopped early still sets every output. It fails when an error no retry fixes stopped it or the
 * workflow was cancelled, or when work is left (the time budget was used, calls ran out of retries under
 * throttling) and nothing could be done; otherwise what is left is a warning, for a later run
 * ({@link pruneOutcome}).
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
    left: String(report.totals.left),
    report: JSON.stringify(report),
    'dry-run': String(report.dryRun),
  };
}

/** How a run ended, for the step: done, done with work left for a later run (a warning), or failed. */
export type PruneOutcome = { kind: 'done' } | { kind: 'left' | 'failed'; message: string };

/**
 * Pure. Failed: an error no retry fixes stopped the run (access denied, say), or the workflow was cancelled;
 * or work is left and nothing could be done (no version deleted and no function carried out in full; in a
 * dry run, no function planned). Work left otherwise (the time budget used, deletions out of retries under
 * throttling, functions not listed) is a warning: deleting is idempotent, and a later run continues.
 */
export function pruneOutcome(report: PruneReport): PruneOutcome {
  const { totals } = report;
  if (report.stoppedBy === 'error' || report.stoppedBy === 'cancelled') {
    return {
      kind: 'failed',
      message: `stopped after deleting ${totals.deleted} version(s), ${totals.notAttempted} not attempted: ${report.stopped}; run again to continue`,
    };
  }
  if (totals.left + report.unlisted.length === 0) return { kind: 'done' };
  const why =
    report.stopped ??
    (totals.failed > 0 ? `${totals.failed} deletion(s) failed after the SDK's retries` : `${report.unlisted.length} function(s) could not be listed`);
  const notListed = report.unlisted.length === 0 ? '' : ` and ${report.unlisted.length} function(s) not listed`;
  const progressed = totals.deleted > 0 || report.functions.some((fn) => (fn.notAttempted?.length ?? 0) + (fn.failed?.length ?? 0) === 0);
  if (!progressed) {
    return {
      kind: 'failed',
      message: `nothing could be done: ${why}; ${totals.left} planned deletion(s)${notListed} left; run again when Lambda is less busy, or give a longer time-budget`,
    };
  }
  return {
    kind: 'left',
    message: `${why}: deleted ${totals.deleted}, left ${totals.left} planned deletion(s)${notListed} for a later run (deleting is idempotent: a re-run continues)`,
  };
}

export async function versionPruneAction(inputs: PruneInputs, context: ActionContext, deps: Partial<PruneDeps> = {}): Promise<void> {
  const settings = await loadPruneSettings(inputs, context.inputs, context.env);
  const report = await runPrune(settings, { logger: context.logger, signal: context.cancellation(), ...deps });
  for (const [name, value] of Object.entries(pruneOutputs(report))) context.setOutput(name, value);
  await context.appendSummary(summaryMarkdown(report));
  const outcome = pruneOutcome(report);
  if (outcome.kind === 'failed') throw new OperationError(outcome.message);
  if (outcome.kind === 'left') context.logger.warning(outcome.message);
}

/** `gantry prune`: the plan and progress on stderr, the JSON report on stdout; exit 1 when the run failed. */
export async function pruneCommand(inputs: PruneInputs, io: CliIo): Promise<number> {
  const settings = await loadPruneSettings(inputs, io.inputs, io.env);
  const report = await runPrune(settings, { logger: io.logger });
  io.stdout(JSON.stringify(report, null, 2));
  const outcome = pruneOutcome(report);
  if (outcome.kind === 'left') io.logger.warning(outcome.message);
  if (outcome.kind !== 'failed') return 0;
  io.logger.error(outcome.message);
  return 1;
}
