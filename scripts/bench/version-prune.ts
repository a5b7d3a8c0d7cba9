/**
 * Benchmark: version pruning at the Lambda control-plane quota (15 requests/s per account and region). Every run
 * has its own freshly seeded sandbox (below) and deletes for real (not a dry run).
 *
 * 1. gantry prunes F functions × V versions on one capacity provider: `runPrune` with the capacity-provider
 *    scope, keep 5, the rate 15 × the clock speed. Its figure is wall time over the bound Lambda imposes: its
 *    control-plane calls that got through ÷ 15 per second (the capacity provider's listing has a quota of its
 *    own). 1.00 would be every token of the quota used. Target ≤ 1.10, with no protected version deleted and no
 *    failed call. Also reported: calls per deleted version.
 * 2. The loop it replaces prunes the same inventory: ListFunctions over the account, then one function after
 *    another, one call at a time (ListVersionsByFunction, ListAliases, ListProvisionedConcurrencyConfigs,
 *    ListEventSourceMappings for the function, then each delete), on a default client (the SDK's adaptive
 *    retry). Same planner, so the same versions are deleted. No public tool prunes Managed Instances versions:
 *    this baseline is gantry's own planner with its scheduling replaced by a plain loop.
 * 3. Both at a fast clock (×20, 40 × 60 by default) and at real speed (×1, 8 × 40). The fast clock multiplies
 *    every real millisecond of overhead by 20: a one-call-at-a-time loop pays its real overhead per call 20
 *    times over, so at ×20 it looks slower than it is. ×1 is the figure to compare; ×20 is there to show the
 *    larger size and the artefact.
 * 4. Why gantry's client uses the SDK's standard retry mode: 3 × 25 at ×1 while another caller takes 7.5 of
 *    the 15 tokens a second, with the SDK's adaptive mode (its own client-side limiter on top of gantry's) and
 *    with standard mode (gantry's limiter alone). The bound that applies is the tokens the quota gave over the
 *    run (15/s, plus the 15 its bucket holds at the start) minus those the other caller took.
 *
 * Seeding: F functions × V versions on one provider (its 100-version limit lifted: this is about call volume).
 * Each function: live → newest, canary → newest-10 with 10% on newest-11; every 4th function provisioned
 * concurrency on newest-15, every 5th an event source mapping on newest-25; every 3rd a scaling config of its
 * own on newest-20, which is a setting and protects nothing (src/prune/plan.ts). 40 ms of sandbox time per call.
 *
 * The SDK's retry delays (after a 429) are real time, so at a fast clock a throttled call costs `speed` times
 * more than it would (429s are counted).
 */
import {
  DeleteFunctionCommand,
  LambdaClient,
  paginateListAliases,
  paginateListEventSourceMappings,
  paginateListFunctions,
  paginateListProvisionedConcurrencyConfigs,
  paginateListVersionsByFunction,
} from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../../src/aws/clients.js';
import { parseLambdaArn } from '../../src/aws/lambda-arn.js';
import { MemoryLogger } from '../../src/logger.js';
import { aliasRouting } from '../../src/prune/inventory.js';
import { type FunctionInventory, type PlanRules, planFunction } from '../../src/prune/plan.js';
import type { PruneReport } from '../../src/prune/report.js';
import { runPrune } from '../../src/prune/run.js';
import type { PruneSettings } from '../../src/prune/settings.js';
import { required } from '../assert.js';
import { seedLambda } from '../sandbox/lambda/seed.js';
import type { LambdaService } from '../sandbox/lambda/service.js';
import { type GantrySandbox, startSandbox } from '../sandbox/sandbox.js';

const QUOTA = 15;
const KEEP = 5;
const PROVIDER = 'bench-cp';
const LATENCY_MS = 40;

export interface PruneRunFigures {
  name: string;
  speed: number;
  functions: number;
  versions: number;
  /** Sandbox milliseconds. */
  wallMs: number;
  /** Every Lambda call, and those on the control-plane quota. */
  calls: number;
  controlPlaneCalls: number;
  throttled: number;
  deleted: number;
  /** Protected versions (by the seeding) that are gone. */
  protectedDeleted: number;
  /** Calls that failed for good (errors that surfaced, not retried 429s). */
  failedCalls: number;
  /** The bound that applies, sandbox milliseconds: control-plane calls through ÷ the share of 15/s left to this run. */
  boundMs: number;
  /** Tokens another caller took from the quota during the run, when there was one. */
  otherTaken?: number;
}

export interface PruneRuns {
  /** gantry and the loop at one size and one clock. */
  gantry: PruneRunFigures;
  loop: PruneRunFigures;
}

export interface PruneBenchFigures {
  fast: PruneRuns;
  real: PruneRuns;
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
    // A setting, not a protection: deleted like any other version outside the newest 5.
    if (index % 3 === 0 && versions > 20) lambda.state.putScalingConfig(name, back(20), { MinExecutionEnvironments: 2, MaxExecutionEnvironments: 4 });
    if (index % 5 === 0 && versions > 25) {
      lambda.state.createEventSourceMapping(name, back(25), { eventSourceArn: `arn:aws:sqs:eu-west-1:123456789012:${name}` });
      keep.push(back(25));
    }
    protectedVersions.set(name, keep);
  });
  sandbox.faults.add({ service: 'lambda', operation: '*', kind: 'latency', latencyMs: LATENCY_MS });
  return { sandbox, protectedVersions };
}

interface Measured {
  deleted: number;
  failedCalls: number;
  /** Tokens another caller took during the run. */
  otherTaken?: number;
}

function figures(
  name: string,
  seed: Seeded,
  wallRealMs: number,
  speed: number,
  size: { functions: number; versions: number },
  measured: Measured,
): PruneRunFigures {
  const lambda: LambdaService = seed.sandbox.services.lambda;
  const calls = seed.sandbox.server.calls('lambda');
  let protectedDeleted = 0;
  for (const [fn, versions] of seed.protectedVersions) {
    const present = lambda.state.function(fn).versions;
    protectedDeleted += versions.filter((v) => !present.has(v)).length;
  }
  const through = calls.filter((call) => call.status !== 429 && lambda.quotaFor(call.operation) === 'lambda-control-plane').length;
  // Without another caller: 15 tokens a second. With one: every token the bucket gave over the run (the 15 it
  // holds at the start, then 15 a second) went to this run or to the other caller.
  const boundMs = measured.otherTaken === undefined ? (through / QUOTA) * 1000 : (Math.max(0, through + measured.otherTaken - QUOTA) / QUOTA) * 1000;
  return {
    name,
    speed,
    ...size,
    wallMs: wallRealMs * speed,
    calls: calls.length,
    controlPlaneCalls: calls.filter((call) => lambda.quotaFor(call.operation) === 'lambda-control-plane').length,
    throttled: calls.filter((call) => call.status === 429).length,
    protectedDeleted,
    boundMs,
    ...measured,
  };
}

const settings = (speed: number): PruneSettings => ({
  region: 'eu-west-1',
  scope: { kind: 'capacity-provider', capacityProvider: PROVIDER },
  keep: KEEP,
  force: false,
  protect: [],
  shortNames: {},
  dryRun: false,
  rate: QUOTA * speed,
  timeBudgetSeconds: 21_600,
});

/**
 * A Lambda client as gantry makes one (src/aws/clients.ts: `createLambdaClient`, the retry mode given), pointed
 * at this sandbox by its own settings rather than by AWS_ENDPOINT_URL_LAMBDA: the ×1 runs share the process with
 * other benchmarks at once, so nothing here may change process.env.
 */
function sandboxClient(sandbox: GantrySandbox, retryMode?: 'standard' | 'adaptive'): LambdaClient {
  return new LambdaClient({
    ...awsClientConfig({ region: 'eu-west-1', ...(retryMode === undefined ? {} : { retryMode }) }),
    endpoint: sandbox.url,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  });
}

export async function gantryRun(
  name: string,
  functions: number,
  versions: number,
  speed: number,
  /** `retryMode`: the client's (runPrune's own is standard). */
  options: { retryMode?: 'standard' | 'adaptive'; otherCallerRate?: number } = {},
): Promise<PruneRunFigures> {
  const seed = await seeded(functions, versions, speed);
  // Another caller in the account: takes a token of the shared quota this many times per second.
  const other = options.otherCallerRate;
  let drain: NodeJS.Timeout | undefined;
  let otherTaken = 0;
  try {
    if (other !== undefined) {
      const quota = required(seed.sandbox.quotas.get('lambda-control-plane'), 'the lambda-control-plane quota');
      drain = setInterval(
        () => {
          if (quota.take()) otherTaken++;
        },
        1000 / other / speed,
      );
    }
    const started = performance.now();
    const report: PruneReport = await runPrune(settings(speed), {
      logger: new MemoryLogger(),
      client: sandboxClient(seed.sandbox, options.retryMode ?? 'standard'),
    });
    const wall = performance.now() - started;
    clearInterval(drain);
    return figures(
      name,
      seed,
      wall,
      speed,
      { functions, versions },
      {
        deleted: report.totals.deleted,
        failedCalls: report.totals.failed + (report.stopped === undefined ? 0 : 1),
        ...(other === undefined ? {} : { otherTaken }),
      },
    );
  } finally {
    clearInterval(drain);
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
    };
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
    const providerArn = seed.sandbox.services.lambda.state.capacityProvider(PROVIDER).arn;
    const started = performance.now();
    const result = await sequentialScan(sandboxClient(seed.sandbox), providerArn, { keep: KEEP, protect: [] });
    return figures('the loop it replaces: every function, one call at a time', seed, performance.now() - started, speed, { functions, versions }, result);
  } finally {
    await seed.sandbox.stop();
  }
}

/** The fast-clock size: 40 × 60 by default (about 20 s), `GANTRY_BENCH_PRUNE=100x60` for issue 18's example. */
function fastSize(): { functions: number; versions: number } {
  const match = /^(\d+)x(\d+)$/.exec(process.env.GANTRY_BENCH_PRUNE ?? '');
  return match === null ? { functions: 40, versions: 60 } : { functions: Number(match[1]), versions: Number(match[2]) };
}

/** The runs `npm run bench` makes. */
export const PRUNE_RUNS = {
  fastSpeed: 20,
  /** The ×1 cross-check of the fast-clock figures: a smaller size (each run about 20 s). */
  real: { functions: 8, versions: 40 },
  /** The retry-mode comparison, at ×1: the SDK's limiter and backoff count real seconds. */
  retry: { functions: 3, versions: 25, otherCallerRate: 7.5 },
} as const;

/** gantry and the loop at the fast clock (run alone: a busy process would be multiplied by the speed). */
export async function benchPruneFast(speed: number = PRUNE_RUNS.fastSpeed): Promise<PruneRuns> {
  const { functions, versions } = fastSize();
  return { gantry: await gantryRun('gantry', functions, versions, speed), loop: await loopRun(functions, versions, speed) };
}

/** The ×1 runs: gantry and the loop at the smaller size, then the retry modes. */
export async function benchPruneReal(): Promise<Pick<PruneBenchFigures, 'real' | 'retryModes'>> {
  const { functions, versions } = PRUNE_RUNS.real;
  const real = { gantry: await gantryRun('gantry', functions, versions, 1), loop: await loopRun(functions, versions, 1) };
  const r = PRUNE_RUNS.retry;
  const retryModes: PruneRunFigures[] = [];
  for (const retryMode of ['standard', 'adaptive'] as const) {
    retryModes.push(
      await gantryRun(`gantry, SDK ${retryMode} retry`, r.functions, r.versions, 1, {
        otherCallerRate: r.otherCallerRate,
        retryMode,
      }),
    );
  }
  return { real, retryModes };
}

/** Wall time over the bound that applies (1.00: every token the run could have had, used). */
export function quotaRatio(run: PruneRunFigures): number {
  return run.wallMs / run.boundMs;
}

/** Every Lambda call of the run per version it deleted. */
export const callsPerDeleted = (run: PruneRunFigures): number => run.calls / run.deleted;

export function formatPruneFigures(f: PruneBenchFigures): string {
  const row = (run: PruneRunFigures) =>
    `| ${run.name} | ${run.functions} × ${run.versions} | ×${run.speed} | ${run.calls} (${run.controlPlaneCalls}) | ${run.throttled} | ${(run.wallMs / 1000).toFixed(1)} s | ` +
    `${(run.boundMs / 1000).toFixed(1)} s | **${quotaRatio(run).toFixed(3)}** | ${run.deleted} | ${callsPerDeleted(run).toFixed(2)} | ${run.protectedDeleted} | ${run.failedCalls} |`;
  const head = [
    '| Run | Size | Clock | Calls (control plane) | 429s | Wall (sandbox time) | Bound | Wall ÷ bound | Deleted | Calls per deleted version | Protected deleted | Failed calls |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const [standard, adaptive] = f.retryModes as [PruneRunFigures, PruneRunFigures];
  const loopRatio = (runs: PruneRuns) => (runs.loop.wallMs / runs.gantry.wallMs).toFixed(2);
  return [
    `### version-prune: at ${QUOTA} requests/s, ${LATENCY_MS} ms per call (sandbox time); bound: control-plane calls through ÷ 15/s`,
    '',
    ...head,
    row(f.fast.gantry),
    row(f.fast.loop),
    row(f.real.gantry),
    row(f.real.loop),
    '',
    `The loop it replaces ÷ gantry, wall: ×${loopRatio(f.fast)} at ×${f.fast.gantry.speed} (${f.fast.gantry.functions} × ${f.fast.gantry.versions}), ` +
      `×${loopRatio(f.real)} at ×1 (${f.real.gantry.functions} × ${f.real.gantry.versions}). At ×1 the loop, one call at a time at ${LATENCY_MS} ms a call, ` +
      'reaches the quota too: the difference at ×20 is its real overhead per call multiplied by the clock, not a cost on Lambda. ' +
      'No public tool prunes Managed Instances versions: the baseline is gantry’s own planner run by a plain loop.',
    '',
    `**Retry mode** (${PRUNE_RUNS.retry.functions} × ${PRUNE_RUNS.retry.versions} at ×1, another caller takes ${PRUNE_RUNS.retry.otherCallerRate} of the 15 tokens a second; ` +
      'bound: the tokens the quota gave over the run, minus those the other caller took):',
    '',
    ...head,
    row(standard),
    row(adaptive),
    '',
    `SDK adaptive mode (its limiter on top of gantry's) ÷ standard mode (gantry's limiter alone): wall ×${(adaptive.wallMs / standard.wallMs).toFixed(2)}, ` +
      `429s ${adaptive.throttled} vs ${standard.throttled}; the other caller took ${adaptive.otherTaken ?? 0} and ${standard.otherTaken ?? 0} tokens. One short run each: a direction, not a measurement to quote.`,
  ].join('\n');
}
