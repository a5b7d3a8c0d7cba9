/**
 * capacity-warmup: the pure parts (inputs, targets, report, the limiter) directly; then the committed bundle
 * (`node actions/capacity-warmup/dist/index.js` with INPUT_* variables) and the CLI bundle against the Lambda
 * sandbox seeded from the example config, where a "deploy" publishes a new version (Pending for a while, or
 * Failed) and moves the alias to it: every step, every failure, weighted aliases, faults and bad input.
 */
import { describe, expect, it } from 'vitest';
import type { LambdaService } from '../scripts/sandbox/lambda/service.js';
import type { LambdaOptions, VersionFailure } from '../scripts/sandbox/lambda/state.js';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { seedLambdaFromConfig } from '../scripts/sandbox/seed-config.js';
import { parseConfig } from '../src/config/load.js';
import { parseInputs } from '../src/definition/define.js';
import { capacityWarmup } from '../src/definitions/capacity-warmup.js';
import { cliInputSource } from '../src/inputs.js';
import { percentile } from '../src/stats.js';
import { createWarmupClients, lambdaWarmupPort } from '../src/warmup/adapter.js';
import { type FunctionReport, failureMessage, latencyFigures, renderWarmupMarkdown, type WarmupReport } from '../src/warmup/report.js';
import { planTargets } from '../src/warmup/targets.js';
import { limiter } from '../src/warmup/warmup.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { runBundledAction, runCliBundle, type StartedAction, startBundledAction } from './helpers/run-bundle.js';
import { intercept, lambdaFunctionOf, until } from './helpers/sandbox-control.js';

const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
const dev = config.environments.get('dev')!;

describe('capacity-warmup inputs', () => {
  const parse = (values: Record<string, string>) => parseInputs(capacityWarmup, cliInputSource(values), {}, 'cli');

  it("defaults to the environment's functions and the config's warmup settings", () => {
    expect(parse({ environment: 'dev' })).toEqual({
      target: { configFile: '.github/gantry.yml', environment: 'dev' },
      selection: { kind: 'environment' },
      overrides: {},
      timeoutSeconds: 600,
      checkProvider: false,
    });
  });

  it('takes an explicit list, a capacity provider and overrides', () => {
    const parsed = parse({
      environment: 'qa',
      functions: 'router, orders-qa-worker:canary\nrouter',
      payload: ' {"ping": 1} ',
      invocations: '20',
      concurrency: '4',
      'timeout-seconds': '90.5',
      'check-provider': 'true',
    });
    expect(parsed.selection).toEqual({ kind: 'functions', functions: [{ name: 'router' }, { name: 'orders-qa-worker', alias: 'canary' }] });
    expect(parsed.overrides).toEqual({ payload: '{"ping":1}', invocations: 20, concurrency: 4 });
    expect(parsed).toMatchObject({ timeoutSeconds: 90.5, checkProvider: true });
    expect(parse({ environment: 'dev', 'capacity-provider': 'orders-dev-cp' }).selection).toEqual({
      kind: 'capacity-provider',
      capacityProvider: 'orders-dev-cp',
    });
  });

  it.each([
    [{}, 'option --environment: is required'],
    [{ environment: 'dev', payload: '{not json' }, 'option --payload: must be valid JSON ('],
    [{ environment: 'dev', invocations: '0' }, 'option --invocations: must be a whole number from 1 to 1000, got 0'],
    [{ environment: 'dev', invocations: '1001' }, 'option --invocations: must be a whole number from 1 to 1000, got 1001'],
    [{ environment: 'dev', concurrency: '101' }, 'option --concurrency: must be a whole number from 1 to 100, got 101'],
    [{ environment: 'dev', concurrency: 'two' }, 'option --concurrency: must be a whole number from 1 to 100, got "two"'],
    [{ environment: 'dev', 'timeout-seconds': '0' }, 'option --timeout-seconds: must be a number of seconds from 1 to 3600, got "0"'],
    [{ environment: 'dev', 'check-provider': 'yes' }, 'option --check-provider: must be true or false, got "yes"'],
    [{ environment: 'dev', functions: 'a b' }, 'option --functions: "a b" is not a function'],
    [{ environment: 'dev', functions: 'router:12' }, 'option --functions: "router:12": "12" is not an alias name'],
    [
      { environment: 'dev', functions: 'router', 'capacity-provider': 'orders-dev-cp' },
      'option --capacity-provider: cannot be combined with option --functions',
    ],
    [{ environment: 'dev', 'capacity-provider': 'not a provider' }, 'option --capacity-provider: must be a capacity provider name or ARN'],
  ])('refuses %j with one line naming the input', (values, message) => {
    expect(() => parse(values as Record<string, string>)).toThrow(message);
  });
});

describe('warmup targets', () => {
  it("takes alias, scaling and warmup from the config, with the inputs' overrides", () => {
    const targets = planTargets({ kind: 'environment' }, dev, { invocations: 7 });
    expect(targets).toEqual([
      {
        functionName: 'orders-dev-router',
        configName: 'router',
        alias: 'live',
        scaling: { minExecutionEnvironments: 1, maxExecutionEnvironments: 2 },
        payload: '{"warmup":true}',
        invocations: 7,
        concurrency: 5,
      },
      {
        functionName: 'orders-dev-worker',
        configName: 'worker',
        alias: 'live',
        scaling: { minExecutionEnvironments: 1, maxExecutionEnvironments: 3 },
        payload: '{}',
        invocations: 7,
        concurrency: 5,
      },
    ]);
  });

  it('maps short and AWS names to the config; other functions get the defaults and keep their scaling', () => {
    const targets = planTargets(
      { kind: 'functions', functions: [{ name: 'router', alias: 'canary' }, { name: 'orders-dev-worker' }, { name: 'legacy-api' }] },
      dev,
      { payload: '[1]' },
    );
    expect(targets.map((t) => [t.functionName, t.alias, t.scaling?.maxExecutionEnvironments, t.payload])).toEqual([
      ['orders-dev-router', 'canary', 2, '[1]'],
      ['orders-dev-worker', 'live', 3, '[1]'],
      ['legacy-api', 'live', undefined, '[1]'],
    ]);
    expect(targets[2]).toEqual({ functionName: 'legacy-api', alias: 'live', payload: '[1]', invocations: 5, concurrency: 5 });
  });

  it('warms each function found on a capacity provider once', () => {
    const arn = (name: string, version: number) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}:${version}`;
    const targets = planTargets({ kind: 'capacity-provider', capacityProvider: 'orders-dev-cp' }, dev, {}, [
      arn('orders-dev-router', 1),
      arn('orders-dev-router', 2),
      arn('other', 3),
    ]);
    expect(targets.map((t) => [t.functionName, t.configName])).toEqual([
      ['orders-dev-router', 'router'],
      ['other', undefined],
    ]);
  });
});

describe('warmup report', () => {
  const fn = (overrides: Partial<FunctionReport>): FunctionReport => ({
    function: 'orders-dev-router',
    name: 'router',
    alias: 'live',
    version: '4',
    versions: [{ version: '4', weight: 1, state: 'Active' }],
    state: 'Active',
    ready: true,
    timeToReadyMs: 61_500,
    scaling: { minExecutionEnvironments: 1, maxExecutionEnvironments: 2 },
    scalingApplied: true,
    invocations: { requested: 5, succeeded: 5, failed: 0, retries: 0, executedVersions: { '4': 5 } },
    latencyMs: { p50: 12, p95: 40, max: 41 },
    errors: [],
    ...overrides,
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 0.95)).toBe(5);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
    expect(latencyFigures([])).toBeUndefined();
    expect(latencyFigures([10.04, 20, 30])).toEqual({ p50: 20, p95: 30, max: 30 });
  });

  it('renders a table and a Mermaid latency chart, and one failure line', () => {
    const report: WarmupReport = {
      environment: 'dev',
      ready: false,
      totalMs: 62_000,
      p95Ms: 40,
      functions: [
        fn({}),
        fn({
          function: 'orders-dev-worker',
          name: 'worker',
          versions: [
            { version: '7', weight: 0.9, state: 'Failed' },
            { version: '6', weight: 0.1, state: 'Active' },
          ],
          state: 'Failed',
          ready: false,
          scalingApplied: false,
          timeToReadyMs: undefined,
          latencyMs: undefined,
          invocations: { requested: 5, succeeded: 0, failed: 0, retries: 0, executedVersions: {} },
          errors: ['version 7 is Failed: InsufficientCapacity: no | room\nleft'],
        }),
      ],
    };
    const markdown = renderWarmupMarkdown(report);
    expect(markdown).toContain('### Capacity warmup: dev');
    expect(markdown).toContain(':x: 1 of 2 functions not ready (62.0 s).');
    expect(markdown).toContain('| `orders-dev-router` | live → 4 | Active | 61.5 s | 1–2 applied | 5/5 | 12 ms | 40 ms | 41 ms | — |  |');
    expect(markdown).toContain(
      '| `orders-dev-worker` | live → 7 (90%), 6 (10%) | Failed | — | 1–2 not applied | 0/5 | — | — | — | — | version 7 is Failed: InsufficientCapacity: no \\| room left |',
    );
    expect(markdown).toContain(
      [
        '```mermaid',
        'xychart-beta',
        '  title "Smoke-invoke latency per function (ms): bars p95, line p50"',
        '  x-axis ["router"]',
        '  y-axis "ms" 0 --> 46',
        '  bar [40]',
        '  line [12]',
        '```',
      ].join('\n'),
    );
    expect(failureMessage(report)).toBe(
      'warmup failed for 1 of 2 functions in dev: orders-dev-worker: version 7 is Failed: InsufficientCapacity: no | room\nleft',
    );
  });
});

describe('limiter', () => {
  it('runs at most N tasks at once, in order', async () => {
    const limit = limiter(3);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          order.push(i);
          await new Promise((resolve) => setTimeout(resolve, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('the Lambda port', () => {
  it('sends a scaling-config poll only once no other control-plane call waits for the quota', async () => {
    const sandbox = await startSandbox();
    const saved = { ...process.env };
    Object.assign(process.env, sandbox.env);
    try {
      seedLambdaFromConfig(sandbox.services.lambda, config);
      // Two control-plane calls a second: once the two GetAlias calls are at the limiter, one of them waits for its
      // token (half a second) when the poll is asked for; a third GetAlias is asked for right after the poll.
      const clients = createWarmupClients('eu-west-1', { controlPlane: 2 });
      const port = lambdaWarmupPort(clients);
      const aliases = [port.getAlias('orders-dev-router', 'live'), port.getAlias('orders-dev-worker', 'live')];
      await until(() => (clients.controlPlaneLimiter?.queued ?? 0) > 0, { everyMs: 1 });
      const poll = port.getScaling('orders-dev-router', '3', true);
      const third = port.getAlias('orders-qa-router', 'live');
      await Promise.all([...aliases, poll, third]);
      // Asked for before the third GetAlias, sent after it: the poll yields to calls waiting for the quota.
      const sent = sandbox.server.calls('lambda').map((call) => `${call.operation} ${lambdaFunctionOf(call.path)}`);
      expect(sent.slice(2)).toEqual(['GetAlias orders-qa-router', 'GetFunctionScalingConfig orders-dev-router']);
      expect(sent.slice(0, 2).sort()).toEqual(['GetAlias orders-dev-router', 'GetAlias orders-dev-worker']);
    } finally {
      process.env = saved;
      await sandbox.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// End to end: the bundles against the sandbox. Each test has its own sandbox, so they run concurrently.

/** Sandbox time runs 20× faster: a 10 s provisioning delay is half a second of test. */
const SPEED = 20;
const DEFAULT_LAMBDA: LambdaOptions = { provisioningDelayMs: 10_000, scalingConvergenceDelayMs: 6_000, invokeLatencyMs: 40 };
/**
 * Polls of one wait within a 2 s timeout: the first look, the SDK waiter's (at least 1 s apart) or the scaling
 * check's (1 s, doubling), and one last read. A run that waited for the version instead would poll for minutes.
 */
const MAX_POLLS_IN_2_S = 6;

async function sandboxWith(lambda: LambdaOptions = {}): Promise<GantrySandbox> {
  const sandbox = await startSandbox({ clockSpeed: SPEED, lambda: { ...DEFAULT_LAMBDA, ...lambda } });
  seedLambdaFromConfig(sandbox.services.lambda, config); // versions 1-3 Active, alias live → 3
  return sandbox;
}

interface DeployOptions {
  /** The new version ends Failed with this reason. */
  fail?: VersionFailure;
  /** Provisioning delay of this version (sandbox ms). */
  delayMs?: number;
  /** Weighted routing: this share stays on the previous version. */
  previousWeight?: number;
  alias?: string;
}

/** What a deploy does: new code, a new version (Pending), the alias moved to it. Returns the version. */
function deploy(lambda: LambdaService, functionName: string, options: DeployOptions = {}): string {
  const previous = lambda.state.currentAlias(lambda.state.function(functionName), options.alias ?? 'live')!.functionVersion;
  lambda.updateFunctionCode(functionName, `${functionName}@${Math.random()}`);
  if (options.fail !== undefined) lambda.failNextPublish(functionName, options.fail);
  const saved = lambda.options.provisioningDelayMs;
  if (options.delayMs !== undefined) lambda.options.provisioningDelayMs = options.delayMs;
  const { version } = lambda.publishVersion(functionName);
  lambda.options.provisioningDelayMs = saved;
  const weights = options.previousWeight === undefined ? {} : { [previous]: options.previousWeight };
  lambda.putAlias(functionName, options.alias ?? 'live', { functionVersion: version, weights }, { instant: true });
  return version;
}

/**
 * Answers GetFunction for `functionName` as the sandbox does, recording the state each answer gave; once the
 * warmup's waiter has seen the version Pending (its first poll, after the warmup's first look), the version turns
 * Active `afterMs` of sandbox time later. Nothing depends on when the polls happen.
 */
function activeAfterFirstPoll(sandbox: GantrySandbox, functionName: string, version: string, afterMs: number): string[] {
  const { lambda } = sandbox.services;
  const states: string[] = [];
  intercept(lambda, async (operation, request, answer) => {
    const response = await answer();
    if (operation !== 'GetFunction' || lambdaFunctionOf(request.path) !== functionName) return response;
    states.push((response.body as { Configuration?: { State?: string } }).Configuration?.State ?? '?');
    if (states.length === 2) lambda.state.function(functionName).versions.get(version)!.readyAt = sandbox.clock.now() + afterMs;
    return response;
  });
  return states;
}

function warmup(sandbox: GantrySandbox, inputs: Record<string, string>) {
  return runBundledAction('capacity-warmup', { config: EXAMPLE_CONFIG_FILE, ...inputs }, sandbox.env);
}

function report(outputs: Record<string, string>): WarmupReport {
  return JSON.parse(outputs.report!) as WarmupReport;
}

const byName = (r: WarmupReport, name: string) => r.functions.find((fn) => fn.function === name)!;
const scalingOf = (lambda: LambdaService, fn: string, version: string) => lambda.state.function(fn).versions.get(version)!.scaling?.requested;
const mutating = (sandbox: GantrySandbox) => sandbox.server.requests.filter((r) => r.operation === 'PutFunctionScalingConfig' || r.operation === 'Invoke');

describe.concurrent('capacity-warmup end to end (bundle against the sandbox)', () => {
  it('waits for Active, applies the scaling config, smoke-invokes each alias and reports', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      const { lambda } = sandbox.services;
      const events: unknown[] = [];
      lambda.setHandler('orders-dev-router', (event, { version }) => {
        events.push(event);
        return { version };
      });
      deploy(lambda, 'orders-dev-router', { delayMs: 3_600_000 });
      deploy(lambda, 'orders-dev-worker');
      // The router's version turns Active 20 s (sandbox) after the warmup's waiter first saw it Pending.
      const routerStates = activeAfterFirstPoll(sandbox, 'orders-dev-router', '4', 20_000);
      const result = await warmup(sandbox, { environment: 'dev', 'check-provider': 'true' });
      expect(result.stdout).not.toContain('::error::');
      expect(result.code).toBe(0);
      expect(result.outputs.ready).toBe('true');
      const r = report(result.outputs);
      expect(r).toMatchObject({ environment: 'dev', ready: true });
      const router = byName(r, 'orders-dev-router');
      expect(router).toMatchObject({
        name: 'router',
        alias: 'live',
        version: '4',
        versions: [
          {
            version: '4',
            weight: 1,
            state: 'Active',
            scaling: {
              requested: { minExecutionEnvironments: 1, maxExecutionEnvironments: 2 },
              applied: { minExecutionEnvironments: 1, maxExecutionEnvironments: 2 },
            },
          },
        ],
        state: 'Active',
        ready: true,
        scaling: { minExecutionEnvironments: 1, maxExecutionEnvironments: 2 },
        scalingApplied: true,
        invocations: { requested: 5, succeeded: 5, failed: 0, executedVersions: { '4': 5 } },
        capacityProvider: { arn: 'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:orders-dev-cp', state: 'Active' },
        errors: [],
      });
      // The warmup looked (Pending), its waiter polled (Pending) until a poll found the version Active, then stopped.
      expect(routerStates.length).toBeGreaterThanOrEqual(3);
      expect(routerStates.slice(0, -1).every((state) => state === 'Pending')).toBe(true);
      expect(routerStates.at(-1)).toBe('Active');
      // Time to ready covers that wait: at least the sandbox time from the waiter's first poll (after the
      // warmup's clock started) to the poll that found it Active, in real ms (the sandbox runs SPEED× faster).
      const routerPolls = sandbox.server.calls('lambda', 'GetFunction').filter((call) => lambdaFunctionOf(call.path) === 'orders-dev-router');
      expect(router.timeToReadyMs).toBeGreaterThanOrEqual(Math.floor((routerPolls.at(-1)!.at - routerPolls[1]!.at) / SPEED) - 2);
      expect(router.latencyMs!.max).toBeGreaterThanOrEqual(router.latencyMs!.p95);
      expect(byName(r, 'orders-dev-worker')).toMatchObject({ version: '4', ready: true, scaling: { maxExecutionEnvironments: 3 }, scalingApplied: true });
      expect(Number(result.outputs['p95-ms'])).toBe(r.p95Ms !== undefined ? Math.round(r.p95Ms) : NaN);
      // The payload from the config, sent to the alias.
      expect(events).toEqual(Array.from({ length: 5 }, () => ({ warmup: true })));
      expect(
        sandbox.server
          .calls('lambda', 'Invoke')
          .every((call) => call.path.endsWith('/orders-dev-router/invocations') || call.path.endsWith('/orders-dev-worker/invocations')),
      ).toBe(true);
      expect(sandbox.server.calls('lambda', 'Invoke').every((call) => call.status === 200)).toBe(true);
      // Scaling applied to the new version; one PutFunctionScalingConfig per version; the SDK waiter polls GetFunction.
      expect(scalingOf(lambda, 'orders-dev-router', '4')).toEqual({ MinExecutionEnvironments: 1, MaxExecutionEnvironments: 2 });
      expect(scalingOf(lambda, 'orders-dev-worker', '4')).toEqual({ MinExecutionEnvironments: 1, MaxExecutionEnvironments: 3 });
      expect(sandbox.server.calls('lambda', 'PutFunctionScalingConfig')).toHaveLength(2);
      // GetFunction: one look per version before anything changes, then the SDK waiter's polls.
      expect(sandbox.server.calls('lambda', 'GetFunction').length).toBeGreaterThan(2);
      expect(sandbox.server.calls('lambda', 'GetFunctionConfiguration')).toHaveLength(0);
      expect(sandbox.server.calls('lambda', 'GetCapacityProvider')).toHaveLength(1);
      // No smoke invocation of a function before its version was Active and scaled. (Per function: the warmup
      // orders each function's steps, not one function's steps against another's.)
      for (const name of ['orders-dev-router', 'orders-dev-worker']) {
        const calls = (operation: string) => sandbox.server.calls('lambda', operation).filter((call) => lambdaFunctionOf(call.path) === name);
        const firstInvoke = calls('Invoke')[0]!.seq;
        expect(calls('GetFunction').every((call) => call.seq < firstInvoke)).toBe(true);
        expect(calls('PutFunctionScalingConfig')).toHaveLength(1);
        expect(calls('PutFunctionScalingConfig')[0]!.seq).toBeLessThan(firstInvoke);
        expect(calls('GetFunctionScalingConfig').every((call) => call.seq < firstInvoke)).toBe(true);
      }
      expect(result.stdout).toMatch(/orders-dev-router: live → 4 Active after [\d.]+ s, scaling 1–2 applied, 5\/5 invocations, p50 \d+ ms p95 \d+ ms/);
      expect(result.summary).toContain(':white_check_mark: 2 of 2 functions ready');
      expect(result.summary).toContain('| `orders-dev-router` | live → 4 | Active |');
      expect(result.summary).toContain('```mermaid\nxychart-beta');
      expect(result.summary).toContain('x-axis ["router", "worker"]');

      // Run again: nothing left to change, so no PutFunctionScalingConfig.
      const again = await warmup(sandbox, { environment: 'dev', invocations: '1' });
      expect(again.code).toBe(0);
      expect(sandbox.server.calls('lambda', 'PutFunctionScalingConfig')).toHaveLength(2);
    } finally {
      await sandbox.stop();
    }
  });

  it('warms both versions of a weighted alias and invokes through the alias', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      const { lambda } = sandbox.services;
      deploy(lambda, 'orders-dev-router', { previousWeight: 0.3 });
      const result = await warmup(sandbox, { environment: 'dev', functions: 'router', invocations: '40', concurrency: '10' });
      expect(result.code).toBe(0);
      const router = byName(report(result.outputs), 'orders-dev-router');
      expect(router.versions.map((v) => [v.version, v.weight, v.state])).toEqual([
        ['4', 0.7, 'Active'],
        ['3', 0.3, 'Active'],
      ]);
      expect(Object.keys(router.invocations.executedVersions).sort()).toEqual(['3', '4']);
      expect(router.invocations.executedVersions['3']! + router.invocations.executedVersions['4']!).toBe(40);
      expect(scalingOf(lambda, 'orders-dev-router', '4')).toEqual({ MinExecutionEnvironments: 1, MaxExecutionEnvironments: 2 });
      expect(scalingOf(lambda, 'orders-dev-router', '3')).toEqual({ MinExecutionEnvironments: 1, MaxExecutionEnvironments: 2 });
      expect(result.summary).toContain('live → 4 (70%), 3 (30%)');
      // Only the function asked for.
      expect(sandbox.server.calls('lambda', 'Invoke')).toHaveLength(40);
    } finally {
      await sandbox.stop();
    }
  });

  it('fails a version that ends Failed with its reason, and still warms and reports the others', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      const { lambda } = sandbox.services;
      deploy(lambda, 'orders-dev-router', { fail: { reasonCode: 'InsufficientCapacity', reason: 'Not enough capacity on orders-dev-cp' } });
      deploy(lambda, 'orders-dev-worker');
      const result = await warmup(sandbox, { environment: 'dev', 'check-provider': 'true' });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        '::error::warmup failed for 1 of 2 functions in dev: orders-dev-router: version 4 is Failed: InsufficientCapacity: Not enough capacity on orders-dev-cp',
      );
      expect(result.outputs.ready).toBe('false');
      const r = report(result.outputs);
      expect(byName(r, 'orders-dev-router')).toMatchObject({
        state: 'Failed',
        ready: false,
        versions: [{ version: '4', state: 'Failed', stateReasonCode: 'InsufficientCapacity' }],
        capacityProvider: { state: 'Active' },
      });
      expect(byName(r, 'orders-dev-router').invocations.succeeded).toBe(0);
      expect(byName(r, 'orders-dev-worker')).toMatchObject({ ready: true, invocations: { succeeded: 5 } });
      expect(sandbox.server.calls('lambda', 'Invoke').every((call) => call.path.includes('orders-dev-worker'))).toBe(true);
      expect(result.summary).toContain(':x: 1 of 2 functions not ready');
      expect(result.outputs['p95-ms']).toMatch(/^\d+$/);
    } finally {
      await sandbox.stop();
    }
  });

  it('gives up after the timeout with what it saw: a version still Pending, a scaling config not applied', async ({ expect }) => {
    const sandbox = await sandboxWith({ scalingConvergenceDelayMs: 3_600_000 });
    try {
      const { lambda } = sandbox.services;
      const version = deploy(lambda, 'orders-dev-worker', { delayMs: 3_600_000 });
      const result = await warmup(sandbox, { environment: 'dev', 'timeout-seconds': '2' });
      // It gave up at its timeout, not when the version turned Active (an hour of sandbox time, 3 minutes real):
      // the version and the scaling config are as they were, and the waits polled a few times, then stopped.
      const worker = lambda.state.function('orders-dev-worker');
      expect(lambda.state.versionState(worker.versions.get(version)!).State).toBe('Pending');
      expect(lambda.state.appliedScaling(lambda.state.function('orders-dev-router').versions.get('3')!)).toBeUndefined();
      const polls = (operation: string, name: string) =>
        sandbox.server.calls('lambda', operation).filter((call) => lambdaFunctionOf(call.path) === name).length;
      expect(polls('GetFunction', 'orders-dev-worker')).toBeLessThanOrEqual(MAX_POLLS_IN_2_S);
      expect(polls('GetFunctionScalingConfig', 'orders-dev-router')).toBeLessThanOrEqual(MAX_POLLS_IN_2_S);
      expect(result.code).toBe(1);
      const r = report(result.outputs);
      expect(byName(r, 'orders-dev-worker').errors).toEqual([
        'version 4 did not become Active within 2 s: last seen Pending (Creating: The function is being created.)',
      ]);
      expect(byName(r, 'orders-dev-worker').state).toBe('Pending');
      expect(byName(r, 'orders-dev-router').errors).toEqual(['scaling config of version 3 not applied within 2 s: requested min 1 max 2, applied none']);
      expect(byName(r, 'orders-dev-router').scalingApplied).toBe(false);
      expect(result.stdout).toContain('::error::warmup failed for 2 of 2 functions in dev:');
      expect(sandbox.server.calls('lambda', 'Invoke')).toHaveLength(0);
    } finally {
      await sandbox.stop();
    }
  });

  it('stops waiting and fails at once when the workflow is cancelled', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      deploy(sandbox.services.lambda, 'orders-dev-router', { delayMs: 3_600_000 });
      // The waiter's first poll of the router is held unanswered; the workflow is cancelled meanwhile. "At once":
      // the warmup reports the failure while that poll is still unanswered, without waiting for it.
      let started: StartedAction | undefined;
      let stdout = '';
      let reportedWhileHeld: boolean | undefined;
      let routerLooks = 0;
      intercept(sandbox.services.lambda, async (operation, request, answer) => {
        if (operation === 'GetFunction' && lambdaFunctionOf(request.path) === 'orders-dev-router' && ++routerLooks === 2) {
          started!.child.kill('SIGINT');
          reportedWhileHeld = await until(() => stdout.includes('::error::'), { giveUpMs: 30_000 });
        }
        return answer();
      });
      started = await startBundledAction('capacity-warmup', { config: EXAMPLE_CONFIG_FILE, environment: 'dev' }, sandbox.env);
      started.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const result = await started.result;
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('::error::workflow cancelled (SIGINT)');
      expect(reportedWhileHeld).toBe(true);
      // Nothing more for the router after the held poll: no further poll, no scaling change, no invocation. While it
      // waited for Active the warmup may have read its scaling config (a read, sent or not before the cancel).
      const router = sandbox.server.requests
        .filter((call) => call.service === 'lambda' && lambdaFunctionOf(call.path) === 'orders-dev-router')
        .map((call) => call.operation);
      expect(router.slice(0, 2)).toEqual(['GetAlias', 'GetFunction']);
      expect(router.slice(2).filter((operation) => operation !== 'GetFunctionScalingConfig')).toEqual(['GetFunction']);
      expect(router.filter((operation) => operation === 'GetFunctionScalingConfig').length).toBeLessThanOrEqual(1);
      expect(sandbox.server.calls('lambda', 'Invoke').filter((call) => lambdaFunctionOf(call.path) === 'orders-dev-router')).toHaveLength(0);
    } finally {
      await sandbox.stop();
    }
  });

  it('fails a function whose smoke invocations return a FunctionError', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      const { lambda } = sandbox.services;
      let calls = 0;
      lambda.setHandler('orders-dev-worker', () => {
        if (++calls % 2 === 1) throw new TypeError('cannot read the queue');
        return 'ok';
      });
      const result = await warmup(sandbox, { environment: 'dev', concurrency: '1' });
      expect(result.code).toBe(1);
      const worker = byName(report(result.outputs), 'orders-dev-worker');
      expect(worker).toMatchObject({ ready: false, state: 'Active', scalingApplied: true, invocations: { requested: 5, succeeded: 2, failed: 3 } });
      expect(worker.errors).toEqual(['3 of 5 invocations of live failed: Unhandled: TypeError: cannot read the queue (×3)']);
      expect(byName(report(result.outputs), 'orders-dev-router').ready).toBe(true);
    } finally {
      await sandbox.stop();
    }
  });

  it('rides out throttled invokes and control-plane calls through the SDK retry strategy', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      const { lambda } = sandbox.services;
      deploy(lambda, 'orders-dev-router');
      sandbox.faults.add({ service: 'lambda', operation: 'Invoke', kind: 'throttle', times: 2 });
      sandbox.faults.add({ service: 'lambda', operation: 'GetAlias', kind: 'throttle', times: 1 });
      sandbox.faults.add({ service: 'lambda', operation: 'PutFunctionScalingConfig', kind: 'throttle', times: 1 });
      sandbox.faults.add({ service: 'lambda', operation: 'GetFunctionScalingConfig', kind: 'server-error', status: 503, times: 2 });
      sandbox.faults.add({ service: 'lambda', operation: 'GetFunction', kind: 'reset', times: 1 });
      const result = await warmup(sandbox, { environment: 'dev' });
      expect(result.stdout).not.toContain('::error::');
      expect(result.code).toBe(0);
      const r = report(result.outputs);
      expect(r.functions.map((fn) => fn.invocations.succeeded)).toEqual([5, 5]);
      expect(r.functions.reduce((sum, fn) => sum + fn.invocations.retries, 0)).toBe(2);
      expect(sandbox.server.calls('lambda', 'Invoke').filter((call) => call.status === 429)).toHaveLength(2);
      expect(sandbox.server.calls('lambda', 'GetAlias').filter((call) => call.status === 429)).toHaveLength(1);
      expect(sandbox.server.calls('lambda', 'PutFunctionScalingConfig').map((call) => call.status)).toEqual(expect.arrayContaining([429, 202]));
    } finally {
      await sandbox.stop();
    }
  });

  it('warms every function on a capacity provider, and leaves the scaling of one the config does not declare', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      const { lambda } = sandbox.services;
      const provider = lambda.state.capacityProvider('orders-qa-cp');
      lambda.createFunction({ name: 'qa-extra', capacityProvider: { CapacityProviderArn: provider.arn }, code: 'extra' });
      const { version } = lambda.publishVersion('qa-extra', { instant: true });
      lambda.putAlias('qa-extra', 'live', { functionVersion: version }, { instant: true });
      deploy(lambda, 'orders-qa-router');
      const result = await warmup(sandbox, { environment: 'qa', 'capacity-provider': 'orders-qa-cp', invocations: '2' });
      expect(result.code).toBe(0);
      const r = report(result.outputs);
      expect(r.functions.map((fn) => [fn.function, fn.version, fn.scaling?.maxExecutionEnvironments, fn.scalingApplied])).toEqual([
        ['orders-qa-router', '4', 2, true],
        ['orders-qa-worker', '3', 3, true],
        ['qa-extra', '1', undefined, undefined],
      ]);
      expect(scalingOf(lambda, 'qa-extra', '1')).toBeUndefined();
      expect(result.summary).toContain('not configured');
    } finally {
      await sandbox.stop();
    }
  });

  it.for([
    [{ functions: 'nope' }, 'input "functions": nope:live: Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope'],
    [
      { functions: 'router:nope, worker' },
      'input "functions": orders-dev-router:nope: Alias not found: arn:aws:lambda:eu-west-1:123456789012:function:orders-dev-router:nope',
    ],
    [{ 'capacity-provider': 'nope' }, 'input "capacity-provider": "nope" is not a capacity provider in eu-west-1: Capacity provider not found'],
    [{ functions: 'plain' }, 'input "functions": plain version 1 is not on a capacity provider; warmup is for Lambda Managed Instances functions'],
    [{ environment: 'prod' }, 'input "environment": orders-prod-worker:live: Function not found'],
    [{ payload: '{not json' }, 'input "payload": must be valid JSON ('],
    [{ invocations: '0' }, 'input "invocations": must be a whole number from 1 to 1000, got 0'],
    [{ concurrency: '500' }, 'input "concurrency": must be a whole number from 1 to 100, got 500'],
    [{ environment: 'stage' }, 'input "environment": "stage" is not an environment in'],
  ] as [Record<string, string>, string][])('refuses %j with a clear error before changing anything', async ([inputs, message], { expect }) => {
    const sandbox = await sandboxWith();
    try {
      const { lambda } = sandbox.services;
      lambda.createFunction({ name: 'plain', code: 'plain' });
      lambda.putAlias('plain', 'live', { functionVersion: lambda.publishVersion('plain', { instant: true }).version }, { instant: true });
      lambda.state.deleteFunction('orders-prod-worker');
      const result = await warmup(sandbox, { environment: 'dev', ...inputs });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`::error::${message}`);
      expect(mutating(sandbox)).toHaveLength(0);
      if ('payload' in inputs || 'invocations' in inputs || 'concurrency' in inputs || inputs.environment === 'stage')
        expect(sandbox.server.requests).toHaveLength(0);
    } finally {
      await sandbox.stop();
    }
  });
});

describe.concurrent('gantry warmup (CLI bundle against the sandbox)', () => {
  it('prints the JSON report and exits 0 when every function is ready', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      deploy(sandbox.services.lambda, 'orders-qa-worker', { previousWeight: 0.5 });
      const result = await runCliBundle(
        [
          'warmup',
          '--environment',
          'qa',
          '--config',
          EXAMPLE_CONFIG_FILE,
          '--functions',
          'worker',
          '--invocations',
          '3',
          '--payload',
          '{"smoke":1}',
          '--check-provider',
        ],
        sandbox.env,
      );
      expect(result.stderr).not.toContain('error:');
      expect(result.code).toBe(0);
      const r = JSON.parse(result.stdout) as WarmupReport;
      expect(r).toMatchObject({ environment: 'qa', ready: true });
      expect(r.functions).toHaveLength(1);
      expect(r.functions[0]).toMatchObject({
        function: 'orders-qa-worker',
        versions: [
          { version: '4', weight: 0.5 },
          { version: '3', weight: 0.5 },
        ],
        invocations: { succeeded: 3 },
        capacityProvider: { state: 'Active' },
      });
      expect(result.stderr).toContain('orders-qa-worker: live → 4 (50%), 3 (50%) Active after');
    } finally {
      await sandbox.stop();
    }
  });

  it('exits 1 with the report on stdout and the failure on stderr, or 2 with the one-line input error', async ({ expect }) => {
    const sandbox = await sandboxWith();
    try {
      deploy(sandbox.services.lambda, 'orders-qa-router', { fail: { reasonCode: 'VcpuLimitExceeded', reason: 'The account vCPU limit is reached' } });
      const failed = await runCliBundle(['warmup', '--environment', 'qa', '--config', EXAMPLE_CONFIG_FILE], sandbox.env);
      expect(failed.code).toBe(1);
      expect((JSON.parse(failed.stdout) as WarmupReport).ready).toBe(false);
      expect(failed.stderr).toContain(
        'error: warmup failed for 1 of 2 functions in qa: orders-qa-router: version 4 is Failed: VcpuLimitExceeded: The account vCPU limit is reached',
      );

      const bad = await runCliBundle(['warmup', '--environment', 'qa', '--config', EXAMPLE_CONFIG_FILE, '--invocations', '0'], sandbox.env);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim()).toBe('error: option --invocations: must be a whole number from 1 to 1000, got 0');
    } finally {
      await sandbox.stop();
    }
  });
});
