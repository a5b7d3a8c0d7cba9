import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import type { Logger } from './logger.js';

/** Logger for GitHub Actions: workflow commands, so warnings and errors become annotations. */
export class ActionsLogger implements Logger {
  debug(message: string): void {
    core.debug(message);
  }
  info(message: string): void {
    core.info(message);
  }
  warning(message: string): void {
    core.warning(message);
  }
  error(message: string): void {
    core.error(message);
  }
  output(line: string): void {
    if (!line.trimStart().startsWith('::')) {
      core.info(line);
      return;
    }
    // The runner would obey a `::command::` line from a build log; suspend command processing around it.
    const token = randomUUID();
    core.info(`::stop-commands::${token}`);
    core.info(line);
    core.info(`::${token}::`);
  }
  startGroup(title: string): void {
    core.startGroup(title);
  }
  endGroup(): void {
    core.endGroup();
  }
}
