/**
 * CloudWatch Logs ingestion in the sandbox, read with the real `@aws-sdk/client-cloudwatch-logs`: an event
 * put into a stream becomes readable (GetLogEvents, FilterLogEvents) only once ingested, a second after its
 * timestamp by default; GetLogEvents' end-of-stream token stays the same until then and returns the event
 * afterwards; ingestion keeps put order within a stream; the delay and a seeded jitter are options.
 * The sandbox clock is frozen and moved by the test.
 */
import { type CloudWatchLogsClient, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { LogsStore } from '../scripts/sandbox/logs/store.js';
import { type GantrySandbox, type GantrySandboxOptions, startSandbox } from '../scripts/sandbox/sandbox.js';
import { createLogsClient } from '../src/aws/clients.js';
import { type ClockControl, controlClock } from './helpers/sandbox-control.js';

const saved = { ...process.env };
let sandbox: GantrySandbox | undefined;

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  process.env = { ...saved };
});

async function start(options: GantrySandboxOptions = {}): Promise<{ sb: GantrySandbox; clock: ClockControl; logs: CloudWatchLogsClient; t0: number }> {
  const sb = await startSandbox(options);
  sandbox = sb;
  Object.assign(process.env, sb.env);
  const clock = controlClock(sb.clock);
  clock.freeze();
  clock.advance(Math.ceil(sb.clock.now()) - sb.clock.now());
  return { sb, clock, logs: createLogsClient({ region: 'eu-west-1' }), t0: sb.clock.now() };
}

const stream = { logGroupName: '/g', logStreamName: 's' };

describe('sandbox CloudWatch Logs: ingestion delay', () => {
  it('GetLogEvents returns an event only once it is ingested, a second after its timestamp; the end token waits for it', async () => {
    const { sb, clock, logs, t0 } = await start();
    const store = sb.services.logs.store;
    store.append('/g', 's', 'old line', t0 - 2000);
    const first = await logs.send(new GetLogEventsCommand({ ...stream, startFromHead: true }));
    expect(first.events?.map((event) => event.message)).toEqual(['old line']);
    const token = first.nextForwardToken;

    store.append('/g', 's', 'new line', t0);
    const before = await logs.send(new GetLogEventsCommand({ ...stream, nextToken: token }));
    expect(before.events).toEqual([]);
    // Nothing ingested yet: the end-of-stream answer, the token passed in.
    expect(before.nextForwardToken).toBe(token);
    clock.advance(999);
    expect((await logs.send(new GetLogEventsCommand({ ...stream, nextToken: token }))).events).toEqual([]);

    clock.advance(1);
    const after = await logs.send(new GetLogEventsCommand({ ...stream, nextToken: token }));
    expect(after.events).toEqual([{ message: 'new line', timestamp: t0, ingestionTime: t0 + 1000 }]);
    expect(after.nextForwardToken).not.toBe(token);
    const end = await logs.send(new GetLogEventsCommand({ ...stream, nextToken: after.nextForwardToken }));
    expect(end).toMatchObject({ events: [], nextForwardToken: after.nextForwardToken });
  });

  it('FilterLogEvents sees only ingested events too', async () => {
    const { sb, clock, logs, t0 } = await start();
    sb.services.logs.store.append('/g', 's', 'ERROR one', t0);
    sb.services.logs.store.append('/g', 's2', 'ERROR two', t0 + 500);
    const filter = () => logs.send(new FilterLogEventsCommand({ logGroupName: '/g', filterPattern: 'ERROR' }));
    expect((await filter()).events).toEqual([]);
    clock.advance(1000);
    expect((await filter()).events?.map((event) => event.message)).toEqual(['ERROR one']);
    clock.advance(500);
    expect((await filter()).events?.map((event) => event.message)).toEqual(['ERROR one', 'ERROR two']);
  });

  it('keeps put order within a stream: an event is never ingested before the one put before it', async () => {
    const { sb, clock, logs, t0 } = await start({ logs: { ingestionDelayMs: 3000 } });
    const store = sb.services.logs.store;
    store.append('/g', 's', 'put first', t0);
    store.append('/g', 's', 'put second, stamped earlier', t0 - 2500);
    clock.advance(2999);
    expect((await logs.send(new GetLogEventsCommand({ ...stream, startFromHead: true }))).events).toEqual([]);
    clock.advance(1);
    const { events } = await logs.send(new GetLogEventsCommand({ ...stream, startFromHead: true }));
    expect(events).toEqual([
      { message: 'put first', timestamp: t0, ingestionTime: t0 + 3000 },
      { message: 'put second, stamped earlier', timestamp: t0 - 2500, ingestionTime: t0 + 3000 },
    ]);
  });

  it('adds a deterministic jitter when asked: the same seed gives the same ingestion times', () => {
    const delays = (seed: number) => {
      let now = 0;
      const store = new LogsStore(() => now, { ingestionDelayMs: 1000, ingestionJitterMs: 2000, seed });
      for (let index = 0; index < 20; index++) store.append('/g', 's', `line ${index}`, index * 10_000);
      now = 20 * 10_000 + 3000;
      return store.getLogEvents({ logGroupName: '/g', logStreamName: 's', startFromHead: true }).events.map((event) => event.ingestionTime - event.timestamp);
    };
    const seven = delays(7);
    expect(seven).toHaveLength(20);
    expect(seven).toEqual(delays(7));
    expect(seven).not.toEqual(delays(8));
    expect(seven.every((delay) => delay >= 1000 && delay < 3000)).toBe(true);
    expect(new Set(seven).size).toBeGreaterThan(1);
  });
});
