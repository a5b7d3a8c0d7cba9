/**
 * The sandbox's Lambda service: Lambda's REST-JSON API over the model in state.ts. Paths, query and header
 * names, success statuses and error codes follow the SDK's schemas (see routes.ts); status codes the SDK
 * does not pin down follow the live service (DeleteFunction answers 204). Every request first passes the
 * model's constraints (validation.ts), as it does at Lambda's front door: what fails them is a
 * `ValidationException`, what passes them and still makes no sense is the operation's own error.
 */

import type { SandboxCore } from '../frame.js';
import { parseJsonBody, pathParam, restJsonError, type SandboxRequest, type SandboxResponse, type SandboxService, ServiceError } from '../protocol.js';
import { mulberry32 } from '../random.js';
import {
  comparePageKeys,
  type FunctionRef,
  functionArn,
  isNumberedVersion,
  LATEST,
  LATEST_PUBLISHED,
  lambdaTimestamp,
  type PageKey,
  pageFrom,
  paginate,
  parseFunctionRef,
  resolveQualifier,
  versionRank,
} from './names.js';
import { isLambdaPath, matchRoute } from './routes.js';
import { aliasConfiguration, CAPACITY_PROVIDER_MEMBERS, capacityProvider, eventSourceMapping, functionConfiguration, pickMembers } from './shapes.js';
import {
  type AliasInput,
  type CreateFunctionInput,
  conflict,
  type FunctionRecord,
  invalid,
  type LambdaOptions,
  LambdaState,
  type PublishOptions,
  providerVersionKey,
  type ResolvedLambdaOptions,
  resolveOptions,
  type VersionFailure,
  type VersionRecord,
  versionKey,
} from './state.js';
import { unqualifiedFunctionName, validateRequest } from './validation.js';

export type { LambdaOptions } from './state.js';

export interface InvokeContext {
  functionName: string;
  /** The version that runs (an alias resolved, weighted routing applied). */
  version: string;
}

export type InvokeHandler = (event: unknown, context: InvokeContext) => unknown;

/** One invocation as Lambda's metrics count it (CloudWatch's sandbox publishes them: cloudwatch/metrics.ts). */
export interface InvocationRecord {
  functionName: string;
  /** The qualifier the caller named (alias or version); undefined for an unqualified invoke. */
  qualifier: string | undefined;
  /** The qualifier named an alias. */
  viaAlias: boolean;
  /** The version that ran; undefined for a throttled request. */
  executedVersion: string | undefined;
  outcome: 'success' | 'function-error' | 'throttled';
  /** Sandbox time the invocation started (epoch ms). */
  at: number;
  /** Sandbox milliseconds it ran. */
  durationMs: number;
}

type Body = Record<string, unknown>;
type Handler = (request: SandboxRequest, params: Record<string, string>) => Promise<SandboxResponse> | SandboxResponse;

const json = (status: number, body: unknown): SandboxResponse => ({ status, headers: { 'content-type': 'application/json' }, body });

export class LambdaService implements SandboxService {
  readonly name = 'lambda';
  /** Mutable at runtime: e.g. `service.options.aliasVisibilityDelayMs = 5000`. */
  readonly options: ResolvedLambdaOptions;
  readonly state: LambdaState;
  readonly #handlers = new Map<string, InvokeHandler>();
  /** Told of every invocation that ran or was throttled (not DryRun); a listener must not throw. */
  readonly onInvocation: ((invocation: InvocationRecord) => void)[] = [];
  #random: () => number;
  readonly #operations: Record<string, Handler>;

  constructor(
    private readonly core: SandboxCore,
    options: LambdaOptions = {},
  ) {
    this.options = resolveOptions(options);
    this.state = new LambdaState(core.clock, this.options);
    this.#random = mulberry32(this.options.routingSeed);
    this.#operations = {
      CreateFunction: (r) => this.#createFunction(r),
      GetFunction: (r, p) => this.#getFunction(r, p, true),
      GetFunctionConfiguration: (r, p) => this.#getFunction(r, p, false),
      UpdateFunctionCode: (r, p) => this.#updateFunctionCode(r, p),
      ListFunctions: (r) => this.#listFunctions(r),
      DeleteFunction: (r, p) => this.#deleteFunction(r, p),
      PublishVersion: (r, p) => this.#publishVersion(r, p),
      ListVersionsByFunction: (r, p) => this.#listVersions(r, p),
      CreateAlias: (r, p) => this.#putAlias(r, p, true),
      UpdateAlias: (r, p) => this.#putAlias(r, p, false),
      GetAlias: (_r, p) => this.#getAlias(p),
      ListAliases: (r, p) => this.#listAliases(r, p),
      DeleteAlias: (_r, p) => this.#deleteAlias(p),
      Invoke: (r, p) => this.#invoke(r, p),
      CreateCapacityProvider: (r) => this.#createCapacityProvider(r),
      GetCapacityProvider: (_r, p) =>
        json(200, { CapacityProvider: capacityProvider(this.state, this.state.capacityProvider(pathParam(p, 'CapacityProviderName'))) }),
      ListCapacityProviders: (r) => this.#listCapacityProviders(r),
      UpdateCapacityProvider: (r, p) => this.#updateCapacityProvider(r, p),
      DeleteCapacityProvider: (_r, p) =>
        json(202, { CapacityProvider: capacityProvider(this.state, this.state.deleteCapacityProvider(pathParam(p, 'CapacityProviderName'))) }),
      ListFunctionVersionsByCapacityProvider: (r, p) => this.#listFunctionVersionsByCapacityProvider(r, p),
      PutFunctionScalingConfig: (r, p) => this.#putScalingConfig(r, p),
      GetFunctionScalingConfig: (r, p) => this.#getScalingConfig(r, p),
      PutProvisionedConcurrencyConfig: (r, p) => this.#putProvisionedConcurrency(r, p),
      GetProvisionedConcurrencyConfig: (r, p) => this.#getProvisionedConcurrency(r, p),
      ListProvisionedConcurrencyConfigs: (r, p) => this.#listProvisionedConcurrency(r, p),
      CreateEventSourceMapping: (r) => this.#createEventSourceMapping(r),
      ListEventSourceMappings: (r) => this.#listEventSourceMappings(r),
    };
  }

  // ---- SandboxService -------------------------------------------------------------------------------------

  matches(request: SandboxRequest): boolean {
    return isLambdaPath(request.path);
  }

  operation(request: SandboxRequest): string {
    return matchRoute(request.method, request.path, request.query)?.operation ?? `Unknown ${request.method} ${request.path}`;
  }

  /**
   * Lambda quotas (docs: "Lambda quotas", API requests: GetFunction 100/s, the rest of the control plane 15/s;
   * "Lambda Managed Instances quotas", separate from those: "The maximum combined rate (requests per second) for
   * all capacity provider read APIs: 15 requests per second" and "... write APIs: 1 request per second", both
   * "Cannot be increased", covering "creating, updating, describing, and deleting capacity providers").
   * ListFunctionVersionsByCapacityProvider is a read of a capacity provider (its path is under
   * /capacity-providers/), so it counts there; Get/PutFunctionScalingConfig act on functions and stay in the
   * control plane.
   */
  quotaFor(operation: string): string | undefined {
    if (operation === 'GetFunction') return 'lambda-get-function';
    if (operation === 'Invoke') return undefined; // invocations have their own (concurrency) limits, not an API rate
    if (CAPACITY_PROVIDER_READS.has(operation)) return 'lambda-capacity-provider-read';
    if (CAPACITY_PROVIDER_WRITES.has(operation)) return 'lambda-capacity-provider-write';
    return 'lambda-control-plane';
  }

  async handle(operation: string, request: SandboxRequest): Promise<SandboxResponse> {
    const route = matchRoute(request.method, request.path, request.query);
    const handler = this.#operations[operation];
    if (route === undefined || handler === undefined) {
      throw new ServiceError(501, 'ServiceException', `The Lambda sandbox does not implement ${operation}.`, {
        Message: `The Lambda sandbox does not implement ${operation}.`,
      });
    }
    validateRequest(operation, request, route.params);
    return handler(request, route.params);
  }

  throttleError(): ServiceError {
    return new ServiceError(
      429,
      'TooManyRequestsException',
      'Rate exceeded',
      { Reason: 'CallerRateLimitExceeded', retryAfterSeconds: '1' },
      { 'Retry-After': '1' },
    );
  }

  serverError(status: number): ServiceError {
    return new ServiceError(status, 'ServiceException', 'An internal error occurred.', { Message: 'An internal error occurred.' });
  }

  errorResponse(error: ServiceError, request?: SandboxRequest): SandboxResponse {
    if (error.status === 429 && request !== undefined) this.#reportThrottle(request);
    const response = restJsonError(error);
    // The validation layer's answer has `message` alone: no `Type` (LocalStack's AWS-recorded snapshots show
    // `Type: User` on InvalidParameterValueException and ResourceNotFoundException, none on ValidationException).
    if (error.code === 'ValidationException') return { ...response, body: { message: error.message } };
    return response;
  }

  // ---- direct state API (seeding and tests; no HTTP, no quota) --------------------------------------------------

  createCapacityProvider(name: string, settings: Record<string, unknown> = {}, options: { instant?: boolean } = {}) {
    return this.state.createCapacityProvider(name, { ...defaultProviderSettings(this.options.accountId), ...settings }, options);
  }

  createFunction(input: CreateFunctionInput): FunctionRecord {
    return this.state.createFunction(input);
  }

  updateFunctionCode(name: string, code: Buffer | string): VersionRecord {
    return this.state.updateFunctionCode(name, code);
  }

  publishVersion(name: string, options: PublishOptions = {}): VersionRecord {
    return this.state.publishVersion(name, options);
  }

  /** Creates or updates an alias; `instant` makes the change visible at once (no visibility delay). */
  putAlias(name: string, aliasName: string, input: AliasInput, { instant = false } = {}) {
    const exists = this.state.currentAlias(this.state.function(name), aliasName) !== undefined;
    return this.state.putAlias(name, aliasName, input, { create: !exists, instant });
  }

  /** The code Invoke runs for a function; the default echoes `{ ok: true, version }`. */
  setHandler(functionName: string, handler: InvokeHandler): void {
    this.#handlers.set(functionName, handler);
  }

  /** The next version published for the function ends `Failed` with this reason instead of `Active`. */
  failNextPublish(functionName: string, failure: VersionFailure): void {
    this.state.failNextPublish(functionName, failure);
  }

  // ---- functions --------------------------------------------------------------------------------------------

  #createFunction(request: SandboxRequest): SandboxResponse {
    const body = parseJsonBody<Body>(request);
    // FunctionName, Role and Code are required members: validation.ts has refused a request without them.
    const name = str(body.FunctionName) ?? '';
    const role = str(body.Role) ?? '';
    const code = (body.Code ?? {}) as Body;
    const cpConfig = (body.CapacityProviderConfig as Body | undefined)?.LambdaManagedInstancesCapacityProviderConfig as Body | undefined;
    // Only the modelled members are kept (and echoed back): LambdaManagedInstancesCapacityProviderConfig.
    const cp =
      cpConfig === undefined
        ? undefined
        : ({
            CapacityProviderArn: str(cpConfig.CapacityProviderArn) ?? '',
            ...optional('PerExecutionEnvironmentMaxConcurrency', num(cpConfig.PerExecutionEnvironmentMaxConcurrency)),
            ...optional('ExecutionEnvironmentMemoryGiBPerVCpu', num(cpConfig.ExecutionEnvironmentMemoryGiBPerVCpu)),
          } satisfies CreateFunctionInput['capacityProvider']);
    const environment = (body.Environment as Body | undefined)?.Variables as Record<string, string> | undefined;
    const fn = this.state.createFunction({
      name: parseFunctionRef(name).name,
      role,
      code: codeOf(code),
      ...optional('runtime', str(body.Runtime)),
      ...optional('handler', str(body.Handler)),
      ...optional('description', str(body.Description)),
      ...optional('timeout', num(body.Timeout)),
      ...optional('memorySize', num(body.MemorySize)),
      ...optional('architectures', body.Architectures as string[] | undefined),
      ...optional('packageType', str(body.PackageType)),
      ...optional('environment', environment),
      ...optional('capacityProvider', cp),
      ...optional('tags', body.Tags as Record<string, string> | undefined),
    });
    const publishTo = publishTarget(body.PublishTo);
    if (body.Publish === true || publishTo !== undefined) {
      const version = this.state.publishVersion(fn.name, publishTo === undefined ? {} : { publishTo });
      return json(201, functionConfiguration(this.state, fn, version));
    }
    return json(201, functionConfiguration(this.state, fn, fn.latest));
  }

  #getFunction(request: SandboxRequest, params: Record<string, string>, full: boolean): SandboxResponse {
    const ref = functionRef(params);
    const qualifier = resolveQualifier(ref, request.query.get('Qualifier'));
    const fn = this.state.function(ref.name);
    const { version } = this.state.resolve(fn, qualifier);
    const configuration = functionConfiguration(this.state, fn, version, qualifier);
    if (!full) return json(200, configuration);
    return json(200, {
      Configuration: configuration,
      Code: {
        RepositoryType: 'S3',
        Location: `https://awslambda-${this.options.region}-tasks.s3.${this.options.region}.amazonaws.com/snapshots/${this.options.accountId}/${fn.name}`,
      },
      ...(Object.keys(fn.tags).length === 0 ? {} : { Tags: fn.tags }),
    });
  }

  #updateFunctionCode(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const ref = functionRef(params);
    const body = parseJsonBody<Body>(request);
    const revisionId = str(body.RevisionId);
    const latest = this.state.updateFunctionCode(ref.name, codeOf(body), revisionId);
    const fn = this.state.function(ref.name);
    const publishTo = publishTarget(body.PublishTo);
    if (body.Publish === true || publishTo !== undefined) {
      const version = this.state.publishVersion(fn.name, publishTo === undefined ? {} : { publishTo });
      return json(200, functionConfiguration(this.state, fn, version));
    }
    return json(200, functionConfiguration(this.state, fn, latest));
  }

  /**
   * ListFunctions: every function's `$LATEST`, or with FunctionVersion=ALL each function's `$LATEST` and then its
   * published versions, by name. A page starts at the marker's function (binary search over the names) and reads
   * only what it returns.
   */
  #listFunctions(request: SandboxRequest): SandboxResponse {
    const all = request.query.get('FunctionVersion') === 'ALL';
    type Entry = { fn: FunctionRecord; version: VersionRecord; qualifier: string | undefined };
    const keyOf = ({ fn, version }: Entry): PageKey => [fn.name, versionRank(version.version)];
    const page = pageFrom<Entry>(request.query, keyOf, (after, count) => {
      const entries: Entry[] = [];
      for (const name of this.state.functionNames.from(after === undefined ? undefined : [after[0] as string])) {
        const fn = this.state.function(name);
        const versions: Entry[] = all
          ? [{ fn, version: fn.latest, qualifier: LATEST }, ...fn.ordered.values().map((version) => ({ fn, version, qualifier: undefined }))]
          : [{ fn, version: fn.latest, qualifier: undefined }];
        for (const entry of versions) {
          if (after !== undefined && comparePageKeys(keyOf(entry), after) <= 0) continue;
          entries.push(entry);
          if (entries.length >= count) return entries;
        }
      }
      return entries;
    });
    const functions = page.items.map(({ fn, version, qualifier }) => functionConfiguration(this.state, fn, version, qualifier));
    return json(200, { Functions: functions, ...optional('NextMarker', page.nextMarker) });
  }

  /**
   * DeleteFunction: without a qualifier the whole function; with one, that published version. Checked in
   * Lambda's order, as recorded from AWS in LocalStack's snapshots (test_lambda_api.snapshot.json) and mirrored
   * by its provider: a qualifier that names an alias (not all digits, not `$…`) is refused before the function
   * is even looked up, "Deletion of aliases is not currently supported."; then `$LATEST` (by the parameter or
   * in the name), "$LATEST version cannot be deleted without deleting the function."; both
   * InvalidParameterValueException, 400. Measured the same against the live service by floci
   * (LambdaDeleteFunctionQualifierIntegrationTest), which also measured a version that does not exist: 204.
   */
  #deleteFunction(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const ref = functionRef(params);
    const qualifier = resolveQualifier(ref, request.query.get('Qualifier'));
    if (qualifier !== undefined && isAliasQualifier(qualifier)) throw invalid('Deletion of aliases is not currently supported.');
    if (qualifier === LATEST) throw invalid('$LATEST version cannot be deleted without deleting the function.');
    const fn = this.state.function(ref.name);
    if (qualifier === undefined) this.state.deleteFunction(fn.name);
    else this.state.deleteVersion(fn.name, qualifier);
    // The model says 200; the live service answers 204 with no body, which the SDK accepts.
    return { status: 204 };
  }

  #publishVersion(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const ref = functionRef(params);
    const body = parseJsonBody<Body>(request);
    const publishTo = publishTarget(body.PublishTo);
    const version = this.state.publishVersion(ref.name, {
      ...optional('publishTo', publishTo),
      ...optional('description', str(body.Description)),
      ...optional('codeSha256', str(body.CodeSha256)),
      ...optional('revisionId', str(body.RevisionId)),
    });
    return json(201, functionConfiguration(this.state, this.state.function(ref.name), version));
  }

  /** ListVersionsByFunction: `$LATEST`, then the published versions in order; a page reads only what it returns. */
  #listVersions(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const fn = this.state.function(functionRef(params).name);
    const page = pageFrom(request.query, versionKey, (after, count) => {
      const latest = after === undefined || comparePageKeys(versionKey(fn.latest), after) > 0 ? [fn.latest] : [];
      return [...latest, ...fn.ordered.after(after, count - latest.length)];
    });
    const versions = page.items.map((version) => functionConfiguration(this.state, fn, version, version.version === LATEST ? LATEST : undefined));
    return json(200, { Versions: versions, ...optional('NextMarker', page.nextMarker) });
  }

  // ---- aliases ----------------------------------------------------------------------------------------------

  #putAlias(request: SandboxRequest, params: Record<string, string>, create: boolean): SandboxResponse {
    const fnName = functionRef(params).name;
    const body = parseJsonBody<Body>(request);
    // Name is a required member (validation.ts).
    const aliasName = (create ? str(body.Name) : params.Name) ?? '';
    const routing = body.RoutingConfig as { AdditionalVersionWeights?: Record<string, number> } | undefined;
    const value = this.state.putAlias(
      fnName,
      aliasName,
      {
        ...optional('functionVersion', str(body.FunctionVersion)),
        ...optional('description', str(body.Description)),
        ...optional('weights', routing?.AdditionalVersionWeights),
      },
      { create, ...optional('revisionId', str(body.RevisionId)) },
    );
    return json(create ? 201 : 200, aliasConfiguration(this.state.account, this.state.function(fnName), value));
  }

  #getAlias(params: Record<string, string>): SandboxResponse {
    const fn = this.state.function(functionRef(params).name);
    const name = pathParam(params, 'Name');
    const alias = this.state.visibleAlias(fn, name);
    if (alias === undefined) throw notFoundAlias(this.state, fn, name);
    return json(200, aliasConfiguration(this.state.account, fn, alias));
  }

  #listAliases(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const fn = this.state.function(functionRef(params).name);
    const version = request.query.get('FunctionVersion');
    const aliases = this.state
      .visibleAliases(fn)
      .filter((alias) => version === null || alias.functionVersion === version || alias.weights[version] !== undefined);
    const page = paginate(aliases, request.query, (alias) => [alias.name]);
    return json(200, { Aliases: page.items.map((alias) => aliasConfiguration(this.state.account, fn, alias)), ...optional('NextMarker', page.nextMarker) });
  }

  #deleteAlias(params: Record<string, string>): SandboxResponse {
    this.state.deleteAlias(functionRef(params).name, pathParam(params, 'Name'));
    return { status: 204 };
  }

  // ---- invoke -----------------------------------------------------------------------------------------------

  async #invoke(request: SandboxRequest, params: Record<string, string>): Promise<SandboxResponse> {
    const ref = functionRef(params);
    let qualifier = resolveQualifier(ref, request.query.get('Qualifier'));
    const fn = this.state.function(ref.name);
    const requested = qualifier;
    // An unqualified invoke of a Managed Instances function runs $LATEST.PUBLISHED, not $LATEST.
    if (qualifier === undefined && fn.latest.settings.capacityProvider !== undefined) qualifier = LATEST_PUBLISHED;
    const { version: primary, alias } = this.state.resolve(fn, qualifier);
    const version = alias === undefined ? primary : this.#route(fn, alias.functionVersion, alias.weights);
    const { State } = this.state.versionState(version);
    if (State !== 'Active') {
      throw conflict(`The operation cannot be performed at this time. The function is currently in the following state: ${State}`);
    }
    const invocationType = header(request, 'x-amz-invocation-type') ?? 'RequestResponse';
    let event: unknown = null;
    if (request.body.length > 0) {
      try {
        event = JSON.parse(request.body.toString('utf8'));
      } catch {
        throw new ServiceError(400, 'InvalidRequestContentException', 'Could not parse request body into json: Could not parse payload into json');
      }
    }
    const executed = { 'X-Amz-Executed-Version': version.version };
    if (invocationType === 'DryRun') return { status: 204, headers: executed };
    const startedAt = this.core.clock.now();
    const report = (outcome: InvocationRecord['outcome']) =>
      this.#reportInvocation({
        functionName: fn.name,
        qualifier: requested,
        viaAlias: alias !== undefined,
        executedVersion: version.version,
        outcome,
        at: startedAt,
        durationMs: this.core.clock.now() - startedAt,
      });
    if (this.options.invokeLatencyMs > 0) await this.core.clock.sleep(this.options.invokeLatencyMs);
    const handler = this.#handlers.get(fn.name) ?? ((_event: unknown, context: InvokeContext) => ({ ok: true, version: context.version }));
    const context = { functionName: fn.name, version: version.version };
    if (invocationType === 'Event') {
      void Promise.resolve()
        .then(() => handler(event, context))
        .then(
          () => report('success'),
          () => report('function-error'),
        )
        .catch(() => undefined);
      return { status: 202, headers: executed };
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', ...executed };
    if (header(request, 'x-amz-log-type') === 'Tail') {
      headers['X-Amz-Log-Result'] = Buffer.from(`START Version: ${version.version}\nEND\n`).toString('base64');
    }
    try {
      const result = await handler(event, context);
      report('success');
      return { status: 200, headers, body: JSON.stringify(result ?? null) };
    } catch (error) {
      report('function-error');
      // A function error is a successful invoke: 200, X-Amz-Function-Error, and the error as the payload.
      const err = error instanceof Error ? error : new Error(String(error));
      const payload = { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
      return { status: 200, headers: { ...headers, 'X-Amz-Function-Error': 'Unhandled' }, body: JSON.stringify(payload) };
    }
  }

  #reportInvocation(invocation: InvocationRecord): void {
    for (const listener of this.onInvocation) listener(invocation);
  }

  /** A throttled Invoke (the server's 'throttle' fault): Lambda counts it in Throttles, not in Invocations. */
  #reportThrottle(request: SandboxRequest): void {
    const route = matchRoute(request.method, request.path, request.query);
    if (route?.operation !== 'Invoke' || this.onInvocation.length === 0) return;
    try {
      const ref = functionRef(route.params);
      const qualifier = resolveQualifier(ref, request.query.get('Qualifier'));
      const fn = this.state.function(ref.name);
      const viaAlias = qualifier !== undefined && this.state.currentAlias(fn, qualifier) !== undefined;
      this.#reportInvocation({
        functionName: fn.name,
        qualifier,
        viaAlias,
        executedVersion: undefined,
        outcome: 'throttled',
        at: this.core.clock.now(),
        durationMs: 0,
      });
    } catch {
      // A throttled request that names no function counts for none.
    }
  }

  /** Weighted alias routing: each additional version gets its weight, the primary version the rest. */
  #route(fn: FunctionRecord, primary: string, weights: Record<string, number>): VersionRecord {
    let pick = this.#random();
    for (const [version, weight] of Object.entries(weights)) {
      if (pick < weight) return fn.versions.get(version) ?? this.state.resolve(fn, version).version;
      pick -= weight;
    }
    return this.state.resolve(fn, primary).version;
  }

  // ---- capacity providers -----------------------------------------------------------------------------------

  #createCapacityProvider(request: SandboxRequest): SandboxResponse {
    const body = parseJsonBody<Body>(request);
    // CapacityProviderName, VpcConfig and PermissionsConfig are required members (validation.ts). Only the members
    // CapacityProvider has are kept and echoed back: a member the model does not know is ignored, not returned.
    const record = this.state.createCapacityProvider(str(body.CapacityProviderName) ?? '', pickMembers(body, CAPACITY_PROVIDER_MEMBERS));
    return json(202, { CapacityProvider: capacityProvider(this.state, record) });
  }

  /** UpdateCapacityProvider (PUT /2025-11-30/capacity-providers/{CapacityProviderName}, 202, { CapacityProvider }). */
  #updateCapacityProvider(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const body = parseJsonBody<Body>(request);
    const changes = pickMembers(body, {
      CapacityProviderScalingConfig: CAPACITY_PROVIDER_MEMBERS.CapacityProviderScalingConfig,
      PropagateTags: CAPACITY_PROVIDER_MEMBERS.PropagateTags,
      TelemetryConfig: CAPACITY_PROVIDER_MEMBERS.TelemetryConfig,
    });
    const record = this.state.updateCapacityProvider(pathParam(params, 'CapacityProviderName'), changes);
    return json(202, { CapacityProvider: capacityProvider(this.state, record) });
  }

  #listCapacityProviders(request: SandboxRequest): SandboxResponse {
    const stateFilter = request.query.get('State');
    const providers = this.state.listCapacityProviders().filter((record) => stateFilter === null || this.state.capacityProviderState(record) === stateFilter);
    const page = paginate(providers, request.query, (record) => [record.name]);
    return json(200, { CapacityProviders: page.items.map((record) => capacityProvider(this.state, record)), ...optional('NextMarker', page.nextMarker) });
  }

  #listFunctionVersionsByCapacityProvider(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const provider = this.state.capacityProvider(pathParam(params, 'CapacityProviderName'));
    // MaxItems 1–50 (MaxFiftyListItems, validation.ts); the marker names the last version listed, so versions
    // deleted between two pages neither shift the next page nor make it repeat one (names.ts, paginate).
    // O(log n + page): the provider's versions are kept in this order (state.ts).
    const page = pageFrom(request.query, providerVersionKey, (after, count) => this.state.versionsOnCapacityProviderAfter(provider.arn, after, count));
    const items = page.items.map(({ fn, version }) => ({
      FunctionArn: functionArn(this.state.account, fn.name, version.version),
      State: this.state.versionState(version).State,
    }));
    return json(200, { CapacityProviderArn: provider.arn, FunctionVersions: items, ...optional('NextMarker', page.nextMarker) });
  }

  // ---- scaling and provisioned concurrency ---------------------------------------------------------------------

  #qualified(request: SandboxRequest, params: Record<string, string>): { fn: FunctionRecord; qualifier: string } {
    const ref = functionRef(params);
    const qualifier = resolveQualifier(ref, request.query.get('Qualifier'));
    if (qualifier === undefined) throw invalid('Qualifier is required.');
    return { fn: this.state.function(ref.name), qualifier };
  }

  /**
   * Get/PutFunctionScalingConfig name the version by an unqualified function name (UnqualifiedFunctionName: no
   * `:qualifier` suffix) and a required Qualifier that is a version number or `$LATEST.PUBLISHED`
   * (PublishedFunctionQualifier, `(\$LATEST\.PUBLISHED|[0-9]+)`: no alias, no `$LATEST`); validation.ts refused
   * anything else, and the execution environment counts outside 0–15000.
   */
  #scalingTarget(request: SandboxRequest, params: Record<string, string>): { name: string; qualifier: string } {
    return { name: unqualifiedFunctionName(pathParam(params, 'FunctionName')), qualifier: request.query.get('Qualifier') ?? '' };
  }

  #putScalingConfig(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const { name, qualifier } = this.#scalingTarget(request, params);
    const config = (parseJsonBody<Body>(request).FunctionScalingConfig ?? {}) as Body;
    const version = this.state.putScalingConfig(name, qualifier, {
      ...optional('MinExecutionEnvironments', num(config.MinExecutionEnvironments)),
      ...optional('MaxExecutionEnvironments', num(config.MaxExecutionEnvironments)),
    });
    return json(202, { FunctionState: this.state.versionState(version).State });
  }

  /**
   * What a version reports. Lambda Managed Instances versions start with a service default that no one set:
   * Lambda "launches three [instances] by default for AZ resiliency and starts three execution environments
   * before marking your function version ACTIVE" (Lambda developer guide, "Scaling Lambda Managed Instances"),
   * a minimum of 3 with no maximum ("@default - 3 execution environments are set to be the minimum",
   * "@default - No maximum specified": the AWS CDK's LatestPublishedScalingConfig; AWS SAM's FunctionScalingConfig
   * says "Default: 3" for the minimum). GetFunctionScalingConfig reports the configuration a version was given,
   * not that default: a version never given one, or reset by a Put without a config, answers with FunctionArn and
   * no execution environment values ("the config is 'destroyed' by resetting it, which leaves no execution
   * environment values": terraform-provider-aws, function_scaling_config_test.go, run against AWS). The
   * response members are the model's: RequestedFunctionScalingConfig (what was asked for) and
   * AppliedFunctionScalingConfig (what is in effect; it catches up after `scalingConvergenceDelayMs`).
   */
  #getScalingConfig(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const { name, qualifier } = this.#scalingTarget(request, params);
    const version = this.state.scalingOf(name, qualifier);
    return json(200, {
      FunctionArn: functionArn(this.state.account, name, qualifier),
      ...optional('AppliedFunctionScalingConfig', this.state.appliedScaling(version)),
      ...optional('RequestedFunctionScalingConfig', version.scaling?.requested),
    });
  }

  #putProvisionedConcurrency(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const { fn, qualifier } = this.#qualified(request, params);
    // A required member, at least 1 (PositiveInteger): validation.ts.
    const requested = num(parseJsonBody<Body>(request).ProvisionedConcurrentExecutions) ?? 1;
    const config = this.state.putProvisionedConcurrency(fn.name, qualifier, requested);
    return json(202, this.#provisionedShape(config));
  }

  #provisionedShape(config: { requested: number; lastModified: number; readyAt: number }): Record<string, unknown> {
    const ready = this.core.clock.now() >= config.readyAt;
    return {
      RequestedProvisionedConcurrentExecutions: config.requested,
      AvailableProvisionedConcurrentExecutions: ready ? config.requested : 0,
      AllocatedProvisionedConcurrentExecutions: ready ? config.requested : 0,
      Status: ready ? 'READY' : 'IN_PROGRESS',
      LastModified: lambdaTimestamp(config.lastModified),
    };
  }

  #getProvisionedConcurrency(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const { fn, qualifier } = this.#qualified(request, params);
    const config = fn.provisioned.get(qualifier);
    if (config === undefined) {
      throw new ServiceError(404, 'ProvisionedConcurrencyConfigNotFoundException', 'No Provisioned Concurrency Config found for this function');
    }
    return json(200, this.#provisionedShape(config));
  }

  #listProvisionedConcurrency(request: SandboxRequest, params: Record<string, string>): SandboxResponse {
    const fn = this.state.function(functionRef(params).name);
    const entries = [...fn.provisioned.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = paginate(entries, request.query, ([qualifier]) => [qualifier]);
    const items = page.items.map(([qualifier, config]) => ({
      FunctionArn: functionArn(this.state.account, fn.name, qualifier),
      ...this.#provisionedShape(config),
    }));
    return json(200, { ProvisionedConcurrencyConfigs: items, ...optional('NextMarker', page.nextMarker) });
  }

  // ---- event source mappings ------------------------------------------------------------------------------------

  #createEventSourceMapping(request: SandboxRequest): SandboxResponse {
    const body = parseJsonBody<Body>(request);
    // FunctionName is a required member (validation.ts).
    const ref = parseFunctionRef(str(body.FunctionName) ?? '');
    const record = this.state.createEventSourceMapping(ref.name, ref.qualifier, {
      ...optional('eventSourceArn', str(body.EventSourceArn)),
      ...optional('batchSize', num(body.BatchSize)),
      ...optional('enabled', typeof body.Enabled === 'boolean' ? body.Enabled : undefined),
    });
    return json(202, eventSourceMapping(record, 'Creating'));
  }

  #listEventSourceMappings(request: SandboxRequest): SandboxResponse {
    const filter = request.query.get('FunctionName');
    const ref = filter === null ? undefined : parseFunctionRef(filter);
    const source = request.query.get('EventSourceArn');
    // An unqualified FunctionName filter matches the mappings of every version and alias of the function.
    // Created in `seq` order, which a Map keeps.
    const mappings = [...this.state.eventSourceMappings.values()]
      .filter((m) => ref === undefined || (m.functionName === ref.name && (ref.qualifier === undefined || m.qualifier === ref.qualifier)))
      .filter((m) => source === null || m.eventSourceArn === source);
    const page = paginate(mappings, request.query, (m) => [m.seq], 100);
    return json(200, { EventSourceMappings: page.items.map((m) => eventSourceMapping(m)), ...optional('NextMarker', page.nextMarker) });
  }
}

const CAPACITY_PROVIDER_READS = new Set(['GetCapacityProvider', 'ListCapacityProviders', 'ListFunctionVersionsByCapacityProvider']);
const CAPACITY_PROVIDER_WRITES = new Set(['CreateCapacityProvider', 'UpdateCapacityProvider', 'DeleteCapacityProvider']);

/**
 * A qualifier of the alias form: not all digits, starting like an alias name (LocalStack's `qualifier_is_alias`,
 * `(?!^[0-9]+$)([a-zA-Z0-9-_]+)` matched at the start, which its AWS-validated DeleteFunction tests rely on).
 * `$LATEST` and `$LATEST.PUBLISHED` are not.
 */
function isAliasQualifier(qualifier: string): boolean {
  return !isNumberedVersion(qualifier) && /^[a-zA-Z0-9_-]/.test(qualifier);
}

/** The function the path names: `{FunctionName}` is a name or an ARN, maybe with a qualifier. */
function functionRef(params: Record<string, string>): FunctionRef {
  return parseFunctionRef(pathParam(params, 'FunctionName'));
}

function notFoundAlias(state: LambdaState, fn: FunctionRecord, alias: string): ServiceError {
  const message = `Alias not found: ${functionArn(state.account, fn.name, alias)}`;
  return new ServiceError(404, 'ResourceNotFoundException', message, { Message: message });
}

function defaultProviderSettings(accountId: string): Record<string, unknown> {
  return {
    VpcConfig: { SubnetIds: ['subnet-0sandbox'], SecurityGroupIds: ['sg-0sandbox'] },
    PermissionsConfig: { CapacityProviderOperatorRoleArn: `arn:aws:iam::${accountId}:role/sandbox-capacity-provider-operator` },
  };
}

/** The bytes (or identity) of the code in a CreateFunction `Code` or an UpdateFunctionCode body. */
function codeOf(body: Body): Buffer | string {
  if (typeof body.ZipFile === 'string') return Buffer.from(body.ZipFile, 'base64');
  if (typeof body.ImageUri === 'string') return body.ImageUri;
  if (typeof body.S3Bucket === 'string' && typeof body.S3Key === 'string') return `s3://${body.S3Bucket}/${body.S3Key}#${str(body.S3ObjectVersion) ?? ''}`;
  throw invalid('Please provide a source for function code: ZipFile, S3Bucket and S3Key, or ImageUri.');
}

function publishTarget(value: unknown): 'LATEST_PUBLISHED' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'LATEST_PUBLISHED') throw invalid(`Invalid PublishTo: ${String(value)}; the only value is LATEST_PUBLISHED.`);
  return value;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function header(request: SandboxRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `{ [key]: value }` when the value is defined, `{}` otherwise: optional members stay absent, not null. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
