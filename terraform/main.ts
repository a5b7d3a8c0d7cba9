/**
 * `npm run synth [-- --config FILE] [--out DIR] [--working-directories | --check]`: the Terraform JSON of every
 * environment of the config file, one stack each, in `terraform/cdktf.out/stacks/<environment>/cdk.tf.json`.
 * With `--working-directories`, each stack is also copied to its environment's `terraform.workingDirectory`,
 * where the plan and apply builds run terraform. With `--check`, nothing is written: the committed working-directory
 * copies are compared with a fresh synth. Exit codes: 0 written (or in sync), 1 invalid config (or drift), 2 bad usage.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_FILE } from '../src/config/load.js';
import { describeError, UserError } from '../src/errors.js';
import { checkWorkingDirectories, DEFAULT_OUTDIR, synthesize } from './app.js';

const USAGE = `usage: npm run synth -- [--config FILE] [--out DIR] [--working-directories | --check]
  --config FILE            the gantry config file (default ${DEFAULT_CONFIG_FILE})
  --out DIR                where the stacks go (default ${DEFAULT_OUTDIR})
  --working-directories    also copy each stack to its environment's terraform.workingDirectory
  --check                  write nothing; fail if a committed working-directory copy differs from a fresh synth`;

let values: { config?: string; out?: string; 'working-directories'?: boolean; check?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      'working-directories': { type: 'boolean' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
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

if (values.check === true && (values['working-directories'] === true || values.out !== undefined)) {
  process.stderr.write(`synth: --check writes nothing; it does not go with --working-directories or --out\n${USAGE}\n`);
  process.exit(2);
}

try {
  if (values.check === true) {
    const drift = await checkWorkingDirectories(values.config === undefined ? {} : { configFile: values.config });
    for (const { file, status } of drift) {
      process.stderr.write(`${file}: ${status === 'missing' ? 'missing' : 'differs from a fresh synth'}\n`);
    }
    if (drift.length > 0) {
      process.stderr.write('synth --check: the working-directory copies are stale; run npm run synth -- --working-directories and commit them\n');
      process.exit(1);
    }
    process.stdout.write('synth --check: every working-directory copy matches a fresh synth\n');
    process.exit(0);
  }
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
