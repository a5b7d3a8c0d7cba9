/**
 * `npm run bench`: every benchmark, each comparing gantry with the loop it replaces in the same run. Prints
 * one headline table (figure, gantry, baseline, ratio, target) and then each benchmark's detail. Speed and
 * call-count targets live here, never in timed tests.
 */
import { median } from '../../src/stats.js';
import { type BundleFigures, benchBundles, formatBundleFigures } from './bundles.js';
import { benchCapacityWarmup, formatWarmupFigures, type WarmupFigures } from './capacity-warmup.js';
import { benchCodeBuildFaults, formatFaultFigures } from './codebuild-faults.js';
import {
  benchCodeBuildFollow,
  callsPerBuildMinute,
  type FollowBench,
  type FollowFigures,
  type FollowRun,
  follower,
  formatFollowFigures,
  logCalls,
  ratio,
  targetsMet,
} from './codebuild-follow.js';
import { benchColdStart, type ColdStartFigures, formatColdStartFigures } from './cold-start.js';
import { benchTerraformSynth, formatSynthFigures, type SynthFigures } from './terraform-synth.js';
import { benchVersionPrune, formatPruneFigures, type PruneBenchFigures, quotaRatio } from './version-prune.js';

interface Row {
  figure: string;
  gantry: string;
  baseline: string;
  ratio: string;
  target: string;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const x = (value: number) => `×${value.toFixed(2)}`;

/** Each follow figure at the fast clock and at ×1 (`fast / ×1`), gantry's Live Tail against polling and the 30 s loop. */
function followRows({ fast, real }: FollowBench): Row[] {
  const pair = (run: FollowRun) => ({ live: follower(run, 'live-tail'), poll: follower(run, 'poll'), fixed: follower(run, 'fixed-30s') });
  const [f, r] = [pair(fast), pair(real)];
  const [fastMet, realMet] = [targetsMet(fast), targetsMet(real)];
  const met = (a: boolean, b: boolean) => (a && b ? 'met' : !a && !b ? 'NOT met' : `${a ? 'met' : 'NOT met'} / ${b ? 'met' : 'NOT met'}`);
  const row = (figure: string, pick: (figures: FollowFigures) => number, show: (value: number) => string, target: string): Row => ({
    figure: `${figure} (×${fast.speed}, 5-min build / ×1, 1-min build)`,
    gantry: `${show(pick(f.live))} / ${show(pick(r.live))}`,
    baseline: `polling ${show(pick(f.poll))} / ${show(pick(r.poll))}; 30 s loop ${show(pick(f.fixed))} / ${show(pick(r.fixed))}`,
    ratio: `${ratio(pick(f.poll), pick(f.live))} / ${ratio(pick(r.poll), pick(r.live))}; ${ratio(pick(f.fixed), pick(f.live))} / ${ratio(pick(r.fixed), pick(r.live))}`,
    target,
  });
  const count = (value: number) => value.toFixed(0);
  return [
    row('codebuild-run Live Tail: log latency p50 (build time)', (figures) => figures.p50Ms, s, ''),
    row('codebuild-run Live Tail: log latency p95 (build time)', (figures) => figures.p95Ms, s, `≤ 1.5 s: ${met(fastMet.p95, realMet.p95)}`),
    {
      ...row(
        'codebuild-run Live Tail: log calls per build (StartLiveTail + GetLogEvents)',
        logCalls,
        count,
        `≤ 2 + reconnects: ${met(fastMet.logCalls, realMet.logCalls)}`,
      ),
      gantry: `${logCalls(f.live)} / ${logCalls(r.live)} (reconnects ${f.live.reconnects} / ${r.live.reconnects})`,
    },
    row('codebuild-run Live Tail: all API calls per build-minute', callsPerBuildMinute, (value) => value.toFixed(1), ''),
    row('codebuild-run Live Tail: finish lag after the build ends', (figures) => figures.finishLagMs, s, `≤ 1 s: ${met(fastMet.finishLag, realMet.finishLag)}`),
  ];
}

function warmupRows(figures: WarmupFigures[]): Row[] {
  const parallel = figures.filter((f) => f.name.startsWith('gantry'));
  const baseline = figures.find((f) => !f.name.startsWith('gantry'));
  const same = baseline === undefined ? undefined : parallel.find((f) => f.functions === baseline.functions);
  return [
    ...parallel.map((f) => ({
      figure: `capacity-warmup: total ÷ slowest function ready, F=${f.functions}`,
      gantry: x(f.ratio),
      baseline: '',
      ratio: '',
      target: '≤ ×1.20',
    })),
    ...(baseline === undefined || same === undefined
      ? []
      : [
          {
            figure: `capacity-warmup: total time, F=${baseline.functions}`,
            gantry: s(same.totalMs),
            baseline: `${s(baseline.totalMs)} (one at a time)`,
            ratio: x(baseline.totalMs / same.totalMs),
            target: '',
          },
        ]),
    ...parallel.slice(-1).map((f) => ({
      figure: `capacity-warmup: API calls per function, F=${f.functions}`,
      gantry: (f.controlPlanePerFunction + f.getFunctionPerFunction + f.invokesPerFunction).toFixed(1),
      baseline: '',
      ratio: '',
      target: '',
    })),
  ];
}

function pruneRows(figures: PruneBenchFigures): Row[] {
  const { gantry, loop } = figures;
  return [
    {
      figure: `version-prune: wall ÷ quota bound, ${figures.functions}×${figures.versions} versions`,
      gantry: x(quotaRatio(gantry)),
      baseline: '',
      ratio: '',
      target: '≤ ×1.10',
    },
    {
      figure: 'version-prune: wall time (sandbox time)',
      gantry: s(gantry.wallMs),
      baseline: `${s(loop.wallMs)} (sequential scan)`,
      ratio: x(loop.wallMs / gantry.wallMs),
      target: '',
    },
    {
      figure: 'version-prune: protected versions deleted / failed calls',
      gantry: `${gantry.protectedDeleted} / ${gantry.failedCalls}`,
      baseline: `${loop.protectedDeleted} / ${loop.failedCalls}`,
      ratio: '',
      target: '0 / 0',
    },
  ];
}

function synthRows(figures: SynthFigures): Row[] {
  return [
    { figure: `terraform/: npm run synth, ${figures.environments} environments`, gantry: s(median(figures.processMs)), baseline: '', ratio: '', target: '' },
    {
      figure: 'terraform/: load provider bindings (deep vs barrel import)',
      gantry: s(median(figures.deepImportMs)),
      baseline: s(median(figures.barrelImportMs)),
      ratio: x(median(figures.barrelImportMs) / median(figures.deepImportMs)),
      target: '',
    },
    ...(figures.validate === undefined
      ? []
      : [
          {
            figure: `terraform/: npm run validate:terraform, ${figures.environments} environments`,
            gantry: s(median(figures.validate.warmMs)),
            baseline: '',
            ratio: '',
            target: '',
          },
        ]),
  ];
}

function bundleRows(figures: BundleFigures[]): Row[] {
  return figures.map((f) => ({
    figure: `${f.action}: bundle size / cold start to ${f.until}`,
    gantry: `${Math.round(f.sizeKiB)} KiB / ${Math.round(f.coldStartMs)} ms`,
    baseline: '',
    ratio: '',
    target: '',
  }));
}

function coldStartRows(figures: ColdStartFigures): Row[] {
  const { official } = figures;
  const worst = (pick: (f: ColdStartFigures['gantry'][number]) => number) => Math.max(...figures.gantry.map(pick));
  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  if (official === undefined) {
    return [
      {
        figure: 'actions: cold start to the missing-input error, vs the official CodeBuild action',
        gantry: `${Math.round(worst((f) => f.wallMs))} ms (slowest action)`,
        baseline: figures.skipped ?? '',
        ratio: '',
        target: '≤ ×0.50 of the official',
      },
    ];
  }
  return [
    {
      figure: 'actions: cold start to the missing-input error (slowest action ÷ official CodeBuild action)',
      gantry: `${Math.round(worst((f) => f.wallMs))} ms`,
      baseline: `${Math.round(official.wallMs)} ms`,
      ratio: x(worst((f) => f.wallMs) / official.wallMs),
      target: '≤ ×0.50',
    },
    {
      figure: 'node alone: an empty ES module, spawn to exit (the floor of the row above)',
      gantry: `${Math.round(figures.floor.wallMs)} ms`,
      baseline: `${Math.round(official.wallMs)} ms`,
      ratio: x(figures.floor.wallMs / official.wallMs),
      target: '',
    },
    {
      figure: 'actions: JS loaded before that error (most of any action ÷ official)',
      gantry: kib(worst((f) => f.bytesLoaded)),
      baseline: kib(official.bytesLoaded),
      ratio: x(worst((f) => f.bytesLoaded) / official.bytesLoaded),
      target: '≤ ×0.50',
    },
    {
      figure: 'actions: peak RSS to that error (most of any action ÷ official)',
      gantry: kib(worst((f) => f.peakRssKiB) * 1024),
      baseline: kib(official.peakRssKiB * 1024),
      ratio: x(worst((f) => f.peakRssKiB) / official.peakRssKiB),
      target: '',
    },
    { figure: 'actions: committed bundle bytes, all entries and chunks', gantry: kib(figures.actionBundleBytes), baseline: '', ratio: '', target: '≤ 2 MB' },
  ];
}

function table(rows: Row[]): string {
  return [
    '| Figure | gantry | Baseline | Ratio (baseline ÷ gantry) | Target |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows.map((row) => `| ${row.figure} | ${row.gantry} | ${row.baseline} | ${row.ratio} | ${row.target} |`),
  ].join('\n');
}

const follow = await benchCodeBuildFollow();
// Every follower must have printed the stream exactly (checked in the benchmark): a wrong log fails the run.
if ([...follow.fast.figures, ...follow.real.figures].some((f) => f.mismatch !== undefined)) process.exitCode = 1;
const faults = await benchCodeBuildFaults();
const warmup = await benchCapacityWarmup();
const prune = await benchVersionPrune();
const synth = await benchTerraformSynth();
const bundles = await benchBundles();
const coldStart = await benchColdStart();

const headline = [...followRows(follow), ...warmupRows(warmup), ...pruneRows(prune), ...synthRows(synth), ...bundleRows(bundles), ...coldStartRows(coldStart)];
process.stdout.write(
  `${[
    '## gantry benchmarks (one run; figures in sandbox time where the sandbox clock runs fast)',
    table(headline),
    formatFollowFigures(follow),
    formatFaultFigures(faults),
    formatWarmupFigures(warmup),
    formatPruneFigures(prune),
    formatSynthFigures(synth),
    formatBundleFigures(bundles),
    formatColdStartFigures(coldStart),
  ].join('\n\n')}\n`,
);
