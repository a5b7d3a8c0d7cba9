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
import type { CodeBuildRunInputs, ResolvedRun } from './settings.js';

export interface CliDownload {
  url: string;
  sha256: string;
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
