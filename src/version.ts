/**
 * gantry's version, sent in the user agent of every AWS and GitHub call and printed by `gantry --version`.
 *
 * The bundler injects it at build time (esbuild `define`), so no bundle carries package.json. When the sources
 * run directly (tests, `npm run gantry`), it is read from package.json instead.
 */
import { readFileSync } from 'node:fs';

declare const __GANTRY_VERSION__: string | undefined;

function versionFromPackageJson(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

export const GANTRY_VERSION: string = typeof __GANTRY_VERSION__ === 'string' ? __GANTRY_VERSION__ : versionFromPackageJson();
