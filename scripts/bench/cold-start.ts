/**
 * Benchmark: how fast an action says that an input is missing. Each gantry action and the official
 * aws-actions/aws-codebuild-run-build action are started as GitHub starts them (`node dist/index.js`) with no
 * inputs, and timed to their error exit; the runs are interleaved round by round (so a busy machine slows
 * every command alike) and the medians compared. Also measured, in separate runs with a preloaded probe
 * (scripts/bench/load-probe.mjs): the peak resident memory, and the bytes of JavaScript the process loaded.
 *
 * The official bundle is third-party code: the project does not copy it. Its path comes from
 * GANTRY_BENCH_OFFICIAL_BUNDLE and must be the recorded build (commit and sha256 below); without it the
 * comparison is reported as not run.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTIONS } from '../../src/definitions/index.js';
import { median } from '../../src/stats.js';
import { required } from '../assert.js';
import { REPO_ROOT } from '../local-runner.js';

/** The official action's committed dist/index.js at this commit; GitHub: aws-actions/aws-codebuild-run-build. */
export const OFFICIAL_BUNDLE = {
  env: 'GANTRY_BENCH_OFFICIAL_BUNDLE',
  repository: 'aws-actions/aws-codebuild-run-build',
  commit: 'd72652c68bc355a2a72acad63efd6bcd0a81fdf8',
  sha256: 'ba8ac35f677b353af84b312fc12df0f651443785d8378e912612786d6e19b171',
} as const;

const PROBE = fileURLToPath(new URL('./load-probe.mjs', import.meta.url));

export interface StartFigures {
  name: string;
  /** Median wall time from spawn to exit, ms. */
  wallMs: number;
  /** Median peak resident set, KiB. */
  peakRssKiB: number;
  /** JavaScript bytes the process loaded before it exited. */
  bytesLoaded: number;
  /** Whether every run failed naming an input, as it should with no inputs. */
  namedInput: boolean;
}

/** The name of the floor row: what node itself costs to start and exit, with no code to run. */
export const FLOOR = 'node, an empty ES module (the floor)';

export interface ColdStartFigures {
  runs: number;
  /** An empty module: node's own start, the least any bundle can take. */
  floor: StartFigures;
  gantry: StartFigures[];
  /** Undefined when the official bundle was not given (or was not the recorded one): `skipped` says why. */
  official?: StartFigures;
  skipped?: string;
  /** Every committed action bundle file (entries and shared chunks), bytes. */
  actionBundleBytes: number;
}

interface Target {
  name: string;
  bundle: string;
  /** What the error for a missing input looks like. */
  expected: RegExp;
}

/** Where the official bundle is looked for when OFFICIAL_BUNDLE.env is not set (the benchmark machine's copy). */
const OFFICIAL_DEFAULT_PATH = '/work/shared/anchors/aws-codebuild-run-build.js';

/** The official bundle's path (given, else the default when it exists), if it is exactly the recorded build. */
export function officialBundle(env: NodeJS.ProcessEnv = process.env): { path: string } | { skipped: string } {
  const given = env[OFFICIAL_BUNDLE.env];
  const path = given === undefined || given === '' ? (existsSync(OFFICIAL_DEFAULT_PATH) ? OFFICIAL_DEFAULT_PATH : undefined) : given;
  if (path === undefined)
    return { skipped: `not run: set ${OFFICIAL_BUNDLE.env} to ${OFFICIAL_BUNDLE.repository}'s dist/index.js at ${OFFICIAL_BUNDLE.commit}` };
  let digest: string;
  try {
    digest = createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (error) {
    return { skipped: `not run: ${path}: ${(error as Error).message}` };
  }
  if (digest !== OFFICIAL_BUNDLE.sha256)
    return { skipped: `not run: ${path} has sha256 ${digest}, not the recorded ${OFFICIAL_BUNDLE.sha256} (${OFFICIAL_BUNDLE.commit})` };
  return { path };
}

/** A clean environment: no INPUT_*, no GitHub files, so each action stops at its first missing input. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('INPUT_') || key.startsWith('GITHUB_') || key.startsWith('NODE_OPTIONS')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function run(target: Target, args: string[] = [], env: NodeJS.ProcessEnv = bareEnv()): Promise<{ ms: number; output: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args, target.bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, output, code }));
  });
}

/** Peak RSS and loaded bytes, from the probe's report of one run. */
async function probe(target: Target, files: boolean): Promise<{ rssKiB: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-probe-'));
  const out = join(dir, 'probe.txt');
  try {
    await run(target, ['--import', PROBE], bareEnv({ GANTRY_PROBE_OUT: out, ...(files ? { GANTRY_PROBE_FILES: '1' } : {}) }));
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const rss = Number(lines.find((line) => line.startsWith('maxrss '))?.slice(7));
    const loaded = new Set(lines.filter((line) => line.startsWith('file ')).map((line) => line.slice(5)));
    loaded.delete(new URL(`file://${PROBE}`).href);
    const bytes = [...loaded].reduce((sum, url) => sum + statSync(fileURLToPath(url)).size, 0);
    return { rssKiB: rss, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchColdStart(runs = 15, env: NodeJS.ProcessEnv = process.env): Promise<ColdStartFigures> {
  const targets: Target[] = ACTIONS.map((definition) => ({
    name: definition.name,
    bundle: join(REPO_ROOT, 'actions', definition.name, 'dist', 'index.js'),
    expected: /^::error::input "[a-z-]+": is required/m,
  }));
  const official = officialBundle(env);
  if ('path' in official) targets.push({ name: OFFICIAL_BUNDLE.repository, bundle: official.path, expected: /^::error::Input required and not supplied/m });
  // The floor: node itself starting an empty ES module, timed the same way (spawn to exit).
  const floorDir = mkdtempSync(join(tmpdir(), 'gantry-floor-'));
  const floorFile = join(floorDir, 'empty.mjs');
  writeFileSync(floorFile, '');
  targets.push({ name: FLOOR, bundle: floorFile, expected: /^$/ });

  const timed = targets.map((target) => ({ target, times: [] as number[], namedInput: true }));
  for (const target of targets) await run(target); // warm the file cache once
  for (let round = 0; round < runs; round++) {
    for (const entry of timed) {
      const result = await run(entry.target);
      entry.times.push(result.ms);
      const named = entry.target.name === FLOOR ? result.code === 0 : result.code !== 0 && entry.target.expected.test(result.output);
      if (!named) entry.namedInput = false;
    }
  }
  const figures: StartFigures[] = [];
  for (const { target, times, namedInput } of timed) {
    const rss: number[] = [];
    for (let sample = 0; sample < 5; sample++) rss.push((await probe(target, false)).rssKiB);
    figures.push({
      name: target.name,
      wallMs: median(times),
      peakRssKiB: median(rss),
      bytesLoaded: (await probe(target, true)).bytes,
      namedInput,
    });
  }
  const chunkDir = join(REPO_ROOT, 'actions', 'dist');
  const bundleFiles = [...ACTIONS.map((definition) => join(REPO_ROOT, 'actions', definition.name, 'dist', 'index.js')), ...readdirFiles(chunkDir)];
  rmSync(floorDir, { recursive: true, force: true });
  const officialFigures = figures.find((figure) => figure.name === OFFICIAL_BUNDLE.repository);
  return {
    runs,
    floor: required(
      figures.find((figure) => figure.name === FLOOR),
      'the empty-module figures',
    ),
    gantry: figures.filter((figure) => figure.name !== OFFICIAL_BUNDLE.repository && figure.name !== FLOOR),
    ...('path' in official ? { official: required(officialFigures, 'the official bundle figures') } : { skipped: official.skipped }),
    actionBundleBytes: bundleFiles.reduce((sum, file) => sum + statSync(file).size, 0),
  };
}

function readdirFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export function formatColdStartFigures(figures: ColdStartFigures): string {
  const { official } = figures;
  const ratio = (value: number, base: number | undefined) => (base === undefined ? '' : `×${(value / base).toFixed(2)}`);
  return [
    `### Cold start to the missing-input error (\`node dist/index.js\`, no inputs; median of ${figures.runs} interleaved runs, real clock)`,
    '',
    `Committed action bundles (entries and shared chunks): ${kib(figures.actionBundleBytes)}.${official === undefined ? ` Official action: ${figures.skipped}.` : ''}`,
    '',
    '| Bundle | Wall | ÷ official | Peak RSS | ÷ official | JS loaded | ÷ official | Names the input |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...[...(official === undefined ? [] : [official]), figures.floor, ...figures.gantry].map(
      (f) =>
        `| ${f.name} | ${f.wallMs.toFixed(0)} ms | ${ratio(f.wallMs, official?.wallMs)} | ${kib(f.peakRssKiB * 1024)} | ${ratio(f.peakRssKiB, official?.peakRssKiB)} | ${kib(f.bytesLoaded)} | ${ratio(f.bytesLoaded, official?.bytesLoaded)} | ${f.name === FLOOR ? (f.namedInput ? 'n/a (exits 0)' : 'NO: did not exit 0') : f.namedInput ? 'yes' : 'NO'} |`,
    ),
  ].join('\n');
}
