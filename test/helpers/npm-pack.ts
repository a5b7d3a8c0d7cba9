/**
 * gantry as a consumer gets it: the tarball of this checkout as a release packs it (`npm pack` with the release
 * stamp, scripts/release-pack.ts, for the placeholder repository OWNER/gantry at package.json's version),
 * installed into a directory outside the gantry tree with npm itself (offline: the package has no dependencies
 * to fetch).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Packed, packRelease, placeholderRelease } from '../../scripts/release-pack.js';
import type { ReleaseStamp } from '../../src/release-stamp.js';
import { cleanEnv, REPO_ROOT } from './run-bundle.js';

export type { Packed, PackedFile } from '../../scripts/release-pack.js';

/** The release the packed tarball says it is: OWNER/gantry (what the example's workflows call) at this version. */
export const PACKED_RELEASE: ReleaseStamp = placeholderRelease(REPO_ROOT);

/**
 * The environment of a child: without the npm_* variables of an `npm test` around the suite, nor the GitHub and
 * AWS ones of a CI job (GITHUB_WORKSPACE would confine the CLI to the gantry checkout).
 */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(cleanEnv()).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

export function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8' });
}

/** What the tarball would hold, without writing it. */
export const packDryRun = (): Packed => packRelease({ root: REPO_ROOT, stamp: PACKED_RELEASE, env: npmEnv() });

/** Writes the tarball into `dir`; its path is `join(dir, filename)`. */
export const packInto = (dir: string): Packed => packRelease({ root: REPO_ROOT, stamp: PACKED_RELEASE, out: dir, env: npmEnv() });

/** A consumer repository at `dir` (outside the gantry tree) with the tarball installed as a dev dependency. */
export function installPacked(dir: string, tarball: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2)}\n`);
  const result = npm(['install', '--save-dev', '--offline', '--no-audit', '--no-fund', tarball], dir);
  if (result.status !== 0) throw new Error(`npm install of ${tarball} failed (${result.status}): ${result.stderr}`);
}

/** The installed CLI, as `npx gantry` runs it: the bin link npm made. */
export function runGantry(consumer: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(join(consumer, 'node_modules', '.bin', 'gantry'), args, { cwd: consumer, env: npmEnv(), encoding: 'utf8' });
}
