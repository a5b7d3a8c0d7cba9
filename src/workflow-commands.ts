/**
 * The runner's own mechanisms for talking back, written directly: workflow commands on stdout (`::error::`,
 * `::group::`, `::stop-commands::`) and the environment files (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`).
 *
 * Why not @actions/core: it is the same few lines of protocol, but importing it loads @actions/http-client
 * and undici (~430 KB minified) for an OIDC helper gantry never calls, and every action would pay that before
 * it could even say that an input is missing. The formats below follow @actions/core 3.0.1
 * (lib/command.js `escapeData`/`escapeProperty`, lib/file-command.js `prepareKeyValueMessage`) and GitHub's
 * "Workflow commands for GitHub Actions" reference.
 *
 * Lines end in \n: the runner reads them with .NET's ReadLine, which ends a line at \n on every platform, so
 * node:os is not loaded for its EOL. (ReadLine also ends one at a bare \r, which is why someone else's text is
 * never written as it is between gantry's commands: see {@link CommandStream}.)
 */
// randomUUID comes from the global Web Crypto object (Node 19+): importing node:crypto would cost every start.
import { appendFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Escapes a command's message, as the runner unescapes it (`%`, CR and LF). */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property's value (also `:` and `,`, which separate properties). */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export type CommandProperties = Record<string, string | number | undefined>;

/** `::command prop=value,…::message`, one line. */
export function formatCommand(command: string, message: string, properties: CommandProperties = {}): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${command}${props === '' ? '' : ` ${props}`}::${escapeData(message)}`;
}

/**
 * Could the runner read `text` as a workflow command? A command needs `::` (after white space the runner trims,
 * which includes U+0085 and the like, on any of the lines a \n or a bare \r starts) or `##[` (anywhere in a
 * line): text with neither is safe to print as it is. The check errs only towards printing a line inside
 * stop-commands.
 */
export function couldBeCommand(text: string): boolean {
  return text.includes('::') || text.includes('##[');
}

export interface CommandStreamOptions {
  /** Where text goes; stdout by default. */
  write?: (text: string) => void;
  /** A fresh stop-commands token; a random UUID by default. */
  newToken?: () => string;
  /** End an open stop-commands region when the process exits (the process's own stream does). */
  resumeAtExit?: boolean;
}

/**
 * stdout as the runner reads it: gantry's own workflow commands, gantry's own text, and text from elsewhere (a
 * build log) that must never act as a command, whatever it holds.
 *
 * Untrusted text goes out inside `::stop-commands::<token>` … `::<token>::` (GitHub's "Stopping and starting
 * workflow commands"): in between, the runner obeys nothing but `<token>`, in either command form, on any line
 * (actions/runner ActionCommandManager). Each region gets a fresh random token; a command of gantry's own (a
 * `::group::`, an annotation) ends the region first, so it is obeyed, and the next untrusted line opens a new
 * one. A line that contains the open region's token (compared without case, as the runner does) is never
 * printed inside that region: the region is ended and another opened with a token the line does not contain.
 */
export class CommandStream {
  readonly #write: (text: string) => void;
  readonly #newToken: () => string;
  readonly #resumeAtExit: boolean;
  #token: string | undefined;
  #exitHook = false;

  constructor(options: CommandStreamOptions = {}) {
    this.#write =
      options.write ??
      ((text) => {
        process.stdout.write(text);
      });
    this.#newToken = options.newToken ?? (() => globalThis.crypto.randomUUID());
    this.#resumeAtExit = options.resumeAtExit ?? false;
  }

  /** A workflow command line of gantry's own (formatCommand): the runner obeys it. */
  command(line: string): void {
    this.resume();
    this.#write(`${line}\n`);
  }

  /** Text of gantry's own; one the runner could read as a command goes out as untrusted text. */
  text(text: string): void {
    if (couldBeCommand(text)) this.untrusted(text);
    else this.#write(`${text}\n`);
  }

  /** Someone else's text, printed as it is; the runner obeys nothing in it. */
  untrusted(text: string): void {
    const folded = text.toLowerCase();
    if (this.#token !== undefined && folded.includes(this.#token)) this.resume();
    if (this.#token === undefined) {
      let token = this.#newToken().toLowerCase();
      for (let attempt = 0; token === '' || folded.includes(token); attempt++) {
        if (attempt >= 10) throw new Error('could not draw a stop-commands token that the text does not contain');
        token = this.#newToken().toLowerCase();
      }
      this.#write(`::stop-commands::${token}\n`);
      this.#token = token;
      if (this.#resumeAtExit && !this.#exitHook) {
        this.#exitHook = true;
        process.once('exit', () => this.resume());
      }
    }
    this.#write(`${text}\n`);
  }

  /** Ends the open stop-commands region, if any: the runner obeys commands again. */
  resume(): void {
    const token = this.#token;
    if (token === undefined) return;
    this.#token = undefined;
    this.#write(`::${token}::\n`);
  }
}

/**
 * The process's stdout, where the runner reads commands; every command gantry issues goes through it. One per
 * process: an action's entry and the work it imports each carry a copy of this module (scripts/bundle.ts), and
 * both must see the same open stop-commands region.
 */
export const stdout: CommandStream = processStdout();

function processStdout(): CommandStream {
  const shared = globalThis as { [key: symbol]: CommandStream | undefined };
  const key = Symbol.for('gantry.stdout');
  shared[key] ??= new CommandStream({ resumeAtExit: true });
  return shared[key];
}

/** Writes a workflow command to stdout, where the runner reads it. */
export function issueCommand(command: string, message: string, properties?: CommandProperties): void {
  stdout.command(formatCommand(command, message, properties));
}

/**
 * Sets a step output through the GITHUB_OUTPUT file (a heredoc with a random delimiter, so a value can hold
 * newlines and never ends the heredoc early). Outside a runner there is no file; the output is then written as
 * the deprecated `::set-output` command, which is what a local run of the action shows.
 */
export function setOutput(name: string, value: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_OUTPUT;
  if (file === undefined || file === '') {
    process.stdout.write('\n');
    issueCommand('set-output', value, { name });
    return;
  }
  const delimiter = `ghadelimiter_${globalThis.crypto.randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`output ${name} contains the heredoc delimiter`);
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`, 'utf8');
}

/** Appends Markdown to the job summary; outside a runner (no GITHUB_STEP_SUMMARY) there is nowhere to write it. */
export function appendSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === '') return;
  appendFileSync(file, `${markdown}\n`, 'utf8');
}

/** A place in a file of the repository, as a config error names it. */
export interface AnnotationLocation {
  file: string;
  line?: number;
  column?: number;
}

/**
 * The properties that pin an annotation to a line of a file (`file`, `line`, `col`), so that GitHub shows it on
 * that line of the pull request's diff and in the run's summary. `file` is relative to `workspace`, the
 * repository root, with `/` separators, as GitHub wants it; a relative location is read from the current
 * directory, as the file itself was. None for a location without a line, or for a file outside the workspace:
 * GitHub could place neither, and the message names the file anyway.
 */
export function annotationAt(location: AnnotationLocation, workspace: string): CommandProperties {
  if (location.line === undefined) return {};
  const file = relative(resolve(workspace), resolve(location.file));
  if (file === '' || file === '..' || file.startsWith(`..${sep}`) || isAbsolute(file)) return {};
  return { file: file.split(sep).join('/'), line: location.line, col: location.column };
}

/** Fails the step: an error annotation (at a file and line when given) and exit code 1 once the process ends. */
export function setFailed(message: string, properties?: CommandProperties): void {
  process.exitCode = 1;
  issueCommand('error', message, properties);
}
