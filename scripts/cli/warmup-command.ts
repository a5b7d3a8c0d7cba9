import { CONFIG_INPUT, ENVIRONMENT_INPUT } from '../../src/config/environment-input.js';
import {
  CAPACITY_PROVIDER_INPUT,
  CHECK_PROVIDER_INPUT,
  CONCURRENCY_INPUT,
  DEFAULT_TIMEOUT_SECONDS,
  FUNCTIONS_INPUT,
  INVOCATIONS_INPUT,
  PAYLOAD_INPUT,
  TIMEOUT_INPUT,
} from '../../src/warmup/settings.js';
import { failureMessage } from '../../src/warmup/report.js';
import { warmupFromInputs } from '../../src/warmup/warmup.js';
import type { CliCommand } from './command.js';
import { configOption, environmentOption } from './config-commands.js';

/** `gantry warmup`: the capacity-warmup action's core from a shell; the JSON report on stdout, exit 1 unless ready. */
export const warmupCommand: CliCommand = {
  name: 'warmup',
  summary: 'Wait for Active versions, apply the scaling config, smoke-invoke each alias; prints the JSON report.',
  options: {
    [ENVIRONMENT_INPUT]: environmentOption,
    [CONFIG_INPUT]: configOption,
    [FUNCTIONS_INPUT]: { type: 'string', description: 'Functions to warm instead of the environment\'s: short or Lambda names, optionally name:alias, comma-separated.' },
    [CAPACITY_PROVIDER_INPUT]: { type: 'string', description: 'Warm every function with a version on this capacity provider (name or ARN).' },
    [PAYLOAD_INPUT]: { type: 'string', description: 'JSON event for the smoke invocations (overrides the config).' },
    [INVOCATIONS_INPUT]: { type: 'string', description: 'Smoke invocations per function, 1 to 1000 (overrides the config).' },
    [CONCURRENCY_INPUT]: { type: 'string', description: 'Smoke invocations in flight per function, 1 to 100 (overrides the config).' },
    [TIMEOUT_INPUT]: { type: 'string', description: 'Per function, seconds to become Active and scaled.', defaultText: String(DEFAULT_TIMEOUT_SECONDS) },
    [CHECK_PROVIDER_INPUT]: { type: 'boolean', description: 'Also check that the capacity provider is Active.' },
  },
  async run(inputs, _positionals, io) {
    const report = await warmupFromInputs(inputs, { logger: io.logger });
    io.stdout(JSON.stringify(report, null, 2));
    if (report.ready) return 0;
    io.logger.error(failureMessage(report));
    return 1;
  },
};
