import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../scripts/cli/main.js';
import { EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { runCliBundle } from './helpers/run-bundle.js';

describe('gantry CLI (bundled)', () => {
  it("lists every command in --help, and each command's options come from its definition", async () => {
    const result = await runCliBundle(['--help']);
    expect(result.code).toBe(0);
    for (const { cli } of COMMANDS) expect(result.stdout).toContain(cli.name);
    const prune = await runCliBundle(['prune', '--help']);
    expect(prune.stdout).toContain('--keep <value>');
    expect(prune.stdout).toContain('Takes a whole number from 0 to 99.');
    // A boolean input is a flag; an action-only input (a token) is not offered on the CLI.
    expect(prune.stdout).toMatch(/^ {2}--force {2,}/m);
    const show = await runCliBundle(['config', 'show', '--help']);
    expect(show.stdout).toContain('--format <value>');
    expect(show.stdout).not.toContain('github-token');
  });

  it('takes a flag as --flag, --flag=false or --flag false, and refuses another value in one line', async () => {
    const base = ['config', 'show', '--config', EXAMPLE_CONFIG_FILE, '--environment', 'qa'];
    expect((await runCliBundle([...base, '--format', 'json'])).code).toBe(0);
    // keep 0 needs force: each spelling of a false flag is refused by that rule, each true one gets past it
    // (to the next check: no AWS region, since no environment gives one).
    for (const spelling of [['--force', 'false'], ['--force=false'], ['--force', 'FALSE']]) {
      const refused = await runCliBundle(['prune', '--functions', 'f', '--keep', '0', ...spelling]);
      expect(refused.stderr.trim()).toMatch(
        /^error: option --keep: must be at least 1; to delete every unprotected version, keep 0 together with option --force/,
      );
    }
    for (const spelling of [['--force'], ['--force=true'], ['--force', 'True']]) {
      const passed = await runCliBundle(['prune', '--functions', 'f', '--keep', '0', ...spelling]);
      expect(passed.stderr.trim()).toMatch(/^error: no AWS region/);
    }
    const bad = await runCliBundle(['prune', '--functions', 'f', '--force', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    // A value starting with a dash, written with a space, is the option's value (not parseArgs' two-line
    // "ambiguous" complaint), and a missing value is one line too.
    const [keep, rate, missing] = await Promise.all([
      runCliBundle(['prune', '--functions', 'f', '--keep', '-1']),
      runCliBundle(['prune', '--functions', 'f', '--rate', '-5']),
      runCliBundle(['prune', '--functions', 'f', '--keep']),
    ]);
    // A malformed option is bad usage: exit 2, like a missing one.
    expect(keep.code).toBe(2);
    expect(keep.stderr.trim()).toBe('error: option --keep: must be a whole number from 0 to 99, got -1');
    expect(rate.code).toBe(2);
    expect(rate.stderr.trim()).toBe('error: option --rate: must be requests per second, a number above 0 and at most 10000, got "-5"');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('error: option --keep needs a value; run "gantry prune --help"');
  });

  it('exits 2 for no command, an unknown command or an unknown option', async () => {
    expect((await runCliBundle([])).code).toBe(2);
    const unknown = await runCliBundle(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy"');
    const option = await runCliBundle(['config', 'show', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain(`unknown option '--bogus'; run "gantry config show --help"`);
    const partial = await runCliBundle(['config']);
    expect(partial.code).toBe(2);
    expect(partial.stderr.trim()).toBe('error: "config" needs a subcommand: "gantry config validate" or "gantry config show"');
  });

  it('refuses an option given twice or given empty, and a value where a flag stands, each in one line', async () => {
    const twice = await runCliBundle(['prune', '--functions', 'f', '--rate', '5', '--rate', '6']);
    expect(twice.code).toBe(2);
    expect(twice.stderr.trim()).toBe('error: option --rate is given 2 times: give it once; run "gantry prune --help"');
    const empty = await runCliBundle(['prune', '--functions', 'f', '--keep=']);
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim()).toBe('error: option --keep is empty: give it a value, or leave it out; run "gantry prune --help"');
    const flag = await runCliBundle(['prune', '--functions', 'f', '--force', 'maybe']);
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim()).toMatch(
      /^error: unexpected argument "maybe"; a flag \(.*--force.*\) takes true or false, as --flag=false; run "gantry prune --help"$/,
    );
    const newline = await runCliBundle(['prune', '--functions', 'f', '--keep', '1\n2']);
    expect(newline.code).toBe(2);
    expect(newline.stderr.trim()).toBe('error: option --keep: must be a whole number from 0 to 99, got "1\\n2"');
  });

  it('takes exactly the one positional argument a command names', async () => {
    const none = await runCliBundle(['plan-summary']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('error: expected <plan.json> (terraform show -json tfplan > plan.json); run "gantry plan-summary --help"');
    const two = await runCliBundle(['buildspec', 'run', 'a.yml', 'b.yml']);
    expect(two.code).toBe(2);
    expect(two.stderr.trim()).toBe('error: expected one <buildspec file>, got 2 arguments; run "gantry buildspec run --help"');
  });

  it('exits 1 with the one-line config error', async () => {
    const result = await runCliBundle(['config', 'validate', '--config', 'test/no-such.yml']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('error: test/no-such.yml: file not found; create it, or give its path as the config input (--config on the CLI)');
  });

  it('validates the example config and shows an environment', async () => {
    const valid = await runCliBundle(['config', 'validate', '--config', EXAMPLE_CONFIG_FILE]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('3 environments: dev → qa → prod');
    const shown = await runCliBundle(['config', 'show', '--config', EXAMPLE_CONFIG_FILE, '--environment', 'qa']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ 'plan-project': 'orders-qa-plan', 'previous-environment': 'dev', region: 'eu-west-1' });
    const env = await runCliBundle(['config', 'show', '--config', EXAMPLE_CONFIG_FILE, '--environment', 'prod', '--format', 'env']);
    expect(env.stdout).toContain('GANTRY_ROLE_ARN=arn:aws:iam::333333333333:role/orders-prod-gantry-deploy\n');
  });

  it('exits with the usage code when a required option is missing, whoever requires it', async () => {
    // prune's --environment is required by a rule across its options; verify-plan's --plan by its definition.
    const [prune, verify] = await Promise.all([runCliBundle(['prune']), runCliBundle(['verify-plan'])]);
    expect(prune.code).toBe(2);
    expect(prune.stderr.trim()).toMatch(/^error: option --environment: is required/);
    expect(verify.code).toBe(2);
    expect(verify.stderr.trim()).toBe('error: option --plan: is required: pass --plan (for example tfplan)');
  });

  it('in a workflow, puts a config error on the pull request at its file and line, as the actions do', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'gantry-cli-annotation-'));
    mkdirSync(join(workspace, '.github'));
    writeFileSync(join(workspace, '.github', 'gantry.yml'), readFileSync(EXAMPLE_CONFIG_FILE, 'utf8').replace('region: eu-west-1', 'region: moon-1'));
    const args = ['config', 'validate', '--config', join(workspace, '.github', 'gantry.yml')];
    const env = { GITHUB_WORKSPACE: workspace };
    const inWorkflow = await runCliBundle(args, { ...env, GITHUB_ACTIONS: 'true' });
    expect(inWorkflow.code).toBe(1);
    expect(inWorkflow.stdout).toMatch(/^::error file=\.github\/gantry\.yml,line=\d+,col=\d+::\S*gantry\.yml:\d+:\d+: .*moon-1/m);
    const local = await runCliBundle(args, env);
    expect(local.code).toBe(1);
    expect(local.stdout).not.toContain('::error');
  });

  it('names the option when the environment is unknown', async () => {
    const result = await runCliBundle(['config', 'show', '--config', EXAMPLE_CONFIG_FILE, '--environment', 'stage']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`error: option --environment: "stage" is not an environment in ${EXAMPLE_CONFIG_FILE}; expected one of dev, qa, prod`);
  });
});
