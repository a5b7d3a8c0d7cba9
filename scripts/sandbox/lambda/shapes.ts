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
