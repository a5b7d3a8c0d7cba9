/**
 * The Lambda sandbox's model: capacity providers, functions with their versions and aliases, scaling and
 * provisioned-concurrency configs, event source mappings. Time-dependent states (a version going Pending →
 * Active, an alias change becoming visible, a scaling config converging) are stored as the sandbox time
 * they happen at and evaluated when read, so nothing here runs a timer and a faster sandbox clock speeds
 * all of it up.
 *
 * Both the HTTP operations (service.ts) and direct seeding (seed.ts) go through this class, so the rules
 * (the version limit per capacity provider, aliases protecting versions) hold either way.
 *
 * Large accounts cost what small ones do per call: functions, each function's versions and each capacity
 * provider's versions are kept in key order as they change (sorted.ts), so publishing a version checks the
 * provider's count in O(1) and a listing page starts after its marker by binary search (issue 20: publishing
 * and every ListFunctionVersionsByCapacityProvider page used to scan and sort every version of the account).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SandboxClock } from '../clock.js';
import { ServiceError } from '../protocol.js';
import {
  type Account,
  capacityProviderArn,
  capacityProviderName,
  comparePageKeys,
  functionArn,
  isNumberedVersion,
  LATEST,
  LATEST_PUBLISHED,
  type PageKey,
  versionRank,
} from './names.js';
import { SortedList } from './sorted.js';

export interface LambdaOptions {
  region?: string;
  accountId?: string;
  /** Sandbox time a published version stays Pending before it turns Active (or Failed). Default 0. */
  provisioningDelayMs?: number;
  /** Sandbox time a capacity provider stays Pending, and Deleting before it is gone. Default 0. */
  capacityProviderDelayMs?: number;
  /** Sandbox time after an alias change during which GetAlias/ListAliases still show the old value. Default 0. */
  aliasVisibilityDelayMs?: number;
  /** Sandbox time until the applied scaling config equals the requested one. Default 0. */
  scalingConvergenceDelayMs?: number;
  /** Sandbox time each Invoke takes. Default 0. */
  invokeLatencyMs?: number;
  /** Lambda's hard limit of function versions per capacity provider. Default 100. */
  maxVersionsPerCapacityProvider?: number;
  /** Seed of the weighted-alias routing choice. */
  routingSeed?: number;
}

export type ResolvedLambdaOptions = Required<LambdaOptions>;

export function resolveOptions(options: LambdaOptions = {}): ResolvedLambdaOptions {
  return {
    region: options.region ?? 'eu-west-1',
    accountId: options.accountId ?? '123456789012',
    provisioningDelayMs: options.provisioningDelayMs ?? 0,
    capacityProviderDelayMs: options.capacityProviderDelayMs ?? 0,
    aliasVisibilityDelayMs: options.aliasVisibilityDelayMs ?? 0,
    scalingConvergenceDelayMs: options.scalingConvergenceDelayMs ?? 0,
    invokeLatencyMs: options.invokeLatencyMs ?? 0,
    maxVersionsPerCapacityProvider: options.maxVersionsPerCapacityProvider ?? 100,
    routingSeed: options.routingSeed ?? 1,
  };
}

export interface ManagedInstancesConfig {
  CapacityProviderArn: string;
  PerExecutionEnvironmentMaxConcurrency?: number;
  ExecutionEnvironmentMemoryGiBPerVCpu?: number;
}

/** What a version freezes when it is published. */
export interface FunctionSettings {
  role: string;
  runtime?: string;
  handler?: string;
  description: string;
  timeout: number;
  memorySize: number;
  architectures: string[];
  packageType: string;
  environment?: Record<string, string>;
  capacityProvider?: ManagedInstancesConfig;
  codeSha256: string;
  codeSize: number;
}

export interface VersionFailure {
  reasonCode: string;
  reason: string;
}

export interface ScalingConfig {
  MinExecutionEnvironments?: number;
  MaxExecutionEnvironments?: number;
}

export interface VersionRecord {
  version: string;
  settings: FunctionSettings;
  revisionId: string;
  lastModified: number;
  /** Sandbox time the version leaves Pending. */
  readyAt: number;
  /** Set when the version ends Failed instead of Active. */
  failure?: VersionFailure;
  scaling?: { applied?: ScalingConfig; requested: ScalingConfig; convergesAt: number };
}

export interface AliasValue {
  name: string;
  functionVersion: string;
  description: string;
  /** RoutingConfig.AdditionalVersionWeights. */
  weights: Record<string, number>;
  revisionId: string;
}

/** One change of an alias; `value` undefined means deleted. Readers see the newest one already visible. */
interface AliasRevision {
  value: AliasValue | undefined;
  visibleAt: number;
}

export interface ProvisionedConcurrency {
  requested: number;
  lastModified: number;
  readyAt: number;
}

export interface FunctionRecord {
  name: string;
  latest: VersionRecord;
  /** Published versions, numbered and `$LATEST.PUBLISHED`. */
  versions: Map<string, VersionRecord>;
  /** The same versions in Lambda's order (by {@link versionKey}). */
  ordered: SortedList<VersionRecord>;
  /** Version numbers are never reused, even after a delete. */
  lastVersionNumber: number;
  aliases: Map<string, AliasRevision[]>;
  provisioned: Map<string, ProvisionedConcurrency>;
  nextPublishFailure?: VersionFailure;
  tags: Record<string, string>;
}

export interface CapacityProviderRecord {
  name: string;
  arn: string;
  /** The create request's settings, echoed back. */
  settings: Record<string, unknown>;
  lastModified: number;
  readyAt: number;
  /** Set by a delete: the provider is Deleting until then, and gone after. */
  goneAt?: number;
}

export interface EventSourceMappingRecord {
  uuid: string;
  /** Creation order: ListEventSourceMappings lists (and pages) in it. */
  seq: number;
  functionArn: string;
  functionName: string;
  /** The qualifier of `functionArn`, if it is qualified. */
  qualifier?: string;
  eventSourceArn?: string;
  batchSize: number;
  enabled: boolean;
  lastModified: number;
}

export interface CreateFunctionInput {
  name: string;
  role?: string;
  runtime?: string;
  handler?: string;
  description?: string;
  timeout?: number;
  memorySize?: number;
  architectures?: string[];
  packageType?: string;
  environment?: Record<string, string>;
  capacityProvider?: ManagedInstancesConfig;
  /** The code's bytes or any string that identifies it (an S3 key, an image URI). */
  code?: Buffer | string;
  tags?: Record<string, string>;
}

export interface PublishOptions {
  publishTo?: 'LATEST_PUBLISHED';
  description?: string;
  /** Skip the Pending phase (seeding). */
  instant?: boolean;
  codeSha256?: string;
  revisionId?: string;
}

export interface AliasInput {
  functionVersion: string;
  description?: string;
  weights?: Record<string, number>;
}

export function notFound(message: string): ServiceError {
  // ResourceNotFoundException's message member is `Message` in the Lambda model (most others: `message`).
  return new ServiceError(404, 'ResourceNotFoundException', message, { Message: message });
}

export function invalid(message: string): ServiceError {
  return new ServiceError(400, 'InvalidParameterValueException', message);
}

export function conflict(message: string): ServiceError {
  return new ServiceError(409, 'ResourceConflictException', message);
}

function sha256(code: Buffer | string): string {
  return createHash('sha256').update(code).digest('base64');
}

/** A published version on a capacity provider, as the provider lists it. */
export interface ProviderVersion {
  fn: FunctionRecord;
  version: VersionRecord;
}

/** A version's place among its function's versions: Lambda's order (names.ts, versionRank). */
export const versionKey = (version: VersionRecord): PageKey => [versionRank(version.version)];
/** A version's place on its capacity provider: by function name, then version. */
export const providerVersionKey = ({ fn, version }: ProviderVersion): PageKey => [fn.name, versionRank(version.version)];

/** What runs on one capacity provider: its version count, and the functions with versions on it, by name. */
interface ProviderIndex {
  versions: number;
  functions: SortedList<string>;
  /** Function name → its versions on the provider. */
  perFunction: Map<string, number>;
}

const providerOf = (version: VersionRecord): string | undefined => version.settings.capacityProvider?.CapacityProviderArn;

export class LambdaState {
  readonly functions = new Map<string, FunctionRecord>();
  readonly capacityProviders = new Map<string, CapacityProviderRecord>();
  readonly eventSourceMappings = new Map<string, EventSourceMappingRecord>();
  /** Function names in order. */
  readonly functionNames = new SortedList<string>((name) => [name]);
  /** Capacity provider ARN → what runs on it. */
  readonly #onProvider = new Map<string, ProviderIndex>();
  #mappingSeq = 0;

  constructor(
    private readonly clock: SandboxClock,
    readonly options: ResolvedLambdaOptions,
  ) {}

  get account(): Account {
    return { region: this.options.region, accountId: this.options.accountId };
  }

  // ---- capacity providers ------------------------------------------------------------------------------

  createCapacityProvider(name: string, settings: Record<string, unknown> = {}, { instant = false } = {}): CapacityProviderRecord {
    if (this.findCapacityProvider(name) !== undefined) throw conflict(`Capacity provider already exists: ${name}`);
    const now = this.clock.now();
    const record: CapacityProviderRecord = {
      name,
      arn: capacityProviderArn(this.account, name),
      settings,
      lastModified: now,
      readyAt: instant ? now : now + this.options.capacityProviderDelayMs,
    };
    this.capacityProviders.set(name, record);
    return record;
  }

  /** The provider by name or ARN, unless its deletion has completed. */
  findCapacityProvider(nameOrArn: string): CapacityProviderRecord | undefined {
    const name = capacityProviderName(nameOrArn);
    const record = this.capacityProviders.get(name);
    if (record?.goneAt !== undefined && this.clock.now() >= record.goneAt) {
      this.capacityProviders.delete(name);
      return undefined;
    }
    return record;
  }

  capacityProvider(nameOrArn: string): CapacityProviderRecord {
    const record = this.findCapacityProvider(nameOrArn);
    if (record === undefined) throw notFound(`Capacity provider not found: ${capacityProviderArn(this.account, capacityProviderName(nameOrArn))}`);
    return record;
  }

  capacityProviderState(record: CapacityProviderRecord): 'Pending' | 'Active' | 'Deleting' {
    if (record.goneAt !== undefined) return 'Deleting';
    return this.clock.now() < record.readyAt ? 'Pending' : 'Active';
  }

  listCapacityProviders(): CapacityProviderRecord[] {
    return [...this.capacityProviders.keys()]
      .sort()
      .map((name) => this.findCapacityProvider(name))
      .filter((record): record is CapacityProviderRecord => record !== undefined);
  }

  /**
   * UpdateCapacityProvider: each member given replaces the provider's (CapacityProviderScalingConfig,
   * PropagateTags, TelemetryConfig, the only members UpdateCapacityProviderRequest has). A provider being deleted
   * cannot be updated (ResourceConflictException, one of the operation's modelled errors; the text is the
   * sandbox's).
   */
  updateCapacityProvider(nameOrArn: string, changes: Record<string, unknown>): CapacityProviderRecord {
    const record = this.capacityProvider(nameOrArn);
    if (record.goneAt !== undefined) throw conflict(`Capacity provider ${record.arn} is being deleted and cannot be updated.`);
    record.settings = { ...record.settings, ...changes };
    record.lastModified = this.clock.now();
    return record;
  }

  deleteCapacityProvider(nameOrArn: string): CapacityProviderRecord {
    const record = this.capacityProvider(nameOrArn);
    const attached = this.versionCountOnCapacityProvider(record.arn);
    if (attached > 0) {
      throw conflict(`Capacity provider ${record.arn} is in use by ${attached} function version(s). Delete them first.`);
    }
    record.goneAt ??= this.clock.now() + this.options.capacityProviderDelayMs;
    record.lastModified = this.clock.now();
    return record;
  }

  /** Every published version on the provider, in function then version order. */
  versionsOnCapacityProvider(arn: string): ProviderVersion[] {
    return this.versionsOnCapacityProviderAfter(arn, undefined, Number.POSITIVE_INFINITY);
  }

  /** How many published versions run on the provider: O(1). */
  versionCountOnCapacityProvider(arn: string): number {
    return this.#onProvider.get(arn)?.versions ?? 0;
  }

  /**
   * Up to `count` versions on the provider after `after` (a {@link providerVersionKey}), in that order: the first
   * function by binary search over the provider's function names, then its versions (each function's are kept in
   * order), so a page costs O(log n + page).
   */
  versionsOnCapacityProviderAfter(arn: string, after: PageKey | undefined, count: number): ProviderVersion[] {
    const index = this.#onProvider.get(arn);
    const found: ProviderVersion[] = [];
    if (index === undefined) return found;
    for (const name of index.functions.from(after === undefined ? undefined : [after[0] as string])) {
      const fn = this.function(name);
      const from = after !== undefined && after[0] === name ? [after[1] as number] : undefined;
      for (const version of fn.ordered.from(from)) {
        if (providerOf(version) !== arn) continue;
        if (after !== undefined && comparePageKeys([name, versionRank(version.version)], after) <= 0) continue;
        found.push({ fn, version });
        if (found.length >= count) return found;
      }
    }
    return found;
  }

  #index(fn: FunctionRecord, version: VersionRecord): void {
    fn.ordered.add(version);
    const arn = providerOf(version);
    if (arn === undefined) return;
    let index = this.#onProvider.get(arn);
    if (index === undefined) {
      index = { versions: 0, functions: new SortedList((name) => [name]), perFunction: new Map() };
      this.#onProvider.set(arn, index);
    }
    index.versions++;
    const before = index.perFunction.get(fn.name) ?? 0;
    if (before === 0) index.functions.add(fn.name);
    index.perFunction.set(fn.name, before + 1);
  }

  #unindex(fn: FunctionRecord, version: VersionRecord): void {
    fn.ordered.remove(versionKey(version));
    const arn = providerOf(version);
    const index = arn === undefined ? undefined : this.#onProvider.get(arn);
    if (index === undefined) return;
    index.versions--;
    const left = (index.perFunction.get(fn.name) ?? 1) - 1;
    if (left > 0) index.perFunction.set(fn.name, left);
    else {
      index.perFunction.delete(fn.name);
      index.functions.remove([fn.name]);
    }
  }

  // ---- functions ---------------------------------------------------------------------------------------

  createFunction(input: CreateFunctionInput): FunctionRecord {
    if (this.functions.has(input.name)) throw conflict(`Function already exist: ${input.name}`);
    if (input.capacityProvider !== undefined) {
      const provider = this.findCapacityProvider(input.capacityProvider.CapacityProviderArn);
      if (provider === undefined || provider.goneAt !== undefined) {
        throw invalid(`Capacity provider not found or not usable: ${input.capacityProvider.CapacityProviderArn}`);
      }
      // Functions refer to the provider by ARN; accept a name too, as the console does.
      input = { ...input, capacityProvider: { ...input.capacityProvider, CapacityProviderArn: provider.arn } };
    }
    const code = input.code ?? `sandbox-code:${input.name}`;
    const now = this.clock.now();
    const settings: FunctionSettings = {
      role: input.role ?? `arn:aws:iam::${this.options.accountId}:role/${input.name}`,
      description: input.description ?? '',
      timeout: input.timeout ?? 3,
      memorySize: input.memorySize ?? (input.capacityProvider === undefined ? 128 : 2048),
      architectures: input.architectures ?? ['x86_64'],
      packageType: input.packageType ?? 'Zip',
      codeSha256: sha256(code),
      codeSize: Buffer.byteLength(code),
      ...(input.runtime === undefined ? {} : { runtime: input.runtime }),
      ...(input.handler === undefined ? {} : { handler: input.handler }),
      ...(input.environment === undefined ? {} : { environment: input.environment }),
      ...(input.capacityProvider === undefined ? {} : { capacityProvider: input.capacityProvider }),
    };
    const fn: FunctionRecord = {
      name: input.name,
      latest: { version: LATEST, settings, revisionId: randomUUID(), lastModified: now, readyAt: now },
      versions: new Map(),
      ordered: new SortedList(versionKey),
      lastVersionNumber: 0,
      aliases: new Map(),
      provisioned: new Map(),
      tags: input.tags ?? {},
    };
    this.functions.set(input.name, fn);
    this.functionNames.add(input.name);
    return fn;
  }

  function(name: string): FunctionRecord {
    const fn = this.functions.get(name);
    if (fn === undefined) throw notFound(`Function not found: ${functionArn(this.account, name)}`);
    return fn;
  }

  updateFunctionCode(name: string, code: Buffer | string, revisionId?: string): VersionRecord {
    const fn = this.function(name);
    if (revisionId !== undefined && revisionId !== fn.latest.revisionId) throw preconditionFailed();
    fn.latest = {
      ...fn.latest,
      settings: { ...fn.latest.settings, codeSha256: sha256(code), codeSize: Buffer.byteLength(code) },
      revisionId: randomUUID(),
      lastModified: this.clock.now(),
    };
    return fn.latest;
  }

  deleteFunction(name: string): void {
    const fn = this.function(name);
    for (const version of fn.versions.values()) this.#unindex(fn, version);
    this.functions.delete(name);
    this.functionNames.remove([name]);
  }

  /** Deletes one published version; refuses when an alias (by its true, current state) routes to it. */
  deleteVersion(name: string, version: string): void {
    const fn = this.function(name);
    if (!fn.versions.has(version)) return; // Lambda answers 204 for a version that does not exist.
    const referencing = this.currentAliases(fn)
      .filter((alias) => alias.functionVersion === version || alias.weights[version] !== undefined)
      .map((alias) => alias.name);
    if (referencing.length > 0) {
      throw conflict(`Unable to delete version because the following aliases reference it: [${referencing.join(', ')}]`);
    }
    const record = fn.versions.get(version);
    if (record !== undefined) this.#unindex(fn, record);
    fn.versions.delete(version);
    fn.provisioned.delete(version);
  }

  /** The function's published versions in Lambda's order. */
  publishedVersions(fn: FunctionRecord): VersionRecord[] {
    return fn.ordered.values();
  }

  /** The newest numbered version: O(1) (`$LATEST.PUBLISHED`, when there is one, sorts after it). */
  newestNumbered(fn: FunctionRecord): VersionRecord | undefined {
    const last = fn.ordered.at(-1);
    return last?.version === LATEST_PUBLISHED ? fn.ordered.at(-2) : last;
  }

  /** Publishes `$LATEST` as a new numbered version, or as `$LATEST.PUBLISHED` with `publishTo`. */
  publishVersion(name: string, options: PublishOptions = {}): VersionRecord {
    const fn = this.function(name);
    const latest = fn.latest;
    if (options.revisionId !== undefined && options.revisionId !== latest.revisionId) throw preconditionFailed();
    if (options.codeSha256 !== undefined && options.codeSha256 !== latest.settings.codeSha256) {
      throw new ServiceError(412, 'PreconditionFailedException', 'CodeSha256 does not match the code of $LATEST.');
    }
    const target = options.publishTo === 'LATEST_PUBLISHED' ? LATEST_PUBLISHED : undefined;
    if (target === undefined) {
      // Publishing unchanged code and configuration returns the newest version instead of a new one.
      const newest = this.newestNumbered(fn);
      if (newest !== undefined && sameSettings(newest.settings, latest.settings) && options.description === undefined) return newest;
    }
    const replacing = target !== undefined && fn.versions.has(target);
    const provider = latest.settings.capacityProvider?.CapacityProviderArn;
    if (provider !== undefined && !replacing) {
      const limit = this.options.maxVersionsPerCapacityProvider;
      if (this.versionCountOnCapacityProvider(provider) >= limit) {
        throw new ServiceError(
          400,
          'FunctionVersionsPerCapacityProviderLimitExceededException',
          `The number of function versions on capacity provider ${provider} has reached the limit of ${limit}. Delete unused versions before publishing new ones.`,
        );
      }
    }
    const now = this.clock.now();
    const version = target ?? String(++fn.lastVersionNumber);
    const record: VersionRecord = {
      version,
      settings: { ...latest.settings, ...(options.description === undefined ? {} : { description: options.description }) },
      revisionId: randomUUID(),
      lastModified: now,
      readyAt: options.instant === true ? now : now + this.options.provisioningDelayMs,
    };
    if (fn.nextPublishFailure !== undefined) {
      record.failure = fn.nextPublishFailure;
      delete fn.nextPublishFailure;
    }
    const replaced = fn.versions.get(version);
    if (replaced !== undefined) this.#unindex(fn, replaced);
    fn.versions.set(version, record);
    this.#index(fn, record);
    return record;
  }

  failNextPublish(name: string, failure: VersionFailure): void {
    this.function(name).nextPublishFailure = failure;
  }

  versionState(record: VersionRecord): { State: string; StateReason?: string; StateReasonCode?: string } {
    if (this.clock.now() < record.readyAt) {
      return { State: 'Pending', StateReason: 'The function is being created.', StateReasonCode: 'Creating' };
    }
    if (record.failure !== undefined) return { State: 'Failed', StateReason: record.failure.reason, StateReasonCode: record.failure.reasonCode };
    return { State: 'Active' };
  }

  /** A version by qualifier: `$LATEST`, a version, `$LATEST.PUBLISHED`, or an alias (its primary version). */
  resolve(fn: FunctionRecord, qualifier: string | undefined): { version: VersionRecord; alias?: AliasValue } {
    if (qualifier === undefined || qualifier === LATEST) return { version: fn.latest };
    const version = fn.versions.get(qualifier);
    if (version !== undefined) return { version };
    const alias = this.currentAlias(fn, qualifier);
    const target = alias === undefined ? undefined : fn.versions.get(alias.functionVersion);
    if (alias === undefined || target === undefined) throw notFound(`Function not found: ${functionArn(this.account, fn.name, qualifier)}`);
    return { version: target, alias };
  }

  // ---- aliases -----------------------------------------------------------------------------------------

  /** Creates (`create: true`) or updates an alias. Readers see the change after the visibility delay. */
  putAlias(
    name: string,
    aliasName: string,
    input: Partial<AliasInput>,
    { create = false, instant = false, revisionId }: { create?: boolean; instant?: boolean; revisionId?: string } = {},
  ): AliasValue {
    const fn = this.function(name);
    const current = this.currentAlias(fn, aliasName);
    if (create && current !== undefined) throw conflict(`Alias already exists: ${functionArn(this.account, name, aliasName)}`);
    if (!create && current === undefined) throw notFound(`Alias not found: ${functionArn(this.account, name, aliasName)}`);
    if (isNumberedVersion(aliasName) || aliasName.startsWith('$')) throw invalid(`Invalid alias name: ${aliasName}`);
    if (revisionId !== undefined && current !== undefined && revisionId !== current.revisionId) throw preconditionFailed();
    const functionVersion = input.functionVersion ?? current?.functionVersion;
    if (functionVersion === undefined) throw invalid('FunctionVersion is required.');
    const weights = input.weights ?? (input.functionVersion === undefined ? current?.weights : undefined) ?? {};
    for (const version of [functionVersion, ...Object.keys(weights)]) {
      if (version !== LATEST && !fn.versions.has(version)) throw notFound(`Function not found: ${functionArn(this.account, name, version)}`);
    }
    for (const [version, weight] of Object.entries(weights)) {
      if (version === functionVersion) throw invalid('The primary version and the additional version of an alias must differ.');
      if (!(weight >= 0 && weight <= 1)) throw invalid(`Invalid weight ${weight} for version ${version}: must be between 0.0 and 1.0.`);
    }
    const value: AliasValue = {
      name: aliasName,
      functionVersion,
      description: input.description ?? current?.description ?? '',
      weights,
      revisionId: randomUUID(),
    };
    this.#pushAliasRevision(fn, aliasName, value, instant);
    return value;
  }

  deleteAlias(name: string, aliasName: string): void {
    const fn = this.function(name);
    // DeleteAlias of an alias that does not exist succeeds in Lambda (204).
    if (this.currentAlias(fn, aliasName) !== undefined) this.#pushAliasRevision(fn, aliasName, undefined, false);
  }

  #pushAliasRevision(fn: FunctionRecord, aliasName: string, value: AliasValue | undefined, instant: boolean): void {
    const now = this.clock.now();
    const revisions = fn.aliases.get(aliasName) ?? [];
    revisions.push({ value, visibleAt: instant ? now : now + this.options.aliasVisibilityDelayMs });
    // Keep the newest visible revision and everything after it; older ones can never be read again.
    const visible = revisions.findLastIndex((revision) => revision.visibleAt <= now);
    fn.aliases.set(aliasName, visible > 0 ? revisions.slice(visible) : revisions);
  }

  /** The alias as it really is now (used for routing and for DeleteFunction's check). */
  currentAlias(fn: FunctionRecord, aliasName: string): AliasValue | undefined {
    return fn.aliases.get(aliasName)?.at(-1)?.value;
  }

  currentAliases(fn: FunctionRecord): AliasValue[] {
    return [...fn.aliases.keys()].sort().flatMap((aliasName) => this.currentAlias(fn, aliasName) ?? []);
  }

  /** The alias as GetAlias/ListAliases report it: possibly a stale value, during the visibility delay. */
  visibleAlias(fn: FunctionRecord, aliasName: string): AliasValue | undefined {
    const now = this.clock.now();
    return fn.aliases.get(aliasName)?.findLast((revision) => revision.visibleAt <= now)?.value;
  }

  visibleAliases(fn: FunctionRecord): AliasValue[] {
    return [...fn.aliases.keys()].sort().flatMap((aliasName) => this.visibleAlias(fn, aliasName) ?? []);
  }

  // ---- scaling and provisioned concurrency ---------------------------------------------------------------

  /**
   * PutFunctionScalingConfig on a published version. A config with neither member (or none at all) resets the
   * version to the service default: it has no scaling config of its own again, and GetFunctionScalingConfig
   * reports none. Source: terraform-provider-aws's aws_lambda_function_scaling_config, whose Delete is exactly
   * that call ("Delete resets the scaling configuration by calling PutFunctionScalingConfig with nil config. There
   * is no dedicated DeleteFunctionScalingConfig API", function_scaling_config.go) and whose acceptance tests run it
   * against AWS; the API reference marks FunctionScalingConfig "Required: No".
   */
  putScalingConfig(name: string, qualifier: string, config: ScalingConfig): VersionRecord {
    const fn = this.function(name);
    const { version } = this.resolve(fn, qualifier);
    if (version.version === LATEST) throw invalid('Function scaling configuration can only be set on a published version.');
    requireCapacityProvider(version);
    const { MinExecutionEnvironments: min, MaxExecutionEnvironments: max } = config;
    if (min === undefined && max === undefined) {
      delete version.scaling;
      return version;
    }
    // Not a model constraint (each value alone is 0–15000): Lambda's own check; the wording is the sandbox's.
    if (min !== undefined && max !== undefined && min > max) throw invalid('MinExecutionEnvironments must not be greater than MaxExecutionEnvironments.');
    const applied = this.appliedScaling(version);
    version.scaling = {
      ...(applied === undefined ? {} : { applied }),
      requested: {
        ...(min === undefined ? {} : { MinExecutionEnvironments: min }),
        ...(max === undefined ? {} : { MaxExecutionEnvironments: max }),
      },
      convergesAt: this.clock.now() + this.options.scalingConvergenceDelayMs,
    };
    return version;
  }

  /** The version's scaling config as GetFunctionScalingConfig reports it (see service.ts on the default). */
  scalingOf(name: string, qualifier: string): VersionRecord {
    const fn = this.function(name);
    const { version } = this.resolve(fn, qualifier);
    requireCapacityProvider(version);
    return version;
  }

  appliedScaling(version: VersionRecord): ScalingConfig | undefined {
    const scaling = version.scaling;
    if (scaling === undefined) return undefined;
    return this.clock.now() >= scaling.convergesAt ? scaling.requested : scaling.applied;
  }

  putProvisionedConcurrency(name: string, qualifier: string, requested: number): ProvisionedConcurrency {
    const fn = this.function(name);
    if (qualifier === LATEST) throw invalid('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    this.resolve(fn, qualifier);
    const now = this.clock.now();
    const config = { requested, lastModified: now, readyAt: now + this.options.provisioningDelayMs };
    fn.provisioned.set(qualifier, config);
    return config;
  }

  // ---- event source mappings -------------------------------------------------------------------------

  createEventSourceMapping(
    name: string,
    qualifier: string | undefined,
    input: { eventSourceArn?: string; batchSize?: number; enabled?: boolean },
  ): EventSourceMappingRecord {
    const fn = this.function(name);
    if (qualifier !== undefined) this.resolve(fn, qualifier);
    const record: EventSourceMappingRecord = {
      uuid: randomUUID(),
      seq: ++this.#mappingSeq,
      functionArn: functionArn(this.account, name, qualifier),
      functionName: name,
      ...(qualifier === undefined ? {} : { qualifier }),
      ...(input.eventSourceArn === undefined ? {} : { eventSourceArn: input.eventSourceArn }),
      batchSize: input.batchSize ?? 10,
      enabled: input.enabled ?? true,
      lastModified: this.clock.now(),
    };
    this.eventSourceMappings.set(record.uuid, record);
    return record;
  }
}

/**
 * Function scaling is for Lambda Managed Instances only. What Lambda answers for a function without a capacity
 * provider, from a live probe (us-east-1, 2026-08-11, go-to-k/cdkd issue 1616): PutFunctionScalingConfig on a
 * published version of a plain nodejs22.x function → "AccessDeniedException: The function provided by the arn
 * does not contain a capacity provider configuration". The status is AccessDeniedException's usual 403.
 * GetFunctionScalingConfig is assumed to answer the same (not probed).
 */
function requireCapacityProvider(version: VersionRecord): void {
  if (version.settings.capacityProvider !== undefined) return;
  throw new ServiceError(403, 'AccessDeniedException', 'The function provided by the arn does not contain a capacity provider configuration');
}

function preconditionFailed(): ServiceError {
  return new ServiceError(
    412,
    'PreconditionFailedException',
    'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
  );
}

function sameSettings(a: FunctionSettings, b: FunctionSettings): boolean {
  // New code (the usual case of a publish) differs at once; otherwise every member, as JSON.
  return a.codeSha256 === b.codeSha256 && JSON.stringify(a) === JSON.stringify(b);
}
