/**
 * The bundled promotion-gate and deployment-status actions against the sandbox's GitHub API: a prod apply of
 * a commit that never reached qa is refused naming the missing evidence; after dev and qa succeeded it is
 * allowed and creates the deployment; pull_request applies are refused in every environment. Then the
 * attacks: evidence anyone can write (a user's commit statuses and deployments, check runs a workflow token
 * made through the API, a commit only on a feature branch) is refused, naming what was rejected and why.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { seedGitHubEnvironments } from '../scripts/sandbox/seed-config.js';
import { parseConfig } from '../src/config/load.js';
import { parseInputs } from '../src/definition/define.js';
import { deploymentStatus } from '../src/definitions/deployment-status.js';
import { promotionGate } from '../src/definitions/promotion-gate.js';
import { cliInputSource } from '../src/inputs.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { runBundledAction } from './helpers/run-bundle.js';

const SHA = 'c0ffee0000000000000000000000000000000001';
const NEVER_PROMOTED = 'c0ffee0000000000000000000000000000000002';
const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);

/**
 * main: NEVER_PROMOTED, then SHA on top; both with green `test` and `security` jobs; the GitHub Environments
 * as the example config wants them (qa and prod with a reviewer, each from its apply.refs only).
 */
async function startSeededSandbox(): Promise<GantrySandbox> {
  const started = await startSandbox();
  const github = started.services.github;
  github.addRepo('example', 'app');
  github.addCommit('example', 'app', NEVER_PROMOTED);
  github.addCommit('example', 'app', SHA, { parents: [NEVER_PROMOTED] });
  github.setBranch('example', 'app', 'main', SHA, { protected: true });
  github.setBranch('example', 'app', 'other', NEVER_PROMOTED);
  seedGitHubEnvironments(github, 'example', 'app', config);
  for (const sha of [SHA, NEVER_PROMOTED]) {
    for (const name of ['test', 'security']) github.addCheckRun('example', 'app', { name, headSha: sha, status: 'completed', conclusion: 'success' });
  }
  return started;
}

function workflowEnv(sandbox: GantrySandbox, eventName: string, ref: string, extra: Record<string, string> = {}): Record<string, string> {
  const eventPath = join(mkdtempSync(join(tmpdir(), 'gantry-event-')), 'event.json');
  writeFileSync(eventPath, JSON.stringify(eventName.startsWith('pull_request') ? { pull_request: { number: 7 } } : {}));
  return {
    ...sandbox.env,
    GITHUB_REPOSITORY: 'example/app',
    GITHUB_EVENT_NAME: eventName,
    GITHUB_REF: ref,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_RUN_ID: '42',
    ...extra,
  };
}

function gate(sandbox: GantrySandbox, environment: string, mode: string, sha: string, event: [name: string, ref: string], extra: Record<string, string> = {}) {
  return runBundledAction(
    'promotion-gate',
    { environment, mode, sha, config: EXAMPLE_CONFIG_FILE, 'github-token': 'sandbox-token', ...extra },
    workflowEnv(sandbox, ...event),
  );
}

const PUSH: [string, string] = ['push', 'refs/heads/main'];
const DISPATCH: [string, string] = ['workflow_dispatch', 'refs/heads/main'];

/** What deploy.yml does after an allowed gate: in_progress, then success. */
async function deploy(sandbox: GantrySandbox, environment: string, sha: string): Promise<string> {
  const allowed = await gate(sandbox, environment, 'apply', sha, PUSH);
  expect(allowed.code, allowed.stdout).toBe(0);
  const id = allowed.outputs['deployment-id']!;
  for (const state of ['in_progress', 'success']) {
    const status = await runBundledAction('deployment-status', { 'deployment-id': id, state, 'github-token': 'sandbox-token' }, workflowEnv(sandbox, ...PUSH));
    expect(status.code, status.stdout).toBe(0);
  }
  return id;
}

/**
 * Every bundle run is a node process (about 0.2 s on a quiet machine, a second or more on a loaded one), so the
 * promotion history these tests start from is made once, through the real gate and deployment-status bundles:
 * NEVER_PROMOTED deployed to dev, then SHA to dev (which makes NEVER_PROMOTED's inactive), then SHA to qa.
 * Each test adds to it (a refusal, plans, a prod deployment) and asserts on what it adds, not on what the
 * others added.
 */
describe('promotion-gate against GitHub (sandbox), after SHA went through dev and qa', () => {
  let sandbox: GantrySandbox;
  let devId = '';
  let qaId = '';

  beforeAll(async () => {
    sandbox = await startSeededSandbox();
    await deploy(sandbox, 'dev', NEVER_PROMOTED);
    devId = await deploy(sandbox, 'dev', SHA);
    qaId = await deploy(sandbox, 'qa', SHA);
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  const deploymentsOf = (sha: string) => sandbox.services.github.deployments('example', 'app').filter((d) => d.sha === sha);

  it('refuses a prod apply of a commit that never reached qa, naming the missing evidence, and creates nothing', async () => {
    const result = await gate(sandbox, 'prod', 'apply', NEVER_PROMOTED, DISPATCH);
    expect(result.code).toBe(1);
    expect(result.outputs.allowed).toBe('false');
    expect(result.outputs.reason).toBe(
      'apply prod at c0ffee000000: refused: no successful deployment of c0ffee000000 to qa (deployments seen: none at all); deploy it to qa first',
    );
    expect(result.stdout).toContain(`::error::${result.outputs.reason}`);
    expect(result.summary).toContain('| previous environment | ❌ fail |');
    expect(deploymentsOf(NEVER_PROMOTED).map((d) => d.environment)).toEqual(['dev']);
  });

  it('allows the same after dev and qa succeeded, and creates the prod deployment', async () => {
    const result = await gate(sandbox, 'prod', 'apply', SHA, DISPATCH);
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs).toMatchObject({ allowed: 'true', environment: 'prod', mode: 'apply' });
    expect(result.outputs.reason).toBe('apply prod at c0ffee000000: allowed (7 rules passed)');
    expect(result.summary).toMatch(
      new RegExp(`\\| previous environment \\| ✅ pass \\| deployed to qa successfully \\(#${qaId} by github-actions\\[bot\\]\\)`),
    );
    expect(result.summary).toContain('| required checks | ✅ pass | test, security succeeded |');
    expect(result.summary).toContain('| reachable | ✅ pass | c0ffee000000 is on refs/heads/main (its head) |');
    expect(result.summary).toContain(
      '| environment protection | ✅ pass | GitHub Environment prod: required reviewers: reviewer; prevent self-review: on; deployment branches: selected: main (branch), v* (tag) |',
    );
    const prod = deploymentsOf(SHA).filter((d) => d.environment === 'prod');
    expect(prod).toHaveLength(1);
    expect(String(prod[0]!.id)).toBe(result.outputs['deployment-id']);
    expect(Number(devId)).toBeLessThan(Number(qaId));
  });

  it('refuses a pull_request apply in every environment, and allows the plan', async () => {
    const before = sandbox.services.github.deployments('example', 'app').length;
    // Independent runs: side by side.
    const runs = ['dev', 'qa', 'prod'].flatMap((environment) => [
      ...['pull_request', 'pull_request_target'].map(async (eventName) => ({
        environment,
        eventName,
        result: await gate(sandbox, environment, 'apply', SHA, [eventName, 'refs/heads/main']),
      })),
      (async () => ({ environment, eventName: 'plan', result: await gate(sandbox, environment, 'plan', SHA, ['pull_request', 'refs/pull/7/merge']) }))(),
    ]);
    for (const { environment, eventName, result } of await Promise.all(runs)) {
      if (eventName === 'plan') {
        expect(result.code, `${environment} plan: ${result.stdout}`).toBe(0);
        expect(result.outputs.allowed).toBe('true');
      } else {
        expect(result.code, `${environment} ${eventName}`).toBe(1);
        expect(result.outputs.reason).toContain(`apply is never allowed from ${eventName}`);
      }
    }
    expect(sandbox.services.github.deployments('example', 'app')).toHaveLength(before);
  });
});

/** Each of these starts from a history with no deployment at all, in its own sandbox: they run side by side. */
const fresh = it.extend<{ sandbox: GantrySandbox }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's first parameter as a pattern; this fixture needs none.
  sandbox: async ({}, use) => {
    const sandbox = await startSeededSandbox();
    await use(sandbox);
    await sandbox.stop();
  },
});

describe.concurrent('promotion-gate against GitHub (sandbox), from a fresh history', () => {
  fresh('refuses when a required check failed on the commit, and when GitHub cannot be read (fails closed)', async ({ sandbox, expect }) => {
    sandbox.services.github.addCheckRun('example', 'app', { name: 'security', headSha: SHA, status: 'completed', conclusion: 'failure' });
    const [failed, wrongToken] = await Promise.all([
      gate(sandbox, 'dev', 'apply', SHA, PUSH),
      gate(sandbox, 'dev', 'apply', NEVER_PROMOTED, PUSH, { 'github-token': 'stolen' }),
    ]);
    expect(failed.code).toBe(1);
    expect(failed.outputs.reason).toContain('required checks not successful on c0ffee000000: security (check run failure)');

    expect(wrongToken.code).toBe(1);
    expect(wrongToken.summary).toContain('could not read the checks of c0ffee000000: ');
    expect(wrongToken.outputs.reason).toContain('Bad credentials');
    expect(sandbox.services.github.deployments('example', 'app')).toHaveLength(0);
  });

  fresh('retries a GitHub 5xx (Octokit retry plugin) instead of refusing on a blip', async ({ sandbox, expect }) => {
    sandbox.faults.add({ service: 'github', operation: 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs', kind: 'server-error', status: 502, times: 1 });
    const result = await gate(sandbox, 'dev', 'apply', SHA, PUSH);
    expect(result.code, result.stdout).toBe(0);
    expect(sandbox.server.calls('github', 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs').map((call) => call.status)).toEqual([502, 200]);
  });

  fresh('warns when its token is not github.deployer: the next gate would not count the deployment', async ({ sandbox, expect }) => {
    const token = sandbox.services.github.addToken({ app: { id: 4242, slug: 'release-app' } });
    const result = await gate(sandbox, 'dev', 'apply', SHA, PUSH, { 'github-token': token });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(
      `::warning::deployment #${result.outputs['deployment-id']} was made by release-app[bot], not by github.deployer (github-actions[bot]): the next environment's gate will not count it; set github.deployer to the token's login`,
    );
  });

  fresh('passes the early check with create-deployment false without creating a deployment', async ({ sandbox, expect }) => {
    const result = await gate(sandbox, 'dev', 'apply', SHA, PUSH, { 'create-deployment': 'false' });
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs['deployment-id']).toBeUndefined();
    expect(sandbox.services.github.deployments('example', 'app')).toHaveLength(0);
  });
});

const FEATURE = 'f0e0000000000000000000000000000000000003';
const TAGGED = 'f0e0000000000000000000000000000000000004';
const repo = { owner: 'example', repo: 'app' };

/** An Octokit client of the sandbox with another identity's token (see GitHubService.addToken). */
function clientAs(sandbox: GantrySandbox, owner: Parameters<GantrySandbox['services']['github']['addToken']>[0]) {
  return getOctokit(sandbox.services.github.addToken(owner), { baseUrl: sandbox.env.GITHUB_API_URL });
}

/**
 * Each attack was allowed before the gate checked who made its evidence and where the commit is; each is
 * refused now, naming the records it rejected and why.
 */
describe.concurrent('promotion-gate against GitHub (sandbox): evidence anyone can write', () => {
  fresh("refuses a prod apply of a commit only on a feature branch, vouched for by a user's statuses and qa deployment", async ({ sandbox, expect }) => {
    const github = sandbox.services.github;
    github.addCommit('example', 'app', FEATURE, { parents: [SHA] });
    github.setBranch('example', 'app', 'feature/x', FEATURE);
    const mallory = clientAs(sandbox, { user: 'mallory' });
    for (const context of ['test', 'security']) await mallory.rest.repos.createCommitStatus({ ...repo, sha: FEATURE, state: 'success', context });
    const created = await mallory.rest.repos.createDeployment({ ...repo, ref: FEATURE, environment: 'qa', required_contexts: [] });
    const id = (created.data as { id: number }).id;
    await mallory.rest.repos.createDeploymentStatus({ ...repo, deployment_id: id, state: 'success' });

    const result = await gate(sandbox, 'prod', 'apply', FEATURE, DISPATCH);
    expect(result.code, result.stdout).toBe(1);
    expect(result.outputs.allowed).toBe('false');
    expect(result.outputs.reason).toBe(
      'apply prod at f0e000000000: refused: f0e000000000 is on no ref prod applies from (refs/heads/main: not on it: 1 commit ahead of it; refs/tags/v*: no such tag points at the commit); merge it first',
    );
    expect(result.summary).toContain(
      `| previous environment | ❌ fail | no successful deployment of f0e000000000 to qa (deployments seen: deployment #${id} by user mallory is not from github-actions[bot]); deploy it to qa first |`,
    );
    expect(result.summary).toContain(
      "| required checks | ❌ fail | required checks not successful on f0e000000000: test (status 'test' by user mallory is not from GitHub Actions), security (status 'security' by user mallory is not from GitHub Actions) |",
    );
    expect(github.deployments('example', 'app').filter((deployment) => deployment.environment === 'prod')).toHaveLength(0);
  });

  fresh("refuses check runs that a feature branch's workflow token made through the API for a commit on main", async ({ sandbox, expect }) => {
    const github = sandbox.services.github;
    const untested = 'c0ffee0000000000000000000000000000000005';
    github.addCommit('example', 'app', untested, { parents: [SHA] });
    github.setBranch('example', 'app', 'main', untested);
    const run = github.addWorkflowRun('example', 'app', { headSha: NEVER_PROMOTED, headBranch: 'other', path: '.github/workflows/sneaky.yml' });
    const actions = clientAs(sandbox, { workflowRun: run.id });
    const ids: number[] = [];
    for (const name of ['test', 'security']) ids.push((await actions.rest.checks.create({ ...repo, name, head_sha: untested, conclusion: 'success' })).data.id);

    const result = await gate(sandbox, 'dev', 'apply', untested, PUSH);
    expect(result.code, result.stdout).toBe(1);
    expect(result.outputs.reason).toBe(
      `apply dev at c0ffee000000: refused: required checks not successful on c0ffee000000: test (check run 'test' #${ids[0]} is from no workflow run (made through the API, not by a job)), security (check run 'security' #${ids[1]} is from no workflow run (made through the API, not by a job))`,
    );
    expect(sandbox.services.github.deployments('example', 'app')).toHaveLength(0);
  });

  fresh('counts a qa deployment only with its success from the deployer, and not once a later deployment superseded it', async ({ sandbox, expect }) => {
    const bot = getOctokit(sandbox.env.GITHUB_TOKEN!, { baseUrl: sandbox.env.GITHUB_API_URL });
    const mallory = clientAs(sandbox, { user: 'mallory' });
    const deploy = async (sha: string, environment: string) =>
      ((await bot.rest.repos.createDeployment({ ...repo, ref: sha, environment, required_contexts: [] })).data as { id: number }).id;
    // The deployer's qa deployment of SHA failed; a user marks it a success.
    const failed = await deploy(SHA, 'qa');
    await bot.rest.repos.createDeploymentStatus({ ...repo, deployment_id: failed, state: 'failure' });
    await mallory.rest.repos.createDeploymentStatus({ ...repo, deployment_id: failed, state: 'success' });
    // dev: SHA succeeded, then NEVER_PROMOTED succeeded after it, which made SHA's inactive.
    const superseded = await deploy(SHA, 'dev');
    await bot.rest.repos.createDeploymentStatus({ ...repo, deployment_id: superseded, state: 'success' });
    await bot.rest.repos.createDeploymentStatus({ ...repo, deployment_id: await deploy(NEVER_PROMOTED, 'dev'), state: 'success' });

    const [prod, qa] = await Promise.all([
      gate(sandbox, 'prod', 'apply', SHA, DISPATCH, { 'create-deployment': 'false' }),
      gate(sandbox, 'qa', 'apply', SHA, DISPATCH, { 'create-deployment': 'false' }),
    ]);
    expect(prod.code, prod.stdout).toBe(1);
    expect(prod.outputs.reason).toBe(
      `apply prod at c0ffee000000: refused: no successful deployment of c0ffee000000 to qa (deployments seen: deployment #${failed}'s success status by user mallory is not from github-actions[bot]); deploy it to qa first`,
    );
    expect(qa.code, qa.stdout).toBe(1);
    expect(qa.outputs.reason).toBe(
      `apply qa at c0ffee000000: refused: no successful deployment of c0ffee000000 to dev (deployments seen: deployment #${superseded} succeeded, then became inactive); deploy it to dev first`,
    );
  });

  fresh('allows a prod apply of a commit an allowed tag points at, off main', async ({ sandbox, expect }) => {
    const github = sandbox.services.github;
    github.addCommit('example', 'app', TAGGED, { parents: [NEVER_PROMOTED] });
    github.setTag('example', 'app', 'v2.0.0', TAGGED);
    for (const name of ['test', 'security']) github.addCheckRun('example', 'app', { name, headSha: TAGGED, conclusion: 'success' });
    const bot = getOctokit(sandbox.env.GITHUB_TOKEN!, { baseUrl: sandbox.env.GITHUB_API_URL });
    const qa = ((await bot.rest.repos.createDeployment({ ...repo, ref: TAGGED, environment: 'qa', required_contexts: [] })).data as { id: number }).id;
    await bot.rest.repos.createDeploymentStatus({ ...repo, deployment_id: qa, state: 'success' });

    const result = await gate(sandbox, 'prod', 'apply', TAGGED, ['workflow_dispatch', 'refs/tags/v2.0.0'], { 'create-deployment': 'false' });
    expect(result.code, result.stdout).toBe(0);
    expect(result.summary).toContain('| reachable | ✅ pass | f0e000000000 is on refs/tags/v2.0.0 (the tag points at it) | refs/tags/v2.0.0 |');
  });

  fresh('refuses an apply to an environment that needs approval when GitHub lets any branch deploy without a reviewer', async ({ sandbox, expect }) => {
    const github = sandbox.services.github;
    // What a new GitHub Environment is: no reviewers, any branch.
    github.setEnvironment('example', 'app', 'qa', { requiredReviewers: [], preventSelfReview: false, protectedBranchesOnly: false });
    const bot = getOctokit(sandbox.env.GITHUB_TOKEN!, { baseUrl: sandbox.env.GITHUB_API_URL });
    const dev = ((await bot.rest.repos.createDeployment({ ...repo, ref: SHA, environment: 'dev', required_contexts: [] })).data as { id: number }).id;
    await bot.rest.repos.createDeploymentStatus({ ...repo, deployment_id: dev, state: 'success' });

    const result = await gate(sandbox, 'qa', 'apply', SHA, DISPATCH, { 'create-deployment': 'false' });
    expect(result.code, result.stdout).toBe(1);
    expect(result.outputs.reason).toMatch(
      /^apply qa at c0ffee000000: refused: GitHub Environment qa does not enforce approval: required reviewers: none: add at least one .*; prevent self-review: off: .*; deployment branches: any branch may deploy to qa: /,
    );
  });
});

describe("a pull request's gate decides on the pull request's head commit", () => {
  const MERGE = 'fedcba9876543210fedcba9876543210fedcba98';
  const pullRequestEnv = (payload: unknown) => {
    const eventPath = join(mkdtempSync(join(tmpdir(), 'gantry-event-')), 'event.json');
    writeFileSync(eventPath, JSON.stringify(payload));
    return {
      GITHUB_SHA: MERGE,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: 'refs/pull/7/merge',
      GITHUB_REPOSITORY: 'example/app',
    };
  };

  it('takes pull_request.head.sha, not the merge commit in GITHUB_SHA, unless sha is given', () => {
    const env = pullRequestEnv({ pull_request: { number: 7, head: { sha: SHA } } });
    expect(parseInputs(promotionGate, cliInputSource({ environment: 'dev', mode: 'plan' }), env, 'action').sha).toBe(SHA);
    expect(parseInputs(promotionGate, cliInputSource({ environment: 'dev', mode: 'plan', sha: NEVER_PROMOTED }), env, 'action').sha).toBe(NEVER_PROMOTED);
    expect(parseInputs(promotionGate, cliInputSource({ environment: 'dev', mode: 'plan' }), { ...env, GITHUB_EVENT_NAME: 'push' }, 'action').sha).toBe(MERGE);
    expect(() =>
      parseInputs(promotionGate, cliInputSource({ environment: 'dev', mode: 'plan' }), pullRequestEnv({ pull_request: { number: 7 } }), 'action'),
    ).toThrow('option --sha: is not set and the pull_request event file (GITHUB_EVENT_PATH) has no pull_request.head.sha to default to');
  });

  it('the bundled gate reports the head commit it decided on', async () => {
    const result = await runBundledAction(
      'promotion-gate',
      { environment: 'dev', mode: 'plan', config: EXAMPLE_CONFIG_FILE },
      pullRequestEnv({ pull_request: { number: 7, head: { sha: SHA } } }),
    );
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs.reason).toContain(`plan dev at ${SHA.slice(0, 12)}`);
    expect(result.summary).toContain(`Commit \`${SHA}\``);
    expect(result.summary).not.toContain(MERGE);
  });
});

describe('gate and deployment-status inputs', () => {
  it.each([
    [{ environment: 'dev', mode: 'apply', sha: 'main' }, 'option --sha: must be a full 40-character commit SHA, got "main"'],
    [{ environment: 'dev', mode: 'ship', sha: SHA }, 'option --mode: must be one of plan, apply'],
    [{ environment: 'dev', mode: 'apply', sha: SHA, 'plan-add': '1' }, 'option --plan-add: plan-add, plan-change and plan-destroy go together'],
    [{ environment: 'dev', mode: 'apply', sha: SHA, 'plan-add': '-1', 'plan-change': '0', 'plan-destroy': '0' }, 'option --plan-add: must be a whole number'],
  ])('gate refuses %j', (values, message) => {
    expect(() => parseInputs(promotionGate, cliInputSource(values), {}, 'action')).toThrow(message);
  });

  it.each([
    [{ state: 'success', 'github-token': 't' }, 'option --deployment-id: is required'],
    [{ 'deployment-id': '12', state: 'done', 'github-token': 't' }, 'option --state: must be one of in_progress, queued, success, failure, error, inactive'],
    [{ 'deployment-id': '12', state: 'success', 'github-token': 't', 'log-url': 'not a url' }, 'option --log-url: must be an http(s) URL'],
    [{ 'deployment-id': '12', state: 'success', 'github-token': 't', description: 'x'.repeat(141) }, 'option --description: must be at most 140 characters'],
  ])('deployment-status refuses %j', (values, message) => {
    expect(() => parseInputs(deploymentStatus, cliInputSource(values), {}, 'cli')).toThrow(message);
  });
});
