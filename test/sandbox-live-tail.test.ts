/**
 * The sandbox's CloudWatch Logs Live Tail (StartLiveTail), driven by the real `@aws-sdk/client-cloudwatch-logs`
 * over HTTP with gantry's client configuration: events arrive once each, in order, only after ingestion;
 * sampled updates really lack events; sessions time out with SessionTimeoutException; the account's
 * concurrent-session quota refuses the extra session and frees the slot when a client disconnects; IAM
 * denial (a fault rule), an endpoint without the operation, request validation; the `stream-` host prefix.
 * The sandbox clock is frozen and moved by the test, never waited for.
 */
import { request as httpRequest } from 'node:http';
import {
  CloudWatchLogsClient,
  type CloudWatchLogsServiceException,
  StartLiveTailCommand,
  type StartLiveTailCommandInput,
  type StartLiveTailResponseStream,
} from '@aws-sdk/client-cloudwatch-logs';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { isThrottlingError } from '@smithy/core/retry';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { afterEach, describe, expect, it } from 'vitest';
import { type GantrySandbox, type GantrySandboxOptions, startSandbox } from '../scripts/sandbox/sandbox.js';
import { awsClientConfig } from '../src/aws/clients.js';
import { type ClockControl, controlClock, until } from './helpers/sandbox-control.js';

const saved = { ...process.env };
let sandbox: GantrySandbox | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  process.env = { ...saved };
});

const GROUP = '/aws/codebuild/orders-dev-plan';
const ARN = `arn:aws:logs:eu-west-1:123456789012:log-group:${GROUP}`;
const STREAM = 'build-1';

interface Started {
  sb: GantrySandbox;
  clock: ClockControl;
  /** gantry's client configuration plus `disableHostPrefix`, which an endpoint URL on an IP address needs. */
  logs: (overrides?: { maxAttempts?: number }) => CloudWatchLogsClient;
}

async function start(options: GantrySandboxOptions = {}): Promise<Started> {
  const sb = await startSandbox(options);
  sandbox = sb;
  Object.assign(process.env, sb.env);
  const clock = controlClock(sb.clock);
  clock.freeze();
  // A whole millisecond, as timestamps on the wire are.
  clock.advance(Math.ceil(sb.clock.now()) - sb.clock.now());
  sb.services.logs.store.createStream(GROUP, STREAM);
  return {
    sb,
    clock,
    logs: (overrides = {}) => new CloudWatchLogsClient({ ...awsClientConfig({ region: 'eu-west-1', ...overrides }), disableHostPrefix: true }),
  };
}

/** Reads a session in the background: what arrived so far, and how it ended. */
function follow(stream: AsyncIterable<StartLiveTailResponseStream> | undefined) {
  const items: StartLiveTailResponseStream[] = [];
  const state: { ended: boolean; error?: unknown } = { ended: false };
  void (async () => {
    try {
      for await (const item of stream ?? []) items.push(item);
    } catch (error) {
      state.error = error;
    } finally {
      state.ended = true;
    }
  })();
  const updates = () => items.flatMap((item) => (item.sessionUpdate === undefined ? [] : [item.sessionUpdate]));
  return { items, state, updates, messages: () => updates().flatMap((update) => (update.sessionResults ?? []).map((event) => event.message)) };
}

const tail = (input: Partial<StartLiveTailCommandInput> = {}) => new StartLiveTailCommand({ logGroupIdentifiers: [ARN], logStreamNames: [STREAM], ...input });

async function refusal(promise: Promise<unknown>): Promise<CloudWatchLogsServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as CloudWatchLogsServiceException;
  }
  throw new Error('expected StartLiveTail to be refused');
}

describe('sandbox Live Tail: a session', () => {
  it('delivers the events ingested after it started, once each and in order, in an update every second', async () => {
    const { sb, clock, logs } = await start();
    const store = sb.services.logs.store;
    const t0 = sb.clock.now();
    store.append(GROUP, STREAM, 'ingested long before', t0 - 5000);
    const response = await logs().send(tail());
    const session = follow(response.responseStream);
    await until(() => session.items.length === 1);
    expect(session.items[0]?.sessionStart).toMatchObject({ logGroupIdentifiers: [ARN], logStreamNames: [STREAM] });
    expect(session.items[0]?.sessionStart?.sessionId).toMatch(/\S/);

    store.append(GROUP, STREAM, 'first', t0);
    store.append(GROUP, STREAM, 'second', t0);
    store.append('/other/group', STREAM, 'not this group', t0);
    clock.advance(999);
    store.append(GROUP, STREAM, 'third', t0 + 999);
    clock.advance(1);
    await until(() => session.updates().length === 1);
    // Ingested at t0 + 1000; 'third' is ingested at t0 + 1999, so it waits for the next update.
    expect(session.updates()[0]).toEqual({
      sessionMetadata: { sampled: false },
      sessionResults: [
        { logStreamName: STREAM, logGroupIdentifier: ARN, message: 'first', timestamp: t0, ingestionTime: t0 + 1000 },
        { logStreamName: STREAM, logGroupIdentifier: ARN, message: 'second', timestamp: t0, ingestionTime: t0 + 1000 },
      ],
    });

    clock.advance(1000);
    await until(() => session.updates().length === 2);
    expect(session.updates()[1]?.sessionResults?.map((event) => event.message)).toEqual(['third']);
    clock.advance(1000);
    await until(() => session.updates().length === 3);
    expect(session.updates()[2]).toEqual({ sessionMetadata: { sampled: false }, sessionResults: [] });
    expect(session.messages()).toEqual(['first', 'second', 'third']);

    const [call] = sb.server.calls('logs', 'StartLiveTail');
    expect(call).toMatchObject({ status: 200, throttled: false });
    expect(call?.streamEnded).toBeUndefined();
  });

  it('samples an update above the events-per-second threshold: sampled is set and events are really missing', async () => {
    const { sb, clock, logs } = await start({ logs: { liveTail: { sampleAbove: 5 } } });
    const t0 = sb.clock.now();
    const session = follow((await logs().send(tail())).responseStream);
    await until(() => session.items.length === 1);
    const sent = Array.from({ length: 12 }, (_, index) => `line ${index}`);
    for (const line of sent) sb.services.logs.store.append(GROUP, STREAM, line, t0);
    sb.services.logs.store.append(GROUP, STREAM, 'next second', t0 + 1000);
    clock.advance(1000);
    await until(() => session.updates().length === 1);
    const [sampled] = session.updates();
    expect(sampled?.sessionMetadata?.sampled).toBe(true);
    const got = session.messages();
    expect(got).toHaveLength(5);
    // What is kept keeps its order; the rest is gone from the session for good.
    expect(got).toEqual(sent.filter((line) => got.includes(line)));
    clock.advance(1000);
    await until(() => session.updates().length === 2);
    expect(session.updates()[1]).toMatchObject({ sessionMetadata: { sampled: false } });
    expect(session.messages().slice(5)).toEqual(['next second']);
  });

  it('ends with SessionTimeoutException after the maximum session duration, and frees its slot', async () => {
    const { sb, clock, logs } = await start({ logs: { liveTail: { sessionDurationMs: 60_000 } } });
    const session = follow((await logs().send(tail())).responseStream);
    await until(() => session.items.length === 1);
    expect(sb.services.logs.liveTail.activeSessions).toBe(1);
    clock.advance(59_999);
    await until(() => session.updates().length === 1);
    expect(session.state.ended).toBe(false);
    clock.advance(1);
    await until(() => session.state.ended);
    expect(session.state.error).toMatchObject({ name: 'SessionTimeoutException' });
    expect(sb.services.logs.liveTail.activeSessions).toBe(0);
    expect(sb.server.calls('logs', 'StartLiveTail')[0]?.streamEnded?.by).toBe('complete');
  });

  it('filters by stream name prefix and filter pattern across the streams of one group', async () => {
    const { sb, clock, logs } = await start();
    const store = sb.services.logs.store;
    const t0 = sb.clock.now();
    const session = follow(
      (await logs().send(tail({ logStreamNames: undefined, logStreamNamePrefixes: ['build-'], logEventFilterPattern: 'ERROR' }))).responseStream,
    );
    await until(() => session.items.length === 1);
    store.append(GROUP, 'build-2', 'ERROR in build 2', t0);
    store.append(GROUP, 'build-2', 'fine', t0);
    store.append(GROUP, 'other', 'ERROR elsewhere', t0);
    store.append(GROUP, STREAM, 'ERROR in build 1', t0 - 1);
    clock.advance(1000);
    await until(() => session.updates().length === 1);
    // Across streams, in ingestion order.
    expect(session.updates()[0]?.sessionResults?.map((event) => [event.logStreamName, event.message])).toEqual([
      [STREAM, 'ERROR in build 1'],
      ['build-2', 'ERROR in build 2'],
    ]);
  });
});

describe('sandbox Live Tail: refusals', () => {
  it('refuses a session beyond the concurrent-session quota with LimitExceededException, and frees a slot on disconnect', async () => {
    const { sb, logs } = await start({ logs: { liveTail: { maxSessions: 2 } } });
    const client = logs({ maxAttempts: 1 });
    const first = new AbortController();
    const sessions = [follow((await client.send(tail(), { abortSignal: first.signal })).responseStream), follow((await client.send(tail())).responseStream)];
    await until(() => sessions.every((session) => session.items.length === 1));

    const refused = await refusal(client.send(tail()));
    expect(refused.name).toBe('LimitExceededException');
    expect(refused.$metadata.httpStatusCode).toBe(400);
    // A throttling error to the SDK: with gantry's default maxAttempts it is retried, with backoff, before a caller sees it.
    expect(isThrottlingError(refused as Parameters<typeof isThrottlingError>[0])).toBe(true);
    expect(sb.server.calls('logs', 'StartLiveTail').map((call) => call.status)).toEqual([200, 200, 400]);

    first.abort();
    await until(() => sb.services.logs.liveTail.activeSessions === 1);
    expect(sb.server.calls('logs', 'StartLiveTail')[0]?.streamEnded?.by).toBe('client-closed');
    // A fresh client: the refused one's adaptive rate limiter now spaces its calls out (about a second here).
    const again = follow((await logs({ maxAttempts: 1 }).send(tail())).responseStream);
    await until(() => again.items.length === 1);
    expect(again.items[0]?.sessionStart).toBeDefined();
  });

  it('answers its request-rate quota with LimitExceededException: Rate exceeded (StartLiveTail models no ThrottlingException)', async () => {
    const { sb, logs } = await start({ quotas: { 'logs-start-live-tail': { ratePerSecond: 1 } } });
    const client = logs({ maxAttempts: 1 });
    const session = follow((await client.send(tail())).responseStream);
    await until(() => session.items.length === 1);
    const refused = await refusal(logs({ maxAttempts: 1 }).send(tail()));
    expect({ name: refused.name, message: refused.message }).toEqual({ name: 'LimitExceededException', message: 'Rate exceeded' });
    expect(sb.server.calls('logs', 'StartLiveTail').map((call) => call.throttled)).toEqual([false, true]);
  });

  it('answers AccessDeniedException, as IAM words it, when a fault rule denies logs:StartLiveTail', async () => {
    const { sb, logs } = await start();
    sb.faults.add({ service: 'logs', operation: 'StartLiveTail', kind: 'access-denied' });
    const denied = await refusal(logs().send(tail()));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata.httpStatusCode).toBe(400);
    expect(denied.message).toContain(`is not authorized to perform: logs:StartLiveTail on resource: ${ARN}`);
    expect(sb.server.calls('logs', 'StartLiveTail')).toMatchObject([{ status: 400, fault: 'access-denied' }]);
    expect(sb.services.logs.liveTail.activeSessions).toBe(0);
  });

  it('answers like any AWS JSON endpoint for an operation it does not offer: 400 UnknownOperationException', async () => {
    const { sb, logs } = await start({ logs: { liveTail: { offered: false } } });
    const unknown = await refusal(logs().send(tail()));
    expect(unknown.name).toBe('UnknownOperationException');
    expect(unknown.$metadata.httpStatusCode).toBe(400);
    const raw = await fetch(sb.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.NoSuchOperation' },
      body: '{}',
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ __type: 'UnknownOperationException' });
  });

  it('validates the request as the API reference constrains it', async () => {
    const { sb, logs } = await start();
    sb.services.logs.store.createGroup('/second');
    const client = logs({ maxAttempts: 1 });
    const cases: [Partial<StartLiveTailCommandInput>, string, RegExp][] = [
      [{ logGroupIdentifiers: [] }, 'InvalidParameterException', /logGroupIdentifiers.*greater than or equal to 1/],
      [{ logGroupIdentifiers: Array.from({ length: 11 }, () => ARN), logStreamNames: undefined }, 'InvalidParameterException', /less than or equal to 10/],
      [{ logGroupIdentifiers: [`${ARN}:*`] }, 'InvalidParameterException', /regular expression pattern/],
      [{ logGroupIdentifiers: [GROUP] }, 'InvalidParameterException', /by its ARN/],
      [{ logStreamNamePrefixes: ['build-'] }, 'InvalidParameterException', /mutually exclusive/],
      [{ logGroupIdentifiers: [ARN, ARN.replace(GROUP, '/second')] }, 'InvalidParameterException', /exactly one log group/],
      [{ logStreamNames: ['a:b'] }, 'InvalidParameterException', /logStreamNames.*pattern/],
      [{ logEventFilterPattern: 'x'.repeat(1025) }, 'InvalidParameterException', /logEventFilterPattern/],
      [{ logGroupIdentifiers: [ARN.replace(GROUP, '/missing')] }, 'ResourceNotFoundException', /log group does not exist/],
      [{ logGroupIdentifiers: [ARN.replace('123456789012', '210987654321')] }, 'ResourceNotFoundException', /log group does not exist/],
    ];
    for (const [input, name, message] of cases) {
      const error = await refusal(client.send(tail(input)));
      expect({ input, name: error.name, status: error.$metadata.httpStatusCode }).toEqual({ input, name, status: 400 });
      expect(error.message).toMatch(message);
    }
    // Several groups without stream filters are fine.
    const both = follow((await client.send(tail({ logGroupIdentifiers: [ARN, ARN.replace(GROUP, '/second')], logStreamNames: undefined }))).responseStream);
    await until(() => both.items.length === 1);
    expect(sb.services.logs.liveTail.activeSessions).toBe(1);
  });
});

describe('sandbox Live Tail: the wire', () => {
  it('the real client puts the stream- host prefix on an endpoint URL; disableHostPrefix keeps the host', async () => {
    const { sb } = await start();
    const hosts: string[] = [];
    for (const disableHostPrefix of [false, true]) {
      const client = new CloudWatchLogsClient({ ...awsClientConfig({ region: 'eu-west-1', maxAttempts: 1 }), disableHostPrefix });
      client.middlewareStack.add(
        () => async (args) => {
          hosts.push((args.request as { hostname: string }).hostname);
          throw new Error('captured');
        },
        { step: 'finalizeRequest', priority: 'low' },
      );
      await expect(client.send(tail())).rejects.toThrow('captured');
    }
    expect(hosts).toEqual(['stream-127.0.0.1', '127.0.0.1']);
    expect(sb.server.calls('logs')).toEqual([]);
  });

  it('serves a request whatever its Host header, as an event stream the SDK codec decodes', async () => {
    const { sb } = await start();
    const url = new URL(sb.url);
    const body = JSON.stringify({ logGroupIdentifiers: [ARN], logStreamNames: [STREAM] });
    const { headers, messages } = await new Promise<{ headers: Record<string, unknown>; messages: Uint8Array[] }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/',
          headers: {
            host: `stream-${url.host}`,
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'Logs_20140328.StartLiveTail',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let buffered = Buffer.alloc(0);
          const messages: Uint8Array[] = [];
          res.on('data', (chunk: Buffer) => {
            buffered = Buffer.concat([buffered, chunk]);
            while (buffered.length >= 4 && buffered.length >= buffered.readUInt32BE(0)) {
              const length = buffered.readUInt32BE(0);
              messages.push(new Uint8Array(buffered.subarray(0, length)));
              buffered = buffered.subarray(length);
            }
            if (messages.length >= 2) {
              resolve({ headers: res.headers, messages });
              req.destroy();
            }
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(headers['content-type']).toBe('application/vnd.amazon.eventstream');
    expect(headers['transfer-encoding']).toBe('chunked');
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const [initial, sessionStart] = messages.map((message) => codec.decode(message));
    expect(initial?.headers).toEqual({
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: 'initial-response' },
      ':content-type': { type: 'string', value: 'application/json' },
    });
    expect(toUtf8(initial?.body ?? new Uint8Array())).toBe('{}');
    expect(sessionStart?.headers[':event-type']?.value).toBe('sessionStart');
    expect(JSON.parse(toUtf8(sessionStart?.body ?? new Uint8Array()))).toMatchObject({ logGroupIdentifiers: [ARN], logStreamNames: [STREAM] });
    await until(() => sb.services.logs.liveTail.activeSessions === 0);
  });
});
