import type { Logger } from './logger.js';
import { issueCommand } from './workflow-commands.js';

/** Logger for GitHub Actions: workflow commands, so warnings and errors become annotations. */
export class ActionsLogger implements Logger {
  debug(message: string): void {
    issueCommand('debug', message);
  }
  info(message: string): void {
    process.stdout.write(`${message}\n`);
  }
  warning(message: string): void {
    issueCommand('warning', message);
  }
  error(message: string): void {
    issueCommand('error', message);
  }
  output(line: string): void {
    if (!line.trimStart().startsWith('::')) {
      this.info(line);
      return;
    }
    // The runner would obey a `::command::` line from a build log; suspend command processing around it.
    const token = globalThis.crypto.randomUUID();
    this.info(`::stop-commands::${token}`);
    this.info(line);
    this.info(`::${token}::`);
  }
  startGroup(title: string): void {
    issueCommand('group', title);
  }
  endGroup(): void {
    issueCommand('endgroup', '');
  }
}
