/**
 * `npm run synth [-- --config FILE] [--out DIR] [--working-directories]`: the Terraform JSON of every
 * environment of the config file, one stack each, in `terraform/cdktf.out/stacks/<environment>/cdk.tf.json`.
 * With `--working-directories`, each stack is also copied to its environment's `terraform.workingDirectory`,
 * where the plan and apply builds run terraform. Exit codes: 0 written, 1 invalid config, 2 bad usage.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_FILE } from '../src/config/load.js';
import { describeError, UserError } from '../src/errors.js';
import { DEFAULT_OUTDIR, synthesize } from './app.js';

const USAGE = `usage: npm run synth -- [--config FILE] [--out DIR] [--working-directories]
  --config FILE            the gantry config file (default ${DEFAULT_CONFIG_FILE})
  --out DIR                where the stacks go (default ${DEFAULT_OUTDIR})
  --working-directories    also copy each stack to its environment's terraform.workingDirectory`;

let values: { config?: string; out?: string; 'working-directories'?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { config: { type: 'string' }, out: { type: 'string' }, 'working-directories': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }));
} catch (error) {
  process.stderr.write(`synth: ${describeError(error)}\n${USAGE}\n`);
  process.exit(2);
}

if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

try {
  const started = performance.now();
  const result = await synthesize({
    ...(values.config === undefined ? {} : { configFile: values.config }),
    ...(values.out === undefined ? {} : { outdir: values.out }),
    workingDirectories: values['working-directories'] === true,
  });
  for (const stack of result.stacks) {
    const copied = stack.copiedTo === undefined ? '' : ` (and ${relative('.', stack.copiedTo)})`;
    process.stdout.write(`${stack.environment}: ${relative('.', stack.file)}${copied}\n`);
  }
  process.stdout.write(
    `synthesized ${result.stacks.length} stack${result.stacks.length === 1 ? '' : 's'} from ${relative('.', result.config.file)} in ${Math.round(performance.now() - started)} ms\n`,
  );
} catch (error) {
  if (error instanceof UserError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (process.env.GANTRY_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  process.stderr.write(`synth failed: ${describeError(error)}\n`);
  process.exit(1);
}
