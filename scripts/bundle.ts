/**
 * The one bundler. Bundles are committed (GitHub runs an action without an install) and must start on Node 20
 * and 24.
 *
 * - The actions, minified. Each `actions/<name>/index.ts` (generated from its definition) becomes the entry
 *   `actions/<name>/dist/index.js`, where GitHub looks for it: one file holding its definition, the input parser
 *   and the runner, and nothing else. The work, and with it the AWS SDK or Octokit, is a dynamic import taken
 *   after the inputs parse: `actions/dist/<action>.js`, code-split with the chunks the actions share.
 * - The CLI: `scripts/gantry.ts` → the single file `scripts/dist/gantry.js`, since a CodeBuild build downloads it
 *   as one file (buildspecs: GANTRY_CLI_URL + GANTRY_CLI_SHA256). It is the package's `bin`.
 * - The terraform app for `gantry synth`: `terraform/app.ts` → `scripts/dist/terraform-app.js`, next to the CLI,
 *   which imports it only when `gantry synth` runs. The CDK Terrain bindings stay imports (the package's optional
 *   peer dependencies, installed by those who synthesize), so neither bundle carries 480 MB of bindings and the
 *   CLI starts without them.
 *
 *   npm run bundle                 rebuild everything
 *   npm run bundle -- --analyze    also print what each output is made of (esbuild's metafile analysis)
 *   npm run bundle:check           fail if a committed file differs from a fresh build, or a stale chunk remains
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeMetafile, type BuildOptions, type BuildResult, build, type Plugin } from 'esbuild';
import { TERRAFORM_APP_FILE } from './cli/synth.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the actions' shared chunks go. */
export const CHUNK_DIR = 'actions/dist';
export const CLI_BUNDLE = 'scripts/dist/gantry.js';
/** The terraform app's bundle: next to the CLI's, whose `gantry synth` imports it by this name. */
export const TERRAFORM_BUNDLE = `scripts/dist/${TERRAFORM_APP_FILE}`;
/** The packages `gantry synth` imports at run time from the installing repository's node_modules. */
export const SYNTH_EXTERNALS = ['cdktn', '@cdktn/*', 'constructs'];

/** In the CLI, scripts/cli/synth.ts's import of the terraform app becomes an import of its bundle next to the CLI. */
const terraformAppBeside: Plugin = {
  name: 'gantry-terraform-app-beside-the-cli',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/\.\.\/terraform\/app\.js$/ }, (args) =>
      args.importer.endsWith(join('scripts', 'cli', 'synth.ts')) ? { path: `./${TERRAFORM_APP_FILE}`, external: true } : undefined,
    );
  },
};

async function version(root: string): Promise<string> {
  return (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

async function common(root: string): Promise<BuildOptions> {
  return {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // Node 20 is the oldest runtime a bundle must start on (GitHub runs them on node24).
    target: 'node20',
    // Prefer the packages' ES module builds: smaller bundles, no CommonJS wrappers.
    mainFields: ['module', 'main'],
    minify: true,
    // A few dependencies still call require() on Node built-ins; give them one in the ES module bundle.
    banner: { js: "import{createRequire as __gantryRequire}from'node:module';const require=__gantryRequire(import.meta.url);" },
    define: { __GANTRY_VERSION__: JSON.stringify(await version(root)) },
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
    metafile: true,
    write: false,
  };
}

/**
 * In an action's entry, its definition's dynamic import of the work (`import('../<action>.js')` in
 * src/definitions/) becomes an import of the work's bundle in the chunk folder; `found` collects the sources.
 */
function workInChunkDir(root: string, found: Set<string>): Plugin {
  return {
    name: 'gantry-entry-imports-work',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/[a-z-]+\.js$/ }, (args) => {
        if (args.kind !== 'dynamic-import' || !args.importer.startsWith(join(root, 'src', 'definitions'))) return undefined;
        const name = args.path.slice(3, -3);
        found.add(`src/${name}.ts`);
        return { path: `../../dist/${name}.js`, external: true };
      });
    },
  };
}

export async function actionEntries(root: string = ROOT): Promise<string[]> {
  return (await readdir(join(root, 'actions'), { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && existsSync(join(root, 'actions', entry.name, 'index.ts')))
    .map((entry) => `actions/${entry.name}/index.ts`)
    .sort();
}

/** Builds everything in memory: output path (relative to the root) → content. Deterministic. */
export async function buildAll(root: string = ROOT): Promise<{ files: Map<string, string>; results: BuildResult[] }> {
  const options = await common(root);
  // The actions in two builds. Each entry is one file: its definition, the input parser and the runner, so
  // node loads a single module before it can say an input is missing (`npm run bench`, cold start). The work
  // a definition imports once the inputs parse is code-split apart (the AWS SDK and Octokit are shared between
  // actions). Both carry copies of a few small modules; src/errors.ts and src/workflow-commands.ts say how they
  // stay one. Only the work needs the require() banner.
  const work = new Set<string>();
  const entries = await build({
    ...options,
    banner: {},
    entryPoints: await actionEntries(root),
    outdir: '.',
    outbase: '.',
    entryNames: '[dir]/dist/[name]',
    plugins: [workInChunkDir(root, work)],
  });
  const actions = await build({
    ...options,
    entryPoints: [...work].sort(),
    splitting: true,
    outdir: CHUNK_DIR,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
  });
  const cli = await build({ ...options, entryPoints: ['scripts/gantry.ts'], outfile: CLI_BUNDLE, plugins: [terraformAppBeside] });
  const terraform = await build({ ...options, entryPoints: ['terraform/app.ts'], outfile: TERRAFORM_BUNDLE, external: SYNTH_EXTERNALS });
  const files = new Map<string, string>();
  for (const result of [entries, actions, cli, terraform]) {
    for (const file of result.outputFiles ?? []) files.set(file.path.slice(root.length + 1), file.text);
  }
  return { files, results: [entries, actions, cli, terraform] };
}

/** Files in the output folders (shared chunks, each action's dist/, the CLI's) that the build no longer produces. */
async function staleChunks(root: string, files: Map<string, string>): Promise<string[]> {
  const actions = await readdir(join(root, 'actions'), { withFileTypes: true });
  const dirs = [
    CHUNK_DIR,
    dirname(CLI_BUNDLE),
    ...actions.filter((entry) => entry.isDirectory() && entry.name !== 'dist').map((entry) => `actions/${entry.name}/dist`),
  ];
  const stale: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(join(root, dir))) continue;
    for (const name of await readdir(join(root, dir))) if (!files.has(`${dir}/${name}`)) stale.push(`${dir}/${name}`);
  }
  return stale;
}

/** The committed files that are missing, differ from a fresh build, or are left over from an older one. */
export async function staleBundles(root: string = ROOT): Promise<string[]> {
  const { files } = await buildAll(root);
  const stale: string[] = [];
  for (const [path, text] of files) {
    const committed = await readFile(join(root, path), 'utf8').catch(() => undefined);
    if (committed !== text) stale.push(path);
  }
  return [...stale, ...(await staleChunks(root, files))];
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
  const { files, results } = await buildAll();
  for (const path of await staleChunks(ROOT, files)) await rm(join(ROOT, path));
  let total = 0;
  for (const [path, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    await mkdir(join(ROOT, dirname(path)), { recursive: true });
    await writeFile(join(ROOT, path), text);
    const bytes = Buffer.byteLength(text);
    total += bytes;
    console.log(`${path.padEnd(52)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
  }
  console.log(`${'total'.padEnd(52)} ${(total / 1024).toFixed(1).padStart(8)} KiB`);
  if (process.argv.includes('--analyze')) {
    for (const result of results) if (result.metafile !== undefined) console.log(await analyzeMetafile(result.metafile));
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
