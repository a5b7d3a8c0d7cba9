/**
 * The npm package (@gantry-deploy/gantry) as a consumer installs it: what `npm pack` puts in the tarball, and the
 * tarball installed with npm into a directory outside the gantry tree, whose `gantry` bin then runs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNTH_BINDINGS } from '../scripts/cli/synth.js';
import { EXAMPLE_CONFIG_FILE } from './helpers/config-fixture.js';
import { installPacked, PACKED_RELEASE, type Packed, packDryRun, packInto, runGantry } from './helpers/npm-pack.js';
import { REPO_ROOT } from './helpers/run-bundle.js';

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
const root = realpathSync(mkdtempSync(join(tmpdir(), 'gantry-npm-package-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Exactly what a consumer needs: the CLI and the terraform app's bundles, the release stamp, the buildspecs, and the documents. */
const ALLOWED = [
  /^scripts\/dist\/gantry\.js$/,
  /^scripts\/dist\/terraform-app\.js$/,
  /^scripts\/dist\/release\.json$/,
  /^buildspecs\/[\w.-]+\.(yml|json|md)$/,
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/,
];
const REQUIRED = [
  'package.json',
  'README.md',
  'LICENSE',
  'CHANGELOG.md',
  'scripts/dist/gantry.js',
  'scripts/dist/terraform-app.js',
  'scripts/dist/release.json',
  'buildspecs/terraform-plan.yml',
  'buildspecs/terraform-apply.yml',
  'buildspecs/prune.yml',
  'buildspecs/terraform-version.json',
];

describe('package.json', () => {
  it('is a scoped, publishable package whose bin is the CLI bundle', () => {
    expect(pkg.name).toBe('@gantry-deploy/gantry');
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('MIT');
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(pkg.bin).toEqual({ gantry: 'scripts/dist/gantry.js' });
    expect(readFileSync(join(REPO_ROOT, 'scripts/dist/gantry.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('installs nothing else: the bundles carry their code, and the bindings of gantry synth are optional peers at the tested versions', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies).toEqual(SYNTH_BINDINGS);
    for (const [name, version] of Object.entries(SYNTH_BINDINGS)) {
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
      expect(pkg.devDependencies[name], `${name} is tested at the version it asks for`).toBe(version);
    }
  });

  it('builds nothing on a git install: npm runs no lifecycle script (and installs no devDependencies) for github:OWNER/gantry#v1', () => {
    // pacote prepares a git dependency (installing its devDependencies) only when one of these scripts exists.
    for (const script of ['prepare', 'prepack', 'postpack', 'build', 'preinstall', 'install', 'postinstall'])
      expect(pkg.scripts[script], script).toBeUndefined();
  });
});

describe('npm pack', () => {
  let dryRun: Packed;
  let packed: Packed;
  let tarball: string;
  beforeAll(() => {
    dryRun = packDryRun();
    packed = packInto(root);
    tarball = join(root, packed.filename);
  });

  it('carries what consumers need and nothing else', () => {
    const paths = dryRun.files.map((file) => file.path).sort();
    expect(paths.filter((path) => !ALLOWED.some((allowed) => allowed.test(path)))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(REQUIRED));
    expect(paths.filter((path) => /^(src|test|actions|terraform|node_modules|\.ci|\.github|scripts\/(bench|sandbox|cli))\//.test(path))).toEqual([]);
    expect(dryRun.filename).toBe(`gantry-deploy-gantry-${pkg.version}.tgz`);
  });

  it('is reproducible: the real tarball has the integrity the dry run announced, and holds the committed bundle byte for byte', () => {
    const bytes = readFileSync(tarball);
    expect(`sha512-${createHash('sha512').update(bytes).digest('base64')}`).toBe(packed.integrity);
    expect(packed.integrity).toBe(dryRun.integrity);
    const extracted = join(root, 'extracted');
    mkdirSync(extracted);
    expect(spawnSync('tar', ['-xzf', tarball, '-C', extracted]).status).toBe(0);
    const bundle = (dir: string) => sha256(readFileSync(join(dir, 'scripts', 'dist', 'gantry.js')));
    expect(bundle(join(extracted, 'package'))).toBe(bundle(REPO_ROOT));
    // Packed as a release packs it: stamped with the release it is, here the placeholder one the tests use.
    expect(JSON.parse(readFileSync(join(extracted, 'package', 'scripts', 'dist', 'release.json'), 'utf8'))).toEqual(PACKED_RELEASE);
    expect(PACKED_RELEASE).toEqual({ repository: 'OWNER/gantry', version: pkg.version, tag: `v${pkg.version}` });
    // The extracted CLI runs from a directory outside the gantry tree, with nothing installed.
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    const version = spawnSync(process.execPath, [join(extracted, 'package', 'scripts', 'dist', 'gantry.js'), '--version'], {
      cwd: elsewhere,
      encoding: 'utf8',
    });
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('installs with npm into a repository outside the gantry tree; its gantry bin validates that repository config', () => {
    const consumer = join(root, 'consumer');
    expect(relative(REPO_ROOT, consumer).startsWith('..')).toBe(true);
    installPacked(consumer, tarball);
    const lock = JSON.parse(readFileSync(join(consumer, 'package-lock.json'), 'utf8')) as { packages: Record<string, { integrity?: string }> };
    expect(lock.packages['node_modules/@gantry-deploy/gantry']?.integrity).toBe(packed.integrity);
    // Only gantry itself: no dependency, and no optional peer pulled in.
    expect(Object.keys(lock.packages).filter((path) => path !== '')).toEqual(['node_modules/@gantry-deploy/gantry']);

    expect(runGantry(consumer, ['--version']).stdout.trim()).toBe(pkg.version);
    mkdirSync(join(consumer, '.github'));
    copyFileSync(EXAMPLE_CONFIG_FILE, join(consumer, '.github', 'gantry.yml'));
    const validate = runGantry(consumer, ['config', 'validate']);
    expect(validate.stderr).toBe('');
    expect(validate.stdout).toBe('.github/gantry.yml: valid; 3 environments: dev → qa → prod\n');
    expect(validate.status).toBe(0);
  });
});
