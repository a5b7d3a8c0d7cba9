/**
 * `gantry synth` from a consumer's repository: the packed tarball installed outside the gantry tree, the example
 * config copied there, and the CDK Terrain bindings either missing (one line saying what to install) or present
 * (linked in from this checkout's node_modules, as `npm i -D cdktn @cdktn/provider-aws constructs` would put
 * them). The stacks it writes are byte for byte the ones gantry commits for the same config.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installBindingsCommand, SYNTH_BINDINGS, synthLoadError } from '../scripts/cli/synth.js';
import { UserError } from '../src/errors.js';
import { EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { installPacked, packInto, runGantry } from './helpers/npm-pack.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

const ENVIRONMENTS = ['dev', 'qa', 'prod'];
const root = realpathSync(mkdtempSync(join(tmpdir(), 'gantry-synth-cli-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MISSING_BINDINGS = `error: gantry synth needs the CDK Terrain bindings, and cdktn is not installed: run ${installBindingsCommand()}\n`;

/** A consumer repository: the example config, gantry installed from the tarball; bindings linked in if asked. */
function consumer(name: string, tarball: string, options: { bindings: boolean }): string {
  const dir = join(root, name);
  installPacked(dir, tarball);
  mkdirSync(join(dir, '.github'));
  copyFileSync(EXAMPLE_CONFIG_FILE, join(dir, '.github', 'gantry.yml'));
  if (options.bindings) {
    for (const name of ['cdktn', '@cdktn', 'constructs']) symlinkSync(join(REPO_ROOT, 'node_modules', name), join(dir, 'node_modules', name));
  }
  return dir;
}

const committedStack = (environment: string) => readFileSync(join(REPO_ROOT, 'terraform', 'environments', environment, 'cdk.tf.json'), 'utf8');

describe('gantry synth from a consumer repository', () => {
  let tarball: string;
  let withBindings: string;
  let withoutBindings: string;
  beforeAll(() => {
    tarball = join(root, packInto(root).filename);
    withBindings = consumer('with-bindings', tarball, { bindings: true });
    withoutBindings = consumer('without-bindings', tarball, { bindings: false });
  });

  it('without the bindings: exit 1 and one line naming the npm command that installs them', () => {
    const result = runGantry(withoutBindings, ['synth']);
    expect(result.stderr).toBe(MISSING_BINDINGS);
    expect(result.status).toBe(1);
    expect(existsSync(join(withoutBindings, 'terraform'))).toBe(false);
    // --check needs them just the same.
    expect(runGantry(withoutBindings, ['synth', '--check']).stderr).toBe(MISSING_BINDINGS);
  });

  it('writes each environment stack to its terraform.workingDirectory, as gantry commits them, with the buildspecs of the installed package', () => {
    expect(existsSync(join(withBindings, 'buildspecs'))).toBe(false);
    const result = runGantry(withBindings, ['synth', '--config', '.github/gantry.yml']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [...ENVIRONMENTS.map((env) => `${env}: terraform/environments/${env}/cdk.tf.json`), 'synthesized 3 stacks from .github/gantry.yml', ''].join('\n'),
    );
    expect(result.status).toBe(0);
    for (const env of ENVIRONMENTS)
      expect(readFileSync(join(withBindings, 'terraform', 'environments', env, 'cdk.tf.json'), 'utf8'), env).toBe(committedStack(env));

    const check = runGantry(withBindings, ['synth', '--check']);
    expect(check.stdout).toBe('synth --check: every working-directory copy matches a fresh synth (3 environments)\n');
    expect(check.status).toBe(0);
  });

  it('--check names each stale or missing copy and exits 1, writing nothing', () => {
    const dir = join(withBindings, 'terraform', 'environments');
    writeFileSync(join(dir, 'qa', 'cdk.tf.json'), '{}\n');
    rmSync(join(dir, 'prod', 'cdk.tf.json'));
    const check = runGantry(withBindings, ['synth', '--check']);
    expect(check.stderr).toBe(
      [
        'error: terraform/environments/qa/cdk.tf.json: differs from a fresh synth',
        'error: terraform/environments/prod/cdk.tf.json: missing',
        'error: synth --check: 2 stale working-directory copies; run gantry synth and commit them',
        '',
      ].join('\n'),
    );
    expect(check.status).toBe(1);
    expect(readFileSync(join(dir, 'qa', 'cdk.tf.json'), 'utf8')).toBe('{}\n');
    expect(existsSync(join(dir, 'prod', 'cdk.tf.json'))).toBe(false);
  });

  it('--out writes <out>/<environment>/cdk.tf.json and leaves the working directories alone; --out does not go with --check', () => {
    const out = join(root, 'stacks');
    const result = runGantry(withBindings, ['synth', '--out', out]);
    expect(result.stdout.split('\n')[0]).toBe(`dev: ${join(out, 'dev', 'cdk.tf.json')}`);
    expect(result.status).toBe(0);
    for (const env of ENVIRONMENTS) expect(readFileSync(join(out, env, 'cdk.tf.json'), 'utf8'), env).toBe(committedStack(env));
    expect(readFileSync(join(withBindings, 'terraform', 'environments', 'qa', 'cdk.tf.json'), 'utf8')).toBe('{}\n');

    const both = runGantry(withBindings, ['synth', '--check', '--out', out]);
    expect(both.stderr).toBe(
      'error: option --out: does not go with --check, which compares the working-directory copies and writes nothing: give one or the other\n',
    );
    expect(both.status).toBe(2);
  });

  it('checks the config before looking for the bindings: an invalid one, or one outside the repository, is its one-line error', () => {
    writeFileSync(join(withoutBindings, '.github', 'broken.yml'), 'version: 2\n');
    const invalid = runGantry(withoutBindings, ['synth', '--config', '.github/broken.yml']);
    expect(invalid.stderr).toMatch(/^error: \.github\/broken\.yml:1:\d+: version: /);
    expect(invalid.stderr.split('\n')).toHaveLength(2);
    expect(invalid.status).toBe(1);

    const outside = runGantry(withoutBindings, ['synth', '--config', join(withBindings, '.github', 'gantry.yml')]);
    expect(outside.stderr).toBe(
      `error: ${join(withBindings, '.github', 'gantry.yml')}: outside the workspace (${withoutBindings}); gantry reads this file only from the repository checkout\n`,
    );
    expect(outside.status).toBe(1);
  });

  it('installed from git (no release stamp), with no schedules.prune.cli: one line naming the config file and the key, nothing written', () => {
    // Prepare: what `npm i -D github:OWNER/gantry#v…` installs is the package without the stamp only a release tarball carries.
    const fromGit = consumer('from-git', tarball, { bindings: true });
    rmSync(join(fromGit, 'node_modules', '@gantry-deploy', 'gantry', 'scripts', 'dist', 'release.json'));
    const config = join(fromGit, '.github', 'gantry.yml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^ {4}schedules: .*\n/gm, ''));
    // Act
    const result = runGantry(fromGit, ['synth']);
    // Assess
    expect(result.stderr).toBe(
      `error: ${config}: environments.dev.schedules.prune.cli: is not set, and this gantry was not installed from a release tarball (a checkout or a github: install), so the prune build cannot download a pinned CLI: set schedules.prune.cli to a command that runs the gantry CLI in the prune build (one its image or its source holds), or install gantry from a release tarball\n`,
    );
    expect(result.status).toBe(1);
    expect(existsSync(join(fromGit, 'terraform'))).toBe(false);
  });
});

describe('synthLoadError', () => {
  const notFound = (message: string, code = 'ERR_MODULE_NOT_FOUND') => Object.assign(new Error(message), { code });

  it('names the bindings to install for any of them, from an ES module import or a require inside cdktn', () => {
    for (const error of [
      notFound("Cannot find package 'cdktn' imported from /r/node_modules/@gantry-deploy/gantry/scripts/dist/terraform-app.js"),
      notFound("Cannot find package '@cdktn/provider-aws' imported from /r/node_modules/@gantry-deploy/gantry/scripts/dist/terraform-app.js"),
      notFound("Cannot find module 'constructs'\nRequire stack:\n- /r/node_modules/cdktn/lib/index.js", 'MODULE_NOT_FOUND'),
    ]) {
      const found = synthLoadError(error);
      expect(found).toBeInstanceOf(UserError);
      expect(found?.message).toMatch(
        /^gantry synth needs the CDK Terrain bindings, and (cdktn|@cdktn\/provider-aws|constructs) is not installed: run npm i -D /,
      );
      expect(found?.message).not.toContain('\n');
    }
    expect(installBindingsCommand()).toBe(
      `npm i -D ${Object.entries(SYNTH_BINDINGS)
        .map(([name, version]) => `${name}@${version}`)
        .join(' ')}`,
    );
  });

  it('says the CLI needs its package when the terraform app is not next to it (a lone downloaded gantry.js)', () => {
    const found = synthLoadError(notFound("Cannot find module '/tmp/x/terraform-app.js' imported from /tmp/x/gantry.mjs"));
    expect(found?.message).toMatch(/^gantry synth needs the whole gantry package \(terraform-app\.js is not next to this CLI\): install it with npm i -D /);
  });

  it('leaves any other failure alone', () => {
    expect(synthLoadError(notFound("Cannot find package 'yaml' imported from /x.js"))).toBeUndefined();
    expect(synthLoadError(new Error("Cannot find package 'cdktn'"))).toBeUndefined();
    expect(synthLoadError(new SyntaxError('Unexpected token'))).toBeUndefined();
  });
});
