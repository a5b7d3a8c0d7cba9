/**
 * `gantry doctor` and the check it shares with the gate (src/gate/github-settings.ts): the pure check against
 * the GitHub Environment settings an approval needs, then the bundled CLI reading them from the sandbox's
 * GitHub API (environments with their protection rules and deployment branch policies).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { seedGitHubFromConfig } from '../scripts/sandbox/seed-config.js';
import { parseConfig } from '../src/config/load.js';
import { checkEnvironmentSettings, type EnvironmentProtection, failedSettings, type SettingsTarget } from '../src/gate/github-settings.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';
import { runCliBundle } from './helpers/run-bundle.js';

const PROD: SettingsTarget = { name: 'prod', approval: 'required', refs: ['refs/heads/main', 'refs/tags/v*'] };
const GOOD: EnvironmentProtection = {
  name: 'prod',
  reviewers: ['alice', 'team platform'],
  preventSelfReview: true,
  waitTimer: 5,
  branchPolicy: 'custom',
  policies: [
    { name: 'main', type: 'branch' },
    { name: 'v*', type: 'tag' },
  ],
};
const statuses = (findings: ReturnType<typeof checkEnvironmentSettings>) => findings.map((finding) => `${finding.status} ${finding.setting}`);

describe('the GitHub Environment settings an approval needs', () => {
  it('passes reviewers, prevent self-review and selected branches and tags, noting what it cannot check', () => {
    const findings = checkEnvironmentSettings(PROD, GOOD);
    expect(statuses(findings)).toEqual([
      'pass required reviewers',
      'pass prevent self-review',
      'pass deployment branches',
      'warn tag protection',
      'pass wait timer',
    ]);
    expect(failedSettings(findings)).toBe('');
    expect(statuses(checkEnvironmentSettings(PROD, { ...GOOD, branchPolicy: 'protected', policies: [] }))).toContain('pass deployment branches');
  });

  it('fails closed, naming each missing setting, where the config requires approval', () => {
    expect(failedSettings(checkEnvironmentSettings(PROD, undefined))).toMatch(/^environment: GitHub has no environment "prod"/);
    const bare = checkEnvironmentSettings(PROD, { ...GOOD, reviewers: [], preventSelfReview: false, waitTimer: 0, branchPolicy: 'any', policies: [] });
    expect(statuses(bare)).toEqual(['fail required reviewers', 'fail prevent self-review', 'fail deployment branches']);
    expect(failedSettings(bare)).toContain('deployment branches: any branch may deploy to prod: choose "Selected branches and tags" (main (branch), v* (tag))');
    const selfReview = checkEnvironmentSettings(PROD, { ...GOOD, preventSelfReview: false });
    expect(failedSettings(selfReview)).toBe(
      'prevent self-review: off: whoever starts a deployment may approve it; tick "Prevent self-review" (Settings → Environments → prod)',
    );
    const everyBranch = checkEnvironmentSettings(PROD, { ...GOOD, policies: [{ name: '**', type: 'branch' }] });
    expect(failedSettings(everyBranch)).toBe('deployment branches: any branch may deploy to prod: the branch rule "**" matches every branch');
  });

  it('warns where GitHub and apply.refs disagree, and only warns where the config requires no approval', () => {
    const wider = checkEnvironmentSettings(PROD, {
      ...GOOD,
      policies: [
        { name: 'main', type: 'branch' },
        { name: 'feature/*', type: 'branch' },
      ],
    });
    expect(failedSettings(wider)).toBe('');
    expect(wider.filter((finding) => finding.status === 'warn').map((finding) => finding.detail)).toEqual([
      'the branch rule "feature/*" lets refs deploy that apply.refs (refs/heads/main, refs/tags/v*) does not name; the gate refuses them, narrow the rule',
      'apply.refs names refs/tags/v*, which no rule lets deploy: GitHub will hold back those apply jobs',
    ]);
    expect(statuses(checkEnvironmentSettings(PROD, { ...GOOD, policies: [] }))).toContain('warn deployment branches');
    const dev: SettingsTarget = { name: 'dev', approval: 'none', refs: ['refs/heads/main'] };
    expect(
      statuses(
        checkEnvironmentSettings(dev, { ...GOOD, name: 'dev', reviewers: [], preventSelfReview: false, waitTimer: 0, branchPolicy: 'any', policies: [] }),
      ),
    ).toEqual(['warn deployment branches']);
    expect(statuses(checkEnvironmentSettings(dev, undefined))).toEqual(['warn environment']);
  });

  it('takes github.environments.<name>.approval from the config, for environments the config defines', () => {
    const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
    expect(config.github.environments).toEqual({ qa: { approval: 'required' }, prod: { approval: 'required' } });
    expect(config.github).toMatchObject({ trustedApps: [15368], trustedStatusCreators: [], deployer: 'github-actions[bot]' });
    expect(() => parseConfig(exampleWith('prod: { approval: required } }', 'stage: { approval: required } }'), 'gantry.yml')).toThrow(
      'gantry.yml:9:47: github.environments.stage: unknown environment "stage"; expected one of dev, qa, prod',
    );
    expect(() => parseConfig(exampleWith('prod: { approval: required } }', 'prod: { approval: always } }'), 'gantry.yml')).toThrow(
      'gantry.yml:9:65: github.environments.prod.approval: expected "required" or "none", got "always"',
    );
  });
});

describe('gantry doctor (CLI bundle against the GitHub sandbox)', () => {
  let sandbox: GantrySandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  async function seeded(): Promise<GantrySandbox> {
    sandbox = await startSandbox();
    seedGitHubFromConfig(sandbox.services.github, parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE));
    return sandbox;
  }
  const doctor = (sb: GantrySandbox, args: string[] = [], env: Record<string, string> = {}) =>
    runCliBundle(['doctor', '--config', EXAMPLE_CONFIG_FILE, ...args], { ...sb.env, ...env });

  it('reads each environment through the API and passes when the settings are in place', async () => {
    const sb = await seeded();
    const result = await doctor(sb);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').slice(0, 6)).toEqual([
      `acme/orders: the GitHub Environments' settings ${EXAMPLE_CONFIG_FILE} relies on`,
      'dev (approval: none)',
      '  ok    deployment branches: selected: main (branch)',
      'qa (approval: required)',
      '  ok    required reviewers: reviewer',
      '  ok    prevent self-review: on',
    ]);
    expect(result.stderr).toContain('doctor: every setting the config relies on is in place (1 warning)');
    expect(sb.server.calls('github', 'GET /repos/{owner}/{repo}/environments/{environment_name}')).toHaveLength(3);
    expect(sb.server.calls('github', 'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies')).toHaveLength(3);
  });

  it('fails closed naming the missing settings: no reviewer, self-review allowed, any branch, no environment', async () => {
    const sb = await seeded();
    const github = sb.services.github;
    github.setEnvironment('acme', 'orders', 'qa', { requiredReviewers: [], preventSelfReview: false, protectedBranchesOnly: false });
    github.setEnvironment('acme', 'orders', 'prod', { preventSelfReview: false });
    const result = await doctor(sb);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  FAIL  required reviewers: none: add at least one (Settings → Environments → qa → Required reviewers)');
    expect(result.stdout).toContain('  FAIL  deployment branches: any branch may deploy to qa: choose "Selected branches and tags" (main (branch))');
    expect(result.stderr.trim()).toBe(
      'error: doctor: 4 settings missing (qa: required reviewers, qa: prevent self-review, qa: deployment branches, prod: prevent self-review); the gate refuses applies there until fixed',
    );

    sb.services.github.state.repos.get('acme/orders')?.environments.delete('prod');
    const missing = await doctor(sb, ['--environment', 'prod']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('  FAIL  environment: GitHub has no environment "prod"');
    expect(missing.stdout).not.toContain('qa (approval');
  });

  it('needs a token and a repository, and names an unknown environment', async () => {
    const sb = await seeded();
    const noToken = await doctor(sb, [], { GITHUB_TOKEN: '', GH_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr.trim()).toBe(
      "error: no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that may read the repository's environments (actions: read)",
    );
    const unknown = await doctor(sb, ['--environment', 'stage']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('error: option --environment: unknown environment "stage"; expected one of dev, qa, prod');
    const stranger = await doctor(sb, ['--repository', 'acme/elsewhere', '--environment', 'qa']);
    expect(stranger.code).toBe(1);
    expect(stranger.stdout).toContain('  FAIL  environment: GitHub has no environment "qa" (or the token may not read it');
  });
});
