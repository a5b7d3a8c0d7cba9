/**
 * Benchmark: following a CodeBuild build. Three followers on the same scripted build, in the same run, each
 * against its own sandbox with the real SDK clients:
 * - gantry's follower as codebuild-run runs it: CloudWatch Logs Live Tail (followBuild's default);
 * - gantry's follower polling GetLogEvents (`logMode: 'poll'`, what it falls back to);
 * - a fixed 30-second loop (BatchGetBuilds, then read the log to its end), the loop gantry replaces.
 * For each: lines printed, checked against the stream's own contents (every line once, in order); log
 * latency p50/p95 from a line's CloudWatch timestamp to its printing, and from its ingestion (when CloudWatch Logs
 * made it readable) to its printing, on the sandbox clock; log calls per build
 * (StartLiveTail + GetLogEvents, reconnects counted apart); all calls per build and per build-minute; the
 * finish lag (the build's end to the follower returning).
 *
 * Two runs. Fast: the 5-minute build at sandbox clock ×`speed`, every follower's delays divided by the
 * same factor, gantry's followers one at a time (a busy CPU would be multiplied by the speed too) and the
 * nearly idle 30 s loop beside them, so every figure is in build time. Real: the clock at ×1, the three followers at once on a 1-minute build of the same shape
 * (five minutes at ×1 is too long for `npm run bench`): no scaling anywhere, and the check on the fast run.
 */

import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, type Build, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { awsClientConfig } from '../../src/aws/clients.js';
import { followBuild, type LogLine } from '../../src/codebuild/follow-build.js';
import { DEFAULT_SCHEDULE, type PollSchedule } from '../../src/codebuild/poll-schedule.js';
import { MemoryLogger } from '../../src/logger.js';
import { percentile } from '../../src/stats.js';
import { required } from '../assert.js';
import type { BuildScript, ScriptedPhase } from '../sandbox/codebuild/build.js';
import { SANDBOX_REGION } from '../sandbox/frame.js';
import { type GantrySandbox, startSandbox } from '../sandbox/sandbox.js';
import { target } from './targets.js';

export type Follower = 'live-tail' | 'poll' | 'fixed-30s';

export const FOLLOWER_NAMES: Record<Follower, string> = {
  'live-tail': 'gantry, Live Tail (default)',
  poll: "gantry, polling (logMode: 'poll')",
  'fixed-30s': 'fixed 30 s loop',
};

export interface FollowFigures {
  follower: Follower;
  /** Lines the follower printed, and the lines the stream holds. */
  printed: number;
  written: number;
  /** Undefined when every line of the stream was printed once, in order; else what differs. */
  mismatch: string | undefined;
  /** Latency from the line's timestamp (when CodeBuild wrote it). */
  p50Ms: number;
  p95Ms: number;
  /** Latency from the line's ingestionTime (when CloudWatch Logs made it readable: the earliest any client can see it). */
  p50FromIngestionMs: number;
  p95FromIngestionMs: number;
  startLiveTail: number;
  getLogEvents: number;
  /** StartLiveTail calls after the first (a session that ended and was reopened). */
  reconnects: number;
  batchGetBuilds: number;
  /** Every call the follower sent (StartBuild is not the follower's). */
  allCalls: number;
  buildMinutes: number;
  finishLagMs: number;
}

export interface FollowRun {
  /** Sandbox clock speed; the followers' delays were divided by it. */
  speed: number;
  /** The build, as the report describes it. */
  build: string;
  figures: FollowFigures[];
  /** Real time the run took. */
  wallMs: number;
}

export interface FollowBench {
  fast: FollowRun;
  real: FollowRun;
}

/** Issue 15's targets for the Live Tail follower (build time), as the bench's one table of targets states them. */
export const FOLLOW_TARGETS = {
  p95Ms: target('follow.p95').limit * 1000,
  logCalls: target('follow.log-calls').limit,
  finishLagMs: target('follow.finish-lag').limit * 1000,
} as const;

const BASELINE_INTERVAL_MS = 30_000;
const PROJECT = 'bench';

export const logCalls = (f: FollowFigures): number => f.startLiveTail + f.getLogEvents;
export const callsPerBuildMinute = (f: FollowFigures): number => f.allCalls / f.buildMinutes;
/** Log calls the target counts: all of them but the reconnects' StartLiveTail. */
const targetLogCalls = (f: FollowFigures): number => logCalls(f) - f.reconnects;

/**
 * A 5-minute build with quiet provisioning, a chatty install, a build with bursts and a long silent stretch
 * (101 lines of its own, 119 in the stream with the agent's phase lines). `scale` multiplies every duration:
 * 0.2 is the same build in one minute.
 */
export function benchmarkScript(scale = 1): BuildScript {
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
  return { phases: phases.map((phase) => ({ ...phase, durationMs: phase.durationMs * scale })) };
}

const buildSeconds = (script: BuildScript) => script.phases.reduce((sum, phase) => sum + phase.durationMs, 0) / 1000;
const scriptLines = (script: BuildScript) => script.phases.reduce((sum, phase) => sum + (phase.lines?.length ?? 0), 0);

interface Clients {
  codebuild: CodeBuildClient;
  logs: CloudWatchLogsClient;
  liveTailLogs: CloudWatchLogsClient;
}

/**
 * The clients codebuild-run creates (src/aws/clients.ts: the shared retry configuration; StartLiveTail on a
 * one-attempt client; no host prefix against an endpoint URL), pointed at this sandbox.
 */
function clientsFor(sandbox: GantrySandbox): Clients {
  const endpoint = { endpoint: sandbox.url, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } };
  const config = { ...awsClientConfig({ region: SANDBOX_REGION }), ...endpoint };
  return {
    codebuild: new CodeBuildClient(config),
    logs: new CloudWatchLogsClient({ ...config, disableHostPrefix: true }),
    liveTailLogs: new CloudWatchLogsClient({ ...awsClientConfig({ region: SANDBOX_REGION, maxAttempts: 1 }), ...endpoint, disableHostPrefix: true }),
  };
}

function scaledSchedule(speed: number): PollSchedule {
  return Object.fromEntries(Object.entries(DEFAULT_SCHEDULE).map(([key, value]) => [key, value / speed])) as unknown as PollSchedule;
}

/** Runs one follower on one build in a sandbox of its own, and measures it. */
async function measure(follower: Follower, script: BuildScript, speed: number): Promise<FollowFigures> {
  const sandbox = await startSandbox({ clockSpeed: speed });
  const clients = clientsFor(sandbox);
  try {
    sandbox.services.codebuild.createProject(PROJECT);
    sandbox.services.codebuild.scriptNextBuild(PROJECT, script);
    const { build } = await clients.codebuild.send(new StartBuildCommand({ projectName: PROJECT }));
    const started = required(build, 'StartBuild build');
    const id = required(started.id, 'the build id');
    const since = sandbox.server.requests.length;
    const printed: string[] = [];
    const printedLines: { line: LogLine; at: number }[] = [];
    const onLine = (line: LogLine) => {
      printed.push(line.message);
      printedLines.push({ line, at: sandbox.clock.now() });
    };
    if (follower === 'fixed-30s') {
      await fixedIntervalFollow(clients, started, BASELINE_INTERVAL_MS / speed, onLine);
    } else {
      const result = await followBuild(started, {
        ...clients,
        logger: new MemoryLogger(),
        signal: new AbortController().signal,
        schedule: scaledSchedule(speed),
        ...(follower === 'poll' ? { logMode: 'poll' as const } : {}),
        onLine,
      });
      if (result.outcome !== 'complete') throw new Error(`${FOLLOWER_NAMES[follower]}: the follower ended ${result.outcome}`);
    }
    const returnedAt = sandbox.clock.now();
    const record = sandbox.services.codebuild.build(id);
    const endTime = required(record.endTime, 'the finished build endTime');
    const events = sandbox.services.logs.store.events(record.logGroupName, record.logStreamName);
    const written = events.map((event) => event.message);
    const latencies = printedLines.map(({ line, at }) => at - line.timestamp);
    const fromIngestion = ingestionLatencies(printedLines, events);
    const calls = sandbox.server.requests.slice(since);
    const count = (operation: string) => calls.filter((call) => call.operation === operation).length;
    const startLiveTail = count('StartLiveTail');
    return {
      follower,
      printed: printed.length,
      written: written.length,
      mismatch: compareLines(printed, written),
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      p50FromIngestionMs: percentile(fromIngestion, 0.5),
      p95FromIngestionMs: percentile(fromIngestion, 0.95),
      startLiveTail,
      getLogEvents: count('GetLogEvents'),
      reconnects: Math.max(0, startLiveTail - 1),
      batchGetBuilds: count('BatchGetBuilds'),
      allCalls: calls.length,
      buildMinutes: (endTime - record.startTime) / 60_000,
      finishLagMs: returnedAt - endTime,
    };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
    await sandbox.stop();
  }
}

/**
 * For each printed line, the time from its ingestion to its printing: the stream's events matched by timestamp
 * and text, the n-th printed copy of a line to the n-th event with both.
 */
export function ingestionLatencies(
  printed: readonly { line: LogLine; at: number }[],
  events: readonly { timestamp: number; message: string; ingestionTime: number }[],
): number[] {
  const byKey = new Map<string, number[]>();
  for (const event of events) {
    const key = `${event.timestamp}\u0000${event.message}`;
    byKey.set(key, [...(byKey.get(key) ?? []), event.ingestionTime]);
  }
  const out: number[] = [];
  for (const { line, at } of printed) {
    const ingested = byKey.get(`${line.timestamp}\u0000${line.message}`)?.shift();
    if (ingested !== undefined) out.push(at - ingested);
  }
  return out;
}

/** Undefined when `printed` is `written` exactly; else the counts of missing and repeated lines and the first difference. */
export function compareLines(printed: readonly string[], written: readonly string[]): string | undefined {
  if (printed.length === written.length && printed.every((line, index) => line === written[index])) return undefined;
  const remaining = new Map<string, number>();
  for (const line of written) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  let extra = 0;
  for (const line of printed) {
    const left = remaining.get(line) ?? 0;
    if (left === 0) extra++;
    else remaining.set(line, left - 1);
  }
  const missing = [...remaining.values()].reduce((sum, left) => sum + left, 0);
  const at = printed.findIndex((line, index) => line !== written[index]);
  const index = at === -1 ? Math.min(printed.length, written.length) : at;
  const show = (line: string | undefined) => (line === undefined ? 'nothing' : JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line));
  return `${missing} missing, ${extra} repeated or unknown; line ${index + 1} printed ${show(printed[index])}, the stream has ${show(written[index])}`;
}

/**
 * The loop gantry replaces: every 30 s, ask for the build and read whatever log there is; done once the
 * build is complete and its log read. It reads only once CodeBuild names the log (until the stream exists
 * the names are missing, or `null`).
 *
 * Its first tick comes half an interval after StartBuild. Both benchmark builds last a whole number of
 * intervals (300 s, 60 s): ticks at 30 s, 60 s, … would land just after the build's end and show a finish lag
 * near zero, which a 30 s loop has only by luck. Offset by half, the end falls mid-interval and the lag shown
 * is the loop's average over builds of any length (15 s).
 */
async function fixedIntervalFollow({ codebuild, logs }: Clients, started: Build, intervalMs: number, onLine: (line: LogLine) => void): Promise<void> {
  const id = required(started.id, 'the build id');
  let token: string | undefined;
  const drain = async (group: string, stream: string) => {
    for (;;) {
      try {
        const page = await logs.send(
          new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token === undefined ? {} : { nextToken: token }) }),
        );
        for (const event of page.events ?? []) onLine({ timestamp: required(event.timestamp, 'a log event timestamp'), message: event.message ?? '' });
        if (page.nextForwardToken === token) return;
        token = page.nextForwardToken;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return;
        throw error;
      }
    }
  };
  for (let tick = 0; ; tick++) {
    await new Promise((resolve) => setTimeout(resolve, tick === 0 ? intervalMs / 2 : intervalMs));
    const { builds } = await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }));
    const build = required(builds?.[0], 'BatchGetBuilds build');
    const group = build.logs?.groupName;
    const stream = build.logs?.streamName;
    if (group !== undefined && stream !== undefined && group !== 'null' && stream !== 'null') await drain(group, stream);
    if (build.buildComplete === true) return;
  }
}

const ALL: Follower[] = ['live-tail', 'poll', 'fixed-30s'];

export async function benchCodeBuildFollow(speed = 20): Promise<FollowBench> {
  const long = benchmarkScript();
  let began = performance.now();
  // gantry's followers one after the other (a busy CPU would be multiplied by the speed); the 30 s loop beside
  // them: it sends a call every 30 s of build time and takes nothing from them.
  const loop = measure('fixed-30s', long, speed);
  const fastFigures: FollowFigures[] = [];
  for (const follower of ['live-tail', 'poll'] as const) fastFigures.push(await measure(follower, long, speed));
  fastFigures.push(await loop);
  const fast: FollowRun = {
    speed,
    build: `the ${buildSeconds(long) / 60}-minute build (${scriptLines(long)} lines of its own, the rest the agent's)`,
    figures: fastFigures,
    wallMs: performance.now() - began,
  };
  const short = benchmarkScript(0.2);
  began = performance.now();
  const realFigures = await Promise.all(ALL.map((follower) => measure(follower, short, 1)));
  const real: FollowRun = {
    speed: 1,
    build: `a ${buildSeconds(short)} s build of the same shape (every phase ÷5, the same ${scriptLines(short)} lines of its own)`,
    figures: realFigures,
    wallMs: performance.now() - began,
  };
  for (const run of [fast, real]) {
    for (const f of run.figures) {
      if (f.mismatch !== undefined)
        process.stderr.write(`codebuild-follow (×${run.speed}): ${FOLLOWER_NAMES[f.follower]} printed the log WRONG: ${f.mismatch}\n`);
    }
  }
  return { fast, real };
}

/** A run's figures for one follower. */
export function follower(run: FollowRun, which: Follower): FollowFigures {
  return required(
    run.figures.find((f) => f.follower === which),
    `the ${which} figures`,
  );
}

/** Whether the Live Tail follower meets each of the targets in this run. */
export function targetsMet(run: FollowRun): { p95: boolean; logCalls: boolean; finishLag: boolean } {
  const live = follower(run, 'live-tail');
  return {
    p95: live.p95FromIngestionMs <= FOLLOW_TARGETS.p95Ms,
    logCalls: targetLogCalls(live) <= FOLLOW_TARGETS.logCalls,
    finishLag: live.finishLagMs <= FOLLOW_TARGETS.finishLagMs,
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** `baseline ÷ gantry`, or a dash when gantry's figure is zero. */
export const ratio = (baseline: number, gantry: number): string => (gantry > 0 ? `×${(baseline / gantry).toFixed(1)}` : '—');
const met = (ok: boolean) => (ok ? 'met' : '**not met**');

function runTable(run: FollowRun): string[] {
  const rows = run.figures.map((f) => {
    const check = f.mismatch === undefined ? 'yes' : `**NO: ${f.mismatch}**`;
    const reconnects = f.startLiveTail === 0 ? '—' : String(f.reconnects);
    return (
      `| ${FOLLOWER_NAMES[f.follower]} | ${f.printed} / ${f.written} | ${check} | ${seconds(f.p50Ms)} | ${seconds(f.p95Ms)} | ${seconds(f.p50FromIngestionMs)} | ${seconds(f.p95FromIngestionMs)} | ` +
      `${logCalls(f)} (${f.startLiveTail} + ${f.getLogEvents}) | ${reconnects} | ${f.batchGetBuilds} | ${f.allCalls} | ${callsPerBuildMinute(f).toFixed(1)} | ${seconds(f.finishLagMs)} |`
    );
  });
  const live = follower(run, 'live-tail');
  const poll = follower(run, 'poll');
  const fixed = follower(run, 'fixed-30s');
  const both = (pick: (f: FollowFigures) => number) => `${ratio(pick(poll), pick(live))} / ${ratio(pick(fixed), pick(live))}`;
  const targets = targetsMet(run);
  return [
    '| Follower | Lines printed / in the stream | Each once, in order | Latency from written, p50 | p95 | From ingested, p50 | p95 | Log calls / build (StartLiveTail + GetLogEvents) | Reconnects | BatchGetBuilds | All calls / build | All calls / build-minute | Finish lag |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Ratios, polling ÷ Live Tail / 30 s loop ÷ Live Tail: latency from written p50 ${both((f) => f.p50Ms)}, p95 ${both((f) => f.p95Ms)}; ` +
      `log calls per build ${both(logCalls)}; all calls per build-minute ${both(callsPerBuildMinute)}; finish lag ${both((f) => f.finishLagMs)}.`,
    '',
    `Targets (issue 15), Live Tail: p95 from ingestion ≤ ${seconds(FOLLOW_TARGETS.p95Ms)}: ${seconds(live.p95FromIngestionMs)}, ${met(targets.p95)}; ` +
      `≤ ${FOLLOW_TARGETS.logCalls} log calls per build plus reconnects: ${targetLogCalls(live)}, ${met(targets.logCalls)}; ` +
      `finish lag ≤ ${seconds(FOLLOW_TARGETS.finishLagMs)}: ${seconds(live.finishLagMs)}, ${met(targets.finishLag)}.`,
  ];
}

export function formatFollowFigures({ fast, real }: FollowBench): string {
  return [
    '### codebuild-run: following a build, Live Tail vs polling vs a fixed 30 s loop (times in build time)',
    '',
    'Each follower against its own sandbox, real SDK clients; CloudWatch Logs ingests a line 1 s after it is written and Live Tail pushes ' +
      'once a second, so a Live Tail line arrives 1 to 2 s after its timestamp, 0 to 1 s after its ingestion (the earliest any client can read it). "Each once, in order": the printed lines checked against ' +
      "the stream's own contents. Log calls: StartLiveTail + GetLogEvents; reconnects: sessions reopened (their calls are in the log calls). " +
      "The 30 s loop's first tick is 15 s after StartBuild: both builds last whole multiples of 30 s, and ticks aligned with the end would show " +
      'a finish lag near zero that such a loop has only by luck; offset by half, its lag is its average (15 s).',
    '',
    `**Fast clock ×${fast.speed}**: ${fast.build}, every follower's delays ÷${fast.speed}; gantry's two followers one at a time, the 30 s loop beside them (${seconds(fast.wallMs)} real).`,
    '',
    ...runTable(fast),
    '',
    `**Real clock ×1**: ${real.build}; five minutes at ×1 is too long for \`npm run bench\`. The three followers at once (${seconds(real.wallMs)} real).`,
    '',
    ...runTable(real),
  ].join('\n');
}
