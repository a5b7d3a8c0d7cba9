/**
 * Applying exactly the reviewed plan. The plan build records the plan file's SHA-256 with the environment and
 * commit it was made for (plan-metadata.json) and reports the SHA-256 to the workflow; the apply build gets
 * the plan back from storage and refuses it unless the file's own digest matches both, and the environment
 * and commit are the ones being applied. A plan swapped, edited or made for another commit never reaches
 * `terraform apply`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
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
  return metadata;
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
  return undefined;
}
