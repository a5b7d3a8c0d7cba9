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
    const bad = await runCliBundle(['prune', '--functions', 'f', '--force', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const keep = await runCliBundle(['prune', '--functions', 'f', '--keep', '-1']);
    expect(keep.code).toBe(1);
    expect(keep.stderr.trim()).toBe('error: option --keep: must be a whole number from 0 to 99, got -1');
  });

  it('exits 2 for no command, an unknown command or an unknown option', async () => {
    expect((await runCliBundle([])).code).toBe(2);
    const unknown = await runCliBundle(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy"');
    const option = await runCliBundle(['config', 'show', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain(`unknown option '--bogus'; run "gantry config show --help"`);
  });

  it('exits 1 with the one-line config error', async () => {
    const result = await runCliBundle(['config', 'validate', '--config', 'test/no-such.yml']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('error: test/no-such.yml: file not found; create it or point the config input at it');
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

  it('names the option when the environment is unknown', async () => {
    const result = await runCliBundle(['config', 'show', '--config', EXAMPLE_CONFIG_FILE, '--environment', 'stage']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`error: option --environment: "stage" is not an environment in ${EXAMPLE_CONFIG_FILE}; expected one of dev, qa, prod`);
  });
});
