/**
 * `npm run release [-- --dry-run] [--out DIR] [--repository OWNER/NAME]`: makes a release of the version in
 * package.json, as the release workflow runs it (docs/release.md).
 *
 * 1. Checks that the committed bundles and generated files match their sources (what `npm run bundle:check` and
 *    `npm run generate:check` check): a release ships exactly what the tag's sources build.
 * 2. Builds the assets into DIR (default dist/release/, gitignored): the `npm pack` tarball, stamped with the
 *    release it is (scripts/dist/release.json: repository, version, tag; scripts/release-pack.ts), the CLI bundle
 *    `gantry.js` (what CodeBuild downloads), `SHA256SUMS` of both, and `notes.md`, the release notes: the
 *    CHANGELOG section of the version, how to install the tarball with its npm integrity, and the checksums.
 * 3. Creates the GitHub release `vX.Y.Z` with those assets (`gh release create`) and moves the major tag `vX`
 *    to it, unless a newer `vX.*` release exists or the version is a prerelease.
 *
 * With --dry-run, steps 1 and 2 run and step 3 is printed, with anything that would stop a real release (no
 * CHANGELOG section for the version, the tag missing or not at HEAD, a dirty checkout). Exit codes: 0 done,
 * 1 a check failed, 2 bad usage.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLI_RELEASE_ASSET } from '../src/codebuild/start-request.js';
import { describeError } from '../src/errors.js';
import { releaseStamp } from '../src/release-stamp.js';
import { CLI_BUNDLE, ROOT, staleBundles } from './bundle.js';
import { staleGeneratedFiles } from './generate.js';
import { PLACEHOLDER_REPOSITORY, packRelease } from './release-pack.js';

export const DEFAULT_OUT = 'dist/release';
export const CHECKSUMS_FILE = 'SHA256SUMS';
export const NOTES_FILE = 'notes.md';

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;

const USAGE = `usage: npm run release -- [--dry-run] [--out DIR] [--repository OWNER/NAME]
  --dry-run                build and check the assets, print what a release would do, change nothing on GitHub
  --out DIR                where the assets go (default ${DEFAULT_OUT}); a new or empty directory, or a previous release's
  --repository OWNER/NAME  the GitHub repository of the release (default $GITHUB_REPOSITORY)`;

class ReleaseError extends Error {}

/** The body of `## [version]` in a Keep a Changelog file, without its heading; undefined when there is none. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split('\n');
  const heading = new RegExp(`^## \\[${version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\](?:\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start === -1) return undefined;
  const end = lines.findIndex((line, index) => index > start && /^## /.test(line));
  const body = lines
    .slice(start + 1, end === -1 ? undefined : end)
    .join('\n')
    .trim();
  return body === '' ? undefined : body;
}

/** Whether releasing `version` moves its major tag: not for a prerelease, nor below a newer release of that major. */
export function movesMajorTag(version: string, tags: string[]): boolean {
  const parsed = SEMVER.exec(version);
  if (parsed === null || parsed[4] !== undefined) return false;
  const [major, minor, patch] = [Number(parsed[1]), Number(parsed[2]), Number(parsed[3])];
  return !tags.some((tag) => {
    const other = SEMVER.exec(tag.replace(/^v/, ''));
    if (other === null || other[4] !== undefined || Number(other[1]) !== major) return false;
    return Number(other[2]) > minor || (Number(other[2]) === minor && Number(other[3]) > patch);
  });
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
/** npm's integrity string of a tarball (what package-lock.json records). */
export const npmIntegrity = (data: Uint8Array): string => `sha512-${createHash('sha512').update(data).digest('base64')}`;

export interface ReleaseAssets {
  version: string;
  tag: string;
  repository: string;
  /** File names in the output directory. */
  tarball: string;
  integrity: string;
  checksums: Record<string, string>;
}

/** `sha256sum` format: `sha256sum -c SHA256SUMS` checks the downloaded assets. */
export function checksumsText(checksums: Record<string, string>): string {
  return Object.entries(checksums)
    .map(([file, hex]) => `${hex}  ${file}\n`)
    .join('');
}

export function releaseNotes(assets: ReleaseAssets, changes: string): string {
  const download = `https://github.com/${assets.repository}/releases/download/${assets.tag}`;
  const major = assets.tag.split('.')[0];
  return [
    `# gantry ${assets.tag}`,
    '',
    changes,
    '',
    '## Install',
    '',
    "The CLI (`npx gantry`, and `gantry synth` with the CDK Terrain bindings installed beside it), from this release's tarball:",
    '',
    '```sh',
    `npm i -D ${download}/${assets.tarball}`,
    '```',
    '',
    `npm records the tarball's integrity in package-lock.json; it must be \`${assets.integrity}\`.`,
    `Or from the tag, with nothing to build: \`npm i -D github:${assets.repository}#${assets.tag}\`.`,
    '',
    `The actions and reusable workflows: \`uses: ${assets.repository}/<path>@${assets.tag}\`, \`@${major}\` to follow ${major}, or this release's commit SHA.`,
    `CodeBuild downloads \`${CLI_RELEASE_ASSET}\` of this release (checked against the SHA-256 of the action's own copy) unless the project sets \`GANTRY_CLI\`.`,
    `So do the prune builds in the stacks \`gantry synth\` of this tarball writes (checked against the tarball's own copy), unless \`schedules.prune.cli\` names the CLI.`,
    '',
    `## Checksums (${CHECKSUMS_FILE})`,
    '',
    '```',
    checksumsText(assets.checksums).trimEnd(),
    '```',
    '',
  ].join('\n');
}

/** What creating the release runs, in order: argv arrays. */
export function releaseCommands(assets: ReleaseAssets, out: string, moveMajor: boolean): string[][] {
  const prerelease = SEMVER.exec(assets.version)?.[4] !== undefined;
  const major = assets.tag.split('.')[0] ?? assets.tag;
  const commands = [
    [
      'gh',
      'release',
      'create',
      assets.tag,
      join(out, assets.tarball),
      join(out, CLI_RELEASE_ASSET),
      join(out, CHECKSUMS_FILE),
      '--repo',
      assets.repository,
      '--title',
      `gantry ${assets.tag}`,
      '--notes-file',
      join(out, NOTES_FILE),
      '--verify-tag',
      ...(prerelease ? ['--prerelease'] : []),
    ],
  ];
  if (moveMajor) commands.push(['git', 'tag', '--force', major, `${assets.tag}^{commit}`], ['git', 'push', '--force', 'origin', `refs/tags/${major}`]);
  return commands;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./^{}-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

function git(args: string[]): string | undefined {
  const result = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** What stops a real release; a dry run prints these and goes on. */
function releaseBlockers(version: string, tag: string, changes: string | undefined, repository: string | undefined): string[] {
  const blockers: string[] = [];
  if (changes === undefined) blockers.push(`CHANGELOG.md has no "## [${version}]" section: move the Unreleased entries under it, with the date`);
  if (repository === undefined) blockers.push('the repository is unknown: give --repository OWNER/NAME (GITHUB_REPOSITORY in GitHub Actions)');
  const tagged = git(['rev-parse', '--verify', '--quiet', `refs/tags/${tag}^{commit}`]);
  if (tagged === undefined) blockers.push(`tag ${tag} does not exist: the release workflow runs on the pushed tag`);
  else if (tagged !== git(['rev-parse', 'HEAD'])) blockers.push(`tag ${tag} is not the checked-out commit: check out the tag`);
  if ((git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '') {
    blockers.push('the checkout has uncommitted changes: release from a clean checkout of the tag');
  }
  return blockers;
}

/**
 * Makes sure the output directory is new, empty or a previous release's: what is there is deleted before the
 * assets are written, so anything else in it is refused rather than lost.
 */
function checkOut(out: string, tarballPrefix: string): string[] {
  if (!existsSync(out)) return [];
  const ours = (name: string) =>
    name === CLI_RELEASE_ASSET || name === CHECKSUMS_FILE || name === NOTES_FILE || (name.startsWith(tarballPrefix) && name.endsWith('.tgz'));
  let names: string[];
  try {
    names = readdirSync(out);
  } catch (error) {
    throw new ReleaseError(`--out ${out}: not a directory (${(error as NodeJS.ErrnoException).code ?? String(error)}); name a new or empty directory`);
  }
  const foreign = names.filter((name) => !ours(name));
  if (foreign.length > 0) throw new ReleaseError(`--out ${out} holds other files (${foreign.slice(0, 3).join(', ')}): name a new or empty directory`);
  return names;
}

export async function release(options: { dryRun: boolean; out: string; repository?: string }, print: (line: string) => void): Promise<ReleaseAssets> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  if (!SEMVER.test(pkg.version)) throw new ReleaseError(`package.json version "${pkg.version}" is not a semantic version (X.Y.Z or X.Y.Z-pre)`);
  const tag = `v${pkg.version}`;
  const out = resolve(ROOT, options.out);
  const previous = checkOut(out, `${pkg.name.replace(/^@/, '').replace('/', '-')}-`);

  const staleBundle = await staleBundles(ROOT);
  if (staleBundle.length > 0) throw new ReleaseError(`bundles out of date: ${staleBundle.join(', ')}; run npm run bundle and commit the result`);
  print('bundles match their sources');
  const staleGenerated = await staleGeneratedFiles(ROOT);
  if (staleGenerated.length > 0) {
    throw new ReleaseError(`generated files out of date: ${staleGenerated.join(', ')}; run npm run generate and commit the result`);
  }
  print('generated files match their definitions');

  const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
  const changes = changelogSection(changelog, pkg.version);
  const blockers = releaseBlockers(pkg.version, tag, changes, options.repository);
  if (!options.dryRun && blockers.length > 0) throw new ReleaseError(`cannot release ${tag}: ${blockers.join('; ')}`);

  for (const name of previous) rmSync(join(out, name), { force: true });
  mkdirSync(out, { recursive: true });
  const repository = options.repository ?? PLACEHOLDER_REPOSITORY;
  // The tarball says which release it is, so that the gantry synth it installs points the prune builds at this
  // release's gantry.js (src/release-stamp.ts); the stamp goes into the tarball only, never the working tree.
  const packed = packRelease({ root: ROOT, out, stamp: releaseStamp(repository, pkg.version) });
  const tarball = packed.filename;
  if (!existsSync(join(out, tarball))) throw new ReleaseError(`npm pack wrote no tarball into ${out}`);
  const tarballBytes = readFileSync(join(out, tarball));
  const integrity = npmIntegrity(tarballBytes);
  if (packed.integrity !== integrity) throw new ReleaseError(`npm pack reported integrity ${packed.integrity} for ${tarball}, the file has ${integrity}`);
  copyFileSync(join(ROOT, CLI_BUNDLE), join(out, CLI_RELEASE_ASSET));
  const checksums = { [tarball]: sha256(tarballBytes), [CLI_RELEASE_ASSET]: sha256(readFileSync(join(out, CLI_RELEASE_ASSET))) };
  const assets: ReleaseAssets = { version: pkg.version, tag, repository, tarball, integrity, checksums };
  writeFileSync(join(out, CHECKSUMS_FILE), checksumsText(checksums));
  const notes = changes ?? changelogSection(changelog, 'Unreleased') ?? '(no changes recorded)';
  writeFileSync(join(out, NOTES_FILE), releaseNotes(assets, notes));

  const near = relative(process.cwd(), out);
  const shown = near === '' ? '.' : near.startsWith('..') ? out : near;
  print(`assets in ${shown}:`);
  for (const name of [tarball, CLI_RELEASE_ASSET, CHECKSUMS_FILE, NOTES_FILE]) {
    print(
      `  ${name.padEnd(36)} ${String(readFileSync(join(out, name)).length).padStart(9)} bytes${checksums[name] === undefined ? '' : `  sha256 ${checksums[name]}`}`,
    );
  }
  print(`  npm integrity of ${tarball}: ${integrity}`);

  const tags = (git(['tag', '--list', 'v*']) ?? '').split('\n').filter((line) => line !== '');
  const moveMajor = movesMajorTag(pkg.version, tags);
  const commands = releaseCommands(assets, out, moveMajor);
  if (options.dryRun) {
    if (changes === undefined) print(`notes: from the Unreleased section (CHANGELOG.md has no [${pkg.version}] section yet)`);
    print(`dry run: a release of ${tag} would run:`);
    for (const command of commands) print(`  ${command.map(shellWord).join(' ')}`);
    if (!moveMajor) print(`  (the major tag stays: ${tag} is a prerelease or older than a release of its major version)`);
    for (const blocker of blockers) print(`a real release would stop: ${blocker}`);
    return assets;
  }
  for (const command of commands) {
    print(`$ ${command.map(shellWord).join(' ')}`);
    const [file = '', ...args] = command;
    const result = spawnSync(file, args, { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) {
      throw new ReleaseError(`${file} ${args[0] ?? ''} failed (${result.error?.message ?? `exit ${result.status}`}); nothing after it ran`);
    }
  }
  print(`released ${tag}`);
  return assets;
}

async function main(): Promise<void> {
  let values: { 'dry-run'?: boolean; out?: string; repository?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { 'dry-run': { type: 'boolean' }, out: { type: 'string' }, repository: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`release: ${describeError(error).split('. ')[0]}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const repository = values.repository ?? (process.env.GITHUB_REPOSITORY || undefined);
  if (repository !== undefined && !REPOSITORY.test(repository)) {
    process.stderr.write(`release: --repository must be OWNER/NAME, got ${JSON.stringify(repository.slice(0, 100))}\n`);
    process.exit(2);
  }
  if (values.out !== undefined && values.out.trim() === '') {
    process.stderr.write('release: --out is empty: give a directory, or leave it out for dist/release\n');
    process.exit(2);
  }
  try {
    await release({ dryRun: values['dry-run'] === true, out: values.out ?? DEFAULT_OUT, ...(repository === undefined ? {} : { repository }) }, (line) =>
      process.stdout.write(`${line}\n`),
    );
  } catch (error) {
    // One line, whatever failed (an esbuild error spans several).
    process.stderr.write(`release: ${(error instanceof ReleaseError ? error.message : describeError(error)).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
