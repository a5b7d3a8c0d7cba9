/**
 * `npm run demo`: the whole delivery of the example config on the local sandbox, as a user would see it in
 * GitHub. For dev, then qa, then prod: gate → CodeBuild plan (the buildspec really runs: it builds the function
 * packages from source, then terraform plans) → gate with the plan's counts → apply of the reviewed plan and of
 * the zips stored with it → warmup → traffic shift → prune → deployment status; before prod, a commit that never
 * reached qa is refused. Every step is the committed action bundle run as GitHub's runner runs it
 * (scripts/local-runner.ts); job summaries are written to files it names.
 *
 * Progressive delivery (docs/traffic-shift.md): dev deploys all at once (terraform moves the aliases, the shift
 * finds nothing to do); qa and prod shift by canary while users' requests flow through the aliases and feed the
 * guarding alarms. Then qa gets a second deploy whose new router throws on every order: its errors drive the
 * errors alarm (Lambda's metrics of the sandbox's invocations, evaluated by the sandbox's CloudWatch) and the
 * shift rolls back. A shift holds each step for minutes in real time, so it runs in this process on the
 * sandbox's clock (×20), the action's own code (`trafficShiftAction`) given that clock as a benchmark gives it;
 * the bundle runs where there is nothing to hold (dev). The demo shortens the canary where the config leaves it
 * to the defaults (10% for 5 minutes, then 5 minutes baked): {@link DEMO_ROLLOUT}.
 *
 * Exits 0 only if every step did what it should (including the refusal and the rollback). Cleans up its sandbox
 * and work files; the summaries stay for reading.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { type EnvironmentConfig, type GantryConfig, loadConfig, type ResolvedFunction } from '../src/config/load.js';
import { DEFAULT_CANARY, describeStrategy, isProgressive, ROLLOUT_DEFAULTS } from '../src/config/rollout.js';
import type { ActionContext } from '../src/definition/define.js';
import { parseInputs } from '../src/definition/define.js';
import { trafficShift } from '../src/definitions/traffic-shift.js';
import { describeError } from '../src/errors.js';
import { actionInputSource } from '../src/inputs.js';
import { MemoryLogger } from '../src/logger.js';
import { packagePath } from '../src/package/settings.js';
import type { FunctionShiftReport } from '../src/shift/report.js';
import { TERRAFORM_PIN } from '../src/terraform/pin.js';
import type { PackageRecord } from '../src/terraform/plan-integrity.js';
import { trafficShiftAction } from '../src/traffic-shift.js';
import { required } from './assert.js';
import { sandboxShiftPort, type UsersTraffic, usersOn, usersTraffic } from './bench/traffic-shift.js';
import { type ActionResult, inputsWithDefaults, inputVariables, REPO_ROOT, startAction } from './local-runner.js';
import type { BuildScript } from './sandbox/codebuild/build.js';
import { type GantrySandbox, startSandbox } from './sandbox/sandbox.js';
import { applyGuardAlarms, seedCodeBuildFromConfig, seedGitHubFromConfig, seedLambdaFromConfig } from './sandbox/seed-config.js';
import { localTerraformRelease } from './sandbox/terraform-release.js';

const configFile = process.argv[2] ?? join(REPO_ROOT, '.github', 'gantry.yml');
/** The commit being delivered, and one that only ever reached dev. */
const COMMIT = '5ca1ab1e00000000000000000000000000000001';
const STRAY_COMMIT = 'baddcafe00000000000000000000000000000002';
/** The sandbox clock's speed: the in-process shifts run on it, and the warmup's provisioning delay shrinks with it. */
const CLOCK_SPEED = 20;
/**
 * The rollout the demo gives every environment after the first whose config sets none (there the default is a
 * canary of 10% for 5 minutes, then 5 minutes baked): 10% for 1 minute, then 1 minute baked, the shortest a
 * guarding alarm (one period of 60 s) can judge: 2 to 4 minutes of sandbox time in all, 6 to 12 s at ×20.
 */
const DEMO_ROLLOUT = { strategy: { canary: { percent: 10, minutes: 1 } }, bakeMinutes: 1 };
/** Users' requests per sandbox second through each shifted alias while a shift runs: they feed the guarding alarms. */
const USERS_PER_SECOND = 2;

interface StepRecord {
  environment: string;
  step: string;
  ok: boolean;
  detail: string;
}

const steps: StepRecord[] = [];
const color = process.stdout.isTTY ? (code: number, text: string) => `\u001b[${code}m${text}\u001b[0m` : (_code: number, text: string) => text;

async function main(): Promise<number> {
  const configInCheckout = relative(REPO_ROOT, configFile);
  if (configInCheckout.startsWith('..')) throw new Error(`the demo's config must be inside ${REPO_ROOT}: the plan build reads it from its checkout`);
  const original = await loadConfig(configFile);
  const work = mkdtempSync(join(tmpdir(), 'gantry-demo-'));
  const summaries = mkdtempSync(join(tmpdir(), 'gantry-demo-summaries-'));
  // The repository checkout: the workspace of every step, as on a runner, and the source CodeBuild checks out.
  const checkout = join(work, 'repo');
  const { file: demoConfigFile, shortened } = writeDemoConfig(original, join(checkout, configInCheckout));
  const config = await loadConfig(demoConfigFile);
  // The builds fetch terraform from a local release mirror holding this machine's (HashiCorp is out of reach).
  const release = localTerraformRelease(work);
  const realBuilds = release.ok;
  let sandbox: GantrySandbox | undefined;
  try {
    console.log(`gantry demo: ${config.project}, ${config.order.join(' → ')} on the local sandbox`);
    if (shortened.length > 0) {
      const { canary } = DEMO_ROLLOUT.strategy;
      console.log(
        `Rollout in ${shortened.join(', ')}: ${describeStrategy({ kind: 'canary', ...canary })}, then ${DEMO_ROLLOUT.bakeMinutes} min baked ` +
          `(the demo's; by default ${describeStrategy(DEFAULT_CANARY)}, then ${ROLLOUT_DEFAULTS.bakeMinutes} min baked).`,
      );
    }
    const setup = await setUp(config, work, checkout, release.ok ? release.variables : undefined);
    sandbox = setup.sandbox;
    console.log(
      realBuilds
        ? `CodeBuild runs gantry's buildspecs for real with terraform ${TERRAFORM_PIN.version} (built-in resources only: no provider download).`
        : color(33, `${release.ok ? '' : release.why}: CodeBuild follows a script instead of running the buildspecs.`),
    );
    const context: DemoContext = { config, configFile: demoConfigFile, checkout, sandbox, repository: setup.repository, work, summaries, realBuilds };
    let secondDeployDone = false;
    for (const name of config.order) {
      const environment = required(config.environments.get(name), `environment ${name}`);
      if (environment.previous !== undefined && name === config.order.at(-1)) await strayCommitIsRefused(context, environment);
      const delivered = await deliver(context, environment);
      // The first environment that shifts by canary or linear also gets a second deploy, one that must roll back.
      if (delivered && !secondDeployDone && environment.functions.some((fn) => isProgressive(fn.rollout))) {
        secondDeployDone = true;
        await failingDeployRollsBack(context, environment);
      }
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
  /** The config the steps read: in the checkout, with the demo's rollout where the config sets none. */
  configFile: string;
  /** The repository checkout, the steps' workspace (GITHUB_WORKSPACE). */
  checkout: string;
  sandbox: GantrySandbox;
  /** `owner/name` of the sandbox's GitHub repository. */
  repository: string;
  work: string;
  summaries: string;
  realBuilds: boolean;
  /** The packages the first environment's plan built, to show the next ones build the very same bytes. */
  firstPackages?: { environment: string; packages: PackageRecord[] };
}

/**
 * The config as the demo delivers it, written where the checkout holds it: the config file, with
 * {@link DEMO_ROLLOUT} for every environment after the first whose config sets no rollout of its own (their
 * functions' own keys still win). Returns the file and the environments it shortened.
 */
function writeDemoConfig(config: GantryConfig, file: string): { file: string; shortened: string[] } {
  const document = parseDocument(readFileSync(config.file, 'utf8'));
  const shortened = config.order.slice(1).filter((name) => !document.hasIn(['environments', name, 'rollout']));
  for (const name of shortened) document.setIn(['environments', name, 'rollout'], document.createNode(DEMO_ROLLOUT, { flow: true }));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, document.toString());
  return { file, shortened };
}

/** `terraform`: the projects' Terraform variables when the builds run for real; scripted builds without. */
async function setUp(
  config: GantryConfig,
  work: string,
  source: string,
  terraform: Record<string, string> | undefined,
): Promise<{ sandbox: GantrySandbox; repository: string }> {
  // The repository CodeBuild checks out: a small terraform app where the config says each environment's lives,
  // the functions' sources (functions/<name>: the plan build packages them) and the config (already written).
  const app = join(REPO_ROOT, 'scripts', 'demo-app');
  for (const environment of config.environments.values()) {
    cpSync(join(app, 'terraform'), join(source, environment.terraform.workingDirectory), { recursive: true });
  }
  cpSync(join(app, 'functions'), join(source, 'functions'), { recursive: true, filter: (path) => !/\/dist(\/|$)/.test(path) });
  mkdirSync(join(work, 'plans'));
  const sandbox = await startSandbox({
    clockSpeed: CLOCK_SPEED,
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
    GITHUB_WORKSPACE: context.checkout,
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
  const started = await startAction(action, { config: context.configFile, ...inputs }, env, {
    onStdout: (chunk) => {
      for (const line of chunk.split('\n')) {
        const [, group] = /^::group::(.*)$/.exec(line) ?? [];
        if (group !== undefined) groups.push(group);
      }
    },
  });
  const result = await started.result;
  writeSummary(context, environment, action, result.summary);
  if (groups.length > 0) process.stdout.write(`[${groups.join(' ▸ ')}] `);
  return result;
}

function writeSummary(context: DemoContext, environment: EnvironmentConfig, action: string, summary: string): void {
  if (summary.trim() === '') return;
  writeFileSync(join(context.summaries, `${String(++summaryCount).padStart(2, '0')}-${environment.name}-${action}.md`), summary);
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

/** Delivers the commit to the environment; true when every step succeeded. */
async function deliver(context: DemoContext, environment: EnvironmentConfig): Promise<boolean> {
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
  if (early.code !== 0) return false;

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
  if (plan.code !== 0) return false;
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
  if (deploymentId === undefined) return false;
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
    const published = publishNewVersions(context, environment, packages);
    const warmup = await step(context, environment, 'warmup', 'capacity-warmup', { environment: name }, env('apply'));
    record(name, 'warmup', warmup.code === 0, warmup.code === 0 ? `ready, worst p95 ${warmup.outputs['p95-ms']} ms` : errorOf(warmup));
    // As in deploy.yml: the shift after the warmup, the prune only once the shift completed.
    const shifted = warmup.code === 0 && (await shiftCompletes(context, environment, published, env('apply')));
    if (shifted) {
      const prune = await step(context, environment, 'prune', 'version-prune', { environment: name, 'dry-run': 'false' }, env('apply'));
      record(
        name,
        'prune',
        prune.code === 0,
        prune.code === 0 ? `deleted ${prune.outputs.deleted}, kept ${prune.outputs.kept}, skipped ${prune.outputs.skipped}` : errorOf(prune),
      );
      ok = prune.code === 0;
    } else ok = false;
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
  return status.code === 0 && ok;
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

/** A function's alias before the apply (the stable version) and the version the apply published. */
interface Published {
  fn: ResolvedFunction;
  stable: string;
  version: string;
}

/**
 * Terraform's `aws_lambda_function` with `publish = true` publishes a version; the demo's terraform app holds
 * built-in resources only, so the sandbox stands in, with the zip stored with the plan. Deployed all at once,
 * the alias moves to the new version (Pending until its execution environments are provisioned, for warmup to
 * wait on). With a canary or linear rollout the alias stays where it is (terraform ignores its routing: the
 * shift moves it), publishing waits until the version is Active, and the guarding alarms are pointed at it
 * (terraform/constructs/observability.ts).
 */
function publishNewVersions(context: DemoContext, environment: EnvironmentConfig, packages: PackageRecord[] | undefined): Published[] {
  const { lambda, cloudwatch } = context.sandbox.services;
  return environment.functions.map((fn) => {
    const path = packagePath(fn);
    const zip = packages?.some((record) => record.path === path) ? readFileSync(join(planDir(context, environment), 'packages', path)) : undefined;
    const stable = aliasOf(context, fn).primary;
    lambda.updateFunctionCode(fn.functionName, zip ?? `${fn.functionName}@${COMMIT}`);
    const progressive = isProgressive(fn.rollout);
    const { version } = lambda.publishVersion(fn.functionName, { instant: progressive });
    if (progressive) applyGuardAlarms(cloudwatch, environment, fn, version);
    else lambda.putAlias(fn.functionName, fn.alias, { functionVersion: version }, { instant: true });
    return { fn, stable, version };
  });
}

/** The alias as the sandbox holds it: its primary version and its additional version weights. */
function aliasOf(context: DemoContext, fn: ResolvedFunction): { primary: string; weights: Record<string, number> } {
  const { lambda } = context.sandbox.services;
  const alias = required(lambda.state.currentAlias(lambda.state.function(fn.functionName), fn.alias), `alias ${fn.alias} of ${fn.functionName}`);
  return { primary: alias.functionVersion, weights: { ...alias.weights } };
}

// ---- traffic shift ---------------------------------------------------------------------------------------------

/**
 * The traffic-shift step. Where no function shifts (all at once: terraform moved the aliases), the committed
 * bundle, which finds nothing to do. Otherwise the action's own code in this process on the sandbox's clock
 * ({@link shiftInProcess}), users' requests flowing through the aliases meanwhile. True when it completed and
 * every alias routes 100% to its new version, with no weights left.
 */
async function shiftCompletes(context: DemoContext, environment: EnvironmentConfig, published: Published[], env: Record<string, string>): Promise<boolean> {
  const name = environment.name;
  const shifting = published.filter(({ fn }) => isProgressive(fn.rollout));
  if (shifting.length === 0) {
    const result = await step(context, environment, 'traffic shift', 'traffic-shift', { environment: name }, env);
    const ok = result.code === 0 && result.outputs.outcome === 'complete' && JSON.parse(result.outputs.steps ?? 'null')?.length === 0;
    record(name, 'traffic shift', ok, ok ? 'all at once here: terraform moved the aliases on apply, nothing to shift' : errorOf(result));
    return ok;
  }
  const run = await shiftInProcess(context, environment, shifting, env);
  const routes = shifting.map(({ fn, version }) => ({ fn, version, alias: aliasOf(context, fn) }));
  const wrong = routes.filter(({ version, alias }) => alias.primary !== version || Object.keys(alias.weights).length > 0);
  const problems = [
    run.error,
    run.outcome === 'complete' ? undefined : `outcome ${run.outcome ?? 'not set'}`,
    ...wrong.map(({ fn, version, alias }) => `${fn.functionName}:${fn.alias} routes ${JSON.stringify(alias)}, not 100% on ${version}`),
    run.summary.includes(':white_check_mark: complete') ? undefined : 'the job summary does not say complete',
  ].filter((problem) => problem !== undefined);
  const aliases = routes.map(({ fn, version }) => `${fn.functionName}:${fn.alias} → ${version}`).join(', ');
  record(
    name,
    'traffic shift',
    problems.length === 0,
    problems.length === 0
      ? `complete after ${minutes(run.tookMs)} of sandbox time: ${aliases}, 100%, no weights left; ${describeUsers(run.users, shifting)}`
      : problems.join('; '),
  );
  return problems.length === 0;
}

interface InProcessShift {
  /** The `outcome` output: complete, rolled-back or stopped (unset when the action failed before deciding). */
  outcome?: string;
  /** The `steps` output: per function what the shift did. */
  functions: Omit<FunctionShiftReport, 'timeline'>[];
  /** Sandbox milliseconds from the start of the shift to its last decision. */
  tookMs: number;
  summary: string;
  /** The step's failure, as the runner would show it (`::error::…`); undefined when it succeeded. */
  error?: string;
  users: UsersTraffic;
}

/**
 * The traffic-shift action's run (`trafficShiftAction`, what the bundle calls) in this process, with its inputs
 * parsed from the variables the runner would give the bundle, the sandbox's clock, and Lambda and CloudWatch
 * clients pointed at the sandbox. Users' requests go through every shifted alias meanwhile. Prints each
 * function's decisions.
 */
async function shiftInProcess(
  context: DemoContext,
  environment: EnvironmentConfig,
  shifting: Published[],
  runner: Record<string, string>,
): Promise<InProcessShift> {
  const strategy = describeStrategy(required(shifting[0], 'a function to shift').fn.rollout.strategy);
  process.stdout.write(`  traffic shift (${strategy}; in this process, sandbox clock ×${CLOCK_SPEED}) … `);
  const env = { ...runner, ...inputVariables(inputsWithDefaults('traffic-shift', { config: context.configFile, environment: environment.name }, runner)) };
  const inputs = actionInputSource(env);
  const outputs: Record<string, string> = {};
  let summary = '';
  const logger = new MemoryLogger();
  const actionContext: ActionContext = {
    inputs,
    logger,
    setOutput: (name, value) => {
      outputs[name] = String(value);
    },
    appendSummary: async (markdown) => {
      summary += markdown;
    },
    env,
    cancellation: () => new AbortController().signal,
  };
  const stopUsers = new AbortController();
  const traffic = usersTraffic(
    context.sandbox,
    shifting.map(({ fn }) => ({ functionName: fn.functionName, alias: fn.alias })),
    USERS_PER_SECOND,
    stopUsers.signal,
  );
  let error: string | undefined;
  try {
    await trafficShiftAction(parseInputs(trafficShift, inputs, env, 'action'), actionContext, {
      port: sandboxShiftPort(context.sandbox.url, CLOCK_SPEED),
      clock: context.sandbox.clock,
    });
  } catch (failure) {
    error = describeError(failure);
  } finally {
    stopUsers.abort();
  }
  const users = await traffic;
  writeSummary(context, environment, 'traffic-shift', summary);
  const functions = JSON.parse(outputs.steps ?? '[]') as InProcessShift['functions'];
  console.log('');
  for (const fn of functions) {
    if (fn.outcome === 'already-complete') {
      console.log(`    ${fn.function}: already on ${fn.version}, nothing to shift`);
      continue;
    }
    const decisions = fn.decisions.map((decision) => (decision.decision === 'shift' ? `${decision.percent}%` : decision.decision)).join(' → ');
    console.log(`    ${fn.function}: ${fn.stable} → ${fn.version}: ${decisions}`);
  }
  return {
    ...(outputs.outcome === undefined ? {} : { outcome: outputs.outcome }),
    functions,
    tookMs: Math.max(0, ...functions.flatMap((fn) => fn.decisions.map((decision) => decision.atMs))),
    summary,
    ...(error === undefined ? {} : { error }),
    users,
  };
}

/** `users: 236 requests, 24 on the new versions, none failed`. */
function describeUsers(users: UsersTraffic, shifting: Published[]): string {
  const toNew = shifting.reduce((sum, { fn, version }) => sum + usersOn(users, fn.functionName, version).requests, 0);
  return `users: ${users.requests} requests, ${toNew} on the new version${shifting.length === 1 ? '' : 's'}, ${users.failed === 0 ? 'none' : users.failed} failed`;
}

function minutes(ms: number): string {
  return `${(ms / 60_000).toFixed(1)} min`;
}

/**
 * A second deploy to an environment that shifts by canary: the apply publishes a new version of one function
 * (the sandbox stands in for it, as for every apply of the demo) whose handler throws on every order, though it
 * still answers its warmup payload, so the warmup and the smoke invocations pass. Users' requests reach it at
 * 10%, fail, and Lambda's Errors metric of the new version drives the errors alarm (the sandbox's CloudWatch
 * evaluates it when the minute ends); the shift must roll back at once: the alias 100% on the stable version,
 * the step failed naming the alarm and the step reached.
 */
async function failingDeployRollsBack(context: DemoContext, environment: EnvironmentConfig): Promise<void> {
  const name = environment.name;
  const fn = required(
    environment.functions.find((candidate) => isProgressive(candidate.rollout)),
    'a function with a canary or linear rollout',
  );
  const { lambda, cloudwatch } = context.sandbox.services;
  console.log(`\n${name}: a second deploy: the new ${fn.name} throws on every order (its warmup payload still gets an answer)`);
  const stable = aliasOf(context, fn).primary;
  lambda.updateFunctionCode(fn.functionName, `${fn.functionName}@orders-table-typo`);
  const { version } = lambda.publishVersion(fn.functionName, { instant: true });
  const alarms = applyGuardAlarms(cloudwatch, environment, fn, version);
  lambda.setHandler(fn.functionName, (event, { version: running }) => {
    if (running === version && (event as { order?: unknown } | null)?.order !== undefined) throw new Error('ORDERS_TABLE is not set: cannot store the order');
    return { ok: true, version: running };
  });
  console.log(
    `  apply (the sandbox stands in) … published ${fn.functionName} version ${version}; the alias stays on ${stable}; ${alarms.join(', ')} watch ${version}`,
  );
  const env = runnerEnv(context, environment, COMMIT, 'apply');
  const warmup = await step(context, environment, 'warmup', 'capacity-warmup', { environment: name }, env);
  record(name, 'warmup (second deploy)', warmup.code === 0, warmup.code === 0 ? `ready, worst p95 ${warmup.outputs['p95-ms']} ms` : errorOf(warmup));
  if (warmup.code !== 0) return;
  const run = await shiftInProcess(context, environment, [{ fn, stable, version }], env);
  const alias = aliasOf(context, fn);
  const errorsAlarm = required(
    environment.names.functions.find((names) => names.name === fn.name),
    `the names of ${fn.name}`,
  ).shiftAlarms.errors;
  const fired = cloudwatch.alarmHistory(errorsAlarm).find((transition) => transition.to === 'ALARM');
  const failed = usersOn(run.users, fn.functionName, version).failed;
  const named = run.error?.includes(`alarm ${errorsAlarm} is ALARM at step 1 of `) === true;
  const problems = [
    run.error === undefined ? 'the step succeeded' : undefined,
    run.outcome === 'rolled-back' ? undefined : `outcome ${run.outcome ?? 'not set'}`,
    run.summary.includes(':x: rolled back') ? undefined : 'the job summary does not say rolled back',
    named ? undefined : `the failure does not name ${errorsAlarm} and the step reached: ${run.error ?? ''}`,
    fired?.by === 'evaluation' ? undefined : `${errorsAlarm} did not go to ALARM by evaluating the errors (${fired?.by ?? 'never'})`,
    alias.primary === stable && Object.keys(alias.weights).length === 0 ? undefined : `the alias routes ${JSON.stringify(alias)}, not 100% on ${stable}`,
  ].filter((problem) => problem !== undefined);
  const ok = problems.length === 0;
  const step1 = /at (step \d+ of \d+) of /.exec(run.error ?? '')?.[1] ?? 'a step';
  record(
    name,
    'traffic shift rolls back',
    ok,
    ok
      ? `rolled back, as it should: ${failed} failed order${failed === 1 ? '' : 's'} on version ${version} put ${errorsAlarm} in ALARM at ${step1}; ${fn.alias} is 100% on ${stable} again, no weights`
      : `expected a rollback on the errors alarm: ${problems.join('; ')}`,
  );
  if (run.error !== undefined) console.log(`    the step failed: ${run.error}`);
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

// The shifts' SDK clients run in this process (the bundles' in theirs): no notice about Node versions mid-line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
try {
  process.exitCode = await main();
} catch (error) {
  console.error(`✗ ${describeError(error)}`);
  process.exitCode = 1;
}
