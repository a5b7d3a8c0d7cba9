/**
 * Benchmark: synthesizing the terraform app for the example config's environments (3 stacks).
 * - `npm run synth` as a fresh process (what a developer or CI waits for), median of a few runs;
 * - in one process: the first synth (module loading included) and the median of warm re-synths;
 * - what deep imports save: loading only the provider modules the app uses against loading the package's
 *   barrel (`@cdktn/provider-aws`, every AWS resource), each in a fresh process;
 * - `npm run validate:terraform` on the same stacks (terraform/validate.ts): terraform init and validate per
 *   stack, the mirror provider's schema read (cold, then cached), the whole run. Only where
 *   GANTRY_TERRAFORM_PROVIDER_MIRROR names a filesystem mirror; otherwise the figures say they were not measured.
 *
 * Every figure is wall time of one run, on this machine; medians smooth the noise of a shared machine.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../../src/stats.js';
import { MIRROR_ENV, type ValidationReport, validateStacks } from '../../terraform/validate.js';
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
  /** `npm run validate:terraform` on the example config's stacks, when a provider mirror is present. */
  validate?: ValidateFigures;
}

export interface ValidateFigures {
  providerVersion: string;
  /** Whole validator runs (synth, init, schema, validate): the first with a cold provider-schema cache, then warm. */
  coldMs: number;
  warmMs: number[];
  /** The provider binary's schema read (`terraform providers schema -json`), cold. */
  schemaMs: number;
  /** Per stack, from the warm runs: terraform init and terraform validate, medians. */
  stacks: Array<{ environment: string; initMs: number; validateMs: number }>;
}

async function benchValidate(out: string, runs: number): Promise<ValidateFigures | undefined> {
  const mirror = process.env[MIRROR_ENV];
  if (mirror === undefined || mirror === '') return undefined;
  const once = async (index: number): Promise<{ ms: number; report: ValidationReport }> => {
    const started = performance.now();
    const report = await validateStacks({
      configs: ['.github/gantry.yml'],
      root: ROOT,
      mirror,
      workDir: join(out, `validate-${index}`),
      cacheDir: join(out, 'schema-cache'),
    });
    if (!report.ok) throw new Error(`validate:terraform failed in the benchmark; run it for the details`);
    return { ms: performance.now() - started, report };
  };
  const cold = await once(0);
  const warm: Array<{ ms: number; report: ValidationReport }> = [];
  for (let run = 1; run <= runs; run++) warm.push(await once(run));
  return {
    providerVersion: cold.report.providerVersion,
    coldMs: cold.ms,
    warmMs: warm.map((result) => result.ms),
    schemaMs: cold.report.schemaMs,
    stacks: cold.report.stacks.map((stack, index) => ({
      environment: stack.environment,
      initMs: median(warm.map((result) => result.report.stacks[index]?.initMs ?? Number.NaN)),
      validateMs: median(warm.map((result) => result.report.stacks[index]?.validateMs ?? Number.NaN)),
    })),
  };
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

    const validate = await benchValidate(out, runs);
    return {
      environments: first.stacks.length,
      resources,
      processMs,
      firstInProcessMs,
      warmMs,
      deepImportMs,
      barrelImportMs,
      deepModules: modules.length,
      ...(validate === undefined ? {} : { validate }),
    };
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
    '',
    ...formatValidateFigures(figures.validate),
  ].join('\n');
}

function formatValidateFigures(figures: ValidateFigures | undefined): string[] {
  const ms = (value: number) => `${Math.round(value)} ms`;
  if (figures === undefined) {
    return [`### terraform/: validate:terraform: not measured (${MIRROR_ENV} is not set: no filesystem mirror of hashicorp/aws)`];
  }
  return [
    `### terraform/: validate:terraform of the example config (hashicorp/aws ${figures.providerVersion} from the filesystem mirror; per stack: median of ${figures.warmMs.length} warm runs, 2 stacks at a time)`,
    '',
    '| What | Time |',
    '| --- | ---: |',
    ...figures.stacks.flatMap((stack) => [
      `| ${stack.environment}: terraform init -backend=false | ${ms(stack.initMs)} |`,
      `| ${stack.environment}: terraform validate | ${ms(stack.validateMs)} |`,
    ]),
    `| provider schema read (terraform providers schema -json, once, then cached) | ${ms(figures.schemaMs)} |`,
    `| whole run, cold schema cache (synth, init, schema, validate) | ${ms(figures.coldMs)} |`,
    `| whole run, warm | ${ms(median(figures.warmMs))} |`,
  ];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${formatSynthFigures(await benchTerraformSynth())}\n`);
}
