/**
 * Carries out a prune plan: per function, re-read the aliases right before deleting (re-planning the
 * function if its routing changed), then delete its versions, all through the run's one rate limiter.
 *
 * - Functions go one after another: a function's alias re-read is issued once the previous function's
 *   deletes have all been issued (at most a call window, half a second of work, ahead), so calls are always
 *   waiting for the next token (the run goes at the quota) while the re-read stays close to its deletes.
 * - A re-plan can only keep more: nothing the printed plan did not list is ever deleted.
 * - A ResourceConflictException (the version became an alias target after the re-read) is a skip with its
 *   reason; a function that no longer exists skips its versions. Any other error that survives the SDK's
 *   retries stops the run: calls in flight finish, nothing new is sent, and the outcome says what was and
 *   was not deleted. Deleting is idempotent, so a re-run continues where this one stopped.
 */
import { DeleteFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { errorName, isNotFound, listAliases } from './inventory.js';
import { compareVersions, planFunction, sameRouting, versionNumber, type FunctionInventory, type FunctionPlan, type PlanRules } from './plan.js';
import type { CallWindow, TokenBucketLimiter } from '../aws/rate-limiter.js';

export interface SkippedVersion {
  version: string;
  reason: string;
}

export interface FailedVersion {
  version: string;
  error: string;
}

export interface FunctionOutcome {
  functionName: string;
  deleted: string[];
  skipped: SkippedVersion[];
  /** Planned, but not attempted because the run stopped. */
  notAttempted: string[];
  failed: FailedVersion[];
  /** The aliases had changed since the inventory and the function was re-planned. */
  replanned: boolean;
}

export interface ExecutionResult {
  outcomes: FunctionOutcome[];
  /** Why the run stopped early, when it did. */
  stopped?: string;
}

export interface ExecuteDeps {
  client: LambdaClient;
  limiter: TokenBucketLimiter;
  window: CallWindow;
  logger: Logger;
  signal?: AbortSignal;
}

/** Thrown into calls still waiting for a token once the run stops; they were never sent. */
export class RunStoppedError extends Error {
  constructor(readonly reason: string) {
    super(`run stopped: ${reason}`);
    this.name = 'RunStoppedError';
  }
}

export async function executePlan(
  plans: readonly FunctionPlan[],
  inventory: ReadonlyMap<string, FunctionInventory>,
  rules: PlanRules,
  deps: ExecuteDeps,
): Promise<ExecutionResult> {
  const { client, limiter, window, logger } = deps;
  const issue = <T>(call: () => Promise<T>, urgent: boolean) => window.run(call, urgent);
  let stopped: string | undefined;
  const stop = (reason: string) => {
    if (stopped !== undefined) return;
    stopped = reason;
    const error = new RunStoppedError(reason);
    window.stop(error);
    limiter.stop(error);
  };
  const onAbort = () => stop(describeError(deps.signal?.reason ?? 'cancelled'));
  if (deps.signal?.aborted === true) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });

  const outcomes: FunctionOutcome[] = [];
  const running: Promise<void>[] = [];
  try {
    for (const plan of plans) {
      const outcome: FunctionOutcome = { functionName: plan.functionName, deleted: [], skipped: [], notAttempted: [], failed: [], replanned: false };
      outcomes.push(outcome);
      if (plan.delete.length === 0) continue;
      // The previous function's deletes are all in flight or at the limiter: re-read this one's aliases now.
      await window.whenQueuedBelow(1);
      if (stopped !== undefined) {
        outcome.notAttempted.push(...plan.delete);
        continue;
      }
      const deletions = await reread(plan, inventory.get(plan.functionName), outcome);
      running.push(...deletions.map((version) => deleteVersion(plan.functionName, version, outcome)));
    }
    await Promise.all(running);
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
  }
  for (const outcome of outcomes) {
    outcome.deleted.sort(compareVersions);
    outcome.notAttempted.sort(compareVersions);
    outcome.skipped.sort((a, b) => compareVersions(a.version, b.version));
    outcome.failed.sort((a, b) => compareVersions(a.version, b.version));
  }
  return { outcomes, ...(stopped === undefined ? {} : { stopped }) };

  /** Re-reads the aliases; returns the deletions that stand (re-planned if the routing changed). */
  async function reread(plan: FunctionPlan, fn: FunctionInventory | undefined, outcome: FunctionOutcome): Promise<string[]> {
    let deletions = plan.delete;
    if (fn === undefined) throw new Error(`executePlan: no inventory for ${plan.functionName}`);
    try {
      const aliases = await listAliases(client, plan.functionName, issue);
      if (!sameRouting(aliases, fn.aliases)) {
        const replanned = planFunction({ ...fn, aliases }, rules);
        const still = new Set(replanned.delete);
        for (const version of deletions.filter((v) => !still.has(v))) {
          const kept = replanned.kept.find((k) => k.version === version);
          outcome.skipped.push({ version, reason: `aliases changed since the plan; now kept: ${kept?.reasons.join(', ') ?? 'unknown'}` });
        }
        deletions = deletions.filter((version) => still.has(version));
        outcome.replanned = true;
        logger.info(`${plan.functionName}: aliases changed since the plan; re-planned: ${deletions.length} of ${plan.delete.length} deletions remain`);
      }
    } catch (error) {
      if (error instanceof RunStoppedError || errorName(error) === 'RunStoppedError') {
        outcome.notAttempted.push(...deletions);
        return [];
      }
      if (isNotFound(error)) {
        outcome.skipped.push(...deletions.map((version) => ({ version, reason: 'the function no longer exists' })));
        return [];
      }
      outcome.notAttempted.push(...deletions);
      stop(`re-reading the aliases of ${plan.functionName} failed: ${describeError(error)}`);
      return [];
    }
    return deletions;
  }

  async function deleteVersion(functionName: string, version: string, outcome: FunctionOutcome): Promise<void> {
    // Defence in depth: a DeleteFunction without a numbered qualifier deletes the whole function.
    if (versionNumber(version) === undefined) throw new Error(`refusing to delete ${functionName}:${version}: not a numbered version`);
    if (stopped !== undefined) {
      outcome.notAttempted.push(version);
      return;
    }
    try {
      await issue(() => client.send(new DeleteFunctionCommand({ FunctionName: functionName, Qualifier: version })), false);
      outcome.deleted.push(version);
    } catch (error) {
      const name = errorName(error);
      if (error instanceof RunStoppedError || name === 'RunStoppedError') outcome.notAttempted.push(version);
      else if (name === 'ResourceConflictException') outcome.skipped.push({ version, reason: `conflict: ${(error as Error).message}` });
      else if (isNotFound(error)) outcome.skipped.push({ version, reason: 'the function no longer exists' });
      else {
        outcome.failed.push({ version, error: describeError(error) });
        stop(`deleting ${functionName}:${version} failed: ${describeError(error)}`);
      }
    }
  }
}
