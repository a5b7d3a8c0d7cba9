/**
 * For a value the code knows is there but the types cannot prove (a map entry it just set, a regex group that
 * always matches, an SDK field AWS always fills): the value, or a clear Error naming what was missing.
 */
export function required<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}
