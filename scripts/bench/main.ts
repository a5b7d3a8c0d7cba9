/**
 * `npm run bench`: every benchmark, each comparing gantry with a baseline in the same run. Prints one headline
 * table (figure, clock, gantry, baseline, ratio, target, met), then each benchmark's detail, the runtime of each
 * part and the check of every figure against its target (targets.ts: the one table of targets).
 *
 *   npm run bench                      # everything, about 6½ minutes on 2 cores
 *   npm run bench -- --check           # the same; exits 1 naming every figure that misses its target
 *   npm run bench -- --only prune,warmup  # some parts (follow, faults, warmup, prune, scale, shift, synth, bundles, cold-start)
 *
 * Order: what runs at a fast sandbox clock runs alone (a busy process is multiplied by the clock's speed);
 * then the runs at real speed (×1) that mostly wait on the clock or on other processes run side by side, each
 * with its own sandbox and quotas; then what measures CPU-bound wall time (synth, bundles, cold start) runs alone.
 * Speed and call-count targets live here and in targets.ts, never in timed tests.
 */
import { parseArgs } from 'node:util';
import { describeError } from '../../src/errors.js';
import { median } from '../../src/stats.js';
import { type BundleFigures, benchBundles, formatBundleFigures } from './bundles.js';
import { benchWarmupFast, benchWarmupReal, formatWarmupFigures, WARMUP_RUNS, type WarmupFigures } from './capacity-warmup.js';
import { benchCodeBuildFaults, formatFaultFigures } from './codebuild-faults.js';
import {
  benchCodeBuildFollow,
  callsPerBuildMinute,
  type FollowBench,
  type FollowFigures,
  follower,
  formatFollowFigures,
  logCalls,
  ratio,
} from './codebuild-follow.js';
import { benchFollowActions, followActionRows, formatFollowActions } from './codebuild-follow-actions.js';
import { benchColdStart, type ColdStartFigures, formatColdStartFigures } from './cold-start.js';
import { benchPruneScale, formatScaleFigures, type PruneScaleFigures } from './prune-scale.js';
import { checkFigures, clockLabel, type Figure, formatCheck, formatTarget, formatTargets, type TargetId, target, type Verdict } from './targets.js';
import { benchTerraformSynth, formatSynthFigures, type SynthFigures } from './terraform-synth.js';
import { benchShiftFast, benchShiftReal, describeCalls, formatShiftFigures, type ShiftBench, totalCalls, worstRollback } from './traffic-shift.js';
import {
  benchPruneFast,
  benchPruneReal,
  callsPerDeleted,
  formatPruneFigures,
  type PruneBenchFigures,
  type PruneRunFigures,
  type PruneRuns,
  quotaRatio,
} from './version-prune.js';

const PARTS = ['follow', 'faults', 'warmup', 'prune', 'scale', 'shift', 'synth', 'bundles', 'cold-start'] as const;
type Part = (typeof PARTS)[number];

interface Row {
  figure: string;
  /** The sandbox clock's speed; 1 for real time (or no sandbox). */
  clock: number;
  gantry: string;
  baseline: string;
  ratio: string;
  /** The figures this row shows against their targets, if it has any. */
  checks?: Figure[];
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const x = (value: number) => `×${value.toFixed(2)}`;

function checked(id: TargetId, run: string, clock: number, value: number | undefined, why?: string): Figure {
  return { id, run, clock, value, ...(why === undefined ? {} : { why }) };
}

// ---- rows ---------------------------------------------------------------------------------------------------

/** The Live Tail follower against polling and the 30 s loop, for each run (×20 on the 5-minute build, ×1 on the 1-minute one). */
function followRows(bench: FollowBench): Row[] {
  return [bench.fast, bench.real].flatMap((run) => {
    const [live, poll, fixed] = [follower(run, 'live-tail'), follower(run, 'poll'), follower(run, 'fixed-30s')];
    const build = run.speed === 1 ? '1-min build' : '5-min build';
    const row = (figure: string, pick: (f: FollowFigures) => number, show: (value: number) => string, check?: (value: number) => Figure): Row => ({
      figure: `codebuild-run Live Tail: ${figure} (${build})`,
      clock: run.speed,
      gantry: show(pick(live)),
      baseline: `polling ${show(pick(poll))}; 30 s loop ${show(pick(fixed))}`,
      ratio: `${ratio(pick(poll), pick(live))}; ${ratio(pick(fixed), pick(live))}`,
      ...(check === undefined ? {} : { checks: [check(pick(live))] }),
    });
    const targetLogCalls = (f: FollowFigures) => logCalls(f) - f.reconnects;
    return [
      row('log latency p50 from the line written, build time', (f) => f.p50Ms, s),
      row('log latency p95 from the line written, build time', (f) => f.p95Ms, s),
      row(
        'log latency p95 from the line ingested, build time',
        (f) => f.p95FromIngestionMs,
        s,
        (ms) => checked('follow.p95', build, run.speed, ms / 1000),
      ),
      {
        ...row('log calls per build (StartLiveTail + GetLogEvents)', logCalls, String, () =>
          checked('follow.log-calls', build, run.speed, targetLogCalls(live)),
        ),
        gantry: `${logCalls(live)} (reconnects ${live.reconnects})`,
      },
      row('all API calls per build-minute', callsPerBuildMinute, (value) => value.toFixed(1)),
      row(
        'finish lag after the build ends',
        (f) => f.finishLagMs,
        s,
        (ms) => checked('follow.finish-lag', build, run.speed, ms / 1000),
      ),
    ];
  });
}

function warmupRows(runs: readonly WarmupFigures[]): Row[] {
  const gantry = runs.filter((f) => f.name === 'gantry');
  const baseline = runs.find((f) => f.name === 'one at a time');
  const same = baseline === undefined ? undefined : gantry.find((f) => f.functions === baseline.functions && f.speed === baseline.speed);
  const fleet = gantry.filter((f) => f.functions === WARMUP_RUNS.fleet);
  const byClock = [...new Set(runs.map((f) => f.speed))];
  return [
    ...gantry
      .filter((f) => f.functions !== WARMUP_RUNS.fleet)
      .map((f) => ({
        figure: `capacity-warmup: total ÷ slowest function ready, F=${f.functions}`,
        clock: f.speed,
        gantry: x(f.ratio),
        baseline: '',
        ratio: '',
        checks: [checked('warmup.slowest', `F=${f.functions}`, f.speed, f.ratio)],
      })),
    ...fleet.map((f) => ({
      figure: `capacity-warmup: total ÷ max(slowest ready ${s(f.modelReadyMs)}, ${f.controlPlaneCalls} control-plane calls ÷ 15/s = ${s(f.quotaBoundMs)}), F=${f.functions}`,
      clock: f.speed,
      gantry: `${x(f.fleetRatio)} (${s(f.totalMs)})`,
      baseline: '',
      ratio: '',
      checks: [checked('warmup.fleet', `F=${f.functions}`, f.speed, f.fleetRatio)],
    })),
    ...(baseline === undefined || same === undefined
      ? []
      : [
          {
            figure: `capacity-warmup: total time, F=${baseline.functions} (baseline: gantry's core one function at a time)`,
            clock: baseline.speed,
            gantry: s(same.totalMs),
            baseline: s(baseline.totalMs),
            ratio: x(baseline.totalMs / same.totalMs),
          },
        ]),
    ...fleet.slice(0, 1).map((f) => ({
      figure: `capacity-warmup: API calls per function (control plane / GetFunction / Invoke), F=${f.functions}`,
      clock: f.speed,
      gantry: `${f.controlPlanePerFunction.toFixed(1)} / ${f.getFunctionPerFunction.toFixed(1)} / ${f.invokesPerFunction.toFixed(1)}`,
      baseline: '',
      ratio: '',
    })),
    ...byClock.map((clock) => {
      const at = runs.filter((f) => f.speed === clock);
      const notReady = at.reduce((sum, f) => sum + (f.ready ? 0 : f.functions), 0);
      return {
        figure: `capacity-warmup: functions not ready, every run at this clock (F=${at.map((f) => f.functions).join(', ')})`,
        clock,
        gantry: String(notReady),
        baseline: '',
        ratio: '',
        checks: [checked('warmup.not-ready', 'every run', clock, notReady)],
      };
    }),
  ];
}

function pruneRows(f: PruneBenchFigures): Row[] {
  const size = (run: PruneRunFigures) => `${run.functions}×${run.versions}`;
  const pair = (runs: PruneRuns): Row[] => [
    {
      figure: `version-prune: wall ÷ quota bound, ${size(runs.gantry)} (the loop it replaces: the same, and its wall ÷ gantry's)`,
      clock: runs.gantry.speed,
      gantry: `${x(quotaRatio(runs.gantry))} (${s(runs.gantry.wallMs)})`,
      baseline: `${x(quotaRatio(runs.loop))} (${s(runs.loop.wallMs)})`,
      ratio: x(runs.loop.wallMs / runs.gantry.wallMs),
      checks: [checked('prune.quota', size(runs.gantry), runs.gantry.speed, quotaRatio(runs.gantry))],
    },
    {
      figure: `version-prune: calls per deleted version, ${size(runs.gantry)}`,
      clock: runs.gantry.speed,
      gantry: callsPerDeleted(runs.gantry).toFixed(2),
      baseline: callsPerDeleted(runs.loop).toFixed(2),
      ratio: x(callsPerDeleted(runs.loop) / callsPerDeleted(runs.gantry)),
    },
  ];
  const safety = (clock: number, runs: PruneRunFigures[]): Row[] => {
    const sum = (pick: (run: PruneRunFigures) => number) => runs.reduce((total, run) => total + pick(run), 0);
    const which = runs.map((run) => `${run.name} ${size(run)}`).join(', ');
    return [
      {
        figure: 'version-prune: protected versions deleted / failed calls (every gantry run at this clock)',
        clock,
        gantry: `${sum((run) => run.protectedDeleted)} / ${sum((run) => run.failedCalls)}`,
        baseline: '',
        ratio: '',
        checks: [
          checked(
            'prune.protected-deleted',
            which,
            clock,
            sum((run) => run.protectedDeleted),
          ),
          checked(
            'prune.failed-calls',
            which,
            clock,
            sum((run) => run.failedCalls),
          ),
        ],
      },
    ];
  };
  const [standard, adaptive] = f.retryModes as [PruneRunFigures, PruneRunFigures];
  return [
    ...pair(f.fast),
    ...pair(f.real),
    {
      figure: `version-prune: wall ÷ bound with another caller taking half the quota, ${size(standard)} (standard retry; baseline: SDK adaptive retry)`,
      clock: standard.speed,
      gantry: x(quotaRatio(standard)),
      baseline: x(quotaRatio(adaptive)),
      ratio: x(adaptive.wallMs / standard.wallMs),
    },
    ...safety(f.fast.gantry.speed, [f.fast.gantry]),
    ...safety(1, [f.real.gantry, ...f.retryModes]),
  ];
}

function scaleRows(f: PruneScaleFigures): Row[] {
  const listedInFull = f.planned.unlisted + f.planned.missing + (f.planned.failed ? 1 : 0);
  return [
    {
      figure: `version-prune dry run, ${f.functions}×${f.versions}: sandbox CPU ÷ gantry CPU (gantry CPU per call, peak RSS)`,
      clock: f.clockSpeed,
      gantry: `${(f.gantryCpuMs / f.calls).toFixed(2)} ms per call, ${Math.round(f.peakRssKiB / 1024)} MiB`,
      baseline: `sandbox ${(f.sandboxCpuMs / f.calls).toFixed(2)} ms per call`,
      ratio: x(f.sandboxCpuMs / f.gantryCpuMs),
      checks: [checked('prune.scale.sandbox-cpu', `${f.functions}×${f.versions}`, f.clockSpeed, f.sandboxCpuMs / f.gantryCpuMs)],
    },
    {
      figure: `version-prune dry run, ${f.functions}×${f.versions}: functions not listed in full (of ${f.planned.functions}; ${f.calls} calls)`,
      clock: f.clockSpeed,
      gantry: String(listedInFull),
      baseline: '',
      ratio: '',
      checks: [checked('prune.scale.unlisted', `${f.functions}×${f.versions}`, f.clockSpeed, listedInFull)],
    },
    {
      figure: `sandbox: seeding ${f.functions}×${f.versions} over ${f.capacityProviders} capacity providers`,
      clock: 1,
      gantry: s(f.seedMs),
      baseline: '',
      ratio: '',
      checks: [checked('sandbox.seed', `${f.functions}×${f.versions}`, 1, f.seedMs / 1000)],
    },
  ];
}

/** traffic-shift (issue 19): calls per shift by operation; alarm to rollback against one poll plus one UpdateAlias. */
function shiftRows(bench: ShiftBench): Row[] {
  const calls = bench.complete.map((f) => ({
    figure: `traffic-shift: API calls per shift, ${f.name}, F=${f.functions}`,
    clock: f.speed,
    gantry: `${totalCalls(f.calls)}: ${describeCalls(f.calls)}`,
    baseline: '',
    ratio: '',
  }));
  const byClock = [...new Set(bench.rollback.map((f) => f.speed))].flatMap((clock) => {
    const runs = bench.rollback.filter((f) => f.speed === clock);
    const worst = worstRollback(runs);
    if (worst === undefined) return [];
    const run = `F=1, poll ${worst.pollMs / 1000} s${runs.length === 1 ? '' : `, worst of ${runs.length}`}`;
    return [
      {
        figure: `traffic-shift: guarding alarm → rollback answered ÷ (one poll + one UpdateAlias), ${run}`,
        clock,
        gantry: `×${worst.ratio.toFixed(2)} (${s(worst.latencyMs)} of ${s(worst.boundMs)})`,
        baseline: '',
        ratio: '',
        checks: [
          worst.problems.length === 0
            ? checked('shift.alarm-to-rollback', run, clock, worst.ratio)
            : checked('shift.alarm-to-rollback', run, clock, undefined, worst.problems.join('; ')),
        ],
      },
    ];
  });
  return [...calls, ...byClock];
}

function synthRows(figures: SynthFigures): Row[] {
  return [
    { figure: `terraform/: npm run synth, ${figures.environments} environments`, clock: 1, gantry: s(median(figures.processMs)), baseline: '', ratio: '' },
    {
      figure: 'terraform/: load provider bindings (deep vs barrel import)',
      clock: 1,
      gantry: s(median(figures.deepImportMs)),
      baseline: s(median(figures.barrelImportMs)),
      ratio: x(median(figures.barrelImportMs) / median(figures.deepImportMs)),
    },
    ...(figures.validate === undefined
      ? []
      : [
          {
            figure: `terraform/: npm run validate:terraform, ${figures.environments} environments`,
            clock: 1,
            gantry: s(median(figures.validate.warmMs)),
            baseline: '',
            ratio: '',
          },
        ]),
  ];
}

function bundleRows(figures: BundleFigures[]): Row[] {
  return figures.map((f) => ({
    figure: `${f.action}: bundle size / cold start to ${f.until}`,
    clock: 1,
    gantry: `${Math.round(f.sizeKiB)} KiB / ${Math.round(f.coldStartMs)} ms`,
    baseline: '',
    ratio: '',
  }));
}

function coldStartRows(figures: ColdStartFigures): Row[] {
  const { official } = figures;
  const worst = (pick: (f: ColdStartFigures['gantry'][number]) => number) => Math.max(...figures.gantry.map(pick));
  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  const bytesRow: Row = {
    figure: 'actions: committed bundle bytes, all entries and chunks',
    clock: 1,
    gantry: kib(figures.actionBundleBytes),
    baseline: '',
    ratio: '',
    checks: [checked('bundles.bytes', 'actions/', 1, figures.actionBundleBytes / 1e6)],
  };
  if (official === undefined) {
    const why = figures.skipped ?? 'the official bundle was not given';
    return [
      {
        figure: 'actions: cold start to the missing-input error, slowest action ÷ official CodeBuild action',
        clock: 1,
        gantry: `${Math.round(worst((f) => f.wallMs))} ms (slowest action)`,
        baseline: why,
        ratio: '',
        checks: [checked('cold-start.wall', 'slowest action', 1, undefined, why), checked('cold-start.js-loaded', 'most of any action', 1, undefined, why)],
      },
      bytesRow,
    ];
  }
  return [
    {
      figure: 'actions: cold start to the missing-input error (slowest action ÷ official CodeBuild action)',
      clock: 1,
      gantry: `${Math.round(worst((f) => f.wallMs))} ms`,
      baseline: `${Math.round(official.wallMs)} ms`,
      ratio: x(worst((f) => f.wallMs) / official.wallMs),
      checks: [checked('cold-start.wall', 'slowest action', 1, worst((f) => f.wallMs) / official.wallMs)],
    },
    {
      figure: 'node alone: an empty ES module, spawn to exit (the floor of the row above)',
      clock: 1,
      gantry: `${Math.round(figures.floor.wallMs)} ms`,
      baseline: `${Math.round(official.wallMs)} ms`,
      ratio: x(figures.floor.wallMs / official.wallMs),
    },
    {
      figure: 'actions: JS loaded before that error (most of any action ÷ official)',
      clock: 1,
      gantry: kib(worst((f) => f.bytesLoaded)),
      baseline: kib(official.bytesLoaded),
      ratio: x(worst((f) => f.bytesLoaded) / official.bytesLoaded),
      checks: [checked('cold-start.js-loaded', 'most of any action', 1, worst((f) => f.bytesLoaded) / official.bytesLoaded)],
    },
    {
      figure: 'actions: peak RSS to that error (most of any action ÷ official)',
      clock: 1,
      gantry: kib(worst((f) => f.peakRssKiB) * 1024),
      baseline: kib(official.peakRssKiB * 1024),
      ratio: x(worst((f) => f.peakRssKiB) / official.peakRssKiB),
    },
    bytesRow,
  ];
}

// ---- report -----------------------------------------------------------------------------------------------

function verdictText(verdict: Verdict | undefined): string {
  if (verdict === undefined || verdict.met === undefined) return 'not measured';
  return verdict.met ? 'met' : '**MISSED**';
}

/** The headline: one line per figure, its targets and whether each is met. */
function table(rows: Row[], verdicts: Verdict[]): string {
  const lines = rows.map((row) => {
    const checks = row.checks ?? [];
    const goals = checks.map((figure) => `${figure.id} ${formatTarget(target(figure.id))}`).join('; ');
    const met = checks.map((figure) => verdictText(verdicts.find((verdict) => verdict.figure === figure))).join('; ');
    return `| ${row.figure} | ${clockLabel(row.clock)} | ${row.gantry} | ${row.baseline} | ${row.ratio} | ${goals} | ${met} |`;
  });
  return [
    '| Figure | Clock | gantry | Baseline | Ratio (baseline ÷ gantry) | Target | Met |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
    ...lines,
  ].join('\n');
}

function runtimeTable(runtimes: { part: string; ms: number; note: string }[]): string {
  return [
    '### Runtime of each part (real time)',
    '',
    '| Part | Real time | How it ran |',
    '| --- | ---: | --- |',
    ...runtimes.map(({ part, ms, note }) => `| ${part} | ${(ms / 1000).toFixed(1)} s | ${note} |`),
  ].join('\n');
}

// ---- run ----------------------------------------------------------------------------------------------------

const { values } = (() => {
  try {
    return parseArgs({ options: { check: { type: 'boolean', default: false }, only: { type: 'string' } } });
  } catch (error) {
    process.stderr.write(`error: ${describeError(error).split('\n')[0]}; usage: npm run bench -- [--check] [--only ${PARTS.join(',')}]\n`);
    process.exit(2);
  }
})();
const only = values.only === undefined ? new Set<string>(PARTS) : new Set(values.only.split(',').map((part) => part.trim()));
for (const part of only) {
  if (!(PARTS as readonly string[]).includes(part)) {
    process.stderr.write(`error: --only: unknown part "${part}"; the parts: ${PARTS.join(', ')}\n`);
    process.exit(2);
  }
}
const wanted = (part: Part) => only.has(part);

const runtimes: { part: string; ms: number; note: string }[] = [];
/** Runs a part and records its real time, in the order the parts started. */
async function timed<T>(part: string, note: string, run: () => Promise<T>): Promise<T> {
  const entry = { part, ms: Number.NaN, note };
  runtimes.push(entry);
  const started = performance.now();
  try {
    return await run();
  } finally {
    entry.ms = performance.now() - started;
  }
}
const skip = Promise.resolve(undefined);

const benchStarted = performance.now();
// 1. The follow benchmark: its ×20 run, then its ×1 run (alone: the ×20 run is CPU-sensitive).
const follow = wanted('follow') ? await timed('follow', '×20 run, then ×1 run (3 followers at once); alone', benchCodeBuildFollow) : undefined;
// Every follower must have printed the stream exactly (checked in the benchmark): a wrong log fails the run.
if (follow !== undefined && [...follow.fast.figures, ...follow.real.figures].some((f) => f.mismatch !== undefined)) process.exitCode = 1;
// 2. Fast-clock runs, one at a time.
const warmupFast = wanted('warmup') ? await timed('warmup ×20', 'F = 1, 10, 50, 200, baseline; alone', () => benchWarmupFast()) : undefined;
const pruneFast = wanted('prune') ? await timed('prune ×20', 'gantry, then the loop; alone', () => benchPruneFast()) : undefined;
const scale = wanted('scale') ? await timed('prune at scale', 'sandbox and gantry in two processes; alone', () => benchPruneScale()) : undefined;
const shiftFast = wanted('shift')
  ? await timed('shift ×60, ×20', 'canary, linear, short canary at ×60; 3 rollbacks at ×20; alone', () => benchShiftFast())
  : undefined;
// 3. ×1 runs side by side: each waits on its own sandbox clock or its child processes, with its own quotas.
const [faults, warmupReal, pruneReal, followActions, shiftReal] = await timed('×1 group', 'the rows below, side by side', () =>
  Promise.all([
    wanted('faults') ? timed('  faults (×1)', 'child processes, gantry and the official bundle', () => benchCodeBuildFaults()) : skip,
    wanted('warmup') ? timed('  warmup ×1', 'F = 200', () => benchWarmupReal()) : skip,
    wanted('prune') ? timed('  prune ×1', 'gantry, the loop, two retry modes', () => benchPruneReal()) : skip,
    wanted('follow') ? timed('  follow: the actions (×1)', 'child processes, gantry and the official bundle, on one build', () => benchFollowActions()) : skip,
    wanted('shift') ? timed('  shift ×1', 'the short canary and one rollback, side by side', () => benchShiftReal()) : skip,
  ] as const),
);
// gantry's action, like every follower, must print the build's log exactly.
if (followActions !== undefined && !followActions.gantry.logExact) process.exitCode = 1;
const shift: ShiftBench | undefined =
  shiftFast === undefined || shiftReal === undefined
    ? undefined
    : { complete: [...shiftFast.complete, ...shiftReal.complete], rollback: [...shiftFast.rollback, ...shiftReal.rollback] };
// A shift that should have completed and did not, or a rollback that did not happen as it should: the run fails.
if (shift !== undefined && [...shift.complete, ...shift.rollback].some((f) => f.problems.length > 0)) process.exitCode = 1;
// 4. CPU-bound wall times, alone.
const synth = wanted('synth') ? await timed('synth', 'child processes; alone', benchTerraformSynth) : undefined;
const bundles = wanted('bundles') ? await timed('bundles', 'child processes; alone', benchBundles) : undefined;
const coldStart = wanted('cold-start') ? await timed('cold start', 'child processes; alone', () => benchColdStart()) : undefined;
runtimes.push({ part: 'total', ms: performance.now() - benchStarted, note: '' });

const warmup = [...(warmupFast ?? []), ...(warmupReal ?? [])];
const prune: PruneBenchFigures | undefined = pruneFast === undefined || pruneReal === undefined ? undefined : { fast: pruneFast, ...pruneReal };
const rows: Row[] = [
  ...(follow === undefined ? [] : followRows(follow)),
  ...(followActions === undefined ? [] : followActionRows(followActions)),
  ...(warmup.length === 0 ? [] : warmupRows(warmup)),
  ...(prune === undefined ? [] : pruneRows(prune)),
  ...(scale === undefined ? [] : scaleRows(scale)),
  ...(shift === undefined ? [] : shiftRows(shift)),
  ...(synth === undefined ? [] : synthRows(synth)),
  ...(bundles === undefined ? [] : bundleRows(bundles)),
  ...(coldStart === undefined ? [] : coldStartRows(coldStart)),
];
const figures = rows.flatMap((row) => row.checks ?? []);
const result = checkFigures(figures);
const check = formatCheck(result);
const sections: (string | undefined)[] = [
  '## gantry benchmarks (one run)',
  'Clock: ×1 is real time (the sandbox clock at real speed, or no sandbox); ×N (fast) is a sandbox clock N times faster, where every real ' +
    'millisecond of overhead counts N times (a fast-clock figure is pessimistic when the process is busy). Each fast-clock figure with a ' +
    'target has a ×1 row for one size. Times are sandbox (build) time where a sandbox runs.',
  table(rows, result.verdicts),
  follow === undefined ? undefined : formatFollowFigures(follow),
  followActions === undefined ? undefined : formatFollowActions(followActions),
  faults === undefined ? undefined : formatFaultFigures(faults),
  warmup.length === 0 ? undefined : formatWarmupFigures(warmup),
  prune === undefined ? undefined : formatPruneFigures(prune),
  scale === undefined ? undefined : formatScaleFigures(scale),
  shift === undefined ? undefined : formatShiftFigures(shift),
  synth === undefined ? undefined : formatSynthFigures(synth),
  bundles === undefined ? undefined : formatBundleFigures(bundles),
  coldStart === undefined ? undefined : formatColdStartFigures(coldStart),
  runtimeTable(runtimes),
  `### Targets (scripts/bench/targets.ts)\n\n${formatTargets()}`,
  `### Check\n\n\`\`\`\n${check.text}\n\`\`\``,
];
process.stdout.write(`${sections.filter((section) => section !== undefined).join('\n\n')}\n`);
if (values.check) {
  process.stderr.write(`${check.text}\n`);
  if (check.exitCode !== 0) process.exitCode = check.exitCode;
}
