import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../scripts/cli/main.js';
import { UserError } from '../src/errors.js';
import { MemoryLogger } from '../src/logger.js';
import { TERRAFORM_PIN, terraformPinEnv } from '../src/terraform/pin.js';
import { type PlanMetadata, packageRecords, sha256File, verifyPlan } from '../src/terraform/plan-integrity.js';
import {
  MAX_EXPORTED_RESOURCES_CHARS,
  type PlanSummary,
  planExportedVariables,
  planSummaryFromExported,
  renderPlanMarkdown,
  summarizePlan,
} from '../src/terraform/plan-summary.js';

const COMMIT = 'a'.repeat(40);
const OTHER_COMMIT = 'b'.repeat(40);

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-plan-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Change {
  address: string;
  actions: string[];
  mode?: 'managed' | 'data';
  deposed?: string;
}

/** The shape `terraform show -json tfplan` prints (format 1.2), with the fields gantry does not read filled in. */
function planJson(changes: Change[]): Record<string, unknown> {
  return {
    format_version: '1.2',
    terraform_version: TERRAFORM_PIN.version,
    planned_values: { root_module: {} },
    resource_changes: changes.map((change) => {
      const [type, name] = change.address.replace(/^data\./, '').split('.');
      return {
        address: change.address,
        mode: change.mode ?? (change.address.startsWith('data.') ? 'data' : 'managed'),
        type,
        name,
        provider_name: 'registry.terraform.io/hashicorp/aws',
        ...(change.deposed === undefined ? {} : { deposed: change.deposed }),
        change: {
          actions: change.actions,
          before: change.actions[0] === 'create' && change.actions.length === 1 ? null : { id: 'x' },
          after: change.actions.includes('delete') && change.actions.length === 1 ? null : { id: 'x' },
          after_unknown: {},
          before_sensitive: false,
          after_sensitive: {},
        },
        ...(change.actions.length === 2 ? { action_reason: 'replace_because_cannot_update' } : {}),
      };
    }),
    configuration: { root_module: {} },
    timestamp: '2025-01-01T00:00:00Z',
    applyable: true,
    complete: true,
    errored: false,
  };
}

const MIXED = planJson([
  { address: 'aws_lambda_function.router', actions: ['create'] },
  { address: 'aws_iam_role.exec', actions: ['update'] },
  { address: 'aws_s3_bucket.old', actions: ['delete'] },
  { address: 'aws_lambda_alias.live', actions: ['delete', 'create'] },
  { address: 'aws_lambda_capacity_provider.cp', actions: ['create', 'delete'] },
  { address: 'data.aws_iam_policy_document.exec', actions: ['read'] },
  { address: 'aws_cloudwatch_log_group.logs', actions: ['no-op'] },
]);

function resourcesOf(count: number, addressLength = 40): PlanSummary {
  const resources = Array.from({ length: count }, (_, index) => ({
    action: 'create' as const,
    address: `module.m.aws_thing.t["${String(index).padStart(5, '0')}${'x'.repeat(Math.max(0, addressLength - 30))}"]`,
  }));
  return { add: count, change: 0, destroy: 0, replace: 0, resources };
}

describe('summarizePlan', () => {
  it('counts like terraform\'s "Plan:" line and lists destructive changes first', () => {
    expect(summarizePlan(MIXED)).toEqual({
      add: 3,
      change: 1,
      destroy: 3,
      replace: 2,
      resources: [
        { action: 'delete', address: 'aws_s3_bucket.old' },
        { action: 'replace', address: 'aws_lambda_alias.live' },
        { action: 'replace', address: 'aws_lambda_capacity_provider.cp' },
        { action: 'update', address: 'aws_iam_role.exec' },
        { action: 'create', address: 'aws_lambda_function.router' },
        { action: 'read', address: 'data.aws_iam_policy_document.exec' },
      ],
    });
  });

  it('names deposed objects and reads a plan without changes', () => {
    const deposed = summarizePlan(planJson([{ address: 'aws_instance.a', actions: ['delete'], deposed: '00a1b2c3' }]));
    expect(deposed.resources).toEqual([{ action: 'delete', address: 'aws_instance.a (deposed object 00a1b2c3)' }]);
    const { resource_changes: _, ...empty } = planJson([]);
    expect(summarizePlan(empty)).toEqual({ add: 0, change: 0, destroy: 0, replace: 0, resources: [] });
  });

  it.each([
    ['null', null],
    ['a list', []],
    ['a state (terraform show -json with no plan)', { format_version: '1.0', terraform_version: '1.11.4', values: { root_module: {} } }],
    ['resource_changes that is not a list', { ...planJson([]), resource_changes: {} }],
    ['a change without actions', { ...planJson([]), resource_changes: [{ address: 'a.b', change: {} }] }],
  ])('refuses %s with a UserError', (_name, value) => {
    expect(() => summarizePlan(value)).toThrow(UserError);
    expect(() => summarizePlan(value)).toThrow(/^not a terraform plan: /);
  });
});

describe('exported variables', () => {
  it('round-trips through GANTRY_PLAN_* and is absent without a sha', () => {
    const summary = summarizePlan(MIXED);
    const sha = 'c'.repeat(64);
    const vars = planExportedVariables(summary, sha);
    expect(vars).toMatchObject({ GANTRY_PLAN_SHA256: sha, GANTRY_PLAN_ADD: '3', GANTRY_PLAN_CHANGE: '1', GANTRY_PLAN_DESTROY: '3', GANTRY_PLAN_REPLACE: '2' });
    expect(JSON.parse(vars.GANTRY_PLAN_RESOURCES!)).toEqual(summary.resources.map((resource) => [resource.action, resource.address]));
    expect(planSummaryFromExported(vars)).toEqual({ ...summary, sha256: sha });
    expect(planSummaryFromExported({ GANTRY_APPLIED_SHA256: sha })).toBeUndefined();
    expect(planSummaryFromExported({ GANTRY_PLAN_SHA256: '' })).toBeUndefined();
    expect(() => planSummaryFromExported({ ...vars, GANTRY_PLAN_ADD: 'two' })).toThrow('GANTRY_PLAN_ADD="two"');
  });

  it(`cuts the resource list under ${MAX_EXPORTED_RESOURCES_CHARS} characters, whole entries only, counting what it cut`, () => {
    for (const count of [0, 1, 10, 30, 45, 46, 47, 60, 200, 10_000]) {
      for (const addressLength of [10, 40, 41, 97, 2500]) {
        const summary = resourcesOf(count, addressLength);
        const value = planExportedVariables(summary, 'c'.repeat(64)).GANTRY_PLAN_RESOURCES!;
        expect(value.length).toBeLessThanOrEqual(MAX_EXPORTED_RESOURCES_CHARS);
        const entries = JSON.parse(value) as [string, string][];
        const last = entries.at(-1);
        if (last?.[0] === 'more') {
          const kept = entries.slice(0, -1);
          expect(kept).toEqual(summary.resources.slice(0, kept.length).map((resource) => [resource.action, resource.address]));
          expect(last[1]).toBe(`${count - kept.length} more`);
          // Nothing more would have fitted: the next entry plus the "more" entry would pass the limit.
          expect(value.length + JSON.stringify(['create', summary.resources[kept.length]!.address]).length + 1).toBeGreaterThan(
            MAX_EXPORTED_RESOURCES_CHARS - 5,
          );
        } else {
          expect(entries).toHaveLength(count);
        }
      }
    }
  });
});

describe('renderPlanMarkdown', () => {
  const context = { environment: 'dev', commit: COMMIT, buildId: 'orders-dev-plan:1234', logUrl: 'https://example.com/log' };

  it('shows the plan line, the counts by action and every resource', () => {
    const markdown = renderPlanMarkdown(summarizePlan(MIXED), context);
    expect(markdown).toContain('### Terraform plan: dev\n');
    expect(markdown).toContain('\nPlan: 3 to add, 1 to change, 3 to destroy.\n');
    expect(markdown).toContain('| Action | Count |\n| --- | ---: |\n| create | 1 |\n| update | 1 |\n| replace | 2 |\n| delete | 1 |\n');
    expect(markdown).toContain('| Action | Resource |\n| --- | --- |\n| delete | `aws_s3_bucket.old` |\n| replace | `aws_lambda_alias.live` |');
    expect(markdown).toContain('| read | `data.aws_iam_policy_document.exec` |');
    expect(markdown).toContain('[full build log](https://example.com/log)');
    expect(markdown).not.toContain('more resource');
  });

  it('keeps a "|" in an address inside its cell and says when nothing changes', () => {
    const summary: PlanSummary = { add: 1, change: 0, destroy: 0, replace: 0, resources: [{ action: 'create', address: 'a.b["x|y"]' }] };
    expect(renderPlanMarkdown(summary, context)).toContain('| create | `a.b["x\\|y"]` |');
    expect(renderPlanMarkdown({ add: 0, change: 0, destroy: 0, replace: 0, resources: [] }, context)).toContain('No resource changes.');
  });

  it('never exceeds maxChars with 10,000 resources, and points at the full log for the rest', () => {
    const summary = resourcesOf(10_000, 60);
    for (const maxChars of [60_000, 65_536, 5_000, 700, 100, 10, 0]) {
      const markdown = renderPlanMarkdown(summary, context, maxChars);
      expect(markdown.length).toBeLessThanOrEqual(maxChars);
      if (maxChars < 700) continue;
      const rows = markdown.split('\n').filter((line) => line.startsWith('| create | `'));
      expect(markdown).toContain(`\n… ${10_000 - rows.length} more resources: see the full build log https://example.com/log`);
      expect(markdown.endsWith('https://example.com/log')).toBe(true);
    }
    expect(renderPlanMarkdown(summary, context).length).toBeGreaterThan(59_000);
  });

  it('counts what an exported list already cut', () => {
    const vars = planExportedVariables(resourcesOf(500), 'c'.repeat(64));
    const summary = planSummaryFromExported(vars)!;
    const markdown = renderPlanMarkdown(summary, { environment: 'qa', commit: COMMIT, buildId: 'b:1' });
    const rows = markdown.split('\n').filter((line) => line.startsWith('| create | `'));
    expect(rows.length).toBeGreaterThan(0);
    expect(markdown).toContain(`… ${500 - rows.length} more resources: see the full build log (build b:1)`);
    expect(markdown).toContain('Plan: 500 to add, 0 to change, 0 to destroy.');
  });
});

async function planFiles(metadata: Partial<PlanMetadata> = {}) {
  const dir = tempDir();
  const planFile = join(dir, 'tfplan');
  writeFileSync(planFile, 'PK\u0003\u0004 a plan');
  const sha256 = createHash('sha256').update(readFileSync(planFile)).digest('hex');
  const metadataFile = join(dir, 'plan-metadata.json');
  writeFileSync(metadataFile, JSON.stringify({ environment: 'dev', commit: COMMIT, sha256, terraformVersion: '1.11.4', packages: [], ...metadata }));
  return { dir, planFile, metadataFile, sha256 };
}

const sha256Of = (text: string) => createHash('sha256').update(text).digest('hex');

/** A plan with two packages recorded, and the directory they were fetched into. */
async function planWithPackages() {
  const packages = [
    { path: 'dist/functions/router.zip', sha256: sha256Of('router zip') },
    { path: 'dist/functions/worker.zip', sha256: sha256Of('worker zip') },
  ];
  const files = await planFiles({ packages });
  const packagesDir = join(files.dir, 'packages');
  mkdirSync(join(packagesDir, 'dist', 'functions'), { recursive: true });
  writeFileSync(join(packagesDir, 'dist', 'functions', 'router.zip'), 'router zip');
  writeFileSync(join(packagesDir, 'dist', 'functions', 'worker.zip'), 'worker zip');
  return { ...files, packages, packagesDir, options: { ...files, packagesDir, expectedSha256: files.sha256, environment: 'dev', commit: COMMIT } };
}

describe('verifyPlan', () => {
  it('accepts the reviewed plan for its environment and commit', async () => {
    const { planFile, metadataFile, sha256 } = await planFiles({ buildId: 'orders-dev-plan:1' });
    expect(await sha256File(planFile)).toBe(sha256);
    await expect(verifyPlan({ planFile, metadataFile, expectedSha256: sha256.toUpperCase(), environment: 'dev', commit: COMMIT })).resolves.toEqual({
      environment: 'dev',
      commit: COMMIT,
      sha256,
      terraformVersion: '1.11.4',
      buildId: 'orders-dev-plan:1',
      packages: [],
    });
  });

  it('accepts exactly the packages recorded with the plan', async () => {
    const { options, packages } = await planWithPackages();
    await expect(verifyPlan(options)).resolves.toMatchObject({ packages });
    expect(await packageRecords(options.packagesDir)).toEqual(packages);
  });

  it('refuses a package changed, missing or added after the plan, and packages not given to check', async () => {
    const changed = await planWithPackages();
    writeFileSync(join(changed.packagesDir, 'dist', 'functions', 'worker.zip'), 'another worker zip');
    await expect(verifyPlan(changed.options)).rejects.toThrow(
      new UserError(
        `package dist/functions/worker.zip sha256 ${sha256Of('another worker zip')} does not match ${sha256Of('worker zip')} recorded with the plan; refusing to apply`,
      ),
    );
    const missing = await planWithPackages();
    rmSync(join(missing.packagesDir, 'dist', 'functions', 'router.zip'));
    await expect(verifyPlan(missing.options)).rejects.toThrow(
      'package dist/functions/router.zip recorded with the plan is missing from the plan store; refusing to apply',
    );
    const extra = await planWithPackages();
    writeFileSync(join(extra.packagesDir, 'dist', 'functions', 'extra.zip'), 'more');
    await expect(verifyPlan(extra.options)).rejects.toThrow('package dist/functions/extra.zip was not recorded with the plan; refusing to apply');
    const link = await planWithPackages();
    symlinkSync('router.zip', join(link.packagesDir, 'dist', 'functions', 'link.zip'));
    await expect(verifyPlan(link.options)).rejects.toThrow(/link\.zip: not a regular file; a plan's packages are zip files only; refusing to apply$/);
    const { packagesDir: _dir, ...withoutDir } = (await planWithPackages()).options;
    await expect(verifyPlan(withoutDir)).rejects.toThrow('the plan was made with 2 function package(s) but none was given to check; refusing to apply');
    // A plan without packages needs none, and an empty or absent directory is no package.
    const none = await planFiles();
    const noneOptions = { ...none, expectedSha256: none.sha256, environment: 'dev', commit: COMMIT };
    await expect(verifyPlan(noneOptions)).resolves.toMatchObject({ packages: [] });
    await expect(verifyPlan({ ...noneOptions, packagesDir: join(none.dir, 'absent') })).resolves.toMatchObject({ packages: [] });
  });

  it('refuses metadata whose package records are missing or malformed', async () => {
    const files = await planFiles();
    const base = { ...files, expectedSha256: files.sha256, environment: 'dev', commit: COMMIT };
    const metadata = JSON.parse(readFileSync(files.metadataFile, 'utf8'));
    const { packages: _packages, ...older } = metadata;
    writeFileSync(files.metadataFile, JSON.stringify(older));
    await expect(verifyPlan(base)).rejects.toThrow('plan-metadata.json: packages is missing or malformed; refusing to apply');
    for (const record of [
      { path: '../outside.zip', sha256: 'a'.repeat(64) },
      { path: '/etc/x.zip', sha256: 'a'.repeat(64) },
      { path: 'a\nb.zip', sha256: 'a'.repeat(64) },
      { path: 'dist/x.zip', sha256: 'nope' },
    ]) {
      writeFileSync(files.metadataFile, JSON.stringify({ ...metadata, packages: [record] }));
      await expect(verifyPlan(base)).rejects.toThrow(`plan-metadata.json: packages: ${JSON.stringify(record)} is not a package record`);
    }
    const twice = { path: 'dist/x.zip', sha256: 'a'.repeat(64) };
    writeFileSync(files.metadataFile, JSON.stringify({ ...metadata, packages: [twice, twice] }));
    await expect(verifyPlan(base)).rejects.toThrow('is not a package record (a path in the repository, once, and its sha256)');
  });

  it('refuses a plan file that changed since review', async () => {
    const { planFile, metadataFile, sha256 } = await planFiles();
    appendFileSync(planFile, 'x');
    const actual = await sha256File(planFile);
    await expect(verifyPlan({ planFile, metadataFile, expectedSha256: sha256, environment: 'dev', commit: COMMIT })).rejects.toThrow(
      new UserError(`plan sha256 ${actual} does not match the reviewed plan ${sha256}; refusing to apply`),
    );
  });

  it('refuses metadata recorded for another file, commit or environment', async () => {
    const other = await planFiles({ sha256: 'd'.repeat(64) });
    await expect(verifyPlan({ ...other, expectedSha256: other.sha256, environment: 'dev', commit: COMMIT })).rejects.toThrow(
      `plan sha256 ${other.sha256} does not match ${'d'.repeat(64)} recorded in ${other.metadataFile}; refusing to apply`,
    );
    const commit = await planFiles({ commit: OTHER_COMMIT });
    await expect(verifyPlan({ ...commit, expectedSha256: commit.sha256, environment: 'dev', commit: COMMIT })).rejects.toThrow(
      `plan was made for commit ${OTHER_COMMIT}, not ${COMMIT}; refusing to apply`,
    );
    const environment = await planFiles();
    await expect(verifyPlan({ ...environment, expectedSha256: environment.sha256, environment: 'prod', commit: COMMIT })).rejects.toThrow(
      'plan was made for environment dev, not prod; refusing to apply',
    );
  });

  it('refuses a missing plan, missing or malformed metadata, and an expected sha that is not one', async () => {
    const files = await planFiles();
    const base = { ...files, expectedSha256: files.sha256, environment: 'dev', commit: COMMIT };
    await expect(verifyPlan({ ...base, planFile: join(files.dir, 'nope') })).rejects.toThrow(/^\/.*\/nope: file not found; refusing to apply$/);
    await expect(verifyPlan({ ...base, metadataFile: join(files.dir, 'nope.json') })).rejects.toThrow(/^\/.*\/nope\.json: file not found; refusing to apply$/);
    writeFileSync(files.metadataFile, JSON.stringify({ environment: 'dev', commit: 'abc', sha256: files.sha256, terraformVersion: '1.11.4' }));
    await expect(verifyPlan(base)).rejects.toThrow('plan-metadata.json: commit is missing or malformed; refusing to apply');
    await expect(verifyPlan({ ...base, expectedSha256: '' })).rejects.toThrow('expected plan sha256 "" is not 64 hexadecimal characters; refusing to apply');
  });
});

describe('Terraform pin', () => {
  it('is one JSON file with the version and both linux checksums', () => {
    expect(TERRAFORM_PIN.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(TERRAFORM_PIN.sha256.linux_amd64).toMatch(/^[0-9a-f]{64}$/);
    expect(TERRAFORM_PIN.sha256.linux_arm64).toMatch(/^[0-9a-f]{64}$/);
    expect(terraformPinEnv()).toEqual({
      GANTRY_TERRAFORM_VERSION: TERRAFORM_PIN.version,
      GANTRY_TERRAFORM_SHA256_LINUX_AMD64: TERRAFORM_PIN.sha256.linux_amd64,
      GANTRY_TERRAFORM_SHA256_LINUX_ARM64: TERRAFORM_PIN.sha256.linux_arm64,
    });
  });
});

async function cli(...args: string[]) {
  const logger = new MemoryLogger();
  let stdout = '';
  const code = await runCli(args, { stdout: (text) => (stdout += `${text}\n`), logger, env: {} });
  return { code, stdout, log: logger.lines };
}

describe('CLI', () => {
  function planJsonFile(plan: unknown = MIXED): string {
    const file = join(tempDir(), 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    return file;
  }

  it('plan-summary prints JSON, eval-able exports, or Markdown', async () => {
    const file = planJsonFile(
      planJson([
        { address: 'aws_ssm_parameter.p["it\'s"]', actions: ['create'] },
        { address: 'aws_iam_role.r', actions: ['update'] },
      ]),
    );
    const json = await cli('plan-summary', file, '--sha256', 'E'.repeat(64));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ sha256: 'e'.repeat(64), add: 1, change: 1, resources: [{ action: 'update' }, { action: 'create' }] });

    const env = await cli('plan-summary', file, '--format', 'env', '--sha256', 'e'.repeat(64));
    expect(env.code).toBe(0);
    expect(env.stdout).toContain('export GANTRY_PLAN_ADD=1\n');
    // What the buildspec does with it: eval in bash, then read the variables back.
    const shell = spawnSync(
      'bash',
      ['-c', `eval "$1"; printf '%s\\n' "$GANTRY_PLAN_SHA256" "$GANTRY_PLAN_CHANGE" "$GANTRY_PLAN_RESOURCES"`, 'bash', env.stdout],
      { encoding: 'utf8' },
    );
    expect(shell.stdout).toBe(`${'e'.repeat(64)}\n1\n[["update","aws_iam_role.r"],["create","aws_ssm_parameter.p[\\"it's\\"]"]]\n`);
    const withoutSha = await cli('plan-summary', file, '--format', 'env');
    expect(withoutSha.stdout).not.toContain('GANTRY_PLAN_SHA256');

    const markdown = await cli('plan-summary', file, '--format', 'markdown', '--environment', 'qa', '--commit', COMMIT, '--log-url', 'https://example.com/l');
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain('### Terraform plan: qa\n\nPlan: 1 to add, 1 to change, 0 to destroy.');
  });

  it('plan-summary names the problem: option, file, or content', async () => {
    const file = planJsonFile();
    expect(await cli('plan-summary', file, '--format', 'markdown', '--commit', COMMIT)).toMatchObject({
      code: 2,
      log: ['error: option --environment: is required for --format markdown: pass --environment'],
    });
    expect((await cli('plan-summary', file, '--format', 'yaml')).log).toEqual(['error: option --format: must be one of json, env, markdown, got "yaml"']);
    expect((await cli('plan-summary', file, '--sha256', 'abc')).log).toEqual([
      'error: option --sha256: must be 64 hexadecimal characters (sha256sum tfplan), got "abc"',
    ]);
    expect((await cli('plan-summary', join(tempDir(), 'missing.json'))).log[0]).toMatch(/missing\.json: file not found$/);
    const state = planJsonFile({ format_version: '1.0', values: {} });
    expect((await cli('plan-summary', state)).log).toEqual([
      `error: ${state}: not a terraform plan: expected the output of "terraform show -json <planfile>" (an object with format_version and planned_values)`,
    ]);
    expect((await cli('plan-summary')).code).toBe(2);
  });

  it('plan-metadata prints the metadata with the computed sha256', async () => {
    const { planFile, sha256 } = await planFiles();
    const result = await cli('plan-metadata', '--plan', planFile, '--environment', 'dev', '--commit', COMMIT.toUpperCase(), '--build-id', 'orders-dev-plan:7');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      environment: 'dev',
      commit: COMMIT,
      sha256,
      terraformVersion: TERRAFORM_PIN.version,
      buildId: 'orders-dev-plan:7',
      packages: [],
    });
    const noBuild = await cli('plan-metadata', '--plan', planFile, '--environment', 'dev', '--commit', COMMIT, '--terraform-version', '1.12.0');
    expect(JSON.parse(noBuild.stdout)).toEqual({ environment: 'dev', commit: COMMIT, sha256, terraformVersion: '1.12.0', packages: [] });
    const { packagesDir, packages } = await planWithPackages();
    const withPackages = await cli('plan-metadata', '--plan', planFile, '--environment', 'dev', '--commit', COMMIT, '--packages', packagesDir);
    expect(JSON.parse(withPackages.stdout)).toMatchObject({ sha256, packages });
    expect((await cli('plan-metadata', '--plan', planFile, '--environment', 'dev', '--commit', 'main')).log).toEqual([
      'error: option --commit: must be a full commit SHA, 40 hexadecimal characters, got "main"',
    ]);
    expect((await cli('plan-metadata', '--plan', planFile, '--environment', 'Dev!', '--commit', COMMIT)).log[0]).toMatch(
      /^error: option --environment: must be an environment name: lower-case letters, digits and single "-", starting with a letter, at most 20 characters, got "Dev!"$/,
    );
    expect((await cli('plan-metadata', '--plan', join(tempDir(), 'tfplan'), '--environment', 'dev', '--commit', COMMIT)).log[0]).toMatch(
      /^error: option --plan: .*tfplan: file not found$/,
    );
  });

  it('plan-packages prints the path of each package recorded with the plan, for the apply build to fetch', async () => {
    const { metadataFile } = await planWithPackages();
    expect(await cli('plan-packages', '--metadata', metadataFile)).toMatchObject({
      code: 0,
      stdout: 'dist/functions/router.zip\ndist/functions/worker.zip\n',
    });
    const none = await planFiles();
    expect(await cli('plan-packages', '--metadata', none.metadataFile)).toMatchObject({ code: 0, stdout: '' });
    expect((await cli('plan-packages', '--metadata', join(none.dir, 'nope.json'))).log[0]).toMatch(/nope\.json: file not found; refusing to apply$/);
  });

  it('verify-plan prints the verified sha, or exits 1 with the one-line reason', async () => {
    const { planFile, metadataFile, sha256 } = await planFiles();
    const args = ['verify-plan', '--plan', planFile, '--metadata', metadataFile, '--environment', 'dev'];
    expect(await cli(...args, '--commit', COMMIT, '--expected-sha256', sha256)).toMatchObject({ code: 0, stdout: `plan verified: ${sha256}\n`, log: [] });
    expect(await cli(...args, '--commit', OTHER_COMMIT, '--expected-sha256', sha256)).toMatchObject({
      code: 1,
      stdout: '',
      log: [`error: plan was made for commit ${COMMIT}, not ${OTHER_COMMIT}; refusing to apply`],
    });
    expect((await cli(...args, '--commit', COMMIT)).log).toEqual(['error: option --expected-sha256: is required: pass --expected-sha256']);
    const withPackages = await planWithPackages();
    const packageArgs = ['verify-plan', '--plan', withPackages.planFile, '--metadata', withPackages.metadataFile, '--environment', 'dev', '--commit', COMMIT];
    expect(await cli(...packageArgs, '--expected-sha256', withPackages.sha256, '--packages', withPackages.packagesDir)).toMatchObject({
      code: 0,
      stdout: [
        `plan verified: ${withPackages.sha256}`,
        ...withPackages.packages.map((record) => `package verified: ${record.path} sha256 ${record.sha256}`),
        '',
      ].join('\n'),
    });
    expect((await cli(...packageArgs, '--expected-sha256', withPackages.sha256)).log).toEqual([
      'error: the plan was made with 2 function package(s) but none was given to check; refusing to apply',
    ]);
    expect((await cli(...args, '--commit', COMMIT, '--expected-sha256', 'nope')).log).toEqual([
      'error: option --expected-sha256: must be 64 hexadecimal characters (sha256sum tfplan), got "nope"',
    ]);
  });
});
