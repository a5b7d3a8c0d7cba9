/**
 * `gantry synth`: the terraform/ app run from a consumer's repository, with its config. Writes each environment's
 * stack to `<terraform.workingDirectory>/cdk.tf.json` (where the plan and apply builds run terraform), or to
 * `<out>/<environment>/cdk.tf.json`; `--check` writes nothing and fails when a committed copy differs.
 *
 * The app needs the CDK Terrain bindings (cdktn, @cdktn/provider-aws, constructs: about 480 MB), which the package
 * lists as optional peer dependencies: installed by those who synthesize, not by every CLI install. The app
 * itself is loaded only here, from `terraform-app.js` next to the CLI bundle (scripts/bundle.ts builds it with the
 * bindings left as imports), so the CLI starts without them. It reads gantry's buildspecs from the installed
 * package, never from the consumer's checkout.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { loadWorkspaceConfig } from '../../src/config/load.js';
import { configInput } from '../../src/definition/common-inputs.js';
import { defineCommand } from '../../src/definition/define.js';
import { boolean, text } from '../../src/definition/input-types.js';
import { InputError, UserError } from '../../src/errors.js';
import type * as TerraformApp from '../../terraform/app.js';

/** The bindings `gantry synth` needs, at the versions gantry is built and tested with (package.json peerDependencies). */
export const SYNTH_BINDINGS: Readonly<Record<string, string>> = { cdktn: '0.24.0', '@cdktn/provider-aws': '25.7.0', constructs: '10.7.2' };

/** The file the bundled CLI loads the terraform app from: next to itself (scripts/bundle.ts, TERRAFORM_BUNDLE). */
export const TERRAFORM_APP_FILE = 'terraform-app.js';

export function installBindingsCommand(): string {
  return `npm i -D ${Object.entries(SYNTH_BINDINGS)
    .map(([name, version]) => `${name}@${version}`)
    .join(' ')}`;
}

/** The package a "cannot find" names: `@scope/name` or `name` of a bare specifier, undefined for a path. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * What loading the terraform app failed on, as the one line the user acts on: a binding that is not installed
 * (Node's ESM "Cannot find package 'cdktn'", or CommonJS "Cannot find module 'constructs'" from inside cdktn), or
 * the app's own file missing next to a CLI that was copied alone (CodeBuild's download). Undefined for anything
 * else, which is a failure of its own.
 */
export function synthLoadError(error: unknown): UserError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (!(error instanceof Error) || (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND')) return undefined;
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(error.message)?.[1];
  if (missing === undefined) return undefined;
  const name = packageOf(missing);
  if (name !== undefined && name in SYNTH_BINDINGS) {
    return new UserError(`gantry synth needs the CDK Terrain bindings, and ${name} is not installed: run ${installBindingsCommand()}`, { cause: error });
  }
  if (name === undefined && missing.endsWith(`/${TERRAFORM_APP_FILE}`)) {
    return new UserError(
      `gantry synth needs the whole gantry package (${TERRAFORM_APP_FILE} is not next to this CLI): install it with npm i -D @gantry-deploy/gantry (or the release tarball) and run npx gantry synth`,
      { cause: error },
    );
  }
  return undefined;
}

async function loadTerraformApp(): Promise<typeof TerraformApp> {
  try {
    // The bundler turns this into import("./terraform-app.js"), the app's own bundle next to the CLI's.
    return await import('../../terraform/app.js');
  } catch (error) {
    throw synthLoadError(error) ?? error;
  }
}

export const synthCommand = defineCommand({
  inputs: {
    config: configInput,
    out: {
      description:
        "Write each environment's stack to <out>/<environment>/cdk.tf.json instead of its terraform.workingDirectory (to look at it without touching the committed copies).",
      type: text(4096),
      only: 'cli',
      hint: 'for example /tmp/stacks',
    },
    check: {
      description:
        'Write nothing; exit 1 naming each environment whose <terraform.workingDirectory>/cdk.tf.json is missing or differs from a fresh synth (a drift check for CI).',
      type: boolean(),
      default: 'false',
      only: 'cli',
    },
  },
  settings(values, context) {
    if (values.check === true && values.out !== undefined) {
      context.fail('out', 'does not go with --check, which compares the working-directory copies and writes nothing: give one or the other');
    }
    return values;
  },
  cli: {
    name: 'synth',
    summary:
      "Synthesize the config's platform (terraform/, one stack per environment) into each environment's terraform.workingDirectory; --check for drift. Needs the CDK Terrain bindings installed.",
    async run(inputs, io) {
      const root = process.cwd();
      // The config first: a mistake in it is reported without loading (or needing) the bindings.
      const config = await loadWorkspaceConfig(inputs.config, io.env);
      const app = await loadTerraformApp();
      if (inputs.check === true) {
        const drift = await app.checkWorkingDirectories({ root, configFile: inputs.config });
        for (const { file, status } of drift) io.logger.error(`${file}: ${status === 'missing' ? 'missing' : 'differs from a fresh synth'}`);
        if (drift.length > 0) {
          io.logger.error(`synth --check: ${drift.length} stale working-directory cop${drift.length === 1 ? 'y' : 'ies'}; run gantry synth and commit them`);
          return 1;
        }
        io.stdout(`synth --check: every working-directory copy matches a fresh synth (${config.order.length} environments)`);
        return 0;
      }
      const outdir = mkdtempSync(join(tmpdir(), 'gantry-synth-'));
      try {
        const result = await app.synthesize({ root, configFile: inputs.config, outdir, workingDirectories: inputs.out === undefined });
        for (const stack of result.stacks) {
          const written =
            inputs.out === undefined
              ? (stack.copiedTo ?? stack.file)
              : writeStack(join(inputs.out, stack.environment, app.STACK_FILE), readFileSync(stack.file));
          io.stdout(`${stack.environment}: ${shown(root, written)}`);
        }
        io.stdout(`synthesized ${result.stacks.length} stack${result.stacks.length === 1 ? '' : 's'} from ${inputs.config}`);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
      return 0;
    },
  },
});

/** A path as the user reads it: relative to the repository root when inside it. */
function shown(root: string, file: string): string {
  const near = relative(root, file);
  return near.startsWith('..') || isAbsolute(near) ? file : near;
}

function writeStack(file: string, content: Buffer): string {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  } catch (error) {
    throw new InputError('option --out', `cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}): name a directory you can write`, {
      cause: error,
    });
  }
  return file;
}
