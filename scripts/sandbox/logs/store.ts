/**
 * The CloudWatch Logs model: groups of streams of events, ingestion, and the paging rules of GetLogEvents.
 *
 * Ingestion: an event put into a stream is not readable at once. CloudWatch Logs ingests it first, and
 * GetLogEvents, FilterLogEvents and Live Tail only return ingested events; each event carries the
 * `ingestionTime` at which that happened (API_OutputLogEvent / API_LiveTailSessionLogEvent). In practice it
 * takes about a second, sometimes more. The sandbox gives each event
 *   ingestionTime = max(ingestionTime of the previous event of its stream, timestamp + delay)
 * where delay = `ingestionDelayMs` (default 1000 ms of sandbox time) plus, when `ingestionJitterMs` is set, a
 * deterministic extra in [0, ingestionJitterMs) drawn from a generator seeded with `seed` (random.ts). Reads
 * see only events with ingestionTime <= now (the sandbox clock); advancing the clock makes them readable.
 * The `max` keeps ingestion in put order within a stream, so what a read sees is always a prefix of the
 * stream: a token's index means the same event before and after more events are ingested.
 *
 * GetLogEvents tokens point between events. Reading forward from a token returns the events after it and a
 * `nextForwardToken` past the last one returned; at the end of the (ingested part of the) stream the token
 * returned is the token passed in. That "same token" answer is the only end-of-stream signal the real API
 * gives, and a live follower (the build log streamer) depends on it, so the sandbox keeps it exactly: an
 * event that is put but not yet ingested does not move the token, and the same token read again once it is
 * ingested returns it.
 */
import { ServiceError } from '../protocol.js';
import { mulberry32 } from '../random.js';

export interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

interface LogStream {
  name: string;
  creationTime: number;
  events: LogEvent[];
}

interface LogGroup {
  name: string;
  creationTime: number;
  streams: Map<string, LogStream>;
}

/** Real tokens are opaque `f/<56 digits>/s`; the digits here are the index of the next event. */
const TOKEN = /^([fb])\/(\d{56})\/s$/;
export const forwardToken = (index: number): string => `f/${String(index).padStart(56, '0')}/s`;
export const backwardToken = (index: number): string => `b/${String(index).padStart(56, '0')}/s`;

export interface GetLogEventsQuery {
  logGroupName: string;
  logStreamName: string;
  startTime?: number;
  endTime?: number;
  nextToken?: string;
  limit?: number;
  startFromHead?: boolean;
}

export interface GetLogEventsPage {
  events: LogEvent[];
  nextForwardToken: string;
  nextBackwardToken: string;
}

export interface FilterQuery {
  logGroupName: string;
  logStreamNames?: string[];
  logStreamNamePrefix?: string;
  startTime?: number;
  endTime?: number;
  filterPattern?: string;
  nextToken?: string;
  limit?: number;
}

export interface FilteredEvent extends LogEvent {
  logStreamName: string;
  eventId: string;
}

/** GetLogEvents returns at most 10,000 events or 1 MB per call. */
export const MAX_EVENTS_PER_PAGE = 10_000;

export interface LogsStoreOptions {
  /** Sandbox milliseconds from an event's timestamp to its ingestion (readability); default 1000. */
  ingestionDelayMs?: number;
  /** Up to this many more milliseconds, drawn per event from the seeded generator; default 0 (none). */
  ingestionJitterMs?: number;
  /** Seed of the jitter (and of Live Tail's sampling, see LogsOptions); default 1. */
  seed?: number;
}

export const DEFAULT_INGESTION_DELAY_MS = 1000;

/** An ingested event as Live Tail reports it. */
export interface TailedEvent extends LogEvent {
  logGroupName: string;
  logStreamName: string;
}

export interface TailQuery {
  logGroupNames: string[];
  logStreamNames?: string[];
  logStreamNamePrefixes?: string[];
  filterPattern?: string;
}

export class LogsStore {
  readonly #groups = new Map<string, LogGroup>();
  readonly #delayMs: number;
  readonly #jitterMs: number;
  readonly #random: () => number;
  /** Called before every read, so a service that produces logs lazily (scripted builds) can catch up. */
  beforeRead: () => void = () => {};

  constructor(
    private readonly now: () => number,
    options: LogsStoreOptions = {},
  ) {
    this.#delayMs = options.ingestionDelayMs ?? DEFAULT_INGESTION_DELAY_MS;
    this.#jitterMs = options.ingestionJitterMs ?? 0;
    if (!(this.#delayMs >= 0) || !(this.#jitterMs >= 0)) throw new Error('ingestion delay and jitter must be non-negative');
    this.#random = mulberry32(options.seed ?? 1);
  }

  hasGroup(name: string): boolean {
    return this.#groups.has(name);
  }

  createGroup(name: string): void {
    if (!this.#groups.has(name)) this.#groups.set(name, { name, creationTime: this.now(), streams: new Map() });
  }

  createStream(group: string, stream: string): void {
    this.createGroup(group);
    const { streams } = this.#group(group);
    if (!streams.has(stream)) streams.set(stream, { name: stream, creationTime: this.now(), events: [] });
  }

  hasStream(group: string, stream: string): boolean {
    return this.#groups.get(group)?.streams.has(stream) ?? false;
  }

  /**
   * Puts one event into a stream (created if needed), as PutLogEvents does for the CodeBuild agent; it
   * becomes readable at its ingestionTime (see the header).
   */
  append(group: string, stream: string, message: string, at = this.now()): void {
    this.createStream(group, stream);
    // Timestamps and ingestion times are whole epoch milliseconds on the wire (Long).
    const timestamp = Math.floor(at);
    const { events } = this.#stream(group, stream);
    const delay = this.#delayMs + (this.#jitterMs > 0 ? Math.floor(this.#random() * this.#jitterMs) : 0);
    const previous = events.at(-1)?.ingestionTime ?? 0;
    events.push({ timestamp, message, ingestionTime: Math.max(previous, timestamp + delay) });
  }

  /**
   * A cursor over the events ingested into the matching streams after `after` (sandbox time): each call with
   * `upTo` returns, once each, the events ingested in (previous upTo, upTo], ordered by ingestionTime (put order
   * within a stream). Streams created later are picked up. What Live Tail sessions read.
   */
  tail(query: TailQuery, after: number): (upTo: number) => TailedEvent[] {
    const matches = compileFilterPattern(query.filterPattern);
    const cursors = new Map<LogStream, number>();
    return (upTo) => {
      this.beforeRead();
      const out: TailedEvent[] = [];
      for (const groupName of query.logGroupNames) {
        const group = this.#groups.get(groupName);
        if (group === undefined) continue;
        for (const stream of group.streams.values()) {
          if (query.logStreamNames !== undefined && !query.logStreamNames.includes(stream.name)) continue;
          if (query.logStreamNamePrefixes !== undefined && !query.logStreamNamePrefixes.some((prefix) => stream.name.startsWith(prefix))) continue;
          let index = cursors.get(stream);
          if (index === undefined) {
            index = 0;
            while (index < stream.events.length && (stream.events[index]?.ingestionTime ?? 0) <= after) index++;
          }
          for (; index < stream.events.length; index++) {
            const event = stream.events[index];
            if (event === undefined || event.ingestionTime > upTo) break;
            if (matches(event.message)) out.push({ ...event, logGroupName: group.name, logStreamName: stream.name });
          }
          cursors.set(stream, index);
        }
      }
      // Stable: events of one stream keep their put order.
      return out.sort((a, b) => a.ingestionTime - b.ingestionTime);
    };
  }

  /** Every event put into a stream, ingested or not, with its timestamp and ingestionTime (copies), for measurements. */
  events(group: string, stream: string): LogEvent[] {
    this.beforeRead();
    return (
      this.#groups
        .get(group)
        ?.streams.get(stream)
        ?.events.map((event) => ({ ...event })) ?? []
    );
  }

  /** Every message put into a stream, ingested or not, for assertions. */
  messages(group: string, stream: string): string[] {
    return this.events(group, stream).map((event) => event.message);
  }

  getLogEvents(query: GetLogEventsQuery): GetLogEventsPage {
    this.beforeRead();
    const stream = this.#stream(query.logGroupName, query.logStreamName);
    const limit = checkLimit(query.limit, MAX_EVENTS_PER_PAGE);
    const now = this.now();
    // Only ingested events: a prefix of the stream (see the header), so token indices stay stable.
    const events = stream.events.filter(
      (event) =>
        event.ingestionTime <= now &&
        (query.startTime === undefined || event.timestamp >= query.startTime) &&
        (query.endTime === undefined || event.timestamp < query.endTime),
    );
    let from: number;
    let to: number;
    if (query.nextToken !== undefined) {
      const match = TOKEN.exec(query.nextToken);
      if (match === null) throw new ServiceError(400, 'InvalidParameterException', 'The specified nextToken is invalid.');
      const index = Math.min(Number(match[2]), events.length);
      if (match[1] === 'f') {
        from = index;
        to = Math.min(events.length, index + limit);
      } else {
        to = index;
        from = Math.max(0, index - limit);
      }
    } else if (query.startFromHead === true) {
      from = 0;
      to = Math.min(events.length, limit);
    } else {
      to = events.length;
      from = Math.max(0, to - limit);
    }
    const page = events.slice(from, to);
    return {
      events: page.map((event) => ({ ...event })),
      // Forward past what was returned; with nothing new this is the token passed in (the end condition).
      nextForwardToken: forwardToken(to),
      nextBackwardToken: backwardToken(from),
    };
  }

  filterLogEvents(query: FilterQuery): { events: FilteredEvent[]; nextToken?: string } {
    this.beforeRead();
    const group = this.#group(query.logGroupName);
    const limit = checkLimit(query.limit, MAX_EVENTS_PER_PAGE);
    const matches = compileFilterPattern(query.filterPattern);
    const now = this.now();
    const all: FilteredEvent[] = [];
    for (const stream of group.streams.values()) {
      if (query.logStreamNames !== undefined && !query.logStreamNames.includes(stream.name)) continue;
      if (query.logStreamNamePrefix !== undefined && !stream.name.startsWith(query.logStreamNamePrefix)) continue;
      stream.events.forEach((event, index) => {
        if (event.ingestionTime > now) return;
        if (query.startTime !== undefined && event.timestamp < query.startTime) return;
        if (query.endTime !== undefined && event.timestamp > query.endTime) return;
        if (!matches(event.message)) return;
        all.push({ ...event, logStreamName: stream.name, eventId: `${stream.name}/${index}` });
      });
    }
    all.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
    const offset = query.nextToken === undefined ? 0 : decodeOffset(query.nextToken);
    const page = all.slice(offset, offset + limit);
    const next = offset + page.length;
    return next < all.length ? { events: page, nextToken: encodeOffset(next) } : { events: page };
  }

  #group(name: string): LogGroup {
    const group = this.#groups.get(name);
    if (group === undefined) throw new ServiceError(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    return group;
  }

  #stream(group: string, name: string): LogStream {
    const stream = this.#group(group).streams.get(name);
    if (stream === undefined) throw new ServiceError(400, 'ResourceNotFoundException', 'The specified log stream does not exist.');
    return stream;
  }
}

function checkLimit(limit: number | undefined, max: number): number {
  if (limit === undefined) return max;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new ServiceError(
      400,
      'InvalidParameterException',
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
  }
  return limit;
}

const encodeOffset = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64');

function decodeOffset(token: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  if (match === null) throw new ServiceError(400, 'InvalidParameterException', 'The specified nextToken is invalid.');
  return Number(match[1]);
}

/**
 * The unstructured subset of CloudWatch filter patterns: space-separated terms that must all appear,
 * `"quoted phrases"`, and `?term` alternatives (any of them). JSON and space-delimited patterns are not
 * modelled; gantry does not use them.
 */
export function compileFilterPattern(pattern: string | undefined): (message: string) => boolean {
  if (pattern === undefined || pattern.trim() === '') return () => true;
  const terms = [...pattern.matchAll(/(\?)?(?:"([^"]*)"|(\S+))/g)].map((match) => ({
    optional: match[1] === '?',
    text: match[2] ?? match[3] ?? '',
  }));
  const required = terms.filter((term) => !term.optional).map((term) => term.text);
  const anyOf = terms.filter((term) => term.optional).map((term) => term.text);
  return (message) => required.every((term) => message.includes(term)) && (anyOf.length === 0 || anyOf.some((term) => message.includes(term)));
}
