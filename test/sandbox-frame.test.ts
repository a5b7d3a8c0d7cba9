/**
 * The sandbox frame with a minimal JSON 1.1 service, driven by the real CodeBuild SDK client: dispatch by
 * X-Amz-Target, quota throttling answered with the real error and retried by the SDK, each fault kind, and
 * the request record.
 */
import { ListProjectsCommand } from '@aws-sdk/client-codebuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSandbox, startSandboxWith } from '../scripts/sandbox/frame.js';
import { json11Error, json11Operation, type SandboxRequest, type SandboxService, ServiceError } from '../scripts/sandbox/protocol.js';
import { createCodeBuildClient } from '../src/aws/clients.js';
import { controlClock, until } from './helpers/sandbox-control.js';

class FakeCodeBuild implements SandboxService {
  readonly name = 'codebuild';
  matches(request: SandboxRequest): boolean {
    return json11Operation(request, 'CodeBuild_20161006') !== undefined;
  }
  operation(request: SandboxRequest): string {
    return json11Operation(request, 'CodeBuild_20161006')!;
  }
  quotaFor(): string {
    return 'codebuild';
  }
  async handle() {
    return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: { projects: ['p1'] } };
  }
  throttleError(): ServiceError {
    return new ServiceError(400, 'ThrottlingException', 'Rate exceeded');
  }
  serverError(status: number): ServiceError {
    return new ServiceError(status, 'InternalFailure', 'internal error');
  }
  errorResponse(error: ServiceError) {
    return json11Error(error);
  }
}

let sandbox: RunningSandbox<{ codebuild: FakeCodeBuild }>;
const saved = { ...process.env };

beforeEach(async () => {
  // Sandbox time runs 50× faster: 10 s of injected latency is 0.2 s of test.
  sandbox = await startSandboxWith(() => ({ codebuild: new FakeCodeBuild() }), { clockSpeed: 50, quotas: { codebuild: { ratePerSecond: 2, burst: 2 } } });
  Object.assign(process.env, sandbox.env);
});
afterEach(async () => {
  await sandbox.stop();
  process.env = { ...saved };
});

/** Standard retry mode: the adaptive mode's client-side limiter would add seconds of real-time pacing after a throttle. */
const client = () => createCodeBuildClient({ region: 'eu-west-1', maxAttempts: 6, retryMode: 'standard' });

describe('sandbox frame', () => {
  it('answers the real SDK client and records the call', async () => {
    const result = await client().send(new ListProjectsCommand({}));
    expect(result.projects).toEqual(['p1']);
    expect(sandbox.server.calls('codebuild', 'ListProjects')).toHaveLength(1);
    expect(sandbox.server.calls('codebuild', 'ListProjects')[0]).toMatchObject({ method: 'POST', status: 200, throttled: false });
  });

  it('throttles past the quota with the real error, and the SDK backs off until it succeeds', async () => {
    const c = client();
    // Sandbox time stands still during the burst: the bucket (2) cannot refill, so exactly 2 of 5 pass at first.
    const clock = controlClock(sandbox.clock);
    clock.freeze();
    const burst = Promise.all(Array.from({ length: 5 }, () => c.send(new ListProjectsCommand({}))));
    await until(() => sandbox.server.calls('codebuild').length >= 5, { everyMs: 1 });
    const frozen = sandbox.server.calls('codebuild').length;
    clock.advance(1_000);
    clock.resume();
    const results = await burst;
    expect(results.every((result) => result.projects?.[0] === 'p1')).toBe(true);
    const calls = sandbox.server.calls('codebuild');
    expect(calls.slice(0, 2).map((call) => [call.status, call.throttled])).toEqual([
      [200, false],
      [200, false],
    ]);
    expect(calls.slice(2, frozen).every((call) => call.throttled && call.status === 400)).toBe(true);
    expect(calls.filter((call) => call.throttled).length).toBeGreaterThanOrEqual(3);
    expect(calls.filter((call) => call.status === 200)).toHaveLength(5);
  });

  it('injects a server error, a connection reset, added latency and a throttling burst', async () => {
    sandbox.faults.add({ service: 'codebuild', operation: 'ListProjects', kind: 'server-error', status: 503, times: 1 });
    sandbox.faults.add({ service: 'codebuild', operation: 'ListProjects', kind: 'reset', times: 1 });
    const first = await client().send(new ListProjectsCommand({}));
    expect(first.$metadata.attempts).toBe(3);
    expect(sandbox.server.calls('codebuild').map((call) => call.status)).toEqual([503, 'reset', 200]);

    // Latency is sandbox time: the answer comes 10 s of sandbox clock (0.2 s real) after the request arrived. A
    // timer can fire early by the event loop's cached time, so allow half: an undelayed answer takes far less.
    sandbox.faults.add({ service: 'codebuild', operation: '*', kind: 'latency', latencyMs: 10_000, times: 1 });
    await client().send(new ListProjectsCommand({}));
    const answeredAt = sandbox.clock.now();
    const delayed = sandbox.server.calls('codebuild').at(-1)!;
    expect(delayed).toMatchObject({ fault: 'latency', status: 200 });
    expect(answeredAt - delayed.at).toBeGreaterThanOrEqual(10_000 / 2);

    sandbox.faults.add({ service: 'codebuild', operation: '*', kind: 'throttle', times: 2 });
    const throttled = await client().send(new ListProjectsCommand({}));
    expect(throttled.$metadata.attempts).toBe(3);
  });

  it('gives up with the service error once retries are exhausted', async () => {
    sandbox.faults.add({ service: 'codebuild', operation: '*', kind: 'server-error' });
    await expect(createCodeBuildClient({ region: 'eu-west-1', maxAttempts: 2 }).send(new ListProjectsCommand({}))).rejects.toMatchObject({
      name: 'InternalFailure',
      $metadata: { httpStatusCode: 500 },
    });
  });
});
