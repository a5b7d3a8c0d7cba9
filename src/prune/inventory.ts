/**
 * The inventory adapter: lists what the planner needs, every call through the run's one rate limiter and
 * as many in flight as the limiter allows.
 *
 * - Versions: per function (ListVersionsByFunction), or for a capacity provider in one paginated listing
 *   (ListFunctionVersionsByCapacityProvider) instead of scanning every function.
 * - Per function: aliases with their weights (ListAliases) and provisioned concurrency
 *   (ListProvisionedConcurrencyConfigs); once per run: event source mappings (ListEventSourceMappings).
 * - Scaling configs (GetFunctionScalingConfig) only for the versions nothing else keeps, asked as soon as a
 *   version is known to be such a candidate (a partial version list can only under-count candidates), so
 *   the checks overlap the listings. A version has its own scaling config when one was requested for it
 *   and it is not the function's standard scaling from the config file (which warmup puts on every new
 *   version); for a function the config does not describe, any requested scaling config is its own.
 * - Each capacity provider a version runs on: its version count, for the report (limit 100).
 */
import {
  GetFunctionScalingConfigCommand,
  ListAliasesCommand,
  ListEventSourceMappingsCommand,
  ListFunctionVersionsByCapacityProviderCommand,
  ListProvisionedConcurrencyConfigsCommand,
  ListVersionsByFunctionCommand,
  type AliasConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { OperationError } from '../errors.js';
import { LATEST, deletionCandidates, type AliasRouting, type FunctionInventory, type PlanRules } from './plan.js';
import type { PruneScope, ScalingValues } from './settings.js';

export interface CapacityProviderCount {
  name: string;
  arn: string;
  /** Function versions on the provider when listed. */
  versions: number;
}

export interface Inventory {
  functions: FunctionInventory[];
  /** Functions in scope that do not exist (nothing to prune). */
  missing: string[];
  capacityProviders: CapacityProviderCount[];
  /** Function → version → capacity provider ARN, for versions known to run on one. */
  providerOf: Record<string, Record<string, string>>;
}

/** Issues one call: through the run's call window (urgent: listings, which unlock more work). */
export type Issue = <T>(call: () => Promise<T>, urgent: boolean) => Promise<T>;

/** Issues a call at once (tests and one-off scripts without a window). */
export const issueDirectly: Issue = (call) => call();

export interface InventoryDeps {
  client: LambdaClient;
  issue: Issue;
}

export interface InventoryOptions {
  rules: PlanRules;
  /** AWS function name → short name in the config. */
  shortNames: Record<string, string>;
  /** AWS function name → the standard scaling from the config (not a reason to keep a version). */
  standardScaling: Record<string, ScalingValues>;
}

/** Whether a GetFunctionScalingConfig answer is the version's own scaling config. */
export function hasOwnScaling(requested: Partial<ScalingValues> | undefined, standard: ScalingValues | undefined): boolean {
  if (requested === undefined) return false;
  if (standard === undefined) return true;
  return requested.MinExecutionEnvironments !== standard.MinExecutionEnvironments || requested.MaxExecutionEnvironments !== standard.MaxExecutionEnvironments;
}

/** `arn:aws:lambda:region:account:function:name[:qualifier]` → name and qualifier. */
export function parseFunctionArn(arn: string): { functionName: string; qualifier?: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || parts[5] !== 'function') return undefined;
  const functionName = parts[6]!;
  const qualifier = parts[7];
  return qualifier === undefined ? { functionName } : { functionName, qualifier };
}

export function capacityProviderNameOf(arn: string): string {
  return arn.startsWith('arn:') ? (arn.split(':')[6] ?? arn) : arn;
}

export function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

export function isNotFound(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

async function allPages<T>(fetch: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>, onPage?: (items: T[]) => void): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    all.push(...page.items);
    onPage?.(page.items);
    marker = page.next;
  } while (marker !== undefined && marker !== '');
  return all;
}

export function aliasRouting(alias: AliasConfiguration): AliasRouting {
  return { name: alias.Name ?? '', functionVersion: alias.FunctionVersion ?? '', weights: { ...alias.RoutingConfig?.AdditionalVersionWeights } };
}

/** Every alias of a function, with its routing. */
export async function listAliases(client: LambdaClient, functionName: string, issue: Issue = issueDirectly): Promise<AliasRouting[]> {
  const aliases = await allPages(async (marker) => {
    const page = await issue(() => client.send(new ListAliasesCommand({ FunctionName: functionName, ...(marker === undefined ? {} : { Marker: marker }) })), true);
    return { items: page.Aliases ?? [], next: page.NextMarker };
  });
  return aliases.map(aliasRouting);
}

class FunctionState {
  readonly versions = new Set<string>();
  aliases: AliasRouting[] | undefined;
  provisioned: string[] | undefined;
  readonly scaling: Record<string, boolean> = {};
  readonly requested = new Set<string>();
  missing = false;

  constructor(
    readonly functionName: string,
    readonly shortName: string | undefined,
  ) {}

  inventory(eventSourceMappings: FunctionInventory['eventSourceMappings']): FunctionInventory {
    return {
      functionName: this.functionName,
      ...(this.shortName === undefined ? {} : { shortName: this.shortName }),
      versions: [...this.versions],
      aliases: this.aliases ?? [],
      provisioned: this.provisioned ?? [],
      eventSourceMappings,
      scaling: { ...this.scaling },
    };
  }
}

/**
 * Lists everything in scope. Any failure fails the whole inventory (nothing is deleted on a partial view),
 * except a function that does not exist, which is reported as missing.
 */
export async function collectInventory(scope: PruneScope, { rules, shortNames, standardScaling }: InventoryOptions, { client, issue }: InventoryDeps): Promise<Inventory> {
  const states = new Map<string, FunctionState>();
  const providerOf: Record<string, Record<string, string>> = {};
  const providers = new Map<string, Promise<CapacityProviderCount>>();
  const work: Promise<unknown>[] = [];
  let failure: unknown;
  let failNow: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (failNow = reject));
  failed.catch(() => undefined);
  const track = <T>(promise: Promise<T>): Promise<T> => {
    // The first failure ends the inventory at once; the caller abandons the calls still waiting.
    work.push(
      promise.catch((error: unknown) => {
        if (failure !== undefined) return;
        failure = error;
        failNow(error);
      }),
    );
    return promise;
  };
  const settle = async () => {
    for (let settled = 0; settled < work.length; ) {
      const batch = work.slice(settled);
      await Promise.race([Promise.all(batch), failed]);
      settled += batch.length;
    }
  };

  let mappings: Map<string, FunctionInventory['eventSourceMappings']> | undefined;
  const mappingsListed = track(
    allPages(async (marker) => {
      const page = await issue(() => client.send(new ListEventSourceMappingsCommand({ ...(marker === undefined ? {} : { Marker: marker }) })), true);
      return { items: page.EventSourceMappings ?? [], next: page.NextMarker };
    })
      .then((all) => {
        mappings = new Map();
        for (const mapping of all) {
          const parsed = parseFunctionArn(mapping.FunctionArn ?? '');
          if (parsed?.qualifier === undefined) continue;
          const list = mappings.get(parsed.functionName) ?? [];
          list.push({ qualifier: parsed.qualifier, uuid: mapping.UUID ?? '' });
          mappings.set(parsed.functionName, list);
        }
        for (const state of states.values()) checkCandidates(state);
      })
      .catch((error: unknown) => {
        throw new OperationError(`listing event source mappings failed`, { cause: error });
      }),
  );

  const countProvider = (arn: string, known?: number) => {
    if (providers.has(arn)) return;
    const name = capacityProviderNameOf(arn);
    const counted =
      known !== undefined
        ? Promise.resolve({ name, arn, versions: known })
        : allPages(async (marker) => {
            const page = await issue(() => client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: name, ...(marker === undefined ? {} : { Marker: marker }) })), true);
            return { items: page.FunctionVersions ?? [], next: page.NextMarker };
          }).then(
            (all) => ({ name, arn, versions: all.length }),
            (error: unknown) => {
              throw new OperationError(`counting the versions on capacity provider ${name} failed`, { cause: error });
            },
          );
    providers.set(arn, counted);
    track(counted);
  };

  const checkCandidates = (state: FunctionState) => {
    if (state.missing || state.aliases === undefined || state.provisioned === undefined || mappings === undefined) return;
    const candidates = deletionCandidates(state.inventory(mappings.get(state.functionName) ?? []), rules);
    for (const version of candidates) {
      if (state.requested.has(version)) continue;
      state.requested.add(version);
      track(
        issue(() => client.send(new GetFunctionScalingConfigCommand({ FunctionName: state.functionName, Qualifier: version })), false).then(
            (config) => {
              state.scaling[version] = hasOwnScaling(config.RequestedFunctionScalingConfig, standardScaling[state.functionName]);
            },
            (error: unknown) => {
              // The version is gone already: nothing to protect, and its delete will be a no-op.
              if (isNotFound(error)) state.scaling[version] = false;
              else throw new OperationError(`reading the scaling config of ${state.functionName}:${version} failed`, { cause: error });
            },
          ),
      );
    }
  };

  const markMissing = (state: FunctionState) => {
    state.missing = true;
  };

  const startFunction = (functionName: string): FunctionState => {
    const existing = states.get(functionName);
    if (existing !== undefined) return existing;
    const shortName = shortNames[functionName];
    const state = new FunctionState(functionName, shortName);
    states.set(functionName, state);
    track(
      listAliases(client, functionName, issue).then(
        (aliases) => {
          state.aliases = aliases;
          checkCandidates(state);
        },
        (error: unknown) => {
          if (isNotFound(error)) return markMissing(state);
          throw new OperationError(`listing the aliases of ${functionName} failed`, { cause: error });
        },
      ),
    );
    track(
      allPages(async (marker) => {
        const page = await issue(() => client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: functionName, ...(marker === undefined ? {} : { Marker: marker }) })), true);
        return { items: page.ProvisionedConcurrencyConfigs ?? [], next: page.NextMarker };
      }).then(
        (configs) => {
          state.provisioned = configs.flatMap((config) => parseFunctionArn(config.FunctionArn ?? '')?.qualifier ?? []);
          checkCandidates(state);
        },
        (error: unknown) => {
          if (isNotFound(error)) return markMissing(state);
          throw new OperationError(`listing the provisioned concurrency of ${functionName} failed`, { cause: error });
        },
      ),
    );
    return state;
  };

  const addVersion = (state: FunctionState, version: string, providerArn: string | undefined) => {
    if (version === LATEST) return; // not a published version; never a deletion candidate
    state.versions.add(version);
    if (providerArn !== undefined) (providerOf[state.functionName] ??= {})[version] = providerArn;
  };

  if (scope.kind === 'capacity-provider') {
    const listed = allPages(
      async (marker) => {
        const page = await issue(() => client.send(new ListFunctionVersionsByCapacityProviderCommand({ CapacityProviderName: scope.capacityProvider, ...(marker === undefined ? {} : { Marker: marker }) })), true);
        return { items: (page.FunctionVersions ?? []).map((item) => ({ arn: item.FunctionArn ?? '', provider: page.CapacityProviderArn })), next: page.NextMarker };
      },
      (items) => {
        const touched = new Set<FunctionState>();
        for (const item of items) {
          const parsed = parseFunctionArn(item.arn);
          if (parsed?.qualifier === undefined) continue;
          const state = startFunction(parsed.functionName);
          addVersion(state, parsed.qualifier, item.provider);
          touched.add(state);
        }
        for (const state of touched) checkCandidates(state);
      },
    ).then(
      (all) => {
        const arn = all[0]?.provider;
        if (arn !== undefined) countProvider(arn, all.length);
      },
      (error: unknown) => {
        throw new OperationError(`listing the function versions on capacity provider ${scope.capacityProvider} failed`, { cause: error });
      },
    );
    track(listed);
  } else {
    for (const { functionName } of scope.functions) {
      const state = startFunction(functionName);
      track(
        allPages(
          async (marker) => {
            const page = await issue(() => client.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, ...(marker === undefined ? {} : { Marker: marker }) })), true);
            return { items: page.Versions ?? [], next: page.NextMarker };
          },
          (items) => {
            for (const item of items) {
              const provider = item.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig?.CapacityProviderArn;
              addVersion(state, item.Version ?? LATEST, provider);
              if (provider !== undefined && item.Version !== LATEST) countProvider(provider);
            }
            checkCandidates(state);
          },
        ).then(
          () => undefined,
          (error: unknown) => {
            if (isNotFound(error)) return markMissing(state);
            throw new OperationError(`listing the versions of ${functionName} failed`, { cause: error });
          },
        ),
      );
    }
  }

  // Everything started so far, and whatever it started in turn (scaling checks, provider counts).
  await settle();
  await mappingsListed;
  // A last pass: every candidate of the complete listing is checked (usually all were, on the way).
  for (const state of states.values()) checkCandidates(state);
  await settle();

  const eventSourceMappings = mappings ?? new Map();
  const present = [...states.values()].filter((state) => !state.missing);
  return {
    functions: present.map((state) => state.inventory(eventSourceMappings.get(state.functionName) ?? [])),
    missing: [...states.values()].filter((state) => state.missing).map((state) => state.functionName).sort(),
    capacityProviders: (await Promise.all(providers.values())).sort((a, b) => a.name.localeCompare(b.name)),
    providerOf,
  };
}
