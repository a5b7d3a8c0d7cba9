/**
 * One token-bucket rate limiter for every Lambda call of a run, installed as SDK middleware right after the
 * retry middleware: every attempt, first tries and retries alike, takes a token before it is signed and sent.
 * Waiters are served first come, first served (listings first), so calls go out in the order they were issued.
 *
 * Throttling (429) is not retried here: the SDK's retry strategy does that (in `standard` mode), and its
 * retries come back through this bucket like any other attempt. The bucket is the only client-side rate
 * limiter: the SDK's `adaptive` mode has one too, and measured together they fight (each 429 makes both back
 * off; see the version-prune benchmark). The bucket adapts instead: a 429 (another caller shares the
 * account's quota, or the service is busy) slows it to 70% of its rate, at most once per second's worth of its
 * own tokens, so a storm of 429s keeps slowing it down, to 10% of the configured rate at the least; each token
 * granted gives back 0.15 requests/s, so once the 429s stop it climbs back to the configured rate (15% of its
 * rate per second: from 70% within about 2.5 s, from 10% within about 15 s).
 *
 * Optionally the client also bounds its calls in flight (p-limit, first come first served), so that only
 * about half a second of work waits at the bucket: a request is built and signed right before its turn (not
 * thousands up front), a function's re-read stays close to its deletes, and memory stays flat. That bound
 * never limits the rate; the bucket does that alone.
 *
 * Stopping the limiter ends the client's calls quickly without losing track of any: a call waiting for a
 * token, or waiting in the SDK's backoff between two attempts, fails at once with the stop's reason (it
 * sends nothing more); an attempt already sent is waited for, and if it fails in a way the SDK would retry
 * (`retryable`), the call fails with the stop's reason instead of being retried. So after a stop nothing new
 * reaches the service, and every call that did reach it has its answer.
 *
 * This module loads nothing of the SDK (an action's inputs module imports the quota from here); the caller
 * passes the SDK's error classification in.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import pLimit from 'p-limit';

/** Lambda's control-plane quota: requests per second per account and region, shared by every control-plane call. */
export const LAMBDA_CONTROL_PLANE_RATE = 15;

export interface RateLimiterOptions {
  /** Tokens per second: the Lambda control-plane quota (15 per account and region) by default. */
  ratePerSecond: number;
  /**
   * Most tokens saved up while idle. A little above 1 absorbs timer lateness at high rates without letting a
   * burst exceed what the service's own bucket tolerates. Default: 20 ms of tokens, between 1 and 5.
   */
  burst?: number;
  /** Milliseconds, monotonic; tests pass a fake. */
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** First in, first out, O(1) at both ends. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  drain(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }
}

/** After a 429: the rate drops to this share of what it was... */
const THROTTLE_DECREASE = 0.7;
/** ...never below this share of the configured rate... */
const MIN_RATE_SHARE = 0.1;
/** ...and climbs back by this much (requests/s) per token granted: 30% of any rate in 2 s of that rate. */
const RECOVERY_PER_TOKEN = 0.15;

export class TokenBucketLimiter {
  /** The configured rate: the ceiling. */
  readonly ceiling: number;
  #rate: number;
  #sinceDecrease = Number.POSITIVE_INFINITY;
  readonly burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  /** Waiting callers: `urgent` ones (listings, whose answers unlock more work) are served first. */
  readonly #queues = { urgent: new Fifo<Waiter>(), normal: new Fifo<Waiter>() };
  #timer: NodeJS.Timeout | undefined;
  #stopped: unknown;
  readonly #onStop = new Set<(reason: unknown) => void>();
  #lowest: number;
  /** Tokens handed out so far. */
  granted = 0;

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError(`rate must be positive, got ${options.ratePerSecond}`);
    this.ceiling = options.ratePerSecond;
    this.#rate = options.ratePerSecond;
    this.#lowest = options.ratePerSecond;
    this.burst = options.burst ?? Math.min(5, Math.max(1, Math.floor(options.ratePerSecond * 0.02)));
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = 1;
    this.#last = this.#now();
  }

  /** The rate now: the ceiling, or less for a while after a 429. */
  get ratePerSecond(): number {
    return this.#rate;
  }

  /** The lowest rate it went down to so far (the ceiling when no 429 ever came). */
  get lowestRate(): number {
    return this.#lowest;
  }

  /** A 429 came back: slow down (at most once per second's worth of tokens). */
  onThrottle(): void {
    if (this.#sinceDecrease < this.#rate) return;
    this.#refill();
    this.#rate = Math.max(this.ceiling * MIN_RATE_SHARE, this.#rate * THROTTLE_DECREASE);
    this.#lowest = Math.min(this.#lowest, this.#rate);
    this.#sinceDecrease = 0;
  }

  #granted(): void {
    this.granted++;
    this.#sinceDecrease++;
    if (this.#rate < this.ceiling) this.#rate = Math.min(this.ceiling, this.#rate + RECOVERY_PER_TOKEN);
  }

  /** Callers waiting for a token. */
  get queued(): number {
    return this.#queues.urgent.length + this.#queues.normal.length;
  }

  /**
   * Resolves when a token is granted; rejects with the stop reason once the limiter is stopped. `urgent`
   * callers go before every normal one (first come, first served within each class).
   */
  acquire(urgent = false): Promise<void> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped);
    if (this.queued === 0) {
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        this.#granted();
        return Promise.resolve();
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.#queues[urgent ? 'urgent' : 'normal'].push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Refuses every waiting and future caller with `reason`. */
  stop(reason: unknown): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = reason;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiting = [...this.#queues.urgent.drain(), ...this.#queues.normal.drain()];
    for (const waiter of waiting) waiter.reject(reason);
    const listeners = [...this.#onStop];
    this.#onStop.clear();
    for (const listener of listeners) listener(reason);
  }

  get stopped(): boolean {
    return this.#stopped !== undefined;
  }

  /** What the limiter was stopped with; undefined while it runs. */
  get stopReason(): unknown {
    return this.#stopped;
  }

  /**
   * `work`'s outcome, or a rejection with the stop's reason as soon as the limiter stops at a moment when
   * `detachable()` holds (checked once, when it stops). Work left behind is never waited for again.
   */
  unlessStopped<T>(work: Promise<T>, detachable: () => boolean): Promise<T> {
    if (this.#stopped !== undefined && detachable()) {
      work.catch(() => undefined);
      return Promise.reject(this.#stopped);
    }
    return new Promise<T>((resolve, reject) => {
      const listener = (reason: unknown) => {
        if (detachable()) reject(reason);
      };
      this.#onStop.add(listener);
      const forget = () => this.#onStop.delete(listener);
      work.then(
        (value) => {
          forget();
          resolve(value);
        },
        (error: unknown) => {
          forget();
          reject(error);
        },
      );
    });
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#refill();
    const wait = this.#tokens >= 1 ? 0 : ((1 - this.#tokens) / this.#rate) * 1000;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#release();
    }, wait);
  }

  #release(): void {
    this.#refill();
    while (this.#tokens >= 1) {
      const waiter = this.#queues.urgent.shift() ?? this.#queues.normal.shift();
      if (waiter === undefined) break;
      this.#tokens -= 1;
      this.#granted();
      waiter.resolve();
    }
    if (this.queued > 0) this.#schedule();
  }
}

/** Calls in flight or waiting at the limiter: about half a second of work at `ratePerSecond`. */
export function inFlightFor(ratePerSecond: number): number {
  return Math.max(4, Math.ceil(ratePerSecond / 2));
}

/** What the middleware saw, attempt by attempt. */
export interface CallStats {
  /** HTTP attempts sent (retries included). */
  attempts: number;
  /** Attempts answered 429 (and retried by the SDK when attempts were left). */
  throttled: number;
  /** Attempts answered with another error (5xx, resets, conflicts...). */
  errors: number;
}

export interface LimitClientOptions {
  /**
   * Calls issued but not finished, at most (see {@link inFlightFor}); a call keeps its slot through its
   * retries. Unbounded when absent.
   */
  inFlight?: number;
  /**
   * Whether the SDK's retry strategy would retry an attempt that failed with this error; once the limiter is
   * stopped such an attempt ends its call instead. Throttling only, when absent.
   */
  retryable?: (error: unknown) => boolean;
}

const MIDDLEWARE_NAME = 'gantryRateLimiter';
const IN_FLIGHT_MIDDLEWARE_NAME = 'gantryInFlight';
type StackMiddleware = Parameters<LambdaClient['middlewareStack']['addRelativeTo']>[0];

/** One call's state, shared by its two middlewares through the handler context. */
interface CallState {
  /** An attempt has its token and is with the service (sent, or being signed and sent). */
  onWire: boolean;
}
const CALL_STATE = Symbol('gantryCallState');
type CallContext = { commandName?: string; [CALL_STATE]?: CallState };

/**
 * Puts every attempt of `client` through `limiter`, between the retry middleware and signing (a request is
 * signed when it is about to leave, never before a wait in the queue), and with `inFlight` bounds its calls
 * in flight. Once the limiter is stopped, calls end as the module comment says. Returns the client's running
 * counts.
 */
export function limitClient(client: LambdaClient, limiter: TokenBucketLimiter, options: LimitClientOptions = {}): CallStats {
  const stats: CallStats = { attempts: 0, throttled: 0, errors: 0 };
  const retryable = options.retryable ?? isThrottle;
  const middleware = (next: (args: object) => Promise<unknown>, context: CallContext) => async (args: object) => {
    // Listings go first: each page or alias list unlocks more work (the next page, a function's deletes), so
    // the queue never waits on a chain of pages stuck behind it.
    await limiter.acquire(context.commandName?.startsWith('List') === true);
    const call = context[CALL_STATE];
    if (call !== undefined) call.onWire = true;
    stats.attempts++;
    try {
      return await next(args);
    } catch (error) {
      if (isThrottle(error)) {
        stats.throttled++;
        limiter.onThrottle();
      } else stats.errors++;
      // After a stop, an attempt the SDK would retry is not: the call ends with the stop's reason.
      if (limiter.stopped && retryable(error)) throw limiter.stopReason;
      throw error;
    } finally {
      if (call !== undefined) call.onWire = false;
    }
  };
  client.middlewareStack.addRelativeTo(middleware as StackMiddleware, {
    name: MIDDLEWARE_NAME,
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    override: true,
  });
  // First of all middleware, where `send` is called: slots (if bounded) go in the order the calls were made,
  // and a stop ends at once a call that has nothing with the service (queued, or in the SDK's backoff).
  const slots = options.inFlight === undefined ? undefined : pLimit(options.inFlight);
  const outer = (next: (args: object) => Promise<unknown>, context: CallContext) => (args: object) => {
    const run = () => {
      const call: CallState = { onWire: false };
      context[CALL_STATE] = call;
      return limiter.unlessStopped(next(args), () => !call.onWire);
    };
    return slots === undefined ? run() : slots(run);
  };
  client.middlewareStack.add(outer as never, { step: 'initialize', priority: 'high', name: IN_FLIGHT_MIDDLEWARE_NAME, override: true });
  return stats;
}

export function isThrottle(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.$metadata?.httpStatusCode === 429 || e?.name === 'TooManyRequestsException' || e?.name === 'ThrottlingException';
}
