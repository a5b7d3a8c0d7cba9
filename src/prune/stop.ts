/**
 * How a prune run stops: once, for the first reason (a cancelled workflow, a failed inventory, a delete that
 * failed for good). From then on every call still waiting for a token, and every later one, fails with a
 * {@link RunStoppedError} without being sent; calls already sent finish. The inventory and the deletions
 * share one stop, so a cancellation during either ends the run the same way.
 */

import type { TokenBucketLimiter } from '../aws/rate-limiter.js';
import { OperationError } from '../errors.js';

/** Thrown into calls still waiting for a token once the run stops; they were never sent. */
export class RunStoppedError extends OperationError {
  constructor(readonly reason: string) {
    super(`run stopped: ${reason}`);
  }
}

/** Whether a call failed because the run stopped (by class, or by name once the SDK has handled it). */
export function isRunStopped(error: unknown): boolean {
  return error instanceof RunStoppedError || (error as { name?: string } | undefined)?.name === 'RunStoppedError';
}

export class RunStop {
  #reason: string | undefined;

  constructor(private readonly limiter: TokenBucketLimiter) {}

  /** Why the run stopped; undefined while it goes on. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** Stops the run, unless it has stopped already (the first reason is the one reported). */
  stop(reason: string): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.limiter.stop(new RunStoppedError(reason));
  }
}
