/**
 * capacity-warmup's work, for the action and `gantry warmup`: load the environment, warm it (src/warmup/),
 * report. Loaded only once the inputs have parsed.
 *
 * Outputs (set before the step fails, so a later step can read what was seen): `report` (JSON), `ready`,
 * `p95-ms` (the worst p95 across functions, empty when nothing was invoked). The job summary gets a table and
 * a latency chart.
 */
import { loadEnvironment } from './config/environment-input.js';
import type { ActionContext, CliIo } from './definition/define.js';
import { OperationError } from './errors.js';
import { createWarmupClients, lambdaWarmupPort } from './warmup/adapter.js';
import { failureMessage, renderWarmupMarkdown } from './warmup/report.js';
import type { WarmupSettings } from './warmup/settings.js';
import { type WarmupEntryDeps, warmupEnvironment } from './warmup/warmup.js';

export async function capacityWarmupAction(settings: WarmupSettings, context: ActionContext, deps: Partial<WarmupEntryDeps> = {}): Promise<void> {
  const { environment } = await loadEnvironment(settings.target, context.inputs);
  const port = deps.port ?? lambdaWarmupPort(createWarmupClients(environment.region));
  const report = await warmupEnvironment(settings, environment, context.inputs, { logger: context.logger, signal: context.cancellation(), ...deps, port });
  context.setOutput('report', JSON.stringify(report));
  context.setOutput('ready', report.ready);
  context.setOutput('p95-ms', report.p95Ms === undefined ? '' : String(Math.round(report.p95Ms)));
  await context.appendSummary(renderWarmupMarkdown(report));
  if (!report.ready) throw new OperationError(failureMessage(report));
}

/** `gantry warmup`: the JSON report on stdout, exit 1 unless ready. */
export async function warmupCommand(settings: WarmupSettings, io: CliIo): Promise<number> {
  const { environment } = await loadEnvironment(settings.target, io.inputs);
  const report = await warmupEnvironment(settings, environment, io.inputs, {
    logger: io.logger,
    port: lambdaWarmupPort(createWarmupClients(environment.region)),
  });
  io.stdout(JSON.stringify(report, null, 2));
  if (report.ready) return 0;
  io.logger.error(failureMessage(report));
  return 1;
}
