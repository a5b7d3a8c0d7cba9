/**
 * Promotion order: environments chain through `after` into one line (dev → qa → prod). Pure.
 * Returns the order, or the first problem with the path it belongs to.
 */
export interface OrderProblem {
  path: string[];
  problem: string;
}

export function promotionOrder(after: ReadonlyMap<string, string | undefined>): { order: string[] } | OrderProblem {
  const names = [...after.keys()];
  for (const [name, previous] of after) {
    if (previous === undefined) continue;
    if (previous === name) return { path: ['environments', name, 'after'], problem: `an environment cannot come after itself` };
    if (!after.has(previous)) {
      return { path: ['environments', name, 'after'], problem: `unknown environment "${previous}"; expected one of ${names.join(', ')}` };
    }
  }
  const firsts = names.filter((name) => after.get(name) === undefined);
  const [first, second] = firsts;
  if (first === undefined) {
    const [start] = names;
    if (start === undefined) return { path: ['environments'], problem: 'expected at least one environment' };
    return {
      path: ['environments'],
      problem: `the promotion order is a cycle (${describeCycle(after, start)}); exactly one environment must have no "after"`,
    };
  }
  if (second !== undefined) {
    return {
      path: ['environments', second],
      problem: `more than one environment has no "after" (${firsts.join(', ')}), leaving a gap in the promotion order; set "after" on all but the first`,
    };
  }
  const next = new Map<string, string>();
  for (const [name, previous] of after) {
    if (previous === undefined) continue;
    const taken = next.get(previous);
    if (taken !== undefined) {
      return {
        path: ['environments', name, 'after'],
        problem: `"${taken}" already comes after "${previous}"; the promotion order must be a single chain`,
      };
    }
    next.set(previous, name);
  }
  const order: string[] = [];
  for (let current: string | undefined = first; current !== undefined; current = next.get(current)) order.push(current);
  // An environment the chain from the first one never reaches: its `after` links run into a cycle.
  const stranded = names.find((name) => !order.includes(name));
  if (stranded !== undefined) {
    return {
      path: ['environments', stranded, 'after'],
      problem: `the promotion order has a cycle (${describeCycle(after, stranded)}) unreachable from "${first}"`,
    };
  }
  return { order };
}

function describeCycle(after: ReadonlyMap<string, string | undefined>, start: string): string {
  const seen: string[] = [];
  let current: string | undefined = start;
  while (current !== undefined && !seen.includes(current)) {
    seen.push(current);
    current = after.get(current);
  }
  // `after` points backwards; write the cycle in promotion direction: "qa → prod → qa".
  const cycle = seen.slice(current === undefined ? 0 : seen.indexOf(current)).reverse();
  return [...cycle, cycle[0]].join(' → ');
}
