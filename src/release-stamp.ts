/**
 * The release stamp: `scripts/dist/release.json` in the package, next to the CLI bundle, saying which gantry
 * release the installed package is (`{ repository, version, tag }`). `npm run release` adds it to the tarball it
 * packs (scripts/release-pack.ts), and only there: a checkout of gantry, or a `github:` install of one, has none
 * (the file is gitignored). The terraform app reads it so that the prune build downloads that release's CLI
 * asset, checked against the SHA-256 of the installed bundle (terraform/app.ts, pruneCliVariables).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { type CliDownload, cliReleaseSource } from './codebuild/start-request.js';
import { OperationError } from './errors.js';
import { optionalGantryFile } from './gantry-files.js';

/** The CLI bundle, relative to the package root: the `bin`, and the release asset `gantry.js`. */
export const CLI_BUNDLE_FILE = 'scripts/dist/gantry.js';
/** The stamp, relative to the package root: next to the CLI bundle. */
export const RELEASE_STAMP_FILE = 'scripts/dist/release.json';

const ReleaseStampSchema = z.object({
  /** `owner/name` of the GitHub repository the release is attached to. */
  repository: z.string(),
  /** package.json's version. */
  version: z.string(),
  /** The release's tag, `v<version>`. */
  tag: z.string(),
});

export type ReleaseStamp = z.infer<typeof ReleaseStampSchema>;

export function releaseStamp(repository: string, version: string): ReleaseStamp {
  return { repository, version, tag: `v${version}` };
}

/** The stamp file's content. */
export function releaseStampText(stamp: ReleaseStamp): string {
  return `${JSON.stringify({ repository: stamp.repository, version: stamp.version, tag: stamp.tag }, null, 2)}\n`;
}

export function parseReleaseStamp(text: string, file: string): ReleaseStamp {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OperationError(`${file}: not JSON (${(error as Error).message}); reinstall gantry from its release tarball`, { cause: error });
  }
  const parsed = ReleaseStampSchema.safeParse(value);
  if (!parsed.success) throw new OperationError(`${file}: expected {"repository", "version", "tag"} (strings); reinstall gantry from its release tarball`);
  return parsed.data;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * What a build downloads to run the CLI of the stamped release: the release's `gantry.js` asset (the URL the
 * codebuild-run action sends, cliReleaseSource) and the SHA-256 of `cli`, the bundle installed with the stamp,
 * byte for byte that asset. `where` names the stamp in the error when it names no release. Pure.
 */
export function releaseCliDownload(stamp: ReleaseStamp, cli: Uint8Array, where: string): CliDownload {
  const refused = (reason: string) =>
    new OperationError(`${where} names no gantry release a build can download the CLI of (${reason}); reinstall gantry from its release tarball`);
  if (stamp.tag !== `v${stamp.version}`) throw refused(`tag ${stamp.tag} is not v${stamp.version}`);
  const source = cliReleaseSource({ repository: stamp.repository, ref: stamp.tag }, stamp.version);
  if ('reason' in source) throw refused(source.reason);
  return { url: source.url, sha256: sha256(cli) };
}

/** The release the gantry package around `from` was installed from, and its CLI download. */
export interface InstalledRelease {
  /** The stamp file. */
  file: string;
  stamp: ReleaseStamp;
  download: CliDownload;
}

/**
 * The release of the gantry whose code runs (found from `from`, like its buildspecs: gantryFile): its stamp next
 * to its CLI bundle. Undefined when there is none: a checkout, or a `github:` install.
 */
export function installedRelease(from?: string): InstalledRelease | undefined {
  const cli = optionalGantryFile(CLI_BUNDLE_FILE, from);
  if (cli === undefined) return undefined;
  const file = join(dirname(cli), basename(RELEASE_STAMP_FILE));
  if (!existsSync(file)) return undefined;
  const stamp = parseReleaseStamp(readFileSync(file, 'utf8'), file);
  return { file, stamp, download: releaseCliDownload(stamp, readFileSync(cli), file) };
}
