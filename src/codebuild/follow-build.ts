/**
 * Follows a running CodeBuild build: streams its CloudWatch log into the job log, one collapsible group per
 * phase, and returns the finished build.
 *
 * The log comes by CloudWatch Logs Live Tail (pushed about once a second, two calls per build): a session on
 * the build's stream as soon as CodeBuild names it, one GetLogEvents read for what was written before the
 * session began (taken once the session's first lines are in, so that one page reaches them), and another
 * wherever the session cannot be trusted (a sampled update, a session that
 * ended and was reopened, the end of the build). When Live Tail is refused (no permission, the account's
 * session quota, an endpoint without it) the follower says so once and polls GetLogEvents instead.
 *
 * Calls are retried by the SDK clients' own retry strategy. When a call still fails with throttling or a
 * transient error, the follower keeps following, backing off and warning once per storm, until the build's
 * own timeout has passed; then it gives up (`abandoned`, naming the call), and the caller stops the build.
 */
import { setTimeout } from 'node:timers/promises';
import { type CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, type Build, type CodeBuildClient } from '@aws-sdk/client-codebuild';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { describeAwsError, OperationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isComplete } from './build-status.js';
import { LiveTailSession, liveTailRefusal, logGroupArn } from './live-tail.js';
import { type LogLine, LogPrinter } from './log-printer.js';
import { backoffDelay, DEFAULT_SCHEDULE, nextLogDelay, type PollSchedule, statusDelay } from './poll-schedule.js';
import type { LogMode } from './settings.js';

export type { LogLine } from './log-printer.js';

export interface FollowOptions {
  codebuild: CodeBuildClient;
  logs: CloudWatchLogsClient;
  /**
   * The client StartLiveTail is sent with (default: `logs`). Give it a client with `maxAttempts: 1`: the
   * account's session quota answers LimitExceededException, which the SDK's strategy counts as throttling
   * and would retry for a minute before the follower could fall back to polling.
   */
  liveTailLogs?: CloudWatchLogsClient;
  logger: Logger;
  /** Aborted when the workflow is cancelled: following stops and `cancelled` comes back. */
  signal: AbortSignal;
  schedule?: PollSchedule;
  /** `live-tail` (default), or `poll` to read the log with GetLogEvents only. */
  logMode?: LogMode;
  /** Called after each line is printed (the benchmark measures log latency here). */
  onLine?: (line: LogLine) => void;
  /** Called whenever a fresh view of the build arrives. */
  onBuild?: (build: Build) => void;
}

export type { LogMode } from './settings.js';

export type FollowResult =
  | { outcome: 'complete'; build: Build }
  | { outcome: 'cancelled'; build: Build }
  /**
   * The follower could not keep following (a call kept failing until the build's own timeout had passed):
   * `reason` names the call and the error. The build may still be running: the caller stops it.
   */
  | { outcome: 'abandoned'; build: Build; reason: string };

/** A drain reads at most this many pages even if the stream keeps answering (it should not). */
const MAX_DRAIN_PAGES = 100;
/** CodeBuild's default build timeout, for a build whose own is not known yet. */
const DEFAULT_TIMEOUT_MINUTES = 60;
/** Past the build's own timeout (queue and build), how long failing calls are still tried. */
const DEADLINE_MARGIN_MS = 5 * 60_000;

type FillKind = 'catch-up' | 'full';

interface LogNames {
  group: string;
  stream: string;
  groupArn: string | undefined;
}

/** A call that keeps failing transiently: when it began, how often, whether it was said. */
interface Storm {
  since: number;
  failures: number;
  last: string;
}

class GiveUp extends Error {}

export async function followBuild(started: Build, options: FollowOptions): Promise<FollowResult> {
  return new Follower(started, options).run();
}

class Follower {
  readonly #options: FollowOptions;
  readonly #schedule: PollSchedule;
  readonly #printer: LogPrinter;
  #build: Build;
  #names: LogNames | undefined;
  #mode: LogMode;
  #session: LiveTailSession | undefined;
  /**
   * Reading the log is needed: `catch-up` before a session's lines (what was written before it began; it may
   * stop where the session's first complete update starts), `full` to the stream's end (behind a sampled
   * update, at the end of the build).
   */
  #fillNeeded: FillKind | undefined = 'catch-up';
  #pollToken: string | undefined;
  /** Where polling starts reading (after a fallback from Live Tail: the newest printed line). */
  #pollFrom: number | undefined;
  #logDelay: number;
  #nextStatusAt: number;
  #nextLogAt = 0;
  #completeAt: number | undefined;
  #lastLineAt = Date.now();
  /** Following began (the build was started just before): the clock the give-up deadline runs on. */
  readonly #startedAt = Date.now();
  readonly #storms = new Map<string, Storm>();
  #wake: (() => void) | undefined;
  /** Each read and each session is its own source for the printer (it counts repeated lines per source). */
  #reads = 0;
  #sessions = 0;

  constructor(started: Build, options: FollowOptions) {
    this.#options = options;
    this.#schedule = options.schedule ?? DEFAULT_SCHEDULE;
    this.#build = started;
    this.#mode = options.logMode ?? 'live-tail';
    this.#logDelay = this.#schedule.logsActiveMs;
    this.#printer = new LogPrinter(options.logger, {
      onLine: (line) => {
        this.#lastLineAt = Date.now();
        options.onLine?.(line);
      },
      // Do not sit out a quiet-time status delay: the end is seconds away.
      onNearEnd: () => {
        this.#nextStatusAt = Math.min(this.#nextStatusAt, Date.now() + this.#schedule.statusEagerMs);
      },
    });
    this.#names = logNames(started);
    this.#nextStatusAt = Date.now() + this.#statusDelay();
  }

  async run(): Promise<FollowResult> {
    const { signal } = this.#options;
    try {
      for (;;) {
        if (signal.aborted) return { outcome: 'cancelled', build: this.#build };
        if (this.#completeAt === undefined && Date.now() >= this.#nextStatusAt) await this.#pollStatus();
        await this.#readLog();
        if (this.#completeAt !== undefined && this.#drained()) {
          // The agent's last line is in: nothing can be missing. Otherwise read the stream to its end.
          if (!this.#printer.sawLastLine || this.#fillNeeded !== undefined) await this.#fill('full');
          return { outcome: 'complete', build: this.#build };
        }
        await this.#sleep();
      }
    } catch (error) {
      if (signal.aborted) return { outcome: 'cancelled', build: this.#build };
      if (error instanceof GiveUp) return { outcome: 'abandoned', build: this.#build, reason: error.message };
      throw error;
    } finally {
      this.#session?.close();
      this.#printer.close();
    }
  }

  /** After completion: nothing more will come (the agent's last line is in, or the log has gone quiet). */
  #drained(): boolean {
    if (this.#printer.sawLastLine || this.#names === undefined) return true;
    const now = Date.now();
    const since = this.#completeAt ?? now;
    return now - since >= this.#schedule.drainMaxMs || now - Math.max(since, this.#lastLineAt) >= this.#schedule.drainQuietMs;
  }

  #statusDelay(): number {
    return statusDelay(this.#schedule, {
      streamFound: this.#names !== undefined,
      nearEnd: this.#printer.nearEnd,
      liveTail: this.#session !== undefined,
    });
  }

  async #pollStatus(): Promise<void> {
    const id = this.#build.id;
    if (id === undefined) throw new OperationError('the build has no id: cannot poll its status (StartBuild returned a build without one)');
    const answer = await this.#attempt('CodeBuild BatchGetBuilds', () =>
      this.#options.codebuild.send(new BatchGetBuildsCommand({ ids: [id] }), { abortSignal: this.#options.signal }),
    );
    if (answer === undefined) return;
    const fresh = answer.builds?.[0];
    if (fresh === undefined) throw new OperationError(`build ${id} disappeared: BatchGetBuilds no longer finds it`);
    this.#build = fresh;
    this.#names ??= logNames(fresh);
    this.#options.onBuild?.(fresh);
    if (isComplete(fresh)) this.#completeAt = Date.now();
    else this.#nextStatusAt = Date.now() + this.#statusDelay();
  }

  async #readLog(): Promise<void> {
    if (this.#names === undefined) return;
    if (this.#mode === 'live-tail') await this.#liveTail(this.#names);
    if (this.#mode === 'poll' && (Date.now() >= this.#nextLogAt || this.#completeAt !== undefined)) {
      const { gotLines } = await this.#page(this.#names);
      this.#logDelay = nextLogDelay(this.#schedule, this.#logDelay, gotLines);
      this.#nextLogAt = Date.now() + this.#logDelay;
    }
  }

  async #liveTail(names: LogNames): Promise<void> {
    if (this.#session?.ended !== undefined) {
      // Dropped or timed out (three hours at most): reopen, and read what came in between.
      if (this.#completeAt === undefined) this.#options.logger.info(`Live Tail session ended (${this.#session.ended}); reconnecting`);
      this.#session = undefined;
      this.#fillNeeded = 'catch-up';
    }
    if (this.#session === undefined && this.#completeAt === undefined) {
      if (names.groupArn === undefined) return this.#fallBack('the build names no log group ARN');
      const groupArn = names.groupArn;
      const client = this.#options.liveTailLogs ?? this.#options.logs;
      try {
        this.#session = await this.#attempt(
          'CloudWatch Logs StartLiveTail',
          () => LiveTailSession.open(client, { groupArn, stream: names.stream }, this.#options.signal, () => this.#wake?.()),
          liveTailRefusal,
        );
      } catch (error) {
        // Live Tail only makes the log faster: whatever keeps it from starting, polling still works.
        if (this.#options.signal.aborted) throw error;
        return this.#fallBack(describeAwsError(error));
      }
      if (this.#session === undefined) return;
      this.#sessions++;
      this.#nextStatusAt = Math.min(this.#nextStatusAt, Date.now() + this.#statusDelay());
    }
    // A session's lines come after what the fill read; a sampled update's are read again in full. Until the
    // fill has succeeded the session's lines wait: printing them first would leave the gap behind the newest.
    if (this.#catchUpWaiting()) return;
    if (this.#fillNeeded !== undefined) await this.#fill(this.#fillNeeded);
    if (this.#fillNeeded !== undefined) return;
    for (const batch of this.#session?.take() ?? []) {
      if (batch.sampled) {
        // Lines are missing from this update: read the stream to its end, which holds this update and every
        // one queued behind it (they are dropped here, not printed past the gap).
        this.#fillNeeded = 'full';
        break;
      }
      this.#printer.accept(`live-tail:${this.#sessions}`, batch.lines);
    }
    if (this.#fillNeeded !== undefined) await this.#fill(this.#fillNeeded);
  }

  /**
   * A catch-up waits (at most `catchUpWaitMs`) for the running session's first lines: one GetLogEvents page
   * that reaches them has read everything written before the session began, where a page read at once would
   * need a second, same-token page to prove the stream's end (three log calls per build instead of two).
   * Only the first session's: after a reconnect the gap is read at once, so sessions that keep dropping
   * before their first lines cannot hold the log back.
   */
  #catchUpWaiting(): boolean {
    const session = this.#session;
    if (this.#fillNeeded !== 'catch-up' || this.#sessions !== 1 || session === undefined || session.ended !== undefined) return false;
    if (session.firstTimestamp !== undefined || this.#completeAt !== undefined) return false;
    return Date.now() < session.openedAt + this.#schedule.catchUpWaitMs;
  }

  #fallBack(why: string): void {
    this.#mode = 'poll';
    // Polling reads on from what is printed, not the whole log again.
    this.#pollFrom = this.#printer.newest;
    this.#options.logger.info(`Live Tail is not available (${why}): following the log by polling GetLogEvents`);
  }

  /** Reads the stream from the newest printed line to its current end (a catch-up: until a running session has it). */
  async #fill(kind: FillKind): Promise<void> {
    if (this.#names === undefined) return;
    const names = this.#names;
    const startTime = this.#printer.newest;
    const source = `fill:${++this.#reads}`;
    let token: string | undefined;
    for (let page = 0; page < MAX_DRAIN_PAGES; page++) {
      // The same query on every page: a token is only good with the parameters it was issued for.
      const answer = await this.#getLogEvents(names, {
        startFromHead: true,
        ...(startTime === undefined ? {} : { startTime }),
        ...(token === undefined ? {} : { nextToken: token }),
      });
      if (answer === undefined) return;
      this.#printer.accept(source, answer.lines);
      if (answer.next === undefined || answer.next === token) break;
      // Caught up with a running session: it has the rest (reading on would chase a growing log).
      const sessionFrom = kind === 'catch-up' && this.#session?.ended === undefined ? this.#session?.firstTimestamp : undefined;
      if (sessionFrom !== undefined && (this.#printer.newest ?? 0) >= sessionFrom) break;
      token = answer.next;
      if (page === MAX_DRAIN_PAGES - 1) {
        this.#options.logger.warning(`the log of build ${this.#build.id ?? '?'} was read for ${MAX_DRAIN_PAGES} pages without reaching its end; following on`);
      }
    }
    this.#fillNeeded = undefined;
  }

  /** One page of the log for the poller, from where the last page ended. */
  async #page(names: LogNames): Promise<{ gotLines: boolean }> {
    let gotLines = false;
    for (let page = 0; page < (this.#completeAt === undefined ? 1 : MAX_DRAIN_PAGES); page++) {
      const answer = await this.#getLogEvents(names, {
        startFromHead: true,
        ...(this.#pollFrom === undefined ? {} : { startTime: this.#pollFrom }),
        ...(this.#pollToken === undefined ? {} : { nextToken: this.#pollToken }),
      });
      if (answer === undefined) return { gotLines };
      gotLines = this.#printer.accept('poll', answer.lines) > 0 || gotLines;
      const atEnd = answer.next === undefined || answer.next === this.#pollToken;
      this.#pollToken = answer.next ?? this.#pollToken;
      if (atEnd) break;
    }
    return { gotLines };
  }

  async #getLogEvents(
    names: LogNames,
    query: { startFromHead: boolean; startTime?: number; nextToken?: string },
  ): Promise<{ lines: LogLine[]; next: string | undefined } | undefined> {
    try {
      const page = await this.#attempt('CloudWatch Logs GetLogEvents', () =>
        this.#options.logs.send(new GetLogEventsCommand({ logGroupName: names.group, logStreamName: names.stream, ...query }), {
          abortSignal: this.#options.signal,
        }),
      );
      if (page === undefined) return undefined;
      return {
        lines: (page.events ?? []).map((event) => ({ timestamp: event.timestamp ?? Date.now(), message: event.message ?? '' })),
        next: page.nextForwardToken,
      };
    } catch (error) {
      // Named before the agent has created the stream: nothing to read yet.
      if (error instanceof ResourceNotFoundException) return { lines: [], next: undefined };
      throw error;
    }
  }

  /**
   * Runs a call. A throttled or transient failure (after the SDK's own retries) is a storm: warned once,
   * waited out with a growing delay, and given up only once the build's own timeout has passed.
   */
  async #attempt<T>(call: string, send: () => Promise<T>, final: (error: unknown) => boolean = () => false): Promise<T | undefined> {
    try {
      const result = await send();
      const storm = this.#storms.get(call);
      if (storm !== undefined) {
        this.#storms.delete(call);
        this.#options.logger.info(`${call} answers again after ${seconds(Date.now() - storm.since)}`);
      }
      return result;
    } catch (error) {
      if (this.#options.signal.aborted || final(error) || !stormError(error)) throw error;
      const now = Date.now();
      const storm = this.#storms.get(call) ?? { since: now, failures: 0, last: '' };
      storm.failures++;
      storm.last = describeAwsError(error);
      if (storm.failures === 1) {
        this.#storms.set(call, storm);
        this.#options.logger.warning(`${call} is failing for build ${this.#build.id ?? '?'} (${storm.last}); still following, with backoff`);
      }
      if (now > this.#deadline()) {
        throw new GiveUp(`${call} kept failing for ${seconds(now - storm.since)}, past build ${this.#build.id ?? '?'}'s own timeout: ${storm.last}`);
      }
      const delay = backoffDelay(this.#schedule, storm.failures);
      this.#nextStatusAt = Math.max(this.#nextStatusAt, now + delay);
      this.#nextLogAt = Math.max(this.#nextLogAt, now + delay);
      await setTimeout(delay, undefined, { signal: this.#options.signal });
      return undefined;
    }
  }

  /** When the build must be over by its own timeouts (queue and build), plus a margin: then failing calls end. */
  #deadline(): number {
    const minutes = (this.#build.queuedTimeoutInMinutes ?? 0) + (this.#build.timeoutInMinutes ?? DEFAULT_TIMEOUT_MINUTES);
    return this.#startedAt + (this.#schedule.giveUpAfterMs ?? minutes * 60_000 + DEADLINE_MARGIN_MS);
  }

  /** Until the next status poll, log poll or drain check, or until the session brings something. */
  async #sleep(): Promise<void> {
    const now = Date.now();
    const due = [this.#completeAt === undefined ? this.#nextStatusAt : now + 250];
    if (this.#mode === 'poll' && this.#names !== undefined) due.push(this.#nextLogAt);
    if (this.#mode === 'live-tail' && this.#session !== undefined) {
      due.push(now + this.#schedule.logsIdleMaxMs);
      if (this.#catchUpWaiting()) due.push(this.#session.openedAt + this.#schedule.catchUpWaitMs);
    }
    const wait = Math.max(0, Math.min(...due) - now);
    if (wait === 0) return;
    const woken = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    // Batches waiting behind a catch-up that still waits for the session's first lines do not end the sleep.
    if (this.#session?.waiting === true && !this.#catchUpWaiting()) return;
    // The timer is cancelled when the session wakes the follower first: left pending, it would keep the
    // process (the action's step) alive for up to its whole delay after the build is followed to its end.
    // (One listener on the cancel signal, added and removed here: AbortSignal.any would leave a dependant
    // signal behind on every sleep in Node 20.)
    const { signal } = this.#options;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const slept = new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      timer = globalThis.setTimeout(resolve, wait);
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([slept, woken]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      this.#wake = undefined;
    }
  }
}

/**
 * The build's log group and stream, once CodeBuild names them. Until the agent has created the stream,
 * CodeBuild answers without names (a `log-group:null` ARN, a deep link with `group=null`).
 */
function logNames(build: Build): LogNames | undefined {
  const group = build.logs?.groupName;
  const stream = build.logs?.streamName;
  if (group === undefined || stream === undefined || group === '' || stream === '' || group === 'null' || stream === 'null') return undefined;
  return { group, stream, groupArn: logGroupArn(build.logs?.cloudWatchLogsArn) };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

function stormError(error: unknown): boolean {
  const sdkError = error as Parameters<typeof isTransientError>[0];
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
}
