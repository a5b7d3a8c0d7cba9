/**
 * The sandbox's HTTP server on 127.0.0.1. One port serves every service: a request goes to the first
 * service that matches it (JSON 1.1 services by `X-Amz-Target`, Lambda by its REST paths, GitHub under
 * `/github`). Before a service sees a request the server applies injected faults, then the quota.
 *
 * Routing never looks at the `Host` header: an SDK that applies an operation's endpoint host prefix (the
 * SDK model gives CloudWatch Logs' StartLiveTail `stream-`, `streaming-` in SDKs before April 2026) sends
 * `Host: stream-127.0.0.1:<port>`, and that request is served like any other once it arrives.
 *
 * A response with a `stream` (an event stream such as StartLiveTail's) is written as it is produced and
 * can stay open for hours of sandbox time; it ends when the producer returns or the client disconnects.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxClock } from './clock.js';
import type { FaultKind, Faults } from './faults.js';
import { type SandboxRequest, type SandboxResponse, type SandboxService, ServiceError } from './protocol.js';
import type { Quotas } from './quota.js';

export interface RecordedRequest {
  seq: number;
  service: string;
  operation: string;
  method: string;
  path: string;
  /** HTTP status, or 'reset' when the connection was dropped by a fault. */
  status: number | 'reset';
  /** Sandbox time the request arrived (epoch ms). */
  at: number;
  /** Set when the request was answered by the quota's throttling error. */
  throttled: boolean;
  fault?: FaultKind;
  /**
   * For a streamed response: sandbox time the stream ended, and how (`complete`: the service ended it, e.g.
   * a Live Tail timeout; `client-closed`: the client disconnected first). Unset while it is open.
   */
  streamEnded?: { at: number; by: 'complete' | 'client-closed' };
}

export class SandboxServer {
  readonly requests: RecordedRequest[] = [];
  #server: Server | undefined;
  #seq = 0;

  constructor(
    private readonly services: SandboxService[],
    private readonly clock: SandboxClock,
    private readonly quotas: Quotas,
    private readonly faults: Faults,
  ) {}

  async listen(port = 0): Promise<string> {
    const server = createServer((request, response) => {
      void this.#dispatch(request, response);
    });
    server.keepAliveTimeout = 5_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests recorded for a service, optionally one operation. */
  calls(service: string, operation?: string): RecordedRequest[] {
    return this.requests.filter((request) => request.service === service && (operation === undefined || request.operation === operation));
  }

  async #dispatch(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const url = new URL(incoming.url ?? '/', 'http://sandbox');
    const request: SandboxRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body: Buffer.concat(chunks),
    };
    const service = this.services.find((candidate) => candidate.matches(request));
    if (service === undefined) {
      send(outgoing, { status: 404, body: { message: `no sandbox service answers ${request.method} ${request.path}` } });
      return;
    }
    const record: RecordedRequest = {
      seq: ++this.#seq,
      service: service.name,
      operation: '?',
      method: request.method,
      path: request.path,
      status: 0,
      at: this.clock.now(),
      throttled: false,
    };
    this.requests.push(record);
    let response: SandboxResponse;
    try {
      record.operation = service.operation(request);
      response = await this.#answer(service, record, request);
    } catch (error) {
      response = service.errorResponse(error instanceof ServiceError ? error : service.serverError(500), request);
      if (!(error instanceof ServiceError)) console.error(`sandbox ${service.name} ${record.operation} failed:`, error);
    }
    if (record.status === 'reset') {
      incoming.socket.destroy();
      return;
    }
    record.status = response.status;
    if (response.stream === undefined) send(outgoing, response);
    else await this.#stream(outgoing, response, record, response.stream);
  }

  /** Writes a streamed body chunk by chunk, honouring backpressure, until it ends or the client goes away. */
  async #stream(outgoing: ServerResponse, response: SandboxResponse, record: RecordedRequest, produce: NonNullable<SandboxResponse['stream']>): Promise<void> {
    // 'close' also follows a normal end, when the producer is already done.
    const controller = new AbortController();
    outgoing.on('close', () => controller.abort());
    outgoing.writeHead(response.status, { ...response.headers });
    outgoing.flushHeaders();
    try {
      for await (const chunk of produce(controller.signal)) {
        if (controller.signal.aborted) break;
        if (!outgoing.write(chunk)) await drained(outgoing, controller.signal);
      }
    } catch (error) {
      if (!controller.signal.aborted) console.error(`sandbox ${record.service} ${record.operation} stream failed:`, error);
    }
    record.streamEnded = { at: this.clock.now(), by: controller.signal.aborted ? 'client-closed' : 'complete' };
    if (!outgoing.destroyed) outgoing.end();
  }

  async #answer(service: SandboxService, record: RecordedRequest, request: SandboxRequest): Promise<SandboxResponse> {
    const fault = this.faults.pick(service.name, record.operation);
    if (fault !== undefined) {
      record.fault = fault.kind;
      switch (fault.kind) {
        case 'reset':
          record.status = 'reset';
          return { status: 0 };
        case 'server-error':
          return service.errorResponse(service.serverError(fault.status ?? 500), request);
        case 'throttle':
          return service.errorResponse(service.throttleError(record.operation), request);
        case 'access-denied':
          return service.errorResponse(
            service.accessDeniedError?.(record.operation, request) ??
              new ServiceError(403, 'AccessDeniedException', `not authorized to perform: ${service.name}:${record.operation}`),
            request,
          );
        case 'latency':
          await this.clock.sleep(fault.latencyMs ?? 1000);
          break;
      }
    }
    if (!this.quotas.take(service.quotaFor(record.operation))) {
      record.throttled = true;
      return service.errorResponse(service.throttleError(record.operation), request);
    }
    return service.handle(record.operation, request);
  }
}

/** Resolves when the socket can take more, or at once when the client is gone. */
function drained(outgoing: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    outgoing.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function send(outgoing: ServerResponse, response: SandboxResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let payload: string | Buffer | undefined;
  if (response.body === undefined) payload = undefined;
  else if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) payload = response.body;
  else {
    payload = JSON.stringify(response.body);
    headers['content-type'] ??= 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  outgoing.writeHead(response.status, headers);
  outgoing.end(payload);
}
