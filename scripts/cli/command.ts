import type { InputSource } from '../../src/inputs.js';
import type { Logger } from '../../src/logger.js';

export interface CliOption {
  type: 'string' | 'boolean';
  description: string;
  /** Shown in help; the parser leaves defaults to the command's input parser. */
  defaultText?: string;
  multiple?: boolean;
}

export interface CliIo {
  /** The command's result (JSON, a table); logs go through the logger (stderr). */
  stdout(text: string): void;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  /** One or two words: `prune`, `config validate`. */
  name: string;
  summary: string;
  /** Positional arguments, e.g. `<file>`; none when absent. */
  positionals?: string;
  options: Record<string, CliOption>;
  /** Returns the exit code (0 when omitted). Throws UserError / UsageError for the user to fix. */
  run(inputs: InputSource, positionals: string[], io: CliIo): Promise<number | void>;
}
