/**
 * `npm run validate:terraform [-- --config FILE …] [--registry] [--keep DIR]`: synthesizes every stack of the
 * config files (the example config and test/fixtures/terraform-options/gantry.yml by default) and runs
 * `terraform init -backend=false` and `terraform validate` on each (terraform/validate.ts).
 *
 * The provider comes from the filesystem mirror in GANTRY_TERRAFORM_PROVIDER_MIRROR (offline), or with
 * `--registry` from registry.terraform.io at the pinned version. With neither, it says it did not run and
 * exits 0. Exit codes: 0 valid (or skipped), 1 invalid or failed, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { describeError } from '../src/errors.js';
import { formatReport, MIRROR_ENV, VALIDATED_CONFIGS, validateStacks } from '../terraform/validate.js';

const USAGE = `usage: npm run validate:terraform -- [--config FILE …] [--registry] [--keep DIR]
  --config FILE   a gantry config to synthesize and validate (repeatable; default ${VALIDATED_CONFIGS.join(' and ')})
  --registry      download the pinned hashicorp/aws from registry.terraform.io instead of using ${MIRROR_ENV}
  --keep DIR      work in DIR and leave the validated copies there`;

let values: { config?: string[]; registry?: boolean; keep?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { config: { type: 'string', multiple: true }, registry: { type: 'boolean' }, keep: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }));
} catch (error) {
  process.stderr.write(`validate:terraform: ${describeError(error)}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const mirror = process.env[MIRROR_ENV] === '' ? undefined : process.env[MIRROR_ENV];
if (mirror === undefined && values.registry !== true) {
  process.stdout.write(
    `validate:terraform: SKIPPED, nothing was validated: ${MIRROR_ENV} is not set. Set it to a filesystem mirror of hashicorp/aws ` +
      `(the directory holding registry.terraform.io/hashicorp/aws/<version>/), or pass --registry to download the pinned provider.\n`,
  );
  process.exit(0);
}

try {
  const report = await validateStacks({
    configs: values.config ?? VALIDATED_CONFIGS,
    ...(values.registry === true ? { registry: true } : { mirror }),
    ...(values.keep === undefined ? {} : { workDir: values.keep }),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`validate:terraform: ${describeError(error)}\n`);
  process.exit(1);
}
