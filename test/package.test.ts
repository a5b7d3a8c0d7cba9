/**
 * Function packages: the config's `build`, the byte-reproducible zip, and `gantry package` (the bundled CLI, run
 * in a repository the way the plan build runs it).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { MemoryLogger } from '../src/logger.js';
import { buildPackage } from '../src/package/build.js';
import { packageBuild, packagePath } from '../src/package/settings.js';
import { crc32, directoryEntries, zipEntries } from '../src/package/zip.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';
import { cleanEnv, REPO_ROOT, runNode } from './helpers/run-bundle.js';

const CLI = join(REPO_ROOT, 'scripts', 'dist', 'gantry.js');
const FUNCTIONS = join(REPO_ROOT, 'scripts', 'demo-app', 'functions');
const hasUnzip = spawnSync('unzip', ['-v'], { encoding: 'utf8' }).status === 0;

const root = mkdtempSync(join(tmpdir(), 'gantry-package-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
function dir(name: string): string {
  const path = join(root, `${++count}-${name}`);
  mkdirSync(path, { recursive: true });
  return path;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A handler directory with a nested folder, an executable, an empty folder and a link inside it. */
function handlerSource(at: string, options: { mtime: Date; fileMode: number }): string {
  mkdirSync(join(at, 'lib', 'deep'), { recursive: true });
  mkdirSync(join(at, 'empty'));
  writeFileSync(join(at, 'index.mjs'), "export const handler = async () => ({ ok: true, 'ünïcode': '✓' });\n");
  writeFileSync(join(at, 'lib', 'deep', 'data.json'), JSON.stringify({ big: 'x'.repeat(5000) }));
  writeFileSync(join(at, 'lib', 'tiny.txt'), 'a');
  writeFileSync(join(at, 'bootstrap'), '#!/bin/sh\necho hi\n');
  writeFileSync(join(at, 'ünïcode.txt'), 'named in UTF-8');
  symlinkSync('lib/tiny.txt', join(at, 'tiny-link'));
  for (const file of ['index.mjs', 'lib/deep/data.json', 'lib/tiny.txt', 'ünïcode.txt']) chmodSync(join(at, file), options.fileMode);
  chmodSync(join(at, 'bootstrap'), 0o700);
  for (const path of ['index.mjs', 'lib/deep/data.json', 'lib/tiny.txt', 'bootstrap', 'ünïcode.txt', 'lib', 'lib/deep', 'empty', '.']) {
    utimesSync(join(at, path), options.mtime, options.mtime);
  }
  return at;
}

interface CentralEntry {
  name: string;
  madeBy: number;
  flags: number;
  method: number;
  time: number;
  date: number;
  extraLength: number;
  mode: number;
  crc: number;
}

/** The central directory, read field by field (what a zip tool trusts). */
function centralDirectory(zip: Buffer): CentralEntry[] {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const entries: CentralEntry[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let index = 0; index < zip.readUInt16LE(end + 10); index++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    expect(zip.readUInt16LE(local + 28), 'local extra field length').toBe(0);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      madeBy: zip.readUInt16LE(at + 4),
      flags: zip.readUInt16LE(at + 8),
      method: zip.readUInt16LE(at + 10),
      time: zip.readUInt16LE(at + 12),
      date: zip.readUInt16LE(at + 14),
      extraLength,
      mode: zip.readUInt32LE(at + 38) >>> 16,
      crc: zip.readUInt32LE(at + 16),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

describe('the zip', () => {
  it('is byte-identical for the same files, whatever their times, permission bits, listing order or the time zone', async () => {
    const first = handlerSource(dir('a'), { mtime: new Date('2024-05-06T07:08:09Z'), fileMode: 0o644 });
    const second = handlerSource(dir('b'), { mtime: new Date('2031-12-31T23:59:58Z'), fileMode: 0o664 });
    const a = zipEntries(await directoryEntries(first));
    const b = zipEntries((await directoryEntries(second)).reverse());
    expect(sha256(b)).toBe(sha256(a));
    // The zip writer takes no time from the clock or the zone: another zone in a fresh process gives the same bytes.
    const other = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./src/package/zip.ts').then(async (m) => process.stdout.write(m.zipEntries(await m.directoryEntries(${JSON.stringify(first)})).toString('base64')))`,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, TZ: 'Pacific/Kiritimati' } },
    );
    expect(other.stderr).toBe('');
    expect(sha256(Buffer.from(other.stdout, 'base64'))).toBe(sha256(a));
  });

  it('sorts its entries, fixes their time to 1980-01-01 and their modes, and has no extra fields', async () => {
    const zip = zipEntries(await directoryEntries(handlerSource(dir('src'), { mtime: new Date(), fileMode: 0o600 })));
    const entries = centralDirectory(zip);
    expect(entries.map((entry) => entry.name)).toEqual([
      'bootstrap',
      'empty/',
      'index.mjs',
      'lib/',
      'lib/deep/',
      'lib/deep/data.json',
      'lib/tiny.txt',
      'tiny-link',
      'ünïcode.txt',
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ madeBy: (3 << 8) | 20, flags: 0x0800, time: 0, date: (1 << 5) | 1, extraLength: 0 });
    }
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    expect(byName.get('bootstrap')?.mode).toBe(0o100755);
    expect(byName.get('index.mjs')?.mode).toBe(0o100644);
    expect(byName.get('lib/')?.mode).toBe(0o40755);
    expect(byName.get('tiny-link')?.mode).toBe(0o120777);
    expect(byName.get('lib/deep/data.json')?.method).toBe(8);
    expect(byName.get('lib/tiny.txt')?.method).toBe(0);
    expect(byName.get('lib/tiny.txt')?.crc).toBe(crc32(Buffer.from('a')));
  });

  it('unzips to the same files', async () => {
    const source = handlerSource(dir('src'), { mtime: new Date(), fileMode: 0o644 });
    const zip = zipEntries(await directoryEntries(source));
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(centralDirectory(zip).map((entry) => entry.name));
    expect(Buffer.from(files['lib/deep/data.json']!).toString()).toBe(readFileSync(join(source, 'lib', 'deep', 'data.json'), 'utf8'));
    expect(Buffer.from(files['ünïcode.txt']!).toString()).toBe('named in UTF-8');
    expect(Buffer.from(files['tiny-link']!).toString()).toBe('lib/tiny.txt');
  });

  it.skipIf(!hasUnzip)('passes unzip -t and extracts with its modes and links', async () => {
    const source = handlerSource(dir('src'), { mtime: new Date(), fileMode: 0o644 });
    const zipFile = join(dir('zip'), 'package.zip');
    writeFileSync(zipFile, zipEntries(await directoryEntries(source)));
    const tested = spawnSync('unzip', ['-t', zipFile], { encoding: 'utf8' });
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toContain('No errors detected');
    const out = dir('out');
    const extracted = spawnSync('unzip', ['-q', zipFile, '-d', out], { encoding: 'utf8' });
    expect(extracted.status, extracted.stderr).toBe(0);
    expect(readFileSync(join(out, 'index.mjs'), 'utf8')).toBe(readFileSync(join(source, 'index.mjs'), 'utf8'));
    expect(readFileSync(join(out, 'tiny-link'), 'utf8')).toBe('a');
    expect(existsSync(join(out, 'empty'))).toBe(true);
    expect(spawnSync(join(out, 'bootstrap'), { encoding: 'utf8' }).stdout).toBe('hi\n');
  });

  it('refuses a link out of the directory, which would dangle in Lambda', async () => {
    const source = dir('src');
    writeFileSync(join(source, 'index.mjs'), '');
    mkdirSync(join(source, 'node_modules'));
    symlinkSync('../../elsewhere', join(source, 'node_modules', 'shared'));
    await expect(directoryEntries(source, 'functions/api')).rejects.toThrow(
      'functions/api/node_modules/shared: a symbolic link to ../../elsewhere, outside the directory the package is made of; the link would dangle',
    );
  });
});

describe('config: build and package', () => {
  const FILE = '.github/gantry.yml';
  const errorOf = (text: string) => {
    try {
      parseConfig(text, FILE);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the config to be refused');
  };

  it('resolves the defaults: functions/<name> zipped as it is into dist/functions/<name>.zip', () => {
    const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);
    const [router, worker] = config.environments.get('dev')!.functions;
    expect(packageBuild(router!)).toEqual({
      function: 'router',
      source: 'functions/router',
      command: { kind: 'default' },
      directory: 'functions/router',
      output: 'dist/functions/router.zip',
    });
    expect(packageBuild(worker!)).toEqual({
      function: 'worker',
      source: 'functions/worker',
      command: { kind: 'shell', command: 'node build.mjs' },
      directory: 'functions/worker/dist',
      output: 'dist/functions/worker.zip',
    });
    expect(packagePath({ name: 'api', package: 'build/api.zip' })).toBe('build/api.zip');
    expect(packageBuild({ name: 'api', build: { source: 'services/api/', command: '  ' } })).toMatchObject({
      source: 'services/api',
      command: { kind: 'none' },
      directory: 'services/api',
    });
  });

  it.each([
    [
      'a build directory leaving its source',
      exampleWith('build: { command: node build.mjs, directory: dist }', 'build: { directory: ../dist }'),
      // The anchor's mapping is qa's and prod's worker too: one problem, three places.
      `${FILE}:30:29: environments.dev.functions.1.build.directory: expected a relative path without "..", got "../dist" (and 2 more problems)`,
    ],
    [
      'an unknown build key',
      exampleWith('build: { command: node build.mjs, directory: dist }', 'build: { run: make }'),
      `${FILE}:30:18: environments.dev.functions.1.build.run: unknown key "run"; expected one of source, command, directory (and 2 more problems)`,
    ],
    [
      'a package inside the directory it is zipped from',
      exampleWith('build: { command: node build.mjs, directory: dist }', 'package: functions/worker/worker.zip'),
      `${FILE}:30:18: environments.dev.functions.1.package: package functions/worker/worker.zip is inside functions/worker, the directory it is zipped from; put the zip elsewhere`,
    ],
    [
      'two functions building one package differently',
      exampleWith('build: { command: node build.mjs, directory: dist }', 'package: dist/functions/router.zip'),
      `${FILE}:30:18: environments.dev.functions.1.package: package dist/functions/router.zip is also function "router"'s, built from other settings; give each function its own package`,
    ],
  ])('refuses %s with one line', (_what, text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });

  it('lets functions share a package built the same way', () => {
    const text = exampleWith(
      'build: { command: node build.mjs, directory: dist }',
      'package: dist/functions/router.zip\n        build: { source: functions/router }',
    );
    expect(parseConfig(text, FILE).environments.get('dev')?.functions.map(packagePath)).toEqual(['dist/functions/router.zip', 'dist/functions/router.zip']);
  });
});

describe('buildPackage', () => {
  function repo(): string {
    const path = dir('repo');
    cpSync(FUNCTIONS, join(path, 'functions'), { recursive: true, filter: (source) => !/\/dist(\/|$)/.test(source) });
    return path;
  }
  const options = (at: string) => ({ root: at, logger: new MemoryLogger(), env: cleanEnv() });

  it('runs the command in the source directory, then zips the output directory', async () => {
    const at = repo();
    const opts = options(at);
    const built = await buildPackage({ ...packageBuild({ name: 'worker', build: { command: 'node build.mjs', directory: 'dist' } }) }, opts);
    expect(built).toMatchObject({ function: 'worker', output: 'dist/functions/worker.zip', files: 1, command: 'node build.mjs' });
    expect(built.sha256).toBe(sha256(readFileSync(join(at, 'dist', 'functions', 'worker.zip'))));
    expect(opts.logger.lines).toEqual([
      'worker: functions/worker$ node build.mjs',
      expect.stringMatching(/^build\.mjs: dist\/index\.mjs \(\d+ bytes of source\)$/),
    ]);
    expect(Object.keys(unzipSync(readFileSync(join(at, built.output))))).toEqual(['index.mjs']);
  });

  it('runs npm ci --omit=dev by default when the source has a package-lock.json, nothing otherwise', async () => {
    const at = repo();
    const lock = { name: 'router', lockfileVersion: 3, requires: true, packages: { '': { name: 'router' } } };
    writeFileSync(join(at, 'functions', 'router', 'package-lock.json'), JSON.stringify(lock));
    const opts = options(at);
    const built = await buildPackage(packageBuild({ name: 'router' }), opts);
    expect(opts.logger.lines[0]).toBe('router: functions/router$ npm ci --omit=dev --no-audit --no-fund');
    expect(built.command).toBe('npm ci --omit=dev --no-audit --no-fund');
    expect(Object.keys(unzipSync(readFileSync(join(at, built.output)))).sort()).toEqual(['index.mjs', 'package-lock.json', 'package.json']);
    const plain = await buildPackage(packageBuild({ name: 'worker', build: { directory: 'src' } }), options(at));
    expect(plain.command).toBeUndefined();
  });

  it('fails with one line when the source is missing, the command fails or nothing is left to zip', async () => {
    const at = repo();
    await expect(buildPackage(packageBuild({ name: 'api' }), options(at))).rejects.toThrow(
      "function api: its source functions/api is not a directory; set the function's build.source (functions/<name> unless set)",
    );
    await expect(buildPackage(packageBuild({ name: 'worker', build: { command: 'echo broken >&2; exit 4' } }), options(at))).rejects.toThrow(
      'function worker: "echo broken >&2; exit 4" in functions/worker failed (exit 4); the package was not built',
    );
    await expect(buildPackage(packageBuild({ name: 'worker', build: { directory: 'out' } }), options(at))).rejects.toThrow(
      "function worker: functions/worker/out is not a directory; check the function's build.directory",
    );
    mkdirSync(join(at, 'functions', 'worker', 'empty'));
    await expect(buildPackage(packageBuild({ name: 'worker', build: { directory: 'empty' } }), options(at))).rejects.toThrow(
      'function worker: functions/worker/empty holds no file; a package needs its handler',
    );
  });
});

describe('gantry package (bundled CLI)', () => {
  function repo(config: string = EXAMPLE_CONFIG): string {
    const path = dir('repo');
    cpSync(FUNCTIONS, join(path, 'functions'), { recursive: true, filter: (source) => !/\/dist(\/|$)/.test(source) });
    mkdirSync(join(path, '.github'));
    writeFileSync(join(path, '.github', 'gantry.yml'), config);
    return path;
  }
  const run = (cwd: string, ...args: string[]) => runNode(CLI, ['package', ...args], cleanEnv(), cwd);

  it("builds the environment's packages and prints sha256sum lines; the same source gives the same bytes", async () => {
    const first = repo();
    const result = await run(first, '--environment', 'dev', '--copy-to', '.gantry/out/packages');
    expect(result.code, result.stderr).toBe(0);
    const digest = (path: string) => sha256(readFileSync(join(first, path)));
    expect(result.stdout).toBe(
      `${digest('dist/functions/router.zip')}  dist/functions/router.zip\n${digest('dist/functions/worker.zip')}  dist/functions/worker.zip\n`,
    );
    expect(result.stderr).toContain('worker: functions/worker$ node build.mjs');
    expect(result.stderr).toMatch(/worker: functions\/worker\/dist → dist\/functions\/worker\.zip: 1 file, \d+ bytes, sha256 [0-9a-f]{64}/);
    for (const path of ['dist/functions/router.zip', 'dist/functions/worker.zip']) {
      expect(digest(join('.gantry/out/packages', path))).toBe(digest(path));
    }
    const sums = spawnSync('sha256sum', ['-c', '-'], { cwd: first, input: result.stdout, encoding: 'utf8' });
    expect(sums.stdout).toBe('dist/functions/router.zip: OK\ndist/functions/worker.zip: OK\n');

    // Another checkout of the same source, another environment with the same functions: the same zips.
    const second = repo();
    const again = await run(second, '--environment', 'prod');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(result.stdout);
  });

  it('fails with one line, naming the function, when a build fails', async () => {
    const broken = repo(EXAMPLE_CONFIG.replace('command: node build.mjs', 'command: node missing.mjs'));
    const result = await run(broken, '--environment', 'dev');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'error: function worker: "node missing.mjs" in functions/worker failed (exit 1); the package was not built',
    );
    // An environment the config does not have is a bad option: usage (2).
    expect(await run(broken, '--environment', 'stage')).toMatchObject({ code: 2 });
    expect((await run(broken)).stderr).toContain('option --environment: is required');
  });
});
