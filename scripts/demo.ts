/**
 * npm run demo: the delivery of the example config, as a user would see it.
 *
 * Today it runs what is built: config validation, the promotion order, and every environment's resolved
 * names through the same core the actions use. The full gate → plan → apply → warmup → prune run on the
 * local sandbox is added as those pieces land (see the README's status table); this script says so.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { describeError } from '../src/errors.js';
import { environmentOutputs } from '../src/resolve-environment.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = process.argv[2] ?? join(root, '.github', 'gantry.yml');

try {
  const config = await loadConfig(configFile);
  console.log(`gantry demo: ${config.file}`);
  console.log(`✓ config valid: project "${config.project}", promotion order ${config.order.join(' → ')}`);
  console.log('');
  const rows = config.order.map((name) => {
    const outputs = environmentOutputs(config, config.environments.get(name)!);
    return [name, outputs['previous-environment'] || '(first)', outputs.account!, outputs.region!, outputs['plan-project']!, outputs['capacity-provider']!, outputs['role-arn']!];
  });
  printTable(['environment', 'after', 'account', 'region', 'plan project', 'capacity provider', 'deploy role'], rows);
  console.log('');
  console.log('Not run yet: the gate → CodeBuild plan → apply → warmup → prune delivery on the local sandbox.');
  console.log('Those steps are added to this demo as their issues land; the README status table lists them.');
} catch (error) {
  console.error(`✗ ${describeError(error)}`);
  process.exitCode = 1;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
}
