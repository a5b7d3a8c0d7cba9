/**
 * What a sandbox service implements, and the wire formats of errors per protocol.
 */

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
}

/** AWS REST-JSON (Lambda): the type in `x-amzn-errortype`, `Type` and `message` in the body. */
export function restJsonError(error: ServiceError): SandboxResponse {
  return {
    status: error.status,
    headers: { 'x-amzn-errortype': error.code, 'content-type': 'application/json', ...error.headers },
    body: { Type: error.status >= 500 ? 'Service' : 'User', message: error.message, ...error.fields },
  };
}

/** AWS JSON 1.1 (CodeBuild, CloudWatch Logs): `__type` and `message` in the body. */
export function json11Error(error: ServiceError): SandboxResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'application/x-amz-json-1.1', ...error.headers },
    body: { __type: error.code, message: error.message, ...error.fields },
  };
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

  errorResponse(error: ServiceError): SandboxResponse {
    return json11Error(error);
  }
}
