/**
 * Version pruning end to end: the committed bundle (`node actions/version-prune/dist/index.js` with INPUT_*
 * variables) and the CLI bundle (`gantry prune`) against the Lambda sandbox, with every kind of protected
 * version, a weighted alias, throttling bursts (injected 429s and a drained quota), aliases changed while
 * the run is going (caught by the re-read, and by the API's conflict), a run stopped by a non-retryable
 * error and its re-run. The inputs and the limiter are tested directly; the planner has its own property
 * tests (prune-plan.property.test.ts).
 *
 * The sandbox clock runs 20× faster, so the runs are told `rate: 300` (the 15 requests/s quota, in real time).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { seedLambda } from '../scripts/sandbox/lambda/seed.js';
import { type SandboxRequest, ServiceError } from '../scripts/sandbox/protocol.js';
import { type GantrySandbox, startSandbox } from '../scripts/sandbox/sandbox.js';
import { seedLambdaFromConfig } from '../scripts/sandbox/seed-config.js';
import { limitClient, TokenBucketLimiter } from '../src/aws/rate-limiter.js';
import { parseConfig } from '../src/config/load.js';
import { parseInputs } from '../src/definition/define.js';
import { versionPrune } from '../src/definitions/version-prune.js';
import { actionInputSource, cliInputSource } from '../src/inputs.js';
import type { PruneReport } from '../src/prune/report.js';
import { versionRanges } from '../src/prune/report.js';
import { resolvePruneSettings } from '../src/prune/resolve.js';
import { EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE, exampleWith } from './helpers/config-fixture.js';
import { runBundledAction, runCliBundle } from './helpers/run-bundle.js';
import { until } from './helpers/sandbox-control.js';

const SPEED = 20;
const RATE = String(15 * SPEED);
const ROUTER = 'orders-dev-router';
const WORKER = 'orders-dev-worker';

describe('version-prune inputs', () => {
  const parse = (values: Record<string, string>) => parseInputs(versionPrune, cliInputSource(values), {}, 'cli');

  it('defaults to a dry run at 15 requests/s with the config of .github/gantry.yml', () => {
    expect(parse({ environment: 'dev' })).toEqual({
      configFile: '.github/gantry.yml',
      environment: 'dev',
      functions: [],
      force: false,
      dryRun: true,
      rate: 15,
      timeBudgetSeconds: 1200,
    });
    expect(
      parse({
        functions: 'a, arn:aws:lambda:eu-west-1:123456789012:function:b\nc,a',
        keep: '0',
        force: 'true',
        'dry-run': 'false',
        rate: '7.5',
        'time-budget': '90',
      }),
    ).toMatchObject({
      functions: ['a', 'b', 'c'],
      keep: 0,
      force: true,
      dryRun: false,
      rate: 7.5,
      timeBudgetSeconds: 90,
    });
    expect(parse({ 'capacity-provider': 'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:orders-dev-cp' }).capacityProvider).toBe('orders-dev-cp');
  });

  it.each([
    [{}, 'option --environment: is required: pass --environment (for example dev), or give option --functions or option --capacity-provider'],
    [
      { environment: 'dev', keep: '0' },
      'option --keep: must be at least 1; to delete every unprotected version, keep 0 together with option --force set to true',
    ],
    [{ environment: 'dev', keep: '100' }, 'option --keep: must be a whole number from 0 to 99, got 100'],
    [{ functions: 'a', 'capacity-provider': 'cp' }, 'option --capacity-provider: cannot be combined with option --functions: give one scope'],
    [{ functions: 'a:1' }, 'option --functions: must list function names or unqualified function ARNs, got "a:1"'],
    [{ 'capacity-provider': 'no spaces' }, 'option --capacity-provider: must be a capacity provider name or ARN'],
    [{ environment: 'dev', rate: '0' }, 'option --rate: must be requests per second, a number above 0 and at most 10000, got "0"'],
    [{ environment: 'dev', 'dry-run': 'no' }, 'option --dry-run: must be true or false, got "no"'],
    [{ environment: 'dev', 'time-budget': '0' }, 'option --time-budget: must be a number of seconds from 1 to 21600, got "0"'],
    [{ environment: 'dev', 'time-budget': '20m' }, 'option --time-budget: must be a number of seconds from 1 to 21600, got "20m"'],
  ])('refuses %j with one line naming the input', (values, message) => {
    expect(() => parse(values as Record<string, string>)).toThrow(message);
  });

  it('takes keep, protect, region from the environment; short names resolve', () => {
    const config = parseConfig(exampleWith('prune: { keep: 3 }', 'prune: { keep: 3, protect: ["router:7"] }'), 'gantry.yml');
    const source = actionInputSource({ INPUT_ENVIRONMENT: 'dev', INPUT_FUNCTIONS: 'router\nsomething-else' });
    const settings = resolvePruneSettings(parseInputs(versionPrune, source, {}, 'cli'), source, config, {});
    expect(settings).toMatchObject({
      environment: 'dev',
      region: 'eu-west-1',
      keep: 3,
      protect: ['router:7'],
      protectSource: 'gantry.yml: environments.dev.prune.protect',
      scope: { kind: 'functions', functions: [{ functionName: ROUTER, shortName: 'router' }, { functionName: 'something-else' }] },
      timeBudgetSeconds: 1200,
    });
    expect(settings).not.toHaveProperty('standardScaling');
    const noEnv = actionInputSource({ 'INPUT_CAPACITY-PROVIDER': 'cp', INPUT_KEEP: '2' });
    expect(resolvePruneSettings(parseInputs(versionPrune, noEnv, {}, 'cli'), noEnv, undefined, { AWS_REGION: 'us-east-1' })).toMatchObject({
      region: 'us-east-1',
      keep: 2,
      protect: [],
      scope: { kind: 'capacity-provider', capacityProvider: 'cp' },
    });
    const bare = actionInputSource({ INPUT_FUNCTIONS: 'a' });
    expect(() => resolvePruneSettings(parseInputs(versionPrune, bare, {}, 'cli'), bare, undefined, {})).toThrow('no AWS region: give input "environment"');
    expect(resolvePruneSettings(parseInputs(versionPrune, bare, {}, 'cli'), bare, undefined, { AWS_REGION: 'eu-west-1' }).keep).toBe(5);
  });

  it('refuses a protect-list entry that names none of the environment’s functions, naming the entry, before any call', () => {
    const source = actionInputSource({ INPUT_ENVIRONMENT: 'dev' });
    const inputs = parseInputs(versionPrune, source, {}, 'cli');
    const typo = parseConfig(exampleWith('prune: { keep: 3 }', 'prune: { keep: 3, protect: ["router:7", "routr:7"] }'), 'gantry.yml');
    expect(() => resolvePruneSettings(inputs, source, typo, {})).toThrow(
      'gantry.yml: environments.dev.prune.protect.1: "routr:7" names no function of dev; write "<function>:<version>" with one of its functions (router, worker) or its Lambda function name',
    );
    const byAwsName = parseConfig(exampleWith('prune: { keep: 3 }', `prune: { keep: 3, protect: ["${WORKER}:2"] }`), 'gantry.yml');
    expect(resolvePruneSettings(inputs, source, byAwsName, {}).protect).toEqual([`${WORKER}:2`]);
    expect(versionRanges(['1', '2', '3', '5', '7', '8', '$LATEST.PUBLISHED'])).toBe('1–3, 5, 7, 8, $LATEST.PUBLISHED');
  });
});

describe('the rate limiter', () => {
  it('hands out tokens at the rate, first come first served, listings first, and refuses all once stopped', async () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ ratePerSecond: 100, burst: 1, now: () => now });
    const order: string[] = [];
    await limiter.acquire();
    const waiting = ['a', 'b', 'c'].map((name) => limiter.acquire(name === 'c').then(() => order.push(name)));
    expect(limiter.queued).toBe(3);
    now = 10;
    await new Promise((resolve) => setTimeout(resolve, 15));
    now = 20;
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(order).toEqual(['c', 'a']);
    limiter.stop(new Error('stopped'));
    await expect(waiting[1]).rejects.toThrow('stopped');
    await expect(limiter.acquire()).rejects.toThrow('stopped');
  });

  it('slows to 70% after a 429, at most once per second of tokens, down to 10% in a storm, and climbs back after it', async () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ ratePerSecond: 10, burst: 1, now: () => now });
    // One token at a time, as fast as the current rate allows (the fake clock moves exactly that far).
    const take = async (tokens: number) => {
      for (let i = 0; i < tokens; i++) {
        now += 1000 / limiter.ratePerSecond + 1e-6;
        await limiter.acquire();
      }
    };
    limiter.onThrottle();
    expect(limiter.ratePerSecond).toBeCloseTo(7);
    limiter.onThrottle();
    expect(limiter.ratePerSecond).toBeCloseTo(7);
    expect(limiter.ceiling).toBe(10);
    // A storm, a 429 after every token: it keeps slowing down (70% per second's worth of tokens), to the floor of 10%.
    for (let token = 0; token < 200; token++) {
      await take(1);
      limiter.onThrottle();
    }
    expect(limiter.lowestRate).toBeCloseTo(1);
    expect(limiter.ratePerSecond).toBeLessThan(1.2);
    // The storm over, each token gives back 0.15 requests/s: up steadily, the configured rate again within 60
    // tokens (about 15 s at these rates), never more.
    const climb: number[] = [];
    for (let token = 0; token < 80; token++) {
      await take(1);
      climb.push(limiter.ratePerSecond);
    }
    for (let i = 1; i < climb.length; i++) expect(climb[i]).toBeGreaterThanOrEqual(climb[i - 1]!);
    expect(climb[59]).toBe(10);
    expect(Math.max(...climb)).toBe(10);
    expect(limiter.lowestRate).toBeCloseTo(1);
  });

  it('once stopped, ends a call waiting in the SDK backoff at once, waits for an attempt with the service, and retries nothing', async () => {
    const client = new LambdaClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      retryMode: 'standard',
      maxAttempts: 8,
    });
    const limiter = new TokenBucketLimiter({ ratePerSecond: 1000 });
    const stats = limitClient(client, limiter);
    const attempts: Record<string, number> = {};
    const held: Record<string, (outcome: 'ok' | 'throttle') => void> = {};
    const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    // In place of the network, right after the limiter: `backoff` is always throttled (so the SDK waits and
    // retries); `held-*` attempts wait until the test answers them.
    const fake = () => async (args: { input: { FunctionName?: string } }) => {
      const name = args.input.FunctionName!;
      attempts[name] = (attempts[name] ?? 0) + 1;
      if (name === 'backoff') throw throttle();
      const outcome = await new Promise<'ok' | 'throttle'>((resolve) => (held[name] = resolve));
      if (outcome === 'throttle') throw throttle();
      return { output: { $metadata: {} }, response: {} };
    };
    client.middlewareStack.addRelativeTo(fake as never, { relation: 'after', toMiddleware: 'gantryRateLimiter', name: 'fakeNetwork' });
    const settled = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: Error) => error.message,
      );
    const backoff = settled(client.send(new GetFunctionCommand({ FunctionName: 'backoff' })));
    const ok = settled(client.send(new GetFunctionCommand({ FunctionName: 'held-ok' })));
    const throttled = settled(client.send(new GetFunctionCommand({ FunctionName: 'held-throttle' })));
    await until(() => attempts.backoff !== undefined && held['held-ok'] !== undefined && held['held-throttle'] !== undefined);
    limiter.stop(new Error('budget used'));
    // Whether `backoff` was sleeping or in its next attempt, it ends with the stop's reason, and nothing more is sent.
    expect(await backoff).toBe('budget used');
    const backoffAttempts = attempts.backoff;
    held['held-ok']!('ok');
    held['held-throttle']!('throttle');
    expect(await ok).toBe('resolved');
    expect(await throttled).toBe('budget used');
    expect(attempts['held-throttle']).toBe(1);
    expect(attempts.backoff).toBe(backoffAttempts);
    expect(stats.throttled).toBe(backoffAttempts! + 1);
  });

  it('keeps at most `inFlight` calls of a client running, the others in the order they were made', async () => {
    const client = new LambdaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    limitClient(client, new TokenBucketLimiter({ ratePerSecond: 1000 }), { inFlight: 2 });
    const release: (() => void)[] = [];
    const started: string[] = [];
    // In place of the network: a call runs until the test releases it.
    const fake = () => async (args: { input: { FunctionName?: string } }) => {
      started.push(args.input.FunctionName!);
      await new Promise<void>((resolve) => release.push(resolve));
      return { output: { $metadata: {} }, response: {} };
    };
    client.middlewareStack.add(fake as never, { step: 'initialize', priority: 'low' });
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    const all = ['a', 'b', 'c', 'd'].map((name) => client.send(new GetFunctionCommand({ FunctionName: name })));
    await tick();
    expect(started).toEqual(['a', 'b']);
    release.shift()!();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    while (release.length > 0) {
      release.shift()!();
      await tick();
    }
    await Promise.all(all);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// End to end: the bundles against the sandbox.

const config = parseConfig(EXAMPLE_CONFIG, EXAMPLE_CONFIG_FILE);

/** Each end-to-end test gets its own sandbox, so they run concurrently. */
const e2e = it.extend<{ sandbox: GantrySandbox }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's first parameter as a pattern; this fixture needs none.
  sandbox: async ({}, use) => {
    const sandbox = await startSandbox({ clockSpeed: SPEED });
    await use(sandbox);
    await sandbox.stop();
  },
});

/** Runs `hook` on each Lambda request that passed the quota, before the service answers it. */
function beforeLambda(sandbox: GantrySandbox, hook: (operation: string, request: SandboxRequest) => void): void {
  const lambda = sandbox.services.lambda;
  const answer = lambda.handle.bind(lambda);
  lambda.handle = async (operation, request) => {
    hook(operation, request);
    return answer(operation, request);
  };
}

const functionOf = (request: SandboxRequest) => decodeURIComponent(request.path.split('/')[3] ?? '');
const versionsOf = (sandbox: GantrySandbox, name: string) => [...sandbox.services.lambda.state.function(name).versions.keys()];

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gantry-prune-')), 'gantry.yml');
  writeFileSync(file, text);
  return file;
}

/**
 * dev's router (keep 3) gets one version of each protected kind: 12 versions, live → 12 (seeded), canary
 * → 9 with 10% on 8, provisioned concurrency on 7, an event source mapping on 4, the protect list on 3, and
 * $LATEST.PUBLISHED; a scaling config of its own on 6 and the standard one (what warmup applies) on 5, which
 * protect neither. The worker has 8 versions, live → 8.
 */
function seedDev(sandbox: GantrySandbox): string {
  const lambda = sandbox.services.lambda;
  seedLambdaFromConfig(lambda, config, { versionsPerFunction: 8 });
  for (let v = 9; v <= 12; v++) {
    lambda.updateFunctionCode(ROUTER, `${ROUTER}@${v}`);
    lambda.publishVersion(ROUTER, { instant: true });
  }
  lambda.putAlias(ROUTER, 'live', { functionVersion: '12' }, { instant: true });
  lambda.putAlias(ROUTER, 'canary', { functionVersion: '9', weights: { '8': 0.1 } }, { instant: true });
  lambda.state.putProvisionedConcurrency(ROUTER, '7', 2);
  lambda.state.putScalingConfig(ROUTER, '6', { MinExecutionEnvironments: 2, MaxExecutionEnvironments: 5 });
  lambda.state.putScalingConfig(ROUTER, '5', { MinExecutionEnvironments: 1, MaxExecutionEnvironments: 2 });
  lambda.state.createEventSourceMapping(ROUTER, '4', { eventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:orders' });
  lambda.publishVersion(ROUTER, { publishTo: 'LATEST_PUBLISHED', instant: true });
  return configFile(exampleWith('prune: { keep: 3 }', 'prune: { keep: 3, protect: ["router:003"] }'));
}

const actionInputs = (file: string, extra: Record<string, string> = {}) => ({ environment: 'dev', config: file, rate: RATE, ...extra });
/** The config is read only from the workspace: the temporary directory that holds it stands in for the checkout. */
const workspaceOf = (file: string, env: Record<string, string>) => ({ ...env, GITHUB_WORKSPACE: dirname(file) });

describe.concurrent('version-prune end to end (bundle against the sandbox)', () => {
  e2e('dry run by default: prints exactly what would be deleted, deletes nothing, reports why the rest stays', async ({ sandbox, expect }) => {
    const file = seedDev(sandbox);
    const result = await runBundledAction('version-prune', actionInputs(file), workspaceOf(file, sandbox.env));
    expect(result.code).toBe(0);
    expect(sandbox.server.calls('lambda', 'DeleteFunction')).toHaveLength(0);
    expect(result.stdout).toContain(`${ROUTER}: delete 4: 1, 2, 5, 6; keep 9:`);
    expect(result.stdout).toContain(`${WORKER}: delete 5: 1, 2, 3, 4, 5; keep 3:`);
    expect(result.stdout).toContain('dry run: nothing deleted');
    expect(result.outputs).toMatchObject({ deleted: '9', kept: '12', skipped: '0', left: '0', 'dry-run': 'true' });
    const report = JSON.parse(result.outputs.report!) as PruneReport;
    expect(report.dryRun).toBe(true);
    expect(report.functions.map((fn) => [fn.function, fn.deleted])).toEqual([
      [ROUTER, ['1', '2', '5', '6']],
      [WORKER, ['1', '2', '3', '4', '5']],
    ]);
    expect(result.summary).toContain('### Version prune: dev (dry run: nothing deleted)');
    expect(result.summary).toContain('| `orders-dev-cp` | 21 | 12 | 100 |');
    expect(versionsOf(sandbox, ROUTER)).toHaveLength(13);
  });

  e2e(
    'deletes the plan and nothing protected (aliases, a weighted alias, provisioned concurrency, event source mapping, protect list, $LATEST.PUBLISHED), no call per version but its delete',
    async ({ sandbox, expect }) => {
      const file = seedDev(sandbox);
      const result = await runBundledAction('version-prune', actionInputs(file, { 'dry-run': 'false' }), workspaceOf(file, sandbox.env));
      expect(result.code).toBe(0);
      expect(result.outputs).toMatchObject({ deleted: '9', kept: '12', skipped: '0', left: '0', 'dry-run': 'false' });
      expect(versionsOf(sandbox, ROUTER).sort()).toEqual(['$LATEST.PUBLISHED', '10', '11', '12', '3', '4', '7', '8', '9']);
      expect(versionsOf(sandbox, WORKER).sort()).toEqual(['6', '7', '8']);
      const report = JSON.parse(result.outputs.report!) as PruneReport;
      const router = report.functions.find((fn) => fn.function === ROUTER)!;
      expect(Object.fromEntries(router.kept.map((k) => [k.version, k.reasons]))).toEqual({
        '3': ['protect-list'],
        '4': [expect.stringMatching(/^event-source-mapping:/)],
        '7': ['provisioned-concurrency'],
        '8': ['weighted-alias:canary'],
        '9': ['alias:canary'],
        '10': ['newest'],
        '11': ['newest'],
        '12': ['newest', 'alias:live'],
        '$LATEST.PUBLISHED': ['$LATEST.PUBLISHED'],
      });
      expect(report.capacityProviders).toEqual([
        { name: 'orders-dev-cp', arn: expect.stringContaining(':capacity-provider:orders-dev-cp'), versionsBefore: 21, versionsAfter: 12, limit: 100 },
      ]);
      expect(report.calls.errors).toBe(0);
      expect(result.summary).toContain('Deleted 9, kept 12, skipped 0 across 2 functions');
      expect(result.summary).toContain('| `orders-dev-router` | 3 (protect-list); 4 (event-source-mapping:');
      // Only numbered versions were ever named in a DeleteFunction, each once.
      const deletes = sandbox.server.calls('lambda', 'DeleteFunction');
      expect(deletes).toHaveLength(9);
      // Calls: per function a listing of versions, aliases and provisioned concurrency, and their re-read right
      // before the deletes with the account's mappings; once the account's mappings; a delete per version.
      // Nothing per version besides its delete (no GetFunctionScalingConfig).
      const calls = sandbox.server.calls('lambda');
      const count = (operation: string) => calls.filter((call) => call.operation === operation).length;
      expect(count('GetFunctionScalingConfig')).toBe(0);
      expect({ ListVersionsByFunction: count('ListVersionsByFunction'), ListAliases: count('ListAliases') }).toEqual({
        ListVersionsByFunction: 2,
        ListAliases: 4,
      });
      expect({
        ListProvisionedConcurrencyConfigs: count('ListProvisionedConcurrencyConfigs'),
        ListEventSourceMappings: count('ListEventSourceMappings'),
      }).toEqual({
        ListProvisionedConcurrencyConfigs: 4,
        ListEventSourceMappings: 3,
      });
      expect(calls).toHaveLength(2 + 4 + 4 + 3 + count('ListFunctionVersionsByCapacityProvider') + 9);

      // A re-run finds nothing left to delete.
      const again = await runBundledAction('version-prune', actionInputs(file, { 'dry-run': 'false' }), workspaceOf(file, sandbox.env));
      expect(again.outputs).toMatchObject({ deleted: '0', kept: '12' });
      expect(sandbox.server.calls('lambda', 'DeleteFunction')).toHaveLength(9);
    },
  );

  e2e('re-plans a function whose aliases changed after the plan, and skips a version that became an alias target (409)', async ({ sandbox, expect }) => {
    const lambda = sandbox.services.lambda;
    seedLambda(lambda, {
      capacityProvider: 'cp',
      functions: 3,
      versionsPerFunction: 12,
      weightedAliases: [{ name: 'canary', primaryOffset: 1, additionalOffset: 2, weight: 0.2 }],
    });
    // fn-0: the re-read (its second ListAliases) sees live moved to 4: 4 is re-planned away.
    // fn-1: live moves to 8 when the first delete arrives, after the re-read: deleting 8 is a conflict.
    let aliasReads = 0;
    let moved = false;
    beforeLambda(sandbox, (operation, request) => {
      if (operation === 'ListAliases' && functionOf(request) === 'fn-0' && ++aliasReads === 2)
        lambda.putAlias('fn-0', 'live', { functionVersion: '4' }, { instant: true });
      if (operation === 'DeleteFunction' && functionOf(request) === 'fn-1' && !moved) {
        moved = true;
        lambda.putAlias('fn-1', 'live', { functionVersion: '8' }, { instant: true });
      }
    });
    const result = await runBundledAction('version-prune', { 'capacity-provider': 'cp', keep: '3', 'dry-run': 'false', rate: RATE }, { ...sandbox.env });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.outputs.report!) as PruneReport;
    const fn0 = report.functions.find((fn) => fn.function === 'fn-0')!;
    expect(fn0.replanned).toBe(true);
    expect(fn0.skipped).toEqual([{ version: '4', reason: 'aliases changed since the plan; now kept: alias:live' }]);
    expect(fn0.deleted).toEqual(['1', '2', '3', '5', '6', '7', '8', '9']);
    const fn1 = report.functions.find((fn) => fn.function === 'fn-1')!;
    expect(fn1.skipped).toEqual([{ version: '8', reason: 'conflict: Unable to delete version because the following aliases reference it: [live]' }]);
    expect(fn1.deleted).toEqual(['1', '2', '3', '4', '5', '6', '7', '9']);
    expect(result.outputs).toMatchObject({ deleted: String(8 + 8 + 9), skipped: '2' });
    expect(result.stdout).toContain('fn-0: aliases changed since the plan; re-planned: 8 of 9 deletions remain');
    expect(result.stdout).toContain('::warning::fn-1:8 skipped: conflict: Unable to delete version');
    // The weighted alias kept its two versions (11 primary, 10 at 20%) everywhere.
    for (const name of ['fn-0', 'fn-1', 'fn-2']) expect(versionsOf(sandbox, name)).toEqual(expect.arrayContaining(['10', '11', '12']));
    expect(versionsOf(sandbox, 'fn-0')).toContain('4');
    expect(versionsOf(sandbox, 'fn-1')).toContain('8');
  });

  e2e(
    're-reads every protection right before a function is deleted: provisioned concurrency, a mapping or routing added after the plan stops that delete',
    async ({ sandbox, expect }) => {
      const lambda = sandbox.services.lambda;
      seedLambda(lambda, { capacityProvider: 'cp', functions: 3, versionsPerFunction: 8 });
      // While fn-0 is re-read (its second ListAliases), before the later functions are: fn-0's live alias sends
      // 10% to 5, fn-1:3 gets provisioned concurrency, fn-2:4 an event source mapping.
      let aliasReads = 0;
      beforeLambda(sandbox, (operation, request) => {
        if (operation !== 'ListAliases' || functionOf(request) !== 'fn-0' || ++aliasReads !== 2) return;
        lambda.putAlias('fn-0', 'live', { functionVersion: '8', weights: { '5': 0.1 } }, { instant: true });
        lambda.state.putProvisionedConcurrency('fn-1', '3', 1);
        lambda.state.createEventSourceMapping('fn-2', '4', { eventSourceArn: 'arn:aws:sqs:eu-west-1:123456789012:late' });
      });
      const result = await runBundledAction('version-prune', { 'capacity-provider': 'cp', keep: '2', 'dry-run': 'false', rate: RATE }, sandbox.env);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.outputs.report!) as PruneReport;
      const skipped = Object.fromEntries(report.functions.map((fn) => [fn.function, fn.skipped]));
      expect(skipped).toEqual({
        'fn-0': [{ version: '5', reason: 'aliases changed since the plan; now kept: weighted-alias:live' }],
        'fn-1': [{ version: '3', reason: 'provisioned concurrency changed since the plan; now kept: provisioned-concurrency' }],
        'fn-2': [
          { version: '4', reason: expect.stringMatching(/^event source mappings changed since the plan; now kept: event-source-mapping:[0-9a-f-]{36}$/) },
        ],
      });
      expect(report.functions.every((fn) => fn.replanned === true && fn.deleted.length === 5)).toBe(true);
      expect(result.stdout).toContain('fn-1: provisioned concurrency changed since the plan; re-planned: 5 of 6 deletions remain');
      expect(versionsOf(sandbox, 'fn-0')).toContain('5');
      expect(versionsOf(sandbox, 'fn-1')).toContain('3');
      expect(versionsOf(sandbox, 'fn-2')).toContain('4');
      expect(result.outputs).toMatchObject({ deleted: '15', skipped: '3', left: '0' });
    },
  );

  e2e('a 404 on a delete says which is gone: the version, or the whole function', async ({ sandbox, expect }) => {
    const lambda = sandbox.services.lambda;
    seedLambda(lambda, { capacityProvider: 'cp', functions: 3, versionsPerFunction: 6 });
    beforeLambda(sandbox, (operation, request) => {
      if (operation !== 'DeleteFunction') return;
      // Someone deletes fn-0 as its deletes begin; Lambda answers fn-1:2 with a 404 of its own.
      if (functionOf(request) === 'fn-0' && lambda.state.functions.has('fn-0')) lambda.state.deleteFunction('fn-0');
      if (functionOf(request) === 'fn-1' && request.query.get('Qualifier') === '2') {
        const message = 'Function not found: arn:aws:lambda:eu-west-1:123456789012:function:fn-1:2';
        throw new ServiceError(404, 'ResourceNotFoundException', message, { Message: message });
      }
    });
    const result = await runBundledAction('version-prune', { 'capacity-provider': 'cp', keep: '2', 'dry-run': 'false', rate: RATE }, sandbox.env);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.outputs.report!) as PruneReport;
    const fn = (name: string) => report.functions.find((candidate) => candidate.function === name)!;
    expect(fn('fn-0').skipped).toEqual(['1', '2', '3', '4'].map((version) => ({ version, reason: 'function fn-0 no longer exists' })));
    expect(fn('fn-1').skipped).toEqual([{ version: '2', reason: 'version 2 no longer exists (deleted since the plan)' }]);
    expect(fn('fn-1').deleted).toEqual(['1', '3', '4']);
    expect(result.stdout).toContain('::warning::fn-0:1 skipped: function fn-0 no longer exists');
    // One look per function, only after a 404.
    expect(sandbox.server.calls('lambda', 'GetFunction')).toHaveLength(2);
  });

  e2e('refuses a protect-list entry that names no function before any call, and one that names no version before any delete', async ({ sandbox, expect }) => {
    seedLambdaFromConfig(sandbox.services.lambda, config, { versionsPerFunction: 4 });
    const typo = configFile(exampleWith('prune: { keep: 3 }', 'prune: { keep: 3, protect: ["router:2", "routr:3"] }'));
    const refused = await runBundledAction('version-prune', actionInputs(typo, { 'dry-run': 'false' }), workspaceOf(typo, sandbox.env));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `::error::${typo}: environments.dev.prune.protect.1: "routr:3" names no function of dev; write "<function>:<version>" with one of its functions (router, worker) or its Lambda function name`,
    );
    expect(sandbox.server.calls('lambda')).toHaveLength(0);

    const noVersion = configFile(exampleWith('prune: { keep: 3 }', 'prune: { keep: 1, protect: ["worker:1", "router:009"] }'));
    const result = await runBundledAction('version-prune', actionInputs(noVersion, { 'dry-run': 'false' }), workspaceOf(noVersion, sandbox.env));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `::error::${noVersion}: environments.dev.prune.protect.1: "router:009" names version 9, which ${ROUTER} does not have (its versions: 1–4); correct or remove the entry`,
    );
    expect(sandbox.server.calls('lambda', 'DeleteFunction')).toHaveLength(0);
    expect(result.outputs).toEqual({});
    expect(versionsOf(sandbox, ROUTER)).toHaveLength(4);
  });

  e2e('stops at the first non-retryable error with a report of what was and was not deleted; a re-run continues', async ({ sandbox, expect }) => {
    seedLambda(sandbox.services.lambda, { capacityProvider: 'cp', functions: 6, versionsPerFunction: 15 });
    beforeLambda(sandbox, (operation, request) => {
      if (operation === 'DeleteFunction' && functionOf(request) === 'fn-1' && request.query.get('Qualifier') === '3') {
        throw new ServiceError(403, 'AccessDeniedException', 'not allowed to delete fn-1:3', { Message: 'not allowed to delete fn-1:3' });
      }
    });
    const inputs = { 'capacity-provider': 'cp', keep: '2', 'dry-run': 'false', rate: RATE };
    const result = await runBundledAction('version-prune', inputs, sandbox.env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /::error::stopped after deleting \d+ version\(s\), \d+ not attempted: deleting fn-1:3 failed: .*not allowed to delete fn-1:3; run again to continue/,
    );
    const report = JSON.parse(result.outputs.report!) as PruneReport;
    expect(report.stopped).toContain('deleting fn-1:3 failed');
    expect(report.functions.find((fn) => fn.function === 'fn-1')!.failed).toEqual([
      { version: '3', error: expect.stringContaining('not allowed to delete fn-1:3') },
    ]);
    expect(report.totals.notAttempted).toBeGreaterThan(0);
    expect(report.totals.deleted + report.totals.notAttempted + report.totals.failed + report.totals.skipped).toBe(6 * 13);
    expect(result.summary).toContain(':x: Stopped early');
    // What the report says was deleted is gone; nothing else is.
    const deletedBefore = report.functions.flatMap((fn) => fn.deleted.map((v) => `${fn.function}:${v}`));
    const present = (name: string, v: string) => sandbox.services.lambda.state.function(name).versions.has(v);
    for (const item of deletedBefore) expect(present(item.split(':')[0]!, item.split(':')[1]!)).toBe(false);
    for (const fn of report.functions) for (const v of fn.notAttempted ?? []) expect(present(fn.function, v)).toBe(true);

    // Permissions fixed (the hook removed), the re-run deletes the rest and only the rest.
    sandbox.services.lambda.handle = Object.getPrototypeOf(sandbox.services.lambda).handle.bind(sandbox.services.lambda);
    const rerun = await runBundledAction('version-prune', inputs, sandbox.env);
    expect(rerun.code).toBe(0);
    const after = JSON.parse(rerun.outputs.report!) as PruneReport;
    expect(after.totals.deleted).toBe(6 * 13 - deletedBefore.length);
    for (let i = 0; i < 6; i++) expect(versionsOf(sandbox, `fn-${i}`).sort()).toEqual(['14', '15']);
  });
  e2e('deletes nothing when the inventory fails, and says which listing failed', async ({ sandbox, expect }) => {
    seedLambda(sandbox.services.lambda, { capacityProvider: 'cp', functions: 4, versionsPerFunction: 10 });
    beforeLambda(sandbox, (operation, request) => {
      if (operation === 'ListAliases' && functionOf(request) === 'fn-2')
        throw new ServiceError(403, 'AccessDeniedException', 'no lambda:ListAliases on fn-2', { Message: 'no lambda:ListAliases on fn-2' });
    });
    const result = await runBundledAction('version-prune', { 'capacity-provider': 'cp', 'dry-run': 'false', rate: RATE }, sandbox.env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error::listing the aliases of fn-2 failed: caused by: no lambda:ListAliases on fn-2');
    expect(sandbox.server.calls('lambda', 'DeleteFunction')).toHaveLength(0);
    expect(result.outputs).toEqual({});
  });
});

describe.concurrent('gantry prune (CLI bundle against the sandbox)', () => {
  e2e('rides out throttling bursts (injected 429s and a drained quota) with no failed call', async ({ sandbox, expect }) => {
    seedLambda(sandbox.services.lambda, {
      capacityProvider: 'cp',
      functions: 7,
      versionsPerFunction: 14,
      weightedAliases: [{ name: 'canary', primaryOffset: 5, additionalOffset: 6, weight: 0.05 }],
    });
    sandbox.faults.add({ service: 'lambda', operation: 'DeleteFunction', kind: 'throttle', times: 8 });
    sandbox.faults.add({ service: 'lambda', operation: 'ListAliases', kind: 'throttle', times: 3 });
    sandbox.faults.add({ service: 'lambda', operation: 'ListProvisionedConcurrencyConfigs', kind: 'throttle', times: 4 });
    let deletes = 0;
    beforeLambda(sandbox, (operation) => {
      // Another caller empties the account's quota twice during the deletions.
      if (operation === 'DeleteFunction' && (++deletes === 15 || deletes === 45)) sandbox.quotas.get('lambda-control-plane')!.drain();
    });
    const result = await runCliBundle(['prune', '--capacity-provider', 'cp', '--keep', '3', '--apply', '--rate', RATE], sandbox.env);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as PruneReport;
    // 14 versions: newest 3 (12-14) kept, canary keeps 9 and 8: 9 deletions per function.
    expect(report.totals).toMatchObject({ functions: 7, deleted: 63, skipped: 0, failed: 0, notAttempted: 0, left: 0 });
    for (let i = 0; i < 7; i++) expect(versionsOf(sandbox, `fn-${i}`).sort()).toEqual(['12', '13', '14', '8', '9']);
    const calls = sandbox.server.calls('lambda');
    const throttled = calls.filter((call) => call.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(15);
    expect(report.calls.throttled).toBe(throttled.length);
    expect(report.calls.errors).toBe(0);
    expect(calls.filter((call) => call.status !== 429 && call.status !== 200 && call.status !== 204)).toEqual([]);
  });

  e2e('dry run by default, --apply or --dry-run=false to delete, one-line errors for bad options', async ({ sandbox, expect }) => {
    seedLambdaFromConfig(sandbox.services.lambda, config, { versionsPerFunction: 6 });
    const base = ['prune', '--environment', 'dev', '--config', EXAMPLE_CONFIG_FILE, '--rate', RATE];
    // The runs refused for bad options touch nothing: they go side by side with the first dry run.
    const [dry, conflicting, none, keep0] = await Promise.all([
      runCliBundle(base, sandbox.env),
      runCliBundle([...base, '--apply', '--dry-run', 'true'], sandbox.env),
      runCliBundle(['prune'], sandbox.env),
      runCliBundle([...base, '--keep', '0'], sandbox.env),
    ]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, totals: { deleted: 6, kept: 6 } });
    expect(dry.stderr).toContain(`${ROUTER}: delete 3: 1, 2, 3; keep 3: 4 (newest); 5 (newest); 6 (newest, alias:live)`);
    expect(sandbox.server.calls('lambda', 'DeleteFunction')).toHaveLength(0);

    const applied = await runCliBundle([...base, '--functions', 'router', '--dry-run=false', '--keep', '2'], sandbox.env);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ dryRun: false, keep: 2, scope: { kind: 'functions', functions: [ROUTER] }, totals: { deleted: 4 } });
    expect(versionsOf(sandbox, ROUTER).sort()).toEqual(['5', '6']);
    const viaApply = await runCliBundle([...base, '--apply'], sandbox.env);
    expect(JSON.parse(viaApply.stdout)).toMatchObject({ dryRun: false, totals: { deleted: 3 } });

    // Contradicting, missing or malformed options are bad usage: exit 2.
    expect(conflicting.code).toBe(2);
    expect(conflicting.stderr.trim()).toBe('error: option --apply: contradicts option --dry-run true; pass one of them');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('error: option --environment: is required');
    expect(keep0.stderr).toContain('option --keep: must be at least 1');
    const forced = await runCliBundle([...base, '--keep', '0', '--force', '--functions', 'worker', '--apply'], sandbox.env);
    expect(JSON.parse(forced.stdout)).toMatchObject({ keep: 0, totals: { deleted: 2 } });
    expect(versionsOf(sandbox, WORKER)).toEqual(['6']);
  });
});
