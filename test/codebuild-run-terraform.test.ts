/**
 * Plan integrity end to end: the bundled codebuild-run action against the sandbox, whose CodeBuild executes
 * gantry's real buildspecs (the projects' own: the action sends no override) with the local runner and the installed Terraform on a
 * fixture of built-in resources. Plan → apply of exactly that plan; a tampered plan, a plan for another
 * commit and a wrong sha256 are refused in PRE_BUILD, before terraform apply could run.
 * Needs the pinned Terraform on PATH: without it the tests say so and skip.
 */
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { seedCodeBuildFromConfig } from '../scripts/sandbox/seed-config.js';
import { localTerraformRelease } from '../scripts/sandbox/terraform-release.js';
import { parseConfig } from '../src/config/load.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { REPO_ROOT, runBundledAction } from './helpers/run-bundle.js';

// The projects' Terraform variables point at a local release mirror holding this machine's terraform.
const releaseDir = mkdtempSync(join(tmpdir(), 'gantry-terraform-release-'));
const release = localTerraformRelease(releaseDir);
const hasTerraform = release.ok;
if (!release.ok) console.warn(`codebuild-run-terraform: skipped, ${release.why}`);

const COMMIT = '1111111111111111111111111111111111111111';
const OTHER_COMMIT = '2222222222222222222222222222222222222222';
const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
const dev = config.environments.get('dev')!;

let sandbox: GantrySandbox;
let root: string;
let store: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gantry-codebuild-terraform-'));
  // The repository the builds check out: the fixture where the config says dev's terraform lives, the config
  // and the sources of its functions (the plan build packages them).
  const source = join(root, 'repo');
  cpSync(join(REPO_ROOT, 'test', 'fixtures', 'terraform-app'), join(source, dev.terraform.workingDirectory), { recursive: true });
  cpSync(EXAMPLE_CONFIG_FILE, join(source, '.github', 'gantry.yml'));
  cpSync(join(REPO_ROOT, 'scripts', 'demo-app', 'functions'), join(source, 'functions'), {
    recursive: true,
    filter: (path) => !/\/dist(\/|$)/.test(path),
  });
  store = join(root, 'plans');
  mkdirSync(store);
  sandbox = await startSandbox({
    codebuild: { containerEnv: { GANTRY_CLI: `node ${join(REPO_ROOT, 'scripts', 'dist', 'gantry.js')}`, HOME: join(root, 'home') } },
  });
  seedCodeBuildFromConfig(sandbox.services.codebuild, config, { sourceDir: source, ...(release.ok ? { terraform: release.variables } : {}) });
});

afterAll(async () => {
  await sandbox?.stop();
  rmSync(root, { recursive: true, force: true });
  rmSync(releaseDir, { recursive: true, force: true });
});

function run(mode: 'plan' | 'apply', commit: string, extra: Record<string, string> = {}) {
  return runBundledAction(
    'codebuild-run',
    {
      environment: 'dev',
      mode,
      config: EXAMPLE_CONFIG_FILE,
      'plan-store': store,
      'var-file': `${dev.terraform.workingDirectory}/dev.tfvars`,
      ...extra,
    },
    {
      ...sandbox.env,
      GITHUB_SHA: commit,
      GITHUB_REPOSITORY: 'example/app',
      GITHUB_RUN_ID: `${mode}-${commit}-${Object.keys(extra).join()}`,
      GITHUB_JOB: mode,
      GITHUB_EVENT_NAME: 'push',
    },
  );
}

describe.skipIf(!hasTerraform)('plan integrity (real buildspecs, real terraform, bundled action)', () => {
  let planSha = '';

  it('plans: exports the counts and the sha256 of the stored plan', async () => {
    const result = await run('plan', COMMIT);
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'SUCCEEDED', 'plan-add': '2', 'plan-change': '0', 'plan-destroy': '0' });
    planSha = result.outputs['plan-sha256']!;
    const stored = readFileSync(join(store, 'dev', COMMIT, 'tfplan'));
    const { createHash } = await import('node:crypto');
    expect(planSha).toBe(createHash('sha256').update(stored).digest('hex'));
    // The functions were packaged from the commit's source and stored with the plan.
    const metadata = JSON.parse(readFileSync(join(store, 'dev', COMMIT, 'plan-metadata.json'), 'utf8'));
    expect(metadata.packages.map((record: { path: string }) => record.path)).toEqual(['dist/functions/router.zip', 'dist/functions/worker.zip']);
    for (const record of metadata.packages) {
      const zip = readFileSync(join(store, 'dev', COMMIT, 'packages', record.path));
      expect(createHash('sha256').update(zip).digest('hex')).toBe(record.sha256);
    }
    expect(result.stdout).toContain('::group::BUILD');
    expect(result.summary).toContain('terraform_data.first');
  });

  // The next three only read the stored plan, and each build runs in its own copy of the source: side by side.
  it.concurrent('refuses a plan made for another commit, changing nothing', async ({ expect }) => {
    const result = await run('apply', OTHER_COMMIT, { 'plan-sha256': planSha });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error::build orders-dev-apply:\S+ FAILED in PRE_BUILD/);
    expect(result.stdout).not.toContain('Apply complete');
  });

  it.concurrent('refuses a sha256 other than the reviewed one', async ({ expect }) => {
    const result = await run('apply', COMMIT, { 'plan-sha256': 'f'.repeat(64) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('does not match the reviewed plan');
    expect(result.stdout).toMatch(/FAILED in PRE_BUILD/);
    expect(result.stdout).not.toContain('Apply complete');
  });

  it.concurrent('applies exactly the reviewed plan', async ({ expect }) => {
    const result = await run('apply', COMMIT, { 'plan-sha256': planSha });
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'SUCCEEDED', 'applied-sha256': planSha });
    expect(result.stdout).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    expect(result.stdout).toMatch(/package verified: dist\/functions\/worker\.zip sha256 [0-9a-f]{64}/);
    expect(result.summary).toContain(`Applied the reviewed plan \`${planSha.slice(0, 16)}`);
  });

  // After the apply: it changes the stored plan.
  it('refuses a tampered plan file, changing nothing', async () => {
    appendFileSync(join(store, 'dev', COMMIT, 'tfplan'), 'x');
    const result = await run('apply', COMMIT, { 'plan-sha256': planSha, 'source-version': COMMIT });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('does not match the reviewed plan');
    expect(result.stdout).toMatch(/FAILED in PRE_BUILD/);
    expect(result.stdout).not.toContain('::group::BUILD');
    expect(result.stdout).not.toContain('Apply complete');
  });
});
