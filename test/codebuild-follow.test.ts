/**
 * The build follower against the sandbox, with the real SDK clients: CloudWatch Logs Live Tail (event
 * stream) with its reconnects and sampled updates, the fallback to GetLogEvents polling, log names that
 * appear only once the stream exists, and throttling storms. Every test checks the printed log against the
 * stream's own contents: each line once, in order, none missing.
 *
 * The sandbox clock runs 50 times faster and the follower's schedule is divided by the same factor, so a
 * 5-minute build is followed in 50 s of build time per real second; nothing here asserts a duration.
 */
import { spawnSync } from 'node:child_process';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { type Build, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildScript, ScriptedPhase } from '../scripts/sandbox/codebuild/build.js';
import type { FaultRule } from '../scripts/sandbox/faults.js';
import { SANDBOX_REGION } from '../scripts/sandbox/frame.js';
import { type GantrySandbox, type GantrySandboxOptions, startSandbox } from '../scripts/sandbox/sandbox.js';
import { awsClientConfig } from '../src/aws/clients.js';
import { type FollowResult, followBuild, type LogMode } from '../src/codebuild/follow-build.js';
import { DEFAULT_SCHEDULE, type PollSchedule } from '../src/codebuild/poll-schedule.js';
import { MemoryLogger } from '../src/logger.js';
import { until } from './helpers/sandbox-control.js';

const SPEED = 50;
const PROJECT = 'follow';

let sandbox: GantrySandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

const numbered = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}`);

function script(build: ScriptedPhase[] = [{ phase: 'BUILD', durationMs: 60_000, lines: numbered('plan', 40) }]): BuildScript {
  return {
    phases: [
      { phase: 'SUBMITTED', durationMs: 0 },
      { phase: 'QUEUED', durationMs: 2_000 },
      { phase: 'PROVISIONING', durationMs: 10_000 },
      { phase: 'DOWNLOAD_SOURCE', durationMs: 3_000 },
      { phase: 'INSTALL', durationMs: 10_000, lines: numbered('install', 10) },
      ...build,
      { phase: 'POST_BUILD', durationMs: 5_000, lines: ['stored'] },
      { phase: 'UPLOAD_ARTIFACTS', durationMs: 2_000 },
      { phase: 'FINALIZING', durationMs: 2_000 },
    ],
  };
}

interface Run {
  result: FollowResult;
  logger: MemoryLogger;
  printed: string[];
  /** Every line the build wrote, read from the stream itself. */
  written: string[];
  calls: (operation: string) => number;
  started: Build;
}

async function follow(
  options: {
    sandbox?: GantrySandboxOptions;
    script?: BuildScript;
    logMode?: LogMode;
    schedule?: Partial<PollSchedule>;
    during?: (s: GantrySandbox) => Promise<void>;
  } = {},
): Promise<Run> {
  sandbox = await startSandbox({ clockSpeed: SPEED, ...options.sandbox });
  const running = sandbox;
  running.services.codebuild.createProject(PROJECT);
  running.services.codebuild.scriptNextBuild(PROJECT, options.script ?? script());
  const endpoint = { endpoint: running.url, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } };
  // One attempt per call: the follower sees every throttled answer, so the storms below are ridden out by
  // the follower itself, as they are once the SDK's own retries are spent.
  const config = { ...awsClientConfig({ region: SANDBOX_REGION, maxAttempts: 1 }), ...endpoint };
  const codebuild = new CodeBuildClient(config);
  const logs = new CloudWatchLogsClient({ ...config, disableHostPrefix: true });
  const liveTailLogs = new CloudWatchLogsClient({ ...config, maxAttempts: 1, disableHostPrefix: true });
  const started = (await codebuild.send(new StartBuildCommand({ projectName: PROJECT }))).build as Build;
  const logger = new MemoryLogger();
  const printed: string[] = [];
  const schedule = { ...scaled(DEFAULT_SCHEDULE), ...options.schedule };
  const following = followBuild(started, {
    codebuild,
    logs,
    liveTailLogs,
    logger,
    signal: new AbortController().signal,
    schedule,
    ...(options.logMode === undefined ? {} : { logMode: options.logMode }),
    onLine: (line) => printed.push(line.message),
  });
  await options.during?.(running);
  const result = await following;
  const { groupName, streamName } = result.build.logs ?? {};
  const written = running.services.logs.store.messages(groupName ?? '', streamName ?? '');
  const since = running.server.requests.findIndex((request) => request.operation === 'StartBuild');
  const calls = (operation: string) => running.server.requests.slice(since).filter((request) => request.operation === operation).length;
  return { result, logger, printed, written, calls, started };
}

function scaled(schedule: PollSchedule): PollSchedule {
  return Object.fromEntries(Object.entries(schedule).map(([key, value]) => [key, value / SPEED])) as unknown as PollSchedule;
}

describe('following a build by Live Tail', () => {
  it('prints every line once, in order, with one StartLiveTail and one catch-up read', async () => {
    const run = await follow();
    expect(run.result.outcome).toBe('complete');
    expect(run.written.length).toBeGreaterThan(50);
    expect(run.printed).toEqual(run.written);
    expect(run.calls('StartLiveTail')).toBe(1);
    // The one read of what the stream held before the session began: a page, then either the page that returns
    // the same token (the API's end-of-stream signal) or none, when the session's first update already covers
    // the rest. The agent's last line then ends the log: no more reads.
    // On a loaded machine lines can arrive between the pages, and the read takes a page more before the
    // session's first update marks where it may stop: never more than that, and never a poll.
    expect(run.calls('GetLogEvents')).toBeGreaterThanOrEqual(1);
    expect(run.calls('GetLogEvents')).toBeLessThanOrEqual(3);
    expect(run.logger.lines.filter((line) => line.startsWith('group: '))).toEqual([
      'group: DOWNLOAD_SOURCE',
      'group: INSTALL',
      'group: BUILD',
      'group: POST_BUILD',
      'group: UPLOAD_ARTIFACTS',
    ]);
  });

  it("reads what came before the session in one GetLogEvents page, taken once the session's first lines are in", async () => {
    // Prepare: a catch-up that may wait long enough for the session's first lines even on a loaded machine
    // (60 s of build time; the build writes a line a second from INSTALL on).
    const run = await follow({ schedule: { catchUpWaitMs: 60_000 / SPEED } });
    // Assess: every line once, in order; one session and a single page, which reached the session's first
    // line and so proved it missed nothing (read at once, a second, same-token page would have been needed).
    expect(run.result.outcome).toBe('complete');
    expect(run.printed).toEqual(run.written);
    expect(run.calls('StartLiveTail')).toBe(1);
    expect(run.calls('GetLogEvents')).toBe(1);
  });

  it('leaves no timer behind when it returns, so the step ends with the build', () => {
    // Act: in a fresh process (whose only timers are the follower's and the sandbox's), follow a build with
    // status polls an hour of build time apart, then stop the sandbox.
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/follow/exit.ts'], { encoding: 'utf8', timeout: 60_000 });
    // Assess: followed to its end, and nothing pending (the old sleep kept its timer until the next status poll).
    expect(child.stderr).not.toMatch(/Error/);
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ outcome: 'complete', timers: 0 });
  });

  it('waits for CodeBuild to name the log: StartBuild answers without names, the first read follows the names', async () => {
    const run = await follow();
    expect(run.started.logs?.groupName).toBeUndefined();
    expect(run.started.logs?.deepLink).toContain('group=null;stream=null');
    const requests = sandbox?.server.requests ?? [];
    const firstRead = requests.findIndex((request) => request.operation === 'StartLiveTail' || request.operation === 'GetLogEvents');
    expect(firstRead).toBeGreaterThan(requests.findIndex((request) => request.operation === 'BatchGetBuilds'));
    expect(requests.filter((request) => request.service === 'logs' && request.status !== 200)).toEqual([]);
    expect(run.printed).toEqual(run.written);
  });

  it('reconnects when a session times out, closing the gap without a duplicate or a missing line', async () => {
    const run = await follow({
      sandbox: { logs: { liveTail: { sessionDurationMs: 20_000 } } },
      script: script([{ phase: 'BUILD', durationMs: 90_000, lines: numbered('plan', 90) }]),
    });
    expect(run.result.outcome).toBe('complete');
    expect(run.calls('StartLiveTail')).toBeGreaterThanOrEqual(4);
    expect(run.logger.lines.filter((line) => line.startsWith('Live Tail session ended')).length).toBeGreaterThanOrEqual(3);
    expect(run.printed).toEqual(run.written);
  });

  it('reads a sampled stretch in full with GetLogEvents', async () => {
    // 200 lines in 2 s of build time: far above 20 events a second, so those updates are sampled.
    const run = await follow({
      sandbox: { logs: { liveTail: { sampleAbove: 20 } } },
      script: script([
        { phase: 'BUILD', durationMs: 2_000, lines: numbered('burst', 200) },
        { phase: 'POST_BUILD', durationMs: 10_000, lines: numbered('after', 5) },
      ]),
    });
    expect(run.result.outcome).toBe('complete');
    expect(run.calls('GetLogEvents')).toBeGreaterThan(1);
    expect(run.printed).toEqual(run.written);
    expect(run.printed.filter((line) => line.startsWith('burst '))).toHaveLength(200);
  });

  it('reads a sampled burst larger than a page to its end, with updates queued behind a slow read', async () => {
    // 10,050 lines in 2 s: sampled, and more than GetLogEvents' 10,000-event page. Each read takes 3 s, so
    // unsampled updates queue up behind the fill; none of them may be printed past the gap.
    const run = await follow({
      sandbox: { logs: { liveTail: { sampleAbove: 20 } } },
      script: script([
        { phase: 'BUILD', durationMs: 2_000, lines: numbered('burst', 10_050) },
        { phase: 'POST_BUILD', durationMs: 20_000, lines: numbered('after', 20) },
      ]),
      during: async (s) => {
        s.faults.add({ service: 'logs', operation: 'GetLogEvents', kind: 'latency', latencyMs: 3_000 });
      },
    });
    expect(run.result.outcome).toBe('complete');
    expect(run.printed.length).toBe(run.written.length);
    expect(run.printed).toEqual(run.written);
  });
});

describe('falling back to polling', () => {
  it('when StartLiveTail is denied (no logs:StartLiveTail), saying so once', async () => {
    const run = await follow({
      during: async (s) => {
        s.faults.add({ service: 'logs', operation: 'StartLiveTail', kind: 'access-denied' });
      },
    });
    expect(run.result.outcome).toBe('complete');
    expect(run.logger.lines.filter((line) => line.startsWith('Live Tail is not available'))).toEqual([
      expect.stringMatching(/^Live Tail is not available \(AccessDeniedException: .*logs:StartLiveTail.*\): following the log by polling GetLogEvents$/),
    ]);
    expect(run.calls('StartLiveTail')).toBe(1);
    expect(run.calls('GetLogEvents')).toBeGreaterThan(3);
    expect(run.printed).toEqual(run.written);
  });

  it("when the account's Live Tail sessions are all in use", async () => {
    const run = await follow({ sandbox: { logs: { liveTail: { maxSessions: 0 } } } });
    expect(run.result.outcome).toBe('complete');
    expect(run.logger.lines).toContainEqual(expect.stringMatching(/^Live Tail is not available \(LimitExceededException: /));
    expect(run.printed).toEqual(run.written);
  });

  it('when the endpoint does not offer Live Tail, and in poll mode without asking', async () => {
    const unoffered = await follow({ sandbox: { logs: { liveTail: { offered: false } } } });
    expect(unoffered.logger.lines).toContainEqual(expect.stringMatching(/^Live Tail is not available \(UnknownOperationException/));
    expect(unoffered.printed).toEqual(unoffered.written);
    await sandbox?.stop();
    const polled = await follow({ logMode: 'poll' });
    expect(polled.calls('StartLiveTail')).toBe(0);
    expect(polled.printed).toEqual(polled.written);
  });
});

describe('throttling storms', () => {
  const storm = (s: GantrySandbox, rules: Omit<FaultRule, 'kind'>[]) => rules.map((rule) => s.faults.add({ ...rule, kind: 'throttle' }));

  it('rides out a 60 s storm on every call, warning once per call, and prints every line', async () => {
    const run = await follow({
      script: script([{ phase: 'BUILD', durationMs: 120_000, lines: numbered('plan', 60) }]),
      during: async (s) => {
        // From the moment the log is named until 60 s of build time later, every call is throttled.
        await until(() => s.server.requests.some((request) => request.operation === 'StartLiveTail'));
        const from = s.clock.now();
        const removes = storm(s, [
          { service: 'codebuild', operation: 'BatchGetBuilds' },
          { service: 'logs', operation: 'GetLogEvents' },
          { service: 'logs', operation: 'StartLiveTail' },
        ]);
        await until(() => s.clock.now() - from >= 60_000);
        for (const remove of removes) remove();
      },
      // Sessions last 20 s, so a reconnect falls inside the storm.
      sandbox: { logs: { liveTail: { sessionDurationMs: 20_000 } } },
    });
    expect(run.result.outcome).toBe('complete');
    expect(run.printed).toEqual(run.written);
    // Each call the storm hit: one warning for the storm, and a line when it answers again. StartLiveTail's
    // throttling is LimitExceededException, as AWS answers it: the follower falls back to polling instead.
    const names: Record<string, string> = { BatchGetBuilds: 'CodeBuild BatchGetBuilds', GetLogEvents: 'CloudWatch Logs GetLogEvents' };
    const hit = [...new Set((sandbox?.server.requests ?? []).filter((request) => request.fault === 'throttle').map((request) => request.operation))];
    expect(hit.length).toBeGreaterThanOrEqual(1);
    if (hit.includes('StartLiveTail')) {
      expect(run.logger.lines).toContainEqual('Live Tail is not available (LimitExceededException: Rate exceeded): following the log by polling GetLogEvents');
    }
    for (const operation of hit.filter((name) => name !== 'StartLiveTail')) {
      const call = names[operation];
      expect(run.logger.lines.filter((line) => line.startsWith(`warning: ${call} is failing for build `))).toHaveLength(1);
      expect(run.logger.lines.filter((line) => new RegExp(`^${call} answers again after [\\d.]+ s$`).test(line))).toHaveLength(1);
    }
  });

  it('gives up once the build can no longer be running, naming the call and the error', async () => {
    const run = await follow({
      schedule: { giveUpAfterMs: 3_000 / SPEED },
      during: async (s) => {
        storm(s, [{ service: 'codebuild', operation: 'BatchGetBuilds' }]);
      },
    });
    expect(run.result.outcome).toBe('abandoned');
    if (run.result.outcome !== 'abandoned') return;
    expect(run.result.reason).toMatch(/^CodeBuild BatchGetBuilds kept failing for [\d.]+ s, past build follow:[0-9a-f-]+'s own timeout: ThrottlingException: /);
    expect(run.logger.lines.filter((line) => line.startsWith('warning: CodeBuild BatchGetBuilds is failing'))).toHaveLength(1);
  });
});
