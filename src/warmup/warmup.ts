/**
 * The warmup core: decides, in this order, for every target function and in parallel with a bound,
 *   1. which versions its alias routes to (weighted routing included);
 *   2. that each is Active (the SDK waiter), failing with Lambda's state reason or after the timeout;
 *   3. that each runs with the configured scaling config: applied and requested equal to it;
 *   4. that the alias answers: N smoke invocations, C at once, no FunctionError, latency recorded;
 *   5. optionally, that the capacity provider is Active.
 * Step 1 runs for every target before anything is changed, so an unknown function or alias, or a function that
 * is not on a capacity provider, is refused as bad input with nothing touched. From step 2 on a failure is that
 * function's, reported with the others' results.
 *
 * Lambda is reached only through a {@link WarmupPort}; time through a {@link WarmupClock}.
 */
import { setTimeout } from 'node:timers/promises';
import pLimit from 'p-limit';
import { lambdaNameOf } from '../aws/lambda-arn.js';
import type { EnvironmentConfig } from '../config/load.js';
import { describeError, InputError } from '../errors.js';
import type { InputSource } from '../inputs.js';
import type { Logger } from '../logger.js';
import { MissingResource, type ScalingStatus, type VersionStatus, type WarmupPort } from './adapter.js';
import { assembleReport, type FunctionReport, type InvocationFigures, latencyFigures, type VersionReport, type WarmupReport } from './report.js';
import type { WarmupSettings } from './settings.js';
import { planTargets, type ScalingTarget, type WarmupTarget } from './targets.js';

/** Time as the core measures and waits it; a benchmark passes a faster one (with a port to match). */
export interface WarmupClock {
  /** Milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: WarmupClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => setTimeout(ms, undefined, { signal }),
};

/**
 * Functions warmed at once. Waves cost a whole provisioning time each (issue 18: 200 functions in waves of 50
 * took 1.5 times the fleet's bound), so a fleet goes in one: the bound is only there for GetFunction's own quota
 * (100 requests/s), which 250 functions' waiters (one GetFunction every 5 s at most, adapter.ts) keep under half.
 */
export const PARALLEL_FUNCTIONS = 250;
/** Invocations in flight at once across all functions: the SDK's default socket pool (50). */
export const PARALLEL_INVOCATIONS = 50;
/** Polling of GetFunctionScalingConfig until applied equals requested: doubling from min to max. */
export const SCALING_POLLING = { minDelayMs: 1_000, maxDelayMs: 5_000 };

export interface WarmupRun {
  environment: string;
  targets: WarmupTarget[];
  timeoutMs: number;
  checkProvider: boolean;
  /** How the targets were chosen, for the error when one does not exist: `input "functions"`. */
  selectedBy: string;
}

export interface WarmupDeps {
  port: WarmupPort;
  clock?: WarmupClock;
  logger: Logger;
  signal?: AbortSignal;
  parallelFunctions?: number;
  parallelInvocations?: number;
}

/** Settings, environment and Lambda in, report out: what the action and the CLI both run. */
export interface WarmupEntryDeps {
  logger: Logger;
  /** The caller builds it (for the environment's region): the core neither reads config nor builds clients. */
  port: WarmupPort;
  clock?: WarmupClock;
  signal?: AbortSignal;
  parallelFunctions?: number;
}

export async function warmupEnvironment(
  settings: WarmupSettings,
  environment: EnvironmentConfig,
  source: Pick<InputSource, 'label'>,
  deps: WarmupEntryDeps,
): Promise<WarmupReport> {
  const clock = deps.clock ?? REAL_CLOCK;
  const { port } = deps;
  const { selection } = settings;
  let providerVersions: string[] = [];
  if (selection.kind === 'capacity-provider') {
    try {
      providerVersions = await port.listProviderVersions(selection.capacityProvider);
    } catch (error) {
      if (error instanceof MissingResource)
        throw new InputError(
          source.label('capacity-provider'),
          `"${selection.capacityProvider}" is not a capacity provider in ${environment.region}: ${error.message}`,
        );
      throw error;
    }
    if (providerVersions.length === 0)
      throw new InputError(source.label('capacity-provider'), `no function versions run on "${selection.capacityProvider}"; nothing to warm`);
  }
  const targets = planTargets(selection, environment, settings.overrides, providerVersions);
  const selectedBy =
    selection.kind === 'functions'
      ? source.label('functions')
      : selection.kind === 'capacity-provider'
        ? source.label('capacity-provider')
        : source.label('environment');
  return runWarmup(
    { environment: environment.name, targets, timeoutMs: settings.timeoutSeconds * 1000, checkProvider: settings.checkProvider, selectedBy },
    {
      port,
      clock,
      logger: deps.logger,
      ...(deps.signal === undefined ? {} : { signal: deps.signal }),
      ...(deps.parallelFunctions === undefined ? {} : { parallelFunctions: deps.parallelFunctions }),
    },
  );
}

// ---- the run --------------------------------------------------------------------------------------------------

/** A version an alias routes to: its share of the traffic and its state. */
interface RoutedVersion {
  version: string;
  weight: number;
  status: VersionStatus;
}

interface Resolved {
  target: WarmupTarget;
  /** The alias's primary version. */
  primary: string;
  /** Every version the alias routes to, the primary first. */
  versions: RoutedVersion[];
}

type Resolution = { resolved: Resolved } | { problem: string } | { failed: FunctionReport };

export async function runWarmup(run: WarmupRun, deps: WarmupDeps): Promise<WarmupReport> {
  const clock = deps.clock ?? REAL_CLOCK;
  const startedAt = clock.now();
  const functions = limiter(deps.parallelFunctions ?? PARALLEL_FUNCTIONS);
  const context: RunContext = {
    run,
    port: deps.port,
    clock,
    logger: deps.logger,
    ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    invocations: limiter(deps.parallelInvocations ?? PARALLEL_INVOCATIONS),
    providers: new Map(),
  };

  // Step 1 for every target, read-only: refuse unknown functions and aliases before anything is changed.
  const resolutions = await Promise.all(run.targets.map((target) => functions(() => resolve(target, context))));
  const problems = resolutions.flatMap((resolution) => ('problem' in resolution ? [resolution.problem] : []));
  if (problems.length > 0) throw new InputError(run.selectedBy, problems.join('; '));

  deps.logger.info(
    `warming ${run.targets.length} function${run.targets.length === 1 ? '' : 's'} in ${run.environment}: ${run.targets.map((t) => `${t.functionName}:${t.alias}`).join(', ')}`,
  );
  const reports = await Promise.all(
    resolutions.map(async (resolution) => {
      // Each function is logged as soon as it is done: the job log shows progress, not one block at the end.
      const report = 'failed' in resolution ? resolution.failed : await functions(() => warm((resolution as { resolved: Resolved }).resolved, context));
      logOutcome(report, deps.logger);
      return report;
    }),
  );
  return assembleReport(run.environment, reports, clock.now() - startedAt);
}

interface RunContext {
  run: WarmupRun;
  port: WarmupPort;
  clock: WarmupClock;
  logger: Logger;
  signal?: AbortSignal;
  invocations: Limiter;
  /** One GetCapacityProvider per provider, shared by its functions. */
  providers: Map<string, Promise<{ arn: string; state: string }>>;
}

async function resolve(target: WarmupTarget, context: RunContext): Promise<Resolution> {
  const { port } = context;
  const where = `${target.functionName}:${target.alias}`;
  try {
    const alias = await port.getAlias(target.functionName, target.alias);
    if (!/^\d+$/.test(alias.primary)) return { problem: `${where} points at ${alias.primary || 'no version'}; warmup needs an alias on a published version` };
    const additional = Object.entries(alias.weights).filter(([, weight]) => weight > 0);
    const routing = [
      { version: alias.primary, weight: round4(1 - additional.reduce((sum, [, weight]) => sum + weight, 0)) },
      ...additional.map(([version, weight]) => ({ version, weight })),
    ];
    const versions = await Promise.all(
      routing.map(async ({ version, weight }) => ({ version, weight, status: await port.getVersion(target.functionName, version) })),
    );
    const offProvider = versions.filter(({ status }) => status.capacityProviderArn === undefined);
    if (offProvider.length > 0) {
      return {
        problem: `${target.functionName} version ${offProvider.map(({ status }) => status.version).join(', ')} is not on a capacity provider; warmup is for Lambda Managed Instances functions`,
      };
    }
    return { resolved: { target, primary: alias.primary, versions } };
  } catch (error) {
    if (error instanceof MissingResource) return { problem: `${where}: ${error.message}` };
    // Cancelled: whichever call or wait noticed first, the run fails with the cancellation's own reason.
    if (context.signal?.aborted === true) throw context.signal.reason;
    return { failed: { ...emptyReport(target), errors: [`could not resolve ${where}: ${describeError(error)}`] } };
  }
}

async function warm(resolved: Resolved, context: RunContext): Promise<FunctionReport> {
  const { target, primary, versions } = resolved;
  const { port, clock, run } = context;
  // Time to ready and the timeout count from here: what this function takes, not its wait for a turn.
  const startedAt = clock.now();
  const deadline = startedAt + run.timeoutMs;
  const report: FunctionReport = {
    ...emptyReport(target),
    version: primary,
    versions: versions.map(({ version, weight, status }) => versionReport(version, weight, status)),
  };
  report.state = leastReady(report.versions);
  try {
    // The scaling configs as they are, read while the versions turn Active: the quota is idle then, and busy
    // once a fleet's versions turn Active (the first read of step 3 would queue with every other function's).
    const scalingNow = new Map(
      versions.filter(({ status }) => status.state !== 'Failed').map(({ version }) => [version, port.getScaling(target.functionName, version)] as const),
    );
    for (const read of scalingNow.values()) read.catch(() => undefined); // awaited in step 3, if it comes to that

    // 2. Active.
    const active = await Promise.all(
      versions.map(async ({ version, weight, status }) => ({
        version,
        weight,
        status:
          status.state === 'Active' || status.state === 'Failed'
            ? status
            : await port.waitActive(target.functionName, status.version, Math.max(1, deadline - clock.now()), context.signal),
      })),
    );
    report.versions = active.map(({ version, weight, status }) => versionReport(version, weight, status));
    report.state = leastReady(report.versions);
    for (const { status } of active) {
      if (status.state === 'Active') continue;
      const reason = [status.reasonCode, status.reason].filter((part) => part !== undefined && part !== '').join(': ');
      report.errors.push(
        status.state === 'Failed'
          ? `version ${status.version} is Failed${reason === '' ? '' : `: ${reason}`}`
          : `version ${status.version} did not become Active within ${seconds(run.timeoutMs)}: last seen ${status.state}${reason === '' ? '' : ` (${reason})`}`,
      );
    }
    if (report.errors.length > 0) return report;

    // 3. Scaled as configured.
    const scaled = await Promise.all(
      report.versions.map(async (reported) => ({
        reported,
        ...(await applyScaling(target, reported.version, scalingNow.get(reported.version), deadline, context)),
      })),
    );
    for (const { reported, scaling } of scaled) reported.scaling = scaling;
    if (target.scaling !== undefined) report.scalingApplied = scaled.every((status) => status.converged);
    for (const { reported, scaling, converged } of scaled) {
      if (converged) continue;
      report.errors.push(
        `scaling config of version ${reported.version} not applied within ${seconds(run.timeoutMs)}: requested ${describeScaling(scaling.requested)}, applied ${describeScaling(scaling.applied)}`,
      );
    }
    if (report.errors.length > 0) return report;
    report.timeToReadyMs = Math.round(clock.now() - startedAt);

    // 4. Answers.
    const { figures, latencies, errors } = await smokeInvoke(target, context);
    report.invocations = figures;
    const latency = latencyFigures(latencies);
    if (latency !== undefined) report.latencyMs = latency;
    report.errors.push(...errors);
    return report;
  } catch (error) {
    if (context.signal?.aborted === true) throw context.signal.reason;
    report.errors.push(describeError(error));
    return report;
  } finally {
    // 5. The capacity provider, also (especially) when the function failed: InsufficientCapacity has a cause.
    if (run.checkProvider && context.signal?.aborted !== true) await checkProvider(report, versions, context);
    report.ready = report.errors.length === 0;
  }
}

async function applyScaling(
  target: WarmupTarget,
  version: string,
  /** The scaling config read while the version turned Active, if it was. */
  read: Promise<ScalingStatus> | undefined,
  deadline: number,
  context: RunContext,
): Promise<{ scaling: ScalingStatus; converged: boolean }> {
  const { port, clock } = context;
  let status = await (read ?? port.getScaling(target.functionName, version));
  const want = target.scaling;
  if (want === undefined) return { scaling: status, converged: true };
  if (sameScaling(status.requested, want) && sameScaling(status.applied, want)) return { scaling: status, converged: true };
  if (!sameScaling(status.requested, want)) {
    await port.putScaling(target.functionName, version, want);
    status = { ...status, requested: want };
  }
  let delay = SCALING_POLLING.minDelayMs;
  for (;;) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) return { scaling: status, converged: false };
    await clock.sleep(Math.min(delay, remaining), context.signal);
    delay = Math.min(delay * 2, SCALING_POLLING.maxDelayMs);
    status = await port.getScaling(target.functionName, version, true);
    if (sameScaling(status.applied, want)) return { scaling: status, converged: true };
  }
}

/** What a smoke invocation names: the function, the qualifier it invokes (an alias, or a version), the event and how many. */
export type SmokeTarget = Pick<WarmupTarget, 'functionName' | 'alias' | 'payload' | 'invocations' | 'concurrency'>;

/** What smoke invocations need: Lambda's Invoke, a clock, the cancellation, and the bound on invocations in flight. */
export interface SmokeContext {
  port: Pick<WarmupPort, 'invoke'>;
  clock: WarmupClock;
  signal?: AbortSignal;
  /** Invocations in flight at once across every target (warmup: {@link PARALLEL_INVOCATIONS}). */
  invocations: Limiter;
}

/**
 * Step 4 of the warmup, also the traffic shift's check of a new version between its steps: `target.invocations`
 * invocations of `target.alias` (an alias or a version), `target.concurrency` at once; a FunctionError or a call
 * that failed after the SDK's retries is a failure, counted by message.
 */
export async function smokeInvoke(target: SmokeTarget, context: SmokeContext): Promise<{ figures: InvocationFigures; latencies: number[]; errors: string[] }> {
  const { port, clock } = context;
  const figures: InvocationFigures = { requested: target.invocations, succeeded: 0, failed: 0, retries: 0, executedVersions: {} };
  const latencies: number[] = [];
  const failures = new Map<string, number>();
  const mine = limiter(target.concurrency);
  await Promise.all(
    Array.from({ length: target.invocations }, () =>
      mine(() =>
        context.invocations(async () => {
          const started = clock.now();
          try {
            const outcome = await port.invoke(target.functionName, target.alias, target.payload, context.signal);
            const elapsed = clock.now() - started;
            figures.retries += outcome.attempts - 1;
            if (outcome.executedVersion !== undefined)
              figures.executedVersions[outcome.executedVersion] = (figures.executedVersions[outcome.executedVersion] ?? 0) + 1;
            if (outcome.functionError !== undefined) {
              figures.failed++;
              failures.set(outcome.functionError, (failures.get(outcome.functionError) ?? 0) + 1);
              return;
            }
            figures.succeeded++;
            latencies.push(elapsed);
          } catch (error) {
            if (context.signal?.aborted === true) throw error;
            figures.failed++;
            const message = describeError(error);
            failures.set(message, (failures.get(message) ?? 0) + 1);
          }
        }),
      ),
    ),
  );
  const errors =
    figures.failed === 0
      ? []
      : [
          `${figures.failed} of ${figures.requested} invocations of ${target.alias} failed: ${[...failures].map(([message, count]) => (count === 1 ? message : `${message} (×${count})`)).join('; ')}`,
        ];
  return { figures, latencies, errors };
}

async function checkProvider(report: FunctionReport, versions: RoutedVersion[], context: RunContext): Promise<void> {
  const arn = versions.find(({ status }) => status.capacityProviderArn !== undefined)?.status.capacityProviderArn;
  if (arn === undefined) return;
  let pending = context.providers.get(arn);
  if (pending === undefined) {
    pending = context.port.getCapacityProvider(arn);
    context.providers.set(arn, pending);
  }
  try {
    const provider = await pending;
    report.capacityProvider = provider;
    if (provider.state !== 'Active') report.errors.push(`capacity provider ${lambdaNameOf(provider.arn)} is ${provider.state}, not Active`);
  } catch (error) {
    report.errors.push(`could not read capacity provider ${arn}: ${describeError(error)}`);
  }
}

// ---- helpers --------------------------------------------------------------------------------------------------

function emptyReport(target: WarmupTarget): FunctionReport {
  return {
    function: target.functionName,
    ...(target.configName === undefined ? {} : { name: target.configName }),
    alias: target.alias,
    versions: [],
    state: 'unknown',
    ready: false,
    ...(target.scaling === undefined ? {} : { scaling: target.scaling, scalingApplied: false }),
    invocations: { requested: target.invocations, succeeded: 0, failed: 0, retries: 0, executedVersions: {} },
    errors: [],
  };
}

function versionReport(version: string, weight: number, status: VersionStatus): VersionReport {
  return {
    version,
    weight,
    state: status.state,
    ...(status.reasonCode === undefined ? {} : { stateReasonCode: status.reasonCode }),
    ...(status.reason === undefined ? {} : { stateReason: status.reason }),
  };
}

const STATE_ORDER = ['Failed', 'Inactive', 'unknown', 'Pending', 'Active'];

/** The state that holds the function back the most. */
function leastReady(versions: VersionReport[]): string {
  const rank = (state: string) => (STATE_ORDER.includes(state) ? STATE_ORDER.indexOf(state) : 2);
  return versions.map((v) => v.state).sort((a, b) => rank(a) - rank(b))[0] ?? 'unknown';
}

function sameScaling(actual: ScalingTarget | undefined, want: ScalingTarget): boolean {
  return (
    actual !== undefined &&
    actual.minExecutionEnvironments === want.minExecutionEnvironments &&
    actual.maxExecutionEnvironments === want.maxExecutionEnvironments
  );
}

function describeScaling(scaling: ScalingTarget | undefined): string {
  return scaling === undefined ? 'none' : `min ${scaling.minExecutionEnvironments} max ${scaling.maxExecutionEnvironments}`;
}

function logOutcome(report: FunctionReport, logger: Logger): void {
  const routing = report.versions.map((v) => (report.versions.length === 1 ? v.version : `${v.version} (${Math.round(v.weight * 100)}%)`)).join(', ');
  if (report.ready) {
    const latency = report.latencyMs === undefined ? '' : `, p50 ${Math.round(report.latencyMs.p50)} ms p95 ${Math.round(report.latencyMs.p95)} ms`;
    const scaling =
      report.scaling === undefined
        ? 'scaling left as is'
        : `scaling ${report.scaling.minExecutionEnvironments}–${report.scaling.maxExecutionEnvironments} applied`;
    logger.info(
      `${report.function}: ${report.alias} → ${routing} Active after ${seconds(report.timeToReadyMs ?? 0)}, ${scaling}, ${report.invocations.succeeded}/${report.invocations.requested} invocations${latency}`,
    );
  } else {
    logger.warning(`${report.function}: ${report.alias} → ${routing || '?'} not ready: ${report.errors.join('; ')}`);
  }
}

function seconds(ms: number): string {
  const value = ms / 1000;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} s`;
}

const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** At most `max` tasks at once, the others in order (p-limit). */
export function limiter(max: number): Limiter {
  const limit = pLimit(max);
  return (task) => limit(task);
}
