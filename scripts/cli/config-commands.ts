import { CONFIG_INPUT, ENVIRONMENT_INPUT, loadEnvironment, parseEnvironmentTarget } from '../../src/config/environment-input.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/load.js';
import { optionalString, choiceInput } from '../../src/inputs.js';
import { environmentOutputs } from '../../src/resolve-environment.js';
import type { CliCommand, CliOption } from './command.js';

export const configOption: CliOption = { type: 'string', description: 'Path of the gantry config file.', defaultText: DEFAULT_CONFIG_FILE };
export const environmentOption: CliOption = { type: 'string', description: 'Environment name from the config file.' };

export const configValidate: CliCommand = {
  name: 'config validate',
  summary: 'Check the config file; prints the promotion order, or the one-line error.',
  options: { [CONFIG_INPUT]: configOption },
  async run(inputs, _positionals, io) {
    const config = await loadConfig(optionalString(inputs, CONFIG_INPUT) ?? DEFAULT_CONFIG_FILE);
    io.stdout(`${config.file}: valid; ${config.order.length} environment${config.order.length === 1 ? '' : 's'}: ${config.order.join(' → ')}`);
  },
};

export const configShow: CliCommand = {
  name: 'config show',
  summary: "Print an environment's resolved names (what the resolve-environment action outputs).",
  options: {
    [ENVIRONMENT_INPUT]: environmentOption,
    [CONFIG_INPUT]: configOption,
    format: { type: 'string', description: 'json, or env for NAME=value lines a shell can source.', defaultText: 'json' },
  },
  async run(inputs, _positionals, io) {
    const format = choiceInput(inputs, 'format', ['json', 'env'], 'json');
    const { config, environment } = await loadEnvironment(parseEnvironmentTarget(inputs), inputs);
    const outputs = environmentOutputs(config, environment);
    if (format === 'json') {
      io.stdout(JSON.stringify(outputs, null, 2));
      return;
    }
    for (const [name, value] of Object.entries(outputs)) {
      io.stdout(`GANTRY_${name.toUpperCase().replace(/-/g, '_')}=${shellQuote(value)}`);
    }
  },
};

function shellQuote(value: string): string {
  return /^[\w./:@,+-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
