/**
 * One prune run, shared by the version-prune action and `gantry prune`: inventory → plan (pure) → print the
 * plan → delete (unless a dry run) → report. Every Lambda call of the run goes through one token-bucket
 * limiter at `settings.rate`, with about half a second of work in flight; one stop (src/prune/stop.ts) ends
 * the run's calls, whether the workflow is cancelled during the inventory or the deletions.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { createLambdaClient } from '../aws/clients.js';
import { inFlightFor, limitClient, TokenBucketLimiter } from '../aws/rate-limiter.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type ExecutionResult, executePlan } from './execute.js';
import { collectInventory, type Inventory } from './inventory.js';
import { type PlanRules, planPrune } from './plan.js';
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
  const stats = limitClient(client, limiter, { inFlight: inFlightFor(settings.rate) });
  const stop = new RunStop(limiter);
  const rules: PlanRules = { keep: settings.keep, protect: settings.protect };

  // A cancelled workflow: during the listing nothing has been deleted yet, so the inventory just fails;
  // during the deletions the report says what was and was not deleted.
  const onAbort = () => stop.stop(describeError(deps.signal?.reason ?? 'cancelled'));
  if (deps.signal?.aborted === true) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    logger.info(`listing ${describeScope(settings)} at up to ${settings.rate} Lambda requests/s`);
    const inventory = await listInventory(settings, rules, client, stop);
    const plan = planPrune(inventory.functions, rules);
    logger.startGroup(`prune plan${settings.dryRun ? ' (dry run)' : ''}`);
    for (const line of planLines(plan, inventory.missing)) logger.info(line);
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
      stats,
      durationMs: performance.now() - started,
    });
    for (const fn of report.functions) {
      for (const skip of fn.skipped) logger.warning(`${fn.function}:${skip.version} skipped: ${skip.reason}`);
    }
    logger.info(headline(report));
    return report;
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
  }
}

async function listInventory(settings: PruneSettings, rules: PlanRules, client: LambdaClient, stop: RunStop): Promise<Inventory> {
  try {
    return await collectInventory(settings.scope, { rules, shortNames: settings.shortNames, standardScaling: settings.standardScaling }, { client });
  } catch (error) {
    // Nothing is deleted on a partial view; abandon the listing calls still waiting.
    stop.stop('the inventory failed');
    throw error;
  }
}

function describeScope(settings: PruneSettings): string {
  const { scope } = settings;
  if (scope.kind === 'capacity-provider') return `every function version on capacity provider ${scope.capacityProvider}`;
  const where = settings.environment === undefined ? '' : ` of ${settings.environment}`;
  return `${scope.functions.length} function${scope.functions.length === 1 ? '' : 's'}${where}`;
}
