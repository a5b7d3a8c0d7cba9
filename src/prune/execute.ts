/**
 * Carries out a prune plan: per function, re-read the aliases right before deleting (re-planning the
 * function if its routing changed), then delete its versions, all through the run's one rate limiter.
 *
 * - Functions go one after another: a function's alias re-read queues behind the previous function's
 *   deletes (the client's calls in flight are bounded and served first come, first served), so it is sent
 *   once they have all been sent, about half a second of work ahead. Calls are always waiting for the next
 *   token (the run goes at the quota) while the re-read stays close to its deletes.
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
import {
  type AliasRouting,
  compareVersions,
  type FunctionInventory,
  type FunctionPlan,
  type PlanRules,
  planFunction,
  sameRouting,
  versionNumber,
} from './plan.js';
import { isRunStopped, type RunStop } from './stop.js';

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
  /** The run's client: paced by its rate limiter, its calls in flight bounded (src/aws/rate-limiter.ts). */
  client: LambdaClient;
  /** The run's stop, shared with the inventory and the cancellation. */
  stop: RunStop;
  logger: Logger;
}

const GONE = 'the function no longer exists';

export async function executePlan(
  plans: readonly FunctionPlan[],
  inventory: ReadonlyMap<string, FunctionInventory>,
  rules: PlanRules,
  deps: ExecuteDeps,
): Promise<ExecutionResult> {
  const execution = new Execution(inventory, rules, deps);
  // One function at a time up to its deletes being issued; the deletes themselves overlap the next re-read.
  for (const plan of plans) await execution.start(plan);
  return execution.finished();
}

class Execution {
  readonly #outcomes: FunctionOutcome[] = [];
  readonly #deletes: Promise<void>[] = [];

  constructor(
    private readonly inventory: ReadonlyMap<string, FunctionInventory>,
    private readonly rules: PlanRules,
    private readonly deps: ExecuteDeps,
  ) {}

  /** One function: re-read its aliases, then issue the deletions that stand, without waiting for them. */
  async start(plan: FunctionPlan): Promise<void> {
    const outcome: FunctionOutcome = { functionName: plan.functionName, deleted: [], skipped: [], notAttempted: [], failed: [], replanned: false };
    this.#outcomes.push(outcome);
    if (plan.delete.length === 0) return;
    if (this.deps.stop.reason !== undefined) {
      outcome.notAttempted.push(...plan.delete);
      return;
    }
    const deletions = await this.#reread(plan, outcome);
    this.#deletes.push(...deletions.map((version) => this.#delete(plan.functionName, version, outcome)));
  }

  /** Once every delete has an answer: the outcomes, versions oldest first. */
  async finished(): Promise<ExecutionResult> {
    await Promise.all(this.#deletes);
    for (const outcome of this.#outcomes) {
      outcome.deleted.sort(compareVersions);
      outcome.notAttempted.sort(compareVersions);
      outcome.skipped.sort((a, b) => compareVersions(a.version, b.version));
      outcome.failed.sort((a, b) => compareVersions(a.version, b.version));
    }
    const stopped = this.deps.stop.reason;
    return { outcomes: this.#outcomes, ...(stopped === undefined ? {} : { stopped }) };
  }

  /** The planned deletions that still stand: all of them, or fewer if the aliases changed since the plan. */
  async #reread(plan: FunctionPlan, outcome: FunctionOutcome): Promise<string[]> {
    const fn = this.inventory.get(plan.functionName);
    if (fn === undefined) throw new Error(`executePlan: no inventory for ${plan.functionName}`);
    let aliases: AliasRouting[];
    try {
      aliases = await listAliases(this.deps.client, plan.functionName);
    } catch (error) {
      if (isRunStopped(error)) outcome.notAttempted.push(...plan.delete);
      else if (isNotFound(error)) outcome.skipped.push(...plan.delete.map((version) => ({ version, reason: GONE })));
      else {
        outcome.notAttempted.push(...plan.delete);
        this.deps.stop.stop(`re-reading the aliases of ${plan.functionName} failed: ${describeError(error)}`);
      }
      return [];
    }
    if (sameRouting(aliases, fn.aliases)) return plan.delete;
    return this.#replan(plan, { ...fn, aliases }, outcome);
  }

  /** Plans the function again with its new aliases; a version the new plan keeps is skipped, with why. */
  #replan(plan: FunctionPlan, fn: FunctionInventory, outcome: FunctionOutcome): string[] {
    const replanned = planFunction(fn, this.rules);
    const still = new Set(replanned.delete);
    for (const version of plan.delete.filter((v) => !still.has(v))) {
      const kept = replanned.kept.find((k) => k.version === version);
      outcome.skipped.push({ version, reason: `aliases changed since the plan; now kept: ${kept?.reasons.join(', ') ?? 'unknown'}` });
    }
    const deletions = plan.delete.filter((version) => still.has(version));
    outcome.replanned = true;
    this.deps.logger.info(`${plan.functionName}: aliases changed since the plan; re-planned: ${deletions.length} of ${plan.delete.length} deletions remain`);
    return deletions;
  }

  async #delete(functionName: string, version: string, outcome: FunctionOutcome): Promise<void> {
    // Defence in depth: a DeleteFunction without a numbered qualifier deletes the whole function.
    if (versionNumber(version) === undefined) throw new Error(`refusing to delete ${functionName}:${version}: not a numbered version`);
    if (this.deps.stop.reason !== undefined) {
      outcome.notAttempted.push(version);
      return;
    }
    try {
      await this.deps.client.send(new DeleteFunctionCommand({ FunctionName: functionName, Qualifier: version }));
      outcome.deleted.push(version);
    } catch (error) {
      if (isRunStopped(error)) outcome.notAttempted.push(version);
      else if (errorName(error) === 'ResourceConflictException') outcome.skipped.push({ version, reason: `conflict: ${(error as Error).message}` });
      else if (isNotFound(error)) outcome.skipped.push({ version, reason: GONE });
      else {
        outcome.failed.push({ version, error: describeError(error) });
        this.deps.stop.stop(`deleting ${functionName}:${version} failed: ${describeError(error)}`);
      }
    }
  }
}
