/**
 * Benchmark: version pruning at the Lambda control-plane quota (15 requests/s per account and region).
 *
 * 1. gantry prunes F functions × V versions on a capacity provider (every kind of protected version seeded
 *    along) and the figure is its wall time over the quota's lower bound, total calls / 15 per second:
 *    1.00 would be every token of the quota used. Target ≤ 1.10, with no protected version deleted and no
 *    failed call.
 * 2. The loop it replaces prunes the same inventory: scan every function of the account (ListFunctions), then
 *    one function after another, one call at a time (versions, aliases, provisioned concurrency, event source
 *    mappings, scaling configs, deletes), on a default client (the SDK's adaptive retry). Same planner, so
 *    the same versions are deleted; the ratio is its wall time over gantry's.
 * 3. Why gantry's client uses the SDK's standard retry mode: a small run while another caller uses half of the
 *    account's quota, with the SDK's adaptive mode (its own client-side limiter on top of gantry's) and with
 *    standard mode (gantry's limiter alone). In real time (clock ×1): the SDK's limiter and backoff count
 *    real seconds, so a fast clock would exaggerate the difference.
 *
 * The sandbox clock runs `speed` times faster and gantry is told `rate = 15 × speed`, so every figure is in
 * sandbox time, as against real Lambda. Each run has its own freshly seeded sandbox. The SDK's retry delays
 * (after a 429) are real time, so at a fast clock a throttled call costs `speed` times more than it would: the
 * loop's figure is pessimistic where it is throttled (its 429s are counted).
 */
import {
  DeleteFunctionCommand,
  GetFunctionScalingConfigCommand,
  LambdaClient,
  paginateListAliases,
  paginateListEventSourceMappings,
  paginateListFunctions,
  paginateListProvisionedConcurrencyConfigs,
  paginateListVersionsByFunction,
} from '@aws-sdk/client-lambda';
import { awsClientConfig, createLambdaClient } from '../../src/aws/clients.js';
import { parseLambdaArn } from '../../src/aws/lambda-arn.js';
import { MemoryLogger } from '../../src/logger.js';
import { aliasRouting, hasOwnScaling } from '../../src/prune/inventory.js';
import { deletionCandidates, type FunctionInventory, type PlanRules, planFunction } from '../../src/prune/plan.js';
import type { PruneReport } from '../../src/prune/report.js';
import { runPrune } from '../../src/prune/run.js';
import type { PruneSettings } from '../../src/prune/settings.js';
import { required } from '../assert.js';
import { seedLambda } from '../sandbox/lambda/seed.js';
import { type GantrySandbox, startSandbox } from '../sandbox/sandbox.js';

const QUOTA = 15;
const KEEP = 5;
const PROVIDER = 'bench-cp';

export interface PruneRunFigures {
  name: string;
  /** Sandbox milliseconds. */
  wallMs: number;
  calls: number;
  throttled: number;
  deleted: number;
  /** Protected versions (by the seeding) that are gone. */
  protectedDeleted: number;
  /** Calls that failed for good (errors that surfaced, not retried 429s). */
  failedCalls: number;
}

export interface PruneBenchFigures {
  functions: number;
  versions: number;
  speed: number;
  gantry: PruneRunFigures;
  loop: PruneRunFigures;
  retryModes: PruneRunFigures[];
}

interface Seeded {
  sandbox: GantrySandbox;
  /** function → versions that must survive. */
  protectedVersions: Map<string, string[]>;
}

/**
 * F functions × V versions on one provider (its 100-version limit lifted: this is about call volume). Each
 * function: live → newest, canary → newest-10 with 10% on newest-11; every 4th function provisioned
 * concurrency on newest-15, every 3rd its own scaling config on newest-20, every 5th an event source mapping
 * on newest-25. A simulated round trip of 40 ms per call.
 */
async function seeded(functions: number, versions: number, speed: number): Promise<Seeded> {
  const sandbox = await startSandbox({ clockSpeed: speed, lambda: { maxVersionsPerCapacityProvider: functions * versions + 1 } });
  const lambda = sandbox.services.lambda;
  const { functionNames } = seedLambda(lambda, {
    capacityProvider: PROVIDER,
    functions,
    versionsPerFunction: versions,
    weightedAliases: [{ name: 'canary', primaryOffset: 10, additionalOffset: 11, weight: 0.1 }],
  });
  const protectedVersions = new Map<string, string[]>();
  functionNames.forEach((name, index) => {
    const back = (offset: number) => String(versions - offset);
    const keep = [0, 1, 2, 3, 4, 10, 11].map(back);
    if (index % 4 === 0 && versions > 15) {
      lambda.state.putProvisionedConcurrency(name, back(15), 1);
      keep.push(back(15));
    }
    if (index % 3 === 0 && versions > 20) {
      lambda.state.putScalingConfig(name, back(20), { MinExecutionEnvironments: 2, MaxExecutionEnvironments: 4 });
      keep.push(back(20));
    }
    if (index % 5 === 0 && versions > 25) {
      lambda.state.createEventSourceMapping(name, back(25), { eventSourceArn: `arn:aws:sqs:eu-west-1:123456789012:${name}` });
      keep.push(back(25));
    }
    protectedVersions.set(name, keep);
  });
  sandbox.faults.add({ service: 'lambda', operation: '*', kind: 'latency', latencyMs: 40 });
  return { sandbox, protectedVersions };
}

function figures(name: string, seed: Seeded, wallRealMs: number, speed: number, extra: { deleted: number; failedCalls: number }): PruneRunFigures {
  const calls = seed.sandbox.server.calls('lambda');
  let protectedDeleted = 0;
  for (const [fn, versions] of seed.protectedVersions) {
    const present = seed.sandbox.services.lambda.state.function(fn).versions;
    protectedDeleted += versions.filter((v) => !present.has(v)).length;
  }
  return { name, wallMs: wallRealMs * speed, calls: calls.length, throttled: calls.filter((call) => call.status === 429).length, protectedDeleted, ...extra };
}

const settings = (speed: number): PruneSettings => ({
  region: 'eu-west-1',
  scope: { kind: 'capacity-provider', capacityProvider: PROVIDER },
  keep: KEEP,
  force: false,
  protect: [],
  shortNames: {},
  standardScaling: {},
  dryRun: false,
  rate: QUOTA * speed,
});

async function withSandboxEnv<T>(sandbox: GantrySandbox, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, sandbox.env);
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

export async function gantryRun(
  name: string,
  functions: number,
  versions: number,
  speed: number,
  options: { client?: (region: string) => LambdaClient; otherCallerRate?: number } = {},
): Promise<PruneRunFigures> {
  const seed = await seeded(functions, versions, speed);
  try {
    return await withSandboxEnv(seed.sandbox, async () => {
      // Another caller in the account: takes a token of the shared quota this many times per second.
      const other = options.otherCallerRate;
      let drain: NodeJS.Timeout | undefined;
      if (other !== undefined) {
        const quota = required(seed.sandbox.quotas.get('lambda-control-plane'), 'the lambda-control-plane quota');
        drain = setInterval(() => quota.take(), 1000 / other / speed);
      }
      const started = performance.now();
      let report: PruneReport;
      try {
        report = await runPrune(settings(speed), {
          logger: new MemoryLogger(),
          ...(options.client === undefined ? {} : { client: options.client('eu-west-1') }),
        });
      } finally {
        clearInterval(drain);
      }
      const wall = performance.now() - started;
      return figures(name, seed, wall, speed, { deleted: report.totals.deleted, failedCalls: report.totals.failed + (report.stopped === undefined ? 0 : 1) });
    });
  } finally {
    await seed.sandbox.stop();
  }
}

/** The loop gantry replaces: scan every function, then prune each, one call at a time. */
async function sequentialScan(client: LambdaClient, providerArn: string, rules: PlanRules): Promise<{ deleted: number; failedCalls: number }> {
  const all = async <Page, T>(pages: AsyncIterable<Page>, items: (page: Page) => T[] | undefined): Promise<T[]> => {
    const found: T[] = [];
    for await (const page of pages) found.push(...(items(page) ?? []));
    return found;
  };
  let deleted = 0;
  let failedCalls = 0;
  const functions = await all(paginateListFunctions({ client }, {}), (page) => page.Functions);
  for (const { FunctionName: name } of functions) {
    const functionName = required(name, 'a listed function name');
    const versions = await all(paginateListVersionsByFunction({ client }, { FunctionName: functionName }), (page) => page.Versions);
    const onProvider = versions.filter(
      (v) => v.Version !== '$LATEST' && v.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig?.CapacityProviderArn === providerArn,
    );
    if (onProvider.length === 0) continue;
    const aliases = await all(paginateListAliases({ client }, { FunctionName: functionName }), (page) => page.Aliases);
    const provisioned = await all(
      paginateListProvisionedConcurrencyConfigs({ client }, { FunctionName: functionName }),
      (page) => page.ProvisionedConcurrencyConfigs,
    );
    const mappings = await all(paginateListEventSourceMappings({ client }, { FunctionName: functionName }), (page) => page.EventSourceMappings);
    const inventory: FunctionInventory = {
      functionName,
      versions: onProvider.map((v) => required(v.Version, `a version of ${functionName}`)),
      aliases: aliases.map(aliasRouting),
      provisioned: provisioned.flatMap((c) => parseLambdaArn(c.FunctionArn ?? '')?.qualifier ?? []),
      eventSourceMappings: mappings.flatMap((e) => {
        const qualifier = parseLambdaArn(e.FunctionArn ?? '')?.qualifier;
        return qualifier === undefined ? [] : [{ qualifier, uuid: e.UUID ?? '' }];
      }),
      scaling: {},
    };
    for (const version of deletionCandidates(inventory, rules)) {
      const config = await client.send(new GetFunctionScalingConfigCommand({ FunctionName: functionName, Qualifier: version }));
      inventory.scaling[version] = hasOwnScaling(config.RequestedFunctionScalingConfig, undefined);
    }
    for (const version of planFunction(inventory, rules).delete) {
      try {
        await client.send(new DeleteFunctionCommand({ FunctionName: functionName, Qualifier: version }));
        deleted++;
      } catch {
        failedCalls++;
      }
    }
  }
  return { deleted, failedCalls };
}

async function loopRun(functions: number, versions: number, speed: number): Promise<PruneRunFigures> {
  const seed = await seeded(functions, versions, speed);
  try {
    return await withSandboxEnv(seed.sandbox, async () => {
      const providerArn = seed.sandbox.services.lambda.state.capacityProvider(PROVIDER).arn;
      const started = performance.now();
      const result = await sequentialScan(createLambdaClient({ region: 'eu-west-1' }), providerArn, { keep: KEEP, protect: [] });
      return figures('sequential scan of every function (the loop it replaces)', seed, performance.now() - started, speed, result);
    });
  } finally {
    await seed.sandbox.stop();
  }
}

/** 40 × 60 by default (the section takes about a minute); `GANTRY_BENCH_PRUNE=100x60` for the example (about two). */
function size(): { functions: number; versions: number } {
  const match = /^(\d+)x(\d+)$/.exec(process.env.GANTRY_BENCH_PRUNE ?? '');
  return match === null ? { functions: 40, versions: 60 } : { functions: Number(match[1]), versions: Number(match[2]) };
}

/** The retry-mode comparison runs in real time: the SDK's limiter and backoff count real seconds. */
export const RETRY_MODE_RUN = { functions: 3, versions: 25, otherCallerRate: 7.5, speed: 1 };

export async function benchVersionPrune(speed = 20): Promise<PruneBenchFigures> {
  const { functions, versions } = size();
  const gantry = await gantryRun('gantry (one limiter, standard retry)', functions, versions, speed);
  const loop = await loopRun(functions, versions, speed);
  const r = RETRY_MODE_RUN;
  const retryModes: PruneRunFigures[] = [];
  for (const retryMode of ['standard', 'adaptive'] as const) {
    retryModes.push(
      await gantryRun(`gantry, SDK ${retryMode} retry`, r.functions, r.versions, r.speed, {
        otherCallerRate: r.otherCallerRate,
        client: (region) => new LambdaClient(awsClientConfig({ region, retryMode })),
      }),
    );
  }
  return { functions, versions, speed, gantry, loop, retryModes };
}

/** Wall time over the quota's lower bound (the calls that got through, at 15 per second). */
export function quotaRatio(run: PruneRunFigures): number {
  return run.wallMs / (((run.calls - run.throttled) / QUOTA) * 1000);
}

export function formatPruneFigures(f: PruneBenchFigures): string {
  const row = (run: PruneRunFigures) =>
    `| ${run.name} | ${run.calls} | ${run.throttled} | ${(run.wallMs / 1000).toFixed(1)} s | ${((run.calls - run.throttled) / QUOTA).toFixed(1)} s | ${quotaRatio(run).toFixed(3)} | ${run.deleted} | ${run.protectedDeleted} | ${run.failedCalls} |`;
  const head = [
    '| Run | Calls | 429s | Wall (sandbox) | Quota bound | Wall ÷ bound | Deleted | Protected deleted | Failed calls |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const [standard, adaptive] = f.retryModes as [PruneRunFigures, PruneRunFigures];
  return [
    `### version-prune: ${f.functions} functions × ${f.versions} versions at ${QUOTA} requests/s (clock ×${f.speed}, 40 ms per call)`,
    '',
    ...head,
    row(f.gantry),
    row(f.loop),
    '',
    `gantry: wall ÷ quota bound ${quotaRatio(f.gantry).toFixed(3)} (target ≤ 1.10), ${f.gantry.protectedDeleted} protected versions deleted, ${f.gantry.failedCalls} failed calls. ` +
      `The loop takes ×${(f.loop.wallMs / f.gantry.wallMs).toFixed(2)} gantry's wall time with ×${(f.loop.calls / f.gantry.calls).toFixed(2)} the calls.`,
    '',
    `**Retry mode** (${RETRY_MODE_RUN.functions} × ${RETRY_MODE_RUN.versions} in real time, another caller uses ${RETRY_MODE_RUN.otherCallerRate} of the 15 requests/s):`,
    '',
    ...head,
    row(standard),
    row(adaptive),
    '',
    `SDK adaptive mode (its limiter on top of gantry's) ÷ standard mode (gantry's limiter alone): wall ×${(adaptive.wallMs / standard.wallMs).toFixed(2)}, 429s ${adaptive.throttled} vs ${standard.throttled}. A short run; the README gives repeated, longer measurements.`,
  ].join('\n');
}
