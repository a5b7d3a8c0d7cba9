/**
 * Wire shapes of Lambda responses, member names as in the SDK's output schemas
 * (FunctionConfiguration, AliasConfiguration, CapacityProvider, EventSourceMappingConfiguration).
 */
import { type Account, functionArn, LATEST, lambdaTimestamp } from './names.js';
import type { AliasValue, CapacityProviderRecord, EventSourceMappingRecord, FunctionRecord, LambdaState, VersionRecord } from './state.js';

/**
 * FunctionConfiguration. `arnQualifier` is what the caller named (a version or an alias); Lambda reports
 * an unqualified ARN for an unqualified request on `$LATEST`, and the qualified one otherwise.
 */
export function functionConfiguration(state: LambdaState, fn: FunctionRecord, version: VersionRecord, arnQualifier?: string): Record<string, unknown> {
  const s = version.settings;
  const qualifier = arnQualifier ?? (version.version === LATEST ? undefined : version.version);
  return {
    FunctionName: fn.name,
    FunctionArn: functionArn(state.account, fn.name, qualifier),
    ...(s.runtime === undefined ? {} : { Runtime: s.runtime }),
    Role: s.role,
    ...(s.handler === undefined ? {} : { Handler: s.handler }),
    CodeSize: s.codeSize,
    Description: s.description,
    Timeout: s.timeout,
    MemorySize: s.memorySize,
    LastModified: lambdaTimestamp(version.lastModified),
    CodeSha256: s.codeSha256,
    Version: version.version,
    ...(s.environment === undefined ? {} : { Environment: { Variables: s.environment } }),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: version.revisionId,
    ...state.versionState(version),
    LastUpdateStatus: 'Successful',
    PackageType: s.packageType,
    Architectures: s.architectures,
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}` },
    ...(s.capacityProvider === undefined ? {} : { CapacityProviderConfig: { LambdaManagedInstancesCapacityProviderConfig: s.capacityProvider } }),
  };
}

export function aliasConfiguration(account: Account, fn: FunctionRecord, alias: AliasValue): Record<string, unknown> {
  return {
    AliasArn: functionArn(account, fn.name, alias.name),
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    ...(Object.keys(alias.weights).length === 0 ? {} : { RoutingConfig: { AdditionalVersionWeights: alias.weights } }),
    RevisionId: alias.revisionId,
  };
}

export function capacityProvider(state: LambdaState, record: CapacityProviderRecord): Record<string, unknown> {
  return {
    ...record.settings,
    CapacityProviderArn: record.arn,
    State: state.capacityProviderState(record),
    LastModified: lambdaTimestamp(record.lastModified),
  };
}

export function eventSourceMapping(record: EventSourceMappingRecord, state = record.enabled ? 'Enabled' : 'Disabled'): Record<string, unknown> {
  return {
    UUID: record.uuid,
    BatchSize: record.batchSize,
    ...(record.eventSourceArn === undefined ? {} : { EventSourceArn: record.eventSourceArn }),
    FunctionArn: record.functionArn,
    // A timestamp member: REST-JSON sends epoch seconds.
    LastModified: record.lastModified / 1000,
    LastProcessingResult: 'No records processed',
    State: state,
    StateTransitionReason: 'USER_INITIATED',
  };
}

/**
 * Which members of a request are kept: `true` keeps a value whole (a scalar, a list of scalars, a map), an object
 * picks a structure's members, a one-element array picks each structure of a list. Anything else a request
 * carries is ignored, as the service ignores members its model does not have; so nothing unknown is echoed back.
 */
export type MemberShape = true | { readonly [member: string]: MemberShape } | readonly [MemberShape];

/** CapacityProvider's members that CreateCapacityProviderRequest also has (the SDK model's shapes). */
export const CAPACITY_PROVIDER_MEMBERS = {
  VpcConfig: { SubnetIds: true, SecurityGroupIds: true },
  PermissionsConfig: { CapacityProviderOperatorRoleArn: true },
  InstanceRequirements: { Architectures: true, AllowedInstanceTypes: true, ExcludedInstanceTypes: true },
  CapacityProviderScalingConfig: { MaxVCpuCount: true, ScalingMode: true, ScalingPolicies: [{ PredefinedMetricType: true, TargetValue: true }] },
  KmsKeyArn: true,
  PropagateTags: { Mode: true, ExplicitTags: true },
  TelemetryConfig: { LoggingConfig: { SystemLogLevel: true, LogGroup: true } },
} as const satisfies Record<string, MemberShape>;

export function pickMembers(value: Record<string, unknown>, members: { readonly [member: string]: MemberShape }): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const [name, shape] of Object.entries(members)) {
    const member = value[name];
    if (member !== undefined && member !== null) picked[name] = pick(member, shape);
  }
  return picked;
}

function pick(value: unknown, shape: MemberShape): unknown {
  if (shape === true) return value;
  if (Array.isArray(shape)) return Array.isArray(value) ? value.map((item) => pick(item, shape[0] as MemberShape)) : value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return pickMembers(value as Record<string, unknown>, shape as { readonly [member: string]: MemberShape });
}
