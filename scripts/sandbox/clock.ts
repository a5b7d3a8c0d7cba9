/**
 * The sandbox clock. Sandbox time runs `speed` times faster than real time, so a benchmark can exercise a
 * 15 requests/s quota or a 2-minute provisioning delay in a fraction of the wall time. Everything in the
 * sandbox that waits or measures (quotas, version states, builds, log timestamps and ingestion, Live Tail
 * updates and session timeouts) uses this clock, and a benchmark hands it to gantry's core where the core
 * takes a clock (the warmup's `WarmupClock`).
 *
 * Only code in this process can run on it. A client in another process (a bundled action, the CLI, a
 * buildspec step) sleeps in real time: its backoff, its poll interval and its SDK retry delays do not speed up,
 * so at a speed above 1 the sandbox's delays shrink while the client's do not, and every latency, call count
 * or lag measured across the process boundary is distorted. Cross-process measurements must run at clock
 * speed 1 (`clockSpeed: 1`); a speed above 1 is only for a client that is given this clock.
 */
import { setTimeout } from 'node:timers/promises';

export class SandboxClock {
  readonly #realStart = performance.now();
  readonly #epochStart: number;

  constructor(
    readonly speed: number = 1,
    epochStart: number = Date.now(),
  ) {
    if (!(speed > 0)) throw new Error(`clock speed must be positive, got ${speed}`);
    this.#epochStart = epochStart;
  }

  /** Sandbox time in epoch milliseconds. */
  now(): number {
    return this.#epochStart + (performance.now() - this.#realStart) * this.speed;
  }

  /** Resolves after `ms` of sandbox time; rejects once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return setTimeout(Math.max(0, ms / this.speed), undefined, { signal });
  }

  /** Real milliseconds that `ms` of sandbox time takes. */
  toReal(ms: number): number {
    return ms / this.speed;
  }
}
