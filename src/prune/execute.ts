/**
 * Carries out a prune plan: per function, re-read everything that protects its versions right before
 * deleting (re-planning the function if anything changed), then delete its versions, all through the run's
 * one rate limiter.
 *
 * - The re-read, batched per function: its aliases and its provisioned concurrency together, then the
 *   account's event source mappings (the listing closest to the deletes). Three calls or so per function,
 *   none per version.
 * - Functions go one after another: a function's re-read waits behind the previous function's deletes for a
 *   slot (the client's calls in flight are bounded and served first come, first served), then goes ahead of
 *   those still waiting for a token (listings first), so its own deletes follow it by about half a second of
 *   work. Calls are always waiting for the next token (the run goes at the quota) while the re-read stays close
 *   to its deletes.
 * - A re-plan can only keep more: nothing the printed plan did not list is ever deleted.
 * - What the re-read cannot see: a protection added after it and before the delete. Lambda itself refuses to
 *   delete an alias target (ResourceConflictException: a skip with its reason); provisioned concurrency or an
 *   event source mapping added in that window (the half second or so of calls queued ahead of the function's
 *   deletes, and their own time) is not refused by Lambda.
 * - A 404 says which is gone, the version or the function (one GetFunction per function, only then).
 * - A delete or a re-read that ran out of the SDK's retries (throttling, a 5xx) fails that version alone: it is
 *   left for a later run and the run goes on. Any other error stops the run: calls in flight finish, nothing
 *   new is sent, and the outcome says what was and was not deleted. Deleting is idempotent, so a re-run
 *   continues where this one stopped.
 */
import { DeleteFunctionCommand, GetFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { errorName, isNotFound, isRetryableLater, listAliases, listEventSourceMappings, listProvisioned } from './inventory.js';
import {
  changedProtections,
  compareVersions,
  type FunctionInventory,
  type FunctionPlan,
  type PlanRules,
  type Protections,
  planFunction,
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
  /** Planned, and failed: ran out of the SDK's retries (left for a later run), or the error that stopped the run. */
  failed: FailedVersion[];
  /** Its protections had changed since the inventory and the function was re-planned. */
  replanned: boolean;
}

export interface ExecutionResult {
  outcomes: FunctionOutcome[];
}

export interface ExecuteDeps {
  /** The run's client: paced by its rate limiter, its calls in flight bounded (src/aws/rate-limiter.ts). */
  client: LambdaClient;
  /** The run's stop, shared with the inventory, the time budget and the cancellation. */
  stop: RunStop;
  logger: Logger;
}

const functionGone = (functionName: string) => `function ${functionName} no longer exists`;

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
  /** Function → whether it still exists, asked once after a 404 on one of its deletes. */
  readonly #exists = new Map<string, Promise<boolean | undefined>>();

  constructor(
    private readonly inventory: ReadonlyMap<string, FunctionInventory>,
    private readonly rules: PlanRules,
    private readonly deps: ExecuteDeps,
  ) {}

  /** One function: re-read its protections, then issue the deletions that stand, without waiting for them. */
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
    return { outcomes: this.#outcomes };
  }

  /** The planned deletions that still stand: all of them, or fewer if anything protecting versions changed. */
  async #reread(plan: FunctionPlan, outcome: FunctionOutcome): Promise<string[]> {
    const fn = this.inventory.get(plan.functionName);
    if (fn === undefined) throw new Error(`executePlan: no inventory for ${plan.functionName}`);
    let now: Protections;
    try {
      const { client } = this.deps;
      const [aliases, provisioned] = await Promise.all([listAliases(client, plan.functionName), listProvisioned(client, plan.functionName)]);
      const mappings = await listEventSourceMappings(client);
      now = { aliases, provisioned, eventSourceMappings: mappings.get(plan.functionName) ?? [] };
    } catch (error) {
      if (isRunStopped(error)) outcome.notAttempted.push(...plan.delete);
      else if (isNotFound(error)) outcome.skipped.push(...plan.delete.map((version) => ({ version, reason: functionGone(plan.functionName) })));
      else if (isRetryableLater(error)) {
        const failure = `re-reading its protections failed: ${describeError(error)}`;
        outcome.failed.push(...plan.delete.map((version) => ({ version, error: failure })));
      } else {
        outcome.notAttempted.push(...plan.delete);
        this.deps.stop.stop(`re-reading the protections of ${plan.functionName} failed: ${describeError(error)}`, 'error');
      }
      return [];
    }
    const changed = changedProtections(fn, now);
    if (changed.length === 0) return plan.delete;
    return this.#replan(plan, { ...fn, ...now }, changed.join(', '), outcome);
  }

  /** Plans the function again with what protects it now; a version the new plan keeps is skipped, with why. */
  #replan(plan: FunctionPlan, fn: FunctionInventory, changed: string, outcome: FunctionOutcome): string[] {
    const replanned = planFunction(fn, this.rules);
    const still = new Set(replanned.delete);
    for (const version of plan.delete.filter((v) => !still.has(v))) {
      const kept = replanned.kept.find((k) => k.version === version);
      outcome.skipped.push({ version, reason: `${changed} changed since the plan; now kept: ${kept?.reasons.join(', ') ?? 'unknown'}` });
    }
    const deletions = plan.delete.filter((version) => still.has(version));
    outcome.replanned = true;
    this.deps.logger.info(`${plan.functionName}: ${changed} changed since the plan; re-planned: ${deletions.length} of ${plan.delete.length} deletions remain`);
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
      else if (isNotFound(error)) outcome.skipped.push({ version, reason: await this.#whichIsGone(functionName, version, error) });
      else if (isRetryableLater(error)) outcome.failed.push({ version, error: describeError(error) });
      else {
        outcome.failed.push({ version, error: describeError(error) });
        this.deps.stop.stop(`deleting ${functionName}:${version} failed: ${describeError(error)}`, 'error');
      }
    }
  }

  /** After a 404 on deleting a version: whether the version or the whole function is gone. */
  async #whichIsGone(functionName: string, version: string, error: unknown): Promise<string> {
    let exists = this.#exists.get(functionName);
    if (exists === undefined) {
      exists = this.deps.client.send(new GetFunctionCommand({ FunctionName: functionName })).then(
        () => true,
        (lookup: unknown) => (isNotFound(lookup) ? false : undefined),
      );
      this.#exists.set(functionName, exists);
    }
    const found = await exists;
    if (found === false) return functionGone(functionName);
    if (found === true) return `version ${version} no longer exists (deleted since the plan)`;
    return `not found (the version or the function): ${describeError(error)}`;
  }
}
