import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { END, START, configReference } from '../scripts/config-docs.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('README', () => {
  it('has the configuration reference generated from the schema (npm run docs:config)', () => {
    const section = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
    expect(section).toBe(configReference());
  });

  it('names only npm scripts that exist', () => {
    const named = [...readme.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const script of named) expect(Object.keys(scripts)).toContain(script);
  });

  it('gives the test command that .ci/run runs', () => {
    expect(readme).toContain('npm ci && npm test');
    expect(readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8')).toContain('npm ci && npm test');
    // The quick start's other command runs in CI too, so a newcomer's first command is known to work.
    expect(readme).toContain('npm ci && npm run demo');
    expect(readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm run demo$/m);
  });

  it('documents every action and each of its inputs and outputs', () => {
    const actions = readdirSync(join(REPO_ROOT, 'actions'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) {
      expect(readme).toContain(`### ${action.name}`);
      const section = readme.slice(readme.indexOf(`### ${action.name}`)).split(/\n## /)[0]!;
      const yml = parse(readFileSync(join(REPO_ROOT, 'actions', action.name, 'action.yml'), 'utf8')) as { inputs?: object; outputs?: object };
      for (const name of [...Object.keys(yml.inputs ?? {}), ...Object.keys(yml.outputs ?? {})]) expect(section, `${action.name}: ${name}`).toContain(`\`${name}\``);
    }
  });
});
