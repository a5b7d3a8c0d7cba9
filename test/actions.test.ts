/**
 * Every action: a well-formed action.yml that runs a committed bundle on node24, and a bundle that fails
 * with a clear message naming the first required input when run with no inputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTIONS as DEFINITIONS } from '../src/definitions/index.js';
import { EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { REPO_ROOT, runBundledAction } from './helpers/run-bundle.js';

interface ActionYml {
  name: string;
  description: string;
  inputs?: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const ACTIONS = DEFINITIONS.map((definition) => definition.name);

function actionYml(name: string): ActionYml {
  return parse(readFileSync(join(REPO_ROOT, 'actions', name, 'action.yml'), 'utf8')) as ActionYml;
}

describe.each(ACTIONS)('action %s', (name) => {
  const yml = actionYml(name);

  it('runs a committed bundle on node24 and describes every input and output', () => {
    expect(yml.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(existsSync(join(REPO_ROOT, 'actions', name, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(REPO_ROOT, 'actions', name, 'index.ts'))).toBe(true);
    for (const input of Object.values(yml.inputs ?? {})) expect(input.description.length).toBeGreaterThan(10);
    for (const output of Object.values(yml.outputs ?? {})) expect(output.description.length).toBeGreaterThan(10);
  });

  it('fails with no inputs, naming the missing required input', async () => {
    // version-prune needs one of three scopes, so none is required on its own; it names environment first.
    const required = Object.entries(yml.inputs ?? {}).find(([, input]) => input.required === true)?.[0] ?? 'environment';
    const result = await runBundledAction(name, {});
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`::error::input "${required}": is required`);
  });
});

describe('resolve-environment', () => {
  it('outputs the names from the config file', async () => {
    const result = await runBundledAction('resolve-environment', { environment: 'prod', config: EXAMPLE_CONFIG_FILE });
    expect(result.code).toBe(0);
    expect(result.outputs).toMatchObject({
      environment: 'prod',
      'previous-environment': 'qa',
      'next-environment': '',
      'role-arn': 'arn:aws:iam::333333333333:role/orders-prod-gantry-deploy',
      region: 'eu-west-1',
      'plan-project': 'orders-prod-plan',
      'apply-project': 'orders-prod-apply',
      'capacity-provider': 'orders-prod-cp',
      // What bootstrap creates by hand, named here so nobody spells it.
      'state-bucket': 'orders-prod-333333333333-tfstate',
    });
    expect(JSON.parse(result.outputs.functions!)).toEqual([
      { name: 'router', functionName: 'orders-prod-router', alias: 'live' },
      { name: 'worker', functionName: 'orders-prod-worker', alias: 'live' },
    ]);
    // Every output the action sets is declared in action.yml.
    expect(Object.keys(result.outputs).sort()).toEqual(Object.keys(actionYml('resolve-environment').outputs ?? {}).sort());
  });

  it('fails on a broken config with the one-line error', async () => {
    const result = await runBundledAction('resolve-environment', { environment: 'dev', config: 'test/missing.yml' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error::test/missing.yml: file not found');
  });
});
