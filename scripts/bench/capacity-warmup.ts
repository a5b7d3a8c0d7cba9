/**
 * Benchmark: warming F functions (F = 1, 10, 50) after a deploy, against the sandbox's Lambda with its real
 * 15 requests/s control-plane quota. Each function's new version needs 60 to 120 s (sandbox time) to turn
 * Active, spread evenly so one function is the slowest, and its scaling config 30 s to converge; each
 * invocation takes 50 ms. Reported:
 * - total time ÷ the slowest function's readiness time (Active and scaled): 1.0 means the whole warmup costs
 *   no more than its slowest function, i.e. the functions are warmed in parallel (target: at most 1.2);
 * - API calls per function, by quota (control plane, GetFunction, Invoke), and how many were throttled.
 * Smoke-invoke latency is not reported here: at a fast clock it measures the SDK's own overhead, multiplied.
 *
 * The sandbox clock runs `speed` times faster; the core gets the same clock, so every figure is in sandbox time,
 * and a Lambda port to match (see {@link sandboxPort}).
 */
import { LAMBDA_CONTROL_PLANE_RATE } from '../../src/aws/rate-limiter.js';
import { parseConfig } from '../../src/config/load.js';
import { parseInputs } from '../../src/definition/define.js';
import { capacityWarmup } from '../../src/definitions/capacity-warmup.js';
import { cliInputSource } from '../../src/inputs.js';
import { MemoryLogger } from '../../src/logger.js';
import { createWarmupClients, DEFAULT_ACTIVE_POLLING, lambdaWarmupPort, type WarmupPort } from '../../src/warmup/adapter.js';
import type { WarmupReport } from '../../src/warmup/report.js';
import { warmupEnvironment } from '../../src/warmup/warmup.js';
import { required } from '../assert.js';
import { seedLambda } from '../sandbox/lambda/seed.js';
import { startSandbox } from '../sandbox/sandbox.js';

export interface WarmupFigures {
  name: string;
  functions: number;
  totalMs: number;
  slowestReadyMs: number;
  ratio: number;
  controlPlanePerFunction: number;
  getFunctionPerFunction: number;
  invokesPerFunction: number;
  throttled: number;
  ready: boolean;
}

const MIN_PROVISIONING_MS = 60_000;
const MAX_PROVISIONING_MS = 120_000;
const SCALING_CONVERGENCE_MS = 30_000;
const INVOKE_LATENCY_MS = 50;

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
 * plane's 15 requests/s are 15 per sandbox second; the SDK waiter counts real time, so its delays and its
 * deadline (given in sandbox milliseconds by the core) are divided by the speed.
 */
function sandboxPort(region: string, speed: number): WarmupPort {
  const port = lambdaWarmupPort(createWarmupClients(region, LAMBDA_CONTROL_PLANE_RATE * speed), {
    minDelayMs: DEFAULT_ACTIVE_POLLING.minDelayMs / speed,
    maxDelayMs: DEFAULT_ACTIVE_POLLING.maxDelayMs / speed,
  });
  return { ...port, waitActive: (functionName, version, timeoutMs, signal) => port.waitActive(functionName, version, timeoutMs / speed, signal) };
}

async function warmF(name: string, count: number, speed: number, parallelFunctions?: number): Promise<WarmupFigures> {
  const sandbox = await startSandbox({ clockSpeed: speed, lambda: { scalingConvergenceDelayMs: SCALING_CONVERGENCE_MS, invokeLatencyMs: INVOKE_LATENCY_MS } });
  const saved = { ...process.env };
  Object.assign(process.env, sandbox.env);
  try {
    const { lambda } = sandbox.services;
    // bench-dev-f-00 …: the names the naming module derives from the config below.
    const { functionNames } = seedLambda(lambda, { capacityProvider: 'bench-dev-cp', functions: count, versionsPerFunction: 1, namePrefix: 'bench-dev-f' });
    // The deploy: each function gets a new version, Pending for 60 to 120 s, and its alias moves to it.
    functionNames.forEach((name, index) => {
      lambda.updateFunctionCode(name, `${name}@2`);
      lambda.options.provisioningDelayMs = MIN_PROVISIONING_MS + ((MAX_PROVISIONING_MS - MIN_PROVISIONING_MS) * (index + 1)) / count;
      const { version } = lambda.publishVersion(name);
      lambda.putAlias(name, 'live', { functionVersion: version }, { instant: true });
    });
    const config = parseConfig(benchConfig(count), 'bench.yml');
    const source = cliInputSource({ environment: 'dev' });
    const before = sandbox.server.requests.length;
    const environment = required(config.environments.get('dev'), 'the dev environment');
    const report: WarmupReport = await warmupEnvironment(parseInputs(capacityWarmup, source, {}, 'cli'), environment, source, {
      logger: new MemoryLogger(),
      clock: sandbox.clock,
      port: sandboxPort(environment.region, speed),
      ...(parallelFunctions === undefined ? {} : { parallelFunctions }),
    });
    const requests = sandbox.server.requests.slice(before).filter((request) => request.service === 'lambda');
    const count_ = (predicate: (operation: string) => boolean) => requests.filter((request) => predicate(request.operation)).length / count;
    const slowestReadyMs = Math.max(...report.functions.map((fn) => fn.timeToReadyMs ?? Number.NaN));
    return {
      name,
      functions: count,
      totalMs: report.totalMs,
      slowestReadyMs,
      ratio: report.totalMs / slowestReadyMs,
      controlPlanePerFunction: count_((op) => op !== 'GetFunction' && op !== 'Invoke'),
      getFunctionPerFunction: count_((op) => op === 'GetFunction'),
      invokesPerFunction: count_((op) => op === 'Invoke'),
      throttled: requests.filter((request) => request.throttled || request.status === 429).length,
      ready: report.ready,
    };
  } finally {
    process.env = saved;
    await sandbox.stop();
  }
}

export async function benchCapacityWarmup(counts: readonly number[] = [1, 10, 50], speed = 20, baselineCount = 10): Promise<WarmupFigures[]> {
  const figures: WarmupFigures[] = [];
  for (const count of counts) figures.push(await warmF('gantry (parallel)', count, speed));
  // The loop it replaces: the same steps, one function after the other.
  if (baselineCount > 0) figures.push(await warmF('one at a time', baselineCount, speed, 1));
  return figures;
}

export function formatWarmupFigures(figures: WarmupFigures[]): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rows = figures.map(
    (f) =>
      `| ${f.name} | ${f.functions} | ${seconds(f.totalMs)} | ${seconds(f.slowestReadyMs)} | **${f.ratio.toFixed(2)}** | ${(f.controlPlanePerFunction + f.getFunctionPerFunction + f.invokesPerFunction).toFixed(1)} | ` +
      `${f.controlPlanePerFunction.toFixed(1)} | ${f.getFunctionPerFunction.toFixed(1)} | ${f.invokesPerFunction.toFixed(1)} | ${f.throttled} | ${f.ready ? 'yes' : 'NO'} |`,
  );
  const parallel = figures.filter((f) => f.name.startsWith('gantry'));
  const worst = Math.max(...parallel.map((f) => f.ratio));
  const baseline = figures.find((f) => !f.name.startsWith('gantry'));
  const same = baseline === undefined ? undefined : parallel.find((f) => f.functions === baseline.functions);
  return [
    `### capacity-warmup: F functions after a deploy (versions Active after ${MIN_PROVISIONING_MS / 1000}–${MAX_PROVISIONING_MS / 1000} s, scaling converges in ${SCALING_CONVERGENCE_MS / 1000} s; sandbox time)`,
    '',
    '| Warmup | F | Total | Slowest function ready | Total ÷ slowest | API calls / function | control plane | GetFunction | Invoke | Throttled (429) | All ready |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |',
    ...rows,
    '',
    `Worst ratio ×${worst.toFixed(2)} (target ≤ 1.2: the warmup takes as long as its slowest function, not the sum of them).` +
      (baseline === undefined || same === undefined
        ? ''
        : ` One function at a time, ${baseline.functions} functions take ×${(baseline.totalMs / same.totalMs).toFixed(1)} as long.`),
  ].join('\n');
}
