/**
 * Benchmark: the traffic shift (issue 19), in this process against the sandbox's Lambda and CloudWatch with the
 * real SDK clients, run as the action runs it (`shiftRun` and `runShift`: src/traffic-shift.ts, src/shift/run.ts)
 * on the sandbox's clock, through a port whose paced Lambda clients run at the quotas × the clock's speed
 * ({@link sandboxShiftPort}). Before each shift every function gets a new version, and its guarding alarms are
 * pointed at it, as terraform's apply does (`applyGuardAlarms`, scripts/sandbox/seed-config.ts).
 *
 * (a) Shifts that complete: every Lambda and CloudWatch request gantry sends for one shift, by operation
 *     (retries and 429s included): the default canary after the first environment (10% for 5 min, then 5 min
 *     baked) and a linear one (+10% every minute, 5 min baked), both over 2 functions at ×60 (the shift mostly
 *     sleeps: 10 minutes of schedule take 10 s). Cross-check: a short canary (10% for 1 min, 1 min baked) at ×60
 *     and at ×1.
 * (b) Alarm to rollback: one function, the default canary, the action's default poll (10 s). Users' traffic
 *     through the alias (5 requests a second) reaches the new version at 10%, whose handler throws on it;
 *     Lambda's Errors datapoints of that minute become readable when the minute ends, and the errors alarm's
 *     evaluation then goes to ALARM: the sandbox records when (StateUpdatedTimestamp), and that it was an
 *     evaluation, not a SetAlarmState. Measured from there to the rollback's UpdateAlias answered, split into the
 *     wait for the next read of the alarms, that read (DescribeAlarms), gantry's decision and the UpdateAlias;
 *     against the target, one poll (poll-seconds of waiting and the read that ends it) plus one UpdateAlias, the
 *     two round trips as measured in the same run. Three runs at ×20 (the alarm's minute ends wherever it ends
 *     in the poll cycle: the runs land at different points of it), one at ×1.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../../src/aws/clients.js';
import { LAMBDA_CONTROL_PLANE_RATE, limitClient, TokenBucketLimiter } from '../../src/aws/rate-limiter.js';
import { type EnvironmentConfig, parseConfig, type ResolvedFunction } from '../../src/config/load.js';
import { describeError } from '../../src/errors.js';
import { cliInputSource } from '../../src/inputs.js';
import { MemoryLogger } from '../../src/logger.js';
import { type ShiftPort, shiftPort } from '../../src/shift/adapter.js';
import type { AlarmStatus, AliasRouting } from '../../src/shift/plan.js';
import type { ShiftOutcome } from '../../src/shift/report.js';
import { runShift } from '../../src/shift/run.js';
import { median } from '../../src/stats.js';
import { shiftRun } from '../../src/traffic-shift.js';
import { GET_FUNCTION_RATE } from '../../src/warmup/adapter.js';
import { required } from '../assert.js';
import type { SandboxClock } from '../sandbox/clock.js';
import { SANDBOX_REGION } from '../sandbox/frame.js';
import { type GantrySandbox, startSandbox } from '../sandbox/sandbox.js';
import { applyGuardAlarms, seedLambdaFromConfig } from '../sandbox/seed-config.js';

// ---- the apply's stand-in and gantry's port, on a sandbox (the demo uses these too) -------------------------

const CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

/** A client's settings as gantry makes them (src/aws/clients.ts), pointed at the sandbox by its own endpoint, not process.env. */
function sandboxClientConfig(url: string, options: { retryMode?: 'standard' | 'adaptive'; maxAttempts?: number } = {}) {
  return { ...awsClientConfig({ region: SANDBOX_REGION, ...options }), endpoint: url, credentials: CREDENTIALS };
}

/**
 * The shift's port as `createShiftClients` makes it (the warmup's Lambda clients: the control plane and GetFunction
 * paced by gantry's token bucket, Invoke apart; a CloudWatch client), pointed at the sandbox at `url`, the paced
 * rates × `speed`: Lambda's 15 control-plane requests/s are per sandbox second, and the bucket counts real time.
 */
export function sandboxShiftPort(url: string, speed: number): ShiftPort {
  const paced = (ratePerSecond: number) => {
    const client = new LambdaClient(sandboxClientConfig(url, { retryMode: 'standard' }));
    const limiter = new TokenBucketLimiter({ ratePerSecond });
    limitClient(client, limiter);
    return { client, limiter };
  };
  const controlPlane = paced(LAMBDA_CONTROL_PLANE_RATE * speed);
  return shiftPort({
    lambda: {
      controlPlane: controlPlane.client,
      controlPlaneLimiter: controlPlane.limiter,
      getFunction: paced(GET_FUNCTION_RATE * speed).client,
      invoke: new LambdaClient(sandboxClientConfig(url)),
    },
    cloudwatch: new CloudWatchClient(sandboxClientConfig(url)),
  });
}

/** Users' requests through an alias while `signal` is not aborted: `perSecond` a sandbox second, one at a time. */
export async function usersTraffic(
  sandbox: Pick<GantrySandbox, 'url' | 'clock'>,
  functions: readonly { functionName: string; alias: string }[],
  perSecond: number,
  signal: AbortSignal,
): Promise<UsersTraffic> {
  const client = new LambdaClient(sandboxClientConfig(sandbox.url, { maxAttempts: 1 }));
  const traffic: UsersTraffic = { requests: 0, failed: 0, byVersion: {} };
  let order = 0;
  while (!signal.aborted) {
    try {
      await sandbox.clock.sleep(1000 / perSecond, signal);
    } catch {
      break;
    }
    await Promise.all(
      functions.map(async ({ functionName, alias }) => {
        traffic.requests++;
        try {
          const response = await client.send(
            new InvokeCommand({ FunctionName: functionName, Qualifier: alias, Payload: new TextEncoder().encode(JSON.stringify({ order: ++order })) }),
          );
          const key = `${functionName}:${response.ExecutedVersion ?? '?'}`;
          const seen = traffic.byVersion[key] ?? { requests: 0, failed: 0 };
          traffic.byVersion[key] = seen;
          seen.requests++;
          if (response.FunctionError !== undefined) {
            seen.failed++;
            traffic.failed++;
          }
        } catch {
          traffic.failed++;
        }
      }),
    );
  }
  client.destroy();
  return traffic;
}

export interface UsersTraffic {
  /** Requests sent (each one Invoke: the users' client makes one attempt). */
  requests: number;
  failed: number;
  /** By `function:version`, the version that ran each request. */
  byVersion: Record<string, { requests: number; failed: number }>;
}

/** The users' requests one version of a function ran. */
export function usersOn(traffic: UsersTraffic, functionName: string, version: string): { requests: number; failed: number } {
  return traffic.byVersion[`${functionName}:${version}`] ?? { requests: 0, failed: 0 };
}

// ---- runs ---------------------------------------------------------------------------------------------------

/** A shift the benchmark runs: its rollout (the config's words) and how many functions. */
export interface ShiftCase {
  name: string;
  /** The environment's `rollout`, as YAML flow. */
  rollout: string;
  functions: number;
  speed: number;
}

export const CANARY: Omit<ShiftCase, 'functions' | 'speed'> = {
  name: 'canary 10% for 5 min, 5 min baked',
  rollout: '{ strategy: { canary: { percent: 10, minutes: 5 } }, bakeMinutes: 5 }',
};
export const LINEAR: Omit<ShiftCase, 'functions' | 'speed'> = {
  name: 'linear +10% every 1 min, 5 min baked',
  rollout: '{ strategy: { linear: { percent: 10, everyMinutes: 1 } }, bakeMinutes: 5 }',
};
export const SHORT_CANARY: Omit<ShiftCase, 'functions' | 'speed'> = {
  name: 'canary 10% for 1 min, 1 min baked',
  rollout: '{ strategy: { canary: { percent: 10, minutes: 1 } }, bakeMinutes: 1 }',
};

export const SHIFT_RUNS = {
  /** The runs that complete at the fast clock, and the one repeated at ×1. */
  complete: { speed: 60, functions: 2, cases: [CANARY, LINEAR, SHORT_CANARY], crossCheck: SHORT_CANARY },
  /** Alarm to rollback: runs at the fast clock, one at ×1. */
  rollback: { speed: 20, runs: 3, functions: 1, pollMs: 10_000, usersPerSecond: 5 },
} as const;

/** The operations a shift sends, in the order the tables print them. */
export const SHIFT_OPERATIONS = ['UpdateAlias', 'GetAlias', 'ListVersionsByFunction', 'DescribeAlarms', 'Invoke'] as const;

export interface ShiftCallFigures {
  name: string;
  functions: number;
  speed: number;
  /** Steps of the strategy, 100% included. */
  steps: number;
  outcome: ShiftOutcome;
  /** Sandbox milliseconds, the report's. */
  totalMs: number;
  /** Requests gantry sent to Lambda and CloudWatch, by operation (retries and 429s included). */
  calls: Record<string, number>;
  throttled: number;
  realMs: number;
  /** What went wrong with the run itself (a shift that should have completed and did not): the bench fails. */
  problems: string[];
}

export interface RollbackFigures {
  speed: number;
  pollMs: number;
  outcome: ShiftOutcome;
  reason: string;
  alarm: string;
  /** Sandbox milliseconds from the alarm's state change (its StateUpdatedTimestamp) to the rollback's UpdateAlias answered. */
  latencyMs: number;
  /** From the alarm's change to the read of the alarms that saw it being sent (negative: sent just before, evaluated after). */
  waitMs: number;
  /** That read's round trip (DescribeAlarms). */
  readMs: number;
  /** From that read answered to the rollback's UpdateAlias sent. */
  decideMs: number;
  /** The rollback's UpdateAlias round trip. */
  updateAliasMs: number;
  /** One poll (poll-seconds and the read that ends it) plus one UpdateAlias: the target's bound, in this run's figures. */
  boundMs: number;
  /** latency ÷ bound; the target is ≤ 1. */
  ratio: number;
  /** UpdateAlias calls from the read that saw the ALARM to the end of the run: the rollback's writes. */
  rollbackWrites: number;
  /** The users' requests: how many, how many the new version ran, how many failed. */
  users: { requests: number; toNew: number; failed: number };
  /** The alias after the run. */
  aliasAfter: Pick<AliasRouting, 'primary' | 'weights'>;
  stable: string;
  calls: Record<string, number>;
  realMs: number;
  problems: string[];
}

export interface ShiftBench {
  complete: ShiftCallFigures[];
  rollback: RollbackFigures[];
}

function benchConfig(rollout: string, functions: number): string {
  return [
    'version: 1',
    'project: bench',
    'environments:',
    '  prod:',
    '    account: "123456789012"',
    '    region: eu-west-1',
    '    terraform: { workingDirectory: terraform/environments/prod }',
    `    rollout: ${rollout}`,
    '    functions:',
    ...Array.from({ length: functions }, (_, index) => `      - { name: f-${index} }`),
    '',
  ].join('\n');
}

interface Prepared {
  sandbox: GantrySandbox;
  environment: EnvironmentConfig;
  /** The version each function's alias serves (stable) and the one published for the shift (new). */
  versions: Map<string, { stable: string; version: string }>;
}

/** A sandbox with the config's functions (versions 1–3, the alias on 3), then the apply: version 4 and its alarms. */
async function prepare(rollout: string, functions: number, speed: number): Promise<Prepared> {
  const config = parseConfig(benchConfig(rollout, functions), 'bench.yml');
  const environment = required(config.environments.get('prod'), 'the prod environment');
  const sandbox = await startSandbox({ clockSpeed: speed, lambda: { invokeLatencyMs: 20 } });
  const { lambda, cloudwatch } = sandbox.services;
  seedLambdaFromConfig(lambda, config);
  const versions = new Map<string, { stable: string; version: string }>();
  for (const fn of environment.functions) {
    const stable = required(lambda.state.currentAlias(lambda.state.function(fn.functionName), fn.alias), `the alias of ${fn.functionName}`).functionVersion;
    lambda.updateFunctionCode(fn.functionName, `${fn.functionName}@new`);
    // terraform's publish waits until the version is Active.
    const { version } = lambda.publishVersion(fn.functionName, { instant: true });
    applyGuardAlarms(cloudwatch, environment, fn, version);
    versions.set(fn.functionName, { stable, version });
  }
  return { sandbox, environment, versions };
}

function runFor(environment: EnvironmentConfig, pollMs: number) {
  return shiftRun(
    { target: { configFile: 'bench.yml', environment: environment.name }, functions: [], resume: 'continue', pollMs },
    environment,
    cliInputSource({}),
  );
}

/** Gantry's requests among the sandbox's since `from`, by operation, the users' Invokes taken out. */
function callsSince(sandbox: GantrySandbox, from: number, usersInvokes = 0): { calls: Record<string, number>; throttled: number } {
  const calls: Record<string, number> = {};
  let throttled = 0;
  for (const request of sandbox.server.requests.slice(from)) {
    if (request.service !== 'lambda' && request.service !== 'cloudwatch') continue;
    calls[request.operation] = (calls[request.operation] ?? 0) + 1;
    if (request.throttled || request.status === 429) throttled++;
  }
  if (usersInvokes > 0) calls.Invoke = (calls.Invoke ?? 0) - usersInvokes;
  return { calls, throttled };
}

const routingOf = (sandbox: GantrySandbox, fn: ResolvedFunction) => {
  const { lambda } = sandbox.services;
  const alias = required(lambda.state.currentAlias(lambda.state.function(fn.functionName), fn.alias), `the alias of ${fn.functionName}`);
  return { primary: alias.functionVersion, weights: { ...alias.weights } };
};

/** One shift that should complete: its calls by operation. */
export async function benchCompleteShift(shift: ShiftCase): Promise<ShiftCallFigures> {
  const { sandbox, environment, versions } = await prepare(shift.rollout, shift.functions, shift.speed);
  try {
    const run = runFor(environment, SHIFT_RUNS.rollback.pollMs);
    const before = sandbox.server.requests.length;
    const realStarted = performance.now();
    const report = await runShift(run, { port: sandboxShiftPort(sandbox.url, shift.speed), clock: sandbox.clock, logger: new MemoryLogger() });
    const realMs = performance.now() - realStarted;
    const problems: string[] = [];
    if (report.outcome !== 'complete') problems.push(`${shift.name}: ${report.outcome}: ${report.reason ?? ''}`);
    for (const fn of environment.functions) {
      const routing = routingOf(sandbox, fn);
      const expected = versions.get(fn.functionName)?.version;
      if (routing.primary !== expected || Object.keys(routing.weights).length > 0) {
        problems.push(`${shift.name}: ${fn.functionName}:${fn.alias} routes ${JSON.stringify(routing)}, not 100% on ${expected}`);
      }
    }
    return {
      name: shift.name,
      functions: shift.functions,
      speed: shift.speed,
      steps: run.targets[0]?.steps.length ?? 0,
      outcome: report.outcome,
      totalMs: report.totalMs,
      ...callsSince(sandbox, before),
      realMs,
      problems,
    };
  } finally {
    await sandbox.stop();
  }
}

interface TimedCall {
  operation: 'UpdateAlias' | 'DescribeAlarms';
  sentAt: number;
  answeredAt: number;
  routing?: Pick<AliasRouting, 'primary' | 'weights'>;
  alarms?: AlarmStatus[];
}

/** The port, recording when each UpdateAlias and DescribeAlarms was sent and answered (sandbox time), and what it carried. */
function timedPort(port: ShiftPort, clock: SandboxClock, log: TimedCall[]): ShiftPort {
  return {
    ...port,
    async updateAlias(functionName, alias, routing, revisionId) {
      const sentAt = clock.now();
      const written = await port.updateAlias(functionName, alias, routing, revisionId);
      log.push({ operation: 'UpdateAlias', sentAt, answeredAt: clock.now(), routing });
      return written;
    },
    async describeAlarms(names, signal) {
      const sentAt = clock.now();
      const alarms = await port.describeAlarms(names, signal);
      log.push({ operation: 'DescribeAlarms', sentAt, answeredAt: clock.now(), alarms });
      return alarms;
    },
  };
}

/** One shift whose new version fails its users: from the errors alarm's ALARM to the rollback answered. */
export async function benchRollback(speed: number, plan = SHIFT_RUNS.rollback): Promise<RollbackFigures> {
  const { sandbox, environment, versions } = await prepare(CANARY.rollout, plan.functions, speed);
  try {
    const { lambda, cloudwatch } = sandbox.services;
    const fn = required(environment.functions[0], 'a function');
    const { stable, version } = required(versions.get(fn.functionName), 'its versions');
    const alarm = required(
      environment.names.functions.find((names) => names.name === fn.name),
      'its names',
    ).shiftAlarms.errors;
    // The new version answers the smoke invocations (the warmup's payload) but throws on every order.
    lambda.setHandler(fn.functionName, (event, context) => {
      if (context.version === version && (event as { order?: number } | null)?.order !== undefined) throw new Error('orders table not found');
      return { ok: true, version: context.version };
    });
    const log: TimedCall[] = [];
    const port = timedPort(sandboxShiftPort(sandbox.url, speed), sandbox.clock, log);
    const stop = new AbortController();
    const before = sandbox.server.requests.length;
    const realStarted = performance.now();
    const traffic = usersTraffic(sandbox, [{ functionName: fn.functionName, alias: fn.alias }], plan.usersPerSecond, stop.signal);
    const report = await runShift(runFor(environment, plan.pollMs), { port, clock: sandbox.clock, logger: new MemoryLogger() }).finally(() => stop.abort());
    const users = await traffic;
    const realMs = performance.now() - realStarted;

    const problems: string[] = [];
    const change = cloudwatch.alarmHistory(alarm).find((transition) => transition.to === 'ALARM');
    if (change === undefined) problems.push(`${alarm} never went to ALARM`);
    else if (change.by !== 'evaluation') problems.push(`${alarm} went to ALARM by ${change.by}, not by its evaluation of the users' errors`);
    if (report.outcome !== 'rolled-back') problems.push(`the shift ended ${report.outcome}, not rolled-back: ${report.reason ?? ''}`);
    if (!(report.reason ?? '').startsWith(`alarm ${alarm} is ALARM at step 1 of 2 of ${fn.functionName}`)) {
      problems.push(`the reason does not name the alarm and the step: ${report.reason ?? '(none)'}`);
    }
    const aliasAfter = routingOf(sandbox, fn);
    if (aliasAfter.primary !== stable || Object.keys(aliasAfter.weights).length > 0) {
      problems.push(`the alias routes ${JSON.stringify(aliasAfter)} after the rollback, not 100% on ${stable}`);
    }
    const alarmAt = change?.at ?? Number.NaN;
    const read = log.find((call) => call.operation === 'DescribeAlarms' && call.alarms?.some((status) => status.name === alarm && status.state === 'ALARM'));
    const writes = read === undefined ? [] : log.filter((call) => call.operation === 'UpdateAlias' && call.sentAt >= read.answeredAt);
    const rollback = writes.find((call) => call.routing?.primary === stable && Object.keys(call.routing.weights).length === 0);
    if (read === undefined || rollback === undefined) problems.push('no read of the alarms saw the ALARM, or no rollback followed it');
    const readMs = read === undefined ? Number.NaN : read.answeredAt - read.sentAt;
    const updateAliasMs = rollback === undefined ? Number.NaN : rollback.answeredAt - rollback.sentAt;
    const latencyMs = (rollback?.answeredAt ?? Number.NaN) - alarmAt;
    const boundMs = plan.pollMs + readMs + updateAliasMs;
    const toNew = usersOn(users, fn.functionName, version);
    return {
      speed,
      pollMs: plan.pollMs,
      outcome: report.outcome,
      reason: report.reason ?? '',
      alarm,
      latencyMs,
      waitMs: (read?.sentAt ?? Number.NaN) - alarmAt,
      readMs,
      decideMs: (rollback?.sentAt ?? Number.NaN) - (read?.answeredAt ?? Number.NaN),
      updateAliasMs,
      boundMs,
      ratio: latencyMs / boundMs,
      rollbackWrites: writes.length,
      users: { requests: users.requests, toNew: toNew.requests, failed: users.failed },
      aliasAfter,
      stable,
      ...callsSince(sandbox, before, users.requests),
      realMs,
      problems,
    };
  } catch (error) {
    throw new Error(`the rollback run at ×${speed} failed: ${describeError(error)}`, { cause: error });
  } finally {
    await sandbox.stop();
  }
}

/** The fast-clock runs, one at a time (a busy process is multiplied by the speed). */
export async function benchShiftFast(plan = SHIFT_RUNS): Promise<ShiftBench> {
  const complete: ShiftCallFigures[] = [];
  for (const shift of plan.complete.cases)
    complete.push(await benchCompleteShift({ ...shift, functions: plan.complete.functions, speed: plan.complete.speed }));
  const rollback: RollbackFigures[] = [];
  for (let run = 0; run < plan.rollback.runs; run++) rollback.push(await benchRollback(plan.rollback.speed, plan.rollback));
  return { complete, rollback };
}

/** The ×1 cross-checks, side by side (each waits on its own sandbox's clock): the short canary's calls, one rollback. */
export async function benchShiftReal(plan = SHIFT_RUNS): Promise<ShiftBench> {
  const [complete, rollback] = await Promise.all([
    benchCompleteShift({ ...plan.complete.crossCheck, functions: plan.complete.functions, speed: 1 }),
    benchRollback(1, plan.rollback),
  ]);
  return { complete: [complete], rollback: [rollback] };
}

// ---- figures ------------------------------------------------------------------------------------------------

/** `UpdateAlias 4 / GetAlias 2 / …`: the operations of {@link SHIFT_OPERATIONS}, then any other. */
export function describeCalls(calls: Readonly<Record<string, number>>): string {
  const others = Object.keys(calls)
    .filter((operation) => !(SHIFT_OPERATIONS as readonly string[]).includes(operation))
    .sort();
  return [...SHIFT_OPERATIONS, ...others].map((operation) => `${operation} ${calls[operation] ?? 0}`).join(', ');
}

export function totalCalls(calls: Readonly<Record<string, number>>): number {
  return Object.values(calls).reduce((sum, count) => sum + count, 0);
}

/** The worst (highest) ratio of some rollback runs, what the target is checked on; one not measured (NaN) is worse than any. */
export function worstRollback(runs: readonly RollbackFigures[]): RollbackFigures | undefined {
  const worse = (run: RollbackFigures, than: RollbackFigures) => !Number.isNaN(than.ratio) && (Number.isNaN(run.ratio) || run.ratio > than.ratio);
  return runs.reduce<RollbackFigures | undefined>((worst, run) => (worst === undefined || worse(run, worst) ? run : worst), undefined);
}

const seconds = (ms: number) => (Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`);

export function formatShiftFigures(bench: ShiftBench): string {
  const completeRows = bench.complete.map(
    (f) =>
      `| ${f.name} | ${f.functions} | ×${f.speed} | ${f.steps} | ${f.outcome} | ${(f.totalMs / 60_000).toFixed(1)} min | ` +
      `${SHIFT_OPERATIONS.map((operation) => f.calls[operation] ?? 0).join(' | ')} | ${totalCalls(f.calls)} | ${f.throttled} | ${(f.realMs / 1000).toFixed(1)} s |`,
  );
  const rollbackRows = bench.rollback.map(
    (f) =>
      `| ×${f.speed} | ${seconds(f.latencyMs)} | ${seconds(f.waitMs)} | ${seconds(f.readMs)} | ${seconds(f.decideMs)} | ${seconds(f.updateAliasMs)} | ` +
      `${seconds(f.boundMs)} | **×${f.ratio.toFixed(2)}** | ${f.rollbackWrites} | ${f.users.requests} / ${f.users.toNew} / ${f.users.failed} | ` +
      `${f.aliasAfter.primary}${Object.keys(f.aliasAfter.weights).length === 0 ? '' : ` + ${JSON.stringify(f.aliasAfter.weights)}`} | ${(f.realMs / 1000).toFixed(1)} s |`,
  );
  const fast = bench.rollback.filter((f) => f.speed !== 1);
  const problems = [...bench.complete, ...bench.rollback].flatMap((f) => f.problems);
  const example = bench.rollback[0];
  return [
    '### traffic-shift: API calls per shift, and alarm to rollback (sandbox time)',
    '',
    `Calls: every request gantry sent to Lambda and CloudWatch for one shift over ${SHIFT_RUNS.complete.functions} functions (retries and 429s included; ` +
      'Invoke: the smoke invocations of the new version at each step boundary). The alarms are read every 10 s (the action’s default `poll-seconds`).',
    '',
    `| Shift | F | Clock | Steps | Outcome | Took | ${SHIFT_OPERATIONS.join(' | ')} | All | 429s | Real time |`,
    `| --- | ---: | ---: | ---: | --- | ---: | ${SHIFT_OPERATIONS.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
    ...completeRows,
    '',
    'Alarm to rollback: one function, canary 10% for 5 min; users’ requests through the alias (5 a second) fail on the new version; the errors ' +
      'alarm goes to ALARM when the minute of its first error ends (an evaluation: the sandbox’s StateUpdatedTimestamp). Bound: one poll (10 s and ' +
      'the DescribeAlarms that ends it) plus one UpdateAlias, both as measured in the run.',
    '',
    '| Clock | Alarm → rollback answered | Wait for the next read | The read | Decision | UpdateAlias | Bound | ÷ bound | Rollback writes | Users’ requests / to new / failed | Alias after | Real time |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...rollbackRows,
    '',
    fast.length === 0 ? '' : `Fast runs: median ×${median(fast.map((f) => f.ratio)).toFixed(2)} of the bound; the check takes the worst.`,
    example === undefined ? '' : `The step failed with: \`${example.reason.slice(0, 240)}${example.reason.length > 240 ? '…' : ''}\``,
    ...(problems.length === 0 ? [] : ['', `**Runs that did not do what they should:** ${problems.join('; ')}`]),
  ]
    .filter((line, index, lines) => !(line === '' && lines[index - 1] === ''))
    .join('\n');
}
