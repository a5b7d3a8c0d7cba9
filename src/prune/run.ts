/**
 * One prune run, shared by the version-prune action and `gantry prune`: inventory → plan (pure) → print the
 * plan → delete (unless a dry run) → report. Every Lambda call of the run goes through one token-bucket
 * limiter at `settings.rate`.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { createLambdaClient } from '../aws/clients.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { executePlan, RunStoppedError, type ExecutionResult } from './execute.js';
import { collectInventory } from './inventory.js';
import { planPrune, type PlanRules } from './plan.js';
import { CallWindow, TokenBucketLimiter, limitClient, windowSize } from '../aws/rate-limiter.js';
import { buildReport, headline, planLines, type PruneReport } from './report.js';
import type { PruneSettings } from './settings.js';

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
  const stats = limitClient(client, limiter);
  const window = new CallWindow(windowSize(settings.rate));
  const issue = <T>(call: () => Promise<T>, urgent: boolean) => window.run(call, urgent);
  const rules: PlanRules = { keep: settings.keep, protect: settings.protect };

  logger.info(`listing ${describeScope(settings)} at up to ${settings.rate} Lambda requests/s`);
  const abandon = (reason: string) => {
    const stopped = new RunStoppedError(reason);
    window.stop(stopped);
    limiter.stop(stopped);
  };
  // A cancelled workflow during the listing: nothing has been deleted yet, so just stop.
  const onAbort = () => abandon(describeError(deps.signal?.reason ?? 'cancelled'));
  if (deps.signal?.aborted === true) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  let inventory;
  try {
    inventory = await collectInventory(settings.scope, { rules, shortNames: settings.shortNames, standardScaling: settings.standardScaling }, { client, issue });
  } catch (error) {
    // Nothing is deleted on a partial view; abandon the listing calls still waiting.
    abandon('the inventory failed');
    throw error;
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
  }
  const plan = planPrune(inventory.functions, rules);
  logger.startGroup(`prune plan${settings.dryRun ? ' (dry run)' : ''}`);
  for (const line of planLines(plan, inventory.missing)) logger.info(line);
  logger.endGroup();

  let execution: ExecutionResult | undefined;
  if (settings.dryRun) {
    logger.info('dry run: nothing deleted; run with dry-run false to delete the versions listed above');
  } else {
    const byName = new Map(inventory.functions.map((fn) => [fn.functionName, fn]));
    execution = await executePlan(plan.functions, byName, rules, { client, limiter, window, logger, ...(deps.signal === undefined ? {} : { signal: deps.signal }) });
  }
  const report = buildReport({ settings, inventory, plan, ...(execution === undefined ? {} : { execution }), stats, durationMs: performance.now() - started });
  for (const fn of report.functions) {
    for (const skip of fn.skipped) logger.warning(`${fn.function}:${skip.version} skipped: ${skip.reason}`);
  }
  logger.info(headline(report));
  return report;
}

function describeScope(settings: PruneSettings): string {
  const { scope } = settings;
  if (scope.kind === 'capacity-provider') return `every function version on capacity provider ${scope.capacityProvider}`;
  const where = settings.environment === undefined ? '' : ` of ${settings.environment}`;
  return `${scope.functions.length} function${scope.functions.length === 1 ? '' : 's'}${where}`;
}
