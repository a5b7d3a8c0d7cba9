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
  startGroup(title: string): void {
    core.startGroup(title);
  }
  endGroup(): void {
    core.endGroup();
  }
}
