/**
 * The CloudWatch Logs model: groups of streams of events, and the paging rules of GetLogEvents.
 *
 * GetLogEvents tokens point between events. Reading forward from a token returns the events after it and a
 * `nextForwardToken` past the last one returned; at the end of the stream the token returned is the token
 * passed in. That "same token" answer is the only end-of-stream signal the real API gives, and a live
 * follower (the build log streamer) depends on it, so the sandbox keeps it exactly.
 */
import { ServiceError } from '../protocol.js';

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

export class LogsStore {
  readonly #groups = new Map<string, LogGroup>();
  /** Called before every read, so a service that produces logs lazily (scripted builds) can catch up. */
  beforeRead: () => void = () => {};

  constructor(private readonly now: () => number) {}

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

  /** Appends lines to a stream (created if needed); one event per line, as the CodeBuild agent writes them. */
  append(group: string, stream: string, message: string, timestamp = this.now()): void {
    this.createStream(group, stream);
    const { events } = this.#stream(group, stream);
    events.push({ timestamp, message, ingestionTime: Math.max(timestamp, this.now()) });
  }

  /** Every message of a stream, for assertions. */
  messages(group: string, stream: string): string[] {
    this.beforeRead();
    return (
      this.#groups
        .get(group)
        ?.streams.get(stream)
        ?.events.map((event) => event.message) ?? []
    );
  }

  getLogEvents(query: GetLogEventsQuery): GetLogEventsPage {
    this.beforeRead();
    const stream = this.#stream(query.logGroupName, query.logStreamName);
    const limit = checkLimit(query.limit, MAX_EVENTS_PER_PAGE);
    const events = stream.events.filter(
      (event) => (query.startTime === undefined || event.timestamp >= query.startTime) && (query.endTime === undefined || event.timestamp < query.endTime),
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
    const all: FilteredEvent[] = [];
    for (const stream of group.streams.values()) {
      if (query.logStreamNames !== undefined && !query.logStreamNames.includes(stream.name)) continue;
      if (query.logStreamNamePrefix !== undefined && !stream.name.startsWith(query.logStreamNamePrefix)) continue;
      stream.events.forEach((event, index) => {
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
