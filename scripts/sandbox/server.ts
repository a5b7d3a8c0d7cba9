/**
 * The sandbox's HTTP server on 127.0.0.1. One port serves every service: a request goes to the first
 * service that matches it (JSON 1.1 services by `X-Amz-Target`, Lambda by its REST paths, GitHub under
 * `/github`). Before a service sees a request the server applies injected faults, then the quota.
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
    send(outgoing, response);
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
