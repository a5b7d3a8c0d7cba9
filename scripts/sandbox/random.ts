/**
 * Seeded randomness for the sandbox: the same seed gives the same sequence, so a fault rate or weighted
 * alias routing replays identically from run to run.
 */

/** mulberry32: a small, fast 32-bit generator; returns numbers in [0, 1). Not for anything secret. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
