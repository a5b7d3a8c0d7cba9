/**
 * traffic-shift's work, for the action and `gantry shift`: load the environment, pick its functions, shift them
 * (src/shift/), report. Loaded only once the inputs have parsed.
 *
 * Outputs (set before the step fails, so a later step can read what happened): `outcome`, `steps` (JSON),
 * `rollback-reason`. The job summary gets the decision at each step and a timeline chart per function. The step
 * fails unless the shift completed: the deployment status the workflow sets after it is `success` only then.
 */
import { loadEnvironment } from './config/environment-input.js';
import type { EnvironmentConfig } from './config/load.js';
import { guardAlarms } from './config/rollout.js';
import type { ActionContext, CliIo } from './definition/define.js';
import { InputError, OperationError } from './errors.js';
import type { InputSource } from './inputs.js';
import { createShiftClients, type ShiftPort, shiftPort } from './shift/adapter.js';
import { planSteps } from './shift/plan.js';
import { failureMessage, renderShiftMarkdown, type ShiftReport, stepsOutput } from './shift/report.js';
import { runShift, type ShiftDeps, type ShiftRun, type ShiftTarget } from './shift/run.js';
import type { ShiftSettings } from './shift/settings.js';

/** The run for these settings: the environment's functions (or the named ones), each with its rollout and alarms. Pure. */
export function shiftRun(settings: ShiftSettings, environment: EnvironmentConfig, source: Pick<InputSource, 'label'>): ShiftRun {
  const unknown = settings.functions.filter((name) => !environment.functions.some((fn) => fn.name === name || fn.functionName === name));
  if (unknown.length > 0) {
    throw new InputError(
      source.label('functions'),
      `${unknown.map((name) => `"${name}"`).join(', ')} ${unknown.length === 1 ? 'is not a function' : 'are not functions'} of ${environment.name}; expected ${environment.functions.map((fn) => fn.name).join(', ')} (the rollout comes from the config)`,
    );
  }
  const chosen =
    settings.functions.length === 0
      ? environment.functions
      : environment.functions.filter((fn) => settings.functions.includes(fn.name) || settings.functions.includes(fn.functionName));
  // All at once is terraform's: the apply moved those aliases, and their roles may not even read them.
  const allAtOnce = chosen.filter((fn) => fn.rollout.strategy.kind === 'all-at-once');
  const targets: ShiftTarget[] = chosen
    .filter((fn) => !allAtOnce.includes(fn))
    .map((fn) => {
      const names = environment.names.functions.find((candidate) => candidate.name === fn.name);
      if (names === undefined) throw new Error(`no derived names for function ${fn.name}`);
      return {
        functionName: fn.functionName,
        configName: fn.name,
        alias: fn.alias,
        rollout: fn.rollout,
        steps: planSteps(fn.rollout),
        alarms: guardAlarms(names, fn.rollout).map((alarm) => alarm.name),
        smoke: { payload: JSON.stringify(fn.warmup.payload), invocations: fn.warmup.invocations, concurrency: fn.warmup.concurrency },
      };
    });
  return {
    environment: environment.name,
    targets,
    resume: settings.resume,
    pollMs: settings.pollMs,
    selectedBy: settings.functions.length === 0 ? source.label('environment') : source.label('functions'),
    allAtOnce: allAtOnce.map((fn) => fn.functionName),
  };
}

/** Says which functions the shift leaves to terraform (their rollout is all-at-once). */
function noteAllAtOnce(run: ShiftRun, logger: { info(message: string): void }): void {
  if (run.allAtOnce.length === 0) return;
  logger.info(`${run.allAtOnce.join(', ')}: rollout all-at-once in ${run.environment}; terraform moved the alias on apply, nothing to shift`);
}

export async function trafficShiftAction(settings: ShiftSettings, context: ActionContext, deps: Partial<Omit<ShiftDeps, 'logger'>> = {}): Promise<void> {
  const { environment } = await loadEnvironment(settings.target, context.inputs, context.env);
  const run = shiftRun(settings, environment, context.inputs);
  noteAllAtOnce(run, context.logger);
  const port: ShiftPort = deps.port ?? shiftPort(createShiftClients(environment.region));
  const report = await runShift(run, { logger: context.logger, signal: context.cancellation(), ...deps, port });
  context.setOutput('outcome', report.outcome);
  context.setOutput('steps', stepsOutput(report));
  context.setOutput('rollback-reason', report.reason ?? '');
  await context.appendSummary(renderShiftMarkdown(report));
  if (report.outcome !== 'complete') throw new OperationError(failureMessage(report));
}

/**
 * `gantry shift`: the JSON report on stdout, exit 1 unless complete. SIGINT or SIGTERM (Ctrl-C, a stopped
 * CodeBuild build) rolls back before the command exits, as a cancelled workflow does.
 */
export async function shiftCommand(settings: ShiftSettings, io: CliIo): Promise<number> {
  const { environment } = await loadEnvironment(settings.target, io.inputs, io.env);
  const run = shiftRun(settings, environment, io.inputs);
  noteAllAtOnce(run, io.logger);
  const abort = new AbortController();
  const stop = (signal: NodeJS.Signals) => () => abort.abort(new Error(`interrupted (${signal})`));
  const onInt = stop('SIGINT');
  const onTerm = stop('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  let report: ShiftReport;
  try {
    report = await runShift(run, { logger: io.logger, port: shiftPort(createShiftClients(environment.region)), signal: abort.signal });
  } finally {
    process.removeListener('SIGINT', onInt);
    process.removeListener('SIGTERM', onTerm);
  }
  io.stdout(JSON.stringify(report, null, 2));
  if (report.outcome === 'complete') return 0;
  io.logger.error(failureMessage(report));
  return 1;
}
