/**
 * Client construction against a real HTTP server: the SDK must find the endpoint from the standard
 * AWS_ENDPOINT_URL_<SERVICE> variable, send gantry's user agent, and retry throttling by itself.
 */

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaClient } from '../src/aws/clients.js';
import { GANTRY_VERSION } from '../src/version.js';

let server: Server;
let url: string;
const seen: IncomingMessage[] = [];
let throttleNext = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request);
    request.resume();
    if (throttleNext > 0) {
      throttleNext--;
      response.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
      response.end(JSON.stringify({ Type: 'User', message: 'Rate exceeded', Reason: 'CallerRateLimitExceeded' }));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ Functions: [{ FunctionName: 'f1' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  Object.assign(process.env, vars);
  return fn().finally(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
}

const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

describe('AWS client construction', () => {
  it('uses AWS_ENDPOINT_URL_LAMBDA and sends the gantry user agent', async () => {
    const result = await withEnv({ ...credentials, AWS_ENDPOINT_URL_LAMBDA: url }, () =>
      createLambdaClient({ region: 'eu-west-1' }).send(new ListFunctionsCommand({})),
    );
    expect(result.Functions?.[0]?.FunctionName).toBe('f1');
    const last = seen[seen.length - 1]!;
    expect(last.url).toBe('/2015-03-31/functions');
    expect(String(last.headers['user-agent'] ?? '') + String(last.headers['x-amz-user-agent'] ?? '')).toContain(`gantry/${GANTRY_VERSION}`);
  });

  it('retries a throttled call with the SDK retry strategy', async () => {
    const before = seen.length;
    throttleNext = 2;
    const result = await withEnv({ ...credentials, AWS_ENDPOINT_URL_LAMBDA: url }, () =>
      createLambdaClient({ region: 'eu-west-1' }).send(new ListFunctionsCommand({})),
    );
    expect(result.Functions).toHaveLength(1);
    expect(seen.length - before).toBe(3);
    expect(result.$metadata.attempts).toBe(3);
  });
});
