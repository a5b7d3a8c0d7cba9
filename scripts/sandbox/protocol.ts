/**
 * What a sandbox service implements, the wire formats of errors per protocol, and the AWS event stream
 * encoding (`application/vnd.amazon.eventstream`) that streaming operations answer with.
 */
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';

export interface SandboxRequest {
  method: string;
  /** Path without the query string, URL-decoded per segment by the service where needed. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless a string or Buffer. */
  body?: unknown;
  /**
   * A long-lived body instead of `body` (an event stream): the server sends the head at once, then writes
   * each chunk as it is produced (chunked transfer encoding, no content-length) until the iterable ends.
   * `signal` aborts when the client disconnects or the sandbox stops; the producer then returns, which is
   * where a service frees what the stream held (a Live Tail session slot).
   */
  stream?: (signal: AbortSignal) => AsyncIterable<Uint8Array>;
}

/** An error a service answers with; each protocol serializes it its own way. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    /** The error type the SDK maps to an exception class, e.g. `ResourceNotFoundException`. */
    readonly code: string,
    message: string,
    /** Extra body fields the real service sends (`Type`, `Reason`, `retryAfterSeconds`, ...). */
    readonly fields: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface SandboxService {
  /** `lambda`, `codebuild`, `logs`, `github`: used by fault rules and the request record. */
  readonly name: string;
  /** True when this service answers the request. */
  matches(request: SandboxRequest): boolean;
  /** The operation name (SDK command name without `Command`; GitHub: `METHOD /route/template`). */
  operation(request: SandboxRequest): string;
  /** The quota bucket the operation draws from, if any. */
  quotaFor(operation: string): string | undefined;
  handle(operation: string, request: SandboxRequest): Promise<SandboxResponse>;
  /** The service's throttling error. */
  throttleError(operation: string): ServiceError;
  /** The service's internal error for a 'server-error' fault. */
  serverError(status: number): ServiceError;
  /** Serializes an error in the service's protocol. */
  errorResponse(error: ServiceError, request: SandboxRequest): SandboxResponse;
  /**
   * The service's answer when IAM denies the caller the operation (an 'access-denied' fault). Optional: the
   * server falls back to a 403 `AccessDeniedException` for a service that does not say.
   */
  accessDeniedError?(operation: string, request: SandboxRequest): ServiceError;
}

/** AWS REST-JSON (Lambda): the type in `x-amzn-errortype`, `Type` and `message` in the body. */
export function restJsonError(error: ServiceError): SandboxResponse {
  return {
    status: error.status,
    headers: { 'x-amzn-errortype': error.code, 'content-type': 'application/json', ...error.headers },
    body: { Type: error.status >= 500 ? 'Service' : 'User', message: error.message, ...error.fields },
  };
}

/**
 * AWS JSON 1.1 (CodeBuild, CloudWatch Logs): `__type` and `message` in the body. An error without a message
 * has none in the body either: an unknown operation is answered `{"__type":"UnknownOperationException"}` alone
 * (as captured from CloudWatch Logs in aws/aws-sdk-net#1536 and aws/aws-sdk-js#425, HTTP 400).
 */
export function json11Error(error: ServiceError): SandboxResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/x-amz-json-1.1', ...error.headers },
    body: { __type: error.code, ...(error.message === '' ? {} : { message: error.message }), ...error.fields },
  };
}

/** What an AWS JSON 1.1 endpoint answers for an `X-Amz-Target` operation it does not offer. */
export const unknownOperation = (): ServiceError => new ServiceError(400, 'UnknownOperationException', '');

/**
 * The caller's role lacks the IAM permission: HTTP 400 `AccessDeniedException` in AWS JSON 1.1, with IAM's
 * message (the principal is the sandbox's stand-in for the role the caller assumed).
 */
export function iamAccessDenied(action: string, resource?: string): ServiceError {
  const on = resource === undefined ? '' : ` on resource: ${resource}`;
  return new ServiceError(
    400,
    'AccessDeniedException',
    `User: arn:aws:sts::123456789012:assumed-role/sandbox-role/sandbox is not authorized to perform: ${action}${on} because no identity-based policy allows the ${action} action`,
  );
}

/**
 * The AWS event stream encoding (`application/vnd.amazon.eventstream`): each message is framed by total
 * length, headers length and a prelude CRC, then typed headers, the payload, and a message CRC. Encoded with
 * the SDK's own codec (`EventStreamCodec` of `@smithy/core/event-streams`, the former
 * `@smithy/eventstream-codec`), so the bytes are exactly what the SDK's decoder expects.
 * Message kinds, as the SDK's unmarshaller reads them (`getMessageUnmarshaller` in
 * `@smithy/core/event-streams`, and aws-sdk-go-v2's generated `eventstream.go`):
 * - an event: `:message-type: event`, `:event-type: <union member>`, `:content-type`, the member as payload;
 * - a modeled exception: `:message-type: exception`, `:exception-type: <error shape>`, the error as payload;
 * - AWS JSON operations first send an `initial-response` event carrying the output's non-stream members
 *   (`{}` when there are none): aws-sdk-go-v2 waits for it before returning the output.
 */
const eventStreamCodec = new EventStreamCodec(toUtf8, fromUtf8);

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

const stringHeader = (value: string) => ({ type: 'string' as const, value });

export function eventStreamEvent(eventType: string, payload: unknown, contentType = 'application/json'): Uint8Array {
  return eventStreamCodec.encode({
    headers: { ':message-type': stringHeader('event'), ':event-type': stringHeader(eventType), ':content-type': stringHeader(contentType) },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

export function eventStreamException(exceptionType: string, message: string, contentType = 'application/json'): Uint8Array {
  return eventStreamCodec.encode({
    headers: { ':message-type': stringHeader('exception'), ':exception-type': stringHeader(exceptionType), ':content-type': stringHeader(contentType) },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** The `X-Amz-Target` operation of a JSON 1.1 request: `CodeBuild_20161006.StartBuild` → `StartBuild`. */
export function json11Operation(request: SandboxRequest, prefix: string): string | undefined {
  const target = request.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(`${prefix}.`)) return undefined;
  return target.slice(prefix.length + 1);
}

/** A parameter of the matched route's path template (`{FunctionName}`, `{ref}`): always there once the route matched. */
export function pathParam(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined) throw new Error(`The matched route has no {${name}} path parameter`);
  return value;
}

export function parseJsonBody<T = Record<string, unknown>>(request: SandboxRequest): T {
  if (request.body.length === 0) return {} as T;
  try {
    return JSON.parse(request.body.toString('utf8')) as T;
  } catch {
    throw new ServiceError(400, 'SerializationException', 'Could not parse request body into json');
  }
}

/** A JSON 1.1 success answer. */
export function json11Ok(body: unknown): SandboxResponse {
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body };
}

/**
 * What every AWS JSON 1.1 service shares: requests are POSTs told apart by `X-Amz-Target`, errors carry
 * `__type`, throttling is `ThrottlingException`. A service names its target prefix and its 5xx error code.
 */
export abstract class Json11Service implements SandboxService {
  abstract readonly name: string;

  constructor(
    private readonly targetPrefix: string,
    private readonly internalErrorCode: string,
    private readonly internalErrorMessage: string,
  ) {}

  matches(request: SandboxRequest): boolean {
    return request.method === 'POST' && json11Operation(request, this.targetPrefix) !== undefined;
  }

  operation(request: SandboxRequest): string {
    return json11Operation(request, this.targetPrefix) ?? '?';
  }

  abstract quotaFor(operation: string): string | undefined;
  abstract handle(operation: string, request: SandboxRequest): Promise<SandboxResponse>;

  throttleError(): ServiceError {
    return new ServiceError(400, 'ThrottlingException', 'Rate exceeded');
  }

  serverError(status: number): ServiceError {
    return new ServiceError(status, this.internalErrorCode, this.internalErrorMessage);
  }

  /** IAM's denial of `<service>:<Operation>`; the IAM prefix is the target prefix's service part (`Logs_20140328` → `logs`). */
  accessDeniedError(operation: string, _request?: SandboxRequest): ServiceError {
    return iamAccessDenied(`${this.targetPrefix.split('_')[0]?.toLowerCase()}:${operation}`);
  }

  errorResponse(error: ServiceError): SandboxResponse {
    return json11Error(error);
  }
}
