/**
 * The one reader for a file the user named (the config, a buildspec, a plan and its metadata): a missing or
 * unreadable file is a one-line UserError naming it, `<file>: file not found` or `<file>: cannot read the
 * file (EACCES)`, not a stack trace.
 *
 * A reader may confine the file to the workspace (the config an action or CLI command names: nothing outside the
 * checkout, such as /proc/self/environ, and no symbolic link out of it) and cap its size; each refusal is one
 * line naming the file and never shows any of its content.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UserError } from './errors.js';

export interface UserFileOptions {
  /** What to do about a missing file, after "file not found; ", e.g. `create it or point the config input at it`. */
  ifMissing?: string;
  /** Refuse a file, or the target of a symbolic link, outside this directory (see {@link workspaceRoot}). */
  workspace?: string;
  /** Refuse a file larger than this many bytes, before reading it. */
  maxBytes?: number;
  /** What the file is, for the size refusal: `a config file`. */
  kind?: string;
}

/** The workspace a file the user names must lie in: GITHUB_WORKSPACE in a workflow, else the current directory. */
export function workspaceRoot(env: NodeJS.ProcessEnv = process.env): string {
  const workspace = env.GITHUB_WORKSPACE;
  return resolve(workspace === undefined || workspace === '' ? process.cwd() : workspace);
}

export async function readUserFile(file: string, options: UserFileOptions = {}): Promise<string> {
  const path = options.workspace === undefined ? file : await confine(file, options.workspace);
  let handle: FileHandle | undefined;
  try {
    // No symbolic link at the last step: the path was resolved and checked just now. A FIFO must not block the
    // open before the size check refuses it (O_NONBLOCK changes nothing for a regular file).
    let flags = constants.O_RDONLY;
    if (options.workspace !== undefined) flags |= constants.O_NOFOLLOW;
    if (options.maxBytes !== undefined) flags |= constants.O_NONBLOCK;
    handle = await open(path, flags);
    if (options.maxBytes !== undefined) {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new UserError(`${file}: not a regular file`);
      if (stats.size > options.maxBytes) {
        throw new UserError(
          `${file}: the file is ${describeBytes(stats.size)}, over the ${describeBytes(options.maxBytes)} limit for ${options.kind ?? 'this file'}`,
        );
      }
    }
    return await handle.readFile('utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw userFileError(file, error, options);
  } finally {
    await handle?.close();
  }
}

/** The error for a user-named file that could not be read, for a caller that reads it another way (a stream). */
export function userFileError(file: string, error: unknown, options: UserFileOptions = {}): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const missing = options.ifMissing === undefined ? 'file not found' : `file not found; ${options.ifMissing}`;
  const problem = code === 'ENOENT' ? missing : `cannot read the file (${code ?? String(error)})`;
  return new UserError(`${file}: ${problem}`, { cause: error });
}

/**
 * The real path of `file` when it lies inside `workspace`, as written and once every symbolic link is followed;
 * otherwise a UserError. A missing file passes (the read then says it is missing).
 */
async function confine(file: string, workspace: string): Promise<string> {
  const root = await realpath(workspace).catch(() => resolve(workspace));
  const outside = `${file}: outside the workspace (${workspace}); gantry reads this file only from the repository checkout`;
  if (!isInside(resolve(workspace), resolve(file))) throw new UserError(outside);
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return file;
    throw userFileError(file, error);
  }
  if (!isInside(root, real)) {
    throw new UserError(`${file}: a symbolic link to a file outside the workspace (${workspace}); gantry reads this file only from the repository checkout`);
  }
  return real;
}

function isInside(directory: string, path: string): boolean {
  const rest = relative(directory, path);
  return rest !== '' && rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest);
}

function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}
