/**
 * A byte-reproducible zip of a directory: the same files give the same bytes on any machine, any day, in any
 * time zone, so the same commit gives the same package sha256 (which terraform records as the function's
 * source_code_hash and the plan's metadata records for the apply).
 *
 * - entries sorted by name, directories included (`name/`), the root left out;
 * - every time 1980-01-01 00:00 (the first DOS time), written as the constant it is, never from a Date;
 * - Unix permissions only: 0644 files, 0755 executables (any x bit) and directories, 0777 symbolic links;
 *   owner, group and the file's own times are never stored;
 * - no extra fields, no data descriptors, no comment; names flagged UTF-8;
 * - DEFLATE by fflate (pure JavaScript, pinned: zlib builds differ between platforms), level 9, or stored when
 *   that is smaller.
 *
 * Symbolic links are stored as links (like `zip -y`), and only when they point inside the directory: a link out
 * of it would dangle in Lambda. Anything else that is not a file or a directory is refused.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { deflateSync } from 'fflate';
import { UserError } from '../errors.js';

export type ZipEntry =
  | { kind: 'file'; name: string; data: Uint8Array; executable: boolean }
  | { kind: 'directory'; name: string }
  | { kind: 'symlink'; name: string; target: string };

/** 1980-01-01 00:00:00 in MS-DOS date and time fields: day 1, month 1, year 0 (1980); time 0. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
const VERSION = 20; // 2.0: DEFLATE and directories
const MADE_BY_UNIX = (3 << 8) | VERSION;
const FLAG_UTF8 = 0x0800;
const MS_DOS_DIRECTORY = 0x10;
const MAX_ENTRIES = 0xffff;
const MAX_SIZE = 0xffffffff;

const MODES = { file: 0o100644, executable: 0o100755, directory: 0o40755, symlink: 0o120777 } as const;

/** The zip of these entries, sorted by name first (the order they were given in does not matter). */
export function zipEntries(entries: readonly ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => compareNames(entryName(a), entryName(b)));
  if (sorted.length > MAX_ENTRIES) throw new UserError(`${sorted.length} entries: a package holds at most ${MAX_ENTRIES} (no zip64)`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  let previous: string | undefined;
  for (const entry of sorted) {
    const name = entryName(entry);
    if (name === previous) throw new Error(`zip: duplicate entry ${name}`);
    previous = name;
    const nameBytes = Buffer.from(name, 'utf8');
    const content = entry.kind === 'file' ? entry.data : entry.kind === 'symlink' ? Buffer.from(entry.target, 'utf8') : new Uint8Array(0);
    const deflated = entry.kind === 'file' && content.length > 0 ? deflateSync(content, { level: 9 }) : undefined;
    const compress = deflated !== undefined && deflated.length < content.length;
    const stored = compress ? deflated : content;
    if (content.length > MAX_SIZE || offset > MAX_SIZE) throw new UserError(`${name}: a package is at most 4 GiB (no zip64)`);
    const mode = entry.kind === 'file' ? (entry.executable ? MODES.executable : MODES.file) : MODES[entry.kind];
    const fields = { method: compress ? 8 : 0, crc: crc32(content), compressed: stored.length, size: content.length, nameLength: nameBytes.length };

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    writeCommon(local, 6, fields);
    locals.push(local, nameBytes, Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength));

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(VERSION, 6);
    writeCommon(central, 8, fields);
    // 32: comment length, 34: disk number, 36: internal attributes: all 0.
    central.writeUInt32LE(((mode << 16) | (entry.kind === 'directory' ? MS_DOS_DIRECTORY : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);

    offset += local.length + nameBytes.length + stored.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  if (offset > MAX_SIZE) throw new UserError('a package is at most 4 GiB (no zip64)');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Flags to name length: the fields local and central headers share, in the same order. */
function writeCommon(header: Buffer, at: number, fields: { method: number; crc: number; compressed: number; size: number; nameLength: number }): void {
  header.writeUInt16LE(FLAG_UTF8, at);
  header.writeUInt16LE(fields.method, at + 2);
  header.writeUInt16LE(DOS_TIME, at + 4);
  header.writeUInt16LE(DOS_DATE, at + 6);
  header.writeUInt32LE(fields.crc, at + 8);
  header.writeUInt32LE(fields.compressed, at + 12);
  header.writeUInt32LE(fields.size, at + 16);
  header.writeUInt16LE(fields.nameLength, at + 20);
  // at + 22: extra field length, 0.
}

function entryName(entry: ZipEntry): string {
  return entry.kind === 'directory' ? `${entry.name}/` : entry.name;
}

/** By code point, the same everywhere (localeCompare depends on the machine's locale). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every file, directory and link under `root`, named relative to it with `/`. A link that leaves `root`, and
 * anything but a file, directory or link, is a UserError naming it (as `label/<path>`).
 */
export async function directoryEntries(root: string, label: string = root): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  const walk = async (relative: string): Promise<void> => {
    const names = await readdir(relative === '' ? root : join(root, relative));
    for (const child of names) {
      const name = relative === '' ? child : `${relative}/${child}`;
      const path = join(root, name);
      const info = await lstat(path);
      if (info.isDirectory()) {
        entries.push({ kind: 'directory', name });
        await walk(name);
      } else if (info.isFile()) {
        entries.push({ kind: 'file', name, data: await readFile(path), executable: (info.mode & 0o111) !== 0 });
      } else if (info.isSymbolicLink()) {
        const target = await readlink(path);
        const resolved = posix.normalize(posix.join(posix.dirname(name), target));
        if (posix.isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
          throw new UserError(`${label}/${name}: a symbolic link to ${target}, outside the directory the package is made of; the link would dangle`);
        }
        entries.push({ kind: 'symlink', name, target });
      } else {
        throw new UserError(`${label}/${name}: not a file, directory or symbolic link; a package holds only those`);
      }
    }
  };
  await walk('');
  return entries;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
