/**
 * Prints a build's log lines once each, in order, one collapsible group per phase, whichever way they
 * arrive: pushed by a Live Tail session, read with GetLogEvents to fill a gap (before a session started,
 * between two sessions, behind a sampled update), or polled. Pure apart from the logger it writes to.
 *
 * How a line is known to be printed already: one build's stream is written in time order, and every read
 * returns what it holds in that order, so a line older than the newest printed one was printed (each source
 * reads completely from where the printed log ends). Lines with the newest printed timestamp are counted per
 * source: a source's n-th occurrence of a line at that millisecond is new only if fewer than n were printed.
 * The one case this cannot tell apart: two identical lines in the same millisecond, the first of which only
 * a gap fill saw and the second only a session; the second is then taken for the first and not printed.
 */
import type { Logger } from '../logger.js';
import { phaseEntered, signalsNearEnd } from './build-status.js';

export interface LogLine {
  /** When CodeBuild wrote the line (epoch ms). */
  timestamp: number;
  message: string;
}

export interface LogPrinterHooks {
  /** After each printed line (the benchmark measures log latency here). */
  onLine?: (line: LogLine) => void;
  /** Once, when the log says the build is seconds from done. */
  onNearEnd?: () => void;
}

/** `[Container] … Phase complete: UPLOAD_ARTIFACTS State: …`: the last phase the agent logs. */
const LAST_PHASE_COMPLETE = /^\[Container\] \S+ \S+ Phase complete: UPLOAD_ARTIFACTS State: /;
const PHASE_CONTEXT = /^\[Container\] \S+ \S+ Phase context status code: /;

export class LogPrinter {
  #group: string | undefined;
  #newest: number | undefined;
  /** Lines printed at the newest timestamp, by text. */
  #printedAtNewest = new Map<string, number>();
  /** Lines each source delivered at the newest timestamp, by text. */
  #seenAtNewest = new Map<string, Map<string, number>>();
  #nearEnd = false;
  #lastPhaseComplete = false;
  #sawLastLine = false;
  #printed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly hooks: LogPrinterHooks = {},
  ) {}

  /** Timestamp of the newest printed line: where a gap fill starts reading. */
  get newest(): number | undefined {
    return this.#newest;
  }

  get printed(): number {
    return this.#printed;
  }

  get nearEnd(): boolean {
    return this.#nearEnd;
  }

  /** The newest printed line is the agent's last (the context line after UPLOAD_ARTIFACTS completes). */
  get sawLastLine(): boolean {
    return this.#sawLastLine;
  }

  /** Lines from one source (`source` names it: a session, a fill, the poller), in the order it read them. */
  accept(source: string, lines: Iterable<LogLine>): number {
    let count = 0;
    for (const line of lines) if (this.#acceptOne(source, line)) count++;
    return count;
  }

  /** Ends the open phase group. */
  close(): void {
    if (this.#group !== undefined) this.logger.endGroup();
    this.#group = undefined;
  }

  #acceptOne(source: string, line: LogLine): boolean {
    if (this.#newest !== undefined && line.timestamp < this.#newest) return false;
    if (this.#newest === undefined || line.timestamp > this.#newest) {
      this.#newest = line.timestamp;
      this.#printedAtNewest.clear();
      this.#seenAtNewest.clear();
    }
    const seen = this.#seenAtNewest.get(source) ?? new Map<string, number>();
    this.#seenAtNewest.set(source, seen);
    const occurrence = (seen.get(line.message) ?? 0) + 1;
    seen.set(line.message, occurrence);
    const printed = this.#printedAtNewest.get(line.message) ?? 0;
    if (occurrence <= printed) return false;
    this.#printedAtNewest.set(line.message, printed + 1);
    this.#print(line);
    return true;
  }

  #print(line: LogLine): void {
    const message = line.message.replace(/\r?\n$/, '');
    const phase = phaseEntered(message);
    if (phase !== undefined) {
      if (this.#group !== undefined) this.logger.endGroup();
      this.#group = phase;
      this.logger.startGroup(phase);
    } else {
      this.logger.output(message);
    }
    // Only while it is the newest line: the build's own output could print the same text earlier.
    this.#sawLastLine = this.#lastPhaseComplete && PHASE_CONTEXT.test(message);
    this.#lastPhaseComplete = LAST_PHASE_COMPLETE.test(message);
    this.#printed++;
    if (!this.#nearEnd && signalsNearEnd(message)) {
      this.#nearEnd = true;
      this.hooks.onNearEnd?.();
    }
    this.hooks.onLine?.(line);
  }
}
