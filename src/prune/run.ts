/**
 * One prune run, shared by the version-prune action and `gantry prune`: inventory → protect-list check →
 * plan (pure) → print the plan → delete (unless a dry run) → report. Every Lambda call of the run goes
 * through one token-bucket limiter at `settings.rate` that slows down under throttling and climbs back after
 * it, with about half a second of work in flight; one stop (src/prune/stop.ts) ends the run's calls, whether
 * the time budget runs out or the workflow is cancelled, during the inventory or the deletions.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { createLambdaClient } from '../aws/clients.js';
import { inFlightFor, limitClient, TokenBucketLimiter } from '../aws/rate-limiter.js';
import { describeError, UserError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type ExecutionResult, executePlan } from './execute.js';
import { collectInventory, type Inventory, isRetryableLater } from './inventory.js';
import { type PlanRules, planPrune, protectListProblems } from './plan.js';
import { buildReport, headline, type PruneReport, planLines } from './report.js';
import type { PruneSettings } from './settings.js';
import { RunStop } from './stop.js';

export interface PruneDeps {
  logger: Logger;
  /** A Lambda client to use (the benchmark passes one); by default one from src/aws/clients.ts. */
  client?: LambdaClient;
  /** Stops the run (a cancelled workflow): nothing new is sent, and the report says what was done. */
  signal?: AbortSignal;
}

export async function runPrune(settings: PruneSettings, deps: PruneDeps): Promise<PruneReport> {
  const started = performance.now();
  const { logger } = deps;
  // Standard retry mode: the limiter below is the one client-side rate limiter (with adaptive mode's own
  // limiter on top, each 429 slowed both down: measured in the version-prune benchmark).
  const client = deps.client ?? createLambdaClient({ region: settings.region, retryMode: 'standard' });
  const limiter = new TokenBucketLimiter({ ratePerSecond: settings.rate });
  const stats = limitClient(client, limiter, { inFlight: inFlightFor(settings.rate), retryable: isRetryableLater });
  const stop = new RunStop(limiter);
  const rules: PlanRules = { keep: settings.keep, protect: settings.protect };

  // A cancelled workflow or the time budget: nothing new is sent; the report says what was and was not done.
  const onAbort = () => stop.stop(describeError(deps.signal?.reason ?? 'cancelled'), 'cancelled');
  if (deps.signal?.aborted === true) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const budget = setTimeout(() => {
    if (stop.reason !== undefined) return;
    stop.stop(`the time budget of ${settings.timeBudgetSeconds} s was used`, 'time-budget');
    logger.warning(`time budget of ${settings.timeBudgetSeconds} s used: sending nothing more; what is left stays for a later run`);
  }, settings.timeBudgetSeconds * 1000);
  try {
    logger.info(`listing ${describeScope(settings)} at up to ${settings.rate} Lambda requests/s, for at most ${settings.timeBudgetSeconds} s`);
    const inventory = await listInventory(settings, client, stop);
    for (const warning of inventory.warnings) logger.warning(warning);
    checkProtectList(settings, inventory, stop);
    const plan = planPrune(inventory.functions, rules);
    logger.startGroup(`prune plan${settings.dryRun ? ' (dry run)' : ''}`);
    for (const line of planLines(plan, inventory.missing, inventory.unlisted)) logger.info(line);
    logger.endGroup();

    let execution: ExecutionResult | undefined;
    if (settings.dryRun) {
      logger.info('dry run: nothing deleted; run with dry-run false to delete the versions listed above');
    } else {
      const byName = new Map(inventory.functions.map((fn) => [fn.functionName, fn]));
      execution = await executePlan(plan.functions, byName, rules, { client, stop, logger });
    }
    const report = buildReport({
      settings,
      inventory,
      plan,
      ...(execution === undefined ? {} : { execution }),
      ...(stop.reason === undefined || stop.kind === undefined ? {} : { stopped: { reason: stop.reason, kind: stop.kind } }),
      stats: { ...stats, lowestRate: limiter.lowestRate },
      durationMs: performance.now() - started,
    });
    for (const fn of report.functions) {
      for (const skip of fn.skipped) logger.warning(`${fn.function}:${skip.version} skipped: ${skip.reason}`);
    }
    logger.info(headline(report));
    return report;
  } finally {
    clearTimeout(budget);
    deps.signal?.removeEventListener('abort', onAbort);
  }
}

async function listInventory(settings: PruneSettings, client: LambdaClient, stop: RunStop): Promise<Inventory> {
  try {
    return await collectInventory(settings.scope, { shortNames: settings.shortNames }, { client });
  } catch (error) {
    // Nothing is deleted on a partial view; abandon the listing calls still waiting.
    stop.stop('the inventory failed', 'error');
    throw error;
  }
}

/**
 * A protect-list entry naming a version the listing shows does not exist (or a function that does not) is a
 * typo that would protect nothing: refused before any delete, naming the entry. Only versions listed in full
 * are judged (a function's own listing, not a capacity provider's, which holds only its versions there).
 */
function checkProtectList(settings: PruneSettings, inventory: Inventory, stop: RunStop): void {
  const listed = settings.scope.kind === 'capacity-provider' ? [] : inventory.functions;
  const missing = inventory.missing.map((functionName) => {
    const shortName = settings.shortNames[functionName];
    return shortName === undefined ? { functionName } : { functionName, shortName };
  });
  const [first, ...more] = protectListProblems(settings.protect, listed, missing);
  if (first === undefined) return;
  stop.stop('the protect list names a version that does not exist', 'error');
  const where = settings.protectSource ?? 'protect list';
  const others = more.length === 0 ? '' : ` (and ${more.length} more entr${more.length === 1 ? 'y' : 'ies'})`;
  throw new UserError(`${where}.${first.index}: "${first.entry}" ${first.problem}; correct or remove the entry${others}`);
}

function describeScope(settings: PruneSettings): string {
  const { scope } = settings;
  if (scope.kind === 'capacity-provider') return `every function version on capacity provider ${scope.capacityProvider}`;
  const where = settings.environment === undefined ? '' : ` of ${settings.environment}`;
  return `${scope.functions.length} function${scope.functions.length === 1 ? '' : 's'}${where}`;
}
