/**
 * `gantry package`: builds an environment's function packages from source, the way the plan build does
 * before terraform plan (buildspecs/terraform-plan.yml).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadEnvironment } from '../../src/config/environment-input.js';
import { environmentTarget } from '../../src/definition/common-inputs.js';
import { defineCommand } from '../../src/definition/define.js';
import { text } from '../../src/definition/input-types.js';
import { buildPackage } from '../../src/package/build.js';
import { type PackageBuild, packageBuild } from '../../src/package/settings.js';

export const packageCommand = defineCommand({
  inputs: {
    ...environmentTarget,
    'copy-to': {
      description: 'Also copy each package into this directory, under its path in the repository (the plan build stores that directory with the plan).',
      type: text(4096),
      hint: 'for example .gantry/out/packages',
    },
  },
  cli: {
    name: 'package',
    summary:
      "Build the environment's function packages from source: each build command, then a byte-reproducible zip; prints each zip's sha256 and path (sha256sum's format).",
    async run(inputs, io) {
      const { environment } = await loadEnvironment({ configFile: inputs.config, environment: inputs.environment }, io.inputs);
      const root = process.cwd();
      // Functions that share a package (the config allows it only with the same build) build it once.
      const builds = new Map<string, PackageBuild>();
      for (const fn of environment.functions) {
        const build = packageBuild(fn);
        if (!builds.has(build.output)) builds.set(build.output, build);
      }
      const copyTo = inputs['copy-to'];
      if (copyTo !== undefined) await mkdir(copyTo, { recursive: true });
      for (const build of builds.values()) {
        const built = await buildPackage(build, { root, logger: io.logger, env: io.env, commandEnv: { GANTRY_ENVIRONMENT: environment.name } });
        io.logger.info(
          `${built.function}: ${build.directory} → ${built.output}: ${built.files} file${built.files === 1 ? '' : 's'}, ${built.bytes} bytes, sha256 ${built.sha256}`,
        );
        if (copyTo !== undefined) {
          const target = join(copyTo, built.output);
          await mkdir(dirname(target), { recursive: true });
          await copyFile(join(root, built.output), target);
        }
        io.stdout(`${built.sha256}  ${built.output}`);
      }
    },
  },
});
