/**
 * The gantry CLI: one binary, subcommands registered in COMMANDS. Used from CodeBuild buildspecs and by hand.
 * Exit codes: 0 success, 1 failure (including invalid config or input), 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { UsageError, UserError, describeError } from '../../src/errors.js';
import { cliInputSource } from '../../src/inputs.js';
import { GANTRY_VERSION } from '../../src/version.js';
import { buildspecRun } from './buildspec-commands.js';
import type { CliCommand, CliIo } from './command.js';
import { configShow, configValidate } from './config-commands.js';
import { planMetadata, planSummary, verifyPlanCommand } from './plan-commands.js';
import { pruneCommand } from './prune-command.js';
import { warmupCommand } from './warmup-command.js';

export const COMMANDS: CliCommand[] = [configValidate, configShow, buildspecRun, planSummary, planMetadata, verifyPlanCommand, warmupCommand, pruneCommand];

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export async function runCli(argv: string[], io: CliIo, commands: CliCommand[] = COMMANDS): Promise<number> {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (argv[0] === '--version') {
    io.stdout(GANTRY_VERSION);
    return EXIT_OK;
  }
  const command = findCommand(argv, commands);
  if (command === undefined) {
    if (argv.length === 0 || (wantsHelp && !argv.some((arg) => !arg.startsWith('-')))) {
      io.stdout(generalHelp(commands));
      return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
    }
    const words = argv.filter((arg) => !arg.startsWith('-')).slice(0, 2).join(' ');
    io.logger.error(`unknown command "${words}"; run "gantry --help" for the list of commands`);
    return EXIT_USAGE;
  }
  if (wantsHelp) {
    io.stdout(commandHelp(command));
    return EXIT_OK;
  }
  const args = argv.slice(command.name.split(' ').length);
  try {
    const { values, positionals } = parseCommandArgs(command, args);
    return (await command.run(cliInputSource(values), positionals, io)) ?? EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      io.logger.error(`${error.message}; run "gantry ${command.name} --help"`);
      return EXIT_USAGE;
    }
    if (error instanceof UserError) {
      io.logger.error(error.message);
      return EXIT_FAILURE;
    }
    if (error instanceof Error && error.stack !== undefined) io.logger.debug(error.stack);
    io.logger.error(describeError(error));
    return EXIT_FAILURE;
  }
}

function findCommand(argv: string[], commands: CliCommand[]): CliCommand | undefined {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  return commands
    .filter((command) => command.name.split(' ').every((word, index) => words[index] === word && argv[index] === word))
    .sort((a, b) => b.name.length - a.name.length)[0];
}

function parseCommandArgs(command: CliCommand, args: string[]) {
  const options = Object.fromEntries(
    Object.entries(command.options).map(([name, option]) => [name, { type: option.type, multiple: option.multiple ?? false }]),
  );
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: command.positionals !== undefined });
    return { values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals };
  } catch (error) {
    // parseArgs explains itself ("Unknown option '--x'"); keep its words, drop its own advice.
    const message = error instanceof Error ? error.message.split('. ')[0]!.replace(/^Unknown option/, 'unknown option') : String(error);
    throw new UsageError(message, { cause: error });
  }
}

export function generalHelp(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    `gantry ${GANTRY_VERSION}: promotion gate, CodeBuild runner, warmup and version pruning for Lambda Managed Instances.`,
    '',
    'Usage: gantry <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run "gantry <command> --help" for a command\'s options. Exit codes: 0 success, 1 failure, 2 bad usage.',
  ].join('\n');
}

export function commandHelp(command: CliCommand): string {
  const lines = Object.entries(command.options).map(([name, option]) => {
    const value = option.type === 'string' ? ' <value>' : '';
    const fallback = option.defaultText === undefined ? '' : ` (default: ${option.defaultText})`;
    return `  --${`${name}${value}`.padEnd(28)} ${option.description}${fallback}`;
  });
  return [
    `Usage: gantry ${command.name}${command.positionals === undefined ? '' : ` ${command.positionals}`} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...lines,
    `  --${'help'.padEnd(28)} Show this help.`,
  ].join('\n');
}
