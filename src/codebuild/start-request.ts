/**
 * The StartBuild request for a plan or apply run. Pure, so that what a build receives (source version,
 * variables, idempotency token) is tested without a build. No override of what the build runs: the project's
 * own buildspec (set by terraform from buildspecs/), image, service role and source. Every role that may start
 * a build is denied those overrides (terraform/constructs/build-permissions.ts, startBuildStatements).
 */
import { createHash } from 'node:crypto';
import type { EnvironmentVariable, StartBuildCommandInput } from '@aws-sdk/client-codebuild';
import { isMissingCredentials } from '../aws/clients.js';
import { UserError } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { COMMIT_SHA } from '../patterns.js';
import type { CodeBuildRunInputs, ResolvedRun } from './settings.js';

export interface CliDownload {
  url: string;
  sha256: string;
}

/** The release asset a build downloads: the CLI bundle, attached to every release by `npm run release`. */
export const CLI_RELEASE_ASSET = 'gantry.js';

const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const SEMVER = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;
const RELEASE_TAG = /^v(\d+)(?:\.(\d+)(?:\.(\d+)(-[0-9A-Za-z.-]+)?)?)?$/;

/**
 * Where a build can fetch the CLI of the exact gantry release the action runs, decided from the action's own
 * repository and ref (GITHUB_ACTION_REPOSITORY, GITHUB_ACTION_REF) and the version its bundle was built as:
 * `https://github.com/<repository>/releases/download/v<version>/gantry.js`. Never the repository being
 * deployed. The ref must be a release tag that agrees with the version (`v1`, `v1.4` or `v1.4.2` for 1.4.2) or
 * a commit SHA (an action pinned by commit); the SHA-256 the action sends with the URL, of its own copy, makes
 * the build refuse any other file. Otherwise there is nothing to download and `reason` says why. Pure.
 */
export function cliReleaseSource(action: { repository?: string | undefined; ref?: string | undefined }, version: string): { url: string } | { reason: string } {
  const repository = action.repository ?? '';
  const ref = (action.ref ?? '').replace(/^refs\/tags\//, '');
  if (repository === '' || ref === '') return { reason: 'the action does not run from a gantry release (uses: ./… names no repository and ref)' };
  if (!REPOSITORY.test(repository)) return { reason: `the action's repository ${JSON.stringify(repository)} is not owner/name` };
  const parts = SEMVER.exec(version);
  if (parts === null) return { reason: `the action's version ${JSON.stringify(version)} is not a release version (X.Y.Z)` };
  if (COMMIT_SHA.test(ref)) return { url: releaseAssetUrl(repository, version) };
  const tag = RELEASE_TAG.exec(ref);
  if (tag === null) return { reason: `the action's ref ${JSON.stringify(ref)} is neither a release tag (v1, v1.2.3) nor a commit SHA` };
  // Each part the tag gives must be the version's: v1 follows 1.x.y, v1.4 follows 1.4.y, v1.4.2 is exactly 1.4.2.
  const agrees = [1, 2, 3].every((index) => tag[index] === undefined || tag[index] === parts[index]) && (tag[3] === undefined || tag[4] === parts[4]);
  if (!agrees) return { reason: `the action's ref ${ref} does not agree with its own version ${version}` };
  return { url: releaseAssetUrl(repository, version) };
}

function releaseAssetUrl(repository: string, version: string): string {
  return `https://github.com/${repository}/releases/download/v${version}/${CLI_RELEASE_ASSET}`;
}

export interface StartRequestParts {
  inputs: CodeBuildRunInputs;
  run: ResolvedRun;
  context: RunContext;
  /** Where the build can fetch this gantry version's CLI, if known. */
  cli?: CliDownload;
}

/**
 * The same step of the same run attempt sending the same request always sends the same token, so a
 * StartBuild retried after a timeout (by the SDK, or a re-run of a crashed step within CodeBuild's 5-minute
 * window) gets the build already started instead of a second one. The request itself is part of the key:
 * a different request (another plan sha256, say) is a different build, never a token clash.
 */
export function idempotencyToken(context: RunContext, request: Omit<StartBuildCommandInput, 'idempotencyToken'>): string {
  const key = JSON.stringify([context.repository, context.runId, context.runAttempt, context.job, request]);
  return `gantry-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export function buildVariables(parts: StartRequestParts): Record<string, string> {
  const { inputs, run, context } = parts;
  return {
    GANTRY_ENVIRONMENT: run.environment.name,
    GANTRY_MODE: run.mode,
    GANTRY_COMMIT: inputs.sourceVersion,
    GANTRY_PLAN_LOCATION: run.planLocation,
    ...(inputs.planSha256 === undefined ? {} : { GANTRY_PLAN_SHA256: inputs.planSha256 }),
    TF_WORKING_DIR: run.workingDirectory,
    ...(run.varFile === undefined ? {} : { TF_VAR_FILE: run.varFile }),
    ...(run.configPath === undefined ? {} : { GANTRY_CONFIG: run.configPath }),
    ...(parts.cli === undefined ? {} : { GANTRY_CLI_URL: parts.cli.url, GANTRY_CLI_SHA256: parts.cli.sha256 }),
    ...(context.runUrl === '' ? {} : { GANTRY_RUN_URL: context.runUrl }),
  };
}

export function startBuildRequest(parts: StartRequestParts): StartBuildCommandInput {
  const environmentVariablesOverride: EnvironmentVariable[] = Object.entries(buildVariables(parts)).map(([name, value]) => ({
    name,
    value,
    type: 'PLAINTEXT',
  }));
  const request = {
    projectName: parts.run.project,
    sourceVersion: parts.inputs.sourceVersion,
    environmentVariablesOverride,
  };
  return { ...request, idempotencyToken: idempotencyToken(parts.context, request) };
}

/** What a failed StartBuild is explained with: where the project name came from, and the role that may start it. */
export interface StartContext {
  project: string;
  /** How the `project` input is named (`input "project"`) when it named the project; undefined when the config did. */
  projectInput?: string;
  /** The project the config names for this run, which the input overrode. */
  configuredProject: string;
  /** What the project is to the environment: `plan project`, `pull-request plan project`, `apply project`. */
  kind: string;
  environment: string;
  configFile: string;
  region: string;
  /** The role a job running this step assumes, and the resolve-environment output that gives it. */
  role: { arn: string; output: string };
}

/**
 * The one-line UserError for a StartBuild that failed for a reason the user fixes (the project does not exist,
 * there are no AWS credentials), naming the project, where its name came from and the fix; undefined for any
 * other failure, which is reported as it is. Pure.
 */
export function explainStartFailure(error: unknown, context: StartContext): UserError | undefined {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : '';
  if (isMissingCredentials(error)) {
    return new UserError(
      `no AWS credentials to start CodeBuild project ${context.project} (environment ${context.environment}): add aws-actions/configure-aws-credentials before this step, with role-to-assume: ${context.role.arn} (resolve-environment's ${context.role.output} output) and aws-region: ${context.region}`,
      { cause: error },
    );
  }
  if (name === 'ResourceNotFoundException' || (name === 'InvalidInputException' && /project cannot be found/i.test(message))) {
    const missing = `CodeBuild project ${context.project} does not exist in ${context.region}`;
    if (context.projectInput !== undefined) {
      return new UserError(
        `${missing} (from ${context.projectInput}): fix ${context.projectInput}, or remove it to run the config's ${context.configuredProject}`,
        { cause: error },
      );
    }
    return new UserError(
      `${missing} (the ${context.kind} of environment ${context.environment} in ${context.configFile}): create it with gantry's terraform/ (npm run synth, then terraform apply for ${context.environment} in that account and region), or fix the project name in ${context.configFile}`,
      { cause: error },
    );
  }
  return undefined;
}
