import type { Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionEntries, buildAll, staleBundles } from '../scripts/bundle.js';
import { ACTIONS } from '../src/definitions/index.js';

/** Every source module an output loads before its code runs: its own and its static imports', transitively. */
function staticInputs(metafile: Metafile, output: string, seen = new Set<string>()): Set<string> {
  if (seen.has(output)) return new Set();
  seen.add(output);
  const info = metafile.outputs[output]!;
  const inputs = new Set(Object.keys(info.inputs));
  for (const imported of info.imports) {
    if (imported.kind !== 'import-statement' || imported.external === true) continue;
    for (const input of staticInputs(metafile, imported.path, seen)) inputs.add(input);
  }
  return inputs;
}

describe('committed bundles', () => {
  let metafile: Metafile;
  beforeAll(async () => {
    metafile = (await buildAll()).results[0]!.metafile!;
  });

  it('have an entry for every defined action', async () => {
    expect(await actionEntries()).toEqual(ACTIONS.map((definition) => `actions/${definition.name}/index.ts`).sort());
  });

  it.each(ACTIONS.map((definition) => definition.name))('%s parses its inputs before it loads an SDK, the config schema or YAML', (name) => {
    const loaded = [...staticInputs(metafile, `actions/${name}/dist/index.js`)];
    expect(loaded).toContain(`src/definitions/${name}.ts`);
    const heavy = loaded.filter(
      (input) => /node_modules\/(@aws-sdk|@smithy|@octokit|@actions|undici|yaml|zod)\//.test(input) || input.startsWith('src/config/'),
    );
    expect(heavy).toEqual([]);
  });

  it('match a fresh build of their sources, with no stale chunk left (run "npm run bundle" to fix)', async () => {
    expect(await staleBundles()).toEqual([]);
  });
});
