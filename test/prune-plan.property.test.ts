/**
 * The version-prune planner, property-based (fast-check): for random inventories (numbered versions with
 * gaps, $LATEST, $LATEST.PUBLISHED, aliases with weights, provisioned concurrency, event source mappings,
 * protect lists with zero-padded numbers) no protected version is ever deleted, the newest N are kept,
 * nothing deletable is left behind, and planning is deterministic whatever the order of the input; a change of
 * protections is noticed exactly when it changes what is protected; the protect-list check names every entry
 * that names no version. Plus the few examples that pin the semantics down.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AliasRouting,
  changedProtections,
  compareVersions,
  type FunctionInventory,
  LATEST,
  LATEST_PUBLISHED,
  type PlanRules,
  planFunction,
  planPrune,
  protectListProblems,
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

  it('notices every change of protections that could change the plan, and none from listing order alone', () => {
    const protectionsArb = inventoryArb.map((inventory) => inventory[0]!);
    fc.assert(
      fc.property(protectionsArb, protectionsArb, fc.integer({ min: 0, max: 12 }), (before, after, keep) => {
        const changed = changedProtections(before, after);
        // The same protections listed in another order are no change; no change means the same plan.
        const shuffled = { ...before, aliases: [...before.aliases].reverse(), provisioned: [...before.provisioned].reverse() };
        expect(changedProtections(before, shuffled)).toEqual([]);
        const rules = { keep, protect: [] };
        const first = planFunction(before, rules);
        const again = planFunction(
          { ...before, aliases: after.aliases, provisioned: after.provisioned, eventSourceMappings: after.eventSourceMappings },
          rules,
        );
        if (changed.length === 0) expect(again).toEqual(first);
        if (!changed.includes('aliases')) expect(sameRouting(before.aliases, after.aliases)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('names every protect-list entry whose version the listing does not have, and only those', () => {
    fc.assert(
      fc.property(caseArb, fc.subarray(['orders-dev-router', 'orders-dev-worker', 'orders-dev-api', 'other-fn']), ([inventory, rules], gone) => {
        const listed = inventory.filter((fn) => !gone.includes(fn.functionName));
        const missing = inventory.filter((fn) => gone.includes(fn.functionName));
        const problems = protectListProblems(rules.protect, listed, missing);
        const norm = (v: string) => String(Number(v));
        rules.protect.forEach((entry, index) => {
          const [name, version] = entry.split(':') as [string, string];
          const named = (fn: FunctionInventory) => fn.functionName === name || fn.shortName === name;
          const inMissing = missing.find(named);
          const inListed = listed.find(named);
          const problem = problems.find((p) => p.index === index);
          if (inMissing !== undefined) expect(problem?.problem).toBe(`names function ${inMissing.functionName}, which does not exist`);
          else if (inListed !== undefined && !inListed.versions.includes(norm(version))) expect(problem?.problem).toMatch(/^names version \d+, which /);
          else expect(problem).toBeUndefined();
        });
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
    ...overrides,
  });

  it('orders versions by number: 10 is newer than 9', () => {
    const versions = ['1', '2', '9', '10', '11', LATEST_PUBLISHED];
    const plan = planFunction(fn({ versions }), { keep: 2, protect: [] });
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
      }),
      { keep: 1, protect: ['router:003', 'orders-dev-router:2', 'worker:1'] },
    );
    // A scaling config is a setting, not a reference: version 4 (whatever its scaling) goes with 1 and 9.
    expect(plan.delete).toEqual(['1', '4', '9']);
    expect(Object.fromEntries(plan.kept.map((k) => [k.version, k.reasons]))).toEqual({
      '2': ['protect-list'],
      '3': ['protect-list'],
      '5': ['event-source-mapping:u-1'],
      '6': ['provisioned-concurrency'],
      '7': ['weighted-alias:canary'],
      '8': ['alias:canary'],
      '10': ['newest', 'alias:live'],
    });
  });

  it('says what changed among the protections, and names a protect-list entry that names nothing', () => {
    const base = fn({ versions: ['1', '2', '3', '4'], aliases: [{ name: 'live', functionVersion: '4', weights: {} }], provisioned: ['2'] });
    expect(changedProtections(base, { ...base, provisioned: ['002'] })).toEqual([]);
    expect(changedProtections(base, { ...base, provisioned: ['2', '3'], eventSourceMappings: [{ qualifier: '1', uuid: 'u' }] })).toEqual([
      'provisioned concurrency',
      'event source mappings',
    ]);
    expect(changedProtections(base, { ...base, aliases: [{ name: 'live', functionVersion: '4', weights: { '3': 0.1 } }] })).toEqual(['aliases']);
    expect(
      protectListProblems(['router:4', 'router:007', 'orders-dev-worker:1'], [base], [{ functionName: 'orders-dev-worker', shortName: 'worker' }]),
    ).toEqual([
      { index: 1, entry: 'router:007', problem: 'names version 7, which orders-dev-router does not have (its versions: 1–4)' },
      { index: 2, entry: 'orders-dev-worker:1', problem: 'names function orders-dev-worker, which does not exist' },
    ]);
  });

  it('keep 0 deletes every unprotected numbered version', () => {
    const versions = ['1', '2', '3', LATEST_PUBLISHED];
    const plan = planFunction(fn({ versions, aliases: [{ name: 'live', functionVersion: '3', weights: {} }] }), {
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
