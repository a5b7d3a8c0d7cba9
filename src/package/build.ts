/**
 * Builds a function's deployment package from source: runs the build command in the source directory, then
 * writes a byte-reproducible zip of the output directory (src/package/zip.ts) where terraform reads it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OperationError, UserError } from '../errors.js';
import type { Logger } from '../logger.js';
import { DEFAULT_NPM_COMMAND, type PackageBuild } from './settings.js';
import { directoryEntries, zipEntries } from './zip.js';

/** The reproducible-builds convention for "the time of the source": the zip's own fixed time, 1980-01-01. */
export const SOURCE_DATE_EPOCH = '315532800';

export interface BuiltPackage {
  function: string;
  /** Relative to the repository root. */
  output: string;
  sha256: string;
  bytes: number;
  /** Files and links in the zip (directories not counted). */
  files: number;
  /** The command that ran, if any. */
  command?: string;
}

export interface BuildOptions {
  /** The repository root: every path of the build is relative to it. */
  root: string;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Extra variables for the command (GANTRY_ENVIRONMENT, say). */
  commandEnv?: Record<string, string>;
}

export async function buildPackage(build: PackageBuild, options: BuildOptions): Promise<BuiltPackage> {
  const source = join(options.root, build.source);
  if (!isDirectory(source)) {
    throw new UserError(
      `function ${build.function}: its source ${build.source} is not a directory; set the function's build.source (functions/<name> unless set)`,
    );
  }
  const command = commandFor(build, source);
  if (command !== undefined) await runCommand(build, command, source, options);

  const directory = join(options.root, build.directory);
  if (!isDirectory(directory)) {
    throw new UserError(
      `function ${build.function}: ${build.directory} is not a directory${command === undefined ? '' : ` after "${command}"`}; check the function's build.directory`,
    );
  }
  const entries = await directoryEntries(directory, build.directory);
  const files = entries.filter((entry) => entry.kind !== 'directory').length;
  if (files === 0) throw new UserError(`function ${build.function}: ${build.directory} holds no file; a package needs its handler`);
  const zip = zipEntries(entries);
  const output = join(options.root, build.output);
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, zip);
  return {
    function: build.function,
    output: build.output,
    sha256: createHash('sha256').update(zip).digest('hex'),
    bytes: zip.length,
    files,
    ...(command === undefined ? {} : { command }),
  };
}

function commandFor(build: PackageBuild, source: string): string | undefined {
  switch (build.command.kind) {
    case 'shell':
      return build.command.command;
    case 'none':
      return undefined;
    case 'default':
      return existsSync(join(source, 'package-lock.json')) ? DEFAULT_NPM_COMMAND : undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `sh -c command` in the source directory; its output goes to the log line by line. */
async function runCommand(build: PackageBuild, command: string, cwd: string, options: BuildOptions): Promise<void> {
  options.logger.info(`${build.function}: ${build.source}$ ${command}`);
  const child = spawn('sh', ['-c', command], {
    cwd,
    env: { SOURCE_DATE_EPOCH, ...options.env, ...options.commandEnv, GANTRY_FUNCTION: build.function },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (stream: NodeJS.ReadableStream) => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.logger.output(line);
    });
    stream.on('end', () => {
      if (pending !== '') options.logger.output(pending);
    });
  };
  forward(child.stdout);
  forward(child.stderr);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => reject(new OperationError(`function ${build.function}: could not run "${command}"`, { cause: error })));
    child.on('close', (exitCode, signal) => resolve(signal === null ? exitCode : 128));
  });
  if (code !== 0) throw new UserError(`function ${build.function}: "${command}" in ${build.source} failed (exit ${code}); the package was not built`);
}
