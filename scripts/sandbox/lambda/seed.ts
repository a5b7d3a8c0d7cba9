/**
 * Seeds the Lambda sandbox directly (no HTTP, so no quota and no wait): capacity providers, N functions on
 * them with M Active versions each, an alias per function at its newest version, and optionally weighted
 * aliases. For tests and benchmarks that need a populated account as their starting point.
 *
 * Large accounts: a capacity provider holds at most 100 function versions (the sandbox's
 * `maxVersionsPerCapacityProvider`), so 1,000 functions × 100 versions need 1,000 of them. With
 * `functionsPerCapacityProvider` the functions are spread over as many providers as that takes
 * (`<capacityProvider>-000`, `-001`, …), `'fill'` putting as many functions on each as its limit allows. Every
 * publish costs O(1) in the model (state.ts), so 100,000 versions take a second or two.
 */
import type { LambdaService } from './service.js';

export interface SeedLambdaOptions {
  /** Capacity provider name (created Active when missing), or the names' stem when spreading. Default `sandbox-cp`. */
  capacityProvider?: string;
  functions: number;
  versionsPerFunction: number;
  /**
   * Spread the functions over several capacity providers, this many functions on each; `'fill'`: as many as the
   * provider's version limit allows at `versionsPerFunction` (at least one). Default: every function on one.
   */
  functionsPerCapacityProvider?: number | 'fill';
  /** Function names are `<namePrefix>-<index>` with a zero-padded index. Default `fn`. */
  namePrefix?: string;
  /** Alias names created per function at its newest version. Default `['live']`; `[]` for none. */
  aliases?: string[];
  /**
   * Weighted aliases per function: `primaryOffset`/`additionalOffset` count back from the newest version
   * (0 = newest), `weight` goes to the additional version.
   */
  weightedAliases?: { name: string; primaryOffset: number; additionalOffset: number; weight: number }[];
}

export interface SeededLambda {
  /** The (first) capacity provider's ARN. */
  capacityProviderArn: string;
  /** Every capacity provider the functions run on, in order; one unless spread. */
  capacityProviderArns: string[];
  functionNames: string[];
}

export function seedLambda(service: LambdaService, options: SeedLambdaOptions): SeededLambda {
  const providerName = options.capacityProvider ?? 'sandbox-cp';
  const perProvider = functionsPerProvider(options, service.options.maxVersionsPerCapacityProvider);
  const providerCount = perProvider === undefined ? 1 : Math.max(1, Math.ceil(options.functions / perProvider));
  const providerWidth = Math.max(3, String(providerCount - 1).length);
  const providers = Array.from({ length: providerCount }, (_, index) => {
    const name = perProvider === undefined ? providerName : `${providerName}-${String(index).padStart(providerWidth, '0')}`;
    return service.state.findCapacityProvider(name) ?? service.createCapacityProvider(name, {}, { instant: true });
  });
  const prefix = options.namePrefix ?? 'fn';
  const width = String(Math.max(options.functions - 1, 0)).length;
  const functionNames: string[] = [];
  for (let i = 0; i < options.functions; i++) {
    const name = `${prefix}-${String(i).padStart(width, '0')}`;
    const provider = providers[perProvider === undefined ? 0 : Math.floor(i / perProvider)] ?? providers[0];
    if (provider === undefined) throw new Error('seedLambda: no capacity provider');
    service.createFunction({
      name,
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      memorySize: 2048,
      capacityProvider: { CapacityProviderArn: provider.arn, PerExecutionEnvironmentMaxConcurrency: 16, ExecutionEnvironmentMemoryGiBPerVCpu: 2 },
      code: `${name}@0`,
    });
    const versions: string[] = [];
    for (let v = 1; v <= options.versionsPerFunction; v++) {
      // Each version needs different code, or publishing would return the previous version again.
      service.updateFunctionCode(name, `${name}@${v}`);
      versions.push(service.publishVersion(name, { instant: true }).version);
    }
    const newest = versions.at(-1);
    if (newest !== undefined) {
      for (const alias of options.aliases ?? ['live']) service.putAlias(name, alias, { functionVersion: newest }, { instant: true });
      for (const weighted of options.weightedAliases ?? []) {
        const primary = versions[versions.length - 1 - weighted.primaryOffset];
        const additional = versions[versions.length - 1 - weighted.additionalOffset];
        if (primary === undefined || additional === undefined) throw new Error(`seedLambda: ${name} has no version for weighted alias ${weighted.name}`);
        service.putAlias(name, weighted.name, { functionVersion: primary, weights: { [additional]: weighted.weight } }, { instant: true });
      }
    }
    functionNames.push(name);
  }
  const arns = providers.map((provider) => provider.arn);
  return { capacityProviderArn: arns[0] ?? '', capacityProviderArns: arns, functionNames };
}

/** Functions per provider when spreading, or undefined for all on one. */
function functionsPerProvider(options: SeedLambdaOptions, limit: number): number | undefined {
  const per = options.functionsPerCapacityProvider;
  if (per === undefined) return undefined;
  if (per === 'fill') return Math.max(1, options.versionsPerFunction === 0 ? options.functions : Math.floor(limit / options.versionsPerFunction));
  if (!(Number.isInteger(per) && per >= 1)) throw new Error(`seedLambda: functionsPerCapacityProvider must be a whole number ≥ 1, got ${per}`);
  return per;
}
