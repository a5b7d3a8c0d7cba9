/**
 * The one way an action's entry point runs its main: consistent failure reporting for every action.
 *
 * A {@link UserError} fails the step with its one-line message; any other error fails it with the message
 * and its causes, and logs the stack at debug level (visible when the job is re-run with debug logging).
 */
import * as core from '@actions/core';
import { ActionsLogger } from './actions-logger.js';
import { UserError, describeError } from './errors.js';
import { actionInputSource, type InputSource } from './inputs.js';
import type { Logger } from './logger.js';

/** What an action's main gets: its inputs and the ways to report back. */
export interface ActionContext {
  inputs: InputSource;
  logger: Logger;
  setOutput(name: string, value: string | number | boolean): void;
  /** Appends Markdown to the job summary. */
  appendSummary(markdown: string): Promise<void>;
  env: NodeJS.ProcessEnv;
  /**
   * Aborted when the workflow is cancelled (the runner sends SIGINT, then SIGTERM, then kills the process).
   * The first call installs the signal handlers, so actions that never ask keep Node's default behaviour.
   */
  cancellation(): AbortSignal;
}

export function actionsContext(env: NodeJS.ProcessEnv = process.env): ActionContext {
  return {
    inputs: actionInputSource(env),
    logger: new ActionsLogger(),
    setOutput: (name, value) => core.setOutput(name, value),
    appendSummary: async (markdown) => {
      // Outside a runner (no GITHUB_STEP_SUMMARY) there is nowhere to write a summary; skip it quietly.
      if (env['GITHUB_STEP_SUMMARY'] === undefined) return;
      await core.summary.addRaw(markdown, true).write();
    },
    env,
    cancellation: cancellationSignal,
  };
}

let cancelled: AbortController | undefined;

function cancellationSignal(): AbortSignal {
  if (cancelled === undefined) {
    const controller = new AbortController();
    cancelled = controller;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (!controller.signal.aborted) controller.abort(new Error(`workflow cancelled (${signal})`));
      });
    }
  }
  return cancelled.signal;
}

/** Runs `main` and turns any error into a failed step. Never throws. */
export async function runAction(main: (context: ActionContext) => Promise<void>): Promise<void> {
  const context = actionsContext();
  try {
    await main(context);
  } catch (error) {
    reportFailure(error, context.logger);
  }
}

export function reportFailure(error: unknown, logger: Logger): void {
  if (error instanceof Error && !(error instanceof UserError) && error.stack !== undefined) {
    logger.debug(error.stack);
  }
  core.setFailed(error instanceof UserError ? error.message : describeError(error));
}
