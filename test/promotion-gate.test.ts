/**
 * The bundled promotion-gate and deployment-status actions against the sandbox's GitHub API: a prod apply of
 * a commit that never reached qa is refused naming the missing evidence; after dev and qa succeeded it is
 * allowed and creates the deployment; pull_request applies are refused in every environment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliInputSource } from '../src/inputs.js';
import { parseInputs } from '../src/definition/define.js';
import { deploymentStatus } from '../src/definitions/deployment-status.js';
import { promotionGate } from '../src/definitions/promotion-gate.js';
import { startSandbox, type GantrySandbox } from '../scripts/sandbox/sandbox.js';
import { EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { runBundledAction } from './helpers/run-bundle.js';

const SHA = 'c0ffee0000000000000000000000000000000001';
const NEVER_PROMOTED = 'c0ffee0000000000000000000000000000000002';

let sandbox: GantrySandbox;

beforeEach(async () => {
  sandbox = await startSandbox();
  const github = sandbox.services.github;
  github.addRepo('example', 'app');
  github.setBranch('example', 'app', 'main', SHA, { protected: true });
  github.setBranch('example', 'app', 'other', NEVER_PROMOTED);
  for (const sha of [SHA, NEVER_PROMOTED]) {
    for (const name of ['test', 'security']) github.addCheckRun('example', 'app', { name, headSha: sha, status: 'completed', conclusion: 'success' });
  }
});

afterEach(async () => {
  await sandbox.stop();
});

function workflowEnv(eventName: string, ref: string, extra: Record<string, string> = {}): Record<string, string> {
  const eventPath = join(mkdtempSync(join(tmpdir(), 'gantry-event-')), 'event.json');
  writeFileSync(eventPath, JSON.stringify(eventName.startsWith('pull_request') ? { pull_request: { number: 7 } } : {}));
  return { ...sandbox.env, GITHUB_REPOSITORY: 'example/app', GITHUB_EVENT_NAME: eventName, GITHUB_REF: ref, GITHUB_EVENT_PATH: eventPath, GITHUB_RUN_ID: '42', ...extra };
}

const gate = (environment: string, mode: string, sha: string, env: Record<string, string>, extra: Record<string, string> = {}) =>
  runBundledAction('promotion-gate', { environment, mode, sha, config: EXAMPLE_CONFIG_FILE, 'github-token': 'sandbox-token', ...extra }, env);

/** What deploy.yml does after an allowed gate: in_progress, then success. */
async function deploy(environment: string, sha: string, eventName: string): Promise<string> {
  const allowed = await gate(environment, 'apply', sha, workflowEnv(eventName, 'refs/heads/main'));
  expect(allowed.code, allowed.stdout).toBe(0);
  const id = allowed.outputs['deployment-id']!;
  for (const state of ['in_progress', 'success']) {
    const status = await runBundledAction('deployment-status', { 'deployment-id': id, state, 'github-token': 'sandbox-token' }, workflowEnv(eventName, 'refs/heads/main'));
    expect(status.code, status.stdout).toBe(0);
  }
  return id;
}

describe('promotion-gate against GitHub (sandbox)', () => {
  it('refuses a prod apply of a commit that never reached qa, naming the missing evidence, and creates nothing', async () => {
    await deploy('dev', NEVER_PROMOTED, 'push');
    const result = await gate('prod', 'apply', NEVER_PROMOTED, workflowEnv('workflow_dispatch', 'refs/heads/main'));
    expect(result.code).toBe(1);
    expect(result.outputs['allowed']).toBe('false');
    expect(result.outputs['reason']).toBe('apply prod at c0ffee000000: refused: no successful deployment of c0ffee000000 to qa (deployments seen: none at all); deploy it to qa first');
    expect(result.stdout).toContain(`::error::${result.outputs['reason']}`);
    expect(result.summary).toContain('| previous environment | ❌ fail |');
    expect(sandbox.services.github.deployments('example', 'app').filter((d) => d.environment === 'prod')).toHaveLength(0);
  }, 30_000);

  it('allows the same after dev and qa succeeded, and creates the prod deployment', async () => {
    const devId = await deploy('dev', SHA, 'push');
    const qaId = await deploy('qa', SHA, 'push');
    const result = await gate('prod', 'apply', SHA, workflowEnv('workflow_dispatch', 'refs/heads/main'));
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs).toMatchObject({ allowed: 'true', environment: 'prod', mode: 'apply' });
    expect(result.outputs['reason']).toBe('apply prod at c0ffee000000: allowed (5 rules passed)');
    expect(result.summary).toMatch(new RegExp(`\\| previous environment \\| ✅ pass \\| deployed to qa successfully \\(#${qaId}\\)`));
    expect(result.summary).toContain('| required checks | ✅ pass | test, security succeeded |');
    const prod = sandbox.services.github.deployments('example', 'app').find((d) => d.environment === 'prod')!;
    expect(String(prod.id)).toBe(result.outputs['deployment-id']);
    expect(prod.sha).toBe(SHA);
    expect(Number(devId)).toBeLessThan(Number(qaId));
  }, 30_000);

  it('refuses a pull_request apply in every environment, and allows the plan', async () => {
    await deploy('dev', SHA, 'push');
    await deploy('qa', SHA, 'push');
    for (const environment of ['dev', 'qa', 'prod']) {
      for (const eventName of ['pull_request', 'pull_request_target']) {
        const result = await gate(environment, 'apply', SHA, workflowEnv(eventName, 'refs/heads/main'));
        expect(result.code).toBe(1);
        expect(result.outputs['reason']).toContain(`apply is never allowed from ${eventName}`);
      }
      const plan = await gate(environment, 'plan', SHA, workflowEnv('pull_request', 'refs/pull/7/merge'));
      expect(plan.code, plan.stdout).toBe(0);
      expect(plan.outputs['allowed']).toBe('true');
    }
    expect(sandbox.services.github.deployments('example', 'app')).toHaveLength(2);
  }, 60_000);

  it('refuses when a required check failed on the commit, and when GitHub cannot be read (fails closed)', async () => {
    sandbox.services.github.addCheckRun('example', 'app', { name: 'security', headSha: SHA, status: 'completed', conclusion: 'failure' });
    const failed = await gate('dev', 'apply', SHA, workflowEnv('push', 'refs/heads/main'));
    expect(failed.code).toBe(1);
    expect(failed.outputs['reason']).toContain('required checks not successful on c0ffee000000: security (check run failure)');

    const wrongToken = await gate('dev', 'apply', NEVER_PROMOTED, workflowEnv('push', 'refs/heads/main'), { 'github-token': 'stolen' });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.outputs['reason']).toContain('could not read the checks of c0ffee000000: ');
    expect(wrongToken.outputs['reason']).toContain('Bad credentials');
  }, 30_000);

  it('retries a GitHub 5xx (Octokit retry plugin) instead of refusing on a blip', async () => {
    sandbox.faults.add({ service: 'github', operation: 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs', kind: 'server-error', status: 502, times: 1 });
    const result = await gate('dev', 'apply', SHA, workflowEnv('push', 'refs/heads/main'));
    expect(result.code, result.stdout).toBe(0);
    expect(sandbox.server.calls('github', 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs').map((call) => call.status)).toEqual([502, 200]);
  }, 30_000);

  it('passes the early check with create-deployment false without creating a deployment', async () => {
    const result = await gate('dev', 'apply', SHA, workflowEnv('push', 'refs/heads/main'), { 'create-deployment': 'false' });
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs['deployment-id']).toBeUndefined();
    expect(sandbox.services.github.deployments('example', 'app')).toHaveLength(0);
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
