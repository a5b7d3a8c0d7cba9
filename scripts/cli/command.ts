/**
 * A CLI subcommand is a command definition (src/definition/define.ts) with a `cli` part: its options are the
 * definition's inputs, parsed by the same code as the action's. The action-backed commands (warmup, prune,
 * config show) are the action definitions themselves.
 */
import type { CliSpec, CommandDefinition } from '../../src/definition/define.js';

export type { CliIo } from '../../src/definition/define.js';

// biome-ignore lint/suspicious/noExplicitAny: one list holds commands of every input and settings type.
export type CliCommand = CommandDefinition<any, any> & { readonly cli: CliSpec<any> };
