/**
 * The terraform buildspecs, run for real with the local CodeBuild runner: a fresh copy of a fixture repository
 * per build (as CodeBuild checks out the source anew), the plan store in a directory, the committed CLI bundle.
 * The install phase's download is exercised offline with a stand-in curl that serves a stand-in terraform zip;
 * the plan/apply runs use the pinned terraform on PATH, packed as a local release zip the install phase
 * verifies, and are skipped, saying why, without it.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type LocalTerraformRelease, localTerraformRelease } from '../scripts/sandbox/terraform-release.js';
import { type BuildspecLine, type BuildspecResult, parseBuildspec, runBuildspec } from '../src/buildspec/runner.js';
import { TERRAFORM_PIN, terraformPinEnv } from '../src/terraform/pin.js';
import { planExportedVariables } from '../src/terraform/plan-summary.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colour codes start with ESC; stripping them is the point.
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;

const PLAN_FILE = join(REPO_ROOT, 'buildspecs', 'terraform-plan.yml');
const APPLY_FILE = join(REPO_ROOT, 'buildspecs', 'terraform-apply.yml');
const PLAN_TEXT = readFileSync(PLAN_FILE, 'utf8');
const APPLY_TEXT = readFileSync(APPLY_FILE, 'utf8');
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'terraform-app');
/** The functions' sources the example config names (router as it is, worker built by its command). */
const FUNCTIONS = join(REPO_ROOT, 'scripts', 'demo-app', 'functions');
const CONFIG = join(REPO_ROOT, '.github', 'gantry.yml');
const PACKAGES = ['dist/functions/router.zip', 'dist/functions/worker.zip'];
const CLI = join(REPO_ROOT, 'scripts', 'dist', 'gantry.js');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const OTHER_COMMIT = 'fedcba9876543210fedcba9876543210fedcba98';

const root = mkdtempSync(join(tmpdir(), 'gantry-buildspecs-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
function dir(name: string): string {
  const path = join(root, `${++dirCount}-${name}`);
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * A fresh checkout, as CodeBuild would download the source: the fixture terraform config at infra/app, the
 * example config and the sources of its functions.
 */
function freshRepo(): string {
  const repo = dir('repo');
  cpSync(FIXTURE, join(repo, 'infra', 'app'), { recursive: true, filter: (source) => !/\.terraform|tfstate/.test(source) });
  cpSync(CONFIG, join(repo, '.github', 'gantry.yml'));
  cpSync(FUNCTIONS, join(repo, 'functions'), { recursive: true, filter: (source) => !/\/dist(\/|$)/.test(source) });
  return repo;
}

interface Build {
  result: BuildspecResult;
  lines: BuildspecLine[];
  /** Every line, without terraform's colours. */
  output: string;
  statuses: string[];
  exported: Record<string, string>;
}

async function build(buildspec: string, sourceDir: string, env: Record<string, string>, artifactsDir?: string): Promise<Build> {
  const lines: BuildspecLine[] = [];
  const result = await runBuildspec({ buildspec, sourceDir, env, onLine: (line) => lines.push(line), ...(artifactsDir === undefined ? {} : { artifactsDir }) });
  const output = lines.map((line) => `[${line.phase}] ${line.text.replace(ANSI_COLOUR, '')}`).join('\n');
  return {
    result,
    lines,
    output,
    statuses: result.phases.map((phase) => `${phase.phaseType}:${phase.phaseStatus}`),
    exported: Object.fromEntries(result.exportedVariables.map((variable) => [variable.name, variable.value])),
  };
}

let release: LocalTerraformRelease | undefined;
/**
 * The project's Terraform variables for the runs with real terraform: the local terraform packed as a release
 * zip with its own checksum (this machine cannot download HashiCorp's), verified by the install phase like any.
 */
function terraformRelease(): Record<string, string> {
  release ??= localTerraformRelease(dir('releases'));
  return release.ok ? release.variables : terraformPinEnv();
}

/** The contract the codebuild-run action and the project's variables fulfil, for a local plan store. */
function contractEnv(mode: 'plan' | 'apply', store: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: dir('home'),
    TF_PLUGIN_CACHE_DIR: dir('plugin-cache'),
    ...terraformRelease(),
    GANTRY_ENVIRONMENT: 'dev',
    GANTRY_MODE: mode,
    GANTRY_COMMIT: COMMIT,
    TF_WORKING_DIR: 'infra/app',
    TF_VAR_FILE: 'infra/app/dev.tfvars',
    GANTRY_PLAN_LOCATION: store,
    GANTRY_CLI: `node ${CLI}`,
    ...extra,
  };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('terraform state lock', () => {
  it('waits for a lock held by another run (a pull-request plan) instead of failing the apply', () => {
    expect(PLAN_TEXT).toContain('gantry_plan_args=(-input=false -lock-timeout=15m ');
    expect(APPLY_TEXT).toContain('apply -input=false -lock-timeout=15m "$GANTRY_IN/tfplan"');
  });
});

describe('terraform buildspecs', () => {
  it('parse as CodeBuild buildspecs', () => {
    const plan = parseBuildspec(PLAN_TEXT, PLAN_FILE);
    const apply = parseBuildspec(APPLY_TEXT, APPLY_FILE);
    expect(plan.env.exportedVariables).toEqual(Object.keys(planExportedVariables({ add: 0, change: 0, destroy: 0, replace: 0, resources: [] }, '')));
    expect(plan.artifacts).toEqual({
      baseDirectory: '.gantry/out',
      files: ['tfplan', 'plan.json', 'plan-metadata.json', 'packages/**/*'],
      discardPaths: false,
    });
    expect(apply.env.exportedVariables).toEqual(['GANTRY_APPLIED_SHA256']);
  });

  it('never spell the Terraform version or its checksums: the pin lives in buildspecs/terraform-version.json only', () => {
    for (const text of [PLAN_TEXT, APPLY_TEXT]) {
      expect(text).not.toContain(TERRAFORM_PIN.version);
      expect(text).not.toMatch(/\b1\.\d{1,2}\b/);
      expect(text).not.toMatch(/\b\d+\.\d+\.\d+\b/);
      expect(text).not.toContain(TERRAFORM_PIN.sha256.linux_amd64);
      expect(text).not.toContain(TERRAFORM_PIN.sha256.linux_arm64);
    }
  });

  it('share one install phase', () => {
    expect(parseBuildspec(APPLY_TEXT).phases.INSTALL).toEqual(parseBuildspec(PLAN_TEXT).phases.INSTALL);
    expect(parseBuildspec(PLAN_TEXT).phases.INSTALL.commands.length).toBeGreaterThan(3);
  });

  it('run terraform in TF_WORKING_DIR only, never the repository root implicitly', () => {
    for (const text of [PLAN_TEXT, APPLY_TEXT]) {
      const calls = [...text.matchAll(/^[\s-]*terraform (\S+)/gm)].map((match) => match[1]);
      expect(calls.length).toBeGreaterThan(1);
      for (const call of calls) expect(call).toBe('-chdir="$GANTRY_TF_DIR"');
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// The install phase, offline: a stand-in curl serves a stand-in terraform zip and the CLI bundle.

const FAKE_VERSION = '9.9.9';
const ARCH = process.arch === 'arm64' ? 'arm64' : 'amd64';

interface Toolchain {
  env: Record<string, string>;
  curlLog: string;
  zipSha: string;
}

function fakeToolchain(): Toolchain {
  const bin = dir('fake-bin');
  const files = dir('fake-downloads');
  const curlLog = join(files, 'curl.log');
  const zip = storedZip(
    'terraform',
    `#!/bin/sh\nif [ "$1" = version ]; then echo "Terraform v${FAKE_VERSION}"; echo "on linux_${ARCH}"; else echo "stand-in terraform $*"; fi\n`,
  );
  writeFileSync(join(files, `terraform_${FAKE_VERSION}_linux_${ARCH}.zip`), zip);
  cpSync(CLI, join(files, 'gantry.js'));
  writeFileSync(
    join(bin, 'curl'),
    [
      '#!/usr/bin/env bash',
      'out="" url=""',
      'while [ $# -gt 0 ]; do',
      '  case "$1" in -o) out="$2"; shift 2 ;; --retry) shift 2 ;; -*) shift ;; *) url="$1"; shift ;; esac',
      'done',
      `echo "$url" >>'${curlLog}'`,
      `src='${files}'/"\${url##*/}"`,
      'if [ ! -f "$src" ]; then echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; fi',
      'cp "$src" "$out"',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'curl'), 0o755);
  const zipSha = createHash('sha256').update(zip).digest('hex');
  const other = '0'.repeat(64);
  return {
    curlLog,
    zipSha,
    env: {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: dir('home'),
      GANTRY_TERRAFORM_VERSION: FAKE_VERSION,
      GANTRY_TERRAFORM_SHA256_LINUX_AMD64: ARCH === 'amd64' ? zipSha : other,
      GANTRY_TERRAFORM_SHA256_LINUX_ARM64: ARCH === 'arm64' ? zipSha : other,
    },
  };
}

/** The plan buildspec's install phase, then a look at what it left for the later phases. */
function installOnly(): string {
  const install = parseBuildspec(PLAN_TEXT).phases.INSTALL.commands;
  return stringify({
    version: '0.2',
    phases: {
      install: { commands: install },
      build: {
        commands: [
          'echo "terraform=$(command -v terraform)"',
          'echo "cli=$GANTRY_CLI"',
          'echo "cache=$TF_PLUGIN_CACHE_DIR automation=$TF_IN_AUTOMATION input=$TF_INPUT"',
        ],
      },
    },
  });
}

describe('install phase (offline, stand-in downloads)', () => {
  it('downloads the pinned terraform for this machine, checks its sha256 and puts it on PATH; downloads the CLI the same way', async () => {
    const tools = fakeToolchain();
    const cliSha = sha256(CLI);
    const { result, output, statuses } = await build(installOnly(), dir('src'), {
      ...tools.env,
      GANTRY_CLI_URL: 'https://example.invalid/releases/gantry.js',
      GANTRY_CLI_SHA256: cliSha,
    });
    expect(statuses, output).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:SUCCEEDED', 'BUILD:SUCCEEDED', 'POST_BUILD:SUCCEEDED']);
    expect(result.status).toBe('SUCCEEDED');
    expect(readFileSync(tools.curlLog, 'utf8').trim().split('\n')).toEqual([
      `https://releases.hashicorp.com/terraform/${FAKE_VERSION}/terraform_${FAKE_VERSION}_linux_${ARCH}.zip`,
      'https://example.invalid/releases/gantry.js',
    ]);
    const home = tools.env.HOME!;
    expect(output).toContain(`terraform_${FAKE_VERSION}_linux_${ARCH}.zip: OK`);
    expect(output).toContain(`installing terraform ${FAKE_VERSION} (linux_${ARCH}) from https://releases.hashicorp.com/terraform`);
    // Unpacked into a directory of this build, never a shared one a later build would trust.
    expect(output).toMatch(/\[BUILD\] terraform=\/\S+\/terraform$/m);
    expect(output).not.toContain(`terraform=${home}`);
    expect(output).toMatch(/\[BUILD\] cli=node \/.*\/gantry\.mjs/);
    expect(output).toContain(`[BUILD] cache=${home}/.terraform.d/plugin-cache automation=1 input=0`);
    expect(existsSync(join(home, '.terraform.d', 'plugin-cache'))).toBe(true);
  });

  it('never trusts a terraform already on PATH that claims the pinned version: it downloads and verifies in every build', async () => {
    const tools = fakeToolchain();
    // Planted by the image, a cache or an earlier build: it prints the pinned version line.
    const planted = dir('planted');
    writeFileSync(join(planted, 'terraform'), `#!/bin/sh\necho "Terraform v${FAKE_VERSION}"\necho "planted terraform $*"\n`);
    chmodSync(join(planted, 'terraform'), 0o755);
    const env = { ...tools.env, PATH: `${planted}:${tools.env.PATH}`, GANTRY_CLI: `node ${CLI}` };
    const first = await build(installOnly(), dir('src'), env);
    const second = await build(installOnly(), dir('src'), env);
    for (const run of [first, second]) {
      expect(run.statuses, run.output).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:SUCCEEDED', 'BUILD:SUCCEEDED', 'POST_BUILD:SUCCEEDED']);
      expect(run.output).toContain(`terraform_${FAKE_VERSION}_linux_${ARCH}.zip: OK`);
      expect(run.output).toMatch(/\[BUILD\] terraform=\/\S+\/terraform$/m);
      expect(run.output).not.toContain(`terraform=${planted}`);
    }
    expect(readFileSync(tools.curlLog, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('fetches from GANTRY_TERRAFORM_RELEASES_URL (a mirror), checked against the same pin', async () => {
    const tools = fakeToolchain();
    const { result, output } = await build(installOnly(), dir('src'), {
      ...tools.env,
      GANTRY_CLI: `node ${CLI}`,
      GANTRY_TERRAFORM_RELEASES_URL: 'https://artifacts.example.com/hashicorp/terraform/',
    });
    expect(result.status, output).toBe('SUCCEEDED');
    expect(readFileSync(tools.curlLog, 'utf8').trim()).toBe(
      `https://artifacts.example.com/hashicorp/terraform/${FAKE_VERSION}/terraform_${FAKE_VERSION}_linux_${ARCH}.zip`,
    );
    const tampered = await build(installOnly(), dir('src'), {
      ...tools.env,
      GANTRY_CLI: `node ${CLI}`,
      GANTRY_TERRAFORM_RELEASES_URL: 'https://artifacts.example.com/hashicorp/terraform',
      [`GANTRY_TERRAFORM_SHA256_LINUX_${ARCH.toUpperCase()}`]: 'e'.repeat(64),
    });
    expect(tampered.statuses).toEqual(['INSTALL:FAILED']);
    expect(tampered.output).toContain(`terraform_${FAKE_VERSION}_linux_${ARCH}.zip: FAILED`);
  });

  it('refuses a download whose sha256 does not match the pin, and a CLI whose sha256 does not match', async () => {
    const tools = fakeToolchain();
    const badZip = await build(installOnly(), dir('src'), {
      ...tools.env,
      GANTRY_TERRAFORM_SHA256_LINUX_AMD64: 'f'.repeat(64),
      GANTRY_TERRAFORM_SHA256_LINUX_ARM64: 'f'.repeat(64),
      GANTRY_CLI: `node ${CLI}`,
    });
    expect(badZip.statuses).toEqual(['INSTALL:FAILED']);
    expect(badZip.output).toContain('FAILED');

    const badCli = await build(installOnly(), dir('src'), {
      ...tools.env,
      GANTRY_CLI_URL: 'https://example.invalid/gantry.js',
      GANTRY_CLI_SHA256: 'f'.repeat(64),
    });
    expect(badCli.statuses).toEqual(['INSTALL:FAILED']);
    expect(badCli.output).toMatch(/gantry\.mjs: FAILED/);
  });

  it('fails clearly without a CLI or without the pin', async () => {
    const tools = fakeToolchain();
    const noCli = await build(installOnly(), dir('src'), tools.env);
    expect(noCli.statuses).toEqual(['INSTALL:FAILED']);
    expect(noCli.output).toContain(
      'gantry: set GANTRY_CLI (a command such as node /opt/gantry/gantry.js), or GANTRY_CLI_URL and GANTRY_CLI_SHA256 to download it',
    );
    const noPin = await build(installOnly(), dir('src'), { HOME: dir('home'), GANTRY_CLI: `node ${CLI}` });
    expect(noPin.statuses).toEqual(['INSTALL:FAILED']);
    expect(noPin.output).toContain('gantry: not set: GANTRY_TERRAFORM_VERSION GANTRY_TERRAFORM_SHA256_LINUX_AMD64 GANTRY_TERRAFORM_SHA256_LINUX_ARM64;');
  });
});

describe('pre_build checks (before terraform runs)', () => {
  it.each([
    ['an absolute TF_WORKING_DIR', { TF_WORKING_DIR: '/etc' }, 'gantry: TF_WORKING_DIR must be relative to the repository root, got "/etc"'],
    ['a TF_WORKING_DIR leaving the checkout', { TF_WORKING_DIR: 'infra/../../x' }, 'gantry: TF_WORKING_DIR must not contain "..", got "infra/../../x"'],
    ['an empty TF_WORKING_DIR', { TF_WORKING_DIR: '' }, 'gantry: not set: TF_WORKING_DIR;'],
    ['a TF_VAR_FILE leaving the checkout', { TF_VAR_FILE: '../secrets.tfvars' }, 'gantry: TF_VAR_FILE must not contain "..", got "../secrets.tfvars"'],
    ['a missing working directory', { TF_WORKING_DIR: 'infra/nope' }, 'gantry: TF_WORKING_DIR infra/nope is not a directory of the source'],
    ['a short commit', { GANTRY_COMMIT: '0123456' }, 'gantry: GANTRY_COMMIT must be a full commit SHA'],
    ['the wrong mode', { GANTRY_MODE: 'apply' }, 'gantry: GANTRY_MODE is "apply"; this buildspec only plans'],
    ['half a state backend', { TF_STATE_BUCKET: 'orders-tfstate' }, 'gantry: TF_STATE_BUCKET, TF_STATE_KEY and TF_STATE_REGION go together'],
    ['a config outside the checkout', { GANTRY_CONFIG: '../gantry.yml' }, 'gantry: GANTRY_CONFIG must not contain "..", got "../gantry.yml"'],
    [
      'a config the checkout does not have',
      { GANTRY_CONFIG: 'ci/gantry.yml' },
      "gantry: GANTRY_CONFIG ci/gantry.yml is not a file of the source; the plan build reads the functions' package builds from it",
    ],
  ])('the plan buildspec refuses %s', async (_name, override, message) => {
    const tools = fakeToolchain();
    const { statuses, output } = await build(PLAN_TEXT, freshRepo(), { ...contractEnv('plan', dir('store')), ...tools.env, ...override });
    expect(statuses).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:FAILED']);
    expect(output).toContain(message);
    expect(output).not.toContain('stand-in terraform');
  });

  it('builds the packages before terraform runs, and fails in PRE_BUILD when a build fails', async () => {
    const tools = fakeToolchain();
    const repo = freshRepo();
    const planned = await build(PLAN_TEXT, repo, { ...contractEnv('plan', dir('store')), ...tools.env });
    expect(planned.output).toMatch(
      /worker: functions\/worker\$ node build\.mjs[\s\S]*\[PRE_BUILD\] [0-9a-f]{64} {2}dist\/functions\/worker\.zip[\s\S]*stand-in terraform/,
    );
    for (const path of PACKAGES) expect(existsSync(join(repo, path)), path).toBe(true);

    const broken = freshRepo();
    writeFileSync(join(broken, '.github', 'gantry.yml'), readFileSync(CONFIG, 'utf8').replace('command: node build.mjs', 'command: node build.mjs && exit 3'));
    const failed = await build(PLAN_TEXT, broken, { ...contractEnv('plan', dir('store')), ...tools.env });
    expect(failed.statuses).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:FAILED']);
    expect(failed.output).toContain('error: function worker: "node build.mjs && exit 3" in functions/worker failed (exit 3); the package was not built');
    expect(failed.output).not.toContain('stand-in terraform');
  });

  it('refuses to plan when a package build replaced the verified terraform (the repository runs code before terraform)', async () => {
    const tools = fakeToolchain();
    const repo = freshRepo();
    writeFileSync(
      join(repo, '.github', 'gantry.yml'),
      readFileSync(CONFIG, 'utf8').replace(
        'command: node build.mjs',
        `command: node build.mjs && printf '#!/bin/sh\\necho planted terraform' > "$GANTRY_TERRAFORM_DIR/terraform"`,
      ),
    );
    const planted = await build(PLAN_TEXT, repo, { ...contractEnv('plan', dir('store')), ...tools.env });
    expect(planted.statuses).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:FAILED']);
    expect(planted.output).toContain('gantry: the verified terraform or gantry CLI changed while the packages were built; refusing to plan');
    // Neither the planted binary nor the verified one ran (the build command itself is echoed, hence the anchors).
    expect(planted.output).not.toMatch(/^\[PRE_BUILD\] planted terraform/m);
    expect(planted.output).not.toContain('stand-in terraform');
  });

  it('passes the state backend to init when TF_STATE_* are set', async () => {
    const tools = fakeToolchain();
    const { output } = await build(PLAN_TEXT, freshRepo(), {
      ...contractEnv('plan', dir('store')),
      ...tools.env,
      TF_STATE_BUCKET: 'orders-tfstate',
      TF_STATE_KEY: 'dev/terraform.tfstate',
      TF_STATE_REGION: 'eu-west-1',
    });
    expect(output).toMatch(
      /stand-in terraform -chdir=\S+\/infra\/app init -input=false -backend-config=bucket=orders-tfstate -backend-config=key=dev\/terraform.tfstate -backend-config=region=eu-west-1 -backend-config=use_lockfile=true/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Plan and apply with the real terraform.

terraformRelease();
const hasTerraform = release?.ok === true;
if (release?.ok === false) console.log(`note: skipping the buildspec runs with real terraform: ${release.why}`);

describe('plan then apply with terraform', () => {
  let planned: Promise<{ build: Build; store: string; artifacts: string }> | undefined;
  /** One plan build, shared; each apply works on its own copy of the store. */
  function plan() {
    planned ??= (async () => {
      const store = dir('store');
      const artifacts = dir('artifacts');
      return { build: await build(PLAN_TEXT, freshRepo(), contractEnv('plan', store), artifacts), store, artifacts };
    })();
    return planned;
  }
  async function storeCopy(): Promise<{ store: string; sha: string }> {
    const { store, build: planBuild } = await plan();
    const copy = dir('store-copy');
    cpSync(store, copy, { recursive: true });
    return { store: copy, sha: planBuild.exported.GANTRY_PLAN_SHA256! };
  }

  it.skipIf(!hasTerraform)('plans: counts, the sha256 of the stored plan, metadata, packages and artifacts', async () => {
    const { build: planBuild, store, artifacts } = await plan();
    expect(planBuild.result.status, planBuild.output).toBe('SUCCEEDED');
    expect(planBuild.output).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    const sha = planBuild.exported.GANTRY_PLAN_SHA256!;
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect(sha).toBe(sha256(join(store, 'tfplan')));
    expect(planBuild.exported).toEqual({
      GANTRY_PLAN_SHA256: sha,
      GANTRY_PLAN_ADD: '2',
      GANTRY_PLAN_CHANGE: '0',
      GANTRY_PLAN_DESTROY: '0',
      GANTRY_PLAN_REPLACE: '0',
      GANTRY_PLAN_RESOURCES: '[["create","terraform_data.first"],["create","terraform_data.second"]]',
    });
    // Each package built from the commit's source, stored with the plan and recorded with its sha256.
    const packages = PACKAGES.map((path) => ({ path, sha256: sha256(join(store, 'packages', path)) }));
    expect(JSON.parse(readFileSync(join(store, 'plan-metadata.json'), 'utf8'))).toEqual({
      environment: 'dev',
      commit: COMMIT,
      sha256: sha,
      terraformVersion: TERRAFORM_PIN.version,
      packages,
    });
    for (const { path, sha256: digest } of packages) expect(planBuild.output).toContain(`[PRE_BUILD] ${digest}  ${path}`);
    expect(readdirSync(store).sort()).toEqual(['packages', 'plan-metadata.json', 'plan.json', 'tfplan']);
    expect(planBuild.result.artifacts).toEqual([
      'packages/dist/functions/router.zip',
      'packages/dist/functions/worker.zip',
      'plan-metadata.json',
      'plan.json',
      'tfplan',
    ]);
    expect(sha256(join(artifacts, 'tfplan'))).toBe(sha);
  });

  it.skipIf(!hasTerraform)('plans read-only for a pull request: no state lock, nothing stored', async () => {
    const store = dir('store-read-only');
    const readOnly = await build(PLAN_TEXT, freshRepo(), { ...contractEnv('plan', store), GANTRY_PLAN_READ_ONLY: 'true' });
    expect(readOnly.result.status, readOnly.output).toBe('SUCCEEDED');
    expect(readOnly.output).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(readOnly.output).toContain('gantry: read-only plan (pull request): not stored');
    expect(readOnly.exported.GANTRY_PLAN_ADD).toBe('2');
    expect(existsSync(store) ? readdirSync(store) : []).toEqual([]);
  });

  it.skipIf(!hasTerraform)('builds byte-identical packages from the same commit', async () => {
    const { store } = await plan();
    const again = dir('store-again');
    const second = await build(PLAN_TEXT, freshRepo(), contractEnv('plan', again));
    expect(second.result.status, second.output).toBe('SUCCEEDED');
    for (const path of PACKAGES) expect(sha256(join(again, 'packages', path)), path).toBe(sha256(join(store, 'packages', path)));
  });

  it.skipIf(!hasTerraform)('applies the reviewed plan in a fresh checkout, with the packages stored with it', async () => {
    const { store, sha } = await storeCopy();
    // Something the plan did not record, in the store: never fetched, never applied.
    writeFileSync(join(store, 'packages', 'dist', 'functions', 'stray.zip'), 'not from the plan');
    const repo = freshRepo();
    const apply = await build(APPLY_TEXT, repo, contractEnv('apply', store, { GANTRY_PLAN_SHA256: sha }));
    expect(apply.result.status, apply.output).toBe('SUCCEEDED');
    expect(apply.output).toContain(`plan verified: ${sha}`);
    // The stored zips, byte for byte, where terraform reads them; nothing was built (worker's dist/ is its build's).
    for (const path of PACKAGES) {
      expect(sha256(join(repo, path)), path).toBe(sha256(join(store, 'packages', path)));
      expect(apply.output).toContain(`[PRE_BUILD] package verified: ${path} sha256 ${sha256(join(store, 'packages', path))}`);
    }
    expect(existsSync(join(repo, 'dist', 'functions', 'stray.zip'))).toBe(false);
    expect(existsSync(join(repo, 'functions', 'worker', 'dist'))).toBe(false);
    expect(apply.output).not.toContain('node build.mjs');
    expect(apply.output).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    expect(apply.exported).toEqual({ GANTRY_APPLIED_SHA256: sha });
    const state = JSON.parse(readFileSync(join(repo, 'infra', 'app', 'terraform.tfstate'), 'utf8')) as {
      resources: { type: string; name: string; instances: { attributes: { input: { value: string } } }[] }[];
    };
    expect(state.resources.map((resource) => `${resource.type}.${resource.name}=${resource.instances[0]!.attributes.input.value}`)).toEqual([
      'terraform_data.first=hello from dev, first',
      'terraform_data.second=hello from dev, second',
    ]);
  });

  async function refused(env: Record<string, string>, repo = freshRepo()): Promise<Build> {
    const apply = await build(APPLY_TEXT, repo, env);
    expect(apply.result.status, apply.output).toBe('FAILED');
    // A refusal ends the build in PRE_BUILD: BUILD, and so terraform apply, never runs.
    expect(apply.statuses).toEqual(['INSTALL:SUCCEEDED', 'PRE_BUILD:FAILED']);
    expect(apply.output).not.toContain('Apply complete');
    expect(existsSync(join(repo, 'infra', 'app', 'terraform.tfstate'))).toBe(false);
    return apply;
  }

  it.skipIf(!hasTerraform)('refuses a plan file changed after review', async () => {
    const { store, sha } = await storeCopy();
    appendFileSync(join(store, 'tfplan'), '\n');
    const apply = await refused(contractEnv('apply', store, { GANTRY_PLAN_SHA256: sha }));
    expect(apply.output).toContain(
      `[PRE_BUILD] error: plan sha256 ${sha256(join(store, 'tfplan'))} does not match the reviewed plan ${sha}; refusing to apply`,
    );
  });

  it.skipIf(!hasTerraform)('refuses a package changed or missing in the store after the plan', async () => {
    const changed = await storeCopy();
    const worker = join(changed.store, 'packages', 'dist', 'functions', 'worker.zip');
    const recorded = sha256(worker);
    appendFileSync(worker, 'x');
    const refusedChange = await refused(contractEnv('apply', changed.store, { GANTRY_PLAN_SHA256: changed.sha }));
    expect(refusedChange.output).toContain(
      `[PRE_BUILD] error: package dist/functions/worker.zip sha256 ${sha256(worker)} does not match ${recorded} recorded with the plan; refusing to apply`,
    );

    const missing = await storeCopy();
    rmSync(join(missing.store, 'packages', 'dist', 'functions', 'router.zip'));
    const refusedMissing = await refused(contractEnv('apply', missing.store, { GANTRY_PLAN_SHA256: missing.sha }));
    expect(refusedMissing.output).toContain(
      '[PRE_BUILD] error: package dist/functions/router.zip recorded with the plan is missing from the plan store; refusing to apply',
    );
  });

  it.skipIf(!hasTerraform)('refuses a plan whose metadata is for another commit or environment', async () => {
    const { store, sha } = await storeCopy();
    const metadataFile = join(store, 'plan-metadata.json');
    writeFileSync(metadataFile, JSON.stringify({ ...JSON.parse(readFileSync(metadataFile, 'utf8')), commit: OTHER_COMMIT }));
    const otherCommit = await refused(contractEnv('apply', store, { GANTRY_PLAN_SHA256: sha }));
    expect(otherCommit.output).toContain(`[PRE_BUILD] error: plan was made for commit ${OTHER_COMMIT}, not ${COMMIT}; refusing to apply`);

    const fresh = await storeCopy();
    const otherEnvironment = await refused(contractEnv('apply', fresh.store, { GANTRY_PLAN_SHA256: fresh.sha, GANTRY_ENVIRONMENT: 'qa' }));
    expect(otherEnvironment.output).toContain('[PRE_BUILD] error: plan was made for environment dev, not qa; refusing to apply');
  });

  it.skipIf(!hasTerraform)('refuses without GANTRY_PLAN_SHA256, and without a stored plan', async () => {
    const { store } = await storeCopy();
    const noSha = await refused(contractEnv('apply', store));
    expect(noSha.output).toContain('[PRE_BUILD] gantry: GANTRY_PLAN_SHA256 is empty: apply needs the sha256 the plan build reported; refusing to apply');
    const empty = dir('empty-store');
    const noPlan = await refused(contractEnv('apply', empty, { GANTRY_PLAN_SHA256: 'a'.repeat(64) }));
    expect(noPlan.output).toContain(`[PRE_BUILD] gantry: no plan at ${empty} (tfplan and plan-metadata.json): plan this environment and commit first`);
  });
});

/** A zip holding one executable file, stored without compression: all `unzip` needs, no zip tool required. */
function storedZip(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const fileName = Buffer.from(name);
  const crc = crc32(data);
  const dosDate = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(dosDate, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made on Unix, so unzip restores the mode below
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(dosDate, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE((0o100755 << 16) >>> 0, 38);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
