/**
 * The one bundler: every action's `actions/<name>/index.ts` → `actions/<name>/dist/index.js`, and the CLI
 * `scripts/gantry.ts` → `scripts/dist/gantry.js`. Bundles are committed (GitHub runs them without an
 * install) and must run on Node 20 and 24.
 *
 *   npm run bundle          rebuild every bundle
 *   npm run bundle:check    fail if a committed bundle differs from a fresh build
 */
import { build, type BuildOptions } from 'esbuild';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BundleTarget {
  entry: string;
  outfile: string;
}

export async function bundleTargets(root: string = ROOT): Promise<BundleTarget[]> {
  const actions = (await readdir(join(root, 'actions'), { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && existsSync(join(root, 'actions', entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
  return [
    ...actions.map((name) => ({ entry: `actions/${name}/index.ts`, outfile: `actions/${name}/dist/index.js` })),
    { entry: 'scripts/gantry.ts', outfile: 'scripts/dist/gantry.js' },
  ];
}

const OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Node 20 is the oldest runtime a bundle must start on (GitHub runs them on node24).
  target: 'node20',
  // Prefer the packages' ES module builds: smaller bundles, no CommonJS wrappers.
  mainFields: ['module', 'main'],
  // A few dependencies still call require() on Node built-ins; give them one in the ES module bundle.
  banner: { js: "import { createRequire as __gantryCreateRequire } from 'node:module';\nconst require = __gantryCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
  write: false,
};

/** Builds one bundle in memory. Deterministic: the same sources give the same bytes. */
export async function buildBundle(target: BundleTarget, root: string = ROOT): Promise<string> {
  const result = await build({ ...OPTIONS, absWorkingDir: root, entryPoints: [target.entry], outfile: target.outfile });
  const [file] = result.outputFiles ?? [];
  if (file === undefined) throw new Error(`esbuild produced nothing for ${target.entry}`);
  return file.text;
}

/** The bundles whose committed file is missing or differs from a fresh build. */
export async function staleBundles(root: string = ROOT): Promise<string[]> {
  const stale: string[] = [];
  for (const target of await bundleTargets(root)) {
    const fresh = await buildBundle(target, root);
    const committed = await readFile(join(root, target.outfile), 'utf8').catch(() => undefined);
    if (committed !== fresh) stale.push(target.outfile);
  }
  return stale;
}

async function main(): Promise<void> {
  if (process.argv.includes('--check')) {
    const stale = await staleBundles();
    if (stale.length > 0) {
      console.error(`Bundles out of date: ${stale.join(', ')}. Run "npm run bundle" and commit the result.`);
      process.exitCode = 1;
      return;
    }
    console.log('All bundles match their sources.');
    return;
  }
  for (const target of await bundleTargets()) {
    const text = await buildBundle(target);
    await mkdir(join(ROOT, dirname(target.outfile)), { recursive: true });
    await writeFile(join(ROOT, target.outfile), text);
    console.log(`${relative(ROOT, join(ROOT, target.outfile))}  ${(text.length / 1024).toFixed(0)} KiB`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
