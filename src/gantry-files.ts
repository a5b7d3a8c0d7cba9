/**
 * Files gantry ships next to its code (buildspecs, the CLI bundle), found from wherever the running code
 * is: `src/` under tsx, `actions/<name>/dist/` in an action's bundle, `scripts/dist/` in the CLI's. An
 * action's checkout holds the whole repository, so the buildspecs of the same version are always there.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OperationError } from './errors.js';

export function gantryFile(relativePath: string, from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(dir, relativePath);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new OperationError(`gantry's own ${relativePath} is missing next to ${from}; the action's checkout is incomplete`);
}

/** Like gantryFile, but undefined when the file is not there. */
export function optionalGantryFile(relativePath: string, from?: string): string | undefined {
  try {
    return gantryFile(relativePath, from);
  } catch {
    return undefined;
  }
}
