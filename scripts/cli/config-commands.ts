import { loadWorkspaceConfig } from '../../src/config/load.js';
import { configInput } from '../../src/definition/common-inputs.js';
import { defineCommand } from '../../src/definition/define.js';

/** `gantry config validate`. (`gantry config show` is the resolve-environment action's CLI.) */
export const configValidate = defineCommand({
  inputs: { config: configInput },
  cli: {
    name: 'config validate',
    summary: 'Check the config file; prints the promotion order, or the one-line error.',
    async run({ config: file }, io) {
      const config = await loadWorkspaceConfig(file);
      io.stdout(`${config.file}: valid; ${config.order.length} environment${config.order.length === 1 ? '' : 's'}: ${config.order.join(' → ')}`);
    },
  },
});
