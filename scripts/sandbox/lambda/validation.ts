/**
 * Lambda's request validation layer: the constraints of the Lambda model, checked before an operation runs and
 * answered the way the live service answers them.
 *
 * Sources:
 * - The constraints (length, range, pattern, enum, required) are the Lambda model's, as botocore ships it
 *   (`botocore/data/lambda/2015-03-31/service-2.json`) and as the API reference prints them (e.g.
 *   API_GetFunctionScalingConfig: Qualifier "Pattern: (\$LATEST\.PUBLISHED|[0-9]+)"). `@aws-sdk/client-lambda` is
 *   generated from the same Smithy model but keeps none of these traits (its schemas carry names and types only),
 *   so the SDK sends any value and the service is what refuses it.
 * - The answer: HTTP 400 `ValidationException` with "N validation error(s) detected: Value '…' at '…' failed to
 *   satisfy constraint: …" (errors joined by "; "), `message` in the body and no `Type` member, unlike Lambda's
 *   own `InvalidParameterValueException` (`Type: User`). As recorded from AWS in LocalStack's AWS-validated
 *   snapshots (tests/aws/services/lambda_/test_lambda_api.snapshot.json: e.g. DeleteFunction with Qualifier
 *   'invalid!' → "1 validation error detected: Value 'invalid!' at 'qualifier' failed to satisfy constraint:
 *   Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"; a 129-character
 *   qualifier → "Member must have length less than or equal to 128"; a routing weight of -1 → "Value '{2=-1.0}'
 *   at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy
 *   constraint: [...]").
 * - Patterns match the whole value (the service is Java: `Matcher.matches()`), as 'my-function!' failing
 *   `...([a-zA-Z0-9-_]+)...` in those snapshots shows.
 *
 * Semantic checks (an alias name given to DeleteFunction, a minimum above the maximum) are not model
 * constraints: the operations answer those themselves, mostly with `InvalidParameterValueException`.
 */
import { parseJsonBody, type SandboxRequest, ServiceError } from '../protocol.js';

/** The model's string patterns the sandbox checks, by shape name. */
export const PATTERNS = {
  /** `FunctionName`: names, partial and full ARNs, an optional `:qualifier` (not `$LATEST.PUBLISHED`). */
  FunctionName:
    '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
  /** `NamespacedFunctionName` (GetFunction, DeleteFunction, Invoke, ListVersionsByFunction, event source mappings). */
  NamespacedFunctionName:
    '(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:|(((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?))(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?',
  /** `UnqualifiedFunctionName` (Get/PutFunctionScalingConfig): no qualifier suffix at all. */
  UnqualifiedFunctionName: '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)',
  /** `NumericLatestPublishedOrAliasQualifier` (GetFunction, DeleteFunction, Invoke). */
  NumericLatestPublishedOrAliasQualifier: '\\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+',
  /** `PublishedFunctionQualifier` (Get/PutFunctionScalingConfig): a version number or `$LATEST.PUBLISHED`, no alias. */
  PublishedFunctionQualifier: '(\\$LATEST\\.PUBLISHED|[0-9]+)',
  /** `Qualifier` (provisioned concurrency). */
  Qualifier: '(|[a-zA-Z0-9$_-]+)',
  /** `Alias`: not all digits. */
  Alias: '(?!^[0-9]+$)([a-zA-Z0-9-_]+)',
  /** `VersionWithLatestPublished` (an alias's FunctionVersion, ListAliases' FunctionVersion). */
  VersionWithLatestPublished: '(\\$LATEST(\\.PUBLISHED)?|[0-9]+)',
  /** `AdditionalVersion` (keys of RoutingConfig.AdditionalVersionWeights). */
  AdditionalVersion: '[0-9]+',
  CapacityProviderName:
    '(arn:aws[a-zA-Z-]*:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:capacity-provider:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+',
  RoleArn: 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
} as const;

export interface Constraint {
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: readonly string[];
}

/** Where a member is: the path label, the query string or the JSON body (a dotted path into it). */
export interface MemberRule extends Constraint {
  in: 'uri' | 'query' | 'body';
  /** The wire name: the path label, query key, or a dotted body path (`FunctionScalingConfig.MinExecutionEnvironments`). */
  name: string;
}

const anchored = new Map<string, RegExp>();

/** Whether the whole value matches the model pattern (Java `matches()` semantics). */
export function matchesPattern(value: string, pattern: string): boolean {
  let regex = anchored.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^(?:${pattern})$`);
    anchored.set(pattern, regex);
  }
  return regex.test(value);
}

/** The member's name in messages: each dotted segment with a lower-case first letter (`functionScalingConfig.maxExecutionEnvironments`). */
function memberPath(name: string): string {
  return name
    .split('.')
    .map((part) => part.charAt(0).toLowerCase() + part.slice(1))
    .join('.');
}

/** How Coral prints a value: strings and numbers quoted, a missing value as `null`. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
}

/** Java's `Double.toString` for the values a weight can take (`2.0`, `-1.0`, `0.5`). */
function javaDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** The violations of one value, in the order the service lists them (length, then pattern; range). */
export function violations(value: unknown, c: Constraint): string[] {
  if (value === undefined || value === null) return c.required === true ? ['Member must not be null'] : [];
  const found: string[] = [];
  if (typeof value === 'string') {
    if (c.maxLength !== undefined && value.length > c.maxLength) found.push(`Member must have length less than or equal to ${c.maxLength}`);
    if (c.minLength !== undefined && value.length < c.minLength) found.push(`Member must have length greater than or equal to ${c.minLength}`);
    if (c.pattern !== undefined && !matchesPattern(value, c.pattern)) found.push(`Member must satisfy regular expression pattern: ${c.pattern}`);
    if (c.enum !== undefined && !c.enum.includes(value)) found.push(`Member must satisfy enum value set: [${c.enum.join(', ')}]`);
  } else if (typeof value === 'number') {
    if (c.max !== undefined && value > c.max) found.push(`Member must have value less than or equal to ${c.max}`);
    if (c.min !== undefined && value < c.min) found.push(`Member must have value greater than or equal to ${c.min}`);
  } else if (Array.isArray(value)) {
    if (c.maxLength !== undefined && value.length > c.maxLength) found.push(`Member must have length less than or equal to ${c.maxLength}`);
    if (c.minLength !== undefined && value.length < c.minLength) found.push(`Member must have length greater than or equal to ${c.minLength}`);
  }
  return found;
}

/** Collects `Value … at '…' failed to satisfy constraint: …` lines; `throwIfAny` answers them all at once. */
export class Validation {
  readonly #errors: string[] = [];

  check(name: string, value: unknown, constraint: Constraint): this {
    for (const violation of violations(value, constraint)) {
      this.#errors.push(`Value ${shown(value)} at '${memberPath(name)}' failed to satisfy constraint: ${violation}`);
    }
    return this;
  }

  /** RoutingConfig.AdditionalVersionWeights: the map is shown whole, with every constraint of the failing side. */
  checkWeights(name: string, weights: unknown): this {
    if (weights === undefined || weights === null || typeof weights !== 'object') return this;
    const entries = Object.entries(weights as Record<string, unknown>);
    const map = `{${entries.map(([key, value]) => `${key}=${typeof value === 'number' ? javaDouble(value) : String(value)}`).join(', ')}}`;
    const at = `Value '${map}' at '${memberPath(name)}' failed to satisfy constraint:`;
    const key: Constraint = { minLength: 1, maxLength: 1024, pattern: PATTERNS.AdditionalVersion };
    if (entries.some(([k]) => violations(k, key).length > 0)) {
      this.#errors.push(
        `${at} Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: ${PATTERNS.AdditionalVersion}]`,
      );
    }
    if (entries.some(([, v]) => typeof v !== 'number' || v < 0 || v > 1)) {
      this.#errors.push(
        `${at} Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`,
      );
    }
    return this;
  }

  throwIfAny(): void {
    if (this.#errors.length === 0) return;
    const count = this.#errors.length === 1 ? '1 validation error detected' : `${this.#errors.length} validation errors detected`;
    throw new ServiceError(400, 'ValidationException', `${count}: ${this.#errors.join('; ')}`);
  }
}

/** A value at a dotted path of a JSON body. */
function at(body: unknown, path: string): unknown {
  let value = body;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Query values are strings on the wire; the model's integer members are checked as numbers. */
function queryValue(request: SandboxRequest, rule: MemberRule): unknown {
  const raw = request.query.get(rule.name);
  if (raw === null) return undefined;
  if (rule.min !== undefined || rule.max !== undefined) {
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
  }
  return raw;
}

const MAX_ITEMS_10000: Constraint = { min: 1, max: 10000 };
/** `MaxFiftyListItems`: ListCapacityProviders, ListFunctionVersionsByCapacityProvider, ListProvisionedConcurrencyConfigs. */
const MAX_ITEMS_50: Constraint = { min: 1, max: 50 };

const fn = (pattern: string, maxLength: number): MemberRule => ({ in: 'uri', name: 'FunctionName', required: true, minLength: 1, maxLength, pattern });
const FUNCTION = fn(PATTERNS.FunctionName, 140);
const NAMESPACED_FUNCTION = fn(PATTERNS.NamespacedFunctionName, 256);
const UNQUALIFIED_FUNCTION = fn(PATTERNS.UnqualifiedFunctionName, 140);
const QUALIFIER_QUERY: MemberRule = { in: 'query', name: 'Qualifier', minLength: 1, maxLength: 128, pattern: PATTERNS.NumericLatestPublishedOrAliasQualifier };
const PUBLISHED_QUALIFIER: MemberRule = {
  in: 'query',
  name: 'Qualifier',
  required: true,
  minLength: 1,
  maxLength: 128,
  pattern: PATTERNS.PublishedFunctionQualifier,
};
const PC_QUALIFIER: MemberRule = { in: 'query', name: 'Qualifier', required: true, minLength: 1, maxLength: 128, pattern: PATTERNS.Qualifier };
const CAPACITY_PROVIDER: MemberRule = {
  in: 'uri',
  name: 'CapacityProviderName',
  required: true,
  minLength: 1,
  maxLength: 140,
  pattern: PATTERNS.CapacityProviderName,
};
const ALIAS_URI: MemberRule = { in: 'uri', name: 'Name', required: true, minLength: 1, maxLength: 128, pattern: PATTERNS.Alias };
const PUBLISH_TO: MemberRule = { in: 'body', name: 'PublishTo', enum: ['LATEST_PUBLISHED'] };
/** `FunctionScalingConfigExecutionEnvironments`: 0–15000 (API_FunctionScalingConfig: "Valid Range: Minimum value of 0. Maximum value of 15000."). */
const EXECUTION_ENVIRONMENTS: Constraint = { min: 0, max: 15000 };
/** CapacityProviderScalingConfig, in CreateCapacityProvider and UpdateCapacityProvider. */
const CAPACITY_PROVIDER_SCALING: MemberRule[] = [
  { in: 'body', name: 'CapacityProviderScalingConfig.MaxVCpuCount', min: 2, max: 15000 },
  { in: 'body', name: 'CapacityProviderScalingConfig.ScalingMode', enum: ['Auto', 'Manual'] },
  { in: 'body', name: 'CapacityProviderScalingConfig.ScalingPolicies', minLength: 1, maxLength: 10 },
  { in: 'body', name: 'PropagateTags.Mode', enum: ['None', 'Explicit'] },
  { in: 'body', name: 'TelemetryConfig.LoggingConfig.SystemLogLevel', enum: ['DEBUG', 'INFO', 'WARN'] },
];

/**
 * The model's constraints for the operations the sandbox implements, member by member in the model's order
 * (the order the service lists several violations in). Members the sandbox ignores are left out.
 */
export const REQUEST_RULES: Record<string, MemberRule[]> = {
  CreateFunction: [
    { in: 'body', name: 'FunctionName', required: true, minLength: 1, maxLength: 140, pattern: PATTERNS.FunctionName },
    { in: 'body', name: 'Role', required: true, minLength: 0, maxLength: 10000, pattern: PATTERNS.RoleArn },
    { in: 'body', name: 'Code', required: true },
    { in: 'body', name: 'Description', maxLength: 256 },
    { in: 'body', name: 'Timeout', min: 1, max: 5400 },
    { in: 'body', name: 'MemorySize', min: 128, max: 32768 },
    PUBLISH_TO,
    { in: 'body', name: 'PackageType', enum: ['Zip', 'Image'] },
    { in: 'body', name: 'Architectures', minLength: 1, maxLength: 1 },
  ],
  GetFunction: [NAMESPACED_FUNCTION, QUALIFIER_QUERY],
  GetFunctionConfiguration: [NAMESPACED_FUNCTION, QUALIFIER_QUERY],
  DeleteFunction: [NAMESPACED_FUNCTION, QUALIFIER_QUERY],
  Invoke: [NAMESPACED_FUNCTION, QUALIFIER_QUERY],
  UpdateFunctionCode: [FUNCTION, PUBLISH_TO],
  ListFunctions: [
    { in: 'query', name: 'FunctionVersion', enum: ['ALL'] },
    { in: 'query', name: 'MaxItems', ...MAX_ITEMS_10000 },
  ],
  PublishVersion: [FUNCTION, { in: 'body', name: 'Description', maxLength: 256 }, PUBLISH_TO],
  ListVersionsByFunction: [NAMESPACED_FUNCTION, { in: 'query', name: 'MaxItems', ...MAX_ITEMS_10000 }],
  CreateAlias: [
    FUNCTION,
    { in: 'body', name: 'Name', required: true, minLength: 1, maxLength: 128, pattern: PATTERNS.Alias },
    { in: 'body', name: 'FunctionVersion', required: true, minLength: 1, maxLength: 1024, pattern: PATTERNS.VersionWithLatestPublished },
    { in: 'body', name: 'Description', maxLength: 256 },
  ],
  UpdateAlias: [
    FUNCTION,
    ALIAS_URI,
    { in: 'body', name: 'FunctionVersion', minLength: 1, maxLength: 1024, pattern: PATTERNS.VersionWithLatestPublished },
    { in: 'body', name: 'Description', maxLength: 256 },
  ],
  GetAlias: [FUNCTION, ALIAS_URI],
  DeleteAlias: [FUNCTION, ALIAS_URI],
  ListAliases: [
    FUNCTION,
    { in: 'query', name: 'FunctionVersion', minLength: 1, maxLength: 1024, pattern: PATTERNS.VersionWithLatestPublished },
    { in: 'query', name: 'MaxItems', ...MAX_ITEMS_10000 },
  ],
  GetFunctionScalingConfig: [UNQUALIFIED_FUNCTION, PUBLISHED_QUALIFIER],
  PutFunctionScalingConfig: [
    UNQUALIFIED_FUNCTION,
    PUBLISHED_QUALIFIER,
    { in: 'body', name: 'FunctionScalingConfig.MinExecutionEnvironments', ...EXECUTION_ENVIRONMENTS },
    { in: 'body', name: 'FunctionScalingConfig.MaxExecutionEnvironments', ...EXECUTION_ENVIRONMENTS },
  ],
  PutProvisionedConcurrencyConfig: [FUNCTION, PC_QUALIFIER, { in: 'body', name: 'ProvisionedConcurrentExecutions', required: true, min: 1 }],
  GetProvisionedConcurrencyConfig: [FUNCTION, PC_QUALIFIER],
  ListProvisionedConcurrencyConfigs: [FUNCTION, { in: 'query', name: 'MaxItems', ...MAX_ITEMS_50 }],
  CreateEventSourceMapping: [
    { in: 'body', name: 'FunctionName', required: true, minLength: 1, maxLength: 256, pattern: PATTERNS.NamespacedFunctionName },
    { in: 'body', name: 'BatchSize', min: 1, max: 10000 },
  ],
  ListEventSourceMappings: [
    { in: 'query', name: 'FunctionName', minLength: 1, maxLength: 256, pattern: PATTERNS.NamespacedFunctionName },
    { in: 'query', name: 'MaxItems', ...MAX_ITEMS_10000 },
  ],
  CreateCapacityProvider: [
    { in: 'body', name: 'CapacityProviderName', required: true, minLength: 1, maxLength: 140, pattern: PATTERNS.CapacityProviderName },
    { in: 'body', name: 'VpcConfig', required: true },
    { in: 'body', name: 'VpcConfig.SubnetIds', required: true, minLength: 1, maxLength: 16 },
    { in: 'body', name: 'VpcConfig.SecurityGroupIds', required: true, minLength: 0, maxLength: 5 },
    { in: 'body', name: 'PermissionsConfig', required: true },
    { in: 'body', name: 'PermissionsConfig.CapacityProviderOperatorRoleArn', required: true, minLength: 0, maxLength: 10000, pattern: PATTERNS.RoleArn },
    { in: 'body', name: 'InstanceRequirements.Architectures', minLength: 1, maxLength: 1 },
    ...CAPACITY_PROVIDER_SCALING,
  ],
  GetCapacityProvider: [CAPACITY_PROVIDER],
  DeleteCapacityProvider: [CAPACITY_PROVIDER],
  UpdateCapacityProvider: [CAPACITY_PROVIDER, ...CAPACITY_PROVIDER_SCALING],
  ListCapacityProviders: [
    { in: 'query', name: 'State', enum: ['Pending', 'Active', 'Failed', 'Deleting'] },
    { in: 'query', name: 'MaxItems', ...MAX_ITEMS_50 },
  ],
  ListFunctionVersionsByCapacityProvider: [CAPACITY_PROVIDER, { in: 'query', name: 'MaxItems', ...MAX_ITEMS_50 }],
};

/** Checks a request against its operation's rules; throws the service's ValidationException on any violation. */
export function validateRequest(operation: string, request: SandboxRequest, params: Record<string, string>): void {
  const rules = REQUEST_RULES[operation];
  if (rules === undefined) return;
  const body: unknown = rules.some((rule) => rule.in === 'body') ? parseJsonBody(request) : undefined;
  const validation = new Validation();
  for (const rule of rules) {
    const value = rule.in === 'uri' ? params[rule.name] : rule.in === 'query' ? queryValue(request, rule) : at(body, rule.name);
    // A member of a structure that is itself absent is not checked (a missing required structure is reported once).
    const parent = rule.name.includes('.') ? rule.name.slice(0, rule.name.lastIndexOf('.')) : undefined;
    if (rule.in === 'body' && parent !== undefined && at(body, parent) === undefined) continue;
    validation.check(rule.name, value, rule);
  }
  if (operation === 'CreateAlias' || operation === 'UpdateAlias') {
    validation.checkWeights('RoutingConfig.AdditionalVersionWeights', at(body, 'RoutingConfig.AdditionalVersionWeights'));
  }
  validation.throwIfAny();
}

/** The function name at the end of an `UnqualifiedFunctionName` that passed validation (the pattern's last group). */
export function unqualifiedFunctionName(input: string): string {
  const match = new RegExp(`^(?:${PATTERNS.UnqualifiedFunctionName})$`).exec(input);
  return match?.at(-1) ?? input;
}
