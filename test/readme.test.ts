import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/run-bundle.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('README', () => {
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
});
