import { readFileSync } from 'node:fs';
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
  });
});
