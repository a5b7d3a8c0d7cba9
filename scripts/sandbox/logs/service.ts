/**
 * The sandbox's CloudWatch Logs service (AWS JSON 1.1, target prefix `Logs_20140328`): GetLogEvents,
 * FilterLogEvents and StartLiveTail (an event stream, see live-tail.ts) over a LogsStore that CodeBuild
 * builds write to. An operation it does not offer is answered as CloudWatch Logs answers an unknown
 * `X-Amz-Target`: HTTP 400 `{"__type":"UnknownOperationException"}`.
 */
import type { SandboxCore } from '../frame.js';
import { SANDBOX_REGION } from '../frame.js';
import {
  iamAccessDenied,
  Json11Service,
  json11Ok as ok,
  parseJsonBody,
  type SandboxRequest,
  type SandboxResponse,
  ServiceError,
  unknownOperation,
} from '../protocol.js';
import { LiveTail, type LiveTailOptions, logGroupOfArn, validateLiveTailRequest } from './live-tail.js';
import { type FilterQuery, type GetLogEventsQuery, LogsStore, type LogsStoreOptions } from './store.js';

/** The account the sandbox's ARNs name (as CodeBuild's and Lambda's do). */
export const LOGS_ACCOUNT = '123456789012';

export interface LogsOptions extends LogsStoreOptions {
  /** Live Tail quotas and behaviour; defaults are AWS's documented values (see live-tail.ts). */
  liveTail?: LiveTailOptions;
}

export class LogsService extends Json11Service {
  readonly name = 'logs';
  readonly store: LogsStore;
  readonly liveTail: LiveTail;

  constructor(core: SandboxCore, options: LogsOptions = {}) {
    super('Logs_20140328', 'ServiceUnavailableException', 'The service cannot complete the request.');
    this.store = new LogsStore(() => core.clock.now(), options);
    this.liveTail = new LiveTail(core.clock, this.store, { seed: options.seed, ...options.liveTail });
  }

  /**
   * CloudWatch Logs quotas are per operation (see DEFAULT_QUOTAS). StartLiveTail draws from its own bucket,
   * which has no default (no request rate is documented for it); a test that defines
   * `logs-start-live-tail` gets StartLiveTail's rate error.
   */
  quotaFor(operation: string): string | undefined {
    if (operation === 'GetLogEvents') return 'logs-get-log-events';
    if (operation === 'FilterLogEvents') return 'logs-filter-log-events';
    if (operation === 'StartLiveTail') return 'logs-start-live-tail';
    return undefined;
  }

  /**
   * ThrottlingException, except for StartLiveTail: its modeled errors have no ThrottlingException, and a
   * refused StartLiveTail has been captured as `LimitExceededException: Rate exceeded` (DefangLabs/defang#1694).
   */
  override throttleError(operation?: string): ServiceError {
    if (operation === 'StartLiveTail') return new ServiceError(400, 'LimitExceededException', 'Rate exceeded');
    return super.throttleError();
  }

  /** IAM's denial, naming the log group the request is about when it names one. */
  override accessDeniedError(operation: string, request?: SandboxRequest): ServiceError {
    let resource: string | undefined;
    try {
      const body = request === undefined ? {} : parseJsonBody(request);
      const group = Array.isArray(body.logGroupIdentifiers) ? body.logGroupIdentifiers[0] : body.logGroupName;
      if (typeof group === 'string') resource = group.startsWith('arn:') ? group : `arn:aws:logs:${SANDBOX_REGION}:${LOGS_ACCOUNT}:log-group:${group}`;
    } catch {
      // An unparsable body is denied all the same, without a resource.
    }
    return iamAccessDenied(`logs:${operation}`, resource);
  }

  async handle(operation: string, request: SandboxRequest): Promise<SandboxResponse> {
    const body = parseJsonBody(request);
    switch (operation) {
      case 'GetLogEvents':
        return ok(this.store.getLogEvents(requireNames(body, ['logGroupName', 'logStreamName']) as unknown as GetLogEventsQuery));
      case 'FilterLogEvents':
        return ok(this.store.filterLogEvents(requireNames(body, ['logGroupName']) as unknown as FilterQuery));
      case 'StartLiveTail':
        return this.#startLiveTail(body);
      default:
        throw unknownOperation();
    }
  }

  #startLiveTail(body: Record<string, unknown>): SandboxResponse {
    if (!this.liveTail.options.offered) throw unknownOperation();
    const request = validateLiveTailRequest(body);
    const groupNames = request.logGroupIdentifiers.map((identifier) => logGroupOfArn(identifier, SANDBOX_REGION, LOGS_ACCOUNT));
    this.store.beforeRead();
    for (const name of groupNames) {
      if (!this.store.hasGroup(name)) throw new ServiceError(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    }
    return this.liveTail.start(request, groupNames);
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
