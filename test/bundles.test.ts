import { describe, expect, it } from 'vitest';
import { actionEntries, staleBundles } from '../scripts/bundle.js';
import { ACTIONS } from '../src/definitions/index.js';

describe('committed bundles', () => {
  it('have an entry for every defined action', async () => {
    expect(await actionEntries()).toEqual(ACTIONS.map((definition) => `actions/${definition.name}/index.ts`).sort());
  });

  it('match a fresh build of their sources, with no stale chunk left (run "npm run bundle" to fix)', async () => {
    expect(await staleBundles()).toEqual([]);
  });
});
