/**
 * Seeds a sandbox with what a gantry config describes: per environment, its capacity provider and its
 * functions (published versions and the alias), its CodeBuild plan and apply projects, with every name from the naming module, so the sandbox holds
 * exactly what the actions will look up. The sandbox is one account and region: environments that live in
 * different accounts in the config share it here, which their distinct derived names allow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentConfig, GantryConfig, ResolvedFunction } from '../../src/config/load.js';
import { guardAlarmDimensions, guardAlarms } from '../../src/config/rollout.js';
import { gantryFile } from '../../src/gantry-files.js';
import { terraformPinEnv } from '../../src/terraform/pin.js';
import { required } from '../assert.js';
import type { CloudWatchService } from './cloudwatch/service.js';
import type { CodeBuildService } from './codebuild/service.js';
import type { GitHubService } from './github/service.js';
import type { LambdaService } from './lambda/service.js';

export interface SeedFromConfigOptions {
  /**
   * Published versions per function (the alias points at the newest), default 3. An environment's functions share
   * its one capacity provider, which holds at most `maxVersionsPerCapacityProvider` versions (100): each function
   * gets at most its share of that (`versionsPerFunction` in the result says how many it got).
   */
  versionsPerFunction?: number;
}

export interface SeededEnvironment {
  environment: string;
  capacityProviderArn: string;
  functions: string[];
  /** Versions published per function: as asked, or fewer where the capacity provider could not hold them. */
  versionsPerFunction: number;
}

export function seedLambdaFromConfig(lambda: LambdaService, config: GantryConfig, options: SeedFromConfigOptions = {}): SeededEnvironment[] {
  const asked = options.versionsPerFunction ?? 3;
  return config.order.map((name) => {
    const environment = required(config.environments.get(name), `environment ${name}`);
    const { names } = environment;
    const share = Math.floor(lambda.options.maxVersionsPerCapacityProvider / Math.max(1, environment.functions.length));
    const versions = Math.min(asked, share);
    const capacityProviderArn = lambda.createCapacityProvider(names.capacityProvider, {}, { instant: true }).arn;
    for (const fn of environment.functions) {
      lambda.createFunction({
        name: fn.functionName,
        runtime: fn.runtime,
        handler: fn.handler,
        memorySize: fn.memoryMb,
        architectures: ['arm64'],
        capacityProvider: {
          CapacityProviderArn: capacityProviderArn,
          PerExecutionEnvironmentMaxConcurrency: fn.maxConcurrency,
          ExecutionEnvironmentMemoryGiBPerVCpu: fn.memoryGiBPerVcpu,
        },
        code: `${fn.functionName}@0`,
      });
      let newest = '';
      for (let index = 1; index <= versions; index++) {
        lambda.updateFunctionCode(fn.functionName, `${fn.functionName}@${index}`);
        newest = lambda.publishVersion(fn.functionName, { instant: true }).version;
      }
      if (newest !== '') lambda.putAlias(fn.functionName, fn.alias, { functionVersion: newest }, { instant: true });
    }
    return { environment: name, capacityProviderArn, functions: environment.functions.map((fn) => fn.functionName), versionsPerFunction: versions };
  });
}

export interface SeedCodeBuildOptions {
  /** Executes builds for real from this directory (the repository checkout); scripted builds otherwise. */
  sourceDir?: string;
  /**
   * The Terraform variables of the plan and apply projects: the pin, as terraform/ sets it, unless given (a
   * local release mirror, `localTerraformRelease`, whose zip is not HashiCorp's and so has its own checksum).
   */
  terraform?: Record<string, string>;
  /** Where executed builds put artifacts; one sub-directory per project. */
  artifactsDir?: string;
}

/**
 * Creates every environment's plan and apply projects (and the read-only pull-request plan project where
 * pull requests may plan), both writing to the environment's one log group. Each
 * holds its buildspec (the text of buildspecs/terraform-<mode>.yml, as terraform sets it): the action sends
 * no override, so a build runs its project's own buildspec, as in CodeBuild.
 */
export function seedCodeBuildFromConfig(codebuild: CodeBuildService, config: GantryConfig, options: SeedCodeBuildOptions = {}): string[] {
  const projects: string[] = [];
  for (const name of config.order) {
    const { names } = required(config.environments.get(name), `environment ${name}`);
    const pullRequests = config.pullRequestEnvironments.includes(name);
    for (const [mode, project] of [
      ['plan', names.planProject],
      ...(pullRequests ? [['plan', names.prPlanProject] as const] : []),
      ['apply', names.applyProject],
    ] as const) {
      codebuild.createProject(project, {
        buildspec: readFileSync(gantryFile(`buildspecs/terraform-${mode}.yml`), 'utf8'),
        environmentVariables: [
          { name: 'GANTRY_ENVIRONMENT', value: name },
          ...Object.entries(options.terraform ?? terraformPinEnv()).map(([variable, value]) => ({ name: variable, value })),
          ...(project === names.prPlanProject ? [{ name: 'GANTRY_PLAN_READ_ONLY', value: 'true' }] : []),
        ],
        logGroupName: names.buildLogGroup,
        logStreamPrefix: project,
        ...(options.sourceDir === undefined ? {} : { sourceDir: options.sourceDir }),
        ...(options.artifactsDir === undefined ? {} : { artifactsDir: join(options.artifactsDir, project) }),
      });
      projects.push(project);
    }
  }
  return projects;
}

/**
 * The repository the sandbox's GitHub holds (the config's `github.repository`, or a stand-in when unset),
 * with a GitHub Environment per environment of the config, set up as `gantry doctor` wants it.
 */
export function seedGitHubFromConfig(github: GitHubService, config: GantryConfig): { owner: string; repo: string; fullName: string } {
  const fullName = config.github.repository ?? 'example/app';
  const [owner = 'example', repo = 'app'] = fullName.split('/');
  github.addRepo(owner, repo);
  seedGitHubEnvironments(github, owner, repo, config);
  return { owner, repo, fullName };
}

/**
 * One GitHub Environment per environment of the config: deployments from exactly its `apply.refs` (selected
 * branches and tags), and where the config says `approval: required`, a required reviewer who may not approve
 * their own deployments.
 */
export function seedGitHubEnvironments(github: GitHubService, owner: string, repo: string, config: GantryConfig, reviewers: string[] = ['reviewer']): void {
  for (const name of config.order) {
    const environment = required(config.environments.get(name), `environment ${name}`);
    const branchPolicies = environment.apply.refs.map((ref) =>
      ref.startsWith('refs/tags/')
        ? { name: ref.slice('refs/tags/'.length), type: 'tag' as const }
        : { name: ref.replace(/^refs\/heads\//, ''), type: 'branch' as const },
    );
    const approval = config.github.environments[name]?.approval === 'required';
    github.setEnvironment(owner, repo, name, { branchPolicies, ...(approval ? { requiredReviewers: reviewers, preventSelfReview: true } : {}) });
  }
}

/**
 * What terraform's apply does to a function's guarding alarms (terraform/constructs/observability.ts): creates or
 * updates each, from the same definitions the action reads (`guardAlarms`), watching `version` behind the alias.
 * None for a function deployed all at once.
 */
export function applyGuardAlarms(cloudwatch: CloudWatchService, environment: EnvironmentConfig, fn: ResolvedFunction, version: string): string[] {
  const names = required(
    environment.names.functions.find((candidate) => candidate.name === fn.name),
    `the derived names of ${fn.name}`,
  );
  return guardAlarms(names, fn.rollout).map((guard) => {
    cloudwatch.putMetricAlarm({
      AlarmName: guard.name,
      AlarmDescription: guard.description,
      Namespace: 'AWS/Lambda',
      MetricName: guard.metricName,
      Dimensions: Object.entries(guardAlarmDimensions(names, version)).map(([Name, Value]) => ({ Name, Value })),
      ...(guard.statistic === undefined ? {} : { Statistic: guard.statistic }),
      ...(guard.extendedStatistic === undefined ? {} : { ExtendedStatistic: guard.extendedStatistic }),
      Period: guard.periodSeconds,
      EvaluationPeriods: guard.evaluationPeriods,
      Threshold: guard.threshold,
      ComparisonOperator: guard.comparisonOperator,
      TreatMissingData: 'notBreaching',
    });
    return guard.name;
  });
}
