/**
 * version-prune as background work sharing the account's quota (the bundles against the Lambda sandbox): a
 * storm of throttling slows it down without failing it, deletions that run out of the SDK's retries are left
 * for a later run while the rest goes on, and the time budget ends a run with a report of what it did and what
 * is left, failing the step only when nothing could be done. Nothing protected is ever lost.
 *
 * No test waits on a fixed time: a storm is measured in sandbox time, and the budget tests hold the sandbox's
 * answers until the run says its budget is used, so the budget always ends the run the same way.
 */
import { describe, it } from 'vitest';
import { startAction } from '../scripts/local-runner.js';
import { seedLambda } from '../scripts/sandbox/lambda/seed.js';
import { type SandboxResponse, ServiceError } from '../scripts/sandbox/protocol.js';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import type { PruneReport } from '../src/prune/report.js';
import { runCliBundle } from './helpers/run-bundle.js';
import { intercept, lambdaFunctionOf } from './helpers/sandbox-control.js';

const SPEED = 20;
/** The 15 requests/s quota, in real time at the ×20 sandbox clock. */
const RATE = String(15 * SPEED);

const test = it.extend<{ sandbox: GantrySandbox }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's first parameter as a pattern; this fixture needs none.
  sandbox: async ({}, use) => {
    const sandbox = await startSandbox({ clockSpeed: SPEED });
    await use(sandbox);
    await sandbox.stop();
  },
});

const versionsOf = (sandbox: GantrySandbox, name: string) => [...sandbox.services.lambda.state.function(name).versions.keys()];

/**
 * `functions` functions of `versions` versions on capacity provider cp, live → newest, canary → newest-4 with
 * 10% on newest-6, provisioned concurrency on version 3 of fn-1 and an event source mapping on version 2 of fn-2.
 * Returns what must survive, function → versions, with keep 3.
 */
function seedProtected(sandbox: GantrySandbox, functions: number, versions: number): Map<string, string[]> {
  const lambda = sandbox.services.lambda;
  const { functionNames } = seedLambda(lambda, {
    capacityProvider: 'cp',
    functions,
    versionsPerFunction: versions,
    weightedAliases: [{ name: 'canary', primaryOffset: 4, additionalOffset: 6, weight: 0.1 }],
  });
  lambda.state.putProvisionedConcurrency('fn-1', '3', 1);
  lambda.state.createEventSourceMapping('fn-2', '2', { eventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:orders' });
  const kept = new Map<string, string[]>();
  for (const name of functionNames) {
    const protectedVersions = [versions, versions - 1, versions - 2, versions - 4, versions - 6].map(String);
    if (name === 'fn-1') protectedVersions.push('3');
    if (name === 'fn-2') protectedVersions.push('2');
    kept.set(name, protectedVersions);
  }
  return kept;
}

function expectNothingProtectedLost(expect: (value: unknown) => { toEqual(v: unknown): void }, sandbox: GantrySandbox, kept: Map<string, string[]>): void {
  for (const [name, versions] of kept) expect(versions.filter((v) => !versionsOf(sandbox, name).includes(v))).toEqual([]);
}

/** What the report says was deleted is gone; what it says is left is still there. */
function expectReportMatchesSandbox(expect: (value: unknown) => { toBe(v: unknown): void }, sandbox: GantrySandbox, report: PruneReport): void {
  for (const fn of report.functions) {
    const present = versionsOf(sandbox, fn.function);
    for (const v of fn.deleted) expect(present.includes(v)).toBe(false);
    for (const v of [...(fn.notAttempted ?? []), ...(fn.failed ?? []).map((f) => f.version)]) expect(present.includes(v)).toBe(true);
  }
}

describe.concurrent('version-prune under throttling storms and a time budget', () => {
  it('a 60 s storm of 30% throttling: slows down, keeps going, loses nothing protected', async ({ expect }) => {
    // The storm is in sandbox time; the SDK's backoff is in real time (seconds after a 429), so at a fast clock
    // a 60 s storm would be over before the first retry. At ×5 it lasts 12 s of real time: the inventory and
    // the first deletes (how many depends on the machine) go on in it.
    const speed = 5;
    const rate = String(15 * speed);
    const sandbox = await startSandbox({ clockSpeed: speed });
    try {
      const kept = seedProtected(sandbox, 7, 14);
      // 14 versions, keep 3, canary keeps two more, fn-1 and fn-2 one more each.
      const planned = 7 * 9 - 2;
      const storm = sandbox.faults.add({ service: 'lambda', operation: '*', kind: 'throttle', rate: 0.3 });
      const stormStart = sandbox.clock.now();
      const stormOver = sandbox.clock.sleep(60_000).then(storm);
      const result = await runCliBundle(['prune', '--capacity-provider', 'cp', '--keep', '3', '--apply', '--rate', rate], sandbox.env);
      await stormOver;
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as PruneReport;
      expectNothingProtectedLost(expect, sandbox, kept);
      expectReportMatchesSandbox(expect, sandbox, report);
      // The prune is done, or says what is left (a deletion out of the SDK's retries) and succeeds with a warning.
      expect(report.totals.deleted + report.totals.left).toBe(planned);
      expect(report.totals.skipped).toBe(0);
      if (report.totals.left > 0) expect(result.stderr).toContain('for a later run');
      expect(report.stoppedBy).toBeUndefined();
      // The storm was felt, and the limiter backed off.
      const throttled = sandbox.server.calls('lambda').filter((call) => call.status === 429);
      expect(throttled.filter((call) => call.fault === 'throttle' && call.at < stormStart + 60_000).length).toBeGreaterThan(0);
      expect(report.calls.throttled).toBe(throttled.length);
      expect(report.calls.lowestRate).toBeLessThan(Number(rate));
    } finally {
      await sandbox.stop();
    }
  });

  test('deletions that run out of retries (a 5xx storm on one function) are left for a later run; the rest is done and the step succeeds', async ({
    expect,
  }) => {
    // A quota far above the run's rate: the only errors here are the injected ones.
    const sandbox = await startSandbox({ clockSpeed: SPEED, quotas: { 'lambda-control-plane': { ratePerSecond: 100_000 } } });
    try {
      const kept = seedProtected(sandbox, 3, 12);
      intercept(sandbox.services.lambda, async (operation, request, answer) => {
        if (operation === 'DeleteFunction' && lambdaFunctionOf(request.path) === 'fn-1') throw sandbox.services.lambda.serverError(500);
        return answer();
      });
      const result = await runCliBundle(['prune', '--capacity-provider', 'cp', '--keep', '3', '--apply', '--rate', RATE], sandbox.env);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as PruneReport;
      const fn1 = report.functions.find((fn) => fn.function === 'fn-1')!;
      // 12 versions, keep 3, canary keeps 8 and 6, provisioned concurrency keeps 3: 1, 2, 4, 5, 7, 9 planned.
      expect(fn1.deleted).toEqual([]);
      expect(fn1.failed).toEqual(['1', '2', '4', '5', '7', '9'].map((version) => ({ version, error: 'An internal error occurred.' })));
      // fn-0: 7 deleted, fn-2 (its mapping keeps 2): 6.
      expect(report.totals).toMatchObject({ deleted: 7 + 6, failed: 6, left: 6, notAttempted: 0 });
      expect(report.stoppedBy).toBeUndefined();
      expect(result.stderr).toContain(
        "warning: 6 deletion(s) failed after the SDK's retries: deleted 13, left 6 planned deletion(s) for a later run (deleting is idempotent: a re-run continues)",
      );
      expectNothingProtectedLost(expect, sandbox, kept);
      expectReportMatchesSandbox(expect, sandbox, report);
    } finally {
      await sandbox.stop();
    }
  });

  test('a function whose listing runs out of retries is left out, with why; the others are pruned and the step succeeds', async ({ expect }) => {
    const sandbox = await startSandbox({ clockSpeed: SPEED, quotas: { 'lambda-control-plane': { ratePerSecond: 100_000 } } });
    try {
      const kept = seedProtected(sandbox, 3, 12);
      intercept(sandbox.services.lambda, async (operation, request, answer) => {
        if (operation === 'ListProvisionedConcurrencyConfigs' && lambdaFunctionOf(request.path) === 'fn-1') throw sandbox.services.lambda.serverError(503);
        return answer();
      });
      const result = await runCliBundle(['prune', '--capacity-provider', 'cp', '--keep', '3', '--apply', '--rate', RATE], sandbox.env);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as PruneReport;
      expect(report.unlisted).toEqual([{ function: 'fn-1', reason: 'listing its provisioned concurrency failed: An internal error occurred.' }]);
      expect(report.functions.map((fn) => fn.function)).toEqual(['fn-0', 'fn-2']);
      expect(report.totals).toMatchObject({ deleted: 7 + 6, left: 0 });
      expect(result.stderr).toContain(
        'fn-1: not listed (listing its provisioned concurrency failed: An internal error occurred.); nothing deleted, left for a later run',
      );
      expect(result.stderr).toContain(
        'warning: 1 function(s) could not be listed: deleted 13, left 0 planned deletion(s) and 1 function(s) not listed for a later run (deleting is idempotent: a re-run continues)',
      );
      expect(versionsOf(sandbox, 'fn-1')).toHaveLength(12);
      expectNothingProtectedLost(expect, sandbox, kept);
    } finally {
      await sandbox.stop();
    }
  });

  test('the time budget ends the run: nothing new is sent, what was sent is answered, the report says what is left, the step succeeds', async ({
    sandbox,
    expect,
  }) => {
    const kept = seedProtected(sandbox, 4, 12);
    // After ten deletes, the sandbox holds every answer until the run says its budget is used: the budget
    // always ends this run while deletes are with the service and others have not been sent.
    let answered = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    intercept(sandbox.services.lambda, async (operation, _request, answer) => {
      if (operation === 'DeleteFunction' && answered >= 10) await released;
      const response = await answer();
      if (operation === 'DeleteFunction') answered++;
      return response;
    });
    const started = await startAction(
      'version-prune',
      { 'capacity-provider': 'cp', keep: '3', 'dry-run': 'false', rate: '20', 'time-budget': '2' },
      sandbox.env,
      {
        onStdout: (chunk) => {
          if (chunk.includes('time budget of 2 s used')) release();
        },
      },
    );
    const result = await started.result;
    const report = JSON.parse(result.outputs.report!) as PruneReport;
    expect(report.stoppedBy).toBe('time-budget');
    expect(report.stopped).toBe('the time budget of 2 s was used');
    expect(report.totals.notAttempted).toBeGreaterThan(0);
    // 12 versions, keep 3, canary keeps two more: 7 planned per function, less fn-1's 3 and fn-2's 2.
    expect(report.totals.deleted + report.totals.left).toBe(4 * 7 - 2);
    expect(result.outputs.left).toBe(String(report.totals.left));
    // Not a failure unless nothing could be done.
    expect(result.code).toBe(report.totals.deleted > 0 ? 0 : 1);
    expect(result.summary).toContain(`:hourglass: Stopped: the time budget of 2 s was used; left for a later run: ${report.totals.left}.`);
    expectNothingProtectedLost(expect, sandbox, kept);
    expectReportMatchesSandbox(expect, sandbox, report);
    // After the budget, no new delete reached the sandbox: every delete it saw is deleted or failed in the report.
    const reported = report.functions.reduce((n, fn) => n + fn.deleted.length + (fn.failed?.length ?? 0), 0);
    expect(sandbox.server.calls('lambda', 'DeleteFunction').filter((call) => call.status !== 429)).toHaveLength(reported);
  });

  test('fails the step when the budget is used and nothing could be done', async ({ sandbox, expect }) => {
    const kept = seedProtected(sandbox, 3, 10);
    // Every delete is held until the budget is used, then throttled: the run retries nothing after its budget.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    intercept(sandbox.services.lambda, async (operation, _request, answer): Promise<SandboxResponse> => {
      if (operation !== 'DeleteFunction') return answer();
      await released;
      throw new ServiceError(429, 'TooManyRequestsException', 'Rate exceeded', { Reason: 'CallerRateLimitExceeded' });
    });
    const started = await startAction(
      'version-prune',
      { 'capacity-provider': 'cp', keep: '3', 'dry-run': 'false', rate: RATE, 'time-budget': '2' },
      sandbox.env,
      {
        onStdout: (chunk) => {
          if (chunk.includes('time budget of 2 s used')) release();
        },
      },
    );
    const result = await started.result;
    expect(result.code).toBe(1);
    const report = JSON.parse(result.outputs.report!) as PruneReport;
    // 10 versions, keep 3, canary keeps 6 and 4, fn-1's 3 and fn-2's 2: 5, 4, 4 planned.
    expect(report.totals).toMatchObject({ deleted: 0, left: 13 });
    expect(result.stdout).toContain(
      '::error::nothing could be done: the time budget of 2 s was used; 13 planned deletion(s) left; run again when Lambda is less busy, or give a longer time-budget',
    );
    // Each delete was sent once: none was retried after the budget.
    expect(sandbox.server.calls('lambda', 'DeleteFunction')).toHaveLength(13);
    expectNothingProtectedLost(expect, sandbox, kept);
    expectReportMatchesSandbox(expect, sandbox, report);
  });
});
