/**
 * gantry as a consumer gets it: the `npm pack` tarball of this checkout, installed into a directory outside the
 * gantry tree with npm itself (offline: the package has no dependencies to fetch).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, REPO_ROOT } from './run-bundle.js';

export interface PackedFile {
  path: string;
  size: number;
  mode: number;
}

export interface Packed {
  filename: string;
  integrity: string;
  size: number;
  files: PackedFile[];
}

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

function packResult(result: SpawnSyncReturns<string>): Packed {
  if (result.status !== 0) throw new Error(`npm pack failed (${result.status}): ${result.stderr}`);
  const [packed] = JSON.parse(result.stdout) as Packed[];
  if (packed === undefined) throw new Error(`npm pack printed no package: ${result.stdout}`);
  return packed;
}

/** What `npm pack` would put in the tarball, without writing it. */
export const packDryRun = (): Packed => packResult(npm(['pack', '--dry-run', '--json'], REPO_ROOT));

/** Writes the tarball into `dir`; its path is `join(dir, filename)`. */
export const packInto = (dir: string): Packed => packResult(npm(['pack', '--json', '--pack-destination', dir], REPO_ROOT));

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
