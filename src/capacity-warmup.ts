/**
 * capacity-warmup: after a deploy, makes each function "warm" in the Managed Instances sense: its alias's
 * versions Active, its scaling config applied, and the alias proven to answer. See src/warmup/warmup.ts.
 *
 * Outputs (set before the step fails, so a later step can read what was seen): `report` (JSON), `ready`,
 * `p95-ms` (the worst p95 across functions, empty when nothing was invoked). The job summary gets a table and
 * a latency chart.
 */
import { OperationError } from './errors.js';
import type { ActionContext } from './run-action.js';
import { failureMessage, renderWarmupMarkdown } from './warmup/report.js';
import { warmupFromInputs, type WarmupEntryDeps } from './warmup/warmup.js';

export async function capacityWarmupAction(context: ActionContext, deps: Partial<WarmupEntryDeps> = {}): Promise<void> {
  const report = await warmupFromInputs(context.inputs, { logger: context.logger, signal: context.cancellation(), ...deps });
  context.setOutput('report', JSON.stringify(report));
  context.setOutput('ready', report.ready);
  context.setOutput('p95-ms', report.p95Ms === undefined ? '' : String(Math.round(report.p95Ms)));
  await context.appendSummary(renderWarmupMarkdown(report));
  if (!report.ready) throw new OperationError(failureMessage(report));
}
