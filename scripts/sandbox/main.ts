/**
 * `npm run sandbox`: starts the sandbox on 127.0.0.1, seeds it from a gantry config (the example by
 * default) and prints the variables to export so that the real AWS SDK, Octokit, the actions' bundles and
 * the gantry CLI talk to it. Runs until interrupted.
 *
 * `--functions N` adds a large account beside the config's: N functions with `--versions` versions each,
 * spread over as many capacity providers as the 100-versions-per-provider limit needs (1,000 × 100: 1,000
 * providers, seeded in a second or two).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/load.js';
import { describeError } from '../../src/errors.js';
import { seedLambda } from './lambda/seed.js';
import { startSandbox } from './sandbox.js';
import { seedCodeBuildFromConfig, seedGitHubFromConfig, seedLambdaFromConfig } from './seed-config.js';
import { localTerraformRelease } from './terraform-release.js';

const USAGE = `usage: npm run sandbox -- [options]
  --port N            port on 127.0.0.1 (default 4566; 0 picks a free one)
  --config FILE       gantry config to seed from (default ${DEFAULT_CONFIG_FILE})
  --clock-speed X     sandbox time runs X times faster than real time (default 1)
  --source-dir DIR    builds execute their buildspec from this checkout (default: scripted builds)
  --versions N        versions published per function (default 3); the config's functions get at most their
                      share of their environment's capacity provider (100 versions)
  --functions N       also create N functions (fleet-000…) with --versions versions each, spread over
                      capacity providers (fleet-cp-000…) of at most 100 versions each (default 0)
  --help              this text`;

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '4566' },
        config: { type: 'string', default: DEFAULT_CONFIG_FILE },
        'clock-speed': { type: 'string', default: '1' },
        'source-dir': { type: 'string' },
        versions: { type: 'string', default: '3' },
        functions: { type: 'string', default: '0' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    // parseArgs' own message, on one line, then where to look.
    return fail(`${describeError(error).split('\n')[0]}; run "npm run sandbox -- --help"`);
  }
})();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const port = Number(values.port);
const clockSpeed = Number(values['clock-speed']);
const versionsPerFunction = Number(values.versions);
const fleetFunctions = Number(values.functions);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be a port number (0 picks a free one)');
if (!(clockSpeed > 0)) fail('--clock-speed must be a positive number');
if (!Number.isInteger(versionsPerFunction) || versionsPerFunction < 0) fail('--versions must be a whole number');
if (!Number.isInteger(fleetFunctions) || fleetFunctions < 0) fail('--functions must be a whole number');

const config = await loadConfig(values.config).catch((error: unknown) => fail(describeError(error)));
const sandbox = await startSandbox({ port, clockSpeed });
const environments = seedLambdaFromConfig(sandbox.services.lambda, config, { versionsPerFunction });
const seedStarted = performance.now();
const fleet =
  fleetFunctions === 0
    ? undefined
    : seedLambda(sandbox.services.lambda, {
        capacityProvider: 'fleet-cp',
        namePrefix: 'fleet',
        functions: fleetFunctions,
        versionsPerFunction,
        functionsPerCapacityProvider: 'fill',
      });
const seedSeconds = (performance.now() - seedStarted) / 1000;
// Executed builds fetch terraform from a local release mirror of this machine's terraform (see terraform-release.ts).
const release = values['source-dir'] === undefined ? undefined : localTerraformRelease(mkdtempSync(join(tmpdir(), 'gantry-sandbox-terraform-')));
if (release?.ok === false) process.stderr.write(`warning: executed builds will fail to install terraform: ${release.why}\n`);
const projects = seedCodeBuildFromConfig(
  sandbox.services.codebuild,
  config,
  values['source-dir'] === undefined ? {} : { sourceDir: values['source-dir'], ...(release?.ok ? { terraform: release.variables } : {}) },
);
const repository = seedGitHubFromConfig(sandbox.services.github, config);

const lines = [
  `# gantry sandbox on ${sandbox.url} (clock ×${clockSpeed}), seeded from ${values.config}:`,
  ...environments.map(
    (env) =>
      `#   ${env.environment}: ${env.functions.join(', ')} on ${env.capacityProviderArn.split(':').at(-1)}` +
      (env.versionsPerFunction === versionsPerFunction ? '' : ` (${env.versionsPerFunction} versions each: the provider holds 100)`),
  ),
  ...(fleet === undefined
    ? []
    : [
        `#   fleet: ${fleet.functionNames.length} functions (${fleet.functionNames[0]} … ${fleet.functionNames.at(-1)}) × ${versionsPerFunction} versions on ` +
          `${fleet.capacityProviderArns.length} capacity providers (${fleet.capacityProviderArns[0]?.split(':').at(-1)} …), seeded in ${seedSeconds.toFixed(1)} s`,
      ]),
  `#   CodeBuild projects: ${projects.join(', ')}${values['source-dir'] === undefined ? ' (scripted builds)' : ` (executing ${values['source-dir']})`}`,
  `#   GitHub repository: ${repository.fullName}`,
  '# Paste these into another shell:',
  ...Object.entries({ ...sandbox.env, GITHUB_REPOSITORY: repository.fullName }).map(([name, value]) => `export ${name}=${value}`),
];
process.stdout.write(`${lines.join('\n')}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sandbox.stop().then(() => process.exit(0));
  });
}

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}
