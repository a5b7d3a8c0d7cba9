import type { Logger } from './logger.js';
import { type CommandStream, formatCommand, stdout } from './workflow-commands.js';

/**
 * Logger for GitHub Actions: workflow commands, so warnings and errors become annotations. A build log line
 * (`output`) is printed inside stop-commands, so the runner obeys nothing in it (see {@link CommandStream}).
 */
export class ActionsLogger implements Logger {
  readonly #stream: CommandStream;

  constructor(stream: CommandStream = stdout) {
    this.#stream = stream;
  }

  debug(message: string): void {
    this.#stream.command(formatCommand('debug', message));
  }
  info(message: string): void {
    this.#stream.text(message);
  }
  warning(message: string): void {
    this.#stream.command(formatCommand('warning', message));
  }
  error(message: string): void {
    this.#stream.command(formatCommand('error', message));
  }
  output(line: string): void {
    this.#stream.untrusted(line);
  }
  startGroup(title: string): void {
    this.#stream.command(formatCommand('group', title));
  }
  endGroup(): void {
    this.#stream.command(formatCommand('endgroup', ''));
  }
}
