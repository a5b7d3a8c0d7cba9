/**
 * `npm run demo`: the whole delivery of the example config on the local sandbox, as a user would see it in
 * GitHub. For dev, then qa, then prod: gate → CodeBuild plan (the buildspec really runs: it builds the function
 * packages from source, then terraform plans) → gate with the plan's counts → apply of the reviewed plan and of
 * the zips stored with it → warmup → prune → deployment status; and before prod, a commit that never reached qa
 * is refused. Every step is the committed action bundle run as GitHub's
 * runner runs it (scripts/local-runner.ts); job summaries are written to files it names.
 *
 * Exits 0 only if every step did what it should (including the refusal). Cleans up its sandbox and work files;
 * the summaries stay for reading.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { type EnvironmentConfig, type GantryConfig, loadConfig } from '../src/config/load.js';
import { describeError } from '../src/errors.js';
import { packagePath } from '../src/package/settings.js';
import { TERRAFORM_PIN } from '../src/terraform/pin.js';
import type { PackageRecord } from '../src/terraform/plan-integrity.js';
import { required } from './assert.js';
import { type ActionResult, REPO_ROOT, startAction } from './local-runner.js';
import type { BuildScript } from './sandbox/codebuild/build.js';
import { type GantrySandbox, startSandbox } from './sandbox/sandbox.js';
import { seedCodeBuildFromConfig, seedGitHubFromConfig, seedLambdaFromConfig } from './sandbox/seed-config.js';
import { localTerraformRelease } from './sandbox/terraform-release.js';

const configFile = process.argv[2] ?? join(REPO_ROOT, '.github', 'gantry.yml');
/** The commit being delivered, and one that only ever reached dev. */
const COMMIT = '5ca1ab1e00000000000000000000000000000001';
const STRAY_COMMIT = 'baddcafe00000000000000000000000000000002';

interface StepRecord {
  environment: string;
  step: string;
  ok: boolean;
  detail: string;
}

const steps: StepRecord[] = [];
const color = process.stdout.isTTY ? (code: number, text: string) => `\u001b[${code}m${text}\u001b[0m` : (_code: number, text: string) => text;

async function main(): Promise<number> {
  const config = await loadConfig(configFile);
  const work = mkdtempSync(join(tmpdir(), 'gantry-demo-'));
  const summaries = mkdtempSync(join(tmpdir(), 'gantry-demo-summaries-'));
  // The builds fetch terraform from a local release mirror holding this machine's (HashiCorp is out of reach).
  const release = localTerraformRelease(work);
  const realBuilds = release.ok;
  let sandbox: GantrySandbox | undefined;
  try {
    console.log(`gantry demo: ${config.project}, ${config.order.join(' → ')} on the local sandbox`);
    const setup = await setUp(config, work, release.ok ? release.variables : undefined);
    sandbox = setup.sandbox;
    console.log(
      realBuilds
        ? `CodeBuild runs gantry's buildspecs for real with terraform ${TERRAFORM_PIN.version} (built-in resources only: no provider download).`
        : color(33, `${release.ok ? '' : release.why}: CodeBuild follows a script instead of running the buildspecs.`),
    );
    const context = { config, sandbox, repository: setup.repository, work, summaries, realBuilds };
    for (const name of config.order) {
      const environment = required(config.environments.get(name), `environment ${name}`);
      if (environment.previous !== undefined && name === config.order.at(-1)) await strayCommitIsRefused(context, environment);
      await deliver(context, environment);
    }
  } finally {
    await sandbox?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  printSummary(summaries);
  return steps.every((step) => step.ok) ? 0 : 1;
}

interface DemoContext {
  config: GantryConfig;
  sandbox: GantrySandbox;
  /** `owner/name` of the sandbox's GitHub repository. */
  repository: string;
  work: string;
  summaries: string;
  realBuilds: boolean;
  /** The packages the first environment's plan built, to show the next ones build the very same bytes. */
  firstPackages?: { environment: string; packages: PackageRecord[] };
}

/** `terraform`: the projects' Terraform variables when the builds run for real; scripted builds without. */
async function setUp(
  config: GantryConfig,
  work: string,
  terraform: Record<string, string> | undefined,
): Promise<{ sandbox: GantrySandbox; repository: string }> {
  // The repository CodeBuild checks out: a small terraform app where the config says each environment's lives,
  // the functions' sources (functions/<name>: the plan build packages them) and the config itself.
  const source = join(work, 'repo');
  const app = join(REPO_ROOT, 'scripts', 'demo-app');
  for (const environment of config.environments.values()) {
    cpSync(join(app, 'terraform'), join(source, environment.terraform.workingDirectory), { recursive: true });
  }
  cpSync(join(app, 'functions'), join(source, 'functions'), { recursive: true, filter: (path) => !/\/dist(\/|$)/.test(path) });
  const configInCheckout = relative(REPO_ROOT, configFile);
  if (configInCheckout.startsWith('..')) throw new Error(`the demo's config must be inside ${REPO_ROOT}: the plan build reads it from its checkout`);
  cpSync(configFile, join(source, configInCheckout));
  mkdirSync(join(work, 'plans'));
  const sandbox = await startSandbox({
    clockSpeed: 10,
    lambda: { provisioningDelayMs: 20_000, scalingConvergenceDelayMs: 10_000 },
    codebuild: { containerEnv: { GANTRY_CLI: `node ${join(REPO_ROOT, 'scripts', 'dist', 'gantry.js')}`, HOME: join(work, 'home') } },
  });
  seedLambdaFromConfig(sandbox.services.lambda, config, { versionsPerFunction: 12 });
  seedCodeBuildFromConfig(sandbox.services.codebuild, config, terraform === undefined ? {} : { sourceDir: source, terraform });
  for (const environment of config.environments.values()) {
    for (const fn of environment.functions) sandbox.services.lambda.setHandler(fn.functionName, (_event, { version }) => ({ ok: true, version }));
  }
  const github = sandbox.services.github;
  const { owner, repo, fullName } = seedGitHubFromConfig(github, config);
  github.setBranch(owner, repo, 'main', COMMIT, { protected: true });
  github.setBranch(owner, repo, 'hotfix', STRAY_COMMIT);
  for (const sha of [COMMIT, STRAY_COMMIT]) {
    for (const check of config.github.requiredChecks)
      github.addCheckRun(owner, repo, { name: check, headSha: sha, status: 'completed', conclusion: 'success' });
  }
  return { sandbox, repository: fullName };
}

/** The variables GitHub's runner gives a step, for a run of this demo. */
function runnerEnv(context: DemoContext, environment: EnvironmentConfig, sha: string, job: string): Record<string, string> {
  // The first environments deploy on push to main; later ones are promoted by hand (workflow_dispatch).
  const eventName = environment.apply.events.includes('push') ? 'push' : 'workflow_dispatch';
  return {
    ...context.sandbox.env,
    GITHUB_REPOSITORY: context.repository,
    GITHUB_SHA: sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: eventName,
    GITHUB_RUN_ID: `demo-${environment.name}-${sha.slice(-4)}`,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: job,
  };
}

let summaryCount = 0;

/** Runs one action bundle, showing its log condensed: phase groups as headings, errors in full. */
async function step(
  context: DemoContext,
  environment: EnvironmentConfig,
  label: string,
  action: string,
  inputs: Record<string, string>,
  env: Record<string, string>,
): Promise<ActionResult> {
  process.stdout.write(`  ${label} … `);
  const groups: string[] = [];
  const started = await startAction(action, { config: configFile, ...inputs }, env, {
    onStdout: (chunk) => {
      for (const line of chunk.split('\n')) {
        const [, group] = /^::group::(.*)$/.exec(line) ?? [];
        if (group !== undefined) groups.push(group);
      }
    },
  });
  const result = await started.result;
  if (result.summary.trim() !== '') {
    const file = join(context.summaries, `${String(++summaryCount).padStart(2, '0')}-${environment.name}-${action}.md`);
    writeFileSync(file, result.summary);
  }
  if (groups.length > 0) process.stdout.write(`[${groups.join(' ▸ ')}] `);
  return result;
}

function record(environment: string, name: string, ok: boolean, detail: string): void {
  steps.push({ environment, step: name, ok, detail });
  console.log(ok ? color(32, `✓ ${detail}`) : color(31, `✗ ${detail}`));
}

/** An output the action sets whenever it succeeds. */
function output(result: ActionResult, name: string): string {
  return required(result.outputs[name], `the ${name} output`);
}

function errorOf(result: ActionResult): string {
  return /^::error::(.*)$/m.exec(result.stdout)?.[1]?.replace(/%0A/g, ' ') ?? `exit ${result.code}`;
}

async function strayCommitIsRefused(context: DemoContext, environment: EnvironmentConfig): Promise<void> {
  console.log(`\n${environment.name}: a commit that never reached ${environment.previous} (${STRAY_COMMIT.slice(0, 12)})`);
  const result = await step(
    context,
    environment,
    'gate (apply)',
    'promotion-gate',
    { environment: environment.name, mode: 'apply', sha: STRAY_COMMIT, 'github-token': 'sandbox-token' },
    runnerEnv(context, environment, STRAY_COMMIT, 'gate'),
  );
  const refused = result.code !== 0 && result.outputs.allowed === 'false';
  record(
    environment.name,
    'gate refuses an unpromoted commit',
    refused,
    refused ? `refused, as it should be: ${result.outputs.reason}` : `expected a refusal, got: ${result.outputs.reason ?? errorOf(result)}`,
  );
}

async function deliver(context: DemoContext, environment: EnvironmentConfig): Promise<void> {
  const name = environment.name;
  console.log(`\n${name}: deliver ${COMMIT.slice(0, 12)}${environment.previous === undefined ? '' : ` (after ${environment.previous})`}`);
  const env = (job: string) => runnerEnv(context, environment, COMMIT, job);
  const token = { 'github-token': 'sandbox-token' };

  const early = await step(
    context,
    environment,
    'gate (early check)',
    'promotion-gate',
    { environment: name, mode: 'apply', sha: COMMIT, 'create-deployment': 'false', ...token },
    env('plan'),
  );
  record(name, 'gate', early.code === 0, early.code === 0 ? output(early, 'reason') : errorOf(early));
  if (early.code !== 0) return;

  if (!context.realBuilds) scriptBuilds(context, environment);
  const plan = await step(
    context,
    environment,
    'plan (CodeBuild)',
    'codebuild-run',
    { environment: name, mode: 'plan', 'plan-store': join(context.work, 'plans'), comment: 'false' },
    env('plan'),
  );
  const counts = `+${plan.outputs['plan-add']} ~${plan.outputs['plan-change']} -${plan.outputs['plan-destroy']}`;
  record(
    name,
    'plan',
    plan.code === 0,
    plan.code === 0 ? `plan ${counts}, sha256 ${plan.outputs['plan-sha256']?.slice(0, 12)}…, build #${plan.outputs['build-number']}` : errorOf(plan),
  );
  if (plan.code !== 0) return;
  const packages = context.realBuilds ? storedPackages(context, environment) : undefined;
  if (packages !== undefined) recordPackages(context, environment, packages);

  const gate = await step(
    context,
    environment,
    'gate (apply)',
    'promotion-gate',
    {
      environment: name,
      mode: 'apply',
      sha: COMMIT,
      'plan-add': output(plan, 'plan-add'),
      'plan-change': output(plan, 'plan-change'),
      'plan-destroy': output(plan, 'plan-destroy'),
      ...token,
    },
    env('apply'),
  );
  const deploymentId = gate.outputs['deployment-id'];
  record(name, 'gate + deployment', gate.code === 0 && deploymentId !== undefined, gate.code === 0 ? `allowed; deployment #${deploymentId}` : errorOf(gate));
  if (deploymentId === undefined) return;
  await step(context, environment, 'deployment status', 'deployment-status', { 'deployment-id': deploymentId, state: 'in_progress', ...token }, env('apply'));
  console.log('in_progress');

  const apply = await step(
    context,
    environment,
    'apply (CodeBuild)',
    'codebuild-run',
    { environment: name, mode: 'apply', 'plan-sha256': output(plan, 'plan-sha256'), 'plan-store': join(context.work, 'plans') },
    env('apply'),
  );
  const applied = apply.code === 0 && apply.outputs['applied-sha256'] === plan.outputs['plan-sha256'];
  record(name, 'apply', applied, applied ? `applied exactly the reviewed plan (${apply.outputs['applied-sha256']?.slice(0, 12)}…)` : errorOf(apply));
  if (applied && packages !== undefined) {
    // The apply build verified each stored zip against the plan's record and put it in place; it built nothing.
    const verified = packages.filter((record) => apply.stdout.includes(`package verified: ${record.path} sha256 ${record.sha256}`));
    const rebuilt = /package --config|node build\.mjs/.test(apply.stdout);
    const same = verified.length === packages.length && !rebuilt;
    record(
      name,
      'apply packages',
      same,
      same
        ? `applied the plan's zips, not rebuilt: ${listPackages(packages)}`
        : `expected the apply to verify ${packages.length} stored zips and build none; verified ${verified.length}${rebuilt ? ', and it built' : ''}`,
    );
  }
  let ok = applied;
  if (applied) {
    publishNewVersions(context, environment, packages);
    const warmup = await step(context, environment, 'warmup', 'capacity-warmup', { environment: name }, env('apply'));
    record(name, 'warmup', warmup.code === 0, warmup.code === 0 ? `ready, worst p95 ${warmup.outputs['p95-ms']} ms` : errorOf(warmup));
    const prune = await step(context, environment, 'prune', 'version-prune', { environment: name, 'dry-run': 'false' }, env('apply'));
    record(
      name,
      'prune',
      prune.code === 0,
      prune.code === 0 ? `deleted ${prune.outputs.deleted}, kept ${prune.outputs.kept}, skipped ${prune.outputs.skipped}` : errorOf(prune),
    );
    ok = warmup.code === 0 && prune.code === 0;
  }
  const status = await step(
    context,
    environment,
    'deployment status',
    'deployment-status',
    { 'deployment-id': deploymentId, state: ok ? 'success' : 'failure', ...token },
    env('apply'),
  );
  record(name, 'deployment status', status.code === 0 && ok, ok ? 'success' : 'failure');
}

/** The plan's record of the packages it built, from the plan store, or undefined (and a failed step) without one. */
function storedPackages(context: DemoContext, environment: EnvironmentConfig): PackageRecord[] | undefined {
  try {
    const metadata = JSON.parse(readFileSync(join(planDir(context, environment), 'plan-metadata.json'), 'utf8')) as { packages: PackageRecord[] };
    return metadata.packages;
  } catch (error) {
    record(environment.name, 'packages', false, `no package record with the plan: ${describeError(error)}`);
    return undefined;
  }
}

function planDir(context: DemoContext, environment: EnvironmentConfig): string {
  return join(context.work, 'plans', `${environment.names.planKeyPrefix}${COMMIT}`);
}

/** `router.zip cfa03188…, worker.zip c1af7976…`: file names and short sha256s, what the summary has room for. */
function listPackages(packages: PackageRecord[]): string {
  return packages.map((record) => `${record.path.split('/').at(-1)} ${record.sha256.slice(0, 8)}…`).join(', ');
}

function recordPackages(context: DemoContext, environment: EnvironmentConfig, packages: PackageRecord[]): void {
  const expected = environment.functions.map(packagePath).sort();
  const built = packages.map((p) => p.path);
  let ok = JSON.stringify([...new Set(expected)]) === JSON.stringify(built);
  let detail = ok
    ? `built from source, stored with the plan: ${listPackages(packages)}`
    : `expected packages ${expected.join(', ')}, the plan recorded ${built.join(', ') || 'none'}`;
  const first = context.firstPackages;
  if (ok && first !== undefined) {
    // The same commit, built again in another environment's plan build: the same bytes.
    const same = JSON.stringify(first.packages) === JSON.stringify(packages);
    ok = same;
    detail = same
      ? `same commit, same bytes as ${first.environment}'s: ${listPackages(packages)}`
      : `built again from the same commit, but the zips differ from ${first.environment}'s`;
  }
  context.firstPackages ??= { environment: environment.name, packages };
  record(environment.name, 'packages', ok, detail);
}

/**
 * Terraform's `aws_lambda_function` with `publish = true` publishes a version and moves the alias; the demo's
 * terraform app holds built-in resources only, so the sandbox stands in: a new version (Pending until its
 * execution environments are provisioned) of the zip stored with the plan, and the alias moved to it, for warmup
 * to wait on.
 */
function publishNewVersions(context: DemoContext, environment: EnvironmentConfig, packages: PackageRecord[] | undefined): void {
  const lambda = context.sandbox.services.lambda;
  for (const fn of environment.functions) {
    const path = packagePath(fn);
    const zip = packages?.some((record) => record.path === path) ? readFileSync(join(planDir(context, environment), 'packages', path)) : undefined;
    lambda.updateFunctionCode(fn.functionName, zip ?? `${fn.functionName}@${COMMIT}`);
    const { version } = lambda.publishVersion(fn.functionName);
    lambda.putAlias(fn.functionName, fn.alias, { functionVersion: version }, { instant: true });
  }
}

/** Without terraform the builds follow a script that exports what the real plan buildspec exports. */
function scriptBuilds(context: DemoContext, environment: EnvironmentConfig): void {
  const phases: BuildScript['phases'] = (
    ['SUBMITTED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'FINALIZING'] as const
  ).map((phase) => ({ phase, durationMs: 1_000 }));
  const sha = 'd'.repeat(64);
  context.sandbox.services.codebuild.scriptNextBuild(environment.names.planProject, {
    phases,
    exportedVariables: {
      GANTRY_PLAN_SHA256: sha,
      GANTRY_PLAN_ADD: '2',
      GANTRY_PLAN_CHANGE: '0',
      GANTRY_PLAN_DESTROY: '0',
      GANTRY_PLAN_REPLACE: '0',
      GANTRY_PLAN_RESOURCES: '[]',
    },
  });
  context.sandbox.services.codebuild.scriptNextBuild(environment.names.applyProject, { phases, exportedVariables: { GANTRY_APPLIED_SHA256: sha } });
}

function printSummary(summaries: string): void {
  console.log('');
  const header = ['environment', 'step', 'result', 'detail'];
  const rows = steps.map((s) => [s.environment, s.step, s.ok ? 'ok' : 'FAILED', s.detail.length > 90 ? `${s.detail.slice(0, 87)}...` : s.detail]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
  console.log(`\nJob summaries, one file per step: ${summaries}`);
  const failed = steps.filter((s) => !s.ok).length;
  console.log(
    failed === 0 ? color(32, `\nEvery step did what it should (${steps.length} checks).`) : color(31, `\n${failed} of ${steps.length} checks failed.`),
  );
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`✗ ${describeError(error)}`);
  process.exitCode = 1;
}
