/**
 * Test-side control of a running sandbox, so that tests assert on what happened rather than on how long it
 * took:
 * - `controlClock`: move the sandbox clock forward at once, or hold it still. The sandbox evaluates every
 *   delay lazily against its clock (a version turns Active, an alias change becomes visible, a scripted build
 *   advances, a quota bucket refills), so jumping the clock is the same to it as waiting, minus the wait, and
 *   it happens exactly when the test says instead of whenever a loaded machine gets there.
 * - `intercept`: run code around one service's answers (count, hold, change state at a precise request).
 * - `until`: wait for a condition without a fixed sleep to tune.
 */
import type { SandboxClock } from '../../scripts/sandbox/clock.js';
import type { SandboxRequest, SandboxResponse, SandboxService } from '../../scripts/sandbox/protocol.js';

export interface ClockControl {
  /** Sandbox time jumps forward by `ms` (frozen or not). */
  advance(ms: number): void;
  /** Sandbox time stops: nothing becomes ready and no quota refills until `advance` or `resume`. */
  freeze(): void;
  /** Sandbox time runs again at the sandbox's speed, from where it stood. */
  resume(): void;
}

export function controlClock(clock: SandboxClock): ClockControl {
  const running = clock.now.bind(clock);
  let offset = 0;
  let frozenAt: number | undefined;
  clock.now = () => frozenAt ?? running() + offset;
  return {
    advance(ms) {
      if (frozenAt === undefined) offset += ms;
      else frozenAt += ms;
    },
    freeze() {
      frozenAt ??= running() + offset;
    },
    resume() {
      if (frozenAt === undefined) return;
      offset = frozenAt - running();
      frozenAt = undefined;
    },
  };
}

export type Answer = () => Promise<SandboxResponse>;

/**
 * Puts `around` between the sandbox server and `service`: it gets each request that passed faults and quota,
 * and returns the response (usually `answer()`'s, maybe after waiting or changing state). Returns the undo.
 */
export function intercept(
  service: SandboxService,
  around: (operation: string, request: SandboxRequest, answer: Answer) => Promise<SandboxResponse>,
): () => void {
  const original = service.handle;
  const bound = original.bind(service);
  service.handle = (operation, request) => around(operation, request, () => bound(operation, request));
  return () => {
    service.handle = original;
  };
}

/** The function a Lambda REST request names (`/2015-03-31/functions/{name}/...`). */
export const lambdaFunctionOf = (path: string): string => decodeURIComponent(path.split('/')[3] ?? '');

/**
 * Resolves once `condition()` holds, checking every `everyMs`; resolves false if `giveUpMs` passes first. The
 * give-up is only a guard against a hang (a regression), never what a passing test relies on.
 */
export async function until(condition: () => boolean, { everyMs = 2, giveUpMs = 60_000 }: { everyMs?: number; giveUpMs?: number } = {}): Promise<boolean> {
  const giveUpAt = performance.now() + giveUpMs;
  while (!condition()) {
    if (performance.now() > giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}
