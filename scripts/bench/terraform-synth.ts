/**
 * Benchmark: synthesizing the terraform app for the example config's environments (3 stacks).
 * - `npm run synth` as a fresh process (what a developer or CI waits for), median of a few runs;
 * - in one process: the first synth (module loading included) and the median of warm re-synths;
 * - what deep imports save: loading only the provider modules the app uses against loading the package's
 *   barrel (`@cdktn/provider-aws`, every AWS resource), each in a fresh process.
 *
 * Every figure is wall time of one run, on this machine; medians smooth the noise of a shared machine.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../../src/stats.js';
import { required } from '../assert.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SynthFigures {
  environments: number;
  resources: number;
  processMs: number[];
  firstInProcessMs: number;
  warmMs: number[];
  deepImportMs: number[];
  barrelImportMs: number[];
  deepModules: number;
}

function timeProcess(args: string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed: ${run.stderr}`);
  return elapsed;
}

/** The provider modules the app imports (deep imports), found in its source. */
function deepModules(): string[] {
  const files = ['app.ts', ...['constructs', 'stacks'].flatMap((dir) => readdirSync(join(ROOT, 'terraform', dir)).map((file) => join(dir, file)))];
  const modules = new Set<string>();
  for (const file of files) {
    const path = join(ROOT, 'terraform', file);
    if (!statSync(path).isFile()) continue;
    for (const match of readFileSync(path, 'utf8').matchAll(/from '(@cdktn\/provider-aws\/lib\/[a-z0-9-]+\/index\.js)'/g))
      modules.add(required(match[1], 'the module path'));
  }
  return [...modules];
}

export async function benchTerraformSynth(runs = 3): Promise<SynthFigures> {
  const out = mkdtempSync(join(tmpdir(), 'gantry-bench-synth-'));
  try {
    const processMs = Array.from({ length: runs }, () => timeProcess(['--import', 'tsx', 'terraform/main.ts', '--out', join(out, 'process')]));

    let started = performance.now();
    const { synthesize } = await import('../../terraform/app.js');
    const first = await synthesize({ root: ROOT, outdir: join(out, 'in-process') });
    const firstInProcessMs = performance.now() - started;
    const warmMs: number[] = [];
    for (let run = 0; run < runs + 2; run++) {
      started = performance.now();
      await synthesize({ root: ROOT, outdir: join(out, 'in-process') });
      warmMs.push(performance.now() - started);
    }
    const resources = first.stacks.reduce((total, stack) => {
      const json = JSON.parse(readFileSync(stack.file, 'utf8')) as { resource: Record<string, object> };
      return total + Object.values(json.resource).reduce((sum, blocks) => sum + Object.keys(blocks).length, 0);
    }, 0);

    const modules = deepModules();
    const importScript = (specifiers: string[]) => `await Promise.all(${JSON.stringify(specifiers)}.map((s) => import(s)));`;
    const deepImportMs = Array.from({ length: runs }, () => timeProcess(['--input-type=module', '-e', importScript(['cdktn', ...modules])]));
    const barrelImportMs = Array.from({ length: runs }, () => timeProcess(['--input-type=module', '-e', importScript(['cdktn', '@cdktn/provider-aws'])]));

    return { environments: first.stacks.length, resources, processMs, firstInProcessMs, warmMs, deepImportMs, barrelImportMs, deepModules: modules.length };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function formatSynthFigures(figures: SynthFigures): string {
  const ms = (value: number) => `${Math.round(value)} ms`;
  const deep = median(figures.deepImportMs);
  const barrel = median(figures.barrelImportMs);
  return [
    `### terraform/: synth of the example config (${figures.environments} environments, ${figures.resources} resources; wall time per run, median of ${figures.processMs.length})`,
    '',
    '| What | Time |',
    '| --- | ---: |',
    `| \`npm run synth\` as a fresh process (tsx, imports, synth, write) | ${ms(median(figures.processMs))} |`,
    `| first synth in a process (module loading included) | ${ms(figures.firstInProcessMs)} |`,
    `| re-synth in a warm process | ${ms(median(figures.warmMs))} |`,
    `| load cdktn + the ${figures.deepModules} provider modules used (deep imports) | ${ms(deep)} |`,
    `| load cdktn + the whole provider package (barrel import) | ${ms(barrel)} |`,
    '',
    `Ratio, barrel ÷ deep imports: ×${(barrel / deep).toFixed(1)} to load the provider bindings.`,
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${formatSynthFigures(await benchTerraformSynth())}\n`);
}
