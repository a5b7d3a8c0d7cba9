/**
 * Token buckets per quota, in sandbox time. A request that finds its bucket empty is throttled with the
 * service's real throttling error; the bucket refills continuously at `ratePerSecond` up to `burst`.
 */
import type { SandboxClock } from './clock.js';

export interface QuotaSpec {
  ratePerSecond: number;
  /** Bucket size; defaults to one second's worth. */
  burst?: number;
}

export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly burst: number;

  constructor(
    readonly spec: QuotaSpec,
    private readonly clock: SandboxClock,
  ) {
    this.burst = spec.burst ?? spec.ratePerSecond;
    this.#tokens = this.burst;
    this.#last = clock.now();
  }

  /** Takes one token; false when the bucket is empty (the request is throttled). */
  take(): boolean {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.spec.ratePerSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Empties the bucket: the next requests are throttled until it refills (a throttling burst). */
  drain(): void {
    this.take();
    this.#tokens = Math.min(this.#tokens, 0);
  }
}

export class Quotas {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(private readonly clock: SandboxClock) {}

  /** Defines or redefines a quota; the bucket starts full. */
  set(name: string, spec: QuotaSpec): void {
    this.#buckets.set(name, new TokenBucket(spec, this.clock));
  }

  get(name: string): TokenBucket | undefined {
    return this.#buckets.get(name);
  }

  /** True when the request may proceed; a quota nobody defined never throttles. */
  take(name: string | undefined): boolean {
    if (name === undefined) return true;
    return this.#buckets.get(name)?.take() ?? true;
  }
}
