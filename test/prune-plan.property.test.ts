/**
 * The version-prune planner, property-based (fast-check): for random inventories (numbered versions with
 * gaps, $LATEST, $LATEST.PUBLISHED, aliases with weights, provisioned concurrency, scaling configs known,
 * absent or unchecked, event source mappings, protect lists with zero-padded numbers) no protected version
 * is ever deleted, the newest N are kept, nothing deletable is left behind, and planning is deterministic
 * whatever the order of the input. Plus the few examples that pin the semantics down.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AliasRouting,
  compareVersions,
  deletionCandidates,
  type FunctionInventory,
  LATEST,
  LATEST_PUBLISHED,
  type PlanRules,
  planFunction,
  planPrune,
  sameRouting,
} from '../src/prune/plan.js';

const RUNS = 300;

/** A function with versions 1..max (some missing), and references to them (and to versions that do not exist). */
const functionArb = (name: string): fc.Arbitrary<FunctionInventory> =>
  fc
    .record({
      max: fc.integer({ min: 0, max: 40 }),
      missing: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 10 }),
      latest: fc.boolean(),
      latestPublished: fc.boolean(),
      seed: fc.integer({ min: 0, max: 2 ** 30 }),
    })
    .chain(({ max, missing, latest, latestPublished }) => {
      const numbered = Array.from({ length: max }, (_, i) => String(i + 1)).filter((v) => !missing.includes(Number(v)));
      const versions = [...numbered, ...(latest ? [LATEST] : []), ...(latestPublished ? [LATEST_PUBLISHED] : [])];
      // References may name listed versions, versions that do not exist, or $LATEST.
      const ref = fc.oneof(fc.constantFrom(...(versions.length === 0 ? ['1'] : versions)), fc.integer({ min: 1, max: 60 }).map(String), fc.constant(LATEST));
      return fc.record({
        functionName: fc.constant(name),
        shortName: fc.option(fc.constantFrom('router', 'worker', 'api'), { nil: undefined }),
        versions: fc.shuffledSubarray(versions, { minLength: versions.length, maxLength: versions.length }),
        aliases: fc.array(
          fc.record({
            name: fc.constantFrom('live', 'canary', 'stable', 'rollback'),
            functionVersion: ref,
            weights: fc.dictionary(ref, fc.double({ min: 0, max: 1, noNaN: true }), { maxKeys: 2 }),
          }),
          { maxLength: 3 },
        ),
        provisioned: fc.array(fc.oneof(ref, fc.constant('live')), { maxLength: 3 }),
        eventSourceMappings: fc.array(fc.record({ qualifier: fc.oneof(ref, fc.constant('live')), uuid: fc.uuid() }), { maxLength: 3 }),
        // Each version: own scaling config, none, or not checked (absent).
        scaling: fc.dictionary(fc.constantFrom(...(numbered.length === 0 ? ['1'] : numbered)), fc.boolean(), { maxKeys: numbered.length }),
      });
    })
    .map((fn) => (fn.shortName === undefined ? (({ shortName: _s, ...rest }) => rest)(fn) : fn) as FunctionInventory);

const inventoryArb = fc
  .uniqueArray(fc.constantFrom('orders-dev-router', 'orders-dev-worker', 'orders-dev-api', 'other-fn'), { minLength: 1, maxLength: 4 })
  .chain((names) => fc.tuple(...names.map(functionArb)));

const rulesArb = (inventory: FunctionInventory[]): fc.Arbitrary<PlanRules> =>
  fc.record({
    keep: fc.integer({ min: 0, max: 12 }),
    protect: fc.array(
      fc
        .tuple(fc.constantFrom(...inventory.map((fn) => fn.functionName), 'router', 'worker', 'elsewhere'), fc.integer({ min: 1, max: 45 }), fc.boolean())
        .map(([name, version, padded]) => `${name}:${padded ? String(version).padStart(3, '0') : version}`),
      { maxLength: 5 },
    ),
  });

const caseArb = inventoryArb.chain((inventory) => fc.tuple(fc.constant(inventory), rulesArb(inventory)));

/** An independent statement of "protected": every version the planner must never delete, and why. */
function referenceProtected(fn: FunctionInventory, rules: PlanRules): Set<string> {
  const protectedVersions = new Set<string>();
  const norm = (v: string) => (/^\d+$/.test(v) ? String(Number(v)) : v);
  for (const v of fn.versions) if (!/^\d+$/.test(v)) protectedVersions.add(v); // $LATEST, $LATEST.PUBLISHED, anything odd
  for (const alias of fn.aliases) {
    protectedVersions.add(norm(alias.functionVersion));
    for (const v of Object.keys(alias.weights)) protectedVersions.add(norm(v));
  }
  for (const q of fn.provisioned) protectedVersions.add(norm(q));
  for (const m of fn.eventSourceMappings) protectedVersions.add(norm(m.qualifier));
  for (const v of fn.versions) if (fn.scaling[v] !== false) protectedVersions.add(norm(v)); // own config, or not checked
  for (const entry of rules.protect) {
    const [name, version] = entry.split(':') as [string, string];
    if (name === fn.functionName || name === fn.shortName) protectedVersions.add(norm(version));
  }
  return protectedVersions;
}

function newest(fn: FunctionInventory, keep: number): string[] {
  return fn.versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(a) - Number(b))
    .slice(Math.max(0, fn.versions.filter((v) => /^\d+$/.test(v)).length - keep));
}

describe('prune planner (property-based)', () => {
  it('never deletes a protected version', () => {
    fc.assert(
      fc.property(caseArb, ([inventory, rules]) => {
        const plan = planPrune(inventory, rules);
        for (const fnPlan of plan.functions) {
          const fn = inventory.find((candidate) => candidate.functionName === fnPlan.functionName)!;
          const protectedVersions = referenceProtected(fn, rules);
          for (const version of fnPlan.delete) expect(protectedVersions.has(version), `${fn.functionName}:${version}`).toBe(false);
          // Only numbered versions are ever deleted: never $LATEST, never $LATEST.PUBLISHED.
          for (const version of fnPlan.delete) expect(version).toMatch(/^[1-9]\d*$/);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps the newest N numbered versions of every function, comparing numbers as numbers', () => {
    fc.assert(
      fc.property(caseArb, ([inventory, rules]) => {
        const plan = planPrune(inventory, rules);
        for (const fnPlan of plan.functions) {
          const fn = inventory.find((candidate) => candidate.functionName === fnPlan.functionName)!;
          const kept = new Map(fnPlan.kept.map((k) => [k.version, k.reasons]));
          for (const version of newest(fn, rules.keep)) expect(kept.get(version)).toContain('newest');
          // Every deleted version is older than every version kept as newest.
          const newestKept = fnPlan.kept.filter((k) => k.reasons.includes('newest')).map((k) => Number(k.version));
          for (const version of fnPlan.delete) expect(Number(version)).toBeLessThan(Math.min(...newestKept, Number.POSITIVE_INFINITY));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('accounts for every version exactly once and deletes everything nothing protects', () => {
    fc.assert(
      fc.property(caseArb, ([inventory, rules]) => {
        for (const fnPlan of planPrune(inventory, rules).functions) {
          const fn = inventory.find((candidate) => candidate.functionName === fnPlan.functionName)!;
          const all = [...fnPlan.kept.map((k) => k.version), ...fnPlan.delete];
          expect(all.sort(compareVersions)).toEqual([...new Set(fn.versions)].sort(compareVersions));
          for (const k of fnPlan.kept) expect(k.reasons.length).toBeGreaterThan(0);
          const protectedVersions = referenceProtected(fn, rules);
          const keptNewest = new Set(newest(fn, rules.keep));
          const expected = fn.versions.filter((v) => /^\d+$/.test(v) && !keptNewest.has(v) && !protectedVersions.has(v)).sort(compareVersions);
          expect(fnPlan.delete).toEqual(expected);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('gives the same plan twice, and whatever the order of functions, versions and references', () => {
    fc.assert(
      fc.property(caseArb, fc.integer(), ([inventory, rules], seed) => {
        const first = planPrune(inventory, rules);
        expect(planPrune(inventory, rules)).toEqual(first);
        const shuffle = <T>(items: readonly T[]) =>
          fc.sample(fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length }), { numRuns: 1, seed })[0]!;
        const shuffled = shuffle(inventory).map((fn) => ({
          ...fn,
          versions: shuffle(fn.versions),
          aliases: shuffle(fn.aliases),
          provisioned: shuffle(fn.provisioned),
          eventSourceMappings: shuffle(fn.eventSourceMappings),
        }));
        expect(planPrune(shuffled, { ...rules, protect: shuffle(rules.protect) })).toEqual(first);
      }),
      { numRuns: RUNS },
    );
  });

  it('asks for a scaling check exactly where the answer decides: the versions nothing else keeps', () => {
    fc.assert(
      fc.property(caseArb, ([inventory, rules]) => {
        for (const fn of inventory) {
          const candidates = deletionCandidates(fn, rules);
          for (const version of candidates) expect(fn.scaling[version]).toBeUndefined();
          // Once the candidates are checked (none has its own config) the plan keeps nothing as "unchecked".
          const checked = { ...fn, scaling: { ...fn.scaling, ...Object.fromEntries(candidates.map((v) => [v, false])) } };
          const plan = planFunction(checked, rules);
          for (const kept of plan.kept) expect(kept.reasons).not.toContain('scaling-config-unchecked');
          expect(deletionCandidates(checked, rules)).toEqual([]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('prune planner (examples)', () => {
  const fn = (overrides: Partial<FunctionInventory>): FunctionInventory => ({
    functionName: 'orders-dev-router',
    shortName: 'router',
    versions: [],
    aliases: [],
    provisioned: [],
    eventSourceMappings: [],
    scaling: {},
    ...overrides,
  });
  const checked = (versions: string[]) => Object.fromEntries(versions.map((v) => [v, false]));

  it('orders versions by number: 10 is newer than 9', () => {
    const versions = ['1', '2', '9', '10', '11', LATEST_PUBLISHED];
    const plan = planFunction(fn({ versions, scaling: checked(versions) }), { keep: 2, protect: [] });
    expect(plan.delete).toEqual(['1', '2', '9']);
    expect(plan.kept).toEqual([
      { version: '10', reasons: ['newest'] },
      { version: '11', reasons: ['newest'] },
      { version: LATEST_PUBLISHED, reasons: ['$LATEST.PUBLISHED'] },
    ]);
  });

  it('keeps each protected version with every reason that applies', () => {
    const versions = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
    const plan = planFunction(
      fn({
        versions,
        aliases: [
          { name: 'live', functionVersion: '10', weights: {} },
          { name: 'canary', functionVersion: '8', weights: { '7': 0.1 } },
        ],
        provisioned: ['6', 'live'],
        eventSourceMappings: [{ qualifier: '5', uuid: 'u-1' }],
        scaling: { ...checked(versions), '4': true },
      }),
      { keep: 1, protect: ['router:003', 'orders-dev-router:2', 'worker:1'] },
    );
    expect(plan.delete).toEqual(['1', '9']);
    expect(Object.fromEntries(plan.kept.map((k) => [k.version, k.reasons]))).toEqual({
      '2': ['protect-list'],
      '3': ['protect-list'],
      '4': ['scaling-config'],
      '5': ['event-source-mapping:u-1'],
      '6': ['provisioned-concurrency'],
      '7': ['weighted-alias:canary'],
      '8': ['alias:canary'],
      '10': ['newest', 'alias:live'],
    });
  });

  it('keeps what it could not check, and only asks about versions nothing else keeps', () => {
    const inventory = fn({ versions: ['1', '2', '3', '4'], aliases: [{ name: 'live', functionVersion: '2', weights: {} }] });
    expect(deletionCandidates(inventory, { keep: 1, protect: [] })).toEqual(['1', '3']);
    const plan = planFunction(inventory, { keep: 1, protect: [] });
    expect(plan.delete).toEqual([]);
    expect(plan.kept.find((k) => k.version === '1')!.reasons).toEqual(['scaling-config-unchecked']);
  });

  it('keep 0 deletes every unprotected numbered version', () => {
    const versions = ['1', '2', '3', LATEST_PUBLISHED];
    const plan = planFunction(fn({ versions, aliases: [{ name: 'live', functionVersion: '3', weights: {} }], scaling: checked(versions) }), {
      keep: 0,
      protect: [],
    });
    expect(plan.delete).toEqual(['1', '2']);
  });

  it('compares alias routing, not descriptions or listing order', () => {
    const a: AliasRouting[] = [
      { name: 'live', functionVersion: '3', weights: { '2': 0.1 } },
      { name: 'stable', functionVersion: '1', weights: {} },
    ];
    expect(sameRouting(a, [...a].reverse())).toBe(true);
    expect(sameRouting(a, [{ ...a[0]!, weights: { '2': 0.2 } }, a[1]!])).toBe(false);
    expect(sameRouting(a, [a[0]!])).toBe(false);
  });
});
