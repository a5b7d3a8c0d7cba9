/**
 * The CDK Terrain app: one stack per environment of the config file, synthesized to Terraform JSON
 * (`<outdir>/stacks/<environment>/cdk.tf.json`). `terraform/main.ts` is its command line; tests and the
 * benchmark call {@link synthesize} directly.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktn';
import type { CliDownload } from '../src/codebuild/start-request.js';
import { DEFAULT_CONFIG_FILE, type EnvironmentConfig, type GantryConfig, loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { gantryFile } from '../src/gantry-files.js';
import { CLI_BUNDLE_FILE, installedRelease, type ReleaseStamp, releaseCliDownload } from '../src/release-stamp.js';
import { TERRAFORM_PIN } from '../src/terraform/pin.js';
import { pruneCliVariables } from './constructs/builds.js';
import { type StackContext, stackContext } from './constructs/context.js';
import { EnvironmentStack } from './stacks/environment-stack.js';

export const DEFAULT_OUTDIR = 'terraform/cdktf.out';
/** The stack's file name, in the synth output and in an environment's `terraform.workingDirectory`. */
export const STACK_FILE = 'cdk.tf.json';

export interface SynthOptions {
  /** The config file; `.github/gantry.yml` by default. */
  configFile?: string;
  /** Where the stacks go; `terraform/cdktf.out` under `root` by default. */
  outdir?: string;
  /** The repository root, which relative paths are relative to; the current directory by default. */
  root?: string;
  /** Also copy each stack to `<terraform.workingDirectory>/cdk.tf.json`, where the CodeBuild projects run terraform. */
  workingDirectories?: boolean;
  /**
   * The gantry release whose CLI a prune build downloads when its environment sets no `schedules.prune.cli`: by
   * default the release this gantry was installed from (its release stamp; none in a checkout). Given, the stacks
   * are those that release's package writes (examples/consumer's, scripts/example-stacks.ts).
   */
  release?: ReleaseStamp;
}

export interface SynthesizedStack {
  environment: string;
  /** Absolute path of the stack's Terraform JSON. */
  file: string;
  /** Where it was copied to, with `workingDirectories`. */
  copiedTo?: string;
}

export interface SynthResult {
  config: GantryConfig;
  outdir: string;
  stacks: SynthesizedStack[];
}

const here = fileURLToPath(import.meta.url);

function buildspec(name: string): string {
  return readFileSync(gantryFile(join('buildspecs', name), here), 'utf8');
}

/** Checks what only the terraform app needs from the config, with the config's own error. */
export function requireRepository(config: GantryConfig): string {
  const repository = config.github.repository;
  if (repository === undefined) {
    throw new ConfigError(
      { file: config.file, path: 'github.repository' },
      'is required by the terraform app: the GitHub repository ("owner/name") whose workflows may assume the deploy roles and whose code CodeBuild checks out',
    );
  }
  return repository;
}

/** An environment of `config.order`, which names exactly the config's environments. */
function environmentNamed(config: GantryConfig, name: string): EnvironmentConfig {
  const environment = config.environments.get(name);
  if (environment === undefined) throw new Error(`${config.file}: the promotion order names environment "${name}", which the config does not define`);
  return environment;
}

/**
 * The CLI a prune build downloads when its environment names none: of `release`, else of the release this gantry
 * was installed from (undefined for a checkout or a github: install); its SHA-256 is that of this gantry's own
 * CLI bundle, the release's asset byte for byte.
 */
function releaseDownload(release: ReleaseStamp | undefined): CliDownload | undefined {
  if (release === undefined) return installedRelease(here)?.download;
  return releaseCliDownload(release, readFileSync(gantryFile(CLI_BUNDLE_FILE, here)), `the release ${release.repository}@${release.tag}`);
}

/** Builds the app's stacks in memory (no files written): one per environment, in promotion order. */
export function buildApp(
  config: GantryConfig,
  options: { outdir: string; configPath: string; release?: ReleaseStamp },
): { app: App; contexts: StackContext[] } {
  const repository = requireRepository(config);
  // Every prune build's CLI first, so that a config leaving one without a CLI fails before any stack is built.
  const environments = config.order.map((name) => environmentNamed(config, name));
  const download = environments.some((env) => env.schedules.prune.cli === undefined) ? releaseDownload(options.release) : undefined;
  const stacks = environments.map((env) => ({ env, pruneCli: pruneCliVariables(config, env, download) }));
  const buildspecs = { plan: buildspec('terraform-plan.yml'), apply: buildspec('terraform-apply.yml'), prune: buildspec('prune.yml') };
  // cdktn checks features against the Terraform versions a project targets: the buildspecs' pin and newer.
  const app = new App({ outdir: options.outdir, context: { targetVersions: { terraform: `>=${TERRAFORM_PIN.version}` } } });
  const contexts = stacks.map(({ env, pruneCli }) => {
    const ctx = stackContext({ config, env, repository, configPath: options.configPath, buildspecs, pruneCli });
    new EnvironmentStack(app, ctx);
    return ctx;
  });
  return { app, contexts };
}

export async function synthesize(options: SynthOptions = {}): Promise<SynthResult> {
  const root = resolve(options.root ?? '.');
  const configFile = options.configFile ?? DEFAULT_CONFIG_FILE;
  const config = await loadConfig(isAbsolute(configFile) ? configFile : join(root, configFile));
  const outdir = resolve(root, options.outdir ?? DEFAULT_OUTDIR);
  const configPath = relative(root, resolve(root, configFile)).split(sep).join('/');

  // Stacks of environments no longer in the config must not linger next to the current ones.
  rmSync(join(outdir, 'stacks'), { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const { app } = buildApp(config, { outdir, configPath, ...(options.release === undefined ? {} : { release: options.release }) });
  app.synth();

  const stacks = config.order.map((environment): SynthesizedStack => {
    const file = join(outdir, 'stacks', environment, STACK_FILE);
    if (!options.workingDirectories) return { environment, file };
    const directory = join(root, environmentNamed(config, environment).terraform.workingDirectory);
    mkdirSync(directory, { recursive: true });
    const copiedTo = join(directory, STACK_FILE);
    copyFileSync(file, copiedTo);
    return { environment, file, copiedTo };
  });
  return { config, outdir, stacks };
}

export interface WorkingDirectoryDrift {
  environment: string;
  /** `<terraform.workingDirectory>/cdk.tf.json`, relative to the repository root. */
  file: string;
  status: 'missing' | 'differs';
}

/**
 * The committed working-directory copies against a fresh synth (`npm run synth -- --check`): every environment's
 * `<terraform.workingDirectory>/cdk.tf.json` must be byte for byte what `--working-directories` would write.
 * Empty when all match.
 */
export async function checkWorkingDirectories(options: Omit<SynthOptions, 'outdir' | 'workingDirectories'> = {}): Promise<WorkingDirectoryDrift[]> {
  const root = resolve(options.root ?? '.');
  const outdir = mkdtempSync(join(tmpdir(), 'gantry-synth-check-'));
  try {
    const result = await synthesize({ ...options, root, outdir });
    const drift: WorkingDirectoryDrift[] = [];
    for (const stack of result.stacks) {
      const file = join(environmentNamed(result.config, stack.environment).terraform.workingDirectory, STACK_FILE);
      const committed = join(root, file);
      if (!existsSync(committed)) drift.push({ environment: stack.environment, file, status: 'missing' });
      else if (readFileSync(committed, 'utf8') !== readFileSync(stack.file, 'utf8')) drift.push({ environment: stack.environment, file, status: 'differs' });
    }
    return drift;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
