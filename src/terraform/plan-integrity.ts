/**
 * Applying exactly the reviewed plan. The plan build records the plan file's SHA-256 with the environment and
 * commit it was made for (plan-metadata.json) and reports the SHA-256 to the workflow; the apply build gets
 * the plan back from storage and refuses it unless the file's own digest matches both, and the environment
 * and commit are the ones being applied. A plan swapped, edited or made for another commit never reaches
 * `terraform apply`.
 *
 * The function packages the plan build made (gantry package) are stored with the plan, and the metadata
 * records each one's path and SHA-256: the apply build uses exactly those zips, refusing a plan whose stored
 * packages differ from the record in any way (changed, missing, or one more).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { COMMIT_SHA, SHA256 } from '../patterns.js';
import { readUserFile, userFileError } from '../read-user-file.js';

export const TERRAFORM_VERSION_PATTERN = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?$/;

const REFUSING = 'refusing to apply';

export interface PlanMetadata {
  environment: string;
  commit: string;
  sha256: string;
  terraformVersion: string;
  /** The CodeBuild build that made the plan, for tracing an apply back to its plan log. */
  buildId?: string;
  /** The function packages built for the plan, sorted by path: the apply uses exactly these. */
  packages: PackageRecord[];
}

export interface PackageRecord {
  /** Where terraform reads the zip, relative to the repository root. */
  path: string;
  sha256: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface VerifyPlanOptions {
  planFile: string;
  metadataFile: string;
  /** The digest the plan build reported, which is what the reviewers approved. */
  expectedSha256: string;
  environment: string;
  commit: string;
  /** The directory the stored packages were fetched into, under their repository paths. */
  packagesDir?: string;
}

/** The plan's metadata when the plan may be applied; otherwise a UserError saying what differs. */
export async function verifyPlan(options: VerifyPlanOptions): Promise<PlanMetadata> {
  const expected = options.expectedSha256.toLowerCase();
  if (!SHA256.test(expected)) {
    throw new UserError(`expected plan sha256 "${options.expectedSha256}" is not 64 hexadecimal characters; refusing to apply`);
  }
  let actual: string;
  try {
    actual = await sha256File(options.planFile);
  } catch (error) {
    throw userFileError(options.planFile, error, { ifMissing: REFUSING });
  }
  const metadata = await readPlanMetadata(options.metadataFile);
  if (actual !== expected) throw new UserError(`plan sha256 ${actual} does not match the reviewed plan ${expected}; refusing to apply`);
  if (actual !== metadata.sha256) {
    throw new UserError(`plan sha256 ${actual} does not match ${metadata.sha256} recorded in ${options.metadataFile}; refusing to apply`);
  }
  if (metadata.commit !== options.commit) throw new UserError(`plan was made for commit ${metadata.commit}, not ${options.commit}; refusing to apply`);
  if (metadata.environment !== options.environment) {
    throw new UserError(`plan was made for environment ${metadata.environment}, not ${options.environment}; refusing to apply`);
  }
  await verifyPackages(metadata, options);
  return metadata;
}

/** The files under `dir` (none when it does not exist) by their path relative to it, sorted. */
export async function packageRecords(dir: string): Promise<PackageRecord[]> {
  const records: PackageRecord[] = [];
  const walk = async (relative: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(join(dir, relative));
    } catch (error) {
      if (relative === '' && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw userFileError(join(dir, relative), error);
    }
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const info = await lstat(join(dir, path));
      if (info.isDirectory()) await walk(path);
      else if (info.isFile()) records.push({ path, sha256: await sha256File(join(dir, path)) });
      else throw new UserError(`${join(dir, path)}: not a regular file; a plan's packages are zip files only; refusing to apply`);
    }
  };
  await walk('');
  return records.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function verifyPackages(metadata: PlanMetadata, options: VerifyPlanOptions): Promise<void> {
  const recorded = metadata.packages;
  if (options.packagesDir === undefined) {
    if (recorded.length === 0) return;
    throw new UserError(`the plan was made with ${recorded.length} function package(s) but none was given to check; ${REFUSING}`);
  }
  const present = new Map((await packageRecords(options.packagesDir)).map((record) => [record.path, record.sha256]));
  for (const { path, sha256 } of recorded) {
    const actual = present.get(path);
    if (actual === undefined) throw new UserError(`package ${path} recorded with the plan is missing from the plan store; ${REFUSING}`);
    if (actual !== sha256) throw new UserError(`package ${path} sha256 ${actual} does not match ${sha256} recorded with the plan; ${REFUSING}`);
    present.delete(path);
  }
  const [extra] = present.keys();
  if (extra !== undefined) throw new UserError(`package ${extra} was not recorded with the plan; ${REFUSING}`);
}

export async function readPlanMetadata(file: string): Promise<PlanMetadata> {
  const text = await readUserFile(file, { ifMissing: REFUSING });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file}: not valid JSON; refusing to apply`, { cause: error });
  }
  const problem = metadataProblem(parsed);
  if (problem !== undefined) throw new UserError(`${file}: ${problem}; refusing to apply`);
  return parsed as PlanMetadata;
}

function metadataProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const record = value as Record<string, unknown>;
  const checks: [keyof PlanMetadata, RegExp][] = [
    ['environment', /^.+$/],
    ['commit', COMMIT_SHA],
    ['sha256', SHA256],
    ['terraformVersion', TERRAFORM_VERSION_PATTERN],
  ];
  for (const [key, pattern] of checks) {
    const field = record[key];
    if (typeof field !== 'string' || !pattern.test(field)) return `${key} is missing or malformed`;
  }
  if (record.buildId !== undefined && typeof record.buildId !== 'string') return 'buildId is not a string';
  if (!Array.isArray(record.packages)) return 'packages is missing or malformed';
  const paths = new Set<string>();
  for (const item of record.packages as unknown[]) {
    const { path, sha256 } = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (typeof path !== 'string' || !isPackagePath(path) || typeof sha256 !== 'string' || !SHA256.test(sha256) || paths.has(path)) {
      return `packages: ${JSON.stringify(item)} is not a package record (a path in the repository, once, and its sha256)`;
    }
    paths.add(path);
  }
  return undefined;
}

/** A path the apply can place in its checkout: relative, without `..` or empty parts, one line. */
export function isPackagePath(path: string): boolean {
  return path !== '' && !/\p{Cc}/u.test(path) && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
