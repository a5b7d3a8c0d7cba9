/**
 * Releases: `npm run release -- --dry-run` builds the assets (tarball, gantry.js, SHA256SUMS, notes) into a
 * directory and prints what a release would do; the pure parts (CHANGELOG section, major tag, the URL CodeBuild
 * downloads the CLI from) on their own.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changelogSection, movesMajorTag, releaseCommands } from '../scripts/release.js';
import { cliReleaseSource } from '../src/codebuild/start-request.js';
import { npm } from './helpers/npm-pack.js';
import { cleanEnv, REPO_ROOT } from './helpers/run-bundle.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const root = mkdtempSync(join(tmpdir(), 'gantry-release-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

function release(args: string[]) {
  const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  return spawnSync(TSX, [join(REPO_ROOT, 'scripts', 'release.ts'), ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
}

describe('npm run release -- --dry-run', () => {
  const out = join(root, 'assets');
  const tarball = `gantry-deploy-gantry-${pkg.version}.tgz`;
  let result: ReturnType<typeof release>;
  beforeAll(() => {
    result = release(['--dry-run', '--out', out, '--repository', 'example-org/gantry']);
  });

  it('checks bundles and generated files, then writes the tarball, gantry.js, checksums and notes', () => {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('bundles match their sources\ngenerated files match their definitions\n');
    expect(
      readFileSync(join(out, 'SHA256SUMS'), 'utf8')
        .split('\n')
        .map((line) => line.split('  ')[1]),
    ).toEqual([tarball, 'gantry.js', undefined]);
  });

  it('the checksums are those of the files, and gantry.js is the committed CLI bundle', () => {
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    for (const line of sums.trimEnd().split('\n')) {
      const [hex, name] = line.split('  ');
      expect(sha256(readFileSync(join(out, name!))), name).toBe(hex);
    }
    expect(sha256(readFileSync(join(out, 'gantry.js')))).toBe(sha256(readFileSync(join(REPO_ROOT, 'scripts', 'dist', 'gantry.js'))));
  });

  it('stamps the tarball with the release it is (scripts/dist/release.json), the working tree untouched', () => {
    // Prepare: what the tarball holds, and what npm pack takes from the checkout.
    const listed = (JSON.parse(npm(['pack', '--dry-run', '--json'], REPO_ROOT).stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map(
      (file) => `package/${file.path}`,
    );
    const entries = spawnSync('tar', ['-tzf', join(out, tarball)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    const extracted = join(root, 'extracted');
    mkdirSync(extracted);
    // Act
    const untar = spawnSync('tar', ['-xzf', join(out, tarball), '-C', extracted, 'package/scripts/dist/release.json', 'package/scripts/dist/gantry.js']);
    // Assess: the checkout's package files and the stamp, nothing else; the stamp names the release's repository,
    // version and tag, and its CLI is the gantry.js asset a build downloads from that release.
    expect(untar.status).toBe(0);
    expect(entries.sort()).toEqual([...listed.filter((path) => path !== 'package/scripts/dist/release.json'), 'package/scripts/dist/release.json'].sort());
    expect(JSON.parse(readFileSync(join(extracted, 'package', 'scripts', 'dist', 'release.json'), 'utf8'))).toEqual({
      repository: 'example-org/gantry',
      version: pkg.version,
      tag: `v${pkg.version}`,
    });
    expect(sha256(readFileSync(join(extracted, 'package', 'scripts', 'dist', 'gantry.js')))).toBe(sha256(readFileSync(join(out, 'gantry.js'))));
    expect(existsSync(join(REPO_ROOT, 'scripts', 'dist', 'release.json'))).toBe(false);
  });

  it('the notes carry the changes, the install command with the tarball integrity, and the checksums', () => {
    const notes = readFileSync(join(out, 'notes.md'), 'utf8');
    const integrity = `sha512-${createHash('sha512')
      .update(readFileSync(join(out, tarball)))
      .digest('base64')}`;
    expect(notes.startsWith(`# gantry v${pkg.version}\n\n### Added\n`)).toBe(true);
    expect(notes).toContain(`npm i -D https://github.com/example-org/gantry/releases/download/v${pkg.version}/${tarball}\n`);
    expect(notes).toContain(`\`${integrity}\``);
    expect(notes).toContain(`npm i -D github:example-org/gantry#v${pkg.version}`);
    expect(notes).toContain(readFileSync(join(out, 'SHA256SUMS'), 'utf8'));
  });

  it('prints the release it would create and the major tag it would move, changing nothing', () => {
    const major = `v${pkg.version.split('.')[0]}`;
    expect(result.stdout).toContain(
      `dry run: a release of v${pkg.version} would run:\n  gh release create v${pkg.version} ${join(out, tarball)} ${join(out, 'gantry.js')} ${join(out, 'SHA256SUMS')} --repo example-org/gantry`,
    );
    expect(result.stdout).toContain(`  git tag --force ${major} v${pkg.version}^{commit}\n  git push --force origin refs/tags/${major}\n`);
  });

  it('refuses an output directory holding anything else, before building', () => {
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep.txt'), 'mine');
    const refused = release(['--dry-run', '--out', busy]);
    expect(refused.stderr).toBe(`release: --out ${busy} holds other files (keep.txt): name a new or empty directory\n`);
    expect(refused.status).toBe(1);
    expect(readFileSync(join(busy, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a malformed repository and an unknown option as usage errors', () => {
    const repository = release(['--dry-run', '--repository', 'not a repo']);
    expect(repository.stderr).toBe('release: --repository must be OWNER/NAME, got "not a repo"\n');
    expect(repository.status).toBe(2);
    const unknown = release(['--dry-runn']);
    expect(unknown.stderr.split('\n')[0]).toBe("release: Unknown option '--dry-runn'");
    expect(unknown.status).toBe(2);
  });
});

describe('release helpers', () => {
  const changelog = [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    '### Added',
    '- next',
    '',
    '## [1.2.0] - 2026-12-01',
    '',
    '### Fixed',
    '- a fix',
    '',
    '## [1.10.0] - 2027-01-01',
    '- later',
    '',
  ].join('\n');

  it('takes a version section of the CHANGELOG up to the next one', () => {
    expect(changelogSection(changelog, '1.2.0')).toBe('### Fixed\n- a fix');
    expect(changelogSection(changelog, 'Unreleased')).toBe('### Added\n- next');
    expect(changelogSection(changelog, '1.2')).toBeUndefined();
    expect(changelogSection(changelog, '2.0.0')).toBeUndefined();
    // The repository's own CHANGELOG has the Unreleased section the dry run falls back to.
    expect(changelogSection(readFileSync(join(REPO_ROOT, 'CHANGELOG.md'), 'utf8'), 'Unreleased')).toMatch(/^### Added\n/);
  });

  it('moves the major tag to the newest release of that major only, never to a prerelease', () => {
    expect(movesMajorTag('1.2.0', [])).toBe(true);
    expect(movesMajorTag('1.2.0', ['v1.1.9', 'v1.2.0', 'v2.0.0', 'v1'])).toBe(true);
    expect(movesMajorTag('1.2.0', ['v1.10.0'])).toBe(false);
    expect(movesMajorTag('1.2.0', ['v1.2.1'])).toBe(false);
    expect(movesMajorTag('1.3.0-rc.1', [])).toBe(false);
  });

  it('a prerelease is created as one, and keeps the major tag where it is', () => {
    const assets = { version: '2.0.0-rc.1', tag: 'v2.0.0-rc.1', repository: 'o/gantry', tarball: 't.tgz', integrity: 'sha512-x', checksums: {} };
    const commands = releaseCommands(assets, '/out', movesMajorTag(assets.version, []));
    expect(commands).toHaveLength(1);
    expect(commands[0]).toContain('--prerelease');
  });
});

describe('where CodeBuild gets the CLI (cliReleaseSource)', () => {
  const url = (repository: string, version: string) => ({ url: `https://github.com/${repository}/releases/download/v${version}/gantry.js` });

  it("is the release asset of the action's own version, from the action's repository, for a release tag or a commit", () => {
    expect(cliReleaseSource({ repository: 'acme/gantry', ref: 'v1' }, '1.4.2')).toEqual(url('acme/gantry', '1.4.2'));
    expect(cliReleaseSource({ repository: 'acme/gantry', ref: 'v1.4' }, '1.4.2')).toEqual(url('acme/gantry', '1.4.2'));
    expect(cliReleaseSource({ repository: 'acme/gantry', ref: 'v1.4.2' }, '1.4.2')).toEqual(url('acme/gantry', '1.4.2'));
    expect(cliReleaseSource({ repository: 'acme/gantry', ref: 'refs/tags/v2.0.0-rc.1' }, '2.0.0-rc.1')).toEqual(url('acme/gantry', '2.0.0-rc.1'));
    expect(cliReleaseSource({ repository: 'acme/gantry', ref: 'a'.repeat(40) }, '1.4.2')).toEqual(url('acme/gantry', '1.4.2'));
  });

  it('is nothing, with the reason, when the action does not run from a release', () => {
    const reason = (repository: string | undefined, ref: string | undefined, version = '1.4.2') => {
      const source = cliReleaseSource({ repository, ref }, version);
      return 'reason' in source ? source.reason : `unexpected ${source.url}`;
    };
    expect(reason(undefined, undefined)).toBe('the action does not run from a gantry release (uses: ./… names no repository and ref)');
    expect(reason('', '')).toBe('the action does not run from a gantry release (uses: ./… names no repository and ref)');
    expect(reason('acme/gantry', 'main')).toBe('the action\'s ref "main" is neither a release tag (v1, v1.2.3) nor a commit SHA');
    expect(reason('acme/gantry', 'v2')).toBe("the action's ref v2 does not agree with its own version 1.4.2");
    expect(reason('acme/gantry', 'v1.5')).toBe("the action's ref v1.5 does not agree with its own version 1.4.2");
    expect(reason('acme/gantry', 'v1.4.2')).toBe('unexpected https://github.com/acme/gantry/releases/download/v1.4.2/gantry.js');
    expect(reason('acme/gantry', 'v1.4.2', '1.4.2-rc.1')).toBe("the action's ref v1.4.2 does not agree with its own version 1.4.2-rc.1");
    expect(reason('acme/gantry/../x', 'v1')).toBe('the action\'s repository "acme/gantry/../x" is not owner/name');
    expect(reason('acme/gantry', 'v1', 'dev')).toBe('the action\'s version "dev" is not a release version (X.Y.Z)');
  });
});
