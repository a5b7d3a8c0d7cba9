import { describe, expect, it } from 'vitest';
import { bundleTargets, staleBundles } from '../scripts/bundle.js';

describe('committed bundles', () => {
  it('cover every action and the CLI', async () => {
    const targets = (await bundleTargets()).map((target) => target.outfile);
    expect(targets).toContain('scripts/dist/gantry.js');
    expect(targets).toContain('actions/resolve-environment/dist/index.js');
  });

  it('match a fresh build of their sources (run "npm run bundle" to fix)', async () => {
    expect(await staleBundles()).toEqual([]);
  });
});
