/**
 * The sandbox's CloudWatch Logs service (AWS JSON 1.1, target prefix `Logs_20140328`): GetLogEvents and
 * FilterLogEvents over a LogsStore that CodeBuild builds write to.
 */
import type { SandboxCore } from '../frame.js';
import { Json11Service, json11Ok as ok, parseJsonBody, type SandboxRequest, type SandboxResponse, ServiceError } from '../protocol.js';
import { type FilterQuery, type GetLogEventsQuery, LogsStore } from './store.js';

export class LogsService extends Json11Service {
  readonly name = 'logs';
  readonly store: LogsStore;

  constructor(core: SandboxCore) {
    super('Logs_20140328', 'ServiceUnavailableException', 'The service cannot complete the request.');
    this.store = new LogsStore(() => core.clock.now());
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
}

function requireNames(body: Record<string, unknown>, names: string[]): Record<string, unknown> {
  for (const name of names) {
    if (typeof body[name] !== 'string' || body[name] === '') {
      throw new ServiceError(
        400,
        'InvalidParameterException',
        `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
      );
    }
  }
  return body;
}
