/**
 * codebuild-run inputs → typed settings. Pure: every problem is an InputError naming the input and the fix,
 * raised before anything is started.
 */
import { isAbsolute, normalize } from 'node:path';
import { InputError } from '../errors.js';
import { parseEnvironmentTarget, type EnvironmentTarget } from '../config/environment-input.js';
import type { EnvironmentConfig } from '../config/load.js';
import { booleanInput, choiceInput, optionalString, type InputSource } from '../inputs.js';

export const RUN_MODES = ['plan', 'apply'] as const;
export type RunMode = (typeof RUN_MODES)[number];

export interface CodeBuildRunInputs {
  target: EnvironmentTarget;
  mode: RunMode;
  /** The commit the build checks out (40 hex digits). */
  sourceVersion: string;
  /** Apply only: the sha256 of the reviewed plan, as the plan step output it. */
  planSha256?: string;
  /** Override of the plan store (`s3://bucket[/prefix]` or an absolute directory). */
  planStore?: string;
  project?: string;
  workingDirectory?: string;
  varFile?: string;
  wait: boolean;
  comment: boolean;
  githubToken?: string;
}

const SHA1 = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;

export function parseCodeBuildRunInputs(source: InputSource, env: NodeJS.ProcessEnv): CodeBuildRunInputs {
  const target = parseEnvironmentTarget(source);
  const mode = choiceInput(source, 'mode', RUN_MODES);
  const fail = (name: string, problem: string): never => {
    throw new InputError(source.label(name), problem);
  };

  const sourceVersion = optionalString(source, 'source-version') ?? env['GITHUB_SHA'];
  if (sourceVersion === undefined) fail('source-version', `is required outside a workflow run: ${source.howToSet('source-version')} to the commit SHA`);
  // A branch name would let the build pick up whatever the branch points at by then: only a commit is reviewable.
  if (!SHA1.test(sourceVersion!)) fail('source-version', `must be a full 40-character commit SHA, got "${sourceVersion}"`);

  const planSha256 = optionalString(source, 'plan-sha256')?.toLowerCase();
  if (mode === 'apply' && planSha256 === undefined) {
    fail('plan-sha256', `is required with mode apply: pass the plan step's plan-sha256 output, so that only the reviewed plan is applied`);
  }
  if (planSha256 !== undefined && mode === 'plan') fail('plan-sha256', 'is only for mode apply; remove it from the plan step');
  if (planSha256 !== undefined && !SHA256.test(planSha256)) fail('plan-sha256', `must be 64 hex digits (a sha256), got "${planSha256}"`);

  const planStore = optionalString(source, 'plan-store');
  if (planStore !== undefined && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(planStore) && !isAbsolute(planStore)) {
    fail('plan-store', `must be s3://bucket[/prefix] or an absolute directory, got "${planStore}"`);
  }

  const project = optionalString(source, 'project');
  if (project !== undefined && !PROJECT.test(project)) fail('project', `must be a CodeBuild project name (letters, digits, "-" and "_"), got "${project}"`);

  const workingDirectory = optionalString(source, 'working-directory');
  if (workingDirectory !== undefined) checkRepoPath(workingDirectory, (problem) => fail('working-directory', problem));
  const varFile = optionalString(source, 'var-file');
  if (varFile !== undefined) checkRepoPath(varFile, (problem) => fail('var-file', problem));

  const githubToken = optionalString(source, 'github-token');
  return {
    target,
    mode,
    sourceVersion: sourceVersion!,
    ...(planSha256 === undefined ? {} : { planSha256 }),
    ...(planStore === undefined ? {} : { planStore: planStore.replace(/\/+$/, '') }),
    ...(project === undefined ? {} : { project }),
    ...(workingDirectory === undefined ? {} : { workingDirectory: normalize(workingDirectory) }),
    ...(varFile === undefined ? {} : { varFile: normalize(varFile) }),
    wait: booleanInput(source, 'wait', true),
    comment: booleanInput(source, 'comment', true),
    ...(githubToken === undefined ? {} : { githubToken }),
  };
}

/** Terraform runs in one explicit directory inside the checkout, never the root by accident or outside it. */
function checkRepoPath(path: string, fail: (problem: string) => never): void {
  const normalized = normalize(path);
  if (isAbsolute(path) || normalized.startsWith('..') || normalized === '.') {
    fail(`must be a directory inside the repository, relative to its root (for example terraform/environments/dev), got "${path}"`);
  }
}

/** What the build will run: config values, with the inputs' overrides applied. */
export interface ResolvedRun {
  environment: EnvironmentConfig;
  mode: RunMode;
  project: string;
  workingDirectory: string;
  varFile?: string;
  /** Where this environment's plan for this commit lives: `<store>/<environment>/<commit>`. */
  planLocation: string;
}

export function resolveRun(inputs: CodeBuildRunInputs, environment: EnvironmentConfig): ResolvedRun {
  const { names } = environment;
  const store = inputs.planStore ?? `s3://${names.planBucket}`;
  const varFile = inputs.varFile ?? environment.terraform.varFile;
  return {
    environment,
    mode: inputs.mode,
    project: inputs.project ?? (inputs.mode === 'plan' ? names.planProject : names.applyProject),
    workingDirectory: inputs.workingDirectory ?? environment.terraform.workingDirectory,
    ...(varFile === undefined ? {} : { varFile }),
    planLocation: `${store}/${names.planKeyPrefix}${inputs.sourceVersion}`,
  };
}
