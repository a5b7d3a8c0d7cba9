/**
 * The sandbox's CloudWatch Logs service (AWS JSON 1.1, target prefix `Logs_20140328`): GetLogEvents and
 * FilterLogEvents over a LogsStore that CodeBuild builds write to.
 */
import type { SandboxCore } from '../frame.js';
import {
  ServiceError,
  json11Error,
  json11Operation,
  parseJsonBody,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxService,
} from '../protocol.js';
import { LogsStore, type FilterQuery, type GetLogEventsQuery } from './store.js';

const TARGET_PREFIX = 'Logs_20140328';
const ok = (body: unknown): SandboxResponse => ({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body });

export class LogsService implements SandboxService {
  readonly name = 'logs';
  readonly store: LogsStore;

  constructor(core: SandboxCore) {
    this.store = new LogsStore(() => core.clock.now());
  }

  matches(request: SandboxRequest): boolean {
    return request.method === 'POST' && json11Operation(request, TARGET_PREFIX) !== undefined;
  }

  operation(request: SandboxRequest): string {
    return json11Operation(request, TARGET_PREFIX) ?? '?';
  }

  /** CloudWatch Logs quotas are per operation (see DEFAULT_QUOTAS). */
  quotaFor(operation: string): string | undefined {
    if (operation === 'GetLogEvents') return 'logs-get-log-events';
    if (operation === 'FilterLogEvents') return 'logs-filter-log-events';
    return undefined;
  }

  async handle(operation: string, request: SandboxRequest): Promise<SandboxResponse> {
    const body = parseJsonBody(request);
    switch (operation) {
      case 'GetLogEvents':
        return ok(this.store.getLogEvents(requireNames(body, ['logGroupName', 'logStreamName']) as unknown as GetLogEventsQuery));
      case 'FilterLogEvents':
        return ok(this.store.filterLogEvents(requireNames(body, ['logGroupName']) as unknown as FilterQuery));
      default:
        throw new ServiceError(400, 'UnknownOperationException', `The sandbox does not implement ${operation}`);
    }
  }

  throttleError(): ServiceError {
    return new ServiceError(400, 'ThrottlingException', 'Rate exceeded');
  }

  serverError(status: number): ServiceError {
    return new ServiceError(status, 'ServiceUnavailableException', 'The service cannot complete the request.');
  }

  errorResponse(error: ServiceError): SandboxResponse {
    return json11Error(error);
  }
}

function requireNames(body: Record<string, unknown>, names: string[]): Record<string, unknown> {
  for (const name of names) {
    if (typeof body[name] !== 'string' || body[name] === '') {
      throw new ServiceError(400, 'InvalidParameterException', `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
    }
  }
  return body;
}
