/**
 * The one way an action runs: parse the inputs against the action's definition (nothing heavy is loaded yet),
 * then call its run function, and turn any error into a failed step.
 *
 * A {@link UserError} fails the step with its one-line message; any other error fails it with the message
 * and its causes, and logs the stack at debug level (visible when the job is re-run with debug logging). A
 * {@link ConfigError} at a line of a file in the workspace is annotated there (`file=`, `line=`, `col=`), so a
 * pull request that breaks the config shows the error on the line it changed.
 */
import { ActionsLogger } from './actions-logger.js';
import { type ActionContext, type ActionDefinition, type InputSpecs, parseInputs } from './definition/define.js';
import { ConfigError, describeError, UserError } from './errors.js';
import { actionInputSource } from './inputs.js';
import type { Logger } from './logger.js';
import { workspaceRoot } from './read-user-file.js';
import { annotationAt, appendSummary, setFailed, setOutput, stdout } from './workflow-commands.js';

export type { ActionContext } from './definition/define.js';

export function actionsContext(env: NodeJS.ProcessEnv = process.env): ActionContext {
  return {
    inputs: actionInputSource(env),
    logger: new ActionsLogger(),
    setOutput: (name, value) => setOutput(name, String(value), env),
    appendSummary: async (markdown) => appendSummary(markdown, env),
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

/** Parses the inputs, then runs the action. Never throws: a failure fails the step. */
export async function runDefinedAction<I extends InputSpecs, S>(definition: ActionDefinition<I, S>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const context = actionsContext(env);
  try {
    const settings = parseInputs(definition, actionInputSource(env), env, 'action');
    await definition.run(settings, context);
  } catch (error) {
    reportFailure(error, context.logger, env);
  }
  // A build log printed last leaves its stop-commands region open: end it, so the runner obeys commands again.
  stdout.resume();
  // A cancelled action has done its cleanup (stopped its build, say) and reported; leave now. A timer still
  // pending in a library (the SDK waiter sleeps up to its maxDelay before it looks at its abort signal) would
  // otherwise keep the step alive until GitHub kills it, about 10 s after SIGINT.
  if (cancelled?.signal.aborted === true) process.exit();
}

export function reportFailure(error: unknown, logger: Logger, env: NodeJS.ProcessEnv = process.env): void {
  if (error instanceof Error && !(error instanceof UserError) && error.stack !== undefined) {
    logger.debug(error.stack);
  }
  const at = error instanceof ConfigError ? annotationAt(error.location, workspaceRoot(env)) : {};
  setFailed(error instanceof UserError ? error.message : describeError(error), at);
}
