/**
 * Runs a CodeBuild buildspec (version 0.2) on this machine the way the CodeBuild agent does: every command
 * of every phase in one bash session, phases in CodeBuild's order with its skip rules, exported variables
 * read from the shell at the end, artifacts copied after a successful build. Used by `gantry buildspec run`
 * and by the sandbox's CodeBuild service.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { constants, homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout } from 'node:timers/promises';
import { OperationError, UserError } from '../errors.js';
import { type BuildspecArtifacts, type BuildspecPhase, PHASE_TYPES, type PhaseType, parseBuildspec } from './parse.js';

export { PHASE_TYPES, parseBuildspec };

import { globToRegExp } from '../glob.js';

export { globToRegExp } from '../glob.js';
export type { BuildspecArtifacts, BuildspecPhase, ParsedBuildspec, PhaseType } from './parse.js';

export type PhaseStatus = 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'IN_PROGRESS';

export interface PhaseResult {
  phaseType: PhaseType;
  phaseStatus: PhaseStatus;
  startTime: number;
  endTime?: number;
  contexts: { statusCode: string; message: string }[];
}

export interface BuildspecResult {
  status: 'SUCCEEDED' | 'FAILED' | 'STOPPED';
  phases: PhaseResult[];
  exportedVariables: { name: string; value: string }[];
  /** Paths copied into artifactsDir, relative to it. */
  artifacts: string[];
  /** Set when the artifacts could not be uploaded; CodeBuild then fails the UPLOAD_ARTIFACTS phase and the build. */
  artifactsError?: string;
}

export interface BuildspecLine {
  phase: PhaseType;
  text: string;
  stream: 'stdout' | 'stderr';
}

export interface BuildspecRunOptions {
  /** The buildspec's YAML text. */
  buildspec: string;
  /** Names the buildspec in error messages. */
  file?: string;
  /** The shell's starting directory and CODEBUILD_SRC_DIR. */
  sourceDir: string;
  /** Overrides the buildspec's env.variables, as StartBuild's environment overrides do. */
  env?: Record<string, string>;
  artifactsDir?: string;
  /** Epoch ms for phase times; Date.now by default. */
  now?: () => number;
  onLine?(line: BuildspecLine): void;
  /** Called when a phase starts (IN_PROGRESS) and when it ends. */
  onPhase?(phase: PhaseResult): void;
  /** Kills the shell; the current phase and the build end STOPPED. */
  signal?: AbortSignal;
}

export async function runBuildspec(options: BuildspecRunOptions): Promise<BuildspecResult> {
  const spec = parseBuildspec(options.buildspec, options.file);
  const now = options.now ?? Date.now;
  const sourceDir = resolve(options.sourceDir);
  // bash would report a missing cwd as "spawn bash ENOENT", which sends the reader looking for bash.
  if (!isDirectory(sourceDir)) throw new UserError(`source directory ${sourceDir} does not exist`);
  const { signal } = options;
  let current: PhaseType = 'INSTALL';
  const emit = (text: string, stream: 'stdout' | 'stderr') => options.onLine?.({ phase: current, text, stream });

  const workDir = mkdtempSync(join(tmpdir(), 'gantry-buildspec-'));
  const shell = new Shell({
    cwd: sourceDir,
    env: {
      // The build sees a clean environment, as in a CodeBuild container: nothing of the caller's leaks in.
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? homedir(),
      ...spec.env.variables,
      ...options.env,
      CODEBUILD_SRC_DIR: sourceDir,
      CODEBUILD_BUILD_SUCCEEDING: '1',
    },
    stateFile: join(workDir, 'state'),
    onLine: emit,
  });
  const stop = () => shell.kill();
  signal?.addEventListener('abort', stop, { once: true });
  // A stopped caller must not leave a build running behind it.
  process.once('exit', stop);

  const phases: PhaseResult[] = [];
  let failed = false;
  let stopped = false;
  try {
    for (const type of PHASE_TYPES) {
      current = type;
      const result: PhaseResult = { phaseType: type, phaseStatus: 'IN_PROGRESS', startTime: now(), contexts: [] };
      phases.push(result);
      options.onPhase?.(snapshot(result));
      const phase = spec.phases[type];
      const outcome = signal?.aborted === true ? 'STOPPED' : await runPhase(shell, phase, type, failed, signal, emit);
      if (outcome !== 'STOPPED' && outcome.length > 0) failed = true;
      result.phaseStatus = outcome === 'STOPPED' ? 'STOPPED' : outcome.length > 0 ? 'FAILED' : 'SUCCEEDED';
      if (outcome !== 'STOPPED') result.contexts = outcome;
      result.endTime = now();
      options.onPhase?.(snapshot(result));
      if (outcome === 'STOPPED') {
        stopped = true;
        break;
      }
      // A failed INSTALL or PRE_BUILD ends the build; a failed BUILD still gets its POST_BUILD.
      if (result.phaseStatus === 'FAILED' && phase.onFailure === 'ABORT' && (type === 'INSTALL' || type === 'PRE_BUILD')) break;
    }

    const exportedVariables = stopped ? [] : await readExported(shell, spec.env.exportedVariables, join(workDir, 'exported'));
    if (signal?.aborted === true) stopped = true;
    const status = stopped ? 'STOPPED' : failed ? 'FAILED' : 'SUCCEEDED';
    const artifacts =
      status === 'SUCCEEDED' && options.artifactsDir !== undefined && spec.artifacts !== undefined
        ? copyArtifacts(spec.artifacts, sourceDir, options.artifactsDir, emit)
        : [];
    if (status === 'SUCCEEDED' && options.artifactsDir !== undefined && spec.artifacts !== undefined && artifacts.length === 0) {
      // CodeBuild's words for it; the build fails in UPLOAD_ARTIFACTS.
      return { status: 'FAILED', phases, exportedVariables, artifacts, artifactsError: 'CLIENT_ERROR: no matching artifact paths found' };
    }
    return { status, phases, exportedVariables, artifacts };
  } finally {
    signal?.removeEventListener('abort', stop);
    process.removeListener('exit', stop);
    await shell.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function snapshot(phase: PhaseResult): PhaseResult {
  return { ...phase, contexts: phase.contexts.map((context) => ({ ...context })) };
}

type PhaseOutcome = 'STOPPED' | { statusCode: string; message: string }[];

async function runPhase(
  shell: Shell,
  phase: BuildspecPhase,
  type: PhaseType,
  buildFailing: boolean,
  signal: AbortSignal | undefined,
  emit: (text: string, stream: 'stdout' | 'stderr') => void,
): Promise<PhaseOutcome> {
  const contexts: { statusCode: string; message: string }[] = [];
  let failing = buildFailing;
  const markFailing = async () => {
    if (!failing) await shell.run('export CODEBUILD_BUILD_SUCCEEDING=0');
    failing = true;
  };
  if (buildFailing) await shell.run('export CODEBUILD_BUILD_SUCCEEDING=0');
  const runtimes = Object.entries(phase.runtimeVersions);
  if (type === 'INSTALL' && runtimes.length > 0) {
    emit(
      `runtime-versions ignored (${runtimes.map(([name, version]) => `${name}: ${version}`).join(', ')}): the local runner uses the tools on PATH`,
      'stdout',
    );
  }
  for (const block of [phase.commands, phase.finally]) {
    for (const command of block) {
      const status = await shell.run(command);
      if (signal?.aborted === true) return 'STOPPED';
      if (status !== 0) {
        contexts.push({ statusCode: 'COMMAND_EXECUTION_ERROR', message: `Error while executing command: ${command}. Reason: exit status ${status}` });
        await markFailing();
        break;
      }
    }
  }
  return contexts;
}

async function readExported(shell: Shell, names: string[], file: string): Promise<{ name: string; value: string }[]> {
  if (names.length === 0) return [];
  // NUL-separated: the one byte no variable's value can hold.
  await shell.run(`printf '%s\\0' ${names.map((name) => `"\${${name}-}"`).join(' ')} >${shellQuote(file)}`);
  const values = existsSync(file) ? readFileSync(file, 'utf8').split('\0') : [];
  return names.map((name, index) => ({ name, value: values[index] ?? '' }));
}

function copyArtifacts(
  artifacts: BuildspecArtifacts,
  sourceDir: string,
  artifactsDir: string,
  emit: (text: string, stream: 'stdout' | 'stderr') => void,
): string[] {
  const baseDir = resolve(sourceDir, artifacts.baseDirectory ?? '.');
  const patterns = artifacts.files.map(globToRegExp);
  const copied = new Set<string>();
  for (const file of listFiles(baseDir)) {
    if (!patterns.some((pattern) => pattern.test(file))) continue;
    const target = artifacts.discardPaths ? basename(file) : file;
    mkdirSync(dirname(join(artifactsDir, target)), { recursive: true });
    copyFileSync(join(baseDir, file), join(artifactsDir, target));
    copied.add(target);
  }
  if (copied.size === 0) emit(`artifacts: no file under ${baseDir} matches ${artifacts.files.join(', ')}`, 'stderr');
  return [...copied].sort();
}

/** Files under `dir`, as relative paths with "/"; symlinked directories are not followed (they may loop). */
function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...listFiles(join(dir, entry.name), relative));
    else if (entry.isFile() || (entry.isSymbolicLink() && isFile(join(dir, entry.name)))) files.push(relative);
  }
  return files;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

interface ShellOptions {
  cwd: string;
  env: Record<string, string>;
  /** Where the shell keeps its exported variables and directory, to rebuild the session after an `exit`. */
  stateFile: string;
  onLine(text: string, stream: 'stdout' | 'stderr'): void;
}

interface Pending {
  seq: number;
  status?: number;
  stderrDone: boolean;
  resolve(status: number): void;
  reject(error: Error): void;
}

/**
 * One bash session fed commands on stdin. After each command the shell prints a marker with its exit status
 * on stdout and a marker on stderr; the command is done once both arrived, so every line it wrote is
 * attributed before the next command starts.
 *
 * A command that runs `exit` ends the session (and what it left running in the background). CodeBuild treats
 * that as a failed command and carries on, so a new shell is started from the state saved after the last
 * command (exported variables and directory; unexported shell variables and functions are lost).
 */
class Shell {
  readonly #options: ShellOptions;
  readonly #marker = `__gantry_${randomBytes(8).toString('hex')}_`;
  #child: ChildProcessWithoutNullStreams | undefined;
  #closed: Promise<void> = Promise.resolve();
  #pending: Pending | undefined;
  #seq = 0;
  #started = false;
  #killed = false;

  constructor(options: ShellOptions) {
    this.#options = options;
  }

  run(command: string): Promise<number> {
    if (this.#killed) return Promise.resolve(128 + constants.signals.SIGKILL);
    const child = this.#child ?? this.#spawn();
    const seq = ++this.#seq;
    const marker = `${this.#marker}${seq}`;
    return new Promise<number>((resolvePending, reject) => {
      this.#pending = { seq, stderrDone: false, resolve: resolvePending, reject };
      // The command travels as data, so an unbalanced quote in it is an eval error, not a wedged parser.
      // fd 8 and 9 keep the markers flowing when a command redirects the shell's own stdout (exec >file).
      child.stdin.write(
        [
          `__gantry_cmd=${ansiQuote(command)}`,
          `{ eval "$__gantry_cmd"; } </dev/null 8>&- 9>&-`,
          `__gantry_status=$?`,
          `{ export -p; printf 'cd -- %q\\n' "$PWD"; } >${shellQuote(this.#options.stateFile)} 2>/dev/null`,
          `printf '%s:%s\\n' '${marker}' "$__gantry_status" >&8; printf '%s\\n' '${marker}' >&9`,
          '',
        ].join('\n'),
      );
    });
  }

  /** Kills the session and every process it started. */
  kill(): void {
    this.#killed = true;
    this.#killGroup();
  }

  async close(): Promise<void> {
    this.#killed = true;
    this.#killGroup();
    await this.#closed;
  }

  #spawn(): ChildProcessWithoutNullStreams {
    // Its own process group, so that stopping the build also stops what the commands left running.
    const child = spawn('bash', ['--noprofile', '--norc'], { cwd: this.#options.cwd, env: this.#options.env, detached: true, stdio: 'pipe' });
    this.#child = child;
    const streamsEnded = Promise.all([this.#readLines(child.stdout, 'stdout'), this.#readLines(child.stderr, 'stderr')]);
    child.stdin.on('error', () => {}); // EPIPE after an `exit`; the exit handler reports it.
    this.#closed = new Promise((resolveClosed) => {
      child.on('error', (error) => {
        this.#child = undefined;
        this.#pending?.reject(new OperationError(`cannot start bash for the buildspec: ${error.message}`, { cause: error }));
        this.#pending = undefined;
        resolveClosed();
      });
      child.on('exit', (code, signal) => {
        this.#killGroup(child);
        this.#child = undefined;
        // Let the last lines in the pipes arrive, but not wait on a daemon that escaped the process group.
        void Promise.race([streamsEnded, setTimeout(500)]).then(() => {
          const status = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
          const pending = this.#pending;
          this.#pending = undefined;
          pending?.resolve(status);
          resolveClosed();
        });
      });
    });
    const restore = this.#started ? `. ${shellQuote(this.#options.stateFile)} 2>/dev/null\n` : '';
    this.#started = true;
    child.stdin.write(`exec 8>&1 9>&2\n${restore}`);
    return child;
  }

  #killGroup(child = this.#child): void {
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  #readLines(stream: Readable, name: 'stdout' | 'stderr'): Promise<void> {
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += decoder.write(chunk);
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        this.#line(line, name);
      }
    });
    return new Promise((resolveEnded) => {
      stream.on('close', () => {
        buffer += decoder.end();
        if (buffer !== '') this.#line(buffer, name);
        buffer = '';
        resolveEnded();
      });
    });
  }

  #line(line: string, stream: 'stdout' | 'stderr'): void {
    const at = line.indexOf(this.#marker);
    if (at < 0) {
      if (!this.#killed) this.#options.onLine(line, stream);
      return;
    }
    // A command whose output lacks a final newline leaves it in front of the marker.
    if (at > 0 && !this.#killed) this.#options.onLine(line.slice(0, at), stream);
    const [seq, status] = line.slice(at + this.#marker.length).split(':');
    const pending = this.#pending;
    if (pending === undefined || Number(seq) !== pending.seq) return;
    if (stream === 'stdout') pending.status = Number(status);
    else pending.stderrDone = true;
    if (pending.status !== undefined && pending.stderrDone) {
      this.#pending = undefined;
      pending.resolve(pending.status);
    }
  }
}

/** Bash's $'...' quoting: any text, newlines included, as one word. */
function ansiQuote(value: string): string {
  return `$'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
