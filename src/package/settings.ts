/**
 * Where a function's deployment package comes from and where it goes: the config's `build` and `package`,
 * with the defaults filled in. One place for them, read by `gantry package` (which builds the zip) and by the
 * terraform app (which deploys it).
 */
import { posix } from 'node:path';
import type { FunctionSettings } from '../config/schema.js';

/** The directory a function's source is in unless `build.source` says. */
export const DEFAULT_SOURCE_ROOT = 'functions';
/** The directory the packages go to unless `package` says. */
export const DEFAULT_PACKAGE_ROOT = 'dist/functions';
/** What the default build runs in a source directory that has a package-lock.json. */
export const DEFAULT_NPM_COMMAND = 'npm ci --omit=dev --no-audit --no-fund';

/** Where a function's deployment package is, relative to the repository root, unless `package` says. */
export function packagePath(fn: Pick<FunctionSettings, 'name' | 'package'>): string {
  return fn.package ?? `${DEFAULT_PACKAGE_ROOT}/${fn.name}.zip`;
}

/** A function's package build, every path relative to the repository root and normalized. */
export interface PackageBuild {
  /** The function's short name. */
  function: string;
  /** The directory the command runs in. */
  source: string;
  /**
   * The shell command run in `source` before zipping: the config's; the default (npm ci when the directory
   * has a package-lock.json, nothing otherwise: decided when the build runs); or none (`command: ""`).
   */
  command: { kind: 'shell'; command: string } | { kind: 'default' } | { kind: 'none' };
  /** The directory whose contents become the zip's root. */
  directory: string;
  /** The zip, where terraform reads it. */
  output: string;
}

export function packageBuild(fn: Pick<FunctionSettings, 'name' | 'package' | 'build'>): PackageBuild {
  const source = posix.normalize(fn.build?.source ?? `${DEFAULT_SOURCE_ROOT}/${fn.name}`).replace(/\/+$/, '');
  const command = fn.build?.command;
  return {
    function: fn.name,
    source,
    command: command === undefined ? { kind: 'default' } : command.trim() === '' ? { kind: 'none' } : { kind: 'shell', command },
    directory: posix.normalize(posix.join(source, fn.build?.directory ?? '.')).replace(/\/+$/, ''),
    output: posix.normalize(packagePath(fn)),
  };
}

/** Two builds that make the same zip the same way: one build serves both functions. */
export function sameBuild(a: PackageBuild, b: PackageBuild): boolean {
  return a.output === b.output && a.source === b.source && a.directory === b.directory && JSON.stringify(a.command) === JSON.stringify(b.command);
}

/** Whether `path` is `directory` or inside it (both normalized, relative to the same root). */
export function isInside(path: string, directory: string): boolean {
  return directory === '.' || path === directory || path.startsWith(`${directory}/`);
}
