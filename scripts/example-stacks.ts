/**
 * `npm run synth:example [-- --check]`: the committed stacks of examples/consumer (`terraform/<env>/cdk.tf.json`),
 * as the gantry of this checkout writes them once installed from its release tarball. The example sets no
 * `schedules.prune.cli`, so its prune projects download the release's CLI: the stacks carry that release's
 * `gantry.js` URL and the SHA-256 of scripts/dist/gantry.js, and change whenever the CLI bundle does (run
 * `npm run bundle` first). The release is the one the tests pack (test/helpers/npm-pack.ts): OWNER/gantry, what
 * the example's workflows call, at package.json's version. test/consumer-example.test.ts runs `gantry synth
 * --check` with that tarball installed, so these files must be what this writes. With --check nothing is
 * written. Exit codes: 0 written (or in sync), 1 a failure (or drift), 2 bad usage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeError } from '../src/errors.js';
import { checkWorkingDirectories, synthesize } from '../terraform/app.js';
import { placeholderRelease } from './release-pack.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE_ROOT = join(ROOT, 'examples', 'consumer');

let values: { check?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({ options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
} catch (error) {
  process.stderr.write(`synth:example: ${describeError(error)}\nusage: npm run synth:example [-- --check]\n`);
  process.exit(2);
}
if (values.help === true) {
  process.stdout.write('usage: npm run synth:example [-- --check]\n');
  process.exit(0);
}

const release = placeholderRelease(ROOT);
try {
  if (values.check === true) {
    const drift = await checkWorkingDirectories({ root: EXAMPLE_ROOT, release });
    for (const { file, status } of drift)
      process.stderr.write(`examples/consumer/${file}: ${status === 'missing' ? 'missing' : 'differs from a fresh synth'}\n`);
    if (drift.length > 0) {
      process.stderr.write('synth:example --check: the example stacks are stale; run npm run bundle, then npm run synth:example, and commit them\n');
      process.exit(1);
    }
    process.stdout.write(`synth:example --check: examples/consumer's stacks match a fresh synth for ${release.repository}@${release.tag}\n`);
    process.exit(0);
  }
  const outdir = mkdtempSync(join(tmpdir(), 'gantry-example-synth-'));
  try {
    const result = await synthesize({ root: EXAMPLE_ROOT, outdir, workingDirectories: true, release });
    for (const stack of result.stacks) process.stdout.write(`${stack.environment}: ${relative('.', stack.copiedTo ?? stack.file)}\n`);
    process.stdout.write(`synthesized ${result.stacks.length} stacks of examples/consumer for ${release.repository}@${release.tag}\n`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
} catch (error) {
  process.stderr.write(`synth:example failed: ${describeError(error)}\n`);
  process.exit(1);
}
