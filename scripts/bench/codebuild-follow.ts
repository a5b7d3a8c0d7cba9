/**
 * Benchmark: following a CodeBuild build. The codebuild-run follower (adaptive polling) against a fixed
 * 30-second polling loop, on the same scripted build in the same run, against the sandbox:
 * - log latency: from a log line's CloudWatch timestamp to its printing, p50 and p95;
 * - API calls per build-minute (BatchGetBuilds + GetLogEvents);
 * - finish lag: from the build's end to the follower returning.
 *
 * The sandbox clock runs `speed` times faster and both loops' delays are divided by the same factor, so every
 * figure is in build time, as it would be against real CodeBuild.
 */

import { type CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import type { Build, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { BatchGetBuildsCommand, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { createCodeBuildClient, createLogsClient } from '../../src/aws/clients.js';
import { followBuild } from '../../src/codebuild/follow-build.js';
import { DEFAULT_SCHEDULE, type PollSchedule } from '../../src/codebuild/poll-schedule.js';
import { MemoryLogger } from '../../src/logger.js';
import { percentile } from '../../src/stats.js';
import { required } from '../assert.js';
import type { BuildScript, ScriptedPhase } from '../sandbox/codebuild/build.js';
import { SANDBOX_REGION } from '../sandbox/frame.js';
import { type GantrySandbox, startSandbox } from '../sandbox/sandbox.js';

export interface FollowFigures {
  name: string;
  lines: number;
  p50Ms: number;
  p95Ms: number;
  callsPerBuildMinute: number;
  finishLagMs: number;
}

/** The gantry follower's figures and the fixed loop's, from the same run. */
export type FollowPair = [adaptive: FollowFigures, fixed: FollowFigures];

const BASELINE_INTERVAL_MS = 30_000;

/** A 5-minute build with quiet provisioning, a chatty install, a build with bursts and a long silent stretch. */
export function benchmarkScript(): BuildScript {
  const lines = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}`);
  const phases: ScriptedPhase[] = [
    { phase: 'SUBMITTED', durationMs: 0 },
    { phase: 'QUEUED', durationMs: 5_000 },
    { phase: 'PROVISIONING', durationMs: 40_000 },
    { phase: 'DOWNLOAD_SOURCE', durationMs: 5_000 },
    { phase: 'INSTALL', durationMs: 30_000, lines: lines('install', 30) },
    { phase: 'PRE_BUILD', durationMs: 40_000, lines: lines('terraform init', 8) },
    { phase: 'BUILD', durationMs: 120_000, lines: lines('terraform plan', 60) },
    { phase: 'POST_BUILD', durationMs: 50_000, lines: lines('upload', 3) },
    { phase: 'UPLOAD_ARTIFACTS', durationMs: 5_000 },
    { phase: 'FINALIZING', durationMs: 5_000 },
  ];
  return { phases };
}

async function measure(
  sandbox: GantrySandbox,
  codebuild: CodeBuildClient,
  name: string,
  follow: (build: Build, onLine: (timestamp: number) => void) => Promise<Build>,
): Promise<FollowFigures> {
  sandbox.services.codebuild.scriptNextBuild('bench', benchmarkScript());
  const before = sandbox.server.requests.length;
  const { build } = await codebuild.send(new StartBuildCommand({ projectName: 'bench' }));
  const latencies: number[] = [];
  const done = await follow(required(build, 'StartBuild build'), (timestamp) => latencies.push(sandbox.clock.now() - timestamp));
  const returnedAt = sandbox.clock.now();
  const calls = sandbox.server.requests
    .slice(before)
    .filter((request) => request.operation === 'BatchGetBuilds' || request.operation === 'GetLogEvents').length;
  const endTime = required(done.endTime, 'the finished build endTime').getTime();
  const buildMinutes = (endTime - required(done.startTime, 'the finished build startTime').getTime()) / 60_000;
  return {
    name,
    lines: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    callsPerBuildMinute: calls / buildMinutes,
    finishLagMs: returnedAt - endTime,
  };
}

/** The loop gantry replaces: every 30 s, ask for the build and read whatever log there is. */
async function fixedIntervalFollow(
  codebuild: CodeBuildClient,
  logs: CloudWatchLogsClient,
  started: Build,
  intervalMs: number,
  onLine: (timestamp: number) => void,
): Promise<Build> {
  let build = started;
  let token: string | undefined;
  const drain = async () => {
    for (;;) {
      try {
        const page = await logs.send(
          new GetLogEventsCommand({
            logGroupName: required(build.logs?.groupName, 'the build log group'),
            logStreamName: required(build.logs?.streamName, 'the build log stream'),
            startFromHead: true,
            ...(token === undefined ? {} : { nextToken: token }),
          }),
        );
        for (const event of page.events ?? []) onLine(required(event.timestamp, 'a log event timestamp'));
        if (page.nextForwardToken === token) return;
        token = page.nextForwardToken;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return;
        throw error;
      }
    }
  };
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const { builds } = await codebuild.send(new BatchGetBuildsCommand({ ids: [required(build.id, 'the build id')] }));
    build = required(builds?.[0], 'BatchGetBuilds build');
    await drain();
    if (build.buildComplete === true) return build;
  }
}

export async function benchCodeBuildFollow(speed = 20): Promise<FollowPair> {
  const sandbox = await startSandbox({ clockSpeed: speed });
  const saved = { ...process.env };
  Object.assign(process.env, sandbox.env);
  try {
    sandbox.services.codebuild.createProject('bench');
    const codebuild = createCodeBuildClient({ region: SANDBOX_REGION });
    const logs = createLogsClient({ region: SANDBOX_REGION });
    const scaled: PollSchedule = Object.fromEntries(Object.entries(DEFAULT_SCHEDULE).map(([key, value]) => [key, value / speed])) as unknown as PollSchedule;
    const adaptive = await measure(sandbox, codebuild, 'gantry follower (adaptive)', async (build, onLine) => {
      const result = await followBuild(build, {
        codebuild,
        logs,
        logger: new MemoryLogger(),
        signal: new AbortController().signal,
        schedule: scaled,
        onLine: (line) => onLine(line.timestamp),
      });
      return result.build;
    });
    const fixed = await measure(sandbox, codebuild, `fixed ${BASELINE_INTERVAL_MS / 1000} s loop`, (build, onLine) =>
      fixedIntervalFollow(codebuild, logs, build, BASELINE_INTERVAL_MS / speed, onLine),
    );
    return [adaptive, fixed];
  } finally {
    process.env = saved;
    await sandbox.stop();
  }
}

export function formatFollowFigures(figures: FollowPair): string {
  const [adaptive, fixed] = figures;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const rows = figures.map(
    (f) => `| ${f.name} | ${f.lines} | ${seconds(f.p50Ms)} | ${seconds(f.p95Ms)} | ${f.callsPerBuildMinute.toFixed(1)} | ${seconds(f.finishLagMs)} |`,
  );
  return [
    '### codebuild-run: following a 5-minute build (times in build time)',
    '',
    '| Loop | Lines | Log latency p50 | p95 | API calls / build-minute | Finish lag |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Ratios, fixed loop ÷ gantry: latency p50 ×${(fixed.p50Ms / adaptive.p50Ms).toFixed(1)}, p95 ×${(fixed.p95Ms / adaptive.p95Ms).toFixed(1)}, ` +
      `finish lag ×${(fixed.finishLagMs / adaptive.finishLagMs).toFixed(1)}; API calls ×${(fixed.callsPerBuildMinute / adaptive.callsPerBuildMinute).toFixed(2)}.`,
  ].join('\n');
}
