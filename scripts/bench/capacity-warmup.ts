/**
 * Benchmark: warming F functions after a deploy, against the sandbox's Lambda with its real quotas (control
 * plane 15 requests/s, GetFunction 100/s). Each function's new version needs 60 to 120 s (sandbox time) to
 * turn Active, spread evenly so one function is the slowest, and its scaling config 30 s to converge; each
 * invocation takes 50 ms. A capacity provider holds 100 versions, so the functions are spread 50 to a
 * provider (each has its old and its new version). Reported per run:
 * - total ÷ slowest function ready: the warmup's total over the slowest function's own time to ready (from
 *   when the warmup started on it, as the report gives it); 1.0 means the warmup costs no more than its slowest
 *   function (target ≤ 1.2 for F = 1, 10, 50);
 * - the fleet bound: the larger of (a) when the slowest function could be ready at the earliest, by the
 *   sandbox's own model (its version's Active time, counted from the warmup's start, plus the scaling
 *   convergence) and (b) the warmup's control-plane calls ÷ 15/s (the quota every one of them shares); total ÷
 *   that bound is the fleet figure (target ≤ 1.1 at F = 200, where the quota, not provisioning, decides);
 * - API calls per function, by quota (control plane, GetFunction, Invoke), and how many were throttled;
 * - how busy the process was: CPU time ÷ real time. The sandbox and gantry share this process, and at a fast
 *   clock every real millisecond of their work is `speed` sandbox milliseconds: a busy process inflates
 *   the figures (issue 18: 1.02 to 1.36 at F = 50 depending on the machine's load).
 *
 * Runs: F = 1, 10, 50 and 200 at clock ×20, then the baseline; the ×1 cross-check is F = 200 at real speed
 * (about 160 s: the deploy itself takes 150 s whatever F is, so a smaller F would not be quicker). The sandbox
 * clock runs `speed` times faster; the core gets the same clock, so every figure is in sandbox time, and a
 * Lambda port to match (see {@link sandboxPort}).
 *
 * No public tool warms Lambda Managed Instances: the baseline is gantry's own core with one setting changed
 * (one function at a time).
 */
import { LAMBDA_CONTROL_PLANE_RATE } from '../../src/aws/rate-limiter.js';
import { parseConfig } from '../../src/config/load.js';
import { parseInputs } from '../../src/definition/define.js';
import { capacityWarmup } from '../../src/definitions/capacity-warmup.js';
import { cliInputSource } from '../../src/inputs.js';
import { MemoryLogger } from '../../src/logger.js';
import { createWarmupClients, DEFAULT_ACTIVE_POLLING, GET_FUNCTION_RATE, lambdaWarmupPort, type WarmupPort } from '../../src/warmup/adapter.js';
import type { WarmupReport } from '../../src/warmup/report.js';
import { warmupEnvironment } from '../../src/warmup/warmup.js';
import { required } from '../assert.js';
import { seedLambda } from '../sandbox/lambda/seed.js';
import { startSandbox } from '../sandbox/sandbox.js';

/** The deploy each run warms: how long versions take to turn Active, and scaling configs to converge. */
export interface Deploy {
  minProvisioningMs: number;
  maxProvisioningMs: number;
  convergenceMs: number;
}

export const DEPLOY: Deploy = { minProvisioningMs: 60_000, maxProvisioningMs: 120_000, convergenceMs: 30_000 };
const INVOKE_LATENCY_MS = 50;
/** Functions per capacity provider: each has two versions during a deploy, and a provider holds 100. */
const FUNCTIONS_PER_PROVIDER = 50;

export interface WarmupFigures {
  name: string;
  functions: number;
  speed: number;
  deploy: Deploy;
  /** Sandbox milliseconds, as the report gives them. */
  totalMs: number;
  /** The slowest function's own time to ready (from when the warmup started on it), as the report gives it. */
  slowestReadyMs: number;
  /** The earliest the slowest function could be ready: its version's Active time from the warmup's start, plus convergence. */
  modelReadyMs: number;
  controlPlaneCalls: number;
  /** controlPlaneCalls ÷ 15/s, in milliseconds. */
  quotaBoundMs: number;
  /** total ÷ slowest function ready. */
  ratio: number;
  /** total ÷ max(model ready, quota bound). */
  fleetRatio: number;
  controlPlanePerFunction: number;
  getFunctionPerFunction: number;
  invokesPerFunction: number;
  throttled: number;
  ready: boolean;
  /** Real milliseconds the run took, and the process's CPU time over them. */
  realMs: number;
  cpuMs: number;
}

function benchConfig(count: number): string {
  const width = String(Math.max(count - 1, 0)).length;
  const functions = Array.from(
    { length: count },
    (_, i) =>
      `      - { name: f-${String(i).padStart(width, '0')}, scaling: { minExecutionEnvironments: 1, maxExecutionEnvironments: 2 }, warmup: { invocations: 5, concurrency: 5 } }`,
  );
  return [
    'version: 1',
    'project: bench',
    'environments:',
    '  dev:',
    '    account: "123456789012"',
    '    region: eu-west-1',
    '    terraform: { workingDirectory: terraform/environments/dev }',
    '    functions:',
    ...functions,
    '',
  ].join('\n');
}

/**
 * The warmup's Lambda port for a sandbox whose clock runs `speed` times faster than real time. The control
 * plane's 15 requests/s (and GetFunction's 100) are per sandbox second; the SDK waiter counts real time, so its delays and its
 * deadline (given in sandbox milliseconds by the core) are divided by the speed.
 */
function sandboxPort(region: string, speed: number): WarmupPort {
  const port = lambdaWarmupPort(createWarmupClients(region, { controlPlane: LAMBDA_CONTROL_PLANE_RATE * speed, getFunction: GET_FUNCTION_RATE * speed }), {
    minDelayMs: DEFAULT_ACTIVE_POLLING.minDelayMs / speed,
    maxDelayMs: DEFAULT_ACTIVE_POLLING.maxDelayMs / speed,
  });
  return { ...port, waitActive: (functionName, version, timeoutMs, signal) => port.waitActive(functionName, version, timeoutMs / speed, signal) };
}

export interface WarmRun {
  name: string;
  functions: number;
  speed: number;
  deploy?: Deploy;
  parallelFunctions?: number;
}

export async function warmF({ name, functions: count, speed, deploy = DEPLOY, parallelFunctions }: WarmRun): Promise<WarmupFigures> {
  const sandbox = await startSandbox({ clockSpeed: speed, lambda: { scalingConvergenceDelayMs: deploy.convergenceMs, invokeLatencyMs: INVOKE_LATENCY_MS } });
  const saved = { ...process.env };
  Object.assign(process.env, sandbox.env);
  try {
    const { lambda } = sandbox.services;
    // bench-dev-f-00 …: the names the naming module derives from the config below.
    const { functionNames } = seedLambda(lambda, {
      capacityProvider: 'bench-dev-cp',
      functions: count,
      versionsPerFunction: 1,
      namePrefix: 'bench-dev-f',
      functionsPerCapacityProvider: FUNCTIONS_PER_PROVIDER,
    });
    // The deploy: each function gets a new version, Pending for its provisioning time, and its alias moves to it.
    let activeAt = 0;
    functionNames.forEach((name, index) => {
      lambda.updateFunctionCode(name, `${name}@2`);
      lambda.options.provisioningDelayMs = deploy.minProvisioningMs + ((deploy.maxProvisioningMs - deploy.minProvisioningMs) * (index + 1)) / count;
      const published = lambda.publishVersion(name);
      activeAt = Math.max(activeAt, published.readyAt);
      lambda.putAlias(name, 'live', { functionVersion: published.version }, { instant: true });
    });
    const config = parseConfig(benchConfig(count), 'bench.yml');
    const source = cliInputSource({ environment: 'dev' });
    const before = sandbox.server.requests.length;
    const environment = required(config.environments.get('dev'), 'the dev environment');
    const settings = parseInputs(capacityWarmup, source, {}, 'cli');
    const port = sandboxPort(environment.region, speed);
    const [startedAt, realStarted, cpuStarted] = [sandbox.clock.now(), performance.now(), process.cpuUsage()];
    const report: WarmupReport = await warmupEnvironment(settings, environment, source, {
      logger: new MemoryLogger(),
      clock: sandbox.clock,
      port,
      ...(parallelFunctions === undefined ? {} : { parallelFunctions }),
    });
    const cpu = process.cpuUsage(cpuStarted);
    const realMs = performance.now() - realStarted;
    const requests = sandbox.server.requests.slice(before).filter((request) => request.service === 'lambda');
    const perFunction = (predicate: (operation: string) => boolean) => requests.filter((request) => predicate(request.operation)).length / count;
    const controlPlaneCalls = requests.filter((request) => lambda.quotaFor(request.operation) === 'lambda-control-plane').length;
    const slowestReadyMs = Math.max(...report.functions.map((fn) => fn.timeToReadyMs ?? Number.NaN));
    const modelReadyMs = activeAt - startedAt + deploy.convergenceMs;
    const quotaBoundMs = (controlPlaneCalls / LAMBDA_CONTROL_PLANE_RATE) * 1000;
    return {
      name,
      functions: count,
      speed,
      deploy,
      totalMs: report.totalMs,
      slowestReadyMs,
      modelReadyMs,
      controlPlaneCalls,
      quotaBoundMs,
      ratio: report.totalMs / slowestReadyMs,
      fleetRatio: report.totalMs / Math.max(modelReadyMs, quotaBoundMs),
      controlPlanePerFunction: controlPlaneCalls / count,
      getFunctionPerFunction: perFunction((op) => op === 'GetFunction'),
      invokesPerFunction: perFunction((op) => op === 'Invoke'),
      throttled: requests.filter((request) => request.throttled || request.status === 429).length,
      ready: report.ready,
      realMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    process.env = saved;
    await sandbox.stop();
  }
}

/** The runs `npm run bench` makes. */
export const WARMUP_RUNS = {
  /** total ÷ slowest, at the fast clock. */
  counts: [1, 10, 50],
  /** The fleet figure, at the fast clock and at ×1. */
  fleet: 200,
  speed: 20,
  /** The baseline: gantry's core, one function at a time. */
  baselineCount: 10,
} as const;

/** The fast-clock runs (alone: a busy process is multiplied by the speed). */
export async function benchWarmupFast(plan = WARMUP_RUNS): Promise<WarmupFigures[]> {
  const runs: WarmupFigures[] = [];
  for (const count of plan.counts) runs.push(await warmF({ name: 'gantry', functions: count, speed: plan.speed }));
  runs.push(await warmF({ name: 'gantry', functions: plan.fleet, speed: plan.speed }));
  runs.push(await warmF({ name: 'one at a time', functions: plan.baselineCount, speed: plan.speed, parallelFunctions: 1 }));
  return runs;
}

/** The ×1 cross-check: the fleet at real speed. */
export async function benchWarmupReal(plan = WARMUP_RUNS): Promise<WarmupFigures[]> {
  return [await warmF({ name: 'gantry', functions: plan.fleet, speed: 1 })];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const describeDeploy = (deploy: Deploy) =>
  `Active after ${deploy.minProvisioningMs / 1000}–${deploy.maxProvisioningMs / 1000} s, converged in ${deploy.convergenceMs / 1000} s`;

export function formatWarmupFigures(runs: readonly WarmupFigures[]): string {
  const rows = runs.map(
    (f) =>
      `| ${f.name} | ${f.functions} | ×${f.speed} | ${seconds(f.totalMs)} | ${seconds(f.slowestReadyMs)} | **${f.ratio.toFixed(2)}** | ` +
      `${seconds(f.modelReadyMs)} | ${f.controlPlaneCalls} → ${seconds(f.quotaBoundMs)} | **${f.fleetRatio.toFixed(2)}** | ` +
      `${f.controlPlanePerFunction.toFixed(1)} / ${f.getFunctionPerFunction.toFixed(1)} / ${f.invokesPerFunction.toFixed(1)} | ${f.throttled} | ${f.ready ? 'yes' : 'NO'} | ` +
      `${seconds(f.realMs)}, ${Math.round((f.cpuMs / f.realMs) * 100)}% |`,
  );
  const baseline = runs.find((f) => f.name === 'one at a time');
  const same = baseline === undefined ? undefined : runs.find((f) => f.name === 'gantry' && f.functions === baseline.functions && f.speed === baseline.speed);
  return [
    `### capacity-warmup: F functions after a deploy (${describeDeploy(DEPLOY)}; 50 functions to a capacity provider; sandbox time)`,
    '',
    'Total ÷ slowest: over the slowest function’s own time to ready (the report’s). Fleet bound: the larger of when the slowest function ' +
      'could be ready by the sandbox’s model (its Active time from the warmup’s start, plus convergence) and the warmup’s control-plane calls ÷ 15/s. ' +
      'Process busy: CPU time ÷ real time of this process, which runs both the sandbox and gantry (at ×20 each real ms is 20 sandbox ms).',
    '',
    '| Warmup | F | Clock | Total | Slowest function ready | Total ÷ slowest | Model ready | Control-plane calls → ÷ 15/s | Total ÷ fleet bound | Calls / function (control plane / GetFunction / Invoke) | 429s | All ready | Real time, process busy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |',
    ...rows,
    '',
    baseline === undefined || same === undefined
      ? ''
      : `Baseline (no public tool warms Managed Instances: gantry's own core with one setting changed, one function at a time): ${baseline.functions} functions take ×${(baseline.totalMs / same.totalMs).toFixed(1)} as long.`,
  ].join('\n');
}
