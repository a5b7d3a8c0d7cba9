/**
 * The one reader for a file the user named (the config, a buildspec, a plan and its metadata): a missing or
 * unreadable file is a one-line UserError naming it, `<file>: file not found` or `<file>: cannot read the
 * file (EACCES)`, not a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from './errors.js';

export interface UserFileOptions {
  /** What to do about a missing file, after "file not found; ", e.g. `create it or point the config input at it`. */
  ifMissing?: string;
}

export async function readUserFile(file: string, options: UserFileOptions = {}): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw userFileError(file, error, options);
  }
}

/** The error for a user-named file that could not be read, for a caller that reads it another way (a stream). */
export function userFileError(file: string, error: unknown, options: UserFileOptions = {}): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const missing = options.ifMissing === undefined ? 'file not found' : `file not found; ${options.ifMissing}`;
  const problem = code === 'ENOENT' ? missing : `cannot read the file (${code ?? String(error)})`;
  return new UserError(`${file}: ${problem}`, { cause: error });
}
