/**
 * Seeds the Lambda sandbox directly (no HTTP, so no quota and no wait): a capacity provider, N functions
 * on it with M Active versions each, an alias per function at its newest version, and optionally
 * weighted aliases. For tests and benchmarks that need a populated account as their starting point.
 */
import type { LambdaService } from './service.js';

export interface SeedLambdaOptions {
  /** Capacity provider name; created (Active) when missing. Default `sandbox-cp`. */
  capacityProvider?: string;
  functions: number;
  versionsPerFunction: number;
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
  capacityProviderArn: string;
  functionNames: string[];
}

export function seedLambda(service: LambdaService, options: SeedLambdaOptions): SeededLambda {
  const providerName = options.capacityProvider ?? 'sandbox-cp';
  const provider = service.state.findCapacityProvider(providerName) ?? service.createCapacityProvider(providerName, {}, { instant: true });
  const prefix = options.namePrefix ?? 'fn';
  const width = String(Math.max(options.functions - 1, 0)).length;
  const functionNames: string[] = [];
  for (let i = 0; i < options.functions; i++) {
    const name = `${prefix}-${String(i).padStart(width, '0')}`;
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
  return { capacityProviderArn: provider.arn, functionNames };
}
