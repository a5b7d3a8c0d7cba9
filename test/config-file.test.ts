/**
 * The config file an action input or CLI option names is read only from the workspace, never more than 1 MiB
 * of it, and a refusal never shows the file's content. The attacks: `config: /proc/self/environ` (whose error
 * used to quote `PATH=…`), a path out through `..`, a symbolic link in the checkout pointing out of it, and a
 * huge file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadWorkspaceConfig, MAX_CONFIG_BYTES } from '../src/config/load.js';
import { UserError } from '../src/errors.js';
import { workspaceRoot } from '../src/read-user-file.js';
import { EXAMPLE_CONFIG } from './helpers/config-fixture.js';
import { REPO_ROOT, runBundledAction, runCliBundle } from './helpers/run-bundle.js';

/** A checkout with the example config, and a secret file next to it, outside. */
function workspace(): { root: string; secret: string; env: NodeJS.ProcessEnv } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'gantry-workspace-')));
  const root = join(base, 'checkout');
  mkdirSync(join(root, '.github'), { recursive: true });
  writeFileSync(join(root, '.github', 'gantry.yml'), EXAMPLE_CONFIG);
  const secret = join(base, 'secret.yml');
  writeFileSync(secret, 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\n');
  return { root, secret, env: { GITHUB_WORKSPACE: root } };
}

async function refusal(load: Promise<unknown>): Promise<string> {
  const error = await load.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UserError);
  return (error as Error).message;
}

describe('the workspace', () => {
  it('is GITHUB_WORKSPACE in a workflow, else the current directory', () => {
    expect(workspaceRoot({ GITHUB_WORKSPACE: '/home/runner/work/app/app' })).toBe('/home/runner/work/app/app');
    expect(workspaceRoot({ GITHUB_WORKSPACE: '' })).toBe(process.cwd());
    expect(workspaceRoot({})).toBe(process.cwd());
  });
});

describe('loadWorkspaceConfig: only a file of the workspace, at most 1 MiB', () => {
  it('reads the config in the workspace, by a relative or an absolute path, and through a link that stays inside', async () => {
    const { root, env } = workspace();
    const file = join(root, '.github', 'gantry.yml');
    expect((await loadWorkspaceConfig(file, env)).order).toEqual(['dev', 'qa', 'prod']);
    expect((await loadWorkspaceConfig(relative(process.cwd(), file), env)).project).toBe('orders');
    symlinkSync(join('.github', 'gantry.yml'), join(root, 'linked.yml'));
    expect((await loadWorkspaceConfig(join(root, 'linked.yml'), env)).project).toBe('orders');
  });

  it('refuses /proc/self/environ without showing any of it', async () => {
    const message = await refusal(loadWorkspaceConfig('/proc/self/environ', { GITHUB_WORKSPACE: REPO_ROOT, GANTRY_CANARY: 'canary-value' }));
    expect(message).toBe(`/proc/self/environ: outside the workspace (${REPO_ROOT}); gantry reads this file only from the repository checkout`);
  });

  it('refuses a path out through "..", and a symbolic link in the checkout that points out of it', async () => {
    const { root, secret, env } = workspace();
    const up = join(root, '..', 'secret.yml');
    expect(await refusal(loadWorkspaceConfig(up, env))).toBe(
      `${up}: outside the workspace (${root}); gantry reads this file only from the repository checkout`,
    );
    symlinkSync(secret, join(root, '.github', 'evil.yml'));
    symlinkSync('/proc/self/environ', join(root, 'environ.yml'));
    for (const link of [join(root, '.github', 'evil.yml'), join(root, 'environ.yml')]) {
      const message = await refusal(loadWorkspaceConfig(link, env));
      expect(message).toBe(`${link}: a symbolic link to a file outside the workspace (${root}); gantry reads this file only from the repository checkout`);
      expect(message).not.toContain('AWS_SECRET');
    }
    // A directory link out of the checkout is the same escape.
    symlinkSync(join(root, '..'), join(root, 'up'));
    expect(await refusal(loadWorkspaceConfig(join(root, 'up', 'secret.yml'), env))).toContain('a symbolic link to a file outside the workspace');
  });

  it('refuses a file over 1 MiB before reading it, naming the file and the limit', async () => {
    const { root, env } = workspace();
    const big = join(root, 'big.yml');
    writeFileSync(big, `# ${'x'.repeat(2 * MAX_CONFIG_BYTES)}\n`);
    expect(await refusal(loadWorkspaceConfig(big, env))).toBe(`${big}: the file is 2.0 MiB, over the 1 MiB limit for a config file`);
    // The repository's own tools read anywhere, with the same cap.
    expect(await refusal(loadConfig(big))).toBe(`${big}: the file is 2.0 MiB, over the 1 MiB limit for a config file`);
  });

  it('still says a missing file is missing, and a directory is not a file', async () => {
    const { root, env } = workspace();
    expect(await refusal(loadWorkspaceConfig(join(root, 'none.yml'), env))).toBe(
      `${join(root, 'none.yml')}: file not found; create it, or give its path as the config input (--config on the CLI)`,
    );
    expect(await refusal(loadWorkspaceConfig(join(root, '.github'), env))).toBe(`${join(root, '.github')}: not a regular file`);
    // A FIFO would block a plain open until someone writes to it.
    execFileSync('mkfifo', [join(root, 'fifo.yml')]);
    expect(await refusal(loadWorkspaceConfig(join(root, 'fifo.yml'), env))).toBe(`${join(root, 'fifo.yml')}: not a regular file`);
  });
});

describe('the CLI and the actions go through it', () => {
  it('gantry config validate --config /proc/self/environ: refused, nothing of the environment shown', async () => {
    const result = await runCliBundle(['config', 'validate', '--config', '/proc/self/environ'], { GANTRY_CANARY: 'canary-value' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/proc/self/environ: outside the workspace');
    expect(result.stderr + result.stdout).not.toContain('canary-value');
    expect(result.stderr + result.stdout).not.toContain('PATH=');
  });

  it('resolve-environment with config: /proc/self/environ fails the step with the refusal, nothing of the environment shown', async () => {
    const result = await runBundledAction('resolve-environment', { environment: 'dev', config: '/proc/self/environ' }, { GANTRY_CANARY: 'canary-value' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error::/proc/self/environ: outside the workspace');
    expect(result.stdout + result.stderr).not.toContain('canary-value');
  });

  it('an action in a workflow refuses a link in the checkout that points out of it', async () => {
    const { root, secret } = workspace();
    symlinkSync(secret, join(root, '.github', 'evil.yml'));
    const result = await runBundledAction('resolve-environment', { environment: 'dev', config: join(root, '.github', 'evil.yml') }, { GITHUB_WORKSPACE: root });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('a symbolic link to a file outside the workspace');
    expect(result.stdout).not.toContain('AWS_SECRET');
  });
});

describe('every action and CLI command reads its config from the workspace', () => {
  it('nothing under src/ or scripts/cli/ calls the unconfined loadConfig', () => {
    const sources = [join(REPO_ROOT, 'src'), join(REPO_ROOT, 'scripts', 'cli')].flatMap((dir) =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.ts'))
        .map((name) => join(dir, name)),
    );
    const callers = sources.filter((file) => /\bloadConfig\(/.test(readFileSync(file, 'utf8'))).map((file) => relative(REPO_ROOT, file));
    expect(callers).toEqual(['src/config/load.ts']);
  });
});
