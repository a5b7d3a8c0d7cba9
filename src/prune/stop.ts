/**
 * How a prune run stops: once, for the first reason (the time budget used, a cancelled workflow, a failed
 * inventory, a delete that failed for good). From then on every call still waiting for a token, and every
 * later one, fails with a {@link RunStoppedError} without being sent; a call waiting in the SDK's backoff
 * gives up at once, and calls already sent finish (src/aws/rate-limiter.ts). The inventory and the deletions
 * share one stop, so the budget or a cancellation during either ends the run the same way.
 */

import type { TokenBucketLimiter } from '../aws/rate-limiter.js';
import { OperationError } from '../errors.js';

/** Thrown into calls still waiting for a token once the run stops; they were never sent. */
export class RunStoppedError extends OperationError {
  // Its own kind, hence its name: the bundles are minified, and isRunStopped reads the name.
  static override readonly kind: string = 'RunStoppedError';

  constructor(readonly reason: string) {
    super(`run stopped: ${reason}`);
  }
}

/** Whether a call failed because the run stopped (by class, or by name once the SDK has handled it). */
export function isRunStopped(error: unknown): boolean {
  return error instanceof RunStoppedError || (error as { name?: string } | undefined)?.name === 'RunStoppedError';
}

/**
 * Why a run stopped: its time budget was used (background work that ends on time, not a failure by itself),
 * the workflow was cancelled, or an error that no retry fixes (access denied, a failed inventory).
 */
export type StopKind = 'time-budget' | 'cancelled' | 'error';

export class RunStop {
  #reason: string | undefined;
  #kind: StopKind | undefined;

  constructor(private readonly limiter: TokenBucketLimiter) {}

  /** Why the run stopped; undefined while it goes on. */
  get reason(): string | undefined {
    return this.#reason;
  }

  get kind(): StopKind | undefined {
    return this.#kind;
  }

  /** Stops the run, unless it has stopped already (the first reason is the one reported). */
  stop(reason: string, kind: StopKind): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#kind = kind;
    this.limiter.stop(new RunStoppedError(reason));
  }
}
