/**
 * traffic-shift against the sandbox: Lambda (weighted alias routing, RevisionId) and CloudWatch (alarms fed by the
 * sandbox's own invocations), with the real SDK clients.
 *
 * Most runs are in-process on the sandbox clock, 60 times faster than real time, as the CodeBuild follower's
 * tests run theirs: the shift's schedule (steps, bake, poll interval, the alarms' periods) is in sandbox time, so
 * a 2-minute canary takes 2 s. Where a test needs an instant to hold (an alarm to fire at 10%, an alias changed
 * between two steps) it holds the sandbox clock still (controlClock) and waits for the state it needs (until),
 * never for a duration. The committed bundle runs too: a complete shift, a cancelled one, an interrupted one.
 *
 * The guarding alarms are created the way terraform creates them (applyGuardAlarms: from guardAlarms and
 * guardAlarmDimensions, the same definitions), with ExecutedVersion the new version, before each shift.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { SANDBOX_REGION } from '../scripts/sandbox/frame.js';
import type { LambdaService } from '../scripts/sandbox/lambda/service.js';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { applyGuardAlarms, seedLambdaFromConfig } from '../scripts/sandbox/seed-config.js';
import { awsClientConfig } from '../src/aws/clients.js';
import { type EnvironmentConfig, type GantryConfig, parseConfig } from '../src/config/load.js';
import { cliInputSource } from '../src/inputs.js';
import { MemoryLogger } from '../src/logger.js';
import { shiftPort } from '../src/shift/adapter.js';
import type { ResumeMode } from '../src/shift/plan.js';
import type { ShiftReport } from '../src/shift/report.js';
import { runShift } from '../src/shift/run.js';
import { shiftRun } from '../src/traffic-shift.js';
import { EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';
import { runBundledAction, runCliBundle, startBundledAction } from './helpers/run-bundle.js';
import { type ClockControl, controlClock, intercept, lambdaFunctionOf, until } from './helpers/sandbox-control.js';

const SPEED = 60;
const MINUTE = 60_000;
const ROUTER = 'orders-qa-router';
const WORKER = 'orders-qa-worker';

/** qa's rollout, shortened: a 10% canary for 2 minutes, then 100% baked 1 minute. */
const CANARY = exampleWith(
  '    prune: { keep: 5 }',
  '    prune: { keep: 5 }\n    rollout: { strategy: { canary: { percent: 10, minutes: 2 } }, bakeMinutes: 1 }',
);
const canaryConfig = parseConfig(CANARY, EXAMPLE_CONFIG_FILE);

/** The sandbox with every environment of the config seeded (versions 1–3, alias live → 3). */
async function sandboxFor(config: GantryConfig, clockSpeed = SPEED): Promise<GantrySandbox> {
  const sandbox = await startSandbox({ clockSpeed, lambda: { invokeLatencyMs: 5 } });
  seedLambdaFromConfig(sandbox.services.lambda, config);
  return sandbox;
}

/**
 * What an apply does with a canary or linear rollout: new code, a new version published, the alias left where it
 * is, and the guarding alarms pointed at the new version.
 */
function deploy(sandbox: GantrySandbox, environment: EnvironmentConfig, only?: string[]): void {
  const { lambda, cloudwatch } = sandbox.services;
  for (const fn of environment.functions) {
    if (only !== undefined && !only.includes(fn.functionName)) continue;
    lambda.updateFunctionCode(fn.functionName, `${fn.functionName}@${Math.random()}`);
    const { version } = lambda.publishVersion(fn.functionName, { instant: true });
    applyGuardAlarms(cloudwatch, environment, fn, version);
  }
}

const clientConfig = (sandbox: GantrySandbox) => ({
  ...awsClientConfig({ region: SANDBOX_REGION }),
  endpoint: sandbox.url,
  credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
});

interface ShiftOptions {
  environment?: string;
  resume?: ResumeMode;
  signal?: AbortSignal;
  /** Sandbox ms between two reads of the alarms. */
  pollMs?: number;
}

/** One traffic shift in this process, on the sandbox clock, with the real SDK clients. */
async function shift(sandbox: GantrySandbox, config: GantryConfig, options: ShiftOptions = {}): Promise<{ report: ShiftReport; logger: MemoryLogger }> {
  const environment = config.environments.get(options.environment ?? 'qa')!;
  const run = shiftRun(
    {
      target: { configFile: EXAMPLE_CONFIG_FILE, environment: environment.name },
      functions: [],
      resume: options.resume ?? 'continue',
      pollMs: options.pollMs ?? 10_000,
    },
    environment,
    cliInputSource({}),
  );
  const client = clientConfig(sandbox);
  const port = shiftPort({
    lambda: { controlPlane: new LambdaClient(client), getFunction: new LambdaClient(client), invoke: new LambdaClient(client) },
    cloudwatch: new CloudWatchClient(client),
  });
  const logger = new MemoryLogger();
  const report = await runShift(run, { port, clock: sandbox.clock, logger, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  return { report, logger };
}

const aliasOf = (lambda: LambdaService, fn: string) => lambda.state.currentAlias(lambda.state.function(fn), 'live')!;
const routing = (lambda: LambdaService, fn: string) => {
  const alias = aliasOf(lambda, fn);
  return { primary: alias.functionVersion, weights: alias.weights };
};
/** UpdateAlias requests of a function, in order. */
const aliasWrites = (sandbox: GantrySandbox, fn: string) => sandbox.server.calls('lambda', 'UpdateAlias').filter((call) => lambdaFunctionOf(call.path) === fn);

interface AliasWrite {
  fn: string;
  body: { FunctionVersion: string; RoutingConfig?: { AdditionalVersionWeights: Record<string, number> }; RevisionId?: string };
}

/** Records the body of every UpdateAlias: the routing written and the RevisionId it carried. */
function recordAliasWrites(sandbox: GantrySandbox): AliasWrite[] {
  const writes: AliasWrite[] = [];
  intercept(sandbox.services.lambda, async (operation, request, answer) => {
    if (operation === 'UpdateAlias') writes.push({ fn: lambdaFunctionOf(request.path), body: JSON.parse(request.body.toString('utf8')) as AliasWrite['body'] });
    return answer();
  });
  return writes;
}

/**
 * Holds the sandbox clock still the moment Lambda answers an UpdateAlias that `matches`: the shift takes the time
 * of its write from the frozen clock, so the step just written stays held, however busy the machine is, until the
 * test lets time run again.
 */
function freezeWhenWritten(sandbox: GantrySandbox, clock: ClockControl, matches: (write: AliasWrite) => boolean): void {
  intercept(sandbox.services.lambda, async (operation, request, answer) => {
    const response = await answer();
    const write = { fn: lambdaFunctionOf(request.path), body: JSON.parse(request.body.toString('utf8') || '{}') as AliasWrite['body'] };
    if (operation === 'UpdateAlias' && response.status === 200 && matches(write)) clock.freeze();
    return response;
  });
}
const shifted = (fn: string, percent: number) => (write: AliasWrite) =>
  write.fn === fn && (percent === 100 ? write.body.FunctionVersion === '4' : write.body.RoutingConfig?.AdditionalVersionWeights['4'] === percent / 100);

/** Invokes the alias as users do; returns the version each invocation ran. */
async function userTraffic(sandbox: GantrySandbox, fn: string, count: number): Promise<string[]> {
  const client = new LambdaClient({ ...clientConfig(sandbox), maxAttempts: 1 });
  const versions: string[] = [];
  for (let index = 0; index < count; index++) {
    const response = await client.send(
      new InvokeCommand({ FunctionName: fn, Qualifier: 'live', Payload: new TextEncoder().encode(JSON.stringify({ user: index })) }),
    );
    versions.push(response.ExecutedVersion ?? '?');
  }
  return versions;
}

const decisionsOf = (report: ShiftReport, fn: string) => report.functions.find((entry) => entry.function === fn)!.decisions.map((d) => [d.decision, d.percent]);

describe.concurrent('traffic-shift against the sandbox', () => {
  it('canary: 10% held its time and the alarms’ window, then 100% baked, no weights left; every write with the RevisionId it read', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      const writes = recordAliasWrites(sandbox);
      const { report, logger } = await shift(sandbox, canaryConfig);
      expect(report.outcome).toBe('complete');
      expect(report.reason).toBeUndefined();
      const { lambda } = sandbox.services;
      for (const fn of [ROUTER, WORKER]) {
        expect(routing(lambda, fn)).toEqual({ primary: '4', weights: {} });
        expect(decisionsOf(report, fn)).toEqual([
          ['shift', 10],
          ['pass', 10],
          ['shift', 100],
          ['pass', 100],
          ['complete', 100],
        ]);
        // Step 1 was held at least its 2 minutes before step 2 was written (sandbox time, as the requests arrived).
        const [first, second] = aliasWrites(sandbox, fn);
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(2 * MINUTE);
      }
      expect(report.functions.map((fn) => [fn.function, fn.stable, fn.version, fn.stepReached, fn.outcome])).toEqual([
        [ROUTER, '3', '4', 2, 'complete'],
        [WORKER, '3', '4', 2, 'complete'],
      ]);
      // Smoke invocations of the new version by number, before each write and after the bake: 3 × 5 per function.
      expect(report.functions.map((fn) => fn.smoke)).toEqual([
        { invocations: 15, failed: 0 },
        { invocations: 15, failed: 0 },
      ]);
      // Each write names the version and carries the RevisionId of the alias as gantry last read or wrote it.
      const routerWrites = writes.filter((write) => write.fn === ROUTER).map((write) => write.body);
      expect(routerWrites.map((body) => [body.FunctionVersion, body.RoutingConfig])).toEqual([
        ['3', { AdditionalVersionWeights: { '4': 0.1 } }],
        ['4', { AdditionalVersionWeights: {} }],
      ]);
      expect(routerWrites.every((body) => typeof body.RevisionId === 'string' && body.RevisionId !== '')).toBe(true);
      expect(routerWrites[0]!.RevisionId).not.toBe(routerWrites[1]!.RevisionId);
      // The alarms were read between the steps; nothing is left in ALARM.
      expect(sandbox.server.calls('cloudwatch', 'DescribeAlarms').length).toBeGreaterThanOrEqual(3);
      expect(logger.lines).toContain('orders-qa-router: live → 4, shift complete');
    } finally {
      await sandbox.stop();
    }
  });

  it('linear: +25% every minute, each step held until the alarms (3 periods of 60 s) can speak for it', async ({ expect }) => {
    const config = parseConfig(
      exampleWith(
        '    prune: { keep: 5 }',
        '    prune: { keep: 5 }\n    rollout: { strategy: { linear: { percent: 25, everyMinutes: 1 } }, bakeMinutes: 0, alarms: { evaluationPeriods: 3 } }',
      ),
      EXAMPLE_CONFIG_FILE,
    );
    // 13 minutes of sandbox time: 240 times faster than real time, so about 3 s.
    const sandbox = await sandboxFor(config, 4 * SPEED);
    try {
      deploy(sandbox, config.environments.get('qa')!);
      const writes = recordAliasWrites(sandbox);
      const { report } = await shift(sandbox, config);
      expect(report.outcome).toBe('complete');
      expect(routing(sandbox.services.lambda, ROUTER)).toEqual({ primary: '4', weights: {} });
      expect(writes.filter((write) => write.fn === ROUTER).map((write) => write.body.RoutingConfig?.AdditionalVersionWeights)).toEqual([
        { '4': 0.25 },
        { '4': 0.5 },
        { '4': 0.75 },
        {},
      ]);
      // A 1-minute step is held 3 minutes: the guarding alarms evaluate 3 periods of 60 s.
      const at = aliasWrites(sandbox, ROUTER).map((call) => call.at);
      for (let index = 1; index < at.length; index++) expect(at[index]! - at[index - 1]!).toBeGreaterThanOrEqual(3 * MINUTE);
      const router = report.functions.find((fn) => fn.function === ROUTER)!;
      expect(router.decisions.find((d) => d.decision === 'shift')!.detail).toBe("25% to version 4; hold 1 min (the alarms' window: 3 min)");
      expect(router.steps).toEqual([25, 50, 75, 100]);
    } finally {
      await sandbox.stop();
    }
  });

  it('rolls back at once when a guarding alarm fires on the users’ traffic at 10%, naming the alarm and the step', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda, cloudwatch } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      // Version 4 of the router answers the smoke invocations but fails its users.
      lambda.setHandler(ROUTER, (event, { version }) => {
        if (version === '4' && (event as { user?: number }).user !== undefined) throw new Error('orders table not found');
        return { version };
      });
      const clock = controlClock(sandbox.clock);
      freezeWhenWritten(sandbox, clock, shifted(ROUTER, 10));
      const running = shift(sandbox, canaryConfig);
      expect(await until(() => routing(lambda, ROUTER).weights['4'] === 0.1)).toBe(true);
      const ran = await userTraffic(sandbox, ROUTER, 100);
      expect(ran.filter((version) => version === '4').length).toBeGreaterThan(0);
      // The minute's datapoints are evaluated when it ends: the errors alarm goes to ALARM, the shift sees it.
      clock.advance(2 * MINUTE);
      const { report } = await running;
      expect(cloudwatch.alarm('orders-qa-router-shift-errors')!.StateValue).toBe('ALARM');
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toMatch(/^alarm orders-qa-router-shift-errors is ALARM at step 1 of 2 of orders-qa-router \(10% on version 4\): Threshold Crossed/);
      // Both functions are one release: both back on version 3, nothing left weighted.
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: {} });
      expect(routing(lambda, WORKER)).toEqual({ primary: '3', weights: {} });
      expect(aliasWrites(sandbox, ROUTER)).toHaveLength(2);
      expect(decisionsOf(report, ROUTER)).toEqual([
        ['shift', 10],
        ['roll back', 0],
      ]);
      expect(report.functions.map((fn) => [fn.function, fn.stepReached, fn.outcome])).toEqual([
        [ROUTER, 1, 'rolled-back'],
        [WORKER, 1, 'rolled-back'],
      ]);
      // The rollback followed the ALARM without another step: no write of 100% ever happened.
      expect(sandbox.server.calls('lambda', 'UpdateAlias').every((call) => call.status === 200)).toBe(true);
    } finally {
      await sandbox.stop();
    }
  });

  it('rolls back from 100% when an alarm fires during the bake', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda, cloudwatch } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      const clock = controlClock(sandbox.clock);
      freezeWhenWritten(sandbox, clock, shifted(WORKER, 100));
      const running = shift(sandbox, canaryConfig);
      expect(await until(() => routing(lambda, WORKER).primary === '4')).toBe(true);
      cloudwatch.setAlarmState('orders-qa-worker-shift-throttles', 'ALARM', 'Threshold Crossed: 3 throttled invocations');
      const { report } = await running;
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toBe(
        'alarm orders-qa-worker-shift-throttles is ALARM at step 2 of 2 of orders-qa-worker (100% on version 4): Threshold Crossed: 3 throttled invocations',
      );
      expect(routing(lambda, WORKER)).toEqual({ primary: '3', weights: {} });
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: {} });
    } finally {
      await sandbox.stop();
    }
  });

  it('rolls back when a smoke invocation of the new version fails between two steps, before any more traffic moves', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      let broken = false;
      lambda.setHandler(WORKER, (_event, { version }) => {
        if (broken && version === '4') throw new TypeError('queue URL is undefined');
        return { version };
      });
      const clock = controlClock(sandbox.clock);
      freezeWhenWritten(sandbox, clock, shifted(WORKER, 10));
      const running = shift(sandbox, canaryConfig);
      expect(await until(() => routing(lambda, WORKER).weights['4'] === 0.1)).toBe(true);
      broken = true;
      clock.resume();
      const { report } = await running;
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toBe(
        'smoke invocations of orders-qa-worker version 4 failed after step 1 of 2 of orders-qa-worker (10% on version 4): 5 of 5 invocations of 4 failed: Unhandled: TypeError: queue URL is undefined (×5)',
      );
      expect(routing(lambda, WORKER)).toEqual({ primary: '3', weights: {} });
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: {} });
      // 10%, then the rollback: never 100%.
      expect(aliasWrites(sandbox, WORKER)).toHaveLength(2);
      const worker = report.functions.find((fn) => fn.function === WORKER)!;
      expect(worker.smoke).toEqual({ invocations: 10, failed: 5 });
      expect(worker.timeline.map((point) => [point.percent, point.errors])).toEqual([
        [0, 0],
        [10, 0],
        [10, 5],
        [0, 0],
      ]);
    } finally {
      await sandbox.stop();
    }
  });

  it('changes nothing when the new version fails its smoke invocations before the first step', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!, [ROUTER]);
      lambda.setHandler(ROUTER, (_event, { version }) => {
        if (version === '4') throw new Error('boom');
        return { version };
      });
      const { report } = await shift(sandbox, canaryConfig);
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toContain('smoke invocations of orders-qa-router version 4 failed before step 1 of 2: 5 of 5 invocations of 4 failed');
      expect(sandbox.server.calls('lambda', 'UpdateAlias')).toHaveLength(0);
      expect(report.functions.map((fn) => [fn.function, fn.outcome])).toEqual([
        [ROUTER, 'not-started'],
        [WORKER, 'already-complete'],
      ]);
    } finally {
      await sandbox.stop();
    }
  });

  it('a cancelled run rolls back before it returns', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      const cancel = new AbortController();
      freezeWhenWritten(sandbox, controlClock(sandbox.clock), (write) => shifted(ROUTER, 10)(write) || shifted(WORKER, 10)(write));
      const running = shift(sandbox, canaryConfig, { signal: cancel.signal });
      expect(await until(() => routing(lambda, ROUTER).weights['4'] === 0.1 && routing(lambda, WORKER).weights['4'] === 0.1)).toBe(true);
      cancel.abort(new Error('workflow cancelled (SIGINT)'));
      const { report } = await running;
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toBe(
        'workflow cancelled (SIGINT) at step 1 of 2 of orders-qa-router (10% on version 4), step 1 of 2 of orders-qa-worker (10% on version 4)',
      );
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: {} });
      expect(routing(lambda, WORKER)).toEqual({ primary: '3', weights: {} });
    } finally {
      await sandbox.stop();
    }
  });

  it('stops, leaving the alias as it is, when someone else changes it during the shift (RevisionId); rolls the others back', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      const clock = controlClock(sandbox.clock);
      freezeWhenWritten(sandbox, clock, shifted(ROUTER, 10));
      const running = shift(sandbox, canaryConfig);
      expect(await until(() => routing(lambda, ROUTER).weights['4'] === 0.1)).toBe(true);
      // An operator moves the router back by hand while the canary is held.
      lambda.putAlias(ROUTER, 'live', { functionVersion: '3', weights: { '2': 0.5 } }, { instant: true });
      clock.resume();
      const { report } = await running;
      expect(report.outcome).toBe('stopped');
      expect(report.reason).toBe(
        'orders-qa-router:live was changed by someone else at step 1 of 2 of orders-qa-router (10% on version 4) (its RevisionId is not the one gantry last saw); it now routes 3 (50%), 2 (50%); gantry left it as it is',
      );
      // The operator's routing stands; the worker went back to 3.
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: { '2': 0.5 } });
      expect(routing(lambda, WORKER)).toEqual({ primary: '3', weights: {} });
      const refused = aliasWrites(sandbox, ROUTER).filter((call) => call.status === 412);
      expect(refused).toHaveLength(1);
      expect(report.functions.map((fn) => [fn.function, fn.outcome])).toEqual([
        [ROUTER, 'stopped'],
        [WORKER, 'rolled-back'],
      ]);
    } finally {
      await sandbox.stop();
    }
  });

  it('refuses, changing nothing, when an alarm is missing, watches another version, or is in ALARM already', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { cloudwatch } = sandbox.services;
      const qa = canaryConfig.environments.get('qa')!;
      deploy(sandbox, qa);
      // Held still: an alarm set by SetAlarmState keeps its state until the next evaluation.
      controlClock(sandbox.clock).freeze();
      cloudwatch.setAlarmState('orders-qa-router-shift-errors', 'ALARM', 'Threshold Crossed: 2 errors');
      deploy(sandbox, qa, [WORKER]); // version 5 of the worker, and its alarms point at 5 ...
      sandbox.services.lambda.updateFunctionCode(WORKER, 'manual');
      sandbox.services.lambda.publishVersion(WORKER, { instant: true }); // ... but 6 was published by hand
      await expect(shift(sandbox, canaryConfig)).rejects.toThrow(
        'nothing was changed: orders-qa-router: alarm orders-qa-router-shift-errors is already ALARM (Threshold Crossed: 2 errors): wait until it is OK, or fix what it reports; orders-qa-worker: alarm orders-qa-worker-shift-errors watches version 5, not 6: apply the stack that published version 6 first',
      );
      expect(sandbox.server.calls('lambda', 'UpdateAlias')).toHaveLength(0);
      expect(sandbox.server.calls('lambda', 'Invoke')).toHaveLength(0);
    } finally {
      await sandbox.stop();
    }
  });

  it('refuses an alias routed by someone else, and a function that does not exist, before anything changes', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      lambda.putAlias(ROUTER, 'live', { functionVersion: '3', weights: { '2': 0.2 } }, { instant: true });
      await expect(shift(sandbox, canaryConfig)).rejects.toThrow(
        'nothing was changed: orders-qa-router:live routes 3 (80%), 2 (20%): weight on version 2, not on 4, the version to shift to; finish or undo that routing (aws lambda update-alias) and run again',
      );
      lambda.state.deleteFunction(WORKER);
      await expect(shift(sandbox, canaryConfig)).rejects.toThrow(/^option --environment: orders-qa-worker:live: Function not found/);
      expect(sandbox.server.calls('lambda', 'UpdateAlias')).toHaveLength(0);
    } finally {
      await sandbox.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// The committed bundle, as GitHub's runner runs it. Cross-process: the sandbox runs at real speed.

/** A checkout holding the config: its path for the `config` input, and the environment that makes it the workspace. */
function workspaceWith(text: string): { config: string; env: { GITHUB_WORKSPACE: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-shift-'));
  writeFileSync(join(dir, 'gantry.yml'), text);
  return { config: join(dir, 'gantry.yml'), env: { GITHUB_WORKSPACE: dir } };
}

describe.concurrent('traffic-shift bundle against the sandbox', () => {
  it('leaves an environment deployed all at once to terraform: reads and writes no alias, outcome complete', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig, 1);
    try {
      const dev = canaryConfig.environments.get('dev')!;
      deploy(sandbox, dev, ['orders-dev-router']);
      const workspace = workspaceWith(CANARY);
      const result = await runBundledAction('traffic-shift', { environment: 'dev', config: workspace.config }, { ...sandbox.env, ...workspace.env });
      expect(result.stdout).not.toContain('::error::');
      expect(result.code).toBe(0);
      expect(result.outputs.outcome).toBe('complete');
      expect(result.outputs['rollback-reason']).toBe('');
      expect(JSON.parse(result.outputs.steps!)).toEqual([]);
      expect(result.stdout).toContain('orders-dev-router, orders-dev-worker: rollout all-at-once in dev; terraform moved the alias on apply, nothing to shift');
      // The apply moves an all-at-once alias; the dev roles may not even read it: no Lambda or CloudWatch call.
      expect(sandbox.server.calls('lambda', 'GetAlias')).toHaveLength(0);
      expect(sandbox.server.calls('lambda', 'UpdateAlias')).toHaveLength(0);
      expect(sandbox.server.calls('cloudwatch')).toHaveLength(0);
      expect(result.summary).toContain('### Traffic shift: dev');
    } finally {
      await sandbox.stop();
    }
  });

  it('gantry shift: the same, from a shell, with the JSON report on stdout; a bad option is usage', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig, 1);
    try {
      deploy(sandbox, canaryConfig.environments.get('dev')!);
      const workspace = workspaceWith(CANARY);
      const args = ['shift', '--environment', 'dev', '--config', workspace.config];
      const first = await runCliBundle(args, { ...sandbox.env, ...workspace.env });
      expect(first.stderr).not.toContain('error');
      expect(first.code).toBe(0);
      const report = JSON.parse(first.stdout) as ShiftReport;
      expect(report.outcome).toBe('complete');
      // dev is all at once: terraform's to move, nothing for the shift.
      expect(report.functions).toEqual([]);
      expect(first.stderr).toContain('rollout all-at-once in dev; terraform moved the alias on apply, nothing to shift');
      expect(sandbox.server.calls('lambda', 'UpdateAlias')).toHaveLength(0);
      const usage = await runCliBundle([...args, '--resume', 'later'], { ...sandbox.env, ...workspace.env });
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('option --resume: must be one of continue, rollback, got "later"');
    } finally {
      await sandbox.stop();
    }
  });

  it('rolls back when the workflow is cancelled, and fails the step naming the step reached', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig, 1);
    try {
      const { lambda } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      const workspace = workspaceWith(CANARY);
      const started = await startBundledAction(
        'traffic-shift',
        { environment: 'qa', config: workspace.config, 'poll-seconds': '1' },
        { ...sandbox.env, ...workspace.env },
      );
      expect(await until(() => routing(lambda, ROUTER).weights['4'] === 0.1 && routing(lambda, WORKER).weights['4'] === 0.1, { giveUpMs: 30_000 })).toBe(true);
      // The canary holds 2 minutes: the shift is reading the alarms when the runner sends SIGINT.
      expect(await until(() => sandbox.server.calls('cloudwatch', 'DescribeAlarms').length >= 2, { giveUpMs: 30_000 })).toBe(true);
      started.child.kill('SIGINT');
      const result = await started.result;
      expect(result.code).toBe(1);
      // The step fails with one line (a workflow command escapes "%" as %25).
      expect(result.stdout).toContain(
        '::error::traffic shift rolled back in qa: workflow cancelled (SIGINT) at step 1 of 2 of orders-qa-router (10%25 on version 4)',
      );
      expect(result.stdout).toContain('on the stable versions again: orders-qa-router 3, orders-qa-worker 3');
      expect(result.outputs.outcome).toBe('rolled-back');
      expect(result.outputs['rollback-reason']).toMatch(/^workflow cancelled \(SIGINT\)/);
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: {} });
      expect(routing(lambda, WORKER)).toEqual({ primary: '3', weights: {} });
      expect(result.summary).toContain(':x: rolled back');
      expect(result.summary).toContain('```mermaid\nxychart-beta');
    } finally {
      await sandbox.stop();
    }
  });

  it('a re-run continues a shift an interrupted run left at 10% (or rolls it back when asked)', async ({ expect }) => {
    const sandbox = await sandboxFor(canaryConfig, 1);
    try {
      const { lambda } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      // The runner dies (SIGKILL: no chance to roll back) while the canary is held at 10%.
      const workspace = workspaceWith(CANARY);
      const started = await startBundledAction('traffic-shift', { environment: 'qa', config: workspace.config }, { ...sandbox.env, ...workspace.env });
      expect(await until(() => routing(lambda, ROUTER).weights['4'] === 0.1 && routing(lambda, WORKER).weights['4'] === 0.1, { giveUpMs: 30_000 })).toBe(true);
      started.child.kill('SIGKILL');
      await started.result;
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: { '4': 0.1 } });

      // Asked to roll back, a run puts the router and the worker back on 3 and fails.
      const rolledBack = await runBundledAction(
        'traffic-shift',
        { environment: 'qa', config: workspace.config, resume: 'rollback' },
        { ...sandbox.env, ...workspace.env },
      );
      expect(rolledBack.code).toBe(1);
      expect(rolledBack.outputs.outcome).toBe('rolled-back');
      expect(rolledBack.outputs['rollback-reason']).toMatch(/^resume is rollback: orders-qa-router was left at 10% on version 4 by an earlier run/);
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: {} });
      expect(routing(lambda, WORKER)).toEqual({ primary: '3', weights: {} });
    } finally {
      await sandbox.stop();
    }
  });
});

describe('resuming in this process', () => {
  it('continues from the step an interrupted run reached, holding it again in full, and completes', async () => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      // What an interrupted run leaves: the router at 10% on 4, the worker not started.
      lambda.putAlias(ROUTER, 'live', { functionVersion: '3', weights: { '4': 0.1 } }, { instant: true });
      const { report, logger } = await shift(sandbox, canaryConfig);
      expect(report.outcome).toBe('complete');
      expect(decisionsOf(report, ROUTER)).toEqual([
        ['resume', 10],
        ['shift', 10],
        ['pass', 10],
        ['shift', 100],
        ['pass', 100],
        ['complete', 100],
      ]);
      expect(decisionsOf(report, WORKER)[0]).toEqual(['shift', 10]);
      expect(logger.lines.some((line) => line.includes('resuming at 10% (left by an earlier run)'))).toBe(true);
      const [first, second] = aliasWrites(sandbox, ROUTER);
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(2 * MINUTE);
      expect(routing(lambda, ROUTER)).toEqual({ primary: '4', weights: {} });
    } finally {
      await sandbox.stop();
    }
  });

  it('rolls back a shift it would resume when a guarding alarm is in ALARM meanwhile', async () => {
    const sandbox = await sandboxFor(canaryConfig);
    try {
      const { lambda, cloudwatch } = sandbox.services;
      deploy(sandbox, canaryConfig.environments.get('qa')!);
      lambda.putAlias(ROUTER, 'live', { functionVersion: '3', weights: { '4': 0.1 } }, { instant: true });
      const clock = controlClock(sandbox.clock);
      clock.freeze();
      cloudwatch.setAlarmState('orders-qa-router-shift-errors', 'ALARM', 'Threshold Crossed: 4 errors');
      const { report } = await shift(sandbox, canaryConfig);
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toBe(
        'alarm orders-qa-router-shift-errors is ALARM while orders-qa-router is at 10% on version 4, where an earlier run left it: Threshold Crossed: 4 errors',
      );
      expect(routing(lambda, ROUTER)).toEqual({ primary: '3', weights: {} });
      expect(routing(lambda, WORKER)).toEqual({ primary: '3', weights: {} });
      expect(sandbox.server.calls('lambda', 'Invoke')).toHaveLength(0);
    } finally {
      await sandbox.stop();
    }
  });
});
