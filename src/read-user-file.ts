/**
 * Reads a file the user named (a buildspec, a plan): a missing or unreadable file is a one-line UserError
 * naming it, not a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from './errors.js';

export async function readUserFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot read the file (${code ?? String(error)})`, { cause: error });
  }
}
