/**
 * Injectable faults, matched by service and operation. Tests add a rule; the server applies the first rule
 * that matches a request before the service sees it.
 */
import { mulberry32 } from './random.js';

export type FaultKind =
  /** An internal error: the service's 5xx with its real error body. */
  | 'server-error'
  /** The connection is closed without a response (the SDK sees ECONNRESET). */
  | 'reset'
  /** The request is answered normally, after `latencyMs` of sandbox time. */
  | 'latency'
  /** The service's throttling error (Lambda: 429 TooManyRequestsException). */
  | 'throttle'
  /**
   * IAM denies the caller the operation: the service's AccessDeniedException as the real service sends it
   * (AWS JSON 1.1: HTTP 400 with `__type` and IAM's "is not authorized to perform" message). A test uses it for
   * a role without a permission, e.g. `{ service: 'logs', operation: 'StartLiveTail', kind: 'access-denied' }`.
   */
  | 'access-denied';

export interface FaultRule {
  service: string;
  /** Operation name as the SDK names it (`DeleteFunction`, `StartBuild`), or `*`. GitHub: `METHOD /path/template`. */
  operation: string;
  kind: FaultKind;
  /** Fraction of matching requests affected (0 to 1); default 1. */
  rate?: number;
  /** Stop after affecting this many requests; unlimited when absent. */
  times?: number;
  /** For 'latency'. */
  latencyMs?: number;
  /** For 'server-error': the status (500 by default; 502, 503 and 504 also make sense). */
  status?: number;
}

interface ActiveRule extends FaultRule {
  hits: number;
}

export class Faults {
  #rules: ActiveRule[] = [];
  /** Deterministic by default so that a failing test fails the same way again. */
  #random: () => number;

  constructor(seed = 1) {
    this.#random = mulberry32(seed);
  }

  add(rule: FaultRule): () => void {
    const active = { ...rule, hits: 0 };
    this.#rules.push(active);
    return () => {
      this.#rules = this.#rules.filter((candidate) => candidate !== active);
    };
  }

  clear(): void {
    this.#rules = [];
  }

  /** The fault to apply to this request, if any; counts the hit. */
  pick(service: string, operation: string): FaultRule | undefined {
    for (const rule of this.#rules) {
      if (rule.service !== service || (rule.operation !== '*' && rule.operation !== operation)) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if (this.#random() >= (rule.rate ?? 1)) continue;
      rule.hits++;
      return rule;
    }
    return undefined;
  }
}
