/**
 * The gantry CLI: one binary, subcommands registered in COMMANDS. Used from CodeBuild buildspecs and by hand.
 * Exit codes: 0 success, 1 failure (including an invalid config), 2 bad usage (a missing, unknown or malformed option).
 */
import { parseArgs } from 'node:util';
import { type InputSpec, inputsFor, parseInputs } from '../../src/definition/define.js';
import { capacityWarmup } from '../../src/definitions/capacity-warmup.js';
import { resolveEnvironment } from '../../src/definitions/resolve-environment.js';
import { trafficShift } from '../../src/definitions/traffic-shift.js';
import { versionPrune } from '../../src/definitions/version-prune.js';
import { ConfigError, describeError, InputError, UsageError, UserError } from '../../src/errors.js';
import { cliInputSource } from '../../src/inputs.js';
import { workspaceRoot } from '../../src/read-user-file.js';
import { GANTRY_VERSION } from '../../src/version.js';
import { annotationAt, formatCommand } from '../../src/workflow-commands.js';
import { required } from '../assert.js';
import { buildspecRun } from './buildspec-commands.js';
import type { CliCommand, CliIo } from './command.js';
import { configValidate } from './config-commands.js';
import { doctorCommand } from './doctor-command.js';
import { lintWorkflowsCommand } from './lint-workflows.js';
import { packageCommand } from './package-commands.js';
import { planMetadata, planPackages, planSummary, verifyPlanCommand } from './plan-commands.js';
import { synthCommand } from './synth.js';

/** An action definition that has a CLI part is a command as it stands. */
function actionCommand(definition: { cli?: unknown }): CliCommand {
  if (definition.cli === undefined) throw new Error('an action without a cli part is not a command');
  return definition as CliCommand;
}

export const COMMANDS: CliCommand[] = [
  configValidate,
  actionCommand(resolveEnvironment),
  doctorCommand,
  buildspecRun,
  packageCommand,
  planSummary,
  planMetadata,
  planPackages,
  verifyPlanCommand,
  synthCommand,
  actionCommand(capacityWarmup),
  actionCommand(trafficShift),
  actionCommand(versionPrune),
  lintWorkflowsCommand,
];

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export async function runCli(argv: string[], io: Omit<CliIo, 'inputs'>, commands: CliCommand[] = COMMANDS): Promise<number> {
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
    const words = argv
      .filter((arg) => !arg.startsWith('-'))
      .slice(0, 2)
      .join(' ');
    // `gantry config` is the start of two commands: name them rather than call it unknown.
    const first = words.split(' ')[0] ?? '';
    const starting = commands.filter(({ cli }) => cli.name.startsWith(`${first} `)).map(({ cli }) => `"gantry ${cli.name}"`);
    if (starting.length > 0) io.logger.error(`"${first}" needs a subcommand: ${starting.join(' or ')}`);
    else io.logger.error(`unknown command "${words}"; run "gantry --help" for the list of commands`);
    return EXIT_USAGE;
  }
  if (wantsHelp) {
    io.stdout(commandHelp(command));
    return EXIT_OK;
  }
  const args = argv.slice(command.cli.name.split(' ').length);
  try {
    const { values, positionals } = parseCommandArgs(command, args);
    const source = cliInputSource(values);
    const settings = parseInputs(command, source, io.env, 'cli');
    const { positional } = command.cli;
    if (positional !== undefined && positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? `expected ${positional}` : `expected one ${positional}, got ${positionals.length} arguments`);
    }
    return (await command.cli.run(settings, { ...io, inputs: source }, positionals[0] ?? '')) ?? EXIT_OK;
  } catch (error) {
    // A missing, unknown or malformed option is bad usage, whoever finds it (the parser, an input's type or a
    // rule across inputs): exit 2, as scripts calling the CLI expect.
    if (error instanceof UsageError || error instanceof InputError) {
      io.logger.error(error instanceof UsageError ? `${error.message}; run "gantry ${command.cli.name} --help"` : error.message);
      return EXIT_USAGE;
    }
    if (error instanceof UserError) {
      io.logger.error(error.message);
      // In a workflow (plan.yml and prune.yml run `gantry config validate` first), a config error also goes on
      // the pull request at its file and line, as the actions report it.
      if (error instanceof ConfigError && io.env.GITHUB_ACTIONS === 'true') {
        const at = annotationAt(error.location, workspaceRoot(io.env));
        if (at.line !== undefined) io.stdout(formatCommand('error', error.message, at));
      }
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
    .filter(({ cli }) => cli.name.split(' ').every((word, index) => words[index] === word && argv[index] === word))
    .sort((a, b) => b.cli.name.length - a.cli.name.length)[0];
}

const BOOLEAN_WORDS = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

/**
 * Rewrites every known option to `--name=value` before parseArgs sees it. A boolean input is a flag on the
 * CLI: `--force`, `--force=false` or `--force false` (parseArgs has no optional values). A value option takes
 * the next word whatever it starts with, so `--keep -1` reaches the input's own check ("must be a whole number
 * from 0 to 99, got -1") instead of parseArgs' two-line "ambiguous" complaint.
 */
function normalizeOptions(args: string[], kinds: Map<string, 'string' | 'boolean'>): string[] {
  const out: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = required(args[index], `argument ${index}`);
    if (arg === '--') {
      out.push(...args.slice(index));
      break;
    }
    const kind = arg.startsWith('--') && !arg.includes('=') ? kinds.get(arg.slice(2)) : undefined;
    const next = args[index + 1];
    if (kind === 'boolean') {
      const value = next !== undefined && BOOLEAN_WORDS.has(next) ? next : 'true';
      if (value === next) index++;
      out.push(`${arg}=${value}`);
    } else if (kind === 'string' && next !== undefined) {
      out.push(`${arg}=${next}`);
      index++;
    } else out.push(arg);
  }
  return out;
}

function parseCommandArgs(command: CliCommand, args: string[]) {
  const inputs = inputsFor(command.inputs, 'cli');
  const kinds = new Map(inputs.map(([name, spec]) => [name, spec.type.cli]));
  // Every option is read as repeatable, so that one given twice is an error rather than the last one winning.
  const options = Object.fromEntries(inputs.map(([name]) => [name, { type: 'string' as const, multiple: true }]));
  let parsed: { values: Record<string, string | string[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: normalizeOptions(args, kinds), options, strict: true, allowPositionals: command.cli.positional !== undefined });
  } catch (error) {
    throw usageError(error, kinds);
  }
  const values: Record<string, string | string[]> = {};
  for (const [name, spec] of inputs) {
    const raw = parsed.values[name];
    if (raw === undefined) continue;
    const given = Array.isArray(raw) ? raw : [raw];
    // An option given with an empty value is a slip, not "use the default".
    if (given.some((value) => value.trim() === '')) throw new UsageError(`option --${name} is empty: give it a value, or leave it out`);
    if (given.length > 1 && spec.type.multiple !== true) throw new UsageError(`option --${name} is given ${given.length} times: give it once`);
    values[name] = spec.type.multiple === true ? given : (given[0] ?? '');
  }
  return { values, positionals: parsed.positionals };
}

/** parseArgs' complaint as one line of gantry's, with the hint a flag needs. */
function usageError(error: unknown, kinds: Map<string, 'string' | 'boolean'>): UsageError {
  if (!(error instanceof Error)) return new UsageError(String(error), { cause: error });
  const unexpected = /^Unexpected argument '([^']*)'/.exec(error.message);
  if (unexpected !== null) {
    const flags = [...kinds].filter(([, kind]) => kind === 'boolean').map(([name]) => `--${name}`);
    const hint = flags.length === 0 ? '' : `; a flag (${flags.join(', ')}) takes true or false, as --flag=false`;
    return new UsageError(`unexpected argument "${unexpected[1]}"${hint}`, { cause: error });
  }
  // An option at the end of the line with no value: parseArgs says "Option '--keep <value>' argument missing".
  const missing = /^Option '(--[^' ]+)[^']*' argument missing/.exec(error.message);
  if (missing !== null) return new UsageError(`option ${missing[1]} needs a value`, { cause: error });
  // parseArgs explains itself ("Unknown option '--x'"); keep its first sentence on one line, drop its advice.
  const [sentence = error.message] = error.message.split(/\.\s/);
  return new UsageError(sentence.replace(/\s+/g, ' ').replace(/^Unknown option/, 'unknown option'), { cause: error });
}

export function generalHelp(commands: CliCommand[]): string {
  const width = Math.max(...commands.map(({ cli }) => cli.name.length));
  return [
    `gantry ${GANTRY_VERSION}: promotion gate, CodeBuild runner, warmup and version pruning for Lambda Managed Instances.`,
    '',
    'Usage: gantry <command> [options]',
    '',
    'Commands:',
    ...commands.map(({ cli }) => `  ${cli.name.padEnd(width)}  ${cli.summary}`),
    '',
    'Run "gantry <command> --help" for a command\'s options. Exit codes: 0 success, 1 failure, 2 bad usage.',
  ].join('\n');
}

/** One option's line in --help, from its input definition. */
function optionHelp(name: string, spec: InputSpec): string {
  const value = spec.type.cli === 'string' ? ' <value>' : '';
  const fallback = spec.default ?? spec.defaultText;
  const unless = spec.requiredUnless === undefined ? undefined : `required unless ${spec.requiredUnless.map((other) => `--${other}`).join(' or ')}`;
  const notes = [spec.required === true ? 'required' : unless, fallback === undefined ? undefined : `default: ${fallback}`].filter(
    (note) => note !== undefined,
  );
  const format = spec.type.cli === 'boolean' ? '' : ` Takes ${spec.type.format}.`;
  return `  --${`${name}${value}`.padEnd(28)} ${spec.description}${format}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`;
}

export function commandHelp(command: CliCommand): string {
  const { cli } = command;
  return [
    `Usage: gantry ${cli.name}${cli.positional === undefined ? '' : ` ${cli.positional}`} [options]`,
    '',
    cli.summary,
    '',
    'Options:',
    ...inputsFor(command.inputs, 'cli').map(([name, spec]) => optionHelp(name, spec)),
    `  --${'help'.padEnd(28)} Show this help.`,
  ].join('\n');
}
