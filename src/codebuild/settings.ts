/**
 * codebuild-run's inputs → typed settings: the cross-input rules the definition (src/definitions/codebuild-run.ts)
 * cannot express per input. Pure but for reading the run's event file when source-version is unset (the default
 * commit, src/github/run-context.ts): every problem is an InputError naming the input and the fix, raised before
 * anything is started.
 */
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import type { EnvironmentConfig } from '../config/load.js';
import type { EnvironmentTarget } from '../definition/common-inputs.js';
import type { InputValues, SettingsContext } from '../definition/define.js';
import type { codebuildRunInputs } from '../definitions/codebuild-run.js';
import { InputError } from '../errors.js';
import { commitInput } from '../github/run-context.js';

export const RUN_MODES = ['plan', 'apply'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** How codebuild-run follows the build's log: CloudWatch Logs Live Tail, or GetLogEvents polling only. */
export const LOG_MODES = ['live-tail', 'poll'] as const;
export type LogMode = (typeof LOG_MODES)[number];

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
  /** How the log is followed: Live Tail (default) or GetLogEvents polling. */
  logFollow: LogMode;
  comment: boolean;
  githubToken?: string;
}

export function toCodeBuildRunInputs(values: InputValues<typeof codebuildRunInputs>, context: SettingsContext): CodeBuildRunInputs {
  const { mode } = values;
  const sourceVersion = commitInput(values['source-version'], 'source-version', context);

  const planSha256 = values['plan-sha256']?.toLowerCase();
  if (mode === 'apply' && planSha256 === undefined) {
    context.fail('plan-sha256', `is required with mode apply: pass the plan step's plan-sha256 output, so that only the reviewed plan is applied`);
  }
  if (planSha256 !== undefined && mode === 'plan') context.fail('plan-sha256', 'is only for mode apply; remove it from the plan step');

  const { 'plan-store': planStore, project, 'working-directory': workingDirectory, 'var-file': varFile, 'github-token': githubToken } = values;
  if (workingDirectory !== undefined) checkRepoPath(workingDirectory, (problem) => context.fail('working-directory', problem));
  if (varFile !== undefined) checkRepoPath(varFile, (problem) => context.fail('var-file', problem));
  return {
    target: { configFile: values.config, environment: values.environment },
    mode,
    sourceVersion,
    ...(planSha256 === undefined ? {} : { planSha256 }),
    ...(planStore === undefined ? {} : { planStore: planStore.replace(/\/+$/, '') }),
    ...(project === undefined ? {} : { project }),
    ...(workingDirectory === undefined ? {} : { workingDirectory: normalize(workingDirectory) }),
    ...(varFile === undefined ? {} : { varFile: normalize(varFile) }),
    wait: values.wait,
    logFollow: values['log-follow'],
    comment: values.comment ?? false,
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
  /** Plan only: the config file in the build's checkout, relative to its root (the plan build packages the functions it names). */
  configPath?: string;
}

/**
 * The config file as the build finds it in its own checkout: the same path relative to the repository root as
 * the action's relative to the workspace. A config outside the workspace is not in the checkout.
 */
export function configPathInCheckout(configFile: string, workspace: string = process.cwd()): string {
  const path = relative(resolve(workspace), resolve(workspace, configFile)).split(sep).join('/');
  if (path === '' || path === '..' || path.startsWith('../') || isAbsolute(path)) {
    throw new InputError(
      'input "config"',
      `${configFile} is outside the workspace (${workspace}); the plan build reads the config from its checkout at the same path, so it must be a file of the repository`,
    );
  }
  return path;
}

export function resolveRun(inputs: CodeBuildRunInputs, environment: EnvironmentConfig, workspace?: string): ResolvedRun {
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
    ...(inputs.mode === 'plan' ? { configPath: configPathInCheckout(inputs.target.configFile, workspace) } : {}),
  };
}
