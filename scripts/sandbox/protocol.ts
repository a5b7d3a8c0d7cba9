/**
 * What a sandbox service implements, and the wire formats of errors per protocol.
 */
import type { SandboxClock } from './clock.js';

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

export interface ServiceContext {
  clock: SandboxClock;
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

export function parseJsonBody<T = Record<string, unknown>>(request: SandboxRequest): T {
  if (request.body.length === 0) return {} as T;
  try {
    return JSON.parse(request.body.toString('utf8')) as T;
  } catch {
    throw new ServiceError(400, 'SerializationException', 'Could not parse request body into json');
  }
}
