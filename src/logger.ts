/**
 * Logging port. The core writes through this interface only; the GitHub Actions implementation lives in
 * `actions-logger.ts` and the console one (CLI, demo, sandbox) here.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /**
   * A line of someone else's output (a build log), printed as it is. In Actions it can never act as a
   * workflow command (`::set-output`, `::add-mask`), whatever it contains.
   */
  output(line: string): void;
  /** Opens a collapsible group (a `::group::` in Actions); groups do not nest. */
  startGroup(title: string): void;
  endGroup(): void;
}

export interface ConsoleLoggerOptions {
  debug?: boolean;
  /** Where lines go; stderr by default so that stdout stays free for a command's result. */
  write?: (line: string) => void;
}

/** Plain-text logger for the CLI: groups become a heading and indented lines. */
export class ConsoleLogger implements Logger {
  readonly #debug: boolean;
  readonly #write: (line: string) => void;
  #indent = '';

  constructor(options: ConsoleLoggerOptions = {}) {
    this.#debug = options.debug ?? isDebugEnabled(process.env);
    this.#write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
  }

  debug(message: string): void {
    if (this.#debug) this.#lines('debug: ', message);
  }
  info(message: string): void {
    this.#lines('', message);
  }
  warning(message: string): void {
    this.#lines('warning: ', message);
  }
  error(message: string): void {
    this.#lines('error: ', message);
  }
  output(line: string): void {
    this.#write(`${this.#indent}${line}`);
  }
  startGroup(title: string): void {
    this.#write(`▸ ${title}`);
    this.#indent = '  ';
  }
  endGroup(): void {
    this.#indent = '';
  }

  #lines(prefix: string, message: string): void {
    for (const line of message.split('\n')) this.#write(`${this.#indent}${prefix}${line}`);
  }
}

/** Debug output is on with GANTRY_DEBUG=1, or when GitHub re-runs a job with debug logging (RUNNER_DEBUG=1). */
export function isDebugEnabled(env: NodeJS.ProcessEnv): boolean {
  return env.GANTRY_DEBUG === '1' || env.RUNNER_DEBUG === '1';
}

/** A logger that records lines, for tests of the core. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  debug(message: string): void {
    this.lines.push(`debug: ${message}`);
  }
  info(message: string): void {
    this.lines.push(message);
  }
  warning(message: string): void {
    this.lines.push(`warning: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
  output(line: string): void {
    this.lines.push(line);
  }
  startGroup(title: string): void {
    this.lines.push(`group: ${title}`);
  }
  endGroup(): void {
    this.lines.push('endgroup');
  }
}
