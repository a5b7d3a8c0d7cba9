/**
 * The StartBuild request for a plan or apply run. Pure, so that what a build receives (source version,
 * variables, idempotency token) is tested without a build. No override of what the build runs: the project's
 * own buildspec (set by terraform from buildspecs/), image, service role and source. Every role that may start
 * a build is denied those overrides (terraform/constructs/build-permissions.ts, startBuildStatements).
 */
import { createHash } from 'node:crypto';
import type { EnvironmentVariable, StartBuildCommandInput } from '@aws-sdk/client-codebuild';
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
