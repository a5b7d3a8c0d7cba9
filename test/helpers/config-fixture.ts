import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './run-bundle.js';

/** The example config shipped in the repository; tests derive broken variants from it. */
export const EXAMPLE_CONFIG_FILE = join(REPO_ROOT, '.github', 'gantry.yml');
export const EXAMPLE_CONFIG = readFileSync(EXAMPLE_CONFIG_FILE, 'utf8');

/** Replaces `from` in the example config, failing loudly if the text is not there (so a fixture cannot rot). */
export function exampleWith(from: string | RegExp, to: string): string {
  const changed = EXAMPLE_CONFIG.replace(from, to);
  if (changed === EXAMPLE_CONFIG) throw new Error(`fixture text not found in the example config: ${String(from)}`);
  return changed;
}
