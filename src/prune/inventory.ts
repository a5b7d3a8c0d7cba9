/**
 * The inventory adapter: lists what the planner needs, every call through the run's one rate limiter and
 * as many in flight as the limiter allows. Listings use the SDK's own paginators.
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
  type AliasConfiguration,
  GetFunctionScalingConfigCommand,
  type LambdaClient,
  paginateListAliases,
  paginateListEventSourceMappings,
  paginateListFunctionVersionsByCapacityProvider,
  paginateListProvisionedConcurrencyConfigs,
  paginateListVersionsByFunction,
} from '@aws-sdk/client-lambda';
import { lambdaNameOf, parseLambdaArn } from '../aws/lambda-arn.js';
import { OperationError } from '../errors.js';
import { type AliasRouting, deletionCandidates, type FunctionInventory, LATEST, type PlanRules } from './plan.js';
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

export interface InventoryDeps {
  /** The run's client: paced by its rate limiter, its calls in flight bounded (src/aws/rate-limiter.ts). */
  client: LambdaClient;
}

export interface InventoryOptions {
  rules: PlanRules;
  /** AWS function name → short name in the config. */
  shortNames: Record<string, string>;
  /** AWS function name → the standard scaling from the config (not a reason to keep a version). */
  standardScaling: Record<string, ScalingValues>;
}

type EventSourceMappingRef = FunctionInventory['eventSourceMappings'][number];

/** Whether a GetFunctionScalingConfig answer is the version's own scaling config. */
export function hasOwnScaling(requested: Partial<ScalingValues> | undefined, standard: ScalingValues | undefined): boolean {
  if (requested === undefined) return false;
  if (standard === undefined) return true;
  return requested.MinExecutionEnvironments !== standard.MinExecutionEnvironments || requested.MaxExecutionEnvironments !== standard.MaxExecutionEnvironments;
}

export function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

export function isNotFound(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

export function aliasRouting(alias: AliasConfiguration): AliasRouting {
  return { name: alias.Name ?? '', functionVersion: alias.FunctionVersion ?? '', weights: { ...alias.RoutingConfig?.AdditionalVersionWeights } };
}

/** Every alias of a function, with its routing. */
export async function listAliases(client: LambdaClient, functionName: string): Promise<AliasRouting[]> {
  const aliases: AliasRouting[] = [];
  for await (const page of paginateListAliases({ client }, { FunctionName: functionName })) {
    aliases.push(...(page.Aliases ?? []).map(aliasRouting));
  }
  return aliases;
}

/**
 * Lists everything in scope. Any failure fails the whole inventory (nothing is deleted on a partial view),
 * except a function that does not exist, which is reported as missing.
 */
export async function collectInventory(scope: PruneScope, options: InventoryOptions, { client }: InventoryDeps): Promise<Inventory> {
  const listing = new InventoryListing(client, options);
  // Every listing starts at once; each starts what it unlocks (a function's other listings, scaling
  // checks, provider counts) as its pages come in, so the calls always fill the limiter.
  listing.listEventSourceMappings();
  if (scope.kind === 'capacity-provider') listing.listProviderVersions(scope.capacityProvider);
  else for (const { functionName } of scope.functions) listing.listFunctionVersions(functionName);
  return listing.finish();
}

/** What is known of one function so far. */
class FunctionState {
  readonly versions = new Set<string>();
  /** Undefined until every page is in. */
  aliases: AliasRouting[] | undefined;
  /** Undefined until every page is in. */
  provisioned: string[] | undefined;
  readonly scaling: Record<string, boolean> = {};
  /** Versions whose scaling config was asked for (answered or not). */
  readonly requested = new Set<string>();
  missing = false;

  constructor(
    readonly functionName: string,
    readonly shortName: string | undefined,
  ) {}

  inventory(eventSourceMappings: EventSourceMappingRef[]): FunctionInventory {
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

/** One inventory run: the listings in flight and what they found so far. */
class InventoryListing {
  readonly #client: LambdaClient;
  readonly #options: InventoryOptions;
  readonly #work = new Work();
  readonly #functions = new Map<string, FunctionState>();
  readonly #providerOf: Record<string, Record<string, string>> = {};
  readonly #providers = new Map<string, Promise<CapacityProviderCount>>();
  /** Function name → its event source mappings; undefined until the account's listing is complete. */
  #mappings: Map<string, EventSourceMappingRef[]> | undefined;

  constructor(client: LambdaClient, options: InventoryOptions) {
    this.#client = client;
    this.#options = options;
  }

  /**
   * Every event source mapping of the account, once: a mapping on a qualified ARN keeps that version. Until
   * this listing is complete no function's candidates are known, so its end checks every function so far.
   */
  listEventSourceMappings(): void {
    this.#track('listing event source mappings', async () => {
      const mappings = new Map<string, EventSourceMappingRef[]>();
      for await (const page of paginateListEventSourceMappings({ client: this.#client }, {})) {
        for (const mapping of page.EventSourceMappings ?? []) {
          const arn = parseLambdaArn(mapping.FunctionArn ?? '');
          if (arn?.qualifier === undefined) continue; // on the unqualified function: keeps no version
          const list = mappings.get(arn.name) ?? [];
          list.push({ qualifier: arn.qualifier, uuid: mapping.UUID ?? '' });
          mappings.set(arn.name, list);
        }
      }
      this.#mappings = mappings;
      for (const fn of this.#functions.values()) this.#checkCandidates(fn);
    });
  }

  /**
   * Capacity-provider scope: every version on the provider in one paginated listing, instead of a scan of
   * every function. A function is started when its first version comes in; each page's functions are
   * checked at once, and the listing's length is the provider's version count.
   */
  listProviderVersions(capacityProvider: string): void {
    this.#track(`listing the function versions on capacity provider ${capacityProvider}`, async () => {
      let providerArn: string | undefined;
      let count = 0;
      for await (const page of paginateListFunctionVersionsByCapacityProvider({ client: this.#client }, { CapacityProviderName: capacityProvider })) {
        const items = page.FunctionVersions ?? [];
        if (items.length > 0) providerArn ??= page.CapacityProviderArn;
        count += items.length;
        const touched = new Set<FunctionState>();
        for (const item of items) {
          const arn = parseLambdaArn(item.FunctionArn ?? '');
          if (arn?.qualifier === undefined) continue;
          const fn = this.#startFunction(arn.name);
          this.#addVersion(fn, arn.qualifier, page.CapacityProviderArn);
          touched.add(fn);
        }
        for (const fn of touched) this.#checkCandidates(fn);
      }
      if (providerArn !== undefined) this.#countProvider(providerArn, count);
    });
  }

  /**
   * Functions scope: one function's versions. Each page counts the providers it names and checks the
   * function again, so scaling checks start before the last page.
   */
  listFunctionVersions(functionName: string): void {
    const fn = this.#startFunction(functionName);
    this.#track(
      `listing the versions of ${functionName}`,
      async () => {
        for await (const page of paginateListVersionsByFunction({ client: this.#client }, { FunctionName: functionName })) {
          for (const item of page.Versions ?? []) {
            const provider = item.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig?.CapacityProviderArn;
            this.#addVersion(fn, item.Version ?? LATEST, provider);
            if (provider !== undefined && item.Version !== LATEST) this.#countProvider(provider);
          }
          this.#checkCandidates(fn);
        }
      },
      fn,
    );
  }

  /** Waits for every listing and what they started, makes a last pass over the candidates, and sums up. */
  async finish(): Promise<Inventory> {
    await this.#work.settled();
    // A last pass: every candidate of the complete listing is checked (usually all were, on the way).
    for (const fn of this.#functions.values()) this.#checkCandidates(fn);
    await this.#work.settled();

    const mappings = this.#mappings ?? new Map<string, EventSourceMappingRef[]>();
    const functions = [...this.#functions.values()];
    return {
      functions: functions.filter((fn) => !fn.missing).map((fn) => fn.inventory(mappings.get(fn.functionName) ?? [])),
      missing: functions
        .filter((fn) => fn.missing)
        .map((fn) => fn.functionName)
        .sort(),
      capacityProviders: (await Promise.all(this.#providers.values())).sort((a, b) => a.name.localeCompare(b.name)),
      providerOf: this.#providerOf,
    };
  }

  /**
   * A function's aliases and provisioned concurrency, listed once however the function was found: both keep
   * versions, so its candidates are known only when both are in. A function that does not exist is missing.
   */
  #startFunction(functionName: string): FunctionState {
    const existing = this.#functions.get(functionName);
    if (existing !== undefined) return existing;
    const fn = new FunctionState(functionName, this.#options.shortNames[functionName]);
    this.#functions.set(functionName, fn);
    this.#track(
      `listing the aliases of ${functionName}`,
      async () => {
        fn.aliases = await listAliases(this.#client, functionName);
        this.#checkCandidates(fn);
      },
      fn,
    );
    this.#track(
      `listing the provisioned concurrency of ${functionName}`,
      async () => {
        const qualifiers: string[] = [];
        for await (const page of paginateListProvisionedConcurrencyConfigs({ client: this.#client }, { FunctionName: functionName })) {
          for (const config of page.ProvisionedConcurrencyConfigs ?? []) {
            const qualifier = parseLambdaArn(config.FunctionArn ?? '')?.qualifier;
            if (qualifier !== undefined) qualifiers.push(qualifier);
          }
        }
        fn.provisioned = qualifiers;
        this.#checkCandidates(fn);
      },
      fn,
    );
    return fn;
  }

  #addVersion(fn: FunctionState, version: string, providerArn: string | undefined): void {
    if (version === LATEST) return; // not a published version; never a deletion candidate
    fn.versions.add(version);
    if (providerArn === undefined) return;
    const versions = this.#providerOf[fn.functionName] ?? {};
    versions[version] = providerArn;
    this.#providerOf[fn.functionName] = versions;
  }

  /**
   * Asks for the scaling config of each version nothing else keeps, once the function's aliases, its
   * provisioned concurrency and the account's event source mappings are in. The version list may still be
   * partial: a partial list only under-counts candidates, so nothing is asked for needlessly, and a later
   * page (or the last pass) asks for the rest. Each version is asked for once.
   */
  #checkCandidates(fn: FunctionState): void {
    if (fn.missing || fn.aliases === undefined || fn.provisioned === undefined || this.#mappings === undefined) return;
    const candidates = deletionCandidates(fn.inventory(this.#mappings.get(fn.functionName) ?? []), this.#options.rules);
    for (const version of candidates) {
      if (fn.requested.has(version)) continue;
      fn.requested.add(version);
      this.#work.track(this.#readScaling(fn, version));
    }
  }

  async #readScaling(fn: FunctionState, version: string): Promise<void> {
    try {
      const config = await this.#client.send(new GetFunctionScalingConfigCommand({ FunctionName: fn.functionName, Qualifier: version }));
      fn.scaling[version] = hasOwnScaling(config.RequestedFunctionScalingConfig, this.#options.standardScaling[fn.functionName]);
    } catch (error) {
      // The version is gone already: nothing to protect, and its delete will be a no-op.
      if (isNotFound(error)) fn.scaling[version] = false;
      else throw new OperationError(`reading the scaling config of ${fn.functionName}:${version} failed`, { cause: error });
    }
  }

  /**
   * The version count of a capacity provider a version runs on, once per provider, for the report: `known`
   * when the provider's listing was the scope, otherwise one listing of its own.
   */
  #countProvider(arn: string, known?: number): void {
    if (this.#providers.has(arn)) return;
    const name = lambdaNameOf(arn);
    const counted = known !== undefined ? Promise.resolve({ name, arn, versions: known }) : this.#listProviderCount(name, arn);
    this.#providers.set(arn, counted);
    this.#work.track(counted);
  }

  async #listProviderCount(name: string, arn: string): Promise<CapacityProviderCount> {
    try {
      let versions = 0;
      for await (const page of paginateListFunctionVersionsByCapacityProvider({ client: this.#client }, { CapacityProviderName: name })) {
        versions += page.FunctionVersions?.length ?? 0;
      }
      return { name, arn, versions };
    } catch (error) {
      throw new OperationError(`counting the versions on capacity provider ${name} failed`, { cause: error });
    }
  }

  /**
   * Runs one listing as tracked work. A failure fails the inventory, saying what was being listed; for a
   * listing of `fn`'s own, "not found" marks the function missing instead.
   */
  #track(what: string, listing: () => Promise<void>, fn?: FunctionState): void {
    this.#work.track(
      listing().catch((error: unknown) => {
        if (fn !== undefined && isNotFound(error)) {
          fn.missing = true;
          return;
        }
        throw new OperationError(`${what} failed`, { cause: error });
      }),
    );
  }
}

/**
 * The inventory's work in flight, each piece possibly starting more. `settled` waits for all of it, however
 * much is added meanwhile, and rejects with the first failure at once: nothing is deleted on a partial
 * view, so there is no point waiting for the rest (the caller abandons the calls still queued).
 */
class Work {
  readonly #pending: Promise<void>[] = [];
  #failed = false;
  readonly #failure: Promise<never>;
  #fail: (error: unknown) => void = () => undefined;

  constructor() {
    this.#failure = new Promise<never>((_, reject) => (this.#fail = reject));
    this.#failure.catch(() => undefined); // observed by `settled`, if anyone waits
  }

  track(promise: Promise<unknown>): void {
    this.#pending.push(
      promise.then(
        () => undefined,
        (error: unknown) => {
          if (this.#failed) return;
          this.#failed = true;
          this.#fail(error);
        },
      ),
    );
  }

  async settled(): Promise<void> {
    for (let done = 0; done < this.#pending.length; ) {
      const batch = this.#pending.slice(done);
      await Promise.race([Promise.all(batch), this.#failure]);
      done += batch.length;
    }
  }
}
