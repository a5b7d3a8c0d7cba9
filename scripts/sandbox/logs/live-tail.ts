/**
 * CloudWatch Logs Live Tail (`StartLiveTail`): request validation, the account's concurrent-session quota,
 * and the session itself, a response event stream driven by the sandbox clock.
 *
 * Sources:
 * - API reference, StartLiveTail (API_StartLiveTail.html) and the same text in the SDK's
 *   StartLiveTailCommand documentation (@aws-sdk/client-cloudwatch-logs 3.1169): one `sessionStart`, then a
 *   `sessionUpdate` every second with the events ingested since (an empty array when there were none); at
 *   most 500 events per update, "if the number of log events matching the request exceeds 500 per second,
 *   the log events are sampled down to 500"; `SessionTimeoutException` when the session "has been kept open
 *   for three hours"; `SessionStreamingException` on an unknown server-side error; the session ends when the
 *   client closes the stream or the connection breaks. Errors: AccessDeniedException,
 *   InvalidOperationException, InvalidParameterException, LimitExceededException, ResourceNotFoundException.
 * - Request members (API_StartLiveTail.html, API_LiveTailSessionStart.html): `logGroupIdentifiers` 1 to 10
 *   items, each 1 to 2048 characters of `[\w#+=/:,.@-]*`, "Specify each log group by its ARN. If you specify
 *   an ARN, the ARN can't end with an asterisk (*)" (aws/aws-toolkit-vscode#5986: "StartLiveTail's request
 *   requires LogGroup Arns"); `logStreamNames` and `logStreamNamePrefixes` 1 to 100 items of 1 to 512
 *   characters of `[^:*]*`, not both, and only with exactly one log group; `logEventFilterPattern` up to 1024
 *   characters.
 * - The SDK model (schemas_0.js of @aws-sdk/client-cloudwatch-logs): StartLiveTailResponseStream is the union
 *   sessionStart | sessionUpdate | SessionTimeoutException | SessionStreamingException (the two exceptions
 *   arrive as exception messages); LiveTailSessionLogEvent = logStreamName, logGroupIdentifier, message,
 *   timestamp, ingestionTime; LiveTailSessionMetadata = sampled.
 * - Quotas: 15 concurrent Live Tail sessions per account and Region (CloudWatch Logs quotas page, "Live Tail
 *   concurrent sessions", adjustable); the extra session is refused with LimitExceededException, which the
 *   SDK classifies as a throttling error and retries (THROTTLING_ERROR_CODES in @smithy/core/retry) before
 *   the caller sees it. The only captured message for a refused StartLiveTail is `LimitExceededException:
 *   Rate exceeded` (DefangLabs/defang#1694, #2071), used here for the request-rate quota; the concurrent-
 *   session message is the sandbox's wording.
 *
 * Not modelled: the buffer of 10 updates / 5000 events for a slow reader (here a reader that does not drain
 * the socket holds the session back, and the next update covers the whole gap, sampled if above the cap);
 * log group classes (InvalidOperationException for groups that do not support Live Tail); cross-account
 * observability (an ARN of another account or Region is a group that does not exist here).
 */
import { randomUUID } from 'node:crypto';
import type { SandboxClock } from '../clock.js';
import { EVENT_STREAM_CONTENT_TYPE, eventStreamEvent, eventStreamException, type SandboxResponse, ServiceError } from '../protocol.js';
import { mulberry32 } from '../random.js';
import type { LogsStore, TailedEvent } from './store.js';

export interface LiveTailOptions {
  /** Concurrent sessions the account may hold; default 15 (the quota's default value). */
  maxSessions?: number;
  /** Sandbox milliseconds after which a session ends with SessionTimeoutException; default 3 hours. */
  sessionDurationMs?: number;
  /** Events per one-second update above which the update is sampled down to this many; default 500. */
  sampleAbove?: number;
  /** Sandbox milliseconds between updates; default 1000 ("every second"). */
  updateIntervalMs?: number;
  /**
   * False: this endpoint does not offer StartLiveTail, and answers it as AWS JSON 1.1 answers any operation
   * it does not know (HTTP 400 `UnknownOperationException`). Default true.
   */
  offered?: boolean;
  /** Seed of the choice of events kept in a sampled update; default 1. */
  seed?: number;
}

export const LIVE_TAIL_DEFAULTS = {
  maxSessions: 15,
  sessionDurationMs: 3 * 60 * 60 * 1000,
  sampleAbove: 500,
  updateIntervalMs: 1000,
} as const;

/**
 * How often (real milliseconds) a waiting session looks at the sandbox clock. A test may jump the clock
 * (controlClock), which no timer notices, so a session never sleeps longer than this at once.
 */
const CLOCK_POLL_MS = 10;

const LOG_GROUP_ARN = /^arn:(aws[a-z-]*):logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)$/;

export interface LiveTailRequest {
  logGroupIdentifiers: string[];
  logStreamNames?: string[];
  logStreamNamePrefixes?: string[];
  logEventFilterPattern?: string;
}

const invalid = (message: string) => new ServiceError(400, 'InvalidParameterException', message);

/** Member constraints of the request, with the messages AWS's validation layer writes. */
export function validateLiveTailRequest(body: Record<string, unknown>): LiveTailRequest {
  const errors: string[] = [];
  const list = (name: string, max: number, itemMax: number, pattern: RegExp, patternText: string, required: boolean): string[] | undefined => {
    const value = body[name];
    if (value === undefined || value === null) {
      if (required) errors.push(`Value null at '${name}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
      throw new ServiceError(400, 'SerializationException', `Unexpected value type for '${name}'`);
    const items = value as string[];
    const shown = `[${items.join(', ')}]`;
    if (items.length < 1) errors.push(`Value '${shown}' at '${name}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    if (items.length > max) errors.push(`Value '${shown}' at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
    const memberErrors = new Set<string>();
    for (const item of items) {
      if (item.length < 1) memberErrors.add('Member must have length greater than or equal to 1');
      if (item.length > itemMax) memberErrors.add(`Member must have length less than or equal to ${itemMax}`);
      if (!pattern.test(item)) memberErrors.add(`Member must satisfy regular expression pattern: ${patternText}`);
    }
    if (memberErrors.size > 0)
      errors.push(`Value '${shown}' at '${name}' failed to satisfy constraint: Member must satisfy constraint: [${[...memberErrors].join(', ')}]`);
    return items;
  };
  const logGroupIdentifiers = list('logGroupIdentifiers', 10, 2048, /^[\w#+=/:,.@-]*$/, '[\\w#+=/:,.@-]*', true);
  const logStreamNames = list('logStreamNames', 100, 512, /^[^:*]*$/, '[^:*]*', false);
  const logStreamNamePrefixes = list('logStreamNamePrefixes', 100, 512, /^[^:*]*$/, '[^:*]*', false);
  const pattern = body.logEventFilterPattern;
  if (pattern !== undefined && pattern !== null && typeof pattern !== 'string') {
    throw new ServiceError(400, 'SerializationException', "Unexpected value type for 'logEventFilterPattern'");
  }
  if (typeof pattern === 'string' && pattern.length > 1024) {
    errors.push(`Value '${pattern}' at 'logEventFilterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024`);
  }
  if (errors.length > 0) throw invalid(`${errors.length} validation error${errors.length === 1 ? '' : 's'} detected: ${errors.join('; ')}`);
  const groups = logGroupIdentifiers ?? [];
  if (logStreamNames !== undefined && logStreamNamePrefixes !== undefined) {
    throw invalid('logStreamNames and logStreamNamePrefixes are mutually exclusive: specify at most one of them.');
  }
  if ((logStreamNames !== undefined || logStreamNamePrefixes !== undefined) && groups.length !== 1) {
    throw invalid('logStreamNames and logStreamNamePrefixes can be specified only when logGroupIdentifiers contains exactly one log group.');
  }
  return {
    logGroupIdentifiers: groups,
    ...(logStreamNames === undefined ? {} : { logStreamNames }),
    ...(logStreamNamePrefixes === undefined ? {} : { logStreamNamePrefixes }),
    ...(typeof pattern === 'string' && pattern !== '' ? { logEventFilterPattern: pattern } : {}),
  };
}

/** The log group an identifier names in this sandbox's account and Region, or why it names none. */
export function logGroupOfArn(identifier: string, region: string, account: string): string {
  const match = LOG_GROUP_ARN.exec(identifier);
  if (match === null) {
    throw invalid(
      `Invalid logGroupIdentifier '${identifier}': specify each log group by its ARN (arn:aws:logs:<region>:<account>:log-group:<name>), without a trailing :*`,
    );
  }
  const [, , arnRegion, arnAccount, name] = match;
  if (arnRegion !== region || arnAccount !== account || name === undefined) {
    throw new ServiceError(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
  }
  return name;
}

export class LiveTail {
  readonly options: Required<Omit<LiveTailOptions, 'seed'>>;
  #active = 0;
  readonly #random: () => number;

  constructor(
    private readonly clock: SandboxClock,
    private readonly store: LogsStore,
    options: LiveTailOptions = {},
  ) {
    this.options = {
      maxSessions: options.maxSessions ?? LIVE_TAIL_DEFAULTS.maxSessions,
      sessionDurationMs: options.sessionDurationMs ?? LIVE_TAIL_DEFAULTS.sessionDurationMs,
      sampleAbove: options.sampleAbove ?? LIVE_TAIL_DEFAULTS.sampleAbove,
      updateIntervalMs: options.updateIntervalMs ?? LIVE_TAIL_DEFAULTS.updateIntervalMs,
      offered: options.offered ?? true,
    };
    const { maxSessions, sessionDurationMs, sampleAbove, updateIntervalMs } = this.options;
    if (!(maxSessions >= 0 && sessionDurationMs > 0 && sampleAbove >= 0 && updateIntervalMs > 0))
      throw new Error(`invalid Live Tail options: ${JSON.stringify(options)}`);
    this.#random = mulberry32(options.seed ?? 1);
  }

  /** Sessions open now (each holds one of the account's `maxSessions`). */
  get activeSessions(): number {
    return this.#active;
  }

  /**
   * Starts a session: the group names are resolved and exist, the quota has room. Returns the streamed
   * response; the slot is taken now and freed when the stream ends (timeout, or the client disconnecting).
   */
  start(request: LiveTailRequest, groupNames: string[]): SandboxResponse {
    if (this.#active >= this.options.maxSessions) {
      throw new ServiceError(
        400,
        'LimitExceededException',
        `You have reached the maximum number of concurrent Live Tail sessions (${this.options.maxSessions}) for this account.`,
      );
    }
    this.#active++;
    let released = false;
    const release = () => {
      if (!released) this.#active--;
      released = true;
    };
    const startedAt = this.clock.now();
    return {
      status: 200,
      headers: { 'content-type': EVENT_STREAM_CONTENT_TYPE, 'x-amzn-requestid': randomUUID() },
      stream: (signal) => this.#session(request, groupNames, startedAt, signal, release),
    };
  }

  async *#session(request: LiveTailRequest, groupNames: string[], startedAt: number, signal: AbortSignal, release: () => void): AsyncGenerator<Uint8Array> {
    try {
      const { sessionDurationMs, updateIntervalMs } = this.options;
      const deadline = startedAt + sessionDurationMs;
      const read = this.store.tail(
        {
          logGroupNames: groupNames,
          ...(request.logStreamNames === undefined ? {} : { logStreamNames: request.logStreamNames }),
          ...(request.logStreamNamePrefixes === undefined ? {} : { logStreamNamePrefixes: request.logStreamNamePrefixes }),
          ...(request.logEventFilterPattern === undefined ? {} : { filterPattern: request.logEventFilterPattern }),
        },
        startedAt,
      );
      const identifierOf = new Map(groupNames.map((name, index) => [name, request.logGroupIdentifiers[index] ?? name]));
      yield eventStreamEvent('initial-response', {});
      yield eventStreamEvent('sessionStart', { requestId: randomUUID(), sessionId: randomUUID(), ...request });
      let windowStart = startedAt;
      while (!signal.aborted) {
        const windowEnd = Math.min(windowStart + updateIntervalMs, deadline);
        await this.#until(windowEnd, signal);
        if (signal.aborted) return;
        // The clock may have jumped past several windows (a test's controlClock): one update per elapsed
        // window, so the per-second sampling threshold applies per second; empty windows are skipped, but
        // there is always at least one update per wake-up.
        const now = Math.min(this.clock.now(), deadline);
        const updates: TailedEvent[][] = [];
        for (let end = windowEnd; end <= now; end = Math.min(end + updateIntervalMs, deadline)) {
          const events = read(end);
          if (events.length > 0) updates.push(events);
          windowStart = end;
          if (end >= deadline) break;
        }
        if (updates.length === 0) updates.push([]);
        for (const update of updates) yield this.#update(update, identifierOf);
        if (now >= deadline) {
          yield eventStreamException('SessionTimeoutException', `Session timed out after ${Math.round(sessionDurationMs / 1000)} seconds.`);
          return;
        }
      }
    } finally {
      release();
    }
  }

  /** One sessionUpdate; above the threshold a seeded sample of `sampleAbove` events, in order, and `sampled`. */
  #update(events: TailedEvent[], identifierOf: Map<string, string>): Uint8Array {
    const { sampleAbove } = this.options;
    let kept = events;
    if (events.length > sampleAbove) {
      const chosen = events.map((_, index) => ({ index, key: this.#random() })).sort((a, b) => a.key - b.key);
      const keep = new Set(chosen.slice(0, sampleAbove).map((entry) => entry.index));
      kept = events.filter((_, index) => keep.has(index));
    }
    return eventStreamEvent('sessionUpdate', {
      sessionMetadata: { sampled: events.length > sampleAbove },
      sessionResults: kept.map((event) => ({
        logStreamName: event.logStreamName,
        logGroupIdentifier: identifierOf.get(event.logGroupName) ?? event.logGroupName,
        message: event.message,
        timestamp: event.timestamp,
        ingestionTime: event.ingestionTime,
      })),
    });
  }

  /** Resolves once the sandbox clock reaches `at` (or at once on abort), noticing clock jumps. */
  async #until(at: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const remaining = at - this.clock.now();
      if (remaining <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, Math.min(this.clock.toReal(remaining), CLOCK_POLL_MS)));
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
