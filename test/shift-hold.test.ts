/**
 * How long a traffic-shift step is held before an OK of its guarding alarms counts (src/shift/plan.ts,
 * `holdUntil`): the step's own time, and each alarm's window counted from the alarm's first whole period after
 * the write. CloudWatch's periods are aligned to the clock, so the period the write falls in holds time before
 * the step; counting the window from the write itself let a 1-minute step pass on a datapoint that held a few
 * seconds of its traffic. Pure cases first, then the sandbox (its alarms evaluate aligned periods as CloudWatch
 * does), where the errors of a 1-minute canary that fall in the next minute must still roll it back at 10%.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { SANDBOX_REGION } from '../scripts/sandbox/frame.js';
import { startSandbox } from '../scripts/sandbox/sandbox.js';
import { applyGuardAlarms, seedLambdaFromConfig } from '../scripts/sandbox/seed-config.js';
import { awsClientConfig } from '../src/aws/clients.js';
import { parseConfig } from '../src/config/load.js';
import { cliInputSource } from '../src/inputs.js';
import { MemoryLogger } from '../src/logger.js';
import { shiftPort } from '../src/shift/adapter.js';
import { type AlarmStatus, holdUntil, judge, type Step } from '../src/shift/plan.js';
import { runShift } from '../src/shift/run.js';
import { shiftRun } from '../src/traffic-shift.js';
import { EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';
import { controlClock, intercept, lambdaFunctionOf, until } from './helpers/sandbox-control.js';

const SECOND = 1_000;
const MINUTE = 60_000;
/** 12:00:00 UTC on a day: a whole minute, and a whole hour. */
const NOON = Date.UTC(2026, 11, 2, 12);

const step = (holdMs: number): Step => ({ number: 1, percent: 10, holdMs, final: false });
const alarm = (periodSeconds: number, evaluationPeriods = 1, state: AlarmStatus['state'] = 'OK'): AlarmStatus => ({
  name: `errors-${periodSeconds}-${evaluationPeriods}`,
  state,
  reason: '',
  windowMs: periodSeconds * evaluationPeriods * SECOND,
  periodMs: periodSeconds * SECOND,
});

describe('holdUntil: the window counts from the first whole period after the write', () => {
  it('holds a 1-minute step written at 12:00:50 until 12:02, when the minute 12:01–12:02 has been evaluated', () => {
    const written = NOON + 50 * SECOND;
    expect(holdUntil(step(MINUTE), written, [alarm(60)])).toBe(NOON + 2 * MINUTE);
    // Judged at 12:01:50 (a minute after the write), the OK would be the minute 12:00–12:01: 10 s of the step.
    const ok = { alarms: [alarm(60)] };
    expect(judge(step(MINUTE), written, [alarm(60).name], { at: NOON + MINUTE + 50 * SECOND, ...ok })).toEqual({ kind: 'hold', until: NOON + 2 * MINUTE });
    expect(judge(step(MINUTE), written, [alarm(60).name], { at: NOON + 2 * MINUTE, ...ok })).toEqual({ kind: 'pass', noData: [] });
  });

  it('adds nothing when the write falls on a period boundary, or when the step is longer anyway', () => {
    expect(holdUntil(step(MINUTE), NOON, [alarm(60)])).toBe(NOON + MINUTE);
    expect(holdUntil(step(5 * MINUTE), NOON + 50 * SECOND, [alarm(60)])).toBe(NOON + 5 * MINUTE + 50 * SECOND);
  });

  it('counts every evaluation period, each alarm from its own period, the longest deciding', () => {
    const written = NOON + 10 * SECOND;
    expect(holdUntil(step(MINUTE), written, [alarm(60, 3)])).toBe(NOON + 4 * MINUTE);
    expect(holdUntil(step(MINUTE), written, [alarm(60), alarm(300)])).toBe(NOON + 10 * MINUTE);
    expect(holdUntil(step(0), written, [alarm(3600)])).toBe(NOON + 2 * 60 * MINUTE);
  });

  it('counts from the write for an alarm whose period is not known', () => {
    const { periodMs: _periodMs, ...unknown } = alarm(60);
    expect(holdUntil(step(MINUTE), NOON + 50 * SECOND, [unknown])).toBe(NOON + MINUTE + 50 * SECOND);
  });
});

describe('holdUntil against the sandbox', () => {
  it('rolls a 1-minute canary back at 10% on errors in the minute after the one it was written in', async () => {
    // qa: a 10% canary for 1 minute, then 1 minute baked; the guarding alarms have one period of 60 s.
    const config = parseConfig(
      exampleWith('    prune: { keep: 5 }', '    prune: { keep: 5 }\n    rollout: { strategy: { canary: { percent: 10, minutes: 1 } }, bakeMinutes: 1 }'),
      EXAMPLE_CONFIG_FILE,
    );
    const qa = config.environments.get('qa')!;
    const router = qa.functions.find((fn) => fn.name === 'router')!;
    const sandbox = await startSandbox({ clockSpeed: 60, lambda: { invokeLatencyMs: 5 } });
    try {
      const { lambda, cloudwatch } = sandbox.services;
      seedLambdaFromConfig(lambda, config);
      for (const fn of qa.functions) {
        lambda.updateFunctionCode(fn.functionName, `${fn.functionName}@4`);
        applyGuardAlarms(cloudwatch, qa, fn, lambda.publishVersion(fn.functionName, { instant: true }).version);
      }
      // Version 4 of the router answers the smoke invocations and fails every order.
      lambda.setHandler(router.functionName, (event, { version }) => {
        if (version === '4' && (event as { order?: number }).order !== undefined) throw new Error('orders table not found');
        return { version };
      });
      // The 10% is written late in a minute, and the clock held still there.
      const clock = controlClock(sandbox.clock);
      clock.advance((((45 * SECOND - (sandbox.clock.now() % MINUTE)) % MINUTE) + MINUTE) % MINUTE);
      let writtenAt: number | undefined;
      intercept(lambda, async (operation, request, answer) => {
        const response = await answer();
        if (operation === 'UpdateAlias' && lambdaFunctionOf(request.path) === router.functionName && writtenAt === undefined) {
          clock.freeze();
          writtenAt = sandbox.clock.now();
        }
        return response;
      });
      const client = {
        ...awsClientConfig({ region: SANDBOX_REGION }),
        endpoint: sandbox.url,
        credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      };
      const port = shiftPort({
        lambda: { controlPlane: new LambdaClient(client), getFunction: new LambdaClient(client), invoke: new LambdaClient(client) },
        cloudwatch: new CloudWatchClient(client),
      });
      const run = shiftRun(
        { target: { configFile: EXAMPLE_CONFIG_FILE, environment: 'qa' }, functions: [], resume: 'continue', pollMs: 10_000 },
        qa,
        cliInputSource({}),
      );
      const running = runShift(run, { port, clock: sandbox.clock, logger: new MemoryLogger() });
      expect(await until(() => writtenAt !== undefined)).toBe(true);
      const boundary = Math.ceil(writtenAt! / MINUTE) * MINUTE;
      expect(writtenAt).toBeLessThan(boundary);
      // The orders come a second into the next minute: the minute the write fell in holds none of them.
      clock.advance(boundary + SECOND - writtenAt!);
      const users = new LambdaClient({ ...client, maxAttempts: 1 });
      const ran: string[] = [];
      for (let order = 0; order < 100; order++) {
        const response = await users.send(
          new InvokeCommand({ FunctionName: router.functionName, Qualifier: 'live', Payload: new TextEncoder().encode(JSON.stringify({ order })) }),
        );
        ran.push(response.ExecutedVersion ?? '?');
      }
      expect(ran).toContain('4');
      clock.resume();
      const report = await running;
      expect(report.outcome).toBe('rolled-back');
      expect(report.reason).toMatch(/^alarm orders-qa-router-shift-errors is ALARM at step 1 of 2 of orders-qa-router \(10% on version 4\)/);
      // The evaluation that saw the errors is the one at the end of their minute; 100% was never written.
      expect(cloudwatch.alarmHistory('orders-qa-router-shift-errors').find((change) => change.to === 'ALARM')?.at).toBe(boundary + MINUTE);
      const writes = sandbox.server.calls('lambda', 'UpdateAlias').filter((call) => lambdaFunctionOf(call.path) === router.functionName);
      expect(writes).toHaveLength(2);
      expect(report.functions.find((fn) => fn.function === router.functionName)?.decisions.map((d) => d.decision)).toEqual(['shift', 'roll back']);
    } finally {
      await sandbox.stop();
    }
  });
});
