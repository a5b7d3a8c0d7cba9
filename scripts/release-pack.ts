/**
 * The package tarball as a release ships it: `npm pack` of the package's files with the release stamp added,
 * `scripts/dist/release.json` ({ repository, version, tag }, src/release-stamp.ts), which tells the installed
 * `gantry synth` which release's CLI the prune builds download. `npm run release` packs with it, and so do the
 * tests that install gantry as a consumer does (test/helpers/npm-pack.ts, with the placeholder repository).
 *
 * It packs a staging copy of exactly the files `npm pack` takes from the checkout, plus the stamp: the stamp is
 * never written into the working tree, where `bundle:check` would find a file no build makes and every synth of
 * the checkout would take it for a release, and two packs at once (parallel tests) cannot see each other's.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { RELEASE_STAMP_FILE, type ReleaseStamp, releaseStamp, releaseStampText } from '../src/release-stamp.js';

/** Stands in for the repository of a release that is not told it: a dry run outside GitHub Actions, the tests. */
export const PLACEHOLDER_REPOSITORY = 'OWNER/gantry';

/**
 * The release of the checkout at `root` in the placeholder repository: what a dry run stamps without
 * --repository, what the tests' tarball is stamped with, and the release examples/consumer's stacks are for
 * (its workflows call OWNER/gantry).
 */
export function placeholderRelease(root: string): ReleaseStamp {
  return releaseStamp(PLACEHOLDER_REPOSITORY, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
}

export interface PackedFile {
  path: string;
  size: number;
  mode: number;
}

/** What `npm pack --json` reports of the tarball. */
export interface Packed {
  filename: string;
  integrity: string;
  size: number;
  files: PackedFile[];
}

function packResult(result: SpawnSyncReturns<string>, where: string): Packed {
  if (result.status !== 0) {
    throw new Error(
      `npm pack in ${where} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr.trim().split('\n').slice(-3).join(' ')}`,
    );
  }
  const [packed] = JSON.parse(result.stdout) as Packed[];
  if (packed === undefined) throw new Error(`npm pack in ${where} printed no package: ${result.stdout.slice(0, 200)}`);
  return packed;
}

const npmPack = (args: string[], cwd: string, env: NodeJS.ProcessEnv): Packed =>
  packResult(spawnSync('npm', ['pack', '--json', ...args], { cwd, env, encoding: 'utf8' }), cwd);

export interface PackOptions {
  /** The gantry checkout. */
  root: string;
  stamp: ReleaseStamp;
  /** Where the tarball goes; without it, a dry run that writes nothing and reports what the tarball would be. */
  out?: string;
  env?: NodeJS.ProcessEnv;
}

/** Packs the checkout's package with the release stamp (see above); the tarball is `join(out, filename)`. */
export function packRelease(options: PackOptions): Packed {
  const env = options.env ?? process.env;
  const listed = npmPack(['--dry-run'], options.root, env);
  const staging = mkdtempSync(join(tmpdir(), 'gantry-pack-'));
  try {
    for (const { path } of listed.files) {
      // A stray stamp in the checkout (the file is gitignored) never ships: the stamp is the release's.
      if (path === RELEASE_STAMP_FILE) continue;
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      copyFileSync(join(options.root, path), join(staging, path));
    }
    mkdirSync(dirname(join(staging, RELEASE_STAMP_FILE)), { recursive: true });
    writeFileSync(join(staging, RELEASE_STAMP_FILE), releaseStampText(options.stamp));
    return npmPack(options.out === undefined ? ['--dry-run'] : ['--pack-destination', resolve(options.out)], staging, env);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
