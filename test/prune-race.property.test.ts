/**
 * The prune against a world that changes while it runs, property-based (fast-check, seeded): random small
 * inventories, and random concurrent changes (a new alias, a weighted alias, provisioned concurrency or an event
 * source mapping on a random version) made by the Lambda sandbox itself at the n-th call of some operation
 * (a listing, a delete). The prune runs in this process with the real SDK client against the sandbox, so every
 * request is seen, in order, at the moment the sandbox answers it.
 *
 * What must hold, for every version the prune deleted:
 * - no alias routed to it when the delete arrived (Lambda refuses that delete; the sandbox does too);
 * - no provisioned concurrency or event source mapping on it had been added by the time the prune re-read that
 *   protection for its function, right before the function's deletes (its aliases and provisioned concurrency,
 *   then the account's mappings). A re-read must have happened: the inventory's listing alone is not enough.
 * Lambda has no conditional delete: provisioned concurrency or a mapping added after that re-read and before
 * the delete arrives is not refused by Lambda, and no client can see it: that window (documented) is the only
 * exception the test allows to "nothing protected at the moment of its delete was deleted".
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seedLambda } from '../scripts/sandbox/lambda/seed.js';
import { startSandbox } from '../scripts/sandbox/sandbox.js';
import { awsClientConfig } from '../src/aws/clients.js';
import { MemoryLogger } from '../src/logger.js';
import { runPrune } from '../src/prune/run.js';
import type { PruneSettings } from '../src/prune/settings.js';
import { intercept, lambdaFunctionOf } from './helpers/sandbox-control.js';

const RUNS = 6;
const SEED = 18;

type Kind = 'alias' | 'weighted-alias' | 'provisioned-concurrency' | 'event-source-mapping';
const TRIGGERS = ['ListVersionsByFunction', 'ListAliases', 'ListProvisionedConcurrencyConfigs', 'ListEventSourceMappings', 'DeleteFunction'] as const;

interface Change {
  on: (typeof TRIGGERS)[number];
  nth: number;
  kind: Kind;
  fn: number;
  version: number;
}

const scenarioArb = fc.record({
  functions: fc.integer({ min: 2, max: 3 }),
  versions: fc.integer({ min: 4, max: 9 }),
  keep: fc.integer({ min: 1, max: 3 }),
  changes: fc.array(
    fc.record({
      on: fc.constantFrom(...TRIGGERS),
      nth: fc.integer({ min: 1, max: 6 }),
      kind: fc.constantFrom<Kind>('alias', 'weighted-alias', 'provisioned-concurrency', 'event-source-mapping'),
      fn: fc.nat(),
      version: fc.nat(),
    }),
    { minLength: 1, maxLength: 8 },
  ),
});

interface Applied {
  fn: string;
  version: string;
  kind: Kind;
  tick: number;
}

describe('version-prune under concurrent changes (property-based, against the sandbox)', () => {
  it('deletes nothing that was protected when it last looked, and nothing an alias routes to when the delete arrives', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        // A quota far above the run's rate: the test is about races, not throttling.
        const sandbox = await startSandbox({ quotas: { 'lambda-control-plane': { ratePerSecond: 100_000 } } });
        try {
          const lambda = sandbox.services.lambda;
          const { state } = lambda;
          const { functionNames } = seedLambda(lambda, { capacityProvider: 'cp', functions: scenario.functions, versionsPerFunction: scenario.versions });
          let tick = 0;
          const counts = new Map<string, number>();
          const reads: { operation: string; fn: string; tick: number }[] = [];
          const applied: Applied[] = [];
          const deletions: { fn: string; version: string; tick: number; aliased: boolean; provisioned: boolean; mapped: boolean }[] = [];

          const apply = (change: Change, index: number, at: number) => {
            const fn = functionNames[change.fn % functionNames.length]!;
            const version = String(1 + (change.version % scenario.versions));
            const newest = String(scenario.versions);
            try {
              if (change.kind === 'alias') lambda.putAlias(fn, `race-${index}`, { functionVersion: version }, { instant: true });
              else if (change.kind === 'weighted-alias') {
                if (version === newest) return;
                lambda.putAlias(fn, `race-${index}`, { functionVersion: newest, weights: { [version]: 0.1 } }, { instant: true });
              } else if (change.kind === 'provisioned-concurrency') state.putProvisionedConcurrency(fn, version, 1);
              else state.createEventSourceMapping(fn, version, { eventSourceArn: `arn:aws:sqs:eu-west-1:123456789012:race-${index}` });
              applied.push({ fn, version, kind: change.kind, tick: at });
            } catch {
              // The version is gone already: nothing to protect.
            }
          };

          intercept(lambda, async (operation, request, answer) => {
            const now = ++tick;
            const count = (counts.get(operation) ?? 0) + 1;
            counts.set(operation, count);
            // The changes of this moment happen before this request is answered: it sees them.
            scenario.changes.forEach((change, index) => {
              if (change.on === operation && change.nth === count) apply(change, index, now);
            });
            if (operation !== 'DeleteFunction') {
              if (operation.startsWith('List'))
                reads.push({ operation, fn: operation === 'ListEventSourceMappings' ? '' : lambdaFunctionOf(request.path), tick: now });
              return answer();
            }
            const fn = lambdaFunctionOf(request.path);
            const version = request.query.get('Qualifier') ?? '';
            const record = state.functions.get(fn);
            const existed = record?.versions.has(version) === true;
            // What protects the version at the moment its delete arrives.
            const aliased = record !== undefined && state.currentAliases(record).some((a) => a.functionVersion === version || a.weights[version] !== undefined);
            const provisioned = record?.provisioned.has(version) === true;
            const mapped = [...state.eventSourceMappings.values()].some((m) => m.functionName === fn && m.qualifier === version);
            const response = await answer();
            if (existed && state.functions.get(fn)?.versions.has(version) !== true) deletions.push({ fn, version, tick: now, aliased, provisioned, mapped });
            return response;
          });

          const settings: PruneSettings = {
            region: 'eu-west-1',
            scope: { kind: 'functions', functions: functionNames.map((functionName) => ({ functionName })) },
            keep: scenario.keep,
            force: false,
            protect: [],
            shortNames: {},
            dryRun: false,
            rate: 5000,
            timeBudgetSeconds: 600,
          };
          const client = new LambdaClient({
            ...awsClientConfig({ region: 'eu-west-1', retryMode: 'standard' }),
            endpoint: sandbox.url,
            credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
          });
          const report = await runPrune(settings, { logger: new MemoryLogger(), client });
          expect(report.stopped).toBeUndefined();

          // What the report says was deleted is exactly what the sandbox saw deleted.
          const reported = report.functions.flatMap((fn) => fn.deleted.map((v) => `${fn.function}:${v}`)).sort();
          expect(deletions.map((d) => `${d.fn}:${d.version}`).sort()).toEqual(reported);

          const last = (operation: string, fn: string, before: number) =>
            reads.filter((r) => r.operation === operation && r.fn === fn && r.tick < before).at(-1);
          for (const deletion of deletions) {
            const label = `${deletion.fn}:${deletion.version}`;
            expect(deletion.aliased, `${label} deleted while an alias routed to it`).toBe(false);
            // The function's re-read: its second listing of aliases and of provisioned concurrency, then the
            // first listing of the account's mappings after both.
            const aliases = last('ListAliases', deletion.fn, deletion.tick);
            const provisioned = last('ListProvisionedConcurrencyConfigs', deletion.fn, deletion.tick);
            const readsBefore = (operation: string) => reads.filter((r) => r.operation === operation && r.fn === deletion.fn && r.tick < deletion.tick).length;
            expect(readsBefore('ListAliases'), `${label}: aliases re-read before the delete`).toBeGreaterThanOrEqual(2);
            expect(readsBefore('ListProvisionedConcurrencyConfigs'), `${label}: provisioned concurrency re-read before the delete`).toBeGreaterThanOrEqual(2);
            const mappings = reads.find((r) => r.operation === 'ListEventSourceMappings' && r.tick > Math.max(aliases!.tick, provisioned!.tick));
            expect(mappings !== undefined && mappings.tick < deletion.tick, `${label}: mappings re-read before the delete`).toBe(true);
            const seen = (kind: Kind, read: number) =>
              applied.some((c) => c.fn === deletion.fn && c.version === deletion.version && c.kind === kind && c.tick <= read);
            // Provisioned concurrency or a mapping on it now: added after the re-read (the window), never before.
            if (deletion.provisioned)
              expect(seen('provisioned-concurrency', provisioned!.tick), `${label}: provisioned concurrency added before the re-read`).toBe(false);
            if (deletion.mapped) expect(seen('event-source-mapping', mappings!.tick), `${label}: a mapping added before the re-read`).toBe(false);
          }
          // Every skip names its reason.
          for (const fn of report.functions) for (const skip of fn.skipped) expect(skip.reason).toMatch(/changed since the plan; now kept: |^conflict: /);
        } finally {
          await sandbox.stop();
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
