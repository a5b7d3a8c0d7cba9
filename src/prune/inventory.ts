/**
 * The inventory adapter: lists what the planner needs, every call through the run's one rate limiter and
 * as many in flight as the limiter allows. Listings use the SDK's own paginators.
 *
 * - Versions: per function (ListVersionsByFunction), or for a capacity provider in one paginated listing
 *   (ListFunctionVersionsByCapacityProvider) instead of scanning every function.
 * - What can send a version traffic, per function: aliases with their weights (ListAliases) and provisioned
 *   concurrency (ListProvisionedConcurrencyConfigs); once per run, every event source mapping of the account
 *   and region (ListEventSourceMappings, unfiltered: a mapping on a version or alias names it in its
 *   FunctionArn, which a FunctionName filter may not match).
 * - Nothing per version: a scaling config is a setting, not a reference (src/prune/plan.ts), so the versions
 *   cost no call of their own before their delete.
 * - Each capacity provider a version runs on: its version count, for the report (limit 100).
 *
 * A function whose own listing ran out of the SDK's retries (throttling, a 5xx) or was cut short by the end
 * of the run is left out, with the reason: the rest of the run goes on, and nothing of that function is
 * deleted on a partial view. A function that does not exist is missing. Any other failure, or a failure of
 * the account's mappings or of the capacity provider's listing (which every function depends on), fails the
 * whole inventory: nothing is deleted.
 */
import {
  type AliasConfiguration,
  type LambdaClient,
  paginateListAliases,
  paginateListEventSourceMappings,
  paginateListFunctionVersionsByCapacityProvider,
  paginateListProvisionedConcurrencyConfigs,
  paginateListVersionsByFunction,
} from '@aws-sdk/client-lambda';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { lambdaNameOf, parseLambdaArn } from '../aws/lambda-arn.js';
import { describeError, OperationError } from '../errors.js';
import { type AliasRouting, type FunctionInventory, LATEST } from './plan.js';
import type { PruneScope } from './settings.js';
import { isRunStopped } from './stop.js';

export interface CapacityProviderCount {
  name: string;
  arn: string;
  /** Function versions on the provider when listed. */
  versions: number;
}

/** A function in scope whose listing could not be completed, and why. */
export interface UnlistedFunction {
  functionName: string;
  reason: string;
}

export interface Inventory {
  /** Functions listed in full: what the planner may plan. */
  functions: FunctionInventory[];
  /** Functions in scope that do not exist (nothing to prune). */
  missing: string[];
  /** Functions whose listing could not be completed (throttled out, or the run stopped): left for a later run. */
  unlisted: UnlistedFunction[];
  capacityProviders: CapacityProviderCount[];
  /** Function → version → capacity provider ARN, for versions known to run on one. */
  providerOf: Record<string, Record<string, string>>;
  /** What the inventory could not do that does not change the plan (a provider's count for the report). */
  warnings: string[];
}

export interface InventoryDeps {
  /** The run's client: paced by its rate limiter, its calls in flight bounded (src/aws/rate-limiter.ts). */
  client: LambdaClient;
}

export interface InventoryOptions {
  /** AWS function name → short name in the config. */
  shortNames: Record<string, string>;
}

type EventSourceMappingRef = FunctionInventory['eventSourceMappings'][number];

export function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

export function isNotFound(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

/** An error the SDK's retry strategy retries (throttling, a 5xx, a reset or timeout): the service was busy, not wrong. */
export function isRetryableLater(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as Parameters<typeof isThrottlingError>[0];
  return isThrottlingError(e) || isTransientError(e) || isServerError(e);
}

/**
 * A failure that leaves work for a later run rather than failing the run: the SDK ran out of retries on a
 * busy service, or the run stopped (time budget, cancellation) before the call could go.
 */
export function isLeftForLater(error: unknown): boolean {
  return isRunStopped(error) || isRetryableLater(error);
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

/** The qualifiers (versions or aliases) of a function that have provisioned concurrency. */
export async function listProvisioned(client: LambdaClient, functionName: string): Promise<string[]> {
  const qualifiers: string[] = [];
  for await (const page of paginateListProvisionedConcurrencyConfigs({ client }, { FunctionName: functionName })) {
    for (const config of page.ProvisionedConcurrencyConfigs ?? []) {
      const qualifier = parseLambdaArn(config.FunctionArn ?? '')?.qualifier;
      if (qualifier !== undefined) qualifiers.push(qualifier);
    }
  }
  return qualifiers;
}

/**
 * Every event source mapping of the account and region on a qualified ARN (a version or an alias), by function
 * name. Unfiltered: whether a FunctionName filter also matches the mappings of the function's versions and
 * aliases is not documented, and a missed mapping would be a deleted version that a queue still feeds.
 */
export async function listEventSourceMappings(client: LambdaClient): Promise<Map<string, EventSourceMappingRef[]>> {
  const mappings = new Map<string, EventSourceMappingRef[]>();
  for await (const page of paginateListEventSourceMappings({ client }, {})) {
    for (const mapping of page.EventSourceMappings ?? []) {
      const arn = parseLambdaArn(mapping.FunctionArn ?? '');
      if (arn?.qualifier === undefined) continue; // on the unqualified function: keeps no version
      const list = mappings.get(arn.name) ?? [];
      list.push({ qualifier: arn.qualifier, uuid: mapping.UUID ?? '' });
      mappings.set(arn.name, list);
    }
  }
  return mappings;
}

/** Lists everything in scope (see the module comment for what a failure does). */
export async function collectInventory(scope: PruneScope, options: InventoryOptions, { client }: InventoryDeps): Promise<Inventory> {
  const listing = new InventoryListing(client, options);
  // Every listing starts at once; each starts what it unlocks (a function's other listings, provider counts)
  // as its pages come in, so the calls always fill the limiter.
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
  missing = false;
  /** Why its listing could not be completed, if it could not. */
  unlisted: string | undefined;

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
  readonly #providers = new Map<string, Promise<CapacityProviderCount | undefined>>();
  readonly #warnings: string[] = [];
  /** Function name → its event source mappings; undefined until the account's listing is complete. */
  #mappings: Map<string, EventSourceMappingRef[]> | undefined;

  constructor(client: LambdaClient, options: InventoryOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** Every event source mapping of the account, once: a mapping on a qualified ARN keeps that version. */
  listEventSourceMappings(): void {
    this.#track('listing event source mappings', async () => {
      this.#mappings = await listEventSourceMappings(this.#client);
    });
  }

  /**
   * Capacity-provider scope: every version on the provider in one paginated listing, instead of a scan of
   * every function. A function is started when its first version comes in, and the listing's length is the
   * provider's version count.
   */
  listProviderVersions(capacityProvider: string): void {
    this.#track(`listing the function versions on capacity provider ${capacityProvider}`, async () => {
      let providerArn: string | undefined;
      let count = 0;
      for await (const page of paginateListFunctionVersionsByCapacityProvider({ client: this.#client }, { CapacityProviderName: capacityProvider })) {
        const items = page.FunctionVersions ?? [];
        if (items.length > 0) providerArn ??= page.CapacityProviderArn;
        count += items.length;
        for (const item of items) {
          const arn = parseLambdaArn(item.FunctionArn ?? '');
          if (arn?.qualifier === undefined) continue;
          this.#addVersion(this.#startFunction(arn.name), arn.qualifier, page.CapacityProviderArn);
        }
      }
      if (providerArn !== undefined) this.#countProvider(providerArn, count);
    });
  }

  /** Functions scope: one function's versions; each page counts the providers it names. */
  listFunctionVersions(functionName: string): void {
    const fn = this.#startFunction(functionName);
    this.#trackFunction(fn, 'versions', async () => {
      for await (const page of paginateListVersionsByFunction({ client: this.#client }, { FunctionName: functionName })) {
        for (const item of page.Versions ?? []) {
          const provider = item.CapacityProviderConfig?.LambdaManagedInstancesCapacityProviderConfig?.CapacityProviderArn;
          this.#addVersion(fn, item.Version ?? LATEST, provider);
          if (provider !== undefined && item.Version !== LATEST) this.#countProvider(provider);
        }
      }
    });
  }

  /** Waits for every listing and what they started, and sums up. */
  async finish(): Promise<Inventory> {
    await this.#work.settled();
    const mappings = this.#mappings ?? new Map<string, EventSourceMappingRef[]>();
    const functions = [...this.#functions.values()];
    const byName = (a: { functionName: string }, b: { functionName: string }) =>
      a.functionName < b.functionName ? -1 : a.functionName > b.functionName ? 1 : 0;
    const counts = await Promise.all(this.#providers.values());
    return {
      functions: functions.filter((fn) => !fn.missing && fn.unlisted === undefined).map((fn) => fn.inventory(mappings.get(fn.functionName) ?? [])),
      missing: functions
        .filter((fn) => fn.missing)
        .map((fn) => fn.functionName)
        .sort(),
      unlisted: functions
        .filter((fn) => !fn.missing && fn.unlisted !== undefined)
        .map((fn) => ({ functionName: fn.functionName, reason: fn.unlisted ?? '' }))
        .sort(byName),
      capacityProviders: counts.filter((count) => count !== undefined).sort((a, b) => a.name.localeCompare(b.name)),
      providerOf: this.#providerOf,
      warnings: this.#warnings,
    };
  }

  /**
   * A function's aliases and provisioned concurrency, listed once however the function was found: both keep
   * versions. A function that does not exist is missing.
   */
  #startFunction(functionName: string): FunctionState {
    const existing = this.#functions.get(functionName);
    if (existing !== undefined) return existing;
    const fn = new FunctionState(functionName, this.#options.shortNames[functionName]);
    this.#functions.set(functionName, fn);
    this.#trackFunction(fn, 'aliases', async () => {
      fn.aliases = await listAliases(this.#client, functionName);
    });
    this.#trackFunction(fn, 'provisioned concurrency', async () => {
      fn.provisioned = await listProvisioned(this.#client, functionName);
    });
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
   * The version count of a capacity provider a version runs on, once per provider, for the report: `known`
   * when the provider's listing was the scope, otherwise one listing of its own. A count that ran out of
   * retries is left out of the report with a warning: it changes nothing that is deleted.
   */
  #countProvider(arn: string, known?: number): void {
    if (this.#providers.has(arn)) return;
    const name = lambdaNameOf(arn);
    const counted = known !== undefined ? Promise.resolve({ name, arn, versions: known }) : this.#listProviderCount(name, arn);
    this.#providers.set(arn, counted);
    this.#work.track(counted);
  }

  async #listProviderCount(name: string, arn: string): Promise<CapacityProviderCount | undefined> {
    try {
      let versions = 0;
      for await (const page of paginateListFunctionVersionsByCapacityProvider({ client: this.#client }, { CapacityProviderName: name })) {
        versions += page.FunctionVersions?.length ?? 0;
      }
      return { name, arn, versions };
    } catch (error) {
      if (!isLeftForLater(error)) throw new OperationError(`counting the versions on capacity provider ${name} failed`, { cause: error });
      this.#warnings.push(`the versions on capacity provider ${name} were not counted: ${describeError(error)}`);
      return undefined;
    }
  }

  /** Runs a listing every function depends on as tracked work: a failure fails the inventory, saying what was listed. */
  #track(what: string, listing: () => Promise<void>): void {
    this.#work.track(
      listing().catch((error: unknown) => {
        throw new OperationError(`${what} failed`, { cause: error });
      }),
    );
  }

  /**
   * Runs one of `fn`'s own listings: "not found" marks the function missing, a failure left for later leaves
   * the function out with the reason; anything else fails the inventory.
   */
  #trackFunction(fn: FunctionState, what: string, listing: () => Promise<void>): void {
    this.#work.track(
      listing().catch((error: unknown) => {
        if (isNotFound(error)) fn.missing = true;
        else if (isLeftForLater(error)) fn.unlisted ??= `listing its ${what} failed: ${describeError(error)}`;
        else throw new OperationError(`listing the ${what} of ${fn.functionName} failed`, { cause: error });
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
