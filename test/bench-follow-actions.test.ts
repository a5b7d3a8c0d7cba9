/**
 * The actions' follow benchmark (scripts/bench/codebuild-follow-actions.ts): how it reads a process's stdout
 * into the time each line first appeared, matches those lines to the stream's events, counts calls by operation
 * and reports the two actions. No timing here: the chunks, events and figures are given.
 */
import { describe, expect, it } from 'vitest';
import {
  type ActionFollowFigures,
  countCalls,
  type FollowActionsFigures,
  firstSeenLines,
  followActionRows,
  formatFollowActions,
  lineLatencies,
} from '../scripts/bench/codebuild-follow-actions.js';

describe('codebuild-follow-actions: when each line first appeared on stdout', () => {
  it("stamps a line with the chunk that completed it, its end trimmed, and keeps only a line's first appearance", () => {
    // Prepare: a line split over two chunks, a workflow command and a line in one chunk, a repeat, trailing spaces.
    const chunks = [
      { at: 1_000, text: 'install 1\ninst' },
      { at: 1_500, text: 'all 2\n::stop-commands::abc\nplan 1  \r\n' },
      { at: 2_000, text: 'install 1\nupload 1' },
    ];

    // Act
    const seen = firstSeenLines(chunks);

    // Assess
    expect([...seen]).toEqual([
      ['install 1', 1_000],
      ['install 2', 1_500],
      ['::stop-commands::abc', 1_500],
      ['plan 1', 1_500],
      ['upload 1', 2_000],
    ]);
  });

  it('measures each of the build lines that appeared from its timestamp and from its ingestion, once each', () => {
    // Prepare: the stream holds an agent line and the build's lines (one of them with a trailing space); one never appeared.
    const events = [
      { timestamp: 100, ingestionTime: 1_100, message: '[Container] Entering phase INSTALL' },
      { timestamp: 200, ingestionTime: 1_200, message: 'install 1 ' },
      { timestamp: 300, ingestionTime: 1_300, message: 'install 2' },
      { timestamp: 400, ingestionTime: 1_400, message: 'install 3' },
    ];
    const seen = new Map([
      ['[Container] Entering phase INSTALL', 1_500],
      ['install 1', 1_700],
      ['install 2', 2_300],
    ]);

    // Act
    const latencies = lineLatencies(events, ['install 1', 'install 2', 'install 3'], seen);

    // Assess
    expect(latencies).toEqual({ fromTimestamp: [1_500, 2_000], fromIngestion: [500, 1_000] });
  });

  it('counts calls by operation, the others named with their counts', () => {
    const requests = ['StartBuild', 'BatchGetBuilds', 'StartLiveTail', 'GetLogEvents', 'BatchGetBuilds', 'StopBuild', 'DescribeLogStreams', 'StopBuild'];

    const counted = countCalls(requests.map((operation) => ({ operation })));

    expect(counted).toEqual({
      calls: { StartBuild: 1, BatchGetBuilds: 2, GetLogEvents: 1, StartLiveTail: 1, other: 3 },
      otherOperations: 'StopBuild 2, DescribeLogStreams 1',
    });
  });
});

describe('codebuild-follow-actions: the report', () => {
  const gantry: ActionFollowFigures = {
    actor: 'gantry',
    exit: '0',
    log: 'all 101, once, in order',
    logExact: true,
    seen: 101,
    lines: 101,
    p50Ms: 1_520,
    p95Ms: 1_950,
    p50FromIngestionMs: 520,
    p95FromIngestionMs: 950,
    calls: { StartBuild: 1, BatchGetBuilds: 6, GetLogEvents: 2, StartLiveTail: 1, other: 0 },
    otherOperations: '',
    buildMinutes: 1,
    finishLagMs: 3_000,
    wallMs: 63_000,
  };
  const official: ActionFollowFigures = {
    ...gantry,
    actor: 'official',
    p50Ms: 31_000,
    p95Ms: 48_750,
    p50FromIngestionMs: 30_000,
    p95FromIngestionMs: 47_750,
    calls: { StartBuild: 1, BatchGetBuilds: 5, GetLogEvents: 3, StartLiveTail: 0, other: 0 },
    finishLagMs: 30_000,
    wallMs: 90_000,
  };
  const run = (o: ActionFollowFigures | undefined, skipped?: string): FollowActionsFigures => ({
    build: 'a 60 s build',
    gantry,
    official: o,
    officialSkipped: skipped,
    wallMs: 90_000,
  });

  it('puts the official action beside gantry in the headline, clock ×1, ratio official ÷ gantry', () => {
    const rows = followActionRows(run(official));

    expect(rows.map(({ gantry: g, baseline, ratio, clock }) => [g, baseline, ratio, clock])).toEqual([
      ['1.95 s (0.95 s)', '48.75 s (47.75 s)', '×25.0', 1],
      ['10.0', '9.0', '×0.9', 1],
      ['3.00 s', '30.00 s', '×10.0', 1],
    ]);
  });

  it('says why the official action was not run, in the headline and in the table', () => {
    const why = 'not run: set GANTRY_BENCH_OFFICIAL_BUNDLE (/work/shared/anchors/aws-codebuild-run-build.js does not exist)';

    const rows = followActionRows(run(undefined, why));
    const table = formatFollowActions(run(undefined, why)).split('\n');

    expect(rows.map((row) => [row.baseline, row.ratio])).toEqual([
      [why, ''],
      [why, ''],
      [why, ''],
    ]);
    const header = table.find((line) => line.startsWith('| Action |')) ?? '';
    const last = table.at(-1) ?? '';
    expect(last.startsWith(`| aws-actions/aws-codebuild-run-build | ${why} |`)).toBe(true);
    expect(last.split(' | ')).toHaveLength(header.split(' | ').length);
  });

  it("gives each action's calls per build-minute by operation in the table", () => {
    const table = formatFollowActions(run(official)).split('\n');

    const gantryRow = table.find((line) => line.startsWith('| gantry codebuild-run')) ?? '';
    const officialRow = table.find((line) => line.startsWith('| aws-actions/aws-codebuild-run-build')) ?? '';
    expect(gantryRow).toContain('| 1.0 | 6.0 | 2.0 | 1.0 | 0.0 | 10.0 (10 in 1.00 build-min) | 3.00 s |');
    expect(officialRow).toContain('| 31.00 s | 48.75 s | 30.00 s | 47.75 s | 1.0 | 5.0 | 3.0 | 0.0 | 0.0 | 9.0 (9 in 1.00 build-min) | 30.00 s |');
  });
});
