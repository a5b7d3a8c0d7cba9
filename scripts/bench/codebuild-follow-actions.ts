/**
 * Benchmark: following a CodeBuild build as the actions do it (issue 20). gantry's committed codebuild-run bundle
 * (mode plan, as the fault bench runs it) and the official aws-actions/aws-codebuild-run-build bundle (its
 * defaults), each run as GitHub's runner runs it against a sandbox of its own at ×1, both at the same time, on
 * the same scripted build: codebuild-follow.ts's 1-minute build (`benchmarkScript(0.2)`) with the exported
 * variables gantry's plan mode reads.
 *
 * For each: every stdout chunk is stamped on arrival with the sandbox clock (at ×1, real time) and each line of
 * the build takes the stamp of the chunk that completed it, the first time it appears; the build's own lines must
 * appear once and in order (codebuild-faults.ts's logCheck). Latency p50/p95 of those lines from their CloudWatch
 * timestamp (when CodeBuild wrote them) and from their ingestionTime (when CloudWatch Logs made them readable:
 * the earliest any client could see them); calls per build-minute by operation (the build-minutes from the
 * build's startTime to its endTime); the finish lag, the process's exit on the sandbox clock less the build's
 * endTime; the exit code.
 *
 * The official action prints each log event's message with its trailing whitespace removed, one per line, with
 * nothing around it; gantry's prints each message in a `::group::` per phase between `::stop-commands::` tokens.
 * Both are matched the same way: a line of stdout, its end trimmed, equal to a line of the build.
 *
 * The official bundle is third-party code the project does not copy: its path and its check against a recorded
 * commit and sha256 are cold-start.ts's (`officialBundle`); without it its row says why it was not run.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';
import { percentile } from '../../src/stats.js';
import { startAction } from '../local-runner.js';
import type { BuildScript } from '../sandbox/codebuild/build.js';
import { startSandbox } from '../sandbox/sandbox.js';
import { seedCodeBuildFromConfig } from '../sandbox/seed-config.js';
import type { RecordedRequest } from '../sandbox/server.js';
import { type Actor, CONFIG, logCheck, PLAN_EXPORTS, PROJECT, runnerEnv, type Spawned, startOfficial } from './codebuild-faults.js';
import { benchmarkScript, ratio } from './codebuild-follow.js';
import { OFFICIAL_BUNDLE, officialBundle } from './cold-start.js';

/** The operations counted apart; every other one is counted under `other`. */
export const COUNTED_OPERATIONS = ['StartBuild', 'BatchGetBuilds', 'GetLogEvents', 'StartLiveTail'] as const;
export type CallCounts = Record<(typeof COUNTED_OPERATIONS)[number] | 'other', number>;

export interface ActionFollowFigures {
  actor: Actor;
  /** `0`, `1`, or the signal that ended the process. */
  exit: string;
  /** The build's own lines in the step's output (logCheck). */
  log: string;
  /** Whether each of the build's own lines was printed once, in order. */
  logExact: boolean;
  /** The build's own lines seen on stdout, and how many the build wrote. */
  seen: number;
  lines: number;
  /** From the line's timestamp (CodeBuild wrote it) to its first appearance on stdout. */
  p50Ms: number;
  p95Ms: number;
  /** From the line's ingestionTime (CloudWatch Logs made it readable) to its first appearance on stdout. */
  p50FromIngestionMs: number;
  p95FromIngestionMs: number;
  /** Every call the process sent, by operation. */
  calls: CallCounts;
  /** The operations counted under `other`, each with its count. */
  otherOperations: string;
  buildMinutes: number;
  /** The process's exit (sandbox clock) less the build's endTime. */
  finishLagMs: number;
  /** Spawn to exit, real time. */
  wallMs: number;
}

export interface FollowActionsFigures {
  build: string;
  gantry: ActionFollowFigures;
  official: ActionFollowFigures | undefined;
  /** Why the official action did not run, when it did not. */
  officialSkipped: string | undefined;
  wallMs: number;
}

/** A chunk of a process's stdout and the time it arrived. */
export interface StampedChunk {
  at: number;
  text: string;
}

/**
 * Each line of the output (its end trimmed) and the time it first appeared: the arrival of the chunk that
 * completed it (its newline, or the last chunk for an unterminated last line).
 */
export function firstSeenLines(chunks: readonly StampedChunk[]): Map<string, number> {
  const seen = new Map<string, number>();
  const note = (line: string, at: number) => {
    const key = line.trimEnd();
    if (!seen.has(key)) seen.set(key, at);
  };
  let pending = '';
  for (const { at, text } of chunks) {
    const parts = (pending + text).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) note(line, at);
  }
  const last = chunks.at(-1);
  if (pending !== '' && last !== undefined) note(pending, last.at);
  return seen;
}

/**
 * For each of the build's own lines that appeared, the time from its timestamp and from its ingestionTime to
 * its first appearance. `events` is the stream (each build line once in it); `lines` the build's own lines.
 */
export function lineLatencies(
  events: readonly { timestamp: number; message: string; ingestionTime: number }[],
  lines: readonly string[],
  firstSeen: ReadonlyMap<string, number>,
): { fromTimestamp: number[]; fromIngestion: number[] } {
  const wanted = new Set(lines);
  const fromTimestamp: number[] = [];
  const fromIngestion: number[] = [];
  const done = new Set<string>();
  for (const event of events) {
    const line = event.message.trimEnd();
    if (!wanted.has(line) || done.has(line)) continue;
    done.add(line);
    const at = firstSeen.get(line);
    if (at === undefined) continue;
    fromTimestamp.push(at - event.timestamp);
    fromIngestion.push(at - event.ingestionTime);
  }
  return { fromTimestamp, fromIngestion };
}

/** The calls by operation: the counted ones apart, the rest under `other` (and named, with their counts). */
export function countCalls(requests: readonly Pick<RecordedRequest, 'operation'>[]): { calls: CallCounts; otherOperations: string } {
  const calls: CallCounts = { StartBuild: 0, BatchGetBuilds: 0, GetLogEvents: 0, StartLiveTail: 0, other: 0 };
  const others = new Map<string, number>();
  for (const { operation } of requests) {
    if ((COUNTED_OPERATIONS as readonly string[]).includes(operation)) calls[operation as (typeof COUNTED_OPERATIONS)[number]]++;
    else {
      calls.other++;
      others.set(operation, (others.get(operation) ?? 0) + 1);
    }
  }
  return { calls, otherOperations: [...others].map(([operation, count]) => `${operation} ${count}`).join(', ') };
}

export const totalCalls = (calls: CallCounts): number => Object.values(calls).reduce((sum, count) => sum + count, 0);
export const perBuildMinute = (count: number, f: Pick<ActionFollowFigures, 'buildMinutes'>): number => count / f.buildMinutes;

/** A run still going after this is ended by the benchmark (SIGKILL); the official action's two empty reads after the build take up to 60 s. */
const RUN_CAP_MS = 240_000;

const ownLines = (script: BuildScript) => script.phases.flatMap((phase) => phase.lines ?? []);

async function runOne(actor: Actor, script: BuildScript, bundle: string | undefined): Promise<ActionFollowFigures> {
  const sandbox = await startSandbox();
  try {
    seedCodeBuildFromConfig(sandbox.services.codebuild, parseConfig(readFileSync(CONFIG, 'utf8'), CONFIG));
    sandbox.services.codebuild.scriptNextBuild(PROJECT, script);
    const env = runnerEnv(sandbox);
    const chunks: StampedChunk[] = [];
    const stamp = (text: string) => chunks.push({ at: sandbox.clock.now(), text });
    const began = performance.now();
    const spawned: Spawned =
      actor === 'gantry'
        ? await startAction('codebuild-run', { environment: 'dev', mode: 'plan', config: CONFIG, comment: 'false' }, env, { onStdout: stamp })
        : await startOfficial(bundle ?? '', { 'project-name': PROJECT, 'stop-on-signals': 'SIGINT' }, env);
    const child: ChildProcess = spawned.child;
    // Attached before any I/O callback can run (the start resolved in a microtask): no chunk is missed.
    if (actor === 'official') child.stdout?.on('data', (chunk: Buffer) => stamp(chunk.toString()));
    let exitedAt = Number.NaN;
    child.on('exit', () => (exitedAt = sandbox.clock.now()));
    let capped = false;
    const cap = setTimeout(() => {
      capped = child.exitCode === null && child.signalCode === null;
      if (capped) child.kill('SIGKILL');
    }, RUN_CAP_MS);
    const result = await spawned.result;
    clearTimeout(cap);
    const wallMs = performance.now() - began;
    const builds = [...sandbox.services.codebuild.builds.keys()].map((id) => sandbox.services.codebuild.build(id));
    const build = builds[0];
    if (build === undefined) throw new Error(`${actor}: no build started (exit ${result.code ?? result.signal}); stderr: ${result.stderr.slice(0, 300)}`);
    const endTime = build.endTime ?? Number.NaN;
    const lines = ownLines(script);
    const events = sandbox.services.logs.store.events(build.logGroupName, build.logStreamName);
    const firstSeen = firstSeenLines(chunks);
    const { fromTimestamp, fromIngestion } = lineLatencies(events, lines, firstSeen);
    const exit =
      result.code !== null ? String(result.code) : `${result.signal ?? '?'}${capped ? ` (the benchmark: still running after ${RUN_CAP_MS / 1000} s)` : ''}`;
    const log = logCheck(result.stdout, lines);
    return {
      actor,
      exit,
      log,
      logExact: log === logCheck(lines.join('\n'), lines),
      seen: fromTimestamp.length,
      lines: lines.length,
      p50Ms: percentile(fromTimestamp, 0.5),
      p95Ms: percentile(fromTimestamp, 0.95),
      p50FromIngestionMs: percentile(fromIngestion, 0.5),
      p95FromIngestionMs: percentile(fromIngestion, 0.95),
      ...countCalls(sandbox.server.requests),
      buildMinutes: (endTime - build.startTime) / 60_000,
      finishLagMs: exitedAt - endTime,
      wallMs,
    };
  } finally {
    await sandbox.stop();
  }
}

/** Both actions at once, each against its own sandbox at ×1, on the same 1-minute build. */
export async function benchFollowActions(env: NodeJS.ProcessEnv = process.env): Promise<FollowActionsFigures> {
  const official = officialBundle(env);
  const path = 'path' in official ? official.path : undefined;
  const script: BuildScript = { ...benchmarkScript(0.2), exportedVariables: PLAN_EXPORTS };
  const began = performance.now();
  const [gantry, officialFigures] = await Promise.all([
    runOne('gantry', script, undefined),
    path === undefined ? Promise.resolve(undefined) : runOne('official', script, path),
  ]);
  // gantry's action must print the build's log exactly (main.ts fails the run otherwise); the official one is what it is.
  if (!gantry.logExact) process.stderr.write(`codebuild-follow-actions: gantry's codebuild-run printed the log WRONG: ${gantry.log}\n`);
  const seconds = script.phases.reduce((sum, phase) => sum + phase.durationMs, 0) / 1000;
  return {
    build: `codebuild-follow's ${seconds} s build (${ownLines(script).length} lines of its own, plus the agent's phase lines)`,
    gantry,
    official: officialFigures,
    officialSkipped: 'skipped' in official ? official.skipped : undefined,
    wallMs: performance.now() - began,
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const NAMES: Record<Actor, string> = { gantry: 'gantry codebuild-run (mode plan)', official: OFFICIAL_BUNDLE.repository };

/** Headline rows (main.ts's Row shape): gantry's action against the official one, clock ×1. */
export function followActionRows(f: FollowActionsFigures): { figure: string; clock: number; gantry: string; baseline: string; ratio: string }[] {
  const row = (figure: string, pick: (a: ActionFollowFigures) => number, show: (a: ActionFollowFigures) => string) => ({
    figure: `codebuild-run action vs ${OFFICIAL_BUNDLE.repository}: ${figure} (1-min build, processes)`,
    clock: 1,
    gantry: show(f.gantry),
    baseline: f.official === undefined ? (f.officialSkipped ?? 'not run') : show(f.official),
    ratio: f.official === undefined ? '' : ratio(pick(f.official), pick(f.gantry)),
  });
  return [
    row(
      'log latency p95 from the line written (from ingested)',
      (a) => a.p95Ms,
      (a) => `${s(a.p95Ms)} (${s(a.p95FromIngestionMs)})`,
    ),
    row(
      'all API calls per build-minute',
      (a) => perBuildMinute(totalCalls(a.calls), a),
      (a) => perBuildMinute(totalCalls(a.calls), a).toFixed(1),
    ),
    row(
      'finish lag, build end to process exit',
      (a) => a.finishLagMs,
      (a) => s(a.finishLagMs),
    ),
  ];
}

/** The detail table, in the follow section's output. */
export function formatFollowActions(f: FollowActionsFigures): string {
  const rate = (a: ActionFollowFigures, count: number) => perBuildMinute(count, a).toFixed(1);
  const line = (a: ActionFollowFigures) =>
    `| ${NAMES[a.actor]} | ${a.exit} | ${a.log} | ${s(a.p50Ms)} | ${s(a.p95Ms)} | ${s(a.p50FromIngestionMs)} | ${s(a.p95FromIngestionMs)} | ` +
    `${COUNTED_OPERATIONS.map((operation) => rate(a, a.calls[operation])).join(' | ')} | ${rate(a, a.calls.other)}${a.otherOperations === '' ? '' : ` (${a.otherOperations})`} | ` +
    `${rate(a, totalCalls(a.calls))} (${totalCalls(a.calls)} in ${a.buildMinutes.toFixed(2)} build-min) | ${s(a.finishLagMs)} | ${s(a.wallMs)} |`;
  const officialRow =
    f.official === undefined
      ? `| ${[OFFICIAL_BUNDLE.repository, f.officialSkipped ?? 'not run', ...Array<string>(13).fill('')].join(' | ')} |`
      : line(f.official);
  return [
    `**The actions themselves, ×1**: gantry's committed codebuild-run bundle and the official ${OFFICIAL_BUNDLE.repository} bundle ` +
      `(${OFFICIAL_BUNDLE.commit.slice(0, 12)}, sha256-checked; its defaults: update-interval 30 s), run as the runner runs them, at once, ` +
      `each against its own sandbox, on ${f.build} (${s(f.wallMs)} real). A line's time is the arrival on the parent of the stdout chunk ` +
      "that completed it; latency from the line's CloudWatch timestamp and from its ingestionTime (the earliest any client could read it). " +
      "Calls per build-minute: the process's calls by operation over the build's startTime to endTime. Finish lag: the process's exit less the build's endTime.",
    '',
    '| Action | Exit | Build log in the step | Latency from written, p50 | p95 | From ingested, p50 | p95 | StartBuild / build-min | BatchGetBuilds | GetLogEvents | StartLiveTail | Other | All | Finish lag | Wall |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    line(f.gantry),
    officialRow,
  ].join('\n');
}
